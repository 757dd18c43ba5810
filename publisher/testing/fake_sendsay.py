"""A local Sendsay test double: a real HTTP server on 127.0.0.1 that behaves like the API.

It implements §9 of ``docs/sendsay-api.md`` so the Sendsay client and backend are tested over
real HTTP, never against mocks, and so an author can rehearse a send without touching the real
service::

    with FakeSendsay(login="x_123", apikey="KEY", groups={"pl01": 120}) as fake:
        client = SendsayClient(fake.base_url, login="x_123", apikey="KEY")
        ...
        assert len(fake.executed_sends()) == 1   # the guard against double sends

or, as a separate process (tests then read the ``--log`` file)::

    python -m publisher.testing.fake_sendsay --port 0 --login x_123 --apikey KEY \\
        --group pl01=120 --log sendsay.jsonl

The module is the transport half: addresses and REDIRECT, both wire formats, the envelope, the
request log and fault injection. What each action means lives in
:mod:`publisher.testing.fake_sendsay_account` (and its stateless checks in
:mod:`publisher.testing.fake_sendsay_checks`).

Request log: one JSON object per received request (and one per request inside a ``batch``)::

    {"seq": 3, "time": "2024-10-01T07:00:00.123+00:00", "path": "/general/api/v100/json/x_123",
     "wire_format": "json" | "form" | null, "action": "issue.send" | null,
     "auth": "apikey:header" | "apikey:field" | "session:header" | "session:field"
             | "one_time_auth" | "none",
     "request_id": "...", "request": {... "apikey"/"passwd"/"session" values as "***" ...},
     "outcome": "redirect" | "ok" | "error", "answer": {...},
     "fault": "drop" | "http_502" | "non_json" | "delay_1.5" (only when one was applied),
     "parent_seq": 2 (only on lines of requests inside a batch)}

A request that reached the account is logged before its answer is written, so the log is
complete by the time the caller has its answer (or has lost it to an injected fault).
"""

from __future__ import annotations

import argparse
import datetime as dt
import email.utils
import json
import signal
import socket
import struct
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from publisher.backends.sendsay_client import mask_secrets  # one masking rule for both
from publisher.testing.fake_sendsay_account import AccountClock, SendsayAccount, read_credentials
from publisher.testing.fake_sendsay_catalogue import OldIssue
from publisher.testing.fake_sendsay_checks import MOSCOW, ApiError, bad, missing

ACCOUNT_PREFIX = "/general/api/v100/json/"
DEFAULT_LOGIN = "x_1693831336455"


# --------------------------------------------------------------------------- wire formats (§1)


@dataclass(frozen=True)
class WireRequest:
    """A decoded body: its format, the request object, the caller's request.id, or the error."""

    wire_format: str | None
    request: dict[str, Any] | None = None
    request_id: str | None = None
    error: ApiError | None = None


def parse_body(body: bytes, query: Mapping[str, list[str]]) -> WireRequest:
    """Decode either wire format, deciding from the body and never from ``Content-Type``.

    Sendsay's own libraries post the form format without a content type (``text/plain``), so a
    body that starts with ``{`` is JSON and anything else is a form (§1, §9.1).
    """
    query_id = (query.get("request.id") or [None])[0]
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return WireRequest(None, None, query_id, ApiError("error/request/bad_encoding", "body"))
    if text.lstrip().startswith(("{", "[")):
        request, error = _json_object(text)
        if request is not None and isinstance(request.get("request.id"), str):
            query_id = request["request.id"]
        return WireRequest("json", request, query_id, error)

    form = parse_qs(text, keep_blank_values=True)
    request_id = (form.get("request.id") or [query_id])[0]

    def field(name: str) -> str | None:
        return (form.get(name) or query.get(name) or [None])[0]

    for name, expected in (("apiversion", "100"), ("json", "1")):
        value = field(name)
        if value is None:
            return WireRequest("form", None, request_id, missing(name))
        if value != expected:
            return WireRequest("form", None, request_id, bad(name))
    if field("request") is None:
        return WireRequest("form", None, request_id, missing("request"))
    request, error = _json_object(field("request") or "")
    return WireRequest("form", request, request_id, error)


def _json_object(text: str) -> tuple[dict[str, Any] | None, ApiError | None]:
    try:
        value = json.loads(text)
    except ValueError:
        return None, ApiError("error/request/bad_json", "request")
    if not isinstance(value, dict):
        return None, ApiError("error/request/bad_json", "request")
    return value, None


# --------------------------------------------------------------------------- fault injection
# Faults apply only to requests that reach the account address: a REDIRECT passes untouched, so
# "the next issue.send" means the one that runs, even when the client starts at the bare host.


@dataclass
class Fault:
    """Something to do to the next ``remaining`` matching answers instead of answering normally.

    Every fault happens *after* the request was executed and logged: that is the dangerous case
    for a sender (the mailing may be running while the client sees a failure).
    """

    kind: str  # "drop" | "reset" | "http_error" | "non_json" | "delay"
    remaining: int
    action: str | None = None  # only requests with this action (or containing it, in a batch)
    status: int = 502
    seconds: float = 0.0

    @property
    def label(self) -> str:
        return {"drop": "drop", "reset": "reset", "http_error": f"http_{self.status}",
                "non_json": "non_json", "delay": f"delay_{self.seconds:g}"}[self.kind]


# --------------------------------------------------------------------------- HTTP plumbing


class _Handler(BaseHTTPRequestHandler):
    """Hands every request to the owning :class:`FakeSendsay`; HTTP/1.0, one request per connection.

    One request per connection keeps shutdown simple (no idle keep-alive threads to wait for)
    and makes "drop the connection" mean exactly that.
    """

    server: _Server
    timeout = 10  # a client that connects and never sends must not block shutdown forever

    def do_POST(self) -> None:  # noqa: N802 - name fixed by BaseHTTPRequestHandler
        self.server.fake._serve(self)

    def do_GET(self) -> None:  # noqa: N802
        self.server.fake._serve(self)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Silence stderr access logging: the JSON request log is the record."""

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The ``Date`` header on the account's clock (which tests may set apart)."""
        return email.utils.format_datetime(self.server.fake.account.clock.utc(), usegmt=True)


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins handler threads, so nothing outlives stop()
    block_on_close = True

    def __init__(self, address: tuple[str, int], fake: FakeSendsay) -> None:
        self.fake = fake
        super().__init__(address, _Handler)


# --------------------------------------------------------------------------- the double


class FakeSendsay:
    """The Sendsay test double: account state + HTTP server + request log + faults.

    ``groups`` maps list ids to recipient counts (what ``stat.uni`` numbers derive from);
    ``senders`` restricts ``from.email`` when given; sessions die after ``session_lifetime``
    seconds without use (None: never). ``timezone`` is the account's zone for every date it
    writes, ``clock_offset`` seconds put its clock ahead of (negative: behind) this machine's,
    and ``stats_lag`` seconds pass before a new issue appears in ``stat.uni`` (see
    :class:`~publisher.testing.fake_sendsay_account.AccountClock`); ``catalogue`` holds old
    issues (a back catalogue for ``issue.list``/``issue.get``, see fake_sendsay_catalogue).
    Start it with
    ``with FakeSendsay(...) as fake:`` or :meth:`start`/:meth:`stop`.
    """

    def __init__(self, *, login: str = DEFAULT_LOGIN, apikey: str | None = "fake-apikey",
                 password: str | None = "fake-password", sublogin: str = "",
                 groups: Mapping[str, int] | None = None, senders: list[str] | None = None,
                 session_lifetime: float | None = None, log_path: Path | str | None = None,
                 host: str = "127.0.0.1", port: int = 0, track_running_polls: int = 1,
                 timezone: dt.tzinfo = MOSCOW, clock_offset: float = 0.0,
                 stats_lag: float = 0.0, catalogue: Iterable[OldIssue] = ()) -> None:
        self.account = SendsayAccount(
            login=login, apikey=apikey, password=password, sublogin=sublogin,
            groups=groups if groups is not None else {"pl01": 120},
            senders=senders, session_lifetime=session_lifetime,
            track_running_polls=track_running_polls,
            account_clock=AccountClock(dt.timedelta(seconds=clock_offset), timezone,
                                       stats_lag))
        self.account.add_back_catalogue(catalogue)  # old issues for issue.list / issue.get
        self.login = login
        self.log_path = Path(log_path) if log_path is not None else None
        self._address = (host, port)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._log: list[dict[str, Any]] = []
        self._log_lock = threading.Lock()
        self._faults: list[Fault] = []
        self._seq = 0

    # ---- lifecycle

    def start(self) -> FakeSendsay:
        """Bind the port and serve in a background thread."""
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server(self._address, self)
        # a short poll interval makes stop() take milliseconds instead of half a second
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.01,),
                                        name="fake-sendsay", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake delayed answers, join every thread and close the socket."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> FakeSendsay:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = self.base_url if self._server is not None else "stopped"
        return f"<FakeSendsay {self.login} {state}>"

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeSendsay is not started")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """The bare host, e.g. ``http://127.0.0.1:54321`` (requests to it are redirected)."""
        return f"http://{self._address[0]}:{self.port}"

    @property
    def account_url(self) -> str:
        """The account address, ``<base_url>/general/api/v100/json/<login>``."""
        return f"{self.base_url}{ACCOUNT_PREFIX}{self.login}"

    # ---- what tests inspect

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The request log so far (copies of the JSON lines, in the order they were written)."""
        with self._log_lock:
            return json.loads(json.dumps(self._log))

    def executed_sends(self) -> list[dict[str, Any]]:
        """Log lines of executed ``issue.send`` calls (outcome ``ok``), batch members included."""
        return [e for e in self.requests if e["action"] == "issue.send" and e["outcome"] == "ok"]

    def clear_requests(self) -> None:
        """Forget the in-memory log (the log file, if any, is left alone)."""
        with self._log_lock:
            self._log.clear()

    # ---- what tests switch

    def expire_sessions(self) -> None:
        """Kill every session: the next call with one gets ``error/auth/failed`` / ``expired``."""
        self.account.expire_sessions()

    def script_track(self, track_id: str, statuses: list[int]) -> None:
        """Make ``track.get`` report ``statuses`` in turn for this track (the last one repeats)."""
        self.account.script_track(track_id, statuses)

    @property
    def clock(self) -> AccountClock:
        """The account's clock: ``fake.clock.advance(600)`` lets ten minutes pass for it."""
        return self.account.clock

    def reset_connection_after_send(self, count: int = 1) -> None:
        """Execute the next ``count`` ``issue.send`` (logged ``ok``), then reset the TCP
        connection (RST) instead of answering."""
        self._add_fault(Fault("reset", count, action="issue.send"))

    def drop_connection_after_send(self, count: int = 1) -> None:
        """Execute the next ``count`` ``issue.send`` (logged ``ok``), then hang up, unanswered."""
        self._add_fault(Fault("drop", count, action="issue.send"))

    def answer_server_error(self, count: int = 1, *, status: int = 502,
                            action: str | None = None) -> None:
        """Execute the next ``count`` requests (of ``action``), then answer HTTP ``status``."""
        if not 500 <= status <= 599:
            raise ValueError(f"status must be 5xx, got {status}")
        self._add_fault(Fault("http_error", count, action=action, status=status))

    def answer_non_json(self, count: int = 1, *, action: str | None = None) -> None:
        """Execute the next ``count`` requests (of ``action``), then answer an HTML error page."""
        self._add_fault(Fault("non_json", count, action=action))

    def delay_answers(self, seconds: float, count: int = 1, *, action: str | None = None) -> None:
        """Execute the next ``count`` requests (of ``action``), then wait ``seconds`` to answer."""
        self._add_fault(Fault("delay", count, action=action, seconds=seconds))

    def clear_faults(self) -> None:
        with self._log_lock:
            self._faults.clear()

    def _add_fault(self, fault: Fault) -> None:
        if fault.remaining < 1:
            raise ValueError("count must be at least 1")
        with self._log_lock:
            self._faults.append(fault)

    def _take_fault(self, actions: list[str], sent: bool) -> Fault | None:
        """Consume one use of the first fault that applies to a request with these actions."""
        with self._log_lock:
            for fault in self._faults:
                applies = sent if fault.kind in ("drop", "reset") else (
                    fault.action is None or fault.action in actions)
                if applies:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    # ---- serving one request

    def _serve(self, handler: _Handler) -> None:
        started = time.monotonic()
        url = urlsplit(handler.path)
        query = parse_qs(url.query, keep_blank_values=True)
        length = int(handler.headers.get("Content-Length") or 0)
        wire = parse_body(handler.rfile.read(length) if length > 0 else b"", query)
        credentials = read_credentials(wire.request, handler.headers.get("Authorization"))
        seq = self._next_seq()
        entry: dict[str, Any] = {
            "seq": seq, "path": url.path, "wire_format": wire.wire_format,
            "action": (wire.request or {}).get("action"), "auth": credentials.method,
            "request_id": wire.request_id, "request": mask_secrets(wire.request),
        }

        if handler.command != "POST":
            answer = bad("method").answer()
            self._finish(handler, entry, answer, "error", started, wire, status=405)
            return
        if not self._serves(url.path, wire):
            answer = {"REDIRECT": ACCOUNT_PREFIX + self.login}
            self._finish(handler, entry, answer, "redirect", started, wire)
            return
        request = wire.request
        if request is None:
            error = wire.error or ApiError("error/request/bad_json", "request")
            self._finish(handler, entry, error.answer(), "error", started, wire)
            return

        sends_ok = 0

        def log_inner(inner: dict[str, Any], answer: dict[str, Any]) -> None:
            nonlocal sends_ok
            outcome = "error" if "errors" in answer else "ok"
            sends_ok += inner.get("action") == "issue.send" and outcome == "ok"
            self._append({**entry, "seq": self._next_seq(), "parent_seq": seq,
                          "action": inner.get("action"), "request": mask_secrets(inner),
                          "outcome": outcome, "answer": mask_secrets(answer)})

        answer = self.account.execute(request, credentials, log_inner)
        outcome = "error" if "errors" in answer else "ok"
        sends_ok += entry["action"] == "issue.send" and outcome == "ok"
        actions = [entry["action"]] + [
            r.get("action") for r in request.get("do") or [] if isinstance(r, dict)]
        fault = self._take_fault(actions, sent=sends_ok > 0)
        self._finish(handler, entry, answer, outcome, started, wire, fault=fault)

    def _serves(self, path: str, wire: WireRequest) -> bool:
        """Whether this address executes the request; anything else is redirected (§2, §9.2)."""
        if path.rstrip("/") == ACCOUNT_PREFIX + self.login:
            return True
        return (path.rstrip("/") == ACCOUNT_PREFIX + "-" and wire.request is not None
                and wire.request.get("action") == "ping")

    def _finish(self, handler: _Handler, entry: dict[str, Any], answer: dict[str, Any],
                outcome: str, started: float, wire: WireRequest, *, status: int = 200,
                fault: Fault | None = None) -> None:
        """Wrap the answer in the envelope (§1, §9.3), log it, then answer (or misbehave)."""
        answer = {**answer, "duration": round(time.monotonic() - started, 6)}
        if wire.request_id is not None:
            answer["request.id"] = wire.request_id
        if outcome != "redirect":
            answer["_ehid"] = f"fake-{entry['seq']}"
        self._append({**entry, "outcome": outcome, "answer": mask_secrets(answer),
                      **({"fault": fault.label} if fault else {})})

        body = json.dumps(answer, ensure_ascii=False).encode("utf-8")
        content_type = "application/json; charset=utf-8"
        if fault is not None and fault.kind in ("drop", "reset"):
            handler.close_connection = True
            if fault.kind == "reset":  # close with SO_LINGER 0: the peer gets an RST
                handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                              struct.pack("ii", 1, 0))
            return  # the socket is closed without a byte of answer
        if fault is not None and fault.kind == "delay":
            if self._stopping.wait(fault.seconds):
                return  # shutting down: nobody is waiting for this answer any more
        if fault is not None and fault.kind in ("http_error", "non_json"):
            status = fault.status if fault.kind == "http_error" else 200
            body = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
            content_type = "text/html"
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (e.g. its timeout fired during an injected delay)

    # ---- the log

    def _next_seq(self) -> int:
        with self._log_lock:
            self._seq += 1
            return self._seq

    def _append(self, entry: dict[str, Any]) -> None:
        now = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
        entry = {"seq": entry["seq"], "time": now, **entry}
        line = json.dumps(entry, ensure_ascii=False)
        with self._log_lock:
            self._log.append(json.loads(line))
            if self.log_path is not None:
                with self.log_path.open("a", encoding="utf-8") as f:
                    f.write(line + "\n")


def read_log(path: Path | str) -> list[dict[str, Any]]:
    """Parse a request log written with ``log_path``/``--log`` (for tests of a separate process)."""
    text = Path(path).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# --------------------------------------------------------------------------- command line


def _group(value: str) -> tuple[str, int]:
    group_id, sep, count = value.partition("=")
    if not sep or not group_id or not count.isdigit():
        raise argparse.ArgumentTypeError(f"expected ID=COUNT, e.g. pl01=120, got {value!r}")
    return group_id, int(count)


def main(argv: list[str] | None = None) -> int:
    """Run the double until Ctrl+C or SIGTERM, printing its address first."""
    parser = argparse.ArgumentParser(
        prog="python -m publisher.testing.fake_sendsay",
        description="Local fake of the Sendsay API for rehearsing sends (see sendsay-api.md §9).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--login", default=DEFAULT_LOGIN)
    parser.add_argument("--apikey", default="fake-apikey")
    parser.add_argument("--password", default="fake-password")
    parser.add_argument("--sublogin", default="")
    parser.add_argument("--group", type=_group, action="append", default=[],
                        metavar="ID=COUNT", help="a list and its recipient count (repeatable)")
    parser.add_argument("--sender", action="append", default=None, metavar="EMAIL",
                        help="allowed from.email (repeatable; default: any)")
    parser.add_argument("--session-lifetime", type=float, default=None, metavar="SECONDS")
    parser.add_argument("--clock-offset", type=float, default=0.0, metavar="SECONDS",
                        help="the account's clock is this far ahead of this machine's")
    parser.add_argument("--utc-offset", type=float, default=3.0, metavar="HOURS",
                        help="the account's time zone (default 3: Moscow)")
    parser.add_argument("--log", type=Path, default=None, metavar="FILE",
                        help="append the request log to FILE as JSON lines")
    args = parser.parse_args(argv)

    def stop_on_signal(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    # Both explicitly: a process started in the background inherits SIGINT as ignored.
    signal.signal(signal.SIGINT, stop_on_signal)
    signal.signal(signal.SIGTERM, stop_on_signal)
    fake = FakeSendsay(login=args.login, apikey=args.apikey, password=args.password,
                       sublogin=args.sublogin, groups=dict(args.group) or None,
                       senders=args.sender, session_lifetime=args.session_lifetime,
                       log_path=args.log, host=args.host, port=args.port,
                       clock_offset=args.clock_offset,
                       timezone=dt.timezone(dt.timedelta(hours=args.utc_offset)))
    with fake:
        print(f"Fake Sendsay listening on {fake.base_url} "
              f"(account address {fake.account_url}); Ctrl+C stops it", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

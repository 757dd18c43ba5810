"""Low-level client for the Sendsay HTTP API (``docs/sendsay-api.md`` §1–§6).

It speaks the protocol — account address and REDIRECT, both body formats, API-key or session
authentication, the error shape — and applies the retry rules of §5.4, so the Sendsay backend
above it only deals in issues, audiences and receipts.

Retry rules, because Sendsay has no idempotency key and a repeated ``issue.send`` mails the
whole audience twice:

* a ``REDIRECT`` answer or an ``errors`` answer means nothing was executed; the client repeats
  the request itself only after a REDIRECT or an expired session (re-login, at most 3 times);
* a refused connection means nothing was sent: calls other than ``issue.send`` retry it a couple
  of times, ``issue.send`` raises ``SendError(retryable=True)`` and lets the caller decide;
* a timeout, a reset, an HTTP error status or a body that is not a JSON object means the call may
  have executed: ``SendError(ambiguous=True)``, never repeated.

Secrets: the API key travels only in the ``Authorization`` header (never in a body we might log),
log records and exception messages never contain the key, the password or the session, and
``repr()`` hides them. Request/answer summaries go to the ``publisher.sendsay`` logger at DEBUG.

Not thread-safe: one client per thread (the backend opens one per run).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any, Literal
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests
import urllib3.exceptions

from publisher.errors import ConfigError, SendError

log = logging.getLogger("publisher.sendsay")

BACKEND = "sendsay"
MAX_REDIRECTS = 10
MAX_RELOGINS = 3
#: actions that need no credentials (§3)
NO_AUTH_ACTIONS = frozenset({"ping", "login"})
#: actions never repeated after a refused connection: a second send mails everyone twice
NEVER_REPEATED = frozenset({"issue.send"})
SECRET_KEYS = frozenset({"apikey", "passwd", "session"})
#: Sendsay's clock for ``later.time`` (UTC+3, no DST since 2014; assumed, §5.3 and §10)
MOSCOW = dt.timezone(dt.timedelta(hours=3), "MSK")
#: rewrite text links for click counting, leave image links, also in test copies (§5.3)
RELINK_PARAM = {"link": 1, "image": 0, "test": 1}
STAT_FIELDS = ("issue.id", "issue.name", "issue.dt:Ys", "issue.members", "issue.deliv_ok",
               "issue.deliv_bad", "issue.u_readed", "issue.u_clicked", "issue.unsubed")

WireFormat = Literal["json", "form"]


class TrackOutcome(StrEnum):
    """What a ``track.get`` status means for us (§5.4)."""

    RUNNING = "running"  # 0..6
    OK = "ok"  # -1
    FAILED = "failed"  # -2 error, -3 cancelled, -6 rejected by moderation
    SCHEDULED = "scheduled"  # -4: will be done later (a ``later`` send)
    MODERATION = "moderation"  # -5: held for moderation
    UNKNOWN = "unknown"  # a negative status this client does not know: ask a person


def track_outcome(status: int) -> TrackOutcome:
    """Map a track status to its outcome; the polling loop stops at any negative status."""
    if status >= 0:
        return TrackOutcome.RUNNING
    return {-1: TrackOutcome.OK, -2: TrackOutcome.FAILED, -3: TrackOutcome.FAILED,
            -4: TrackOutcome.SCHEDULED, -5: TrackOutcome.MODERATION,
            -6: TrackOutcome.FAILED}.get(status, TrackOutcome.UNKNOWN)


def mask_secrets(value: Any) -> Any:
    """A copy with every ``apikey``/``passwd``/``session`` value replaced by ``***`` (for logs)."""
    if isinstance(value, Mapping):
        return {k: "***" if k in SECRET_KEYS else mask_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_secrets(v) for v in value]
    return value


def _preview(value: Any, limit: int = 400) -> str:
    text = json.dumps(mask_secrets(value), ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} chars)"


# --------------------------------------------------------------------------- API errors (§4)

#: (substring of the error id, substring of explain or "", what to do); first match wins.
#: Real ids beyond error/auth/failed are unconfirmed (§9), so these are loose on purpose.
_HINTS: tuple[tuple[str, str, str], ...] = (
    ("auth/failed", "expired", "the Sendsay session keeps expiring right after login; "
                               "try again, and check the account in the Sendsay UI"),
    ("group/not_found", "", "check the series' list_id in newsletter.yaml against the lists "
                            "of the Sendsay account"),
    ("sender_not_allowed", "", "add and confirm the from address as a sender in the Sendsay "
                               "account settings"),
    ("draft/not_found", "", "check the draft id: it must exist in the Sendsay account"),
)


def first_error(answer: Mapping[str, Any]) -> tuple[str, str] | None:
    """``(id, explain)`` of the error to report, from ``errors`` or legacy ``error`` (§4)."""
    errors = answer.get("errors")
    first = errors[0] if isinstance(errors, list) and errors else answer.get("error")
    if not first:
        return None
    if not isinstance(first, Mapping):
        first = {"id": str(first)}
    explain = first.get("explain", "")
    explain_text = explain if isinstance(explain, str) else json.dumps(explain, ensure_ascii=False)
    return str(first.get("id") or "error/unknown"), explain_text


def api_error(answer: Mapping[str, Any], action: str, *,
              auth_hint: str = "check the Sendsay credentials") -> SendError | None:
    """The :class:`SendError` for an ``errors`` (or legacy ``error``) answer, else None."""
    found = first_error(answer)
    return None if found is None else error_for(*found, action=action, auth_hint=auth_hint)


def error_for(error_id: str, explain_text: str, *, action: str,
              auth_hint: str = "check the Sendsay credentials") -> SendError:
    """The :class:`SendError` for one API error, with a hint for the common ones.

    An error answer means the request was not executed, hence ``retryable=True``; whether
    repeating can help is what the hint tells a person.
    """
    if "auth/failed" in error_id and explain_text != "expired":
        hint = auth_hint
    else:
        hint = next((h for needle, why, h in _HINTS
                     if needle in error_id and why in explain_text), None)
    detail = f" ({explain_text})" if explain_text else ""
    return SendError(f"{action} failed: {error_id}{detail}", backend=BACKEND, retryable=True,
                     provider_code=error_id, hint=hint)


# --------------------------------------------------------------------------- the client


class SendsayClient:
    """One Sendsay account over HTTP: ``call()`` plus typed helpers for what the backend uses.

    ``base_url`` is the bare host (``https://api.sendsay.ru``; the first call is redirected to
    the account address, which is then remembered) or the account address itself. Give either
    ``apikey`` (a sublogin's key, sent as a header; recommended) or ``password`` (session login
    as ``login``/``sublogin``). ``sleep`` and ``clock`` are injectable so tests of polling and
    retries run instantly.
    """

    def __init__(self, base_url: str, *, login: str, apikey: str | None = None,
                 sublogin: str = "", password: str | None = None,
                 session: requests.Session | None = None, timeout: float = 30,
                 wire_format: WireFormat = "json", connect_retries: int = 2,
                 connect_retry_delay: float = 1.0,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        parts = urlsplit(base_url.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"Sendsay base URL must be http(s)://host[/path], got {base_url!r}")
        if not apikey and not password:
            raise ConfigError("Sendsay needs an API key or a password; neither was given",
                              hint="set SENDSAY_APIKEY (a sublogin's key) in the environment")
        if wire_format not in ("json", "form"):
            raise ConfigError(f"Sendsay wire format must be 'json' or 'form', got {wire_format!r}")
        self.url = urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "", ""))
        self.login = login
        self.sublogin = sublogin
        self.timeout = timeout
        self.wire_format: WireFormat = wire_format
        self.connect_retries = connect_retries
        self.connect_retry_delay = connect_retry_delay
        self._apikey = apikey or None
        self._password = None if apikey else password
        self._session_token: str | None = None
        self._owns_http = session is None
        self._http = session if session is not None else requests.Session()
        self._sleep = sleep
        self._clock = clock
        #: Sendsay's clock: the ``Date`` of its last answer and our monotonic time then
        self._server_date: tuple[dt.datetime, float] | None = None

    def server_now(self) -> dt.datetime | None:
        """Sendsay's current time (aware UTC) from the ``Date`` header of its last answer.

        HTTP dates are UTC whatever the account's zone, so this is how far time has moved on
        Sendsay's side, free of our own clock's error. None before the first answer.
        """
        if self._server_date is None:
            return None
        date, seen = self._server_date
        return date + dt.timedelta(seconds=max(0.0, time.monotonic() - seen))

    def _note_server_date(self, response: requests.Response) -> None:
        try:
            date = email.utils.parsedate_to_datetime(response.headers.get("Date", ""))
        except (TypeError, ValueError, IndexError):
            return
        if date.tzinfo is not None:
            self._server_date = (date.astimezone(dt.UTC), time.monotonic())

    def __repr__(self) -> str:
        auth = "apikey" if self._apikey else "password"
        return (f"SendsayClient(url={self.url!r}, login={self.login!r}, "
                f"sublogin={self.sublogin!r}, auth={auth}, wire_format={self.wire_format!r})")

    def close(self) -> None:
        """Release the HTTP session if the client created it (an injected one is the caller's)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> SendsayClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ---- the one generic call

    def call(self, action: str, **params: Any) -> dict[str, Any]:
        """Run ``action`` and return its answer; dotted names go in as ``**{"later.time": ...}``.

        Raises :class:`SendError` for API errors (``retryable``: nothing was executed) and for
        transport failures (``ambiguous`` unless the connection was refused before sending).
        """
        return self._execute({"action": action, **params})

    def _execute(self, request: dict[str, Any]) -> dict[str, Any]:
        action = request["action"]
        needs_auth = action not in NO_AUTH_ACTIONS
        relogins = 0
        while True:
            body = dict(request)
            if needs_auth and self._password is not None:
                body["session"] = self._session()  # the field: the header form is unconfirmed
            answer = self._roundtrip(body, needs_auth=needs_auth)
            found = first_error(answer)
            if found is None:
                return answer
            if (found == ("error/auth/failed", "expired") and self._password is not None
                    and relogins < MAX_RELOGINS):
                # an errors answer: nothing ran, so repeating (even issue.send) is safe (§5.4)
                relogins += 1
                self._session_token = None
                log.info("sendsay: session expired during %s; logging in again (%d/%d)",
                         action, relogins, MAX_RELOGINS)
                continue
            raise error_for(*found, action=action, auth_hint=self._auth_hint())

    def _session(self) -> str:
        if self._session_token is None:
            login = {"action": "login", "login": self.login, "sublogin": self.sublogin,
                     "passwd": self._password}
            answer = self._roundtrip(login, needs_auth=False)
            found = first_error(answer)
            if found is not None:
                raise error_for(*found, action="login", auth_hint=self._auth_hint())
            session = answer.get("session")
            if not isinstance(session, str) or not session:
                raise SendError("login answer has no session", backend=BACKEND, ambiguous=True)
            self._session_token = session
        return self._session_token

    def _auth_hint(self) -> str:
        if self._apikey:
            return ("check SENDSAY_APIKEY: it must be the key of a Sendsay sublogin whose role "
                    "may send mail (the account owner has no key)")
        return "check the Sendsay login, sublogin and password in the environment"

    def _roundtrip(self, request: dict[str, Any], *, needs_auth: bool) -> dict[str, Any]:
        """POST one request, following REDIRECTs (safe: a redirected request did not run, §2)."""
        for _ in range(MAX_REDIRECTS + 1):
            answer = self._post(request, needs_auth=needs_auth)
            if first_error(answer) is not None or "REDIRECT" not in answer:
                return answer  # errors are checked before REDIRECT (§2)
            self._follow(answer["REDIRECT"])
        raise SendError(
            f"{request['action']} was redirected {MAX_REDIRECTS} times in a row; giving up",
            backend=BACKEND, retryable=True,
            hint="check the Sendsay base URL and login in newsletter.yaml")

    def _follow(self, target: Any) -> None:
        # Only a path on the same host: following an absolute URL would hand our credentials
        # to whatever host the answer names.
        if not isinstance(target, str) or not target.startswith("/") or target.startswith("//"):
            raise SendError(f"Sendsay redirected to an unexpected address {target!r}",
                            backend=BACKEND, retryable=True,
                            hint="check the Sendsay base URL in newsletter.yaml")
        parts = urlsplit(self.url)
        self.url = urlunsplit((parts.scheme, parts.netloc, target, "", ""))
        log.info("sendsay: redirected to %s; later requests go there", self.url)

    # ---- one HTTP exchange

    def _post(self, request: dict[str, Any], *, needs_auth: bool) -> dict[str, Any]:
        action = request["action"]
        data, headers = self._encode(request, needs_auth=needs_auth)
        attempts = 1 + (0 if _sends(request) else self.connect_retries)
        for attempt in range(1, attempts + 1):
            log.debug("sendsay → %s %s [%s] %s", action, self.url, self.wire_format,
                      _preview(request))
            started = self._clock()
            try:
                response = self._http.post(self.url, data=data, headers=headers,
                                           timeout=self.timeout)
            except requests.RequestException as exc:
                if not _not_sent(exc):
                    raise SendError(
                        f"{action}: {_describe(exc)} after the request was sent; it may have "
                        "been executed", backend=BACKEND, ambiguous=True,
                        hint="do not resend: look the issue up in Sendsay first") from exc
                if attempt == attempts:
                    raise SendError(f"{action}: could not connect to {_host(self.url)} "
                                    f"({_describe(exc)}); nothing was sent", backend=BACKEND,
                                    retryable=True) from exc
                log.info("sendsay: %s: connection refused, retrying (%d/%d)", action, attempt,
                         attempts - 1)
                self._sleep(self.connect_retry_delay)
                continue
            self._note_server_date(response)
            answer = self._decode(response, action)
            log.debug("sendsay ← %s in %.3fs: %s", action, self._clock() - started,
                      _preview(answer))
            return answer
        raise AssertionError("unreachable: the loop returns or raises")

    def _encode(self, request: dict[str, Any], *, needs_auth: bool) -> tuple[bytes, dict[str, str]]:
        headers = {"Accept": "application/json"}
        if needs_auth and self._apikey:
            headers["Authorization"] = f"sendsay apikey={self._apikey}"
        payload = json.dumps(request, ensure_ascii=False)
        if self.wire_format == "json":
            headers["Content-Type"] = "application/json; charset=utf-8"
            return payload.encode("utf-8"), headers
        headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
        form = {"apiversion": "100", "json": "1", "request": payload,
                "request.id": f"pub-{uuid.uuid4().hex[:12]}"}
        return urlencode(form).encode("ascii"), headers

    def _decode(self, response: requests.Response, action: str) -> dict[str, Any]:
        """The answer object; anything else is a transport failure after the call was sent."""
        if not 200 <= response.status_code < 300:
            raise SendError(f"{action}: HTTP {response.status_code} from Sendsay; the call may "
                            "have been executed", backend=BACKEND, ambiguous=True,
                            hint="do not resend: look the issue up in Sendsay first")
        try:
            answer = json.loads(response.content.decode("utf-8"))
        except ValueError as exc:  # UnicodeDecodeError is a ValueError too
            raise SendError(f"{action}: Sendsay answered something that is not JSON; the call "
                            "may have been executed", backend=BACKEND, ambiguous=True,
                            hint="do not resend: look the issue up in Sendsay first") from exc
        if not isinstance(answer, dict):
            raise SendError(f"{action}: Sendsay answered JSON that is not an object; the call "
                            "may have been executed", backend=BACKEND, ambiguous=True)
        return answer

    # ---- health and identity (§6.1)

    def ping(self) -> dict[str, Any]:
        """Reachability check; needs no credentials."""
        return self.call("ping")

    def pong(self) -> dict[str, Any]:
        """Credentials check: answers ``ping``, ``account`` and ``sublogin``."""
        return self.call("pong")

    def logout(self) -> None:
        """End the session, if there is one (API-key clients have nothing to end)."""
        if self._session_token is None:
            return
        try:
            self.call("logout")
        finally:
            self._session_token = None

    # ---- sending (§5)

    def issue_send(self, letter: Mapping[str, Any], *, sendwhen: str, group: str | None = None,
                   email: str | None = None, users_list: str | None = None,
                   mca: list[str] | None = None, later_time: dt.datetime | str | None = None,
                   name: str | None = None, labels: list[str] | None = None,
                   relink: bool = True, timezone: dt.tzinfo | None = None) -> dict[str, Any]:
        """Create an issue and start delivery; the answer holds ``track.id``.

        Called once per issue: it is repeated only after a REDIRECT or an expired session, and
        an ambiguous failure (:class:`SendError` with ``ambiguous``) must be reconciled through
        :meth:`issue_list`/:meth:`stat_uni_issues`, never answered by sending again. ``email``
        alone implies ``group="personal"``, ``users_list`` alone ``group="masssending"``.
        An aware ``later_time`` is converted to the account's ``timezone`` (default Moscow); a
        naive one is refused.
        """
        if sendwhen not in ("now", "later", "test"):
            raise ValueError(f"sendwhen must be now, later or test, got {sendwhen!r}")
        if group is None:
            group = "personal" if email else "masssending" if users_list else None
        if sendwhen != "test" and group is None:
            raise ValueError("issue_send needs a group, an email or a users_list")
        if (sendwhen == "later") != (later_time is not None):
            raise ValueError("later_time is required with sendwhen='later' and only then")
        if sendwhen == "test" and not mca:
            raise ValueError("sendwhen='test' needs mca addresses")
        request: dict[str, Any] = {"action": "issue.send", "sendwhen": sendwhen,
                                   "letter": dict(letter)}
        optional = {"group": group, "email": email, "users.list": users_list, "mca": mca,
                    "later.time": _later_time(later_time, timezone or MOSCOW)
                    if later_time is not None else None,
                    "name": name, "label": labels}
        request.update({k: v for k, v in optional.items() if v is not None})
        if relink:
            request.update({"relink": 1, "relink.param": dict(RELINK_PARAM)})
        answer = self._execute(request)
        log.info("sendsay: issue.send %s accepted, track %s", name or "(unnamed)",
                 answer.get("track.id"))
        return answer

    def track_get(self, track_id: str) -> dict[str, Any]:
        """The track object (``id``, ``status``, ``dt``, ...) of an asynchronous job."""
        obj = self.call("track.get", id=str(track_id)).get("obj")
        if not isinstance(obj, dict) or not isinstance(obj.get("status"), (int, str)):
            raise SendError(f"track.get {track_id}: answer has no status", backend=BACKEND,
                            ambiguous=True)
        return {**obj, "status": int(obj["status"])}

    def wait_for_track(self, track_id: str, *,
                       on_progress: Callable[[dict[str, Any]], None] | None = None,
                       initial_delay: float = 3.0, max_delay: float = 60.0, factor: float = 1.5,
                       timeout: float = 3600.0) -> dict[str, Any]:
        """Poll ``track.get`` with a growing delay until the status is negative; return the track.

        The first poll waits ``initial_delay`` (Sendsay asks for calm polling, §8). Map the
        final status with :func:`track_outcome`. A failure here never means "not sent": the
        issue was accepted before polling began, so a :class:`SendError` from this method is
        ``ambiguous`` and must not lead to a resend.
        """
        started = self._clock()
        delay = initial_delay
        while True:
            self._sleep(delay)
            track = self.track_get(track_id)
            if on_progress is not None:
                on_progress(track)
            if track["status"] < 0:
                return track
            delay = min(delay * factor, max_delay)
            if self._clock() - started + delay > timeout:
                raise SendError(
                    f"track {track_id} still running (status {track['status']}) after "
                    f"{timeout:g}s", backend=BACKEND, ambiguous=True,
                    hint="the mailing was accepted; check it in Sendsay, do not resend")

    def batch(self, calls: list[dict[str, Any]], *,
              stop_on_error: bool = False) -> list[dict[str, Any]]:
        """Run several requests in one round trip (§6.7); inner answers may be error answers.

        Check each with :func:`api_error`. A batch containing ``issue.send`` follows the
        ``issue.send`` retry rules.
        """
        answer = self.call("batch", do=list(calls), stop_on_error=int(stop_on_error))
        result = answer.get("result")
        return result if isinstance(result, list) else []

    # ---- archive and statistics (§6.4, §6.5)

    def issue_list(self, from_: dt.date | str | None = None, upto: dt.date | str | None = None,
                   groups: list[str] | None = None) -> list[dict[str, Any]]:
        """Issues sent between two days (inclusive), optionally only to these lists."""
        params: dict[str, Any] = {}
        if from_ is not None:
            params["from"] = str(from_)
        if upto is not None:
            params["upto"] = str(upto)
        if groups is not None:
            params["group"] = list(groups)
        return list(self.call("issue.list", **params).get("list") or [])

    def issue_get(self, issue_id: str | int) -> dict[str, Any]:
        """One archived issue (§6.4; the answer's shape is assumed): ``id``, ``dt``, ``name``."""
        return dict(self.call("issue.get", id=issue_id).get("obj") or {})

    def issue_names(self, ids: list[Any]) -> dict[str, str | None]:
        """``issue.get`` of several issues in one ``batch`` round trip: id -> name.

        An issue whose answer is an error (or has no name) maps to None: it is not ours to
        claim, and a caller matching on names treats it as "not this one".
        """
        names: dict[str, str | None] = {}
        for start in range(0, len(ids), 50):
            chunk = ids[start:start + 50]
            answers = self.batch([{"action": "issue.get", "id": i} for i in chunk])
            for issue_id, answer in zip(chunk, answers):
                obj = answer.get("obj") if isinstance(answer, dict) else None
                name = obj.get("name") if isinstance(obj, dict) else None
                names[str(issue_id)] = name if isinstance(name, str) else None
        return names

    def stat_uni(self, select: list[str], *, filters: list[dict[str, Any]] | None = None,
                 order: list[str] | None = None, skip: int | None = None,
                 first: int | None = None) -> list[list[Any]]:
        """An inline ``stat.uni`` query; one list of values per row, in ``select`` order."""
        params: dict[str, Any] = {"result": "response", "select": list(select)}
        optional = {"filter": filters, "order": order, "skip": skip, "first": first}
        params.update({k: v for k, v in optional.items() if v is not None})
        return list(self.call("stat.uni", **params).get("list") or [])

    def stat_uni_issues(self, name: str, *, first: int = 10) -> list[dict[str, Any]]:
        """Per-issue numbers of every issue named ``name``, newest first.

        More than one row means the issue went out more than once: reconciliation uses this.
        Keys are the field names without ``issue.`` and precision: ``id``, ``name``, ``dt``,
        ``members``, ``deliv_ok``, ``deliv_bad``, ``u_readed``, ``u_clicked``, ``unsubed``.
        """
        rows = self.stat_uni(list(STAT_FIELDS),
                             filters=[{"a": "issue.name", "op": "==", "v": name}],
                             order=["-issue.dt:Ys", "-issue.id"], first=first)
        keys = [f.removeprefix("issue.").split(":")[0] for f in STAT_FIELDS]
        return [dict(zip(keys, row)) for row in rows]

    def link_clicks(self, issue_id: str | int) -> list[tuple[str, int]]:
        """Clicks per link of one sent issue: ``[(url, clicks), …]``, most clicked first.

        ASSUMED query: §6.5 names a ``click.*`` area of per-event rows and aggregates in
        ``select`` but documents none of the area's fields; ``click.url`` grouped by
        ``count(*)`` and filtered on ``click.issue.id`` is the shape asked. An account that
        does not answer it raises the SendError of its error answer (the caller degrades).
        Liberal in what it accepts: rows of ``[url, count]`` (counts as numbers or strings).
        """
        rows = self.stat_uni(["click.url", "count(*)"],
                             filters=[{"a": "click.issue.id", "op": "==", "v": str(issue_id)}])
        clicks: dict[str, int] = {}
        for row in rows:
            if isinstance(row, (list, tuple)) and len(row) >= 2 and isinstance(row[0], str):
                try:
                    count = int(row[1])
                except (TypeError, ValueError):
                    continue
                clicks[row[0]] = clicks.get(row[0], 0) + max(0, count)
        return sorted(clicks.items(), key=lambda item: (-item[1], item[0]))

    def stat_uni_issue(self, name: str) -> dict[str, Any] | None:
        """Numbers of the newest issue named ``name`` (see :meth:`stat_uni_issues`), or None."""
        rows = self.stat_uni_issues(name, first=1)
        return rows[0] if rows else None

    # ---- drafts, lists, members (§6.2, §6.3, §6.6)

    def draft_set(self, obj: Mapping[str, Any],
                  id: str | int | None = None) -> dict[str, Any]:  # noqa: A002
        """Store a draft (overwrite ``id`` when given); the answer has ``id`` and ``obj``."""
        params: dict[str, Any] = {"obj": dict(obj), "return_fresh_obj": 1}
        if id is not None:
            params["id"] = id
        return self.call("issue.draft.set", **params)

    def draft_get(self, id: str | int) -> dict[str, Any]:  # noqa: A002
        return dict(self.call("issue.draft.get", id=id).get("obj") or {})

    def group_list(self) -> list[dict[str, Any]]:
        """The account's lists and segments (``id``, ``name``, ...)."""
        return list(self.call("group.list").get("list") or [])

    def member_set(self, email: str, *, datakey: list[list[Any]] | None = None,
                   if_exists: Literal["overwrite", "must", "error", "ignore"] = "overwrite",
                   newbie_confirm: bool = False) -> dict[str, Any]:
        """Add or update a subscriber; a datakey row is ``["base.firstName", "set", "Анна"]``."""
        params: dict[str, Any] = {"email": email, "addr_type": "email", "if_exists": if_exists,
                                  "newbie.confirm": int(newbie_confirm), "return_fresh_obj": 1}
        if datakey is not None:
            params["datakey"] = [list(row) for row in datakey]
        return self.call("member.set", **params)

    def member_get(self, email: str) -> dict[str, Any]:
        return dict(self.call("member.get", email=email).get("obj") or {})


# --------------------------------------------------------------------------- helpers


def _sends(request: Mapping[str, Any]) -> bool:
    """Whether the request (or a request inside a batch) is one we never repeat."""
    if request.get("action") in NEVER_REPEATED:
        return True
    inner = request.get("do")
    return isinstance(inner, list) and any(
        isinstance(r, Mapping) and r.get("action") in NEVER_REPEATED for r in inner)


def _not_sent(exc: requests.RequestException) -> bool:
    """True only when the connection failed before a byte of the request left (§5.4, §8)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if not isinstance(exc, requests.ConnectionError):
        return False
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)  # urllib3 wraps it in MaxRetryError
    return isinstance(reason, (urllib3.exceptions.NewConnectionError,
                               urllib3.exceptions.ConnectTimeoutError))


def _describe(exc: BaseException) -> str:
    """A short, secret-free description: the exception type, not its text (which holds URLs)."""
    if isinstance(exc, requests.Timeout):
        return "timed out"
    if isinstance(exc, requests.ConnectionError):
        return "connection failed" if _not_sent(exc) else "connection lost"
    return type(exc).__name__


def _host(url: str) -> str:
    return urlsplit(url).netloc


def _later_time(value: dt.datetime | str, timezone: dt.tzinfo) -> str:
    """``later.time`` as Sendsay reads it: the account's wall-clock time, to the minute."""
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        raise ValueError("later_time must be timezone-aware (Sendsay reads it in the "
                         "account's time zone)")
    return value.astimezone(timezone).strftime("%Y-%m-%d %H:%M")

"""The Sendsay backend: one ``issue.send`` per mailing over :class:`SendsayClient`.

Audiences: a stored list (``group`` = the series' ``list_id``), an explicit cohort (express
send: ``group: masssending`` + ``users.list``, after ``member.set`` made sure every address
exists in the account), or test proofs (``sendwhen: test`` + ``mca``). ``name`` and ``label``
are the issue key, which is how :meth:`reconcile` finds an issue whose answer was lost.

Credentials come only from the environment (``SENDSAY_APIKEY``, or ``SENDSAY_LOGIN`` /
``SENDSAY_SUBLOGIN`` / ``SENDSAY_PASSWORD``); the API address from ``esp.sendsay.api_url``
with ``SENDSAY_API_URL`` overriding it.
"""

from __future__ import annotations

import datetime as dt
import os
import zoneinfo
from collections.abc import Callable
from typing import Any, ClassVar
from urllib.parse import urlsplit

from publisher.backends.base import BaseBackend, Delivery, EspIssue, Journal, StatusReport
from publisher.backends.sendsay_client import SendsayClient, TrackOutcome, api_error, track_outcome
from publisher.config import Project
from publisher.errors import ConfigError, SendError
from publisher.models import Audience, Email, Recipient, SendReceipt

ACCOUNT_PATH = "/general/api/v100/json/"
MEMBER_BATCH = 100
#: at most this many issues of one group listed around an attempt are checked by name
LIST_LOOKUP = 200
_FUNNEL = (("recipients", "members"), ("delivered", "deliv_ok"), ("unique opens", "u_readed"),
           ("unique clicks", "u_clicked"))


def account_url(api_url: str, login: str) -> str:
    """The account address when the login is known (saves the REDIRECT round trip)."""
    parts = urlsplit(api_url)
    if login and parts.path in ("", "/"):
        return f"{parts.scheme}://{parts.netloc}{ACCOUNT_PATH}{login}"
    return api_url


class SendsayBackend(BaseBackend):
    """Sends through the Sendsay API; options are the client's plus polling settings."""

    name = "sendsay"
    supports_lists = True
    supports_scheduling = True
    looks_up = True
    defaults: ClassVar[dict[str, Any]] = {
        "api_url": "https://api.sendsay.ru/", "login": "", "sublogin": "", "apikey": None,
        "password": None, "relink": True, "timeout": 30.0, "poll_interval": 3.0,
        "poll_timeout": 900.0, "session": None, "sleep": None, "timezone": "Europe/Moscow",
        "settle_minutes": 5.0,
    }

    @classmethod
    def options_from(cls, project: Project) -> dict[str, Any]:
        settings = project.settings.esp.sendsay
        env = os.environ
        return {
            "api_url": env.get("SENDSAY_API_URL") or settings.api_url,
            "login": env.get("SENDSAY_LOGIN") or settings.login,
            "sublogin": env.get("SENDSAY_SUBLOGIN") or settings.sublogin,
            "apikey": env.get("SENDSAY_APIKEY") or None,
            "password": env.get("SENDSAY_PASSWORD") or None,
            "relink": settings.relink, "timeout": settings.timeout,
            "poll_interval": settings.poll_interval, "poll_timeout": settings.poll_timeout,
            "timezone": settings.timezone, "settle_minutes": settings.settle_minutes,
        }

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        o = self.options
        if not o["apikey"] and not o["password"]:
            raise ConfigError("sendsay: no credentials in the environment",
                              hint="set SENDSAY_APIKEY (the API key of a sublogin), or "
                                   "SENDSAY_LOGIN, SENDSAY_SUBLOGIN and SENDSAY_PASSWORD")
        if o["password"] and not o["apikey"] and not o["login"]:
            raise ConfigError("sendsay: a password needs a login",
                              hint="set SENDSAY_LOGIN (or esp.sendsay.login)")
        try:
            self.timezone: dt.tzinfo = zoneinfo.ZoneInfo(str(o["timezone"]))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"sendsay: unknown time zone {o['timezone']!r}",
                              hint="set esp.sendsay.timezone to an IANA name such as "
                                   "Europe/Moscow") from None
        self.settle_after = dt.timedelta(minutes=float(o["settle_minutes"]))
        self.client: SendsayClient | None = None
        self._members_done: set[tuple[str, ...]] = set()

    def __repr__(self) -> str:
        return f"SendsayBackend({self.options['api_url']!r}, login={self.options['login']!r})"

    def open(self) -> None:
        if self.client is not None:
            return
        o = self.options
        extra = {"sleep": o["sleep"]} if o["sleep"] else {}
        self.client = SendsayClient(account_url(o["api_url"], o["login"]), login=o["login"],
                                    apikey=o["apikey"], sublogin=o["sublogin"],
                                    password=o["password"], session=o["session"],
                                    timeout=o["timeout"], **extra)

    def close(self) -> None:
        if self.client is None:
            return
        client, self.client = self.client, None
        try:
            client.logout()
        except SendError:
            pass  # the session dies on its own; closing must not mask the run's result
        finally:
            client.close()

    def _client(self) -> SendsayClient:
        self.open()
        assert self.client is not None
        return self.client

    # ---- before anything is recorded

    def check(self, email: Email, audience: Audience) -> None:
        """Credentials and list id, so a wrong key or list fails before the ledger is touched."""
        client = self._client()
        client.pong()
        if audience.kind == "list":
            ids = {str(group.get("id")) for group in client.group_list()}
            if audience.list_id not in ids:
                raise SendError(f"list {audience.list_id!r} does not exist in the account "
                                f"(lists: {', '.join(sorted(ids)) or 'none'})",
                                backend=self.name, retryable=True,
                                hint="check the series' list_id in newsletter.yaml")
        elif audience.kind == "recipients":
            self.ensure_members(audience.recipients)

    # ---- sending

    def letter(self, email: Email) -> dict[str, Any]:
        letter: dict[str, Any] = {"subject": email.subject, "from.email": email.from_email,
                                  "from.name": email.from_name,
                                  "message": {"html": email.html, "text": email.text}}
        if email.reply_to:
            letter["reply.email"] = email.reply_to
        return letter

    def send(self, email: Email, audience: Audience, *, at: dt.datetime | None = None,
             journal: Journal | None = None, attempt: str = "") -> SendReceipt:
        client = self._client()
        # the stable key is the name (what lookups match on) and the first label; the attempt
        # id is a second label, so a person can tell attempts apart in the Sendsay UI
        labels = [email.issue_key[:128]] + ([f"attempt:{attempt}"[:128]] if attempt else [])
        params: dict[str, Any] = {"name": email.issue_key, "labels": labels,
                                  "relink": bool(self.options["relink"]),
                                  "timezone": self.timezone}
        if audience.kind == "test":
            params.update(sendwhen="test", mca=[r.email for r in audience.recipients])
        else:
            if audience.kind == "list":
                params["group"] = audience.list_id
            else:
                self.ensure_members(audience.recipients)
                params.update(group="masssending", users_list=users_list(audience.recipients))
            if at is not None:
                params.update(sendwhen="later", later_time=at)
            else:
                params["sendwhen"] = "now"
        answer = client.issue_send(self.letter(email), **params)
        track = answer.get("track.id")
        if track in (None, ""):
            raise SendError("issue.send answer has no track.id; the issue may have been "
                            "created", backend=self.name, ambiguous=True,
                            hint="do not resend: look the issue up in Sendsay first")
        count = len(audience.recipients)
        return SendReceipt(backend=self.name, issue_key=email.issue_key,
                           audience=audience.describe(), provider_id=str(track),
                           accepted=count, scheduled_for=at)

    def ensure_members(self, recipients: tuple[Recipient, ...]) -> None:
        """``member.set`` every address (batched), keeping existing subscribers' data."""
        done_key = tuple(sorted(r.email.lower() for r in recipients))
        if done_key in self._members_done:
            return
        client = self._client()
        calls = []
        for r in recipients:
            call: dict[str, Any] = {"action": "member.set", "email": r.email,
                                    "addr_type": "email", "if_exists": "ignore",
                                    "newbie.confirm": 0}
            if r.name:
                call["datakey"] = [["base.firstName", "set", r.name]]
            calls.append(call)
        for start in range(0, len(calls), MEMBER_BATCH):
            chunk = calls[start:start + MEMBER_BATCH]
            answers = client.batch(chunk, stop_on_error=True)
            if len(answers) != len(chunk):
                failed = next((a for a in answers if "errors" in a), None)
                error = api_error(failed, "member.set") if failed else None
                raise error or SendError("member.set batch answered incompletely",
                                         backend=self.name, retryable=True)
            for call, answer in zip(chunk, answers):
                error = api_error(answer, f"member.set {call['email']}")
                if error:
                    raise error
        self._members_done.add(done_key)

    def wait(self, receipt: SendReceipt,
             on_progress: Callable[[Delivery], None] | None = None) -> Delivery | None:
        client = self._client()

        def report(track: dict[str, Any]) -> None:
            if on_progress:
                on_progress(_delivery(track))

        interval = float(self.options["poll_interval"])
        track = client.wait_for_track(receipt.provider_id, on_progress=report,
                                      initial_delay=interval, max_delay=max(interval, 60.0),
                                      timeout=float(self.options["poll_timeout"]))
        return _delivery(track)

    # ---- after the fact

    def esp_now(self) -> dt.datetime | None:
        """Sendsay's clock (the ``Date`` of its last answer), or None before any answer."""
        return self.client.server_now() if self.client is not None else None

    def lookup(self, issue_key: str, audience: Audience, around: dt.datetime | None = None,
               at_least: int = 1) -> list[EspIssue]:
        """Issues named ``issue_key`` in Sendsay, oldest first: by name, never by time.

        ``stat.uni`` filtered on ``issue.name`` is the fast, exact index (one call). Its
        numbers can lag behind a brand-new issue (§5.4), so when it shows fewer than
        ``at_least`` issues, ``issue.list`` for the audience's group over the days around the
        attempt is read too, and each listed issue's name is fetched (``issue.get`` in one
        ``batch``): an issue counts only when its name is ours. Days are in the account's
        time zone, one day either side, so a zone or clock difference cannot hide it.
        """
        client = self._client()
        zone = self.timezone
        found: dict[str, EspIssue] = {}
        for row in client.stat_uni_issues(issue_key, first=100):
            if row.get("name") == issue_key and row.get("id") is not None:
                found[str(row["id"])] = EspIssue(str(row["id"]), issue_key,
                                                 _account_time(row.get("dt"), zone))
        if len(found) < at_least and audience.kind != "test":
            group = audience.list_id if audience.kind == "list" else "masssending"
            now = self.esp_now() or dt.datetime.now(dt.UTC)
            start = (around or now - dt.timedelta(days=1)).astimezone(zone).date() \
                - dt.timedelta(days=1)
            upto = now.astimezone(zone).date() + dt.timedelta(days=1)
            listed = client.issue_list(from_=min(start, upto), upto=upto, groups=[group])
            listed = [i for i in listed if i.get("id") is not None
                      and str(i["id"]) not in found][-LIST_LOOKUP:]
            names = client.issue_names([i["id"] for i in listed]) if listed else {}
            for item in listed:
                if names.get(str(item["id"])) == issue_key:
                    found[str(item["id"])] = EspIssue(str(item["id"]), issue_key,
                                                      _account_time(item.get("date"), zone),
                                                      item.get("gid"))
        return sorted(found.values(), key=lambda i: (i.when is None, i.when or 0, i.id))

    def stat_rows(self, issue_key: str) -> list[dict[str, Any]]:
        """Every ``stat.uni`` row of the issues named ``issue_key`` (for ``publisher stats``)."""
        return self._client().stat_uni_issues(issue_key, first=50)

    def link_clicks(self, issue_id: str) -> list[tuple[str, int]]:
        """Clicks per link of one Sendsay issue (an assumed query, see SendsayClient)."""
        return self._client().link_clicks(issue_id)

    def status(self, issue_key: str, ref: str) -> StatusReport | None:
        client = self._client()
        delivery = None
        note = ""
        if ref and ref.isdigit():
            try:
                delivery = _delivery(client.track_get(ref))
            except SendError as exc:
                note = f"track {ref}: {exc} (tracks are kept about two months)"
        row = client.stat_uni_issue(issue_key)
        numbers: list[tuple[str, int]] = []
        if row:
            numbers = [(label, int(row.get(key) or 0)) for label, key in _FUNNEL]
            numbers.insert(2, ("bounced", int(row.get("deliv_bad") or 0)))
            numbers.append(("unsubscribes", int(row.get("unsubed") or 0)))
        return StatusReport(delivery=delivery, numbers=tuple(numbers), note=note,
                            extra={"issue_id": row.get("id")} if row else {})


def users_list(recipients: tuple[Recipient, ...]) -> str:
    """The express-send list: addresses one per line, or CSV with names when there are any."""
    if not any(r.name for r in recipients):
        return "\n".join(r.email for r in recipients)
    rows = ["member.email;data.name"]
    rows += [f"{r.email};{' '.join(r.name.replace(';', ' ').split())}" for r in recipients]
    return "\n".join(rows)


def _delivery(track: dict[str, Any]) -> Delivery:
    status = int(track["status"])
    outcome = track_outcome(status)
    labels = {TrackOutcome.RUNNING: "running", TrackOutcome.OK: "finished",
              TrackOutcome.FAILED: {-2: "finished with an error", -3: "cancelled",
                                    -6: "rejected by moderation"}.get(status, "failed"),
              TrackOutcome.SCHEDULED: "scheduled", TrackOutcome.MODERATION: "held for moderation",
              TrackOutcome.UNKNOWN: "unknown status"}
    return Delivery(outcome=str(outcome), status=status,
                    detail=f"track {track.get('id')}: {labels[outcome]} (status {status})")


def _account_time(value: Any, zone: dt.tzinfo) -> dt.datetime | None:
    """A Sendsay date (naive wall-clock time of the account's zone) as an aware datetime."""
    if not isinstance(value, str):
        return None
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return dt.datetime.strptime(value[:19], pattern).replace(tzinfo=zone)
        except ValueError:
            continue
    return None

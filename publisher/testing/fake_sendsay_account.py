"""The emulated Sendsay account behind :mod:`publisher.testing.fake_sendsay`.

This module is the API's meaning with no HTTP in it: authentication (§3 of
``docs/sendsay-api.md``), ``issue.send`` and its strict validation (§5, §9.9), tracks, drafts,
lists, members, ``stat.uni``, ``issue.list`` and ``batch`` (§6). The HTTP server, the wire
formats, the request log and fault injection live in ``fake_sendsay.py``; the stateless checks
and the ``stat.uni`` query engine in ``fake_sendsay_checks.py``.

``stat.uni`` numbers are derived from an issue's recipient count ``N`` (formulas in
:func:`~publisher.testing.fake_sendsay_checks.issue_numbers`); ``N`` is 1 for ``personal``, the
row count of ``users.list`` for ``masssending``, the configured count for a stored list, and
``len(mca)`` for ``test`` (test proofs and ``save`` issues are not listed by ``issue.list`` or
``stat.uni``, only ``now`` and ``later`` sends are).
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from publisher.testing.fake_sendsay_catalogue import OldIssue, issue_get
from publisher.testing.fake_sendsay_checks import (
    ApiError, IssueRecord, apply_datakey, bad, check_attaches, check_labels, deep_copy,
    MOSCOW, format_dt, is_email, later_time, member_email, missing, parse_datakey,
    parse_day, parse_users_list, query_click_stats, query_issue_stats, required_str,
)

SENDWHEN = ("now", "later", "test", "save")
#: actions that need no credentials (§3)
NO_AUTH_ACTIONS = frozenset({"ping", "login"})
#: sends that become issues in the archive and in statistics; test proofs and saved issues do not
ARCHIVED_SENDWHEN = frozenset({"now", "later"})


# --------------------------------------------------------------------------- credentials


@dataclass(frozen=True)
class Credentials:
    """What a request carried to identify itself, before anything was checked.

    ``method`` is what the request log records: ``apikey:header``, ``apikey:field``,
    ``session:header``, ``session:field``, ``one_time_auth`` or ``none``.
    """

    method: str = "none"
    apikey: str | None = None
    session: str | None = None
    one_time: Mapping[str, Any] | None = None


def read_credentials(request: Mapping[str, Any] | None, authorization: str | None) -> Credentials:
    """Find the credentials of a request: the header wins over body fields (§3)."""
    if authorization:
        scheme, _, rest = authorization.strip().partition(" ")
        key, sep, value = rest.strip().partition("=")
        if scheme.lower() == "sendsay" and sep and key.strip() == "apikey":
            return Credentials("apikey:header", apikey=value.strip())
        if scheme.lower() == "sendsay" and sep and key.strip() == "session":
            return Credentials("session:header", session=value.strip())
    request = request or {}
    if isinstance(request.get("apikey"), str):
        return Credentials("apikey:field", apikey=request["apikey"])
    if isinstance(request.get("session"), str):
        return Credentials("session:field", session=request["session"])
    if isinstance(request.get("one_time_auth"), Mapping):
        return Credentials("one_time_auth", one_time=request["one_time_auth"])
    return Credentials()


def _same(a: Any, b: str | None) -> bool:
    """Constant-time comparison that treats a missing configured secret as "never equal"."""
    return isinstance(a, str) and b is not None and hmac.compare_digest(a.encode(), b.encode())


# --------------------------------------------------------------------------- the clock


@dataclass
class AccountClock:
    """The account's clock: real time shifted by ``offset``, written in ``timezone``.

    Sendsay writes dates as naive wall-clock time of the account's zone (Moscow is assumed by
    the spec, §5.3); tests put the double in UTC, Moscow or +10 h and its clock minutes away
    from the client's, so a client that trusts its own clock or a fixed zone is caught.
    ``stats_lag`` seconds pass before a new issue shows up in ``stat.uni`` (§5.4: statistics
    can lag a little for a brand-new issue); ``issue.list`` shows it at once.
    """

    offset: dt.timedelta = dt.timedelta(0)
    timezone: dt.tzinfo = MOSCOW
    stats_lag: float = 0.0

    def utc(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.offset

    def now(self) -> dt.datetime:
        """Account wall-clock time, naive, to the second (how Sendsay writes dates)."""
        return self.utc().astimezone(self.timezone).replace(tzinfo=None, microsecond=0)

    def advance(self, seconds: float) -> None:
        """Move the account's clock forward (a test's way to let minutes pass)."""
        self.offset += dt.timedelta(seconds=seconds)


# --------------------------------------------------------------------------- tracks


@dataclass
class Track:
    """An asynchronous job; ``statuses`` are what successive ``track.get`` calls report."""

    id: str
    statuses: list[int]
    created: dt.datetime
    polls: int = 0

    def next_status(self) -> int:
        status = self.statuses[min(self.polls, len(self.statuses) - 1)]
        self.polls += 1
        return status


# --------------------------------------------------------------------------- the account

#: ``report(inner_request, inner_answer)``: how a batch hands each inner result to the log
InnerReport = Callable[[dict[str, Any], dict[str, Any]], None]
Handler = Callable[[dict[str, Any]], dict[str, Any]]


class SendsayAccount:
    """One Sendsay account: its credentials, sessions, lists, drafts, members and issues.

    Thread-safe: :meth:`execute` holds one lock, because the HTTP server answers in parallel.
    Sessions expire after ``session_lifetime`` seconds without use (None: never), or all at once
    through :meth:`expire_sessions`.
    """

    def __init__(self, *, login: str, apikey: str | None, password: str | None, sublogin: str,
                 groups: Mapping[str, int], senders: list[str] | None,
                 session_lifetime: float | None, track_running_polls: int = 1,
                 clock: Callable[[], float] = time.monotonic,
                 account_clock: AccountClock | None = None) -> None:
        self.login = login
        self.sublogin = sublogin
        self._apikey = apikey
        self._password = password
        self.groups = dict(groups)
        self.senders = None if senders is None else {s.lower() for s in senders}
        self.session_lifetime = session_lifetime
        self.track_running_polls = track_running_polls
        #: whether stat.uni answers the (assumed) click.* per-link query; tests switch it off
        self.click_stats = True
        self._clock = clock
        #: the account's wall clock and time zone (tests set them apart from the client's)
        self.clock = account_clock or AccountClock()
        self.lock = threading.RLock()
        self.sessions: dict[str, float] = {}  # session value -> last use (clock)
        self.tracks: dict[str, Track] = {}
        self.issues: list[IssueRecord] = []
        self.drafts: dict[str, dict[str, Any]] = {}
        self.members: dict[str, dict[str, Any]] = {}
        #: workflow ("sequence") id -> addresses started on it, in order
        self.sequence_members: dict[str, list[str]] = {}
        self._next_track = 1
        self._next_issue = 1001  # distinct from track ids, so mixing them up is caught
        self._next_draft = 1
        self._handlers: dict[str, Handler] = {
            "ping": self._ping, "login": self._login, "pong": self._pong,
            "issue.send": self._issue_send, "track.get": self._track_get,
            "issue.draft.set": self._draft_set, "issue.draft.get": self._draft_get,
            "issue.draft.list": self._draft_list, "issue.draft.delete": self._draft_delete,
            "group.list": self._group_list, "group.get": self._group_get,
            "member.set": self._member_set, "member.get": self._member_get,
            "sequence.member.start": self._sequence_member_start,
            "issue.list": self._issue_list, "stat.uni": self._stat_uni,
            "issue.get": self._issue_get,
        }
        #: issue id -> when it was created (account clock), for the statistics lag
        self._created: dict[int, dt.datetime] = {}

    # ---- entry point

    def execute(self, request: dict[str, Any], credentials: Credentials,
                report_inner: InnerReport | None = None) -> dict[str, Any]:
        """Run one request object; API failures come back as an ``errors`` answer, never raise."""
        with self.lock:
            try:
                action = request.get("action")
                if action is None:
                    raise missing("action")
                if not isinstance(action, str):
                    raise bad("action")
                if action not in NO_AUTH_ACTIONS:
                    self._authenticate(credentials)
                if action == "batch":
                    return self._batch(request, credentials, report_inner)
                return self._dispatch(request, credentials)
            except ApiError as exc:
                return exc.answer()

    def _dispatch(self, request: dict[str, Any], credentials: Credentials) -> dict[str, Any]:
        if request["action"] == "logout":  # the one action that acts on the credentials
            return self._logout(credentials)
        handler = self._handlers.get(request["action"])
        if handler is None:
            raise ApiError("error/action/unknown", request["action"])
        return handler(request)

    def expire_sessions(self) -> None:
        with self.lock:
            self.sessions.clear()

    def script_track(self, track_id: str, statuses: list[int]) -> None:
        """Make ``track.get`` of ``track_id`` report ``statuses`` in turn (the last one repeats)."""
        if not statuses:
            raise ValueError("statuses must not be empty")
        with self.lock:
            self.tracks[str(track_id)].statuses = list(statuses)
            self.tracks[str(track_id)].polls = 0

    # ---- authentication (§3)

    def _authenticate(self, creds: Credentials) -> None:
        if creds.apikey is not None:
            if not _same(creds.apikey, self._apikey):
                raise ApiError("error/auth/failed", "wrong_credentials")
            return
        if creds.session is not None:
            last_use = self.sessions.get(creds.session)
            lifetime = self.session_lifetime
            if last_use is None or (lifetime is not None and self._clock() - last_use >= lifetime):
                self.sessions.pop(creds.session, None)
                raise ApiError("error/auth/failed", "expired")
            self.sessions[creds.session] = self._clock()
            return
        if creds.one_time is not None:
            self._check_password(creds.one_time.get("login"), creds.one_time.get("sublogin"),
                                 creds.one_time.get("passwd"))
            return
        raise ApiError("error/auth/failed", "missing_credentials")

    def _check_password(self, login: Any, sublogin: Any, passwd: Any) -> None:
        if (login != self.login or (sublogin or "") != self.sublogin
                or not _same(passwd, self._password)):
            raise ApiError("error/auth/failed", "wrong_credentials")

    def _ping(self, request: dict[str, Any]) -> dict[str, Any]:
        return {"pong": "ping"}

    def _pong(self, request: dict[str, Any]) -> dict[str, Any]:
        return {"ping": "pong", "account": self.login, "sublogin": self.sublogin}

    def _login(self, request: dict[str, Any]) -> dict[str, Any]:
        login = required_str(request, "login")
        passwd = required_str(request, "passwd")
        sublogin = request.get("sublogin") or ""
        self._check_password(login, sublogin, passwd)
        session = f"{login}/{sublogin}:{secrets.token_hex(16)}"
        self.sessions[session] = self._clock()
        return {"session": session, "login": login, "sublogin": sublogin}

    def _logout(self, credentials: Credentials) -> dict[str, Any]:
        if credentials.session is not None:
            self.sessions.pop(credentials.session, None)
        return {}

    # ---- batch (§6.7)

    def _batch(self, request: dict[str, Any], credentials: Credentials,
               report_inner: InnerReport | None) -> dict[str, Any]:
        """Run each inner request with the outer credentials (§6.7); each is logged on its own."""
        inner_requests = request.get("do")
        if inner_requests is None:
            raise missing("do")
        if not isinstance(inner_requests, list):
            raise bad("do")
        results: list[dict[str, Any]] = []
        for inner in inner_requests:
            try:
                if not isinstance(inner, dict) or inner.get("action") == "batch":
                    raise bad("do")
                if "action" not in inner:
                    raise missing("action")
                answer = self._dispatch(inner, credentials)
            except ApiError as exc:
                answer = exc.answer()
            results.append(answer)
            if report_inner is not None:
                report_inner(inner if isinstance(inner, dict) else {"action": None}, answer)
            if "errors" in answer and request.get("stop_on_error"):
                break
        return {"result": results}

    # ---- issue.send (§5, §9.9)

    def _issue_send(self, request: dict[str, Any]) -> dict[str, Any]:
        sendwhen = request.get("sendwhen")
        if sendwhen is None:
            raise missing("sendwhen")
        if sendwhen not in SENDWHEN:
            raise bad("sendwhen")
        later = later_time(request) if sendwhen == "later" else None
        letter = self._check_letter(request)
        group, members = self._check_audience(request, sendwhen)
        labels = check_labels(request.get("label"))
        self._check_sender(letter)
        return self._accept(request, sendwhen, later, letter, group, members, labels)

    def _check_letter(self, request: dict[str, Any]) -> dict[str, Any]:
        """Validate the letter and return it as it will be sent (a draft merged with overrides)."""
        letter = request.get("letter")
        if letter is None:
            raise missing("letter")
        if not isinstance(letter, dict):
            raise bad("letter")
        if "draft.id" in letter:
            draft = self.drafts.get(str(letter["draft.id"]))
            if draft is None:
                raise ApiError("error/draft/not_found", str(letter["draft.id"]))
            if "from.email" in letter and not is_email(letter["from.email"]):
                raise bad("letter.from.email")
            merged = {**draft.get("letter", {}), **letter}
            merged.pop("draft.id")
        else:
            subject = letter.get("subject")
            if subject is None or subject == "":
                raise missing("letter.subject")
            if not isinstance(subject, str):
                raise bad("letter.subject")
            if "from.email" not in letter:
                raise missing("letter.from.email")
            if not is_email(letter["from.email"]):
                raise bad("letter.from.email")
            message = letter.get("message")
            if message is None:
                raise missing("letter.message")
            if not isinstance(message, dict) or not any(
                    isinstance(message.get(part), str) and message[part].strip()
                    for part in ("html", "text")):
                raise bad("letter.message")
            merged = dict(letter)
        check_attaches(letter.get("attaches"))
        return merged

    def _check_audience(self, request: dict[str, Any], sendwhen: str) -> tuple[str | None, int]:
        """Validate who the issue goes to; return the group id and the recipient count."""
        group = request.get("group")
        members = 0
        if sendwhen == "test":
            mca = request.get("mca")
            if mca is None or mca == []:
                raise missing("mca")
            if not isinstance(mca, list) or not all(is_email(a) for a in mca):
                raise bad("mca")
            members = len(mca)
        if group is None or group == "":
            if sendwhen != "test":
                raise missing("group")
            return None, members
        if not isinstance(group, str):
            raise bad("group")
        if group == "personal":
            if "email" not in request:
                raise missing("email")
            if not is_email(request["email"]):
                raise bad("email")
            if "users.list" in request:
                raise bad("users.list")
            count = 1
        elif group == "masssending":
            if "users.list" not in request:
                raise missing("users.list")
            count = len(parse_users_list(request["users.list"]))
        elif group in self.groups:
            count = self.groups[group]
        else:
            raise ApiError("error/group/not_found", group)
        return group, (members if sendwhen == "test" else count)

    def _check_sender(self, letter: dict[str, Any]) -> None:
        sender = letter.get("from.email")
        if self.senders is not None and (not isinstance(sender, str)
                                         or sender.lower() not in self.senders):
            raise ApiError("error/issue/sender_not_allowed", sender)

    def _accept(self, request: dict[str, Any], sendwhen: str, later: dt.datetime | None,
                letter: dict[str, Any], group: str | None, members: int,
                labels: tuple[str, ...]) -> dict[str, Any]:
        now = self.clock.now()
        track_id = str(self._next_track)
        self._next_track += 1
        final = -4 if sendwhen == "later" else -1
        self.tracks[track_id] = Track(track_id, [0] * self.track_running_polls + [final], now)
        name = request.get("name")
        self.issues.append(IssueRecord(
            id=self._next_issue, track_id=track_id, sendwhen=sendwhen, group=group,
            members=members, date=later or now, name=name if isinstance(name, str) else None,
            labels=labels, letter=letter))
        self._created[self._next_issue] = now
        self._next_issue += 1
        answer: dict[str, Any] = {"track.id": track_id}
        if group == "personal":
            answer["channel"] = "email"
        return answer

    def _track_get(self, request: dict[str, Any]) -> dict[str, Any]:
        track_id = request.get("id")
        if track_id is None:
            raise missing("id")
        track = self.tracks.get(str(track_id))
        if track is None:
            raise ApiError("error/track/not_found", str(track_id))
        return {"obj": {"id": track.id, "status": track.next_status(),
                        "dt": format_dt(track.created)}}

    # ---- drafts (§6.2)

    def _draft_set(self, request: dict[str, Any]) -> dict[str, Any]:
        obj = request.get("obj")
        if obj is None:
            raise missing("obj")
        if not isinstance(obj, dict):
            raise bad("obj")
        if request.get("id") is not None:
            draft_id = str(request["id"])
            if draft_id not in self.drafts:
                raise ApiError("error/draft/not_found", draft_id)
        else:
            draft_id = str(self._next_draft)
            self._next_draft += 1
        stored = {**obj, "id": draft_id}
        self.drafts[draft_id] = stored
        answer: dict[str, Any] = {"id": draft_id}
        if request.get("return_fresh_obj"):
            answer["obj"] = dict(stored)
        return answer

    def _draft(self, request: dict[str, Any]) -> str:
        if request.get("id") is None:
            raise missing("id")
        draft_id = str(request["id"])
        if draft_id not in self.drafts:
            raise ApiError("error/draft/not_found", draft_id)
        return draft_id

    def _draft_get(self, request: dict[str, Any]) -> dict[str, Any]:
        return {"obj": dict(self.drafts[self._draft(request)])}

    def _draft_list(self, request: dict[str, Any]) -> dict[str, Any]:
        return {"list": [dict(d) for d in self.drafts.values()]}

    def _draft_delete(self, request: dict[str, Any]) -> dict[str, Any]:
        del self.drafts[self._draft(request)]
        return {}

    # ---- lists and members (§6.3, §6.6)

    def _group_obj(self, group_id: str) -> dict[str, Any]:
        return {"id": group_id, "name": f"List {group_id}", "type": "list",
                "addr_type": "email", "members": self.groups[group_id]}

    def _group_list(self, request: dict[str, Any]) -> dict[str, Any]:
        return {"list": [self._group_obj(g) for g in self.groups]}

    def _group_get(self, request: dict[str, Any]) -> dict[str, Any]:
        group_id = request.get("id")
        if group_id is None:
            raise missing("id")
        if group_id not in self.groups:
            raise ApiError("error/group/not_found", str(group_id))
        return {"obj": self._group_obj(group_id)}

    def _member_set(self, request: dict[str, Any]) -> dict[str, Any]:
        email = member_email(request)
        if request.get("addr_type", "email") != "email":
            raise bad("addr_type")
        if_exists = request.get("if_exists", "overwrite")
        if if_exists not in ("overwrite", "must", "error", "ignore"):
            raise bad("if_exists")
        changes = parse_datakey(request.get("datakey", []))
        exists = email in self.members
        if if_exists == "must" and not exists:
            raise ApiError("error/member/not_found", email)
        if if_exists == "error" and exists:
            raise ApiError("error/member/exists", email)
        if not exists:
            self.members[email] = {"member": {"email": email}}
        if not (exists and if_exists == "ignore"):
            for path, action, value in changes:
                apply_datakey(self.members[email], path, action, value)
        answer: dict[str, Any] = {"member": {"email": email, "addr_type": "email"}}
        if request.get("return_fresh_obj"):
            answer["obj"] = deep_copy(self.members[email])
        return answer

    def _sequence_member_start(self, request: dict[str, Any]) -> dict[str, Any]:
        """Start a subscriber on a workflow (assumed shape: ``id`` + ``email``; the address
        must already be in the base, as for express sends)."""
        sequence_id = request.get("id")
        if sequence_id in (None, ""):
            raise missing("id")
        email = member_email(request)
        if email not in self.members:
            raise ApiError("error/member/not_found", email)
        started = self.sequence_members.setdefault(str(sequence_id), [])
        if email not in started:
            started.append(email)
        return {}

    def _member_get(self, request: dict[str, Any]) -> dict[str, Any]:
        email = member_email(request)
        if email not in self.members:
            raise ApiError("error/member/not_found", email)
        return {"obj": deep_copy(self.members[email])}

    # ---- archive and statistics (§6.4, §6.5)

    def archived_issues(self) -> list[IssueRecord]:
        return [i for i in self.issues if i.sendwhen in ARCHIVED_SENDWHEN]

    def _issue_list(self, request: dict[str, Any]) -> dict[str, Any]:
        start, end = parse_day(request, "from"), parse_day(request, "upto")
        groups = request.get("group")
        if isinstance(groups, str):
            groups = [groups]
        if groups is not None and (not isinstance(groups, list)
                                   or not all(isinstance(g, str) for g in groups)):
            raise bad("group")
        rows = [i for i in self.archived_issues()
                if (start is None or i.date.date() >= start)
                and (end is None or i.date.date() <= end)
                and (groups is None or i.group in groups)]
        rows.sort(key=lambda i: (i.date, i.id))
        return {"list": [{"id": i.id, "gid": i.group, "date": format_dt(i.date)} for i in rows]}

    def add_back_catalogue(self, old_issues: Iterable[OldIssue]) -> None:
        """Issues sent before the double started (see fake_sendsay_catalogue)."""
        with self.lock:
            for old in old_issues:
                self.issues.append(old.record())
                self._next_issue = max(self._next_issue, old.id + 1)

    def _issue_get(self, request: dict[str, Any]) -> dict[str, Any]:
        return issue_get(self.archived_issues(), request)

    def _stat_uni(self, request: dict[str, Any]) -> dict[str, Any]:
        select = request.get("select")
        if isinstance(select, list) and select and isinstance(select[0], str) \
                and select[0].startswith("click."):
            if not self.click_stats:  # an account (or API) without the per-event area
                raise bad("select")
            return {"list": query_click_stats(self._in_statistics(), request)}
        return {"list": query_issue_stats(self._in_statistics(), request)}

    def _in_statistics(self) -> list[IssueRecord]:
        """Archived issues old enough to be counted: statistics lag behind (§5.4)."""
        lag = self.clock.stats_lag
        if lag <= 0:
            return self.archived_issues()
        cutoff = self.clock.now() - dt.timedelta(seconds=lag)
        return [i for i in self.archived_issues() if self._created.get(i.id, i.date) <= cutoff]

    def _issue_get(self, request: dict[str, Any]) -> dict[str, Any]:
        """One archived issue (§6.4, assumed shape): ``id``, ``gid``, ``dt``, ``name``, letter."""
        issue_id = request.get("id")
        if issue_id is None:
            raise missing("id")
        found = next((i for i in self.archived_issues() if str(i.id) == str(issue_id)), None)
        if found is None:
            raise ApiError("error/issue/not_found", str(issue_id))
        return {"obj": {"id": found.id, "gid": found.group, "dt": format_dt(found.date),
                        "name": found.name, "letter": deep_copy(found.letter)}}

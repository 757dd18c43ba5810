"""Stateless rules of the fake Sendsay: error answers, parameter checks, ``stat.uni``.

Split from :mod:`publisher.testing.fake_sendsay_account` so the account reads as a list of
actions. Everything here is pure: it gets values and either returns a checked value or raises
:class:`ApiError`, which the account turns into ``{"errors": [{"id": ..., "explain": ...}]}``.

Error ids other than ``error/auth/failed`` are the double's own (``docs/sendsay-api.md`` §9, last
paragraph); ``explain`` names the offending parameter exactly, so tests can assert it.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

#: Moscow time (UTC+3, no DST since 2014): Sendsay's clock for dates (§5.3, assumed).
MOSCOW = dt.timezone(dt.timedelta(hours=3), "MSK")

_EMAIL = re.compile(r"^[^@\s,;<>\"']+@[^@\s,;<>\"']+\.[^@\s,;<>\"'.]+$")
_LATER_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ApiError(Exception):
    """An API-level rejection; becomes ``{"errors": [{"id": ..., "explain": ...}]}``."""

    def __init__(self, error_id: str, explain: Any = "") -> None:
        super().__init__(f"{error_id}: {explain}")
        self.error_id = error_id
        self.explain = explain

    def answer(self) -> dict[str, Any]:
        return {"errors": [{"id": self.error_id, "explain": self.explain}]}


def missing(param: str) -> ApiError:
    return ApiError("error/request/missing_param", param)


def bad(param: str) -> ApiError:
    return ApiError("error/request/bad_param", param)


def is_email(value: Any) -> bool:
    return isinstance(value, str) and bool(_EMAIL.match(value))


def now_moscow() -> dt.datetime:
    """Current Moscow wall-clock time, naive, to the second (how Sendsay writes dates)."""
    return dt.datetime.now(MOSCOW).replace(tzinfo=None, microsecond=0)


def format_dt(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class IssueRecord:
    """One accepted ``issue.send``: what ``issue.list`` and ``stat.uni`` report."""

    id: int
    track_id: str
    sendwhen: str
    group: str | None
    members: int
    date: dt.datetime
    name: str | None
    labels: tuple[str, ...]
    letter: dict[str, Any]


def issue_numbers(members: int) -> dict[str, int | float]:
    """The statistics of an issue with ``members`` recipients, as ``stat.uni`` reports them.

    Deterministic so tests can assert exact values (integer division throughout)::

        deliv_bad  = members // 20                 (5 % bounce)
        deliv_ok   = members - deliv_bad
        u_readed   = deliv_ok * 2 // 5             (40 % unique opens)
        readed     = u_readed + u_readed // 2      (all opens)
        u_clicked  = deliv_ok // 10                (10 % unique clicks)
        clicked    = u_clicked * 2                 (all clicks)
        unsubed    = members // 100
        open_rate  = round(100 * u_readed / deliv_ok, 2)   (0.0 when deliv_ok == 0)
        click_rate = round(100 * u_clicked / deliv_ok, 2)

    For 120 recipients: deliv_bad 6, deliv_ok 114, u_readed 45, readed 67, u_clicked 11,
    clicked 22, unsubed 1, open_rate 39.47, click_rate 9.65.
    """
    deliv_bad = members // 20
    deliv_ok = members - deliv_bad
    u_readed = deliv_ok * 2 // 5
    u_clicked = deliv_ok // 10
    return {
        "members": members,
        "deliv_ok": deliv_ok,
        "deliv_bad": deliv_bad,
        "u_readed": u_readed,
        "readed": u_readed + u_readed // 2,
        "u_clicked": u_clicked,
        "clicked": u_clicked * 2,
        "unsubed": members // 100,
        "open_rate": round(100 * u_readed / deliv_ok, 2) if deliv_ok else 0.0,
        "click_rate": round(100 * u_clicked / deliv_ok, 2) if deliv_ok else 0.0,
    }


def required_str(request: Mapping[str, Any], param: str) -> str:
    value = request.get(param)
    if value is None or value == "":
        raise missing(param)
    if not isinstance(value, str):
        raise bad(param)
    return value


def later_time(request: Mapping[str, Any]) -> dt.datetime:
    value = request.get("later.time")
    if value is None:
        raise missing("later.time")
    if not isinstance(value, str) or not _LATER_TIME.match(value):
        raise bad("later.time")
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:  # 2024-02-30 10:00 matches the pattern but is no date
        raise bad("later.time") from None


def check_labels(label: Any) -> tuple[str, ...]:
    if label is None:
        return ()
    labels = [label] if isinstance(label, str) else label
    if (not isinstance(labels, list) or len(labels) > 8
            or not all(isinstance(x, str) and 0 < len(x) <= 128 for x in labels)):
        raise bad("label")
    return tuple(labels)


def check_attaches(attaches: Any) -> None:
    if attaches is None:
        return
    if not isinstance(attaches, list):
        raise bad("letter.attaches")
    for item in attaches:
        if (not isinstance(item, dict) or not isinstance(item.get("name"), str)
                or not item["name"] or not isinstance(item.get("content"), str)):
            raise bad("letter.attaches")
        try:
            base64.b64decode(item["content"], validate=True)
        except (binascii.Error, ValueError):
            raise bad("letter.attaches") from None


def parse_users_list(text: Any) -> list[str]:
    """Addresses of an express ``users.list``: one per line, or CSV with a ``member.email`` column.

    Raises ``bad_param users.list`` for anything else, including an empty list.
    """
    if not isinstance(text, str):
        raise bad("users.list")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise bad("users.list")
    if "member.email" not in lines[0]:
        if not all(is_email(line) for line in lines):
            raise bad("users.list")
        return lines
    separator = ";" if ";" in lines[0] else ","
    columns = [c.strip() for c in lines[0].split(separator)]
    column = columns.index("member.email")
    addresses = []
    for row in lines[1:]:
        cells = [c.strip() for c in row.split(separator)]
        if len(cells) != len(columns) or not is_email(cells[column]):
            raise bad("users.list")
        addresses.append(cells[column])
    if not addresses:
        raise bad("users.list")
    return addresses


def member_email(request: Mapping[str, Any]) -> str:
    email = request.get("email")
    if email is None:
        raise missing("email")
    if not is_email(email):
        raise bad("email")
    return email.lower()


def parse_datakey(value: Any) -> list[tuple[str, str, Any]]:
    """``[["base.firstName", "set", "Анна"], ...]`` -> validated triples (``set``/``delete``)."""
    if not isinstance(value, list):
        raise bad("datakey")
    out = []
    for item in value:
        if (not isinstance(item, list) or len(item) not in (2, 3) or not isinstance(item[0], str)
                or "." not in item[0] or item[1] not in ("set", "delete")):
            raise bad("datakey")
        out.append((item[0], item[1], item[2] if len(item) == 3 else None))
    return out


def apply_datakey(obj: dict[str, Any], path: str, action: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    for part in parents:
        obj = obj.setdefault(part, {})
    if action == "set":
        obj[leaf] = value
    else:
        obj.pop(leaf, None)


def deep_copy(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: deep_copy(v) if isinstance(v, dict) else v for k, v in obj.items()}


def parse_day(request: Mapping[str, Any], param: str) -> dt.date | None:
    value = request.get(param)
    if value is None:
        return None
    if not isinstance(value, str) or not _DAY.match(value):
        raise bad(param)
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise bad(param) from None


# --------------------------------------------------------------------------- stat.uni (§6.5)

_NUMBER_FIELDS = ("members", "deliv_ok", "deliv_bad", "u_readed", "readed", "u_clicked",
                  "clicked", "unsubed", "open_rate", "click_rate")
_DATE_FORMATS = {"Ys": "%Y-%m-%d %H:%M:%S", "YD": "%Y-%m-%d", "YM": "%Y-%m"}
_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b, ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, "<": lambda a, b: a < b,
}


def _field_getter(name: Any, param: str) -> Callable[[IssueRecord], Any]:
    """How to read one ``issue.*`` field (``issue.dt`` takes ``:Ys``/``:YD``/``:YM``)."""
    if not isinstance(name, str) or not name.startswith("issue."):
        raise bad(param)  # one query reads one area, and the double only has issue.*
    base, _, precision = name.partition(":")
    short = base.removeprefix("issue.")
    if short == "dt":
        pattern = _DATE_FORMATS.get(precision or "Ys")
        if pattern is None:
            raise bad(param)
        return lambda issue: issue.date.strftime(pattern)
    if precision:
        raise bad(param)
    if short == "id":
        return lambda issue: issue.id
    if short == "name":
        return lambda issue: issue.name
    if short in _NUMBER_FIELDS:
        return lambda issue: issue_numbers(issue.members)[short]
    raise bad(param)


def _comparable(value: Any, sample: Any, param: str) -> Any:
    """Coerce a filter value to the field's type (numbers given as strings are accepted)."""
    if isinstance(sample, (int, float)) and not isinstance(value, bool):
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad(param) from None
    if not isinstance(value, str):
        raise bad(param)
    return value


def _sort_key(get: Callable[[IssueRecord], Any]) -> Callable[[IssueRecord], tuple[bool, Any]]:
    """Sort key that puts missing values (an issue without a name) first instead of failing."""
    def key(issue: IssueRecord) -> tuple[bool, Any]:
        value = get(issue)
        return (value is not None, value if value is not None else 0)
    return key


def query_issue_stats(issues: list[IssueRecord], request: Mapping[str, Any]) -> list[list[Any]]:
    """Answer a ``result: "response"`` query over the ``issue.*`` area; rows in ``select`` order."""
    if request.get("result") is None:
        raise missing("result")
    if request["result"] != "response":
        raise bad("result")
    select = request.get("select")
    if select is None:
        raise missing("select")
    if not isinstance(select, list) or not select:
        raise bad("select")
    getters = [_field_getter(name, "select") for name in select]

    rows = list(issues)
    filters = request.get("filter", [])
    if not isinstance(filters, list):
        raise bad("filter")
    for condition in filters:
        if not isinstance(condition, dict) or condition.get("op") not in _OPERATORS:
            raise bad("filter")
        get = _field_getter(condition.get("a"), "filter")
        compare = _OPERATORS[condition["op"]]
        kept = []
        for issue in rows:
            value = get(issue)
            if value is None:
                continue
            if compare(value, _comparable(condition.get("v"), value, "filter")):
                kept.append(issue)
        rows = kept

    order = request.get("order", ["issue.id"])
    if not isinstance(order, list):
        raise bad("order")
    for key in reversed(order):  # stable sorts, least significant key first
        if not isinstance(key, str):
            raise bad("order")
        rows.sort(key=_sort_key(_field_getter(key.lstrip("-"), "order")),
                  reverse=key.startswith("-"))

    skip, first = request.get("skip", 0), request.get("first")
    if not isinstance(skip, int) or isinstance(skip, bool) or skip < 0:
        raise bad("skip")
    if first is not None and (not isinstance(first, int) or isinstance(first, bool) or first < 0):
        raise bad("first")
    rows = rows[skip:] if first is None else rows[skip:skip + first]
    return [[get(issue) for get in getters] for issue in rows]



# --------------------------------------------------------------------------- the click.* area
# §6.5 names a ``click.*`` area of per-event rows but documents none of its fields. The double
# answers one ASSUMED query shape, the one publisher's client asks (SendsayClient.link_clicks):
#   select ["click.url", "count(*)"], filter [{"a": "click.issue.id", "op": "==", "v": ID}]
# and rejects any other click.* query with error/request/bad_param, as an account that does
# not offer the area would.

_LINK = re.compile(r"""<a\s[^>]*?href\s*=\s*(["'])(.*?)\1""", re.IGNORECASE | re.DOTALL)
CLICK_SELECT = ["click.url", "count(*)"]


def letter_links(html: str) -> list[str]:
    """The letter's distinct http(s) links in document order (no ESP tags, no mailto)."""
    seen: dict[str, None] = {}
    for match in _LINK.finditer(html or ""):
        url = match.group(2).replace("&amp;", "&").strip()
        if url.lower().startswith(("http://", "https://")) and "[%" not in url:
            seen.setdefault(url, None)
    return list(seen)


def link_clicks(issue: IssueRecord) -> list[list[Any]]:
    """Clicks per link of ``issue``, deterministic so tests can assert exact values.

    The issue's ``clicked`` (all clicks, see :func:`issue_numbers`) is shared among its ``n``
    links in falling weights ``n, n-1, …, 1``: link ``i`` (0-based, document order) gets
    ``clicked * (n - i) // (n * (n + 1) // 2)``. Links with no click are not listed.
    """
    message = issue.letter.get("message") if isinstance(issue.letter, dict) else None
    html = message.get("html", "") if isinstance(message, dict) else ""
    links = letter_links(html if isinstance(html, str) else "")
    total, n = issue_numbers(issue.members)["clicked"], len(links)
    weights = n * (n + 1) // 2
    rows = [[url, int(total) * (n - i) // weights] for i, url in enumerate(links)]
    return [row for row in rows if row[1] > 0]


def query_click_stats(issues: list[IssueRecord], request: Mapping[str, Any]) -> list[list[Any]]:
    """Answer the assumed per-link query (see above) for one issue id."""
    if request.get("result") != "response":
        raise bad("result")
    if request.get("select") != CLICK_SELECT:
        raise bad("select")
    filters = request.get("filter")
    if not (isinstance(filters, list) and len(filters) == 1 and isinstance(filters[0], dict)
            and filters[0].get("a") == "click.issue.id" and filters[0].get("op") == "=="):
        raise bad("filter")
    wanted = str(filters[0].get("v"))
    found = next((i for i in issues if str(i.id) == wanted), None)
    return link_clicks(found) if found is not None else []

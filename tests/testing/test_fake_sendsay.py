"""The Sendsay double obeys §9 of docs/sendsay-api.md, checked with raw HTTP requests.

Nothing here uses our client: if the double drifted from the spec, the client tests built on it
would prove nothing.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests

from publisher.testing.fake_sendsay import FakeSendsay, read_log
from publisher.testing.fake_sendsay_checks import issue_numbers
from tests.fixtures_sendsay import (
    SENDSAY_APIKEY, SENDSAY_LOGIN, SENDSAY_PASSWORD, SENDSAY_SUBLOGIN,
)

AUTH = {"Authorization": f"sendsay apikey={SENDSAY_APIKEY}"}
LETTER = {"subject": "Октябрьский выпуск", "from.email": "news@example.org",
          "from.name": "Редакция", "message": {"html": "<p>Привет</p>", "text": "Привет"}}
DROP = object()  # marks a key to remove from a request in send_request()


def post(url: str, request: Any = None, *, headers: dict[str, str] | None = None,
         data: str | bytes | None = None, timeout: float = 5) -> dict[str, Any]:
    """POST a JSON request object (or a raw body) and return the parsed answer."""
    body = data if data is not None else json.dumps(request, ensure_ascii=False).encode()
    response = requests.post(url, data=body, headers=headers or {}, timeout=timeout)
    assert response.status_code == 200
    return response.json()


def call(fake: FakeSendsay, request: dict[str, Any]) -> dict[str, Any]:
    """A JSON-format request to the account address, authenticated by the API-key header."""
    return post(fake.account_url, request, headers=AUTH)


def send_request(**changes: Any) -> dict[str, Any]:
    """A valid ``issue.send`` to list pl01, with ``changes`` applied (``DROP`` removes a key)."""
    request: dict[str, Any] = {"action": "issue.send", "sendwhen": "now", "group": "pl01",
                               "name": "newsletter/2024-10-01", "letter": copy.deepcopy(LETTER)}
    for key, value in changes.items():
        key = key.replace("__", ".")
        if value is DROP:
            request.pop(key, None)
        else:
            request[key] = value
    return request


def error_of(answer: dict[str, Any]) -> tuple[str, Any]:
    assert "errors" in answer, answer
    return answer["errors"][0]["id"], answer["errors"][0]["explain"]


def form(request: dict[str, Any], **fields: str) -> str:
    return urlencode({"apiversion": "100", "json": "1",
                      "request": json.dumps(request, ensure_ascii=False), **fields})


# --------------------------------------------------------------------------- §9.1 wire formats


def test_json_format_at_the_account_address(sendsay: FakeSendsay) -> None:
    answer = post(sendsay.account_url, {"action": "ping"},
                  headers={"Content-Type": "application/json"})
    assert "pong" in answer
    assert sendsay.requests[-1]["wire_format"] == "json"


@pytest.mark.parametrize("content_type", [
    "application/x-www-form-urlencoded", "text/plain;charset=UTF-8", None])
def test_form_format_is_detected_from_the_body(sendsay: FakeSendsay,
                                               content_type: str | None) -> None:
    headers = {**AUTH, **({"Content-Type": content_type} if content_type else {})}
    answer = post(sendsay.account_url, data=form({"action": "pong"}, **{"request.id": "pub-7"}),
                  headers=headers)
    assert answer["account"] == SENDSAY_LOGIN
    assert answer["request.id"] == "pub-7"
    assert sendsay.requests[-1]["wire_format"] == "form"


def test_json_body_is_json_even_when_labelled_as_a_form(sendsay: FakeSendsay) -> None:
    answer = post(sendsay.account_url, {"action": "ping"},
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert "pong" in answer


def test_form_takes_apiversion_and_json_from_the_query_string(sendsay: FakeSendsay) -> None:
    body = urlencode({"request": json.dumps({"action": "ping"})})
    answer = post(sendsay.account_url + "?apiversion=100&json=1", data=body)
    assert "pong" in answer


@pytest.mark.parametrize("body, expected", [
    (urlencode({"json": "1", "request": '{"action": "ping"}'}),
     ("error/request/missing_param", "apiversion")),
    (urlencode({"apiversion": "100", "request": '{"action": "ping"}'}),
     ("error/request/missing_param", "json")),
    (urlencode({"apiversion": "100", "json": "1"}), ("error/request/missing_param", "request")),
    (urlencode({"apiversion": "99", "json": "1", "request": '{"action": "ping"}'}),
     ("error/request/bad_param", "apiversion")),
    (urlencode({"apiversion": "100", "json": "1", "request": "{action: ping"}),
     ("error/request/bad_json", "request")),
    ('{"action": "ping",}', ("error/request/bad_json", "request")),
    ('["ping"]', ("error/request/bad_json", "request")),
    ('{"apikey": "x"}', ("error/request/missing_param", "action")),
    (b'{"action": "\xff"}', ("error/request/bad_encoding", "body")),
    ("", ("error/request/missing_param", "apiversion")),
])
def test_malformed_requests_are_errors(sendsay: FakeSendsay, body: str | bytes,
                                       expected: tuple[str, str]) -> None:
    answer = post(sendsay.account_url, data=body, headers=AUTH)
    assert error_of(answer) == expected
    assert sendsay.requests[-1]["outcome"] == "error"


def test_unknown_action(sendsay: FakeSendsay) -> None:
    assert error_of(call(sendsay, {"action": "issue.explode"})) == (
        "error/action/unknown", "issue.explode")


# --------------------------------------------------------------------------- §9.2 REDIRECT


@pytest.mark.parametrize("path", ["/", "", "/general/api/v100/json/x_someone_else",
                                  "/api/", "/general/api/v100/json/-"])
def test_other_paths_redirect_without_executing(sendsay: FakeSendsay, path: str) -> None:
    answer = post(sendsay.base_url + path, send_request(), headers=AUTH)
    assert answer["REDIRECT"] == f"/general/api/v100/json/{SENDSAY_LOGIN}"
    assert set(answer) == {"REDIRECT", "duration"}
    assert sendsay.executed_sends() == []
    entry = sendsay.requests[-1]
    assert (entry["outcome"], entry["action"]) == ("redirect", "issue.send")


def test_redirect_happens_even_for_a_broken_body(sendsay: FakeSendsay) -> None:
    answer = post(sendsay.base_url + "/", data="{nonsense", headers=AUTH)
    assert "REDIRECT" in answer


def test_account_address_serves_with_or_without_trailing_slash(sendsay: FakeSendsay) -> None:
    assert "track.id" in post(sendsay.account_url, send_request(), headers=AUTH)
    assert "track.id" in post(sendsay.account_url + "/", send_request(), headers=AUTH)
    assert len(sendsay.executed_sends()) == 2


def test_dash_address_serves_ping(sendsay: FakeSendsay) -> None:
    answer = post(sendsay.base_url + "/general/api/v100/json/-", {"action": "ping"})
    assert "pong" in answer
    assert sendsay.requests[-1]["outcome"] == "ok"


def test_get_is_not_executed(sendsay: FakeSendsay) -> None:
    response = requests.get(sendsay.account_url, timeout=5)
    assert response.status_code == 405
    assert sendsay.requests[-1]["outcome"] == "error"


# --------------------------------------------------------------------------- §9.3/9.4 envelope


def test_envelope_has_duration_and_echoes_request_id(sendsay: FakeSendsay) -> None:
    ok = post(sendsay.account_url, {"action": "ping", "request.id": "pub-1"})
    assert ok["request.id"] == "pub-1"
    assert isinstance(ok["duration"], float)
    failed = post(sendsay.account_url, data=form({"action": "pong"}, **{"request.id": "pub-2"}))
    assert failed["request.id"] == "pub-2" and "duration" in failed
    assert error_of(failed)[0] == "error/auth/failed"
    no_id = post(sendsay.account_url, {"action": "ping"})
    assert "duration" in no_id and "request.id" not in no_id


# --------------------------------------------------------------------------- §9.5-9.8 auth


def test_apikey_as_header_and_as_field(sendsay: FakeSendsay) -> None:
    assert post(sendsay.account_url, {"action": "pong"}, headers=AUTH)["account"] == SENDSAY_LOGIN
    answer = post(sendsay.account_url, {"action": "pong", "apikey": SENDSAY_APIKEY})
    assert answer == {**answer, "account": SENDSAY_LOGIN, "sublogin": SENDSAY_SUBLOGIN}
    assert [e["auth"] for e in sendsay.requests] == ["apikey:header", "apikey:field"]


@pytest.mark.parametrize("headers, extra", [
    ({"Authorization": "sendsay apikey=wrong"}, {}),
    ({}, {"apikey": "wrong"}),
    ({}, {"apikey": ""}),
])
def test_wrong_apikey(sendsay: FakeSendsay, headers: dict[str, str],
                      extra: dict[str, str]) -> None:
    answer = post(sendsay.account_url, {"action": "pong", **extra}, headers=headers)
    assert error_of(answer) == ("error/auth/failed", "wrong_credentials")


def login(fake: FakeSendsay, password: str = SENDSAY_PASSWORD) -> dict[str, Any]:
    return post(fake.account_url, {"action": "login", "login": SENDSAY_LOGIN,
                                   "sublogin": SENDSAY_SUBLOGIN, "passwd": password})


def test_session_login_as_field_and_header_then_logout(sendsay: FakeSendsay) -> None:
    answer = login(sendsay)
    session = answer["session"]
    assert re.fullmatch(rf"{SENDSAY_LOGIN}/{SENDSAY_SUBLOGIN}:\w+", session)
    assert (answer["login"], answer["sublogin"]) == (SENDSAY_LOGIN, SENDSAY_SUBLOGIN)

    assert "account" in post(sendsay.account_url, {"action": "pong", "session": session})
    header = {"Authorization": f"sendsay session={session}"}
    assert "account" in post(sendsay.account_url, {"action": "pong"}, headers=header)
    assert "errors" not in post(sendsay.account_url, {"action": "logout"}, headers=header)
    answer = post(sendsay.account_url, {"action": "pong", "session": session})
    assert error_of(answer) == ("error/auth/failed", "expired")
    assert [e["auth"] for e in sendsay.requests] == [
        "none", "session:field", "session:header", "session:header", "session:field"]


@pytest.mark.parametrize("changes", [
    {"passwd": "wrong"}, {"login": "x_other"}, {"sublogin": "someone"}])
def test_login_with_wrong_credentials(sendsay: FakeSendsay, changes: dict[str, str]) -> None:
    request = {"action": "login", "login": SENDSAY_LOGIN, "sublogin": SENDSAY_SUBLOGIN,
               "passwd": SENDSAY_PASSWORD, **changes}
    answer = post(sendsay.account_url, request)
    assert error_of(answer) == ("error/auth/failed", "wrong_credentials")


def test_unknown_and_expired_sessions(sendsay: FakeSendsay) -> None:
    unknown = post(sendsay.account_url, {"action": "pong", "session": f"{SENDSAY_LOGIN}/:nope"})
    assert error_of(unknown) == ("error/auth/failed", "expired")
    session = login(sendsay)["session"]
    sendsay.expire_sessions()
    answer = post(sendsay.account_url, {"action": "pong", "session": session})
    assert error_of(answer) == ("error/auth/failed", "expired")


def test_session_lifetime() -> None:
    with FakeSendsay(login="x_1", password="pw", session_lifetime=0.2) as fake:
        session = post(fake.account_url, {"action": "login", "login": "x_1",
                                          "passwd": "pw"})["session"]
        assert "account" in post(fake.account_url, {"action": "pong", "session": session})
        time.sleep(0.3)
        answer = post(fake.account_url, {"action": "pong", "session": session})
        assert error_of(answer) == ("error/auth/failed", "expired")


def test_one_time_auth(sendsay: FakeSendsay) -> None:
    credentials = {"login": SENDSAY_LOGIN, "sublogin": SENDSAY_SUBLOGIN,
                   "passwd": SENDSAY_PASSWORD}
    assert "account" in post(sendsay.account_url, {"action": "pong",
                                                   "one_time_auth": credentials})
    assert sendsay.requests[-1]["auth"] == "one_time_auth"


@pytest.mark.parametrize("action", ["pong", "issue.send", "track.get", "group.list", "batch"])
def test_missing_credentials(sendsay: FakeSendsay, action: str) -> None:
    answer = post(sendsay.account_url, {"action": action})
    assert error_of(answer)[0] == "error/auth/failed"


# --------------------------------------------------------------------------- §9.9 validation


def letter(**changes: Any) -> dict[str, Any]:
    value = copy.deepcopy(LETTER)
    for key, change in changes.items():
        key = key.replace("__", ".")
        if change is DROP:
            value.pop(key, None)
        else:
            value[key] = change
    return value


B64 = "JVBERi0xLjQK"  # "%PDF-1.4\n"

REJECTED = [
    ({"sendwhen": DROP}, "missing_param", "sendwhen"),
    ({"sendwhen": "tomorrow"}, "bad_param", "sendwhen"),
    ({"sendwhen": "later"}, "missing_param", "later.time"),
    ({"sendwhen": "later", "later__time": "01.10.2024 10:00"}, "bad_param", "later.time"),
    ({"sendwhen": "later", "later__time": "2024-10-01T10:00"}, "bad_param", "later.time"),
    ({"sendwhen": "later", "later__time": "2024-02-30 10:00"}, "bad_param", "later.time"),
    ({"letter": DROP}, "missing_param", "letter"),
    ({"letter": "<p>hi</p>"}, "bad_param", "letter"),
    ({"letter": letter(subject=DROP)}, "missing_param", "letter.subject"),
    ({"letter": letter(subject="")}, "missing_param", "letter.subject"),
    ({"letter": letter(from__email=DROP)}, "missing_param", "letter.from.email"),
    ({"letter": letter(from__email="news at example.org")}, "bad_param", "letter.from.email"),
    ({"letter": letter(message=DROP)}, "missing_param", "letter.message"),
    ({"letter": letter(message={"html": "  ", "text": ""})}, "bad_param", "letter.message"),
    ({"letter": letter(message="<p>hi</p>")}, "bad_param", "letter.message"),
    ({"letter": {"draft.id": "404"}}, "draft/not_found", "404"),
    ({"group": DROP}, "missing_param", "group"),
    ({"group": "pl99"}, "group/not_found", "pl99"),
    ({"group": "personal"}, "missing_param", "email"),
    ({"group": "personal", "email": "a@example.org,b@example.org"}, "bad_param", "email"),
    ({"group": "personal", "email": ["a@example.org"]}, "bad_param", "email"),
    ({"group": "personal", "email": "a@example.org", "users__list": "b@example.org"},
     "bad_param", "users.list"),
    ({"group": "masssending"}, "missing_param", "users.list"),
    ({"group": "masssending", "users__list": ""}, "bad_param", "users.list"),
    ({"group": "masssending", "users__list": "a@example.org\nnot-an-address"},
     "bad_param", "users.list"),
    ({"group": "masssending", "users__list": "member.email;data.name\nnope;Анна"},
     "bad_param", "users.list"),
    ({"group": "masssending", "users__list": "member.email;data.name\na@example.org"},
     "bad_param", "users.list"),
    ({"group": "masssending", "users__list": "member.email;data.name"}, "bad_param", "users.list"),
    ({"sendwhen": "test", "group": DROP}, "missing_param", "mca"),
    ({"sendwhen": "test", "group": DROP, "mca": []}, "missing_param", "mca"),
    ({"sendwhen": "test", "group": DROP, "mca": ["editor@example.org", "x"]}, "bad_param", "mca"),
    ({"sendwhen": "test", "group": DROP, "mca": "editor@example.org"}, "bad_param", "mca"),
    ({"label": [f"l{i}" for i in range(9)]}, "bad_param", "label"),
    ({"label": "x" * 129}, "bad_param", "label"),
    ({"label": [1]}, "bad_param", "label"),
    ({"letter": letter(attaches=[{"name": "a.pdf"}])}, "bad_param", "letter.attaches"),
    ({"letter": letter(attaches=[{"content": B64}])}, "bad_param", "letter.attaches"),
    ({"letter": letter(attaches=[{"name": "a.pdf", "content": "not base64!"}])},
     "bad_param", "letter.attaches"),
]


@pytest.mark.parametrize("changes, error, explain", REJECTED)
def test_issue_send_validation_rejects(sendsay: FakeSendsay, changes: dict[str, Any],
                                       error: str, explain: str) -> None:
    answer = call(sendsay, send_request(**changes))
    prefix = "error/request/" if error.endswith("_param") else "error/"
    assert error_of(answer) == (prefix + error, explain)
    assert sendsay.executed_sends() == []


ACCEPTED = [
    {},
    {"group": "personal", "email": "reader@example.org"},
    {"group": "masssending", "users__list": "a@example.org\nb@example.org"},
    {"group": "masssending", "users__list": "member.email;data.name\na@example.org;Анна\n"},
    {"sendwhen": "test", "group": DROP, "mca": ["editor@example.org"]},
    {"sendwhen": "later", "later__time": "2024-10-01 10:00"},
    {"sendwhen": "later", "later__time": "2024-10-01 10:00:30"},
    {"sendwhen": "save"},
    {"label": "newsletter/2024-10-01"},
    {"label": [f"l{i}" for i in range(8)], "relink": 1,
     "relink__param": {"link": 1, "image": 0, "test": 1}},
    {"letter": letter(message={"text": "Только текст"})},
    {"letter": letter(attaches=[{"name": "a.pdf", "content": B64, "encoding": "base64"}])},
]


@pytest.mark.parametrize("changes", ACCEPTED)
def test_issue_send_validation_accepts(sendsay: FakeSendsay, changes: dict[str, Any]) -> None:
    answer = call(sendsay, send_request(**changes))
    assert isinstance(answer["track.id"], str), answer
    assert len(sendsay.executed_sends()) == 1


def test_personal_send_reports_the_channel(sendsay: FakeSendsay) -> None:
    answer = call(sendsay, send_request(group="personal", email="reader@example.org"))
    assert answer["channel"] == "email"


def test_allowed_senders() -> None:
    with FakeSendsay(apikey="K", senders=["News@Example.org"]) as fake:
        headers = {"Authorization": "sendsay apikey=K"}
        assert "track.id" in post(fake.account_url, send_request(), headers=headers)
        other = send_request(letter=letter(from__email="me@gmail.com"))
        answer = post(fake.account_url, other, headers=headers)
        assert error_of(answer) == ("error/issue/sender_not_allowed", "me@gmail.com")
        assert len(fake.executed_sends()) == 1


# --------------------------------------------------------------------------- §9.10 tracks


def test_track_runs_then_finishes(sendsay: FakeSendsay) -> None:
    track_id = call(sendsay, send_request())["track.id"]
    statuses = [call(sendsay, {"action": "track.get", "id": track_id})["obj"]["status"]
                for _ in range(3)]
    assert statuses[0] >= 0 and statuses[1:] == [-1, -1]


def test_scheduled_track_ends_in_minus_four(sendsay: FakeSendsay) -> None:
    request = send_request(sendwhen="later", later__time="2030-01-01 09:00")
    track_id = call(sendsay, request)["track.id"]
    statuses = [call(sendsay, {"action": "track.get", "id": track_id})["obj"]["status"]
                for _ in range(2)]
    assert statuses[0] >= 0 and statuses[1] == -4


def test_each_send_gets_a_new_track_and_unknown_tracks_are_errors(sendsay: FakeSendsay) -> None:
    first, second = (call(sendsay, send_request())["track.id"] for _ in range(2))
    assert first != second
    assert error_of(call(sendsay, {"action": "track.get", "id": "999"})) == (
        "error/track/not_found", "999")


def test_scripted_track(sendsay: FakeSendsay) -> None:
    track_id = call(sendsay, send_request())["track.id"]
    sendsay.script_track(track_id, [2, -2])
    got = [call(sendsay, {"action": "track.get", "id": track_id})["obj"]["status"]
           for _ in range(3)]
    assert got == [2, -2, -2]


# --------------------------------------------------------------------------- §9.11 drafts etc.


def test_drafts_round_trip_and_can_be_sent(sendsay: FakeSendsay) -> None:
    obj = {"name": "Welcome", "letter": copy.deepcopy(LETTER)}
    created = call(sendsay, {"action": "issue.draft.set", "obj": obj, "return_fresh_obj": 1})
    draft_id = created["id"]
    assert created["obj"] == {**obj, "id": draft_id}
    assert call(sendsay, {"action": "issue.draft.get", "id": draft_id})["obj"] == created["obj"]

    changed = {**obj, "name": "Welcome v2"}
    call(sendsay, {"action": "issue.draft.set", "id": draft_id, "obj": changed})
    assert call(sendsay, {"action": "issue.draft.list"})["list"] == [{**changed, "id": draft_id}]
    assert error_of(call(sendsay, {"action": "issue.draft.set", "id": "77", "obj": obj})) == (
        "error/draft/not_found", "77")

    answer = call(sendsay, send_request(letter={"draft.id": draft_id, "subject": "Override"}))
    assert "track.id" in answer
    assert sendsay.account.issues[-1].letter["subject"] == "Override"
    assert sendsay.account.issues[-1].letter["message"] == LETTER["message"]

    call(sendsay, {"action": "issue.draft.delete", "id": draft_id})
    assert error_of(call(sendsay, {"action": "issue.draft.get", "id": draft_id}))[0] == (
        "error/draft/not_found")


def test_group_list_and_get(sendsay: FakeSendsay) -> None:
    groups = call(sendsay, {"action": "group.list"})["list"]
    assert [(g["id"], g["type"], g["addr_type"]) for g in groups] == [
        ("pl01", "list", "email"), ("pl02", "list", "email")]
    assert call(sendsay, {"action": "group.get", "id": "pl02"})["obj"]["id"] == "pl02"
    assert error_of(call(sendsay, {"action": "group.get", "id": "zz"})) == (
        "error/group/not_found", "zz")


def member_set(fake: FakeSendsay, if_exists: str, name: str) -> dict[str, Any]:
    return call(fake, {"action": "member.set", "email": "Anna@Example.org", "addr_type": "email",
                       "if_exists": if_exists, "newbie.confirm": 0, "return_fresh_obj": 1,
                       "datakey": [["base.firstName", "set", name]]})


def first_name(fake: FakeSendsay) -> str:
    obj = call(fake, {"action": "member.get", "email": "anna@example.org"})["obj"]
    return obj["base"]["firstName"]


def test_member_set_if_exists(sendsay: FakeSendsay) -> None:
    assert error_of(member_set(sendsay, "must", "Анна")) == (
        "error/member/not_found", "anna@example.org")
    assert error_of(call(sendsay, {"action": "member.get", "email": "anna@example.org"}))[0] == (
        "error/member/not_found")
    created = member_set(sendsay, "error", "Анна")
    assert created["obj"]["base"] == {"firstName": "Анна"}
    assert error_of(member_set(sendsay, "error", "Аня")) == (
        "error/member/exists", "anna@example.org")
    assert "errors" not in member_set(sendsay, "ignore", "Аня")
    assert first_name(sendsay) == "Анна"
    member_set(sendsay, "overwrite", "Аня")
    assert first_name(sendsay) == "Аня"
    member_set(sendsay, "must", "Анюта")
    assert first_name(sendsay) == "Анюта"
    assert error_of(member_set(sendsay, "sometimes", "x")) == (
        "error/request/bad_param", "if_exists")


SELECT = ["issue.id", "issue.name", "issue.dt:Ys", "issue.members", "issue.deliv_ok",
          "issue.deliv_bad", "issue.u_readed", "issue.u_clicked", "issue.unsubed"]


def stat(fake: FakeSendsay, **query: Any) -> list[list[Any]]:
    answer = call(fake, {"action": "stat.uni", "result": "response", "select": SELECT, **query})
    assert "errors" not in answer, answer
    return answer["list"]


def test_stat_uni_numbers_are_exact(sendsay: FakeSendsay) -> None:
    call(sendsay, send_request(name="nl/1"))  # pl01: 120 recipients
    call(sendsay, send_request(name="nl/2", group="pl02"))  # 2000 recipients
    call(sendsay, send_request(name="proof", sendwhen="test", group=DROP,
                               mca=["editor@example.org"]))  # proofs are not issues

    rows = stat(sendsay, filter=[{"a": "issue.name", "op": "==", "v": "nl/1"}],
                order=["-issue.dt:Ys"], first=10)
    assert len(rows) == 1
    assert rows[0][:2] == [1001, "nl/1"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", rows[0][2])
    assert rows[0][3:] == [120, 114, 6, 45, 11, 1]

    rows = stat(sendsay, filter=[{"a": "issue.members", "op": ">=", "v": 1000}])
    assert [r[1] for r in rows] == ["nl/2"]
    assert rows[0][3:] == [2000, 1900, 100, 760, 190, 20]

    rates = call(sendsay, {"action": "stat.uni", "result": "response",
                           "select": ["issue.name", "issue.readed", "issue.clicked",
                                      "issue.open_rate", "issue.click_rate"],
                           "order": ["issue.name"]})["list"]
    assert rates == [["nl/1", 67, 22, 39.47, 9.65], ["nl/2", 1140, 380, 40.0, 10.0]]
    assert issue_numbers(120)["open_rate"] == 39.47  # the documented formulas


def test_stat_uni_order_skip_first_and_dates(sendsay: FakeSendsay) -> None:
    for name, group in (("a", "pl01"), ("b", "pl02"), ("c", "pl01")):
        call(sendsay, send_request(name=name, group=group))
    assert [r[1] for r in stat(sendsay)] == ["a", "b", "c"]  # by issue.id by default
    by_size = stat(sendsay, order=["-issue.members", "-issue.id"])
    assert [r[1] for r in by_size] == ["b", "c", "a"]
    assert [r[1] for r in stat(sendsay, order=["-issue.members", "-issue.id"], skip=1,
                               first=1)] == ["c"]
    day = stat(sendsay)[0][2][:10]
    answer = call(sendsay, {"action": "stat.uni", "result": "response",
                            "select": ["issue.dt:YD", "issue.dt:YM"],
                            "filter": [{"a": "issue.dt:YD", "op": "==", "v": day},
                                       {"a": "issue.name", "op": "!=", "v": "b"}]})
    assert answer["list"] == [[day, day[:7]], [day, day[:7]]]


@pytest.mark.parametrize("query, expected", [
    ({"result": DROP}, ("error/request/missing_param", "result")),
    ({"result": "save"}, ("error/request/bad_param", "result")),
    ({"select": ["deliv.id"]}, ("error/request/bad_param", "select")),
    ({"select": ["issue.nonsense"]}, ("error/request/bad_param", "select")),
    ({"filter": [{"a": "issue.name", "op": "~", "v": "x"}]},
     ("error/request/bad_param", "filter")),
    ({"filter": [{"a": "issue.members", "op": ">", "v": "many"}]},
     ("error/request/bad_param", "filter")),
    ({"order": ["read.dt"]}, ("error/request/bad_param", "order")),
    ({"first": -1}, ("error/request/bad_param", "first")),
])
def test_stat_uni_rejects(sendsay: FakeSendsay, query: dict[str, Any],
                          expected: tuple[str, str]) -> None:
    call(sendsay, send_request())
    request = {"action": "stat.uni", "result": "response", "select": ["issue.id"], **query}
    request = {k: v for k, v in request.items() if v is not DROP}
    assert error_of(call(sendsay, request)) == expected


def test_issue_list(sendsay: FakeSendsay) -> None:
    call(sendsay, send_request(group="pl01"))
    call(sendsay, send_request(group="pl02"))
    call(sendsay, send_request(sendwhen="test", group=DROP, mca=["editor@example.org"]))
    everything = call(sendsay, {"action": "issue.list"})["list"]
    assert [(i["id"], i["gid"]) for i in everything] == [(1001, "pl01"), (1002, "pl02")]
    day = everything[0]["date"][:10]
    only_pl02 = call(sendsay, {"action": "issue.list", "from": day, "upto": day,
                               "group": ["pl02"]})["list"]
    assert [i["id"] for i in only_pl02] == [1002]
    assert call(sendsay, {"action": "issue.list", "upto": "2000-01-01"})["list"] == []
    assert error_of(call(sendsay, {"action": "issue.list", "from": "01.10.2024"})) == (
        "error/request/bad_param", "from")


# --------------------------------------------------------------------------- §9.12 batch


def test_batch_runs_inner_requests_with_outer_credentials(sendsay: FakeSendsay) -> None:
    track_id = call(sendsay, send_request())["track.id"]
    sendsay.clear_requests()
    inner = [{"action": "track.get", "id": track_id}, {"action": "track.get", "id": "nope"},
             {"action": "pong"}]
    answer = call(sendsay, {"action": "batch", "do": inner})
    results = answer["result"]
    assert results[0]["obj"]["id"] == track_id
    assert error_of(results[1])[0] == "error/track/not_found"
    assert results[2]["account"] == SENDSAY_LOGIN

    log = sendsay.requests
    outer = log[-1]
    assert outer["action"] == "batch" and outer["outcome"] == "ok"
    assert [(e["action"], e["outcome"], e["auth"], e["parent_seq"]) for e in log[:-1]] == [
        ("track.get", "ok", "apikey:header", outer["seq"]),
        ("track.get", "error", "apikey:header", outer["seq"]),
        ("pong", "ok", "apikey:header", outer["seq"]),
    ]


def test_batch_stop_on_error_and_sends_inside(sendsay: FakeSendsay) -> None:
    inner = [send_request(), {"action": "track.get", "id": "nope"}, send_request()]
    answer = call(sendsay, {"action": "batch", "do": inner, "stop_on_error": 1})
    assert len(answer["result"]) == 2
    assert len(sendsay.executed_sends()) == 1
    assert sendsay.executed_sends()[0]["parent_seq"] == sendsay.requests[-1]["seq"]


def test_batch_with_wrong_credentials_runs_nothing(sendsay: FakeSendsay) -> None:
    answer = post(sendsay.account_url, {"action": "batch", "do": [send_request()]},
                  headers={"Authorization": "sendsay apikey=wrong"})
    assert error_of(answer) == ("error/auth/failed", "wrong_credentials")
    assert len(sendsay.requests) == 1 and sendsay.executed_sends() == []


# --------------------------------------------------------------------------- §9.13 log


def test_log_masks_every_secret(sendsay: FakeSendsay, tmp_path: Path) -> None:
    session = login(sendsay)["session"]
    post(sendsay.account_url, {"action": "pong", "session": session})
    post(sendsay.account_url, {"action": "pong", "apikey": SENDSAY_APIKEY})
    post(sendsay.account_url, {"action": "pong", "one_time_auth": {
        "login": SENDSAY_LOGIN, "sublogin": SENDSAY_SUBLOGIN, "passwd": SENDSAY_PASSWORD}})
    post(sendsay.account_url, {"action": "batch", "apikey": SENDSAY_APIKEY,
                               "do": [{"action": "pong", "session": session}]})

    log = sendsay.requests
    assert log[0]["request"]["passwd"] == "***" and log[0]["answer"]["session"] == "***"
    assert log[1]["request"]["session"] == "***"
    assert log[2]["request"]["apikey"] == "***"
    assert log[3]["request"]["one_time_auth"]["passwd"] == "***"
    text = (tmp_path / "sendsay.jsonl").read_text(encoding="utf-8")
    for secret in (SENDSAY_APIKEY, SENDSAY_PASSWORD, session, session.split(":")[1]):
        assert secret not in text
        assert secret not in json.dumps(log)


def test_log_lines_and_file_agree(sendsay: FakeSendsay, tmp_path: Path) -> None:
    post(sendsay.base_url, {"action": "ping"})
    call(sendsay, send_request())
    call(sendsay, send_request(group="pl99"))
    log = sendsay.requests
    assert read_log(tmp_path / "sendsay.jsonl") == log
    assert [(e["path"], e["action"], e["outcome"]) for e in log] == [
        ("/", "ping", "redirect"),
        (f"/general/api/v100/json/{SENDSAY_LOGIN}", "issue.send", "ok"),
        (f"/general/api/v100/json/{SENDSAY_LOGIN}", "issue.send", "error"),
    ]
    entry = log[1]
    assert set(entry) == {"seq", "time", "path", "wire_format", "action", "auth", "request_id",
                          "request", "outcome", "answer"}
    assert entry["request"] == send_request()
    assert entry["answer"]["track.id"] == "1"


# --------------------------------------------------------------------------- §9.14 duplicates


def test_identical_sends_are_not_suppressed(sendsay: FakeSendsay) -> None:
    answers = [call(sendsay, send_request()) for _ in range(2)]
    assert answers[0]["track.id"] != answers[1]["track.id"]
    assert len(sendsay.executed_sends()) == 2
    rows = stat(sendsay, filter=[{"a": "issue.name", "op": "==", "v": "newsletter/2024-10-01"}])
    assert len(rows) == 2


# --------------------------------------------------------------------------- fault injection


def test_drop_connection_after_send(sendsay: FakeSendsay) -> None:
    sendsay.drop_connection_after_send()
    assert "account" in call(sendsay, {"action": "pong"})  # only sends trigger it
    with pytest.raises(requests.ConnectionError):
        requests.post(sendsay.account_url, json=send_request(), headers=AUTH, timeout=5)
    assert [e["fault"] for e in sendsay.executed_sends()] == ["drop"]
    assert "track.id" in call(sendsay, send_request())  # one use only
    assert len(sendsay.executed_sends()) == 2


def test_server_error_after_executing(sendsay: FakeSendsay) -> None:
    sendsay.answer_server_error(status=503, action="issue.send")
    assert "account" in call(sendsay, {"action": "pong"})
    response = requests.post(sendsay.account_url, json=send_request(), headers=AUTH, timeout=5)
    assert response.status_code == 503
    assert sendsay.executed_sends()[0]["fault"] == "http_503"


def test_non_json_answer(sendsay: FakeSendsay) -> None:
    sendsay.answer_non_json(count=2)
    for _ in range(2):
        response = requests.post(sendsay.account_url, json={"action": "ping"}, timeout=5)
        assert response.status_code == 200
        with pytest.raises(ValueError):
            response.json()
    assert "pong" in post(sendsay.account_url, {"action": "ping"})


def test_delayed_answer(sendsay: FakeSendsay) -> None:
    sendsay.delay_answers(0.3)
    started = time.monotonic()
    assert "pong" in post(sendsay.account_url, {"action": "ping"})
    assert time.monotonic() - started >= 0.3
    sendsay.delay_answers(30, action="issue.send")
    with pytest.raises(requests.Timeout):
        requests.post(sendsay.account_url, json=send_request(), headers=AUTH, timeout=0.2)
    assert len(sendsay.executed_sends()) == 1  # stop() does not wait the 30 s out


# --------------------------------------------------------------------------- standalone process


def test_runs_as_a_separate_process(tmp_path: Path) -> None:
    log_file = tmp_path / "rehearsal.jsonl"
    command = [sys.executable, "-m", "publisher.testing.fake_sendsay", "--port", "0",
               "--login", "x_123", "--apikey", "KEY", "--group", "pl01=120",
               "--log", str(log_file)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True,
                          cwd=Path(__file__).parents[2]) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            match = re.search(r"(http://127\.0\.0\.1:\d+) \(account address (\S+)\)", line)
            assert match, line
            base_url, account_url = match.groups()
            assert account_url == base_url + "/general/api/v100/json/x_123"
            assert "pong" in post(base_url + "/general/api/v100/json/-", {"action": "ping"})
            answer = post(account_url, send_request(), headers={
                "Authorization": "sendsay apikey=KEY"})
            assert "track.id" in answer
        finally:
            process.terminate()
        assert process.wait(timeout=10) == 0
    entries = read_log(log_file)
    assert [(e["action"], e["outcome"]) for e in entries] == [("ping", "ok"),
                                                               ("issue.send", "ok")]


def test_sequence_member_start_needs_a_known_member_and_records_the_start(
        sendsay: FakeSendsay) -> None:
    unknown = call(sendsay, {"action": "sequence.member.start", "id": "17",
                             "email": "anna@example.org"})
    assert unknown["errors"][0]["id"] == "error/member/not_found"
    call(sendsay, {"action": "member.set", "email": "anna@example.org"})
    assert "errors" not in call(sendsay, {"action": "sequence.member.start", "id": "17",
                                          "email": "anna@example.org"})
    missing_id = call(sendsay, {"action": "sequence.member.start", "email": "anna@example.org"})
    assert missing_id["errors"][0]["id"] == "error/request/missing_param"
    assert sendsay.account.sequence_members == {"17": ["anna@example.org"]}

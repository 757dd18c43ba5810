"""SendsayClient over real HTTP against the local double (the checklist at the end of §9).

No mocks of requests: every test talks to a FakeSendsay on 127.0.0.1 and asserts what the
double's request log says was sent and executed.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from publisher.backends.sendsay_client import (
    SendsayClient, TrackOutcome, api_error, first_error, track_outcome,
)
from publisher.errors import ConfigError, SendError
from publisher.testing.fake_sendsay import FakeSendsay
from tests.fixtures_sendsay import (
    SENDSAY_APIKEY, SENDSAY_LOGIN, SENDSAY_PASSWORD, SENDSAY_SUBLOGIN,
)

LETTER = {"subject": "Октябрьский выпуск", "from.email": "news@example.org",
          "from.name": "Редакция", "message": {"html": "<p>Привет</p>", "text": "Привет"}}
ACCOUNT_PATH = f"/general/api/v100/json/{SENDSAY_LOGIN}"


class Sleeps(list[float]):
    """An injectable ``sleep`` that records delays instead of waiting (and drives a fake clock)."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def make_client(fake: FakeSendsay, *, url: str | None = None, sleeps: Sleeps | None = None,
                **options: Any) -> SendsayClient:
    auth: dict[str, Any] = ({"apikey": SENDSAY_APIKEY} if "password" not in options
                            else {"sublogin": SENDSAY_SUBLOGIN})
    sleeps = sleeps if sleeps is not None else Sleeps()
    options = {"timeout": 5, **auth, **options}
    return SendsayClient(url or fake.base_url, login=SENDSAY_LOGIN, sleep=sleeps,
                         clock=sleeps.clock, **options)


@pytest.fixture
def password_client(sendsay: FakeSendsay) -> Iterator[SendsayClient]:
    with make_client(sendsay, url=sendsay.account_url, password=SENDSAY_PASSWORD) as client:
        yield client


def send(client: SendsayClient, **options: Any) -> dict[str, Any]:
    options = {"sendwhen": "now", "group": "pl01", "name": "newsletter/2024-10-01", **options}
    return client.issue_send(LETTER, **options)


def trail(fake: FakeSendsay) -> list[tuple[str, str, str]]:
    """(path, action, outcome) of every logged request, top-level ones only."""
    return [(e["path"], e["action"], e["outcome"]) for e in fake.requests
            if "parent_seq" not in e]


# --------------------------------------------------------------------------- addresses (§2)


def test_bare_host_redirect_is_followed_once(sendsay: FakeSendsay,
                                             sendsay_client: SendsayClient) -> None:
    assert sendsay_client.pong()["account"] == SENDSAY_LOGIN
    assert sendsay_client.pong()["sublogin"] == SENDSAY_SUBLOGIN
    assert trail(sendsay) == [("/", "pong", "redirect"), (ACCOUNT_PATH, "pong", "ok"),
                              (ACCOUNT_PATH, "pong", "ok")]
    assert sendsay_client.url == sendsay.account_url


def test_first_send_through_the_bare_host_runs_once(sendsay: FakeSendsay,
                                                    sendsay_client: SendsayClient) -> None:
    answer = send(sendsay_client)
    assert answer["track.id"] == "1"
    assert trail(sendsay) == [("/", "issue.send", "redirect"), (ACCOUNT_PATH, "issue.send", "ok")]
    assert len(sendsay.executed_sends()) == 1


def test_account_address_is_used_directly(sendsay: FakeSendsay) -> None:
    with make_client(sendsay, url=sendsay.account_url + "/") as client:
        client.ping()
    assert trail(sendsay) == [(ACCOUNT_PATH + "/", "ping", "ok")]


class Redirector(BaseHTTPRequestHandler):
    """A broken server that answers every request with the REDIRECT in ``answer``."""

    answer: dict[str, Any] = {}

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers["Content-Length"]))
        body = json.dumps(self.answer).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@pytest.fixture
def redirector() -> Iterator[Callable[[str], str]]:
    """Start a server whose every answer is ``{"REDIRECT": target}``; yields target -> URL."""
    servers: list[ThreadingHTTPServer] = []

    def start(target: str) -> str:
        handler = type("H", (Redirector,), {"answer": {"REDIRECT": target}})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_endless_redirects_give_up_after_ten(redirector: Callable[[str], str]) -> None:
    with SendsayClient(redirector("/elsewhere"), login="x_1", apikey="K") as client:
        with pytest.raises(SendError) as caught:
            client.pong()
    assert "redirected 10 times" in str(caught.value)
    assert caught.value.retryable and not caught.value.ambiguous
    assert "base URL" in (caught.value.hint or "")


def test_redirect_to_another_host_is_refused(redirector: Callable[[str], str]) -> None:
    with SendsayClient(redirector("https://evil.example/"), login="x_1", apikey="K") as client:
        with pytest.raises(SendError, match="unexpected address"):
            client.pong()


# --------------------------------------------------------------------------- auth (§3)


def test_apikey_travels_only_in_the_header(sendsay: FakeSendsay, sendsay_client: SendsayClient,
                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    send(sendsay_client)
    sendsay_client.pong()
    executed = [e for e in sendsay.requests if e["outcome"] == "ok"]
    assert [e["auth"] for e in executed] == ["apikey:header", "apikey:header"]
    assert all("apikey" not in e["request"] for e in sendsay.requests)
    assert "issue.send" in caplog.text  # the summaries are there ...
    assert SENDSAY_APIKEY not in caplog.text  # ... the key is not
    assert SENDSAY_APIKEY not in repr(sendsay_client)


def test_ping_needs_no_credentials(sendsay: FakeSendsay, sendsay_client: SendsayClient) -> None:
    assert "pong" in sendsay_client.ping()
    assert sendsay.requests[-1]["auth"] == "none"


def test_wrong_apikey_is_a_clean_error(sendsay: FakeSendsay,
                                       caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with make_client(sendsay, url=sendsay.account_url, apikey="wrong-key-123") as client:
        with pytest.raises(SendError) as caught:
            send(client)
    error = caught.value
    assert error.provider_code == "error/auth/failed"
    assert str(error) == "sendsay: issue.send failed: error/auth/failed (wrong_credentials)"
    assert "SENDSAY_APIKEY" in (error.hint or "")
    assert error.retryable and not error.ambiguous
    assert trail(sendsay) == [(ACCOUNT_PATH, "issue.send", "error")]  # not retried
    assert "wrong-key-123" not in caplog.text


def test_password_login_uses_the_session(sendsay: FakeSendsay, password_client: SendsayClient,
                                         caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    password_client.pong()
    send(password_client)
    log = sendsay.requests
    assert [(e["action"], e["auth"]) for e in log] == [
        ("login", "none"), ("pong", "session:field"), ("issue.send", "session:field")]
    assert log[0]["request"] == {"action": "login", "login": SENDSAY_LOGIN,
                                 "sublogin": SENDSAY_SUBLOGIN, "passwd": "***"}
    assert SENDSAY_PASSWORD not in caplog.text
    for session in sendsay.account.sessions:
        assert session not in caplog.text and session not in repr(password_client)


def test_expired_session_logs_in_again_and_sends_once(sendsay: FakeSendsay,
                                                      password_client: SendsayClient) -> None:
    password_client.pong()
    sendsay.expire_sessions()
    assert send(password_client)["track.id"] == "1"
    assert trail(sendsay)[2:] == [(ACCOUNT_PATH, "issue.send", "error"),
                                  (ACCOUNT_PATH, "login", "ok"),
                                  (ACCOUNT_PATH, "issue.send", "ok")]
    assert len(sendsay.executed_sends()) == 1


def test_relogin_is_attempted_at_most_three_times() -> None:
    with FakeSendsay(login="x_1", password="pw", session_lifetime=0) as fake:
        with SendsayClient(fake.account_url, login="x_1", password="pw") as client:
            with pytest.raises(SendError) as caught:
                client.pong()
        assert [e["action"] for e in fake.requests] == ["login", "pong"] * 4
    assert caught.value.provider_code == "error/auth/failed"
    assert "(expired)" in str(caught.value)


def test_wrong_password_is_fatal(sendsay: FakeSendsay) -> None:
    with make_client(sendsay, url=sendsay.account_url, password="nope") as client:
        with pytest.raises(SendError) as caught:
            client.pong()
    assert "wrong_credentials" in str(caught.value)
    assert "password" in (caught.value.hint or "")
    assert trail(sendsay) == [(ACCOUNT_PATH, "login", "error")]


def test_logout_ends_the_session(sendsay: FakeSendsay, password_client: SendsayClient) -> None:
    password_client.pong()
    password_client.logout()
    assert sendsay.account.sessions == {}
    password_client.pong()  # logs in again on demand
    assert [e["action"] for e in sendsay.requests] == ["login", "pong", "logout", "login", "pong"]


def test_configuration_errors() -> None:
    with pytest.raises(ConfigError):
        SendsayClient("http://127.0.0.1:1", login="x_1")
    with pytest.raises(ConfigError):
        SendsayClient("api.sendsay.ru", login="x_1", apikey="K")
    with pytest.raises(ConfigError):
        SendsayClient("http://127.0.0.1:1", login="x_1", apikey="K",
                      wire_format="xml")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- API errors (§4)


def test_unknown_group_error_has_a_hint(sendsay: FakeSendsay,
                                        sendsay_client: SendsayClient) -> None:
    with pytest.raises(SendError) as caught:
        send(sendsay_client, group="pl99")
    assert caught.value.provider_code == "error/group/not_found"
    assert "error/group/not_found (pl99)" in str(caught.value)
    assert "list_id" in (caught.value.hint or "")
    assert sendsay.executed_sends() == []


def test_sender_not_allowed_has_a_hint() -> None:
    with FakeSendsay(apikey="K", senders=["other@example.org"]) as fake:
        with SendsayClient(fake.account_url, login=fake.login, apikey="K") as client:
            with pytest.raises(SendError) as caught:
                send(client)
    assert "confirm" in (caught.value.hint or "")


def test_error_shapes() -> None:
    legacy = {"error": {"id": "error/some/thing", "explain": {"field": "x"}}}
    assert first_error(legacy) == ("error/some/thing", '{"field": "x"}')
    assert first_error({"errors": [{"id": "a/b"}, {"id": "c/d"}]}) == ("a/b", "")
    assert first_error({"errors": [], "list": []}) is None
    error = api_error(legacy, "stat.uni")
    assert error is not None and error.provider_code == "error/some/thing"


# --------------------------------------------------------------------------- transport (§5.4)


def test_dropped_connection_after_send_is_ambiguous_and_not_repeated(
        sendsay: FakeSendsay, sendsay_client: SendsayClient) -> None:
    sendsay_client.pong()  # the redirect is behind us
    sendsay.drop_connection_after_send()
    with pytest.raises(SendError) as caught:
        send(sendsay_client)
    assert caught.value.ambiguous and not caught.value.retryable
    assert "may have been executed" in str(caught.value)
    assert len(sendsay.executed_sends()) == 1
    assert [e["action"] for e in sendsay.requests].count("issue.send") == 1


@pytest.mark.parametrize("fault", ["server_error", "non_json", "timeout"])
def test_other_ambiguous_failures_are_not_repeated(sendsay: FakeSendsay, fault: str) -> None:
    {"server_error": lambda: sendsay.answer_server_error(action="issue.send"),
     "non_json": lambda: sendsay.answer_non_json(action="issue.send"),
     "timeout": lambda: sendsay.delay_answers(30, action="issue.send")}[fault]()
    with make_client(sendsay, url=sendsay.account_url, timeout=0.3) as client:
        with pytest.raises(SendError) as caught:
            send(client)
    assert caught.value.ambiguous and not caught.value.retryable
    assert len(sendsay.executed_sends()) == 1
    assert [e["action"] for e in sendsay.requests] == ["issue.send"]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_refused_connection_is_retried_for_reads_but_not_for_sends() -> None:
    sleeps = Sleeps()
    url = f"http://127.0.0.1:{closed_port()}"
    with SendsayClient(url, login="x_1", apikey="K", sleep=sleeps,
                       connect_retry_delay=0.5) as client:
        with pytest.raises(SendError) as caught:
            client.pong()
        assert caught.value.retryable and not caught.value.ambiguous
        assert "nothing was sent" in str(caught.value)
        assert sleeps == [0.5, 0.5]  # two more attempts
        sleeps.clear()
        with pytest.raises(SendError) as caught:
            send(client)
        assert caught.value.retryable and not caught.value.ambiguous
        assert sleeps == []  # issue.send is left to the caller


# --------------------------------------------------------------------------- tracks (§5.4)


@pytest.mark.parametrize("final, outcome", [
    (-1, TrackOutcome.OK), (-2, TrackOutcome.FAILED), (-3, TrackOutcome.FAILED),
    (-4, TrackOutcome.SCHEDULED), (-5, TrackOutcome.MODERATION), (-6, TrackOutcome.FAILED)])
def test_polling_stops_at_the_first_negative_status(sendsay: FakeSendsay, final: int,
                                                    outcome: TrackOutcome) -> None:
    sleeps = Sleeps()
    with make_client(sendsay, url=sendsay.account_url, sleeps=sleeps) as client:
        track_id = send(client)["track.id"]
        sendsay.script_track(track_id, [0, 2, 5, final, -1])
        seen: list[int] = []
        track = client.wait_for_track(track_id, on_progress=lambda t: seen.append(t["status"]),
                                      initial_delay=2, max_delay=4)
    assert track["status"] == final and track["id"] == track_id
    assert track_outcome(track["status"]) is outcome
    assert seen == [0, 2, 5, final]
    assert sleeps == [2, 3, 4, 4]  # growing, capped
    assert [e["action"] for e in sendsay.requests].count("track.get") == 4


def test_scheduled_send_ends_scheduled(sendsay: FakeSendsay,
                                       sendsay_client: SendsayClient) -> None:
    later = dt.datetime(2030, 1, 1, 6, 0, tzinfo=dt.UTC)
    track_id = send(sendsay_client, sendwhen="later", later_time=later)["track.id"]
    assert sendsay.executed_sends()[0]["request"]["later.time"] == "2030-01-01 09:00"
    track = sendsay_client.wait_for_track(track_id, initial_delay=0)
    assert track_outcome(track["status"]) is TrackOutcome.SCHEDULED


def test_polling_gives_up_after_the_timeout(sendsay: FakeSendsay) -> None:
    sleeps = Sleeps()
    with make_client(sendsay, url=sendsay.account_url, sleeps=sleeps) as client:
        track_id = send(client)["track.id"]
        sendsay.script_track(track_id, [3])
        with pytest.raises(SendError) as caught:
            client.wait_for_track(track_id, initial_delay=1, max_delay=10, timeout=30)
    assert caught.value.ambiguous  # accepted and running: never a reason to resend
    assert sum(sleeps) <= 30


def test_track_outcome_mapping() -> None:
    assert [track_outcome(s) for s in (0, 6, -1, -2, -3, -4, -5, -6, -9)] == [
        TrackOutcome.RUNNING, TrackOutcome.RUNNING, TrackOutcome.OK, TrackOutcome.FAILED,
        TrackOutcome.FAILED, TrackOutcome.SCHEDULED, TrackOutcome.MODERATION,
        TrackOutcome.FAILED, TrackOutcome.UNKNOWN]


def test_batch_polls_several_tracks(sendsay: FakeSendsay, sendsay_client: SendsayClient) -> None:
    first, second = (send(sendsay_client)["track.id"] for _ in range(2))
    answers = sendsay_client.batch([{"action": "track.get", "id": first},
                                    {"action": "track.get", "id": second},
                                    {"action": "track.get", "id": "404"}])
    assert [a["obj"]["id"] for a in answers[:2]] == [first, second]
    error = api_error(answers[2], "track.get")
    assert error is not None and error.provider_code == "error/track/not_found"


# --------------------------------------------------------------------------- the request sent


def test_issue_send_request_shape(sendsay: FakeSendsay, sendsay_client: SendsayClient) -> None:
    send(sendsay_client, labels=["newsletter/2024-10-01"])
    assert sendsay.executed_sends()[0]["request"] == {
        "action": "issue.send", "sendwhen": "now", "group": "pl01",
        "name": "newsletter/2024-10-01", "label": ["newsletter/2024-10-01"],
        "relink": 1, "relink.param": {"link": 1, "image": 0, "test": 1}, "letter": LETTER}


@pytest.mark.parametrize("options, expected", [
    ({"email": "reader@example.org"}, {"group": "personal", "email": "reader@example.org"}),
    ({"users_list": "a@example.org\nb@example.org"},
     {"group": "masssending", "users.list": "a@example.org\nb@example.org"}),
    ({"sendwhen": "test", "mca": ["editor@example.org"]}, {"mca": ["editor@example.org"]}),
])
def test_issue_send_audiences(sendsay: FakeSendsay, sendsay_client: SendsayClient,
                              options: dict[str, Any], expected: dict[str, Any]) -> None:
    sendsay_client.issue_send(LETTER, sendwhen=options.pop("sendwhen", "now"), relink=False,
                              **options)
    request = sendsay.executed_sends()[0]["request"]
    assert {k: request[k] for k in expected} == expected
    assert "relink" not in request


def test_issue_send_refuses_incomplete_calls(sendsay_client: SendsayClient) -> None:
    with pytest.raises(ValueError):
        sendsay_client.issue_send(LETTER, sendwhen="now")
    with pytest.raises(ValueError):
        sendsay_client.issue_send(LETTER, sendwhen="later", group="pl01")
    with pytest.raises(ValueError):
        sendsay_client.issue_send(LETTER, sendwhen="later", group="pl01",
                                  later_time=dt.datetime(2030, 1, 1, 9, 0))  # naive


def test_form_wire_format(sendsay: FakeSendsay) -> None:
    with make_client(sendsay, wire_format="form") as client:
        assert client.pong()["account"] == SENDSAY_LOGIN
        send(client)
    log = sendsay.requests
    assert [e["wire_format"] for e in log] == ["form", "form", "form"]
    assert all(e["request_id"] and e["request_id"].startswith("pub-") for e in log)
    assert sendsay.executed_sends()[0]["request"]["letter"] == LETTER  # Cyrillic intact


# --------------------------------------------------------------------------- other operations


def test_statistics_of_an_issue(sendsay: FakeSendsay, sendsay_client: SendsayClient) -> None:
    assert sendsay_client.stat_uni_issue("newsletter/2024-10-01") is None
    send(sendsay_client)
    numbers = sendsay_client.stat_uni_issue("newsletter/2024-10-01")
    assert numbers is not None
    assert {k: v for k, v in numbers.items() if k != "dt"} == {
        "id": 1001, "name": "newsletter/2024-10-01", "members": 120, "deliv_ok": 114,
        "deliv_bad": 6, "u_readed": 45, "u_clicked": 11, "unsubed": 1}
    send(sendsay_client)  # a double send shows up as a second row
    assert [r["id"] for r in sendsay_client.stat_uni_issues("newsletter/2024-10-01")] == [
        1002, 1001]


def test_issue_list(sendsay: FakeSendsay, sendsay_client: SendsayClient) -> None:
    send(sendsay_client)
    send(sendsay_client, group="pl02")
    day = sendsay_client.issue_list()[0]["date"][:10]
    assert [i["gid"] for i in sendsay_client.issue_list(day, day, ["pl02"])] == ["pl02"]
    assert sendsay_client.issue_list(dt.date(2000, 1, 1), dt.date(2000, 1, 2)) == []


def test_lists_drafts_and_members(sendsay_client: SendsayClient) -> None:
    assert [g["id"] for g in sendsay_client.group_list()] == ["pl01", "pl02"]
    created = sendsay_client.draft_set({"name": "Welcome", "letter": LETTER})
    assert sendsay_client.draft_get(created["id"]) == {"name": "Welcome", "letter": LETTER,
                                                       "id": created["id"]}
    sendsay_client.draft_set({"name": "Welcome 2", "letter": LETTER}, id=created["id"])
    assert sendsay_client.draft_get(created["id"])["name"] == "Welcome 2"
    answer = sendsay_client.member_set("anna@example.org",
                                       datakey=[["base.firstName", "set", "Анна"]])
    assert answer["obj"]["base"]["firstName"] == "Анна"
    assert sendsay_client.member_get("anna@example.org")["base"] == {"firstName": "Анна"}
    with pytest.raises(SendError, match="member/exists"):
        sendsay_client.member_set("anna@example.org", if_exists="error")


def test_generic_call_with_dotted_parameters(sendsay: FakeSendsay,
                                             sendsay_client: SendsayClient) -> None:
    answer = sendsay_client.call("issue.send", sendwhen="test", letter=LETTER,
                                 **{"mca": ["editor@example.org"]})
    assert "track.id" in answer
    assert sendsay.executed_sends()[0]["request"]["sendwhen"] == "test"

"""The SMTP backend against a real aiosmtpd server on 127.0.0.1."""

from __future__ import annotations

import pytest

from publisher.backends import get_backend
from publisher.errors import ConfigError, SendError
from publisher.models import Audience, Recipient
from tests.fixtures_smtp import SmtpServer, free_port

UNSUB = "https://news.example.org/unsub/?email={email}&list={series}"
RECIPIENTS = (Recipient("anna@example.org", "Анна Петрова"), Recipient("boris@example.org"))


def backend_for(server: SmtpServer, **options):  # type: ignore[no-untyped-def]
    return get_backend("smtp", host=server.host, port=server.port, security="none",
                       unsubscribe_url=UNSUB, timeout=5, **options)


def test_copies_parse_back_with_parts_headers_and_personalisation(smtpd: SmtpServer,
                                                                  sample) -> None:  # type: ignore[no-untyped-def]
    with backend_for(smtpd) as backend:
        backend.send(sample.email, Audience(kind="recipients", recipients=RECIPIENTS))
    assert [m.rcpt_tos for m in smtpd.messages] == [("anna@example.org",), ("boris@example.org",)]
    anna, boris = (m.message for m in smtpd.messages)
    assert smtpd.messages[0].mail_from == sample.email.from_email
    assert anna["Subject"] == sample.email.subject
    assert anna["To"] == "Анна Петрова <anna@example.org>"
    assert boris["To"] == "boris@example.org"
    assert anna["From"].addresses[0].addr_spec == sample.email.from_email
    assert anna["List-Unsubscribe"] == \
        "<https://news.example.org/unsub/?email=anna@example.org&list=upravlyay-ka>"
    assert anna["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert anna["Message-ID"] != boris["Message-ID"]
    assert anna.get_content_type() == "multipart/alternative"
    text = anna.get_body(("plain",)).get_content()
    html = anna.get_body(("html",)).get_content()
    assert "*|" not in text and "*|" not in html
    assert "https://news.example.org/unsub/?email=anna@example.org&amp;list=upravlyay-ka" in html
    assert "email=boris@example.org" in boris.get_body(("html",)).get_content()
    # the same inlined HTML, only the tags filled: nothing was re-rendered per recipient
    expected = sample.email.html.replace(
        "*|UNSUBSCRIBE_URL|*",
        "https://news.example.org/unsub/?email=anna@example.org&amp;list=upravlyay-ka")
    assert html.replace("\r\n", "\n") == expected.replace("*|EMAIL|*", "anna@example.org") \
        .replace("*|NAME|*", "Анна Петрова").replace("\r\n", "\n")


def test_one_connection_for_the_whole_run(smtpd: SmtpServer, sample) -> None:  # type: ignore[no-untyped-def]
    recipients = tuple(Recipient(f"r{i}@example.org") for i in range(25))
    with backend_for(smtpd) as backend:
        backend.send(sample.email, Audience(kind="recipients", recipients=recipients))
    assert len(smtpd.messages) == 25
    assert smtpd.connections == 1


def test_refused_recipients_are_reported_not_dropped(smtpd: SmtpServer, sample) -> None:  # type: ignore[no-untyped-def]
    smtpd.refuse.add("boris@example.org")
    recipients = RECIPIENTS + (Recipient("vera@example.org"),)
    with backend_for(smtpd) as backend:
        receipt = backend.send(sample.email, Audience(kind="recipients", recipients=recipients))
    assert receipt.accepted == 2
    assert receipt.failed == (("boris@example.org", "550 5.1.1 mailbox unavailable"),)
    assert sorted(smtpd.delivered_to()) == ["anna@example.org", "vera@example.org"]


def test_test_copies_have_no_list_headers(smtpd: SmtpServer, sample) -> None:  # type: ignore[no-untyped-def]
    with backend_for(smtpd) as backend:
        backend.send(sample.email, Audience(kind="test", recipients=(Recipient("ed@example.org"),)))
    assert smtpd.messages[0].message["List-Unsubscribe"] is None


def test_connection_refused_is_retryable_and_sends_nothing(sample) -> None:  # type: ignore[no-untyped-def]
    backend = get_backend("smtp", host="127.0.0.1", port=free_port(), security="none",
                          unsubscribe_url=UNSUB, timeout=2)
    with pytest.raises(SendError) as info:
        backend.open()
    assert info.value.retryable and not info.value.ambiguous
    assert "connection refused" in str(info.value) and "nothing was sent" in str(info.value)


def test_starttls_missing_is_a_clear_error(smtpd: SmtpServer) -> None:
    backend = get_backend("smtp", host=smtpd.host, port=smtpd.port, security="starttls",
                          unsubscribe_url=UNSUB, timeout=5)
    with pytest.raises(SendError) as info:
        backend.open()
    assert "does not offer STARTTLS" in str(info.value)
    assert info.value.hint == "set esp.smtp.security to 'tls' or 'none'"


def test_real_send_needs_an_unsubscribe_url(smtpd: SmtpServer, sample) -> None:  # type: ignore[no-untyped-def]
    backend = get_backend("smtp", host=smtpd.host, port=smtpd.port, security="none")
    with pytest.raises(ConfigError, match="footer.unsubscribe_url is required"):
        backend.check(sample.email, Audience(kind="recipients", recipients=RECIPIENTS))
    assert smtpd.connections == 0


def test_user_without_password_is_refused() -> None:
    with pytest.raises(ConfigError, match="SMTP_USER and SMTP_PASSWORD must be set together"):
        get_backend("smtp", user="someone")


def test_password_never_in_repr() -> None:
    backend = get_backend("smtp", user="someone", password="s3cret-pass")
    assert "s3cret" not in repr(backend)


@pytest.fixture(scope="module")
def cert(tmp_path_factory):  # type: ignore[no-untyped-def]
    import shutil

    from tests.fixtures_smtp import self_signed_cert
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command makes the test certificate")
    return self_signed_cert(tmp_path_factory.mktemp("tls"))


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_tls_and_login(cert, sample, security: str) -> None:  # type: ignore[no-untyped-def]
    import ssl
    certificate, key = cert
    with SmtpServer(tls=security, cert=certificate, key=key, auth=("user", "pw-1234")) as server:
        context = ssl.create_default_context(cafile=str(certificate))
        backend = get_backend("smtp", host=server.host, port=server.port, security=security,
                              user="user", password="pw-1234", ssl_context=context,
                              unsubscribe_url=UNSUB, timeout=5)
        with backend:
            backend.send(sample.email, Audience(kind="recipients", recipients=RECIPIENTS))
        assert sorted(server.delivered_to()) == ["anna@example.org", "boris@example.org"]

        wrong = get_backend("smtp", host=server.host, port=server.port, security=security,
                            user="user", password="nope", ssl_context=context, timeout=5)
        with pytest.raises(SendError) as info:
            wrong.open()
        assert str(info.value).startswith(f"smtp: {server.host}:{server.port} refused the "
                                          "login: 535")
        assert info.value.hint == "check SMTP_USER and SMTP_PASSWORD"
        assert "nope" not in str(info.value)


def test_untrusted_certificate_is_refused(cert, sample) -> None:  # type: ignore[no-untyped-def]
    certificate, key = cert
    with SmtpServer(tls="starttls", cert=certificate, key=key) as server:
        backend = get_backend("smtp", host=server.host, port=server.port, security="starttls",
                              unsubscribe_url=UNSUB, timeout=5)
        with pytest.raises(SendError) as info:
            backend.open()
    assert "cannot connect" in str(info.value) and "nothing was sent" in str(info.value)

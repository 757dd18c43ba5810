"""The ``smtpd`` fixture: a real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it gets.

``smtpd.messages`` are :class:`Received` (envelope + parsed message), ``smtpd.connections``
counts TCP connections (the SMTP backend must reuse one), ``smtpd.refuse`` holds addresses
answered ``550`` at RCPT, ``smtpd.defer`` how many times an address is answered ``451`` first. Also usable outside pytest via :class:`SmtpServer` (bench/).
"""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)  # type: ignore[return-value]


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802
                          rcpt_options: list[str]) -> str:
        if address.lower() in self.server.refuse:
            return "550 5.1.1 mailbox unavailable"
        with self.server.lock:
            if self.server.defer.get(address.lower(), 0) > 0:
                self.server.defer[address.lower()] -= 1
                return "451 4.7.1 greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.server.lock:
            if self.server.keep:
                self.server.messages.append(Received(envelope.mail_from,
                                                     tuple(envelope.rcpt_tos),
                                                     envelope.original_content))
            self.server.count += len(envelope.rcpt_tos)
            for address in envelope.rcpt_tos:
                self.server.per_rcpt[address.lower()] = \
                    self.server.per_rcpt.get(address.lower(), 0) + 1
        return "250 Message accepted"


class _Authenticator:
    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user.encode(), password.encode()

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str,
                 auth_data: Any) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == self.user \
            and auth_data.password == self.password
        return AuthResult(success=ok, handled=False)


class _CountingSMTP(SMTP):
    def connection_made(self, transport: Any) -> None:
        with self.event_handler.server.lock:
            self.event_handler.server.connections += 1
        super().connection_made(transport)


class _Controller(Controller):
    def factory(self) -> SMTP:
        return _CountingSMTP(self.handler, **self.SMTP_kwargs)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def self_signed_cert(folder: Path) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1 (openssl CLI), for the TLS tests."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True,
                   capture_output=True)
    return cert, key


class SmtpServer:
    """aiosmtpd on loopback; ``keep=False`` only counts (for the 10,000-message benchmark).

    ``tls``: None, ``"starttls"`` (required before MAIL) or ``"tls"`` (implicit, like port 465)
    with ``cert``/``key``; ``auth=(user, password)`` requires that login.
    """

    def __init__(self, *, keep: bool = True, tls: str | None = None,
                 cert: Path | None = None, key: Path | None = None,
                 auth: tuple[str, str] | None = None) -> None:
        self.keep = keep
        self.lock = threading.Lock()
        self.messages: list[Received] = []
        self.per_rcpt: dict[str, int] = {}
        self.count = 0
        self.connections = 0
        self.refuse: set[str] = set()
        #: address -> how many more times RCPT answers 451 (a temporary refusal)
        self.defer: dict[str, int] = {}
        self.host = "127.0.0.1"
        self.port = free_port()
        options: dict[str, Any] = {}
        if tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(cert), str(key))
            if tls == "starttls":
                options.update(tls_context=context, require_starttls=True)
            else:
                options.update(ssl_context=context)
        if auth is not None:
            # aiosmtpd does not see implicit TLS as TLS: there, offer AUTH without requiring it
            starttls = tls == "starttls"
            options.update(authenticator=_Authenticator(*auth), auth_required=starttls,
                           auth_require_tls=starttls)
        self._controller = _Controller(_Handler(self), hostname=self.host, port=self.port,
                                       decode_data=False, data_size_limit=10_000_000,
                                       **options)

    def start(self) -> SmtpServer:
        self._controller.start()
        with self.lock:
            self.connections = 0  # start() made a readiness probe connection of its own
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def delivered_to(self) -> dict[str, int]:
        """address -> how many copies it received."""
        with self.lock:
            return dict(self.per_rcpt)


@pytest.fixture
def smtpd() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server

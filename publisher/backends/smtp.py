"""Any SMTP server: one connection for the whole run, throttled, per-recipient copies.

Each recipient gets a personalised copy (name, unsubscribe URL) cut from one pre-built MIME
skeleton (:mod:`publisher.backends.copies`), so the inliner never runs per recipient.
``List-Unsubscribe`` and ``List-Unsubscribe-Post`` (RFC 8058 one-click) are always set.

Failures: a recipient the server refuses permanently (5xx on RCPT or DATA) is reported in
the receipt and the run goes on. A temporary refusal (4xx: greylisting, a full mailbox, rate
limits) is tried again in the same run after ``retry_delay`` seconds, doubling, ``retries``
times (bounded: 2 + 4 + 8 s by default), then left "deferred" in the journal, which the next
run retries without being asked. A lost connection stops the run with an ambiguous SendError —
the recipient in flight may or may not have been accepted, so the journal leaves it "in
doubt" and a later run does not send it again unless the author says so.
"""

from __future__ import annotations

import datetime as dt
import os
import queue
import smtplib
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from typing import Any, ClassVar

from publisher.backends.base import BaseBackend, Journal
from publisher.backends.copies import CopyMaker
from publisher.config import Project
from publisher.errors import ConfigError, SendError
from publisher.models import Audience, Email, Recipient, SendReceipt


class SmtpBackend(BaseBackend):
    """Delivers each recipient's copy over one reused SMTP connection."""

    name = "smtp"
    per_recipient = True
    defaults: ClassVar[dict[str, Any]] = {
        "host": "localhost", "port": 587, "security": "starttls", "user": None,
        "password": None, "rate": 0.0, "timeout": 30.0, "unsubscribe_url": "",
        "local_hostname": None, "ssl_context": None, "retries": 3, "retry_delay": 2.0,
        "sleep": None,
    }

    @classmethod
    def options_from(cls, project: Project) -> dict[str, Any]:
        smtp = project.settings.esp.smtp
        return {"host": smtp.host, "port": smtp.port, "security": smtp.security,
                "rate": smtp.rate, "timeout": smtp.timeout, "retries": smtp.retries,
                "retry_delay": smtp.retry_delay,
                "user": os.environ.get("SMTP_USER") or None,
                "password": os.environ.get("SMTP_PASSWORD") or None,
                "unsubscribe_url": project.settings.footer.unsubscribe_url}

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        if self.options["security"] not in ("starttls", "tls", "none"):
            raise ConfigError(f"smtp: security must be starttls, tls or none, "
                              f"got {self.options['security']!r}")
        if bool(self.options["user"]) != bool(self.options["password"]):
            raise ConfigError("smtp: SMTP_USER and SMTP_PASSWORD must be set together")
        self.connection: smtplib.SMTP | None = None
        self._last_error: dict[str, str] = {}

    def __repr__(self) -> str:  # never the password
        return f"SmtpBackend({self.options['host']}:{self.options['port']}, " \
               f"{self.options['security']})"

    def _where(self) -> str:
        return f"{self.options['host']}:{self.options['port']}"

    def open(self) -> None:
        if self.connection is not None:
            return
        o = self.options
        context = o["ssl_context"] or ssl.create_default_context()
        try:
            if o["security"] == "tls":
                connection: smtplib.SMTP = smtplib.SMTP_SSL(
                    o["host"], o["port"], timeout=o["timeout"], context=context,
                    local_hostname=o["local_hostname"])
            else:
                connection = smtplib.SMTP(o["host"], o["port"], timeout=o["timeout"],
                                          local_hostname=o["local_hostname"])
            try:
                if o["security"] == "starttls":
                    connection.starttls(context=context)
                if o["user"]:
                    connection.login(o["user"], o["password"])
            except BaseException:
                connection.close()
                raise
        except smtplib.SMTPAuthenticationError as exc:
            raise SendError(f"{self._where()} refused the login: {exc.smtp_code} "
                            f"{_text(exc.smtp_error)}", backend=self.name, retryable=True,
                            provider_code=str(exc.smtp_code),
                            hint="check SMTP_USER and SMTP_PASSWORD") from exc
        except smtplib.SMTPNotSupportedError as exc:
            if "AUTH" in str(exc):
                raise SendError(f"{self._where()} does not offer a login (AUTH) on this "
                                "connection", backend=self.name, retryable=True,
                                hint="most servers offer it only after TLS: check "
                                     "esp.smtp.security, or unset SMTP_USER") from exc
            raise SendError(f"{self._where()} does not offer STARTTLS", backend=self.name,
                            retryable=True,
                            hint="set esp.smtp.security to 'tls' or 'none'") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise SendError(f"cannot connect to {self._where()}: {_describe(exc)}; nothing "
                            "was sent", backend=self.name, retryable=True,
                            hint="check esp.smtp.host, port and security") from exc
        self.connection = connection

    def close(self) -> None:
        if self.connection is None:
            return
        connection, self.connection = self.connection, None
        try:
            connection.quit()
        except (OSError, smtplib.SMTPException):
            connection.close()

    def send(self, email: Email, audience: Audience, *, at: dt.datetime | None = None,
             journal: Journal | None = None) -> SendReceipt:
        if audience.kind == "list":
            raise ConfigError("smtp delivers to a local subscriber list, not to an ESP list id "
                              "(set esp.smtp.subscribers)")
        if at is not None:
            raise ConfigError("smtp cannot schedule a send; run it at that time instead")
        self._ensure_alive()
        maker = CopyMaker(email, unsubscribe_url=self.options["unsubscribe_url"],
                          list_headers=audience.kind != "test")
        rate = float(self.options["rate"] or 0)
        started = time.monotonic()
        failed: list[tuple[str, str]] = []
        deferred: list[tuple[Recipient, bytes]] = []
        sent = 0
        with Prefetch(maker, audience.recipients) as copies:
            for index, (recipient, data) in enumerate(copies):
                if rate > 0:
                    delay = started + index / rate - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                error = self._attempt(email.from_email, recipient, data, journal)
                if error is None:
                    sent += 1
                elif _temporary(error):
                    deferred.append((recipient, data))
                else:
                    failed.append((recipient.email, error))
        sleep = self.options["sleep"] or time.sleep
        delay = float(self.options["retry_delay"])
        for _ in range(int(self.options["retries"])):
            if not deferred:
                break
            sleep(delay)
            delay *= 2
            self._ensure_alive()
            still = []
            for recipient, data in deferred:
                error = self._attempt(email.from_email, recipient, data, journal)
                if error is None:
                    sent += 1
                elif _temporary(error):
                    still.append((recipient, data))
                else:
                    failed.append((recipient.email, error))
            deferred = still
        for recipient, _ in deferred:
            failed.append((recipient.email, f"deferred: {self._last_error[recipient.email]}"))
        return SendReceipt(backend=self.name, issue_key=email.issue_key,
                           audience=audience.describe(),
                           provider_id=f"smtp:{self._where()}", accepted=sent,
                           failed=tuple(failed))

    def _attempt(self, sender: str, recipient: Recipient, data: bytes,
                 journal: Journal | None) -> str | None:
        """One hand-over, journaled; the refusal as text (4xx: temporary), or None."""
        if journal:
            journal.start(recipient)
        error = self._deliver(sender, recipient.email, data)
        if error is not None:
            self._last_error[recipient.email] = error
        if journal:
            journal.done(recipient, error, temporary=error is not None and _temporary(error))
        return error

    def _ensure_alive(self) -> None:
        """Reconnect if the server dropped the connection while the author was confirming."""
        if self.connection is not None:
            try:
                code, _ = self.connection.noop()
                if code == 250:
                    return
            except (OSError, smtplib.SMTPException):
                pass
            self.connection.close()
            self.connection = None
        self.open()

    def check(self, email: Email, audience: Audience) -> None:
        """Connect (and log in) before anything is recorded: a wrong host or password fails early.

        Bulk mail needs a working unsubscribe link and List-Unsubscribe header (RFC 8058), so a
        real send without ``footer.unsubscribe_url`` is refused.
        """
        if audience.kind != "test" and not self.options["unsubscribe_url"]:
            raise ConfigError("smtp: footer.unsubscribe_url is required for real sends (it "
                              "fills the unsubscribe link and the List-Unsubscribe header)")
        self.open()

    def _deliver(self, sender: str, address: str, data: bytes) -> str | None:
        """Send one copy; the server's refusal as text, or None when accepted."""
        connection = self.connection
        assert connection is not None
        try:
            refused = connection.sendmail(sender, [address], data)
        except smtplib.SMTPRecipientsRefused as exc:
            code, message = exc.recipients.get(address, (0, b"refused"))
            return f"{code} {_text(message)}"
        except smtplib.SMTPSenderRefused as exc:
            self._reset()
            raise SendError(f"{self._where()} refused the sender {sender}: {exc.smtp_code} "
                            f"{_text(exc.smtp_error)}", backend=self.name, retryable=True,
                            provider_code=str(exc.smtp_code),
                            hint="check sender.email against what the server allows") from exc
        except smtplib.SMTPDataError as exc:
            self._reset()
            return f"{exc.smtp_code} {_text(exc.smtp_error)}"
        except (smtplib.SMTPServerDisconnected, smtplib.SMTPResponseException, OSError) as exc:
            # the server may have accepted this message before the line went dead
            raise SendError(f"connection to {self._where()} lost while sending to {address} "
                            f"({_describe(exc)}); that recipient may or may not have it",
                            backend=self.name, ambiguous=True,
                            hint="run the same command again: it resumes with the recipients "
                                 "not yet sent") from exc
        if refused:
            code, message = refused[address]
            return f"{code} {_text(message)}"
        return None

    def _reset(self) -> None:
        try:
            assert self.connection is not None
            self.connection.rset()
        except (OSError, smtplib.SMTPException):
            pass  # the next sendmail reports a dead connection properly


class Prefetch:
    """Builds the next copies in a thread while the main thread waits for the server.

    Building a copy (personalise + base64) is CPU work; the SMTP exchange is mostly waiting.
    Overlapping them is worth ~30% throughput; the queue is small so memory stays flat.
    """

    def __init__(self, maker: CopyMaker, recipients: tuple[Recipient, ...],
                 depth: int = 16) -> None:
        self._maker = maker
        self._recipients = recipients
        self._queue: queue.Queue[tuple[Recipient, bytes] | BaseException | None] = \
            queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="smtp-prefetch", daemon=True)

    def _put(self, item: tuple[Recipient, bytes] | BaseException | None) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            for recipient in self._recipients:
                if not self._put((recipient, self._maker.bytes_for(recipient))):
                    return
        except BaseException as exc:  # handed to the consumer, which re-raises it
            self._put(exc)
            return
        self._put(None)

    def __enter__(self) -> Iterator[tuple[Recipient, bytes]]:
        self._thread.start()
        return self._iterate()

    def _iterate(self) -> Iterator[tuple[Recipient, bytes]]:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _temporary(error: str) -> bool:
    """A 4xx reply (RFC 5321 §4.2.1): the server may accept the same message later."""
    return error[:1] == "4" and error[:3].isdigit()


def _text(message: bytes | str) -> str:
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return " ".join(message.split())


def _describe(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return type(exc).__name__

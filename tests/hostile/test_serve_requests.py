"""``publisher serve`` against hostile requests: a NUL in the path, odd names, foreign Hosts.

``GET /%00`` used to put a traceback in the server log; a page on another site that made
its name resolve to 127.0.0.1 (DNS rebinding) could read draft previews. Real server, real
sockets (no browser needed).
"""

from __future__ import annotations

import http.client
import logging
from urllib.parse import urlsplit

import pytest

from archive_site.serve import loopback_host


def request(preview, path: str, host: str | None = "default") -> tuple[int, bytes]:  # type: ignore[no-untyped-def]
    origin = urlsplit(preview.origin)
    connection = http.client.HTTPConnection(origin.hostname, origin.port, timeout=10)
    try:
        connection.putrequest("GET", path, skip_host=True)
        if host == "default":
            host = origin.netloc
        if host is not None:
            connection.putheader("Host", host)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("path", ["/%00", "/rassylki/%00", "/rassylki/a%00b/", "/__emails/%00",
                                  "/rassylki/" + "x" * 5000, "/rassylki/%0d%0aX:%20y",
                                  "/rassylki/%ff%fe", "/rassylki/../../../../etc/passwd"])
def test_odd_paths_are_answered_without_a_traceback(preview, caplog, path: str) -> None:  # type: ignore[no-untyped-def]
    with caplog.at_level(logging.DEBUG, logger="archive_site.serve"):
        status, _ = request(preview, path)
        assert status in (400, 404)
        assert request(preview, preview.url[len(preview.origin):])[0] == 200  # still serving
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1.evil.example", "localhost.evil",
                                  "10.0.0.1:8000", "[::2]:80", ""])
def test_only_loopback_hosts_are_served(preview, host: str) -> None:  # type: ignore[no-untyped-def]
    status, body = request(preview, "/rassylki/", host=host)
    assert status == 403
    assert b"localhost" in body
    status, body = request(preview, "/__emails/", host=host)
    assert status == 403


@pytest.mark.parametrize("host", ["localhost", "localhost:8000", "127.0.0.1:1234", "127.8.9.1",
                                  "[::1]:8000", "LOCALHOST", "app.localhost:80", None])
def test_loopback_hosts(host: str | None) -> None:
    assert loopback_host(host)


def test_the_preview_answers_its_own_address(preview) -> None:  # type: ignore[no-untyped-def]
    assert request(preview, "/rassylki/")[0] == 200
    assert request(preview, "/rassylki/", host=None)[0] == 200

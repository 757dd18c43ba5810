"""``check --links`` against a real HTTP server on 127.0.0.1: 200, a 301 chain, 404,
405 on HEAD, a slow answer, a refused connection, a redirect loop; the cache."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from publisher.preflight.http_links import CACHE_NAME, check_urls
from tests.fixtures_project import DEFAULT_ISSUE, issue_text
from tests.fixtures_smtp import free_port
from tests.sending.util import invoke


class Site:
    def __init__(self) -> None:
        self.hits: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.in_flight = self.most_in_flight = 0
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def answer(self, method: str) -> None:
                path = self.path.split("?")[0]
                with site.lock:
                    site.hits.append((method, self.path))
                routes = {"/r1": "/r2", "/r2": "/ok", "/loop": "/loop"}
                if path in routes:
                    self.send_response(301 if path != "/r2" else 302)
                    self.send_header("Location", routes[path])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if path == "/slow":
                    with site.lock:
                        site.in_flight += 1
                        site.most_in_flight = max(site.most_in_flight, site.in_flight)
                    time.sleep(1)
                    with site.lock:
                        site.in_flight -= 1
                status = {"/ok": 200, "/slow": 200, "/nohead": 405 if method == "HEAD" else 200
                          }.get(path, 404)
                body = b"hello" if method == "GET" else b""
                self.send_response(status)
                self.send_header("Content-Length", str(len(body) if method == "GET" else 5))
                self.end_headers()
                if method == "GET":
                    self.wfile.write(body)

            def do_HEAD(self) -> None:  # noqa: N802
                self.answer("HEAD")

            def do_GET(self) -> None:  # noqa: N802
                self.answer("GET")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Site:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site() -> Iterator[Site]:
    with Site() as running:
        yield running


def test_each_kind_of_answer(site: Site, tmp_path: Path) -> None:
    refused = f"http://127.0.0.1:{free_port()}/x"
    urls = [f"{site.url}/ok", f"{site.url}/r1", f"{site.url}/missing", f"{site.url}/nohead",
            f"{site.url}/slow", refused, f"{site.url}/loop", f"{site.url}/ok"]
    results = check_urls(urls, cache_dir=tmp_path, timeout=0.5)
    assert list(results) == list(dict.fromkeys(urls))  # asked once each, in order
    problem = {url: result.problem() for url, result in results.items()}
    assert problem[f"{site.url}/ok"] is None
    assert problem[f"{site.url}/r1"] == (f"redirects (301, 2 hops) to {site.url}/ok: link that "
                                         "address instead")
    assert results[f"{site.url}/r1"].redirects == ((301, "/r2"), (302, "/ok"))
    assert problem[f"{site.url}/missing"] == "HTTP 404"
    assert problem[f"{site.url}/nohead"] is None  # 405 on HEAD, then GET is fine
    assert ("GET", "/nohead") in site.hits and ("GET", "/ok") not in site.hits
    assert problem[f"{site.url}/slow"] == "no answer within 0.5 s"
    assert problem[refused] == "cannot connect (connection refused)"
    assert problem[f"{site.url}/loop"] == "more than 10 redirects (a loop?)"


def test_checks_run_concurrently_on_a_small_pool(site: Site) -> None:
    urls = [f"{site.url}/slow?{n}" for n in range(6)]
    results = check_urls(urls, cache_dir=None, timeout=5, workers=3)
    assert all(r.ok for r in results.values())
    assert site.most_in_flight == 3  # the server saw three at once, never more


def test_good_answers_are_cached_broken_ones_asked_again(site: Site, tmp_path: Path) -> None:
    urls = [f"{site.url}/ok", f"{site.url}/missing"]
    check_urls(urls, cache_dir=tmp_path)
    assert (tmp_path / CACHE_NAME).is_file()
    site.hits.clear()
    again = check_urls(urls, cache_dir=tmp_path)
    assert again[f"{site.url}/ok"].ok and not again[f"{site.url}/missing"].ok
    assert [path for _, path in site.hits] == ["/missing", "/missing"]  # HEAD 404, then GET
    site.hits.clear()
    check_urls(urls, cache_dir=tmp_path, max_age=0)  # expired: asked again
    assert ("HEAD", "/ok") in site.hits
    (tmp_path / CACHE_NAME).write_text("{not json", encoding="utf-8")
    assert check_urls(urls[:1], cache_dir=tmp_path)[urls[0]].ok  # a broken cache is ignored


def test_check_links_reports_external_links_at_their_lines(project, site: Site) -> None:  # type: ignore[no-untyped-def]
    body = (f"[Хорошая]({site.url}/ok)\n\n"
            f"[Переехала]({site.url}/r1)\n\n"
            f"[Нет]({site.url}/missing)\n\n"
            f"[Архив](https://news.example.org/archive/news/)\n")
    root = project({DEFAULT_ISSUE: issue_text(body=body)})
    plain = invoke(root, "check")
    assert plain.exit_code == 0 and not site.hits  # no network without --links
    result = invoke(root, "check", "--links")
    assert result.exit_code == 0, result.output
    assert (f"Warning: issues/news-001-hello.md:10: link {site.url}/r1: redirects (301, 2 hops)"
            f" to {site.url}/ok") in result.output
    assert f"Warning: issues/news-001-hello.md:12: link {site.url}/missing: HTTP 404" \
        in result.output
    assert "3 external links checked" in result.output  # the archive's own link is not asked
    assert (root / ".publisher" / CACHE_NAME).is_file()
    assert invoke(root, "check", "--links", "--strict").exit_code == 1

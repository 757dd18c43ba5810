"""``publisher serve`` over HTTP on 127.0.0.1: routing, injection, rebuilds, errors, emails.

These talk to a real Preview server with urllib (no browser); tests/archive/test_browser.py
covers what only a browser can show (layout, live reload in a page, search).
"""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from click.testing import CliRunner

from archive_site.serve import Preview, ServeOptions
from archive_site.serve_watch import Watcher, changed_paths, snapshot
from publisher.cli import cli
from tests.fixtures_serve import SAMPLE_ISSUE, copy_sample

SLUG = "kak-ne-stat-zhertvoy-vorov-2"


def get(url: str, timeout: float = 10) -> tuple[int, str, dict[str, str]]:
    """Status, body and headers; redirects are not followed (so they can be checked)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8"), dict(response.headers)
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read().decode("utf-8"), dict(exc.headers)


def test_site_is_served_under_the_base_url_path_with_reload_script(preview) -> None:  # type: ignore[no-untyped-def]
    assert preview.url.endswith("/rassylki/")
    status, _, headers = get(preview.origin + "/")
    assert status == 302 and headers["Location"] == "/rassylki/"
    status, page, headers = get(preview.url + f"upravlyay-ka/{SLUG}/")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Конвертация" in page and "/__reload" in page
    assert page.index("/__reload") < page.rindex("</body>")
    on_disk = (preview.options.out_dir / "upravlyay-ka" / SLUG / "index.html").read_text(
        encoding="utf-8")
    assert "/__reload" not in on_disk  # the built site stays clean
    status, _, headers = get(preview.url + "upravlyay-ka")
    assert status == 302 and headers["Location"] == "/rassylki/upravlyay-ka/"
    status, css, headers = get(preview.url + "static/archive.css")
    assert status == 200 and headers["Content-Type"].startswith("text/css")
    assert "/__reload" not in css


def test_unknown_paths_and_escapes_get_404(preview) -> None:  # type: ignore[no-untyped-def]
    status, page, _ = get(preview.url + "no/such/page/")
    assert status == 404 and "/__reload" in page
    status, _, _ = get(preview.url + "..%2F..%2Fnewsletter.yaml")
    assert status == 404
    status, _, _ = get(preview.origin + "/elsewhere/")
    assert status == 404


def test_reload_long_poll_answers_when_the_site_changes(preview, sample_copy: Path) -> None:  # type: ignore[no-untyped-def]
    token = preview.state.token
    answers: list[dict] = []
    poller = threading.Thread(target=lambda: answers.append(json.loads(
        get(f"{preview.origin}/__reload?since={token}", timeout=30)[1])))
    poller.start()
    time.sleep(0.3)
    assert answers == []  # still waiting: nothing changed
    issue = sample_copy / "issues" / SAMPLE_ISSUE
    issue.write_text(issue.read_text(encoding="utf-8") + "\nНовый абзац для теста.\n",
                     encoding="utf-8")
    poller.join(timeout=15)
    assert answers and answers[0]["token"] != token and answers[0]["ok"] is True
    page = get(preview.url + f"upravlyay-ka/{SLUG}/")[1]
    assert "Новый абзац для теста" in page


def test_broken_edit_is_reported_and_the_last_site_kept(preview, sample_copy: Path) -> None:  # type: ignore[no-untyped-def]
    issue = sample_copy / "issues" / SAMPLE_ISSUE
    original = issue.read_text(encoding="utf-8")
    issue.write_text(original.replace("series: upravlyay-ka", "series: upravlyayka"),
                     encoding="utf-8")
    outcome = preview.rebuild(changed=(f"issues/{SAMPLE_ISSUE}",))
    assert not outcome.ok
    assert any(line.startswith(f"issues/{SAMPLE_ISSUE}:4:") for line in outcome.errors), \
        outcome.errors
    status, page, _ = get(preview.url + f"upravlyay-ka/{SLUG}/")
    assert status == 200 and "Конвертация" in page  # the last good site is still there
    assert "publisher-serve-error" in page and f"issues/{SAMPLE_ISSUE}:4:" in page

    issue.write_text(original, encoding="utf-8")
    assert preview.rebuild().ok
    assert "publisher-serve-error" not in get(preview.url)[1]


def test_broken_config_and_template_do_not_stop_the_server(preview,
                                                           sample_copy: Path) -> None:  # type: ignore[no-untyped-def]
    config = sample_copy / "newsletter.yaml"
    good = config.read_text(encoding="utf-8")
    config.write_text(good.replace("  language: ru\n", "  language: russian!\n"),
                      encoding="utf-8")
    outcome = preview.rebuild()
    assert not outcome.ok
    assert any("newsletter.yaml:6: site.language:" in e for e in outcome.errors), outcome.errors
    assert get(preview.url)[0] == 200
    config.write_text(good, encoding="utf-8")

    override = sample_copy / "templates" / "archive" / "issue.html"
    override.parent.mkdir(parents=True)
    override.write_text("{% extends 'archive/base.html' %}\n{% block main %}\n"
                        "{{ no_such_variable.x }}\n{% endblock %}\n", encoding="utf-8")
    outcome = preview.rebuild()
    assert not outcome.ok
    assert any("templates/archive/issue.html:3:" in e for e in outcome.errors), outcome.errors
    override.unlink()
    assert preview.rebuild().ok


def test_email_previews(preview, sample_copy: Path) -> None:  # type: ignore[no-untyped-def]
    draft = sample_copy / "issues" / "upravlyay-ka-002-chernovik.md"
    draft.write_text("---\ntitle: Черновик второго выпуска\ndate: 2026-12-03\n"
                     "series: upravlyay-ka\nnumber: 2\nstatus: draft\n---\nТекст.\n",
                     encoding="utf-8")
    status, listing, _ = get(preview.origin + "/__emails/")
    assert status == 200
    assert f"/__emails/upravlyay-ka/{SLUG}/" in listing
    assert "Черновик второго выпуска" in listing and "(draft)" in listing  # drafts too

    status, page, _ = get(preview.origin + f"/__emails/upravlyay-ka/{SLUG}/")
    assert status == 200 and "/__reload" in page
    assert 'width="375"' in page and 'width="800"' in page
    assert "news@asconsult.ru" in page and "KB HTML" in page

    status, email, headers = get(preview.origin + f"/__emails/upravlyay-ka/{SLUG}/email.html")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert "/__reload" not in email and "<base target=\"_blank\">" in email
    assert "*|" not in email  # merge tags filled with a sample subscriber
    assert "unsubscribe/?email=reader@example.org&amp;list=upravlyay-ka" in email
    assert "stackable" in email and "Конвертация" in email

    status, text, headers = get(preview.origin + f"/__emails/upravlyay-ka/{SLUG}/email.txt")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert "Конвертация" in text and "*|" not in text

    assert get(preview.origin + "/__emails/upravlyay-ka/no-such-issue/")[0] == 404


def test_email_preview_shows_render_errors(preview, sample_copy: Path) -> None:  # type: ignore[no-untyped-def]
    broken = sample_copy / "issues" / "upravlyay-ka-003-bad-image.md"
    broken.write_text("---\ntitle: С картинкой\ndate: 2026-12-10\nseries: upravlyay-ka\n"
                      "number: 3\nslug: s-kartinkoy\nstatus: draft\n---\nТекст.\n\n"
                      "![Схема](missing.png)\n", encoding="utf-8")
    status, page, _ = get(preview.origin + "/__emails/upravlyay-ka/s-kartinkoy/")
    assert status == 200
    assert "issues/upravlyay-ka-003-bad-image.md:11: image not found: missing.png" in page


def test_watcher_sees_edits_additions_and_deletions(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("a", encoding="utf-8")
    watcher = Watcher((tmp_path,), settle=0.01)
    assert watcher.poll() == []
    (tmp_path / "b.md").write_text("b", encoding="utf-8")
    (tmp_path / ".b.md.swp").write_text("x", encoding="utf-8")  # editor droppings ignored
    (tmp_path / "a.md").write_text("changed", encoding="utf-8")
    assert watcher.poll() == [tmp_path / "a.md", tmp_path / "b.md"]
    (tmp_path / "b.md").unlink()
    assert watcher.poll() == [tmp_path / "b.md"]
    before = snapshot([tmp_path / "missing"])
    assert before == {} and changed_paths(before, {}) == []


def test_cli_reports_a_taken_port(sample_copy: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["--project", str(sample_copy), "serve", "--port",
                                          str(port), "--out", str(sample_copy / "_site")])
    assert result.exit_code == 1
    assert f"Error: cannot listen on 127.0.0.1:{port}" in result.output


def test_cli_without_a_newsletter_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--project", str(tmp_path), "serve"])
    assert result.exit_code == 1 and "newsletter.yaml: not found" in result.output


@contextlib.contextmanager
def serve_child(root: Path, *flags: str) -> Iterator[tuple[subprocess.Popen, list[str], str]]:
    """``publisher serve`` as a real subprocess: the process, its lines up to and with the
    ``Serving URL`` line, and the URL; killed afterwards if a test left it running."""
    child = subprocess.Popen(
        [sys.executable, "-m", "publisher", "--project", str(root), "serve", "--port", "0",
         "--out", str(root / "_site"), *flags],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert child.stdout is not None
        lines = []
        for line in child.stdout:
            lines.append(line)
            if line.startswith("Serving http://127.0.0.1:"):
                break
        yield child, lines, lines[-1].split()[1]
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        if child.stdout:
            child.stdout.close()


def test_ctrl_c_stops_the_server_cleanly(tmp_path: Path) -> None:
    root = copy_sample(tmp_path / "newsletter")
    with serve_child(root) as (child, lines, url):
        assert get(url)[0] == 200
        child.send_signal(signal.SIGINT)
        rest = child.stdout.read()  # type: ignore[union-attr]
        assert child.wait(timeout=15) == 0
    assert "Built" in "".join(lines)
    assert rest.strip().endswith("Stopped.") and "Traceback" not in rest


def test_preview_as_context_manager_builds_once(sample_copy: Path) -> None:
    seen = []
    options = ServeOptions(out_dir=sample_copy / "_site", port=0, jobs=1)
    with Preview(sample_copy, options, notify=seen.append) as server:
        assert get(server.url)[0] == 200
    assert len(seen) == 1 and seen[0].ok and "1 issues" in seen[0].summary


def test_email_preview_fills_sendsay_tags(preview, sample_copy: Path) -> None:  # type: ignore[no-untyped-def]
    config = sample_copy / "newsletter.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "  backend: outbox\n", "  backend: sendsay\n"), encoding="utf-8")
    assert preview.rebuild().ok  # the server reloads the config, as the watcher would
    email = get(preview.origin + f"/__emails/upravlyay-ka/{SLUG}/email.html")[1]
    assert "[%" not in email and "Конвертация" in email
    assert f"https://www.asconsult.ru/rassylki/upravlyay-ka/{SLUG}/" in email  # web version


def test_watcher_skips_the_output_folder(tmp_path: Path) -> None:
    (tmp_path / "_site").mkdir()
    watcher = Watcher((tmp_path,), settle=0.01, skip=(tmp_path / "_site",))
    (tmp_path / "_site" / "index.html").write_text("built", encoding="utf-8")
    assert watcher.poll() == []

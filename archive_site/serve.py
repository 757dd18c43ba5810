"""``publisher serve``: build the archive, serve it on 127.0.0.1, rebuild and reload on change.

Three threads, one lock:

* the HTTP server (stdlib ``ThreadingHTTPServer``) serves the built site under the path of
  ``site.base_url`` (so root-relative links work as they will in production), the email
  previews under ``/__emails/``, and ``/__reload``, a long poll that answers when the site
  changes;
* the watcher waits for OS file events on ``issues/``, ``templates/`` and ``newsletter.yaml``
  (or polls them: serve_watch.py) and runs one incremental build per burst of changes;
* the caller's thread waits for Ctrl-C.

Rendering shares one Markdown converter per process (publisher/render/body.py), which is not
thread-safe, so builds and email renders take turns on ``render_lock``. The live-reload
script and the error overlay are injected into HTML responses only; the files on disk stay
exactly what ``publisher build`` writes. A failed build never stops the server: its
``path:line`` problems are shown on every page and reported through ``notify`` until a later
build succeeds.
"""

from __future__ import annotations

import html
import ipaddress
import json
import logging
import mimetypes
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from archive_site import serve_emails
from archive_site.serve_watch import WatchUnavailable, Watcher, open_watcher
from publisher.config import CONFIG_NAME, Project, load_project
from publisher.errors import PublisherError
from publisher.secrets import scrub

log = logging.getLogger(__name__)

RELOAD_PATH = "/__reload"
LONG_POLL_SECONDS = 20.0


class ServeError(PublisherError):
    """Raised by serve.py when the preview server cannot start (e.g. the port is taken)."""


@dataclass(frozen=True)
class ServeOptions:
    """Where to build and listen, and how often to look for changes."""

    out_dir: Path
    host: str = "127.0.0.1"
    port: int = 8000  # 0: any free port (tests)
    poll_interval: float = 0.3  # used only when polling
    jobs: int | None = None
    poll: bool = False  # poll stat() instead of OS file events (``serve --poll``)


@dataclass(frozen=True)
class BuildOutcome:
    """One (re)build as the terminal and the browser see it."""

    ok: bool
    seconds: float
    changed: tuple[str, ...] = ()
    summary: str = ""
    errors: tuple[str, ...] = ()  # ``path:line: message`` lines


@dataclass
class _State:
    """What the handlers read: the current project, the last outcome and a reload token."""

    project: Project | None = None
    outcome: BuildOutcome | None = None
    token: str = ""
    generation: int = 0
    changed: threading.Condition = field(default_factory=threading.Condition)
    emails: dict[tuple[str, str], Any] = field(default_factory=dict)  # rendered this generation
    listing: serve_emails.Listing | None = None  # issues loaded this generation


def _site_prefix(project: Project | None) -> str:
    """Path part of ``site.base_url`` ('/rassylki/'), where the site is mounted."""
    if project is None:
        return "/"
    path = urlsplit(project.settings.site.base_url).path or "/"
    return path if path.endswith("/") else path + "/"


class Preview:
    """The preview server: ``start()``, then ``url``; ``stop()`` when done (or use ``with``)."""

    def __init__(self, root: Path, options: ServeOptions, *,
                 notify: Callable[[BuildOutcome], None] | None = None,
                 progress: Any = None) -> None:
        self.root = Path(root)
        self.options = options
        self.notify = notify or (lambda outcome: None)
        self.progress = progress
        self.render_lock = threading.Lock()
        self.state = _State()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self._boot = f"{time.time_ns():x}"
        self._watcher: Any = None
        #: why serve polls instead of using file events (None when it does not)
        self.watch_notice: str | None = None
        self.rebuilds = 0  # builds after the first, for tests and the bench
        self.search_builds = 0  # of which bringing only the search index up to date

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Build once, then listen and watch. Raises ServeError if the port is unavailable."""
        try:
            httpd = _Server((self.options.host, self.options.port), _Handler)
        except OSError as exc:
            raise ServeError(f"cannot listen on {self.options.host}:{self.options.port}: "
                             f"{exc.strerror or exc} (pass another --port)") from exc
        httpd.preview = self
        self._httpd = httpd
        # watching starts before the first build, so a save during it is not missed
        self._watcher, self.watch_notice = open_watcher(
            self.root, ("issues", "templates"), (CONFIG_NAME,),
            skip=(self.options.out_dir.resolve(), (self.root / ".publisher").resolve()),
            poll=self.options.poll)
        if self.watch_notice:
            log.info("%s", self.watch_notice)
        # the first build runs before the first request so nobody sees a half-built site
        self.rebuild(changed=())
        self.rebuilds = 0
        for target, name in ((lambda: httpd.serve_forever(poll_interval=0.1), "serve-http"),
                             (self._watch, "serve-watch")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    @property
    def url(self) -> str:
        """Address of the site's home page on this server."""
        if self._httpd is None:
            raise RuntimeError("Preview.start() has not run")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}{_site_prefix(self.state.project)}"

    @property
    def origin(self) -> str:
        if self._httpd is None:
            raise RuntimeError("Preview.start() has not run")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        """Stop watching and serving; wakes pending long polls so nothing hangs."""
        self._stopping.set()
        with self.state.changed:
            self.state.changed.notify_all()
        if self._httpd is not None:
            if self._threads:  # shutdown() waits for serve_forever(), which must be running
                self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads.clear()
        if self._watcher is not None:
            self._watcher.close()
            self._watcher = None

    def wait(self) -> None:
        """Block until ``stop()`` (or Ctrl-C in the calling thread)."""
        while not self._stopping.wait(0.5):
            pass

    def __enter__(self) -> Preview:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- building --------------------------------------------------------------------------

    def watched_paths(self) -> tuple[Path, ...]:
        return (self.root / "issues", self.root / "templates", self.root / CONFIG_NAME)

    def _watch(self) -> None:
        search_stale = False  # pages rebuilt, Pagefind not yet
        while not self._stopping.is_set():
            try:
                # with the search index stale, look only briefly for more saves first
                changed = self._watcher.wait(self._stopping, self.options.poll_interval,
                                             timeout=0.05 if search_stale else None)
            except WatchUnavailable as exc:  # the watch broke (a folder unmounted...): poll
                self._watcher.close()
                self.watch_notice = f"Watching by polling from now on (file events: {exc})."
                log.warning("%s", self.watch_notice)
                self._watcher = Watcher(tuple(p.resolve() for p in self.watched_paths()),
                                        skip=(self.options.out_dir.resolve(),))
                changed = [p.resolve() for p in self.watched_paths()]  # may have missed some
            if self._stopping.is_set():
                break
            if changed:
                # pages first (the edited issue's, then the lists), the search index after
                self.rebuilds += 1
                outcome = self.rebuild(changed=tuple(self._relative(p) for p in changed),
                                       search=False)
                search_stale = search_stale or outcome.ok
            elif search_stale:
                self.rebuild_search()
                search_stale = False

    def _relative(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root.resolve()))
        except ValueError:
            return str(path)

    def rebuild(self, changed: tuple[str, ...] = (), *, search: bool = True,
                reload: bool = True) -> BuildOutcome:
        """Reload the config and build incrementally; never raises for the author's mistakes.

        ``search=False`` keeps the last search index (build.py): the watcher's fast path.
        ``reload=False``: a successful build does not make open pages reload."""
        from archive_site.build import build  # deferred: the builder imports the renderers

        started = time.perf_counter()
        project = self.state.project
        with self.render_lock:
            try:
                project = load_project(self.root)
                report = build(project, self.options.out_dir, progress=self.progress,
                               incremental=True, jobs=self.options.jobs, search=search)
                outcome = BuildOutcome(ok=True, seconds=time.perf_counter() - started,
                                       changed=changed, summary=_summary(report))
            except PublisherError as exc:
                lines = list(exc.lines()) + [f"({note})" for note in getattr(exc, "__notes__", [])]
                outcome = BuildOutcome(ok=False, seconds=time.perf_counter() - started,
                                       changed=changed, errors=tuple(map(scrub, lines)))
            except Exception as exc:  # a bug in a builder must not take the server down
                log.debug("build crashed", exc_info=True)
                detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
                outcome = BuildOutcome(ok=False, seconds=time.perf_counter() - started,
                                       changed=changed,
                                       errors=(f"internal error while building: {detail} "
                                               "(run `publisher --debug build` for the "
                                               "traceback)",))
        if outcome.ok and not reload:
            self.state.outcome = outcome
        else:
            self._publish(project, outcome)
        self.notify(outcome)
        return outcome

    def rebuild_search(self) -> BuildOutcome:
        """The build that brings the search index up to date after fast rebuilds.

        The pages did not change, so the browser is not told to reload; a failure (the
        author broke something since) is published like any failed build."""
        self.search_builds += 1
        return self.rebuild(changed=("search index",), search=True, reload=False)

    def _publish(self, project: Project | None, outcome: BuildOutcome) -> None:
        state = self.state
        with state.changed:
            state.project = project
            state.outcome = outcome
            state.generation += 1
            state.token = f"{self._boot}-{state.generation}"
            state.emails.clear()
            state.listing = None
            state.changed.notify_all()

    def wait_for_change(self, since: str, timeout: float) -> str:
        """The reload token, once it differs from ``since`` (or after ``timeout``)."""
        state = self.state
        with state.changed:
            state.changed.wait_for(lambda: state.token != since or self._stopping.is_set(),
                                   timeout=timeout)
            return state.token

    def listing(self, project: Project) -> serve_emails.Listing:
        """Every issue file, loaded at most once per site generation (the watcher bumps it)."""
        with self.render_lock:
            if self.state.listing is None:
                self.state.listing = serve_emails.list_issues(project)
            return self.state.listing

    def render_email(self, project: Project, series: str, slug: str) -> Any:
        """The prepared email of an issue, rendered at most once per site generation."""
        state = self.state
        key = (series, slug)
        issue = serve_emails.find(self.listing(project), series, slug)
        with self.render_lock:
            if key not in state.emails:
                state.emails[key] = None if issue is None else serve_emails.render(project, issue)
            return state.emails[key]


def _summary(report: Any) -> str:
    """The builder's one-line summary, whatever shape its report has."""
    for attribute in ("summary", "line"):
        value = getattr(report, attribute, None)
        if callable(value):
            value = value()
        if isinstance(value, str) and value:
            return value
    return str(report)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # browsers keep idle pre-connections open; closing must not wait for them
    block_on_close = False
    preview: Preview

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A reader who leaves mid-response (a reload, a closed tab) is normal, not an error;
        anything else is one line in the log (the traceback only with --debug logging)."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):
            return
        log.warning("error while serving %s: %s: %s", client_address[0],
                    type(error).__name__, error)
        log.debug("traceback", exc_info=True)


_RELOAD_SCRIPT = """<script>/* publisher serve: live reload (not part of the built site) */
(function () {
  var token = %s;
  function poll() {
    fetch('%s?since=' + encodeURIComponent(token), {cache: 'no-store'})
      .then(function (r) { return r.json(); })
      .then(function (d) { if (d.token !== token) { location.reload(); } else { poll(); } })
      .catch(function () { setTimeout(poll, 1000); });
  }
  poll();
})();
</script>"""

_OVERLAY = """<div id="publisher-serve-error" role="alert" style="position:fixed;z-index:2147483647;
left:0;right:0;bottom:0;max-height:60vh;overflow:auto;margin:0;padding:16px 20px;
background:#fdecea;color:#5f1410;border-top:4px solid #b3261e;
font:14px/1.45 ui-monospace,Menlo,Consolas,monospace;white-space:pre-wrap">
<strong>Build failed — showing the last good site. Fix and save; this page reloads.</strong>
%s</div>"""


_LOOPBACK_NAMES = ("localhost", "localhost.", "::1")


def loopback_host(host: str | None) -> bool:
    """Whether a ``Host`` header names this machine: ``localhost``, 127.0.0.0/8 or ``[::1]``,
    with any port. A request without one (HTTP/1.0) is a local tool, not a browser."""
    if host is None:
        return True
    host = host.strip().lower()
    if host.startswith("["):
        name = host[1:].partition("]")[0]
    else:
        name = host.rpartition(":")[0] if ":" in host else host
    if name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"
    timeout = 30  # an idle connection never holds a thread for long

    # --- routing ---------------------------------------------------------------------------

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._route(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._route(send_body=False)

    def _route(self, *, send_body: bool) -> None:
        self.send_body = send_body
        preview = self.server.preview
        if not loopback_host(self.headers.get("Host")):
            # a page elsewhere that made its name resolve to 127.0.0.1 (DNS rebinding) must
            # not read the drafts: only loopback names reach the preview
            return self._send(HTTPStatus.FORBIDDEN, b"publisher serve answers only requests "
                              b"for localhost or 127.0.0.1\n", "text/plain; charset=utf-8")
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        if "\0" in path or any(ord(c) < 32 for c in path):
            return self._send(HTTPStatus.BAD_REQUEST, b"bad path\n", "text/plain; charset=utf-8")
        prefix = _site_prefix(preview.state.project)
        if path == RELOAD_PATH:
            return self._reload(parse_qs(parts.query).get("since", [""])[0])
        if path == serve_emails.PREFIX.rstrip("/") or path.startswith(serve_emails.PREFIX):
            return self._emails(path, prefix)
        if path.startswith(prefix):
            return self._site_file(path[len(prefix):], prefix)
        if prefix.startswith(path.rstrip("/") + "/"):  # '/', or '/rassylki' without its slash
            return self._redirect(prefix)
        return self._not_found(prefix)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
        log.debug("%s %s", self.address_string(), format % args)

    # --- responses -------------------------------------------------------------------------

    def _send(self, status: int, body: bytes, content_type: str,
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.send_body:
            self.wfile.write(body)

    def _send_html(self, status: int, document: str) -> None:
        self._send(status, self._inject(document).encode("utf-8"), "text/html; charset=utf-8")

    def _redirect(self, location: str) -> None:
        self._send(HTTPStatus.FOUND, b"", "text/plain", {"Location": location})

    def _inject(self, document: str) -> str:
        """Add the reload script (and the error overlay after a failed build) before </body>."""
        state = self.server.preview.state
        extra = _RELOAD_SCRIPT % (json.dumps(state.token), RELOAD_PATH)
        outcome = state.outcome
        if outcome is not None and not outcome.ok:
            extra = _OVERLAY % html.escape("\n".join(outcome.errors)) + extra
        at = document.lower().rfind("</body>")
        return document + extra if at < 0 else document[:at] + extra + document[at:]

    def _reload(self, since: str) -> None:
        preview = self.server.preview
        token = preview.wait_for_change(since, LONG_POLL_SECONDS)
        outcome = preview.state.outcome
        payload = {"token": token, "ok": bool(outcome and outcome.ok),
                   "errors": list(outcome.errors) if outcome else []}
        self._send(HTTPStatus.OK, json.dumps(payload).encode("utf-8"), "application/json")

    def _site_file(self, relative: str, prefix: str) -> None:
        out_dir = self.server.preview.options.out_dir.resolve()
        try:
            target = (out_dir / relative).resolve()
            if not target.is_relative_to(out_dir):
                return self._not_found(prefix)
            if target.is_dir():
                if relative and not relative.endswith("/"):
                    return self._redirect(prefix + relative + "/")
                target = target / "index.html"
            data = target.read_bytes()
        except (OSError, ValueError):  # missing, or a name the file system refuses
            return self._not_found(prefix)
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if content_type == "text/html":
            return self._send_html(HTTPStatus.OK, data.decode("utf-8", errors="replace"))
        if content_type.startswith("text/") or content_type in ("application/xml",
                                                                "application/json",
                                                                "application/javascript"):
            content_type += "; charset=utf-8"
        self._send(HTTPStatus.OK, data, content_type)

    def _not_found(self, prefix: str) -> None:
        page = self.server.preview.options.out_dir / "404.html"
        outcome = self.server.preview.state.outcome
        if page.is_file():
            document = page.read_text(encoding="utf-8", errors="replace")
        elif outcome is not None and not outcome.ok:
            document = serve_emails.error_page("Build failed", outcome.errors, "en")
        else:
            document = (f"<!DOCTYPE html><title>Not found</title><body><p>Not found. "
                        f'The site is at <a href="{html.escape(prefix)}">{html.escape(prefix)}'
                        "</a>.</p></body>")
        self._send_html(HTTPStatus.NOT_FOUND, document)

    def _emails(self, path: str, prefix: str) -> None:
        preview = self.server.preview
        project = preview.state.project
        if project is None:  # the config never loaded: the overlay says why
            return self._send_html(HTTPStatus.OK, serve_emails.error_page(
                "No project", preview.state.outcome.errors if preview.state.outcome else (),
                "en"))
        if path in (serve_emails.PREFIX, serve_emails.PREFIX.rstrip("/")):
            document = serve_emails.index_page(project, preview.listing(project), prefix)
            return self._send_html(HTTPStatus.OK, document)
        found = serve_emails.issue_path_of(path)
        if found is None:
            return self._not_found(prefix)
        series, slug, part = found
        language = project.settings.site.language
        try:
            prepared = preview.render_email(project, series, slug)
        except PublisherError as exc:
            lines = list(exc.lines()) + [f"({n})" for n in getattr(exc, "__notes__", [])]
            log.warning("email preview %s/%s failed: %s", series, slug, "; ".join(lines))
            return self._send_html(HTTPStatus.OK, serve_emails.error_page(
                "Email failed to render", lines, language))
        if prepared is None:
            errors = preview.listing(project).errors
            if errors:  # the issue may be one of the files that do not load
                return self._send_html(HTTPStatus.NOT_FOUND, serve_emails.error_page(
                    f"No loadable issue {series}/{slug}", errors, language))
            return self._not_found(prefix)
        if part == "email.html":  # what subscribers get: no reload script inside the frame
            body = serve_emails.email_document(prepared, project).encode("utf-8")
            return self._send(HTTPStatus.OK, body, "text/html; charset=utf-8")
        if part == "email.txt":
            text = serve_emails.fill_tags(prepared.email.text, prepared, project)
            return self._send(HTTPStatus.OK, text.encode("utf-8"), "text/plain; charset=utf-8")
        self._send_html(HTTPStatus.OK, serve_emails.preview_page(project, prepared, prefix))

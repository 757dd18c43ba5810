"""``publisher serve``: the preview server's terminal side (registered by publisher/cli.py)."""

from __future__ import annotations

import datetime as dt
import signal
from pathlib import Path

import click

from archive_site.cli import ProgressBar
from archive_site.serve import BuildOutcome, Preview, ServeOptions
from publisher.config import CONFIG_NAME


class _Terminal:
    """One line per build; a progress bar while a long build runs (on a terminal only)."""

    def __init__(self) -> None:
        self.bar = ProgressBar()

    def progress(self, stage: str, done: int, total: int) -> None:
        self.bar(stage, done, total)

    def report(self, outcome: BuildOutcome) -> None:
        """Problems as ``Error: path:line: message``, as every other command shows them."""
        self.bar.close()
        now = dt.datetime.now().strftime("%H:%M:%S")
        more = " …" if len(outcome.changed) > 3 else ""
        cause = f"{', '.join(outcome.changed[:3])}{more} changed: " if outcome.changed else ""
        if outcome.changed == ("search index",):  # the follow-up build after a save
            cause = "search index: "
        if outcome.ok:
            click.echo(f"[{now}] {cause}{outcome.summary}")
            return
        click.echo(f"[{now}] {cause}build failed; serving the last good site:", err=True)
        from publisher.cli import echo_error

        for line in outcome.errors:
            echo_error(line)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@click.command()
@click.option("--port", "-p", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port on 127.0.0.1 (0: any free port).")
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder the site is built into  [default: _site/ in the project]")
@click.option("--poll", is_flag=True,
              help="Poll files for changes every 0.3 s instead of OS file events (network "
                   "drives; also WATCHFILES_FORCE_POLLING=1).")
@click.pass_context
def serve(ctx: click.Context, port: int, out: Path | None, poll: bool) -> None:
    """Preview the archive and every email on 127.0.0.1; rebuild and reload on save.

    Watches issues/, templates/ and newsletter.yaml through OS file events
    (polling where they are unavailable, or with --poll). Email previews (phone and
    desktop width) are at /__emails/. Stop with Ctrl-C.

    \b
    Example:
      publisher serve --port 8000
    """
    from publisher.cli import load, project_root

    root = project_root(ctx)
    if not (root / CONFIG_NAME).is_file():
        load(ctx)  # raises the standard "newsletter.yaml: not found" error, exit code 1
    terminal = _Terminal()
    preview = Preview(root, ServeOptions(out_dir=out or root / "_site", port=port, poll=poll),
                      notify=terminal.report, progress=terminal.progress)
    # `kill` (SIGTERM) stops as cleanly as Ctrl-C does, even during the first build
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        preview.start()
        if preview.watch_notice:
            click.echo(preview.watch_notice)
        click.echo(f"Serving {preview.url} (emails: {preview.origin}/__emails/); "
                   "watching issues/, templates/, newsletter.yaml. Ctrl-C stops.")
        preview.wait()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        preview.stop()
    click.echo("Stopped.")

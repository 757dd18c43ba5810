"""The ``publisher`` command: thin click commands over the library.

This is the only module that talks to the terminal. Each command parses its options, loads
the project, calls one library function and prints a one-line summary. A PublisherError is
shown as ``Error: path:line: message`` lines with exit code 1 (click keeps 2 for usage
errors); ``--debug`` shows the traceback instead. A file-system error is one line too, and
anything else (a bug) is one ``internal error`` line, never a traceback. Every error line
and every log record is scrubbed of secret values first (:mod:`publisher.secrets`).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import sys
from pathlib import Path

import click

from publisher import __version__
from publisher.errors import PublisherError
from publisher.secrets import scrub, scrub_logging


class PublisherGroup(click.Group):
    """Turns library errors into clean messages; loads later stages' commands on demand."""

    def main(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        tolerate_console_encoding()
        return super().main(*args, **kwargs)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in LAZY_COMMANDS and name not in self.commands:
            module, attribute = LAZY_COMMANDS[name].split(":")
            self.add_command(getattr(importlib.import_module(module), attribute), name)
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except PublisherError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            for line in exc.lines():
                echo_error(line)
            for note in getattr(exc, "__notes__", []):
                click.echo(scrub(f"  ({note})"), err=True)
            if any(not Path(str(p.location.path)).is_absolute() for p in exc.problems):
                elsewhere_note(ctx)
            ctx.exit(exc.exit_code)
        except OSError as exc:  # anything not caught nearer the cause: still one line
            if ctx.obj and ctx.obj.get("debug"):
                raise
            from publisher.oserrors import describe

            echo_error(describe(exc))
            ctx.exit(1)
        except Exception as exc:  # a bug: still one line, never a traceback
            if ctx.obj and ctx.obj.get("debug"):
                raise
            echo_error(f"internal error: {type(exc).__name__}: {str(exc)[:300]} (a bug in "
                       "publisher; run with --debug for the traceback and report it)")
            ctx.exit(1)


def echo_error(line: str) -> None:
    """One ``Error:`` line on stderr, secrets scrubbed."""
    click.echo(scrub(f"Error: {line}"), err=True)


def tolerate_console_encoding() -> None:
    """Never a UnicodeEncodeError for a character the console cannot show.

    A Windows console or pipe may use a code page (cp1251, cp866; PYTHONIOENCODING) that
    lacks «», — or →; Python writes stdout with ``errors="strict"`` and would stop the
    command half-way (stderr gets ``\\xab`` escapes). Both streams, when not UTF, are
    switched to ``replace`` (``?`` for those characters, the same on either stream) before
    click prints anything, even ``--help``.
    """
    for stream in (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None) or ""
        if getattr(stream, "errors", None) not in ("strict", "backslashreplace") or \
                encoding.lower().replace("_", "-").startswith("utf"):
            continue
        with contextlib.suppress(AttributeError, ValueError, OSError):
            stream.reconfigure(errors="replace")  # type: ignore[union-attr]


def elsewhere_note(ctx: click.Context) -> None:
    """Say where relative paths in messages start when --project is not the current folder."""
    root = ctx.obj.get("project") if ctx.obj else None
    if root is not None and (root / "newsletter.yaml").is_file() and \
            root.resolve() != Path.cwd().resolve():
        click.echo(f"  (paths are relative to the newsletter folder {root})", err=True)


def project_root(ctx: click.Context) -> Path:
    return ctx.obj["project"]


def load(ctx: click.Context):  # type: ignore[no-untyped-def]
    """The validated project of ``--project`` (loaded once per invocation)."""
    from publisher.config import load_project

    if "loaded" not in ctx.obj:
        ctx.obj["loaded"] = load_project(project_root(ctx))
    return ctx.obj["loaded"]


@click.group(cls=PublisherGroup)
@click.option("--project", "-C", type=click.Path(file_okay=False, path_type=Path), default=".",
              show_default=True, help="Newsletter folder (holding newsletter.yaml).")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.option("--verbose", "-v", is_flag=True, help="Log what happens.")
@click.version_option(__version__, prog_name="publisher")
@click.pass_context
def cli(ctx: click.Context, project: Path, debug: bool, verbose: bool) -> None:
    """Publish Markdown newsletters and email courses: email, ESP sending, web archive.

    \b
    Example:
      publisher --project my-newsletter render issues/001-hello.md --out out/
    """
    ctx.ensure_object(dict)
    ctx.obj.update(project=project, debug=debug)
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    scrub_logging()


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--title", default="Моя рассылка", show_default=True, help="Newsletter title.")
@click.option("--language", default="ru", show_default=True, help="Language readers see.")
@click.option("--base-url", default="https://example.org/newsletter/", show_default=True,
              help="Where the web archive will be published.")
@click.option("--sender", default="news@example.org", show_default=True, help="From address.")
@click.option("--force", is_flag=True,
              help="Use a folder that is not empty: add the missing files, keep every "
                   "existing one (listed).")
def init(directory: Path, title: str, language: str, base_url: str, sender: str,
         force: bool) -> None:
    """Create a newsletter folder that renders out of the box.

    Refuses a folder that holds files, unless --force (which never overwrites a file).

    \b
    Example:
      publisher init my-newsletter --title "Заметки менеджера"
    """
    from publisher.scaffold import init_project

    plan = init_project(directory, title=title, language=language, base_url=base_url,
                        sender_email=sender, force=force)
    for path in plan.kept:
        click.echo(f"Kept {path} (exists; not overwritten)", err=True)
    issue = next((p for p in (*plan.write, *plan.kept) if p.parent.name == "issues"), None)
    step = f" Next: publisher --project {directory} render " \
           f"{issue.relative_to(directory)}" if issue is not None else ""
    click.echo(f"Created {directory}/ ({len(plan.write)} files, {len(plan.kept)} kept).{step}")


@cli.command()
@click.argument("title")
@click.option("--series", "-s", required=True, help="Series slug from newsletter.yaml.")
@click.option("--date", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Issue date (default: today).")
@click.pass_context
def new(ctx: click.Context, title: str, series: str, date) -> None:  # type: ignore[no-untyped-def]
    """Create the next issue of a series, front matter filled in.

    \b
    Example:
      publisher new "Как не стать жертвой воров" --series upravlyay-ka
    """
    from publisher.scaffold import new_issue

    project = load(ctx)
    path = new_issue(project, title, series, date=date.date() if date else None)
    click.echo(f"Created {project.relative(path)}")


@cli.command()
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--links", is_flag=True, help="Also check external links over HTTP (cached "
                                            "for a day in .publisher/links.json).")
@click.pass_context
def check(ctx: click.Context, strict: bool, links: bool) -> None:
    """Validate newsletter.yaml and every issue; render each as it would be sent; preflight
    (ESP tags, leftovers such as TODO, links into the archive).

    \b
    Examples:
      publisher check
      publisher check --links --strict
    """
    from publisher.check import check_project

    project = load(ctx)
    report = check_project(project, links=links)
    for problem in report.warnings:
        click.echo(scrub(f"Warning: {problem}"), err=True)
    for problem in report.errors:
        echo_error(str(problem))
    largest = max(report.sizes.values(), default=0) / 1024
    summary = (f"{len(report.issues)} issues, {len(report.errors)} errors, "
               f"{len(report.warnings)} warnings; largest email {largest:.1f} KB"
               + (f"; {report.links_checked} external links checked" if links else ""))
    if report.errors or (strict and report.warnings):
        elsewhere_note(ctx)
        click.echo(f"Check failed: {summary}", err=True)
        ctx.exit(1)
    click.echo(f"OK: {summary}")


@cli.command()
@click.argument("issue")
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path),
              default=Path("_render"), show_default=True, help="Output folder.")
@click.option("--backend", type=click.Choice(["outbox", "sendsay", "smtp"]), default=None,
              help="Render the ESP tags of this backend (default: esp.backend).")
@click.pass_context
def render(ctx: click.Context, issue: str, out: Path, backend: str | None) -> None:
    """Render one issue to OUT/<slug>.html, .txt and .eml.

    ISSUE is a file path, a file name or a slug.

    \b
    Example:
      publisher render issues/upravlyay-ka-001-kak-ne-stat-zhertvoy-vorov-2.md --out out/
    """
    from publisher.load import find_issue
    from publisher.pipeline import render_to_folder

    project = load(ctx)
    result = render_to_folder(project, find_issue(project, issue), out, backend=backend)
    for warning in result.prepared.warnings:
        click.echo(f"Warning: {warning}", err=True)
    size = result.prepared.email.html_size / 1024
    click.echo(f"Rendered {result.prepared.issue.key}: {result.html} ({size:.1f} KB), "
               f"{result.text.name}, {result.eml.name}")


# Commands of the later stages, imported only when used: `publisher render` should not pay
# for loading the archive server or the course runner (start-up time is most of a one-file
# rebuild). "name": "module:attribute".
LAZY_COMMANDS = {
    "send": "publisher.cli_send:send",
    "publish": "publisher.cli_send:publish",
    "status": "publisher.cli_send:status",
    "build": "archive_site.cli:build",
    "serve": "archive_site.cli_serve:serve",
    "course": "publisher.cli_course:course",
    "stats": "publisher.stats.cli:stats",
    "import": "publisher.cli_import:import_group",
    "deploy": "publisher.cli_deploy:deploy",
    "publish-ready": "publisher.cli_ci:publish_ready",
    "migrate": "publisher.cli_migrate:migrate",
}


def main() -> None:  # pragma: no cover
    cli(obj={})


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""The pipeline, top to bottom: load -> render -> inline (prepare), and writing the results.

Each function reads as the list of its stages. Nothing here prints: results are returned and
problems raised as PublisherError, which the CLI shows as ``path:line: message``.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from publisher.config import Project
from publisher.errors import IssueError, Location, Problem, PublisherError
from publisher.load import load_issue
from publisher.render.message import to_mime
from publisher.models import Email, Issue
from publisher.render import RenderedBody, check_body, render_body, render_email


@dataclass(frozen=True)
class Prepared:
    """An issue ready to send: its source, its rendered body and its finished email."""

    issue: Issue
    body: RenderedBody
    email: Email
    warnings: tuple[Problem, ...] = ()


def prepare(project: Project, path: Path, *, backend: str | None = None) -> Prepared:
    """load -> render and check (see :func:`render_checked`); any error is raised."""
    issue = load_issue(path, project)
    checked = render_checked(issue, project, backend=backend)
    if checked.errors or checked.email is None:
        error = IssueError(problems=checked.errors)
        if checked.errors != [checked.size_error]:
            error.add_note(f"while rendering {project.relative(path)}")
        raise error
    return Prepared(issue=issue, body=checked.body, email=checked.email,
                    warnings=tuple(checked.warnings))


@dataclass
class Checked:
    """An issue rendered as it would be sent, with every problem found on the way."""

    body: RenderedBody
    email: Email | None  # None when the templates failed
    errors: list[Problem]
    warnings: list[Problem]
    size_error: Problem | None = None


def render_checked(issue: Issue, project: Project, *, backend: str | None = None) -> Checked:
    """render body -> check body (tables, images) -> templates -> inline CSS -> size.

    Problems are collected, not raised: ``check`` reports them all, ``prepare`` raises them.
    """
    body = render_body(issue, project)
    errors, warnings = check_body(issue, body, project)
    try:
        email = render_email(issue, project, backend=backend, body=body)
    except PublisherError as exc:
        problems = exc.problems or [Problem(Location(project.relative(issue.path)), str(exc))]
        return Checked(body, None, [*errors, *problems], warnings)
    size_error, size_warning = size_check(email, issue, project)
    if size_warning:
        warnings.append(size_warning)
    if size_error:
        errors.append(size_error)
    return Checked(body, email, errors, warnings, size_error)


def size_check(email: Email, issue: Issue,
               project: Project) -> tuple[Problem | None, Problem | None]:
    """(error above the budget, warning near Gmail's 102 KB clipping)."""
    settings = project.settings.email
    size_kb = email.html_size / 1024
    where = Location(project.relative(issue.path), 1)
    if size_kb > settings.size_budget_kb:
        return Problem(where, f"email HTML is {size_kb:.1f} KB, over the budget of "
                              f"{settings.size_budget_kb} KB (email.size_budget_kb); Gmail clips "
                              "at 102 KB: shorten the issue or split it"), None
    if size_kb > settings.size_warning_kb:
        return None, Problem(where, f"email HTML is {size_kb:.1f} KB, near Gmail's 102 KB "
                                    f"clipping limit (warning above {settings.size_warning_kb} KB)")
    return None, None


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file so a reader sees the old or the new content, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        # mkstemp creates 0600; give the file the mode a plain open() would (umask applies)
        os.chmod(temp, 0o666 & ~_umask())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_all(files: dict[Path, bytes]) -> None:
    """Write several files all or nothing: each is staged beside its target before any is
    put in place, so a full disk or a bad folder leaves the old files (or none), not half
    a set. An OS failure becomes a one-line PublisherError naming the file."""
    staged: list[tuple[Path, Path]] = []
    target: Path | None = None
    try:
        for target, data in files.items():
            if target.is_dir():
                raise IsADirectoryError(21, "a folder is in the way", str(target))
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
            staged.append((Path(temp), target))
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(temp, 0o666 & ~_umask())
        for temp, target in staged:
            os.replace(temp, target)
    except OSError as exc:
        raise PublisherError.at(exc.filename or target, None,
                                f"cannot write output: {exc.strerror or exc}") from exc
    finally:
        for temp, _ in staged:
            temp.unlink(missing_ok=True)


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


@dataclass(frozen=True)
class RenderOutput:
    html: Path
    text: Path
    eml: Path
    prepared: Prepared


def render_to_folder(project: Project, path: Path, out_dir: Path, *,
                     backend: str | None = None, date: dt.datetime | None = None) -> RenderOutput:
    """``publisher render``: write <slug>.html, <slug>.txt and <slug>.eml into ``out_dir``.

    Everything is rendered in memory first, so a failure leaves no partial output.
    """
    prepared = prepare(project, path, backend=backend)
    email = prepared.email
    slug = prepared.issue.slug
    mime = to_mime(email, date=date)  # a preview, addressed to nobody
    files = {
        out_dir / f"{slug}.html": email.html.encode("utf-8"),
        out_dir / f"{slug}.txt": email.text.encode("utf-8"),
        out_dir / f"{slug}.eml": mime.as_bytes(),
    }
    write_all(files)
    html, text, eml = files
    return RenderOutput(html=html, text=text, eml=eml, prepared=prepared)

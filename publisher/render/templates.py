"""Jinja templates: the environment (the folder's own templates before the shipped ones) and
rendering one template with every failure reported at the template's ``file:line``.

Templates use ``StrictUndefined`` so a misspelt variable is an error with the template's file
and line, not an empty string. The environment is built once per set of template folders.
"""

from __future__ import annotations

import traceback
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from publisher.config import Project
from publisher.errors import TemplateError

PACKAGE_TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"


def template_dirs(project: Project) -> list[Path]:
    """The folder's own templates first, then the ones shipped with publisher."""
    dirs = [project.templates_dir]
    shipped = PACKAGE_TEMPLATES
    if shipped.is_dir() and shipped.resolve() != project.templates_dir.resolve():
        dirs.append(PACKAGE_TEMPLATES)
    return dirs


@lru_cache(maxsize=8)
def _environment(dirs: tuple[str, ...]) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(list(dirs), encoding="utf-8"),
        autoescape=jinja2.select_autoescape(["html", "xml"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env


def environment(project: Project) -> jinja2.Environment:
    return _environment(_template_dirs_key(project))


@lru_cache(maxsize=8)
def _template_dirs_key(project: Project) -> tuple[str, ...]:
    # template_dirs() resolves paths (file-system calls); once per project is enough
    return tuple(str(d) for d in template_dirs(project))


def render_template(project: Project, name: str, context: dict[str, Any]) -> str:
    """Render one template; any Jinja failure becomes a TemplateError at ``file:line``."""
    env = environment(project)
    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError.at(_template_path(project, exc.filename or exc.name or name),
                               exc.lineno, f"template syntax error: {exc.message}") from None
    except jinja2.TemplateNotFound as exc:
        raise TemplateError.at(project.relative(project.templates_dir / name), None,
                               f"template {exc.name!r} not found in "
                               f"{', '.join(str(d) for d in template_dirs(project))}") from None
    except jinja2.TemplateError as exc:
        path, line = _template_frame(exc)
        raise TemplateError.at(_template_path(project, path or name), line,
                               f"template error: {exc}") from None


def _template_path(project: Project, filename: str) -> Path:
    """A template's file as the author knows it: relative to the newsletter folder."""
    return project.relative(Path(filename))


def _template_frame(exc: BaseException) -> tuple[str | None, int | None]:
    """The innermost template file and line in a Jinja traceback (Jinja rewrites frames)."""
    found: tuple[str | None, int | None] = (None, None)
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith((".html", ".txt", ".xml", ".css", ".j2")):
            found = (frame.filename, frame.lineno)
    return found

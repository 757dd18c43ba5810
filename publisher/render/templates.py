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
    except UnicodeDecodeError:  # a template (or a file it includes) that is not UTF-8
        raise _undecodable(project, name) from None
    except RecursionError as exc:  # a template that includes itself, a macro that recurses
        path, line = _template_frame(exc)
        raise TemplateError.at(_template_path(project, path or name), line,
                               "template error: it includes or calls itself without end"
                               ) from None
    except Exception as exc:  # {{ 1/0 }}, a filter given the wrong kind of value, ...
        path, line = _template_frame(exc)
        raise TemplateError.at(_template_path(project, path or name), line,
                               f"template error: {type(exc).__name__}: {exc}") from None


def _undecodable(project: Project, name: str) -> TemplateError:
    """The template file (of ``name``'s folder, own templates first) that is not UTF-8."""
    folder = name.rpartition("/")[0]
    for directory in template_dirs(project):
        base = directory / folder if folder else directory
        for path in sorted(base.rglob("*")) if base.is_dir() else ():
            try:
                text = path.read_bytes()
                text.decode("utf-8")
            except UnicodeDecodeError as exc:
                line = text[: exc.start].count(b"\n") + 1
                return TemplateError.at(_template_path(project, str(path)), line,
                                        f"not UTF-8 text (byte {exc.start}); save the file "
                                        "as UTF-8")
            except OSError:
                continue
    return TemplateError.at(_template_path(project, name), None, "not UTF-8 text")


def template_file(project: Project, name: str) -> Path:
    """The file ``name`` is loaded from (the folder's own first), as the author knows it."""
    for directory in template_dirs(project):
        if (directory / name).is_file():
            return project.relative(directory / name)
    return project.relative(project.templates_dir / name)


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

"""``publisher init`` and ``publisher new``: start a newsletter folder, start the next issue.

``init`` writes a folder that renders out of the box (config, one issue, the templates, so
the author can restyle them); ``new`` numbers the next issue of a series and fills its front
matter. Neither overwrites an existing file: ``init`` refuses a folder that already holds
files (or lies inside a newsletter folder) unless ``--force``, and even then only writes the
files that are missing and lists the ones it kept (:func:`plan_init`, one rule for every file
``init`` writes).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml

from publisher.ci_workflow import GITHUB_WORKFLOW, GITHUB_WORKFLOW_PATH
from publisher.config import CONFIG_NAME, Project, build_settings
from publisher.errors import ConfigError, IssueError
from publisher.load import issue_files, load_issue
from publisher.privacy import GITIGNORE
from publisher.render.templates import PACKAGE_TEMPLATES
from publisher.slug import slugify
from publisher.yamlfile import LineMap

_FIRST_BODY = {
    "ru": "Здравствуйте!\n\nЭто первый выпуск. Напишите здесь текст в Markdown: **жирный**, "
          "*курсив*, [ссылки](https://example.org), списки и таблицы.\n\n"
          "| Что | Зачем |\n|-----|-------|\n| Таблица | - пункт списка<br>- ещё пункт |\n",
    "en": "Hello!\n\nThis is the first issue. Write it in Markdown: **bold**, *italic*, "
          "[links](https://example.org), lists and tables.\n\n"
          "| What | Why |\n|------|-----|\n| A table | - a list item<br>- another item |\n",
}
_FIRST_PREHEADER = {  # 40-130 characters, so a fresh folder passes `check --strict`
    "ru": "Первый выпуск: как писать текст, списки и таблицы в Markdown",
    "en": "The first issue: how to write text, lists and tables in Markdown",
}
_GITIGNORE = """\
# made again by publisher: archive, rendered previews, the local outbox, caches
/_site/
/_render/
/outbox/
/.publisher/cache/
/.publisher/*.lock
/.publisher/*.lock-journal
/.publisher/*-wal
/.publisher/*-shm
"""
#: what `init` writes to .gitattributes: a Windows checkout (git's core.autocrlf=true) would
#: turn every text file into CRLF, so the ledger, the slug map and the issues would differ by
#: machine and every commit from Windows would rewrite them. publisher reads CRLF either way.
_GITATTRIBUTES = """\
# the same bytes on every machine: LF in the working tree on Windows too (publisher reads
# CRLF as well, but the ledger and slug map are records that must not churn in diffs)
* text=auto eol=lf
"""
_NEW_BODY = {"ru": "Здравствуйте!\n\n", "en": "Hello!\n\n"}


def _front_matter(fields: dict) -> str:
    text = yaml.safe_dump(fields, allow_unicode=True, sort_keys=False, width=1000)
    return f"---\n{text}---\n"


def new_issue(project: Project, title: str, series: str, *,
              date: dt.date | None = None) -> Path:
    """Create the next issue file of ``series`` with its front matter filled in."""
    settings = project.settings
    series_settings = settings.series_by_slug(series)
    if series_settings is None:
        known = ", ".join(s.slug for s in settings.series)
        raise ConfigError.at(project.relative(project.config_path), None,
                             f"unknown series {series!r} (known: {known})")
    numbers = []
    for path in issue_files(project):
        try:
            issue = load_issue(path, project)
        except IssueError:
            continue  # a broken file must not stop the author from starting a new one
        if issue.series == series:
            numbers.append(issue.number)
    number = max(numbers, default=0) + 1
    slug = slugify(title)
    path = project.issues_dir / f"{series}-{number:03d}-{slug}.md"
    if path.exists():
        raise IssueError.at(project.relative(path), None, "already exists")
    fields: dict = {"title": title, "date": date or dt.date.today(),
                    "series": series}
    if series_settings.kind == "course":
        fields.update(lesson=number, delay="1 day" if number > 1 else "0 days")
    else:
        fields["number"] = number
    fields.update(slug=slug, preheader="", status="draft", tags=[])
    language = settings.site.language.split("-")[0]
    text = _front_matter(fields)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + _NEW_BODY.get(language, _NEW_BODY["en"]), encoding="utf-8")
    return path


@dataclass(frozen=True)
class InitPlan:
    """What ``init`` will do in a folder: the files to write and the existing ones it keeps."""

    write: tuple[Path, ...]
    kept: tuple[Path, ...]


#: entries that do not make a folder "not empty" (a fresh `git init`, desktop litter)
_IGNORED_ENTRIES = {".git", ".DS_Store", "Thumbs.db", "desktop.ini"}


def plan_init(root: Path, files: list[Path], *, force: bool) -> InitPlan:
    """Decide which of ``files`` (paths under ``root``) ``init`` may write.

    Without ``force``: a folder that holds anything, or that is inside a newsletter folder,
    is refused (ConfigError naming what is there). With ``force``: existing files are kept,
    never overwritten, and returned in ``kept`` so the caller can say which.
    """
    if not force:
        present = sorted(p.name for p in root.iterdir() if p.name not in _IGNORED_ENTRIES) \
            if root.is_dir() else []
        if present:
            shown = ", ".join(present[:5]) + (f" and {len(present) - 5} more"
                                              if len(present) > 5 else "")
            raise ConfigError.at(root, None, f"is not empty ({shown}); init does not overwrite "
                                 "a folder (choose a new folder, or pass --force to add only "
                                 "the missing files)")
        outer = _enclosing_newsletter(root)
        if outer is not None:
            raise ConfigError.at(root, None, f"is inside the newsletter folder {outer}; "
                                 "init makes a separate newsletter (choose a folder outside "
                                 "it, or pass --force)")
    kept = tuple(p for p in files if p.exists() or p.is_symlink())
    return InitPlan(write=tuple(p for p in files if p not in kept), kept=kept)


def _enclosing_newsletter(root: Path) -> Path | None:
    for folder in root.resolve().parents:
        if (folder / CONFIG_NAME).is_file():
            return folder
    return None


def init_project(root: Path, *, title: str, language: str = "ru",
                 base_url: str = "https://example.org/newsletter/",
                 sender_email: str = "news@example.org", force: bool = False) -> InitPlan:
    """Create a newsletter folder that renders out of the box; returns what was written and
    what was kept (see :func:`plan_init`)."""
    config = root / CONFIG_NAME
    if not base_url.endswith("/"):  # links are built by appending to it
        base_url += "/"
    slug = slugify(title)[:40].strip("-") or "newsletter"
    settings = {
        "site": {"title": title, "base_url": base_url, "language": language,
                 "timezone": "Europe/Moscow" if language == "ru" else "UTC"},
        "sender": {"name": title, "email": sender_email, "reply_to": sender_email},
        "series": [{"slug": slug, "title": title, "description": "",
                    "subscribe_url": base_url, "list_id": ""}],
        "navigation": [{"title": "Home" if language != "ru" else "Главная", "url": base_url}],
        "footer": {
            "publisher": title,
            "reason": ("Вы получили это письмо, потому что подписались на «{series}»."
                       if language == "ru" else
                       "You receive this email because you subscribed to {series}."),
            "contacts": [{"title": sender_email, "url": f"mailto:{sender_email}"}],
            "unsubscribe_url": base_url + "unsubscribe/?email={email}",
        },
        "esp": {"backend": "outbox"},
    }
    # validate before writing anything: a folder that fails `check` is not "out of the box"
    try:
        build_settings(settings, config, LineMap())
    except ConfigError as exc:
        raise ConfigError(problems=exc.problems,
                          hint="Nothing was written; fix the option values of `init`.") from None
    try:
        files = _scaffold_files(root, config, settings, slug, language)
        plan = plan_init(root, list(files), force=force)
        for path in plan.write:
            path.parent.mkdir(parents=True, exist_ok=True)
            data = files[path]
            with open(path, "xb") as handle:  # "x": a file that appeared meanwhile is kept
                handle.write(data.encode("utf-8") if isinstance(data, str) else data)
    except OSError as exc:
        raise ConfigError.at(exc.filename or root, None,
                             f"cannot create the folder: {exc.strerror or exc}") from None
    return plan


def _scaffold_files(root: Path, config: Path, settings: dict, slug: str,
                    language: str) -> dict[Path, str | bytes]:
    """Every file ``init`` writes, with its content, config first and the issue second."""
    files: dict[Path, str | bytes] = {
        config: yaml.safe_dump(settings, allow_unicode=True, sort_keys=False)}
    fields = {"title": "Первый выпуск" if language == "ru" else "First issue",
              "date": dt.date.today(), "series": slug, "number": 1,
              "slug": "first", "preheader": _FIRST_PREHEADER.get(language, _FIRST_PREHEADER["en"]),
              "status": "draft", "tags": []}
    body = _FIRST_BODY.get(language, _FIRST_BODY["en"])
    files[root / "issues" / f"{slug}-001-first.md"] = _front_matter(fields) + body
    # the ledger and the slug map are the author's records: keep them in version control;
    # what a build or a send can make again, and subscribers' addresses (privacy.GITIGNORE),
    # are left out
    files[root / ".gitignore"] = _GITIGNORE + GITIGNORE
    files[root / ".gitattributes"] = _GITATTRIBUTES
    # publish from CI on every push (ci_workflow.py)
    files[root / GITHUB_WORKFLOW_PATH] = GITHUB_WORKFLOW
    templates = root / "templates"
    for source in sorted(PACKAGE_TEMPLATES.rglob("*")):
        if source.is_file():
            files[templates / source.relative_to(PACKAGE_TEMPLATES)] = source.read_bytes()
    return files

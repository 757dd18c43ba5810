"""``publisher init`` and ``publisher new``: start a newsletter folder, start the next issue.

``init`` writes a folder that renders out of the box (config, one issue, the templates, so
the author can restyle them); ``new`` numbers the next issue of a series and fills its front
matter. Neither overwrites an existing file.
"""

from __future__ import annotations

import datetime as dt
import shutil
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
/.publisher/*-wal
/.publisher/*-shm
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


def init_project(root: Path, *, title: str, language: str = "ru",
                 base_url: str = "https://example.org/newsletter/",
                 sender_email: str = "news@example.org") -> list[Path]:
    """Create a newsletter folder that renders out of the box; return the files written."""
    config = root / CONFIG_NAME
    if config.exists():
        raise ConfigError.at(config, None, "already exists; init does not overwrite a folder")
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
        return _write_scaffold(root, config, settings, slug, language)
    except OSError as exc:
        raise ConfigError.at(exc.filename or root, None,
                             f"cannot create the folder: {exc.strerror or exc}") from None


def _write_scaffold(root: Path, config: Path, settings: dict, slug: str,
                    language: str) -> list[Path]:
    root.mkdir(parents=True, exist_ok=True)
    written = [config]
    config.write_text(yaml.safe_dump(settings, allow_unicode=True, sort_keys=False),
                      encoding="utf-8")
    issue = root / "issues" / f"{slug}-001-first.md"
    issue.parent.mkdir(parents=True, exist_ok=True)
    fields = {"title": "Первый выпуск" if language == "ru" else "First issue",
              "date": dt.date.today(), "series": slug, "number": 1,
              "slug": "first", "preheader": _FIRST_PREHEADER.get(language, _FIRST_PREHEADER["en"]),
              "status": "draft", "tags": []}
    body = _FIRST_BODY.get(language, _FIRST_BODY["en"])
    issue.write_text(_front_matter(fields) + body, encoding="utf-8")
    written.append(issue)
    ignore = root / ".gitignore"
    if not ignore.exists():
        # the ledger and the slug map are the author's records: keep them in version
        # control; what a build or a send can make again, and subscribers' addresses
        # (privacy.GITIGNORE), are left out
        ignore.write_text(_GITIGNORE + GITIGNORE, encoding="utf-8")
        written.append(ignore)
    workflow = root / GITHUB_WORKFLOW_PATH  # publish from CI on every push (ci_workflow.py)
    if not workflow.exists():
        workflow.parent.mkdir(parents=True, exist_ok=True)
        workflow.write_text(GITHUB_WORKFLOW, encoding="utf-8")
        written.append(workflow)
    templates = root / "templates"
    for source in sorted(PACKAGE_TEMPLATES.rglob("*")):
        if source.is_file():
            target = templates / source.relative_to(PACKAGE_TEMPLATES)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            written.append(target)
    return written

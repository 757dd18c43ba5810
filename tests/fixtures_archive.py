"""Archive fixtures: the sample newsletter as published, and a generated archive of many issues.

``generate_archive(root, count)`` writes a newsletter folder whose issues are shaped like the
sample (greeting, links, the sales-stage table with lists in cells, a numbered list), spread
over three newsletters and one course, with some drafts and some unsent issues. Every fifth
issue carries the sales-stage table (the only place the word "конвертация" appears), so a
search can be checked for exactly those. Benchmarks reuse the generator.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_ISSUE = ROOT / "issues" / "upravlyay-ka-001-kak-ne-stat-zhertvoy-vorov-2.md"
SAMPLE_CONFIG = ROOT / "newsletter.yaml"

#: words that must never reach the site (drafts' text, ESP ids, credentials)
DRAFT_SECRET = "Секретныйчерновик"
PRIVATE_STRINGS = ("pl01", "pl02", "pl03", "pl04", "x_secretlogin", "sub_secret",
                   DRAFT_SECRET, "unsubscribe/?email")

_SERIES = ("azbuka-prodazhnogo-menedzhera", "upravlyay-ka", "akademiya-biznes-trenerov",
           "kurs-prodazh")


def _sample_body() -> str:
    text = SAMPLE_ISSUE.read_text(encoding="utf-8")
    return text.split("---\n", 2)[2]


def _table_free(body: str) -> str:
    """The sample body with its table replaced by a plain paragraph."""
    lines = [line for line in body.splitlines() if not line.startswith("|")]
    text = "\n".join(lines).replace("(% конвертации)", "(% отсева)")
    return text + "\n"


def archive_config() -> dict:
    """The sample config plus a course, and private values that must stay private."""
    config = yaml.safe_load(SAMPLE_CONFIG.read_text(encoding="utf-8"))
    config["series"].append({
        "slug": "kurs-prodazh", "title": "Курс продаж за 10 уроков",
        "description": "Бесплатный e-mail курс.", "kind": "course", "list_id": "pl04",
        "subscribe_url": "https://www.asconsult.ru/rassylki/kurs-prodazh/"})
    config["esp"]["sendsay"]["login"] = "x_secretlogin"
    config["esp"]["sendsay"]["sublogin"] = "sub_secret"
    return config


def issue_file(number: int, series: str, *, status: str = "published", table: bool = False,
               date: dt.date | None = None, title: str | None = None,
               extra: str = "", body: str | None = None) -> str:
    """One issue shaped like the sample."""
    date = date or dt.date(2020, 1, 6) + dt.timedelta(days=3 * number)
    title = title or f"Выпуск {number}: как не стать жертвой воров, часть {number}"
    base = body if body is not None else (_sample_body() if table else _table_free(_sample_body()))
    front = {"title": title, "date": date.isoformat(), "series": series}
    if series == "kurs-prodazh":
        front["lesson"] = number
    else:
        front["number"] = number
    front["preheader"] = (f"Выпуск {number}. Как избежать ситуации, когда менеджер уходит "
                          "с клиентской базой.")
    front["status"] = status
    head = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=1000)
    head = head.replace(f"date: '{date.isoformat()}'", f"date: {date.isoformat()}")
    return f"---\n{head}---\n{extra}{base}"


def generate_archive(root: Path, count: int) -> dict[str, list[str]]:
    """Write a newsletter folder with ``count`` issues; returns file names by kind."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "newsletter.yaml").write_text(
        yaml.safe_dump(archive_config(), allow_unicode=True, sort_keys=False), encoding="utf-8")
    issues = root / "issues"
    issues.mkdir(exist_ok=True)
    kinds: dict[str, list[str]] = {"published": [], "draft": [], "ready": [], "table": []}
    numbers = dict.fromkeys(_SERIES, 0)
    for n in range(1, count + 1):
        series = _SERIES[n % len(_SERIES)]
        numbers[series] += 1
        number = numbers[series]
        status = "draft" if n % 17 == 0 else "ready" if n % 13 == 0 else "published"
        table = n % 5 == 0
        extra = f"{DRAFT_SECRET} {n}.\n\n" if status == "draft" else ""
        name = f"{series}-{number:04d}.md"
        (issues / name).write_text(issue_file(number, series, status=status, table=table,
                                              extra=extra), encoding="utf-8")
        kinds[status].append(name)
        if table and status == "published":
            kinds["table"].append(name)
    return kinds


@pytest.fixture
def sample_site_project(tmp_path: Path) -> Path:
    """The repository's sample newsletter with its issue marked published."""
    root = tmp_path / "sample"
    root.mkdir()
    shutil.copy(SAMPLE_CONFIG, root / "newsletter.yaml")
    shutil.copytree(ROOT / "issues", root / "issues")
    for path in (root / "issues").glob("*.md"):
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("status: ready", "status: published"), encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def generated_archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A folder with 300 generated issues (shared; tests copy it before changing it)."""
    root = tmp_path_factory.mktemp("generated") / "newsletter"
    kinds = generate_archive(root, 300)
    return root, kinds

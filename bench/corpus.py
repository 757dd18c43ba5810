"""A synthetic archive shaped like the sample issue, for benchmarks and large-archive tests.

``generate(root, n)`` writes a newsletter folder (the sample's ``newsletter.yaml`` and N issues
spread over its series and over years). Each issue has what makes the sample costly to render:
a greeting, a few paragraphs, a heading, the five-column table whose cells hold lists
(``- item<br>- item``), a numbered list and a closing — about the sample's length, with text
varied per issue (a seeded random choice of sentences) so no two bodies are equal and caches
cannot cheat. ``issues(n)`` gives the same corpus as data, which bench/bench_archive.py writes
as Hugo content, so both tools build identical text.

    python bench/corpus.py OUT_DIR 1000
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CONFIG = ROOT / "newsletter.yaml"
SERIES = ("azbuka-prodazhnogo-menedzhera", "upravlyay-ka", "akademiya-biznes-trenerov")

_SENTENCES = (
    "Путь, по которому пошли многие компании, — это технологизация системы продаж.",
    "Контакт перестает быть «завязанным» на одного менеджера: клиент контактирует с фирмой.",
    "Процесс продажи становится прозрачным и управляемым, а каждый этап — понятным.",
    "Разделение продажи на этапы снижает риски ухода менеджера вместе с базой.",
    "Эффективность каждого этапа определяется по четким и недвусмысленным критериям.",
    "Переход от этапа к этапу имеет свои нормативы отсева, и конвертация видна сразу.",
    "Руководитель видит, где теряются клиенты, и может вовремя вмешаться.",
    "Новый сотрудник осваивает один этап за испытательный срок, а не всю продажу сразу.",
    "Разумеется, это очень общая схема, и для каждой сферы бизнеса она будет своя.",
    "Мотивация продавцов строится вокруг показателей их собственного этапа.",
    "Тренинг продавцов можно провести своими силами, если знать, с чего начать.",
    "Хороший наставник экономит компании месяцы и сотни потерянных сделок.",
    "Отчеты по воронке продаж показывают, где именно проседает конвертация.",
    "Клиентская база — актив компании, а не личная собственность продавца.",
    "Постоянные покупатели приносят больше маржи, чем разовые сделки.",
    "Звонок по базе существующих клиентов часто дает больше, чем холодный обзвон.",
    "Бизнес-тренер должен уметь не только рассказывать, но и слушать группу.",
    "Упражнение работает, когда участники сами приходят к нужному выводу.",
    "Переговоры о цене начинаются задолго до того, как прозвучит цифра.",
    "Делегирование — навык, которому менеджеры учатся дольше всего.",
)
_TOPICS = ("продажи", "управление", "мотивация", "переговоры", "тренинг", "наставничество",
           "клиентская база", "воронка", "найм", "делегирование", "маржа", "сервис")
_TITLES = ("Как не стать жертвой воров", "Требуется «продажный» менеджер",
           "Этапы продажи и их цена", "Почему уходят лучшие продавцы",
           "Тренинг своими силами", "Воронка продаж без иллюзий", "Наставник для новичка",
           "Переговоры о скидке", "Мотивация по этапам", "Делегировать и не бояться",
           "Клиент принадлежит компании", "Школа тренерского мастерства")
_STAGES = (("Выявление потенциально заинтересованных клиентов",
            "Пассивный прием звонков и / или активный телефонный обзвон"),
           ("Обработка позитивных откликов и превращение их в покупателей",
            "Преимущественно, встречи с потенциальным клиентом"),
           ("Превращение покупателей в постоянных покупателей",
            "Встречи с клиентом и телефонный обзвон по базе"))
_MEASURES = ("Количество назначенных встреч (в штуках)", "% назначенных встреч от списка",
             "Количество совершенных продаж (в штуках)", "Объем продаж (в деньгах)",
             "Совокупная маржа (в деньгах)", "Количество дополнительных продаж",
             "Средний чек (в деньгах)", "Доля повторных покупок", "И пр.")


@dataclass(frozen=True)
class CorpusIssue:
    """One generated issue, independent of any tool's file format."""

    series: str
    number: int
    slug: str
    title: str
    date: dt.date
    preheader: str
    tags: tuple[str, ...]
    body: str


def _paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(rng.choice(_SENTENCES) for _ in range(sentences))


def _table(rng: random.Random) -> str:
    rows = ["| Этап | Суть деятельности | Цель деятельности | Как измерять эффективность "
            "| Конвертация |",
            "|------|-------------------|-------------------|----------------------------"
            "|-------------|"]
    for index, (essence, goal) in enumerate(_STAGES, start=1):
        measures = "<br>".join(f"- {m}" for m in rng.sample(_MEASURES, rng.randint(2, 4)))
        rows.append(f"| {index} | {essence} | {goal} | {measures} | "
                    f"- % контактов, превращенных в клиентов ({rng.randint(5, 60)}%) |")
    return "\n".join(rows)


def make_issue(index: int, rng: random.Random, number: int, series: str,
               date: dt.date) -> CorpusIssue:
    from publisher.slug import slugify

    title = f"{rng.choice(_TITLES)} — {number}"
    body = "\n\n".join([
        "Здравствуйте, дорогие друзья!",
        "Рад приветствовать вас в очередном выпуске рассылки.",
        _paragraph(rng, 3),
        f"## {title}",
        _paragraph(rng, 6),
        _paragraph(rng, 5),
        "Например, наиболее типично — такое разделение продажи на этапы:",
        _table(rng),
        _paragraph(rng, 3),
        "\n".join(f"{i}. {rng.choice(_SENTENCES)}" for i in range(1, rng.randint(5, 7))),
        _paragraph(rng, 4),
        f"Выпуск {index}: а как происходит разбиение процесса продажи у вас?",
        "На этом — все! До следующей встречи!",
    ]) + "\n"
    return CorpusIssue(series=series, number=number, slug=slugify(title), title=title,
                       date=date, preheader=_paragraph(rng, 1),
                       tags=tuple(rng.sample(_TOPICS, 3)), body=body)


def issues(n: int, seed: int = 4) -> list[CorpusIssue]:
    """N issues, round-robin over the series, one every other day back from 2026-11-26."""
    rng = random.Random(seed)
    numbers = dict.fromkeys(SERIES, 0)
    start = dt.date(2026, 11, 26) - dt.timedelta(days=2 * n)
    out = []
    for index in range(n):
        series = SERIES[index % len(SERIES)]
        numbers[series] += 1
        out.append(make_issue(index, rng, numbers[series], series,
                              start + dt.timedelta(days=2 * index)))
    return out


def _yaml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def issue_file(issue: CorpusIssue) -> str:
    """The issue as publisher's Markdown with front matter (``status: published``)."""
    tags = ", ".join(issue.tags)
    return (f"---\ntitle: {_yaml_str(issue.title)}\ndate: {issue.date.isoformat()}\n"
            f"series: {issue.series}\nnumber: {issue.number}\nslug: {issue.slug}\n"
            f"preheader: {_yaml_str(issue.preheader)}\nstatus: published\ntags: [{tags}]\n"
            f"---\n{issue.body}")


def issue_filename(issue: CorpusIssue) -> str:
    return f"{issue.series}-{issue.number:04d}-{issue.slug}.md"


def generate(root: Path, n: int, *, seed: int = 4) -> list[CorpusIssue]:
    """Write a publisher newsletter folder with N issues into ``root``; return the issues."""
    corpus = issues(n, seed)
    (root / "issues").mkdir(parents=True, exist_ok=True)
    (root / "newsletter.yaml").write_text(SAMPLE_CONFIG.read_text(encoding="utf-8"),
                                         encoding="utf-8")
    for issue in corpus:
        (root / "issues" / issue_filename(issue)).write_text(issue_file(issue), encoding="utf-8")
    return corpus


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    target, count = Path(sys.argv[1]), int(sys.argv[2])
    generate(target, count)
    print(f"wrote {count} issues to {target}/issues")

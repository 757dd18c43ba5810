"""A generated Russian archive for the search tests: 60 issues over the sample's three series.

Most issues are filler (sentences from a neutral vocabulary, seeded); a few carry planted
words whose answers the tests know: word forms that must match each other (конверсия /
конверсии / конверсию, клиентская / клиентской / клиентскую) and words that merely share a
prefix with a query and must not match (стандарт and статус for "стать"). Tags and series
are spread so the filters have something to separate.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERIES = ("azbuka-prodazhnogo-menedzhera", "upravlyay-ka", "akademiya-biznes-trenerov")
#: words with no stem in common with any planted word (checked by the tests' own asserts)
_FILLER = (
    "Руководитель отдела продаж отвечает за план и за людей.",
    "Хороший менеджер умеет слушать клиента и задавать вопросы.",
    "Переговоры начинаются задолго до встречи.",
    "Мотивация команды держится на понятных целях.",
    "Наставник помогает новичку пройти первые недели.",
    "Отчеты показывают, где теряются сделки.",
    "Тренинг полезен, если после него меняется работа.",
    "Делегирование требует доверия и контроля.",
    "Маржа важнее оборота, когда денег мало.",
    "Сервис после продажи приносит повторные заказы.",
)
_TAGS = ("Продажи", "управление", "Мотивация", "переговоры", "Наставничество")


@dataclass(frozen=True)
class Planted:
    slug: str
    title: str
    body: str
    series: str = "upravlyay-ka"
    tags: tuple[str, ...] = ()


PLANTED = (
    Planted("konversiya-voronki", "Конверсия воронки продаж",
            "Сегодня о том, как считать воронку.", tags=("Воронка",)),
    Planted("otchet-po-etapam", "Отчет по этапам",
            "На втором этапе конверсии обычно падают вдвое.", series="azbuka-prodazhnogo-menedzhera",
            tags=("воронка", "Продажи")),
    Planted("kak-podnyat", "Как поднять показатели",
            "Мы смотрим на конверсию каждую неделю.", tags=("продажи",)),
    Planted("baza-klientov", "Чья это база",
            "Клиентская база принадлежит компании.", series="akademiya-biznes-trenerov",
            tags=("клиентская база",)),
    Planted("uhod-menedzhera", "Уход менеджера",
            "Менеджер уходит вместе с клиентской базой.", tags=("Клиентская  база",)),
    Planted("kontrol-bazy", "Контроль базы",
            "Храните клиентскую базу в системе, а не в блокноте."),
    Planted("standart-kachestva", "Порядок работы",
            "Единый стандарт обслуживания помогает новичкам."),
    Planted("status-zakaza", "Заказ в работе",
            "Статус заказа виден всем участникам."),
    Planted("stat-luchshe", "Как расти",
            "Каждый может стать лучше, если захочет.", series="akademiya-biznes-trenerov"),
    Planted("yolka", "Праздник в офисе",
            "Ёлка стоит в переговорной.", tags=("Ёлки",)),
)
COUNT = 60


def generate(root: Path, *, count: int = COUNT, seed: int = 13) -> Path:
    """A newsletter folder at ``root`` with ``count`` published issues; returns ``root``."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "newsletter.yaml", root / "newsletter.yaml")
    issues = root / "issues"
    issues.mkdir(exist_ok=True)
    numbers = dict.fromkeys(SERIES, 0)
    start = dt.date(2025, 1, 6)
    for index in range(count):
        if index < len(PLANTED):
            planted = PLANTED[index]
        else:
            planted = Planted(f"vypusk-{index}", f"Заметки руководителя {index}", "",
                              series=SERIES[index % 3],
                              tags=tuple(rng.sample(_TAGS, 2)))
        numbers[planted.series] += 1
        body = " ".join(rng.sample(_FILLER, 4))
        text = "\n\n".join(p for p in (planted.body, body, " ".join(rng.sample(_FILLER, 3))) if p)
        tags = ", ".join(f'"{t}"' for t in planted.tags)
        (issues / f"{planted.series}-{numbers[planted.series]:03d}-{planted.slug}.md").write_text(
            f'---\ntitle: "{planted.title}"\ndate: {start + dt.timedelta(days=7 * index)}\n'
            f"series: {planted.series}\nnumber: {numbers[planted.series]}\n"
            f"slug: {planted.slug}\npreheader: \"Выпуск о работе руководителя и его команды, "
            f"номер {index}.\"\nstatus: published\ntags: [{tags}]\n---\n"
            f"Здравствуйте!\n\n{text}\n", encoding="utf-8")
    return root

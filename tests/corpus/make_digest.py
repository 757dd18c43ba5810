"""Writes the corpus's near-102 KB digest (Gmail clips at 102 KB): sections of text, lists,
links, tables and quotes, as many as keep the email's HTML under ``TARGET_KB``.

The output file is committed; rerun after changing the templates if the size drifts:
``.venv/bin/python tests/corpus/make_digest.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from publisher.config import load_project  # noqa: E402
from publisher.pipeline import prepare  # noqa: E402

TARGET_KB = 99
PATH = HERE / "ru" / "issues" / "digest-010-bolshoy-daydzhest.md"
FRONT = """---
title: "Большой дайджест: всё за квартал"
date: 2026-12-03
series: digest
number: 10
preheader: "Квартал в одном письме: новости, таблицы, ссылки и цитаты — почти 102 КБ."
---
Здравствуйте! В этом выпуске — всё, что мы писали за квартал.
"""
TOPICS = ["Продажи", "Переговоры", "Мотивация", "Найм", "Обучение", "Аналитика", "Маркетинг",
          "Сервис"]


def section(n: int) -> str:
    topic = TOPICS[n % len(TOPICS)]
    parts = [f"\n## {n}. {topic}: заметка номер {n}\n",
             f"Руководитель отдела \"{topic.lower()}\" - это человек, который отвечает за "
             f"результат в 15-16 недель и 80 % плана. Подробнее: "
             f"https://corpus.example.org/digest/{n}/{topic.lower()}-notes-and-links-for-quarter\n",
             f"- первый вывод заметки {n};\n- второй вывод, с [ссылкой](https://corpus.example.org/"
             f"digest/{n}/more);\n- третий вывод.\n"]
    if n % 3 == 0:
        parts.append("| Показатель | Было | Стало | Изменение |\n|---|---:|---:|---:|\n"
                     f"| Звонки | {100 + n} | {120 + n} | +{20} |\n"
                     f"| Встречи | {30 + n} | {35 + n} | +5 |\n")
    if n % 4 == 0:
        parts.append(f"> Цитата недели {n}: «лучше меньше, да лучше».\n")
    return "\n".join(parts)


def main() -> None:
    project = load_project(HERE / "ru")
    count = 10
    while True:
        text = FRONT + "".join(section(n) for n in range(1, count + 1))
        PATH.write_text(text, encoding="utf-8")
        size = len(prepare(project, PATH).email.html.encode("utf-8")) / 1024
        if size > TARGET_KB:
            text = FRONT + "".join(section(n) for n in range(1, count))
            PATH.write_text(text, encoding="utf-8")
            break
        count += 1
    print(f"{PATH.name}: {count - 1} sections")


if __name__ == "__main__":
    main()

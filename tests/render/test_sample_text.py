"""The sample's plain-text part: written from the same source, readable in any mail client."""

from __future__ import annotations

import re

import lxml.html

from tests.fixtures_project import SEED
from tests.render.seed import normalise, parse_seed
from tests.render.test_sample_html import (CONVERSION_ITEMS, HEADERS, MEASURE_ITEMS, NEWSLETTERS,
                                           NUMBERED, PUBLISHER, text_of)


def test_every_sentence_of_the_seed_article_is_in_the_text(sample) -> None:  # type: ignore[no-untyped-def]
    seed = parse_seed(SEED, PUBLISHER)
    text = normalise(re.sub(r"\s\(https?://[^)\s]+\)", "", sample.email.text))  # link URLs out
    missing = [s for s in seed.sentences() if s not in text]
    assert missing == []


def test_every_table_cell_is_in_the_text(sample) -> None:  # type: ignore[no-untyped-def]
    doc = lxml.html.document_fromstring(sample.email.html)
    text = normalise(sample.email.text)
    cells = doc.xpath('//td[contains(@class, "content")]//table/tbody/tr/td')
    assert len(cells) == 15
    for cell in cells:
        if not cell.xpath(".//li"):
            assert text_of(cell) in text
    for header in HEADERS:
        assert f"{header}:" in text


def test_lists_in_cells_stay_lists(sample) -> None:  # type: ignore[no-untyped-def]
    lines = sample.email.text.splitlines()
    for items in MEASURE_ITEMS + CONVERSION_ITEMS:
        for item in items:
            matches = [line for line in lines if normalise(line) == normalise(f"• {item}")]
            assert matches, item
            assert all(line.startswith("    • ") for line in matches)  # indented under its cell


def test_each_table_row_is_a_readable_record(sample) -> None:  # type: ignore[no-untyped-def]
    text = sample.email.text
    record = text[text.index("Этап: 2"):text.index("Этап: 3")]
    assert normalise(record) == normalise(
        "Этап: 2 Суть деятельности: Обработка позитивных откликов и превращение их в покупателей "
        "Цель деятельности: Преимущественно, встречи с потенциальным клиентом "
        "Как измерять эффективность: • Количество совершенных продаж (в штуках) "
        "• Объем продаж (в деньгах) • Совокупная маржа (в деньгах) • И пр. "
        "Конвертация: • % контактов, превращенных в клиентов")


def test_numbered_items_keep_their_numbers(sample) -> None:  # type: ignore[no-untyped-def]
    text = sample.email.text
    numbered = re.findall(r"^(\d)\. (.+(?:\n   \S.*)*)", text, re.MULTILINE)
    assert [int(n) for n, _ in numbered] == [1, 2, 3, 4, 5, 6]
    assert [normalise(item) for _, item in numbered] == NUMBERED


def test_headline_is_underlined(sample) -> None:  # type: ignore[no-untyped-def]
    lines = sample.email.text.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("Требуется «продажный»"))
    assert set(lines[index + 1]) == {"-"}


def test_links_appear_as_urls(sample) -> None:  # type: ignore[no-untyped-def]
    text = normalise(sample.email.text)
    assert "выпусков >> (https://www.asconsult.ru/rassylki/upravlyay-ka/) мы начали" in text
    for title, url in NEWSLETTERS:
        assert f"{normalise(title)}: {url}" in text
    assert "Как пройти в библиотеку? https://www.asconsult.ru/library/" in text
    assert "https://www.asconsult.ru/rassylki/upravlyay-ka/kak-ne-stat-zhertvoy-vorov-2/" in text


def test_footer_facts_and_unsubscribe_link(sample) -> None:  # type: ignore[no-untyped-def]
    text = sample.email.text
    assert PUBLISHER in text
    assert "www.asconsult.ru" in text and "as-consult@yandex.ru" in text
    assert normalise("Вы получили это письмо, потому что подписаны на рассылку «Управляй-ка: e-тренинг "
            "ключевых навыков менеджера» на сайте www.asconsult.ru.") in normalise(text)
    assert text.rstrip().endswith("\nОтписаться от рассылки: *|UNSUBSCRIBE_URL|*")


def test_no_markup_leaks_into_the_text(sample) -> None:  # type: ignore[no-untyped-def]
    text = sample.email.text
    assert not re.search(r"</?[a-z][a-z0-9]*[ >/]", text)
    assert "&nbsp;" not in text and "&amp;" not in text and "&lt;" not in text


def test_text_lines_fit_a_plain_text_client(sample) -> None:  # type: ignore[no-untyped-def]
    long_lines = [line for line in sample.email.text.splitlines()
                  if len(line) > 72 and "http" not in line and line.count("-") < 60
                  and not line.startswith("Требуется")]
    assert long_lines == []


def test_soft_line_breaks_are_spaces_not_hard_breaks(sample) -> None:  # type: ignore[no-untyped-def]
    """The library text is written over several lines in YAML; the text part rewraps it."""
    text = sample.email.text
    block = text[text.index("Внимание!"):text.index("Как пройти в библиотеку?")]
    assert "Благодаря активности читателей рассылки, начала пополняться наша" in block

"""The sample issue's email HTML, parsed with lxml: structure, inlined styles, email-safe layout.

Expectations come from the seed (the email as it was really sent) and from the design card:
a 600 px presentation-table layout, hidden preheader, web-version link, footer facts, the list
of newsletters and the library block; the sales-stage table with real lists in two columns.
"""

from __future__ import annotations

import re

import lxml.html
import pytest
from lxml.html import HtmlElement

from tests.fixtures_project import SEED
from tests.render.seed import normalise, parse_seed

HEADERS = ["Этап", "Суть деятельности", "Цель деятельности", "Как измерять эффективность",
           "Конвертация"]
MEASURE_ITEMS = [
    ["Количество назначенных встреч (в штуках)",
     "% назначенных встреч от общего количества клиентов в списке;"],
    ["Количество совершенных продаж (в штуках)", "Объем продаж (в деньгах)",
     "Совокупная маржа (в деньгах)", "И пр."],
    ["Количество совершенных дополнительных продаж (в штуках)",
     "Объем дополнительных продаж (в деньгах)", "Совокупная маржа (в деньгах)", "И пр."],
]
CONVERSION_ITEMS = [
    ["% контактов, впоследствии превращенных в клиентов"],
    ["% контактов, превращенных в клиентов"],
    ["% клиентов, превращенных в постоянных"],
]
NUMBERED = [
    "Не позволяет продавцу быть единственным контактным лицом от своей компании для клиента",
    "Не дает продавцу всей полноты картины о том, как происходит общий цикл продаж в их компании",
    "Объем знаний, необходимый для выполнения каждого из этих этапов, более реален для освоения "
    "в сжатые сроки испытательного периода",
    "Эффективность каждого этапа может быть четко определена, по очень четким и недвусмысленным "
    "критериям",
    "Переход от каждого этапа к следующему очень понятен, и имеет свои нормативы отсева "
    "(% конвертации)",
    "И пр.",
]
NEWSLETTERS = [  # the seed's "Рассылки" list, as it shows them
    ("Азбука \"продажного\" менеджера: тренинг - своими силами!",
     "https://www.asconsult.ru/rassylki/azbuka-prodazhnogo-menedzhera/"),
    ("Управляй-ка: e-тренинг ключевых навыков менеджера",
     "https://www.asconsult.ru/rassylki/upravlyay-ka/"),
    ("Академия бизнес-тренеров: школа АСов тренерского мастерства",
     "https://www.asconsult.ru/rassylki/akademiya-biznes-trenerov/"),
]
ISSUE_URL = "https://www.asconsult.ru/rassylki/upravlyay-ka/kak-ne-stat-zhertvoy-vorov-2/"
PUBLISHER = "A.S.Consult: Александр Соломатин, Консультант"


def text_of(element: HtmlElement) -> str:
    """Visible text: the hidden stacking labels (span.cell-label) are left out."""
    copy = lxml.html.fromstring(lxml.html.tostring(element, encoding="unicode"))
    for label in copy.xpath('.//span[@class="cell-label"]'):
        label.drop_tree()
    return normalise(copy.text_content())


@pytest.fixture(scope="module")
def doc(sample) -> HtmlElement:  # type: ignore[no-untyped-def]
    return lxml.html.document_fromstring(sample.email.html)


@pytest.fixture(scope="module")
def table(doc: HtmlElement) -> HtmlElement:
    tables = doc.xpath('//td[contains(@class, "content")]//table')
    assert len(tables) == 1
    return tables[0]


def test_table_has_the_sample_header_and_three_rows_of_five_cells(table: HtmlElement) -> None:
    assert [text_of(th) for th in table.xpath("./thead/tr/th")] == HEADERS
    rows = table.xpath("./tbody/tr")
    assert len(rows) == 3
    assert [len(row.xpath("./td")) for row in rows] == [5, 5, 5]
    assert [text_of(row.xpath("./td")[0]) for row in rows] == ["1", "2", "3"]


def test_lists_are_exactly_in_the_measure_and_conversion_cells(table: HtmlElement) -> None:
    for row, measure, conversion in zip(table.xpath("./tbody/tr"), MEASURE_ITEMS,
                                        CONVERSION_ITEMS):
        cells = row.xpath("./td")
        with_lists = [HEADERS[i] for i, cell in enumerate(cells) if cell.xpath(".//ul")]
        assert with_lists == ["Как измерять эффективность", "Конвертация"]
        assert [text_of(li) for li in cells[3].xpath("./ul/li")] == measure
        assert [text_of(li) for li in cells[4].xpath("./ul/li")] == conversion
        assert len(cells[3].xpath(".//ul")) == len(cells[4].xpath(".//ul")) == 1


def test_text_cells_hold_the_seed_text(table: HtmlElement) -> None:
    first = [text_of(td) for td in table.xpath("./tbody/tr[1]/td")[:3]]
    assert first == ["1", "Выявление потенциально заинтересованных клиентов",
                     "Пассивный прием звонков и / или активный телефонный обзвон"]


def test_numbered_list_has_six_items_in_order(doc: HtmlElement) -> None:
    lists = doc.xpath('//td[contains(@class, "content")]//ol')
    assert len(lists) == 1
    assert [text_of(li) for li in lists[0].xpath("./li")] == NUMBERED
    assert lists[0].get("start") in (None, "1")


def test_styles_are_inlined_on_elements(doc: HtmlElement) -> None:
    content = doc.xpath('//td[contains(@class, "content")]')[0]
    for tag in ("td", "th", "p", "a", "li", "ul", "ol", "h2", "table"):
        elements = content.xpath(f".//{tag}")
        assert elements, tag
        unstyled = [lxml.html.tostring(e, encoding="unicode")[:80] for e in elements
                    if not e.get("style")]
        assert unstyled == [], tag
    # every link in the whole email carries its colour (clients drop <style> blocks)
    assert all("color:" in a.get("style", "") for a in doc.xpath("//a"))
    assert "font-family" in content.get("style")


def test_only_media_queries_stay_in_the_style_block(doc: HtmlElement) -> None:
    styles = doc.xpath("//head/style")
    assert len(styles) == 2  # @media rules; Outlook.com's dark-mode rules in a block of their own
    css = styles[0].text
    assert "@media only screen and (max-width: 620px)" in css
    assert "@media (prefers-color-scheme: dark)" in css
    # outside the @media blocks nothing is left: plain rules were inlined, then dropped
    top_level = re.sub(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", "", css)
    assert top_level.strip() == ""
    outlook = re.sub(r"\[data-og[sc][cb]\][^{]*\{[^}]*!important; \}", "", styles[1].text)
    assert "[data-ogsc]" in styles[1].text and "[data-ogsb]" in styles[1].text
    assert outlook.strip() == ""


def test_narrow_screens_stack_the_table(doc: HtmlElement, table: HtmlElement) -> None:
    css = doc.xpath("//head/style")[0].text
    narrow = css[css.index("@media only screen and (max-width: 620px)"):
                 css.index("@media (prefers-color-scheme: dark)")]
    assert re.search(r"table\.stackable td \{[^}]*display: block !important", narrow) or \
        re.search(r"table\.stackable[^{]*td \{\s*display: block !important", narrow)
    assert re.search(r"table\.stackable thead \{\s*display: none !important", narrow)
    assert re.search(r"\.cell-label \{\s*display: block !important", narrow)
    assert "stackable" in table.get("class").split()
    for row in table.xpath("./tbody/tr"):
        labels = [td.xpath('./span[@class="cell-label"]')[0].text for td in row.xpath("./td")]
        assert labels == HEADERS
        for td in row.xpath("./td"):  # hidden on desktop, shown by the media query
            assert "display:none" in td.xpath('./span[@class="cell-label"]')[0].get("style")


def test_layout_is_fluid_hybrid_up_to_600_wide(doc: HtmlElement) -> None:
    layout = doc.xpath('//table[not(ancestor::td[contains(@class, "content")])]')
    assert len(layout) >= 2
    assert all(t.get("role") == "presentation" for t in layout)
    container = doc.xpath('//table[contains(@class, "container")]')[0]
    # fluid: never wider than the screen, even where <style> is dropped (the style is inline)
    assert container.get("width") == "100%"
    style = container.get("style").replace(" ", "")
    assert "width:100%" in style and "max-width:600px" in style
    assert "table-layout:fixed" in style  # content cannot widen it


def test_head_has_lang_charset_and_viewport(doc: HtmlElement, sample) -> None:  # type: ignore[no-untyped-def]
    assert doc.get("lang") == "ru"
    assert doc.xpath('//head/meta[@charset="utf-8"]')
    viewport = doc.xpath('//head/meta[@name="viewport"]')[0].get("content")
    assert "width=device-width" in viewport
    assert sample.email.html.startswith("<!DOCTYPE html>")
    assert doc.xpath("//head/title")[0].text == sample.issue.title


def test_outlook_conditional_comments_are_kept(sample) -> None:  # type: ignore[no-untyped-def]
    html = sample.email.html
    assert html.count("<!--[if mso]>") >= 3
    # Outlook for Windows ignores max-width: a fixed 600 px ghost table holds it there
    assert '<!--[if mso]><table role="presentation" width="600"' in html
    assert "<!--[if mso]></td></tr></table><![endif]-->" in html


def test_hidden_preheader_comes_first_in_body(doc: HtmlElement, sample) -> None:  # type: ignore[no-untyped-def]
    body = doc.xpath("//body")[0]
    first = body[0]
    assert first.tag == "div" and "preheader" in first.get("class")
    style = first.get("style").replace(" ", "")
    assert "display:none" in style and "mso-hide:all" in style
    assert first.text_content().startswith(sample.issue.preheader)
    assert sample.issue.preheader.startswith("Как избежать ситуации")


def test_web_version_and_archive_links(doc: HtmlElement) -> None:
    web = [a for a in doc.xpath("//a") if a.text_content() == "Открыть в браузере"]
    assert len(web) == 1
    assert web[0].get("href").startswith(ISSUE_URL + "?utm_source=upravlyay-ka")


def test_footer_has_publisher_reason_and_unsubscribe(doc: HtmlElement) -> None:
    footer = doc.xpath('//td[contains(@class, "footer")]')[0]
    text = text_of(footer)
    assert normalise("Вы получили это письмо, потому что подписаны на рассылку "
                     "«Управляй-ка: e-тренинг ключевых навыков менеджера» на сайте "
                     "www.asconsult.ru.") in text
    assert PUBLISHER in text
    unsubscribe = [a for a in footer.xpath(".//a") if a.text_content() == "Отписаться от рассылки"]
    assert [a.get("href") for a in unsubscribe] == ["*|UNSUBSCRIBE_URL|*"]
    signature = doc.xpath('//td[contains(@class, "signature")]')[0]
    assert PUBLISHER in text_of(signature)
    assert [a.get("href").split("?")[0] for a in signature.xpath(".//a")] == \
        ["https://www.asconsult.ru/", "mailto:as-consult@yandex.ru"]


def test_list_of_three_newsletters_with_subscribe_links(doc: HtmlElement) -> None:
    block = doc.xpath('//td[contains(@class, "newsletters")]')[0]
    links = block.xpath(".//li/a")
    assert [(a.text_content(), a.get("href").split("?")[0]) for a in links] == NEWSLETTERS


def test_site_menu_as_in_the_seed(doc: HtmlElement) -> None:
    menu = doc.xpath('//td[contains(@class, "menu")]')[0]
    # each title's words are held together by no-break spaces (an item wraps as a whole)
    assert [a.text_content() for a in menu.xpath(".//a")] == [
        "Главная", "A.S.Consult", "Тренинги", "Академия\u00a0бизнес-тренеров", "E-learning",
        "Консалтинг", "Контакты"]


def test_business_library_block(doc: HtmlElement) -> None:
    block = doc.xpath('//td[contains(@class, "library")]')[0]
    seed = parse_seed(SEED, PUBLISHER)
    text = text_of(block)
    assert text.startswith("Внимание!")
    wanted = normalise(" ".join(seed.library).replace("<<", "«").replace(">>", "»"))
    assert wanted in text
    link = block.xpath(".//a")[-1]
    assert link.text_content() == "Как пройти в библиотеку?"
    assert link.get("href").startswith("https://www.asconsult.ru/library/")


def test_every_sentence_of_the_seed_article_is_in_the_html(doc: HtmlElement) -> None:
    seed = parse_seed(SEED, PUBLISHER)
    content = text_of(doc.xpath('//td[contains(@class, "content")]')[0])
    missing = [s for s in seed.sentences() if s not in content]
    assert missing == []
    assert len(seed.sentences()) >= 19


def test_the_table_holds_exactly_the_seed_table_words(table: HtmlElement) -> None:
    seed = parse_seed(SEED, PUBLISHER)
    cells = [text_of(th) for th in table.xpath("./thead/tr/th")]
    for row in table.xpath("./tbody/tr"):
        cells.extend(text_of(td) for td in row.xpath("./td"))
    assert " ".join(cells).split() == seed.table_words()


def test_numbered_list_is_the_seed_list(doc: HtmlElement) -> None:
    seed = parse_seed(SEED, PUBLISHER)
    items = doc.xpath('//td[contains(@class, "content")]//ol/li')
    assert [text_of(li) for li in items] == [normalise(i) for i in seed.numbered]


def test_nothing_is_invented_in_the_article(doc: HtmlElement) -> None:
    """Every paragraph of the body is a seed paragraph (the title is shown once, as in the seed)."""
    seed = parse_seed(SEED, PUBLISHER)
    content = doc.xpath('//td[contains(@class, "content")]')[0]
    paragraphs = [text_of(p) for p in content.xpath("./p | ./h1 | ./h2 | ./h3")]
    assert paragraphs == [normalise(p) for p in seed.paragraphs]

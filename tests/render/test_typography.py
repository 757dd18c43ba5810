"""Russian typography on for ``language: ru``, off for other languages; readable Latin slugs."""

from __future__ import annotations

import pytest

from publisher.config import load_project
from publisher.load import load_issue
from publisher.pipeline import prepare
from publisher.slug import slugify
from publisher.render.typography import RussianTypographer
from tests.fixtures_project import DEFAULT_ISSUE, issue_text

NBSP = "\u00a0"
BODY = ('Он сказал "привет" - и ушёл в лес... А потом "вернулся" к нам.\n\n'
        'It is a "test" - of a rule.\n')


def body_html(project, language: str) -> str:  # type: ignore[no-untyped-def]
    root = project({DEFAULT_ISSUE: issue_text(body=BODY)}, site={"language": language})
    prepared = prepare(load_project(root), root / DEFAULT_ISSUE)
    return prepared.body.html


def test_russian_typography_is_on_for_ru(project) -> None:  # type: ignore[no-untyped-def]
    html = body_html(project, "ru")
    assert (f"Он{NBSP}сказал «привет»{NBSP}— и{NBSP}ушёл в{NBSP}лес… А{NBSP}потом «вернулся» "
            f"к{NBSP}нам.") in html
    assert f"It{NBSP}is{NBSP}a{NBSP}«test»{NBSP}— of{NBSP}a{NBSP}rule." in html


def test_typography_is_off_for_en(project) -> None:  # type: ignore[no-untyped-def]
    html = body_html(project, "en")
    assert "It is a &quot;test&quot; - of a rule." in html or 'It is a "test" - of a rule.' in html
    assert NBSP not in html and "«" not in html and "—" not in html and "…" not in html


def test_typography_can_be_switched_off_in_config(project) -> None:  # type: ignore[no-untyped-def]
    root = project({DEFAULT_ISSUE: issue_text(body=BODY)}, email={"typography": False})
    html = prepare(load_project(root), root / DEFAULT_ISSUE).body.html
    assert "«" not in html and NBSP not in html


def test_sample_typography(sample) -> None:  # type: ignore[no-untyped-def]
    html = sample.body.html
    assert f"Сначала{NBSP}— небольшие анонсы." in html  # the author typed '-'
    assert "выпуске рассылки" in html.replace(NBSP, " ")
    assert f"в{NBSP}очередном" in html  # short preposition glued to the next word
    assert "Итак…" in html
    assert "«прихватив»" in html
    assert " — " not in html.replace(f"{NBSP}— ", "")  # every dash has a nbsp before it


def test_quotes_nest_and_pair_across_inline_markup() -> None:
    typographer = RussianTypographer()
    assert typographer('"Книга "Слово" вышла"') == "«Книга „Слово“ вышла»"
    typographer = RussianTypographer()
    pieces = [typographer('Читайте "'), typographer("ссылку"), typographer('" сегодня')]
    assert "".join(pieces) == "Читайте «ссылку» сегодня"


def test_dash_at_the_start_of_a_line_becomes_an_em_dash() -> None:
    assert RussianTypographer()("-- Да, это так") == "—\u00a0Да, это так"


def test_code_is_left_alone(project) -> None:  # type: ignore[no-untyped-def]
    root = project({DEFAULT_ISSUE: issue_text(body='Пример: `a - "b"` и всё.\n')})
    html = prepare(load_project(root), root / DEFAULT_ISSUE).body.html
    assert '<code>a - "b"</code>' in html


@pytest.mark.parametrize("title, slug", [
    ("Требуется «продажный» менеджер со своей клиентской базой",
     "trebuetsya-prodazhnyy-menedzher-so-svoey-klientskoy-bazoy"),
    ("Ёлки-палки, щука и хрен!", "elki-palki-shchuka-i-khren"),
    ("Управляй-ка: e-тренинг", "upravlyay-ka-e-trening"),
    ("Café déjà vu 2025", "cafe-deja-vu-2025"),
    ("«»—…", "issue"),
])
def test_transliterated_slugs(title: str, slug: str) -> None:
    assert slugify(title) == slug


def test_long_slugs_are_cut_at_a_word_boundary() -> None:
    slug = slugify("Очень длинный заголовок выпуска " * 6)
    assert len(slug) <= 80 and not slug.endswith("-")
    assert slug.startswith("ochen-dlinnyy-zagolovok-vypuska-")


def test_issue_without_slug_gets_one_from_its_title(project) -> None:  # type: ignore[no-untyped-def]
    root = project({DEFAULT_ISSUE: issue_text(title="Щедрый вечер: «Хрущёвка»")})
    issue = load_issue(root / DEFAULT_ISSUE, load_project(root))
    assert issue.slug == "shchedryy-vecher-khrushchevka"


def test_typography_default_follows_the_language(settings) -> None:  # type: ignore[no-untyped-def]
    assert settings().typography is True
    assert settings(site={"language": "ru-RU"}).typography is True
    assert settings(site={"language": "en"}).typography is False
    assert settings(site={"language": "en"}, email={"typography": True}).typography is True

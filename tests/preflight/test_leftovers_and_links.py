"""Preflight without the network: leftovers and links into the archive, as path:line
warnings, all at once; ``--strict`` makes them fail the check; send shows them first."""

from __future__ import annotations

from pathlib import Path

from publisher.check import check_project
from publisher.config import load_project
from tests.fixtures_project import DEFAULT_ISSUE, issue_text
from tests.sending.util import invoke

BASE = "https://news.example.org/archive/"
FILE = "issues/news-001-hello.md"
BODY_LINE = 8  # issue_text's front matter is lines 1-7


def warnings_of(root: Path) -> list[str]:
    return [str(p) for p in check_project(load_project(root)).warnings]


def at(offset: int) -> str:
    return f"{FILE}:{BODY_LINE + offset}: "


def test_leftovers_are_reported_at_their_lines(project) -> None:  # type: ignore[no-untyped-def]
    body = ("Первый абзац, который не повторяет прехедер.\n\n"   # +0
            "Тут будет цифра TK, а TODO: дописать.\n\n"           # +2
            "Lorem ipsum dolor sit amet.\n\n"                    # +4
            "Пустые ссылки: [](https://x.org/) и [текст]().\n\n"  # +6
            "Привет, {{ name }}!\n\n"                            # +8
            "XXX\n\n"                                            # +10
            "```\nTODO in code is fine {{ x }}\n```\n\n"        # +12..14
            "Код `TODO {{ y }}` тоже. Слово todo и ТК (кодекс) не метки.\n")  # +16
    root = project({DEFAULT_ISSUE: issue_text(body=body)})
    warnings = warnings_of(root)
    expected = [at(2) + "leftover 'TK'", at(2) + "leftover 'TODO'",
                at(4) + "leftover 'Lorem ipsum'", at(6) + "empty link text '[](https://x.org/)'",
                at(6) + "link without a URL '[текст]()'", at(8) + "unreplaced placeholder "
                "'{{ name }}'", at(10) + "leftover 'XXX'"]
    for start in expected:
        assert any(w.startswith(start) for w in warnings), (start, warnings)
    assert not any(f":{BODY_LINE + n}:" in w for n in (12, 13, 14, 16) for w in warnings), \
        warnings


def test_subject_and_preheader(project) -> None:  # type: ignore[no-untyped-def]
    long_title = "Очень длинная тема письма, которую почтовые программы обрежут задолго до конца строки"
    root = project({DEFAULT_ISSUE: issue_text(
        title=long_title, preheader="Как избежать ухода клиентов вместе с менеджером по продажам",
        body="Как избежать ухода клиентов вместе с менеджером по продажам? Рассказываем.\n")})
    warnings = warnings_of(root)
    assert f"{FILE}:2: subject has {len(long_title)} characters" in "\n".join(warnings)
    assert any(w.startswith(f"{FILE}:6: 'preheader' repeats the first line") for w in warnings)
    missing = project({DEFAULT_ISSUE: issue_text(preheader=None)})
    assert any("no 'preheader'" in w for w in warnings_of(missing))


def test_links_into_the_archive_must_resolve(project, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    body = (f"[Прошлый выпуск]({BASE}news/old-one/) и [серия]({BASE}notes/).\n\n"  # +0 ok
            f"[Нет такого]({BASE}news/no-such-issue/)\n\n"                      # +2
            f"[Черновик]({BASE}news/draft-one/)\n\n"                            # +4
            f"[Файл]({BASE}assets/files/guide.pdf) и [нет файла]({BASE}assets/nope.pdf)\n\n"  # +6
            "[Относительная](../../notes/) и [битая относительная](../nowhere/)\n\n"  # +8
            f"[Лента]({BASE}feed.xml), [поиск]({BASE}search/), [внешняя](https://example.com/x),"
            " [почта](mailto:a@b.ru), [якорь](#x)\n")                          # +10 ok
    root = project({
        DEFAULT_ISSUE: issue_text(body=body),
        "issues/news-002-old.md": issue_text(title="Старый", slug="old-one", number=2),
        "issues/news-003-draft.md": issue_text(title="Черновик", slug="draft-one", number=3,
                                               status="draft"),
        "issues/files/guide.pdf": b"%PDF-1.4",
    })
    warnings = [w for w in warnings_of(root) if w.startswith(f"{FILE}:")]
    expected = {
        at(2) + f"link {BASE}news/no-such-issue/: the archive will have no such page",
        at(4) + f"link {BASE}news/draft-one/: that issue is a draft: the archive leaves it out",
        at(6) + f"link {BASE}assets/nope.pdf: no file issues/nope.pdf to publish as an asset",
        at(8) + f"relative link ../../notes/ works on the archive page but leads nowhere in an "
                f"email: write {BASE}notes/",
        at(8) + f"link ../nowhere/ (= {BASE}news/nowhere/): the archive will have no such page",
    }
    assert expected <= set(warnings), "\n".join(warnings)
    assert not any(f":{BODY_LINE}:" in w or f":{BODY_LINE + 10}:" in w for w in warnings), \
        warnings


def test_strict_check_fails_on_preflight_warnings_and_send_shows_them(project) -> None:  # type: ignore[no-untyped-def]
    from tests.sending.util import files, esp_for

    root = project({**files(), DEFAULT_ISSUE: issue_text(slug="hello", body="Абзац TODO.\n")},
                   esp=esp_for("outbox"))
    assert invoke(root, "check").exit_code == 0
    strict = invoke(root, "check", "--strict")
    # (slug: one more front-matter line)
    assert strict.exit_code == 1 and f"Warning: {at(1)}leftover 'TODO'" in strict.output
    sent = invoke(root, "send", "hello", "--yes")
    assert sent.exit_code == 0, sent.output
    assert f"Note: preflight: {at(1)}leftover 'TODO'" in sent.output

"""The word tables: every built-in language says every word, and a missing one falls back to
English word by word (a new language can be added a table at a time)."""

from __future__ import annotations

import pytest

from publisher.i18n import REPORT_STRINGS, STRINGS, report_strings, strings


@pytest.mark.parametrize("table", [STRINGS, REPORT_STRINGS], ids=["pages", "report"])
def test_every_language_has_every_word(table: dict[str, dict[str, str]]) -> None:
    for language, words in table.items():
        assert set(words) == set(table["en"]), language
        assert all(isinstance(v, str) for v in words.values()), language


def test_a_partial_or_unknown_language_falls_back_word_by_word(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(REPORT_STRINGS, "de", {"title": "Statistik"})
    words = report_strings("de-AT")
    assert words.title == "Statistik" and words.opens == REPORT_STRINGS["en"]["opens"]
    assert report_strings("ru").title == "Статистика рассылок"
    assert strings("fi").search == STRINGS["en"]["search"]
    with pytest.raises(AttributeError):
        _ = words.no_such_word

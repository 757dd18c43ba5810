"""Words readers see, in the newsletter's language (``site.language``), and the words of the
author's statistics report.

Templates never hard-code interface words; they use ``t.key``. Russian and English are
built in; another language falls back to English until its table is added here.
"""

from __future__ import annotations

import datetime as dt

STRINGS: dict[str, dict[str, str]] = {
    "ru": {
        "all_issues": "Все выпуски",
        "web_version": "Открыть в браузере",
        "unsubscribe": "Отписаться от рассылки",
        "subscribe": "Подписаться",
        "newsletters": "Рассылки",
        "issue_number": "Выпуск №\u00a0",  # № is followed by a non-breaking space
        "lesson_number": "Урок",
        "previous": "Предыдущий выпуск",
        "next": "Следующий выпуск",
        "reason_prefix": "",
        "contents": "Содержание",
        "search": "Поиск",
        "search_placeholder": "Слово из текста выпуска",
        "search_nothing": "Ничего не найдено",
        "skip_to_content": "Перейти к содержанию",
        "menu": "Меню",
        "page_not_found": "Страница не найдена",
        "back_home": "На главную",
        "page": "Страница",
        "newer": "Новее",
        "older": "Старше",
        "feed": "Лента (Atom)",
        "course": "Курс",
        "lessons": "Уроки",
        "issues": "Выпуски",
        "search_found": "Найдено выпусков:",
        "search_needs_js": "Поиск работает в браузере с включённым JavaScript.",
        "redirect": "Выпуск переехал по новому адресу",
        "tags": "Темы",
        "tag": "Тема",
        "no_tags": "У выпусков пока нет тем.",
        "search_in_tag": "Искать среди выпусков на эту тему",
        "search_series": "Рассылка",
        "search_tag": "Тема",
        "search_any": "Все",
        "search_more": "Показать ещё",
        "search_filters": "Уточнить",
    },
    "en": {
        "all_issues": "All issues",
        "web_version": "View in browser",
        "unsubscribe": "Unsubscribe",
        "subscribe": "Subscribe",
        "newsletters": "Newsletters",
        "issue_number": "Issue #",
        "lesson_number": "Lesson",
        "previous": "Previous issue",
        "next": "Next issue",
        "reason_prefix": "",
        "contents": "Contents",
        "search": "Search",
        "search_placeholder": "A word from an issue",
        "search_nothing": "Nothing found",
        "skip_to_content": "Skip to content",
        "menu": "Menu",
        "page_not_found": "Page not found",
        "back_home": "Home",
        "page": "Page",
        "newer": "Newer",
        "older": "Older",
        "feed": "Feed (Atom)",
        "course": "Course",
        "lessons": "Lessons",
        "issues": "Issues",
        "search_found": "Issues found:",
        "search_needs_js": "Search needs JavaScript in your browser.",
        "redirect": "This issue has moved to a new address",
        "tags": "Topics",
        "tag": "Topic",
        "no_tags": "No issue has topics yet.",
        "search_in_tag": "Search the issues on this topic",
        "search_series": "Newsletter",
        "search_tag": "Topic",
        "search_any": "All",
        "search_more": "Show more",
        "search_filters": "Narrow down",
    },
}

#: the author's statistics report (``publisher stats``: _report/, never published)
REPORT_STRINGS: dict[str, dict[str, str]] = {
    "ru": {"title": "Статистика рассылок", "rates": "Открытия и клики по времени",
           "open": "открытия, % доставленных", "click": "клики, % доставленных",
           "best": "Лучшие выпуски (по открытиям)", "worst": "Слабые выпуски (по открытиям)",
           "funnels": "Воронка каждого выпуска", "table": "Все отправки",
           "csv": "Скачать таблицу (CSV)", "ledger": "Отправки через SMTP и outbox",
           "ledger_note": "Открытия и клики здесь неизвестны; числа из журнала отправок.",
           "links": "Самые кликабельные ссылки", "links_note": "Клики по ссылкам не "
           "получены: Sendsay не ответил на запрос области click.* (её поля в описании API "
           "не документированы).", "link": "ссылка", "links_csv": "ссылки (CSV)",
           "top_links": "Ссылки выпуска", "none": "Пока нет данных.",
           "recipients": "получатели", "delivered": "доставлено", "bounced": "отказы",
           "deferred": "отложено", "opens": "открыли", "clicks": "кликнули",
           "unsubscribes": "отписки", "issue": "выпуск", "date": "дата", "backend": "канал",
           "sent": "отправлено", "refused": "отклонено", "generated": "Сформировано"},
    "en": {"title": "Newsletter statistics", "rates": "Opens and clicks over time",
           "open": "opens, % of delivered", "click": "clicks, % of delivered",
           "best": "Best issues (by opens)", "worst": "Weakest issues (by opens)",
           "funnels": "Funnel of each issue", "table": "All sends",
           "csv": "Download the table (CSV)", "ledger": "SMTP and outbox sends",
           "ledger_note": "Opens and clicks are not known here; numbers from the send ledger.",
           "links": "Most clicked links", "links_note": "No clicks per link: Sendsay did "
           "not answer the click.* query (the API description documents none of its "
           "fields).", "link": "link", "links_csv": "links (CSV)",
           "top_links": "Links of this issue", "none": "No data yet.",
           "recipients": "recipients", "delivered": "delivered", "bounced": "bounced",
           "deferred": "deferred", "opens": "opened", "clicks": "clicked",
           "unsubscribes": "unsubscribed", "issue": "issue", "date": "date",
           "backend": "channel", "sent": "sent", "refused": "refused",
           "generated": "Generated"},
}
_MONTHS = {
    "ru": ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
           "сентября", "октября", "ноября", "декабря"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}


class Strings(dict):
    """Attribute access for templates (``t.all_issues``); a missing key is an error."""

    def __getattr__(self, key: str) -> str:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(f"no interface string {key!r}") from None


def strings(language: str) -> Strings:
    return _merged(STRINGS, language)


def report_strings(language: str) -> Strings:
    """The statistics report's words: the same fallback to English, word by word."""
    return _merged(REPORT_STRINGS, language)


def _merged(table: dict[str, dict[str, str]], language: str) -> Strings:
    base = language.split("-")[0]
    return Strings({**table["en"], **table.get(base, {})})


def format_date(date: dt.date, language: str) -> str:
    """A date as readers write it: ``26 ноября 2026`` / ``26 November 2026``."""
    base = language.split("-")[0]
    months = _MONTHS.get(base, _MONTHS["en"])
    return f"{date.day}\u00a0{months[date.month - 1]} {date.year}"

"""Grouping links: tracking parameters and Sendsay's relink wrapper do not split one link."""

from __future__ import annotations

from publisher.stats.links import normalize_url, read_rows


def test_tracking_parameters_and_wrappers_are_removed() -> None:
    assert normalize_url("https://News.example.org/a?utm_source=x&amp;utm_medium=email&id=3#s") \
        == "https://news.example.org/a?id=3#s"
    wrapped = "https://sendsay.ru/go/?issue=1&url=https%3A%2F%2Fa.ru%2Fx%3Futm_campaign%3Dq%26b%3D1"
    assert normalize_url(wrapped) == "https://a.ru/x?b=1"
    assert normalize_url("https://a.ru/p?e=[% anketa.member.email %]&k=1&yclid=9") \
        == "https://a.ru/p?k=1"
    assert normalize_url("http://a.ru:80") == "http://a.ru/"
    assert normalize_url("https://a.ru/x?q=a+b") == "https://a.ru/x?q=a+b"  # untouched
    assert normalize_url("mailto:x@y") == "mailto:x@y"
    # a share link elsewhere that carries a url= is not a Sendsay wrapper
    assert normalize_url("https://vk.com/share.php?url=https%3A%2F%2Fa.ru") \
        == "https://vk.com/share.php?url=https%3A%2F%2Fa.ru"


def test_rows_are_read_liberally() -> None:
    rows = [["https://a.ru/?utm_source=1", "5", "2"], {"click.url": "https://a.ru/", "count(*)": 3},
            ["x"], None, ["https://b.ru", 1.0], ["https://c.ru", "n/a"]]
    assert [(r.url, r.clicks, r.unique) for r in read_rows(rows)] == [
        ("https://a.ru/", 8, 2), ("https://b.ru/", 1, None)]

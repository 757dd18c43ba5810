"""The ESP tag language publisher evaluates outside Sendsay: values, branches, functions,
errors with their place, and bounded work on hostile input."""

from __future__ import annotations

import time

import pytest

from publisher.render.esp_template import (MAX_NESTING, TemplateError, errors_in, parse,
                                           render, values_lookup, variables)
from publisher.render.merge_tags import TAG_RE, evaluate

GREETING = ("[% IF anketa.base.firstName %]Здравствуйте, [% anketa.base.firstName %]!"
            "[% ELSE %]Здравствуйте![% END %]")


def run(text: str, html: bool = False, **values: str) -> str:
    names = {key.replace("__", "."): value for key, value in values.items()}
    return render(parse(text, html=html), values_lookup(names), html=html)


def test_if_else_takes_the_branch_the_values_decide() -> None:
    assert run(GREETING, anketa__base__firstName="Анна") == "Здравствуйте, Анна!"
    assert run(GREETING) == "Здравствуйте!"
    assert run(GREETING, anketa__base__firstName="") == "Здравствуйте!"


def test_elsif_unless_and_nesting() -> None:
    text = ("[% IF a == 'x' %]X[% ELSIF a == 'y' %]Y[% ELSE %]Z[% END %]"
            "[% UNLESS b %]-no b[% END %]"
            "[% IF a %]<[% IF b %]both[% ELSE %]a only[% END %]>[% END %]")
    assert run(text, a="x") == "X-no b<a only>"
    assert run(text, a="y", b="1") == "Y<both>"
    assert run(text) == "Z-no b"


def test_operators_and_fallbacks() -> None:
    assert run("[% a || 'друг' %]") == "друг"
    assert run("[% a || 'друг' %]", a="Анна") == "Анна"
    assert run("[% IF a AND NOT b %]1[% END %][% IF a && !b %]2[% END %]", a="1") == "12"
    assert run("[% IF (a OR b) AND c != 'no' %]ok[% END %]", b="1", c="yes") == "ok"
    assert run("[% IF n > 9 %]big[% ELSE %]small[% END %]", n="10") == "big"  # numeric
    assert run("[% IF n >= 2 AND n <= 3 %]in[% END %]", n="2.5") == "in"


def test_functions_in_both_forms() -> None:
    assert run("[% anketa.base.firstName | upper %]", anketa__base__firstName="анна") == "АННА"
    assert run("[% ucfirst(name) %]", name="анна") == "Анна"
    assert run("[% name | trim | ucfirst %]!", name="  вера ") == "Вера!"
    assert run("[% lower(upper(name)) %]", name="Иван") == "иван"
    assert run("[% name | uri %]", name="a b&c") == "a%20b%26c"
    assert run("[% lcfirst('ABC') %]") == "aBC"


def test_comments_and_whitespace_chomping() -> None:
    assert run("a [%# a note for editors %]b") == "a b"
    assert run("a\n  [%- IF x -%]\n  X\n  [%- END -%]\n  b", x="1") == "aXb"


def test_html_mode_escapes_values_and_reads_escaped_operators() -> None:
    # Markdown writes & and < of a tag as entities; the value is escaped for HTML
    html = '<p>[% IF a &amp;&amp; b &gt; 1 %]<a href="[% url %]">[% name %]</a>[% END %]</p>'
    out = run(html, html=True, a="1", b="2", url='https://x.org/?a=1&b="2"', name="<Анна>")
    assert out == ('<p><a href="https://x.org/?a=1&amp;b=&quot;2&quot;">&lt;Анна&gt;</a></p>')


def test_a_tag_alone_in_its_paragraph_leaves_no_empty_paragraph() -> None:
    html = ("<p>[% IF anketa.base.firstName %]</p>\n<p>Привет, [% anketa.base.firstName %]!"
            "</p>\n<p>[% ELSE %]</p>\n<p>Привет!</p>\n<p>[% END %]</p>\n<p>Дальше.</p>")
    assert run(html, html=True) == "\n<p>Привет!</p>\n\n<p>Дальше.</p>"
    named = run(html, html=True, anketa__base__firstName="Анна")
    assert named == "\n<p>Привет, Анна!</p>\n\n<p>Дальше.</p>"


def test_publisher_generic_tags_are_variables_of_the_same_language() -> None:
    text = "*|NAME|*, *|EMAIL|*, *|UNSUBSCRIBE_URL|*, *|CITY|*"
    out = run(text, anketa__base__firstName="Анна", anketa__member__email="a@x.ru",
              param__url_unsub="https://u/", city="Тверь")
    assert out == "Анна, a@x.ru, https://u/, Тверь"


def test_extra_fields_fill_anketa_variables_by_their_last_name() -> None:
    lookup = values_lookup({}, {"city": "Тверь", "lastname": "Иванова"})
    template = parse("[% anketa.base.city %] [% anketa.base.lastName %] [% anketa.x.none %]")
    assert render(template, lookup) == "Тверь Иванова "


@pytest.mark.parametrize("text, offset, message", [
    ("ok [% FOREACH x IN list %]", 3, "'FOREACH' is not supported"),
    ("[% SET a = 1 %]", 0, "'SET' is not supported"),
    ("[% a = 1 %]", 0, "compare with '=='"),
    ("x [% IF a %] never closed", 2, "IF without its END"),
    ("[% END %]", 0, "END without an IF"),
    ("[% IF a %][% ELSE %][% ELSE %][% END %]", 20, "ELSE after ELSE"),
    ("[% IF a %][% ELSE b %][% END %]", 10, "ELSE takes no condition"),
    ("[% shout(a) %]", 0, "unknown function 'shout'"),
    ("[% a | shout %]", 0, "unknown function 'shout'"),
    ("[% 'unclosed %]", 0, "closing quote"),
    ("[% %]", 0, "an empty tag"),
    ("[% (a %]", 0, "'(' without its ')'"),
    ("[% a b %]", 0, "unexpected 'b'"),
    ("text [% a", 5, "without its closing '%]'"),
    ("[% a ; b %]", 0, "unexpected ';'"),
])
def test_tags_outside_the_subset_are_errors_with_their_place(text: str, offset: int,
                                                             message: str) -> None:
    errors = errors_in(text)
    assert [e.offset for e in errors][:1] == [offset], errors
    assert message in errors[0].message
    with pytest.raises(TemplateError):
        parse(text)


def test_every_bad_tag_is_reported_at_once() -> None:
    errors = errors_in("[% FOREACH a %] ok [% b | nope %] [% END %]")
    assert [e.offset for e in errors] == [0, 19, 34]


def test_nesting_is_limited() -> None:
    deep = "[% IF a %]" * (MAX_NESTING + 1) + "x" + "[% END %]" * (MAX_NESTING + 1)
    assert any("nested more than" in e.message for e in errors_in(deep))
    assert "nested more than" in errors_in("[% " + "(" * 40 + "a" + ")" * 40 + " %]")[0].message
    assert "more than" in errors_in("[% " + " OR ".join(["a"] * 300) + " %]")[0].message


def test_variables_lists_what_a_template_reads() -> None:
    assert variables(parse(GREETING + "[% upper(x) || y %]")) == [
        "anketa.base.firstName", "x", "y"]


def test_hostile_input_is_linear() -> None:
    """Unclosed tags, tags everywhere, long chains: each ~200 KB, all in well under a second
    together (the regex this replaced scanned to the end of the text for every '[%')."""
    inputs = ["[% " * 70_000, "[% a %]" * 30_000, "[%" + "(" * 100_000,
              "*|" * 100_000, "[% IF a %]" * 20_000, "[% x" * 50_000 + "%]"]
    started = time.perf_counter()
    for text in inputs:
        evaluate(text, values_lookup({}), html=True)
        errors_in(text)
        TAG_RE.findall(text)
    assert time.perf_counter() - started < 20  # a hang guard, not a benchmark

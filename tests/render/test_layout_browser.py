"""Every corpus issue and the sample, in headless Chromium, as subscribers' clients show them.

For each: no horizontal overflow at 320, 375, 600 and 800 px, with the ``<style>`` blocks and
without them (Gmail app with a non-Google account, some Yandex/Mail.ru views keep inline
styles only); the container never wider than 600 px and nothing sticking out of it; and the
contrast of every visible text node at least 4.5:1 (WCAG AA) in dark mode
(``prefers-color-scheme: dark`` emulated) and in light mode, from the rendered colours.
"""

from __future__ import annotations

import pytest

from tests.render import layout_probe as probe
from tests.render.corpus import issue_paths, name_of, render

WIDTHS = (320, 375, 600, 800)
PATHS = issue_paths()


def test_corpus_is_large_and_varied() -> None:
    names = [name_of(p) for p in PATHS]
    assert len(names) >= 13, names  # twelve of our own, and the sample
    assert any(n.startswith("en/") for n in names)


@pytest.mark.parametrize("path", PATHS, ids=name_of)
@pytest.mark.parametrize("styles", ["with-style", "no-style"])
def test_never_wider_than_the_screen_or_600(page, path, styles: str) -> None:  # type: ignore[no-untyped-def]
    rendered = render(path)
    html = rendered.html if styles == "with-style" else probe.without_style(rendered.html)
    probe.serve_assets(page, rendered.assets_url, rendered.project.issues_dir)
    problems = []
    for width in WIDTHS:
        probe.load(page, html, width=width)
        m = probe.measure(page)
        if m["scroll"] > width:
            problems.append(f"{width} px: the email scrolls sideways to {m['scroll']} px")
        if m["container"] > 600 or m["container"] > width:
            problems.append(f"{width} px: the container is {m['container']} px wide")
        if m["outside"]:
            problems.append(f"{width} px: sticks out of the container: {m['outside']}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", PATHS, ids=name_of)
@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_every_text_has_aa_contrast(page, path, scheme: str) -> None:  # type: ignore[no-untyped-def]
    rendered = render(path)
    probe.serve_assets(page, rendered.assets_url, rendered.project.issues_dir)
    problems = []
    for width in (375, 800):  # phone (stacked tables, labels shown) and desktop
        probe.load(page, rendered.html, width=width, dark=scheme == "dark")
        problems += [f"{width} px: {r}" for r in probe.low_contrast(page)]
    assert not problems, "\n".join(problems[:20])

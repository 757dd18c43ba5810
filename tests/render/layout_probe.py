"""Measuring a rendered email in headless Chromium: overflow, container width, contrast.

Shared by tests/render/test_layout_browser.py and scripts/email_screenshots.py. An email is
loaded with ``page.set_content``; every request it makes is answered from the issue's own
folder (images under the archive's assets URL) or refused, so nothing leaves the machine.
``without_style`` gives the email as a client that drops ``<style>`` sees it.
"""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path
from urllib.parse import unquote

_STYLE = re.compile(r"<style\b[^>]*>.*?</style>", re.DOTALL | re.IGNORECASE)

# Geometry: how far the document scrolls sideways, the container's width, and any element
# of the content that sticks out of the container.
MEASURE = """() => {
  const root = document.documentElement;
  const container = document.querySelector('.container');
  const box = container.getBoundingClientRect();
  const outside = [];
  for (const el of container.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.right > box.right + 0.5 || r.left < box.left - 0.5) {
      outside.push(el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') +
                   ' ' + Math.round(r.left) + '..' + Math.round(r.right));
    }
  }
  return {scroll: root.scrollWidth, viewport: innerWidth, container: box.width,
          outside: outside.slice(0, 5)};
}"""

# Contrast: for every visible text node, its colour over the first opaque background up its
# ancestors (alpha composited), as WCAG 2.x relative luminance ratios.
CONTRAST = """() => {
  const parse = c => { const m = c.match(/[\\d.]+/g).map(Number);
                       return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1]; };
  const over = (top, bottom) => [0, 1, 2].map(i => top[i] * top[3] + bottom[i] * (1 - top[3]))
                                          .concat([1]);
  const lin = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  const lum = c => 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
  const ratio = (a, b) => { const x = lum(a), y = lum(b);
                            return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const canvas = parse(getComputedStyle(document.documentElement).backgroundColor);
  const background = el => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let result = canvas[3] > 0 ? canvas : (matchMedia('(prefers-color-scheme: dark)').matches
                                           ? [18, 18, 18, 1] : [255, 255, 255, 1]);
    for (const layer of layers.reverse()) result = over(layer, result);
    return result;
  };
  const visible = el => {
    if (!el.getClientRects().length) return false;
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.visibility === 'hidden' || s.display === 'none' || Number(s.opacity) === 0) return false;
    }
    return true;
  };
  const results = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.replace(/[\\s\\u034f\\u200c\\u2800]+/g, '');
    if (!text) continue;
    const el = node.parentElement;
    if (!visible(el)) continue;
    const bg = background(el);
    const fg = over(parse(getComputedStyle(el).color), bg);
    results.push({text: text.slice(0, 40), tag: el.tagName.toLowerCase(),
                  cls: el.className || (el.parentElement && el.parentElement.className) || '',
                  ratio: Math.round(ratio(fg, bg) * 100) / 100,
                  fg: getComputedStyle(el).color, bg: 'rgb(' + bg.slice(0, 3).map(Math.round) + ')'});
  }
  return results;
}"""


def without_style(html: str) -> str:
    """The email as a client that drops ``<style>`` shows it: inline styles only."""
    return _STYLE.sub("", html)


def serve_assets(page, assets_url: str, folder: Path) -> None:  # type: ignore[no-untyped-def]
    """Answer requests under ``assets_url`` from ``folder``; refuse every other request."""

    def handle(route) -> None:  # type: ignore[no-untyped-def]
        url = route.request.url
        if url.startswith(assets_url):
            path = folder / unquote(url[len(assets_url):].split("?")[0])
            if path.is_file():
                kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                route.fulfill(status=200, body=path.read_bytes(), content_type=kind)
                return
        route.abort()

    page.route("**/*", handle)


def load(page, html: str, *, width: int, dark: bool = False) -> None:  # type: ignore[no-untyped-def]
    page.emulate_media(color_scheme="dark" if dark else "light")
    page.set_viewport_size({"width": width, "height": 900})
    page.set_content(html, wait_until="load")


def measure(page) -> dict:  # type: ignore[no-untyped-def]
    return page.evaluate(MEASURE)


def low_contrast(page, minimum: float = 4.5) -> list[dict]:  # type: ignore[no-untyped-def]
    return [r for r in page.evaluate(CONTRAST) if r["ratio"] < minimum]

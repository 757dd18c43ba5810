"""``site.safe_html: true``: issue bodies cleaned by nh3 for newsletters with guest authors.

By default the Markdown is trusted HTML: raw HTML from the author is a feature (a button, a
table Markdown cannot express), and it goes into the email and the archive as written. A
newsletter that publishes other people's text turns ``safe_html`` on, and the body HTML then
passes through nh3 (the Rust ``ammonia`` sanitiser, well kept and fast), allowing what
emails and archive pages use: text, lists, tables, images, links over http(s), mailto: and
tel:, and our own classes (stacked table labels). Scripts, styles, forms, iframes, event
handlers and other URL schemes are removed.
"""

from __future__ import annotations

from functools import lru_cache

_EXTRA_TAGS = {"span", "div", "table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption",
               "sup", "sub", "hr", "br", "img", "figure", "figcaption"}
_GENERIC_ATTRIBUTES = {"class", "title", "lang", "dir", "id"}
_URL_SCHEMES = {"http", "https", "mailto", "tel"}


@lru_cache(maxsize=1)
def _settings() -> dict:
    import nh3  # deferred: only newsletters that turn safe_html on pay for it

    attributes = {tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()}
    attributes["*"] = set(_GENERIC_ATTRIBUTES)
    attributes.setdefault("a", set()).update({"href", "title"})
    attributes.setdefault("img", set()).update({"src", "alt", "width", "height", "title"})
    return {"tags": set(nh3.ALLOWED_TAGS) | _EXTRA_TAGS, "attributes": attributes,
            "url_schemes": _URL_SCHEMES, "link_rel": "noopener"}


def sanitize_html(html: str) -> str:
    """``html`` with only the allowed tags, attributes and URL schemes left."""
    import nh3

    return nh3.clean(html, **_settings())

"""Stage 3: move CSS from ``<style>`` into ``style=""`` attributes, as email clients need.

All premailer options live here. Network is off (no remote stylesheets), links are left
alone (no base URL joining), classes are kept so the ``@media`` rules premailer leaves in a
``<style>`` block (mobile stacking, dark mode) still apply. ESP merge tags are shielded
from lxml's URL escaping (see :mod:`publisher.render.merge_tags`). cssutils' complaints about
email-specific CSS (``mso-*``) are routed to logging, never printed.
"""

from __future__ import annotations

import logging
from functools import lru_cache

from publisher.render.merge_tags import shield, unshield

log = logging.getLogger("publisher.render.inline")
_CSS_LOG = logging.getLogger("publisher.render.inline.css")
_CSS_LOG.setLevel(logging.CRITICAL)  # premailer sets the cssutils logger to this level


@lru_cache(maxsize=1)
def _premailer() -> type:
    """The Premailer class, with cssutils' logging set up once and its rule list cached.

    Premailer adds its ``cssutils_logging_handler`` to the cssutils logger on every
    construction, so passing one per call grew the handler list by one per email rendered.

    ``cache_css_parsing`` caches only cssutils' parse of a style sheet; premailer then still
    re-serialises every declaration of every rule through cssutils on each email (about two
    thirds of its time on our page). The sheet is the same for every email, so the finished
    rule list is cached too, keyed by the sheet's text and the options that shape it.
    """
    import cssutils
    from premailer import Premailer  # deferred: importing premailer/cssutils costs ~0.1 s

    cssutils.log.addHandler(logging.NullHandler())
    rules_cache: dict[tuple, tuple[list, list]] = {}

    class CachedRulesPremailer(Premailer):  # type: ignore[misc]
        def _parse_style_rules(self, css_body, ruleset_index):  # type: ignore[no-untyped-def]
            key = (css_body, ruleset_index, self.strip_important, self.exclude_pseudoclasses,
                   self.include_star_selectors, self.disable_validation)
            cached = rules_cache.get(key)
            if cached is None:
                if len(rules_cache) >= 16:  # a few templates per process; never unbounded
                    rules_cache.clear()
                cached = rules_cache[key] = super()._parse_style_rules(css_body, ruleset_index)
            rules, leftover = cached
            return list(rules), list(leftover)  # the caller extends and sorts its own lists

    return CachedRulesPremailer


def inline_css(html: str) -> str:
    """Inline the document's ``<style>`` CSS into its elements; ESP tags pass untouched.

    A ``<style data-premailer="ignore">`` block (the @media rules) is left as written.
    """
    shielded, tags = shield(html)
    inliner = _premailer()(
        shielded,
        allow_network=False,
        disable_link_rewrites=True,
        remove_classes=False,
        keep_style_tags=False,
        strip_important=False,
        disable_validation=True,
        cache_css_parsing=True,
        # premailer copies CSS heights into height="" attributes; `img { height: auto }` (for
        # scaling images on phones) would become the invalid height="auto" on every image
        disable_basic_attributes=["height"],
        cssutils_logging_level=logging.CRITICAL,
    )
    result = inliner.transform(pretty_print=False)
    return unshield(result, tags)

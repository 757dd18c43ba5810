"""Stage 3: move CSS from ``<style>`` into ``style=""`` attributes, as email clients need.

All premailer options live here. Network is off (no remote stylesheets), links are left
alone (no base URL joining), classes are kept so the ``@media`` rules premailer leaves in a
``<style>`` block (mobile stacking, dark mode) still apply. ESP merge tags are shielded
from lxml's URL escaping (see :mod:`publisher.merge_tags`). cssutils' complaints about
email-specific CSS (``mso-*``) are routed to logging, never printed.
"""

from __future__ import annotations

import logging

from publisher.merge_tags import shield, unshield

log = logging.getLogger("publisher.inline")
_CSS_LOG = logging.getLogger("publisher.inline.css")
_CSS_LOG.setLevel(logging.CRITICAL)  # premailer sets the cssutils logger to this level


def inline_css(html: str) -> str:
    """Inline the document's ``<style>`` CSS into its elements; ESP tags pass untouched."""
    from premailer import Premailer  # deferred: importing premailer/cssutils costs ~0.1 s

    shielded, tags = shield(html)
    inliner = Premailer(
        shielded,
        allow_network=False,
        disable_link_rewrites=True,
        remove_classes=False,
        keep_style_tags=False,
        strip_important=False,
        disable_validation=True,
        cache_css_parsing=True,
        cssutils_logging_handler=logging.NullHandler(),
        cssutils_logging_level=logging.CRITICAL,
    )
    result = inliner.transform(pretty_print=False)
    return unshield(result, tags)

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
    """The Premailer class, with cssutils' logging set up once.

    Premailer adds its ``cssutils_logging_handler`` to the cssutils logger on every
    construction, so passing one per call grew the handler list by one per email rendered.
    """
    import cssutils
    from premailer import Premailer  # deferred: importing premailer/cssutils costs ~0.1 s

    cssutils.log.addHandler(logging.NullHandler())
    return Premailer


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

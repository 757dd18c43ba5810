"""Stage 2, rendering: Markdown -> body -> email -> text -> message.

Modules, in the order an issue goes through them:

- ``markdown_ext`` / ``markdown_lint`` / ``typography``: the newsletter's Markdown syntax
  (lists in table cells, images, attributes), what Python-Markdown would drop silently, and
  the language's typography;
- ``body``: an issue's Markdown as body HTML and plain text (shared by email and archive);
- ``templates``: the Jinja environment and template errors at ``file:line``;
- ``email``: the email templates around the body, UTM tags, then ``inline`` (premailer);
- ``text``: the plain-text part, written from the document tree;
- ``merge_tags``: ESP personalisation tags (dialects, shielding during inlining);
- ``message``: the finished email as a MIME message (.eml).
"""

from publisher.render.body import RenderedBody, check_body, markdown_to_html, render_body
from publisher.render.email import common_context, render_email, typeset
from publisher.render.templates import environment, render_template, template_dirs

__all__ = ["RenderedBody", "render_body", "render_email", "markdown_to_html", "render_template",
           "environment", "common_context", "check_body", "typeset", "template_dirs"]

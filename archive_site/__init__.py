"""The web archive: every published issue of every newsletter as a static site.

``archive_site.build.build(project, out_dir)`` is the entry point; ``publisher build`` and
``publisher serve`` call it. Stages: collect.py (which issues, cheap change detection),
cache.py (render cache), pages.py (HTML pages), feed.py (Atom), search.py (static search
index), write.py (staging beside the site and the atomic swap).
"""

#: bumped when the builder's output changes in a way no template or config hash would show
BUILDER_VERSION = "1"

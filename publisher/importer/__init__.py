"""``publisher import``: old issues (Sendsay's archive, saved HTML pages) -> Markdown issues.

The stage, in the order a letter goes through it:

* :mod:`~publisher.importer.decode` — bytes -> text: the charset a page declares, else the
  one its bytes show (UTF-8, cp1251, koi8-r are all common in old Russian letters);
* :mod:`~publisher.importer.page` — the page's own facts: title, date, old URL, base URL;
* :mod:`~publisher.importer.oldhtml` — old HTML as it was written, made regular: Word's
  lists and junk, ``<font>`` headings, ``<br>`` soup, tracking pixels, hidden text;
* :mod:`~publisher.importer.chrome` — the ESP's and the newsletter's own chrome, found from
  what ``newsletter.yaml`` knows (menu, series, library, footer) plus layout heuristics and
  the author's ``importer:`` patterns, and removed: the templates add it back;
* :mod:`~publisher.importer.tables` — layout tables unwrapped, data tables kept;
* :mod:`~publisher.importer.tomarkdown` — the article as Markdown (markdownify, extended
  with pipe tables whose cells hold lists, nested lists Python-Markdown reads, Sendsay tags
  kept byte for byte);
* :mod:`~publisher.importer.convert` — the whole conversion of one letter;
* :mod:`~publisher.importer.catalogue` — which letters are already issues, numbers, file
  names, the record of what was written (so an edited file is never overwritten);
* :mod:`~publisher.importer.sources` — letters from Sendsay (``issue.list``/``issue.get``)
  and from HTML files.
"""

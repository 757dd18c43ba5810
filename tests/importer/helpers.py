"""Shared by the import tests: a copy of the sample newsletter, and what its pages say."""

from __future__ import annotations

import shutil
from pathlib import Path

import lxml.html
from click.testing import CliRunner, Result

from publisher.cli import cli
from tests.fixtures_project import ROOT
from tests.render.seed import normalise


def newsletter(tmp_path: Path, *, with_sample: bool = True) -> Path:
    """The repository's newsletter.yaml (A.S.Consult) in a fresh folder, sample issue too."""
    root = tmp_path / "newsletter"
    root.mkdir()
    shutil.copy(ROOT / "newsletter.yaml", root / "newsletter.yaml")
    (root / "issues").mkdir()
    if with_sample:
        for path in (ROOT / "issues").glob("*.md"):
            shutil.copy(path, root / "issues" / path.name)
    return root


def run(root: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["--project", str(root), *args], env=env)


def imported_files(root: Path) -> list[Path]:
    return sorted(p for p in (root / "issues").glob("*.md")
                  if "imported_from:" in p.read_text("utf-8"))


def body_of_page(html: str) -> lxml.html.HtmlElement:
    """The article of an archive issue page (its ``<main>`` or ``<article>``)."""
    doc = lxml.html.fromstring(html)
    for xpath in ("//article", "//main", "//body"):
        found = doc.xpath(xpath)
        if found:
            return found[0]
    return doc


def text(el: lxml.html.HtmlElement) -> str:
    return normalise(el.text_content())


def list_items(el: lxml.html.HtmlElement, *, in_tables: bool) -> list[tuple[str, int | None]]:
    """(text without nested lists, number or None) of every ``<li>``."""
    out = []
    for li in el.iter("li"):
        if (li.xpath("ancestor::table") != []) != in_tables:
            continue
        parent = li.getparent()
        number = None
        if parent.tag == "ol":
            start = int(parent.get("start") or 1)
            number = start + [c for c in parent if c.tag == "li"].index(li)
        own = (li.text or "") + "".join(
            lxml.html.tostring(c, encoding="unicode", method="text", with_tail=True)
            if c.tag not in ("ul", "ol") else (c.tail or "") for c in li)
        out.append((normalise(own), number))
    return out

"""Old URLs (``aliases:``) of imported issues: redirect pages under base_url, the rest listed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from archive_site.aliases import alias_path
from archive_site.build import build
from publisher.config import load_project
from tests.fixtures_project import issue_text, write_tree
from tests.importer.helpers import newsletter, run

BASE = "https://www.asconsult.ru/rassylki/"


@pytest.mark.parametrize(("alias", "path"), [
    ("https://www.asconsult.ru/rassylki/archive/2010/502.html", "archive/2010/502.html"),
    ("http://asconsult.ru/rassylki/archive/2010/502.html", "archive/2010/502.html"),
    ("/rassylki/old/upravlyay-ka/15/", "old/upravlyay-ka/15/index.html"),
    ("https://www.asconsult.ru/rassylki/vypusk-15", "vypusk-15/index.html"),
    ("https://www.asconsult.ru/rassylki/%D0%B2%D1%8B%D0%BF%D1%83%D1%81%D0%BA.html",
     "выпуск.html"),
    ("https://www.asconsult.ru/rassylki/", None),  # the site's own front page
    ("https://www.asconsult.ru/other/page.html", None),  # outside base_url
    ("http://subscribe.ru/archive/business.asconsult/200804/12.html", None),
    ("https://www.asconsult.ru/rassylki/archive.php?id=15", None),  # a query: not a file
    ("https://www.asconsult.ru/rassylki/a/../../etc/passwd", None),
    ("mailto:someone@example.org", None),
])
def test_alias_path(alias: str, path: str | None) -> None:
    assert alias_path(alias, BASE) == path


def test_build_writes_redirects_at_old_urls_and_lists_the_others(tmp_path: Path) -> None:
    root = newsletter(tmp_path, with_sample=False)
    aliases = ["https://www.asconsult.ru/rassylki/archive/2010/502.html",
               "/rassylki/old/upravlyay-ka/15/",
               "http://subscribe.ru/archive/business.asconsult/200804/12.html",
               "https://www.asconsult.ru/rassylki/upravlyay-ka/second/"]  # a real page
    write_tree(root, {
        "issues/a.md": issue_text(series="upravlyay-ka", number=1, slug="first",
                                  status="published", aliases=aliases,
                                  imported_from="sendsay:502"),
        "issues/b.md": issue_text(series="upravlyay-ka", number=2, slug="second",
                                  title="Второй", status="published"),
    })
    check = run(root, "check")
    assert check.exit_code == 0, check.output
    out = tmp_path / "site"
    build(load_project(root), out)

    for rel in ("archive/2010/502.html", "old/upravlyay-ka/15/index.html"):
        page = (out / rel).read_text("utf-8")
        target = re.search(r'url=([^"]+)"', page).group(1)
        assert ((out / rel).parent / target).resolve() == (out / "upravlyay-ka/first").resolve()
        assert f'href="{BASE}upravlyay-ka/first/"' in page  # canonical
    second = (out / "upravlyay-ka/second/index.html").read_text("utf-8")
    assert "Второй" in second  # the real page won over the alias
    assert "archive/2010/502.html" not in (out / "sitemap.xml").read_text("utf-8")
    listed = (root / ".publisher" / "redirects-elsewhere.tsv").read_text("utf-8")
    assert listed == ("http://subscribe.ru/archive/business.asconsult/200804/12.html\t"
                      f"{BASE}upravlyay-ka/first/\n")


def test_aliases_must_be_urls(tmp_path: Path) -> None:
    root = newsletter(tmp_path, with_sample=False)
    write_tree(root, {"issues/a.md": issue_text(series="upravlyay-ka", number=1,
                                                aliases=["старый адрес"])})
    result = run(root, "check")
    assert result.exit_code == 1
    assert "issues/a.md:7: 'aliases' must be a list of old URLs" in result.stderr

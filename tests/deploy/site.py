"""A small published newsletter for the deploy tests: five issues, an image, two series.

``SiteProject`` builds it with the real archive builder, edits it the way an author does
(a title, a removed issue), and runs ``publisher deploy`` in-process or as a subprocess (for
the crash hooks, which end the process).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from publisher.cli import cli
from publisher.deploy.manifest import scan
from tests.fixtures_project import config_data, issue_text, write_tree

ROOT = Path(__file__).resolve().parents[2]
# a 1x1 PNG: the image an issue shows, copied by the build to assets/
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d4944415478da63f8cfc0f01f0005000201a5dd8a3c"
                    "0000000049454e44ae426082")
TITLES = ["Первый выпуск", "Второй выпуск", "Третий выпуск", "Четвёртый выпуск",
          "Пятый выпуск"]


def issue(number: int, title: str | None = None, **fields: Any) -> str:
    body = f"Здравствуйте!\n\nТекст выпуска номер {number}.\n"
    if number == 2:
        body += "\n![График продаж](images/chart.png)\n"
    return issue_text(body, title=title or TITLES[number - 1], number=number,
                      slug=f"vypusk-{number}", date=f"2025-0{number}-10", status="published",
                      **fields)


class SiteProject:
    def __init__(self, root: Path, deploy: dict[str, Any]) -> None:
        self.root = root
        files: dict[str, Any] = {"newsletter.yaml": config_data(deploy=deploy),
                                 "issues/images/chart.png": PNG,
                                 "issues/news-001-hello.md": None}
        for n in range(1, 6):
            files[f"issues/news-{n:03d}.md"] = issue(n)
        root.mkdir(parents=True, exist_ok=True)
        write_tree(root, files)
        self.site = root / "_site"

    def build(self) -> dict[str, str]:
        """Build the site; its files and their hashes."""
        result = self.cli("build")
        assert result.exit_code == 0, result.output
        return {p: f.sha256 for p, f in scan(self.site).items()}

    def retitle(self, number: int, title: str) -> None:
        write_tree(self.root, {f"issues/news-{number:03d}.md": issue(number, title)})

    def remove(self, number: int) -> None:
        (self.root / f"issues/news-{number:03d}.md").unlink()

    def cli(self, *args: str, env: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(cli, ["--project", str(self.root), *args], env=env,
                                  obj={}, catch_exceptions=False)

    def subprocess(self, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "publisher", "--project", str(self.root),
                               *args], env={**os.environ, **env}, capture_output=True,
                              text=True, cwd=ROOT, timeout=300)

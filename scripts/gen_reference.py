"""Regenerate README.md's config and CLI reference from the code (the single source).

Run after adding a config key or a command: ``.venv/bin/python scripts/gen_reference.py``.
tests/test_docs.py fails when README is out of date.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from publisher.cli import cli  # noqa: E402
from publisher.config import Settings  # noqa: E402
from publisher.schema import documented_keys  # noqa: E402


def config_reference() -> str:
    rows = ["| key | meaning |", "|---|---|"]
    for key, text in documented_keys(Settings):
        escaped = text.replace("|", "\\|")
        rows.append(f"| `{key}` | {escaped} |")
    return "\n".join(rows)


def _commands(group: click.Group, prefix: str) -> list[tuple[str, click.Command]]:
    out = []
    with click.Context(group, info_name=prefix) as ctx:
        for name in group.list_commands(ctx):  # includes the lazily loaded ones
            command = group.get_command(ctx, name)
            if command is None:
                continue
            out.append((f"{prefix} {name}", command))
            if isinstance(command, click.Group):
                out.extend(_commands(command, f"{prefix} {name}"))
    return out


def cli_reference() -> str:
    parts = []
    with click.Context(cli, info_name="publisher", terminal_width=80, max_content_width=80) as root:
        parts.append("```\n" + cli.get_help(root).strip() + "\n```")
    for path, command in _commands(cli, "publisher"):
        with click.Context(command, info_name=path, terminal_width=80, max_content_width=80) as ctx:
            parts.append(f"### `{path}`\n\n```\n{command.get_help(ctx).strip()}\n```")
    return "\n\n".join(parts)


def render(readme: str) -> str:
    for marker, content in (("CONFIG-REFERENCE", config_reference()),
                            ("CLI-REFERENCE", cli_reference())):
        readme = re.sub(rf"(<!-- {marker}:START -->\n).*?(<!-- {marker}:END -->)",
                        lambda m, content=content: m.group(1) + content + "\n" + m.group(2),
                        readme,
                        flags=re.DOTALL)
    return readme


if __name__ == "__main__":
    path = ROOT / "README.md"
    path.write_text(render(path.read_text(encoding="utf-8")), encoding="utf-8")
    print("README.md reference sections regenerated")

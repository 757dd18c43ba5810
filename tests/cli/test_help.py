"""Every command explains itself with an example; every config key the sample uses is documented.

(The README's generated reference is checked by tests/test_docs.py.)
"""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from publisher.cli import cli
from publisher.config import Settings
from publisher.schema import documented_keys
from publisher.yamlfile import parse_yaml
from tests.fixtures_project import ROOT


def all_commands(group: click.Group = cli, prefix: str = "") -> list[tuple[str, click.Command]]:
    out = []
    with click.Context(group) as ctx:
        named = [(name, group.get_command(ctx, name)) for name in group.list_commands(ctx)]
    for name, command in named:  # list_commands includes commands loaded on demand
        assert command is not None, name
        out.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            out.extend(all_commands(command, f"{prefix}{name} "))
    return out


COMMANDS = all_commands()


def test_the_issue_two_commands_exist() -> None:
    names = {name for name, _ in COMMANDS}
    assert {"init", "new", "check", "render"} <= names


@pytest.mark.parametrize("name, command", COMMANDS, ids=[name for name, _ in COMMANDS])
def test_every_command_has_help_with_an_example(name: str, command: click.Command) -> None:
    assert (command.help or "").strip(), f"{name}: no help"
    assert command.get_short_help_str().strip()
    assert "Example" in command.help, f"{name}: the docstring has no 'Example'"
    result = CliRunner().invoke(cli, [*name.split(), "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.stdout
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert (param.help or "").strip(), f"{name} {param.opts[0]}: option has no help"


def test_every_config_key_has_a_doc() -> None:
    missing = [key for key, text in documented_keys(Settings) if not text.strip()]
    assert missing == []


def test_every_key_in_the_sample_config_is_a_documented_key() -> None:
    _, lines = parse_yaml((ROOT / "newsletter.yaml").read_text("utf-8"), "newsletter.yaml")
    documented = {key for key, _ in documented_keys(Settings)}
    used = set()
    for path in lines:
        key = path
        for index in range(10):  # series[1].slug -> series[].slug
            key = key.replace(f"[{index}]", "[]")
        if not key.endswith("]"):
            used.add(key)
    # a sub-menu's keys repeat the link's own (navigation[].children[].title)
    used = {k.replace("children[].", "") for k in used}
    assert used - documented == set()


def readme_cli_reference() -> str:
    readme = (ROOT / "README.md").read_text("utf-8")
    start, end = "<!-- CLI-REFERENCE:START -->", "<!-- CLI-REFERENCE:END -->"
    assert start in readme and end in readme, "README.md has no CLI reference section"
    return readme[readme.index(start):readme.index(end)]


TOP_LEVEL = sorted(name for name, _ in COMMANDS if " " not in name)


@pytest.mark.parametrize("name", TOP_LEVEL)
def test_every_command_is_in_the_readme_cli_reference(name: str) -> None:
    assert f"### `publisher {name}`" in readme_cli_reference(), \
        f"README.md's CLI reference lacks `publisher {name}`: run scripts/gen_reference.py"

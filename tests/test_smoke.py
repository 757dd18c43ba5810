"""The sample newsletter renders through the CLI (a first end-to-end guard)."""

from email import message_from_bytes, policy
from pathlib import Path

from click.testing import CliRunner

from publisher.cli import cli

ROOT = Path(__file__).resolve().parent.parent


def test_sample_renders_through_cli(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--project", str(ROOT), "render",
                                      "kak-ne-stat-zhertvoy-vorov-2", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    eml = message_from_bytes((tmp_path / "kak-ne-stat-zhertvoy-vorov-2.eml").read_bytes(),
                             policy=policy.default)
    assert eml["Subject"].startswith("Требуется «продажный» менеджер")
    assert eml.get_content_type() == "multipart/alternative"

"""README's config and CLI reference are generated from the code and must be current."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _generator():
    spec = importlib.util.spec_from_file_location("gen_reference",
                                                  ROOT / "scripts" / "gen_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_reference_is_current() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert _generator().render(readme) == readme, \
        "README.md is out of date: run .venv/bin/python scripts/gen_reference.py"


def test_every_config_key_documented() -> None:
    from publisher.config import Settings
    from publisher.schema import documented_keys

    missing = [key for key, text in documented_keys(Settings) if not text.strip()]
    assert missing == []

"""Configuration: every broken file gives one clear line naming the file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicrecords.config import load_config, parse_config
from civicrecords.errors import ConfigError

FIXTURES = Path(__file__).parent / "fixtures" / "config"


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.toml")), ids=lambda p: p.name)
def test_broken_config_names_file_line_and_key(path: Path) -> None:
    expected = path.read_text().splitlines()[0].removeprefix("# expect: ")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = caught.value.message
    assert "\n" not in message
    assert message.startswith(str(path.parent))
    assert expected in message


def test_defaults_carry_every_citation_and_can_be_overridden() -> None:
    text = '[archive]\nid = "x"\n[redaction.categories.ssn]\nbasis = "Local Ord. 1"\n'
    config = parse_config(text, Path("c.toml"))
    assert config.redaction.categories["ssn"].basis == "Local Ord. 1"
    assert config.redaction.categories["ssn"].auto_redact is True  # kept from defaults
    assert config.redaction.categories["card"].basis.startswith("Minn. Stat.")
    assert [r.name for r in config.classification.rules] == [
        "elected-official-messages", "direct-messages"]


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "civicrecords.toml")

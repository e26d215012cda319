"""Every setting is documented, and settings are read from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelwatch.errors import ConfigurationError
from modelwatch.settings import SETTINGS_TABLE, Settings, get_settings

DOCS = Path(__file__).parents[1] / "docs" / "settings.md"


def test_every_setting_is_documented() -> None:
    text = DOCS.read_text()
    documented = {line.split("`")[1] for line in text.splitlines() if line.startswith("| `MODELWATCH_")}
    assert documented == {name for name, _, _ in SETTINGS_TABLE}


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELWATCH_BATCH_ROWS", "4096")
    monkeypatch.setenv("MODELWATCH_S3_ENDPOINT_URL", "http://127.0.0.1:9")
    settings = Settings()
    assert settings.batch_rows == 4096
    assert settings.resolved_s3_endpoint_url() == "http://127.0.0.1:9"


def test_invalid_settings_are_refused_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELWATCH_BATCH_ROWS", "10")
    get_settings.cache_clear()
    try:
        with pytest.raises(ConfigurationError, match="MODELWATCH_BATCH_ROWS"):
            get_settings()
    finally:
        get_settings.cache_clear()

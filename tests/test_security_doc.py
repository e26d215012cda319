"""docs/security.md names only settings that exist, and the docs that talk about access link to it."""

from __future__ import annotations

import re
from pathlib import Path

from modelwatch.settings import SETTINGS_TABLE

DOCS = Path(__file__).parents[1] / "docs"


def test_every_setting_named_in_the_security_doc_exists() -> None:
    named = set(re.findall(r"MODELWATCH_[A-Z_]+", (DOCS / "security.md").read_text()))
    settings = {name for name, _, _ in SETTINGS_TABLE}
    assert {"MODELWATCH_ALLOWED_HOSTS", "MODELWATCH_ALLOWED_ROOTS"} <= named
    assert named <= settings, named - settings


def test_the_access_docs_link_to_the_security_doc() -> None:
    for name in ("api.md", "dashboard.md", "settings.md"):
        assert "(security.md)" in (DOCS / name).read_text(), name

"""A database that a newer modelwatch has migrated is refused in one line naming both revisions, by the
library and by the commands that open it; never Alembic's traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory

from modelwatch.errors import ConfigurationError
from modelwatch.service.db import open_database


def _newest_revision() -> str:
    config = Config()
    config.set_main_option("script_location", str(files("modelwatch.service").joinpath("migrations")))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


@pytest.fixture
def newer_database(data_dir: Path) -> str:
    """The default SQLite database, migrated, then stamped with a revision from the future."""
    database = open_database()
    with database.engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    url = database.url
    database.dispose()
    return url


def test_opening_a_newer_database_names_both_revisions(newer_database: str) -> None:
    with pytest.raises(ConfigurationError) as error:
        open_database(newer_database)
    message = str(error.value)
    assert "schema revision 9999" in message
    assert f"its newest is {_newest_revision()}" in message
    assert "upgrade modelwatch" in message and "\n" not in message


@pytest.mark.parametrize("command", [["server", "--port", "1"], ["scheduler"], ["tokens", "list"]])
def test_the_commands_say_so_in_one_line(newer_database: str, data_dir: Path, command: list[str]) -> None:
    env = {**os.environ, "MODELWATCH_DATA_DIR": str(data_dir), "COLUMNS": "400"}
    env.pop("MODELWATCH_DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "modelwatch.cli", *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "Can't locate revision" not in result.stderr
    text = " ".join(result.stderr.split())
    assert text.count("error:") == 1, result.stderr
    assert "schema revision 9999" in text and f"its newest is {_newest_revision()}" in text

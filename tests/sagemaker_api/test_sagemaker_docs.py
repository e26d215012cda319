"""docs/sagemaker.md says what works: its commands exist, its access key signs, its variables are botocore's.

Its Python example runs in tests/sagemaker_api/test_sagemaker_sdk.py (it needs that module's server and S3).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from typer.main import get_command
from typer.testing import CliRunner

from modelwatch.cli import app

ROOT = Path(__file__).parents[2]
DOC = (ROOT / "docs" / "sagemaker.md").read_text()


def _command_lines() -> list[str]:
    """Every ``modelwatch ...`` command of the page: bash blocks and inline code."""
    lines = [
        line.split("#", 1)[0].strip()
        for block in re.findall(r"```bash\n(.*?)\n```", DOC, flags=re.S)
        for line in block.splitlines()
    ]
    lines += re.findall(r"`(modelwatch [^`]+)`", DOC)
    return [line for line in lines if line.startswith("modelwatch ")]


def test_every_modelwatch_command_of_the_page_exists() -> None:
    found = _command_lines()
    assert any("access-keys create" in line for line in found) and any("server" in line for line in found)
    root: Any = get_command(app)
    for line in found:
        command = root
        words = shlex.split(line)[1:]
        while words and hasattr(command, "commands") and words[0] in command.commands:
            command = command.commands[words.pop(0)]
        assert not hasattr(command, "commands"), f"{line!r}: no such command"
        options = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
        for word in words:
            if word.startswith("--"):
                assert word.split("=", 1)[0] in options, f"{line!r}: {word} is not an option of it"


def test_the_access_key_the_page_creates_signs_requests(server: str, sagemaker_client: Any) -> None:
    [line] = [line for line in _command_lines() if line.startswith("modelwatch access-keys create")]
    result = CliRunner().invoke(app, shlex.split(line.replace("NAME", "sdk"))[1:])
    assert result.exit_code == 0, result.output
    key = re.search(r"AccessKeyId: (\S+)", result.output)
    secret = re.search(r"SecretAccessKey: (\S+)", result.output)
    assert key and secret
    client = sagemaker_client(key=key.group(1), secret=secret.group(1))
    assert client.list_monitoring_schedules()["MonitoringScheduleSummaries"] == []
    wrong = sagemaker_client(key=key.group(1), secret=secret.group(1) + "x")
    with pytest.raises(wrong.exceptions.ClientError) as refused:  # open mode ends with the first key
        wrong.list_monitoring_schedules()
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


@pytest.mark.parametrize("service", ["sagemaker", "logs", "s3"])
def test_the_pages_endpoint_variables_are_botocores(service: str) -> None:
    """botocore reads ``AWS_ENDPOINT_URL_<serviceId, upper case, spaces as _>`` (configprovider.py)."""
    model = botocore.session.get_session().get_service_model(service)
    variable = "AWS_ENDPOINT_URL_" + model.service_id.upper().replace(" ", "_")
    assert f"export {variable}=" in DOC


def _documented_operations() -> set[str]:
    """The operations column of the page's table; the job-definition row is verbs × kinds."""
    table = DOC.split("| group | operations | notes |", 1)[1].split("\n\n", 1)[0]
    found: set[str] = set()
    for row in table.splitlines()[2:]:
        names = re.findall(r"`(\w+)`", row.split("|")[2])
        verbs = [name for name in names if name in {"Create", "Describe", "Delete", "List"}]
        kinds = [
            name
            for name in names
            if name in {"DataQuality", "ModelQuality", "ModelBias", "ModelExplainability"}
        ]
        found |= {f"{v}{k}JobDefinition{'s' * (v == 'List')}" for v in verbs for k in kinds}
        found |= {name for name in names if name not in verbs and name not in kinds}
    return found


def test_the_pages_operations_are_the_registered_ones() -> None:
    from modelwatch.sagemaker_api.registry import load_operations

    registered = {target.split(".", 1)[1] for target in load_operations()}
    assert _documented_operations() == registered

"""The client commands of ``modelwatch``: endpoints, baselines, schedules, executions, ground-truth, …

All but ``tokens`` and ``access-keys`` talk to the REST API through :class:`modelwatch.client.Client`:
``--url`` (env ``MODELWATCH_URL``, default ``http://127.0.0.1:8000``) and ``--token`` (env
``MODELWATCH_TOKEN``) say where and as whom; ``--json`` prints the server's JSON for scripts instead of
tables and panels.
``tokens`` and ``access-keys`` (the SageMaker API's SigV4 keys) work on the metadata database directly
(``--database-url``, default the settings').

Exit codes: 0 success; 1 the server answered an error (4xx/5xx; its message and field errors go to
stderr) or a waited-for job failed; 2 wrong usage (unknown option, bad value, unreadable spec file);
3 the server cannot be reached.
"""

from __future__ import annotations

import typer

from modelwatch.cli_client.access_keys import access_keys_app
from modelwatch.cli_client.alarms import alarms_app
from modelwatch.cli_client.alerts import alerts_app
from modelwatch.cli_client.baselines import baselines_app
from modelwatch.cli_client.channels import channels_app
from modelwatch.cli_client.common import EXIT_ERROR, EXIT_OK, EXIT_UNREACHABLE, EXIT_USAGE, SETTINGS
from modelwatch.cli_client.endpoints import endpoints_app
from modelwatch.cli_client.executions import executions_app
from modelwatch.cli_client.ground_truth import ground_truth_app
from modelwatch.cli_client.metrics import metrics_app
from modelwatch.cli_client.schedules import schedules_app
from modelwatch.cli_client.tokens import tokens_app

__all__ = ["EXIT_ERROR", "EXIT_OK", "EXIT_UNREACHABLE", "EXIT_USAGE", "register_client_commands"]


def register_client_commands(app: typer.Typer) -> None:
    """Add the client sub-commands to the ``modelwatch`` app."""
    for name, sub in (
        ("endpoints", endpoints_app),
        ("baselines", baselines_app),
        ("schedules", schedules_app),
        ("executions", executions_app),
        ("ground-truth", ground_truth_app),
        ("metrics", metrics_app),
        ("alerts", alerts_app),
        ("alarms", alarms_app),
        ("channels", channels_app),
        ("tokens", tokens_app),
        ("access-keys", access_keys_app),
    ):
        app.add_typer(sub, name=name, context_settings=SETTINGS)

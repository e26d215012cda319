"""CLI commands that talk to a modelwatch server (filled in by the client work)."""

from __future__ import annotations

import typer

__all__ = ["register_client_commands"]


def register_client_commands(app: typer.Typer) -> None:
    """Add the client sub-commands to the ``modelwatch`` app."""

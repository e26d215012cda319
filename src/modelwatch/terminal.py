"""The command line's consoles: rich on a terminal, plain whole lines for scripts.

When a stream is not a terminal (a pipe, a file, a CI log), nothing printed to it is cut or wrapped at
80 columns: tables keep their full cells and messages stay on one line, so that ``grep`` finds them.
"""

from __future__ import annotations

import sys
from typing import Literal

from rich.console import Console, ConsoleDimensions

__all__ = ["UNBOUNDED_WIDTH", "ScriptFriendlyConsole", "console", "markup_mode"]

UNBOUNDED_WIDTH = 100_000
"""The width a console takes when its stream is not a terminal: wider than any table or message."""


def _is_terminal(stderr: bool) -> bool:
    stream = sys.stderr if stderr else sys.stdout
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty())


class ScriptFriendlyConsole(Console):
    """A console whose width is the terminal's, or unbounded when it prints to anything else.

    Asked at each print, not once: the same console serves a terminal and, in tests, a captured stream.
    """

    @property
    def size(self) -> ConsoleDimensions:
        size = super().size
        return size if self.is_terminal else ConsoleDimensions(UNBOUNDED_WIDTH, size.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        self._width, self._height = new_size


def console(*, stderr: bool = False) -> Console:
    """A console on stdout (or stderr) that never cuts or wraps when the stream is not a terminal."""
    return ScriptFriendlyConsole(stderr=stderr)


def markup_mode() -> Literal["rich"] | None:
    """Typer's ``rich_markup_mode``: rich boxes on a terminal; else click's plain one-line ``Error: ...``."""
    return "rich" if _is_terminal(stderr=True) else None

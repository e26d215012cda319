"""Where the dashboard lives in the app."""

from __future__ import annotations

__all__ = ["UI_PREFIX"]

UI_PREFIX = "/ui"

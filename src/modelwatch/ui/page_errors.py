"""The dashboard's own exceptions: an error page to show, a login to ask for.

Raised by pages, forms and the session code alike and answered by
:class:`~modelwatch.ui.errors.PageRoute`; this module imports nothing of the ui, so every ui module can
raise them without importing the route that answers them.
"""

from __future__ import annotations

__all__ = ["LoginRequired", "PageError"]


class PageError(Exception):
    """Show an error page with this status, title and message."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message


class LoginRequired(Exception):
    """Send the browser to the login form; ``next`` is where to come back to."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path

"""Files and folders that only the server's user may read: the data folder, the SQLite database, the key.

The rule, in one place:

* a folder that modelwatch creates is created ``0700``; the default data folder (``~/.modelwatch``,
  modelwatch's own by name) is tightened to ``0700`` when an older modelwatch left it open;
* a folder the user chose (``MODELWATCH_DATA_DIR``) that already exists is left as it is: it may be a
  shared or home folder whose mode is the user's business;
* the files that hold secrets (``modelwatch.db`` with its ``-wal``/``-shm``/``-journal`` files, the key
  file) are created ``0600``, and tightened to ``0600`` when they exist with wider permissions.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from modelwatch.errors import ConfigurationError
from modelwatch.settings import Settings, get_settings

__all__ = ["data_dir", "private_dir", "private_file", "tighten"]

log = logging.getLogger(__name__)

_OPEN_BITS = stat.S_IRWXG | stat.S_IRWXO


def tighten(path: Path, mode: int) -> None:
    """Set ``path`` to ``mode`` when group or others have any access to it (no-op otherwise). A file of
    another user that cannot be changed is logged, not raised: the server still runs."""
    try:
        current = path.stat().st_mode
    except FileNotFoundError:
        return
    if current & _OPEN_BITS:
        try:
            path.chmod(mode)
        except PermissionError:
            log.warning("cannot make %s private (mode %o): it belongs to another user", path, current & 0o777)


def private_dir(path: Path, *, tighten_existing: bool = False) -> Path:
    """``path`` as a folder, created ``0700`` when missing (its missing parents too; they are ordinary
    folders). An existing folder is tightened only when ``tighten_existing``.

    Raises:
        ConfigurationError: the folder cannot be created (names it and why).
    """
    existed = path.is_dir()
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as error:
        raise ConfigurationError(f"cannot create the folder {path}: {error.strerror or error}") from None
    if not existed or tighten_existing:
        tighten(path, 0o700)
    return path


def private_file(path: Path) -> Path:
    """``path`` as a file only its owner can read: created empty ``0600`` when missing, tightened to
    ``0600`` when it exists with wider permissions. A missing folder is left for the caller to report."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        tighten(path, 0o600)
    except OSError:  # no such folder, or not ours to write: the caller's open reports it
        pass
    else:
        os.close(descriptor)
    return path


def data_dir(settings: Settings | None = None) -> Path:
    """The data folder of the settings, made private as the module docstring says."""
    settings = settings or get_settings()
    path = Path(settings.data_dir).expanduser()
    default = Path(Settings.model_fields["data_dir"].default).expanduser()
    return private_dir(path, tighten_existing=path == default)

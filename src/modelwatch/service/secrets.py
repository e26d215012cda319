"""Secrets at rest: values sealed with Fernet (AES-128-CBC and HMAC-SHA256, from ``cryptography``).

::

    key   MODELWATCH_SECRET_KEY (one Fernet key, or several separated by commas: the first seals,
          every one opens, so a key is rotated by putting the new one first)
          else {data_dir}/secret.key, generated at first use (0600)
    value "enc:v1:" + Fernet token            a value without the prefix is the plain text that an
                                              older modelwatch stored; it is read as it is

The key never enters the database, so a copy of ``modelwatch.db`` (a backup, a bug report) holds no
usable secret. Several servers or schedulers that share one PostgreSQL database need the same key:
set ``MODELWATCH_SECRET_KEY`` on each of them.
"""

from __future__ import annotations

import binascii
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from modelwatch.errors import ConfigurationError
from modelwatch.service.private_files import data_dir, private_file
from modelwatch.settings import get_settings

__all__ = ["KEY_FILE_NAME", "PREFIX", "SETTING", "is_sealed", "key_file", "seal", "unseal"]

PREFIX = "enc:v1:"
KEY_FILE_NAME = "secret.key"
SETTING = "MODELWATCH_SECRET_KEY"
_HOW_TO_MAKE = 'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'


def key_file() -> Path:
    """Where the generated key lives when ``MODELWATCH_SECRET_KEY`` is not set."""
    return Path(get_settings().data_dir).expanduser() / KEY_FILE_NAME


def _fernet(key: str, source: str) -> Fernet:
    try:
        return Fernet(key.strip().encode())
    except (ValueError, binascii.Error):
        raise ConfigurationError(
            f"{source}: not a Fernet key (32 bytes in url-safe base64, 44 characters); make one with "
            f"{_HOW_TO_MAKE}"
        ) from None


def _create_key_file(path: Path) -> None:
    """Write a new key to ``path`` unless another process got there first (a file is linked into
    place only when complete, so a reader never sees half a key)."""
    data_dir()
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.unlink(missing_ok=True)
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(Fernet.generate_key() + b"\n")
    try:
        os.link(partial, path)
    except FileExistsError:
        pass
    finally:
        partial.unlink(missing_ok=True)


def _keys() -> tuple[MultiFernet, str]:
    """The keys, and what they came from (for messages)."""
    setting = get_settings().secret_key
    if setting is not None and setting.get_secret_value().strip():
        keys = [k for k in setting.get_secret_value().split(",") if k.strip()]
        return MultiFernet([_fernet(k, SETTING) for k in keys]), SETTING
    path = key_file()
    source = f"the key file {path}"
    try:
        if not path.exists():
            _create_key_file(path)
        private_file(path)
        text = path.read_text(encoding="ascii", errors="replace")
    except OSError as error:
        raise ConfigurationError(
            f"cannot use {source}: {error.strerror or error}; or set {SETTING}"
        ) from None
    return MultiFernet([_fernet(text, source)]), source


def is_sealed(value: str) -> bool:
    return value.startswith(PREFIX)


def seal(plain: str) -> str:
    """``plain`` encrypted under the first key, as ``enc:v1:<token>``.

    Raises:
        ConfigurationError: the key setting or file is not a usable key.
    """
    keys, _ = _keys()
    return PREFIX + keys.encrypt(plain.encode()).decode("ascii")


def unseal(value: str, *, what: str) -> str:
    """The plain text of a sealed ``value`` (a value without the prefix is returned as it is).

    Raises:
        ConfigurationError: no key opens it (the message names ``what`` and the setting or file that the
            key came from), or the key setting or file is not a usable key.
    """
    if not is_sealed(value):
        return value
    keys, source = _keys()
    try:
        return keys.decrypt(value[len(PREFIX) :].encode("ascii")).decode()
    except (InvalidToken, UnicodeError):
        raise ConfigurationError(
            f"cannot decrypt {what} with the key from {source}: it was sealed with another key "
            f"(set {SETTING} to that key, or store the secret again)"
        ) from None

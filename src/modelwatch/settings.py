"""One typed settings object, read from the environment (prefix ``MODELWATCH_``).

``SETTINGS_TABLE`` is the single table of settings: name, default and help. The documentation
(``docs/settings.md``) is checked against it by a test, so a setting cannot go undocumented.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from modelwatch.errors import ConfigurationError

__all__ = ["SETTINGS_TABLE", "Settings", "get_settings"]


class Settings(BaseSettings):
    """modelwatch's settings. Every field can be set as ``MODELWATCH_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="MODELWATCH_", extra="ignore", frozen=True)

    data_dir: Path = Field(
        default=Path.home() / ".modelwatch",
        description="Folder for the embedded defaults: the SQLite database and local storage.",
    )
    database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of the metadata database, e.g. postgresql+psycopg://user:pass@host/db; "
            "default: SQLite at {data_dir}/modelwatch.db."
        ),
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description=(
            "Fernet key(s) that encrypt the secrets of notification channels in the database; several "
            "separated by commas: the first encrypts, all decrypt. Default: {data_dir}/secret.key, generated."
        ),
    )
    storage_uri: str | None = Field(
        default=None,
        description=(
            "Root of capture, ground-truth, baseline and monitoring files: a folder or s3:// URI; "
            "default: {data_dir}/storage."
        ),
    )
    scheduler_interval: float = Field(
        default=5.0,
        gt=0,
        description="Seconds between two scheduler ticks (planning due slots, starting executions).",
    )
    catch_up_hours: float = Field(
        default=24.0,
        ge=0,
        description="After downtime, missed slots up to this many hours old still run; older are skipped.",
    )
    max_concurrent_executions: int = Field(
        default=0,
        ge=0,
        description="Executions that one scheduler runs at once; 0 means one per CPU core.",
    )
    s3_endpoint_url: str | None = Field(
        default=None,
        description=(
            "Endpoint of an S3-compatible server for s3:// URIs; falls back to AWS_ENDPOINT_URL_S3, then "
            "AWS_ENDPOINT_URL (as botocore does)."
        ),
    )
    s3_region: str | None = Field(
        default=None,
        description="Region for s3:// URIs; falls back to AWS_REGION / AWS_DEFAULT_REGION.",
    )
    batch_rows: int = Field(
        default=262_144,
        ge=1_024,
        description="Rows per Arrow record batch when streaming datasets; bounds memory per worker.",
    )
    workers: int = Field(
        default=0,
        ge=0,
        description="Worker processes that profile large inputs in parallel; 0 means one per CPU core.",
    )
    top_values: int = Field(
        default=1_000,
        ge=10,
        description=(
            "Most distinct string values kept with exact counts per column; the rest are counted together."
        ),
    )
    report_html: bool = Field(
        default=True,
        description=(
            "Write a self-contained report.html (about 5 MB, plotly inlined) beside each execution's results."
        ),
    )
    container_runtime: Literal["process", "docker", "podman", "auto"] = Field(
        default="auto",
        description=(
            "How custom monitoring containers run: docker, podman, process (the entrypoint as a local "
            "command), or auto (docker or podman when one is on PATH, else process)."
        ),
    )

    aws_account_id: str = Field(
        default="000000000000",
        pattern=r"^[0-9]{12}$",
        description="The 12-digit account id in the ARNs that the SageMaker API answers with.",
    )

    allowed_hosts: str | None = Field(
        default=None,
        description=(
            "Comma-separated host names the server answers to besides loopback names (the Host header; "
            "guards against DNS rebinding), e.g. monitor.example.com; * for any."
        ),
    )
    allowed_roots: str | None = Field(
        default=None,
        description=(
            "Comma-separated folders and URI prefixes that API paths (datasets, baselines, scripts, "
            "configs, outputs) must lie in; the storage root always may; default: anywhere."
        ),
    )

    model_urls: str | None = Field(
        default=None,
        description=(
            "Where Clarify's model answers: model or endpoint names mapped to invocation URLs, as "
            "name=URL pairs separated by commas (credit-model=http://127.0.0.1:8080/invocations) or a JSON "
            "object; read when an analysis config's predictor names a model_name or endpoint_name but "
            "no endpoint_url (modelwatch starts no shadow endpoints)."
        ),
    )

    def resolved_allowed_hosts(self) -> tuple[str, ...]:
        return _split(self.allowed_hosts)

    def resolved_allowed_roots(self) -> tuple[str, ...] | None:
        """The allowed roots, or None when any path is allowed."""
        return _split(self.allowed_roots) or None

    def resolved_s3_endpoint_url(self) -> str | None:
        """The S3 endpoint: this setting, else ``AWS_ENDPOINT_URL_S3``, else ``AWS_ENDPOINT_URL`` (botocore's
        order for its service-specific variable), else None (AWS itself). Read from the environment at
        each call, so a changed variable counts without clearing the settings cache."""
        return (
            self.s3_endpoint_url
            or os.environ.get("AWS_ENDPOINT_URL_S3")
            or os.environ.get("AWS_ENDPOINT_URL")
        )

    def resolved_model_urls(self) -> dict[str, str]:
        """``model_urls`` as ``{name: URL}`` (empty when unset).

        Raises:
            ConfigurationError: an entry is not ``name=URL`` with an http(s) URL, or the JSON is not an
                object of strings; the message names ``MODELWATCH_MODEL_URLS`` and the entry.
        """
        return _model_urls(self.model_urls or "")

    def resolved_storage_uri(self) -> str:
        return self.storage_uri or str(Path(self.data_dir).expanduser() / "storage")

    def resolved_max_concurrent_executions(self) -> int:
        return self.max_concurrent_executions or (os.cpu_count() or 1)

    def resolved_workers(self) -> int:
        return self.workers or (os.cpu_count() or 1)


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def _model_urls(text: str) -> dict[str, str]:
    """Parse ``name=URL,name=URL`` or a JSON object ``{"name": "URL"}``."""
    variable = "MODELWATCH_MODEL_URLS"
    text = text.strip()
    pairs: list[tuple[str, object]]
    if text.startswith(("{", "[")):  # JSON (a list is refused below)
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigurationError(f"{variable}: invalid JSON: {exc}") from None
        if not isinstance(parsed, dict):
            raise ConfigurationError(f"{variable}: expected a JSON object of name: URL")
        pairs = [(str(name).strip(), url) for name, url in parsed.items()]
    else:
        pairs = []
        for entry in _split(text):
            name, sep, value = entry.partition("=")
            if not sep:
                raise ConfigurationError(f"{variable}: entry {entry!r} is not name=URL")
            pairs.append((name.strip(), value.strip()))
    urls: dict[str, str] = {}
    for name, url in pairs:
        if not name:
            raise ConfigurationError(f"{variable}: an entry has no name (URL {url!r})")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ConfigurationError(
                f"{variable}: the URL of {name!r} must start with http:// or https://, got {url!r}"
            )
        if name in urls:
            raise ConfigurationError(f"{variable}: {name!r} is named twice")
        urls[name] = url
    return urls


SETTINGS_TABLE: list[tuple[str, object, str]] = [
    (f"MODELWATCH_{name.upper()}", field.default, field.description or "")
    for name, field in Settings.model_fields.items()
]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment.

    Raises:
        ConfigurationError: a ``MODELWATCH_*`` variable holds an invalid value (the message names it).
    """
    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"MODELWATCH_{'.'.join(str(part) for part in e['loc']).upper()}: {e['msg']}"
            for e in error.errors()
        )
        raise ConfigurationError(f"invalid settings: {problems}") from None

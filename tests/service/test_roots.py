"""MODELWATCH_ALLOWED_ROOTS: a path must resolve (``..``, symbolic links) under a root or the storage
root; unset, anything goes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from modelwatch.errors import ValidationError
from modelwatch.service.db import Database
from modelwatch.service.job_definitions import create_job_definition
from modelwatch.service.roots import allowed_roots, confine, confine_fields
from modelwatch.service.schemas import BaselineJobSpec, JobDefinition, JobDefinitionSpec
from modelwatch.settings import get_settings


@pytest.fixture
def roots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Roots ``{tmp}/data`` and ``s3://bucket/allowed``; storage in ``{tmp}/storage``."""
    (tmp_path / "data").mkdir()
    monkeypatch.setenv("MODELWATCH_ALLOWED_ROOTS", f"{tmp_path / 'data'}, s3://bucket/allowed")
    monkeypatch.setenv("MODELWATCH_STORAGE_URI", str(tmp_path / "storage"))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_unset_allows_anything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MODELWATCH_ALLOWED_ROOTS", raising=False)
    get_settings.cache_clear()
    try:
        assert allowed_roots() is None
        confine("/proc/self/environ", "dataset_uri")
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize(
    "uri",
    [
        "{tmp}/data/train.csv",
        "{tmp}/data",
        "file://{tmp}/data/a/b.csv",
        "{tmp}/data/a/../b.csv",
        "{tmp}/storage/baselines/b/statistics.json",
        "s3://bucket/allowed/x.csv",
        "s3a://bucket/allowed/deep/x.csv",
        "s3://bucket/allowed",
    ],
)
def test_paths_under_a_root_are_allowed(roots: Path, uri: str) -> None:
    confine(uri.format(tmp=roots), "dataset_uri")


@pytest.mark.parametrize(
    "uri",
    [
        "/proc/self/environ",
        "{tmp}/data/../secret.csv",
        "{tmp}/database",  # a sibling whose name starts like a root
        "{tmp}/data-other/x.csv",
        "{tmp}/link/environ",  # a symbolic link out of the root
        "s3://bucket/allowed-not/x.csv",
        "s3://bucket/allowed/../other/x.csv",
        "s3://other/allowed/x.csv",
        "http://169.254.169.254/latest",
        "memory://x",
    ],
)
def test_paths_outside_every_root_are_refused(roots: Path, uri: str) -> None:
    (roots / "data" / "link").symlink_to("/proc/self")
    target = uri.format(tmp=roots).replace(f"{roots}/link", f"{roots}/data/link")
    with pytest.raises(ValidationError, match="outside the allowed roots") as caught:
        confine(target, "dataset_uri")
    assert caught.value.field == "dataset_uri"
    assert "MODELWATCH_ALLOWED_ROOTS" in str(caught.value)


def test_every_path_field_of_a_definition_is_checked(roots: Path) -> None:
    inside = str(roots / "data" / "x")
    definition = JobDefinition.model_validate(
        {
            "batch_transform_input": {
                "data_captured_destination_uri": inside,
                "dataset_format": {"csv": {"header": False}},
            },
            "baseline_statistics_uri": inside,
            "record_preprocessor_script": inside,
            "config_uri": inside,
        }
    )
    confine_fields(definition, "definition")
    for field, nested in (
        ("record_preprocessor_script", False),
        ("post_analytics_processor_script", False),
        ("output_uri", False),
        ("ground_truth_uri", False),
        ("baseline_constraints_uri", False),
        ("data_captured_destination_uri", True),
    ):
        changed = definition.model_dump()
        if nested:
            changed["batch_transform_input"][field] = "/etc/passwd"
            name = f"definition.batch_transform_input.{field}"
        else:
            changed[field] = "/etc/passwd"
            name = f"definition.{field}"
        with pytest.raises(ValidationError) as caught:
            confine_fields(JobDefinition.model_validate(changed), "definition")
        assert caught.value.field == name


def test_a_baseline_spec_is_checked(roots: Path) -> None:
    spec = BaselineJobSpec(name="b", dataset_uri="/proc/self/environ")
    with pytest.raises(ValidationError) as caught:
        confine_fields(spec)
    assert caught.value.field == "dataset_uri"
    nested = BaselineJobSpec.model_validate(
        {"name": "b", "dataset_uri": str(roots / "data" / "t.csv"), "parameters": {"config_uri": "/etc/x"}}
    )
    with pytest.raises(ValidationError) as caught:
        confine_fields(nested)
    assert caught.value.field == "parameters.config_uri"


def test_a_named_job_definition_is_checked_when_created(roots: Path, db: Database) -> None:
    spec = JobDefinitionSpec.model_validate(
        {"name": "d", "definition": {"endpoint_input": {"endpoint_name": "churn"}, "output_uri": "/etc"}}
    )
    with db.session() as session, pytest.raises(ValidationError) as caught:
        create_job_definition(session, spec)
    assert caught.value.field == "definition.output_uri"

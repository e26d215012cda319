"""``Create``/``Describe``/``Delete``/``List`` of the four job definition types (``DataQuality``,
``ModelQuality``, ``ModelBias``, ``ModelExplainability``) over :mod:`modelwatch.service.job_definitions`.

modelwatch keeps one namespace of job definitions: a name is taken across the four types (a second
``Create`` with the name of another type's definition is ``ResourceInUse``), and ``Describe`` or
``Delete`` of a definition of another type is ``ResourceNotFound``, as for a missing one. Describe echoes
the Create request (kept in ``sagemaker_requests``), so members modelwatch does not use (``RoleArn``,
``JobResources``, ``NetworkConfig``, ``LocalPath``) come back as sent.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Literal

from sqlalchemy.orm import Session

from modelwatch.jobs.definitions import MonitoringType
from modelwatch.sagemaker_api import wire
from modelwatch.sagemaker_api.endpoints import ensure_endpoint
from modelwatch.sagemaker_api.listing import next_token, page_token, sort_key, sort_order, time_filter
from modelwatch.sagemaker_api.reader import Reader, read_tags
from modelwatch.sagemaker_api.registry import Context, operation
from modelwatch.sagemaker_api.service_errors import Members, not_found, service_errors
from modelwatch.sagemaker_api.shapes import ARN_TYPES, typed_job_definition, typed_shapes
from modelwatch.service.job_definitions import (
    create_job_definition,
    delete_job_definition,
    describe_job_definition,
    list_job_definitions,
)
from modelwatch.service.layout import monitoring_uri
from modelwatch.service.sagemaker_requests import delete_request, get_request, save_request
from modelwatch.service.schemas import JobDefinitionSpec, JobDefinitionView
from modelwatch.service.tags import add_tags, delete_tags

__all__ = ["describe_shape", "kind_label"]

_SORT_KEYS: tuple[Literal["Name", "CreationTime"], ...] = ("Name", "CreationTime")


def kind_label(kind: MonitoringType) -> str:
    """How SageMaker's messages name a definition of ``kind`` (``data quality job definition``)."""
    return ARN_TYPES[kind].replace("-", " ")


def _name(body: dict[str, Any]) -> str:
    return Reader(body).text("JobDefinitionName", required=True, min_length=1, max_length=63)


def _view(session: Session, kind: MonitoringType, name: str) -> JobDefinitionView:
    with service_errors():
        view = describe_job_definition(session, name)
    if view.monitoring_type != kind:
        raise not_found(kind_label(kind), name)
    return view


def describe_shape(
    session: Session, ctx: Context, kind: MonitoringType, view: JobDefinitionView
) -> dict[str, Any]:
    """The definition's members as its Create request had them (or as modelwatch would have sent them)."""
    request = get_request(session, ARN_TYPES[kind], view.name)
    if request is not None:
        return {key: value for key, value in request.items() if key not in ("Tags", "JobDefinitionName")}
    output = view.definition.output_uri or monitoring_uri(view.endpoint_name, view.name)
    return typed_shapes(kind, view.definition, output, ctx.region, ctx.account)


def _create(kind: MonitoringType, ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    name = _name(body)
    tags = read_tags(body)
    with ctx.transaction() as session:
        translated = typed_job_definition(session, kind, body)
        with service_errors(translated.members):
            spec = JobDefinitionSpec(name=name, monitoring_type=kind, definition=translated.definition)
            ensure_endpoint(session, translated.definition)
            create_job_definition(session, spec)
            save_request(session, ARN_TYPES[kind], name, body)
            add_tags(session, ARN_TYPES[kind], name, tags)
    return {"JobDefinitionArn": ctx.arn(ARN_TYPES[kind], name)}


def _describe(kind: MonitoringType, ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    name = _name(body)
    with ctx.transaction(write=False) as session:
        view = _view(session, kind, name)
        shape = describe_shape(session, ctx, kind, view)
    return {
        **shape,
        "JobDefinitionArn": ctx.arn(ARN_TYPES[kind], name),
        "JobDefinitionName": name,
        "CreationTime": wire.epoch(view.created_at),
    }


def _delete(kind: MonitoringType, ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    name = _name(body)
    with ctx.transaction() as session:
        _view(session, kind, name)
        with service_errors():
            delete_job_definition(session, name)
        delete_request(session, ARN_TYPES[kind], name)
        delete_tags(session, ARN_TYPES[kind], name)
    return {}


def _list(kind: MonitoringType, ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    request = Reader(body)
    size = wire.max_results(body)
    token = page_token(body)
    created_after, created_before = time_filter(body, "CreationTime")
    with ctx.transaction(write=False) as session, service_errors(Members(default="NextToken")):
        page = list_job_definitions(
            session,
            monitoring_type=kind,
            endpoint_name=request.optional("EndpointName", str),
            name_contains=request.optional("NameContains", str),
            created_after=created_after,
            created_before=created_before,
            sort_by=sort_key(body, _SORT_KEYS, "CreationTime"),
            sort_order=sort_order(body),
            max_results=size,
            next_token=token,
        )
    summaries = [
        {
            "MonitoringJobDefinitionName": view.name,
            "MonitoringJobDefinitionArn": ctx.arn(ARN_TYPES[kind], view.name),
            "CreationTime": wire.epoch(view.created_at),
            **({"EndpointName": view.endpoint_name} if view.endpoint_name else {}),
        }
        for view in page.items
    ]
    return next_token({"JobDefinitionSummaries": summaries}, page.next_token)


for _kind in ARN_TYPES:  # SageMaker's four types; TextQuality etc. are modelwatch's own (REST API)
    operation(f"Create{_kind.value}JobDefinition")(partial(_create, _kind))
    operation(f"Describe{_kind.value}JobDefinition", read=True)(partial(_describe, _kind))
    operation(f"Delete{_kind.value}JobDefinition")(partial(_delete, _kind))
    operation(f"List{_kind.value}JobDefinitions", read=True)(partial(_list, _kind))

"""A small typed synchronous client of the modelwatch REST API (``/api/v1``, see ``docs/api.md``).

::

    from modelwatch.client import Client
    from modelwatch.service.schemas import EndpointSpec

    with Client("http://127.0.0.1:8000", token="mw_...") as api:
        api.create_endpoint(EndpointSpec(name="churn"))
        for schedule in api.list_schedules(endpoint_name="churn").items:
            print(schedule.name, schedule.status)

Answers are parsed into the pydantic models of :mod:`modelwatch.service.schemas` (alerting:
:mod:`modelwatch.service.alert_schemas`); neither loads the store or numpy. Every error answer
raises :class:`ApiError` with the server's status, type, message and field errors; when the server
cannot be reached (refused, DNS, timeout) the status is 0. The URL and token default to the
environment variables ``MODELWATCH_URL`` (else ``http://127.0.0.1:8000``) and ``MODELWATCH_TOKEN``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, TypeAdapter

from modelwatch.errors import ModelwatchError
from modelwatch.service.alert_schemas import (
    DEFAULT_ALERT_NAME,
    AlarmState,
    ChannelSpec,
    ChannelView,
    Datapoint,
    EventKind,
    HistoryView,
    MetricAlarmSpec,
    MetricAlarmUpdate,
    MetricAlarmView,
    MetricStatistics,
    MonitoringAlertUpdate,
    MonitoringAlertView,
    Source,
)
from modelwatch.service.schemas import (
    BaselineJobSpec,
    BaselineJobView,
    EndpointSpec,
    EndpointView,
    ExecutionStatus,
    ExecutionView,
    GroundTruthUploadView,
    JobStatus,
    MetricPoint,
    MonitoringType,
    Page,
    ScheduleSpec,
    ScheduleStatus,
    ScheduleUpdate,
    ScheduleView,
)

__all__ = ["DEFAULT_URL", "ApiError", "Client", "FieldError", "iterate"]

DEFAULT_URL = "http://127.0.0.1:8000"
API_PREFIX = "/api/v1"

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


@dataclass(frozen=True)
class FieldError:
    """One field of a rejected request, named as the API names it (``definition.endpoint_input``)."""

    field: str
    message: str


class ApiError(ModelwatchError):
    """The server answered an error (``status`` ≥ 400) or could not be reached (``status`` 0)."""

    def __init__(
        self, status: int, type: str, message: str, fields: tuple[FieldError, ...] | list[FieldError] = ()
    ) -> None:
        self.status = status
        self.type = type
        self.message = message
        self.fields = tuple(fields)
        details = "; ".join(f"{f.field}: {f.message}" for f in self.fields)
        super().__init__(f"{message} ({details})" if details else message)

    @property
    def unreachable(self) -> bool:
        return self.status == 0


def _error_of(response: httpx.Response) -> ApiError:
    """The :class:`ApiError` of an error answer; tolerates bodies that are not the API's error shape."""
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        fields = [
            FieldError(str(item.get("field", "")), str(item.get("message", "")))
            for item in error.get("fields") or []
            if isinstance(item, dict)
        ]
        message = str(error.get("message") or response.reason_phrase)
        return ApiError(response.status_code, str(error.get("type") or "Error"), message, fields)
    text = response.text.strip()[:500] or response.reason_phrase
    return ApiError(response.status_code, "HTTPError", f"HTTP {response.status_code}: {text}")


def _param(value: object) -> object:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _params(values: Mapping[str, object]) -> dict[str, Any]:
    return {name: _param(value) for name, value in values.items() if value is not None}


def _body(model: BaseModel) -> Any:
    return model.model_dump(mode="json", by_alias=True, exclude_unset=True)


def _seg(value: str | int) -> str:
    """One path segment, quoted so that a name can never reach another route."""
    return quote(str(value), safe="")


UPLOAD_CHUNK_BYTES = 1_000_000
"""Largest ground-truth upload request (the API refuses bodies over 1 MiB)."""


def _chunks(data: bytes, size: int) -> Iterator[bytes]:
    """``data`` in pieces of at most ``size`` bytes that end at line ends (a longer line goes alone)."""
    start = 0
    while start < len(data):
        end = start + size
        if end < len(data):
            cut = data.rfind(b"\n", start, end)
            end = cut + 1 if cut >= start else data.find(b"\n", end) + 1 or len(data)
        yield data[start:end]
        start = end


def base_url(url: str) -> str:
    """The API root of a server URL: ``http://host:8000`` and ``http://host:8000/api/v1/`` give the same."""
    url = url.strip().rstrip("/")
    return url if url.endswith(API_PREFIX) else url + API_PREFIX


class Client:
    """A connection to one modelwatch server; use it as a context manager or call :meth:`close`."""

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        timeout: float = 30,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = (url or os.environ.get("MODELWATCH_URL") or DEFAULT_URL).strip().rstrip("/")
        token = token if token is not None else os.environ.get("MODELWATCH_TOKEN")
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(
            base_url=base_url(self.url), headers=headers, timeout=timeout, transport=transport
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- plumbing ---------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, object] | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
    ) -> httpx.Response:
        """Send one request; raises :class:`ApiError` on an error answer or when the server is unreachable."""
        headers = {"Content-Type": content_type} if content_type else None
        try:
            response = self._http.request(
                method, path, json=json, params=_params(params or {}), content=content, headers=headers
            )
        except httpx.TimeoutException as error:
            raise ApiError(0, "Timeout", f"no answer from {self.url} in time ({error})") from None
        except httpx.TransportError as error:
            raise ApiError(0, "ConnectionError", f"cannot reach {self.url}: {error}") from None
        if response.is_error:
            raise _error_of(response)
        return response

    def _get(self, model: type[M], path: str, **params: object) -> M:
        return model.model_validate_json(self.request("GET", path, params=params).content)

    def _send(self, model: type[M], method: str, path: str, body: Any = None) -> M:
        return model.model_validate_json(self.request(method, path, json=body).content)

    # -- health -----------------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        """``{"status": "ok", "version": ...}``; needs no token."""
        body: dict[str, Any] = self.request("GET", "/health").json()
        return body

    # -- endpoints --------------------------------------------------------------------------------

    def create_endpoint(self, spec: EndpointSpec) -> EndpointView:
        return self._send(EndpointView, "POST", "/endpoints", _body(spec))

    def list_endpoints(
        self,
        *,
        name_contains: str | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> Page[EndpointView]:
        return self._get(
            Page[EndpointView],
            "/endpoints",
            name_contains=name_contains,
            max_results=max_results,
            next_token=next_token,
        )

    def describe_endpoint(self, name: str) -> EndpointView:
        return self._get(EndpointView, f"/endpoints/{_seg(name)}")

    def delete_endpoint(self, name: str) -> None:
        self.request("DELETE", f"/endpoints/{_seg(name)}")

    def upload_ground_truth(
        self, endpoint: str, lines: bytes | str, *, collected_at: datetime | None = None
    ) -> list[GroundTruthUploadView]:
        """Upload ground-truth JSON Lines for ``endpoint``, in requests of at most
        :data:`UPLOAD_CHUNK_BYTES` split at line ends; one stored file per request."""
        data = lines.encode("utf-8") if isinstance(lines, str) else lines
        return [self._upload(endpoint, chunk, collected_at) for chunk in _chunks(data, UPLOAD_CHUNK_BYTES)]

    def _upload(self, endpoint: str, chunk: bytes, collected_at: datetime | None) -> GroundTruthUploadView:
        response = self.request(
            "POST",
            f"/endpoints/{_seg(endpoint)}/ground-truth",
            params={"collected_at": collected_at},
            content=chunk,
            content_type="application/x-ndjson",
        )
        return GroundTruthUploadView.model_validate_json(response.content)

    # -- baselining jobs --------------------------------------------------------------------------

    def start_baseline_job(self, spec: BaselineJobSpec) -> BaselineJobView:
        return self._send(BaselineJobView, "POST", "/baselining-jobs", _body(spec))

    def list_baseline_jobs(
        self,
        *,
        status: JobStatus | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> Page[BaselineJobView]:
        return self._get(
            Page[BaselineJobView],
            "/baselining-jobs",
            status=status,
            max_results=max_results,
            next_token=next_token,
        )

    def describe_baseline_job(self, name: str) -> BaselineJobView:
        return self._get(BaselineJobView, f"/baselining-jobs/{_seg(name)}")

    def baseline_file(self, name: str, file: str) -> bytes:
        """``statistics.json``, ``constraints.json`` or ``execution.log`` of a baselining job."""
        return self.request("GET", f"/baselining-jobs/{_seg(name)}/files/{_seg(file)}").content

    # -- schedules --------------------------------------------------------------------------------

    def create_schedule(self, spec: ScheduleSpec) -> ScheduleView:
        return self._send(ScheduleView, "POST", "/schedules", _body(spec))

    def list_schedules(
        self,
        *,
        endpoint_name: str | None = None,
        status: ScheduleStatus | None = None,
        monitoring_type: MonitoringType | None = None,
        name_contains: str | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> Page[ScheduleView]:
        return self._get(
            Page[ScheduleView],
            "/schedules",
            endpoint_name=endpoint_name,
            status=status,
            monitoring_type=monitoring_type,
            name_contains=name_contains,
            sort_by=sort_by,
            sort_order=sort_order,
            max_results=max_results,
            next_token=next_token,
        )

    def describe_schedule(self, name: str) -> ScheduleView:
        return self._get(ScheduleView, f"/schedules/{_seg(name)}")

    def update_schedule(self, name: str, update: ScheduleUpdate) -> ScheduleView:
        return self._send(ScheduleView, "PATCH", f"/schedules/{_seg(name)}", _body(update))

    def start_schedule(self, name: str) -> ScheduleView:
        return self._send(ScheduleView, "POST", f"/schedules/{_seg(name)}/start")

    def stop_schedule(self, name: str) -> ScheduleView:
        return self._send(ScheduleView, "POST", f"/schedules/{_seg(name)}/stop")

    def delete_schedule(self, name: str) -> None:
        self.request("DELETE", f"/schedules/{_seg(name)}")

    def run_now(self, name: str, window_start: datetime, window_end: datetime) -> ExecutionView:
        """Run the schedule's job once, now, over ``[window_start, window_end)``."""
        body = {"window_start": window_start.isoformat(), "window_end": window_end.isoformat()}
        return self._send(ExecutionView, "POST", f"/schedules/{_seg(name)}/executions", body)

    # -- executions -------------------------------------------------------------------------------

    def list_executions(
        self,
        *,
        schedule_name: str | None = None,
        endpoint_name: str | None = None,
        status: ExecutionStatus | None = None,
        monitoring_type: MonitoringType | None = None,
        scheduled_after: datetime | None = None,
        scheduled_before: datetime | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> Page[ExecutionView]:
        return self._get(
            Page[ExecutionView],
            "/executions",
            schedule_name=schedule_name,
            endpoint_name=endpoint_name,
            status=status,
            monitoring_type=monitoring_type,
            scheduled_after=scheduled_after,
            scheduled_before=scheduled_before,
            sort_by=sort_by,
            sort_order=sort_order,
            max_results=max_results,
            next_token=next_token,
        )

    def describe_execution(self, execution_id: int) -> dict[str, Any]:
        """The execution's view plus ``files`` ({name: URL}) and ``log`` (URL or None)."""
        body: dict[str, Any] = self.request("GET", f"/executions/{_seg(execution_id)}").json()
        return body

    def execution(self, execution_id: int) -> ExecutionView:
        """:meth:`describe_execution` without the links, as an :class:`ExecutionView`."""
        detail = self.describe_execution(execution_id)
        return ExecutionView.model_validate({k: v for k, v in detail.items() if k not in ("files", "log")})

    def execution_file(self, execution_id: int, file: str) -> bytes:
        """One result file: ``statistics.json``, ``constraint_violations.json``, ``execution.log``, ..."""
        return self.request("GET", f"/executions/{_seg(execution_id)}/files/{_seg(file)}").content

    def stop_execution(self, execution_id: int) -> ExecutionView:
        return self._send(ExecutionView, "POST", f"/executions/{_seg(execution_id)}/stop")

    # -- metrics ----------------------------------------------------------------------------------

    def metric_names(self, schedule: str) -> list[str]:
        body = self.request("GET", f"/schedules/{_seg(schedule)}/metrics").json()
        return [str(name) for name in body["names"]]

    def metric(
        self,
        schedule: str,
        name: str,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 1000,
    ) -> list[MetricPoint]:
        """The points of one metric in ``[start, end)``, oldest first (at most ``limit``, the newest)."""
        params = {"start": start, "end": end, "limit": limit}
        body = self.request("GET", f"/schedules/{_seg(schedule)}/metrics/{_seg(name)}", params=params).json()
        return _POINTS.validate_python(body["points"])

    def metric_statistics(
        self,
        metric_name: str,
        *,
        start: datetime,
        end: datetime,
        schedule_name: str | None = None,
        endpoint_name: str | None = None,
        period: int | None = None,
    ) -> list[Datapoint]:
        """Statistics of a metric series per period of ``period`` seconds in ``[start, end)`` (what alarms
        evaluate); give ``schedule_name``, ``endpoint_name`` or both."""
        return self._get(
            MetricStatistics,
            "/metric-statistics",
            metric_name=metric_name,
            schedule_name=schedule_name,
            endpoint_name=endpoint_name,
            start=start,
            end=end,
            period=period,
        ).datapoints

    # -- monitoring alerts ------------------------------------------------------------------------

    def list_alerts(
        self, schedule: str, *, max_results: int | None = None, next_token: str | None = None
    ) -> Page[MonitoringAlertView]:
        """The schedule's monitoring alerts (one per schedule, :data:`DEFAULT_ALERT_NAME`)."""
        return self._get(
            Page[MonitoringAlertView],
            f"/schedules/{_seg(schedule)}/alerts",
            max_results=max_results,
            next_token=next_token,
        )

    def describe_alert(self, schedule: str, alert: str = DEFAULT_ALERT_NAME) -> MonitoringAlertView:
        return self._get(MonitoringAlertView, f"/schedules/{_seg(schedule)}/alerts/{_seg(alert)}")

    def update_alert(
        self, schedule: str, update: MonitoringAlertUpdate, *, alert: str = DEFAULT_ALERT_NAME
    ) -> MonitoringAlertView:
        """Change the alert's rule, channels or reminders; the server evaluates it again at once."""
        path = f"/schedules/{_seg(schedule)}/alerts/{_seg(alert)}"
        return self._send(MonitoringAlertView, "PATCH", path, _body(update))

    def list_alert_history(
        self,
        *,
        source: Source | None = None,
        schedule_name: str | None = None,
        name: str | None = None,
        status: str | None = None,
        event: EventKind | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> Page[HistoryView]:
        """State changes, reminders and notification attempts of alerts and alarms, newest first."""
        return self._get(
            Page[HistoryView],
            "/alert-history",
            source=source,
            schedule_name=schedule_name,
            name=name,
            status=status,
            event=event,
            created_after=created_after,
            created_before=created_before,
            sort_by=sort_by,
            sort_order=sort_order,
            max_results=max_results,
            next_token=next_token,
        )

    # -- metric alarms ----------------------------------------------------------------------------

    def create_alarm(self, spec: MetricAlarmSpec) -> MetricAlarmView:
        return self._send(MetricAlarmView, "POST", "/alarms", _body(spec))

    def list_alarms(
        self,
        *,
        schedule_name: str | None = None,
        endpoint_name: str | None = None,
        state: AlarmState | None = None,
        name_prefix: str | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> Page[MetricAlarmView]:
        return self._get(
            Page[MetricAlarmView],
            "/alarms",
            schedule_name=schedule_name,
            endpoint_name=endpoint_name,
            state=state,
            name_prefix=name_prefix,
            max_results=max_results,
            next_token=next_token,
        )

    def describe_alarm(self, name: str) -> MetricAlarmView:
        return self._get(MetricAlarmView, f"/alarms/{_seg(name)}")

    def update_alarm(self, name: str, update: MetricAlarmUpdate) -> MetricAlarmView:
        return self._send(MetricAlarmView, "PATCH", f"/alarms/{_seg(name)}", _body(update))

    def delete_alarm(self, name: str) -> None:
        """Delete a metric alarm; its history is kept."""
        self.request("DELETE", f"/alarms/{_seg(name)}")

    # -- notification channels --------------------------------------------------------------------

    def create_channel(self, spec: ChannelSpec) -> ChannelView:
        return self._send(ChannelView, "POST", "/notification-channels", _channel_body(spec))

    def replace_channel(self, name: str, spec: ChannelSpec) -> ChannelView:
        """Replace a channel's settings; a secret sent as ``***`` (or left out) keeps the stored one."""
        path = f"/notification-channels/{_seg(name)}"
        return self._send(ChannelView, "PUT", path, _channel_body(spec))

    def list_channels(
        self, *, max_results: int | None = None, next_token: str | None = None
    ) -> Page[ChannelView]:
        """Channels by name; a secret that is set shows as ``***``, never its value."""
        return self._get(
            Page[ChannelView], "/notification-channels", max_results=max_results, next_token=next_token
        )

    def describe_channel(self, name: str) -> ChannelView:
        return self._get(ChannelView, f"/notification-channels/{_seg(name)}")

    def delete_channel(self, name: str) -> None:
        """Delete a channel; the server refuses (409) while alerts or alarms send to it."""
        self.request("DELETE", f"/notification-channels/{_seg(name)}")


def _channel_body(spec: ChannelSpec) -> Any:
    """The channel's set fields, and always its ``kind`` (the field that tells the kinds apart)."""
    body = _body(spec)
    body["kind"] = spec.kind
    return body


_POINTS = TypeAdapter(list[MetricPoint])


def iterate(fetch: Callable[..., Page[T]], /, **kwargs: Any) -> Iterator[T]:
    """Every item of a listing, page after page: ``iterate(api.list_schedules, endpoint_name="churn")``."""
    token: str | None = None
    while True:
        page = fetch(**kwargs, next_token=token)
        yield from page.items
        token = page.next_token
        if not token:
            return

"""The capture record format (byte-exact) and DataCaptureConfig."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelwatch.capture import CaptureMode, DataCaptureConfig, build_record, record_line
from modelwatch.capture.record import capture_line
from modelwatch.errors import ConfigurationError

WHEN = datetime(2024, 5, 1, 13, 7, 12, 999_000, tzinfo=UTC)
EVENT = "3f1c2a9e-0d44-4b5e-9a51-7c2f3e8b9d10"


def _line(config: DataCaptureConfig | None = None, **kwargs: object) -> bytes:
    values: dict[str, object] = {
        "request_body": b"132,25,113.2",
        "request_content_type": "text/csv",
        "response_body": b"0.0107",
        "response_content_type": "text/csv; charset=utf-8",
        "inference_time": WHEN,
        "event_id": EVENT,
    }
    values.update(kwargs)
    config = config or DataCaptureConfig("/tmp/unused")
    line, truncated = capture_line(config, **values)  # type: ignore[arg-type]
    # the writer's text builder gives exactly what the JSON encoder makes of the record
    assert record_line(build_record(config, **values)) == line  # type: ignore[arg-type]
    assert truncated == ("truncated" in json.loads(line)["eventMetadata"])
    return line


@settings(max_examples=300, deadline=None)
@given(
    request=st.one_of(st.none(), st.binary(max_size=40), st.text(max_size=40).map(str.encode)),
    response=st.one_of(st.none(), st.binary(max_size=40), st.text(max_size=40).map(str.encode)),
    content_type=st.sampled_from([None, "", "text/csv", "Application/JSON; charset=utf-8", "image/png"]),
    inference_id=st.one_of(st.none(), st.text(max_size=20)),
    custom_attributes=st.one_of(st.none(), st.text(max_size=20)),
    limit=st.integers(1, 50),
)
def test_capture_line_is_the_json_encoding_of_the_record(
    request: bytes | None,
    response: bytes | None,
    content_type: str | None,
    inference_id: str | None,
    custom_attributes: str | None,
    limit: int,
) -> None:
    surrogate = any(0xD800 <= ord(c) <= 0xDFFF for c in (inference_id or "") + (custom_attributes or ""))
    if surrogate:  # not text a header can carry (latin-1 decoded)
        return
    config = DataCaptureConfig("/tmp/unused", max_payload_bytes=limit)
    line, truncated = capture_line(
        config,
        request_body=request,
        request_content_type=content_type,
        response_body=response,
        response_content_type=content_type,
        inference_id=inference_id,
        custom_attributes=custom_attributes,
        inference_time=WHEN,
        event_id=EVENT,
    )
    assert record_line(json.loads(line)) == line
    assert truncated == any(body is not None and len(body) > limit for body in (request, response))


def test_generated_event_ids_are_random_uuid4() -> None:
    config = DataCaptureConfig("/tmp/unused")
    ids = [
        build_record(config, request_body=b"1", request_content_type=None, response_body=None,
                     response_content_type=None)["eventMetadata"]["eventId"]
        for _ in range(2000)
    ]  # fmt: skip
    assert len(set(ids)) == 2000
    for text in ids:
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 4 and parsed.variant == uuid.RFC_4122
    assert {text[19] for text in ids} == set("89ab")  # the variant nibble's two random bits


def test_spec_example_byte_exact() -> None:
    expected = (
        b'{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT",'
        b'"data":"132,25,113.2","encoding":"CSV"},"endpointOutput":{"observedContentType":'
        b'"text/csv; charset=utf-8","mode":"OUTPUT","data":"0.0107","encoding":"CSV"}},'
        b'"eventMetadata":{"eventId":"3f1c2a9e-0d44-4b5e-9a51-7c2f3e8b9d10","inferenceId":"order-42",'
        b'"inferenceTime":"2024-05-01T13:07:12Z"},"eventVersion":"0"}\n'
    )
    assert _line(inference_id="order-42") == expected


def test_json_body_kept_verbatim_with_unicode_and_trailing_newline() -> None:
    body = '{"x": "café"}\n'.encode()
    line = _line(
        request_body=body,
        request_content_type="Application/JSON; charset=UTF-8",
        response_body=None,
    )
    assert (
        line
        == (
            '{"captureData":{"endpointInput":{"observedContentType":"Application/JSON; charset=UTF-8",'
            '"mode":"INPUT","data":"{\\"x\\": \\"café\\"}\\n","encoding":"JSON"}},'
            f'"eventMetadata":{{"eventId":"{EVENT}","inferenceTime":"2024-05-01T13:07:12Z"}},'
            '"eventVersion":"0"}\n'
        ).encode()
    )


def test_other_content_type_is_base64() -> None:
    raw = bytes(range(256))
    record = build_record(
        DataCaptureConfig("/x"),
        request_body=raw,
        request_content_type="image/png",
        response_body=b"",
        response_content_type="text/csv",
    )
    assert record["captureData"]["endpointInput"] == {
        "observedContentType": "image/png",
        "mode": "INPUT",
        "data": base64.b64encode(raw).decode(),
        "encoding": "BASE64",
    }
    assert record["captureData"]["endpointOutput"]["data"] == ""
    assert record["captureData"]["endpointOutput"]["encoding"] == "CSV"


def test_missing_content_type_omits_observed_type_and_uses_base64() -> None:
    for content_type in (None, ""):
        record = build_record(
            DataCaptureConfig("/x"),
            request_body=b"1,2",
            request_content_type=content_type,
            response_body=None,
            response_content_type=None,
        )
        assert list(record["captureData"]) == ["endpointInput"]
        assert record["captureData"]["endpointInput"] == {
            "mode": "INPUT",
            "data": "MSwy",
            "encoding": "BASE64",
        }


def test_invalid_utf8_csv_falls_back_to_base64() -> None:
    record = build_record(
        DataCaptureConfig("/x"),
        request_body=b"\xff\xfe,1",
        request_content_type="text/csv",
        response_body=None,
        response_content_type=None,
    )
    payload = record["captureData"]["endpointInput"]
    assert payload["encoding"] == "BASE64"
    assert base64.b64decode(payload["data"]) == b"\xff\xfe,1"


def test_no_content_type_lists_means_base64() -> None:
    config = DataCaptureConfig.from_sagemaker(
        {
            "InitialSamplingPercentage": 50,
            "DestinationS3Uri": "/x",
            "CaptureOptions": [{"CaptureMode": "Input"}],
        }
    )
    record = build_record(
        config,
        request_body=b"1,2",
        request_content_type="text/csv",
        response_body=b"x",
        response_content_type="text/csv",
    )
    assert record["captureData"] == {
        "endpointInput": {
            "observedContentType": "text/csv",
            "mode": "INPUT",
            "data": "MSwy",
            "encoding": "BASE64",
        }
    }


def test_truncation_cuts_to_limit_and_flags_it() -> None:
    config = DataCaptureConfig("/x", max_payload_bytes=4)
    line = _line(config, request_body=b"abcdefgh", response_body="aé€".encode(), inference_id="i")
    assert line == (
        b'{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT",'
        b'"data":"abcd","encoding":"CSV"},"endpointOutput":{"observedContentType":'
        b'"text/csv; charset=utf-8","mode":"OUTPUT","data":"a\xc3\xa9","encoding":"CSV"}},'
        b'"eventMetadata":{"eventId":"' + EVENT.encode() + b'","inferenceId":"i",'
        b'"inferenceTime":"2024-05-01T13:07:12Z","truncated":true},"eventVersion":"0"}\n'
    )
    binary = build_record(
        config,
        request_body=b"\x00" * 9,
        request_content_type="a/b",
        response_body=None,
        response_content_type=None,
    )
    assert base64.b64decode(binary["captureData"]["endpointInput"]["data"]) == b"\x00" * 4
    exact = build_record(
        config,
        request_body=b"abcd",
        request_content_type="text/csv",
        response_body=None,
        response_content_type=None,
    )
    assert "truncated" not in exact["eventMetadata"]


def test_metadata_key_order_with_custom_attributes() -> None:
    record = build_record(
        DataCaptureConfig("/x"),
        request_body=b"1",
        request_content_type="text/csv",
        response_body=b"2",
        response_content_type="text/csv",
        inference_id="id-1",
        custom_attributes="trace=abc,flag",
        inference_time=datetime(2024, 1, 2, 3, 4, 5),  # naive = UTC
    )
    assert list(record) == ["captureData", "eventMetadata", "eventVersion"]
    assert list(record["captureData"]) == ["endpointInput", "endpointOutput"]
    assert list(record["captureData"]["endpointOutput"]) == [
        "observedContentType",
        "mode",
        "data",
        "encoding",
    ]
    metadata = record["eventMetadata"]
    assert list(metadata) == ["eventId", "inferenceId", "inferenceTime", "customAttributes"]
    assert metadata["customAttributes"] == "trace=abc,flag"
    assert metadata["inferenceTime"] == "2024-01-02T03:04:05Z"
    assert len(metadata["eventId"]) == 36 and metadata["eventId"][14] == "4"
    assert record["eventVersion"] == "0"


def test_inference_time_converted_to_utc() -> None:
    eastern = datetime(2024, 1, 1, 23, 30, 0, tzinfo=timezone(timedelta(hours=-5)))
    record = build_record(
        DataCaptureConfig("/x"),
        request_body=b"1",
        request_content_type="text/csv",
        response_body=None,
        response_content_type=None,
        inference_time=eastern,
    )
    assert record["eventMetadata"]["inferenceTime"] == "2024-01-02T04:30:00Z"


def test_capture_modes_leave_out_the_other_side() -> None:
    config = DataCaptureConfig("/x", capture_modes=frozenset({CaptureMode.OUTPUT}))
    record = build_record(
        config,
        request_body=b"1",
        request_content_type="text/csv",
        response_body=b"2",
        response_content_type="text/csv",
    )
    assert list(record["captureData"]) == ["endpointOutput"]


def test_from_sagemaker_reads_every_field() -> None:
    config = DataCaptureConfig.from_sagemaker(
        {
            "EnableCapture": False,
            "InitialSamplingPercentage": 20,
            "DestinationS3Uri": "s3://bucket/capture",
            "KmsKeyId": "alias/x",
            "CaptureOptions": [{"CaptureMode": "Output"}],
            "CaptureContentTypeHeader": {
                "CsvContentTypes": ["text/csv", "text/plain"],
                "JsonContentTypes": [],
            },
        },
        roll_seconds=5.0,
    )
    assert config == DataCaptureConfig(
        destination_uri="s3://bucket/capture",
        enable_capture=False,
        sampling_percentage=20,
        capture_modes=frozenset({CaptureMode.OUTPUT}),
        csv_content_types=("text/csv", "text/plain"),
        json_content_types=(),
        roll_seconds=5.0,
    )
    both = DataCaptureConfig.from_sagemaker(
        {
            "InitialSamplingPercentage": 100,
            "DestinationS3Uri": "s3://b",
            "CaptureOptions": [{"CaptureMode": "InputAndOutput"}],
        }
    )
    assert both.enable_capture is True
    assert both.capture_modes == {CaptureMode.INPUT, CaptureMode.OUTPUT}
    assert both.csv_content_types == () and both.json_content_types == ()


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"DestinationS3Uri": "s3://b", "CaptureOptions": []}, "InitialSamplingPercentage"),
        ({"InitialSamplingPercentage": 1}, "DestinationS3Uri"),
        (
            {
                "InitialSamplingPercentage": 1,
                "DestinationS3Uri": "/x",
                "CaptureOptions": [{"CaptureMode": "Both"}],
            },
            "CaptureMode",
        ),
        ({"InitialSamplingPercentage": 101, "DestinationS3Uri": "/x"}, "sampling_percentage"),
    ],
)
def test_from_sagemaker_errors_name_the_field(config: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigurationError, match=field):
        DataCaptureConfig.from_sagemaker(config)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sampling_percentage", -1),
        ("sampling_percentage", 100.5),
        ("max_payload_bytes", 0),
        ("roll_bytes", -5),
        ("roll_seconds", 0),
        ("flush_seconds", float("nan")),
        ("queue_size", 0),
        ("disk_usage_limit", 0),
        ("disk_usage_limit", 1.5),
        ("destination_uri", ""),
        ("capture_modes", frozenset({"Sideways"})),
    ],
)
def test_config_validation_names_the_field(field: str, value: object) -> None:
    kwargs: dict[str, object] = {"destination_uri": "/x", field: value}
    with pytest.raises(ConfigurationError, match=f"DataCaptureConfig.{field}"):
        DataCaptureConfig(**kwargs)  # type: ignore[arg-type]


def test_config_accepts_mode_strings() -> None:
    config = DataCaptureConfig("/x", capture_modes=frozenset({"Input"}))  # type: ignore[arg-type]
    assert config.capture_modes == {CaptureMode.INPUT}


def test_content_type_lists_must_be_lists_of_strings() -> None:
    import pytest

    from modelwatch.capture.config import DataCaptureConfig
    from modelwatch.errors import ConfigurationError

    for bad in (5, "text/csv", [1]):
        with pytest.raises(ConfigurationError, match="CsvContentTypes must be a list of content types"):
            DataCaptureConfig.from_sagemaker(
                {
                    "DestinationS3Uri": "capture/",
                    "InitialSamplingPercentage": 5,
                    "CaptureContentTypeHeader": {"CsvContentTypes": bad},
                }
            )

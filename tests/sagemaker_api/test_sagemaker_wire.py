"""The endpoint itself, with a real boto3 client and raw HTTP: targets, bodies, errors."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from botocore.exceptions import ClientError


def _post(url: str, body: bytes, target: str | None) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": "application/x-amz-json-1.1"}
    if target is not None:
        headers["X-Amz-Target"] = target
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_an_operation_modelwatch_does_not_implement_is_a_400_naming_it(sagemaker_client: Any) -> None:
    client = sagemaker_client()
    with pytest.raises(ClientError) as caught:
        client.list_models()
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert caught.value.response["Error"]["Code"] == "UnknownOperationException"
    assert "SageMaker.ListModels" in caught.value.response["Error"]["Message"]


@pytest.mark.parametrize("body", [b"{", b"[1, 2]", b"\xff\xfe", b'"text"'])
def test_a_malformed_body_is_a_validation_error_not_a_500(server: str, body: bytes) -> None:

    target = "SageMaker.ListMonitoringSchedules"
    status, answer = _post(server + "/", body, target)
    assert status == 400 and answer["__type"] == "ValidationException", answer


def test_a_post_without_a_target_is_still_a_404(server: str) -> None:
    status, _ = _post(server + "/anything", b"{}", None)
    assert status == 404

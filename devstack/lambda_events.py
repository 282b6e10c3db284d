"""What Lambda hands a handler, built locally: the context object and the SQS message attributes' event shape."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable
from typing import Any


class FakeLambdaContext:
    """The attributes and method handlers (and Powertools) read from a Lambda context."""

    def __init__(
        self,
        function_name: str,
        region: str,
        account_id: str,
        memory_limit_in_mb: int = 128,
        timeout_seconds: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{account_id}:function:{function_name}"
        self.memory_limit_in_mb = memory_limit_in_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"local/[$LATEST]{uuid.uuid4().hex}"
        self._monotonic = monotonic
        self._deadline = monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - self._monotonic()) * 1000))


def lambda_message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    """SQS API attribute shape → the Lambda event's (camelCase, binary as base64)."""

    def b64(data: bytes | str) -> str:
        return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()

    out: dict[str, Any] = {
        "dataType": value.get("DataType", "String"),
        "stringListValues": list(value.get("StringListValues", [])),
        "binaryListValues": [b64(v) for v in value.get("BinaryListValues", [])],
    }
    if "StringValue" in value:
        out["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        out["binaryValue"] = b64(value["BinaryValue"])
    return out

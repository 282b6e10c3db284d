"""Settlement-level counts: DynamoDB requests classified from their body, SQS and S3 calls (the app's, the harness's)."""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any


def _values(body: dict[str, Any]) -> list[str]:
    return [v.get("S", "") for v in body.get("ExpressionAttributeValues", {}).values() if isinstance(v, dict)]


def classify(operation: str, raw: Any) -> str:
    """A settlement-level name for one DynamoDB request, from what it asks for."""
    try:
        body = json.loads(raw) if raw else {}
    except (TypeError, ValueError):
        body = {}
    values = _values(body)
    if operation == "Query":
        if body.get("IndexName") == "gsi2":
            return "Query gsi2 (shard page of wallets)"
        if body.get("IndexName") == "gsi1" and any(v.startswith("AUTODON#") for v in values):
            return "Query gsi1 (shard's automatic donations)"
        if any(v == "POLICY" for v in values):
            return "Query (policy cache refresh)"
        if any(v.startswith("SETTLE#") for v in values):
            return "Query (shard totals)"
        if any(v.startswith("U#") for v in values):
            return "Query (resident's ledger)"
        return "Query (other)"
    if operation == "BatchGetItem":
        keys = [k for t in body.get("RequestItems", {}).values() for k in t.get("Keys", [])]
        if any(k.get("sk", {}).get("S") == "WALLET" for k in keys):
            return "BatchGetItem (re-read after a lost race or a books mismatch)"
        return "BatchGetItem (month counters of a page)"
    if operation == "TransactWriteItems":
        text = json.dumps(body.get("TransactItems", []))
        return "TransactWriteItems (shard done)" if "SETTLE#" in text else "TransactWriteItems (credit)"
    if operation == "BatchWriteItem":
        return "BatchWriteItem (merchant lines)"
    return f"{operation} (run record)" if operation in ("GetItem", "PutItem", "UpdateItem") else operation


class Tallies:
    """Settlement-level counts: DynamoDB by kind (from the request body), SQS and S3 calls of the app,
    and the calls that stand in for Lambda's event source mapping (the harness's own client)."""

    _installed: Tallies | None = None

    def __init__(self) -> None:
        self.dynamodb: Counter[str] = Counter()
        self.app_calls: Counter[str] = Counter()
        self.harness_calls: Counter[str] = Counter()
        self.harness_clients: set[int] = set()
        self.emulator_s = 0.0

    @classmethod
    def install(cls) -> Tallies:
        if cls._installed is not None:
            return cls._installed
        import botocore.client
        import botocore.handlers
        from moto.core.botocore_stubber import BotocoreStubber

        t = cls()

        def on_send(event_name: str = "", request: Any = None, **_: Any) -> None:
            t.dynamodb[classify(event_name.rsplit(".", 1)[-1], getattr(request, "body", None))] += 1

        botocore.handlers.BUILTIN_HANDLERS.append(("before-send.dynamodb", on_send))
        original = getattr(botocore.client.BaseClient, "_make_api_call")  # noqa: B009

        def counting_call(client: Any, operation_name: str, api_params: Any) -> Any:
            service = client.meta.service_model.service_name
            if service in ("sqs", "s3"):
                into = t.harness_calls if id(client) in t.harness_clients else t.app_calls
                into[f"{service.upper()} {operation_name}"] += 1
            return original(client, operation_name, api_params)

        setattr(botocore.client.BaseClient, "_make_api_call", counting_call)  # noqa: B010
        emulate = BotocoreStubber.__call__

        def timed(self: Any, *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return emulate(self, *args, **kwargs)
            finally:
                t.emulator_s += time.perf_counter() - started

        BotocoreStubber.__call__ = timed  # type: ignore[method-assign]
        cls._installed = t
        return t

    def snapshot(self) -> tuple[Counter[str], Counter[str], Counter[str], float]:
        return Counter(self.dynamodb), Counter(self.app_calls), Counter(self.harness_calls), self.emulator_s

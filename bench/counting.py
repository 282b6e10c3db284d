"""Counting DynamoDB requests where botocore sends them.

PynamoDB builds its own botocore session and client (`pynamodb.connection.base.Connection.client`), a new
one per `Connection` object, so a hook on one client is not enough. Every botocore session registers
`botocore.handlers.BUILTIN_HANDLERS` when it is created (moto's in-process mock hooks in the same way), so
a handler added there before the app builds its first client sees every DynamoDB client the app makes.

Three things are counted, per DynamoDB operation name:

- requests: `before-send.dynamodb.<Operation>` fires once per HTTP attempt, after signing and just before
  the request goes on the wire (or to moto's stub). Retries are separate attempts, and PynamoDB's
  follow-ups for a BatchGetItem's `UnprocessedKeys` are separate calls, so both are counted. This is the
  figure AWS bills and the one the targets are about.
- calls: `BaseClient._make_api_call`, one per API call whatever the retries. A cross-check: if calls ever
  exceed requests, some client escaped the event hook and the figures are wrong.
  A `Query` of the policy partition is counted as `POLICY_QUERY`, so the policy cache's refreshes (one
  Query per cache lifetime per process) can be told apart from what an operation itself asks for.
- clients: `creating-client-class.dynamodb`, one per botocore client built (a new client costs CPU and,
  against real AWS, a new TLS connection).

Calls to other AWS services (`_make_api_call` of any other client: KMS for a gift's claim code, S3, SQS) are
counted apart, per service and operation (`KMS GenerateDataKey`), never with the DynamoDB figures.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

POLICY_QUERY = "Query (policy cache refresh)"
POLICY_PARTITION = {"S": "POLICY"}


def _is_policy_query(body: Any) -> bool:
    try:
        sent = json.loads(body)
    except (TypeError, ValueError):
        return False
    values = sent.get("ExpressionAttributeValues", {}) if isinstance(sent, dict) else {}
    return POLICY_PARTITION in values.values()


@dataclass(frozen=True)
class Tally:
    """What happened between two snapshots."""

    requests: Counter[str] = field(default_factory=Counter)
    calls: Counter[str] = field(default_factory=Counter)
    clients: int = 0
    other_calls: Counter[str] = field(default_factory=Counter)
    """API calls to other services, as `"<service id> <operation>"`."""

    def __sub__(self, other: Tally) -> Tally:
        return Tally(self.requests - other.requests, self.calls - other.calls, self.clients - other.clients,
                     self.other_calls - other.other_calls)

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())


class RequestCounter:
    """Process-wide DynamoDB request counter; `install()` once, before the app makes any client."""

    _installed: RequestCounter | None = None

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: Counter[str] = Counter()
        self._calls: Counter[str] = Counter()
        self._other: Counter[str] = Counter()
        self._clients = 0

    @classmethod
    def install(cls) -> RequestCounter:
        if cls._installed is not None:
            return cls._installed
        import botocore.client
        import botocore.handlers

        counter = cls()
        botocore.handlers.BUILTIN_HANDLERS.append(("before-send.dynamodb", counter._on_send))
        botocore.handlers.BUILTIN_HANDLERS.append(("creating-client-class.dynamodb", counter._on_client))

        original = getattr(botocore.client.BaseClient, "_make_api_call")  # noqa: B009 (private, untyped)

        def counting_call(client: Any, operation_name: str, api_params: Any) -> Any:
            model = client.meta.service_model
            with counter._lock:
                if model.service_name == "dynamodb":
                    counter._calls[operation_name] += 1
                else:
                    counter._other[f"{model.service_id} {operation_name}"] += 1
            return original(client, operation_name, api_params)

        setattr(botocore.client.BaseClient, "_make_api_call", counting_call)  # noqa: B010
        cls._installed = counter
        return counter

    def _on_send(self, event_name: str = "", request: Any = None, **_: Any) -> None:
        # "before-send.dynamodb.BatchGetItem" -> "BatchGetItem". Returning None lets the request go on.
        operation = event_name.rsplit(".", 1)[-1]
        if operation == "Query" and _is_policy_query(getattr(request, "body", None)):
            operation = POLICY_QUERY
        with self._lock:
            self._requests[operation] += 1

    def _on_client(self, **_: Any) -> None:
        with self._lock:
            self._clients += 1

    def snapshot(self) -> Tally:
        with self._lock:
            return Tally(Counter(self._requests), Counter(self._calls), self._clients, Counter(self._other))

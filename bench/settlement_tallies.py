"""Settlement-level counts: DynamoDB requests classified from their body, the write units they cost, SQS and S3
calls (the app's, the harness's).

Write units are computed from the items in each request as it is sent, the way DynamoDB bills them: every item
written costs one unit per KB (rounded up) of its size, two in a transaction, plus one unit for each global
secondary index whose key the written item carries. Sizes follow DynamoDB's rules (an attribute is its name's
UTF-8 bytes plus its value's: a string's UTF-8 bytes, a number's one byte per two significant digits plus one,
3 bytes plus one per element for a list or map, 1 for a boolean or null). An update is sized by what it sends (the
key and the values it sets): DynamoDB bills the larger of the item before and after, which only the table knows,
so for the run record's counters this is a floor, and for `finish_run` (which sends the totals) close to it. A
delete or condition check is sized by its key.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from decimal import Decimal
from typing import Any

INDEX_KEYS = ("gsi1pk", "gsi2pk")
"""The table's global secondary indexes (infra/resources.yaml), by their partition key's attribute."""


def _values(body: dict[str, Any]) -> list[str]:
    return [v.get("S", "") for v in body.get("ExpressionAttributeValues", {}).values() if isinstance(v, dict)]


def classify(operation: str, raw: Any) -> str:
    """A settlement-level name for one DynamoDB request, from what it asks for."""
    try:
        body = json.loads(raw) if raw else {}
    except (TypeError, ValueError):
        body = {}
    values = _values(body)
    if operation == "Scan":
        return "Scan (books check: a segment's page)"
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
            return "Query (books check: one resident read again)"
        return "Query (other)"
    if operation == "BatchGetItem":
        keys = [k for t in body.get("RequestItems", {}).values() for k in t.get("Keys", [])]
        if any(k.get("sk", {}).get("S") == "WALLET" for k in keys):
            return "BatchGetItem (re-read after a lost race)"
        return "BatchGetItem (month counters of a page)"
    if operation == "TransactWriteItems":
        keys = [(op.get("Item") or op.get("Key") or {}) for entry in body.get("TransactItems", [])
                for op in entry.values()]
        sks = [k.get("sk", {}).get("S", "") for k in keys if k.get("pk", {}).get("S", "").startswith("SETTLE#")]
        if any(sk.startswith("SHARD#BOOKS#") for sk in sks):
            return "TransactWriteItems (books segment done)"
        if any(sk.startswith("SHARD#") for sk in sks):
            return "TransactWriteItems (shard done)"
        return "TransactWriteItems (run started)" if sks else "TransactWriteItems (credit)"
    if operation == "BatchWriteItem":
        return "BatchWriteItem (merchant lines)"
    return f"{operation} (run record)" if operation in ("GetItem", "PutItem", "UpdateItem") else operation


def value_bytes(value: dict[str, Any]) -> int:
    """The size DynamoDB counts for one attribute value in wire form."""
    (kind, v), = value.items()
    if kind == "S":
        return len(v.encode("utf-8"))
    if kind == "N":
        digits = Decimal(v).normalize().as_tuple().digits
        return (len(digits) + 1) // 2 + 1
    if kind == "B":
        return len(v) * 3 // 4
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(value_bytes(x) + 1 for x in v)
    if kind == "M":
        return 3 + sum(len(k.encode("utf-8")) + value_bytes(x) + 1 for k, x in v.items())
    if kind in ("SS", "NS", "BS"):
        return sum(value_bytes({kind[0]: x}) for x in v)
    return 0


def item_bytes(attrs: dict[str, Any]) -> int:
    return sum(len(name.encode("utf-8")) + value_bytes(v) for name, v in attrs.items())


def _units(size: int, per_kb: int) -> int:
    return max(1, math.ceil(size / 1024)) * per_kb


def _put_units(item: dict[str, Any], per_kb: int) -> int:
    return _units(item_bytes(item), per_kb) + sum(1 for k in INDEX_KEYS if k in item)


def _update_bytes(op: dict[str, Any]) -> int:
    return item_bytes(op.get("Key", {})) + sum(value_bytes(v) for v in op.get("ExpressionAttributeValues", {}).values())


def write_units(operation: str, raw: Any) -> int:
    """The write units one request costs, from what it sends (see the module's docstring)."""
    try:
        body = json.loads(raw) if raw else {}
    except (TypeError, ValueError):
        return 0
    if operation == "TransactWriteItems":
        total = 0
        for entry in body.get("TransactItems", []):
            (kind, op), = entry.items()
            if kind == "Put":
                total += _put_units(op["Item"], 2)
            elif kind == "Update":
                total += _units(_update_bytes(op), 2)
            else:  # Delete, ConditionCheck
                total += _units(item_bytes(op.get("Key", {})), 2)
        return total
    if operation == "PutItem":
        return _put_units(body.get("Item", {}), 1)
    if operation == "UpdateItem":
        return _units(_update_bytes(body), 1)
    if operation == "DeleteItem":
        return _units(item_bytes(body.get("Key", {})), 1)
    if operation == "BatchWriteItem":
        total = 0
        for requests in body.get("RequestItems", {}).values():
            for r in requests:
                total += (_put_units(r["PutRequest"]["Item"], 1) if "PutRequest" in r
                          else _units(item_bytes(r.get("DeleteRequest", {}).get("Key", {})), 1))
        return total
    return 0


class Tallies:
    """Settlement-level counts: DynamoDB by kind (from the request body), SQS and S3 calls of the app,
    and the calls that stand in for Lambda's event source mapping (the harness's own client)."""

    _installed: Tallies | None = None

    def __init__(self) -> None:
        self.dynamodb: Counter[str] = Counter()
        self.write_units: Counter[str] = Counter()
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
            operation, body = event_name.rsplit(".", 1)[-1], getattr(request, "body", None)
            label = classify(operation, body)
            t.dynamodb[label] += 1
            units = write_units(operation, body)
            if units:
                t.write_units[label] += units

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

    def snapshot(self) -> tuple[Counter[str], Counter[str], Counter[str], float, Counter[str]]:
        return (Counter(self.dynamodb), Counter(self.app_calls), Counter(self.harness_calls), self.emulator_s,
                Counter(self.write_units))

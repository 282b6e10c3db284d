"""`POST /payments` against its floor: the same DynamoDB requests written by hand with boto3, in the same run.

Two residents start alike (the same wallet, the same top-up). In turn, one pays through the app the way Lambda
calls it (`app(event, context)`: routing, token verification, validation, use case, PynamoDB), and its two
requests — the `BatchGetItem` and the `TransactWriteItems` — are recorded as sent; then the twin makes the very
same two requests with a plain boto3 client, the resident's id, the payment's id and the idempotency key
swapped for the twin's, so the same items are read and written under the same conditions (the twin's wallet is
at the same version as the payer's was). Both run on the same moto (with devstack/moto_index.py), alternately,
so what the emulator costs is the same on both sides; the ratio of the medians is the app's overhead over the
floor. Every floor transaction must succeed, or the benchmark stops.
"""

from __future__ import annotations

import gc
import json
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from bench.moto_app import REGION, new_key, prepare_environment, running_app

TARGET = 1.3
"""Our `POST /payments` may take at most this many times the floor (issue 17)."""
MERCHANT_BIZ = "2208162517"


@dataclass(frozen=True)
class FloorFigures:
    reps: int
    app_ms: list[float]
    floor_ms: list[float]

    @property
    def app_median(self) -> float:
        return statistics.median(self.app_ms)

    @property
    def floor_median(self) -> float:
        return statistics.median(self.floor_ms)

    @property
    def ratio(self) -> float:
        return self.app_median / self.floor_median

    def as_json(self) -> dict[str, Any]:
        return {"reps": self.reps, "app_median_ms": round(self.app_median, 3),
                "floor_median_ms": round(self.floor_median, 3), "ratio": round(self.ratio, 3),
                "target": TARGET, "met": self.ratio <= TARGET}


GC_EVERY = 10
"""Iterations between two untimed collections of the cyclic garbage collector."""


def _event(token: str, body: dict[str, Any], key: str) -> dict[str, Any]:
    return {
        "requestContext": {"httpMethod": "POST", "resourcePath": "/payments", "path": "/payments",
                           "identity": {"sourceIp": "127.0.0.1"}, "stage": "api", "requestId": key},
        "headers": {"authorization": f"Bearer {token}", "host": "bench.local", "content-type": "application/json",
                    "idempotency-key": key},
        "multiValueQueryStringParameters": None, "pathParameters": None, "stageVariables": None,
        "body": json.dumps(body), "isBase64Encoded": False,
    }


def _swap(params: dict[str, Any], swaps: dict[str, str]) -> dict[str, Any]:
    text = json.dumps(params, ensure_ascii=False)
    for old, new in swaps.items():
        text = text.replace(old, new)
    swapped: dict[str, Any] = json.loads(text)
    return swapped


def run(reps: int = 200, warmup: int = 20) -> FloorFigures:
    prepare_environment()
    import boto3
    import botocore.client

    from devstack.moto_index import indexed_moto

    sent: list[tuple[str, dict[str, Any]]] = []
    original = getattr(botocore.client.BaseClient, "_make_api_call")  # noqa: B009

    def recording(self: Any, operation: str, params: dict[str, Any]) -> Any:
        if self.meta.service_model.service_name == "dynamodb":
            sent.append((operation, params))
        return original(self, operation, params)

    app_ms: list[float] = []
    floor_ms: list[float] = []
    with tempfile.TemporaryDirectory(prefix="seoro-floor-") as tmp, indexed_moto(), \
            running_app(Path(tmp)) as (http, _):
        from app import app

        merchant = http.call("POST", "/staff/merchants", role="staff", sub="staff-bench", expect=201,
                             body={"name": "바닥 분식", "business_number": MERCHANT_BIZ, "dong": "청라1동",
                                   "category": "restaurant", "benefit_plus": True, "discount_rate": 5})
        mid = str(merchant["merchant_id"])
        for sub in ("floor-payer", "floor-twin"):
            http.call("POST", "/wallet", role="resident", sub=sub, expect=201,
                      body={"dong": "청라1동", "agree_terms": True})
            http.call("POST", "/wallet/charges", role="resident", sub=sub, expect=201, body={"amount": 1_000_000},
                      key=new_key())
        token = http._token("resident", "floor-payer", None)
        raw = boto3.client("dynamodb", region_name=REGION)
        context = SimpleNamespace(aws_request_id="bench", function_name="seoro-bench", memory_limit_in_mb=1024)
        setattr(botocore.client.BaseClient, "_make_api_call", recording)  # noqa: B010
        # The cyclic collector runs between iterations, untimed: with moto's whole table on this process's heap a
        # collection costs milliseconds, and it falls on whichever side allocates when the threshold trips, in a
        # pattern locked to the loop's (measured: ±0.05 on the ratio, one way or the other, run to run).
        gc.disable()
        try:
            for i in range(warmup + reps):
                if i % GC_EVERY == 0:
                    gc.collect()
                key = new_key()
                sent.clear()
                started = time.perf_counter()
                answer = app(_event(token, {"merchant_id": mid, "amount": 1_000}, key), context)
                took = (time.perf_counter() - started) * 1000
                if answer["statusCode"] != 201:
                    raise SystemExit(f"POST /payments answered {answer['statusCode']}: {answer['body']}")
                ops = [op for op, _ in sent]
                if ops != ["BatchGetItem", "TransactWriteItems"]:
                    raise SystemExit(f"POST /payments made {ops}, not one read and one transaction")
                payment_id = json.loads(answer["body"])["payment_id"]
                swaps = {"floor-payer": "floor-twin", payment_id: payment_id + "t", key: key + "t"}
                read, write = (_swap(params, swaps) for _, params in sent)
                started = time.perf_counter()
                raw.batch_get_item(**read)
                raw.transact_write_items(**write)
                floor = (time.perf_counter() - started) * 1000
                if i >= warmup:
                    app_ms.append(took)
                    floor_ms.append(floor)
        finally:
            gc.enable()
            setattr(botocore.client.BaseClient, "_make_api_call", original)  # noqa: B010
        payer = http.call("GET", "/wallet", role="resident", sub="floor-payer", expect=200)
        twin = http.call("GET", "/wallet", role="resident", sub="floor-twin", expect=200)
        if payer["charged_balance"] != twin["charged_balance"]:
            raise SystemExit("the floor's writes did not leave the twin's wallet where the app left the payer's")
    return FloorFigures(reps, app_ms, floor_ms)


def markdown(f: FloorFigures) -> str:
    return "\n".join([
        f"`POST /payments` through `app(event, context)` against the same `BatchGetItem` + `TransactWriteItems` "
        f"sent with a plain boto3 client (`bench/floor.py`; {f.reps} of each, alternately, on the same in-process "
        "moto with devstack/moto_index.py):",
        "",
        "| | median ms |",
        "|---|---:|",
        f"| our `POST /payments` (token, validation, use case, PynamoDB) | {f.app_median:.2f} |",
        f"| the floor: the same two requests by hand | {f.floor_median:.2f} |",
        f"| **ratio** (target ≤ {TARGET}×) | **{f.ratio:.2f}×** |",
    ])

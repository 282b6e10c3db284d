"""DynamoDB requests per operation on a warm process: the real routes on moto in-process.

The app runs exactly as the service tests run it: the stack is created from `infra/resources.yaml` by
moto's CloudFormation, the settings, clock and bank are injected with `composition.override`, and every
request goes through `chalice.test.Client` (routing, token verification, validation, handler, store).
Each operation is warmed up, then repeated; each repetition is bracketed by counter snapshots. moto runs with
devstack/moto_index.py, as the local stack's does: the same answers, at a cost per request that does not grow
with the table.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench.counting import RequestCounter
from bench.measure import OpResult, measure
from bench.moto_app import REGION, new_key, prepare_environment, running_app

__all__ = ["OpResult", "client_build_ms", "run"]

MERCHANT_BIZ = "2208162517"  # a valid business registration number (check digit holds)


def client_build_ms(times: int = 5) -> float:
    """Median time to build the botocore client of a new `pynamodb.connection.Connection` (warm process)."""
    from pynamodb.connection import Connection

    samples = []
    for _ in range(times):
        started = time.perf_counter()
        _ = Connection(region=REGION).client
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def run(reps: int = 50, warmup: int = 5) -> tuple[list[OpResult], float]:
    """Measure every operation (one result each, in report order) and the cost of building a client."""
    prepare_environment()
    counter = RequestCounter.install()
    results: list[OpResult] = []
    from devstack.moto_index import indexed_moto

    # moto with devstack/moto_index.py (its answers are moto's own: tests/service/test_moto_index.py), so that an
    # operation measured late, on a table the earlier ones filled, does not pay moto's O(table) costs
    with tempfile.TemporaryDirectory(prefix="seoro-bench-") as tmp, indexed_moto(), \
            running_app(Path(tmp)) as (http, fresh):
        # ---- setup, not measured ----
        merchant = http.call(
            "POST", "/staff/merchants", role="staff", sub="staff-bench", expect=201,
            body={"name": "벤치 분식", "business_number": MERCHANT_BIZ, "dong": "청라1동",
                  "category": "restaurant", "benefit_plus": True, "discount_rate": 5},
        )
        mid = str(merchant["merchant_id"])
        residents = ("payer", "charger", "refundee")
        for sub in residents:
            http.call("POST", "/wallet", role="resident", sub=sub, expect=201,
                      body={"dong": "청라1동", "agree_terms": True})
        for sub in ("payer", "refundee"):
            http.call("POST", "/wallet/charges", role="resident", sub=sub, expect=201,
                      body={"amount": 500_000}, key=new_key())
        # Partial refunds, several per payment (the same two requests as a full one), keep the setup short.
        per_payment = 10
        to_refund = [
            str(http.call("POST", "/payments", role="resident", sub="refundee", expect=201, key=new_key(),
                          body={"merchant_id": mid, "amount": 10_000})["payment_id"])
            for _ in range(-(-(warmup + reps) // per_payment))
        ]
        replay_key = new_key()
        replay_body = {"merchant_id": mid, "amount": 1_500}
        original = http.call("POST", "/payments", role="resident", sub="payer", expect=201,
                             key=replay_key, body=replay_body)

        # ---- measured ----
        def pay(_: int) -> None:
            http.call("POST", "/payments", role="resident", sub="payer", expect=201, key=new_key(),
                      body={"merchant_id": mid, "amount": 1_000})

        def charge(_: int) -> None:
            http.call("POST", "/wallet/charges", role="resident", sub="charger", expect=201, key=new_key(),
                      body={"amount": 10_000})

        def wallet(_: int) -> None:
            http.call("GET", "/wallet", role="resident", sub="payer", expect=200)

        refunds = iter([pid for pid in to_refund for _ in range(per_payment)])

        def refund(_: int) -> None:
            http.call("POST", f"/merchant/payments/{next(refunds)}/refunds", role="merchant",
                      sub="owner-bench", merchant_id=mid, expect=200, key=new_key(), body={"amount": 500})

        def replay(_: int) -> None:
            again = http.call("POST", "/payments", role="resident", sub="payer", expect=201,
                              key=replay_key, body=replay_body)
            if again != original:
                raise RuntimeError("the idempotent replay answered differently from the original")

        def one_payment(_: int) -> None:
            http.call("GET", f"/payments/{original['payment_id']}", role="resident", sub="payer", expect=200)

        def list_payments(_: int) -> None:
            http.call("GET", "/payments?limit=20", role="resident", sub="payer", expect=200)

        # ---- orders: setup, not measured ----
        shop = str(http.call(
            "POST", "/staff/merchants", role="staff", sub="staff-bench", expect=201,
            body={"name": "벤치 배달", "business_number": "1248100998", "dong": "청라1동", "category": "restaurant",
                  "benefit_plus": True, "discount_rate": 5,
                  "delivery": {"fee": 2_000, "min_order": 5_000, "dongs": ["청라1동"]}, "malls": ["only-seogu"]},
        )["merchant_id"])
        http.call("PUT", "/merchant/menu", role="merchant", sub="owner-shop", merchant_id=shop, expect=200,
                  body={"items": [{"item_id": "tteok", "name": "떡볶이", "price": 5_000, "available": True}]})
        http.call("PUT", "/merchant/products/rice", role="merchant", sub="owner-shop", merchant_id=shop, expect=200,
                  body={"mall": "only-seogu", "name": "쌀", "price": 5_000, "stock": 10_000, "shipping_fee": 0})
        for sub in ("diner", "shopper"):
            http.call("POST", "/wallet", role="resident", sub=sub, expect=201,
                      body={"dong": "청라1동", "agree_terms": True})
            http.call("POST", "/wallet/charges", role="resident", sub=sub, expect=201,
                      body={"amount": 1_000_000}, key=new_key())
        placed: list[str] = []
        mall_placed: list[str] = []

        def place_order(_: int) -> None:
            out = http.call("POST", "/orders", role="resident", sub="diner", expect=201, key=new_key(),
                            body={"merchant_id": shop, "items": [{"item_id": "tteok", "quantity": 1}],
                                  "address": "청라동 1"})
            placed.append(str(out["order_id"]))

        def place_mall_order(_: int) -> None:
            out = http.call("POST", "/mall/orders", role="resident", sub="shopper", expect=201, key=new_key(),
                            body={"mall": "only-seogu", "items": [{"product_id": "rice", "quantity": 1}],
                                  "shipping": {"name": "홍길동", "phone": "010-1234-5678", "address": "청라동 1",
                                               "postcode": "22742"},
                                  "consent": {"third_party_provision": True, "version": "2020-01"}})
            mall_placed.append(str(out["order_id"]))

        queues: dict[str, Iterator[str]] = {}

        def step(path: str, body: Any = None) -> Callable[[int], None]:
            kind = "delivery" if "/merchant/orders/" in path else "mall"
            queue = queues.setdefault(kind, iter(placed if kind == "delivery" else mall_placed))

            def run_step(_: int) -> None:
                http.call("POST", path.format(next(queue)), role="merchant", sub="owner-shop", merchant_id=shop,
                          expect=200, body=body)

            return run_step

        results.append(measure(counter, "POST /payments", 2, pay, warmup, reps))
        results.append(measure(counter, "POST /wallet/charges", 2, charge, warmup, reps))
        results.append(measure(counter, "GET /wallet", 1, wallet, warmup, reps))
        results.append(measure(counter, "POST /merchant/payments/{id}/refunds", 2, refund, warmup, reps,
                                note="the payment id names the payer and month, sealed: one BatchGetItem"))
        results.append(measure(counter, "POST /payments (idempotent replay)", None, replay, warmup, reps,
                                note="same key and body as an earlier payment"))
        results.append(measure(counter, "GET /payments/{id}", None, one_payment, warmup, reps))
        results.append(measure(counter, "GET /payments?limit=20", None, list_payments, warmup, reps))
        results.append(measure(counter, "POST /orders", 2, place_order, warmup, reps,
                                note="menu read in the same BatchGetItem as the wallet"))
        results.append(measure(counter, "POST /merchant/orders/{id}/accept", 2,
                                step("/merchant/orders/{}/accept", {"eta_minutes": 20}), warmup, reps))
        for i in range(reps // 2):
            place_order(i)   # fresh placed orders to reject (setup, not measured)
        results.append(measure(counter, "POST /merchant/orders/{id}/reject (full refund)", 2,
                                step("/merchant/orders/{}/reject", {"reason": "bench"}), 0, reps // 2,
                                note="order, payment, wallet and month in one read (the order id names them)"))
        results.append(measure(counter, "POST /mall/orders", 2, place_mall_order, warmup, reps,
                                note="stock taken in the payment's transaction"))
        results.append(measure(counter, "POST /merchant/mall-orders/{id}/ship", 2,
                                step("/merchant/mall-orders/{}/ship", {"carrier": "c", "tracking_number": "1"}),
                                warmup, reps))

        # ---- donations: setup, not measured ----
        http.call("POST", "/wallet", role="resident", sub="donor", expect=201,
                  body={"dong": "청라1동", "agree_terms": True})
        from chalicelib import composition
        from tests.support import grant_cashback

        grant_cashback(composition.container().repos, "donor", 1_000_000, "2020-03-10T21:00:00+09:00")

        def donate(i: int) -> None:
            http.call("POST", "/donations", role="resident", sub="donor", expect=201, key=new_key(),
                      body={"amount": 100, **({"campaign_id": "solitary-elderly"} if i % 2 else {})})

        def donation_statement(_: int) -> None:
            http.call("GET", "/donations?year=2020&limit=20", role="resident", sub="donor", expect=200)

        results.append(measure(counter, "POST /donations", 2, donate, warmup, reps,
                                note="campaign, donor marker and year summary read with the wallet"))
        results.append(measure(counter, "GET /donations?year=", None, donation_statement, warmup, reps))

        # The first request a new process serves: the container (store, policy cache, verifier) is new.
        def cold(_: int) -> None:
            fresh()
            wallet(0)

        results.append(measure(counter, "GET /wallet, first request of a process", None, cold, 0, 5,
                                note="new container each time: policy cache empty, new PynamoDB connection"))

        def cold_pay(i: int) -> None:
            fresh()
            pay(i)

        results.append(measure(counter, "POST /payments, first request of a process", None, cold_pay, 0, 5,
                                note="new container each time"))
        build_ms = client_build_ms()

        # Issue 15's operations after the rows above, so that those run on the table they always ran on; they are
        # listed before the first-request rows.
        from bench import requests_issue15

        added = requests_issue15.run(http, counter, warmup, reps, plus_shop=mid)
        results[-2:-2] = added
    return results, build_ms

"""DynamoDB requests per operation on a warm process: the real routes on moto in-process.

The app runs exactly as the service tests run it: the stack is created from `infra/resources.yaml` by
moto's CloudFormation, the settings, clock and bank are injected with `composition.override`, and every
request goes through `chalice.test.Client` (routing, token verification, validation, handler, store).
Each operation is warmed up, then repeated; each repetition is bracketed by counter snapshots.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.counting import POLICY_QUERY, RequestCounter, Tally
from bench.moto_app import REGION, new_key, prepare_environment, running_app

MERCHANT_BIZ = "2208162517"  # a valid business registration number (check digit holds)


@dataclass(frozen=True)
class OpResult:
    """One operation's figures over its measured repetitions."""

    name: str
    target: int | None
    reps: int
    requests: list[int]
    breakdown: dict[str, float]
    mean_calls: float
    clients_per_op: float
    ms: list[float]
    policy_refreshes: list[int]
    note: str = ""

    @property
    def mean_requests(self) -> float:
        return statistics.fmean(self.requests)

    @property
    def steady(self) -> list[int]:
        """Requests per repetition without the policy cache's refresh (once per cache lifetime)."""
        return [r - p for r, p in zip(self.requests, self.policy_refreshes, strict=True)]

    @property
    def refreshed(self) -> int:
        """How many repetitions happened to pay the policy cache's refresh."""
        return sum(1 for p in self.policy_refreshes if p)

    @property
    def met(self) -> bool | None:
        """Judged on every repetition, the policy refresh aside (it is a per-process, per-minute cost)."""
        return None if self.target is None else max(self.steady) <= self.target

    @property
    def mean_ms(self) -> float:
        return statistics.fmean(self.ms)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.ms)


def _measure(
    counter: RequestCounter,
    name: str,
    target: int | None,
    step: Callable[[int], None],
    warmup: int,
    reps: int,
    note: str = "",
) -> OpResult:
    for i in range(warmup):
        step(-1 - i)
    tallies: list[Tally] = []
    ms: list[float] = []
    for i in range(reps):
        before = counter.snapshot()
        started = time.perf_counter()
        step(i)
        ms.append((time.perf_counter() - started) * 1000)
        tallies.append(counter.snapshot() - before)
    by_op: Counter[str] = Counter()
    for t in tallies:
        by_op.update(t.requests)
    return OpResult(
        name=name,
        target=target,
        reps=reps,
        requests=[t.total_requests for t in tallies],
        breakdown={op: n / reps for op, n in sorted(by_op.items())},
        mean_calls=statistics.fmean(t.total_calls for t in tallies),
        clients_per_op=statistics.fmean(t.clients for t in tallies),
        ms=ms,
        policy_refreshes=[t.requests.get(POLICY_QUERY, 0) for t in tallies],
        note=note,
    )


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
    with tempfile.TemporaryDirectory(prefix="seoro-bench-") as tmp, running_app(Path(tmp)) as (http, fresh):
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
        # Partial refunds, several per payment (the same three requests as a full one), keep the setup short.
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

        results.append(_measure(counter, "POST /payments", 2, pay, warmup, reps))
        results.append(_measure(counter, "POST /wallet/charges", 2, charge, warmup, reps))
        results.append(_measure(counter, "GET /wallet", 1, wallet, warmup, reps))
        results.append(_measure(counter, "POST /merchant/payments/{id}/refunds", None, refund, warmup, reps))
        results.append(_measure(counter, "POST /payments (idempotent replay)", None, replay, warmup, reps,
                                note="same key and body as an earlier payment"))
        results.append(_measure(counter, "GET /payments/{id}", None, one_payment, warmup, reps))
        results.append(_measure(counter, "GET /payments?limit=20", None, list_payments, warmup, reps))
        results.append(_measure(counter, "POST /orders", 2, place_order, warmup, reps,
                                note="menu read in the same BatchGetItem as the wallet"))
        results.append(_measure(counter, "POST /merchant/orders/{id}/accept", 2,
                                step("/merchant/orders/{}/accept", {"eta_minutes": 20}), warmup, reps))
        for i in range(reps // 2):
            place_order(i)   # fresh placed orders to reject (setup, not measured)
        results.append(_measure(counter, "POST /merchant/orders/{id}/reject (full refund)", 3,
                                step("/merchant/orders/{}/reject", {"reason": "bench"}), 0, reps // 2,
                                note="order read, then payment + wallet + month read, then one transaction"))
        results.append(_measure(counter, "POST /mall/orders", 2, place_mall_order, warmup, reps,
                                note="stock taken in the payment's transaction"))
        results.append(_measure(counter, "POST /merchant/mall-orders/{id}/ship", 2,
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

        results.append(_measure(counter, "POST /donations", 2, donate, warmup, reps,
                                note="campaign, donor marker and year summary read with the wallet"))
        results.append(_measure(counter, "GET /donations?year=", None, donation_statement, warmup, reps))

        # The first request a new process serves: the container (store, policy cache, verifier) is new.
        def cold(_: int) -> None:
            fresh()
            wallet(0)

        results.append(_measure(counter, "GET /wallet, first request of a process", None, cold, 0, 5,
                                note="new container each time: policy cache empty, new PynamoDB connection"))

        def cold_pay(i: int) -> None:
            fresh()
            pay(i)

        results.append(_measure(counter, "POST /payments, first request of a process", None, cold_pay, 0, 5,
                                note="new container each time"))
        build_ms = client_build_ms()
    return results, build_ms

"""The operations issue 15 added, measured like the others (`bench/requests_per_op.py` runs this after them).

Gifts, the history and its CSV, the usage statement, cancelled top-ups, withdrawals, the automatic top-up
(자동충전), a shop's cashback rate and shops near me. What each measured request needs is set up first, over
the same HTTP routes and unmeasured: wallets with money, gifts to claim and to cancel, top-ups to cancel, one
resident per withdrawal who has spent 60 % of what they charged, a resident with 250 movements this month, and
located shops around the search points. Every measured request must answer 2xx, or the benchmark stops.

A gift's claim code is kept encrypted with KMS in the stored answer: `POST /gifts` also calls KMS
(`GenerateDataKey`), counted apart from the DynamoDB requests (`bench/counting.py`).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from typing import Any

from bench.counting import RequestCounter
from bench.measure import OpResult, measure
from bench.moto_app import new_key

MONTH, YEAR = "2020-03", "2020"  # the bench clock's (bench/moto_app.py: 2020-03-10 21:00 KST)
DONG = "청라1동"
PASSBOOK_MOVEMENTS = 250
"""The history resident's movements this month: the CSV reads them 100 a Query (handlers/history.py)."""
SEARCH_POINTS = 10
"""Where the `near` searches start: seeded random points of Seo-gu, each with three shops within 500 m."""
SHOP_OFFSETS = ((0.003, 0.0), (0.0, 0.004), (-0.002, -0.003))
"""Degrees (lat, lng) from a search point to its shops: about 330, 350 and 420 m."""


def search_points(n: int = SEARCH_POINTS) -> list[tuple[float, float]]:
    """Points drawn uniformly from Seo-gu's box (`domain/geo.py` SEOGU) less a kilometre's margin, so that every
    shop placed around one stays inside the box; the same points on every run."""
    from chalicelib.domain.geo import SEOGU

    rng = random.Random(15)
    return [(round(rng.uniform(SEOGU.south + 0.01, SEOGU.north - 0.01), 4),
             round(rng.uniform(SEOGU.west + 0.01, SEOGU.east - 0.01), 4)) for _ in range(n)]


def expected_queries(points: list[tuple[float, float]], radius_m: int) -> list[int]:
    """The index ranges each search reads (`domain/geo.py` `covering`): one Query each."""
    from chalicelib.domain.geo import covering, location

    return [len(covering(location(lat, lng), radius_m)) for lat, lng in points]


def run(http: Any, counter: RequestCounter, warmup: int, reps: int, plus_shop: str) -> list[OpResult]:
    """Set up and measure every operation of issue 15, in report order. `plus_shop`: a Benefit Plus shop."""
    from tests.support import business_number

    n = warmup + reps
    results: list[OpResult] = []

    def resident(sub: str, charge: int = 0) -> None:
        http.call("POST", "/wallet", role="resident", sub=sub, expect=201, body={"dong": DONG, "agree_terms": True})
        if charge:
            top_up(sub, charge)

    def top_up(sub: str, amount: int) -> str:
        out = http.call("POST", "/wallet/charges", role="resident", sub=sub, expect=201, key=new_key(),
                        body={"amount": amount})
        return str(out["charge_id"])

    def register(k: int, lat: float, lng: float) -> str:
        out = http.call("POST", "/staff/merchants", role="staff", sub="staff-bench", expect=201,
                        body={"name": f"벤치 동네가게 {k}", "business_number": business_number(1_500 + k), "dong": DONG,
                              "category": "grocery", "benefit_plus": False, "location": {"lat": lat, "lng": lng}})
        return str(out["merchant_id"])

    def pay(sub: str, shop: str, amount: int) -> None:
        http.call("POST", "/payments", role="resident", sub=sub, expect=201, key=new_key(),
                  body={"merchant_id": shop, "amount": amount, "use_cashback": False})

    def add(name: str, target: int | None, step: Callable[[int], None], note: str = "") -> None:
        results.append(measure(counter, name, target, step, warmup, reps, note=note))

    # ---- setup, not measured: located shops around the search points (the first one also takes payments) ----
    points = search_points()
    shops = [register(k * len(SHOP_OFFSETS) + j, round(lat + dlat, 6), round(lng + dlng, 6))
             for k, (lat, lng) in enumerate(points) for j, (dlat, dlng) in enumerate(SHOP_OFFSETS)]
    plain = shops[0]

    # ---- 선물하기 ----
    resident("gifter", 300_000)
    resident("claimer")
    codes: list[str] = []

    def send(_: int) -> None:
        out = http.call("POST", "/gifts", role="resident", sub="gifter", expect=201, key=new_key(),
                        body={"amount": 1_000, "message": "벤치 선물"})
        codes.append(str(out["claim_code"]))

    add("POST /gifts", 2, send, note="wallet and key record in one read; the code encrypted with a KMS data key")
    claims = iter(codes)
    add("POST /gifts/claim", None, lambda _: http.call(
        "POST", "/gifts/claim", role="resident", sub="claimer", expect=201, key=new_key(),
        body={"claim_code": next(claims)}))
    to_cancel = iter([str(http.call("POST", "/gifts", role="resident", sub="gifter", expect=201, key=new_key(),
                                    body={"amount": 1_000})["gift_id"]) for _ in range(n)])
    add("POST /gifts/{id}/cancel", None, lambda _: http.call(
        "POST", f"/gifts/{next(to_cancel)}/cancel", role="resident", sub="gifter", expect=200))
    add("GET /gifts", None, lambda _: http.call("GET", "/gifts", role="resident", sub="gifter", expect=200))

    # ---- money back to the bank ----
    resident("canceller")
    charges = iter([top_up("canceller", 10_000) for _ in range(n)])
    add("POST /wallet/charges/{id}/cancel", None, lambda _: http.call(
        "POST", f"/wallet/charges/{next(charges)}/cancel", role="resident", sub="canceller", expect=200),
        note="without a key; then the payout paid")
    leavers = [f"leaver-{i}" for i in range(n)]
    for sub in leavers:  # 10,000 won charged, 6,000 spent at a shop without a discount: exactly 60 %
        resident(sub, 10_000)
        pay(sub, plain, 6_000)
    leaving = iter(leavers)

    def withdraw(_: int) -> None:
        out = http.call("POST", "/wallet/withdrawals", role="resident", sub=next(leaving), expect=201, key=new_key(),
                        body={})
        if out["amount"] != 4_000:
            raise RuntimeError(f"withdrew {out['amount']} won, not the 4,000 left")

    add("POST /wallet/withdrawals", None, withdraw, note="one resident each, 60 % spent; then the payout paid")

    # ---- 자동충전 ----
    resident("autocharger", 100_000)
    thresholds = itertools.count()
    add("PUT /wallet/auto-charge", None, lambda _: http.call(
        "PUT", "/wallet/auto-charge", role="resident", sub="autocharger", expect=200,
        body={"mode": "below", "below": 20_000 + 1_000 * (next(thresholds) % 2), "amount": 50_000}))
    add("GET /wallet/auto-charge", None, lambda _: http.call(
        "GET", "/wallet/auto-charge", role="resident", sub="autocharger", expect=200))

    # ---- a shop's rate, shops near me, moving a shop ----
    def rate(_: int) -> None:
        out = http.call("GET", f"/merchants/{plus_shop}", role="resident", sub="gifter", expect=200)
        if not out["cashback_rate_bp"]:
            raise RuntimeError("a resident was shown no cashback rate at a Benefit Plus shop")

    near = itertools.cycle(points)

    def search(_: int) -> None:
        lat, lng = next(near)
        out = http.call("GET", f"/merchants?near={lat},{lng}&radius=1000", role="resident", sub="gifter",
                        expect=200)
        if len(out["items"]) < len(SHOP_OFFSETS):
            raise RuntimeError(f"found {len(out['items'])} shops near {lat},{lng}, not the {len(SHOP_OFFSETS)} there")

    moves = itertools.count()

    def move(_: int) -> None:
        lat, lng = points[0]
        http.call("PUT", f"/staff/merchants/{plain}/location", role="staff", sub="staff-bench", expect=200,
                  body={"lat": round(lat + 0.0001 * (next(moves) % 2), 6), "lng": lng})

    add("GET /merchants/{id} (as a resident)", None, rate, note="with the shop's cashback rate")
    add("GET /merchants?near=…&radius=1000", None, search,
        note=f"{SEARCH_POINTS} points in turn, queries {expected_queries(points, 1000)}")
    add("PUT /staff/merchants/{id}/location", None, move, note="moved 11 m and back in turn")

    # ---- the history, its CSV, the usage statement: one resident with 250 movements this month (last: its
    # 249 payments make the table larger, and every later transaction slower in moto) ----
    resident("passbook", 300_000)
    for _ in range(PASSBOOK_MOVEMENTS - 1):
        pay("passbook", plain, 1_000)

    def csv(_: int) -> None:
        text = http.call("GET", f"/history.csv?month={MONTH}", role="resident", sub="passbook", expect=200, raw=True)
        lines = text.count(b"\r\n") - 1  # less the header
        if lines != PASSBOOK_MOVEMENTS:
            raise RuntimeError(f"the CSV has {lines} movements, not {PASSBOOK_MOVEMENTS}")

    add("GET /history?month=&limit=20", 1, lambda _: http.call(
        "GET", f"/history?month={MONTH}&limit=20", role="resident", sub="passbook", expect=200))
    add("GET /history.csv?month=", None, csv, note=f"{PASSBOOK_MOVEMENTS} movements in the month")
    add("GET /me/usage-statement?year=", None, lambda _: http.call(
        "GET", f"/me/usage-statement?year={YEAR}", role="resident", sub="passbook", expect=200),
        note=f"{PASSBOOK_MOVEMENTS} movements in the year")
    return results

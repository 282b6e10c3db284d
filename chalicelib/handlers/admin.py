"""Seeding: the Season 2 policy and the four campaigns (and demo merchants on request). Idempotent."""

from __future__ import annotations

from dataclasses import replace

from chalicelib import composition
from chalicelib.domain.campaign import SEEDED_CAMPAIGNS
from chalicelib.domain.errors import Conflict
from chalicelib.domain.months import kst_iso
from chalicelib.domain.policy import SEASON2
from chalicelib.handlers import merchants
from chalicelib.handlers.common import now
from chalicelib.schemas import DeliveryIn, MerchantIn

DEMO_MERCHANTS = (
    MerchantIn(name="서구 동네마트", business_number="1248100998", dong="청라1동", category="mart",
               benefit_plus=False),
    MerchantIn(name="청라 분식", business_number="2208162517", dong="청라2동", category="restaurant",
               benefit_plus=True, discount_rate=5,
               delivery=DeliveryIn(fee=2_000, min_order=12_000, dongs=["청라1동", "청라2동", "청라3동"])),
    MerchantIn(name="가정 꽃집", business_number="1018100108", dong="가정1동", category="florist",
               benefit_plus=True, discount_rate=7, malls=["only-seogu"]),
)  # fmt: skip


def seed_defaults() -> None:
    """The Season 2 policy (effective 2020-01) and the article's four campaigns, where missing."""
    store = composition.container().store
    stamp = kst_iso(now())
    store.seed_policy(SEASON2, stamp)
    for campaign in SEEDED_CAMPAIGNS:
        store.seed_campaign(replace(campaign, created_at=stamp))


def seed_demo_merchants() -> None:
    """A few merchants to try the app with; already registered ones are skipped."""
    for demo in DEMO_MERCHANTS:
        try:
            merchants.register(demo)
        except Conflict:
            continue

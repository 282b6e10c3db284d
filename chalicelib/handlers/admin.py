"""Seeding: the Season 2 policy and the four campaigns, the key ids are sealed with (and demo merchants on
request). Idempotent."""

from __future__ import annotations

from dataclasses import replace

from chalicelib import composition
from chalicelib.domain.campaign import SEEDED_CAMPAIGNS
from chalicelib.domain.errors import Conflict, Contention, StorageUnavailable
from chalicelib.domain.merchant import Delivery, Merchant
from chalicelib.domain.months import kst_iso
from chalicelib.domain.policy import SEASON2
from chalicelib.handlers import merchants
from chalicelib.handlers.common import now, sealing_key


def _demo(name: str, number: str, dong: str, category: str, rate: int = 0, delivery: Delivery | None = None,
          malls: tuple[str, ...] = ()) -> Merchant:
    return Merchant("", name, number, dong, category, rate > 0, rate, delivery, malls)


SEEDER = "system:seed"
"""The audit trail's actor for what the local stack's seeding registers."""

DEMO_MERCHANTS = (
    _demo("서구 동네마트", "9018100018", "청라1동", "mart"),
    _demo("청라 떡집", "9018100022", "청라2동", "restaurant", 5, Delivery(2_000, 12_000, ("청라1동", "청라2동", "청라3동"))),
    _demo("가정 꽃집", "9018100037", "가정1동", "florist", 7, malls=("only-seogu",)),
)
"""`SEED_DEMO=1`'s shops. Their business numbers are the 901-81-000xx series, which nothing else uses (the README's
walkthrough, `docs/walkthrough.sh`, registers shops of its own on a stack seeded with them)."""


def seed_defaults() -> None:
    """The Season 2 policy (effective 2020-01) and the article's four campaigns, where missing; and the key
    payment and order ids are sealed with, where this process may make it."""
    r = composition.container().repos
    stamp = kst_iso(now())
    r.policies.seed(SEASON2, stamp)
    for campaign in SEEDED_CAMPAIGNS:
        r.campaigns.seed(replace(campaign, created_at=stamp))
    if composition.container().settings.pii_key_arn:
        seed_sealing_key()


def seed_sealing_key() -> None:
    """Make the sealing key now (adapters/data_keys.py), so the first payment's transaction is a payment's alone.
    Only a process that may use the personal-data key can (the local stack's, a test's or the benchmark's, not a
    deployer's): where it cannot, or another process makes it at the same moment, the first payment does."""
    r = composition.container().repos
    batch, tx = r.store.batch(), r.store.tx()
    key = sealing_key(batch)
    batch.run()
    try:
        key(tx)
        tx.commit()
    except (Contention, StorageUnavailable):
        return


def seed_demo_merchants() -> None:
    """A few merchants to try the app with; already registered ones are skipped."""
    for demo in DEMO_MERCHANTS:
        try:
            merchants.register(demo, SEEDER)
        except Conflict:
            continue

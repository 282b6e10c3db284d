"""What settling a month costs in DynamoDB requests (issue 17), counted where botocore sends them: one credit
transaction per resident with something to credit, and a fixed number for the rest (page reads, the run's
records, the books check's Scan); never a read per resident."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bench.counting import RequestCounter
from chalicelib import composition
from chalicelib.domain.months import KST
from tests.support import BIZ, Env

RESIDENTS = 30
FIXED = 25
"""Requests a month's settlement makes whatever the residents, with one shard and one Scan segment: the start and
its audit record, the run record's reads and updates, a shard's page of wallets, their months and automatic
donations, its `done` transaction, the Scan's page, the segment's `done`, the totals, the merchants' lines."""


def test_settling_n_residents_makes_at_most_n_plus_a_fixed_number_of_requests(env: Env):
    counter = RequestCounter.install()  # before the repositories below make their first client
    composition.amend(settings=replace(env.container.settings, settlement_shards=1))
    env.clock.set(datetime(2020, 3, 2, 10, 0, tzinfo=KST))
    shop = env.register_merchant(number=BIZ[0])
    for i in range(RESIDENTS):
        env.open_wallet(f"r{i:02d}", charge=50_000)
        if i % 3:  # two in three pay; the rest only top up (settled at 0: written to, nothing credited)
            assert env.pay(f"r{i:02d}", shop, 10_000 + 1_000 * i)[0] == 201
    env.clock.set(datetime(2020, 4, 1, 1, 0, tzinfo=KST))

    before = counter.snapshot()
    run = env.settle("2020-03")
    spent = counter.snapshot() - before

    assert run["status"] == "completed" and run["books_balanced"] is True and run["problems"] == []
    assert run["residents"] == RESIDENTS and run["settled_residents"] == RESIDENTS
    assert spent.requests["TransactWriteItems"] <= RESIDENTS + 4  # the credits, the start, the shard, the segment
    assert spent.requests["Query"] <= 4 and spent.requests["Scan"] == 1  # no read per resident
    assert spent.total_requests <= RESIDENTS + FIXED, dict(spent.requests)

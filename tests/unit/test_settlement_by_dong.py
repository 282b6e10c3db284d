"""A month's settlement per dong, and its progress: `by_dong` is summed from each resident's recorded credit
like `by_program`, so re-runs, duplicate messages and retried shards count every resident once, and the
dongs add up to the month's totals; `progress` counts each shard once, as it finishes."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from chalicelib.domain.books import segments_for
from chalicelib.domain.months import KST
from chalicelib.domain.policy import SEASON2
from chalicelib.domain.settlement import Totals, credit_of, shard_of
from chalicelib.domain.wallet import ResidentMonth, Wallet
from chalicelib.handlers import settlement
from tests.support import BIZ, Env, die_after_next_commit, new_key


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2020, month, day, hour, 0, tzinfo=KST)


def status_of(env: Env, month: str) -> dict[str, Any]:
    status, body = env.call("GET", f"/staff/settlements/{month}", role="staff", sub="clerk")
    assert status == 200, body
    return dict(body)


def assert_dongs_add_up(report: dict[str, Any]) -> None:
    """The money still balances: the dongs' credits are the month's, and their residents the settled ones."""
    dongs = report["by_dong"].values()
    assert sum(d["cashback_credited"] for d in dongs) == report["cashback_credited"]
    assert sum(d["residents"] for d in dongs) == report["settled_residents"]


def test_each_dong_with_a_settled_resident_gets_its_residents_and_credit_and_a_re_run_changes_nothing(env: Env):
    env.clock.set(at(3, 2))
    shop = env.register_merchant(number=BIZ[0])
    for user, dong, amount in (("ann", "청라1동", 10_000), ("bea", "청라1동", 20_000), ("cat", "검단동", 30_000)):
        env.open_wallet(user, dong, charge=100_000)
        assert env.pay(user, shop, amount)[0] == 201     # 5 % back (city 4 % + gu 1 %)
    env.open_wallet("dan", "마전동")                         # no activity at all: counted, not settled
    env.open_wallet("eve", "가정1동", charge=100_000)        # a month with a top-up only: settled, 0 credited
    env.clock.set(at(4, 1, 1))
    first = env.settle("2020-03")
    assert first["by_dong"] == {"청라1동": {"residents": 2, "cashback_credited": 1_500},
                                "가정1동": {"residents": 1, "cashback_credited": 0},
                                "검단동": {"residents": 1, "cashback_credited": 1_500}}
    assert list(first["by_dong"]) == ["청라1동", "가정1동", "검단동"]     # the 22 dongs' order
    assert (first["residents"], first["settled_residents"], first["cashback_credited"]) == (5, 4, 3_000)
    assert_dongs_add_up(first)
    again = env.settle("2020-03")
    assert again["by_dong"] == first["by_dong"] and again["cashback_credited"] == 3_000


def test_a_recovery_counts_against_its_dong_and_the_dongs_still_add_up(env: Env):
    env.clock.set(at(3, 2))
    shop = env.register_merchant(number=BIZ[0])
    env.open_wallet("ann", "청라1동", charge=100_000)
    env.open_wallet("cat", "검단동", charge=100_000)
    env.pay("ann", shop, 10_000)
    _, paid = env.pay("cat", shop, 30_000)
    env.clock.set(at(4, 1, 1))
    env.settle("2020-03")
    env.clock.set(at(4, 2))
    status, _ = env.call("POST", f"/merchant/payments/{paid['payment_id']}/refunds", role="merchant", sub="o",
                         merchant_id=shop, body={}, key=new_key())
    assert status == 200                                    # cat owes March's 1,500 back
    env.pay("ann", shop, 10_000, use_cashback=False)        # ann earns 500 in April
    env.clock.set(at(5, 1, 1))
    april = env.settle("2020-04")
    assert april["by_dong"] == {"청라1동": {"residents": 1, "cashback_credited": 500},
                                "검단동": {"residents": 1, "cashback_credited": -1_500}}
    assert april["cashback_credited"] == -1_000 and april["books_balanced"] is True
    assert_dongs_add_up(april)


def test_progress_counts_each_shard_once_as_it_finishes_and_a_retried_shard_counts_its_dongs_once(env: Env):
    env.clock.set(at(3, 2))
    shop = env.register_merchant(number=BIZ[0])
    users = [f"u{i:02d}" for i in range(12)]
    for i, user in enumerate(users):
        env.open_wallet(user, "청라2동" if i % 2 else "원당동", charge=100_000)
        assert env.pay(user, shop, 10_000)[0] == 201      # 500 won each
    env.clock.set(at(4, 1, 1))
    status, started = env.call("POST", "/staff/settlements", role="staff", sub="clerk", body={"month": "2020-03"})
    assert status == 202
    shards = env.container.settings.settlement_shards
    parts = shards + segments_for(shards)                   # the credit shards, then the books check's segments
    assert (started["status"], started["progress"], started["by_dong"]) == (
        "queued", {"shards_done": 0, "shards_total": parts}, {})

    run = env.repos.settlements.get_run("2020-03")
    assert run is not None
    shard = shard_of(users[0], shards)
    in_shard = [(i, u) for i, u in enumerate(users) if shard_of(u, shards) == shard]
    message = json.dumps({"month": "2020-03", "run_id": run.run_id, "shard": shard})
    dying = die_after_next_commit()                          # the worker dies after crediting one resident
    with pytest.raises(RuntimeError):
        settlement.process_message(message, lambda: 600_000)
    assert dying.died == 1
    assert status_of(env, "2020-03")["progress"]["shards_done"] == 0
    settlement.process_message(message, lambda: 600_000)   # the retry
    settlement.process_message(message, lambda: 600_000)   # and a duplicate delivery
    running = status_of(env, "2020-03")
    assert running["status"] == "running"
    assert running["progress"] == {"shards_done": 1, "shards_total": parts}
    expected: dict[str, dict[str, int]] = {}
    for i, _ in in_shard:
        row = expected.setdefault("청라2동" if i % 2 else "원당동", {"residents": 0, "cashback_credited": 0})
        row["residents"] += 1
        row["cashback_credited"] += 500
    assert running["by_dong"] == expected
    assert_dongs_add_up(running)

    env.drain()                                              # the queue's copy of that shard, and every other
    done = status_of(env, "2020-03")
    assert done["status"] == "completed" and done["progress"] == {"shards_done": parts, "shards_total": parts}
    assert done["by_dong"] == {"청라2동": {"residents": 6, "cashback_credited": 3_000},
                               "원당동": {"residents": 6, "cashback_credited": 3_000}}
    assert_dongs_add_up(done)


def test_shard_totals_kept_before_by_dong_existed_read_as_no_dongs_and_merge_with_new_ones():
    new = Totals()
    wallet = Wallet("ann", "청라1동", version=2, created_at="2020-03-02T10:00:00+09:00")
    month = ResidentMonth("ann", "2020-03", settled=True, credited=500, settled_accrued={"city-base": 500}, version=2)
    new.add_resident(wallet, month, credit_of(month), SEASON2)
    old_json = json.loads(new.to_json())
    del old_json["credited_by_dong"]
    old = Totals.from_json(json.dumps(old_json))
    assert old.by_dong() == {}
    old.merge(new)
    assert old.by_dong() == {"청라1동": (1, 500)} and old.cashback_credited == 1_000

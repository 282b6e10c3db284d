"""Money invariants, by a stateful property test: random sequences of charges, payments, refunds, delivery
and mall orders with their cancellations and rejections, donations (one-off and automatic), replayed
requests, month ends and settlements (first runs and re-runs) go through the app (on the in-memory store,
which the contract tests hold to DynamoDB's behaviour), and after every step everything stored is read back
and checked:

- no balance is negative and no stock is below zero;
- every wallet's balances equal the sum of its ledger movements;
- money in (the bank's top-ups, the settlements' net credits less what they recovered from charged
  balances) equals wallet balances + what merchants are owed (paid − refunded) + donations, and the
  campaign totals add up to the donations;
- per resident, month and program, the spend counter is the net eligible spend of the month's payments
  (charged part − refunded charged part), the accrual is F(that spend), and it is the sum of the
  payments' own accruals.

Each example starts from the same district (four merchants, the seeded policy and campaigns), restored from
a snapshot of the store. The examples are split over `PARTS` tests so pytest-xdist runs them on both cores.
`MONEY_EXAMPLES` sets the total
(2,000 in `make test`, more in `make soak`); `MONEY_SEED` replays a run: each part prints its seed.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, seed, settings
from hypothesis.stateful import run_state_machine_as_test

from chalicelib import composition
from tests.support import BIZ, Env
from tests.unit.money_machine import MENU, START, STOCK, USERS, District, MoneyMachine

PARTS = 4
EXAMPLES = int(os.environ.get("MONEY_EXAMPLES", "2000"))
STEPS = int(os.environ.get("MONEY_STEPS", "6"))


@pytest.fixture
def district(env: Env) -> Iterator[District]:
    """Four merchants, a menu, a product and two open wallets; one settlement shard (the run still goes
    through SQS and the worker)."""
    c = env.container
    composition.override(clock=env.clock, **composition.in_memory(replace(c.settings, settlement_shards=1)))
    from chalicelib.handlers.admin import seed_defaults

    seed_defaults()
    env.clock.set(START)
    d = District(env,
                 plain=env.register_merchant(number=BIZ[0]),
                 bplus=env.register_merchant(benefit_plus=True, rate=5, number=BIZ[1]),
                 kitchen=env.register_merchant(benefit_plus=True, rate=7, number=BIZ[2],
                                               delivery={"fee": 2_000, "min_order": 9_000, "dongs": ["청라1동"]}),
                 seller=env.register_merchant(number=BIZ[3], malls=["only-seogu"]))
    for method, path, merchant, body in (
        ("PUT", "/merchant/menu", d.kitchen, MENU),
        ("PUT", "/merchant/products/rice", d.seller,
         {"mall": "only-seogu", "name": "서구 쌀", "price": 9_000, "stock": STOCK, "shipping_fee": 0}),
    ):
        status, out = d.call(method, path, "merchant", d.owner(merchant), merchant, body)
        assert status == 200, out
    for user in USERS:
        status, out = d.call("POST", "/wallet", "resident", user, None, {"dong": "청라1동", "agree_terms": True})
        assert status == 201, out
    d.take_snapshot()
    yield d


@pytest.mark.parametrize("part", range(PARTS))
def test_no_sequence_of_steps_loses_invents_or_doubles_money(district: District, part: int):
    chosen = os.environ.get("MONEY_SEED")
    base = int(chosen) if chosen else random.SystemRandom().randrange(2**32)
    run_seed = base + part
    print(f"money invariants, part {part}: MONEY_SEED={base} (seed {run_seed}), "
          f"{EXAMPLES // PARTS} examples of up to {STEPS} steps")
    factory = seed(run_seed)(lambda: MoneyMachine(district))
    # the documented contract takes any factory of machines; the annotation says a class
    run_state_machine_as_test(factory, settings=settings(  # type: ignore[arg-type]
        max_examples=EXAMPLES // PARTS,
        stateful_step_count=STEPS,
        deadline=None,
        database=None,
        print_blob=True,
        suppress_health_check=list(HealthCheck),
    ))


def test_the_invariants_catch_a_write_that_forgets_its_ledger_movement(district: District,
                                                                        monkeypatch: pytest.MonkeyPatch):
    """The property test can fail: a charge committed without its movement breaks 'wallet = Σ movements'."""
    wallets = composition.container().repos.wallets
    monkeypatch.setattr(wallets, "stage_movement", lambda tx, movement: None)
    machine = MoneyMachine(district)
    machine.charge("ann", 10_000)
    with pytest.raises(AssertionError):
        machine.the_books_balance()


def test_the_invariants_catch_money_that_appears_from_nowhere(district: District):
    """The property test can fail: cashback credited outside any settlement breaks 'money in = money held'."""
    from tests.support import grant_cashback

    machine = MoneyMachine(district)
    machine.charge("ann", 10_000)
    machine.the_books_balance()
    grant_cashback(composition.container().repos, "ann", 500, "2020-03-27T12:00:00+09:00")
    with pytest.raises(AssertionError, match="10000"):
        machine.the_books_balance()

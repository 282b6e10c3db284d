"""Money invariants, by a stateful property test: random sequences of top-ups and their cancellations,
payments, refunds, delivery and mall orders with their cancellations and rejections, donations (one-off and
automatic), gifts (sent, claimed, with a wrong code now and then, cancelled, returned after 72 hours),
withdrawals, automatic top-ups (set, turned off, started by the table's stream, which is delivered after every
step and now and then again from the start), the payout and gift sweeps, a bank that declines or does not
answer (and retries of what it left waiting), replayed requests, month ends and settlements (first runs and
re-runs) go through the app (on the in-memory store, which the contract tests hold to DynamoDB's behaviour),
and after every step everything stored, and the bank's own records, are read back and checked:

- no balance is negative and no stock is below zero;
- every wallet's balances equal the sum of its ledger movements;
- money in, the bank's view of it (what it took for top-ups, own and automatic, less what it paid into
  residents' accounts for cancelled top-ups and withdrawals), plus the settlements' net credits (less what they
  recovered from charged balances), less what withdrawals took back for refunded cashback, equals wallet
  balances + what merchants are owed (paid − refunded) + donations + gifts still `sent` + payouts still
  `pending`; and the campaign totals add up to the donations;
- per resident, month and program, the spend counter is the net eligible spend of the month's payments
  (charged part − refunded charged part), the accrual is F(that spend), and it is the sum of the
  payments' own accruals;
- the history: walking each resident's ledger in its stored order (time, then the wallet's version after the
  movement), every movement's balances after it are the running sums and its version is later than the one
  before; the wallet's lifetime counters (`charged_in`, `spent`) are what its ledger says;
- top-ups: the bank took exactly the residents' own top-ups answered 201, and one transfer per automatic top-up
  in the ledger (at most one `auto_charge` movement per charge id); every top-up has its record, one still
  `charged` has its money in the wallet and no live payout, a `cancelled` one has it out and exactly one payout
  not declined; each month's `charged` counter is the sum of its top-ups not cancelled;
- payouts: each is `paid` exactly when the bank paid its id (the same amount), `declined` when the bank refused
  it, `pending` while the bank has not answered, and the bank paid nothing else; its movement took the amount
  off the wallet, and only a declined one's gave it back; the sweep, with the bank answering, leaves no payout
  nor automatic top-up waiting beyond its time;
- gifts: each is in the state the harness expects from the answers it got (claimed only by the one claim
  answered 201, cancelled only by its sender, returned by the sweep exactly when its 72 hours were over), is
  listed as received once claimed, and moved its money once: `gift_sent` from its sender, then at most one
  movement, the one its end makes.

Each example starts from the same district (four merchants, the seeded policy and campaigns, ann's wallet
topped up and half spent, bob's empty), restored from a snapshot of the store and of the bank's records. The
examples are split over `PARTS` tests so pytest-xdist runs them on both cores. `MONEY_EXAMPLES` sets the total
(2,000 in `make test`, more in `make soak`) and `MONEY_STEPS` their length (8 steps; 12 in `make soak`);
`MONEY_SEED` replays a run: each part prints its seed.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, seed, settings
from hypothesis.stateful import run_state_machine_as_test

from chalicelib import composition
from tests.support import BIZ, Env, new_key, read_wallet
from tests.unit.money_checks import check_gifts, ledgers
from tests.unit.money_machine import MENU, START, STOCK, USERS, District, MoneyMachine

PARTS = 4
EXAMPLES = int(os.environ.get("MONEY_EXAMPLES", "2000"))
STEPS = int(os.environ.get("MONEY_STEPS", "8"))


@pytest.fixture
def district(env: Env) -> Iterator[District]:
    """Four merchants, a menu, a product and two open wallets: ann has topped up 200,000 won and spent half of
    it (so that an example of a few steps can spend, give, and reach the withdrawal's 60 %), bob has nothing; one
    settlement shard (the run still goes through SQS and the worker)."""
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
    for path, start in (("/wallet/charges", {"amount": 200_000}),
                        ("/payments", {"merchant_id": d.plain, "amount": 100_000, "use_cashback": False})):
        status, out = d.call("POST", path, "resident", USERS[0], None, start, new_key())
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


def test_the_invariants_catch_a_gift_claim_that_leaves_the_gift_claimable(district: District,
                                                                         monkeypatch: pytest.MonkeyPatch):
    """The property test can fail: a claim that credits the claimer but leaves the gift `sent` (so it could be
    claimed again, or returned to its sender as well) breaks 'money in = money held' (the gift counted both in
    the claimer's balance and on its way) and, on their own, the gift's checks: its state is not what the answers
    said, and a `sent` gift has a movement after `gift_sent`."""
    from chalicelib.domain.gifts import claim_gift

    def claim_leaving_it_sent(gift: Any, *args: Any, **kwargs: Any) -> Any:
        outcome = claim_gift(gift, *args, **kwargs)
        return replace(outcome, gift=replace(outcome.gift, status=gift.status, recipient_id=None))

    machine = MoneyMachine(district)
    sent = machine.send_gift(user="ann", amount=10_000, message=None)
    machine.the_books_balance()
    monkeypatch.setattr("chalicelib.handlers.gifts.claim_gift", claim_leaving_it_sent)
    machine.claim_gift(gift=sent, by="other", typed="as shown")
    with pytest.raises(AssertionError, match="10000"):   # the gift is both in bob's balance and on its way
        machine.the_books_balance()
    store = district.store()
    with pytest.raises(AssertionError, match="status='sent'"):   # bob's claim was answered 201
        check_gifts(store, ledgers(store), machine.books)
    known = machine.books.gifts[sent[0]]
    known.state, known.recipient = "sent", None   # even not knowing of the claim: a `sent` gift has moved twice
    with pytest.raises(AssertionError, match="gift_received"):
        check_gifts(store, ledgers(store), machine.books)


def test_a_withdrawal_that_settles_a_debt_keeps_the_books(district: District):
    """What random runs reach only now and then: a refund of a settled month leaves bob owing cashback he has
    spent; his withdrawal keeps that back from the charged balance, and the books still balance."""
    machine = MoneyMachine(district)
    machine.charge(user="bob", amount=100_000)
    payment = machine.pay(user="bob", shop="bplus", amount=90_000, use_cashback=False)
    machine.time_passes(days=9)
    machine.settle()
    cashback = read_wallet("bob")[0].cashback_balance
    assert cashback > 0
    machine.pay(user="bob", shop="plain", amount=cashback, use_cashback=True)
    machine.refund(payment=payment, amount=10_000)
    owed = -read_wallet("bob")[0].adjustment_due
    assert owed > 0
    machine.withdraw(user="bob", bank="as it is")
    assert machine.books.recovered == owed
    machine.the_books_balance()

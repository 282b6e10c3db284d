"""선물하기: of a claim, a cancellation and the 72-hour return racing for one gift exactly one wins; the
return happens at the 72-hour mark, once, for every gift due however long the sweep was down; the local
runner runs the sweep on its schedule."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.errors import DomainError, InvalidState
from chalicelib.domain.ledger import balances_match
from chalicelib.handlers import gifts
from tests.support import Env, RacingStore, new_key, race

START = datetime(2020, 3, 10, 3, 0, tzinfo=UTC)   # 12:00 KST
DUE = START + timedelta(hours=72)


@pytest.fixture
def gifting(env: Env) -> Env:
    env.clock.set(START)
    env.open_wallet("ann", charge=100_000)
    for sub in ("bob", "cy"):
        env.open_wallet(sub)
    return env


def send(env: Env, amount: int = 10_000) -> gifts.SentGift:
    return gifts.send("ann", amount, None, new_key())


def charged(env: Env, sub: str) -> int:
    return int(env.wallet(sub)["charged_balance"])


def kinds(env: Env, sub: str) -> list[str]:
    return [m.kind for m in env.repos.wallets.movements(sub)]


def status_of(env: Env, gift_id: str) -> str:
    items = env.call("GET", "/gifts?limit=100", role="resident", sub="ann")[1]["items"]
    return str(next(i["status"] for i in items if i["gift_id"] == gift_id))


def books_balance(env: Env) -> bool:
    return all(balances_match(w["charged_balance"], w["cashback_balance"], env.repos.wallets.movements(s))
               for s in ("ann", "bob", "cy") for w in [env.wallet(s)])


def race_at_read(n: int, interloper: Callable[[], Any]) -> RacingStore:
    """Let `interloper` commit right after the `n`-th batched read from now (a claim reads once: the code
    names the gift's key)."""
    racing = race(None)

    def fire() -> None:
        if racing.reads >= n:
            interloper()
        else:
            racing.interloper = fire

    racing.interloper = fire
    return racing


def claiming(sub: str, code: str) -> Callable[[], Any]:
    return lambda: gifts.claim(sub, code, new_key())


# ---- races ---------------------------------------------------------------------------------------


def test_of_two_claimers_racing_for_one_gift_exactly_one_gets_it(gifting: Env):
    env = gifting
    gift = send(env, 30_000)
    racing = race_at_read(1, claiming("bob", gift.claim_code or ""))   # after cy read the gift as sent
    with pytest.raises(InvalidState):
        gifts.claim("cy", gift.claim_code or "", new_key())
    assert racing.reads == 3   # cy's transaction lost on the gift's version, read again and was refused
    assert (charged(env, "bob"), charged(env, "cy"), charged(env, "ann")) == (30_000, 0, 70_000)
    assert books_balance(env)


def test_of_many_claimers_at_once_exactly_one_gets_the_gift(gifting: Env):
    env = gifting
    subs = [f"r{i}" for i in range(8)]
    for sub in subs:
        env.open_wallet(sub)
    gift = send(env, 20_000)

    def attempt(sub: str) -> str:
        try:
            gifts.claim(sub, gift.claim_code or "", new_key())
        except DomainError as exc:
            return exc.code
        return "claimed"

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(attempt, subs))
    assert sorted(answers) == ["INVALID_STATE"] * 7 + ["claimed"]
    assert sorted(charged(env, s) for s in subs) == [0] * 7 + [20_000]


def test_a_cancel_and_a_claim_racing_for_one_gift_have_exactly_one_winner(gifting: Env):
    env = gifting
    first, second = send(env, 10_000), send(env, 20_000)
    race_at_read(1, lambda: gifts.cancel("ann", first.gift.gift_id))   # the cancel commits during bob's claim
    with pytest.raises(InvalidState):
        gifts.claim("bob", first.claim_code or "", new_key())
    race_at_read(1, claiming("bob", second.claim_code or ""))   # bob's claim commits during the cancel
    with pytest.raises(InvalidState):
        gifts.cancel("ann", second.gift.gift_id, new_key())
    assert (status_of(env, first.gift.gift_id), status_of(env, second.gift.gift_id)) == ("cancelled", "claimed")
    assert (charged(env, "ann"), charged(env, "bob")) == (80_000, 20_000)
    assert kinds(env, "ann").count("gift_cancelled") == 1 and books_balance(env)


def test_the_return_and_a_claim_or_a_cancel_racing_for_one_gift_have_exactly_one_winner(gifting: Env):
    env = gifting
    lost_claim = send(env, 1_000)
    env.clock.set(START + timedelta(minutes=1))
    won_claim, won_cancel = send(env, 2_000), send(env, 4_000)
    later = DUE + timedelta(minutes=1)
    env.clock.set(DUE - timedelta(seconds=1))

    def return_at_due() -> None:
        env.clock.set(DUE)
        assert gifts.return_unclaimed() == 1

    race_at_read(1, return_at_due)   # bob read the gift just before its 72 hours ran out; the sweep came first
    with pytest.raises(InvalidState):
        gifts.claim("bob", lost_claim.claim_code or "", new_key())
    assert status_of(env, lost_claim.gift.gift_id) == "returned"

    def claim_just_in_time() -> None:
        env.clock.set(later - timedelta(seconds=1))
        gifts.claim("cy", won_claim.claim_code or "", new_key())
        gifts.cancel("ann", won_cancel.gift.gift_id)
        env.clock.set(later)

    env.clock.set(later)

    race_at_read(1, claim_just_in_time)   # the sweep read the first gift due; a claim and a cancel came first
    assert gifts.return_unclaimed() == 0
    assert [status_of(env, g.gift.gift_id) for g in (won_claim, won_cancel)] == ["claimed", "cancelled"]
    assert (charged(env, "ann"), charged(env, "bob"), charged(env, "cy")) == (98_000, 0, 2_000)
    assert (kinds(env, "ann").count("gift_returned"), kinds(env, "ann").count("gift_cancelled")) == (1, 1)
    assert books_balance(env)


# ---- 72 hours ------------------------------------------------------------------------------------


def test_a_gift_is_claimable_for_72_hours_then_goes_back_to_its_sender_exactly_once(gifting: Env):
    env = gifting
    kept, unclaimed = send(env, 10_000), send(env, 15_000)
    env.clock.set(DUE - timedelta(seconds=1))
    assert gifts.return_unclaimed() == 0
    assert gifts.claim("bob", kept.claim_code or "", new_key()).charged_balance == 10_000
    env.clock.set(DUE)
    status, body = env.call("POST", "/gifts/claim", role="resident", sub="cy", key=new_key(),
                            body={"claim_code": unclaimed.claim_code})
    assert (status, body["error"]["code"]) == (409, "INVALID_STATE")
    assert gifts.return_unclaimed() == 1
    assert gifts.return_unclaimed() == 0
    assert charged(env, "ann") == 90_000 and status_of(env, unclaimed.gift.gift_id) == "returned"
    back = env.repos.wallets.movements("ann")[-1]
    assert (back.kind, back.ref, back.d_charged, back.charged_after, back.created_at) == (
        "gift_returned", unclaimed.gift.gift_id, 15_000, 90_000, "2020-03-13T12:00:00+09:00")
    status, body = env.call("POST", f"/gifts/{unclaimed.gift.gift_id}/cancel", role="resident", sub="ann")
    assert (status, body["error"]["code"]) == (409, "INVALID_STATE")
    assert books_balance(env)


def test_after_a_long_outage_the_sweep_returns_every_gift_due_once_page_by_page(
    gifting: Env, monkeypatch: pytest.MonkeyPatch
):
    env = gifting
    monkeypatch.setattr(gifts, "SWEEP_PAGE", 2)
    sent = []
    for n in range(7):
        env.clock.set(START + timedelta(hours=10 * n))
        sent.append(send(env, 1_000 * (n + 1)))
    gifts.claim("bob", sent[1].claim_code or "", new_key())
    gifts.cancel("ann", sent[3].gift.gift_id)
    env.clock.set(START + timedelta(days=400))
    assert gifts.return_unclaimed() == 5
    assert gifts.return_unclaimed() == 0
    assert charged(env, "ann") == 100_000 - 2_000
    assert kinds(env, "ann").count("gift_returned") == 5 and books_balance(env)
    assert [status_of(env, g.gift.gift_id) for g in sent] == ["returned", "claimed", "returned", "cancelled",
                                                              "returned", "returned", "returned"]


def test_a_sweep_out_of_time_stops_and_the_next_one_goes_on(gifting: Env):
    env = gifting
    for _ in range(3):
        send(env)
    env.clock.set(DUE)
    assert gifts.return_unclaimed(budget_seconds=0) == 1
    assert gifts.return_unclaimed() == 2
    assert charged(env, "ann") == 100_000


def test_the_local_runner_runs_the_sweep_on_its_five_minute_schedule(gifting: Env):
    from app import app
    from devstack.runner import LocalRunner
    from devstack.schedules import RateSchedule

    env = gifting
    gift = send(env, 10_000)
    runner = LocalRunner(app, env.clock, None)
    (job,) = [j for j in runner.jobs if j.name == "return_unclaimed_gifts"]
    assert job.schedule == RateSchedule(timedelta(minutes=5))
    runner.run_schedules(env.clock.now())
    env.clock.set(DUE + timedelta(minutes=1))   # the clock jumps: each schedule crossed runs once
    runner.run_schedules(env.clock.now())
    assert status_of(env, gift.gift.gift_id) == "returned" and charged(env, "ann") == 100_000

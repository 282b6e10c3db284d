"""Money back to the bank (`POST /wallet/charges/{id}/cancel`, `POST /wallet/withdrawals`): one transaction takes
it off the wallet with a pending payout, the bank pays the payout once, a declined payout comes back whole, and a
payout whose request was lost is paid by a retry or the sweep. The pure rules: test_cashout_rules.py."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any, get_args

import pytest

from chalicelib.domain.ledger import balances_match
from chalicelib.domain.months import KST
from chalicelib.web.schemas.cashout import SKIP_REASONS, SkipReason
from tests.support import BIZ, Env, change_wallet, new_key, race, read_wallet, stored_items


def at(day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2020, 3, day, hour, minute, tzinfo=KST)


def top_up(env: Env, sub: str, amount: int) -> str:
    status, body = env.call("POST", "/wallet/charges", role="resident", sub=sub, body={"amount": amount},
                            key=new_key())
    assert status == 201, body
    return str(body["charge_id"])


def cancel(env: Env, sub: str, charge_id: str, key: str | None = None) -> tuple[int, Any]:
    headers = {"Idempotency-Key": key} if key else None
    return env.call("POST", f"/wallet/charges/{charge_id}/cancel", role="resident", sub=sub, headers=headers)


def withdraw(env: Env, sub: str, key: str | None = None) -> tuple[int, Any]:
    return env.call("POST", "/wallet/withdrawals", role="resident", sub=sub, body={}, key=key or new_key())


def spend(env: Env, sub: str, shop: str, amount: int) -> dict[str, Any]:
    status, body = env.pay(sub, shop, amount, use_cashback=False)
    assert status == 201, body
    return dict(body)


def kinds(env: Env, sub: str) -> list[tuple[str, int, int]]:
    return [(m.kind, m.d_charged, m.d_cashback) for m in env.repos.wallets.movements(sub)]


def books_balance(env: Env, sub: str) -> bool:
    w = env.wallet(sub)
    return balances_match(w["charged_balance"], w["cashback_balance"], env.repos.wallets.movements(sub))


def sweep(env: Env) -> dict[str, int]:
    event = env.client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={},
                                                resources=["arn:aws:events:ap-northeast-2:123456789012:rule/sweep"])
    answer: dict[str, int] = env.client.lambda_.invoke("cashout_sweep", event).payload
    return answer


@pytest.fixture
def shop(env: Env) -> str:
    env.clock.set(at(10, 9))
    return env.register_merchant(number=BIZ[0])


# ---- cancelling a top-up ---------------------------------------------------------------------------


def test_a_cancelled_top_up_goes_back_to_the_bank_whole_and_frees_its_months_charge_limit(env: Env, shop: str):
    env.open_wallet("ann")
    first = top_up(env, "ann", 600_000)
    second = top_up(env, "ann", 400_000)   # the month's 1,000,000 won are charged
    assert env.call("POST", "/wallet/charges", role="resident", sub="ann", body={"amount": 1_000},
                    key=new_key())[1]["error"]["code"] == "LIMIT_EXCEEDED"
    status, body = cancel(env, "ann", first)
    assert (status, body) == (200, {"charge_id": first, "status": "cancelled", "charged_balance": 400_000})
    assert env.bank.paid_out_total() == 600_000 and env.bank.settled_total() == 1_000_000
    assert env.wallet("ann")["month"]["charged"] == 400_000
    top_up(env, "ann", 600_000)            # the limit freed up
    assert kinds(env, "ann")[2] == ("charge_cancelled", -600_000, 0)
    assert books_balance(env, "ann") and second != first


def test_a_top_up_is_cancelled_once_only_by_its_owner_and_only_while_the_balance_still_holds_it(
    env: Env, shop: str,
):
    env.open_wallet("ann")
    env.open_wallet("bo")
    charged = top_up(env, "ann", 50_000)
    assert cancel(env, "bo", charged)[0] == 404          # another's top-up is not found, not forbidden
    assert cancel(env, "ann", "chg_no_such_top_up")[0] == 404
    spent = top_up(env, "ann", 30_000)
    spend(env, "ann", shop, 31_000)                      # the balance holds 49,000: not the 50,000 top-up
    status, body = cancel(env, "ann", charged)
    assert (status, body["error"]["code"]) == (409, "INVALID_STATE")
    assert cancel(env, "ann", spent)[0] == 200           # the 30,000 one it still holds
    status, body = cancel(env, "ann", spent)
    assert (status, body["error"]["code"]) == (409, "INVALID_STATE")
    assert env.wallet("ann")["charged_balance"] == 19_000 and env.bank.paid_out_total() == 30_000


def test_a_top_up_is_cancellable_exactly_7_days_after_it_and_until_that_day_ends_but_not_from_the_next_midnight(
    env: Env, shop: str,
):
    env.clock.set(at(10, 14, 30))
    env.open_wallet("ann")
    early, late = top_up(env, "ann", 10_000), top_up(env, "ann", 20_000)
    env.clock.set(at(17, 14, 30))                         # 7 × 24 hours later
    assert cancel(env, "ann", early)[0] == 200
    env.clock.set(at(18, 0, 0))                           # the end of the 7th day after the 10th
    status, body = cancel(env, "ann", late)
    assert (status, body["error"]["code"]) == (409, "INVALID_STATE")
    assert env.wallet("ann")["charged_balance"] == 20_000


def test_a_cancellation_retried_with_its_key_replays_and_pays_once_and_the_key_names_one_top_up(
    env: Env, shop: str,
):
    env.open_wallet("ann")
    charged, other = top_up(env, "ann", 10_000), top_up(env, "ann", 20_000)
    key = new_key()
    first = cancel(env, "ann", charged, key)
    assert first[0] == 200 and cancel(env, "ann", charged, key) == first
    assert cancel(env, "ann", other, key)[1]["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert env.bank.paid_out_total() == 10_000 and len(env.bank.deposits) == 1
    assert env.wallet("ann")["charged_balance"] == 20_000


def test_a_cancellation_the_bank_declines_puts_the_top_up_back_and_it_can_be_cancelled_again(env: Env, shop: str):
    env.open_wallet("ann")
    charged = top_up(env, "ann", 10_000)
    env.bank.refuse_deposits["ann"] = "account closed"
    status, body = cancel(env, "ann", charged)
    assert (status, body["error"]["code"]) == (409, "CONFLICT") and "account closed" in body["error"]["message"]
    w = env.wallet("ann")
    assert (w["charged_balance"], w["month"]["charged"]) == (10_000, 10_000)
    assert kinds(env, "ann")[1:] == [("charge_cancelled", -10_000, 0), ("charge_cancelled", 10_000, 0)]
    del env.bank.refuse_deposits["ann"]
    assert cancel(env, "ann", charged)[0] == 200 and env.bank.paid_out_total() == 10_000
    assert books_balance(env, "ann")


def test_a_payment_racing_a_cancellation_never_takes_the_balance_below_zero(env: Env, shop: str):
    env.open_wallet("ann")
    charged = top_up(env, "ann", 10_000)
    racing = race(lambda: spend(env, "ann", shop, 5_000))
    status, body = cancel(env, "ann", charged)
    assert racing.reads >= 2 and (status, body["error"]["code"]) == (409, "INVALID_STATE")
    assert env.wallet("ann")["charged_balance"] == 5_000 and env.bank.paid_out_total() == 0


# ---- withdrawing -----------------------------------------------------------------------------------


def test_a_withdrawal_at_exactly_60_percent_spent_pays_out_the_rest_and_never_cashback(env: Env, shop: str):
    env.open_wallet("ann", charge=100_000)
    spend(env, "ann", shop, 59_999)
    change_wallet("ann", cashback_balance=700)
    status, body = withdraw(env, "ann")
    assert (status, body["error"]["code"]) == (409, "INVALID_STATE") and "60 %" in body["error"]["message"]
    spend(env, "ann", shop, 1)                            # exactly 60 % of 100,000
    status, body = withdraw(env, "ann")
    assert status == 201, body
    assert (body["amount"], body["charged_balance"], body["kept_back"]) == (40_000, 0, 0)
    assert body["withdrawal_id"].startswith("wd_")
    w = env.wallet("ann")
    assert (w["charged_balance"], w["cashback_balance"]) == (0, 700)
    assert env.bank.paid_out_total() == 40_000
    assert kinds(env, "ann")[-1] == ("withdrawal", -40_000, 0)
    status, body = withdraw(env, "ann")                   # nothing left to withdraw
    assert (status, body["error"]["code"]) == (409, "INVALID_STATE")


def test_spending_counts_net_of_refunds_and_cancelled_top_ups_count_as_never_charged(env: Env, shop: str):
    env.open_wallet("ann", charge=100_000)
    payment = spend(env, "ann", shop, 70_000)
    status, _ = env.call("POST", f"/merchant/payments/{payment['payment_id']}/refunds", role="merchant",
                         sub="owner", merchant_id=shop, body={"amount": 20_000}, key=new_key())
    assert status == 200
    assert withdraw(env, "ann")[0] == 409                 # 50,000 of 100,000 spent
    cancelled = top_up(env, "ann", 1_000)
    assert cancel(env, "ann", cancelled)[0] == 200
    spend(env, "ann", shop, 10_000)                       # 60,000 of 100,000: the cancelled 1,000 is not counted
    status, body = withdraw(env, "ann")
    assert (status, body["amount"]) == (201, 40_000)
    wallet, _ = read_wallet("ann")
    assert (wallet.charged_in, wallet.spent) == (100_000, 60_000)


def test_what_the_resident_owes_is_kept_back_from_the_withdrawal_once_cashback_has_paid_its_part(
    env: Env, shop: str,
):
    env.open_wallet("ann", charge=100_000)
    spend(env, "ann", shop, 60_000)
    change_wallet("ann", adjustment_due=-3_000, cashback_balance=1_000)
    status, body = withdraw(env, "ann")
    assert status == 201, body
    assert (body["amount"], body["kept_back"]) == (38_000, 2_000)
    w = env.wallet("ann")
    assert (w["charged_balance"], w["cashback_balance"], w["adjustment_due"]) == (0, 0, 0)
    assert kinds(env, "ann")[-2:] == [("cashback_recovery", -2_000, -1_000), ("withdrawal", -38_000, 0)]
    assert env.bank.paid_out_total() == 38_000


def test_a_withdrawal_retried_with_its_key_replays_the_first_answer_and_pays_once(env: Env, shop: str):
    env.open_wallet("ann", charge=10_000)
    spend(env, "ann", shop, 6_000)
    key = new_key()
    first = withdraw(env, "ann", key)
    assert first[0] == 201 and withdraw(env, "ann", key) == first
    assert len(env.bank.deposits) == 1 and env.bank.paid_out_total() == 4_000


def test_a_withdrawal_the_bank_did_not_answer_is_paid_once_by_the_retry_or_the_sweep(env: Env, shop: str):
    for sub in ("ann", "bo"):
        env.open_wallet(sub, charge=10_000)
        spend(env, sub, shop, 6_000)
    env.bank.down = True
    keys = {sub: new_key() for sub in ("ann", "bo")}
    for sub in keys:
        status, body = withdraw(env, sub, keys[sub])
        assert (status, body["error"]["code"]) == (503, "SERVICE_UNAVAILABLE")
        assert "held for the payment into your account" in body["error"]["message"]   # not "nothing moved"
        assert env.wallet(sub)["charged_balance"] == 0    # taken off the wallet, the payout pending
    env.bank.down = False
    status, body = withdraw(env, "ann", keys["ann"])      # the retry completes it
    assert (status, body["amount"]) == (201, 4_000)
    assert sweep(env) == {"payouts": 0, "declined": 0, "auto_charges": 0}   # bo's is not 2 minutes old yet
    env.clock.set(env.clock.now() + timedelta(minutes=3))
    assert sweep(env)["payouts"] == 1 and sweep(env)["payouts"] == 0
    assert env.bank.paid_out_total() == 8_000 and len(env.bank.deposits) == 2
    assert withdraw(env, "bo", keys["bo"])[0] == 201 and len(env.bank.deposits) == 2


def test_a_payout_the_sweep_finished_while_the_bank_answered_its_caller_is_recorded_paid_once(
    env: Env, shop: str, monkeypatch: pytest.MonkeyPatch,
):
    env.open_wallet("ann", charge=10_000)
    spend(env, "ann", shop, 6_000)
    deposit, swept = env.bank.deposit, list[int]()

    def slow_answer(transfer_id: str, user_id: str, amount: int) -> Any:
        if not swept:   # the sweep runs, and writes the payout paid, before the caller hears from the bank
            swept.append(1)
            env.clock.set(env.clock.now() + timedelta(minutes=3))
            assert sweep(env)["payouts"] == 1
        return deposit(transfer_id, user_id, amount)

    monkeypatch.setattr(env.bank, "deposit", slow_answer)
    status, body = withdraw(env, "ann")
    assert (status, body["amount"], body["charged_balance"]) == (201, 4_000, 0)
    [payout] = [v for k, v in stored_items(env).items() if k[0] == "payout"]
    assert (payout.status, payout.version) == ("paid", 2)   # written paid once: the caller's write lost, then read
    assert env.bank.paid_out_total() == 4_000 and len(env.bank.deposits) == 1
    assert books_balance(env, "ann")


def test_a_withdrawal_the_bank_declines_gives_the_money_back_in_one_transaction(env: Env, shop: str):
    env.open_wallet("ann", charge=10_000)
    spend(env, "ann", shop, 6_000)
    env.bank.refuse_deposits["ann"] = "account closed"
    status, body = withdraw(env, "ann")
    assert (status, body["error"]["code"]) == (409, "CONFLICT")
    assert env.wallet("ann")["charged_balance"] == 4_000 and env.bank.paid_out_total() == 0
    assert kinds(env, "ann")[-2:] == [("withdrawal", -4_000, 0), ("withdrawal", 4_000, 0)]
    assert books_balance(env, "ann")


def test_a_withdrawal_turns_the_automatic_top_up_off(env: Env, shop: str):
    env.open_wallet("ann", charge=10_000)
    spend(env, "ann", shop, 6_000)
    assert env.call("PUT", "/wallet/auto-charge", role="resident", sub="ann",
                    body={"mode": "below", "below": 5_000, "amount": 20_000})[0] == 200
    assert withdraw(env, "ann")[0] == 201
    status, body = env.call("GET", "/wallet/auto-charge", role="resident", sub="ann")
    assert (status, body["mode"], body["below"], body["amount"]) == (200, "off", None, None)


def test_a_wallet_stored_before_the_counters_were_kept_counts_them_from_its_ledger(env: Env, shop: str):
    env.open_wallet("ann", charge=100_000)
    spend(env, "ann", shop, 50_000)
    change_wallet("ann", charged_in=0, spent=0, tallied=False)   # as a wallet of before the counters reads
    assert withdraw(env, "ann")[0] == 409                          # 50 % spent, counted from the ledger
    spend(env, "ann", shop, 10_000)
    status, body = withdraw(env, "ann")
    assert (status, body["amount"]) == (201, 40_000)
    wallet, _ = read_wallet("ann")
    assert (wallet.tallied, wallet.charged_in, wallet.spent) == (True, 100_000, 60_000)


def test_payments_racing_a_withdrawal_from_threads_leave_nothing_negative_and_the_books_whole(env: Env, shop: str):
    env.open_wallet("ann", charge=100_000)
    spend(env, "ann", shop, 60_000)
    answers: list[int] = []

    def pay() -> None:
        answers.append(env.pay("ann", shop, 5_000, use_cashback=False)[0])

    threads = [threading.Thread(target=pay) for _ in range(4)]
    for t in threads:
        t.start()
    status, body = withdraw(env, "ann")
    for t in threads:
        t.join()
    assert status == 201, body
    paid = 5_000 * answers.count(201)
    assert body["amount"] == 40_000 - paid and env.wallet("ann")["charged_balance"] == 0
    assert env.bank.paid_out_total() == body["amount"] and books_balance(env, "ann")


def test_the_document_names_exactly_the_reasons_an_automatic_top_up_is_skipped_for():
    assert get_args(SkipReason) == SKIP_REASONS


def test_a_gift_takes_its_share_of_the_60_percent_rule_with_it_so_nobody_withdraws_it_unspent(env: Env, shop: str):
    env.open_wallet("ann", charge=100_000)
    env.open_wallet("bo")
    status, gift = env.call("POST", "/gifts", role="resident", sub="ann", body={"amount": 60_000}, key=new_key())
    assert status == 201, gift
    status, body = env.call("POST", "/gifts/claim", role="resident", sub="bo", body={"claim_code": gift["claim_code"]},
                            key=new_key())
    assert status == 201, body
    for sub in ("ann", "bo"):                            # nothing of what either holds is spent yet
        assert withdraw(env, sub)[1]["error"]["code"] == "INVALID_STATE"
    spend(env, "ann", shop, 24_000)                       # 60 % of the 40,000 ann kept
    spend(env, "bo", shop, 36_000)                        # 60 % of the 60,000 bo was given
    assert [withdraw(env, sub)[1]["amount"] for sub in ("ann", "bo")] == [16_000, 24_000]
    assert env.bank.paid_out_total() == 40_000            # 40 % of the 100,000 that came in from the bank


def test_a_top_up_repeated_after_its_stored_answer_expired_is_refused_rather_than_credited_twice(env: Env):
    env.open_wallet("ann")
    key = new_key()
    status, _ = env.call("POST", "/wallet/charges", role="resident", sub="ann", body={"amount": 10_000}, key=key)
    assert status == 201
    env.repos.store.items.pop(next(k for k in env.repos.store.items if k[0] == "idem"))  # type: ignore[attr-defined]
    status, body = env.call("POST", "/wallet/charges", role="resident", sub="ann", body={"amount": 10_000}, key=key)
    assert (status, body["error"]["code"]) == (409, "CONFLICT")
    assert env.wallet("ann")["charged_balance"] == 10_000 and env.bank.settled_total() == 10_000

"""The rules of money back to the bank and of the automatic top-up, as pure functions (domain/cashout.py,
domain/autocharge.py): the cancellation window, the 60 % rule, what is kept back, what a drop is."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.autocharge import (
    CLAIM,
    PASS,
    RESUME,
    WalletChange,
    claim,
    drop_charge_id,
    is_drop,
    next_step,
    set_auto,
)
from chalicelib.domain.cashout import apply_cancel, apply_withdrawal, cancel_deadline, spent_enough, tally
from chalicelib.domain.errors import InvalidState, ValidationFailed
from chalicelib.domain.ledger import (
    MOVE_AUTO_CHARGE,
    MOVE_CHARGE,
    MOVE_CHARGE_CANCELLED,
    MOVE_GIFT_RECEIVED,
    MOVE_GIFT_SENT,
    MOVE_PAYMENT,
    MOVE_RECOVERY,
    MOVE_REFUND,
    MOVE_WITHDRAWAL,
    Movement,
    balances_match,
)
from chalicelib.domain.months import KST, kst_iso
from chalicelib.domain.wallet import AUTO_BELOW, AUTO_OFF, AutoCharge, ChargeRecord, ResidentMonth, Wallet

CHARGED_AT = datetime(2020, 3, 10, 14, 30, tzinfo=KST)


def record(at: datetime = CHARGED_AT, amount: int = 50_000) -> ChargeRecord:
    return ChargeRecord("chg_1", "ann", amount, "2020-03", MOVE_CHARGE, kst_iso(at))


def wallet(**fields: object) -> Wallet:
    return replace(Wallet("ann", "청라1동", version=5), **fields)  # type: ignore[arg-type]


def test_a_top_up_stays_cancellable_7_days_to_the_hour_after_it_and_to_the_end_of_that_day_but_not_at_midnight():
    deadline = cancel_deadline(CHARGED_AT)
    assert deadline == datetime(2020, 3, 18, 0, 0, tzinfo=KST)   # the 10th not counted: 11th … 17th, to 24:00
    month = ResidentMonth("ann", "2020-03", charged=50_000, version=2)
    held = wallet(charged_balance=50_000, charged_in=50_000)
    for moment in (CHARGED_AT + timedelta(days=7), deadline - timedelta(seconds=1)):
        assert apply_cancel(record(), held, month, moment, payout_id="ccl_1").wallet.charged_balance == 0
    with pytest.raises(InvalidState, match="7th day"):
        apply_cancel(record(), held, month, deadline, payout_id="ccl_1")


def test_a_top_up_made_at_midnight_counts_its_own_day_so_its_window_is_exactly_7_days():
    midnight = datetime(2020, 3, 10, 0, 0, tzinfo=KST)
    assert cancel_deadline(midnight) == midnight + timedelta(days=7)
    # a UTC instant is read in KST: 2020-03-09 15:00 UTC is 00:00 KST on the 10th
    assert cancel_deadline(datetime(2020, 3, 9, 15, 0, tzinfo=UTC)) == datetime(2020, 3, 17, tzinfo=KST)


def test_a_cancellation_takes_the_top_up_off_the_balance_the_counters_and_its_month_and_pays_it_out():
    month = ResidentMonth("ann", "2020-03", charged=80_000, version=2)
    held = wallet(charged_balance=70_000, charged_in=80_000, auto=AutoCharge(AUTO_BELOW, 10_000, 10_000))
    out = apply_cancel(record(), held, month, CHARGED_AT + timedelta(hours=1), payout_id="ccl_1")
    assert (out.wallet.charged_balance, out.wallet.charged_in, out.month.charged) == (20_000, 30_000, 30_000)
    assert (out.record.status, out.record.payout_id, out.payout.amount, out.payout.ref) == (
        "cancelled", "ccl_1", 50_000, "chg_1")
    assert (out.movement.kind, out.movement.d_charged, out.movement.charged_after) == (MOVE_CHARGE_CANCELLED,
                                                                                      -50_000, 20_000)
    assert out.wallet.auto.seen == out.wallet.version   # no drop for the automatic top-up to refill
    with pytest.raises(InvalidState, match="no longer holds"):
        apply_cancel(record(), replace(held, charged_balance=49_999), month, CHARGED_AT, payout_id="ccl_1")
    with pytest.raises(InvalidState, match="already cancelled"):
        apply_cancel(out.record, out.wallet, out.month, CHARGED_AT, payout_id="ccl_2")


@pytest.mark.parametrize(("spent", "allowed"), [(59_999, False), (60_000, True), (100_000, True)])
def test_a_withdrawal_needs_at_least_60_percent_of_everything_charged_spent(spent: int, allowed: bool):
    held = wallet(charged_balance=100_000 - spent, charged_in=100_000, spent=spent)
    assert spent_enough(held) is allowed
    if not allowed:
        with pytest.raises(InvalidState, match="60 %"):
            apply_withdrawal(held, CHARGED_AT, payout_id="wd_1")
    elif held.charged_balance:
        out = apply_withdrawal(held, CHARGED_AT, payout_id="wd_1")
        assert (out.amount, out.wallet.charged_balance, out.kept_back) == (100_000 - spent, 0, 0)


def test_what_is_owed_is_settled_from_cashback_first_and_the_rest_kept_back_from_the_charged_balance():
    held = wallet(charged_balance=40_000, cashback_balance=1_000, adjustment_due=-3_000, charged_in=100_000,
                  spent=60_000)
    out = apply_withdrawal(held, CHARGED_AT, payout_id="wd_1")
    assert (out.from_cashback, out.kept_back, out.amount) == (1_000, 2_000, 38_000)
    assert (out.wallet.charged_balance, out.wallet.cashback_balance, out.wallet.adjustment_due) == (0, 0, 0)
    assert [(m.kind, m.d_charged, m.d_cashback, m.charged_after) for m in out.movements] == [
        (MOVE_RECOVERY, -2_000, -1_000, 38_000), (MOVE_WITHDRAWAL, -38_000, 0, 0)]
    assert out.movements[0].seq < out.movements[1].seq == out.wallet.version
    # the ledger still adds up: what was there, less both movements, is nothing
    opening = Movement("ann", "x", MOVE_CHARGE, "x", 40_000, 1_000, "t")
    assert balances_match(0, 0, [opening, *out.movements])


def test_a_withdrawal_with_nothing_left_after_the_debt_refuses_whole_and_turns_the_automatic_top_up_off_otherwise():
    owing = wallet(charged_balance=2_000, adjustment_due=-3_000, charged_in=10_000, spent=8_000)
    with pytest.raises(InvalidState, match="owed"):
        apply_withdrawal(owing, CHARGED_AT, payout_id="wd_1")
    with pytest.raises(InvalidState, match="is 0"):
        apply_withdrawal(wallet(charged_in=10_000, spent=10_000), CHARGED_AT, payout_id="wd_1")
    on = wallet(charged_balance=1_000, charged_in=10_000, spent=9_000, auto=AutoCharge(AUTO_BELOW, 5_000, 20_000))
    assert apply_withdrawal(on, CHARGED_AT, payout_id="wd_1").wallet.auto.mode == AUTO_OFF
    flying = replace(on, auto=replace(on.auto, in_flight="auto_x", in_flight_amount=20_000))
    with pytest.raises(InvalidState, match="under way"):
        apply_withdrawal(flying, CHARGED_AT, payout_id="wd_1")


def test_the_lifetime_counters_count_top_ups_and_gifts_in_and_shop_payments_net_of_refunds_out():
    def mv(kind: str, d_charged: int) -> Movement:
        return Movement("ann", kind, kind, "r", d_charged, 0, "t")

    ledger = [mv(MOVE_CHARGE, 100_000), mv(MOVE_AUTO_CHARGE, 20_000), mv(MOVE_CHARGE_CANCELLED, -20_000),
              mv(MOVE_PAYMENT, -50_000), mv(MOVE_REFUND, 5_000), mv(MOVE_GIFT_SENT, -10_000),
              mv(MOVE_GIFT_RECEIVED, 3_000), mv(MOVE_WITHDRAWAL, -1_000), mv(MOVE_RECOVERY, -500)]
    assert tally(ledger) == (93_000, 45_000)


def test_a_drop_lowers_the_charged_balance_below_the_threshold_while_nothing_is_in_flight():
    on = wallet(charged_balance=12_000, auto=AutoCharge(AUTO_BELOW, 10_000, 30_000))
    assert is_drop(WalletChange(on, replace(on, charged_balance=9_000, version=6)))
    assert is_drop(WalletChange(replace(on, charged_balance=9_000), replace(on, charged_balance=8_000, version=6)))
    assert not is_drop(WalletChange(on, replace(on, charged_balance=10_000, version=6)))        # not below
    assert not is_drop(WalletChange(replace(on, charged_balance=5_000), replace(on, charged_balance=8_000)))  # up
    off = replace(on, auto=AutoCharge())
    assert not is_drop(WalletChange(off, replace(off, charged_balance=1_000)))
    flying = replace(on, auto=replace(on.auto, in_flight="auto_x"))
    assert not is_drop(WalletChange(flying, replace(flying, charged_balance=1_000)))          # covered by it
    assert not is_drop(WalletChange(None, replace(on, charged_balance=1_000)))


def test_a_drop_claims_once_resumes_its_own_claim_and_passes_when_seen_covered_or_back_above():
    below = wallet(charged_balance=5_000, version=8, auto=AutoCharge(AUTO_BELOW, 10_000, 30_000))
    charge_id = drop_charge_id("ann", 8)
    assert charge_id == drop_charge_id("ann", 8) != drop_charge_id("ann", 9)
    assert next_step(below, 8, charge_id) == CLAIM
    claimed = claim(below, charge_id, "2020-03-10T21:00:00+09:00")
    assert (claimed.auto.in_flight, claimed.auto.in_flight_amount, claimed.auto.seen) == (charge_id, 30_000, 9)
    assert next_step(claimed, 8, charge_id) == RESUME
    assert next_step(claimed, 10, drop_charge_id("ann", 10)) == PASS             # one in flight per wallet
    assert next_step(replace(below, auto=replace(below.auto, seen=8)), 8, charge_id) == PASS
    assert next_step(replace(below, charged_balance=10_000), 8, charge_id) == PASS
    assert next_step(replace(below, auto=AutoCharge()), 8, charge_id) == PASS


@pytest.mark.parametrize(("mode", "below", "amount"), [
    ("below", 999, 10_000), ("below", 1_000_001, 10_000), ("below", 1_000, 9_999), ("below", 1_000, 1_000_001),
    ("below", None, 10_000), ("off", 1_000, None), ("sometimes", 1_000, 10_000)])
def test_the_automatic_top_up_refuses_a_setting_outside_its_bounds(mode: str, below: int | None, amount: int | None):
    with pytest.raises(ValidationFailed):
        set_auto(wallet(), mode, below, amount)
    assert set_auto(wallet(), "below", 1_000, 1_000_000).auto == AutoCharge(AUTO_BELOW, 1_000, 1_000_000)

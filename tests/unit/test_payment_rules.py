"""Payments and refunds as pure rules: discount, drawing order, eligible spend, reversal, no negatives."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.errors import InsufficientFunds, InvalidState, LimitExceeded, ValidationFailed
from chalicelib.domain.ledger import Movement, balances_match
from chalicelib.domain.payment import Payment, PaymentRequest, apply_payment, apply_refund, discount_for
from chalicelib.domain.policy import SEASON2
from chalicelib.domain.wallet import ResidentMonth, Wallet, apply_charge

AT = "2020-03-10T12:00:00+09:00"


def req(amount: int, *, bp: int = 0, use_cashback: bool = True, channel: str = "store") -> PaymentRequest:
    return PaymentRequest(
        payment_id="p1",
        user_id="u",
        merchant_id="m",
        list_amount=amount,
        discount=discount_for(amount, bp) if bp else 0,
        benefit_plus=bool(bp),
        use_cashback=use_cashback,
        created_at="2020-03-01T10:00:00+09:00",
        channel=channel,
    )


def test_benefit_plus_discount_is_floored():
    assert discount_for(12_345, 7) == 864  # 864.15
    assert discount_for(99, 3) == 2
    assert discount_for(10_000, 5) == 500


def test_cashback_is_drawn_first_and_only_the_charged_part_earns():
    wallet = Wallet("u", "청라1동", charged_balance=50_000, cashback_balance=3_000, version=1)
    out = apply_payment(wallet, ResidentMonth("u", "2020-03"), SEASON2, req(10_000))
    assert (out.payment.from_cashback, out.payment.from_charged) == (3_000, 7_000)
    assert out.month.eligible_spend == 7_000
    assert out.payment.cashback == {"city-base": 280, "gu-extra": 70, "benefit-plus": 0}
    assert (out.wallet.charged_balance, out.wallet.cashback_balance) == (43_000, 0)
    assert out.movement == Movement("u", "p1", "payment", "p1", -7_000, -3_000, "2020-03-01T10:00:00+09:00", "m",
                                    gross=10_000, discount=0, charged_after=43_000, cashback_after=0, seq=2,
                                    channel="store")  # fmt: skip


def test_a_resident_may_keep_the_cashback_and_pay_from_charged_only():
    wallet = Wallet("u", "청라1동", charged_balance=50_000, cashback_balance=3_000, version=1)
    out = apply_payment(wallet, ResidentMonth("u", "2020-03"), SEASON2, req(10_000, use_cashback=False))
    assert (out.payment.from_cashback, out.payment.from_charged) == (0, 10_000)
    assert out.wallet.cashback_balance == 3_000


def test_benefit_plus_payment_moves_three_counters_and_pays_the_discounted_price():
    wallet = Wallet("u", "청라1동", charged_balance=100_000, version=1)
    out = apply_payment(wallet, ResidentMonth("u", "2020-03"), SEASON2, req(20_000, bp=5))
    assert (out.payment.discount, out.payment.paid) == (1_000, 19_000)
    assert out.month.spend == {"city-base": 19_000, "gu-extra": 19_000, "benefit-plus": 19_000}
    assert out.payment.cashback == {"city-base": 760, "gu-extra": 190, "benefit-plus": 380}


def test_insufficient_funds_refuse_the_payment_whole():
    wallet = Wallet("u", "청라1동", charged_balance=5_000, cashback_balance=1_000, version=1)
    with pytest.raises(InsufficientFunds):
        apply_payment(wallet, ResidentMonth("u", "2020-03"), SEASON2, req(6_001))


def test_a_settled_month_takes_no_more_payments():
    wallet = Wallet("u", "청라1동", charged_balance=5_000, version=1)
    with pytest.raises(InvalidState):
        apply_payment(wallet, ResidentMonth("u", "2020-03", settled=True), SEASON2, req(1_000))


def test_refund_returns_the_charged_part_first_and_reverses_accruals():
    wallet = Wallet("u", "청라1동", charged_balance=50_000, cashback_balance=3_000, version=1)
    paid = apply_payment(wallet, ResidentMonth("u", "2020-03"), SEASON2, req(10_000))
    partial = apply_refund(paid.payment, paid.wallet, paid.month, SEASON2, 8_000, movement_id="mv", at=AT)
    assert (partial.to_charged, partial.to_cashback) == (7_000, 1_000)
    assert partial.movement == Movement("u", "mv", "refund", paid.payment.payment_id, 7_000, 1_000, AT, "m",
                                        charged_after=50_000, cashback_after=1_000, seq=3, channel="store")
    assert partial.month.eligible_spend == 0
    assert partial.payment.cashback == {"city-base": 0, "gu-extra": 0, "benefit-plus": 0}
    assert partial.payment.status == "partially_refunded"
    rest = apply_refund(partial.payment, partial.wallet, partial.month, SEASON2, None, movement_id="mv", at=AT)
    assert (rest.amount, rest.to_charged, rest.to_cashback) == (2_000, 0, 2_000)
    assert rest.payment.status == "refunded"
    assert (rest.wallet.charged_balance, rest.wallet.cashback_balance) == (50_000, 3_000)


def test_refund_above_what_is_left_is_a_validation_error_and_nothing_left_is_invalid_state():
    wallet = Wallet("u", "청라1동", charged_balance=50_000, version=1)
    paid = apply_payment(wallet, ResidentMonth("u", "2020-03"), SEASON2, req(10_000))
    with pytest.raises(ValidationFailed):
        apply_refund(paid.payment, paid.wallet, paid.month, SEASON2, 10_001, movement_id="mv", at=AT)
    done = apply_refund(paid.payment, paid.wallet, paid.month, SEASON2, None, movement_id="mv", at=AT)
    with pytest.raises(InvalidState):
        apply_refund(done.payment, done.wallet, done.month, SEASON2, 1, movement_id="mv", at=AT)


def test_refund_of_a_settled_month_becomes_an_adjustment_on_the_wallet():
    wallet = Wallet("u", "청라1동", charged_balance=500_000, version=1)
    paid = apply_payment(wallet, ResidentMonth("u", "2020-03"), SEASON2, req(400_000))
    from dataclasses import replace

    settled = replace(paid.month, settled=True)
    out = apply_refund(paid.payment, paid.wallet, settled, SEASON2, 200_000, movement_id="mv", at=AT)
    expected = sum(p.accrual(400_000, 200_000) for p in SEASON2.programs if p.program_id != "benefit-plus")
    assert out.wallet.adjustment_due == expected < 0
    assert out.month.accrued["city-base"] == SEASON2.programs[0].cumulative(200_000)


def test_charging_is_refused_whole_above_the_monthly_limit_or_the_balance_limit():
    wallet = Wallet("u", "청라1동", charged_balance=0, version=1)
    month = ResidentMonth("u", "2020-03", charged=900_000)
    topped = apply_charge(wallet, month, 100_000, SEASON2, charge_id="chg", movement_id="mv", at=AT)
    assert topped.month.charged == 1_000_000
    assert topped.movement == Movement("u", "mv", "charge", "chg", 100_000, 0, AT, charged_after=100_000,
                                       cashback_after=0, seq=2)
    with pytest.raises(LimitExceeded):
        apply_charge(wallet, month, 100_001, SEASON2, charge_id="chg", movement_id="mv", at=AT)
    rich = Wallet("u", "청라1동", charged_balance=1_500_000, cashback_balance=400_000, version=1)
    with pytest.raises(LimitExceeded):
        apply_charge(rich, ResidentMonth("u", "2020-03"), 100_001, SEASON2, charge_id="chg", movement_id="mv", at=AT)


operations = st.lists(
    st.one_of(
        st.tuples(st.just("pay"), st.integers(1, 400_000), st.sampled_from([0, 3, 5, 7]), st.booleans()),
        st.tuples(st.just("refund"), st.integers(0, 30), st.integers(1, 400_000), st.booleans()),
        st.tuples(st.just("charge"), st.integers(1, 500_000), st.just(0), st.just(False)),
    ),
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(operations)
def test_any_sequence_keeps_balances_non_negative_and_accruals_equal_f_of_net_spend(ops):
    """…and the movements the outcomes carry always add up to the balances."""
    wallet = Wallet("u", "청라1동", charged_balance=300_000, cashback_balance=20_000, version=1)
    month = ResidentMonth("u", "2020-03")
    payments: list[Payment] = []
    moved = [Movement("u", "opening", "charge", "opening", 300_000, 20_000, AT)]
    for kind, a, b, flag in ops:
        try:
            if kind == "pay":
                r = PaymentRequest(f"p{len(payments)}", "u", "m", a, discount_for(a, b), bool(b), flag,
                                   "2020-03-01T10:00:00+09:00")
                out = apply_payment(wallet, month, SEASON2, r)
                payments.append(out.payment)
                wallet, month = out.wallet, out.month
                moved.append(out.movement)
            elif kind == "refund" and payments:
                i = a % len(payments)
                amount = None if flag else min(b, payments[i].refundable)
                ref = apply_refund(payments[i], wallet, month, SEASON2, amount, movement_id="mv", at=AT)
                payments[i] = ref.payment
                wallet, month = ref.wallet, ref.month
                moved.append(ref.movement)
            elif kind == "charge":
                c = apply_charge(wallet, month, a, SEASON2, charge_id="chg", movement_id="mv", at=AT)
                wallet, month = c.wallet, c.month
                moved.append(c.movement)
        except (InsufficientFunds, LimitExceeded, InvalidState, ValidationFailed):
            pass
        assert wallet.charged_balance >= 0 and wallet.cashback_balance >= 0
        assert balances_match(wallet.charged_balance, wallet.cashback_balance, moved)
    for program in SEASON2.programs:
        net = sum(p.from_charged - p.refunded_charged for p in payments if program.program_id in p.programs)
        assert month.spend.get(program.program_id, 0) == net
        assert month.accrued.get(program.program_id, 0) == program.cumulative(net)
        assert sum(p.cashback[program.program_id] for p in payments) == program.cumulative(net)

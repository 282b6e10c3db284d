"""Domain objects into the contract's response models."""

from __future__ import annotations

from chalicelib.domain.merchant import Merchant
from chalicelib.domain.payment import Payment
from chalicelib.domain.policy import Policy
from chalicelib.domain.wallet import ResidentMonth, Wallet
from chalicelib.schemas import (
    DeliveryOut,
    LimitsOut,
    MerchantOut,
    MerchantRegisteredOut,
    MonthOut,
    PaymentOut,
    PolicyOut,
    ProgramOut,
    TierOut,
    WalletOut,
)


def wallet_out(wallet: Wallet, month: ResidentMonth, policy: Policy) -> WalletOut:
    return WalletOut(
        user_id=wallet.user_id,
        dong=wallet.dong,
        charged_balance=wallet.charged_balance,
        cashback_balance=wallet.cashback_balance,
        adjustment_due=wallet.adjustment_due,
        month=MonthOut(
            month=month.month,
            eligible_spend=month.eligible_spend,
            charged=month.charged,
            pending_cashback=month.pending_cashback,
            pending_by_program={p: month.accrued.get(p, 0) for p in policy.program_ids},
        ),
        limits=LimitsOut(monthly_charge_limit=policy.monthly_charge_limit, balance_limit=policy.balance_limit),
    )


def payment_out(p: Payment) -> PaymentOut:
    return PaymentOut(
        payment_id=p.payment_id,
        merchant_id=p.merchant_id,
        month=p.month,
        list_amount=p.list_amount,
        discount=p.discount,
        paid=p.paid,
        from_cashback=p.from_cashback,
        from_charged=p.from_charged,
        cashback=dict(p.cashback),
        refunded=p.refunded,
        status=p.status,  # type: ignore[arg-type]
        created_at=p.created_at,
    )


def merchant_out(m: Merchant) -> MerchantOut:
    return MerchantOut(
        merchant_id=m.merchant_id,
        name=m.name,
        dong=m.dong,
        category=m.category,
        benefit_plus=m.benefit_plus,
        discount_rate=m.discount_rate,
        delivery=(
            DeliveryOut(fee=m.delivery.fee, min_order=m.delivery.min_order, dongs=list(m.delivery.dongs))
            if m.delivery
            else None
        ),
        malls=list(m.malls),
        food_complex=m.food_complex,
    )


def merchant_registered_out(m: Merchant) -> MerchantRegisteredOut:
    return MerchantRegisteredOut(**merchant_out(m).model_dump(), business_number=m.business_number)


def policy_out(p: Policy, budget_remaining: dict[str, int] | None = None) -> PolicyOut:
    left = budget_remaining or {}
    return PolicyOut(
        effective_month=p.effective_month,
        programs=[
            ProgramOut(
                program_id=pr.program_id,
                funder=pr.funder,
                applies_to=pr.applies_to,
                tiers=[TierOut(up_to=t.up_to, rate_bp=t.rate_bp) for t in pr.tiers],
                monthly_budget=pr.monthly_budget,
                budget_remaining=left.get(pr.program_id),
            )
            for pr in p.programs
        ],
        monthly_charge_limit=p.monthly_charge_limit,
        balance_limit=p.balance_limit,
    )

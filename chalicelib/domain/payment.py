"""Payments and refunds: discount, drawing from the two balances, eligible spend and exact accruals."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from chalicelib.domain.errors import Forbidden, InvalidState, ValidationFailed
from chalicelib.domain.ledger import MOVE_PAYMENT, MOVE_REFUND, Movement, stamped
from chalicelib.domain.policy import BP_SCALE, CHANNEL_STORE, Policy
from chalicelib.domain.wallet import ResidentMonth, Wallet, require_funds

STATUS_APPROVED = "approved"
STATUS_PARTIALLY_REFUNDED = "partially_refunded"
STATUS_REFUNDED = "refunded"


def discount_for(list_amount: int, rate_percent: int) -> int:
    """A Benefit Plus merchant's instant discount: floor(list × rate)."""
    return list_amount * rate_percent * 100 // BP_SCALE


def refuse_own_shop(acting_for: str | None, payee: str) -> None:
    """Nobody earns cashback at their own shop: a payment or order whose token carries the payee's merchant
    id (a shop's people are also residents) is refused, whatever the shop is."""
    if acting_for is not None and acting_for == payee:
        raise Forbidden("nobody may pay their own shop (no cashback at one's own shop)")


@dataclass(frozen=True)
class Draw:
    """Where the paid amount comes from: cashback first when the resident asks, the rest from charged."""

    from_cashback: int
    from_charged: int


def draw(paid: int, use_cashback: bool, wallet: Wallet) -> Draw:
    """`paid` is drawn from cashback first (if asked), the rest from charged; funds are checked after."""
    from_cashback = min(paid, wallet.cashback_balance) if use_cashback else 0
    return Draw(from_cashback=from_cashback, from_charged=paid - from_cashback)


@dataclass(frozen=True)
class PaymentRequest:
    """What is being paid: the list amount (rung up or server-priced) and the merchant's discount on it."""

    payment_id: str
    user_id: str
    merchant_id: str
    list_amount: int
    discount: int
    benefit_plus: bool
    use_cashback: bool
    created_at: str
    channel: str = CHANNEL_STORE
    order_id: str | None = None
    merchant_name: str | None = None
    """The payee's name as it was when paid, for the resident's history (not part of the payment record)."""


@dataclass(frozen=True)
class Payment:
    """A payment record. `cashback` is this payment's net accrual per program (refunds included)."""

    payment_id: str
    user_id: str
    merchant_id: str
    month: str
    channel: str
    list_amount: int
    discount: int
    paid: int
    from_cashback: int
    from_charged: int
    programs: tuple[str, ...]
    cashback: dict[str, int] = field(default_factory=dict)
    refunded: int = 0
    refunded_charged: int = 0
    refunded_cashback: int = 0
    status: str = STATUS_APPROVED
    created_at: str = ""
    order_id: str | None = None
    version: int = 0

    @property
    def refundable(self) -> int:
        return self.paid - self.refunded


@dataclass(frozen=True)
class PaymentOutcome:
    """A payment: its record, the wallet and month after it, and the ledger movement it causes (which names
    the merchant, the list amount and the discount, for the merchant's settlement line)."""

    payment: Payment
    wallet: Wallet
    month: ResidentMonth
    movement: Movement


def _move_counters(
    month: ResidentMonth,
    policy: Policy,
    programs: tuple[str, ...],
    delta: int,
    budget_left: Mapping[str, int] | None = None,
) -> tuple[ResidentMonth, dict[str, int]]:
    """Move each covering program's counter by `delta` and return each program's accrual.

    Without a budget the accrual is F(c′) − F(c). A program whose monthly budget is running out
    grants at most what is left (`budget_left`), so a payment may get part of its accrual. A refund
    takes the resident's accrued cashback down to at most F(c′) (exactly F(c′) − F(c) when no
    budget ever capped it), and what it takes back returns to the budget.
    """
    spend = dict(month.spend)
    accrued = dict(month.accrued)
    accruals: dict[str, int] = {}
    for program_id in programs:
        program = policy.program(program_id)
        if program is None:
            continue
        before = spend.get(program_id, 0)
        after = before + delta
        held = accrued.get(program_id, 0)
        if delta >= 0:
            due = program.accrual(before, after)
            left = None if budget_left is None else budget_left.get(program_id)
            change = due if left is None else max(0, min(due, left))
        else:
            change = min(held, program.cumulative(after)) - held
        accruals[program_id] = change
        spend[program_id] = after
        accrued[program_id] = held + change
    moved = replace(
        month,
        eligible_spend=month.eligible_spend + delta,
        spend=spend,
        accrued=accrued,
        version=month.version + 1,
    )
    return moved, accruals


def apply_payment(
    wallet: Wallet,
    month: ResidentMonth,
    policy: Policy,
    req: PaymentRequest,
    budget_left: Mapping[str, int] | None = None,
) -> PaymentOutcome:
    """Everything a payment changes, computed at once so it can be written in one transaction.

    Only the part drawn from `charged_balance` is eligible spend; it moves the counter of every program
    that covers the merchant and channel, and each accrues exactly F(c′) − F(c). It is also what the wallet
    has `spent` for the withdrawal's 60 % rule.
    """
    if month.settled:
        raise InvalidState(f"month {month.month} is already settled")
    if not 0 <= req.discount <= req.list_amount:
        raise ValidationFailed("discount must lie between 0 and the list amount")
    paid = req.list_amount - req.discount
    source = draw(paid, req.use_cashback, wallet)
    require_funds(wallet, source.from_charged, source.from_cashback)
    programs = tuple(p.program_id for p in policy.programs if p.covers(req.benefit_plus, req.channel))
    new_month, accruals = _move_counters(month, policy, programs, source.from_charged, budget_left)
    payment = Payment(
        payment_id=req.payment_id,
        user_id=req.user_id,
        merchant_id=req.merchant_id,
        month=month.month,
        channel=req.channel,
        list_amount=req.list_amount,
        discount=req.discount,
        paid=paid,
        from_cashback=source.from_cashback,
        from_charged=source.from_charged,
        programs=programs,
        cashback={p: accruals.get(p, 0) for p in policy.program_ids},
        created_at=req.created_at,
        order_id=req.order_id,
        version=1,
    )
    new_wallet = replace(
        wallet,
        charged_balance=wallet.charged_balance - source.from_charged,
        cashback_balance=wallet.cashback_balance - source.from_cashback,
        spent=wallet.spent + source.from_charged,
        version=wallet.version + 1,
    )
    movement = stamped(Movement(
        user_id=req.user_id, movement_id=req.payment_id, kind=MOVE_PAYMENT, ref=req.payment_id,
        d_charged=-source.from_charged, d_cashback=-source.from_cashback, created_at=req.created_at,
        merchant_id=req.merchant_id, gross=req.list_amount, discount=req.discount, merchant_name=req.merchant_name,
        channel=req.channel,
    ), new_wallet)
    return PaymentOutcome(payment=payment, wallet=new_wallet, month=new_month, movement=movement)


@dataclass(frozen=True)
class RefundOutcome:
    """A refund: the money back to each source, the accrual reversal per program, and its ledger movement."""

    payment: Payment
    wallet: Wallet
    month: ResidentMonth
    amount: int
    to_charged: int
    to_cashback: int
    accruals: dict[str, int]
    movement: Movement


def apply_refund(
    payment: Payment,
    wallet: Wallet,
    month: ResidentMonth,
    policy: Policy,
    amount: int | None,
    *,
    movement_id: str,
    at: str,
    merchant_name: str | None = None,
) -> RefundOutcome:
    """Refund `amount` won paid (default: all that is left), charged part first.

    The payment's own month's counters go down by the charged part and the accruals reverse by the
    same F rule. When that month is already settled the reversal cannot touch pending cashback any
    more: it becomes a negative adjustment on the wallet that the next settlement applies. The charged part
    comes off the wallet's `spent` (the withdrawal's 60 % rule counts spending net of refunds).
    """
    left = payment.refundable
    if left <= 0:
        raise InvalidState("nothing is left to refund on this payment")
    amount = left if amount is None else amount
    if amount <= 0 or amount > left:
        raise ValidationFailed(f"refund amount must be between 1 and {left} won")
    to_charged = min(amount, payment.from_charged - payment.refunded_charged)
    to_cashback = amount - to_charged
    new_month, accruals = _move_counters(month, policy, payment.programs, -to_charged)
    reversal = sum(accruals.values())
    refunded = payment.refunded + amount
    new_payment = replace(
        payment,
        refunded=refunded,
        refunded_charged=payment.refunded_charged + to_charged,
        refunded_cashback=payment.refunded_cashback + to_cashback,
        cashback={p: payment.cashback.get(p, 0) + accruals.get(p, 0) for p in payment.cashback},
        status=STATUS_REFUNDED if refunded == payment.paid else STATUS_PARTIALLY_REFUNDED,
        version=payment.version + 1,
    )
    new_wallet = replace(
        wallet,
        charged_balance=wallet.charged_balance + to_charged,
        cashback_balance=wallet.cashback_balance + to_cashback,
        spent=wallet.spent - to_charged,
        adjustment_due=wallet.adjustment_due + (reversal if month.settled else 0),
        version=wallet.version + 1,
    )
    return RefundOutcome(
        payment=new_payment,
        wallet=new_wallet,
        month=new_month,
        amount=amount,
        to_charged=to_charged,
        to_cashback=to_cashback,
        accruals=accruals,
        movement=stamped(Movement(
            user_id=payment.user_id, movement_id=movement_id, kind=MOVE_REFUND, ref=payment.payment_id,
            d_charged=to_charged, d_cashback=to_cashback, created_at=at, merchant_id=payment.merchant_id,
            merchant_name=merchant_name, channel=payment.channel,
        ), new_wallet),
    )

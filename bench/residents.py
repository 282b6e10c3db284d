"""A synthetic district for the settlement benchmark, written straight into moto's table.

Every resident's state is produced by the app's own domain functions, event by event, as the API
would have produced it: `apply_charge`, `apply_payment` (discount, cashback-first draw, exact accrual
F(c′) − F(c) per program of `SEASON2`), `apply_refund` (of a payment of the open month, or of an
already settled one, which leaves a negative `adjustment_due`), and `settle_resident` for the previous
month's credit. The ledger movements are built as the handlers build them, so each wallet's balances
are the sum of its movements by construction (the settlement's books check proves it again).

The items are then made by the wallet repository's own conversions (`DynamoWallets.wallet_item`,
`month_item` and `movement_item`, exactly what its `stage…` methods write), serialised by
PynamoDB (`Model.serialize()`, what a PutItem sends) and put into moto's backend table directly:
no HTTP emulation, no API, no botocore, ~20 µs an item. Payment, idempotency and merchant items are
not written: the settlement never reads them.

The mix (fractions of residents, per month): 70 % pay in the settled month (1–10 payments, ~30 % of
merchants Benefit Plus at 3/5/7 %, some paying with cashback first, 5 % of them get a refund), 5 %
only top up, the rest do nothing that month; 40 % were active the month before too (their previous
month is settled, so they hold cashback); 2 % have a refund in this month of a payment of the settled
previous month, so they owe an adjustment (some more than their cashback: the rest stays owed).
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain.dongs import DONGS
from chalicelib.domain.ledger import MOVE_PAYMENT, MOVE_REFUND, Movement
from chalicelib.domain.payment import Payment, PaymentRequest, apply_payment, apply_refund, discount_for
from chalicelib.domain.policy import SEASON2, Policy
from chalicelib.domain.settlement import settle_resident
from chalicelib.domain.wallet import ResidentMonth, Wallet, apply_charge

MONTH = "2020-03"
PREVIOUS = "2020-02"
SETTLED_AT = "2020-04-01T01:00:00+09:00"
"""When the expected credit is computed (only the movement it would record carries it)."""
SHARE_ACTIVE = 0.70
SHARE_CHARGE_ONLY = 0.05
SHARE_PREVIOUS = 0.40
SHARE_ADJUSTMENT = 0.02
SHARE_REFUND = 0.05


@dataclass(frozen=True)
class Merchant:
    merchant_id: str
    benefit_plus: bool
    rate: int


@dataclass
class Resident:
    wallet: Wallet
    month: ResidentMonth | None
    movements: list[Movement]


@dataclass
class Profile:
    """What was seeded, to describe the data set in the report."""

    residents: int = 0
    items: int = 0
    active: int = 0
    month_items: int = 0
    movements: int = 0
    payments: int = 0
    refunds: int = 0
    with_adjustment: int = 0
    paid_total: int = 0
    accrued_total: int = 0
    expected_settled: int = 0
    expected_credited: int = 0
    spend_of_active: list[int] = field(default_factory=list)
    merchant_lines: dict[str, list[int]] = field(default_factory=dict)
    """Per merchant, [gross, discounts, refunds] of MONTH from the seeded movements: what the settlement's
    merchant lines must say (not in `as_dict`: the figures file would carry 3,000 of them)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "residents": self.residents,
            "items": self.items,
            "active": self.active,
            "month_items": self.month_items,
            "movements": self.movements,
            "payments": self.payments,
            "refunds": self.refunds,
            "with_adjustment": self.with_adjustment,
            "paid_total": self.paid_total,
            "accrued_total": self.accrued_total,
            "expected_settled": self.expected_settled,
            "expected_credited": self.expected_credited,
            "median_eligible_spend_active": int(statistics.median(self.spend_of_active or [0])),
        }


def merchants(count: int, rng: random.Random) -> tuple[list[Merchant], list[float]]:
    """Merchants with Zipf-like popularity (cumulative weights for `random.choices`)."""
    pool = []
    for k in range(count):
        bplus = rng.random() < 0.30
        pool.append(Merchant(f"mer_{k:032x}", bplus, rng.choice((3, 5, 7)) if bplus else 0))
    cum: list[float] = []
    acc = 0.0
    for k in range(count):
        acc += 1.0 / (k + 1) ** 0.8
        cum.append(acc)
    return pool, cum


def _stamp(rng: random.Random, month: str, first_day: int, last_day: int) -> str:
    day = rng.randint(first_day, last_day)
    return f"{month}-{day:02d}T{rng.randint(7, 22):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}+09:00"


class _Life:
    """One resident's wallet, month counters and ledger, moved by the domain functions."""

    def __init__(self, user_id: str, dong: str, policy: Policy) -> None:
        self.policy = policy
        self.wallet = Wallet(user_id=user_id, dong=dong, created_at="2020-01-20T10:00:00+09:00", version=1)
        self.months: dict[str, ResidentMonth] = {}
        self.moves: list[Movement] = []
        self.payments: list[Payment] = []
        self.n = 0

    def month(self, month: str) -> ResidentMonth:
        return self.months.get(month) or ResidentMonth(self.wallet.user_id, month)

    def _id(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}_{self.wallet.user_id}_{self.n:03d}"

    def charge(self, month: str, amount: int, at: str) -> None:
        out = apply_charge(self.wallet, self.month(month), amount, self.policy, movement_id=self._id("mv"),
                           charge_id=self._id("tr"), at=at)
        self.wallet, self.months[month] = out.wallet, out.month
        self.moves.append(out.movement)

    def pay(self, month: str, shop: Merchant, amount: int, use_cashback: bool, at: str) -> Payment:
        req = PaymentRequest(self._id("pay"), self.wallet.user_id, shop.merchant_id, amount,
                             discount_for(amount, shop.rate) if shop.benefit_plus else 0,
                             shop.benefit_plus, use_cashback, at)
        out = apply_payment(self.wallet, self.month(month), self.policy, req)
        self.wallet, self.months[month] = out.wallet, out.month
        self.moves.append(out.movement)
        self.payments.append(out.payment)
        return out.payment

    def refund(self, payment: Payment, amount: int, at: str) -> None:
        out = apply_refund(payment, self.wallet, self.month(payment.month), self.policy, amount,
                           movement_id=self._id("mv"), at=at)
        self.wallet, self.months[payment.month] = out.wallet, out.month
        self.moves.append(out.movement)

    def settle(self, month: str, at: str) -> None:
        outcome = settle_resident(self.wallet, self.month(month), None, at)
        if outcome is None:
            return
        self.wallet, self.months[month] = outcome.wallet, outcome.month
        if outcome.movement is not None:
            self.moves.append(outcome.movement)


def _amount(rng: random.Random) -> int:
    """A list amount: mostly small shop payments, a long tail (median ~25,000 won)."""
    return max(1_000, min(400_000, int(rng.lognormvariate(10.1, 0.9)) // 100 * 100))


def _month_of_payments(life: _Life, rng: random.Random, month: str, shops: list[Merchant], cum: list[float],
                       count: int, first_day: int) -> list[Payment]:
    plan = [(rng.choices(shops, cum_weights=cum)[0], _amount(rng), _stamp(rng, month, first_day + 2, 28))
            for _ in range(count)]
    plan.sort(key=lambda p: p[2])
    # Top up enough for the part not paid with cashback (at most the monthly limit), then pay.
    need = sum(a - (discount_for(a, s.rate) if s.benefit_plus else 0) for s, a, _ in plan)
    room = life.policy.monthly_charge_limit - life.month(month).charged
    top_up = min(room, max(0, need - life.wallet.charged_balance + rng.randint(0, 5) * 10_000))
    top_up = top_up // 10_000 * 10_000
    if top_up > 0:
        life.charge(month, top_up, _stamp(rng, month, first_day, first_day + 1))
    made = []
    for shop, amount, at in plan:
        use_cashback = life.wallet.cashback_balance > 0 and rng.random() < 0.5
        paid = amount - (discount_for(amount, shop.rate) if shop.benefit_plus else 0)
        from_cashback = min(paid, life.wallet.cashback_balance) if use_cashback else 0
        if paid - from_cashback > life.wallet.charged_balance:
            continue  # would be refused for insufficient funds
        made.append(life.pay(month, shop, amount, use_cashback, at))
    return made


def resident(i: int, rng: random.Random, shops: list[Merchant], cum: list[float], policy: Policy = SEASON2) -> Resident:
    """Resident number i of the district, with its previous and its settled month."""
    life = _Life(f"res-{i:07d}", DONGS[rng.randrange(len(DONGS))], policy)
    previous: list[Payment] = []
    if rng.random() < SHARE_PREVIOUS:
        previous = _month_of_payments(life, rng, PREVIOUS, shops, cum, rng.randint(1, 8), 1)
        life.settle(PREVIOUS, f"{MONTH}-01T01:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}+09:00")
    draw = rng.random()
    if previous and rng.random() < SHARE_ADJUSTMENT / SHARE_PREVIOUS:
        # a payment of the settled month refunded now: a negative adjustment the settlement applies
        p = max(previous, key=lambda x: x.paid)
        life.refund(p, max(1, p.refundable // rng.choice((1, 2, 4))), _stamp(rng, MONTH, 1, 28))
    if draw < SHARE_ACTIVE:
        made = _month_of_payments(life, rng, MONTH, shops, cum, rng.randint(1, 10), 1)
        if made and rng.random() < SHARE_REFUND:
            p = rng.choice(made)
            life.refund(p, max(1, p.paid // rng.choice((1, 2, 3))), _stamp(rng, MONTH, 29, 31))
    elif draw < SHARE_ACTIVE + SHARE_CHARGE_ONLY:
        room = policy.monthly_charge_limit
        life.charge(MONTH, min(room, rng.randint(1, 10) * 10_000), _stamp(rng, MONTH, 1, 28))
    month = life.months.get(MONTH)
    return Resident(life.wallet, month, life.moves)


def district(size: int, seed: int = 20200401, merchant_count: int = 3_000) -> Iterator[Resident]:
    rng = random.Random(f"{seed}:{size}")
    shops, cum = merchants(merchant_count, rng)
    for i in range(size):
        yield resident(i, rng, shops, cum)


# ---- writing the items -------------------------------------------------------------------------


def items_of(wallets: Any, r: Resident) -> list[Any]:
    """The PynamoDB items of one resident, as the wallet repository (`storage/wallets.py`) makes them."""
    out = [wallets.wallet_item(r.wallet)]
    if r.month is not None:
        out.append(wallets.month_item(r.month))
    out += [wallets.movement_item(mv) for mv in r.movements]
    return out


def moto_table(table_name: str, region: str) -> Any:
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[DEFAULT_ACCOUNT_ID][region].get_table(table_name)


def seed(wallets: Any, table: Any, residents: Iterator[Resident], profile: Profile,
         shard_sizes: list[int], shards: int) -> list[Resident]:
    """Put every resident's items into moto's table; returns a sample of residents to check against."""
    kept: list[Resident] = []
    for r in residents:
        for item in items_of(wallets, r):
            table.put_item(item.serialize(null_check=True), overwrite=True)
            profile.items += 1
        count(r, profile, shard_sizes, shards)
        if len(kept) < 50 and profile.residents % 97 == 1:
            kept.append(r)
    return kept


def count(r: Resident, profile: Profile, shard_sizes: list[int], shards: int) -> None:
    """Describe the resident in the profile, and what settling it must do (by the domain function)."""
    from chalicelib.domain.settlement import shard_of

    profile.residents += 1
    shard_sizes[shard_of(r.wallet.user_id, shards)] += 1
    profile.movements += len(r.movements)
    pays = [m for m in r.movements if m.kind == MOVE_PAYMENT]
    profile.payments += len(pays)
    profile.refunds += sum(1 for m in r.movements if m.kind == MOVE_REFUND)
    profile.paid_total += -sum(m.d_charged + m.d_cashback for m in pays if m.created_at.startswith(MONTH))
    for m in r.movements:
        if m.merchant_id is not None and m.created_at.startswith(MONTH) and m.kind in (MOVE_PAYMENT, MOVE_REFUND):
            line = profile.merchant_lines.setdefault(m.merchant_id, [0, 0, 0])
            if m.kind == MOVE_PAYMENT:
                line[0], line[1] = line[0] + m.gross, line[1] + m.discount
            else:
                line[2] += m.d_charged + m.d_cashback
    if r.wallet.adjustment_due:
        profile.with_adjustment += 1
    if r.month is not None:
        profile.month_items += 1
        profile.accrued_total += sum(r.month.accrued.values())
        if any(m.created_at.startswith(MONTH) for m in pays):
            profile.active += 1
            profile.spend_of_active.append(r.month.eligible_spend)
        check_accruals(r.month)
    outcome = settle_resident(r.wallet, r.month or ResidentMonth(r.wallet.user_id, MONTH), None, SETTLED_AT)
    if outcome is not None:
        profile.expected_settled += 1
        profile.expected_credited += outcome.credit.credited


def check_accruals(month: ResidentMonth, policy: Policy = SEASON2) -> None:
    """The exact-accrual rule: a month's accrual per program is F_p(its spend counter)."""
    for program_id, spend in month.spend.items():
        program = policy.program(program_id)
        assert program is not None
        if month.accrued.get(program_id, 0) != program.cumulative(spend):
            raise AssertionError(f"{month.user_id}: {program_id} accrued differs from F(spend)")

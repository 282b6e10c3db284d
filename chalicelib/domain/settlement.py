"""Monthly settlement: crediting each resident's month exactly once, and the month's books.

A month closes at 00:00 KST on the 1st of the next month; its settlement credits every resident's net
accruals plus any adjustment owed from refunds of earlier settled months. Residents are split into a
fixed number of shards (by a hash of their id) so the work fans out through SQS.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace

from chalicelib.domain.donations import MODE_FIXED, AutoDonation, auto_amount
from chalicelib.domain.dongs import DONGS
from chalicelib.domain.errors import Conflict
from chalicelib.domain.ledger import MOVE_CASHBACK, MOVE_RECOVERY, Movement, stamped
from chalicelib.domain.policy import Policy
from chalicelib.domain.shards import DEFAULT_SHARDS as DEFAULT_SHARDS  # the shards are the settlement's fan-out
from chalicelib.domain.shards import shard_of as shard_of
from chalicelib.domain.wallet import ResidentMonth, Wallet

STATUS_QUEUED = "queued"
STATUS_RUNNING = "running"
STATUS_COMPLETED = "completed"
STATUS_FAILED = "failed"
MAX_PROBLEMS = 50


@dataclass(frozen=True)
class Credit:
    """What settling one resident's month did: `credited` is the signed change to cashback_balance,
    `recovered_from_charged` what was taken back from the charged balance, `still_owed` what neither
    could cover (≥ 0, kept on the wallet as `adjustment_due`)."""

    user_id: str
    month: str
    accrued: dict[str, int]
    adjustment_applied: int
    credited: int
    auto_donated: int = 0
    recovered_from_charged: int = 0
    still_owed: int = 0

    @property
    def accrued_total(self) -> int:
        return sum(self.accrued.values())


class RunTaken(Conflict):
    """Another start of the month's settlement began meanwhile (only one run goes at a time)."""


@dataclass(frozen=True)
class SettlementRun:
    """The month's settlement as staff follow it: one run at a time, in two phases, each counted as it finishes:
    its credit shards, then the segments of its books check (`domain/books.py`), which the message of the shard
    that finished the credits (`books_started_by`) sends out. A run stored before the books check had its own
    phase has no segments (`segments_total` 0)."""

    month: str
    run_id: str
    status: str
    shards_total: int
    shards_done: int
    started_at: str
    finished_at: str | None = None
    totals: Totals | None = None
    reports: list[str] = field(default_factory=list)
    segments_total: int = 0
    segments_done: int = 0
    books_started_by: int | None = None

    @property
    def parts_done(self) -> int:
        """The run's progress: its shards and books segments done, each counted once."""
        return self.shards_done + self.segments_done

    @property
    def parts_total(self) -> int:
        return self.shards_total + self.segments_total


@dataclass(frozen=True)
class SettleOutcome:
    """`wallet` is after the credit; `credit.auto_donated` is what the automatic donation takes from it
    next, in the same transaction. `movement` is the credit's ledger movement (None when nothing moved)."""

    wallet: Wallet
    month: ResidentMonth
    credit: Credit
    movement: Movement | None


def settle_resident(
    wallet: Wallet, month: ResidentMonth, auto: AutoDonation | None, at: str
) -> SettleOutcome | None:
    """Credit the month's net accruals plus what is owed from refunds of settled months.

    A negative net is recovered from the cashback balance first, then from the charged balance (so nobody
    keeps cashback by spending it and having the payment refunded); what both cannot cover stays owed
    (`adjustment_due`) and is recovered by the next settlements, from later cashback and top-ups. Then
    the automatic donation, if the resident set one, takes its share of the
    cashback (recorded on the month, so it runs once per resident-month). Returns None when there is
    nothing to do (no activity, nothing owed, no fixed donation to make) or the month is already settled
    (exactly once: the settled flag is written with the credit).
    """
    if month.settled:
        return None
    accrued = dict(month.accrued)
    fixed_due = auto is not None and auto.mode == MODE_FIXED and wallet.cashback_balance > 0
    if not accrued and month.version == 0 and wallet.adjustment_due == 0 and not fixed_due:
        return None
    net = sum(accrued.values()) + wallet.adjustment_due
    from_charged = 0
    if net >= 0:
        credited, due_after = net, 0
    else:
        from_cashback = min(wallet.cashback_balance, -net)
        from_charged = min(wallet.charged_balance, -net - from_cashback)
        credited, due_after = -from_cashback, net + from_cashback + from_charged
    donated = auto_amount(auto, credited, wallet.cashback_balance + credited)
    credit = Credit(
        user_id=wallet.user_id,
        month=month.month,
        accrued=accrued,
        adjustment_applied=wallet.adjustment_due - due_after,
        credited=credited,
        auto_donated=donated,
        recovered_from_charged=from_charged,
        still_owed=-due_after,
    )
    after = replace(
        wallet,
        cashback_balance=wallet.cashback_balance + credited,
        charged_balance=wallet.charged_balance - from_charged,
        adjustment_due=due_after,
        version=wallet.version + 1,
    )
    return SettleOutcome(
        wallet=after,
        month=replace(
            month,
            settled=True,
            credited=credited,
            settled_accrued=accrued,
            adjustment_applied=credit.adjustment_applied,
            auto_donated=donated,
            recovered_from_charged=from_charged,
            still_owed=-due_after,
            version=month.version + 1,
        ),
        credit=credit,
        movement=_movement(after, month.month, at, credited, from_charged, recovery=net < 0),
    )


def _movement(after: Wallet, month: str, at: str, credited: int, from_charged: int, *, recovery: bool) -> Movement | None:
    """The settlement's one movement of the month: a credit, or a recovery (cashback first, then charged)."""
    if not credited and not from_charged:
        return None
    return stamped(Movement(
        user_id=after.user_id, movement_id=f"cb-{month}", kind=MOVE_RECOVERY if recovery else MOVE_CASHBACK,
        ref=f"settlement:{month}", d_charged=-from_charged, d_cashback=credited, created_at=at,
    ), after)


def credit_of(month: ResidentMonth) -> Credit | None:
    """The credit a settled month recorded (re-runs count it again without crediting it again)."""
    if not month.settled:
        return None
    return Credit(
        user_id=month.user_id,
        month=month.month,
        accrued=dict(month.settled_accrued),
        adjustment_applied=month.adjustment_applied,
        credited=month.credited,
        auto_donated=month.auto_donated,
        recovered_from_charged=month.recovered_from_charged,
        still_owed=month.still_owed,
    )


@dataclass(frozen=True)
class MerchantLine:
    """A merchant's month: gross list amounts, its own discounts, refunds, net payout, and fees (always 0)."""

    gross: int = 0
    discounts: int = 0
    refunds: int = 0

    @property
    def net(self) -> int:
        return self.gross - self.discounts - self.refunds

    def plus(self, other: MerchantLine) -> MerchantLine:
        return MerchantLine(self.gross + other.gross, self.discounts + other.discounts, self.refunds + other.refunds)


@dataclass
class Totals:
    """What a shard (or the whole month, when shards are summed) settled. Sums only: order-free."""

    residents: int = 0
    settled_residents: int = 0
    cashback_credited: int = 0
    accrued: int = 0
    adjustments_applied: int = 0
    auto_donations: int = 0
    recovered_from_charged: int = 0
    still_owed: int = 0
    by_program: dict[str, int] = field(default_factory=dict)
    tier_spend: dict[str, list[int]] = field(default_factory=dict)
    dongs: dict[str, list[int]] = field(default_factory=dict)
    credited_by_dong: dict[str, list[int]] = field(default_factory=dict)
    """Per dong of the wallet: [residents whose month is settled, cashback credited to them]. Counted from the
    recorded credit like `by_program`, so a re-run or a retried shard counts each resident once."""
    merchants: dict[str, list[int]] = field(default_factory=dict)
    """Per merchant, `[gross, discounts, refunds]` of the month: tallied by the books check from the ledgers."""
    problems: list[str] = field(default_factory=list)
    wallets_checked: int = 0
    """Wallets the books check compared with the sum of their ledgers (`domain/books.py`)."""

    def add_resident(self, wallet: Wallet, month: ResidentMonth, credit: Credit | None, policy: Policy) -> None:
        """Count one resident of the credit phase: its credit, and its spend per tier and dong."""
        self.residents += 1
        dong = self.dongs.setdefault(wallet.dong, [0, 0])
        dong[0] += 1
        dong[1] += month.eligible_spend
        if credit is not None:
            self.settled_residents += 1
            self.cashback_credited += credit.credited
            self.accrued += credit.accrued_total
            self.adjustments_applied += credit.adjustment_applied
            self.auto_donations += credit.auto_donated
            self.recovered_from_charged += credit.recovered_from_charged
            self.still_owed += credit.still_owed
            for program_id, amount in credit.accrued.items():
                self.by_program[program_id] = self.by_program.get(program_id, 0) + amount
            credited = self.credited_by_dong.setdefault(wallet.dong, [0, 0])
            credited[0] += 1
            credited[1] += credit.credited
            if credit.credited - credit.recovered_from_charged != credit.accrued_total + credit.adjustment_applied:
                self.problem(f"{wallet.user_id}: credited − recovered {credit.credited} != accrued + adjustment")
        for program in policy.programs:
            row = self.tier_spend.setdefault(program.program_id, [0] * len(program.tiers))
            for i, part in enumerate(program.tier_spend(month.spend.get(program.program_id, 0))):
                if i < len(row):
                    row[i] += part

    def problem(self, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)

    def merge(self, other: Totals) -> None:
        """Fold another shard's totals in."""
        self.residents += other.residents
        self.settled_residents += other.settled_residents
        self.cashback_credited += other.cashback_credited
        self.accrued += other.accrued
        self.adjustments_applied += other.adjustments_applied
        self.auto_donations += other.auto_donations
        self.recovered_from_charged += other.recovered_from_charged
        self.still_owed += other.still_owed
        self.wallets_checked += other.wallets_checked
        for k, v in other.by_program.items():
            self.by_program[k] = self.by_program.get(k, 0) + v
        for k, row in other.tier_spend.items():
            mine = self.tier_spend.setdefault(k, [0] * len(row))
            for i, v in enumerate(row):
                if i < len(mine):
                    mine[i] += v
                else:
                    mine.append(v)
        for table, into in ((other.dongs, self.dongs), (other.credited_by_dong, self.credited_by_dong),
                            (other.merchants, self.merchants)):
            for k, row in table.items():
                mine = into.setdefault(k, [0] * len(row))
                for i, v in enumerate(row):
                    mine[i] += v
        for p in other.problems:
            self.problem(p)

    def to_json(self) -> str:
        """How a shard's totals are kept (and carried on to a shard's continuation message)."""
        return json.dumps(asdict(self), separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Totals:
        return cls(**json.loads(text))

    @property
    def recovered_from_cashback(self) -> int:
        """What was owed and taken back from cashback balances (the rest of `-adjustments_applied`)."""
        return -self.adjustments_applied - self.recovered_from_charged

    @property
    def books_balanced(self) -> bool:
        """Cashback credited, less what was recovered from charged balances, is exactly the month's accruals
        plus the adjustments applied; and every wallet equals the sum of its movements (the books check names
        any that does not in `problems`)."""
        return not self.problems and (
            self.cashback_credited - self.recovered_from_charged == self.accrued + self.adjustments_applied
        )

    def by_dong(self) -> dict[str, tuple[int, int]]:
        """Each dong with a settled resident: (residents, cashback credited), in the order of the 22 dongs (a
        name outside them, which no wallet should have, after them). Sums to `settled_residents` and
        `cashback_credited`."""
        rank = {d: i for i, d in enumerate(DONGS)}
        ordered = sorted(self.credited_by_dong.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0]))
        return {dong: (row[0], row[1]) for dong, row in ordered}

    def by_funder(self, policy: Policy) -> dict[str, int]:
        """What each funder owes for the month: the accruals of the programs it funds."""
        owed: dict[str, int] = {}
        for program in policy.programs:
            owed[program.funder] = owed.get(program.funder, 0) + self.by_program.get(program.program_id, 0)
        for program_id, amount in self.by_program.items():
            if policy.program(program_id) is None:
                owed["unknown"] = owed.get("unknown", 0) + amount
        return owed

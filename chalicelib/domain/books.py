"""The month's books check, the settlement's second phase: every wallet against the sum of its ledger, and the
merchants' lines of the month, from one parallel Scan of the table.

A resident's wallet and ledger are one item collection (one partition key), and a Scan segment holds every
item of the partition keys it covers, one collection after another; so a segment's reader sees a resident's
wallet and all of its movements together and can check them without reading anything else. The Scan is not a
snapshot (a payment may land between the wallet's item and its movements): a wallet that disagrees with its
ledger is read again, consistently and alone, before it is reported.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from chalicelib.domain.ledger import MOVE_PAYMENT, MOVE_REFUND, Movement
from chalicelib.domain.settlement import Totals

MAX_SEGMENTS = 32
"""The Scan's segments: as many as the credit phase's shards, at most 32. A Scan page (1 MB, some 3,000 items)
covers a few hundred residents, so fewer, longer segments keep the fixed cost of each (its message, its
run-record reads, its `done` transaction) small next to the residents: 32 segments of a district of 300,000
are ~9,400 residents each."""


def segments_for(shards: int) -> int:
    """How many Scan segments a run with `shards` credit shards checks its books in (fixed when it starts)."""
    return max(1, min(shards, MAX_SEGMENTS))


@dataclass(frozen=True)
class WalletBalances:
    """A wallet as the books check reads it: its two balances (and its version, which names the state read)."""

    user_id: str
    charged: int
    cashback: int
    version: int = 0


@dataclass(frozen=True)
class LedgerLine:
    """One ledger movement as the books check reads it: what it moved and, for a payment or refund, for which
    shop, the list amount and the shop's discount."""

    user_id: str
    kind: str
    d_charged: int
    d_cashback: int
    created_at: str
    merchant_id: str | None = None
    gross: int = 0
    discount: int = 0


BooksRow = WalletBalances | LedgerLine
"""What a page of the books Scan holds: the wallets' and ledger lines' items, in the table's order."""


def line_of(mv: Movement) -> LedgerLine:
    """A movement as the books check reads it."""
    return LedgerLine(mv.user_id, mv.kind, mv.d_charged, mv.d_cashback, mv.created_at, mv.merchant_id, mv.gross,
                      mv.discount)


def add_to_merchant_lines(merchants: dict[str, list[int]], line: LedgerLine, month: str) -> None:
    """A merchant's month (`[gross, discounts, refunds]`) counts the payments made in the month at their list
    amount and the shop's own discount, and the refunds made in the month at what went back to the wallet."""
    if line.merchant_id is None or not line.created_at.startswith(month):
        return
    row = merchants.setdefault(line.merchant_id, [0, 0, 0])
    if line.kind == MOVE_PAYMENT:
        row[0] += line.gross
        row[1] += line.discount
    elif line.kind == MOVE_REFUND:
        row[2] += line.d_charged + line.d_cashback


def mismatch(user_id: str, wallet: WalletBalances | None, charged: int, cashback: int) -> str | None:
    """What is wrong with a wallet's books, or None: its balances must equal the sums of its movements, and
    movements need a wallet."""
    if wallet is None:
        return f"{user_id}: ledger movements ({charged} charged, {cashback} cashback) without a wallet"
    if (wallet.charged, wallet.cashback) != (charged, cashback):
        return (f"{user_id}: balances differ from the sum of the wallet's movements (wallet {wallet.charged} "
                f"charged, {wallet.cashback} cashback; movements {charged}, {cashback})")
    return None


def books_problem(rows: Iterable[BooksRow], user_id: str) -> str | None:
    """The books of one resident read alone (its wallet and every movement): what is wrong, or None."""
    wallet: WalletBalances | None = None
    charged = cashback = 0
    for row in rows:
        if isinstance(row, WalletBalances):
            wallet = row
        else:
            charged += row.d_charged
            cashback += row.d_cashback
    return mismatch(user_id, wallet, charged, cashback)


@dataclass
class SegmentTally:
    """One Scan segment's books, read page after page (and message after message): the merchants' lines and the
    wallets checked so far in `totals`, and the resident whose items are being read (a page, or a message, may
    end in the middle of them).

    A resident is checked when the next one's items begin, or the segment ends. One whose wallet disagrees with
    its ledger goes to `suspects`, to be read again (`recheck`); only a disagreement that is still there then is
    a problem. Merchants' lines come from the Scan's movements: a movement never changes once written.
    """

    month: str
    totals: Totals = field(default_factory=Totals)
    user: str | None = None
    wallet: WalletBalances | None = None
    charged: int = 0
    cashback: int = 0
    suspects: list[str] = field(default_factory=list)

    def add(self, rows: Iterable[BooksRow]) -> None:
        """Fold a page of the Scan in, in the order read."""
        for row in rows:
            if row.user_id != self.user:
                self._close()
                self.user = row.user_id
            if isinstance(row, WalletBalances):
                self.wallet = row
            else:
                self.charged += row.d_charged
                self.cashback += row.d_cashback
                add_to_merchant_lines(self.totals.merchants, row, self.month)

    def end(self) -> None:
        """The segment has no more items: check the last resident."""
        self._close()

    def _close(self) -> None:
        if self.user is None:
            return
        if self.wallet is not None:
            self.totals.wallets_checked += 1
        if mismatch(self.user, self.wallet, self.charged, self.cashback) is not None:
            self.suspects.append(self.user)
        self.user, self.wallet, self.charged, self.cashback = None, None, 0, 0

    def take_suspects(self) -> list[str]:
        """The residents to read again, once each."""
        taken, self.suspects = self.suspects, []
        return taken

    def recheck(self, user_id: str, rows: Iterable[BooksRow]) -> None:
        """A suspect read again on its own, consistently: a disagreement still there is a problem of the month."""
        problem = books_problem(rows, user_id)
        if problem is not None:
            self.totals.problem(problem)

    def to_json(self) -> str:
        """How a segment handed on mid-way travels in its continuation message (suspects are rechecked first)."""
        wallet = None if self.wallet is None else [self.wallet.user_id, self.wallet.charged, self.wallet.cashback,
                                                   self.wallet.version]
        return json.dumps({"month": self.month, "totals": json.loads(self.totals.to_json()), "user": self.user,
                           "wallet": wallet, "charged": self.charged, "cashback": self.cashback,
                           "suspects": self.suspects}, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> SegmentTally:
        data = json.loads(text)
        wallet = data.get("wallet")
        return cls(
            month=str(data["month"]), totals=Totals(**data["totals"]), user=data.get("user"),
            wallet=None if wallet is None else WalletBalances(str(wallet[0]), int(wallet[1]), int(wallet[2]),
                                                              int(wallet[3])),
            charged=int(data.get("charged", 0)), cashback=int(data.get("cashback", 0)),
            suspects=[str(s) for s in data.get("suspects", [])],
        )  # fmt: skip


def every_wallet_checked(totals: Totals) -> None:
    """The books check must have read at least every wallet the credit phase counted (wallets are never removed;
    one opened since is read too): fewer means part of the table went unchecked, which is a problem."""
    if totals.wallets_checked < totals.residents:
        totals.problem(f"the books check read {totals.wallets_checked} wallets of the {totals.residents} "
                       "residents settled")

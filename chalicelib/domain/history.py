"""One history of every wallet movement (a bank statement: the balances right after each), its CSV for
spreadsheets, and the yearly usage statement for the income deduction (신용카드 등 소득공제)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.ledger import MOVE_CASHBACK, MOVE_PAYMENT, MOVE_REFUND, Movement
from chalicelib.domain.months import month_of
from chalicelib.domain.policy import CHANNEL_DELIVERY, CHANNEL_MALL

TYPES = (
    "charge", "charge_cancelled", "auto_charge", "withdrawal", "payment", "refund", "order", "order_refund",
    "mall_order", "mall_order_refund", "donation", "cashback_credit", "cashback_recovery", "gift_sent",
    "gift_received", "gift_returned", "gift_cancelled",
)  # fmt: skip
"""The history's types (API.md v2, `GET /history`)."""
_PAYMENTS = {CHANNEL_DELIVERY: "order", CHANNEL_MALL: "mall_order"}
_REFUNDS = {CHANNEL_DELIVERY: "order_refund", CHANNEL_MALL: "mall_order_refund"}
_RENAMED = {MOVE_CASHBACK: "cashback_credit"}

CSV_HEADER = ("at", "type", "ref_id", "charged", "cashback", "balance_charged", "balance_cashback", "merchant_name")
BOM = "\ufeff"
"""UTF-8's byte-order mark: Excel reads a CSV file that starts with it as UTF-8 (Hangul included)."""
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A text cell starting with one of these is read by a spreadsheet as a formula (or after a control character)."""


def history_type(kind: str, channel: str | None) -> str:
    """What the history calls a movement. A payment is `payment` at a shop, `order` for a 배달서구 delivery
    order and `mall_order` for a mall order (its channel), and a refund of it `refund`, `order_refund` or
    `mall_order_refund` — a merchant's refund by hand of an order's payment too. A movement recorded before
    channels were kept is a `payment` or `refund`. A settlement's credit is `cashback_credit`; every other
    kind of movement (charges, withdrawals, donations, recoveries, gifts) is its own type."""
    if kind == MOVE_PAYMENT:
        return _PAYMENTS.get(channel or "", "payment")
    if kind == MOVE_REFUND:
        return _REFUNDS.get(channel or "", "refund")
    return _RENAMED.get(kind, kind)


@dataclass(frozen=True)
class Entry:
    """One line of the history: the signed change to each balance and both balances right after it (None: a
    movement recorded before balances were kept)."""

    at: str
    type: str
    ref_id: str
    charged: int
    cashback: int
    balance_charged: int | None
    balance_cashback: int | None
    merchant_id: str | None = None
    merchant_name: str | None = None


def entry(m: Movement) -> Entry:
    """A movement as the history shows it, from what the movement stored when it was written."""
    known = m.charged_after is not None and m.cashback_after is not None
    return Entry(
        at=m.created_at, type=history_type(m.kind, m.channel), ref_id=m.ref, charged=m.d_charged,
        cashback=m.d_cashback, balance_charged=m.charged_after if known else None,
        balance_cashback=m.cashback_after if known else None, merchant_id=m.merchant_id, merchant_name=m.merchant_name,
    )  # fmt: skip


# ---- CSV ---------------------------------------------------------------------------------------


def csv_text(value: str | None) -> str:
    """A text cell as written to the CSV: empty for none, and prefixed with `'` when it starts with `=`, `+`,
    `-`, `@`, a tab or a carriage return, so a spreadsheet shows it as text and never runs it as a formula
    (a shop named `=HYPERLINK(…)`). Numbers are written as numbers: they are never text that could run."""
    if not value:
        return ""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_row(e: Entry) -> list[str]:
    """The CSV line of an entry: the header's columns, balances empty where they are not known."""
    return [
        csv_text(e.at), csv_text(e.type), csv_text(e.ref_id), str(e.charged), str(e.cashback),
        "" if e.balance_charged is None else str(e.balance_charged),
        "" if e.balance_cashback is None else str(e.balance_cashback), csv_text(e.merchant_name),
    ]  # fmt: skip


def to_csv(entries: Iterable[Entry]) -> str:
    """The history as a CSV file: a byte-order mark, the header, one line per entry in the order given, RFC 4180
    quoting (a field with a comma, a quote or a line break is quoted, its quotes doubled) and CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(csv_row(e) for e in entries)
    return BOM + out.getvalue()


# ---- the usage statement -------------------------------------------------------------------------


@dataclass(frozen=True)
class UsageMonth:
    """A KST month's usage: paid from the charged balance, and refunded to it."""

    month: str
    paid: int = 0
    refunded: int = 0

    @property
    def net(self) -> int:
        return self.paid - self.refunded


@dataclass(frozen=True)
class UsageStatement:
    """A year's usage by month (all twelve) for the year-end income deduction."""

    year: int
    months: tuple[UsageMonth, ...]

    @property
    def total(self) -> int:
        """The year's net usage, never below 0 (refunds of last year's payments cannot make a year negative)."""
        return max(0, sum(m.net for m in self.months))


def usage_statement(year: int, movements: Iterable[Movement]) -> UsageStatement:
    """What counts for the income deduction is what the resident paid from the charged balance — payments at
    shops, delivery orders and mall orders, delivery and shipping fees included: the eligible spend — less
    what refunds of those payments gave back to it, each in the KST month it happened in (a refund lowers the
    month of the refund, as card issuers report cancellations). Cashback spent, gifts, top-ups, withdrawals,
    donations and the settlement's recoveries are not usage. Every month of the year is listed, zeros too."""
    paid: dict[str, int] = {}
    refunded: dict[str, int] = {}
    prefix = f"{year:04d}-"
    for m in movements:
        month = month_of(datetime.fromisoformat(m.created_at))
        if not month.startswith(prefix):
            continue
        if m.kind == MOVE_PAYMENT:
            paid[month] = paid.get(month, 0) - m.d_charged
        elif m.kind == MOVE_REFUND:
            refunded[month] = refunded.get(month, 0) + m.d_charged
    months = [f"{year:04d}-{n:02d}" for n in range(1, 13)]
    return UsageStatement(year, tuple(UsageMonth(k, paid.get(k, 0), refunded.get(k, 0)) for k in months))

"""The resident's history (every movement of the wallet, with the balances after it), its CSV, and the yearly
usage statement. Reads only: each page is one Query of the resident's ledger, which stores what a line shows."""

from __future__ import annotations

from chalicelib import composition
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.history import Entry, UsageStatement, entry, to_csv, usage_statement
from chalicelib.domain.months import KST, MONTH_RULE, is_month
from chalicelib.domain.ports.unit import Page
from chalicelib.handlers.common import now

CSV_PAGE = 100
"""Movements read per Query while writing a month's CSV (every page of the month is read)."""
FIRST_YEAR, LAST_YEAR = 2000, 2999


def _month(month: str | None) -> str | None:
    if month is not None and not is_month(month):
        raise ValidationFailed(MONTH_RULE)
    return month


def history(user_id: str, month: str | None, limit: int, cursor: str | None) -> Page[Entry]:
    """One page of the wallet's movements (of a KST month, or all), newest first. No wallet: no movements."""
    page = composition.container().repos.wallets.history(user_id, _month(month), limit, cursor)
    return Page(items=[entry(m) for m in page.items], next=page.next)


def history_csv(user_id: str, month: str) -> str:
    """A whole month of movements as CSV, oldest first (as a spreadsheet reads down), every page read here."""
    wallets = composition.container().repos.wallets
    checked = _month(month) or ""
    entries: list[Entry] = []
    cursor: str | None = None
    while True:
        page = wallets.history(user_id, checked, CSV_PAGE, cursor, oldest_first=True)
        entries += [entry(m) for m in page.items]
        cursor = page.next
        if cursor is None:
            return to_csv(entries)


def statement(user_id: str, year: int | None) -> UsageStatement:
    """The year's usage by month (default: this KST year), from one Query of the year's ledger."""
    y = now().astimezone(KST).year if year is None else year
    if not FIRST_YEAR <= y <= LAST_YEAR:
        raise ValidationFailed(f"year must be from {FIRST_YEAR} to {LAST_YEAR}")
    return usage_statement(y, composition.container().repos.wallets.movements_in(user_id, f"{y:04d}"))

"""The books check's reads of wallets and ledgers (`storage/wallets.py` owns the items): a segment of a parallel
Scan of the table, and one resident's item collection, both filtered to the wallet and ledger items (on the
`entry` discriminator) and projected to what the check needs.

Filtered items are still read (and billed in read units) but cost no request of their own; the projection only
keeps the pages small. A Scan page reads `Limit` items or 1 MB, whichever comes first, before the filter.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain import cursors
from chalicelib.domain.books import BooksRow, LedgerLine, WalletBalances
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.ports.unit import Page
from chalicelib.storage.table import Table, encode_cursor

ATTRIBUTES = ["user_id", "entry", "charged_balance", "cashback_balance", "version", "movement", "d_charged",
              "d_cashback", "created_at", "merchant_id", "gross", "discount"]
"""The projection: whose item it is, which kind, and what the check sums or tallies."""


class BooksReader:
    """Reads for the books check on the table whose wallet and ledger item classes are `wallet` and `ledger`."""

    def __init__(self, table: Table, wallet_model: Any, ledger_model: Any) -> None:
        self._table = table
        entry = table.Item.entry
        self._wallet_entry = entry.get_discriminator(wallet_model)
        self._filter = entry.is_in(wallet_model, ledger_model)

    def page(self, segment: int, segments: int, cursor: str | None, limit: int) -> Page[BooksRow]:
        """One request: up to `limit` items of the segment, from the cursor's key on."""
        connection = self._table.Item._get_connection()
        start = _start_key(cursor)
        raw = self._table.guard(lambda: connection.scan(
            filter_condition=self._filter, attributes_to_get=ATTRIBUTES, limit=limit, segment=segment,
            total_segments=segments, exclusive_start_key=start,
        ))  # fmt: skip
        last = raw.get("LastEvaluatedKey")
        return Page(items=[self._row(it) for it in raw.get("Items", [])], next=encode_cursor(last) if last else None)

    def of(self, pk: str) -> list[BooksRow]:
        """Every wallet and ledger item of one partition, consistently (a long ledger takes more than one page)."""
        connection = self._table.Item._get_connection()
        rows: list[BooksRow] = []
        start: dict[str, Any] | None = None
        while True:
            raw = self._table.guard(lambda s=start: connection.query(  # type: ignore[misc]
                pk, filter_condition=self._filter, attributes_to_get=ATTRIBUTES, consistent_read=True,
                exclusive_start_key=s,
            ))  # fmt: skip
            rows += [self._row(it) for it in raw.get("Items", [])]
            start = raw.get("LastEvaluatedKey")
            if not start:
                return rows

    def _row(self, it: dict[str, Any]) -> BooksRow:
        user = it["user_id"]["S"]
        if it["entry"]["S"] == self._wallet_entry:
            return WalletBalances(user, _int(it, "charged_balance"), _int(it, "cashback_balance"), _int(it, "version"))
        merchant = it.get("merchant_id", {}).get("S")
        return LedgerLine(user, it["movement"]["S"], _int(it, "d_charged"), _int(it, "d_cashback"),
                          it["created_at"]["S"], merchant, _int(it, "gross"), _int(it, "discount"))


def _int(it: dict[str, Any], name: str) -> int:
    """A number attribute in wire form (absent: 0, as the models' defaults)."""
    value = it.get(name)
    return int(value["N"]) if value and "N" in value else 0


def _start_key(cursor: str | None) -> dict[str, Any] | None:
    """A Scan cursor (the table's keys of the last item read) back into its start key."""
    if cursor is None:
        return None
    data = cursors.unpack(cursor)
    if set(data) != {"pk", "sk"} or not all(isinstance(v, str) and v for v in data.values()):
        raise ValidationFailed("not a cursor of the books scan")
    return {k: {"S": v} for k, v in data.items()}

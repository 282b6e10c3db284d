"""The in-memory twin of `storage/wallets.py`."""

from __future__ import annotations

import zlib

from chalicelib.domain.books import BooksRow, WalletBalances, line_of
from chalicelib.domain.errors import Conflict
from chalicelib.domain.ledger import Movement
from chalicelib.domain.ports.unit import Batch, Page, Slot, Tx
from chalicelib.domain.shards import shard_of
from chalicelib.domain.wallet import ResidentMonth, Wallet
from chalicelib.storage.memory.table import MemoryTable, absent, page, versioned


class MemoryWallets:
    def __init__(self, table: MemoryTable, shards: int) -> None:
        self._t = table
        self.shards = shards

    def want(self, batch: Batch, user_id: str) -> Slot[Wallet | None]:
        slot: Slot[Wallet | None] = batch.slot(None)
        batch.want(("wallet", user_id), slot.fill)
        return slot

    def want_month(self, batch: Batch, user_id: str, month: str) -> Slot[ResidentMonth]:
        slot = batch.slot(ResidentMonth(user_id, month))
        batch.want(("month", f"{user_id}#{month}"), slot.fill)
        return slot

    def open(self, wallet: Wallet) -> None:
        if not self._t.write_if(absent(("wallet", wallet.user_id), wallet)):
            raise Conflict("a wallet is already open for this resident")

    def stage(self, tx: Tx, wallet: Wallet, read_version: int) -> None:
        tx.add(versioned(("wallet", wallet.user_id), wallet, read_version))

    def stage_month(self, tx: Tx, month: ResidentMonth, read_version: int) -> None:
        tx.add(versioned(("month", f"{month.user_id}#{month.month}"), month, read_version))

    def stage_movement(self, tx: Tx, movement: Movement) -> None:
        mv = movement
        tx.add(absent(("ledger", f"{mv.user_id}#{_sort_key(mv)}"), mv))

    def movements(self, user_id: str) -> list[Movement]:
        return self.movements_in(user_id, "")

    def history(
        self, user_id: str, month: str | None, limit: int, cursor: str | None, *, oldest_first: bool = False
    ) -> Page[Movement]:
        rows = self._rows(user_id, month or "")
        scope = f"history:{user_id}:{month or ''}:{'oldest' if oldest_first else 'newest'}"
        return page(rows, cursor, limit, scope, newest_first=not oldest_first)

    def movements_in(self, user_id: str, period: str) -> list[Movement]:
        return [v for _, v in sorted(self._rows(user_id, period), key=lambda r: r[0])]

    def _rows(self, user_id: str, period: str) -> list[tuple[str, Movement]]:
        """The resident's movements whose KST time starts with `period` (a month, a year, or "" for all)."""
        prefix = f"{period}-" if period else ""
        return [(_sort_key(v), v) for _, v in self._t.scan("ledger")
                if v.user_id == user_id and v.created_at.startswith(prefix)]

    def in_shard(self, shard: int, cursor: str | None, limit: int) -> Page[Wallet]:
        rows = [(w.user_id, w) for _, w in self._t.scan("wallet") if shard_of(w.user_id, self.shards) == shard]
        return page(rows, cursor, limit, f"wallets-in-shard:{shard}")

    def months_of(self, user_ids: list[str], month: str) -> dict[str, ResidentMonth]:
        return {u: self._t.get(("month", f"{u}#{month}")) or ResidentMonth(u, month) for u in user_ids}

    def books_page(self, segment: int, segments: int, cursor: str | None, limit: int) -> Page[BooksRow]:
        """The segment's wallets and movements, a resident's together (each resident in one segment, by a hash
        of its id), in (resident, sort key) order; `limit` rows a page."""
        rows = [(f"{user}\t{sk}", row) for (user, sk), row in self._books_rows()
                if zlib.crc32(user.encode("utf-8")) % segments == segment]
        return page(rows, cursor, limit, f"books:{segment}:{segments}")

    def books_of(self, user_id: str) -> list[BooksRow]:
        return [row for (user, _), row in sorted(self._books_rows(), key=lambda r: r[0]) if user == user_id]

    def _books_rows(self) -> list[tuple[tuple[str, str], BooksRow]]:
        """Every wallet and movement as the books check reads them, by (resident, the DynamoDB sort key)."""
        rows: list[tuple[tuple[str, str], BooksRow]] = [
            ((w.user_id, "WALLET"), WalletBalances(w.user_id, w.charged_balance, w.cashback_balance, w.version))
            for _, w in self._t.scan("wallet")]
        rows += [((mv.user_id, f"L#{_sort_key(mv)}"), line_of(mv)) for _, mv in self._t.scan("ledger")]
        return rows


def _sort_key(mv: Movement) -> str:
    """As the DynamoDB ledger's sort key orders them: time, then the wallet's version after, then the id."""
    return f"{mv.created_at}#{mv.seq:012d}#{mv.movement_id}"

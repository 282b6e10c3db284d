"""Wallets, residents' months and the ledger (storage/wallets.py)."""

from __future__ import annotations

from typing import Protocol

from chalicelib.domain.books import BooksRow
from chalicelib.domain.ledger import Movement
from chalicelib.domain.ports.unit import Batch, Page, Slot, Tx
from chalicelib.domain.wallet import ResidentMonth, Wallet


class Wallets(Protocol):
    """One wallet per resident, its monthly counters, and every movement of its money."""

    def want(self, batch: Batch, user_id: str) -> Slot[Wallet | None]: ...

    def want_month(self, batch: Batch, user_id: str, month: str) -> Slot[ResidentMonth]:
        """The resident's counters of `month` (empty, version 0, when there are none yet)."""
        ...

    def open(self, wallet: Wallet) -> None:
        """Store a new wallet; a second one for the same resident is `Conflict`."""
        ...

    def stage(self, tx: Tx, wallet: Wallet, read_version: int) -> None:
        """Write the wallet if it is still at `read_version` (0: if it does not exist yet)."""
        ...

    def stage_month(self, tx: Tx, month: ResidentMonth, read_version: int) -> None: ...

    def stage_movement(self, tx: Tx, movement: Movement) -> None:
        """Record a movement (never overwritten: its id is unique)."""
        ...

    def movements(self, user_id: str) -> list[Movement]:
        """Every movement of the resident's wallet, oldest first."""
        ...

    def history(
        self, user_id: str, month: str | None, limit: int, cursor: str | None, *, oldest_first: bool = False
    ) -> Page[Movement]:
        """One page of the wallet's movements of `month` (KST; None: all), newest first (or oldest first), in
        one Query: by time, and within one second in the order they were made (`Movement.seq`). A cursor made
        for another resident's or another month's list is `ValidationFailed`."""
        ...

    def movements_in(self, user_id: str, period: str) -> list[Movement]:
        """Every movement of a KST year (`YYYY`) or month (`YYYY-MM`), oldest first, in one Query."""
        ...

    def in_shard(self, shard: int, cursor: str | None, limit: int) -> Page[Wallet]:
        """One page of the wallets of a settlement shard."""
        ...

    def months_of(self, user_ids: list[str], month: str) -> dict[str, ResidentMonth]:
        """The residents' counters of `month` in one consistent read (absent ones are empty)."""
        ...

    def books_page(self, segment: int, segments: int, cursor: str | None, limit: int) -> Page[BooksRow]:
        """One page of segment `segment` (of `segments`) of a parallel Scan of the whole table: the wallets' and
        ledger movements' items in it, in the table's order, so every item of a resident comes in one segment and
        one after another. `limit` items are read per page, filtered ones included (a page may hold none and still
        have a `next`); `next` is None at the end of the segment. Not a snapshot: the books check re-reads a
        resident that disagrees (`books_of`)."""
        ...

    def books_of(self, user_id: str) -> list[BooksRow]:
        """The resident's wallet and every movement of its ledger, in one consistent Query."""
        ...

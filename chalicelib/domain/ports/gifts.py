"""선물하기: gifts, the digests of their claim codes, residents' lists and the count of unknown codes tried
(storage/gifts.py)."""

from __future__ import annotations

from typing import Protocol

from chalicelib.domain.gifts import Gift, GiftEntry
from chalicelib.domain.ports.unit import Batch, Page, Slot, Tx


class Gifts(Protocol):
    def want(self, batch: Batch, gift_id: str) -> Slot[Gift | None]: ...

    def want_code(self, batch: Batch, digest: str) -> Slot[str | None]:
        """The id of the gift whose claim code has this digest (None: no gift has it)."""
        ...

    def want_misses(self, batch: Batch, user_id: str, window: str) -> Slot[int]:
        """How many unknown codes the resident tried in the hour `window` (0 when none)."""
        ...

    def stage(self, tx: Tx, gift: Gift, read_version: int) -> None:
        """Write the gift if it is still at `read_version` (0: if it does not exist yet). The gift is listed
        under its sender, and stays among the gifts due back (`due`) exactly while it is `sent`."""
        ...

    def stage_code(self, tx: Tx, digest: str, gift_id: str) -> None:
        """Make the gift findable by its claim code's digest (a digest already taken: `Contention`)."""
        ...

    def stage_received(self, tx: Tx, gift: Gift) -> None:
        """List a claimed gift under its recipient (once)."""
        ...

    def count_miss(self, user_id: str, window: str, limit: int, expires_epoch: int) -> bool:
        """Count one unknown code in the resident's hour, atomically, unless `limit` are counted already
        (then False: the resident is throttled). The count expires at `expires_epoch`."""
        ...

    def of_user(self, user_id: str, limit: int, cursor: str | None) -> Page[GiftEntry]:
        """The gifts the resident sent (by the time sent) and received (by the time claimed), newest first,
        in one query."""
        ...

    def due(self, now: str, limit: int) -> list[Gift]:
        """Up to `limit` gifts still `sent` whose claim period ended at or before `now` (KST ISO time), the
        earliest first, however long ago (an index: a gift just changed may still show)."""
        ...

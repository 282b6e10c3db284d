"""The settlement's books check (its second phase, `domain/books.py`): one segment of a parallel Scan of the
table, page after page, each resident's wallet checked against its ledger and the merchants' lines tallied from
the movements; a segment handed on, like a shard, when the Lambda's time runs low. `handlers/settlement.py`
records what a segment returns and closes the month when every segment is in.
"""

from __future__ import annotations

from collections.abc import Callable

from chalicelib import composition
from chalicelib.domain.books import SegmentTally
from chalicelib.domain.settlement import Totals

SCAN_PAGE = 10_000
"""Items a Scan request may read (before the filter). DynamoDB ends a page at 1 MB first (some 3,000 items of
this table), so every request reads as much as one can: the check costs about one request per MB of the table,
however many months of ledgers and payments it has come to hold."""
MAX_PAGES_PER_MESSAGE = 500
MIN_REMAINING_MS = 60_000


def check_segment(
    month: str, run_id: str, segment: int, segments: int, cursor: str | None, partial: str | None,
    remaining_ms: Callable[[], int],
) -> Totals | None:
    """Read the segment from `cursor` (its start: None) to its end and return its totals; or, when this
    message's time or pages run out, send the rest on in a continuation message and return None."""
    c = composition.container()
    tally = SegmentTally.from_json(partial) if partial else SegmentTally(month)
    pages = 0
    while True:
        page = c.repos.wallets.books_page(segment, segments, cursor, SCAN_PAGE)
        tally.add(page.items)
        if page.next is None:
            tally.end()
        for user_id in tally.take_suspects():
            # the Scan is no snapshot: what disagreed is read again, consistently and alone, before it counts
            tally.recheck(user_id, c.repos.wallets.books_of(user_id))
        cursor, pages = page.next, pages + 1
        if cursor is None:
            return tally.totals
        if pages >= MAX_PAGES_PER_MESSAGE or remaining_ms() < MIN_REMAINING_MS:
            c.shards.send([{"month": month, "run_id": run_id, "segment": segment, "cursor": cursor,
                            "tally": tally.to_json()}])
            return None

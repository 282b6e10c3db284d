"""Health and the local stage's movable clock."""

from __future__ import annotations

from datetime import datetime

from chalicelib import composition
from chalicelib.clock import FileClock
from chalicelib.domain.audit import CLOCK_SET
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.months import KST, kst_iso
from chalicelib.handlers import audit


def stage() -> str:
    return composition.container().settings.stage


def _local_clock() -> FileClock:
    c = composition.container()
    clock = c.clock
    if not c.settings.is_local or not isinstance(clock, FileClock):
        raise NotFound("no such route")
    return clock


def set_clock(instant: datetime, actor: str) -> datetime:
    """Move every local process's clock; the local runner re-bases its schedules from the new time. The
    audit record follows the move (the clock is a file, not an item)."""
    clock = _local_clock()
    # The years every month key may have; the wall-clock year is checked first, so that converting a
    # time like year 1 or 9999 to KST cannot overflow. A time out of range once stored made every
    # later reading of the clock fail.
    if not (2000 <= instant.year <= 2999 and 2000 <= instant.astimezone(KST).year <= 2999):
        raise ValidationFailed("now: must be between 2000-01-01 and 2999-12-31 (KST)")
    clock.set(instant)
    audit.record(actor, CLOCK_SET, "local", {"now": kst_iso(instant)})
    return clock.now()


def reset_clock() -> datetime:
    clock = _local_clock()
    clock.reset()
    return clock.now()

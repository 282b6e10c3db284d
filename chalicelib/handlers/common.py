"""What every use case shares: the clock, ids, the policy in force, and the retry loop for lost races."""

from __future__ import annotations

import random
import threading
import time
import uuid
import zlib
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from chalicelib import composition
from chalicelib.domain.errors import Conflict, Contention, InvalidState
from chalicelib.domain.policy import Policy, policy_for

T = TypeVar("T")
MAX_BACKOFF_SECONDS = 1.0
_STRIPES = tuple(threading.RLock() for _ in range(256))
_SHARED = tuple(threading.RLock() for _ in range(16))
"""Always taken after a stripe, never before, so the two pools cannot deadlock."""


def _stripe(key: str) -> threading.RLock:
    return _STRIPES[zlib.crc32(key.encode("utf-8")) % len(_STRIPES)]


def now() -> datetime:
    return composition.container().clock.now()


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def policy_in_force(month: str) -> Policy:
    """The policy of `month`; a month before any policy has no cashback rules and takes no payments."""
    policy = policy_for(month, composition.container().policies.all())
    if policy is None:
        raise InvalidState(f"no cashback policy is in force in {month}")
    return policy


def retrying(attempt: Callable[[], T], key: str, shared: str | None = None) -> T:
    """Run a read-compute-write attempt until it commits.

    A lost optimistic race (`Contention`) or a concurrent request with the same Idempotency-Key is
    retried here with jittered backoff, so a caller is refused only for a business reason. Only if the
    records stay contended past the deadline does the caller get 409 CONFLICT.

    Within one process, attempts on the same record (`key`, e.g. the resident) also queue on an
    in-process lock, so the threads of one server (`chalice local`) do not waste each other's reads.
    `shared` names a record many callers touch (a month's budget slices): after a first lost race
    the retries queue on its own in-process lock too, so a burst drains in turn instead of colliding.
    It is only an optimisation: a Lambda container serves one request at a time, and across processes
    the transaction's conditions alone keep the books right.
    """
    deadline = time.monotonic() + composition.container().settings.contention_deadline_seconds
    ceiling = 0.01
    with _stripe(key):
        try:
            return attempt()
        except Contention:
            if shared is None:
                return _retry_until(attempt, deadline, ceiling)
        with _SHARED[zlib.crc32(shared.encode("utf-8")) % len(_SHARED)]:
            return _retry_until(attempt, deadline, ceiling)


def _retry_until(attempt: Callable[[], T], deadline: float, ceiling: float) -> T:
    while True:
        try:
            return attempt()
        except Contention:
            if time.monotonic() > deadline:
                raise Conflict(
                    "too many changes to the same record at once; retry the request"
                    " (with the same Idempotency-Key where it has one)"
                ) from None
            # exponential backoff with full jitter: racers spread out instead of colliding again
            time.sleep(random.uniform(0, ceiling))
            ceiling = min(ceiling * 2, MAX_BACKOFF_SECONDS)

"""What every use case shares: the clock, ids (sealed ones too), the policy in force, and the retry loop for lost
races."""

from __future__ import annotations

import random
import secrets
import threading
import time
import uuid
import zlib
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from chalicelib import composition
from chalicelib.domain.errors import Conflict, Contention, InvalidState, NotFound
from chalicelib.domain.policy import Policy, policy_for
from chalicelib.domain.ports.unit import Batch, Tx
from chalicelib.domain.sealed_ids import KEY_NAME, NONCE_BYTES, Sealed, fits, seal, sealed_part, unseal

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


def sealing_key(batch: Batch) -> Callable[[Tx], bytes]:
    """The key ids are sealed with, once `batch` has run, given the use case's transaction: the first time in a
    process its wrapped copy is read in that batch, and the first time ever it is made and stored in that
    transaction (adapters/data_keys.py), so sealing adds no request."""
    return composition.container().keyring.want(batch, KEY_NAME)


def sealed_ids(prefixes: tuple[str, ...], sealed: Sealed, key: bytes) -> tuple[str, ...]:
    """New ids, one per prefix, sharing one body that carries `sealed` (domain/sealed_ids.py): a payment's, or an
    order's and its payment's. Plain ids (`new_id`) where that would be too long."""
    try:
        body = seal(key, sealed, secrets.token_bytes(NONCE_BYTES))
    except ValueError:  # a field that cannot be sealed (over 255 characters, not ASCII)
        body = ""
    if body and all(fits(prefix, body) for prefix in prefixes):
        return tuple(f"{prefix}_{body}" for prefix in prefixes)
    return tuple(new_id(prefix) for prefix in prefixes)


def opened(ident: str, what: str) -> Sealed | None:
    """What a sealed id carries; None for a plain id (made before ids were sealed), which the caller looks up as it
    is. One in the sealed form that does not open (altered, made up, another deployment's) names nothing: 404."""
    raw = sealed_part(ident)
    if raw is None:
        return None
    key = composition.container().keyring.key(KEY_NAME)
    found = None if key is None else unseal(key, raw)   # no key made yet: nothing was sealed
    if found is None:
        raise NotFound(f"no such {what}")
    return found


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

"""Idempotency-Key semantics: the same key and body replay the first outcome; another body is refused."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.errors import IdempotencyKeyReused


@dataclass(frozen=True)
class StoredResponse:
    """The first outcome given under a caller's key, kept for 24 hours: `body` is the use case's result,
    serialised, written in the same transaction as the effect it reports."""

    record_id: str
    request_hash: str
    body: str


def record_id(caller: str, operation: str, key: str) -> str:
    """Keys are scoped per caller (and operation), so two residents may use the same key independently."""
    return f"{caller}#{operation}#{key}"


def fingerprint(operation: str, request: Any) -> str:
    """A hash of what was asked: the operation and its parsed request, so whitespace and key order do not
    matter."""
    canonical = json.dumps([operation, request], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def replay(stored: StoredResponse, request_hash: str) -> str:
    """The first outcome again, or 422 when the key was used for another request."""
    if stored.request_hash != request_hash:
        raise IdempotencyKeyReused("this Idempotency-Key was already used with a different request")
    return stored.body

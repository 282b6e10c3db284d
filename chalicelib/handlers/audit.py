"""Staff actions into the audit trail: staged with the action they describe (one transaction), or recorded on
their own right after an action that is not a database write."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping

from chalicelib import composition
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.months import kst_iso
from chalicelib.domain.ports.unit import Page, Tx
from chalicelib.handlers.common import now

Detail = str | int | bool | None


def _entry_id() -> str:
    """Unique, and in the order entries are made even within one second of the (movable) clock: the list's sort
    key is `<at>#<entry id>`."""
    return f"aud_{time.time_ns():019d}_{uuid.uuid4().hex[:8]}"


def stage(tx: Tx, actor: str, action: str, target: str, detail: Mapping[str, Detail] | None = None) -> AuditEntry:
    """Add the entry to the action's own transaction: both are written, or neither."""
    entry = AuditEntry(_entry_id(), kst_iso(now()), actor, action, target, dict(detail or {}))
    composition.container().repos.audit.stage(tx, entry)
    return entry


def record(actor: str, action: str, target: str, detail: Mapping[str, Detail] | None = None) -> AuditEntry:
    """For an action outside the table (a file written, the local clock moved): recorded once it is done."""
    tx = composition.container().repos.store.tx()
    entry = stage(tx, actor, action, target, detail)
    tx.commit()
    return entry


def entries(actor: str | None, action: str | None, limit: int, cursor: str | None) -> Page[AuditEntry]:
    return composition.container().repos.audit.page(actor, action, limit, cursor)

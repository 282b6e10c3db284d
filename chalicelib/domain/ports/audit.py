"""The audit trail of staff actions (storage/audit.py)."""

from __future__ import annotations

from typing import Protocol

from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.ports.unit import Page, Tx


class Audit(Protocol):
    def stage(self, tx: Tx, entry: AuditEntry) -> None:
        """Record the entry with the action it describes (never overwritten)."""
        ...

    def page(self, actor: str | None, action: str | None, limit: int, cursor: str | None) -> Page[AuditEntry]:
        """Every entry, newest first, optionally of one actor and/or one action."""
        ...

"""The in-memory twin of `storage/audit.py`."""

from __future__ import annotations

from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.ports.unit import Page, Tx
from chalicelib.storage.memory.table import MemoryTable, absent, page


class MemoryAudit:
    def __init__(self, table: MemoryTable) -> None:
        self._t = table

    def stage(self, tx: Tx, entry: AuditEntry) -> None:
        tx.add(absent(("audit", entry.entry_id), entry))

    def page(self, actor: str | None, action: str | None, limit: int, cursor: str | None) -> Page[AuditEntry]:
        rows = [(f"{e.at}#{e.entry_id}", e) for _, e in self._t.scan("audit")
                if (actor is None or e.actor == actor) and (action is None or e.action == action)]
        return page(rows, cursor, limit, "audit", newest_first=True)

"""The audit trail: `AUDIT#<entry id>` / `AUDIT`, listed newest first through gsi1 `AUDIT` / `<at>#<entry id>`
(staff actions are few: one index partition holds them all)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import UnicodeAttribute

from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.ports.unit import Page, Tx
from chalicelib.storage.table import PAGE_KEYS, Put, Table

AUDIT_GSI = "AUDIT"


@dataclass(frozen=True)
class Items:
    AuditItem: Any


def define(Item: Any) -> Items:
    class AuditItem(Item, discriminator="audit"):  # type: ignore[call-arg]
        entry_id = UnicodeAttribute()
        at = UnicodeAttribute()
        actor = UnicodeAttribute()
        action = UnicodeAttribute()
        target = UnicodeAttribute()
        detail = UnicodeAttribute()

    return Items(AuditItem)


def to_entry(it: Any) -> AuditEntry:
    return AuditEntry(it.entry_id, it.at, it.actor, it.action, it.target, json.loads(it.detail))


class DynamoAudit:
    def __init__(self, table: Table) -> None:
        self._table = table
        self.m = table.define(define)

    def stage(self, tx: Tx, entry: AuditEntry) -> None:
        e = entry
        item = self.m.AuditItem(
            f"AUDIT#{e.entry_id}", "AUDIT", gsi1pk=AUDIT_GSI, gsi1sk=f"{e.at}#{e.entry_id}", entry_id=e.entry_id,
            at=e.at, actor=e.actor, action=e.action, target=e.target,
            detail=json.dumps(e.detail, ensure_ascii=False, separators=(",", ":")),
        )  # fmt: skip
        tx.add(Put(item, self._table.Item.pk.does_not_exist()))

    def page(self, actor: str | None, action: str | None, limit: int, cursor: str | None) -> Page[AuditEntry]:
        A = self.m.AuditItem
        filt = None
        for cond in (A.actor == actor if actor is not None else None, A.action == action if action is not None else None):
            if cond is not None:
                filt = cond if filt is None else filt & cond
        return self._table.page(
            lambda start, n: self._table.Item.gsi1.query(AUDIT_GSI, filter_condition=filt, limit=n,
                                                         last_evaluated_key=start, scan_index_forward=False),
            to_entry, cursor, limit, PAGE_KEYS, AUDIT_GSI,
        )  # fmt: skip

"""Cashback policies as documents: `POLICY` / `<YYYY-MM>` (the effective month)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import UnicodeAttribute

from chalicelib.domain.policy import Policy, policy_from_dict, policy_to_dict
from chalicelib.storage.table import Table


@dataclass(frozen=True)
class Items:
    PolicyItem: Any


def define(Item: Any) -> Items:
    class PolicyItem(Item, discriminator="policy"):  # type: ignore[call-arg]
        document = UnicodeAttribute()
        updated_at = UnicodeAttribute()

    return Items(PolicyItem)


class DynamoPolicies:
    def __init__(self, table: Table) -> None:
        self._table = table
        self.m = table.define(define)

    def _item(self, policy: Policy, at: str) -> Any:
        doc = json.dumps(policy_to_dict(policy), ensure_ascii=False)
        return self.m.PolicyItem("POLICY", policy.effective_month, document=doc, updated_at=at)

    def all(self) -> list[Policy]:
        items = self._table.guard(lambda: list(self.m.PolicyItem.query("POLICY")))
        return [policy_from_dict(json.loads(it.document)) for it in items]

    def put(self, policy: Policy, at: str) -> None:
        self._table.guard(self._item(policy, at).save)

    def seed(self, policy: Policy, at: str) -> bool:
        return self._table.save_if(self._item(policy, at), self._table.Item.pk.does_not_exist())

"""Cashback policies and the proposals they are approved from:

| item            | pk                | sk          |
|-----------------|-------------------|-------------|
| policy          | `POLICY`          | `<YYYY-MM>` (the effective month; approved policies only) |
| policy-proposal | `POLICY-PROPOSAL` | `<YYYY-MM>` |
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.domain.policy import Policy, policy_from_dict, policy_to_dict
from chalicelib.domain.ports.unit import Batch, Key, Slot, Tx
from chalicelib.domain.proposals import Proposal
from chalicelib.storage.table import Put, Table, version_condition


@dataclass(frozen=True)
class Items:
    PolicyItem: Any
    ProposalItem: Any


def define(Item: Any) -> Items:
    class PolicyItem(Item, discriminator="policy"):  # type: ignore[call-arg]
        document = UnicodeAttribute()
        updated_at = UnicodeAttribute()

    class ProposalItem(Item, discriminator="policy-proposal"):  # type: ignore[call-arg]
        document = UnicodeAttribute()
        status = UnicodeAttribute()
        proposed_by = UnicodeAttribute()
        proposed_at = UnicodeAttribute()
        approved_by = UnicodeAttribute(null=True)
        approved_at = UnicodeAttribute(null=True)
        version = NumberAttribute()

    return Items(PolicyItem, ProposalItem)


def policy_key(month: str) -> Key:
    return "POLICY", month


def proposal_key(month: str) -> Key:
    return "POLICY-PROPOSAL", month


def _doc(policy: Policy) -> str:
    return json.dumps(policy_to_dict(policy), ensure_ascii=False)


def to_proposal(it: Any) -> Proposal:
    return Proposal(
        policy=policy_from_dict(json.loads(it.document)), status=it.status, proposed_by=it.proposed_by,
        proposed_at=it.proposed_at, approved_by=it.approved_by, approved_at=it.approved_at, version=int(it.version),
    )  # fmt: skip


class DynamoPolicies:
    def __init__(self, table: Table) -> None:
        self._table = table
        self.m = table.define(define)

    def _item(self, policy: Policy, at: str) -> Any:
        return self.m.PolicyItem(*policy_key(policy.effective_month), document=_doc(policy), updated_at=at)

    def all(self) -> list[Policy]:
        items = self._table.guard(lambda: list(self.m.PolicyItem.query("POLICY")))
        return [policy_from_dict(json.loads(it.document)) for it in items]

    def seed(self, policy: Policy, at: str) -> bool:
        return self._table.save_if(self._item(policy, at), self._table.Item.pk.does_not_exist())

    def want_policy(self, batch: Batch, month: str) -> Slot[Policy | None]:
        slot: Slot[Policy | None] = batch.slot(None)
        batch.want(policy_key(month), lambda it: slot.fill(policy_from_dict(json.loads(it.document))))
        return slot

    def want_proposal(self, batch: Batch, month: str) -> Slot[Proposal | None]:
        slot: Slot[Proposal | None] = batch.slot(None)
        batch.want(proposal_key(month), lambda it: slot.fill(to_proposal(it)))
        return slot

    def stage_proposal(self, tx: Tx, proposal: Proposal, read_version: int) -> None:
        p = proposal
        item = self.m.ProposalItem(
            *proposal_key(p.month), document=_doc(p.policy), status=p.status, proposed_by=p.proposed_by,
            proposed_at=p.proposed_at, approved_by=p.approved_by, approved_at=p.approved_at, version=p.version,
        )  # fmt: skip
        tx.add(Put(item, version_condition(self._table, self.m.ProposalItem, read_version)))

    def stage_policy(self, tx: Tx, policy: Policy, at: str) -> None:
        tx.add(Put(self._item(policy, at)))

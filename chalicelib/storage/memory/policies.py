"""The in-memory twin of `storage/policies.py`."""

from __future__ import annotations

from chalicelib.domain.policy import Policy
from chalicelib.domain.ports.unit import Batch, Slot, Tx
from chalicelib.domain.proposals import Proposal
from chalicelib.storage.memory.table import MemoryTable, absent, put, versioned


class MemoryPolicies:
    def __init__(self, table: MemoryTable) -> None:
        self._t = table

    def all(self) -> list[Policy]:
        return [p for _, p in sorted(self._t.scan("policy"), key=lambda kv: kv[0][1])]

    def seed(self, policy: Policy, at: str) -> bool:
        return self._t.write_if(absent(("policy", policy.effective_month), policy))

    def want_policy(self, batch: Batch, month: str) -> Slot[Policy | None]:
        slot: Slot[Policy | None] = batch.slot(None)
        batch.want(("policy", month), slot.fill)
        return slot

    def want_proposal(self, batch: Batch, month: str) -> Slot[Proposal | None]:
        slot: Slot[Proposal | None] = batch.slot(None)
        batch.want(("policy-proposal", month), slot.fill)
        return slot

    def stage_proposal(self, tx: Tx, proposal: Proposal, read_version: int) -> None:
        tx.add(versioned(("policy-proposal", proposal.month), proposal, read_version))

    def stage_policy(self, tx: Tx, policy: Policy, at: str) -> None:
        tx.add(put(("policy", policy.effective_month), policy))

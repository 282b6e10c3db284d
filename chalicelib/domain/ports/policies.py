"""Cashback policies by effective month, and the proposals staff approve them from (storage/policies.py)."""

from __future__ import annotations

from typing import Protocol

from chalicelib.domain.policy import Policy
from chalicelib.domain.ports.unit import Batch, Slot, Tx
from chalicelib.domain.proposals import Proposal


class Policies(Protocol):
    def all(self) -> list[Policy]:
        """Every policy in force from its month (approved ones only)."""
        ...

    def seed(self, policy: Policy, at: str) -> bool:
        """Write a policy only where none exists for its month; True if written."""
        ...

    def want_policy(self, batch: Batch, month: str) -> Slot[Policy | None]:
        """The policy approved for exactly that month, if any."""
        ...

    def want_proposal(self, batch: Batch, month: str) -> Slot[Proposal | None]: ...

    def stage_proposal(self, tx: Tx, proposal: Proposal, read_version: int) -> None: ...

    def stage_policy(self, tx: Tx, policy: Policy, at: str) -> None:
        """Put a policy in force from its month (what an approval writes)."""
        ...

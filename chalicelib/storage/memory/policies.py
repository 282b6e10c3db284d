"""The in-memory twin of `storage/policies.py`."""

from __future__ import annotations

from chalicelib.domain.policy import Policy
from chalicelib.storage.memory.table import MemoryTable, absent, put


class MemoryPolicies:
    def __init__(self, table: MemoryTable) -> None:
        self._t = table

    def all(self) -> list[Policy]:
        return [p for _, p in sorted(self._t.scan("policy"), key=lambda kv: kv[0][1])]

    def put(self, policy: Policy, at: str) -> None:
        self._t.write(put(("policy", policy.effective_month), policy))

    def seed(self, policy: Policy, at: str) -> bool:
        return self._t.write_if(absent(("policy", policy.effective_month), policy))

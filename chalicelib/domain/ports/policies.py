"""Cashback policies by effective month (storage/policies.py)."""

from __future__ import annotations

from typing import Protocol

from chalicelib.domain.policy import Policy


class Policies(Protocol):
    def all(self) -> list[Policy]: ...

    def put(self, policy: Policy, at: str) -> None: ...

    def seed(self, policy: Policy, at: str) -> bool:
        """Write a policy only where none exists for its month; True if written."""
        ...

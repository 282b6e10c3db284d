"""What both store families' batches share: the keys wanted, what to do with each found item, the slots
to mark ready. Each family's batch adds the one round trip (`run`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from chalicelib.domain.ports.unit import Key, Slot

T = TypeVar("T")


class Wanted:
    def __init__(self) -> None:
        self.wanted: dict[Key, list[Callable[[Any], None]]] = {}
        self._slots: list[Slot[Any]] = []

    def slot(self, default: T) -> Slot[T]:
        s = Slot(default)
        self._slots.append(s)
        return s

    def want(self, key: Key, found: Callable[[Any], None]) -> None:
        self.wanted.setdefault(key, []).append(found)

    def deliver(self, found: list[tuple[Key, Any]]) -> None:
        """Hand each found item to whoever wanted it, then mark every slot ready (absent: its default)."""
        for key, item in found:
            for fn in self.wanted.get(key, []):
                fn(item)
        for s in self._slots:
            s.ready()

"""The one clock every part of the system reads.

In the cloud it is the system clock. In the local stage it may be moved: the offset lives in a small
JSON file that every local process (API, runner, tests) reads, so moving it needs no AWS call.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


class SystemClock:
    """Real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class ClockSetting:
    """The local clock was set to `fake` when real time was `real`; it runs on from there."""

    fake: float
    real: float


class FileClock:
    """A movable clock shared through a file; without the file it is real time."""

    def __init__(self, path: str | Path, real_time: Clock | None = None) -> None:
        self._path = Path(path)
        self._real = real_time or SystemClock()
        self._cache: tuple[int, ClockSetting | None] | None = None

    def _setting(self) -> ClockSetting | None:
        try:
            mtime = self._path.stat().st_mtime_ns
        except FileNotFoundError:
            return None
        if self._cache is not None and self._cache[0] == mtime:
            return self._cache[1]
        try:
            raw = json.loads(self._path.read_text(encoding="utf-8"))
            setting = ClockSetting(fake=float(raw["fake"]), real=float(raw["real"]))
        except (OSError, ValueError, KeyError, TypeError):
            setting = None
        self._cache = (mtime, setting)
        return setting

    def now(self) -> datetime:
        real = self._real.now()
        setting = self._setting()
        if setting is None:
            return real
        return datetime.fromtimestamp(setting.fake + (real.timestamp() - setting.real), UTC)

    def set(self, instant: datetime) -> None:
        """Move the clock to `instant`; it runs on from there in real time."""
        payload = {"fake": instant.timestamp(), "real": self._real.now().timestamp()}
        self._path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._path.with_suffix(f".{os.getpid()}.{time.monotonic_ns()}.tmp")
        tmp.write_text(json.dumps(payload), encoding="utf-8")
        os.replace(tmp, self._path)

    def reset(self) -> None:
        """Return to real time."""
        with contextlib.suppress(FileNotFoundError):
            self._path.unlink()

"""Where a run's CPU went: each local-stack process's CPU time (Linux /proc) and the load generator's own,
sampled around the run, with the machine's load average — so the report can say which process was the
bottleneck and how much of the machine other work took.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass, field
from pathlib import Path

from devstack.harness import LocalStack

ROLES = {"devstack.moto_server": "moto (embedded AWS)", "devstack.api_server": "API (chalice local)",
         "devstack.runner": "runner (queues, schedules)"}
GENERATOR = "load generator (locust)"


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of one process so far (None once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _own_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def stack_processes(stack: LocalStack | None) -> dict[str, int]:
    """The stack's moto, API and runner processes by role (none for a stack this run did not start)."""
    found: dict[str, int] = {}
    for pid in stack.child_pids() if stack is not None else []:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (FileNotFoundError, ProcessLookupError):
            continue
        for module, role in ROLES.items():
            if module.encode() in cmdline:
                found[role] = pid
    return found


@dataclass
class CpuSample:
    """CPU seconds per process and the 1-minute load average at one moment."""

    seconds: dict[str, float]
    load_average: float

    @classmethod
    def take(cls, processes: dict[str, int]) -> CpuSample:
        seconds = {role: s for role, pid in processes.items() if (s := _cpu_seconds(pid)) is not None}
        seconds[GENERATOR] = _own_seconds()
        return cls(seconds, os.getloadavg()[0])


@dataclass
class CpuUse:
    """What each process used between two samples, over `wall` seconds."""

    wall: float
    seconds: dict[str, float] = field(default_factory=dict)
    load_before: float = 0.0
    load_after: float = 0.0
    cores: int = os.cpu_count() or 1

    @classmethod
    def between(cls, before: CpuSample, after: CpuSample, wall: float) -> CpuUse:
        used = {role: after.seconds[role] - s for role, s in before.seconds.items() if role in after.seconds}
        return cls(wall, used, before.load_average, after.load_average)

    def share(self, role: str) -> float:
        """The role's CPU as a fraction of one core over the run."""
        return self.seconds.get(role, 0.0) / self.wall if self.wall > 0 else 0.0

"""One operation measured: warm-up requests, then repetitions each bracketed by counter snapshots."""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.counting import POLICY_QUERY, RequestCounter, Tally


@dataclass(frozen=True)
class OpResult:
    """One operation's figures over its measured repetitions."""

    name: str
    target: int | None
    reps: int
    requests: list[int]
    breakdown: dict[str, float]
    mean_calls: float
    clients_per_op: float
    ms: list[float]
    policy_refreshes: list[int]
    note: str = ""
    other_calls: dict[str, float] = field(default_factory=dict)
    """Mean API calls per request to other AWS services (`"KMS GenerateDataKey"`), apart from DynamoDB's."""

    @property
    def mean_requests(self) -> float:
        return statistics.fmean(self.requests)

    @property
    def steady(self) -> list[int]:
        """Requests per repetition without the policy cache's refresh (once per cache lifetime)."""
        return [r - p for r, p in zip(self.requests, self.policy_refreshes, strict=True)]

    @property
    def refreshed(self) -> int:
        """How many repetitions happened to pay the policy cache's refresh."""
        return sum(1 for p in self.policy_refreshes if p)

    @property
    def met(self) -> bool | None:
        """Judged on every repetition, the policy refresh aside (it is a per-process, per-minute cost)."""
        return None if self.target is None else max(self.steady) <= self.target

    @property
    def mean_ms(self) -> float:
        return statistics.fmean(self.ms)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.ms)


def measure(
    counter: RequestCounter,
    name: str,
    target: int | None,
    step: Callable[[int], None],
    warmup: int,
    reps: int,
    note: str = "",
) -> OpResult:
    """`step(-1)` … `step(-warmup)` unmeasured, then `step(0)` … `step(reps - 1)` measured one by one."""
    for i in range(warmup):
        step(-1 - i)
    tallies: list[Tally] = []
    ms: list[float] = []
    for i in range(reps):
        before = counter.snapshot()
        started = time.perf_counter()
        step(i)
        ms.append((time.perf_counter() - started) * 1000)
        tallies.append(counter.snapshot() - before)
    by_op: Counter[str] = Counter()
    others: Counter[str] = Counter()
    for t in tallies:
        by_op.update(t.requests)
        others.update(t.other_calls)
    return OpResult(
        name=name,
        target=target,
        reps=reps,
        requests=[t.total_requests for t in tallies],
        breakdown={op: n / reps for op, n in sorted(by_op.items())},
        mean_calls=statistics.fmean(t.total_calls for t in tallies),
        clients_per_op=statistics.fmean(t.clients for t in tallies),
        ms=ms,
        policy_refreshes=[t.requests.get(POLICY_QUERY, 0) for t in tallies],
        note=note,
        other_calls={op: n / reps for op, n in sorted(others.items())},
    )

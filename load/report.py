"""The run's figures: throughput, latency percentiles, outcomes by endpoint and category, and the verdict.

Latencies are each request's own time as locust measured it (sent to fully read), in milliseconds;
percentiles are nearest-rank over every request of the run, ramp-up included.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bench.report import _revision, machine
from load.checks import MoneyCheck
from load.cpu import CpuUse
from load.model import CATEGORIES, CATEGORY_ORDER, Tally


@dataclass(frozen=True)
class Settings:
    """How the run was driven."""

    users: int
    spawn_rate: float
    run_time: float
    wait: tuple[float, float]
    tour: bool
    target: str
    command: str


@dataclass(frozen=True)
class Row:
    """One endpoint's (or the whole run's) figures."""

    name: str
    category: str
    requests: int
    p50: float
    p95: float
    p99: float
    max: float
    refused: int
    unexpected: int


@dataclass
class Figures:
    """Everything the report says, computed once from the tallies."""

    cpu: CpuUse
    total: Row
    rows: list[Row]
    categories: dict[str, int]
    server_errors: int
    connection_errors: int
    exceptions: list[str]
    refused: dict[str, int] = field(default_factory=dict)
    unexpected: dict[str, int] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return self.cpu.wall

    @property
    def throughput(self) -> float:
        return self.total.requests / self.seconds if self.seconds > 0 else 0.0


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (0 for none)."""
    if not ordered:
        return 0.0
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _row(name: str, category: str, latencies: list[float], refused: int, unexpected: int) -> Row:
    ordered = sorted(latencies)
    return Row(name, category, len(ordered), percentile(ordered, 0.50), percentile(ordered, 0.95),
               percentile(ordered, 0.99), ordered[-1] if ordered else 0.0, refused, unexpected)


def figures(tally: Tally, cpu: CpuUse, exceptions: list[str]) -> Figures:
    refused_by: Counter[str] = Counter()
    for (name, _), n in tally.refused.items():
        refused_by[name] += n
    unexpected_by: Counter[str] = Counter()
    for (name, _, _), n in tally.unexpected.items():
        unexpected_by[name] += n
    names = sorted(tally.latencies, key=lambda n: (CATEGORY_ORDER.index(CATEGORIES.get(n, "read")), n))
    rows = [_row(n, CATEGORIES.get(n, "?"), tally.latencies[n], refused_by[n], unexpected_by[n]) for n in names]
    every = [ms for n in names for ms in tally.latencies[n]]
    categories = {c: sum(r.requests for r in rows if r.category == c) for c in CATEGORY_ORDER}
    statuses: Counter[int] = Counter()
    for counts in tally.statuses.values():
        statuses.update(counts)
    return Figures(
        cpu=cpu,
        total=_row("all", "", every, sum(refused_by.values()), sum(unexpected_by.values())),
        rows=rows,
        categories=categories,
        server_errors=sum(n for s, n in statuses.items() if s >= 500),
        connection_errors=statuses[0],
        exceptions=exceptions,
        refused={f"{name} {code}": n for (name, code), n in sorted(tally.refused.items())},
        unexpected={f"{name} {status} {code}".rstrip(): n for (name, status, code), n in sorted(tally.unexpected.items())},
    )


def problems(f: Figures, money: MoneyCheck | None) -> list[str]:
    """Why the run fails; empty when it passes."""
    found = []
    if f.server_errors:
        found.append(f"{f.server_errors} answers were 5xx")
    if f.connection_errors:
        found.append(f"{f.connection_errors} requests got no answer (connection error or timeout)")
    other = f.total.unexpected - f.server_errors - f.connection_errors
    if other:
        found.append(f"{other} answers were neither the expected status nor a business refusal")
    if f.exceptions:
        found.append(f"{len(f.exceptions)} tasks raised (a bug in the mix or an answer of the wrong shape)")
    if money is None:
        found.append("the money was not checked")
    elif not money.ok:
        found.append("the money does not balance")
    return found


def _ms(v: float) -> str:
    return f"{v:,.0f}"


def cpu_line(c: CpuUse) -> str:
    """Each process's CPU over the run, as seconds and as a share of one core, and the machine's load."""
    used = ", ".join(f"{role} {secs:.1f} s ({c.share(role):.0%})" for role, secs in
                     sorted(c.seconds.items(), key=lambda kv: -kv[1]))
    return (f"CPU during the run ({c.wall:.0f} s; share of one core): {used}; load average "
            f"{c.load_before:.1f} → {c.load_after:.1f} on {c.cores} cores")


def console(f: Figures, s: Settings, money: MoneyCheck | None) -> str:
    """The human report printed at the end of `make load`."""
    t = f.total
    lines = [
        "",
        f"Load run against {s.target}: {s.users} users (spawned {s.spawn_rate:g}/s), {s.run_time:g} s, think time "
        f"{s.wait[0]:g}–{s.wait[1]:g} s{', each user first tours every task' if s.tour else ''}",
        f"  {t.requests:,} requests in {f.seconds:.1f} s = {f.throughput:.1f} req/s; latency ms p50 {_ms(t.p50)}, "
        f"p95 {_ms(t.p95)}, p99 {_ms(t.p99)}, max {_ms(t.max)}",
        f"  5xx: {f.server_errors}; no answer: {f.connection_errors}; other unexpected: "
        f"{t.unexpected - f.server_errors - f.connection_errors}; refused for business reasons (409): {t.refused}; "
        f"task exceptions: {len(f.exceptions)}",
        f"  {cpu_line(f.cpu)}",
        "",
        f"  {'endpoint':<40} {'category':<15} {'requests':>8} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7} "
        f"{'refused':>7} {'unexp.':>6}",
    ]
    for r in f.rows:
        lines.append(f"  {r.name:<40} {r.category:<15} {r.requests:>8,} {_ms(r.p50):>7} {_ms(r.p95):>7} "
                     f"{_ms(r.p99):>7} {_ms(r.max):>7} {r.refused:>7} {r.unexpected:>6}")
    lines.append("  by category: " + ", ".join(f"{c} {n:,}" for c, n in f.categories.items()))
    if f.refused:
        lines.append("  refusals: " + ", ".join(f"{k} ×{n}" for k, n in f.refused.items()))
    if f.unexpected:
        lines.append("  UNEXPECTED: " + ", ".join(f"{k} ×{n}" for k, n in f.unexpected.items()))
    lines += [f"  TASK EXCEPTION: {e}" for e in f.exceptions[:5]]
    if money is not None:
        lines.append(f"  money: {money.checked} of {money.residents} wallets checked ({money.uncertain} with a request "
                     f"left unanswered), Σ expected {money.expected_total:,} won, Σ held {money.actual_total:,} won; "
                     f"{money.donated:,} won donated to campaigns; " + ("balances" if money.ok else "DOES NOT BALANCE"))
        lines += [f"    {p}" for p in money.problems[:20]]
        lines += [f"    left out: {u}" for u in money.unanswered[:20]]
    found = problems(f, money)
    lines += ["", "PASS" if not found else "FAIL: " + "; ".join(found), ""]
    return "\n".join(lines)


def markdown(f: Figures, s: Settings, money: MoneyCheck | None) -> str:
    """The figures as they go into docs/PERFORMANCE.md."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    t = f.total
    out = [
        f"_Run: {stamp}, {_revision()}; {machine()}._ Command: `{s.command}`.",
        "",
        f"{s.users} users (spawned {s.spawn_rate:g}/s) for {s.run_time:g} s, think time {s.wait[0]:g}–{s.wait[1]:g} s: "
        f"**{t.requests:,} requests in {f.seconds:.1f} s = {f.throughput:.1f} req/s**; latency p50 **{_ms(t.p50)} ms**, "
        f"p95 {_ms(t.p95)} ms, p99 **{_ms(t.p99)} ms**, max {_ms(t.max)} ms. 5xx: {f.server_errors}; no answer: "
        f"{f.connection_errors}; other unexpected answers: {t.unexpected - f.server_errors - f.connection_errors}; "
        f"business refusals (409): {t.refused}.",
        "",
        cpu_line(f.cpu) + ".",
        "",
        "| Endpoint | Category | Requests | p50 ms | p95 ms | p99 ms | max ms | Refused (409) | Unexpected |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    out += [f"| `{r.name}` | {r.category} | {r.requests:,} | {_ms(r.p50)} | {_ms(r.p95)} | {_ms(r.p99)} | {_ms(r.max)} "
            f"| {r.refused} | {r.unexpected} |" for r in f.rows]
    out.append(f"| **all** | | **{t.requests:,}** | **{_ms(t.p50)}** | {_ms(t.p95)} | **{_ms(t.p99)}** | {_ms(t.max)} "
               f"| {t.refused} | {t.unexpected} |")
    if f.refused:
        out += ["", "Refusals: " + ", ".join(f"`{k}` ×{n}" for k, n in f.refused.items()) + "."]
    if money is not None:
        out += ["", f"Money after the run: {money.checked} of {money.residents} wallets equal their answers' sum "
                    f"(Σ {money.actual_total:,} won held, Σ {money.expected_total:,} won expected), campaign totals grew "
                    f"by exactly the {money.donated:,} won donated, mall stock matches: "
                    + ("**balances**." if money.ok else "**does not balance**: " + "; ".join(money.problems[:5]))]
    return "\n".join(out)


def as_json(f: Figures, s: Settings, money: MoneyCheck | None) -> dict[str, Any]:
    """The figures for machines (the smoke test reads these)."""
    return {
        "settings": {"users": s.users, "spawn_rate": s.spawn_rate, "run_time": s.run_time, "wait": list(s.wait),
                     "tour": s.tour, "target": s.target},
        "requests": f.total.requests,
        "seconds": f.seconds,
        "throughput": f.throughput,
        "latency_ms": {"p50": f.total.p50, "p95": f.total.p95, "p99": f.total.p99, "max": f.total.max},
        "categories": f.categories,
        "endpoints": {r.name: {"category": r.category, "requests": r.requests, "p50": r.p50, "p95": r.p95,
                               "p99": r.p99, "max": r.max, "refused": r.refused, "unexpected": r.unexpected}
                      for r in f.rows},
        "server_errors": f.server_errors,
        "connection_errors": f.connection_errors,
        "unexpected": f.unexpected,
        "refused": f.refused,
        "exceptions": f.exceptions,
        "cpu_seconds": f.cpu.seconds,
        "load_average": [f.cpu.load_before, f.cpu.load_after],
        "money": money.as_dict() if money is not None else None,
        "problems": problems(f, money),
    }

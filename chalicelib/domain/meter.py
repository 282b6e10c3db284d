"""The live meter: per program, the rate the resident's next eligible won earns now, how far it is to the
next tier, and a shop's total rate for the resident.

Read off the tiers of `policy.py`, whose F_p is marginal: the won that takes a month's counter from S to
S + 1 earns the rate of the tier holding S + 1 (tier i holds the won above the previous bound up to and
including its `up_to`). F_p floors the exact sum once (`policy.py`), so u won at rate r on top of S add
exactly r·u to the exact sum and ⌊(exact(S) + r·u) / 10,000⌋ − ⌊exact(S) / 10,000⌋ won to F_p: every
10,000 won at r earn exactly r won, a single won a fraction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from chalicelib.domain.policy import CHANNEL_STORE, Policy, Program
from chalicelib.domain.wallet import ResidentMonth


@dataclass(frozen=True)
class Gauge:
    """Where a program's counter stands: `rate_bp` for the next won, until `until_next` more won (None:
    never), then `next_rate_bp` (None: no change comes)."""

    rate_bp: int
    until_next: int | None
    next_rate_bp: int | None


STOPPED = Gauge(0, None, None)
"""A program that grants nothing more this month: its budget is used up, or the month is settled."""


@dataclass(frozen=True)
class MeterLine:
    """One program's line of the meter (`GET /wallet`'s `month.meter`)."""

    program_id: str
    applies_to: str
    eligible_spend: int
    rate_bp: int
    until_next: int | None
    next_rate_bp: int | None


def gauge(program: Program, spend: int) -> Gauge:
    """The tier of the next won (won S + 1 for a counter at S; a counter below 0 counts as 0) and how many won
    until the rate changes. Neighbouring tiers of the same rate are one stretch: `until_next` counts to the
    first won paid at another rate, and `next_rate_bp` is that rate. In the last stretch both are None."""
    at = max(spend, 0)
    tiers = program.tiers
    i = next((k for k, t in enumerate(tiers) if t.up_to is None or t.up_to > at), len(tiers) - 1)
    rate = tiers[i].rate_bp
    j = i
    while j + 1 < len(tiers) and tiers[j + 1].rate_bp == rate and tiers[j].up_to is not None:
        j += 1
    end = tiers[j].up_to
    if end is None or j + 1 >= len(tiers):
        return Gauge(rate, None, None)
    return Gauge(rate, end - at, tiers[j + 1].rate_bp)


def program_gauge(program: Program, spend: int, budget_left: int | None, settled: bool) -> Gauge:
    """A program's gauge for the resident: its tiers, unless the month grants nothing more — settled (only the
    local clock makes a settled month current: it takes no payments) or its budget used up (`budget_left`
    0; None: no budget). A budget with anything left does not move the gauge: it is the whole district's,
    so how long it lasts is not the resident's to count; a payment that empties it gets the part left."""
    if settled or (budget_left is not None and budget_left <= 0):
        return STOPPED
    return gauge(program, spend)


def meter(policy: Policy, month: ResidentMonth, budget_left: Mapping[str, int]) -> list[MeterLine]:
    """Every program of the month's policy, in the policy's order, with the resident's counter and gauge."""
    lines = []
    for p in policy.programs:
        spend = month.spend.get(p.program_id, 0)
        g = program_gauge(p, spend, budget_left.get(p.program_id), month.settled)
        lines.append(MeterLine(p.program_id, p.applies_to, spend, g.rate_bp, g.until_next, g.next_rate_bp))
    return lines


def shop_rate_bp(policy: Policy, lines: list[MeterLine], benefit_plus: bool) -> int:
    """The total rate the resident's next eligible won paid at a shop earns now: the sum of the gauges of the
    programs that cover a payment there (`Program.covers`, the in-store channel: `all` everywhere,
    `benefit-plus` at Benefit Plus shops)."""
    covering = {p.program_id for p in policy.programs if p.covers(benefit_plus, CHANNEL_STORE)}
    return sum(line.rate_bp for line in lines if line.program_id in covering)

"""Sharded monthly budget counters: a program's budget is split into fixed slices so that thousands of
payments a minute do not all update one DynamoDB item (a hot key).

Each slice has a cap (the budget divided evenly) and a `used` counter; a grant or a give-back touches
one or a few slices, each conditioned in the payment's transaction on staying within `0 ≤ used ≤ cap`.
The sum of the slices is the program's exact use of its budget.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass

from chalicelib.domain.policy import Policy

BUDGET_SHARDS = 8


def caps(budget: int, shards: int = BUDGET_SHARDS) -> list[int]:
    """The budget split into `shards` caps that add up to it exactly."""
    base, extra = divmod(budget, shards)
    return [base + (1 if k < extra else 0) for k in range(shards)]


@dataclass(frozen=True)
class Slice:
    shard: int
    cap: int
    used: int

    @property
    def room(self) -> int:
        return self.cap - self.used


def remaining(slices: list[Slice]) -> int:
    return sum(max(s.room, 0) for s in slices)


def allocate(slices: list[Slice], amount: int, rng: random.Random | None = None) -> dict[int, int]:
    """Spread a signed change over the slices: a grant (> 0) into slices with room, a give-back (< 0)
    out of slices with use. A random slice that can take all of it is preferred, so concurrent payments
    land on different items; otherwise the change is split over slices taken in random order."""
    if amount == 0:
        return {}
    pick = rng or random
    if amount > 0:
        fits = [s for s in slices if s.room >= amount]
        if fits:
            return {pick.choice(fits).shard: amount}
        order = [s for s in slices if s.room > 0]
        pick.shuffle(order)
        take = {s.shard: min(s.room, amount) for s in order}
    else:
        need = -amount
        fits = [s for s in slices if s.used >= need]
        if fits:
            return {pick.choice(fits).shard: amount}
        order = [s for s in slices if s.used > 0]
        pick.shuffle(order)
        take = {s.shard: -min(s.used, need) for s in order}
    out: dict[int, int] = {}
    left = abs(amount)
    for shard, part in take.items():
        if left == 0:
            break
        step = min(abs(part), left)
        if step:
            out[shard] = step if amount > 0 else -step
            left -= step
    if left:
        raise ValueError("the slices cannot take this change")
    return out


def slices_for(budget: int, used: dict[int, int]) -> list[Slice]:
    """A program's slices for the month: caps from its budget, `used` from storage (absent: unused)."""
    return [Slice(k, cap, used.get(k, 0)) for k, cap in enumerate(caps(budget))]


@dataclass(frozen=True)
class BudgetChange:
    """Add `delta` to one slice of a program's monthly budget, keeping 0 ≤ used ≤ cap."""

    month: str
    program_id: str
    shard: int
    cap: int
    delta: int


Used = Mapping[str, Mapping[int, int]]
"""Per budgeted program, the `used` of each slice that exists (absent slices are unused)."""


def budgeted(policy: Policy) -> list[str]:
    """The programs of a policy that carry a monthly budget."""
    return [p.program_id for p in policy.programs if p.monthly_budget is not None]


def left(policy: Policy, used: Used) -> dict[str, int]:
    """What each budgeted program can still grant this month."""
    return {
        p.program_id: remaining(slices_for(p.monthly_budget, dict(used.get(p.program_id, {}))))
        for p in policy.programs
        if p.monthly_budget is not None
    }


def changes(month: str, policy: Policy, used: Used, accruals: Mapping[str, int]) -> list[BudgetChange]:
    """The slice updates that carry a payment's grants (or a refund's give-backs) into the budget."""
    out: list[BudgetChange] = []
    for program in policy.programs:
        amount = accruals.get(program.program_id, 0)
        if program.monthly_budget is None or amount == 0:
            continue
        slices = slices_for(program.monthly_budget, dict(used.get(program.program_id, {})))
        caps = {s.shard: s.cap for s in slices}
        for shard, delta in allocate(slices, amount).items():
            out.append(BudgetChange(month, program.program_id, shard, caps[shard], delta))
    return out


@dataclass(frozen=True)
class BudgetUse:
    """One program's monthly budget as staff watch it: `used` is what its slices hold (grants less the
    give-backs of refunds); a program without a budget keeps no slices, so it shows `used` 0 and no
    `monthly_budget` or `remaining` (None: unlimited)."""

    program_id: str
    funder: str
    monthly_budget: int | None
    used: int
    remaining: int | None


def use_of(policy: Policy, used: Used) -> list[BudgetUse]:
    """Every program of the month's policy, in the policy's order, with what its budget slices say."""
    out: list[BudgetUse] = []
    for p in policy.programs:
        if p.monthly_budget is None:
            out.append(BudgetUse(p.program_id, p.funder, None, 0, None))
            continue
        slices = slices_for(p.monthly_budget, dict(used.get(p.program_id, {})))
        out.append(BudgetUse(p.program_id, p.funder, p.monthly_budget, sum(s.used for s in slices), remaining(slices)))
    return out

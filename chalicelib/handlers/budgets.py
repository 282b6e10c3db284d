"""Glue between the policy's monthly budgets, the stored budget slices and a payment's accruals."""

from __future__ import annotations

from chalicelib.domain.budget import allocate, remaining, slices_for
from chalicelib.domain.policy import Policy
from chalicelib.storage.dynamo import BudgetChange


def budgeted(policy: Policy) -> list[str]:
    """The programs of a policy that carry a monthly budget."""
    return [p.program_id for p in policy.programs if p.monthly_budget is not None]


def left(policy: Policy, used: dict[str, dict[int, int]]) -> dict[str, int]:
    """What each budgeted program can still grant this month."""
    return {
        p.program_id: remaining(slices_for(p.monthly_budget, used.get(p.program_id, {})))
        for p in policy.programs
        if p.monthly_budget is not None
    }


def changes(month: str, policy: Policy, used: dict[str, dict[int, int]], accruals: dict[str, int]) -> list[BudgetChange]:
    """The slice updates that carry a payment's grants (or a refund's give-backs) into the budget."""
    out: list[BudgetChange] = []
    for program in policy.programs:
        amount = accruals.get(program.program_id, 0)
        if program.monthly_budget is None or amount == 0:
            continue
        slices = slices_for(program.monthly_budget, used.get(program.program_id, {}))
        caps = {s.shard: s.cap for s in slices}
        for shard, delta in allocate(slices, amount).items():
            out.append(BudgetChange(month, program.program_id, shard, caps[shard], delta))
    return out

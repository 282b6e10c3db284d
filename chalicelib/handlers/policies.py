"""Cashback policy as data: read the one in force, publish one for a future month."""

from __future__ import annotations

from chalicelib import composition
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.months import MONTH_RULE, is_month, kst_iso, month_of
from chalicelib.domain.policy import Policy, validate_policy
from chalicelib.handlers.common import now, policy_in_force


def current() -> tuple[Policy, dict[str, int]]:
    """The policy in force, with what is left of each budgeted program this month (a live gauge)."""
    month = month_of(now())
    policy = policy_in_force(month)
    budgets = composition.container().repos.budgets
    left = {
        p.program_id: max(p.monthly_budget - budgets.used(month, p.program_id), 0)
        for p in policy.programs
        if p.monthly_budget is not None
    }
    return policy, left


def publish(month: str, policy: Policy) -> Policy:
    """Only future months may be set, so no payment already made ever changes its rules."""
    if not is_month(month):
        raise ValidationFailed(MONTH_RULE)
    at = now()
    if month <= month_of(at):
        raise ValidationFailed(f"only months after {month_of(at)} may be set")
    problems = validate_policy(policy)
    if problems:
        raise ValidationFailed("; ".join(problems))
    c = composition.container()
    c.repos.policies.put(policy, kst_iso(at))
    c.policies.invalidate()
    return policy

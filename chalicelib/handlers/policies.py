"""Cashback policy as data: read the one in force, publish one for a future month."""

from __future__ import annotations

from chalicelib import composition
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.months import MONTH_RULE, is_month, kst_iso, month_of
from chalicelib.domain.policy import Policy, Program, Tier, validate_policy
from chalicelib.handlers.common import now, policy_in_force
from chalicelib.handlers.presenters import policy_out
from chalicelib.schemas import PolicyIn, PolicyOut


def current() -> PolicyOut:
    """The policy in force, with what is left of each budgeted program this month (a live gauge)."""
    month = month_of(now())
    policy = policy_in_force(month)
    store = composition.container().store
    left = {
        p.program_id: max(p.monthly_budget - store.budget_used(month, p.program_id), 0)
        for p in policy.programs
        if p.monthly_budget is not None
    }
    return policy_out(policy, left)


def publish(month: str, body: PolicyIn) -> PolicyOut:
    """Only future months may be set, so no payment already made ever changes its rules."""
    if not is_month(month):
        raise ValidationFailed(MONTH_RULE)
    at = now()
    if month <= month_of(at):
        raise ValidationFailed(f"only months after {month_of(at)} may be set")
    policy = Policy(
        effective_month=month,
        programs=tuple(
            Program(
                program_id=p.program_id,
                funder=p.funder,
                applies_to=p.applies_to,
                tiers=tuple(Tier(up_to=t.up_to, rate_bp=t.rate_bp) for t in p.tiers),
                monthly_budget=p.monthly_budget,
            )
            for p in body.programs
        ),
        monthly_charge_limit=body.monthly_charge_limit,
        balance_limit=body.balance_limit,
    )
    problems = validate_policy(policy)
    if problems:
        raise ValidationFailed("; ".join(problems))
    c = composition.container()
    c.store.put_policy(policy, kst_iso(at))
    c.policies.invalidate()
    return policy_out(policy)

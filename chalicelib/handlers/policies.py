"""Cashback policy as data: the one in force, and the two-person rule for a future month's — one staff member
proposes, another approves, and only then does it take effect."""

from __future__ import annotations

from chalicelib import composition
from chalicelib.domain.audit import POLICY_APPROVE, POLICY_PROPOSE
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.months import MONTH_RULE, is_month, kst_iso, month_of
from chalicelib.domain.policy import Policy, validate_policy
from chalicelib.domain.proposals import APPROVED, Proposal, approve, propose
from chalicelib.handlers import audit
from chalicelib.handlers.common import now, policy_in_force, retrying


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


def _future(month: str) -> None:
    if not is_month(month):
        raise ValidationFailed(MONTH_RULE)
    if month <= month_of(now()):
        raise ValidationFailed(f"only months after {month_of(now())} may be set")


def propose_policy(month: str, policy: Policy, actor: str) -> Proposal:
    """Only future months may be set, so no payment already made ever changes its rules; no tier above the
    cap. The proposal and its audit record are written together."""
    _future(month)
    problems = validate_policy(policy, composition.container().settings.max_rate_bp)
    if problems:
        raise ValidationFailed("; ".join(problems))
    r = composition.container().repos

    def attempt() -> Proposal:
        batch = r.store.batch()
        pending = r.policies.want_proposal(batch, month)
        batch.run()
        before = pending.value
        proposal = propose(policy, actor, kst_iso(now()), before)
        tx = r.store.tx()
        r.policies.stage_proposal(tx, proposal, before.version if before else 0)
        audit.stage(tx, actor, POLICY_PROPOSE, month, {"programs": len(policy.programs)})
        tx.commit()
        return proposal

    return retrying(attempt, f"policy:{month}")


def approve_policy(month: str, actor: str) -> Proposal:
    """Another staff member approves: the policy goes into force from its month, with the approval and its
    audit record, in one transaction."""
    if not is_month(month):
        raise ValidationFailed(MONTH_RULE)
    c = composition.container()
    r = c.repos

    def attempt() -> Proposal:
        batch = r.store.batch()
        pending = r.policies.want_proposal(batch, month)
        batch.run()
        if pending.value is None:
            raise NotFound(f"nothing is proposed for {month}")
        at = kst_iso(now())
        approved = approve(pending.value, actor, at, month_of(now()))
        tx = r.store.tx()
        r.policies.stage_proposal(tx, approved, pending.value.version)
        r.policies.stage_policy(tx, approved.policy, at)
        audit.stage(tx, actor, POLICY_APPROVE, month, {"proposed_by": approved.proposed_by})
        tx.commit()
        return approved

    approved = retrying(attempt, f"policy:{month}")
    c.policies.invalidate()
    return approved


def month_policy(month: str) -> Proposal:
    """The month's proposal (pending or approved) or, for a policy seeded without one, the policy itself."""
    if not is_month(month):
        raise ValidationFailed(MONTH_RULE)
    r = composition.container().repos
    batch = r.store.batch()
    proposal = r.policies.want_proposal(batch, month)
    policy = r.policies.want_policy(batch, month)
    batch.run()
    if proposal.value is not None:
        return proposal.value
    if policy.value is not None:
        return Proposal(policy.value, APPROVED, "", "")
    raise NotFound(f"no policy is proposed or in force from {month}")

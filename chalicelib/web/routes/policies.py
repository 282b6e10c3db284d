"""The cashback policy in force, and staff publishing one for a future month."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.web.api import SIGNED_IN, STAFF, Call, Routes
from chalicelib.web.schemas.policies import PolicyIn, PolicyOut, ProgramOut, ProposalOut, TierOut

if TYPE_CHECKING:
    from chalicelib.domain.policy import Policy
    from chalicelib.domain.proposals import Proposal

routes = Routes(__name__, "policies")


def policy_out(p: Policy, budget_remaining: dict[str, int] | None = None) -> PolicyOut:
    left = budget_remaining or {}
    return PolicyOut(
        effective_month=p.effective_month,
        programs=[
            ProgramOut(
                program_id=pr.program_id, funder=pr.funder, applies_to=pr.applies_to,
                tiers=[TierOut(up_to=t.up_to, rate_bp=t.rate_bp) for t in pr.tiers],
                monthly_budget=pr.monthly_budget, budget_remaining=left.get(pr.program_id),
            )
            for pr in p.programs
        ],
        monthly_charge_limit=p.monthly_charge_limit,
        balance_limit=p.balance_limit,
    )


@routes.route("/policies/current", "GET", role=SIGNED_IN, summary="The cashback policy in force",
              response=PolicyOut)
def current_policy(call: Call) -> PolicyOut:
    from chalicelib.handlers import policies

    return policy_out(*policies.current())


def proposal_out(p: Proposal) -> ProposalOut:
    return ProposalOut(
        **policy_out(p.policy).model_dump(), status=p.status, proposed_by=p.proposed_by or None,  # type: ignore[arg-type]
        proposed_at=p.proposed_at or None, approved_by=p.approved_by, approved_at=p.approved_at,
    )  # fmt: skip


@routes.route("/staff/policies/{month}", "PUT", role=STAFF, summary="Propose a policy for a future month",
              body=PolicyIn, response=ProposalOut, status=202)
def publish_policy(call: Call) -> ProposalOut:
    from chalicelib.domain.policy import Policy, Program, Tier
    from chalicelib.handlers import policies

    b = call.body
    policy = Policy(
        effective_month=call.params["month"],
        programs=tuple(
            Program(program_id=p.program_id, funder=p.funder, applies_to=p.applies_to,
                    tiers=tuple(Tier(up_to=t.up_to, rate_bp=t.rate_bp) for t in p.tiers),
                    monthly_budget=p.monthly_budget)
            for p in b.programs
        ),
        monthly_charge_limit=b.monthly_charge_limit,
        balance_limit=b.balance_limit,
    )
    return proposal_out(policies.propose_policy(call.params["month"], policy, call.user.sub))


@routes.route("/staff/policies/{month}/approve", "POST", role=STAFF,
              summary="Approve another staff member's proposal: it takes effect from its month", response=ProposalOut)
def approve_policy(call: Call) -> ProposalOut:
    from chalicelib.handlers import policies

    return proposal_out(policies.approve_policy(call.params["month"], call.user.sub))


@routes.route("/staff/policies/{month}", "GET", role=STAFF, summary="A month's proposed or approved policy",
              response=ProposalOut)
def month_policy(call: Call) -> ProposalOut:
    from chalicelib.handlers import policies

    return proposal_out(policies.month_policy(call.params["month"]))

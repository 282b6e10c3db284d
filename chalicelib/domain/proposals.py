"""Two people for every cashback policy: one staff member proposes a policy for a future month, and it takes
effect only when another approves it. Until then the policy already in force for that month stays."""

from __future__ import annotations

from dataclasses import dataclass, replace

from chalicelib.domain.errors import Forbidden, InvalidState
from chalicelib.domain.policy import Policy

PROPOSED = "proposed"
APPROVED = "approved"


@dataclass(frozen=True)
class Proposal:
    """A month's policy as staff proposed it, and who approved it (once someone other than the proposer did)."""

    policy: Policy
    status: str
    proposed_by: str
    proposed_at: str
    approved_by: str | None = None
    approved_at: str | None = None
    version: int = 0

    @property
    def month(self) -> str:
        return self.policy.effective_month


def propose(policy: Policy, proposer: str, at: str, replacing: Proposal | None) -> Proposal:
    """A new proposal for the month replaces a pending one (the next approval is of this one)."""
    return Proposal(policy, PROPOSED, proposer, at, version=(replacing.version if replacing else 0) + 1)


def approve(proposal: Proposal, approver: str, at: str, month_now: str) -> Proposal:
    """The proposer may not approve their own proposal (403); a proposal already approved, or for a month
    that has already begun, is not approved again (409): no payment made ever changes its rules."""
    if approver == proposal.proposed_by:
        raise Forbidden("a policy takes effect only when another staff member approves it")
    if proposal.status != PROPOSED:
        raise InvalidState(f"the policy of {proposal.month} is already {proposal.status}")
    if proposal.month <= month_now:
        raise InvalidState(f"{proposal.month} has begun: only policies for months after {month_now} may be approved")
    return replace(proposal, status=APPROVED, approved_by=approver, approved_at=at, version=proposal.version + 1)

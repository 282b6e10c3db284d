"""The audit trail of staff power: every staff action (who, when, what, on what), written in the same
transaction as the action, or right after it where the action is not a database write (an exported file,
the local clock)."""

from __future__ import annotations

from dataclasses import dataclass, field

MERCHANT_REGISTER = "merchant.register"
MERCHANT_MALLS = "merchant.malls"
MERCHANT_DELIVERY = "merchant.delivery"
MERCHANT_LOCATION = "merchant.location"
POLICY_PROPOSE = "policy.propose"
POLICY_APPROVE = "policy.approve"
CAMPAIGN_OPEN = "campaign.open"
CAMPAIGN_CLOSE = "campaign.close"
CAMPAIGN_REOPEN = "campaign.reopen"
SETTLEMENT_START = "settlement.start"
NTS_EXPORT = "nts.export"
CLOCK_SET = "clock.set"
ACTIONS = (MERCHANT_REGISTER, MERCHANT_MALLS, MERCHANT_DELIVERY, MERCHANT_LOCATION, POLICY_PROPOSE, POLICY_APPROVE,
           CAMPAIGN_OPEN, CAMPAIGN_CLOSE, CAMPAIGN_REOPEN, SETTLEMENT_START, NTS_EXPORT, CLOCK_SET)


@dataclass(frozen=True)
class AuditEntry:
    """One staff action. `detail` holds what the action set (never personal data)."""

    entry_id: str
    at: str
    actor: str
    action: str
    target: str
    detail: dict[str, str | int | bool | None] = field(default_factory=dict)

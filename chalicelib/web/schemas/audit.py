"""The audit trail: request and response models (API.md v2, Staff)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.web.schemas.common import Identifier, Out, PageQuery, Timestamp

Action = Literal["merchant.register", "merchant.malls", "merchant.delivery", "merchant.location", "policy.propose",
                 "policy.approve", "campaign.open", "campaign.close", "campaign.reopen", "settlement.start", "nts.export",
                 "clock.set"]


class AuditQuery(PageQuery):
    actor: Identifier | None = Field(default=None, description="Only this staff member's actions.")
    action: Action | None = None


class AuditEntryOut(Out):
    at: Timestamp
    actor: str
    action: str
    target: str = Field(description="What the action was on: a merchant, a month, a campaign, a year.")
    detail: dict[str, str | int | bool | None]


class AuditList(Out):
    items: list[AuditEntryOut]
    next: str | None

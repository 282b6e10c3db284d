"""서로도움 campaigns, donations and the tax id: request and response models (API.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from chalicelib.web.schemas.common import Identifier, Out, PageQuery, PositiveWon, Strict, Text40, Text100

Year = Annotated[int, Field(ge=2000, le=2999)]


class CampaignIn(Strict):
    title: Text100
    category: Text40
    target: PositiveWon


class CampaignOut(Out):
    campaign_id: str
    title: str
    category: str
    target: int
    raised: int
    donors: int = Field(description="Distinct residents who gave to it.")
    active: bool
    created_at: str


class CampaignList(Out):
    items: list[CampaignOut]
    next: str | None


class DonationIn(Strict):
    amount: PositiveWon
    campaign_id: Identifier | None = Field(default=None, description="Absent or null: the general fund.")


class DonationOut(Out):
    donation_id: str
    amount: int
    campaign_id: str | None
    cashback_balance: int
    category: str
    kind: Literal["one-off", "auto"]
    created_at: str


class AutoDonationIn(Strict):
    mode: Literal["all", "fixed", "off"]
    amount: PositiveWon | None = Field(default=None, description="Only for 'fixed': won each month (≥ 100).")
    campaign_id: Identifier | None = Field(default=None, description="Absent or null: the general fund.")


class AutoDonationOut(Out):
    mode: Literal["all", "fixed", "off"]
    amount: int | None
    campaign_id: str | None
    updated_at: str | None


class DonationsQuery(PageQuery):
    limit: Annotated[int, Field(ge=1, le=100)] = 100
    year: Year | None = None


class DonationItemOut(Out):
    donation_id: str
    amount: int
    campaign_id: str | None
    category: str
    kind: Literal["one-off", "auto"]
    month: str | None = Field(default=None, description="For automatic donations, the settled month.")
    created_at: str


class DonationStatementOut(Out):
    year: int
    items: list[DonationItemOut]
    next: str | None
    total: int = Field(description="All of the year's donations, whatever page this is.")
    count: int
    by_campaign: dict[str, int] = Field(description="Per campaign id; 'general' is the general fund.")
    by_category: dict[str, int]
    tax_credit_estimate: int = Field(description="15 % of the total, floored.")


class TaxIdIn(Strict):
    rrn: Annotated[str, StringConstraints(min_length=1, max_length=20)]
    consent_nts: bool


class TaxIdOut(Out):
    rrn_masked: str
    consent_nts: bool
    updated_at: str


class NtsExportIn(Strict):
    year: Year


class NtsExportOut(Out):
    year: int
    s3_key: str
    records: int
    total: int

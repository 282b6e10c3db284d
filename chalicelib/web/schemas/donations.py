"""서로도움 campaigns, donations and the tax id: request and response models (API.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from chalicelib.domain.donations import MIN_DONATION, MODE_ALL, MODE_FIXED, MODE_OFF
from chalicelib.domain.rrn import normalise_rrn
from chalicelib.web.schemas.common import (
    MAX_WON,
    Identifier,
    Month,
    Out,
    PageQuery,
    PositiveWon,
    Rule,
    Strict,
    Text40,
    Text100,
    Timestamp,
    must_be_true,
    one_of,
)

Year = Annotated[int, Field(ge=2000, le=2999)]
DonationAmount = Annotated[int, Field(ge=MIN_DONATION, le=MAX_WON)]
"""A donation from cashback, one-off or each month's fixed one: at least 100 won (`domain/donations.py`)."""
RegistrationNumber = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{6}-?[0-9]{7}$"),
    Rule(lambda v: normalise_rrn(v) is not None, "not a valid resident registration number",
         {"x-check-digit": "resident-registration-number"}),
    Field(description="주민등록번호: 13 digits, with or without the hyphen after the sixth (`YYMMDD-SNNNNNC`): the "
                      "first six a real birth date in the century the seventh digit names (1–2, 5–6: 1900s; 3–4, "
                      "7–8: 2000s; 9, 0: 1800s), the last a check digit: (11 − Σ dᵢ·wᵢ mod 11) mod 10 over the "
                      "first twelve, weights 2…9, 2…5. The pattern checks the shape; the rest is 400."),
]


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
    created_at: Timestamp


class CampaignList(Out):
    items: list[CampaignOut]
    next: str | None


class DonationIn(Strict):
    amount: DonationAmount
    campaign_id: Identifier | None = Field(default=None, description="Absent or null: the general fund.")


class DonationOut(Out):
    donation_id: str
    amount: int
    campaign_id: str | None
    cashback_balance: int
    category: str
    kind: Literal["one-off", "auto"]
    created_at: Timestamp


class AutoDonationIn(Strict):
    """`fixed` needs an `amount` (won each month, at least 100); `all` and `off` take none, and `off` no
    campaign. The document states both in `allOf` (`if`/`then`)."""

    model_config = ConfigDict(json_schema_extra={"allOf": [
        {"if": {"properties": {"mode": {"const": MODE_FIXED}}},
         "then": {"required": ["amount"], "properties": {"amount": {"type": "integer"}}},
         "else": {"properties": {"amount": {"type": "null"}}}},
        {"if": {"properties": {"mode": {"const": MODE_OFF}}},
         "then": {"properties": {"campaign_id": {"type": "null"}}}},
    ]})

    mode: Annotated[str, one_of((MODE_ALL, MODE_FIXED, MODE_OFF), "must be all, fixed or off")]
    amount: DonationAmount | None = Field(default=None, validate_default=True,
                                          description="Only for 'fixed' (required there): won each month (≥ 100).")
    campaign_id: Identifier | None = Field(default=None, validate_default=True,
                                           description="Absent or null: the general fund (and with 'off').")

    @field_validator("amount")
    @classmethod
    def _amount_for_fixed_only(cls, amount: int | None, info: ValidationInfo) -> int | None:
        mode = info.data.get("mode")
        if mode == MODE_FIXED and amount is None:
            raise PydanticCustomError("rule", "required when mode is 'fixed'")
        if mode in (MODE_ALL, MODE_OFF) and amount is not None:
            raise PydanticCustomError("rule", "only for mode 'fixed', not {mode}", {"mode": repr(mode)})
        return amount

    @field_validator("campaign_id")
    @classmethod
    def _no_campaign_when_off(cls, campaign_id: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("mode") == MODE_OFF and campaign_id is not None:
            raise PydanticCustomError("rule", "not with mode 'off'")
        return campaign_id


class AutoDonationOut(Out):
    mode: Literal["all", "fixed", "off"]
    amount: int | None
    campaign_id: str | None
    updated_at: Timestamp | None


class DonationsQuery(PageQuery):
    limit: Annotated[int, Field(ge=1, le=100)] = 100
    year: Year | None = None


class DonationItemOut(Out):
    donation_id: str
    amount: int
    campaign_id: str | None
    category: str
    kind: Literal["one-off", "auto"]
    month: Month | None = Field(default=None, description="For automatic donations, the settled month.")
    created_at: Timestamp


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
    rrn: RegistrationNumber
    consent_nts: Annotated[bool, must_be_true("the link to the National Tax Service needs consent (true)")]


class TaxIdOut(Out):
    rrn_masked: str
    consent_nts: bool
    updated_at: Timestamp


class NtsExportIn(Strict):
    year: Year


class NtsExportOut(Out):
    year: int
    s3_key: str
    records: int
    total: int

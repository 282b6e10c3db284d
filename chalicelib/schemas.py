"""Request and response models of the HTTP contract (API.md).

The same models validate requests (strict JSON types: `"1000"` or `true` is not an amount), shape
responses and generate the OpenAPI document, so the three cannot drift apart.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

from chalicelib.domain.months import MONTH_RULE, is_month

MAX_WON = 100_000_000
"""No single amount in this system may exceed 100 million won; larger numbers are input errors."""


def sent_at_most(limit: int) -> BeforeValidator:
    """The length bound of a trimmed text holds for the text as sent too, as the document's maxLength says:
    trimming alone would take 101 characters whose first is a space as 100. (Listed after the
    StringConstraints it guards, it runs first; listed before, pydantic drops their min_length.)"""

    def check(value: Any) -> Any:
        if isinstance(value, str) and len(value) > limit:
            raise PydanticCustomError(
                "string_too_long", "String should have at most {max_length} characters", {"max_length": limit}
            )
        return value

    return BeforeValidator(check)


Won = Annotated[int, Field(ge=0, le=MAX_WON)]
PositiveWon = Annotated[int, Field(gt=0, le=MAX_WON)]
Text20 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20), sent_at_most(20)]
Text40 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40), sent_at_most(40)]
Text50 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50), sent_at_most(50)]
Text64 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), sent_at_most(64)]
Text100 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), sent_at_most(100)]
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), sent_at_most(200)]
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


def month_rule() -> BeforeValidator:
    """A month anywhere in a request is the key a month may have (`MONTH_RULE`), refused in those words:
    a filter of 0000-01 would otherwise be taken, and the pattern's text tells a resident nothing."""

    def check(value: Any) -> Any:
        if isinstance(value, str) and not is_month(value):
            raise PydanticCustomError("month", MONTH_RULE)
        return value

    return BeforeValidator(check)


Month = Annotated[str, StringConstraints(pattern=r"^2[0-9]{3}-(0[1-9]|1[0-2])$"), month_rule()]
"""Patterns spell digits `[0-9]`: pydantic's digit class also takes other scripts' digits (JSON Schema's does not)."""


class Strict(BaseModel):
    """Request bodies: strict types, no unknown fields."""

    model_config = ConfigDict(strict=True, extra="forbid")


class Out(BaseModel):
    """Response bodies."""

    model_config = ConfigDict(extra="forbid")


# ---- errors, health ------------------------------------------------------------------------------


class ErrorDetail(Out):
    code: str
    message: str


class ErrorOut(Out):
    error: ErrorDetail


class HealthOut(Out):
    status: Literal["ok"]
    stage: str


# ---- wallet ----------------------------------------------------------------------------------


class OpenWalletIn(Strict):
    dong: Text40
    agree_terms: bool


class ChargeIn(Strict):
    amount: PositiveWon


class MonthOut(Out):
    month: str
    eligible_spend: int
    charged: int
    pending_cashback: int
    pending_by_program: dict[str, int]


class LimitsOut(Out):
    monthly_charge_limit: int
    balance_limit: int


class WalletOut(Out):
    user_id: str
    dong: str
    charged_balance: int
    cashback_balance: int
    adjustment_due: int = Field(
        description="Cashback still owed back from refunds of settled months (0 or negative)."
    )
    month: MonthOut
    limits: LimitsOut


class ChargeOut(Out):
    charge_id: str
    amount: int
    charged_balance: int


# ---- payments --------------------------------------------------------------------------------


class PaymentIn(Strict):
    merchant_id: Identifier
    amount: PositiveWon
    use_cashback: bool = True


class RefundIn(Strict):
    amount: PositiveWon | None = None


class PaymentOut(Out):
    payment_id: str
    merchant_id: str
    month: str
    list_amount: int
    discount: int
    paid: int
    from_cashback: int
    from_charged: int
    cashback: dict[str, int]
    refunded: int
    status: Literal["approved", "partially_refunded", "refunded"]
    created_at: str


class PaymentList(Out):
    items: list[PaymentOut]
    next: str | None


class PageQuery(BaseModel):
    """`?limit=` (1–100, default 20) and `?next=` (opaque)."""

    model_config = ConfigDict(extra="ignore")
    limit: Annotated[int, Field(ge=1, le=100)] = 20
    next: Annotated[str, StringConstraints(min_length=1, max_length=2048)] | None = None


class PaymentsQuery(PageQuery):
    month: Month | None = None


# ---- merchants -------------------------------------------------------------------------------


class DeliveryIn(Strict):
    fee: Annotated[int, Field(ge=0, le=100_000)]
    min_order: Annotated[int, Field(ge=0, le=1_000_000)]
    dongs: Annotated[list[Text40], Field(min_length=1, max_length=22)]


class MerchantIn(Strict):
    name: Text100
    business_number: Text20
    dong: Text40
    category: Text40
    benefit_plus: bool
    discount_rate: Annotated[int, Field(ge=0, le=100)] | None = Field(
        default=None, description="A whole percent: 3, 5 or 7, for Benefit Plus merchants only."
    )
    delivery: DeliveryIn | None = None
    malls: Annotated[list[Text40], Field(max_length=2)] = []
    food_complex: bool = False


class DeliveryOut(Out):
    fee: int
    min_order: int
    dongs: list[str]


class MerchantOut(Out):
    merchant_id: str
    name: str
    dong: str
    category: str
    benefit_plus: bool
    discount_rate: int
    delivery: DeliveryOut | None
    malls: list[str]
    food_complex: bool


class MerchantRegisteredOut(MerchantOut):
    business_number: str


class MerchantList(Out):
    items: list[MerchantOut]
    next: str | None


class MerchantsQuery(PageQuery):
    dong: Text40 | None = Field(default=None, description="One of the 22 dongs: the shops located there.")
    benefit_plus: bool | None = None
    delivery: bool | None = None


# ---- policies --------------------------------------------------------------------------------


class TierIn(Strict):
    up_to: Annotated[int, Field(gt=0, le=10 * MAX_WON)] | None
    rate_bp: Annotated[int, Field(ge=0, le=10_000)]


class ProgramIn(Strict):
    program_id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
    funder: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
    applies_to: Literal["all", "benefit-plus"] = "all"
    tiers: Annotated[list[TierIn], Field(min_length=1, max_length=20)]
    monthly_budget: Annotated[int, Field(ge=0, le=10**13)] | None = None


class PolicyIn(Strict):
    programs: Annotated[list[ProgramIn], Field(min_length=1, max_length=20)]
    monthly_charge_limit: PositiveWon
    balance_limit: PositiveWon


class TierOut(Out):
    up_to: int | None
    rate_bp: int


class ProgramOut(Out):
    program_id: str
    funder: str
    applies_to: str
    tiers: list[TierOut]
    monthly_budget: int | None = Field(default=None, description="Won per month from the funder; null: unlimited.")
    budget_remaining: int | None = Field(default=None, description="What is left of this month's budget.")


class PolicyOut(Out):
    effective_month: str
    programs: list[ProgramOut]
    monthly_charge_limit: int
    balance_limit: int


# ---- local clock -----------------------------------------------------------------------------


class ClockIn(Strict):
    now: AwareDatetime = Field(description="An instant between 2000-01-01 and 2999-12-31 (KST), with its offset.")


class ClockOut(Out):
    now: str
    moved: bool


# ---- settlement ------------------------------------------------------------------------------


class SettlementIn(Strict):
    month: Month


class SettlementProgress(Out):
    shards_done: int
    shards_total: int


class SettlementOut(Out):
    month: str
    status: Literal["queued", "running", "completed", "failed"]
    residents: int
    settled_residents: int
    cashback_credited: int
    accrued: int
    adjustments_applied: int = Field(description="Cashback taken back for refunds of earlier settled months (≤ 0).")
    by_program: dict[str, int]
    by_funder: dict[str, int]
    auto_donations: int
    books_balanced: bool | None = Field(description="Known once the run is completed.")
    problems: list[str]
    progress: SettlementProgress
    reports: list[str]
    started_at: str
    finished_at: str | None


class MerchantSettlementOut(Out):
    month: str
    gross: int
    discounts: int
    refunds: int
    net: int
    fees: int


# ---- 서구소식 news ----------------------------------------------------------------------------

NewsCategory = Literal["disaster", "daily-info", "major-news", "dong-event"]


class NewsQuery(PageQuery):
    dong: Text40 | None = Field(default=None, description="One of the 22 dongs: its posts and the district-wide ones.")
    category: NewsCategory | None = None


class NewsOut(Out):
    post_id: str
    title: str
    category: NewsCategory
    dongs: list[str] = Field(description='The dongs addressed, or ["all"] for the whole district.')
    district_wide: bool
    body: str = Field(description="Markdown, as uploaded.")
    body_html: str = Field(description="The body as sanitised HTML (no scripts, event handlers or javascript: URLs).")
    published_at: str
    pinned: bool
    alert: bool = Field(description="A current disaster alert (shown first).")
    expires_at: str | None
    updated_at: str
    revision: int


class NewsList(Out):
    items: list[NewsOut]
    next: str | None


class NoticeProblemOut(Out):
    field: str
    message: str


class StaffNoticeOut(Out):
    key: str
    status: Literal["published", "scheduled", "rejected", "retired"]
    post_id: str | None = Field(default=None, description="The post this key publishes (absent until a valid upload).")
    errors: list[NoticeProblemOut] | None = Field(
        default=None, description="Every problem of the latest upload, when it was rejected."
    )
    title: str | None = None
    updated_at: str


class StaffNoticeList(Out):
    items: list[StaffNoticeOut]
    next: str | None


# ---- 배달서구 delivery -------------------------------------------------------------------------



class MenuItemIn(Strict):
    item_id: Identifier
    name: Text100
    price: Annotated[int, Field(gt=0, le=1_000_000)]
    available: bool = True


class MenuIn(Strict):
    items: Annotated[list[MenuItemIn], Field(max_length=200)]


class MenuItemOut(Out):
    item_id: str
    name: str
    price: int
    available: bool


class MenuOut(Out):
    items: list[MenuItemOut]


class OrderLineIn(Strict):
    item_id: Identifier
    quantity: Annotated[int, Field(ge=-1_000_000, le=1_000_000)]


class OrderIn(Strict):
    merchant_id: Identifier
    items: Annotated[list[OrderLineIn], Field(min_length=1, max_length=50)]
    address: Text200
    dong: Text40 | None = None
    request: Text200 | None = None
    use_cashback: bool = True


class OrderLineOut(Out):
    item_id: str
    name: str
    unit_price: int
    quantity: int
    amount: int


class OrderOut(Out):
    order_id: str
    merchant_id: str
    status: Literal["placed", "accepted", "dispatched", "delivered", "rejected", "cancelled"]
    items: list[OrderLineOut]
    subtotal: int
    discount: int
    delivery_fee: int
    paid: int
    cashback: dict[str, int]
    created_at: str
    payment_id: str
    dong: str | None
    address: str | None
    request: str | None
    eta_minutes: int | None
    reason: str | None


class OrderList(Out):
    items: list[OrderOut]
    next: str | None


class OrdersQuery(PageQuery):
    status: Literal["placed", "accepted", "dispatched", "delivered", "rejected", "cancelled"] | None = None


class AcceptIn(Strict):
    eta_minutes: Annotated[int, Field(ge=1, le=240)]


class RejectIn(Strict):
    reason: Text200


# ---- malls -------------------------------------------------------------------------------------

MallName = Literal["only-seogu", "yumyum"]


class ProductIn(Strict):
    mall: Text40
    name: Text100
    price: Annotated[int, Field(gt=0, le=10_000_000)]
    stock: Annotated[int, Field(ge=0, le=1_000_000)]
    shipping_fee: Annotated[int, Field(ge=0, le=100_000)]


class ProductOut(Out):
    product_id: str
    mall: str
    seller_id: str
    name: str
    price: int
    stock: int
    shipping_fee: int


class ProductList(Out):
    items: list[ProductOut]
    next: str | None


class MallLineIn(Strict):
    product_id: Identifier
    quantity: Annotated[int, Field(ge=-1_000_000, le=1_000_000)]


class ShippingIn(Strict):
    name: Text50
    phone: Annotated[str, StringConstraints(pattern=r"^0[0-9]{1,2}-?[0-9]{3,4}-?[0-9]{4}$")]
    address: Text200
    postcode: Annotated[str, StringConstraints(pattern=r"^[0-9]{5}$")]


class ConsentIn(Strict):
    third_party_provision: bool
    version: Text40


class MallOrderIn(Strict):
    mall: Text40
    items: Annotated[list[MallLineIn], Field(min_length=1, max_length=50)]
    shipping: ShippingIn
    consent: ConsentIn
    use_cashback: bool = True


class TrackingOut(Out):
    carrier: str
    tracking_number: str


class ShippingOut(Out):
    name: str
    phone: str
    address: str
    postcode: str


class MallOrderOut(Out):
    order_id: str
    mall: str
    seller_id: str
    status: Literal["paid", "shipped", "delivered", "cancelled"]
    items: list[OrderLineOut]
    subtotal: int
    discount: int
    shipping_fee: int
    paid: int
    cashback: dict[str, int]
    created_at: str
    payment_id: str
    tracking: TrackingOut | None = None
    shipping: ShippingOut | None = Field(default=None, description="Purged a set time after delivery.")
    consent_version: str
    consent_at: str


class MallOrderList(Out):
    items: list[MallOrderOut]
    next: str | None


class MallOrdersQuery(PageQuery):
    status: Literal["paid", "shipped", "delivered", "cancelled"] | None = None


class ShipIn(Strict):
    carrier: Text40
    tracking_number: Text64


class MallApprovalIn(Strict):
    mall: Text40


# ---- 서로도움 donations ---------------------------------------------------------------------------

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

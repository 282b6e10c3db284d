"""서로도움 donations: residents give their cashback to campaigns or to the general fund.

A donation is drawn from `cashback_balance` only. A one-off donation is at least 100 won; an automatic
donation runs at the monthly settlement right after the credit (all of the new cashback, or a fixed
amount as far as the balance allows). Each resident keeps a yearly summary, the source of the
statement, the tax-credit estimate and the National Tax Service export.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from chalicelib.domain.errors import InsufficientFunds, InvalidState, ValidationFailed
from chalicelib.domain.ledger import MOVE_DONATION, Movement, stamped
from chalicelib.domain.wallet import Wallet

MIN_DONATION = 100
"""A one-off donation is at least 100 won (a 'small donation' of the article)."""

GENERAL_FUND = "general"
"""Where an undesignated donation goes; also its category in statements and the tax export."""

TAX_CREDIT_BP = 1_500
"""The statement's tax-credit estimate: 15 % of the year's total, floored."""

CAMPAIGN_TOTAL_SLICES = 8
"""A campaign's totals are kept in this many slices, so a settlement's burst of automatic donations to
one campaign does not make its item a hot key; the campaign's totals are the sum of the slices."""

MODE_ALL = "all"
MODE_FIXED = "fixed"
MODE_OFF = "off"
KIND_ONE_OFF = "one-off"
KIND_AUTO = "auto"


@dataclass(frozen=True)
class AutoDonation:
    """A resident's standing instruction, run by each monthly settlement.

    `all`: every won newly credited that month; `fixed`: `amount` each month, as far as the
    cashback balance allows. `campaign_id` None means the general fund.
    """

    mode: str
    amount: int | None = None
    campaign_id: str | None = None
    updated_at: str = ""


@dataclass(frozen=True)
class Donation:
    donation_id: str
    user_id: str
    amount: int
    campaign_id: str | None
    category: str
    kind: str
    created_at: str
    month: str | None = None
    """For automatic donations, the settled month that ran it."""

    @property
    def year(self) -> str:
        return self.created_at[:4]

    @property
    def target(self) -> str:
        """The campaign, or the general fund for an undesignated donation."""
        return self.campaign_id or GENERAL_FUND


@dataclass(frozen=True)
class DonationYear:
    """A resident's donations in one calendar year (KST): total, per campaign and per category."""

    user_id: str
    year: str
    total: int = 0
    count: int = 0
    by_campaign: dict[str, int] = field(default_factory=dict)
    by_category: dict[str, int] = field(default_factory=dict)
    version: int = 0

    def plus(self, donation: Donation) -> DonationYear:
        target = donation.target
        return replace(
            self,
            total=self.total + donation.amount,
            count=self.count + 1,
            by_campaign={**self.by_campaign, target: self.by_campaign.get(target, 0) + donation.amount},
            by_category={**self.by_category, donation.category: self.by_category.get(donation.category, 0)
                         + donation.amount},
            version=self.version + 1,
        )


@dataclass(frozen=True)
class DonationOutcome:
    """A donation: the wallet and year summary after it, the record, whether it makes the resident a new
    donor of its target, and the ledger movement it causes."""

    wallet: Wallet
    year: DonationYear
    donation: Donation
    first_gift_to_target: bool
    movement: Movement


def tax_credit_estimate(total: int) -> int:
    """15 % of the year's donations, floored (an estimate: the tax service decides)."""
    return total * TAX_CREDIT_BP // 10_000


def check_target(campaign_active: bool | None) -> None:
    """A designated campaign must exist (None → unknown) and still be open."""
    if campaign_active is False:
        raise InvalidState("this campaign is closed to donations")


def donate(
    wallet: Wallet,
    year: DonationYear,
    donation: Donation,
    already_gave_to_target: bool,
) -> DonationOutcome:
    """Take a donation from the cashback balance only; charged money can never be donated."""
    if donation.amount <= 0:
        raise ValidationFailed("amount: a donation must be positive")
    if donation.amount > wallet.cashback_balance:
        raise InsufficientFunds(f"a donation comes from cashback only: {wallet.cashback_balance} won available")
    after = replace(wallet, cashback_balance=wallet.cashback_balance - donation.amount, version=wallet.version + 1)
    return DonationOutcome(
        wallet=after,
        year=year.plus(donation),
        donation=donation,
        first_gift_to_target=not already_gave_to_target,
        movement=stamped(Movement(
            user_id=donation.user_id, movement_id=donation.donation_id, kind=MOVE_DONATION, ref=donation.donation_id,
            d_charged=0, d_cashback=-donation.amount, created_at=donation.created_at,
        ), after),
    )


def one_off_amount(amount: int) -> int:
    """A one-off donation is at least 100 won."""
    if amount < MIN_DONATION:
        raise ValidationFailed(f"amount: a donation is at least {MIN_DONATION} won")
    return amount


def auto_amount(setting: AutoDonation | None, credited: int, cashback_after_credit: int) -> int:
    """What the automatic donation gives right after a month's credit (0 for none).

    `all` gives what was newly credited (nothing when the month took cashback back); `fixed` gives
    its amount, or the whole balance when less is left. Automatic donations have no minimum.
    """
    if setting is None or setting.mode == MODE_OFF:
        return 0
    if setting.mode == MODE_ALL:
        return max(0, min(credited, cashback_after_credit))
    return max(0, min(setting.amount or 0, cashback_after_credit))


def validate_setting(mode: str, amount: int | None) -> None:
    """`fixed` needs an amount of at least 100 won; `all` and `off` take none."""
    if mode == MODE_FIXED:
        if amount is None:
            raise ValidationFailed("amount: required when mode is 'fixed'")
        if amount < MIN_DONATION:
            raise ValidationFailed(f"amount: at least {MIN_DONATION} won")
    elif amount is not None:
        raise ValidationFailed(f"amount: only for mode 'fixed', not '{mode}'")

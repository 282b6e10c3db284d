"""서로도움: campaigns, donations from cashback (one-off and automatic) and yearly statements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib import composition
from chalicelib.domain.audit import CAMPAIGN_CLOSE, CAMPAIGN_OPEN, CAMPAIGN_REOPEN
from chalicelib.domain.campaign import Campaign
from chalicelib.domain.donations import (
    GENERAL_FUND,
    KIND_AUTO,
    KIND_ONE_OFF,
    MODE_OFF,
    AutoDonation,
    Donation,
    DonationOutcome,
    DonationYear,
    check_target,
    donate,
    one_off_amount,
    tax_credit_estimate,
    validate_setting,
)
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.months import KST, kst_iso
from chalicelib.domain.ports.unit import Page, Tx
from chalicelib.domain.wallet import Wallet
from chalicelib.handlers import audit
from chalicelib.handlers.common import new_id, now
from chalicelib.handlers.unit import Once, Unit, write_once


def year_of(at: datetime) -> str:
    return f"{at.astimezone(KST).year:04d}"


@dataclass(frozen=True)
class Gift:
    """A one-off donation as the resident sees it: the record and the cashback left."""

    donation: Donation
    cashback_balance: int


@dataclass(frozen=True)
class Statement:
    """A year's donations (one page of them) with the year's totals and the tax-credit estimate."""

    year: int
    page: Page[Donation]
    summary: DonationYear
    tax_credit_estimate: int


# ---- campaigns -------------------------------------------------------------------------------


def list_campaigns(limit: int, cursor: str | None) -> Page[Campaign]:
    return composition.container().repos.campaigns.page(limit, cursor)


def get_campaign(campaign_id: str) -> Campaign:
    campaign = composition.container().repos.campaigns.get(campaign_id)
    if campaign is None:
        raise NotFound("no such campaign")
    return campaign


def create_campaign(title: str, category: str, target: int, actor: str) -> Campaign:
    """Staff open a campaign; it takes donations until they close it. Opened with its audit record."""
    campaign = Campaign(new_id("camp"), title, category, target, created_at=kst_iso(now()))
    r = composition.container().repos
    tx = r.store.tx()
    r.campaigns.stage_add(tx, campaign)
    audit.stage(tx, actor, CAMPAIGN_OPEN, campaign.campaign_id, {"title": title, "target": target})
    tx.commit()
    return campaign


def set_campaign_active(campaign_id: str, active: bool, actor: str) -> Campaign:
    """Closing a campaign stops new gifts to it; automatic donations designated to it go to the general fund.
    Closed or reopened with its audit record."""
    r = composition.container().repos
    tx = r.store.tx()
    r.campaigns.stage_active(tx, campaign_id, active)
    audit.stage(tx, actor, CAMPAIGN_REOPEN if active else CAMPAIGN_CLOSE, campaign_id)
    tx.commit()
    return get_campaign(campaign_id)


# ---- giving ----------------------------------------------------------------------------------


def stage_gift(tx: Tx, outcome: DonationOutcome, year_read_version: int) -> None:
    """What a donation writes besides the wallet: the record, the ledger movement, the year summary, the
    target's totals and, for a first gift to the target, the donor mark."""
    r = composition.container().repos
    d = outcome.donation
    first = outcome.first_gift_to_target
    r.donations.stage(tx, d)
    r.donations.stage_year(tx, outcome.year, year_read_version)
    r.wallets.stage_movement(tx, outcome.movement)
    if first:
        r.donations.stage_donor(tx, d.user_id, d.target, d.created_at)
    r.campaigns.stage_gift(tx, d.target, d.amount, 1 if first else 0)


def give(user_id: str, amount: int, campaign_id: str | None, key: str) -> Gift:
    """A one-off donation from cashback: wallet, record, ledger, year summary, campaign totals and the
    idempotency record in one transaction, after one batched read."""
    r = composition.container().repos
    once = Once.of(Gift, user_id, "donation", key, {"amount": amount, "campaign_id": campaign_id})
    amount = one_off_amount(amount)
    target = campaign_id or GENERAL_FUND

    def attempt(u: Unit[Gift]) -> Gift:
        at = now()
        held = r.wallets.want(u.batch, user_id)
        campaign = r.campaigns.want(u.batch, campaign_id) if campaign_id is not None else None
        gave = r.donations.want_gave(u.batch, user_id, target)
        summary = r.donations.want_year(u.batch, user_id, year_of(at))
        if (replayed := u.read()) is not None:
            return replayed
        wallet = held.value
        if wallet is None:
            raise NotFound("no wallet is open for this resident")
        found = campaign.value if campaign is not None else None
        if campaign_id is not None and found is None:
            raise NotFound("unknown campaign_id")
        check_target(found.active if found else None)
        donation = Donation(new_id("don"), user_id, amount, campaign_id, found.category if found else GENERAL_FUND,
                            KIND_ONE_OFF, kst_iso(at))
        outcome = donate(wallet, summary.value, donation, gave.value)
        r.wallets.stage(u.tx, outcome.wallet, wallet.version)
        stage_gift(u.tx, outcome, summary.value.version)
        return u.commit(Gift(donation, outcome.wallet.cashback_balance))

    return write_once(once, attempt, lock=user_id)


def auto_gift(wallet: Wallet, setting: AutoDonation | None, month: str, amount: int, at: datetime) -> tuple[
        DonationOutcome, int]:
    """The settlement's automatic donation for `month`, taken from `wallet` (already credited).

    A designated campaign that has closed or gone meanwhile gets nothing: the gift goes to the general
    fund instead, so the resident's instruction to give still holds. Returns the outcome and the read
    version of the year summary, for the settlement's transaction.
    """
    r = composition.container().repos
    wanted = setting.campaign_id if setting else None
    batch = r.store.batch()
    campaign = r.campaigns.want(batch, wanted) if wanted is not None else None
    gave = r.donations.want_gave(batch, wallet.user_id, wanted or GENERAL_FUND)
    summary = r.donations.want_year(batch, wallet.user_id, year_of(at))
    batch.run()
    open_campaign = campaign.value if campaign is not None and campaign.value and campaign.value.active else None
    gave_before = gave.value
    if wanted is not None and open_campaign is None:
        again = r.store.batch()
        general = r.donations.want_gave(again, wallet.user_id, GENERAL_FUND)
        again.run()
        gave_before = general.value
    donation = Donation(
        f"don_auto_{month}", wallet.user_id, amount, open_campaign.campaign_id if open_campaign else None,
        open_campaign.category if open_campaign else GENERAL_FUND, KIND_AUTO, kst_iso(at), month,
    )  # fmt: skip
    return donate(wallet, summary.value, donation, gave_before), summary.value.version


# ---- the standing instruction ----------------------------------------------------------------


def set_auto(user_id: str, mode: str, amount: int | None, campaign_id: str | None) -> AutoDonation | None:
    """`all`, `fixed` (with an amount) or `off`; a designated campaign must exist and be open."""
    validate_setting(mode, amount)
    if mode == MODE_OFF and campaign_id is not None:
        raise ValidationFailed("campaign_id: not with mode 'off'")
    r = composition.container().repos
    batch = r.store.batch()
    wallet = r.wallets.want(batch, user_id)
    campaign = r.campaigns.want(batch, campaign_id) if campaign_id is not None else None
    batch.run()
    if wallet.value is None:
        raise NotFound("no wallet is open for this resident")
    found = campaign.value if campaign is not None else None
    if campaign_id is not None and found is None:
        raise NotFound("unknown campaign_id")
    check_target(found.active if found else None)
    setting = None if mode == MODE_OFF else AutoDonation(mode, amount, campaign_id, kst_iso(now()))
    r.donations.put_auto(user_id, setting)
    return setting


def get_auto(user_id: str) -> AutoDonation | None:
    r = composition.container().repos
    batch = r.store.batch()
    wallet = r.wallets.want(batch, user_id)
    setting = r.donations.want_auto(batch, user_id)
    batch.run()
    if wallet.value is None:
        raise NotFound("no wallet is open for this resident")
    return setting.value


# ---- statements ------------------------------------------------------------------------------


def statement(user_id: str, year: int | None, limit: int, cursor: str | None) -> Statement:
    """The year's donations (paged), with the year's totals and the tax-credit estimate on every page."""
    y = f"{year:04d}" if year is not None else year_of(now())
    r = composition.container().repos
    page = r.donations.of_year(user_id, y, limit, cursor)
    summary = r.donations.years([user_id], y).get(user_id) or DonationYear(user_id, y)
    return Statement(int(y), page, summary, tax_credit_estimate(summary.total))

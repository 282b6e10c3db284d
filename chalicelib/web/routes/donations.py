"""서로도움: campaigns, one-off and automatic donations from cashback, and the yearly statement."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.web.api import RESIDENTS, SIGNED_IN, STAFF, Call, Routes
from chalicelib.web.schemas.common import PageQuery
from chalicelib.web.schemas.donations import (
    AutoDonationIn,
    AutoDonationOut,
    CampaignIn,
    CampaignList,
    CampaignOut,
    DonationIn,
    DonationItemOut,
    DonationOut,
    DonationsQuery,
    DonationStatementOut,
)

if TYPE_CHECKING:
    from chalicelib.domain.campaign import Campaign
    from chalicelib.domain.donations import AutoDonation

routes = Routes(__name__, "donations")


def campaign_out(c: Campaign) -> CampaignOut:
    return CampaignOut(
        campaign_id=c.campaign_id, title=c.title, category=c.category, target=c.target, raised=c.raised,
        donors=c.donors, active=c.active, created_at=c.created_at,
    )  # fmt: skip


def auto_out(setting: AutoDonation | None) -> AutoDonationOut:
    if setting is None:
        return AutoDonationOut(mode="off", amount=None, campaign_id=None, updated_at=None)
    return AutoDonationOut(
        mode=setting.mode, amount=setting.amount, campaign_id=setting.campaign_id,  # type: ignore[arg-type]
        updated_at=setting.updated_at or None,
    )  # fmt: skip


@routes.route("/campaigns", "GET", role=SIGNED_IN, summary="Donation campaigns", query=PageQuery,
              response=CampaignList)
def list_campaigns(call: Call) -> CampaignList:
    from chalicelib.handlers import donations

    page = donations.list_campaigns(call.query.limit, call.query.next)
    return CampaignList(items=[campaign_out(c) for c in page.items], next=page.next)


@routes.route("/campaigns/{campaign_id}", "GET", role=SIGNED_IN, summary="One campaign", response=CampaignOut)
def get_campaign(call: Call) -> CampaignOut:
    from chalicelib.handlers import donations

    return campaign_out(donations.get_campaign(call.params["campaign_id"]))


@routes.route("/staff/campaigns", "POST", role=STAFF, summary="Open a campaign", body=CampaignIn,
              response=CampaignOut, status=201)
def create_campaign(call: Call) -> CampaignOut:
    from chalicelib.handlers import donations

    b = call.body
    return campaign_out(donations.create_campaign(b.title, b.category, b.target, call.user.sub))


@routes.route("/staff/campaigns/{campaign_id}/close", "POST", role=STAFF, summary="Close a campaign to donations",
              response=CampaignOut)
def close_campaign(call: Call) -> CampaignOut:
    from chalicelib.handlers import donations

    return campaign_out(donations.set_campaign_active(call.params["campaign_id"], False, call.user.sub))


@routes.route("/staff/campaigns/{campaign_id}/reopen", "POST", role=STAFF, summary="Reopen a closed campaign",
              response=CampaignOut)
def reopen_campaign(call: Call) -> CampaignOut:
    from chalicelib.handlers import donations

    return campaign_out(donations.set_campaign_active(call.params["campaign_id"], True, call.user.sub))


@routes.route("/donations", "POST", role=RESIDENTS, summary="Donate cashback", body=DonationIn,
              response=DonationOut, status=201, idempotent=True)
def donate(call: Call) -> DonationOut:
    from chalicelib.handlers import donations

    gift = donations.give(call.user.sub, call.body.amount, call.body.campaign_id, call.key)
    d = gift.donation
    return DonationOut(
        donation_id=d.donation_id, amount=d.amount, campaign_id=d.campaign_id, cashback_balance=gift.cashback_balance,
        category=d.category, kind=d.kind, created_at=d.created_at,  # type: ignore[arg-type]
    )  # fmt: skip


@routes.route("/donations", "GET", role=RESIDENTS, summary="My donations of a year, with the tax-credit estimate",
              query=DonationsQuery, response=DonationStatementOut)
def donation_statement(call: Call) -> DonationStatementOut:
    from chalicelib.handlers import donations

    q = call.query
    s = donations.statement(call.user.sub, q.year, q.limit, q.next)
    return DonationStatementOut(
        year=s.year,
        items=[
            DonationItemOut(
                donation_id=d.donation_id, amount=d.amount, campaign_id=d.campaign_id, category=d.category,
                kind=d.kind, month=d.month, created_at=d.created_at,  # type: ignore[arg-type]
            )
            for d in s.page.items
        ],
        next=s.page.next,
        total=s.summary.total,
        count=s.summary.count,
        by_campaign=dict(s.summary.by_campaign),
        by_category=dict(s.summary.by_category),
        tax_credit_estimate=s.tax_credit_estimate,
    )


@routes.route("/donations/auto", "PUT", role=RESIDENTS, summary="Set my automatic donation", body=AutoDonationIn,
              response=AutoDonationOut)
def set_auto_donation(call: Call) -> AutoDonationOut:
    from chalicelib.handlers import donations

    b = call.body
    return auto_out(donations.set_auto(call.user.sub, b.mode, b.amount, b.campaign_id))


@routes.route("/donations/auto", "GET", role=RESIDENTS, summary="My automatic donation", response=AutoDonationOut)
def get_auto_donation(call: Call) -> AutoDonationOut:
    from chalicelib.handlers import donations

    return auto_out(donations.get_auto(call.user.sub))

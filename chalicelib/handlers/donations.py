"""서로도움: campaigns, donations from cashback (one-off and automatic), yearly statements, the tax id and
the National Tax Service export."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import datetime

from chalicelib import composition
from chalicelib.auth import Principal
from chalicelib.domain.campaign import Campaign
from chalicelib.domain.donations import (
    CAMPAIGN_TOTAL_SLICES,
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
from chalicelib.domain.idempotency import StoredResponse, fingerprint, record_id, replay
from chalicelib.domain.ledger import MOVE_DONATION, Movement
from chalicelib.domain.months import KST, kst_iso
from chalicelib.domain.rrn import mask_rrn, normalise_rrn
from chalicelib.domain.settlement import shard_of
from chalicelib.domain.wallet import Wallet
from chalicelib.handlers.common import new_id, now, retrying, to_json
from chalicelib.observability import logger
from chalicelib.schemas import (
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
    NtsExportOut,
    PageQuery,
    TaxIdIn,
    TaxIdOut,
)
from chalicelib.storage.dynamo import TAX_ID_SHARDS, Writes
from chalicelib.web import Result

EXPORT_BATCH = 100


def _year(at: datetime) -> str:
    return f"{at.astimezone(KST).year:04d}"


def _campaign_out(c: Campaign) -> CampaignOut:
    return CampaignOut(
        campaign_id=c.campaign_id, title=c.title, category=c.category, target=c.target, raised=c.raised,
        donors=c.donors, active=c.active, created_at=c.created_at,
    )  # fmt: skip


# ---- campaigns -------------------------------------------------------------------------------


def list_campaigns(query: PageQuery) -> CampaignList:
    page = composition.container().store.list_campaigns(query.limit, query.next)
    return CampaignList(items=[_campaign_out(c) for c in page.items], next=page.next)


def get_campaign(campaign_id: str) -> CampaignOut:
    campaign = composition.container().store.get_campaign(campaign_id)
    if campaign is None:
        raise NotFound("no such campaign")
    return _campaign_out(campaign)


def create_campaign(body: CampaignIn) -> CampaignOut:
    """Staff open a campaign; it takes donations until they close it."""
    campaign = Campaign(new_id("camp"), body.title, body.category, body.target, created_at=kst_iso(now()))
    composition.container().store.add_campaign(campaign)
    return _campaign_out(campaign)


def set_campaign_active(campaign_id: str, active: bool) -> CampaignOut:
    """Closing a campaign stops new gifts to it; automatic donations designated to it go to the general fund."""
    composition.container().store.set_campaign_active(campaign_id, active)
    return get_campaign(campaign_id)


# ---- giving ----------------------------------------------------------------------------------


def gift_writes(outcome: DonationOutcome, year_read_version: int) -> Writes:
    """What a donation writes besides the wallet: the record, the ledger movement, the year summary, the
    campaign's totals (one random slice) and, for a first gift to the target, the donor marker."""
    d = outcome.donation
    target = d.campaign_id or GENERAL_FUND
    first = outcome.first_gift_to_target
    return Writes(
        donations=[d],
        donation_years=[(outcome.year, year_read_version)],
        movements=[Movement(d.user_id, d.donation_id, MOVE_DONATION, d.donation_id, 0, -d.amount, d.created_at)],
        donor_markers=[(d.user_id, target, d.created_at)] if first else [],
        campaign_adds=[(target, random.randrange(CAMPAIGN_TOTAL_SLICES), d.amount, 1 if first else 0)],
    )


def _donation_out(d: Donation, cashback_balance: int) -> DonationOut:
    return DonationOut(
        donation_id=d.donation_id, amount=d.amount, campaign_id=d.campaign_id, cashback_balance=cashback_balance,
        category=d.category, kind=d.kind, created_at=d.created_at,  # type: ignore[arg-type]
    )  # fmt: skip


def give(user: Principal, body: DonationIn, key: str) -> Result:
    """A one-off donation from cashback: wallet, record, ledger, year summary, campaign totals and the
    idempotency record in one transaction, after one batched read."""
    c = composition.container()
    idem_id = record_id(user.sub, "donation", key)
    request_hash = fingerprint("/donations", body.model_dump())
    amount = one_off_amount(body.amount)
    target = body.campaign_id or GENERAL_FUND

    def attempt() -> Result:
        at = now()
        loaded = c.store.load(
            user_id=user.sub, idem_id=idem_id, campaign_id=body.campaign_id, donor_target=target,
            donation_year=_year(at),
        )  # fmt: skip
        if loaded.idem is not None:
            return Result(*replay(loaded.idem, request_hash))
        if loaded.wallet is None or loaded.donation_year is None:
            raise NotFound("no wallet is open for this resident")
        if body.campaign_id is not None and loaded.campaign is None:
            raise NotFound("unknown campaign_id")
        check_target(loaded.campaign.active if loaded.campaign else None)
        donation = Donation(
            new_id("don"), user.sub, amount, body.campaign_id,
            loaded.campaign.category if loaded.campaign else GENERAL_FUND, KIND_ONE_OFF, kst_iso(at),
        )  # fmt: skip
        outcome = donate(loaded.wallet, loaded.donation_year, donation, loaded.gave_to_target)
        out = _donation_out(donation, outcome.wallet.cashback_balance).model_dump()
        writes = gift_writes(outcome, loaded.donation_year.version)
        writes.wallets = [(outcome.wallet, loaded.wallet.version)]
        writes.idem = StoredResponse(idem_id, request_hash, 201, to_json(out))
        c.store.commit(writes, int(at.timestamp()))
        return Result(201, out)

    return retrying(attempt, user.sub)


def auto_gift(wallet: Wallet, month: str, amount: int, at: datetime) -> tuple[DonationOutcome, int]:
    """The settlement's automatic donation for `month`, taken from `wallet` (already credited).

    A designated campaign that has closed or gone meanwhile gets nothing: the gift goes to the general
    fund instead, so the resident's instruction to give still holds. Returns the outcome and the read
    version of the year summary, for the settlement's transaction.
    """
    setting = wallet.auto_donation
    wanted = setting.campaign_id if setting else None
    year = _year(at)
    store = composition.container().store
    probe = store.load(user_id=wallet.user_id, campaign_id=wanted, donor_target=wanted or GENERAL_FUND,
                       donation_year=year)
    campaign = probe.campaign if probe.campaign is not None and probe.campaign.active else None
    gave_before = probe.gave_to_target
    if wanted is not None and campaign is None:
        gave_before = store.load(user_id=wallet.user_id, donor_target=GENERAL_FUND).gave_to_target
    summary = probe.donation_year or DonationYear(wallet.user_id, year)
    donation = Donation(
        f"don_auto_{month}", wallet.user_id, amount, campaign.campaign_id if campaign else None,
        campaign.category if campaign else GENERAL_FUND, KIND_AUTO, kst_iso(at), month,
    )  # fmt: skip
    return donate(wallet, summary, donation, gave_before), summary.version


# ---- the standing instruction ----------------------------------------------------------------


def _auto_out(setting: AutoDonation | None) -> AutoDonationOut:
    if setting is None:
        return AutoDonationOut(mode="off", amount=None, campaign_id=None, updated_at=None)
    return AutoDonationOut(
        mode=setting.mode, amount=setting.amount, campaign_id=setting.campaign_id,  # type: ignore[arg-type]
        updated_at=setting.updated_at or None,
    )  # fmt: skip


def set_auto(user: Principal, body: AutoDonationIn) -> AutoDonationOut:
    """`all`, `fixed` (with an amount) or `off`; a designated campaign must exist and be open."""
    validate_setting(body.mode, body.amount)
    if body.mode == MODE_OFF and body.campaign_id is not None:
        raise ValidationFailed("campaign_id: not with mode 'off'")
    c = composition.container()

    def attempt() -> AutoDonationOut:
        at = now()
        loaded = c.store.load(user_id=user.sub, campaign_id=body.campaign_id)
        if loaded.wallet is None:
            raise NotFound("no wallet is open for this resident")
        if body.campaign_id is not None and loaded.campaign is None:
            raise NotFound("unknown campaign_id")
        check_target(loaded.campaign.active if loaded.campaign else None)
        setting = (
            None if body.mode == MODE_OFF else AutoDonation(body.mode, body.amount, body.campaign_id, kst_iso(at))
        )
        w = loaded.wallet
        c.store.commit(Writes(wallets=[(replace(w, auto_donation=setting, version=w.version + 1), w.version)]),
                       int(at.timestamp()))
        return _auto_out(setting)

    return retrying(attempt, user.sub)


def get_auto(user: Principal) -> AutoDonationOut:
    loaded = composition.container().store.load(user_id=user.sub)
    if loaded.wallet is None:
        raise NotFound("no wallet is open for this resident")
    return _auto_out(loaded.wallet.auto_donation)


# ---- statements ------------------------------------------------------------------------------


def statement(user: Principal, query: DonationsQuery) -> DonationStatementOut:
    """The year's donations (paged), with the year's totals and the tax-credit estimate on every page."""
    year = f"{query.year:04d}" if query.year is not None else _year(now())
    store = composition.container().store
    page = store.list_donations(user.sub, year, query.limit, query.next)
    summary = store.donation_years([user.sub], year).get(user.sub)
    total = summary.total if summary else 0
    return DonationStatementOut(
        year=int(year),
        items=[
            DonationItemOut(
                donation_id=d.donation_id, amount=d.amount, campaign_id=d.campaign_id, category=d.category,
                kind=d.kind, month=d.month, created_at=d.created_at,  # type: ignore[arg-type]
            )
            for d in page.items
        ],
        next=page.next,
        total=total,
        count=summary.count if summary else 0,
        by_campaign=dict(summary.by_campaign) if summary else {},
        by_category=dict(summary.by_category) if summary else {},
        tax_credit_estimate=tax_credit_estimate(total),
    )


# ---- the tax id and the tax-service export ----------------------------------------------------


def _context(user_id: str) -> dict[str, str]:
    return {"user": user_id, "purpose": "nts-donations"}


def put_tax_id(user: Principal, body: TaxIdIn) -> TaxIdOut:
    """Register the resident registration number for the NTS link: checksum-validated, only with consent,
    encrypted with the KMS key before it is stored, and only ever shown masked."""
    if body.consent_nts is not True:
        raise ValidationFailed("consent_nts: the link to the National Tax Service needs consent (true)")
    digits = normalise_rrn(body.rrn)
    if digits is None:
        raise ValidationFailed("rrn: not a valid resident registration number")
    c = composition.container()
    at = kst_iso(now())
    masked = mask_rrn(digits)
    encrypted = c.pii.encrypt(digits, _context(user.sub))
    c.store.put_tax_id(user.sub, shard_of(user.sub, TAX_ID_SHARDS), encrypted, masked, at)
    return TaxIdOut(rrn_masked=masked, consent_nts=True, updated_at=at)


def get_tax_id(user: Principal) -> TaxIdOut:
    found = composition.container().store.get_tax_id(user.sub)
    if found is None:
        raise NotFound("no registration number is registered")
    return TaxIdOut(rrn_masked=found[0], consent_nts=True, updated_at=found[1])


def delete_tax_id(user: Principal) -> TaxIdOut:
    """Withdrawing consent removes the number; later exports leave the resident out."""
    store = composition.container().store
    found = store.get_tax_id(user.sub)
    if found is None:
        raise NotFound("no registration number is registered")
    store.delete_tax_id(user.sub)
    return TaxIdOut(rrn_masked=found[0], consent_nts=False, updated_at=kst_iso(now()))


def nts_export(year: int) -> NtsExportOut:
    """The year's file for the tax service: one JSON line per consenting resident who gave that year,
    `{"rrn", "year", "total", "by_category"}` (no names), written encrypted with the KMS key."""
    c = composition.container()
    y = f"{year:04d}"
    lines: list[str] = []
    total = 0
    for shard in range(TAX_ID_SHARDS):
        donors = list(c.store.tax_ids(shard))
        for start in range(0, len(donors), EXPORT_BATCH):
            batch = donors[start : start + EXPORT_BATCH]
            years = c.store.donation_years([u for u, _ in batch], y)
            for user_id, encrypted in batch:
                summary = years.get(user_id)
                if summary is None or summary.total <= 0:
                    continue
                rrn = c.pii.decrypt(encrypted, _context(user_id))
                lines.append(json.dumps({"rrn": rrn, "year": year, "total": summary.total,
                                         "by_category": dict(sorted(summary.by_category.items()))},
                                        ensure_ascii=False, separators=(",", ":")))
                total += summary.total
    stamp = now().astimezone(KST).strftime("%Y%m%dT%H%M%S")
    key = f"nts/{y}/donations-{stamp}.jsonl"
    extra = {"ServerSideEncryption": "aws:kms", **({"SSEKMSKeyId": c.settings.pii_key_arn}
                                                   if c.settings.pii_key_arn else {})}
    body = "".join(line + "\n" for line in sorted(lines))
    c.s3.put_object(Bucket=c.settings.exports_bucket, Key=key, Body=body.encode("utf-8"),
                    ContentType="application/x-ndjson", **extra)
    logger().info("nts export written", extra={"year": year, "records": len(lines), "s3_key": key})
    return NtsExportOut(year=year, s3_key=key, records=len(lines), total=total)

"""The in-memory twins of `storage/donations.py` and `storage/tax_ids.py`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from chalicelib.domain.campaign import Campaign
from chalicelib.domain.donations import AutoDonation, Donation, DonationYear
from chalicelib.domain.errors import NotFound
from chalicelib.domain.ports.unit import Batch, Page, Slot, Tx
from chalicelib.domain.rrn import TaxIdRegistration, number_taken
from chalicelib.domain.shards import shard_of
from chalicelib.storage.memory.table import Change, MemoryTable, absent, page, put, versioned

TAX_ID_SHARDS = 16


class MemoryCampaigns:
    """A campaign is stored without totals; each target's totals are one (raised, donors) pair."""

    def __init__(self, table: MemoryTable) -> None:
        self._t = table

    def _with_totals(self, c: Campaign) -> Campaign:
        raised, donors = self.totals(c.campaign_id)
        return replace(c, raised=raised, donors=donors)

    def want(self, batch: Batch, campaign_id: str) -> Slot[Campaign | None]:
        slot: Slot[Campaign | None] = batch.slot(None)
        batch.want(("campaign", campaign_id), slot.fill)
        return slot

    def get(self, campaign_id: str) -> Campaign | None:
        c = self._t.get(("campaign", campaign_id))
        return self._with_totals(c) if c is not None else None

    def page(self, limit: int, cursor: str | None) -> Page[Campaign]:
        rows = [(f"{c.created_at}#{c.campaign_id}", c) for _, c in self._t.scan("campaign")]
        found = page(rows, cursor, limit, "campaigns")
        return Page([self._with_totals(c) for c in found.items], found.next)

    def stage_add(self, tx: Tx, campaign: Campaign) -> None:
        tx.add(absent(("campaign", campaign.campaign_id), replace(campaign, raised=0, donors=0)))

    def seed(self, campaign: Campaign) -> bool:
        return self._t.write_if(absent(("campaign", campaign.campaign_id), replace(campaign, raised=0, donors=0)))

    def stage_active(self, tx: Tx, campaign_id: str, active: bool) -> None:
        tx.add(Change(("campaign", campaign_id), lambda c: replace(c, active=active), lambda c: c is not None,
                      lambda: NotFound("no such campaign")))

    def totals(self, target: str) -> tuple[int, int]:
        found: tuple[int, int] = self._t.get(("campaign-total", target)) or (0, 0)
        return found

    def stage_gift(self, tx: Tx, target: str, raised: int, donors: int) -> None:
        def add(current: tuple[int, int] | None) -> tuple[int, int]:
            r, d = current or (0, 0)
            return r + raised, d + donors

        tx.add(Change(("campaign-total", target), add))


class MemoryDonations:
    def __init__(self, table: MemoryTable, shards: int) -> None:
        self._t = table
        self._shards = shards

    def want_year(self, batch: Batch, user_id: str, year: str) -> Slot[DonationYear]:
        slot = batch.slot(DonationYear(user_id, year))
        batch.want(("donation-year", f"{user_id}#{year}"), slot.fill)
        return slot

    def want_gave(self, batch: Batch, user_id: str, target: str) -> Slot[bool]:
        slot = batch.slot(False)
        batch.want(("donor", f"{user_id}#{target}"), lambda _: slot.fill(True))
        return slot

    def stage(self, tx: Tx, donation: Donation) -> None:
        d = donation
        tx.add(absent(("donation", f"{d.user_id}#{d.created_at}#{d.donation_id}"), d))

    def stage_year(self, tx: Tx, year: DonationYear, read_version: int) -> None:
        tx.add(versioned(("donation-year", f"{year.user_id}#{year.year}"), year, read_version))

    def stage_donor(self, tx: Tx, user_id: str, target: str, at: str) -> None:
        tx.add(absent(("donor", f"{user_id}#{target}"), at))

    def of_year(self, user_id: str, year: str, limit: int, cursor: str | None) -> Page[Donation]:
        rows = [(k[1], d) for k, d in self._t.scan("donation") if d.user_id == user_id and d.created_at[:4] == year]
        return page(rows, cursor, limit, f"donations:{user_id}")

    def years(self, user_ids: list[str], year: str) -> dict[str, DonationYear]:
        found = {u: self._t.get(("donation-year", f"{u}#{year}")) for u in user_ids}
        return {u: y for u, y in found.items() if y is not None}

    def want_auto(self, batch: Batch, user_id: str) -> Slot[AutoDonation | None]:
        slot: Slot[AutoDonation | None] = batch.slot(None)
        batch.want(("auto-donation", user_id), slot.fill)
        return slot

    def put_auto(self, user_id: str, setting: AutoDonation | None) -> None:
        self._t.write(put(("auto-donation", user_id), setting))

    def autos_in_shard(self, shard: int) -> dict[str, AutoDonation]:
        return {k[1]: a for k, a in self._t.scan("auto-donation") if shard_of(k[1], self._shards) == shard}


class MemoryTaxIds:
    """A registration is (encrypted, masked, at, fingerprint) under ("tax-id", user); a claim is the holder
    under ("tax-id-claim", fingerprint), written and released in the registration's transaction."""

    shards = TAX_ID_SHARDS

    def __init__(self, table: MemoryTable) -> None:
        self._t = table

    def want(self, batch: Batch, user_id: str) -> Slot[TaxIdRegistration | None]:
        slot: Slot[TaxIdRegistration | None] = batch.slot(None)
        batch.want(("tax-id", user_id), lambda v: slot.fill(_registration(user_id, v)))
        return slot

    def get(self, user_id: str) -> TaxIdRegistration | None:
        found = self._t.get(("tax-id", user_id))
        return _registration(user_id, found) if found is not None else None

    def stage_put(
        self, tx: Tx, registration: TaxIdRegistration, encrypted: str, previous: TaxIdRegistration | None
    ) -> None:
        r = registration
        if r.fingerprint is None:
            raise ValueError("a registration is stored with its number's fingerprint")
        tx.add(Change(("tax-id-claim", r.fingerprint), lambda _: r.user_id, _free_or_held_by(r.user_id),
                      number_taken))
        released = previous.fingerprint if previous is not None else None
        if released is not None and released != r.fingerprint:
            tx.add(Change(("tax-id-claim", released), lambda _: None, _free_or_held_by(r.user_id)))
        tx.add(Change(("tax-id", r.user_id), lambda _: (encrypted, r.masked, r.updated_at, r.fingerprint),
                      _unchanged(previous)))

    def stage_delete(self, tx: Tx, previous: TaxIdRegistration) -> None:
        tx.add(Change(("tax-id", previous.user_id), lambda _: None, _unchanged(previous)))
        if previous.fingerprint is not None:
            tx.add(Change(("tax-id-claim", previous.fingerprint), lambda _: None,
                          _free_or_held_by(previous.user_id)))

    def in_shard(self, shard: int) -> list[tuple[str, str]]:
        return sorted((k[1], v[0]) for k, v in self._t.scan("tax-id") if shard_of(k[1], self.shards) == shard)


def _registration(user_id: str, stored: tuple[str, str, str, str | None]) -> TaxIdRegistration:
    _, masked, at, fingerprint = stored
    return TaxIdRegistration(user_id, masked, fingerprint, at)


def _free_or_held_by(user_id: str) -> Callable[[str | None], bool]:
    return lambda holder: holder is None or holder == user_id


def _unchanged(previous: TaxIdRegistration | None) -> Callable[[Any], bool]:
    """The registration is still the one read: none, or one with the same fingerprint (as in DynamoDB)."""
    if previous is None:
        return lambda current: current is None
    return lambda current: current is not None and current[3] == previous.fingerprint

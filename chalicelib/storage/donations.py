"""서로도움: campaigns and their total slices, residents' donations, year summaries, donor marks and
automatic donations:

| item           | pk                               | sk                          | gsi1 (pk / sk)               |
|----------------|----------------------------------|-----------------------------|------------------------------|
| campaign       | `CAMP#<id>`                      | `CAMPAIGN`                  | `CAMPAIGNS` / `<time>#<id>`  |
| campaign-total | `CAMPTOT#<id or general>#<k>`    | `TOTAL`                     |                              |
| donation       | `U#<user>`                       | `D#<time>#<id>`             |                              |
| donation-year  | `U#<user>`                       | `DY#<YYYY>`                 |                              |
| donor          | `U#<user>`                       | `DONOR#<campaign or general>` |                            |
| auto-donation  | `U#<user>`                       | `AUTODON`                   | `AUTODON#<nnn>` / `<user>`   |

A campaign's totals are kept in slices with partition keys of their own, so a popular campaign's gifts
spread over eight partitions. Automatic donations are indexed by settlement shard: a shard worker reads
its residents' instructions in one query.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import BooleanAttribute, MapAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.domain.campaign import Campaign
from chalicelib.domain.donations import CAMPAIGN_TOTAL_SLICES, AutoDonation, Donation, DonationYear
from chalicelib.domain.errors import NotFound
from chalicelib.domain.ports.unit import Batch, Key, Page, Slot, Tx
from chalicelib.domain.shards import shard_of
from chalicelib.storage.table import PAGE_KEYS, TABLE_KEYS, Put, Table, Update, int_map, version_condition

CAMPAIGNS_GSI = "CAMPAIGNS"


@dataclass(frozen=True)
class Items:
    CampaignItem: Any
    CampaignTotalItem: Any
    DonationItem: Any
    DonationYearItem: Any
    DonorItem: Any
    AutoDonationItem: Any


def define(Item: Any) -> Items:
    class CampaignItem(Item, discriminator="campaign"):  # type: ignore[call-arg]
        campaign_id = UnicodeAttribute()
        title = UnicodeAttribute()
        category = UnicodeAttribute()
        target = NumberAttribute()
        active = BooleanAttribute(default=True)
        created_at = UnicodeAttribute()

    class CampaignTotalItem(Item, discriminator="campaign-total"):  # type: ignore[call-arg]
        raised = NumberAttribute(default=0)
        donors = NumberAttribute(default=0)

    class DonationItem(Item, discriminator="donation"):  # type: ignore[call-arg]
        donation_id = UnicodeAttribute()
        user_id = UnicodeAttribute()
        amount = NumberAttribute()
        campaign_id = UnicodeAttribute(null=True)
        category = UnicodeAttribute()
        kind = UnicodeAttribute()
        created_at = UnicodeAttribute()
        month = UnicodeAttribute(null=True)

    class DonationYearItem(Item, discriminator="donation-year"):  # type: ignore[call-arg]
        user_id = UnicodeAttribute()
        year = UnicodeAttribute()
        total = NumberAttribute(default=0)
        gifts = NumberAttribute(default=0)
        by_campaign = MapAttribute[str, Any](default=dict)
        by_category = MapAttribute[str, Any](default=dict)
        version = NumberAttribute()

    class DonorItem(Item, discriminator="donor"):  # type: ignore[call-arg]
        first_at = UnicodeAttribute()

    class AutoDonationItem(Item, discriminator="auto-donation"):  # type: ignore[call-arg]
        user_id = UnicodeAttribute()
        mode = UnicodeAttribute()
        amount = NumberAttribute(null=True)
        campaign_id = UnicodeAttribute(null=True)
        updated_at = UnicodeAttribute()

    return Items(CampaignItem, CampaignTotalItem, DonationItem, DonationYearItem, DonorItem, AutoDonationItem)


def campaign_key(campaign_id: str) -> Key:
    return f"CAMP#{campaign_id}", "CAMPAIGN"


def total_key(target: str, k: int) -> Key:
    return f"CAMPTOT#{target}#{k}", "TOTAL"


def total_keys(target: str) -> list[Key]:
    return [total_key(target, k) for k in range(CAMPAIGN_TOTAL_SLICES)]


def year_key(user_id: str, year: str) -> Key:
    return f"U#{user_id}", f"DY#{year}"


def donor_key(user_id: str, target: str) -> Key:
    return f"U#{user_id}", f"DONOR#{target}"


def auto_key(user_id: str) -> Key:
    return f"U#{user_id}", "AUTODON"


def auto_shard_pk(shard: int) -> str:
    return f"AUTODON#{shard:03d}"


def to_campaign(it: Any, totals: Iterable[Any] = ()) -> Campaign:
    """A campaign with the sum of the total slices given (none: zeros)."""
    rows = list(totals)
    return Campaign(
        campaign_id=it.campaign_id,
        title=it.title,
        category=it.category,
        target=int(it.target),
        raised=sum(int(t.raised or 0) for t in rows),
        donors=sum(int(t.donors or 0) for t in rows),
        active=bool(it.active),
        created_at=it.created_at,
    )


def to_year(it: Any) -> DonationYear:
    return DonationYear(
        user_id=it.user_id,
        year=it.year,
        total=int(it.total),
        count=int(it.gifts),
        by_campaign=int_map(it.by_campaign),
        by_category=int_map(it.by_category),
        version=int(it.version),
    )


def to_donation(it: Any) -> Donation:
    return Donation(
        donation_id=it.donation_id, user_id=it.user_id, amount=int(it.amount), campaign_id=it.campaign_id,
        category=it.category, kind=it.kind, created_at=it.created_at, month=it.month,
    )  # fmt: skip


def to_auto(it: Any) -> AutoDonation:
    return AutoDonation(
        mode=it.mode, amount=int(it.amount) if it.amount is not None else None, campaign_id=it.campaign_id,
        updated_at=it.updated_at,
    )  # fmt: skip


class DynamoCampaigns:
    def __init__(self, table: Table) -> None:
        self._table = table
        self.m = table.define(define)

    def _item(self, c: Campaign) -> Any:
        return self.m.CampaignItem(
            *campaign_key(c.campaign_id), gsi1pk=CAMPAIGNS_GSI, gsi1sk=f"{c.created_at}#{c.campaign_id}",
            campaign_id=c.campaign_id, title=c.title, category=c.category, target=c.target, active=c.active,
            created_at=c.created_at,
        )  # fmt: skip

    def want(self, batch: Batch, campaign_id: str) -> Slot[Campaign | None]:
        slot: Slot[Campaign | None] = batch.slot(None)
        batch.want(campaign_key(campaign_id), lambda it: slot.fill(to_campaign(it)))
        return slot

    def get(self, campaign_id: str) -> Campaign | None:
        """One BatchGetItem: the campaign and its total slices."""
        keys = [campaign_key(campaign_id), *total_keys(campaign_id)]
        items = self._table.guard(lambda: list(self._table.Item.batch_get(keys)))
        head = [it for it in items if isinstance(it, self.m.CampaignItem)]
        totals = [it for it in items if isinstance(it, self.m.CampaignTotalItem)]
        return to_campaign(head[0], totals) if head else None

    def page(self, limit: int, cursor: str | None) -> Page[Campaign]:
        """One Query for the campaigns, one BatchGetItem for their total slices."""
        heads = self._table.page(
            lambda start, n: self._table.Item.gsi1.query(CAMPAIGNS_GSI, limit=n, last_evaluated_key=start),
            lambda it: it, cursor, limit, PAGE_KEYS, CAMPAIGNS_GSI,
        )  # fmt: skip
        keys = [key for it in heads.items for key in total_keys(it.campaign_id)]
        by_campaign: dict[str, list[Any]] = {}
        if keys:
            for t in self._table.guard(lambda: list(self.m.CampaignTotalItem.batch_get(keys))):
                by_campaign.setdefault(t.pk.split("#")[1], []).append(t)
        return Page([to_campaign(it, by_campaign.get(it.campaign_id, [])) for it in heads.items], heads.next)

    def stage_add(self, tx: Tx, campaign: Campaign) -> None:
        tx.add(Put(self._item(campaign), self._table.Item.pk.does_not_exist()))

    def seed(self, campaign: Campaign) -> bool:
        return self._table.save_if(self._item(campaign), self._table.Item.pk.does_not_exist())

    def stage_active(self, tx: Tx, campaign_id: str, active: bool) -> None:
        C = self.m.CampaignItem
        tx.add(Update(C(*campaign_key(campaign_id)), [C.active.set(active)], C.pk.exists(), _no_campaign))

    def totals(self, target: str) -> tuple[int, int]:
        items = self._table.guard(lambda: list(self.m.CampaignTotalItem.batch_get(total_keys(target))))
        return sum(int(t.raised or 0) for t in items), sum(int(t.donors or 0) for t in items)

    def stage_gift(self, tx: Tx, target: str, raised: int, donors: int) -> None:
        T = self.m.CampaignTotalItem
        slot = random.randrange(CAMPAIGN_TOTAL_SLICES)
        tx.add(Update(T(*total_key(target, slot)), [T.raised.add(raised), T.donors.add(donors), T.entry.set(T)]))


class DynamoDonations:
    def __init__(self, table: Table, shards: int) -> None:
        self._table = table
        self.m = table.define(define)
        self._shards = shards

    def want_year(self, batch: Batch, user_id: str, year: str) -> Slot[DonationYear]:
        slot = batch.slot(DonationYear(user_id, year))
        batch.want(year_key(user_id, year), lambda it: slot.fill(to_year(it)))
        return slot

    def want_gave(self, batch: Batch, user_id: str, target: str) -> Slot[bool]:
        slot = batch.slot(False)
        batch.want(donor_key(user_id, target), lambda it: slot.fill(True))
        return slot

    def stage(self, tx: Tx, donation: Donation) -> None:
        d = donation
        item = self.m.DonationItem(
            f"U#{d.user_id}", f"D#{d.created_at}#{d.donation_id}", donation_id=d.donation_id, user_id=d.user_id,
            amount=d.amount, campaign_id=d.campaign_id, category=d.category, kind=d.kind, created_at=d.created_at,
            month=d.month,
        )  # fmt: skip
        tx.add(Put(item, self._table.Item.pk.does_not_exist()))

    def stage_year(self, tx: Tx, year: DonationYear, read_version: int) -> None:
        y = year
        item = self.m.DonationYearItem(
            *year_key(y.user_id, y.year), user_id=y.user_id, year=y.year, total=y.total, gifts=y.count,
            by_campaign=dict(y.by_campaign), by_category=dict(y.by_category), version=y.version,
        )  # fmt: skip
        tx.add(Put(item, version_condition(self._table, self.m.DonationYearItem, read_version)))

    def stage_donor(self, tx: Tx, user_id: str, target: str, at: str) -> None:
        tx.add(Put(self.m.DonorItem(*donor_key(user_id, target), first_at=at), self._table.Item.pk.does_not_exist()))

    def of_year(self, user_id: str, year: str, limit: int, cursor: str | None) -> Page[Donation]:
        return self._table.page(
            lambda start, n: self._table.Item.query(f"U#{user_id}", self._table.Item.sk.startswith(f"D#{year}-"),
                                                 limit=n, last_evaluated_key=start),
            to_donation, cursor, limit, TABLE_KEYS, f"U#{user_id}",
        )  # fmt: skip

    def years(self, user_ids: list[str], year: str) -> dict[str, DonationYear]:
        if not user_ids:
            return {}
        keys = [year_key(u, year) for u in user_ids]
        items = self._table.guard(lambda: list(self.m.DonationYearItem.batch_get(keys, consistent_read=True)))
        return {it.user_id: to_year(it) for it in items}

    def want_auto(self, batch: Batch, user_id: str) -> Slot[AutoDonation | None]:
        slot: Slot[AutoDonation | None] = batch.slot(None)
        batch.want(auto_key(user_id), lambda it: slot.fill(to_auto(it)))
        return slot

    def put_auto(self, user_id: str, setting: AutoDonation | None) -> None:
        A = self.m.AutoDonationItem
        if setting is None:
            self._table.guard(lambda: A(*auto_key(user_id)).delete())
            return
        item = A(
            *auto_key(user_id), gsi1pk=auto_shard_pk(shard_of(user_id, self._shards)), gsi1sk=user_id,
            user_id=user_id, mode=setting.mode, amount=setting.amount, campaign_id=setting.campaign_id,
            updated_at=setting.updated_at,
        )  # fmt: skip
        self._table.guard(item.save)

    def autos_in_shard(self, shard: int) -> dict[str, AutoDonation]:
        items = self._table.guard(lambda: list(self._table.Item.gsi1.query(auto_shard_pk(shard))))
        return {it.user_id: to_auto(it) for it in items if isinstance(it, self.m.AutoDonationItem)}


def _no_campaign() -> Exception:
    return NotFound("no such campaign")

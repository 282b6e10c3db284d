"""PynamoDB models of the single main table, defined per table name when first needed (never at import).

One table holds every item type, told apart by the `entry` discriminator, so a payment's reads are one
BatchGetItem and its writes one TransactWriteItems. Keys:

| entry     | pk                  | sk                      | gsi1 (pk / sk)                   | gsi2 (pk / sk)            |
|-----------|---------------------|-------------------------|----------------------------------|---------------------------|
| wallet    | U#<user>            | WALLET                  |                                  | WSHARD#<nnn> / <user>     |
| month     | U#<user>            | M#<YYYY-MM>             |                                  |                           |
| ledger    | U#<user>            | L#<time>#<id>           |                                  |                           |
| payment   | P#<id>              | PAYMENT                 | U#<user> / <month>#<time>#<id>   | MER#<id> / <month>#<time> |
| merchant  | MER#<id>            | MERCHANT                | MERCHANTS / <time>#<id>          |                           |
| bizno     | BIZ#<number>        | BIZ                     |                                  |                           |
| policy    | POLICY              | <YYYY-MM>               |                                  |                           |
| campaign  | CAMP#<id>           | CAMPAIGN                | CAMPAIGNS / <time>#<id>          |                           |
| camp-tot… | CAMPTOT#<id or general>#<k> | TOTAL          |                                  |                           |
| donation  | U#<user>            | D#<time>#<id>           |                                  |                           |
| don-year  | U#<user>            | DY#<YYYY>               |                                  |                           |
| donor     | U#<user>            | DONOR#<campaign or general> |                              |                           |
| tax-id    | U#<user>            | TAXID                   | TAXIDS#<nn> / <user>             |                           |
| idem      | I#<caller>#<key>    | IDEM                    |                                  |                           |
| menu      | MER#<id>            | MENU                    |                                  |                           |
| product   | PROD#<mall>#<id>    | PRODUCT                 | MALL#<mall> / <id>               |                           |
| order     | ORD#<id>            | ORDER                   | UO#<user> / <time>#<id>          | MO#<merchant> / <time>#<id>|
| purge     | PURGE#<YYYY-MM-DD>  | <order id>              |                                  |                           |
| budget    | BUDGET#<month>#<program>#<k> | SLICE          |                                  |                           |
| settle…   | SETTLE#<YYYY-MM>    | RUN, SHARD#<nnn>, MER#<id> |                               |                           |
| post      | NEWS#<post id>      | POST                    | see below                        | see below                 |
| notice    | NOTICE#<post id>    | NOTICE                  |                                  | NOTICES / <key>#<post id> |

A post is in at most one gsi1 list, by status: published `NEWS / <rank>#<published>#<id>` (rank 2
disaster, 1 pinned, 0 other; read newest first), scheduled `NEWS-SCHEDULED / <publish_at>#<id>`;
retired posts in none. A published post with an expiry is also in gsi2 `NEWS-EXPIRY / <expires_at>#<id>`.
Times in news keys are UTC `YYYY-MM-DDTHH:MM:SSZ`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    DiscriminatorAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model


@dataclass(frozen=True)
class Models:
    """The model classes bound to one table."""

    Item: Any
    WalletItem: Any
    MonthItem: Any
    LedgerItem: Any
    PaymentItem: Any
    MerchantItem: Any
    BizItem: Any
    PolicyItem: Any
    CampaignItem: Any
    IdemItem: Any
    RunItem: Any
    ShardItem: Any
    MerchantLineItem: Any
    BudgetItem: Any
    MenuItemsItem: Any
    ProductItem: Any
    OrderItem: Any
    PurgeItem: Any
    PostItem: Any
    NoticeItem: Any
    CampaignTotalItem: Any
    DonationItem: Any
    DonationYearItem: Any
    DonorItem: Any
    TaxIdItem: Any


def define_models(table_name: str, region: str) -> Models:
    """Build the model classes for `table_name` (the endpoint comes from botocore's environment)."""

    class Gsi1(GlobalSecondaryIndex[Any]):
        class Meta:
            index_name = "gsi1"
            projection = AllProjection()

        gsi1pk = UnicodeAttribute(hash_key=True)
        gsi1sk = UnicodeAttribute(range_key=True)

    class Gsi2(GlobalSecondaryIndex[Any]):
        class Meta:
            index_name = "gsi2"
            projection = AllProjection()

        gsi2pk = UnicodeAttribute(hash_key=True)
        gsi2sk = UnicodeAttribute(range_key=True)

    class Item(Model):
        class Meta:
            pass

        pk = UnicodeAttribute(hash_key=True)
        sk = UnicodeAttribute(range_key=True)
        entry = DiscriminatorAttribute()
        gsi1pk = UnicodeAttribute(null=True)
        gsi1sk = UnicodeAttribute(null=True)
        gsi2pk = UnicodeAttribute(null=True)
        gsi2sk = UnicodeAttribute(null=True)
        gsi1 = Gsi1()
        gsi2 = Gsi2()

    Item.Meta.table_name = table_name  # type: ignore[attr-defined]
    Item.Meta.region = region  # type: ignore[attr-defined]

    class WalletItem(Item, discriminator="wallet"):  # type: ignore[call-arg]
        user_id = UnicodeAttribute()
        dong = UnicodeAttribute()
        charged_balance = NumberAttribute()
        cashback_balance = NumberAttribute()
        adjustment_due = NumberAttribute(default=0)
        version = NumberAttribute()
        created_at = UnicodeAttribute()
        terms_agreed_at = UnicodeAttribute()
        auto_mode = UnicodeAttribute(null=True)
        auto_amount = NumberAttribute(null=True)
        auto_campaign = UnicodeAttribute(null=True)
        auto_updated_at = UnicodeAttribute(null=True)

    class MonthItem(Item, discriminator="month"):  # type: ignore[call-arg]
        user_id = UnicodeAttribute()
        month = UnicodeAttribute()
        eligible_spend = NumberAttribute(default=0)
        charged = NumberAttribute(default=0)
        spend = MapAttribute[str, Any](default=dict)
        accrued = MapAttribute[str, Any](default=dict)
        settled = BooleanAttribute(default=False)
        version = NumberAttribute()
        credited = NumberAttribute(default=0)
        settled_accrued = MapAttribute[str, Any](default=dict)
        adjustment_applied = NumberAttribute(default=0)
        auto_donated = NumberAttribute(default=0)

    class LedgerItem(Item, discriminator="ledger"):  # type: ignore[call-arg]
        user_id = UnicodeAttribute()
        movement = UnicodeAttribute()
        ref = UnicodeAttribute()
        d_charged = NumberAttribute()
        d_cashback = NumberAttribute()
        created_at = UnicodeAttribute()
        merchant_id = UnicodeAttribute(null=True)
        gross = NumberAttribute(default=0)
        discount = NumberAttribute(default=0)

    class PaymentItem(Item, discriminator="payment"):  # type: ignore[call-arg]
        payment_id = UnicodeAttribute()
        user_id = UnicodeAttribute()
        merchant_id = UnicodeAttribute()
        month = UnicodeAttribute()
        channel = UnicodeAttribute()
        list_amount = NumberAttribute()
        discount = NumberAttribute()
        paid = NumberAttribute()
        from_cashback = NumberAttribute()
        from_charged = NumberAttribute()
        programs = ListAttribute[str](of=UnicodeAttribute)
        cashback = MapAttribute[str, Any](default=dict)
        refunded = NumberAttribute(default=0)
        refunded_charged = NumberAttribute(default=0)
        refunded_cashback = NumberAttribute(default=0)
        status = UnicodeAttribute()
        created_at = UnicodeAttribute()
        order_id = UnicodeAttribute(null=True)
        version = NumberAttribute()

    class MerchantItem(Item, discriminator="merchant"):  # type: ignore[call-arg]
        merchant_id = UnicodeAttribute()
        name = UnicodeAttribute()
        business_number = UnicodeAttribute()
        dong = UnicodeAttribute()
        category = UnicodeAttribute()
        benefit_plus = BooleanAttribute()
        discount_rate = NumberAttribute()
        delivery_fee = NumberAttribute(null=True)
        delivery_min_order = NumberAttribute(null=True)
        delivery_dongs = ListAttribute[str](of=UnicodeAttribute, null=True)
        malls = ListAttribute[str](of=UnicodeAttribute, default=list)
        food_complex = BooleanAttribute(default=False)
        created_at = UnicodeAttribute()

    class BizItem(Item, discriminator="bizno"):  # type: ignore[call-arg]
        merchant_id = UnicodeAttribute()

    class PolicyItem(Item, discriminator="policy"):  # type: ignore[call-arg]
        document = UnicodeAttribute()
        updated_at = UnicodeAttribute()

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

    class TaxIdItem(Item, discriminator="tax-id"):  # type: ignore[call-arg]
        user_id = UnicodeAttribute()
        rrn_encrypted = UnicodeAttribute()
        rrn_masked = UnicodeAttribute()
        consent_nts_at = UnicodeAttribute()
        updated_at = UnicodeAttribute()

    class RunItem(Item, discriminator="settlement-run"):  # type: ignore[call-arg]
        month = UnicodeAttribute()
        run_id = UnicodeAttribute()
        status = UnicodeAttribute()
        shards_total = NumberAttribute()
        shards_done = NumberAttribute(default=0)
        started_at = UnicodeAttribute()
        finished_at = UnicodeAttribute(null=True)
        totals = UnicodeAttribute(null=True)
        reports = ListAttribute[str](of=UnicodeAttribute, default=list)

    class ShardItem(Item, discriminator="settlement-shard"):  # type: ignore[call-arg]
        run_id = UnicodeAttribute()
        totals = UnicodeAttribute()

    class MerchantLineItem(Item, discriminator="settlement-merchant"):  # type: ignore[call-arg]
        gross = NumberAttribute()
        discounts = NumberAttribute()
        refunds = NumberAttribute()

    class BudgetItem(Item, discriminator="budget"):  # type: ignore[call-arg]
        cap = NumberAttribute(null=True)
        used = NumberAttribute(default=0)

    class MenuItemsItem(Item, discriminator="menu"):  # type: ignore[call-arg]
        items = UnicodeAttribute()
        updated_at = UnicodeAttribute()

    class ProductItem(Item, discriminator="product"):  # type: ignore[call-arg]
        mall = UnicodeAttribute()
        product_id = UnicodeAttribute()
        seller_id = UnicodeAttribute()
        name = UnicodeAttribute()
        price = NumberAttribute()
        stock = NumberAttribute()
        shipping_fee = NumberAttribute()
        discount_rate = NumberAttribute(default=0)
        version = NumberAttribute(default=1)

    class OrderItem(Item, discriminator="order"):  # type: ignore[call-arg]
        document = UnicodeAttribute()
        status = UnicodeAttribute()
        version = NumberAttribute()

    class PurgeItem(Item, discriminator="purge"):  # type: ignore[call-arg]
        order_id = UnicodeAttribute()

    class PostItem(Item, discriminator="post"):  # type: ignore[call-arg]
        post_id = UnicodeAttribute()
        key = UnicodeAttribute()
        title = UnicodeAttribute()
        category = UnicodeAttribute()
        district_wide = BooleanAttribute()
        dongs = UnicodeSetAttribute(null=True)
        body = UnicodeAttribute()
        body_html = UnicodeAttribute()
        status = UnicodeAttribute()
        pinned = BooleanAttribute(default=False)
        publish_at = UnicodeAttribute(null=True)
        expires_at = UnicodeAttribute(null=True)
        published_at = UnicodeAttribute(null=True)
        alert_fingerprint = UnicodeAttribute()
        alerted = UnicodeAttribute(null=True)
        alert_lease_until = UnicodeAttribute(null=True)
        revision = NumberAttribute()
        created_at = UnicodeAttribute()
        updated_at = UnicodeAttribute()
        version = NumberAttribute()

    class NoticeItem(Item, discriminator="notice"):  # type: ignore[call-arg]
        key = UnicodeAttribute()
        post_id = UnicodeAttribute()
        content_hash = UnicodeAttribute()
        rejected = BooleanAttribute(default=False)
        errors = UnicodeAttribute(null=True)
        deleted = BooleanAttribute(default=False)
        updated_at = UnicodeAttribute()
        version = NumberAttribute()

    class IdemItem(Item, discriminator="idem"):  # type: ignore[call-arg]
        request_hash = UnicodeAttribute()
        status_code = NumberAttribute()
        body = UnicodeAttribute()
        expires_at = NumberAttribute()

    # One table connection (and so one botocore client) for every item type, not one per subclass.
    shared = Item._get_connection()
    for cls in (WalletItem, MonthItem, LedgerItem, PaymentItem, MerchantItem, BizItem, PolicyItem, CampaignItem, IdemItem,
                RunItem, ShardItem, MerchantLineItem, BudgetItem, MenuItemsItem, ProductItem, OrderItem, PurgeItem,
                PostItem, NoticeItem, CampaignTotalItem, DonationItem, DonationYearItem, DonorItem, TaxIdItem):
        cls._connection = shared
    return Models(
        Item=Item,
        WalletItem=WalletItem,
        MonthItem=MonthItem,
        LedgerItem=LedgerItem,
        PaymentItem=PaymentItem,
        MerchantItem=MerchantItem,
        BizItem=BizItem,
        PolicyItem=PolicyItem,
        CampaignItem=CampaignItem,
        IdemItem=IdemItem,
        RunItem=RunItem,
        ShardItem=ShardItem,
        MerchantLineItem=MerchantLineItem,
        BudgetItem=BudgetItem,
        MenuItemsItem=MenuItemsItem,
        ProductItem=ProductItem,
        OrderItem=OrderItem,
        PurgeItem=PurgeItem,
        PostItem=PostItem,
        NoticeItem=NoticeItem,
        CampaignTotalItem=CampaignTotalItem,
        DonationItem=DonationItem,
        DonationYearItem=DonationYearItem,
        DonorItem=DonorItem,
        TaxIdItem=TaxIdItem,
    )

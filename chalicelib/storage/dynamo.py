"""The DynamoDB repository: reads return domain objects, writes go as one transaction per unit of work,
and storage errors come back as domain errors (a lost race is `Contention`, which the service retries).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.domain.budget import BUDGET_SHARDS
from chalicelib.domain.campaign import Campaign
from chalicelib.domain.donations import CAMPAIGN_TOTAL_SLICES, AutoDonation, Donation, DonationYear
from chalicelib.domain.errors import Conflict, Contention, NotFound, StorageUnavailable, ValidationFailed
from chalicelib.domain.idempotency import StoredResponse
from chalicelib.domain.ledger import Movement
from chalicelib.domain.merchant import Delivery, Merchant
from chalicelib.domain.orders import Line, MenuItem, Order, Product
from chalicelib.domain.payment import Payment
from chalicelib.domain.policy import Policy, policy_from_dict, policy_to_dict
from chalicelib.domain.settlement import DEFAULT_SHARDS, MerchantLine, Totals, shard_of
from chalicelib.domain.wallet import ResidentMonth, Wallet
from chalicelib.storage.models import Models, define_models

WALLET_SK = "WALLET"
PAYMENT_SK = "PAYMENT"
MERCHANT_SK = "MERCHANT"
IDEM_SK = "IDEM"
MERCHANTS_GSI = "MERCHANTS"
CAMPAIGNS_GSI = "CAMPAIGNS"


class IdempotencyRace(Exception):
    """Another request with the same key committed first: re-read and replay it."""


def _user_pk(user_id: str) -> str:
    return f"U#{user_id}"


def _shard_pk(shard: int) -> str:
    return f"WSHARD#{shard:03d}"


def _budget_key(month: str, program_id: str, k: int) -> tuple[str, str]:
    """One slice of a program's monthly budget. The slice is in the partition key, so the slices of a
    busy program sit in eight partitions (8 × 1,000 write units/s), not in one item collection."""
    return f"BUDGET#{month}#{program_id}#{k}", "SLICE"


def _product_pk(mall: str, product_id: str) -> str:
    return f"PROD#{mall}#{product_id}"


def _settle_pk(month: str) -> str:
    return f"SETTLE#{month}"


def _month_sk(month: str) -> str:
    return f"M#{month}"


def _camp_pk(target: str) -> str:
    return f"CAMP#{target}"


def _camp_total_key(target: str, k: int) -> tuple[str, str]:
    """One slice of a campaign's (or the general fund's) totals, in a partition of its own like the
    budget slices, so a popular campaign's donations spread over eight partitions."""
    return f"CAMPTOT#{target}#{k}", "TOTAL"


def _camp_total_keys(target: str) -> list[tuple[str, str]]:
    return [_camp_total_key(target, k) for k in range(CAMPAIGN_TOTAL_SLICES)]


TAX_ID_SHARDS = 16
"""The sparse index of registered tax ids is spread over this many keys (no hot GSI partition)."""


@dataclass(frozen=True)
class Page:
    """One page of a list and the opaque cursor of the next."""

    items: list[Any]
    next: str | None


@dataclass(frozen=True)
class Loaded:
    """What one batched read found; absent items are None (a resident's month defaults to empty)."""

    wallet: Wallet | None = None
    month: ResidentMonth | None = None
    merchant: Merchant | None = None
    payment: Payment | None = None
    idem: StoredResponse | None = None
    budget_used: dict[str, dict[int, int]] = field(default_factory=dict)
    """Per budgeted program: `used` of each budget slice that exists (absent slices are unused)."""
    menu: dict[str, MenuItem] | None = None
    products: dict[str, Product] = field(default_factory=dict)
    order: Order | None = None
    campaign: Campaign | None = None
    """Without its totals (a donation only needs to know it exists and is open)."""
    gave_to_target: bool = False
    """Whether the resident has donated to the asked-for campaign (or the general fund) before."""
    donation_year: DonationYear | None = None


@dataclass
class Writes:
    """A unit of work written as one TransactWriteItems: all of it happens, or none of it.

    Versioned items carry the version they were read at; the write is conditional on it (optimistic
    concurrency), and on absence for new items (version 0 before the write).
    """

    wallets: list[tuple[Wallet, int]] = field(default_factory=list)
    months: list[tuple[ResidentMonth, int]] = field(default_factory=list)
    payments: list[tuple[Payment, int]] = field(default_factory=list)
    movements: list[Movement] = field(default_factory=list)
    idem: StoredResponse | None = None
    budget: list[BudgetChange] = field(default_factory=list)
    orders: list[tuple[Order, int]] = field(default_factory=list)
    stock: list[tuple[str, str, int]] = field(default_factory=list)
    """(mall, product_id, delta): a negative delta takes stock and is conditioned on enough being left."""
    purge_markers: list[tuple[str, str]] = field(default_factory=list)
    donations: list[Donation] = field(default_factory=list)
    donation_years: list[tuple[DonationYear, int]] = field(default_factory=list)
    donor_markers: list[tuple[str, str, str]] = field(default_factory=list)
    """(user, campaign id or 'general', time): the resident's first gift to that target."""
    campaign_adds: list[tuple[str, int, int, int]] = field(default_factory=list)
    """(campaign id or 'general', slice, raised delta, donors delta)."""


@dataclass(frozen=True)
class BudgetChange:
    """Add `delta` to one slice of a program's monthly budget, keeping 0 ≤ used ≤ cap."""

    month: str
    program_id: str
    shard: int
    cap: int
    delta: int


class DynamoStore:
    """All persistence of the app on the single main table."""

    def __init__(
        self, table_name: str, region: str, idempotency_ttl_seconds: int = 86_400, shards: int = DEFAULT_SHARDS
    ) -> None:
        self.m: Models = define_models(table_name, region)
        self._idem_ttl = idempotency_ttl_seconds
        self.shards = shards

    # ---- conversions -------------------------------------------------------------------------

    def _wallet(self, it: Any) -> Wallet:
        auto = None
        if it.auto_mode:
            auto = AutoDonation(
                mode=it.auto_mode,
                amount=int(it.auto_amount) if it.auto_amount is not None else None,
                campaign_id=it.auto_campaign,
                updated_at=it.auto_updated_at or "",
            )
        return Wallet(
            user_id=it.user_id,
            dong=it.dong,
            charged_balance=int(it.charged_balance),
            cashback_balance=int(it.cashback_balance),
            adjustment_due=int(it.adjustment_due or 0),
            version=int(it.version),
            created_at=it.created_at,
            auto_donation=auto,
        )

    def _wallet_item(self, w: Wallet) -> Any:
        auto = w.auto_donation
        return self.m.WalletItem(
            _user_pk(w.user_id),
            WALLET_SK,
            gsi2pk=_shard_pk(shard_of(w.user_id, self.shards)),
            gsi2sk=w.user_id,
            user_id=w.user_id,
            dong=w.dong,
            charged_balance=w.charged_balance,
            cashback_balance=w.cashback_balance,
            adjustment_due=w.adjustment_due,
            version=w.version,
            created_at=w.created_at,
            terms_agreed_at=w.created_at,
            auto_mode=auto.mode if auto else None,
            auto_amount=auto.amount if auto else None,
            auto_campaign=auto.campaign_id if auto else None,
            auto_updated_at=auto.updated_at if auto else None,
        )

    @staticmethod
    def _int_map(raw: Any) -> dict[str, int]:
        data = raw.as_dict() if hasattr(raw, "as_dict") else dict(raw or {})
        return {str(k): int(v) for k, v in data.items()}

    def _month(self, it: Any) -> ResidentMonth:
        return ResidentMonth(
            user_id=it.user_id,
            month=it.month,
            eligible_spend=int(it.eligible_spend),
            charged=int(it.charged),
            spend=self._int_map(it.spend),
            accrued=self._int_map(it.accrued),
            settled=bool(it.settled),
            version=int(it.version),
            credited=int(it.credited or 0),
            settled_accrued=self._int_map(it.settled_accrued),
            adjustment_applied=int(it.adjustment_applied or 0),
            auto_donated=int(it.auto_donated or 0),
        )

    def _month_item(self, r: ResidentMonth) -> Any:
        return self.m.MonthItem(
            _user_pk(r.user_id),
            _month_sk(r.month),
            user_id=r.user_id,
            month=r.month,
            eligible_spend=r.eligible_spend,
            charged=r.charged,
            spend=dict(r.spend),
            accrued=dict(r.accrued),
            settled=r.settled,
            version=r.version,
            credited=r.credited,
            settled_accrued=dict(r.settled_accrued),
            adjustment_applied=r.adjustment_applied,
            auto_donated=r.auto_donated,
        )

    def _payment(self, it: Any) -> Payment:
        return Payment(
            payment_id=it.payment_id,
            user_id=it.user_id,
            merchant_id=it.merchant_id,
            month=it.month,
            channel=it.channel,
            list_amount=int(it.list_amount),
            discount=int(it.discount),
            paid=int(it.paid),
            from_cashback=int(it.from_cashback),
            from_charged=int(it.from_charged),
            programs=tuple(it.programs or ()),
            cashback=self._int_map(it.cashback),
            refunded=int(it.refunded),
            refunded_charged=int(it.refunded_charged),
            refunded_cashback=int(it.refunded_cashback),
            status=it.status,
            created_at=it.created_at,
            order_id=it.order_id,
            version=int(it.version),
        )

    def _payment_item(self, p: Payment) -> Any:
        sort = f"{p.month}#{p.created_at}#{p.payment_id}"
        return self.m.PaymentItem(
            f"P#{p.payment_id}",
            PAYMENT_SK,
            gsi1pk=_user_pk(p.user_id),
            gsi1sk=sort,
            gsi2pk=f"MER#{p.merchant_id}",
            gsi2sk=sort,
            payment_id=p.payment_id,
            user_id=p.user_id,
            merchant_id=p.merchant_id,
            month=p.month,
            channel=p.channel,
            list_amount=p.list_amount,
            discount=p.discount,
            paid=p.paid,
            from_cashback=p.from_cashback,
            from_charged=p.from_charged,
            programs=list(p.programs),
            cashback=dict(p.cashback),
            refunded=p.refunded,
            refunded_charged=p.refunded_charged,
            refunded_cashback=p.refunded_cashback,
            status=p.status,
            created_at=p.created_at,
            order_id=p.order_id,
            version=p.version,
        )

    def _merchant(self, it: Any) -> Merchant:
        delivery = None
        if it.delivery_fee is not None:
            delivery = Delivery(
                fee=int(it.delivery_fee),
                min_order=int(it.delivery_min_order or 0),
                dongs=tuple(it.delivery_dongs or ()),
            )
        return Merchant(
            merchant_id=it.merchant_id,
            name=it.name,
            business_number=it.business_number,
            dong=it.dong,
            category=it.category,
            benefit_plus=bool(it.benefit_plus),
            discount_rate=int(it.discount_rate),
            delivery=delivery,
            malls=tuple(it.malls or ()),
            food_complex=bool(it.food_complex),
            created_at=it.created_at,
        )

    def _campaign(self, it: Any, totals: Iterable[Any] = ()) -> Campaign:
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

    def _donation_year(self, it: Any) -> DonationYear:
        return DonationYear(
            user_id=it.user_id,
            year=it.year,
            total=int(it.total),
            count=int(it.gifts),
            by_campaign=self._int_map(it.by_campaign),
            by_category=self._int_map(it.by_category),
            version=int(it.version),
        )

    def _donation(self, it: Any) -> Donation:
        return Donation(
            donation_id=it.donation_id,
            user_id=it.user_id,
            amount=int(it.amount),
            campaign_id=it.campaign_id,
            category=it.category,
            kind=it.kind,
            created_at=it.created_at,
            month=it.month,
        )

    def _idem(self, it: Any) -> StoredResponse:
        return StoredResponse(
            record_id=it.pk[2:],
            request_hash=it.request_hash,
            status_code=int(it.status_code),
            body=it.body,
        )

    # ---- reads -------------------------------------------------------------------------------

    def load(
        self,
        *,
        user_id: str | None = None,
        month: str | None = None,
        merchant_id: str | None = None,
        payment_id: str | None = None,
        idem_id: str | None = None,
        budgets: tuple[str, list[str]] | None = None,
        menu_of: str | None = None,
        products: tuple[str, list[str]] | None = None,
        order_id: str | None = None,
        campaign_id: str | None = None,
        donor_target: str | None = None,
        donation_year: str | None = None,
    ) -> Loaded:
        """Everything a unit of work needs, in one consistent BatchGetItem.

        `budgets` is (month, [program ids]): every slice of those programs' budgets is read too.
        `donor_target` and `donation_year` read the resident's (`user_id`) donor marker and year summary.
        """
        keys: list[tuple[str, str]] = []
        if budgets is not None:
            keys += [_budget_key(budgets[0], pid, k) for pid in budgets[1] for k in range(BUDGET_SHARDS)]
        if user_id is not None:
            keys.append((_user_pk(user_id), WALLET_SK))
            if month is not None:
                keys.append((_user_pk(user_id), _month_sk(month)))
        if merchant_id is not None:
            keys.append((f"MER#{merchant_id}", MERCHANT_SK))
        if payment_id is not None:
            keys.append((f"P#{payment_id}", PAYMENT_SK))
        if idem_id is not None:
            keys.append((f"I#{idem_id}", IDEM_SK))
        if menu_of is not None:
            keys.append((f"MER#{menu_of}", "MENU"))
        if products is not None:
            keys += [(_product_pk(products[0], pid), "PRODUCT") for pid in products[1]]
        if order_id is not None:
            keys.append((f"ORD#{order_id}", "ORDER"))
        if campaign_id is not None:
            keys.append((_camp_pk(campaign_id), "CAMPAIGN"))
        if user_id is not None and donor_target is not None:
            keys.append((_user_pk(user_id), f"DONOR#{donor_target}"))
        if user_id is not None and donation_year is not None:
            keys.append((_user_pk(user_id), f"DY#{donation_year}"))
        found: dict[str, Any] = {}
        kinds = {
            "wallet": self.m.WalletItem,
            "month": self.m.MonthItem,
            "merchant": self.m.MerchantItem,
            "payment": self.m.PaymentItem,
            "idem": self.m.IdemItem,
            "campaign": self.m.CampaignItem,
            "donor": self.m.DonorItem,
            "year": self.m.DonationYearItem,
        }
        budget_used: dict[str, dict[int, int]] = {}
        menu: dict[str, MenuItem] | None = None
        found_products: dict[str, Product] = {}
        order: Order | None = None
        for it in self._guard(lambda: list(self.m.Item.batch_get(keys, consistent_read=True))):
            if isinstance(it, self.m.BudgetItem):
                _, _, program_id, slice_no = it.pk.split("#")
                budget_used.setdefault(program_id, {})[int(slice_no)] = int(it.used or 0)
                continue
            if isinstance(it, self.m.MenuItemsItem):
                menu = menu_from_json(it.items)
                continue
            if isinstance(it, self.m.ProductItem):
                found_products[it.product_id] = self._product(it)
                continue
            if isinstance(it, self.m.OrderItem):
                order = order_from_json(it.document, int(it.version))
                continue
            for name, cls in kinds.items():
                if isinstance(it, cls):
                    found[name] = it
        year_summary = None
        if user_id is not None and donation_year is not None:
            year_summary = (
                self._donation_year(found["year"]) if "year" in found else DonationYear(user_id, donation_year)
            )
        resident_month = None
        if user_id is not None and month is not None:
            resident_month = (
                self._month(found["month"]) if "month" in found else ResidentMonth(user_id, month)
            )
        return Loaded(
            wallet=self._wallet(found["wallet"]) if "wallet" in found else None,
            month=resident_month,
            merchant=self._merchant(found["merchant"]) if "merchant" in found else None,
            payment=self._payment(found["payment"]) if "payment" in found else None,
            idem=self._idem(found["idem"]) if "idem" in found else None,
            budget_used=budget_used,
            menu=menu,
            products=found_products,
            order=order,
            campaign=self._campaign(found["campaign"]) if "campaign" in found else None,
            gave_to_target="donor" in found,
            donation_year=year_summary,
        )

    def get_merchant(self, merchant_id: str) -> Merchant | None:
        return self.load(merchant_id=merchant_id).merchant

    def get_payment(self, payment_id: str) -> Payment | None:
        return self.load(payment_id=payment_id).payment

    def list_payments(self, user_id: str, month: str | None, limit: int, cursor: str | None) -> Page:
        """The resident's payments, oldest first, optionally of one month."""
        condition = self.m.Item.gsi1sk.startswith(f"{month}#") if month else None
        return self._page(
            lambda start: self.m.Item.gsi1.query(
                _user_pk(user_id), condition, limit=limit, last_evaluated_key=start
            ),
            self._payment,
            cursor,
            limit,
            ("pk", "sk", "gsi1pk", "gsi1sk"),
            _user_pk(user_id),
        )

    def list_merchants(
        self, dong: str | None, benefit_plus: bool | None, delivery: bool | None, limit: int, cursor: str | None
    ) -> Page:
        """Registered merchants in registration order, filtered."""
        filt = None
        Item = self.m.MerchantItem
        for cond in (
            Item.dong == dong if dong is not None else None,
            Item.benefit_plus == benefit_plus if benefit_plus is not None else None,
            (Item.delivery_fee.exists() if delivery else Item.delivery_fee.does_not_exist())
            if delivery is not None
            else None,
        ):
            if cond is not None:
                filt = cond if filt is None else filt & cond
        return self._page(
            lambda start: self.m.Item.gsi1.query(
                MERCHANTS_GSI, filter_condition=filt, limit=limit, last_evaluated_key=start
            ),
            self._merchant,
            cursor,
            limit,
            ("pk", "sk", "gsi1pk", "gsi1sk"),
            MERCHANTS_GSI,
        )

    def list_policies(self) -> list[Policy]:
        items = self._guard(lambda: list(self.m.PolicyItem.query("POLICY")))
        return [policy_from_dict(json.loads(it.document)) for it in items]

    # ---- writes ------------------------------------------------------------------------------

    def open_wallet(self, wallet: Wallet) -> None:
        """One wallet per resident: a second open is a conflict."""
        try:
            self._wallet_item(wallet).save(condition=self.m.Item.pk.does_not_exist())
        except PynamoDBException as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                raise Conflict("a wallet is already open for this resident") from exc
            raise StorageUnavailable("the wallet store is unavailable") from exc

    def add_merchant(self, merchant: Merchant) -> None:
        """A business number registers one merchant only."""
        delivery = merchant.delivery
        item = self.m.MerchantItem(
            f"MER#{merchant.merchant_id}",
            MERCHANT_SK,
            gsi1pk=MERCHANTS_GSI,
            gsi1sk=f"{merchant.created_at}#{merchant.merchant_id}",
            merchant_id=merchant.merchant_id,
            name=merchant.name,
            business_number=merchant.business_number,
            dong=merchant.dong,
            category=merchant.category,
            benefit_plus=merchant.benefit_plus,
            discount_rate=merchant.discount_rate,
            delivery_fee=delivery.fee if delivery else None,
            delivery_min_order=delivery.min_order if delivery else None,
            delivery_dongs=list(delivery.dongs) if delivery else None,
            malls=list(merchant.malls),
            food_complex=merchant.food_complex,
            created_at=merchant.created_at,
        )
        biz = self.m.BizItem(f"BIZ#{merchant.business_number}", "BIZ", merchant_id=merchant.merchant_id)
        try:
            with TransactWrite(connection=self._connection()) as tx:
                tx.save(biz, condition=self.m.Item.pk.does_not_exist())
                tx.save(item, condition=self.m.Item.pk.does_not_exist())
        except TransactWriteError as exc:
            if _cancelled_by_condition(exc):
                raise Conflict("a merchant with this business number is already registered") from exc
            raise StorageUnavailable("the merchant store is unavailable") from exc

    def put_policy(self, policy: Policy, updated_at: str) -> None:
        doc = json.dumps(policy_to_dict(policy), ensure_ascii=False)
        self._guard(
            lambda: self.m.PolicyItem(
                "POLICY", policy.effective_month, document=doc, updated_at=updated_at
            ).save()
        )

    def seed_policy(self, policy: Policy, updated_at: str) -> bool:
        """Write a policy only where none exists for its month (seeding never overwrites staff's work)."""
        doc = json.dumps(policy_to_dict(policy), ensure_ascii=False)
        try:
            self.m.PolicyItem("POLICY", policy.effective_month, document=doc, updated_at=updated_at).save(
                condition=self.m.Item.pk.does_not_exist()
            )
            return True
        except PynamoDBException as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                return False
            raise StorageUnavailable("the policy store is unavailable") from exc

    def seed_campaign(self, c: Campaign) -> bool:
        """Create a campaign unless it exists (totals raised so far are never reset)."""
        try:
            self._campaign_item(c).save(condition=self.m.Item.pk.does_not_exist())
            return True
        except PynamoDBException as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                return False
            raise StorageUnavailable("the campaign store is unavailable") from exc

    # ---- campaigns, donations, tax ids -------------------------------------------------------

    def _donation_item(self, d: Donation) -> Any:
        return self.m.DonationItem(
            _user_pk(d.user_id),
            f"D#{d.created_at}#{d.donation_id}",
            donation_id=d.donation_id,
            user_id=d.user_id,
            amount=d.amount,
            campaign_id=d.campaign_id,
            category=d.category,
            kind=d.kind,
            created_at=d.created_at,
            month=d.month,
        )

    def _donation_year_item(self, y: DonationYear) -> Any:
        return self.m.DonationYearItem(
            _user_pk(y.user_id),
            f"DY#{y.year}",
            user_id=y.user_id,
            year=y.year,
            total=y.total,
            gifts=y.count,
            by_campaign=dict(y.by_campaign),
            by_category=dict(y.by_category),
            version=y.version,
        )

    def get_campaign(self, campaign_id: str) -> Campaign | None:
        """A campaign with its totals: one BatchGetItem (the item and its total slices)."""
        keys = [(_camp_pk(campaign_id), "CAMPAIGN"), *_camp_total_keys(campaign_id)]
        items = self._guard(lambda: list(self.m.Item.batch_get(keys)))
        head = [it for it in items if isinstance(it, self.m.CampaignItem)]
        totals = [it for it in items if isinstance(it, self.m.CampaignTotalItem)]
        return self._campaign(head[0], totals) if head else None

    def fund_totals(self, target: str) -> tuple[int, int]:
        """(raised, donors) of a campaign or of the general fund, summed over its slices."""
        items = self._guard(lambda: list(self.m.CampaignTotalItem.batch_get(_camp_total_keys(target))))
        return sum(int(t.raised or 0) for t in items), sum(int(t.donors or 0) for t in items)

    def list_campaigns(self, limit: int = 100, cursor: str | None = None) -> Page:
        """Campaigns in creation order, each with its totals (one more BatchGetItem for the slices)."""
        page = self._page(
            lambda start: self.m.Item.gsi1.query(CAMPAIGNS_GSI, limit=limit, last_evaluated_key=start),
            lambda it: it,
            cursor,
            limit,
            ("pk", "sk", "gsi1pk", "gsi1sk"),
            CAMPAIGNS_GSI,
        )
        keys = [key for it in page.items for key in _camp_total_keys(it.campaign_id)]
        by_campaign: dict[str, list[Any]] = {}
        if keys:
            for t in self._guard(lambda: list(self.m.CampaignTotalItem.batch_get(keys))):
                by_campaign.setdefault(t.pk.split("#")[1], []).append(t)
        return Page(
            items=[self._campaign(it, by_campaign.get(it.campaign_id, [])) for it in page.items], next=page.next
        )

    def add_campaign(self, c: Campaign) -> None:
        self._guard(lambda: self._campaign_item(c).save(condition=self.m.Item.pk.does_not_exist()))

    def _campaign_item(self, c: Campaign) -> Any:
        return self.m.CampaignItem(
            _camp_pk(c.campaign_id),
            "CAMPAIGN",
            gsi1pk=CAMPAIGNS_GSI,
            gsi1sk=f"{c.created_at}#{c.campaign_id}",
            campaign_id=c.campaign_id,
            title=c.title,
            category=c.category,
            target=c.target,
            active=c.active,
            created_at=c.created_at,
        )

    def set_campaign_active(self, campaign_id: str, active: bool) -> None:
        C = self.m.CampaignItem
        try:
            C(_camp_pk(campaign_id), "CAMPAIGN").update(actions=[C.active.set(active)], condition=C.pk.exists())
        except PynamoDBException as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                raise NotFound("no such campaign") from exc
            raise StorageUnavailable("the campaign store is unavailable") from exc

    def list_donations(self, user_id: str, year: str, limit: int, cursor: str | None) -> Page:
        """The resident's donations of a year, oldest first."""
        return self._page(
            lambda start: self.m.Item.query(
                _user_pk(user_id), self.m.Item.sk.startswith(f"D#{year}-"), limit=limit, last_evaluated_key=start
            ),
            self._donation,
            cursor,
            limit,
            ("pk", "sk"),
            _user_pk(user_id),
            hash_index=0,
        )

    def donation_years(self, user_ids: list[str], year: str) -> dict[str, DonationYear]:
        """The residents' year summaries in BatchGetItems (absent: no donations that year)."""
        if not user_ids:
            return {}
        keys = [(_user_pk(u), f"DY#{year}") for u in user_ids]
        items = self._guard(lambda: list(self.m.DonationYearItem.batch_get(keys, consistent_read=True)))
        return {it.user_id: self._donation_year(it) for it in items}

    def put_tax_id(self, user_id: str, shard: int, encrypted: str, masked: str, at: str) -> None:
        """Store (or replace) a resident's encrypted registration number and NTS consent."""
        self._guard(
            lambda: self.m.TaxIdItem(
                _user_pk(user_id),
                "TAXID",
                gsi1pk=f"TAXIDS#{shard:02d}",
                gsi1sk=user_id,
                user_id=user_id,
                rrn_encrypted=encrypted,
                rrn_masked=masked,
                consent_nts_at=at,
                updated_at=at,
            ).save()
        )

    def get_tax_id(self, user_id: str) -> tuple[str, str] | None:
        """(masked number, registered at) of the resident's tax id, if any."""
        try:
            it = self.m.TaxIdItem.get(_user_pk(user_id), "TAXID", consistent_read=True)
        except self.m.TaxIdItem.DoesNotExist:
            return None
        except PynamoDBException as exc:
            raise StorageUnavailable("the tax id store is unavailable") from exc
        return it.rrn_masked, it.updated_at

    def delete_tax_id(self, user_id: str) -> None:
        """Remove the resident's tax id (nothing there is fine: withdrawing twice is one withdrawal)."""
        self._guard(lambda: self.m.TaxIdItem(_user_pk(user_id), "TAXID").delete())

    def tax_ids(self, shard: int) -> Iterator[tuple[str, str]]:
        """(user, encrypted number) of every consenting resident in one index shard."""
        for it in self._guard(lambda: list(self.m.Item.gsi1.query(f"TAXIDS#{shard:02d}"))):
            if isinstance(it, self.m.TaxIdItem):
                yield it.user_id, it.rrn_encrypted

    def commit(self, writes: Writes, now_epoch: int) -> None:
        """Write a unit of work atomically.

        Raises `IdempotencyRace` when the same key was committed meanwhile, `Contention` when any
        versioned item moved since it was read (the caller re-reads and recomputes).
        """
        Item = self.m.Item
        ops: list[tuple[Any, Any]] = []
        if writes.idem is not None:
            idem = self.m.IdemItem(
                f"I#{writes.idem.record_id}",
                IDEM_SK,
                request_hash=writes.idem.request_hash,
                status_code=writes.idem.status_code,
                body=writes.idem.body,
                expires_at=now_epoch + self._idem_ttl,
            )
            ops.append((idem, Item.pk.does_not_exist()))
        for wallet, read_version in writes.wallets:
            ops.append((self._wallet_item(wallet), self._version_condition(self.m.WalletItem, read_version)))
        for month, read_version in writes.months:
            ops.append((self._month_item(month), self._version_condition(self.m.MonthItem, read_version)))
        for payment, read_version in writes.payments:
            ops.append(
                (self._payment_item(payment), self._version_condition(self.m.PaymentItem, read_version))
            )
        for mv in writes.movements:
            item = self.m.LedgerItem(
                _user_pk(mv.user_id),
                f"L#{mv.created_at}#{mv.movement_id}",
                user_id=mv.user_id,
                movement=mv.kind,
                ref=mv.ref,
                d_charged=mv.d_charged,
                d_cashback=mv.d_cashback,
                created_at=mv.created_at,
                merchant_id=mv.merchant_id,
                gross=mv.gross,
                discount=mv.discount,
            )
            ops.append((item, Item.pk.does_not_exist()))
        for order, read_version in writes.orders:
            ops.append((self._order_item(order), self._version_condition(self.m.OrderItem, read_version)))
        for date, order_id in writes.purge_markers:
            ops.append((self.m.PurgeItem(f"PURGE#{date}", order_id, order_id=order_id), None))
        for d in writes.donations:
            ops.append((self._donation_item(d), Item.pk.does_not_exist()))
        for year, read_version in writes.donation_years:
            ops.append((self._donation_year_item(year), self._version_condition(self.m.DonationYearItem, read_version)))
        for user_id, target, at in writes.donor_markers:
            ops.append((self.m.DonorItem(_user_pk(user_id), f"DONOR#{target}", first_at=at), Item.pk.does_not_exist()))
        Budget = self.m.BudgetItem
        Product_ = self.m.ProductItem
        Total = self.m.CampaignTotalItem
        try:
            with TransactWrite(connection=self._connection()) as tx:
                for item, condition in ops:
                    tx.save(item, condition=condition)
                for mall, product_id, delta in writes.stock:
                    tx.update(
                        Product_(_product_pk(mall, product_id), "PRODUCT"),
                        actions=[Product_.stock.add(delta)],
                        condition=(Product_.stock >= -delta) if delta < 0 else Product_.pk.exists(),
                    )
                for b in writes.budget:
                    guard = (
                        Budget.used.does_not_exist() | (Budget.used <= b.cap - b.delta)
                        if b.delta > 0
                        else Budget.used >= -b.delta
                    )
                    tx.update(
                        Budget(*_budget_key(b.month, b.program_id, b.shard)),
                        actions=[Budget.used.add(b.delta), Budget.cap.set(b.cap), Budget.entry.set(Budget)],
                        condition=guard,
                    )
                for target, slot, raised, donors in writes.campaign_adds:
                    tx.update(
                        Total(*_camp_total_key(target, slot)),
                        actions=[Total.raised.add(raised), Total.donors.add(donors), Total.entry.set(Total)],
                    )
        except TransactWriteError as exc:
            reasons = exc.cancellation_reasons
            first = reasons[0] if reasons else None
            if writes.idem is not None and first is not None and first.code == "ConditionalCheckFailed":
                raise IdempotencyRace() from exc
            if exc.cause_response_code in ("TransactionCanceledException", "TransactionConflictException"):
                raise Contention("a concurrent request changed the same records") from exc
            raise StorageUnavailable("the store refused the transaction") from exc

    def movements(self, user_id: str) -> list[Movement]:
        items = self._guard(
            lambda: list(self.m.LedgerItem.query(_user_pk(user_id), self.m.Item.sk.startswith("L#")))
        )
        return [
            Movement(
                user_id=it.user_id,
                movement_id=it.sk.rsplit("#", 1)[-1],
                kind=it.movement,
                ref=it.ref,
                d_charged=int(it.d_charged),
                d_cashback=int(it.d_cashback),
                created_at=it.created_at,
                merchant_id=it.merchant_id,
                gross=int(it.gross or 0),
                discount=int(it.discount or 0),
            )
            for it in items
        ]

    # ---- menus, products, orders ------------------------------------------------------------

    def _product(self, it: Any) -> Product:
        return Product(
            mall=it.mall,
            product_id=it.product_id,
            seller_id=it.seller_id,
            name=it.name,
            price=int(it.price),
            stock=int(it.stock),
            shipping_fee=int(it.shipping_fee),
            discount_rate=int(it.discount_rate or 0),
            version=int(it.version or 1),
        )

    def _order_item(self, order: Order) -> Any:
        sort = f"{order.created_at}#{order.order_id}"
        return self.m.OrderItem(
            f"ORD#{order.order_id}",
            "ORDER",
            gsi1pk=f"UO#{order.user_id}",
            gsi1sk=sort,
            gsi2pk=f"MO#{order.merchant_id}",
            gsi2sk=sort,
            document=order_to_json(order),
            status=order.status,
            version=order.version,
        )

    def approve_mall(self, merchant_id: str, mall: str) -> None:
        """Add a mall to a merchant's approved malls (idempotent)."""
        M = self.m.MerchantItem
        try:
            item = M.get(f"MER#{merchant_id}", MERCHANT_SK, consistent_read=True)
            if mall not in (item.malls or []):
                item.update(actions=[M.malls.set([*(item.malls or []), mall])])
        except M.DoesNotExist as exc:
            raise NotFound("no such merchant") from exc
        except PynamoDBException as exc:
            raise StorageUnavailable("the merchant store is unavailable") from exc

    def put_menu(self, merchant_id: str, items: list[MenuItem], at: str) -> None:
        self._guard(
            lambda: self.m.MenuItemsItem(
                f"MER#{merchant_id}", "MENU", items=menu_to_json(items), updated_at=at
            ).save()
        )

    def put_product(self, product: Product) -> None:
        """Create or replace a product; an id another seller holds in that mall is a conflict."""
        P = self.m.ProductItem
        item = P(
            _product_pk(product.mall, product.product_id),
            "PRODUCT",
            gsi1pk=f"MALL#{product.mall}",
            gsi1sk=product.product_id,
            mall=product.mall,
            product_id=product.product_id,
            seller_id=product.seller_id,
            name=product.name,
            price=product.price,
            stock=product.stock,
            shipping_fee=product.shipping_fee,
            discount_rate=product.discount_rate,
            version=product.version,
        )
        try:
            item.save(condition=P.pk.does_not_exist() | (P.seller_id == product.seller_id))
        except PynamoDBException as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                raise Conflict("another seller holds this product id in this mall") from exc
            raise StorageUnavailable("the product store is unavailable") from exc

    def list_products(self, mall: str, limit: int, cursor: str | None) -> Page:
        return self._page(
            lambda start: self.m.Item.gsi1.query(f"MALL#{mall}", limit=limit, last_evaluated_key=start),
            self._product,
            cursor,
            limit,
            ("pk", "sk", "gsi1pk", "gsi1sk"),
            f"MALL#{mall}",
        )

    def _order_of(self, it: Any) -> Order:
        return order_from_json(it.document, int(it.version))

    def list_orders_of_user(self, user_id: str, kind: str, limit: int, cursor: str | None) -> Page:
        return self._page(
            lambda start: self.m.Item.gsi1.query(
                f"UO#{user_id}", limit=limit, last_evaluated_key=start,
                filter_condition=self.m.OrderItem.document.contains(f'"kind":"{kind}"'),
            ),
            self._order_of,
            cursor,
            limit,
            ("pk", "sk", "gsi1pk", "gsi1sk"),
            f"UO#{user_id}",
        )

    def list_orders_of_merchant(
        self, merchant_id: str, kind: str, status: str | None, limit: int, cursor: str | None
    ) -> Page:
        filt = self.m.OrderItem.document.contains(f'"kind":"{kind}"')
        if status is not None:
            filt = filt & (self.m.OrderItem.status == status)
        return self._page(
            lambda start: self.m.Item.gsi2.query(
                f"MO#{merchant_id}", limit=limit, last_evaluated_key=start, filter_condition=filt
            ),
            self._order_of,
            cursor,
            limit,
            ("pk", "sk", "gsi2pk", "gsi2sk"),
            f"MO#{merchant_id}",
        )

    def purge_markers(self, date: str) -> list[str]:
        items = self._guard(lambda: list(self.m.PurgeItem.query(f"PURGE#{date}")))
        return [it.order_id for it in items]

    def drop_purge_marker(self, date: str, order_id: str) -> None:
        self._guard(lambda: self.m.PurgeItem(f"PURGE#{date}", order_id).delete())

    def budget_used(self, month: str, program_id: str) -> int:
        """How much of a program's monthly budget is granted, summed over its slices."""
        keys = [_budget_key(month, program_id, k) for k in range(BUDGET_SHARDS)]
        items = self._guard(lambda: list(self.m.BudgetItem.batch_get(keys)))
        return sum(int(it.used or 0) for it in items)

    # ---- settlement --------------------------------------------------------------------------

    def wallets_in_shard(self, shard: int, cursor: str | None, limit: int) -> Page:
        """One page of a shard's wallets (the sparse gsi2 holds only wallets under WSHARD#)."""
        return self._page(
            lambda start: self.m.Item.gsi2.query(_shard_pk(shard), limit=limit, last_evaluated_key=start),
            self._wallet,
            cursor,
            limit,
            ("pk", "sk", "gsi2pk", "gsi2sk"),
            _shard_pk(shard),
        )

    def months_of(self, user_ids: list[str], month: str) -> dict[str, ResidentMonth]:
        """The residents' month counters in one consistent BatchGetItem (absent ones are empty)."""
        if not user_ids:
            return {}
        keys = [(_user_pk(u), _month_sk(month)) for u in user_ids]
        found = {
            it.user_id: self._month(it)
            for it in self._guard(lambda: list(self.m.MonthItem.batch_get(keys, consistent_read=True)))
        }
        return {u: found.get(u) or ResidentMonth(u, month) for u in user_ids}

    def get_run(self, month: str) -> SettlementRun | None:
        """The month's settlement run record (a plain view: see `SettlementRun`)."""
        try:
            it = self.m.RunItem.get(_settle_pk(month), "RUN", consistent_read=True)
        except self.m.RunItem.DoesNotExist:
            return None
        except PynamoDBException as exc:
            raise StorageUnavailable("the settlement store is unavailable") from exc
        return SettlementRun(
            month=it.month,
            run_id=it.run_id,
            status=it.status,
            shards_total=int(it.shards_total),
            shards_done=int(it.shards_done),
            started_at=it.started_at,
            finished_at=it.finished_at,
            totals=totals_from_json(it.totals) if it.totals else None,
            reports=list(it.reports or []),
        )

    def start_run(self, run: SettlementRun, previous_run_id: str | None) -> bool:
        """Begin a run, unless another request began one meanwhile (then False)."""
        item = self.m.RunItem(
            _settle_pk(run.month),
            "RUN",
            month=run.month,
            run_id=run.run_id,
            status=run.status,
            shards_total=run.shards_total,
            shards_done=0,
            started_at=run.started_at,
        )
        Item = self.m.RunItem
        condition = Item.pk.does_not_exist() if previous_run_id is None else Item.run_id == previous_run_id
        try:
            item.save(condition=condition)
            return True
        except PynamoDBException as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                return False
            raise StorageUnavailable("the settlement store is unavailable") from exc

    def mark_running(self, month: str, run_id: str) -> None:
        Item = self.m.RunItem
        try:
            Item(_settle_pk(month), "RUN").update(
                actions=[Item.status.set("running")],
                condition=(Item.run_id == run_id) & (Item.status == "queued"),
            )
        except PynamoDBException as exc:
            if _code(exc) != "ConditionalCheckFailedException":
                raise StorageUnavailable("the settlement store is unavailable") from exc

    def record_shard(self, month: str, run_id: str, shard: int, totals: Totals) -> bool:
        """Store a shard's totals and count it done, once per run (a duplicate delivery counts nothing)."""
        Item = self.m.Item
        shard_item = self.m.ShardItem(
            _settle_pk(month), f"SHARD#{shard:03d}", run_id=run_id, totals=totals_to_json(totals)
        )
        run = self.m.RunItem(_settle_pk(month), "RUN")
        try:
            with TransactWrite(connection=self._connection()) as tx:
                tx.save(shard_item, condition=Item.pk.does_not_exist() | (self.m.ShardItem.run_id != run_id))
                tx.update(run, actions=[self.m.RunItem.shards_done.add(1)], condition=self.m.RunItem.run_id == run_id)
            return True
        except TransactWriteError as exc:
            if _cancelled_by_condition(exc):
                return False
            raise StorageUnavailable("the settlement store is unavailable") from exc

    def shard_totals(self, month: str, run_id: str) -> list[Totals]:
        """The totals every shard of this run recorded so far."""
        items = self._guard(
            lambda: list(
                self.m.ShardItem.query(
                    _settle_pk(month),
                    self.m.Item.sk.startswith("SHARD#"),
                    filter_condition=self.m.ShardItem.run_id == run_id,
                    consistent_read=True,
                )
            )
        )
        return [totals_from_json(it.totals) for it in items]

    def finish_run(self, month: str, run_id: str, status: str, totals: Totals, reports: list[str], at: str) -> None:
        Item = self.m.RunItem
        try:
            Item(_settle_pk(month), "RUN").update(
                actions=[
                    Item.status.set(status),
                    Item.totals.set(totals_to_json(totals)),
                    Item.reports.set(reports),
                    Item.finished_at.set(at),
                ],
                condition=Item.run_id == run_id,
            )
        except PynamoDBException as exc:
            if _code(exc) != "ConditionalCheckFailedException":
                raise StorageUnavailable("the settlement store is unavailable") from exc

    def put_merchant_lines(self, month: str, lines: dict[str, MerchantLine]) -> None:
        def write() -> None:
            with self.m.MerchantLineItem.batch_write() as batch:
                for merchant_id, line in lines.items():
                    batch.save(
                        self.m.MerchantLineItem(
                            _settle_pk(month),
                            f"MER#{merchant_id}",
                            gross=line.gross,
                            discounts=line.discounts,
                            refunds=line.refunds,
                        )
                    )

        self._guard(write)

    def merchant_line(self, month: str, merchant_id: str) -> MerchantLine | None:
        try:
            it = self.m.MerchantLineItem.get(_settle_pk(month), f"MER#{merchant_id}")
        except self.m.MerchantLineItem.DoesNotExist:
            return None
        except PynamoDBException as exc:
            raise StorageUnavailable("the settlement store is unavailable") from exc
        return MerchantLine(int(it.gross), int(it.discounts), int(it.refunds))

    # ---- plumbing ----------------------------------------------------------------------------

    def _version_condition(self, model: Any, read_version: int) -> Any:
        if read_version == 0:
            return self.m.Item.pk.does_not_exist()
        return model.version == read_version

    def _connection(self) -> Connection:
        """The models' own connection: one botocore client (thread-safe) for reads and transactions."""
        conn: Connection = self.m.Item._get_connection().connection
        return conn

    def _guard(self, fn: Any) -> Any:
        try:
            return fn()
        except PynamoDBException as exc:
            if _code(exc) == "ValidationException":
                raise ValidationFailed("the request does not fit the stored data (bad cursor?)") from exc
            raise StorageUnavailable("the store is unavailable") from exc

    def _page(
        self,
        query: Any,
        convert: Any,
        cursor: str | None,
        limit: int,
        key_names: tuple[str, ...],
        expected_hash: str,
        hash_index: int = 2,
    ) -> Page:
        """Collect up to `limit` items across DynamoDB pages (filters may thin a page).

        `key_names[hash_index]` is the queried partition key, which a cursor must carry unchanged.
        """
        start = decode_cursor(cursor, key_names, expected_hash, hash_index)
        items: list[Any] = []
        last: dict[str, Any] | None = None
        while True:
            result = self._guard(lambda s=start: query(s))
            batch = self._guard(lambda r=result: list(_take(r, limit - len(items))))
            items.extend(batch)
            if len(items) >= limit:
                last_item = items[-1]
                last = {k: {"S": getattr(last_item, k)} for k in key_names}
                break
            last = result.last_evaluated_key
            if not last:
                break
            start = last
        converted = [convert(it) for it in items]
        return Page(items=converted, next=encode_cursor(last) if last else None)


def _take(iterator: Iterator[Any], n: int) -> Iterable[Any]:
    for i, item in enumerate(iterator):
        yield item
        if i + 1 >= n:
            return


def encode_cursor(key: dict[str, Any]) -> str:
    raw = json.dumps({k: v["S"] for k, v in key.items()}, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(
    cursor: str | None, key_names: tuple[str, ...], expected_hash: str, hash_index: int = 2
) -> dict[str, Any] | None:
    """An opaque `next` token back into a start key; anything not minted for this list is a 400."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8"))
    except (ValueError, binascii.Error, UnicodeError) as exc:
        raise ValidationFailed("next is not a valid cursor") from exc
    if (
        not isinstance(data, dict)
        or set(data) != set(key_names)
        or not all(isinstance(v, str) and 0 < len(v) <= 512 for v in data.values())
        or data.get(key_names[hash_index]) != expected_hash
    ):
        raise ValidationFailed("next is not a valid cursor for this list")
    return {k: {"S": v} for k, v in data.items()}


def _code(exc: PynamoDBException) -> str | None:
    code = getattr(exc, "cause_response_code", None)
    return str(code) if code else None


def _cancelled_by_condition(exc: TransactWriteError) -> bool:
    return any(r is not None and r.code == "ConditionalCheckFailed" for r in exc.cancellation_reasons)


@dataclass(frozen=True)
class SettlementRun:
    """The month's settlement as staff follow it."""

    month: str
    run_id: str
    status: str
    shards_total: int
    shards_done: int
    started_at: str
    finished_at: str | None = None
    totals: Totals | None = None
    reports: list[str] = field(default_factory=list)


def totals_to_json(totals: Totals) -> str:
    return json.dumps(asdict(totals), separators=(",", ":"), ensure_ascii=False)


def totals_from_json(text: str) -> Totals:
    return Totals(**json.loads(text))


def menu_to_json(items: list[MenuItem]) -> str:
    return json.dumps([asdict(i) for i in items], ensure_ascii=False, separators=(",", ":"))


def menu_from_json(text: str) -> dict[str, MenuItem]:
    return {d["item_id"]: MenuItem(**d) for d in json.loads(text)}


def order_to_json(order: Order) -> str:
    doc = asdict(order)
    doc.pop("version")
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def order_from_json(text: str, version: int) -> Order:
    doc = json.loads(text)
    doc["lines"] = tuple(Line(**line) for line in doc["lines"])
    doc["history"] = tuple(tuple(h) for h in doc.get("history", []))
    return Order(**doc, version=version)

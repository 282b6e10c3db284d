"""The world a load run starts from, made through the API as staff, merchants and residents would make it.

Residents open their wallets in a closed month, top up and pay, and that month's settlement credits their
cashback (so donations have something to give); then, in the current month, they top up again. Shops,
delivery menus, mall products with stock and one news notice complete the setup. Every id carries the
run's id, so a run against a shared stack (the smoke test's) touches nothing of anyone else's.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import boto3
from gevent.pool import Pool

from chalicelib.domain.dongs import DONGS
from chalicelib.domain.merchant import normalise_business_number
from load.api import Api, SetupError
from load.model import Book, Product, Resident, Shop, World

KST = ZoneInfo("Asia/Seoul")
REGION = "ap-northeast-2"
NOTICES_BUCKET = "seoro-notices-local"
SEED_CHARGE = 300_000  # in the closed month
SEED_PAYMENT = 100_000  # at a plain shop: 4 % city-base + 1 % gu-extra = 5,000 won of cashback each
TOP_UP = 200_000  # in the current month, to spend during the run
PRODUCT_STOCK = 400
MIN_ORDER = 10_000  # the delivery restaurants' minimum order
SETUP_CONCURRENCY = 8
SETTLE_TIMEOUT = 180.0
NEWS_TIMEOUT = 30.0
MENU = (("tteok", "떡볶이", 4_500), ("kimbap", "김밥", 3_000), ("ramyeon", "라면", 4_000), ("sundae", "순대", 5_000))
PRODUCTS = [("rice-10kg", "서구 쌀 10kg", 30_000, 3_000), ("apples-5kg", "강화 사과 5kg", 25_000, 3_000),
            ("kimchi-3kg", "포기김치 3kg", 18_000, 2_500), ("sesame-oil", "참기름 350ml", 12_000, 2_500)]


@dataclass(frozen=True)
class SeedPlan:
    """How big the world is and where it lives."""

    residents: int
    seed_month: str
    settle: bool  # False: no clock moves and no settlement, so residents start without cashback
    run_id: str
    aws_endpoint: str | None  # the stack's embedded AWS, for the news notice; None: no notice


def previous_month(at: datetime | None = None) -> str:
    """The month (KST) before the one `at` (default now) falls in: the most recently settled month."""
    first = (at or datetime.now(KST)).astimezone(KST).replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


def following_month(month: str) -> str:
    year, mon = (int(p) for p in month.split("-"))
    return f"{year + mon // 12}-{mon % 12 + 1:02d}"


def business_number(rng: random.Random) -> str:
    """A random 10-digit business number with a valid check digit."""
    stem = f"{rng.randrange(10**9):09d}"
    return next(stem + d for d in "0123456789" if normalise_business_number(stem + d))


def _each(items: list[Any], work: Callable[[Any], Any]) -> list[Any]:
    """`work` over `items`, a few at a time (greenlets; the stack serves them concurrently)."""
    return list(Pool(SETUP_CONCURRENCY).map(work, items))


class Seeder:
    """Makes the world over HTTP; `log` reports progress."""

    def __init__(self, api: Api, plan: SeedPlan, log: Callable[[str], None]) -> None:
        self.api = api
        self.plan = plan
        self.log = log
        self.rng = random.Random(plan.run_id)
        self.staff = api.token("staff", f"load-{plan.run_id}-staff")

    def register(self, name: str, kind: str, **fields: Any) -> Shop:
        """A merchant registered by staff, and its owner's token."""
        body = {"name": name, "dong": self.rng.choice(DONGS), "category": "restaurant", "benefit_plus": False,
                **fields}
        for _ in range(5):  # a random business number may, rarely, be someone's already
            status, out = self.api.call(self.staff, "POST", "/staff/merchants",
                                        {**body, "business_number": business_number(self.rng)})
            if status == 201:
                mid = str(out["merchant_id"])
                return Shop(mid, self.api.token("merchant", f"load-{self.plan.run_id}-owner-{mid}", mid), kind)
            if status != 409:
                raise SetupError(f"POST /staff/merchants answered {status}: {out}")
        raise SetupError("no free business number after 5 tries")

    def shops(self) -> tuple[list[Shop], list[Shop], list[Shop]]:
        """Plain and Benefit Plus shops, delivery restaurants with a menu, and mall sellers."""
        delivers = {"fee": 2_000, "min_order": MIN_ORDER, "dongs": list(DONGS)}
        specs: list[tuple[str, str, dict[str, Any]]] = [
            *((f"부하 {c}", "plain", {"category": c}) for c in ("cafe", "mart", "restaurant", "bakery")),
            *((f"부하 혜택 {r}%", "benefit-plus", {"benefit_plus": True, "discount_rate": r}) for r in (5, 7)),
            *((f"부하 배달 {i}", "delivery", {"benefit_plus": True, "discount_rate": 5, "delivery": delivers})
              for i in range(2)),
            *((f"부하 서구 농산 {i}", "seller", {"category": "grocery", "malls": ["only-seogu"]}) for i in range(2)),
        ]
        shops: list[Shop] = _each(specs, lambda spec: self.register(spec[0], spec[1], **spec[2]))
        delivery = [s for s in shops if s.kind == "delivery"]
        _each(delivery, lambda shop: self.api.expect(200, shop.token, "PUT", "/merchant/menu", {"items": [
            {"item_id": i, "name": n, "price": price, "available": True} for i, n, price in MENU]}))
        return ([s for s in shops if s.kind in ("plain", "benefit-plus")], delivery,
                [s for s in shops if s.kind == "seller"])

    def products(self, sellers: list[Shop]) -> list[Product]:
        """The mall's products, each with PRODUCT_STOCK on sale."""
        listed = [Product(f"{stem}-{self.plan.run_id}", sellers[i % len(sellers)], price, fee, PRODUCT_STOCK)
                  for i, (stem, _, price, fee) in enumerate(PRODUCTS)]

        def put(product: Product) -> None:
            name = next(n for stem, n, _, _ in PRODUCTS if product.product_id.startswith(stem))
            self.api.expect(200, product.seller.token, "PUT", f"/merchant/products/{product.product_id}",
                            {"mall": "only-seogu", "name": name, "price": product.price, "stock": product.stock,
                             "shipping_fee": product.shipping_fee})

        _each(listed, put)
        return listed

    def resident(self, args: tuple[int, Shop]) -> Resident:
        """A wallet opened (in the month to settle, if any), topped up, and a payment that earns cashback."""
        i, shop = args
        sub = f"load-{self.plan.run_id}-resident-{i:04d}"
        me = Resident(sub, DONGS[i % len(DONGS)], self.api.token("resident", sub), Book())
        self.api.expect(201, me.token, "POST", "/wallet", {"dong": me.dong, "agree_terms": True})
        self.api.expect(201, me.token, "POST", "/wallet/charges", {"amount": SEED_CHARGE}, key="seed-charge")
        me.book.charged += SEED_CHARGE
        paid = self.api.expect(201, me.token, "POST", "/payments",
                               {"merchant_id": shop.merchant_id, "amount": SEED_PAYMENT}, key="seed-pay")
        me.book.paid += int(paid["paid"])
        if self.plan.settle:
            me.book.credited += sum(int(v) for v in paid["cashback"].values())  # what the settlement must credit
        return me

    def top_up(self, me: Resident) -> None:
        self.api.expect(201, me.token, "POST", "/wallet/charges", {"amount": TOP_UP}, key="seed-top-up")
        me.book.charged += TOP_UP

    def settle(self, month: str) -> None:
        """Close the month by the local clock and settle it, as the 1st's schedule would."""
        self.api.set_clock(self.staff, f"{following_month(month)}-01T01:00:30+09:00")
        self.api.expect(202, self.staff, "POST", "/staff/settlements", {"month": month})
        run = self.api.wait_for(self.staff, f"/staff/settlements/{month}", "completed", SETTLE_TIMEOUT)
        if run["status"] != "completed" or run.get("books_balanced") is not True:
            raise SetupError(f"the settlement of {month} did not balance: {run}")

    def upload_notice(self) -> str | None:
        """One district-wide notice put in the notices bucket (the runner publishes it meanwhile); its title."""
        if self.plan.aws_endpoint is None:
            return None
        title = f"부하 시험 공지 {self.plan.run_id}"
        body = (f"---\ntitle: {title}\ncategory: daily-info\ndongs: all\n---\n\n"
                "# 안내\n\n서로e음 **부하 시험** 중 게시된 공지입니다.\n").encode()
        boto3.client("s3", endpoint_url=self.plan.aws_endpoint, region_name=REGION, aws_access_key_id="local",
                     aws_secret_access_key="local").put_object(
            Bucket=NOTICES_BUCKET, Key=f"notices/load-{self.plan.run_id}.md", Body=body)
        return title

    def published(self, title: str | None) -> str | None:
        """The notice's post id once /news shows it."""
        if title is None:
            return None
        deadline = time.monotonic() + NEWS_TIMEOUT
        while time.monotonic() < deadline:
            page = self.api.expect(200, self.staff, "GET", "/news?limit=100")
            found = [p["post_id"] for p in page["items"] if p["title"] == title]
            if found:
                return str(found[0])
            time.sleep(0.3)
        raise SetupError(f"the notice was not published within {NEWS_TIMEOUT:.0f} s")

    def campaigns(self) -> dict[str, int]:
        """Each active campaign's `raised` now (the checks compare the run's donations with its growth)."""
        page = self.api.expect(200, self.staff, "GET", "/campaigns?limit=100")
        return {str(c["campaign_id"]): int(c["raised"]) for c in page["items"] if c["active"]}

    def run(self) -> World:
        plan = self.plan
        self.log(f"seeding: shops, {plan.residents} residents" + (
            f" paying in {plan.seed_month}, its settlement" if plan.settle else " (no settlement: no cashback)"))
        title = self.upload_notice()
        plain, delivery, sellers = self.shops()
        products = self.products(sellers)
        first_payments = [(i, plain[i % 4]) for i in range(plan.residents)]  # the four plain shops: no discount
        if plan.settle:
            self.api.set_clock(self.staff, f"{plan.seed_month}-10T12:00:00+09:00")
            try:
                residents = _each(first_payments, self.resident)
                self.settle(plan.seed_month)
            finally:
                self.api.reset_clock(self.staff)
        else:
            residents = _each(first_payments, self.resident)
        _each(residents, self.top_up)
        month = str(self.api.expect(200, residents[0].token, "GET", "/wallet")["month"]["month"])
        post_id = self.published(title)
        raised = self.campaigns()
        return World(base_url=self.api.base_url, staff_token=self.staff, month=month, seed_month=plan.seed_month,
                     residents=residents, shops=plain, delivery_shops=delivery, products=products,
                     campaigns=sorted(raised), post_id=post_id, raised_before=raised)

"""What a load run knows: the seeded world, each resident's money as the API's answers say it must be,
and every request's outcome.

Each simulated resident is driven by one locust user, one request at a time, so its book is exact: the
sum of what every 2xx answer moved. Users share nothing else but the tallies, which gevent's single
thread updates without locks.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

# Which part of the mix each endpoint belongs to (the report and the smoke test count by category).
CATEGORIES: dict[str, str] = {
    "GET /wallet": "read",
    "GET /payments": "read",
    "GET /payments/{id}": "read",
    "GET /news": "read",
    "GET /news/{id}": "read",
    "GET /campaigns": "read",
    "GET /merchants": "read",
    "GET /malls/{mall}/products": "read",
    "GET /donations": "read",
    "GET /orders": "read",
    "POST /wallet/charges": "top-up",
    "POST /payments": "payment",
    "POST /merchant/payments/{id}/refunds": "refund",
    "POST /orders": "delivery order",
    "POST /orders/{id}/cancel": "delivery order",
    "POST /merchant/orders/{id}/accept": "delivery order",
    "POST /merchant/orders/{id}/reject": "delivery order",
    "POST /merchant/orders/{id}/dispatch": "delivery order",
    "POST /merchant/orders/{id}/deliver": "delivery order",
    "POST /mall/orders": "mall order",
    "POST /mall/orders/{id}/cancel": "mall order",
    "POST /merchant/mall-orders/{id}/ship": "mall order",
    "POST /merchant/mall-orders/{id}/deliver": "mall order",
    "POST /donations": "donation",
}
CATEGORY_ORDER = ("read", "top-up", "payment", "refund", "delivery order", "mall order", "donation")


@dataclass
class Book:
    """One resident's money (charged + cashback) as the API's 2xx answers say it must be."""

    charged: int = 0
    paid: int = 0
    refunded: int = 0
    credited: int = 0
    donated: int = 0
    uncertain: list[str] = field(default_factory=list)  # money requests that got no definite answer
    pending: str | None = None  # the money request in flight: still set if the run cut it off

    @property
    def total(self) -> int:
        return self.charged - self.paid + self.refunded + self.credited - self.donated


@dataclass
class Shop:
    """A registered merchant and a token of its owner."""

    merchant_id: str
    token: str
    kind: str  # plain | benefit-plus | delivery | seller


@dataclass
class Payment:
    """A resident's own payment at a shop, which that shop may refund."""

    payment_id: str
    shop: Shop
    paid: int
    refunded: int = 0

    @property
    def left(self) -> int:
        return self.paid - self.refunded


@dataclass
class Product:
    """A mall product and what the run did to its stock."""

    product_id: str
    seller: Shop
    price: int
    shipping_fee: int
    stock: int
    sold: int = 0
    restocked: int = 0


@dataclass
class Resident:
    """A resident with a wallet, driven by one locust user."""

    sub: str
    dong: str
    token: str
    book: Book = field(default_factory=Book)
    payments: list[Payment] = field(default_factory=list)


@dataclass
class World:
    """Everything seeded before the run, and what the run changes that the checks compare afterwards."""

    base_url: str
    staff_token: str
    month: str  # the current month (KST) the mix runs in
    seed_month: str  # the closed month whose settlement gave the residents their cashback
    residents: list[Resident]
    shops: list[Shop]  # plain and Benefit Plus shops residents pay at
    delivery_shops: list[Shop]
    products: list[Product]
    campaigns: list[str]
    post_id: str | None
    raised_before: dict[str, int] = field(default_factory=dict)
    donated_to: Counter[str] = field(default_factory=Counter)


@dataclass
class Tally:
    """Every request of the run: latency and status per endpoint, and how each answer was judged."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    refused: Counter[tuple[str, str]] = field(default_factory=Counter)  # (endpoint, error code): business refusals
    unexpected: Counter[tuple[str, int, str]] = field(default_factory=Counter)  # (endpoint, status, code)

    def record(self, name: str, status: int, milliseconds: float) -> None:
        self.latencies[name].append(milliseconds)
        self.statuses[name][status] += 1

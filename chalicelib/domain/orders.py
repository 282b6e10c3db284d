"""배달서구 delivery orders and the 온리서구몰 / 냠냠서구몰 mall orders: server-side pricing and the two
state machines. Payment itself is the ordinary payment (discount, cashback-first, accruals).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from chalicelib.domain.bounds import KIND_DELIVERY, KIND_MALL, MAX_LINES, MAX_QUANTITY
from chalicelib.domain.errors import Conflict, InvalidState, NotFound, OutOfStock, ValidationFailed
from chalicelib.domain.months import KST
from chalicelib.domain.payment import discount_for

# ---- delivery ----------------------------------------------------------------------------------

PLACED, ACCEPTED, DISPATCHED, DELIVERED, REJECTED, CANCELLED = (
    "placed", "accepted", "dispatched", "delivered", "rejected", "cancelled",
)  # fmt: skip
ORDER_STATUSES = (PLACED, ACCEPTED, DISPATCHED, DELIVERED, REJECTED, CANCELLED)
ORDER_TRANSITIONS: dict[str, dict[str, str]] = {
    "accept": {PLACED: ACCEPTED},
    "dispatch": {ACCEPTED: DISPATCHED},
    "deliver": {DISPATCHED: DELIVERED},
    "reject": {PLACED: REJECTED},
    "cancel": {PLACED: CANCELLED},
}
"""The only transitions there are; `reject` (merchant) and `cancel` (resident) refund in full."""
REFUNDING_ACTIONS = frozenset({"reject", "cancel"})

# ---- malls -------------------------------------------------------------------------------------

PAID, SHIPPED = "paid", "shipped"
MALL_STATUSES = (PAID, SHIPPED, DELIVERED, CANCELLED)
MALL_TRANSITIONS: dict[str, dict[str, str]] = {
    "ship": {PAID: SHIPPED},
    "deliver": {SHIPPED: DELIVERED},
    "cancel": {PAID: CANCELLED},
}
"""A resident may cancel only before shipping (full refund, stock restored)."""


def next_status(transitions: dict[str, dict[str, str]], action: str, current: str) -> str:
    """The status an action leads to, or 409 INVALID_STATE for any transition that does not exist."""
    target = transitions.get(action, {}).get(current)
    if target is None:
        raise InvalidState(f"cannot {action} an order that is {current}")
    return target


@dataclass(frozen=True)
class MenuItem:
    item_id: str
    name: str
    price: int
    available: bool = True


@dataclass(frozen=True)
class Line:
    """One priced line of an order: the server's price, never the client's."""

    item_id: str
    name: str
    unit_price: int
    quantity: int

    @property
    def amount(self) -> int:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class Priced:
    """An order's price: the merchant's discount applies to the item subtotal only, never to fees."""

    lines: tuple[Line, ...]
    subtotal: int
    discount: int
    fee: int

    @property
    def list_amount(self) -> int:
        return self.subtotal + self.fee

    @property
    def paid(self) -> int:
        return self.list_amount - self.discount


def _check_quantities(quantities: list[tuple[str, int]]) -> None:
    if not quantities:
        raise ValidationFailed("an order needs at least one item")
    if len(quantities) > MAX_LINES:
        raise ValidationFailed(f"at most {MAX_LINES} lines per order")
    bad = [i for i, q in quantities if not 1 <= q <= MAX_QUANTITY]
    if bad:
        raise ValidationFailed(f"quantities must be 1 to {MAX_QUANTITY}: {', '.join(bad)}")
    ids = [i for i, _ in quantities]
    if len(set(ids)) != len(ids):
        raise ValidationFailed("an item appears on more than one line")


def price_delivery(
    menu: dict[str, MenuItem],
    quantities: list[tuple[str, int]],
    *,
    fee: int,
    min_order: int,
    discount_rate: int,
) -> Priced:
    """Price a delivery order from the merchant's own menu; unknown items are 404, unavailable ones 409,
    odd quantities and orders under the minimum (on the item subtotal) 400."""
    _check_quantities(quantities)
    unknown = [i for i, _ in quantities if i not in menu]
    if unknown:
        raise NotFound(f"not on the menu: {', '.join(unknown)}")
    sold_out = [i for i, _ in quantities if not menu[i].available]
    if sold_out:
        raise Conflict(f"not available now: {', '.join(sold_out)}")
    lines = tuple(Line(i, menu[i].name, menu[i].price, q) for i, q in quantities)
    subtotal = sum(line.amount for line in lines)
    if subtotal < min_order:
        raise ValidationFailed(f"the minimum order is {min_order} won of items; this is {subtotal}")
    return Priced(lines, subtotal, discount_for(subtotal, discount_rate) if discount_rate else 0, fee)


@dataclass(frozen=True)
class Product:
    """A mall product; `product_id` is unique within its mall and belongs to one seller."""

    mall: str
    product_id: str
    seller_id: str
    name: str
    price: int
    stock: int
    shipping_fee: int
    discount_rate: int = 0
    """The seller's Benefit Plus rate when the product was listed (0: none)."""
    version: int = 1
    seller_name: str = ""
    """The seller's name when the product was listed (for the buyer's history); "" for one listed before."""


def price_mall(products: dict[str, Product], quantities: list[tuple[str, int]]) -> tuple[str, Priced]:
    """Price a mall order from the catalogue; one seller per order (one parcel): its shipping fee is
    the highest of the lines'. Not enough stock is 409 OUT_OF_STOCK."""
    _check_quantities(quantities)
    unknown = [i for i, _ in quantities if i not in products]
    if unknown:
        raise NotFound(f"no such product: {', '.join(unknown)}")
    sellers = {products[i].seller_id for i, _ in quantities}
    if len(sellers) != 1:
        raise ValidationFailed("one order buys from one seller; place one order per seller")
    short = [i for i, q in quantities if products[i].stock < q]
    if short:
        raise OutOfStock(f"not enough stock: {', '.join(short)}")
    seller = sellers.pop()
    lines = tuple(Line(i, products[i].name, products[i].price, q) for i, q in quantities)
    subtotal = sum(line.amount for line in lines)
    fee = max(products[i].shipping_fee for i, _ in quantities)
    rate = products[quantities[0][0]].discount_rate
    return seller, Priced(lines, subtotal, discount_for(subtotal, rate) if rate else 0, fee)


@dataclass(frozen=True)
class Order:
    """A delivery (`kind` "delivery") or mall (`kind` "mall") order and the payment that paid it."""

    order_id: str
    kind: str
    user_id: str
    merchant_id: str
    status: str
    lines: tuple[Line, ...]
    subtotal: int
    discount: int
    fee: int
    paid: int
    payment_id: str
    cashback: dict[str, int]
    created_at: str
    mall: str | None = None
    dong: str | None = None
    address: str | None = None
    request: str | None = None
    eta_minutes: int | None = None
    reason: str | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    shipping: dict[str, str] | None = None
    consent_version: str | None = None
    consent_at: str | None = None
    delivered_at: str | None = None
    history: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    version: int = 1


# ---- personal data retention -------------------------------------------------------------------

RETENTION_DAYS: dict[tuple[str, str], int] = {
    (KIND_DELIVERY, DELIVERED): 30,
    (KIND_DELIVERY, REJECTED): 30,
    (KIND_DELIVERY, CANCELLED): 30,
    (KIND_MALL, DELIVERED): 90,
    (KIND_MALL, CANCELLED): 30,
    (KIND_MALL, SHIPPED): 180,
}
"""How many days an order's personal data (a mall order's shipping name, phone and address; a delivery
order's address and request) outlives the status that starts its clock, by (kind, status). Every way an
order ends has one, so nothing is kept for ever; a shipped mall order has one too, longer than delivery's,
for a parcel never marked delivered. A mall delivery's period is `SHIPPING_PURGE_DAYS` (see `retention`).
Statuses not listed (placed, accepted, dispatched, paid) start no clock: the order still needs the data."""


def retention(mall_delivered_days: int) -> dict[tuple[str, str], int]:
    """The periods in force: `RETENTION_DAYS` with a mall delivery's period as configured."""
    return {**RETENTION_DAYS, (KIND_MALL, DELIVERED): mall_delivered_days}


def purge_on(order: Order, periods: Mapping[tuple[str, str], int]) -> str | None:
    """The KST day (YYYY-MM-DD) the order's personal data goes: its current status's period after it
    entered that status (the last time the status appears in its history). None while no clock runs.

    Counted from the current status alone, so a later status overrides an earlier clock: a shipped order
    delivered late keeps its data for the delivery period, not only to the end of the shipping one."""
    days = periods.get((order.kind, order.status))
    since = next((at for status, at in reversed(order.history) if status == order.status), None)
    if days is None or since is None:
        return None
    return (datetime.fromisoformat(since).astimezone(KST) + timedelta(days=days)).date().isoformat()


def holds_personal_data(order: Order) -> bool:
    """Whether a purge has anything left to clear (a second purge of the same order writes nothing)."""
    return order.shipping is not None or order.address is not None or order.request is not None


def without_personal_data(order: Order) -> Order:
    """The order as it is kept after its purge (next version): what it bought and paid, not who or where."""
    return replace(order, shipping=None, address=None, request=None, version=order.version + 1)


@dataclass(frozen=True, order=True)
class PurgeMarker:
    """A note that an order's personal data is due to go on `day` (YYYY-MM-DD, KST). An order may have
    several (one per clock started); the purge decides from the order itself, so extra markers are harmless."""

    day: str
    order_id: str

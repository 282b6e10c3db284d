"""배달서구 delivery orders and the 온리서구몰 / 냠냠서구몰 mall orders: server-side pricing and the two
state machines. Payment itself is the ordinary payment (discount, cashback-first, accruals).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.domain.errors import Conflict, InvalidState, NotFound, OutOfStock, ValidationFailed
from chalicelib.domain.payment import discount_for

MAX_QUANTITY = 99
MAX_LINES = 50
KIND_DELIVERY = "delivery"
KIND_MALL = "mall"

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

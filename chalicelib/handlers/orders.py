"""배달서구 delivery orders and mall orders: priced by the server, paid in the same transaction that
records the order (and takes the stock), moved through their state machines, refunded in full on
rejection or cancellation in one transaction with the status change; their personal data purged. An order and
its payment share one sealed id body (domain/sealed_ids.py): the order's id names its payment, payer, month and
shop, so a rejection or cancellation reads them with the order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from functools import partial
from typing import Any

from chalicelib import composition
from chalicelib.domain.bounds import KIND_DELIVERY, KIND_MALL
from chalicelib.domain.dongs import is_dong
from chalicelib.domain.errors import Conflict, NotFound, ValidationFailed
from chalicelib.domain.merchant import MALLS
from chalicelib.domain.months import KST, kst_iso, month_of
from chalicelib.domain.orders import (
    DELIVERED,
    MALL_TRANSITIONS,
    ORDER_TRANSITIONS,
    PAID,
    PLACED,
    REFUNDING_ACTIONS,
    Order,
    Priced,
    PurgeMarker,
    holds_personal_data,
    next_status,
    price_delivery,
    price_mall,
    purge_on,
    retention,
    without_personal_data,
)
from chalicelib.domain.payment import PaymentOutcome, PaymentRequest, refuse_own_shop
from chalicelib.domain.policy import CHANNEL_DELIVERY, CHANNEL_MALL
from chalicelib.domain.ports.unit import Page, Tx
from chalicelib.domain.sealed_ids import Sealed, with_prefix
from chalicelib.handlers.common import now, opened, retrying, sealed_ids, sealing_key
from chalicelib.handlers.payments import Payer, stage_payment, stage_refund, want_payer
from chalicelib.handlers.unit import Once, Unit, write_once


@dataclass(frozen=True)
class DeliveryAsk:
    merchant_id: str
    items: tuple[tuple[str, int], ...]
    address: str
    dong: str | None
    request: str | None
    use_cashback: bool


@dataclass(frozen=True)
class MallAsk:
    mall: str
    items: tuple[tuple[str, int], ...]
    shipping: dict[str, str]
    consent_given: bool
    consent_version: str
    use_cashback: bool


def _pay(tx: Tx, payer: Payer, merchant_id: str, benefit_plus: bool, priced: Priced, channel: str,
         use_cashback: bool, ids: tuple[str, str], at: datetime, merchant_name: str | None) -> PaymentOutcome:
    order_id, payment_id = ids
    request = PaymentRequest(
        payment_id=payment_id, user_id=payer.user_id, merchant_id=merchant_id, list_amount=priced.list_amount,
        discount=priced.discount, benefit_plus=benefit_plus, use_cashback=use_cashback, created_at=kst_iso(at),
        channel=channel, order_id=order_id, merchant_name=merchant_name,
    )  # fmt: skip
    return stage_payment(tx, payer, request)


def place_order(user_id: str, ask: DeliveryAsk, key: str, *, acting_for: str | None = None) -> Order:
    """Price from the merchant's own menu (discount on items, not on the delivery fee) and pay, with the
    order, in one transaction. Cashback as at a Benefit Plus merchant. Never from one's own shop."""
    r = composition.container().repos
    once = Once.of(Order, user_id, "order", key, _request(ask))

    def attempt(u: Unit[Order]) -> Order:
        at = now()
        payer = want_payer(u.batch, user_id, month_of(at))
        shop = r.merchants.want(u.batch, ask.merchant_id)
        menu = r.catalogue.want_menu(u.batch, ask.merchant_id)
        sealing = sealing_key(u.batch)
        if (replayed := u.read()) is not None:
            return _with_personal_data(replayed)
        wallet = payer.wallet.value
        if wallet is None:
            raise NotFound("no wallet is open for this resident")
        merchant = shop.value
        if merchant is None:
            raise NotFound("unknown merchant_id")
        refuse_own_shop(acting_for, merchant.merchant_id)
        if merchant.delivery is None:
            raise Conflict("this merchant does not deliver")
        dong = ask.dong or wallet.dong
        if not is_dong(dong):
            raise ValidationFailed("dong: must be one of the 22 dongs of Seo-gu")
        if dong not in merchant.delivery.dongs:
            raise Conflict(f"this merchant does not deliver to {dong}")
        priced = price_delivery(
            menu.value or {}, list(ask.items), fee=merchant.delivery.fee, min_order=merchant.delivery.min_order,
            discount_rate=merchant.discount_rate if merchant.benefit_plus else 0,
        )  # fmt: skip
        order_id, payment_id = sealed_ids(("ord", "pay"), Sealed(user_id, month_of(at), merchant.merchant_id),
                                          sealing(u.tx))
        p = _pay(u.tx, payer, merchant.merchant_id, merchant.benefit_plus, priced, CHANNEL_DELIVERY,
                 ask.use_cashback, (order_id, payment_id), at, merchant.name).payment
        order = Order(
            order_id=order_id, kind=KIND_DELIVERY, user_id=user_id, merchant_id=merchant.merchant_id,
            status=PLACED, lines=priced.lines, subtotal=priced.subtotal, discount=priced.discount, fee=priced.fee,
            paid=p.paid, payment_id=p.payment_id, cashback=dict(p.cashback), created_at=p.created_at, dong=dong,
            address=ask.address, request=ask.request, history=((PLACED, p.created_at),),
        )  # fmt: skip
        r.orders.stage(u.tx, order, 0)
        # The replay copy keeps no address or request (a door code, say): they live on the order alone.
        return u.commit(order, keep=replace(order, address=None, request=None))

    return write_once(once, attempt, lock=user_id)


def place_mall_order(user_id: str, ask: MallAsk, key: str, *, acting_for: str | None = None) -> Order:
    """Buy from one seller of a mall: needs the consent to hand name, phone and address to the seller
    (stored with its version and time); stock is taken in the same transaction as the payment. Never from
    one's own shop."""
    r = composition.container().repos
    if ask.mall not in MALLS:
        raise ValidationFailed(f"mall must be one of {', '.join(MALLS)}")
    if ask.consent_given is not True:
        raise ValidationFailed("consent.third_party_provision: the consent to provide shipping data is required")
    once = Once.of(Order, user_id, "mall-order", key, _request(ask))

    def attempt(u: Unit[Order]) -> Order:
        at = now()
        payer = want_payer(u.batch, user_id, month_of(at))
        found = r.catalogue.want_products(u.batch, ask.mall, [pid for pid, _ in ask.items])
        sealing = sealing_key(u.batch)
        if (replayed := u.read()) is not None:
            return _with_personal_data(replayed)
        if payer.wallet.value is None:
            raise NotFound("no wallet is open for this resident")
        products = found.value
        seller, priced = price_mall(products, list(ask.items))
        refuse_own_shop(acting_for, seller)
        order_id, payment_id = sealed_ids(("mord", "pay"), Sealed(user_id, month_of(at), seller), sealing(u.tx))
        benefit_plus = products[ask.items[0][0]].discount_rate > 0
        name = products[ask.items[0][0]].seller_name or _seller_name(seller)
        p = _pay(u.tx, payer, seller, benefit_plus, priced, CHANNEL_MALL, ask.use_cashback, (order_id, payment_id),
                 at, name).payment
        order = Order(
            order_id=order_id, kind=KIND_MALL, user_id=user_id, merchant_id=seller, status=PAID,
            lines=priced.lines, subtotal=priced.subtotal, discount=priced.discount, fee=priced.fee, paid=p.paid,
            payment_id=p.payment_id, cashback=dict(p.cashback), created_at=p.created_at, mall=ask.mall,
            shipping=dict(ask.shipping), consent_version=ask.consent_version, consent_at=p.created_at,
            history=((PAID, p.created_at),),
        )  # fmt: skip
        r.orders.stage(u.tx, order, 0)
        for pid, quantity in ask.items:
            r.catalogue.stage_stock(u.tx, ask.mall, pid, -quantity)
        # The replay copy keeps no shipping data: name, phone and address live on the order alone.
        return u.commit(order, keep=replace(order, shipping=None))

    return write_once(once, attempt, lock=user_id)


def _seller_name(seller_id: str) -> str | None:
    """A product listed before products kept their seller's name: the seller's name read on its own."""
    r = composition.container().repos
    batch = r.store.batch()
    seller = r.merchants.want(batch, seller_id)
    batch.run()
    return seller.value.name if seller.value is not None else None


def _request(ask: DeliveryAsk | MallAsk) -> dict[str, Any]:
    """What an order asked, for its idempotency fingerprint."""
    return asdict(ask)


def _with_personal_data(order: Order) -> Order:
    """A replayed order gets its personal data (shipping, address, request) back from the order itself, as
    long as the order still holds it (one more read)."""
    current = get_order(order.order_id)
    if current is None:
        return replace(order, shipping=None, address=None, request=None)
    return replace(order, shipping=current.shipping, address=current.address, request=current.request)


# ---- moving through the states ---------------------------------------------------------------


def resident_action(user_id: str, order_id: str, kind: str, action: str, key: str | None = None) -> Order:
    """The resident's own order (cancel); anyone else's is 'not found'. With an Idempotency-Key, a retry
    replays the first answer."""
    once = _once(user_id, kind, action, key, order_id, {})
    return transition(order_id, kind, action, lambda o: o.user_id == user_id, {}, once)


def merchant_action(merchant_id: str, order_id: str, kind: str, action: str, change: dict[str, Any],
                    key: str | None = None, caller: str = "") -> Order:
    """accept / dispatch / deliver / reject (delivery), ship / deliver (malls), on the merchant's own orders;
    with an Idempotency-Key (scoped to the caller), a retry replays the first answer."""
    once = _once(caller or merchant_id, kind, action, key, order_id, change)
    return transition(order_id, kind, action, lambda o: o.merchant_id == merchant_id, change, once)


def _once(caller: str, kind: str, action: str, key: str | None, order_id: str,
          change: dict[str, Any]) -> Once[Order] | None:
    if key is None:
        return None
    return Once.of(Order, caller, f"{kind}.{action}", key, {"order_id": order_id, **change})


def transition(order_id: str, kind: str, action: str, owner: Callable[[Order], bool], change: dict[str, Any],
               once: Once[Order] | None = None) -> Order:
    """Move an order by one transition (`owner(order)` says whether the caller may); rejections and
    cancellations refund in full in the same transaction (counters and accruals reversed, budget given
    back, mall stock restored). One read (the order, the stored answer under a key, and for a refund the
    payment and payer its id names), one transaction; an order whose id is plain (made before ids were sealed)
    reads its payment and payer in a second read. Without a key a repeat finds the state reached (409
    `INVALID_STATE`)."""
    c = composition.container()
    r = c.repos
    sealed = opened(order_id, "order") if action in REFUNDING_ACTIONS else None
    paid_with = with_prefix(order_id, "pay")

    def attempt(u: Unit[Order] | None) -> Order:
        at = now()
        stamp = kst_iso(at)
        batch = r.store.batch() if u is None else u.batch
        found = r.orders.want(batch, order_id)
        payer = None if sealed is None else want_payer(batch, sealed.user_id, sealed.month, payment_id=paid_with,
                                                       payee_id=sealed.merchant_id)
        if u is None:
            batch.run()
        elif (first := u.read()) is not None:
            return _with_personal_data(first)
        order = found.value
        if order is None or order.kind != kind or not owner(order):
            raise NotFound("no such order")
        if sealed is not None and (order.user_id, order.merchant_id, order.payment_id, _month(order)) != (
                sealed.user_id, sealed.merchant_id, paid_with, sealed.month):
            raise NotFound("no such order")  # defence in depth: what the id names is what is stored
        transitions = ORDER_TRANSITIONS if kind == KIND_DELIVERY else MALL_TRANSITIONS
        status = next_status(transitions, action, order.status)
        moved = replace(order, status=status, history=(*order.history, (status, stamp)),
                        version=order.version + 1, **change)
        if status == DELIVERED:
            moved = replace(moved, delivered_at=stamp)
        tx = r.store.tx() if u is None else u.tx
        r.orders.stage(tx, moved, order.version)
        # The status that starts a retention clock writes its purge marker in the same transaction.
        if (day := purge_on(moved, retention(c.settings.shipping_purge_days))) is not None:
            r.orders.stage_purge(tx, PurgeMarker(day, order.order_id))
        if action in REFUNDING_ACTIONS:
            _full_refund(tx, order, at, payer)
            if kind == KIND_MALL:
                for line in order.lines:
                    r.catalogue.stage_stock(tx, order.mall or "", line.item_id, line.quantity)
        if u is not None:
            return u.commit(moved, keep=replace(moved, shipping=None, address=None, request=None))
        tx.commit()
        return moved

    if once is None:
        return retrying(partial(attempt, None), order_id)
    return write_once(once, attempt, lock=order_id)


def _full_refund(tx: Tx, order: Order, at: datetime, payer: Payer | None) -> None:
    """Whatever is left of the order's payment goes back (nothing, if the merchant refunded it by hand). The
    payer was read with the order when its id names them; otherwise it is read now."""
    if payer is None:
        batch = composition.container().repos.store.batch()
        payer = want_payer(batch, order.user_id, _month(order), payment_id=order.payment_id,
                           payee_id=order.merchant_id)
        batch.run()
    payment = payer.payment.value if payer.payment is not None else None
    if payment is None or payer.wallet.value is None or payment.user_id != order.user_id:
        raise NotFound("the order's payment is gone")
    if payment.refundable > 0:
        stage_refund(tx, payer, payment, None, at)


def _month(order: Order) -> str:
    """The KST month the order was paid in: its payment's."""
    return month_of(datetime.fromisoformat(order.created_at))


# ---- reading ---------------------------------------------------------------------------------


def get_order(order_id: str) -> Order | None:
    r = composition.container().repos
    batch = r.store.batch()
    found = r.orders.want(batch, order_id)
    batch.run()
    return found.value


def residents_order(user_id: str, order_id: str, kind: str) -> Order:
    """The resident's own order of that kind; anyone else's is 'not found'."""
    order = get_order(order_id)
    if order is None or order.kind != kind or order.user_id != user_id:
        raise NotFound("no such order")
    return order


def of_resident(user_id: str, kind: str, status: str | None, limit: int, cursor: str | None) -> Page[Order]:
    return composition.container().repos.orders.of_resident(user_id, kind, status, limit, cursor)


def of_merchant(merchant_id: str, kind: str, status: str | None, limit: int, cursor: str | None) -> Page[Order]:
    """A seller sees the shipping name, phone and address of its own orders only."""
    return composition.container().repos.orders.of_merchant(merchant_id, kind, status, limit, cursor)


# ---- purging personal data -------------------------------------------------------------------

PURGE_PAGE = 100
"""Markers read per query: a backlog of any size is worked through in bounded pages."""


def purge_shipping_data() -> int:
    """Scheduled daily: clear the personal data (a mall order's shipping name, phone and address; a
    delivery order's address and request) of every order whose retention period (`RETENTION_DAYS`) has
    run out, and drop its markers. Every marker due on or before today is read, however long the purge
    was down, so none is missed. Returns how many orders were cleared; a second run clears none."""
    c = composition.container()
    periods = retention(c.settings.shipping_purge_days)
    today = now().astimezone(KST).date().isoformat()
    purged = 0
    done: set[PurgeMarker] = set()
    # The markers' index is eventually consistent: a page may still show a marker just dropped. Those are
    # skipped, and a page of nothing else ends the run (what is left, the next run finds).
    while fresh := [m for m in c.repos.orders.purge_due(today, PURGE_PAGE) if m not in done]:
        for marker in fresh:
            purged += retrying(partial(_purge, marker, periods, today), marker.order_id)
            c.repos.orders.drop_purge(marker)
            done.add(marker)
    return purged


def _purge(marker: PurgeMarker, periods: dict[tuple[str, str], int], today: str) -> int:
    """One order, one versioned write: 1 if its personal data was cleared, else 0 (none left: a duplicate
    marker or a second run). The order is judged by its own current status, not by the marker: one shipped
    and delivered since keeps its data for the delivery period, and a day moved later (a longer period
    configured since) gets a marker for that day, so no order is left without one."""
    r = composition.container().repos
    order = get_order(marker.order_id)
    if order is None or not holds_personal_data(order):
        return 0
    due = purge_on(order, periods)
    if due is None:
        return 0
    tx = r.store.tx()
    if due > today:
        r.orders.stage_purge(tx, PurgeMarker(due, order.order_id))
        tx.commit()
        return 0
    r.orders.stage(tx, without_personal_data(order), order.version)
    tx.commit()
    return 1

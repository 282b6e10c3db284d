"""배달서구 delivery orders and mall orders: priced by the server, paid in the same transaction that
records the order (and takes the stock), moved through their state machines, refunded in full on
rejection or cancellation in one transaction with the status change.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib import composition
from chalicelib.auth import Principal
from chalicelib.domain.dongs import is_dong
from chalicelib.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from chalicelib.domain.idempotency import StoredResponse, fingerprint, record_id, replay
from chalicelib.domain.ledger import MOVE_PAYMENT, MOVE_REFUND, Movement
from chalicelib.domain.merchant import MALLS
from chalicelib.domain.months import KST, kst_iso, month_of
from chalicelib.domain.orders import (
    DELIVERED,
    MALL_TRANSITIONS,
    ORDER_TRANSITIONS,
    PAID,
    PLACED,
    REFUNDING_ACTIONS,
    MenuItem,
    Order,
    Priced,
    Product,
    next_status,
    price_delivery,
    price_mall,
)
from chalicelib.domain.payment import PaymentOutcome, PaymentRequest, apply_payment, apply_refund
from chalicelib.domain.policy import CHANNEL_DELIVERY, CHANNEL_MALL
from chalicelib.handlers import budgets
from chalicelib.handlers.common import new_id, now, policy_in_force, retrying, to_json
from chalicelib.schemas import (
    MallOrderIn,
    MallOrderList,
    MallOrderOut,
    MallOrdersQuery,
    MenuIn,
    MenuItemOut,
    MenuOut,
    OrderIn,
    OrderLineOut,
    OrderList,
    OrderOut,
    OrdersQuery,
    ProductIn,
    ProductList,
    ProductOut,
    ShippingOut,
    TrackingOut,
)
from chalicelib.storage.dynamo import Loaded, Writes
from chalicelib.web import Result

KIND_DELIVERY = "delivery"
KIND_MALL = "mall"


# ---- presenting ------------------------------------------------------------------------------


def _lines(order: Order) -> list[OrderLineOut]:
    return [
        OrderLineOut(item_id=ln.item_id, name=ln.name, unit_price=ln.unit_price, quantity=ln.quantity, amount=ln.amount)
        for ln in order.lines
    ]


def order_out(o: Order) -> OrderOut:
    return OrderOut(
        order_id=o.order_id,
        merchant_id=o.merchant_id,
        status=o.status,  # type: ignore[arg-type]
        items=_lines(o),
        subtotal=o.subtotal,
        discount=o.discount,
        delivery_fee=o.fee,
        paid=o.paid,
        cashback=dict(o.cashback),
        created_at=o.created_at,
        payment_id=o.payment_id,
        dong=o.dong,
        address=o.address,
        request=o.request,
        eta_minutes=o.eta_minutes,
        reason=o.reason,
    )


def mall_order_out(o: Order) -> MallOrderOut:
    return MallOrderOut(
        order_id=o.order_id,
        mall=o.mall or "",
        seller_id=o.merchant_id,
        status=o.status,  # type: ignore[arg-type]
        items=_lines(o),
        subtotal=o.subtotal,
        discount=o.discount,
        shipping_fee=o.fee,
        paid=o.paid,
        cashback=dict(o.cashback),
        created_at=o.created_at,
        payment_id=o.payment_id,
        tracking=(
            TrackingOut(carrier=o.carrier, tracking_number=o.tracking_number)
            if o.carrier and o.tracking_number
            else None
        ),
        shipping=ShippingOut(**o.shipping) if o.shipping else None,
        consent_version=o.consent_version or "",
        consent_at=o.consent_at or "",
    )


def product_out(p: Product) -> ProductOut:
    return ProductOut(
        product_id=p.product_id, mall=p.mall, seller_id=p.seller_id, name=p.name, price=p.price, stock=p.stock,
        shipping_fee=p.shipping_fee,
    )


# ---- menus and products ----------------------------------------------------------------------


def put_menu(user: Principal, body: MenuIn) -> MenuOut:
    """Only merchants with delivery enabled keep a menu; item ids must be unique."""
    c = composition.container()
    merchant = c.store.get_merchant(user.merchant_id or "")
    if merchant is None:
        raise NotFound("no such merchant")
    if merchant.delivery is None:
        raise Forbidden("delivery is not enabled for this merchant")
    ids = [i.item_id for i in body.items]
    if len(set(ids)) != len(ids):
        raise ValidationFailed("items: item_id must be unique")
    items = [MenuItem(i.item_id, i.name, i.price, i.available) for i in body.items]
    c.store.put_menu(merchant.merchant_id, items, kst_iso(now()))
    return MenuOut(items=[MenuItemOut(**vars(i)) for i in items])


def get_menu(merchant_id: str) -> MenuOut:
    loaded = composition.container().store.load(merchant_id=merchant_id, menu_of=merchant_id)
    if loaded.merchant is None:
        raise NotFound("no such merchant")
    items = list((loaded.menu or {}).values())
    return MenuOut(items=[MenuItemOut(**vars(i)) for i in items])


def put_product(user: Principal, product_id: str, body: ProductIn) -> ProductOut:
    """A seller lists products only in malls it is approved for; an id another seller holds is 409."""
    c = composition.container()
    if body.mall not in MALLS:
        raise ValidationFailed(f"mall must be one of {', '.join(MALLS)}")
    merchant = c.store.get_merchant(user.merchant_id or "")
    if merchant is None or body.mall not in merchant.malls:
        raise Forbidden(f"this seller is not approved for {body.mall}")
    product = Product(
        mall=body.mall,
        product_id=product_id,
        seller_id=merchant.merchant_id,
        name=body.name,
        price=body.price,
        stock=body.stock,
        shipping_fee=body.shipping_fee,
        discount_rate=merchant.discount_rate if merchant.benefit_plus else 0,
    )
    c.store.put_product(product)
    return product_out(product)


def list_products(mall: str, limit: int, cursor: str | None) -> ProductList:
    if mall not in MALLS:
        raise NotFound("no such mall")
    page = composition.container().store.list_products(mall, limit, cursor)
    return ProductList(items=[product_out(p) for p in page.items], next=page.next)


# ---- placing ---------------------------------------------------------------------------------


def _pay(
    loaded: Loaded, user: Principal, merchant_id: str, benefit_plus: bool, priced: Priced, channel: str,
    use_cashback: bool, order_id: str, at: datetime,
) -> PaymentOutcome:
    assert loaded.wallet is not None and loaded.month is not None
    policy = policy_in_force(loaded.month.month)
    return apply_payment(
        loaded.wallet,
        loaded.month,
        policy,
        PaymentRequest(
            payment_id=new_id("pay"),
            user_id=user.sub,
            merchant_id=merchant_id,
            list_amount=priced.list_amount,
            discount=priced.discount,
            benefit_plus=benefit_plus,
            use_cashback=use_cashback,
            created_at=kst_iso(at),
            channel=channel,
            order_id=order_id,
        ),
        budget_left=budgets.left(policy, loaded.budget_used),
    )


def _writes_for_payment(loaded: Loaded, outcome: PaymentOutcome) -> Writes:
    assert loaded.wallet is not None and loaded.month is not None
    p = outcome.payment
    policy = policy_in_force(p.month)
    return Writes(
        wallets=[(outcome.wallet, loaded.wallet.version)],
        months=[(outcome.month, loaded.month.version)],
        payments=[(p, 0)],
        movements=[
            Movement(p.user_id, p.payment_id, MOVE_PAYMENT, p.payment_id, -p.from_charged, -p.from_cashback,
                     p.created_at, p.merchant_id, p.list_amount, p.discount)
        ],
        budget=budgets.changes(p.month, policy, loaded.budget_used, p.cashback),
    )


def place_order(user: Principal, body: OrderIn, key: str) -> Result:
    """Price from the merchant's own menu (discount on items, not on the delivery fee) and pay, with the
    order, in one transaction. Cashback as at a Benefit Plus merchant."""
    c = composition.container()
    idem_id = record_id(user.sub, "order", key)
    request_hash = fingerprint("/orders", body.model_dump())

    def attempt() -> Result:
        at = now()
        month = month_of(at)
        policy = policy_in_force(month)
        loaded = c.store.load(
            user_id=user.sub, month=month, merchant_id=body.merchant_id, idem_id=idem_id,
            budgets=(month, budgets.budgeted(policy)), menu_of=body.merchant_id,
        )
        if loaded.idem is not None:
            return Result(*replay(loaded.idem, request_hash))
        if loaded.wallet is None:
            raise NotFound("no wallet is open for this resident")
        merchant = loaded.merchant
        if merchant is None:
            raise NotFound("unknown merchant_id")
        if merchant.delivery is None:
            raise Conflict("this merchant does not deliver")
        dong = body.dong or loaded.wallet.dong
        if not is_dong(dong):
            raise ValidationFailed("dong: must be one of the 22 dongs of Seo-gu")
        if dong not in merchant.delivery.dongs:
            raise Conflict(f"this merchant does not deliver to {dong}")
        priced = price_delivery(
            loaded.menu or {},
            [(i.item_id, i.quantity) for i in body.items],
            fee=merchant.delivery.fee,
            min_order=merchant.delivery.min_order,
            discount_rate=merchant.discount_rate if merchant.benefit_plus else 0,
        )
        order_id = new_id("ord")
        outcome = _pay(loaded, user, merchant.merchant_id, merchant.benefit_plus, priced, CHANNEL_DELIVERY,
                       body.use_cashback, order_id, at)
        p = outcome.payment
        order = Order(
            order_id=order_id, kind=KIND_DELIVERY, user_id=user.sub, merchant_id=merchant.merchant_id,
            status=PLACED, lines=priced.lines, subtotal=priced.subtotal, discount=priced.discount, fee=priced.fee,
            paid=p.paid, payment_id=p.payment_id, cashback=dict(p.cashback), created_at=p.created_at, dong=dong,
            address=body.address, request=body.request, history=((PLACED, p.created_at),),
        )
        out = order_out(order).model_dump()
        writes = _writes_for_payment(loaded, outcome)
        writes.orders.append((order, 0))
        writes.idem = StoredResponse(idem_id, request_hash, 201, to_json(out))
        c.store.commit(writes, int(at.timestamp()))
        return Result(201, out)

    return retrying(attempt, user.sub)


def place_mall_order(user: Principal, body: MallOrderIn, key: str) -> Result:
    """Buy from one seller of a mall: needs the consent to hand name, phone and address to the seller
    (stored with its version and time); stock is taken in the same transaction as the payment."""
    c = composition.container()
    if body.mall not in MALLS:
        raise ValidationFailed(f"mall must be one of {', '.join(MALLS)}")
    if body.consent.third_party_provision is not True:
        raise ValidationFailed("consent.third_party_provision: the consent to provide shipping data is required")
    idem_id = record_id(user.sub, "mall-order", key)
    request_hash = fingerprint("/mall/orders", body.model_dump())

    def attempt() -> Result:
        at = now()
        month = month_of(at)
        policy = policy_in_force(month)
        loaded = c.store.load(
            user_id=user.sub, month=month, idem_id=idem_id, budgets=(month, budgets.budgeted(policy)),
            products=(body.mall, [i.product_id for i in body.items]),
        )
        if loaded.idem is not None:
            return _replay_with_shipping(*replay(loaded.idem, request_hash))
        if loaded.wallet is None:
            raise NotFound("no wallet is open for this resident")
        quantities = [(i.product_id, i.quantity) for i in body.items]
        seller, priced = price_mall(loaded.products, quantities)
        order_id = new_id("mord")
        benefit_plus = loaded.products[quantities[0][0]].discount_rate > 0
        outcome = _pay(loaded, user, seller, benefit_plus, priced, CHANNEL_MALL, body.use_cashback, order_id, at)
        p = outcome.payment
        stamp = p.created_at
        order = Order(
            order_id=order_id, kind=KIND_MALL, user_id=user.sub, merchant_id=seller, status=PAID,
            lines=priced.lines, subtotal=priced.subtotal, discount=priced.discount, fee=priced.fee, paid=p.paid,
            payment_id=p.payment_id, cashback=dict(p.cashback), created_at=stamp, mall=body.mall,
            shipping=body.shipping.model_dump(), consent_version=body.consent.version, consent_at=stamp,
            history=((PAID, stamp),),
        )
        out = mall_order_out(order).model_dump()
        writes = _writes_for_payment(loaded, outcome)
        writes.orders.append((order, 0))
        writes.stock.extend((body.mall, pid, -q) for pid, q in quantities)
        # The replay copy keeps no shipping data: name, phone and address live on the order alone.
        writes.idem = StoredResponse(idem_id, request_hash, 201, to_json({**out, "shipping": None}))
        c.store.commit(writes, int(at.timestamp()))
        return Result(201, out)

    return retrying(attempt, user.sub)


def _replay_with_shipping(status: int, body: Any) -> Result:
    """A replayed mall order gets its shipping data back from the order itself (one more read)."""
    order = composition.container().store.load(order_id=str(body.get("order_id", ""))).order
    shipping = mall_order_out(order).model_dump()["shipping"] if order is not None else None
    return Result(status, {**body, "shipping": shipping})


# ---- moving through the states ---------------------------------------------------------------


def _transition(order_id: str, kind: str, action: str, owner: Any, change: dict[str, Any]) -> Order:
    """Move an order by one transition; rejections and cancellations refund in full in the same
    transaction (counters and accruals reversed, budget given back, mall stock restored)."""
    c = composition.container()

    def attempt() -> Order:
        at = now()
        stamp = kst_iso(at)
        first = c.store.load(order_id=order_id)
        order = first.order
        if order is None or order.kind != kind or not owner(order):
            raise NotFound("no such order")
        transitions = ORDER_TRANSITIONS if kind == KIND_DELIVERY else MALL_TRANSITIONS
        status = next_status(transitions, action, order.status)
        moved = replace(order, status=status, history=(*order.history, (status, stamp)),
                        version=order.version + 1, **change)
        if status == DELIVERED:
            moved = replace(moved, delivered_at=stamp)
        writes = Writes(orders=[(moved, order.version)])
        if status == DELIVERED and kind == KIND_MALL:
            purge_on = (at.astimezone(KST) + timedelta(days=c.settings.shipping_purge_days)).date().isoformat()
            writes.purge_markers.append((purge_on, order.order_id))
        if action in REFUNDING_ACTIONS:
            _add_full_refund(order, writes, stamp)
            if kind == KIND_MALL:
                writes.stock.extend((order.mall or "", ln.item_id, ln.quantity) for ln in order.lines)
        c.store.commit(writes, int(at.timestamp()))
        return moved

    return retrying(attempt, order_id)


def _add_full_refund(order: Order, writes: Writes, stamp: str) -> None:
    c = composition.container()
    month = month_of(datetime.fromisoformat(order.created_at))
    policy = policy_in_force(month)
    loaded = c.store.load(user_id=order.user_id, month=month, payment_id=order.payment_id,
                          budgets=(month, budgets.budgeted(policy)))
    payment = loaded.payment
    if payment is None or loaded.wallet is None or loaded.month is None:
        raise NotFound("the order's payment is gone")
    if payment.refundable == 0:
        return  # the merchant already refunded it by hand
    outcome = apply_refund(payment, loaded.wallet, loaded.month, policy, None)
    p = outcome.payment
    writes.wallets.append((outcome.wallet, loaded.wallet.version))
    writes.months.append((outcome.month, loaded.month.version))
    writes.payments.append((p, payment.version))
    writes.movements.append(Movement(order.user_id, new_id("mv"), MOVE_REFUND, p.payment_id, outcome.to_charged,
                                     outcome.to_cashback, stamp, p.merchant_id))
    writes.budget.extend(budgets.changes(month, policy, loaded.budget_used, outcome.accruals))


def merchant_order_action(user: Principal, order_id: str, action: str, change: dict[str, Any]) -> OrderOut:
    """accept / dispatch / deliver / reject, on the merchant's own delivery orders only."""
    order = _transition(order_id, KIND_DELIVERY, action, lambda o: o.merchant_id == user.merchant_id, change)
    return order_out(order)


def cancel_order(user: Principal, order_id: str) -> OrderOut:
    order = _transition(order_id, KIND_DELIVERY, "cancel", lambda o: o.user_id == user.sub, {})
    return order_out(order)


def seller_mall_action(user: Principal, order_id: str, action: str, change: dict[str, Any]) -> MallOrderOut:
    order = _transition(order_id, KIND_MALL, action, lambda o: o.merchant_id == user.merchant_id, change)
    return mall_order_out(order)


def cancel_mall_order(user: Principal, order_id: str) -> MallOrderOut:
    order = _transition(order_id, KIND_MALL, "cancel", lambda o: o.user_id == user.sub, {})
    return mall_order_out(order)


# ---- reading ---------------------------------------------------------------------------------


def _own(order_id: str, kind: str, owner: Any) -> Order:
    order = composition.container().store.load(order_id=order_id).order
    if order is None or order.kind != kind or not owner(order):
        raise NotFound("no such order")
    return order


def get_order(user: Principal, order_id: str) -> OrderOut:
    return order_out(_own(order_id, KIND_DELIVERY, lambda o: o.user_id == user.sub))


def get_mall_order(user: Principal, order_id: str) -> MallOrderOut:
    return mall_order_out(_own(order_id, KIND_MALL, lambda o: o.user_id == user.sub))


def list_orders(user: Principal, query: OrdersQuery) -> OrderList:
    page = composition.container().store.list_orders_of_user(user.sub, KIND_DELIVERY, query.limit, query.next)
    return OrderList(items=[order_out(o) for o in page.items], next=page.next)


def list_merchant_orders(user: Principal, query: OrdersQuery) -> OrderList:
    page = composition.container().store.list_orders_of_merchant(
        user.merchant_id or "", KIND_DELIVERY, query.status, query.limit, query.next
    )
    return OrderList(items=[order_out(o) for o in page.items], next=page.next)


def list_seller_mall_orders(user: Principal, query: MallOrdersQuery) -> MallOrderList:
    """A seller sees the shipping name, phone and address of its own orders only."""
    page = composition.container().store.list_orders_of_merchant(
        user.merchant_id or "", KIND_MALL, query.status, query.limit, query.next
    )
    return MallOrderList(items=[mall_order_out(o) for o in page.items], next=page.next)


# ---- purging shipping data -------------------------------------------------------------------

PURGE_LOOKBACK_DAYS = 60


def purge_shipping_data() -> int:
    """Scheduled daily: remove the shipping name, phone and address of mall orders whose purge date
    (delivery + SHIPPING_PURGE_DAYS) has come. Looks back 60 days, so a missed run catches up."""
    c = composition.container()
    today = now().astimezone(KST).date()
    purged = 0
    for back in range(PURGE_LOOKBACK_DAYS, -1, -1):
        day = (today - timedelta(days=back)).isoformat()
        for order_id in c.store.purge_markers(day):
            def attempt(oid: str = order_id) -> None:
                order = c.store.load(order_id=oid).order
                if order is not None and order.shipping is not None:
                    c.store.commit(Writes(orders=[(replace(order, shipping=None, version=order.version + 1),
                                                   order.version)]), int(now().timestamp()))

            retrying(attempt, order_id)
            c.store.drop_purge_marker(day, order_id)
            purged += 1
    return purged

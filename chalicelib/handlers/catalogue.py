"""Delivery menus and mall products: merchants keep them, anyone signed in reads them."""

from __future__ import annotations

from chalicelib import composition
from chalicelib.domain.errors import Forbidden, NotFound, ValidationFailed
from chalicelib.domain.merchant import MALLS
from chalicelib.domain.months import kst_iso
from chalicelib.domain.orders import MenuItem, Product
from chalicelib.domain.ports.unit import Page
from chalicelib.handlers.common import now
from chalicelib.handlers.merchants import get_merchant


def put_menu(merchant_id: str, items: list[MenuItem]) -> list[MenuItem]:
    """Only merchants with delivery enabled keep a menu; item ids must be unique."""
    merchant = get_merchant(merchant_id)
    if merchant.delivery is None:
        raise Forbidden("delivery is not enabled for this merchant")
    ids = [i.item_id for i in items]
    if len(set(ids)) != len(ids):
        raise ValidationFailed("items: item_id must be unique")
    composition.container().repos.catalogue.put_menu(merchant.merchant_id, items, kst_iso(now()))
    return items


def get_menu(merchant_id: str) -> list[MenuItem]:
    """One read: the merchant (it must exist) and its menu (none yet: empty)."""
    r = composition.container().repos
    batch = r.store.batch()
    merchant = r.merchants.want(batch, merchant_id)
    menu = r.catalogue.want_menu(batch, merchant_id)
    batch.run()
    if merchant.value is None:
        raise NotFound("no such merchant")
    return list((menu.value or {}).values())


def put_product(seller_id: str, draft: Product) -> Product:
    """A seller lists products only in malls it is approved for; an id another seller holds is 409.
    The seller's Benefit Plus rate and name go with the product."""
    if draft.mall not in MALLS:
        raise ValidationFailed(f"mall must be one of {', '.join(MALLS)}")
    try:
        merchant = get_merchant(seller_id)
    except NotFound:
        merchant = None
    if merchant is None or draft.mall not in merchant.malls:
        raise Forbidden(f"this seller is not approved for {draft.mall}")
    product = Product(
        mall=draft.mall, product_id=draft.product_id, seller_id=merchant.merchant_id, name=draft.name,
        price=draft.price, stock=draft.stock, shipping_fee=draft.shipping_fee,
        discount_rate=merchant.discount_rate if merchant.benefit_plus else 0, seller_name=merchant.name,
    )  # fmt: skip
    composition.container().repos.catalogue.put_product(product)
    return product


def list_products(mall: str, limit: int, cursor: str | None) -> Page[Product]:
    if mall not in MALLS:
        raise NotFound("no such mall")
    return composition.container().repos.catalogue.products(mall, limit, cursor)


def seller_products(seller_id: str, mall: str | None, limit: int, cursor: str | None) -> Page[Product]:
    """A seller's own products (every mall, or one), one Query per page; the seller's id comes from its token."""
    if mall is not None and mall not in MALLS:
        raise ValidationFailed(f"mall must be one of {', '.join(MALLS)}")
    return composition.container().repos.catalogue.of_seller(seller_id, mall, limit, cursor)

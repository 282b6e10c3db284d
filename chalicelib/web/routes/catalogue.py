"""What shops sell: delivery menus and mall products."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.web.api import MERCHANTS, SIGNED_IN, Call, Routes
from chalicelib.web.schemas.common import PageQuery
from chalicelib.web.schemas.malls import ProductIn, ProductList, ProductOut, SellerProductsQuery
from chalicelib.web.schemas.orders import MenuIn, MenuItemOut, MenuOut

if TYPE_CHECKING:
    from chalicelib.domain.orders import MenuItem, Product

routes = Routes(__name__, "catalogue")


def menu_out(items: list[MenuItem]) -> MenuOut:
    return MenuOut(items=[MenuItemOut(item_id=i.item_id, name=i.name, price=i.price, available=i.available)
                          for i in items])


def product_out(p: Product) -> ProductOut:
    return ProductOut(
        product_id=p.product_id, mall=p.mall, seller_id=p.seller_id, name=p.name, price=p.price, stock=p.stock,
        shipping_fee=p.shipping_fee,
    )  # fmt: skip


@routes.route("/merchant/menu", "PUT", role=MERCHANTS, summary="Replace my delivery menu", body=MenuIn,
              response=MenuOut)
def put_menu(call: Call) -> MenuOut:
    from chalicelib.domain.orders import MenuItem
    from chalicelib.handlers import catalogue

    items = [MenuItem(i.item_id, i.name, i.price, i.available) for i in call.body.items]
    return menu_out(catalogue.put_menu(call.user.merchant_id or "", items))


@routes.route("/merchant/menu", "GET", role=MERCHANTS, summary="My delivery menu", response=MenuOut)
def my_menu(call: Call) -> MenuOut:
    from chalicelib.handlers import catalogue

    return menu_out(catalogue.get_menu(call.user.merchant_id or ""))


@routes.route("/merchants/{merchant_id}/menu", "GET", role=SIGNED_IN, summary="A merchant's menu", response=MenuOut)
def get_menu(call: Call) -> MenuOut:
    from chalicelib.handlers import catalogue

    return menu_out(catalogue.get_menu(call.params["merchant_id"]))


@routes.route("/merchant/products/{product_id}", "PUT", role=MERCHANTS, summary="List or update a product",
              body=ProductIn, response=ProductOut)
def put_product(call: Call) -> ProductOut:
    from chalicelib.domain.orders import Product
    from chalicelib.handlers import catalogue

    b = call.body
    draft = Product(b.mall, call.params["product_id"], "", b.name, b.price, b.stock, b.shipping_fee)
    return product_out(catalogue.put_product(call.user.merchant_id or "", draft))


@routes.route("/merchant/products", "GET", role=MERCHANTS, summary="My mall products", query=SellerProductsQuery,
              response=ProductList)
def my_products(call: Call) -> ProductList:
    from chalicelib.handlers import catalogue

    q = call.query
    page = catalogue.seller_products(call.user.merchant_id or "", q.mall, q.limit, q.next)
    return ProductList(items=[product_out(p) for p in page.items], next=page.next)


@routes.route("/malls/{mall}/products", "GET", role=SIGNED_IN, summary="What a mall has on sale", query=PageQuery,
              response=ProductList)
def mall_products(call: Call) -> ProductList:
    from chalicelib.handlers import catalogue

    page = catalogue.list_products(call.params["mall"], call.query.limit, call.query.next)
    return ProductList(items=[product_out(p) for p in page.items], next=page.next)

"""The reads the consoles make over the API: staff watch each program's monthly budget; a shop lists the
payments made to it (without the resident), its own mall products and its own menu. Each answer is one
batched read or one Query per page, of the caller's own data only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from chalicelib.domain.months import KST
from tests.support import BIZ, Env, new_key, race
from tests.unit.test_budgets import enter_budget_month

SHIPPING = {"name": "홍길동", "phone": "010-1234-5678", "address": "인천 서구 청라동 1", "postcode": "22742"}
CONSENT = {"third_party_provision": True, "version": "2020-01"}
MENU = {"items": [{"item_id": "tteok", "name": "떡볶이", "price": 4_500, "available": True},
                  {"item_id": "sundae", "name": "순대", "price": 5_000, "available": False}]}
PAYER = "rz9qx"
"""The resident who pays the shop: an id that no field of a payment could contain by chance."""
PAYMENT_FIELDS = {"payment_id", "merchant_id", "month", "list_amount", "discount", "paid", "refunded", "status",
                  "created_at", "channel", "order_id"}


def budgets(env: Env, query: str = "") -> tuple[int, Any]:
    return env.call("GET", f"/staff/budgets{query}", role="staff", sub="clerk")


def refund_all(env: Env, shop: str, payment_id: str) -> None:
    status, body = env.call("POST", f"/merchant/payments/{payment_id}/refunds", role="merchant", sub="o",
                            merchant_id=shop, body={}, key=new_key())
    assert status == 200, body


# ---- GET /staff/budgets ------------------------------------------------------------------------------


def test_staff_see_each_program_of_the_month_with_what_its_budget_granted_net_of_refunds(env: Env):
    shop = enter_budget_month(env, 10_000)          # June 2021: city-base has 10,000 won; gu-extra no budget
    env.open_wallet("a", charge=200_000)
    env.open_wallet("b", charge=200_000)
    _, pa = env.pay("a", shop, 100_000)              # 4,000 from city-base's budget
    env.pay("b", shop, 100_000)                      # 4,000 more
    status, body = budgets(env)
    assert status == 200, body
    assert body == {"month": "2021-06", "items": [
        {"program_id": "city-base", "funder": "incheon-city", "monthly_budget": 10_000, "used": 8_000,
         "remaining": 2_000},
        {"program_id": "gu-extra", "funder": "seo-gu", "monthly_budget": None, "used": 0, "remaining": None},
    ]}
    refund_all(env, shop, pa["payment_id"])          # gives its 4,000 back to the budget
    city = budgets(env, "?month=2021-06")[1]["items"][0]
    assert (city["used"], city["remaining"]) == (4_000, 6_000)
    assert city["used"] == env.repos.budgets.used("2021-06", "city-base")


def test_each_month_shows_its_own_policy_and_a_new_month_starts_with_the_whole_budget(env: Env):
    shop = enter_budget_month(env, 10_000)
    env.open_wallet("a", charge=200_000)
    env.pay("a", shop, 100_000)
    may = budgets(env, "?month=2021-05")[1]         # Season 2: three programs, none with a budget
    assert [(b["program_id"], b["monthly_budget"], b["used"], b["remaining"]) for b in may["items"]] == [
        ("city-base", None, 0, None), ("gu-extra", None, 0, None), ("benefit-plus", None, 0, None)]
    july = budgets(env, "?month=2021-07")[1]        # June's policy stays in force; July's slices are untouched
    assert july["month"] == "2021-07"
    assert july["items"][0] == {"program_id": "city-base", "funder": "incheon-city", "monthly_budget": 10_000,
                                "used": 0, "remaining": 10_000}


def test_without_a_month_the_budgets_are_this_kst_month_s_read_in_one_batch(env: Env):
    enter_budget_month(env, 10_000)
    env.clock.set(datetime(2021, 6, 30, 15, 30, tzinfo=UTC))   # 00:30 KST on 1 July
    racing = race(None)
    status, body = budgets(env)
    assert (status, body["month"], racing.reads) == (200, "2021-07", 1)


def test_a_month_before_any_policy_is_invalid_state_and_a_malformed_month_is_refused(env: Env):
    status, body = budgets(env, "?month=2019-12")
    assert (status, body["error"]["code"]) == (409, "INVALID_STATE")
    for month in ("2021-13", "1999-12", "2021-6"):
        status, body = budgets(env, f"?month={month}")
        assert (status, body["error"]["code"]) == (400, "VALIDATION_ERROR"), month
        assert "month must be YYYY-MM" in body["error"]["message"]


# ---- GET /merchant/payments --------------------------------------------------------------------------


def shop_world(env: Env) -> tuple[str, str, dict[str, Any]]:
    """A Benefit Plus shop that delivers and sells in a mall, paid in each way, and another shop paid once."""
    shop = env.register_merchant(benefit_plus=True, rate=5, number=BIZ[1], malls=["only-seogu"],
                                 delivery={"fee": 2_000, "min_order": 5_000, "dongs": ["청라1동"]})
    other = env.register_merchant(number=BIZ[0])
    owner: dict[str, Any] = {"role": "merchant", "sub": "o", "merchant_id": shop}
    assert env.call("PUT", "/merchant/menu", body=MENU, **owner)[0] == 200
    assert env.call("PUT", "/merchant/products/rice", body={"mall": "only-seogu", "name": "쌀", "price": 20_000,
                                                           "stock": 5, "shipping_fee": 3_000}, **owner)[0] == 200
    env.clock.set(datetime(2020, 3, 2, 10, 0, tzinfo=KST))
    env.open_wallet(PAYER, charge=500_000)
    made: dict[str, Any] = {}
    made["store"] = env.pay(PAYER, shop, 10_000)[1]
    env.clock.set(datetime(2020, 3, 2, 10, 5, tzinfo=KST))
    status, made["delivery"] = env.call("POST", "/orders", role="resident", sub=PAYER, key=new_key(), body={
        "merchant_id": shop, "items": [{"item_id": "tteok", "quantity": 2}], "address": "청라동 1-1"})
    assert status == 201, made["delivery"]
    env.clock.set(datetime(2020, 3, 2, 10, 10, tzinfo=KST))
    status, made["mall"] = env.call("POST", "/mall/orders", role="resident", sub=PAYER, key=new_key(), body={
        "mall": "only-seogu", "items": [{"product_id": "rice", "quantity": 1}], "shipping": SHIPPING,
        "consent": CONSENT})
    assert status == 201, made["mall"]
    env.clock.set(datetime(2020, 3, 2, 10, 15, tzinfo=KST))
    made["other"] = env.pay(PAYER, other, 7_000)[1]
    env.clock.set(datetime(2020, 4, 1, 9, 0, tzinfo=KST))
    made["april"] = env.pay(PAYER, shop, 30_000)[1]
    return shop, other, made


def shop_payments(env: Env, shop: str, query: str = "") -> tuple[int, Any]:
    return env.call("GET", f"/merchant/payments{query}", role="merchant", sub="o", merchant_id=shop)


def test_a_shop_lists_the_payments_made_to_it_newest_first_by_every_channel_without_the_resident(env: Env):
    shop, other, made = shop_world(env)
    status, body = shop_payments(env, shop)
    assert status == 200, body
    assert body["next"] is None
    items = body["items"]
    assert [p["payment_id"] for p in items] == [made["april"]["payment_id"], made["mall"]["payment_id"],
                                                made["delivery"]["payment_id"], made["store"]["payment_id"]]
    assert [(p["channel"], p["order_id"]) for p in items] == [
        ("store", None), ("mall", made["mall"]["order_id"]), ("delivery", made["delivery"]["order_id"]),
        ("store", None)]
    for p in items:
        assert set(p) == PAYMENT_FIELDS and p["merchant_id"] == shop
        assert PAYER not in str(p)                   # neither the resident's id nor anything else of theirs
    store = items[3]
    assert {k: store[k] for k in ("list_amount", "discount", "paid", "refunded", "status", "month")} == {
        "list_amount": 10_000, "discount": 500, "paid": 9_500, "refunded": 0, "status": "approved",
        "month": "2020-03"}
    # what the payer saw, less how the wallet paid it and what it earned (the resident's business, not the shop's)
    assert {k: store[k] for k in PAYMENT_FIELDS - {"channel", "order_id"}} == {
        k: v for k, v in made["store"].items() if k not in ("from_cashback", "from_charged", "cashback")}
    assert items[1]["paid"] == made["mall"]["paid"] and items[2]["paid"] == made["delivery"]["paid"]
    assert [p["payment_id"] for p in shop_payments(env, other)[1]["items"]] == [made["other"]["payment_id"]]


def test_a_month_filter_keeps_that_month_and_pages_yield_each_payment_once(env: Env):
    shop, _, made = shop_world(env)
    march = shop_payments(env, shop, "?month=2020-03")[1]["items"]
    assert [p["channel"] for p in march] == ["mall", "delivery", "store"]
    assert shop_payments(env, shop, "?month=2020-05")[1] == {"items": [], "next": None}
    first = shop_payments(env, shop, "?limit=3")[1]
    assert len(first["items"]) == 3 and first["next"]
    rest = shop_payments(env, shop, f"?limit=3&next={quote(first['next'])}")[1]
    assert rest["next"] is None
    assert [p["payment_id"] for p in first["items"] + rest["items"]] == [
        made[k]["payment_id"] for k in ("april", "mall", "delivery", "store")]


def test_a_refund_shows_on_the_shop_s_list_and_another_shop_s_cursor_or_a_bad_month_is_refused(env: Env):
    shop, other, made = shop_world(env)
    status, _ = env.call("POST", f"/merchant/payments/{made['store']['payment_id']}/refunds", role="merchant",
                         sub="o", merchant_id=shop, body={"amount": 2_000}, key=new_key())
    assert status == 200
    store = shop_payments(env, shop, "?month=2020-03")[1]["items"][-1]
    assert (store["refunded"], store["status"]) == (2_000, "partially_refunded")
    cursor = shop_payments(env, shop, "?limit=1")[1]["next"]
    status, body = shop_payments(env, other, f"?next={quote(cursor)}")
    assert (status, body["error"]["code"]) == (400, "VALIDATION_ERROR")
    status, body = shop_payments(env, shop, "?month=2020-3")
    assert (status, body["error"]["code"]) == (400, "VALIDATION_ERROR")


# ---- GET /merchant/products and GET /merchant/menu ---------------------------------------------------


def put_product(env: Env, seller: str, mall: str, product_id: str, price: int) -> None:
    status, body = env.call("PUT", f"/merchant/products/{product_id}", role="merchant", sub="o", merchant_id=seller,
                            body={"mall": mall, "name": product_id, "price": price, "stock": 7, "shipping_fee": 0})
    assert status == 200, body


def my_products(env: Env, seller: str, query: str = "") -> tuple[int, Any]:
    return env.call("GET", f"/merchant/products{query}", role="merchant", sub="o", merchant_id=seller)


def test_a_seller_lists_its_own_products_of_every_mall_or_of_one_and_nobody_else_s(env: Env):
    seller = env.register_merchant(number=BIZ[0], malls=["only-seogu", "yumyum"], food_complex=True)
    other = env.register_merchant(number=BIZ[1], malls=["only-seogu"])
    put_product(env, seller, "yumyum", "kimchi", 9_000)
    put_product(env, seller, "only-seogu", "rice", 20_000)
    put_product(env, seller, "only-seogu", "apple", 15_000)
    put_product(env, other, "only-seogu", "pear", 12_000)
    status, body = my_products(env, seller)
    assert status == 200, body
    assert [(p["mall"], p["product_id"]) for p in body["items"]] == [
        ("only-seogu", "apple"), ("only-seogu", "rice"), ("yumyum", "kimchi")]
    assert body["items"][1] == {"product_id": "rice", "mall": "only-seogu", "seller_id": seller, "name": "rice",
                                "price": 20_000, "stock": 7, "shipping_fee": 0}
    assert body["next"] is None
    assert [p["product_id"] for p in my_products(env, seller, "?mall=yumyum")[1]["items"]] == ["kimchi"]
    assert [p["product_id"] for p in my_products(env, other)[1]["items"]] == ["pear"]
    first = my_products(env, seller, "?limit=2")[1]
    rest = my_products(env, seller, f"?limit=2&next={quote(first['next'])}")[1]
    assert [p["product_id"] for p in first["items"] + rest["items"]] == ["apple", "rice", "kimchi"]
    assert rest["next"] is None
    status, body = my_products(env, seller, "?mall=nowhere")
    assert (status, body["error"]["code"]) == (400, "VALIDATION_ERROR")


def test_a_shop_reads_its_own_menu_as_residents_see_it_and_a_shop_without_one_reads_none(env: Env):
    shop = env.register_merchant(number=BIZ[0], delivery={"fee": 0, "min_order": 0, "dongs": ["청라1동"]})
    plain = env.register_merchant(number=BIZ[1])
    assert env.call("PUT", "/merchant/menu", role="merchant", sub="o", merchant_id=shop, body=MENU)[0] == 200
    status, body = env.call("GET", "/merchant/menu", role="merchant", sub="o", merchant_id=shop)
    assert (status, body) == (200, MENU)
    assert env.call("GET", f"/merchants/{shop}/menu", role="resident", sub="ann")[1] == body
    assert env.call("GET", "/merchant/menu", role="merchant", sub="p", merchant_id=plain) == (200, {"items": []})

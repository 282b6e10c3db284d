"""One history of every wallet movement with the balances right after each (`GET /history`), a month of it as
CSV (`GET /history.csv`), and the yearly usage statement for the income deduction (`GET /me/usage-statement`).
The rules as pure functions: test_history_rules.py."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from chalicelib import composition
from chalicelib.domain.ledger import Movement
from chalicelib.domain.months import KST
from chalicelib.handlers import payments
from tests import support
from tests.support import BIZ, Env, new_key, race

MENU = {"items": [{"item_id": "tteok", "name": "떡볶이", "price": 5_000, "available": True}]}
SHIPPING = {"name": "홍길동", "phone": "010-1234-5678", "address": "인천 서구 청라동 1", "postcode": "22742"}
CONSENT = {"third_party_provision": True, "version": "2020-01"}


def at(month: int, day: int, hour: int = 12, minute: int = 0, year: int = 2020) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=KST)


def history(env: Env, sub: str, query: str = "") -> dict[str, Any]:
    status, body = env.call("GET", f"/history{query}", role="resident", sub=sub)
    assert status == 200, body
    return dict(body)


def everything(env: Env, sub: str, month: str | None = None) -> list[dict[str, Any]]:
    """Every line of the history, walking its pages (newest first)."""
    items: list[dict[str, Any]] = []
    query = f"?limit=3{f'&month={month}' if month else ''}"
    while True:
        page = history(env, sub, query)
        items += page["items"]
        if page["next"] is None:
            return items
        query = f"?limit=3&next={page['next']}{f'&month={month}' if month else ''}"


def assert_each_balance_is_the_running_sum(env: Env, sub: str) -> list[dict[str, Any]]:
    """Oldest first, each line's balance is the sum of every movement up to it; the newest is the wallet."""
    lines = everything(env, sub)
    charged = cashback = 0
    for line in reversed(lines):
        charged += line["charged"]
        cashback += line["cashback"]
        assert line["balance"] == {"charged": charged, "cashback": cashback}, line
    wallet = env.wallet(sub)
    assert lines[0]["balance"] == {"charged": wallet["charged_balance"], "cashback": wallet["cashback_balance"]}
    return lines


def charge(env: Env, sub: str, amount: int) -> None:
    status, body = env.call("POST", "/wallet/charges", role="resident", sub=sub, body={"amount": amount},
                            key=new_key())
    assert status == 201, body


def refund(env: Env, shop: str, payment_id: str, amount: int | None = None) -> None:
    status, body = env.call("POST", f"/merchant/payments/{payment_id}/refunds", role="merchant", sub="owner",
                            merchant_id=shop, body={} if amount is None else {"amount": amount}, key=new_key())
    assert status == 200, body


def delivery_shop(env: Env) -> str:
    shop = env.register_merchant(number=BIZ[1], name="청라 분식", benefit_plus=True, rate=5,
                                 delivery={"fee": 2_000, "min_order": 5_000, "dongs": ["청라1동"]})
    assert env.call("PUT", "/merchant/menu", role="merchant", sub="o", merchant_id=shop, body=MENU)[0] == 200
    return shop


def mall_seller(env: Env) -> str:
    seller = env.register_merchant(number=BIZ[2], name="서구 농부", malls=["only-seogu"])
    status, body = env.call("PUT", "/merchant/products/rice", role="merchant", sub="s", merchant_id=seller,
                            body={"mall": "only-seogu", "name": "쌀 10kg", "price": 30_000, "stock": 5,
                                  "shipping_fee": 3_000})
    assert status == 200, body
    return seller


def order(env: Env, sub: str, shop: str) -> dict[str, Any]:
    status, body = env.call("POST", "/orders", role="resident", sub=sub, key=new_key(), body={
        "merchant_id": shop, "items": [{"item_id": "tteok", "quantity": 2}], "address": "청라동 1-1"})
    assert status == 201, body
    return dict(body)


def mall_order(env: Env, sub: str) -> dict[str, Any]:
    status, body = env.call("POST", "/mall/orders", role="resident", sub=sub, key=new_key(), body={
        "mall": "only-seogu", "items": [{"product_id": "rice", "quantity": 1}], "shipping": SHIPPING,
        "consent": CONSENT})
    assert status == 201, body
    return dict(body)


def csv_of(env: Env, sub: str, month: str | None) -> Any:
    """The raw answer of `GET /history.csv` (not JSON)."""
    path = "/history.csv" + (f"?month={month}" if month else "")
    return env.client.http.get(path, headers=env.headers("resident", sub))


# ---- the history ---------------------------------------------------------------------------------


def test_a_mixed_history_lists_every_movement_newest_first_each_with_the_running_balance_after_it(env: Env):
    shop = env.register_merchant(number=BIZ[0], name="서구 정육점")
    food = delivery_shop(env)
    mall_seller(env)
    env.clock.set(at(3, 2))
    env.open_wallet("ann", charge=300_000)
    _, paid = env.pay("ann", shop, 100_000)  # the same second as the charge: listed after it
    env.clock.set(at(3, 3))
    refund(env, shop, paid["payment_id"], 30_000)
    delivery = order(env, "ann", food)
    bought = mall_order(env, "ann")
    env.clock.set(at(3, 4))
    assert env.call("POST", f"/orders/{delivery['order_id']}/cancel", role="resident", sub="ann")[0] == 200
    assert env.call("POST", f"/mall/orders/{bought['order_id']}/cancel", role="resident", sub="ann")[0] == 200
    _, again = env.pay("ann", shop, 50_000)
    env.clock.set(at(4, 1, 1))
    env.settle("2020-03")
    env.clock.set(at(4, 2))
    status, gift = env.call("POST", "/donations", role="resident", sub="ann", body={"amount": 500}, key=new_key())
    assert status == 201, gift
    _, with_cashback = env.pay("ann", shop, 10_000)

    lines = assert_each_balance_is_the_running_sum(env, "ann")
    assert [line["type"] for line in lines] == [
        "payment", "donation", "cashback_credit", "payment", "mall_order_refund", "order_refund", "mall_order",
        "order", "refund", "payment", "charge"]
    assert lines[0]["ref_id"] == with_cashback["payment_id"] and lines[0]["cashback"] < 0 < lines[2]["cashback"]
    assert (lines[3]["ref_id"], lines[3]["charged"]) == (again["payment_id"], -50_000)
    assert lines[2]["ref_id"] == "settlement:2020-03" and lines[1]["ref_id"] == gift["donation_id"]
    assert [line["merchant_name"] for line in lines[4:10]] == ["서구 농부", "청라 분식", "서구 농부", "청라 분식",
                                                               "서구 정육점", "서구 정육점"]
    assert lines[8]["merchant_id"] == shop and lines[8]["charged"] == 30_000
    assert lines[-1]["merchant_id"] is None and lines[-1]["at"] == "2020-03-02T12:00:00+09:00"


def test_concurrent_payments_each_show_the_balance_they_left(env: Env):
    env.open_wallet("ann", charge=100_000)
    shop = env.register_merchant(number=BIZ[0])
    racing = race(lambda: payments.pay("ann", shop, 7_000, True, "racer"))
    payments.pay("ann", shop, 3_000, True, "first")
    assert racing.reads >= 3  # the first attempt lost the race, read again and was written after the racer

    def pay(i: int) -> None:
        payments.pay("ann", shop, 1_000 + i, True, f"burst-{i}")

    threads = [threading.Thread(target=pay, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = assert_each_balance_is_the_running_sum(env, "ann")  # all in one second of the test's clock
    assert len(lines) == 11 and lines[0]["balance"]["charged"] == 100_000 - 10_000 - sum(1_000 + i for i in range(8))
    assert [line["charged"] for line in lines[-3:]] == [-3_000, -7_000, 100_000]


def test_the_history_of_a_month_pages_through_its_movements_only(env: Env):
    shop = env.register_merchant(number=BIZ[0])
    env.clock.set(at(2, 29, 23, 59))
    env.open_wallet("ann", charge=100_000)
    env.clock.set(at(3, 1, 0, 0))  # KST: March, although UTC still says February
    for amount in (1_000, 2_000, 3_000, 4_000):
        env.pay("ann", shop, amount)
    env.clock.set(at(4, 1, 0, 0))
    env.pay("ann", shop, 5_000)

    march = everything(env, "ann", "2020-03")
    assert [line["charged"] for line in march] == [-4_000, -3_000, -2_000, -1_000]
    assert [line["charged"] for line in everything(env, "ann", "2020-02")] == [100_000]
    first = history(env, "ann", "?month=2020-03&limit=2")
    assert len(first["items"]) == 2 and first["next"] is not None
    status, body = env.call("GET", f"/history?month=2020-04&next={first['next']}", role="resident", sub="ann")
    assert (status, body["error"]["code"]) == (400, "VALIDATION_ERROR")
    status, body = env.call("GET", f"/history?month=2020-03&next={first['next']}", role="resident", sub="bob")
    assert (status, body["error"]["code"]) == (400, "VALIDATION_ERROR")
    for bad in ("?month=2020-13", "?month=2020-3", "?limit=0", "?limit=101", "?next=garbage"):
        status, body = env.call("GET", f"/history{bad}", role="resident", sub="ann")
        assert (status, body["error"]["code"]) == (400, "VALIDATION_ERROR"), bad


def test_a_resident_sees_only_their_own_movements_and_none_before_opening_a_wallet(env: Env):
    env.open_wallet("ann", charge=10_000)
    assert history(env, "bob") == {"items": [], "next": None}
    assert len(history(env, "ann")["items"]) == 1


def test_a_movement_recorded_before_balances_were_kept_shows_no_balance_and_empty_csv_cells(env: Env):
    env.open_wallet("ann", charge=10_000)
    r = composition.container().repos
    tx = r.store.tx()
    r.wallets.stage_movement(tx, Movement("ann", "mv_old", "payment", "pay_old", -2_000, 0, "2020-03-01T09:00:00+09:00",
                                          merchant_id="m-old"))
    tx.commit()
    lines = history(env, "ann")["items"]
    assert (lines[1]["type"], lines[1]["balance"], lines[1]["merchant_name"]) == ("payment", None, None)
    assert lines[0]["balance"] == {"charged": 10_000, "cashback": 0}
    rows = csv_of(env, "ann", "2020-03").body.decode("utf-8-sig").split("\r\n")
    assert rows[1] == "2020-03-01T09:00:00+09:00,payment,pay_old,-2000,0,,,"


# ---- the CSV -------------------------------------------------------------------------------------


def test_a_month_as_csv_is_utf8_with_a_bom_oldest_first_quoted_and_safe_from_formulas(env: Env):
    plain = env.register_merchant(number=BIZ[0], name="빵집, \"서구\" 본점")
    evil = env.register_merchant(number=BIZ[1], name="=HYPERLINK(\"http://x\")")
    env.clock.set(at(3, 2))
    env.open_wallet("ann", charge=100_000)
    env.clock.set(at(3, 3))
    _, bread = env.pay("ann", plain, 8_000)
    env.clock.set(at(3, 4))
    _, trap = env.pay("ann", evil, 1_500)
    env.clock.set(at(4, 1))
    env.pay("ann", plain, 1_000)  # April: not in March's file

    answer = csv_of(env, "ann", "2020-03")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert answer.headers["Content-Disposition"] == 'attachment; filename="seoro-history-2020-03.csv"'
    assert answer.body[:3] == b"\xef\xbb\xbf"
    rows = answer.body[3:].decode("utf-8").split("\r\n")
    assert rows == [
        "at,type,ref_id,charged,cashback,balance_charged,balance_cashback,merchant_name",
        f"2020-03-02T12:00:00+09:00,charge,{history(env, 'ann', '?month=2020-03')['items'][-1]['ref_id']},"
        "100000,0,100000,0,",
        f"2020-03-03T12:00:00+09:00,payment,{bread['payment_id']},-8000,0,92000,0,\"빵집, \"\"서구\"\" 본점\"",
        f"2020-03-04T12:00:00+09:00,payment,{trap['payment_id']},-1500,0,90500,0,\"'=HYPERLINK(\"\"http://x\"\")\"",
        "",
    ]


def test_the_csv_needs_a_month_and_refuses_in_the_json_error_shape(env: Env):
    env.open_wallet("ann")
    for query in ("", "?month=2020-00", "?month=March"):
        status, body = env.call("GET", f"/history.csv{query}", role="resident", sub="ann")
        assert (status, body["error"]["code"]) == (400, "VALIDATION_ERROR"), query
    status, body = env.call("GET", "/history.csv?month=2020-03", role="merchant", sub="m", merchant_id="m-1")
    assert (status, body["error"]["code"]) == (403, "FORBIDDEN")
    empty = csv_of(env, "ann", "2020-03")
    assert empty.body.decode("utf-8") == "\ufeffat,type,ref_id,charged,cashback,balance_charged,balance_cashback," \
                                        "merchant_name\r\n"


def test_a_month_of_more_movements_than_one_page_is_all_in_its_csv(env: Env, monkeypatch: Any):
    from chalicelib.handlers import history as use_cases

    monkeypatch.setattr(use_cases, "CSV_PAGE", 2)
    env.open_wallet("ann", charge=100_000)
    shop = env.register_merchant(number=BIZ[0])
    for i in range(5):
        env.clock.set(at(3, 11, 10, i))
        env.pay("ann", shop, 1_000 + i)
    rows = csv_of(env, "ann", "2020-03").body.decode("utf-8-sig").split("\r\n")[1:-1]
    assert [row.split(",")[3] for row in rows] == ["100000", "-1000", "-1001", "-1002", "-1003", "-1004"]


# ---- the usage statement -------------------------------------------------------------------------


def usage(env: Env, sub: str, year: int | None = None) -> dict[str, Any]:
    status, body = env.call("GET", "/me/usage-statement" + (f"?year={year}" if year else ""), role="resident",
                            sub=sub)
    assert status == 200, body
    return dict(body)


def test_the_usage_statement_counts_charged_spend_with_fees_by_month_and_refunds_in_their_own_month(env: Env):
    shop = env.register_merchant(number=BIZ[0])
    food = delivery_shop(env)
    mall_seller(env)
    env.clock.set(at(3, 2))
    env.open_wallet("ann", charge=300_000)
    support.grant_cashback(env.repos, "ann", 2_000, "2020-03-02T12:00:00+09:00")
    _, paid = env.pay("ann", shop, 10_000)  # 2,000 from cashback: not usage
    delivery = order(env, "ann", food)  # 10,000 − 5 % + 2,000 delivery fee
    bought = mall_order(env, "ann")  # 30,000 + 3,000 shipping
    env.call("POST", "/donations", role="resident", sub="ann", body={"amount": 100}, key=new_key())
    env.clock.set(at(4, 5))
    refund(env, shop, paid["payment_id"], 5_000)  # a March payment refunded in April
    assert env.call("POST", f"/mall/orders/{bought['order_id']}/cancel", role="resident", sub="ann")[0] == 200
    charge(env, "ann", 10_000)

    s = usage(env, "ann", 2020)
    assert s["year"] == 2020 and [m["month"] for m in s["months"]] == [f"2020-{n:02d}" for n in range(1, 13)]
    march, april = s["months"][2], s["months"][3]
    assert (paid["from_charged"], delivery["paid"], bought["paid"]) == (8_000, 11_500, 33_000)
    assert march == {"month": "2020-03", "paid": 8_000 + 11_500 + 33_000, "refunded": 0, "net": 52_500}
    assert april == {"month": "2020-04", "paid": 0, "refunded": 5_000 + 33_000, "net": -38_000}
    assert all(m["net"] == 0 for m in s["months"][:2] + s["months"][4:])
    assert s["total"] == 52_500 - 38_000


def test_a_year_with_only_refunds_of_last_year_s_payments_totals_zero_and_the_default_is_this_year(env: Env):
    shop = env.register_merchant(number=BIZ[0])
    env.clock.set(at(12, 30, year=2020))
    env.open_wallet("ann", charge=100_000)
    _, paid = env.pay("ann", shop, 40_000)
    env.clock.set(at(1, 2, year=2021))
    refund(env, shop, paid["payment_id"])
    this_year = usage(env, "ann")
    assert this_year["year"] == 2021 and this_year["months"][0]["net"] == -40_000 and this_year["total"] == 0
    assert usage(env, "ann", 2020)["total"] == 40_000
    assert usage(env, "bob", 2020)["total"] == 0
    for bad in ("?year=1999", "?year=3000", "?year=twenty"):
        status, body = env.call("GET", f"/me/usage-statement{bad}", role="resident", sub="ann")
        assert (status, body["error"]["code"]) == (400, "VALIDATION_ERROR"), bad


def test_the_document_describes_the_csv_as_a_text_csv_file_and_its_refusals_as_json():
    import app  # noqa: F401  (declares every area's routes)
    from chalicelib.web.api import declared
    from chalicelib.web.openapi import build

    op = build(declared(), include_local=False)["paths"]["/history.csv"]["get"]
    assert list(op["responses"]["200"]["content"]) == ["text/csv"]
    assert op["responses"]["200"]["content"]["text/csv"]["schema"] == {"type": "string"}
    assert all(list(op["responses"][s]["content"]) == ["application/json"] for s in ("400", "401", "403"))
    assert [(p["name"], p["required"]) for p in op["parameters"]] == [("month", True)]


def test_a_mall_order_of_a_product_listed_before_names_were_kept_still_names_its_seller(env: Env):
    from dataclasses import replace

    seller = mall_seller(env)
    r = composition.container().repos
    listed = r.catalogue.products("only-seogu", 10, None).items[0]
    assert listed.seller_name == "서구 농부"
    r.catalogue.put_product(replace(listed, seller_name=""))  # as a listing made before issue 15 reads back
    env.open_wallet("ann", charge=100_000)
    bought = mall_order(env, "ann")
    line = history(env, "ann")["items"][0]
    assert (line["type"], line["charged"], line["merchant_id"], line["merchant_name"]) == (
        "mall_order", -bought["paid"], seller, "서구 농부")

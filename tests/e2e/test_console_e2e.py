"""The console as a person uses it, in headless Chromium (Debian's, driven by Playwright), against the shared
local stack: its console server (devstack/console_server.py) serves the built app and forwards /api to the API.

The world is made once over the API, with the local clock: a budgeted policy for 2022-04 and 2022-05 (2022-06
gets Season 2 back, so later months are unchanged), a shop that delivers and sells in a mall, three residents
in three dongs paying it in both months, both months settled. No other e2e test uses those months. The clock is
always given back. One browser for the module; each test opens its own context (a fresh sessionStorage).

`make screenshots` runs the photographing test with CONSOLE_SCREENSHOTS=docs/console (else they go to a
temporary directory): the README's pictures are the pages this test checked.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, expect, sync_playwright

from devstack.token import mint
from tests.e2e.conftest import Http, LocalStack, unique
from tests.support import ROOT, SEASON2_PROGRAMS, business_number

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
BUDGETED, MONTH, RESTORED = "2022-04", "2022-05", "2022-06"
NOTICES_BUCKET = "seoro-notices-local"
SETTLE_TIMEOUT = 120.0
LIVE_WITHIN_MS = 10_000
BUDGETS = {"city-base": 60_000, "gu-extra": 12_000, "benefit-plus": 40_000}  # none runs out
LIMITS = {"monthly_charge_limit": 1_000_000, "balance_limit": 2_000_000}
MENU = [{"item_id": "tteok", "name": "떡볶이", "price": 4_500, "available": True},
        {"item_id": "kimbap", "name": "김밥", "price": 3_000, "available": True},
        {"item_id": "sundae", "name": "순대", "price": 5_000, "available": False}]
SHIPPING = {"name": "홍길동", "phone": "010-1234-5678", "address": "인천 서구 청라동 1-1", "postcode": "22742"}
# each resident's dong and what they pay the shop in each month
RESIDENTS: dict[str, tuple[str, dict[str, int]]] = {
    "alice": ("청라1동", {BUDGETED: 120_000, MONTH: 250_000}),
    "bob": ("가정2동", {BUDGETED: 90_000, MONTH: 180_000}),
    "carol": ("검단동", {MONTH: 420_000}),
}


def won(amount: int) -> str:
    """As the console writes an amount: thousands separators and 원."""
    return f"{amount:,}원"


def kst_month(offset: int = 0) -> str:
    now = time.gmtime(time.time() + 9 * 3600)
    index = now.tm_year * 12 + now.tm_mon - 1 + offset
    return f"{index // 12}-{index % 12 + 1:02d}"


def ok(result: tuple[int, Any], *expected: int) -> Any:
    status, body = result
    assert status in (expected or (200,)), (status, body)
    return body


@dataclass
class World:
    """What the module made over the API, and the tokens the browser signs in with."""

    shop_id: str
    staff_token: str
    chief_token: str
    shop_token: str
    alice: Http
    shop: Http
    mall_order_id: str
    settled: dict[str, Any]
    tokens: list[str]


def settle(staff: Http, month: str) -> dict[str, Any]:
    ok(staff.call("POST", "/staff/settlements", {"month": month}), 202)
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while time.monotonic() < deadline:
        run = ok(staff.call("GET", f"/staff/settlements/{month}"))
        if run["status"] in ("completed", "failed"):
            assert run["status"] == "completed", run
            return dict(run)
        time.sleep(0.5)
    raise AssertionError(f"the settlement of {month} did not complete within {SETTLE_TIMEOUT:.0f} s")


def make_world(stack: LocalStack) -> World:
    staff_sub, chief_sub = unique("console-clerk"), unique("console-chief")
    staff, chief = Http(stack, "staff", staff_sub), Http(stack, "staff", chief_sub)
    shop_id = ok(staff.call("POST", "/staff/merchants", {
        "name": "청라 분식 (콘솔)", "business_number": business_number(uuid.uuid4().int % 10**9), "dong": "청라1동",
        "category": "restaurant", "benefit_plus": True, "discount_rate": 5, "malls": ["only-seogu"],
        "delivery": {"fee": 2_000, "min_order": 10_000, "dongs": ["청라1동", "청라2동"]}}), 201)["merchant_id"]
    shop = Http(stack, "merchant", unique("console-owner"), merchant_id=shop_id)
    ok(shop.call("PUT", "/merchant/menu", {"items": MENU}))
    for product, name, price in (("rice-10kg", "서구 쌀 10kg", 30_000), ("sesame-oil", "참기름 350ml", 12_000)):
        ok(shop.call("PUT", f"/merchant/products/{product}-{shop_id[-6:]}", {
            "mall": "only-seogu", "name": name, "price": price, "stock": 20, "shipping_fee": 3_000}))
    people: dict[str, Http] = {}
    try:
        stack.set_clock("2022-03-25T12:00:00+09:00")  # policies may be set for future months only
        budgeted = [{**p, "monthly_budget": BUDGETS[str(p["program_id"])]} for p in SEASON2_PROGRAMS]
        ok(staff.call("PUT", f"/staff/policies/{BUDGETED}", {"programs": budgeted, **LIMITS}), 202)
        ok(chief.call("POST", f"/staff/policies/{BUDGETED}/approve"))
        ok(staff.call("PUT", f"/staff/policies/{RESTORED}", {"programs": SEASON2_PROGRAMS, **LIMITS}), 202)
        ok(chief.call("POST", f"/staff/policies/{RESTORED}/approve"))
        paid: dict[tuple[str, str], str] = {}
        for month in (BUDGETED, MONTH):
            stack.set_clock(f"{month}-12T12:00:00+09:00")
            for name, (dong, amounts) in RESIDENTS.items():
                if name not in people:
                    people[name] = Http(stack, "resident", unique(f"console-{name}"))
                    ok(people[name].call("POST", "/wallet", {"dong": dong, "agree_terms": True}), 201)
                if month in amounts:
                    me = people[name]
                    ok(me.call("POST", "/wallet/charges", {"amount": amounts[month]}, key=unique("charge")), 201)
                    paid[name, month] = ok(me.call("POST", "/payments", {"merchant_id": shop_id,
                                                                         "amount": amounts[month]},
                                                   key=unique("pay")), 201)["payment_id"]
        ok(shop.call("POST", f"/merchant/payments/{paid['alice', MONTH]}/refunds", {"amount": 20_000},
                     key=unique("refund")))
        stack.set_clock(f"{RESTORED}-01T01:00:30+09:00")
        settle(staff, BUDGETED)
        settled = settle(staff, MONTH)
    finally:
        stack.reset_clock()
    alice = people["alice"]
    # this month, in real time: a donation from the cashback credited, a mall order, a proposal waiting
    ok(alice.call("POST", "/wallet/charges", {"amount": 100_000}, key=unique("charge")), 201)
    ok(alice.call("POST", "/donations", {"amount": 3_000, "campaign_id": "solitary-elderly"}, key=unique("give")), 201)
    mall_order = ok(alice.call("POST", "/mall/orders", {
        "mall": "only-seogu", "items": [{"product_id": f"rice-10kg-{shop_id[-6:]}", "quantity": 1}],
        "shipping": SHIPPING, "consent": {"third_party_provision": True, "version": "2020-01"}}, key=unique("mall")), 201)
    for lines, steps in (([{"item_id": "tteok", "quantity": 2}, {"item_id": "kimbap", "quantity": 2}], ()),
                         ([{"item_id": "kimbap", "quantity": 4}], ("accept", "dispatch"))):
        order = ok(alice.call("POST", "/orders", {"merchant_id": shop_id, "items": lines, "address": "청라동 1-1",
                                                  "request": "문 앞에 놓아 주세요"}, key=unique("order")), 201)
        for step in steps:
            ok(shop.call("POST", f"/merchant/orders/{order['order_id']}/{step}",
                         {"eta_minutes": 40} if step == "accept" else None))
    proposal = [{**SEASON2_PROGRAMS[0], "tiers": [{"up_to": 400_000, "rate_bp": 500}, {"up_to": 800_000, "rate_bp": 200},
                                         {"up_to": None, "rate_bp": 0}]}, *SEASON2_PROGRAMS[1:]]
    ok(staff.call("PUT", f"/staff/policies/{kst_month(4)}", {"programs": proposal, **LIMITS}), 202)
    s3 = stack.client("s3")
    s3.put_object(Bucket=NOTICES_BUCKET, Key=f"notices/{unique('console-yoga')}.md", Body=(
        "---\ntitle: 청라1동 주민 요가교실\ncategory: dong-event\ndongs: [청라1동]\n---\n\n매주 월·수 10:00\n").encode())
    s3.put_object(Bucket=NOTICES_BUCKET, Key=f"notices/{unique('console-broken')}.md",
                  Body=b"---\ntitle: \ncategory: gossip\ndongs: [nowhere]\n---\n\nbody\n")
    tokens = [stack.token("staff", staff_sub), stack.token("staff", chief_sub),
              stack.token("merchant", unique("console-owner"), merchant_id=shop_id)]
    return World(shop_id, tokens[0], tokens[1], tokens[2], alice, shop, mall_order["order_id"], settled, tokens)


@pytest.fixture(scope="module")
def world(stack: LocalStack) -> World:
    assert (ROOT / "console" / "dist" / "index.html").is_file(), "the console is not built: `make test` builds it"
    return make_world(stack)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the module, Debian's; Playwright gives it a fresh temporary profile."""
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: `make install` installs Debian's chromium"
    # waits on what the page shows may take longer than Playwright's 5 s when `make test` keeps both cores busy;
    # the one wait the issue times (a new order within 10 s) names its own limit
    expect.set_options(timeout=20_000)
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser, stack: LocalStack) -> Iterator[Page]:
    """A fresh context; afterwards, no script error, and every request went to the console's own origin (no CDN)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ko-KR", timezone_id="Asia/Seoul")
    context.set_default_timeout(30_000)
    opened = context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda e: problems.append(str(e)))
    # a Content-Security-Policy refusal is a console error; an API's 4xx is one too ("Failed to load resource")
    opened.on("console", lambda m: problems.append(m.text)
              if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    opened.on("request", lambda r: None if r.url.startswith((stack.console_url + "/", "data:")) else problems.append(r.url))
    yield opened
    context.close()
    assert problems == [], problems


def open_view(page: Page, stack: LocalStack, token: str, query: str) -> None:
    page.goto(f"{stack.console_url}/?{query}#id_token={token}")


def test_staff_sign_in_open_a_settled_month_and_read_its_figures_with_thousands_separators(
    stack: LocalStack, world: World, page: Page
) -> None:
    run = world.settled
    open_view(page, stack, world.staff_token, f"view=settlement&month={MONTH}")
    figures = page.get_by_label(f"{MONTH} 정산 합계")
    expect(figures).to_be_visible()
    assert "#" not in page.url and "id_token" not in page.url  # the token left the address bar
    expect(figures.locator("[data-figure='적립 캐시백']")).to_have_text(won(run["cashback_credited"]))
    expect(figures.locator("[data-figure='정산 주민 수']")).to_have_text(f"{run['residents']:,}명")
    # the stack is shared: a wallet another e2e test opened earlier on its moved clock is a resident of the month too
    assert run["cashback_credited"] >= 1_000 and run["residents"] >= len(RESIDENTS)
    body = page.locator("main").inner_text()
    for funder, label in (("incheon-city", "인천광역시"), ("seo-gu", "서구")):
        assert f"{label}\t{won(run['by_funder'][funder])}" in body, (funder, body)
    for dong, totals in run["by_dong"].items():
        assert f"{dong}\t{won(totals['cashback_credited'])}\t{totals['residents']}명" in body, (dong, body)
    # the month before is settled too: the comparison has both months
    earlier = ok(Http(stack, "staff", "console-reader").call("GET", f"/staff/settlements/{BUDGETED}"))
    assert f"{BUDGETED}\t{won(earlier['cashback_credited'])}" in body
    charts = page.locator("canvas[role='img']")
    assert charts.count() == 4 and all(charts.nth(i).get_attribute("aria-label") for i in range(4))


def test_a_shop_sees_a_new_order_within_ten_seconds_without_a_reload_and_accepts_it_with_an_eta(
    stack: LocalStack, world: World, page: Page
) -> None:
    open_view(page, stack, world.shop_token, "view=orders")
    expect(page.get_by_role("status").filter(has_text="마지막 확인")).to_be_visible()
    page.evaluate("window.__loaded = true")  # gone if the page reloads
    order = ok(world.alice.call("POST", "/orders", {"merchant_id": world.shop_id, "address": "청라동 1-1",
                                                    "items": [{"item_id": "tteok", "quantity": 3}]},
                                key=unique("order")), 201)
    card = page.locator(f"article[data-order-id='{order['order_id']}']")
    expect(card).to_be_visible(timeout=LIVE_WITHIN_MS)
    assert page.evaluate("window.__loaded") is True
    expect(card).to_contain_text(won(order["paid"]))
    card.get_by_label("도착 예정(분)").fill("25")
    card.get_by_role("button", name=f"주문 {order['order_id']} 수락").click()
    expect(page.locator(f"article[data-order-id='{order['order_id']}']")).to_have_attribute("data-status", "accepted")
    seen = ok(world.alice.call("GET", f"/orders/{order['order_id']}"))
    assert (seen["status"], seen["eta_minutes"]) == ("accepted", 25)


def test_an_expired_a_garbage_a_foreign_and_a_residents_token_each_get_a_clear_message_and_a_way_in(
    stack: LocalStack, world: World, page: Page, tmp_path: Path
) -> None:
    expired = mint("staff", "console-late", ttl=-120, state_dir=stack.state_dir)
    foreign = mint("staff", "console-stranger", state_dir=tmp_path)  # well formed, signed by another key: 401
    resident = stack.token("resident", "console-resident")
    world.tokens += [expired, foreign, resident]
    world.tokens.append("garbage-token-f00d")
    cases = [(expired, "로그인이 만료되었습니다"), ("garbage-token-f00d", "토큰이 올바르지 않습니다"),
             (resident, "잘못된 역할입니다"), (foreign, "API가 이 토큰을 받아들이지 않았습니다")]
    for token, message in cases:
        open_view(page, stack, token, "view=settlement")
        expect(page.get_by_role("alert")).to_contain_text(message)
        expect(page.get_by_role("heading", name="로그인")).to_be_visible()
        expect(page.locator("code")).to_contain_text(f"{stack.console_url}/#id_token=")
        assert "id_token" not in page.url
    # nothing to sign in with at all: the sign-in page, as information
    page.goto(f"{stack.console_url}/")
    expect(page.get_by_role("status")).to_contain_text("로그인이 필요합니다")


VIEWS = {
    "staff": ["settlement&month=" + MONTH, "budgets&month=" + MONTH, "campaigns", "notices", "audit",
              "policy&month={policy}"],
    "shop": ["orders", "mall-orders", "payments&month=" + MONTH, "menu", "products", "settlement&month=" + MONTH],
}


def test_every_view_opens_without_an_error_and_is_photographed(stack: LocalStack, world: World, page: Page,
                                                              tmp_path: Path) -> None:
    shots = Path(os.environ.get("CONSOLE_SCREENSHOTS") or tmp_path)
    shots = shots if shots.is_absolute() else ROOT / shots
    shots.mkdir(parents=True, exist_ok=True)
    staff = Http(stack, "staff", "console-reader")
    for _ in range(60):  # the notices reach the runner within seconds
        keys = [n["status"] for n in ok(staff.call("GET", "/staff/notices?limit=100"))["items"]
                if "console-" in n["key"]]
        if "published" in keys and "rejected" in keys:
            break
        time.sleep(0.5)
    taken = []
    for role, token in (("staff", world.staff_token), ("shop", world.shop_token)):
        for view in VIEWS[role]:
            query = "view=" + view.format(policy=kst_month(4))
            open_view(page, stack, token, query)
            expect(page.locator("main h1")).to_be_visible()
            page.wait_for_load_state("networkidle")
            expect(page.locator("main table, main article").first).to_be_visible()
            expect(page.get_by_role("alert")).to_have_count(0)
            name = view.split("&")[0]
            if role == "shop" and name == "settlement":
                name = "shop-settlement"
            page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
            taken.append(name)
    # the proposer may not approve: the API's 403, said plainly
    open_view(page, stack, world.staff_token, f"view=policy&month={kst_month(4)}")
    page.get_by_role("button", name=f"{kst_month(4)} 정책 승인").click()
    expect(page.get_by_role("alert")).to_contain_text("제안한 직원은 승인할 수 없습니다")
    expect(page.get_by_role("alert")).to_contain_text("FORBIDDEN")
    assert len(taken) == 12 and all((shots / f"{n}.png").stat().st_size > 10_000 for n in taken)


def test_a_shop_refunds_part_of_a_payment_ships_a_mall_order_and_saves_its_menu_in_the_page(
    stack: LocalStack, world: World, page: Page
) -> None:
    # one the world left whole (payments made in the same second of the local clock list in their ids' order)
    listed = ok(world.shop.call("GET", f"/merchant/payments?month={MONTH}"))["items"]
    payment = next(p for p in listed if p["refunded"] == 0 and p["paid"] > 5_000)
    open_view(page, stack, world.shop_token, f"view=payments&month={MONTH}")
    page.get_by_label(f"결제 {payment['payment_id']} 환불 금액 (비우면 전액)").fill("5000")
    page.get_by_role("button", name=f"결제 {payment['payment_id']} 환불").click()
    expect(page.locator("tr", has_text=payment["payment_id"])).to_contain_text("부분 환불")
    after = next(p for p in ok(world.shop.call("GET", f"/merchant/payments?month={MONTH}"))["items"]
                 if p["payment_id"] == payment["payment_id"])
    assert (after["refunded"], after["status"]) == (5_000, "partially_refunded")

    open_view(page, stack, world.shop_token, "view=mall-orders")
    page.get_by_label("택배사").fill("CJ대한통운")
    page.get_by_label("송장 번호").fill("612345678901")
    page.get_by_role("button", name=f"몰 주문 {world.mall_order_id} 발송").click()
    expect(page.get_by_role("button", name=f"몰 주문 {world.mall_order_id} 배송 완료")).to_be_visible()
    shipped = ok(world.alice.call("GET", f"/mall/orders/{world.mall_order_id}"))
    assert (shipped["status"], shipped["tracking"]) == (
        "shipped", {"carrier": "CJ대한통운", "tracking_number": "612345678901"})

    open_view(page, stack, world.shop_token, "view=menu")
    page.get_by_label("김밥 가격(원)").fill("3500")
    page.get_by_role("button", name="메뉴 저장").click()
    expect(page.get_by_role("status").filter(has_text="저장했습니다")).to_be_visible()
    menu = ok(world.alice.call("GET", f"/merchants/{world.shop_id}/menu"))["items"]
    assert {i["item_id"]: i["price"] for i in menu} == {"tteok": 4_500, "kimbap": 3_500, "sundae": 5_000}


def test_the_stacks_log_never_holds_a_token_the_console_was_given(stack: LocalStack, world: World) -> None:
    # one more call through the console's server the way the app makes it, then the whole stack's output
    # (the month named: other tests move the shared stack's clock, and a month before any policy is a 409)
    r = requests.get(f"{stack.console_url}/api/staff/budgets?month={MONTH}",
                     headers={"Authorization": f"Bearer {world.staff_token}"}, timeout=60)
    assert r.status_code == 200, r.text
    log = stack.output()
    assert f"[console] GET /api/staff/settlements/{MONTH} 200" in log  # the browser's calls went through it
    assert "[console] GET /api/staff/budgets 200" in log
    assert world.tokens
    for token in world.tokens:
        assert token not in log
        claims = token.split(".")[1] if token.count(".") == 2 else token
        assert claims not in log  # not even the claims

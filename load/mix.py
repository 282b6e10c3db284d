"""The mix: what residents (and the shops they deal with) do in the app, weighted as real traffic would be.

Reads dominate (balance, history, news, campaigns, shops, the mall); payments are the common write;
top-ups, delivery and mall orders, donations and refunds are rarer. Each locust user is one seeded
resident, acting one request at a time; the merchant steps of its own orders and refunds are sent with
the merchant's token. Each answer is judged: the expected status, a business refusal the contract allows
(409 for funds, limits, stock), or unexpected (a failure in locust's terms and in the report).
"""

from __future__ import annotations

import random
import threading
import uuid
from typing import Any

from locust import HttpUser, between, task
from locust.exception import StopUser

from load.model import Payment, Resident, Tally, World
from load.seed import MENU, MIN_ORDER

TIMEOUT = 60.0
SHIPPING = {"name": "홍길동", "phone": "010-1234-5678", "address": "인천 서구 청라동 1", "postcode": "22742"}
CONSENT = {"third_party_provision": True, "version": "2020-01"}


def resident_user(world: World, tally: Tally, stop: threading.Event, *, wait: tuple[float, float],
                  tour: bool) -> type[HttpUser]:
    """A locust user class whose instances each take the next seeded resident.

    `stop`: once set, a user sends no further request and stops itself (raising StopUser before the
    next one), so the end of the run never cuts a request off. (Locust's own graceful stop can kill a
    user that was about to wake from its think time in the middle of its next request.)
    `tour`: each user first does every task once (to the end, whatever the run time), so that a short run
    still covers the whole mix.
    """
    residents = iter(world.residents)

    class ResidentUser(HttpUser):
        host = world.base_url
        wait_time = between(*wait)

        def on_start(self) -> None:
            self.me: Resident = next(residents)
            self.rng = random.Random(self.me.sub)
            self.touring = tour  # the tour runs to its end even past the run time (it is 16 tasks)
            if tour:
                for step in (self.top_up, self.donate, self.pay, self.refund, self.delivery_order, self.mall_order,
                             self.balance, self.history, self.payment_detail, self.news, self.news_post,
                             self.campaigns, self.merchants, self.mall, self.statement, self.my_orders):
                    step()
                self.touring = False

        def call(self, method: str, name: str, path: str, *, body: Any = None, token: str | None = None,
                 ok: int = 200, refusals: tuple[str, ...] = (), money: bool = False,
                 key: bool = False) -> dict[str, Any] | None:
            """One request, judged; the answer's body when it is the expected one, else None.

            `key`: the POSTs the contract keys get a fresh Idempotency-Key. `money`: a request that moves money
            is the resident's `pending` one until answered, and one without a definite answer (none, or a
            5xx) makes the book uncertain, so that neither can make the money check lie.
            """
            if stop.is_set() and not self.touring:
                raise StopUser()
            headers = {"Authorization": f"Bearer {token or self.me.token}"}
            if key:
                headers["Idempotency-Key"] = uuid.uuid4().hex
            if money:
                self.me.book.pending = name
            with self.client.request(method, path, name=name, json=body, headers=headers, timeout=TIMEOUT,
                                     catch_response=True) as r:
                status = int(r.status_code or 0)
                out: Any = None
                if r.content:
                    try:
                        out = r.json()
                    except ValueError:
                        out = None
                if money:
                    self.me.book.pending = None
                    if not 0 < status < 500:
                        self.me.book.uncertain.append(f"{name} answered {status or 'nothing'}")
                error = out.get("error") if isinstance(out, dict) else None
                code = str(error.get("code", "")) if isinstance(error, dict) else ""
                if status == ok and isinstance(out, dict):
                    r.success()
                    return out
                if status == 409 and code in refusals:
                    r.success()
                    tally.refused[(name, code)] += 1
                    return None
                tally.unexpected[(name, status, code)] += 1
                r.failure(f"{status} {code or r.error or (r.text or '')[:120]}")
                return None

        # ---- reads -----------------------------------------------------------------------------

        @task(30)
        def balance(self) -> None:
            self.call("GET", "GET /wallet", "/wallet")

        @task(12)
        def history(self) -> None:
            self.call("GET", "GET /payments", f"/payments?month={world.month}&limit=20")

        @task(3)
        def payment_detail(self) -> None:
            if self.me.payments:
                pid = self.rng.choice(self.me.payments).payment_id
                self.call("GET", "GET /payments/{id}", f"/payments/{pid}")

        @task(6)
        def news(self) -> None:
            self.call("GET", "GET /news", f"/news?dong={self.me.dong}&limit=20")

        @task(2)
        def news_post(self) -> None:
            if world.post_id is not None:
                self.call("GET", "GET /news/{id}", f"/news/{world.post_id}")

        @task(3)
        def campaigns(self) -> None:
            self.call("GET", "GET /campaigns", "/campaigns")

        @task(4)
        def merchants(self) -> None:
            self.call("GET", "GET /merchants", f"/merchants?dong={self.me.dong}&limit=20")

        @task(4)
        def mall(self) -> None:
            self.call("GET", "GET /malls/{mall}/products", "/malls/only-seogu/products?limit=20")

        @task(1)
        def statement(self) -> None:
            self.call("GET", "GET /donations", f"/donations?year={world.month[:4]}")

        @task(2)
        def my_orders(self) -> None:
            self.call("GET", "GET /orders", "/orders?limit=20")

        # ---- money -----------------------------------------------------------------------------

        @task(4)
        def top_up(self) -> None:
            amount = self.rng.randrange(10_000, 100_001, 10_000)
            if self.call("POST", "POST /wallet/charges", "/wallet/charges", body={"amount": amount}, ok=201,
                         refusals=("LIMIT_EXCEEDED",), money=True, key=True) is not None:
                self.me.book.charged += amount

        @task(15)
        def pay(self) -> None:
            shop = self.rng.choice(world.shops)
            body = {"merchant_id": shop.merchant_id, "amount": self.rng.randrange(1_000, 40_001, 100),
                    "use_cashback": self.rng.random() < 0.5}
            out = self.call("POST", "POST /payments", "/payments", body=body, ok=201,
                            refusals=("INSUFFICIENT_FUNDS", "LIMIT_EXCEEDED"), money=True, key=True)
            if out is not None:
                self.me.book.paid += int(out["paid"])
                self.me.payments.append(Payment(str(out["payment_id"]), shop, int(out["paid"])))

        @task(2)
        def refund(self) -> None:
            """The shop refunds one of this resident's payments: all that is left, or part of it."""
            open_ = [p for p in self.me.payments if p.left > 0]
            if not open_:
                return
            p = self.rng.choice(open_)
            body = {"amount": self.rng.randrange(1, p.left)} if p.left > 1 and self.rng.random() < 0.5 else {}
            out = self.call("POST", "POST /merchant/payments/{id}/refunds", f"/merchant/payments/{p.payment_id}/refunds",
                            body=body, token=p.shop.token, money=True, key=True)
            if out is not None:
                self.me.book.refunded += int(out["refunded"]) - p.refunded
                p.refunded = int(out["refunded"])

        @task(4)
        def delivery_order(self) -> None:
            """An order the restaurant delivers (most), rejects, or the resident cancels before it is accepted."""
            shop = self.rng.choice(world.delivery_shops)
            items: dict[str, int] = {}
            subtotal = 0
            while subtotal < MIN_ORDER:
                item_id, _, price = self.rng.choice(MENU)
                items[item_id] = items.get(item_id, 0) + 1
                subtotal += price
            body = {"merchant_id": shop.merchant_id, "address": "인천 서구 1-1",
                    "items": [{"item_id": i, "quantity": q} for i, q in items.items()]}
            out = self.call("POST", "POST /orders", "/orders", body=body, ok=201, refusals=("INSUFFICIENT_FUNDS",),
                            money=True, key=True)
            if out is None:
                return
            self.me.book.paid += int(out["paid"])
            oid, fate = out["order_id"], self.rng.random()
            if fate < 0.1:
                if self.call("POST", "POST /orders/{id}/cancel", f"/orders/{oid}/cancel", money=True) is not None:
                    self.me.book.refunded += int(out["paid"])
                return
            if fate < 0.2:
                if self.call("POST", "POST /merchant/orders/{id}/reject", f"/merchant/orders/{oid}/reject",
                             body={"reason": "재료 소진"}, token=shop.token, money=True) is not None:
                    self.me.book.refunded += int(out["paid"])
                return
            for step, step_body in (("accept", {"eta_minutes": 30}), ("dispatch", None), ("deliver", None)):
                if self.call("POST", f"POST /merchant/orders/{{id}}/{step}", f"/merchant/orders/{oid}/{step}",
                             body=step_body, token=shop.token) is None:
                    return

        @task(3)
        def mall_order(self) -> None:
            """A mall purchase the seller ships and delivers, or the resident cancels before shipping."""
            product = self.rng.choice(world.products)
            quantity = 1 if self.rng.random() < 0.8 else 2
            body = {"mall": "only-seogu", "items": [{"product_id": product.product_id, "quantity": quantity}],
                    "shipping": SHIPPING, "consent": CONSENT}
            out = self.call("POST", "POST /mall/orders", "/mall/orders", body=body, ok=201,
                            refusals=("INSUFFICIENT_FUNDS", "OUT_OF_STOCK"), money=True, key=True)
            if out is None:
                return
            self.me.book.paid += int(out["paid"])
            product.sold += quantity
            oid, fate = out["order_id"], self.rng.random()
            if fate < 0.1:
                if self.call("POST", "POST /mall/orders/{id}/cancel", f"/mall/orders/{oid}/cancel",
                             money=True) is not None:
                    self.me.book.refunded += int(out["paid"])
                    product.restocked += quantity
            elif fate < 0.5:
                seller = product.seller.token
                if self.call("POST", "POST /merchant/mall-orders/{id}/ship", f"/merchant/mall-orders/{oid}/ship",
                             body={"carrier": "CJ대한통운", "tracking_number": oid[-10:]}, token=seller) is not None:
                    self.call("POST", "POST /merchant/mall-orders/{id}/deliver",
                              f"/merchant/mall-orders/{oid}/deliver", token=seller)

        @task(2)
        def donate(self) -> None:
            amount = self.rng.randrange(100, 1_001, 100)
            campaign = self.rng.choice(world.campaigns) if world.campaigns and self.rng.random() < 0.8 else None
            body: dict[str, Any] = {"amount": amount, "campaign_id": campaign}
            if self.call("POST", "POST /donations", "/donations", body=body, ok=201,
                         refusals=("INSUFFICIENT_FUNDS",), money=True, key=True) is not None:
                self.me.book.donated += amount
                if campaign is not None:
                    world.donated_to[campaign] += amount

    return ResidentUser

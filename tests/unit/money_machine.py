"""The money invariants' harness (test_money_invariants.py): the district, and the machine that moves its money."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from hypothesis import note
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    precondition,
    rule,
)

from chalicelib.domain.months import KST, month_of
from chalicelib.domain.policy import SEASON2
from tests.support import Env, new_key, stored_items

STOCK = 6
USERS = ("ann", "bob")
START = datetime(2020, 3, 27, 12, 0, tzinfo=KST)
MENU = {"items": [{"item_id": "tteok", "name": "떡볶이", "price": 4_500, "available": True}]}
SHIPPING = {"name": "홍길동", "phone": "010-1234-5678", "address": "인천 서구 청라동 1", "postcode": "22742"}
CONSENT = {"third_party_provision": True, "version": "2020-01"}
OK = range(200, 300)


@dataclass
class District:
    """What every example starts from: the app with four merchants registered once."""

    env: Env
    plain: str
    bplus: str
    kitchen: str
    seller: str
    tokens: dict[tuple[str, str, str | None], str] = field(default_factory=dict)
    snapshot: Any = None

    def call(self, method: str, path: str, role: str, sub: str, merchant_id: str | None = None, body: Any = None,
             key: str | None = None) -> tuple[int, Any]:
        """One request through the app, with a token minted once per caller (RSA signing is not cheap)."""
        token = self.tokens.get((role, sub, merchant_id))
        if token is None:
            token = self.tokens[role, sub, merchant_id] = self.env.token(role, sub, merchant_id)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        if key is not None:
            headers["Idempotency-Key"] = key
        r = self.env.client.http.request(method, path, headers=headers,
                                         body=json.dumps(body).encode() if body is not None else b"")
        return r.status_code, json.loads(r.body) if r.body else None

    def owner(self, merchant_id: str) -> str:
        return f"owner-{merchant_id}"

    def take_snapshot(self) -> None:
        """Remember the district as it stands: every example starts from exactly this store."""
        self.snapshot = stored_items(self.env)

    def reset(self) -> None:
        """The district's store as it was (stored values are immutable: a copy of the index is a copy of the
        store), the clock wound back to the start."""
        table = self.env.repos.store
        with table.lock:  # type: ignore[attr-defined]
            table.items = dict(self.snapshot)  # type: ignore[attr-defined]
        self.env.clock.set(START)

    def items(self, kind: str) -> list[Any]:
        """Every stored value of one kind (the key's first part: wallet, ledger, payment, ...)."""
        return [value for key, value in stored_items(self.env).items() if key[0] == kind]

@dataclass
class Sent:
    """A request that succeeded, kept so a rule can send it again with the same Idempotency-Key."""

    method: str
    path: str
    role: str
    sub: str
    merchant_id: str | None
    body: Any
    key: str
    status: int
    response: Any


@dataclass
class Books:
    """What the harness itself knows, independently of the table."""

    charged_in: int = 0
    bank_start: int = 0
    settled: dict[str, int] = field(default_factory=dict)   # month → the run's net cashback credited
    mall_quantity: dict[str, int] = field(default_factory=dict)   # live mall order → quantity


class MoneyMachine(RuleBasedStateMachine):
    """The district's money, moved at random; the invariants are checked after every step."""

    payments = Bundle("payments")
    orders = Bundle("orders")
    mall_orders = Bundle("mall_orders")

    def __init__(self, d: District) -> None:
        super().__init__()
        self.d = d
        d.reset()
        self.books = Books(bank_start=d.env.bank.settled_total())
        self.last: Sent | None = None
        self.rerun = False

    # ---- sending ----

    def send(self, method: str, path: str, role: str, sub: str, body: Any = None, *, merchant_id: str | None = None,
             keyed: bool = False, allowed: tuple[int, ...] = ()) -> tuple[int, Any]:
        key = new_key() if keyed else None
        status, out = self.d.call(method, path, role, sub, merchant_id, body, key)
        if currently_in_test_context():  # the steps of a failing example are printed with it
            note(f"{method} {path} {json.dumps(body, ensure_ascii=False)} as {sub} -> {status}")
        assert status in OK or status in allowed, (method, path, body, status, out)
        if status in OK and key is not None:
            self.last = Sent(method, path, role, sub, merchant_id, body, key, status, out)
        return status, out

    def month_now(self) -> str:
        return month_of(self.d.env.clock.now())

    def closed_unsettled(self) -> list[str]:
        months, m = [], month_of(START)
        while m < self.month_now():
            if m not in self.books.settled:
                months.append(m)
            y, n = int(m[:4]), int(m[5:])
            m = f"{y + n // 12}-{n % 12 + 1:02d}"
        return months

    # ---- rules ----

    @rule(user=st.sampled_from(USERS), amount=st.sampled_from([1_000, 10_000, 55_000, 200_000, 700_000, 2_000_000]))
    def charge(self, user: str, amount: int) -> None:
        status, _ = self.send("POST", "/wallet/charges", "resident", user, {"amount": amount}, keyed=True,
                              allowed=(409, 400))
        if status == 201:
            self.books.charged_in += amount

    @rule(target=payments, user=st.sampled_from(USERS), shop=st.sampled_from(["plain", "bplus"]),
          amount=st.integers(1, 400_000) | st.sampled_from([1, 99, 10_000, 349_999, 350_001]),
          use_cashback=st.booleans())
    def pay(self, user: str, shop: str, amount: int, use_cashback: bool) -> Any:
        merchant = getattr(self.d, shop)
        status, out = self.send("POST", "/payments", "resident", user,
                                {"merchant_id": merchant, "amount": amount, "use_cashback": use_cashback},
                                keyed=True, allowed=(409,))
        return (out["payment_id"], merchant) if status == 201 else multiple()

    @rule(payment=payments, amount=st.none() | st.integers(1, 200_000))
    def refund(self, payment: tuple[str, str], amount: int | None) -> None:
        payment_id, merchant = payment
        body = {} if amount is None else {"amount": amount}
        self.send("POST", f"/merchant/payments/{payment_id}/refunds", "merchant", self.d.owner(merchant), body,
                  merchant_id=merchant, keyed=True, allowed=(400, 409))

    @rule(target=orders, user=st.sampled_from(USERS), quantity=st.integers(1, 6), use_cashback=st.booleans())
    def order(self, user: str, quantity: int, use_cashback: bool) -> Any:
        body = {"merchant_id": self.d.kitchen, "items": [{"item_id": "tteok", "quantity": quantity}],
                "address": "청라동 1-1", "use_cashback": use_cashback}
        status, out = self.send("POST", "/orders", "resident", user, body, keyed=True, allowed=(400, 409))
        return (out["order_id"], user) if status == 201 else multiple()

    @rule(order=orders, action=st.sampled_from(["cancel", "reject", "accept", "dispatch", "deliver"]))
    def order_step(self, order: tuple[str, str], action: str) -> None:
        order_id, user = order
        if action == "cancel":
            self.send("POST", f"/orders/{order_id}/cancel", "resident", user, allowed=(409,))
        else:
            k = self.d.kitchen
            body = {"accept": {"eta_minutes": 30}, "reject": {"reason": "재료 소진"}}.get(action)
            self.send("POST", f"/merchant/orders/{order_id}/{action}", "merchant", self.d.owner(k), body,
                      merchant_id=k, allowed=(409,))

    @rule(target=mall_orders, user=st.sampled_from(USERS), quantity=st.integers(1, 4), use_cashback=st.booleans())
    def buy(self, user: str, quantity: int, use_cashback: bool) -> Any:
        body = {"mall": "only-seogu", "items": [{"product_id": "rice", "quantity": quantity}],
                "shipping": SHIPPING, "consent": CONSENT, "use_cashback": use_cashback}
        status, out = self.send("POST", "/mall/orders", "resident", user, body, keyed=True, allowed=(409,))
        if status != 201:
            return multiple()
        self.books.mall_quantity[out["order_id"]] = quantity
        return (out["order_id"], user)

    @rule(order=mall_orders, action=st.sampled_from(["cancel", "ship", "deliver"]))
    def mall_step(self, order: tuple[str, str], action: str) -> None:
        order_id, user = order
        if action == "cancel":
            status, _ = self.send("POST", f"/mall/orders/{order_id}/cancel", "resident", user, allowed=(409,))
            if status == 200:
                self.books.mall_quantity.pop(order_id)
            return
        s = self.d.seller
        body = {"carrier": "우체국", "tracking_number": "1234"} if action == "ship" else None
        self.send("POST", f"/merchant/mall-orders/{order_id}/{action}", "merchant", self.d.owner(s), body,
                  merchant_id=s, allowed=(409,))

    @rule(user=st.sampled_from(USERS), amount=st.sampled_from([50, 100, 777, 5_000, 60_000]),
          campaign=st.sampled_from([None, "solitary-elderly"]))
    def donate(self, user: str, amount: int, campaign: str | None) -> None:
        self.send("POST", "/donations", "resident", user, {"amount": amount, "campaign_id": campaign}, keyed=True,
                  allowed=(400, 409))

    @rule(user=st.sampled_from(USERS), mode=st.sampled_from(["all", "fixed", "off"]),
          campaign=st.sampled_from([None, "solitary-elderly"]))
    def automatic_gift(self, user: str, mode: str, campaign: str | None) -> None:
        body: dict[str, Any] = {"mode": mode}
        if mode != "off":
            body["campaign_id"] = campaign
        if mode == "fixed":
            body["amount"] = 300
        self.send("PUT", "/donations/auto", "resident", user, body)

    @precondition(lambda self: self.last is not None)
    @rule()
    def replay(self) -> None:
        """A retried request (same Idempotency-Key, same body) answers the same and moves nothing again."""
        last = self.last
        assert last is not None
        status, out = self.d.call(last.method, last.path, last.role, last.sub, last.merchant_id, last.body, last.key)
        note(f"replay {last.method} {last.path} -> {status}")
        assert (status, out) == (last.status, last.response)

    @rule(days=st.sampled_from([1, 3, 9, 31]))
    def time_passes(self, days: int) -> None:
        self.d.env.clock.set(self.d.env.clock.now() + timedelta(days=days))

    @precondition(lambda self: bool(self.closed_unsettled()))
    @rule()
    def settle(self) -> None:
        """The oldest closed month is settled, as the 1 am schedule would do."""
        self.run_settlement(self.closed_unsettled()[0])

    @precondition(lambda self: bool(self.books.settled) and not self.rerun)
    @rule()
    def settle_again(self) -> None:
        """Staff re-run the latest settled month: nobody is credited twice, the totals stay the same.
        Once per example: a run costs as much as ten other steps, and one re-run shows the point."""
        self.rerun = True
        month = max(self.books.settled)
        before = self.books.settled[month]
        self.run_settlement(month)
        assert self.books.settled[month] == before

    def run_settlement(self, month: str) -> None:
        self.send("POST", "/staff/settlements", "staff", "clerk", {"month": month})
        self.d.env.drain()
        _, run = self.send("GET", f"/staff/settlements/{month}", "staff", "clerk")
        assert (run["status"], run["books_balanced"], run["problems"]) == ("completed", True, []), run
        # what the settlement put in (cashback credited) less what it took back out of charged balances
        self.books.settled[month] = run["cashback_credited"] - run["recovered"]["charged"]

    # ---- invariants ----

    @invariant()
    def the_books_balance(self) -> None:
        d = self.d

        # wallets: never negative, and the sum of their movements
        moved: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for mv in d.items("ledger"):
            moved[mv.user_id][0] += mv.d_charged
            moved[mv.user_id][1] += mv.d_cashback
        balances = 0
        for w in d.items("wallet"):
            assert w.charged_balance >= 0 and w.cashback_balance >= 0, w
            assert [w.charged_balance, w.cashback_balance] == moved[w.user_id], (w, moved[w.user_id])
            balances += w.charged_balance + w.cashback_balance

        # money in = balances + what merchants are owed + donations
        bank = d.env.bank.settled_total() - self.books.bank_start
        assert bank == self.books.charged_in, (bank, self.books.charged_in)
        payments = d.items("payment")
        owed = sum(p.paid - p.refunded for p in payments)
        donated = sum(g.amount for g in d.items("donation"))
        credited = sum(self.books.settled.values())
        assert bank + credited == balances + owed + donated, (bank, credited, balances, owed, donated)
        assert sum(raised for raised, _ in d.items("campaign-total")) == donated

        # per resident-month and program: counter = net eligible spend, accrual = F(counter) = Σ payments
        spend: dict[tuple[str, str, str], int] = defaultdict(int)
        accrued: dict[tuple[str, str, str], int] = defaultdict(int)
        for p in payments:
            net = p.from_charged - p.refunded_charged
            assert net >= 0 and p.refunded <= p.paid
            for program in p.programs:
                spend[p.user_id, p.month, program] += net
            for program, amount in p.cashback.items():
                accrued[p.user_id, p.month, program] += amount
        for m in d.items("month"):
            for program in SEASON2.programs:
                pid = program.program_id
                c = m.spend.get(pid, 0)
                assert c == spend[m.user_id, m.month, pid], (m, pid, spend[m.user_id, m.month, pid])
                assert m.accrued.get(pid, 0) == program.cumulative(c) == accrued[m.user_id, m.month, pid], (
                    m, pid, program.cumulative(c), accrued[m.user_id, m.month, pid])

        # the mall's stock never goes below zero and comes back with every cancellation
        stock = [p.stock for p in d.items("product")]
        assert stock == [STOCK - sum(self.books.mall_quantity.values())], stock


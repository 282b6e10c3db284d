"""The money invariants' machine (test_money_invariants.py): the rules that move the district's money at shops
(payments, refunds, orders, mall orders, donations), replays, time passing and settlements, and the invariants
checked after every step. The district and the harness's books: money_harness.py; the rules of the money to and
from the bank and between residents: money_rules_bank.py; the checks of issue 15's movements: money_checks.py."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from hypothesis import note
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, invariant, multiple, precondition

from chalicelib.domain.months import month_of
from chalicelib.domain.policy import SEASON2
from tests.unit.money_checks import (
    check_gifts,
    check_histories,
    check_payouts,
    check_top_ups,
    ledgers,
    pending_gifts,
    pending_payouts,
)
from tests.unit.money_harness import (
    CONSENT,
    MENU,
    SHIPPING,
    START,
    STOCK,
    USERS,
    District,
    step,
)
from tests.unit.money_rules_bank import BankRules

__all__ = ["MENU", "START", "STOCK", "USERS", "District", "MoneyMachine"]


class MoneyMachine(BankRules):
    """The district's money, moved at random; the invariants are checked after every step."""

    payments = Bundle("payments")
    orders = Bundle("orders")
    mall_orders = Bundle("mall_orders")

    def closed_unsettled(self) -> list[str]:
        months, m = [], month_of(START)
        while m < self.month_now():
            if m not in self.books.settled:
                months.append(m)
            y, n = int(m[:4]), int(m[5:])
            m = f"{y + n // 12}-{n % 12 + 1:02d}"
        return months

    # ---- rules ----

    @step(target=payments, user=st.sampled_from(USERS), shop=st.sampled_from(["plain", "bplus"]),
          amount=st.integers(1, 400_000) | st.sampled_from([1, 99, 10_000, 349_999, 350_001]),
          use_cashback=st.booleans())
    def pay(self, user: str, shop: str, amount: int, use_cashback: bool) -> Any:
        merchant = getattr(self.d, shop)
        status, out = self.send("POST", "/payments", "resident", user,
                                {"merchant_id": merchant, "amount": amount, "use_cashback": use_cashback},
                                keyed=True, allowed=(409,))
        return (out["payment_id"], merchant) if status == 201 else multiple()

    @step(payment=payments, amount=st.none() | st.integers(1, 200_000))
    def refund(self, payment: tuple[str, str], amount: int | None) -> None:
        payment_id, merchant = payment
        body = {} if amount is None else {"amount": amount}
        self.send("POST", f"/merchant/payments/{payment_id}/refunds", "merchant", self.d.owner(merchant), body,
                  merchant_id=merchant, keyed=True, allowed=(400, 409))

    @step(target=orders, user=st.sampled_from(USERS), quantity=st.integers(1, 6), use_cashback=st.booleans())
    def order(self, user: str, quantity: int, use_cashback: bool) -> Any:
        body = {"merchant_id": self.d.kitchen, "items": [{"item_id": "tteok", "quantity": quantity}],
                "address": "청라동 1-1", "use_cashback": use_cashback}
        status, out = self.send("POST", "/orders", "resident", user, body, keyed=True, allowed=(400, 409))
        return (out["order_id"], user) if status == 201 else multiple()

    @step(order=orders, action=st.sampled_from(["cancel", "reject", "accept", "dispatch", "deliver"]))
    def order_step(self, order: tuple[str, str], action: str) -> None:
        order_id, user = order
        if action == "cancel":
            self.send("POST", f"/orders/{order_id}/cancel", "resident", user, allowed=(409,))
        else:
            k = self.d.kitchen
            body = {"accept": {"eta_minutes": 30}, "reject": {"reason": "재료 소진"}}.get(action)
            self.send("POST", f"/merchant/orders/{order_id}/{action}", "merchant", self.d.owner(k), body,
                      merchant_id=k, allowed=(409,))

    @step(target=mall_orders, user=st.sampled_from(USERS), quantity=st.integers(1, 4), use_cashback=st.booleans())
    def buy(self, user: str, quantity: int, use_cashback: bool) -> Any:
        body = {"mall": "only-seogu", "items": [{"product_id": "rice", "quantity": quantity}],
                "shipping": SHIPPING, "consent": CONSENT, "use_cashback": use_cashback}
        status, out = self.send("POST", "/mall/orders", "resident", user, body, keyed=True, allowed=(409,))
        if status != 201:
            return multiple()
        self.books.mall_quantity[out["order_id"]] = quantity
        return (out["order_id"], user)

    @step(order=mall_orders, action=st.sampled_from(["cancel", "ship", "deliver"]))
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

    @step(user=st.sampled_from(USERS), amount=st.sampled_from([50, 100, 777, 5_000, 60_000]),
          campaign=st.sampled_from([None, "solitary-elderly"]))
    def donate(self, user: str, amount: int, campaign: str | None) -> None:
        self.send("POST", "/donations", "resident", user, {"amount": amount, "campaign_id": campaign}, keyed=True,
                  allowed=(400, 409))

    @step(user=st.sampled_from(USERS), mode=st.sampled_from(["all", "fixed", "off"]),
          campaign=st.sampled_from([None, "solitary-elderly"]))
    def automatic_gift(self, user: str, mode: str, campaign: str | None) -> None:
        body: dict[str, Any] = {"mode": mode}
        if mode != "off":
            body["campaign_id"] = campaign
        if mode == "fixed":
            body["amount"] = 300
        self.send("PUT", "/donations/auto", "resident", user, body)

    @precondition(lambda self: self.last is not None)
    @step()
    def replay(self) -> None:
        """A retried request (same Idempotency-Key, same body) answers the same and moves nothing again."""
        last = self.last
        assert last is not None
        status, out = self.d.call(last.method, last.path, last.role, last.sub, last.merchant_id, last.body, last.key)
        note(f"replay {last.method} {last.path} -> {status}")
        assert (status, out) == (last.status, last.response)

    @step(days=st.sampled_from([1, 3, 9, 31]))
    def time_passes(self, days: int) -> None:
        """Days go by, and with them the five-minute schedules: the gifts unclaimed for 72 hours are back with
        their senders, and the payouts and automatic top-ups left waiting are done (if the bank answers)."""
        self.d.env.clock.set(self.d.env.clock.now() + timedelta(days=days))
        self.gifts_come_back()
        self.sweep_payouts()

    @precondition(lambda self: bool(self.closed_unsettled()))
    @step()
    def settle(self) -> None:
        """The oldest closed month is settled, as the 1 am schedule would do."""
        self.run_settlement(self.closed_unsettled()[0])

    @precondition(lambda self: bool(self.books.settled) and not self.rerun)
    @step()
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
        store = d.store()
        books_of = ledgers(store)

        # wallets: never negative, and the sum of their movements
        balances = 0
        for w in store.get("wallet", []):
            assert w.charged_balance >= 0 and w.cashback_balance >= 0, w
            moved = [sum(mv.d_charged for mv in books_of[w.user_id]), sum(mv.d_cashback for mv in books_of[w.user_id])]
            assert [w.charged_balance, w.cashback_balance] == moved, (w, moved)
            balances += w.charged_balance + w.cashback_balance

        # money in (the bank's top-ups less its payouts, the settlements' net credits, less what withdrawals took
        # back for refunded cashback) = balances + what merchants are owed + donations + gifts and payouts on the way
        bank = d.env.bank
        net_in = bank.settled_total() - bank.paid_out_total()
        payments = store.get("payment", [])
        owed = sum(p.paid - p.refunded for p in payments)
        donated = sum(g.amount for g in store.get("donation", []))
        credited = sum(self.books.settled.values())
        on_the_way = pending_gifts(store) + pending_payouts(store)
        assert net_in + credited - self.books.recovered == balances + owed + donated + on_the_way, (
            net_in, credited, self.books.recovered, balances, owed, donated, on_the_way)
        assert sum(raised for raised, _ in store.get("campaign-total", [])) == donated

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
        for m in store.get("month", []):
            for program in SEASON2.programs:
                pid = program.program_id
                c = m.spend.get(pid, 0)
                assert c == spend[m.user_id, m.month, pid], (m, pid, spend[m.user_id, m.month, pid])
                assert m.accrued.get(pid, 0) == program.cumulative(c) == accrued[m.user_id, m.month, pid], (
                    m, pid, program.cumulative(c), accrued[m.user_id, m.month, pid])

        # the mall's stock never goes below zero and comes back with every cancellation
        stock = [p.stock for p in store.get("product", [])]
        assert stock == [STOCK - sum(self.books.mall_quantity.values())], stock

        # issue 15: the history's balances after, the lifetime counters, top-ups and payouts against the bank, gifts
        check_histories(store, books_of)
        check_top_ups(store, books_of, bank, self.books)
        check_payouts(store, books_of, bank)
        check_gifts(store, books_of, self.books)

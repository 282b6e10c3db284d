"""The money invariants' rules for money to and from the bank and between residents (issue 15): top-ups and their
cancellation, withdrawals, the automatic top-up (자동충전) with the table's stream and the sweep, gifts (send, claim,
a wrong code now and then, cancel, the return after 72 hours), and a bank that declines or does not answer."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, multiple, precondition

from chalicelib.domain.autocharge import STUCK_AFTER
from chalicelib.domain.cashout import PAYOUT_PENDING, SWEEP_AFTER
from chalicelib.domain.gifts import CLAIM_PERIOD, UNKNOWN_CODES_PER_HOUR, guess_window
from chalicelib.handlers import cashout as cashout_use_cases
from chalicelib.handlers import gifts as gift_use_cases
from tests.support import read_wallet
from tests.unit.money_harness import OK, USERS, GiftBook, MachineBase, step

TROUBLE = "account closed"
BANK = st.sampled_from(["as it is", "as it is", "as it is", "down", "declines"])
"""The bank during one payout's request: as the `bank_trouble` rule left it, or (for that request only) down or
declining payouts."""
SETTINGS = [(150_000, 100_000), (20_000, 50_000), (1_000, 10_000), (1_000_000, 1_000_000), None]
"""Automatic top-up settings (below, amount), or off."""


def other(user: str) -> str:
    return USERS[1 - USERS.index(user)]


def code_of(out: Any) -> str:
    return str(out["error"]["code"])


class BankRules(MachineBase):
    """Rules of the money that comes from and goes to the bank, and of gifts."""

    charges = Bundle("charges")
    gifts = Bundle("gifts")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.misses: dict[tuple[str, str], int] = {}
        """Unknown claim codes per resident and KST clock hour."""

    # ---- top-ups ----

    @step(target=charges, user=st.sampled_from(USERS),
          amount=st.sampled_from([1_000, 10_000, 55_000, 200_000, 700_000, 2_000_000]))
    def charge(self, user: str, amount: int) -> Any:
        status, out = self.send("POST", "/wallet/charges", "resident", user, {"amount": amount}, keyed=True,
                                allowed=(409, 400, *self.unavailable()))
        if status != 201:
            if status == 409 and code_of(out) == "CONFLICT":
                assert user in self.d.env.bank.refuse_withdrawals, out
            return multiple()
        self.books.charged_in += amount
        return (out["charge_id"], user)

    @step(charge=charges, by=st.sampled_from(["owner", "owner", "owner", "other"]), keyed=st.booleans(), bank=BANK)
    def cancel_charge(self, charge: tuple[str, str], by: str, keyed: bool, bank: str) -> None:
        charge_id, user = charge
        with self.bank_during(bank):
            self.cancel_top_up(charge_id, user if by == "owner" else other(user), keyed, mine=by == "owner")

    @precondition(lambda self: self.auto_on)
    @step(user=st.sampled_from(USERS), keyed=st.booleans(), bank=BANK)
    def cancel_auto_charge(self, user: str, keyed: bool, bank: str) -> None:
        """The resident's last automatic top-up, found as the app shows it (`GET /wallet/auto-charge`), cancelled."""
        _, auto = self.send("GET", "/wallet/auto-charge", "resident", user)
        if auto["last"] is not None and auto["last"]["charge_id"] is not None:
            with self.bank_during(bank):
                self.cancel_top_up(auto["last"]["charge_id"], user, keyed, mine=True)

    def cancel_top_up(self, charge_id: str, user: str, keyed: bool, *, mine: bool) -> None:
        """Another's top-up is not found; one's own is cancelled whole (200), or refused (409: already cancelled,
        its days over, partly spent; or the bank declined the payout and the money is back), or waits for the bank
        (503, only while it is down)."""
        status, out = self.send("POST", f"/wallet/charges/{charge_id}/cancel", "resident", user, keyed=keyed,
                                allowed=(404, 409, *self.unavailable()))
        assert (status == 404) == (not mine), (status, out)
        if status == 409 and code_of(out) == "CONFLICT":
            assert user in self.d.env.bank.refuse_deposits, out
        elif status == 409:
            assert code_of(out) == "INVALID_STATE", out
        elif status == 503 and keyed:
            self.unanswered = self.tried
        elif status == 200:
            assert (out["charge_id"], out["status"]) == (charge_id, "cancelled"), out

    # ---- withdrawals ----

    @step(user=st.sampled_from(USERS), bank=BANK)
    def withdraw(self, user: str, bank: str) -> None:
        """The whole charged balance to the bank once 60 % of everything charged was spent: 201, or 409 refused
        whole (INVALID_STATE: less than 60 %, nothing left, a top-up in flight) or declined by the bank (CONFLICT:
        the money back), or 503 while the bank is down. What it took back for refunded cashback is on the books."""
        before, _ = read_wallet(user)
        with self.bank_during(bank):
            status, out = self.send("POST", "/wallet/withdrawals", "resident", user, {}, keyed=True,
                                    allowed=(409, *self.unavailable()))
            declined = user in self.d.env.bank.refuse_deposits
        after, _ = read_wallet(user)
        recovered = after.adjustment_due - before.adjustment_due
        assert recovered >= 0, (before, after)
        self.books.recovered += recovered
        if status == 201:
            assert (out["charged_balance"], after.charged_balance, after.auto.mode) == (0, 0, "off"), (out, after)
            assert out["amount"] == before.charged_balance - out["kept_back"], (out, before)
            assert recovered == out["kept_back"] + before.cashback_balance - after.cashback_balance, (out, before, after)
        elif status == 409 and code_of(out) == "INVALID_STATE":
            assert after == before, (before, after)
        elif status == 409:
            assert code_of(out) == "CONFLICT" and declined, out
        else:
            self.unanswered = self.tried

    @precondition(lambda self: self.unanswered is not None)
    @step()
    def retry_unanswered(self) -> None:
        """A payout's request the bank did not answer, sent again with its key: paid now (the first answer, 2xx),
        given back (409), or still waiting (503) — never paid twice."""
        u = self.unanswered
        assert u is not None
        status, out = self.d.call(u.method, u.path, u.role, u.sub, u.merchant_id, u.body, u.key)
        assert status in OK or status in (409, *self.unavailable()), (u, status, out)
        if status != 503:
            self.unanswered = None
        if status in OK:
            self.last = replace(u, status=status, response=out)

    # ---- 자동충전 ----

    @step(user=st.sampled_from(USERS), setting=st.sampled_from(SETTINGS))
    def auto_charge_setting(self, user: str, setting: tuple[int, int] | None) -> None:
        body: dict[str, Any] = {"mode": "off"}
        if setting is not None:
            body = {"mode": "below", "below": setting[0], "amount": setting[1]}
            self.auto_on = True
        _, out = self.send("PUT", "/wallet/auto-charge", "resident", user, body)
        assert (out["mode"], out["below"], out["amount"]) == (body["mode"], body.get("below"), body.get("amount"))

    @precondition(lambda self: self.auto_on)
    @step()
    def stream_redelivers(self) -> None:
        """Lambda delivers the example's whole stream again: every drop is topped up once, whatever the repeats."""
        self.deliver_stream(again=True)

    @precondition(lambda self: self.something_waits())
    @step()
    def cashout_sweep(self) -> None:
        """The five-minute sweep, now and then (not only when days pass): a payout or a top-up waits for it."""
        self.sweep_payouts()

    def sweep_payouts(self) -> None:
        """What the schedule `cashout_sweep` does (app.py): with the bank answering, no payout recorded over two
        minutes ago is left pending and no automatic top-up claimed over five minutes ago is left in flight."""
        cashout_use_cases.on_schedule()
        if self.d.env.bank.down:
            return
        now = self.d.env.clock.now()
        store = self.d.store()
        for p in store.get("payout", []):
            assert p.status != PAYOUT_PENDING or datetime.fromisoformat(p.created_at) > now - SWEEP_AFTER, p
        for w in store.get("wallet", []):
            assert w.auto.in_flight is None or datetime.fromisoformat(w.auto.in_flight_since) > now - STUCK_AFTER, w

    def something_waits(self) -> bool:
        store = self.d.store()
        return (any(p.status == PAYOUT_PENDING for p in store.get("payout", []))
                or any(w.auto.in_flight is not None for w in store.get("wallet", [])))

    # ---- the bank ----

    @step(trouble=st.sampled_from(["down", "declines top-ups", "declines payouts", "mended"]))
    def bank_trouble(self, trouble: str) -> None:
        """The bank stops answering, or declines the residents' transfers from their accounts (top-ups) or into them
        (payouts), until it is mended (or the example ends)."""
        bank = self.d.env.bank
        if trouble == "down":
            bank.down = True
        elif trouble == "declines top-ups":
            bank.refuse_withdrawals.update(dict.fromkeys(USERS, TROUBLE))
        elif trouble == "declines payouts":
            bank.refuse_deposits.update(dict.fromkeys(USERS, TROUBLE))
        else:
            bank.down = False
            bank.refuse_withdrawals.clear()
            bank.refuse_deposits.clear()

    @contextmanager
    def bank_during(self, trouble: str) -> Iterator[None]:
        """The bank as it is, or, for one request only, not answering or declining payouts."""
        bank = self.d.env.bank
        down, refusals = bank.down, dict(bank.refuse_deposits)
        if trouble == "down":
            bank.down = True
        elif trouble == "declines":
            bank.refuse_deposits.update(dict.fromkeys(USERS, TROUBLE))
        try:
            yield
        finally:
            bank.down, bank.refuse_deposits = down, refusals

    # ---- gifts ----

    @step(target=gifts, user=st.sampled_from(USERS),
          amount=st.sampled_from([1_000, 10_000, 55_000, 500_000]) | st.integers(1_000, 500_000),
          message=st.sampled_from([None, "생일 축하해"]))
    def send_gift(self, user: str, amount: int, message: str | None) -> Any:
        body: dict[str, Any] = {"amount": amount} if message is None else {"amount": amount, "message": message}
        status, out = self.send("POST", "/gifts", "resident", user, body, keyed=True, allowed=(409,))
        if status != 201:
            assert code_of(out) == "INSUFFICIENT_FUNDS", out
            return multiple()
        expires = self.d.env.clock.now() + CLAIM_PERIOD
        assert datetime.fromisoformat(out["expires_at"]) == expires, out
        self.books.gifts[out["gift_id"]] = GiftBook(user, amount, expires)
        return (out["gift_id"], out["claim_code"])

    @step(gift=gifts, by=st.sampled_from(["other", "other", "other", "sender"]),
          typed=st.sampled_from(["as shown", "lower case", "spaced", "wrong"]))
    def claim_gift(self, gift: tuple[str, str], by: str, typed: str) -> None:
        """Claimed once, by someone else, while it is `sent`: 201; the sender is 409 CONFLICT, a gift that ended
        409 INVALID_STATE, a claimer without room 409 LIMIT_EXCEEDED (the gift stays claimable). A wrong code
        (its first character changed) is 404, and after ten in one clock hour every claim is 429 until the hour
        ends. Codes are read in either case, with spaces for hyphens."""
        gift_id, code = gift
        known = self.books.gifts[gift_id]
        claimer = known.sender if by == "sender" else other(known.sender)
        wrong = ("1" if code[0] == "0" else "0") + code[1:]
        code = {"as shown": code, "lower case": code.lower(), "spaced": code.replace("-", " "), "wrong": wrong}[typed]
        window = (claimer, guess_window(self.d.env.clock.now()))
        throttled = self.misses.get(window, 0) >= UNKNOWN_CODES_PER_HOUR
        status, out = self.send("POST", "/gifts/claim", "resident", claimer, {"claim_code": code}, keyed=True,
                                allowed=(404, 409, 429))
        if throttled:
            assert status == 429, (status, out)
        elif typed == "wrong":
            assert status == 404, (status, out)
            self.misses[window] = self.misses.get(window, 0) + 1
        elif claimer == known.sender:
            assert (status, code_of(out)) == (409, "CONFLICT"), out
        elif known.state != "sent":
            assert (status, code_of(out)) == (409, "INVALID_STATE"), out
        elif status != 201:
            assert (status, code_of(out)) == (409, "LIMIT_EXCEEDED"), out
        else:
            assert (out["gift_id"], out["amount"]) == (gift_id, known.amount), out
            known.state, known.recipient = "claimed", claimer

    @step(gift=gifts, by=st.sampled_from(["sender", "sender", "sender", "other"]), keyed=st.booleans())
    def cancel_gift(self, gift: tuple[str, str], by: str, keyed: bool) -> None:
        """Only its sender, only while it is `sent`: 200 and the money back; ended, 409; anyone else's, 404."""
        gift_id, _ = gift
        known = self.books.gifts[gift_id]
        user = known.sender if by == "sender" else other(known.sender)
        status, out = self.send("POST", f"/gifts/{gift_id}/cancel", "resident", user, keyed=keyed,
                                allowed=(404, 409))
        if by != "sender":
            assert status == 404, (status, out)
        elif known.state != "sent":
            assert (status, code_of(out)) == (409, "INVALID_STATE"), out
        else:
            assert (status, out["status"]) == (200, "cancelled"), out
            known.state = "cancelled"

    def gifts_come_back(self) -> None:
        """What the schedule `return_unclaimed_gifts` does (app.py): every gift still `sent` whose 72 hours are over
        goes back to its sender, once; the others are left alone."""
        returned = gift_use_cases.return_unclaimed()
        now = self.d.env.clock.now()
        due = [g for g in self.books.gifts.values() if g.state == "sent" and g.expires <= now]
        assert returned == len(due), (returned, due)
        for g in due:
            g.state = "returned"

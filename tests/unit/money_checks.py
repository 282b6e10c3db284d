"""The money invariants' checks of issue 15's movements (test_money_invariants.py), over everything stored (by kind,
`District.store`) and the bank's own records: each wallet's history, its lifetime counters, the top-ups and their
cancellations, the payouts, the gifts. `MoneyMachine.the_books_balance` runs them after every step."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from chalicelib.domain.cashout import PAYOUT_CHARGE_CANCEL, PAYOUT_DECLINED, PAYOUT_PAID, PAYOUT_PENDING, tally
from chalicelib.domain.ledger import (
    MOVE_AUTO_CHARGE,
    MOVE_CHARGE,
    MOVE_CHARGE_CANCELLED,
    MOVE_GIFT_CANCELLED,
    MOVE_GIFT_RECEIVED,
    MOVE_GIFT_RETURNED,
    MOVE_GIFT_SENT,
    MOVE_WITHDRAWAL,
    Movement,
)
from chalicelib.domain.wallet import CHARGE_ACTIVE, CHARGE_CANCELLED
from tests.unit.money_harness import Books

Store = dict[str, list[Any]]
GIFT_ENDS = {"claimed": MOVE_GIFT_RECEIVED, "cancelled": MOVE_GIFT_CANCELLED, "returned": MOVE_GIFT_RETURNED}
"""A gift's end and the one movement it makes after `gift_sent`."""


def ledgers(store: Store) -> dict[str, list[Movement]]:
    """Each resident's movements in the ledger's order (time, then the wallet's version after it, then the id)."""
    by_user: dict[str, list[Movement]] = defaultdict(list)
    for mv in sorted(store.get("ledger", []), key=lambda m: (m.created_at, m.seq, m.movement_id)):
        by_user[mv.user_id].append(mv)
    return by_user


def check_histories(store: Store, books_of: dict[str, list[Movement]]) -> None:
    """Walking each ledger in its order, every movement's balances after it are the running sums (none recorded
    without them: every movement here was made after they were kept), each is a later version of the wallet
    than the one before, and the wallet's lifetime counters are what its ledger says (`tally`)."""
    for w in store.get("wallet", []):
        charged = cashback = seq = 0
        for mv in books_of[w.user_id]:
            charged += mv.d_charged
            cashback += mv.d_cashback
            assert mv.seq > seq, ("a movement listed after a later version of the wallet", mv, seq)
            seq = mv.seq
            assert (mv.charged_after, mv.cashback_after) == (charged, cashback), (mv, charged, cashback)
        assert seq <= w.version, (w, seq)
        assert w.tallied and (w.charged_in, w.spent) == tally(books_of[w.user_id]), (w, tally(books_of[w.user_id]))


def pending_gifts(store: Store) -> int:
    """Won in gifts still `sent`: out of the sender's wallet, in nobody's yet."""
    return sum(g.amount for g in store.get("gift", []) if g.status == "sent")


def pending_payouts(store: Store) -> int:
    """Won taken off wallets for the bank that the bank has not paid yet."""
    return sum(p.amount for p in store.get("payout", []) if p.status == PAYOUT_PENDING)


def resident_top_ups(bank: Any) -> tuple[int, dict[str, int]]:
    """What the bank took from residents' accounts (approved, not cancelled): the residents' own top-ups' total,
    and the automatic ones' amounts by transfer id."""
    own, auto = 0, {}
    for tid, t in bank.transfers.items():
        if t.approved and tid not in bank.cancelled:
            if tid.startswith("auto_"):
                auto[tid] = t.amount
            else:
                own += t.amount
    return own, auto


def check_gifts(store: Store, books_of: dict[str, list[Movement]], books: Books) -> None:
    """Every gift is one the harness sent, in the state the harness expects (claimed only by the one claim that
    succeeded, cancelled only by its sender, returned only by the sweep once its 72 hours were over), listed as
    received once claimed, and its money moved exactly as its state says: one `gift_sent` from its sender, then
    at most one movement, the one its end makes (a claim into the recipient's wallet, a cancellation or a return
    into the sender's)."""
    moved: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    for user, movements in books_of.items():
        for mv in movements:
            if mv.kind in (MOVE_GIFT_SENT, *GIFT_ENDS.values()):
                moved[mv.ref].append((user, mv.kind, mv.d_charged))
    gifts = {g.gift_id: g for g in store.get("gift", [])}
    assert set(gifts) == set(books.gifts) and set(moved) <= set(gifts), (set(gifts), set(books.gifts), set(moved))
    for gift_id, g in gifts.items():
        known = books.gifts[gift_id]
        assert (g.sender_id, g.amount, g.status, g.recipient_id) == (
            known.sender, known.amount, known.state, known.recipient), (g, known)
        expected = [(g.sender_id, MOVE_GIFT_SENT, -g.amount)]
        if g.status in GIFT_ENDS:
            expected.append((g.recipient_id or g.sender_id, GIFT_ENDS[g.status], g.amount))
        assert sorted(moved[gift_id]) == sorted(expected), (g, moved[gift_id])
    received = {g.gift_id for g in store.get("gift-received", [])}
    assert received == {i for i, g in gifts.items() if g.status == "claimed"}, received


def check_top_ups(store: Store, books_of: dict[str, list[Movement]], bank: Any, books: Books) -> None:
    """The bank took exactly the residents' own top-ups the harness saw answered 201, and one transfer for each
    automatic top-up in the ledger (at most one `auto_charge` movement per charge id). Every top-up has its record;
    a record still `charged` has its money in the wallet (its movement, and any cancellation given back), a
    `cancelled` one has it out, with exactly one payout not declined; and each month's `charged` counter is the
    sum of its records still `charged` (a cancellation frees the month's limit)."""
    own, auto = resident_top_ups(bank)
    assert own - books.bank_start == books.charged_in, (own, books.bank_start, books.charged_in)
    autos = [(mv.ref, mv.d_charged) for movements in books_of.values() for mv in movements
             if mv.kind == MOVE_AUTO_CHARGE]
    assert len(autos) == len(dict(autos)) and dict(autos) == auto, (autos, auto)
    by_ref: dict[tuple[str, str], list[Movement]] = defaultdict(list)
    for user, movements in books_of.items():
        for mv in movements:
            if mv.kind in (MOVE_CHARGE, MOVE_AUTO_CHARGE, MOVE_CHARGE_CANCELLED):
                by_ref[user, mv.ref].append(mv)
    live_payouts: dict[tuple[str, str], list[str]] = defaultdict(list)
    for p in store.get("payout", []):
        if p.kind == PAYOUT_CHARGE_CANCEL and p.status != PAYOUT_DECLINED:
            live_payouts[p.user_id, p.ref].append(p.payout_id)
    charged: dict[tuple[str, str], int] = defaultdict(int)
    records = {(r.user_id, r.charge_id): r for r in store.get("charge", [])}
    assert set(records) == set(by_ref), (set(records), set(by_ref))
    for key, r in records.items():
        moves = by_ref[key]
        tops = [mv for mv in moves if mv.kind != MOVE_CHARGE_CANCELLED]
        assert [(mv.kind, mv.d_charged) for mv in tops] == [(r.kind, r.amount)], (r, moves)
        held = sum(mv.d_charged for mv in moves)
        if r.status == CHARGE_ACTIVE:
            assert held == r.amount and live_payouts[key] == [] and r.payout_id is None, (r, moves, live_payouts[key])
            charged[r.user_id, r.month] += r.amount
        else:
            assert r.status == CHARGE_CANCELLED and held == 0 and live_payouts[key] == [r.payout_id], (
                r, moves, live_payouts[key])
    for m in store.get("month", []):
        assert m.charged == charged.pop((m.user_id, m.month), 0), (m, charged)
    assert not charged, charged


def check_payouts(store: Store, books_of: dict[str, list[Movement]], bank: Any) -> None:
    """Each payout is what the bank did with its transfer id: `paid` once the bank paid it (its amount), `declined`
    when the bank refused it, `pending` while the bank has not answered; the bank paid nothing else. Its movement
    took the amount off the wallet, and a declined payout's second movement gave it back."""
    payouts = {p.payout_id: p for p in store.get("payout", [])}
    assert set(bank.deposits) <= set(payouts), (set(bank.deposits), set(payouts))
    kinds = {MOVE_WITHDRAWAL, MOVE_CHARGE_CANCELLED}
    made = {mv.movement_id: mv for movements in books_of.values() for mv in movements if mv.kind in kinds}
    for pid, p in payouts.items():
        deposit = bank.deposits.get(pid)
        answered = {PAYOUT_PENDING: None, PAYOUT_PAID: True, PAYOUT_DECLINED: False}[p.status]
        assert (None if deposit is None else deposit.approved) == answered, (p, deposit)
        assert deposit is None or deposit.amount == p.amount, (p, deposit)
        kind = MOVE_CHARGE_CANCELLED if p.kind == PAYOUT_CHARGE_CANCEL else MOVE_WITHDRAWAL
        out, back = made.pop(pid, None), made.pop(f"{pid}-back", None)
        assert out is not None and (out.user_id, out.kind, out.d_charged) == (p.user_id, kind, -p.amount), (p, out)
        assert (back is None) == (p.status != PAYOUT_DECLINED), (p, back)
        assert back is None or (back.user_id, back.kind, back.d_charged) == (p.user_id, kind, p.amount), (p, back)
    assert not made, ("a movement to or from the bank without its payout", made)

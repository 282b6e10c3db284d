"""The settlement's books check as a whole (handlers/books.py): after the credits, Scan segments check every
wallet against its ledger and tally the merchants' lines; a wallet that disagrees makes the books unbalanced and
is named; one that only moved while the Scan read it is read again and passes; a segment handed on page by
page gives the same month as one read at once."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest

from chalicelib.domain.books import BooksRow, WalletBalances
from chalicelib.domain.months import KST
from chalicelib.domain.ports.unit import Page
from chalicelib.handlers import books
from tests.support import BIZ, Env, new_key


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2020, month, day, hour, 0, tzinfo=KST)


def a_month_of_shopping(env: Env) -> tuple[str, str]:
    """Five residents pay at two shops in March (one Benefit Plus at 5 %); one payment is partly refunded."""
    env.clock.set(at(3, 2))
    plain = env.register_merchant(number=BIZ[0])
    bplus = env.register_merchant(benefit_plus=True, rate=5, number=BIZ[1])
    for i, user in enumerate(("ann", "bob", "cyd", "dee", "eve")):
        env.open_wallet(user, charge=200_000)
        assert env.pay(user, plain, 10_000 * (i + 1))[0] == 201
    _, paid = env.pay("ann", bplus, 40_000)                  # 2,000 off: 38,000 paid
    status, _ = env.call("POST", f"/merchant/payments/{paid['payment_id']}/refunds", role="merchant", sub="o",
                         merchant_id=bplus, body={"amount": 8_000}, key=new_key())
    assert status == 200
    env.clock.set(at(4, 1, 1))
    return plain, bplus


def line(env: Env, merchant: str) -> dict[str, Any]:
    status, body = env.call("GET", "/merchant/settlements/2020-03", role="merchant", sub="o", merchant_id=merchant)
    assert status == 200, body
    return dict(body)


def test_a_wallet_whose_balance_disagrees_with_its_ledger_makes_the_books_unbalanced_and_is_named(env: Env):
    plain, _ = a_month_of_shopping(env)
    batch = env.repos.store.batch()
    held = env.repos.wallets.want(batch, "cyd")
    batch.run()
    wallet = held.value
    assert wallet is not None
    tx = env.repos.store.tx()  # 1,000 won that no movement accounts for
    env.repos.wallets.stage(tx, replace(wallet, charged_balance=wallet.charged_balance + 1_000,
                                        version=wallet.version + 1), wallet.version)
    tx.commit()

    run = env.settle("2020-03")
    assert run["status"] == "completed" and run["books_balanced"] is False
    assert run["problems"] == ["cyd: balances differ from the sum of the wallet's movements (wallet 171000 charged, "
                               "1500 cashback; movements 170000, 1500)"]
    assert run["cashback_credited"] == 9_600 and run["settled_residents"] == 5  # the rest settled as usual
    summary = json.loads(env.container.reports.files["settlements/2020-03/summary.json"][0])  # type: ignore[attr-defined]
    assert summary["books_balanced"] is False and summary["problems"] == run["problems"]
    assert line(env, plain)["gross"] == 150_000
    assert env.settle("2020-03")["problems"] == run["problems"]  # a re-run finds it again


def test_a_wallet_that_moved_while_the_scan_read_it_is_read_again_alone_and_the_books_balance(
    env: Env, monkeypatch: pytest.MonkeyPatch
):
    a_month_of_shopping(env)
    wallets = env.repos.wallets
    scan, read_alone = wallets.books_page, wallets.books_of
    rechecked: list[str] = []

    def stale_scan(segment: int, segments: int, cursor: str | None, limit: int) -> Page[BooksRow]:
        """bob's wallet as it was before a payment whose movement the Scan did see."""
        page = scan(segment, segments, cursor, limit)
        return replace(page, items=[replace(r, charged=r.charged + 5_000) if isinstance(r, WalletBalances)
                                    and r.user_id == "bob" else r for r in page.items])

    def alone(user_id: str) -> list[BooksRow]:
        rechecked.append(user_id)
        return read_alone(user_id)

    monkeypatch.setattr(wallets, "books_page", stale_scan)
    monkeypatch.setattr(wallets, "books_of", alone)
    run = env.settle("2020-03")
    assert run["books_balanced"] is True and run["problems"] == []
    assert rechecked == ["bob"]  # read again once, and nobody else


def test_segments_handed_on_after_every_page_give_the_month_read_at_once(env: Env, monkeypatch: pytest.MonkeyPatch):
    plain, bplus = a_month_of_shopping(env)
    monkeypatch.setattr(books, "SCAN_PAGE", 2)
    monkeypatch.setattr(books, "MAX_PAGES_PER_MESSAGE", 1)
    sent: list[dict[str, Any]] = []
    queue = env.container.shards
    real_send = queue.send

    def send(messages: list[dict[str, Any]]) -> None:
        sent.extend(messages)
        real_send(messages)

    monkeypatch.setattr(queue, "send", send)
    read_alone: list[str] = []
    monkeypatch.setattr(env.repos.wallets, "books_of", read_alone.append)
    run = env.settle("2020-03")
    assert read_alone == []  # what a message handed on was carried whole: no wallet seemed to disagree
    carried = [json.loads(m["tally"]) for m in sent if "tally" in m]
    assert len(carried) >= 5 and any(t["user"] is not None for t in carried)  # a resident was cut in two
    assert run["books_balanced"] is True and run["problems"] == []
    assert (line(env, plain), line(env, bplus)) == (
        {"month": "2020-03", "gross": 150_000, "discounts": 0, "refunds": 0, "net": 150_000, "fees": 0},
        {"month": "2020-03", "gross": 40_000, "discounts": 2_000, "refunds": 8_000, "net": 30_000, "fees": 0})
    again = env.settle("2020-03")
    assert again["cashback_credited"] == run["cashback_credited"] and again["books_balanced"] is True
    assert line(env, bplus)["net"] == 30_000

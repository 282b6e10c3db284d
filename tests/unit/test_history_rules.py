"""The history's rules as pure functions: what each movement is called, the CSV's cells, the usage statement's
arithmetic, and the balances every movement carries. (Through HTTP: test_history.py.)"""

from __future__ import annotations

import csv
import io
from typing import get_args

import pytest

from chalicelib.domain import ledger
from chalicelib.domain.history import (
    TYPES,
    Entry,
    csv_text,
    entry,
    history_type,
    to_csv,
    usage_statement,
)
from chalicelib.domain.ledger import Movement, stamped
from chalicelib.domain.wallet import Wallet
from chalicelib.web.schemas.history import HistoryType

AT = "2020-03-10T12:00:00+09:00"


def test_every_kind_of_movement_has_a_history_type_the_contract_names():
    kinds = [v for k, v in vars(ledger).items() if k.startswith("MOVE_")]
    assert len(kinds) >= 13
    for kind in kinds:
        assert history_type(kind, None) in TYPES, kind
    assert set(get_args(HistoryType)) == set(TYPES) and len(TYPES) == 17


@pytest.mark.parametrize(("kind", "channel", "expected"), [
    ("payment", "store", "payment"), ("payment", "delivery", "order"), ("payment", "mall", "mall_order"),
    ("refund", "store", "refund"), ("refund", "delivery", "order_refund"), ("refund", "mall", "mall_order_refund"),
    ("payment", None, "payment"), ("refund", None, "refund"), ("cashback", None, "cashback_credit"),
    ("cashback_recovery", None, "cashback_recovery"), ("gift_sent", None, "gift_sent"), ("charge", None, "charge"),
])
def test_a_movement_is_called_by_its_kind_and_a_payment_by_its_channel(kind: str, channel: str | None,
                                                                         expected: str):
    assert history_type(kind, channel) == expected


def test_a_movement_carries_the_wallet_it_leaves_and_its_place_in_the_wallet_s_sequence():
    after = Wallet("ann", "청라1동", charged_balance=7_000, cashback_balance=300, version=12)
    moved = stamped(Movement("ann", "mv", "charge", "chg", 7_000, 0, AT), after)
    assert (moved.charged_after, moved.cashback_after, moved.seq) == (7_000, 300, 12)
    line = entry(moved)
    assert (line.balance_charged, line.balance_cashback) == (7_000, 300)
    assert (entry(Movement("ann", "mv", "charge", "chg", 7_000, 0, AT)).balance_charged) is None


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_text_cell_a_spreadsheet_would_run_as_a_formula_is_prefixed_with_a_quote(start: str):
    assert csv_text(f"{start}1+1") == f"'{start}1+1"


def test_other_text_cells_are_written_as_they_are():
    assert [csv_text(v) for v in ("서구 정육점", "a=b", "1+1", "", None)] == ["서구 정육점", "a=b", "1+1", "", ""]


def test_the_csv_quotes_commas_quotes_and_line_breaks_and_reads_back_as_written():
    names = ["쌀, 10kg \"특\"", "줄\n바꿈", "-할인"]
    lines = [Entry(AT, "payment", f"pay_{i}", -1_000, 0, 9_000 - i, 0, "m", n) for i, n in enumerate(names)]
    text = to_csv(lines)
    assert text.startswith("\ufeffat,type,") and text.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    assert [r[-1] for r in rows[1:]] == ["쌀, 10kg \"특\"", "줄\n바꿈", "'-할인"]
    assert rows[1][:7] == [AT, "payment", "pay_0", "-1000", "0", "9000", "0"]


def test_usage_is_charged_spend_less_charged_refunds_in_the_kst_month_each_happened_in():
    moves = [
        Movement("ann", "c", "charge", "chg", 100_000, 0, "2020-01-31T23:59:59+09:00"),
        Movement("ann", "p1", "payment", "p1", -8_000, -2_000, "2020-01-31T23:59:59+09:00", channel="store"),
        Movement("ann", "p2", "payment", "p2", -13_000, 0, "2020-02-01T00:00:00+09:00", channel="delivery"),
        Movement("ann", "r1", "refund", "p1", 3_000, 2_000, "2020-02-10T10:00:00+09:00"),
        Movement("ann", "d", "donation", "d", 0, -500, "2020-02-11T10:00:00+09:00"),
        Movement("ann", "k", "cashback_recovery", "s", -700, 0, "2020-03-01T01:00:00+09:00"),
        Movement("ann", "g", "gift_sent", "g", -10_000, 0, "2020-03-02T01:00:00+09:00"),
        Movement("ann", "x", "payment", "x", -99_000, 0, "2019-12-31T23:59:59+09:00"),
        Movement("ann", "y", "payment", "y", -99_000, 0, "2021-01-01T00:00:00+09:00"),
    ]
    s = usage_statement(2020, moves)
    assert [(m.month, m.paid, m.refunded, m.net) for m in s.months[:3]] == [
        ("2020-01", 8_000, 0, 8_000), ("2020-02", 13_000, 3_000, 10_000), ("2020-03", 0, 0, 0)]
    assert len(s.months) == 12 and s.total == 18_000
    assert usage_statement(2021, [Movement("ann", "r", "refund", "x", 5_000, 0, "2021-01-05T10:00:00+09:00")]).total == 0

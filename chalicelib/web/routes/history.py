"""The resident's history (a bank-statement view of the wallet), as JSON and as a CSV file, and the yearly
usage statement for the income deduction."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.web.api import RESIDENTS, Call, Raw, Routes
from chalicelib.web.schemas.history import (
    BalanceOut,
    HistoryCsvQuery,
    HistoryItemOut,
    HistoryOut,
    HistoryQuery,
    UsageMonthOut,
    UsageQuery,
    UsageStatementOut,
)

if TYPE_CHECKING:
    from chalicelib.domain.history import Entry

routes = Routes(__name__, "history")
CSV = "text/csv; charset=utf-8"


def entry_out(e: Entry) -> HistoryItemOut:
    balance = None
    if e.balance_charged is not None and e.balance_cashback is not None:
        balance = BalanceOut(charged=e.balance_charged, cashback=e.balance_cashback)
    return HistoryItemOut(
        at=e.at, type=e.type, ref_id=e.ref_id, charged=e.charged, cashback=e.cashback,  # type: ignore[arg-type]
        balance=balance, merchant_id=e.merchant_id, merchant_name=e.merchant_name,
    )  # fmt: skip


@routes.route("/history", "GET", role=RESIDENTS, summary="Every movement of my wallet, newest first, with the "
              "balances after each", query=HistoryQuery, response=HistoryOut)
def history(call: Call) -> HistoryOut:
    from chalicelib.handlers import history as use_cases

    q = call.query
    page = use_cases.history(call.user.sub, q.month, q.limit, q.next)
    return HistoryOut(items=[entry_out(e) for e in page.items], next=page.next)


@routes.route("/history.csv", "GET", role=RESIDENTS, summary="A month of my history as a CSV file (UTF-8 with a "
              "byte-order mark, oldest first)", query=HistoryCsvQuery, media_type="text/csv")
def history_csv(call: Call) -> Raw:
    from chalicelib.handlers import history as use_cases

    month = call.query.month
    text = use_cases.history_csv(call.user.sub, month)
    return Raw(text, CSV, {"Content-Disposition": f'attachment; filename="seoro-history-{month}.csv"'})


@routes.route("/me/usage-statement", "GET", role=RESIDENTS, summary="What I paid from my charged balance in a "
              "year, by month, for the income deduction", query=UsageQuery, response=UsageStatementOut)
def usage_statement(call: Call) -> UsageStatementOut:
    from chalicelib.handlers import history as use_cases

    s = use_cases.statement(call.user.sub, call.query.year)
    return UsageStatementOut(
        year=s.year,
        months=[UsageMonthOut(month=m.month, paid=m.paid, refunded=m.refunded, net=m.net) for m in s.months],
        total=s.total,
    )

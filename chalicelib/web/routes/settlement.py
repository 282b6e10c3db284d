"""Monthly settlement: staff start (or re-run) a closed month and follow it; merchants read their line."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.web.api import MERCHANTS, STAFF, Call, Routes
from chalicelib.web.schemas.settlement import (
    DongTotalsOut,
    MerchantSettlementOut,
    RecoveredOut,
    SettlementIn,
    SettlementOut,
    SettlementProgress,
)

if TYPE_CHECKING:
    from chalicelib.handlers.settlement import Status

routes = Routes(__name__, "settlement")


def settlement_out(s: Status) -> SettlementOut:
    run, totals, policy = s.run, s.totals, s.policy
    return SettlementOut(
        month=run.month,
        status=run.status,  # type: ignore[arg-type]
        residents=totals.residents,
        settled_residents=totals.settled_residents,
        cashback_credited=totals.cashback_credited,
        accrued=totals.accrued,
        adjustments_applied=totals.adjustments_applied,
        recovered=RecoveredOut(cashback=totals.recovered_from_cashback, charged=totals.recovered_from_charged),
        still_owed=totals.still_owed,
        by_program={p: totals.by_program.get(p, 0) for p in policy.program_ids},
        by_funder=totals.by_funder(policy),
        by_dong={d: DongTotalsOut(residents=n, cashback_credited=won) for d, (n, won) in totals.by_dong().items()},
        auto_donations=totals.auto_donations,
        books_balanced=totals.books_balanced if run.status == "completed" else None,
        problems=list(totals.problems),
        progress=SettlementProgress(shards_done=run.parts_done, shards_total=run.parts_total),
        reports=run.reports,
        started_at=run.started_at,
        finished_at=run.finished_at,
    )


@routes.route("/staff/settlements", "POST", role=STAFF, summary="Start or re-run a closed month's settlement",
              body=SettlementIn, response=SettlementOut, status=202)
def start_settlement(call: Call) -> SettlementOut:
    from chalicelib.handlers import settlement

    return settlement_out(settlement.start(call.body.month, call.user.sub))


@routes.route("/staff/settlements/{month}", "GET", role=STAFF, summary="A month's settlement and its totals",
              response=SettlementOut)
def settlement_status(call: Call) -> SettlementOut:
    from chalicelib.handlers import settlement

    return settlement_out(settlement.status(call.params["month"]))


@routes.route("/merchant/settlements/{month}", "GET", role=MERCHANTS, summary="My line of a settled month",
              response=MerchantSettlementOut)
def merchant_settlement(call: Call) -> MerchantSettlementOut:
    from chalicelib.domain.reports import merchant_line_dict
    from chalicelib.handlers import settlement

    month = call.params["month"]
    line = settlement.merchant_line(call.user.merchant_id or "", month)
    return MerchantSettlementOut(month=month, **merchant_line_dict(line))

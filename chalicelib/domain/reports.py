"""The month's settlement reports, rendered as JSON and CSV (pure: the handler stores them in S3)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from chalicelib.domain.policy import Policy
from chalicelib.domain.settlement import MerchantLine, Totals


def summary(month: str, totals: Totals, policy: Policy) -> dict[str, Any]:
    """Everything staff see: per funder and program (and per tier), per merchant, per dong, the books."""
    programs = []
    for program in policy.programs:
        spend_row = totals.tier_spend.get(program.program_id, [])
        programs.append(
            {
                "program_id": program.program_id,
                "funder": program.funder,
                "owed": totals.by_program.get(program.program_id, 0),
                "tiers": [
                    {
                        "up_to": tier.up_to,
                        "rate_bp": tier.rate_bp,
                        "eligible_spend": spend_row[i] if i < len(spend_row) else 0,
                    }
                    for i, tier in enumerate(program.tiers)
                ],
            }
        )
    merchants = {
        mid: merchant_line_dict(MerchantLine(*row)) for mid, row in sorted(totals.merchants.items())
    }
    return {
        "month": month,
        "residents": totals.residents,
        "settled_residents": totals.settled_residents,
        "cashback_credited": totals.cashback_credited,
        "accrued": totals.accrued,
        "adjustments_applied": totals.adjustments_applied,
        "recovered": {"cashback": totals.recovered_from_cashback, "charged": totals.recovered_from_charged},
        "still_owed": totals.still_owed,
        "auto_donations": totals.auto_donations,
        "by_program": dict(sorted(totals.by_program.items())),
        "by_funder": dict(sorted(totals.by_funder(policy).items())),
        "programs": programs,
        "merchants": merchants,
        "dongs": {d: {"residents": r[0], "eligible_spend": r[1]} for d, r in sorted(totals.dongs.items())},
        "books_balanced": totals.books_balanced,
        "problems": list(totals.problems),
    }


def merchant_line_dict(line: MerchantLine) -> dict[str, int]:
    """Fees are always 0: no commission, no delivery-agency fee."""
    return {"gross": line.gross, "discounts": line.discounts, "refunds": line.refunds, "net": line.net, "fees": 0}


def _csv(header: list[str], rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def render(month: str, totals: Totals, policy: Policy) -> dict[str, bytes]:
    """The report files of a month, by file name."""
    doc = summary(month, totals, policy)
    funders = []
    for program in doc["programs"]:
        for tier in program["tiers"]:
            funders.append(
                [program["funder"], program["program_id"], tier["up_to"] if tier["up_to"] is not None else "",
                 tier["rate_bp"], tier["eligible_spend"], ""]
            )
        funders.append([program["funder"], program["program_id"], "total", "", "", program["owed"]])
    merchants = [[mid, *line.values()] for mid, line in doc["merchants"].items()]
    dongs = [[d, v["residents"], v["eligible_spend"]] for d, v in doc["dongs"].items()]
    return {
        "summary.json": json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8"),
        "funders.csv": _csv(["funder", "program", "tier_up_to", "rate_bp", "eligible_spend", "owed"], funders),
        "merchants.csv": _csv(["merchant_id", "gross", "discounts", "refunds", "net", "fees"], merchants),
        "dongs.csv": _csv(["dong", "residents", "eligible_spend"], dongs),
    }

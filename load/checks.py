"""After the run: does the money still balance?

Each resident's wallet (charged + cashback) must equal its book — every top-up, payment, order, refund,
cancellation, settlement credit and donation the API answered 2xx to, summed — and so must the totals over
all residents. Each campaign's `raised` must have grown by exactly the donations made to it, and each
mall product's stock must be what it was less what was sold plus what cancellations put back. No balance
may be negative.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from load.api import Api
from load.model import World


@dataclass
class MoneyCheck:
    """What the checks found; `ok` when nothing is off."""

    residents: int = 0
    checked: int = 0
    uncertain: int = 0
    expected_total: int = 0
    actual_total: int = 0
    donated: int = 0
    problems: list[str] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)  # residents left out, and the requests that left them out

    @property
    def ok(self) -> bool:
        return not self.problems and self.expected_total == self.actual_total

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "residents": self.residents, "checked": self.checked, "uncertain": self.uncertain,
                "expected_total": self.expected_total, "actual_total": self.actual_total, "donated": self.donated,
                "problems": self.problems, "unanswered": self.unanswered}


def check_money(api: Api, world: World) -> MoneyCheck:
    """Compare every wallet, campaign and product with what the run's answers say they must be."""
    result = MoneyCheck(residents=len(world.residents))
    for me in world.residents:
        wallet = api.expect(200, me.token, "GET", "/wallet")
        charged, cashback = int(wallet["charged_balance"]), int(wallet["cashback_balance"])
        if charged < 0 or cashback < 0:
            result.problems.append(f"{me.sub}: a negative balance (charged {charged}, cashback {cashback})")
        if me.book.uncertain or me.book.pending:
            result.uncertain += 1  # a request without a definite answer: its effect is unknown
            cut = [f"{me.book.pending} cut off by the end of the run"] if me.book.pending else []
            result.unanswered.append(f"{me.sub}: {', '.join(me.book.uncertain + cut)}")
            continue
        result.checked += 1
        result.expected_total += me.book.total
        result.actual_total += charged + cashback
        if charged + cashback != me.book.total:
            result.problems.append(f"{me.sub}: wallet holds {charged + cashback:,} won, its answers say "
                                   f"{me.book.total:,} ({me.book})")
    for campaign in world.campaigns:
        raised = int(api.expect(200, world.staff_token, "GET", f"/campaigns/{campaign}")["raised"])
        grew, gave = raised - world.raised_before[campaign], world.donated_to[campaign]
        result.donated += gave
        if grew != gave:
            result.problems.append(f"campaign {campaign}: raised grew by {grew:,} won, donations to it were {gave:,}")
    listed = _mall_stock(api, world.staff_token)
    for p in world.products:
        want = p.stock - p.sold + p.restocked
        if listed.get(p.product_id) != want:
            result.problems.append(f"product {p.product_id}: stock {listed.get(p.product_id)}, expected {want} "
                                   f"({p.stock} − {p.sold} sold + {p.restocked} restocked)")
    return result


def _mall_stock(api: Api, token: str) -> dict[str, int]:
    """Every only-seogu product's stock, paging through the whole mall."""
    stock: dict[str, int] = {}
    path = "/malls/only-seogu/products?limit=100"
    while True:
        page = api.expect(200, token, "GET", path)
        stock.update({str(p["product_id"]): int(p["stock"]) for p in page["items"]})
        if not page["next"]:
            return stock
        path = f"/malls/only-seogu/products?limit=100&next={quote(page['next'], safe='')}"

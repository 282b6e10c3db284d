"""Cashback policy as data: programs, funders, marginal tiers in basis points, effective month.

Exact arithmetic, so rounding never drifts: for a program p and a month's eligible spend S,
`F_p(S) = floor(Σ_tiers rate_bp × overlap(tier, [0, S]) / 10,000)`. An event that moves the counter
from c to c′ accrues `F_p(c′) − F_p(c)`, so a month's cashback for p is always exactly
`F_p(net eligible spend)`, whatever the order of payments and refunds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BP_SCALE = 10_000
SCOPE_ALL = "all"
SCOPE_BENEFIT_PLUS = "benefit-plus"
SCOPES = (SCOPE_ALL, SCOPE_BENEFIT_PLUS)

CHANNEL_STORE = "store"
CHANNEL_DELIVERY = "delivery"
CHANNEL_MALL = "mall"


@dataclass(frozen=True)
class Tier:
    """A marginal bracket: spend up to `up_to` (None: no upper bound) earns `rate_bp` on its part."""

    up_to: int | None
    rate_bp: int


@dataclass(frozen=True)
class Program:
    """A cashback program with its own per-resident monthly counter of eligible spend."""

    program_id: str
    funder: str
    tiers: tuple[Tier, ...]
    applies_to: str = SCOPE_ALL
    monthly_budget: int | None = None
    """What the funder puts into this program each month (won); None: unlimited."""

    def covers(self, benefit_plus: bool, channel: str) -> bool:
        """`benefit-plus` covers Benefit Plus merchants and every 배달서구 delivery order; `all` covers all."""
        if self.applies_to == SCOPE_ALL:
            return True
        return benefit_plus or channel == CHANNEL_DELIVERY

    def tier_spend(self, spend: int) -> list[int]:
        """How much of a month's eligible spend falls in each tier (a payment straddling a bound is split)."""
        parts: list[int] = []
        lower = 0
        for tier in self.tiers:
            upper = spend if tier.up_to is None else min(spend, tier.up_to)
            parts.append(max(upper - lower, 0))
            if tier.up_to is not None:
                lower = max(lower, tier.up_to)
        return parts

    def cumulative(self, spend: int) -> int:
        """F_p(spend): the cashback a month with this much eligible spend earns in total."""
        if spend <= 0:
            return 0
        exact = sum(t.rate_bp * part for t, part in zip(self.tiers, self.tier_spend(spend), strict=True))
        return exact // BP_SCALE

    def accrual(self, before: int, after: int) -> int:
        """What an event moving the counter from `before` to `after` accrues (negative for a refund)."""
        return self.cumulative(after) - self.cumulative(before)


@dataclass(frozen=True)
class Policy:
    """The rules in force from `effective_month` until a later policy takes over."""

    effective_month: str
    programs: tuple[Program, ...]
    monthly_charge_limit: int
    balance_limit: int
    program_ids: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "program_ids", tuple(p.program_id for p in self.programs))

    def program(self, program_id: str) -> Program | None:
        return next((p for p in self.programs if p.program_id == program_id), None)


def validate_tiers(tiers: tuple[Tier, ...]) -> list[str]:
    """Tiers must rise strictly, end unbounded, and rates lie within 0–100 %."""
    problems: list[str] = []
    if not tiers:
        return ["a program needs at least one tier"]
    previous = 0
    for i, tier in enumerate(tiers):
        if not 0 <= tier.rate_bp <= BP_SCALE:
            problems.append(f"tier {i}: rate_bp must be between 0 and {BP_SCALE}")
        last = i == len(tiers) - 1
        if tier.up_to is None and not last:
            problems.append(f"tier {i}: only the last tier may be unbounded (up_to null)")
        if tier.up_to is not None:
            if tier.up_to <= previous:
                problems.append(f"tier {i}: up_to must be greater than the previous bound {previous}")
            else:
                previous = tier.up_to
            if last:
                problems.append("the last tier must be unbounded (up_to null)")
    return problems


def validate_policy(policy: Policy, max_rate_bp: int = BP_SCALE) -> list[str]:
    """Every problem with a policy, not only the first. No tier may pay more than `max_rate_bp` (the cap
    staff cannot raise through a policy: `MAX_RATE_BP`, 10 % by default)."""
    problems: list[str] = []
    seen: set[str] = set()
    for program in policy.programs:
        if program.program_id in seen:
            problems.append(f"program {program.program_id}: duplicate program_id")
        seen.add(program.program_id)
        if program.applies_to not in SCOPES:
            problems.append(f"program {program.program_id}: applies_to must be one of {', '.join(SCOPES)}")
        problems.extend(f"program {program.program_id}: {p}" for p in validate_tiers(program.tiers))
        problems.extend(
            f"program {program.program_id}: tier {i}: rate_bp {t.rate_bp} is above the cap of {max_rate_bp}"
            for i, t in enumerate(program.tiers)
            if t.rate_bp > max_rate_bp
        )
        if program.monthly_budget is not None and program.monthly_budget < 0:
            problems.append(f"program {program.program_id}: monthly_budget must not be negative")
    if not policy.programs:
        problems.append("a policy needs at least one program")
    if policy.monthly_charge_limit <= 0:
        problems.append("monthly_charge_limit must be positive")
    if policy.balance_limit <= 0:
        problems.append("balance_limit must be positive")
    return problems


def policy_for(month: str, policies: list[Policy]) -> Policy | None:
    """The policy in force in `month`: the latest whose effective month is not after it."""
    candidates = [p for p in policies if p.effective_month <= month]
    return max(candidates, key=lambda p: p.effective_month) if candidates else None


SEASON2 = Policy(
    effective_month="2020-01",
    programs=(
        Program(
            "city-base",
            "incheon-city",
            (Tier(300_000, 400), Tier(500_000, 200), Tier(1_000_000, 100), Tier(None, 0)),
        ),
        Program("gu-extra", "seo-gu", (Tier(500_000, 100), Tier(None, 0))),
        Program("benefit-plus", "seo-gu", (Tier(1_000_000, 200), Tier(None, 0)), SCOPE_BENEFIT_PLUS),
    ),
    monthly_charge_limit=1_000_000,
    balance_limit=2_000_000,
)
"""The Season 2 policy of the article, effective 2020-01, without budgets."""


def policy_to_dict(policy: Policy) -> dict[str, object]:
    """The contract's policy document."""
    return {
        "effective_month": policy.effective_month,
        "programs": [
            {
                "program_id": p.program_id,
                "funder": p.funder,
                "applies_to": p.applies_to,
                "tiers": [{"up_to": t.up_to, "rate_bp": t.rate_bp} for t in p.tiers],
                "monthly_budget": p.monthly_budget,
            }
            for p in policy.programs
        ],
        "monthly_charge_limit": policy.monthly_charge_limit,
        "balance_limit": policy.balance_limit,
    }


def policy_from_dict(doc: dict[str, object]) -> Policy:
    """The inverse of `policy_to_dict` for documents this system wrote."""
    programs = doc["programs"]
    assert isinstance(programs, list)
    return Policy(
        effective_month=str(doc["effective_month"]),
        programs=tuple(
            Program(
                program_id=str(p["program_id"]),
                funder=str(p["funder"]),
                applies_to=str(p.get("applies_to", SCOPE_ALL)),
                tiers=tuple(
                    Tier(up_to=None if t["up_to"] is None else int(t["up_to"]), rate_bp=int(t["rate_bp"]))
                    for t in p["tiers"]
                ),
                monthly_budget=None if p.get("monthly_budget") is None else int(p["monthly_budget"]),
            )
            for p in programs
        ),
        monthly_charge_limit=int(str(doc["monthly_charge_limit"])),
        balance_limit=int(str(doc["balance_limit"])),
    )

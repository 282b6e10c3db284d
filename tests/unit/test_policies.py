"""Cashback policy as data: the Season 2 policy is in force; staff propose policies for future months only,
no tier above the cap; a proposal takes effect only once another staff member approves it, and then takes
over (rates, limits and all) when its month comes. Both steps are in the audit trail.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from tests.support import BIZ, Env, new_key

KST = timezone(timedelta(hours=9))
STAFF = "staff1"
RESIDENT = "res-1"

# The Season 2 table of SPEC.md, in basis points.
SEASON2_PROGRAMS = [
    {"program_id": "city-base", "funder": "incheon-city", "tiers": [
        {"up_to": 300_000, "rate_bp": 400}, {"up_to": 500_000, "rate_bp": 200},
        {"up_to": 1_000_000, "rate_bp": 100}, {"up_to": None, "rate_bp": 0}]},
    {"program_id": "gu-extra", "funder": "seo-gu", "tiers": [
        {"up_to": 500_000, "rate_bp": 100}, {"up_to": None, "rate_bp": 0}]},
    {"program_id": "benefit-plus", "funder": "seo-gu", "tiers": [
        {"up_to": 1_000_000, "rate_bp": 200}, {"up_to": None, "rate_bp": 0}]},
]

# A richer season: 10 % up to 100,000 won from the city, a flat 0.5 % from the district.
SEASON3: dict[str, Any] = {
    "programs": [
        {"program_id": "city-base", "funder": "incheon-city",
         "tiers": [{"up_to": 100_000, "rate_bp": 1_000}, {"up_to": None, "rate_bp": 0}]},
        {"program_id": "gu-extra", "funder": "seo-gu", "tiers": [{"up_to": None, "rate_bp": 50}]},
    ],
    "monthly_charge_limit": 500_000,
    "balance_limit": 700_000,
}


def assert_error(status: int, body: Any, expected_status: int, code: str) -> None:
    assert status == expected_status, body
    assert isinstance(body, dict) and set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code, body


def current(env: Env, role: str = "resident") -> dict[str, Any]:
    merchant_id = "m-any" if role == "merchant" else None
    status, out = env.call("GET", "/policies/current", role=role, sub=f"{role}-1", merchant_id=merchant_id)
    assert status == 200, out
    result: dict[str, Any] = out
    return result


def publish(env: Env, month: str, body: dict[str, Any]) -> tuple[int, Any]:
    return env.call("PUT", f"/staff/policies/{month}", role="staff", sub=STAFF, body=body)


def approve(env: Env, month: str, sub: str = "chief") -> tuple[int, Any]:
    return env.call("POST", f"/staff/policies/{month}/approve", role="staff", sub=sub)


def at_kst(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=KST).astimezone(UTC)


def programs_without_extras(policy: dict[str, Any]) -> list[dict[str, Any]]:
    """The contract's program fields only (the app may add more, e.g. `applies_to`)."""
    return [{k: p[k] for k in ("program_id", "funder", "tiers")} for p in policy["programs"]]


# ---- reading ----------------------------------------------------------------------------------


def test_the_season_2_policy_is_in_force_for_everyone_exactly_as_specified(
    env: Env, subtests: pytest.Subtests
) -> None:
    for role in ("resident", "merchant", "staff"):
        with subtests.test(msg=role):
            policy = current(env, role)
            assert policy["effective_month"] == "2020-01"
            assert programs_without_extras(policy) == SEASON2_PROGRAMS
            assert (policy["monthly_charge_limit"], policy["balance_limit"]) == (1_000_000, 2_000_000)
            assert all(p.get("monthly_budget") is None for p in policy["programs"]), "Season 2 has no budgets"
    scopes = {p["program_id"]: p.get("applies_to") for p in current(env)["programs"]}
    assert scopes.get("benefit-plus") in (None, "benefit-plus")


def test_the_season_2_policy_is_in_force_in_every_month_since_2020_01(env: Env) -> None:
    for instant in (at_kst(2020, 1, 1, 0, 0), at_kst(2020, 12, 31, 23, 59), at_kst(2031, 7, 1, 12, 0)):
        env.clock.set(instant)
        assert current(env)["effective_month"] == "2020-01"


# ---- publishing -------------------------------------------------------------------------------


def test_only_a_future_month_may_be_published(env: Env, subtests: pytest.Subtests) -> None:
    env.clock.set(at_kst(2020, 3, 31, 23, 59))  # the last minute of March, KST (UTC is still the 31st, 14:59)
    for month in ("2020-03", "2020-02", "2020-01", "2019-12", "2000-01"):
        with subtests.test(msg=month):
            status, out = publish(env, month, SEASON3)
            assert_error(status, out, 400, "VALIDATION_ERROR")
    assert current(env)["effective_month"] == "2020-01"
    status, out = publish(env, "2020-04", SEASON3)
    assert status == 202, out


def test_the_month_is_judged_in_kst(env: Env) -> None:
    """At 00:30 KST on 1 April, UTC still says 31 March: April is the current month, not a future one."""
    env.clock.set(at_kst(2020, 4, 1, 0, 30))
    status, out = publish(env, "2020-04", SEASON3)
    assert_error(status, out, 400, "VALIDATION_ERROR")


def test_a_proposal_takes_effect_only_once_another_staff_member_approves_it(env: Env) -> None:
    status, proposed = publish(env, "2020-04", SEASON3)
    assert status == 202 and (proposed["status"], proposed["proposed_by"]) == ("proposed", STAFF), proposed
    env.clock.set(at_kst(2020, 3, 20, 9, 0))
    status, own = approve(env, "2020-04", sub=STAFF)
    assert_error(status, own, 403, "FORBIDDEN")          # not by the one who proposed it
    assert env.call("GET", "/staff/policies/2020-04", role="staff", sub="chief")[1]["status"] == "proposed"
    status, approved = approve(env, "2020-04")
    assert status == 200 and (approved["status"], approved["approved_by"]) == ("approved", "chief"), approved
    status, again = approve(env, "2020-04", sub="auditor")
    assert_error(status, again, 409, "INVALID_STATE")
    status, seen = env.call("GET", "/staff/policies/2020-04", role="staff", sub="auditor")
    assert status == 200 and seen["status"] == "approved" and seen["proposed_by"] == STAFF
    entries = env.call("GET", "/staff/audit?limit=10", role="staff", sub="auditor")[1]["items"]
    assert [(e["action"], e["actor"], e["target"]) for e in entries[:2]] == [
        ("policy.approve", "chief", "2020-04"), ("policy.propose", STAFF, "2020-04")]


def test_an_unapproved_proposal_never_takes_effect_and_cannot_be_approved_once_its_month_began(env: Env) -> None:
    assert publish(env, "2020-04", SEASON3)[0] == 202
    env.clock.set(at_kst(2020, 4, 1, 0, 0))
    assert current(env)["effective_month"] == "2020-01"
    status, late = approve(env, "2020-04")
    assert_error(status, late, 409, "INVALID_STATE")
    assert current(env)["effective_month"] == "2020-01"


def test_approving_a_month_with_nothing_proposed_is_not_found(env: Env) -> None:
    status, out = approve(env, "2020-07")
    assert_error(status, out, 404, "NOT_FOUND")
    assert env.call("GET", "/staff/policies/2020-07", role="staff", sub="chief")[0] == 404
    assert env.call("GET", "/staff/policies/2020-01", role="staff", sub="chief")[1]["status"] == "approved"


def test_a_published_future_policy_is_returned_and_takes_over_when_its_month_comes(env: Env) -> None:
    out = env.enact_policy("2020-04", SEASON3)
    assert out["effective_month"] == "2020-04"
    assert programs_without_extras(out) == [{k: p[k] for k in ("program_id", "funder", "tiers")}
                                            for p in SEASON3["programs"]]
    assert (out["monthly_charge_limit"], out["balance_limit"]) == (500_000, 700_000)

    assert current(env)["effective_month"] == "2020-01", "March keeps Season 2"
    env.clock.set(at_kst(2020, 3, 31, 23, 59, 59))
    assert current(env)["effective_month"] == "2020-01"
    env.clock.set(at_kst(2020, 4, 1, 0, 0))
    now = current(env)
    assert now["effective_month"] == "2020-04"
    assert programs_without_extras(now) == programs_without_extras(out)
    env.clock.set(at_kst(2020, 9, 1, 0, 0))
    assert current(env)["effective_month"] == "2020-04", "a policy stays in force until the next one"


def test_payments_accrue_by_the_tiers_of_the_policy_of_their_month(env: Env) -> None:
    env.open_wallet(RESIDENT, charge=300_000)
    merchant = env.register_merchant(number=BIZ[0])
    env.enact_policy("2020-04", SEASON3)

    status, march = env.pay(RESIDENT, merchant, 50_000)
    assert status == 201, march
    assert march["cashback"] == {"city-base": 2_000, "gu-extra": 500, "benefit-plus": 0}

    env.clock.set(at_kst(2020, 4, 2, 12, 0))
    status, april = env.pay(RESIDENT, merchant, 120_000)
    assert status == 201, april
    # city-base: 10 % of the first 100,000, then 0; gu-extra: 0.5 % of all of it.
    assert april["cashback"].get("city-base") == 10_000
    assert april["cashback"].get("gu-extra") == 600
    assert not april["cashback"].get("benefit-plus"), "Season 3 has no benefit-plus program"

    wallet = env.wallet(RESIDENT)
    assert wallet["month"]["month"] == "2020-04"
    assert wallet["month"]["pending_cashback"] == 10_600
    assert wallet["month"]["pending_by_program"].get("city-base") == 10_000
    assert wallet["limits"] == {"monthly_charge_limit": 500_000, "balance_limit": 700_000}

    # A refund of the March payment reverses by March's rules, not April's.
    status, refunded = env.call("POST", f"/merchant/payments/{march['payment_id']}/refunds", role="merchant",
                                sub="owner", merchant_id=merchant, body={}, key=new_key())
    assert status == 200, refunded
    assert refunded["month"] == "2020-03"
    after = env.wallet(RESIDENT)
    assert after["month"]["pending_cashback"] == 10_600, "April's accruals are untouched by a March refund"
    assert after["charged_balance"] == 300_000 - 120_000


def test_the_new_limits_apply_when_the_policy_takes_over(env: Env) -> None:
    env.open_wallet(RESIDENT)
    env.enact_policy("2020-04", SEASON3)
    env.clock.set(at_kst(2020, 4, 2, 12, 0))
    status, out = env.call("POST", "/wallet/charges", role="resident", sub=RESIDENT, body={"amount": 500_001},
                           key=new_key())
    assert_error(status, out, 409, "LIMIT_EXCEEDED")
    status, out = env.call("POST", "/wallet/charges", role="resident", sub=RESIDENT, body={"amount": 500_000},
                           key=new_key())
    assert status == 201, out


def test_proposing_a_future_month_again_replaces_the_proposal_and_the_approval_is_of_the_new_one(env: Env) -> None:
    assert publish(env, "2020-05", SEASON3)[0] == 202
    revised = copy.deepcopy(SEASON3)
    revised["programs"][1]["tiers"] = [{"up_to": None, "rate_bp": 75}]
    status, out = publish(env, "2020-05", revised)
    assert status == 202, out
    assert approve(env, "2020-05")[0] == 200
    env.clock.set(at_kst(2020, 5, 10, 9, 0))
    policy = current(env)
    assert policy["effective_month"] == "2020-05"
    assert policy["programs"][1]["tiers"] == [{"up_to": None, "rate_bp": 75}]


# ---- invalid policies -------------------------------------------------------------------------


def with_tiers(*tiers: dict[str, Any]) -> dict[str, Any]:
    body = copy.deepcopy(SEASON3)
    body["programs"][0]["tiers"] = list(tiers)
    return body


def with_programs(*programs: dict[str, Any]) -> dict[str, Any]:
    body = copy.deepcopy(SEASON3)
    body["programs"] = list(programs)
    return body


INVALID: list[tuple[str, dict[str, Any]]] = [
    ("descending bounds", with_tiers({"up_to": 500_000, "rate_bp": 400}, {"up_to": 300_000, "rate_bp": 200},
                                     {"up_to": None, "rate_bp": 0})),
    ("a repeated bound", with_tiers({"up_to": 300_000, "rate_bp": 400}, {"up_to": 300_000, "rate_bp": 200},
                                    {"up_to": None, "rate_bp": 0})),
    ("the last tier bounded", with_tiers({"up_to": 300_000, "rate_bp": 400}, {"up_to": 500_000, "rate_bp": 200})),
    ("a single bounded tier", with_tiers({"up_to": 300_000, "rate_bp": 400})),
    ("an unbounded tier in the middle", with_tiers({"up_to": None, "rate_bp": 400},
                                                   {"up_to": 500_000, "rate_bp": 200},
                                                   {"up_to": None, "rate_bp": 0})),
    ("a zero bound", with_tiers({"up_to": 0, "rate_bp": 400}, {"up_to": None, "rate_bp": 0})),
    ("a negative bound", with_tiers({"up_to": -1, "rate_bp": 400}, {"up_to": None, "rate_bp": 0})),
    ("rate above 100 %", with_tiers({"up_to": None, "rate_bp": 10_001})),
    ("rate above the 10 % cap", with_tiers({"up_to": 10_000, "rate_bp": 1_001}, {"up_to": None, "rate_bp": 0})),
    ("negative rate", with_tiers({"up_to": None, "rate_bp": -1})),
    ("no tiers", with_tiers()),
    ("duplicate program ids", with_programs(SEASON3["programs"][0], SEASON3["programs"][0])),
    ("duplicate program ids, different tiers", with_programs(
        SEASON3["programs"][0], {**SEASON3["programs"][1], "program_id": "city-base"})),
    ("no programs", with_programs()),
    ("a program id with spaces", with_programs({**SEASON3["programs"][0], "program_id": "city base"})),
    ("no funder", with_programs({k: v for k, v in SEASON3["programs"][0].items() if k != "funder"})),
    ("no charge limit", {k: v for k, v in SEASON3.items() if k != "monthly_charge_limit"}),
]


def test_an_invalid_policy_is_refused_and_never_takes_effect(env: Env, subtests: pytest.Subtests) -> None:
    for label, body in INVALID:
        with subtests.test(msg=label):
            status, out = publish(env, "2020-04", body)
            assert_error(status, out, 400, "VALIDATION_ERROR")
    env.clock.set(at_kst(2020, 4, 15, 12, 0))
    assert current(env)["effective_month"] == "2020-01"
    assert programs_without_extras(current(env)) == SEASON2_PROGRAMS


def test_a_rate_of_exactly_the_cap_is_allowed_and_one_basis_point_more_is_not(env: Env) -> None:
    status, out = publish(env, "2020-04", with_tiers({"up_to": 10_000, "rate_bp": 1_000},
                                                     {"up_to": None, "rate_bp": 0}))
    assert status == 202, out
    status, out = publish(env, "2020-04", with_tiers({"up_to": 10_000, "rate_bp": 1_001},
                                                     {"up_to": None, "rate_bp": 0}))
    assert_error(status, out, 400, "VALIDATION_ERROR")
    assert "cap" in out["error"]["message"]

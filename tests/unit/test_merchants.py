"""Staff register merchants (validated as a whole, one per business number); anyone signed in finds
them by dong, Benefit Plus and delivery, page by page.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from tests.support import BIZ, Env

STAFF = "staff1"


def assert_error(status: int, body: Any, expected_status: int, code: str) -> None:
    assert status == expected_status, body
    assert isinstance(body, dict) and set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code, body


def valid_body(number: str = BIZ[0], **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "청라 분식", "business_number": number, "dong": "청라2동",
                            "category": "restaurant", "benefit_plus": False}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


def register(env: Env, body: dict[str, Any]) -> tuple[int, Any]:
    return env.call("POST", "/staff/merchants", role="staff", sub=STAFF, body=body)


def listed(env: Env, query: str = "") -> list[dict[str, Any]]:
    """Every merchant the list gives for `query`, following `next` to the end."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(100):
        q = query + (f"&next={quote(cursor)}" if cursor else "")
        status, page = env.call("GET", f"/merchants?{q}", role="resident", sub="res-1")
        assert status == 200, page
        items += page["items"]
        cursor = page["next"]
        if not cursor:
            return items
    raise AssertionError("the list never ended")


def ids(items: list[dict[str, Any]]) -> set[str]:
    return {m["merchant_id"] for m in items}


# ---- registration: validation ----------------------------------------------------------------


INVALID: list[tuple[str, dict[str, Any], list[str]]] = [
    # (label, body, words the error message must contain)
    ("bad check digit", valid_body(number="1248100997"), ["business_number"]),
    ("business number of letters", valid_body(number="abcdefghij"), ["business_number"]),
    ("business number with bad hyphens", valid_body(number="12-481-00998"), ["business_number"]),
    ("dong outside the 22", valid_body(dong="역삼1동"), ["dong"]),
    ("dong spelled loosely", valid_body(dong="청라 2동"), ["dong"]),
    ("benefit_plus without a rate", valid_body(benefit_plus=True), ["discount_rate"]),
    ("benefit_plus with rate 4", valid_body(benefit_plus=True, discount_rate=4), ["discount_rate"]),
    ("benefit_plus with rate 10", valid_body(benefit_plus=True, discount_rate=10), ["discount_rate"]),
    ("benefit_plus with rate 0", valid_body(benefit_plus=True, discount_rate=0), ["discount_rate"]),
    ("discount_rate without benefit_plus", valid_body(discount_rate=5), ["discount_rate"]),
    ("unknown mall", valid_body(malls=["coupang"]), ["mall"]),
    ("yumyum without food_complex", valid_body(malls=["yumyum"]), ["yumyum"]),
    ("the same mall twice", valid_body(malls=["only-seogu", "only-seogu"]), ["mall"]),
    ("delivery to an unknown dong",
     valid_body(delivery={"fee": 2000, "min_order": 10_000, "dongs": ["청라2동", "판교동"]}), ["판교동"]),
    ("delivery to no dong", valid_body(delivery={"fee": 2000, "min_order": 10_000, "dongs": []}), ["dongs"]),
    ("category over 40 characters", valid_body(category="c" * 41), ["category"]),
    ("blank name", valid_body(name="   "), ["name"]),
]


def test_an_invalid_registration_is_refused_with_400_naming_the_problem_and_registers_nothing(
    env: Env, subtests: pytest.Subtests
) -> None:
    for label, body, words in INVALID:
        with subtests.test(msg=label):
            status, out = register(env, body)
            assert_error(status, out, 400, "VALIDATION_ERROR")
            for word in words:
                assert word in out["error"]["message"], out
    assert listed(env) == []
    # None of the refused attempts claimed the business number.
    status, out = register(env, valid_body())
    assert status == 201, out


def test_every_problem_of_a_registration_is_listed_at_once(env: Env) -> None:
    body = valid_body(number="1248100997", dong="역삼1동", benefit_plus=True, malls=["coupang", "yumyum"],
                      delivery={"fee": 2000, "min_order": 10_000, "dongs": ["판교동"]})
    status, out = register(env, body)
    assert_error(status, out, 400, "VALIDATION_ERROR")
    message = out["error"]["message"]
    for word in ("business_number", "dong", "discount_rate", "coupang", "yumyum", "판교동"):
        assert word in message, f"{word!r} missing from: {message}"


def test_type_errors_and_business_rule_errors_are_listed_together(env: Env) -> None:
    """A rate of 4 (not 3, 5 or 7) must not hide that the dong and the check digit are wrong too."""
    body = valid_body(number="1248100997", dong="역삼1동", benefit_plus=True, discount_rate=4)
    status, out = register(env, body)
    assert_error(status, out, 400, "VALIDATION_ERROR")
    message = out["error"]["message"]
    for word in ("discount_rate", "dong", "business_number"):
        assert word in message, f"{word!r} missing from: {message}"


def test_a_valid_registration_returns_the_merchant_with_its_number_normalised(env: Env) -> None:
    body = valid_body(number="220-81-62517", benefit_plus=True, discount_rate=7, malls=["only-seogu"],
                      delivery={"fee": 2500, "min_order": 12_000, "dongs": ["청라1동", "청라2동"]})
    status, out = register(env, body)
    assert status == 201, out
    assert out["business_number"] == "2208162517"
    assert out["merchant_id"]
    assert (out["name"], out["dong"], out["category"]) == ("청라 분식", "청라2동", "restaurant")
    assert (out["benefit_plus"], out["discount_rate"]) == (True, 7)
    assert out["delivery"] == {"fee": 2500, "min_order": 12_000, "dongs": ["청라1동", "청라2동"]}
    assert out["malls"] == ["only-seogu"]

    status, got = env.call("GET", f"/merchants/{out['merchant_id']}", role="resident", sub="res-1")
    assert status == 200, got
    assert {k: got[k] for k in ("merchant_id", "name", "dong", "category", "benefit_plus", "discount_rate",
                                "delivery")} == {k: out[k] for k in ("merchant_id", "name", "dong", "category",
                                                                     "benefit_plus", "discount_rate", "delivery")}


def test_a_food_complex_company_may_sell_on_yumyum(env: Env) -> None:
    status, out = register(env, valid_body(malls=["yumyum"], food_complex=True))
    assert status == 201, out
    assert out["malls"] == ["yumyum"] and out["food_complex"] is True


def test_names_and_categories_are_trimmed(env: Env) -> None:
    status, out = register(env, valid_body(name="  서구 꽃집  ", category="  florist "))
    assert status == 201, out
    assert (out["name"], out["category"]) == ("서구 꽃집", "florist")


# ---- registration: one merchant per business number -------------------------------------------


def test_a_business_number_registers_one_merchant_only(env: Env, subtests: pytest.Subtests) -> None:
    status, first = register(env, valid_body(number=BIZ[0]))
    assert status == 201, first
    for label, number in (("the same digits", BIZ[0]), ("the hyphenated form", "124-81-00998")):
        with subtests.test(msg=label):
            status, out = register(env, valid_body(number=number, name="다른 가게", dong="가정1동"))
            assert_error(status, out, 409, "CONFLICT")
    assert ids(listed(env)) == {first["merchant_id"]}


# ---- finding merchants -----------------------------------------------------------------------


@pytest.fixture
def district(env: Env) -> dict[str, str]:
    """Merchants covering every combination the filters separate (and a free delivery: fee 0)."""
    delivery = {"fee": 2000, "min_order": 10_000, "dongs": ["청라2동", "청라3동"]}
    return {
        "plain": env.register_merchant(number=BIZ[0], dong="청라1동"),
        "plus_delivery": env.register_merchant(number=BIZ[1], benefit_plus=True, rate=5, dong="청라2동",
                                               delivery=delivery),
        "plus": env.register_merchant(number=BIZ[2], benefit_plus=True, rate=7, dong="가정1동"),
        "delivery": env.register_merchant(number=BIZ[3], dong="청라2동", delivery=delivery),
        "free_delivery": env.register_merchant(number=BIZ[4], dong="검단동",
                                               delivery={"fee": 0, "min_order": 0, "dongs": ["검단동"]}),
    }


def test_merchants_are_filtered_by_dong_benefit_plus_and_delivery(
    env: Env, district: dict[str, str], subtests: pytest.Subtests
) -> None:
    d = district
    cases = [
        ("", {"plain", "plus_delivery", "plus", "delivery", "free_delivery"}),
        (f"dong={quote('청라2동')}", {"plus_delivery", "delivery"}),
        (f"dong={quote('청라1동')}", {"plain"}),
        (f"dong={quote('검단동')}", {"free_delivery"}),
        (f"dong={quote('마전동')}", set()),
        ("benefit_plus=true", {"plus_delivery", "plus"}),
        ("benefit_plus=false", {"plain", "delivery", "free_delivery"}),
        ("delivery=true", {"plus_delivery", "delivery", "free_delivery"}),
        ("delivery=false", {"plain", "plus"}),
        (f"dong={quote('청라2동')}&benefit_plus=true", {"plus_delivery"}),
        (f"dong={quote('청라2동')}&benefit_plus=true&delivery=true", {"plus_delivery"}),
        (f"dong={quote('청라2동')}&benefit_plus=false&delivery=false", set()),
        ("benefit_plus=true&delivery=false", {"plus"}),
    ]
    for query, expected in cases:
        for limit in (1, 20):
            with subtests.test(msg=f"?{query} limit={limit}"):
                found = listed(env, f"limit={limit}&{query}")
                assert len(found) == len(ids(found)), "a merchant was listed twice"
                assert ids(found) == {d[name] for name in expected}


def test_a_listed_merchant_has_the_contract_fields(env: Env, district: dict[str, str]) -> None:
    found = {m["merchant_id"]: m for m in listed(env)}
    plus_delivery = found[district["plus_delivery"]]
    assert {"merchant_id", "name", "dong", "category", "benefit_plus", "discount_rate", "delivery"} <= set(
        plus_delivery
    )
    assert (plus_delivery["dong"], plus_delivery["benefit_plus"], plus_delivery["discount_rate"]) == (
        "청라2동", True, 5,
    )
    assert plus_delivery["delivery"]["dongs"] == ["청라2동", "청라3동"]
    assert found[district["plain"]]["delivery"] is None
    assert found[district["free_delivery"]]["delivery"] == {"fee": 0, "min_order": 0, "dongs": ["검단동"]}
    assert "business_number" not in plus_delivery


def test_paging_walks_every_merchant_exactly_once(env: Env, subtests: pytest.Subtests) -> None:
    benefit_plus = {
        env.register_merchant(number=number, benefit_plus=i % 2 == 0, rate=3 if i % 2 == 0 else None): i % 2 == 0
        for i, number in enumerate(BIZ[:7])
    }
    everyone = set(benefit_plus)
    plus_only = {m for m, plus in benefit_plus.items() if plus}
    for query, expected in (("", everyone), ("benefit_plus=true", plus_only)):
        for limit in (1, 2, 3, 7, 100):
            with subtests.test(msg=f"?{query} limit={limit}"):
                seen: list[str] = []
                cursor: str | None = None
                for _ in range(len(everyone) + 2):
                    q = f"limit={limit}&{query}" + (f"&next={quote(cursor)}" if cursor else "")
                    status, page = env.call("GET", f"/merchants?{q}", role="resident", sub="res-1")
                    assert status == 200, page
                    assert len(page["items"]) <= limit
                    seen += [m["merchant_id"] for m in page["items"]]
                    cursor = page["next"]
                    if not cursor:
                        break
                else:
                    raise AssertionError("paging does not end")
                assert len(seen) == len(set(seen)), "a merchant was listed twice"
                assert set(seen) == expected


def test_an_empty_list_is_one_empty_page(env: Env) -> None:
    status, page = env.call("GET", "/merchants", role="resident", sub="res-1")
    assert status == 200 and page == {"items": [], "next": None}


def test_an_unknown_merchant_is_not_found(env: Env, subtests: pytest.Subtests) -> None:
    env.register_merchant(number=BIZ[0])
    for merchant_id in ("m-doesnotexist", "m-000000000000", "x"):
        with subtests.test(msg=merchant_id):
            status, out = env.call("GET", f"/merchants/{merchant_id}", role="resident", sub="res-1")
            assert_error(status, out, 404, "NOT_FOUND")

"""Shops near me: staff record where a shop is; `GET /merchants?near=&radius=` lists the located shops within
the radius, nearest first, with great-circle distances in metres, filtered and paged, reading only the map
cells around the point."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.geo import EARTH_RADIUS_M, MAX_QUERIES, SEARCH_AREA, Location, covering, distance_m, geohash
from chalicelib.domain.merchant import Spot
from tests.support import BIZ, Env

OFFICE = (37.545556, 126.676111)
"""Seo-gu Office (서구청)."""
LAKE = (37.534089, 126.643053)
"""Cheongna Lake Park (청라호수공원): 3,181 m from the office on a sphere of the mean Earth radius (spherical
law of cosines: 3,181.42 m)."""
NEAR = f"{OFFICE[0]},{OFFICE[1]}"


def north(metres: float, of: tuple[float, float] = OFFICE) -> dict[str, float]:
    """The point `metres` due north (negative: south): along a meridian the great-circle distance is R·Δφ."""
    return {"lat": round(of[0] + math.degrees(metres / EARTH_RADIUS_M), 6), "lng": of[1]}


def register(env: Env, n: int, location: dict[str, float] | None, **extra: Any) -> str:
    body: dict[str, Any] = {"name": f"가게 {n}", "business_number": BIZ[n], "dong": "청라1동", "category": "food",
                            "benefit_plus": False, **extra}
    if location is not None:
        body["location"] = location
    status, out = env.call("POST", "/staff/merchants", role="staff", sub="kim", body=body)
    assert status == 201, out
    return str(out["merchant_id"])


def search(env: Env, query: str, status: int = 200) -> Any:
    code, body = env.call("GET", f"/merchants?{query}", role="resident", sub="ann")
    assert code == status, body
    return body


def found(env: Env, query: str) -> list[tuple[str, int]]:
    return [(m["merchant_id"], m["distance_m"]) for m in search(env, query)["items"]]


@pytest.fixture
def town(env: Env) -> dict[str, str]:
    """Shops around the office: 120 m north (Benefit Plus café), 450 m south (bakery in 가정1동), 999.6 m north
    (1,000 m rounded), 1,000.6 m south (1,001 m), the lake park's, and one with no location."""
    return {
        "cafe": register(env, 0, north(120), benefit_plus=True, discount_rate=5, category="cafe"),
        "bakery": register(env, 1, north(-450), category="bakery", dong="가정1동"),
        "edge": register(env, 2, north(999.6)),
        "beyond": register(env, 3, north(-1000.6)),
        "lake": register(env, 4, {"lat": LAKE[0], "lng": LAKE[1]}),
        "nowhere": register(env, 5, None),
    }


def test_shops_within_the_radius_come_nearest_first_with_their_location_and_distance(env: Env, town: dict[str, str]):
    body = search(env, f"near={NEAR}")  # radius 1,000 m by default
    assert [(m["merchant_id"], m["distance_m"]) for m in body["items"]] == [
        (town["cafe"], 120), (town["bakery"], 450), (town["edge"], 1_000)]
    assert body["next"] is None
    assert body["items"][0]["location"] == north(120) and body["items"][0]["name"] == "가게 0"


def test_two_landmarks_are_the_precomputed_great_circle_distance_apart(env: Env, town: dict[str, str]):
    assert found(env, f"near={NEAR}&radius=5000")[-1] == (town["lake"], 3_181)
    assert found(env, f"near={LAKE[0]},{LAKE[1]}&radius=1") == [(town["lake"], 0)]


def test_a_shop_just_outside_the_radius_is_left_out_and_a_metre_more_takes_it_in(env: Env, town: dict[str, str]):
    assert town["beyond"] not in dict(found(env, f"near={NEAR}&radius=1000"))
    assert dict(found(env, f"near={NEAR}&radius=1001"))[town["beyond"]] == 1_001
    assert found(env, f"near={NEAR}&radius=119") == []
    assert found(env, f"near={NEAR}&radius=120") == [(town["cafe"], 120)]


def test_pages_follow_the_nearest_first_order_and_a_cursor_continues_only_its_own_search(
    env: Env, town: dict[str, str]
):
    first = search(env, f"near={NEAR}&radius=5000&limit=2")
    assert [m["merchant_id"] for m in first["items"]] == [town["cafe"], town["bakery"]] and first["next"]
    second = search(env, f"near={NEAR}&radius=5000&limit=2&next={first['next']}")
    assert [m["merchant_id"] for m in second["items"]] == [town["edge"], town["beyond"]] and second["next"]
    third = search(env, f"near={NEAR}&radius=5000&limit=2&next={second['next']}")
    assert [m["merchant_id"] for m in third["items"]] == [town["lake"]] and third["next"] is None
    for other in (f"near={NEAR}&radius=4000", f"near={NEAR}&radius=5000&benefit_plus=false", "limit=2"):
        assert search(env, f"{other}&next={first['next']}", 400)["error"]["code"] == "VALIDATION_ERROR"
    assert search(env, f"near={NEAR}&next=bm90LWEtY3Vyc29y", 400)["error"]["code"] == "VALIDATION_ERROR"


def test_near_combines_with_benefit_plus_category_dong_and_delivery(env: Env, town: dict[str, str]):
    assert found(env, f"near={NEAR}&benefit_plus=true") == [(town["cafe"], 120)]
    assert [m for m, _ in found(env, f"near={NEAR}&benefit_plus=false")] == [town["bakery"], town["edge"]]
    assert found(env, f"near={NEAR}&category=bakery") == [(town["bakery"], 450)]
    assert found(env, f"near={NEAR}&dong={quote('가정1동')}") == [(town["bakery"], 450)]
    assert found(env, f"near={NEAR}&delivery=true") == []
    delivery = {"fee": 1_000, "min_order": 0, "dongs": ["청라1동"]}
    assert env.call("PUT", f"/staff/merchants/{town['edge']}/delivery", role="staff", sub="kim", body=delivery)[0] == 200
    assert found(env, f"near={NEAR}&delivery=true") == [(town["edge"], 1_000)]
    page = search(env, f"near={NEAR}&delivery=false&limit=1")
    assert [m["merchant_id"] for m in page["items"]] == [town["cafe"]]
    rest = search(env, f"near={NEAR}&delivery=false&limit=1&next={page['next']}")
    assert [m["merchant_id"] for m in rest["items"]] == [town["bakery"]] and rest["next"] is None


def test_only_shops_with_a_location_are_found_near_a_point_while_the_plain_list_has_every_shop(
    env: Env, town: dict[str, str]
):
    near_anything = {m for m, _ in found(env, f"near={NEAR}&radius=5000")}
    assert town["nowhere"] not in near_anything and len(near_anything) == 5
    listed = {m["merchant_id"]: m for m in search(env, "limit=100")["items"]}
    assert set(listed) == set(town.values())
    assert listed[town["nowhere"]]["location"] is None and listed[town["nowhere"]]["distance_m"] is None
    assert listed[town["cafe"]]["location"] == north(120) and listed[town["cafe"]]["distance_m"] is None
    assert [m["merchant_id"] for m in search(env, "category=cafe")["items"]] == [town["cafe"]]


def test_a_search_reads_only_the_map_cells_around_its_circle(env: Env, town: dict[str, str],
                                                              monkeypatch: pytest.MonkeyPatch):
    repo = env.repos.merchants
    asked: list[Any] = []
    read: list[Spot] = []
    real = repo.spots

    def spying(ranges: Any) -> list[Spot]:
        asked.append(list(ranges))
        spots = real(ranges)
        read.extend(spots)
        return spots

    monkeypatch.setattr(repo, "spots", spying)
    assert len(found(env, f"near={NEAR}&radius=500")) == 2
    (ranges,) = asked
    assert 1 <= len(ranges) <= MAX_QUERIES
    assert {s.merchant_id for s in read} <= {town["cafe"], town["bakery"], town["edge"], town["beyond"]}
    assert town["lake"] not in {s.merchant_id for s in read}  # 3 km away: its cell is never read
    asked.clear()
    found(env, f"near={NEAR}&radius=5000")
    assert len(asked[0]) <= MAX_QUERIES


def destination(start: Location, bearing_deg: float, metres: float) -> Location:
    """The point `metres` from `start` along the great circle leaving it at `bearing_deg`."""
    phi, lmb, theta, delta = (math.radians(start.lat), math.radians(start.lng), math.radians(bearing_deg),
                              metres / EARTH_RADIUS_M)
    phi2 = math.asin(math.sin(phi) * math.cos(delta) + math.cos(phi) * math.sin(delta) * math.cos(theta))
    lmb2 = lmb + math.atan2(math.sin(theta) * math.sin(delta) * math.cos(phi),
                            math.cos(delta) - math.sin(phi) * math.sin(phi2))
    return Location(math.degrees(phi2), math.degrees(lmb2))


@settings(max_examples=400, deadline=None)
@given(st.floats(SEARCH_AREA.south, SEARCH_AREA.north), st.floats(SEARCH_AREA.west, SEARCH_AREA.east),
       st.integers(1, 5_000), st.floats(0, 360), st.floats(0, 1))
def test_every_point_a_search_can_find_lies_in_the_cells_it_reads(lat: float, lng: float, radius: int,
                                                                  bearing: float, share: float):
    center = Location(lat, lng)
    point = destination(center, bearing, share * (radius + 0.49))
    assert distance_m(center, point) <= radius
    ranges = covering(center, radius)
    assert 1 <= len(ranges) <= MAX_QUERIES
    assert any(r.holds(geohash(point, 9)) for r in ranges), (center, radius, point)


@pytest.mark.parametrize("query", [
    "near=abc", "near=37.5", "near=37.5,126.6,1", "near=37.5;126.6", "near=126.676111,37.545556",
    "near=37.545556,126.676111e0", "near=%2037.545556,126.676111", "near=0,0", "near=",
    f"near={NEAR}&radius=0", f"near={NEAR}&radius=5001", f"near={NEAR}&radius=abc", f"near={NEAR}&radius=1.5",
    "radius=1000", f"near={NEAR}&dong=nowhere",
])
def test_a_malformed_or_faraway_point_or_a_radius_out_of_bounds_or_alone_is_400(env: Env, query: str):
    assert search(env, query, 400)["error"]["code"] == "VALIDATION_ERROR"


def test_a_search_from_just_outside_seo_gu_s_box_finds_the_shops_near_it(env: Env):
    """A resident 50 m south of the box's southern edge finds a shop 1.2 km north of them, inside it."""
    shop = register(env, 6, {"lat": 37.46, "lng": 126.676111})
    assert found(env, "near=37.4495,126.676111&radius=1500") == [(shop, 1_168)]


def audit(env: Env) -> list[dict[str, Any]]:
    status, body = env.call("GET", "/staff/audit?action=merchant.location", role="staff", sub="auditor")
    assert status == 200
    return list(body["items"])


def test_staff_move_a_shop_and_its_old_place_no_longer_finds_it_and_the_move_is_audited(
    env: Env, town: dict[str, str]
):
    shop = town["nowhere"]
    status, moved = env.call("PUT", f"/staff/merchants/{shop}/location", role="staff", sub="kim", body=north(300))
    assert (status, moved["location"]) == (200, north(300))
    assert (shop, 300) in found(env, f"near={NEAR}")
    status, moved = env.call("PUT", f"/staff/merchants/{shop}/location", role="staff", sub="lee",
                             body={"lat": LAKE[0], "lng": LAKE[1] + 0.001})
    assert status == 200
    assert shop not in dict(found(env, f"near={NEAR}"))
    assert dict(found(env, f"near={LAKE[0]},{LAKE[1]}&radius=200"))[shop] == 88
    assert env.call("GET", f"/merchants/{shop}", role="resident", sub="ann")[1]["location"] == {
        "lat": LAKE[0], "lng": LAKE[1] + 0.001}
    entries = audit(env)
    assert [(e["actor"], e["target"], e["detail"]) for e in entries] == [
        ("lee", shop, {"location": f"{LAKE[0]:.6f},{LAKE[1] + 0.001:.6f}", "previous": "37.548254,126.676111"}),
        ("kim", shop, {"location": "37.548254,126.676111", "previous": None}),
    ]
    # The same place again changes nothing and records nothing.
    assert env.call("PUT", f"/staff/merchants/{shop}/location", role="staff", sub="kim",
                    body={"lat": LAKE[0], "lng": LAKE[1] + 0.001})[0] == 200
    assert len(audit(env)) == 2


@pytest.mark.parametrize("location", [
    {"lat": 37.44, "lng": 126.676}, {"lat": 37.67, "lng": 126.676}, {"lat": 37.5, "lng": 126.53},
    {"lat": 37.5, "lng": 126.77}, {"lat": 126.676, "lng": 37.5}, {"lat": "37.5", "lng": 126.676},
    {"lat": 37.5}, {"lat": 37.5, "lng": 126.676, "alt": 3},
])
def test_a_location_outside_seo_gu_s_box_or_malformed_is_400_and_changes_nothing(
    env: Env, town: dict[str, str], location: dict[str, Any]
):
    status, body = env.call("PUT", f"/staff/merchants/{town['cafe']}/location", role="staff", sub="kim",
                            body=location)
    assert (status, body["error"]["code"]) == (400, "VALIDATION_ERROR")
    status, body = env.call("POST", "/staff/merchants", role="staff", sub="kim", body={
        "name": "밖", "business_number": BIZ[9], "dong": "청라1동", "category": "food", "benefit_plus": False,
        "location": location})
    assert (status, body["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert found(env, f"near={NEAR}&benefit_plus=true") == [(town["cafe"], 120)]
    assert audit(env) == []


def test_the_location_of_an_unknown_shop_is_404(env: Env):
    status, body = env.call("PUT", "/staff/merchants/m-nothing/location", role="staff", sub="kim", body=north(1))
    assert (status, body["error"]["code"]) == (404, "NOT_FOUND")


def test_the_box_and_the_rounding_are_what_the_rules_say():
    from chalicelib.domain.geo import SEARCH_AREA, SEOGU, in_seogu, location

    assert (SEOGU.south, SEOGU.north, SEOGU.west, SEOGU.east) == (37.45, 37.66, 126.54, 126.76)
    assert (SEARCH_AREA.south, SEARCH_AREA.north, SEARCH_AREA.west, SEARCH_AREA.east) == (37.40, 37.71, 126.48, 126.82)
    for place in (OFFICE, LAKE, (37.599547, 126.659697), (37.6450, 126.6700), (37.4800, 126.6780)):
        assert in_seogu(Location(*place)), place  # office, lake park, Geomdan, Daegok-dong, Gajwa
    assert location(37.12345678, 126.98765432) == Location(37.123457, 126.987654)

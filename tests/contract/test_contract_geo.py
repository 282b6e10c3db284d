"""The map index on both stores: a located merchant's spot is written with it, moved with its location in one
transaction (never two spots, never a spot without its merchant), and `spots` reads exactly the cell ranges
it is given. Also the category filter of the merchant list."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib import composition
from chalicelib.domain.errors import Contention
from chalicelib.domain.geo import CellRange, Location, covering, geohash
from chalicelib.domain.merchant import Merchant, Spot
from tests.contract.conftest import commit, read
from tests.support import BIZ

AT = "2020-03-10T12:00:00+09:00"
OFFICE = Location(37.545556, 126.676111)
"""Seo-gu Office."""
LAKE = Location(37.534089, 126.643053)
"""Cheongna Lake Park, 3.2 km west-south-west of the office."""


def shop(mid: str, number: str, at: Location | None, *, plus: bool = False, category: str = "food") -> Merchant:
    return Merchant(mid, f"가게 {mid}", number, "청라1동", category, plus, 5 if plus else 0, None, (), False, AT, at)


def around(repos: composition.Repositories, at: Location, radius: int = 500) -> list[Spot]:
    return repos.merchants.spots(covering(at, radius))


def test_a_located_merchant_reads_back_with_its_location_and_its_spot_is_in_the_cells_around_it(
    repos: composition.Repositories,
):
    commit(repos, lambda tx: repos.merchants.stage_add(tx, shop("m1", BIZ[0], OFFICE, plus=True, category="cafe")),
           lambda tx: repos.merchants.stage_add(tx, shop("m2", BIZ[1], None)))
    assert read(repos, lambda b: repos.merchants.want(b, "m1")) == shop("m1", BIZ[0], OFFICE, plus=True,
                                                                        category="cafe")
    assert read(repos, lambda b: repos.merchants.want(b, "m2")).location is None
    assert around(repos, OFFICE) == [Spot("m1", OFFICE, "청라1동", "cafe", True)]
    assert around(repos, LAKE) == []


def test_spots_reads_exactly_the_ranges_it_is_given(repos: composition.Repositories):
    commit(repos, lambda tx: repos.merchants.stage_add(tx, shop("m1", BIZ[0], OFFICE)),
           lambda tx: repos.merchants.stage_add(tx, shop("m2", BIZ[1], LAKE)))
    cell = geohash(OFFICE, 6)
    assert cell == "wydjdd"
    assert [s.merchant_id for s in repos.merchants.spots([CellRange("wydjd", cell, cell)])] == ["m1"]
    assert repos.merchants.spots([CellRange("wydjd", "wydjdc", "wydjdc"), CellRange("wydjd", "wydjdf", "wydjdf")]) == []
    whole = geohash(LAKE, 5)
    assert [s.merchant_id for s in repos.merchants.spots([CellRange(whole, whole, whole)])] == ["m2"]
    both = repos.merchants.spots([CellRange(cell[:5], cell, cell), CellRange(whole, whole, whole)])
    assert sorted(s.merchant_id for s in both) == ["m1", "m2"]
    assert repos.merchants.spots([]) == []


def test_a_range_of_neighbouring_cells_reads_every_cell_from_the_first_to_the_last(repos: composition.Repositories):
    assert geohash(OFFICE, 7) == "wydjddf"
    commit(repos, lambda tx: repos.merchants.stage_add(tx, shop("m1", BIZ[0], OFFICE)))
    for first, last, found in (("wydjdd0", "wydjddz", ["m1"]), ("wydjddd", "wydjddg", ["m1"]),
                               ("wydjddf", "wydjddf", ["m1"]), ("wydjdd0", "wydjdde", []),
                               ("wydjddg", "wydjddz", []), ("wydjdc0", "wydjdcz", [])):
        assert [s.merchant_id for s in repos.merchants.spots([CellRange("wydjd", first, last)])] == found, (first, last)


@pytest.mark.parametrize("far", [True, False], ids=["to another partition", "within its own cell"])
def test_a_location_change_moves_the_merchant_and_its_spot_together(repos: composition.Repositories, far: bool):
    m = shop("m1", BIZ[0], OFFICE)
    commit(repos, lambda tx: repos.merchants.stage_add(tx, m))
    to = LAKE if far else Location(OFFICE.lat + 0.000001, OFFICE.lng)
    assert (geohash(to, 9) == geohash(OFFICE, 9)) != far  # the same spot key: one write, not a delete and a put
    commit(repos, lambda tx: repos.merchants.stage_location(tx, m, to))
    assert read(repos, lambda b: repos.merchants.want(b, "m1")).location == to
    assert [s.location for s in around(repos, to)] == [to]
    if far:
        assert around(repos, OFFICE) == []


def test_a_first_location_for_a_merchant_registered_without_one_writes_its_spot(repos: composition.Repositories):
    m = shop("m1", BIZ[0], None)
    commit(repos, lambda tx: repos.merchants.stage_add(tx, m))
    commit(repos, lambda tx: repos.merchants.stage_location(tx, m, LAKE))
    assert [s.merchant_id for s in around(repos, LAKE)] == ["m1"]


def test_a_location_change_from_a_stale_read_or_for_no_merchant_is_contention_and_writes_nothing(
    repos: composition.Repositories,
):
    m = shop("m1", BIZ[0], OFFICE)
    commit(repos, lambda tx: repos.merchants.stage_add(tx, m))
    commit(repos, lambda tx: repos.merchants.stage_location(tx, m, LAKE))
    with pytest.raises(Contention):  # read at the office, moved to the lake meanwhile
        commit(repos, lambda tx: repos.merchants.stage_location(tx, m, Location(37.60, 126.66)))
    assert read(repos, lambda b: repos.merchants.want(b, "m1")).location == LAKE
    assert around(repos, Location(37.60, 126.66)) == [] and len(around(repos, LAKE)) == 1
    with pytest.raises(Contention):  # read without a location, has one
        commit(repos, lambda tx: repos.merchants.stage_location(tx, replace(m, location=None), OFFICE))
    ghost = shop("ghost", BIZ[2], None)
    with pytest.raises(Contention):
        commit(repos, lambda tx: repos.merchants.stage_location(tx, ghost, OFFICE))
    assert around(repos, OFFICE) == []
    assert read(repos, lambda b: repos.merchants.want(b, "ghost")) is None


def test_the_merchant_list_filters_by_exact_category(repos: composition.Repositories):
    commit(repos, lambda tx: repos.merchants.stage_add(tx, shop("m1", BIZ[0], None, category="cafe")),
           lambda tx: repos.merchants.stage_add(tx, shop("m2", BIZ[1], None, category="bakery")),
           lambda tx: repos.merchants.stage_add(tx, shop("m3", BIZ[2], OFFICE, category="cafe")))
    page = repos.merchants.find(None, None, None, 10, None, "cafe")
    assert sorted(m.merchant_id for m in page.items) == ["m1", "m3"]
    assert repos.merchants.find(None, None, None, 10, None, "caf").items == []

"""Shops on the map: a location, Seo-gu's bounding box, great-circle distances, and the geohash cells a
search reads.

A located shop has one index item in the cell of its geohash of `INDEX_PRECISION` (5 characters, about
3.9 km × 4.9 km here), sorted by its geohash of `POINT_PRECISION` (9 characters, about 5 m). A cell of any
finer precision is then a prefix range of sort keys in one partition, and cells next to each other on the
geohash curve are one contiguous range: a search reads the cells that cover its circle, one query per run
of neighbouring cells, at the finest precision (7, 6 or 5) whose runs number at most `MAX_QUERIES`.

Geohash encoding and the cells in a box come from `pygeohash` (maintained, dependency-free), imported
only when a search or a location change needs it, so importing the app never loads it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_RADIUS_M = 6_371_008.8
"""The mean Earth radius (IUGG R₁) of the haversine distance, in metres."""
DEGREE_DECIMALS = 6
"""A location is kept to 6 decimals of a degree (about 0.1 m)."""


@dataclass(frozen=True)
class Box:
    """A latitude/longitude rectangle (WGS84 degrees, bounds included)."""

    south: float
    west: float
    north: float
    east: float

    def holds(self, lat: float, lng: float) -> bool:
        return self.south <= lat <= self.north and self.west <= lng <= self.east


SEOGU = Box(south=37.45, west=126.54, north=37.66, east=126.76)
"""Where a shop's location may be: Incheon Seo-gu — from Gajwa and the North Port in the south to Daegok-dong
and Geomdan's northern edge with Gimpo, from Cheongna's reclaimed coast and the landfill to the Gyeyang-gu
line — with about a kilometre to spare. A box, not the district's outline: it catches swapped or mistyped
coordinates and shops of other cities, not a shop a street across the line."""
SEARCH_AREA = Box(south=37.40, west=126.48, north=37.71, east=126.82)
"""Where a search may start: `SEOGU` grown by more than the largest radius (5 km is 0.045° of latitude and
0.057° of longitude here), so a resident just across the line still finds the shops near them."""
RADIUS_MIN_M = 1
RADIUS_MAX_M = 5_000
RADIUS_DEFAULT_M = 1_000
INDEX_PRECISION = 5
POINT_PRECISION = 9
SEARCH_PRECISIONS = (7, 6, 5)
MAX_QUERIES = 16
"""The most queries one search makes: a 5 km circle's cells of precision 5 are at most 16 (4 × 4)."""
_BASE32 = "0123456789bcdefghjkmnpqrstuvwxyz"


@dataclass(frozen=True)
class Location:
    """A point in WGS84 degrees."""

    lat: float
    lng: float

    def text(self) -> str:
        """`lat,lng` with 6 decimals (the audit trail's form)."""
        return f"{self.lat:.{DEGREE_DECIMALS}f},{self.lng:.{DEGREE_DECIMALS}f}"


def location(lat: float, lng: float) -> Location:
    """A location as kept: each coordinate rounded to `DEGREE_DECIMALS` decimals."""
    return Location(round(float(lat), DEGREE_DECIMALS), round(float(lng), DEGREE_DECIMALS))


def in_seogu(at: Location) -> bool:
    """A shop's location lies inside `SEOGU` (bounds included)."""
    return SEOGU.holds(at.lat, at.lng)


def in_search_area(at: Location) -> bool:
    """A search starts inside `SEARCH_AREA` (bounds included)."""
    return SEARCH_AREA.holds(at.lat, at.lng)


def distance(a: Location, b: Location) -> float:
    """The great-circle distance in metres: the haversine formula on a sphere of `EARTH_RADIUS_M`."""
    phi1, phi2 = math.radians(a.lat), math.radians(b.lat)
    dphi, dlmb = phi2 - phi1, math.radians(b.lng - a.lng)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def distance_m(a: Location, b: Location) -> int:
    """The distance rounded to whole metres: what a search shows, and what its radius is held to."""
    return round(distance(a, b))


def geohash(at: Location, precision: int) -> str:
    """The geohash of `precision` characters of the cell holding `at`."""
    from pygeohash import encode

    return encode(at.lat, at.lng, precision)


@dataclass(frozen=True)
class CellRange:
    """A run of neighbouring cells in one index partition: the sort keys from `first` to `last` (cell
    prefixes of equal length, `first` ≤ `last`), all of the partition's cell `partition`."""

    partition: str
    first: str
    last: str

    def holds(self, point_hash: str) -> bool:
        """A point's geohash (of `POINT_PRECISION`) lies in one of these cells."""
        prefix = point_hash[: len(self.first)]
        return point_hash.startswith(self.partition) and self.first <= prefix <= self.last


def circle_box(center: Location, radius_m: float) -> Box:
    """The smallest latitude/longitude box holding every point within `radius_m` of `center` (a spherical cap
    of angular radius δ reaches δ in latitude and asin(sin δ / cos φ) in longitude; not near a pole)."""
    delta = radius_m / EARTH_RADIUS_M
    dlat = math.degrees(delta)
    dlng = math.degrees(math.asin(min(1.0, math.sin(delta) / math.cos(math.radians(center.lat)))))
    return Box(center.lat - dlat, center.lng - dlng, center.lat + dlat, center.lng + dlng)


def _value(cell: str) -> int:
    value = 0
    for ch in cell:
        value = value * 32 + _BASE32.index(ch)
    return value


def runs(cells: list[str]) -> list[CellRange]:
    """Cells of one precision (≥ `INDEX_PRECISION`) as ranges: neighbours on the geohash curve in the same
    partition make one range."""
    out: list[CellRange] = []
    for cell in sorted(cells):
        part = cell[:INDEX_PRECISION]
        if out and out[-1].partition == part and _value(out[-1].last) + 1 == _value(cell):
            out[-1] = CellRange(part, out[-1].first, cell)
        else:
            out.append(CellRange(part, cell, cell))
    return out


def covering(center: Location, radius_m: int) -> list[CellRange]:
    """The index ranges a search reads: every cell meeting the box around the circle (the radius plus the
    half metre a rounded distance may hide), at the finest of `SEARCH_PRECISIONS` whose ranges number at most
    `MAX_QUERIES` (the coarsest otherwise)."""
    from pygeohash import BoundingBox, geohashes_in_box

    box = circle_box(center, radius_m + 1)
    bounds = BoundingBox(max(box.south, -90.0), max(box.west, -180.0), min(box.north, 90.0), min(box.east, 180.0))
    ranges: list[CellRange] = []
    for precision in SEARCH_PRECISIONS:
        ranges = runs(geohashes_in_box(bounds, precision))
        if len(ranges) <= MAX_QUERIES:
            break
    return ranges

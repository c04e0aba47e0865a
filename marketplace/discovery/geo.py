"""Distances and the H3 ring prefilter, without PostGIS (the embedded PostgreSQL has none).

Every listing and branch row carries its H3 cell at resolutions 6, 7 and 8. A search around (lat, lng) within R km
first keeps the rows whose cell is in `cover(...)` (a btree `= ANY(cells)` probe), then checks the exact haversine
distance. The cover is exact, not approximate: a point q within R of p lies in a cell whose centre is within
R + circumradius(cell) of p, so every cell passing that test is kept, and rings grow until a whole ring fails it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import h3

from kernel.geo import EARTH_RADIUS_KM, haversine_km

RESOLUTIONS = (8, 7, 6)  # finest first: the finest whose cover stays small fetches the fewest extra rows
MAX_CELLS = 100


def haversine_sql(alias: str) -> str:
    """SQL for the distance in km from (%(lat)s, %(lng)s) to `alias`.latitude/longitude (float columns)."""
    return (
        f"(2 * {EARTH_RADIUS_KM} * asin(least(1.0, sqrt("
        f"power(sin(radians({alias}.latitude - %(lat)s) / 2), 2) + cos(radians(%(lat)s)) * "
        f"cos(radians({alias}.latitude)) * power(sin(radians({alias}.longitude - %(lng)s) / 2), 2)))))"
    )


def prefilter_sql(alias: str, lat: float, lng: float, radius_km: float) -> tuple[str, dict[str, object]]:
    """The H3 prefilter alone (an index probe keeping a superset of the rows within `radius_km`) and the params of
    the whole circle test: %(lat)s/%(lng)s for `haversine_sql`, %(radius)s for the exact distance."""
    ring = cover(lat, lng, radius_km)
    return f"{alias}.{ring.column} = ANY(%(cells)s::bigint[])", {
        "lat": lat,
        "lng": lng,
        "radius": radius_km,
        "cells": ring.cells,
    }


def within_sql(alias: str, lat: float, lng: float, radius_km: float) -> tuple[str, dict[str, object]]:
    """SQL (and its params) keeping the rows of `alias` within `radius_km`: the H3 prefilter, then the exact
    distance. The params also hold %(lat)s/%(lng)s for `haversine_sql(alias)` elsewhere in the statement."""
    prefilter, params = prefilter_sql(alias, lat, lng, radius_km)
    return f"{prefilter} AND {haversine_sql(alias)} <= %(radius)s", params


def delivers_here(*, offers_delivery: bool, radius_km: float, distance_km: float | None) -> bool | None:
    """Does a branch deliver to a customer this far away? None when the customer's location is unknown."""
    if distance_km is None:
        return None
    return offers_delivery and distance_km <= float(radius_km)


def reach_sql(alias: str, distance: str, *, pickup_km: float) -> str:
    """SQL: a customer `distance` (SQL, km) away can get what `alias`'s branch sells — it delivers that far, or it
    offers pickup within `pickup_km` (the search's default radius)."""
    return (
        f"(({alias}.offers_delivery AND {distance} <= {alias}.delivery_radius_km::float8) "
        f"OR ({alias}.offers_pickup AND {distance} <= {float(pickup_km)}))"
    )


def cells_of(lat: float, lng: float) -> dict[str, int]:
    """The row's H3 columns for a point: {"h3_r6": ..., "h3_r7": ..., "h3_r8": ...} as 64-bit ints."""
    return {f"h3_r{res}": h3.str_to_int(h3.latlng_to_cell(lat, lng, res)) for res in RESOLUTIONS}


@dataclass(frozen=True)
class Cover:
    column: str  # "h3_r7"
    cells: list[int]


@lru_cache(maxsize=65_536)
def _circumradius_km(cell: str) -> float:
    lat, lng = h3.cell_to_latlng(cell)
    return max(haversine_km(lat, lng, vlat, vlng) for vlat, vlng in h3.cell_to_boundary(cell))


def _cover_at(lat: float, lng: float, radius_km: float, res: int) -> list[str]:
    origin = h3.latlng_to_cell(lat, lng, res)
    kept = [origin]
    k = 0
    while True:
        k += 1
        ring = [
            cell
            for cell in h3.grid_ring(origin, k)
            if haversine_km(lat, lng, *h3.cell_to_latlng(cell)) <= radius_km + _circumradius_km(cell)
        ]
        if not ring:
            return kept
        kept += ring


def _estimate(radius_km: float, res: int) -> float:
    edge = h3.average_hexagon_edge_length(res, "km")
    return math.pi * (radius_km + edge) ** 2 / h3.average_hexagon_area(res, "km^2")


@lru_cache(maxsize=4096)
def _cover_cached(lat: float, lng: float, radius_km: float) -> Cover:
    res = next((r for r in RESOLUTIONS if _estimate(radius_km, r) <= MAX_CELLS), RESOLUTIONS[-1])
    return Cover(column=f"h3_r{res}", cells=[h3.str_to_int(c) for c in _cover_at(lat, lng, radius_km, res)])


def cover(lat: float, lng: float, radius_km: float) -> Cover:
    """The cells (one resolution) that contain every point within `radius_km` of (lat, lng). Locations are
    rounded to ~1 m for the cache, and the radius grows by that much, so the cover stays a superset."""
    return _cover_cached(round(lat, 5), round(lng, 5), round(radius_km, 3) + 0.002)


TERM_RESOLUTION = 6  # index listing_search_geo: each lexeme prefixed by the listing's cell at this resolution
MAX_TERM_CELLS = 100


@lru_cache(maxsize=4096)
def _term_cells(lat: float, lng: float, radius_km: float) -> tuple[int, ...]:
    return tuple(h3.str_to_int(c) for c in _cover_at(lat, lng, radius_km, TERM_RESOLUTION))


def term_cells(lat: float, lng: float, radius_km: float) -> tuple[int, ...] | None:
    """The resolution-6 cells holding every point within `radius_km` (the prefixes of listing_search_geo's terms), or
    None when there are more than MAX_TERM_CELLS of them (a wide circle: the plain word index is then as good)."""
    if _estimate(radius_km, TERM_RESOLUTION) > MAX_TERM_CELLS:
        return None
    return _term_cells(round(lat, 5), round(lng, 5), round(radius_km, 3) + 0.002)

import random

import h3
import pytest

from marketplace.discovery import geo

LAHORE = (31.5204, 74.3587)


def test_haversine_matches_known_distance():
    islamabad = (33.6844, 73.0479)
    assert geo.haversine_km(*LAHORE, *islamabad) == pytest.approx(270.4, abs=1.5)
    assert geo.haversine_km(*LAHORE, *LAHORE) == 0


@pytest.mark.parametrize("radius_km", [0.3, 1, 2, 5, 10, 25, 50])
def test_cover_holds_every_point_within_the_radius(radius_km):
    """The prefilter is exact: no point inside the circle is ever outside the cover (brute force, 4,000 points)."""
    rng = random.Random(radius_km)
    cover = geo.cover(*LAHORE, radius_km)
    res = int(cover.column[-1])
    cells = set(cover.cells)
    spread = radius_km * 1.5 / 111
    for _ in range(4000):
        lat, lng = LAHORE[0] + rng.uniform(-spread, spread), LAHORE[1] + rng.uniform(-spread, spread)
        if geo.haversine_km(*LAHORE, lat, lng) <= radius_km:
            assert h3.str_to_int(h3.latlng_to_cell(lat, lng, res)) in cells, (lat, lng)


def test_cover_stays_small_and_prefers_fine_cells():
    assert geo.cover(*LAHORE, 2).column == "h3_r8"
    assert geo.cover(*LAHORE, 10).column == "h3_r7"
    assert geo.cover(*LAHORE, 50).column == "h3_r6"
    for radius in (1, 2, 5, 10, 20, 50):
        assert len(geo.cover(*LAHORE, radius).cells) <= 300


def test_cells_of_gives_the_three_columns():
    cells = geo.cells_of(*LAHORE)
    assert set(cells) == {"h3_r6", "h3_r7", "h3_r8"}
    assert h3.get_resolution(h3.int_to_str(cells["h3_r8"])) == 8

"""The cities Planckly serves and their areas, at each area's main market: where a branch's map opens when the
shopkeeper picks an area, and the box a branch's pin must fall in. The marketplace names the same neighbourhoods
(`marketplace/discovery/location.py`); this table sits on the tenant floor so the console can use it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class City:
    name: str
    south: Decimal
    west: Decimal
    north: Decimal
    east: Decimal

    def contains(self, latitude: Decimal, longitude: Decimal) -> bool:
        return self.south <= latitude <= self.north and self.west <= longitude <= self.east


@dataclass(frozen=True)
class Area:
    name: str
    city: str
    latitude: Decimal
    longitude: Decimal


# The municipal limits and the new housing schemes around them, generously: a pin a street past the edge is fine.
CITIES: dict[str, City] = {
    "Lahore": City("Lahore", Decimal("31.20"), Decimal("73.95"), Decimal("31.75"), Decimal("74.65")),
}


def _area(name: str, lat: str, lng: str, city: str = "Lahore") -> Area:
    return Area(name, city, Decimal(lat), Decimal(lng))


AREAS: tuple[Area, ...] = (
    _area("Allama Iqbal Town", "31.5160", "74.2840"),
    _area("Bahria Town", "31.3690", "74.1860"),
    _area("Cavalry Ground", "31.5020", "74.3690"),
    _area("DHA Phase 3", "31.4715", "74.3790"),
    _area("DHA Phase 4", "31.4635", "74.3910"),
    _area("DHA Phase 5", "31.4625", "74.4085"),
    _area("DHA Phase 6", "31.4760", "74.4510"),
    _area("Faisal Town", "31.4800", "74.3050"),
    _area("Garden Town", "31.5035", "74.3215"),
    _area("Gulberg II", "31.5203", "74.3470"),
    _area("Gulberg III", "31.5102", "74.3443"),
    _area("Hall Road", "31.5645", "74.3185"),
    _area("Johar Town", "31.4690", "74.2840"),
    _area("Lahore Cantt", "31.5270", "74.3790"),
    _area("Model Town", "31.4835", "74.3225"),
    _area("Model Town Extension", "31.4685", "74.3300"),
    _area("New Garden Town", "31.5035", "74.3215"),
    _area("Samanabad", "31.5320", "74.2990"),
    _area("Shadman", "31.5390", "74.3290"),
    _area("Township", "31.4505", "74.3105"),
    _area("Valencia Town", "31.4120", "74.2520"),
    _area("Wapda Town", "31.4315", "74.2640"),
)
AREAS_BY_NAME: dict[str, Area] = {area.name: area for area in AREAS}
DEFAULT_CITY = "Lahore"


def areas_of(city: str) -> list[Area]:
    return [area for area in AREAS if area.city == city]

"""Where the customer shops from: chosen on the marketplace (an area of Lahore, or the browser's geolocation), kept in
the `loc` cookie and, for a signed-in customer, on the account so that it follows them to another device.

Precedence when reading: `lat`+`lng` in the query string (a shared link or a crawler), then the cookie, then the
account, then a default in central Lahore that the pages label as a default.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote, unquote

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse

from marketplace.discovery import geo

COOKIE_NAME = "loc"
SEPARATOR = "|"  # "31.51020|74.34430|Gulberg%20III": a legal cookie value as is (a comma would get it quoted)
COOKIE_MAX_AGE = 365 * 24 * 3600
LABEL_MAX = 80
NEAR_AREA_KM = 3.0  # a geolocated customer within this of an area's market is "near <area>"


class Source(StrEnum):
    QUERY = "query"
    COOKIE = "cookie"
    ACCOUNT = "account"
    DEFAULT = "default"


@dataclass(frozen=True)
class Location:
    lat: float
    lng: float
    label: str
    source: Source = Source.COOKIE

    @property
    def is_default(self) -> bool:
        return self.source == Source.DEFAULT

    def cookie_value(self) -> str:
        return SEPARATOR.join((f"{self.lat:.5f}", f"{self.lng:.5f}", quote(self.label, safe="")))


@dataclass(frozen=True)
class Area:
    slug: str
    name: str
    lat: float
    lng: float


# Lahore neighbourhoods customers name, at their main market (the same places the demo merchants trade from).
AREAS: tuple[Area, ...] = (
    Area("iqbal-town", "Allama Iqbal Town", 31.516, 74.284),
    Area("bahria-town", "Bahria Town", 31.369, 74.186),
    Area("cavalry-ground", "Cavalry Ground", 31.502, 74.369),
    Area("dha-phase-3", "DHA Phase 3", 31.4715, 74.379),
    Area("dha-phase-4", "DHA Phase 4", 31.4635, 74.391),
    Area("dha-phase-5", "DHA Phase 5", 31.4625, 74.4085),
    Area("dha-phase-6", "DHA Phase 6", 31.476, 74.451),
    Area("faisal-town", "Faisal Town", 31.48, 74.305),
    Area("garden-town", "Garden Town", 31.5035, 74.3215),
    Area("gulberg-ii", "Gulberg II", 31.5203, 74.347),
    Area("gulberg-iii", "Gulberg III", 31.5102, 74.3443),
    Area("hall-road", "Hall Road", 31.5645, 74.3185),
    Area("johar-town", "Johar Town", 31.469, 74.284),
    Area("cantt", "Lahore Cantt", 31.527, 74.379),
    Area("model-town", "Model Town", 31.4835, 74.3225),
    Area("model-town-extension", "Model Town Extension", 31.4685, 74.33),
    Area("samanabad", "Samanabad", 31.532, 74.299),
    Area("shadman", "Shadman", 31.539, 74.329),
    Area("township", "Township", 31.4505, 74.3105),
    Area("valencia", "Valencia Town", 31.412, 74.252),
    Area("wapda-town", "Wapda Town", 31.4315, 74.264),
)
AREAS_BY_SLUG = {area.slug: area for area in AREAS}
DEFAULT = Location(lat=31.5203, lng=74.347, label="Gulberg, central Lahore", source=Source.DEFAULT)


def _coordinates(lat: object, lng: object) -> tuple[float, float] | None:
    try:
        lat_f, lng_f = float(lat), float(lng)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if not (-90 <= lat_f <= 90 and -180 <= lng_f <= 180):  # NaN fails both comparisons
        return None
    return round(lat_f, 5), round(lng_f, 5)


def location_parse(value: str | None, *, source: Source = Source.COOKIE) -> Location | None:
    """A cookie value "lat|lng|label" → Location, or None when it is missing or malformed."""
    if not value:
        return None
    lat, _, rest = value.partition(SEPARATOR)
    lng, _, label = rest.partition(SEPARATOR)
    point = _coordinates(lat, lng)
    if point is None:
        return None
    label = unquote(label).strip()[:LABEL_MAX] or "your location"
    return Location(lat=point[0], lng=point[1], label=label, source=source)


def nearest_area(lat: float, lng: float) -> Area | None:
    area = min(AREAS, key=lambda a: geo.haversine_km(lat, lng, a.lat, a.lng))
    return area if geo.haversine_km(lat, lng, area.lat, area.lng) <= NEAR_AREA_KM else None


def _label_for(lat: float, lng: float, *, mine: bool) -> str:
    """ "Gulberg III (your location)" / "your location" for the browser's fix; the area or "the chosen point" for a
    point in a link. Reads right after "near" and "within 5 km of"."""
    near = nearest_area(lat, lng)
    if mine:
        return f"{near.name} (your location)" if near else "your location"
    return near.name if near else "the chosen point"


def location_from_choice(*, area: str = "", lat: str = "", lng: str = "") -> Location | None:
    """The picker's answer: an area slug, or coordinates from the browser (labelled by the nearest area)."""
    if area:
        found = AREAS_BY_SLUG.get(area)
        return Location(lat=found.lat, lng=found.lng, label=found.name) if found else None
    point = _coordinates(lat, lng)
    if point is None:
        return None
    return Location(lat=point[0], lng=point[1], label=_label_for(*point, mine=True))


def location_from_request(request: HttpRequest) -> Location:
    """The customer's location for this request. Never fails: bad input anywhere falls through to the next source."""
    point = _coordinates(request.GET.get("lat"), request.GET.get("lng"))
    if point is not None:
        return Location(lat=point[0], lng=point[1], label=_label_for(*point, mine=False), source=Source.QUERY)
    cookie = location_parse(request.COOKIES.get(COOKIE_NAME))
    if cookie is not None:
        return cookie
    user = request.user
    if user.is_authenticated and user.location_lat is not None and user.location_lng is not None:
        point = _coordinates(user.location_lat, user.location_lng)
        if point is not None:
            label = user.location_label or "your saved location"
            return Location(lat=point[0], lng=point[1], label=label, source=Source.ACCOUNT)
    return DEFAULT


def location_remember(*, request: HttpRequest, response: HttpResponse, location: Location) -> None:
    """Keep the choice in the cookie and, when the customer is signed in, on their account."""
    response.set_cookie(
        COOKIE_NAME,
        location.cookie_value(),
        max_age=COOKIE_MAX_AGE,
        samesite="Lax",
        httponly=True,
        secure=settings.SESSION_COOKIE_SECURE,
    )
    user = request.user
    if user.is_authenticated:
        get_user_model().objects.filter(pk=user.pk).update(
            location_lat=location.lat, location_lng=location.lng, location_label=location.label[:LABEL_MAX]
        )

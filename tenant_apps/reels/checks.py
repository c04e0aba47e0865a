"""The automatic checks every reel passes before anyone sees it (and again whenever it changes): a failure keeps it
out of the feed and is shown to the operator and the merchant with its code. Pure: no queries."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from tenant_apps.reels.models import MAX_DURATION_S

MAX_BYTES = 100 * 1024 * 1024  # Cloudinary's free plan's video limit, and what the upload signature allows
MIN_DURATION_S = 1.0
# Portrait or square: the feed fills a phone's screen; a landscape video would be a strip in the middle.
MAX_ASPECT = 1.0  # width / height

CHECK_LABELS = {
    "duration": _("The video is longer than 60 seconds or shorter than one."),
    "size": _("The file is larger than 100 MB."),
    "aspect": _("The video is landscape: film upright (portrait) or square."),
    "products": _("A tagged product is no longer active."),
    "dimensions": _("The video's size could not be read."),
}


@dataclass(frozen=True)
class ReelFacts:
    duration_s: float
    width: int
    height: int
    bytes: int
    products_active: bool


def reel_check_failures(facts: ReelFacts) -> list[str]:
    """The codes of the checks `facts` fail, in a fixed order; [] when it may be shown."""
    failures = []
    if not MIN_DURATION_S <= facts.duration_s <= MAX_DURATION_S + 0.5:  # containers round their durations up
        failures.append("duration")
    if facts.bytes > MAX_BYTES:
        failures.append("size")
    if not facts.width or not facts.height:
        failures.append("dimensions")
    elif facts.width / facts.height > MAX_ASPECT:
        failures.append("aspect")
    if not facts.products_active:
        failures.append("products")
    return failures

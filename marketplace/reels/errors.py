from django.utils.translation import gettext_lazy as _

from kernel.errors import DomainError, ErrorCode

MAX_RADIUS_KM = 50
DEFAULT_RADIUS_KM = 10  # a reel is worth showing a little farther than a search result: it is an invitation
MAX_LIMIT = 20
MAX_DEPTH = 500  # reels one feed walks through before it ends (each page reads the ranking up to its end)


class ReelsErrorCode(ErrorCode):
    LOCATION_INVALID = ("location_invalid", 400, _("lat is between -90 and 90 and lng between -180 and 180."))
    RADIUS_INVALID = ("radius_invalid", 400, _("radius_km is more than 0 and at most 50."))
    CURSOR_INVALID = ("cursor_invalid", 400, _("This cursor does not belong to this feed; start again without it."))
    REEL_NOT_FOUND = ("reel_not_found", 404, _("This reel is not in the feed any more."))
    SHOP_NOT_FOUND = ("shop_not_found", 404, _("This shop is not on the marketplace."))
    EVENT_INVALID = ("event_invalid", 400, _("Events name a reel of the feed and a known kind."))


class ReelsError(DomainError):
    pass

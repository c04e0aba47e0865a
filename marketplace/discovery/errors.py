from kernel.errors import DomainError, ErrorCode

MAX_RADIUS_KM = 50
DEFAULT_RADIUS_KM = 5
MAX_LIMIT = 100


class DiscoveryErrorCode(ErrorCode):
    LOCATION_INCOMPLETE = ("location_incomplete", 400, "Send both lat and lng, or neither.")
    LOCATION_INVALID = ("location_invalid", 400, "lat is between -90 and 90 and lng between -180 and 180.")
    RADIUS_INVALID = ("radius_invalid", 400, f"radius_km is more than 0 and at most {MAX_RADIUS_KM}.")
    DISTANCE_NEEDS_LOCATION = ("distance_needs_location", 400, "Sorting by distance needs lat and lng.")
    PRICE_RANGE_INVALID = ("price_range_invalid", 400, "price_min must not be above price_max.")
    CATEGORY_UNKNOWN = ("category_unknown", 400, "No category has this slug.")
    STORE_INVALID = ("store_invalid", 400, "store is a merchant slug or merchant-slug/store-slug.")
    CURSOR_INVALID = ("cursor_invalid", 400, "This cursor does not belong to this search; start from page 1.")
    PAGE_CONFLICT = ("page_conflict", 400, "Send cursor or page, not both.")
    STORE_NOT_FOUND = ("store_not_found", 404, "This store is not on the marketplace.")
    PRODUCT_NOT_FOUND = ("product_not_found", 404, "This product is not on the marketplace.")


class DiscoveryError(DomainError):
    pass

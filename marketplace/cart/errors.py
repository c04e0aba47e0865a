from kernel.errors import DomainError, ErrorCode


class CartErrorCode(ErrorCode):
    LISTING_NOT_FOUND = ("listing_not_found", 404, "This product is no longer listed.")
    ITEM_NOT_FOUND = ("cart_item_not_found", 404, "This item is not in your cart.")
    QUANTITY_INVALID = ("quantity_invalid", 400, "Quantity must be a whole number from 1 to 99.")
    UNAVAILABLE = ("unavailable", 409, "This product is not sold at this shop any more.")
    INSUFFICIENT_STOCK = ("insufficient_stock", 409, "Not enough in stock at this shop.")
    LOCATION_INVALID = ("location_invalid", 400, "Give both lat and lng, as coordinates.")


class CartError(DomainError):
    pass

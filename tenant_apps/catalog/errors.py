from config.errors import DomainError, ErrorCode


class CatalogErrorCode(ErrorCode):
    NAME_INVALID = ("name_invalid", 400, "Give the product a name.")
    SKU_TAKEN = ("sku_taken", 409, "Another variant already uses this SKU.")
    SKU_INVALID = ("sku_invalid", 400, "A SKU is 1-64 letters, digits, dots, dashes or underscores.")
    PRICE_INVALID = ("price_invalid", 400, "Enter a price of zero or more, with at most 2 decimals.")
    CATEGORY_INVALID = ("category_invalid", 400, "Choose a category from the platform's list.")
    STATUS_INVALID = ("status_invalid", 400, "Status is draft, active or archived.")
    VARIANTS_REQUIRED = ("variants_required", 400, "A product needs at least one variant.")
    SLUG_TAKEN = ("product_slug_taken", 409, "Another product of this store already uses this name.")


class CatalogError(DomainError):
    pass

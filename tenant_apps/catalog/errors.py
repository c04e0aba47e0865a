from kernel.errors import DomainError, ErrorCode


class CatalogErrorCode(ErrorCode):
    NAME_INVALID = ("name_invalid", 400, "Give the product a name.")
    SKU_TAKEN = ("sku_taken", 409, "Another variant already uses this SKU.")
    SKU_INVALID = ("sku_invalid", 400, "A SKU is 1-64 letters, digits, dots, dashes or underscores.")
    PRICE_INVALID = ("price_invalid", 400, "Enter a price of zero or more, with at most 2 decimals.")
    CATEGORY_INVALID = ("category_invalid", 400, "Choose a category from the platform's list.")
    STATUS_INVALID = ("status_invalid", 400, "Status is draft, active or archived.")
    VARIANTS_REQUIRED = ("variants_required", 400, "A product needs at least one variant.")
    SLUG_TAKEN = ("product_slug_taken", 409, "Another product of this store already uses this name.")
    THRESHOLD_INVALID = (
        "low_stock_threshold_invalid",
        400,
        "Enter the number of units under which stock counts as low: a whole number, zero or more.",
    )
    STARTER_LIST_UNKNOWN = ("starter_list_unknown", 404, "There is no starter list of that name.")
    STARTER_NOTHING_PICKED = ("starter_nothing_picked", 400, "Tick at least one item and give it a price.")
    STARTER_PICKS_INVALID = ("starter_picks_invalid", 400, "Some rows need a fix: see the messages next to them.")


CSV_MAX_ROWS = 10_000  # rows one CSV import may hold


class CsvErrorCode(ErrorCode):
    """The import's own codes; a row can also carry catalog codes (price_invalid, sku_taken, ...) and
    below_reserved from inventory."""

    IMPORT_INVALID = ("import_invalid", 400, "The file has errors; nothing was imported.")
    IMPORT_CONFLICT = (
        "import_conflict",
        409,
        "The catalog changed while the file was imported; nothing was imported. Try again.",
    )
    IMPORT_ID_INVALID = ("import_id_invalid", 400, "import_id must be a UUID.")
    IMPORT_ID_TAKEN = ("import_id_taken", 409, "Another import uses this import_id.")
    FILE_MISSING = ("file_missing", 400, "Upload the CSV in the form field 'file'.")
    FILE_TOO_LARGE = ("file_too_large", 400, "The file is larger than 20 MB: split it.")
    # in the errors list of import_invalid
    ENCODING_INVALID = ("encoding_invalid", 400, "Save the file as 'CSV UTF-8'.")
    CSV_INVALID = ("csv_invalid", 400, "The file is not readable as CSV.")
    FILE_EMPTY = ("file_empty", 400, "The file has no rows under its header.")
    TOO_MANY_ROWS = ("too_many_rows", 400, f"A file holds at most {CSV_MAX_ROWS:,} rows: split it.")
    COLUMN_MISSING = ("column_missing", 400, "The header lacks this required column.")
    COLUMN_UNKNOWN = ("column_unknown", 400, "Unknown column: check its spelling.")
    COLUMN_REPEATED = ("column_repeated", 400, "This column is twice in the header.")
    ROW_TOO_LONG = ("row_too_long", 400, "This row has more cells than the header.")
    TOO_LONG = ("too_long", 400, "This cell is too long.")
    OUTSIDE_SCOPE = ("outside_scope", 400, "Unknown, or outside the stores and branches you manage.")
    BRANCH_AMBIGUOUS = (
        "branch_ambiguous",
        400,
        "Several branches have this name: add the store's name, or use branch_id.",
    )
    STORE_AMBIGUOUS = ("store_ambiguous", 400, "Several stores have this name: use store_slug.")
    BRANCH_MISSING = ("branch_missing", 400, "Name the branch this row's stock is at.")
    STORE_MISSING = ("store_missing", 400, "Name the store (column store) or the branch (column branch).")
    STOCK_FORBIDDEN = ("stock_forbidden", 400, "Your role cannot set stock.")
    SKU_DUPLICATE = ("sku_duplicate", 400, "This SKU is on an earlier row too.")
    ROW_DUPLICATE = ("row_duplicate", 400, "This branch and SKU are on an earlier row too.")
    PRODUCT_CONFLICT = ("product_conflict", 400, "Rows of one product must agree on this cell.")
    PRODUCT_AMBIGUOUS = ("product_ambiguous", 400, "Several products of this store have this name.")
    OPTIONS_INVALID = ("options_invalid", 400, 'Options are a JSON object of texts, e.g. {"Size": "1 kg"}.')
    PRICE_FORBIDDEN = ("price_forbidden", 400, "Your role cannot set base prices.")
    SKU_UNKNOWN = ("sku_unknown", 400, "No variant of this branch's store has this SKU.")
    ON_HAND_INVALID = ("on_hand_invalid", 400, "Enter a whole number of units, zero or more.")


class CatalogError(DomainError):
    pass

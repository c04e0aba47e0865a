"""The price a branch sells a variant at, as SQL: the branch's own price (`BranchPrice`) when it has one, else the
variant's. The regular price is never below it (above it means an offer).

One rule for everything that reads a price from a merchant's schema — the listing index's sync
(marketplace/listings/sync.py), carts and checkout (offers.py) — so a customer never sees one price in search and
pays another. The fragments are written over the aliases `v` (catalog_variant), `b` (stores_branch) and `bp`
(catalog_branchprice, joined by `branch_price_join`).
"""

from __future__ import annotations

EFFECTIVE_PRICE = "COALESCE(bp.price, v.price)"
REGULAR_PRICE = f"GREATEST(v.price, {EFFECTIVE_PRICE})"


def branch_price_join(*, schema: str = "") -> str:
    """The join that makes `bp` the branch's own price of the variant, if any. `schema`: an already quoted schema
    name to qualify the table with (empty: the connection's search path)."""
    table = f"{schema}.catalog_branchprice" if schema else "catalog_branchprice"
    return f"LEFT JOIN {table} bp ON bp.branch_id = b.id AND bp.variant_id = v.id"

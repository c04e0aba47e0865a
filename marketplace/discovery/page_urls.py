"""Where the customer pages live: the paths of a product, a store and a category page, and a path with its query."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse


def product_url(merchant_slug: str, product_id: int) -> str:
    return reverse("discovery:product", args=[merchant_slug, product_id])


def store_url(merchant_slug: str, store_slug: str) -> str:
    return reverse("discovery:store", args=[merchant_slug, store_slug])


def category_url(slug: str) -> str:
    return reverse("discovery:category", args=[slug])


def href(path: str, params: dict[str, str]) -> str:
    """`path` with `params` as its query string (no "?" when there are none)."""
    return f"{path}?{urlencode(params)}" if params else path

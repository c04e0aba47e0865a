"""What the customer pages tell search engines: the <head> of each page (title, description, canonical URL,
OpenGraph, robots) and its schema.org JSON-LD (breadcrumbs, a store's branches, a product's offers)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe

from marketplace.discovery.formatting import hours_runs
from marketplace.discovery.page_urls import category_url, href, store_url
from marketplace.discovery.selectors import ProductPage, StorePage
from shared_apps.categories.selectors import CategoryNode, CategoryTree

SITE_NAME = "Planckly"


@dataclass(frozen=True)
class Seo:
    """What base.html puts in <head>: title, description, canonical, OpenGraph and JSON-LD."""

    title: str
    description: str
    canonical: str
    og_type: str = "website"
    image: str | None = None
    robots: str = ""
    jsonld: SafeString | None = None


def page_seo(request: HttpRequest, *, title: str, description: str, path: str, **extra: Any) -> Seo:
    """A page's Seo: the site's name after the title, the description cut to what search engines show."""
    return Seo(
        title=f"{title} · {SITE_NAME}",
        description=description[:300],
        canonical=request.build_absolute_uri(path),
        **extra,
    )


def jsonld_script(data: Any) -> SafeString:
    """JSON for a <script type="application/ld+json">: nothing in it can close the script element."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    return mark_safe(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))  # noqa: S308


# ---- JSON-LD --------------------------------------------------------------------------------------------------------


def breadcrumbs_jsonld(request: HttpRequest, crumbs: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": i, "name": name, "item": request.build_absolute_uri(url)}
            for i, (name, url) in enumerate(crumbs, start=1)
        ],
    }


def category_crumbs(tree: CategoryTree, slug: str | None) -> list[tuple[str, str]]:
    """(name, path) of the category and its ancestors, top-level first; none for an unknown or missing slug."""
    node = tree.by_slug.get(slug) if slug else None
    return [(n.name, category_url(n.slug)) for n in tree.path(node)] if node else []


def opening_hours_schema(hours: dict) -> list[str]:
    """schema.org openingHours: ["Mo-Th 09:00-23:00", "Fr 09:00-12:45", "Fr 14:30-23:00", "Sa-Su 09:00-23:00"]."""
    return [f"{run['schema']} {start}-{end}" for run in hours_runs(hours) for start, end in run["periods"]]


def store_jsonld(page: StorePage, canonical: str) -> list[dict[str, Any]]:
    """One schema.org Store per branch."""
    stores = []
    for nearby in page.branches:
        branch = nearby.branch
        entry: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": "Store",
            "@id": f"{canonical}#branch-{branch.branch_id}",
            "name": page.name if len(page.branches) == 1 else f"{page.name} — {branch.branch_name}",
            "url": canonical,
            "address": {
                "@type": "PostalAddress",
                "streetAddress": branch.address,
                "addressLocality": branch.city or "Lahore",
                "addressCountry": "PK",
            },
            "geo": {"@type": "GeoCoordinates", "latitude": branch.latitude, "longitude": branch.longitude},
            "openingHours": opening_hours_schema(branch.opening_hours),
            "currenciesAccepted": branch.currency,
        }
        if page.description:
            entry["description"] = page.description
        if branch.phone:
            entry["telephone"] = branch.phone
        stores.append(entry)
    return stores


def product_jsonld(
    request: HttpRequest, page: ProductPage, canonical: str, crumbs: list[tuple[str, str]]
) -> list[dict[str, Any]]:
    """The schema.org Product (its offers aggregated) and its breadcrumbs."""
    product: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": page.title,
        "url": canonical,
        "sku": page.variants[0]["sku"] if page.variants else "",
        "offers": {
            "@type": "AggregateOffer",
            "lowPrice": str(page.low_price),
            "highPrice": str(page.high_price),
            "priceCurrency": page.currency,
            "offerCount": len(page.offers),
            "availability": "https://schema.org/InStock" if page.in_stock else "https://schema.org/OutOfStock",
            "seller": {
                "@type": "Organization",
                "name": page.store_name,
                "url": request.build_absolute_uri(store_url(page.merchant_slug, page.store_slug)),
            },
        },
    }
    if page.description:
        product["description"] = page.description
    if page.image_url:
        product["image"] = [page.image_url]
    if page.category_path:
        product["category"] = " > ".join(node.name for node in page.category_path)
    return [product, breadcrumbs_jsonld(request, crumbs)]


# ---- the pages' <head> ----------------------------------------------------------------------------------------------


def home_seo(request: HttpRequest) -> Seo:
    return page_seo(
        request,
        title="Shops around you, delivered or ready for pickup",
        description="Order from the shops in your neighborhood in Lahore: groceries, pharmacy, bakery and "
        "electronics, delivered or ready for pickup.",
        path="/",
    )


def category_seo(
    request: HttpRequest,
    *,
    node: CategoryNode,
    page: int,
    path: str,
    crumbs: list[tuple[str, str]],
    image: str | None,
    indexable: bool,
) -> Seo:
    """Page 2 onwards is its own canonical URL; `indexable` is False for filtered variations and errors."""
    return page_seo(
        request,
        title=f"{node.name}{f' — page {page}' if page > 1 else ''}",
        description=f"{node.name} from the shops near you in Lahore: compare prices, stock and delivery.",
        path=href(path, {"page": str(page)} if page > 1 else {}),
        image=image,
        jsonld=jsonld_script(breadcrumbs_jsonld(request, [("Home", "/"), *crumbs])),
        robots="" if indexable else "noindex,follow",
    )


def store_seo(request: HttpRequest, page: StorePage, *, path: str, image: str | None) -> Seo:
    """Titled with the areas of the store's branches; JSON-LD: one Store per branch."""
    areas = ", ".join(sorted({n.branch.area for n in page.branches if n.branch.area}))
    description = page.description or f"{page.name} on {SITE_NAME}"
    return page_seo(
        request,
        title=f"{page.name} in {areas}" if areas else page.name,
        description=f"{description} Order online in Lahore: {len(page.branches)} branch"
        f"{'es' if len(page.branches) != 1 else ''}, delivery or pickup.",
        path=path,
        og_type="business.business",
        image=image,
        jsonld=jsonld_script(store_jsonld(page, request.build_absolute_uri(path))),
    )


def product_seo(
    request: HttpRequest, page: ProductPage, *, path: str, price: str, crumbs: list[tuple[str, str]]
) -> Seo:
    """`crumbs` from Home to the product's category; the product itself is added as the last crumb."""
    return page_seo(
        request,
        title=f"{page.title} — {price} at {page.store_name}",
        description=(page.description or f"{page.title} from {page.store_name}.")
        + f" {price}. Pickup or delivery in Lahore.",
        path=path,
        og_type="product",
        image=page.image_url,
        jsonld=jsonld_script(
            product_jsonld(request, page, request.build_absolute_uri(path), [*crumbs, (page.title, path)])
        ),
    )


def location_seo(request: HttpRequest) -> Seo:
    return page_seo(
        request,
        title="Where are you?",
        description="Set your area to see the shops around you.",
        path="/location/",
        robots="noindex,follow",
    )

"""The customer pages: home, search (full page and htmx fragment), category, store, product, the location picker,
sitemap.xml and robots.txt, on a small Lahore market built through the real services and published to the index."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django_tenants.utils import schema_context

from kernel.money import money
from marketplace.discovery import location as loc
from marketplace.discovery.formatting import RANGE, distance_label
from marketplace.discovery.seo import opening_hours_schema
from marketplace.discovery.tests.market import Market, build_market
from marketplace.listings.sync import listings_publish
from tenant_apps.catalog.models import Product
from tenant_apps.outbox.models import Entity
from tenant_apps.outbox.services import outbox_emit


@pytest.fixture
def market(make_merchant) -> Market:
    return build_market(make_merchant)


@pytest.fixture
def client(host_client):
    return host_client("localhost")


def html(response) -> str:
    return response.content.decode()


def canonical(response) -> str:
    return unescape(re.search(r'<link rel="canonical" href="([^"]+)">', html(response)).group(1))


def title(response) -> str:
    return unescape(re.search(r"<title>(.*?)</title>", html(response), re.S).group(1))


def jsonld(response) -> list[dict]:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html(response), re.S)
    found: list[dict] = []
    for block in blocks:
        data = json.loads(block)
        found += data if isinstance(data, list) else [data]
    return found


def of_type(items: list[dict], kind: str) -> list[dict]:
    return [item for item in items if item.get("@type") == kind]


# ---- formatting and location --------------------------------------------------------------------------------------


def test_money_is_grouped_rupees_from_decimals():
    assert money(Decimal("1250.00")) == "Rs 1,250"
    assert money(Decimal("1450.50")) == "Rs 1,450.50"
    assert money(Decimal("1234567")) == "Rs 1,234,567"
    assert money(Decimal("99.9"), "USD") == "USD 99.90"
    assert distance_label(0.27) == "270 m" and distance_label(2.345) == "2.3 km" and distance_label(None) == ""


def test_opening_hours_become_schema_org_runs():
    hours = {d: [["09:00", "23:00"]] for d in ("mon", "tue", "wed", "thu", "sat", "sun")}
    hours["fri"] = [["09:00", "12:45"], ["14:30", "23:00"]]
    assert opening_hours_schema(hours) == [
        "Mo-Th 09:00-23:00",
        "Fr 09:00-12:45",
        "Fr 14:30-23:00",
        "Sa-Su 09:00-23:00",
    ]
    assert opening_hours_schema({"mon": [["09:00", "17:00"]], "wed": [["09:00", "17:00"]]}) == [
        "Mo 09:00-17:00",
        "We 09:00-17:00",
    ]


def test_location_cookie_round_trip_and_bad_values():
    chosen = loc.location_from_choice(area="gulberg-iii")
    assert chosen.label == "Gulberg III"
    parsed = loc.location_parse(chosen.cookie_value())
    assert (parsed.lat, parsed.lng, parsed.label, parsed.is_default) == (chosen.lat, chosen.lng, "Gulberg III", False)
    geolocated = loc.location_from_choice(lat="31.51", lng="74.345")
    assert geolocated.label == "Gulberg III (your location)"
    assert loc.location_from_choice(lat="48.85", lng="2.35").label == "your location"
    assert chosen.cookie_value() == "31.51020|74.34430|Gulberg%20III"
    for bad in ("", "abc", "91|74|x", "31.5|nan|x", "31.5", "31.5|inf|x", "31.5,74.3,x"):
        assert loc.location_parse(bad) is None
    assert loc.location_from_choice(area="atlantis") is None
    assert loc.location_from_choice(lat="x", lng="1") is None


# ---- home and location -------------------------------------------------------------------------------------------


def test_home_shows_nearby_stores_popular_products_and_categories(market, client, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):  # popular products: the branches, their counts (once), the page
        response = client.get("/")
    assert response.status_code == 200
    body = html(response)
    assert title(response) == "Shops around you, delivered or ready for pickup · Planckly"
    assert canonical(response) == "http://localhost/"
    assert '<meta property="og:title"' in body and '<meta property="og:type" content="website">' in body
    assert "Gulberg, central Lahore" in body and ">default<" in body  # no location yet: the default, said so
    assert 'href="/s/gulberg-grocer/gulberg-grocer/"' in body and "Open now" in body and "Delivers to you" in body
    assert "Shifa Pharmacy" in body and "Crust &amp; Crumb" in body
    assert "Gulberg Grocer" in body and "DHA Y Block" not in body  # the nearest branch of each store, within 5 km
    assert 'href="/c/grocery/"' in body and "items near you" in body
    _, rice = market.product("gulberg-grocer", "Guard Basmati Rice")
    assert f'href="/p/gulberg-grocer/{rice}/"' in body
    assert re.search(r'<script src="[^"]+discovery\.js" defer>', body)


def test_home_without_shops_nearby_lists_every_shop(market, client):
    client.cookies[loc.COOKIE_NAME] = loc.location_from_choice(area="bahria-town").cookie_value()
    body = html(client.get("/"))
    assert "No shop is within 5 km of Bahria Town yet" in body and "Shifa Pharmacy" in body


def test_picking_an_area_sets_the_cookie_and_the_account(market, client, django_user_model):
    response = client.post("/location/", {"area": "garden-town", "next": "/search?q=panadol"})
    assert response.status_code == 302 and response["Location"] == "/search?q=panadol"
    cookie = response.cookies[loc.COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert loc.location_parse(cookie.value).label == "Garden Town" and '"' not in cookie.OutputString()
    body = html(client.get("/"))
    assert "<strong>Garden Town</strong>" in body and ">default<" not in body

    user = django_user_model.objects.create_user(phone="+923001112233")
    signed_in = type(client)(HTTP_HOST="localhost")
    signed_in.force_login(user)
    signed_in.post("/location/", {"lat": "31.4700", "lng": "74.3800", "next": "https://evil.example/"})
    user.refresh_from_db()
    assert (user.location_lat, user.location_lng, user.location_label) == (31.47, 74.38, "DHA Phase 3 (your location)")
    signed_in.cookies.pop(loc.COOKIE_NAME)  # another device: the account remembers
    assert "<strong>DHA Phase 3 (your location)</strong>" in html(signed_in.get("/"))


def test_a_bad_location_choice_is_a_400_with_the_picker(client, db):
    response = client.post("/location/", {"area": "atlantis"})
    assert response.status_code == 400
    assert "Pick an area from the list" in html(response) and 'name="area"' in html(response)
    assert client.get("/location/").status_code == 200


# ---- search ---------------------------------------------------------------------------------------------------------


def test_search_page_renders_results_filters_and_seo(market, client, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        response = client.get("/search?q=basmati&utm_source=ads&lat=31.5203&lng=74.347")
    assert response.status_code == 200
    body = html(response)
    assert title(response) == "Results for “basmati” · Planckly"
    assert canonical(response) == "http://localhost/search?q=basmati"  # no tracking, no location
    assert "<strong>2</strong> results within 5 km of Gulberg II" in body  # 1 kg and 5 kg at Liberty; DHA: 6 km
    assert "Rs 590" in body and "Rs 2,500" in body and "<s" in body and "Rs 2,750" in body  # the offer
    _, rice = market.product("gulberg-grocer", "Guard Basmati Rice")
    # each result's link tells the product page where it was listed (the search's click: shared_apps/behaviour)
    assert f'href="/p/gulberg-grocer/{rice}/?pos=1&amp;ctx=q%3A' in body
    assert 'href="/s/gulberg-grocer/gulberg-grocer/"' in body
    assert 'hx-get="/search"' in body and 'hx-push-url="true"' in body and 'hx-target="#serp"' in body
    assert 'id="f-cat-grocery"' in body  # category facet with counts
    assert "Liberty Market" in body and "1.2 km" in body
    assert response["Vary"] and "HX-Request" in response["Vary"]


def test_search_filters_narrow_results_and_canonical_keeps_them(market, client):
    response = client.get("/search?category=dairy&in_stock=true&sort=price_asc&radius_km=10")
    body = html(response)
    assert "Nurpur Butter" in body and "Farm Eggs" not in body  # eggs are out of stock
    assert canonical(response) == "http://localhost/search?category=dairy&in_stock=true&sort=price_asc"
    assert '<meta name="robots" content="noindex,follow">' in body  # filtered variations are not indexed
    cheap = html(client.get("/search?price_max=700"))
    assert "Nurpur Butter" in cheap and "Panadol Extra" not in cheap
    offers = html(client.get("/search?has_offer=true"))
    assert "Rs 2,500" in offers and "Nurpur Butter" not in offers
    pickup = html(client.get("/search?delivery=pickup&q=panadol"))
    assert "Nothing matches here yet" not in pickup and "Panadol Extra" in pickup


def test_search_suggests_the_corrected_words(market, client):
    body = html(client.get("/search?q=pandol"))
    assert "Showing results for <strong>panadol</strong>" in body and "Panadol Extra" in body


def test_htmx_gets_the_fragment_and_a_clean_url_to_push(market, client):
    response = client.get(
        "/search?q=&category=grocery&price_min=&price_max=&sort=relevance&radius_km=5", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    body = html(response)
    assert "<html" not in body and body.lstrip().startswith("<title>Grocery · Planckly</title>")
    assert '<div id="serp"' in body
    assert response["HX-Push-Url"] == "/search?category=grocery"
    restore = client.get("/search?category=grocery", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in html(restore) and "HX-Push-Url" not in restore  # the back button after a cache miss


def test_search_pages_and_links_keep_the_filters(market, client):
    body = html(client.get("/search?category=grocery&radius_km=50"))
    assert "<strong>" in body
    small = html(client.get("/search?radius_km=50&sort=price_asc&in_stock=true"))
    assert small.count('class="card listing"') == 14  # every in-stock listing within 50 km, one page
    bucket = re.search(r'<a href="(/search\?[^"]*price_min=500[^"]*)"', small).group(1)
    params = parse_qs(urlsplit(unescape(bucket)).query)
    assert params == {
        "in_stock": ["true"],
        "sort": ["price_asc"],
        "radius_km": ["50"],
        "price_min": ["500"],
        "price_max": ["999.99"],
    }


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("price_min=abc", "Minimum price: input should be a valid decimal."),
        ("price_min=900&price_max=100", "The minimum price is above the maximum price."),
        ("category=atlantis", "There is no such category."),
        ("sort=cheapest", "Sort: input should be"),
        ("page=0", "Page: input should be greater than or equal to 1."),
        ("lat=31.5", "The location needs both a latitude and a longitude."),
        ("radius_km=500", "Pick a distance of at most 50 km."),
    ],
)
def test_a_bad_filter_is_a_400_page_with_a_human_message(market, client, query, message):
    response = client.get(f"/search?{query}")
    assert response.status_code == 400
    body = html(response)
    assert 'role="alert"' in body and message in unescape(body)
    assert 'id="filters"' in body  # the form is still there to fix it
    assert client.get(f"/search?{query}", HTTP_HX_REQUEST="true").status_code == 400


# ---- category, store, product ----------------------------------------------------------------------------------


def test_category_page_has_breadcrumbs_subcategories_and_listings(market, client, django_assert_max_num_queries):
    # by relevance: the branches, their counts (once per branch version), the nearest branches, the page
    with django_assert_max_num_queries(7):
        response = client.get("/c/grocery/")
    assert response.status_code == 200
    body = html(response)
    assert title(response) == "Grocery · Planckly"
    assert canonical(response) == "http://localhost/c/grocery/"
    assert 'href="/c/rice-flour/"' in body and 'href="/c/dairy/"' in body
    assert "Guard Basmati Rice" in body and "Panadol" not in body
    crumbs = of_type(jsonld(response), "BreadcrumbList")[0]["itemListElement"]
    assert [c["name"] for c in crumbs] == ["Home", "Grocery"]
    child = html(client.get("/c/dairy/"))
    assert '<a href="/c/grocery/">Grocery</a>' in child and "Nurpur Butter" in child
    assert client.get("/c/atlantis/").status_code == 404
    assert client.get("/c/grocery/?page=abc").status_code == 400


def test_store_page_has_branches_terms_products_and_store_jsonld(market, client, django_assert_max_num_queries):
    with django_assert_max_num_queries(7):  # its products: the branches, their counts (once), the page
        response = client.get("/s/gulberg-grocer/gulberg-grocer/")
    assert response.status_code == 200
    body = html(response)
    assert title(response) == "Gulberg Grocer in DHA Phase 3, Gulberg III · Planckly"
    assert canonical(response) == "http://localhost/s/gulberg-grocer/gulberg-grocer/"
    assert "Everyday groceries" in body
    assert body.index("Liberty Market") < body.index("DHA Y Block")  # nearest branch first
    assert "Within 5 km · Rs 100 · minimum order Rs 500" in body and "Pickup only" in body
    assert "Open now" in body and "Closed" in body and f"Mon{RANGE}Sun open 24 hours" in body
    assert "Guard Basmati Rice" in body and "Nurpur Butter" in body
    stores = of_type(jsonld(response), "Store")
    assert len(stores) == 2
    liberty = stores[0]
    assert liberty["address"]["streetAddress"] == "Shop 7, Liberty Market, Gulberg III, Lahore"
    assert liberty["geo"] == {"@type": "GeoCoordinates", "latitude": 31.5102, "longitude": 74.3443}
    assert liberty["openingHours"] == ["Mo-Su 00:00-24:00"]
    assert stores[1]["openingHours"] == []


def test_unknown_store_or_product_is_a_404_page(market, client):
    for path in ("/s/gulberg-grocer/nope/", "/s/nobody/nope/", "/p/gulberg-grocer/999999/", "/p/nobody/1/"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "is not on the marketplace" in html(response)


def test_product_page_has_variants_offers_nearest_first_and_product_jsonld(
    market, client, django_assert_max_num_queries
):
    shop, rice = market.product("gulberg-grocer", "Guard Basmati Rice")
    with django_assert_max_num_queries(5):  # one is the branches' hours (open now)
        response = client.get(f"/p/{shop}/{rice}/")
    assert response.status_code == 200
    body = html(response)
    assert title(response) == f"Guard Basmati Rice — Rs 590 {RANGE} Rs 2,750 at Gulberg Grocer · Planckly"
    assert canonical(response) == f"http://localhost/p/{shop}/{rice}/"
    assert '<meta property="og:type" content="product">' in body
    assert '<a href="/c/rice-flour/">Rice &amp; Flour</a>' in body  # breadcrumbs
    assert body.index("Liberty Market") < body.index("DHA Y Block")
    assert f"Rs 2,500 {RANGE} Rs 2,750" in body  # the 5 kg costs less at Liberty (offer)
    product = of_type(jsonld(response), "Product")[0]
    assert product["name"] == "Guard Basmati Rice" and product["sku"] == "GULBERG--0-0"
    assert product["offers"] == {
        "@type": "AggregateOffer",
        "lowPrice": "590.00",
        "highPrice": "2750.00",
        "priceCurrency": "PKR",
        "offerCount": 4,
        "availability": "https://schema.org/InStock",
        "seller": {
            "@type": "Organization",
            "name": "Gulberg Grocer",
            "url": "http://localhost/s/gulberg-grocer/gulberg-grocer/",
        },
    }
    assert product["category"] == "Grocery > Rice & Flour"
    eggs = html(client.get("/p/gulberg-grocer/{}/".format(market.product("gulberg-grocer", "Farm Eggs")[1])))
    assert "Out of stock" in eggs and "OutOfStock" in eggs


def test_pages_escape_what_merchants_write(market, client):
    with schema_context(market.shops["gulberg-grocer"].merchant.schema_name):
        Product.objects.filter(name="Nurpur Butter").update(description="</script><script>alert(1)</script>")
        outbox_emit(entity=Entity.PRODUCT, entity_id=market.shops["gulberg-grocer"].products["Nurpur Butter"].pk)
    listings_publish(schema=market.shops["gulberg-grocer"].merchant.schema_name)
    shop, butter = market.product("gulberg-grocer", "Nurpur Butter")
    body = html(client.get(f"/p/{shop}/{butter}/"))
    assert "<script>alert(1)" not in body
    assert of_type(jsonld(client.get(f"/p/{shop}/{butter}/")), "Product")[0]["description"].startswith("</script>")


# ---- sitemap and robots -------------------------------------------------------------------------------------------


def test_sitemap_lists_categories_stores_and_products(market, client):
    index = html(client.get("/sitemap.xml"))
    for section in ("categories", "stores", "products"):
        assert f"<loc>http://localhost/sitemap-{section}.xml</loc>" in index
    products = client.get("/sitemap-products.xml")
    assert products.status_code == 200 and products["Content-Type"].startswith("application/xml")
    shop, rice = market.product("gulberg-grocer", "Guard Basmati Rice")
    assert f"<loc>http://localhost/p/{shop}/{rice}/</loc>" in html(products)
    assert html(products).count("<url>") == 8  # one per product, not per variant or branch
    assert "<lastmod>" in html(products)
    stores = html(client.get("/sitemap-stores.xml"))
    assert stores.count("<url>") == 3 and "<loc>http://localhost/s/gulberg-grocer/gulberg-grocer/</loc>" in stores
    assert "<loc>http://localhost/c/medicines/</loc>" in html(client.get("/sitemap-categories.xml"))
    assert client.get("/sitemap-products.xml?p=2").status_code == 404


def test_robots_txt(client, db):
    response = client.get("/robots.txt")
    assert response["Content-Type"].startswith("text/plain")
    body = html(response)
    assert "Disallow: /admin/\n" in body and "Disallow: /api/\n" in body
    assert "Sitemap: http://localhost/sitemap.xml" in body

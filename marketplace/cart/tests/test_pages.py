"""Cart pages: "Add to cart" on the product page (with and without htmx), the header badge, and /cart — groups per
shop branch, problems, price changes, delivery options from the customer's location, quantities and removal."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django_tenants.utils import schema_context

from marketplace.cart.models import CartItem
from marketplace.checkout.tests.conftest import listing
from marketplace.discovery import location as loc
from marketplace.discovery.tests.market import Market, build_market
from tenant_apps.catalog.services import branch_price_set
from tenant_apps.inventory.services import stock_count

LIBERTY = loc.Location(lat=31.5102, lng=74.3443, label="Gulberg III")


@pytest.fixture
def market(make_merchant) -> Market:
    return build_market(make_merchant)


@pytest.fixture
def client(host_client):
    return host_client("localhost")


def text(response) -> str:
    """The page's visible text, tags dropped and whitespace collapsed."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


def badge(response) -> str:
    return re.search(r'<span class="cart-count[^"]*">(\d+)', response.content.decode()).group(1)


def add(client, listing_id: int, quantity: int = 1, *, htmx: bool = False, next_url: str = "/"):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post("/cart/add", {"listing_id": listing_id, "quantity": quantity, "next": next_url}, **headers)


def rice_1kg():
    return listing("gulberg-grocer", "Guard Basmati Rice", "1 kg", branch="Liberty Market")


def test_product_page_offers_add_to_cart_per_branch_item(market, client, django_assert_max_num_queries):
    shop, rice = market.product("gulberg-grocer", "Guard Basmati Rice")
    with django_assert_max_num_queries(5):  # as before "Add to cart": no cart query for a visitor not shopping yet
        response = client.get(f"/p/{shop}/{rice}/")
    body = response.content.decode()
    one_kg = rice_1kg()
    assert f'name="listing_id" value="{one_kg.pk}"' in body
    assert body.count('hx-post="/cart/add"') == 4  # two sizes at two branches (a closed one takes orders for later)
    assert badge(response) == "0" and 'href="/cart"' in body and 'href="/orders/"' in body


def test_add_to_cart_without_javascript_goes_back_with_a_message(market, client):
    one_kg = rice_1kg()
    shop, rice = market.product("gulberg-grocer", "Guard Basmati Rice")
    response = add(client, one_kg.pk, 2, next_url=f"/p/{shop}/{rice}/")
    assert response.status_code == 302 and response["Location"] == f"/p/{shop}/{rice}/"
    page = client.get(response["Location"])
    assert "Added Guard Basmati Rice (1 kg) to your cart. View cart" in text(page)
    assert badge(page) == "2"
    assert add(client, one_kg.pk, 1, next_url="https://evil.example/").headers["Location"] == "/cart"


def test_add_to_cart_with_htmx_answers_a_status_and_the_new_badge(market, client):
    response = add(client, rice_1kg().pk, 3, htmx=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Added to cart (3 in cart)" in text(response) and 'href="/cart"' in body
    assert '<a id="cart-link" class="cart-link" href="/cart" hx-swap-oob="true">' in body and badge(response) == "3"


def test_add_more_than_the_shop_has_is_refused_in_place(market, client):
    response = add(client, rice_1kg().pk, 11, htmx=True)
    assert response.status_code == 409 and "Only 10 left at this shop." in text(response)
    assert "cart-link" not in response.content.decode()
    assert add(client, 999999, htmx=True).status_code == 404
    assert add(client, rice_1kg().pk, 0, htmx=True).status_code == 400
    assert not CartItem.objects.exists()


def test_cart_groups_lines_per_shop_with_delivery_options_and_totals(market, client, django_assert_max_num_queries):
    client.cookies[loc.COOKIE_NAME] = LIBERTY.cookie_value()
    add(client, rice_1kg().pk, 2)
    add(client, listing("crust-and-crumb", "Chocolate Fudge Cake", "1 lb").pk)
    add(client, listing("crust-and-crumb", "Cake Rusk", "Box").pk, 2)
    with django_assert_max_num_queries(9):  # session, cart, lines; per merchant its offers and branch terms
        response = client.get("/cart")
    page = text(response)
    assert response.status_code == 200
    assert "5 items from 2 shops" in page and badge(response) == "5"
    assert page.index("Gulberg Grocer Liberty Market") < page.index("Crust & Crumb MM Alam Road")
    assert "Guard Basmati Rice 1 kg Rs 590 each" in page and "Rs 1,180" in page
    assert "Delivery by the shop Rs 100 Minimum order Rs 500" in page
    assert "Pickup from the shop Free" in page
    assert "Subtotal Rs 2,700" in page  # 1,800 + 2 x 450
    assert "Items total Rs 3,880" in page and 'href="/checkout"' in response.content.decode()
    assert "Set your location" not in page


def test_cart_queries_do_not_grow_with_lines(market, client, django_assert_max_num_queries):
    add(client, rice_1kg().pk)
    for name, variant in (
        ("Sunridge Chakki Atta", "5 kg"),
        ("Sunridge Chakki Atta", "10 kg"),
        ("Nurpur Butter", "200 g"),
    ):
        add(client, listing("gulberg-grocer", name, variant, branch="Liberty Market").pk)
    add(client, listing("crust-and-crumb", "Cake Rusk", "Box").pk)
    add(client, listing("shifa-pharmacy", "Panadol Extra", "Strip of 10").pk)
    with django_assert_max_num_queries(12):  # session, cart, lines, and per merchant: schema, offers, branch terms
        assert client.get("/cart").status_code == 200


def test_cart_without_a_location_asks_for_one_for_delivery(market, client):
    add(client, rice_1kg().pk)
    page = text(client.get("/cart"))
    assert "Set your location to see which shops deliver to you" in page
    assert "Set your location to see if they deliver to you" in page


def test_cart_flags_a_changed_price_once_and_problems_block_checkout(market, client):
    rice = rice_1kg()
    add(client, rice.pk, 4)
    grocer = market.shops["gulberg-grocer"]
    with schema_context(grocer.merchant.schema_name):
        branch_price_set(branch_id=rice.branch_id, variant_id=rice.variant_id, price="620")
        stock_count(branch_id=rice.branch_id, variant_id=rice.variant_id, counted=3, actor_id=None)
    response = client.get("/cart")
    page = text(response)
    assert "Price changed from Rs 590 to Rs 620" in page
    assert "Only 3 left at this shop. Lower the quantity to check out." in page
    assert "Fix the items marked above to check out." in page
    assert 'href="/checkout"' not in response.content.decode()
    assert "Price changed" not in text(client.get("/cart"))  # shown once
    client.post(f"/cart/items/{CartItem.objects.get().pk}", {"quantity": 3})
    page = text(client.get("/cart"))
    assert "Only 3 left" not in page and "Rs 1,860" in page


def test_quantity_buttons_and_remove_update_the_cart(market, client):
    add(client, rice_1kg().pk, 2)
    item = CartItem.objects.get()
    htmx = {"HTTP_HX_REQUEST": "true"}
    response = client.post(f"/cart/items/{item.pk}", {"quantity": 3}, **htmx)
    assert response.status_code == 200 and response.content.decode().startswith('<section id="cart"')
    assert "3 items from 1 shop" in text(response) and 'hx-swap-oob="true"' in response.content.decode()
    response = client.post(f"/cart/items/{item.pk}", {"quantity": 11}, **htmx)
    assert response.status_code == 409 and "Only 10 left at this shop." in text(response)
    assert CartItem.objects.get().quantity == 3
    response = client.post(f"/cart/items/{item.pk}", {"quantity": 1})
    assert response.status_code == 302 and CartItem.objects.get().quantity == 1
    response = client.post(f"/cart/items/{item.pk}/remove", **htmx)
    assert "Your cart is empty." in text(response) and badge(response) == "0"
    assert not CartItem.objects.exists()


def test_another_visitor_cannot_touch_my_lines(market, client, host_client):
    add(client, rice_1kg().pk, 2)
    item = CartItem.objects.get()
    stranger = host_client("localhost")
    stranger.post("/cart/add", {"listing_id": rice_1kg().pk, "quantity": 1})  # a cart of their own
    assert stranger.post(f"/cart/items/{item.pk}", {"quantity": 5}, HTTP_HX_REQUEST="true").status_code == 404
    assert stranger.post(f"/cart/items/{item.pk}/remove").status_code == 302
    nobody = host_client("localhost")
    assert nobody.post(f"/cart/items/{item.pk}", {"quantity": 5}, HTTP_HX_REQUEST="true").status_code == 404
    assert CartItem.objects.get(pk=item.pk).quantity == 2
    assert "Your cart is empty." in text(nobody.get("/cart"))

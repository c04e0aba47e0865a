"""Signing in claims the guest: their cart merges into the account's cart and their orders become the account's —
through the API (OTP verify with the guest's token) and through the sign-in page (the guest kept in the session)."""

from __future__ import annotations

import uuid

from django.test import Client

from marketplace.cart.models import Cart, CartItem
from marketplace.cart.services import cart_item_add
from marketplace.cart.shoppers import Shopper
from marketplace.checkout.services import CheckoutRequest, checkout_place
from marketplace.checkout.tests.conftest import listing
from marketplace.orders.models import CustomerOrder
from shared_apps.accounts.models import Guest, PhoneOTPDevice
from shared_apps.accounts.services import guest_claim, guest_create, otp_request, user_get_or_create_by_phone
from shared_apps.accounts.views import SESSION_GUEST_KEY

USER_PHONE = "+923004445566"


def _code(phone: str = USER_PHONE) -> str:
    code = otp_request(phone=phone).code
    PhoneOTPDevice.objects.filter(user__phone=phone).update(last_generated_timestamp=None)
    return code


def _verify(client: Client, token: str | None = None) -> dict:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    response = client.post(
        "/api/v1/auth/otp/verify", {"phone": USER_PHONE, "code": _code()}, content_type="application/json", **headers
    )
    assert response.status_code == 200, response.content
    return response.json()


def _lines(cart: dict) -> dict[int, int]:
    return {line["listing_id"]: line["quantity"] for group in cart["groups"] for line in group["lines"]}


def test_api_sign_in_with_the_guest_token_brings_the_cart_and_orders(market, new_buyer):
    rice = listing("gulberg-grocer", "Guard Basmati Rice", "1 kg", branch="Liberty Market")
    cake = listing("crust-and-crumb", "Chocolate Fudge Cake", "1 lb")
    butter = listing("gulberg-grocer", "Nurpur Butter", "200 g")
    client = Client(HTTP_HOST="localhost")
    user = _verify(client)["access"]  # the account exists and already has rice in its cart
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {user}"}
    client.post("/api/v1/cart/items", {"listing_id": rice.pk, "quantity": 1}, content_type="application/json", **bearer)

    guest = new_buyer()  # later, signed out on another device: a guest orders a cake, then fills a cart
    assert guest.add(cake.pk).status_code == 201
    placed = guest.checkout().json()
    assert guest.add(rice.pk, 2).status_code == 201 and guest.add(butter.pk).status_code == 201

    session = _verify(guest.client, guest.token)
    assert session["claimed_guest"] is True
    signed_in = {"HTTP_AUTHORIZATION": f"Bearer {session['access']}"}

    cart = client.get("/api/v1/cart", **signed_in).json()
    assert _lines(cart) == {rice.pk: 3, butter.pk: 1}  # same line adds up
    orders = client.get("/api/v1/orders", **signed_in).json()
    assert [o["id"] for o in orders["items"]] == [placed["id"]]
    assert client.get(f"/api/v1/orders/{placed['id']}", **signed_in).status_code == 200
    order = CustomerOrder.objects.get(pk=placed["id"])
    guest_id = Guest.objects.get().pk
    assert order.user.phone == USER_PHONE and order.guest_id == guest_id  # the guest stays, for the record
    assert not Cart.objects.filter(guest_id=guest_id).exists()


def test_claiming_twice_changes_nothing(market, new_buyer):
    rice = listing("gulberg-grocer", "Guard Basmati Rice", "1 kg", branch="Liberty Market")
    guest = new_buyer()
    guest.add(rice.pk, 2)
    guest_id = Guest.objects.get().pk
    user = user_get_or_create_by_phone(phone=USER_PHONE)
    assert guest_claim(guest_id=str(guest_id), user=user) is True
    assert guest_claim(guest_id=str(guest_id), user=user) is False
    assert list(CartItem.objects.filter(cart__user=user).values_list("quantity", flat=True)) == [2]


def test_page_sign_in_claims_the_guest_in_the_session(market):
    rice = listing("gulberg-grocer", "Guard Basmati Rice", "1 kg", branch="Liberty Market")
    cake = listing("crust-and-crumb", "Chocolate Fudge Cake", "1 lb")
    guest = guest_create()
    shopper = Shopper(guest_id=guest.pk)
    cart_item_add(shopper=shopper, listing_id=cake.pk, quantity=1)
    order = checkout_place(
        shopper=shopper,
        idempotency_key=uuid.uuid4().hex,
        request=CheckoutRequest(payment_method="cod", contact_phone="03001234567"),
    ).order
    cart_item_add(shopper=shopper, listing_id=rice.pk, quantity=2)
    client = Client(HTTP_HOST="localhost")
    session = client.session
    session[SESSION_GUEST_KEY] = str(guest.pk)
    session.save()

    response = client.post("/signin/verify/", {"phone": USER_PHONE, "code": _code()})

    assert response.status_code == 302
    cart = client.get("/api/v1/cart").json()  # the session now belongs to the user
    assert _lines(cart) == {rice.pk: 2}
    assert [o["id"] for o in client.get("/api/v1/orders").json()["items"]] == [order.pk]
    order.refresh_from_db()
    assert order.user.phone == USER_PHONE and order.guest_id == guest.pk


def test_a_guest_checkout_retried_after_sign_in_replays_the_same_order(market, new_buyer):
    """The phone lost the answer, the customer signed in, the app retries with the same key: same order, no second."""
    rice = listing("gulberg-grocer", "Guard Basmati Rice", "1 kg", branch="Liberty Market")
    client = Client(HTTP_HOST="localhost")
    user = _verify(client)["access"]
    client.post(
        "/api/v1/cart/items",
        {"listing_id": rice.pk, "quantity": 1},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {user}",
    )  # the account's own cart is not empty
    guest = new_buyer()
    assert guest.add(rice.pk).status_code == 201
    key = uuid.uuid4().hex
    placed = guest.checkout(key=key).json()
    session = _verify(guest.client, guest.token)
    again = Client(HTTP_HOST="localhost").post(
        "/api/v1/checkout",
        {"payment_method": "cod", "contact_phone": "03001234567"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {session['access']}",
        HTTP_IDEMPOTENCY_KEY=key,
    )
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == placed["id"] and CustomerOrder.objects.count() == 1


def test_a_claimed_guest_token_no_longer_reads_the_orders_it_handed_over(market, new_buyer):
    cake = listing("crust-and-crumb", "Chocolate Fudge Cake", "1 lb")
    guest = new_buyer()
    assert guest.add(cake.pk).status_code == 201
    placed = guest.checkout().json()
    as_guest = {"HTTP_AUTHORIZATION": f"Bearer {guest.token}"}
    assert guest.client.get(f"/api/v1/orders/{placed['id']}", **as_guest).status_code == 200

    session = _verify(guest.client, guest.token)

    assert session["claimed_guest"] is True
    for path in ("/api/v1/orders", f"/api/v1/orders/{placed['id']}", "/api/v1/cart"):
        refused = Client(HTTP_HOST="localhost").get(path, **as_guest)
        assert refused.status_code == 401 and refused.json()["code"] == "token_revoked", path
    signed_in = {"HTTP_AUTHORIZATION": f"Bearer {session['access']}"}
    assert Client(HTTP_HOST="localhost").get(f"/api/v1/orders/{placed['id']}", **signed_in).status_code == 200
    # Below the token check too: the guest's own filter no longer matches what it handed over.
    guest_id = Guest.objects.get().pk
    assert not CustomerOrder.objects.filter(Shopper(guest_id=guest_id).owns()).exists()

"""Checkout with a delivery address (saved or new, measured from its pin), opening hours that count (a closed shop
takes a scheduled order or refuses with the reason) and the promised time on every part — through the API."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_tenants.utils import schema_context

from kernel.idempotency import request_fingerprint
from marketplace.checkout.services import CheckoutRequest, GroupChoice
from marketplace.checkout.tests.conftest import Buyer
from marketplace.orders.models import CustomerOrder
from shared_apps.accounts.models import Address
from shared_apps.accounts.testing import address_make, customer_make
from shared_apps.accounts.tokens import token_pair_issue
from tenant_apps.orders.models import MerchantOrder
from tenant_apps.stores.models import Branch

COD = {"payment_method": "cod", "contact_phone": "03001234567"}
ISLAMABAD = ("33.684400", "73.047900")


def signed_in_buyer(user) -> Buyer:
    return Buyer(Client(HTTP_HOST="localhost"), token_pair_issue(user=user).access)


def delivered(group: str, **more) -> dict:
    return {"group": group, "fulfilment": "delivery", **more}


def group_of(item) -> str:
    return f"{item.merchant.slug}:{item.branch_id}"


def branch_exceptions(item, exceptions: dict) -> None:
    with schema_context(item.merchant.schema_name):
        Branch.objects.filter(pk=item.branch_id).update(hours_exceptions=exceptions)


def days_from_today(*days: int) -> list[str]:
    today = timezone.localdate()
    return [(today + timedelta(days=n)).isoformat() for n in days]


def closed_until_tomorrow_nine(item) -> None:
    today, tomorrow = days_from_today(0, 1)
    branch_exceptions(item, {today: [], tomorrow: [["09:00", "18:00"]]})


def merchant_order(item, order_id: int) -> MerchantOrder:
    with schema_context(item.merchant.schema_name):
        return MerchantOrder.objects.get(customer_order_id=order_id)


@pytest.fixture
def ayesha(db):
    return customer_make(name="Ayesha")


def test_checkout_with_a_saved_address_delivers_to_its_pin_and_keeps_a_copy(ayesha, rice):
    home = address_make(ayesha, notes="Green gate")
    buyer = signed_in_buyer(ayesha)
    assert buyer.add(rice.pk, 2).status_code == 201
    # browsing from Islamabad: the address's pin, not the browsing point, decides the delivery radius
    body = {**COD, "address_id": home.pk, "groups": [delivered(group_of(rice))]}
    response = buyer.checkout(body)
    assert response.status_code == 201, response.json()
    order = response.json()
    assert order["delivery_address"]["address_id"] == home.pk
    assert order["delivery_address"]["text"] == "House 12, Street 4, Gulberg III, Lahore"
    assert order["delivery_address"]["notes"] == "Green gate"
    part = order["parts"][0]
    assert part["scheduled_for"] is None and parse_datetime(part["promised_at"]) > timezone.now()
    mine = merchant_order(rice, order["id"])
    assert (mine.address, mine.address_notes, mine.customer_phone) == (
        "House 12, Street 4, Gulberg III, Lahore",
        "Green gate",
        "+923001234567",
    )
    assert (str(mine.latitude), str(mine.longitude)) == ("31.511000", "74.345000")
    assert mine.promised_at == parse_datetime(part["promised_at"])
    home.delete()  # the order keeps its copy
    assert CustomerOrder.objects.get(pk=order["id"]).delivery_address["text"].startswith("House 12")


def test_a_saved_address_outside_the_radius_cannot_have_delivery(ayesha, rice):
    far = address_make(ayesha, at=ISLAMABAD)
    buyer = signed_in_buyer(ayesha)
    buyer.add(rice.pk, 2)
    response = buyer.checkout({**COD, "address_id": far.pk, "groups": [delivered(group_of(rice))]})
    assert response.status_code == 400 and response.json()["code"] == "fulfilment_unavailable"
    assert response.json()["details"]["reason"] == "outside_area"


def test_another_users_address_or_a_guests_address_id_is_unknown(ayesha, rice, new_buyer):
    theirs = address_make(customer_make())
    buyer = signed_in_buyer(ayesha)
    buyer.add(rice.pk, 1)
    response = buyer.checkout({**COD, "address_id": theirs.pk, "groups": [delivered(group_of(rice))]})
    assert (response.status_code, response.json()["code"], response.json()["field"]) == (
        400,
        "address_unknown",
        "address_id",
    )
    guest = new_buyer()
    guest.add(rice.pk, 1)
    assert guest.checkout({**COD, "address_id": theirs.pk}).json()["code"] == "address_unknown"
    assert not CustomerOrder.objects.exists()


def test_a_new_address_with_its_pin_is_used_and_saved_when_asked(ayesha, rice):
    buyer = signed_in_buyer(ayesha)
    buyer.add(rice.pk, 2)
    body = {
        **COD,
        "address": "Flat 3, Block C",
        "address_area": "Gulberg III",
        "address_notes": "Call at the gate",
        "address_label": "Work",
        "save_address": True,
        "lat": 31.5108,
        "lng": 74.3449,
        "groups": [delivered(group_of(rice))],
    }
    response = buyer.checkout(body)
    assert response.status_code == 201, response.json()
    assert response.json()["delivery_address"]["text"] == "Flat 3, Block C, Gulberg III"
    saved = Address.objects.get(user=ayesha)
    assert (saved.label, saved.street, saved.notes, saved.is_default) == (
        "Work",
        "Flat 3, Block C",
        "Call at the gate",
        True,
    )


def test_a_guests_new_address_lives_on_the_order_only(new_buyer, rice):
    guest = new_buyer()
    guest.add(rice.pk, 2)
    body = {**COD, "address": "House 1", "lat": 31.5108, "lng": 74.3449, "save_address": True}
    response = guest.checkout({**body, "groups": [delivered(group_of(rice))]})
    assert response.status_code == 201 and response.json()["delivery_address"]["text"] == "House 1"
    assert not Address.objects.exists()


def test_an_address_sent_only_with_its_group_is_the_orders_address_too(new_buyer, rice):
    guest = new_buyer()
    guest.add(rice.pk, 1)
    body = {**COD, "lat": 31.5108, "lng": 74.3449}
    response = guest.checkout({**body, "groups": [delivered(group_of(rice), address="House 12, Street 4")]})
    assert response.status_code == 201
    assert response.json()["delivery_address"]["text"] == "House 12, Street 4"
    assert CustomerOrder.objects.get(pk=response.json()["id"]).delivery_address["latitude"] == 31.5108


def test_a_closed_shop_refuses_an_order_for_now_and_names_its_next_opening(new_buyer, rice):
    closed_until_tomorrow_nine(rice)
    guest = new_buyer()
    guest.add(rice.pk, 1)
    response = guest.checkout({**COD, "groups": [{"group": group_of(rice)}]})
    body = response.json()
    assert (response.status_code, body["code"], body["field"]) == (409, "shop_closed", "groups")
    assert "Gulberg Grocer" in body["message"] and "tomorrow at 09:00" in body["message"]
    assert body["details"]["group"] == group_of(rice) and body["details"]["reason"] == "closed_now"
    opening = parse_datetime(body["details"]["next_opening"])
    assert timezone.localtime(opening).strftime("%H:%M") == "09:00"
    assert not CustomerOrder.objects.exists()


def test_a_closed_shop_takes_the_order_scheduled_for_its_opening(new_buyer, rice):
    closed_until_tomorrow_nine(rice)
    guest = new_buyer()
    guest.add(rice.pk, 1)
    opening = guest.checkout({**COD, "groups": [{"group": group_of(rice)}]}).json()["details"]["next_opening"]
    response = guest.checkout({**COD, "groups": [{"group": group_of(rice), "scheduled_for": opening}]})
    assert response.status_code == 201, response.json()
    part = response.json()["parts"][0]
    assert parse_datetime(part["scheduled_for"]) == parse_datetime(opening)
    assert parse_datetime(part["promised_at"]) == parse_datetime(opening) + timedelta(minutes=20)  # pickup: prep
    mine = merchant_order(rice, response.json()["id"])
    assert mine.scheduled_for == parse_datetime(opening)


def test_a_time_outside_the_hours_is_refused_with_the_first_time_it_can_take(new_buyer, rice):
    closed_until_tomorrow_nine(rice)
    guest = new_buyer()
    guest.add(rice.pk, 1)
    tomorrow_night = timezone.localtime().replace(hour=20, minute=0, second=0, microsecond=0) + timedelta(days=1)
    response = guest.checkout(
        {**COD, "groups": [{"group": group_of(rice), "scheduled_for": tomorrow_night.isoformat()}]}
    )
    body = response.json()
    assert (response.status_code, body["code"], body["field"]) == (400, "schedule_invalid", "groups")
    assert "tomorrow at 09:00" in body["message"] and body["details"]["group"] == group_of(rice)


def test_a_shop_closed_beyond_the_horizon_is_refused_with_the_reason(new_buyer, rice):
    branch_exceptions(rice, {day: [] for day in days_from_today(0, 1, 2)})
    guest = new_buyer()
    guest.add(rice.pk, 1)
    response = guest.checkout({**COD, "groups": [{"group": group_of(rice)}]})
    body = response.json()
    assert (response.status_code, body["code"]) == (409, "shop_closed")
    assert body["details"]["reason"] == "closed_beyond_horizon" and "next 2 days" in body["message"]
    assert body["details"]["next_opening"]  # it does open later (the weekly hours after the exceptions)
    far_slot = (timezone.localtime() + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
    scheduled = guest.checkout({**COD, "groups": [{"group": group_of(rice), "scheduled_for": far_slot.isoformat()}]})
    assert scheduled.json()["code"] == "shop_closed"  # no scheduling beyond the horizon either


def test_the_same_key_replays_with_the_address_and_schedule_and_another_schedule_is_409(ayesha, rice):
    closed_until_tomorrow_nine(rice)
    home = address_make(ayesha)
    buyer = signed_in_buyer(ayesha)
    buyer.add(rice.pk, 2)
    opening = (timezone.localtime() + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    later = opening + timedelta(hours=2)
    body = {**COD, "address_id": home.pk, "groups": [delivered(group_of(rice), scheduled_for=opening.isoformat())]}
    key = uuid.uuid4().hex
    first = buyer.checkout(body, key=key)
    assert first.status_code == 201, first.json()
    again = buyer.checkout(body, key=key)
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    other = {**body, "groups": [delivered(group_of(rice), scheduled_for=later.isoformat())]}
    assert buyer.checkout(other, key=key).json()["code"] == "idempotency_key_reused"
    moved = {**body, "address_id": address_make(ayesha, label="Work").pk}
    assert buyer.checkout(moved, key=key).json()["code"] == "idempotency_key_reused"
    assert CustomerOrder.objects.count() == 1


def test_a_delivery_promises_preparation_and_the_ride(ayesha, rice, settings):
    settings.DELIVERY_SPEED_KMH = 12.0
    home = address_make(ayesha)
    buyer = signed_in_buyer(ayesha)
    buyer.add(rice.pk, 2)
    before = timezone.now()
    response = buyer.checkout({**COD, "address_id": home.pk, "groups": [delivered(group_of(rice))]})
    promised = parse_datetime(response.json()["parts"][0]["promised_at"])
    # ~0.1 km at 12 km/h: a minute of riding, five at the door, twenty of preparation
    assert before + timedelta(minutes=26) <= promised <= timezone.now() + timedelta(minutes=27)  # to the minute


def test_a_request_without_address_or_schedule_keeps_the_fingerprint_it_had():
    """Orders placed before addresses and schedules came replay with their keys: the new defaults are left out."""
    request = CheckoutRequest(payment_method="cod", contact_phone="0300", groups=(GroupChoice("grocer:1"),))
    before = {
        "payment_method": "cod",
        "contact_phone": "0300",
        "contact_name": "",
        "address": "",
        "lat": None,
        "lng": None,
        "note": "",
        "groups": [{"group": "grocer:1", "fulfilment": "pickup", "address": ""}],
    }
    assert request.fingerprint() == request_fingerprint(before)
    scheduled = CheckoutRequest(
        payment_method="cod", contact_phone="0300", groups=(GroupChoice("grocer:1", scheduled_for="2026-12-08T09:00"),)
    )
    assert scheduled.fingerprint() != request.fingerprint()

"""The courier adapters against their sandboxes (sandboxes/uberdirect.py, sandboxes/postex.py), over real HTTP."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from django.utils import timezone

from sandboxes.testing import post_recorder
from shared_apps.logistics.couriers import courier_for
from shared_apps.logistics.couriers.base import (
    BookingRequest,
    CourierError,
    CourierErrorKind,
    CourierStatus,
    status_may_follow,
)
from shared_apps.logistics.couriers.postex import PostExCourier
from shared_apps.logistics.couriers.uberdirect import UberDirectCourier, signature
from shared_apps.logistics.testing import FAR, HOME, ITEMS, SHOP, idempotency_key


def booking(quote_id: str = "", key: str | None = None, **overrides) -> BookingRequest:
    values = {
        "idempotency_key": key or idempotency_key(),
        "reference": "CDTEST",
        "pickup": SHOP,
        "dropoff": HOME,
        "items": tuple(ITEMS),
        "quote_id": quote_id,
        "cod_amount": Decimal("1450.00"),
    }
    values.update(overrides)
    return BookingRequest(**values)


# ---- the monotonic rule ---------------------------------------------------------------------------------------------


def test_a_status_moves_only_forward_and_finals_stay():
    assert status_may_follow("pending", "dropoff")
    assert not status_may_follow("dropoff", "pickup")
    assert not status_may_follow("pickup", "pickup")
    assert not status_may_follow("delivered", "returned")
    assert status_may_follow("canceled", "returned")
    assert not status_may_follow("canceled", "delivered")
    assert status_may_follow("dropoff", "canceled")


# ---- Uber Direct ----------------------------------------------------------------------------------------------------


def test_the_registry_builds_each_courier_from_settings(courier_settings):
    courier_settings.UBER_DIRECT_CUSTOMER_ID = "someone-else"
    uber = courier_for("uber")
    assert isinstance(uber, UberDirectCourier) and uber.customer_id == "someone-else" and not uber.polled
    assert isinstance(courier_for("postex"), PostExCourier) and courier_for("postex").polled
    with pytest.raises(CourierError):
        courier_for("dhl")


def test_a_quote_is_in_major_units_and_valid_for_fifteen_minutes(uber):
    quote = courier_for("uber").quote(pickup=SHOP, dropoff=HOME)
    assert quote.id.startswith("dqt_")
    assert quote.currency == "PKR"
    assert quote.fee > Decimal("150") and quote.fee == quote.fee.quantize(Decimal("0.01"))
    assert timedelta(minutes=14) < quote.expires_at - timezone.now() <= timedelta(minutes=15)
    assert quote.eta > timezone.now()


def test_a_far_dropoff_is_undeliverable(uber):
    with pytest.raises(CourierError) as caught:
        courier_for("uber").quote(pickup=SHOP, dropoff=FAR)
    assert caught.value.kind == CourierErrorKind.UNDELIVERABLE and caught.value.code == "address_undeliverable"


def test_create_books_with_the_quote_and_status_reads_it_back(uber):
    adapter = courier_for("uber")
    quote = adapter.quote(pickup=SHOP, dropoff=HOME)
    booked = adapter.create(booking(quote.id))
    assert booked.provider_id.startswith("del_") and booked.status == CourierStatus.PENDING
    assert booked.fee == quote.fee and booked.tracking_url.endswith(booked.provider_id)
    assert adapter.status(provider_id=booked.provider_id).status == CourierStatus.PENDING
    assert httpx.get(booked.tracking_url, timeout=5).status_code == 200


def test_the_same_idempotency_key_twice_is_a_duplicate_naming_the_first_booking(uber):
    adapter = courier_for("uber")
    key = idempotency_key()
    first = adapter.create(booking(adapter.quote(pickup=SHOP, dropoff=HOME).id, key=key))
    with pytest.raises(CourierError) as caught:
        adapter.create(booking(adapter.quote(pickup=SHOP, dropoff=HOME).id, key=key))
    assert caught.value.kind == CourierErrorKind.DUPLICATE and caught.value.provider_id == first.provider_id
    assert [d["id"] for d in uber.listing()].count(first.provider_id) == 1


def test_an_expired_quote_and_a_used_quote_are_refused(uber):
    adapter = courier_for("uber")
    uber.configure(quote_ttl_seconds=0)
    expired = adapter.quote(pickup=SHOP, dropoff=HOME)
    with pytest.raises(CourierError) as caught:
        adapter.create(booking(expired.id))
    assert caught.value.kind == CourierErrorKind.QUOTE_EXPIRED
    uber.configure(quote_ttl_seconds=900)
    quote = adapter.quote(pickup=SHOP, dropoff=HOME)
    adapter.create(booking(quote.id))
    with pytest.raises(CourierError) as caught:
        adapter.create(booking(quote.id))
    assert caught.value.kind == CourierErrorKind.QUOTE_USED


def test_the_token_is_kept_and_fetched_again_once_after_a_401(uber):
    adapter = courier_for("uber")
    first = adapter._token()
    assert adapter._token() == first  # cached: no second token request
    uber.revoke_tokens()
    assert adapter.quote(pickup=SHOP, dropoff=HOME).id  # 401, a new token, the call again
    assert adapter._token() != first


def test_wrong_client_credentials_are_a_refusal(uber, courier_settings):
    courier_settings.UBER_DIRECT_CLIENT_SECRET = "wrong"
    with pytest.raises(CourierError) as caught:
        courier_for("uber").quote(pickup=SHOP, dropoff=HOME)
    assert caught.value.kind == CourierErrorKind.REJECTED


def test_cancel_only_before_the_courier_has_the_parcel(uber):
    adapter = courier_for("uber")
    early = adapter.create(booking(adapter.quote(pickup=SHOP, dropoff=HOME).id))
    assert adapter.cancel(provider_id=early.provider_id) == CourierStatus.CANCELED
    late = adapter.create(booking(adapter.quote(pickup=SHOP, dropoff=HOME).id))
    uber.advance(late.provider_id, status="pickup_complete")
    with pytest.raises(CourierError) as caught:
        adapter.cancel(provider_id=late.provider_id)
    assert caught.value.kind == CourierErrorKind.NOT_CANCELABLE


def test_an_unreachable_courier_is_unavailable(courier_settings):
    courier_settings.UBER_DIRECT_TOKEN_URL = "http://127.0.0.1:9/token"
    with pytest.raises(CourierError) as caught:
        courier_for("uber").quote(pickup=SHOP, dropoff=HOME)
    assert caught.value.kind == CourierErrorKind.UNAVAILABLE


def test_signed_notifications_from_the_sandbox_verify_and_forged_ones_do_not(uber):
    adapter = courier_for("uber")
    with post_recorder() as received:
        uber.configure(enabled=True, webhook_url=f"{received.base_url}/hooks/uber")
        booked = adapter.create(booking(adapter.quote(pickup=SHOP, dropoff=HOME).id))
        first = received.next()
        uber.advance(booked.provider_id, status="pickup", location={"lat": 31.5, "lng": 74.34})
        moves = [received.next(), received.next()]
    [event] = adapter.webhook_verify_parse(headers=first.headers, raw_body=first.body)
    assert (event.kind, event.status, event.provider_id) == ("status", CourierStatus.PENDING, booked.provider_id)
    kinds = sorted(adapter.webhook_verify_parse(headers=m.headers, raw_body=m.body)[0].kind for m in moves)
    assert kinds == ["position", "status"]
    forged = json.loads(first.body)
    forged["status"] = "delivered"
    body = json.dumps(forged).encode()
    for headers in ({"x-uber-signature": first.headers["x-uber-signature"]}, {}, {"x-uber-signature": "zz"}):
        with pytest.raises(CourierError) as caught:
            adapter.webhook_verify_parse(headers=headers, raw_body=body)
        assert caught.value.kind == CourierErrorKind.INVALID
    with pytest.raises(CourierError):
        adapter.webhook_verify_parse(headers={"x-uber-signature": signature(b"{", adapter.signing_key)}, raw_body=b"{")


# ---- PostEx ---------------------------------------------------------------------------------------------------------


def test_postex_books_with_cash_on_delivery_and_tracks_by_polling(postex):
    adapter = courier_for("postex")
    quote = adapter.quote(pickup=SHOP, dropoff=HOME)
    assert quote.id == "" and quote.expires_at is None and quote.fee > 0
    booked = adapter.create(booking())
    assert booked.provider_id.startswith("CX-") and booked.status == CourierStatus.PENDING
    [parcel] = [p for p in postex.listing() if p["trackingNumber"] == booked.provider_id]
    assert parcel["invoicePayment"] == "1450.00" and parcel["cityName"] == "Lahore"
    postex.advance(booked.provider_id, code="0004")
    state = adapter.status(provider_id=booked.provider_id)
    assert state.status == CourierStatus.DROPOFF
    assert [e.status for e in state.events] == [
        CourierStatus.PENDING,
        CourierStatus.PICKUP_COMPLETE,
        CourierStatus.DROPOFF,
    ]


def test_postex_cancels_only_while_booked_and_refuses_a_repeated_reference(postex):
    adapter = courier_for("postex")
    key = idempotency_key()
    booked = adapter.create(booking(key=key))
    with pytest.raises(CourierError) as caught:
        adapter.create(booking(key=key))
    assert caught.value.kind == CourierErrorKind.DUPLICATE and caught.value.provider_id == booked.provider_id
    postex.advance(booked.provider_id, code="0001")
    assert adapter.cancel(provider_id=booked.provider_id) == CourierStatus.CANCELED
    assert adapter.status(provider_id=booked.provider_id).status == CourierStatus.CANCELED
    moving = adapter.create(booking())
    postex.advance(moving.provider_id, code="0003")
    with pytest.raises(CourierError) as caught:
        adapter.cancel(provider_id=moving.provider_id)
    assert caught.value.kind == CourierErrorKind.NOT_CANCELABLE


def test_postex_refuses_a_city_it_does_not_serve_and_has_no_webhooks(postex):
    adapter = courier_for("postex")
    with pytest.raises(CourierError) as caught:
        adapter.create(booking(dropoff=FAR.__class__(**{**FAR.__dict__, "city": "Atlantis"})))
    assert caught.value.kind == CourierErrorKind.UNDELIVERABLE
    with pytest.raises(CourierError):
        adapter.webhook_verify_parse(headers={}, raw_body=b"{}")

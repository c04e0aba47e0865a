"""The customer's live stream, as the page server (WSGI) answers it: who may listen is decided before any stream
(anyone else's order 404, nobody 401, a tracking token only its own order), and what it replays is the order's
events after Last-Event-ID, then it ends (EventSource reconnects). The ASGI stream itself: shared_apps/live/tests."""

from __future__ import annotations

from django.core import signing
from django.test import Client

from marketplace.orders.tests.conftest import staff_move
from marketplace.orders.tracking import TRACK_SIGNING_SALT
from shared_apps.live.models import LiveEvent
from shared_apps.live.services import channel_order


def _order(buyer, listing) -> dict:
    assert buyer.add(listing.pk, 1).status_code == 201
    response = buyer.checkout()
    assert response.status_code == 201, response.json()
    return response.json()


def _events(body: bytes) -> list[dict[str, str]]:
    events = []
    for block in body.decode().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if line and not line.startswith(":"))
        if "id" in fields:
            events.append(fields)
    return events


def _envelope(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert {"code", "message", "field"} <= set(body) and body["code"] == code


def test_the_owner_gets_an_event_stream_replaying_the_moves_after_last_event_id(new_buyer, rice, committed):
    buyer = new_buyer()
    order = _order(buyer, rice)
    path = f"/api/v1/orders/{order['id']}/events"

    first = buyer.call("get", path)
    assert first.status_code == 200 and first["Content-Type"].startswith("text/event-stream")
    assert first["Cache-Control"] == "no-cache" and first["X-Accel-Buffering"] == "no"
    assert first.content.startswith(b"retry: ") and _events(first.content) == []  # no id: from now on

    with committed():
        staff_move(order["parts"][0]["number"], "accepted", "preparing")
    logged = list(LiveEvent.objects.filter(channel=channel_order(order["id"])).order_by("id"))
    # the order's own moves, and beside them its delivery's (fulfilment's `delivery.changed`)
    assert [e.data["status"] for e in logged if e.kind == "status"] == ["accepted", "preparing"]

    replay = _events(buyer.call("get", path, **{"Last-Event-ID": str(logged[0].pk)}).content)
    assert [(int(e["id"]), e["event"]) for e in replay] == [(e.pk, e.kind) for e in logged[1:]]
    assert '"status": "preparing"' in [e["data"] for e in replay if e["event"] == "status"][-1]
    from_query = _events(buyer.call("get", f"{path}?last_event_id={logged[0].pk - 1}").content)
    assert [int(e["id"]) for e in from_query] == [e.pk for e in logged]


def test_another_customers_order_is_a_404_envelope_and_nobody_is_a_401(new_buyer, rice):
    order = _order(new_buyer(), rice)
    path = f"/api/v1/orders/{order['id']}/events"
    _envelope(new_buyer().call("get", path), 404, "order_not_found")
    _envelope(Client(HTTP_HOST="localhost").get(path), 401, "unauthenticated")


def test_a_tracking_token_opens_its_own_order_only(new_buyer, rice):
    mine, other = _order(new_buyer(), rice), _order(new_buyer(), rice)
    anonymous = Client(HTTP_HOST="localhost")
    token = signing.TimestampSigner(salt=TRACK_SIGNING_SALT).sign_object({"o": mine["number"]})  # a tracking link's

    assert anonymous.get(f"/api/v1/orders/{mine['id']}/events?token={token}").status_code == 200
    _envelope(anonymous.get(f"/api/v1/orders/{other['id']}/events?token={token}"), 404, "order_not_found")
    _envelope(anonymous.get(f"/api/v1/orders/{mine['id']}/events?token={token}x"), 401, "unauthenticated")


def test_a_bad_last_event_id_is_a_400_envelope(new_buyer, rice):
    buyer = new_buyer()
    order = _order(buyer, rice)
    _envelope(buyer.call("get", f"/api/v1/orders/{order['id']}/events?last_event_id=abc"), 400, "invalid")


def test_both_streams_are_in_the_openapi_as_event_streams(client, host_client, make_merchant):
    public = client.get("/api/v1/openapi.json", HTTP_HOST="localhost").json()
    operation = public["paths"]["/api/v1/orders/{order_id}/events"]["get"]
    assert "text/event-stream" in operation["responses"]["200"]["content"]
    merchant = make_merchant(slug="openapi-live")
    console = host_client(merchant.domains.first().domain).get("/api/v1/console/openapi.json").json()
    operation = console["paths"]["/api/v1/console/branches/{branch_id}/events"]["get"]
    assert "text/event-stream" in operation["responses"]["200"]["content"]

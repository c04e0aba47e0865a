"""Uber Direct sandbox: OAuth2 client credentials, delivery quotes, deliveries, a simulated courier, signed webhooks.

Protocol (../../shared/docs/providers.md, "Partner delivery"), under the /uber prefix (the app's UBER_DIRECT_API_BASE):
- `POST /uber/oauth/v2/token` (form: grant_type=client_credentials, client_id, client_secret, scope) →
  `{access_token, token_type: "Bearer", expires_in, scope}`; wrong credentials → 401 `{"error": "invalid_client"}`.
- `POST /uber/v1/customers/{customer_id}/delivery_quotes` → `{kind: "delivery_quote", id: "dqt_…", fee (minor
  units), currency, dropoff_eta, expires (quote_ttl_seconds, 15 min by default)}`.
- `POST …/deliveries {quote_id, idempotency_key, external_id, pickup_*, dropoff_*, manifest_items}` → the delivery
  (`id: "del_…"`, status pending, tracking_url, fee, dropoff_eta). Errors: 409 duplicate_delivery (the idempotency key
  booked before; `metadata.delivery_id` names that delivery — the sandbox's choice, unverified), 400 expired_quote,
  400 used_quote (booked by another key), 422 address_undeliverable (farther than max_km), 400 invalid_params.
- `GET …/deliveries/{id}`; `POST …/deliveries/{id}/cancel` — only while pending or pickup, else 400
  noncancelable_delivery. Every API call needs `Authorization: Bearer <token>` (401 unauthorized otherwise) and the
  configured customer id (404 customer_not_found otherwise).

The simulated courier (autodrive): assigned after a minute (status pickup, placed about a kilometre from the shop),
drives a straight line to the shop, waits, picks up (pickup_complete), drives a straight line to the customer
(dropoff; courier_imminent near the end) and delivers — sending `event.courier_update` with its position every
update_seconds of simulated time. Every duration is multiplied by $SANDBOX_COURIER_TIME_SCALE.

Webhooks: each change is POSTed to webhook_url, signed: `x-uber-signature` = hex HMAC-SHA256 of the raw body with
$SANDBOX_UBER_SIGNING_KEY. Like Uber's, delivery is at least once and not in order: with the seeded randomness
(seed, duplicate_rate, late_rate, late_ms; per event, so a run is reproducible) a notification is sent twice, or held
back late_ms so later ones overtake it. Rates 0 switch it off.

Control endpoints (sandbox only, no token): `GET/POST/DELETE /uber/sandbox/config` (webhook_url, enabled, autodrive,
seed, duplicate_rate, late_rate, late_ms, quote_ttl_seconds, token_ttl_seconds, max_km, speed_kmh, update_seconds),
`GET /uber/sandbox/deliveries`, `POST /uber/sandbox/deliveries/{id}/advance {"status", "imminent"}` (move it now and
notify, as the simulated courier would), `POST /uber/sandbox/tokens/revoke` (every token issued so far stops working).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import json
import logging
import math
import os
import random
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import httpx
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from sandboxes.courier_state import SandboxRequestError, Store, time_scale

logger = logging.getLogger(__name__)

PROVIDER = {
    "name": "Uber Direct",
    "path": "/uber/sandbox/deliveries",
    "protocol": "Uber Direct (OAuth2, delivery_quotes, deliveries, signed webhooks), a simulated courier",
}
# = the app's UBER_DIRECT_* defaults
DEFAULTS = {
    "SANDBOX_UBER_CLIENT_ID": "sandbox-client",
    "SANDBOX_UBER_CLIENT_SECRET": "sandbox-client-secret",
    "SANDBOX_UBER_CUSTOMER_ID": "sandbox-customer",
    "SANDBOX_UBER_SIGNING_KEY": "sandbox-uber-signing-key",
}
DEFAULT_WEBHOOK_URL = "http://127.0.0.1:8000/api/v1/webhooks/couriers/uber"
STATUSES = ("pending", "pickup", "pickup_complete", "dropoff", "delivered", "canceled", "returned")
CANCELABLE = ("pending", "pickup")
FINAL = ("delivered", "canceled", "returned")
BASE_FEE, FEE_PER_KM = 15000, 3000  # minor units (paisa): PKR 150 + 30/km
ASSIGN_SECONDS, PICKUP_WAIT_SECONDS = 60, 60  # simulated: a courier accepts, then waits at the counter
DELIVERY_ATTEMPTS = 3

store = Store(
    "uberdirect",
    {
        "webhook_url": lambda: os.environ.get("SANDBOX_UBER_WEBHOOK_URL") or DEFAULT_WEBHOOK_URL,
        "enabled": True,
        "autodrive": True,
        "seed": 7,
        "duplicate_rate": 0.1,
        "late_rate": 0.1,
        "late_ms": 3000,
        "quote_ttl_seconds": 900,
        "token_ttl_seconds": 2592000,  # Uber's tokens last 30 days
        "max_km": 25.0,
        "speed_kmh": 25.0,
        "update_seconds": 20.0,
    },
)
_background: set[asyncio.Task[None]] = set()  # strong references: the loop keeps only weak ones


def _env(name: str) -> str:
    return os.environ.get(name) or DEFAULTS[name]


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _error(status: int, code: str, message: str, **metadata: Any) -> SandboxRequestError:
    return SandboxRequestError(status, {"kind": "error", "code": code, "message": message, "metadata": metadata})


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine)."""
    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def signature(body: bytes) -> str:
    return hmac.new(_env("SANDBOX_UBER_SIGNING_KEY").encode(), body, hashlib.sha256).hexdigest()


# ---- requests -------------------------------------------------------------------------------------------------------


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        payload = json.loads(await request.body() or b"{}")
    except ValueError as exc:
        raise _error(400, "invalid_params", "The body must be JSON") from exc
    if not isinstance(payload, dict):
        raise _error(400, "invalid_params", "The body must be a JSON object")
    return payload


def _point(payload: dict[str, Any], prefix: str) -> tuple[float, float]:
    lat, lng = payload.get(f"{prefix}_latitude"), payload.get(f"{prefix}_longitude")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (lat, lng)):
        raise _error(400, "invalid_params", f"{prefix}_latitude and {prefix}_longitude are required numbers")
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise _error(400, "invalid_params", f"{prefix} coordinates are out of range")
    return float(lat), float(lng)


def _route(payload: dict[str, Any], config: dict[str, Any]) -> tuple[tuple[float, float], tuple[float, float], float]:
    pickup, dropoff = _point(payload, "pickup"), _point(payload, "dropoff")
    km = distance_km(pickup, dropoff)
    if km > config["max_km"]:
        raise _error(422, "address_undeliverable", f"The dropoff is {km:.1f} km away, farther than {config['max_km']}")
    return pickup, dropoff, km


def _authorize(request: Request) -> None:
    if request.path_params["customer_id"] != _env("SANDBOX_UBER_CUSTOMER_ID"):
        raise _error(404, "customer_not_found", "No such customer")
    header = request.headers.get("authorization", "")
    token = header[7:] if header.lower().startswith("bearer ") else ""
    held = store.get("token", hashlib.sha256(token.encode()).hexdigest()) if token else None
    if held is None or held["revoked"] or held["expires"] < time.time():
        raise _error(401, "unauthorized", "The access token is missing, expired or revoked")


def _answer(handler):
    """Run a handler that returns (status, body) or raises SandboxRequestError; both as JSON."""

    async def endpoint(request: Request) -> Response:
        try:
            status, body = await handler(request)
        except SandboxRequestError as exc:
            return JSONResponse(exc.body, status_code=exc.status)
        return JSONResponse(body, status_code=status)

    endpoint.__name__ = handler.__name__
    return endpoint


# ---- the token ------------------------------------------------------------------------------------------------------


@_answer
async def token(request: Request) -> tuple[int, dict[str, Any]]:
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode(errors="replace")).items()}
    if form.get("grant_type") != "client_credentials":
        return 400, {"error": "unsupported_grant_type"}
    ok = hmac.compare_digest(form.get("client_id", "").encode(), _env("SANDBOX_UBER_CLIENT_ID").encode())
    ok &= hmac.compare_digest(form.get("client_secret", "").encode(), _env("SANDBOX_UBER_CLIENT_SECRET").encode())
    if not ok:
        return 401, {"error": "invalid_client"}
    ttl = (await run_in_threadpool(store.config))["token_ttl_seconds"]
    access = "uat_" + secrets.token_urlsafe(24)
    key = hashlib.sha256(access.encode()).hexdigest()
    await run_in_threadpool(store.put, "token", key, {"expires": time.time() + ttl, "revoked": False})
    return 200, {"access_token": access, "token_type": "Bearer", "expires_in": ttl, "scope": "eats.deliveries"}


# ---- quotes and deliveries ------------------------------------------------------------------------------------------


def _eta(km: float, config: dict[str, Any], start: datetime) -> datetime:
    seconds = ASSIGN_SECONDS + PICKUP_WAIT_SECONDS + 600 + km / config["speed_kmh"] * 3600
    return start + timedelta(seconds=seconds * time_scale())


@_answer
async def delivery_quotes(request: Request) -> tuple[int, dict[str, Any]]:
    _authorize(request)
    payload = await _json_object(request)
    config = await run_in_threadpool(store.config)
    _, _, km = _route(payload, config)
    now = _now()
    quote = {
        "kind": "delivery_quote",
        "id": "dqt_" + secrets.token_hex(12),
        "created": _iso(now),
        "expires": _iso(now + timedelta(seconds=config["quote_ttl_seconds"])),
        "fee": BASE_FEE + round(km * FEE_PER_KM / 100) * 100,
        "currency": "pkr",
        "currency_type": "PKR",
        "dropoff_eta": _iso(_eta(km, config, now)),
        "duration": round((_eta(km, config, now) - now).total_seconds() / 60),
        "pickup_duration": 5,
        "route": {"pickup": _point(payload, "pickup"), "dropoff": _point(payload, "dropoff")},
    }
    await run_in_threadpool(store.put, "quote", quote["id"], {**quote, "used_by": None})
    return 200, {k: v for k, v in quote.items() if k != "route"}


def _stop(payload: dict[str, Any], prefix: str, point: tuple[float, float]) -> dict[str, Any]:
    return {
        "name": str(payload.get(f"{prefix}_name") or ""),
        "address": str(payload.get(f"{prefix}_address") or ""),
        "phone_number": str(payload.get(f"{prefix}_phone_number") or ""),
        "notes": str(payload.get(f"{prefix}_notes") or ""),
        "location": {"lat": point[0], "lng": point[1]},
    }


def _create(payload: dict[str, Any], config: dict[str, Any], base_url: str) -> dict[str, Any]:
    """Book in one write transaction: the idempotency key first (409 with the delivery it booked), then the quote."""
    key = payload.get("idempotency_key")
    if key is not None and (not isinstance(key, str) or not key or len(key) > 256):
        raise _error(400, "invalid_params", "idempotency_key must be a non-empty string")
    pickup, dropoff, km = _route(payload, config)
    items = payload.get("manifest_items")
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) and i.get("name") for i in items):
        raise _error(400, "invalid_params", "manifest_items must list at least one named item")
    with store.connect(write=True) as conn:
        if key:
            earlier = store.by_unique_in(conn, "delivery", key)
            if earlier is not None:
                raise _error(409, "duplicate_delivery", "This idempotency key was used", delivery_id=earlier["id"])
        now = _now()
        quote_id = payload.get("quote_id")
        quote = store.get_in(conn, "quote", str(quote_id)) if quote_id else None
        if quote_id and quote is None:
            raise _error(400, "invalid_params", "Unknown quote_id")
        if quote is not None:
            if datetime.fromisoformat(quote["expires"].replace("Z", "+00:00")) <= now:
                raise _error(400, "expired_quote", "The quote has expired")
            if quote["used_by"]:
                raise _error(400, "used_quote", "The quote was used by another delivery")
        delivery_id = "del_" + secrets.token_hex(12)
        fee = quote["fee"] if quote else BASE_FEE + round(km * FEE_PER_KM / 100) * 100
        delivery = {
            "kind": "delivery",
            "id": delivery_id,
            "quote_id": quote_id,
            "external_id": str(payload.get("external_id") or ""),
            "status": "pending",
            "complete": False,
            "courier_imminent": False,
            "created": _iso(now),
            "updated": _iso(now),
            "pickup": _stop(payload, "pickup", pickup),
            "dropoff": _stop(payload, "dropoff", dropoff),
            "manifest_items": items,
            "fee": fee,
            "currency": "pkr",
            "dropoff_eta": _iso(_eta(km, config, now)),
            "tracking_url": f"{base_url}/uber/track/{delivery_id}",
            "courier": None,
        }
        if quote is not None:
            store.put_in(conn, "quote", quote["id"], {**quote, "used_by": delivery_id})
        store.put_in(conn, "delivery", delivery_id, delivery, unique_key=key or None)
    return delivery


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@_answer
async def deliveries(request: Request) -> tuple[int, dict[str, Any]]:
    _authorize(request)
    payload = await _json_object(request)
    config = await run_in_threadpool(store.config)
    delivery = await run_in_threadpool(_create, payload, config, _base_url(request))
    await _notify_status(delivery, config)
    if config["autodrive"]:
        _spawn(_drive(delivery["id"]))
    return 200, delivery


@_answer
async def delivery(request: Request) -> tuple[int, dict[str, Any]]:
    _authorize(request)
    found = await run_in_threadpool(store.get, "delivery", request.path_params["delivery_id"])
    if found is None:
        raise _error(404, "delivery_not_found", "No such delivery")
    return 200, found


def _move(delivery_id: str, status: str | None, **changes: Any) -> tuple[dict[str, Any] | None, bool]:
    """Apply a change to a delivery in one write: (delivery after, whether the status changed). A final delivery
    never changes; `status` None changes only the other fields (a position)."""
    with store.connect(write=True) as conn:
        found = store.get_in(conn, "delivery", delivery_id)
        if found is None or found["status"] in FINAL:
            return found, False
        moved = status is not None and status != found["status"]
        found.update(changes, updated=_iso(_now()))
        if status is not None:
            found["status"], found["complete"] = status, status in FINAL
        store.put_in(conn, "delivery", delivery_id, found)
        return found, moved


@_answer
async def cancel(request: Request) -> tuple[int, dict[str, Any]]:
    _authorize(request)
    delivery_id = request.path_params["delivery_id"]
    found = await run_in_threadpool(store.get, "delivery", delivery_id)
    if found is None:
        raise _error(404, "delivery_not_found", "No such delivery")
    if found["status"] == "canceled":
        return 200, found
    if found["status"] not in CANCELABLE:
        raise _error(400, "noncancelable_delivery", f"A delivery in {found['status']} cannot be canceled")
    after, moved = await run_in_threadpool(_move, delivery_id, "canceled")
    if moved:
        await _notify_status(after, await run_in_threadpool(store.config))
    return 200, after


# ---- the simulated courier ------------------------------------------------------------------------------------------


def _spawn(coroutine) -> None:
    task = asyncio.create_task(coroutine)
    _background.add(task)
    task.add_done_callback(_background.discard)


async def _sleep(simulated_seconds: float) -> None:
    await asyncio.sleep(simulated_seconds * time_scale())


def _courier(location: tuple[float, float]) -> dict[str, Any]:
    return {
        "name": "Sandbox Courier",
        "phone_number": "+923001110000",
        "vehicle_type": "motorbike",
        "location": {"lat": round(location[0], 6), "lng": round(location[1], 6)},
    }


async def _travel(delivery_id: str, start: tuple[float, float], end: tuple[float, float], imminent: bool) -> bool:
    """Move the courier along the straight line start → end, one position every update_seconds (simulated).
    False if the delivery ended on the way (cancelled)."""
    config = await run_in_threadpool(store.config)
    km = distance_km(start, end)
    seconds = km / max(config["speed_kmh"], 1.0) * 3600
    steps = max(1, math.ceil(seconds / max(config["update_seconds"], 1.0)))
    warned = False
    for step in range(1, steps + 1):
        await _sleep(seconds / steps)
        share = step / steps
        here = (start[0] + (end[0] - start[0]) * share, start[1] + (end[1] - start[1]) * share)
        after, _ = await run_in_threadpool(_move, delivery_id, None, courier=_courier(here))
        if after is None or after["status"] in FINAL:
            return False
        await _notify_position(after, config)
        if imminent and not warned and share >= 0.85:
            warned = True
            after, _ = await run_in_threadpool(_move, delivery_id, None, courier_imminent=True)
            await _notify_status(after, config)
    return True


async def _drive(delivery_id: str) -> None:
    """The courier's day: accept, reach the shop, pick up, reach the customer, deliver. Stops if cancelled."""
    try:
        found = await run_in_threadpool(store.get, "delivery", delivery_id)
        shop = (found["pickup"]["location"]["lat"], found["pickup"]["location"]["lng"])
        home = (found["dropoff"]["location"]["lat"], found["dropoff"]["location"]["lng"])
        start = (shop[0] + 0.006, shop[1] + 0.006)  # about a kilometre away when the courier accepts
        await _sleep(ASSIGN_SECONDS)
        if not await _step(delivery_id, "pickup", courier=_courier(start)):
            return
        if not await _travel(delivery_id, start, shop, imminent=False):
            return
        await _sleep(PICKUP_WAIT_SECONDS)
        if not await _step(delivery_id, "pickup_complete") or not await _step(delivery_id, "dropoff"):
            return
        if not await _travel(delivery_id, shop, home, imminent=True):
            return
        await _step(delivery_id, "delivered")
    except Exception:  # a background task's failure must not pass silently
        logger.exception("uber sandbox: the simulated courier of %s stopped", delivery_id)


async def _step(delivery_id: str, status: str, **changes: Any) -> bool:
    after, moved = await run_in_threadpool(_move, delivery_id, status, **changes)
    if moved:
        await _notify_status(after, await run_in_threadpool(store.config))
    return moved


# ---- webhooks -------------------------------------------------------------------------------------------------------


def status_event(delivery: dict[str, Any]) -> dict[str, Any]:
    event_id = "evt_" + secrets.token_hex(12)
    return {
        "event_id": event_id,
        "id": event_id,
        "kind": "event.delivery_status",
        "created": _iso(_now()),
        "customer_id": _env("SANDBOX_UBER_CUSTOMER_ID"),
        "delivery_id": delivery["id"],
        "status": delivery["status"],
        "data": delivery,
    }


def position_event(delivery: dict[str, Any]) -> dict[str, Any]:
    event_id = "evt_" + secrets.token_hex(12)
    courier = delivery.get("courier") or {}
    return {
        "event_id": event_id,
        "id": event_id,
        "kind": "event.courier_update",
        "created": _iso(_now()),
        "customer_id": _env("SANDBOX_UBER_CUSTOMER_ID"),
        "delivery_id": delivery["id"],
        "location": courier.get("location"),
        "data": {"id": delivery["id"], "status": delivery["status"], "courier": courier},
    }


async def _post_once(client: httpx.AsyncClient, url: str, body: bytes, event_id: str) -> None:
    headers = {"content-type": "application/json", "x-uber-signature": signature(body)}
    for attempt in range(1, DELIVERY_ATTEMPTS + 1):
        try:
            response = await client.post(url, content=body, headers=headers)
        except httpx.TransportError as exc:
            logger.warning("uber webhook %s to %s, attempt %s: %r", event_id, url, attempt, exc)
        else:
            if response.status_code < 500:
                return
            logger.warning("uber webhook %s: %s answered %s", event_id, url, response.status_code)
        if attempt < DELIVERY_ATTEMPTS:
            await asyncio.sleep(0.2 * 2 ** (attempt - 1))


async def _deliver(event: dict[str, Any], config: dict[str, Any]) -> None:
    # One generator per event, seeded by the config's seed and the event: the same run sends the same copies.
    chance = random.Random(f"{config['seed']}:{event['event_id']}")
    copies = 2 if chance.random() < config["duplicate_rate"] else 1
    late = chance.random() < config["late_rate"]
    if late:
        await asyncio.sleep(config["late_ms"] / 1000)
    body = json.dumps(event, separators=(",", ":")).encode()
    async with httpx.AsyncClient(timeout=10) as client:
        url = config["webhook_url"]
        await asyncio.gather(*(_post_once(client, url, body, event["event_id"]) for _ in range(copies)))


async def _notify(event: dict[str, Any], config: dict[str, Any]) -> None:
    if config["enabled"] and config["webhook_url"]:
        _spawn(_deliver(event, config))


async def _notify_status(delivery: dict[str, Any] | None, config: dict[str, Any]) -> None:
    if delivery is not None:
        await _notify(status_event(delivery), config)


async def _notify_position(delivery: dict[str, Any], config: dict[str, Any]) -> None:
    await _notify(position_event(delivery), config)


# ---- control --------------------------------------------------------------------------------------------------------


@_answer
async def sandbox_config(request: Request) -> tuple[int, dict[str, Any]]:
    if request.method == "DELETE":
        return 200, await run_in_threadpool(store.config_update, None)
    if request.method == "POST":
        try:
            payload = json.loads(await request.body() or b"{}")
        except ValueError:
            return 400, {"error": "The body must be JSON"}
        return 200, await run_in_threadpool(store.config_update, payload)
    return 200, await run_in_threadpool(store.config)


@_answer
async def sandbox_deliveries(request: Request) -> tuple[int, dict[str, Any]]:
    return 200, {"deliveries": await run_in_threadpool(store.all, "delivery")}


@_answer
async def sandbox_advance(request: Request) -> tuple[int, dict[str, Any]]:
    """Move a delivery now, as the courier would (status and/or imminent, an optional courier location)."""
    payload = await _json_object(request)
    status = payload.get("status")
    if status is not None and status not in STATUSES:
        return 400, {"error": f"status must be one of {', '.join(STATUSES)}"}
    changes: dict[str, Any] = {}
    if payload.get("imminent") is not None:
        changes["courier_imminent"] = bool(payload["imminent"])
    location = payload.get("location")
    if isinstance(location, dict):
        changes["courier"] = _courier((float(location["lat"]), float(location["lng"])))
    elif status in ("pickup", "pickup_complete", "dropoff"):
        found = await run_in_threadpool(store.get, "delivery", request.path_params["delivery_id"])
        if found is not None and not found.get("courier"):
            shop = found["pickup"]["location"]
            changes["courier"] = _courier((shop["lat"] + 0.006, shop["lng"] + 0.006))
    after, moved = await run_in_threadpool(_move, request.path_params["delivery_id"], status, **changes)
    if after is None:
        return 404, {"error": "No such delivery"}
    config = await run_in_threadpool(store.config)
    if moved or "courier_imminent" in changes:
        await _notify_status(after, config)
    if isinstance(location, dict):
        await _notify_position(after, config)
    return 200, {"moved": moved, "delivery": after}


@_answer
async def sandbox_revoke(request: Request) -> tuple[int, dict[str, Any]]:
    def revoke() -> int:
        with store.connect(write=True) as conn:
            rows = conn.execute("SELECT id, body FROM docs WHERE kind = 'token'").fetchall()
            for row in rows:
                store.put_in(conn, "token", row["id"], {**json.loads(row["body"]), "revoked": True})
            return len(rows)

    return 200, {"revoked": await run_in_threadpool(revoke)}


async def track_page(request: Request) -> Response:
    """The tracking_url: where the parcel is, for people (no token: Uber's page is public by link too)."""
    found = await run_in_threadpool(store.get, "delivery", request.path_params["delivery_id"])
    if found is None:
        return HTMLResponse("<!doctype html><title>Not found</title><p>No such delivery.</p>", status_code=404)
    where = (found.get("courier") or {}).get("location") or {}
    rows = "".join(
        f"<dt>{html.escape(label)}</dt><dd>{html.escape(str(value))}</dd>"
        for label, value in (
            ("Status", found["status"]),
            ("Arriving", "yes" if found.get("courier_imminent") else "not yet"),
            ("Courier", f"{where.get('lat', '?')}, {where.get('lng', '?')}"),
            ("Estimated drop-off", found["dropoff_eta"]),
        )
    )
    return HTMLResponse(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Uber Direct sandbox: tracking</title>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'></head>"
        "<body style='font-family:system-ui;max-width:28rem;margin:2rem auto;padding:0 1rem'>"
        f"<h1>Delivery {html.escape(found['id'])}</h1><dl>{rows}</dl></body></html>"
    )


API = "/uber/v1/customers/{customer_id}"
routes: list[Route] = [
    Route("/uber/oauth/v2/token", token, methods=["POST"]),
    Route(f"{API}/delivery_quotes", delivery_quotes, methods=["POST"]),
    Route(f"{API}/deliveries", deliveries, methods=["POST"]),
    Route(f"{API}/deliveries/{{delivery_id}}", delivery, methods=["GET"]),
    Route(f"{API}/deliveries/{{delivery_id}}/cancel", cancel, methods=["POST"]),
    Route("/uber/track/{delivery_id}", track_page, methods=["GET"]),
    Route("/uber/sandbox/config", sandbox_config, methods=["GET", "POST", "DELETE"]),
    Route("/uber/sandbox/deliveries", sandbox_deliveries, methods=["GET"]),
    Route("/uber/sandbox/deliveries/{delivery_id}/advance", sandbox_advance, methods=["POST"]),
    Route("/uber/sandbox/tokens/revoke", sandbox_revoke, methods=["POST"]),
]

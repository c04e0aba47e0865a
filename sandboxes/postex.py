"""PostEx sandbox: an intercity parcel courier with cash collection and no webhooks (../../shared/docs/providers.md).

Protocol, under /postex/services/integration/api/order (the app's POSTEX_API_BASE); every call needs the `token`
header ($SANDBOX_POSTEX_TOKEN, 401 otherwise). Answers carry `statusCode` ("200" fine), `statusMessage` and `dist`:
- `POST v3/create-order {orderRefNumber, invoicePayment, customerName, customerPhone, deliveryAddress, cityName,
  pickupAddressCode, orderType, items, orderDetail}` → `dist: {trackingNumber, orderStatus: "Unbooked", orderDate}`.
  A cityName PostEx does not serve → 400 "INVALID CITY NAME". An orderRefNumber this token used before → 409
  "DUPLICATE ORDER REF NUMBER" with that parcel's trackingNumber (the sandbox's choice, unverified).
- `PUT v1/cancel-order {trackingNumber}` — only while Unbooked or Booked; else 400 "ORDER CANNOT BE CANCELLED".
- `GET v1/track-order/{trackingNumber}` → `dist: {trackingNumber, transactionStatus, invoicePayment,
  transactionStatusHistory: [{transactionStatusMessage, transactionStatusMessageCode, modifiedDatetime}]}`.

The simulated parcel (autodrive) moves on a schedule from its booking: booked (0001) after 2 h, at PostEx's warehouse
(0003) after 6 h, en route (0004) after 24 h, delivered (0005) after 48 h — or, for a share of parcels (return_rate,
seeded per parcel), an attempt (0013) at 48 h, return initiated (0040) at 60 h and returned (0006) at 72 h. Every
duration is multiplied by $SANDBOX_COURIER_TIME_SCALE; a parcel advances when it is read, as nobody is told.

Control (no token): `GET/POST/DELETE /postex/sandbox/config` (autodrive, seed, return_rate),
`GET /postex/sandbox/parcels`, `POST /postex/sandbox/parcels/{trackingNumber}/advance {"code"}` (reach that code now).
"""

from __future__ import annotations

import hmac
import json
import os
import random
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandboxes.courier_state import SandboxRequestError, Store, time_scale

PROVIDER = {
    "name": "PostEx",
    "path": "/postex/sandbox/parcels",
    "protocol": "PostEx order API (create-order, cancel-order, track-order), parcels that move on a schedule",
}
DEFAULT_TOKEN = "sandbox-postex-token"  # noqa: S105 -- a sandbox credential; = the app's POSTEX_API_TOKEN default
BASE = "/postex/services/integration/api/order"
HOUR = 3600.0
MESSAGES = {
    "0001": "Booked",
    "0002": "Cancelled",
    "0003": "PostEx WareHouse",
    "0004": "En-Route",
    "0005": "Delivered",
    "0006": "Returned",
    "0013": "Attempted",
    "0040": "Out For Return",
}
DELIVERED_ROUTE = (("0001", 2), ("0003", 6), ("0004", 24), ("0005", 48))
RETURNED_ROUTE = (("0001", 2), ("0003", 6), ("0004", 24), ("0013", 48), ("0040", 60), ("0006", 72))
CANCELABLE = ("Unbooked", "Booked")
FINAL = ("0002", "0005", "0006")
CITIES = frozenset(
    name.lower()
    for name in (
        "Lahore",
        "Karachi",
        "Islamabad",
        "Rawalpindi",
        "Faisalabad",
        "Multan",
        "Peshawar",
        "Quetta",
        "Sialkot",
        "Gujranwala",
        "Hyderabad",
        "Bahawalpur",
        "Sargodha",
        "Abbottabad",
    )
)

store = Store("postex", {"autodrive": True, "seed": 7, "return_rate": 0.1})


def _error(status: int, message: str, **dist: Any) -> SandboxRequestError:
    body: dict[str, Any] = {"statusCode": str(status), "statusMessage": message}
    if dist:
        body["dist"] = dist
    return SandboxRequestError(status, body)


def _token_key(request: Request) -> str:
    given = request.headers.get("token", "")
    expected = os.environ.get("SANDBOX_POSTEX_TOKEN") or DEFAULT_TOKEN
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise _error(401, "UNAUTHORIZED")
    return given


def _stamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def _advanced(parcel: dict[str, Any], config: dict[str, Any], until: str | None = None) -> dict[str, Any]:
    """The parcel with every scheduled step due by now (or up to `until`, now) in its history."""
    if parcel["history"] and parcel["history"][-1]["transactionStatusMessageCode"] in FINAL:
        return parcel
    if not config["autodrive"] and until is None:
        return parcel
    chance = random.Random(f"{config['seed']}:{parcel['trackingNumber']}")
    route = RETURNED_ROUTE if chance.random() < config["return_rate"] else DELIVERED_ROUTE
    if until is not None and until not in dict(route):
        route = (*(step for step in DELIVERED_ROUTE if step[0] in ("0001", "0003", "0004")), (until, 0))
    done = {entry["transactionStatusMessageCode"] for entry in parcel["history"]}
    now = time.time()
    for code, hours in route:
        due = parcel["created"] + hours * HOUR * time_scale()
        if code in done:
            continue
        if due > now and until is None:
            break
        parcel["history"].append(
            {
                "transactionStatusMessage": MESSAGES[code],
                "transactionStatusMessageCode": code,
                "modifiedDatetime": _stamp(min(due, now)),
            }
        )
        if code == until:
            break
    if parcel["history"]:
        parcel["transactionStatus"] = MESSAGES[parcel["history"][-1]["transactionStatusMessageCode"]]
    return parcel


def _read(tracking: str, until: str | None = None) -> dict[str, Any] | None:
    """A parcel as of now (its due steps written back, so every reader sees one history)."""
    config = store.config()
    with store.connect(write=True) as conn:
        parcel = store.get_in(conn, "parcel", tracking)
        if parcel is None:
            return None
        parcel = _advanced(parcel, config, until)
        store.put_in(conn, "parcel", tracking, parcel)
        return parcel


def _public(parcel: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in parcel.items() if key not in ("created", "token_ref")}


def _create(payload: dict[str, Any], token: str) -> dict[str, Any]:
    reference = payload.get("orderRefNumber")
    if not isinstance(reference, str) or not reference.strip() or len(reference) > 64:
        raise _error(400, "ORDER REF NUMBER IS REQUIRED")
    for field in ("customerName", "customerPhone", "deliveryAddress", "cityName"):
        if not isinstance(payload.get(field), str) or not payload[field].strip():
            raise _error(400, f"{field.upper()} IS REQUIRED")
    if payload["cityName"].strip().lower() not in CITIES:
        raise _error(400, "INVALID CITY NAME")
    try:
        cod = float(payload.get("invoicePayment") or 0)
    except (TypeError, ValueError):
        raise _error(400, "INVALID INVOICE PAYMENT") from None
    if cod < 0:
        raise _error(400, "INVALID INVOICE PAYMENT")
    unique = f"{hmac.new(b'postex', token.encode(), 'sha256').hexdigest()[:16]}:{reference}"
    with store.connect(write=True) as conn:
        earlier = store.by_unique_in(conn, "parcel", unique)
        if earlier is not None:
            raise _error(409, "DUPLICATE ORDER REF NUMBER", trackingNumber=earlier["trackingNumber"])
        tracking = "CX-" + "".join(secrets.choice("0123456789") for _ in range(12))
        now = time.time()
        parcel = {
            "trackingNumber": tracking,
            "orderRefNumber": reference,
            "invoicePayment": f"{cod:.2f}",
            "customerName": payload["customerName"],
            "customerPhone": payload["customerPhone"],
            "deliveryAddress": payload["deliveryAddress"],
            "cityName": payload["cityName"],
            "orderDetail": str(payload.get("orderDetail") or ""),
            "orderType": str(payload.get("orderType") or "Normal"),
            "transactionStatus": "Unbooked",
            "transactionStatusHistory": None,
            "history": [],
            "orderDate": _stamp(now),
            "created": now,
        }
        store.put_in(conn, "parcel", tracking, parcel, unique_key=unique)
    return parcel


def _answer(handler):
    async def endpoint(request: Request) -> Response:
        try:
            status, body = await handler(request)
        except SandboxRequestError as exc:
            return JSONResponse(exc.body, status_code=exc.status)
        return JSONResponse(body, status_code=status)

    endpoint.__name__ = handler.__name__
    return endpoint


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        payload = json.loads(await request.body() or b"{}")
    except ValueError as exc:
        raise _error(400, "INVALID JSON") from exc
    if not isinstance(payload, dict):
        raise _error(400, "INVALID JSON")
    return payload


@_answer
async def create_order(request: Request) -> tuple[int, dict[str, Any]]:
    token = _token_key(request)
    parcel = await run_in_threadpool(_create, await _json_object(request), token)
    dist = {"trackingNumber": parcel["trackingNumber"], "orderStatus": "Unbooked", "orderDate": parcel["orderDate"]}
    return 200, {"statusCode": "200", "statusMessage": "ORDER HAS BEEN CREATED", "dist": dist}


def _cancel(tracking: str) -> dict[str, Any]:
    config = store.config()
    with store.connect(write=True) as conn:
        parcel = store.get_in(conn, "parcel", tracking)
        if parcel is None:
            raise _error(404, "TRACKING NUMBER NOT FOUND")
        parcel = _advanced(parcel, config)
        if parcel["transactionStatus"] == "Cancelled":
            return parcel
        if parcel["transactionStatus"] not in CANCELABLE:
            store.put_in(conn, "parcel", tracking, parcel)
            raise _error(400, f"ORDER CANNOT BE CANCELLED: IT IS {parcel['transactionStatus'].upper()}")
        parcel["history"].append(
            {
                "transactionStatusMessage": MESSAGES["0002"],
                "transactionStatusMessageCode": "0002",
                "modifiedDatetime": _stamp(time.time()),
            }
        )
        parcel["transactionStatus"] = "Cancelled"
        store.put_in(conn, "parcel", tracking, parcel)
        return parcel


@_answer
async def cancel_order(request: Request) -> tuple[int, dict[str, Any]]:
    _token_key(request)
    tracking = str((await _json_object(request)).get("trackingNumber") or "")
    await run_in_threadpool(_cancel, tracking)
    return 200, {"statusCode": "200", "statusMessage": "ORDER HAS BEEN CANCELLED", "dist": None}


def _tracked(parcel: dict[str, Any]) -> dict[str, Any]:
    public = _public(parcel)
    public["transactionStatusHistory"] = public.pop("history")
    return public


@_answer
async def track_order(request: Request) -> tuple[int, dict[str, Any]]:
    _token_key(request)
    parcel = await run_in_threadpool(_read, request.path_params["tracking_number"])
    if parcel is None:
        raise _error(404, "TRACKING NUMBER NOT FOUND")
    return 200, {"statusCode": "200", "statusMessage": "SUCCESSFULLY OPERATED", "dist": _tracked(parcel)}


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
async def sandbox_parcels(request: Request) -> tuple[int, dict[str, Any]]:
    return 200, {"parcels": [_tracked(p) for p in await run_in_threadpool(store.all, "parcel")]}


@_answer
async def sandbox_advance(request: Request) -> tuple[int, dict[str, Any]]:
    code = (await _json_object(request)).get("code")
    if code not in MESSAGES or code == "0002":
        return 400, {"error": f"code must be one of {', '.join(c for c in MESSAGES if c != '0002')}"}
    parcel = await run_in_threadpool(_read, request.path_params["tracking_number"], code)
    if parcel is None:
        return 404, {"error": "No such parcel"}
    return 200, {"parcel": _tracked(parcel)}


routes: list[Route] = [
    Route(f"{BASE}/v3/create-order", create_order, methods=["POST"]),
    Route(f"{BASE}/v1/cancel-order", cancel_order, methods=["PUT"]),
    Route(f"{BASE}/v1/track-order/{{tracking_number}}", track_order, methods=["GET"]),
    Route("/postex/sandbox/config", sandbox_config, methods=["GET", "POST", "DELETE"]),
    Route("/postex/sandbox/parcels", sandbox_parcels, methods=["GET"]),
    Route("/postex/sandbox/parcels/{tracking_number}/advance", sandbox_advance, methods=["POST"]),
]

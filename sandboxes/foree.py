"""Foree Pay sandbox: the bill API, a hosted payment page, and notifications to our callback.

Protocol (../../shared/docs/providers.md, "Foree Pay"), under the /foree prefix (the app's FOREE_API_BASE):
- `POST /foree/business/import_bill` (header `X-API-KEY`, JSON) → `{"response_code": 0, "response_data":
  {"reference_number", "payment_link", "qr", "bill_status"}}`. Validated: crn (1 to 20 letters/digits, unique per API
  key), amount (> 0, at most 2 decimals), expiry_date (epoch ms, in the future). Also honours `return_url` (see
  shared_apps/payments/gateways/foree.py: an unverified extension).
- `POST /foree/checkout/bill_status {"reference_number"}` → `{"response_code": 0, "response_data": {"bill": {...}}}`.
  An unpaid (or failed) bill past its expiry_date reads "expired".
- Errors: wrong key → HTTP 401 `{"response_code": 401, "response_message": "Invalid API key"}`; request errors → HTTP
  200 with a non-zero response_code (400 invalid field, 404 unknown bill, 409 duplicate crn) and response_message.
- `GET /foree/pay/{reference_number}`: the customer's page with Pay / Fail / Cancel (a form POST to the same URL).
  Paid, cancelled and expired are final: acting again changes nothing and sends nothing. Failed may be tried again.
  After acting the browser is sent (303) to the bill's return_url + `?crn=&reference_number=`.
- Each change of a bill is notified: `{"response_code": 0, "response_data": {"bill": {reference_number, bill_status
  (capitalised, e.g. "Paid", since Foree's case varies), buisness_crn (sic), paid_amount, transaction_ref_id, ...}}}`
  POSTed in the background (the redirect does not wait), up to 3 attempts on connection errors and 5xx.

Control endpoints (sandbox only, no key; for tests, benchmarks and people):
- `GET /foree/sandbox/config`, `POST` (JSON, partial update), `DELETE` (back to defaults). Keys: notification_url
  (default $SANDBOX_FOREE_NOTIFICATION_URL or our dev server's webhook), enabled (bool), duplicates (extra copies of
  each notification, sent concurrently), delay_ms (before notifying), status_delay_ms / create_delay_ms (answer
  bill_status / import_bill that much later, to exercise timeouts; import_bill creates the bill first, so a client
  that gave up has still created it, as can happen with the real provider).
- `GET /foree/sandbox/bills` — every bill, newest first.
- `POST /foree/sandbox/bills/{reference_number}/pay` JSON `{"outcome": "paid"|"failed"|"cancelled", "delay_ms"}`
  (both optional) — what the customer's button does, notification included; delay_ms overrides the configured one
  for this notification, so that two notifications can arrive out of order. 404 unknown, 409 expired.

State (bills and config) lives in SQLite at $SANDBOX_DATA_DIR/foree.sqlite3 (default <repo>/.data/sandboxes), read
from the environment at each call: it survives restarts, is shared by every uvicorn worker, and each change is one
`BEGIN IMMEDIATE` transaction so concurrent clicks and calls cannot both win.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import json
import logging
import os
import re
import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from sandboxes.sqlite_state import sqlite_connect

logger = logging.getLogger(__name__)

DEFAULT_API_KEY = "sandbox-foree-key"  # = the app's FOREE_API_KEY default
DEFAULT_NOTIFICATION_URL = "http://127.0.0.1:8000/api/v1/payments/webhooks/foree"
REPO = Path(__file__).resolve().parent.parent
OUTCOMES = ("paid", "failed", "cancelled")
FINAL = ("paid", "cancelled", "expired")
DELIVERY_ATTEMPTS = 3

PROVIDER = {
    "name": "Foree Pay",
    "path": "/foree/sandbox/bills",
    "protocol": "Foree bill API (import_bill, bill_status), hosted payment page, notifications",
}

_CRN = re.compile(r"^[A-Za-z0-9]{1,20}$")
_CONFIG_TYPES: dict[str, type] = {
    "notification_url": str,
    "enabled": bool,
    "duplicates": int,
    "delay_ms": int,
    "status_delay_ms": int,
    "create_delay_ms": int,
}
_BILL_COLUMNS = (
    "reference_number",
    "crn",
    "sub_biller_name",
    "consumer_name",
    "customer_email_address",
    "customer_phone_number",
    "amount",
    "late_amount",
    "due_date",
    "expiry_date",
    "return_url",
    "bill_status",
    "paid_amount",
    "transaction_ref_id",
    "transaction_date_time",
    "instrument_type",
    "instrument_institution",
    "payment_channel",
    "created_at",
)
_background: set[asyncio.Task[None]] = set()  # strong references: the loop keeps only weak ones


class BillError(Exception):
    """A request the sandbox refuses, with Foree's response_code."""

    def __init__(self, code: int, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(message)


# ---- storage -------------------------------------------------------------------------------------------------------


def db_path() -> Path:
    """The SQLite file, read from the environment on every call (tests point it at a temporary directory)."""
    return Path(os.environ.get("SANDBOX_DATA_DIR") or REPO / ".data" / "sandboxes") / "foree.sqlite3"


_SCHEMA = """
CREATE TABLE IF NOT EXISTS bills (
    reference_number TEXT PRIMARY KEY, key_digest TEXT NOT NULL, crn TEXT NOT NULL, sub_biller_name TEXT,
    consumer_name TEXT, customer_email_address TEXT, customer_phone_number TEXT, amount TEXT NOT NULL,
    late_amount TEXT, due_date INTEGER, expiry_date INTEGER NOT NULL, return_url TEXT,
    bill_status TEXT NOT NULL, paid_amount TEXT, transaction_ref_id TEXT, transaction_date_time TEXT,
    instrument_type TEXT, instrument_institution TEXT, payment_channel TEXT, created_at TEXT NOT NULL,
    UNIQUE (key_digest, crn)
);
CREATE TABLE IF NOT EXISTS config (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@contextmanager
def _connect(write: bool = False) -> Iterator[sqlite3.Connection]:
    """A connection in autocommit mode; with `write`, inside BEGIN IMMEDIATE (one writer at a time), committed on
    success and rolled back on any exception."""
    with sqlite_connect(db_path(), _SCHEMA, write=write) as conn:
        yield conn


def _now_ms() -> int:
    return int(time.time() * 1000)


def _effective_status(row: sqlite3.Row | dict[str, Any]) -> str:
    """Unpaid and failed bills expire at expiry_date; the stored status is not rewritten (reads stay read-only)."""
    status = row["bill_status"]
    if status in ("unpaid", "failed") and _now_ms() > int(row["expiry_date"]):
        return "expired"
    return status


def _bill_out(row: sqlite3.Row) -> dict[str, Any]:
    """A bill as Foree shows it: amounts as JSON numbers, the status as of now, nothing about the API key."""
    bill = {name: row[name] for name in _BILL_COLUMNS}
    bill["bill_status"] = _effective_status(row)
    for name in ("amount", "late_amount", "paid_amount"):
        if bill[name] is not None:
            bill[name] = float(Decimal(bill[name]))  # 2 dp values round-trip exactly through a double's repr
    return bill


def _key_digest(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def _insert_bill(bill: dict[str, Any]) -> sqlite3.Row:
    """Store a new bill under a fresh reference_number. Raises BillError(409) for a crn this key already used."""
    with _connect(write=True) as conn:
        duplicate = conn.execute(
            "SELECT 1 FROM bills WHERE key_digest = ? AND crn = ?", (bill["key_digest"], bill["crn"])
        ).fetchone()
        if duplicate:
            raise BillError(409, f"A bill with crn {bill['crn']} already exists")
        while True:
            reference = "FP" + "".join(secrets.choice("0123456789") for _ in range(12))
            if not conn.execute("SELECT 1 FROM bills WHERE reference_number = ?", (reference,)).fetchone():
                break
        row = {**bill, "reference_number": reference}
        columns = ", ".join(row)
        conn.execute(f"INSERT INTO bills ({columns}) VALUES ({', '.join('?' * len(row))})", tuple(row.values()))
        return conn.execute("SELECT * FROM bills WHERE reference_number = ?", (reference,)).fetchone()


def _get_bill(reference: str) -> sqlite3.Row | None:
    with _connect() as conn:
        return conn.execute("SELECT * FROM bills WHERE reference_number = ?", (reference,)).fetchone()


def _list_bills() -> list[dict[str, Any]]:
    with _connect() as conn:
        rows = conn.execute("SELECT * FROM bills ORDER BY created_at DESC, rowid DESC").fetchall()
    return [_bill_out(row) for row in rows]


def _act(reference: str, outcome: str) -> tuple[sqlite3.Row | None, bool]:
    """Apply the customer's `outcome` to the bill: (bill after, whether it changed). Final bills (paid, cancelled,
    expired) never change, so a paid bill stays paid however often or concurrently the buttons are pressed."""
    with _connect(write=True) as conn:
        row = conn.execute("SELECT * FROM bills WHERE reference_number = ?", (reference,)).fetchone()
        if row is None or _effective_status(row) in FINAL:
            return row, False
        changes: dict[str, Any] = {"bill_status": outcome}
        if outcome in ("paid", "failed"):
            changes.update(
                transaction_ref_id="FT" + "".join(secrets.choice("0123456789") for _ in range(14)),
                transaction_date_time=datetime.now(UTC).isoformat(timespec="seconds"),
                instrument_type="wallet",
                instrument_institution="Sandbox Bank",
                payment_channel="foree_checkout",
                paid_amount=row["amount"] if outcome == "paid" else None,
            )
        assignments = ", ".join(f"{name} = ?" for name in changes)
        conn.execute(f"UPDATE bills SET {assignments} WHERE reference_number = ?", (*changes.values(), reference))
        return conn.execute("SELECT * FROM bills WHERE reference_number = ?", (reference,)).fetchone(), True


def config_defaults() -> dict[str, Any]:
    return {
        "notification_url": os.environ.get("SANDBOX_FOREE_NOTIFICATION_URL") or DEFAULT_NOTIFICATION_URL,
        "enabled": True,
        "duplicates": 0,
        "delay_ms": 0,
        "status_delay_ms": 0,
        "create_delay_ms": 0,
    }


def _config() -> dict[str, Any]:
    with _connect() as conn:
        stored = {row["key"]: json.loads(row["value"]) for row in conn.execute("SELECT key, value FROM config")}
    return {**config_defaults(), **{k: v for k, v in stored.items() if k in _CONFIG_TYPES}}


def _config_update(changes: dict[str, Any] | None) -> dict[str, Any]:
    """Store `changes` (already validated); None resets everything to the defaults. Returns the whole config."""
    with _connect(write=True) as conn:
        if changes is None:
            conn.execute("DELETE FROM config")
        for key, value in (changes or {}).items():
            conn.execute("INSERT OR REPLACE INTO config (key, value) VALUES (?, ?)", (key, json.dumps(value)))
    return _config()


def _config_validated(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise BillError(400, "The config must be a JSON object")
    changes: dict[str, Any] = {}
    for key, value in payload.items():
        kind = _CONFIG_TYPES.get(key)
        if kind is None:
            raise BillError(400, f"Unknown config key {key!r}; known: {', '.join(_CONFIG_TYPES)}")
        if kind is int and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise BillError(400, f"{key} must be a non-negative integer")
        if kind is not int and not isinstance(value, kind):
            raise BillError(400, f"{key} must be a {kind.__name__}")
        changes[key] = value
    return changes


# ---- notifications -------------------------------------------------------------------------------------------------


def notification_body(row: sqlite3.Row) -> dict[str, Any]:
    bill = _bill_out(row)
    return {
        "response_code": 0,
        "response_data": {
            "bill": {
                "reference_number": bill["reference_number"],
                "bill_status": bill["bill_status"].capitalize(),
                "buisness_crn": bill["crn"],  # sic: Foree's spelling
                "amount": bill["amount"],
                "paid_amount": bill["paid_amount"],
                "transaction_ref_id": bill["transaction_ref_id"],
                "transaction_date_time": bill["transaction_date_time"],
                "instrument_type": bill["instrument_type"],
                "instrument_institution": bill["instrument_institution"],
                "payment_channel": bill["payment_channel"],
            }
        },
    }


async def _post_once(client: httpx.AsyncClient, url: str, body: dict[str, Any], reference: str) -> None:
    """One notification, up to DELIVERY_ATTEMPTS tries with backoff on connection errors and 5xx; failures logged."""
    for attempt in range(1, DELIVERY_ATTEMPTS + 1):
        try:
            response = await client.post(url, json=body)
        except httpx.TransportError as exc:
            logger.warning("foree notification %s to %s, attempt %s: %r", reference, url, attempt, exc)
        else:
            if response.status_code < 500:
                if not response.is_success:
                    logger.warning("foree notification %s: %s answered %s", reference, url, response.status_code)
                return
            logger.warning("foree notification %s: %s answered %s", reference, url, response.status_code)
        if attempt < DELIVERY_ATTEMPTS:
            await asyncio.sleep(0.2 * 2 ** (attempt - 1))


async def _deliver(body: dict[str, Any], config: dict[str, Any], delay_ms: int) -> None:
    await asyncio.sleep(delay_ms / 1000)
    reference = body["response_data"]["bill"]["reference_number"]
    async with httpx.AsyncClient(timeout=10) as client:
        copies = [_post_once(client, config["notification_url"], body, reference)]
        copies += [_post_once(client, config["notification_url"], body, reference) for _ in range(config["duplicates"])]
        await asyncio.gather(*copies)


async def _notify(row: sqlite3.Row, delay_ms: int | None = None) -> None:
    """Send the bill's notification in the background, as configured now (the caller does not wait for it)."""
    config = await run_in_threadpool(_config)
    if not config["enabled"] or not config["notification_url"]:
        return
    task = asyncio.create_task(
        _deliver(notification_body(row), config, config["delay_ms"] if delay_ms is None else delay_ms)
    )
    _background.add(task)
    task.add_done_callback(_background.discard)


# ---- the bill API --------------------------------------------------------------------------------------------------


def _api_error(code: int, message: str, status: int = 200) -> JSONResponse:
    return JSONResponse({"response_code": code, "response_message": message}, status_code=status)


def _key_ok(request: Request) -> bool:
    expected = os.environ.get("SANDBOX_FOREE_API_KEY") or DEFAULT_API_KEY
    return hmac.compare_digest(request.headers.get("x-api-key", "").encode(), expected.encode())


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        payload = json.loads(await request.body() or b"{}", parse_float=Decimal)
    except ValueError as exc:
        raise BillError(400, "The body must be JSON") from exc
    if not isinstance(payload, dict):
        raise BillError(400, "The body must be a JSON object")
    return payload


def _amount(value: Any, field: str, required: bool = True) -> str | None:
    if value is None or value == "":
        if required:
            raise BillError(400, f"{field} is required")
        return None
    try:
        amount = Decimal(str(value)) if not isinstance(value, (bool, dict, list)) else Decimal("NaN")
        cents = amount.quantize(Decimal("0.01")) if amount.is_finite() else None
    except InvalidOperation:  # unreadable, or too large to hold in cents
        cents = None
    if cents is None or cents <= 0 or cents != amount:
        raise BillError(400, f"{field} must be a positive amount with at most 2 decimals")
    return f"{cents:f}"


def _epoch(value: Any, field: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
        raise BillError(400, f"{field} must be epoch milliseconds")
    return int(value)


def _new_bill(payload: dict[str, Any], api_key: str) -> dict[str, Any]:
    """The row for an import_bill request, or BillError(400) naming the first bad field."""
    crn = payload.get("crn")
    if not isinstance(crn, str) or not _CRN.match(crn):
        raise BillError(400, "crn is required: 1 to 20 letters or digits")
    expiry = _epoch(payload.get("expiry_date"), "expiry_date")
    if expiry is None:
        raise BillError(400, "expiry_date is required")
    if expiry <= _now_ms():
        raise BillError(400, "expiry_date must be in the future")
    text = {
        name: payload.get(name)
        for name in (
            "sub_biller_name",
            "consumer_name",
            "customer_email_address",
            "customer_phone_number",
            "return_url",
        )
    }
    return_url = text["return_url"]
    if return_url is not None and not (
        isinstance(return_url, str) and urlsplit(return_url).scheme in ("http", "https")
    ):
        raise BillError(400, "return_url must be an absolute http(s) URL")
    return {
        "key_digest": _key_digest(api_key),
        "crn": crn,
        **{name: str(value) if value is not None else None for name, value in text.items()},
        "amount": _amount(payload.get("amount"), "amount"),
        "late_amount": _amount(payload.get("late_amount"), "late_amount", required=False),
        "due_date": _epoch(payload.get("due_date"), "due_date"),
        "expiry_date": expiry,
        "bill_status": "unpaid",
        "created_at": datetime.now(UTC).isoformat(timespec="microseconds"),
    }


def payment_link(request: Request, reference: str) -> str:
    return str(request.url_for("foree_pay", reference_number=reference))


async def import_bill(request: Request) -> Response:
    """POST /foree/business/import_bill — create a bill; its payment_link is this sandbox's hosted page."""
    if not _key_ok(request):
        return _api_error(401, "Invalid API key", status=401)
    try:
        bill = _new_bill(await _json_object(request), request.headers["x-api-key"])
        row = await run_in_threadpool(_insert_bill, bill)
    except BillError as exc:
        return _api_error(exc.code, exc.message)
    # The bill exists before the (delayed) answer: what a client that times out must cope with at a real provider.
    await asyncio.sleep((await run_in_threadpool(_config))["create_delay_ms"] / 1000)
    link = payment_link(request, row["reference_number"])
    data = {"reference_number": row["reference_number"], "payment_link": link, "qr": link, "bill_status": "unpaid"}
    return JSONResponse({"response_code": 0, "response_message": "Bill created", "response_data": data})


async def bill_status(request: Request) -> Response:
    """POST /foree/checkout/bill_status — one bill, answered after the configured status_delay_ms."""
    if not _key_ok(request):
        return _api_error(401, "Invalid API key", status=401)
    try:
        reference = str((await _json_object(request)).get("reference_number") or "")
    except BillError as exc:
        return _api_error(exc.code, exc.message)
    await asyncio.sleep(
        (await run_in_threadpool(_config))["status_delay_ms"] / 1000
    )  # body read before the client may give up
    row = await run_in_threadpool(_get_bill, reference) if reference else None
    if row is None or row["key_digest"] != _key_digest(request.headers["x-api-key"]):
        return _api_error(404, f"No bill with reference_number {reference!r}")
    return JSONResponse({"response_code": 0, "response_message": "Success", "response_data": {"bill": _bill_out(row)}})


# ---- the hosted page -----------------------------------------------------------------------------------------------

_PAGE_STYLE = """
body{font-family:system-ui,sans-serif;margin:0;background:#f4f4f5;color:#18181b}
main{max-width:28rem;margin:0 auto;padding:1.5rem 1rem}
.card{background:#fff;border-radius:1rem;padding:1.25rem;box-shadow:0 1px 3px #0002}
h1{font-size:1.25rem;margin:0 0 1rem}
dl{display:grid;grid-template-columns:auto 1fr;gap:.5rem 1rem;margin:0 0 1.25rem}
dt{color:#52525b}dd{margin:0;font-weight:600;overflow-wrap:anywhere}
.amount{font-size:1.75rem}
form{display:grid;gap:.75rem}
button,a.button{font:inherit;font-size:1.05rem;padding:.85rem;border-radius:.75rem;border:2px solid transparent;
 cursor:pointer;text-align:center;text-decoration:none}
button:focus-visible,a:focus-visible{outline:3px solid #2563eb;outline-offset:2px}
.pay{background:#15803d;color:#fff}.fail{background:#fff;color:#b91c1c;border-color:#b91c1c}
.cancel{background:#fff;color:#3f3f46;border-color:#a1a1aa}a.button{display:block;background:#18181b;color:#fff}
.note{padding:.75rem;border-radius:.5rem;background:#fef3c7;margin:0 0 1rem}
.error{background:#fee2e2;color:#7f1d1d}
"""


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)} · Foree Pay sandbox</title><style>{_PAGE_STYLE}</style></head>"
        f"<body><main><div class='card'>{body}</div></main></body></html>",
        status_code=status,
    )


def _return_to(row: sqlite3.Row) -> str | None:
    """The bill's return_url with crn and reference_number added to its query, or None when it has none."""
    if not row["return_url"]:
        return None
    parts = urlsplit(row["return_url"])
    query = [*parse_qsl(parts.query, keep_blank_values=True), ("crn", row["crn"])]
    query.append(("reference_number", row["reference_number"]))
    return urlunsplit(parts._replace(query=urlencode(query)))


def _bill_page(row: sqlite3.Row, note: str = "", status: int = 200) -> HTMLResponse:
    bill = _bill_out(row)
    esc = html.escape
    details = (
        f"<dl><dt>Merchant</dt><dd>{esc(bill['sub_biller_name'] or 'Merchant')}</dd>"
        f"<dt>Amount</dt><dd class='amount'>PKR {Decimal(row['amount']):,.2f}</dd>"
        f"<dt>Reference</dt><dd>{esc(bill['crn'])}</dd><dt>Bill</dt><dd>{esc(bill['reference_number'])}</dd>"
        f"<dt>Status</dt><dd>{esc(bill['bill_status'].capitalize())}</dd></dl>"
    )
    note_html = f"<p class='note error' role='alert'>{esc(note)}</p>" if note else ""
    if bill["bill_status"] in FINAL:
        back = _return_to(row)
        actions = f"<a class='button' href='{esc(back)}'>Return to the merchant</a>" if back else ""
    else:
        actions = (
            f"<form method='post' action='/foree/pay/{esc(bill['reference_number'])}'>"
            "<button class='pay' type='submit' name='action' value='paid'>Pay</button>"
            "<button class='fail' type='submit' name='action' value='failed'>Fail</button>"
            "<button class='cancel' type='submit' name='action' value='cancelled'>Cancel</button></form>"
        )
    return _page("Pay your bill", f"<h1>Pay your bill</h1>{note_html}{details}{actions}", status)


async def _acted(row: sqlite3.Row, outcome: str, delay_ms: int | None = None) -> tuple[sqlite3.Row, bool]:
    after, changed = await run_in_threadpool(_act, row["reference_number"], outcome)
    if changed:
        await _notify(after, delay_ms)
    return after, changed


async def pay_page(request: Request) -> Response:
    """GET/POST /foree/pay/{reference_number} — the customer's page; POST applies the button, then redirects."""
    row = await run_in_threadpool(_get_bill, request.path_params["reference_number"])
    if row is None:
        return _page("Bill not found", "<h1>Bill not found</h1><p>This payment link is not valid.</p>", 404)
    if request.method == "GET":
        return _bill_page(row)
    outcome = str((await request.form()).get("action") or "")
    if outcome not in OUTCOMES:
        return _bill_page(row, "Choose Pay, Fail or Cancel.", 400)
    if _effective_status(row) == "expired":
        return _bill_page(row, "This bill has expired and can no longer be paid.", 410)
    after, _ = await _acted(row, outcome)
    back = _return_to(after)
    if back:
        return RedirectResponse(back, status_code=303)
    done = f"<h1>Done</h1><p>The bill is {html.escape(_effective_status(after))}.</p>"
    return _page("Done", done)


# ---- control endpoints (sandbox only) ------------------------------------------------------------------------------


async def sandbox_config(request: Request) -> Response:
    """GET the config; POST a partial update (JSON); DELETE restores the defaults."""
    if request.method == "DELETE":
        return JSONResponse(await run_in_threadpool(_config_update, None))
    if request.method == "POST":
        try:
            changes = _config_validated(await _json_object(request))
        except BillError as exc:
            return JSONResponse({"error": exc.message}, status_code=400)
        return JSONResponse(await run_in_threadpool(_config_update, changes))
    return JSONResponse(await run_in_threadpool(_config))


async def sandbox_bills(request: Request) -> Response:
    return JSONResponse({"bills": await run_in_threadpool(_list_bills)})


async def sandbox_bill_pay(request: Request) -> Response:
    """POST /foree/sandbox/bills/{ref}/pay {"outcome", "delay_ms"} — the customer's button, without a browser."""
    row = await run_in_threadpool(_get_bill, request.path_params["reference_number"])
    if row is None:
        return JSONResponse({"error": "No such bill"}, status_code=404)
    try:
        payload = await _json_object(request)
    except BillError as exc:
        return JSONResponse({"error": exc.message}, status_code=400)
    outcome = payload.get("outcome", "paid")
    delay_ms = payload.get("delay_ms")
    if outcome not in OUTCOMES:
        return JSONResponse({"error": f"outcome must be one of {', '.join(OUTCOMES)}"}, status_code=400)
    if delay_ms is not None and (isinstance(delay_ms, bool) or not isinstance(delay_ms, int) or delay_ms < 0):
        return JSONResponse({"error": "delay_ms must be a non-negative integer"}, status_code=400)
    if _effective_status(row) == "expired":
        return JSONResponse({"error": "The bill has expired", "bill": _bill_out(row)}, status_code=409)
    after, changed = await _acted(row, outcome, delay_ms)
    return JSONResponse({"changed": changed, "bill": _bill_out(after), "return_url": _return_to(after)})


routes: list[Route] = [
    Route("/foree/business/import_bill", import_bill, methods=["POST"]),
    Route("/foree/checkout/bill_status", bill_status, methods=["POST"]),
    Route("/foree/pay/{reference_number}", pay_page, methods=["GET", "POST"], name="foree_pay"),
    Route("/foree/sandbox/config", sandbox_config, methods=["GET", "POST", "DELETE"]),
    Route("/foree/sandbox/bills", sandbox_bills, methods=["GET"]),
    Route("/foree/sandbox/bills/{reference_number}/pay", sandbox_bill_pay, methods=["POST"]),
]

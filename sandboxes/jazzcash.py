"""JazzCash sandbox: page redirection v1.1 (pp_* form signed with pp_SecureHash), IPN, payment inquiry and refund.

Protocol (../shared/docs/providers.md, "JazzCash"); the adapter is shared_apps/payments/gateways/jazzcash.py. The
sandbox accepts the credentials in SANDBOX_JAZZCASH_MERCHANT_ID / _PASSWORD / _INTEGRITY_SALT / _MPIN (defaults = the
app's defaults in config/settings.py), read on every request. It signs with its own `sign` (not the adapter's
`secure_hash`), so a hashing bug cannot hide in both.

Provider routes (as JazzCash, under /jazzcash):
- `POST /jazzcash/CustomerPortal/transactionmanagement/merchantform/` — the customer's browser posts the signed form.
  Checked in this order, each failure answered with an auto-submitting, signed post back to pp_ReturnURL: hash (115),
  merchant id and password (101), field values (110), pp_TxnExpiryDateTime passed (116), pp_TxnRefNo already used
  (110). Otherwise the hosted page: amount, merchant, description, optional mobile account, Pay / Fail / Cancel.
- Pay → 000 (unique pp_RetreivalReferenceNo, pp_AuthCode), Fail → 999, Cancel → 112; paying after
  pp_TxnExpiryDateTime → 116. A finished transaction never changes again (a paid one stays paid). The first finish
  sends the IPN in the background and answers the browser with the signed return post to pp_ReturnURL.
- IPN: form-encoded signed return fields POSTed to the configured ipn_url, 1 + `duplicates` copies after `delay_ms`,
  each tried up to 3 times (backoff) on connection errors and 5xx.
- `POST /jazzcash/ApplicationAPI/API/PaymentInquiry/Inquire` — 115 bad hash, 101 bad credentials, 109 unknown, else
  000 with pp_Status / pp_PaymentResponseCode (a refunded payment still reports 000, plus pp_RefundedAmount in paisa;
  an unpaid one 157, or 134 once its expiry passed).
- `POST /jazzcash/ApplicationAPI/API/2.0/Purchase/Refund/MobileAccount` (MPIN required) and `.../Refund/Card`: 115,
  101, 109, 452 (not paid), 110 (bad amount, or more than what remains). Unlike the real gateway, which may answer
  451 "multiple partial refunds not allowed", the sandbox allows any number of partial refunds up to the paid amount
  (our platform refunds merchants' shares one by one; the adapter maps a real 451 to REJECTED).
All API answers are HTTP 200 JSON signed with pp_SecureHash, as JazzCash's are.

Sandbox-only control endpoints (no JazzCash equivalent):
- `GET /jazzcash/sandbox/config` → the config; `POST` a JSON partial update of ipn_url (default
  $SANDBOX_JAZZCASH_IPN_URL or http://127.0.0.1:8000/api/v1/payments/webhooks/jazzcash), duplicates (extra IPN copies,
  0), delay_ms (before the IPN, 0), enabled (IPN on, true), inquiry_delay_ms (slow inquiry answers, 0);
  `DELETE` resets it to the defaults.
- `POST /jazzcash/sandbox/transactions/{txn_ref}/pay` JSON {"outcome": "paid" | "failed" | "cancelled"} (default paid):
  presses the customer's button → {"changed", "transaction", "return_url", "return_fields"}; sends the IPN too.
- `GET /jazzcash/sandbox/transactions` — every transaction, newest first (JSON; an HTML table for browsers).
State: SQLite at $SANDBOX_DATA_DIR/jazzcash.sqlite3 (default <repo>/.data/sandboxes), read-modify-writes under
BEGIN IMMEDIATE so several workers and concurrent requests stay consistent.
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
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parent.parent
PAKISTAN = ZoneInfo("Asia/Karachi")
TIME_FORMAT = "%Y%m%d%H%M%S"
FORM_PATH = "/jazzcash/CustomerPortal/transactionmanagement/merchantform/"
DEFAULT_IPN_URL = "http://127.0.0.1:8000/api/v1/payments/webhooks/jazzcash"
IPN_ATTEMPTS = 3
SUCCESS_MESSAGE = "Thank you for Using JazzCash, your transaction was successful."

PROVIDER = {
    "name": "JazzCash",
    "path": "/jazzcash/sandbox/transactions",
    "protocol": "JazzCash page redirection v1.1 (pp_SecureHash), IPN, inquiry, refund",
}

# The customer's buttons: stored status, pp_ResponseCode, pp_ResponseMessage.
OUTCOMES: dict[str, tuple[str, str, str]] = {
    "paid": ("paid", "000", SUCCESS_MESSAGE),
    "failed": ("failed", "999", "Transaction failed"),
    "cancelled": ("cancelled", "112", "Transaction cancelled by user"),
}
EXPIRED = ("expired", "116", "Transaction has expired")
PP_STATUS = {
    "paid": "Completed",
    "pending": "Pending",
    "failed": "Failed",
    "cancelled": "Cancelled",
    "expired": "Expired",
}


# ---- credentials and signing ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Credentials:
    merchant_id: str
    password: str
    salt: str
    mpin: str


def credentials() -> Credentials:
    """What the sandbox accepts, read from the environment on every call (defaults = config/settings.py's)."""
    return Credentials(
        merchant_id=os.environ.get("SANDBOX_JAZZCASH_MERCHANT_ID") or "MC00001",
        password=os.environ.get("SANDBOX_JAZZCASH_PASSWORD") or "sandbox-password",
        salt=os.environ.get("SANDBOX_JAZZCASH_INTEGRITY_SALT") or "sandboxsalt1",
        mpin=os.environ.get("SANDBOX_JAZZCASH_MPIN") or "1234",
    )


def sign(fields: Mapping[str, Any], salt: str) -> str:
    """pp_SecureHash as JazzCash sends it (uppercase hex). Written independently of the adapter's `secure_hash`."""
    chosen = sorted(
        (name, str(value))
        for name, value in fields.items()
        if name[:2] == "pp" and name != "pp_SecureHash" and value not in (None, "")
    )
    data = salt + "&" + "&".join(value for _, value in chosen)
    return hmac.new(salt.encode("utf-8"), data.encode("utf-8"), hashlib.sha256).hexdigest().upper()


def _signed(fields: dict[str, str]) -> dict[str, str]:
    return {**fields, "pp_SecureHash": sign(fields, credentials().salt)}


def _hash_ok(fields: Mapping[str, Any]) -> bool:
    given = str(fields.get("pp_SecureHash") or "").upper()
    return bool(given) and hmac.compare_digest(given, sign(fields, credentials().salt))


def _same(given: Any, expected: str) -> bool:
    return hmac.compare_digest(str(given or "").encode(), expected.encode())


# ---- storage -------------------------------------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS transactions (
    txn_ref TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    fields TEXT NOT NULL,
    amount INTEGER NOT NULL,
    status TEXT NOT NULL,
    response_code TEXT NOT NULL DEFAULT '',
    response_message TEXT NOT NULL DEFAULT '',
    rrn TEXT NOT NULL DEFAULT '',
    auth_code TEXT NOT NULL DEFAULT '',
    completed_at TEXT NOT NULL DEFAULT '',
    mobile TEXT NOT NULL DEFAULT '',
    refunded INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS refunds (
    id INTEGER PRIMARY KEY AUTOINCREMENT, txn_ref TEXT NOT NULL, amount INTEGER NOT NULL, created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS config (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def db_path() -> Path:
    """The SQLite file, read from the environment on every call (tests point it at a temporary directory)."""
    return Path(os.environ.get("SANDBOX_DATA_DIR") or REPO / ".data" / "sandboxes") / "jazzcash.sqlite3"


@contextmanager
def _db() -> Iterator[sqlite3.Connection]:
    path = db_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path, timeout=30, isolation_level=None)) as conn:
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(_SCHEMA)
        yield conn


@contextmanager
def _writing(conn: sqlite3.Connection) -> Iterator[None]:
    """One write transaction that takes the lock before reading, so read-check-update cannot interleave."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _now() -> datetime:
    return datetime.now(PAKISTAN)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(PAKISTAN).strftime(TIME_FORMAT)


def _parse_time(value: Any) -> datetime | None:
    try:
        return datetime.strptime(str(value), TIME_FORMAT).replace(tzinfo=PAKISTAN)
    except ValueError:
        return None


def _public(row: sqlite3.Row) -> dict[str, Any]:
    record = dict(row)
    record["fields"] = json.loads(record["fields"])
    return record


def _insert(fields: dict[str, str]) -> bool:
    """Store a new pending transaction; False when pp_TxnRefNo is taken. The password and hash are not kept."""
    kept = {k: v for k, v in fields.items() if k not in ("pp_Password", "pp_SecureHash")}
    with _db() as conn:
        try:
            conn.execute(
                "INSERT INTO transactions (txn_ref, created_at, fields, amount, status) VALUES (?, ?, ?, ?, 'pending')",
                (fields["pp_TxnRefNo"], _stamp(_now()), json.dumps(kept), int(fields["pp_Amount"])),
            )
        except sqlite3.IntegrityError:
            return False
    return True


def _get(txn_ref: str) -> dict[str, Any] | None:
    with _db() as conn:
        row = conn.execute("SELECT * FROM transactions WHERE txn_ref = ?", (txn_ref,)).fetchone()
    return _public(row) if row else None


def _all() -> list[dict[str, Any]]:
    with _db() as conn:
        rows = conn.execute("SELECT * FROM transactions ORDER BY created_at DESC, rowid DESC").fetchall()
    return [_public(row) for row in rows]


def _finish(txn_ref: str, outcome: str, mobile: str = "") -> tuple[dict[str, Any], bool] | None:
    """Apply the customer's button once: (transaction, changed). A finished transaction is returned unchanged;
    paying after the expiry finishes it as expired. None when there is no such transaction."""
    with _db() as conn, _writing(conn):
        row = conn.execute("SELECT * FROM transactions WHERE txn_ref = ?", (txn_ref,)).fetchone()
        if row is None:
            return None
        if row["status"] != "pending":
            return _public(row), False
        expiry = _parse_time(json.loads(row["fields"]).get("pp_TxnExpiryDateTime"))
        status, code, message = EXPIRED if expiry is not None and _now() > expiry else OUTCOMES[outcome]
        paid = status == "paid"
        conn.execute(
            "UPDATE transactions SET status = ?, response_code = ?, response_message = ?, rrn = ?, auth_code = ?, "
            "completed_at = ?, mobile = ? WHERE txn_ref = ?",
            (
                status,
                code,
                message,
                f"{secrets.randbelow(10**12):012d}" if paid else "",  # unique enough per sandbox; 12 digits as JazzCash
                f"{secrets.randbelow(10**6):06d}" if paid else "",
                _stamp(_now()),
                mobile,
                txn_ref,
            ),
        )
        row = conn.execute("SELECT * FROM transactions WHERE txn_ref = ?", (txn_ref,)).fetchone()
    return _public(row), True


def _apply_refund(txn_ref: str, amount: int) -> tuple[str, str, dict[str, Any] | None]:
    """Refund `amount` paisa of a paid transaction: (code, message, transaction). Partial refunds may repeat until
    the paid amount is used up; never more."""
    with _db() as conn, _writing(conn):
        row = conn.execute("SELECT * FROM transactions WHERE txn_ref = ?", (txn_ref,)).fetchone()
        if row is None:
            return "109", "No transaction found", None
        if row["status"] != "paid":
            return "452", "Transaction is not eligible for refund", _public(row)
        if amount > row["amount"] - row["refunded"]:
            return "110", "Refund amount exceeds the refundable amount", _public(row)
        conn.execute("UPDATE transactions SET refunded = refunded + ? WHERE txn_ref = ?", (amount, txn_ref))
        conn.execute(
            "INSERT INTO refunds (txn_ref, amount, created_at) VALUES (?, ?, ?)", (txn_ref, amount, _stamp(_now()))
        )
        row = conn.execute("SELECT * FROM transactions WHERE txn_ref = ?", (txn_ref,)).fetchone()
    return "000", SUCCESS_MESSAGE, _public(row)


# ---- config --------------------------------------------------------------------------------------------------------


def _config_defaults() -> dict[str, Any]:
    return {
        "ipn_url": os.environ.get("SANDBOX_JAZZCASH_IPN_URL") or DEFAULT_IPN_URL,
        "duplicates": 0,
        "delay_ms": 0,
        "enabled": True,
        "inquiry_delay_ms": 0,
    }


def _config() -> dict[str, Any]:
    with _db() as conn:
        stored = {row["key"]: json.loads(row["value"]) for row in conn.execute("SELECT key, value FROM config")}
    return {**_config_defaults(), **stored}


def _config_errors(update: dict[str, Any]) -> list[str]:
    errors = []
    for key, value in update.items():
        if key == "ipn_url":
            ok = isinstance(value, str) and (value == "" or re.match(r"https?://", value) is not None)
        elif key == "enabled":
            ok = isinstance(value, bool)
        elif key in ("duplicates", "delay_ms", "inquiry_delay_ms"):
            ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 60_000
        else:
            ok = False
        if not ok:
            errors.append(key)
    return errors


def _config_save(update: dict[str, Any]) -> dict[str, Any]:
    with _db() as conn, _writing(conn):
        for key, value in update.items():
            conn.execute("INSERT OR REPLACE INTO config (key, value) VALUES (?, ?)", (key, json.dumps(value)))
    return _config()


def _config_reset() -> dict[str, Any]:
    with _db() as conn:
        conn.execute("DELETE FROM config")
    return _config()


# ---- return fields and IPN -----------------------------------------------------------------------------------------


def response_fields(
    request_fields: Mapping[str, str],
    *,
    code: str,
    message: str,
    rrn: str = "",
    auth_code: str = "",
    settlement_expiry: str = "",
) -> dict[str, str]:
    """The signed fields JazzCash posts back to pp_ReturnURL (and in the IPN) for one request."""
    get = request_fields.get
    fields = {
        "pp_Amount": get("pp_Amount", ""),
        "pp_AuthCode": auth_code,
        "pp_BankID": get("pp_BankID", ""),
        "pp_BillReference": get("pp_BillReference", ""),
        "pp_Language": get("pp_Language", ""),
        "pp_MerchantID": get("pp_MerchantID", ""),
        "pp_ResponseCode": code,
        "pp_ResponseMessage": message,
        "pp_RetreivalReferenceNo": rrn,  # sic: JazzCash's spelling
        "pp_SettlementExpiry": settlement_expiry,
        "pp_SubMerchantId": get("pp_SubMerchantID", ""),
        "pp_TxnCurrency": get("pp_TxnCurrency", ""),
        "pp_TxnDateTime": get("pp_TxnDateTime", ""),
        "pp_TxnRefNo": get("pp_TxnRefNo", ""),
        "pp_TxnType": get("pp_TxnType", ""),
        "pp_Version": get("pp_Version", ""),
        **{name: value for name, value in request_fields.items() if name.startswith("ppmpf_")},
    }
    return _signed(fields)


def _transaction_response(txn: dict[str, Any]) -> dict[str, str]:
    return response_fields(
        txn["fields"],
        code=txn["response_code"],
        message=txn["response_message"],
        rrn=txn["rrn"],
        auth_code=txn["auth_code"],
    )


_background: set[asyncio.Task[None]] = set()  # strong references, so running IPN tasks are not collected


def _schedule_ipn(fields: dict[str, str]) -> None:
    """Send the IPN after the current response, never delaying the customer's browser."""
    task = asyncio.get_running_loop().create_task(_send_ipn(fields))
    _background.add(task)
    task.add_done_callback(_background.discard)


async def _send_ipn(fields: dict[str, str]) -> None:
    config = await run_in_threadpool(_config)
    if not config["enabled"] or not config["ipn_url"]:
        return
    if config["delay_ms"]:
        await asyncio.sleep(config["delay_ms"] / 1000)
    async with httpx.AsyncClient(timeout=10) as client:
        for _ in range(1 + config["duplicates"]):
            await _deliver(client, config["ipn_url"], fields)


async def _deliver(client: httpx.AsyncClient, url: str, fields: dict[str, str]) -> None:
    """One IPN copy, tried up to IPN_ATTEMPTS times while the receiver is unreachable or answers 5xx."""
    for attempt in range(IPN_ATTEMPTS):
        try:
            response = await client.post(url, data=fields)
            if response.status_code < 500:
                return
            logger.warning("jazzcash ipn to %s: HTTP %s", url, response.status_code)
        except httpx.TransportError as exc:
            logger.warning("jazzcash ipn to %s: %r", url, exc)
        if attempt < IPN_ATTEMPTS - 1:
            await asyncio.sleep(0.25 * 2**attempt)


# ---- HTML ----------------------------------------------------------------------------------------------------------

_STYLE = """
body{font-family:system-ui,sans-serif;margin:0;background:#f4f4f5;color:#18181b}
main{max-width:28rem;margin:0 auto;padding:1rem}
h1{font-size:1.25rem;margin:.5rem 0 1rem}
.card{background:#fff;border-radius:.75rem;padding:1rem;box-shadow:0 1px 2px #0001}
dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem .75rem;margin:0 0 1rem}
dt{color:#52525b}dd{margin:0;overflow-wrap:anywhere}
.amount{font-size:1.75rem;font-weight:700;margin:0 0 1rem}
label{display:block;margin-bottom:.25rem}
input{box-sizing:border-box;width:100%;font-size:1rem;padding:.6rem;border:1px solid #a1a1aa;border-radius:.5rem}
.buttons{display:flex;gap:.5rem;flex-wrap:wrap;margin-top:1rem}
button{flex:1;font-size:1rem;padding:.75rem;border-radius:.5rem;border:1px solid #a1a1aa;background:#fff;color:inherit}
button.pay{background:#b91c1c;border-color:#b91c1c;color:#fff;font-weight:600}
button:focus-visible,input:focus-visible{outline:3px solid #2563eb;outline-offset:2px}
table{border-collapse:collapse;width:100%;background:#fff}
td,th{padding:.4rem;border-bottom:1px solid #e4e4e7;text-align:left}
"""


def _page(title: str, body: str, *, script: str = "", status: int = 200) -> HTMLResponse:
    page = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body><main>{body}</main>"
        f"{f'<script>{script}</script>' if script else ''}</body></html>"
    )
    return HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store"})


def _rupees(paisa: Any) -> str:
    return f"{Decimal(int(paisa)) / 100:,.2f}"


def _return_post(return_url: str, fields: Mapping[str, str]) -> HTMLResponse:
    """The browser's way back: a form of the signed fields, submitted by script, with a button when there is none."""
    inputs = "".join(
        f"<input type='hidden' name='{html.escape(k, quote=True)}' value='{html.escape(v, quote=True)}'>"
        for k, v in fields.items()
    )
    body = (
        "<div class='card'><h1>Returning you to the merchant…</h1>"
        f"<form id='return' method='post' action='{html.escape(return_url, quote=True)}'>{inputs}"
        "<button class='pay' type='submit'>Return to merchant</button></form></div>"
    )
    return _page("JazzCash", body, script="document.getElementById('return').submit();")


def _hosted_page(fields: Mapping[str, str]) -> HTMLResponse:
    txn_ref = fields["pp_TxnRefNo"]
    action = f"/jazzcash/CustomerPortal/transactionmanagement/checkout/{quote(txn_ref, safe='')}"
    mobile = fields.get("ppmpf_1", "")
    expiry = _parse_time(fields.get("pp_TxnExpiryDateTime"))
    rows = [
        ("Merchant", fields.get("pp_MerchantID", "")),
        ("Description", fields.get("pp_Description", "")),
        ("Bill reference", fields.get("pp_BillReference", "")),
        ("Transaction", txn_ref),
        ("Pay before", expiry.strftime("%d %b %Y %H:%M PKT") if expiry else ""),
    ]
    details = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in rows)
    body = (
        "<div class='card'><h1>JazzCash checkout <small>(sandbox)</small></h1>"
        f"<p class='amount'>PKR {_rupees(fields['pp_Amount'])}</p><dl>{details}</dl>"
        f"<form method='post' action='{html.escape(action, quote=True)}'>"
        "<label for='mobile'>Mobile account (optional)</label>"
        f"<input id='mobile' name='mobile' type='tel' inputmode='tel' autocomplete='tel' "
        f"value='{html.escape(mobile, quote=True)}'>"
        "<div class='buttons'><button class='pay' name='outcome' value='paid'>Pay</button>"
        "<button name='outcome' value='failed'>Fail</button>"
        "<button name='outcome' value='cancelled'>Cancel</button></div></form></div>"
    )
    return _page("JazzCash checkout", body)


def _error_page(message: str, status: int) -> HTMLResponse:
    return _page("JazzCash", f"<div class='card'><h1>JazzCash</h1><p>{html.escape(message)}</p></div>", status=status)


# ---- page redirection ----------------------------------------------------------------------------------------------

_ALNUM = re.compile(r"[A-Za-z0-9]+")


def _invalid_field(fields: Mapping[str, str]) -> str | None:
    """The first field whose value JazzCash would refuse, or None."""
    checks = {
        "pp_Version": fields.get("pp_Version") == "1.1",
        "pp_TxnType": fields.get("pp_TxnType") in ("MWALLET", "OTC", "MPAY"),
        "pp_Language": fields.get("pp_Language") == "EN",
        "pp_TxnRefNo": _ALNUM.fullmatch(fields.get("pp_TxnRefNo", "")) is not None
        and len(fields.get("pp_TxnRefNo", "")) <= 20,
        "pp_Amount": fields.get("pp_Amount", "").isdigit() and int(fields["pp_Amount"]) > 0,
        "pp_TxnCurrency": fields.get("pp_TxnCurrency") == "PKR",
        "pp_TxnDateTime": _parse_time(fields.get("pp_TxnDateTime")) is not None,
        "pp_TxnExpiryDateTime": _parse_time(fields.get("pp_TxnExpiryDateTime")) is not None,
        "pp_BillReference": _ALNUM.fullmatch(fields.get("pp_BillReference", "")) is not None,
        "pp_Description": bool(fields.get("pp_Description", "").strip()),
    }
    return next((name for name, ok in checks.items() if not ok), None)


def _refusal(fields: Mapping[str, str]) -> tuple[str, str] | None:
    """(code, message) when the form must be refused before a transaction exists, in JazzCash's order."""
    creds = credentials()
    if not _hash_ok(fields):
        return "115", "Invalid secure hash"
    if not (_same(fields.get("pp_MerchantID"), creds.merchant_id) & _same(fields.get("pp_Password"), creds.password)):
        return "101", "Invalid merchant credentials"
    invalid = _invalid_field(fields)
    if invalid:
        return "110", f"Please provide a valid value for {invalid}"
    expiry = _parse_time(fields["pp_TxnExpiryDateTime"])
    if expiry is not None and expiry < _now():
        return EXPIRED[1], EXPIRED[2]
    return None


async def merchant_form(request: Request) -> Response:
    """POST the merchant form: refuse with a signed post back, or store the transaction and show the hosted page."""
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    return_url = fields.get("pp_ReturnURL", "")
    if not re.match(r"https?://", return_url):
        return _error_page("pp_ReturnURL is missing or not an http(s) URL.", 400)
    refusal = _refusal(fields)
    if refusal is None and not await run_in_threadpool(_insert, fields):
        refusal = ("110", "Duplicate pp_TxnRefNo: this transaction reference has been used")
    if refusal is not None:
        return _return_post(return_url, response_fields(fields, code=refusal[0], message=refusal[1]))
    return _hosted_page(fields)


async def _complete(txn_ref: str, outcome: str, mobile: str) -> tuple[dict[str, Any], bool, dict[str, str]] | None:
    finished = await run_in_threadpool(_finish, txn_ref, outcome, mobile)
    if finished is None:
        return None
    txn, changed = finished
    fields = _transaction_response(txn)
    if changed:
        _schedule_ipn(fields)
    return txn, changed, fields


async def checkout_button(request: Request) -> Response:
    """POST the hosted page's Pay / Fail / Cancel: finish the transaction once and post the result back."""
    form = await request.form()
    outcome = form.get("outcome")
    if outcome not in OUTCOMES:
        return _error_page("Choose Pay, Fail or Cancel.", 400)
    mobile = form.get("mobile")
    done = await _complete(request.path_params["txn_ref"], str(outcome), mobile if isinstance(mobile, str) else "")
    if done is None:
        return _error_page("No such transaction.", 404)
    txn, _, fields = done
    return _return_post(txn["fields"]["pp_ReturnURL"], fields)


# ---- APIs ----------------------------------------------------------------------------------------------------------


async def _api_body(request: Request) -> dict[str, Any] | None:
    try:
        payload = json.loads(await request.body())
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def _api_answer(fields: dict[str, str]) -> JSONResponse:
    return JSONResponse(_signed(fields))


def _api_refusal(payload: dict[str, Any] | None, *, mpin: bool = False) -> dict[str, str] | None:
    """Hash (115) then credentials (101) of an API request, as a response body; None when both are fine."""
    if payload is None:
        return {"pp_ResponseCode": "110", "pp_ResponseMessage": "Invalid request: a JSON object is required"}
    if not _hash_ok(payload):
        return {"pp_ResponseCode": "115", "pp_ResponseMessage": "Invalid secure hash"}
    creds = credentials()
    ok = _same(payload.get("pp_MerchantID"), creds.merchant_id) & _same(payload.get("pp_Password"), creds.password)
    if mpin:
        ok &= _same(payload.get("pp_MerchantMPIN"), creds.mpin)
    if not ok:
        return {"pp_ResponseCode": "101", "pp_ResponseMessage": "Invalid merchant credentials"}
    return None


def _payment_state(txn: dict[str, Any]) -> tuple[str, str]:
    """pp_PaymentResponseCode and its message for the inquiry: a refunded payment still reports 000."""
    if txn["status"] == "pending":
        expiry = _parse_time(txn["fields"].get("pp_TxnExpiryDateTime"))
        if expiry is not None and _now() > expiry:
            return "134", "Transaction timed out"
        return "157", "Transaction is pending"
    return txn["response_code"], txn["response_message"]


async def inquire(request: Request) -> Response:
    """POST /ApplicationAPI/API/PaymentInquiry/Inquire — the state of one transaction."""
    payload = await _api_body(request)
    delay = (await run_in_threadpool(_config))["inquiry_delay_ms"]
    if delay:
        await asyncio.sleep(delay / 1000)
    refusal = _api_refusal(payload)
    if refusal is not None:
        return _api_answer(refusal)
    assert payload is not None
    txn = await run_in_threadpool(_get, str(payload.get("pp_TxnRefNo") or ""))
    if txn is None:
        return _api_answer({"pp_ResponseCode": "109", "pp_ResponseMessage": "No transaction found"})
    code, message = _payment_state(txn)
    state = "expired" if code == "134" else txn["status"]
    return _api_answer(
        {
            "pp_ResponseCode": "000",
            "pp_ResponseMessage": "Operation completed successfully",
            "pp_TxnRefNo": txn["txn_ref"],
            "pp_Amount": str(txn["amount"]),
            "pp_Status": PP_STATUS[state],
            "pp_PaymentResponseCode": code,
            "pp_PaymentResponseMessage": message,
            "pp_AuthCode": txn["auth_code"],
            "pp_RetrievalReferenceNo": txn["rrn"],
            "pp_SettlementDate": txn["completed_at"][:8] if txn["status"] == "paid" else "",
            "pp_RefundedAmount": str(txn["refunded"]),
        }
    )


async def _refund(request: Request, *, mpin: bool) -> Response:
    payload = await _api_body(request)
    refusal = _api_refusal(payload, mpin=mpin)
    if refusal is not None:
        return _api_answer(refusal)
    assert payload is not None
    amount = str(payload.get("pp_Amount") or "")
    if not amount.isdigit() or int(amount) <= 0 or payload.get("pp_TxnCurrency") != "PKR":
        invalid = {"pp_ResponseCode": "110", "pp_ResponseMessage": "Please provide a valid value for pp_Amount"}
        return _api_answer(invalid)
    txn_ref = str(payload.get("pp_TxnRefNo") or "")
    code, message, _ = await run_in_threadpool(_apply_refund, txn_ref, int(amount))
    answer = {"pp_ResponseCode": code, "pp_ResponseMessage": message, "pp_TxnRefNo": txn_ref, "pp_Amount": amount}
    return _api_answer(answer)


async def refund_mobile_account(request: Request) -> Response:
    """POST /ApplicationAPI/API/2.0/Purchase/Refund/MobileAccount — needs pp_MerchantMPIN."""
    return await _refund(request, mpin=True)


async def refund_card(request: Request) -> Response:
    """POST /ApplicationAPI/API/2.0/Purchase/Refund/Card — the same without an MPIN."""
    return await _refund(request, mpin=False)


# ---- sandbox control -----------------------------------------------------------------------------------------------


async def sandbox_config(request: Request) -> Response:
    """GET the config; POST a JSON partial update; DELETE resets to the defaults."""
    if request.method == "DELETE":
        return JSONResponse(await run_in_threadpool(_config_reset))
    if request.method == "POST":
        update = await _api_body(request)
        if update is None:
            return JSONResponse({"error": "a JSON object is required"}, status_code=400)
        errors = _config_errors(update)
        if errors:
            return JSONResponse({"error": "invalid or unknown keys", "fields": errors}, status_code=400)
        return JSONResponse(await run_in_threadpool(_config_save, update))
    return JSONResponse(await run_in_threadpool(_config))


async def sandbox_pay(request: Request) -> Response:
    """POST {"outcome": "paid" | "failed" | "cancelled"}: press the customer's button (sends the IPN too)."""
    payload = await _api_body(request) if (await request.body()).strip() else {}
    outcome = payload.get("outcome", "paid") if payload is not None else None
    if outcome not in OUTCOMES:
        return JSONResponse({"error": "outcome must be paid, failed or cancelled"}, status_code=400)
    done = await _complete(request.path_params["txn_ref"], str(outcome), "")
    if done is None:
        return JSONResponse({"error": "no such transaction"}, status_code=404)
    txn, changed, fields = done
    return JSONResponse(
        {"changed": changed, "transaction": txn, "return_url": txn["fields"]["pp_ReturnURL"], "return_fields": fields}
    )


async def sandbox_transactions(request: Request) -> Response:
    """GET every transaction, newest first: JSON, or a table when a browser asks for HTML."""
    transactions = await run_in_threadpool(_all)
    if "text/html" not in request.headers.get("accept", ""):
        return JSONResponse({"transactions": transactions})
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(str(v))}</td>"
            for v in (
                t["txn_ref"],
                t["created_at"],
                f"PKR {_rupees(t['amount'])}",
                t["status"],
                t["response_code"],
                f"PKR {_rupees(t['refunded'])}",
                t["rrn"],
            )
        )
        + "</tr>"
        for t in transactions
    )
    head = "".join(f"<th>{h}</th>" for h in ("Reference", "Created", "Amount", "Status", "Code", "Refunded", "RRN"))
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>" if rows else "<p>None yet.</p>"
    return _page("JazzCash sandbox", f"<h1>JazzCash sandbox transactions</h1>{table}")


routes = [
    Route(FORM_PATH, merchant_form, methods=["POST"]),
    Route("/jazzcash/CustomerPortal/transactionmanagement/checkout/{txn_ref}", checkout_button, methods=["POST"]),
    Route("/jazzcash/ApplicationAPI/API/PaymentInquiry/Inquire", inquire, methods=["POST"]),
    Route("/jazzcash/ApplicationAPI/API/2.0/Purchase/Refund/MobileAccount", refund_mobile_account, methods=["POST"]),
    Route("/jazzcash/ApplicationAPI/API/2.0/Purchase/Refund/Card", refund_card, methods=["POST"]),
    Route("/jazzcash/sandbox/config", sandbox_config, methods=["GET", "POST", "DELETE"]),
    Route("/jazzcash/sandbox/transactions", sandbox_transactions, methods=["GET"]),
    Route("/jazzcash/sandbox/transactions/{txn_ref}/pay", sandbox_pay, methods=["POST"]),
]

"""SMS sandbox: Twilio's Messages API (2010-04-01) plus an inbox that people and tests can read.

Protocol (../../shared/docs/providers.md, "SMS"): `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` with HTTP Basic
`AccountSid:AuthToken` and form fields `To`, `From` or `MessagingServiceSid`, `Body` → 201 with Twilio's message JSON;
errors are Twilio's `{"code", "message", "more_info", "status"}`. Credentials: SANDBOX_SMS_ACCOUNT_SID and
SANDBOX_SMS_AUTH_TOKEN (defaults match the app's SMS_* defaults).

Inbox: every accepted message is appended as one JSON line to $SANDBOX_DATA_DIR/sms.jsonl (default
<repo>/.data/sandboxes), under a file lock, so it survives restarts and is shared by every uvicorn worker.
`GET /sms` is a page to read sign-in codes, `GET /sms/messages?to=` the same as JSON (newest first),
`DELETE /sms/messages` empties it. Messages count as delivered the moment they are accepted.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hmac
import html
import json
import math
import os
import re
import secrets
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import phonenumbers
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

API_VERSION = "2010-04-01"
DEFAULT_ACCOUNT_SID = "ACsandbox0000000000000000000000000"  # = the app's SMS_ACCOUNT_SID default
DEFAULT_AUTH_TOKEN = "sandbox-auth-token"  # = the app's SMS_AUTH_TOKEN default  # noqa: S105
DEFAULT_REGION = "PK"  # how the inbox filter reads national numbers such as 03001234567
MAX_BODY_CHARS = 1600  # Twilio's limit for a concatenated message
REPO = Path(__file__).resolve().parent.parent

PROVIDER = {"name": "SMS", "path": "/sms", "protocol": "Twilio Messages API (2010-04-01)"}

# GSM 03.38: the basic set costs one septet per character, the extension set two; anything else means UCS-2.
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENSION = set("^{}\\[~]|€\f")
_CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


# ---- inbox storage -------------------------------------------------------------------------------------------------


def inbox_path() -> Path:
    """The JSON-lines file, read from the environment on every call (tests point it at a temporary directory)."""
    return Path(os.environ.get("SANDBOX_DATA_DIR") or REPO / ".data" / "sandboxes") / "sms.jsonl"


def _append(record: dict[str, Any]) -> None:
    path = inbox_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, ensure_ascii=False) + "\n"
    with path.open("a", encoding="utf-8") as file:
        fcntl.flock(file, fcntl.LOCK_EX)  # one whole line per message, even with several workers appending
        file.write(line)
        file.flush()


def _read_all() -> list[dict[str, Any]]:
    """Every stored message, oldest first (file order is arrival order). Unreadable lines are skipped."""
    path = inbox_path()
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as file:
        fcntl.flock(file, fcntl.LOCK_SH)
        lines = file.readlines()
    messages = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            messages.append(record)
    return messages


def _clear() -> int:
    path = inbox_path()
    if not path.exists():
        return 0
    with path.open("r+", encoding="utf-8") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        count = sum(1 for line in file if line.strip())
        file.seek(0)
        file.truncate()
    return count


# ---- helpers -------------------------------------------------------------------------------------------------------


def _credentials() -> tuple[str, str]:
    return (
        os.environ.get("SANDBOX_SMS_ACCOUNT_SID") or DEFAULT_ACCOUNT_SID,
        os.environ.get("SANDBOX_SMS_AUTH_TOKEN") or DEFAULT_AUTH_TOKEN,
    )


def _error(status: int, code: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    more_info = f"https://www.twilio.com/docs/errors/{code}"
    body = {"code": code, "message": message, "more_info": more_info, "status": status}
    return JSONResponse(body, status_code=status, headers=headers)


def _denied(request: Request) -> JSONResponse | None:
    """Twilio's checks, in its order: Basic credentials (401 20003), then the account in the path (404 20404)."""
    expected_sid, expected_token = _credentials()
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    try:
        username, _, password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        username = password = ""
    sid_ok = hmac.compare_digest(username.encode(), expected_sid.encode())
    token_ok = hmac.compare_digest(password.encode(), expected_token.encode())  # both compared, always
    if scheme.lower() != "basic" or not (sid_ok and token_ok):
        return _error(401, 20003, "Authenticate", headers={"WWW-Authenticate": 'Basic realm="Twilio API"'})
    if request.path_params["account_sid"] != expected_sid:
        return _error(404, 20404, f"The requested resource {request.url.path} was not found")
    return None


def phone_normalized(raw: str) -> str:
    """E.164 for anything phonenumbers can read (national numbers as Pakistani), else the stripped input."""
    try:
        parsed = phonenumbers.parse(raw.strip(), DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return raw.strip()
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _valid_e164(raw: str) -> bool:
    if not raw.startswith("+"):
        return False
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(raw, None))
    except phonenumbers.NumberParseException:
        return False


def num_segments(body: str) -> int:
    """How many SMS parts `body` takes: 160/153 GSM-7 septets per part, or 70/67 UCS-2 units when it needs Unicode."""
    if all(ch in _GSM_BASIC or ch in _GSM_EXTENSION for ch in body):
        units = sum(2 if ch in _GSM_EXTENSION else 1 for ch in body)
        single, multi = 160, 153
    else:
        units = len(body.encode("utf-16-le")) // 2
        single, multi = 70, 67
    return 1 if units <= single else math.ceil(units / multi)


def _delivered(record: dict[str, Any]) -> dict[str, Any]:
    """A stored message as it reads afterwards: the sandbox delivers instantly."""
    created = record["date_created"]
    return {**record, "status": "delivered", "date_sent": created, "date_updated": created}


def _form_text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


# ---- Twilio API ----------------------------------------------------------------------------------------------------


async def message_create(request: Request) -> Response:
    """POST /2010-04-01/Accounts/{AccountSid}/Messages.json — accept one message into the inbox."""
    denied = _denied(request)
    if denied is not None:
        return denied
    form = await request.form()
    to = _form_text(form.get("To"))
    sender = _form_text(form.get("From"))
    service_sid = _form_text(form.get("MessagingServiceSid"))
    body = form.get("Body")
    body = body if isinstance(body, str) else ""
    if not to:
        return _error(400, 21604, "A 'To' phone number is required.")
    if not _valid_e164(to):
        return _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
    if not body.strip():
        return _error(400, 21602, "Message body is required.")
    if not sender and not service_sid:
        return _error(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message.")
    if len(body) > MAX_BODY_CHARS:
        return _error(400, 21617, f"The concatenated message body exceeds the {MAX_BODY_CHARS} character limit.")

    account_sid = request.path_params["account_sid"]
    sid = "SM" + secrets.token_hex(16)
    now = format_datetime(datetime.now(UTC).replace(microsecond=0))
    uri = f"/{API_VERSION}/Accounts/{account_sid}/Messages/{sid}"
    record = {
        "account_sid": account_sid,
        "api_version": API_VERSION,
        "body": body,
        "date_created": now,
        "date_sent": None,
        "date_updated": now,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": sender or None,  # Twilio fills it in later when a messaging service picks the sender
        "messaging_service_sid": service_sid or None,
        "num_media": "0",
        "num_segments": str(num_segments(body)),
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        "status": "queued" if sender else "accepted",
        "subresource_uris": {"media": f"{uri}/Media.json"},
        "to": phonenumbers.format_number(phonenumbers.parse(to, None), phonenumbers.PhoneNumberFormat.E164),
        "uri": f"{uri}.json",
    }
    await run_in_threadpool(_append, record)
    return JSONResponse(record, status_code=201)


async def message_fetch(request: Request) -> Response:
    """GET /2010-04-01/Accounts/{AccountSid}/Messages/{MessageSid}.json — one message, delivered."""
    denied = _denied(request)
    if denied is not None:
        return denied
    sid = request.path_params["message_sid"]
    account_sid = request.path_params["account_sid"]
    for record in await run_in_threadpool(_read_all):
        if record.get("sid") == sid and record.get("account_sid") == account_sid:
            return JSONResponse(_delivered(record))
    return _error(404, 20404, f"The requested resource {request.url.path} was not found")


# ---- inbox for people and tests ------------------------------------------------------------------------------------


async def _inbox(to: str | None, limit: int | None = None) -> list[dict[str, Any]]:
    messages = [_delivered(m) for m in reversed(await run_in_threadpool(_read_all)) if "date_created" in m]
    if to:
        wanted = phone_normalized(to)
        messages = [m for m in messages if phone_normalized(str(m.get("to", ""))) == wanted]
    return messages[:limit] if limit is not None else messages


def _limit(request: Request) -> int | None:
    raw = request.query_params.get("limit", "")
    return max(int(raw), 0) if raw.isdigit() else None


async def inbox_messages(request: Request) -> Response:
    """GET /sms/messages?to=&limit= — newest first; `to` matches however the number is written. DELETE empties."""
    if request.method == "DELETE":
        return JSONResponse({"deleted": await run_in_threadpool(_clear)})
    return JSONResponse({"messages": await _inbox(request.query_params.get("to"), _limit(request))})


def _when(record: dict[str, Any]) -> tuple[str, str]:
    try:
        moment = parsedate_to_datetime(record["date_created"])
    except (TypeError, ValueError):
        return "", str(record.get("date_created", ""))
    return moment.isoformat(), moment.strftime("%d %b %H:%M:%S UTC")


_PAGE_STYLE = """
body{font-family:system-ui,sans-serif;margin:0;background:#f4f4f5;color:#18181b}
main{max-width:36rem;margin:0 auto;padding:1rem}
h1{font-size:1.25rem;margin:.5rem 0 1rem}
form{display:flex;gap:.5rem;margin-bottom:1rem}
input{flex:1;font-size:1rem;padding:.5rem;border:1px solid #d4d4d8;border-radius:.5rem}
button,a.all{font-size:1rem;padding:.5rem .75rem;border-radius:.5rem;border:1px solid #d4d4d8;background:#fff;
 color:inherit;text-decoration:none}
ol{list-style:none;padding:0;margin:0}
li{background:#fff;border-radius:.75rem;padding:.75rem 1rem;margin-bottom:.75rem;box-shadow:0 1px 2px #0001}
.meta{display:flex;justify-content:space-between;gap:.5rem;font-size:.85rem;color:#52525b;flex-wrap:wrap}
.to{font-weight:600;color:#18181b}
.body{margin:.5rem 0 0;white-space:pre-wrap;overflow-wrap:anywhere;font-size:1rem}
.code{font-size:1.5rem;letter-spacing:.15em;background:#fef08a;padding:0 .25rem;border-radius:.25rem}
.empty{color:#52525b}
"""

_PAGE_SCRIPT = """
for (const t of document.querySelectorAll("time[datetime]")) {
  const d = new Date(t.dateTime);
  if (!isNaN(d)) t.textContent = d.toLocaleString([], {day: "numeric", month: "short", hour: "2-digit",
    minute: "2-digit", second: "2-digit"});
}
const list = document.querySelector("ol, p.empty");
setInterval(async () => {
  try {
    const params = new URLSearchParams(location.search);
    params.set("limit", "1");
    const data = await (await fetch("/sms/messages?" + params)).json();
    if ((data.messages[0]?.sid || "") !== list.dataset.newest) location.reload();
  } catch (e) {}
}, 3000);
"""


async def inbox_page(request: Request) -> HTMLResponse:
    """GET /sms?to= — the inbox for a person: newest first, six-digit codes stand out, refreshes when one arrives."""
    to = request.query_params.get("to", "").strip()
    messages = await _inbox(to or None, 200)
    newest = html.escape(messages[0]["sid"]) if messages else ""
    items = []
    for m in messages:
        iso, shown = _when(m)
        body = _CODE.sub(r'<strong class="code">\1</strong>', html.escape(str(m.get("body", ""))))
        number = html.escape(str(m.get("to", "")))
        sender = html.escape(str(m.get("from") or m.get("messaging_service_sid") or ""))
        items.append(
            f"<li><div class='meta'><a class='to' href='/sms?to={quote(str(m.get('to', '')))}'>"
            f"{number}</a><time datetime='{html.escape(iso, quote=True)}'>{html.escape(shown)}</time></div>"
            f"<p class='body' dir='auto'>{body}</p><div class='meta'><span>from {sender}</span></div></li>"
        )
    if items:
        listing = f"<ol data-newest='{newest}'>{''.join(items)}</ol>"
    else:
        listing = f"<p class='empty' data-newest=''>No messages{' to ' + html.escape(to) if to else ''} yet.</p>"
    heading = f"Texts to {html.escape(to)}" if to else "Texts sent by the app"
    page = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<noscript><meta http-equiv='refresh' content='3'></noscript>"
        f"<title>SMS sandbox</title><style>{_PAGE_STYLE}</style></head><body><main>"
        f"<h1>{heading}</h1>"
        f"<form method='get' action='/sms'><input name='to' type='tel' inputmode='tel' placeholder='Phone number' "
        f"value='{html.escape(to, quote=True)}' aria-label='Phone number'><button>Show</button>"
        f"{'<a class=all href=/sms>All</a>' if to else ''}</form>"
        f"{listing}</main><script>{_PAGE_SCRIPT}</script></body></html>"
    )
    return HTMLResponse(page, headers={"Cache-Control": "no-store"})


routes = [
    Route(f"/{API_VERSION}/Accounts/{{account_sid}}/Messages.json", message_create, methods=["POST"]),
    Route(f"/{API_VERSION}/Accounts/{{account_sid}}/Messages/{{message_sid}}.json", message_fetch, methods=["GET"]),
    Route("/sms", inbox_page, methods=["GET"]),
    Route("/sms/messages", inbox_messages, methods=["GET", "DELETE"]),
]

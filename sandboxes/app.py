"""Local stand-ins for external providers, one process on port 8100 (`make run` starts it).

Each provider's sandbox speaks that provider's documented protocol (../shared/docs/providers.md) so that our adapters
run unchanged against it or the real service, by environment variables alone. Provider routes are mounted here as
the issues that need them land (SMS, Cloudinary, Foree Pay, JazzCash, courier).
"""

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from sandboxes import cloudinary, foree, jazzcash, postex, sms, uberdirect

# {"name", "path", "protocol"}: each provider module's PROVIDER
PROVIDERS: list[dict[str, str]] = [
    sms.PROVIDER,
    cloudinary.PROVIDER,
    foree.PROVIDER,
    jazzcash.PROVIDER,
    uberdirect.PROVIDER,
    postex.PROVIDER,
]


async def index(request: Request) -> HTMLResponse:
    rows = (
        "".join(f"<li><a href='{p['path']}'>{p['name']}</a> — {p['protocol']}</li>" for p in PROVIDERS)
        or "<li>No provider sandboxes are mounted yet.</li>"
    )
    return HTMLResponse(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Planckly sandboxes</title>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'></head>"
        "<body style='font-family:system-ui;max-width:40rem;margin:2rem auto;padding:0 1rem'>"
        f"<h1>Provider sandboxes</h1><ul>{rows}</ul></body></html>"
    )


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok", "providers": [p["name"] for p in PROVIDERS]})


# Cloudinary's delivery route (/{cloud}/{resource_type}/upload/...) matches broadly: its routes come last.
app = Starlette(
    routes=[
        Route("/", index),
        Route("/healthz", healthz),
        *sms.routes,
        *foree.routes,
        *jazzcash.routes,
        *uberdirect.routes,
        *postex.routes,
        *cloudinary.routes,
    ],
    # Browsers upload straight to Cloudinary (signed direct uploads, chunked with custom headers) and hls.js reads
    # its streams: Cloudinary answers cross-origin requests, so the sandbox does too.
    middleware=[
        Middleware(
            CORSMiddleware,
            allow_origins=["*"],
            allow_methods=["GET", "HEAD", "POST"],
            allow_headers=["X-Unique-Upload-Id", "Content-Range", "X-Requested-With", "Content-Type"],
        )
    ],
)

"""Content-Security-Policy: what a page may load and run (django-csp writes the header; this module adds the sources
only known per request).

The fixed policy is `CONTENT_SECURITY_POLICY` in settings: scripts from our origin or carrying the request's nonce,
never inline handlers or `javascript:` URLs, no plugins, no framing. Per request come the media hosts Cloudinary
delivers from and takes browser uploads at (`cloudinary.config()`, which the tests point at a sandbox on a port
chosen at run time). docs/security.md has the policy line by line, why `'unsafe-eval'` is still in it and why there
is no `form-action`.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import cloudinary
from django.http import HttpRequest, HttpResponse


def origin_of(url: str) -> str | None:
    """scheme://host[:port] of an absolute URL, None for anything else."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def cloudinary_origins() -> tuple[list[str], list[str]]:
    """(delivery origins, upload origins) of the configured Cloudinary account or sandbox."""
    config = cloudinary.config()
    if config.cname:
        secure = str(config.secure).lower() in ("true", "1")
        delivery = [f"{'https' if secure else 'http'}://{config.cname}"]
    else:
        delivery = ["https://res.cloudinary.com"]
    upload = [origin_of(config.upload_prefix or "https://api.cloudinary.com") or "https://api.cloudinary.com"]
    return delivery, upload


class PolicySourcesMiddleware:
    """Adds the per-request sources to the policy django-csp's CSPMiddleware (outside this one) writes."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "text/html" not in response.get("Content-Type", ""):
            return response
        delivery, upload = cloudinary_origins()
        update = {
            "img-src": delivery,
            "media-src": delivery,
            "connect-src": [*delivery, *upload],  # hls.js fetches segments; the console uploads straight to Cloudinary
        }
        for name, sources in (getattr(response, "_csp_update", None) or {}).items():  # a view's own @csp_update
            update[name] = [*update.get(name, []), *sources]
        response._csp_update = update  # django-csp's documented per-response hook (what @csp_update sets)
        return response

"""The browser-facing defences: a Content-Security-Policy on every page, HSTS when served over TLS, forms accepted only
from their own host, and no template that runs inline script (the policy would block it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

ROOT = Path(settings.BASE_DIR)


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/", "/signin/", "/sell/", "/search?q=rice", "/api/v1/docs"])
def test_every_marketplace_page_carries_the_policy(db, path):
    response = Client(HTTP_HOST="localhost").get(path)
    assert response.status_code == 200
    policy = _policy(response)
    assert "'unsafe-inline'" not in policy["script-src"]  # no inline script or on*= handler runs
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert "https://tile.openstreetmap.org" in policy["img-src"]  # MAP_TILE_URL's host


def test_the_policy_names_the_configured_media_hosts(db, monkeypatch):
    import cloudinary

    config = cloudinary.config()  # as the dev settings configure it (other tests point it at sandboxes of their own)
    monkeypatch.setattr(config, "cname", "127.0.0.1:8100")
    monkeypatch.setattr(config, "secure", False)
    monkeypatch.setattr(config, "upload_prefix", "http://127.0.0.1:8100")
    response = Client(HTTP_HOST="localhost").get("/sell/")
    policy = _policy(response)
    assert "http://127.0.0.1:8100" in policy["img-src"] and "http://127.0.0.1:8100" in policy["media-src"]
    assert "http://127.0.0.1:8100" in policy["connect-src"]  # direct uploads and HLS segments


def test_production_media_hosts_are_cloudinarys(db, monkeypatch):
    import cloudinary

    config = cloudinary.config()
    monkeypatch.setattr(config, "cname", None)
    monkeypatch.setattr(config, "upload_prefix", None)
    policy = _policy(Client(HTTP_HOST="localhost").get("/"))
    assert "https://res.cloudinary.com" in policy["img-src"] and "https://res.cloudinary.com" in policy["media-src"]
    assert "https://api.cloudinary.com" in policy["connect-src"]


def test_console_pages_carry_the_policy(make_merchant):
    merchant = make_merchant()
    response = Client(HTTP_HOST=f"{merchant.slug}.localhost").get("/signin/")
    assert response.status_code == 200 and "script-src" in _policy(response)


def test_no_template_runs_inline_script():
    """The policy blocks inline script: a template that writes one fails here rather than silently in a browser.
    Data blocks (JSON-LD) are not script and stay allowed."""
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(ld\+)?json\")[^>]*>", re.I)
    handler = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I)
    offenders = []
    for folder in ("templates", "marketplace", "shared_apps", "tenant_apps", "tenants", "config", "demo"):
        for template in (ROOT / folder).rglob("*.html"):
            text = template.read_text()
            if inline_script.search(text) or handler.search(text) or "javascript:" in text:
                offenders.append(str(template.relative_to(ROOT)))
    assert offenders == []


def test_hsts_on_https_answers_when_cookies_are_secure(db, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = Client(HTTP_HOST="localhost").get("/signin/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "Strict-Transport-Security" not in Client(HTTP_HOST="localhost").get("/signin/")  # plain HTTP: never


def _csrf_client(host: str) -> tuple[Client, str]:
    client = Client(HTTP_HOST=host, enforce_csrf_checks=True)
    client.get("/signin/")
    return client, client.cookies["csrftoken"].value


def test_a_form_posted_from_another_merchants_host_is_refused(make_merchant):
    shop, other = make_merchant(), make_merchant()
    client, token = _csrf_client(f"{shop.slug}.localhost")
    form = {"phone": "+923001234567", "csrfmiddlewaretoken": token}

    foreign = client.post("/signin/", form, HTTP_ORIGIN=f"http://{other.slug}.localhost")
    not_a_merchant = client.post("/signin/", form, HTTP_ORIGIN="http://evil.localhost")
    own = client.post("/signin/", form, HTTP_ORIGIN=f"http://{shop.slug}.localhost")

    assert foreign.status_code == 403 and not_a_merchant.status_code == 403
    assert own.status_code == 200  # the code was sent


def test_the_marketplace_refuses_a_form_from_a_console_host(make_merchant):
    shop = make_merchant()
    client, token = _csrf_client("localhost")
    form = {"phone": "+923001234567", "csrfmiddlewaretoken": token}
    assert client.post("/signin/", form, HTTP_ORIGIN=f"http://{shop.slug}.localhost").status_code == 403
    assert client.post("/signin/", form, HTTP_ORIGIN="http://localhost").status_code == 200

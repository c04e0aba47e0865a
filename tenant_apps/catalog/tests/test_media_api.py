"""Signed direct upload: the server signs, the browser uploads to Cloudinary (the sandbox), the server records the
asset only after verifying Cloudinary's signature on the response."""

import httpx
from django.test import Client
from django_tenants.utils import schema_context

from shared_apps.accounts.tokens import token_pair_issue
from tenant_apps.catalog.models import ProductMedia
from tests.access_world import build_world

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8ffff3f0005fe02fea7d6a4e50000000049454e44ae426082"
)


def test_signed_direct_upload_then_record(make_merchant, sandbox_server):
    world = build_world(make_merchant)
    token = token_pair_issue(user=world.users["shop_owner"]).access
    api = Client(HTTP_HOST=f"{world.t.slug}.localhost", HTTP_AUTHORIZATION=f"Bearer {token}")
    base = f"/api/v1/console/products/{world.ids['P1']}/media"
    signed = api.post(f"{base}/sign", {"resource_type": "image"}, content_type="application/json").json()
    instructions = ("upload_url", "resource_type", "cloud_name", "chunk_size")  # for the client, not signed fields
    form = {k: str(v) for k, v in signed.items() if k not in instructions}
    if isinstance(signed.get("allowed_formats"), list):
        form["allowed_formats"] = ",".join(signed["allowed_formats"])
    uploaded = httpx.post(signed["upload_url"], data=form, files={"file": ("pixel.png", PNG, "image/png")}, timeout=10)
    assert uploaded.status_code == 200, uploaded.text
    forged = dict(uploaded.json(), public_id=uploaded.json()["public_id"] + "-other")
    rejected = api.post(base, {"response": forged}, content_type="application/json")
    assert rejected.status_code == 401
    recorded = api.post(base, {"response": uploaded.json()}, content_type="application/json")
    assert recorded.status_code == 201, recorded.content
    media_id = recorded.json()["id"]
    with schema_context(world.t.schema_name):
        assert ProductMedia.objects.filter(product_id=world.ids["P1"]).count() == 1
    assert api.delete(f"{base}/{media_id}").status_code == 204
    with schema_context(world.t.schema_name):
        assert not ProductMedia.objects.exists()


def test_server_side_upload_of_a_small_file(make_merchant, sandbox_server):
    from django.core.files.uploadedfile import SimpleUploadedFile

    world = build_world(make_merchant)
    token = token_pair_issue(user=world.users["merchant"]).access
    api = Client(HTTP_HOST=f"{world.t.slug}.localhost", HTTP_AUTHORIZATION=f"Bearer {token}")
    url = f"/api/v1/console/products/{world.ids['P2']}/media/upload"
    response = api.post(url, {"file": SimpleUploadedFile("pixel.png", PNG, content_type="image/png")})
    assert response.status_code == 201, response.content
    assert response.json()["public_id"].startswith(f"merchants/{world.t.schema_name}/products/")
    assert httpx.get(response.json()["thumbnail_url"], timeout=10).status_code == 200
    bad = api.post(url, {"file": SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain")})
    assert (bad.status_code, bad.json()["code"]) == (400, "unsupported_type")

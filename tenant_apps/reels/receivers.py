"""Cloudinary's "eager" notification (shared_apps.media, public schema) marks the reel's renditions ready in the
merchant's schema, and publishes the reel if it was approved meanwhile."""

from __future__ import annotations

from django.dispatch import receiver
from django_tenants.utils import schema_context

from shared_apps.media.signals import media_derivatives_ready
from tenant_apps.reels.services import FOLDER, reel_media_apply


@receiver(media_derivatives_ready, dispatch_uid="reels-media-ready")
def _derivatives_ready(sender, *, public_id: str, tenant_schema: str, ready: bool, **kwargs) -> None:
    if public_id.startswith(f"merchants/{tenant_schema}/{FOLDER}/"):
        with schema_context(tenant_schema):
            reel_media_apply(public_id=public_id, ready=ready)

"""What media tells the floors above (docs/architecture.md: a lower floor tells a higher one through signals)."""

from django.dispatch import Signal

# Cloudinary finished (or failed) a video's eager renditions: kwargs public_id, tenant_schema, ready (bool).
# Sent outside any tenant schema (the webhook runs on the public host); receivers switch schema themselves.
media_derivatives_ready = Signal()

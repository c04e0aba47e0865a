"""Reels: a merchant's short videos (≤60 s, vertical first) tied to one to five of its products (tenant schema).

Upload: signed direct (chunked) upload to Cloudinary with eager HLS (sp_auto), MP4/WebM (f_auto,q_auto) and a poster;
moderation in the public schema (shared_apps.reel_review); publication to the marketplace through the outbox.

Publication contract (for the public feed index, marketplace side)
-------------------------------------------------------------------
Every change of what customers may see of a reel appends, in the same transaction,
``OutboxEvent(entity="reel", entity_id=<reel id>, payload=<dict>)`` (tenant_apps/outbox). The payload is rebuilt
from the reel's state at that moment by ``tenant_apps.reels.selectors.reel_feed_payload(reel=...)`` — the newest
event of a reel (highest OutboxEvent id) always describes the reel as it is; any older one can be skipped. Use the
event id as the index row's version, as listings do (docs/decisions/0002-listing-sync.md).

``kind == "reel.published"`` (approved, video ready; upsert the index row)::

    {
      "kind": "reel.published",
      "reel_id": 12,                      # id in the merchant's schema: (schema, reel_id) is unique
      "merchant_id": 3, "schema": "m_naan_house", "merchant_name": "Naan House",
      "store_id": 1, "store_name": "Naan House", "store_slug": "naan-house",
      "branches": [{"id": 1, "name": "Gulberg", "lat": "31.520400", "lng": "74.358700"}],   # lat/lng: decimal str
      "hls_url": "https://.../sp_auto/....m3u8", "mp4_url": "https://.../f_auto,q_auto/....mp4",
      "webm_url": "https://.../....webm", "poster_url": "https://.../....jpg",
      "duration_s": 12.4, "width": 720, "height": 1280,
      "caption": "Fresh naan out of the tandoor",
      "products": [{"id": 7, "name": "Garlic naan", "slug": "garlic-naan", "position": 1}],  # 1 to 5, by position
      "published_at": "2026-12-07T20:00:00+00:00"   # ISO 8601; may lie in the future (scheduled): show from then
    }

``kind == "reel.withdrawn"`` (deleted, rejected, taken back for review, every branch closed; delete the row)::

    {"kind": "reel.withdrawn", "reel_id": 12, "merchant_id": 3, "schema": "m_naan_house"}

Per-reel statistics are read through ``tenant_apps.reels.selectors.reel_stats(*, merchant, reel_ids)``.
"""

"""Merchant media on Cloudinary: signed direct uploads from the browser, server-side uploads of small files, delivery
URLs, deletion after commit (Celery, retried), and Cloudinary's signed notifications. Tables: public schema.

Services: `shared_apps.media.services`; webhook: `POST /api/v1/media/webhooks/cloudinary` (shared_apps.media.api).
Protocol and sandbox: ../../shared/docs/providers.md ("Cloudinary"), sandboxes/cloudinary.py.
"""

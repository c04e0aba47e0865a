"""Tenant schema work off the request path (beat)."""

from __future__ import annotations

from celery import shared_task

from tenants.schema_spares import spares_refill


@shared_task(name="tenants.tasks.spares_refill")
def spares_refill_task() -> int:
    """Keep TENANT_SPARE_SCHEMAS verified spare schemas ready for provisioning; returns how many were built."""
    return spares_refill().built

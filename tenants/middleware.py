"""Host → schema. django-tenants' TenantMainMiddleware looks the Domain up and resets the connection's search_path
on every request: three statements before the view runs. Here the lookup is cached per process for a few seconds
(dropped at once when this process saves a Merchant or Domain), and the search_path is left alone when the
connection already points at the right schema, so a marketplace request usually costs no statement at all."""

from __future__ import annotations

import copy
import threading
import time

from django.core.exceptions import DisallowedHost
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django_tenants.middleware.main import TenantMainMiddleware
from django_tenants.utils import get_tenant_domain_model

from tenants.models import Domain, Merchant
from tenants.views import merchant_unavailable, unknown_host

HOST_CACHE_SECONDS = 5.0  # other processes see a suspension within this long
_hosts: dict[str, tuple[float, Merchant | None]] = {}
_lock = threading.Lock()


def _forget_hosts() -> None:
    with _lock:
        _hosts.clear()


@receiver([post_save, post_delete], sender=Merchant)
@receiver([post_save, post_delete], sender=Domain)
def _host_changed(**_: object) -> None:
    _forget_hosts()
    transaction.on_commit(_forget_hosts)  # a request between the save and the commit may have cached the old row


class MerchantHostMiddleware(TenantMainMiddleware):
    """Resolve the host to a schema (django-tenants). Unknown or disallowed hosts get the friendly 404 page, and a
    suspended merchant's host a page that says so, before any view or schema-specific code runs."""

    def _tenant_for(self, hostname: str) -> Merchant | None:
        now = time.monotonic()
        cached = _hosts.get(hostname)
        if cached is not None and now - cached[0] < HOST_CACHE_SECONDS:
            return copy.copy(cached[1]) if cached[1] is not None else None
        connection.set_schema_to_public()
        domain_model = get_tenant_domain_model()
        try:
            tenant = self.get_tenant(domain_model, hostname)
        except domain_model.DoesNotExist:
            tenant = None
        with _lock:
            _hosts[hostname] = (now, tenant)
        return copy.copy(tenant) if tenant is not None else None

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        try:
            hostname = self.hostname_from_request(request)
        except DisallowedHost:  # never a bare error page
            return unknown_host(request)
        tenant = self._tenant_for(hostname)
        if tenant is None:
            connection.set_schema_to_public()
            return self.no_tenant_found(request, hostname)
        tenant.domain_url = hostname
        request.tenant = tenant
        if getattr(connection, "schema_name", None) == tenant.schema_name:
            connection.tenant = tenant  # same schema: keep the search_path the connection already has
        else:
            connection.set_tenant(tenant)
        self.setup_url_routing(request)
        if tenant.schema_name != "public" and not tenant.console_open:
            return merchant_unavailable(request)
        return None

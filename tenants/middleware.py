from django.http import HttpRequest, HttpResponse
from django_tenants.middleware.main import TenantMainMiddleware

from tenants.models import MerchantStatus


class MerchantHostMiddleware(TenantMainMiddleware):
    """Resolve the host to a schema (django-tenants). Unknown or disallowed hosts get the friendly 404 page, and a
    suspended merchant's host a page that says so, before any view or schema-specific code runs."""

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        from config.views import merchant_unavailable, unknown_host

        try:
            request.get_host()
        except Exception:  # DisallowedHost: never a bare error page
            return unknown_host(request)
        response = super().process_request(request)
        if response is not None:
            return response
        tenant = request.tenant
        if tenant.schema_name != "public" and tenant.status != MerchantStatus.ACTIVE:
            return merchant_unavailable(request)
        return None

"""The two JSON APIs (django-ninja) and the one error envelope every 4xx/5xx uses: {"code", "message", "field"}."""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from kernel.errors import CommonErrorCode, DomainError

log = logging.getLogger(__name__)


def _envelope(api: NinjaAPI, request: HttpRequest, code: Any, message: str, field: str | None, status: int):
    return api.create_response(request, {"code": str(code), "message": message, "field": field}, status=status)


def _field_of(error: dict[str, Any]) -> str | None:
    # ninja locations look like ("body", "payload", "slug") or ("query", "radius_km"): keep the user's field name.
    parts = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "header", "cookie", "form")]
    parts = [p for p in parts if p not in ("payload", "data", "filters")]
    return ".".join(parts) or None


def install_error_handlers(api: NinjaAPI) -> NinjaAPI:
    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        response = api.create_response(request, exc.as_dict(), status=exc.status)
        if exc.retry_after is not None:
            response["Retry-After"] = str(exc.retry_after)
        return response

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        first = exc.errors[0] if exc.errors else {}
        field = _field_of(first)
        message = first.get("msg", "The request is not valid.")
        if field:
            message = f"{field}: {message}"
        return _envelope(api, request, CommonErrorCode.INVALID, message, field, 400)

    @api.exception_handler(AuthenticationError)
    def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        code = CommonErrorCode.UNAUTHENTICATED
        return _envelope(api, request, code, code.default_message, None, 401)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        code = CommonErrorCode.NOT_FOUND
        return _envelope(api, request, code, code.default_message, None, 404)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        by_status = {c.status: c for c in CommonErrorCode}
        code = by_status.get(exc.status_code, CommonErrorCode.INVALID)
        return _envelope(api, request, code, str(exc) or code.default_message, None, exc.status_code)

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        log.exception("unhandled API error on %s %s", request.method, request.path)
        code = CommonErrorCode.INTERNAL
        return _envelope(api, request, code, code.default_message, None, 500)

    return api


def _public_api() -> NinjaAPI:
    # routers import models: read them when the URLconf is built, after the apps are ready
    from marketplace.cart.api import router as cart_router
    from marketplace.checkout.api import router as checkout_router
    from marketplace.discovery.api import router as discovery_router
    from marketplace.orders.api import router as orders_router
    from shared_apps.accounts.api import router as accounts_router
    from shared_apps.media.api import router as media_router
    from shared_apps.payments.api import router as payments_router
    from shared_apps.platform.api import router as platform_router

    api = NinjaAPI(
        title="Planckly API",
        version="1",
        description="Marketplace, customer and platform endpoints. Merchant consoles: /api/v1/console/ on each host.",
        urls_namespace="api-v1",
    )
    api.add_router("", accounts_router)
    api.add_router("/platform", platform_router, tags=["platform"])
    api.add_router("/media", media_router)
    api.add_router("", discovery_router)
    api.add_router("", cart_router)
    api.add_router("", checkout_router)
    api.add_router("", orders_router)
    api.add_router("", payments_router)
    return install_error_handlers(api)


def _console_api() -> NinjaAPI:
    # routers import models: read them when the URLconf is built, after the apps are ready
    from tenant_apps.catalog.api import router as catalog_router
    from tenant_apps.catalog.csv_api import router as csv_router
    from tenant_apps.inventory.api import router as inventory_router
    from tenant_apps.orders.api import router as orders_router
    from tenant_apps.orders.payments_api import router as console_payments_router
    from tenant_apps.staff.api import router as staff_router
    from tenant_apps.stores.api import router as stores_router

    api = NinjaAPI(
        title="Planckly merchant console API",
        version="1",
        description="Served on <slug>.<domain>; every route is scoped to the caller's membership in that merchant.",
        urls_namespace="console-api-v1",
    )
    api.add_router("", stores_router)
    api.add_router("", staff_router)
    api.add_router("", catalog_router)
    api.add_router("", inventory_router)
    api.add_router("", csv_router)
    api.add_router("", orders_router)
    api.add_router("", console_payments_router)
    return install_error_handlers(api)


public_api = _public_api()
console_api = _console_api()

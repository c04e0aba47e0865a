"""The two JSON APIs (django-ninja) and the one error envelope every 4xx/5xx uses:
{"code", "message", "field", "details"} (kernel/errors.py: error_body)."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.http.request import RawPostDataException
from django.utils.module_loading import import_string
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from config.openapi import PlancklyAPI
from kernel.errors import CommonErrorCode, DomainError, error_body
from kernel.jsonparse import JsonInvalid, JsonNumberTooLarge, json_loads
from kernel.outages import OUTAGE_RETRY_AFTER_S, is_outage

log = logging.getLogger(__name__)


def _envelope(api: NinjaAPI, request: HttpRequest, code: Any, message: str, field: str | None, status: int):
    return api.create_response(request, error_body(code, message, field=field), status=status)


class JsonParser(Parser):
    """Request bodies through the one JSON entry point (kernel/jsonparse.py): too deep is a 400 like any bad JSON."""

    def parse_body(self, request: HttpRequest) -> Any:
        value = json_loads(request.body)
        if not isinstance(value, dict):  # every body of ours is an object; ninja would read a list as `{}`
            raise JsonInvalid("The body must be a JSON object.")
        return value


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
        if isinstance(exc.__cause__, JsonNumberTooLarge):  # ninja wraps whatever the parser raises
            code = CommonErrorCode.NUMBER_TOO_LARGE
            return _envelope(api, request, code, code.default_message, None, 400)
        by_status = {c.status: c for c in reversed(CommonErrorCode)}  # the first code declared for a status
        code = by_status.get(exc.status_code, CommonErrorCode.INVALID)
        return _envelope(api, request, code, str(exc) or code.default_message, None, exc.status_code)

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        code = CommonErrorCode.BODY_TOO_LARGE
        return _envelope(api, request, code, code.default_message, None, 413)

    @api.exception_handler(RawPostDataException)
    def not_json(request: HttpRequest, exc: RawPostDataException) -> HttpResponse:
        # An upload (multipart, over the plain body limit: the door read it as a form and kept no raw copy) sent
        # to a route that reads a JSON body. A smaller one is kept raw and fails JSON parsing with this same 400.
        code = CommonErrorCode.INVALID
        return _envelope(api, request, code, "Cannot parse request body", None, 400)

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        if is_outage(exc):  # Redis or PostgreSQL not answering: the client may retry, nothing was wrong with it
            log.warning("dependency outage on %s %s: %r", request.method, request.path, exc)
            code = CommonErrorCode.UNAVAILABLE
            response = _envelope(api, request, code, code.default_message, None, 503)
            response["Retry-After"] = str(OUTAGE_RETRY_AFTER_S)
            return response
        log.exception("unhandled API error on %s %s", request.method, request.path)
        code = CommonErrorCode.INTERNAL
        return _envelope(api, request, code, code.default_message, None, 500)

    return api


def _api(
    *,
    title: str,
    description: str,
    namespace: str,
    routers: tuple[tuple[str, str, str], ...],
    console: bool = False,
) -> NinjaAPI:
    """One API from its routers as (prefix, dotted path, tag or ""): routers import models, so they are read here,
    when the URLconf is built after the apps are ready, not when this module is. Its OpenAPI document lists every
    operation's error answers (config/openapi.py)."""
    api = PlancklyAPI(title=title, version="1", description=description, urls_namespace=namespace, parser=JsonParser())
    api.console = console
    for prefix, path, tag in routers:
        api.add_router(prefix, import_string(path), tags=[tag] if tag else None)
    return install_error_handlers(api)


public_api = _api(
    title="Planckly API",
    description=(
        "Marketplace and customer endpoints. Merchant consoles: /api/v1/console/ on each host; platform operations: "
        "/api/v1/platform/ (their own document, /api/v1/platform/openapi.json)."
    ),
    namespace="api-v1",
    routers=(
        ("", "shared_apps.accounts.api.router", ""),
        ("", "shared_apps.accounts.address_api.router", ""),
        ("/media", "shared_apps.media.api.router", ""),
        ("", "marketplace.discovery.api.router", ""),
        ("", "marketplace.cart.api.router", ""),
        ("", "marketplace.checkout.api.router", ""),
        ("", "marketplace.orders.api.router", ""),
        ("", "marketplace.reels.api.router", ""),
        ("", "marketplace.history.api.router", ""),
        ("", "marketplace.recommendations.api.router", ""),
        ("", "shared_apps.payments.api.router", ""),
        ("", "shared_apps.logistics.api.router", ""),
    ),
)
# Mounted at /api/v1/platform/ before public_api (config/urls_public.py): the paths are the ones platform clients
# always used; only the document is separate, as its audience (platform admins, session + TOTP) is.
platform_api = _api(
    title="Planckly platform API",
    description="Platform operations on merchants, for platform admins (session + TOTP) on the marketplace host.",
    namespace="platform-api-v1",
    routers=(("", "shared_apps.platform.api.router", "platform"),),
)
console_api = _api(
    title="Planckly merchant console API",
    description="Served on <slug>.<domain>; every route is scoped to the caller's membership in that merchant.",
    namespace="console-api-v1",
    routers=(
        ("", "tenant_apps.stores.api.router", ""),
        ("", "tenant_apps.staff.api.router", ""),
        ("", "tenant_apps.catalog.api.router", ""),
        ("", "tenant_apps.inventory.api.router", ""),
        ("", "tenant_apps.catalog.csv_api.router", ""),
        ("", "tenant_apps.orders.api.router", ""),
        ("", "tenant_apps.orders.payments_api.router", ""),
        ("", "tenant_apps.fulfilment.api.router", ""),
        ("", "tenant_apps.reels.api.router", ""),
    ),
    console=True,
)

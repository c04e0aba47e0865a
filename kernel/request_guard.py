"""The door every request passes first (settings.MIDDLEWARE[0]): inputs no view can store are refused here, once,
and every error answered on an /api/ path leaves as the JSON envelope.

Refused before any other code reads the request:
- a body larger than settings.REQUEST_BODY_MAX_BYTES (multipart uploads: REQUEST_UPLOAD_MAX_BYTES, the largest
  file an app takes) → 413. Django's own limit (DATA_UPLOAD_MAX_MEMORY_SIZE, set to the same figure) raised
  RequestDataTooBig inside views, which the APIs answered with 500;
- a NUL character anywhere in the path, the query string or a text body (raw, %00 in a form, \\u0000 in JSON)
  → 400. PostgreSQL refuses NUL in text and jsonb, so every stored string field answered 500; no field of the
  product takes one, and a provider that sends one gets the same 400 (its notification is refused unread, not
  half-stored). Files in multipart uploads are binary and pass; their text fields are checked.

On /api/ paths, whatever answered the error — Django's 405 for a method a route lacks, the unknown-host page of
tenants.middleware, a CSRF refusal, a 404 from the URLconf — leaves as `{"code", "message", "field", "details"}`
with the same status and headers (Allow, Retry-After).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render

from kernel.errors import CommonErrorCode, ErrorCode, error_body

API_PREFIX = "/api/"
# a JSON escape of NUL: \u0000 preceded by an even number of backslashes (an escaped backslash is text, not NUL)
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000", re.IGNORECASE)
_BY_STATUS: dict[int, ErrorCode] = {c.status: c for c in reversed(CommonErrorCode)}  # type: ignore[attr-defined]
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def refusal(request: HttpRequest, code: ErrorCode, *, field: str | None = None) -> HttpResponse:
    """The answer to a request refused at the door: the envelope on /api/, a plain page elsewhere."""
    status: int = code.status  # type: ignore[attr-defined]
    if is_api(request):
        return JsonResponse(error_body(code, field=field), status=status)
    context = {"status": status, "message": code.default_message}  # type: ignore[attr-defined]
    return render(request, "errors/refused.html", context, status=status)


def _declared_length(request: HttpRequest) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None


def _nul_in_body(request: HttpRequest) -> bool:
    content_type = request.content_type or ""
    if content_type == "multipart/form-data":
        if (_declared_length(request) or 0) <= settings.REQUEST_BODY_MAX_BYTES:
            request.body  # noqa: B018 - kept: a view that reads the raw body (a webhook) still can after POST is read
        return any("\x00" in key or any("\x00" in v for v in values) for key, values in request.POST.lists())
    body = request.body
    if b"\x00" in body:
        return True
    if content_type == "application/x-www-form-urlencoded":
        return b"%00" in body
    return bool(_JSON_NUL.search(body)) if b"\\" in body else False


def _check(request: HttpRequest) -> HttpResponse | None:
    length = _declared_length(request)
    if length is None:
        return refusal(request, CommonErrorCode.INVALID)
    limit = (
        settings.REQUEST_UPLOAD_MAX_BYTES
        if request.content_type == "multipart/form-data"
        else settings.REQUEST_BODY_MAX_BYTES
    )
    if length > limit:
        return refusal(request, CommonErrorCode.BODY_TOO_LARGE)
    query = request.META.get("QUERY_STRING", "")
    if "\x00" in request.path or "%00" in query or "\x00" in query:
        return refusal(request, CommonErrorCode.NUL_CHARACTER)
    if length:
        try:
            if _nul_in_body(request):
                return refusal(request, CommonErrorCode.NUL_CHARACTER)
        except RequestDataTooBig:  # a multipart form's text fields beyond DATA_UPLOAD_MAX_MEMORY_SIZE
            return refusal(request, CommonErrorCode.BODY_TOO_LARGE)
        except (MultiPartParserError, SuspiciousOperation):  # a broken multipart body, too many fields or files
            return refusal(request, CommonErrorCode.INVALID)
    return None


def _as_envelope(response: HttpResponse) -> HttpResponse:
    code = _BY_STATUS.get(response.status_code) or (
        CommonErrorCode.INTERNAL if response.status_code >= 500 else CommonErrorCode.INVALID
    )
    message = code.default_message  # type: ignore[attr-defined]
    if response.status_code == 403 and "CSRF" in response.content.decode(errors="replace")[:2000]:
        message = "The CSRF token is missing or stale."
    envelope = JsonResponse(error_body(code, message), status=response.status_code)
    for header in _KEPT_HEADERS:
        if header in response:
            envelope[header] = response[header]
    for cookie in response.cookies.values():
        envelope.cookies[cookie.key] = cookie
    return envelope


class RequestGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = _check(request) or self.get_response(request)
        if (
            response.status_code >= 400
            and is_api(request)
            and not response.get("Content-Type", "").startswith("application/json")
            and not response.streaming
        ):
            return _as_envelope(response)
        return response

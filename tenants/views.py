"""The pages a host gets before any app runs: an unknown host, a merchant that is not serving (tenants.middleware)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def unknown_host(request: HttpRequest) -> HttpResponse:
    host = request.META.get("HTTP_HOST", "")[:100]
    return render(request, "errors/unknown_host.html", {"host": host}, status=404)


def merchant_unavailable(request: HttpRequest) -> HttpResponse:
    return render(request, "errors/merchant_unavailable.html", {"merchant": request.tenant}, status=403)

"""Cross-cutting pages and probes: unknown host, unavailable merchant, /healthz, /readyz, /metrics."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from config.celery import app
from config.metrics import BacklogCollector, metrics_allowed
from kernel.errors import CommonErrorCode
from kernel.metrics import metrics_exposition


def surface(request: HttpRequest) -> dict[str, Any]:
    """Template context: which surface (marketplace or console) and the merchant being served."""
    tenant = getattr(request, "tenant", None)
    is_console = tenant is not None and tenant.schema_name != "public"
    actor = getattr(request, "actor", None)
    return {
        "surface": "console" if is_console else "marketplace",
        "merchant": tenant if is_console else None,
        "base_domain": settings.BASE_DOMAIN,
        "actor": actor,
        "actor_perms": {p.replace(".", "_") for p in actor.permissions} if actor else set(),
        "map_tiles": {"url": settings.MAP_TILE_URL, "attribution": settings.MAP_TILE_ATTRIBUTION},
    }


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        code = CommonErrorCode.NOT_FOUND
        return JsonResponse({"code": str(code), "message": code.default_message, "field": None}, status=404)
    return render(request, "errors/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "errors/500.html", status=500)


def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and serving. Touches nothing else."""
    return JsonResponse({"status": "ok"})


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _check_redis() -> str:
    cache.set("readyz", "1", timeout=5)
    return "ok" if cache.get("readyz") == "1" else "read back failed"


def _check_celery() -> str:
    replies = app.control.inspect(timeout=1.0).ping() or {}
    return "ok" if replies else "no worker answered"


def readyz(request: HttpRequest) -> JsonResponse:
    """Database, Redis and a Celery worker reachable: 200, else 503 naming what failed."""
    checks: dict[str, str] = {}
    for name, check in (("database", _check_database), ("redis", _check_redis), ("celery", _check_celery)):
        try:
            checks[name] = check()
        except Exception as exc:
            checks[name] = f"error: {type(exc).__name__}"
    failed = [name for name, result in checks.items() if result != "ok"]
    body = {"status": "ok" if not failed else "unavailable", "checks": checks, "failed": failed}
    return JsonResponse(body, status=200 if not failed else 503)


def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format: every web and worker process's samples and the backlogs read now. A 404 to anyone
    not allowed (config/metrics.py: metrics_allowed): its existence is not advertised."""
    if not metrics_allowed(request):
        raise Http404
    body, content_type = metrics_exposition([BacklogCollector()])
    return HttpResponse(body, content_type=content_type)

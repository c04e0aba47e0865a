"""Console page for reels: the list with statistics, the upload form (static/reels/studio.js uploads straight to
Cloudinary through the console API), delete. Thin: services do the work."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from tenant_apps.catalog.models import ProductStatus
from tenant_apps.reels import services
from tenant_apps.reels.checks import CHECK_LABELS
from tenant_apps.reels.models import MAX_DURATION_S, MAX_PRODUCTS
from tenant_apps.reels.selectors import reel_stats
from tenant_apps.staff.access import access_reel_by_id, scoped_branches, scoped_products, scoped_reels
from tenant_apps.staff.pages import console_page
from tenant_apps.staff.permissions import Perm

LIST_LIMIT = 100


@require_http_methods(["GET", "POST"])
@console_page(Perm.REELS_VIEW)
def reel_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and request.POST.get("action") == "delete":
        reel_id = request.POST.get("reel_id", "")
        reel = access_reel_by_id(
            actor=request.actor, reel_id=int(reel_id) if reel_id.isdigit() else 0, perm=Perm.REELS_MANAGE
        )  # out of scope or not allowed: the decorator answers the 404 / 403 page
        services.reel_delete(actor=request.actor, reel=reel)
        return redirect("/reels/")
    reels = list(scoped_reels(request.actor).prefetch_related("branches", "tags__product")[:LIST_LIMIT])
    stats = reel_stats(merchant=request.tenant, reel_ids=[r.pk for r in reels])
    can_manage = Perm.REELS_MANAGE in request.actor.permissions
    rows = [
        {
            "reel": r,
            "stats": stats[r.pk],
            "failures": [CHECK_LABELS.get(c, c) for c in r.check_failures],
            "products": [t.product.name for t in sorted(r.tags.all(), key=lambda t: t.position)],
            "branches": [b.name for b in r.branches.all()],
        }
        for r in reels
    ]
    context = {
        "rows": rows,
        "can_manage": can_manage,
        "max_duration": MAX_DURATION_S,
        "max_products": MAX_PRODUCTS,
        "now": timezone.now(),
    }
    if can_manage:
        context["branches"] = list(
            scoped_branches(request.actor).filter(is_active=True).order_by("store__name", "name")
        )
        context["products"] = list(
            scoped_products(request.actor)
            .filter(status=ProductStatus.ACTIVE)
            .prefetch_related(None)
            .select_related(None)
            .only("id", "name", "store_id")[:500]
        )
    return render(request, "reels/reel_list.html", context)

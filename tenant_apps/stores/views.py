from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from config.errors import DomainError
from tenant_apps.staff.access import access_branch_by_id, scoped_branches, scoped_memberships
from tenant_apps.staff.models import Role
from tenant_apps.staff.pages import console_error_page, console_page
from tenant_apps.staff.permissions import Perm
from tenant_apps.stores import selectors


@console_page(Perm.DASHBOARD_VIEW)
def console_home(request: HttpRequest) -> HttpResponse:
    """Each role lands on its own dashboard: Merchant all stores, Shop Owner its store, Branch Manager its branch and
    staff, Employee its task queue. Figures are scoped by the same selectors as the API."""
    actor = request.actor
    context = {
        "actor": actor,
        "summary": selectors.console_summary(actor=actor),
        "stores": selectors.stores_with_counts(actor=actor),
        "branches": scoped_branches(actor).order_by("store__name", "name"),
    }
    if actor.role == Role.BRANCH_MANAGER:
        context["team"] = scoped_memberships(actor).filter(is_active=True).exclude(pk=actor.pk)
    return render(request, f"stores/dashboard_{actor.role}.html", context)


@console_page(Perm.BRANCH_VIEW)
def branch_detail(request: HttpRequest, branch_id: int) -> HttpResponse:
    try:
        branch = access_branch_by_id(actor=request.actor, branch_id=branch_id)
    except DomainError as exc:
        return console_error_page(request, exc)
    staff = scoped_memberships(request.actor).filter(branch=branch, is_active=True)
    return render(request, "stores/branch_detail.html", {"branch": branch, "staff": staff})

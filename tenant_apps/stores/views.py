from functools import cache

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.views.decorators.http import require_http_methods

from kernel.errors import DomainError
from tenant_apps.orders.selectors import Period, order_board, order_figures
from tenant_apps.orders.views import order_queue_context
from tenant_apps.staff.access import (
    HomeOrders,
    access_branch_by_id,
    access_chosen_branch,
    access_store_by_id,
    branch_choices,
    home_orders,
    scoped_branches,
    scoped_memberships,
    scoped_team,
)
from tenant_apps.staff.pages import console_error_page, console_page
from tenant_apps.staff.permissions import Perm
from tenant_apps.stores import selectors, services
from tenant_apps.stores.services import DAYS

CHECKLIST_TEMPLATE = "stores/_onboarding_checklist.html"
LOW_STOCK_ON_HOME = 10  # the dashboard's alert; "see all" opens the full list
LOW_STOCK_PAGE_SIZE = 50


@cache
def onboarding_checklist_available() -> bool:
    """Whether the onboarding checklist's template is installed (it arrives with the sign-up flow)."""
    try:
        get_template(CHECKLIST_TEMPLATE)
    except TemplateDoesNotExist:
        return False
    return True


@console_page(Perm.DASHBOARD_VIEW)
def console_home(request: HttpRequest) -> HttpResponse:
    """Each role lands on its own dashboard: Merchant all stores, Shop Owner its store, Branch Manager its branch and
    staff, Employee its task queue. Figures are scoped by the same selectors as the API; order figures (today, last
    7 days, a bar chart) are aggregated in SQL, two queries; the board over the chosen ?period= (today, 7d, 30d: top
    products, average order value, per branch orders, sales and preparation time) three more."""
    actor = request.actor
    period = Period.of(request.GET.get("period", ""))
    context = {
        # The onboarding checklist (sign-up flow) shows on the owners' dashboards until the shop is set up; the flag
        # is false while its template is not installed, so the dashboard renders without it.
        "show_checklist": onboarding_checklist_available(),
        "actor": actor,
        "summary": selectors.console_summary(actor=actor),
        "stores": selectors.stores_with_counts(actor=actor),
        "branches": scoped_branches(actor).order_by("store__name", "name"),
        "low_stock": selectors.low_stock(actor=actor)[:LOW_STOCK_ON_HOME],
        "team": scoped_team(actor),  # lazy: only the Branch Manager's dashboard reads it
    }
    orders = home_orders(actor)
    if orders == HomeOrders.QUEUE:
        context.update(order_queue_context(actor=actor, branch=actor.branch))
    elif orders == HomeOrders.FIGURES:
        context["figures"] = order_figures(actor=actor)
        context["board"] = order_board(actor=actor, period=period)
        context["periods"] = list(Period)
    return render(request, f"stores/dashboard_{actor.role}.html", context)


@console_page(Perm.STOCK_VIEW)
def low_stock_page(request: HttpRequest) -> HttpResponse:
    """Everything at or under its "only N left" threshold in the actor's branches, emptiest first, paginated; a
    Merchant or Shop Owner may narrow it to one branch (?branch=)."""
    actor = request.actor
    branch = access_chosen_branch(actor=actor, chosen=request.GET.get("branch", ""), perm=Perm.STOCK_VIEW)
    levels = selectors.low_stock(actor=actor)
    if branch is not None:
        levels = levels.filter(branch_id=branch.pk)
    page = Paginator(levels, LOW_STOCK_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "branch": branch, "branches": branch_choices(actor)}
    return render(request, "stores/low_stock.html", context)


def _hours_from_form(data) -> dict:
    """One period per day from "09:00-22:00"-style inputs; an empty input means closed that day."""
    hours = {}
    for day in DAYS:
        value = (data.get(f"hours_{day}") or "").strip()
        if value:
            opens, _, closes = value.replace("\u2013", "-").partition("-")  # people type en dashes too
            hours[day] = [[opens.strip(), closes.strip()]]
    return hours


@require_http_methods(["GET", "POST"])
@console_page(Perm.BRANCH_VIEW)
def branch_detail(request: HttpRequest, branch_id: int) -> HttpResponse:
    error = None
    try:
        branch = access_branch_by_id(actor=request.actor, branch_id=branch_id)
        if request.method == "POST":
            access_branch_by_id(actor=request.actor, branch_id=branch_id, perm=Perm.BRANCH_MANAGE)
            data = request.POST
            services.branch_update(
                branch=branch,
                phone=data.get("phone", ""),
                opening_hours=_hours_from_form(data),
                hours_exceptions=branch.hours_exceptions,
                offers_pickup="offers_pickup" in data,
                offers_delivery="offers_delivery" in data,
                offers_partner_delivery="offers_partner_delivery" in data,
                delivery_radius_km=data.get("delivery_radius_km") or "0",
                delivery_fee=data.get("delivery_fee") or "0",
                delivery_min_order=data.get("delivery_min_order") or "0",
            )
            return redirect(f"/branches/{branch_id}/")
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            return console_error_page(request, exc)
        error = exc
        branch = access_branch_by_id(actor=request.actor, branch_id=branch_id)
    staff = scoped_memberships(request.actor).filter(branch=branch, is_active=True).select_related("user")
    hours = [
        (day, "-".join(branch.opening_hours.get(day, [[]])[0]) if branch.opening_hours.get(day) else "") for day in DAYS
    ]
    context = {
        "branch": branch,
        "staff": staff,
        "hours": hours,
        "error": error,
        "can_manage": Perm.BRANCH_MANAGE in request.actor.permissions,
    }
    return render(request, "stores/branch_detail.html", context, status=error.status if error else 200)


@require_http_methods(["POST"])
@console_page(Perm.BRANCH_CREATE)
def branch_new(request: HttpRequest) -> HttpResponse:
    """A new branch of a store in the actor's scope (Merchant: any store; Shop Owner: its own)."""
    data = request.POST
    try:
        store = access_store_by_id(
            actor=request.actor, store_id=int(data.get("store_id") or 0), perm=Perm.BRANCH_CREATE
        )
        branch = services.branch_create(
            store=store,
            name=data.get("name", ""),
            address=data.get("address", ""),
            area=data.get("area", ""),
            latitude=data.get("latitude", ""),
            longitude=data.get("longitude", ""),
            offers_pickup=True,
            opening_hours={day: [["09:00", "21:00"]] for day in DAYS},
        )
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            return console_error_page(request, exc)
        return render(request, "stores/branch_new_error.html", {"message": exc.message}, status=exc.status)
    return redirect(f"/branches/{branch.pk}/")

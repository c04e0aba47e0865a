"""Console pages of stores and branches: the dashboard, stores (list, new, one), and a branch's pages (view, new,
edit with the map, hours, delivery). Thin: the access layer gives the objects, services write, and a form sent back
with an error is shown again with what was typed and the message next to its field."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.views.decorators.http import require_http_methods

from kernel.errors import DomainError
from shared_apps.media.errors import MediaError, MediaErrorCode
from shared_apps.media.services import asset_upload, delivery_url, tenant_folder
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
from tenant_apps.staff.pages import console_page
from tenant_apps.staff.permissions import Perm
from tenant_apps.stores import selectors, services
from tenant_apps.stores.areas import DEFAULT_CITY, areas_of
from tenant_apps.stores.hours import DAYS, opening_state
from tenant_apps.stores.hours_form import (
    DAY_LABELS,
    hours_form_from_branch,
    hours_form_from_post,
    hours_from_form,
)
from tenant_apps.stores.models import Branch, Store

LOGO_FOLDER = "stores"

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


def _form_error(request: HttpRequest, exc: DomainError) -> DomainError:
    """A DomainError a form shows next to its field; access failures go to the error pages instead."""
    if exc.status in (401, 403, 404):
        raise exc
    return exc


def _logo_url(store: Store) -> str:
    if not store.logo_public_id:
        return ""
    return delivery_url(public_id=store.logo_public_id, resource_type="image", variant="thumb")


# ---- stores --------------------------------------------------------------------------------------------------------


@console_page(Perm.STORE_MANAGE)
def store_list(request: HttpRequest) -> HttpResponse:
    """The stores the actor manages (a Shop Owner: its own), open and closed, with their branch counts."""
    stores = [(store, _logo_url(store)) for store in selectors.stores_with_counts(actor=request.actor)]
    return render(request, "stores/store_list.html", {"stores": stores})


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


@require_http_methods(["GET", "POST"])
@console_page(Perm.STORE_CREATE)
def store_new(request: HttpRequest) -> HttpResponse:
    """Name, description and phone; the logo is added on the store's page once it exists."""
    error = None
    values: QueryDict | dict[str, Any] = {}
    if request.method == "POST":
        values = request.POST
        try:
            store = services.store_create(
                name=values.get("name", ""),
                description=values.get("description", ""),
                phone=values.get("phone", ""),
                by=request.actor,
            )
            return redirect(f"/stores/{store.pk}/?created=1")
        except DomainError as exc:
            error = _form_error(request, exc)
    return render(
        request, "stores/store_new.html", {"values": values, "error": error}, status=error.status if error else 200
    )


def _store_logo_upload(request: HttpRequest, store: Store) -> None:
    upload = request.FILES.get("logo")
    if upload is None:
        raise MediaError(MediaErrorCode.FILE_EMPTY, field="logo")
    schema = connection.schema_name
    asset = asset_upload(
        file=upload,
        filename=upload.name,
        tenant_schema=schema,
        folder=tenant_folder(tenant_schema=schema, name=LOGO_FOLDER),
        resource_type="image",
    )
    services.store_logo_set(store=store, public_id=asset.public_id, by=request.actor)


@require_http_methods(["GET", "POST"])
@console_page(Perm.STORE_MANAGE)
def store_detail(request: HttpRequest, store_id: int) -> HttpResponse:
    """One store: details, logo, close/reopen, and its branches with their setup pages."""
    actor = request.actor
    store = access_store_by_id(actor=actor, store_id=store_id, perm=Perm.STORE_MANAGE)
    error, values = None, None
    if request.method == "POST":
        action = request.POST.get("action", "update")
        try:
            if action == "update":
                values = request.POST
                services.store_update(
                    store=store,
                    by=actor,
                    name=values.get("name", ""),
                    description=values.get("description", ""),
                    phone=values.get("phone", ""),
                )
            elif action == "close":
                services.store_close(store=store, by=actor)
            elif action == "reopen":
                services.store_reopen(store=store, by=actor)
            elif action == "logo":
                _store_logo_upload(request, store)
            elif action == "logo_remove":
                services.store_logo_remove(store=store, by=actor)
            return redirect(f"/stores/{store.pk}/")
        except DomainError as exc:
            error = _form_error(request, exc)
            store.refresh_from_db()
    context = {
        "store": store,
        "logo_url": _logo_url(store),
        "values": values or {"name": store.name, "description": store.description, "phone": store.phone},
        "branches": scoped_branches(actor).filter(store=store).order_by("name"),
        "error": error,
        "created": request.GET.get("created") == "1",
        "can_add_branch": Perm.BRANCH_CREATE in actor.permissions and store.is_active,
    }
    return render(request, "stores/store_detail.html", context, status=error.status if error else 200)


# ---- branches ------------------------------------------------------------------------------------------------------


def _area_options(current: str) -> list[dict[str, Any]]:
    """The areas of the city for the area select (each carries its centre for the map), plus the branch's own area
    when it is not one of them, so that saving never changes it behind the shopkeeper's back."""
    options = [
        {"name": a.name, "lat": f"{a.latitude}", "lng": f"{a.longitude}", "selected": a.name == current}
        for a in areas_of(DEFAULT_CITY)
    ]
    if current and not any(o["selected"] for o in options):
        options.insert(0, {"name": current, "lat": "", "lng": "", "selected": True})
    return options


def _branch_form_values(data: QueryDict) -> dict[str, str]:
    return {key: data.get(key, "").strip() for key in ("name", "area", "address", "phone", "latitude", "longitude")}


@require_http_methods(["GET", "POST"])
@console_page(Perm.BRANCH_CREATE)
def branch_new(request: HttpRequest) -> HttpResponse:
    """A new branch of a store in the actor's scope (Merchant: any open store; Shop Owner: its own), its place
    picked on the map. With no store yet, the page sends the Merchant to create one first."""
    actor = request.actor
    stores = list(selectors.stores_for_new_branch(actor=actor))
    error = None
    chosen = request.GET.get("store", "")
    values: dict[str, str] = {"name": "", "area": "", "address": "", "phone": "", "latitude": "", "longitude": ""}
    if request.method == "POST":
        values = _branch_form_values(request.POST)
        chosen = request.POST.get("store_id", "")
        try:
            if not chosen.isdigit():
                raise services.StoresError(services.StoresErrorCode.STORE_REQUIRED, field="store_id")
            store = access_store_by_id(actor=actor, store_id=int(chosen), perm=Perm.BRANCH_CREATE)
            branch = services.branch_create(
                store=store,
                by=actor,
                city=DEFAULT_CITY,
                offers_pickup=True,
                opening_hours={day: [["09:00", "21:00"]] for day in DAYS},  # a start the hours page then changes
                **values,
            )
            return redirect(f"/branches/{branch.pk}/hours/?new=1")
        except DomainError as exc:
            error = _form_error(request, exc)
    if not chosen and len(stores) == 1:
        chosen = str(stores[0].pk)  # one store: nothing to choose
    context = {
        "stores": stores,
        "chosen": chosen,
        "values": values,
        "areas": _area_options(values["area"]),
        "error": error,
        "can_create_store": Perm.STORE_CREATE in actor.permissions,
    }
    return render(request, "stores/branch_new.html", context, status=error.status if error else 200)


@require_http_methods(["GET", "POST"])
@console_page(Perm.BRANCH_MANAGE)
def branch_edit(request: HttpRequest, branch_id: int) -> HttpResponse:
    """Name, area, street address, phone, and the place: the pin on the map (an area re-centres it)."""
    branch = access_branch_by_id(actor=request.actor, branch_id=branch_id, perm=Perm.BRANCH_MANAGE)
    error = None
    values = {
        "name": branch.name,
        "area": branch.area,
        "address": branch.address,
        "phone": branch.phone,
        "latitude": f"{branch.latitude}",
        "longitude": f"{branch.longitude}",
    }
    if request.method == "POST":
        values = _branch_form_values(request.POST)
        try:
            services.branch_update(branch=branch, by=request.actor, **values)
            return redirect(f"/branches/{branch.pk}/")
        except DomainError as exc:
            error = _form_error(request, exc)
    context = {"branch": branch, "values": values, "areas": _area_options(values["area"]), "error": error}
    return render(request, "stores/branch_edit.html", context, status=error.status if error else 200)


@require_http_methods(["GET", "POST"])
@console_page(Perm.BRANCH_MANAGE)
def branch_hours(request: HttpRequest, branch_id: int) -> HttpResponse:
    """The weekly grid (closed / one or two periods / 24 hours per day), presets, and dated exceptions."""
    branch = access_branch_by_id(actor=request.actor, branch_id=branch_id, perm=Perm.BRANCH_MANAGE)
    error = None
    if request.method == "POST":
        form = hours_form_from_post(request.POST)
        try:
            hours, exceptions = hours_from_form(form)
            services.branch_hours_set(branch=branch, opening_hours=hours, hours_exceptions=exceptions, by=request.actor)
            return redirect(
                f"/branches/{branch.pk}/delivery/?new=1" if request.GET.get("new") else f"/branches/{branch.pk}/"
            )
        except DomainError as exc:
            error = _form_error(request, exc)
    else:
        form = hours_form_from_branch(branch.opening_hours, branch.hours_exceptions)
    context = {
        "branch": branch,
        "form": form,
        "error": error,
        "error_at": (error.extra.get("at") if error else None),
        "is_new": request.GET.get("new") == "1",
    }
    return render(request, "stores/branch_hours.html", context, status=error.status if error else 200)


def _delivery_values(data: QueryDict) -> dict[str, Any]:
    return {
        "offers_pickup": "offers_pickup" in data,
        "offers_delivery": "offers_delivery" in data,
        "offers_partner_delivery": "offers_partner_delivery" in data,
        "delivery_radius_km": data.get("delivery_radius_km", "").strip() or "0",
        "delivery_fee": data.get("delivery_fee", "").strip() or "0",
        "delivery_min_order": data.get("delivery_min_order", "").strip() or "0",
        "preparation_minutes": data.get("preparation_minutes", "").strip() or None,  # None: left as it is
    }


@require_http_methods(["GET", "POST"])
@console_page(Perm.BRANCH_MANAGE)
def branch_delivery(request: HttpRequest, branch_id: int) -> HttpResponse:
    """Pickup, own delivery (radius, fee, minimum order, drawn on the map), partner courier."""
    branch = access_branch_by_id(actor=request.actor, branch_id=branch_id, perm=Perm.BRANCH_MANAGE)
    error = None
    values: dict[str, Any] = {
        "offers_pickup": branch.offers_pickup,
        "offers_delivery": branch.offers_delivery,
        "offers_partner_delivery": branch.offers_partner_delivery,
        "delivery_radius_km": f"{branch.delivery_radius_km.normalize():f}",
        "delivery_fee": f"{branch.delivery_fee.normalize():f}",
        "delivery_min_order": f"{branch.delivery_min_order.normalize():f}",
        "preparation_minutes": branch.preparation_minutes,
    }
    if request.method == "POST":
        values = _delivery_values(request.POST)
        try:
            services.branch_delivery_set(branch=branch, by=request.actor, **values)
            return redirect(f"/branches/{branch.pk}/")
        except DomainError as exc:
            error = _form_error(request, exc)
    context = {"branch": branch, "values": values, "error": error, "is_new": request.GET.get("new") == "1"}
    return render(request, "stores/branch_delivery.html", context, status=error.status if error else 200)


def _hours_summary(branch: Branch) -> list[tuple[str, str]]:
    rows = []
    for day in DAYS:
        periods = branch.opening_hours.get(day) or []
        rows.append((str(DAY_LABELS[day]), ", ".join(f"{a}\u2013{b}" for a, b in periods)))
    return rows


@console_page(Perm.BRANCH_VIEW)
def branch_detail(request: HttpRequest, branch_id: int) -> HttpResponse:
    """A branch at a glance: where it is (map), when it is open, how it delivers, who works there."""
    branch = access_branch_by_id(actor=request.actor, branch_id=branch_id)
    staff = scoped_memberships(request.actor).filter(branch=branch, is_active=True).select_related("user")
    context = {
        "branch": branch,
        "staff": staff,
        "hours": _hours_summary(branch),
        "exceptions": sorted(branch.hours_exceptions.items()),
        "state": opening_state(branch.opening_hours, branch.hours_exceptions),
        "radius_km": f"{branch.delivery_radius_km.normalize():f}",  # 3.5, not 3.50
        "can_manage": Perm.BRANCH_MANAGE in request.actor.permissions,
    }
    return render(request, "stores/branch_detail.html", context)

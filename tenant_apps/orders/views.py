"""Console pages for orders: the queue per branch (New / In progress / Ready; the page listens to the branches' live
streams and re-fetches its fragment with HTMX on each event, so new orders and other staff's moves appear without a
reload — a slow poll only while no stream connects), the history (past days, search by number or phone), one order's
page with its lines, customer, history and the staff's moves, and its printable slip for the kitchen or packing.
Views are thin: scope and role come from the access layer, moves from orders.actions."""

from __future__ import annotations

from datetime import date

from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from kernel.errors import DomainError
from kernel.money import money
from shared_apps.live.selectors import live_last_event_id
from shared_apps.live.services import channel_branch
from shared_apps.payments.models import PaymentMethod
from tenant_apps.orders.actions import merchant_order_act, staff_actions
from tenant_apps.orders.models import Fulfilment, MerchantOrder, OrderStatus
from tenant_apps.orders.selectors import HISTORY_DAYS, order_detail, order_queue, order_slip, orders_history
from tenant_apps.staff.access import access_chosen_branch, access_order_by_id, branch_choices
from tenant_apps.staff.models import Membership
from tenant_apps.staff.pages import console_page
from tenant_apps.staff.permissions import Perm
from tenant_apps.stores.models import Branch

POLL_SECONDS = 20  # the fallback poll, only while the live stream cannot connect
# An "every branch" board opens a stream per branch up to this many (a browser holds ~6 HTTP/1.1 connections per
# host: the page's own requests need the rest); beyond, it polls slowly.
LIVE_BRANCHES_MAX = 3


def _chosen_branch(request: HttpRequest) -> Branch | None:
    """The branch the queue shows: Branch Managers and Employees always their own; Merchants and Shop Owners the
    `?branch=<id>` they chose (404 outside their scope), or None for every branch in scope."""
    actor: Membership = request.actor
    chosen = access_chosen_branch(actor=actor, chosen=request.GET.get("branch", ""), perm=Perm.ORDERS_VIEW)
    return chosen or actor.branch  # a Branch Manager's or an Employee's own branch; None for the others


def order_queue_context(*, actor: Membership, branch: Branch | None, live: bool = True) -> dict:
    """What `orders/_queue_live.html` renders: the open orders grouped, the URL of the fragment, and the live streams
    of the branches shown (the board's own branch, or every branch in scope up to LIVE_BRANCHES_MAX)."""
    groups = order_queue(actor=actor, branch_id=branch.pk if branch else None)
    quick = Perm.ORDERS_PROCESS in actor.permissions
    for group in groups:
        for order in group.orders:  # the card's one-tap next move (reject needs a reason: the order's page)
            order.quick = next(iter(_buttons(order)), None) if quick else None
    branch_ids = [branch.pk] if branch else [b.pk for b in branch_choices(actor)] if live else []
    streams = None
    if live and branch_ids and len(branch_ids) <= LIVE_BRANCHES_MAX:
        channels = [channel_branch(connection.schema_name, pk) for pk in branch_ids]
        streams = {
            "src": " ".join(f"/api/v1/console/branches/{pk}/events" for pk in branch_ids),
            "last_id": live_last_event_id(channels=channels),
        }
    return {
        "branch": branch,
        "groups": groups,
        "poll_seconds": POLL_SECONDS,
        "queue_url": f"/orders/queue/?branch={branch.pk}" if branch else "/orders/queue/",
        "live": streams,
    }


@console_page(Perm.ORDERS_VIEW)
def queue_page(request: HttpRequest) -> HttpResponse:
    context = order_queue_context(actor=request.actor, branch=_chosen_branch(request))
    context["branches"] = branch_choices(request.actor)
    return render(request, "orders/queue.html", context)


@console_page(Perm.ORDERS_VIEW)
def queue_fragment(request: HttpRequest) -> HttpResponse:
    """The queue alone: what the queue page (and an Employee's dashboard) polls."""
    return render(
        request,
        "orders/_queue.html",
        order_queue_context(actor=request.actor, branch=_chosen_branch(request), live=False),
    )


ACTION_LABELS = {"accept": "Accept", "prepare": "Start preparing", "handover": "Handed over"}


def _buttons(order: MerchantOrder) -> list[tuple[str, str]]:
    """(action, button text) for the moves other than reject, which has its own form with a reason."""
    ready = "Ready for pickup" if order.fulfilment == Fulfilment.PICKUP else "Out for delivery"
    labels = {**ACTION_LABELS, "ready": ready}
    if order.payment_method == PaymentMethod.COD:  # handing over is when the cash is taken: say so on the button
        labels["handover"] = f"Handed over · cash {money(order.total, order.currency)} received"
    return [(action, labels[action]) for action in staff_actions(order) if action != "reject"]


@require_http_methods(["GET", "POST"])
@console_page(Perm.ORDERS_VIEW)
def order_page(request: HttpRequest, order_id: int) -> HttpResponse:
    """GET: the order. POST `action` (+ `reason` to reject): the move, then back here; a move the state machine
    refuses shows its message on the page with its status (400/409)."""
    actor: Membership = request.actor
    order = access_order_by_id(actor=actor, order_id=order_id)
    error = None
    if request.method == "POST":
        order = access_order_by_id(actor=actor, order_id=order_id, perm=Perm.ORDERS_PROCESS)
        try:
            merchant_order_act(
                order=order,
                action=request.POST.get("action", ""),
                membership=actor,
                reason=request.POST.get("reason", ""),
            )
            if request.headers.get("HX-Request"):  # a board card's quick action: the board refreshes on the live event
                return HttpResponse(status=204, headers={"HX-Trigger": "live"})
            return redirect(f"/orders/{order.pk}/")
        except DomainError as exc:
            if exc.status in (401, 403, 404):
                raise
            error = exc
    order = order_detail(order)
    can_process = Perm.ORDERS_PROCESS in actor.permissions
    context = {
        "order": order,
        "error": error,
        "buttons": _buttons(order) if can_process else [],
        "can_reject": can_process and "reject" in staff_actions(order),
        "map_url": f"https://www.openstreetmap.org/?mlat={order.latitude}&mlon={order.longitude}#map=17/"
        f"{order.latitude}/{order.longitude}"
        if order.latitude is not None and order.longitude is not None
        else "",
    }
    return render(request, "orders/order_detail.html", context, status=error.status if error else 200)


HISTORY_PAGE_SIZE = 50


def _day(value: str) -> date | None:
    """A date input's value ("2026-12-07"), or None when empty or malformed (the filter is then left out)."""
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@console_page(Perm.ORDERS_VIEW)
def history_page(request: HttpRequest) -> HttpResponse:
    """Every order in scope, newest first, HISTORY_PAGE_SIZE a page: ?q= (order number or customer phone), ?from= and
    ?to= (days), ?status=, ?branch= (Merchants and Shop Owners)."""
    actor: Membership = request.actor
    branch = _chosen_branch(request)
    get = request.GET
    search, status = get.get("q", "").strip()[:40], get.get("status", "")
    date_from, date_to = _day(get.get("from", "")), _day(get.get("to", ""))
    orders = orders_history(
        actor=actor,
        branch_id=branch.pk if branch else None,
        search=search,
        date_from=date_from,
        date_to=date_to,
        status=status,
    )
    page = Paginator(orders, HISTORY_PAGE_SIZE).get_page(get.get("page"))
    query = get.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "branch": branch,
        "branches": branch_choices(actor),
        "search": search,
        "status": status,
        "statuses": OrderStatus.choices,
        "date_from": date_from,
        "date_to": date_to,
        "history_days": HISTORY_DAYS,
        "query": query.urlencode(),
    }
    return render(request, "orders/history.html", context)


@console_page(Perm.ORDERS_VIEW)
def slip_page(request: HttpRequest, order_id: int) -> HttpResponse:
    """The order on one printable page (print CSS: a receipt printer's 80 mm or an A4 sheet): what to pick and
    pack, the customer, and how it leaves the branch."""
    order = order_slip(access_order_by_id(actor=request.actor, order_id=order_id))
    return render(request, "orders/slip.html", {"order": order, "printed_at": timezone.localtime()})

"""The starter-list page (`console-starter`, /products/starter/): pick a kind of shop, tick its common items, type
prices (and opening stock per branch), add them all at once. Thin: catalog/starter.py does the work."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from kernel.errors import DomainError
from shared_apps.categories.models import Category
from tenant_apps.catalog.starter import (
    StarterList,
    StarterPick,
    StarterPicksInvalid,
    StarterRow,
    starter_items_add,
    starter_list,
    starter_lists,
    starter_rows_added,
)
from tenant_apps.staff.access import access_store_by_id, require, scoped_branches, scoped_stores
from tenant_apps.staff.pages import console_error_page, console_page
from tenant_apps.staff.permissions import Perm
from tenant_apps.stores.models import Branch, Store


@dataclass(frozen=True)
class _StockCell:
    branch: Branch
    name: str  # the input's name: stock:<row>:<branch id>
    value: str
    error: str


@dataclass(frozen=True)
class _RowView:
    row: StarterRow
    added: bool  # already in the catalog
    picked: bool
    price: str
    price_error: str
    stock: list[_StockCell]


def _store(request: HttpRequest, chosen: str) -> Store | None:
    """The store the items go to: the chosen one (404 outside the scope), else the actor's first."""
    if chosen:
        return access_store_by_id(
            actor=request.actor, store_id=int(chosen) if chosen.isdigit() else 0, perm=Perm.CATALOG_MANAGE
        )
    return scoped_stores(request.actor).order_by("name", "pk").first()


def _branches(request: HttpRequest, store: Store | None) -> list[Branch]:
    """The store's branches the actor may give opening stock (none without stock.adjust)."""
    if store is None or Perm.STOCK_ADJUST not in request.actor.permissions:
        return []
    return list(scoped_branches(request.actor).filter(store=store, is_active=True).order_by("name", "pk"))


def _picks(request: HttpRequest, starter: StarterList, branches: list[Branch]) -> list[StarterPick]:
    """The rows ticked, and the rows with a price typed but not ticked (what was typed is never dropped)."""
    data = request.POST
    ticked = set(data.getlist("pick"))
    picks = []
    for row in starter.rows:
        price = data.get(f"price:{row.key}", "")
        if row.key in ticked or price.strip():
            stock = {b.pk: data.get(f"stock:{row.key}:{b.pk}", "") for b in branches}
            picks.append(StarterPick(row=row.key, price=price, stock={k: v for k, v in stock.items() if v.strip()}))
    unknown = ticked - {row.key for row in starter.rows}
    picks += [StarterPick(row=key, price="") for key in sorted(unknown)]
    return picks


def _groups(
    starter: StarterList,
    added: set[str],
    branches: list[Branch],
    form: dict[str, str],
    ticked: set[str],
    problems: dict[str, str],
) -> list[tuple[str, list[_RowView]]]:
    """The list's rows by leaf category, in the file's order, with what was typed and its problems."""
    names = dict(Category.objects.filter(slug__in={i.category for i in starter.items}).values_list("slug", "name"))
    groups: dict[str, list[_RowView]] = {}
    for row in starter.rows:
        cells = [
            _StockCell(
                b,
                f"stock:{row.key}:{b.pk}",
                form.get(f"stock:{row.key}:{b.pk}", ""),
                problems.get(f"stock:{row.key}:{b.pk}", ""),
            )
            for b in branches
        ]
        title = names.get(row.item.category) or row.item.category.replace("-", " ").capitalize()
        groups.setdefault(title, []).append(
            _RowView(
                row=row,
                added=row.key in added,
                picked=row.key in ticked,
                price=form.get(f"price:{row.key}", ""),
                price_error=problems.get(f"price:{row.key}", "") or problems.get(f"pick:{row.key}", ""),
                stock=cells,
            )
        )
    return list(groups.items())


@require_http_methods(["GET", "POST"])
@console_page(Perm.CATALOG_MANAGE)
def starter(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    source = request.POST if request.method == "POST" else request.GET
    problems: dict[str, str] = {}
    error = None
    picks: list[StarterPick] = []
    try:
        require(actor, Perm.PRICE_BASE_EDIT)  # every starter item gets a base price
        store = _store(request, source.get("store", ""))
        slug = source.get("list", "")
        starter = starter_list(slug) if slug else None
        branches = _branches(request, store)
        if request.method == "POST" and starter is not None and store is not None:
            picks = _picks(request, starter, branches)
            report = starter_items_add(
                store=store,
                list_slug=starter.slug,
                picks=picks,
                branches=branches,
                actor_user_id=actor.user_id,
            )
            if added := report.variants_created:
                message = ngettext("Added %(n)d item to your products.", "Added %(n)d items to your products.", added)
                messages.success(request, message % {"n": added})
            skipped = len(report.already_there) + len(report.name_taken)
            if skipped:
                messages.info(
                    request,
                    ngettext(
                        "%(n)d item was already in your products and was left as it is.",
                        "%(n)d items were already in your products and were left as they are.",
                        skipped,
                    )
                    % {"n": skipped},
                )
            return redirect("/products/")
    except StarterPicksInvalid as exc:
        error, problems = exc, exc.problems
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            return console_error_page(request, exc)
        error = exc
    form = {k: v for k, v in source.items() if k.startswith(("price:", "stock:"))} if request.method == "POST" else {}
    context = {
        "lists": list(starter_lists().values()),
        "starter": starter,
        "store": store,
        "stores": list(scoped_stores(actor).order_by("name", "pk")),
        "branches": branches,
        "groups": _groups(
            starter,
            starter_rows_added(store=store, starter=starter) if store else set(),
            branches,
            form,
            {pick.row for pick in picks},
            problems,
        )
        if starter
        else [],
        "error": error,
    }
    return render(request, "catalog/starter.html", context, status=error.status if error else 200)

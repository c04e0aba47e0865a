"""/account/addresses/: a signed-in customer's saved delivery addresses — list, add and edit with the map pin
(templates/maps/_pin_picker.html writes the coordinates; nobody types them), delete. Another user's address is a
404, like a missing one."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from kernel.errors import DomainError
from shared_apps.accounts.errors import AccountsErrorCode
from shared_apps.accounts.models import Address
from shared_apps.accounts.selectors import access_address_by_id, addresses_of
from shared_apps.accounts.services import AddressFields, address_create, address_delete, address_update

LABELS = ("Home", "Work")  # offered as buttons; anything else is the customer's own name for the place


def _owned(request: HttpRequest, address_id: int) -> Address:
    try:
        return access_address_by_id(user=request.user, address_id=address_id)
    except DomainError as exc:
        raise Http404(str(exc.message)) from exc


def _fields(post) -> AddressFields:
    return AddressFields(
        label=post.get("label", ""),
        street=post.get("street", ""),
        area=post.get("area", ""),
        city=post.get("city", ""),
        notes=post.get("notes", ""),
        latitude=post.get("latitude") or None,
        longitude=post.get("longitude") or None,
    )


def _next(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()})
    return wanted if wanted and safe else "/account/addresses/"


def _form(request: HttpRequest, address: Address | None, values: dict, error: DomainError | None, status: int = 200):
    errors = {}
    if error is not None:
        field = "pin" if error.code == AccountsErrorCode.ADDRESS_PIN_REQUIRED else (error.field or "form")
        errors[field] = str(error.message)
    context = {"address": address, "values": values, "errors": errors, "labels": LABELS, "next": _next(request)}
    return render(request, "accounts/address_form.html", context, status=status)


@login_required
def addresses_page(request: HttpRequest) -> HttpResponse:
    """The customer's addresses, the default first."""
    return render(request, "accounts/addresses.html", {"addresses": list(addresses_of(user=request.user))})


@login_required
@require_http_methods(["GET", "POST"])
def address_new(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        user = request.user  # the pin starts where the customer shops from, when they said so
        return _form(
            request, None, {"label": "Home", "latitude": user.location_lat, "longitude": user.location_lng}, None
        )
    try:
        address_create(user=request.user, fields=_fields(request.POST), make_default=bool(request.POST.get("default")))
    except DomainError as exc:
        return _form(request, None, request.POST.dict(), exc, status=exc.status)
    return redirect(_next(request))


@login_required
@require_http_methods(["GET", "POST"])
def address_edit(request: HttpRequest, address_id: int) -> HttpResponse:
    address = _owned(request, address_id)
    if request.method == "GET":
        values = {name: getattr(address, name) for name in ("label", "street", "area", "city", "notes")}
        values |= {"latitude": address.latitude, "longitude": address.longitude, "default": address.is_default}
        return _form(request, address, values, None)
    fields = _fields(request.POST)
    try:
        address_update(address=address, changes=vars(fields), make_default=bool(request.POST.get("default")))
    except DomainError as exc:
        return _form(request, address, request.POST.dict(), exc, status=exc.status)
    return redirect(_next(request))


@login_required
@require_POST
def address_remove(request: HttpRequest, address_id: int) -> HttpResponse:
    address = _owned(request, address_id)
    address_delete(address=address)
    return redirect(_next(request))

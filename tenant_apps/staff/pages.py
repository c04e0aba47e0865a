"""How console pages meet the access layer: one decorator turns its errors into the right page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from kernel.errors import CommonErrorCode, DomainError
from tenant_apps.staff.access import access_console
from tenant_apps.staff.permissions import Perm
from tenant_apps.staff.services import invitations_for_user


def console_page(perm: Perm) -> Callable:
    """Resolve `request.actor` (membership with `perm`) before the view. Anonymous or not a member here: the sign-in
    page (pending invitations first); object outside the scope: 404 page; role without the permission: 403 page."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            try:
                request.actor = access_console(user=request.user, perm=perm)
                return view(request, *args, **kwargs)
            except DomainError as exc:
                return console_error_page(request, exc)

        return wrapper

    return decorate


def console_error_page(request: HttpRequest, exc: DomainError) -> HttpResponse:
    if exc.code in (CommonErrorCode.UNAUTHENTICATED,) or (
        exc.code == CommonErrorCode.NOT_FOUND and not hasattr(request, "actor")
    ):
        if request.user.is_authenticated and invitations_for_user(user=request.user).exists():
            return redirect("/invitations/")
        return redirect(f"/signin/?{urlencode({'next': request.get_full_path()})}")
    template = "staff/forbidden.html" if exc.status == 403 else "staff/not_found.html"
    return render(request, template, {"message": exc.message}, status=exc.status if exc.status in (403, 404) else 400)


def invitation_link(request: HttpRequest) -> str:
    """Where an invitee signs in: this console's invitations page (it lists the invitations for their phone)."""
    return request.build_absolute_uri("/invitations/")

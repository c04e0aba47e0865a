from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from config.errors import CommonErrorCode, DomainError
from tenant_apps.staff.access import access_console_membership
from tenant_apps.stores import selectors


def console_home(request: HttpRequest) -> HttpResponse:
    """The console dashboard of the signed-in member; strangers get the sign-in page, never this merchant's data."""
    try:
        actor = access_console_membership(user=request.user)
    except DomainError as exc:
        if exc.code == CommonErrorCode.UNAUTHENTICATED:
            return redirect(f"/signin/?next={request.path}")
        return render(request, "stores/no_access.html", status=404)
    context = {
        "actor": actor,
        "summary": selectors.console_summary(actor=actor),
        "stores": selectors.stores_for(actor=actor),
    }
    return render(request, "stores/console_home.html", context)

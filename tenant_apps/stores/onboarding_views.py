"""Console pages of onboarding: the sign-in handoff from the marketplace's /sell/ and the checklist's "Go live"."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from kernel.errors import DomainError
from shared_apps.accounts.handoff import handoff_token_redeem
from tenant_apps.staff.pages import console_error_page, console_page
from tenant_apps.staff.permissions import Perm
from tenant_apps.stores.onboarding import onboarding_state
from tenants.models import MerchantStatus
from tenants.services import merchant_go_live


@require_GET
@never_cache
def console_signin(request: HttpRequest, token: str) -> HttpResponse:
    """/console-signin/<token>/: the owner who just signed up on the marketplace arrives signed in. The token opens
    this host only, once, for two minutes (shared_apps/accounts/handoff.py); any other gets the sign-in page's
    link and a plain message, never an error page."""
    try:
        user = handoff_token_redeem(token=token, host=request.tenant.domain_url)
    except DomainError as exc:
        return render(request, "stores/console_signin_failed.html", {"message": exc.message}, status=400)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect("console-home")


@require_POST
@console_page(Perm.MERCHANT_GO_LIVE)
def go_live(request: HttpRequest) -> HttpResponse:
    """The checklist's button: live now, or waiting for approval (tenants.services.merchant_go_live). Refused, with
    the reason on the dashboard, until every required step is done."""
    merchant = request.tenant
    if merchant.status == MerchantStatus.PENDING and not onboarding_state(merchant=merchant).ready_to_go_live:
        messages.error(request, _("Finish the steps marked required first, then press Go live."))
        return redirect("console-home")
    try:
        merchant_go_live(merchant=merchant, by=request.user)
    except DomainError as exc:
        return console_error_page(request, exc)
    return redirect("console-home")

"""The platform admin panel (django-unfold): platform Admins only, after TOTP two-factor in this session."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from unfold.sites import UnfoldAdminSite

from shared_apps.accounts.access import is_platform_admin, is_two_factor_verified
from shared_apps.accounts.ratelimit import client_ip, rate_limit_hit


class TotpForm(forms.Form):
    token = forms.CharField(
        label="Authenticator code",
        min_length=6,
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


class PlatformAdminSite(UnfoldAdminSite):
    site_header = "Planckly"
    site_title = "Planckly admin"

    def index(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        """The operators' start page: platform figures first, each a link into its list."""
        # the admin site is built while apps load: models only once they are ready
        from shared_apps.accounts.models import User
        from tenants.models import Merchant, MerchantStatus

        merchants = Merchant.objects.exclude(schema_name="public")
        cards = [
            {
                "label": "Active merchants",
                "value": merchants.filter(status=MerchantStatus.ACTIVE).count(),
                "link": "/admin/tenants/merchant/?status__exact=active",
            },
            {
                "label": "Suspended merchants",
                "value": merchants.filter(status=MerchantStatus.SUSPENDED).count(),
                "link": "/admin/tenants/merchant/?status__exact=suspended",
            },
            {"label": "Users", "value": User.objects.count(), "link": "/admin/accounts/user/"},
            {
                "label": "Platform admins",
                "value": User.objects.filter(is_staff=True).count(),
                "link": "/admin/accounts/user/?is_staff__exact=1",
            },
        ]
        context = {
            "platform_cards": cards,
            "recent_merchants": merchants.order_by("-created_at")[:10],
            **(extra_context or {}),
        }
        return super().index(request, context)

    def has_permission(self, request: HttpRequest) -> bool:
        return is_platform_admin(request.user) and is_two_factor_verified(request)

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        next_url = request.GET.get("next") or "/admin/"
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            next_url = "/admin/"
        if is_platform_admin(request.user):
            return redirect(f"/admin/verify/?{urlencode({'next': next_url})}")
        return redirect(f"/signin/?{urlencode({'next': next_url})}")

    def get_urls(self):
        return [path("verify/", self.verify_view, name="two_factor_verify"), *super().get_urls()]

    def verify_view(self, request: HttpRequest) -> HttpResponse:
        """Second factor: the admin's TOTP device code, checked with django-otp (throttled per device and per IP)."""
        if not is_platform_admin(request.user):
            return redirect("/signin/?next=/admin/")
        next_url = request.POST.get("next") or request.GET.get("next") or "/admin/"
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            next_url = "/admin/"
        if is_two_factor_verified(request):
            return redirect(next_url)
        devices = list(TOTPDevice.objects.filter(user=request.user, confirmed=True))
        form = TotpForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            rate_limit_hit(scope="totp-ip", key=client_ip(request), limit=(30, 3600))
            device = next((d for d in devices if d.verify_token(form.cleaned_data["token"])), None)
            if device is not None:
                otp_login(request, device)
                return redirect(next_url)
            form.add_error("token", "That code is not right, or it expired. Codes change every 30 seconds.")
        context = {"form": form, "next": next_url, "has_device": bool(devices)}
        return render(request, "admin_verify.html", context, status=200 if request.method == "GET" else 400)

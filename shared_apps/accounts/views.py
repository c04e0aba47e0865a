"""Sign-in pages (marketplace and every console host): phone → SMS code → session. CSRF-protected forms."""

from __future__ import annotations

from django import forms
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from kernel.errors import DomainError
from shared_apps.accounts import services
from shared_apps.accounts.devices import device_of, with_device_cookie

SESSION_GUEST_KEY = "guest_id"


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label="Phone number",
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "tel", "inputmode": "tel", "placeholder": "0300 1234567", "autofocus": True}
        ),
    )


class CodeForm(forms.Form):
    phone = forms.CharField(widget=forms.HiddenInput)
    code = forms.CharField(
        label="6-digit code",
        min_length=6,
        max_length=6,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9]{6}", "autofocus": True}
        ),
    )


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or "/"
    if url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}):
        return candidate
    return "/"


def _render(request: HttpRequest, step: str, form: forms.Form, status: int = 200, **extra) -> HttpResponse:
    context = {"step": step, "form": form, "next": _next_url(request), **extra}
    return render(request, "accounts/signin.html", context, status=status)


@require_http_methods(["GET", "POST"])
@with_device_cookie
def signin(request: HttpRequest) -> HttpResponse:
    """Step 1: ask for the phone and text a code."""
    form = PhoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            challenge = services.otp_request(phone=form.cleaned_data["phone"], device=device_of(request))
        except DomainError as exc:
            form.add_error("phone", exc.message if exc.retry_after is None else f"{exc.message} ({exc.retry_after} s)")
            return _render(request, "phone", form, status=exc.status)
        code_form = CodeForm(initial={"phone": challenge.phone})
        return _render(request, "code", code_form, phone=challenge.phone, resend_in=challenge.resend_in)
    return _render(request, "phone", form, status=400 if request.method == "POST" else 200)


@require_http_methods(["POST"])
@with_device_cookie
def signin_verify(request: HttpRequest) -> HttpResponse:
    """Step 2: check the code, start the session, claim a guest cart kept in this session."""
    form = CodeForm(request.POST)
    phone = request.POST.get("phone", "")
    if form.is_valid():
        try:
            user = services.otp_verify(
                phone=form.cleaned_data["phone"], code=form.cleaned_data["code"], device=device_of(request)
            )
        except DomainError as exc:
            form.add_error("code", exc.message)
            return _render(request, "code", form, status=exc.status, phone=phone)
        guest_id = request.session.get(SESSION_GUEST_KEY)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        if guest_id:
            services.guest_claim(guest_id=guest_id, user=user)
        return redirect(_next_url(request))
    return _render(request, "code", form, status=400, phone=phone)

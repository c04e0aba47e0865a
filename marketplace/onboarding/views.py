"""/sell/: a shopkeeper becomes a merchant in three pages — phone, the code from the SMS, the shop — and lands
signed in on its console (another host: carried over by a single-use handoff link, shared_apps/accounts/handoff.py).

Every page is a plain form (works without JavaScript, on any phone); a wrong entry re-renders the same page with the
message next to the field and everything typed still in it. The phone being confirmed lives in the session between
the first two pages; the last page needs a signed-in user whose phone was confirmed by a code.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from kernel.errors import DomainError
from marketplace.discovery.location import AREAS
from marketplace.onboarding.errors import OnboardingErrorCode
from marketplace.onboarding.services import SignupDetails, merchant_signup, signup_problems
from shared_apps.accounts.devices import device_of, with_device_cookie
from shared_apps.accounts.handoff import handoff_token_issue
from shared_apps.accounts.services import otp_request, otp_verify
from shared_apps.categories.selectors import category_tree

SESSION_PHONE = "sell_phone"  # the phone a code was sent to, between the first and the second page


class SellPhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Your mobile number"),
        max_length=32,
        error_messages={"required": _("Enter your mobile number, e.g. 0300 1234567.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "tel", "inputmode": "tel", "placeholder": "0300 1234567", "autofocus": True}
        ),
    )


class SellCodeForm(forms.Form):
    code = forms.CharField(
        label=_("6-digit code"),
        max_length=12,
        error_messages={"required": _("Enter the 6-digit code from the SMS.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*", "autofocus": True}
        ),
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not (len(code) == 6 and code.isdigit()):
            raise forms.ValidationError(_("The code has 6 digits. Check the SMS and try again."))
        return code


class SellShopForm(forms.Form):
    business_name = forms.CharField(
        label=_("Shop name"),
        max_length=200,
        required=False,
        help_text=_("As customers know it, e.g. Ali Kiryana Store."),
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    category = forms.ChoiceField(
        label=_("What does your shop sell?"),
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": OnboardingErrorCode.CATEGORY_INVALID.default_message},
    )
    area = forms.CharField(
        label=_("Area"),
        max_length=200,
        required=False,
        help_text=_("Pick from the list or type your own."),
        widget=forms.TextInput(attrs={"list": "sell-areas", "autocomplete": "off"}),
    )
    owner_name = forms.CharField(
        label=_("Your name"), max_length=200, required=False, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [(node.slug, node.name) for node in category_tree().roots]

    def details(self) -> SignupDetails:
        data = self.cleaned_data
        return SignupDetails(
            business_name=data.get("business_name") or "",
            category=data.get("category") or "",
            area=data.get("area") or "",
            owner_name=data.get("owner_name") or "",
        )

    def clean(self) -> dict:
        data = super().clean()
        for field, code in signup_problems(self.details()).items():
            if field not in self.errors:  # a field's own check (too long, not a choice) already said why
                self.add_error(field, code.default_message)
        return data


def _retry_hint(exc: DomainError) -> str:
    if exc.retry_after is None:
        return str(exc.message)
    return _("%(message)s Try again in %(seconds)s seconds.") % {"message": exc.message, "seconds": exc.retry_after}


def _phone_confirmed(request: HttpRequest) -> bool:
    return request.user.is_authenticated and request.user.phone_verified_at is not None


@require_http_methods(["GET", "POST"])
@with_device_cookie
def sell_start(request: HttpRequest) -> HttpResponse:
    """Page 1: the shopkeeper's mobile number; a code is texted to it (the sign-in's rate limits apply)."""
    if request.method == "GET" and _phone_confirmed(request):
        return redirect("sell:shop")
    form = SellPhoneForm(request.POST or None, initial={"phone": request.session.get(SESSION_PHONE, "")})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                challenge = otp_request(phone=form.cleaned_data["phone"], device=device_of(request))
            except DomainError as exc:
                form.add_error("phone", _retry_hint(exc))
                status = exc.status
            else:
                request.session[SESSION_PHONE] = challenge.phone
                return redirect("sell:verify")
        else:
            status = 400
    return render(request, "onboarding/sell_phone.html", {"form": form, "step": 1}, status=status)


@require_http_methods(["GET", "POST"])
@with_device_cookie
def sell_verify(request: HttpRequest) -> HttpResponse:
    """Page 2: the code from the SMS. Right: signed in on the marketplace, on to the shop's details."""
    phone = request.session.get(SESSION_PHONE)
    if not phone:
        return redirect("sell:start")
    form = SellCodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                user = otp_verify(phone=phone, code=form.cleaned_data["code"], device=device_of(request))
            except DomainError as exc:
                form.add_error("code", _retry_hint(exc))
                status = exc.status
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                return redirect("sell:shop")
        else:
            status = 400
    context = {"form": form, "phone": phone, "step": 2}
    return render(request, "onboarding/sell_code.html", context, status=status)


def _console_url_format(request: HttpRequest) -> str:
    """The console is reached the way this page was: same scheme and port, the merchant's host."""
    port = request.get_port()
    suffix = "" if port in ("80", "443") else f":{port}"
    return f"{request.scheme}://{{host}}{suffix}"


@require_http_methods(["GET", "POST"])
def sell_shop(request: HttpRequest) -> HttpResponse:
    """Page 3: the shop (name, what it sells, area) and the owner's name → a pending merchant; the owner is carried,
    signed in, to its console's dashboard and checklist."""
    if not _phone_confirmed(request):
        return redirect("sell:start")
    form = SellShopForm(request.POST or None, initial={"owner_name": request.user.name})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            url_format = _console_url_format(request)
            try:
                merchant = merchant_signup(user=request.user, details=form.details(), console_url_format=url_format)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
                status = exc.status
            else:
                host = merchant.domains.get(is_primary=True).domain
                token = handoff_token_issue(user=request.user, host=host)
                request.session.pop(SESSION_PHONE, None)
                signin = reverse("console-signin", urlconf="config.urls_tenant", args=[token])
                return redirect(url_format.format(host=host) + signin)
        else:
            status = 400
    context = {"form": form, "areas": AREAS, "step": 3, "phone": request.user.phone}
    return render(request, "onboarding/sell_shop.html", context, status=status)

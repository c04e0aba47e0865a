"""Self-serve sign-up of a merchant ("Sell on Planckly", /sell/): the phone is confirmed by the accounts OTP flow
first; this module turns what the shopkeeper typed into a pending merchant with its first store, and texts the
owner the console's address. The console handoff (the owner signed in on the merchant's host) is the view's part.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from marketplace.discovery.location import AREAS
from marketplace.onboarding.errors import OnboardingError, OnboardingErrorCode
from shared_apps.accounts.models import User
from shared_apps.accounts.services import user_name_set
from shared_apps.categories.selectors import category_tree
from shared_apps.sms.tasks import sms_send_on_commit
from tenant_apps.stores.services import store_create
from tenants.errors import TenantsError, TenantsErrorCode
from tenants.models import Merchant, MerchantStatus
from tenants.services import merchant_provision, slug_free_for

SLUG_RACE_RETRIES = 3  # another sign-up took the free slug between our look and our insert: take the next one


@dataclass(frozen=True)
class SignupDetails:
    """What the shopkeeper types on the last step of /sell/."""

    business_name: str
    category: str  # slug of a root category
    area: str  # one of AREAS by name, or the shopkeeper's own words
    owner_name: str


def _trimmed(details: SignupDetails) -> SignupDetails:
    clean = SignupDetails(
        business_name=" ".join(details.business_name.split()),
        category=details.category.strip(),
        area=" ".join(details.area.split()),
        owner_name=" ".join(details.owner_name.split()),
    )
    known = next((a.name for a in AREAS if a.name.lower() == clean.area.lower()), None)
    return SignupDetails(clean.business_name, clean.category, known, clean.owner_name) if known else clean


def signup_problems(details: SignupDetails) -> dict[str, OnboardingErrorCode]:
    """Every field that is wrong, with its code (the form shows them all at once; the service raises the first)."""
    clean = _trimmed(details)
    problems: dict[str, OnboardingErrorCode] = {}
    if not 2 <= len(clean.business_name) <= 120:
        problems["business_name"] = OnboardingErrorCode.BUSINESS_NAME_INVALID
    if not any(node.slug == clean.category for node in category_tree().roots):
        problems["category"] = OnboardingErrorCode.CATEGORY_INVALID
    if not 2 <= len(clean.area) <= 80:
        problems["area"] = OnboardingErrorCode.AREA_INVALID
    if not 2 <= len(clean.owner_name) <= 80:
        problems["owner_name"] = OnboardingErrorCode.OWNER_NAME_INVALID
    return problems


def signup_validate(details: SignupDetails) -> tuple[SignupDetails, int]:
    """The details trimmed (a known area spelled as the list has it), and the root category's id. Raises
    OnboardingError naming the first bad field."""
    for field, code in signup_problems(details).items():
        raise OnboardingError(code, field=field)
    clean = _trimmed(details)
    root = next(node for node in category_tree().roots if node.slug == clean.category)
    return clean, root.id


def merchant_signup(*, user: User, details: SignupDetails, console_url_format: str) -> Merchant:
    """A new PENDING merchant owned by `user` (whose phone the caller confirmed by code): slug from the business
    name (made unique), the owner's name set, the first store named after the business, and a welcome SMS with the
    console's address (`console_url_format` around "{host}") once committed. One transaction: on any error nothing is
    left, schema included. Raises OnboardingError (a field of the form), or SHOP_EXISTS when `user` already owns a
    shop of that name (a second submit of the same form)."""
    if user.phone_verified_at is None:
        raise OnboardingError(OnboardingErrorCode.PHONE_NOT_VERIFIED, field="phone")
    details, category_id = signup_validate(details)
    if (
        Merchant.objects.filter(owner=user, name__iexact=details.business_name)
        .exclude(status=MerchantStatus.ARCHIVED)
        .exists()
    ):
        raise OnboardingError(OnboardingErrorCode.SHOP_EXISTS, field="business_name")
    for attempt in range(SLUG_RACE_RETRIES):
        try:
            with transaction.atomic():
                merchant = merchant_provision(
                    name=details.business_name,
                    slug=slug_free_for(details.business_name),
                    owner_phone=user.phone,
                    area=details.area,
                    pending=True,
                    category_id=category_id,
                )
                user_name_set(user=user, name=details.owner_name)
                with schema_context(merchant.schema_name):
                    store_create(name=details.business_name)
                console = console_url_format.format(host=merchant.domains.get(is_primary=True).domain) + "/"
                sms_send_on_commit(
                    to=user.phone,
                    body=_(
                        "Welcome to Planckly, %(owner)s! %(shop)s is set up. Finish its checklist and go live from "
                        "your console: %(url)s"
                    )
                    % {"owner": details.owner_name, "shop": details.business_name, "url": console},
                )
            return merchant
        except TenantsError as exc:
            if exc.code != TenantsErrorCode.SLUG_TAKEN:
                raise
            if attempt == SLUG_RACE_RETRIES - 1:
                raise OnboardingError(OnboardingErrorCode.BUSINESS_NAME_INVALID, field="business_name") from exc
    raise AssertionError("unreachable")  # the loop returns or raises

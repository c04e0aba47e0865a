"""The onboarding checklist of a merchant's console: what a new shop still has to do before customers can buy,
computed from its own data every time (nothing is ticked by hand, so it can never disagree with the shop).

| step     | done when                                                          | required to go live |
|----------|--------------------------------------------------------------------|---------------------|
| store    | an open store has a description (its logo: the store page offers it) | no                |
| branch   | an open branch (a branch always has its map location)               | yes                 |
| hours    | an open branch has opening hours                                   | yes                 |
| delivery | an open branch offers pickup, own delivery or a partner courier    | yes                 |
| products | an active product                                                  | yes                 |
| stock    | a variant in stock at an open branch                               | yes                 |
| go_live  | the merchant is live (or waiting for approval: shown as such)      | —                   |

Links go to the page that does each step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shared_apps.categories.models import Category
from tenant_apps.catalog.models import Product, ProductStatus
from tenant_apps.catalog.starter import starter_lists
from tenant_apps.inventory.models import StockLevel
from tenant_apps.stores.models import Branch, Store
from tenants.models import Merchant, MerchantStatus

LIVE_BANNER_DAYS = 3  # "You are live" stays on the dashboard this long after going live, then the panel goes


@dataclass(frozen=True)
class ChecklistStep:
    key: str
    title: str
    hint: str
    done: bool
    required: bool
    url: str | None  # the page that does it; None when that page is not reachable yet (or for go_live: a POST)


@dataclass(frozen=True)
class OnboardingState:
    """What the console shows of a merchant's onboarding: the checklist, where it stands, what it may do."""

    status: str
    steps: tuple[ChecklistStep, ...]
    rejection_reason: str
    recently_live: bool

    @property
    def ready_to_go_live(self) -> bool:
        return all(step.done for step in self.steps if step.required)

    @property
    def done_count(self) -> int:
        return sum(step.done for step in self.steps)

    @property
    def is_live(self) -> bool:
        return self.status == MerchantStatus.ACTIVE

    @property
    def awaiting_approval(self) -> bool:
        return self.status == MerchantStatus.AWAITING_APPROVAL

    @property
    def show_checklist(self) -> bool:
        return not self.is_live or self.recently_live


def _url(name: str, *args: int) -> str:
    return reverse(name, args=args or None)


def onboarding_checklist(*, merchant: Merchant) -> list[ChecklistStep]:
    """The steps in order, from the tenant's data (the current schema must be `merchant`'s). Three queries."""
    open_branches = Branch.objects.filter(is_active=True, store__is_active=True)
    store = Store.objects.filter(is_active=True).order_by("pk").values("pk", "description").first()
    branch = (
        open_branches.annotate(
            in_stock=Exists(StockLevel.objects.filter(branch=OuterRef("pk"), on_hand__gt=0, variant__is_active=True)),
        )
        .order_by("pk")
        .values("pk", "opening_hours", "offers_pickup", "offers_delivery", "offers_partner_delivery", "in_stock")
    )
    branches = list(branch[:50])  # a new shop has one or two; the checklist needs one that qualifies
    has_products = Product.objects.filter(status=ProductStatus.ACTIVE, store__is_active=True).exists()
    first_branch = branches[0]["pk"] if branches else None
    with_hours = any(b["opening_hours"] for b in branches)
    with_delivery = any(b["offers_pickup"] or b["offers_delivery"] or b["offers_partner_delivery"] for b in branches)
    stocked = next((b["pk"] for b in branches if b["in_stock"]), None)
    branch_args = (first_branch,) if first_branch else ()
    live = merchant.status in (MerchantStatus.ACTIVE, MerchantStatus.AWAITING_APPROVAL)
    return [
        ChecklistStep(
            key="store",
            title=str(_("Store details and logo")),
            hint=str(_("A few words customers read about your shop, your phone and your logo.")),
            done=bool(store and store["description"].strip()),
            required=False,
            url=_url("console-store", store["pk"]) if store else _url("console-store-new"),
        ),
        ChecklistStep(
            key="branch",
            title=str(_("Your first branch on the map")),
            hint=str(_("Where customers pick up and where deliveries start: drag the pin to your door.")),
            done=first_branch is not None,
            required=True,
            url=_url("console-branch-edit", *branch_args) if first_branch else _url("console-branch-new"),
        ),
        ChecklistStep(
            key="hours",
            title=str(_("Opening hours")),
            hint=str(_("When you take orders, day by day.")),
            done=with_hours,
            required=True,
            url=_url("console-branch-hours", *branch_args) if first_branch else None,
        ),
        ChecklistStep(
            key="delivery",
            title=str(_("Delivery options")),
            hint=str(_("Pickup, your own riders (radius and fee) or a partner courier.")),
            done=with_delivery,
            required=True,
            url=_url("console-branch-delivery", *branch_args) if first_branch else None,
        ),
        ChecklistStep(
            key="products",
            title=str(_("Your first products")),
            hint=str(_("Tick them from a starter list, upload the CSV template, or add them one by one.")),
            done=has_products,
            required=True,
            url=_starter_url(merchant),
        ),
        ChecklistStep(
            key="stock",
            title=str(_("Stock")),
            hint=str(_("How many you have of each, so customers only order what is on your shelf.")),
            done=stocked is not None,
            required=True,
            url=_url("console-branch-stock", stocked or first_branch) if first_branch else None,
        ),
        ChecklistStep(
            key="go_live",
            title=str(_("Go live")),
            hint=str(_("Customers near your branches can find your shop and order.")),
            done=live,
            required=False,
            url=None,
        ),
    ]


def _starter_url(merchant: Merchant) -> str:
    """The starter list of what the shop sells (its category, chosen at sign-up), else the page of every list."""
    url = reverse("console-starter")
    if not merchant.category_id:
        return url
    slug = Category.objects.filter(pk=merchant.category_id).values_list("slug", flat=True).first()
    return f"{url}?list={slug}" if slug in starter_lists() else url


def onboarding_state(*, merchant: Merchant) -> OnboardingState:
    """The checklist with where the merchant stands. A merchant live for a while gets no query at all."""
    recently_live = bool(
        merchant.status == MerchantStatus.ACTIVE
        and merchant.went_live_at
        and merchant.went_live_at > timezone.now() - timedelta(days=LIVE_BANNER_DAYS)
    )
    if merchant.status == MerchantStatus.ACTIVE and not recently_live:
        steps: tuple[ChecklistStep, ...] = ()
    else:
        steps = tuple(onboarding_checklist(merchant=merchant))
    return OnboardingState(
        status=merchant.status,
        steps=steps,
        rejection_reason=merchant.rejection_reason,
        recently_live=recently_live,
    )

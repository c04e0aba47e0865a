"""`manage.py seed_demo [--if-empty]`: a believable Lahore marketplace for development and demos.

Guarantees:
- Idempotent: categories are get-or-created by slug, merchants whose slug exists are skipped whole, the platform
  superuser is created once and kept. A second run creates nothing.
- All or nothing per merchant: provisioning, store, branches, products, staff and the stats refresh of one merchant
  run in one transaction, so an interrupted seed never leaves a half-filled merchant that later runs would skip.
- Deterministic: the same rows (coordinates, prices, SKUs, product choice) on every empty database.
- `--if-empty` does nothing at all when any merchant exists (`make run` starts in seconds after the first time).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import get_public_schema_name, schema_context
from tqdm import tqdm

from demo import data as demo_data
from demo.behaviour import demo_history_record
from demo.data import MerchantSpec
from demo.reels import reels_seed
from kernel.errors import DomainError
from marketplace.discovery.search_text import search_terms_refresh
from marketplace.listings.sync import listings_rebuild
from marketplace.recommendations.training import recommendations_train
from shared_apps.accounts.models import User
from shared_apps.accounts.phones import phone_normalize
from shared_apps.accounts.services import user_get_or_create_by_phone
from shared_apps.categories.models import Category
from tenant_apps.catalog.models import Product, ProductStatus, Variant
from tenant_apps.inventory.models import MovementReason, StockLevel, StockMovement
from tenant_apps.staff.models import Membership, Role
from tenant_apps.stores.models import Branch, Store
from tenant_apps.stores.tasks import merchant_stats_refresh
from tenants import schema_replay
from tenants.errors import TenantsErrorCode
from tenants.models import Merchant
from tenants.services import merchant_domain, merchant_provision


@dataclass
class SeedReport:
    categories_created: int = 0
    superuser_created: bool = False
    merchants_created: list[str] = field(default_factory=list)
    merchants_skipped: list[str] = field(default_factory=list)
    branches_created: int = 0
    products_created: int = 0
    variants_created: int = 0
    reels_created: int = 0
    behaviour_events: int = 0
    recommendation_models: int = 0
    seconds: float = 0.0


def console_url(slug: str | None = None, path: str = "/") -> str:
    host = merchant_domain(slug) if slug else settings.BASE_DOMAIN
    return f"http://{host}:{demo_data.CONSOLE_PORT}{path}"


def categories_ensure() -> tuple[dict[str, int], int]:
    """Every demo category by slug -> id, creating the missing ones. Existing rows are left as an admin edited them.

    Returns (ids, how many were created). Idempotent.
    """
    ids: dict[str, int] = {}
    created_count = 0
    with transaction.atomic():
        for position, spec in enumerate(demo_data.CATEGORIES):
            category, created = Category.objects.get_or_create(
                slug=spec.slug,
                defaults={
                    "name": spec.name,
                    "icon": spec.icon,
                    "parent_id": ids[spec.parent] if spec.parent else None,
                    "position": position,
                },
            )
            ids[spec.slug] = category.pk
            created_count += created
    return ids, created_count


def _name_fill(user: User, name: str) -> None:
    if name and not user.name:
        user.name = name
        user.save(update_fields=["name"])


def superuser_ensure() -> bool:
    """The demo platform admin (+923000000001) with the published demo TOTP key. Created once; kept after."""
    phone = phone_normalize(demo_data.SUPERUSER_PHONE)
    created = not User.objects.filter(phone=phone).exists()
    user = user_get_or_create_by_phone(phone=phone, name=demo_data.SUPERUSER_NAME)
    if not (user.is_staff and user.is_superuser):
        user.is_staff = user.is_superuser = True
        user.save(update_fields=["is_staff", "is_superuser"])
    if not TOTPDevice.objects.filter(user=user).exists():
        TOTPDevice.objects.create(
            user=user, name="demo authenticator", confirmed=True, key=demo_data.DEMO_ADMIN_TOTP_KEY
        )
    return created


def _catalog_create(spec: MerchantSpec, store: Store, categories: dict[str, int]) -> tuple[int, int]:
    """The merchant's products and variants (active, categorised, priced in PKR). Returns (products, variants)."""
    prefix = demo_data.sku_prefix(spec.slug)
    chosen = demo_data.products_for(spec)
    products = Product.objects.bulk_create(
        [
            Product(
                store=store,
                category_id=categories[item.category],
                name=item.name,
                slug=slugify(item.name),
                description=item.description,
                attributes={"brand": item.brand} if item.brand else {},
                status=ProductStatus.ACTIVE,
            )
            for item in chosen
        ]
    )
    variants = []
    for number, (item, product) in enumerate(zip(chosen, products, strict=True), start=1):
        for variant in item.variants:
            sku = f"{prefix}-{number:03d}-{variant.code}"
            variants.append(
                Variant(
                    product=product,
                    sku=sku,
                    barcode=demo_data.ean13(item, variant) if item.packaged else "",
                    name=variant.name,
                    options={item.option: variant.name},
                    price=demo_data.merchant_price(
                        variant.price, merchant_slug=spec.slug, sku=sku, fixed=item.fixed_price
                    ),
                    currency=settings.DEFAULT_CURRENCY,
                )
            )
    Variant.objects.bulk_create(variants)
    return len(products), len(variants)


def _stock_create(branches: list[Branch], *, slug: str) -> None:
    """Opening stock for every branch x variant, with its ledger 'receive' movement (the ledger sums to the level).
    Deterministic: a few items per branch are sold out or low, as in a real shop."""
    levels, movements = [], []
    for branch in branches:
        for variant in Variant.objects.order_by("pk"):
            digest = int(hashlib.sha256(f"{slug}:{branch.name}:{variant.sku}".encode()).hexdigest()[:8], 16)
            quantity = 0 if digest % 11 == 0 else (3 if digest % 7 == 0 else 8 + digest % 60)
            levels.append(StockLevel(branch=branch, variant=variant, on_hand=quantity))
            if quantity:
                movements.append(
                    StockMovement(
                        branch=branch,
                        variant=variant,
                        reason=MovementReason.RECEIVE,
                        on_hand_delta=quantity,
                        on_hand_after=quantity,
                        reference="opening stock",
                    )
                )
    StockLevel.objects.bulk_create(levels)
    StockMovement.objects.bulk_create(movements)


def _branches_create(spec: MerchantSpec, store: Store) -> list[Branch]:
    branches = []
    for index, key in enumerate(spec.places):
        place = demo_data.PLACES[key]
        seed = f"{spec.slug}:{index}"
        latitude, longitude = demo_data.jitter_coordinates(place, seed)
        delivers = spec.delivery_km is not None
        branches.append(
            Branch(
                store=store,
                name=place.spot,
                address=demo_data.street_address(place, seed),
                area=place.area,
                city="Lahore",
                latitude=latitude,
                longitude=longitude,
                phone=demo_data.landline(seed),
                opening_hours=demo_data.opening_hours(spec),
                offers_pickup=True,
                offers_delivery=delivers,
                delivery_radius_km=spec.delivery_km if delivers else 0,
            )
        )
    return Branch.objects.bulk_create(branches)


def _staff_create(store: Store, branches: list[Branch]) -> None:
    for staff in demo_data.DEMO_STAFF:
        user = user_get_or_create_by_phone(phone=staff.phone, name=staff.name)
        _name_fill(user, staff.name)
        branch = branches[staff.branch_index] if staff.branch_index is not None else None
        Membership.objects.create(
            user=user,
            role=staff.role,
            store=store if staff.role == Role.SHOP_OWNER else None,
            branch=branch,
            duties=list(staff.duties),
        )


def merchant_seed(spec: MerchantSpec, *, index: int, categories: dict[str, int], report: SeedReport) -> None:
    """Provision one demo merchant and fill its schema, in one transaction. Skips a slug that already exists.

    Raises DomainError from provisioning (e.g. an invalid demo phone); nothing of this merchant is left behind then.
    """
    if Merchant.objects.filter(slug=spec.slug).exists():
        report.merchants_skipped.append(spec.slug)
        return
    try:
        with transaction.atomic():
            merchant = merchant_provision(
                name=spec.name, slug=spec.slug, owner_phone=demo_data.owner_phone(index), area=spec.area
            )
            _name_fill(merchant.owner, spec.owner_name)
            with schema_context(merchant.schema_name):
                store = Store.objects.create(
                    name=spec.name,
                    slug=spec.slug,
                    description=spec.description,
                    phone=demo_data.landline(f"{spec.slug}:store"),
                )
                branches = _branches_create(spec, store)
                products, variants = _catalog_create(spec, store, categories)
                _stock_create(branches, slug=spec.slug)
                if spec.slug == demo_data.DEMO_MERCHANT_SLUG:
                    _staff_create(store, branches)
                merchant_stats_refresh()  # synchronously, in this schema: the public card is right at once
            listings_rebuild(schema=merchant.schema_name)  # the marketplace index, in the same transaction
    except DomainError as exc:
        if exc.code == TenantsErrorCode.SLUG_TAKEN:  # a concurrent seed won the race
            report.merchants_skipped.append(spec.slug)
            return
        raise
    report.merchants_created.append(spec.slug)
    report.branches_created += len(branches)
    report.products_created += products
    report.variants_created += variants


class Command(BaseCommand):
    help = "Seed a demo marketplace in Lahore: categories, 24 merchants with stores, branches, products and staff."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing if any merchant exists (for `make run`)."
        )
        parser.add_argument(
            "--reels", type=int, default=30, help="About this many short demo reels, made by ffmpeg (0: none)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        public = get_public_schema_name()
        if options["if_empty"] and Merchant.objects.exclude(schema_name=public).exists():
            count = Merchant.objects.exclude(schema_name=public).count()
            if options["verbosity"] >= 1:
                self.stdout.write(f"seed_demo: {count} merchant(s) already exist; nothing to do (--if-empty).")
            return
        started = time.perf_counter()
        schema_replay.current_script()  # record the tenant template now, outside any merchant's transaction
        report = SeedReport()
        categories, report.categories_created = categories_ensure()
        report.superuser_created = superuser_ensure()
        specs = demo_data.MERCHANTS
        with tqdm(total=len(specs), desc="demo merchants", unit="merchant", disable=options["verbosity"] < 1) as bar:
            for index, spec in enumerate(specs):
                bar.set_postfix_str(spec.slug)
                try:
                    merchant_seed(spec, index=index, categories=categories, report=report)
                except DomainError as exc:
                    raise CommandError(f"{spec.slug}: {exc.code}: {exc.message}") from exc
                bar.update()
        search_terms_refresh()  # typo correction knows the demo catalogue's words at once
        say = self.stdout.write if options["verbosity"] >= 1 else (lambda text: None)
        report.reels_created = reels_seed(total=options["reels"], say=say)
        # a month of the demo shoppers' views and purchases, then one training: the demo has recommendations at once
        report.behaviour_events = demo_history_record(now=timezone.now())
        if report.behaviour_events:
            report.recommendation_models = len(recommendations_train())
        report.seconds = time.perf_counter() - started
        if options["verbosity"] >= 1:
            self._summary(report)

    def _summary(self, report: SeedReport) -> None:
        out = self.stdout.write
        out(
            self.style.SUCCESS(
                f"seed_demo: {len(report.merchants_created)} merchants created, {len(report.merchants_skipped)} "
                f"already there; {report.branches_created} branches, {report.products_created} products, "
                f"{report.variants_created} variants, {report.reels_created} reels, "
                f"{report.behaviour_events} behaviour events, {report.recommendation_models} recommendation models, "
                f"{report.categories_created} categories created "
                f"in {report.seconds:.1f}s"
            )
        )
        demo = demo_data.MERCHANTS[0]
        branch = demo_data.PLACES[demo.places[0]].spot
        url = console_url(demo.slug)
        out("\nDemo sign-in: enter the phone, read the code at http://127.0.0.1:8100/sms (the SMS sandbox).")
        out("The admin's second factor: `manage.py demo_totp` prints the current authenticator code.")
        rows = [
            ("platform admin", demo_data.SUPERUSER_PHONE, console_url(path="/admin/"), "superuser + TOTP"),
            ("merchant", demo_data.owner_phone(0), url, f"all of {demo.name}"),
        ]
        labels = {Role.SHOP_OWNER: "shop owner", Role.BRANCH_MANAGER: "branch manager", Role.EMPLOYEE: "employee"}
        for staff in demo_data.DEMO_STAFF:
            scope = f"store {demo.name}" if staff.branch_index is None else f"branch {branch}"
            if staff.duties:
                scope += f" ({', '.join(staff.duties)})"
            rows.append((labels[Role(staff.role)], staff.phone, url, scope))
        for role, phone, link, scope in rows:
            out(f"  {role:<15} {phone:<14} {link:<45} {scope}")
        out("\nMerchants (owner = role merchant):")
        merchants = {m.slug: m for m in Merchant.objects.filter(slug__in=[s.slug for s in demo_data.MERCHANTS])}
        for index, spec in enumerate(demo_data.MERCHANTS):
            merchant = merchants.get(spec.slug)
            stats = merchant.stats if merchant else {}
            out(
                f"  {spec.name:<24} {spec.kind:<11} {spec.area:<18} {stats.get('branches', 0)} br "
                f"{stats.get('products', 0):>2} products  {demo_data.owner_phone(index)}  {console_url(spec.slug)}"
            )

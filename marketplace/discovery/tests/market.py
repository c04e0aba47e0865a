"""A small Lahore market for page and browser tests: categories, three shops with branches, products, prices and
stock, made through the real services and published to the listing index."""

from __future__ import annotations

from dataclasses import dataclass, field

from django_tenants.utils import schema_context

from marketplace.discovery.search_text import search_terms_refresh
from marketplace.listings.sync import listings_publish
from shared_apps.categories.models import Category
from tenant_apps.catalog.models import Product, ProductStatus
from tenant_apps.catalog.services import VariantSpec, branch_price_set, product_create
from tenant_apps.inventory.services import stock_receive
from tenant_apps.stores.models import Branch
from tenant_apps.stores.services import branch_create, store_create
from tenants.models import Merchant

ALL_DAY = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}

# (slug, name, parent slug)
CATEGORIES = (
    ("grocery", "Grocery", None),
    ("rice-flour", "Rice & Flour", "grocery"),
    ("dairy", "Dairy & Eggs", "grocery"),
    ("pharmacy", "Pharmacy", None),
    ("medicines", "Medicines", "pharmacy"),
    ("bakery", "Bakery", None),
    ("cakes", "Cakes & Pastries", "bakery"),
)


@dataclass(frozen=True)
class BranchSpec:
    name: str
    area: str
    lat: str
    lng: str
    delivery_km: str | None = None  # None: pickup only
    fee: str = "0"
    min_order: str = "0"
    hours: dict = field(default_factory=lambda: ALL_DAY)


@dataclass(frozen=True)
class ProductSpec:
    name: str
    category: str
    variants: tuple[tuple[str, str], ...]  # (name, price)
    description: str = ""
    stock: int = 10  # units at every branch; 0: out of stock


@dataclass(frozen=True)
class ShopSpec:
    slug: str
    name: str
    description: str
    branches: tuple[BranchSpec, ...]
    products: tuple[ProductSpec, ...]


SHOPS = (
    ShopSpec(
        "gulberg-grocer",
        "Gulberg Grocer",
        "Everyday groceries, delivered in Gulberg within the hour.",
        (
            BranchSpec("Liberty Market", "Gulberg III", "31.510200", "74.344300", "5", "100", "500"),
            BranchSpec("DHA Y Block", "DHA Phase 3", "31.471500", "74.379000", hours={}),  # closed, pickup only
        ),
        (
            ProductSpec(
                "Guard Basmati Rice", "rice-flour", (("1 kg", "590"), ("5 kg", "2750")), "Aged long grain for biryani."
            ),
            ProductSpec("Sunridge Chakki Atta", "rice-flour", (("5 kg", "720"), ("10 kg", "1390"))),
            ProductSpec("Nurpur Butter", "dairy", (("200 g", "640"),), "Fresh salted butter."),
            ProductSpec("Farm Eggs", "dairy", (("1 dozen", "390"), ("Tray of 30", "960")), stock=0),
        ),
    ),
    ShopSpec(
        "shifa-pharmacy",
        "Shifa Pharmacy",
        "Medicines and first aid; a pharmacist on every shift.",
        (BranchSpec("Barkat Market", "Garden Town", "31.503500", "74.321500", "6"),),
        (
            ProductSpec("Panadol Extra", "medicines", (("Strip of 10", "1250"),), "Paracetamol with caffeine."),
            ProductSpec("Surbex Z", "medicines", (("30 tablets", "1450.50"),), stock=0),
        ),
    ),
    ShopSpec(
        "crust-and-crumb",
        "Crust & Crumb",
        "Cakes, brownies and breads baked every morning.",
        (BranchSpec("MM Alam Road", "Gulberg III", "31.513500", "74.350200", "4", "150", "1000"),),
        (
            ProductSpec(
                "Chocolate Fudge Cake", "cakes", (("1 lb", "1800"), ("2 lb", "3400")), "Baked fresh, rich and moist."
            ),
            ProductSpec("Cake Rusk", "bakery", (("Box", "450"),), "Fresh from our oven every morning."),
        ),
    ),
)


@dataclass
class Shop:
    merchant: Merchant
    store_slug: str
    branches: list[Branch]
    products: dict[str, Product]


@dataclass
class Market:
    categories: dict[str, Category]
    shops: dict[str, Shop]

    def product(self, shop: str, name: str) -> tuple[str, int]:
        return shop, self.shops[shop].products[name].pk


def _categories() -> dict[str, Category]:
    made: dict[str, Category] = {}
    for position, (slug, name, parent) in enumerate(CATEGORIES):
        made[slug] = Category.objects.create(slug=slug, name=name, parent=made.get(parent), position=position)
    return made


def _shop(make_merchant, spec: ShopSpec, categories: dict[str, Category]) -> Shop:
    merchant = make_merchant(slug=spec.slug, name=spec.name)
    with schema_context(merchant.schema_name):
        store = store_create(name=spec.name, description=spec.description)
        branches = [
            branch_create(
                store=store,
                name=b.name,
                address=f"Shop 7, {b.name}, {b.area}, Lahore",
                area=b.area,
                latitude=b.lat,
                longitude=b.lng,
                phone="+924235700000",
                opening_hours=b.hours,
                offers_delivery=b.delivery_km is not None,
                delivery_radius_km=b.delivery_km or "0",
                delivery_fee=b.fee,
                delivery_min_order=b.min_order,
            )
            for b in spec.branches
        ]
        products = {}
        for i, p in enumerate(spec.products):
            variants = [
                VariantSpec(sku=f"{spec.slug[:8].upper()}-{i}-{j}", name=name, price=price)
                for j, (name, price) in enumerate(p.variants)
            ]
            product = product_create(
                store_id=store.pk,
                name=p.name,
                variants=variants,
                description=p.description,
                category_id=categories[p.category].pk,
                status=ProductStatus.ACTIVE,
            )
            products[p.name] = product
            if p.stock:
                for variant in product.variants.all():
                    for branch in branches:
                        stock_receive(branch_id=branch.pk, variant_id=variant.pk, quantity=p.stock, actor_id=None)
    return Shop(merchant=merchant, store_slug=store.slug, branches=branches, products=products)


def build_market(make_merchant, shops: tuple[ShopSpec, ...] = SHOPS) -> Market:
    """Categories, the shops with branches, products and stock, published to the listing index; the rice's 5 kg is
    on offer at the grocer's first branch (Rs 2,500 instead of Rs 2,750)."""
    categories = _categories()
    market = Market(categories=categories, shops={})
    for spec in shops:
        market.shops[spec.slug] = _shop(make_merchant, spec, categories)
    grocer = market.shops.get("gulberg-grocer")
    if grocer:
        with schema_context(grocer.merchant.schema_name):
            five_kg = grocer.products["Guard Basmati Rice"].variants.get(name="5 kg")
            branch_price_set(branch_id=grocer.branches[0].pk, variant_id=five_kg.pk, price="2500")
    for shop in market.shops.values():
        listings_publish(schema=shop.merchant.schema_name)
    search_terms_refresh()
    return market

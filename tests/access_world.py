"""A small merchant world with every role and scope relation, shared by the access-matrix and scope tests.

Tenant T: stores S1 (branches B1a, B1b) and S2 (branch B2a), a reel shown at each branch ("R_<branch>").
Members: merchant (the owner), shop owner of S1,
branch manager of B1a, employee of B1a (every duty: it also rides), plus riders in B1b and B2a as targets. Tenant U:
a second merchant with its own store and branch. Users without memberships: a stranger. `world_orders_add` gives every
branch an order in each status a staff member moves from (named "O_<branch>_<status>"); `world_payments_add` gives
every branch a cash order handed over and paid (named "O_<branch>_picked_up", its money in the payments ledger).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from django_tenants.utils import schema_context

from shared_apps.accounts.models import User
from shared_apps.accounts.services import user_get_or_create_by_phone
from tenant_apps.catalog.models import Product, Variant
from tenant_apps.fulfilment.models import Delivery
from tenant_apps.orders.models import MerchantOrder, OrderStatus
from tenant_apps.reels.models import Reel, ReelProduct
from tenant_apps.staff.models import Invitation, Membership, Role
from tenant_apps.stores.models import Branch, Store
from tenants.models import Merchant


@dataclass
class World:
    t: Merchant
    u: Merchant
    users: dict[str, User] = field(default_factory=dict)  # role name -> user (tenant T)
    ids: dict[str, int] = field(default_factory=dict)  # "S1", "B1a", "M_B1b", "INV_S2", ... -> pk in T
    u_ids: dict[str, int] = field(default_factory=dict)  # same names in U
    stranger: User | None = None


def _branch(store: Store, name: str) -> Branch:
    return Branch.objects.create(
        store=store,
        name=name,
        address=f"{name} road",
        latitude=Decimal("31.5"),
        longitude=Decimal("74.3"),
        area="Gulberg",
    )


def _product(store: Store, name: str) -> tuple[int, int]:
    product = Product.objects.create(store=store, name=name, slug=name.lower(), status="active")
    variant = Variant.objects.create(product=product, sku=f"{name}-1", price=Decimal("100.00"))
    return product.pk, variant.pk


def _reel(branch: Branch, product_id: int, name: str) -> int:
    """A reel shown at one branch, tagging one product (no video behind it: access never reads the file)."""
    reel = Reel.objects.create(store_id=branch.store_id, public_id=f"matrix/{name}", created_by_id=0, caption=name)
    reel.branches.set([branch])
    ReelProduct.objects.create(reel=reel, product_id=product_id, position=1)
    return reel.pk


def _structure(owner_ids: dict[str, int], prefix: str) -> dict[str, int]:
    s1 = Store.objects.create(name=f"{prefix} Store 1", slug="store-1")
    s2 = Store.objects.create(name=f"{prefix} Store 2", slug="store-2")
    b1a, b1b, b2a = _branch(s1, "B1a"), _branch(s1, "B1b"), _branch(s2, "B2a")
    (p1, v1), (p2, v2) = _product(s1, "P1"), _product(s2, "P2")
    return {
        **owner_ids,
        "S1": s1.pk,
        "S2": s2.pk,
        "B1a": b1a.pk,
        "B1b": b1b.pk,
        "B2a": b2a.pk,
        "P1": p1,
        "V1": v1,
        "P2": p2,
        "V2": v2,
        "R_B1a": _reel(b1a, p1, f"{prefix}-b1a"),
        "R_B1b": _reel(b1b, p1, f"{prefix}-b1b"),
        "R_B2a": _reel(b2a, p2, f"{prefix}-b2a"),
    }


def build_world(make_merchant) -> World:
    t = make_merchant(slug="matrix-t", name="Matrix T", owner_phone="+923009000001")
    u = make_merchant(slug="matrix-u", name="Matrix U", owner_phone="+923009000002")
    world = World(t=t, u=u)
    world.users["merchant"] = t.owner
    phones = {
        "shop_owner": "+923009000011",
        "branch_manager": "+923009000012",
        "employee": "+923009000013",
        "emp_b1b": "+923009000014",
        "emp_b2a": "+923009000015",
    }
    for key, phone in phones.items():
        world.users[key] = user_get_or_create_by_phone(phone=phone)
    world.stranger = user_get_or_create_by_phone(phone="+923009000099")
    with schema_context(t.schema_name):
        ids = _structure({}, "T")
        owner = Membership.objects.get(user=t.owner)
        ids["M_merchant"] = owner.pk
        specs = {
            "shop_owner": {"role": Role.SHOP_OWNER, "store_id": ids["S1"]},
            "branch_manager": {"role": Role.BRANCH_MANAGER, "branch_id": ids["B1a"]},
            "employee": {
                "role": Role.EMPLOYEE,
                "branch_id": ids["B1a"],
                "duties": ["process_orders", "update_stock", "deliver"],
            },
            "emp_b1b": {"role": Role.EMPLOYEE, "branch_id": ids["B1b"], "duties": ["deliver"]},
            "emp_b2a": {"role": Role.EMPLOYEE, "branch_id": ids["B2a"], "duties": ["deliver"]},
        }
        for key, spec in specs.items():
            ids[f"M_{key}"] = Membership.objects.create(user=world.users[key], **spec).pk
        expires = timezone.now() + timedelta(days=7)
        for name, scope in {
            "INV_B1a": {"branch_id": ids["B1a"], "role": Role.EMPLOYEE},
            "INV_B1b": {"branch_id": ids["B1b"], "role": Role.EMPLOYEE},
            "INV_S2": {"store_id": ids["S2"], "role": Role.SHOP_OWNER},
        }.items():
            phone = f"+9230090001{len(ids):02d}"
            ids[name] = Invitation.objects.create(phone=phone, invited_by=t.owner, expires_at=expires, **scope).pk
        world.ids = ids
    with schema_context(u.schema_name):
        u_ids = _structure({"M_merchant": Membership.objects.get(user=u.owner).pk}, "U")
        u_ids["M_emp"] = Membership.objects.create(
            user=user_get_or_create_by_phone(phone="+923009000021"), role=Role.EMPLOYEE, branch_id=u_ids["B1a"]
        ).pk
        u_ids["INV_B1a"] = Invitation.objects.create(
            phone="+923009000022", invited_by=u.owner, expires_at=expires, branch_id=u_ids["B1a"], role=Role.EMPLOYEE
        ).pk
        world.u_ids = u_ids
    return world


WORLD_ORDER_STATUSES = (
    OrderStatus.PLACED,
    OrderStatus.ACCEPTED,
    OrderStatus.PREPARING,
    OrderStatus.READY_FOR_PICKUP,
    OrderStatus.OUT_FOR_DELIVERY,  # a delivery order (a pickup is handed over only with its code)
)


def _orders(ids: dict[str, int], branches: tuple[str, ...], prefix: str) -> None:
    for branch in branches:
        for status in WORLD_ORDER_STATUSES:
            ids[f"O_{branch}_{status}"] = MerchantOrder.objects.create(
                number=f"{prefix}{branch}-{status}"[:24],
                customer_order_id=0,
                customer_order_number=f"{prefix}{branch}",
                branch_id=ids[branch],
                status=status,
                fulfilment="delivery" if status == OrderStatus.OUT_FOR_DELIVERY else "pickup",
                payment_method="cod",
                customer_name="Matrix buyer",
                customer_phone="+923001234567",
                subtotal=Decimal("100.00"),
                total=Decimal("100.00"),
            ).pk


WORLD_PICKUP_CODE = "4321"


def _deliveries(ids: dict[str, int], riders: dict[str, str], prefix: str) -> None:
    """Per branch: "D_<branch>", an own-rider delivery its rider has picked up, and "DP_<branch>", the pickup
    delivery of its ready_for_pickup order (code WORLD_PICKUP_CODE)."""
    for branch, rider in riders.items():
        order = MerchantOrder.objects.create(
            number=f"{prefix}{branch}-ride"[:24],
            customer_order_id=0,
            customer_order_number=f"{prefix}{branch}",
            branch_id=ids[branch],
            status=OrderStatus.OUT_FOR_DELIVERY,
            fulfilment="delivery",
            payment_method="cod",
            customer_name="Matrix buyer",
            customer_phone="+923001234567",
            address="House 1, Gulberg",
            latitude=Decimal("31.51"),
            longitude=Decimal("74.34"),
            subtotal=Decimal("100.00"),
            total=Decimal("100.00"),
        )
        common = {"branch_id": ids[branch], "handover_code": "8765", "pickup_code": WORLD_PICKUP_CODE}
        ids[f"D_{branch}"] = Delivery.objects.create(
            order=order, method="own_rider", status="picked_up", rider_id=ids[rider], **common
        ).pk
        ids[f"DP_{branch}"] = Delivery.objects.create(
            order_id=ids[f"O_{branch}_ready_for_pickup"], method="pickup", status="ready", **common
        ).pk


def world_deliveries_add(world: World) -> World:
    """Deliveries to aim the fulfilment routes at (after world_orders_add): T's branches and U's B1a."""
    with schema_context(world.t.schema_name):
        _deliveries(world.ids, {"B1a": "M_employee", "B1b": "M_emp_b1b", "B2a": "M_emp_b2a"}, "T")
    with schema_context(world.u.schema_name):
        _deliveries(world.u_ids, {"B1a": "M_emp"}, "U")
    return world


def world_orders_add(world: World) -> World:
    """Orders without lines (no stock moves), written directly: the access matrix needs objects to aim at, not a
    checkout. Pickups, but for the one out for delivery. T: every branch; U: its B1a."""
    with schema_context(world.t.schema_name):
        _orders(world.ids, ("B1a", "B1b", "B2a"), "T")
    with schema_context(world.u.schema_name):
        _orders(world.u_ids, ("B1a",), "U")
    return world


def paid_cash_order_add(
    merchant: Merchant, ids: dict[str, int], branch: str, prefix: str, amount: Decimal = Decimal("100.00")
) -> int:
    """A pickup order at `ids[branch]` paid in cash and handed over, without checkout: the merchant order (named
    "O_<branch>_picked_up" in `ids`), its customer order and part, the COD intent and the cash captured in the
    ledger. Returns the merchant order's id."""
    from marketplace.orders.models import CustomerOrder, CustomerOrderPart
    from shared_apps.payments.services import payment_cod_collected, payment_intent_create

    number = f"{prefix}{branch}-paid"
    with schema_context(merchant.schema_name):
        order = MerchantOrder.objects.create(
            number=f"{number}-1",
            customer_order_id=0,
            customer_order_number=number,
            branch_id=ids[branch],
            status=OrderStatus.PICKED_UP,
            fulfilment="pickup",
            payment_method="cod",
            customer_name="Matrix buyer",
            customer_phone="+923001234567",
            subtotal=amount,
            total=amount,
            paid_at=timezone.now(),
        )
        ids[f"O_{branch}_{OrderStatus.PICKED_UP}"] = order.pk
    customer_order = CustomerOrder.objects.create(
        number=number,
        status="completed",
        contact_phone="+923001234567",
        subtotal=amount,
        total=amount,
        payment_method="cod",
        owner_key=f"matrix:{number}",
        idempotency_key=number,
        request_hash="-",
    )
    part = CustomerOrderPart.objects.create(
        order=customer_order,
        merchant=merchant,
        merchant_order_id=order.pk,
        number=order.number,
        branch_id=ids[branch],
        merchant_slug=merchant.slug,
        store_name="Matrix store",
        branch_name=branch,
        status=OrderStatus.PICKED_UP,
        fulfilment="pickup",
        subtotal=amount,
        total=amount,
    )
    payment_intent_create(customer_order=customer_order, method="cod", amount=amount, currency="PKR", parts=[part])
    payment_cod_collected(part=part)
    return order.pk


def world_payments_add(world: World) -> World:
    """A paid cash order per branch (T: every branch; U: its B1a): the payments routes need money to show and refund.
    Built directly (no checkout): a customer order with one part, its intent, and the cash captured in the ledger."""
    for branch in ("B1a", "B1b", "B2a"):
        paid_cash_order_add(world.t, world.ids, branch, "T")
    paid_cash_order_add(world.u, world.u_ids, "B1a", "U")
    return world

"""Every console route x every role x {own scope, sibling branch, sibling store, other tenant} and the principals
without a role {no membership, guest, anonymous}. The expected outcome is written once, in TABLE; the routes are
discovered from the tenant URLconf and the console API, so a new route missing from TABLE fails the test."""

from __future__ import annotations

import hashlib
import hmac
import itertools
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django_tenants.utils import schema_context

from config.api import console_api, public_api
from kernel.cache import redis_client
from marketplace.reels.models import ReelCard
from shared_apps.accounts.services import guest_create, user_get_or_create_by_phone
from shared_apps.accounts.tokens import guest_token_issue, token_pair_issue
from shared_apps.behaviour.models import BehaviourEvent
from shared_apps.behaviour.products import product_view_record
from shared_apps.behaviour.recorder import events_key
from shared_apps.behaviour.selectors import shopper_recording
from shared_apps.behaviour.services import behaviour_drain
from tenant_apps.catalog.models import BranchPrice
from tenant_apps.inventory.models import StockLevel
from tests.access_world import (
    WORLD_PICKUP_CODE,
    World,
    build_world,
    world_deliveries_add,
    world_orders_add,
    world_payments_add,
)

ROLES = ("merchant", "shop_owner", "branch_manager", "employee")
A, B, C = "own", "sibling_branch", "sibling_store"
ABC, AB, ONLY_A, NONE = frozenset({A, B, C}), frozenset({A, B}), frozenset({A}), frozenset()
EVERY_ROLE_A = dict.fromkeys(ROLES, ONLY_A)
PUBLIC = "public"  # reachable without a membership by design (sign-in, probes, API description)
SCRAPER = "scraper"  # no principal at all: only the metrics scraper (METRICS_TOKEN, or local and direct)
STOCK = {  # employees only with the update_stock duty (the world's employee has it)
    "merchant": ABC,
    "shop_owner": AB,
    "branch_manager": ONLY_A,
    "employee": ONLY_A,
}
ORDERS = {  # employees only with the process_orders duty (the world's employee has it)
    "merchant": ABC,
    "shop_owner": AB,
    "branch_manager": ONLY_A,
    "employee": ONLY_A,
}
PAYMENTS = {"merchant": ONLY_A, "shop_owner": ONLY_A, "branch_manager": ONLY_A}  # never employees, whatever duties
REFUNDS = {"merchant": ABC, "shop_owner": AB, "branch_manager": ONLY_A}  # money out of an order in scope
REELS_MANAGE = {"merchant": ABC, "shop_owner": AB, "branch_manager": ONLY_A}
REELS_MANAGE_A = {"merchant": ONLY_A, "shop_owner": ONLY_A, "branch_manager": ONLY_A}
AUDIT = {"merchant": ONLY_A, "shop_owner": ONLY_A, "branch_manager": ONLY_A}  # each sees its scope's entries only

# (method, route) -> PUBLIC, or {role: cases allowed}. Roles missing from a dict are denied everywhere.
TABLE: dict[tuple[str, str], object] = {
    # console API
    ("GET", "/api/v1/console/summary"): EVERY_ROLE_A,
    ("GET", "/api/v1/console/stores"): EVERY_ROLE_A,
    ("GET", "/api/v1/console/stores/{store_id}"): {
        "merchant": ABC,
        "shop_owner": AB,
        "branch_manager": AB,
        "employee": AB,
    },
    ("GET", "/api/v1/console/branches"): EVERY_ROLE_A,
    ("GET", "/api/v1/console/branches/{branch_id}"): {
        "merchant": ABC,
        "shop_owner": AB,
        "branch_manager": ONLY_A,
        "employee": ONLY_A,
    },
    ("GET", "/api/v1/console/me"): EVERY_ROLE_A,
    ("GET", "/api/v1/console/staff"): {"merchant": ONLY_A, "shop_owner": ONLY_A, "branch_manager": ONLY_A},
    ("GET", "/api/v1/console/staff/{membership_id}"): {"merchant": ABC, "shop_owner": AB, "branch_manager": ONLY_A},
    ("PATCH", "/api/v1/console/staff/{membership_id}"): {"merchant": ABC, "shop_owner": AB},
    ("DELETE", "/api/v1/console/staff/{membership_id}"): {"merchant": ABC, "shop_owner": AB},
    ("GET", "/api/v1/console/invitations"): {"merchant": ONLY_A, "shop_owner": ONLY_A},
    ("POST", "/api/v1/console/invitations"): {"merchant": ABC, "shop_owner": AB},
    ("DELETE", "/api/v1/console/invitations/{invitation_id}"): {"merchant": ABC, "shop_owner": AB},
    ("GET", "/api/v1/console/invitations/mine"): EVERY_ROLE_A,  # and any signed-in stranger
    ("POST", "/api/v1/console/invitations/{invitation_id}/accept"): {},  # only the invitee (tested on its own)
    ("POST", "/api/v1/console/invitations/{invitation_id}/resend"): {"merchant": ABC, "shop_owner": AB},
    ("GET", "/api/v1/console/audit"): AUDIT,
    ("POST", "/api/v1/console/stores"): {"merchant": ONLY_A},
    ("PATCH", "/api/v1/console/stores/{store_id}"): {"merchant": ABC, "shop_owner": AB},
    ("POST", "/api/v1/console/branches"): {"merchant": ABC, "shop_owner": AB},
    ("PATCH", "/api/v1/console/branches/{branch_id}"): {"merchant": ABC, "shop_owner": AB, "branch_manager": ONLY_A},
    ("GET", "/api/v1/console/products"): EVERY_ROLE_A,
    ("POST", "/api/v1/console/products"): {"merchant": ABC, "shop_owner": AB},
    ("GET", "/api/v1/console/products/{product_id}"): {
        "merchant": ABC,
        "shop_owner": AB,
        "branch_manager": AB,
        "employee": AB,
    },
    ("PATCH", "/api/v1/console/products/{product_id}"): {"merchant": ABC, "shop_owner": AB},
    ("DELETE", "/api/v1/console/products/{product_id}"): {"merchant": ABC, "shop_owner": AB},
    ("POST", "/api/v1/console/products/{product_id}/variants"): {"merchant": ABC, "shop_owner": AB},
    ("PATCH", "/api/v1/console/variants/{variant_id}"): {"merchant": ABC, "shop_owner": AB},
    ("PUT", "/api/v1/console/branches/{branch_id}/prices/{variant_id}"): {"merchant": ABC, "shop_owner": AB},
    ("POST", "/api/v1/console/products/{product_id}/media/sign"): {"merchant": ABC, "shop_owner": AB},
    ("POST", "/api/v1/console/products/{product_id}/media"): {"merchant": ABC, "shop_owner": AB},  # PAST_ACCESS
    ("POST", "/api/v1/console/products/{product_id}/media/upload"): {"merchant": ABC, "shop_owner": AB},  # PAST_ACCESS
    ("DELETE", "/api/v1/console/products/{product_id}/media/{media_id}"): {},  # needs an attached asset: same
    ("GET", "/api/v1/console/branches/{branch_id}/events"): ORDERS,  # the board's live stream (WSGI: replay, close)
    ("GET", "/api/v1/console/riders/events"): {"merchant": ONLY_A, "shop_owner": ONLY_A, "employee": ONLY_A},  # riders
    ("GET", "/api/v1/console/branches/{branch_id}/stock"): STOCK,
    ("POST", "/api/v1/console/branches/{branch_id}/stock/{variant_id}/receive"): STOCK,
    ("POST", "/api/v1/console/branches/{branch_id}/stock/{variant_id}/adjust"): STOCK,
    ("POST", "/api/v1/console/branches/{branch_id}/stock/{variant_id}/count"): STOCK,
    ("GET", "/api/v1/console/branches/{branch_id}/movements"): STOCK,
    ("POST", "/api/v1/console/imports/products"): {"merchant": ONLY_A, "shop_owner": ONLY_A},
    ("POST", "/api/v1/console/imports/stock"): EVERY_ROLE_A,  # employee: update_stock; branch in the body
    ("GET", "/api/v1/console/imports/{import_id}"): {},  # only whoever started the import (tested on its own)
    ("GET", "/api/v1/console/exports/products.csv"): EVERY_ROLE_A,
    ("GET", "/api/v1/console/exports/stock.csv"): EVERY_ROLE_A,  # ?branch_id= of the case (the default body)
    ("GET", "/api/v1/console/orders"): EVERY_ROLE_A,  # employee: process_orders
    ("GET", "/api/v1/console/orders/{order_id}"): ORDERS,
    ("POST", "/api/v1/console/orders/{order_id}/accept"): ORDERS,  # each move aims at an order it applies to
    ("POST", "/api/v1/console/orders/{order_id}/reject"): ORDERS,
    ("POST", "/api/v1/console/orders/{order_id}/prepare"): ORDERS,
    ("POST", "/api/v1/console/orders/{order_id}/ready"): ORDERS,
    ("POST", "/api/v1/console/orders/{order_id}/handover"): ORDERS,
    ("POST", "/api/v1/console/orders/{order_id}/refund"): REFUNDS,  # aims at a paid (handed over) cash order
    ("GET", "/api/v1/console/payments/shares"): PAYMENTS,
    ("GET", "/api/v1/console/payments/settlements"): PAYMENTS,
    ("GET", "/api/v1/console/openapi.json"): PUBLIC,
    ("GET", "/api/v1/console/docs"): PUBLIC,
    # console pages
    ("GET", "/"): EVERY_ROLE_A,
    ("GET", "/branches/{branch_id}/"): {
        "merchant": ABC,
        "shop_owner": AB,
        "branch_manager": ONLY_A,
        "employee": ONLY_A,
    },
    ("GET", "/branches/new/"): {"merchant": ONLY_A, "shop_owner": ONLY_A},
    ("POST", "/branches/new/"): {"merchant": ABC, "shop_owner": AB},
    ("GET", "/branches/{branch_id}/edit/"): {"merchant": ABC, "shop_owner": AB, "branch_manager": ONLY_A},
    ("POST", "/branches/{branch_id}/edit/"): {"merchant": ABC, "shop_owner": AB, "branch_manager": ONLY_A},
    ("GET", "/branches/{branch_id}/hours/"): {"merchant": ABC, "shop_owner": AB, "branch_manager": ONLY_A},
    ("POST", "/branches/{branch_id}/hours/"): {"merchant": ABC, "shop_owner": AB, "branch_manager": ONLY_A},
    ("GET", "/branches/{branch_id}/delivery/"): {"merchant": ABC, "shop_owner": AB, "branch_manager": ONLY_A},
    ("POST", "/branches/{branch_id}/delivery/"): {"merchant": ABC, "shop_owner": AB, "branch_manager": ONLY_A},
    ("GET", "/stores/"): {"merchant": ONLY_A, "shop_owner": ONLY_A},
    ("GET", "/stores/new/"): {"merchant": ONLY_A},
    ("POST", "/stores/new/"): {"merchant": ONLY_A},
    ("GET", "/stores/{store_id}/"): {"merchant": ABC, "shop_owner": AB},
    ("POST", "/stores/{store_id}/"): {"merchant": ABC, "shop_owner": AB},
    ("GET", "/staff/"): {"merchant": ONLY_A, "shop_owner": ONLY_A, "branch_manager": ONLY_A},
    ("POST", "/staff/invite/"): {"merchant": ABC, "shop_owner": AB},
    ("POST", "/staff/{membership_id}/remove/"): {"merchant": ABC, "shop_owner": AB},
    ("GET", "/invitations/"): EVERY_ROLE_A,  # and any signed-in stranger
    ("POST", "/staff/invitations/{invitation_id}/resend/"): {"merchant": ABC, "shop_owner": AB},
    ("POST", "/staff/invitations/{invitation_id}/revoke/"): {"merchant": ABC, "shop_owner": AB},
    ("GET", "/audit/"): AUDIT,
    ("GET", "/audit/export.csv"): AUDIT,
    ("GET", "/stock/low/"): EVERY_ROLE_A,  # employee: update_stock (the world's employee has it)
    ("GET", "/orders/history/"): EVERY_ROLE_A,  # employee: process_orders
    ("GET", "/orders/{order_id}/slip/"): ORDERS,
    ("GET", "/products/"): EVERY_ROLE_A,
    ("GET", "/imports/"): EVERY_ROLE_A,
    ("GET", "/imports/template.csv"): {"merchant": ONLY_A, "shop_owner": ONLY_A},
    ("GET", "/products/starter/"): {"merchant": ONLY_A, "shop_owner": ONLY_A},
    ("POST", "/products/starter/"): {"merchant": ONLY_A, "shop_owner": ONLY_A},  # the store in the body
    ("POST", "/products/new/"): {"merchant": ABC, "shop_owner": AB},
    ("GET", "/products/{product_id}/"): {"merchant": ABC, "shop_owner": AB, "branch_manager": AB, "employee": AB},
    ("POST", "/products/{product_id}/"): {"merchant": ABC, "shop_owner": AB},
    ("GET", "/branches/{branch_id}/stock/"): STOCK,
    ("POST", "/branches/{branch_id}/stock/"): STOCK,
    ("GET", "/branches/{branch_id}/movements/"): STOCK,
    ("GET", "/orders/"): EVERY_ROLE_A,
    ("GET", "/orders/queue/"): EVERY_ROLE_A,
    ("GET", "/orders/{order_id}/"): ORDERS,
    ("POST", "/orders/{order_id}/"): ORDERS,
    ("POST", "/orders/{order_id}/refund/"): REFUNDS,
    ("GET", "/payments/"): PAYMENTS,
    # deliveries: riders are Employees with the deliver duty (the world's employee has it); a rider reaches only its
    # own deliveries, Branch Managers assign within their branch, the counter hands pickups over (orders.process)
    ("GET", "/rider/"): {"merchant": ONLY_A, "shop_owner": ONLY_A, "employee": ONLY_A},
    ("POST", "/rider/take/"): {"employee": ONLY_A},  # a rider of a branch; nothing ready: told so on the page
    ("POST", "/rider/deliveries/{delivery_id}/"): {"employee": ONLY_A},  # only its own: others' are 404/403
    ("POST", "/deliveries/{delivery_id}/assign/"): {"merchant": ABC, "shop_owner": AB, "branch_manager": ONLY_A},
    ("POST", "/deliveries/{delivery_id}/handover/"): ORDERS,  # aims at a pickup ready at the counter
    ("POST", "/api/v1/console/deliveries/{delivery_id}/handover"): ORDERS,  # the same, over the API
    # book a partner courier (again): aims at a rider's delivery, so the allowed get the page back with "not that way"
    ("POST", "/deliveries/{delivery_id}/courier/"): {"merchant": ABC, "shop_owner": AB, "branch_manager": ONLY_A},
    ("POST", "/api/v1/console/deliveries/{delivery_id}/location"): {"employee": ONLY_A},
    # reels: everyone in a branch sees its reels and their statistics; managers down to Branch Managers change them
    ("GET", "/api/v1/console/reels"): EVERY_ROLE_A,
    ("POST", "/api/v1/console/reels/sign"): REELS_MANAGE_A,
    ("POST", "/api/v1/console/reels"): REELS_MANAGE_A,  # a genuine Cloudinary upload: PAST_ACCESS
    ("GET", "/api/v1/console/reels/{reel_id}"): {
        "merchant": ABC,
        "shop_owner": AB,
        "branch_manager": ONLY_A,
        "employee": ONLY_A,
    },
    ("PATCH", "/api/v1/console/reels/{reel_id}"): REELS_MANAGE,
    ("DELETE", "/api/v1/console/reels/{reel_id}"): REELS_MANAGE,
    ("GET", "/reels/"): EVERY_ROLE_A,
    ("POST", "/reels/"): REELS_MANAGE_A,  # delete, the reel named in the body (B1a's)
    ("POST", "/onboarding/go-live/"): {"merchant": ONLY_A},  # the world's merchant is live: a no-op back home
    ("GET", "/console-signin/{token}/"): PUBLIC,  # a handoff token is the credential (tested on its own)
    ("GET", "/signin/"): PUBLIC,
    ("POST", "/signin/verify/"): PUBLIC,
    ("POST", "/signout/"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): SCRAPER,  # test_metrics_answer_no_principal_only_the_scraper
}
# Routes whose valid body the matrix cannot make (a genuine Cloudinary upload, tested on its own): allowed means
# the request got past the access layer to body validation (400), never 401/403/404.
PAST_ACCESS = {
    ("POST", "/api/v1/console/products/{product_id}/media"),
    ("POST", "/api/v1/console/products/{product_id}/media/upload"),  # the matrix sends JSON, not a file
    ("POST", "/api/v1/console/reels"),
}
SIGNED_IN_STRANGER_OK = {("GET", "/api/v1/console/invitations/mine"), ("GET", "/invitations/")}

TARGETS = {
    "store_id": {A: "S1", B: "S1", C: "S2"},
    "branch_id": {A: "B1a", B: "B1b", C: "B2a"},
    "membership_id": {A: "M_employee", B: "M_emp_b1b", C: "M_emp_b2a"},
    "invitation_id": {A: "INV_B1a", B: "INV_B1b", C: "INV_S2"},
    "product_id": {A: "P1", B: "P1", C: "P2"},
    "variant_id": {A: "V1", B: "V1", C: "V2"},
    "media_id": {A: "P1", B: "P1", C: "P2"},  # no media in the world: every call is a 404 or a deny
    "order_id": {A: "B1a", B: "B1b", C: "B2a"},  # the branch of the order; its status comes from the route
    "delivery_id": {A: "D_B1a", B: "D_B1b", C: "D_B2a"},  # a picked-up ride ("DP_": a pickup, for handovers)
    "reel_id": {A: "R_B1a", B: "R_B1b", C: "R_B2a"},
}
U_TARGETS = {
    "store_id": "S1",
    "branch_id": "B1a",
    "membership_id": "M_emp",
    "invitation_id": "INV_B1a",
    "product_id": "P1",
    "variant_id": "V1",
    "media_id": "P1",
    "order_id": "B1a",
    "delivery_id": "D_B1a",
    "reel_id": "R_B1a",
}
# The status an order must be in for the route's move to apply (the world has one of each per branch).
ORDER_STATUS_FOR = {
    "/prepare": "accepted",
    "/ready": "preparing",
    "/handover": "out_for_delivery",  # the plain handover is a delivery's; a pickup's needs its code
    "/refund": "picked_up",  # world_payments_add: paid in cash, money in the ledger
    "/refund/": "picked_up",
}


def _order_name(branch: str, path: str) -> str:
    status = next((s for suffix, s in ORDER_STATUS_FOR.items() if path.endswith(suffix)), "placed")
    return f"O_{branch}_{status}"


BODY_BRANCH = {A: "B1a", B: "B1b", C: "B2a"}  # the branch a write's body names, per case
BODY_STORE = {A: "S1", B: "S1", C: "S2"}


def _body(method: str, path: str, ids: dict[str, int], case: str) -> dict:
    """A valid body for each write, naming objects of the probe's case (the scope may live in the body)."""
    n = next(_phones)
    store = ids[BODY_STORE.get(case, "S1")]
    bodies = {
        ("POST", "/api/v1/console/stores"): {"name": f"New store {n}"},
        ("PATCH", "/api/v1/console/stores/{store_id}"): {"description": "Fresh every morning"},
        ("POST", "/api/v1/console/branches"): {
            "store_id": store,
            "name": f"Branch {n}",
            "address": "Main Blvd",
            "latitude": "31.5",
            "longitude": "74.3",
        },
        ("PATCH", "/api/v1/console/branches/{branch_id}"): {"phone": "04235761234"},
        ("POST", "/api/v1/console/products"): {
            "store_id": store,
            "name": f"Dates {n}",
            "variants": [{"sku": f"D-{n}", "price": "450.00"}],
        },
        ("PATCH", "/api/v1/console/products/{product_id}"): {"description": "Ajwa dates"},
        ("POST", "/api/v1/console/products/{product_id}/variants"): {"sku": f"X-{n}", "price": "10.00"},
        ("PATCH", "/api/v1/console/variants/{variant_id}"): {"price": "12.50"},
        ("PUT", "/api/v1/console/branches/{branch_id}/prices/{variant_id}"): {"price": "9.99"},
        ("POST", "/api/v1/console/branches/{branch_id}/stock/{variant_id}/receive"): {"quantity": 2},
        ("POST", "/api/v1/console/branches/{branch_id}/stock/{variant_id}/adjust"): {"delta": 1},
        ("POST", "/api/v1/console/branches/{branch_id}/stock/{variant_id}/count"): {"counted": 3},
        ("POST", "/api/v1/console/products/{product_id}/media/sign"): {"resource_type": "image"},
        ("POST", "/api/v1/console/products/{product_id}/media"): {"response": {"public_id": "x", "version": 1}},
        ("POST", "/api/v1/console/imports/products"): {
            "csv": f"store_slug,product_name,sku,price\nstore-1,Dates {n},CSV-{n},450.00\n"
        },
        ("POST", "/api/v1/console/imports/stock"): {
            "csv": f"branch_id,sku,on_hand\n{ids[BODY_BRANCH.get(case, 'B1a')]},P1-1,3\n"
        },
        ("POST", "/branches/{branch_id}/edit/"): {
            "name": f"Renamed {n}",
            "area": "Gulberg III",
            "address": "Main Blvd",
            "phone": "042 3576 1234",
            "latitude": "31.5102",
            "longitude": "74.3443",
        },
        ("POST", "/branches/{branch_id}/hours/"): {"mon_mode": "open", "mon_open1": "09:00", "mon_close1": "21:00"},
        ("POST", "/branches/{branch_id}/delivery/"): {"offers_pickup": "on", "delivery_radius_km": "3"},
        ("POST", "/stores/new/"): {"name": f"New store {n}"},
        ("POST", "/stores/{store_id}/"): {"action": "update", "name": f"Renamed store {n}", "description": "Fresh"},
        ("POST", "/branches/new/"): {
            "store_id": store,
            "name": f"Branch {n}",
            "address": "Main Blvd",
            "latitude": "31.52",
            "longitude": "74.35",
        },
        ("POST", "/products/new/"): {"name": f"Ghee {n}", "store_id": store, "sku": f"G-{n}", "price": "650"},
        ("POST", "/products/{product_id}/"): {"action": "update", "name": "Renamed", "status": "active"},
        ("POST", "/products/starter/"): {
            "list": "grocery",
            "store": store,
            "pick": "olpers-milk/1l",
            "price:olpers-milk/1l": "330",
        },
        ("POST", "/api/v1/console/orders/{order_id}/reject"): {"reason": "Out of stock"},
        ("POST", "/api/v1/console/reels"): {
            "upload": {"public_id": "x", "version": 1},
            "branch_ids": [ids[BODY_BRANCH.get(case, "B1a")]],
            "product_ids": [ids["P1"]],
        },
        ("PATCH", "/api/v1/console/reels/{reel_id}"): {"caption": f"Fresh naan {n}"},
        ("POST", "/reels/"): {"action": "delete", "reel_id": ids["R_B1a"]},
        ("POST", "/orders/{order_id}/"): {"action": "accept"},
        ("POST", "/rider/deliveries/{delivery_id}/"): {"action": "arrived"},
        ("POST", "/deliveries/{delivery_id}/assign/"): {"rider_id": ids.get("M_employee", 0)},
        ("POST", "/deliveries/{delivery_id}/handover/"): {"code": WORLD_PICKUP_CODE},
        ("POST", "/api/v1/console/deliveries/{delivery_id}/handover"): {"code": WORLD_PICKUP_CODE},
        ("POST", "/api/v1/console/deliveries/{delivery_id}/location"): {"lat": 31.52, "lng": 74.35, "accuracy": 9},
        ("POST", "/api/v1/console/orders/{order_id}/refund"): {"amount": "1.00", "reason": "One item was damaged"},
        ("POST", "/orders/{order_id}/refund/"): {"amount": "1.00", "reason": "One item was damaged"},
        ("POST", "/branches/{branch_id}/stock/"): {
            "action": "receive",
            "amount": "3",
            "variant_id": ids[TARGETS["variant_id"].get(case, "V1")],
        },
    }
    if (method, path) in bodies:
        return bodies[(method, path)]
    body = {
        "role": "employee",
        "branch_id": ids.get(BODY_BRANCH.get(case, "B1a"), ids["B1a"]),
        "duties": ["update_stock"],
    }
    if path in ("/api/v1/console/invitations", "/staff/invite/"):
        body["phone"] = f"+9230091{n:05d}"
    return body


def _django_routes(resolver: URLResolver, prefix: str = "") -> list[str]:
    routes = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route.startswith("api/v1/console/"):
                continue  # the API is enumerated from ninja, with methods
            routes += _django_routes(entry, route)
        elif isinstance(entry, URLPattern):
            routes.append("/" + route.replace("<int:", "{").replace("<str:", "{").replace(">", "}"))
    return routes


def discovered_routes() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for path in _django_routes(get_resolver("config.urls_tenant")):
        methods = [m for (m, p) in TABLE if p == path] or ["GET"]
        found |= {(m, path) for m in methods}
    for prefix, router in console_api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    found.add((method, "/api/v1/console" + prefix + path))
    found |= {("GET", "/api/v1/console/openapi.json"), ("GET", "/api/v1/console/docs")}
    return found


def test_every_console_route_is_in_the_table():
    assert discovered_routes() == set(TABLE), "add new console routes to TABLE (and remove deleted ones)"


@dataclass(frozen=True)
class Probe:
    principal: str  # a role, or "stranger" | "guest" | "anonymous"
    case: str  # own | sibling_branch | sibling_store | other_tenant


def _probes(path: str) -> list[Probe]:
    has_object = "{" in path
    cases = [A, B, C] if has_object else [A]
    probes = [Probe(role, case) for role, case in itertools.product(ROLES, [*cases, "other_tenant"])]
    return [*probes, Probe("stranger", A), Probe("guest", A), Probe("anonymous", A)]


_phones = itertools.count(100)


def _request(world: World, method: str, path: str, probe: Probe):
    on_u = probe.case == "other_tenant"
    merchant, ids = (world.u, world.u_ids) if on_u else (world.t, world.ids)
    url = path
    for param, by_case in TARGETS.items():
        name = U_TARGETS[param] if on_u else by_case[probe.case]
        if param == "order_id":
            name = _order_name(name, path)
        if "{" + param + "}" not in url:
            continue
        if param == "delivery_id" and path.rstrip("/").endswith("/handover"):
            name = name.replace("D_", "DP_")
        url = url.replace("{" + param + "}", str(ids[name]))
    client = Client(HTTP_HOST=f"{merchant.slug}.localhost")
    user = world.users.get(probe.principal) or (world.stranger if probe.principal == "stranger" else None)
    headers = {}
    is_api = path.startswith("/api/")
    if user is not None:
        if is_api:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {token_pair_issue(user=user).access}"
        else:
            client.force_login(user)
    elif probe.principal == "guest" and is_api:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {guest_token_issue(guest=guest_create())}"
    body = _body(method, path, ids, probe.case)
    with transaction.atomic():  # every probe leaves the world as it found it
        if is_api:
            response = getattr(client, method.lower())(url, body, content_type="application/json", **headers)
        else:
            response = getattr(client, method.lower())(url, body if method == "POST" else None, **headers)
        if response.streaming:  # a streamed export reads the database as it is consumed: inside the probe
            streamed = HttpResponse(b"".join(response.streaming_content), status=response.status_code)
            for header, value in response.items():
                streamed[header] = value
            response = streamed
        transaction.set_rollback(True)
    return response


def _allowed(entry, method: str, path: str, probe: Probe) -> bool:
    if probe.principal == "stranger":
        return (method, path) in SIGNED_IN_STRANGER_OK
    if probe.principal in ("guest", "anonymous") or probe.case == "other_tenant":
        return probe.case == "other_tenant" and (method, path) in SIGNED_IN_STRANGER_OK
    return probe.case in entry.get(probe.principal, NONE)


def _check(response, allowed: bool, path: str, probe: Probe, scope_denial: bool) -> str | None:
    status = response.status_code
    location = response.get("Location", "")
    if path.startswith("/api/"):
        if allowed:
            return None if status < 400 else f"expected success, got {status} {response.content[:200]!r}"
        if probe.principal in ("guest", "anonymous"):
            return None if status == 401 else f"expected 401, got {status}"
        if probe.principal == "stranger" or probe.case == "other_tenant":
            return None if status == 404 else f"expected 404, got {status}"
        if scope_denial and "{" in path and status != 404:
            return f"out of scope must be 404 (never reveal), got {status}"
        return None if status in (403, 404) else f"expected 403/404, got {status} {response.content[:200]!r}"
    if allowed:
        ok = status == 200 or (status == 302 and not location.startswith("/signin/"))
        detail = response.content.decode(errors="replace")
        hint = (
            detail[detail.find('role="alert"') : detail.find('role="alert"') + 200] if 'role="alert"' in detail else ""
        )
        return None if ok else f"expected the page, got {status} {location} {hint}"
    if probe.principal in ("guest", "anonymous", "stranger") or probe.case == "other_tenant":
        return None if status == 302 and location.startswith("/signin/") else f"expected sign-in, got {status}"
    return None if status in (403, 404) else f"expected 403/404, got {status} {location}"


ROUTES = sorted(TABLE, key=lambda key: (key[1], key[0]))


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_access_matrix(make_merchant, method, path):
    entry = TABLE[(method, path)]
    if entry in (PUBLIC, SCRAPER):
        return  # sign-in, probes and API descriptions: reachable by anyone by design; /metrics: tested below
    world = world_orders_add(build_world(make_merchant))
    if "refund" in path or "payments" in path:
        world = world_payments_add(world)
    if "deliver" in path or "rider" in path:
        world = world_deliveries_add(world)
    failures = []
    for probe in _probes(path):
        allowed = _allowed(entry, method, path, probe)
        role_allows_own = A in entry.get(probe.principal, NONE)
        scope_denial = role_allows_own and probe.case in (B, C) and method == "GET"
        response = _request(world, method, path, probe)
        if allowed and (method, path) in PAST_ACCESS and response.status_code == 400:
            continue
        problem = _check(response, allowed, path, probe, scope_denial)
        if problem:
            failures.append(f"{probe.principal:>15} {probe.case:<15} {problem}")
    assert not failures, f"{method} {path}\n" + "\n".join(failures)


SCRAPER_ROUTES = [(method, path) for (method, path), entry in TABLE.items() if entry == SCRAPER]


@pytest.mark.parametrize(("method", "path"), SCRAPER_ROUTES, ids=[f"{m} {p}" for m, p in SCRAPER_ROUTES])
def test_metrics_answer_no_principal_only_the_scraper(make_merchant, settings, method, path):
    """Every principal of the matrix — each role in and out of its tenant, a stranger, a guest, nobody — gets a 404
    from /metrics when the request comes through the front (X-Forwarded-For) or from elsewhere, signed in or not;
    the scraper gets the samples with the token. Both hosts serve it."""
    world = build_world(make_merchant)
    settings.METRICS_TOKEN = "matrix-scrape-token-0123"
    failures = []
    for probe in _probes(path):
        merchant = world.u if probe.case == "other_tenant" else world.t
        client = Client(HTTP_HOST=f"{merchant.slug}.localhost", REMOTE_ADDR="203.0.113.9")
        user = world.users.get(probe.principal) or (world.stranger if probe.principal == "stranger" else None)
        bearer = {}
        if user is not None:
            client.force_login(user)
            bearer = {"HTTP_AUTHORIZATION": f"Bearer {token_pair_issue(user=user).access}"}
        elif probe.principal == "guest":
            bearer = {"HTTP_AUTHORIZATION": f"Bearer {guest_token_issue(guest=guest_create())}"}
        for headers in ({}, bearer, {"HTTP_X_FORWARDED_FOR": "127.0.0.1"}):
            status = getattr(client, method.lower())(path, **headers).status_code
            if status != 404:
                failures.append(f"{probe.principal:>15} {probe.case:<15} {headers.keys()} got {status}")
    assert not failures, "\n".join(failures)
    for host in (f"{world.t.slug}.localhost", "localhost"):
        scraper = Client(HTTP_HOST=host, REMOTE_ADDR="203.0.113.9")
        response = getattr(scraper, method.lower())(path, HTTP_AUTHORIZATION="Bearer matrix-scrape-token-0123")
        assert response.status_code == 200 and b"planckly_http_requests_total" in response.content


# Routes that name a branch and a variant. The matrix's cases keep both in one store; here the Merchant, who sees
# every store, aims a branch of S1 at a variant of S2: only "this branch sells this variant" stands in the way.
BRANCH_VARIANT_ROUTES = [
    ("PUT", "/api/v1/console/branches/{branch_id}/prices/{variant_id}"),
    ("POST", "/api/v1/console/branches/{branch_id}/stock/{variant_id}/receive"),
    ("POST", "/api/v1/console/branches/{branch_id}/stock/{variant_id}/adjust"),
    ("POST", "/api/v1/console/branches/{branch_id}/stock/{variant_id}/count"),
    ("POST", "/branches/{branch_id}/stock/"),
]


@pytest.mark.parametrize(("method", "path"), BRANCH_VARIANT_ROUTES, ids=[f"{m} {p}" for m, p in BRANCH_VARIANT_ROUTES])
def test_a_branch_never_touches_a_variant_of_another_store(make_merchant, method, path):
    world = build_world(make_merchant)
    branch, variant = world.ids["B1a"], world.ids["V2"]
    url = path.replace("{branch_id}", str(branch)).replace("{variant_id}", str(variant))
    client = Client(HTTP_HOST=f"{world.t.slug}.localhost")
    body = _body(method, path, {**world.ids, "V1": variant}, A)  # the page names its variant in the body
    if path.startswith("/api/"):
        token = token_pair_issue(user=world.users["merchant"]).access
        response = getattr(client, method.lower())(
            url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
        )
    else:
        client.force_login(world.users["merchant"])
        response = client.post(url, body)
    assert response.status_code == 404
    with schema_context(world.t.schema_name):
        assert not StockLevel.objects.filter(branch_id=branch, variant_id=variant).exists()
        assert not BranchPrice.objects.filter(branch_id=branch, variant_id=variant).exists()


# ---- public routes that are signed instead of authenticated ---------------------------------------------------------
# The couriers' webhooks live on the marketplace host and take no user: the signature of the raw body is the only
# credential. (method, route) -> the signing header. Every public API route under /webhooks/ must be listed here.
SIGNED_PUBLIC: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/webhooks/couriers/uber"): "x-uber-signature",
}


def _public_webhook_routes() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for prefix, router in public_api._routers:
        for path, path_view in router.path_operations.items():
            if (prefix + path).startswith("/webhooks/"):
                for operation in path_view.operations:
                    found |= {(method, "/api/v1" + prefix + path) for method in operation.methods}
    return found


def test_every_public_webhook_route_is_in_the_signed_table():
    assert _public_webhook_routes() == set(SIGNED_PUBLIC), "add new public webhook routes to SIGNED_PUBLIC"


@pytest.mark.parametrize(("method", "path"), sorted(SIGNED_PUBLIC), ids=[f"{m} {p}" for m, p in sorted(SIGNED_PUBLIC)])
def test_a_signed_public_route_answers_anyone_with_a_signature_and_nobody_without(make_merchant, method, path):
    body = (
        b'{"event_id": "evt_matrix", "kind": "event.delivery_status", "delivery_id": "del_matrix", "status": "pickup"}'
    )
    good = hmac.new(settings.UBER_DIRECT_WEBHOOK_SIGNING_KEY.encode(), body, hashlib.sha256).hexdigest()
    header = "HTTP_" + SIGNED_PUBLIC[(method, path)].upper().replace("-", "_")
    market = Client(HTTP_HOST="localhost")
    user = user_get_or_create_by_phone(phone="+923009990001")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token_pair_issue(user=user).access}"}
    for headers in ({}, bearer, {header: "0" * 64}, {**bearer, header: "0" * 64}):
        response = getattr(market, method.lower())(path, body, content_type="application/json", **headers)
        assert response.status_code == 401 and response.json()["code"], (headers.keys(), response.content)
    response = getattr(market, method.lower())(path, body, content_type="application/json", **{header: good})
    assert response.status_code == 200, response.content
    merchant = make_merchant()
    on_console = Client(HTTP_HOST=f"{merchant.slug}.localhost")
    response = getattr(on_console, method.lower())(path, body, content_type="application/json", **{header: good})
    assert response.status_code == 404  # the marketplace's route only


# ---- the reels feed's public routes ----------------------------------------------------------------------------------
# The feed and its events answer anyone; what a shopper keeps (likes, saves, follows) needs a shopper (a user or a
# guest, by token or session) and is theirs only; none of them exists on a merchant's host. Every public API route
# under /reels or /shops must be listed here.
REELS_PUBLIC: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/reels"): "anyone",
    ("POST", "/api/v1/reels/events"): "anyone",
    ("PUT", "/api/v1/reels/{reel_id}/like"): "shopper",
    ("DELETE", "/api/v1/reels/{reel_id}/like"): "shopper",
    ("PUT", "/api/v1/reels/{reel_id}/save"): "shopper",
    ("DELETE", "/api/v1/reels/{reel_id}/save"): "shopper",
    ("PUT", "/api/v1/shops/{merchant_slug}/follow"): "shopper",
    ("DELETE", "/api/v1/shops/{merchant_slug}/follow"): "shopper",
}


def _reels_routes() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for prefix, router in public_api._routers:
        for path, path_view in router.path_operations.items():
            if (prefix + path).startswith(("/reels", "/shops/")):
                for operation in path_view.operations:
                    found |= {(method, "/api/v1" + prefix + path) for method in operation.methods}
    return found


def test_every_reels_route_is_in_the_reels_table():
    assert _reels_routes() == set(REELS_PUBLIC), "add new reels routes to REELS_PUBLIC"


@pytest.mark.parametrize(("method", "path"), sorted(REELS_PUBLIC), ids=[f"{m} {p}" for m, p in sorted(REELS_PUBLIC)])
def test_reels_routes_answer_whom_they_should(make_merchant, method, path):
    merchant = make_merchant()
    card = ReelCard.objects.create(
        merchant=merchant, reel_id=1, merchant_slug=merchant.slug, shop_name=merchant.name, duration_s=5,
        published_at=timezone.now(),
    )  # fmt: skip
    concrete = path.replace("{reel_id}", str(card.pk)).replace("{merchant_slug}", merchant.slug)
    query = {"lat": 31.52, "lng": 74.35} if method == "GET" else None
    body = f'{{"events": [{{"reel": {card.pk}, "kind": "view"}}]}}' if path.endswith("/events") else None
    market = Client(HTTP_HOST="localhost")

    def call(client: Client, **headers) -> HttpResponse:
        if method == "GET":
            return client.get(concrete, query, **headers)
        return getattr(client, method.lower())(concrete, body or "", content_type="application/json", **headers)

    anonymous = call(market)
    if REELS_PUBLIC[(method, path)] == "anyone":
        assert anonymous.status_code in (200, 202), anonymous.content
    else:
        assert anonymous.status_code == 401 and anonymous.json()["code"], anonymous.content
    guest = {"HTTP_AUTHORIZATION": f"Bearer {guest_token_issue(guest=guest_create())}"}
    assert call(market, **guest).status_code in (200, 202)
    on_console = call(Client(HTTP_HOST=f"{merchant.slug}.localhost"), **guest)
    assert on_console.status_code == 404  # the marketplace's route only


# ---- the shopper's history -------------------------------------------------------------------------------------------
# A shopper's preferences and history are the caller's own (a user or a guest, by token or session): no route takes
# an id, so there is no one else's to name; an app's product events answer anyone. None of them exists on a merchant's
# host. Every public API route under /me/preferences, /me/history or /events must be listed here.
HISTORY_PUBLIC: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/me/preferences"): "shopper",
    ("PUT", "/api/v1/me/preferences"): "shopper",
    ("GET", "/api/v1/me/history"): "shopper",
    ("DELETE", "/api/v1/me/history"): "shopper",
    ("POST", "/api/v1/events"): "anyone",
}


def _history_routes() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for prefix, router in public_api._routers:
        for path, path_view in router.path_operations.items():
            if (prefix + path).startswith(("/me/preferences", "/me/history", "/events")):
                for operation in path_view.operations:
                    found |= {(method, "/api/v1" + prefix + path) for method in operation.methods}
    return found


def test_every_history_route_is_in_the_history_table():
    assert _history_routes() == set(HISTORY_PUBLIC), "add new history routes to HISTORY_PUBLIC"


def _history_body(method: str, path: str) -> str | None:
    if path.endswith("/events"):
        return '{"events": [{"kind": "view", "listing_id": 1}]}'
    return '{"history_recording": false}' if method == "PUT" else None


@pytest.mark.parametrize(
    ("method", "path"), sorted(HISTORY_PUBLIC), ids=[f"{m} {p}" for m, p in sorted(HISTORY_PUBLIC)]
)
def test_history_routes_answer_whom_they_should(make_merchant, method, path):
    merchant = make_merchant()
    body = _history_body(method, path)

    def call(client: Client, **headers) -> HttpResponse:
        if body is None:
            return getattr(client, method.lower())(path, **headers)
        return getattr(client, method.lower())(path, body, content_type="application/json", **headers)

    market = Client(HTTP_HOST="localhost")
    anonymous = call(market)
    if HISTORY_PUBLIC[(method, path)] == "anyone":
        assert anonymous.status_code == 202, anonymous.content
    else:
        assert anonymous.status_code == 401 and anonymous.json()["code"], anonymous.content
    guest = {"HTTP_AUTHORIZATION": f"Bearer {guest_token_issue(guest=guest_create())}"}
    customer = user_get_or_create_by_phone(phone="+923009990002")
    user = {"HTTP_AUTHORIZATION": f"Bearer {token_pair_issue(user=customer).access}"}
    for headers in (guest, user):
        assert call(market, **headers).status_code in (200, 202)
    assert call(Client(HTTP_HOST=f"{merchant.slug}.localhost"), **guest).status_code == 404  # the marketplace's only


def test_a_customers_history_is_theirs_alone(db):
    """Ayesha's events are listed, cleared and switched off by Ayesha only: Bilal and a guest, signed in their own
    way, see and clear their own, and Ayesha's stays as it was."""
    redis_client().delete(events_key())  # nothing queued by an earlier test of this database
    ayesha = user_get_or_create_by_phone(phone="+923009990003")
    bilal = user_get_or_create_by_phone(phone="+923009990004")
    guest = guest_create()
    keys = {"ayesha": f"u:{ayesha.pk}", "bilal": f"u:{bilal.pk}", "guest": f"g:{guest.pk}"}
    for n, key in enumerate(keys.values(), start=1):
        product_view_record(shopper=key, merchant_id=1, product_id=n)
    product_view_record(shopper=keys["ayesha"], merchant_id=1, product_id=9)
    behaviour_drain()
    market = Client(HTTP_HOST="localhost")
    as_ = {
        "ayesha": {"HTTP_AUTHORIZATION": f"Bearer {token_pair_issue(user=ayesha).access}"},
        "bilal": {"HTTP_AUTHORIZATION": f"Bearer {token_pair_issue(user=bilal).access}"},
        "guest": {"HTTP_AUTHORIZATION": f"Bearer {guest_token_issue(guest=guest)}"},
    }
    seen = {who: market.get("/api/v1/me/history", **headers).json() for who, headers in as_.items()}
    assert {who: sorted(i["product_id"] for i in page["items"]) for who, page in seen.items()} == {
        "ayesha": [1, 9],
        "bilal": [2],
        "guest": [3],
    }
    for who in ("bilal", "guest"):
        assert market.delete("/api/v1/me/history", **as_[who]).json() == {"deleted": 1}
        market.put("/api/v1/me/preferences", '{"history_recording": false}', "application/json", **as_[who])
    assert BehaviourEvent.objects.filter(shopper=keys["ayesha"]).count() == 2
    assert shopper_recording(shopper=keys["ayesha"]) is True
    assert market.get("/api/v1/me/history", **as_["ayesha"]).json()["count"] == 2


# ---- recommendations ------------------------------------------------------------------------------------------------
# A shelf answers anyone (the shopper, if any, is the caller's token or session: a guest's or anonymous home shelf is
# the cold-start one); the order shelf only for the caller's own order (404 otherwise, tested in
# marketplace/recommendations/tests/test_api.py). Not on a merchant's host. Every public API route under
# /recommendations must be listed here; the admin's click-through page is the platform admin's (the admin site).
RECOMMENDATIONS_PUBLIC: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/recommendations"): "anyone",
}


def _recommendation_routes() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for prefix, router in public_api._routers:
        for path, path_view in router.path_operations.items():
            if (prefix + path).startswith("/recommendations"):
                for operation in path_view.operations:
                    found |= {(method, "/api/v1" + prefix + path) for method in operation.methods}
    return found


def test_every_recommendations_route_is_in_the_recommendations_table():
    assert _recommendation_routes() == set(RECOMMENDATIONS_PUBLIC), "add new routes to RECOMMENDATIONS_PUBLIC"


def test_recommendations_answer_anyone_on_the_marketplace_only(make_merchant):
    merchant = make_merchant()
    query = {"surface": "home", "lat": 31.52, "lng": 74.35}
    market = Client(HTTP_HOST="localhost")
    guest = {"HTTP_AUTHORIZATION": f"Bearer {guest_token_issue(guest=guest_create())}"}
    customer = user_get_or_create_by_phone(phone="+923009990005")
    user = {"HTTP_AUTHORIZATION": f"Bearer {token_pair_issue(user=customer).access}"}
    for headers in ({}, guest, user):
        assert market.get("/api/v1/recommendations", query, **headers).status_code == 200
    mine = {"surface": "order", "order": 1, "lat": 31.52, "lng": 74.35}
    for headers in ({}, guest, user):  # nobody's order is anybody else's
        assert market.get("/api/v1/recommendations", mine, **headers).status_code == 404
    on_console = Client(HTTP_HOST=f"{merchant.slug}.localhost").get("/api/v1/recommendations", query, **guest)
    assert on_console.status_code == 404


@pytest.mark.parametrize("principal", ["anonymous", "customer", "merchant_owner"])
def test_the_recommendations_admin_page_is_the_platform_admins_only(make_merchant, admin_client, principal):
    assert admin_client.get("/admin/behaviour/shelfdaily/").status_code == 200
    client = Client(HTTP_HOST="localhost")
    if principal == "customer":
        client.force_login(user_get_or_create_by_phone(phone="+923009990006"))
    elif principal == "merchant_owner":
        client.force_login(make_merchant().owner)
    response = client.get("/admin/behaviour/shelfdaily/")
    assert response.status_code == 302 and "/admin/behaviour/shelfdaily/" not in response["Location"].split("?")[0]

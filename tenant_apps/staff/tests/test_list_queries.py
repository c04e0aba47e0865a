"""The console's lists of people cost the same queries with one row or many: staff on its page, invitations (the
API, the staff page, the invitee's own), and the audit log (API and page), whoever wrote each entry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from shared_apps.accounts.services import user_get_or_create_by_phone
from tenant_apps.staff.models import AuditEntry, Invitation, Membership, Role
from tests.access_world import World, build_world
from tests.console_clients import console_api_client, console_page_client
from tests.query_counts import assert_list_queries_flat, html_count, json_items


@pytest.fixture
def world(make_merchant) -> World:
    return build_world(make_merchant)


def _invitations_added(world: World, count: int) -> None:
    """Pending invitations, alternating between a branch of each store and a store of its own."""
    scopes = (
        {"role": Role.EMPLOYEE, "branch_id": world.ids["B1b"]},
        {"role": Role.BRANCH_MANAGER, "branch_id": world.ids["B2a"]},
        {"role": Role.SHOP_OWNER, "store_id": world.ids["S1"]},
    )
    with schema_context(world.t.schema_name):
        for i in range(count):
            Invitation.objects.create(
                phone=f"+92300700{i:04d}",
                invited_by=world.users["merchant"],
                expires_at=timezone.now() + timedelta(days=7),
                **scopes[i % len(scopes)],
            )


def _members_added(world: World, count: int) -> None:
    with schema_context(world.t.schema_name):
        for i in range(count):
            user = user_get_or_create_by_phone(phone=f"+92300710{i:04d}")
            branch = world.ids[("B1a", "B1b", "B2a")[i % 3]]
            Membership.objects.create(user=user, role=Role.EMPLOYEE, branch_id=branch)


def _audit_added(world: World, count: int, *, store: str = "S1") -> None:
    """Audit entries by different people, each about the given store."""
    actors = [world.users[key] for key in ("merchant", "shop_owner", "branch_manager")]
    with schema_context(world.t.schema_name):
        for i in range(count):
            AuditEntry.objects.create(
                actor=actors[i % len(actors)],
                action="product.created",
                kind="product",
                target_type="product",
                target_id=i,
                store_id=world.ids[store],
                data={"product": f"Dates {i}"},
            )


def test_the_invitations_api_costs_the_same_for_three_invitations_or_seven(world):
    api = console_api_client(world.t, world.users["merchant"])
    assert_list_queries_flat(
        read=lambda: api.get("/api/v1/console/invitations"),
        rows=json_items,
        add_rows=lambda: _invitations_added(world, 4),
        few=3,
        many=7,
    )


def test_my_invitations_cost_the_same_with_none_or_one(world):
    """A phone has at most one pending invitation per merchant (a constraint), so none against one is the growth."""
    invitee = user_get_or_create_by_phone(phone="+923007000000")  # the first phone _invitations_added invites
    api = console_api_client(world.t, invitee)
    assert_list_queries_flat(
        read=lambda: api.get("/api/v1/console/invitations/mine"),
        rows=json_items,
        add_rows=lambda: _invitations_added(world, 1),
        few=0,
        many=1,
    )


def test_the_invitees_page_costs_the_same_with_none_or_one(world):
    invitee = user_get_or_create_by_phone(phone="+923007000000")
    client = console_page_client(world.t, invitee)
    assert_list_queries_flat(
        read=lambda: client.get("/invitations/"),
        rows=html_count("Accept invitation</button>"),
        add_rows=lambda: _invitations_added(world, 1),
        few=0,
        many=1,
    )


def test_the_audit_api_costs_the_same_for_one_entry_or_six(world):
    _audit_added(world, 1)
    api = console_api_client(world.t, world.users["merchant"])
    assert_list_queries_flat(
        read=lambda: api.get("/api/v1/console/audit"),
        rows=json_items,
        add_rows=lambda: _audit_added(world, 5),
        few=1,
        many=6,
    )


def test_a_shop_owners_audit_page_costs_the_same_for_one_entry_or_six(world):
    _audit_added(world, 1)
    client = console_page_client(world.t, world.users["shop_owner"])

    def grow() -> None:
        _audit_added(world, 5)
        _audit_added(world, 3, store="S2")  # outside the shop owner's store

    assert_list_queries_flat(
        read=lambda: client.get("/audit/"), rows=html_count('class="card audit-row"'), add_rows=grow, few=1, many=6
    )


def test_the_staff_page_costs_the_same_with_more_staff_and_invitations(world):
    client = console_page_client(world.t, world.users["merchant"])

    def grow() -> None:
        _members_added(world, 4)
        _invitations_added(world, 3)

    # six members and three pending invitations, then ten and six
    assert_list_queries_flat(
        read=lambda: client.get("/staff/"), rows=html_count("<tr><td>"), add_rows=grow, few=9, many=16
    )


def test_a_shop_owners_staff_page_costs_the_same_with_more_staff_in_its_store(world):
    client = console_page_client(world.t, world.users["shop_owner"])
    # the shop owner, the manager and employees of B1a and B1b; then two more in each of S1's
    # branches (the two added in B2a are outside its store)
    assert_list_queries_flat(
        read=lambda: client.get("/staff/"),
        rows=html_count("<td>Active</td>"),
        add_rows=lambda: _members_added(world, 6),
        few=4,
        many=8,
    )

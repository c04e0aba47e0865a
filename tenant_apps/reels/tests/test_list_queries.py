"""The console's reel lists cost the same queries with one reel or many (branches, tags and statistics included), and
what each role sees of them: a merchant only its own reels, a Branch Manager only its branch's."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tenant_apps.reels.models import Reel, ReelProduct
from tests.access_world import World, build_world
from tests.console_clients import console_api_client, console_page_client
from tests.query_counts import assert_list_queries_flat, html_count, json_items


@pytest.fixture
def world(make_merchant) -> World:
    return build_world(make_merchant)


def _reels_added(world: World, count: int) -> None:
    with schema_context(world.t.schema_name):
        for i in range(count):
            branch = world.ids[("B1a", "B1b", "B2a")[i % 3]]
            store = world.ids["S1"] if branch != world.ids["B2a"] else world.ids["S2"]
            product = world.ids["P1"] if store == world.ids["S1"] else world.ids["P2"]
            reel = Reel.objects.create(store_id=store, public_id=f"matrix/more-{i}", created_by_id=0, caption=f"R{i}")
            reel.branches.set([branch])
            ReelProduct.objects.create(reel=reel, product_id=product, position=1)


def test_the_reels_api_costs_the_same_for_three_reels_or_nine(world):
    api = console_api_client(world.t, world.users["merchant"])
    assert_list_queries_flat(
        read=lambda: api.get("/api/v1/console/reels"),
        rows=json_items,
        add_rows=lambda: _reels_added(world, 6),
        few=3,
        many=9,
    )


def test_the_reels_page_costs_the_same_for_three_reels_or_nine(world):
    client = console_page_client(world.t, world.users["merchant"])
    assert_list_queries_flat(
        read=lambda: client.get("/reels/"),
        rows=html_count('class="card reel-row"'),
        add_rows=lambda: _reels_added(world, 6),
        few=3,
        many=9,
    )


def test_each_role_lists_only_the_reels_and_statistics_of_its_scope(world):
    seen = {}
    for role in ("merchant", "shop_owner", "branch_manager", "employee"):
        reels = console_api_client(world.t, world.users[role]).get("/api/v1/console/reels").json()
        seen[role] = sorted(r["caption"] for r in reels)
        assert all("views" in r["stats"] for r in reels)
    assert seen == {
        "merchant": ["T-b1a", "T-b1b", "T-b2a"],
        "shop_owner": ["T-b1a", "T-b1b"],
        "branch_manager": ["T-b1a"],
        "employee": ["T-b1a"],
    }
    other = console_api_client(world.u, world.u.owner).get("/api/v1/console/reels").json()
    assert sorted(r["caption"] for r in other) == ["U-b1a", "U-b1b", "U-b2a"]  # another merchant: its own only
    stranger_reel = console_api_client(world.u, world.u.owner).get(f"/api/v1/console/reels/{world.ids['R_B1b']}")
    assert stranger_reel.status_code in (200, 404)
    if stranger_reel.status_code == 200:  # ids are per schema: the same number is U's own reel, never T's
        assert stranger_reel.json()["caption"].startswith("U-")


def test_a_branch_manager_cannot_change_a_reel_shown_at_another_branch_too(world):
    with schema_context(world.t.schema_name):
        Reel.objects.get(pk=world.ids["R_B1a"]).branches.add(world.ids["B1b"])
    api = console_api_client(world.t, world.users["branch_manager"])
    assert api.get(f"/api/v1/console/reels/{world.ids['R_B1a']}").status_code == 200
    answer = api.patch(f"/api/v1/console/reels/{world.ids['R_B1a']}", {"caption": "x"}, content_type="application/json")
    assert answer.status_code == 403 and answer.json()["code"] == "forbidden"

"""The audit log: every write service leaves an entry with the facts to say what happened in plain words; each role
reads its own scope's entries; filters, pages and the CSV export never reach past that scope."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from tenant_apps.catalog import services as catalog
from tenant_apps.catalog.csv_io import products_import, stock_import
from tenant_apps.catalog.models import Product, Variant
from tenant_apps.inventory.services import stock_adjust, stock_receive
from tenant_apps.staff.access import scoped_audit
from tenant_apps.staff.audit import Actions, audit_actor_forget, audit_actor_note, audit_sentence
from tenant_apps.staff.models import AuditEntry, Membership
from tenant_apps.stores import services as stores
from tenant_apps.stores.models import Branch, Store
from tests.access_world import World, build_world
from tests.console_clients import console_api_client, console_page_client
from tests.query_counts import assert_list_queries_flat, html_count


@pytest.fixture
def world(make_merchant) -> World:
    world = build_world(make_merchant)
    with schema_context(world.t.schema_name):
        world.users["merchant"].name = "Ali"
        world.users["merchant"].save(update_fields=["name"])
    yield world
    audit_actor_forget()


def _member(world: World, key: str) -> Membership:
    return Membership.objects.select_related("store", "branch").get(pk=world.ids[f"M_{key}"])


def _olpers(world: World) -> Variant:
    """Olper's 1 L, a product of store S1 (sold at B1a and B1b)."""
    product = Product.objects.create(store_id=world.ids["S1"], name="Olper's", slug="olpers", status="active")
    return Variant.objects.create(product=product, sku="OLP-1L", name="1 L", price=Decimal("315.00"))


def test_a_branch_price_raise_reads_as_a_sentence_with_money_written_one_way(world):
    with schema_context(world.t.schema_name):
        variant = _olpers(world)
        Branch.objects.filter(pk=world.ids["B1a"]).update(name="Liberty Market")
        audit_actor_note(world.users["merchant"].pk)  # what the access layer does for a console request
        catalog.branch_price_set(branch_id=world.ids["B1a"], variant_id=variant.pk, price="325")
        catalog.branch_price_set(branch_id=world.ids["B1a"], variant_id=variant.pk, price="1365.50")
        entries = list(AuditEntry.objects.filter(action=Actions.BRANCH_PRICE_SET).order_by("id"))
        sentences = [audit_sentence(e) for e in entries]
    assert sentences == [
        "Ali raised Olper's 1 L at Liberty Market from Rs 315 to Rs 325",
        "Ali raised Olper's 1 L at Liberty Market from Rs 325 to Rs 1,365.50",
    ]
    first = entries[0]
    assert (first.kind, first.branch_id, first.store_id) == ("price", world.ids["B1a"], world.ids["S1"])
    assert first.data["before"] == "315.00" and first.data["after"] == "325.00"


def test_every_write_service_records_what_it_changed(world):
    with schema_context(world.t.schema_name):
        audit_actor_note(world.users["merchant"].pk)
        product = catalog.product_create(
            store_id=world.ids["S1"], name="Ghee", variants=[catalog.VariantSpec(sku="GHEE-1", price="650")]
        )
        catalog.product_update(product=product, status="active")
        variant = product.variants.get()
        catalog.variant_update(variant=variant, price="600")
        catalog.variant_create(product=product, spec=catalog.VariantSpec(sku="GHEE-2", price="1200", name="2 kg"))
        catalog.branch_price_set(branch_id=world.ids["B1a"], variant_id=variant.pk, price="590")
        catalog.branch_price_set(branch_id=world.ids["B1a"], variant_id=variant.pk, price=None)
        stock_receive(branch_id=world.ids["B1a"], variant_id=variant.pk, quantity=12, actor_id=None)
        stock_adjust(branch_id=world.ids["B1a"], variant_id=variant.pk, delta=-2, actor_id=None, note="broken")
        stores.store_update(store=Store.objects.get(pk=world.ids["S1"]), description="Fresh every morning")
        stores.branch_update(branch=Branch.objects.get(pk=world.ids["B1b"]), phone="04235761234")
        catalog.product_delete(product=Product.objects.get(pk=product.pk))
        rows = [(e.action, audit_sentence(e)) for e in AuditEntry.objects.order_by("id")]
        actors = set(AuditEntry.objects.values_list("actor_id", flat=True))
    assert rows == [
        (Actions.PRODUCT_CREATED, "Ali added the product Ghee"),
        (Actions.PRODUCT_CHANGED, "Ali changed the status of Ghee"),
        (Actions.PRICE_CHANGED, "Ali lowered Ghee from Rs 650 to Rs 600"),
        (Actions.VARIANT_CREATED, "Ali added Ghee 2 kg at Rs 1,200"),
        (Actions.BRANCH_PRICE_SET, "Ali lowered Ghee at B1a from Rs 600 to Rs 590"),
        (Actions.BRANCH_PRICE_REMOVED, "Ali gave Ghee at B1a its base price again (was Rs 590)"),
        (Actions.STOCK_MOVED, "Ali received 12 of Ghee at B1a (12 on hand)"),
        (Actions.STOCK_MOVED, "Ali took 2 of Ghee off the stock at B1a (10 on hand)"),
        ("store.updated", "Ali changed the description of the store T Store 1"),
        ("branch.updated", "Ali changed the phone of B1b"),
        (Actions.PRODUCT_DELETED, "Ali deleted the product Ghee"),
    ]
    assert actors == {world.users["merchant"].pk}


def test_a_write_outside_any_console_request_is_the_systems(world):
    with schema_context(world.t.schema_name):
        audit_actor_forget()
        stores.store_create(name="Night shop")
        entry = AuditEntry.objects.get(action=Actions.STORE_CREATED)
    assert entry.actor_id is None and audit_sentence(entry) == "Planckly opened the store Night shop"


def _entries(world: World) -> None:
    """One stock entry per branch, each by a different person."""
    with schema_context(world.t.schema_name):
        for branch, who in (("B1a", "branch_manager"), ("B1b", "shop_owner"), ("B2a", "merchant")):
            stock_receive(
                branch_id=world.ids[branch], variant_id=world.ids["V1"], quantity=1, actor_id=world.users[who].pk
            )


def test_each_role_reads_only_its_scopes_entries(world):
    _entries(world)
    with schema_context(world.t.schema_name):
        seen = {
            key: sorted(scoped_audit(_member(world, key)).values_list("branch_id", flat=True))
            for key in ("merchant", "shop_owner", "branch_manager", "employee")
        }
    ids = world.ids
    assert seen["merchant"] == sorted([ids["B1a"], ids["B1b"], ids["B2a"]])
    assert seen["shop_owner"] == sorted([ids["B1a"], ids["B1b"]])
    assert seen["branch_manager"] == [ids["B1a"]]
    assert seen["employee"] == []


def test_the_page_filters_by_person_branch_and_type(world):
    _entries(world)
    client = console_page_client(world.t, world.users["merchant"])
    everything = client.get("/audit/").content.decode()
    assert everything.count('class="card audit-row"') == 3
    by_person = client.get(f"/audit/?person={world.users['shop_owner'].pk}").content.decode()
    assert by_person.count('class="card audit-row"') == 1 and "at B1b" in by_person
    by_branch = client.get(f"/audit/?branch={world.ids['B2a']}").content.decode()
    assert by_branch.count('class="card audit-row"') == 1 and "at B2a" in by_branch
    assert client.get("/audit/?type=price").content.decode().count('class="card audit-row"') == 0
    assert client.get("/audit/?type=stock&branch=nonsense").content.decode().count('class="card audit-row"') == 3


def test_a_branch_manager_cannot_filter_its_way_into_another_branch(world):
    _entries(world)
    client = console_page_client(world.t, world.users["branch_manager"])
    page = client.get(f"/audit/?branch={world.ids['B2a']}").content.decode()
    assert page.count('class="card audit-row"') == 0
    export = b"".join(client.get(f"/audit/export.csv?branch={world.ids['B2a']}").streaming_content).decode()
    assert len(list(csv.reader(io.StringIO(export)))) == 1  # the header only


def test_the_export_streams_the_filtered_scope_as_csv(world):
    _entries(world)
    client = console_page_client(world.t, world.users["shop_owner"])
    response = client.get("/audit/export.csv?type=stock")
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["When", "Who", "Type", "What happened"]
    assert sorted(row[5] for row in rows[1:]) == ["B1a", "B1b"]  # not B2a: another store
    assert all(row[2] == "stock" and "received 1 of P1" in row[3] for row in rows[1:])


def test_the_api_pages_and_says_each_entry_in_words(world):
    _entries(world)
    api = console_api_client(world.t, world.users["branch_manager"])
    body = api.get("/api/v1/console/audit?type=stock").json()
    assert body["count"] == 1 and body["items"][0]["sentence"].endswith("received 1 of P1 at B1a (1 on hand)")


def test_a_branch_managers_audit_page_costs_the_same_for_one_entry_or_seven(world, host_cache_held):
    def add(count: int) -> None:
        with schema_context(world.t.schema_name):
            for _ in range(count):
                for who in ("branch_manager", "merchant"):
                    stock_receive(
                        branch_id=world.ids["B1a"], variant_id=world.ids["V1"], quantity=1, actor_id=world.users[who].pk
                    )
                stock_receive(branch_id=world.ids["B2a"], variant_id=world.ids["V2"], quantity=1, actor_id=None)

    with schema_context(world.t.schema_name):
        stock_receive(
            branch_id=world.ids["B1a"], variant_id=world.ids["V1"], quantity=1, actor_id=world.users["merchant"].pk
        )
    client = console_page_client(world.t, world.users["branch_manager"])
    queries = assert_list_queries_flat(
        read=lambda: client.get("/audit/"),
        rows=html_count('class="card audit-row"'),
        add_rows=lambda: add(3),
        few=1,
        many=7,
    )
    assert queries <= 12


def test_a_csv_import_is_one_entry_per_store_or_branch_it_changed(world):
    with schema_context(world.t.schema_name):
        merchant = _member(world, "merchant")
        audit_actor_note(merchant.user_id)
        products_import(actor=merchant, data="store_slug,product_name,sku,price\nstore-1,Dates,D-1,450.00\n")
        b1a, b2a = world.ids["B1a"], world.ids["B2a"]
        stock_import(actor=merchant, data=f"branch_id,sku,on_hand\n{b1a},P1-1,3\n{b2a},P2-1,4\n")
        rows = [(e.store_id, e.branch_id, audit_sentence(e)) for e in AuditEntry.objects.order_by("id")]
    assert rows == [
        (world.ids["S1"], None, "Ali imported products from a CSV file: 1 new, 0 changed"),
        (world.ids["S1"], b1a, "Ali imported a stock count for B1a from a CSV file: 1 item changed"),
        (world.ids["S2"], b2a, "Ali imported a stock count for B2a from a CSV file: 1 item changed"),
    ]


@pytest.mark.parametrize(
    ("action", "kind", "data", "sentence"),
    [
        ("store.created", "store", {"name": "Crust"}, "Planckly opened the store Crust"),
        (
            "store.updated",
            "store",
            {"name": "Crust", "after": {"phone": "1"}},
            "Planckly changed the phone of the store Crust",
        ),
        ("branch.moved", "branch", {"name": "DHA"}, "Planckly moved DHA on the map"),
        (
            "catalog.starter_added",
            "product",
            {"products": 3, "list": "grocery"},
            "Planckly added 3 products from the grocery starter list",
        ),
        (
            "invitation.created",
            "staff",
            {"phone": "+923001", "role": "employee"},
            "Planckly invited +923001 as Employee",
        ),
        ("something.new", "other", {}, "Planckly: something.new"),
    ],
)
def test_entries_named_by_other_services_still_read_as_sentences(action, kind, data, sentence):
    assert audit_sentence(AuditEntry(action=action, kind=kind, data=data)) == sentence

"""CSV import/export of products and stock: upsert by SKU, all-or-nothing with a row-by-row report, the ledger kept
whole, round trips that change nothing, scope and permissions, progress, and 10,000 rows well under 30 s."""

from __future__ import annotations

import csv
import io
import time
import uuid
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from django.test import Client
from django_tenants.utils import schema_context

from shared_apps.accounts.tokens import token_pair_issue
from shared_apps.categories.models import Category
from tenant_apps.catalog import csv_io
from tenant_apps.catalog.csv_io import PRODUCT_COLUMNS, CsvImportError, ImportProgress
from tenant_apps.catalog.models import Product, Variant
from tenant_apps.inventory import services as stock
from tenant_apps.inventory.models import StockLevel, StockMovement
from tenant_apps.outbox.models import Entity, OutboxEvent
from tenant_apps.staff.models import Membership
from tests.access_world import build_world
from tests.shop_factory import build_shop

IMPORTS = "/api/v1/console/imports"
EXPORTS = "/api/v1/console/exports"


def _csv(rows: list, header=PRODUCT_COLUMNS) -> str:
    """Rows are lists in header order, or dicts by column (from _row)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([row.get(c, "") for c in header] if isinstance(row, dict) else row for row in rows)
    return out.getvalue()


def _row(store: str, name: str, sku: str, price: str = "100.00", **cells) -> dict[str, str]:
    return {"store_slug": store, "product_name": name, "sku": sku, "price": price, **cells}


def _counts() -> tuple[int, int, int, int, int]:
    return (
        Product.objects.count(),
        Variant.objects.count(),
        OutboxEvent.objects.count(),
        StockLevel.objects.count(),
        StockMovement.objects.count(),
    )


def _owner(shop) -> Membership:
    return Membership.objects.get(user=shop.merchant.owner)


def _client(merchant, user) -> Client:
    token = token_pair_issue(user=user).access
    return Client(HTTP_HOST=f"{merchant.slug}.localhost", HTTP_AUTHORIZATION=f"Bearer {token}")


def _upload(client: Client, kind: str, text: str | bytes, import_id: str | None = None):
    data = text.encode() if isinstance(text, str) else text
    form = {"file": SimpleUploadedFile(f"{kind}.csv", data, content_type="text/csv")}
    if import_id is not None:
        form["import_id"] = import_id
    return client.post(f"{IMPORTS}/{kind}", form)


def _download(response) -> str:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/csv")
    return b"".join(response.streaming_content).decode("utf-8-sig")


def _ledger_matches(branch_id: int, variant_id: int) -> tuple[int, int]:
    level = StockLevel.objects.get(branch_id=branch_id, variant_id=variant_id)
    sums = StockMovement.objects.filter(branch_id=branch_id, variant_id=variant_id).aggregate(
        on_hand=Sum("on_hand_delta"), reserved=Sum("reserved_delta")
    )
    assert (level.on_hand, level.reserved) == (sums["on_hand"] or 0, sums["reserved"] or 0)
    return level.on_hand, level.reserved


@pytest.fixture
def shop(make_merchant):
    Category.objects.create(name="Rice", slug="rice")
    Category.objects.create(name="Dry fruit", slug="dry-fruit")
    return build_shop(make_merchant, slug="csv-shop", products=2, variants=2)


def test_import_creates_new_skus_and_updates_existing_ones(shop):
    with schema_context(shop.schema):
        store = shop.store.slug
        before = OutboxEvent.objects.count()
        text = _csv(
            [
                _row(
                    store,
                    "Ajwa dates",
                    "DATE-500",
                    "450",
                    category_slug="dry-fruit",
                    status="active",
                    variant_name="500 g",
                    options='{"Weight": "500 g"}',
                    description="From Madinah",
                ),
                _row(
                    store,
                    "Ajwa dates",
                    "DATE-1000",
                    "850.5",
                    category_slug="dry-fruit",
                    status="active",
                    variant_name="1 kg",
                    barcode="8964000000012",
                    description="From Madinah",
                ),
                _row(
                    store,
                    "Basmati rice 0",
                    "csv-shop-0-0",
                    "150.00",
                    description="Aged two years",
                    category_slug="rice",
                    status="active",
                    variant_name="1 kg",
                    options='{"Grain": "long"}',
                ),
            ]
        )
        result = csv_io.products_import(actor=_owner(shop), data=text)

        assert (result["rows"], result["created"], result["updated"], result["unchanged"]) == (3, 2, 1, 0)
        assert (result["products_created"], result["products_updated"]) == (1, 1)
        dates = Product.objects.get(name="Ajwa dates")
        assert (dates.store_id, dates.status, dates.category.slug, dates.slug) == (
            shop.store.pk,
            "active",
            "dry-fruit",
            "ajwa-dates",
        )
        by_sku = {v.sku: v for v in dates.variants.all()}
        assert by_sku["DATE-500"].price == Decimal("450.00") and by_sku["DATE-500"].options == {"Weight": "500 g"}
        assert by_sku["DATE-1000"].price == Decimal("850.50") and by_sku["DATE-1000"].barcode == "8964000000012"
        rice = Variant.objects.select_related("product").get(sku="csv-shop-0-0")
        assert rice.price == Decimal("150.00") and rice.product.description == "Aged two years"
        assert rice.options == {"Grain": "long"} and rice.name == "1 kg"
        assert rice.product.category.slug == "rice"
        assert Variant.objects.get(sku="csv-shop-0-1").price == Decimal("101.00")  # not in the file: untouched
        events = set(OutboxEvent.objects.order_by("id")[before:].values_list("entity", "entity_id"))
        assert events == {(Entity.PRODUCT, dates.pk), (Entity.PRODUCT, rice.product_id)}

        again = csv_io.products_import(actor=_owner(shop), data=text)
        assert (again["created"], again["updated"], again["unchanged"], again["events"]) == (0, 0, 3, 0)
        assert OutboxEvent.objects.count() == before + 2


def test_a_variant_only_change_emits_a_variant_event_and_new_skus_join_the_named_product(shop):
    with schema_context(shop.schema):
        store = shop.store.slug
        before = OutboxEvent.objects.count()
        result = csv_io.products_import(
            actor=_owner(shop),
            data=_csv(
                [
                    _row(store, "Basmati rice 1", "csv-shop-1-1", "99.99", variant_name="2 kg"),
                    _row(store, "Basmati rice 1", "csv-shop-1-5", "300.00", variant_name="5 kg"),
                ],
                header=("store_slug", "product_name", "sku", "price", "variant_name"),
            ),
        )
        assert (result["created"], result["updated"], result["products_created"], result["products_updated"]) == (
            1,
            1,
            0,
            0,
        )
        product = shop.products[1]
        assert set(product.variants.values_list("sku", flat=True)) == {"csv-shop-1-0", "csv-shop-1-1", "csv-shop-1-5"}
        assert Product.objects.get(pk=product.pk).description == "Aged long grain"  # column absent: kept
        events = set(OutboxEvent.objects.order_by("id")[before:].values_list("entity", "entity_id"))
        assert events == {(Entity.VARIANT, v.pk) for v in product.variants.exclude(sku="csv-shop-1-0")}


def test_a_file_with_bad_rows_reports_every_one_and_changes_nothing(make_merchant):
    Category.objects.create(name="Rice", slug="rice")
    world = build_world(make_merchant)
    client = _client(world.t, world.users["shop_owner"])  # scope: store-1 only
    text = _csv(
        [
            _row("store-1", "Sella rice", "SELLA-1", "250.00", category_slug="rice"),
            _row("store-1", "Sella rice", "SELLA-2", "12,5", category_slug="rice"),
            _row("store-1", "Brown rice", "BROWN-1", "300", category_slug="rice"),
            _row("store-1", "Red rice", "RED-1", "310", category_slug="no-such-category"),
            _row("store-2", "Wild rice", "WILD-1", "900"),
            _row("store-1", "P1", "P1-1", "120.00"),  # an update of an existing variant: valid, but not applied either
        ]
    )
    with schema_context(world.t.schema_name):
        before = _counts()
        response = _upload(client, "products", text)
        assert response.status_code == 400, response.content
        body = response.json()
        assert (
            body["code"] == "import_invalid"
            and body["details"]["error_count"] == 3
            and "nothing was imported" in body["message"]
        )
        assert [(e["row"], e["field"], e["code"]) for e in body["details"]["errors"]] == [
            (3, "price", "price_invalid"),
            (5, "category_slug", "category_invalid"),
            (6, "store_slug", "outside_scope"),
        ]
        assert all(e["message"] for e in body["details"]["errors"])
        assert _counts() == before
        assert Variant.objects.get(sku="P1-1").price == Decimal("100.00")


def test_header_encoding_and_in_file_conflicts_are_reported(shop):
    with schema_context(shop.schema):
        actor, store = _owner(shop), shop.store.slug
        with pytest.raises(CsvImportError) as caught:
            csv_io.products_import(actor=actor, data="store_slug,product_name,prcie,sku\nx,y,1,z\n")
        assert {(e.row, e.field, e.code) for e in caught.value.errors} == {
            (1, "prcie", "column_unknown"),
            (1, "price", "column_missing"),
        }
        with pytest.raises(CsvImportError) as caught:
            csv_io.products_import(actor=actor, data=b"store_slug,product_name,sku,price\nx,\xe9,z,1\n")
        assert caught.value.errors[0].code == "encoding_invalid"
        with pytest.raises(CsvImportError) as caught:
            csv_io.products_import(
                actor=actor,
                data=_csv(
                    [
                        _row(store, "Tea", "TEA-1", "10", status="active"),
                        _row(store, "Tea", "TEA-1", "10", status="active"),  # the same SKU again
                        _row(store, "Tea", "TEA-2", "10", status="draft"),  # disagrees with row 2 on the product
                        _row(store, "Basmati rice 1", "csv-shop-0-0", "10"),  # a SKU of another product
                        _row(store, "Kahwa", "KAHWA-1", "10", options="Size=1"),
                        _row(store, "Kahwa", "KAHWA-2", "-1", status="retired"),
                    ]
                ),
            )
        assert [(e.row, e.field, e.code) for e in caught.value.errors] == [
            (3, "sku", "sku_duplicate"),
            (4, "status", "product_conflict"),
            (5, "sku", "sku_taken"),
            (6, "options", "options_invalid"),
            (7, "price", "price_invalid"),
            (7, "status", "status_invalid"),
        ]
        # with a BOM, CRLF line ends, blank lines and stray spaces: fine
        bom = "\ufeffstore_slug , Product_Name,sku,price\r\n\r\n" + f"{store}, Chai ,CHAI-1, 12.5 \r\n,,,\r\n"
        result = csv_io.products_import(actor=actor, data=bom.encode())
        assert result["created"] == 1 and Variant.objects.get(sku="CHAI-1").price == Decimal("12.50")
        assert Product.objects.get(variants__sku="CHAI-1").name == "Chai"
        # an existing SKU under a new product_name renames its product (the web address stays)
        header = ("store_slug", "product_name", "sku", "price", "category_slug")
        result = csv_io.products_import(actor=actor, data=_csv([_row(store, "Sella zero", "csv-shop-0-0")], header))
        assert (result["updated"], result["products_updated"]) == (1, 1)
        renamed = Product.objects.get(pk=shop.products[0].pk)
        assert (renamed.name, renamed.slug, renamed.category_id) == ("Sella zero", "basmati-rice-0", None)
        # a category the platform retired is refused for a product that does not have it yet
        Category.objects.filter(slug="dry-fruit").update(is_active=False)
        with pytest.raises(CsvImportError) as caught:
            csv_io.products_import(actor=actor, data=_csv([_row(store, "Figs", "FIG-1", category_slug="dry-fruit")]))
        assert [(e.row, e.field, e.code) for e in caught.value.errors] == [(2, "category_slug", "category_invalid")]


def test_stock_import_writes_count_movements_that_keep_the_ledger_whole(shop):
    with schema_context(shop.schema):
        actor = _owner(shop)
        gulberg, dha = (b.pk for b in shop.branches)
        v00, v01, v10, v11 = (Variant.objects.get(sku=f"csv-shop-{i}-{j}") for i in (0, 1) for j in (0, 1))
        stock.stock_receive(branch_id=gulberg, variant_id=v00.pk, quantity=10, actor_id=None)
        stock.stock_reserve(branch_id=gulberg, variant_id=v00.pk, quantity=4, reference="order-1")
        stock.stock_receive(branch_id=gulberg, variant_id=v01.pk, quantity=3, actor_id=None)
        events_before = OutboxEvent.objects.count()
        text = _csv(
            [
                [gulberg, v00.sku, 6],
                [gulberg, v01.sku, 3],
                [gulberg, v10.sku, 25],
                [dha, v11.sku, 7],
                [dha, v10.sku, 0],
            ],
            header=("branch_id", "sku", "on_hand"),
        )
        result = csv_io.stock_import(actor=actor, data=text)

        assert (result["rows"], result["created"], result["updated"], result["unchanged"]) == (5, 2, 1, 2)
        assert result["movements"] == 3
        assert _ledger_matches(gulberg, v00.pk) == (6, 4)
        assert _ledger_matches(gulberg, v01.pk) == (3, 0)
        assert _ledger_matches(gulberg, v10.pk) == (25, 0)
        assert _ledger_matches(dha, v11.pk) == (7, 0)
        assert not StockLevel.objects.filter(branch_id=dha, variant_id=v10.pk).exists()  # 0 where none: no write
        counts = StockMovement.objects.filter(reason="count")
        assert {(m.variant_id, m.on_hand_delta, m.on_hand_after) for m in counts} == {
            (v00.pk, -4, 6),
            (v10.pk, 25, 25),
            (v11.pk, 7, 7),
        }
        assert {m.actor_id for m in counts} == {shop.merchant.owner.pk}
        events = OutboxEvent.objects.order_by("id")[events_before:].values_list("entity", "entity_id", "branch_id")
        assert set(events) == {
            (Entity.STOCK, v00.pk, gulberg),
            (Entity.STOCK, v10.pk, gulberg),
            (Entity.STOCK, v11.pk, dha),
        }

        before = _counts()
        with pytest.raises(CsvImportError) as caught:
            csv_io.stock_import(
                actor=actor,
                data=_csv(
                    [
                        [gulberg, v01.sku, 9],
                        [gulberg, v00.sku, 3],
                        [dha, "NO-SUCH-SKU", 1],
                        [gulberg, v10.sku, "2.5"],
                        [987654, v10.sku, 1],
                    ],
                    header=("branch_id", "sku", "on_hand"),
                ),
            )
        assert [(e.row, e.field, e.code) for e in caught.value.errors] == [
            (3, "on_hand", "below_reserved"),
            (4, "sku", "sku_unknown"),
            (5, "on_hand", "on_hand_invalid"),
            (6, "branch_id", "outside_scope"),
        ]
        assert _counts() == before
        assert _ledger_matches(gulberg, v01.pk) == (3, 0)


def test_export_then_import_changes_nothing(shop):
    with schema_context(shop.schema):
        store = shop.store.slug
        csv_io.products_import(
            actor=_owner(shop),
            data=_csv(
                [
                    _row(
                        store,
                        "چاول سپر",
                        "URDU-1",
                        "1200.00",
                        description="Line one\nline two, with a comma",
                        category_slug="rice",
                        status="active",
                        options='{"وزن": "5 kg", "Pack": "Bag"}',
                    ),
                    _row(
                        store,
                        "Formula-looking",
                        "-FORM-1",
                        "5.00",
                        description='=HYPERLINK("http://x")',
                        variant_name="+1 pack",
                        barcode="@123",
                    ),
                ]
            ),
        )
        gulberg = shop.branches[0].pk
        variant = Variant.objects.get(sku="URDU-1")
        stock.stock_receive(branch_id=gulberg, variant_id=variant.pk, quantity=8, actor_id=None)
        stock.stock_reserve(branch_id=gulberg, variant_id=variant.pk, quantity=2, reference="order-9")
        client = _client(shop.merchant, shop.merchant.owner)

        products_csv = _download(client.get(f"{EXPORTS}/products.csv"))
        lines = list(csv.reader(io.StringIO(products_csv, newline="")))
        assert tuple(lines[0]) == PRODUCT_COLUMNS and len(lines) == 1 + 4 + 2
        formula = next(line for line in lines if line[5] == "'-FORM-1")  # a spreadsheet shows text, never runs it
        assert (formula[2], formula[6], formula[8]) == ('\'=HYPERLINK("http://x")', "'+1 pack", "'@123")
        stock_csv = _download(client.get(f"{EXPORTS}/stock.csv", {"branch_id": gulberg}))
        stock_lines = list(csv.reader(io.StringIO(stock_csv)))
        assert stock_lines[0] == [
            "branch_id",
            "branch_name",
            "sku",
            "product_name",
            "variant_name",
            "on_hand",
            "reserved",
            "available",
        ]
        assert [str(gulberg), "Gulberg", "URDU-1", "چاول سپر", "", "8", "2", "6"] in stock_lines
        assert len(stock_lines) == 1 + 6

        before = _counts()
        stamps = dict(Product.objects.values_list("pk", "updated_at"))
        response = _upload(client, "products", products_csv.encode("utf-8-sig"))
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["rows"], body["created"], body["updated"], body["unchanged"], body["events"]) == (6, 0, 0, 6, 0)
        response = _upload(client, "stock", stock_csv)
        assert response.status_code == 200, response.content
        assert (response.json()["unchanged"], response.json()["movements"]) == (6, 0)
        assert _counts() == before
        assert dict(Product.objects.values_list("pk", "updated_at")) == stamps
        assert Product.objects.get(variants__sku="-FORM-1").description == '=HYPERLINK("http://x")'


def test_permissions_and_scope(make_merchant):
    world = build_world(make_merchant)
    ids = world.ids
    manager = _client(world.t, world.users["branch_manager"])  # branch B1a of store-1
    owner = _client(world.t, world.users["shop_owner"])  # store-1
    with schema_context(world.t.schema_name):
        before = _counts()
        response = _upload(manager, "products", _csv([_row("store-1", "Tea", "TEA-1", "10")]))
        assert response.status_code == 403 and response.json()["code"] == "forbidden"
        response = _upload(owner, "products", _csv([_row("store-2", "Tea", "TEA-1", "10")]))
        assert response.status_code == 400
        assert [(e["row"], e["code"]) for e in response.json()["details"]["errors"]] == [(2, "outside_scope")]
        response = _upload(owner, "products", _csv([_row("store-1", "P2", "P2-1", "10")]))  # store-2's SKU
        assert [(e["row"], e["field"], e["code"]) for e in response.json()["details"]["errors"]] == [
            (2, "sku", "sku_taken")
        ]

        header = ("branch_id", "sku", "on_hand")
        response = _upload(manager, "stock", _csv([[ids["B1b"], "P1-1", 5]], header=header))  # sibling branch
        assert [(e["row"], e["field"], e["code"]) for e in response.json()["details"]["errors"]] == [
            (2, "branch_id", "outside_scope")
        ]
        response = _upload(manager, "stock", _csv([[ids["B1a"], "P2-1", 5]], header=header))  # another store's SKU
        assert [(e["row"], e["field"], e["code"]) for e in response.json()["details"]["errors"]] == [
            (2, "sku", "sku_unknown")
        ]
        assert _counts() == before
        response = _upload(manager, "stock", _csv([[ids["B1a"], "P1-1", 5]], header=header))
        assert response.status_code == 200 and response.json()["movements"] == 1
        assert _ledger_matches(ids["B1a"], ids["V1"]) == (5, 0)

        response = manager.get(f"{EXPORTS}/stock.csv", {"branch_id": ids["B1b"]})
        assert response.status_code == 404
        exported = _download(owner.get(f"{EXPORTS}/products.csv"))
        assert "P1-1" in exported and "P2-1" not in exported
        exported = _download(owner.get(f"{EXPORTS}/stock.csv"))  # every branch in scope: B1a, B1b
        assert {row[0] for row in list(csv.reader(io.StringIO(exported)))[1:]} == {str(ids["B1a"]), str(ids["B1b"])}


def test_progress_can_be_polled_by_whoever_started_the_import(make_merchant):
    world = build_world(make_merchant)
    merchant = _client(world.t, world.users["merchant"])
    owner = _client(world.t, world.users["shop_owner"])
    import_id = str(uuid.uuid4())
    with schema_context(world.t.schema_name):
        response = _upload(merchant, "products", _csv([_row("store-2", "Tea", "TEA-1", "10")]), import_id=import_id)
        assert response.status_code == 200 and response.json()["import_id"] == import_id
        progress = merchant.get(f"{IMPORTS}/{import_id}")
        assert progress.status_code == 200
        body = progress.json()
        assert (body["phase"], body["done"], body["total"], body["kind"]) == ("done", 1, 1, "products")
        assert body["result"]["created"] == 1
        assert owner.get(f"{IMPORTS}/{import_id}").status_code == 404  # not theirs
        assert merchant.get(f"{IMPORTS}/not-a-uuid").status_code == 404
        assert merchant.get(f"{IMPORTS}/{uuid.uuid4()}").status_code == 404
        # the same id under another merchant is another record
        assert _client(world.u, world.u.owner).get(f"{IMPORTS}/{import_id}").status_code == 404

        response = _upload(merchant, "products", _csv([_row("store-2", "Tea", "TEA-2", "1,5")]), import_id="abc")
        assert response.status_code == 400 and response.json()["field"] == "import_id"
        failed_id = str(uuid.uuid4())
        response = _upload(merchant, "products", _csv([_row("store-2", "Tea", "TEA-2", "1,5")]), import_id=failed_id)
        assert response.status_code == 400 and response.json()["details"]["import_id"] == failed_id
        body = merchant.get(f"{IMPORTS}/{failed_id}").json()
        assert (body["phase"], body["error_count"]) == ("failed", 1)
        # a script may send the CSV as JSON
        response = merchant.post(
            f"{IMPORTS}/products",
            {"csv": _csv([_row("store-2", "Tea", "TEA-3", "2")])},
            content_type="application/json",
        )
        assert response.status_code == 200 and response.json()["created"] == 1
        response = merchant.post(f"{IMPORTS}/products", {}, content_type="application/json")
        assert response.status_code == 400 and response.json()["code"] == "file_missing"


class _Recorder(ImportProgress):
    def __init__(self) -> None:
        super().__init__(import_id=str(uuid.uuid4()), user_id=0, kind="products")
        self.seen: list[tuple[str, int, int]] = []

    def set(self, phase: str, done: int, total: int | None = None, **extra) -> None:
        super().set(phase, done, total, **extra)
        self.seen.append((phase, done, self.total))


def _bulk_rows(store: str, count: int, *, price: str = "100.00", tag: str = "") -> str:
    return _csv(
        [
            _row(
                store,
                f"Product {i // 2:05d}{tag}",
                f"BULK-{i:05d}",
                price,
                description="Bulk item",
                status="active",
                category_slug="rice",
                variant_name=f"{i % 2 + 1} kg",
                options=f'{{"Size": "{i % 2 + 1} kg"}}',
            )
            for i in range(count)
        ]
    )


def test_ten_thousand_rows_import_well_under_30_seconds(make_merchant, django_assert_max_num_queries):
    Category.objects.create(name="Rice", slug="rice")
    shop = build_shop(make_merchant, slug="bulk-shop", products=0)
    with schema_context(shop.schema):
        actor, store = _owner(shop), shop.store.slug
        progress = _Recorder()
        started = time.perf_counter()
        with django_assert_max_num_queries(60):  # one query per batch of 1,000 rows, not one per row
            result = csv_io.products_import(actor=actor, data=_bulk_rows(store, 10_000), progress=progress)
        create_s = time.perf_counter() - started
        assert (result["created"], result["products_created"]) == (10_000, 5_000)
        assert Variant.objects.count() == 10_000 and OutboxEvent.objects.filter(entity=Entity.PRODUCT).count() == 5_000
        phases = [phase for phase, _, _ in progress.seen]
        assert phases[0] == "validating" and "applying" in phases and phases[-1] == "done"
        assert progress.seen[-1][1:] == (10_000, 10_000)

        started = time.perf_counter()
        with django_assert_max_num_queries(60):
            result = csv_io.products_import(actor=actor, data=_bulk_rows(store, 10_000, price="125.50"))
        update_s = time.perf_counter() - started
        assert (result["created"], result["updated"]) == (0, 10_000)
        assert set(Variant.objects.values_list("price", flat=True)) == {Decimal("125.50")}

        branch = shop.branches[0].pk
        text = _csv([[branch, f"BULK-{i:05d}", i % 50] for i in range(10_000)], header=("branch_id", "sku", "on_hand"))
        started = time.perf_counter()
        with django_assert_max_num_queries(60):
            result = csv_io.stock_import(actor=actor, data=text)
        stock_s = time.perf_counter() - started
        assert result["movements"] == 10_000 - 200  # every 50th row counts 0 where no level exists
        totals = StockMovement.objects.aggregate(moved=Sum("on_hand_delta"))
        assert totals["moved"] == StockLevel.objects.aggregate(on_hand=Sum("on_hand"))["on_hand"]
        print(
            f"\n10,000 rows: products create {create_s:.2f} s, products update {update_s:.2f} s, "
            f"stock counts {stock_s:.2f} s"
        )
        assert create_s < 30 and update_s < 30 and stock_s < 30

"""Bulk CSV import and export of products and stock for the merchant console (tenant schema; runs in the request).

Products CSV, one row per variant (UTF-8 with or without BOM, header row required, columns in any order):

    store_slug,product_name,description,category_slug,status,sku,variant_name,price,barcode,options

* Required columns: store_slug, product_name, sku, price. The others may be left out of the header: a column that is
  not there keeps what is stored (new products and variants get the defaults).
* Upsert by SKU. A SKU that exists updates that variant and its product (a new product_name renames the product,
  unless another product of the store already has that name: then it is a row error). A new SKU becomes
  a variant of the product its row names: the product whose existing SKUs are on rows with the same
  (store_slug, product_name), else the store's product with exactly that name, else a new product. Import never
  deletes: variants that are not in the file are left alone.
* price: digits and a dot, at most 2 decimals (`12.50`; `12,5` is an error); Decimal, never float.
  status: draft | active | archived; empty keeps the product's status (draft for a new product).
  category_slug: a platform category; empty means none. options: a JSON object of texts, `{"Size": "1 kg"}`; empty
  means {}.

Opening stock in the products CSV: optional columns `store` (the store's name, instead of store_slug), `branch` (the
branch's name) and `on_hand` set each row's variant's shelf count at that branch, in the same transaction as the
products (needs stock.adjust). The template (`products_template_rows`, the imports page's download) has these
columns, with the branch and store named, never numbered. A row's store is its store_slug, else its store name,
else its branch's store, else the actor's only store.

Stock CSV: `branch_id,sku,on_hand` (or `branch,sku,on_hand`, optionally with `store`) sets on_hand as a shelf count;
every level that changes gets one "count" movement in the ledger (actor = the importer), so the ledger still sums to
the level. A count below what is reserved for open orders is a row error. The other columns of the stock export
(branch_name, product_name, variant_name, reserved, available) may stay in the file and are ignored, so an edited
export imports as it is; a row with an empty branch_id reads its branch_name.

Branches and stores by name: trimmed, inner spaces collapsed, case-insensitive; a name that several branches in the
actor's scope share is a row error (`branch_ambiguous`) unless the row's store names one of them; a branch_id, where
given, wins (existing files keep working).

All or nothing: the whole file is validated first. Any problem raises CsvImportError (HTTP 400, code
`import_invalid`, plus an `errors` list: one `{"row", "field", "code", "message"}` per problem; rows are spreadsheet
rows, the header is row 1) and nothing changes. Only a clean file is written, in one transaction, with bulk
statements (one query per batch of 1,000 rows) and bulk outbox events (one publish kick after commit). Rows that
change nothing write nothing, so export → import is a no-op.

Progress: an ImportProgress record in the cache (`{"phase": "validating|applying|done|failed", "done", "total"}`),
readable by the user who started the import only (import_progress_get).

Exports stream the same columns (plus, for stock, the read-only ones above). Cells that a spreadsheet would run as a
formula (= + - @ first) are written with a leading apostrophe, which the import removes again.
"""

from __future__ import annotations

import csv
import io
import json
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.text import slugify

from kernel.errors import CommonErrorCode, DomainError, ErrorCode
from shared_apps.categories.models import Category
from tenant_apps.catalog.errors import CSV_MAX_ROWS, CatalogError, CatalogErrorCode, CsvErrorCode
from tenant_apps.catalog.models import Product, ProductStatus, Variant
from tenant_apps.catalog.services import SKU_PATTERN, money
from tenant_apps.inventory.errors import InventoryErrorCode
from tenant_apps.inventory.models import MovementReason, StockLevel, StockMovement
from tenant_apps.outbox.models import Entity
from tenant_apps.outbox.services import outbox_emit_many
from tenant_apps.staff.access import (
    access_branch_by_id,
    branch_sells,
    require,
    scoped_branches,
    scoped_stores,
    scoped_variants,
    variants_sold_at,
)
from tenant_apps.staff.audit import Actions, audit_record
from tenant_apps.staff.models import Membership
from tenant_apps.staff.permissions import Perm
from tenant_apps.stores.models import Branch

PRODUCT_COLUMNS = (
    "store_slug",
    "product_name",
    "description",
    "category_slug",
    "status",
    "sku",
    "variant_name",
    "price",
    "barcode",
    "options",
)
PRODUCT_REQUIRED = ("product_name", "sku", "price")  # and a store: store_slug, store, branch or the only one
PRODUCT_STOCK_COLUMNS = ("store", "branch", "on_hand")  # by name: what the template has instead of store_slug
STOCK_COLUMNS = ("branch_id", "sku", "on_hand")  # the stock CSV of existing users; `branch` (+ `store`) by name too
STOCK_REQUIRED = ("sku", "on_hand")
STOCK_BRANCH_COLUMNS = ("branch_id", "branch", "branch_name")  # one of them names each row's branch
STOCK_EXPORT_COLUMNS = (
    "branch_id",
    "branch_name",
    "sku",
    "product_name",
    "variant_name",
    "on_hand",
    "reserved",
    "available",
)
STOCK_IGNORED = tuple(c for c in STOCK_EXPORT_COLUMNS if c not in STOCK_COLUMNS)
STOCK_OPTIONAL = ("branch_id", "branch", "store", *STOCK_IGNORED)

MAX_ROWS = CSV_MAX_ROWS  # small enough to import inside the request, no worker (benchmarks/csv_import.py checks)
MAX_BYTES = 20 * 1024 * 1024
BATCH = 1000  # rows per INSERT/UPDATE statement
MAX_REPORTED_ERRORS = 1000  # the report lists the first 1,000 problems and counts all of them
PROGRESS_TTL = 60 * 60
PROGRESS_EVERY_S = 0.2  # at most ~5 cache writes a second while a phase runs
MAX_ON_HAND = 2**31 - 1
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class RowError:
    row: int | None  # spreadsheet row (header = 1); None for the file as a whole
    field: str | None  # the column
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "code": self.code, "message": self.message}


def _error(row: int | None, column: str | None, code: ErrorCode, message: str | None = None) -> RowError:
    return RowError(row, column, str(code), message or code.default_message)  # type: ignore[attr-defined]


class CsvImportError(DomainError):
    """A file that was rejected as a whole: the envelope, its details holding `errors` (first MAX_REPORTED_ERRORS),
    `error_count` and the client's `import_id`. Nothing was written."""

    def __init__(self, errors: list[RowError], *, import_id: str | None = None) -> None:
        self.errors = sorted(errors, key=lambda e: e.row or 0)  # stable: a row's problems stay in column order
        self.import_id = import_id
        count = len(errors)
        super().__init__(
            CsvErrorCode.IMPORT_INVALID,
            f"{count} problem{'s' if count != 1 else ''} in the file; nothing was imported.",
        )

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = super().as_dict()
        body["details"]["errors"] = [e.as_dict() for e in self.errors[:MAX_REPORTED_ERRORS]]
        body["details"]["error_count"] = len(self.errors)
        if self.import_id:
            body["details"]["import_id"] = self.import_id
        return body


# ---------------------------------------------------------------------------------------------------------------
# Progress
# ---------------------------------------------------------------------------------------------------------------


def _progress_key(schema: str, import_id: str) -> str:
    return f"csv-import:{schema}:{import_id}"


class ImportProgress:
    """The progress record of one import in the cache (Redis), keyed by merchant schema and import id. Writes are
    throttled to a few a second; phase changes are always written."""

    def __init__(self, *, import_id: str, user_id: int | None, kind: str, schema: str | None = None) -> None:
        self.import_id = import_id
        self.user_id = user_id
        self.kind = kind
        self.key = _progress_key(schema or connection.schema_name, import_id)
        self.phase = ""
        self.total = 0
        self._written_at = 0.0

    def set(self, phase: str, done: int, total: int | None = None, **extra: Any) -> None:
        now = time.monotonic()
        news = phase != self.phase or extra or (total is not None and total != self.total)
        if not news and now - self._written_at < PROGRESS_EVERY_S:
            return
        if total is not None:
            self.total = total
        self.phase, self._written_at = phase, now
        record = {
            "import_id": self.import_id,
            "kind": self.kind,
            "user_id": self.user_id,
            "phase": phase,
            "done": done,
            "total": self.total,
            **extra,
        }
        cache.set(self.key, record, PROGRESS_TTL)


class _NoProgress(ImportProgress):
    def __init__(self) -> None:
        super().__init__(import_id="", user_id=None, kind="", schema="-")

    def set(self, phase: str, done: int, total: int | None = None, **extra: Any) -> None:
        pass


def _import_uuid(value: str | None) -> str | None:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None


def import_progress_start(*, actor: Membership, kind: str, import_id: str | None = None) -> ImportProgress:
    """A progress record for a new import: the client's `import_id` (a UUID, so it can poll while uploading) or a
    fresh one. Raises IMPORT_ID_INVALID, or IMPORT_ID_TAKEN when another user's import has it."""
    if import_id in (None, ""):
        normalized = str(uuid.uuid4())
    else:
        normalized = _import_uuid(import_id)
        if normalized is None:
            raise DomainError(CsvErrorCode.IMPORT_ID_INVALID, field="import_id")
    progress = ImportProgress(import_id=normalized, user_id=actor.user_id, kind=kind)
    existing = cache.get(progress.key)
    if existing and existing.get("user_id") != actor.user_id:
        raise DomainError(CsvErrorCode.IMPORT_ID_TAKEN, field="import_id")
    progress.set("validating", 0, 0)
    return progress


def import_progress_get(*, actor: Membership, import_id: str) -> dict[str, Any]:
    """`{"import_id", "kind", "phase", "done", "total", ...}` of an import the actor started; anything else (another
    user's import, another merchant's, an expired or made-up id) is NOT_FOUND."""
    normalized = _import_uuid(import_id)
    record = cache.get(_progress_key(connection.schema_name, normalized)) if normalized else None
    if not record or record.get("user_id") != actor.user_id:
        raise DomainError(CommonErrorCode.NOT_FOUND)
    return {key: value for key, value in record.items() if key != "user_id"}


# ---------------------------------------------------------------------------------------------------------------
# Reading a file
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class _Sheet:
    columns: frozenset[str]
    rows: list[tuple[int, dict[str, str]]]  # (spreadsheet row, {column: cell})
    errors: list[RowError] = field(default_factory=list)


def _cell_in(value: str) -> str:
    """Undo the export's formula guard: "'=..." is read as "=..."."""
    if len(value) > 1 and value[0] == "'" and value[1] in _FORMULA_START:
        return value[1:]
    return value


def _cell_out(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _read(data: bytes | str, *, required: tuple[str, ...], optional: tuple[str, ...]) -> _Sheet:
    """The header and non-blank rows of a CSV, or CsvImportError for a file that cannot be read row by row."""
    if isinstance(data, bytes):
        if len(data) > MAX_BYTES:
            raise DomainError(CsvErrorCode.FILE_TOO_LARGE, field="file")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            message = f"The file is not UTF-8 (byte {exc.start}). Save it as 'CSV UTF-8'."
            raise CsvImportError([_error(None, None, CsvErrorCode.ENCODING_INVALID, message)]) from exc
    else:
        text = data.removeprefix("\ufeff")
    if "\x00" in text:  # no column stores a NUL (PostgreSQL refuses it): a file with one is not a CSV of ours
        row = text[: text.index("\x00")].count("\n") + 1
        message = f"Line {row} contains a NUL character: the file is not a CSV text file. Save it as 'CSV UTF-8'."
        raise CsvImportError([_error(row, None, CsvErrorCode.ENCODING_INVALID, message)])
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise CsvImportError([_error(1, None, CsvErrorCode.FILE_EMPTY, "The file is empty: start with a header.")])
        names = [name.strip().lower() for name in header]
        known = set(required) | set(optional)
        errors = [
            _error(1, name, CsvErrorCode.COLUMN_UNKNOWN, f"Unknown column '{name}': check its spelling.")
            for name in names
            if name and name not in known
        ]
        errors += [
            _error(1, name, CsvErrorCode.COLUMN_REPEATED)
            for name in sorted({n for n in names if n})
            if names.count(name) > 1
        ]
        errors += [_error(1, name, CsvErrorCode.COLUMN_MISSING) for name in required if name not in names]
        if errors:
            raise CsvImportError(errors)
        sheet = _Sheet(columns=frozenset(n for n in names if n), rows=[])
        width = len(names)
        for number, record in enumerate(reader, start=2):
            if not any(cell.strip() for cell in record):
                continue  # blank lines that spreadsheets leave behind
            if len(sheet.rows) == MAX_ROWS:
                raise CsvImportError([_error(number, None, CsvErrorCode.TOO_MANY_ROWS)])
            if len(record) > width and any(cell.strip() for cell in record[width:]):
                sheet.errors.append(_error(number, None, CsvErrorCode.ROW_TOO_LONG))
            cells = {name: _cell_in(record[i]) if i < len(record) else "" for i, name in enumerate(names) if name}
            sheet.rows.append((number, cells))
    except csv.Error as exc:
        raise CsvImportError(
            [_error(reader.line_num, None, CsvErrorCode.CSV_INVALID, f"Not readable: {exc}.")]
        ) from exc
    if not sheet.rows:
        raise CsvImportError([_error(2, None, CsvErrorCode.FILE_EMPTY)])
    return sheet


def _batches(items: list, size: int = BATCH) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _bulk_update(model: type[Model], objects: list[Model], fields: list[str]) -> None:
    """One `UPDATE ... FROM (VALUES ...)` for a batch: what QuerySet.bulk_update does, in linear time. Django's
    version sends a CASE with one WHEN per row for every field, which PostgreSQL evaluates per row, so its cost grows
    with the square of the batch (figures in docs/benchmarks.md). Values go through the fields' own
    get_db_prep_save (Decimal, JSON, datetimes), as with save()."""
    if not objects:
        return
    meta = model._meta
    quote = connection.ops.quote_name
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    row = "(" + ", ".join(f"%s::{column.db_type(connection)}" for column in columns) + ")"
    params: list[Any] = []
    for obj in objects:
        params += [column.get_db_prep_save(getattr(obj, column.attname), connection) for column in columns]
    pk = quote(meta.pk.column)
    assignments = ", ".join(f"{quote(c.column)} = v.{quote(c.column)}" for c in columns[1:])
    sql = (
        f"UPDATE {quote(meta.db_table)} AS t SET {assignments} "
        f"FROM (VALUES {', '.join([row] * len(objects))}) AS v({', '.join(quote(c.column) for c in columns)}) "
        f"WHERE t.{pk} = v.{pk}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


class _Steps:
    """Progress of the apply phase: `total` rows, advanced in proportion to the batches written."""

    def __init__(self, progress: ImportProgress, rows: int, batches: int) -> None:
        self.progress, self.rows, self.batches, self.done = progress, rows, max(batches, 1), 0
        progress.set("applying", 0, rows)

    def advance(self) -> None:
        self.done += 1
        self.progress.set("applying", min(self.rows, self.rows * self.done // self.batches))


def _run(progress: ImportProgress, work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        result = work()
    except CsvImportError as exc:
        exc.import_id = progress.import_id or None
        progress.set("failed", 0, error_count=len(exc.errors))
        raise
    except DomainError as exc:
        progress.set("failed", 0, error_count=1, code=str(exc.code))
        raise
    except Exception:
        progress.set("failed", 0, error_count=0, code=str(CommonErrorCode.INTERNAL))
        raise
    result["seconds"] = round(time.perf_counter() - started, 3)
    if progress.import_id:
        result["import_id"] = progress.import_id
    progress.set("done", result["rows"], result=result)
    return result


# ---------------------------------------------------------------------------------------------------------------
# Products
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class _ProductRow:
    row: int
    store_id: int
    name: str
    sku: str
    price: Decimal
    description: str
    category: Category | None
    status: str | None  # None: keep (draft when new)
    variant: dict[str, Any]  # the variant fields the file sets
    branch_id: int | None = None  # where on_hand is counted (the template's branch column)
    on_hand: int | None = None  # None: the row sets no stock


@dataclass
class _ProductPlan:
    rows: int = 0
    products_new: list[Product] = field(default_factory=list)
    products_changed: list[Product] = field(default_factory=list)
    variants_new: list[Variant] = field(default_factory=list)
    variants_changed: list[Variant] = field(default_factory=list)
    rows_updated: int = 0
    rows_unchanged: int = 0
    product_fields: list[str] = field(default_factory=list)  # what bulk_update writes: the file's columns only
    variant_fields: list[str] = field(default_factory=list)
    variants_kept: list[Variant] = field(default_factory=list)  # unchanged variants a row counts stock of
    counts: list[_ProductRow] = field(default_factory=list)  # rows that set on_hand at a branch


def _options(raw: str) -> dict[str, str] | None:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        return None
    return value


def _row_error(problems: list[RowError], row: int, column: str, code: ErrorCode, message: str | None = None) -> None:
    problems.append(_error(row, column, code, message))


def _product_rows(actor: Membership, sheet: _Sheet, progress: ImportProgress) -> tuple[list[_ProductRow], list]:
    """Every cell checked on its own (scope, formats, lengths); rows with a problem are left out of the result."""
    has = sheet.columns.__contains__
    places = _Places(actor)
    stores = {slug: pk for pk, slug, _ in places.stores}
    only_store = places.stores[0][0] if len(places.stores) == 1 else None
    can_stock = Perm.STOCK_ADJUST in actor.permissions
    slugs = {cells.get("category_slug", "").strip() for _, cells in sheet.rows} - {""}
    categories = {c.slug: c for c in Category.objects.filter(slug__in=slugs)}
    errors: list[RowError] = list(sheet.errors)
    seen_skus: dict[str, int] = {}
    rows: list[_ProductRow] = []
    for i, (number, cells) in enumerate(sheet.rows):
        problems: list[RowError] = []
        problem = partial(_row_error, problems, number)
        store_id, branch_id, on_hand = _row_place(number, cells, places, stores, only_store, can_stock, problems)
        name = cells["product_name"].strip()
        if not name or len(name) > 200:
            problem("product_name", CatalogErrorCode.NAME_INVALID, "Give the product a name (at most 200 characters).")
        sku = cells["sku"].strip()
        if not SKU_PATTERN.match(sku):
            problem("sku", CatalogErrorCode.SKU_INVALID)
        elif sku in seen_skus:
            problem("sku", CsvErrorCode.SKU_DUPLICATE, f"SKU '{sku}' is on row {seen_skus[sku]} too.")
        else:
            seen_skus[sku] = number
        raw_price = cells["price"].strip()
        price = Decimal(0)
        try:
            price = money(raw_price)
        except CatalogError:
            problem(
                "price",
                CatalogErrorCode.PRICE_INVALID,
                f"'{raw_price}' is not a price: use digits and a dot, at most 2 decimals, e.g. 12.50.",
            )
        category = None
        if has("category_slug") and (slug := cells["category_slug"].strip()):
            category = categories.get(slug)
            if category is None:
                problem("category_slug", CatalogErrorCode.CATEGORY_INVALID, f"'{slug}' is not a platform category.")
        status = cells.get("status", "").strip().lower() or None
        if status is not None and status not in ProductStatus.values:
            problem("status", CatalogErrorCode.STATUS_INVALID)
        variant: dict[str, Any] = {"price": price}
        for column, model_field, limit in (("variant_name", "name", 120), ("barcode", "barcode", 64)):
            if has(column):
                value = cells[column].strip()
                if len(value) > limit:
                    problem(column, CsvErrorCode.TOO_LONG, f"At most {limit} characters.")
                variant[model_field] = value
        if has("options"):
            options = _options(cells["options"].strip())
            if options is None:
                problem("options", CsvErrorCode.OPTIONS_INVALID)
            variant["options"] = options
        if problems:
            errors += problems
        else:
            description = cells.get("description", "")
            rows.append(
                _ProductRow(
                    number, store_id, name, sku, price, description, category, status, variant, branch_id, on_hand
                )  # type: ignore[arg-type]
            )
        progress.set("validating", i + 1)
    return rows, errors


def _row_place(
    number: int,
    cells: dict[str, str],
    places: _Places,
    stores: dict[str, int],
    only_store: int | None,
    can_stock: bool,
    problems: list[RowError],
) -> tuple[int | None, int | None, int | None]:
    """A products row's store, and the branch and count of its opening stock (module docstring): (store id, branch
    id, on_hand), with the reasons it cannot be told appended to `problems`."""
    before = len(problems)
    store_id = None
    if store_slug := cells.get("store_slug", "").strip():
        store_id = stores.get(store_slug)
        if store_id is None:
            message = f"Store '{store_slug}' is unknown or outside the stores you manage."
            problems.append(_error(number, "store_slug", CsvErrorCode.OUTSIDE_SCOPE, message))
    elif cells.get("store", "").strip():
        store_id = places.store_by_name(number, cells["store"], problems)
    raw_units = cells.get("on_hand", "").strip()
    branch_named = cells.get("branch", "").strip()
    place = None
    if (raw_units or branch_named) and len(problems) == before:
        place = places.branch(
            number, branch_id="", name=branch_named, name_column="branch", store_id=store_id, problems=problems
        )
        store_id = place.store_id if place else store_id
    if store_id is None and len(problems) == before:
        if only_store is None:
            problems.append(_error(number, "store", CsvErrorCode.STORE_MISSING))
        store_id = only_store
    on_hand = None
    if raw_units:
        on_hand = int(raw_units) if _whole(raw_units) and int(raw_units) <= MAX_ON_HAND else None
        if on_hand is None:
            message = f"'{raw_units}' is not a whole number of units, zero or more."
            problems.append(_error(number, "on_hand", CsvErrorCode.ON_HAND_INVALID, message))
        elif not can_stock:
            problems.append(_error(number, "on_hand", CsvErrorCode.STOCK_FORBIDDEN))
    return store_id, place.branch_id if place and on_hand is not None else None, on_hand


@dataclass
class _Catalog:
    """What the file's rows refer to, read in a handful of queries."""

    existing: dict[str, Variant]  # sku -> variant (with its product), anywhere in the tenant
    by_name: dict[tuple[int, str], list[Product]]  # (store, exact name) -> products
    by_slug: dict[tuple[int, str], Product]  # (store, slug) -> product
    claimed: dict[int, int] = field(default_factory=dict)  # product pk -> first row that names it
    new_slugs: dict[tuple[int, str], int] = field(default_factory=dict)  # slug of a new product -> its first row


def _catalog(rows: list[_ProductRow], groups: dict[tuple[int, str], list[_ProductRow]]) -> _Catalog:
    # SKUs are unique in the whole tenant: look them up unscoped to report sku_taken, but only ever write to
    # products of the stores in the actor's scope (every row's store_slug was checked against scoped_stores).
    existing = {v.sku: v for v in Variant.objects.filter(sku__in=[r.sku for r in rows]).select_related("product")}
    store_ids = {store_id for store_id, _ in groups}
    by_name: dict[tuple[int, str], list[Product]] = {}
    for product in Product.objects.filter(store_id__in=store_ids, name__in={name for _, name in groups}):
        by_name.setdefault((product.store_id, product.name), []).append(product)
    slugs = {_slug(name) for _, name in groups}
    by_slug = {(p.store_id, p.slug): p for p in Product.objects.filter(store_id__in=store_ids, slug__in=slugs)}
    return _Catalog(existing, by_name, by_slug)


def _slug(name: str) -> str:
    return slugify(name)[:220] or "product"  # as product_create does


def _group_product(
    store_id: int, name: str, group: list[_ProductRow], catalog: _Catalog, errors: list[RowError]
) -> Product | None:
    """The existing product that a group of rows (same store and product_name) writes to, None for a new one.
    Upsert by SKU first: the product of the group's existing SKUs (the name then renames it); else the store's
    product with exactly that name. Appends the reasons it cannot be decided to `errors`."""
    first, product = group[0], None
    for row in group:
        variant = catalog.existing.get(row.sku)
        if variant is None:
            continue
        if variant.product.store_id != store_id:
            message = f"SKU '{row.sku}' belongs to a product of another store."
            errors.append(_error(row.row, "sku", CatalogErrorCode.SKU_TAKEN, message))
        elif product is None:
            product = variant.product
        elif variant.product_id != product.pk:
            message = (
                f"SKU '{row.sku}' belongs to product '{variant.product.name}', while the other SKUs on rows "
                f"named '{name}' belong to '{product.name}'."
            )
            errors.append(_error(row.row, "sku", CatalogErrorCode.SKU_TAKEN, message))
    named = catalog.by_name.get((store_id, name), [])
    if product is not None and named and all(p.pk != product.pk for p in named):
        # the SKUs would rename their product onto the name of another product of the store: a wrong SKU
        for row in group:
            variant = catalog.existing.get(row.sku)
            if variant is not None and variant.product_id == product.pk:
                message = f"SKU '{row.sku}' belongs to product '{product.name}', not to '{name}'."
                errors.append(_error(row.row, "sku", CatalogErrorCode.SKU_TAKEN, message))
    if product is None and len(named) > 1:
        message = f"{len(named)} products of this store are named '{name}': add a SKU of the one you mean."
        errors.append(_error(first.row, "product_name", CsvErrorCode.PRODUCT_AMBIGUOUS, message))
    elif product is None and named:
        product = named[0]
    elif product is None:
        slug = _slug(name)
        if (clash := catalog.by_slug.get((store_id, slug))) is not None:
            message = f"Product '{clash.name}' of this store already has the web address '{slug}'."
            errors.append(_error(first.row, "product_name", CatalogErrorCode.SLUG_TAKEN, message))
        elif (earlier := catalog.new_slugs.setdefault((store_id, slug), first.row)) != first.row:
            message = f"Row {earlier} names a new product with the same web address '{slug}': use one spelling."
            errors.append(_error(first.row, "product_name", CatalogErrorCode.SLUG_TAKEN, message))
    if product is not None and catalog.claimed.setdefault(product.pk, first.row) != first.row:
        message = f"Row {catalog.claimed[product.pk]} names this product differently: one name per product."
        errors.append(_error(first.row, "product_name", CsvErrorCode.PRODUCT_CONFLICT, message))
    return product


def _group_checks(group: list[_ProductRow], product: Product | None, catalog: _Catalog, *, has, can_price: bool):
    """Problems of a group that are not about which product it is: rows that disagree on the product's cells, a
    retired category, base prices the actor may not set."""
    first, errors = group[0], []
    for row in group[1:]:
        for column, value, first_value in (
            ("description", row.description, first.description),
            ("category_slug", row.category, first.category),
            ("status", row.status, first.status),
        ):
            if has(column) and value != first_value:
                message = f"Row {first.row} gives '{first.name}' another {column}."
                errors.append(_error(row.row, column, CsvErrorCode.PRODUCT_CONFLICT, message))
    category = first.category
    if category is not None and not category.is_active and (product is None or product.category_id != category.pk):
        message = f"Category '{category.slug}' is no longer offered."
        errors.append(_error(first.row, "category_slug", CatalogErrorCode.CATEGORY_INVALID, message))
    if not can_price:
        for row in group:
            variant = catalog.existing.get(row.sku)
            if variant is None or variant.price != row.price:
                errors.append(_error(row.row, "price", CsvErrorCode.PRICE_FORBIDDEN))
    return errors


def _plan_group(
    plan: _ProductPlan, store_id: int, group: list[_ProductRow], product: Product | None, catalog: _Catalog, *, has, now
) -> None:
    """Add the writes of one product and its rows to the plan: only what changes."""
    first = group[0]
    fields: dict[str, Any] = {"name": first.name}
    if has("description"):
        fields["description"] = first.description
    if has("category_slug"):
        fields["category_id"] = first.category.pk if first.category else None
    if first.status:
        fields["status"] = first.status
    product_changed = False
    if product is None:
        product = Product(store_id=store_id, slug=_slug(first.name), attributes={}, **fields)
        plan.products_new.append(product)
    elif any(getattr(product, key) != value for key, value in fields.items()):
        for key, value in fields.items():
            setattr(product, key, value)
        product.updated_at = now
        plan.products_changed.append(product)
        product_changed = True
    for row in group:
        variant = catalog.existing.get(row.sku)
        if variant is None:
            plan.variants_new.append(Variant(product=product, sku=row.sku, **row.variant))
        elif any(getattr(variant, key) != value for key, value in row.variant.items()):
            for key, value in row.variant.items():
                setattr(variant, key, value)
            plan.variants_changed.append(variant)
            plan.rows_updated += 1
        elif product_changed:
            plan.rows_updated += 1
        else:
            plan.rows_unchanged += 1
        if row.on_hand is not None and row.branch_id is not None:
            plan.counts.append(row)
            if variant is not None:
                plan.variants_kept.append(variant)  # its id, for the count (a changed one is listed twice: harmless)


def _products_plan(actor: Membership, sheet: _Sheet, progress: ImportProgress) -> _ProductPlan:
    """Validate the whole file against the catalog and decide every write, or raise CsvImportError with every
    problem found (cells first, then each product's rows together)."""
    progress.set("validating", 0, len(sheet.rows))
    rows, errors = _product_rows(actor, sheet, progress)
    has = sheet.columns.__contains__
    can_price = Perm.PRICE_BASE_EDIT in actor.permissions
    groups: dict[tuple[int, str], list[_ProductRow]] = {}
    for row in rows:
        groups.setdefault((row.store_id, row.name), []).append(row)
    catalog = _catalog(rows, groups)
    plan = _ProductPlan(rows=len(sheet.rows))
    columns = {"description": "description", "category_slug": "category_id", "status": "status"}
    plan.product_fields = ["name", *(f for c, f in columns.items() if has(c)), "updated_at"]
    columns = {"variant_name": "name", "barcode": "barcode", "options": "options"}
    plan.variant_fields = ["price", *(f for c, f in columns.items() if has(c))]
    now = timezone.now()
    for (store_id, name), group in groups.items():
        group_errors: list[RowError] = []
        product = _group_product(store_id, name, group, catalog, group_errors)
        group_errors += _group_checks(group, product, catalog, has=has, can_price=can_price)
        errors += group_errors
        if not errors:
            _plan_group(plan, store_id, group, product, catalog, has=has, now=now)
    if errors:
        raise CsvImportError(errors)
    progress.set("validating", len(sheet.rows))
    return plan


def _products_apply(
    actor: Membership, plan: _ProductPlan, progress: ImportProgress, reference: str = ""
) -> dict[str, Any]:
    plan.products_changed.sort(key=lambda p: p.pk)  # pk order, as every lock in this codebase is taken
    plan.variants_changed.sort(key=lambda v: v.pk)
    lists = (plan.products_new, plan.products_changed, plan.variants_new, plan.variants_changed)
    steps = _Steps(progress, plan.rows, sum(len(range(0, len(items), BATCH)) for items in lists) + 1)
    try:
        with transaction.atomic():
            for chunk in _batches(plan.products_new):
                Product.objects.bulk_create(chunk)
                steps.advance()
            for chunk in _batches(plan.products_changed):
                _bulk_update(Product, chunk, plan.product_fields)
                steps.advance()
            for chunk in _batches(plan.variants_new):
                Variant.objects.bulk_create(chunk)
                steps.advance()
            for chunk in _batches(plan.variants_changed):
                _bulk_update(Variant, chunk, plan.variant_fields)
                steps.advance()
            products = {p.pk for p in plan.products_new} | {p.pk for p in plan.products_changed}
            events = [(Entity.PRODUCT, pk, None) for pk in sorted(products)]
            events += [
                (Entity.VARIANT, v.pk, None)
                for v in plan.variants_new + plan.variants_changed
                if v.product_id not in products
            ]
            emitted = outbox_emit_many(events=events, batch_size=BATCH)
            _products_import_audit(plan)
            steps.advance()
            stock = _opening_stock_apply(actor, plan, progress, reference) if plan.counts else None
    except IntegrityError as exc:  # a SKU or product name taken by someone else since the file was validated
        raise DomainError(CsvErrorCode.IMPORT_CONFLICT) from exc
    return {
        "movements": stock["movements"] if stock else None,
        "kind": "products",
        "rows": plan.rows,
        "created": len(plan.variants_new),
        "updated": plan.rows_updated,
        "unchanged": plan.rows_unchanged,
        "products_created": len(plan.products_new),
        "products_updated": len(plan.products_changed),
        "events": emitted + (stock["events"] if stock else 0),
    }


def _opening_stock_apply(actor: Membership, plan: _ProductPlan, progress: ImportProgress, reference: str) -> dict:
    """The rows' on_hand as shelf counts, inside the products' transaction (their new variants have ids now)."""
    variant_ids = {v.sku: v.pk for v in plan.variants_new + plan.variants_changed + plan.variants_kept}
    counts = [_Count(row.row, row.branch_id, variant_ids[row.sku], row.on_hand) for row in plan.counts]
    current = {
        (b, v): (on_hand, reserved)
        for b, v, on_hand, reserved in StockLevel.objects.filter(
            branch_id__in={c.branch_id for c in counts}, variant_id__in={c.variant_id for c in counts}
        ).values_list("branch_id", "variant_id", "on_hand", "reserved")
    }
    return _stock_apply(actor, counts, current, plan.rows, progress, reference)


def _products_import_audit(plan: _ProductPlan) -> None:
    """One audit entry per store the file changed (a row per product would drown the log): what came in, in numbers."""
    touched = {p.store_id for p in plan.products_new + plan.products_changed}
    variant_products = {v.product_id for v in plan.variants_new + plan.variants_changed} - {None}
    if variant_products:
        touched |= set(Product.objects.filter(pk__in=variant_products).values_list("store_id", flat=True))
    for store_id in sorted(touched):
        audit_record(
            action=Actions.PRODUCTS_IMPORTED,
            target_type="store",
            target_id=store_id,
            store_id=store_id,
            rows=plan.rows,
            created=len(plan.variants_new),
            updated=plan.rows_updated,
            products_created=len(plan.products_new),
        )


def products_import(*, actor: Membership, data: bytes | str, progress: ImportProgress | None = None) -> dict[str, Any]:
    """Create and update products and variants from a products CSV (module docstring), all or nothing.

    Needs CATALOG_MANAGE (else FORBIDDEN); every store_slug must be in the actor's scope and, without
    PRICE_BASE_EDIT, no base price may change (row errors). Returns {"rows", "created", "updated", "unchanged",
    "products_created", "products_updated", "events", "seconds"}; raises CsvImportError (nothing written) or
    IMPORT_CONFLICT when a concurrent write took a SKU or name meanwhile (nothing written). Not idempotent by key,
    but re-importing the same file changes nothing."""
    require(actor, Perm.CATALOG_MANAGE)
    progress = progress or _NoProgress()
    reference = f"csv-import:{progress.import_id or uuid.uuid4()}"

    def work() -> dict[str, Any]:
        sheet = _read(data, required=PRODUCT_REQUIRED, optional=PRODUCT_COLUMNS + PRODUCT_STOCK_COLUMNS)
        return _products_apply(actor, _products_plan(actor, sheet, progress), progress, reference)

    return _run(progress, work)


# ---------------------------------------------------------------------------------------------------------------
# Branches and stores by name
# ---------------------------------------------------------------------------------------------------------------


def _name_key(text: str) -> str:
    """How a typed name is compared: trimmed, inner spaces collapsed, case-insensitive ("  gulberg  MAIN" = "Gulberg
    Main")."""
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class _Place:
    branch_id: int | None
    store_id: int | None


class _Places:
    """The actor's stores and branches, read once per file, and each row's store/branch resolved by id or name."""

    def __init__(self, actor: Membership) -> None:
        self.stores = list(scoped_stores(actor).values_list("pk", "slug", "name"))
        self.branches = list(scoped_branches(actor).values_list("pk", "store_id", "name", "store__name"))
        self.by_branch_id = {pk: store_id for pk, store_id, _, _ in self.branches}
        self.branches_by_name: dict[str, list[tuple[int, int, str]]] = {}
        for pk, store_id, name, store_name in self.branches:
            self.branches_by_name.setdefault(_name_key(name), []).append((pk, store_id, store_name))
        self.stores_by_name: dict[str, list[int]] = {}
        for pk, _, name in self.stores:
            self.stores_by_name.setdefault(_name_key(name), []).append(pk)

    def store_by_name(self, number: int, name: str, problems: list[RowError]) -> int | None:
        found = self.stores_by_name.get(_name_key(name), [])
        if not found:
            message = f"Store '{name.strip()}' is unknown or outside the stores you manage."
            problems.append(_error(number, "store", CsvErrorCode.OUTSIDE_SCOPE, message))
            return None
        if len(found) > 1:
            message = f"{len(found)} of your stores are named '{name.strip()}': use the column store_slug."
            problems.append(_error(number, "store", CsvErrorCode.STORE_AMBIGUOUS, message))
            return None
        return found[0]

    def branch(
        self, number: int, *, branch_id: str, name: str, name_column: str, store_id: int | None, problems: list
    ) -> _Place | None:
        """The row's branch: by id where the id cell is filled, else by name (within `store_id` when the row names
        its store). Appends the reason to `problems` and returns None when it is not one branch in scope."""
        if branch_id.strip():
            raw = branch_id.strip()
            found = self.by_branch_id.get(int(raw)) if _whole(raw) else None
            if found is None or (store_id is not None and found != store_id):
                message = f"Branch '{raw}' is unknown or outside the branches you manage."
                problems.append(_error(number, "branch_id", CsvErrorCode.OUTSIDE_SCOPE, message))
                return None
            return _Place(int(raw), found)
        if not name.strip():
            problems.append(_error(number, name_column, CsvErrorCode.BRANCH_MISSING))
            return None
        candidates = self.branches_by_name.get(_name_key(name), [])
        if store_id is not None:
            candidates = [c for c in candidates if c[1] == store_id]
        if not candidates:
            where = " of that store" if store_id is not None else ""
            message = f"Branch '{name.strip()}' is unknown{where} or outside the branches you manage."
            problems.append(_error(number, name_column, CsvErrorCode.OUTSIDE_SCOPE, message))
            return None
        if len(candidates) > 1:
            stores = sorted({store_name for _, _, store_name in candidates})
            if len(stores) > 1:
                message = (
                    f"{len(candidates)} branches are named '{name.strip()}' (in {', '.join(stores)}): "
                    "add a column store with the store's name."
                )
            else:
                message = f"{len(candidates)} branches of {stores[0]} are named '{name.strip()}': use branch_id."
            problems.append(_error(number, name_column, CsvErrorCode.BRANCH_AMBIGUOUS, message))
            return None
        pk, found_store, _ = candidates[0]
        return _Place(pk, found_store)


# Stock
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class _Count:
    row: int
    branch_id: int
    variant_id: int
    counted: int


def _whole(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 12


def _stock_rows(
    actor: Membership, sheet: _Sheet, progress: ImportProgress
) -> tuple[list[_Count], dict[tuple[int, int], tuple[int, int]]]:
    """The valid counts and the current (on_hand, reserved) of their levels, or CsvImportError with every problem
    (reservations included, read without locks here and checked again under locks when applying)."""
    progress.set("validating", 0, len(sheet.rows))
    places = _Places(actor)
    name_column = next((c for c in ("branch", "branch_name") if c in sheet.columns), "branch_id")
    skus = {cells["sku"].strip() for _, cells in sheet.rows}
    variants = {
        sku: (pk, store_id)
        for pk, sku, store_id in Variant.objects.filter(sku__in=skus).values_list("pk", "sku", "product__store_id")
    }
    errors: list[RowError] = list(sheet.errors)
    seen: dict[tuple[int, int], int] = {}
    counts: list[_Count] = []
    for i, (number, cells) in enumerate(sheet.rows):
        before = len(errors)
        row_store = places.store_by_name(number, cells["store"], errors) if cells.get("store", "").strip() else None
        place = None
        if len(errors) == before:
            place = places.branch(
                number,
                branch_id=cells.get("branch_id", ""),
                name=cells.get(name_column, ""),
                name_column=name_column,
                store_id=row_store,
                problems=errors,
            )
        branch_id, store_id = (place.branch_id, place.store_id) if place else (None, None)
        sku = cells["sku"].strip()
        variant_id, variant_store = variants.get(sku, (None, None))
        if store_id is not None and (
            variant_id is None or not branch_sells(branch_store_id=store_id, variant_store_id=variant_store)
        ):
            errors.append(
                _error(number, "sku", CsvErrorCode.SKU_UNKNOWN, f"No variant of this branch's store has SKU '{sku}'.")
            )
        raw = cells["on_hand"].strip()
        counted = int(raw) if _whole(raw) and int(raw) <= MAX_ON_HAND else None
        if counted is None:
            errors.append(
                _error(
                    number,
                    "on_hand",
                    CsvErrorCode.ON_HAND_INVALID,
                    f"'{raw}' is not a whole number of units, zero or more.",
                )
            )
        if len(errors) == before:
            key = (branch_id, variant_id)
            if key in seen:
                errors.append(
                    _error(
                        number,
                        "sku",
                        CsvErrorCode.ROW_DUPLICATE,
                        f"This branch and SKU '{sku}' are on row {seen[key]} too.",
                    )
                )
            else:
                seen[key] = number  # type: ignore[index]
                counts.append(_Count(number, branch_id, variant_id, counted))  # type: ignore[arg-type]
        progress.set("validating", i + 1)
    branch_ids, variant_ids = {c.branch_id for c in counts}, {c.variant_id for c in counts}
    current = {
        (b, v): (on_hand, reserved)
        for b, v, on_hand, reserved in StockLevel.objects.filter(
            branch_id__in=branch_ids, variant_id__in=variant_ids
        ).values_list("branch_id", "variant_id", "on_hand", "reserved")
    }
    errors += [
        _below_reserved(c, current[key][1])
        for c in counts
        if (key := (c.branch_id, c.variant_id)) in current and c.counted < current[key][1]
    ]
    if errors:
        raise CsvImportError(errors)
    return counts, current


def _below_reserved(count: _Count, reserved: int) -> RowError:
    return _error(
        count.row,
        "on_hand",
        InventoryErrorCode.BELOW_RESERVED,
        f"{reserved} units are reserved for open orders: count at least {reserved}.",
    )


def _stock_apply(
    actor: Membership,
    counts: list[_Count],
    current: dict[tuple[int, int], tuple[int, int]],
    rows: int,
    progress: ImportProgress,
    reference: str,
) -> dict[str, Any]:
    """Set every level in one transaction: create the missing ones, lock them all (pk order, like every stock
    write), re-check reservations on the locked rows, then bulk-update the levels that change and append their
    count movements."""
    branch_ids = sorted({c.branch_id for c in counts})
    variant_ids = sorted({c.variant_id for c in counts})
    missing = [c for c in counts if (c.branch_id, c.variant_id) not in current and c.counted]
    steps = _Steps(progress, rows, 2 + 3 * len(range(0, len(counts), BATCH)))
    with transaction.atomic():
        for chunk in _batches(missing):
            StockLevel.objects.bulk_create(
                [StockLevel(branch_id=c.branch_id, variant_id=c.variant_id) for c in chunk], ignore_conflicts=True
            )
        levels = {
            (level.branch_id, level.variant_id): level
            for level in StockLevel.objects.select_for_update()
            .filter(branch_id__in=branch_ids, variant_id__in=variant_ids)
            .only("pk", "branch_id", "variant_id", "on_hand", "reserved")
            .order_by("pk")
        }
        steps.advance()
        changed: list[tuple[_Count, StockLevel, int]] = []
        errors = []
        for count in counts:
            level = levels.get((count.branch_id, count.variant_id))
            if level is None:  # counted 0 where no level exists: nothing to record
                continue
            if count.counted < level.reserved:  # reserved since validation
                errors.append(_below_reserved(count, level.reserved))
            elif count.counted != level.on_hand:
                changed.append((count, level, count.counted - level.on_hand))
        if errors:
            raise CsvImportError(errors)  # rolls back the levels created above
        now = timezone.now()
        for count, level, _ in changed:
            level.on_hand, level.updated_at = count.counted, now
        for chunk in _batches(changed):
            _bulk_update(StockLevel, [level for _, level, _ in chunk], ["on_hand", "updated_at"])
            steps.advance()
        movements = [
            StockMovement(
                branch_id=c.branch_id,
                variant_id=c.variant_id,
                reason=MovementReason.COUNT,
                on_hand_delta=delta,
                on_hand_after=c.counted,
                actor_id=actor.user_id,
                reference=reference,
                note=f"CSV import, row {c.row}",
            )
            for c, _, delta in changed
        ]
        for chunk in _batches(movements):
            StockMovement.objects.bulk_create(chunk)
            steps.advance()
        events = [(Entity.STOCK, c.variant_id, c.branch_id) for c, _, _ in changed]
        emitted = outbox_emit_many(events=events, batch_size=BATCH)
        _stock_import_audit(actor, changed, reference)
        steps.advance()
    created = sum(1 for c, _, _ in changed if (c.branch_id, c.variant_id) not in current)
    return {
        "kind": "stock",
        "rows": rows,
        "created": created,
        "updated": len(changed) - created,
        "unchanged": len(counts) - len(changed),
        "movements": len(movements),
        "events": emitted,
    }


def _stock_import_audit(actor: Membership, changed: list, reference: str) -> None:
    """One audit entry per branch whose counts the file changed; each level's own movement is in the ledger."""
    per_branch: dict[int, int] = {}
    for count, _, _ in changed:
        per_branch[count.branch_id] = per_branch.get(count.branch_id, 0) + 1
    branches = Branch.objects.in_bulk(sorted(per_branch))
    for branch_id, levels in sorted(per_branch.items()):
        branch = branches.get(branch_id)
        audit_record(
            action=Actions.STOCK_IMPORTED,
            target_type="branch",
            target_id=branch_id,
            actor_user_id=actor.user_id,
            store_id=branch.store_id if branch else None,
            branch_id=branch_id,
            branch=branch.name if branch else "",
            levels=levels,
            reference=reference,
        )


def stock_import(*, actor: Membership, data: bytes | str, progress: ImportProgress | None = None) -> dict[str, Any]:
    """Set on_hand of many (branch, variant) levels from a stock CSV as shelf counts, all or nothing.

    Needs STOCK_ADJUST (else FORBIDDEN); every branch_id must be in the actor's scope and every SKU a variant of
    that branch's store; a count below what is reserved is a row error (checked again under row locks). Each level
    that changes gets one ledger movement (reason "count", actor, reference "csv-import:<id>") and one outbox
    event; unchanged rows write nothing. Returns {"rows", "created", "updated", "unchanged", "movements",
    "events", "seconds"}; raises CsvImportError with nothing written."""
    require(actor, Perm.STOCK_ADJUST)
    progress = progress or _NoProgress()
    reference = f"csv-import:{progress.import_id or uuid.uuid4()}"

    def work() -> dict[str, Any]:
        sheet = _read(data, required=STOCK_REQUIRED, optional=STOCK_OPTIONAL)
        if not sheet.columns & set(STOCK_BRANCH_COLUMNS):
            message = "Name each row's branch: add a column branch (its name) or branch_id."
            raise CsvImportError([_error(1, "branch", CsvErrorCode.COLUMN_MISSING, message)])
        counts, current = _stock_rows(actor, sheet, progress)
        return _stock_apply(actor, counts, current, len(sheet.rows), progress, reference)

    return _run(progress, work)


# ---------------------------------------------------------------------------------------------------------------
# Exports
# ---------------------------------------------------------------------------------------------------------------


def products_export_rows(*, actor: Membership) -> Iterator[list[str]]:
    """The header and one row per variant in the actor's stores, as the import reads them. Checks CATALOG_VIEW now
    (not when the first row is pulled), so a refusal is an error response, not a broken download."""
    require(actor, Perm.CATALOG_VIEW)
    variants = (
        scoped_variants(actor)
        .select_related("product__store", "product__category")
        .order_by("product__store__slug", "product__name", "product_id", "pk")
    )

    def rows() -> Iterator[list[str]]:
        yield list(PRODUCT_COLUMNS)
        for v in variants.iterator(chunk_size=2000):
            p = v.product
            options = json.dumps(v.options, ensure_ascii=False) if v.options else ""
            category = p.category.slug if p.category_id else ""
            yield [
                _cell_out(c)
                for c in (
                    p.store.slug,
                    p.name,
                    p.description,
                    category,
                    p.status,
                    v.sku,
                    v.name,
                    v.price,
                    v.barcode,
                    options,
                )
            ]

    return rows()


# Three rows a shopkeeper recognises, to overwrite: the template is filled in, never explained at length.
TEMPLATE_EXAMPLES = (
    ("Olper's Milk", "1 L", "OLPERS-MILK-1L", "330.00", "24", "dairy-eggs"),
    ("Tapal Danedar", "950 g", "TAPAL-DANEDAR-950G", "1450.00", "10", "tea-beverages"),
    ("Basmati rice", "5 kg", "BASMATI-RICE-5KG", "1650.00", "8", "rice-flour-pulses"),
)


def products_template_rows(*, actor: Membership) -> list[list[str]]:
    """The products CSV a new merchant fills in: the header and example rows at its branches, each branch named by
    its name (and its store by name when the actor's scope holds several), never by id. Imports as it is. Checks
    CATALOG_MANAGE; without stock.adjust, or without a branch yet, the stock columns are left out."""
    require(actor, Perm.CATALOG_MANAGE)
    stores = list(scoped_stores(actor).order_by("name", "pk").values_list("pk", "name"))
    branches = list(scoped_branches(actor).filter(is_active=True).order_by("store__name", "name", "pk"))
    with_stock = bool(branches) and Perm.STOCK_ADJUST in actor.permissions
    with_store = len(stores) > 1
    header = [
        *(["store"] if with_store else []),
        *(["branch"] if with_stock else []),
        "product_name",
        "variant_name",
        "sku",
        "price",
        *(["on_hand"] if with_stock else []),
        "category_slug",
        "description",
        "status",
    ]
    # an example's category only where the platform offers it: the template imports as it is
    examples = Category.objects.filter(slug__in=[e[5] for e in TEMPLATE_EXAMPLES], is_active=True)
    offered = set(examples.values_list("slug", flat=True))
    places: list[tuple[str, str]] = [(b.store.name, b.name) for b in branches] if with_stock else []
    if not places:
        places = [(name, "") for _, name in stores[:1]] or [("", "")]
    rows = [header]
    for i, (name, variant, sku, price, on_hand, category) in enumerate(TEMPLATE_EXAMPLES):
        store_name, branch_name = places[i % len(places)]
        cells = {
            "store": store_name,
            "branch": branch_name,
            "product_name": name,
            "variant_name": variant,
            "sku": sku,
            "price": price,
            "on_hand": on_hand,
            "category_slug": category if category in offered else "",
            "description": "",
            "status": ProductStatus.ACTIVE,
        }
        rows.append([_cell_out(cells[column]) for column in header])
    return rows


def stock_export_rows(*, actor: Membership, branch_id: int | None = None) -> Iterator[list[str]]:
    """Every variant of each branch's store with its level there (0 where none), for one branch (404 outside the
    scope) or all branches in the actor's scope. Checks STOCK_VIEW and the branch now."""
    require(actor, Perm.STOCK_VIEW)
    if branch_id is not None:
        branches: Iterable[Branch] = [access_branch_by_id(actor=actor, branch_id=branch_id, perm=Perm.STOCK_VIEW)]
    else:
        branches = list(scoped_branches(actor).order_by("store_id", "name", "pk"))

    def rows() -> Iterator[list[str]]:
        yield list(STOCK_EXPORT_COLUMNS)
        for branch in branches:
            levels = {
                v: (on_hand, reserved, available)
                for v, on_hand, reserved, available in StockLevel.objects.filter(branch=branch).values_list(
                    "variant_id", "on_hand", "reserved", "available"
                )
            }
            variants = variants_sold_at(branch).order_by("product__name", "product_id", "pk")
            for v in variants.iterator(chunk_size=2000):
                on_hand, reserved, available = levels.get(v.pk, (0, 0, 0))
                yield [
                    _cell_out(c)
                    for c in (branch.pk, branch.name, v.sku, v.product.name, v.name, on_hand, reserved, available)
                ]

    return rows()


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_chunks(rows: Iterable[list[str]], *, rows_per_chunk: int = 500) -> Iterator[str]:
    """CSV text for a streaming response: a BOM (so spreadsheets read UTF-8, e.g. Urdu names), then chunks of rows."""
    writer = csv.writer(_Echo())
    chunk = ["\ufeff"]
    for row in rows:
        chunk.append(writer.writerow(row))
        if len(chunk) >= rows_per_chunk:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)

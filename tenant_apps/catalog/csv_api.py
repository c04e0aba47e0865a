"""Console API for CSV import and export: /api/v1/console/imports/... and /api/v1/console/exports/...

Imports run in the request (files up to 10,000 rows) and answer 200 with the counts, or 400 `import_invalid` with
the row-by-row report (nothing imported). The upload is `multipart/form-data` (field `file`, and optionally
`import_id`, a UUID the page chose so it can poll GET /imports/{import_id} while the upload is in flight). Scripts may
send `application/json` `{"csv": "<text>", "import_id": "..."}` instead. The formats: tenant_apps/catalog/csv_io.py.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone
from ninja import Field, File, Form, Router, Schema, UploadedFile

from kernel.errors import CommonErrorCode, DomainError
from kernel.jsonparse import json_loads
from shared_apps.accounts.auth import user_auth
from tenant_apps.catalog import csv_io
from tenant_apps.staff.access import access_console, access_console_membership
from tenant_apps.staff.permissions import Perm

router = Router(auth=user_auth, tags=["csv"])


class RowErrorOut(Schema):
    row: int | None
    field: str | None
    code: str
    message: str


class ImportRejectionOut(Schema):
    errors: list[RowErrorOut] = Field(description="The first problems, row by row.")
    error_count: int
    import_id: str | None = None


class ImportRejectedOut(Schema):
    """The error envelope of a rejected file: what is wrong, row by row, is in its details."""

    code: str
    message: str
    field: str | None = None
    details: ImportRejectionOut


class ImportResultOut(Schema):
    import_id: str
    kind: str
    rows: int
    created: int
    updated: int
    unchanged: int
    seconds: float
    events: int
    products_created: int | None = None
    products_updated: int | None = None
    movements: int | None = None


class ProgressOut(Schema):
    import_id: str
    kind: str
    phase: str  # validating | applying | done | failed
    done: int
    total: int
    result: ImportResultOut | None = None  # when done
    error_count: int | None = None  # when failed


def _upload(request: HttpRequest, file: UploadedFile | None, import_id: str | None) -> tuple[bytes | str, str | None]:
    """The CSV and the client's import id, from the multipart form or a JSON body."""
    if file is not None:
        if file.size and file.size > csv_io.MAX_BYTES:
            raise DomainError(csv_io.CsvErrorCode.FILE_TOO_LARGE, field="file")
        return file.read(), import_id
    if request.content_type == "application/json":
        try:
            body: Any = json_loads(request.body or b"{}")
        except RequestDataTooBig as exc:  # DATA_UPLOAD_MAX_MEMORY_SIZE: large files go as multipart uploads
            raise DomainError(csv_io.CsvErrorCode.FILE_TOO_LARGE, "Upload large files as a file.", field="csv") from exc
        except ValueError as exc:
            raise DomainError(CommonErrorCode.INVALID, "The body is not JSON.") from exc
        if isinstance(body, dict) and isinstance(body.get("csv"), str):
            return body["csv"], body.get("import_id") or import_id
    raise DomainError(csv_io.CsvErrorCode.FILE_MISSING, field="file")


_UPLOAD_DOC = {"responses": {400: {"description": "import_invalid: the row-by-row report; nothing was imported"}}}


@router.post("/imports/products", response={200: ImportResultOut, 400: ImportRejectedOut}, openapi_extra=_UPLOAD_DOC)
def products_import(request: HttpRequest, file: File[UploadedFile | None] = None, import_id: Form[str | None] = None):
    """Create/update products and variants from a products CSV (upsert by SKU), all or nothing. Needs
    catalog.manage; every store_slug in the caller's scope; changing a base price needs price.base_edit."""
    actor = access_console(user=request.user, perm=Perm.CATALOG_MANAGE)
    data, import_id = _upload(request, file, import_id)
    progress = csv_io.import_progress_start(actor=actor, kind="products", import_id=import_id)
    return csv_io.products_import(actor=actor, data=data, progress=progress)


@router.post("/imports/stock", response={200: ImportResultOut, 400: ImportRejectedOut}, openapi_extra=_UPLOAD_DOC)
def stock_import(request: HttpRequest, file: File[UploadedFile | None] = None, import_id: Form[str | None] = None):
    """Set on_hand from a stock CSV (branch_id,sku,on_hand) as shelf counts, with ledger movements, all or nothing.
    Needs stock.adjust; every branch_id in the caller's scope."""
    actor = access_console(user=request.user, perm=Perm.STOCK_ADJUST)
    data, import_id = _upload(request, file, import_id)
    progress = csv_io.import_progress_start(actor=actor, kind="stock", import_id=import_id)
    return csv_io.stock_import(actor=actor, data=data, progress=progress)


@router.get("/imports/{import_id}", response=ProgressOut)
def import_progress(request: HttpRequest, import_id: str):
    """Progress of an import the caller started (404 for any other id), for the page to poll."""
    actor = access_console_membership(user=request.user)
    return csv_io.import_progress_get(actor=actor, import_id=import_id)


def _download(rows, name: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_io.csv_chunks(rows), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{connection.schema_name}-{name}-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


_CSV_DOC = {"responses": {200: {"description": "CSV (UTF-8 with BOM)", "content": {"text/csv": {}}}}}


@router.get("/exports/products.csv", openapi_extra=_CSV_DOC)
def products_export(request: HttpRequest):
    """Every variant of the caller's stores, in the products import format (streamed)."""
    actor = access_console(user=request.user, perm=Perm.CATALOG_VIEW)
    return _download(csv_io.products_export_rows(actor=actor), "products")


@router.get("/exports/stock.csv", openapi_extra=_CSV_DOC)
def stock_export(request: HttpRequest, branch_id: int | None = None):
    """Stock of one branch (branch_id, in the caller's scope) or of every branch in scope: every variant of the
    branch's store with on_hand, reserved, available (0 where it has no level). Imports back as a stock CSV."""
    actor = access_console(user=request.user, perm=Perm.STOCK_VIEW)
    return _download(csv_io.stock_export_rows(actor=actor, branch_id=branch_id), "stock")

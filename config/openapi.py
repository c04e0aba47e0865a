"""The APIs' OpenAPI documents tell the whole truth: every operation lists the error answers it can give.

django-ninja documents only the success answers a route declares. Rather than hand-writing error responses on every
route, `PlancklyAPI` post-processes the generated document once per operation, from what the operation is:

| the operation ...                                    | documents                                             |
|------------------------------------------------------|-------------------------------------------------------|
| takes any parameter or a body                        | 400 (the request's shape; `invalid` and the domain's) |
| takes a body                                         | 413 (the one configured maximum body size)            |
| has an auth                                          | 401, 403                                              |
| has a path parameter, or is a console route          | 404 (the access layer answers 404, never 403)         |
| belongs to (or calls into) an app whose codes use S   | S — for writes every status, for reads 400 and 404    |
| takes the `Idempotency-Key` header                   | 409 (the key named another request)                   |

"Calls into" is read from the route module's imports (a platform route calling `tenants.services` can answer what
tenants' codes say). A route may still declare an error status itself (`response={409: ...}`): its body is the
envelope all the same.
Every error body is the one envelope (`ErrorEnvelope`: `code` is an enum of every ErrorCode in the product), and a
429 carries `Retry-After`. 5xx answers are not documented: the API must never give one for any input. A route that
declares an error body of its own (a provider's acknowledgement, a CSV import's row errors) gets that body or the
envelope.

Decimal inputs are documented as numbers by kernel/openapi.py (installed when that module is imported, as it is
before any route module builds a document or its parameters).
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

from ninja import NinjaAPI

import kernel.openapi  # noqa: F401 - Decimal inputs documented as numbers in every document
from kernel.errors import ErrorCode

ENVELOPE = "ErrorEnvelope"
_REF = {"$ref": f"#/components/schemas/{ENVELOPE}"}
_DESCRIPTIONS = {
    400: "The request is not valid (its shape, or a rule of the domain): `field` names the culprit when there is one.",
    401: "No valid credentials were sent.",
    403: "Signed in, but not allowed to do this.",
    404: "Not found, or not visible to the caller (existence is not revealed).",
    409: "The request conflicts with the current state (or an Idempotency-Key named another request).",
    410: "Gone: the link or resource expired.",
    413: "The request body is larger than the configured maximum.",
    422: "Understood, but the content cannot be processed.",
    429: "Too many requests: wait `Retry-After` seconds.",
}
_WRITE_METHODS = {"post", "put", "patch", "delete"}
_READ_STATUSES = {400, 404}  # what a read can answer from its app's codes: a bad filter, a missing object
_DOCUMENTED_STATUSES = set(_DESCRIPTIONS)  # 5xx (a provider down) are the product's failures, not a contract


def _all_subclasses(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out += [sub, *_all_subclasses(sub)]
    return out


def error_codes() -> list[type[ErrorCode]]:
    """Every ErrorCode enum of the product (each app's errors module is imported by its routers)."""
    return sorted(_all_subclasses(ErrorCode), key=lambda c: (c.__module__, c.__qualname__))


def envelope_schema() -> dict[str, Any]:
    codes = sorted({str(member) for enum in error_codes() for member in enum})
    return {
        "title": ENVELOPE,
        "type": "object",
        "description": "Every 4xx/5xx answer of the API. Clients switch on `code`; people read `message`.",
        "required": ["code", "message", "field", "details"],
        "additionalProperties": False,
        "properties": {
            "code": {"type": "string", "enum": codes, "description": "Stable machine-readable code."},
            "message": {"type": "string", "description": "For people, in the request's language."},
            "field": {
                "anyOf": [{"type": "string"}, {"type": "null"}],
                "description": "The input field at fault (dotted for nested ones), or null.",
            },
            "details": {
                "type": "object",
                "additionalProperties": True,
                "description": "Facts a client acts on, e.g. `retry_after` (seconds) or the cart lines out of stock.",
            },
        },
    }


def _app_of(module: str) -> str:
    # "tenant_apps.catalog.csv_api" -> "tenant_apps.catalog"; "kernel.x" -> "kernel"
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] in ("shared_apps", "tenant_apps", "marketplace") else parts[0]


def _statuses_by_app() -> dict[str, set[int]]:
    by_app: dict[str, set[int]] = {}
    for enum in error_codes():
        by_app.setdefault(_app_of(enum.__module__), set()).update(m.status for m in enum)  # type: ignore[attr-defined]
    return by_app


_PRODUCT = ("kernel", "tenants", "shared_apps", "tenant_apps", "marketplace")


def _apps_called(module: str) -> set[str]:
    """The route module's app and every product app it imports from (modules, classes or functions)."""
    apps = {_app_of(module)}
    mod = sys.modules.get(module)
    for value in vars(mod).values() if mod else ():
        source = value.__name__ if isinstance(value, ModuleType) else getattr(value, "__module__", None)
        if isinstance(source, str) and source.split(".")[0] in _PRODUCT:
            apps.add(_app_of(source))
    return apps


def operation_error_statuses(
    op: dict[str, Any], *, method: str, module: str, console: bool, by_app: dict[str, set[int]]
) -> set[int]:
    params = op.get("parameters", [])
    has_body = "requestBody" in op
    statuses: set[int] = set()
    if params or has_body:
        statuses.add(400)
    if has_body:
        statuses.add(413)
    if op.get("security"):
        statuses |= {401, 403}
    if console or any(p.get("in") == "path" for p in params):
        statuses.add(404)
    raised = set().union(*(by_app.get(app, set()) for app in _apps_called(module)))
    statuses |= raised if method in _WRITE_METHODS else raised & _READ_STATUSES
    if any(p.get("in") == "header" and p.get("name") == "Idempotency-Key" for p in params):
        statuses |= {400, 409}
    return statuses & _DOCUMENTED_STATUSES


def _error_response(status: int, declared: dict[str, Any] | None) -> dict[str, Any]:
    """The envelope; or, where the route declared a body of its own for this status (a CSV import's row errors, a
    payment provider's acknowledgement), either that body or the envelope (which the request layer may answer)."""
    own = (declared or {}).get("content", {}).get("application/json", {}).get("schema", {})
    schema = {"anyOf": [own, _REF]} if own and "ErrorOut" not in str(own.get("$ref", "")) else _REF
    response = {
        "description": (declared or {}).get("description") or _DESCRIPTIONS.get(status, "An error."),
        "content": {"application/json": {"schema": schema}},
    }
    if status == 429:
        response["headers"] = {
            "Retry-After": {
                "description": "Seconds to wait before trying again.",
                "required": True,
                "schema": {"type": "integer", "minimum": 1},
            }
        }
    return response


class PlancklyAPI(NinjaAPI):
    """A NinjaAPI whose OpenAPI document lists each operation's error answers (see the module's docstring)."""

    console = False  # set on the console API: every route there sits behind the access layer

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        modules = {
            self.get_openapi_operation_id(operation): operation.view_func.__module__
            for router in self._get_bound_routers()
            for path_view in router.path_operations.values()
            for operation in path_view.operations
        }
        by_app = _statuses_by_app()
        for path_item in schema["paths"].values():
            for method, op in path_item.items():
                module = modules.get(op.get("operationId", ""), "")
                declared = {int(s): r for s, r in op.get("responses", {}).items()}
                errors = operation_error_statuses(op, method=method, module=module, console=self.console, by_app=by_app)
                responses = {s: r for s, r in declared.items() if s < 400}
                for status in sorted(errors | set(declared)):
                    if status >= 400:
                        responses[status] = _error_response(status, declared.get(status))
                op["responses"] = dict(sorted(responses.items()))
        schema["components"].setdefault("schemas", {})[ENVELOPE] = envelope_schema()
        return schema

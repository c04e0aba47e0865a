"""What every API document of the product shares, installed on import (kernel.inputs imports this module, so it is
in place before any route module builds a document or its query parameters):

- Decimal inputs: pydantic documents an input Decimal as "a number, or any string", with its bounds on the number
  branch only and without its digits (max_digits, decimal_places), while the validator takes only a decimal within
  both. `decimal_input_schema` documents it as what a client should send: a JSON number with the field's bounds, the
  magnitude its digits allow and its step (multipleOf) — never "any string".
- `ErrorOut`, the error envelope as a response schema, for routes that list their error statuses.
- `query_parameters`, a model's fields as OpenAPI query parameters, for a view that parses its query string itself.
"""

from __future__ import annotations

from typing import Any

from ninja import Schema
from ninja.openapi.schema import REF_TEMPLATE, flatten_properties
from ninja.schema import NinjaGenerateJsonSchema
from pydantic_core import core_schema

_pydantic_decimal_schema = NinjaGenerateJsonSchema.decimal_schema


def decimal_input_schema(self: NinjaGenerateJsonSchema, schema: core_schema.DecimalSchema) -> dict[str, Any]:
    if self.mode != "validation":
        return _pydantic_decimal_schema(self, schema)
    out: dict[str, Any] = {"type": "number"}
    for key, name in (("ge", "minimum"), ("le", "maximum"), ("gt", "exclusiveMinimum"), ("lt", "exclusiveMaximum")):
        if schema.get(key) is not None:
            out[name] = float(schema[key])
    places, digits = schema.get("decimal_places"), schema.get("max_digits")
    if places is not None:
        out["multipleOf"] = float(10**-places) if places else 1
    if digits is not None:
        whole = 10.0 ** (digits - (places or 0))
        out["exclusiveMaximum"] = min(out.get("exclusiveMaximum", whole), whole)
        out["exclusiveMinimum"] = max(out.get("exclusiveMinimum", -whole), -whole)
    return out


# The one place ninja's documents are generated from pydantic: every input Decimal of every API is documented so.
NinjaGenerateJsonSchema.decimal_schema = decimal_input_schema


class ErrorOut(Schema):
    """The envelope as a response schema (config/openapi.py documents every error status with the one ErrorEnvelope
    component, whichever schema a route names)."""

    code: str
    message: str
    field: str | None = None
    details: dict[str, Any] = {}


def query_parameters(model: type[Schema]) -> list[dict[str, Any]]:
    """`model`'s fields as OpenAPI query parameters, as ninja documents a Query[model] argument (for a view that
    parses its query string itself with kernel.inputs.query_parse)."""
    schema = model.model_json_schema(ref_template=REF_TEMPLATE, schema_generator=NinjaGenerateJsonSchema)
    required, definitions = set(schema.get("required", ())), schema.get("$defs", {})
    return [
        {"in": "query", "name": name, "schema": part, "required": part_required}
        | ({"description": part["description"]} if "description" in part else {})
        for field, details in schema["properties"].items()
        for name, part, part_required in flatten_properties(field, details, field in required, definitions)
    ]

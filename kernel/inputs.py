"""Input types shared by every API schema: amounts bounded by the columns they land in, and one pagination.

A Decimal from outside is bounded here, before any service sees it: `"1e26"` as a price used to reach a quantize()
or an INSERT and fail there as a 500. `Money` fits the product's money columns (numeric(12, 2)), `Fee` the delivery
fee columns (numeric(10, 2)), `RadiusKm` numeric(5, 2); NaN and ±Infinity are refused, more decimal places than the
column keeps are refused (an amount is never silently rounded), and a negative zero is stored as 0.00 (a price of
"-0" once turned the offer badge on). Services that take amounts as text (pages' forms, CSV files) use
`amount_parse`, the same bounds.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, TypeVar

from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict
from ninja import Field, Schema
from ninja.errors import ValidationError
from ninja.pagination import LimitOffsetPagination
from pydantic import AfterValidator
from pydantic import ValidationError as PydanticValidationError

import kernel.openapi  # noqa: F401 - documents Decimal inputs as numbers before any route builds a schema

MONEY_MAX_DIGITS, MONEY_DECIMAL_PLACES = 12, 2  # every money column: amounts, prices, totals, refunds
FEE_MAX_DIGITS = 10  # delivery fees and minimum orders
RADIUS_MAX_DIGITS = 5  # delivery radius in km


def decimal_normalised(places: int):
    """To the column's scale, with -0 as 0 (the sign of a zero survives arithmetic and comparisons with prices)."""
    exponent = Decimal(1).scaleb(-places)

    def normalise(value: Decimal) -> Decimal:
        value = value.quantize(exponent)
        return value.copy_abs() if value.is_zero() else value

    return normalise


def amount_parse(value: Any, *, max_digits: int = MONEY_MAX_DIGITS, places: int = MONEY_DECIMAL_PLACES) -> Decimal:
    """An amount typed into a page's form or read from a file, with the bounds of `Money`/`Fee`: finite, at most
    `places` decimals, fits numeric(max_digits, places), -0 as 0. Raises ValueError; a float is refused (it has lost
    the amount's exact value already). The services that take text amounts call this; the API schemas use the types.
    """
    if isinstance(value, (float, bool)):
        raise ValueError("not an exact amount")
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise ValueError("not a number") from exc
    if not amount.is_finite():
        raise ValueError("not a finite number")
    exponent = amount.normalize().as_tuple().exponent if amount else 0
    decimals = max(0, -int(exponent))
    if decimals > places:
        raise ValueError(f"more than {places} decimal places")
    if abs(amount) >= Decimal(10) ** (max_digits - places):
        raise ValueError("too large")
    return decimal_normalised(places)(amount)


def _amount(max_digits: int, places: int = MONEY_DECIMAL_PLACES) -> Any:
    return Annotated[
        Decimal,
        Field(max_digits=max_digits, decimal_places=places, allow_inf_nan=False),
        AfterValidator(decimal_normalised(places)),
    ]


Money = _amount(MONEY_MAX_DIGITS)
Fee = _amount(FEE_MAX_DIGITS)
RadiusKm = _amount(RADIUS_MAX_DIGITS)
# Units of stock: an integer column (int4). Far beyond any shelf, far below the column's 2^31.
QUANTITY_MAX = 1_000_000
Quantity = Annotated[int, Field(ge=-QUANTITY_MAX, le=QUANTITY_MAX)]

# Pagination: one pair of bounds for every list. An offset past 2^63 reached PostgreSQL's OFFSET as a 500.
PAGE_MAX_LIMIT = 200
PAGE_MAX_OFFSET = 1_000_000  # deeper than any list a person pages through; a client that needs more filters first


class Page(Schema):
    """`?limit=&offset=` of every list endpoint: limit 1-PAGE_MAX_LIMIT, offset 0-PAGE_MAX_OFFSET, else 400."""

    limit: int = Field(100, ge=1, le=PAGE_MAX_LIMIT)  # ninja's default before: clients that send none see no change
    offset: int = Field(0, ge=0, le=PAGE_MAX_OFFSET)

    def slice(self, items: QuerySet | list) -> QuerySet | list:
        return items[self.offset : self.offset + self.limit]


class Pagination(LimitOffsetPagination):
    """ninja's limit/offset pagination with the bounds of `Page` (NINJA_PAGINATION_CLASS: every @paginate)."""

    Input = Page

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_limit=PAGE_MAX_LIMIT, **kwargs)

    def paginate_queryset(self, queryset: QuerySet, pagination: Page, request: HttpRequest, **params: Any) -> Any:
        return {self.items_attribute: pagination.slice(queryset), "count": self._items_count(queryset)}


SchemaT = TypeVar("SchemaT", bound=Schema)


def query_parse(model: type[SchemaT], data: QueryDict) -> SchemaT:
    """`data` (a query string) as `model`, or ninja's ValidationError (the API's 400) naming the first bad field.

    A repeated key counts once, its last value, as with ninja's Query[model]. An empty value is an absent one: a
    form's blank "max price" box sends `price_max=`, which means no bound (and is how a null is written in a
    query string), not a malformed number."""
    try:
        return model.model_validate({key: value for key in data if (value := data[key]) != ""})
    except PydanticValidationError as exc:
        errors = [{**error, "loc": ("query", *error["loc"])} for error in exc.errors(include_url=False)]
        raise ValidationError(errors) from None

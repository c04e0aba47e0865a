"""/api/v1/me/preferences and /api/v1/me/history: what a shopper (a user or a guest, by token or session) lets us
record, and what we recorded — the caller's own only, there is no id to name anyone else's. /api/v1/events: an app's
product views and search clicks (anyone; under the caller's shopper when it says who it is)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from marketplace.cart.shoppers import shopper_key_of_request, shopper_of
from marketplace.history import services
from marketplace.history.selectors import HistoryPage
from shared_apps.accounts.auth import shopper_auth
from shared_apps.behaviour.products import MAX_POSITION
from shared_apps.behaviour.selectors import shopper_recording
from shared_apps.behaviour.services import shopper_history_clear, shopper_recording_set

router = Router(tags=["history"])


class PreferencesOut(Schema):
    history_recording: bool = Field(
        description="Whether what you view, search for, add to your cart and buy is remembered to suggest products."
    )


class PreferencesIn(Schema):
    history_recording: bool = Field(description="false: nothing of yours is recorded from now on.")


@router.get("/me/preferences", response=PreferencesOut, auth=shopper_auth)
def preferences_get(request: HttpRequest):
    """The caller's preferences (a guest has its own until it signs in)."""
    return PreferencesOut(history_recording=shopper_recording(shopper=shopper_of(request.auth).key))


@router.put("/me/preferences", response=PreferencesOut, auth=shopper_auth)
def preferences_put(request: HttpRequest, payload: PreferencesIn):
    """Turn the recording of the caller's behaviour on or off (off: nothing is recorded from now on; what was
    recorded stays until cleared with DELETE /api/v1/me/history)."""
    recording = shopper_recording_set(shopper=shopper_of(request.auth).key, recording=payload.history_recording)
    return PreferencesOut(history_recording=recording)


class HistoryEventOut(Schema):
    kind: str = Field(description="view | impression | search_click | add_to_cart | purchase | watch | ...")
    subject: str = Field(description="product | reel")
    merchant: str | None = Field(description="The shop's slug.")
    product_id: int | None
    title: str | None = Field(description="The product's title, while it is listed.")
    position: int | None = Field(description="impression, search_click: the place in the results, from 1.")
    surface: str = Field(description="product | search | category | reel | cart | checkout, or empty.")
    at: datetime


@router.get("/me/history", response=list[HistoryEventOut], auth=shopper_auth)
@paginate  # kernel.inputs.Pagination (NINJA_PAGINATION_CLASS): limit/offset bounded
def history_list(request: HttpRequest):
    """What was recorded of the caller, newest first (events reach it within seconds). Four queries for any page."""
    return HistoryPage(shopper_of(request.auth).key)


class ClearedOut(Schema):
    deleted: int = Field(description="Events deleted (those still on their way are dropped too).")


@router.delete("/me/history", response=ClearedOut, auth=shopper_auth)
def history_clear(request: HttpRequest):
    """Delete everything recorded of the caller. Recording goes on unless turned off in /api/v1/me/preferences."""
    return ClearedOut(deleted=shopper_history_clear(shopper=shopper_of(request.auth).key))


class ProductEventSchema(Schema):
    kind: Literal["view", "search_click"] = Field(description="view: a product screen opened; search_click: a result")
    listing_id: int = Field(..., ge=1, description="The listing's `id` as the search gave it; its product is the item.")
    position: int | None = Field(
        None, ge=1, le=MAX_POSITION, description="search_click: the result's place in the list (1: the first)."
    )
    q: str = Field("", max_length=200, description="search_click: the search's words (kept only as a keyed hash).")
    category: str | None = Field(None, max_length=80, description="search_click: the search's category slug.")


class ProductEventsIn(Schema):
    events: list[ProductEventSchema] = Field(..., max_length=services.MAX_EVENTS)


class QueuedOut(Schema):
    queued: int


@router.post("/events", response={202: QueuedOut}, auth=None, summary="Record product views and search clicks")
def events_record(request: HttpRequest, payload: ProductEventsIn):
    """An app's product views and search clicks, batched (search impressions are recorded by the search itself).
    Queued and written within seconds; none for a shopper who turned recording off."""
    queued = services.product_events_record(
        shopper=shopper_key_of_request(request),
        events=[services.ProductEventIn(**e.dict()) for e in payload.events],
    )
    return Status(202, QueuedOut(queued=queued))

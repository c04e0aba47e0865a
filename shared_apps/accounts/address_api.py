"""/api/v1/me/addresses: a signed-in customer's saved delivery addresses (guests keep theirs on the order only).
Another user's address id answers 404 like a missing one."""

from __future__ import annotations

from decimal import Decimal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from shared_apps.accounts.auth import user_auth
from shared_apps.accounts.models import Address
from shared_apps.accounts.selectors import access_address_by_id, addresses_of
from shared_apps.accounts.services import AddressFields, address_create, address_delete, address_update

router = Router(auth=user_auth, tags=["addresses"])


class AddressOut(Schema):
    id: int
    label: str
    street: str
    area: str
    city: str
    notes: str
    latitude: Decimal
    longitude: Decimal
    is_default: bool
    text: str = Field(description="One line for a rider: street, area, city.")

    @staticmethod
    def of(address: Address) -> AddressOut:
        return AddressOut(
            id=address.pk,
            label=address.label,
            street=address.street,
            area=address.area,
            city=address.city,
            notes=address.notes,
            latitude=address.latitude,
            longitude=address.longitude,
            is_default=address.is_default,
            text=address.one_line,
        )


class AddressIn(Schema):
    label: str = Field("", max_length=40, description='"Home", "Work" or the customer\'s own name; default Home.')
    street: str = Field(max_length=255, description="House and street.")
    area: str = Field("", max_length=80)
    city: str = Field("", max_length=80)
    notes: str = Field("", max_length=255, description="For the rider: gate, floor, landmark.")
    latitude: Decimal = Field(ge=-90, le=90, description="The map pin (the app's picker writes it).")
    longitude: Decimal = Field(ge=-180, le=180)
    is_default: bool = False


class AddressPatch(Schema):
    label: str | None = Field(None, max_length=40)
    street: str | None = Field(None, max_length=255)
    area: str | None = Field(None, max_length=80)
    city: str | None = Field(None, max_length=80)
    notes: str | None = Field(None, max_length=255)
    latitude: Decimal | None = Field(None, ge=-90, le=90)
    longitude: Decimal | None = Field(None, ge=-180, le=180)
    is_default: bool | None = Field(None, description="true makes it the default; false is ignored.")


@router.get("/me/addresses", response=list[AddressOut])
def addresses_list(request: HttpRequest):
    """The signed-in customer's addresses, the default first."""
    return [AddressOut.of(a) for a in addresses_of(user=request.auth)]


@router.post("/me/addresses", response={201: AddressOut})
def address_add(request: HttpRequest, payload: AddressIn):
    """Save an address. The first one becomes the default. 409 `address_limit` beyond the per-user limit."""
    fields = AddressFields(**payload.dict(exclude={"is_default"}))
    address = address_create(user=request.auth, fields=fields, make_default=payload.is_default)
    return Status(201, AddressOut.of(address))


@router.patch("/me/addresses/{address_id}", response=AddressOut)
def address_change(request: HttpRequest, address_id: int, payload: AddressPatch):
    """Change some fields; `is_default: true` makes it the default. 404 for an address that is not yours."""
    address = access_address_by_id(user=request.auth, address_id=address_id)
    changes = payload.dict(exclude_unset=True, exclude={"is_default"})
    changes = {k: v for k, v in changes.items() if v is not None}
    return AddressOut.of(address_update(address=address, changes=changes, make_default=bool(payload.is_default)))


@router.delete("/me/addresses/{address_id}", response={204: None})
def address_remove(request: HttpRequest, address_id: int):
    """Delete an address (orders keep their own copy). 404 for an address that is not yours."""
    address_delete(address=access_address_by_id(user=request.auth, address_id=address_id))
    return Status(204, None)

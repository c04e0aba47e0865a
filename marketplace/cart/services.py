"""Cart writes. Each locks the shopper's cart row first, so two tabs adding at once serialize instead of losing an
update; quantities are checked against the branch's stock in the merchant's schema (the source of truth)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tenants.utils import schema_context

from marketplace.cart.errors import CartError, CartErrorCode
from marketplace.cart.models import Cart, CartItem
from marketplace.cart.pricing import PricedCart
from marketplace.cart.shoppers import Shopper
from marketplace.listings.models import Listing
from shared_apps.behaviour.products import add_to_cart_record
from tenant_apps.catalog.offers import Offer, branch_offers


def _quantity(quantity: object) -> int:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= settings.CART_MAX_QUANTITY:
        raise CartError(CartErrorCode.QUANTITY_INVALID, field="quantity")
    return quantity


def _locked_cart(shopper: Shopper) -> Cart:
    cart, _ = Cart.objects.get_or_create(**shopper.owner_fields())
    return Cart.objects.select_for_update().get(pk=cart.pk)


def _offer(*, schema: str, branch_id: int, variant_id: int, quantity: int) -> Offer:
    with schema_context(schema):
        offer = branch_offers([(branch_id, variant_id)]).get((branch_id, variant_id))
    if offer is None or not offer.sellable:
        raise CartError(CartErrorCode.UNAVAILABLE, field="listing_id")
    if offer.available < quantity:
        message = (
            f"Only {offer.available} left at this shop." if offer.available else "This is out of stock at this shop."
        )
        raise CartError(
            CartErrorCode.INSUFFICIENT_STOCK, message, field="quantity", extra={"available": offer.available}
        )
    return offer


def cart_item_add(*, shopper: Shopper, listing_id: int, quantity: int, surface: str = "") -> CartItem:
    """Add `quantity` of a listing (added to the line's quantity if it is already in the cart). Raises
    LISTING_NOT_FOUND, QUANTITY_INVALID, UNAVAILABLE or INSUFFICIENT_STOCK (with `available`); changes nothing then.
    Once committed, the add is recorded as the shopper's behaviour (its product, and the `surface` it came from)."""
    _quantity(quantity)
    listing = Listing.objects.select_related("merchant").filter(pk=listing_id).first()
    if listing is None:
        raise CartError(CartErrorCode.LISTING_NOT_FOUND, field="listing_id")
    with transaction.atomic():
        cart = _locked_cart(shopper)
        item = CartItem.objects.filter(
            cart=cart, merchant_id=listing.merchant_id, branch_id=listing.branch_id, variant_id=listing.variant_id
        ).first()
        total = _quantity(quantity + (item.quantity if item else 0))
        offer = _offer(
            schema=listing.merchant.schema_name,
            branch_id=listing.branch_id,
            variant_id=listing.variant_id,
            quantity=total,
        )
        if item is None:
            item = CartItem(cart=cart, merchant_id=listing.merchant_id, branch_id=listing.branch_id)
            item.variant_id = listing.variant_id
        item.listing, item.quantity, item.unit_price, item.currency = listing, total, offer.price, offer.currency
        item.save()
        Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now())
        transaction.on_commit(
            lambda: add_to_cart_record(
                shopper=shopper.key, merchant_id=listing.merchant_id, product_id=listing.product_id, surface=surface
            )
        )
    return item


def _item(shopper: Shopper, item_id: int) -> CartItem:
    item = (
        CartItem.objects.select_related("merchant", "cart")
        .filter(pk=item_id, cart__in=Cart.objects.filter(shopper.owns()))
        .first()
    )
    if item is None:
        raise CartError(CartErrorCode.ITEM_NOT_FOUND)
    return item


def cart_item_update(*, shopper: Shopper, item_id: int, quantity: int) -> CartItem:
    """Set a line's quantity (checked against stock). Another shopper's line is ITEM_NOT_FOUND (404)."""
    _quantity(quantity)
    with transaction.atomic():
        item = _item(shopper, item_id)
        _locked_cart(shopper)
        offer = _offer(
            schema=item.merchant.schema_name, branch_id=item.branch_id, variant_id=item.variant_id, quantity=quantity
        )
        item.quantity, item.unit_price = quantity, offer.price
        item.save(update_fields=["quantity", "unit_price"])
        Cart.objects.filter(pk=item.cart_id).update(updated_at=timezone.now())
    return item


def cart_item_remove(*, shopper: Shopper, item_id: int) -> None:
    """Remove a line. Another shopper's line is ITEM_NOT_FOUND (404)."""
    with transaction.atomic():
        item = _item(shopper, item_id)
        item.delete()
        Cart.objects.filter(pk=item.cart_id).update(updated_at=timezone.now())


def cart_prices_seen(priced: PricedCart) -> int:
    """Remember the prices the customer has now been shown, so a change is flagged once, not on every view. Writes
    copies: `priced` itself still says what changed, for the response being built from it."""
    changed = [CartItem(pk=line.item.pk, unit_price=line.unit_price) for line in priced.lines if line.price_changed]
    CartItem.objects.bulk_update(changed, ["unit_price"])
    return len(changed)


def cart_merge(*, from_guest_id: object, into_user_id: int) -> int:
    """On sign-in: move a guest's lines into the user's cart (quantities of the same line add up, capped at the
    maximum), then drop the guest's cart. Idempotent. Returns how many lines moved."""
    with transaction.atomic():
        guest_cart = Cart.objects.select_for_update().filter(guest_id=from_guest_id).first()
        if guest_cart is None:
            return 0
        user_cart = _locked_cart(Shopper(user_id=into_user_id))
        mine = {(i.merchant_id, i.branch_id, i.variant_id): i for i in user_cart.items.all()}
        moved = 0
        for item in guest_cart.items.all():
            same = mine.get((item.merchant_id, item.branch_id, item.variant_id))
            if same is None:
                CartItem.objects.filter(pk=item.pk).update(cart=user_cart)
            else:
                same.quantity = min(same.quantity + item.quantity, settings.CART_MAX_QUANTITY)
                same.save(update_fields=["quantity"])
            moved += 1
        guest_cart.delete()
        Cart.objects.filter(pk=user_cart.pk).update(updated_at=timezone.now())
    return moved


def carts_expire(*, now=None) -> int:
    """Delete abandoned carts: guests' untouched for CART_GUEST_TTL_DAYS, users' for CART_USER_TTL_DAYS."""
    now = now or timezone.now()
    stale = Q(guest__isnull=False, updated_at__lt=now - timedelta(days=settings.CART_GUEST_TTL_DAYS)) | Q(
        user__isnull=False, updated_at__lt=now - timedelta(days=settings.CART_USER_TTL_DAYS)
    )
    deleted, _ = Cart.objects.filter(stale).delete()
    return deleted

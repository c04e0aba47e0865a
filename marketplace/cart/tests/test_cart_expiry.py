"""Abandoned carts expire (beat): a guest's after CART_GUEST_TTL_DAYS untouched, a user's after CART_USER_TTL_DAYS."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace.cart.models import Cart
from marketplace.cart.tasks import carts_expire_task
from shared_apps.accounts.models import User
from shared_apps.accounts.services import guest_create


def _cart(*, days_ago: float, user: bool = False) -> Cart:
    owner = {"user": User.objects.create_user(phone=f"+9230012{Cart.objects.count():05d}")} if user else {}
    cart = Cart.objects.create(**(owner or {"guest": guest_create()}))
    Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now() - timedelta(days=days_ago))
    return cart


@pytest.mark.django_db
def test_abandoned_carts_expire_and_live_ones_stay(settings):
    settings.CART_GUEST_TTL_DAYS, settings.CART_USER_TTL_DAYS = 7, 60
    old_guest, fresh_guest = _cart(days_ago=7.1), _cart(days_ago=6.9)
    old_user, quiet_user = _cart(days_ago=60.1, user=True), _cart(days_ago=30, user=True)

    assert carts_expire_task() == 2

    assert set(Cart.objects.values_list("pk", flat=True)) == {fresh_guest.pk, quiet_user.pk}
    assert not Cart.objects.filter(pk__in=[old_guest.pk, old_user.pk]).exists()
    assert carts_expire_task() == 0

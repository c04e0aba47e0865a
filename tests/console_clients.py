"""Test clients for a merchant console host: the JSON API with a bearer token, the pages with a signed-in session."""

from __future__ import annotations

from django.test import Client

from shared_apps.accounts.models import User
from shared_apps.accounts.tokens import token_pair_issue
from tenants.models import Merchant


def console_api_client(merchant: Merchant, user: User) -> Client:
    """Calls /api/v1/console/... on the merchant's host as `user` (a bearer token, as the console's scripts do)."""
    token = token_pair_issue(user=user).access
    return Client(HTTP_HOST=f"{merchant.slug}.localhost", HTTP_AUTHORIZATION=f"Bearer {token}")


def console_page_client(merchant: Merchant, user: User) -> Client:
    """Opens the console's pages on the merchant's host as `user`, signed in."""
    client = Client(HTTP_HOST=f"{merchant.slug}.localhost")
    client.force_login(user)
    return client

"""Who reaches each /sell/ route. The routes are discovered from the marketplace URLconf, so a new /sell/ page missing
from TABLE fails here (the console routes' matrix is tests/test_access_matrix.py, with the go-live and handoff)."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

# route -> what each principal gets on GET: the page (200) or a redirect to where it must start (a path).
TABLE: dict[str, dict[str, int | str]] = {
    "/sell/": {"anonymous": 200, "unconfirmed": 200, "confirmed": "/sell/shop/"},
    "/sell/verify/": {"anonymous": "/sell/", "unconfirmed": "/sell/", "confirmed": "/sell/"},
    "/sell/shop/": {"anonymous": "/sell/", "unconfirmed": "/sell/", "confirmed": 200},
}


def _routes(resolver: URLResolver, prefix: str = "") -> list[str]:
    found = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found += _routes(entry, route)
        elif isinstance(entry, URLPattern) and route.startswith("sell/"):
            found.append("/" + route)
    return found


def test_every_sell_route_is_in_the_table():
    assert set(_routes(get_resolver("config.urls_public"))) == set(TABLE)


@pytest.mark.parametrize("path", sorted(TABLE))
@pytest.mark.parametrize("principal", ["anonymous", "unconfirmed", "confirmed"])
def test_sell_route_access(path, principal, host_client, django_user_model):
    client = host_client("localhost")
    if principal != "anonymous":
        user = django_user_model.objects.create_user(phone="+923001231231")
        if principal == "confirmed":
            user.phone_verified_at = timezone.now()
            user.save(update_fields=["phone_verified_at"])
        client.force_login(user)
    response = client.get(path)
    expected = TABLE[path][principal]
    if isinstance(expected, int):
        assert response.status_code == expected
    else:
        assert response.status_code == 302 and response["Location"] == expected


@pytest.mark.parametrize("path", sorted(TABLE))
def test_sell_is_not_served_on_a_merchant_host(path, host_client, make_merchant):
    make_merchant(slug="some-shop")
    assert host_client("some-shop.localhost").get(path).status_code == 404

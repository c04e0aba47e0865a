"""After commit, a merchant's change kicks one publish task — and while one is queued, further commits of that
merchant do not send another (a flash sale's orders: one task, not one per order). The task takes the mark before it
reads the outbox, so a change committed after that kicks again."""

from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.db import transaction
from django_tenants.utils import schema_context

from marketplace.listings import tasks as listing_tasks
from tenant_apps.outbox import services as outbox_services
from tenant_apps.outbox.models import Entity
from tenant_apps.outbox.services import _kick_key, outbox_emit
from tests.shop_factory import build_shop

pytestmark = pytest.mark.django_db(transaction=True)  # real commits: the kick is an on-commit callback


@pytest.fixture
def shop(make_merchant):
    return build_shop(make_merchant, slug="kick-shop", products=1, variants=1)


@pytest.fixture
def kicks(monkeypatch) -> list[str]:
    sent: list[str] = []
    monkeypatch.setattr(outbox_services, "task_send", lambda name, *, schema: sent.append(schema))
    return sent


def _committed_change(shop) -> None:
    with schema_context(shop.schema), transaction.atomic():
        outbox_emit(entity=Entity.PRODUCT, entity_id=shop.products[0].pk)
        outbox_emit(entity=Entity.PRODUCT, entity_id=shop.products[0].pk)  # same transaction: one kick anyway


def test_commits_while_a_kick_is_queued_send_no_other(shop, kicks):
    cache.delete(_kick_key(shop.schema))
    for _ in range(3):
        _committed_change(shop)
    assert kicks == [shop.schema]


def test_the_task_takes_the_mark_before_reading_so_the_next_commit_kicks_again(shop, kicks, monkeypatch):
    cache.delete(_kick_key(shop.schema))
    _committed_change(shop)
    marked_while_reading = []
    monkeypatch.setattr(
        listing_tasks.sync,
        "listings_publish",
        lambda *, schema: marked_while_reading.append(cache.get(_kick_key(schema))) or SimpleNamespace(events=0),
    )
    listing_tasks.listings_publish.run(schema=shop.schema)  # the worker runs the queued task
    assert marked_while_reading == [None]
    _committed_change(shop)
    assert kicks == [shop.schema, shop.schema]

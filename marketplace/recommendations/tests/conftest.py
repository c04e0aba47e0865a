"""Each shelf test starts with nothing queued (this database's Redis keys only) and reads the ACTIVE models afresh;
the marketplace's URLs are the ones reversed."""

from __future__ import annotations

import pytest

from kernel.cache import redis_client
from marketplace.recommendations.selectors import active_models_forget
from shared_apps.behaviour.recorder import events_key, opted_out_key


@pytest.fixture(autouse=True)
def _marketplace_urls(settings):
    """Shelves link to the marketplace's pages: selectors called outside a request reverse its URLconf."""
    settings.ROOT_URLCONF = "config.urls_public"


@pytest.fixture(autouse=True)
def _fresh():
    redis_client().delete(events_key(), opted_out_key())
    active_models_forget()
    yield
    redis_client().delete(events_key(), opted_out_key())
    active_models_forget()

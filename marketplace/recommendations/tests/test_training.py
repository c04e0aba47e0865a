"""Training per region against the database: known answers on a tiny log, versions, failures, regions, budget."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import h3
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from marketplace.recommendations import training
from marketplace.recommendations.tasks import recommendations_train_task
from marketplace.recommendations.tests.factories import events_make, shop_make
from marketplace.recommendations.training import recommendations_train, region_of
from shared_apps.recommendations.models import ItemNeighbours, ModelStatus, NeighbourKind, PopularItems, TrainedModel
from workers.schedules import SCHEDULE

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # a Tuesday
MONDAY_MORNING = datetime(2026, 3, 9, 4, 0, tzinfo=UTC)  # 09:00 in Pakistan: morning, weekday
SATURDAY_EVENING = datetime(2026, 3, 7, 13, 0, tzinfo=UTC)  # 18:00: evening, weekend
TUESDAY_NIGHT = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)  # 01:00 on Wednesday: Tuesday's night, weekday
LAHORE = ("Lahore ", 31.52, 74.35)
KARACHI = ("karachi", 24.86, 67.01)

pytestmark = pytest.mark.django_db


def _basket(shopper: str, merchant, products, at: datetime) -> list[tuple]:
    return [("purchase", shopper, merchant, p, at + timedelta(microseconds=i)) for i, p in enumerate(products)]


@pytest.fixture
def lahore_shop():
    """Six shoppers buy 1 and 2 together on a weekday morning, three buy 3 and 4 together on a weekend evening;
    anonymous shoppers look at 6 at night; impressions and a reel's views are not interactions."""
    shop = shop_make(slug="lahore-mart", branches=[LAHORE], products=range(1, 8))
    rows = []
    for n in range(6):
        rows += _basket(f"u:{n}", shop, (1, 2), MONDAY_MORNING + timedelta(minutes=n))
    for n in range(3):
        rows += _basket(f"g:{n}", shop, (3, 4), SATURDAY_EVENING + timedelta(minutes=n))
    rows += [("view", "", shop, 6, TUESDAY_NIGHT)] * 10
    rows += [("impression", "u:0", shop, 7, MONDAY_MORNING)] * 30
    rows += [("view", "u:1", shop, 5, NOW - timedelta(days=200))]  # past the events' window
    events_make(rows)
    return shop


def _neighbours(kind: str, product: int, model: TrainedModel | None = None) -> list[int]:
    rows = ItemNeighbours.objects.filter(kind=kind, product_id=product, model__status=ModelStatus.ACTIVE)
    if model is not None:
        rows = ItemNeighbours.objects.filter(kind=kind, product_id=product, model=model)
    row = rows.first()
    return [] if row is None else row.neighbour_products


def _popular(daypart: int | None, weekend: bool | None) -> list[int]:
    row = PopularItems.objects.get(model__status=ModelStatus.ACTIVE, daypart=daypart, weekend=weekend)
    return row.products


def test_a_tiny_log_gives_the_expected_neighbours_and_popular_items(lahore_shop):
    [model] = recommendations_train(now=NOW)
    assert model.status == ModelStatus.ACTIVE and model.region == "lahore"
    assert (model.users, model.items, model.events) == (9, 7, 18)
    assert model.algorithm in {"itemknn_shrink", "rp3beta", "ease"}
    assert _neighbours(NeighbourKind.SIMILAR, 1)[0] == 2
    assert _neighbours(NeighbourKind.SIMILAR, 3)[0] == 4
    assert _neighbours(NeighbourKind.TOGETHER, 1) == [2]
    assert _neighbours(NeighbourKind.TOGETHER, 4) == [3]
    assert not ItemNeighbours.objects.filter(product_id__in=[5, 6, 7]).exists()
    assert _popular(0, False) == [1, 2]  # Monday morning's baskets
    assert _popular(2, True) == [3, 4]  # Saturday evening's
    assert _popular(3, False) == [6]  # anonymous views count towards what is popular
    assert _popular(None, None) == [1, 2, 3, 4, 6]  # any time: six purchases each, three each, ten views
    cell = PopularItems.objects.filter(model=model).values_list("h3_r6", flat=True).distinct()
    assert list(cell) == [h3.str_to_int(h3.latlng_to_cell(31.52, 74.35, 6))]
    assert PopularItems.objects.get(model=model, daypart=None).merchants == [lahore_shop.pk] * 5


def test_training_writes_a_new_version_while_the_old_one_serves_and_keeps_only_the_previous(lahore_shop, monkeypatch):
    first = recommendations_train(now=NOW)[0]
    seen = []
    write = training.neighbours_write

    def watching(**kwargs):
        seen.append(dict(TrainedModel.objects.values_list("pk", "status")))
        return write(**kwargs)

    monkeypatch.setattr(training, "neighbours_write", watching)
    second = recommendations_train(now=NOW)[0]
    assert seen[0] == {first.pk: ModelStatus.ACTIVE, second.pk: ModelStatus.TRAINING}
    statuses = dict(TrainedModel.objects.values_list("pk", "status"))
    assert statuses == {first.pk: ModelStatus.RETIRED, second.pk: ModelStatus.ACTIVE}
    assert ItemNeighbours.objects.filter(model=first).exists()  # kept for a rollback
    third = recommendations_train(now=NOW)[0]
    assert TrainedModel.objects.filter(status=ModelStatus.ACTIVE).get() == third
    assert not ItemNeighbours.objects.filter(model=first).exists()
    assert not PopularItems.objects.filter(model=first).exists()
    assert ItemNeighbours.objects.filter(model=second).exists() and PopularItems.objects.filter(model=second).exists()


def test_a_failed_training_leaves_the_active_model_serving(lahore_shop, monkeypatch):
    serving = recommendations_train(now=NOW)[0]

    def broken(**kwargs):
        raise MemoryError("over the budget")

    monkeypatch.setattr(training, "model_train", broken)
    [failed] = recommendations_train(now=NOW)
    failed.refresh_from_db()
    assert failed.status == ModelStatus.FAILED and "over the budget" in failed.error
    assert TrainedModel.objects.get(status=ModelStatus.ACTIVE) == serving
    assert _neighbours(NeighbourKind.TOGETHER, 1) == [2]
    assert not ItemNeighbours.objects.filter(model=failed).exists()


def test_regions_are_trained_apart_and_a_chain_is_in_each_of_its_cities():
    lahore = shop_make(slug="lahore-mart", branches=[LAHORE], products=(1, 2, 3))
    karachi = shop_make(slug="karachi-mart", branches=[KARACHI], products=(1, 2, 3))  # the same ids, another shop
    chain = shop_make(slug="chain", branches=[LAHORE, KARACHI], products=(50,))
    nowhere = shop_make(slug="nowhere", branches=[("", 30.2, 71.5)], products=(9,))
    rows = []
    for n in range(4):
        rows += _basket(f"u:{n}", lahore, (1, 2), MONDAY_MORNING)
        rows += _basket(f"u:{n}", chain, (50,), MONDAY_MORNING)
        rows += _basket(f"u:{10 + n}", karachi, (2, 3), MONDAY_MORNING)
    rows += [("product_tap", "u:20", nowhere, 9, MONDAY_MORNING)]
    events_make(rows)
    models = {model.region: model for model in recommendations_train(now=NOW)}
    h3_region = "h3:" + h3.cell_to_parent(h3.latlng_to_cell(30.2, 71.5, 6), 3)
    assert set(models) == {"lahore", "karachi", h3_region}
    assert region_of(city="  Lahore ", h3_r6=0) == "lahore"
    lahore_rows = ItemNeighbours.objects.filter(model=models["lahore"])
    assert {m for row in lahore_rows for m in row.neighbour_merchants} <= {lahore.pk, chain.pk}
    assert {(row.merchant_id, row.product_id) for row in lahore_rows} >= {(lahore.pk, 1), (lahore.pk, 2)}
    karachi_together = ItemNeighbours.objects.get(
        model=models["karachi"], kind=NeighbourKind.TOGETHER, merchant_id=karachi.pk, product_id=2
    )
    assert karachi_together.neighbour_products == [3]
    # events name no branch: a chain's product is learnt in each of its cities, with every shopper who took it
    assert models["lahore"].users == 4 and models["karachi"].users == 8
    assert models[h3_region].algorithm == "popular"  # one shopper, one product: nothing to learn item-item from
    assert PopularItems.objects.get(model=models[h3_region], daypart=None).products == [9]
    only = recommendations_train(region="karachi", now=NOW)
    assert [model.region for model in only] == ["karachi"]


def test_with_nothing_listed_nothing_is_trained():
    assert recommendations_train(now=NOW) == []
    assert not TrainedModel.objects.exists()


def test_a_tiny_budget_still_yields_a_model(lahore_shop):
    with override_settings(RECOMMENDATIONS_TRAIN_SECONDS=0.0):
        [model] = recommendations_train(now=NOW)
    assert model.status == ModelStatus.ACTIVE and model.algorithm in {"itemknn_shrink", "rp3beta", "ease"}
    assert model.validation == {}  # no time to tune: the richest servable model, as it comes
    assert _neighbours(NeighbourKind.SIMILAR, 1)[0] == 2


def test_the_command_prints_each_region_and_its_costs(lahore_shop, monkeypatch):
    monkeypatch.setattr(training.timezone, "now", lambda: NOW)  # the command trains as of now
    out = StringIO()
    call_command("recommendations_train", "--json", stdout=out)
    [row] = json.loads(out.getvalue())
    assert row["region"] == "lahore" and row["status"] == "active"
    assert {"algorithm", "users", "items", "events", "fit_seconds", "peak_mb"} <= set(row)
    assert row["peak_mb"] > 0
    out = StringIO()
    call_command("recommendations_train", "--region", "lahore", stdout=out)
    header, line = out.getvalue().splitlines()
    assert header.split()[:3] == ["region", "status", "algorithm"]
    assert line.split()[:2] == ["lahore", "active"] and line.split()[3:6] == ["9", "7", "18"]


def test_the_nightly_task_trains_on_the_training_queue(lahore_shop, monkeypatch):
    entry = SCHEDULE["recommendations-train"]
    assert entry["task"] == recommendations_train_task.name
    assert entry["options"]["queue"] == settings.CELERY_TRAINING_QUEUE != settings.CELERY_TASK_DEFAULT_QUEUE
    assert 0 < entry["options"]["expires"] < 24 * 3600
    monkeypatch.setattr(training.timezone, "now", lambda: NOW)
    assert recommendations_train_task.apply().get() == 1
    assert TrainedModel.objects.get().status == ModelStatus.ACTIVE

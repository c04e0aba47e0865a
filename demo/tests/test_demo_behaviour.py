"""The demo's generated behaviour: one item per demo product, and the served model meets the goal on it."""

from __future__ import annotations

import dataclasses
import json
from io import StringIO
from pathlib import Path

from django.core.management import call_command

from demo.behaviour import DEMO_BEHAVIOUR, demo_catalog
from demo.data import MERCHANTS, products_for


def test_every_demo_product_is_one_item_of_its_shop():
    catalog = demo_catalog()
    assert len(catalog) == len({item.item_id for item in catalog})
    assert len(catalog) == sum(len(products_for(spec)) for spec in MERCHANTS)
    assert {item.group for item in catalog} == {spec.slug for spec in MERCHANTS}


def test_on_the_demos_behaviour_the_served_model_doubles_toppop_and_beats_itemknn(tmp_path: Path, monkeypatch):
    smaller = dataclasses.replace(DEMO_BEHAVIOUR, interactions=6_000, shoppers=600)  # the same shape, a test's size
    monkeypatch.setattr("demo.management.commands.demo_behaviour.DEMO_BEHAVIOUR", smaller)
    path = tmp_path / "demo.csv"
    call_command("demo_behaviour", "--out", str(path), stdout=StringIO())
    out = StringIO()
    call_command("recommendations_evaluate", "--csv", str(path), "--json", stdout=out)
    result = json.loads(out.getvalue())
    models = result["models"]
    assert models[result["served"]]["ndcg@10"] >= 2 * models["toppop"]["ndcg@10"]
    assert models[result["served"]]["ndcg@10"] > models["itemknn"]["ndcg@10"]

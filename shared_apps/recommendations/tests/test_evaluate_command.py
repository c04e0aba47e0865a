"""`recommendations_evaluate`: the contract's JSON, clear errors for bad input, and the goal on skewed data."""

from __future__ import annotations

import dataclasses
import json
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from shared_apps.recommendations.evaluation import SERVABLE, evaluate, leave_last_out
from shared_apps.recommendations.interactions import interactions_from_lines
from shared_apps.recommendations.synthetic import BehaviourShape, behaviour_csv_write, behaviour_generate

TINY = """shopper,basket note,product,at,price
a,"x, then y",x,2026-03-01T10:00:00Z,10
b,,x,2026-03-01T09:00:00Z,10
a,,y,2026-03-01T11:00:00Z,20
c,,y,2026-03-02T08:00:00Z,20
b,,z,2026-03-02T08:00:00Z,30
a,,z,2026-03-03T08:00:00Z,30
c,,x,2026-03-02T08:00:00Z,10
b,,w,2026-03-04T08:00:00Z,40
d,,v,2026-03-05T08:00:00Z,50
"""


def _run(*args: str) -> str:
    out = StringIO()
    call_command("recommendations_evaluate", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_json_is_exactly_the_contracts_object(tmp_path: Path):
    path = tmp_path / "interactions.csv"
    path.write_text(TINY)
    result = json.loads(
        _run("--csv", str(path), "--user-col", "shopper", "--item-col", "product", "--time-col", "at", "--json")
    )
    assert set(result) == {"users", "items", "models", "served"}
    assert (result["users"], result["items"]) == (3, 5)  # d has one interaction; v counts as an item
    assert list(result["models"]) == ["toppop", "itemknn", "itemknn_shrink", "rp3beta", "ease"]
    for figures in result["models"].values():
        assert set(figures) == {"ndcg@10", "recall@20", "fit_s"}
        assert all(isinstance(value, float) for value in figures.values())
    assert result["served"] in {family.name for family in SERVABLE}
    # by hand: held out a→z (rank 0 after its x, y), b→w (rank 2: y and v outrank it), c→x (the later row; rank 0)
    assert result["models"]["toppop"]["ndcg@10"] == pytest.approx(round((1 + 0.5 + 1) / 3, 6))
    assert result["models"]["toppop"]["recall@20"] == 1.0


def test_the_table_names_every_model_and_the_served_one(tmp_path: Path):
    path = tmp_path / "interactions.csv"
    path.write_text(TINY.replace("shopper", "user").replace("product", "item").replace(",at,", ",timestamp,"))
    table = _run("--csv", str(path))
    for name in ("toppop", "itemknn", "itemknn_shrink", "rp3beta", "ease"):
        assert f"\n{name} " in table
    assert "served: " in table and "ru_maxrss" in table and "tracemalloc" in table


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("user,item\na,x\n", "missing column(s) 'timestamp'"),
        ("user,item,timestamp\na,x,1\nb,x,2\n", "no user has two interactions"),
        ("user,item,timestamp\na,x,soon\n", "line 2"),
        ("", "empty"),
        ("user,item,timestamp\n", "no user has two interactions"),
    ],
)
def test_bad_input_is_a_command_error_that_says_why(tmp_path: Path, content: str | None, message: str):
    path = tmp_path / "interactions.csv"
    if content is not None:
        path.write_text(content)
    with pytest.raises(CommandError) as caught:
        _run("--csv", str(path), "--json")
    assert message in str(caught.value)


def test_a_file_that_is_not_utf8_is_a_command_error(tmp_path: Path):
    path = tmp_path / "interactions.csv"
    path.write_bytes(b"user,item,timestamp\n\xff\xfe,x,1\n")
    with pytest.raises(CommandError, match="not UTF-8"):
        _run("--csv", str(path))


def _generated(shape: BehaviourShape, tmp_path: Path) -> Path:
    path = tmp_path / "generated.csv"
    with path.open("w", newline="") as stream:
        behaviour_csv_write(rows=behaviour_generate(shape=shape), stream=stream)
    return path


def test_the_generator_gives_the_same_rows_for_the_same_seed_and_others_for_another():
    shape = BehaviourShape(interactions=500, shoppers=50, items=80, groups=4, seed=5)
    first = list(behaviour_generate(shape=shape))
    assert first == list(behaviour_generate(shape=shape))
    assert first != list(behaviour_generate(shape=BehaviourShape(interactions=500, shoppers=50, items=80, seed=6)))
    assert [row[2] for row in first] == sorted(row[2] for row in first)


def test_the_generate_command_writes_the_same_file_for_the_same_seed(tmp_path: Path):
    paths = [tmp_path / "one.csv", tmp_path / "two.csv"]
    for path in paths:
        args = ("--out", str(path), "--interactions", "400", "--shoppers", "40", "--items", "60", "--seed", "3")
        call_command("recommendations_generate", *args, stdout=StringIO())
    first, second = (path.read_text() for path in paths)
    assert first == second
    assert first.startswith("user,item,timestamp\n")
    assert len(first.splitlines()) > 400


def test_on_skewed_generated_data_the_served_model_doubles_toppop_and_beats_itemknn(tmp_path: Path):
    shape = BehaviourShape(interactions=6_000, shoppers=600, items=300, groups=12, seed=11)
    result = json.loads(_run("--csv", str(_generated(shape, tmp_path)), "--json"))
    models = result["models"]
    served = models[result["served"]]["ndcg@10"]
    assert served >= 2 * models["toppop"]["ndcg@10"]
    assert served > models["itemknn"]["ndcg@10"]


def test_tuning_never_reads_the_held_out_items():
    """Other held-out items over the same training events: the same settings and validation scores are chosen."""
    rows = behaviour_generate(shape=BehaviourShape(interactions=2_000, shoppers=200, items=120, groups=6))
    lines = ["user,item,timestamp", *(f"{user},{item},{moment}" for user, item, moment in rows)]
    base = interactions_from_lines(lines=lines, user_col="user", item_col="item", time_col="timestamp")
    held = leave_last_out(base)
    last_rows = {int(user): row for row, user in enumerate(base.users)}  # the generator writes in time order
    items = base.items.copy()
    for user in held.users:
        items[last_rows[int(user)]] = (items[last_rows[int(user)]] + 7) % base.item_count
    other = dataclasses.replace(base, items=items)
    assert not np.array_equal(leave_last_out(other).items, held.items)

    first, second = evaluate(interactions=base), evaluate(interactions=other)
    assert [m.setting for m in first.models] == [m.setting for m in second.models]
    assert [m.validation_ndcg_at_10 for m in first.models] == [m.validation_ndcg_at_10 for m in second.models]
    assert first.served == second.served


def test_with_nobody_to_validate_on_each_model_takes_its_default_and_ease_serves():
    lines = ["user,item,timestamp", "a,x,1", "a,y,2", "b,y,1", "b,z,2", "c,x,1", "c,z,2"]
    report = evaluate(
        interactions=interactions_from_lines(lines=lines, user_col="user", item_col="item", time_col="timestamp")
    )
    assert report.validation_users == 0
    assert {m.name: m.setting.params for m in report.models if m.name in {f.name for f in SERVABLE}} == {
        f.name: f.default for f in SERVABLE
    }
    assert report.served == "ease"

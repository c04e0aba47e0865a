"""Reading interaction files and holding out each user's last interaction: time order, ties, who is evaluated."""

from __future__ import annotations

import io

import numpy as np
import pytest

from shared_apps.recommendations.evaluation import leave_last_out, recency_matrix
from shared_apps.recommendations.interactions import InteractionsError, interactions_from_lines


def _read(text: str, **columns: str):
    names = {"user_col": "user", "item_col": "item", "time_col": "timestamp", **columns}
    return interactions_from_lines(lines=io.StringIO(text), **names)


def _held_out(text: str) -> dict[str, str]:
    interactions = _read(text)
    holdout = leave_last_out(interactions)
    return {
        interactions.user_ids[user]: interactions.item_ids[item]
        for user, item in zip(holdout.users, holdout.items, strict=True)
    }


def test_the_last_interaction_by_time_is_held_out_whatever_the_file_order():
    text = "user,item,timestamp\na,late,30\na,early,10\na,middle,20\nb,x,5\nb,y,6\n"
    assert _held_out(text) == {"a": "late", "b": "y"}


def test_users_with_one_interaction_are_not_evaluated_but_stay_in_training():
    interactions = _read("user,item,timestamp\nsolo,x,1\na,x,1\na,y,2\n")
    holdout = leave_last_out(interactions)
    assert [interactions.user_ids[u] for u in holdout.users] == ["a"]
    assert holdout.train.count == 2  # solo's x and a's x
    assert set(interactions.user_ids[u] for u in holdout.train.users) == {"solo", "a"}


def test_equal_times_are_broken_by_file_order_the_later_row_being_the_later_event():
    assert _held_out("user,item,timestamp\na,first,5\na,second,5\n") == {"a": "second"}
    assert _held_out("user,item,timestamp\na,second,5\na,first,5\n") == {"a": "first"}
    text = "user,item,timestamp\na,p,5\na,q,5\na,r,5\nb,r,1\nb,q,1\n"
    assert _held_out(text) == _held_out(text) == {"a": "r", "b": "q"}


def test_times_may_be_integers_floats_or_iso_dates_and_extra_columns_are_ignored():
    text = (
        "note,customer,when,product,price\n"
        '"first, with a comma",a,2026-01-02T10:00:00Z,x,10\n'
        "-,a,2026-01-02 09:00:00,y,20\n"
        "-,b,1.5e9,x,1\n"
        "-,b,1499999999.5,z,1\n"
    )
    interactions = _read(text, user_col="customer", item_col="product", time_col="when")
    assert interactions.count == 4
    assert interactions.times[0] > interactions.times[1]  # a naive date is UTC, an hour before 10:00Z
    holdout = leave_last_out(interactions)
    assert [interactions.item_ids[i] for i in holdout.items] == ["x", "x"]


def test_a_tab_separated_export_is_read_by_its_header():
    interactions = _read("user\titem\ttimestamp\tr\na\tx\t1\t5\na\ty\t2\t4\n")
    assert interactions.item_ids == ("x", "y")


def test_items_taken_at_the_same_moment_are_equally_recent():
    interactions = _read("user,item,timestamp\na,x,1\na,y,5\na,z,5\na,w,3\n")
    matrix = recency_matrix(interactions).toarray()[0]
    assert dict(zip(interactions.item_ids, matrix.tolist(), strict=True)) == {"x": 3, "y": 1, "z": 1, "w": 2}


def test_the_recency_matrix_ranks_each_users_distinct_items_newest_first():
    interactions = _read("user,item,timestamp\na,x,1\na,y,2\na,x,3\na,z,4\nb,y,9\n")
    matrix = recency_matrix(interactions).toarray()
    x, y, z = (interactions.item_ids.index(name) for name in "xyz")
    assert matrix[0, z] == 1 and matrix[0, x] == 2 and matrix[0, y] == 3  # x counts at its latest time
    assert matrix[1].tolist() == [0, 1, 0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("user,item\na,x\n", "missing column(s) 'timestamp'"),
        ("user,item,timestamp\na,x,yesterday\n", "line 2: timestamp 'yesterday'"),
        ("user,item,timestamp\na,x,1\n\nb,,2\n", "line 4: an empty"),
        ("user,item,timestamp\na,x\n", "line 2: 2 field(s)"),
        ("user,item,timestamp\na,x,nan\n", "line 2"),
    ],
)
def test_unreadable_input_names_what_and_where(text, message):
    with pytest.raises(InteractionsError, match=None) as caught:
        _read(text)
    assert message in str(caught.value)


def test_codes_follow_first_appearance_and_keep_the_files_ids():
    interactions = _read("user,item,timestamp\n42,sku-9,1\n7,sku-1,2\n42,sku-1,3\n")
    assert interactions.user_ids == ("42", "7")
    assert interactions.item_ids == ("sku-9", "sku-1")
    assert np.array_equal(interactions.users, [0, 1, 0])

"""The one idempotency rule (kernel.idempotency) on a table of its own: a key's first request runs, the same request
again replays it, another request with that key is a conflict, and concurrent twins wait for the first transaction
to end — then replay it if it committed, or go on as the first if it rolled back."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection, connections

from kernel.errors import CommonErrorCode, DomainError
from kernel.idempotency import (
    Earlier,
    IdempotencyError,
    IdempotencyErrorCode,
    Idempotent,
    idempotency_key_clean,
    idempotent_write,
    request_fingerprint,
)

HOLD = 0.4  # seconds the first twin keeps its transaction open after inserting its keyed row


class Conflict(Exception):
    pass


def _create_probe() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE idempotency_probe (key varchar(80) PRIMARY KEY, fingerprint char(64), value integer)"
        )


@pytest.fixture
def probe(db):
    _create_probe()  # rolled back with the test's transaction


@pytest.fixture
def committed_probe(transactional_db):
    _create_probe()
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE idempotency_probe")


def _find(key: str) -> Earlier[int] | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT value, fingerprint FROM idempotency_probe WHERE key = %s", [key])
        row = cursor.fetchone()
    return Earlier(row[0], fingerprint=row[1]) if row else None


def _rows() -> list[tuple[str, int]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT key, value FROM idempotency_probe ORDER BY key, value")
        return cursor.fetchall()


def _insert(key: str | None, fingerprint: str, value: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO idempotency_probe (key, fingerprint, value) VALUES (%s, %s, %s)",
            [key or f"nokey-{value}", fingerprint, value],
        )


def _write(key: str | None, body: dict, value: int, *, then: Callable[[], None] = lambda: None) -> Idempotent[int]:
    fingerprint = request_fingerprint(body)

    def write() -> int:
        _insert(key, fingerprint, value)
        then()
        return value

    return idempotent_write(key=key, fingerprint=fingerprint, find=_find, write=write, conflict=Conflict)


def test_the_same_request_again_replays_the_first_answer_and_writes_nothing(probe):
    first = _write("k-1", {"quantity": 4}, 1)
    again = _write("k-1", {"quantity": 4}, 2)
    assert (first, again) == (Idempotent(1, replayed=False), Idempotent(1, replayed=True))
    assert _rows() == [("k-1", 1)]


def test_the_key_with_another_request_is_a_conflict(probe):
    _write("k-1", {"quantity": 4}, 1)
    with pytest.raises(Conflict):
        _write("k-1", {"quantity": 5}, 2)
    assert _rows() == [("k-1", 1)]


def test_a_domain_error_on_a_retry_replays_the_write_that_succeeded(probe):
    _write("k-1", {"quantity": 4}, 1)

    def sold_out() -> None:
        raise DomainError(CommonErrorCode.CONFLICT)

    assert _write("k-1", {"quantity": 4}, 2, then=sold_out) == Idempotent(1, replayed=True)


def test_a_domain_error_with_a_new_key_is_the_answer(probe):
    def sold_out() -> None:
        raise DomainError(CommonErrorCode.CONFLICT)

    with pytest.raises(DomainError):
        _write("k-1", {"quantity": 4}, 1, then=sold_out)
    assert _rows() == []  # the write's savepoint rolled back; the caller's transaction goes on


def test_without_a_key_every_request_runs(probe):
    assert _write(None, {"quantity": 4}, 1) == Idempotent(1, replayed=False)
    assert _write(None, {"quantity": 4}, 2) == Idempotent(2, replayed=False)
    assert len(_rows()) == 2


def test_a_row_stored_before_fingerprints_replays_as_it_did_then(probe):
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO idempotency_probe (key, fingerprint, value) VALUES ('old', NULL, 7)")
    assert _write("old", {"anything": True}, 8) == Idempotent(7, replayed=True)


def test_the_fingerprint_ignores_the_order_of_fields_but_not_their_values():
    assert request_fingerprint({"a": 1, "b": [1, 2]}) == request_fingerprint({"b": [1, 2], "a": 1})
    assert request_fingerprint({"a": 1, "b": [1, 2]}) != request_fingerprint({"a": 1, "b": [2, 1]})
    assert request_fingerprint({"a": 1}) != request_fingerprint({"a": "2"})


def test_a_key_is_stripped_blank_means_none_and_an_unusable_one_is_a_400():
    assert idempotency_key_clean("  truck-42 ") == "truck-42"
    assert idempotency_key_clean(None) is None and idempotency_key_clean("   ") is None
    for bad in ("x" * 81, "tab\there"):
        with pytest.raises(IdempotencyError) as caught:
            idempotency_key_clean(bad)
        assert (caught.value.code, caught.value.status) == (IdempotencyErrorCode.KEY_INVALID, 400)


def _twins(first_then: Callable[[], None], twin_body: dict) -> tuple[object, object, float]:
    """The first request inserts its keyed row and holds its transaction open; its twin starts then. Returns what
    each answered (a result or the exception) and how long the twin took."""
    inserted = threading.Event()
    answers: dict[str, object] = {}
    twin_seconds: list[float] = []

    def first_then_hold() -> None:
        inserted.set()
        time.sleep(HOLD)
        first_then()

    def first() -> None:
        try:
            answers["first"] = _write("twin", {"quantity": 4}, 1, then=first_then_hold)
        except Exception as error:  # reported to the test
            answers["first"] = error
        finally:
            connections.close_all()

    def twin() -> None:
        try:
            assert inserted.wait(10)
            started = time.monotonic()
            try:
                answers["twin"] = _write("twin", twin_body, 2)
            except Exception as error:  # reported to the test
                answers["twin"] = error
            twin_seconds.append(time.monotonic() - started)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=twin)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers["first"], answers["twin"], twin_seconds[0]


def test_a_concurrent_twin_waits_for_the_first_transaction_and_replays_it(committed_probe):
    first, twin, seconds = _twins(lambda: None, {"quantity": 4})
    assert first == Idempotent(1, replayed=False)
    assert twin == Idempotent(1, replayed=True)
    assert seconds >= HOLD * 0.75  # it blocked on the key's unique index until the first committed
    assert _rows() == [("twin", 1)]


def test_a_concurrent_twin_with_another_request_waits_then_conflicts(committed_probe):
    first, twin, seconds = _twins(lambda: None, {"quantity": 5})
    assert first == Idempotent(1, replayed=False)
    assert isinstance(twin, Conflict) and seconds >= HOLD * 0.75
    assert _rows() == [("twin", 1)]


def test_a_concurrent_twin_goes_on_as_the_first_when_the_first_rolls_back(committed_probe):
    def crash() -> None:
        raise RuntimeError("the first request's process died")

    first, twin, seconds = _twins(crash, {"quantity": 4})
    assert isinstance(first, RuntimeError)
    assert twin == Idempotent(2, replayed=False) and seconds >= HOLD * 0.75
    assert _rows() == [("twin", 2)]

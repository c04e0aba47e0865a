"""The ledger's arithmetic: splitting a refund over merchant parts never takes a cent more than a part holds."""

from __future__ import annotations

import random
from decimal import Decimal

from shared_apps.payments.ledger import split_by_weight


def test_split_sums_to_the_amount_and_respects_every_part():
    rng = random.Random(8)
    for _ in range(2_000):
        room = {pk: Decimal(rng.randint(1, 500_000)) / 100 for pk in range(1, rng.randint(1, 6) + 1)}
        total = sum(room.values())
        amount = Decimal(rng.randint(1, int(total * 100))) / 100
        shares = split_by_weight(amount, room)
        assert sum(shares.values()) == amount
        assert all(Decimal(0) <= shares[pk] <= room[pk] for pk in room)
        assert all(share == share.quantize(Decimal("0.01")) for share in shares.values())


def test_split_in_proportion_with_leftover_cents_to_the_roomiest():
    assert split_by_weight(Decimal("10.00"), {1: Decimal("10.00"), 2: Decimal("20.00")}) == {
        1: Decimal("3.33"),
        2: Decimal("6.67"),
    }
    assert split_by_weight(Decimal("0.02"), {1: Decimal("0.01"), 2: Decimal("0.01"), 3: Decimal("100.00")}) == {
        1: Decimal("0.00"),
        2: Decimal("0.00"),
        3: Decimal("0.02"),
    }
    assert split_by_weight(Decimal("100.02"), {1: Decimal("0.01"), 2: Decimal("0.01"), 3: Decimal("100.00")}) == {
        1: Decimal("0.01"),
        2: Decimal("0.01"),
        3: Decimal("100.00"),
    }

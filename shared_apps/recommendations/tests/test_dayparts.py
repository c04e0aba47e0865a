from datetime import UTC, datetime

import pytest

from shared_apps.recommendations.dayparts import daypart_of


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        (datetime(2026, 12, 8, 3, 0, tzinfo=UTC), (0, False)),  # Tuesday 08:00 PKT
        (datetime(2026, 12, 8, 8, 0, tzinfo=UTC), (1, False)),  # Tuesday 13:00
        (datetime(2026, 12, 8, 13, 0, tzinfo=UTC), (2, False)),  # Tuesday 18:00
        (datetime(2026, 12, 8, 17, 0, tzinfo=UTC), (3, False)),  # Tuesday 22:00
        (datetime(2026, 12, 11, 21, 0, tzinfo=UTC), (3, False)),  # Saturday 02:00: Friday's night
        (datetime(2026, 12, 12, 21, 0, tzinfo=UTC), (3, True)),  # Sunday 02:00: Saturday's night
        (datetime(2026, 12, 13, 5, 0, tzinfo=UTC), (0, True)),  # Sunday 10:00
    ],
)
def test_daypart_of(utc: datetime, expected: tuple[int, bool]) -> None:
    assert daypart_of(utc) == expected

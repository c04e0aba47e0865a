from datetime import datetime
from zoneinfo import ZoneInfo

from tenant_apps.stores.hours import opening_state

KARACHI = ZoneInfo("Asia/Karachi")
HOURS = {"mon": [["09:00", "13:00"], ["14:00", "22:00"]], "tue": [["09:00", "22:00"]]}


def at(day: int, hhmm: str) -> datetime:  # 2026-11-23 is a Monday
    hour, minute = map(int, hhmm.split(":"))
    return datetime(2026, 11, 22 + day, hour, minute, tzinfo=KARACHI)


def test_open_within_a_period_and_says_when_it_closes():
    state = opening_state(HOURS, {}, at(1, "10:30"))
    assert (state.open, state.closes_at) == (True, "13:00")


def test_lunch_break_and_close_time_are_closed():
    assert opening_state(HOURS, {}, at(1, "13:30")).opens_at == "14:00"
    assert opening_state(HOURS, {}, at(1, "22:00")).open is False  # closing time itself is closed


def test_closed_day_points_to_the_next_opening():
    state = opening_state(HOURS, {}, at(3, "12:00"))  # Wednesday: no hours until Monday
    assert (state.open, state.opens_at) == (False, "Mon 09:00")


def test_date_exception_replaces_the_day():
    assert opening_state(HOURS, {"2026-11-23": []}, at(1, "10:00")).open is False
    assert opening_state(HOURS, {"2026-11-25": [["10:00", "12:00"]]}, at(3, "11:00")).open is True


def test_no_hours_at_all_is_closed_with_no_next_opening():
    assert opening_state({}, {}, at(1, "10:00")).opens_at is None


def test_utc_moments_are_read_in_the_platform_time_zone():
    utc = datetime(2026, 11, 23, 4, 0, tzinfo=ZoneInfo("UTC"))  # 09:00 in Karachi
    assert opening_state(HOURS, {}, utc).open is True

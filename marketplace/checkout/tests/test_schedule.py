"""Opening periods, the next opening and the slots a closed shop offers, and the promised time (pure functions)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from marketplace.checkout.promise import DEFAULT_PREPARATION_MINUTES, branch_preparation_minutes, group_promised_at
from marketplace.checkout.schedule import branch_schedule, open_periods, when_label
from tenant_apps.stores.promise import promised_time, travel_minutes

WEEKDAYS = {day: [["09:00", "13:00"], ["14:00", "22:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def at(day: int, hhmm: str) -> datetime:
    """2026-11-23 is a Monday: day 1 = Monday, local time."""
    hours, minutes = map(int, hhmm.split(":"))
    return timezone.make_aware(datetime(2026, 11, 22 + day, hours, minutes))


def test_open_now_needs_no_schedule():
    schedule = branch_schedule(WEEKDAYS, {}, now=at(1, "10:30"))
    assert schedule.open_now and schedule.next_opening is None
    assert schedule.accepts(at(1, "15:00")) and not schedule.accepts(at(1, "13:30"))  # the lunch break


def test_closed_now_names_the_next_opening_and_offers_slots_from_it():
    schedule = branch_schedule(WEEKDAYS, {}, now=at(1, "06:10"))
    assert not schedule.open_now and schedule.next_opening == at(1, "09:00")
    slots = schedule.slots(minutes=30)
    assert slots[:3] == [at(1, "09:00"), at(1, "09:30"), at(1, "10:00")]
    assert at(1, "13:00") not in slots and at(1, "14:00") in slots  # only within the hours
    assert all(schedule.accepts(slot) for slot in slots)


def test_after_closing_the_next_opening_is_tomorrow_and_weekends_are_skipped():
    assert branch_schedule(WEEKDAYS, {}, now=at(1, "22:00")).next_opening == at(2, "09:00")  # closing time is closed
    friday_night = branch_schedule(WEEKDAYS, {}, now=at(5, "23:00"), horizon_days=4)
    assert friday_night.next_opening == at(8, "09:00")  # Monday


def test_a_date_exception_replaces_the_days_hours():
    closed_today = branch_schedule(WEEKDAYS, {"2026-11-23": []}, now=at(1, "10:00"))
    assert not closed_today.open_now and closed_today.next_opening == at(2, "09:00")
    short_day = branch_schedule(WEEKDAYS, {"2026-11-24": [["11:00", "12:00"]]}, now=at(1, "23:00"))
    assert short_day.next_opening == at(2, "11:00")
    assert not short_day.accepts(at(2, "15:00"))


def test_overnight_hours_run_past_midnight_and_touching_periods_join():
    late = {"sat": [["18:00", "02:00"]]}
    periods = open_periods(late, {}, since=at(6, "00:00"), until=at(7, "12:00"))
    assert [(p.start, p.end) for p in periods] == [(at(6, "18:00"), at(7, "02:00"))]
    assert branch_schedule(late, {}, now=at(7, "01:30")).open_now  # Sunday 01:30 is still Saturday's night
    round_the_clock = {day: [["00:00", "24:00"]] for day in ("mon", "tue")}
    joined = open_periods(round_the_clock, {}, since=at(1, "12:00"), until=at(2, "12:00"))
    assert [(p.start, p.end) for p in joined] == [(at(1, "00:00"), at(3, "00:00"))]
    assert branch_schedule(round_the_clock, {}, now=at(1, "23:59")).open_now


def test_a_shop_that_does_not_open_within_the_horizon_has_no_next_opening():
    closed = {"2026-11-23": [], "2026-11-24": [], "2026-11-25": []}
    schedule = branch_schedule(WEEKDAYS, closed, now=at(1, "08:00"), horizon_days=2)
    assert not schedule.open_now and schedule.next_opening is None and schedule.slots() == []


def test_a_branch_without_published_hours_takes_orders_any_time():
    schedule = branch_schedule({}, {}, now=at(7, "03:00"))
    assert schedule.open_now and schedule.accepts(at(7, "04:00"))


def test_past_and_beyond_the_horizon_times_are_not_accepted():
    schedule = branch_schedule(WEEKDAYS, {}, now=at(1, "10:00"), horizon_days=2)
    assert not schedule.accepts(at(1, "09:30")) and not schedule.accepts(at(4, "10:00"))


def test_when_label_reads_as_a_customer_says_it():
    now = at(1, "06:00")
    assert when_label(at(1, "09:00"), now=now) == "today at 09:00"
    assert when_label(at(2, "09:00"), now=now) == "tomorrow at 09:00"
    assert when_label(at(4, "09:00"), now=now) == "Thu 26 Nov at 09:00"


def test_the_promise_is_preparation_then_travel_at_the_configured_speed(settings):
    settings.DELIVERY_SPEED_KMH = 20.0
    start = at(1, "10:00")
    assert promised_time(start=start, preparation_minutes=20, delivered=False) == at(1, "10:20")
    assert travel_minutes(5.0) == 15 + 5  # 5 km at 20 km/h, and the handover at the door
    assert promised_time(start=start, preparation_minutes=20, delivered=True, distance_km=5.0) == at(1, "10:40")
    assert travel_minutes(0.1) == 1 + 5  # rounded up to the minute


def test_every_branch_prepares_in_the_default_minutes_until_it_has_its_own():
    assert branch_preparation_minutes(None) == DEFAULT_PREPARATION_MINUTES == 20
    start = at(1, "10:00")
    pickup = group_promised_at(terms=None, fulfilment="pickup", start=start, distance_km=3.0)
    assert pickup == start + timedelta(minutes=20)
    delivery = group_promised_at(terms=None, fulfilment="delivery", start=start, distance_km=3.0)
    assert delivery > pickup

"""Schedule expressions: accepted forms, slots (croniter as the oracle), windows, offsets, max runtime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise

import pytest
from croniter import croniter
from hypothesis import given, settings
from hypothesis import strategies as st

from modelwatch.errors import ValidationError
from modelwatch.service import schedule_expression as module
from modelwatch.service.schedule_expression import (
    ScheduleExpression,
    analysis_window,
    check_offsets,
    now_window,
    parse_offset,
    parse_schedule_expression,
    validate_max_runtime,
)

EXPRESSION = "ScheduleConfig.ScheduleExpression"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def oracle_slots(cron: str, after: datetime, until: datetime) -> list[datetime]:
    """croniter's own run times in ``(after, until]``."""
    found: list[datetime] = []
    fires = croniter(cron, after, ret_type=datetime)
    while (t := fires.get_next(datetime)) <= until:
        found.append(t)
    return found


def hours(day: datetime, *values: int) -> list[datetime]:
    return [day + timedelta(hours=h) for h in values]


# ------------------------------------------------------------------------------------------ accepted


@pytest.mark.parametrize(
    ("text", "kind", "after", "first_three"),
    [
        ("cron(0 * ? * * *)", "cron", utc(2024, 1, 1, 10, 30), [utc(2024, 1, 1, h) for h in (11, 12, 13)]),
        ("cron(0 * * * ? *)", "cron", utc(2024, 1, 1, 10, 30), [utc(2024, 1, 1, h) for h in (11, 12, 13)]),
        ("cron(0 5 ? * * *)", "cron", utc(2024, 1, 1, 10), [utc(2024, 1, d, 5) for d in (2, 3, 4)]),
        ("cron(0 0 ? * * *)", "cron", utc(2024, 1, 1), [utc(2024, 1, d) for d in (2, 3, 4)]),
        ("cron(0 23 ? * * *)", "cron", utc(2024, 1, 1), [utc(2024, 1, d, 23) for d in (1, 2, 3)]),
        ("cron(0 2/6 ? * * *)", "cron", utc(2024, 1, 1), [utc(2024, 1, 1, h) for h in (2, 8, 14)]),
        ("cron(0 0/1 ? * * *)", "cron", utc(2024, 1, 1), [utc(2024, 1, 1, h) for h in (1, 2, 3)]),
        ("cron(0 3/24 ? * * *)", "cron", utc(2024, 1, 1), [utc(2024, 1, d, 3) for d in (1, 2, 3)]),
        ("cron(0  *  ?  *  *  *)", "cron", utc(2024, 1, 1), [utc(2024, 1, 1, h) for h in (1, 2, 3)]),
        (
            "*/15 * * * *",
            "cron",
            utc(2024, 1, 1, 23, 40),
            [utc(2024, 1, 1, 23, 45), utc(2024, 1, 2), utc(2024, 1, 2, 0, 15)],
        ),
        ("0 2 * * 1-5", "cron", utc(2024, 1, 5, 3), [utc(2024, 1, d, 2) for d in (8, 9, 10)]),  # Fri → Mon
        ("30 6 1 * *", "cron", utc(2024, 1, 15), [utc(2024, m, 1, 6, 30) for m in (2, 3, 4)]),
        ("0 0 L * *", "cron", utc(2024, 1, 15), [utc(2024, 1, 31), utc(2024, 2, 29), utc(2024, 3, 31)]),
        (
            "0 12 * * 1#1",
            "cron",
            utc(2024, 1, 2),
            [utc(2024, 2, 5, 12), utc(2024, 3, 4, 12), utc(2024, 4, 1, 12)],
        ),
        ("0 9 * JAN,JUL THU", "cron", utc(2024, 1, 1), [utc(2024, 1, d, 9) for d in (4, 11, 18)]),
        ("0 * ? * *", "cron", utc(2024, 1, 1), [utc(2024, 1, 1, h) for h in (1, 2, 3)]),
    ],
)
def test_accepted_forms(text: str, kind: str, after: datetime, first_three: list[datetime]) -> None:
    expression = parse_schedule_expression(text)
    assert (expression.text, expression.kind) == (text, kind)
    slots = expression.slots(after, after + timedelta(days=120))
    assert slots[:3] == first_three
    assert expression.next_slot(after) == first_three[0]
    assert expression.previous_slot(first_three[1]) == first_three[0]


def test_now_has_no_slots() -> None:
    now = parse_schedule_expression("NOW")
    assert now.kind == "now"
    for call in (
        lambda: now.slots(utc(2024, 1, 1), utc(2024, 1, 2)),
        lambda: now.next_slot(utc(2024, 1, 1)),
        lambda: now.previous_slot(utc(2024, 1, 1)),
        lambda: now.period_at(utc(2024, 1, 1)),
        lambda: now.shortest_period(),
        lambda: analysis_window(now, utc(2024, 1, 1)),
    ):
        with pytest.raises(ValueError, match="NOW"):
            call()


def test_parse_is_cached_and_expressions_compare_by_text() -> None:
    assert parse_schedule_expression("cron(0 * ? * * *)") is parse_schedule_expression("cron(0 * ? * * *)")
    assert ScheduleExpression("*/5 * * * *", "cron") == parse_schedule_expression("*/5 * * * *")
    assert len({parse_schedule_expression("NOW"), ScheduleExpression("NOW", "now")}) == 1
    with pytest.raises(ValueError, match="not 'now'"):
        ScheduleExpression("cron(0 * ? * * *)", "now")
    with pytest.raises(ValidationError):
        ScheduleExpression("cron(0 * * * *)", "cron")


# ------------------------------------------------------------------------------------------- slots


def test_hourly_slots_cross_days_and_the_leap_day() -> None:
    hourly = parse_schedule_expression("cron(0 * ? * * *)")
    slots = hourly.slots(utc(2024, 2, 28, 22, 30), utc(2024, 3, 1, 1))
    assert slots[:3] == [utc(2024, 2, 28, 23), utc(2024, 2, 29), utc(2024, 2, 29, 1)]
    assert slots[-2:] == [utc(2024, 3, 1), utc(2024, 3, 1, 1)]
    assert len(slots) == 27
    assert all(b - a == timedelta(hours=1) for a, b in pairwise(slots))
    year_end = hourly.slots(utc(2023, 12, 31, 22), utc(2024, 1, 1, 2))
    assert year_end == [utc(2023, 12, 31, 23), utc(2024, 1, 1), utc(2024, 1, 1, 1), utc(2024, 1, 1, 2)]


def test_slot_bounds_are_after_exclusive_until_inclusive() -> None:
    hourly = parse_schedule_expression("cron(0 * ? * * *)")
    assert hourly.slots(utc(2024, 1, 1, 10), utc(2024, 1, 1, 12)) == [
        utc(2024, 1, 1, 11),
        utc(2024, 1, 1, 12),
    ]
    assert hourly.slots(utc(2024, 1, 1, 10), utc(2024, 1, 1, 10)) == []
    assert hourly.slots(utc(2024, 1, 1, 12), utc(2024, 1, 1, 10)) == []
    assert hourly.slots(utc(2024, 1, 1, 10, 0, 0, 1), utc(2024, 1, 1, 10, 59, 59)) == []
    assert hourly.next_slot(utc(2024, 1, 1, 10)) == utc(2024, 1, 1, 11)
    assert hourly.next_slot(utc(2024, 1, 1, 9, 59, 59, 999999)) == utc(2024, 1, 1, 10)
    assert hourly.previous_slot(utc(2024, 1, 1, 10)) == utc(2024, 1, 1, 9)
    assert hourly.previous_slot(utc(2024, 1, 1, 10, 0, 0, 1)) == utc(2024, 1, 1, 10)
    assert hourly.previous_slot(utc(2024, 1, 1, 0)) == utc(2023, 12, 31, 23)


def test_naive_times_are_utc_and_other_zones_are_converted() -> None:
    hourly = parse_schedule_expression("cron(0 * ? * * *)")
    assert hourly.next_slot(datetime(2024, 1, 1, 10, 30)) == utc(2024, 1, 1, 11)
    plus_two = timezone(timedelta(hours=2))
    slot = hourly.next_slot(datetime(2024, 1, 1, 10, 30, tzinfo=plus_two))
    assert slot == utc(2024, 1, 1, 9) and slot.tzinfo is UTC
    assert all(t.tzinfo is UTC for t in hourly.slots(datetime(2024, 1, 1), datetime(2024, 1, 1, 5)))


def test_every_n_hours_from_h() -> None:
    every_six = parse_schedule_expression("cron(0 2/6 ? * * *)")
    day = utc(2024, 3, 10)
    assert every_six.slots(day, day + timedelta(days=1)) == hours(day, 2, 8, 14, 20)
    assert every_six.period_at(utc(2024, 3, 10, 2)) == timedelta(hours=6)
    # 24 is not a multiple of 7: the hours restart at midnight, as in cron, so the gaps are 7, 7 and 10 hours.
    uneven = parse_schedule_expression("cron(0 5/7 ? * * *)")
    assert uneven.slots(day, day + timedelta(days=2)) == hours(day, 5, 12, 19, 29, 36, 43)
    assert uneven.period_at(utc(2024, 3, 11, 5)) == timedelta(hours=10)
    assert uneven.shortest_period() == timedelta(hours=7)


@settings(max_examples=200, deadline=None)
@given(
    form=st.sampled_from(["*", "H", "H/N"]),
    hour=st.integers(0, 23),
    step=st.integers(1, 24),
    start=st.datetimes(datetime(2000, 1, 1), datetime(2040, 1, 1)),
    span_hours=st.integers(0, 80),
)
def test_sagemaker_forms_match_croniter(
    form: str, hour: int, step: int, start: datetime, span_hours: int
) -> None:
    field = {"*": "*", "H": str(hour), "H/N": f"{hour}/{step}"}[form]
    expression = parse_schedule_expression(f"cron(0 {field} ? * * *)")
    after, until = start.replace(tzinfo=UTC), start.replace(tzinfo=UTC) + timedelta(hours=span_hours)
    oracle = f"0 {field} * * *"
    assert expression.slots(after, until) == oracle_slots(oracle, after, until)
    assert expression.next_slot(after) == croniter(oracle, after).get_next(datetime)
    assert expression.previous_slot(after) == croniter(oracle, after).get_prev(datetime)


def _cron_field(values: list[int]) -> str:
    return ",".join(str(v) for v in sorted(set(values)))


five_field_crons = st.builds(
    lambda minutes, hours, days: f"{minutes} {hours} {days}",
    st.one_of(
        st.lists(st.integers(0, 59), min_size=1, max_size=4).map(_cron_field),
        st.sampled_from(["*/15", "*/20", "5-10/5", "0"]),
    ),
    st.one_of(st.just("*"), st.lists(st.integers(0, 23), min_size=1, max_size=6).map(_cron_field)),
    st.sampled_from(
        [
            "* * *",
            "* * 1-5",
            "* * 0,6",
            "* * 1",
            "1,15 * *",
            "*/2 * *",
            "13 * 5",
            "L * *",
            "* 2,3 *",
            "29 2 *",
            "* * 2#3",
            "31 * *",
            "1-31 * *",
        ]
    ),
)


@settings(max_examples=300, deadline=None)
@given(
    cron=five_field_crons,
    start=st.datetimes(datetime(2000, 1, 1), datetime(2040, 1, 1)),
    span_hours=st.integers(0, 72),
)
def test_five_field_crons_match_croniter(cron: str, start: datetime, span_hours: int) -> None:
    expression = parse_schedule_expression(cron)
    after = start.replace(tzinfo=UTC)
    until = after + timedelta(hours=span_hours)
    assert expression.slots(after, until) == oracle_slots(cron, after, until)
    assert expression.next_slot(after) == croniter(cron, after).get_next(datetime)
    assert expression.previous_slot(after) == croniter(cron, after).get_prev(datetime)


def test_dense_five_field_crons_match_croniter() -> None:
    after, until = utc(2024, 12, 31, 22, 7, 30), utc(2025, 1, 1, 2, 3)
    for cron in ("* * * * *", "*/15 * * * *", "*/7 */5 * * *", "*/15 * * * 3"):
        assert parse_schedule_expression(cron).slots(after, until) == oracle_slots(cron, after, until), cron


def test_rare_days_are_found_far_away() -> None:
    leap = parse_schedule_expression("0 0 29 2 *")
    assert leap.previous_slot(utc(2025, 1, 1)) == utc(2024, 2, 29)
    assert leap.next_slot(utc(2024, 3, 1)) == utc(2028, 2, 29)
    assert leap.period_at(utc(2028, 2, 29)) == timedelta(days=1461)
    assert leap.slots(utc(2024, 3, 1), utc(2028, 1, 1)) == []


def test_slots_of_every_day_forms_do_not_use_croniter(monkeypatch: pytest.MonkeyPatch) -> None:
    expressions = [
        parse_schedule_expression(text)
        for text in (
            "cron(0 * ? * * *)",
            "cron(0 5 ? * * *)",
            "cron(0 1/4 ? * * *)",
            "*/15 * * * *",
            "7 */2 * * *",
        )
    ]

    def no_croniter(*args: object, **kwargs: object) -> None:
        raise AssertionError("croniter was called")

    monkeypatch.setattr(module, "croniter", no_croniter)
    for expression in expressions:
        slots = expression.slots(utc(2024, 1, 1, 0, 30), utc(2024, 1, 3, 0, 30))
        assert slots and expression.next_slot(slots[0]) == slots[1]
        assert expression.previous_slot(slots[1]) == slots[0]
    assert len(expressions[0].slots(utc(2024, 1, 1, 0, 30), utc(2024, 1, 3, 0, 30))) == 48


# ------------------------------------------------------------------------------------------ rejects


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "1–256 characters"),
        ("0" * 257, "1–256 characters"),
        (" NOW", "leading or trailing whitespace"),
        ("cron(0 * ? * * *) ", "leading or trailing whitespace"),
        ("0 *\t* * *", "control character"),
        ("now", "NOW must be written in capitals"),
        ("Now", "NOW must be written in capitals"),
        ("cron(0 * * * *)", "SageMaker cron needs 6 fields"),
        ("cron(0 * ? * * * *)", "SageMaker cron needs 6 fields"),
        ("cron()", "SageMaker cron needs 6 fields"),
        ("CRON(0 * ? * * *)", "lower case"),
        ("cron(0 * ? * * *", "lower case"),
        ("rate(1 hour)", "rate() and at()"),
        ("cron(15 * ? * * *)", "'15 * * * *'"),
        ("cron(*/15 * ? * * *)", "'*/15 * * * *'"),
        ("cron(00 * ? * * *)", "minutes field must be 0"),
        ("cron(0 24 ? * * *)", "hours field"),
        ("cron(0 1,13 ? * * *)", "'0 1,13 * * *'"),
        ("cron(0 */2 ? * * *)", "hours field"),
        ("cron(0 2/0 ? * * *)", "N 1–24"),
        ("cron(0 2/25 ? * * *)", "N 1–24"),
        ("cron(0 24/2 ? * * *)", "hours field"),
        ("cron(0 1-5 ? * * *)", "hours field"),
        ("cron(0 * 1 * ? *)", "day-of-month field"),
        ("cron(0 * ? 1 * *)", "month field"),
        ("cron(0 * ? * MON *)", "day-of-week field"),
        ("cron(0 * ? * * 2024)", "year field"),
        ("cron(0 * * * * *)", "exactly one of"),
        ("cron(0 * ? * ? *)", "exactly one of"),
        ("* * * *", "5 fields"),
        ("* * * * * *", "6 fields need SageMaker's cron"),
        ("0 0 * * * * 2024", "5 fields"),
        ("@hourly", "aliases"),
        ("H * * * *", "hashed (H) and random (R)"),
        ("R 1 * * *", "hashed (H) and random (R)"),
        ("H(0-29) * * * *", "hashed (H) and random (R)"),
        ("61 * * * *", "croniter rejects it"),
        ("*/0 * * * *", "croniter rejects it"),
        ("0 0 * * 8", "croniter rejects it"),
        ("? * * * *", "croniter rejects it"),
        ("x y z a b", "croniter rejects it"),
        ("0 0 30 2 *", "never runs"),
    ],
)
def test_rejected_expressions_name_the_field_and_what_was_expected(text: str, reason: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_schedule_expression(text)
    assert caught.value.field == EXPRESSION
    assert reason in caught.value.reason
    assert "expected cron(0 * ? * * *)" in caught.value.reason
    assert "a 5-field cron such as '*/15 * * * *', or NOW" in caught.value.reason


def test_rejecting_a_non_string() -> None:
    with pytest.raises(ValidationError, match="expected a string, got int") as caught:
        ScheduleExpression(3, "cron")  # type: ignore[arg-type]
    assert caught.value.field == EXPRESSION


def test_the_longest_expression_is_accepted() -> None:
    text = "0," * 123 + "59 0 * * *"  # 256 characters
    assert len(text) == 256
    assert parse_schedule_expression(text).slots(utc(2024, 1, 1), utc(2024, 1, 2)) == [
        utc(2024, 1, 1, 0, 59),
        utc(2024, 1, 2),
    ]
    with pytest.raises(ValidationError, match="1–256 characters long, got 257"):
        parse_schedule_expression("0" + text)


# ----------------------------------------------------------------------------------------- windows


def test_hourly_window_is_the_hour_before() -> None:
    hourly = parse_schedule_expression("cron(0 * ? * * *)")
    assert analysis_window(hourly, utc(2024, 1, 1, 0)) == (utc(2023, 12, 31, 23), utc(2024, 1, 1, 0))


def test_daily_window_is_the_full_day_before() -> None:
    # The AWS docs print start 2020-02-19T06:00Z (23 hours); modelwatch analyses the whole period.
    daily = parse_schedule_expression("cron(0 5 ? * * *)")
    assert analysis_window(daily, utc(2020, 2, 20, 5)) == (utc(2020, 2, 19, 5), utc(2020, 2, 20, 5))


@pytest.mark.parametrize(
    ("text", "slot", "length"),
    [
        ("cron(0 0/4 ? * * *)", utc(2024, 1, 1, 8), timedelta(hours=4)),
        ("cron(0 0/4 ? * * *)", utc(2024, 1, 1, 0), timedelta(hours=4)),
        ("cron(0 5/7 ? * * *)", utc(2024, 1, 2, 5), timedelta(hours=10)),
        ("*/15 * * * *", utc(2024, 1, 1, 0, 0), timedelta(minutes=15)),
        ("0 2 * * 1-5", utc(2024, 1, 8, 2), timedelta(days=3)),  # Monday: since Friday's run
    ],
)
def test_window_is_the_time_since_the_previous_slot(text: str, slot: datetime, length: timedelta) -> None:
    expression = parse_schedule_expression(text)
    assert analysis_window(expression, slot) == (slot - length, slot)
    assert expression.period_at(slot) == length


def test_offsets_follow_the_sagemaker_example() -> None:
    # SageMaker docs: StartTimeOffset -P8D, EndTimeOffset -P1D, run at 2020-01-09T13:00
    # => data from 2020-01-01T13:00 to 2020-01-08T13:00: both offsets count from the run time.
    hourly = parse_schedule_expression("cron(0 * ? * * *)")
    start = parse_offset("-P8D", field="StartTimeOffset")
    end = parse_offset("-P1D", field="EndTimeOffset")
    window = analysis_window(hourly, utc(2020, 1, 9, 13), start_offset=start, end_offset=end)
    assert window == (utc(2020, 1, 1, 13), utc(2020, 1, 8, 13))


def test_one_offset_keeps_the_other_default_boundary() -> None:
    hourly = parse_schedule_expression("cron(0 * ? * * *)")
    slot = utc(2024, 5, 1, 10)
    assert analysis_window(hourly, slot, start_offset=timedelta(hours=-6)) == (utc(2024, 5, 1, 4), slot)
    half_hour = timedelta(minutes=-30)
    assert analysis_window(hourly, slot, end_offset=half_hour) == (utc(2024, 5, 1, 9), utc(2024, 5, 1, 9, 30))
    assert analysis_window(hourly, slot, start_offset=timedelta(0) * -1, end_offset=timedelta(hours=1)) == (
        slot,
        utc(2024, 5, 1, 11),
    )


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (None, "-P1D", "EndTimeOffset"),
        (None, "-PT1H", "EndTimeOffset"),
        ("-P1D", "-P8D", "StartTimeOffset"),
        ("-PT1H", "-PT1H", "StartTimeOffset"),
        ("PT0H", None, "StartTimeOffset"),
    ],
)
def test_empty_windows_are_rejected(start: str | None, end: str | None, field: str) -> None:
    hourly = parse_schedule_expression("cron(0 * ? * * *)")
    with pytest.raises(ValidationError, match="would be empty") as caught:
        analysis_window(
            hourly,
            utc(2020, 1, 9, 13),
            start_offset=None if start is None else parse_offset(start, field="StartTimeOffset"),
            end_offset=None if end is None else parse_offset(end, field="EndTimeOffset"),
        )
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("expression", "start", "end", "field"),
    [
        ("cron(0 * ? * * *)", "-P8D", "-P1D", None),
        ("cron(0 * ? * * *)", "-PT1H", "-PT2H", "StartTimeOffset"),  # inverted
        ("cron(0 * ? * * *)", "-PT0H", "-PT0H", "StartTimeOffset"),  # empty
        ("cron(0 * ? * * *)", "PT0S", None, "StartTimeOffset"),  # ends at the run time: empty
        ("cron(0 * ? * * *)", None, "-PT59M", None),
        ("cron(0 * ? * * *)", None, "-PT1H", "EndTimeOffset"),  # back to the previous run
        ("cron(0 5/7 ? * * *)", None, "-PT6H", None),  # runs at 05, 12, 19: 7 hours apart at the least
        ("cron(0 5/7 ? * * *)", None, "-PT7H", "EndTimeOffset"),
        ("cron(0 5 ? * * *)", None, "-PT23H", None),
        ("cron(0 5 ? * * *)", None, "-P1D", "EndTimeOffset"),
        ("0 5 * * 1", None, "-P6D", None),  # weekly: the previous run is 7 days back
        ("0 5 * * 1", None, "-P7D", "EndTimeOffset"),
        ("0 2 * * 1-5", None, "-P1DT1H", "EndTimeOffset"),  # Tuesday to Friday: a day apart
        ("0 0 29 2 *", None, "-P1000D", None),  # leap days: about four years apart
        ("cron(0 * ? * * *)", "-P9999999D", None, "StartTimeOffset"),  # overflows a datetime
        ("cron(0 * ? * * *)", "-P99999W", None, "StartTimeOffset"),  # before 1970
        ("cron(0 * ? * * *)", "-PT1H", "P9999999D", "EndTimeOffset"),  # overflows a datetime
        ("cron(0 * ? * * *)", "-PT1H", "P2912100D", "EndTimeOffset"),  # in 9999, after 9999-01-01
    ],
)
def test_check_offsets(expression: str, start: str | None, end: str | None, field: str | None) -> None:
    parsed = parse_schedule_expression(expression)
    offsets = (
        None if start is None else parse_offset(start, field="StartTimeOffset"),
        None if end is None else parse_offset(end, field="EndTimeOffset"),
    )
    if field is None:
        check_offsets(parsed, *offsets, at=utc(2026, 5, 1, 0, 30))
        return
    with pytest.raises(ValidationError) as caught:
        check_offsets(parsed, *offsets, at=utc(2026, 5, 1, 0, 30))
    assert caught.value.field == field


_OFFSET_MINUTES = st.one_of(st.none(), st.integers(-3 * 24 * 60, 6 * 60).map(lambda m: timedelta(minutes=m)))


@settings(max_examples=200, deadline=None)
@given(
    text=st.sampled_from(["cron(0 * ? * * *)", "cron(0 5/7 ? * * *)", "*/20 * * * *", "0 2 * * 1-5"]),
    start=_OFFSET_MINUTES,
    end=_OFFSET_MINUTES,
)
def test_offsets_that_pass_the_check_give_every_run_a_window(
    text: str, start: timedelta | None, end: timedelta | None
) -> None:
    expression = parse_schedule_expression(text)
    at = utc(2026, 5, 1, 0, 30)
    try:
        check_offsets(expression, start, end, at=at)
    except ValidationError:
        return
    for slot in expression.slots(at, at + timedelta(days=15)):
        window_start, window_end = analysis_window(expression, slot, start_offset=start, end_offset=end)
        assert window_start < window_end


def test_now_window() -> None:
    run = utc(2024, 6, 1, 12, 34, 56)
    hour, zero = parse_offset("-PT1H", field="x"), parse_offset("-PT0H", field="x")
    assert now_window(run, hour, zero) == (utc(2024, 6, 1, 11, 34, 56), run)
    assert now_window(datetime(2024, 6, 1, 12), timedelta(days=-1), zero) == (
        utc(2024, 5, 31, 12),
        utc(2024, 6, 1, 12),
    )


@pytest.mark.parametrize(
    ("start", "end", "reason"),
    [
        ("-PT0H", "-PT1H", "must be earlier than DataAnalysisEndTime -PT1H"),
        ("-PT1H", "-PT1H", "must be earlier"),
        ("-P1DT1M", "-PT0H", "longer than 24 hours"),
        ("-P2D", "-P1D", None),  # exactly 24 hours is allowed
    ],
)
def test_now_window_rules(start: str, end: str, reason: str | None) -> None:
    run = utc(2024, 6, 1)
    start_offset = parse_offset(start, field="ScheduleConfig.DataAnalysisStartTime")
    end_offset = parse_offset(end, field="ScheduleConfig.DataAnalysisEndTime")
    if reason is None:
        assert now_window(run, start_offset, end_offset) == (utc(2024, 5, 30), utc(2024, 5, 31))
        return
    with pytest.raises(ValidationError) as caught:
        now_window(run, start_offset, end_offset)
    assert caught.value.field == "ScheduleConfig.DataAnalysisStartTime"
    assert reason in caught.value.reason


# ----------------------------------------------------------------------------------------- offsets


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("-PT1H", timedelta(hours=-1)),
        ("-P1D", timedelta(days=-1)),
        ("-PT0H", timedelta(0)),
        ("PT0H", timedelta(0)),
        ("-P8D", timedelta(days=-8)),
        ("-PT30M", timedelta(minutes=-30)),
        ("-P1DT6H", timedelta(days=-1, hours=-6)),
        ("-PT6H", timedelta(hours=-6)),
        ("-PT7H", timedelta(hours=-7)),
        ("+PT1H", timedelta(hours=1)),
        ("P1D", timedelta(days=1)),
        ("-P2W", timedelta(weeks=-2)),
        ("-P1W2D", timedelta(days=-9)),
        ("-PT90S", timedelta(seconds=-90)),
        ("-PT0.5S", timedelta(milliseconds=-500)),
        ("-PT1H30M15S", timedelta(hours=-1, minutes=-30, seconds=-15)),
        ("-PT48H", timedelta(days=-2)),
        ("-P99999999D", timedelta(days=-99999999)),
    ],
)
def test_parse_offset(text: str, value: timedelta) -> None:
    assert parse_offset(text, field="StartTimeOffset") == value


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "1–15 characters"),
        ("-PT1H1M1S0000000", "1–15 characters"),
        ("P", "not a valid duration"),
        ("-P", "not a valid duration"),
        ("-PT", "not a valid duration"),
        ("-P1DT", "not a valid duration"),
        ("-1H", "not a valid duration"),
        ("1", "not a valid duration"),
        ("--PT1H", "not a valid duration"),
        ("-PT-1H", "not a valid duration"),
        ("-PT1.5H", "not a valid duration"),
        ("-PT1H ", "not a valid duration"),
        ("-P1H", "not a valid duration"),
        ("-PT1D", "not a valid duration"),
        ("-PT1M1H", "not a valid duration"),
        ("-PT0.1234567S", "not a valid duration"),
        ("-P1Y", "years (Y) or months"),
        ("-P1M", "years (Y) or months"),
        ("-P1Y2M3D", "years (Y) or months"),
        ("-pt1h", "in capitals"),
        ("-p1d", "in capitals"),
        ("P999999999999D", "too long a duration"),
    ],
)
@pytest.mark.parametrize(
    "field", ["StartTimeOffset", "EndTimeOffset", "ScheduleConfig.DataAnalysisStartTime"]
)
def test_parse_offset_rejects(text: str, reason: str, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_offset(text, field=field)
    assert caught.value.field == field
    assert reason in caught.value.reason


def test_parse_offset_rejects_a_non_string() -> None:
    with pytest.raises(ValidationError, match="expected a string") as caught:
        parse_offset(1, field="EndTimeOffset")  # type: ignore[arg-type]
    assert caught.value.field == "EndTimeOffset"


# ------------------------------------------------------------------------------------- max runtime


@pytest.mark.parametrize(
    ("text", "monitoring_type", "limit"),
    [
        ("cron(0 * ? * * *)", "DataQuality", 3600),
        ("cron(0 * ? * * *)", "ModelExplainability", 3600),
        ("cron(0 * ? * * *)", "ModelQuality", 1800),
        ("cron(0 * ? * * *)", "ModelBias", 1800),
        ("cron(0 5 ? * * *)", "DataQuality", 86400),
        ("cron(0 5 ? * * *)", "ModelQuality", 43200),
        ("cron(0 1/4 ? * * *)", "DataQuality", 4 * 3600),
        ("cron(0 5/7 ? * * *)", "DataQuality", 7 * 3600),
        ("*/15 * * * *", "DataQuality", 900),
        ("*/15 * * * *", "ModelBias", 450),
        ("* * * * *", "ModelQuality", 30),
        ("0 2 * * 1", "DataQuality", 86400),  # weekly: the 1-86400 range is the limit
        ("0 1,23 * * 1", "DataQuality", 22 * 3600),  # Mondays only: 23:00 to next Monday 01:00 is long
        ("0 1,23 * * 1-2", "DataQuality", 2 * 3600),  # Monday 23:00 to Tuesday 01:00
        ("0 1,23 * * 0,6", "DataQuality", 2 * 3600),  # Saturday 23:00 to Sunday 01:00
        ("0 1,23 1,2 * *", "DataQuality", 2 * 3600),
        ("0 1,23 1,15 * *", "DataQuality", 22 * 3600),
    ],
)
def test_max_runtime_limit(text: str, monitoring_type: str, limit: int) -> None:
    expression = parse_schedule_expression(text)
    validate_max_runtime(limit, expression, monitoring_type)
    validate_max_runtime(1, expression, monitoring_type)
    if limit < 86400:
        with pytest.raises(ValidationError, match=f"expected at most {limit} seconds") as caught:
            validate_max_runtime(limit + 1, expression, monitoring_type)
        assert caught.value.field == "StoppingCondition.MaxRuntimeInSeconds"


@pytest.mark.parametrize("seconds", [0, -1, 86401, True, 1.5, "60"])
@pytest.mark.parametrize("text", ["NOW", "cron(0 5 ? * * *)"])
def test_max_runtime_range(seconds: object, text: str) -> None:
    with pytest.raises(ValidationError, match="1 to 86400") as caught:
        validate_max_runtime(seconds, parse_schedule_expression(text), "DataQuality")  # type: ignore[arg-type]
    assert caught.value.field == "StoppingCondition.MaxRuntimeInSeconds"


def test_max_runtime_of_now_and_unknown_types() -> None:
    validate_max_runtime(86400, parse_schedule_expression("NOW"), "ModelQuality")
    with pytest.raises(ValidationError, match="unknown monitoring type 'Drift'") as caught:
        validate_max_runtime(60, parse_schedule_expression("NOW"), "Drift")
    assert caught.value.field == "MonitoringType"

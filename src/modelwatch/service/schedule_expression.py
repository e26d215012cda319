"""Schedule expressions (``ScheduleConfig.ScheduleExpression``), their run times and analysis windows.

Accepted expressions:

* SageMaker's cron forms: ``cron(0 * ? * * *)`` (hourly), ``cron(0 H ? * * *)`` (daily at hour H, 0–23),
  ``cron(0 H/N ? * * *)`` (every N hours from hour H, N 1–24; the hours restart at midnight as in cron);
* a standard 5-field cron (``*/15 * * * *``, ``0 2 * * 1-5``), checked by croniter — for sub-hourly or
  weekday schedules, which SageMaker cannot express;
* ``NOW``, a one-time run whose window comes from ``DataAnalysisStartTime`` / ``DataAnalysisEndTime``.

Run times (slots) are computed without croniter: every accepted expression runs at the same times of day on
each of its run days, so a slot is a run day plus one of those times. croniter only finds the run days of a
5-field cron that restricts the day, month or weekday (one step per day, not per run).

All datetimes are timezone-aware UTC; naive ones are read as UTC. An invalid value raises
:class:`~modelwatch.errors.ValidationError` naming the SageMaker field.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import pairwise
from typing import Literal

from croniter import CroniterBadDateError, CroniterError, croniter

from modelwatch.errors import ValidationError
from modelwatch.jobs.definitions import MAX_RUNTIME_SECONDS

__all__ = [
    "EARLIEST_TIME",
    "LATEST_TIME",
    "ScheduleExpression",
    "analysis_window",
    "check_offsets",
    "check_window_range",
    "now_window",
    "parse_offset",
    "parse_schedule_expression",
    "validate_max_runtime",
]

SCHEDULE_EXPRESSION_FIELD = "ScheduleConfig.ScheduleExpression"
DATA_ANALYSIS_START_FIELD = "ScheduleConfig.DataAnalysisStartTime"
DATA_ANALYSIS_END_FIELD = "ScheduleConfig.DataAnalysisEndTime"
START_OFFSET_FIELD = "StartTimeOffset"
END_OFFSET_FIELD = "EndTimeOffset"
MAX_RUNTIME_FIELD = "StoppingCondition.MaxRuntimeInSeconds"

# These monitors run a ground-truth merge job and then the analysis job within one period.
_SPLIT_RUNTIME_TYPES = frozenset({"ModelQuality", "ModelBias"})
_MONITORING_TYPES = frozenset({"DataQuality", "ModelExplainability"}) | _SPLIT_RUNTIME_TYPES

_DAY = timedelta(days=1)
EARLIEST_TIME = datetime(1970, 1, 1, tzinfo=UTC)
"""No analysis window starts before this: capture and ground-truth times are seconds since the epoch."""
LATEST_TIME = datetime(9999, 1, 1, tzinfo=UTC)
"""No analysis window ends after this, so that a window, its hour folders and its next slot stay
representable (Python's datetimes end with year 9999)."""
# How far ahead check_offsets looks for the shortest gap of a schedule that runs at most once a day.
_GAP_SEARCH = timedelta(days=400)
_EXPECTED = (
    "expected cron(0 * ? * * *) (hourly), cron(0 H ? * * *) (daily at hour H), "
    "cron(0 H/N ? * * *) (every N hours from hour H), a 5-field cron such as '*/15 * * * *', or NOW"
)


# ---------------------------------------------------------------------------------------------- offsets

_OFFSET = re.compile(
    r"(?P<sign>[-+])?P(?:(?P<weeks>[0-9]+)W)?(?:(?P<days>[0-9]+)D)?"
    r"(?:T(?=[0-9])(?:(?P<hours>[0-9]+)H)?(?:(?P<minutes>[0-9]+)M)?(?:(?P<seconds>[0-9]+(?:\.[0-9]{1,6})?)S)?)?"
)
_OFFSET_DATE_UNITS = re.compile(r"[0-9][YM]")
_OFFSET_EXPECTED = (
    "expected an ISO-8601 duration: an optional sign, P, then weeks or days (nW, nD) and/or T with hours, "
    "minutes or seconds (nH, nM, nS), e.g. -PT1H, -P1D, -PT30M or -P1DT6H"
)


def parse_offset(text: str, *, field: str) -> timedelta:
    """Read a signed ISO-8601 duration such as ``-PT1H`` (SageMaker's offsets: 1–15 characters, ``.?P.*``).

    Weeks, days, hours, minutes and (fractional) seconds are accepted; years and months are not, as their
    length varies. ``field`` names the request field in the error.
    """
    if not isinstance(text, str):
        raise ValidationError(
            f"expected a string, got {type(text).__name__}; {_OFFSET_EXPECTED}", field=field
        )
    if not 1 <= len(text) <= 15:
        raise ValidationError(
            f"{text!r} must be 1–15 characters long, got {len(text)}; {_OFFSET_EXPECTED}", field=field
        )
    match = _match_offset(text)
    if match is None:
        if _OFFSET_DATE_UNITS.search(text.partition("T")[0]):
            raise ValidationError(
                f"{text!r} uses years (Y) or months (M before T), which have no fixed length; "
                "write days or weeks instead, e.g. -P30D or -P4W",
                field=field,
            )
        if _match_offset(text.upper()):
            raise ValidationError(
                f"{text!r}: write the ISO-8601 letters in capitals, e.g. -PT1H", field=field
            )
        raise ValidationError(f"{text!r} is not a valid duration; {_OFFSET_EXPECTED}", field=field)
    try:
        value = timedelta(
            weeks=int(match["weeks"] or 0),
            days=int(match["days"] or 0),
            hours=int(match["hours"] or 0),
            minutes=int(match["minutes"] or 0),
            seconds=float(match["seconds"] or 0),
        )
    except OverflowError:
        raise ValidationError(f"{text!r} is too long a duration; {_OFFSET_EXPECTED}", field=field) from None
    return -value if match["sign"] == "-" else value


def _match_offset(text: str) -> re.Match[str] | None:
    """The match of a duration with at least one number, or None."""
    match = _OFFSET.fullmatch(text)
    if match is None or not any(match[unit] for unit in ("weeks", "days", "hours", "minutes", "seconds")):
        return None
    return match


def _format_duration(value: timedelta) -> str:
    """``timedelta(hours=-1)`` → ``-PT1H``: the ISO-8601 form used in messages."""
    sign = "-" if value < timedelta(0) else ""
    value = abs(value)
    days, rest = value.days, value.seconds
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    time = "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M")) if n)
    if seconds or value.microseconds:
        time += f"{seconds + value.microseconds / 1e6:g}S"
    if not days and not time:
        return "PT0S"
    return f"{sign}P{f'{days}D' if days else ''}{f'T{time}' if time else ''}"


# ----------------------------------------------------------------------------------------- expressions


@dataclass(frozen=True)
class ScheduleExpression:
    """A valid schedule expression. Build it with :func:`parse_schedule_expression`.

    A recurring expression runs at the same ``times`` of day on each of its run days; ``NOW`` has no slots,
    and its slot methods raise :class:`ValueError`.
    """

    text: str
    kind: Literal["cron", "now"]
    _times: tuple[timedelta, ...] = field(init=False, repr=False, compare=False)
    # A croniter expression firing once on each run day, or None when every day is a run day.
    _day_cron: str | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        kind, times, day_cron = _compile(self.text)
        if kind != self.kind:
            raise ValueError(f"{self.text!r} is a {kind!r} expression, not {self.kind!r}")
        object.__setattr__(self, "_times", times)
        object.__setattr__(self, "_day_cron", day_cron)

    def slots(self, after: datetime, until: datetime) -> list[datetime]:
        """The scheduled times ``t`` with ``after < t <= until``, ascending."""
        self._require_recurring("slots")
        after, until = _utc(after), _utc(until)
        found: list[datetime] = []
        if until <= after:
            return found
        first, last = _midnight(after), _midnight(until)
        times = self._times
        for day in self._run_days(first, last):
            lo = bisect_right(times, after - day) if day == first else 0
            hi = bisect_right(times, until - day) if day == last else len(times)
            found.extend(day + offset for offset in times[lo:hi])
        return found

    def next_slot(self, after: datetime) -> datetime:
        """The first scheduled time strictly after ``after``."""
        self._require_recurring("next_slot")
        after = _utc(after)
        first = _midnight(after)
        for day in self._run_days(first, None):
            index = bisect_right(self._times, after - day) if day == first else 0
            if index < len(self._times):
                return day + self._times[index]
        raise ValueError(f"{self.text!r} does not run after {after.isoformat()}")

    def previous_slot(self, at: datetime) -> datetime:
        """The last scheduled time strictly before ``at``."""
        self._require_recurring("previous_slot")
        at = _utc(at)
        last = _midnight(at)
        for day in self._run_days_back(last):
            index = bisect_left(self._times, at - day) if day == last else len(self._times)
            if index > 0:
                return day + self._times[index - 1]
        raise ValueError(f"{self.text!r} does not run before {at.isoformat()}")

    def period_at(self, slot: datetime) -> timedelta:
        """``slot - previous_slot(slot)``: the time since the previous run (the default analysis window)."""
        slot = _utc(slot)
        return slot - self.previous_slot(slot)

    def shortest_period(self) -> timedelta:
        """The shortest time between two consecutive runs, counted up to one day (longer gaps give one day).

        For cron forms whose runs are unevenly spaced (``cron(0 5/7 ? * * *)`` runs at 05, 12, 19) this is
        the smallest gap.
        """
        self._require_recurring("shortest_period")
        times = self._times
        within_day = min((b - a for a, b in pairwise(times)), default=_DAY)
        across_days = times[0] + _DAY - times[-1]  # from a day's last run to the next day's first
        if across_days >= within_day or self._day_cron is None:
            return min(within_day, across_days)
        # Two runs on different days are less than a day apart only when two run days are consecutive.
        return across_days if _has_consecutive_run_days(self._day_cron) else within_day

    def _require_recurring(self, what: str) -> None:
        if self.kind == "now":
            raise ValueError(
                f"{what}: NOW is a one-time schedule without recurring slots; use now_window() for its window"
            )

    def _run_days(self, first: datetime, last: datetime | None) -> Iterator[datetime]:
        """The run days (midnights) from ``first`` to ``last`` (inclusive, or unbounded), ascending."""
        day = first
        if self._day_cron is None:
            while last is None or day <= last:
                yield day
                day += _DAY
            return
        fires = croniter(self._day_cron, first - timedelta(seconds=1), ret_type=datetime)
        while True:
            try:
                day = _midnight(fires.get_next(datetime))
            except CroniterBadDateError:
                return
            if last is not None and day > last:
                return
            yield day

    def _run_days_back(self, last: datetime) -> Iterator[datetime]:
        """The run days (midnights) up to ``last`` (inclusive), descending."""
        day = last
        if self._day_cron is None:
            while True:
                yield day
                day -= _DAY
        fires = croniter(self._day_cron, last + _DAY, ret_type=datetime)
        while True:
            try:
                yield _midnight(fires.get_prev(datetime))
            except CroniterBadDateError:
                return


@lru_cache(maxsize=1024)
def parse_schedule_expression(text: str) -> ScheduleExpression:
    """Check ``text`` and return its :class:`ScheduleExpression` (cached; expressions are immutable)."""
    return ScheduleExpression(text, "now" if text == "NOW" else "cron")


def _invalid(text: str, why: str) -> ValidationError:
    return ValidationError(
        f"{text!r} is not a valid schedule expression: {why}; {_EXPECTED}", field=SCHEDULE_EXPRESSION_FIELD
    )


def _compile(text: str) -> tuple[Literal["cron", "now"], tuple[timedelta, ...], str | None]:
    """``(kind, times of day, day cron)`` for ``text``, or a :class:`ValidationError` saying what is wrong."""
    if not isinstance(text, str):
        raise ValidationError(
            f"expected a string, got {type(text).__name__}; {_EXPECTED}", field=SCHEDULE_EXPRESSION_FIELD
        )
    if not 1 <= len(text) <= 256:
        shown = text if len(text) <= 80 else f"{text[:60]}…{text[-10:]}"
        raise _invalid(shown, f"it must be 1–256 characters long, got {len(text)}")
    if text != text.strip():
        raise _invalid(text, "it has leading or trailing whitespace")
    if not text.isprintable():
        raise _invalid(text, "it contains a control character (a tab or a line break?)")
    if text == "NOW":
        return "now", (), None
    if text.upper() == "NOW":
        raise _invalid(text, "NOW must be written in capitals")
    if text.startswith("cron(") and text.endswith(")"):
        return "cron", _compile_sagemaker_cron(text, text[5:-1].split()), None
    if text.lower().startswith("cron("):
        raise _invalid(
            text, "write SageMaker's form as cron( ... ) in lower case, with the closing parenthesis"
        )
    if text.lower().startswith(("rate(", "at(")):
        raise _invalid(
            text, "EventBridge's rate() and at() expressions are not SageMaker schedule expressions"
        )
    return "cron", *_compile_five_field(text)


_HOUR = re.compile(r"[0-9]{1,2}")
_HOUR_STEP = re.compile(r"([0-9]{1,2})/([0-9]{1,2})")


def _compile_sagemaker_cron(text: str, fields: list[str]) -> tuple[timedelta, ...]:
    """The times of day of ``cron(0 * ? * * *)``, ``cron(0 H ? * * *)`` or ``cron(0 H/N ? * * *)``."""
    if len(fields) != 6:
        raise _invalid(
            text,
            "SageMaker cron needs 6 fields (minutes hours day-of-month month day-of-week year), "
            f"got {len(fields)}",
        )
    minute, hour, day_of_month, month, day_of_week, year = fields
    hours = _sagemaker_hours(hour)
    if minute != "0":
        example = f"'{minute} {hour} * * *'" if hours is not None and minute.isdigit() else "'15 * * * *'"
        raise _invalid(
            text,
            f"the minutes field must be 0 (SageMaker runs on the hour), got {minute!r}; for other minutes or "
            f"sub-hourly schedules write a 5-field cron such as {example} or '*/15 * * * *'",
        )
    if hours is None:
        raise _invalid(
            text,
            "the hours field must be * (hourly), H (daily at hour H, 0–23) or H/N (every N hours from "
            f"hour H, N 1–24), got {hour!r}; for other hours write a 5-field cron such as '0 1,13 * * *'",
        )
    for name, value, allowed in (
        ("day-of-month", day_of_month, ("?", "*")),
        ("month", month, ("*",)),
        ("day-of-week", day_of_week, ("?", "*")),
        ("year", year, ("*",)),
    ):
        if value not in allowed:
            raise _invalid(
                text,
                f"the {name} field must be {' or '.join(allowed)} in SageMaker cron, got {value!r}; "
                "to run on some days only write a 5-field cron such as '0 2 * * 1-5'",
            )
    if (day_of_month == "?") == (day_of_week == "?"):
        raise _invalid(text, "exactly one of the day-of-month and day-of-week fields must be ?")
    return tuple(timedelta(hours=h) for h in hours)


def _sagemaker_hours(field: str) -> range | None:
    """The hours of ``*``, ``H`` or ``H/N``, or None when the field is none of these."""
    if field == "*":
        return range(24)
    if _HOUR.fullmatch(field) and int(field) <= 23:
        return range(int(field), int(field) + 1)
    step = _HOUR_STEP.fullmatch(field)
    if step and int(step[1]) <= 23 and 1 <= int(step[2]) <= 24:
        return range(int(step[1]), 24, int(step[2]))
    return None


# croniter's hashed (H) and random (R) values: a letter on its own, not part of a name such as THU or MAR.
_HASHED_OR_RANDOM = re.compile(r"(?<![A-Za-z])[HhRr](?![A-Za-z])")
_EVERY_DAY_OF_MONTH = frozenset(range(1, 32))
_EVERY_MONTH = frozenset(range(1, 13))
_EVERY_WEEKDAY = frozenset(range(7))
_DAY_CHECK_FROM = datetime(2000, 1, 1, tzinfo=UTC)


def _compile_five_field(text: str) -> tuple[tuple[timedelta, ...], str | None]:
    """The times of day and the day cron (None: every day) of a standard 5-field cron."""
    fields = text.split()
    if len(fields) != 5:
        if text.startswith("@"):
            why = "aliases such as @hourly are not supported; write the 5 fields, e.g. '0 * * * *'"
        elif len(fields) == 6:
            why = (
                "6 fields need SageMaker's cron( ... ) around them; a seconds or year field is not supported "
                "in a 5-field cron"
            )
        else:
            why = f"a cron needs 5 fields (minute hour day-of-month month day-of-week), got {len(fields)}"
        raise _invalid(text, why)
    if any(_HASHED_OR_RANDOM.search(value) for value in fields):
        raise _invalid(text, "croniter's hashed (H) and random (R) values are not supported")
    try:
        expanded, nth_weekday = croniter.expand(" ".join(fields))
    except (CroniterError, ValueError) as exc:
        raise _invalid(text, f"croniter rejects it ({exc})") from None
    minutes = range(60) if expanded[0] == ["*"] else expanded[0]
    hours = range(24) if expanded[1] == ["*"] else expanded[1]
    times = tuple(sorted(timedelta(hours=int(h), minutes=int(m)) for h in hours for m in minutes))
    if (
        _covers(expanded[2], _EVERY_DAY_OF_MONTH)
        and _covers(expanded[3], _EVERY_MONTH)
        and _covers(expanded[4], _EVERY_WEEKDAY)
        and not nth_weekday
    ):
        return times, None
    first = times[0]
    day_cron = f"{first.seconds % 3600 // 60} {first.seconds // 3600} {' '.join(fields[2:])}"
    try:
        croniter(day_cron, _DAY_CHECK_FROM, ret_type=datetime).get_next(datetime)
    except CroniterBadDateError:
        raise _invalid(text, "it never runs (no date matches its day, month and weekday fields)") from None
    except (CroniterError, ValueError) as exc:
        raise _invalid(text, f"croniter rejects it ({exc})") from None
    return times, day_cron


def _covers(values: list[int | str], every: frozenset[int]) -> bool:
    return values == ["*"] or set(values) == every


@lru_cache(maxsize=256)
def _has_consecutive_run_days(day_cron: str) -> bool:
    """Whether two consecutive calendar days are run days (searched over 2000–2027, a full weekday cycle)."""
    fires = croniter(day_cron, _DAY_CHECK_FROM - timedelta(seconds=1), ret_type=datetime)
    end = _DAY_CHECK_FROM.replace(year=2028)
    previous: datetime | None = None
    while True:
        try:
            day = _midnight(fires.get_next(datetime))
        except CroniterBadDateError:
            return False
        if day >= end:
            return False
        if previous is not None and day - previous == _DAY:
            return True
        previous = day


# --------------------------------------------------------------------------------------------- windows


def analysis_window(
    expression: ScheduleExpression,
    slot: datetime,
    *,
    start_offset: timedelta | None = None,
    end_offset: timedelta | None = None,
    start_field: str = START_OFFSET_FIELD,
    end_field: str = END_OFFSET_FIELD,
) -> tuple[datetime, datetime]:
    """The data window ``[start, end)`` of the run scheduled at ``slot``.

    By default it is ``[previous slot, slot)``: an hourly run at T analyses ``[T−1h, T)``, a daily run at
    05:00 the 24 hours before. A given offset (signed, normally negative) is added to ``slot`` and replaces
    its boundary, as in SageMaker's example: ``-P8D`` / ``-P1D`` at 2020-01-09T13:00 analyse
    2020-01-01T13:00 to 2020-01-08T13:00. The other boundary keeps its default. ``slot`` need not be a
    scheduled time; the default start is then the last slot before it. An empty window, or one outside
    [:data:`EARLIEST_TIME`, :data:`LATEST_TIME`], is a :class:`ValidationError` naming the offset
    (``start_field`` / ``end_field``).
    """
    if expression.kind == "now":
        raise ValueError("a NOW schedule has no slots; use now_window() with its DataAnalysis times")
    slot = _utc(slot)
    start = _shifted(slot, start_offset, start_field) if start_offset is not None else None
    end = _shifted(slot, end_offset, end_field) if end_offset is not None else slot
    if start is None:
        start = expression.previous_slot(slot)
    if end <= start:
        only_end = end_offset is not None and start_offset is None
        raise ValidationError(
            f"the analysis window of the run at {slot.isoformat()} would be empty: it starts at "
            f"{start.isoformat()} ({_describe_boundary(start_offset, 'the previous run')}) and ends at "
            f"{end.isoformat()} ({_describe_boundary(end_offset, 'the run time')}); expected StartTimeOffset "
            "earlier than EndTimeOffset, e.g. -P8D and -P1D"
            + (
                "; set StartTimeOffset too when EndTimeOffset reaches back past the previous run"
                if only_end
                else ""
            ),
            field=end_field if only_end else start_field,
        )
    check_window_range(start, end, start_field=start_field, end_field=end_field)
    return start, end


def _shifted(moment: datetime, offset: timedelta, field: str) -> datetime:
    """``moment + offset``; a result beyond Python's datetimes is a :class:`ValidationError` on ``field``."""
    try:
        return moment + offset
    except OverflowError:
        raise ValidationError(
            f"{_format_duration(offset)} from {moment.isoformat()} is beyond the representable dates "
            f"(years 1 to 9999); expected a window between {EARLIEST_TIME.date()} and {LATEST_TIME.date()}",
            field=field,
        ) from None


def check_window_range(start: datetime, end: datetime, *, start_field: str, end_field: str) -> None:
    """Raise :class:`ValidationError` unless ``[start, end)`` lies within [:data:`EARLIEST_TIME`,
    :data:`LATEST_TIME`]; the field named is the boundary that is out."""
    start, end = _utc(start), _utc(end)
    if start < EARLIEST_TIME:
        raise ValidationError(
            f"the analysis window would start at {start.isoformat()}, before {EARLIEST_TIME.isoformat()}: "
            "no capture or ground-truth record is older than the Unix epoch",
            field=start_field,
        )
    if end > LATEST_TIME:
        raise ValidationError(
            f"the analysis window would end at {end.isoformat()}, after {LATEST_TIME.isoformat()}: "
            "later dates are not representable",
            field=end_field,
        )


def check_offsets(
    expression: ScheduleExpression,
    start_offset: timedelta | None,
    end_offset: timedelta | None,
    *,
    at: datetime,
    start_field: str = START_OFFSET_FIELD,
    end_field: str = END_OFFSET_FIELD,
) -> None:
    """Raise :class:`ValidationError` naming the field unless every run of ``expression`` from ``at`` on
    gets a non-empty analysis window within [:data:`EARLIEST_TIME`, :data:`LATEST_TIME`].

    With both offsets, the start must be earlier than the end; with only a start offset, it must be
    negative (the window ends at the run time); with only an end offset, it must not reach back as far
    as the previous run, at the shortest gap between two runs. ``NOW`` schedules have no offsets.
    """
    if expression.kind == "now" or (start_offset is None and end_offset is None):
        return
    if start_offset is not None and end_offset is not None and end_offset <= start_offset:
        raise ValidationError(
            f"StartTimeOffset {_format_duration(start_offset)} must be earlier than EndTimeOffset "
            f"{_format_duration(end_offset)}, or every analysis window is empty; expected e.g. -P8D and -P1D",
            field=start_field,
        )
    if start_offset is not None and end_offset is None and start_offset >= timedelta(0):
        raise ValidationError(
            f"StartTimeOffset {_format_duration(start_offset)} must be negative: without EndTimeOffset "
            "the window ends at the run time, so it would be empty; expected e.g. -PT1H or -P1D",
            field=start_field,
        )
    if end_offset is not None and start_offset is None:
        gap = _shortest_gap(expression, _utc(at))
        if -end_offset >= gap:
            raise ValidationError(
                f"EndTimeOffset {_format_duration(end_offset)} reaches back to or past the previous run "
                f"({_format_duration(gap)} before a run at the shortest), so the window from the previous "
                "run would be empty; set StartTimeOffset too, e.g. -P8D and -P1D",
                field=end_field,
            )
    try:
        slot = expression.next_slot(_utc(at))
    except OverflowError:
        return  # no run left before the end of the representable dates
    analysis_window(
        expression,
        slot,
        start_offset=start_offset,
        end_offset=end_offset,
        start_field=start_field,
        end_field=end_field,
    )


def _shortest_gap(expression: ScheduleExpression, at: datetime) -> timedelta:
    """The shortest time between two runs: exact below a day; a schedule that runs at most once a day is
    searched over the runs of the next 400 days (at most about 400)."""
    gap = expression.shortest_period()
    if gap < _DAY:
        return gap
    first = expression.next_slot(at)
    slots = [first, *expression.slots(first, min(first + _GAP_SEARCH, LATEST_TIME))]
    return min(expression.period_at(slot) for slot in slots)


def _describe_boundary(offset: timedelta | None, default: str) -> str:
    return default if offset is None else f"offset {_format_duration(offset)}"


def now_window(run_time: datetime, start: timedelta, end: timedelta) -> tuple[datetime, datetime]:
    """The data window ``[run_time + start, run_time + end)`` of a ``NOW`` run (no truncation).

    ``start`` and ``end`` are the parsed ``DataAnalysisStartTime`` / ``DataAnalysisEndTime``; the window must
    be non-empty, at most 24 hours long, and within [:data:`EARLIEST_TIME`, :data:`LATEST_TIME`].
    """
    run_time = _utc(run_time)
    if end <= start:
        raise ValidationError(
            f"DataAnalysisStartTime {_format_duration(start)} must be earlier than DataAnalysisEndTime "
            f"{_format_duration(end)}; expected e.g. -PT1H and -PT0H",
            field=DATA_ANALYSIS_START_FIELD,
        )
    if end - start > _DAY:
        raise ValidationError(
            f"the window from DataAnalysisStartTime {_format_duration(start)} to DataAnalysisEndTime "
            f"{_format_duration(end)} is longer than 24 hours; expected at most 24 hours, "
            "e.g. -P1D and -PT0H",
            field=DATA_ANALYSIS_START_FIELD,
        )
    window = (
        _shifted(run_time, start, DATA_ANALYSIS_START_FIELD),
        _shifted(run_time, end, DATA_ANALYSIS_END_FIELD),
    )
    check_window_range(*window, start_field=DATA_ANALYSIS_START_FIELD, end_field=DATA_ANALYSIS_END_FIELD)
    return window


# ---------------------------------------------------------------------------------------- max runtime


def validate_max_runtime(seconds: int, expression: ScheduleExpression, monitoring_type: str) -> None:
    """Check ``StoppingCondition.MaxRuntimeInSeconds`` against SageMaker's rules, generalised.

    It must be 1–86400 and must not exceed the shortest period of the schedule, or half of it for
    ``ModelQuality`` and ``ModelBias`` (whose merge job and analysis job share the period): an hourly
    schedule allows 3600 s for DataQuality / ModelExplainability and 1800 s for ModelQuality / ModelBias.
    ``NOW`` schedules only have the 1–86400 range.
    """
    if monitoring_type not in _MONITORING_TYPES:
        raise ValidationError(
            f"unknown monitoring type {monitoring_type!r}; "
            f"expected one of {', '.join(sorted(_MONITORING_TYPES))}",
            field="MonitoringType",
        )
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise ValidationError(
            f"expected a whole number of seconds from 1 to {MAX_RUNTIME_SECONDS}, got {seconds!r}",
            field=MAX_RUNTIME_FIELD,
        )
    if not 1 <= seconds <= MAX_RUNTIME_SECONDS:
        raise ValidationError(
            f"expected 1 to {MAX_RUNTIME_SECONDS} seconds, got {seconds}", field=MAX_RUNTIME_FIELD
        )
    if expression.kind == "now":
        return
    period = int(expression.shortest_period().total_seconds())
    split = monitoring_type in _SPLIT_RUNTIME_TYPES
    limit = period // 2 if split else period
    if seconds > limit:
        reason = (
            "half of the shortest time between runs, as its ground-truth merge job and analysis job share it"
            if split
            else "the shortest time between runs, so that a run ends before the next one starts"
        )
        raise ValidationError(
            f"{seconds} seconds is too long for a {monitoring_type} job on schedule {expression.text!r}: "
            f"expected at most {limit} seconds, {reason} ({period} seconds)",
            field=MAX_RUNTIME_FIELD,
        )


# ------------------------------------------------------------------------------------------------ time


def _utc(value: datetime) -> datetime:
    """``value`` in UTC; a naive datetime is read as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _midnight(value: datetime) -> datetime:
    return value.replace(hour=0, minute=0, second=0, microsecond=0)

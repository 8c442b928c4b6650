import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from votr_cli.errors import TimeParseError
from votr_cli.timeparse import (
    deadline_from_duration,
    deadline_from_when,
    describe_span,
    format_duration,
    from_iso,
    parse_duration,
    parse_when,
    remaining_phrase,
    to_iso,
    utcnow,
)

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # 16:00 in Berlin


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- durations ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("90s", timedelta(seconds=90)),
        ("45m", timedelta(minutes=45)),
        ("2h", timedelta(hours=2)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1d", timedelta(days=1)),
        ("2w", timedelta(weeks=2)),
        ("2 hours", timedelta(hours=2)),
        ("1 hour 30 minutes", timedelta(hours=1, minutes=30)),
        ("1 hour and 30 minutes", timedelta(hours=1, minutes=30)),
        ("1h, 30m", timedelta(hours=1, minutes=30)),
        ("1h 30m", timedelta(hours=1, minutes=30)),
        ("2.5s", timedelta(seconds=2.5)),
        ("1.5h", timedelta(minutes=90)),
        (".5m", timedelta(seconds=30)),
        ("0.000001s", timedelta(microseconds=1)),
        ("90sec", timedelta(seconds=90)),
        ("5 mins", timedelta(minutes=5)),
        ("3 days", timedelta(days=3)),
        ("1 week", timedelta(weeks=1)),
        ("2 hrs", timedelta(hours=2)),
        ("1 second", timedelta(seconds=1)),
        ("  2H  ", timedelta(hours=2)),
        ("1W2D3H4M5S", timedelta(weeks=1, days=2, hours=3, minutes=4, seconds=5)),
        ("30m1h", timedelta(hours=1, minutes=30)),
        ("0s", timedelta(0)),
        ("-5m", timedelta(minutes=-5)),
        ("- 1h30m", -timedelta(hours=1, minutes=30)),
    ],
)
def test_parse_duration_accepts(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("banana", "can't read duration 'banana': use e.g. 90s"),
        ("", "can't read duration ''"),
        ("   ", "can't read duration '   '"),
        ("90", "can't read duration '90'"),
        ("5", "can't read duration '5'"),
        ("1h2h", "'1h2h': 'h' repeats a unit"),
        ("1 hour 2 hrs", "'hrs' repeats a unit"),
        ("1e400s", "can't read duration '1e400s'"),
        ("99999999999999d", "duration '99999999999999d' is too large"),
        ("5 parsecs", "can't read duration '5 parsecs'"),
        ("1h30", "can't read duration '1h30'"),
        ("1 hour and", "can't read duration '1 hour and'"),
        ("--5m", "can't read duration '--5m'"),
        ("-", "can't read duration '-'"),
        ("5m5m5m", "'m' repeats a unit"),
        ("1h\x1b[31m", r"can't read duration '1h\x1b[31m'"),
        ("9" * 500 + "s", "can't read duration '999"),
    ],
)
def test_parse_duration_rejects(text: str, message: str) -> None:
    with pytest.raises(TimeParseError) as info:
        parse_duration(text)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "delta, text",
    [
        (timedelta(seconds=5400), "1h30m"),
        (timedelta(seconds=90), "1m30s"),
        (timedelta(0), "0s"),
        (timedelta(days=1), "1d"),
        (timedelta(days=15), "2w1d"),
        (timedelta(seconds=2.5), "2.5s"),
        (timedelta(minutes=1, microseconds=1), "1m0.000001s"),
        (timedelta(minutes=-5), "-5m"),
        (-timedelta(hours=1, seconds=0.25), "-1h0.25s"),
    ],
)
def test_format_duration(delta: timedelta, text: str) -> None:
    assert format_duration(delta) == text


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_format_duration_round_trips_seconds(seconds: int) -> None:
    delta = timedelta(seconds=seconds)
    assert parse_duration(format_duration(delta)) == delta


@given(st.timedeltas())
def test_format_duration_round_trips_microseconds(delta: timedelta) -> None:
    assert parse_duration(format_duration(delta)) == delta


@given(st.text())
def test_parse_duration_raises_only_time_parse_error(text: str) -> None:
    try:
        parse_duration(text)
    except TimeParseError:
        pass


# --- deadlines from durations -------------------------------------------------


def test_deadline_from_duration() -> None:
    assert deadline_from_duration("1h30m", NOW) == utc(2026, 11, 25, 16, 30)
    assert deadline_from_duration("365d", NOW) == NOW + timedelta(days=365)
    berlin_now = NOW.astimezone(BERLIN)
    result = deadline_from_duration("2.5s", berlin_now)
    assert result == utc(2026, 11, 25, 15, 0, 2, 500000)
    assert result.tzinfo is UTC


@pytest.mark.parametrize(
    "text, message",
    [
        ("0s", "duration '0s' is not in the future"),
        ("-5m", "duration '-5m' is not in the future"),
        ("0", "can't read duration '0'"),
        ("400d", "'400d' is more than a year away"),
        ("99999d", "'99999d' is more than a year away"),
        ("365d1s", "'365d1s' is more than a year away"),
        ("banana", "can't read duration 'banana'"),
    ],
)
def test_deadline_from_duration_rejects(text: str, message: str) -> None:
    with pytest.raises(TimeParseError, match=message):
        deadline_from_duration(text, NOW)


# --- dates and times of day ---------------------------------------------------


@pytest.mark.parametrize(
    "text, in_berlin, in_utc",
    [
        ("2026-11-25T18:00:00+01:00", utc(2026, 11, 25, 17), utc(2026, 11, 25, 17)),
        ("2026-11-25T17:00Z", utc(2026, 11, 25, 17), utc(2026, 11, 25, 17)),
        ("2026-11-25 18:00", utc(2026, 11, 25, 17), utc(2026, 11, 25, 18)),
        ("2026-11-25T18:00", utc(2026, 11, 25, 17), utc(2026, 11, 25, 18)),
        ("2026-11-25 18:00:30", utc(2026, 11, 25, 17, 0, 30), utc(2026, 11, 25, 18, 0, 30)),
        ("2026-07-01 18:00", utc(2026, 7, 1, 16), utc(2026, 7, 1, 18)),  # summer time
        # Times of day alone: now is 16:00 Berlin / 15:00 UTC.
        ("18:00", utc(2026, 11, 25, 17), utc(2026, 11, 25, 18)),
        ("6pm", utc(2026, 11, 25, 17), utc(2026, 11, 25, 18)),
        ("6 PM", utc(2026, 11, 25, 17), utc(2026, 11, 25, 18)),
        ("6:30pm", utc(2026, 11, 25, 17, 30), utc(2026, 11, 25, 18, 30)),
        ("18:00:15", utc(2026, 11, 25, 17, 0, 15), utc(2026, 11, 25, 18, 0, 15)),
        ("15:30", utc(2026, 11, 26, 14, 30), utc(2026, 11, 25, 15, 30)),
        ("12am", utc(2026, 11, 25, 23), utc(2026, 11, 26, 0)),
        ("12pm", utc(2026, 11, 26, 11), utc(2026, 11, 26, 12)),
        ("today 18:00", utc(2026, 11, 25, 17), utc(2026, 11, 25, 18)),
        ("tomorrow 6pm", utc(2026, 11, 26, 17), utc(2026, 11, 26, 18)),
        # Natural dates through dateutil.
        ("Nov 25 6pm", utc(2026, 11, 25, 17), utc(2026, 11, 25, 18)),
        ("25 Nov 2026 18:00", utc(2026, 11, 25, 17), utc(2026, 11, 25, 18)),
        ("December 1 2026 9:15", utc(2026, 12, 1, 8, 15), utc(2026, 12, 1, 9, 15)),
        ("Nov 26 6pm +05:00", utc(2026, 11, 26, 13), utc(2026, 11, 26, 13)),
    ],
)
def test_parse_when_accepts(text: str, in_berlin: datetime, in_utc: datetime) -> None:
    assert parse_when(text, NOW, tz=BERLIN) == in_berlin
    assert parse_when(text, NOW, tz=UTC) == in_utc
    assert parse_when(text, NOW, tz=BERLIN).tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        "xyz",
        "",
        "   ",
        "5",
        "5.5",
        "5 5",
        "-5",
        "tomorrow",
        "13pm",
        "0am",
        "25:00",
        "12:60",
        "Nov 31 6pm",
        "Nov 25 6pm XYZ",  # an unknown zone must not quietly become local time
        "99999-01-01",
        "0001-01-01T00:00+01:00",
        "9999-12-31T23:59-14:00",
        "\x00 5",
    ],
)
def test_parse_when_rejects(text: str) -> None:
    with pytest.raises(TimeParseError) as info:
        parse_when(text, NOW, tz=BERLIN)
    message = str(info.value)
    assert message.startswith("can't read date '")
    assert "'2026-11-25 18:00', '18:00', 'Nov 25 6pm'" in message
    assert "\n" not in message


def test_parse_when_names_a_duration_as_such() -> None:
    with pytest.raises(TimeParseError, match="'2h' is a duration, not a date"):
        parse_when("2h", NOW, tz=BERLIN)


@given(st.text())
def test_parse_when_raises_only_time_parse_error(text: str) -> None:
    try:
        parse_when(text, NOW, tz=BERLIN)
    except TimeParseError:
        pass


@pytest.mark.parametrize(
    "now, expected",
    [
        (utc(2026, 11, 25, 16, 59), utc(2026, 11, 25, 17)),  # 17:59 local: today
        (utc(2026, 11, 25, 17, 0), utc(2026, 11, 26, 17)),  # exactly 18:00: tomorrow
        (utc(2026, 11, 25, 17, 0, 0, 1), utc(2026, 11, 26, 17)),
        (utc(2026, 11, 25, 22, 59), utc(2026, 11, 26, 17)),  # 23:59 local
        (utc(2026, 11, 25, 23, 30), utc(2026, 11, 26, 17)),  # 00:30 local, next day
        # Summer time ends in the night to Oct 25: same wall clock, new offset.
        (utc(2026, 10, 24, 17), utc(2026, 10, 25, 17)),
    ],
)
def test_time_of_day_is_next_occurrence(now: datetime, expected: datetime) -> None:
    assert parse_when("18:00", now, tz=BERLIN) == expected


def test_nonexistent_local_time_lands_after_the_gap() -> None:
    # 02:30 does not exist in Berlin on 2026-03-29; zoneinfo reads it with the
    # winter offset, which is 03:30 summer time.
    assert parse_when("2026-03-29 02:30", NOW, tz=BERLIN) == utc(2026, 3, 29, 1, 30)


@pytest.fixture
def system_tz_berlin():
    old = os.environ.get("TZ")
    os.environ["TZ"] = "Europe/Berlin"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


def test_tz_none_means_system_local_zone(system_tz_berlin: None) -> None:
    assert parse_when("2026-11-25 18:00", NOW) == utc(2026, 11, 25, 17)
    assert parse_when("18:00", NOW) == utc(2026, 11, 25, 17)
    assert parse_when("Nov 25 6pm", NOW) == utc(2026, 11, 25, 17)
    assert remaining_phrase(utc(2026, 11, 25, 17), NOW) == "closes in 2 hours (18:00 local)"


def test_deadline_from_when() -> None:
    assert deadline_from_when("18:00", NOW, tz=BERLIN) == utc(2026, 11, 25, 17)
    assert deadline_from_when("2027-11-25 16:00", NOW, tz=BERLIN) == NOW + timedelta(days=365)


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "2020-01-01 10:00",
            "'2020-01-01 10:00' is in the past: it means 2020-01-01 10:00 CET, and it is now 2026-11-25 16:00 CET",
        ),
        ("2026-11-25T15:00Z", "'2026-11-25T15:00Z' is in the past"),  # now exactly
        ("today 9:00", "'today 9:00' is in the past"),
        ("2027-11-25 16:00:01", "'2027-11-25 16:00:01' is more than a year away"),
        ("2028-01-01 10:00", "more than a year away (2028-01-01 10:00 CET)"),
        ("banana", "can't read date 'banana'"),
    ],
)
def test_deadline_from_when_rejects(text: str, message: str) -> None:
    with pytest.raises(TimeParseError) as info:
        deadline_from_when(text, NOW, tz=BERLIN)
    assert message in str(info.value)


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        parse_when("18:00", datetime(2026, 11, 25, 15))


# --- storage ------------------------------------------------------------------


def test_to_iso_is_utc_with_milliseconds() -> None:
    assert to_iso(utc(2026, 11, 24, 15)) == "2026-11-24T15:00:00.000+00:00"
    berlin = datetime(2026, 11, 24, 16, 0, 0, 123456, tzinfo=BERLIN)
    assert to_iso(berlin) == "2026-11-24T15:00:00.123+00:00"
    with pytest.raises(ValueError):
        to_iso(datetime(2026, 11, 24, 15))


def test_from_iso() -> None:
    assert from_iso("2026-11-24T15:00:00.000+00:00") == utc(2026, 11, 24, 15)
    assert from_iso("2026-11-24T16:00:00.000+01:00").tzinfo is UTC
    with pytest.raises(ValueError):
        from_iso("2026-11-24T15:00:00.000")


@given(st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(9999, 12, 30)))
def test_iso_round_trips_to_the_millisecond_and_sorts(naive: datetime) -> None:
    dt = naive.replace(tzinfo=UTC, microsecond=naive.microsecond // 1000 * 1000)
    text = to_iso(dt)
    assert len(text) == 29
    assert from_iso(text) == dt
    assert (text < to_iso(dt + timedelta(milliseconds=1))) is True


def test_utcnow_is_aware_utc() -> None:
    now = utcnow()
    assert now.tzinfo is UTC
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)


# --- words for people -----------------------------------------------------------


@pytest.mark.parametrize(
    "delta, words",
    [
        (timedelta(hours=1, minutes=59, seconds=59), "1 hour 59 minutes"),
        (timedelta(minutes=3), "3 minutes"),
        (timedelta(seconds=45), "45 seconds"),
        (timedelta(seconds=1), "1 second"),
        (timedelta(days=2, hours=3, minutes=30), "2 days 3 hours"),
        (timedelta(days=1, minutes=5), "1 day"),
        (timedelta(minutes=1, seconds=5), "1 minute 5 seconds"),
        (timedelta(hours=1, seconds=5), "1 hour"),
        (timedelta(milliseconds=999), "less than a second"),
        (timedelta(0), "less than a second"),
        (timedelta(minutes=-3), "3 minutes"),
    ],
)
def test_describe_span(delta: timedelta, words: str) -> None:
    assert describe_span(delta) == words


@pytest.mark.parametrize(
    "closes_at, closed_at, tz, phrase",
    [
        (
            NOW + timedelta(hours=1, minutes=59, seconds=59),
            None,
            UTC,
            "closes in 1 hour 59 minutes (16:59 local)",
        ),
        (utc(2026, 11, 25, 17), None, BERLIN, "closes in 2 hours (18:00 local)"),
        # Stored to the millisecond and read a moment later: still "2 hours".
        (NOW + timedelta(hours=2, milliseconds=-1), None, UTC, "closes in 2 hours (16:59 local)"),
        # 23:30 UTC is already tomorrow in Berlin.
        (utc(2026, 11, 25, 23, 30), None, BERLIN, "closes in 8 hours 30 minutes (Nov 26 00:30 local)"),
        (utc(2026, 11, 25, 23, 30), None, UTC, "closes in 8 hours 30 minutes (23:30 local)"),
        (utc(2027, 1, 2, 9), None, UTC, "closes in 37 days 18 hours (Jan 2 2027 09:00 local)"),
        (NOW - timedelta(minutes=3), None, BERLIN, "closed 3 minutes ago"),
        (NOW, None, BERLIN, "closed just now"),
        (NOW + timedelta(hours=1), NOW - timedelta(hours=2), BERLIN, "closed 2 hours ago"),
    ],
)
def test_remaining_phrase(closes_at, closed_at, tz, phrase) -> None:
    assert remaining_phrase(closes_at, NOW, closed_at=closed_at, tz=tz) == phrase


# --- start-up cost ----------------------------------------------------------------


def test_import_does_not_load_dateutil_parser() -> None:
    repo = Path(__file__).resolve().parent.parent
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(repo), env.get("PYTHONPATH")]))
    code = (
        "import sys, votr_cli.timeparse as t\n"
        "t.parse_when('18:00', t.utcnow()); t.parse_duration('1h30m')\n"
        "print(sorted(m for m in sys.modules if m.startswith(('dateutil.', 'click', 'rich'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("text", ["14:00 UTC", "2pm +00:00", "15:00 +01:00"])
def test_a_time_of_day_with_a_zone_means_its_next_occurrence(text: str) -> None:
    # NOW is 15:00 UTC, so 14:00 UTC today has passed: tomorrow's is meant.
    assert parse_when(text, NOW, tz=BERLIN) == datetime(2026, 11, 26, 14, 0, tzinfo=UTC)

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
    format_duration,
    parse_duration,
    parse_span,
    parse_when,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")  # clocks move by 30 minutes
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # 16:00 in Berlin
# The moment of the bug report: Wednesday Nov 25, 23:28 in Berlin.
LATE = datetime(2026, 11, 25, 22, 28, tzinfo=UTC)
NEW_YEARS_EVE = datetime(2026, 12, 31, 12, 0, tzinfo=UTC)


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
        ("in 2 hours", timedelta(hours=2)),
        ("in 90s", timedelta(seconds=90)),
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
    assert deadline_from_duration("in 2 hours", NOW) == utc(2026, 11, 25, 17)
    assert deadline_from_duration("365d", NOW) == NOW + timedelta(days=365)
    assert deadline_from_duration("1s", NOW) == NOW + timedelta(seconds=1)
    result = deadline_from_duration("2.5s", NOW.astimezone(BERLIN))
    assert result == utc(2026, 11, 25, 15, 0, 2, 500000)
    assert result.tzinfo is UTC


@pytest.mark.parametrize(
    "text, message",
    [
        ("0s", "duration '0s' is not positive: give one of at least 1s, e.g. 45m or 2h"),
        ("-5m", "duration '-5m' is not positive: give one of at least 1s, e.g. 45m or 2h"),
        ("0.0001s", "duration '0.0001s' is less than a second: give at least 1s"),
        ("0.999s", "duration '0.999s' is less than a second: give at least 1s"),
        ("0", "can't read duration '0': use e.g. 90s"),
        ("400d", "duration '400d' is more than a year: a deadline can be at most 365 days ahead"),
        ("3000000d", "duration '3000000d' is more than a year: a deadline can be at most 365 days ahead"),
        ("365d1s", "duration '365d1s' is more than a year"),
        ("99999999999d", "duration '99999999999d' is too large"),
        ("banana", "can't read duration 'banana'"),
    ],
)
def test_spans_refused(text: str, message: str) -> None:
    for parse in (lambda t: deadline_from_duration(t, NOW), parse_span):
        with pytest.raises(TimeParseError) as info:
            parse(text)
        assert str(info.value).startswith(message)


# --- dates: input, now, zone -> the exact UTC instant or the exact error ---------

BERLIN_CASES = [
    # Every form DESIGN.md lists, typed at 23:28 on Wednesday Nov 25 in Berlin.
    ("2026-11-26T18:00:00+01:00", utc(2026, 11, 26, 17)),
    ("2026-11-26T17:00Z", utc(2026, 11, 26, 17)),
    ("2026-11-26T17:00:00.250Z", utc(2026, 11, 26, 17, 0, 0, 250000)),
    ("2026-11-26 18:00", utc(2026, 11, 26, 17)),
    ("2026-11-26T18:00", utc(2026, 11, 26, 17)),
    ("2026/11/26 18:00", utc(2026, 11, 26, 17)),
    ("2027-07-01 18:00", utc(2027, 7, 1, 16)),  # summer time
    ("18:00", utc(2026, 11, 26, 17)),  # passed today: tomorrow
    ("23:30", utc(2026, 11, 25, 22, 30)),  # still ahead: today
    ("23:28", utc(2026, 11, 26, 22, 28)),  # now exactly counts as gone
    ("6pm", utc(2026, 11, 26, 17)),
    ("6:30 p.m.", utc(2026, 11, 26, 17, 30)),
    ("11:59pm", utc(2026, 11, 25, 22, 59)),
    ("12am", utc(2026, 11, 25, 23)),
    ("12pm", utc(2026, 11, 26, 11)),
    ("noon", utc(2026, 11, 26, 11)),
    ("midnight", utc(2026, 11, 25, 23)),  # tonight's, the start of Nov 26
    ("tomorrow", utc(2026, 11, 26, 22, 28)),  # this time tomorrow
    ("tomorrow 9am", utc(2026, 11, 26, 8)),
    ("tomorrow noon", utc(2026, 11, 26, 11)),
    ("today 23:45", utc(2026, 11, 25, 22, 45)),
    ("friday 17:00", utc(2026, 11, 27, 16)),
    ("Friday at 5pm", utc(2026, 11, 27, 16)),
    ("next friday 17:00", utc(2026, 11, 27, 16)),  # the first Friday after today
    ("Nov 27 6pm", utc(2026, 11, 27, 17)),
    ("27 Nov 18:00", utc(2026, 11, 27, 17)),
    ("November 27th 2026, 18:00", utc(2026, 11, 27, 17)),
    ("Fri Nov 27 18:00", utc(2026, 11, 27, 17)),
    ("in 2 hours", utc(2026, 11, 26, 0, 28)),
    ("in 90s", utc(2026, 11, 25, 22, 29, 30)),
    # A weekday typed on that weekday: today only if the time is still ahead.
    ("wednesday 23:30", utc(2026, 11, 25, 22, 30)),
    ("wednesday 9am", utc(2026, 12, 2, 8)),
    ("next wednesday 23:30", utc(2026, 12, 2, 22, 30)),
    # A month and day without a year: the occurrence nearest to now.
    ("Jan 5 10:00", utc(2027, 1, 5, 9)),
    ("Nov 25 9pm", "'Nov 25 9pm': Nov 25 2026 21:00 CET is in the past; it is now 23:28 CET"),
    ("Nov 25 9am", "'Nov 25 9am': Nov 25 2026 09:00 CET is in the past; it is now 23:28 CET"),
    ("Nov 25 2027 9am", utc(2027, 11, 25, 8)),  # an explicit year means that date
    ("Nov 25 2026 9am", "'Nov 25 2026 9am': Nov 25 2026 09:00 CET is in the past; it is now 23:28 CET"),
    # Zones: offsets, Z, UTC/GMT, IANA names, the local zone's abbreviations.
    ("2026-11-26 12:00 CEST", utc(2026, 11, 26, 10)),  # CEST is +02:00 even in winter
    ("2026-11-26 12:00 CET", utc(2026, 11, 26, 11)),
    ("2026-11-26 12:00 UTC", utc(2026, 11, 26, 12)),
    ("2026-11-26 12:00 GMT", utc(2026, 11, 26, 12)),
    ("2026-11-26 12:00 +0530", utc(2026, 11, 26, 6, 30)),
    ("2026-11-26 12:00 -3", utc(2026, 11, 26, 15)),
    ("18:00 Europe/Paris", utc(2026, 11, 26, 17)),
    ("18:00 america/new_york", utc(2026, 11, 25, 23)),  # still ahead in New York
    ("6pm +05:00", utc(2026, 11, 26, 13)),  # its next occurrence at that offset
    (
        "2026-11-25T18:00:00+01:00",
        "'2026-11-25T18:00:00+01:00': Nov 25 2026 18:00 CET is in the past; it is now 23:28 CET",
    ),
    ("2020-01-01 10:00", "'2020-01-01 10:00': Jan 1 2020 10:00 CET is in the past; it is now Nov 25 2026 23:28 CET"),
    ("2027-11-26 10:00", "'2027-11-26 10:00': Nov 26 2027 10:00 CET is more than a year away: at most 365 days ahead"),
    # Daylight saving in 2027: forward on Mar 28 (02:00 -> 03:00), back on Oct 31 (03:00 -> 02:00).
    (
        "2027-03-28 02:30",
        "'2027-03-28 02:30' does not exist in Europe/Berlin: on Mar 28 2027 the clocks go forward from "
        "01:59:59 CET straight to 03:00 CEST; give a time before or after the change",
    ),
    ("2027-03-28 01:59", utc(2027, 3, 28, 0, 59)),
    ("2027-03-28 03:00", utc(2027, 3, 28, 1)),
    (
        "2027-10-31 02:30",
        "'2027-10-31 02:30' happens twice in Europe/Berlin: on Oct 31 2027 the clocks go back from "
        "02:59:59 CEST to 02:00 CET; say '2027-10-31 02:30 +02:00' (the first, CEST) or "
        "'2027-10-31 02:30 +01:00' (the second, CET)",
    ),
    ("2027-10-31 02:30 CEST", utc(2027, 10, 31, 0, 30)),
    ("2027-10-31 02:30 CET", utc(2027, 10, 31, 1, 30)),
    ("2027-10-31 02:30 +02:00", utc(2027, 10, 31, 0, 30)),
    ("2027-10-31 03:00", utc(2027, 10, 31, 2)),
    # Refused, never guessed.
    (
        "11/12",
        "can't read date '11/12': '11/12' is ambiguous (month/day or day/month?): write the month as a word, e.g. "
        "Nov 12 or Dec 11",
    ),
    (
        "25/12 18:00",
        "can't read date '25/12 18:00': '25/12' is ambiguous (month/day or day/month?): write the month as a word, "
        "e.g. Dec 25",
    ),
    (
        "18:00 IST",
        "can't read date '18:00 IST': 'IST' is ambiguous as a zone, and not an abbreviation of Europe/Berlin: "
        "use an IANA name (Asia/Kolkata, Europe/Dublin or Asia/Jerusalem) or an offset such as "
        "+05:30",
    ),
    (
        "18:00 XYZ",
        "can't read date '18:00 XYZ': 'XYZ' is neither a date word nor a zone votr knows; for a zone use an IANA "
        "name such as Europe/Paris, or an offset such as +01:00",
    ),
    (
        "18:00 Mars/Olympus",
        "can't read date '18:00 Mars/Olympus': 'Mars/Olympus' is not a time zone name; e.g. Europe/Paris or "
        "America/New_York",
    ),
    ("18:00 +15:00", "can't read date '18:00 +15:00': '+15:00' is not a UTC offset: offsets run from -12:00 to +14:00"),
    ("friday", "can't read date 'friday': it has no time of day: add one, e.g. 'friday 17:00' or 'Nov 27 noon'"),
    (
        "2026-11-27",
        "can't read date '2026-11-27': it has no time of day: add one, e.g. 'friday 17:00' or 'Nov 27 noon'",
    ),
    (
        "friday midnight",
        "can't read date 'friday midnight': midnight of a day is ambiguous (its start or its end?): say 23:59 for "
        "the end, or 00:00 for the start",
    ),
    ("Thu Nov 27 2026 18:00", "can't read date 'Thu Nov 27 2026 18:00': Nov 27 2026 is a Friday, not a Thursday"),
    ("tomorrow friday 9am", "can't read date 'tomorrow friday 9am': 'tomorrow' and a date name the day twice"),
    ("Feb 30 10:00", "can't read date 'Feb 30 10:00': Feb 30 is not a date"),
    ("2h", "can't read date '2h': that is a duration: say 'in 2h', or use --closes-in 2h"),
    ("in 0.5s", "duration 'in 0.5s' is less than a second: give at least 1s"),
    ("next 17:00", "can't read date 'next 17:00': 'next' goes before a weekday, e.g. 'next friday 17:00'"),
    ("13pm", "can't read date '13pm': '13pm' is not a time: with am or pm the hour runs from 1 to 12"),
    ("25:00", "can't read date '25:00': '25:00' is not a time of day"),
    ("18:00:60", "can't read date '18:00:60': '18:00:60' is not a time of day"),
    ("Feb 29 10:00", "can't read date 'Feb 29 10:00': Feb 29 is in none of 2025 to 2027: give the year"),
    (
        "Feb 29 2028 10:00",
        "'Feb 29 2028 10:00': Feb 29 2028 10:00 CET is more than a year away: at most 365 days ahead",
    ),
    (
        "18:00 right/Europe/Berlin",
        "can't read date '18:00 right/Europe/Berlin': 'right/Europe/Berlin' counts leap seconds; "
        "use the zone without 'right/', e.g. Europe/Paris",
    ),
    ("25", "can't read date '25': '25' needs a month beside it, e.g. 'Nov 25'"),
    ("1800", "can't read date '1800': '1800' is neither a time nor a date: write a time as 18:00"),
    ("UTC 18:00", "can't read date 'UTC 18:00': the zone comes last, after the date and time"),
]

NEW_YORK_CASES = [  # 17:28 EST on Wednesday Nov 25
    ("18:00", utc(2026, 11, 25, 23)),
    ("wednesday 17:00", utc(2026, 12, 2, 22)),
    ("wednesday 18:00", utc(2026, 11, 25, 23)),
    ("Nov 25 5pm", "'Nov 25 5pm': Nov 25 2026 17:00 EST is in the past; it is now 17:28 EST"),
    ("18:00 EDT", utc(2026, 11, 26, 22)),  # 17:00 EST today has passed
    (
        "18:00 CET",
        "can't read date '18:00 CET': 'CET' is ambiguous as a zone, and not an abbreviation of America/New_York: "
        "use an IANA name (Europe/Berlin or Europe/Paris) or an offset such as +01:00",
    ),
    (
        "18:00 PST",
        "can't read date '18:00 PST': 'PST' is ambiguous as a zone, and not an abbreviation of America/New_York: "
        "use an IANA name (America/Los_Angeles or Asia/Manila) or an offset such as -08:00",
    ),
    # 2027: forward on Mar 14 (02:00 -> 03:00), back on Nov 7 (02:00 -> 01:00).
    (
        "2027-03-14 02:30",
        "'2027-03-14 02:30' does not exist in America/New_York: on Mar 14 2027 the clocks go forward from "
        "01:59:59 EST straight to 03:00 EDT; give a time before or after the change",
    ),
    (
        "2027-11-07 01:30",
        "'2027-11-07 01:30' happens twice in America/New_York: on Nov 7 2027 the clocks go back from "
        "01:59:59 EDT to 01:00 EST; say '2027-11-07 01:30 -04:00' (the first, EDT) or "
        "'2027-11-07 01:30 -05:00' (the second, EST)",
    ),
    ("2027-11-07 01:30 EDT", utc(2027, 11, 7, 5, 30)),
    ("2027-11-07 01:30 EST", utc(2027, 11, 7, 6, 30)),
]

KOLKATA_CASES = [  # 03:58 IST on Thursday Nov 26
    ("18:00", utc(2026, 11, 26, 12, 30)),
    ("18:00 IST", utc(2026, 11, 26, 12, 30)),  # the local zone's own abbreviation
    ("thursday 9am", utc(2026, 11, 26, 3, 30)),
    ("thursday 3am", utc(2026, 12, 2, 21, 30)),
    ("Nov 25 9pm", "'Nov 25 9pm': Nov 25 2026 21:00 IST is in the past; it is now Nov 26 03:58 IST"),
    ("2027-03-14 02:30", utc(2027, 3, 13, 21)),  # no daylight saving here
]

LORD_HOWE_CASES = [  # 09:28 +11 on Thursday Nov 26; its clocks move by 30 minutes
    ("18:00", utc(2026, 11, 26, 7)),
    # 2027: back on Apr 4 (02:00 +11 -> 01:30 +1030), forward on Oct 3 (02:00 -> 02:30).
    (
        "2027-04-04 01:45",
        "'2027-04-04 01:45' happens twice in Australia/Lord_Howe: on Apr 4 2027 the clocks go back from "
        "01:59:59 +11 to 01:30 +1030; say '2027-04-04 01:45 +11:00' (the first, +11) or "
        "'2027-04-04 01:45 +10:30' (the second, +1030)",
    ),
    ("2027-04-04 01:45 +11:00", utc(2027, 4, 3, 14, 45)),
    ("2027-04-04 01:45 +10:30", utc(2027, 4, 3, 15, 15)),
    (
        "2027-10-03 02:15",
        "'2027-10-03 02:15' does not exist in Australia/Lord_Howe: on Oct 3 2027 the clocks go forward from "
        "01:59:59 +1030 straight to 02:30 +11; give a time before or after the change",
    ),
    ("2027-10-03 02:30", utc(2027, 10, 2, 15, 30)),
]

YEAR_END_CASES = [  # 13:00 CET on Thursday Dec 31
    ("Jan 5 10:00", utc(2027, 1, 5, 9)),  # next January, not last
    ("5 January 10:00", utc(2027, 1, 5, 9)),
    ("Dec 31 18:00", utc(2026, 12, 31, 17)),
    ("Dec 31 9:00", "'Dec 31 9:00': Dec 31 2026 09:00 CET is in the past; it is now 13:00 CET"),
    ("Dec 30 9:00", "'Dec 30 9:00': Dec 30 2026 09:00 CET is in the past; it is now Dec 31 13:00 CET"),
    ("monday 9am", utc(2027, 1, 4, 8)),
    ("tomorrow 9am", utc(2027, 1, 1, 8)),
]


class Start(str):
    """An error given by how it starts, where the rest is already pinned by another case."""


# Typed on the day of a clock change, around the change itself.
CHANGE_DAY_CASES = [
    # Berlin, Oct 25 2026 at 02:45 CEST: the first 02:30 has passed, the second (CET) is still to come.
    (
        "02:30",
        utc(2026, 10, 25, 0, 45),
        BERLIN,
        "'02:30' happens twice in Europe/Berlin: on Oct 25 2026 the clocks go back from 02:59:59 CEST to "
        "02:00 CET; say '2026-10-25 02:30 +02:00' (the first, CEST) or '2026-10-25 02:30 +01:00' (the second, CET)",
    ),
    # ... and at 02:15 CET, after both 02:00s: the next 02:00 is tomorrow's.
    ("02:00", utc(2026, 10, 25, 1, 15), BERLIN, utc(2026, 10, 26, 1)),
    ("sunday 02:00", utc(2026, 10, 25, 1, 15), BERLIN, utc(2026, 11, 1, 1)),
    # Berlin, Mar 28 2027: at 03:10 CEST today's 02:30 was skipped, so it means tomorrow's ...
    ("02:30", utc(2027, 3, 28, 1, 10), BERLIN, utc(2027, 3, 29, 0, 30)),
    ("sunday 02:30", utc(2027, 3, 28, 1, 10), BERLIN, utc(2027, 4, 4, 0, 30)),
    # ... while at 01:45 CET the skipped hour is still ahead: refused, not moved to tomorrow.
    ("02:30", utc(2027, 3, 28, 0, 45), BERLIN, Start("'02:30' does not exist in Europe/Berlin: on Mar 28 2027")),
    # New York, Nov 1 2026 at 01:40 EDT: the second 1:30am (EST) is still to come.
    ("1:30am", utc(2026, 11, 1, 5, 40), NEW_YORK, Start("'1:30am' happens twice in America/New_York: on Nov 1 2026")),
    # Lord Howe, Apr 5 2026 at 01:50 +11: the second 01:45 (+1030) is still to come.
    ("01:45", utc(2026, 4, 4, 14, 50), LORD_HOWE, Start("'01:45' happens twice in Australia/Lord_Howe: on Apr 5 2026")),
    ("02:15", utc(2026, 10, 3, 15, 40), LORD_HOWE, utc(2026, 10, 4, 15, 15)),  # 02:40 +11: skipped today
]

ALL_CASES = [
    *CHANGE_DAY_CASES,
    *[(t, LATE, BERLIN, want) for t, want in BERLIN_CASES],
    *[(t, LATE, NEW_YORK, want) for t, want in NEW_YORK_CASES],
    *[(t, LATE, KOLKATA, want) for t, want in KOLKATA_CASES],
    *[(t, LATE, LORD_HOWE, want) for t, want in LORD_HOWE_CASES],
    *[(t, NEW_YEARS_EVE, BERLIN, want) for t, want in YEAR_END_CASES],
]


@pytest.mark.parametrize("text, now, zone, expected", ALL_CASES, ids=[f"{z.key}:{t}" for t, _, z, _ in ALL_CASES])
def test_deadline_from_when(text: str, now: datetime, zone: ZoneInfo, expected: datetime | str) -> None:
    if isinstance(expected, datetime):
        got = deadline_from_when(text, now, tz=zone)
        assert got == expected
        assert got.tzinfo is UTC
    else:
        with pytest.raises(TimeParseError) as info:
            deadline_from_when(text, now, tz=zone)
        if isinstance(expected, Start):
            assert str(info.value).startswith(expected)
        else:
            assert str(info.value) == expected


@pytest.mark.parametrize(
    "text",
    ["", "   ", "5.5", "5 5", "-5", "xyz", "0am", "12:60", "99999-01-01 10:00", "\x00 5", "café 18:00", "9" * 200],
)
def test_parse_when_refuses_with_one_line(text: str) -> None:
    with pytest.raises(TimeParseError) as info:
        parse_when(text, NOW, tz=BERLIN)
    message = str(info.value)
    assert message.startswith("can't read date '")
    assert "\n" not in message


def test_parse_when_keeps_past_dates_for_the_caller_to_judge() -> None:
    # parse_when reads; deadline_from_when refuses what is not ahead.
    assert parse_when("2020-01-01 10:00", NOW, tz=BERLIN) == utc(2020, 1, 1, 9)
    assert parse_when("today 9:00", NOW, tz=BERLIN) == utc(2026, 11, 25, 8)


@given(st.text())
def test_parse_when_raises_only_time_parse_error(text: str) -> None:
    try:
        parse_when(text, NOW, tz=BERLIN)
    except TimeParseError:
        pass


_SAMPLE_WORDS = st.sampled_from(
    [
        "18:00",
        "6pm",
        "noon",
        "midnight",
        "tomorrow",
        "friday",
        "next",
        "Nov",
        "25",
        "2026",
        "2026-11-25",
        "CET",
        "UTC",
        "+01:00",
        "Europe/Paris",
        "at",
        "in",
        "2h",
        ",",
        "9:30am",
        "11/12",
        "Z",
    ]
)


@given(st.lists(_SAMPLE_WORDS, min_size=1, max_size=5))
def test_word_salad_is_read_exactly_or_refused(words: list[str]) -> None:
    """Whatever the mix of real date words, the answer is an aware UTC instant or a TimeParseError."""
    try:
        got = parse_when(" ".join(words), LATE, tz=BERLIN)
    except TimeParseError as exc:
        assert "\n" not in str(exc)
    else:
        assert got.tzinfo is UTC


@given(
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2030, 12, 31)),
    st.sampled_from([BERLIN, NEW_YORK, KOLKATA, LORD_HOWE]),
)
def test_a_written_wall_time_means_that_wall_time_or_is_refused(wall: datetime, zone: ZoneInfo) -> None:
    """Every 'YYYY-MM-DD HH:MM:SS' reads back as the same wall-clock time in its zone, or is a gap or a repeat."""
    wall = wall.replace(microsecond=0)
    text = f"{wall:%Y-%m-%d %H:%M:%S}"
    try:
        got = parse_when(text, LATE, tz=zone)
    except TimeParseError as exc:
        assert "does not exist in" in str(exc) or "happens twice in" in str(exc)
        first, second = wall.replace(tzinfo=zone, fold=0), wall.replace(tzinfo=zone, fold=1)
        assert first.utcoffset() != second.utcoffset()
    else:
        assert got.astimezone(zone).replace(tzinfo=None) == wall


@given(
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2030, 12, 31)),
    st.sampled_from([BERLIN, NEW_YORK, LORD_HOWE]),
)
def test_a_time_of_day_is_the_next_one_that_exists(now_wall: datetime, zone: ZoneInfo) -> None:
    """'HH:MM' is ahead of now and within a day of it (or refused when that day skips or repeats it)."""
    now = now_wall.replace(tzinfo=UTC)
    local = now.astimezone(zone)
    text = f"{(local + timedelta(hours=5)).replace(tzinfo=None):%H:%M}"
    try:
        got = parse_when(text, now, tz=zone)
    except TimeParseError as exc:
        assert "does not exist in" in str(exc) or "happens twice in" in str(exc)
    else:
        assert now < got <= now + timedelta(days=1, hours=1)
        assert f"{got.astimezone(zone):%H:%M}" == text


@pytest.fixture
def system_tz(monkeypatch: pytest.MonkeyPatch):
    def set_tz(value: str) -> None:
        monkeypatch.setenv("TZ", value)
        time.tzset()

    yield set_tz
    monkeypatch.undo()
    time.tzset()


def test_no_zone_means_the_system_zone(system_tz) -> None:
    system_tz("Europe/Berlin")
    assert parse_when("2026-11-26 18:00", LATE) == utc(2026, 11, 26, 17)
    assert parse_when("18:00 CEST", LATE) == utc(2026, 11, 26, 16)
    with pytest.raises(TimeParseError, match="does not exist in Europe/Berlin: on Mar 28 2027"):
        parse_when("2027-03-28 02:30", LATE)
    system_tz("Asia/Kolkata")
    assert parse_when("18:00", LATE) == utc(2026, 11, 26, 12, 30)


def test_a_posix_tz_rule_is_the_local_zone(system_tz) -> None:
    # Clocks go forward an hour at 02:00 on Mar 28, back at 03:00 on Oct 31 (of the "XST/XDT" zone).
    system_tz("XST-1XDT,M3.5.0/2,M10.5.0/3")
    assert parse_when("2026-11-26 18:00", LATE) == utc(2026, 11, 26, 17)
    assert parse_when("18:00 XDT", LATE) == utc(2026, 11, 26, 16)
    with pytest.raises(TimeParseError) as info:
        parse_when("2027-03-28 02:30", LATE)
    assert str(info.value) == (
        "'2027-03-28 02:30' does not exist in the local zone (TZ=XST-1XDT,M3.5.0/2,M10.5.0/3): on Mar 28 2027 "
        "the clocks go forward from 01:59:59 XST straight to 03:00 XDT; give a time before or after the change"
    )
    with pytest.raises(TimeParseError, match="'2027-10-31 02:30' happens twice in the local zone"):
        parse_when("2027-10-31 02:30", LATE)


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        parse_when("18:00", datetime(2026, 11, 25, 15))


def test_parsing_a_date_does_not_load_dateutil_click_or_rich() -> None:
    repo = Path(__file__).resolve().parent.parent
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(repo), env.get("PYTHONPATH")]))
    code = (
        "import sys, votr_cli.timeparse as t, votr_cli.timefmt as f\n"
        "t.parse_when('next friday 17:00 Europe/Paris', f.utcnow()); t.parse_duration('1h30m')\n"
        "print(sorted(m for m in sys.modules if m.startswith(('dateutil', 'click', 'rich'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_without_a_zone_database_an_iana_name_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import zoneinfo

    # Neither the system's database nor the tzdata package: an import of None fails.
    for name in [
        "tzdata",
        "tzdata.zoneinfo",
        "tzdata.zoneinfo.Europe",
        *[m for m in sys.modules if m.startswith("tzdata")],
    ]:
        monkeypatch.setitem(sys.modules, name, None)
    zoneinfo.reset_tzpath(to=[])
    zoneinfo.ZoneInfo.clear_cache()
    try:
        with pytest.raises(TimeParseError) as info:
            parse_when("18:00 Europe/Paris", NOW, tz=UTC)
        assert str(info.value) == (
            "can't read date '18:00 Europe/Paris': no time zone database on this system to read 'Europe/Paris': "
            "install your system's tzdata (or pip install tzdata), or use an offset such as +01:00"
        )
        assert parse_when("18:00 +01:00", NOW, tz=UTC) == utc(2026, 11, 25, 17)
    finally:
        zoneinfo.reset_tzpath()
        zoneinfo.ZoneInfo.clear_cache()

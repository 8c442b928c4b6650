"""Durations and dates in, aware UTC datetimes out (DESIGN.md "Time, exactly").

Input without a zone is local time: the `tz` argument, or the system zone
when it is None. The caller passes `now`, so every rule here is testable
against a fixed clock. The date grammar is small and votr's own: what it
accepts is listed in DESIGN.md, and anything else is refused, never guessed.
`votr vote` does not import this module.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import NamedTuple

from . import zones
from .errors import TimeParseError
from .timefmt import aware, local_near, local_str

MAX_AHEAD = timedelta(days=365)
MIN_SPAN = timedelta(seconds=1)
_MAX_TEXT = 100  # longer input is never a real duration or date, only a slow parse

_UNITS = {
    name: secs
    for names, secs in (
        ("w week weeks", 604800),
        ("d day days", 86400),
        ("h hr hrs hour hours", 3600),
        ("m min mins minute minutes", 60),
        ("s sec secs second seconds", 1),
    )
    for name in names.split()
}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*([a-z]+)", re.ASCII)
_SEP = re.compile(r"\s*,\s*|\s+and\s+|\s*", re.ASCII)
_DURATION_HINT = "use e.g. 90s, 45m, 2h, 1h30m, 1d, 2w or '2 hours'"
_DATE_HINT = (
    "use e.g. 18:00, 6pm, noon, 'tomorrow 9am', 'friday 17:00', 'Nov 25 6pm', "
    "'2026-11-25 18:00', '18:00 Europe/Paris' or 'in 2 hours'"
)

_TOKEN = re.compile(
    r"""(?P<iso>\d{4})-(?P<iso_m>\d\d?)-(?P<iso_d>\d\d?)(?:t(?=\d))?
      | (?P<ymd>\d{4})/(?P<ymd_m>\d\d?)/(?P<ymd_d>\d\d?)(?![\d/])
      | (?P<numeric>\d{1,2}[/.-]\d{1,2}(?:[/.-]\d{2,4})?)(?![\d:])
      | (?P<h>\d{1,2}):(?P<mi>\d\d)(?::(?P<s>\d\d)(?:\.(?P<f>\d{1,6}))?)?\s*(?P<ampm>[ap]\.?m\b\.?)?
      | (?P<h12>\d{1,2})\s*(?P<ampm12>[ap]\.?m\b\.?)
      | (?P<offset>(?:utc|gmt)?[+-]\d{1,2}(?::?\d\d)?)(?![\d:])
      | (?P<number>\d+)(?:st|nd|rd|th)?\b
      | (?P<word>[a-z][a-z0-9_+-]*(?:/[a-z0-9_+-]+)*)\.?
    """,
    re.ASCII | re.IGNORECASE | re.VERBOSE,
)
_GAP = re.compile(r"[\s,]*", re.ASCII)

_MONTH_WORDS = "jan feb mar apr may jun jul aug sep oct nov dec".split()
_MONTH_LONG = "january february march april may june july august september october november december".split()
_MONTH = {**{w: i for i, w in enumerate(_MONTH_WORDS, 1)}, **{w: i for i, w in enumerate(_MONTH_LONG, 1)}, "sept": 9}
_DAY_LONG = "monday tuesday wednesday thursday friday saturday sunday".split()
_WEEKDAY = {
    **{w: i for i, w in enumerate(_DAY_LONG)},
    **{w[:3]: i for i, w in enumerate(_DAY_LONG)},
    "tues": 1,
    "thur": 3,
    "thurs": 3,
}
_FILLER = {"at", "on", "this", "of"}


def _q(text: str) -> str:
    """Quote user input for a one-line message, whatever it contains."""
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[:60])
    return f"'{shown}{'...' if len(text) > 60 else ''}'"


# --- durations ----------------------------------------------------------------


def parse_duration(text: str) -> timedelta:
    """Read `90s`, `1h30m`, `2 hours`, `in 2 hours`, `1.5h`, `-5m` ...; raise TimeParseError."""
    bad = TimeParseError(f"can't read duration {_q(text)}: {_DURATION_HINT}")
    s = text.strip().lower()
    if len(s) > _MAX_TEXT:
        raise bad
    if s.startswith("in "):
        s = s[3:].lstrip()
    sign = -1 if s.startswith("-") else 1
    s = s[1:].lstrip() if sign < 0 else s
    total, pos, seen = 0, 0, set()
    while pos < len(s) or not seen:
        m = _PART.match(s, _SEP.match(s, pos).end() if seen else pos)
        if not m or m.group(2) not in _UNITS:
            raise bad
        number, unit = m.groups()
        secs = _UNITS[unit]
        if secs in seen:
            raise TimeParseError(
                f"can't read duration {_q(text)}: '{unit}' repeats a unit; give each unit once, e.g. 1h30m"
            )
        seen.add(secs)
        # Integer arithmetic, so '2.5s' and '0.000001s' are exact to the microsecond.
        whole, _, frac = number.partition(".")
        scale = 10 ** len(frac)
        q, r = divmod(int(whole or "0") * scale + int(frac or "0"), scale)
        total += q * secs * 1_000_000 + (r * secs * 1_000_000 * 2 + scale) // (2 * scale)
        pos = m.end()
    try:
        return timedelta(microseconds=sign * total)
    except OverflowError:
        raise TimeParseError(f"duration {_q(text)} is too large: {_DURATION_HINT}") from None


def format_duration(delta: timedelta) -> str:
    """Compact form that parse_duration reads back exactly: 5400s -> '1h30m'."""
    us = delta // timedelta(microseconds=1)
    sign, us = ("-" if us < 0 else ""), abs(us)
    secs, frac = divmod(us, 1_000_000)
    out = []
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        n, secs = divmod(secs, size)
        if n:
            out.append(f"{n}{unit}")
    if frac:
        out.append(f"{secs}.{frac:06d}".rstrip("0") + "s")
    elif secs or not out:
        out.append(f"{secs}s")
    return sign + "".join(out)


def parse_span(text: str) -> timedelta:
    """A duration a deadline can move by: at least a second, at most a year."""
    delta = parse_duration(text)
    if delta <= timedelta(0):
        raise TimeParseError(f"duration {_q(text)} is not positive: give one of at least 1s, e.g. 45m or 2h")
    if delta < MIN_SPAN:
        raise TimeParseError(f"duration {_q(text)} is less than a second: give at least 1s")
    if delta > MAX_AHEAD:
        raise TimeParseError(f"duration {_q(text)} is more than a year: a deadline can be at most 365 days ahead")
    return delta


def deadline_from_duration(text: str, now: datetime) -> datetime:
    """now + duration as aware UTC; refuse under a second and over a year."""
    return (aware(now) + parse_span(text)).astimezone(UTC)


# --- dates ----------------------------------------------------------------------


class _Unreadable(Exception):
    """Why a date cannot be read; parse_when adds the input and the hint."""


class _Parts(NamedTuple):
    """What the text named, before the next-occurrence rules fill the gaps."""

    day: date | None  # a full date with its year
    month_day: tuple[int, int, int | None] | None  # (month, day, year or None)
    weekday: int | None
    after_today: bool  # "next friday": never today
    day_word: str | None  # "today" or "tomorrow"
    clock: time | None
    midnight: bool
    zone: tzinfo | None


def _tokens(s: str) -> list[tuple[str, re.Match]]:
    found, pos = [], _GAP.match(s, 0).end()
    while pos < len(s):
        m = _TOKEN.match(s, pos)
        if not m or m.end() == pos:
            raise _Unreadable(f"'{s[pos : pos + 20]}' is not part of a date votr reads")
        kind = next(k for k in ("iso", "ymd", "numeric", "h", "h12", "offset", "number", "word") if m.group(k))
        found.append((kind, m))
        pos = _GAP.match(s, m.end()).end()
    return found


def _clock(typed: str, hour: int, minute: int, second: int, micro: int, ampm: str | None) -> time:
    if ampm:
        if not 1 <= hour <= 12:
            raise _Unreadable(f"'{typed}' is not a time: with am or pm the hour runs from 1 to 12")
        hour = hour % 12 + (12 if ampm[0].lower() == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise _Unreadable(f"'{typed}' is not a time of day")
    return time(hour, minute, second, micro)


def _full_date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise _Unreadable(f"{year:04d}-{month:02d}-{day:02d} is not a date") from None


def _parts(s: str, tz: tzinfo | None, now: datetime) -> _Parts:
    day = month = clock = zone = weekday = day_word = None
    numbers: list[str] = []
    after_today = midnight = False
    for kind, m in _tokens(s):
        if zone is not None:
            raise _Unreadable("the zone comes last, after the date and time")
        text = m.group(kind)
        word = text.lower()
        if kind == "numeric":
            raise _Unreadable(_numeric_date(text))
        if kind in ("iso", "ymd"):
            if day is not None or month is not None:
                raise _Unreadable("it names the date twice")
            day = _full_date(int(text), int(m.group(kind + "_m")), int(m.group(kind + "_d")))
        elif kind in ("h", "h12"):
            if clock is not None:
                raise _Unreadable("it names the time twice")
            if kind == "h":
                frac = (m.group("f") or "").ljust(6, "0")
                parts = (int(text), int(m.group("mi")), int(m.group("s") or 0), int(frac))
                clock = _clock(m.group(), *parts, m.group("ampm"))
            else:
                clock = _clock(m.group(), int(text), 0, 0, 0, m.group("ampm12"))
        elif kind == "offset":
            if clock is None:
                raise _Unreadable(f"'{text}' looks like a UTC offset, which goes after a time, e.g. '18:00 {text}'")
            try:
                zone = zones.parse_offset(text)
            except TimeParseError as exc:
                raise _Unreadable(str(exc)) from None
        elif kind == "number":
            numbers.append(text)
        elif word in ("noon", "midday", "midnight"):
            if clock is not None:
                raise _Unreadable("it names the time twice")
            midnight = word == "midnight"
            clock = time(0) if midnight else time(12)
        elif word in ("today", "tomorrow"):
            if day_word is not None:
                raise _Unreadable("it names the day twice")
            day_word = word
        elif word == "next":
            after_today = True
        elif word in _MONTH:
            if month is not None or day is not None:
                raise _Unreadable("it names the month twice")
            month = _MONTH[word]
        elif word in _WEEKDAY:
            if weekday is not None:
                raise _Unreadable("it names the weekday twice")
            weekday = _WEEKDAY[word]
        elif word in _FILLER:
            continue
        elif word == "in":
            raise _Unreadable("'in' takes a duration, e.g. 'in 2 hours'")
        else:
            try:
                zone = zones.lookup(text, tz, now)
            except TimeParseError as exc:
                raise _Unreadable(str(exc)) from None
    if after_today and weekday is None:
        raise _Unreadable("'next' goes before a weekday, e.g. 'next friday 17:00'")
    month_day = _month_day(month, numbers)
    if day_word is not None and (day or month_day or weekday is not None):
        raise _Unreadable(f"'{day_word}' and a date name the day twice")
    return _Parts(day, month_day, weekday, after_today, day_word, clock, midnight, zone)


def _numeric_date(text: str) -> str:
    a, b = (int(n) for n in re.split(r"[/.-]", text)[:2])
    readings = [f"{_MONTH_WORDS[m - 1].title()} {d}" for m, d in ((a, b), (b, a)) if 1 <= m <= 12 and 1 <= d <= 31]
    said = f"write the month as a word, e.g. {' or '.join(dict.fromkeys(readings))}" if readings else "it is no date"
    return f"'{text}' is ambiguous (month/day or day/month?): {said}"


def _month_day(month: int | None, numbers: list[str]) -> tuple[int, int, int | None] | None:
    if month is None:
        if numbers and len(numbers[0]) <= 2:
            raise _Unreadable(f"'{numbers[0]}' needs a month beside it, e.g. 'Nov {int(numbers[0])}'")
        if numbers:
            raise _Unreadable(f"'{numbers[0]}' is neither a time nor a date: write a time as 18:00")
        return None
    days = [int(n) for n in numbers if len(n) <= 2]
    years = [int(n) for n in numbers if len(n) == 4]
    if len(days) != 1 or len(years) > 1 or len(days) + len(years) != len(numbers):
        raise _Unreadable("give the month with one day of the month and at most a four-digit year, e.g. 'Nov 25 2026'")
    return month, days[0], years[0] if years else None


def _occurrence(p: _Parts, now: datetime, frame: tzinfo | None) -> datetime:
    """The wall-clock date and time the parts mean, as seen from `now` in `frame`.

    A time alone is today if still ahead, else tomorrow; a weekday is its next
    occurrence (today only if the time is still ahead; never today after
    "next"); a month and day without a year is the occurrence nearest to now;
    an explicit year means exactly that date.
    """
    today = now.astimezone(frame).replace(tzinfo=None)
    at = p.clock if p.clock is not None else today.time().replace(microsecond=0)

    def ahead(day: date) -> bool:
        # Still to come if any instant showing that time is; a time a clock
        # change skips is to come until the change (what the clock shows now).
        wall = datetime.combine(day, at)
        found = zones.readings(wall, frame)
        return any(r > now for r in found) if found else wall > today

    day = p.day
    if p.month_day is not None:
        month, mday, year = p.month_day
        if year is not None:
            day = _full_date(year, month, mday)
        else:
            candidates = []
            for y in (today.year - 1, today.year, today.year + 1):
                try:
                    candidates.append(datetime.combine(date(y, month, mday), at))
                except ValueError:
                    continue
            if not candidates:
                named = f"{_MONTH_WORDS[month - 1].title()} {mday}"
                if (month, mday) == (2, 29):
                    raise _Unreadable(f"{named} is in none of {today.year - 1} to {today.year + 1}: give the year")
                raise _Unreadable(f"{named} is not a date")
            day = min(candidates, key=lambda c: abs(c - today)).date()
    if day is not None:
        if p.weekday is not None and day.weekday() != p.weekday:
            named = _DAY_LONG[p.weekday].title()
            raise _Unreadable(f"{day:%b} {day.day} {day.year} is a {day:%A}, not a {named}")
    elif p.weekday is not None:
        days_ahead = (p.weekday - today.weekday()) % 7
        if days_ahead == 0 and (p.after_today or not ahead(today.date())):
            days_ahead = 7
        day = today.date() + timedelta(days=days_ahead)
    elif p.day_word is not None:
        day = today.date() + timedelta(days=int(p.day_word == "tomorrow"))
    else:
        day = today.date() if ahead(today.date()) else today.date() + timedelta(days=1)
    return datetime.combine(day, at)


def parse_when(text: str, now: datetime, tz: tzinfo | None = None) -> datetime:
    """Read a date and time, a time of day, a weekday or `in DURATION`; aware UTC out."""
    aware(now)
    s = text.strip()
    try:
        if not s or len(s) > _MAX_TEXT or not s.isascii() or not s.isprintable():
            raise _Unreadable(_DATE_HINT)
        if s.lower().startswith("in ") and s[3:].strip():
            return aware(now).astimezone(UTC) + parse_span(s)
        try:
            parse_duration(s)
        except TimeParseError:
            pass
        else:
            raise _Unreadable(f"that is a duration: say 'in {s}', or use --closes-in {s}")
        parts = _parts(s, tz, now)
        names_day = parts.day or parts.month_day or parts.weekday is not None or parts.day_word
        # "tomorrow" alone is this time tomorrow, as `date -d tomorrow` reads it.
        if parts.clock is None and parts.day_word != "tomorrow":
            if not names_day:
                raise _Unreadable(_DATE_HINT)
            raise _Unreadable("it has no time of day: add one, e.g. 'friday 17:00' or 'Nov 27 noon'")
        if parts.midnight and names_day:
            raise _Unreadable(
                "midnight of a day is ambiguous (its start or its end?): say 23:59 for the end, or 00:00 for the start"
            )
        frame = parts.zone if parts.zone is not None else tz
        wall = _occurrence(parts, now, frame)
    except _Unreadable as exc:
        raise TimeParseError(f"can't read date {_q(text)}: {exc}") from None
    except (OverflowError, ValueError, OSError):
        raise TimeParseError(f"can't read date {_q(text)}: it is outside the dates votr can handle") from None
    return zones.resolve(wall, frame, _q(text))


def deadline_from_when(text: str, now: datetime, tz: tzinfo | None = None) -> datetime:
    """parse_when, refusing a deadline not after now or over a year away."""
    deadline = parse_when(text, now, tz)
    check_deadline(deadline, now, tz, _q(text))
    return deadline


def check_deadline(deadline: datetime, now: datetime, tz: tzinfo | None = None, typed: str = "") -> None:
    """Refuse a deadline not after `now`, or more than a year after it."""
    said = f"{typed}: " if typed else "the deadline "
    if deadline <= now:
        # Now's seconds only where they tell the two apart: "it is now 23:28 CET".
        seconds = deadline.second != 0 or now - deadline < timedelta(minutes=1)
        raise TimeParseError(
            f"{said}{local_str(deadline, tz)} is in the past; it is now {local_near(now, deadline, tz, seconds)}"
        )
    if deadline - now > MAX_AHEAD:
        raise TimeParseError(f"{said}{local_str(deadline, tz)} is more than a year away: at most 365 days ahead")

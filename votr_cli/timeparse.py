"""Durations and dates in, aware UTC datetimes out (DESIGN.md invariant 5).

Input without an offset is local time: the `tz` argument, or the system zone
when it is None. The caller passes `now` in, so every rule here is testable.
`dateutil.parser` is imported only when the stdlib paths fail, because
`votr vote` reaches this module on its hot path.
"""

import datetime as _dt
import re
import warnings
from datetime import UTC, datetime, timedelta, tzinfo

from votr_cli.errors import TimeParseError

MAX_AHEAD = timedelta(days=365)
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
_CLOCK = re.compile(
    r"(?:(today|tomorrow)\s+)?(\d{1,2})(?::(\d\d)(?::(\d\d))?)?\s*(?:([ap])\.?m\.?)?",
    re.ASCII,
)
# Lone numbers, which dateutil would happily read as a day of the month.
_NUMBERY = re.compile(r"[\d\s+-]*(?:\.\d*)?")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DURATION_HINT = "use e.g. 90s, 45m, 2h, 1h30m, 1d, 2w or '2 hours'"
_DATE_HINT = "use e.g. '2026-11-25 18:00', '18:00', 'Nov 25 6pm' or ISO 8601 with an offset"


def _q(text: str) -> str:
    """Quote user input for a one-line message, whatever it contains."""
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[:60])
    return f"'{shown}{'...' if len(text) > 60 else ''}'"


def _aware(dt: datetime) -> datetime:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"naive datetime {dt!r}: votr only handles aware datetimes")
    return dt


def _attach(naive: datetime, tz: tzinfo | None) -> datetime:
    """Read a naive wall-clock time in `tz` (None: the system zone) as UTC."""
    local = naive.astimezone() if tz is None else naive.replace(tzinfo=tz)
    return local.astimezone(UTC)


def _local_str(dt: datetime, tz: tzinfo | None) -> str:
    local = dt.astimezone(tz)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or ''}".rstrip()


def parse_duration(text: str) -> timedelta:
    """Read `90s`, `1h30m`, `2 hours`, `1.5h`, `-5m` ...; raise TimeParseError."""
    bad = TimeParseError(f"can't read duration {_q(text)}: {_DURATION_HINT}")
    s = text.strip().lower()
    if len(s) > _MAX_TEXT:
        raise bad
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


def deadline_from_duration(text: str, now: datetime) -> datetime:
    """now + duration as aware UTC; refuse zero, negative and over a year."""
    delta = parse_duration(text)
    if delta <= timedelta(0):
        raise TimeParseError(
            f"duration {_q(text)} is not in the future: a deadline needs a positive duration, e.g. 45m or 2h"
        )
    if delta > MAX_AHEAD:
        raise TimeParseError(f"{_q(text)} is more than a year away: a deadline can be at most 365 days ahead")
    try:
        return (_aware(now) + delta).astimezone(UTC)
    except OverflowError:
        raise TimeParseError(f"{_q(text)} from now is past the year 9999") from None


def _clock(m: re.Match, now: datetime, tz: tzinfo | None) -> datetime | None:
    """A time of day, optionally after today/tomorrow; None if out of range."""
    day, h, mi, sec, ampm = m.groups()
    hour, minute, second = int(h), int(mi or 0), int(sec or 0)
    if ampm is None and mi is None and day is None:
        return None  # a bare number is not a time
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    today = now.astimezone(tz).date()
    at = _dt.time(hour, minute, second)
    if day:
        return _attach(datetime.combine(today + timedelta(days=int(day == "tomorrow")), at), tz)
    # Next occurrence: later today, else tomorrow; "now exactly" counts as gone.
    candidate = _attach(datetime.combine(today, at), tz)
    if candidate <= now:
        candidate = _attach(datetime.combine(today + timedelta(days=1), at), tz)
    return candidate


def _natural(text: str, now: datetime, tz: tzinfo | None) -> datetime:
    """The slow path: dateutil, with today's local midnight filling the gaps."""
    from dateutil import parser

    midnight = datetime.combine(now.astimezone(tz).date(), _dt.time())
    with warnings.catch_warnings():
        # An unknown zone name would silently be dropped and read as local time.
        warnings.simplefilter("error", parser.UnknownTimezoneWarning)
        parsed = parser.parse(text, default=midnight)
        # Parsed again with another default date: if the date moves, the text
        # named only a time of day ("6pm +05:00"), which means its next occurrence.
        time_only = parser.parse(text, default=midnight + timedelta(days=40)).date() != parsed.date()
    found = parsed.astimezone(UTC) if parsed.tzinfo else _attach(parsed, tz)
    if time_only and found <= now:
        found = _natural_next_day(parsed, tz)
    return found


def _natural_next_day(parsed: datetime, tz: tzinfo | None) -> datetime:
    later = parsed + timedelta(days=1)
    return later.astimezone(UTC) if later.tzinfo else _attach(later, tz)


def parse_when(text: str, now: datetime, tz: tzinfo | None = None) -> datetime:
    """Read a date, a time of day (next occurrence) or ISO 8601; aware UTC out."""
    _aware(now)
    bad = TimeParseError(f"can't read date {_q(text)}: {_DATE_HINT}")
    s = text.strip()
    if not s or len(s) > _MAX_TEXT or not s.isprintable():
        raise bad
    try:
        parsed = datetime.fromisoformat(s)
    except ValueError:
        pass
    else:
        try:
            return parsed.astimezone(UTC) if parsed.tzinfo else _attach(parsed, tz)
        except (ValueError, OverflowError, OSError):
            raise bad from None
    m = _CLOCK.fullmatch(s.lower())
    if m:
        found = _clock(m, now, tz)
        if found is None:
            raise bad
        return found
    if not any(c.isdigit() for c in s) or _NUMBERY.fullmatch(s):
        raise bad
    try:
        parse_duration(s)
    except TimeParseError:
        pass
    else:
        raise TimeParseError(f"{_q(text)} is a duration, not a date: {_DATE_HINT}")
    try:
        return _natural(s, now, tz)
    except (ValueError, ArithmeticError, TypeError, LookupError, OSError, Warning):
        # dateutil raises a zoo (ParserError, OverflowError, TypeError, our
        # warning-as-error ...) for input it can't take.
        raise bad from None


def deadline_from_when(text: str, now: datetime, tz: tzinfo | None = None) -> datetime:
    """parse_when, refusing a deadline not after now or over a year away."""
    deadline = parse_when(text, now, tz)
    if deadline <= now:
        raise TimeParseError(
            f"{_q(text)} is in the past: it means {_local_str(deadline, tz)}, and it is now {_local_str(now, tz)}"
        )
    if deadline - now > MAX_AHEAD:
        raise TimeParseError(
            f"{_q(text)} is more than a year away ({_local_str(deadline, tz)}):"
            " a deadline can be at most 365 days ahead"
        )
    return deadline


def to_iso(dt: datetime) -> str:
    """Storage form: UTC, milliseconds, offset; fixed width, so it sorts by time."""
    return _aware(dt).astimezone(UTC).isoformat(timespec="milliseconds")


def from_iso(text: str) -> datetime:
    """Read the storage form (any ISO 8601 with an offset) as aware UTC."""
    return _aware(datetime.fromisoformat(text)).astimezone(UTC)


def utcnow() -> datetime:
    """The one clock votr reads."""
    return datetime.now(UTC)


def describe_span(delta: timedelta) -> str:
    """The two most significant units in words, truncated: '1 hour 59 minutes'."""
    secs = abs(delta) // timedelta(seconds=1)
    if secs == 0:
        return "less than a second"
    counts = []
    for name, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        n, secs = divmod(secs, size)
        counts.append((n, name))
    first = next(i for i, (n, _) in enumerate(counts) if n)
    words = [f"{n} {name}{'' if n == 1 else 's'}" for n, name in counts[first : first + 2] if n]
    return " ".join(words)


def remaining_phrase(
    closes_at: datetime,
    now: datetime,
    closed_at: datetime | None = None,
    tz: tzinfo | None = None,
) -> str:
    """'closes in 1 hour 59 minutes (18:00 local)' or 'closed 3 minutes ago'."""
    if closed_at is None and now < closes_at:
        local, today = closes_at.astimezone(tz), now.astimezone(tz).date()
        when = f"{local:%H:%M}"
        if local.date() != today:
            year = f" {local.year}" if local.year != today.year else ""
            when = f"{_MONTHS[local.month - 1]} {local.day}{year} {when}"
        # Whole seconds first: a deadline 2 h out, stored to the millisecond and
        # read a moment later, is "2 hours", not "1 hour 59 minutes".
        left = timedelta(seconds=round((closes_at - now).total_seconds()))
        return f"closes in {describe_span(left)} ({when} local)"
    ago = now - (closed_at or closes_at)
    if ago < timedelta(seconds=1):
        return "closed just now"
    return f"closed {describe_span(ago)} ago"

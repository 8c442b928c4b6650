"""Times stored and shown: UTC ISO 8601 in the store, local time with its zone on screen.

Cheap to import, because `votr vote` reaches it; parsing lives in
`timeparse.py`. A `tz` of None means the system's local zone (TZ, else
/etc/localtime), converted by the C library so POSIX TZ rules work too.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def aware(dt: datetime) -> datetime:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"naive datetime {dt!r}: votr only handles aware datetimes")
    return dt


def to_iso(dt: datetime) -> str:
    """Storage form: UTC, milliseconds, offset; fixed width, so it sorts by time."""
    return aware(dt).astimezone(UTC).isoformat(timespec="milliseconds")


def from_iso(text: str) -> datetime:
    """Read the storage form (any ISO 8601 with an offset) as aware UTC."""
    return aware(datetime.fromisoformat(text)).astimezone(UTC)


def utcnow() -> datetime:
    """The one clock votr reads."""
    return datetime.now(UTC)


def log_str(dt: datetime) -> str:
    """The daemon's one zone for every time it logs: '2026-11-25 18:00:00.000 UTC'."""
    return f"{aware(dt).astimezone(UTC):%Y-%m-%d %H:%M:%S}.{dt.microsecond // 1000:03d} UTC"


def abbreviation(local: datetime) -> str:
    """The zone's own name for this instant ('CET'), else its offset ('+05:30')."""
    name = local.tzname()
    if name and not name.startswith("UTC+") and not name.startswith("UTC-"):
        return name
    return offset_str(local.utcoffset() or timedelta(0))


def offset_str(offset: timedelta) -> str:
    minutes = offset // timedelta(minutes=1)
    sign = "-" if minutes < 0 else "+"
    h, m = divmod(abs(minutes), 60)
    return f"{sign}{h:02d}:{m:02d}"


def clock_str(local: datetime, seconds: bool = True) -> str:
    """'18:00', or '18:00:30' when the seconds matter and `seconds` is set."""
    return f"{local:%H:%M:%S}" if seconds and local.second else f"{local:%H:%M}"


def date_str(day: datetime, year: bool = True) -> str:
    return f"{MONTHS[day.month - 1]} {day.day}" + (f" {day.year}" if year else "")


def local_str(dt: datetime, tz: tzinfo | None = None) -> str:
    """An instant in full, in the local zone: 'Nov 25 2026 21:00 CET'."""
    local = aware(dt).astimezone(tz)
    return f"{date_str(local)} {clock_str(local)} {abbreviation(local)}"


def local_near(dt: datetime, now: datetime, tz: tzinfo | None = None, seconds: bool = True) -> str:
    """An instant as seen from `now`: '18:00 CET' today, 'Nov 27 18:00 CET', 'Jan 2 2027 09:00 CET'."""
    local, today = aware(dt).astimezone(tz), now.astimezone(tz)
    when = clock_str(local, seconds)
    if local.date() != today.date():
        when = f"{date_str(local, year=local.year != today.year)} {when}"
    return f"{when} {abbreviation(local)}"


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
    """'closes in 1 hour 59 minutes (18:00 CET)' or 'closed 3 minutes ago'."""
    if closed_at is None and now < closes_at:
        # Whole seconds first: a deadline 2 h out, stored to the millisecond and
        # read a moment later, is "2 hours", not "1 hour 59 minutes".
        left = timedelta(seconds=round((closes_at - now).total_seconds()))
        return f"closes in {describe_span(left)} ({local_near(closes_at, now, tz, seconds=False)})"
    ago = now - (closed_at or closes_at)
    if ago < timedelta(seconds=1):
        return "closed just now"
    return f"closed {describe_span(ago)} ago"

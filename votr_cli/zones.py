"""Zones: what a zone word in a date means, and a wall-clock time read in a zone.

A zone here is a `tzinfo`, or None for the system's local zone. For None the
C library converts (through `datetime.astimezone`), so a POSIX `TZ` rule that
zoneinfo cannot read works as well as an IANA name. Gaps and repeated hours
are found the same way for every zone: PEP 495's `fold` gives two readings of
a wall-clock time, and they differ only around a transition.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import NoReturn

from .errors import TimeParseError
from .timefmt import abbreviation, clock_str, date_str, offset_str

_OFFSET = re.compile(r"(?:utc|gmt)?([+-])(\d{1,2})(?::?(\d\d))?", re.ASCII | re.IGNORECASE)
_IANA = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+)+", re.ASCII)
_ABBREVIATION = re.compile(r"[A-Za-z]{2,6}", re.ASCII)
_SECOND = timedelta(seconds=1)

# What the common abbreviations can mean, to suggest a name that cannot be misread.
_MEANINGS = {
    "IST": "Asia/Kolkata, Europe/Dublin or Asia/Jerusalem",
    "CST": "America/Chicago, Asia/Shanghai or America/Havana",
    "CDT": "America/Chicago or America/Havana",
    "EST": "America/New_York",
    "EDT": "America/New_York",
    "MST": "America/Denver or America/Phoenix",
    "MDT": "America/Denver",
    "PST": "America/Los_Angeles or Asia/Manila",
    "PDT": "America/Los_Angeles",
    "AKST": "America/Anchorage",
    "AKDT": "America/Anchorage",
    "HST": "Pacific/Honolulu",
    "AST": "America/Halifax or Asia/Riyadh",
    "ADT": "America/Halifax",
    "NST": "America/St_Johns",
    "NDT": "America/St_Johns",
    "BST": "Europe/London or Asia/Dhaka",
    "WET": "Europe/Lisbon",
    "WEST": "Europe/Lisbon",
    "CET": "Europe/Berlin or Europe/Paris",
    "CEST": "Europe/Berlin or Europe/Paris",
    "EET": "Europe/Athens or Europe/Helsinki",
    "EEST": "Europe/Athens or Europe/Helsinki",
    "MSK": "Europe/Moscow",
    "SAST": "Africa/Johannesburg",
    "PKT": "Asia/Karachi",
    "JST": "Asia/Tokyo",
    "KST": "Asia/Seoul",
    "HKT": "Asia/Hong_Kong",
    "WIB": "Asia/Jakarta",
    "AWST": "Australia/Perth",
    "ACST": "Australia/Adelaide or Australia/Darwin",
    "ACDT": "Australia/Adelaide",
    "AEST": "Australia/Sydney or Australia/Brisbane",
    "AEDT": "Australia/Sydney",
    "NZST": "Pacific/Auckland",
    "NZDT": "Pacific/Auckland",
}


def local_name(tz: tzinfo | None) -> str:
    """How messages name the zone a time was read in: 'Europe/Berlin', 'UTC+02:00'."""
    if tz is None:
        configured = os.environ.get("TZ")
        if configured is not None:
            configured = configured.removeprefix(":")
            if _IANA.fullmatch(configured) or configured in ("UTC", "GMT"):
                return configured
            return f"the local zone (TZ={configured})" if configured else "UTC"
        try:
            target = os.readlink("/etc/localtime")
        except OSError:
            return "the local zone"
        _, found, name = target.partition("zoneinfo/")
        return name if found else "the local zone"
    key = getattr(tz, "key", None)
    if key:
        return key
    if tz is UTC:
        return "UTC"
    return f"UTC{offset_str(tz.utcoffset(None) or timedelta(0))}"


def to_utc(naive: datetime, tz: tzinfo | None, fold: int = 0) -> datetime:
    """One reading of a wall-clock time; around a transition see `resolve`."""
    local = naive.replace(fold=fold)
    if tz is None:
        return local.astimezone(UTC)
    return local.replace(tzinfo=tz).astimezone(UTC)


def readings(naive: datetime, tz: tzinfo | None) -> list[datetime]:
    """Every instant at which the clocks in `tz` show `naive`: none in a gap, two in a repeated hour."""
    found: list[datetime] = []
    for fold in (0, 1):
        instant = to_utc(naive, tz, fold)
        if instant.astimezone(tz).replace(tzinfo=None) == naive and instant not in found:
            found.append(instant)
    return found


def resolve(naive: datetime, tz: tzinfo | None, typed: str) -> datetime:
    """The one instant a wall-clock time names in `tz`; refuse a skipped or repeated one."""
    try:
        first, second = to_utc(naive, tz, 0), to_utc(naive, tz, 1)
    except (OverflowError, ValueError, OSError):
        raise TimeParseError(f"{typed} is outside the dates votr can handle") from None
    if first == second:
        return first
    early, late = sorted((first, second))
    before, after = _transition(early, late, tz)
    day = date_str(naive)
    where = local_name(tz)
    if early.astimezone(tz).replace(tzinfo=None) == naive:
        # Both readings are real: the clocks went back over this time.
        _refuse_repeated(naive, typed, where, day, early, late, before, after, tz)
    raise TimeParseError(
        f"{typed} does not exist in {where}: on {day} the clocks go forward from "
        f"{clock_str(before)} {abbreviation(before)} straight to {clock_str(after)} {abbreviation(after)}; "
        "give a time before or after the change"
    )


def _refuse_repeated(
    naive: datetime,
    typed: str,
    where: str,
    day: str,
    early: datetime,
    late: datetime,
    before: datetime,
    after: datetime,
    tz: tzinfo | None,
) -> NoReturn:
    wall = f"{naive:%Y-%m-%d} {clock_str(naive)}"
    one, two = early.astimezone(tz), late.astimezone(tz)
    raise TimeParseError(
        f"{typed} happens twice in {where}: on {day} the clocks go back from "
        f"{clock_str(before)} {abbreviation(before)} to {clock_str(after)} {abbreviation(after)}; "
        f"say '{wall} {offset_str(one.utcoffset())}' (the first, {abbreviation(one)}) or "
        f"'{wall} {offset_str(two.utcoffset())}' (the second, {abbreviation(two)})"
    )


def _transition(early: datetime, late: datetime, tz: tzinfo | None) -> tuple[datetime, datetime]:
    """The last second before the change between two instants and the first after it, as local times."""
    start = early.astimezone(tz).utcoffset()
    lo, hi = early, late  # the offset at lo is the old one, at hi the new one
    while hi - lo > _SECOND:
        mid = lo + (hi - lo) // 2
        if mid.astimezone(tz).utcoffset() == start:
            lo = mid
        else:
            hi = mid
    first_after = hi.replace(microsecond=0)
    if first_after.astimezone(tz).utcoffset() == start:
        first_after += _SECOND
    return (first_after - _SECOND).astimezone(tz), first_after.astimezone(tz)


def parse_offset(text: str) -> tzinfo | None:
    """'+01:00', '+0100', '-5', 'UTC+5:30' as a fixed zone; None if `text` is no offset."""
    m = _OFFSET.fullmatch(text)
    if not m:
        return None
    sign, hours, minutes = m.groups()
    offset = timedelta(hours=int(hours), minutes=int(minutes or 0))
    if int(minutes or 0) > 59 or offset > timedelta(hours=14):
        raise TimeParseError(f"'{text}' is not a UTC offset: offsets run from -12:00 to +14:00")
    if sign == "-":
        offset = -offset
        if offset < timedelta(hours=-12):
            raise TimeParseError(f"'{text}' is not a UTC offset: offsets run from -12:00 to +14:00")
    return UTC if not offset else timezone(offset)


def local_abbreviations(tz: tzinfo | None, now: datetime) -> dict[str, set[timedelta]]:
    """The names the local zone gives itself within a year of now, each with its offsets."""
    names: dict[str, set[timedelta]] = {}
    # Transitions are weeks or months apart: a look a day sees every name in use.
    for day in range(-366, 367):
        local = (now + timedelta(days=day)).astimezone(tz)
        name = local.tzname()
        if name and name.isalpha():
            names.setdefault(name.upper(), set()).add(local.utcoffset() or timedelta(0))
    return names


def lookup(word: str, tz: tzinfo | None, now: datetime) -> tzinfo:
    """The zone a zone word names: UTC/GMT, an IANA name, or the local zone's abbreviation."""
    upper = word.upper()
    if upper in ("UTC", "GMT", "Z", "UT"):
        return UTC
    if _IANA.fullmatch(word):
        return _iana(word)
    if not _ABBREVIATION.fullmatch(word):
        raise TimeParseError(f"'{word}' is not a word votr reads in a date")
    offsets = local_abbreviations(tz, now).get(upper)
    if offsets is not None and len(offsets) == 1:
        (offset,) = offsets
        return timezone(offset, upper)
    if offsets is not None:
        shown = " and ".join(sorted(offset_str(o) for o in offsets))
        raise TimeParseError(f"'{word}' has meant {shown} in {local_name(tz)} this year: give the offset instead")
    meaning = _MEANINGS.get(upper)
    if meaning is None:
        raise TimeParseError(
            f"'{word}' is neither a date word nor a zone votr knows; for a zone use an IANA name "
            "such as Europe/Paris, or an offset such as +01:00"
        )
    raise TimeParseError(
        f"'{word}' is ambiguous as a zone, and not an abbreviation of {local_name(tz)}: "
        f"use an IANA name ({meaning}) or an offset{_offset_example(upper, meaning, now)}"
    )


def _offset_example(abbreviation: str, meaning: str, now: datetime) -> str:
    """' such as +05:30': the offset the first zone means by the abbreviation, if it uses it this year."""
    first = meaning.split(",")[0].split(" or ")[0]
    offsets = local_abbreviations(_iana(first), now).get(abbreviation, set())
    return f" such as {offset_str(next(iter(offsets)))}" if len(offsets) == 1 else ""


def _iana(name: str) -> tzinfo:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

    if name.lower().startswith("right/"):
        # Those files count leap seconds: their clocks are not the civil time anyone means.
        raise TimeParseError(f"'{name}' counts leap seconds; use the zone without 'right/', e.g. Europe/Paris")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    known = {key.lower(): key for key in available_timezones()}
    if not known:
        raise TimeParseError(
            f"no time zone database on this system to read '{name}': install your system's tzdata "
            "(or pip install tzdata), or use an offset such as +01:00"
        )
    key = known.get(name.lower())
    if key is None:
        raise TimeParseError(f"'{name}' is not a time zone name; e.g. Europe/Paris or America/New_York")
    return ZoneInfo(key)

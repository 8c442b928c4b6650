from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from votr_cli.timefmt import describe_span, from_iso, local_near, local_str, remaining_phrase, to_iso, utcnow

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # 16:00 in Berlin


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


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
            "closes in 1 hour 59 minutes (16:59 UTC)",
        ),
        (utc(2026, 11, 25, 17), None, BERLIN, "closes in 2 hours (18:00 CET)"),
        # Stored to the millisecond and read a moment later: still "2 hours".
        (NOW + timedelta(hours=2, milliseconds=-1), None, UTC, "closes in 2 hours (16:59 UTC)"),
        # 23:30 UTC is already tomorrow in Berlin.
        (utc(2026, 11, 25, 23, 30), None, BERLIN, "closes in 8 hours 30 minutes (Nov 26 00:30 CET)"),
        (utc(2026, 11, 25, 23, 30), None, UTC, "closes in 8 hours 30 minutes (23:30 UTC)"),
        (utc(2027, 1, 2, 9), None, UTC, "closes in 37 days 18 hours (Jan 2 2027 09:00 UTC)"),
        (NOW - timedelta(minutes=3), None, BERLIN, "closed 3 minutes ago"),
        (NOW, None, BERLIN, "closed just now"),
        (NOW + timedelta(hours=1), NOW - timedelta(hours=2), BERLIN, "closed 2 hours ago"),
    ],
)
def test_remaining_phrase(closes_at, closed_at, tz, phrase) -> None:
    assert remaining_phrase(closes_at, NOW, closed_at=closed_at, tz=tz) == phrase


@pytest.mark.parametrize(
    "when, tz, full, near",
    [
        (utc(2026, 11, 25, 17), BERLIN, "Nov 25 2026 18:00 CET", "18:00 CET"),
        (utc(2026, 7, 1, 16, 0, 30), BERLIN, "Jul 1 2026 18:00:30 CEST", "Jul 1 18:00:30 CEST"),
        (utc(2027, 1, 2, 9), BERLIN, "Jan 2 2027 10:00 CET", "Jan 2 2027 10:00 CET"),
        (utc(2026, 11, 25, 17), ZoneInfo("Asia/Kolkata"), "Nov 25 2026 22:30 IST", "22:30 IST"),
        (utc(2026, 11, 25, 17), ZoneInfo("Australia/Lord_Howe"), "Nov 26 2026 04:00 +11", "04:00 +11"),
        (utc(2026, 11, 25, 17), ZoneInfo("Etc/GMT-3"), "Nov 25 2026 20:00 +03", "20:00 +03"),
    ],
)
def test_local_times_carry_their_zone(when: datetime, tz: ZoneInfo, full: str, near: str) -> None:
    assert local_str(when, tz) == full
    assert local_near(when, NOW, tz) == near


def test_the_system_zone_names_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert remaining_phrase(utc(2026, 11, 25, 23), NOW) == "closes in 8 hours (18:00 EST)"
        assert local_str(utc(2026, 7, 1, 22)) == "Jul 1 2026 18:00 EDT"
    finally:
        monkeypatch.undo()
        time.tzset()

"""Kernel clock: durations, epochs, UTC with leap seconds."""

from __future__ import annotations

import pytest

from houston.core.time import (
    NS_PER_S,
    DurationError,
    Epoch,
    format_duration,
    format_get,
    parse_duration,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("30min", 1800),
        ("2h", 7200),
        ("1d", 86400),
        ("01:30:00", 5400),
        ("1h30min", 5400),
        ("100:00:00", 360000),
        ("00:10", 600),
        ("-00:10:00", -600),
        ("2d 01:00:00", 176400),
        ("45", 45),
        (45, 45),
    ],
)
def test_durations(text: str | int, seconds: int) -> None:
    assert parse_duration(text) == seconds * NS_PER_S


def test_fractional_durations_are_exact_nanoseconds() -> None:
    assert parse_duration("0.1s") == 100_000_000
    assert parse_duration("1.000000001s") == 1_000_000_001
    assert parse_duration("00:00:01.5") == 1_500_000_000


@pytest.mark.parametrize("bad", ["", "abc", "10 parsecs", "1:99:00", "h", True])
def test_bad_durations_say_what_is_expected(bad: object) -> None:
    with pytest.raises(DurationError, match="expected a duration such as"):
        parse_duration(bad)  # type: ignore[arg-type]


def test_format_get() -> None:
    assert format_get(parse_duration("01:02:03")) == "GET 001:02:03"
    assert format_duration(parse_duration("101:00:59")) == "101:00:59"
    assert format_duration(-parse_duration("10s")) == "-000:00:10"


def test_epoch_utc_round_trip() -> None:
    e = Epoch.from_utc("1975-07-17T16:00:00Z")
    assert e.utc_iso(0) == "1975-07-17T16:00:00Z"
    assert e.utc_iso(3600 * NS_PER_S) == "1975-07-17T17:00:00Z"
    assert e.ns_since("1975-07-17T17:00:00Z") == 3600 * NS_PER_S


def test_clock_is_tai_across_a_leap_second() -> None:
    """A leap second was inserted at the end of 1976-12-31 (IERS Bulletin C 12): from
    23:59:59 UTC to 00:00:00 UTC the next day, two seconds of TAI pass."""
    e = Epoch.from_utc("1976-12-31T23:59:59Z")
    assert e.ns_since("1977-01-01T00:00:00Z") == 2 * NS_PER_S
    assert e.utc_iso(2 * NS_PER_S) == "1977-01-01T00:00:00Z"


def test_bad_epoch() -> None:
    with pytest.raises(ValueError, match="ISO 8601"):
        Epoch.from_utc("July 17th")

"""The flight director's log keeps decisions and reports, and each alarm once per level."""

from __future__ import annotations

import pytest

from houston.ops.events import Event, EventKind, Severity
from houston.ops.fdlog import LogFilter


def _limit(seq: int, sev: Severity, level: int, name: str = "base.p") -> Event:
    return Event(
        seq,
        seq,
        0,
        EventKind.LIMIT,
        sev,
        "base",
        f"{name} ...",
        {"parameter": name, "level": level},
    )


def test_limit_chatter_is_dropped_but_escalations_and_recovery_from_warning_are_kept() -> None:
    f = LogFilter()
    seq = [
        (Severity.CAUTION, 1, True),  # first caution
        (Severity.INFO, 0, False),  # back: chatter
        (Severity.CAUTION, 1, False),  # again: chatter
        (Severity.WARNING, 2, True),  # escalation
        (Severity.CAUTION, 1, False),
        (Severity.INFO, 0, True),  # back to normal after a warning closes the alarm
        (Severity.CAUTION, 1, True),  # a new episode
    ]
    for i, (sev, level, shown) in enumerate(seq):
        assert f(_limit(i, sev, level)) is shown, i
    # Another parameter and another run have their own history.
    assert f(_limit(10, Severity.CAUTION, 1, "base.t"))


@pytest.mark.parametrize(
    "kind", [EventKind.TIMELINE, EventKind.COMMAND, EventKind.MODEL, EventKind.FAILURE]
)
def test_decisions_and_reports_are_always_shown(kind: EventKind) -> None:
    e = Event(0, 0, 0, kind, Severity.INFO, "apollo.rendezvous", "DOCKED")
    assert LogFilter()(e) and LogFilter("all")(e) and not LogFilter("none")(e)


def test_unknown_level_is_an_error() -> None:
    with pytest.raises(ValueError, match="expected one of fd, all, none"):
        LogFilter("some")


def test_cli_levels_match_the_filter() -> None:
    from houston.cli.main import LOG_LEVELS
    from houston.ops.fdlog import LEVELS

    assert LOG_LEVELS == LEVELS

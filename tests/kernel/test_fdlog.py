"""The flight director's log keeps decisions and reports, and each alarm once per level."""

from __future__ import annotations

import pytest

from houston.ops.events import Event, EventKind, Severity
from houston.ops.fdlog import LogFilter


def _limit(t_s: float, sev: Severity, level: int, name: str = "base.p") -> Event:
    data = {"parameter": name, "level": level}
    return Event(0, int(t_s * 1e9), 0, EventKind.LIMIT, sev, "base", f"{name} ...", data)


def test_limit_chatter_is_dropped_but_escalations_and_the_end_of_an_episode_are_kept() -> None:
    f = LogFilter(hold_s=300.0)
    seq = [
        (0, Severity.CAUTION, 1, True),  # an episode starts
        (20, Severity.INFO, 0, False),  # back after 20 s: chatter
        (40, Severity.CAUTION, 1, False),  # again: chatter
        (60, Severity.WARNING, 2, True),  # escalation
        (80, Severity.CAUTION, 1, False),
        (200, Severity.INFO, 0, False),  # 140 s after the last shown event: still chatter
        (300, Severity.WARNING, 2, False),
        (400, Severity.INFO, 0, True),  # 340 s after it: the episode ends, shown
        (420, Severity.CAUTION, 1, True),  # a new episode
    ]
    for i, (t, sev, level, shown) in enumerate(seq):
        assert f(_limit(t, sev, level)) is shown, i
    # Another parameter has its own episode.
    assert f(_limit(430, Severity.CAUTION, 1, "base.t"))


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

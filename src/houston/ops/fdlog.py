"""The flight director's log: which events of a run the printed mission timeline shows.

A night of The Grey logs thousands of limit transitions (a temperature that hovers at its
caution limit crosses it every few seconds); a flight director's log keeps what a person
reads: what was decided (timeline entries, commands and their refusals, failures and
repairs), what the vehicles and the base report (AOS, LOS, docking, core damage, a crew
member's condition), and each alarm the first time it rises to a level, not every crossing.

:class:`LogFilter` keeps, per parameter, the highest limit level already logged; a limit
event is shown when it raises that level (``caution`` then ``warning``), and its return to
normal is shown only after a warning. ``--log all`` on the command line shows everything.
"""

from __future__ import annotations

from houston.ops.events import Event, EventKind, Severity

__all__ = ["LEVELS", "LogFilter"]

#: How much of the log to print: ``fd`` (the flight director's log), ``all``, ``none``.
LEVELS = ("fd", "all", "none")

_RANK = {Severity.INFO: 0, Severity.CAUTION: 1, Severity.WARNING: 2}
_ALWAYS = frozenset(
    {
        EventKind.TIMELINE,
        EventKind.COMMAND,
        EventKind.COMMAND_REJECTED,
        EventKind.FAILURE,
        EventKind.REPAIR,
        EventKind.MODEL,
        EventKind.ALARM,
        EventKind.SESSION,
    }
)


class LogFilter:
    """Decides, event by event, what the printed timeline shows (module docstring)."""

    def __init__(self, level: str = "fd") -> None:
        if level not in LEVELS:
            raise ValueError(f"log level {level!r}: expected one of {', '.join(LEVELS)}")
        self.level = level
        self._highest: dict[tuple[int, str], int] = {}

    def __call__(self, e: Event) -> bool:
        if self.level != "fd":
            return self.level == "all"
        if e.kind in _ALWAYS:
            return True
        if e.kind != EventKind.LIMIT:
            return True
        key = (e.run, str(e.data.get("parameter", e.message.split(" ", 1)[0])))
        rank = _RANK.get(Severity(e.severity), 0)
        seen = self._highest.get(key, 0)
        if rank > seen:
            self._highest[key] = rank
            return True
        # A return to normal after a warning closes the alarm; chatter below that is dropped.
        if rank == 0 and seen == 2:
            self._highest[key] = -1
            return True
        return False

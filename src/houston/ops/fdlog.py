"""The flight director's log: which events of a run the printed mission timeline shows.

A night of The Grey logs thousands of limit transitions (a temperature that hovers at its
caution limit crosses it every few seconds); a flight director's log keeps what a person
reads: what was decided (timeline entries, commands and their refusals, failures and
repairs), what the vehicles and the base report (AOS, LOS, docking, core damage, a crew
member's condition), and each alarm the first time it rises to a level, not every crossing.

:class:`LogFilter` keeps, per parameter, an alarm *episode*: the first limit event of an
episode is shown, and then only escalations (caution to warning). A return to normal ends the
episode (and is shown) only once the episode has lasted ``hold_s`` since its last shown event;
earlier returns are chatter around a limit and are dropped, as are the crossings that follow
them at a level already shown. ``--log all`` on the command line shows everything.
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

    def __init__(self, level: str = "fd", hold_s: float = 300.0) -> None:
        if level not in LEVELS:
            raise ValueError(f"log level {level!r}: expected one of {', '.join(LEVELS)}")
        self.level = level
        self.hold_ns = int(hold_s * 1e9)
        # (run, parameter) -> (highest level shown in the episode, time of the last shown event)
        self._episode: dict[tuple[int, str], tuple[int, int]] = {}

    def __call__(self, e: Event) -> bool:
        if self.level != "fd":
            return self.level == "all"
        if e.kind in _ALWAYS:
            return True
        if e.kind != EventKind.LIMIT:
            return True
        key = (e.run, str(e.data.get("parameter", e.message.split(" ", 1)[0])))
        rank = _RANK.get(Severity(e.severity), 0)
        shown, since = self._episode.get(key, (0, 0))
        if rank > shown:
            self._episode[key] = (rank, e.t_ns)
            return True
        if rank == 0 and shown > 0 and e.t_ns - since >= self.hold_ns:
            del self._episode[key]
            return True
        return False

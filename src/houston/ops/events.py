"""The typed event log: what happened, when, to which run, and how serious it is."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class EventKind(StrEnum):
    """What kind of thing an event records."""

    SESSION = "session"  # started, paused, resumed, checkpointed, interrupted, ended
    TIMELINE = "timeline"  # a scenario entry that narrates (an ``event`` entry)
    COMMAND = "command"  # a command applied
    COMMAND_REJECTED = "command-rejected"  # a command refused, with the reason
    FAILURE = "failure"  # a failure injected
    REPAIR = "repair"  # a failure cleared
    LIMIT = "limit"  # a parameter crossed a caution or warning limit, or came back
    ALARM = "alarm"  # an alarm acknowledged
    MODEL = "model"  # something a model reports (hatch opened, burn complete)


class Severity(StrEnum):
    INFO = "info"
    CAUTION = "caution"
    WARNING = "warning"


@dataclass(frozen=True)
class Event:
    """One entry of the event log. ``run`` is the run's index in its batch."""

    seq: int
    t_ns: int
    run: int
    kind: EventKind
    severity: Severity
    source: str
    message: str
    data: dict[str, Any] = field(default_factory=dict)


class EventLog:
    """Events in the order they happened; ``drain`` hands new ones to the sinks."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._next_seq = 0
        self._drained = 0

    def add(
        self,
        t_ns: int,
        run: int,
        kind: EventKind,
        severity: Severity | str,
        source: str,
        message: str,
        data: dict[str, Any] | None = None,
    ) -> Event:
        e = Event(self._next_seq, t_ns, run, kind, Severity(severity), source, message, data or {})
        self._next_seq += 1
        self.events.append(e)
        return e

    def drain(self) -> list[Event]:
        new = self.events[self._drained :]
        self._drained = len(self.events)
        return new

    @property
    def next_seq(self) -> int:
        return self._next_seq

    def restore_counter(self, next_seq: int) -> None:
        self._next_seq = next_seq
        self._drained = len(self.events)

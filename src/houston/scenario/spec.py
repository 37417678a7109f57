"""The typed world a scenario file describes, after validation (all values in SI)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from houston.core.model import Limits
from houston.core.time import Epoch

EntryKind = Literal["failure", "repair", "command", "event"]

#: Order of timeline entries that fall at the same instant: failures first (the world
#: changes), then repairs, then commands (people react), then plain events (narration).
ENTRY_PRIORITY: dict[str, int] = {"failure": 0, "repair": 1, "command": 2, "event": 3}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario: where it is and what was expected."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class ScenarioError(Exception):
    """A scenario that cannot be run; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class SystemSpec:
    """One model instance: ``path`` is ``asset.system`` (``apollo.orbit``)."""

    path: str
    type_name: str
    params: dict[str, Any]
    inputs: dict[str, str] = field(default_factory=dict)
    limits: dict[str, Limits] = field(default_factory=dict)
    description: str = ""
    #: How often the session steps it (``step = "10s"``); None: every frame. A positive
    #: multiple of the frame (see ``houston.session.session``).
    step_ns: int | None = None

    @property
    def asset(self) -> str:
        return self.path.split(".", 1)[0]


@dataclass(frozen=True)
class EntrySpec:
    """A timeline entry: at ``t_ns`` after the epoch, do ``kind`` ``name`` to ``target``."""

    t_ns: int
    kind: EntryKind
    name: str
    target: str | None
    args: dict[str, Any]
    note: str
    seq: int
    runs: tuple[int, ...] | None = None
    origin: str = "timeline"
    via: str = "onboard"  # "ground": a command sent from the ground, over the uplink

    @property
    def sort_key(self) -> tuple[int, int, int]:
        return (self.t_ns, ENTRY_PRIORITY[self.kind], self.seq)


DecisionValue = str | bool | int | float


def decision_kind(value: Any) -> str | None:
    """The kind of a decision value: ``"bool"``, ``"number"`` or ``"text"`` (None: not one)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "text"
    return None


def format_decision(value: Any) -> str:
    """A decision value as the scenario file writes it (``"abort"``, ``true``, ``3``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return f"{value:g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class DecisionSpec:
    """A named choice of the scenario (``[decision]``), with the value this world was built with.

    ``options`` are the allowed values (empty: any value of the kind; a yes/no decision is
    ``(False, True)``); ``default`` is the value the file gives, before ``--set``. ``entries``
    counts the timeline entries whose ``when`` names the decision, ``enabled`` those of them
    that are in this world (their whole condition holds).
    """

    name: str
    value: DecisionValue
    default: DecisionValue
    options: tuple[DecisionValue, ...] = ()
    description: str = ""
    entries: int = 0
    enabled: int = 0

    @property
    def kind(self) -> str:
        kind = decision_kind(self.value)
        assert kind is not None
        return kind


@dataclass(frozen=True)
class World:
    """A validated scenario."""

    name: str
    description: str
    epoch: Epoch
    duration_ns: int
    frame_ns: int
    systems: tuple[SystemSpec, ...]
    timeline: tuple[EntrySpec, ...]
    source: str
    text: str
    overrides: tuple[str, ...] = ()
    assets: dict[str, str] = field(default_factory=dict)
    #: asset -> the system whose ``link_up`` and ``light_time_s`` outputs carry its telemetry
    #: to the ground and the ground's commands to it (assets without one are heard directly).
    downlinks: dict[str, str] = field(default_factory=dict)
    #: The scenario's named choices (``[decision]``), in the file's order.
    decisions: tuple[DecisionSpec, ...] = ()

    def system(self, path: str) -> SystemSpec:
        for s in self.systems:
            if s.path == path:
                return s
        raise KeyError(path)

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

    def system(self, path: str) -> SystemSpec:
        for s in self.systems:
            if s.path == path:
                return s
        raise KeyError(path)

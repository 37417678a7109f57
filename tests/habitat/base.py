"""Scenario text and a recording sink shared by the habitat and crew model tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from houston.scenario.loader import loads
from houston.session.session import Session

HEADER = """
[scenario]
name = "{name}"
description = "test base"
epoch_utc = "1983-06-01T00:00:00Z"
duration = "{duration}"
"""

#: A module, a lab and an airlock; a hatch between the modules, an inner and an outer hatch.
BASE = """
[assets.base.hab]
model = "habitat.gas_network"
tanks = {{}}
{hab_extra}
[assets.base.hab.nodes.hab]
volume_m3 = 100
[assets.base.hab.nodes.lab]
volume_m3 = 80
[assets.base.hab.nodes.airlock]
volume_m3 = 5
{airlock_extra}
[assets.base.hab.hatches.hab_lab]
a = "hab"
b = "lab"
state = "{hab_lab}"
[assets.base.hab.hatches.inner]
a = "hab"
b = "airlock"
state = "{inner}"
[assets.base.hab.hatches.outer]
a = "airlock"
b = "outside"
state = "{outer}"
[assets.base.hab.valves.depress]
a = "airlock"
area_cm2 = 20
"""

CREW = """
[assets.base.crew]
model = "crew.team"
nodes = ["hab", "lab", "airlock"]
sites = ["panel"]
inputs = {{ node_pressure_Pa = "base.hab.node_pressure_Pa", node_ppo2_Pa = "base.hab.node_ppo2_Pa", hatch_state = "base.hab.hatch_state" }}
[assets.base.crew.hatches.hab_lab]
a = "hab"
b = "lab"
distance_m = 8
[assets.base.crew.hatches.inner]
a = "hab"
b = "airlock"
distance_m = 6
[assets.base.crew.hatches.outer]
a = "airlock"
b = "outside"
distance_m = 2
[assets.base.crew.paths.road]
from = "airlock"
to = "panel"
distance_m = {path_m}
[assets.base.crew.tasks.cable_swap]
site = "panel"
duration_s = {task_s}
{people}
"""


def person(name: str, node: str, pace: float = 1.0, suit_mm2: float | None = None) -> str:
    text = f'[assets.base.crew.people.{name}]\nnode = "{node}"\npace_m_s = {pace}\n'
    if suit_mm2 is not None:
        text += f"suit = true\nsuit_worn = true\nsuit_leak_area_mm2 = {suit_mm2}\n"
    return text


def entry(at: str, target: str, kind: str, name: str, **args: Any) -> str:
    text = f'[[timeline]]\nat = "{at}"\ntarget = "base.{target}"\n{kind} = "{name}"\n'
    for k, v in args.items():
        text += f"{k} = {v!r}\n".replace("'", '"')
    return text


def scenario(
    duration: str = "5min",
    *,
    crew: Sequence[str] = (),
    entries: Sequence[str] = (),
    hab_lab: str = "OPEN",
    inner: str = "CLOSED",
    outer: str = "CLOSED",
    hab_extra: str = "",
    airlock_extra: str = "",
    path_m: float = 100.0,
    task_s: float = 60.0,
    name: str = "test-base",
) -> str:
    text = HEADER.format(name=name, duration=duration)
    text += BASE.format(
        hab_lab=hab_lab, inner=inner, outer=outer, hab_extra=hab_extra, airlock_extra=airlock_extra
    )
    if crew:
        text += CREW.format(path_m=path_m, task_s=task_s, people="".join(crew))
    return text + "".join(entries)


class Recorder:
    """A sink that keeps every frame and event in memory."""

    def __init__(self) -> None:
        self.t_s: list[float] = []
        self.frames: list[np.ndarray] = []
        self.log: list[Any] = []

    def begin(self, session: Session) -> None:
        self.catalog = session.catalog

    def frame(self, t_ns: int, values: np.ndarray) -> None:
        self.t_s.append(t_ns * 1e-9)
        self.frames.append(values.copy())

    def events(self, events: Sequence[Any]) -> None:
        self.log.extend(events)

    def commands(self, records: Sequence[Any]) -> None:
        pass

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def series(self, name: str, run: int = 0) -> np.ndarray:
        col = self.catalog.index[name]
        return np.array([f[run, col] for f in self.frames])

    @property
    def times(self) -> np.ndarray:
        return np.array(self.t_s)


def run(
    text: str, *, batch: int = 1, seed: int = 0, until_s: float | None = None
) -> tuple[Session, Recorder]:
    """Run scenario text to its end (or ``until_s``); returns the session and its recording."""
    rec = Recorder()
    session = Session(loads(text, "test.toml"), seed=seed, batch=batch, sinks=[rec])
    session.run(None if until_s is None else int(until_s * 1e9))
    return session, rec


def messages(session: Session, kind: str | None = None, run: int = 0) -> list[tuple[float, str]]:
    """(time s, message) of the events of one run, optionally of one kind."""
    return [
        (e.t_ns * 1e-9, e.message)
        for e in session.log.events
        if e.run in (run, -1) and (kind is None or e.kind == kind)
    ]

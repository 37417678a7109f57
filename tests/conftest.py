"""Shared fixtures: a small deterministic model for kernel tests (no physics needed)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest

from houston.core.model import (
    Command,
    CommandRejected,
    Failure,
    Limits,
    Model,
    Param,
    Signal,
    State,
    StepContext,
    Telemetry,
    register,
)


@register
class Tank(Model):
    """A tank whose level integrates a commanded rate plus noise: exercises every contract
    element (params with units, state, an output, an optional input, limits, commands,
    failures, random numbers, model events)."""

    type_name = "test.tank"
    summary = "test model: a level that integrates a rate"
    params = (
        Param("level0", "m", "initial level", 10.0, min=0.0),
        Param("rate", "m_s", "initial rate", 0.0),
        Param("noise", "m", "sensor noise (1 sigma)", 0.0, min=0.0),
    )
    states = (State("level", "m"), State("rate", "m_s"), State("reading", "m"))
    inputs = (Signal("inflow_m_s", "m_s", (), "extra rate", optional=True, default=0.0),)
    outputs = (
        Signal("level_m", "m", (), "true level"),
        Signal("outflow_m_s", "m_s", (), "rate at which the level falls"),
    )
    telemetry = (
        Telemetry(
            "level_m",
            "m",
            "tank level reading",
            Limits(caution_low=5.0, warning_low=2.0, caution_high=50.0, persistence=1),
        ),
        Telemetry("rate_m_s", "m_s", "commanded rate"),
        Telemetry("valve", "1", "valve state", kind="enum", states=("OK", "STUCK")),
    )
    commands = (Command("set_rate", "set the rate", (Param("rate", "m_s", "new rate"),)),)
    failures = (Failure("stuck", "the valve is stuck: rate commands are refused"),)

    def initialize(self, ctx: StepContext) -> None:
        self.state["level"][:] = self.p["level0"]
        self.state["rate"][:] = self.p["rate"]
        self._read(ctx)

    def _read(self, ctx: StepContext) -> None:
        noise = self.p["noise"] * ctx.random.normal("sensor") if self.p["noise"] else 0.0
        self.state["reading"][:] = self.state["level"] + noise

    def step(self, ctx: StepContext) -> None:
        before = self.state["level"].copy()
        self.state["level"] += (self.state["rate"] + ctx.inputs["inflow_m_s"]) * ctx.dt_s
        self._read(ctx)
        empty = (before > 0) & (self.state["level"] <= 0)
        ctx.emit("tank empty", empty, "warning")

    def output_values(self) -> Mapping[str, Any]:
        return {"level_m": self.state["level"], "outflow_m_s": -self.state["rate"]}

    def telemetry_values(self) -> Mapping[str, Any]:
        return {
            "level_m": self.state["reading"],
            "rate_m_s": self.state["rate"],
            "valve": self.failed("stuck").astype(float),
        }

    def command(self, name: str, args: Mapping[str, Any], mask: Any) -> str | None:
        if self.failed("stuck")[mask].all():
            raise CommandRejected("valve stuck")
        ok = mask & ~self.failed("stuck")
        self.state["rate"][ok] = args["rate"]
        return f"rate {args['rate']:g} m/s"


TANK_SCENARIO = """
[scenario]
name = "tanks"
description = "two tanks for kernel tests"
epoch_utc = "1985-07-17T16:00:00Z"
duration = "2min"
frame = "1s"

[assets.a]
description = "tank a"

[assets.a.tank]
model = "test.tank"
level0_m = 10.0
rate_m_s = -0.1
noise_m = 0.05

[assets.b.tank]
model = "test.tank"
level0_m = 20
inputs = { inflow_m_s = "a.tank.outflow_m_s" }

[[timeline]]
at = "30s"
target = "a.tank"
command = "set_rate"
rate_m_s = -0.2

[[timeline]]
at = "60s"
target = "a.tank"
failure = "stuck"

[[timeline]]
at = "70s"
target = "a.tank"
command = "set_rate"
rate_m_s = 0.5

[[timeline]]
at = "80s"
target = "a.tank"
repair = "stuck"

[[timeline]]
at = "85.5s"
target = "a.tank"
command = "set_rate"
rate_m_s = 0.0
"""


@pytest.fixture
def tank_text() -> str:
    return TANK_SCENARIO


@pytest.fixture
def tank_world() -> Any:
    from houston.scenario.loader import loads

    return loads(TANK_SCENARIO, "tanks.toml")


def tables_equal(a: Any, b: Any) -> bool:
    """Two archives hold identical contents, table by table."""
    for name in ("scenario", "parameters", "telemetry", "events", "commands"):
        ta, tb = a.table(name), b.table(name)
        if not ta.equals(tb):
            return False
    return True


@pytest.fixture
def np_rng() -> np.random.Generator:
    return np.random.default_rng(1)


@register
class Rooms(Model):
    """Rooms whose telemetry and output shapes depend on the scenario: one pressure per room
    (a records parameter), and an input of that same shape."""

    type_name = "test.rooms"
    summary = "test model: one pressure per named room"
    params = (
        Param(
            "rooms",
            description="the rooms",
            kind="records",
            fields=(
                Param("volume", "m3", "room volume", min=0.0),
                Param("pressure", "Pa", "initial pressure", 101325.0, min=0.0),
            ),
        ),
        Param("crew", description="people aboard", default=[], kind="strings"),
    )

    def __init__(self, path: str, params: Mapping[str, Any], batch: int) -> None:
        rooms = params["rooms"]
        if not rooms:
            raise ValueError("at least one room is needed")
        n = len(rooms)
        self.states = (State("p", "Pa", (n,)),)
        self.outputs = (Signal("pressure_Pa", "Pa", (n,), "room pressures"),)
        self.inputs = (Signal("leak_Pa_s", "1", (n,), "pressure change", optional=True),)
        self.telemetry = tuple(
            Telemetry(
                f"{name}_pressure_Pa",
                "Pa",
                f"pressure in {name}",
                Limits(caution_low=90e3),
                display_unit="kPa",
            )
            for name in rooms
        )
        super().__init__(path, params, batch)

    def initialize(self, ctx: StepContext) -> None:
        self.state["p"][:] = [r["pressure"] for r in self.p["rooms"].values()]

    def step(self, ctx: StepContext) -> None:
        self.state["p"] += ctx.inputs["leak_Pa_s"] * ctx.dt_s

    def output_values(self) -> Mapping[str, Any]:
        return {"pressure_Pa": self.state["p"]}

    def sample(self, out: np.ndarray) -> None:
        out[:] = self.state["p"]


@register
class Radio(Model):
    """A link with a fixed light time that a failure can cut (for downlink tests)."""

    type_name = "test.radio"
    summary = "test model: a radio link with a light time"
    params = (Param("light_time", "s", "one-way light time", 1.25, min=0.0),)
    outputs = (
        Signal("link_up", "1", (), "1 when the link is up"),
        Signal("light_time_s", "s", (), "one-way light time"),
    )
    telemetry = (Telemetry("link", "1", "link state", kind="enum", states=("DOWN", "UP")),)
    failures = (Failure("los", "loss of signal"),)

    def step(self, ctx: StepContext) -> None:
        pass

    def output_values(self) -> Mapping[str, Any]:
        return {
            "link_up": (~self.failed("los")).astype(float),
            "light_time_s": np.full(self.batch, self.p["light_time"]),
        }

    def telemetry_values(self) -> Mapping[str, Any]:
        return {"link": (~self.failed("los")).astype(float)}


# Property tests draw the same examples on every run: a failure reproduces, and CI does not
# depend on luck.
from hypothesis import settings  # noqa: E402

settings.register_profile("houston", derandomize=True, database=None)
settings.load_profile("houston")

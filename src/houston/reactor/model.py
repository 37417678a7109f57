"""The surface fission reactor as a kernel model: ``reactor.fission_surface``.

One instance is one reactor with its own loop. Physics in :mod:`houston.reactor.plant` (point
kinetics, ANS-5.1-1979 decay heat, temperature feedback, control drums, the primary pump and
the lumped NaK loop), the countdown in :mod:`houston.reactor.prediction`, the bundled
parameter set in :mod:`houston.reactor.design`.

Controllers (what each does)
----------------------------
* **Primary computer**: runs the plant. It drives the primary pump through its own cables,
  and regulates the drums toward the power demand by a cascade: the measured power through a
  10 s filter, beyond a 1 % band, asks for a reactivity (at most +8 cents: the period
  limiter), and the drums are driven toward it on the reactivity meter (REGULATION_*);
  withdrawal is blocked while the measured primary flow is below 90 % of rated, and the
  drums go in above +10 cents. It is the control system, not the protection system: it never
  scrams by itself, though it executes a commanded scram.
* **Backup computer**: the reactor protection system when it is connected to this reactor
  (``connect_backup``): it scrams automatically on high fuel temperature, high core outlet
  temperature, low primary flow or high power, and executes commanded scrams; if the primary
  computer is lost it holds the drums. One backup computer may serve one reactor at a time: a
  scenario with two reactors wires each one's ``backup_in_use`` output to the other's
  ``backup_elsewhere`` input. The backup computer can also drive this reactor's primary pump,
  but only through the **cross-connect**: cables from the backup computer to the primary loop
  pump that a crew restores outside (the optional input ``cross_connect_restored``, or the
  ``restore_cross_connect`` command to simulate the crew task in tests).
* **No controller connected** (primary computer lost or its pump cables cut, backup not
  connected and the cross-connect open): the pump has no drive and runs down, the drums stay
  where they are, and nothing scrams the reactor automatically. A commanded scram is refused:
  no computer can release the drums.

Damage
------
``CORE_DAMAGE`` when the cladding reaches the NaK-78 boiling point (coolant boiling at the
cladding surface: the channel dries out and the cladding fails); ``MELTDOWN`` when the
cladding and structure reach the solidus of type 316 stainless steel or the fuel its melting
point. Both latch and are reported as model events. Consequences published as telemetry:
``site_status`` goes from ``HABITABLE`` to ``RESTRICTED`` (fission products released into the
primary coolant: the loop and its surroundings are a radiation area) and to ``UNINHABITABLE``
(the primary boundary is breached by molten core: the site is contaminated). Past core damage
the lumped liquid-coolant model is outside its validity (no boiling, no relocation): the
temperatures it shows are indications only.

Sub-steps
---------
A step longer than ``max_substep`` (1 s; a system with ``step = "10s"``) is taken in sub-steps
of at most that, each what a frame of its length is (the sensors' draws keyed by its start),
in one compiled call (:func:`houston.reactor.kernels.substep_packed`); a calm plant (quiet,
drums at rest, pump steady) takes its whole step at once. See :meth:`SurfaceReactor.step`.

Prediction
----------
``time_to_core_damage_s`` is recomputed every ``prediction_interval`` seconds (and in the
frame after any command or failure) by integrating the present state forward with the plant's
own equations (:mod:`houston.reactor.prediction`); between recomputations it counts down.
``time_to_core_damage_early_s`` / ``_late_s`` bound it for feedback coefficients off by
``feedback_uncertainty``. ``inf`` means no damage within ``prediction_horizon``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from houston.core.model import (
    Command,
    CommandRejected,
    Failure,
    Limits,
    Model,
    ModelRandom,
    Param,
    Signal,
    State,
    StepContext,
    Telemetry,
)
from houston.core.random import _MASK, BatchRandom, _mix_int, stream_key
from houston.core.sensors import SensorFaults, SensorSpec, read, vote
from houston.core.time import format_get
from houston.reactor import decay_heat as dh
from houston.reactor import design, kernels
from houston.reactor.loop import (
    N_NODES,
    C,
    D,
    F,
    H,
    K,
    R,
    S,
    X,
    steady_state_K,
    stored_energy_J,
)
from houston.reactor.plant import (
    DECAY_ALPHA_OVER_LAMBDA,
    DECAY_SHARE,
    Drive,
    PlantState,
    advance,
    initial_state,
    kernel_params,
)
from houston.reactor.prediction import time_to_damage_s

Array = NDArray[np.float64]
D_ = design.DEFAULTS

SCRAM_CAUSES: Final = (
    "NONE",
    "MANUAL",
    "HIGH_FUEL_TEMPERATURE",
    "HIGH_OUTLET_TEMPERATURE",
    "LOW_FLOW",
    "HIGH_POWER",
)
DRIVERS: Final = ("NONE", "PRIMARY", "BACKUP")
DAMAGE_STATES: Final = ("OK", "CORE_DAMAGE", "MELTDOWN")
SITE_STATES: Final = ("HABITABLE", "RESTRICTED", "UNINHABITABLE")
#: Measured primary flow below which the primary computer blocks drum withdrawal.
WITHDRAWAL_BLOCK_FLOW: Final = 0.9
#: Time constant of the filter on the measured power the regulation acts on, s.
REGULATION_FILTER_S: Final = 10.0
#: The regulation is a cascade on the reactivity meter: the power error (demand minus the
#: filtered measured power, a fraction of rated) asks for REGULATION_GAIN_DOLLARS of reactivity
#: per unit, held between REGULATION_LOWEST_DOLLARS and REGULATION_WITHDRAW_DOLLARS (the period
#: limiter: +8 cents is a stable period of about 2 minutes), and the drums are driven toward
#: that reactivity, at full speed once the meter is REGULATION_FULL_SPEED_DOLLARS from it, not
#: at all within REGULATION_DEADBAND_DOLLARS; above REGULATION_INSERT_DOLLARS they go in at full
#: speed whatever the demand. A steady power needs zero reactivity, so the power settles where
#: the demand asks for none: on the demand, within the deadband over the gain (0.2 %).
REGULATION_BAND: Final = 0.01
REGULATION_GAIN_DOLLARS: Final = 1.0
REGULATION_LOWEST_DOLLARS: Final = -0.5
REGULATION_WITHDRAW_DOLLARS: Final = 0.08
REGULATION_FULL_SPEED_DOLLARS: Final = 0.05
REGULATION_DEADBAND_DOLLARS: Final = 0.002
REGULATION_INSERT_DOLLARS: Final = 0.10
#: A step is quiet (a steady state: the countdown is inf without integrating) when no node
#: temperature moved faster than this (K/s) and the power not faster than QUIET_POWER_S (1/s).
QUIET_K_S: Final = 1e-3
QUIET_POWER_S: Final = 1e-5

#: Sensors: name -> number of redundant channels. Their specifications depend on the rated
#: flow and power and are built per instance (:meth:`SurfaceReactor._sensor_specs`).
SENSORS: Final = {
    "fuel_tc": 3,
    "clad_tc": 1,
    "outlet_tc": 1,
    "inlet_tc": 1,
    "secondary_tc": 1,
    "radiator_tc": 1,
    "flow": 1,
    "power": 3,
    "pump_speed": 1,
    "electric": 1,
}


#: What each sensor measures: a loop node, or a code past them (see kernels.read_sensors).
_SOURCES: Final = {
    "fuel_tc": F,
    "clad_tc": S,
    "outlet_tc": C,
    "inlet_tc": K,
    "secondary_tc": D,
    "radiator_tc": R,
    "flow": N_NODES,
    "power": N_NODES + 1,
    "pump_speed": N_NODES + 2,
    "electric": N_NODES + 3,
}
#: The faults a channel can have (kernels.read_sensors): the flowmeter and the fuel
#: thermocouples can stick.
_FAULTS: Final = {"flow": 1, "fuel_tc": 2}
#: Per channel (in SENSORS order): the sensor's index, its column, its source and its fault.
_CHANNEL_MAP: Final = np.array(
    [
        (s, col, _SOURCES[name], _FAULTS.get(name, 0))
        for s, (name, ch) in enumerate(SENSORS.items())
        for col in range(ch)
    ],
    dtype=np.int64,
).T.copy()
_N_CHANNELS: Final = sum(SENSORS.values())
_SENSOR_NAMES: Final = tuple(SENSORS)
_DRIFT_KEYS: Final = tuple(f"sensor.{name}.drift" for name in SENSORS)
_LAST_KEYS: Final = tuple(f"sensor.{name}.last" for name in SENSORS)
_READING_KEYS: Final = tuple(f"sensor.{name}.reading" for name in SENSORS)
_MID: Final = {name: s for s, name in enumerate(SENSORS)}
_TRIP_COLUMNS: Final = np.array([_MID[n] for n in ("fuel_tc", "outlet_tc", "flow", "power")])


#: The counter multiplier of houston.core.random's keys (a draw's key mixes its stream's key
#: with the counter times this).
_COUNTER_MULTIPLIER: Final = 0xD1B54A32D192ED03


class _State(dict[str, NDArray[Any]]):
    """A model's state in which the states of each group (names, dtype) are views of one
    packed ``(batch, columns)`` buffer, in the group's order (the compiled step then takes a
    few buffers instead of a hundred arrays). Assigning a packed state copies the values
    into its view (a restored checkpoint assigns every state), so the buffers stay the
    state's; assigning any other is counted, so that the compiled step's arguments, built
    once from the arrays, are built again."""

    def __init__(
        self,
        state: Mapping[str, NDArray[Any]],
        batch: int,
        groups: tuple[tuple[tuple[str, ...], Any], ...],
    ) -> None:
        super().__init__(state)
        self.assigned = 0
        self.batch = batch
        self.groups = groups
        self.packed: set[str] = set()
        self.buffers: list[NDArray[Any]] = []
        self.offsets: list[NDArray[np.int64]] = []
        for names, dtype in groups:
            widths = [int(np.prod(state[x].shape[1:])) for x in names]
            off = np.cumsum([0, *widths]).astype(np.int64)
            buf = np.zeros((batch, int(off[-1])), dtype=dtype)
            for x, start, width in zip(names, off, widths, strict=False):
                old = state[x]
                view = buf[:, start] if old.ndim == 1 else buf[:, start : start + width]
                view[...] = old
                dict.__setitem__(self, x, view)
                self.packed.add(x)
            self.buffers.append(buf)
            self.offsets.append(off)

    def __reduce__(self) -> tuple[Any, ...]:
        """Copied or pickled as a new packed state with the same values."""
        return (_State, ({k: np.array(v) for k, v in self.items()}, self.batch, self.groups))

    def __setitem__(self, name: str, value: NDArray[Any]) -> None:
        if name in self.packed:
            target = dict.__getitem__(self, name)
            value = np.asarray(value)
            if value.shape != target.shape:
                raise ValueError(f"state {name!r}: shape {value.shape}, expected {target.shape}")
            target[...] = value
            return
        super().__setitem__(name, value)
        self.assigned += 1

    def update(self, *args: Any, **kw: Any) -> None:
        for name, value in dict(*args, **kw).items():
            self[name] = value


@dataclass
class _StepBuffers:
    """What :meth:`SurfaceReactor.step` passes the compiled step for steps of ``span_ns``:
    the sub-steps' bounds (``parts + 1`` offsets from the step's start) and lengths, the sensors' draws (or their
    uniforms' ``log`` and ``cos``), the calm rows, the events' sub-steps and the state and
    constant arrays (:func:`houston.reactor.kernels.substep_packed`), the arrays that say who
    drives the pump and the drums (:func:`houston.reactor.kernels.drivers_from_inputs`) and
    the key of the sensors' stream with room for its draws' keys (and the views of the first
    sub-step's), and the compiled kernels the step calls."""

    span_ns: int
    assigned: int
    parts: int
    offsets: list[int]
    h: Array
    normal: Array
    log_u1: Array
    cos_angle: Array
    calm: NDArray[np.bool_]
    when: NDArray[np.int64]
    head: tuple[Array, Array, Array]
    args: tuple[Any, ...]
    drivers: tuple[NDArray[Any], ...]
    stream_key: int
    keys: NDArray[np.uint64]
    first_draw: tuple[NDArray[np.uint64], Array, Array]
    substep: Any
    uniform_halves: Any
    drivers_from_inputs: Any


def _nan_to_num(x: Array) -> Array:
    """``numpy.nan_to_num(x, nan=0.0)``, without its cost when every value is finite."""
    if np.isfinite(x).all():
        return x
    return np.nan_to_num(x, nan=0.0)


def _mid_value(readings: Array) -> tuple[Array, Array]:
    """Mid-value select of redundant channels ``(batch, channels)`` and the largest
    disagreement from it: :func:`houston.core.sensors.vote`, with a fast path for one or three
    channels that all have data."""
    ch = readings.shape[1]
    if ch == 1:
        return readings[:, 0], np.zeros(readings.shape[0])
    if ch == 3 and not np.isnan(readings).any():
        mid = np.sort(readings, axis=1)[:, 1]
        return mid, np.abs(readings - mid[:, None]).max(axis=1)
    return vote(readings)


def _p(name: str, unit: str, description: str, **kw: Any) -> Param:
    return Param(name, unit, description, D_[name], **kw)


PARAMS: Final = (
    _p("rated_power", "W", "rated thermal power (fission + decay heat)", min=1e3),
    Param(
        "initial_power",
        "1",
        "power at the start, fraction of rated (a critical steady state)",
        1.0,
        min=0.01,
        max=1.0,
    ),
    _p("operating_time", "s", "time at that power before the start (decay heat history)", min=1.0),
    _p("generation_time", "s", "prompt-neutron generation time", min=1e-9, max=1e-2),
    _p("beta_total", "1", "delayed-neutron fraction (Keepin U-235 groups)", min=1e-4, max=0.02),
    _p(
        "fuel_temperature_coefficient",
        "1",
        "reactivity per kelvin of fuel temperature, dk/k per K (negative)",
        max=0.0,
    ),
    _p(
        "coolant_temperature_coefficient",
        "1",
        "reactivity per kelvin of core coolant temperature, dk/k per K (negative)",
        max=0.0,
    ),
    _p(
        "feedback_uncertainty",
        "1",
        "relative uncertainty of the feedback coefficients, for the countdown's band (0: none)",
        min=0.0,
        max=0.9,
    ),
    _p("drum_worth", "1", "total worth of the control drums, dk/k", min=0.0),
    _p(
        "critical_drum_angle",
        "rad",
        "drum angle of the critical initial state (0 = absorbers facing the core)",
        min=0.0,
        max=np.pi,
    ),
    _p("drum_speed", "rad_s", "drum speed under the regulation", min=0.0),
    _p("scram_time", "s", "time for the drums to swing fully in on a scram", min=0.01),
    _p("fuel_temperature", "K", "design volume-average fuel temperature at rated power"),
    _p("structure_temperature", "K", "design cladding/core structure temperature at rated"),
    _p("core_outlet_temperature", "K", "design core outlet temperature at rated power"),
    _p("core_inlet_temperature", "K", "design core inlet temperature at rated power"),
    _p("secondary_temperature", "K", "design secondary loop (converter hot end) temperature"),
    _p("radiator_temperature", "K", "design radiator temperature at rated power"),
    _p("design_sink_temperature", "K", "radiator sink temperature the radiators are sized for"),
    _p(
        "sink_temperature",
        "K",
        "radiator sink temperature at the start (lunar night about 100 K, day 250-300 K)",
        min=3.0,
    ),
    _p("conversion_efficiency", "1", "Stirling converters: electricity / heat", min=0.0, max=0.9),
    _p("converter_stall_temperature", "K", "hot-end temperature below which converters stop"),
    _p("converter_ramp", "K", "ramp above the stall temperature to full power", min=1.0),
    _p("fuel_mass", "kg", "UO2 fuel mass", min=1.0),
    _p("structure_mass", "kg", "stainless steel in the core (cladding, grid, vessel)", min=1.0),
    _p("core_coolant_mass", "kg", "NaK in the core", min=0.1),
    _p("loop_coolant_mass", "kg", "NaK in the legs and the heat exchanger", min=0.1),
    _p("loop_steel_mass", "kg", "steel of the legs and the heat exchanger", min=0.1),
    _p("secondary_coolant_mass", "kg", "NaK of the secondary loop", min=0.1),
    _p("secondary_steel_mass", "kg", "steel of the secondary loop and converter heater heads"),
    _p("radiator_mass", "kg", "radiator panels", min=1.0),
    _p("pump_head", "Pa", "primary pump head at rated speed and flow", min=1.0),
    _p(
        "laminar_flow_fraction",
        "1",
        "flow fraction below which the loop friction is laminar (2300 / Re at rated)",
        min=1e-3,
        max=0.99,
    ),
    _p(
        "thermal_centre_height",
        "m",
        "height of the heat exchanger's thermal centre above the core's (natural circulation)",
    ),
    _p("pump_coastdown_time", "s", "speed halving time of the unpowered pump (fluid drag)"),
    _p(
        "pump_friction_torque",
        "1",
        "bearing and seal torque, fraction of rated: stops the coasting pump",
        min=1e-6,
        max=1.0,
    ),
    _p("pump_spinup_time", "s", "time constant of the pump reaching its speed", min=0.01),
    _p(
        "clad_damage_temperature",
        "K",
        "cladding temperature of core damage (NaK-78 boils at the cladding: 1058 K)",
    ),
    _p("meltdown_temperature", "K", "structure temperature of meltdown (type 316 solidus)"),
    _p("fuel_melting_temperature", "K", "fuel melting point (UO2: 3120 K)"),
    _p("trip_fuel_temperature", "K", "protection trip: fuel temperature above"),
    _p("trip_outlet_temperature", "K", "protection trip: core outlet temperature above"),
    _p("trip_low_flow", "1", "protection trip: primary flow below (fraction of rated)", min=0.0),
    _p("trip_high_power", "1", "protection trip: power above (fraction of rated)", min=0.0),
    Param(
        "backup_connected",
        "1",
        "the backup computer (protection) is connected to this reactor at the start",
        True,
        kind="bool",
    ),
    _p("prediction_interval", "s", "time between recomputations of the countdown", min=1.0),
    _p("prediction_horizon", "s", "how far ahead the countdown looks", min=60.0),
    _p("prediction_max_step", "s", "longest step of the countdown's integration", min=1.0),
    Param(
        "max_substep",
        "s",
        "longest internal step while the plant moves (a system stepped every 10 s takes ten "
        "of 1 s; a quiet plant takes its whole step at once); the feedback and the drums' "
        "moves are explicit, stable up to 2 s (accuracy by sub-step: docs/reactor.md)",
        1.0,
        min=0.01,
        max=2.0,
    ),
)


def _telemetry(p: Mapping[str, Any]) -> tuple[Telemetry, ...]:
    """Telemetry with limits drawn from the parameters (the defaults give the class's)."""
    electric = p["conversion_efficiency"] * p["rated_power"]
    return (
        Telemetry(
            "power_fraction",
            "1",
            "reactor power from the three neutron detectors (mid-value), fraction of rated",
            Limits(caution_high=1.05, warning_high=p["trip_high_power"], persistence=2),
            display_unit="pct",
        ),
        Telemetry(
            "fuel_temperature_K",
            "K",
            "fuel temperature, mid-value of three thermocouples",
            Limits(
                caution_high=p["trip_fuel_temperature"] - 30.0,
                warning_high=p["trip_fuel_temperature"],
                persistence=3,
                hysteresis=6.0,
            ),
            display_unit="C",
        ),
        Telemetry(
            "fuel_temperature_spread_K",
            "K",
            "largest disagreement of a fuel thermocouple from the mid-value",
            Limits(caution_high=20.0, persistence=3),
        ),
        Telemetry(
            "clad_temperature_K",
            "K",
            "cladding/core structure temperature",
            Limits(
                caution_high=p["structure_temperature"] + 30.0,
                warning_high=p["clad_damage_temperature"] - 60.0,
                persistence=3,
                hysteresis=5.0,
            ),
            display_unit="C",
        ),
        Telemetry(
            "core_outlet_temperature_K",
            "K",
            "core outlet (hot leg) coolant temperature",
            Limits(
                caution_high=p["trip_outlet_temperature"] - 20.0,
                warning_high=p["trip_outlet_temperature"],
                persistence=3,
                hysteresis=3.0,
            ),
            display_unit="C",
        ),
        Telemetry(
            "core_inlet_temperature_K",
            "K",
            "core inlet (cold leg) coolant temperature",
            display_unit="C",
        ),
        Telemetry(
            "primary_flow",
            "1",
            "primary NaK flow, fraction of rated (electromagnetic flowmeter)",
            Limits(caution_low=0.9, warning_low=p["trip_low_flow"], persistence=2, hysteresis=0.02),
            display_unit="pct",
        ),
        Telemetry(
            "pump_speed",
            "1",
            "primary pump speed, fraction of rated",
            Limits(caution_low=0.9, persistence=2),
            display_unit="pct",
        ),
        Telemetry(
            "secondary_temperature_K",
            "K",
            "secondary loop (converter hot end) temperature",
            Limits(
                caution_low=p["converter_stall_temperature"] + p["converter_ramp"],
                persistence=3,
                hysteresis=3.0,
            ),
            display_unit="C",
        ),
        Telemetry("radiator_temperature_K", "K", "radiator temperature", display_unit="C"),
        Telemetry(
            "electric_power_W",
            "W",
            "electric power of the converters",
            Limits(caution_low=0.8 * electric, persistence=3, hysteresis=0.01 * electric),
            display_unit="kW",
        ),
        Telemetry(
            "thermal_power_W",
            "W",
            "heat generated in the core (fission and decay heat)",
            display_unit="kW",
        ),
        Telemetry("decay_heat_W", "W", "decay heat of the fission products", display_unit="kW"),
        Telemetry("reactivity_dollars", "1", "core reactivity in dollars (reactivity meter)"),
        Telemetry(
            "drum_angle_rad", "rad", "control drum angle (0: absorbers in)", display_unit="deg"
        ),
        Telemetry("power_demand", "1", "power demand of the regulation", display_unit="pct"),
        Telemetry(
            "time_to_core_damage_s",
            "s",
            "predicted time left to core damage (inf: none within the horizon)",
            Limits(caution_low=3600.0, warning_low=1800.0),
            display_unit="min",
        ),
        Telemetry(
            "time_to_core_damage_early_s",
            "s",
            "earliest predicted time to core damage, feedback coefficients off by their "
            "uncertainty",
            display_unit="min",
        ),
        Telemetry(
            "time_to_core_damage_late_s",
            "s",
            "latest predicted time to core damage, feedback coefficients off by their uncertainty",
            display_unit="min",
        ),
        Telemetry("scram", "1", "drums released in", kind="enum", states=("NORMAL", "SCRAMMED")),
        Telemetry("scram_cause", "1", "what ordered the scram", kind="enum", states=SCRAM_CAUSES),
        Telemetry(
            "primary_computer",
            "1",
            "primary (control) computer",
            kind="enum",
            states=("OK", "LOST"),
        ),
        Telemetry(
            "backup_computer",
            "1",
            "backup (protection) computer: STANDBY = not connected to this reactor, ELSEWHERE = "
            "serving the other reactor",
            kind="enum",
            states=("STANDBY", "CONNECTED", "ELSEWHERE", "LOST"),
        ),
        Telemetry(
            "cross_connect",
            "1",
            "cables from the backup computer to the primary loop pump",
            kind="enum",
            states=("OPEN", "RESTORED"),
        ),
        Telemetry(
            "pump_drive", "1", "computer driving the primary pump", kind="enum", states=DRIVERS
        ),
        Telemetry(
            "pump", "1", "primary pump", kind="enum", states=("RUNNING", "COASTING", "STOPPED")
        ),
        Telemetry("drum_control", "1", "computer driving the drums", kind="enum", states=DRIVERS),
        Telemetry("damage_state", "1", "core damage state", kind="enum", states=DAMAGE_STATES),
        Telemetry(
            "site_status",
            "1",
            "consequence for the site: RESTRICTED after core damage (radiation around the "
            "loop), UNINHABITABLE after a meltdown",
            kind="enum",
            states=SITE_STATES,
        ),
        # Truth, archived for post-mortems.
        Telemetry("true_power_fraction", "1", "true fission power, fraction of rated", truth=True),
        Telemetry("true_reactivity_dollars", "1", "true mean reactivity of the frame", truth=True),
        Telemetry("true_feedback_dollars", "1", "true temperature feedback", truth=True),
        Telemetry("true_fuel_temperature_K", "K", "true fuel temperature", truth=True),
        Telemetry("true_clad_temperature_K", "K", "true cladding temperature", truth=True),
        Telemetry("true_core_outlet_temperature_K", "K", "true core outlet", truth=True),
        Telemetry("true_hot_leg_temperature_K", "K", "true hot leg", truth=True),
        Telemetry("true_heat_exchanger_temperature_K", "K", "true heat exchanger", truth=True),
        Telemetry("true_core_inlet_temperature_K", "K", "true core inlet", truth=True),
        Telemetry("true_secondary_temperature_K", "K", "true secondary loop", truth=True),
        Telemetry("true_radiator_temperature_K", "K", "true radiator", truth=True),
        Telemetry("true_primary_flow_kg_s", "kg_s", "true primary mass flow", truth=True),
        Telemetry("true_pump_speed", "1", "true pump speed", truth=True),
        Telemetry("true_electric_power_W", "W", "true electric power", truth=True),
        Telemetry("true_radiated_power_W", "W", "true heat radiated", truth=True),
        Telemetry(
            "peak_clad_temperature_K", "K", "highest cladding temperature so far", truth=True
        ),
        Telemetry(
            "energy_residual_J",
            "J",
            "stored heat change minus (heat generated - electricity - radiated): round-off",
            truth=True,
        ),
    )


def _states() -> tuple[State, ...]:
    out = [
        State("T", "K", (N_NODES,), description="node temperatures (houston.reactor.loop)"),
        State("n", "1", description="fission rate, fraction of rated"),
        State("precursors", "1", (6,), description="delayed-neutron precursors"),
        State("decay_groups", "W", (23,), description="ANS-5.1-1979 decay-heat groups"),
        State("pump_speed", "1"),
        State("drum_angle", "rad"),
        State("fuel_ref", "K", description="fuel temperature of the critical initial state"),
        State("coolant_ref", "K", description="coolant temperature of the critical initial state"),
        State("sink", "K"),
        State("scrammed", dtype="bool"),
        State("scram_cause", dtype="int64"),
        State("pump_cmd", dtype="bool", description="standing order: pump on"),
        State("power_demand", "1"),
        State("power_filtered", "1", description="measured power through the regulation's filter"),
        State("backup_connected", dtype="bool"),
        State("backup_elsewhere", dtype="bool", description="last value of the input"),
        State("cross_cmd", dtype="bool", description="cross-connect restored by command"),
        State("cross_connect", dtype="bool", description="cross-connect in place (last step)"),
        State("pump_driver", dtype="int64"),
        State("drum_driver", dtype="int64"),
        State("damage", dtype="int64"),
        State("peak_clad", "K"),
        State("flow", "kg_s", description="mean primary flow of the last step"),
        State("reactivity", "1", description="mean reactivity of the last step"),
        State("feedback", "1"),
        State("heat", "W", description="mean heat generated in the last step"),
        State("decay", "W"),
        State("electric", "W"),
        State("radiated", "W"),
        State("e_generated", "J"),
        State("e_electric", "J"),
        State("e_radiated", "J"),
        State("e_stored0", "J"),
        State("ttd", "s"),
        State("ttd_early", "s"),
        State("ttd_late", "s"),
        State("pred_age", "s"),
        State("pred_due", dtype="bool"),
        State("quiet", dtype="bool", description="last step changed nothing measurably"),
    ]
    for name, ch in SENSORS.items():
        for part in ("reading", "drift", "last"):
            out.append(State(f"sensor.{name}.{part}", "1", (ch,)))
    return tuple(out)


class SurfaceReactor(Model):
    """A surface fission power plant: kinetics, decay heat, NaK loop, controllers, damage,
    and the predicted time to core damage. See the module docstring."""

    type_name = "reactor.fission_surface"
    summary = (
        "Surface fission reactor (Fission Surface Power class): point kinetics, decay heat, "
        "NaK loop, pump, controllers and cross-connect, damage, countdown to core damage"
    )
    params = PARAMS
    states = _states()
    inputs = (
        Signal(
            "cross_connect_restored",
            "1",
            (),
            "1 once a crew has restored the cables from the backup computer to the primary "
            "loop pump",
            optional=True,
            default=0.0,
        ),
        Signal(
            "backup_elsewhere",
            "1",
            (),
            "1 while the shared backup computer serves another reactor",
            optional=True,
            default=0.0,
        ),
    )
    outputs = (
        Signal("electric_power_W", "W", (), "electric power of the converters"),
        Signal("thermal_power_W", "W", (), "heat generated in the core"),
        Signal("backup_in_use", "1", (), "1 while this reactor holds the backup computer"),
        Signal("damage_state", "1", (), "0 OK, 1 core damage, 2 meltdown"),
    )
    telemetry = _telemetry(D_)
    commands = (
        Command("scram", "release the drums in (needs a computer connected to the drums)"),
        Command("reset_scram", "clear the scram so that the drums can be withdrawn again"),
        Command(
            "set_power_demand",
            "power the primary computer regulates to",
            (Param("power", "1", "fraction of rated power", min=0.0, max=1.1),),
        ),
        Command("pump_on", "run the primary pump (needs a computer that can drive it)"),
        Command("pump_off", "stop the primary pump"),
        Command("connect_backup", "connect the backup computer to this reactor (protection)"),
        Command("disconnect_backup", "release the backup computer"),
        Command(
            "restore_cross_connect",
            "the cables from the backup computer to the primary pump are in place (simulates "
            "the crew task; a scenario wires the input cross_connect_restored instead)",
        ),
        Command("open_cross_connect", "disconnect the cross-connect cables"),
        Command(
            "set_sink_temperature",
            "radiator sink temperature (lunar day/night)",
            (Param("temperature", "K", "sink temperature", min=3.0, max=450.0),),
        ),
    )
    failures = (
        Failure(
            "pump_damaged",
            "the primary pump is damaged: it passes only a fraction of its flow",
            (
                Param(
                    "flow_fraction",
                    "1",
                    "fraction of its flow the pump still passes (0: seized, no flow at all)",
                    0.0,
                    min=0.0,
                    max=1.0,
                ),
            ),
        ),
        Failure("pump_drive_cut", "the primary computer's cables to the primary pump are cut"),
        Failure("primary_computer_lost", "the primary (control) computer is down"),
        Failure("backup_computer_lost", "the backup (protection) computer is down"),
        Failure("power_bus_lost", "the pump motor's power bus is dead: the pump runs down"),
        Failure("drums_stuck", "the control drums cannot move (no regulation, no scram)"),
        Failure("converters_lost", "the Stirling converters stop: no electricity, no heat drawn"),
        Failure("flow_meter_failed", "the primary flowmeter is stuck at its last reading"),
        Failure(
            "fuel_thermocouple_failed",
            "a fuel thermocouple is stuck at its last reading",
            (Param("channel", "1", "channel 0, 1 or 2", 0, kind="int", min=0, max=2),),
        ),
    )

    def __init__(self, path: str, params: Mapping[str, Any], batch: int) -> None:
        super().__init__(path, params, batch)
        self.state = _State(
            self.state,
            self.batch,
            (
                (kernels.STEP_FLOATS, np.float64),
                (kernels.STEP_BOOLS, np.bool_),
                (kernels.STEP_INTS, np.int64),
                (_DRIFT_KEYS, np.float64),
                (_LAST_KEYS, np.float64),
                (_READING_KEYS, np.float64),
            ),
        )
        self._step_buffers: _StepBuffers | None = None
        #: Whether the last step longer than a sub-step moved (a hint for drawing the sensors'
        #: noise of a step at once; never changes a result).
        self._moved = True
        try:
            self._pp = design.plant_params(self.p)
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None
        self.telemetry = _telemetry(self.p)  # type: ignore[misc]
        index = {t.name: i for i, t in enumerate(self.telemetry)}
        self._tm_columns = np.array([index[name] for name in kernels.TELEMETRY], dtype=np.int64)
        self._specs = self._sensor_specs()
        self._scram_rate = np.pi / self.p["scram_time"]
        self._spec_table = np.array(
            [
                [
                    getattr(self._specs[name], f)
                    for f in ("noise", "bias", "drift_rate", "resolution", "low", "high")
                ]
                for name, ch in SENSORS.items()
                for _ in range(ch)
            ],
            dtype=np.float64,
        ).T.copy()
        self._trip_constants = np.array(
            [
                self._pp.loop.rated_flow_kg_s,
                self.p["trip_high_power"],
                self.p["trip_low_flow"],
                self.p["trip_outlet_temperature"],
                self.p["trip_fuel_temperature"],
            ],
            dtype=np.float64,
        )
        self._tm_args: tuple[Any, ...] | None = None
        self._tm_assigned = -1
        self._telemetry_kernel: Any = None
        self._max_substep_ns = max(1, round(float(self.p["max_substep"]) * 1e9))
        self._step_constants = np.array(
            [
                REGULATION_FILTER_S,
                QUIET_K_S,
                QUIET_POWER_S,
                self.p["clad_damage_temperature"],
                self.p["meltdown_temperature"],
                self.p["fuel_melting_temperature"],
                self.p["prediction_interval"] - 1e-9,
            ],
            dtype=np.float64,
        )
        self._drive_constants = np.array(
            [
                self.p["drum_speed"],
                self._pp.loop.rated_flow_kg_s,
                float(self._pp.kinetics.beta_total),
                self._scram_rate,
                REGULATION_GAIN_DOLLARS,
                REGULATION_LOWEST_DOLLARS,
                REGULATION_WITHDRAW_DOLLARS,
                REGULATION_FULL_SPEED_DOLLARS,
                REGULATION_DEADBAND_DOLLARS,
                WITHDRAWAL_BLOCK_FLOW,
                REGULATION_INSERT_DOLLARS,
                REGULATION_BAND,
            ],
            dtype=np.float64,
        )

    # -- set-up ------------------------------------------------------------------------------

    def _sensor_specs(self) -> dict[str, SensorSpec]:
        flow = self._pp.loop.rated_flow_kg_s
        tc = SensorSpec(noise=2.0, resolution=0.1, low=250.0, high=2600.0)
        return {
            "fuel_tc": tc,
            "clad_tc": SensorSpec(noise=1.5, resolution=0.1, low=250.0, high=2600.0),
            "outlet_tc": SensorSpec(noise=1.0, resolution=0.1, low=250.0, high=1600.0),
            "inlet_tc": SensorSpec(noise=1.0, resolution=0.1, low=250.0, high=1600.0),
            "secondary_tc": SensorSpec(noise=1.0, resolution=0.1, low=250.0, high=1600.0),
            "radiator_tc": SensorSpec(noise=1.0, resolution=0.1, low=3.0, high=1000.0),
            "flow": SensorSpec(
                noise=0.005 * flow, resolution=0.001 * flow, low=-0.5 * flow, high=1.5 * flow
            ),
            "power": SensorSpec(noise=0.005, resolution=1e-4, low=0.0, high=2.0),
            "pump_speed": SensorSpec(noise=0.002, resolution=1e-3, low=0.0, high=1.5),
            "electric": SensorSpec(noise=100.0, resolution=10.0, low=0.0, high=1e7),
        }

    def _plant(self) -> PlantState:
        st = self.state
        return PlantState(
            temperatures_K=st["T"],
            n=st["n"],
            precursors=st["precursors"],
            decay_groups_W=st["decay_groups"],
            pump_speed=st["pump_speed"],
            drum_angle_rad=st["drum_angle"],
            fuel_ref_K=st["fuel_ref"],
            coolant_ref_K=st["coolant_ref"],
        )

    def initialize(self, ctx: StepContext) -> None:
        p, st, pp = self.p, self.state, self._pp
        frac = float(p["initial_power"])
        groups = initial_state(pp, 1, np.zeros(N_NODES), frac, p["operating_time"]).decay_groups_W
        heat = (1.0 - DECAY_SHARE) * frac * pp.rated_power_W + float(groups.sum())
        temps = steady_state_K(pp.loop, heat, p["sink_temperature"])
        init = initial_state(pp, self.batch, temps, frac, p["operating_time"])
        for name, value in init.__dict__.items():
            getattr(self._plant(), name)[...] = value
        st["sink"][:] = p["sink_temperature"]
        st["pump_cmd"][:] = True
        st["power_demand"][:] = frac
        st["power_filtered"][:] = frac
        st["backup_connected"][:] = bool(p["backup_connected"])
        st["peak_clad"][:] = st["T"][:, S]
        st["flow"][:] = pp.loop.rated_flow_kg_s
        st["heat"][:] = heat
        st["decay"][:] = groups.sum()
        st["e_stored0"][:] = stored_energy_J(st["T"], pp.loop)
        eta = pp.loop.conversion_efficiency
        st["electric"][:] = eta * heat
        st["radiated"][:] = (1.0 - eta) * heat
        st["pump_driver"][:] = 1
        st["drum_driver"][:] = 1
        st["ttd"][:] = np.inf
        st["ttd_early"][:] = np.inf
        st["ttd_late"][:] = np.inf
        st["pred_due"][:] = True
        for name in SENSORS:
            st[f"sensor.{name}.last"][:] = np.nan
        self._read_sensors(ctx, 0.0)

    # -- controllers ---------------------------------------------------------------------------

    def _drivers(self) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Which computer (0 none, 1 primary, 2 backup) drives the pump and the drums, from
        the failures, the standing orders and the last inputs."""
        st = self.state
        primary = ~self.failed("primary_computer_lost")
        backup = ~self.failed("backup_computer_lost")
        pump = np.where(
            primary & ~self.failed("pump_drive_cut"),
            1,
            np.where(backup & st["cross_connect"], 2, 0),
        )
        drums = np.where(primary, 1, np.where(self._protecting(), 2, 0))
        return pump, drums

    def _protecting(self) -> NDArray[np.bool_]:
        st = self.state
        return (
            st["backup_connected"] & ~self.failed("backup_computer_lost") & ~st["backup_elsewhere"]
        )

    def _drive(self, dt: float) -> Drive:
        """What the controllers impose over the next ``dt`` (the drums' target and rate, the
        pump's drive) and the environment (sink, converters)."""
        st, b = self.state, self.batch
        drive = Drive(
            pump_powered=np.empty(b, dtype=bool),
            pump_target=np.ones(b),
            pump_capacity=np.empty(b),
            drum_target_rad=np.empty(b),
            drum_rate_rad_s=np.empty(b),
            sink_K=st["sink"].copy(),
            converters=np.empty(b),
        )
        kernels.compiled("drive_rows")(
            st["pump_driver"],
            st["pump_cmd"],
            self.failed("power_bus_lost"),
            self.failed("pump_damaged"),
            self.failure_arg("pump_damaged", "flow_fraction"),
            st["drum_angle"],
            self.failed("drums_stuck"),
            st["scrammed"],
            st["power_demand"],
            st["power_filtered"],
            st["sensor.flow.reading"][:, 0],
            st["reactivity"],
            st["drum_driver"],
            self.failed("converters_lost"),
            self._drive_constants,
            float(dt),
            drive.pump_powered,
            drive.pump_capacity,
            drive.drum_target_rad,
            drive.drum_rate_rad_s,
            drive.converters,
        )
        return drive

    def _drive_reference(self, dt: float) -> Drive:
        """The drive in numpy (what :meth:`_drive` computes in one compiled pass)."""
        st, p = self.state, self.p
        powered = (st["pump_driver"] > 0) & st["pump_cmd"] & ~self.failed("power_bus_lost")
        capacity = np.where(
            self.failed("pump_damaged"), self.failure_arg("pump_damaged", "flow_fraction"), 1.0
        )
        theta = st["drum_angle"]
        stuck = self.failed("drums_stuck")
        scram = st["scrammed"] & ~stuck
        # Regulation by the primary computer toward the power demand, through the reactivity
        # the power error asks for.
        error = st["power_demand"] - st["power_filtered"]
        beyond = error - np.clip(error, -REGULATION_BAND, REGULATION_BAND)
        wanted = np.clip(
            REGULATION_GAIN_DOLLARS * beyond, REGULATION_LOWEST_DOLLARS, REGULATION_WITHDRAW_DOLLARS
        )
        dollars = st["reactivity"] / float(self._pp.kinetics.beta_total)
        gap = wanted - dollars
        speed = p["drum_speed"] * np.clip(gap / REGULATION_FULL_SPEED_DOLLARS, -1.0, 1.0)
        speed = np.where((np.abs(gap) < REGULATION_DEADBAND_DOLLARS) | np.isnan(gap), 0.0, speed)
        flow = np.nan_to_num(self._voted("flow") / self._pp.loop.rated_flow_kg_s, nan=0.0)
        speed = np.where(flow < WITHDRAWAL_BLOCK_FLOW, np.minimum(speed, 0.0), speed)
        speed = np.where(dollars > REGULATION_INSERT_DOLLARS, -p["drum_speed"], speed)
        regulating = (st["drum_driver"] == 1) & ~stuck & ~scram
        target = np.where(regulating, np.clip(theta + speed * dt, 0.0, np.pi), theta)
        target = np.where(scram, 0.0, target)
        rate = np.where(scram, self._scram_rate, np.abs(speed))
        conv = np.where(self.failed("converters_lost"), 0.0, 1.0)
        return Drive(
            pump_powered=powered,
            pump_target=np.ones(self.batch),
            pump_capacity=capacity,
            drum_target_rad=target,
            drum_rate_rad_s=rate,
            sink_K=st["sink"].copy(),
            converters=conv,
        )

    def _trips(
        self, fuel_K: Array, outlet_K: Array, flow: Array, power: Array
    ) -> NDArray[np.int64]:
        """Protection trip cause per run (0 = none), first cause in SCRAM_CAUSES order."""
        p = self.p
        cause = np.zeros(fuel_K.shape, dtype=np.int64)
        for code, hit in (
            (5, power > p["trip_high_power"]),
            (4, flow < p["trip_low_flow"]),
            (3, outlet_K > p["trip_outlet_temperature"]),
            (2, fuel_K > p["trip_fuel_temperature"]),
        ):
            cause = np.where(hit, code, cause)
        return cause

    # -- the step ----------------------------------------------------------------------------

    def step(self, ctx: StepContext) -> None:
        """Advance from ``ctx.t0_s`` to ``ctx.t1_s`` in sub-steps of at most ``max_substep``
        (one compiled call, :func:`houston.reactor.kernels.substep_packed`): each sub-step is
        what a frame of its length would be, with the sensors' draws of a step starting at
        its start, so a step of 10 s in sub-steps of 1 s gives what ten frames of 1 s give.
        A row that is calm at the start (quiet, drums at rest, pump steady) takes the whole
        step at once. The countdown is recomputed after the sub-step in which it falls due,
        events carry the time of their sub-step (``at_ns``)."""
        dt = ctx.dt_s
        if dt <= 0.0:
            return
        span = ctx.t1_ns - ctx.t0_ns
        b = self._buffers(span)
        self._inputs_and_drivers(ctx, b)
        parts = b.parts
        t0 = ctx.t0_ns
        # The sensors' draws of sub-step k are those of a step starting at t0 + offsets[k]. Those
        # of sub-steps 1.. are needed only if a row moves: drawn with sub-step 0's when the
        # last step moved, else after sub-step 0 if it is not calm (either way the same
        # numbers).
        rnd = ctx.random
        halves = type(rnd) is ModelRandom and type(rnd._rng) is BatchRandom
        drawn = parts > 1 and self._moved
        if drawn:
            self._draw(rnd, halves, b, [t0 + o for o in b.offsets[:parts]], 0)
        else:
            self._draw(rnd, halves, b, None, 0)
        kernel = b.substep
        calm = b.calm
        k = 0
        events = False
        still = False
        while k < parts:
            if k == 1:
                still = bool(calm.all())
                if still:
                    break
                if not drawn:
                    self._draw(rnd, halves, b, [t0 + o for o in b.offsets[1:parts]], 1)
            end = parts if k > 0 or drawn else 1
            k, due, hit = kernel(k, end, b.h, dt, *b.head, halves, *b.args)
            events |= hit
            if due:
                self._recompute()
        if parts > 1:
            self._moved = not (still or calm.all())
        if events:
            self._step_events(ctx, b.when, calm, [t0 + o for o in b.offsets])

    def _buffers(self, span_ns: int) -> _StepBuffers:
        """The compiled step's arguments for a step of ``span_ns``, built again when the step's
        length changes or a state array is replaced (a restored checkpoint assigns them)."""
        b = self._step_buffers
        st = self.state
        assert isinstance(st, _State)
        if b is not None and b.span_ns == span_ns and b.assigned == st.assigned:
            return b
        parts = max(1, -(-span_ns // self._max_substep_ns))
        offsets = [span_ns * k // parts for k in range(parts + 1)]
        h = np.array([(offsets[k + 1] - offsets[k]) * 1e-9 for k in range(parts)])
        shape = (parts, self.batch, _N_CHANNELS)
        normal, log_u1, cos_angle = np.zeros(shape), np.zeros(shape), np.zeros(shape)
        calm = np.zeros(self.batch, dtype=bool)
        when = np.full((3, self.batch), -1, dtype=np.int64)
        keys = np.zeros(parts, dtype=np.uint64)
        const, caps, beta, lam, gen, af, ac = kernel_params(self._pp, self.batch)
        floats, bools, ints, drift, last, reading = st.buffers
        args = (
            st["T"],
            st["precursors"],
            st["decay_groups"],
            floats,
            bools,
            calm,
            ints,
            drift,
            last,
            reading,
            st.offsets[3],
            af,
            ac,
            beta,
            lam,
            gen,
            caps,
            dh.LAMBDA_PER_S,
            DECAY_ALPHA_OVER_LAMBDA,
            const,
            self._drive_constants,
            self._spec_table,
            _CHANNEL_MAP,
            _TRIP_COLUMNS,
            self._trip_constants,
            self._step_constants,
            when,
        )
        drivers = (
            st["cross_cmd"],
            st["backup_elsewhere"],
            st["cross_connect"],
            st["failure.primary_computer_lost"],
            st["failure.backup_computer_lost"],
            st["failure.pump_drive_cut"],
            st["backup_connected"],
            st["pump_driver"],
            st["drum_driver"],
            np.empty(self.batch, dtype=np.int64),
            np.empty(self.batch, dtype=np.int64),
        )
        b = _StepBuffers(
            span_ns=span_ns,
            assigned=st.assigned,
            parts=parts,
            offsets=offsets,
            h=h,
            normal=normal,
            log_u1=log_u1,
            cos_angle=cos_angle,
            calm=calm,
            when=when,
            head=(normal, log_u1, cos_angle),
            args=args,
            drivers=drivers,
            stream_key=stream_key(f"{self.path}/sensors"),
            keys=keys,
            first_draw=(keys[:1], log_u1[:1], cos_angle[:1]),
            substep=kernels.compiled("substep_packed"),
            uniform_halves=kernels.compiled("uniform_halves"),
            drivers_from_inputs=kernels.compiled("drivers_from_inputs"),
        )
        self._step_buffers = b
        return b

    def _draw(
        self, rnd: Any, halves: bool, b: _StepBuffers, keys: list[int] | None, first: int
    ) -> None:
        """The sensors' draws of sub-steps ``first`` on, one for each step key of ``keys``
        (``None``: sub-step 0 alone, at the step's own key), as ``normal_steps`` (or
        ``normal``) gives them: with the session's generator, the uniforms of the draws into
        ``b.log_u1`` and ``b.cos_angle`` (:func:`houston.reactor.kernels.uniform_halves`), their
        ``log`` and ``cos`` by numpy, and the kernel forms the draws; with any other
        generator, the draws themselves into ``b.normal``."""
        if keys is None:
            n = 1
        else:
            n = len(keys)
        end = first + n
        if not halves:
            if keys is None:
                b.normal[0] = rnd.normal("sensors", (_N_CHANNELS,))
            else:
                b.normal[first:end] = rnd.normal_steps("sensors", keys, (_N_CHANNELS,))
            return
        sk = b.stream_key if rnd._path == self.path else stream_key(f"{rnd._path}/sensors")
        if keys is None:
            mixed, u1, angle = b.first_draw
            mixed[0] = _mix_int(sk ^ (rnd._key("sensors")[1] * _COUNTER_MULTIPLIER & _MASK))
        else:
            mixed = b.keys[:n]
            for i, key in enumerate(keys):
                rnd.at_step(key)
                c = rnd._key("sensors")[1]
                mixed[i] = _mix_int(sk ^ (c * _COUNTER_MULTIPLIER & _MASK))
            u1, angle = b.log_u1[first:end], b.cos_angle[first:end]
        b.uniform_halves(rnd._rng._seed_keys, mixed, u1, angle)
        np.log(u1, out=u1)
        np.cos(angle, out=angle)

    def _inputs_and_drivers(self, ctx: StepContext, b: _StepBuffers | None = None) -> None:
        """Read the inputs, decide who drives the pump and the drums, report changes
        (:func:`houston.reactor.kernels.drivers_from_inputs`)."""
        st = self.state
        if b is None:
            b = self._buffers(self._max_substep_ns)
        pump, drums = b.drivers[-2:]
        inputs = ctx.inputs
        if b.drivers_from_inputs(
            inputs["backup_elsewhere"], inputs["cross_connect_restored"], *b.drivers
        ):
            self._driver_events(ctx, pump, drums)
            st["pump_driver"][:] = pump
            st["drum_driver"][:] = drums

    def _step_events(
        self, ctx: StepContext, when: NDArray[np.int64], calm: NDArray[np.bool_], bounds: list[int]
    ) -> None:
        """The step's automatic scrams, core damage and meltdowns, from the sub-steps in which
        they happened (``when``); each carries that sub-step's end (``at_ns``), and names it
        when it is earlier than the step's end."""
        st = self.state
        ends = np.asarray(bounds, dtype=np.int64)[1:]
        at = np.where(calm[None, :], ctx.t1_ns, ends[np.maximum(when, 0)])
        texts = (
            "",
            "CORE DAMAGE: coolant boiling at the cladding, cladding failed; fission products "
            "in the primary coolant",
            "MELTDOWN: core structure melting, primary boundary breached",
        )
        for kind in range(3):
            hit = when[kind] >= 0
            if not hit.any():
                continue
            for t in np.unique(at[kind][hit]):
                mask = hit & (at[kind] == t)
                late = "" if t == ctx.t1_ns else f" (at {format_get(int(t))})"
                if kind > 0:
                    ctx.emit(texts[kind] + late, mask, "warning", at_ns=int(t))
                    continue
                for code in np.unique(st["scram_cause"][mask]):
                    ctx.emit(
                        f"SCRAM: automatic, {SCRAM_CAUSES[code].lower().replace('_', ' ')} "
                        f"(backup computer){late}",
                        mask & (st["scram_cause"] == code),
                        "warning",
                        cause=SCRAM_CAUSES[code],
                        at_ns=int(t),
                    )

    def _step_reference(self, ctx: StepContext) -> None:
        """One frame the way :meth:`step` took it before sub-steps, in numpy around the
        compiled plant, sensors, drive and trips: what :meth:`step` gives for a step no
        longer than ``max_substep`` (tests/reactor compares them)."""
        dt = ctx.dt_s
        if dt <= 0.0:
            return
        st, pp = self.state, self._pp
        self._inputs_and_drivers(ctx)
        drive = self._drive(dt)
        res = advance(self._plant(), drive, pp, dt)
        st["flow"][:] = res.flow_kg_s
        st["reactivity"][:] = res.reactivity
        st["feedback"][:] = res.feedback
        st["heat"][:] = res.heat_W
        st["decay"][:] = res.decay_W
        st["electric"][:] = res.flows.electric_W
        st["radiated"][:] = res.flows.radiated_W
        st["e_generated"] += res.heat_W * dt
        st["e_electric"] += res.flows.electric_W * dt
        st["e_radiated"] += res.flows.radiated_W * dt
        st["quiet"][:] = (
            (res.temperature_change_K < QUIET_K_S * dt)
            & (res.power_change < QUIET_POWER_S * dt)
            & ~st["scrammed"]
        )
        mid = self._read_sensors(ctx, dt)
        power = _nan_to_num(mid[:, _MID["power"]])
        st["power_filtered"] += (power - st["power_filtered"]) * dt / (REGULATION_FILTER_S + dt)
        self._protect(ctx, mid)
        self._damage(ctx)
        self._predict(dt)

    def _driver_events(
        self, ctx: StepContext, pump: NDArray[np.int64], drums: NDArray[np.int64]
    ) -> None:
        """Report changes of who drives the pump and the drums (before they are stored)."""
        st = self.state
        old_pump, old_drums = st["pump_driver"], st["drum_driver"]
        if (pump == old_pump).all() and (drums == old_drums).all():
            return
        for code, text in (
            (0, "no computer drives the primary pump: it runs down"),
            (1, "the primary computer drives the primary pump"),
            (2, "the backup computer drives the primary pump (cross-connect)"),
        ):
            ctx.emit(
                text,
                (pump == code) & (old_pump != code),
                "warning" if code == 0 else "info",
            )
        ctx.emit(
            "no computer connected to the drums: no regulation, no automatic scram",
            (drums == 0) & (old_drums != 0),
            "warning",
        )

    def _read_sensors(self, ctx: StepContext, dt: float) -> Array:
        """Read every sensor; return the mid-value select of each (columns in SENSORS
        order), as :meth:`_voted` gives it."""
        st = self.state
        normal = np.ascontiguousarray(ctx.random.normal("sensors", (_N_CHANNELS,)))
        mid = np.empty((self.batch, len(SENSORS)))
        nan_seen = np.zeros(len(SENSORS), dtype=bool)
        kernels.compiled("read_sensors")(
            st["T"],
            st["flow"],
            st["n"],
            st["pump_speed"],
            st["electric"],
            normal,
            self._spec_table,
            _CHANNEL_MAP,
            self.failed("flow_meter_failed"),
            self.failed("fuel_thermocouple_failed"),
            self.failure_arg("fuel_thermocouple_failed", "channel"),
            float(dt),
            tuple([st[key] for key in _DRIFT_KEYS]),
            tuple([st[key] for key in _LAST_KEYS]),
            tuple([st[key] for key in _READING_KEYS]),
            mid,
            nan_seen,
        )
        if nan_seen.any():
            for s in np.flatnonzero(nan_seen):
                mid[:, s] = self._voted(_SENSOR_NAMES[s])
        return mid

    def _read_sensors_reference(self, ctx: StepContext, dt: float) -> Array:
        """The readings through :func:`houston.core.sensors.read`, sensor by sensor (what
        :meth:`_read_sensors` computes in one compiled pass)."""
        st, t = self.state, self.state["T"]
        truth = {
            "fuel_tc": np.repeat(t[:, F : F + 1], 3, axis=1),
            "clad_tc": t[:, S : S + 1],
            "outlet_tc": t[:, C : C + 1],
            "inlet_tc": t[:, K : K + 1],
            "secondary_tc": t[:, D : D + 1],
            "radiator_tc": t[:, R : R + 1],
            "flow": st["flow"][:, None],
            "power": np.repeat(st["n"][:, None], 3, axis=1),
            "pump_speed": st["pump_speed"][:, None],
            "electric": st["electric"][:, None],
        }
        total = sum(SENSORS.values())
        normal = ctx.random.normal("sensors", (total,))
        start = 0
        for name, ch in SENSORS.items():
            faults = None
            if name == "flow":
                faults = SensorFaults.none((self.batch, 1))
                faults.stuck[:, 0] = self.failed("flow_meter_failed")
            elif name == "fuel_tc":
                faults = SensorFaults.none((self.batch, 3))
                chan = self.failure_arg("fuel_thermocouple_failed", "channel").astype(int)
                faults.stuck[:] = self.failed("fuel_thermocouple_failed")[:, None] & (
                    np.arange(3)[None, :] == chan[:, None]
                )
            st[f"sensor.{name}.reading"][:] = read(
                truth[name],
                self._specs[name],
                st[f"sensor.{name}.drift"],
                st[f"sensor.{name}.last"],
                dt,
                normal[:, start : start + ch],
                faults,
            )
            start += ch
        return np.stack([self._voted(name) for name in SENSORS], axis=1)

    def _voted(self, name: str) -> Array:
        return _mid_value(self.state[f"sensor.{name}.reading"])[0]

    def _protect(self, ctx: StepContext, mid: Array) -> None:
        """The backup computer's automatic scram, on the mid-values ``mid`` of the sensors
        (see :meth:`_read_sensors`)."""
        st = self.state
        cause = np.empty(self.batch, dtype=np.int64)
        tripped = kernels.compiled("trip_rows")(
            mid,
            _TRIP_COLUMNS,
            self._trip_constants,
            st["backup_connected"],
            self.failed("backup_computer_lost"),
            st["backup_elsewhere"],
            st["scrammed"],
            cause,
        )
        if tripped:
            trip = self._protecting() & ~st["scrammed"] & (cause > 0)
            st["scrammed"][trip] = True
            st["scram_cause"][trip] = cause[trip]
            st["pred_due"][trip] = True
            for code in np.unique(cause[trip]):
                ctx.emit(
                    f"SCRAM: automatic, {SCRAM_CAUSES[code].lower().replace('_', ' ')} "
                    "(backup computer)",
                    trip & (cause == code),
                    "warning",
                    cause=SCRAM_CAUSES[code],
                )

    def _damage(self, ctx: StepContext) -> None:
        st, p, t = self.state, self.p, self.state["T"]
        np.maximum(st["peak_clad"], t[:, S], out=st["peak_clad"])
        if t[:, S].max() < min(p["clad_damage_temperature"], p["meltdown_temperature"]) and (
            t[:, F].max() < p["fuel_melting_temperature"]
        ):
            return  # nothing can newly be damaged (NaN temperatures go the long way)
        damaged = (st["damage"] < 1) & (t[:, S] >= p["clad_damage_temperature"])
        st["damage"][damaged] = 1
        ctx.emit(
            "CORE DAMAGE: coolant boiling at the cladding, cladding failed; fission products "
            "in the primary coolant",
            damaged,
            "warning",
        )
        melt = (st["damage"] < 2) & (
            (t[:, S] >= p["meltdown_temperature"]) | (t[:, F] >= p["fuel_melting_temperature"])
        )
        st["damage"][melt] = 2
        ctx.emit("MELTDOWN: core structure melting, primary boundary breached", melt, "warning")

    # -- prediction ----------------------------------------------------------------------------

    def _predict(self, dt: float) -> None:
        """Count the countdown down by ``dt``, then :meth:`_recompute`."""
        st = self.state
        st["pred_age"] += dt
        for key in ("ttd", "ttd_early", "ttd_late"):
            np.maximum(np.subtract(st[key], dt, out=st[key]), 0.0, out=st[key])
        self._recompute()

    def _recompute(self) -> None:
        """Recompute the countdown of the runs where it is due (a command or failure since,
        or ``prediction_interval`` elapsed): ``inf`` for a quiet run, else the forward
        integration of :func:`houston.reactor.prediction.time_to_damage_s`."""
        st, p = self.state, self.p
        due = st["pred_due"] | (st["pred_age"] >= p["prediction_interval"] - 1e-9)
        if not due.any():
            return
        calm = due & st["quiet"]
        if calm.any():
            for key in ("ttd", "ttd_early", "ttd_late"):
                st[key][calm] = np.inf
            st["pred_age"][calm] = 0.0
            st["pred_due"][calm] = False
        due &= ~st["quiet"]
        if not due.any():
            return
        rows = np.flatnonzero(due)
        state, drive, kw = self._countdown_inputs(rows)
        nominal, early, late = time_to_damage_s(state, drive, self._pp, **kw)
        st["ttd"][rows] = nominal
        st["ttd_early"][rows] = early
        st["ttd_late"][rows] = late
        st["pred_age"][rows] = 0.0
        st["pred_due"][rows] = False

    def _countdown_inputs(self, rows: NDArray[np.intp]) -> tuple[PlantState, Drive, dict[str, Any]]:
        """What :func:`houston.reactor.prediction.time_to_damage_s` takes for the runs
        ``rows``: a copy of their plant, the drive it holds (the pump as now, the drums where
        they are or going in if a scram is under way) and its keyword arguments."""
        st, p = self.state, self.p
        sub = self._plant().take(rows)
        drive = self._drive(0.0)
        held = Drive(**{k: np.asarray(v)[rows] for k, v in drive.__dict__.items()})
        held.drum_target_rad = np.where(
            st["scrammed"][rows] & ~self.failed("drums_stuck")[rows], 0.0, held.drum_target_rad
        )
        held.drum_rate_rad_s = np.where(held.drum_target_rad == 0.0, self._scram_rate, 0.0)
        kw = {
            "damage_K": p["clad_damage_temperature"],
            "horizon_s": p["prediction_horizon"],
            "max_step_s": p["prediction_max_step"],
            "uncertainty": p["feedback_uncertainty"],
            "trip_limits": self._trip_constants,
            "protected": (self._protecting() & ~st["scrammed"])[rows],
            "scram_rate_rad_s": self._scram_rate,
        }
        return sub, held, kw

    # -- commands and failures -----------------------------------------------------------------

    def set_failure(
        self, name: str, args: Mapping[str, Any], mask: NDArray[np.bool_], active: bool
    ) -> None:
        super().set_failure(name, args, mask, active)
        self.state["pred_due"][mask] = True

    def command(self, name: str, args: Mapping[str, Any], mask: NDArray[np.bool_]) -> str | None:
        st = self.state
        st["pred_due"][mask] = True
        pump_driver, drum_driver = self._drivers()
        if name in ("scram", "reset_scram"):
            able = mask & (drum_driver > 0)
            why = "no computer is connected to the drums"
            if name == "scram" and (mask & self.failed("drums_stuck")).any():
                able &= ~self.failed("drums_stuck")
                why = "the drums are stuck or no computer is connected to them"
            if not able.any():
                raise CommandRejected(why)
            if name == "scram":
                st["scram_cause"][able & ~st["scrammed"]] = 1
                st["scrammed"][able] = True
                text = "drums released in"
            else:
                st["scrammed"][able] = False
                st["scram_cause"][able] = 0
                text = "scram reset: the regulation may withdraw the drums"
            if (mask & ~able).any():
                raise CommandRejected(why, mask & ~able, text)
            return text
        if name == "set_power_demand":
            able = mask & ~self.failed("primary_computer_lost")
            if not able.any():
                raise CommandRejected("the primary computer, which regulates power, is lost")
            st["power_demand"][able] = float(args["power"])
            text = f"power demand {100 * float(args['power']):.1f} %"
            if (mask & ~able).any():
                raise CommandRejected("the primary computer is lost", mask & ~able, text)
            return text
        if name in ("pump_on", "pump_off"):
            able = mask & (pump_driver > 0)
            if not able.any():
                raise CommandRejected(
                    "no computer can drive the pump (primary drive lost, cross-connect open)"
                )
            st["pump_cmd"][able] = name == "pump_on"
            text = "primary pump " + ("on" if name == "pump_on" else "off")
            if (mask & ~able).any():
                raise CommandRejected("no computer can drive the pump", mask & ~able, text)
            return text
        if name == "connect_backup":
            able = mask & ~self.failed("backup_computer_lost") & ~st["backup_elsewhere"]
            if not able.any():
                raise CommandRejected("the backup computer is lost or serving another reactor")
            st["backup_connected"][able] = True
            if (mask & ~able).any():
                raise CommandRejected(
                    "the backup computer is lost or serving another reactor",
                    mask & ~able,
                    "backup computer connected",
                )
            return "backup computer connected: automatic protection in service"
        if name == "disconnect_backup":
            st["backup_connected"][mask] = False
            return "backup computer released: no automatic protection"
        if name == "restore_cross_connect":
            st["cross_cmd"][mask] = True
            st["cross_connect"][mask] = True
            return "cross-connect restored: the backup computer can drive the primary pump"
        if name == "open_cross_connect":
            st["cross_cmd"][mask] = False
            st["cross_connect"][mask] = False
            return "cross-connect open"
        if name == "set_sink_temperature":
            st["sink"][mask] = float(args["temperature"])
            return f"sink temperature {float(args['temperature']):.0f} K"
        return super().command(name, args, mask)

    # -- published values --------------------------------------------------------------------

    def output_values(self) -> Mapping[str, NDArray[Any]]:
        st = self.state
        return {
            "electric_power_W": st["electric"],
            "thermal_power_W": st["heat"],
            "backup_in_use": (st["backup_connected"] & ~self.failed("backup_computer_lost")).astype(
                np.float64
            ),
            "damage_state": st["damage"].astype(np.float64),
        }

    def sample(self, out: NDArray[np.float64]) -> None:
        """:meth:`telemetry_values` into ``out`` in one compiled pass (its arguments built
        once, and again when a state array is replaced: :meth:`_sample_args`)."""
        st = self.state
        assert isinstance(st, _State)
        args = self._tm_args
        if args is None or self._tm_assigned != st.assigned:
            args = self._sample_args()
        if not self._telemetry_kernel(out, *args):
            for name in kernels.TELEMETRY[:3]:
                out[:, self._tm_columns[kernels.TELEMETRY.index(name)]] = self._tm_voted(name)

    def _sample_args(self) -> tuple[Any, ...]:
        """The arguments of :func:`houston.reactor.kernels.telemetry_rows` after ``out``: the
        state arrays themselves (views of the packed state, updated in place by the step)."""
        st = self.state
        assert isinstance(st, _State)
        self._telemetry_kernel = kernels.compiled("telemetry_rows")
        self._tm_args = (
            self._tm_columns,
            st["T"],
            st["n"],
            st["reactivity"],
            st["feedback"],
            st["flow"],
            st["pump_speed"],
            st["electric"],
            st["radiated"],
            st["heat"],
            st["decay"],
            st["drum_angle"],
            st["power_demand"],
            st["ttd"],
            st["ttd_early"],
            st["ttd_late"],
            st["scrammed"],
            st["scram_cause"],
            self.failed("primary_computer_lost"),
            self.failed("backup_computer_lost"),
            st["backup_elsewhere"],
            st["backup_connected"],
            st["cross_connect"],
            st["pump_driver"],
            st["pump_cmd"],
            self.failed("power_bus_lost"),
            st["drum_driver"],
            st["damage"],
            st["peak_clad"],
            np.ascontiguousarray(self._pp.loop.heat_capacity_J_K, dtype=np.float64),
            st["e_stored0"],
            st["e_generated"],
            st["e_electric"],
            st["e_radiated"],
            st.buffers[5],
            st.offsets[5],
            float(self._pp.loop.rated_flow_kg_s),
            float(self._pp.kinetics.beta_total),
        )
        self._tm_assigned = st.assigned
        return self._tm_args

    def _tm_voted(self, name: str) -> Array:
        if name == "fuel_temperature_spread_K":
            return _mid_value(self.state["sensor.fuel_tc.reading"])[1]
        return self._voted("power" if name == "power_fraction" else "fuel_tc")

    def telemetry_values(self) -> Mapping[str, NDArray[Any]]:
        st, t = self.state, self.state["T"]
        beta = float(self._pp.kinetics.beta_total)
        flow_rated = self._pp.loop.rated_flow_kg_s
        backup = np.where(
            self.failed("backup_computer_lost"),
            3,
            np.where(st["backup_elsewhere"], 2, np.where(st["backup_connected"], 1, 0)),
        )
        pump = np.where(
            (st["pump_driver"] > 0) & st["pump_cmd"] & ~self.failed("power_bus_lost"),
            0,
            np.where(st["pump_speed"] > 1e-3, 1, 2),
        )
        stored = stored_energy_J(t, self._pp.loop)
        residual = (
            stored - st["e_stored0"] - (st["e_generated"] - st["e_electric"] - st["e_radiated"])
        )
        f = np.float64
        return {
            "power_fraction": self._voted("power"),
            "fuel_temperature_K": self._voted("fuel_tc"),
            "fuel_temperature_spread_K": _mid_value(st["sensor.fuel_tc.reading"])[1],
            "clad_temperature_K": self._voted("clad_tc"),
            "core_outlet_temperature_K": self._voted("outlet_tc"),
            "core_inlet_temperature_K": self._voted("inlet_tc"),
            "primary_flow": self._voted("flow") / flow_rated,
            "pump_speed": self._voted("pump_speed"),
            "secondary_temperature_K": self._voted("secondary_tc"),
            "radiator_temperature_K": self._voted("radiator_tc"),
            "electric_power_W": self._voted("electric"),
            "thermal_power_W": st["heat"],
            "decay_heat_W": st["decay"],
            "reactivity_dollars": st["reactivity"] / beta,
            "drum_angle_rad": st["drum_angle"],
            "power_demand": st["power_demand"],
            "time_to_core_damage_s": st["ttd"],
            "time_to_core_damage_early_s": st["ttd_early"],
            "time_to_core_damage_late_s": st["ttd_late"],
            "scram": st["scrammed"].astype(f),
            "scram_cause": st["scram_cause"].astype(f),
            "primary_computer": self.failed("primary_computer_lost").astype(f),
            "backup_computer": backup.astype(f),
            "cross_connect": st["cross_connect"].astype(f),
            "pump_drive": st["pump_driver"].astype(f),
            "pump": pump.astype(f),
            "drum_control": st["drum_driver"].astype(f),
            "damage_state": st["damage"].astype(f),
            "site_status": st["damage"].astype(f),
            "true_power_fraction": st["n"],
            "true_reactivity_dollars": st["reactivity"] / beta,
            "true_feedback_dollars": st["feedback"] / beta,
            "true_fuel_temperature_K": t[:, F],
            "true_clad_temperature_K": t[:, S],
            "true_core_outlet_temperature_K": t[:, C],
            "true_hot_leg_temperature_K": t[:, H],
            "true_heat_exchanger_temperature_K": t[:, X],
            "true_core_inlet_temperature_K": t[:, K],
            "true_secondary_temperature_K": t[:, D],
            "true_radiator_temperature_K": t[:, R],
            "true_primary_flow_kg_s": st["flow"],
            "true_pump_speed": st["pump_speed"],
            "true_electric_power_W": st["electric"],
            "true_radiated_power_W": st["radiated"],
            "peak_clad_temperature_K": st["peak_clad"],
            "energy_residual_J": residual,
        }

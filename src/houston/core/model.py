"""The model contract: what every simulated system declares and how the kernel drives it.

A model is a class that declares, as class attributes:

- ``params``: typed parameters with SI units and valid ranges (the scenario sets them, in any
  unit its field names say: ``perigee_altitude_km`` for a parameter ``perigee_altitude`` in m);
- ``states``: its state arrays, each with a leading batch axis (one run is a batch of one);
- ``inputs`` and ``outputs``: the signals it reads from and publishes to other models (only the
  scenario wires them);
- ``telemetry``: the parameters the ground sees, with units, descriptions and limits;
- ``commands``: what it accepts, with argument schemas;
- ``failures``: what can go wrong with it; a failure is an input the model reads, never a patch
  of its internals.

The console, the documentation and the XTCE export are generated from these declarations, so
they are plain frozen dataclasses that can be listed and serialised (``describe()``).

The kernel calls ``initialize`` once, then for each interval ``step``; after each it reads
``outputs`` (the signals) and ``sample`` (the telemetry). All mutable state lives in
``self.state`` so that a checkpoint is the set of those arrays.

Declarations that depend on parameters (the nodes of a gas network, the people of a crew) may
be set on the instance in ``__init__``, shadowing the class's: the session, the catalog and
the loader read them from instances. ``__init__`` must stay cheap and raise ``ValueError`` for
inconsistent parameters: the loader builds a batch-of-one instance of every system to check
the scenario's wiring and limits.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
from numpy.typing import NDArray

from houston.core.random import BatchRandom
from houston.core.time import Epoch
from houston.core.units import DIMENSIONS

ParamKind = Literal["float", "int", "bool", "str", "vector", "strings", "records"]
TelemetryKind = Literal["float", "int", "bool", "enum"]


class _Required:
    """Marks a parameter that has no default: the scenario must give it."""

    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


class ModelContractError(TypeError):
    """A model breaks the contract (a declaration or a published array is wrong)."""


class CommandRejected(Exception):
    """A command that cannot be applied; the reason goes to the event log.

    With ``mask``, the command was refused only for those runs and applied to the others of
    the batch, with the result ``applied``.
    """

    def __init__(
        self, reason: str, mask: NDArray[np.bool_] | None = None, applied: str = ""
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.mask = mask
        self.applied = applied


@dataclass(frozen=True)
class Param:
    """A declared parameter (of a model, a command or a failure).

    ``name`` carries no unit: the scenario field is ``name`` plus a unit suffix of ``unit``
    (``altitude`` in ``m`` is written ``altitude_m`` or ``altitude_km``). Dimensionless
    parameters (unit ``"1"``), strings and booleans are written by their bare name. Values are
    handed to the model in SI.
    """

    name: str
    unit: str = "1"
    description: str = ""
    default: Any = REQUIRED
    kind: ParamKind = "float"
    shape: tuple[int, ...] = ()
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] | None = None
    fields: tuple[Param, ...] = ()

    def __post_init__(self) -> None:
        if self.unit not in DIMENSIONS:
            raise ModelContractError(f"parameter {self.name!r}: unknown SI unit {self.unit!r}")
        if self.kind == "records" and not self.fields:
            raise ModelContractError(f"records parameter {self.name!r} needs its fields")
        if self.kind == "vector" and not self.shape:
            raise ModelContractError(f"vector parameter {self.name!r} needs a shape")

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def describe(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["default"] = None if self.required else self.default
        d["required"] = self.required
        d["fields"] = [f.describe() for f in self.fields]
        return d


@dataclass(frozen=True)
class State:
    """A declared state array: shape ``(batch, *shape)``."""

    name: str
    unit: str = "1"
    shape: tuple[int, ...] = ()
    dtype: str = "float64"
    description: str = ""


@dataclass(frozen=True)
class Signal:
    """A signal a model publishes (output) or reads (input): shape ``(batch, *shape)``.

    An input with ``optional=True`` reads ``default`` when the scenario leaves it unwired.
    """

    name: str
    unit: str = "1"
    shape: tuple[int, ...] = ()
    description: str = ""
    optional: bool = False
    default: float = 0.0
    frame: str | None = None


@dataclass(frozen=True)
class Limits:
    """Caution and warning limits of a telemetry parameter, in its SI unit.

    ``persistence`` is the number of consecutive samples a violation must last before it is
    raised; ``hysteresis`` is how far back inside a limit the value must come before the level
    is lowered (in the parameter's unit).
    """

    caution_low: float | None = None
    caution_high: float | None = None
    warning_low: float | None = None
    warning_high: float | None = None
    persistence: int = 1
    hysteresis: float = 0.0

    def __post_init__(self) -> None:
        if self.persistence < 1:
            raise ValueError(f"limit persistence must be at least 1 sample, got {self.persistence}")
        if self.hysteresis < 0:
            raise ValueError(f"limit hysteresis must be non-negative, got {self.hysteresis}")
        lo = [v for v in (self.warning_low, self.caution_low) if v is not None]
        hi = [v for v in (self.caution_high, self.warning_high) if v is not None]
        if len(lo) == 2 and lo[0] > lo[1]:
            raise ValueError(f"warning-low {lo[0]} is above caution-low {lo[1]}")
        if len(hi) == 2 and hi[0] > hi[1]:
            raise ValueError(f"caution-high {hi[0]} is above warning-high {hi[1]}")

    @property
    def empty(self) -> bool:
        return all(
            v is None
            for v in (self.caution_low, self.caution_high, self.warning_low, self.warning_high)
        )


@dataclass(frozen=True)
class Telemetry:
    """A telemetry parameter: the model-local name carries its unit (``altitude_m``).

    ``display_unit`` is the suffix the console and the timeline show it in (``km``).
    Enumerations (``kind="enum"``) publish the index into ``states``. A ``truth`` parameter is
    the simulation's true value that no sensor reports: it is archived (so a post-mortem can
    tell a sensor fault from a real leak) but never limit-checked or sent to the ground.
    """

    name: str
    unit: str = "1"
    description: str = ""
    limits: Limits | None = None
    kind: TelemetryKind = "float"
    states: tuple[str, ...] = ()
    display_unit: str | None = None
    truth: bool = False

    def __post_init__(self) -> None:
        if self.unit not in DIMENSIONS:
            raise ModelContractError(f"telemetry {self.name!r}: unknown SI unit {self.unit!r}")
        if self.truth and self.limits is not None:
            raise ModelContractError(f"truth telemetry {self.name!r} cannot have limits")
        if self.kind == "enum" and not self.states:
            raise ModelContractError(f"enumerated telemetry {self.name!r} needs its states")


@dataclass(frozen=True)
class Command:
    """A command a model accepts, with its argument schema."""

    name: str
    description: str = ""
    args: tuple[Param, ...] = ()


@dataclass(frozen=True)
class Failure:
    """A failure a model can suffer, with its arguments (e.g. the area of a hole)."""

    name: str
    description: str = ""
    args: tuple[Param, ...] = ()


@dataclass
class ModelEvent:
    """Something a model reports (``hatch opened``) for a mask of runs."""

    message: str
    mask: NDArray[np.bool_]
    severity: str = "info"
    data: dict[str, Any] = field(default_factory=dict)


class StepContext:
    """What a model sees during one step: times, inputs, random numbers, an event outlet."""

    __slots__ = (
        "_events",
        "dt_s",
        "epoch",
        "frame",
        "inputs",
        "random",
        "t0_ns",
        "t0_s",
        "t1_ns",
        "t1_s",
    )

    def __init__(
        self,
        t0_ns: int,
        t1_ns: int,
        frame: int,
        inputs: Mapping[str, NDArray[Any]],
        random: ModelRandom,
        events: list[ModelEvent],
        epoch: Epoch | None = None,
    ) -> None:
        self._events = events
        self.random = random
        #: The scenario epoch (kernel time zero), for models that need absolute time
        #: (ephemerides, Earth rotation): ``houston.dynamics.ephemeris.tdb_jd(ctx.epoch, t_ns)``.
        self.epoch = epoch
        self.reset(t0_ns, t1_ns, frame, inputs)

    def reset(self, t0_ns: int, t1_ns: int, frame: int, inputs: Mapping[str, NDArray[Any]]) -> None:
        """Reuse this context for another step (the kernel keeps one per model)."""
        self.t0_ns = t0_ns
        self.t1_ns = t1_ns
        self.t0_s = t0_ns * 1e-9
        self.t1_s = t1_ns * 1e-9
        self.dt_s = (t1_ns - t0_ns) * 1e-9
        self.frame = frame
        self.inputs = inputs
        # Draws are keyed by the step's start time (a frame split by a timeline entry has two
        # steps, with different numbers); the initial state uses its own key.
        self.random.at_step(-1 if frame < 0 else t0_ns)

    def emit(
        self,
        message: str,
        mask: NDArray[np.bool_] | None = None,
        severity: str = "info",
        **data: Any,
    ) -> None:
        """Report a model event for the runs in ``mask`` (all runs when ``None``)."""
        if mask is None:
            mask = np.ones(self.random.batch, dtype=bool)
        if np.any(mask):
            self._events.append(ModelEvent(message, np.asarray(mask, dtype=bool), severity, data))


class ModelRandom:
    """A model's random numbers: streams are namespaced by the model path and keyed by frame."""

    __slots__ = ("_counts", "_frame", "_path", "_rng")

    def __init__(self, rng: BatchRandom, path: str, key: int = -2) -> None:
        self._rng = rng
        self._path = path
        self._frame = key
        self._counts: dict[str, int] = {}

    def at_step(self, key: int) -> None:
        """Key the following draws to the step ``key`` (its start time in ns)."""
        if key != self._frame:
            self._frame = key
            self._counts = {}

    @property
    def batch(self) -> int:
        return self._rng.batch

    def _key(self, stream: str) -> tuple[str, int]:
        n = self._counts.get(stream, 0)
        self._counts[stream] = n + 1
        # The counter is unique per (step, call number within the step).
        return f"{self._path}/{stream}", self._frame * 1024 + n

    def normal(self, stream: str, shape: tuple[int, ...] = ()) -> NDArray[np.float64]:
        key, counter = self._key(stream)
        return self._rng.normal(key, counter, shape)

    def uniform(self, stream: str, shape: tuple[int, ...] = ()) -> NDArray[np.float64]:
        key, counter = self._key(stream)
        return self._rng.uniform(key, counter, shape)

    def normal_steps(
        self, stream: str, keys: Sequence[int], shape: tuple[int, ...] = ()
    ) -> NDArray[np.float64]:
        """What ``at_step(k); normal(stream, shape)`` gives for each step key ``k`` of
        ``keys`` in turn, stacked (shape ``(len(keys), batch, *shape)``), in one draw; the
        generator is left as those calls leave it."""
        counters = []
        for k in keys:
            self.at_step(k)
            counters.append(self._key(stream)[1])
        return self._rng.normal_many(f"{self._path}/{stream}", counters, shape)


class Model:
    """Base class of every simulated system. See the module docstring for the contract."""

    type_name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    params: ClassVar[tuple[Param, ...]] = ()
    states: ClassVar[tuple[State, ...]] = ()
    inputs: ClassVar[tuple[Signal, ...]] = ()
    outputs: ClassVar[tuple[Signal, ...]] = ()
    telemetry: ClassVar[tuple[Telemetry, ...]] = ()
    commands: ClassVar[tuple[Command, ...]] = ()
    failures: ClassVar[tuple[Failure, ...]] = ()

    def __init__(self, path: str, params: Mapping[str, Any], batch: int) -> None:
        self.path = path
        self.batch = int(batch)
        self.p = dict(params)
        self.state: dict[str, NDArray[Any]] = {
            s.name: np.zeros((self.batch, *s.shape), dtype=s.dtype) for s in self.states
        }
        for f in self.failures:
            self.state[f"failure.{f.name}"] = np.zeros(self.batch, dtype=bool)
            for a in f.args:
                self.state[f"failure.{f.name}.{a.name}"] = np.zeros(
                    (self.batch, *a.shape), dtype=np.float64
                )
        self._tm_index = {t.name: i for i, t in enumerate(self.telemetry)}

    # -- lifecycle -----------------------------------------------------------------------

    def initialize(self, ctx: StepContext) -> None:
        """Set the initial state (``ctx.t0_ns == ctx.t1_ns == 0``)."""

    def step(self, ctx: StepContext) -> None:
        """Advance the state from ``ctx.t0_s`` to ``ctx.t1_s``."""
        raise NotImplementedError

    def output_values(self) -> Mapping[str, NDArray[Any]]:
        """The current value of every declared output, shape ``(batch, *shape)``."""
        return {}

    def telemetry_values(self) -> Mapping[str, NDArray[Any]]:
        """The current value of every telemetry parameter, shape ``(batch,)``."""
        return {}

    def sample(self, out: NDArray[np.float64]) -> None:
        """Write the telemetry into ``out`` (shape ``(batch, len(telemetry))``, declared order).

        The default reads ``telemetry_values()``; a model on a hot path may fill ``out``
        directly.
        """
        values = self.telemetry_values()
        for i, t in enumerate(self.telemetry):
            out[:, i] = values[t.name]

    # -- commands and failures -------------------------------------------------------------

    def command(self, name: str, args: Mapping[str, Any], mask: NDArray[np.bool_]) -> str | None:
        """Apply command ``name`` to the runs in ``mask``; return a short result text or raise
        ``CommandRejected`` with the reason."""
        raise CommandRejected(f"{self.path} has no handler for command {name!r}")

    def set_failure(
        self, name: str, args: Mapping[str, Any], mask: NDArray[np.bool_], active: bool
    ) -> None:
        """Set (or clear) a failure for the runs in ``mask``; the model reads
        ``self.failed(name)`` and ``self.failure_arg(name, arg)`` in ``step``."""
        self.state[f"failure.{name}"][mask] = active
        for key, value in args.items():
            self.state[f"failure.{name}.{key}"][mask] = value

    def check_action(self, kind: str, name: str, args: Mapping[str, Any]) -> str | None:
        """A problem with a ``command`` or ``failure`` and its (typed, SI) arguments that the
        declarations cannot express (an argument naming a node this instance does not have),
        or None. The loader calls it on its batch-of-one instance, so ``houston check``
        reports it with the entry's place."""
        return None

    def failed(self, name: str) -> NDArray[np.bool_]:
        return self.state[f"failure.{name}"]

    def failure_arg(self, name: str, arg: str) -> NDArray[np.float64]:
        return self.state[f"failure.{name}.{arg}"]

    # -- introspection ---------------------------------------------------------------------

    @classmethod
    def find_command(cls, name: str) -> Command | None:
        return next((c for c in cls.commands if c.name == name), None)

    @classmethod
    def find_failure(cls, name: str) -> Failure | None:
        return next((f for f in cls.failures if f.name == name), None)

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """Every declaration as plain data (for docs, the console and XTCE)."""

        def rows(items: Sequence[Any]) -> list[dict[str, Any]]:
            out = []
            for it in items:
                if isinstance(it, Param):
                    out.append(it.describe())
                else:
                    d = dataclasses.asdict(it)
                    if "args" in d:
                        d["args"] = [a.describe() for a in it.args]
                    out.append(d)
            return out

        return {
            "type": cls.type_name,
            "summary": cls.summary,
            "params": rows(cls.params),
            "states": rows(cls.states),
            "inputs": rows(cls.inputs),
            "outputs": rows(cls.outputs),
            "telemetry": rows(cls.telemetry),
            "commands": rows(cls.commands),
            "failures": rows(cls.failures),
        }

    @classmethod
    def check_declarations(cls) -> None:
        """Raise ``ModelContractError`` if the declarations are inconsistent."""
        if not cls.type_name:
            raise ModelContractError(f"{cls.__name__} declares no type_name")
        for group in ("params", "states", "inputs", "outputs", "telemetry", "commands", "failures"):
            names = [x.name for x in getattr(cls, group)]
            dup = {n for n in names if names.count(n) > 1}
            if dup:
                raise ModelContractError(f"{cls.type_name}: duplicate {group} {sorted(dup)}")
        for t in cls.telemetry:
            if t.unit != "1" and not t.name.endswith("_" + t.unit) and t.kind == "float":
                raise ModelContractError(
                    f"{cls.type_name}: telemetry {t.name!r} must end with its unit '_{t.unit}'"
                )


# -- registry --------------------------------------------------------------------------------

#: Model type name -> "module:Class". Modules are imported only when a scenario uses the type,
#: so that ``import houston`` stays fast.
BUILTIN_MODELS: dict[str, str] = {
    "vehicle.two_body": "houston.dynamics.vehicle:TwoBodyVehicle",
    "vehicle.spacecraft": "houston.dynamics.spacecraft:Spacecraft",
    "reactor.fission_surface": "houston.reactor.model:SurfaceReactor",
    "habitat.gas_network": "houston.habitat.model:GasNetworkModel",
    "crew.team": "houston.crew.model:CrewModel",
    "comms.link": "houston.comms.model:CommsLink",
    "ops.handover": "houston.ops.handover:StateVectorHandover",
    "vehicle.rendezvous": "houston.dynamics.rendezvous.model:Rendezvous",
    "vehicle.pair": "houston.comms.pair:VehiclePair",
}

_extra: dict[str, type[Model]] = {}


def register(cls: type[Model]) -> type[Model]:
    """Register a model class under its ``type_name`` (usable as a decorator)."""
    cls.check_declarations()
    _extra[cls.type_name] = cls
    return cls


def model_types() -> list[str]:
    return sorted(set(BUILTIN_MODELS) | set(_extra))


def model_class(type_name: str) -> type[Model]:
    """The class registered for ``type_name``; ``KeyError`` names the known types."""
    if type_name in _extra:
        return _extra[type_name]
    try:
        module, _, name = BUILTIN_MODELS[type_name].partition(":")
    except KeyError:
        raise KeyError(
            f"unknown model type {type_name!r}; known types: {', '.join(model_types())}"
        ) from None
    cls: type[Model] = getattr(importlib.import_module(module), name)
    return cls

"""Another control centre that tracks a vehicle and hands its state vector over by phone.

``ops.handover`` stands for a second control centre (Soviet control, for the Soyuz of the
Apollo-Soyuz rendezvous): it tracks a vehicle with its own network and, when asked
(command ``hand_over``), reads the vehicle's state vector and passes it to Houston, where it
arrives ``delay_s`` after the instant it describes (its epoch): the time to fit the orbit,
write the vector down and read it over the phone. Houston then has a vector that is already
old, with its epoch, and plans from it (``vehicle.rendezvous``).

What is handed over is the vehicle's true GCRF state at the epoch (the inputs ``r_m``,
``v_m_s``, wired from the vehicle's ``r_gcrf_m`` and ``v_gcrf_m_s``) plus a tracking error:
independent normal errors of ``position_sigma`` per axis on the position and
``velocity_sigma`` per axis on the velocity, drawn from the model's random stream, so that a
seed always gives the same vector and the runs of a batch get different ones. The defaults
are 0 (a perfect vector): the accuracy of a 1970s network's orbit for a low orbit depends on
the passes it had, so a scenario or a Monte Carlo study sets it. The error actually drawn is
published as truth telemetry (archived for post-mortems, never sent to the ground).

The epoch is the vehicle's own time tag (the input ``t_s``, wired from the vehicle's
``t_s``). The command takes the state this model read at its last step: with the vehicle
earlier in the scenario's order that is the state at the instant of the command; with the
vehicle later, the state one step before it, and the time tag says so. The tracking error is
drawn at the next step (random numbers are drawn in steps). Vectors in flight are queued (up to
``MAX_IN_FLIGHT`` per run); each is published at the end of the step in which it arrives,
with an event in the controllers' words ("state vector from Soviet control: epoch GET
001:02:03, age 2 min 00 s"). ``sv_count`` counts the vectors received: a model reading the
outputs takes a rise of the count as a new vector.

Per frame, with nothing in flight, the model keeps the clock and the vehicle's state (for the
next command) and nothing else; the queue is looked at only when the earliest arrival is due
(about 1.5 us a frame at batch 1, outputs and telemetry included).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from numba import njit
from numpy.typing import NDArray

from houston.core.compiled import compiled_for
from houston.core.model import (
    Command,
    CommandRejected,
    Model,
    Param,
    Signal,
    State,
    StepContext,
    Telemetry,
)
from houston.core.time import NS_PER_S, format_get

Array = NDArray[np.float64]

#: Vectors that may be on their way to Houston at once, per run.
MAX_IN_FLIGHT = 4


@njit(cache=True)
def _keep(
    t1_s: float,
    r: Array,
    v: Array,
    t: Array,
    now: Array,
    last_r: Array,
    last_v: Array,
    last_t: Array,
) -> None:
    """The clock and the vehicle's state read this step, into the state arrays."""
    for b in range(now.shape[0]):
        now[b] = t1_s
        for i in range(3):
            last_r[b, i] = r[b, i]
            last_v[b, i] = v[b, i]
        last_t[b] = t[b]


@njit(cache=True)
def _sample(count: Array, now: Array, sv_t: Array, err_r: Array, err_v: Array, out: Array) -> None:
    """Every telemetry column (order of ``StateVectorHandover.telemetry``), in one pass."""
    for b in range(count.shape[0]):
        out[b, 0] = count[b]
        out[b, 1] = now[b] - sv_t[b] if count[b] > 0.0 else np.nan
        out[b, 2] = err_r[b]
        out[b, 3] = err_v[b]


def format_age(seconds: float) -> str:
    """An age as a controller says it: ``45 s``, ``2 min 00 s``, ``1 h 05 min``."""
    total = math.floor(seconds + 0.5)
    if total < 60:
        return f"{total} s"
    if total < 3600:
        return f"{total // 60} min {total % 60:02d} s"
    return f"{total // 3600} h {(total % 3600) // 60:02d} min"


class StateVectorHandover(Model):
    """A control centre that hands a tracked vehicle's state vector over, late and imperfect.

    See the module docstring for the delay, the tracking error and the time tags.
    """

    type_name = "ops.handover"
    summary = (
        "Another control centre handing over a vehicle's state vector by phone: tracking "
        "error, epoch and the delay to Houston"
    )
    params = (
        Param(
            "delay",
            "s",
            "from the vector's epoch to its arrival at Houston (tracking, fit, phone call)",
            120.0,
            min=0.0,
        ),
        Param(
            "position_sigma",
            "m",
            "tracking error of the position, 1 sigma per axis (0: exact)",
            0.0,
            min=0.0,
        ),
        Param(
            "velocity_sigma",
            "m_s",
            "tracking error of the velocity, 1 sigma per axis (0: exact)",
            0.0,
            min=0.0,
        ),
        Param("source", "1", "who hands the vector over, for messages", "Soviet control", "str"),
    )
    states = (
        State("now", "s", description="kernel time at the end of the last step"),
        State("last_r", "m", (3,), description="the vehicle's position last read, GCRF"),
        State("last_v", "m_s", (3,), description="the vehicle's velocity last read, GCRF"),
        State("last_t", "s", description="time of the vehicle's state last read"),
        State("request", "1", dtype="bool", description="a vector read, its error not drawn"),
        State("req_r", "m", (3,), description="vector read: position"),
        State("req_v", "m_s", (3,), description="vector read: velocity"),
        State("req_t", "s", description="vector read: epoch"),
        State("sv_r", "m", (3,), description="last vector received: position, GCRF"),
        State("sv_v", "m_s", (3,), description="last vector received: velocity, GCRF"),
        State("sv_t", "s", description="last vector received: epoch (kernel seconds)"),
        State("sv_count", "1", description="vectors received"),
        State("sv_err_r", "m", description="last vector received: its position error"),
        State("sv_err_v", "m_s", description="last vector received: its velocity error"),
        State("q_arrival", "s", (MAX_IN_FLIGHT,), description="in flight: arrival (NaN: free)"),
        State("q_t", "s", (MAX_IN_FLIGHT,), description="in flight: epoch"),
        State("q_r", "m", (MAX_IN_FLIGHT, 3), description="in flight: position"),
        State("q_v", "m_s", (MAX_IN_FLIGHT, 3), description="in flight: velocity"),
        State("q_err_r", "m", (MAX_IN_FLIGHT,), description="in flight: position error"),
        State("q_err_v", "m_s", (MAX_IN_FLIGHT,), description="in flight: velocity error"),
    )
    inputs = (
        Signal("r_m", "m", (3,), "the vehicle's true position, GCRF", frame="GCRF"),
        Signal("v_m_s", "m_s", (3,), "the vehicle's true velocity, GCRF", frame="GCRF"),
        Signal("t_s", "s", (), "time of the vehicle's state (its output t_s)"),
    )
    outputs = (
        Signal("sv_r_m", "m", (3,), "last vector received: position, GCRF", frame="GCRF"),
        Signal("sv_v_m_s", "m_s", (3,), "last vector received: velocity, GCRF", frame="GCRF"),
        Signal("sv_t_s", "s", (), "last vector received: its epoch, kernel seconds"),
        Signal("sv_count", "1", (), "vectors received (a rise is a new vector)"),
    )
    telemetry = (
        Telemetry("sv_count", "1", "state vectors received", kind="int"),
        Telemetry(
            "sv_age_s",
            "s",
            "age of the last vector received (now minus its epoch; NaN before the first)",
            display_unit="min",
        ),
        Telemetry(
            "sv_position_error_m",
            "m",
            "position error of the last vector received (truth)",
            truth=True,
        ),
        Telemetry(
            "sv_velocity_error_m_s",
            "m_s",
            "velocity error of the last vector received (truth)",
            truth=True,
        ),
    )
    commands = (
        Command(
            "hand_over",
            "read the vehicle's state vector now and pass it to Houston (it arrives after the "
            "delay)",
        ),
    )

    def __init__(self, path: str, params: Mapping[str, Any], batch: int) -> None:
        super().__init__(path, params, batch)
        self.source = str(self.p["source"])
        #: Earliest arrival in flight (inf: none); None: to be read from the state.
        self._next_due: float | None = None
        #: A hand-over may be waiting to be read (False only when known not to be).
        self._requested = True
        self._outputs: dict[str, NDArray[Any]] | None = None
        #: ``_keep`` compiled for the arrays it is called with, and those arrays (``step``).
        self._keep: tuple[Any, ...] | None = None
        #: ``_sample``'s arguments and the function compiled for them (``sample``).
        self._sample_args: tuple[Any, ...] | None = None
        self._sample_fn: Any = None

    def initialize(self, ctx: StepContext) -> None:
        st = self.state
        st["now"][:] = ctx.t1_s
        st["sv_err_r"][:] = np.nan
        st["sv_err_v"][:] = np.nan
        st["q_arrival"][:] = np.nan
        self._next_due = math.inf
        self._requested = False

    def step(self, ctx: StepContext) -> None:
        inp = ctx.inputs
        r, v, t = inp["r_m"], inp["v_m_s"], inp["t_s"]
        keep = self._keep
        # the compiled copy resolved for these very arrays (a restore replaces the state's)
        if (
            keep is None
            or keep[1] is not r
            or keep[2] is not v
            or keep[3] is not t
            or keep[4] is not self.state["now"]
        ):
            keep = self._resolve_keep(ctx.t1_s, r, v, t)
        keep[0](ctx.t1_s, r, v, t, keep[4], keep[5], keep[6], keep[7])
        if self._requested:
            self._read(ctx)
        if self._next_due is None:
            self._next_due = self._earliest()
        if ctx.t1_s >= self._next_due:
            self._deliver(ctx)

    def _resolve_keep(self, t1_s: float, r: Array, v: Array, t: Array) -> tuple[Any, ...]:
        """``_keep`` compiled for these inputs and the state's arrays, with those arrays."""
        st = self.state
        arrays = (st["now"], st["last_r"], st["last_v"], st["last_t"])
        fn = compiled_for(_keep, (t1_s, r, v, t, *arrays))
        self._keep = (fn, r, v, t, *arrays)
        return self._keep

    # -- the queue -------------------------------------------------------------------------

    def _earliest(self) -> float:
        q = self.state["q_arrival"]
        return float(np.nanmin(q)) if not np.isnan(q).all() else math.inf

    def _read(self, ctx: StepContext) -> None:
        """Queue the vectors read by ``hand_over``, with their tracking errors."""
        st = self.state
        rows = np.flatnonzero(st["request"])
        self._requested = False
        if rows.size == 0:
            return
        # Every run draws (so that a run's numbers do not depend on the others'); the runs
        # that asked use theirs.
        dr = float(self.p["position_sigma"]) * ctx.random.normal("position", (3,))
        dv = float(self.p["velocity_sigma"]) * ctx.random.normal("velocity", (3,))
        r, v, t = st["req_r"], st["req_v"], st["req_t"]
        delay = float(self.p["delay"])
        for b in rows:
            slot = int(np.flatnonzero(np.isnan(st["q_arrival"][b]))[0])
            st["q_t"][b, slot] = t[b]
            st["q_arrival"][b, slot] = t[b] + delay
            st["q_r"][b, slot] = r[b] + dr[b]
            st["q_v"][b, slot] = v[b] + dv[b]
            st["q_err_r"][b, slot] = np.linalg.norm(dr[b])
            st["q_err_v"][b, slot] = np.linalg.norm(dv[b])
        st["request"][rows] = False
        self._next_due = self._earliest()

    def _deliver(self, ctx: StepContext) -> None:
        """Publish the vectors that have arrived, in order of arrival."""
        st = self.state
        q = st["q_arrival"]
        now = ctx.t1_s
        due = ~np.isnan(q) & (q <= now)
        for b in np.flatnonzero(due.any(axis=1)):
            for slot in np.flatnonzero(due[b])[np.argsort(q[b, due[b]], kind="stable")]:
                epoch = float(st["q_t"][b, slot])
                st["sv_r"][b] = st["q_r"][b, slot]
                st["sv_v"][b] = st["q_v"][b, slot]
                st["sv_t"][b] = epoch
                st["sv_err_r"][b] = st["q_err_r"][b, slot]
                st["sv_err_v"][b] = st["q_err_v"][b, slot]
                st["sv_count"][b] += 1.0
                q[b, slot] = np.nan
                mask = np.zeros(self.batch, dtype=bool)
                mask[b] = True
                epoch_ns = round(epoch * NS_PER_S)
                ctx.emit(
                    f"state vector from {self.source}: epoch {format_get(epoch_ns)}, "
                    f"age {format_age(now - epoch)}",
                    mask,
                    "info",
                    source=self.source,
                    epoch_s=epoch,
                    age_s=now - epoch,
                    count=int(st["sv_count"][b]),
                )
        self._next_due = self._earliest()

    # -- signals and telemetry ---------------------------------------------------------------

    def output_values(self) -> Mapping[str, NDArray[Any]]:
        # The state arrays themselves, updated in place: one mapping serves every step (a
        # restore replaces every array, and with them the mapping).
        st = self.state
        out = self._outputs
        if out is None or out["sv_count"] is not st["sv_count"]:
            out = {
                "sv_r_m": st["sv_r"],
                "sv_v_m_s": st["sv_v"],
                "sv_t_s": st["sv_t"],
                "sv_count": st["sv_count"],
            }
            self._outputs = out
        return out

    def sample(self, out: NDArray[np.float64]) -> None:
        args = self._sample_args
        if args is None or args[5] is not out or args[1] is not self.state["now"]:
            st = self.state
            args = (st["sv_count"], st["now"], st["sv_t"], st["sv_err_r"], st["sv_err_v"], out)
            self._sample_args = args
            self._sample_fn = compiled_for(_sample, args)
        self._sample_fn(*args)

    def telemetry_values(self) -> Mapping[str, NDArray[Any]]:
        out = np.empty((self.batch, len(self.telemetry)))
        self.sample(out)
        return {t.name: out[:, i] for i, t in enumerate(self.telemetry)}

    # -- commands ----------------------------------------------------------------------------

    def command(self, name: str, args: Mapping[str, Any], mask: NDArray[np.bool_]) -> str | None:
        if name != "hand_over":
            return super().command(name, args, mask)
        st = self.state
        full = (~np.isnan(st["q_arrival"])).sum(axis=1) + st["request"] >= MAX_IN_FLIGHT
        busy = mask & st["request"]
        bad = mask & (busy | full)
        ok = mask & ~bad
        reason = (
            f"{self.source} is already reading a vector"
            if busy.any()
            else f"{MAX_IN_FLIGHT} vectors already on their way"
        )
        if not ok.any():
            raise CommandRejected(reason)
        # The state read at the vehicle's last step: the instant of the command.
        st["request"][ok] = True
        st["req_r"][ok] = st["last_r"][ok]
        st["req_v"][ok] = st["last_v"][ok]
        st["req_t"][ok] = st["last_t"][ok]
        self._requested = True
        text = (
            f"{self.source} reads the state vector; it reaches Houston "
            f"{format_age(float(self.p['delay']))} after its epoch"
        )
        if bad.any():
            raise CommandRejected(reason, bad, text)
        return text

"""One reactor plant stepped over a frame: point kinetics, decay heat, reactivity feedback,
control drums, the primary pump and the lumped heat-transport loop.

Pure numerics over arrays with a leading batch axis; SI units. The kernel model
(:mod:`houston.reactor.model`) and the time-to-damage prediction
(:mod:`houston.reactor.prediction`) both call :func:`advance`, so the prediction integrates
exactly the equations the simulation runs, only with longer steps. The frame step (explicit
feedback) runs as a compiled row kernel (:func:`houston.reactor.kernels.advance_rows`);
:func:`_advance_reference` is the same step in numpy over the batch.

Coupling within a step of length ``dt`` (operator splitting, energy-exact):

1. the pump speed follows its drive (spin-up) or coasts down; the flow is computed at the
   mid-step speed and the start-of-step temperatures (:func:`houston.reactor.loop.flow_kg_s`);
2. the drums move toward their target at their rate; the reactivity is the drums' exact mean
   over the (sub)step plus the temperature feedback
   ``alpha_fuel (T_F - T_F0) + alpha_coolant (T_C - T_C0)`` (the reference temperatures are
   those of the critical initial state);
3. point kinetics steps exactly with that reactivity (:func:`houston.reactor.kinetics
   .step_with_mean`), split into sub-steps while the drums move fast (a scram), and the
   23 ANS-5.1-1979 decay-heat groups follow the mean fission power exactly;
4. the heat deposited in the fuel is ``(1 - F_inf) P_rated n_mean`` (prompt) plus the exact
   mean of the decay heat over the step, and the loop takes one backward-Euler step with it.

The feedback is that of the start of the step at the 1 s frame (explicit: the frame is far
shorter than the feedback's time scale, and tests/reactor/test_plant.py compares 1 s frames
with 0.25 s frames through a loss of flow), or that of the step's own mid-point temperatures,
found by a bracketed secant, for the prediction's steps of minutes (``implicit=True``, see
:func:`advance`): explicit feedback over such steps is unstable at power. The kernel model
never takes an explicit step longer than its ``max_substep`` (1 s) while the plant moves.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field, replace
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from houston.reactor import decay_heat as dh
from houston.reactor import kernels, kinetics
from houston.reactor.loop import (
    C,
    F,
    LoopDesign,
    StepFlows,
    ThermalSystem,
    flow_kg_s,
    thermal_system,
)
from houston.reactor.properties import STEFAN_BOLTZMANN_W_M2_K4

Array = NDArray[np.float64]

#: Share of the recoverable fission energy released later as decay heat (ANS-5.1-1979 fit).
DECAY_SHARE: Final = float(dh.fraction(0.0, np.inf))
_ALPHA_OVER_LAMBDA: Final = dh.ALPHA_MEV_PER_FISSION_S / dh.LAMBDA_PER_S / dh.Q_MEV_PER_FISSION
#: The decay-heat groups' equilibrium per watt of fission power, s (alpha_i / lambda_i / Q).
DECAY_ALPHA_OVER_LAMBDA: Final = _ALPHA_OVER_LAMBDA
#: Largest drum reactivity change (dollars) allowed within one kinetics sub-step.
_SUBSTEP_DOLLARS: Final = kernels.SUBSTEP_DOLLARS
_MAX_SUBSTEPS: Final = kernels.MAX_SUBSTEPS


@dataclass(frozen=True, eq=False)
class PlantParams:
    """Everything that does not change during a run (``alpha_*`` may be per row)."""

    loop: LoopDesign
    kinetics: kinetics.KineticsParams
    rated_power_W: float
    alpha_fuel_per_K: Array | float
    alpha_coolant_per_K: Array | float
    drum_worth: float  # total worth of the drums, dk/k, from fully in (0) to fully out (pi)
    critical_drum_angle_rad: float  # angle of the critical initial state
    pump_coastdown_s: float  # speed halving time of the unpowered pump from the fluid drag alone
    pump_friction_torque: float  # bearing and seal torque, fraction of the rated torque
    pump_spinup_s: float  # time constant of the powered pump toward its target speed

    def drum_reactivity(self, angle_rad: ArrayLike) -> Array:
        """Drum reactivity relative to the critical initial angle, dk/k:
        ``(W/2)(cos theta_c - cos theta)`` (a drum's worth goes as the sine squared of half its
        rotation)."""
        th = np.asarray(angle_rad, dtype=np.float64)
        return 0.5 * self.drum_worth * (np.cos(self.critical_drum_angle_rad) - np.cos(th))

    def with_feedback(self, alpha_fuel: ArrayLike, alpha_coolant: ArrayLike) -> PlantParams:
        return replace(
            self,
            alpha_fuel_per_K=np.asarray(alpha_fuel, dtype=np.float64),
            alpha_coolant_per_K=np.asarray(alpha_coolant, dtype=np.float64),
        )


@dataclass
class PlantState:
    """The state arrays of a batch of plants (views into the model's ``state`` dict)."""

    temperatures_K: Array  # (B, 8)
    n: Array  # (B,) fission rate / rated
    precursors: Array  # (B, 6)
    decay_groups_W: Array  # (B, 23)
    pump_speed: Array  # (B,) fraction of rated
    drum_angle_rad: Array  # (B,)
    fuel_ref_K: Array  # (B,) feedback reference temperatures (critical initial state)
    coolant_ref_K: Array  # (B,)

    def take(self, rows: NDArray[np.intp] | NDArray[np.bool_] | slice) -> PlantState:
        """A copy of some rows."""
        return PlantState(**{k: np.array(v[rows]) for k, v in self.__dict__.items()})

    def repeat(self, k: int) -> PlantState:
        """``k`` copies of every row, stacked as ``k`` blocks (for uncertainty variants)."""
        return PlantState(
            **{k_: np.concatenate([v] * k, axis=0) for k_, v in self.__dict__.items()}
        )


@dataclass
class Drive:
    """What the controllers and the environment impose during a step (all ``(B,)``)."""

    pump_powered: NDArray[np.bool_]
    pump_target: Array
    pump_capacity: Array  # fraction of flow a damaged pump passes
    drum_target_rad: Array
    drum_rate_rad_s: Array
    sink_K: Array
    converters: Array  # fraction of the power converters available (0 when lost)


@dataclass
class StepResult:
    """What happened during a step (means over it), for telemetry and energy bookkeeping."""

    flow_kg_s: Array
    reactivity: Array  # mean total reactivity, dk/k
    feedback: Array  # feedback reactivity at the start of the step, dk/k
    n_mean: Array
    heat_W: Array  # mean heat deposited in the fuel
    decay_W: Array  # mean decay heat
    flows: StepFlows = field(repr=False)
    temperature_change_K: Array = field(repr=False)  # largest |T1 - T0| over the nodes
    power_change: Array = field(repr=False)  # |n1 - n0|


def feedback_reactivity(state: PlantState, params: PlantParams) -> Array:
    """Temperature feedback, dk/k, relative to the critical initial state."""
    t = state.temperatures_K
    return params.alpha_fuel_per_K * (t[..., F] - state.fuel_ref_K) + params.alpha_coolant_per_K * (
        t[..., C] - state.coolant_ref_K
    )


def _pump_speed(speed: Array, drive: Drive, params: PlantParams, dt: float) -> Array:
    """Speed after ``dt``: exponential approach to the target when powered; when not, the
    coastdown ``dw/dt = -(w^2 + c) / tau`` against the fluid's drag (as the speed squared; alone
    it halves the speed from rated in ``tau``) and a constant bearing and seal torque ``c``,
    solved exactly: ``w = b tan(atan(w0 / b) - b t / tau)`` with ``b = sqrt(c)``, until the
    pump stops at ``t = tau atan(w0 / b) / b`` (about 150 s for ``tau`` = 10 s, ``c`` = 0.01)."""
    up = drive.pump_target + (speed - drive.pump_target) * np.exp(-dt / params.pump_spinup_s)
    b = np.sqrt(params.pump_friction_torque)
    phase = np.arctan(np.maximum(speed, 0.0) / b) - b * dt / params.pump_coastdown_s
    down = np.where(phase > 0.0, b * np.tan(np.maximum(phase, 0.0)), 0.0)
    return np.where(drive.pump_powered, up, down)


def _mean_cos(th0: Array, th1: Array, rate: Array, dt: float) -> Array:
    """Mean of ``cos theta`` over a step in which theta moves linearly from ``th0`` at
    ``rate`` and stops at ``th1``."""
    span = np.abs(th1 - th0)
    with np.errstate(divide="ignore", invalid="ignore"):
        moving = np.where(rate > 0.0, np.minimum(span / rate, dt), 0.0)
        ramp = np.where(span > 1e-12, (np.sin(th1) - np.sin(th0)) / (th1 - th0), np.cos(th0))
    return (ramp * moving + np.cos(th1) * (dt - moving)) / dt


def _drum_angle(th0: Array, drive: Drive, dt: float) -> Array:
    step = np.clip(
        drive.drum_target_rad - th0, -drive.drum_rate_rad_s * dt, drive.drum_rate_rad_s * dt
    )
    return th0 + step


def _decay_mean_and_end(h0: Array, power_W: Array, dt: float) -> tuple[Array, Array]:
    """Exact mean over ``dt`` and end value of the decay-heat groups with constant fission
    power (the solution of ``dH/dt = -lambda H + (alpha/Q) P``)."""
    lam = dh.LAMBDA_PER_S
    x = lam * dt
    e = np.exp(-x)
    phi = -np.expm1(-x) / x  # (1 - e^-x) / x
    eq = power_W[..., None] * _ALPHA_OVER_LAMBDA
    h1 = eq + (h0 - eq) * e
    mean = eq + (h0 - eq) * phi
    return mean, h1


@dataclass
class _Neutronics:
    """The neutronics of one step for a given feedback reactivity (nothing written yet)."""

    n: Array
    precursors: Array
    groups: Array
    heat_W: Array
    decay_W: Array
    n_mean: Array
    reactivity: Array


def _neutronics(
    state: PlantState, drive: Drive, params: PlantParams, dt: float, nsub: int, rho_fb: Array
) -> _Neutronics:
    """Kinetics and decay heat over the step with the drums moving and the feedback held."""
    p0 = params.rated_power_W
    h = dt / nsub
    n, c, groups = state.n, state.precursors, state.decay_groups_W
    th = state.drum_angle_rad
    energy_prompt = np.zeros_like(n)
    energy_decay = np.zeros_like(n)
    rho_int = np.zeros_like(n)
    n_int = np.zeros_like(n)
    for _ in range(nsub):
        th_next = _drum_angle(th, drive, h)
        mean_cos = _mean_cos(th, th_next, drive.drum_rate_rad_s, h)
        rho = 0.5 * params.drum_worth * (np.cos(params.critical_drum_angle_rad) - mean_cos) + rho_fb
        n, c, n_mean = kinetics.step_with_mean(n, c, rho, h, params.kinetics)
        fission_W = n_mean * p0
        decay_mean, groups = _decay_mean_and_end(groups, fission_W, h)
        energy_prompt += (1.0 - DECAY_SHARE) * fission_W * h
        energy_decay += decay_mean.sum(axis=-1) * h
        rho_int += rho * h
        n_int += n_mean * h
        th = th_next
    return _Neutronics(
        n=n,
        precursors=c,
        groups=groups,
        heat_W=(energy_prompt + energy_decay) / dt,
        decay_W=energy_decay / dt,
        n_mean=n_int / dt,
        reactivity=rho_int / dt,
    )


#: Implicit feedback: iterations of the bracketed secant, and the tolerance on the feedback
#: reactivity (dk/k; 1e-9 is 1.5e-5 cents).
_IMPLICIT_ITERATIONS: Final = kernels.IMPLICIT_ITERATIONS
_IMPLICIT_TOLERANCE: Final = kernels.IMPLICIT_TOLERANCE
_HUGE_W: Final = kernels.HUGE_W


def advance(
    state: PlantState, drive: Drive, params: PlantParams, dt: float, *, implicit: bool = False
) -> StepResult:
    """Advance ``state`` in place by ``dt`` seconds; return the step's means.

    By default the feedback is the start of the step's (explicit: accurate and stable at the
    1 s frame, whose length is far below the feedback's time scale). With ``implicit`` the
    feedback reactivity ``x`` held over the step is the one of the step's own mid-point
    temperatures; see :func:`_advance_reference`. The step runs the compiled row kernel
    :func:`houston.reactor.kernels.advance_rows`: the arithmetic of
    :func:`_advance_reference`, except that each row counts its own kinetics sub-steps and
    ends its own secant iteration.
    """
    return _advance_compiled(state, drive, params, dt, implicit=implicit)


def _rows(value: ArrayLike, batch: int) -> Array:
    a = np.asarray(value, dtype=np.float64)
    if a.shape == (batch,) and a.flags.c_contiguous:
        return a
    return np.ascontiguousarray(np.broadcast_to(a, (batch,)))


def _param_rows(value: ArrayLike) -> Array:
    return np.ascontiguousarray(np.asarray(value, dtype=np.float64).reshape(-1))


_CONSTANTS: weakref.WeakKeyDictionary[PlantParams, tuple[Array, ...]] = weakref.WeakKeyDictionary()


def _constants(params: PlantParams) -> tuple[Array, ...]:
    """The kernel's view of ``params``: constants, heat capacities, kinetics rows and the
    feedback coefficients (one row, or one per row)."""
    got = _CONSTANTS.get(params)
    if got is None:
        loop = params.loop
        values = {
            "rated_power_W": params.rated_power_W,
            "drum_worth": params.drum_worth,
            "critical_drum_angle_rad": params.critical_drum_angle_rad,
            "pump_coastdown_s": params.pump_coastdown_s,
            "pump_friction_torque": params.pump_friction_torque,
            "pump_spinup_s": params.pump_spinup_s,
            "sea_W_K4": STEFAN_BOLTZMANN_W_M2_K4 * loop.radiator_emissivity_area_m2,
            "prompt_share": 1.0 - DECAY_SHARE,
        }
        const = np.array(
            [
                values[name] if name in values else getattr(loop, name)
                for name in kernels.PLANT_CONSTANTS
            ],
            dtype=np.float64,
        )
        kin = params.kinetics
        g = kin.n_groups
        got = (
            const,
            np.asarray(loop.heat_capacity_J_K, dtype=np.float64),
            np.ascontiguousarray(kin.beta.reshape(-1, g)),
            np.ascontiguousarray(kin.lambda_per_s.reshape(-1, g)),
            _param_rows(kin.generation_time_s),
            _param_rows(params.alpha_fuel_per_K),
            _param_rows(params.alpha_coolant_per_K),
        )
        _CONSTANTS[params] = got
    return got


def kernel_params(params: PlantParams, batch: int) -> tuple[Array, ...]:
    """What the compiled kernels take of ``params`` for a batch of ``batch`` rows: the
    constants (:data:`houston.reactor.kernels.PLANT_CONSTANTS`), the heat capacities, the
    kinetics' beta, lambda and generation time and the feedback coefficients (each one row,
    or one per row)."""
    const, caps, beta, lam, gen, af, ac = _constants(params)
    if params.kinetics.batch_shape != ():
        beta = np.ascontiguousarray(np.broadcast_to(beta, (batch, beta.shape[-1])))
        lam = np.ascontiguousarray(np.broadcast_to(lam, (batch, lam.shape[-1])))
        gen = _rows(gen, batch)
    return const, caps, beta, lam, gen, af, ac


def _advance_compiled(
    state: PlantState, drive: Drive, params: PlantParams, dt: float, *, implicit: bool = False
) -> StepResult:
    batch = state.n.shape[0]
    const, caps, beta, lam, gen, af, ac = kernel_params(params, batch)
    live = (
        state.temperatures_K,
        state.n,
        state.precursors,
        state.decay_groups_W,
        state.pump_speed,
        state.drum_angle_rad,
    )
    work = tuple(
        a
        if a.dtype == np.float64 and a.flags.c_contiguous and a.flags.writeable
        else np.ascontiguousarray(a, dtype=np.float64)
        for a in live
    )
    out = np.empty((12, batch))
    powered = np.asarray(drive.pump_powered, dtype=bool)
    if powered.shape != (batch,):
        powered = np.ascontiguousarray(np.broadcast_to(powered, (batch,)))
    kernels.compiled("advance_rows")(
        *work,
        _rows(state.fuel_ref_K, batch),
        _rows(state.coolant_ref_K, batch),
        powered,
        _rows(drive.pump_target, batch),
        _rows(drive.pump_capacity, batch),
        _rows(drive.drum_target_rad, batch),
        _rows(drive.drum_rate_rad_s, batch),
        _rows(drive.sink_K, batch),
        _rows(drive.converters, batch),
        af,
        ac,
        beta,
        lam,
        gen,
        caps,
        dh.LAMBDA_PER_S,
        _ALPHA_OVER_LAMBDA,
        const,
        float(dt),
        bool(implicit),
        out,
    )
    for a, w in zip(live, work, strict=True):
        if a is not w:
            a[...] = w
    return StepResult(
        flow_kg_s=out[0],
        reactivity=out[1],
        feedback=out[2],
        n_mean=out[3],
        heat_W=out[4],
        decay_W=out[5],
        flows=StepFlows(
            electric_W=out[6], radiated_W=out[7], heat_exchanger_W=out[8], core_to_coolant_W=out[9]
        ),
        temperature_change_K=out[10],
        power_change=out[11],
    )


def _advance_reference(
    state: PlantState, drive: Drive, params: PlantParams, dt: float, *, implicit: bool = False
) -> StepResult:
    """Advance ``state`` in place by ``dt`` seconds; return the step's means.

    By default the feedback is the start of the step's (explicit: accurate and stable at the
    1 s frame, whose length is far below the feedback's time scale). With ``implicit`` the
    feedback reactivity ``x`` held over the step is the one of the step's own mid-point
    temperatures, ``x = fb((T0 + T1(x)) / 2)``; since the end temperatures are linear in the
    heat (``T1 = T_base + Q(x) u``), this is a scalar equation per run, solved by a bracketed
    secant (the explicit value and one fixed-point iterate always bracket the root). Stable for
    any step length (the prediction's steps of minutes), at 3-5 kinetics evaluations a step.
    """
    w0 = state.pump_speed
    w_mid = _pump_speed(w0, drive, params, 0.5 * dt)
    flow = flow_kg_s(params.loop, w_mid, drive.pump_capacity, state.temperatures_K)
    system = thermal_system(
        state.temperatures_K, flow, drive.sink_K, dt, params.loop, drive.converters
    )
    th0 = state.drum_angle_rad
    th1 = _drum_angle(th0, drive, dt)
    beta = float(np.min(params.kinetics.beta_total))
    swing = float(np.max(np.abs(params.drum_reactivity(th1) - params.drum_reactivity(th0))))
    nsub = int(min(_MAX_SUBSTEPS, max(1, np.ceil(swing / (_SUBSTEP_DOLLARS * beta)))))
    x0 = feedback_reactivity(state, params)
    if not implicit:
        res = _neutronics(state, drive, params, dt, nsub, x0)
        t1 = system.solve(res.heat_W)
        rho_fb = x0
    else:
        rho_fb, res, t1 = _implicit(state, drive, params, dt, nsub, system, x0)
    flows = system.flows(t1)
    change_t = np.abs(t1 - state.temperatures_K).max(axis=-1)
    change_n = np.abs(res.n - state.n)
    state.temperatures_K[...] = t1
    state.n[...] = res.n
    state.precursors[...] = res.precursors
    state.decay_groups_W[...] = res.groups
    state.pump_speed[...] = _pump_speed(w0, drive, params, dt)
    state.drum_angle_rad[...] = th1
    return StepResult(
        flow_kg_s=flow,
        reactivity=res.reactivity,
        feedback=rho_fb,
        n_mean=res.n_mean,
        heat_W=res.heat_W,
        decay_W=res.decay_W,
        flows=flows,
        temperature_change_K=change_t,
        power_change=change_n,
    )


def _implicit(
    state: PlantState,
    drive: Drive,
    params: PlantParams,
    dt: float,
    nsub: int,
    system: ThermalSystem,
    x0: Array,
) -> tuple[Array, _Neutronics, Array]:
    t0 = state.temperatures_K
    t_base, u = system.response()
    af = np.asarray(params.alpha_fuel_per_K)
    ac = np.asarray(params.alpha_coolant_per_K)
    mid = 0.5 * (t0 + t_base)
    fb_base = af * (mid[:, F] - state.fuel_ref_K) + ac * (mid[:, C] - state.coolant_ref_K)
    slope = 0.5 * (af * u[:, F] + ac * u[:, C])  # feedback per watt of heat, < 0

    def g(x: Array, heat: Array) -> Array:
        return x - fb_base - slope * heat

    def evaluate(x: Array) -> _Neutronics:
        # A trial far above prompt critical over a long step overflows: its heat is then
        # taken as huge, which puts it at the upper end of the bracket.
        with np.errstate(over="ignore", invalid="ignore"):
            r = _neutronics(state, drive, params, dt, nsub, x)
        r.heat_W = np.where(np.isfinite(r.heat_W), np.minimum(r.heat_W, _HUGE_W), _HUGE_W)
        return r

    r0 = evaluate(x0)
    g0 = g(x0, r0.heat_W)
    x1 = fb_base + slope * r0.heat_W
    r1 = evaluate(x1)
    g1 = g(x1, r1.heat_W)
    # [x0, x1] brackets the root (g is increasing; g(x0) = x0 - x1, g(x1) has the other sign).
    lo_is_0 = g0 <= 0.0
    lo, glo = np.where(lo_is_0, x0, x1), np.where(lo_is_0, g0, g1)
    hi, ghi = np.where(lo_is_0, x1, x0), np.where(lo_is_0, g1, g0)
    first = np.abs(g0) <= np.abs(g1)
    best_x, best_g, best = (
        np.where(first, x0, x1),
        np.minimum(np.abs(g0), np.abs(g1)),
        _pick(first, r0, r1),
    )
    side = np.zeros_like(x0)
    for _ in range(_IMPLICIT_ITERATIONS):
        if np.all(best_g <= _IMPLICIT_TOLERANCE):
            break
        with np.errstate(divide="ignore", invalid="ignore"):
            x = np.where(ghi != glo, hi - ghi * (hi - lo) / (ghi - glo), 0.5 * (lo + hi))
        x = np.where((x > lo) & (x < hi), x, 0.5 * (lo + hi))
        r = evaluate(x)
        gx = g(x, r.heat_W)
        better = np.abs(gx) < best_g
        best = _pick(better, r, best)
        best_x = np.where(better, x, best_x)
        best_g = np.where(better, np.abs(gx), best_g)
        # Illinois: halve the stale end's residual when the same end is kept twice.
        left = gx <= 0.0
        lo, glo = np.where(left, x, lo), np.where(left, gx, np.where(side > 0, 0.5 * glo, glo))
        hi, ghi = np.where(left, hi, x), np.where(left, np.where(side < 0, 0.5 * ghi, ghi), gx)
        side = np.where(left, -1.0, 1.0)
    return best_x, best, t_base + best.heat_W[:, None] * u


def _pick(mask: NDArray[np.bool_], a: _Neutronics, b: _Neutronics) -> _Neutronics:
    """Row-wise choice between two neutronics results."""
    out = {}
    for name, va in a.__dict__.items():
        vb = getattr(b, name)
        m = mask.reshape(mask.shape + (1,) * (va.ndim - mask.ndim))
        out[name] = np.where(m, va, vb)
    return _Neutronics(**out)


def initial_state(
    params: PlantParams,
    batch: int,
    temperatures_K: Array,
    power_fraction: float = 1.0,
    operating_time_s: float = np.inf,
) -> PlantState:
    """The critical steady state at ``power_fraction`` of rated after ``operating_time_s`` at
    that power: precursors and decay-heat groups in equilibrium, the drums at the critical
    angle, the pump at rated speed and the loop at ``temperatures_K`` (``(8,)`` or
    ``(batch, 8)``, normally :func:`houston.reactor.loop.steady_state_K`)."""
    n, c = kinetics.equilibrium_state(np.full(batch, power_fraction), params.kinetics)
    groups = dh.group_power_equilibrium_W(
        np.full(batch, power_fraction * params.rated_power_W), operating_time_s
    )
    t = np.broadcast_to(np.asarray(temperatures_K, dtype=np.float64), (batch, 8)).copy()
    return PlantState(
        temperatures_K=t,
        n=n,
        precursors=c,
        decay_groups_W=groups,
        pump_speed=np.full(batch, 1.0),
        drum_angle_rad=np.full(batch, params.critical_drum_angle_rad),
        fuel_ref_K=t[:, F].copy(),
        coolant_ref_K=t[:, C].copy(),
    )

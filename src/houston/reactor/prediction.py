"""Time left to core damage: the current state integrated forward on the plant's own equations.

Pure numerics over arrays with a leading batch axis. :func:`time_to_damage_s` copies the plant
state, holds the present drive (pump powered or coasting, drums held where they are or going
in if a scram has been ordered; automatic protection trips if it is in service) and steps
the plant's own step (:func:`houston.reactor.plant.advance`, with the implicit feedback,
stable for long steps) with growing steps (5 s, then 1.3 times longer each step up to ``max_step_s``) until the
cladding reaches its damage temperature or the horizon ends. The crossing time is
interpolated linearly within the step that crosses.

Uncertainty: the forward integration is repeated with both feedback coefficients scaled by
``1 - u`` and ``1 + u`` (``u`` the relative uncertainty, stacked as extra rows of the same
call); the band is the earliest and the latest of the three answers. Weaker feedback lets the
fission power fall more slowly after a loss of flow, so the core overshoots further and the
damage comes earlier. With ``u = 0`` a single integration is made and the band is the
nominal answer.

What it does not know: operator actions, controller regulation (the drums are held), repairs
and later failures. It answers "if nothing changes from now on".

Cost: the whole integration is one compiled call (:func:`houston.reactor.kernels
.countdown_rows`). Each step is one implicit plant step (3-10 kinetics evaluations, about
1 us each) for ``3 x rows``; with the model's defaults (2 h horizon, ``max_step_s`` = 600 s)
that is 27 steps, fewer when every row reaches damage first. The model recomputes every
``prediction_interval`` seconds, and not at all for runs in a steady state
(``docs/reactor.md`` gives the measured cost). Accuracy against the simulation at 1 s frames:
the time to damage predicted at the moment of an unprotected loss of flow is 2 % longer than
the simulated one (tests/reactor/test_model.py).
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

from houston.reactor import decay_heat as dh
from houston.reactor import kernels
from houston.reactor.loop import C, F, S, flow_kg_s
from houston.reactor.plant import (
    DECAY_ALPHA_OVER_LAMBDA,
    Drive,
    PlantParams,
    PlantState,
    advance,
    kernel_params,
)

Array = NDArray[np.float64]

FIRST_STEP_S: Final = 5.0
GROWTH: Final = 1.3


def schedule_s(horizon_s: float, max_step_s: float) -> list[float]:
    """The forward-integration steps: 5 s, growing by 1.3 each step up to ``max_step_s``,
    the last one cut at the horizon."""
    steps: list[float] = []
    t, h = 0.0, FIRST_STEP_S
    while t < horizon_s - 1e-9:
        h = min(h, max_step_s, horizon_s - t)
        steps.append(h)
        t += h
        h *= GROWTH
    return steps


def time_to_damage_s(
    state: PlantState,
    drive: Drive,
    params: PlantParams,
    damage_K: float,
    *,
    horizon_s: float,
    max_step_s: float,
    uncertainty: float,
    trip_limits: Array | None = None,
    protected: NDArray[np.bool_] | None = None,
    scram_rate_rad_s: float = np.pi,
) -> tuple[Array, Array, Array]:
    """``(nominal, earliest, latest)`` times to cladding damage, s, shape ``(rows,)``; ``inf``
    when the horizon passes without damage, 0 when the cladding is already at the limit.

    ``trip_limits`` (the rated flow, kg/s, then the high-power, low-flow, core outlet and fuel
    temperature trip settings, as :func:`houston.reactor.kernels.trip_rows` takes them) is
    the automatic protection, which scrams on true values the rows where ``protected``;
    ``None`` for no protection. The whole integration is one compiled call
    (:func:`houston.reactor.kernels.countdown_rows`); :func:`_time_to_damage_reference` is
    the same in numpy around the plant's step, with the same bits. The inputs are not
    modified.
    """
    rows = state.n.shape[0]
    k, sim, d, p, prot = _variants(state, drive, params, uncertainty, trip_limits, protected)
    const, caps, beta, lam, gen, af, ac = kernel_params(p, k * rows)
    t_hit = np.empty(k * rows)
    limits = np.zeros(5) if trip_limits is None else np.asarray(trip_limits, dtype=np.float64)
    kernels.compiled("countdown_rows")(
        sim.temperatures_K,
        sim.n,
        sim.precursors,
        sim.decay_groups_W,
        sim.pump_speed,
        sim.drum_angle_rad,
        sim.fuel_ref_K,
        sim.coolant_ref_K,
        np.ascontiguousarray(d.pump_powered, dtype=bool),
        *(
            np.ascontiguousarray(x, dtype=np.float64)
            for x in (
                d.pump_target,
                d.pump_capacity,
                d.drum_target_rad,
                d.drum_rate_rad_s,
                d.sink_K,
                d.converters,
            )
        ),
        af,
        ac,
        beta,
        lam,
        gen,
        caps,
        dh.LAMBDA_PER_S,
        DECAY_ALPHA_OVER_LAMBDA,
        const,
        np.array(schedule_s(horizon_s, max_step_s)),
        float(damage_K),
        prot,
        limits,
        float(scram_rate_rad_s),
        t_hit,
    )
    band = t_hit.reshape(k, rows)
    return t_hit[:rows].copy(), band.min(axis=0), band.max(axis=0)


def _variants(
    state: PlantState,
    drive: Drive,
    params: PlantParams,
    uncertainty: float,
    trip_limits: Array | None,
    protected: NDArray[np.bool_] | None,
) -> tuple[int, PlantState, Drive, PlantParams, NDArray[np.bool_]]:
    """The rows of the integration: ``k`` copies of the state and the drive (the nominal
    feedback, then ``1 - u`` and ``1 + u`` when ``u > 0``), their parameters and which of
    them the protection watches."""
    rows = state.n.shape[0]
    k = 3 if uncertainty > 0.0 else 1
    sim = state.repeat(k)
    scale = np.concatenate(
        [np.ones(rows), np.full(rows, 1.0 - uncertainty), np.full(rows, 1.0 + uncertainty)][:k]
    )
    p = params.with_feedback(
        _tile(params.alpha_fuel_per_K, rows, k) * scale,
        _tile(params.alpha_coolant_per_K, rows, k) * scale,
    )
    d = Drive(**{name: np.concatenate([np.asarray(v)] * k) for name, v in drive.__dict__.items()})
    prot = (
        np.zeros(k * rows, dtype=bool)
        if protected is None or trip_limits is None
        else np.concatenate([np.asarray(protected, dtype=bool)] * k)
    )
    return k, sim, d, p, prot


def _time_to_damage_reference(
    state: PlantState,
    drive: Drive,
    params: PlantParams,
    damage_K: float,
    *,
    horizon_s: float,
    max_step_s: float,
    uncertainty: float,
    trip_limits: Array | None = None,
    protected: NDArray[np.bool_] | None = None,
    scram_rate_rad_s: float = np.pi,
) -> tuple[Array, Array, Array]:
    """:func:`time_to_damage_s` in numpy, one :func:`houston.reactor.plant.advance` a step
    for every row (tests/reactor compares them)."""
    rows = state.n.shape[0]
    k, sim, d, p, prot = _variants(state, drive, params, uncertainty, trip_limits, protected)
    t_hit = np.where(sim.temperatures_K[:, S] >= damage_K, 0.0, np.inf)
    t = 0.0
    for step in schedule_s(horizon_s, max_step_s):
        if np.all(np.isfinite(t_hit)):
            break
        if prot.any() and trip_limits is not None:
            trip = prot & _trips(sim, _flow_fraction(sim, d, p), trip_limits)
            if trip.any():
                d.drum_target_rad = np.where(trip, 0.0, d.drum_target_rad)
                d.drum_rate_rad_s = np.where(trip, scram_rate_rad_s, d.drum_rate_rad_s)
                prot = prot & ~trip
        before = sim.temperatures_K[:, S].copy()
        advance(sim, d, p, step, implicit=True)
        after = sim.temperatures_K[:, S]
        crossed = ~np.isfinite(t_hit) & (after >= damage_K)
        if crossed.any():
            frac = (damage_K - before[crossed]) / (after[crossed] - before[crossed])
            t_hit[crossed] = t + step * np.clip(frac, 0.0, 1.0)
        t += step
    nominal = t_hit[:rows]
    band = t_hit.reshape(k, rows)
    return nominal, band.min(axis=0), band.max(axis=0)


def _trips(state: PlantState, flow_fraction: Array, limits: Array) -> NDArray[np.bool_]:
    """Rows whose true fuel and outlet temperatures, flow (a fraction of rated) or power
    trip the protection (``limits`` as in :func:`time_to_damage_s`)."""
    t = state.temperatures_K
    return (
        (state.n > limits[1])
        | (flow_fraction < limits[2])
        | (t[:, C] > limits[3])
        | (t[:, F] > limits[4])
    )


def _tile(alpha: Array | float, rows: int, k: int) -> Array:
    a = np.broadcast_to(np.asarray(alpha, dtype=np.float64), (rows,))
    return np.concatenate([a] * k)


def _flow_fraction(state: PlantState, drive: Drive, params: PlantParams) -> Array:
    flow = flow_kg_s(params.loop, state.pump_speed, drive.pump_capacity, state.temperatures_K)
    return flow / params.loop.rated_flow_kg_s

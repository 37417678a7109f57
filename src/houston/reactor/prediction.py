"""Time left to core damage: the current state integrated forward on the plant's own equations.

Pure numerics over arrays with a leading batch axis. :func:`time_to_damage_s` copies the plant
state, holds the present drive (pump powered or coasting, drums held where they are or going
in if a scram has been ordered; automatic protection trips if it is in service) and steps
the plant's own step (:func:`houston.reactor.plant.advance`, with the implicit feedback,
stable for long steps) on a schedule of growing steps (5 s, then 1.3 times longer each step
up to ``max_step_s``) until the cladding reaches its damage temperature or the horizon
ends. The crossing time is interpolated linearly within the step that crosses.

Step control. An implicit step holds one feedback reactivity over the step, found by a
bracketed secant so that it is the feedback of the step's own mid-point temperatures. Where
the plant moves far within a step the secant does not converge: after the cable swap the
flow is back and the core cools under the held drums, and the feedback of a 600 s step
without fission heat is far above prompt critical; its first trial overflows and the secant
is left with a feedback of about -1e20 dk/k, a plant shut down by a broken step. So a step
whose feedback is off that of its own mid-point temperatures by more than
``kernels.COUNTDOWN_TOLERANCE`` (1e-6 dk/k) is taken again at half its length (down to
1 ms), and after a step taken the next one doubles, up to the end of the scheduled step.
Steps that converge are taken as scheduled, so the countdown during a loss of flow is the
same bits as without the control. After the swap the integration then follows what the held
plant really does: the cooling core's feedback takes it back to power on a delayed period
(up to about 0.6 $, never prompt critical; 1 s frames of the same plant agree), it
overshoots (up to some 7 times rated for a few seconds, the cladding below 930 K) and it
settles where the held drums are critical, near rated power. No damage: ``inf``, for the
right reason, at 30-60 steps a variant.

The protection, where in service, acts on true values: at the start of the integration and
at the end of every step taken (fuel and outlet temperatures, flow at the pump's speed,
power), and on the step's mean power against the high-power setting. A step that trips
and is longer than ``kernels.COUNTDOWN_TRIP_STEP_S`` (1 s, the protection's frame) is
taken again at half its length, so the predicted scram comes within a second of the
crossing; the drums then go in at the scram rate. After the swap with the protection in
service the predicted return to power trips on high power, the predicted plant scrams and
cools on decay heat with the flow: ``inf``. A row may take ``kernels.COUNTDOWN_BUDGET``
(4096) steps in one integration; past that its steps are taken as they come.

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
that is 27 steps, fewer when every row reaches damage first and more where steps are taken
again. The model recomputes every ``prediction_interval`` seconds, and not at all for runs
in a steady state (``docs/reactor.md`` gives the measured cost). Accuracy against the
simulation at 1 s frames: the time to damage predicted at the moment of an unprotected loss
of flow is 2 % longer than the simulated one (tests/reactor/test_model.py).
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
    t_hit, *_ = _integrate(
        state,
        drive,
        params,
        damage_K,
        horizon_s=horizon_s,
        max_step_s=max_step_s,
        uncertainty=uncertainty,
        trip_limits=trip_limits,
        protected=protected,
        scram_rate_rad_s=scram_rate_rad_s,
    )
    k = t_hit.shape[0] // rows
    band = t_hit.reshape(k, rows)
    return t_hit[:rows].copy(), band.min(axis=0), band.max(axis=0)


def _integrate(
    state: PlantState,
    drive: Drive,
    params: PlantParams,
    damage_K: float,
    *,
    horizon_s: float,
    max_step_s: float,
    uncertainty: float,
    trip_limits: Array | None,
    protected: NDArray[np.bool_] | None,
    scram_rate_rad_s: float,
) -> tuple[Array, NDArray[np.int64], PlantState, Drive, NDArray[np.bool_]]:
    """The forward integration of :func:`time_to_damage_s` (one compiled call): the times
    to damage of its ``k x rows`` rows (the nominal feedback, then ``1 - u`` and ``1 + u``),
    the plant steps each row took, and the predicted plant where each row stopped, its
    drive (the drums sent in where the protection tripped) and which rows are still
    protected."""
    rows = state.n.shape[0]
    k, sim, d, p, prot = _variants(state, drive, params, uncertainty, trip_limits, protected)
    d.drum_target_rad = np.ascontiguousarray(d.drum_target_rad, dtype=np.float64)
    d.drum_rate_rad_s = np.ascontiguousarray(d.drum_rate_rad_s, dtype=np.float64)
    const, caps, beta, lam, gen, af, ac = kernel_params(p, k * rows)
    t_hit = np.empty(k * rows)
    count = np.empty(k * rows, dtype=np.int64)
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
        count,
    )
    return t_hit, count, sim, d, prot


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
    taken: NDArray[np.int64] | None = None,
) -> tuple[Array, Array, Array]:
    """:func:`time_to_damage_s` in numpy, one :func:`houston.reactor.plant.advance` a step
    for each row alone, with the same step control (tests/reactor compares them); ``taken``,
    if given, gets the number of plant steps each row took."""
    rows = state.n.shape[0]
    k, sim, d, p, prot = _variants(state, drive, params, uncertainty, trip_limits, protected)
    m = k * rows
    af = np.broadcast_to(np.asarray(p.alpha_fuel_per_K, dtype=np.float64), (m,))
    ac = np.broadcast_to(np.asarray(p.alpha_coolant_per_K, dtype=np.float64), (m,))
    limits = np.zeros(5) if trip_limits is None else np.asarray(trip_limits, dtype=np.float64)
    t_hit = np.where(sim.temperatures_K[:, S] >= damage_K, 0.0, np.inf)
    count = np.zeros(m, dtype=np.int64) if taken is None else taken
    count[:] = 0
    for row in range(m):
        one = sim.take([row])
        dr = Drive(**{name: np.array(np.asarray(v)[[row]]) for name, v in d.__dict__.items()})
        pr = p.with_feedback(af[[row]], ac[[row]])
        guarded = bool(prot[row])
        clock = 0.0
        for step in schedule_s(horizon_s, max_step_s):
            if np.isfinite(t_hit[row]):
                break
            if guarded and _trips(one, _flow_fraction(one, dr, pr), limits)[0]:
                dr.drum_target_rad[:] = 0.0
                dr.drum_rate_rad_s[:] = scram_rate_rad_s
                guarded = False
            left, h = step, step
            while left > 0.0:
                dt = min(h, left)
                start = one.take([0])
                res = advance(one, dr, pr, dt, implicit=True)
                count[row] += 1
                t0, t1 = start.temperatures_K[0], one.temperatures_K[0]
                mid = af[row] * (0.5 * (t0[F] + t1[F]) - one.fuel_ref_K[0]) + ac[row] * (
                    0.5 * (t0[C] + t1[C]) - one.coolant_ref_K[0]
                )
                free = count[row] < kernels.COUNTDOWN_BUDGET
                again = (
                    free
                    and dt > kernels.COUNTDOWN_MIN_STEP_S
                    and not abs(res.feedback[0] - mid) <= kernels.COUNTDOWN_TOLERANCE
                )
                trips = False
                if guarded and not again:
                    trips = bool(
                        _trips(one, _flow_fraction(one, dr, pr), limits)[0]
                        or res.n_mean[0] > limits[1]
                    )
                    again = trips and free and dt > kernels.COUNTDOWN_TRIP_STEP_S
                if again:
                    one = start
                    h = 0.5 * dt
                    continue
                if trips:
                    dr.drum_target_rad[:] = 0.0
                    dr.drum_rate_rad_s[:] = scram_rate_rad_s
                    guarded = False
                before, after = t0[S], t1[S]
                if after >= damage_K:
                    frac = (damage_K - before) / (after - before)
                    t_hit[row] = clock + dt * min(max(frac, 0.0), 1.0)
                    break
                clock += dt
                left -= dt
                h = 2.0 * dt
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

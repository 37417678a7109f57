"""Houston's rendezvous computations as a kernel model, and the approach the chaser flies.

``vehicle.rendezvous`` is the rendezvous computer of a chaser (Apollo) and its target (Soyuz):
the ground's planning from a state vector handed over by another control centre
(``ops.handover``), and the terminal phase the crew flies from the plan. Its burns reach the
chaser's ``vehicle.spacecraft`` through the outputs ``dv_cmd_m_s`` and ``burn_seq``, wired to
the vehicle's ``guidance_dv_m_s`` and ``guidance_burn_seq``.

Planning (off the per-frame path: when a new vector arrives, or on ``replan``)
------------------------------------------------------------------------------------
Houston tracks its own vehicle, so the chaser's state is the chaser's true state (inputs
``chaser_*``); the target is known only from the last handed-over vector (``target_sv_*``).
The vector is carried from its epoch to the chaser's time by Houston's predictor (below);
:func:`houston.dynamics.rendezvous.find_opportunities` then searches the docking
opportunities (two-body, with the constraints of the parameters: daylight at TPF with a
margin, the closing rate left by TPF, the Δv budget, the lead time before TPI, the search
window, the most revolutions on a transfer). The two-body search places the opportunities;
the first ``MAX_LISTED`` are then re-solved with the predictor (below), which gives the Δv
that the burns will actually need: under J2 a two-body solution misses by kilometres (a
two-body prediction of a 225 km orbit from an osculating state drifts by some 70 km along
track in 6,700 s; the two vehicles drift nearly alike, and the intercept still misses by
about 10 km), so the Δv of a flown plan differs from the two-body one by a few tenths of a
metre per second. The first ``listed`` opportunities are reported in an event, and the
telemetry follows the first one that can still be taken (TPI at least ``min_lead`` ahead).

Predictor. Houston's trajectory prediction: Cowell propagation
(:class:`houston.dynamics.cowell.Propagator`) under the Earth's point mass and its zonal
harmonics to ``zonal_degree`` (EGM96 J2..J4, about the Earth's pole at the scenario epoch,
as ``vehicle.spacecraft`` does). Drag is left out of the prediction; the corrections take out
what it does. A transfer is targeted by Newton's method on the burn: the predictor flies the
burn and three nudged copies of it (one batch of four rows), the differences give the
sensitivity of the arrival point to the burn, and its pseudo-inverse turns the miss into the
next burn, until the predicted miss is below 5 cm (the TPI of the tests: 960 m from the
two-body plan's burn, then 8 m, 3 cm). The first guess is the two-body plan's TPI (from
:func:`find_opportunities`) in the chaser's own LVLH axes, not a Lambert arc from the
predicted states: near a transfer angle of 180 degrees (mod 360) the plane of a Lambert arc
flips with a few kilometres of change in the end points (one such guess cost 540 m/s). In
the same geometry the out-of-plane miss can hardly be changed (its sensitivity is
``|sin(n t)| / n``): directions whose sensitivity is below ``0.1 / n`` are left out of the
correction (truncated SVD) for a later correction or the final approach to take out.

Aim point. A transfer is aimed ``tpf_range`` short of the target along the direction of
approach (the relative velocity at arrival), so that the braking (TPF) happens at that range
and the chaser does not fly through the target at the transfer's relative speed (about
10 m/s) before it brakes. The docking time of an opportunity is its TPF time; contact comes
after the final approach, about ``(tpf_range - docking_range) / final_approach_speed`` later
(the "docking" times of the telemetry and events are the predicted contact).

Flying the plan (after ``proceed``)
-----------------------------------
``proceed`` commits to the first listed opportunity whose TPI is at least ``min_lead`` ahead
(phase PLANNED). At the TPI time the TPI burn is re-solved from the chaser's state at that
instant to the target as the last handed-over vector predicts it at TPF (phase TRANSFER).
``midcourse_corrections`` corrections follow at equal fractions of the transfer; each
re-solves the transfer from the chaser's state to the target's *true* position at TPF,
predicted from the target's true state at the correction: by then the onboard ranging sees
the target (Apollo's VHF ranging, with the crew's sextant marks for the angles) whenever it
is within ``radar_range``; beyond it the correction uses the handed-over vector again. A
correction starts from no burn; one below ``burn_deadband`` is not made. At the TPF time, or earlier if the range falls below ``tpf_range`` while closing, the
braking burn leaves ``closing_rate`` along the line of sight and nothing across it (phase
FINAL).

Final approach, as the crew flies it: every ``final_burn_interval`` a burn sets the relative
velocity to ``final_approach_speed`` along the line of sight towards the target (nulling the
line-of-sight rate, the inertial relative velocity across the line of sight); a burn smaller
than ``burn_deadband`` is not made. Contact is a range below ``docking_range``, found on the
straight-line relative motion over the last step (so that a step cannot jump over it); with
a closing speed at most ``max_docking_speed`` the capture latches: DOCKED (event with the
GET, the closing speed and the Δv used). A faster contact does not latch (a caution event;
the approach goes on).

An abort under way leaves the chaser on its intercept arc, which by design leads to the target:
the model predicts the free paths of both vehicles and reports the closest approach (a warning
when it is inside ``tpf_range``); avoiding it is a burn the crew would have to be commanded.

Docked pair. The two vehicles stay two point masses propagated separately, and the range is
the true distance between their centres of mass. At capture the chaser's relative velocity is
nulled (the closing speed absorbed) and from then on, every ``final_burn_interval``, a burn
nulls the relative velocity and pulls the relative position back to where it was at capture
(time constant ten intervals). These are the loads of the docking latches, made by the
chaser's guidance: they use the chaser's propellant and count in ``dv_used`` and ``burns``
(about a millimetre per second every few minutes: the differential gravity across a metre,
3 n^2 x 1 m = 4e-6 m/s^2, and the differential drag of the two vehicles). ``open_hatches``
(DOCKED only) gives HATCHES_OPEN. ``abort`` (any phase before docking) stops every burn for
good (phase ABORTED); a later vector or ``replan`` lists new opportunities, and ``proceed``
may then commit again.

Time tags and the order of models. The model reads the chaser's and the target's states with
their time tags (the vehicles' ``t_s`` outputs): a vehicle earlier in the scenario has been
stepped to the end of the step, one later not yet. The target's true state is carried to the
chaser's time (fourth-order Runge-Kutta under J2, in steps of at most 2 s: micrometres over a
1 s frame), so that ranges and burns are computed at one instant, the instant of the chaser's
state, and the vehicle applies each burn at that same instant (see ``vehicle.spacecraft``);
there is no latency in the control loop whichever the order. With the model before the
chaser its telemetry lags the frame by one step (it describes the chaser's state at the start
of the step); after it, it describes the end of the step. A step in which the chaser has not
moved (its time tag did not change) makes no burn.

Batches. Each run has its own vector (a different tracking error), so its own plan: planning
and the TPI and correction burns loop over the runs that need them (a few times a night).
Every other frame runs one compiled pass over the batch (alignment, range and rate, the
final approach and the docked hold, what is due), which allocates nothing; with nothing due
it costs about 2 us at batch 1, the target's carry over up to 10 s included (``python
tests/dynamics/test_rendezvous_model.py`` prints the costs). A plan costs about 45 ms
in The Grey, the first of its process (:func:`find_opportunities` about 18 ms once warm,
see :mod:`.opportunities`; the predictor's targeting; the loading of compiled code from
numba's cache), once per vector. Everything, the plans included, is in the state
arrays: a restored checkpoint continues identically.

Units: SI (m, m/s, s); vectors in GCRF.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from numba import njit
from numpy.typing import NDArray

from houston.core.compiled import compiled_for
from houston.core.constants import J2_EARTH, J3_EARTH, J4_EARTH, MU_EARTH_M3_S2, R_EARTH_M
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
from houston.core.time import NS_PER_S, Epoch, format_get

Array = NDArray[np.float64]

PHASES = ("IDLE", "PLANNED", "TRANSFER", "FINAL", "DOCKED", "HATCHES_OPEN", "ABORTED")
IDLE, PLANNED, TRANSFER, FINAL, DOCKED, HATCHES_OPEN, ABORTED = range(len(PHASES))

#: Opportunities kept (and re-solved with the predictor) from one search.
MAX_LISTED = 8
#: Targeting: stop when the predicted miss is below this (m), or after this many passes.
AIM_TOL_M = 0.05
AIM_PASSES = 8
#: Targeting: the nudge of the burn for the sensitivity (m/s), and the smallest singular value
#: of the sensitivity whose direction is corrected, in units of 1/n (n the chaser's mean
#: motion): the out-of-plane sensitivity is |sin(n t)| / n, so 0.1 leaves out the normal
#: direction within 6 degrees of half and whole revolutions before arrival.
FD_STEP_M_S = 0.01
SENSITIVITY_CUTOFF = 0.1
#: The docked hold pulls the relative position back with this many burn intervals as its
#: time constant.
HOLD_INTERVALS = 10.0

# What the per-frame pass found for a run (bits of ``code``).
NEW_VECTOR, DUE_TPI, DUE_MCC, DID_TPF, DID_DOCK, FAST_CONTACT, STALE = 1, 2, 4, 8, 16, 32, 64
# Work left by commands for the next step (bits of ``pending``).
PENDING_REPLAN, PENDING_PROCEED, PENDING_HATCHES, PENDING_ABORTED = 1, 2, 4, 8
#: After an abort under way, the free paths are searched this long past TPF for the closest
#: approach (s), sampled this often (s).
FREE_PATH_S = 1800.0
FREE_PATH_STEP_S = 0.5

# Columns of the packed parameters of the per-frame pass.
(
    _P_TPF_RANGE,
    _P_CLOSING,
    _P_SPEED,
    _P_INTERVAL,
    _P_DOCK_RANGE,
    _P_MAX_DOCK,
    _P_RADAR,
    _P_DEADBAND,
    _P_MCC,
    _P_MU,
    _P_J2,
    _P_RE,
    _P_STEP,
    _P_MIN_LEAD,
    _P_APPROACH,
) = range(15)


# Columns of the state ``run`` (one row of floats per run).
(
    _R_T,
    _R_RANGE,
    _R_RATE,
    _R_SV_COUNT,
    _R_SV_T,
    _R_TPI,
    _R_TPF,
    _R_DV_PLAN,
    _R_SEQ,
    _R_DV_USED,
    _R_LAST_BURN,
    _R_DOCKED_T,
    _R_DOCKED_SPEED,
    _R_CONTACT,
    _R_PLAN_T,
    _R_DV_CONTACT,
) = range(16)
RUN_COLUMNS = (
    "t: time of the chaser's state last read (s)",
    "range: chaser to target, true (m)",
    "rate: range rate (m/s)",
    "sv_count: handed-over vectors seen",
    "sv_t: epoch of the last vector (s)",
    "tpi: committed TPI time (s)",
    "tpf: committed TPF time (s)",
    "dv_plan: committed plan's Δv, TPI + TPF (m/s)",
    "seq: burn counter",
    "dv_used: Δv of the burns commanded (m/s)",
    "last_burn: time of the last burn of the approach or hold (s)",
    "docked_t: time of capture (s)",
    "docked_speed: closing speed at contact (m/s)",
    "contact: 1 while in a contact that did not latch",
    "plan_t: time of the chaser's state the list was computed from (s)",
    "dv_contact: Δv used up to contact, the capture's not included (m/s)",
)
# Columns of the state ``opp`` (per run, per listed opportunity).
_O_TPI, _O_TPF, _O_DV, _O_DV_TPI, _O_REVS, _O_LIT, _O_BURN = range(7)
OPP_COLUMNS = (
    "tpi: TPI time (s)",
    "tpf: TPF time (s)",
    "dv: total Δv, TPI + TPF, predictor (m/s)",
    "dv_tpi: TPI Δv, predictor (m/s)",
    "revs: complete revolutions of the transfer",
    "lit: TPF in daylight (1)",
    "burn: TPI burn in the chaser's LVLH axes at TPI, x, y, z (m/s; 3 columns)",
)
#: Columns of ``opp``: the burn takes three.
N_OPP = len(OPP_COLUMNS) + 2


# --- the per-frame pass (compiled) -------------------------------------------------------------


@njit(cache=True, error_model="numpy")
def _accel(
    x: float, y: float, z: float, pole: Array, mu: float, j2: float, re: float
) -> tuple[float, float, float]:
    """Point mass and J2 about ``pole`` at ``(x, y, z)``: ``-mu r/r^3 - 3/2 J2 mu Re^2/r^5
    ((1 - 5 z_p^2/r^2) r + 2 z_p p)`` with ``z_p = r . p`` (Vallado 4th ed., eq. 8-30, for any
    pole)."""
    r2 = x * x + y * y + z * z
    rn = math.sqrt(r2)
    zp = x * pole[0] + y * pole[1] + z * pole[2]
    k = -mu / (r2 * rn)
    c = -1.5 * j2 * mu * re * re / (r2 * r2 * rn)
    f = 1.0 - 5.0 * zp * zp / r2
    return (
        k * x + c * (f * x + 2.0 * zp * pole[0]),
        k * y + c * (f * y + 2.0 * zp * pole[1]),
        k * z + c * (f * z + 2.0 * zp * pole[2]),
    )


@njit(cache=True, error_model="numpy")
def _carry(r: Array, v: Array, dt: float, pole: Array, p: Array, out: Array) -> None:
    """The state ``(r, v)`` carried by ``dt`` seconds into ``out`` (r, then v): RK4 under J2,
    steps of at most ``p[_P_STEP]`` seconds. Allocates nothing."""
    n = max(1, math.ceil(abs(dt) / p[_P_STEP]))
    h = dt / n
    mu, j2, re = p[_P_MU], p[_P_J2], p[_P_RE]
    x, y, z = r[0], r[1], r[2]
    u, w, s = v[0], v[1], v[2]
    for _ in range(n):
        a1x, a1y, a1z = _accel(x, y, z, pole, mu, j2, re)
        x2 = x + 0.5 * h * u
        y2 = y + 0.5 * h * w
        z2 = z + 0.5 * h * s
        u2 = u + 0.5 * h * a1x
        w2 = w + 0.5 * h * a1y
        s2 = s + 0.5 * h * a1z
        a2x, a2y, a2z = _accel(x2, y2, z2, pole, mu, j2, re)
        x3 = x + 0.5 * h * u2
        y3 = y + 0.5 * h * w2
        z3 = z + 0.5 * h * s2
        u3 = u + 0.5 * h * a2x
        w3 = w + 0.5 * h * a2y
        s3 = s + 0.5 * h * a2z
        a3x, a3y, a3z = _accel(x3, y3, z3, pole, mu, j2, re)
        x4 = x + h * u3
        y4 = y + h * w3
        z4 = z + h * s3
        u4 = u + h * a3x
        w4 = w + h * a3y
        s4 = s + h * a3z
        a4x, a4y, a4z = _accel(x4, y4, z4, pole, mu, j2, re)
        x = x + h / 6.0 * (u + 2.0 * u2 + 2.0 * u3 + u4)
        y = y + h / 6.0 * (w + 2.0 * w2 + 2.0 * w3 + w4)
        z = z + h / 6.0 * (s + 2.0 * s2 + 2.0 * s3 + s4)
        u = u + h / 6.0 * (a1x + 2.0 * a2x + 2.0 * a3x + a4x)
        w = w + h / 6.0 * (a1y + 2.0 * a2y + 2.0 * a3y + a4y)
        s = s + h / 6.0 * (a1z + 2.0 * a2z + 2.0 * a3z + a4z)
    out[0], out[1], out[2] = x, y, z
    out[3], out[4], out[5] = u, w, s


@njit(cache=True, error_model="numpy")
def _burn(
    b: int, d0: float, d1: float, d2: float, t: float, run: Array, dv_cmd: Array, burns: Any
) -> None:
    dv_cmd[b, 0] = d0
    dv_cmd[b, 1] = d1
    dv_cmd[b, 2] = d2
    run[b, _R_SEQ] += 1.0
    run[b, _R_DV_USED] += math.sqrt(d0 * d0 + d1 * d1 + d2 * d2)
    run[b, _R_LAST_BURN] = t
    burns[b] += 1


@njit(cache=True, error_model="numpy")
def _frame(
    rc: Array,
    vc: Array,
    tc: Array,
    rt: Array,
    vt: Array,
    tt: Array,
    count_in: Array,
    dt_step: float,
    run: Array,
    phase: Any,
    mcc_done: Any,
    burns: Any,
    dv_cmd: Array,
    hold: Array,
    tgt: Array,
    code: Any,
    pole: Array,
    p: Array,
) -> int:
    """One frame for every run: the target carried to the chaser's time, range and rate, the
    braking, the final approach, contact, the docked hold; ``code`` says what else is due
    (for Python). Returns the union of the codes."""
    seen = 0
    for b in range(rc.shape[0]):
        c = 0
        t = tc[b]
        stale = t == run[b, _R_T]
        run[b, _R_T] = t
        dt = t - tt[b]
        if dt != 0.0:
            _carry(rt[b], vt[b], dt, pole, p, tgt[b])
        else:
            for i in range(3):
                tgt[b, i] = rt[b, i]
                tgt[b, 3 + i] = vt[b, i]
        dr0 = rc[b, 0] - tgt[b, 0]
        dr1 = rc[b, 1] - tgt[b, 1]
        dr2 = rc[b, 2] - tgt[b, 2]
        dv0 = vc[b, 0] - tgt[b, 3]
        dv1 = vc[b, 1] - tgt[b, 4]
        dv2 = vc[b, 2] - tgt[b, 5]
        rho = math.sqrt(dr0 * dr0 + dr1 * dr1 + dr2 * dr2)
        rate = (dr0 * dv0 + dr1 * dv1 + dr2 * dv2) / rho if rho > 0.0 else 0.0
        run[b, _R_RANGE] = rho
        run[b, _R_RATE] = rate
        if count_in[b] > run[b, _R_SV_COUNT]:
            c |= NEW_VECTOR
        ph = phase[b]
        if stale:
            c |= STALE
        elif ph == PLANNED:
            if t >= run[b, _R_TPI]:
                c |= DUE_TPI
        elif ph == IDLE or ph == ABORTED:
            pass  # coasting: range and rate only
        else:
            c |= _under_way(
                b,
                t,
                dr0,
                dr1,
                dr2,
                dv0,
                dv1,
                dv2,
                rho,
                rate,
                dt_step,
                run,
                phase,
                mcc_done,
                burns,
                dv_cmd,
                hold,
                p,
            )
        code[b] = c
        seen |= c
    return seen


@njit(cache=True, error_model="numpy")
def _under_way(
    b: int,
    t: float,
    dr0: float,
    dr1: float,
    dr2: float,
    dv0: float,
    dv1: float,
    dv2: float,
    rho: float,
    rate: float,
    dt_step: float,
    run: Array,
    phase: Any,
    mcc_done: Any,
    burns: Any,
    dv_cmd: Array,
    hold: Array,
    p: Array,
) -> int:
    """The frame of run ``b`` in TRANSFER, FINAL, DOCKED or HATCHES_OPEN, from the relative
    position ``dr`` and velocity ``dv`` (chaser minus target): the braking, the final approach,
    contact, the docked hold; returns the codes."""
    c = 0
    ph = phase[b]
    if ph == TRANSFER:
        if t >= run[b, _R_TPF] or (rho <= p[_P_TPF_RANGE] and rate < 0.0):
            # TPF: leave the closing rate along the line of sight, nothing across it.
            g = -p[_P_CLOSING] / rho
            _burn(b, g * dr0 - dv0, g * dr1 - dv1, g * dr2 - dv2, t, run, dv_cmd, burns)
            phase[b] = FINAL
            c |= DID_TPF
        else:
            k = mcc_done[b]
            n = p[_P_MCC]
            if k < n:
                t_k = run[b, _R_TPI] + (k + 1) * (run[b, _R_TPF] - run[b, _R_TPI]) / (n + 1)
                if t >= t_k:
                    c |= DUE_MCC
    elif ph == FINAL:
        # Closest approach on the straight relative motion over the last step.
        vv = dv0 * dv0 + dv1 * dv1 + dv2 * dv2
        tau = 0.0
        if vv > 0.0:
            tau = min(0.0, max(-dt_step, -(dr0 * dv0 + dr1 * dv1 + dr2 * dv2) / vv))
        c0 = dr0 + tau * dv0
        c1 = dr1 + tau * dv1
        c2 = dr2 + tau * dv2
        rmin = math.sqrt(c0**2 + c1**2 + c2**2)
        if rmin < p[_P_DOCK_RANGE]:
            speed = math.sqrt(vv)
            if speed <= p[_P_MAX_DOCK]:
                phase[b] = DOCKED
                run[b, _R_DOCKED_T] = t
                run[b, _R_DOCKED_SPEED] = speed
                run[b, _R_DV_CONTACT] = run[b, _R_DV_USED]
                hold[b, 0] = dr0
                hold[b, 1] = dr1
                hold[b, 2] = dr2
                _burn(b, -dv0, -dv1, -dv2, t, run, dv_cmd, burns)  # capture: latches absorb it
                c |= DID_DOCK
            elif run[b, _R_CONTACT] == 0.0:
                run[b, _R_CONTACT] = 1.0
                run[b, _R_DOCKED_SPEED] = speed
                c |= FAST_CONTACT
        else:
            run[b, _R_CONTACT] = 0.0
        due = t - run[b, _R_LAST_BURN] >= p[_P_INTERVAL] - 1e-9
        if phase[b] == FINAL and due and rho > 0.0:
            g = -p[_P_SPEED] / rho
            d0 = g * dr0 - dv0
            d1 = g * dr1 - dv1
            d2 = g * dr2 - dv2
            if math.sqrt(d0**2 + d1**2 + d2**2) >= p[_P_DEADBAND]:
                _burn(b, d0, d1, d2, t, run, dv_cmd, burns)
            else:
                run[b, _R_LAST_BURN] = t
    elif ph == DOCKED or ph == HATCHES_OPEN:
        if t - run[b, _R_LAST_BURN] >= p[_P_INTERVAL] - 1e-9:
            tau_hold = HOLD_INTERVALS * p[_P_INTERVAL]
            d0 = -dv0 - (dr0 - hold[b, 0]) / tau_hold
            d1 = -dv1 - (dr1 - hold[b, 1]) / tau_hold
            d2 = -dv2 - (dr2 - hold[b, 2]) / tau_hold
            if math.sqrt(d0**2 + d1**2 + d2**2) >= p[_P_DEADBAND]:
                _burn(b, d0, d1, d2, t, run, dv_cmd, burns)
            else:
                run[b, _R_LAST_BURN] = t
    return c


@njit(cache=True, error_model="numpy")
def _sample(
    run: Array,
    phase: Any,
    burns: Any,
    n_opp: Any,
    opp: Array,
    p: Array,
    out: Array,
) -> None:
    """Every telemetry column of every run (order of ``Rendezvous.telemetry``)."""
    nan = np.nan
    for b in range(run.shape[0]):
        t = run[b, _R_T]
        ph = phase[b]
        rho = run[b, _R_RANGE]
        inside = rho <= p[_P_RADAR]
        out[b, 0] = ph
        out[b, 1] = rho if inside else nan
        out[b, 2] = run[b, _R_RATE] if inside and rho > 0.0 else nan
        out[b, 3] = run[b, _R_TPI] - t if ph == PLANNED else nan
        if ph == PLANNED or ph == TRANSFER:
            out[b, 4] = run[b, _R_TPF] - t + p[_P_APPROACH]
        elif ph == FINAL:
            out[b, 4] = max(0.0, rho - p[_P_DOCK_RANGE]) / p[_P_SPEED]
        else:
            out[b, 4] = nan
        out[b, 5] = run[b, _R_DV_USED]
        out[b, 6] = burns[b]
        count = 0
        first = -1
        for k in range(n_opp[b]):
            if opp[b, k, _O_TPI] >= t + p[_P_MIN_LEAD]:
                count += 1
                if first < 0:
                    first = k
        out[b, 7] = count
        if first >= 0:
            out[b, 8] = opp[b, first, _O_TPI] - t
            out[b, 9] = opp[b, first, _O_TPF] - t + p[_P_APPROACH]
            out[b, 10] = opp[b, first, _O_DV]
        else:
            out[b, 8] = nan
            out[b, 9] = nan
            out[b, 10] = nan


# --- Houston's predictor ---------------------------------------------------------------------


class Predictor:
    """Houston's trajectory prediction and transfer targeting (see the module docstring)."""

    def __init__(self, epoch: Epoch, zonal_degree: int) -> None:
        from houston.dynamics.cowell import Propagator
        from houston.dynamics.forces import ForceModel, PointMass, Zonal
        from houston.dynamics.frames import earth_rotation

        pole = earth_rotation(epoch, 0).matrix[2]
        self.pole = np.ascontiguousarray(pole / np.linalg.norm(pole))
        terms: list[Any] = [PointMass(MU_EARTH_M3_S2)]
        if zonal_degree >= 2:
            j = (J2_EARTH, J3_EARTH, J4_EARTH)[: zonal_degree - 1]
            axis = (float(self.pole[0]), float(self.pole[1]), float(self.pole[2]))
            terms.append(Zonal(MU_EARTH_M3_S2, R_EARTH_M, j, axis))
        self.prop = Propagator(ForceModel(terms), rtol=1e-11)

    def states(self, r: Array, v: Array, t0_s: float, times_s: Array) -> tuple[Array, Array]:
        """Rows ``r``, ``v`` ``(n, 3)`` at ``t0_s`` carried to ``times_s`` ``(k,)``: arrays
        ``(k, n, 3)``."""
        times = np.asarray(times_s, dtype=float)
        r2 = np.atleast_2d(r)
        v2 = np.atleast_2d(v)
        if times.size == 0:
            return np.empty((0, *r2.shape)), np.empty((0, *r2.shape))
        lo, hi = min(t0_s, float(times.min())), max(t0_s, float(times.max()))
        out_r = np.empty((times.size, *r2.shape))
        out_v = np.empty((times.size, *r2.shape))
        for sign, end in ((1.0, hi), (-1.0, lo)):
            sel = (times - t0_s) * sign > 0.0
            if sel.any():
                traj = self.prop.propagate(t0_s, r2, v2, end)
                out_r[sel], out_v[sel] = traj.at(times[sel])
        same = times == t0_s
        out_r[same] = r2
        out_v[same] = v2
        return out_r, out_v

    def state(self, r: Array, v: Array, t0_s: float, t1_s: float) -> tuple[Array, Array]:
        """One state ``(3,)`` carried from ``t0_s`` to ``t1_s``."""
        rr, vv = self.states(r, v, t0_s, np.array([t1_s]))
        return rr[0, 0], vv[0, 0]

    def target(
        self,
        r: Array,
        v: Array,
        t1_s: float,
        r_t2: Array,
        v_t2: Array,
        t2_s: float,
        standoff_m: float,
        dv0: Array,
    ) -> tuple[Array, Array, Array, float]:
        """The burn at ``t1_s`` from ``(r, v)`` that brings the chaser, under the predictor,
        ``standoff_m`` short of the target's position ``r_t2`` at ``t2_s`` along its approach
        (the target's velocity there is ``v_t2``), by Newton's method from the guess ``dv0``.

        Each pass flies the burn and three nudged burns (one batch of four propagations);
        the differences give the sensitivity of the arrival point to the burn, whose
        pseudo-inverse (singular values below ``SENSITIVITY_CUTOFF / n`` left out, n the
        chaser's mean motion) turns the miss into the next correction. Stops when the miss that can be corrected
        is below ``AIM_TOL_M``. Returns the burn (m/s, GCRF), the chaser's predicted
        position and velocity at ``t2_s``, and the miss left that the burn can correct (m).
        Raises ``lambert.NoSolution`` with no time left.
        """
        from houston.dynamics import lambert

        if not t2_s - t1_s > 0.0:
            raise lambert.NoSolution(f"no time left for the transfer ({t2_s - t1_s:.1f} s)")
        dv = np.array(dv0, dtype=float)
        rows_r = np.broadcast_to(r, (4, 3))
        a = 1.0 / (2.0 / float(np.linalg.norm(r)) - float(v @ v) / MU_EARTH_M3_S2)
        cutoff = SENSITIVITY_CUTOFF * math.sqrt(abs(a) ** 3 / MU_EARTH_M3_S2)
        r_end = v_end = np.zeros(3)
        best = dv
        left = math.inf
        for _ in range(AIM_PASSES):
            rows_v = (v + dv) + np.vstack([np.zeros(3), FD_STEP_M_S * np.eye(3)])
            y = self.prop.propagate(t1_s, rows_r, rows_v, t2_s).state_at(t2_s)
            r_end, v_end, best = y[0, 0:3], y[0, 3:6], dv
            rel = v_end - v_t2
            speed = float(np.linalg.norm(rel))
            aim = r_t2 - (standoff_m / speed) * rel if speed > 0.0 else np.asarray(r_t2)
            miss = r_end - aim
            sens = (y[1:, 0:3] - y[0, 0:3]).T / FD_STEP_M_S  # column i: d r(t2) / d dv_i
            u, sv, vt = np.linalg.svd(sens)
            keep = sv > cutoff
            along = u[:, keep].T @ miss
            left = float(np.linalg.norm(along))
            if left < AIM_TOL_M:
                break
            dv = dv - vt[keep].T @ (along / sv[keep])
        return best, r_end, v_end, left


def braking(r_c: Array, v_c: Array, r_t: Array, v_t: Array, closing_m_s: float) -> Array:
    """The burn that leaves ``closing_m_s`` along the line of sight from chaser to target and
    nothing across it (m/s, GCRF)."""
    dr = r_t - r_c
    return closing_m_s * dr / float(np.linalg.norm(dr)) - (v_c - v_t)


# --- the model ---------------------------------------------------------------------------------


def _bool(name: str, description: str, default: bool) -> Param:
    return Param(name, "1", description, default, kind="bool")


class Rendezvous(Model):
    """Houston's rendezvous planning from a handed-over vector, and the chaser's approach.

    See the module docstring for the planning, the predictor, the burns and the docked pair.
    """

    type_name = "vehicle.rendezvous"
    summary = (
        "Rendezvous computer: docking opportunities from a handed-over target vector, the "
        "TPI, midcourse and TPF burns, the crew's final approach and docking"
    )
    params = (
        _bool("daylight", "dock (TPF) in daylight only (cylindrical Earth shadow)", True),
        Param(
            "daylight_margin",
            "s",
            "and in light this long before and after TPF (cover the final approach)",
            600.0,
            min=0.0,
        ),
        Param(
            "closing_rate",
            "m_s",
            "closing rate along the line of sight left by the TPF braking",
            0.2,
            min=1e-3,
        ),
        Param("dv_budget", "m_s", "largest Δv (TPI + TPF) of an opportunity", 60.0, min=0.0),
        Param(
            "min_lead",
            "s",
            "earliest TPI after the plan or the proceed (time to read up the solution)",
            600.0,
            min=0.0,
        ),
        Param("window", "s", "search window for docking opportunities", 4 * 3600.0, min=600.0),
        Param(
            "max_revs",
            "1",
            "most complete revolutions on a transfer",
            1,
            kind="int",
            min=0,
            max=3,
        ),
        Param(
            "listed",
            "1",
            "opportunities listed in the event",
            3,
            kind="int",
            min=1,
            max=MAX_LISTED,
        ),
        Param(
            "midcourse_corrections",
            "1",
            "corrections at equal fractions of the transfer",
            2,
            kind="int",
            min=0,
            max=10,
        ),
        Param(
            "tpf_range",
            "m",
            "range of the TPF braking: the transfer aims this far short of the target",
            100.0,
            min=1.0,
        ),
        Param(
            "final_approach_speed",
            "m_s",
            "closing speed the crew holds on the final approach",
            0.2,
            min=1e-3,
        ),
        Param("final_burn_interval", "s", "time between final-approach burns", 10.0, min=0.1),
        Param("docking_range", "m", "range at contact (between the centres)", 1.0, min=0.01),
        Param(
            "max_docking_speed",
            "m_s",
            "largest closing speed at which the capture latches",
            0.3,
            min=1e-3,
        ),
        Param(
            "radar_range",
            "m",
            "range of the onboard ranging: Apollo's VHF ranging read out to 327 nautical "
            "miles (Borman, memo CB to CA, 7 May 1968; Panter & Shores, Apollo Experience "
            "Report: VHF ranging system, NASA TN D-6851, 1972)",
            327 * 1852.0,
            min=0.0,
        ),
        Param(
            "burn_deadband",
            "m_s",
            "final approach and docked hold: smaller burns are not made",
            0.002,
            min=0.0,
        ),
        Param(
            "zonal_degree",
            "1",
            "Houston's predictor: the Earth's zonal harmonics up to this degree (0, 2, 3, 4)",
            2,
            kind="int",
            min=0,
            max=4,
        ),
    )
    states = (
        State("run", "1", (len(RUN_COLUMNS),), description="; ".join(RUN_COLUMNS)),
        State("phase", "1", dtype="int64", description="phase (index into PHASES)"),
        State("mcc_done", "1", dtype="int64", description="midcourse corrections made"),
        State("burns", "1", dtype="int64", description="burns commanded"),
        State("pending", "1", dtype="int64", description="work left by commands (bits)"),
        State("dv_cmd", "m_s", (3,), description="Δv of the latest burn, GCRF"),
        State("hold", "m", (3,), description="relative position held after capture, GCRF"),
        State("sv", "1", (6,), description="last handed-over target vector: r (m), v (m/s)"),
        State("commit", "1", (N_OPP,), description="the opportunity committed to (as in opp)"),
        State("n_opp", "1", dtype="int64", description="opportunities listed"),
        State(
            "opp",
            "1",
            (MAX_LISTED, N_OPP),
            description="listed opportunities: " + "; ".join(OPP_COLUMNS),
        ),
    )
    inputs = (
        Signal("chaser_r_m", "m", (3,), "chaser's position, GCRF", frame="GCRF"),
        Signal("chaser_v_m_s", "m_s", (3,), "chaser's velocity, GCRF", frame="GCRF"),
        Signal("chaser_t_s", "s", (), "time of the chaser's state (its output t_s)"),
        Signal("target_sv_r_m", "m", (3,), "handed-over target vector: position", frame="GCRF"),
        Signal("target_sv_v_m_s", "m_s", (3,), "handed-over target vector: velocity", frame="GCRF"),
        Signal("target_sv_t_s", "s", (), "handed-over target vector: epoch"),
        Signal("target_sv_count", "1", (), "handed-over vectors received (a rise: a new one)"),
        Signal(
            "target_r_m",
            "m",
            (3,),
            "target's true position, GCRF (what the onboard ranging measures)",
            frame="GCRF",
        ),
        Signal("target_v_m_s", "m_s", (3,), "target's true velocity, GCRF", frame="GCRF"),
        Signal("target_t_s", "s", (), "time of the target's state (its output t_s)"),
    )
    outputs = (
        Signal("dv_cmd_m_s", "m_s", (3,), "Δv of the latest burn, GCRF"),
        Signal("burn_seq", "1", (), "burn counter (a rise: burn dv_cmd_m_s)"),
    )
    telemetry = (
        Telemetry("phase", "1", "rendezvous phase", kind="enum", states=PHASES),
        Telemetry(
            "range_m",
            "m",
            "range chaser to target, onboard ranging (NaN beyond radar range)",
            display_unit="km",
        ),
        Telemetry(
            "range_rate_m_s",
            "m_s",
            "range rate, onboard ranging (negative closing; NaN beyond radar range)",
        ),
        Telemetry(
            "time_to_tpi_s",
            "s",
            "time to the committed TPI (NaN unless PLANNED)",
            display_unit="min",
        ),
        Telemetry(
            "time_to_dock_s",
            "s",
            "time to the predicted contact of the committed plan (NaN when none)",
            display_unit="min",
        ),
        Telemetry("dv_used_m_s", "m_s", "Δv of the burns commanded"),
        Telemetry("burns", "1", "burns commanded", kind="int"),
        Telemetry(
            "opportunities",
            "1",
            "listed opportunities still open (TPI at least min_lead ahead)",
            kind="int",
        ),
        Telemetry(
            "next_tpi_in_s",
            "s",
            "next open opportunity: time to its TPI (NaN when none)",
            display_unit="min",
        ),
        Telemetry(
            "next_dock_in_s",
            "s",
            "next open opportunity: time to its predicted contact (NaN when none)",
            display_unit="min",
        ),
        Telemetry("next_dv_m_s", "m_s", "next open opportunity: Δv of TPI + TPF (NaN when none)"),
    )
    commands = (
        Command("replan", "search the docking opportunities again from the last vector"),
        Command(
            "proceed",
            "commit to the first listed opportunity whose TPI is at least min_lead ahead",
        ),
        Command("abort", "no further burns: the rendezvous is called off"),
        Command("open_hatches", "open the hatches between the docked vehicles"),
    )

    def __init__(self, path: str, params: Mapping[str, Any], batch: int) -> None:
        super().__init__(path, params, batch)
        p = self.p
        if p["final_approach_speed"] > p["max_docking_speed"]:
            raise ValueError(
                f"final_approach_speed {p['final_approach_speed']} m/s is above "
                f"max_docking_speed {p['max_docking_speed']} m/s: the capture would never latch"
            )
        if p["docking_range"] >= p["tpf_range"]:
            raise ValueError("docking_range must be below tpf_range")
        if int(p["zonal_degree"]) == 1:
            raise ValueError("zonal_degree 1 has no term: use 0, 2, 3 or 4")
        approach = (p["tpf_range"] - p["docking_range"]) / p["final_approach_speed"]
        pk = np.zeros(15)
        pk[_P_TPF_RANGE] = p["tpf_range"]
        pk[_P_CLOSING] = p["closing_rate"]
        pk[_P_SPEED] = p["final_approach_speed"]
        pk[_P_INTERVAL] = p["final_burn_interval"]
        pk[_P_DOCK_RANGE] = p["docking_range"]
        pk[_P_MAX_DOCK] = p["max_docking_speed"]
        pk[_P_RADAR] = p["radar_range"]
        pk[_P_DEADBAND] = p["burn_deadband"]
        pk[_P_MCC] = p["midcourse_corrections"]
        pk[_P_MU] = MU_EARTH_M3_S2
        pk[_P_J2] = J2_EARTH if int(p["zonal_degree"]) >= 2 else 0.0
        pk[_P_RE] = R_EARTH_M
        pk[_P_STEP] = 2.0
        pk[_P_MIN_LEAD] = p["min_lead"]
        pk[_P_APPROACH] = approach
        self._pk = pk
        self.approach_s = approach
        self._code = np.zeros(self.batch, dtype=np.int64)
        self._tgt = np.zeros((self.batch, 6))
        self._pole = np.array([0.0, 0.0, 1.0])
        self._predictor: Predictor | None = None
        self._epoch_key: tuple[float, float] | None = None
        #: Commands may have left work (False only when known not to have).
        self._pending = True
        self._outputs: dict[str, NDArray[Any]] | None = None
        #: ``_sample``'s arguments and the function compiled for them (``sample``).
        self._sample_args: tuple[Any, ...] | None = None
        self._sample_fn: Any = None
        self._outputs_run: NDArray[Any] | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def initialize(self, ctx: StepContext) -> None:
        st = self.state
        run = st["run"]
        run[:] = 0.0
        run[:, _R_T] = np.nan
        run[:, _R_RANGE] = np.nan
        run[:, _R_RATE] = np.nan
        run[:, _R_TPI] = np.nan
        run[:, _R_TPF] = np.nan
        run[:, _R_DV_PLAN] = np.nan
        run[:, _R_LAST_BURN] = -np.inf
        run[:, _R_DOCKED_T] = np.nan
        run[:, _R_DOCKED_SPEED] = np.nan
        run[:, _R_SV_T] = np.nan
        run[:, _R_DV_CONTACT] = np.nan
        run[:, _R_PLAN_T] = np.nan
        st["phase"][:] = IDLE
        self._pending = False

    def _epoch(self, ctx: StepContext) -> Epoch:
        from houston.dynamics.spacecraft import J2000_EPOCH

        return ctx.epoch if ctx.epoch is not None else J2000_EPOCH

    def predictor(self, ctx: StepContext) -> Predictor:
        """Houston's predictor for the scenario epoch (built on first use)."""
        epoch = self._epoch(ctx)
        key = (epoch.tai_jd1, epoch.tai_jd2)
        if self._predictor is None or self._epoch_key != key:
            self._predictor = Predictor(epoch, int(self.p["zonal_degree"]))
            self._epoch_key = key
            self._pole = self._predictor.pole
        return self._predictor

    def step(self, ctx: StepContext) -> None:
        st = self.state
        inp = ctx.inputs
        if self._epoch_key is None and ctx.epoch is not None:
            self.predictor(ctx)  # the pole of the per-frame alignment
        seen = _frame(
            inp["chaser_r_m"],
            inp["chaser_v_m_s"],
            inp["chaser_t_s"],
            inp["target_r_m"],
            inp["target_v_m_s"],
            inp["target_t_s"],
            inp["target_sv_count"],
            ctx.dt_s,
            st["run"],
            st["phase"],
            st["mcc_done"],
            st["burns"],
            st["dv_cmd"],
            st["hold"],
            self._tgt,
            self._code,
            self._pole,
            self._pk,
        )
        if seen & ~STALE or self._pending:
            self._work(ctx, seen)

    # -- what the per-frame pass leaves to Python ------------------------------------------------

    def _work(self, ctx: StepContext, seen: int) -> None:
        st = self.state
        run = st["run"]
        code = self._code
        inp = ctx.inputs
        replan = np.zeros(self.batch, dtype=bool)
        if seen & NEW_VECTOR:
            new = (code & NEW_VECTOR) != 0
            st["sv"][new, 0:3] = inp["target_sv_r_m"][new]
            st["sv"][new, 3:6] = inp["target_sv_v_m_s"][new]
            run[new, _R_SV_T] = inp["target_sv_t_s"][new]
            run[new, _R_SV_COUNT] = inp["target_sv_count"][new]
            replan |= new & np.isin(st["phase"], (IDLE, PLANNED, ABORTED))
        if self._pending:
            pend = st["pending"]
            live = (code & STALE) == 0
            replan |= live & ((pend & PENDING_REPLAN) != 0)
            for b in np.flatnonzero(live & ((pend & PENDING_PROCEED) != 0)):
                self._report_commit(ctx, int(b))
            hatches = live & ((pend & PENDING_HATCHES) != 0)
            if hatches.any():
                ctx.emit("hatches open: the crews may transfer", hatches, "info")
            for b in np.flatnonzero(live & ((pend & PENDING_ABORTED) != 0)):
                self._free_path(ctx, int(b))
            pend[live] = 0
            self._pending = bool(pend.any())
        for b in np.flatnonzero(replan):
            self._plan(ctx, int(b))
        for b in np.flatnonzero(code & DUE_TPI):
            self._tpi(ctx, int(b))
        for b in np.flatnonzero(code & DUE_MCC):
            self._mcc(ctx, int(b))
        for b in np.flatnonzero(code & DID_TPF):
            self._one(
                ctx,
                int(b),
                f"TPF braking at range {run[b, _R_RANGE]:.0f} m: Δv "
                f"{np.linalg.norm(st['dv_cmd'][b]):.2f} m/s; final approach at "
                f"{self.p['final_approach_speed']:.2f} m/s",
            )
        for b in np.flatnonzero(code & DID_DOCK):
            t_ns = round(run[b, _R_DOCKED_T] * NS_PER_S)
            self._one(
                ctx,
                int(b),
                f"DOCKED at {format_get(t_ns)}: closing {run[b, _R_DOCKED_SPEED]:.2f} m/s, "
                f"total Δv {run[b, _R_DV_CONTACT]:.2f} m/s (plan {run[b, _R_DV_PLAN]:.2f})",
                docked_s=float(run[b, _R_DOCKED_T]),
                closing_m_s=float(run[b, _R_DOCKED_SPEED]),
                dv_used_m_s=float(run[b, _R_DV_CONTACT]),
            )
        for b in np.flatnonzero(code & FAST_CONTACT):
            self._one(
                ctx,
                int(b),
                f"contact at {run[b, _R_DOCKED_SPEED]:.2f} m/s, above "
                f"{self.p['max_docking_speed']:.2f} m/s: no capture",
                "caution",
            )

    def _one(
        self, ctx: StepContext, b: int, text: str, severity: str = "info", **data: Any
    ) -> None:
        mask = np.zeros(self.batch, dtype=bool)
        mask[b] = True
        ctx.emit(text, mask, severity, **data)

    def _issue(self, b: int, dv: Array, t: float) -> None:
        st = self.state
        run = st["run"]
        st["dv_cmd"][b] = dv
        run[b, _R_SEQ] += 1.0
        run[b, _R_DV_USED] += float(np.linalg.norm(dv))
        st["burns"][b] += 1

    # -- planning ---------------------------------------------------------------------------

    def _constraints(self) -> Any:
        from houston.dynamics.rendezvous.opportunities import DockingConstraints

        p = self.p
        return DockingConstraints(
            daylight=bool(p["daylight"]),
            daylight_margin_s=float(p["daylight_margin"]),
            closing_rate_m_s=float(p["closing_rate"]),
            dv_budget_m_s=float(p["dv_budget"]),
            min_lead_s=float(p["min_lead"]),
        )

    def _plan(self, ctx: StepContext, b: int) -> None:
        """Search and re-solve the opportunities of run ``b`` from its chaser's state now and
        its last handed-over vector; list them in an event."""
        from houston.dynamics import lambert
        from houston.dynamics.relative import lvlh_basis, lvlh_to_inertial
        from houston.dynamics.rendezvous.opportunities import StateVector, find_opportunities

        st = self.state
        run = st["run"]
        inp = ctx.inputs
        pred = self.predictor(ctx)
        epoch = self._epoch(ctx)
        t = float(run[b, _R_T])
        r_c = np.array(inp["chaser_r_m"][b], dtype=float)
        v_c = np.array(inp["chaser_v_m_s"][b], dtype=float)
        sv_t = float(run[b, _R_SV_T])
        r_t, v_t = pred.state(st["sv"][b, 0:3], st["sv"][b, 3:6], sv_t, t)
        t_ns = round(t * NS_PER_S)
        found = find_opportunities(
            StateVector(t_ns, r_c, v_c),
            StateVector(t_ns, r_t, v_t),
            epoch,
            window_s=float(self.p["window"]),
            t_start_ns=t_ns,
            constraints=self._constraints(),
            max_revs=int(self.p["max_revs"]),
        )[:MAX_LISTED]
        rows: list[list[float]] = []
        if found:
            tpi = np.array([o.t_tpi_ns / NS_PER_S for o in found])
            tpf = np.array([o.t_dock_ns / NS_PER_S for o in found])
            rc_at, vc_at = pred.states(r_c, v_c, t, tpi)
            rt_at, vt_at = pred.states(r_t, v_t, t, tpf)
            budget = float(self.p["dv_budget"])
            for k, o in enumerate(found):
                r1, v1 = rc_at[k, 0], vc_at[k, 0]
                # The two-body plan's TPI, in the chaser's own axes, is the first guess.
                guess = lvlh_to_inertial(r1, v1, o.plan.burns[0].dv_lvlh_m_s)
                try:
                    dv1, r2, v2, left = pred.target(
                        r1, v1, tpi[k], rt_at[k, 0], vt_at[k, 0], tpf[k], self.p["tpf_range"], guess
                    )
                except lambert.NoSolution:
                    continue
                dv2 = braking(r2, v2, rt_at[k, 0], vt_at[k, 0], float(self.p["closing_rate"]))
                n1, n2 = float(np.linalg.norm(dv1)), float(np.linalg.norm(dv2))
                if left > AIM_TOL_M * 100.0 or n1 + n2 > budget:
                    continue  # Houston's predictor finds no such transfer within the budget
                burn = lvlh_basis(r1, v1) @ dv1
                rows.append([tpi[k], tpf[k], n1 + n2, n1, o.revs, float(o.sunlit), *burn])
        opp = st["opp"]
        opp[b] = np.nan
        st["n_opp"][b] = len(rows)
        if rows:
            opp[b, : len(rows)] = np.array(rows)
        run[b, _R_PLAN_T] = t
        sv_ns = round(sv_t * NS_PER_S)
        head = f"rendezvous plan from the vector of {format_get(sv_ns)}"
        if not rows:
            self._one(
                ctx,
                b,
                f"{head}: no docking opportunity in the next "
                f"{self.p['window'] / 3600:.1f} h within the constraints",
                "caution",
            )
            return
        lines = [self._describe(opp[b, k]) for k in range(min(len(rows), int(self.p["listed"])))]
        self._one(
            ctx,
            b,
            f"{head}: {len(rows)} docking opportunit{'y' if len(rows) == 1 else 'ies'}; "
            + "; ".join(f"{i + 1}) {s}" for i, s in enumerate(lines)),
            opportunities=len(rows),
            tpi_s=[float(x) for x in opp[b, : len(rows), _O_TPI]],
            tpf_s=[float(x) for x in opp[b, : len(rows), _O_TPF]],
            dv_m_s=[float(x) for x in opp[b, : len(rows), _O_DV]],
        )

    def _describe(self, row: Array) -> str:
        def get(t_s: float) -> str:
            return format_get(round(t_s * NS_PER_S))

        dv, dv1 = float(row[_O_DV]), float(row[_O_DV_TPI])
        light = "daylight" if row[_O_LIT] > 0.5 else "darkness"
        return (
            f"TPI {get(row[_O_TPI])}, TPF {get(row[_O_TPF])}, docking "
            f"{get(row[_O_TPF] + self.approach_s)}, ΔV {dv:.1f} m/s (TPI {dv1:.1f}, TPF "
            f"{dv - dv1:.1f}), {light}"
        )

    def _report_commit(self, ctx: StepContext, b: int) -> None:
        self._one(ctx, b, f"GO for the rendezvous: {self._describe(self.state['commit'][b])}")

    def _free_path(self, ctx: StepContext, b: int) -> None:
        """After an abort under way: where the chaser's free path (no further burns) passes
        the target, predicted from both true states (Houston tracks its vehicle, the ranging
        sees the target) until ``FREE_PATH_S`` after the planned TPF."""
        st = self.state
        run = st["run"]
        pred = self.predictor(ctx)
        t = float(run[b, _R_T])
        end = max(float(run[b, _R_TPF]), t) + FREE_PATH_S
        times = np.arange(t, end, FREE_PATH_STEP_S)
        r0 = np.vstack([ctx.inputs["chaser_r_m"][b], self._tgt[b, 0:3]])
        v0 = np.vstack([ctx.inputs["chaser_v_m_s"][b], self._tgt[b, 3:6]])
        r, _ = pred.states(r0, v0, t, times)
        gap = np.linalg.norm(r[:, 0] - r[:, 1], axis=1)
        k = int(np.argmin(gap))
        # and to 5 ms around the sample nearest
        times = np.linspace(max(t, times[k] - FREE_PATH_STEP_S), times[k] + FREE_PATH_STEP_S, 201)
        r, _ = pred.states(r0, v0, t, times)
        gap = np.linalg.norm(r[:, 0] - r[:, 1], axis=1)
        k = int(np.argmin(gap))
        close = float(gap[k])
        when = format_get(round(times[k] * NS_PER_S))
        path = (
            f"is on a collision course with the target: closest approach {close:.1f} m at {when}"
            if close < float(self.p["docking_range"])
            else f"passes {close:,.0f} m from the target at {when}"
        )
        self._one(
            ctx,
            b,
            f"rendezvous called off under way: on its free path the chaser {path}",
            "warning" if close < float(self.p["tpf_range"]) else "caution",
            closest_m=close,
            closest_s=float(times[k]),
        )

    # -- the burns that need the predictor ----------------------------------------------------

    def _tpi(self, ctx: StepContext, b: int) -> None:
        """TPI of run ``b``: from the chaser's state now to the target as the last handed-over
        vector predicts it at TPF (the planned burn, in the chaser's axes, as first guess)."""
        from houston.dynamics import lambert
        from houston.dynamics.relative import lvlh_basis, lvlh_to_inertial

        st = self.state
        run = st["run"]
        inp = ctx.inputs
        pred = self.predictor(ctx)
        t, tpf = float(run[b, _R_T]), float(run[b, _R_TPF])
        r_c = np.array(inp["chaser_r_m"][b], dtype=float)
        v_c = np.array(inp["chaser_v_m_s"][b], dtype=float)
        r_t2, v_t2 = pred.state(st["sv"][b, 0:3], st["sv"][b, 3:6], float(run[b, _R_SV_T]), tpf)
        guess = lvlh_to_inertial(r_c, v_c, st["commit"][b, _O_BURN : _O_BURN + 3])
        try:
            dv, _, _, left = pred.target(
                r_c, v_c, t, r_t2, v_t2, tpf, float(self.p["tpf_range"]), guess
            )
        except lambert.NoSolution as exc:
            st["phase"][b] = ABORTED
            self._one(ctx, b, f"TPI: {exc}; rendezvous off", "warning")
            return
        self._issue(b, dv, t)
        st["phase"][b] = TRANSFER
        st["mcc_done"][b] = 0
        lv = lvlh_basis(r_c, v_c) @ dv
        t_ns = round(tpf * NS_PER_S)
        note = "" if left < 100.0 else f"; predicted miss {left / 1000:.1f} km left to the MCCs"
        self._one(
            ctx,
            b,
            f"TPI: Δv {np.linalg.norm(dv):.2f} m/s (LVLH {lv[0]:+.2f}, {lv[1]:+.2f}, "
            f"{lv[2]:+.2f}); TPF at {format_get(t_ns)}{note}",
            dv_m_s=float(np.linalg.norm(dv)),
        )

    def _mcc(self, ctx: StepContext, b: int) -> None:
        """A midcourse correction of run ``b``: the transfer re-solved to the target's true
        position at TPF (onboard ranging), or to the handed-over vector's beyond radar range."""
        from houston.dynamics import lambert

        st = self.state
        run = st["run"]
        inp = ctx.inputs
        pred = self.predictor(ctx)
        t, tpf = float(run[b, _R_T]), float(run[b, _R_TPF])
        r_c = np.array(inp["chaser_r_m"][b], dtype=float)
        v_c = np.array(inp["chaser_v_m_s"][b], dtype=float)
        k = int(st["mcc_done"][b]) + 1
        st["mcc_done"][b] = k
        seen = run[b, _R_RANGE] <= self.p["radar_range"]
        if seen:
            r_t2, v_t2 = pred.state(self._tgt[b, 0:3], self._tgt[b, 3:6], t, tpf)
        else:
            r_t2, v_t2 = pred.state(st["sv"][b, 0:3], st["sv"][b, 3:6], float(run[b, _R_SV_T]), tpf)
        try:
            dv, _, _, _ = pred.target(
                r_c, v_c, t, r_t2, v_t2, tpf, float(self.p["tpf_range"]), np.zeros(3)
            )
        except lambert.NoSolution:
            self._one(ctx, b, f"MCC{k}: no time left for a correction; no burn", "caution")
            return
        size = float(np.linalg.norm(dv))
        source = "onboard ranging" if seen else "the handed-over vector"
        made = size >= float(self.p["burn_deadband"])
        if made:
            self._issue(b, dv, t)
        self._one(
            ctx,
            b,
            f"MCC{k}: Δv {size:.2f} m/s{'' if made else ', below the deadband: no burn'} "
            f"(target from {source}, range {run[b, _R_RANGE] / 1000:.1f} km)",
            dv_m_s=size,
        )

    # -- signals and telemetry -----------------------------------------------------------------

    def output_values(self) -> Mapping[str, NDArray[Any]]:
        # Views of the state arrays, updated in place: one mapping serves every step (a
        # restore replaces the arrays, and with them the mapping).
        st = self.state
        out = self._outputs
        if (
            out is None
            or out["dv_cmd_m_s"] is not st["dv_cmd"]
            or self._outputs_run is not st["run"]
        ):
            out = {"dv_cmd_m_s": st["dv_cmd"], "burn_seq": st["run"][:, _R_SEQ]}
            self._outputs = out
            self._outputs_run = st["run"]
        return out

    def sample(self, out: NDArray[np.float64]) -> None:
        args = self._sample_args
        # resolved again when the frame's block or the state's arrays (a restore) are new
        if args is None or args[6] is not out or args[0] is not self.state["run"]:
            st = self.state
            args = (st["run"], st["phase"], st["burns"], st["n_opp"], st["opp"], self._pk, out)
            self._sample_args = args
            self._sample_fn = compiled_for(_sample, args)
        self._sample_fn(*args)

    def telemetry_values(self) -> Mapping[str, NDArray[Any]]:
        out = np.empty((self.batch, len(self.telemetry)))
        self.sample(out)
        return {t.name: out[:, i] for i, t in enumerate(self.telemetry)}

    # -- commands -------------------------------------------------------------------------------

    def command(self, name: str, args: Mapping[str, Any], mask: NDArray[np.bool_]) -> str | None:
        st = self.state
        phase = st["phase"]
        run = st["run"]
        if name == "replan":
            ok = mask & np.isin(phase, (IDLE, ABORTED)) & (run[:, _R_SV_COUNT] > 0)
            reason = (
                "no state vector received yet"
                if not (run[mask, _R_SV_COUNT] > 0).any()
                else "committed or under way: abort first"
            )
            return self._accept(mask, ok, reason, "opportunities searched again", PENDING_REPLAN)
        if name == "proceed":
            idle = np.isin(phase, (IDLE, ABORTED))
            open_ = np.zeros(self.batch, dtype=bool)
            lead = float(self.p["min_lead"])
            for b in np.flatnonzero(mask & idle):
                n = int(st["n_opp"][b])
                ahead = np.flatnonzero(st["opp"][b, :n, _O_TPI] >= run[b, _R_T] + lead)
                if ahead.size == 0:
                    continue
                row = st["opp"][b, int(ahead[0])]
                open_[b] = True
                phase[b] = PLANNED
                run[b, _R_TPI] = row[_O_TPI]
                run[b, _R_TPF] = row[_O_TPF]
                run[b, _R_DV_PLAN] = row[_O_DV]
                st["commit"][b] = row
                st["mcc_done"][b] = 0
                st["pending"][b] |= PENDING_PROCEED
                self._pending = True
            bad = mask & ~open_
            reason = ""
            if bad.any():
                k = int(np.flatnonzero(bad)[0])
                if not idle[k]:
                    reason = f"already {PHASES[phase[k]]}"
                elif run[k, _R_SV_COUNT] == 0:
                    reason = "no state vector received yet"
                else:
                    reason = "no listed opportunity with its TPI far enough ahead: replan"
            if not open_.any():
                raise CommandRejected(reason)
            text = "committed to the first open opportunity"
            if bad.any():
                raise CommandRejected(reason, bad, text)
            return text
        if name == "abort":
            ok = mask & np.isin(phase, (IDLE, PLANNED, TRANSFER, FINAL))
            under_way = ok & np.isin(phase, (TRANSFER, FINAL))
            bad = mask & ~ok
            reason = f"cannot abort when {'/'.join(sorted({PHASES[i] for i in phase[bad]}))}"
            if not ok.any():
                raise CommandRejected(reason)
            phase[ok] = ABORTED
            st["n_opp"][under_way] = 0  # the list was for the orbit before the burns
            st["pending"][under_way] |= PENDING_ABORTED
            self._pending = True
            text = "rendezvous called off: no further burns"
            if bad.any():
                raise CommandRejected(reason, bad, text)
            return text
        if name == "open_hatches":
            ok = mask & (phase == DOCKED)
            bad = mask & ~ok
            reason = f"not docked: phase {'/'.join(sorted({PHASES[i] for i in phase[bad]}))}"
            if not ok.any():
                raise CommandRejected(reason)
            phase[ok] = HATCHES_OPEN
            st["pending"][ok] |= PENDING_HATCHES
            self._pending = True
            text = "hatches opening"
            if bad.any():
                raise CommandRejected(reason, bad, text)
            return text
        return super().command(name, args, mask)

    def _accept(
        self, mask: NDArray[np.bool_], ok: NDArray[np.bool_], reason: str, text: str, bit: int
    ) -> str:
        if not ok.any():
            raise CommandRejected(reason)
        self.state["pending"][ok] |= bit
        self._pending = True
        if (mask & ~ok).any():
            raise CommandRejected(reason, mask & ~ok, text)
        return text

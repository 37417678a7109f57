"""Compiled row kernels of the reactor: the exact point-kinetics step
(:func:`houston.reactor.kinetics.step`), the plant's step (:func:`houston.reactor.plant
.advance`, explicit or implicit feedback), and the model's sensor readings, controllers'
drive, protection trips and telemetry (:mod:`houston.reactor.model`), the model's whole
step in sub-steps (:func:`substep_packed`, on the model's packed states), which runs the row loops of the frame kernels (:func:`_drive_loop`,
:func:`_advance_loop`, :func:`_read_loop`) so that both give the same bits, the uniforms of
the sensors' draws (:func:`uniform_halves`), the step's inputs and drivers
(:func:`drivers_from_inputs`), and the countdown's whole forward integration
(:func:`countdown_rows`, :func:`houston.reactor.prediction.time_to_damage_s`).

The functions work on one row at a time and are written for numba. They are plain Python
until :func:`compiled` runs (on the first step): it imports numba and compiles them
(``cache=True``, so later processes load the machine code from ``__pycache__``), rebinding
each helper's name to its compiled version. Importing this module neither imports numba nor
compiles. They are kept in one file so that numba's cache, which watches the file a kernel is
defined in, is renewed whenever any of them changes.

Each kernel does the arithmetic of the numpy code it stands for, in the same order
(:func:`houston.reactor.kinetics._step_reference`, :func:`houston.reactor.plant
._advance_reference`, :func:`houston.core.sensors.read` and the model's ``_reference``
methods and ``telemetry_values``). The sensors, drive, trips and telemetry give the same
bits; in the kinetics and the plant the elementary functions (``exp``, ``sin``, ``pow``, the
8 x 8 solve) are the C library's and a Gaussian elimination rather than numpy's and
LAPACK's, so results agree to round-off (tests/reactor compares them). Every row is computed
alone: a row gives the same bits in any batch.
"""

from __future__ import annotations

import math
import threading
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

_EPS: Final = float(np.finfo(np.float64).eps)
_MAX_ITER: Final = 200
_NEWTON_DONE: Final = 1e-9
_GUESS_PASSES: Final = 2
#: Largest drum reactivity change (dollars) allowed within one kinetics sub-step.
SUBSTEP_DOLLARS: Final = 0.05
MAX_SUBSTEPS: Final = 64
#: Node indices of the loop (houston.reactor.loop).
_F, _S, _C, _H, _X, _K, _D, _R = range(8)
#: Layout of the plant constants passed to :func:`advance_rows` (see plant._constants).
PLANT_CONSTANTS: Final = (
    "rated_power_W",
    "drum_worth",
    "critical_drum_angle_rad",
    "pump_coastdown_s",
    "pump_friction_torque",
    "pump_spinup_s",
    "g_fuel_structure_W_K",
    "g_structure_coolant_W_K",
    "g_heat_exchanger_W_K",
    "g_converter_W_K",
    "conversion_efficiency",
    "converter_stall_K",
    "converter_ramp_K",
    "sea_W_K4",
    "cp_coolant_J_kg_K",
    "rated_flow_kg_s",
    "rated_pump_head_Pa",
    "rated_friction_Pa",
    "laminar_flow_fraction",
    "buoyancy_Pa_K",
    "prompt_share",
)

#: Implicit feedback: iterations of the bracketed secant, its tolerance on the feedback
#: reactivity (dk/k), and the heat taken for a trial that overflows (houston.reactor.plant).
IMPLICIT_ITERATIONS: Final = 8
IMPLICIT_TOLERANCE: Final = 1e-9
HUGE_W: Final = 1e30

_LOCK = threading.Lock()
_KERNELS: dict[str, Any] = {}


def _positive_root_one(a: float, b: float, c: float) -> float:
    s = math.sqrt(b * b + 4.0 * a * c)
    if b > 0.0:
        return 2.0 * c / (b + s)
    return (s - b) / (2.0 * a)


def _roots_one(rho: float, beta: Array, lam: Array, gen: float, w: Array, scratch: Array) -> None:
    """All ``G + 1`` inhour roots of one row into ``w``: :func:`_first_guess` and
    :func:`_roots` for a single row. ``scratch`` ``(5, G + 1)`` is working space."""
    g = beta.shape[0]
    k = g + 1
    bsum = beta[0]
    for i in range(1, g):
        bsum += beta[i]
    c = scratch[0]
    for i in range(g):
        c[i] = beta[i] * lam[i]
    bmr = bsum - rho
    # First guess (two passes of the model keeping each bracket's own poles).
    x = scratch[1]
    new = scratch[2]
    others = scratch[3]
    x[0] = 0.0
    for j in range(1, g):
        x[j] = -math.sqrt(lam[j] * lam[j - 1])
    x[g] = min(-bmr / gen, -lam[g - 1]) - lam[g - 1]
    for _ in range(_GUESS_PASSES):
        for kk in range(k):
            acc = 0.0
            for i in range(g):
                if not (i == kk or i == kk - 1):
                    acc += c[i] / (x[kk] + lam[i])
            others[kk] = acc
        r0 = bmr - others[0]
        new[0] = _positive_root_one(gen, r0 - gen * lam[0], c[0]) - lam[0]
        for j in range(1, g):
            la, lb = lam[j], lam[j - 1]
            ca, cb = c[j], c[j - 1]
            d = la - lb
            r = gen * x[j] + bmr - others[j]
            bq = r * d + ca + cb
            t = r * d - ca + cb
            disc = math.sqrt(t * t + 4.0 * ca * cb)
            if bq > 0.0:
                u = 2.0 * ca * d / (bq + disc)
            else:
                u = (bq - disc) / (2.0 * r)
            new[j] = u - la
        r0 = bmr - others[g]
        new[g] = -lam[g - 1] - _positive_root_one(gen, -(r0 - gen * lam[g - 1]), c[g - 1])
        for kk in range(k):
            x[kk] = new[kk]
    bl = beta[0] / lam[0]
    for i in range(1, g):
        bl += beta[i] / lam[i]
    lam_eff = bsum / bl
    b = gen * lam_eff + bmr
    disc = math.sqrt(max(b * b + 4.0 * gen * rho * lam_eff, 0.0))
    if b > 0.0:
        one_group = 2.0 * rho * lam_eff / (b + disc)
    else:
        one_group = (disc - b) / (2.0 * gen)
    if rho > 0.0 or one_group > -lam[0]:
        x[0] = one_group
    # Brackets and the safeguarded Newton iteration on f q, root by root.
    s = c[0]
    for i in range(1, g):
        s += c[i]
    cc = rho - bsum + gen * lam[g - 1]
    dd = 2.0 * max(abs(cc) / gen, math.sqrt(s / gen))
    inv = scratch[4]
    for kk in range(k):
        if kk == 0:
            lo = -lam[0]
            hi = max(rho, 0.0) / gen
        elif kk < g:
            lo = -lam[kk]
            hi = -lam[kk - 1]
        else:
            lo = -lam[g - 1] - dd
            hi = -lam[g - 1]
        wk = x[kk]
        if not (wk > lo and wk < hi):
            wk = 0.5 * (lo + hi)
        if kk == 0 and rho == 0.0:
            wk = 0.0
        for _ in range(_MAX_ITER):
            sb = 0.0
            sp = 0.0
            sa = 0.0
            own = 0.0
            for i in range(g):
                v = 1.0 / (wk + lam[i])
                inv[i] = v
                bi = beta[i] * v
                sb += bi
                sp += bi * lam[i] * v
                sa += abs(bi)
            if kk < g:
                own = inv[kk] if kk == 0 else inv[kk - 1] + inv[kk]
            else:
                own = inv[g - 1]
            f = gen * wk + wk * sb - rho
            fp = gen + sp
            size = abs(gen * wk) + abs(wk) * sa + abs(rho)
            at_root = abs(f) <= 8.0 * _EPS * (size + abs(wk) * fp)
            if f < 0.0:
                lo = wk
            if f > 0.0:
                hi = wk
            newton = wk - f / (fp + f * own)
            inside = newton > lo and newton < hi
            w_new = newton if inside else 0.5 * (lo + hi)
            if at_root:
                w_new = wk
            done = (
                at_root
                or (inside and abs(w_new - wk) <= _NEWTON_DONE * abs(w_new))
                or (hi - lo <= 2.0 * _EPS * max(abs(lo), abs(hi)))
            )
            wk = w_new
            if done:
                break
        w[kk] = wk


#: Inhour roots remembered per kernel call (see _known_roots).
ROOT_MEMORY: Final = 16


def _new_known(k: int) -> Array:
    """An empty memory of inhour roots: row 0 holds the next slot to fill, each further row
    a flag (1 when used), the reactivity and its ``k`` roots."""
    return np.zeros((ROOT_MEMORY + 1, 2 + k))


def _new_decay(ng: int) -> Array:
    """An empty cache of the decay-heat groups' factors (:func:`_neutronics_one`)."""
    decay = np.zeros(1 + 2 * ng)
    decay[0] = np.nan
    return decay


def _forget(known: Array) -> None:
    for slot in range(1, known.shape[0]):
        known[slot, 0] = 0.0


def _known_roots(known: Array, rho: float, w: Array) -> bool:
    """Copy the remembered roots of ``rho`` (the same bits, sign of zero included) into
    ``w``; False if there are none."""
    for slot in range(1, known.shape[0]):
        entry = known[slot]
        if (
            entry[0] == 1.0
            and entry[1] == rho
            and math.copysign(1.0, entry[1]) == math.copysign(1.0, rho)
        ):
            for kk in range(w.shape[0]):
                w[kk] = entry[2 + kk]
            return True
    return False


def _step_one(
    n0: float,
    c0: Array,
    rho: float,
    h: float,
    bt: Array,
    lm: Array,
    gn: float,
    w: Array,
    inv: Array,
    coeff: Array,
    amp: Array,
    c_out: Array,
    known: Array,
    scratch: Array,
) -> tuple[float, float]:
    """The exact kinetics step of one row: ``C`` into ``c_out``, returns ``(n, n_mean)``.

    ``known`` remembers the inhour roots of the last few reactivities solved with the same
    parameters (:func:`_known_roots`): rows often share them (the same bits either way).
    ``scratch`` is the root finder's working space (:func:`_roots_one`)."""
    g = c0.shape[0]
    k = g + 1
    if not _known_roots(known, rho, w):
        _roots_one(rho, bt, lm, gn, w, scratch)
        slot = int(known[0, 0])
        known[0, 0] = (slot + 1) % (known.shape[0] - 1)
        entry = known[slot + 1]
        entry[0] = 1.0
        entry[1] = rho
        for kk in range(k):
            entry[2 + kk] = w[kk]
    for kk in range(k):
        norm = 0.0
        proj = 0.0
        for i in range(g):
            v = 1.0 / (w[kk] + lm[i])
            inv[kk, i] = v
            norm += bt[i] * lm[i] * v * v
            proj += lm[i] * c0[i] * v
        coeff[kk] = (n0 + proj) * gn / (gn + norm)
    n_new = 0.0
    n_mean = 0.0
    for kk in range(k):
        wdt = w[kk] * h
        amp[kk] = coeff[kk] * math.exp(wdt)
        n_new += amp[kk]
        phi = 1.0 if wdt == 0.0 else math.expm1(wdt) / wdt
        n_mean += coeff[kk] * phi
    for i in range(g):
        acc = 0.0
        for kk in range(k):
            acc += amp[kk] * inv[kk, i]
        c_out[i] = bt[i] / gn * acc
    return n_new, n_mean


def step_rows(
    n0: Array,
    c0: Array,
    rho: Array,
    dt: Array,
    beta: Array,
    lam: Array,
    gen: Array,
    n_out: Array,
    c_out: Array,
    mean_out: Array,
) -> None:
    """The exact kinetics step of every row (``beta``, ``lam``, ``gen`` and ``dt`` have one
    row or one per row)."""
    m = n0.shape[0]
    g = c0.shape[1]
    k = g + 1
    w = np.empty(k)
    inv = np.empty((k, g))
    coeff = np.empty(k)
    amp = np.empty(k)
    known = _new_known(k)
    scratch = np.empty((5, k))
    for row in range(m):
        p = row if beta.shape[0] > 1 else 0
        if p > 0:
            _forget(known)  # parameters of this row: the roots held are another's
        h = dt[row] if dt.shape[0] > 1 else dt[0]
        n_new, n_mean = _step_one(
            n0[row],
            c0[row],
            rho[row],
            h,
            beta[p],
            lam[p],
            gen[p],
            w,
            inv,
            coeff,
            amp,
            c_out[row],
            known,
            scratch,
        )
        n_out[row] = n_new
        mean_out[row] = n_mean


def _pump_speed_one(
    speed: float,
    powered: bool,
    target: float,
    spinup: float,
    friction: float,
    coast: float,
    dt: float,
) -> float:
    if powered:
        return target + (speed - target) * math.exp(-dt / spinup)
    b = math.sqrt(friction)
    phase = math.atan(max(speed, 0.0) / b) - b * dt / coast
    return b * math.tan(max(phase, 0.0)) if phase > 0.0 else 0.0


def _drum_angle_one(th0: float, target: float, rate: float, dt: float) -> float:
    return th0 + min(max(target - th0, -rate * dt), rate * dt)


def _mean_cos_one(th0: float, th1: float, rate: float, dt: float) -> float:
    span = abs(th1 - th0)
    moving = min(span / rate, dt) if rate > 0.0 else 0.0
    ramp = (math.sin(th1) - math.sin(th0)) / (th1 - th0) if span > 1e-12 else math.cos(th0)
    return (ramp * moving + math.cos(th1) * (dt - moving)) / dt


def _bounded_heat(heat: float) -> float:
    """A trial far above prompt critical over a long step overflows: its heat is then taken
    as huge, which puts it at the upper end of the bracket."""
    if math.isfinite(heat):
        return min(heat, HUGE_W)
    return HUGE_W


def _solve8(a: Array, b: Array, x: Array) -> None:
    """``a x = b`` by Gaussian elimination with partial pivoting (``a`` and ``b`` destroyed)."""
    n = b.shape[0]
    for col in range(n):
        piv = col
        big = abs(a[col, col])
        for r in range(col + 1, n):
            if abs(a[r, col]) > big:
                big = abs(a[r, col])
                piv = r
        if piv != col:
            for j in range(n):
                a[col, j], a[piv, j] = a[piv, j], a[col, j]
            b[col], b[piv] = b[piv], b[col]
        for r in range(col + 1, n):
            f = a[r, col] / a[col, col]
            if f != 0.0:
                for j in range(col + 1, n):
                    a[r, j] -= f * a[col, j]
                b[r] -= f * b[col]
    for r in range(n - 1, -1, -1):
        acc = b[r]
        for j in range(r + 1, n):
            acc -= a[r, j] * x[j]
        x[r] = acc / a[r, r]


def _neutronics_one(
    n0: float,
    c0: Array,
    g0: Array,
    th0: float,
    target: float,
    rate: float,
    x: float,
    dt: float,
    nsub: int,
    worth: float,
    cos_crit: float,
    p0: float,
    prompt_share: float,
    bt: Array,
    lm: Array,
    gn: float,
    decay_lambda: Array,
    decay_alpha_over_lambda: Array,
    w: Array,
    inv: Array,
    coeff: Array,
    amp: Array,
    c_new: Array,
    known: Array,
    scratch: Array,
    decay: Array,
    c_out: Array,
    g_out: Array,
) -> tuple[float, float, float, float, float]:
    """Kinetics and decay heat of one row over ``dt`` in ``nsub`` sub-steps, the drums moving
    and the feedback reactivity ``x`` held (:func:`houston.reactor.plant._neutronics`): the
    precursors and decay-heat groups into ``c_out`` and ``g_out`` (which may be ``c0`` and
    ``g0``); returns the end power and the means of heat, decay heat, power and reactivity.

    ``decay`` ``(1 + 2 G_d)`` holds a sub-step length and the decay-heat groups' factors
    ``exp(-lambda h)`` and ``(1 - exp(-lambda h)) / (lambda h)`` for it: they are computed
    again only for another length (see :func:`_new_decay`)."""
    g = c0.shape[0]
    ng = g0.shape[0]
    for i in range(g):
        c_out[i] = c0[i]
    for j in range(ng):
        g_out[j] = g0[j]
    h = dt / nsub
    if not decay[0] == h:
        for j in range(ng):
            xx = decay_lambda[j] * h
            decay[1 + j] = math.exp(-xx)
            decay[1 + ng + j] = -math.expm1(-xx) / xx
        decay[0] = h
    nn = n0
    th = th0
    e_prompt = 0.0
    e_decay = 0.0
    rho_int = 0.0
    n_int = 0.0
    for _ in range(nsub):
        th_next = _drum_angle_one(th, target, rate, h)
        mean_cos = _mean_cos_one(th, th_next, rate, h)
        rho = 0.5 * worth * (cos_crit - mean_cos) + x
        nn, n_mean = _step_one(
            nn, c_out, rho, h, bt, lm, gn, w, inv, coeff, amp, c_new, known, scratch
        )
        for i in range(g):
            c_out[i] = c_new[i]
        fission = n_mean * p0
        dsum = 0.0
        for j in range(ng):
            e = decay[1 + j]
            phi = decay[1 + ng + j]
            eq = fission * decay_alpha_over_lambda[j]
            dsum += eq + (g_out[j] - eq) * phi
            g_out[j] = eq + (g_out[j] - eq) * e
        e_prompt += prompt_share * fission * h
        e_decay += dsum * h
        rho_int += rho * h
        n_int += n_mean * h
        th = th_next
    return nn, (e_prompt + e_decay) / dt, e_decay / dt, n_int / dt, rho_int / dt


def _advance_work(g: int, ng: int) -> tuple[Any, ...]:
    """The working arrays of :func:`_advance_loop` for ``g`` precursor and ``ng`` decay-heat
    groups, allocated once per kernel call rather than once per step."""
    k = g + 1
    return (
        np.empty(k),
        np.empty((k, g)),
        np.empty(k),
        np.empty(k),
        np.empty(g),
        np.zeros((8, 8)),
        np.empty(8),
        np.empty(8),
        _new_known(k),
        np.empty((5, k)),
        _new_decay(ng),
        np.empty((8, 8)),
        np.empty(8),
        np.empty(8),
        np.empty(8),
        np.empty(g),
        np.empty(g),
        np.empty(ng),
        np.empty(ng),
    )


def _advance_loop(
    temps: Array,
    n: Array,
    prec: Array,
    groups: Array,
    pump_speed: Array,
    drum: Array,
    fuel_ref: Array,
    coolant_ref: Array,
    powered: NDArray[np.bool_],
    pump_target: Array,
    capacity: Array,
    drum_target: Array,
    drum_rate: Array,
    sink: Array,
    converters: Array,
    alpha_fuel: Array,
    alpha_coolant: Array,
    beta: Array,
    lam: Array,
    gen: Array,
    heat_capacity: Array,
    decay_lambda: Array,
    decay_alpha_over_lambda: Array,
    const: Array,
    dts: Array,
    implicit: bool,
    skip: NDArray[np.bool_],
    out: Array,
    work: tuple[Any, ...],
) -> None:
    """The plants' step (:func:`advance_rows`), each row over its own ``dts[row]``, the rows
    where ``skip`` left as they are; ``work`` is :func:`_advance_work`'s."""
    m = n.shape[0]
    g = prec.shape[1]
    ng = groups.shape[1]
    p0 = const[0]
    worth = const[1]
    cos_crit = math.cos(const[2])
    coast, friction, spinup = const[3], const[4], const[5]
    gfs, gsc, gx, gconv = const[6], const[7], const[8], const[9]
    eta, stall, ramp_k, sea = const[10], const[11], const[12], const[13]
    cp, rated_flow, head_rated, friction_pa = const[14], const[15], const[16], const[17]
    lam_flow, buoyancy, prompt_share = const[18], const[19], const[20]
    (
        w,
        inv,
        coeff,
        amp,
        c_new,
        a,
        rhs,
        t1,
        known,
        scratch,
        decay,
        a2,
        b2,
        t_base,
        u,
        c_best,
        c_try,
        g_best,
        g_try,
    ) = work
    _forget(known)  # the roots held are those of another call's rows
    ring = (_C, _H, _X, _K)
    for row in range(m):
        if skip[row]:
            continue
        dt = dts[row]
        t = temps[row]
        pp = row if beta.shape[0] > 1 else 0
        if pp > 0:
            _forget(known)  # parameters of this row: the roots held are another's
        bt, lm, gn = beta[pp], lam[pp], gen[pp]
        pa = row if alpha_fuel.shape[0] > 1 else 0
        pc = row if alpha_coolant.shape[0] > 1 else 0
        on = powered[row]
        w0 = pump_speed[row]
        # Flow at the mid-step pump speed and the start-of-step temperatures.
        w_mid = _pump_speed_one(w0, on, pump_target[row], spinup, friction, coast, 0.5 * dt)
        dp = head_rated * w_mid * w_mid + buoyancy * (t[_H] - t[_K])
        r = abs(dp) / friction_pa
        x = math.sqrt(r) if r >= lam_flow * lam_flow else r / lam_flow
        sign = 1.0 if dp > 0.0 else (-1.0 if dp < 0.0 else (0.0 if dp == 0.0 else dp))
        flow = sign * x * capacity[row] * rated_flow
        # The backward-Euler system of the loop.
        running = min(max((t[_D] - stall) / ramp_k, 0.0), 1.0)
        gc = gconv * running * converters[row]
        tr0 = t[_R]
        for i in range(8):
            for j in range(8):
                a[i, j] = 0.0
            rhs[i] = heat_capacity[i] / dt * t[i]
        for i, j, gg in ((_F, _S, gfs), (_S, _C, gsc), (_X, _D, gx)):
            a[i, i] += gg
            a[i, j] -= gg
            a[j, j] += gg
            a[j, i] -= gg
        a[_D, _D] += gc
        a[_D, _R] -= gc
        a[_R, _D] -= (1.0 - eta) * gc
        a[_R, _R] += (1.0 - eta) * gc
        a[_R, _R] += 4.0 * sea * math.pow(tr0, 3.0)
        rhs[_R] += 3.0 * sea * math.pow(tr0, 4.0) + sea * math.pow(sink[row], 4.0)
        wp = max(flow, 0.0) * cp
        wm = max(-flow, 0.0) * cp
        for q in range(4):
            node = ring[q]
            up = ring[(q + 3) % 4]
            down = ring[(q + 1) % 4]
            a[node, node] += wp + wm
            a[node, up] -= wp
            a[node, down] -= wm
        for i in range(8):
            a[i, i] += heat_capacity[i] / dt
        # Drums over the frame and the number of kinetics sub-steps.
        th0 = drum[row]
        rate = drum_rate[row]
        target = drum_target[row]
        th1 = _drum_angle_one(th0, target, rate, dt)
        bsum = bt[0]
        for i in range(1, g):
            bsum += bt[i]
        swing = abs(
            0.5 * worth * (cos_crit - math.cos(th1)) - 0.5 * worth * (cos_crit - math.cos(th0))
        )
        q = swing / (SUBSTEP_DOLLARS * bsum)
        nsub = 1
        if q > 1.0:
            nsub = int(min(float(MAX_SUBSTEPS), np.ceil(q)))
        x0 = alpha_fuel[pa] * (t[_F] - fuel_ref[row]) + alpha_coolant[pc] * (
            t[_C] - coolant_ref[row]
        )
        # Kinetics and decay heat with the drums moving and the feedback held.
        if not implicit:
            nn, heat, decay_w, n_avg, react = _neutronics_one(
                n[row],
                prec[row],
                groups[row],
                th0,
                target,
                rate,
                x0,
                dt,
                nsub,
                worth,
                cos_crit,
                p0,
                prompt_share,
                bt,
                lm,
                gn,
                decay_lambda,
                decay_alpha_over_lambda,
                w,
                inv,
                coeff,
                amp,
                c_new,
                known,
                scratch,
                decay,
                prec[row],
                groups[row],
            )
            fb = x0
            # The loop's step with that heat.
            rhs[_F] += heat
            _solve8(a, rhs, t1)
        else:
            # The end temperatures are t_base + Q u for a heat Q (two solves).
            for i in range(8):
                for j in range(8):
                    a2[i, j] = a[i, j]
                b2[i] = rhs[i]
            _solve8(a2, b2, t_base)
            for i in range(8):
                for j in range(8):
                    a2[i, j] = a[i, j]
                b2[i] = 0.0
            b2[_F] = 1.0
            _solve8(a2, b2, u)
            mid_f = 0.5 * (t[_F] + t_base[_F])
            mid_c = 0.5 * (t[_C] + t_base[_C])
            af, ac = alpha_fuel[pa], alpha_coolant[pc]
            fb_base = af * (mid_f - fuel_ref[row]) + ac * (mid_c - coolant_ref[row])
            slope = 0.5 * (af * u[_F] + ac * u[_C])
            # Bracketed secant (Illinois) on x = fb_base + slope Q(x); see plant._implicit.
            best = _neutronics_one(
                n[row],
                prec[row],
                groups[row],
                th0,
                target,
                rate,
                x0,
                dt,
                nsub,
                worth,
                cos_crit,
                p0,
                prompt_share,
                bt,
                lm,
                gn,
                decay_lambda,
                decay_alpha_over_lambda,
                w,
                inv,
                coeff,
                amp,
                c_new,
                known,
                scratch,
                decay,
                c_best,
                g_best,
            )
            best = (best[0], _bounded_heat(best[1]), best[2], best[3], best[4])
            g0v = x0 - fb_base - slope * best[1]
            x1 = fb_base + slope * best[1]
            trial = _neutronics_one(
                n[row],
                prec[row],
                groups[row],
                th0,
                target,
                rate,
                x1,
                dt,
                nsub,
                worth,
                cos_crit,
                p0,
                prompt_share,
                bt,
                lm,
                gn,
                decay_lambda,
                decay_alpha_over_lambda,
                w,
                inv,
                coeff,
                amp,
                c_new,
                known,
                scratch,
                decay,
                c_try,
                g_try,
            )
            trial = (trial[0], _bounded_heat(trial[1]), trial[2], trial[3], trial[4])
            g1v = x1 - fb_base - slope * trial[1]
            if g0v <= 0.0:
                lo, glo, hi, ghi = x0, g0v, x1, g1v
            else:
                lo, glo, hi, ghi = x1, g1v, x0, g0v
            best_x = x0
            best_g = min(abs(g0v), abs(g1v))
            if not (abs(g0v) <= abs(g1v)):
                best_x = x1
                best = trial
                for i in range(g):
                    c_best[i] = c_try[i]
                for j in range(ng):
                    g_best[j] = g_try[j]
            side = 0.0
            for _ in range(IMPLICIT_ITERATIONS):
                if best_g <= IMPLICIT_TOLERANCE:
                    break
                if ghi != glo:
                    xs = hi - ghi * (hi - lo) / (ghi - glo)
                else:
                    xs = 0.5 * (lo + hi)
                if not (xs > lo and xs < hi):
                    xs = 0.5 * (lo + hi)
                trial = _neutronics_one(
                    n[row],
                    prec[row],
                    groups[row],
                    th0,
                    target,
                    rate,
                    xs,
                    dt,
                    nsub,
                    worth,
                    cos_crit,
                    p0,
                    prompt_share,
                    bt,
                    lm,
                    gn,
                    decay_lambda,
                    decay_alpha_over_lambda,
                    w,
                    inv,
                    coeff,
                    amp,
                    c_new,
                    known,
                    scratch,
                    decay,
                    c_try,
                    g_try,
                )
                trial = (trial[0], _bounded_heat(trial[1]), trial[2], trial[3], trial[4])
                gs = xs - fb_base - slope * trial[1]
                if abs(gs) < best_g:
                    best = trial
                    best_x = xs
                    best_g = abs(gs)
                    for i in range(g):
                        c_best[i] = c_try[i]
                    for j in range(ng):
                        g_best[j] = g_try[j]
                if gs <= 0.0:
                    lo = xs
                    glo = gs
                    if side < 0.0:
                        ghi = 0.5 * ghi
                    side = -1.0
                else:
                    if side > 0.0:
                        glo = 0.5 * glo
                    hi = xs
                    ghi = gs
                    side = 1.0
            nn, heat, decay_w, n_avg, react = best
            fb = best_x
            for i in range(g):
                prec[row, i] = c_best[i]
            for j in range(ng):
                groups[row, j] = g_best[j]
            for i in range(8):
                t1[i] = t_base[i] + heat * u[i]
        electric = eta * gc * (t1[_D] - t1[_R])
        radiated = sea * (math.pow(tr0, 4.0) - math.pow(sink[row], 4.0)) + 4.0 * sea * math.pow(
            tr0, 3.0
        ) * (t1[_R] - tr0)
        change_t = 0.0
        for i in range(8):
            d = abs(t1[i] - t[i])
            if d > change_t or d != d:
                change_t = d
            t[i] = t1[i]
        out[10, row] = change_t
        out[11, row] = abs(nn - n[row])
        n[row] = nn
        pump_speed[row] = _pump_speed_one(w0, on, pump_target[row], spinup, friction, coast, dt)
        drum[row] = th1
        out[0, row] = flow
        out[1, row] = react
        out[2, row] = fb
        out[3, row] = n_avg
        out[4, row] = heat
        out[5, row] = decay_w
        out[6, row] = electric
        out[7, row] = radiated
        out[8, row] = gx * (t1[_X] - t1[_D])
        out[9, row] = gsc * (t1[_S] - t1[_C])


def advance_rows(
    temps: Array,
    n: Array,
    prec: Array,
    groups: Array,
    pump_speed: Array,
    drum: Array,
    fuel_ref: Array,
    coolant_ref: Array,
    powered: NDArray[np.bool_],
    pump_target: Array,
    capacity: Array,
    drum_target: Array,
    drum_rate: Array,
    sink: Array,
    converters: Array,
    alpha_fuel: Array,
    alpha_coolant: Array,
    beta: Array,
    lam: Array,
    gen: Array,
    heat_capacity: Array,
    decay_lambda: Array,
    decay_alpha_over_lambda: Array,
    const: Array,
    dt: float,
    implicit: bool,
    out: Array,
) -> None:
    """One frame of every plant: :func:`houston.reactor.plant._advance_reference`, except
    that the kinetics sub-steps are counted per row. Updates the state arrays in place;
    ``out`` ``(12, batch)`` gets the flow, the mean reactivity, the feedback, the mean power,
    heat and decay heat, the electric, radiated, heat-exchanger and core-to-coolant powers,
    the largest temperature change and the power change."""
    m = n.shape[0]
    _advance_loop(
        temps,
        n,
        prec,
        groups,
        pump_speed,
        drum,
        fuel_ref,
        coolant_ref,
        powered,
        pump_target,
        capacity,
        drum_target,
        drum_rate,
        sink,
        converters,
        alpha_fuel,
        alpha_coolant,
        beta,
        lam,
        gen,
        heat_capacity,
        decay_lambda,
        decay_alpha_over_lambda,
        const,
        np.full(m, dt),
        implicit,
        np.zeros(m, dtype=np.bool_),
        out,
        _advance_work(prec.shape[1], groups.shape[1]),
    )


def _read_loop(
    temps: Array,
    flow: Array,
    n: Array,
    pump_speed: Array,
    electric: Array,
    normal: Array,
    spec: Array,
    channel: NDArray[np.int64],
    flow_stuck: NDArray[np.bool_],
    tc_stuck: NDArray[np.bool_],
    tc_channel: Array,
    dts: Array,
    skip: NDArray[np.bool_],
    drift: tuple[Array, ...],
    last: tuple[Array, ...],
    reading: tuple[Array, ...],
) -> None:
    """Every channel of every row not in ``skip`` (:func:`read_sensors`), each row's drift over
    its own ``dts[row]``."""
    m = n.shape[0]
    nch = normal.shape[1]
    for row in range(m):
        if skip[row]:
            continue
        dt = dts[row]
        for j in range(nch):
            sensor = channel[0, j]
            col = channel[1, j]
            src = channel[2, j]
            if src < 8:
                truth = temps[row, src]
            elif src == 8:
                truth = flow[row]
            elif src == 9:
                truth = n[row]
            elif src == 10:
                truth = pump_speed[row]
            else:
                truth = electric[row]
            d = drift[sensor]
            rate = spec[2, j] + 0.0
            d[row, col] += rate * dt
            value = truth + spec[1, j] + d[row, col] + spec[0, j] * normal[row, j]
            fault = channel[3, j]
            if fault > 0:
                value = value + 0.0
            if value < spec[4, j]:
                value = spec[4, j]
            elif value > spec[5, j]:
                value = spec[5, j]
            res = spec[3, j]
            if res > 0.0:
                value = np.rint(value / res) * res
            held = last[sensor]
            if fault == 1:
                stuck = flow_stuck[row]
            elif fault == 2:
                stuck = tc_stuck[row] and int(tc_channel[row]) == col
            else:
                stuck = False
            if stuck and np.isfinite(held[row, col]):
                value = held[row, col]
            held[row, col] = value
            reading[sensor][row, col] = value


def read_sensors(
    temps: Array,
    flow: Array,
    n: Array,
    pump_speed: Array,
    electric: Array,
    normal: Array,
    spec: Array,
    channel: NDArray[np.int64],
    flow_stuck: NDArray[np.bool_],
    tc_stuck: NDArray[np.bool_],
    tc_channel: Array,
    dt: float,
    drift: tuple[Array, ...],
    last: tuple[Array, ...],
    reading: tuple[Array, ...],
    mid: Array,
    nan_seen: NDArray[np.bool_],
) -> None:
    """The reactor's sensor readings: :func:`houston.core.sensors.read` for every channel, with
    its arithmetic in its order. Channel ``j`` is column ``channel[1, j]`` of sensor
    ``channel[0, j]`` (index into ``drift``, ``last`` and ``reading``) and measures source
    ``channel[2, j]`` (a loop node 0-7, then the flow, the power, the pump speed and the
    electric power); ``spec`` rows are noise, bias, drift rate, resolution, low and high.
    ``channel[3, j]`` is the fault a channel can have (read with faults, only ``stuck``
    here): 0 none, 1 the flowmeter's (stuck where ``flow_stuck``), 2 a fuel
    thermocouple's (stuck where ``tc_stuck`` and ``tc_channel`` is its column). ``mid`` gets each
    sensor's mid-value select (a single channel's reading; the middle one of three), and
    ``nan_seen`` marks the sensors with a NaN among several channels (whose mid-value is then
    not computed here)."""
    m = n.shape[0]
    _read_loop(
        temps,
        flow,
        n,
        pump_speed,
        electric,
        normal,
        spec,
        channel,
        flow_stuck,
        tc_stuck,
        tc_channel,
        np.full(m, dt),
        np.zeros(m, dtype=np.bool_),
        drift,
        last,
        reading,
    )
    for row in range(m):
        for sensor in range(len(reading)):
            r = reading[sensor]
            if r.shape[1] == 1:
                mid[row, sensor] = r[row, 0]
            elif r.shape[1] == 3:
                a, b, c = r[row, 0], r[row, 1], r[row, 2]
                if a != a or b != b or c != c:
                    nan_seen[sensor] = True
                else:
                    mid[row, sensor] = max(min(a, b), min(max(a, b), c))
            else:
                nan_seen[sensor] = True


def _vote_one(r: Array, row: int) -> float:
    """Mid-value select of row ``row`` of one sensor's readings (one or three channels):
    :func:`houston.core.sensors.vote`, the median of the valid readings (the mean of two,
    NaN when none is valid)."""
    if r.shape[1] == 1:
        return r[row, 0]
    a, b, c = r[row, 0], r[row, 1], r[row, 2]
    if not (a != a or b != b or c != c):
        return max(min(a, b), min(max(a, b), c))
    valid = np.empty(3)
    count = 0
    for x in (a, b, c):
        if x == x:
            valid[count] = x
            count += 1
    if count == 0:
        return np.nan
    if count == 1:
        return valid[0]
    return (min(valid[0], valid[1]) + max(valid[0], valid[1])) / 2.0


def _drive_loop(
    pump_driver: NDArray[np.int64],
    pump_cmd: NDArray[np.bool_],
    power_bus_lost: NDArray[np.bool_],
    pump_damaged: NDArray[np.bool_],
    flow_fraction: Array,
    drum_angle: Array,
    drums_stuck: NDArray[np.bool_],
    scrammed: NDArray[np.bool_],
    power_demand: Array,
    power_filtered: Array,
    flow_reading: Array,
    reactivity: Array,
    drum_driver: NDArray[np.int64],
    converters_lost: NDArray[np.bool_],
    const: Array,
    dts: Array,
    skip: NDArray[np.bool_],
    powered: NDArray[np.bool_],
    capacity: Array,
    target: Array,
    rate: Array,
    converters: Array,
) -> None:
    """The drive (:func:`drive_rows`) of every row not in ``skip``, over its own ``dts[row]``."""
    drum_speed, rated_flow, beta, scram_rate = const[0], const[1], const[2], const[3]
    gain, lowest, withdraw = const[4], const[5], const[6]
    full_speed, deadband, block_flow, insert = const[7], const[8], const[9], const[10]
    band = const[11]
    big = np.finfo(np.float64).max
    for row in range(pump_driver.shape[0]):
        if skip[row]:
            continue
        dt = dts[row]
        powered[row] = pump_driver[row] > 0 and pump_cmd[row] and not power_bus_lost[row]
        capacity[row] = flow_fraction[row] if pump_damaged[row] else 1.0
        theta = drum_angle[row]
        stuck = drums_stuck[row]
        scram = scrammed[row] and not stuck
        error = power_demand[row] - power_filtered[row]
        inside = error
        if inside < -band:
            inside = -band
        elif inside > band:
            inside = band
        wanted = gain * (error - inside)
        if wanted < lowest:
            wanted = lowest
        elif wanted > withdraw:
            wanted = withdraw
        dollars = reactivity[row] / beta
        gap = wanted - dollars
        x = gap / full_speed
        if x < -1.0:
            x = -1.0
        elif x > 1.0:
            x = 1.0
        speed = drum_speed * x
        if abs(gap) < deadband or gap != gap:
            speed = 0.0
        flow = flow_reading[row] / rated_flow
        if flow != flow:
            flow = 0.0
        elif flow == np.inf:
            flow = big
        elif flow == -np.inf:
            flow = -big
        if flow < block_flow and speed > 0.0:
            speed = 0.0
        if dollars > insert:
            speed = -drum_speed
        regulating = drum_driver[row] == 1 and not stuck and not scram
        aim = theta
        if regulating:
            aim = theta + speed * dt
            if aim < 0.0:
                aim = 0.0
            elif aim > np.pi:
                aim = np.pi
        if scram:
            aim = 0.0
        target[row] = aim
        rate[row] = scram_rate if scram else abs(speed)
        converters[row] = 0.0 if converters_lost[row] else 1.0


def drive_rows(
    pump_driver: NDArray[np.int64],
    pump_cmd: NDArray[np.bool_],
    power_bus_lost: NDArray[np.bool_],
    pump_damaged: NDArray[np.bool_],
    flow_fraction: Array,
    drum_angle: Array,
    drums_stuck: NDArray[np.bool_],
    scrammed: NDArray[np.bool_],
    power_demand: Array,
    power_filtered: Array,
    flow_reading: Array,
    reactivity: Array,
    drum_driver: NDArray[np.int64],
    converters_lost: NDArray[np.bool_],
    const: Array,
    dt: float,
    powered: NDArray[np.bool_],
    capacity: Array,
    target: Array,
    rate: Array,
    converters: Array,
) -> None:
    """The controllers' drive of every row: :meth:`houston.reactor.model.SurfaceReactor
    ._drive_reference`, with its arithmetic in its order. ``const``: drum speed, rated flow,
    beta, scram rate, then the regulation's gain (dollars per unit of power error beyond its
    band), the lowest and highest reactivity it asks for, the reactivity gap of full speed,
    its deadband (dollars), the withdrawal-block flow, the insertion limit (dollars) and the
    band (a fraction of rated power)."""
    m = pump_driver.shape[0]
    _drive_loop(
        pump_driver,
        pump_cmd,
        power_bus_lost,
        pump_damaged,
        flow_fraction,
        drum_angle,
        drums_stuck,
        scrammed,
        power_demand,
        power_filtered,
        flow_reading,
        reactivity,
        drum_driver,
        converters_lost,
        const,
        np.full(m, dt),
        np.zeros(m, dtype=np.bool_),
        powered,
        capacity,
        target,
        rate,
        converters,
    )


def _trip_code(fuel: float, outlet: float, flow: float, power: float, const: Array) -> int:
    """The protection's trip cause (0 none, else the first cause in SCRAM_CAUSES order) for
    the mid-values of the fuel and outlet temperatures, the flow (a fraction of rated) and
    the power; ``const`` as in :func:`trip_rows`."""
    high_power, low_flow = const[1], const[2]
    high_outlet, high_fuel = const[3], const[4]
    code = 0
    if power > high_power:
        code = 5
    if flow < low_flow:
        code = 4
    if outlet > high_outlet:
        code = 3
    if fuel > high_fuel:
        code = 2
    return code


def trip_rows(
    mid: Array,
    columns: NDArray[np.int64],
    const: Array,
    backup_connected: NDArray[np.bool_],
    backup_lost: NDArray[np.bool_],
    backup_elsewhere: NDArray[np.bool_],
    scrammed: NDArray[np.bool_],
    cause: NDArray[np.int64],
) -> int:
    """The protection's trip cause of every row (:meth:`houston.reactor.model.SurfaceReactor
    ._trips`: 0 none, else the first cause in SCRAM_CAUSES order) into ``cause``, from the
    sensors' mid-values ``mid`` (columns ``columns``: fuel, outlet, flow, power); ``const``:
    rated flow, then the high-power, low-flow, outlet and fuel trip settings. Returns the
    number of rows whose protection (connected, alive, not serving elsewhere) trips now
    (not already scrammed)."""
    rated_flow = const[0]
    trips = 0
    for row in range(mid.shape[0]):
        code = _trip_code(
            mid[row, columns[0]],
            mid[row, columns[1]],
            mid[row, columns[2]] / rated_flow,
            mid[row, columns[3]],
            const,
        )
        cause[row] = code
        armed = backup_connected[row] and not backup_lost[row] and not backup_elsewhere[row]
        if armed and not scrammed[row] and code > 0:
            trips += 1
    return trips


#: The countdown's step control (:func:`countdown_rows`): a step whose implicit feedback is
#: off the feedback of its own mid-point temperatures by more than this (dk/k) has not
#: converged and is taken again in halves.
COUNTDOWN_TOLERANCE: Final = 1e-6
#: Shortest step the countdown halves to (s); a step this short is taken as it comes.
COUNTDOWN_MIN_STEP_S: Final = 1e-3
#: A protected row's step in which a trip setting is crossed is halved down to this (s), so
#: that the predicted scram comes within it of the crossing (the protection acts every frame).
COUNTDOWN_TRIP_STEP_S: Final = 1.0
#: Steps (taken or taken again) a row may spend in one integration before its steps are no
#: longer halved.
COUNTDOWN_BUDGET: Final = 4096


def _row_trip(tr: Array, w: float, n: float, cap: float, const: Array, trip_const: Array) -> int:
    """The protection's trip cause of one predicted row (:func:`_trip_code`) on true values:
    its temperatures ``tr``, the flow at pump speed ``w`` and its power ``n``."""
    head_rated, buoyancy = const[16], const[19]
    friction_pa, lam_flow, rated_flow = const[17], const[18], const[15]
    dp = head_rated * w * w + buoyancy * (tr[_H] - tr[_K])
    r = abs(dp) / friction_pa
    x = math.sqrt(r) if r >= lam_flow * lam_flow else r / lam_flow
    sign = 1.0 if dp > 0.0 else (-1.0 if dp < 0.0 else (0.0 if dp == 0.0 else dp))
    flow = sign * x * cap * rated_flow / rated_flow
    return _trip_code(tr[_F], tr[_C], flow, n, trip_const)


def countdown_rows(
    temps: Array,
    n: Array,
    prec: Array,
    groups: Array,
    pump_speed: Array,
    drum: Array,
    fuel_ref: Array,
    coolant_ref: Array,
    powered: NDArray[np.bool_],
    pump_target: Array,
    capacity: Array,
    drum_target: Array,
    drum_rate: Array,
    sink: Array,
    converters: Array,
    alpha_fuel: Array,
    alpha_coolant: Array,
    beta: Array,
    lam: Array,
    gen: Array,
    heat_capacity: Array,
    decay_lambda: Array,
    decay_alpha_over_lambda: Array,
    const: Array,
    steps: Array,
    damage_K: float,
    protected: NDArray[np.bool_],
    trip_const: Array,
    scram_rate: float,
    t_hit: Array,
    taken: NDArray[np.int64],
) -> None:
    """The countdown's forward integration (:func:`houston.reactor.prediction
    .time_to_damage_s`) of every row in one call: the plant's implicit steps
    (:func:`_advance_loop`) of lengths ``steps`` until each row's cladding (node S) reaches
    ``damage_K``, its crossing time interpolated linearly within the step into ``t_hit``
    (``inf`` if the steps end first, 0 if it starts there). The state and drive arrays are
    updated in place; a row stops being stepped once it has crossed. ``taken[row]`` gets the
    number of plant steps the row took, those taken again included.

    Step control, row by row. A step whose feedback has not converged (its feedback is off
    that of its own mid-point temperatures by more than :data:`COUNTDOWN_TOLERANCE`: the
    plant moves too far within it, as a cold plant returning to power does) is taken again
    at half its length, down to :data:`COUNTDOWN_MIN_STEP_S`; after a step taken, the next
    one doubles, up to what is left of the scheduled step. The protection of a row where
    ``protected``: its trips (``trip_const`` as in :func:`trip_rows`) on the true fuel and
    outlet temperatures, flow (at the pump's speed) and power at the start of each scheduled
    step and at the end of each step taken, or the step's mean power above the high-power
    setting; a step that trips and is longer than :data:`COUNTDOWN_TRIP_STEP_S` is taken
    again at half its length, and once one that trips is taken the row's drums are sent in at
    ``scram_rate`` and the row is no longer protected. A row that has taken
    :data:`COUNTDOWN_BUDGET` steps takes the rest as they come.
    """
    m = n.shape[0]
    g = prec.shape[1]
    ng = groups.shape[1]
    dts = np.empty(m)
    skip = np.zeros(m, dtype=np.bool_)
    before = np.empty(m)
    left = np.zeros(m)
    h = np.empty(m)
    clock = np.zeros(m)
    keep_t = np.empty((m, 8))
    keep_c = np.empty((m, g))
    keep_g = np.empty((m, ng))
    keep_s = np.empty((m, 3))
    out = np.empty((12, m))
    work = _advance_work(g, ng)
    for row in range(m):
        t_hit[row] = 0.0 if temps[row, _S] >= damage_K else np.inf
        taken[row] = 0
    for step in steps:
        done = True
        for row in range(m):
            if not np.isfinite(t_hit[row]):
                done = False
        if done:
            break
        for row in range(m):
            if not protected[row]:
                continue
            code = _row_trip(temps[row], pump_speed[row], n[row], capacity[row], const, trip_const)
            if code > 0:
                drum_target[row] = 0.0
                drum_rate[row] = scram_rate
                protected[row] = False
        for row in range(m):
            left[row] = 0.0 if np.isfinite(t_hit[row]) else step
            h[row] = step
        while True:
            moving = False
            for row in range(m):
                skip[row] = not left[row] > 0.0
                if skip[row]:
                    continue
                moving = True
                dts[row] = min(h[row], left[row])
                before[row] = temps[row, _S]
                for i in range(8):
                    keep_t[row, i] = temps[row, i]
                for i in range(g):
                    keep_c[row, i] = prec[row, i]
                for j in range(ng):
                    keep_g[row, j] = groups[row, j]
                keep_s[row, 0] = n[row]
                keep_s[row, 1] = pump_speed[row]
                keep_s[row, 2] = drum[row]
            if not moving:
                break
            _advance_loop(
                temps,
                n,
                prec,
                groups,
                pump_speed,
                drum,
                fuel_ref,
                coolant_ref,
                powered,
                pump_target,
                capacity,
                drum_target,
                drum_rate,
                sink,
                converters,
                alpha_fuel,
                alpha_coolant,
                beta,
                lam,
                gen,
                heat_capacity,
                decay_lambda,
                decay_alpha_over_lambda,
                const,
                dts,
                True,
                skip,
                out,
                work,
            )
            for row in range(m):
                if skip[row]:
                    continue
                taken[row] += 1
                dt = dts[row]
                tr = temps[row]
                free = taken[row] < COUNTDOWN_BUDGET
                pa = row if alpha_fuel.shape[0] > 1 else 0
                pc = row if alpha_coolant.shape[0] > 1 else 0
                mid = alpha_fuel[pa] * (0.5 * (keep_t[row, _F] + tr[_F]) - fuel_ref[row]) + (
                    alpha_coolant[pc] * (0.5 * (keep_t[row, _C] + tr[_C]) - coolant_ref[row])
                )
                again = (
                    free
                    and dt > COUNTDOWN_MIN_STEP_S
                    and not (abs(out[2, row] - mid) <= COUNTDOWN_TOLERANCE)
                )
                trips = False
                if protected[row] and not again:
                    trips = (
                        _row_trip(tr, pump_speed[row], n[row], capacity[row], const, trip_const) > 0
                        or out[3, row] > trip_const[1]
                    )
                    again = trips and free and dt > COUNTDOWN_TRIP_STEP_S
                if again:
                    for i in range(8):
                        tr[i] = keep_t[row, i]
                    for i in range(g):
                        prec[row, i] = keep_c[row, i]
                    for j in range(ng):
                        groups[row, j] = keep_g[row, j]
                    n[row] = keep_s[row, 0]
                    pump_speed[row] = keep_s[row, 1]
                    drum[row] = keep_s[row, 2]
                    h[row] = 0.5 * dt
                    continue
                if trips:
                    drum_target[row] = 0.0
                    drum_rate[row] = scram_rate
                    protected[row] = False
                after = tr[_S]
                if after >= damage_K:
                    frac = (damage_K - before[row]) / (after - before[row])
                    if frac < 0.0:
                        frac = 0.0
                    elif frac > 1.0:
                        frac = 1.0
                    t_hit[row] = clock[row] + dt * frac
                    left[row] = 0.0
                    continue
                clock[row] += dt
                left[row] -= dt
                h[row] = 2.0 * dt


_GOLDEN: Final = np.uint64(0x9E3779B97F4A7C15)
_MIX1: Final = np.uint64(0xBF58476D1CE4E5B9)
_MIX2: Final = np.uint64(0x94D049BB133111EB)
_TWO_PI: Final = 2.0 * np.pi


def uniform_halves(
    seed_keys: NDArray[np.uint64], keys: NDArray[np.uint64], u1: Array, angle: Array
) -> None:
    """The two uniform halves of standard normal draws of shape ``(batch, C)``, one draw per
    counter key ``keys[i]`` (the stream's key mixed with the counter, as
    :meth:`houston.core.random.BatchRandom.normal_many` forms it): ``u1[i]`` and the angle
    ``2 pi u2`` into ``angle[i]``, both ``(len(keys), batch, C)``, with that method's integer
    arithmetic (SplitMix64 of the run's seed key xor the counter key plus the element's
    offset). The normal draw is ``sqrt(-2 log u1) cos(angle)``; ``log`` and ``cos`` are left
    to numpy, so that the draws have numpy's bits."""
    c = u1.shape[2]
    for i in range(keys.shape[0]):
        key = keys[i]
        for row in range(seed_keys.shape[0]):
            base = seed_keys[row] ^ key
            for e in range(2 * c):
                z = base + np.uint64(e + 1) * _GOLDEN
                z = (z ^ (z >> np.uint64(30))) * _MIX1
                z = (z ^ (z >> np.uint64(27))) * _MIX2
                z = z ^ (z >> np.uint64(31))
                u = float(z >> np.uint64(11)) * 2.0**-53 + 2.0**-54
                if e < c:
                    u1[i, row, e] = u
                else:
                    angle[i, row, e - c] = _TWO_PI * u


#: The ``(batch,)`` float state arrays :func:`_substep_loop` takes, in its order (names in the
#: model's state).
STEP_FLOATS: Final = (
    "n",
    "pump_speed",
    "drum_angle",
    "fuel_ref",
    "coolant_ref",
    "sink",
    "power_demand",
    "power_filtered",
    "flow",
    "reactivity",
    "feedback",
    "heat",
    "decay",
    "electric",
    "radiated",
    "e_generated",
    "e_electric",
    "e_radiated",
    "peak_clad",
    "pred_age",
    "ttd",
    "ttd_early",
    "ttd_late",
    "failure.pump_damaged.flow_fraction",
    "failure.fuel_thermocouple_failed.channel",
)
#: The ``(batch,)`` boolean arrays, in its order: state (the last three say whether the
#: backup computer's protection is in service: connected, not lost, not serving elsewhere),
#: then ``calm`` (written: the row took its whole step at once).
STEP_BOOLS: Final = (
    "pump_cmd",
    "failure.power_bus_lost",
    "failure.pump_damaged",
    "failure.drums_stuck",
    "scrammed",
    "failure.converters_lost",
    "quiet",
    "pred_due",
    "failure.flow_meter_failed",
    "failure.fuel_thermocouple_failed",
    "backup_connected",
    "failure.backup_computer_lost",
    "backup_elsewhere",
)
#: The ``(batch,)`` integer state arrays, in its order.
STEP_INTS: Final = ("pump_driver", "drum_driver", "scram_cause", "damage")
#: A powered pump this close to its target speed counts as steady (a calm row).
PUMP_STEADY: Final = 1e-9


def _substep_loop(
    k0: int,
    k1: int,
    h: Array,
    whole: float,
    normal: Array,
    log_u1: Array,
    cos_angle: Array,
    halves: bool,
    temps: Array,
    prec: Array,
    groups: Array,
    fs: tuple[Array, ...],
    bs: tuple[NDArray[np.bool_], ...],
    ints: tuple[NDArray[np.int64], ...],
    drift: tuple[Array, ...],
    last: tuple[Array, ...],
    reading: tuple[Array, ...],
    alpha_fuel: Array,
    alpha_coolant: Array,
    beta: Array,
    lam: Array,
    gen: Array,
    heat_capacity: Array,
    decay_lambda: Array,
    decay_alpha_over_lambda: Array,
    plant_const: Array,
    drive_const: Array,
    spec: Array,
    channel: NDArray[np.int64],
    columns: NDArray[np.int64],
    trip_const: Array,
    step_const: Array,
    when: NDArray[np.int64],
) -> tuple[int, bool, bool]:
    """Sub-steps ``k0`` to ``k1 - 1`` of the model's step (:meth:`houston.reactor.model
    .SurfaceReactor.step`), every row: the controllers' drive (:func:`_drive_loop`), the
    plant (:func:`_advance_loop`, explicit feedback), the step's bookkeeping, the sensors
    (:func:`_read_loop`, with the draws ``normal[k]`` of sub-step ``k``), the regulation's
    filter, the protection's trips (:func:`_trip_code`), the damage and the countdown's
    clock, in the order and with the arithmetic of a frame of length ``h[k]``. With
    ``halves`` the draws of sub-step ``k`` are first formed into ``normal[k]`` from the
    logarithms of their first uniforms and the cosines of their angles (``log_u1[k]`` and
    ``cos_angle[k]``, see :func:`uniform_halves`) as :meth:`houston.core.random.BatchRandom
    .normal` forms them.

    In sub-step 0 a row whose last sub-step was quiet, whose drums are at rest and whose
    pump is steady (or stopped) is *calm*: it takes the whole step ``whole`` at once
    (``calm`` set) and skips the other sub-steps. ``fs``, ``bs`` and ``ints`` hold the
    arrays named by :data:`STEP_FLOATS`, :data:`STEP_BOOLS` (then ``protecting`` and
    ``calm``) and :data:`STEP_INTS`; ``columns`` the sensors of the fuel, outlet, flow and
    power; ``step_const`` the regulation's filter time, the quiet thresholds (K/s, 1/s), the
    damage, meltdown and fuel-melting temperatures and the prediction interval (less 1e-9 s).
    ``when`` ``(3, batch)`` gets the sub-step of an automatic scram, of core damage and of a
    meltdown (-1 for none; set so from sub-step 0). Returns the sub-step to continue from
    (``k1``, or earlier, after the first sub-step that leaves a row's countdown due for
    recomputation: then the caller recomputes it and continues), whether a countdown is due
    and whether ``when`` holds an event."""
    (
        n,
        pump_speed,
        drum,
        fuel_ref,
        coolant_ref,
        sink,
        demand,
        filtered,
        flow,
        reactivity,
        feedback,
        heat,
        decay,
        electric,
        radiated,
        e_gen,
        e_el,
        e_rad,
        peak,
        age,
        ttd,
        ttd_early,
        ttd_late,
        flow_fraction,
        tc_channel,
    ) = fs
    (
        pump_cmd,
        bus_lost,
        damaged,
        stuck,
        scrammed,
        conv_lost,
        quiet,
        due,
        flow_stuck,
        tc_stuck,
        backup_connected,
        backup_lost,
        backup_elsewhere,
        calm,
    ) = bs
    pump_driver, drum_driver, cause, damage = ints
    filter_s, quiet_k, quiet_p = step_const[0], step_const[1], step_const[2]
    clad_damage, meltdown, fuel_melt = step_const[3], step_const[4], step_const[5]
    interval = step_const[6]
    rated_flow = trip_const[0]
    big = np.finfo(np.float64).max
    m = n.shape[0]
    parts = h.shape[0]
    dts = np.empty(m)
    skip = np.zeros(m, dtype=np.bool_)
    powered = np.empty(m, dtype=np.bool_)
    capacity = np.empty(m)
    target = np.empty(m)
    rate = np.empty(m)
    conv = np.empty(m)
    ones = np.ones(m)
    out = np.empty((12, m))
    work = _advance_work(prec.shape[1], groups.shape[1])
    flow_sensor = reading[columns[2]]
    protecting = np.empty(m, dtype=np.bool_)
    for row in range(m):
        protecting[row] = backup_connected[row] and not backup_lost[row]
        protecting[row] = protecting[row] and not backup_elsewhere[row]
    if k0 == 0:
        for row in range(m):
            for kind in range(3):
                when[kind, row] = -1
    events = False
    for k in range(k0, k1):
        for row in range(m):
            skip[row] = k > 0 and calm[row]
            dts[row] = h[k]
        if halves:
            for row in range(m):
                if skip[row]:
                    continue
                for j in range(normal.shape[2]):
                    normal[k, row, j] = math.sqrt(-2.0 * log_u1[k, row, j]) * cos_angle[k, row, j]
        _drive_loop(
            pump_driver,
            pump_cmd,
            bus_lost,
            damaged,
            flow_fraction,
            drum,
            stuck,
            scrammed,
            demand,
            filtered,
            flow_sensor[:, 0],
            reactivity,
            drum_driver,
            conv_lost,
            drive_const,
            dts,
            skip,
            powered,
            capacity,
            target,
            rate,
            conv,
        )
        if k == 0:
            for row in range(m):
                still = False
                if parts > 1 and quiet[row] and not scrammed[row] and target[row] == drum[row]:
                    w = pump_speed[row]
                    still = abs(w - 1.0) <= PUMP_STEADY if powered[row] else w == 0.0
                calm[row] = still
                if still:
                    dts[row] = whole
        _advance_loop(
            temps,
            n,
            prec,
            groups,
            pump_speed,
            drum,
            fuel_ref,
            coolant_ref,
            powered,
            ones,
            capacity,
            target,
            rate,
            sink,
            conv,
            alpha_fuel,
            alpha_coolant,
            beta,
            lam,
            gen,
            heat_capacity,
            decay_lambda,
            decay_alpha_over_lambda,
            plant_const,
            dts,
            False,
            skip,
            out,
            work,
        )
        for row in range(m):
            if skip[row]:
                continue
            dt = dts[row]
            flow[row] = out[0, row]
            reactivity[row] = out[1, row]
            feedback[row] = out[2, row]
            heat[row] = out[4, row]
            decay[row] = out[5, row]
            electric[row] = out[6, row]
            radiated[row] = out[7, row]
            e_gen[row] += out[4, row] * dt
            e_el[row] += out[6, row] * dt
            e_rad[row] += out[7, row] * dt
            quiet[row] = (
                out[10, row] < quiet_k * dt and out[11, row] < quiet_p * dt and not scrammed[row]
            )
        _read_loop(
            temps,
            flow,
            n,
            pump_speed,
            electric,
            normal[k],
            spec,
            channel,
            flow_stuck,
            tc_stuck,
            tc_channel,
            dts,
            skip,
            drift,
            last,
            reading,
        )
        stop = False
        for row in range(m):
            if skip[row]:
                continue
            dt = dts[row]
            power_mid = _vote_one(reading[columns[3]], row)
            power = power_mid
            if power != power:
                power = 0.0
            elif power == np.inf:
                power = big
            elif power == -np.inf:
                power = -big
            filtered[row] += (power - filtered[row]) * dt / (filter_s + dt)
            code = _trip_code(
                _vote_one(reading[columns[0]], row),
                _vote_one(reading[columns[1]], row),
                _vote_one(flow_sensor, row) / rated_flow,
                power_mid,
                trip_const,
            )
            if protecting[row] and not scrammed[row] and code > 0:
                scrammed[row] = True
                cause[row] = code
                due[row] = True
                when[0, row] = k
                events = True
            ts = temps[row, _S]
            if ts != ts or ts > peak[row]:
                peak[row] = ts
            if damage[row] < 1 and ts >= clad_damage:
                damage[row] = 1
                when[1, row] = k
                events = True
            if damage[row] < 2 and (ts >= meltdown or temps[row, _F] >= fuel_melt):
                damage[row] = 2
                when[2, row] = k
                events = True
            age[row] += dt
            v = ttd[row] - dt
            ttd[row] = v if not v < 0.0 else 0.0
            v = ttd_early[row] - dt
            ttd_early[row] = v if not v < 0.0 else 0.0
            v = ttd_late[row] - dt
            ttd_late[row] = v if not v < 0.0 else 0.0
            if due[row] or age[row] >= interval:
                stop = True
        if stop:
            return k + 1, True, events
    return k1, False, events


#: How many columns :func:`substep_packed` unpacks from its float, boolean and integer state
#: buffers, and how many sensors from each of its sensor buffers (tests/reactor checks them
#: against :data:`STEP_FLOATS`, :data:`STEP_BOOLS`, :data:`STEP_INTS` and the model's sensors).
PACKED_COLUMNS: Final = (25, 13, 4, 10)


def substep_packed(
    k0: int,
    k1: int,
    h: Array,
    whole: float,
    normal: Array,
    log_u1: Array,
    cos_angle: Array,
    halves: bool,
    temps: Array,
    prec: Array,
    groups: Array,
    floats: Array,
    bools: NDArray[np.bool_],
    calm: NDArray[np.bool_],
    ints: NDArray[np.int64],
    drift: Array,
    last: Array,
    reading: Array,
    off: NDArray[np.int64],
    alpha_fuel: Array,
    alpha_coolant: Array,
    beta: Array,
    lam: Array,
    gen: Array,
    heat_capacity: Array,
    decay_lambda: Array,
    decay_alpha_over_lambda: Array,
    plant_const: Array,
    drive_const: Array,
    spec: Array,
    channel: NDArray[np.int64],
    columns: NDArray[np.int64],
    trip_const: Array,
    step_const: Array,
    when: NDArray[np.int64],
) -> tuple[int, bool, bool]:
    """:func:`_substep_loop` on packed states: ``floats``, ``bools`` and ``ints`` hold the
    arrays of :data:`STEP_FLOATS`, :data:`STEP_BOOLS` and :data:`STEP_INTS` as columns (the
    model keeps those states as views of them), ``drift``, ``last`` and ``reading`` every
    sensor's channels side by side (sensor ``j`` in columns ``off[j]`` to ``off[j + 1]``), so
    that a step passes a few arrays instead of a hundred (a call costs some 60 ns an
    array)."""
    fs = (
        floats[:, 0],
        floats[:, 1],
        floats[:, 2],
        floats[:, 3],
        floats[:, 4],
        floats[:, 5],
        floats[:, 6],
        floats[:, 7],
        floats[:, 8],
        floats[:, 9],
        floats[:, 10],
        floats[:, 11],
        floats[:, 12],
        floats[:, 13],
        floats[:, 14],
        floats[:, 15],
        floats[:, 16],
        floats[:, 17],
        floats[:, 18],
        floats[:, 19],
        floats[:, 20],
        floats[:, 21],
        floats[:, 22],
        floats[:, 23],
        floats[:, 24],
    )
    bs = (
        bools[:, 0],
        bools[:, 1],
        bools[:, 2],
        bools[:, 3],
        bools[:, 4],
        bools[:, 5],
        bools[:, 6],
        bools[:, 7],
        bools[:, 8],
        bools[:, 9],
        bools[:, 10],
        bools[:, 11],
        bools[:, 12],
        calm,
    )
    iv = (
        ints[:, 0],
        ints[:, 1],
        ints[:, 2],
        ints[:, 3],
    )
    dr = (
        drift[:, off[0] : off[1]],
        drift[:, off[1] : off[2]],
        drift[:, off[2] : off[3]],
        drift[:, off[3] : off[4]],
        drift[:, off[4] : off[5]],
        drift[:, off[5] : off[6]],
        drift[:, off[6] : off[7]],
        drift[:, off[7] : off[8]],
        drift[:, off[8] : off[9]],
        drift[:, off[9] : off[10]],
    )
    la = (
        last[:, off[0] : off[1]],
        last[:, off[1] : off[2]],
        last[:, off[2] : off[3]],
        last[:, off[3] : off[4]],
        last[:, off[4] : off[5]],
        last[:, off[5] : off[6]],
        last[:, off[6] : off[7]],
        last[:, off[7] : off[8]],
        last[:, off[8] : off[9]],
        last[:, off[9] : off[10]],
    )
    rd = (
        reading[:, off[0] : off[1]],
        reading[:, off[1] : off[2]],
        reading[:, off[2] : off[3]],
        reading[:, off[3] : off[4]],
        reading[:, off[4] : off[5]],
        reading[:, off[5] : off[6]],
        reading[:, off[6] : off[7]],
        reading[:, off[7] : off[8]],
        reading[:, off[8] : off[9]],
        reading[:, off[9] : off[10]],
    )
    return _substep_loop(
        k0,
        k1,
        h,
        whole,
        normal,
        log_u1,
        cos_angle,
        halves,
        temps,
        prec,
        groups,
        fs,
        bs,
        iv,
        dr,
        la,
        rd,
        alpha_fuel,
        alpha_coolant,
        beta,
        lam,
        gen,
        heat_capacity,
        decay_lambda,
        decay_alpha_over_lambda,
        plant_const,
        drive_const,
        spec,
        channel,
        columns,
        trip_const,
        step_const,
        when,
    )


#: The telemetry :func:`telemetry_rows` writes, in its order.
TELEMETRY: Final = (
    "power_fraction",
    "fuel_temperature_K",
    "fuel_temperature_spread_K",
    "clad_temperature_K",
    "core_outlet_temperature_K",
    "core_inlet_temperature_K",
    "primary_flow",
    "pump_speed",
    "secondary_temperature_K",
    "radiator_temperature_K",
    "electric_power_W",
    "thermal_power_W",
    "decay_heat_W",
    "reactivity_dollars",
    "drum_angle_rad",
    "power_demand",
    "time_to_core_damage_s",
    "time_to_core_damage_early_s",
    "time_to_core_damage_late_s",
    "scram",
    "scram_cause",
    "primary_computer",
    "backup_computer",
    "cross_connect",
    "pump_drive",
    "pump",
    "drum_control",
    "damage_state",
    "site_status",
    "true_power_fraction",
    "true_reactivity_dollars",
    "true_feedback_dollars",
    "true_fuel_temperature_K",
    "true_clad_temperature_K",
    "true_core_outlet_temperature_K",
    "true_hot_leg_temperature_K",
    "true_heat_exchanger_temperature_K",
    "true_core_inlet_temperature_K",
    "true_secondary_temperature_K",
    "true_radiator_temperature_K",
    "true_primary_flow_kg_s",
    "true_pump_speed",
    "true_electric_power_W",
    "true_radiated_power_W",
    "peak_clad_temperature_K",
    "energy_residual_J",
)


def _mid3(r: Array, row: int) -> tuple[float, float, bool]:
    """Mid-value of three channels and the largest disagreement from it; False if a channel
    reads NaN (not computed then)."""
    a, b, c = r[row, 0], r[row, 1], r[row, 2]
    if a != a or b != b or c != c:
        return 0.0, 0.0, False
    mid = max(min(a, b), min(max(a, b), c))
    return mid, max(max(abs(a - mid), abs(b - mid)), abs(c - mid)), True


def telemetry_rows(
    out: Array,
    cols: NDArray[np.int64],
    temps: Array,
    n: Array,
    reactivity: Array,
    feedback: Array,
    flow: Array,
    pump_speed: Array,
    electric: Array,
    radiated: Array,
    heat: Array,
    decay: Array,
    drum_angle: Array,
    power_demand: Array,
    ttd: Array,
    ttd_early: Array,
    ttd_late: Array,
    scrammed: NDArray[np.bool_],
    scram_cause: NDArray[np.int64],
    primary_lost: NDArray[np.bool_],
    backup_lost: NDArray[np.bool_],
    backup_elsewhere: NDArray[np.bool_],
    backup_connected: NDArray[np.bool_],
    cross_connect: NDArray[np.bool_],
    pump_driver: NDArray[np.int64],
    pump_cmd: NDArray[np.bool_],
    power_bus_lost: NDArray[np.bool_],
    drum_driver: NDArray[np.int64],
    damage: NDArray[np.int64],
    peak_clad: Array,
    heat_capacity: Array,
    stored0: Array,
    generated: Array,
    electric_energy: Array,
    radiated_energy: Array,
    readings: Array,
    reading_offsets: NDArray[np.int64],
    rated_flow: float,
    beta: float,
) -> bool:
    """The reactor's telemetry (:meth:`houston.reactor.model.SurfaceReactor
    .telemetry_values`, its arithmetic in its order) into ``out[:, cols[k]]`` for the k-th
    name of :data:`TELEMETRY`. ``readings`` is the packed buffer of the sensors' readings in
    SENSORS order (sensor ``k`` in columns ``reading_offsets[k]`` to ``[k + 1]``); the
    stored energy is ``sum_i C_i T_i`` summed pairwise as numpy sums eight values
    (:func:`houston.reactor.loop.stored_energy_J`), less its initial value ``stored0`` and the
    generated less the electric and radiated energies. Returns False when a three-channel
    sensor reads NaN somewhere (its mid-value and spread, columns 0-2, are then left for the
    caller)."""
    clean = True
    v = np.empty(len(TELEMETRY))
    off = reading_offsets
    reading = (
        readings[:, off[0] : off[1]],
        readings[:, off[1] : off[2]],
        readings[:, off[2] : off[3]],
        readings[:, off[3] : off[4]],
        readings[:, off[4] : off[5]],
        readings[:, off[5] : off[6]],
        readings[:, off[6] : off[7]],
        readings[:, off[7] : off[8]],
        readings[:, off[8] : off[9]],
        readings[:, off[9] : off[10]],
    )
    c = heat_capacity
    for row in range(n.shape[0]):
        power, _, ok_power = _mid3(reading[7], row)
        fuel, spread, ok_fuel = _mid3(reading[0], row)
        clean = clean and ok_power and ok_fuel
        v[0] = power
        v[1] = fuel
        v[2] = spread
        v[3] = reading[1][row, 0]
        v[4] = reading[2][row, 0]
        v[5] = reading[3][row, 0]
        v[6] = reading[6][row, 0] / rated_flow
        v[7] = reading[8][row, 0]
        v[8] = reading[4][row, 0]
        v[9] = reading[5][row, 0]
        v[10] = reading[9][row, 0]
        v[11] = heat[row]
        v[12] = decay[row]
        v[13] = reactivity[row] / beta
        v[14] = drum_angle[row]
        v[15] = power_demand[row]
        v[16] = ttd[row]
        v[17] = ttd_early[row]
        v[18] = ttd_late[row]
        v[19] = 1.0 if scrammed[row] else 0.0
        v[20] = float(scram_cause[row])
        v[21] = 1.0 if primary_lost[row] else 0.0
        if backup_lost[row]:
            v[22] = 3.0
        elif backup_elsewhere[row]:
            v[22] = 2.0
        elif backup_connected[row]:
            v[22] = 1.0
        else:
            v[22] = 0.0
        v[23] = 1.0 if cross_connect[row] else 0.0
        v[24] = float(pump_driver[row])
        if pump_driver[row] > 0 and pump_cmd[row] and not power_bus_lost[row]:
            v[25] = 0.0
        elif pump_speed[row] > 1e-3:
            v[25] = 1.0
        else:
            v[25] = 2.0
        v[26] = float(drum_driver[row])
        v[27] = float(damage[row])
        v[28] = float(damage[row])
        v[29] = n[row]
        v[30] = reactivity[row] / beta
        v[31] = feedback[row] / beta
        for i in range(8):
            v[32 + i] = temps[row, i]
        v[40] = flow[row]
        v[41] = pump_speed[row]
        v[42] = electric[row]
        v[43] = radiated[row]
        v[44] = peak_clad[row]
        t = temps[row]
        stored = ((t[0] * c[0] + t[1] * c[1]) + (t[2] * c[2] + t[3] * c[3])) + (
            (t[4] * c[4] + t[5] * c[5]) + (t[6] * c[6] + t[7] * c[7])
        )
        v[45] = (
            stored - stored0[row] - (generated[row] - electric_energy[row] - radiated_energy[row])
        )
        for k in range(len(TELEMETRY)):
            out[row, cols[k]] = v[k]
    return clean


def _drivers_loop(
    primary_lost: NDArray[np.bool_],
    backup_lost: NDArray[np.bool_],
    pump_cut: NDArray[np.bool_],
    cross_connect: NDArray[np.bool_],
    backup_connected: NDArray[np.bool_],
    backup_elsewhere: NDArray[np.bool_],
    pump_driver: NDArray[np.int64],
    drum_driver: NDArray[np.int64],
    pump: NDArray[np.int64],
    drums: NDArray[np.int64],
) -> bool:
    """:func:`driver_rows`."""
    changed = False
    for b in range(pump.shape[0]):
        primary = not primary_lost[b]
        backup = not backup_lost[b]
        if primary and not pump_cut[b]:
            p = 1
        elif backup and cross_connect[b]:
            p = 2
        else:
            p = 0
        if primary:
            d = 1
        elif backup_connected[b] and backup and not backup_elsewhere[b]:
            d = 2
        else:
            d = 0
        pump[b] = p
        drums[b] = d
        if p != pump_driver[b] or d != drum_driver[b]:
            changed = True
    return changed


def driver_rows(
    primary_lost: NDArray[np.bool_],
    backup_lost: NDArray[np.bool_],
    pump_cut: NDArray[np.bool_],
    cross_connect: NDArray[np.bool_],
    backup_connected: NDArray[np.bool_],
    backup_elsewhere: NDArray[np.bool_],
    pump_driver: NDArray[np.int64],
    drum_driver: NDArray[np.int64],
    pump: NDArray[np.int64],
    drums: NDArray[np.int64],
) -> bool:
    """Which computer drives the pump and the drums (0 none, 1 primary, 2 backup), into
    ``pump`` and ``drums``: :meth:`houston.reactor.model.SurfaceReactor._drivers` per row.
    Returns whether any row differs from ``pump_driver`` / ``drum_driver``."""
    return _drivers_loop(
        primary_lost,
        backup_lost,
        pump_cut,
        cross_connect,
        backup_connected,
        backup_elsewhere,
        pump_driver,
        drum_driver,
        pump,
        drums,
    )


def drivers_from_inputs(
    elsewhere_in: Array,
    restored_in: Array,
    cross_cmd: NDArray[np.bool_],
    backup_elsewhere: NDArray[np.bool_],
    cross_connect: NDArray[np.bool_],
    primary_lost: NDArray[np.bool_],
    backup_lost: NDArray[np.bool_],
    pump_cut: NDArray[np.bool_],
    backup_connected: NDArray[np.bool_],
    pump_driver: NDArray[np.int64],
    drum_driver: NDArray[np.int64],
    pump: NDArray[np.int64],
    drums: NDArray[np.int64],
) -> bool:
    """The step's inputs, then :func:`driver_rows`: ``backup_elsewhere`` is whether the
    input ``elsewhere_in`` exceeds 0.5, ``cross_connect`` whether the cross-connect was
    restored by command (``cross_cmd``) or the input ``restored_in`` exceeds 0.5."""
    for b in range(pump.shape[0]):
        backup_elsewhere[b] = elsewhere_in[b] > 0.5
        cross_connect[b] = cross_cmd[b] or restored_in[b] > 0.5
    return _drivers_loop(
        primary_lost,
        backup_lost,
        pump_cut,
        cross_connect,
        backup_connected,
        backup_elsewhere,
        pump_driver,
        drum_driver,
        pump,
        drums,
    )


def compiled(name: str) -> Any:
    """The compiled kernel ``name`` (``step_rows``, ``advance_rows``, ``read_sensors``,
    ``drive_rows``, ``trip_rows``, ``telemetry_rows``, ``driver_rows``,
    ``countdown_rows``, ``uniform_halves``, ``drivers_from_inputs`` or ``substep_packed``),
    built
    (or loaded from numba's cache) on first use."""
    with _LOCK:
        if not _KERNELS:
            import numba

            options: dict[str, Any] = {"cache": True, "error_model": "numpy"}
            module = globals()
            for helper in (
                "_positive_root_one",
                "_pump_speed_one",
                "_drum_angle_one",
                "_bounded_heat",
                "_vote_one",
                "_trip_code",
                "_row_trip",
            ):
                module[helper] = numba.njit(inline="always", **options)(module[helper])
            for helper in (
                "_roots_one",
                "_step_one",
                "_mean_cos_one",
                "_solve8",
                "_mid3",
                "_neutronics_one",
                "_advance_loop",
                "_read_loop",
                "_drive_loop",
                "_drivers_loop",
                "_substep_loop",
                "_new_known",
                "_new_decay",
                "_advance_work",
                "_forget",
                "_known_roots",
            ):
                module[helper] = numba.njit(**options)(module[helper])
            for kernel in (
                "step_rows",
                "advance_rows",
                "read_sensors",
                "drive_rows",
                "trip_rows",
                "telemetry_rows",
                "driver_rows",
                "countdown_rows",
                "uniform_halves",
                "drivers_from_inputs",
                "substep_packed",
            ):
                _KERNELS[kernel] = numba.njit(**options)(module[kernel])
        return _KERNELS[name]

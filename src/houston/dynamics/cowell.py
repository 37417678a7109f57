"""Cowell propagation: a compiled, batched Dormand–Prince 8(5,3) integrator with dense output.

The equations of motion ``r' = v``, ``v' = a(t, r, v, m)``, ``m' = -mdot`` (the mass only when
a force needs it) are integrated for a whole batch of vehicles at once, with the force model
of ``houston.dynamics.forces``.

Method
------
DOP853: the explicit Runge–Kutta pair of order 8 with error estimators of orders 5 and 3 and
a dense output of order 7 (Hairer, Nørsett & Wanner, *Solving Ordinary Differential
Equations I*, 2nd ed., Springer 1993, sec. II.10; the 7th-order continuous extension uses
three extra stages per accepted step). The Butcher tableau, error weights and dense-output
coefficients are read at run time from ``scipy.integrate._ivp.dop853_coefficients``, which
transcribes Hairer's ``dop853.f``; the error norm and step-size controller are the same as
scipy's ``DOP853`` (safety 0.9, factor limits 0.2 and 10, exponent -1/8), so that scipy is an
independent check of the same method.

Batches share one step size. Each row's error is measured in the RMS norm scaled by
``atol + rtol |y|`` per component (positions with ``atol_m``, velocities with ``atol_m_s``,
mass with ``atol_kg``), and the step is accepted when the largest row error is below one.
This was chosen over per-row adaptive steps because the batches of this project are Monte
Carlo dispersions about one nominal trajectory, whose rows need nearly the same steps; a
common time grid keeps the dense output of all rows on the same segments (one search per
requested time), lets the frame loop sample every row at the same instant, and keeps resets
and events simple. Its cost is that one badly behaved row (say, a dispersed orbit that
re-enters) sets the steps of all; propagate such rows separately. Rows are independent inside
a step, so the kernel loops over rows in the inner loop with no Python overhead.

Dense output and steps: a step never crosses a force switch (a burn's start or end), nor the
end of an ephemeris chunk (one day by default, only when a position callable is sampled), so
the result does not depend on how a run is cut into calls: :meth:`Propagator.advance` takes
natural steps past the requested time and interpolates inside the last step, which is what a
frame loop needs (a 1 s frame does not shorten a 60 s step).

Time is seconds from an origin the caller chooses (the scenario epoch, say); the force
callables receive the same time. The numerical core is compiled with numba on first use
(``cache=True``), never at import.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numba import njit
from numpy.typing import ArrayLike, NDArray

from houston.dynamics.forces import ForceModel, KernelSpec
from houston.dynamics.relative import lvlh_to_inertial

__all__ = ["Propagator", "StepperState", "Trajectory", "lvlh_to_inertial"]

Array = NDArray[np.float64]

#: Coefficients of the dense-output polynomial kept per row and step: y_old and F0..F6.
N_COEF = 8
#: Segments buffered by one kernel call when the whole trajectory is kept.
_SEGMENT_BUFFER = 64

_STATUS_DONE, _STATUS_FULL, _STATUS_LIMIT, _STATUS_TINY, _STATUS_MAXSTEPS = 0, 1, 2, 3, 4

_TABLEAU: tuple[Array, ...] | None = None


def _tableau() -> tuple[Array, ...]:
    """DOP853 coefficients (A, B, C, E3, E5, D) from scipy's transcription of dop853.f."""
    global _TABLEAU
    if _TABLEAU is None:
        from scipy.integrate._ivp import dop853_coefficients as c

        _TABLEAU = tuple(
            np.ascontiguousarray(x, dtype=np.float64) for x in (c.A, c.B, c.C, c.E3, c.E5, c.D)
        )
    return _TABLEAU


# --- compiled force kernel ----------------------------------------------------------------
#
# The kernels that run inside the step loop allocate nothing and are compiled with
# ``_nrt=False`` (numba's reference counting off): with it on, every array taken from the
# force parameters inside a branch costs a pair of atomic reference-count updates per call,
# which made a point-mass + J2 evaluation some ten times slower.


@njit(cache=True, error_model="numpy", _nrt=False)
def _interp_body(
    tab_pos: Array, tab_t0: Array, tab_dt: Array, tab_n: Any, k: int, t: float
) -> tuple[float, float, float]:
    """8-point Lagrange interpolation of tabulated body positions (see forces._lagrange)."""
    n = tab_n[k]
    u = (t - tab_t0[k]) / tab_dt[k]
    i0 = int(np.floor(u)) - 3
    if i0 > n - 8:
        i0 = n - 8
    if i0 < 0:
        i0 = 0
    x = u - i0
    sx = 0.0
    sy = 0.0
    sz = 0.0
    for j in range(8):
        w = 1.0
        for m in range(8):
            if m != j:
                w *= (x - m) / (j - m)
        sx += w * tab_pos[k, i0 + j, 0]
        sy += w * tab_pos[k, i0 + j, 1]
        sz += w * tab_pos[k, i0 + j, 2]
    return sx, sy, sz


@njit(cache=True, error_model="numpy", _nrt=False)
def _density(
    kind: int,
    hh: Array,
    atm_a: Array,
    atm_b: Array,
    hp_exp: float,
    hp_lag: float,
    sun: tuple[float, float, float],
    t: float,
    h: float,
    x: float,
    y: float,
    z: float,
    r: float,
) -> float:
    """Atmospheric density (kg/m^3): exponential table (kind 1) or Harris–Priester (kind 2,
    with the Sun's position ``sun``, or the day-night mean when it is all zeros)."""
    nt = hh.shape[0]
    # index of the last base height not above h (binary search)
    lo = 0
    hi = nt
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if hh[mid] <= h:
            lo = mid
        else:
            hi = mid
    if kind == 1:
        hc = h if h > 0.0 else 0.0
        return atm_a[lo] * np.exp(-(hc - hh[lo]) / atm_b[lo])
    if h > hh[nt - 1]:
        return 0.0
    i = lo if lo < nt - 1 else nt - 2
    dh = hh[i] - hh[i + 1]
    h_min = dh / np.log(atm_a[i + 1] / atm_a[i])
    h_max = dh / np.log(atm_b[i + 1] / atm_b[i])
    rho_min = atm_a[i] * np.exp((hh[i] - h) / h_min)
    rho_max = atm_b[i] * np.exp((hh[i] - h) / h_max)
    sx, sy, sz = sun
    if sx == 0.0 and sy == 0.0 and sz == 0.0:
        weight = 0.5
    else:
        sn = np.sqrt(sx * sx + sy * sy + sz * sz)
        c = np.cos(hp_lag)
        s = np.sin(hp_lag)
        bx = (c * sx - s * sy) / sn
        by = (s * sx + c * sy) / sn
        bz = sz / sn
        cos_psi = (x * bx + y * by + z * bz) / r
        base = 0.5 + 0.5 * cos_psi
        if base < 0.0:
            base = 0.0
        weight = base ** (0.5 * hp_exp)
    return rho_min + (rho_max - rho_min) * weight


@njit(cache=True, error_model="numpy", _nrt=False)
def _rhs(t: float, t_reg: float, y: Array, b: int, sp: Any, out: Array) -> None:
    """Derivative of one row's state ``y`` (r, v[, m]) at time ``t`` into ``out``.

    ``t_reg`` decides which burns are on (the midpoint of the current step, so that a step,
    which never crosses a switch, sees one regime throughout).
    """
    x = y[0]
    yy = y[1]
    z = y[2]
    vx = y[3]
    vy = y[4]
    vz = y[5]
    r2 = x * x + yy * yy + z * z
    r = np.sqrt(r2)
    ax = 0.0
    ay = 0.0
    az = 0.0
    if sp.mu_c != 0.0:
        k = -sp.mu_c / (r2 * r)
        ax += k * x
        ay += k * yy
        az += k * z
    if sp.zon_mu != 0.0:
        px = sp.zon_pole[0]
        py = sp.zon_pole[1]
        pz = sp.zon_pole[2]
        u = (x * px + yy * py + z * pz) / r
        rho = sp.zon_req / r
        p2 = 1.0
        p1 = u
        d1 = 1.0
        rhon = rho
        s_r = 0.0
        s_p = 0.0
        for n in range(2, sp.zon_j.shape[0]):
            pn = ((2 * n - 1) * u * p1 - (n - 1) * p2) / n
            dn = n * p1 + u * d1
            rhon *= rho
            jn = sp.zon_j[n]
            s_r += jn * rhon * ((n + 1) * pn + u * dn)
            s_p += jn * rhon * dn
            p2 = p1
            p1 = pn
            d1 = dn
        c = sp.zon_mu / r2
        ax += c * (s_r * x / r - s_p * px)
        ay += c * (s_r * yy / r - s_p * py)
        az += c * (s_r * z / r - s_p * pz)
    for i in range(sp.tb_mu.shape[0]):
        sx, sy, sz = _interp_body(sp.tab_pos, sp.tab_t0, sp.tab_dt, sp.tab_n, sp.tb_tab[i], t)
        s2 = sx * sx + sy * sy + sz * sz
        dx = x - sx
        dy = yy - sy
        dz = z - sz
        d2 = dx * dx + dy * dy + dz * dz
        q = (x * (x - 2.0 * sx) + yy * (yy - 2.0 * sy) + z * (z - 2.0 * sz)) / s2
        fq = q * (3.0 + 3.0 * q + q * q) / (1.0 + (1.0 + q) ** 1.5)
        k = -sp.tb_mu[i] / (d2 * np.sqrt(d2))
        ax += k * (x + fq * sx)
        ay += k * (yy + fq * sy)
        az += k * (z + fq * sz)
    if sp.drag_kind != 0:
        w = sp.drag_omega
        vrx = vx + w * yy
        vry = vy - w * x
        vrz = vz
        sinl = z / r
        h = r - sp.drag_req * (1.0 - sp.drag_flat * sinl * sinl)
        sun = (0.0, 0.0, 0.0)
        if sp.hp_tab >= 0:
            sun = _interp_body(sp.tab_pos, sp.tab_t0, sp.tab_dt, sp.tab_n, sp.hp_tab, t)
        dens = _density(
            sp.drag_kind, sp.atm_h, sp.atm_a, sp.atm_b, sp.hp_exp, sp.hp_lag, sun, t, h, x, yy, z, r
        )
        coef = sp.drag_coef[b]
        if sp.drag_mass != 0:
            coef = coef / y[6]
        vr = np.sqrt(vrx * vrx + vry * vry + vrz * vrz)
        k = -0.5 * dens * coef * vr
        ax += k * vrx
        ay += k * vry
        az += k * vrz
    mdot = 0.0
    for i in range(sp.th_t0.shape[0]):
        if sp.th_t0[i] <= t_reg < sp.th_t1[i]:
            dx = sp.th_dir[i, b, 0]
            dy = sp.th_dir[i, b, 1]
            dz = sp.th_dir[i, b, 2]
            if sp.th_frame[i] == 1:
                # LVLH: x radial out, z along r x v, y = z x x
                hx = yy * vz - z * vy
                hy = z * vx - x * vz
                hz = x * vy - yy * vx
                hn = np.sqrt(hx * hx + hy * hy + hz * hz)
                xr = x / r
                yr = yy / r
                zr = z / r
                hx /= hn
                hy /= hn
                hz /= hn
                tx = hy * zr - hz * yr
                ty = hz * xr - hx * zr
                tz = hx * yr - hy * xr
                ux = dx * xr + dy * tx + dz * hx
                uy = dx * yr + dy * ty + dz * hy
                uz = dx * zr + dy * tz + dz * hz
            else:
                ux = dx
                uy = dy
                uz = dz
            k = sp.th_force[i, b] / y[6]
            ax += k * ux
            ay += k * uy
            az += k * uz
            mdot += sp.th_mdot[i, b]
    out[0] = vx
    out[1] = vy
    out[2] = vz
    out[3] = ax
    out[4] = ay
    out[5] = az
    if out.shape[0] > 6:
        out[6] = -mdot


@njit(cache=True, error_model="numpy")
def _derivatives_kernel(t: float, t_reg: float, y: Array, sp: Any) -> Array:
    out = np.empty_like(y)
    for b in range(y.shape[0]):
        _rhs(t, t_reg, y[b], b, sp, out[b])
    return out


def _derivatives(t: float, y: Array, sp: KernelSpec, t_reg: float | None = None) -> Array:
    """Derivatives ``(batch, n)`` of states ``y`` at time ``t`` (burn regime at ``t_reg``)."""
    return _derivatives_kernel(float(t), float(t if t_reg is None else t_reg), y, sp)


@njit(cache=True, error_model="numpy")
def _next_stop(
    t: float,
    direction: float,
    t_limit: float,
    land: bool,
    t_target: float,
    bps: Array,
) -> float:
    """The nearest time ahead of ``t`` that a step may not cross."""
    stop = t_limit
    if land and direction * (t_target - stop) < 0.0:
        stop = t_target
    for i in range(bps.shape[0]):
        bp = bps[i]
        if direction * (bp - t) > 0.0 and direction * (bp - stop) < 0.0:
            stop = bp
    return stop


@njit(cache=True, error_model="numpy", _nrt=False)
def _integrate(
    t: float,
    h: float,
    y: Array,
    f: Array,
    direction: float,
    t_target: float,
    land: bool,
    t_limit: float,
    bps: Array,
    rtol: float,
    atol: Array,
    max_step: float,
    max_steps: int,
    A: Array,
    B: Array,
    C: Array,
    E3: Array,
    E5: Array,
    D: Array,
    sp: Any,
    seg_t0: Array,
    seg_h: Array,
    seg_coef: Array,
    keep_all: bool,
    K: Array,
    ynew: Array,
    ytmp: Array,
    t_eval: Array,
    y_eval: Array,
    eval_pos: NDArray[np.int64],
) -> tuple[int, float, float, int, int, int]:
    """Take DOP853 steps for all rows from ``t`` until ``t_target`` is reached.

    With ``land`` the last step ends on ``t_target``; otherwise steps are natural and the last
    one ends at or past it. ``y`` and ``f`` (state and its derivative at ``t``) are updated in
    place; each accepted step's dense-output coefficients go to ``seg_*`` (slot 0 only,
    overwritten, unless ``keep_all``), and the states at the requested times ``t_eval`` that
    fall inside it go to ``y_eval`` (``eval_pos[0]`` is the next one to fill). ``K``, ``ynew``
    and ``ytmp`` are work arrays. Returns (status, t, h, steps, evaluations, segments).
    """
    batch, n = y.shape
    cap = seg_t0.shape[0]
    nseg = 0
    nsteps = 0
    nfev = 0
    rejected = False
    if land:
        if t == t_target:
            return 0, t, h, 0, 0, 0
    elif direction * (t - t_target) >= 0.0:
        return 0, t, h, 0, 0, 0
    while True:
        stop = _next_stop(t, direction, t_limit, land, t_target, bps)
        dist = direction * (stop - t)
        h_abs = abs(h)
        if h_abs > max_step:
            h_abs = max_step
        clipped = False
        if h_abs * 1.0001 >= dist:
            h_abs = dist
            clipped = True
        hs = direction * h_abs
        t_new = stop if clipped else t + hs
        hs = t_new - t
        t_reg = t + 0.5 * hs
        err_max = 0.0
        for b in range(batch):
            Kb = K[b]
            for j in range(n):
                Kb[0, j] = f[b, j]
            for s in range(1, 12):
                for j in range(n):
                    acc = 0.0
                    for m in range(s):
                        acc += A[s, m] * Kb[m, j]
                    ytmp[j] = y[b, j] + hs * acc
                _rhs(t + C[s] * hs, t_reg, ytmp, b, sp, Kb[s])
            for j in range(n):
                acc = 0.0
                for m in range(12):
                    acc += B[m] * Kb[m, j]
                ynew[b, j] = y[b, j] + hs * acc
            _rhs(t_new, t_reg, ynew[b], b, sp, Kb[12])
            e5 = 0.0
            e3 = 0.0
            for j in range(n):
                sc = atol[j] + rtol * max(abs(y[b, j]), abs(ynew[b, j]))
                a5 = 0.0
                a3 = 0.0
                for m in range(13):
                    a5 += E5[m] * Kb[m, j]
                    a3 += E3[m] * Kb[m, j]
                e5 += (a5 / sc) ** 2
                e3 += (a3 / sc) ** 2
            if e5 > 0.0 or e3 > 0.0:
                err = abs(hs) * e5 / np.sqrt((e5 + 0.01 * e3) * n)
                if err > err_max or err != err:
                    err_max = err
        nfev += 12 * batch
        if err_max <= 1.0:
            slot = nseg if keep_all else 0
            seg_t0[slot] = t
            seg_h[slot] = hs
            for b in range(batch):
                Kb = K[b]
                for s in range(13, 16):
                    for j in range(n):
                        acc = 0.0
                        for m in range(s):
                            acc += A[s, m] * Kb[m, j]
                        ytmp[j] = y[b, j] + hs * acc
                    _rhs(t + C[s] * hs, t_reg, ytmp, b, sp, Kb[s])
                for j in range(n):
                    dy = ynew[b, j] - y[b, j]
                    seg_coef[slot, b, 0, j] = y[b, j]
                    seg_coef[slot, b, 1, j] = dy
                    seg_coef[slot, b, 2, j] = hs * Kb[0, j] - dy
                    seg_coef[slot, b, 3, j] = 2.0 * dy - hs * (Kb[12, j] + Kb[0, j])
                    for i in range(4):
                        acc = 0.0
                        for m in range(16):
                            acc += D[i, m] * Kb[m, j]
                        seg_coef[slot, b, 4 + i, j] = hs * acc
                    y[b, j] = ynew[b, j]
                    f[b, j] = Kb[12, j]
            nfev += 3 * batch
            pos = eval_pos[0]
            while pos < t_eval.shape[0] and direction * (t_eval[pos] - t_new) <= 0.0:
                xq = (t_eval[pos] - t) / hs
                for b in range(batch):
                    for j in range(n):
                        acc = 0.0
                        for i in range(N_COEF - 1, 0, -1):
                            acc += seg_coef[slot, b, i, j]
                            acc *= xq if (N_COEF - 1 - i) % 2 == 0 else 1.0 - xq
                        y_eval[pos, b, j] = acc + seg_coef[slot, b, 0, j]
                pos += 1
            eval_pos[0] = pos
            if err_max == 0.0:
                factor = 10.0
            else:
                factor = min(10.0, 0.9 * err_max ** (-1.0 / 8.0))
            if rejected:
                factor = min(1.0, factor)
            rejected = False
            h = direction * h_abs * factor
            t = t_new
            nsteps += 1
            nseg = nseg + 1 if keep_all else 1
            switch = False
            if clipped:
                for i in range(bps.shape[0]):
                    if bps[i] == t:
                        switch = True
            if switch:
                # A force switches here: the derivative follows the new regime.
                nxt = _next_stop(t, direction, t_limit, land, t_target, bps)
                t_reg_next = t + 0.5 * (nxt - t)
                for b in range(batch):
                    _rhs(t, t_reg_next, y[b], b, sp, f[b])
                nfev += batch
            if land:
                if t == t_target:
                    return 0, t, h, nsteps, nfev, nseg
            elif direction * (t - t_target) >= 0.0:
                return 0, t, h, nsteps, nfev, nseg
            if t == t_limit:
                return 2, t, h, nsteps, nfev, nseg
            if keep_all and nseg == cap:
                return 1, t, h, nsteps, nfev, nseg
            if nsteps >= max_steps:
                return 4, t, h, nsteps, nfev, nseg
        else:
            if err_max != err_max:
                factor = 0.2
            else:
                factor = max(0.2, 0.9 * err_max ** (-1.0 / 8.0))
            h = direction * h_abs * factor
            rejected = True
            if abs(h) < 1e-12 * max(1.0, abs(t)):
                return 3, t, h, nsteps, nfev, nseg


# --- dense output -------------------------------------------------------------------------


@njit(cache=True, error_model="numpy", _nrt=False)
def _dense_at(coef: Array, x: float, out: Array) -> None:
    """Dense output of every row at one fraction ``x`` of the step: ``coef (batch, 8, n)``."""
    batch, _, n = coef.shape
    for b in range(batch):
        for j in range(n):
            acc = 0.0
            for i in range(N_COEF - 1, 0, -1):
                acc += coef[b, i, j]
                acc *= x if (N_COEF - 1 - i) % 2 == 0 else 1.0 - x
            out[b, j] = acc + coef[b, 0, j]


def _dense_eval(coef: Array, x: Array) -> Array:
    """Evaluate DOP853 dense output: ``coef (..., 8, n)`` at fractions ``x (...)`` of a step."""
    x = x[..., None]
    y = np.zeros(coef.shape[:-2] + coef.shape[-1:])
    for i, k in enumerate(range(N_COEF - 1, 0, -1)):
        y += coef[..., k, :]
        y *= x if i % 2 == 0 else (1.0 - x)
    return y + coef[..., 0, :]


@dataclass(eq=False)
class Trajectory:
    """Dense output of a propagation: every step's 7th-order interpolant, for every row.

    ``seg_t0_s[i]`` and ``seg_h_s[i]`` are the start and (signed) length of step ``i``,
    ``seg_coef[i]`` its coefficients ``(batch, 8, n)`` with ``n = 6`` (r, v) or 7 (r, v, m).
    Valid between ``t_start_s`` and ``t_end_s``. Memory: ``8 n`` doubles per row and step
    (384 bytes for ``n = 6``: about 24 MB for one day of LEO, some 600 steps, and 100 rows);
    for large batches sample at given times with :meth:`Propagator.sample` instead.
    """

    seg_t0_s: Array
    seg_h_s: Array
    seg_coef: Array
    t_start_s: float
    t_end_s: float
    events: list[Any] = field(default_factory=list)
    steps: int = 0
    evaluations: int = 0

    @property
    def batch(self) -> int:
        return int(self.seg_coef.shape[1])

    @property
    def direction(self) -> float:
        return 1.0 if self.t_end_s >= self.t_start_s else -1.0

    @property
    def has_mass(self) -> bool:
        return self.seg_coef.shape[-1] > 6

    @property
    def step_times_s(self) -> Array:
        """Step boundaries (s), from ``t_start_s`` to the end of the last step."""
        return np.concatenate([self.seg_t0_s, self.seg_t0_s[-1:] + self.seg_h_s[-1:]])

    def _locate(self, t: Array) -> tuple[NDArray[np.int64], Array]:
        d = self.direction
        lo, hi = sorted((self.t_start_s, self.t_end_s))
        tol = 1e-9 * max(1.0, abs(lo), abs(hi))
        if np.any((t < lo - tol) | (t > hi + tol)):
            raise ValueError(f"times outside the trajectory [{lo}, {hi}] s")
        idx = np.searchsorted(d * self.seg_t0_s, d * t, side="right") - 1
        idx = np.clip(idx, 0, len(self.seg_t0_s) - 1)
        x = (t - self.seg_t0_s[idx]) / self.seg_h_s[idx]
        return idx, x

    def state_at(self, t_s: ArrayLike) -> Array:
        """Full state rows (r, v[, m]) at times ``t_s``: shape ``t.shape + (batch, n)``."""
        t = np.asarray(t_s, dtype=float)
        idx, x = self._locate(t.reshape(-1))
        c = self.seg_coef[idx]  # (k, batch, 8, n)
        y = _dense_eval(c, np.broadcast_to(x[:, None], c.shape[:2]))
        return y.reshape((*t.shape, *y.shape[1:]))

    def at(self, t_s: ArrayLike) -> tuple[Array, Array]:
        """Position (m) and velocity (m/s) at times ``t_s``: each ``t.shape + (batch, 3)``."""
        y = self.state_at(t_s)
        return y[..., 0:3], y[..., 3:6]

    def mass_at(self, t_s: ArrayLike) -> Array:
        """Mass (kg) at times ``t_s``, ``t.shape + (batch,)`` (only when mass is carried)."""
        if not self.has_mass:
            raise ValueError("this trajectory does not carry the mass")
        return self.state_at(t_s)[..., 6]

    def at_rows(self, t_s: ArrayLike, rows: ArrayLike) -> tuple[Array, Array]:
        """Position and velocity of row ``rows[k]`` at time ``t_s[k]``: ``(k, 3)`` each."""
        t = np.asarray(t_s, dtype=float).reshape(-1)
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        idx, x = self._locate(t)
        y = _dense_eval(self.seg_coef[idx, rows], x)
        return y[:, 0:3], y[:, 3:6]


# --- the stepper --------------------------------------------------------------------------


@dataclass(eq=False)
class StepperState:
    """Everything a propagation needs to go on, as numpy arrays (a checkpoint saves
    :meth:`arrays` and rebuilds with :meth:`from_arrays`).

    ``t_s`` is the end of the last step (the integrator's own time, at or ahead of the last
    requested time ``t_out_s``); ``y`` the rows' states there (r, v[, m]) and ``f`` their
    derivatives; ``h_s`` the next step size. ``seg_*`` hold the last step's dense output,
    covering ``[seg_t0_s, seg_t0_s + seg_h_s]`` (``seg_h_s == 0`` after a start or a reset).
    """

    t_s: Array
    y: Array
    f: Array
    h_s: Array
    direction: Array
    seg_t0_s: Array
    seg_h_s: Array
    seg_coef: Array
    steps: Array
    evaluations: Array
    t_out_s: Array

    _FIELDS = (
        "t_s",
        "y",
        "f",
        "h_s",
        "direction",
        "seg_t0_s",
        "seg_h_s",
        "seg_coef",
        "steps",
        "evaluations",
        "t_out_s",
    )

    def arrays(self) -> dict[str, Array]:
        """The state as a dict of arrays (copies)."""
        return {k: np.array(getattr(self, k)) for k in self._FIELDS}

    @classmethod
    def from_arrays(cls, d: dict[str, ArrayLike]) -> StepperState:
        return cls(**{k: np.array(d[k]) for k in cls._FIELDS})

    @property
    def batch(self) -> int:
        return int(self.y.shape[0])

    @property
    def r_m(self) -> Array:
        """Positions (m) at ``t_s``, ``(batch, 3)``."""
        return self.y[:, 0:3]

    @property
    def v_m_s(self) -> Array:
        """Velocities (m/s) at ``t_s``, ``(batch, 3)``."""
        return self.y[:, 3:6]

    def segment(self, t_from_s: float | None = None) -> Trajectory:
        """The last step's dense output as a one-step :class:`Trajectory` (from ``t_from_s``,
        default the start of the step)."""
        t0 = float(self.seg_t0_s)
        h = float(self.seg_h_s)
        start = t0 if t_from_s is None else float(t_from_s)
        return Trajectory(
            np.array([t0]),
            np.array([h if h != 0.0 else 1.0]),
            self.seg_coef[None].copy(),
            start,
            t0 + h,
        )

    def interpolate(self, t_s: float) -> Array:
        """State rows ``(batch, n)`` at ``t_s`` inside the last step (or at ``t_s``)."""
        t0 = float(self.seg_t0_s)
        h = float(self.seg_h_s)
        d = float(self.direction)
        tol = 1e-9 * max(1.0, abs(t0), abs(float(self.t_s)))
        if t_s == float(self.t_s):
            return self.y.copy()
        if h == 0.0 or d * (t_s - t0) < -tol or d * (t_s - (t0 + h)) > tol:
            raise ValueError(
                f"t = {t_s} s is outside the last step [{t0}, {t0 + h}] s; "
                "the stepper cannot go back"
            )
        out = np.empty(self.y.shape)
        _dense_at(np.ascontiguousarray(self.seg_coef), (t_s - t0) / h, out)
        return out


class Propagator:
    """Cowell propagation of a batch of vehicles under a :class:`ForceModel`.

    Parameters
    ----------
    force_model
        The forces (``houston.dynamics.forces``).
    rtol
        Relative tolerance of the local error per step (dimensionless).
    atol_m, atol_m_s, atol_kg
        Absolute tolerances on positions (m), velocities (m/s) and mass (kg).
    max_step_s
        Largest step (s); no limit by default (events are found on the dense output, so the
        step does not need to be small for them).
    chunk_s
        Length of the ephemeris chunks (s): position callables are tabulated one chunk at a
        time and steps end on chunk boundaries (only when there is a callable to sample).
    max_steps
        Steps allowed per call before giving up.
    carry_mass
        Keep the mass in the state even if no force needs it (for impulsive burns with an
        ``isp_s``); it is carried anyway when a force needs it.

    The local error is controlled per step and the global error grows with the number of
    orbits: for one day of a 400 km orbit with J2 (1,441 samples, ``bench/dynamics.py``) the
    largest position error is 5.6 mm at ``rtol = 1e-10``, 0.73 mm at ``1e-11`` and 0.40 mm
    at ``5e-12`` (with the default absolute tolerances).
    """

    def __init__(
        self,
        force_model: ForceModel,
        rtol: float = 1e-10,
        atol_m: float = 1e-6,
        atol_m_s: float = 1e-9,
        atol_kg: float = 1e-6,
        max_step_s: float = np.inf,
        chunk_s: float = 86400.0,
        max_steps: int = 10_000_000,
        carry_mass: bool = False,
    ) -> None:
        if not isinstance(force_model, ForceModel):
            force_model = ForceModel(force_model)
        if not (0.0 < rtol < 1.0):
            raise ValueError("rtol must be in (0, 1)")
        self.force_model = force_model
        self.rtol = float(rtol)
        self.n = 7 if (force_model.needs_mass or carry_mass) else 6
        self.atol = np.array([atol_m] * 3 + [atol_m_s] * 3 + [atol_kg] * (self.n - 6), dtype=float)
        self.max_step_s = float(max_step_s)
        self.chunk_s = float(chunk_s)
        self.max_steps = int(max_steps)
        self._bps = np.ascontiguousarray(force_model.breakpoints())
        self._callable = not force_model.sampled_only()
        self._coverage = force_model.coverage_s()
        self._spec_cache: tuple[tuple[int, int], KernelSpec] | None = None

    # -- setup ----------------------------------------------------------------------------

    def _window(self, t: float, direction: float, batch: int) -> tuple[float, KernelSpec]:
        """Time limit of the current chunk in ``direction`` and the packed forces for it."""
        if self._callable:
            c = self.chunk_s
            k = int(np.floor(t / c)) if direction > 0 else int(np.ceil(t / c)) - 1
            lo, hi = k * c, (k + 1) * c
            limit = hi if direction > 0 else lo
        else:
            k = 0
            lo, hi = self._coverage
            limit = hi if direction > 0 else lo
            if not np.isfinite(lo):
                lo = hi = t
        key = (batch, k)
        if self._spec_cache is None or self._spec_cache[0] != key:
            self._spec_cache = (key, self.force_model.pack(batch, lo, hi))
        return float(limit), self._spec_cache[1]

    def _check_coverage(self, t: float) -> None:
        lo, hi = self._coverage
        if not (lo <= t <= hi):
            raise ValueError(f"t = {t} s is outside the sampled positions [{lo}, {hi}] s")

    def start(
        self,
        t0_s: float,
        r0_m: ArrayLike,
        v0_m_s: ArrayLike,
        mass_kg: ArrayLike | None = None,
        direction: float = 1.0,
    ) -> StepperState:
        """A stepper state at ``t0_s`` for states ``(batch, 3)`` (or ``(3,)``, batch 1)."""
        r = np.atleast_2d(np.asarray(r0_m, dtype=float))
        v = np.atleast_2d(np.asarray(v0_m_s, dtype=float))
        if r.shape[-1] != 3 or v.shape != r.shape or r.ndim != 2:
            raise ValueError(f"r0 and v0 must be (batch, 3), got {r.shape} and {v.shape}")
        batch = r.shape[0]
        y = np.empty((batch, self.n))
        y[:, :3], y[:, 3:6] = r, v
        if self.n == 7:
            if mass_kg is None:
                raise ValueError("the force model needs the mass: pass mass_kg")
            y[:, 6] = np.broadcast_to(np.asarray(mass_kg, dtype=float), (batch,))
        d = 1.0 if direction >= 0 else -1.0
        self._check_coverage(t0_s)
        f = self._f_at(float(t0_s), y, d)
        h0 = self._initial_step(float(t0_s), y, f, d)
        coef = np.zeros((batch, N_COEF, self.n))
        coef[:, 0, :] = y
        return StepperState(
            t_s=np.array(float(t0_s)),
            y=y,
            f=f,
            h_s=np.array(d * h0),
            direction=np.array(d),
            seg_t0_s=np.array(float(t0_s)),
            seg_h_s=np.array(0.0),
            seg_coef=coef,
            steps=np.array(0, dtype=np.int64),
            evaluations=np.array(batch, dtype=np.int64),
            t_out_s=np.array(float(t0_s)),
        )

    def _f_at(self, t: float, y: Array, direction: float) -> Array:
        """Derivative at ``t`` in the regime of the time just after ``t`` in ``direction``."""
        limit, spec = self._window(t, direction, y.shape[0])
        nxt = float(_next_stop(t, direction, limit, False, t, self._bps))
        t_reg = t + 0.5 * (nxt - t) if np.isfinite(nxt) else t + direction
        return _derivatives(t, y, spec, t_reg)

    def _initial_step(self, t: float, y: Array, f: Array, direction: float) -> float:
        """First step size (Hairer, Nørsett & Wanner, sec. II.4; as scipy's
        ``select_initial_step``, order 7), the smallest over the rows."""
        scale = self.atol + np.abs(y) * self.rtol
        d0 = np.sqrt(np.mean((y / scale) ** 2, axis=1))
        d1 = np.sqrt(np.mean((f / scale) ** 2, axis=1))
        h0 = np.where((d0 < 1e-5) | (d1 < 1e-5), 1e-6, 0.01 * d0 / np.maximum(d1, 1e-300))
        h0 = float(np.min(h0))
        y1 = y + h0 * direction * f
        _, spec = self._window(t, direction, y.shape[0])
        f1 = _derivatives(t + h0 * direction, y1, spec, t + 0.5 * h0 * direction)
        d2 = np.sqrt(np.mean(((f1 - f) / scale) ** 2, axis=1)) / h0
        dm = np.maximum(d1, d2)
        h1 = np.where(dm <= 1e-15, max(1e-6, h0 * 1e-3), (0.01 / np.maximum(dm, 1e-300)) ** 0.125)
        return float(min(100.0 * h0, np.min(h1), self.max_step_s))

    # -- integration ----------------------------------------------------------------------

    def _run(
        self,
        state: StepperState,
        t_target: float,
        land: bool,
        keep_all: bool,
        on_segments: Any = None,
        t_eval: Array | None = None,
        y_eval: Array | None = None,
    ) -> None:
        """Integrate ``state`` in place towards ``t_target``; with ``keep_all``, hand each
        buffer of new segments to ``on_segments(seg_t0, seg_h, seg_coef)``, which may return
        True to stop early."""
        A, B, C, E3, E5, D = _tableau()
        d = float(state.direction)
        batch = state.batch
        cap = _SEGMENT_BUFFER if keep_all else 1
        work = (np.empty((batch, 16, self.n)), np.empty((batch, self.n)), np.empty(self.n))
        if t_eval is None or y_eval is None:
            t_eval, y_eval = np.empty(0), np.empty((0, batch, self.n))
        eval_pos = np.zeros(1, dtype=np.int64)
        while True:
            limit, spec = self._window(float(state.t_s), d, batch)
            if not self._callable and d * (t_target - limit) > 0.0:
                raise ValueError(
                    f"t = {t_target} s is beyond the sampled positions (ending at {limit} s)"
                )
            seg_t0 = np.empty(cap)
            seg_h = np.empty(cap)
            seg_coef = np.empty((cap, batch, N_COEF, self.n))
            status, t, h, steps, nfev, nseg = _integrate(
                float(state.t_s),
                float(state.h_s),
                state.y,
                state.f,
                d,
                float(t_target),
                bool(land),
                limit if np.isfinite(limit) else d * np.inf,
                self._bps,
                self.rtol,
                self.atol,
                self.max_step_s,
                self.max_steps,
                A,
                B,
                C,
                E3,
                E5,
                D,
                spec,
                seg_t0,
                seg_h,
                seg_coef,
                bool(keep_all),
                work[0],
                work[1],
                work[2],
                t_eval,
                y_eval,
                eval_pos,
            )
            state.t_s = np.array(t)
            state.h_s = np.array(h)
            state.steps = state.steps + steps
            state.evaluations = state.evaluations + nfev
            if nseg:
                last = nseg - 1 if keep_all else 0
                state.seg_t0_s = np.array(seg_t0[last])
                state.seg_h_s = np.array(seg_h[last])
                state.seg_coef = seg_coef[last].copy()
                if keep_all and on_segments is not None:
                    if on_segments(seg_t0[:nseg], seg_h[:nseg], seg_coef[:nseg]):
                        return
            if status == _STATUS_TINY:
                raise RuntimeError(f"step size underflow at t = {t} s")
            if status == _STATUS_MAXSTEPS:
                raise RuntimeError(f"more than {self.max_steps} steps before t = {t} s")
            if status == _STATUS_DONE:
                return

    def advance(self, state: StepperState, t1_s: float) -> tuple[Array, Array]:
        """Move ``state`` (in place) so that ``t1_s`` lies in its last step; return the
        position (m) and velocity (m/s) at ``t1_s``, ``(batch, 3)`` each.

        Steps are natural: the integration stops at the first step that ends at or past
        ``t1_s`` (or at a burn switch), so calls with a short interval between them cost an
        interpolation only. ``t1_s`` may not go back before the start of the last step.
        """
        t1 = float(t1_s)
        d = float(state.direction)
        if d * (t1 - float(state.t_s)) > 0.0:
            self._run(state, t1, land=False, keep_all=False)
        y = state.interpolate(t1)
        state.t_out_s = np.array(t1)
        return y[:, 0:3], y[:, 3:6]

    def advance_span(self, state: StepperState, t1_s: float) -> Trajectory:
        """Like :meth:`advance`, but return the dense output from the previous requested time
        (``state.t_out_s``) to ``t1_s``, over every step crossed: what a frame loop searches
        for events (``houston.dynamics.events.find_events``) when a frame may span several
        steps."""
        t1 = float(t1_s)
        t_prev = float(state.t_out_s)
        d = float(state.direction)
        if d * (t1 - t_prev) < 0.0:
            raise ValueError(f"t = {t1} s is before the last requested time {t_prev} s")
        state.interpolate(t_prev)  # checks that t_prev is still inside the last step
        pieces = [(state.seg_t0_s[None], state.seg_h_s[None], state.seg_coef[None])]
        if float(state.seg_h_s) == 0.0:
            pieces = []

        def keep(st0: Array, sh: Array, sc: Array) -> bool:
            pieces.append((st0.copy(), sh.copy(), sc.copy()))
            return False

        if d * (t1 - float(state.t_s)) > 0.0:
            self._run(state, t1, land=False, keep_all=True, on_segments=keep)
        state.t_out_s = np.array(t1)
        if not pieces:
            coef = np.zeros((state.batch, N_COEF, self.n))
            coef[:, 0, :] = state.y
            pieces = [(np.array([t_prev]), np.array([d]), coef[None])]
        return Trajectory(
            np.concatenate([p[0] for p in pieces]),
            np.concatenate([p[1] for p in pieces]),
            np.concatenate([p[2] for p in pieces]),
            t_prev,
            t1,
        )

    def mass_at(self, state: StepperState, t_s: float) -> Array:
        """Mass (kg) per row at ``t_s`` inside the last step, ``(batch,)``."""
        if self.n < 7:
            raise ValueError("this force model does not carry the mass")
        return state.interpolate(float(t_s))[:, 6]

    def reset(
        self,
        state: StepperState,
        t_s: float,
        r_m: ArrayLike | None = None,
        v_m_s: ArrayLike | None = None,
        mass_kg: ArrayLike | None = None,
        rows: ArrayLike | None = None,
    ) -> None:
        """Restart ``state`` at ``t_s`` (inside the last step) with new values for ``rows``
        (default all); the other rows continue from their interpolated state. The dense
        output restarts there: times before ``t_s`` are no longer available."""
        t = float(t_s)
        y = state.interpolate(t)
        sel = slice(None) if rows is None else np.asarray(rows)
        if r_m is not None:
            y[sel, 0:3] = r_m
        if v_m_s is not None:
            y[sel, 3:6] = v_m_s
        if mass_kg is not None:
            if self.n < 7:
                raise ValueError("this force model does not carry the mass")
            y[sel, 6] = mass_kg
        self._restart(state, t, y)

    def impulse(
        self,
        state: StepperState,
        t_s: float,
        dv_m_s: ArrayLike,
        frame: str = "lvlh",
        isp_s: float | None = None,
        rows: ArrayLike | None = None,
    ) -> None:
        """An impulsive burn at ``t_s``: ``dv_m_s`` ``(3,)`` or ``(batch, 3)`` in ``"lvlh"``
        (x radial out, y along-track, z orbit normal) or ``"inertial"`` axes. With ``isp_s``
        and a mass in the state, the mass drops by the rocket equation
        ``m1 = m0 exp(-|dv| / (g0 Isp))``."""
        from houston.core.constants import G0_M_S2

        y = state.interpolate(float(t_s))
        sel = np.arange(state.batch) if rows is None else np.asarray(rows)
        r, v = y[sel, 0:3], y[sel, 3:6]
        dv = np.broadcast_to(np.asarray(dv_m_s, dtype=float), r.shape)
        if frame == "lvlh":
            dv_i = lvlh_to_inertial(r, v, dv)
        elif frame == "inertial":
            dv_i = dv
        else:
            raise ValueError(f"unknown frame {frame!r}")
        mass = None
        if isp_s is not None:
            if self.n < 7:
                raise ValueError("isp_s needs a force model that carries the mass")
            mass = y[sel, 6] * np.exp(-np.linalg.norm(dv, axis=-1) / (G0_M_S2 * isp_s))
        self.reset(state, t_s, v_m_s=v + dv_i, mass_kg=mass, rows=sel)

    # -- whole arcs -----------------------------------------------------------------------

    def propagate(
        self,
        t0_s: float,
        r0_m: ArrayLike,
        v0_m_s: ArrayLike,
        t_end_s: float,
        mass_kg: ArrayLike | None = None,
        detectors: Sequence[Any] = (),
    ) -> Trajectory:
        """Propagate from ``t0_s`` to ``t_end_s`` (either direction) and keep the dense output.

        ``detectors`` (``houston.dynamics.events.Detector``) are searched on each new batch of
        steps, and each event found goes to its detector's handler: ``Action.CONTINUE``
        records it, ``Action.STOP`` ends the propagation there, ``Reset(...)`` gives the row
        a new state and the integration restarts from the event for the whole batch (rows
        share their steps). Events less than ``tol_s`` apart from the first stopping or
        resetting one are handled together. Events found are in ``trajectory.events``.
        """
        from houston.dynamics import events as ev

        t0, t1 = float(t0_s), float(t_end_s)
        d = 1.0 if t1 >= t0 else -1.0
        state = self.start(t0, r0_m, v0_m_s, mass_kg, direction=d)
        segs: list[tuple[Array, Array, Array]] = []
        found: list[Any] = []
        t_from = [t0]
        stopped: list[float] = []

        def on_segments(st0: Array, sh: Array, sc: Array) -> bool:
            piece = Trajectory(
                st0.copy(), sh.copy(), sc.copy(), float(st0[0]), float(st0[-1] + sh[-1])
            )
            new = ev.find_events(piece, detectors, t_from_s=t_from[0]) if detectors else []
            for i, e in enumerate(new):
                action = _checked(e.detector.handler(e))
                if action is ev.Action.CONTINUE:
                    found.append(e)
                    continue
                t_cut = e.t_s
                group = [(e, action)]
                for x in new[i + 1 :]:
                    if d * (x.t_s - t_cut) <= x.detector.tol_s:
                        group.append((x, _checked(x.detector.handler(x))))
                found.extend(x for x, _ in group)
                keep = d * (piece.seg_t0_s - t_cut) < 0.0
                keep[0] = True
                segs.append((piece.seg_t0_s[keep], piece.seg_h_s[keep], piece.seg_coef[keep]))
                y = piece.state_at(t_cut)
                if any(a is ev.Action.STOP for _, a in group):
                    self._restart(state, t_cut, y)
                    stopped.append(t_cut)
                    return True
                for x, a in group:
                    if isinstance(a, ev.Reset):
                        if a.r_m is not None:
                            y[x.row, 0:3] = a.r_m
                        if a.v_m_s is not None:
                            y[x.row, 3:6] = a.v_m_s
                        if a.mass_kg is not None:
                            y[x.row, 6] = a.mass_kg
                self._restart(state, t_cut, y)
                t_from[0] = t_cut + d * max(x.detector.tol_s for x, _ in group)
                return True
            segs.append((piece.seg_t0_s, piece.seg_h_s, piece.seg_coef))
            return False

        while not stopped and float(state.t_s) != t1:
            self._run(state, t1, land=True, keep_all=True, on_segments=on_segments)
        t_end = stopped[0] if stopped else t1
        if not segs:
            coef = np.zeros((state.batch, N_COEF, self.n))
            coef[:, 0, :] = state.y
            segs.append((np.array([t0]), np.array([d]), coef[None]))
        return Trajectory(
            np.concatenate([s[0] for s in segs]),
            np.concatenate([s[1] for s in segs]),
            np.concatenate([s[2] for s in segs]),
            t0,
            t_end,
            events=sorted(found, key=lambda e: (d * e.t_s, e.row)),
            steps=int(state.steps),
            evaluations=int(state.evaluations),
        )

    def _restart(self, state: StepperState, t: float, y: Array) -> None:
        """Put ``state`` at ``t`` with rows ``y``; the dense output restarts there."""
        d = float(state.direction)
        state.t_s = np.array(float(t))
        state.y = np.ascontiguousarray(y, dtype=float)
        state.f = self._f_at(float(t), state.y, d)
        state.evaluations = state.evaluations + y.shape[0]
        state.seg_t0_s = np.array(float(t))
        state.seg_h_s = np.array(0.0)
        coef = np.zeros((y.shape[0], N_COEF, self.n))
        coef[:, 0, :] = y
        state.seg_coef = coef
        state.t_out_s = np.array(float(t))

    def sample(
        self,
        t0_s: float,
        r0_m: ArrayLike,
        v0_m_s: ArrayLike,
        t_eval_s: ArrayLike,
        mass_kg: ArrayLike | None = None,
    ) -> tuple[Array, Array]:
        """Positions (m) and velocities (m/s) at the monotonic times ``t_eval_s``, shape
        ``(len(t), batch, 3)``, from the dense output, without keeping it (memory-light for
        large batches)."""
        t_eval = np.asarray(t_eval_s, dtype=float).reshape(-1)
        t0 = float(t0_s)
        d = 1.0 if t_eval.size == 0 or t_eval[-1] >= t0 else -1.0
        if np.any(d * np.diff(np.concatenate([[t0], t_eval])) < 0.0):
            raise ValueError("t_eval_s must be monotonic, starting at or after t0_s")
        state = self.start(t0, r0_m, v0_m_s, mass_kg, direction=d)
        out = np.empty((t_eval.size, state.batch, self.n))
        pos = 0
        while pos < t_eval.size and t_eval[pos] == t0:
            out[pos] = state.y
            pos += 1
        if pos < t_eval.size:
            self._run(
                state,
                float(t_eval[-1]),
                land=True,
                keep_all=False,
                t_eval=t_eval[pos:],
                y_eval=out[pos:],
            )
        return out[..., 0:3], out[..., 3:6]


def _checked(action: Any) -> Any:
    from houston.dynamics.events import Action, Reset

    if not isinstance(action, Action | Reset):
        raise TypeError(f"an event handler must return an Action or a Reset, got {action!r}")
    return action

"""Lambert's problem: the two-body arc from r1 to r2 in a given time.

Izzo, D., "Revisiting Lambert's problem", *Celestial Mechanics and Dynamical Astronomy* 121
(2015) 1-15: the problem is reduced to one non-dimensional equation ``T(x) = T*`` in the
variable ``x`` (Lancaster-Blanchard), solved with third-order Householder iterations from
Izzo's initial guesses (eqs. 30 and 31), with the multi-revolution branches separated by the
minimum time ``T_min(M)`` found by Halley iterations on ``dT/dx = 0``. Near the parabola the
time equation uses Battin's hypergeometric series as in the paper.

Here the iterations run over a whole batch at once and each is kept inside a bracket that is
known to contain its root (bisection when a Householder step would leave it), so a poor
starting value costs iterations, never a wrong branch.

SI units throughout: m, m/s, s, m^3/s^2; vectors on the last axis, leading axes broadcast.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["NoSolution", "solve"]

Array = NDArray[np.float64]

_XTOL = 1.0e-13
_MAX_ITER = 60
#: Below this sine of the transfer angle the transfer plane is taken as undefined.
_COLLINEAR_SIN = 1.0e-12
_EPS = np.finfo(float).eps


class NoSolution(ValueError):
    """Lambert's problem has no solution for the requested geometry, time and revolutions."""


def _dot(a: Array, b: Array) -> Array:
    return np.einsum("...i,...i->...", a, b)


def _hyp2f1b(z: Array) -> Array:
    """Gauss hypergeometric 2F1(3, 1; 5/2; z) by its series, for |z| < 1 (Izzo 2015, eq. 18)."""
    res = np.ones_like(z)
    term = np.ones_like(z)
    for k in range(200):
        term = term * (3.0 + k) * (1.0 + k) / (2.5 + k) * z / (k + 1.0)
        res = res + term
        if np.all(np.abs(term) <= _EPS * np.abs(res)):
            break
    return res


def _y(x: Array, lam: Array) -> Array:
    return np.sqrt(np.maximum(1.0 - lam * lam * (1.0 - x * x), 0.0))


def _tof(x: Array, y: Array, lam: Array, revs: int) -> Array:
    """Non-dimensional time of flight T(x) (Izzo 2015, eqs. 9, 18 and 20)."""
    out = np.empty_like(x)
    series = (revs == 0) & (x > np.sqrt(0.6)) & (x < np.sqrt(1.4))
    if np.any(series):
        xs, ys, ls = x[series], y[series], lam[series]
        eta = ys - ls * xs
        s1 = 0.5 * (1.0 - ls - xs * eta)
        q = 4.0 / 3.0 * _hyp2f1b(s1)
        out[series] = 0.5 * (eta**3 * q + 4.0 * ls * eta)
    gen = ~series
    if np.any(gen):
        xg, yg, lg = x[gen], y[gen], lam[gen]
        one_m_x2 = 1.0 - xg * xg
        psi = np.zeros_like(xg)
        ell = xg < 1.0
        psi[ell] = np.arccos(np.clip(xg[ell] * yg[ell] + lg[ell] * one_m_x2[ell], -1.0, 1.0))
        hyp = xg > 1.0
        psi[hyp] = np.arcsinh((yg[hyp] - xg[hyp] * lg[hyp]) * np.sqrt(-one_m_x2[hyp]))
        with np.errstate(divide="ignore", invalid="ignore"):
            out[gen] = ((psi + revs * np.pi) / np.sqrt(np.abs(one_m_x2)) - xg + lg * yg) / one_m_x2
    return out


def _derivatives(x: Array, y: Array, t: Array, lam: Array) -> tuple[Array, Array, Array]:
    """dT/dx, d2T/dx2, d3T/dx3 (Izzo 2015, eq. 22)."""
    one_m_x2 = 1.0 - x * x
    l2 = lam * lam
    l3 = l2 * lam
    with np.errstate(divide="ignore", invalid="ignore"):
        d1 = (3.0 * t * x - 2.0 + 2.0 * l3 * x / y) / one_m_x2
        d2 = (3.0 * t + 5.0 * x * d1 + 2.0 * (1.0 - l2) * l3 / y**3) / one_m_x2
        d3 = (7.0 * x * d2 + 8.0 * d1 - 6.0 * (1.0 - l2) * l2 * l3 * x / y**5) / one_m_x2
    return d1, d2, d3


def _t_min(lam: Array, revs: int) -> tuple[Array, Array]:
    """Location and value of the minimum of T(x) on (-1, 1) for ``revs`` > 0 revolutions.

    Halley iterations on dT/dx = 0 (Izzo 2015, section 3), inside the bracket (-1, 1), which
    is narrowed by the sign of dT/dx (T is convex there with a single minimum).
    """
    x = np.full_like(lam, 0.1)
    lo = np.full_like(lam, -1.0)
    hi = np.full_like(lam, 1.0)
    idx = np.arange(lam.size)
    for _ in range(_MAX_ITER):
        if idx.size == 0:
            break
        xa, la = x[idx], lam[idx]
        ya = _y(xa, la)
        t = _tof(xa, ya, la, revs)
        d1, d2, d3 = _derivatives(xa, ya, t, la)
        rising = d1 > 0.0
        lo[idx] = np.where(rising, lo[idx], xa)
        hi[idx] = np.where(rising, xa, hi[idx])
        with np.errstate(divide="ignore", invalid="ignore"):
            new = xa - 2.0 * d1 * d2 / (2.0 * d2 * d2 - d1 * d3)
        small = np.isfinite(new) & (np.abs(new - xa) <= _XTOL)
        ok = np.isfinite(new) & (new >= lo[idx]) & (new <= hi[idx])
        new = np.where(small | ok, new, 0.5 * (lo[idx] + hi[idx]))
        x[idx] = new
        done = small | (hi[idx] - lo[idx] <= _XTOL)
        idx = idx[~done]
    return x, _tof(x, _y(x, lam), lam, revs)


def _householder(
    x: Array, t_target: Array, lam: Array, revs: int, lo: Array, hi: Array, increasing: bool
) -> Array:
    """Householder iterations on T(x) - T* = 0 (Izzo 2015, eq. 24), bracketed.

    ``increasing`` says whether T grows with x on the branch; the bracket ``[lo, hi]`` must
    contain the root (``hi`` may be ``inf``).
    """
    x = x.copy()
    lo = lo.copy()
    hi = hi.copy()
    idx = np.arange(x.size)
    for _ in range(_MAX_ITER):
        if idx.size == 0:
            return x
        xa, la, ta = x[idx], lam[idx], t_target[idx]
        ya = _y(xa, la)
        t = _tof(xa, ya, la, revs)
        f = t - ta
        d1, d2, d3 = _derivatives(xa, ya, t, la)
        x_too_big = (f > 0.0) if increasing else (f < 0.0)
        lo[idx] = np.where(x_too_big, lo[idx], xa)
        hi[idx] = np.where(x_too_big, xa, hi[idx])
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            new = xa - f * (d1 * d1 - 0.5 * f * d2) / (d1 * (d1 * d1 - f * d2) + d3 * f * f / 6.0)
        # A converged step is accepted before the bracket test: at the root the new point may
        # coincide with a bracket end, which must not trigger the bisection fallback.
        small = np.isfinite(new) & (np.abs(new - xa) <= _XTOL * np.maximum(1.0, np.abs(xa)))
        ok = np.isfinite(new) & (new >= lo[idx]) & (new <= hi[idx])
        fallback = np.where(
            np.isfinite(hi[idx]), 0.5 * (lo[idx] + hi[idx]), lo[idx] + 2.0 * (np.abs(xa) + 1.0)
        )
        new = np.where(small | ok, new, fallback)
        x[idx] = new
        done = small | (f == 0.0)
        done |= hi[idx] - lo[idx] <= _XTOL * np.maximum(1.0, np.abs(new))
        idx = idx[~done]
    if idx.size:
        raise RuntimeError(
            f"Lambert iteration did not converge for {idx.size} element(s), "
            f"first at flat index {int(idx[0])}"
        )
    return x


def _initial_guess(t: Array, lam: Array, revs: int, low_path: bool) -> Array:
    """Izzo 2015, eq. 30 (single revolution) and eq. 31 (multi-revolution)."""
    if revs == 0:
        t0 = np.arccos(lam) + lam * np.sqrt(1.0 - lam * lam)
        t1 = 2.0 / 3.0 * (1.0 - lam**3)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_long = (t0 / t) ** (2.0 / 3.0) - 1.0
            x_short = 2.5 * t1 / t * (t1 - t) / (1.0 - lam**5) + 1.0
            # The interpolating branch, written so that x0 = 0 at T = T0 and 1 at T = T1.
            x_mid = np.exp(np.log(2.0) * np.log(t / t0) / np.log(t1 / t0)) - 1.0
        return np.where(t >= t0, x_long, np.where(t < t1, x_short, x_mid))
    m_pi = revs * np.pi
    ql = ((m_pi + np.pi) / (8.0 * t)) ** (2.0 / 3.0)
    qr = (8.0 * t / m_pi) ** (2.0 / 3.0)
    x_left = (ql - 1.0) / (ql + 1.0)
    x_right = (qr - 1.0) / (qr + 1.0)
    return np.maximum(x_left, x_right) if low_path else np.minimum(x_left, x_right)


def solve(
    r1: ArrayLike,
    r2: ArrayLike,
    tof: ArrayLike,
    mu: ArrayLike,
    revs: int = 0,
    prograde: bool = True,
    low_path: bool = True,
) -> tuple[Array, Array]:
    """Velocities at both ends of the two-body arc from ``r1`` to ``r2`` in time ``tof``.

    Izzo, D., "Revisiting Lambert's problem", Celest. Mech. Dyn. Astr. 121 (2015),
    Algorithms 1 and 2, with Householder iterations.

    Parameters
    ----------
    r1, r2
        Initial and final positions (m), shape ``(..., 3)``.
    tof
        Time of flight (s), positive, shape ``(...)``.
    mu
        Gravitational parameter (m^3/s^2), scalar or shape ``(...)``.
    revs
        Number of complete revolutions ``M`` before arrival (0, 1, 2, ...), one for the batch.
    prograde
        True for motion with the angular momentum along +z (the transfer angle is then taken
        in (0, pi) when ``(r1 x r2)_z > 0`` and in (pi, 2 pi) otherwise); False for the
        retrograde sense.
    low_path
        For ``revs > 0`` there are two solutions. True selects the one on the right branch of
        Izzo's T(x) curve (larger x, the "low path" of Izzo's and poliastro's
        implementations); False the left branch. Ignored when ``revs == 0``.

    Returns
    -------
    v1, v2
        Velocities (m/s) at ``r1`` and at ``r2``, shape ``(..., 3)``.

    Raises
    ------
    NoSolution
        If ``tof`` is not positive, ``r1`` and ``r2`` are collinear (the transfer plane is
        undefined), or ``tof`` is shorter than the minimum time for ``revs`` revolutions.
        In a batch the whole call raises, naming the first offending index.
    """
    if int(revs) != revs or revs < 0:
        raise ValueError(f"revs must be a non-negative integer, got {revs!r}")
    revs = int(revs)
    r1 = np.asarray(r1, dtype=float)
    r2 = np.asarray(r2, dtype=float)
    tof = np.asarray(tof, dtype=float)
    mu = np.asarray(mu, dtype=float)
    if r1.shape[-1:] != (3,) or r2.shape[-1:] != (3,):
        raise ValueError(f"r1 and r2 need a last axis of length 3, got {r1.shape}, {r2.shape}")
    shape = np.broadcast_shapes(r1.shape[:-1], r2.shape[:-1], tof.shape, mu.shape)
    n = int(np.prod(shape))
    r1 = np.broadcast_to(r1, (*shape, 3)).reshape(n, 3)
    r2 = np.broadcast_to(r2, (*shape, 3)).reshape(n, 3)
    tof = np.broadcast_to(tof, shape).reshape(n)
    mu = np.broadcast_to(mu, shape).reshape(n)

    def where(i: int) -> str:
        return str(tuple(int(k) for k in np.unravel_index(i, shape))) if shape else "()"

    bad = np.flatnonzero(~(tof > 0.0))
    if bad.size:
        raise NoSolution(f"time of flight must be positive, got {tof[bad[0]]} s at {where(bad[0])}")

    r1n = np.sqrt(_dot(r1, r1))
    r2n = np.sqrt(_dot(r2, r2))
    chord = r2 - r1
    cn = np.sqrt(_dot(chord, chord))
    s = 0.5 * (r1n + r2n + cn)
    ir1 = r1 / r1n[:, None]
    ir2 = r2 / r2n[:, None]
    ih = np.cross(ir1, ir2)
    ihn = np.sqrt(_dot(ih, ih))
    bad = np.flatnonzero(~(ihn > _COLLINEAR_SIN))
    if bad.size:
        raise NoSolution(
            f"r1 and r2 are collinear at {where(bad[0])} (sin of transfer angle "
            f"{ihn[bad[0]]:.1e}): the transfer plane is undefined"
        )
    ih = ih / ihn[:, None]

    lam = np.sqrt(np.maximum(1.0 - cn / s, 0.0))
    long_way = ih[:, 2] < 0.0
    lam = np.where(long_way, -lam, lam)
    it1 = np.where(long_way[:, None], np.cross(ir1, ih), np.cross(ih, ir1))
    it2 = np.where(long_way[:, None], np.cross(ir2, ih), np.cross(ih, ir2))
    if not prograde:
        lam, it1, it2 = -lam, -it1, -it2

    t_star = np.sqrt(2.0 * mu / s**3) * tof

    if revs == 0:
        x0 = _initial_guess(t_star, lam, 0, low_path)
        lo = np.full(n, -1.0)
        hi = np.full(n, np.inf)
        x0 = np.where((x0 > lo) & (x0 < hi), x0, 0.0)
        x = _householder(x0, t_star, lam, 0, lo, hi, increasing=False)
    else:
        x_min, t_min = _t_min(lam, revs)
        bad = np.flatnonzero(t_star < t_min)
        if bad.size:
            i = bad[0]
            tof_min = t_min[i] / np.sqrt(2.0 * mu[i] / s[i] ** 3)
            raise NoSolution(
                f"time of flight {tof[i]:.6g} s at {where(i)} is shorter than the minimum "
                f"{tof_min:.6g} s for {revs} revolution(s)"
            )
        x0 = _initial_guess(t_star, lam, revs, low_path)
        if low_path:
            lo, hi = x_min, np.ones(n)
        else:
            lo, hi = -np.ones(n), x_min
        x0 = np.where((x0 > lo) & (x0 < hi), x0, 0.5 * (lo + hi))
        x = _householder(x0, t_star, lam, revs, lo, hi, increasing=low_path)

    y = _y(x, lam)
    gamma = np.sqrt(0.5 * mu * s)
    rho = (r1n - r2n) / cn
    sigma = np.sqrt(np.maximum(1.0 - rho * rho, 0.0))
    vr1 = gamma * ((lam * y - x) - rho * (lam * y + x)) / r1n
    vr2 = -gamma * ((lam * y - x) + rho * (lam * y + x)) / r2n
    vt = gamma * sigma * (y + lam * x)
    v1 = vr1[:, None] * ir1 + (vt / r1n)[:, None] * it1
    v2 = vr2[:, None] * ir2 + (vt / r2n)[:, None] * it2
    return v1.reshape(*shape, 3), v2.reshape(*shape, 3)

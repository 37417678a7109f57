"""Lambert's problem: the two-body arc from r1 to r2 in a given time.

Izzo, D., "Revisiting Lambert's problem", *Celestial Mechanics and Dynamical Astronomy* 121
(2015) 1-15: the problem is reduced to one non-dimensional equation ``T(x) = T*`` in the
variable ``x`` (Lancaster-Blanchard), solved with third-order Householder iterations from
Izzo's initial guesses (eqs. 30 and 31), with the multi-revolution branches separated by the
minimum time ``T_min(M)`` found by Halley iterations on ``dT/dx = 0``. Near the parabola the
time equation uses Battin's hypergeometric series as in the paper.

Each iteration is kept inside a bracket that is known to contain its root (bisection when a
Householder step would leave it), so a poor starting value costs iterations, never a wrong
branch.

The iterations are compiled with numba (``cache=True``, compiled on first use) and run one
element of a batch at a time (:func:`_solve_flat`), so a batch gives bit for bit the single
solutions. The arithmetic is that of the same algorithm written over numpy arrays, in the
same order (the dot products summed as ``numpy.einsum`` sums three terms), with the C
library's ``acos``, ``asinh``, ``exp``, ``log`` and ``pow``: it gives numpy's bits where
numpy calls those too (on x86-64 without AVX-512; with AVX-512 numpy takes its own
vectorised versions, which differ from them in the last bit for a few per cent of
arguments; and the near-parabola series stops at each element's own last term, not at
the batch's). About 0.3 us an element on random transfers and 0.3-0.6 us on The Grey's
rendezvous grids (one revolution, with T_min), and 9 us for a call of one element,
against 0.66 us an element and 300-600 us a call for the numpy formulation.
:func:`solve_each` reports each element's outcome instead of raising for the batch.

SI units throughout: m, m/s, s, m^3/s^2; vectors on the last axis, leading axes broadcast.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import ArrayLike, NDArray

__all__ = ["NoSolution", "solve", "solve_each"]

Array = NDArray[np.float64]

_XTOL = 1.0e-13
_MAX_ITER = 60
#: Below this sine of the transfer angle the transfer plane is taken as undefined.
_COLLINEAR_SIN = 1.0e-12
_EPS = float(np.finfo(float).eps)
_SERIES_LO = math.sqrt(0.6)
_SERIES_HI = math.sqrt(1.4)

#: Per-element outcome of :func:`_solve_flat`, in the order a batch reports them.
SOLVED, NOT_POSITIVE, COLLINEAR, TOO_SHORT, NOT_CONVERGED = range(5)


class NoSolution(ValueError):
    """Lambert's problem has no solution for the requested geometry, time and revolutions."""


@njit(cache=True, error_model="numpy")
def _hyp2f1b(z: float) -> float:
    """Gauss hypergeometric 2F1(3, 1; 5/2; z) by its series, for |z| < 1 (Izzo 2015, eq. 18)."""
    res = 1.0
    term = 1.0
    for k in range(200):
        term = term * (3.0 + k) * (1.0 + k) / (2.5 + k) * z / (k + 1.0)
        res = res + term
        if abs(term) <= _EPS * abs(res):
            break
    return res


@njit(cache=True, error_model="numpy")
def _y(x: float, lam: float) -> float:
    v = 1.0 - lam * lam * (1.0 - x * x)
    return math.sqrt(v if not v < 0.0 else 0.0)


@njit(cache=True, error_model="numpy")
def _tof(x: float, y: float, lam: float, revs: int) -> float:
    """Non-dimensional time of flight T(x) (Izzo 2015, eqs. 9, 18 and 20)."""
    if revs == 0 and x > _SERIES_LO and x < _SERIES_HI:
        eta = y - lam * x
        s1 = 0.5 * (1.0 - lam - x * eta)
        q = 4.0 / 3.0 * _hyp2f1b(s1)
        return 0.5 * (eta**3.0 * q + 4.0 * lam * eta)
    one_m_x2 = 1.0 - x * x
    psi = 0.0
    if x < 1.0:
        c = x * y + lam * one_m_x2
        if c < -1.0:
            c = -1.0
        elif c > 1.0:
            c = 1.0
        psi = math.acos(c)
    elif x > 1.0:
        psi = math.asinh((y - x * lam) * math.sqrt(-one_m_x2))
    return ((psi + revs * math.pi) / math.sqrt(abs(one_m_x2)) - x + lam * y) / one_m_x2


@njit(cache=True, error_model="numpy")
def _derivatives(x: float, y: float, t: float, lam: float) -> tuple[float, float, float]:
    """dT/dx, d2T/dx2, d3T/dx3 (Izzo 2015, eq. 22)."""
    one_m_x2 = 1.0 - x * x
    l2 = lam * lam
    l3 = l2 * lam
    d1 = (3.0 * t * x - 2.0 + 2.0 * l3 * x / y) / one_m_x2
    d2 = (3.0 * t + 5.0 * x * d1 + 2.0 * (1.0 - l2) * l3 / y**3.0) / one_m_x2
    d3 = (7.0 * x * d2 + 8.0 * d1 - 6.0 * (1.0 - l2) * l2 * l3 * x / y**5.0) / one_m_x2
    return d1, d2, d3


@njit(cache=True, error_model="numpy")
def _t_min(lam: float, revs: int) -> tuple[float, float]:
    """Location and value of the minimum of T(x) on (-1, 1) for ``revs`` > 0 revolutions.

    Halley iterations on dT/dx = 0 (Izzo 2015, section 3), inside the bracket (-1, 1), which
    is narrowed by the sign of dT/dx (T is convex there with a single minimum).
    """
    x = 0.1
    lo = -1.0
    hi = 1.0
    for _ in range(_MAX_ITER):
        y = _y(x, lam)
        t = _tof(x, y, lam, revs)
        d1, d2, d3 = _derivatives(x, y, t, lam)
        if d1 > 0.0:
            hi = x
        else:
            lo = x
        new = x - 2.0 * d1 * d2 / (2.0 * d2 * d2 - d1 * d3)
        finite = math.isfinite(new)
        small = finite and abs(new - x) <= _XTOL
        if not (small or (finite and new >= lo and new <= hi)):
            new = 0.5 * (lo + hi)
        x = new
        if small or hi - lo <= _XTOL:
            break
    return x, _tof(x, _y(x, lam), lam, revs)


@njit(cache=True, error_model="numpy")
def _householder(
    x: float, t_target: float, lam: float, revs: int, lo: float, hi: float, increasing: bool
) -> tuple[float, bool]:
    """Householder iterations on T(x) - T* = 0 (Izzo 2015, eq. 24), bracketed; the root and
    whether the iterations converged.

    ``increasing`` says whether T grows with x on the branch; the bracket ``[lo, hi]`` must
    contain the root (``hi`` may be ``inf``).
    """
    for _ in range(_MAX_ITER):
        y = _y(x, lam)
        t = _tof(x, y, lam, revs)
        f = t - t_target
        d1, d2, d3 = _derivatives(x, y, t, lam)
        if (f > 0.0) if increasing else (f < 0.0):
            hi = x
        else:
            lo = x
        new = x - f * (d1 * d1 - 0.5 * f * d2) / (d1 * (d1 * d1 - f * d2) + d3 * f * f / 6.0)
        # A converged step is accepted before the bracket test: at the root the new point may
        # coincide with a bracket end, which must not trigger the bisection fallback.
        finite = math.isfinite(new)
        small = finite and abs(new - x) <= _XTOL * _max1(abs(x))
        if not (small or (finite and new >= lo and new <= hi)):
            if math.isfinite(hi):
                new = 0.5 * (lo + hi)
            else:
                new = lo + 2.0 * (abs(x) + 1.0)
        x = new
        if small or f == 0.0 or hi - lo <= _XTOL * _max1(abs(new)):
            return x, True
    return x, False


@njit(cache=True, inline="always")
def _dot(a0: float, a1: float, a2: float, b0: float, b1: float, b2: float) -> float:
    """The dot product summed as ``numpy.einsum`` sums three terms: (0 + 2) + 1."""
    return (a0 * b0 + a2 * b2) + a1 * b1


@njit(cache=True, inline="always")
def _max1(a: float) -> float:
    """max(1, a), NaN for NaN (as ``np.maximum``)."""
    return a if (a > 1.0 or a != a) else 1.0


@njit(cache=True, error_model="numpy")
def _initial_guess(t: float, lam: float, revs: int, low_path: bool) -> float:
    """Izzo 2015, eq. 30 (single revolution) and eq. 31 (multi-revolution)."""
    if revs == 0:
        t0 = math.acos(lam) + lam * math.sqrt(1.0 - lam * lam)
        t1 = 2.0 / 3.0 * (1.0 - lam**3.0)
        if t >= t0:
            return (t0 / t) ** (2.0 / 3.0) - 1.0
        if t < t1:
            return 2.5 * t1 / t * (t1 - t) / (1.0 - lam**5.0) + 1.0
        # The interpolating branch, written so that x0 = 0 at T = T0 and 1 at T = T1.
        return math.exp(math.log(2.0) * math.log(t / t0) / math.log(t1 / t0)) - 1.0
    m_pi = revs * math.pi
    ql = ((m_pi + math.pi) / (8.0 * t)) ** (2.0 / 3.0)
    qr = (8.0 * t / m_pi) ** (2.0 / 3.0)
    x_left = (ql - 1.0) / (ql + 1.0)
    x_right = (qr - 1.0) / (qr + 1.0)
    if low_path:
        return x_left if (x_left > x_right or x_left != x_left) else x_right
    return x_left if (x_left < x_right or x_left != x_left) else x_right


@njit(cache=True, error_model="numpy")
def _solve_flat(
    r1: Array,
    r2: Array,
    tof: Array,
    mu: Array,
    revs: int,
    prograde: bool,
    low_path: bool,
    v1: Array,
    v2: Array,
    status: NDArray[np.int8],
    detail: Array,
    x_min: Array,
    t_min: Array,
    bounds_only: bool,
) -> None:
    """Solve each element of a flat batch (``r1``, ``r2``: (n, 3); ``tof``, ``mu``: (n,)) into
    ``v1``, ``v2`` (n, 3), with its outcome in ``status`` (``SOLVED`` ... ``NOT_CONVERGED``;
    the velocities are NaN unless solved or not converged) and in ``detail`` the minimum
    time of flight (s) for ``TOO_SHORT``, the sine of the transfer angle for ``COLLINEAR``.

    For ``revs`` > 0, ``x_min`` and ``t_min`` (n,) hold the minimum of T(x) of each element
    (:func:`_t_min`, which depends on neither ``low_path`` nor the time of flight): found
    and stored where ``t_min`` is NaN, used where given (from an earlier call on the same
    element). With ``bounds_only`` the iterations on T(x) are left out: ``SOLVED`` then
    means only that the element has a solution (its velocities stay NaN)."""
    for i in range(tof.size):
        v1[i, :] = np.nan
        v2[i, :] = np.nan
        detail[i] = np.nan
        if not tof[i] > 0.0:
            status[i] = NOT_POSITIVE
            continue
        a0, a1, a2 = r1[i, 0], r1[i, 1], r1[i, 2]
        b0, b1, b2 = r2[i, 0], r2[i, 1], r2[i, 2]
        r1n = math.sqrt(_dot(a0, a1, a2, a0, a1, a2))
        r2n = math.sqrt(_dot(b0, b1, b2, b0, b1, b2))
        c0, c1, c2 = b0 - a0, b1 - a1, b2 - a2
        cn = math.sqrt(_dot(c0, c1, c2, c0, c1, c2))
        s = 0.5 * (r1n + r2n + cn)
        p0, p1, p2 = a0 / r1n, a1 / r1n, a2 / r1n
        q0, q1, q2 = b0 / r2n, b1 / r2n, b2 / r2n
        h0 = p1 * q2 - p2 * q1
        h1 = p2 * q0 - p0 * q2
        h2 = p0 * q1 - p1 * q0
        hn = math.sqrt(_dot(h0, h1, h2, h0, h1, h2))
        if not hn > _COLLINEAR_SIN:
            status[i] = COLLINEAR
            detail[i] = hn
            continue
        h0, h1, h2 = h0 / hn, h1 / hn, h2 / hn
        v = 1.0 - cn / s
        lam = math.sqrt(v if not v < 0.0 else 0.0)
        if h2 < 0.0:  # the long way round: (r1 x r2)_z < 0
            lam = -lam
            u0, u1, u2 = p1 * h2 - p2 * h1, p2 * h0 - p0 * h2, p0 * h1 - p1 * h0
            w0, w1, w2 = q1 * h2 - q2 * h1, q2 * h0 - q0 * h2, q0 * h1 - q1 * h0
        else:
            u0, u1, u2 = h1 * p2 - h2 * p1, h2 * p0 - h0 * p2, h0 * p1 - h1 * p0
            w0, w1, w2 = h1 * q2 - h2 * q1, h2 * q0 - h0 * q2, h0 * q1 - h1 * q0
        if not prograde:
            lam = -lam
            u0, u1, u2, w0, w1, w2 = -u0, -u1, -u2, -w0, -w1, -w2

        t_star = math.sqrt(2.0 * mu[i] / s**3.0) * tof[i]
        x0 = _initial_guess(t_star, lam, revs, low_path)
        if revs == 0:
            lo, hi, fallback = -1.0, math.inf, 0.0
        else:
            if math.isnan(t_min[i]):
                x_min[i], t_min[i] = _t_min(lam, revs)
            xm, tm = x_min[i], t_min[i]
            if t_star < tm:
                status[i] = TOO_SHORT
                detail[i] = tm / math.sqrt(2.0 * mu[i] / s**3.0)
                continue
            if low_path:
                lo, hi = xm, 1.0
            else:
                lo, hi = -1.0, xm
            fallback = 0.5 * (lo + hi)
        if bounds_only:
            status[i] = SOLVED
            continue
        if not (x0 > lo and x0 < hi):
            x0 = fallback
        x, converged = _householder(x0, t_star, lam, revs, lo, hi, revs > 0 and low_path)
        status[i] = SOLVED if converged else NOT_CONVERGED

        y = _y(x, lam)
        gamma = math.sqrt(0.5 * mu[i] * s)
        rho = (r1n - r2n) / cn
        v = 1.0 - rho * rho
        sigma = math.sqrt(v if not v < 0.0 else 0.0)
        vr1 = gamma * ((lam * y - x) - rho * (lam * y + x)) / r1n
        vr2 = -gamma * ((lam * y - x) + rho * (lam * y + x)) / r2n
        vt = gamma * sigma * (y + lam * x)
        vt1 = vt / r1n
        vt2 = vt / r2n
        v1[i, 0] = vr1 * p0 + vt1 * u0
        v1[i, 1] = vr1 * p1 + vt1 * u1
        v1[i, 2] = vr1 * p2 + vt1 * u2
        v2[i, 0] = vr2 * q0 + vt2 * w0
        v2[i, 1] = vr2 * q1 + vt2 * w1
        v2[i, 2] = vr2 * q2 + vt2 * w2


def _flat(
    r1: ArrayLike, r2: ArrayLike, tof: ArrayLike, mu: ArrayLike, revs: int
) -> tuple[tuple[int, ...], Array, Array, Array, Array]:
    """The arguments checked, broadcast to their common batch shape and flattened (C order)."""
    if int(revs) != revs or revs < 0:
        raise ValueError(f"revs must be a non-negative integer, got {revs!r}")
    r1 = np.asarray(r1, dtype=float)
    r2 = np.asarray(r2, dtype=float)
    tof = np.asarray(tof, dtype=float)
    mu = np.asarray(mu, dtype=float)
    if r1.shape[-1:] != (3,) or r2.shape[-1:] != (3,):
        raise ValueError(f"r1 and r2 need a last axis of length 3, got {r1.shape}, {r2.shape}")
    shape = np.broadcast_shapes(r1.shape[:-1], r2.shape[:-1], tof.shape, mu.shape)
    n = math.prod(shape)

    def flat(a: Array, full: tuple[int, ...]) -> Array:
        # Writable and C-ordered, copied when not: numba would compile (and load from its
        # cache) another version of the kernel for read-only or strided arrays.
        if a.shape != full:
            a = np.broadcast_to(a, full)
        if not (a.flags.c_contiguous and a.flags.writeable):
            a = np.array(a, order="C")
        return a.reshape(n, *full[len(shape) :])

    return shape, flat(r1, (*shape, 3)), flat(r2, (*shape, 3)), flat(tof, shape), flat(mu, shape)


def _run(
    r1: Array,
    r2: Array,
    tof: Array,
    mu: Array,
    revs: int,
    prograde: bool,
    low_path: bool,
    x_min: Array | None = None,
    t_min: Array | None = None,
    bounds_only: bool = False,
) -> tuple[Array, Array, NDArray[np.int8], Array]:
    """:func:`_solve_flat` on flat, C-ordered, writable arrays: ``v1``, ``v2``, ``status``,
    ``detail`` (and ``x_min``, ``t_min`` filled in where NaN, when given)."""
    n = tof.size
    v1 = np.empty((n, 3))
    v2 = np.empty((n, 3))
    status = np.empty(n, dtype=np.int8)
    detail = np.empty(n)
    if t_min is None or x_min is None:
        x_min = np.empty(n)
        t_min = np.full(n, np.nan)
    _solve_flat(
        r1,
        r2,
        tof,
        mu,
        int(revs),
        bool(prograde),
        bool(low_path),
        v1,
        v2,
        status,
        detail,
        x_min,
        t_min,
        bool(bounds_only),
    )
    return v1, v2, status, detail


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
        In a batch the whole call raises, naming the first offending index (of the first of
        these three reasons that any element has).
    RuntimeError
        If the iterations do not converge for an element (the batch having a solution).
    """
    shape, r1f, r2f, tof_f, mu_f = _flat(r1, r2, tof, mu, revs)
    v1, v2, status, detail = _run(r1f, r2f, tof_f, mu_f, revs, prograde, low_path)
    if status.any():
        _raise(shape, status, tof_f, detail, revs)
    return v1.reshape(*shape, 3), v2.reshape(*shape, 3)


def solve_each(
    r1: ArrayLike,
    r2: ArrayLike,
    tof: ArrayLike,
    mu: ArrayLike,
    revs: int = 0,
    prograde: bool = True,
    low_path: bool = True,
) -> tuple[Array, Array, NDArray[np.int8]]:
    """:func:`solve` element by element, without raising: velocities ``v1``, ``v2`` (m/s,
    shape ``(..., 3)``) and each element's outcome (shape ``(...)``, int8): ``SOLVED``;
    ``NOT_POSITIVE``, ``COLLINEAR`` or ``TOO_SHORT`` (no solution, velocities NaN, the
    reasons of :class:`NoSolution`); ``NOT_CONVERGED`` (the last iterate's velocities).
    Where solved, the velocities are those :func:`solve` gives for the element, alone or in
    any batch."""
    shape, r1f, r2f, tof_f, mu_f = _flat(r1, r2, tof, mu, revs)
    v1, v2, status, _ = _run(r1f, r2f, tof_f, mu_f, revs, prograde, low_path)
    return v1.reshape(*shape, 3), v2.reshape(*shape, 3), status.reshape(shape)


def _raise(
    shape: tuple[int, ...], status: NDArray[np.int8], tof: Array, detail: Array, revs: int
) -> None:
    """Raise for the first element with the first reason (in :func:`solve`'s order)."""

    def first(code: int) -> int | None:
        bad = np.flatnonzero(status == code)
        return int(bad[0]) if bad.size else None

    def where(i: int) -> str:
        return str(tuple(int(k) for k in np.unravel_index(i, shape))) if shape else "()"

    if (i := first(NOT_POSITIVE)) is not None:
        raise NoSolution(f"time of flight must be positive, got {tof[i]} s at {where(i)}")
    if (i := first(COLLINEAR)) is not None:
        raise NoSolution(f"r1 and r2 are collinear at {where(i)}: the transfer plane is undefined")
    if (i := first(TOO_SHORT)) is not None:
        raise NoSolution(
            f"time of flight {tof[i]:.6g} s at {where(i)} is shorter than the minimum "
            f"{detail[i]:.6g} s for {revs} revolution(s)"
        )
    n = int(np.count_nonzero(status == NOT_CONVERGED))
    raise RuntimeError(
        f"Lambert iteration did not converge for {n} element(s), "
        f"first at flat index {first(NOT_CONVERGED)}"
    )

"""Geometry between vehicles: range, range rate, radar line of sight, closing and crossing.

Pure functions on arrays, SI units. Positions and velocities of both vehicles must be in the
same frame and from the same origin (GCRF from the Earth, or MCI from the Moon); leading axes
(runs, times) broadcast, vectors on the last axis.

Two families:

* **Instantaneous and straight-line** functions of states: :func:`range_m`,
  :func:`range_rate_m_s`, :func:`clearance_m` / :func:`line_of_sight` (the segment between
  two vehicles against a sphere: the Moon hiding one from the other's radar), and the exact
  solutions for relative motion in a straight line (constant relative velocity):
  :func:`straight_time_to_range`, :func:`straight_closest_approach`,
  :func:`straight_sphere_crossing`. They are exact for unaccelerated relative motion and
  good first guesses over short times (a few minutes at lunar distances).
* **Along trajectories** (callables of time): :func:`time_to_range`,
  :func:`closest_approach`, :func:`sphere_crossings`, :func:`plane_crossings`, built on
  :func:`find_crossings`, which samples a switching function on a grid for all runs at once
  and refines every sign change by bisection (as Orekit's event detectors do: the function
  decides when). Two crossings closer together than the grid step can be missed.

A trajectory is ``position(t_s) -> (n, 3)`` or ``(n, runs, 3)``: positions at times ``t_s``
``(n,)`` in seconds (any common origin of time).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "Approach",
    "Crossing",
    "clearance_m",
    "closest_approach",
    "find_crossings",
    "line_of_sight",
    "plane_crossings",
    "range_m",
    "range_rate_m_s",
    "sphere_crossings",
    "straight_closest_approach",
    "straight_sphere_crossing",
    "straight_time_to_range",
    "time_to_range",
]

Array = NDArray[np.float64]
Trajectory = Callable[[Array], Array]
_GOLDEN = 0.5 * (np.sqrt(5.0) - 1.0)


def _dot(a: Array, b: Array) -> Array:
    return np.einsum("...i,...i->...", a, b)


def range_m(r1_m: ArrayLike, r2_m: ArrayLike) -> Array:
    """Distance between two positions (m)."""
    d = np.asarray(r2_m, dtype=float) - np.asarray(r1_m, dtype=float)
    return np.sqrt(_dot(d, d))


def range_rate_m_s(r1_m: ArrayLike, v1_m_s: ArrayLike, r2_m: ArrayLike, v2_m_s: ArrayLike) -> Array:
    """Rate of change of the range (m/s): ``(r2 - r1)·(v2 - v1) / |r2 - r1|``, positive
    when the vehicles separate."""
    d = np.asarray(r2_m, dtype=float) - np.asarray(r1_m, dtype=float)
    w = np.asarray(v2_m_s, dtype=float) - np.asarray(v1_m_s, dtype=float)
    return _dot(d, w) / np.sqrt(_dot(d, d))


def clearance_m(r1_m: ArrayLike, r2_m: ArrayLike, center_m: ArrayLike, radius_m: float) -> Array:
    """Distance (m) from a sphere's centre to the segment between two points, less the
    sphere's radius: negative when the sphere hides one point from the other."""
    a = np.asarray(r1_m, dtype=float)
    d = np.asarray(r2_m, dtype=float) - a
    f = np.asarray(center_m, dtype=float) - a
    dd = _dot(d, d)
    with np.errstate(invalid="ignore", divide="ignore"):
        tau = np.clip(np.where(dd > 0.0, _dot(f, d) / dd, 0.0), 0.0, 1.0)
    p = f - tau[..., None] * d
    return np.sqrt(_dot(p, p)) - radius_m


def line_of_sight(
    r1_m: ArrayLike, r2_m: ArrayLike, center_m: ArrayLike, radius_m: float
) -> NDArray[np.bool_]:
    """Whether each vehicle can see the other past a sphere (the Moon for a radar)."""
    return clearance_m(r1_m, r2_m, center_m, radius_m) >= 0.0


# --- straight-line relative motion ----------------------------------------------------------


def straight_closest_approach(dr_m: ArrayLike, dv_m_s: ArrayLike) -> tuple[Array, Array]:
    """Time (s, may be negative: the approach is past) and distance (m) of closest approach
    of relative position ``dr_m`` moving at constant ``dv_m_s``: ``t* = -dr·dv / |dv|²``."""
    dr = np.asarray(dr_m, dtype=float)
    dv = np.asarray(dv_m_s, dtype=float)
    vv = _dot(dv, dv)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(vv > 0.0, -_dot(dr, dv) / vv, 0.0)
    p = dr + t[..., None] * dv
    return t, np.sqrt(_dot(p, p))


def _quadratic_roots(a: Array, b: Array, c: Array) -> tuple[Array, Array]:
    """Real roots of ``a t² + 2 b t + c`` (``a > 0``), smaller first; NaN without any.
    Computed without cancellation (Numerical Recipes, 3rd ed., eq. 5.6.4)."""
    disc = b * b - a * c
    with np.errstate(invalid="ignore", divide="ignore"):
        q = -(b + np.copysign(np.sqrt(disc), b))
        t1 = q / a
        t2 = np.where(q != 0.0, c / q, 0.0)
    lo, hi = np.minimum(t1, t2), np.maximum(t1, t2)
    bad = (disc < 0.0) | (a <= 0.0)
    return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)


def straight_sphere_crossing(
    r_m: ArrayLike, v_m_s: ArrayLike, center_m: ArrayLike, radius_m: float
) -> tuple[Array, Array]:
    """Times (s) at which a point moving in a straight line enters and leaves a sphere
    (``|r + v t - c| = R``); NaN when the line misses it. Negative times are in the past."""
    f = np.asarray(r_m, dtype=float) - np.asarray(center_m, dtype=float)
    v = np.asarray(v_m_s, dtype=float)
    return _quadratic_roots(_dot(v, v), _dot(f, v), _dot(f, f) - radius_m * radius_m)


def straight_time_to_range(dr_m: ArrayLike, dv_m_s: ArrayLike, threshold_m: float) -> Array:
    """Time (s) until the range falls to ``threshold_m`` for constant relative velocity: 0
    when already within, ``inf`` when it never will (opening, or passing wide)."""
    dr = np.asarray(dr_m, dtype=float)
    t_in, _ = straight_sphere_crossing(dr, dv_m_s, np.zeros(3), threshold_m)
    inside = _dot(dr, dr) <= threshold_m * threshold_m
    future = np.isfinite(t_in) & (t_in >= 0.0)
    return np.where(inside, 0.0, np.where(future, t_in, np.inf))


# --- along trajectories ---------------------------------------------------------------------


@dataclass(frozen=True)
class Crossing:
    """A sign change of a switching function: time (s), the run (column) and whether it
    went from negative to non-negative (``rising``)."""

    t_s: float
    run: int
    rising: bool


def _as_columns(values: ArrayLike, n: int) -> Array:
    v = np.asarray(values, dtype=float)
    return v.reshape(n, -1)


def find_crossings(
    g: Callable[[Array], ArrayLike],
    t0_s: float,
    t1_s: float,
    step_s: float,
    tol_s: float = 1.0e-3,
    direction: int = 0,
) -> list[Crossing]:
    """Every sign change of ``g`` between ``t0_s`` and ``t1_s``, sorted by time then run.

    ``g(t)`` takes times ``(n,)`` and returns ``(n,)`` or ``(n, runs)``. It is sampled every
    ``step_s`` at most, and each change of sign is refined by bisection to ``tol_s``; the
    reported time is the first at which the new sign holds. ``direction``: +1 rising only,
    -1 falling only, 0 both.
    """
    if not t1_s > t0_s:
        raise ValueError("t1_s must be after t0_s")
    n = max(2, int(np.ceil((t1_s - t0_s) / step_s)) + 1)
    grid = np.linspace(t0_s, t1_s, n)
    pos = _as_columns(g(grid), n) >= 0.0
    k, col = np.nonzero(pos[:-1] != pos[1:])
    rising = pos[k + 1, col]
    keep = (direction == 0) | (rising == (direction > 0))
    k, col, rising = k[keep], col[keep], rising[keep]
    a, b = grid[k], grid[k + 1]
    rows = np.arange(k.size)
    while k.size and np.max(b - a) > tol_s:
        mid = 0.5 * (a + b)
        now = _as_columns(g(mid), mid.size)[rows, col] >= 0.0
        after = now == rising
        b = np.where(after, mid, b)
        a = np.where(after, a, mid)
    out = [Crossing(float(t), int(c), bool(r)) for t, c, r in zip(b, col, rising, strict=True)]
    out.sort(key=lambda x: (x.t_s, x.run))
    return out


def _relative(traj1: Trajectory, traj2: Trajectory, t: Array) -> Array:
    return np.asarray(traj2(t), dtype=float) - np.asarray(traj1(t), dtype=float)


def time_to_range(
    traj1: Trajectory,
    traj2: Trajectory,
    threshold_m: float,
    t0_s: float,
    t1_s: float,
    step_s: float = 10.0,
    tol_s: float = 1.0e-3,
) -> Array:
    """Per run, seconds from ``t0_s`` until the range between two trajectories first falls
    to ``threshold_m`` ("within missile range in five minutes"): 0 when already within,
    ``inf`` when it does not happen before ``t1_s``."""

    def g(t: Array) -> Array:
        d = _relative(traj1, traj2, t)
        return threshold_m - np.sqrt(_dot(d, d))

    g0 = _as_columns(g(np.array([t0_s])), 1)[0]
    out = np.where(g0 >= 0.0, 0.0, np.inf)
    for c in find_crossings(g, t0_s, t1_s, step_s, tol_s, direction=+1):
        if not np.isfinite(out[c.run]):
            out[c.run] = c.t_s - t0_s
    return out


@dataclass(frozen=True)
class Approach:
    """Closest approach of two trajectories over an interval, per run: time (s) and
    distance (m)."""

    t_s: Array
    range_m: Array


def closest_approach(
    traj1: Trajectory,
    traj2: Trajectory,
    t0_s: float,
    t1_s: float,
    step_s: float = 10.0,
    tol_s: float = 1.0e-3,
) -> Approach:
    """The least range between two trajectories over ``[t0_s, t1_s]``, per run: the best
    grid sample refined by golden-section search on its neighbouring interval (the range is
    assumed to have a single minimum within two grid steps)."""
    n = max(3, int(np.ceil((t1_s - t0_s) / step_s)) + 1)
    grid = np.linspace(t0_s, t1_s, n)

    def dist(t: Array) -> Array:
        d = _relative(traj1, traj2, t)
        return _as_columns(np.sqrt(_dot(d, d)), t.size)

    r = dist(grid)
    k = np.argmin(r, axis=0)
    x0 = grid[np.maximum(k - 1, 0)]
    x1 = grid[np.minimum(k + 1, n - 1)]

    def f(t: Array) -> Array:
        # One time per run: every run is evaluated at every time, and each keeps its own.
        return np.diagonal(dist(t)).copy()

    c = x1 - _GOLDEN * (x1 - x0)
    d = x0 + _GOLDEN * (x1 - x0)
    fc, fd = f(c), f(d)
    while np.max(x1 - x0) > tol_s:
        left = fc < fd
        x1 = np.where(left, d, x1)
        x0 = np.where(left, x0, c)
        c = x1 - _GOLDEN * (x1 - x0)
        d = x0 + _GOLDEN * (x1 - x0)
        fc, fd = f(c), f(d)
    t = 0.5 * (x0 + x1)
    return Approach(t, f(t))


def sphere_crossings(
    traj: Trajectory,
    center: Trajectory | ArrayLike,
    radius_m: float,
    t0_s: float,
    t1_s: float,
    step_s: float = 10.0,
    tol_s: float = 1.0e-3,
) -> list[Crossing]:
    """Crossings of a sphere of ``radius_m`` about ``center`` (a fixed point or a
    trajectory): ``rising`` is an exit (the distance grows through the radius), falling an
    entry. A blockade line drawn as a sphere about the Moon."""

    def g(t: Array) -> Array:
        c = center(t) if callable(center) else np.asarray(center, dtype=float)
        r = np.asarray(traj(t), dtype=float)
        c = np.asarray(c, dtype=float)
        if c.ndim == r.ndim - 1 and c.shape[0] == t.size:
            c = c[:, None, :]
        d = r - c
        return np.sqrt(_dot(d, d)) - radius_m

    return find_crossings(g, t0_s, t1_s, step_s, tol_s)


def plane_crossings(
    traj: Trajectory,
    point_m: ArrayLike,
    normal: ArrayLike,
    t0_s: float,
    t1_s: float,
    step_s: float = 10.0,
    tol_s: float = 1.0e-3,
) -> list[Crossing]:
    """Crossings of the plane through ``point_m`` with normal ``normal``: ``rising`` when
    the trajectory passes to the side the normal points to."""
    p = np.asarray(point_m, dtype=float)
    nrm = np.asarray(normal, dtype=float)
    nrm = nrm / np.sqrt(nrm @ nrm)

    def g(t: Array) -> Array:
        return _dot(np.asarray(traj(t), dtype=float) - p, nrm)

    return find_crossings(g, t0_s, t1_s, step_s, tol_s)

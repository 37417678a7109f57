"""Docking opportunities from state vectors handed over by another control centre.

Given the chaser's and the target's state vectors (each with its own epoch, as the other
centre sends them), :func:`find_opportunities` lists the next chances to dock within a search
window: for each, the TPI time (first burn), the docking time (the TPF braking at intercept),
the two-burn plan and its Δv, and whether docking is in daylight and in station contact.

Method
------
1. Both state vectors are propagated (two-body, :func:`houston.dynamics.kepler.propagate`)
   to a common start time.
2. *Docking windows*: the docking times allowed by the constraints, found on a sampled grid
   and refined by bisection to 1 ms (a detector decides *when*):

   * daylight: the docking point (the target) outside the Earth's shadow, in the
     **cylindrical shadow model** (a cylinder of the Earth's equatorial radius behind the
     Earth, along the Sun direction; no penumbra, no atmosphere), with the Sun from JPL
     DE421 (:func:`houston.dynamics.ephemeris.sun_position_gcrf`); optionally with a margin
     of light before and after docking;
   * station contact: a caller-supplied predicate ``contact(t_s, r_gcrf_m) -> bool``
     (kernel time in s since the scenario epoch, the docking point in GCRF metres),
     evaluated at docking time.

   A window longer than one target period is cut into equal pieces no longer than a period,
   so that with no constraint at all the list still has one opportunity per revolution. A
   window that opens inside the search window is searched to its end.
3. In every window, the Δv of the Lambert intercept (:func:`.plan.lambert_dv`; TPF leaves the
   closing rate along the line of sight) is evaluated on a grid of docking times × transfer
   times, for 0 to ``max_revs`` complete revolutions (both branches), each revolution count
   in one batch of :func:`houston.dynamics.lambert.solve_each` per branch (compiled, each
   element solved alone; the burns and the perigee test in a compiled loop with the
   arithmetic of :func:`.plan.lambert_dv`); transfer orbits with a perigee below a set
   altitude are rejected.
4. The best grid point of each window is refined by a vectorised pattern search (a 5 × 5
   stencil that halves each step, 20 steps: from the grid spacing to below 1e-3 s; one
   call evaluates 25 points, where a scalar minimiser would pay about 0.1 ms of overhead
   per point; the windows whose best point is on the same Lambert branch are stepped
   together, their stencils in one call), then the plan is rebuilt with
   :func:`.plan.lambert_plan` on the kernel's nanosecond clock and kept if it fits the Δv
   budget.

The first burn is called TPI even when it starts a transfer of one or more complete
revolutions (it is then the phasing burn as well). An opportunity whose docking time sits at
the edge of its window is constrained there (typically by the end of daylight less the
margin while the chaser is still catching up: docking later would be cheaper).

The Δv landscape of coplanar near-circular orbits changes slowly (the phase between the
vehicles drifts by about a degree per orbit), while daylight and station passes recur every
revolution, so the opportunities come about once per orbit. Everything is deterministic.

Cost. The Grey's search (the plan ``apollo.rendezvous`` makes from Soviet control's vector:
three windows, 0 to 2 revolutions, 16,000 Lambert arcs) takes about 18 ms once warm
(``python bench/rendezvous.py``, measured 2026-11-24; 61 ms before the solver was
compiled): about 6 ms in the Lambert solver, 2 ms in Kepler propagation, 2 ms for daylight
(the Sun at TT, see :func:`sunlit`), 1.5 ms for the summaries' UTC, the rest numpy glue
around some 50 batches (most of them the pattern search's). The first plan of a process
also loads the compiled solver from numba's cache (about 5 ms).

SI units: m, m/s, s, rad; times of the kernel as integer TAI nanoseconds since the scenario
epoch (:mod:`houston.core.time`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numba import njit
from numpy.typing import ArrayLike, NDArray

from houston.core.constants import MU_EARTH_M3_S2, R_EARTH_M
from houston.core.time import NS_PER_S, Epoch, format_get
from houston.dynamics import kepler, lambert
from houston.dynamics.rendezvous.plan import BurnPlan, _dot, _norm, lambert_plan

__all__ = [
    "DockingConstraints",
    "Opportunity",
    "StateVector",
    "find_opportunities",
    "in_cylindrical_shadow",
    "sunlit",
]

Array = NDArray[np.float64]
ContactFn = Callable[[Array, Array], ArrayLike]

#: Tolerance of the window edges (bisection), s.
_EDGE_TOL_S = 1.0e-3
#: Pattern-search stencil points per axis and number of halvings.
_STENCIL = 5
_REFINE_STEPS = 20


# --- state vectors ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class StateVector:
    """A state vector as handed over by a control centre.

    Attributes
    ----------
    t_ns : kernel time at which the state is valid (integer TAI ns since the scenario epoch).
    r_gcrf_m : position, GCRF, m, shape ``(3,)``.
    v_gcrf_m_s : velocity, GCRF, m/s, shape ``(3,)``.
    source : who sent it (``"TsUP"``, ``"MCC-H"``, ...).
    received_at_ns : kernel time it was received, if known.
    """

    t_ns: int
    r_gcrf_m: Array
    v_gcrf_m_s: Array
    source: str = ""
    received_at_ns: int | None = None

    def __post_init__(self) -> None:
        for name in ("r_gcrf_m", "v_gcrf_m_s"):
            a = np.array(getattr(self, name), dtype=float)
            if a.shape != (3,) or not np.all(np.isfinite(a)):
                raise ValueError(f"StateVector.{name} must be 3 finite numbers, got {a!r}")
            a.setflags(write=False)
            object.__setattr__(self, name, a)
        if int(self.t_ns) != self.t_ns:
            raise ValueError(f"StateVector.t_ns must be an integer, got {self.t_ns!r}")
        object.__setattr__(self, "t_ns", int(self.t_ns))

    @classmethod
    def from_utc(
        cls,
        epoch: Epoch,
        epoch_utc: str,
        r_gcrf_m: ArrayLike,
        v_gcrf_m_s: ArrayLike,
        source: str = "",
        received_utc: str | None = None,
    ) -> StateVector:
        """A state vector whose epoch is given as ISO 8601 UTC text (``...Z``)."""
        received = None if received_utc is None else epoch.ns_since(received_utc)
        return cls(
            epoch.ns_since(epoch_utc),
            np.asarray(r_gcrf_m),
            np.asarray(v_gcrf_m_s),
            source,
            received,
        )

    def at(self, t_ns: ArrayLike, mu_m3_s2: float = MU_EARTH_M3_S2) -> tuple[Array, Array]:
        """Two-body position (m) and velocity (m/s) at kernel time(s) ``t_ns``."""
        dt_s = (np.asarray(t_ns, dtype=np.int64) - self.t_ns) / NS_PER_S
        return kepler.propagate(self.r_gcrf_m, self.v_gcrf_m_s, dt_s, mu_m3_s2)

    def age_s(self, now_ns: int) -> float:
        """Age of the state at kernel time ``now_ns``, s."""
        return (int(now_ns) - self.t_ns) / NS_PER_S

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StateVector):
            return NotImplemented
        return (
            self.t_ns == other.t_ns
            and np.array_equal(self.r_gcrf_m, other.r_gcrf_m)
            and np.array_equal(self.v_gcrf_m_s, other.v_gcrf_m_s)
            and self.source == other.source
            and self.received_at_ns == other.received_at_ns
        )

    __hash__ = None  # type: ignore[assignment]


# --- shadow --------------------------------------------------------------------------------


def in_cylindrical_shadow(
    r_m: ArrayLike, r_sun_m: ArrayLike, radius_m: float = R_EARTH_M
) -> NDArray[np.bool_]:
    """True where a point is in the Earth's shadow, cylindrical model.

    The shadow is the half-cylinder of radius ``radius_m`` (default the Earth's equatorial
    radius) behind the Earth, along the anti-Sun direction: ``r . s < 0`` and
    ``|r - (r . s) s| < radius`` with ``s`` the unit vector to the Sun. No penumbra.
    Positions in m, ``(..., 3)``, geocentric, broadcasting.
    """
    r = np.asarray(r_m, dtype=float)
    s = np.asarray(r_sun_m, dtype=float)
    s = s / _norm(s)[..., None]
    along = _dot(r, s)
    perp = _norm(r - along[..., None] * s)
    return (along < 0.0) & (perp < radius_m)


#: Where a point is closer than this fraction of its distance from the Earth's centre to a
#: surface of the shadow (``r . s = 0`` or ``|r - (r . s) s| = radius``), :func:`sunlit`
#: decides with the Sun at TDB; elsewhere with the Sun at TT. TDB - TT stays within 1.7 ms,
#: in which the Sun's geocentric direction turns by less than 4e-10 rad (30 km/s at 1 au):
#: the surfaces move by less than 4e-10 of the point's distance, 250 times less than this.
_SHADOW_SURE = 1.0e-7


def sunlit(epoch: Epoch, t_ns: ArrayLike, r_gcrf_m: ArrayLike) -> NDArray[np.bool_]:
    """True where the point ``r_gcrf_m`` (m) at kernel time ``t_ns`` is in sunlight.

    Cylindrical Earth shadow (:func:`in_cylindrical_shadow`) with the geocentric Sun of
    DE421 at TDB from :func:`houston.dynamics.ephemeris.tdb_jd`. Vectorised over times.
    The Sun is first taken at TT (without the ``erfa.dtdb`` series, about 5 us a time); the
    points that lie too near a surface of the shadow for that to decide them
    (``_SHADOW_SURE``) are decided again at TDB, so the answer is the one at TDB everywhere.
    """
    from houston.dynamics import ephemeris

    t_ns = np.asarray(t_ns)
    r = np.asarray(r_gcrf_m, dtype=float)
    shape = np.broadcast_shapes(t_ns.shape, r.shape[:-1])
    t_ns = np.broadcast_to(t_ns, shape).ravel()
    r = np.broadcast_to(r, (*shape, 3)).reshape(-1, 3)
    s = ephemeris.sun_position_gcrf(*ephemeris.tt_jd(epoch, t_ns))
    s = s / _norm(s)[..., None]
    along = _dot(r, s)
    perp = _norm(r - along[..., None] * s)
    lit = ~((along < 0.0) & (perp < R_EARTH_M))
    near = _SHADOW_SURE * _norm(r)
    unsure = np.flatnonzero((np.abs(along) <= near) | (np.abs(perp - R_EARTH_M) <= near))
    if unsure.size:
        jd1, jd2 = ephemeris.tdb_jd(epoch, t_ns[unsure])
        lit[unsure] = ~in_cylindrical_shadow(r[unsure], ephemeris.sun_position_gcrf(jd1, jd2))
    return lit.reshape(shape)


# --- constraints and results --------------------------------------------------------------------


@dataclass(frozen=True)
class DockingConstraints:
    """What a docking opportunity must satisfy.

    Attributes
    ----------
    daylight : dock outside the Earth's shadow (cylindrical model).
    daylight_margin_s : and stay in light this long before and after docking, s.
    contact : ``contact(t_s, r_gcrf_m) -> bool``, station contact at docking (``t_s`` kernel
        seconds, arrays of shape ``(n,)`` and ``(n, 3)`` in, ``n`` booleans out; a scalar
        predicate is accepted and called point by point). ``None``: no contact required.
    closing_rate_m_s : relative speed along the line of sight left by the TPF braking, m/s.
    dv_budget_m_s : largest total Δv (TPI + TPF), m/s.
    min_lead_s : earliest TPI after the start of the search, s (time to uplink the plan).
    min_perigee_alt_m : lowest perigee altitude of a transfer orbit above ``R_EARTH_M``, m.
    """

    daylight: bool = True
    daylight_margin_s: float = 0.0
    contact: ContactFn | None = None
    closing_rate_m_s: float = 0.2
    dv_budget_m_s: float = 100.0
    min_lead_s: float = 0.0
    min_perigee_alt_m: float = 150.0e3


@dataclass(frozen=True)
class Opportunity:
    """One docking opportunity.

    Attributes
    ----------
    t_tpi_ns, t_dock_ns : kernel times of the TPI burn and of docking (TPF), integer ns.
    plan : the burns (``"TPI"``, ``"TPF"``), times in s after ``t_ref_ns``.
    t_ref_ns : kernel time of the states the plan starts from (start of the search).
    dv_tpi_m_s, dv_tpf_m_s, dv_total_m_s : burn magnitudes and their sum, m/s.
    closing_rate_m_s : closing rate left at docking, m/s.
    transfer_s : TPI to docking, s.
    revs, low_path : the Lambert branch (complete revolutions; Izzo's right branch if True).
    sunlit : docking point in sunlight (cylindrical shadow).
    contact : station contact at docking (``None`` if no contact predicate was given).
    summary : one line in the flight controllers' words.
    """

    t_tpi_ns: int
    t_dock_ns: int
    plan: BurnPlan
    t_ref_ns: int
    dv_tpi_m_s: float
    dv_tpf_m_s: float
    dv_total_m_s: float
    closing_rate_m_s: float
    transfer_s: float
    revs: int
    low_path: bool
    sunlit: bool
    contact: bool | None
    summary: str = field(compare=False)


# --- intervals ---------------------------------------------------------------------------------


Interval = tuple[float, float]


def _true_intervals(
    ts: Array, flags: NDArray[np.bool_], pred: Callable[[Array], NDArray[np.bool_]]
) -> list[Interval]:
    """Maximal intervals of ``ts[0]..ts[-1]`` where the predicate holds, from samples
    ``flags``, each edge refined by bisection to ``_EDGE_TOL_S``.

    ``pred`` takes an array of times; the edges are bisected together, one call per halving
    (each edge takes the same midpoints as it would alone).
    """
    out: list[Interval] = []
    cross = np.flatnonzero(flags[1:] != flags[:-1])
    lo = ts[cross].astype(float)
    hi = ts[cross + 1].astype(float)
    was = flags[cross].astype(bool)
    live = np.flatnonzero(hi - lo > _EDGE_TOL_S)
    while live.size:
        mid = 0.5 * (lo[live] + hi[live])
        same = np.asarray(pred(mid), dtype=bool) == was[live]
        lo[live[same]] = mid[same]
        hi[live[~same]] = mid[~same]
        live = live[hi[live] - lo[live] > _EDGE_TOL_S]
    start = float(ts[0]) if flags[0] else None
    for k in range(cross.size):
        # Keep the edge on the side where the predicate holds.
        if was[k]:
            out.append((start if start is not None else float(ts[0]), float(lo[k])))
            start = None
        else:
            start = float(hi[k])
    if start is not None:
        out.append((start, float(ts[-1])))
    return out


def _intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if hi > lo:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def _split(intervals: list[Interval], length: float) -> list[Interval]:
    """Cut intervals longer than ``length`` into equal pieces no longer than it."""
    out: list[Interval] = []
    for lo, hi in intervals:
        n = max(1, math.ceil((hi - lo) / length - 1e-9))
        edges = np.linspace(lo, hi, n + 1)
        out.extend((float(edges[k]), float(edges[k + 1])) for k in range(n))
    return out


def _samples(lo: float, hi: float, step: float) -> Array:
    """Evenly spaced samples from ``lo`` to ``hi`` inclusive, at most ``step`` apart."""
    return np.linspace(lo, hi, max(2, math.ceil((hi - lo) / step) + 1))


def _contact_flags(fn: ContactFn, t_s: Array, r_m: Array) -> NDArray[np.bool_]:
    """The contact predicate on arrays; a predicate written for one point (it fails on arrays
    or returns one value) is called point by point."""
    try:
        out = np.asarray(fn(t_s, r_m))
    except (TypeError, ValueError, IndexError):
        # Written for one point; a genuine error in it is raised again by the loop below.
        out = np.empty(0)
    if out.shape != t_s.shape:
        out = np.array([bool(fn(t, r)) for t, r in zip(t_s, r_m, strict=True)])
    return out.astype(bool)


# --- the search --------------------------------------------------------------------------------


class _Problem:
    """Chaser and target from a common start (times in s after it), and the Δv function."""

    def __init__(
        self,
        r_c: Array,
        v_c: Array,
        r_t: Array,
        v_t: Array,
        closing: float,
        rp_min: float,
        mu: float,
    ) -> None:
        self.r_c, self.v_c, self.r_t, self.v_t = r_c, v_c, r_t, v_t
        self.closing, self.rp_min, self.mu = closing, rp_min, mu

    def cost(
        self, t2: Array, tof: Array, revs: int, branches: tuple[bool, ...], whole: bool = False
    ) -> dict[bool, Array] | None:
        """Total Δv (m/s; inf where infeasible) on each Lambert branch (``low_path``), for
        1-D arrays of docking times and transfer times.

        With ``whole``, None unless the Lambert batch solves at the first attempt (see
        :func:`_solve_lambert`), so that the values are those of any part of the batch
        evaluated alone: every element of a batch is computed independently of the others.
        """
        out = {b: np.full(t2.size, np.inf) for b in branches}
        if t2.size == 0:
            return out
        r1, v1 = kepler.propagate(self.r_c, self.v_c, t2 - tof, self.mu)
        r2, v2 = kepler.propagate(self.r_t, self.v_t, t2, self.mu)
        solved = _intercepts(
            r1, v1, r2, v2, tof, revs, branches, self.closing, self.mu, self.rp_min, whole
        )
        if solved is None:
            return None
        total = solved[3]
        return {b: total[k] for k, b in enumerate(branches)}


def _solve_lambert(
    r1: Array,
    v1: Array,
    r2: Array,
    v2: Array,
    tof: Array,
    revs: int,
    branches: tuple[bool, ...],
    closing: float,
    mu: float,
    first_only: bool = False,
) -> tuple[NDArray[np.bool_], dict[bool, tuple[Array, Array]]] | None:
    """:func:`.plan.lambert_dv` on a 1-D batch for each branch, skipping the elements with
    no solution; returns the mask of solved elements and, per branch, their two burns (with
    ``first_only``, None when an element that may have a solution has none).

    Each element is solved alone (:func:`houston.dynamics.lambert.solve_each`). For
    ``revs > 0`` the failures are transfer times below the multi-revolution minimum (the
    same for both branches). Elements shorter than ``revs`` periods of the minimum-energy
    ellipse (``a = s/2``, the smallest orbit through both points) cannot have a solution and
    are dropped at once; the rest are sorted by transfer time and kept from one past the last
    failure on (the few dropped elements that would have solved lie at the minimum-time
    edge): the elements of the longest run of that order that ``lambert.solve`` solves
    whole. With no revolution, every element with a solution is kept (other failures:
    collinear geometry).
    """
    solved = _intercepts(r1, v1, r2, v2, tof, revs, branches, closing, mu, 0.0, first_only)
    if solved is None:
        return None
    ok, dv1, dv2, _ = solved
    if not np.any(ok):
        return ok, {}
    return ok, {b: (dv1[k][ok], dv2[k][ok]) for k, b in enumerate(branches)}


def _intercepts(
    r1: Array,
    v1: Array,
    r2: Array,
    v2: Array,
    tof: Array,
    revs: int,
    branches: tuple[bool, ...],
    closing: float,
    mu: float,
    rp_min: float,
    first_only: bool,
) -> tuple[NDArray[np.bool_], Array, Array, Array] | None:
    """The work of :func:`_solve_lambert` and of :meth:`_Problem.cost`: the mask of solved
    elements and, per branch (first axis), both burns (NaN where not solved) and the total
    Δv (inf where not solved or below the perigee ``rp_min``)."""
    n = tof.size
    if revs > 0:
        s = 0.5 * (_norm(r1) + _norm(r2) + _norm(r2 - r1))
        possible = tof >= revs * 2.0 * np.pi * np.sqrt((0.5 * s) ** 3 / mu)
        cand = np.flatnonzero(possible)
        order = cand[np.argsort(tof[cand], kind="stable")]
    else:
        order = np.arange(n)
    nb = len(branches)
    ok = np.zeros(n, dtype=bool)
    dv1 = np.full((nb, n, 3), np.nan)
    dv2 = np.full((nb, n, 3), np.nan)
    total = np.full((nb, n), np.inf)
    r1o, r2o, tofo, muo = r1[order], r2[order], tof[order], np.full(order.size, mu)
    x_min, t_min = np.empty(order.size), np.full(order.size, np.nan)
    bounds: tuple[Array, Array] | tuple[None, None] = (None, None)
    if revs > 0:
        # Which elements have a solution first (the minimum times, kept for the solutions):
        # only those from one past the last failure on are solved.
        _, _, status, _ = lambert._run(
            r1o, r2o, tofo, muo, revs, True, branches[0], x_min, t_min, bounds_only=True
        )
        if first_only and np.any(status != lambert.SOLVED):
            return None
        failed = np.flatnonzero(status != lambert.SOLVED)
        keep = np.arange(int(failed[-1]) + 1 if failed.size else 0, order.size)
        bounds = (x_min[keep], t_min[keep])
        r1o, r2o, tofo, muo = r1o[keep], r2o[keep], tofo[keep], muo[keep]
    w1, w2, status, _ = lambert._run(r1o, r2o, tofo, muo, revs, True, branches[0], *bounds)
    has = (status == lambert.SOLVED) | (status == lambert.NOT_CONVERGED)
    if first_only and not np.all(has):
        return None
    if revs == 0:
        keep = np.flatnonzero(has)
        w1, w2, status = w1[keep], w2[keep], status[keep]
        r1o, r2o, tofo, muo = r1o[keep], r2o[keep], tofo[keep], muo[keep]
    if np.any(status == lambert.NOT_CONVERGED):
        raise RuntimeError("Lambert iteration did not converge")
    ok[order[keep]] = True
    rest = np.flatnonzero(ok)
    # Rows of the solved elements in index order.
    at = np.argsort(order[keep], kind="stable")
    for k, b in enumerate(branches):
        if k == 0:
            a1, a2 = w1[at], w2[at]
        else:
            xm, tm = (None, None) if bounds[0] is None else (bounds[0][at], bounds[1][at])
            a1, a2, status, _ = lambert._run(
                r1o[at], r2o[at], tofo[at], muo[at], revs, True, b, xm, tm
            )
            if np.any(status != lambert.SOLVED):  # pragma: no cover - same minimum time
                raise RuntimeError("a Lambert branch failed where another solved")
        _burns(r1, v1, v2, rest, a1, a2, closing, mu, rp_min, dv1[k], dv2[k], total[k])
    return ok, dv1, dv2, total


@njit(cache=True, inline="always")
def _dot3(a0: float, a1: float, a2: float, b0: float, b1: float, b2: float) -> float:
    """:func:`.plan._dot` of two vectors: summed as ``numpy.einsum`` sums three terms."""
    return (a0 * b0 + a2 * b2) + a1 * b1


@njit(cache=True, error_model="numpy")
def _burns(
    r1: Array,
    v1: Array,
    v2: Array,
    rest: NDArray[np.intp],
    a1: Array,
    a2: Array,
    closing: float,
    mu: float,
    rp_min: float,
    dv1: Array,
    dv2: Array,
    total: Array,
) -> None:
    """The burns and total Δv of the elements ``rest`` from their transfer arcs' velocities
    ``a1``, ``a2`` (one row per element of ``rest``): :func:`.plan.intercept_dv` and the
    perigee test of :meth:`_Problem.cost` (inf below ``rp_min``), with the same arithmetic
    in the same order."""
    for j in range(rest.size):
        k = rest[j]
        # The intercept burn and the braking (plan.intercept_dv).
        d0 = a1[j, 0] - v1[k, 0]
        d1 = a1[j, 1] - v1[k, 1]
        d2 = a1[j, 2] - v1[k, 2]
        t0, t1, t2 = v2[k, 0], v2[k, 1], v2[k, 2]
        e0, e1, e2 = a2[j, 0] - t0, a2[j, 1] - t1, a2[j, 2] - t2
        speed = math.sqrt(_dot3(e0, e1, e2, e0, e1, e2))
        if speed > 0.0:
            u0, u1, u2 = e0 / speed, e1 / speed, e2 / speed
        else:
            tn = math.sqrt(_dot3(t0, t1, t2, t0, t1, t2))
            u0, u1, u2 = t0 / tn, t1 / tn, t2 / tn
        c = closing - speed
        f0, f1, f2 = c * u0, c * u1, c * u2
        dv1[k, 0], dv1[k, 1], dv1[k, 2] = d0, d1, d2
        dv2[k, 0], dv2[k, 1], dv2[k, 2] = f0, f1, f2
        # The transfer orbit's perigee.
        x0, x1, x2 = r1[k, 0], r1[k, 1], r1[k, 2]
        q0, q1, q2 = v1[k, 0] + d0, v1[k, 1] + d1, v1[k, 2] + d2
        h0 = x1 * q2 - x2 * q1
        h1 = x2 * q0 - x0 * q2
        h2 = x0 * q1 - x1 * q0
        rn = math.sqrt(_dot3(x0, x1, x2, x0, x1, x2))
        vv = _dot3(q0, q1, q2, q0, q1, q2) - mu / rn
        rv = _dot3(x0, x1, x2, q0, q1, q2)
        g0 = (vv * x0 - rv * q0) / mu
        g1 = (vv * x1 - rv * q1) / mu
        g2 = (vv * x2 - rv * q2) / mu
        en = math.sqrt(_dot3(g0, g1, g2, g0, g1, g2))
        rp = _dot3(h0, h1, h2, h0, h1, h2) / mu / (1.0 + en)
        tot = math.sqrt(_dot3(d0, d1, d2, d0, d1, d2)) + math.sqrt(_dot3(f0, f1, f2, f0, f1, f2))
        total[k] = tot if rp >= rp_min else np.inf


def _branches(revs: int) -> tuple[bool, ...]:
    """Lambert branches (``low_path``) worth searching: one without complete revolutions."""
    return (True,) if revs == 0 else (True, False)


def find_opportunities(
    chaser: StateVector,
    target: StateVector,
    epoch: Epoch,
    *,
    window_s: float = 6 * 3600.0,
    t_start_ns: int | None = None,
    constraints: DockingConstraints | None = None,
    transfer_s: tuple[float, float] | None = None,
    max_revs: int = 2,
    grid_step_s: float = 60.0,
    event_step_s: float = 30.0,
    get_zero_ns: int = 0,
    mu_m3_s2: float = MU_EARTH_M3_S2,
) -> list[Opportunity]:
    """The next docking opportunities, sorted by docking time (see the module docstring).

    Parameters
    ----------
    chaser, target
        State vectors, each with its own epoch.
    epoch
        The scenario epoch (kernel time zero), for the Sun and for UTC in the summaries.
    window_s
        Search window, s after the start: every docking window (a stretch of time when the
        constraints allow docking) that opens within it is searched, to its end.
    t_start_ns
        Start of the search (kernel ns); default the later of the two state epochs.
    constraints
        :class:`DockingConstraints` (default: daylight, 0.2 m/s closing, 100 m/s).
    transfer_s
        Shortest and longest TPI-to-docking time, s; default a quarter of a target period to
        ``max_revs + 1`` periods.
    max_revs
        Most complete revolutions on the transfer (multi-revolution Lambert arcs).
    grid_step_s, event_step_s
        Spacing of the Δv grid and of the constraint sampling, s.
    get_zero_ns
        Kernel time of GET zero (the chaser's lift-off) for the summaries.
    mu_m3_s2
        Gravitational parameter, m^3/s^2.
    """
    c = constraints if constraints is not None else DockingConstraints()
    t0_ns = max(chaser.t_ns, target.t_ns) if t_start_ns is None else int(t_start_ns)
    mu = mu_m3_s2
    r_c, v_c = chaser.at(t0_ns, mu)
    r_t, v_t = target.at(t0_ns, mu)
    a_t = 1.0 / (2.0 / float(_norm(r_t)) - float(_dot(v_t, v_t)) / mu)
    period = 2.0 * math.pi * math.sqrt(a_t**3 / mu)
    tof_lo, tof_hi = (0.25 * period, (max_revs + 1) * period) if transfer_s is None else transfer_s
    if not 0.0 < tof_lo < tof_hi:
        raise ValueError(f"transfer_s must be 0 < shortest < longest, got {(tof_lo, tof_hi)}")
    t1_min = float(c.min_lead_s)
    d_lo, d_hi = t1_min + tof_lo, float(window_s)
    if d_hi <= d_lo:
        return []

    def target_at(t: Array) -> Array:
        return kepler.propagate(r_t, v_t, t, mu)[0]

    def ns(t: float | Array) -> Array:
        return t0_ns + np.round(np.asarray(t, dtype=float) * NS_PER_S).astype(np.int64)

    def lit(t: float | Array) -> NDArray[np.bool_]:
        return sunlit(epoch, ns(t), target_at(np.asarray(t, dtype=float)))

    def contact_at(t: float | Array) -> NDArray[np.bool_]:
        assert c.contact is not None
        t = np.atleast_1d(np.asarray(t, dtype=float))
        return _contact_flags(c.contact, t0_ns / NS_PER_S + t, target_at(t))

    # Docking windows that open within the search window are searched to their end, so the
    # constraints are followed one target period beyond it.
    d_end = d_hi + period
    windows: list[Interval] = [(d_lo, d_end)]
    if c.daylight:
        m = float(c.daylight_margin_s)
        ts = _samples(d_lo - m, d_end + m, event_step_s)
        light = _true_intervals(ts, lit(ts), lit)
        light = [(lo + m, hi - m) for lo, hi in light if hi - lo > 2 * m]
        windows = _intersect(windows, light)
    if c.contact is not None:
        ts = _samples(d_lo, d_end, event_step_s)
        seen = _true_intervals(ts, contact_at(ts), contact_at)
        windows = _intersect(windows, seen)
    windows = [w for w in _split(windows, period) if w[0] < d_hi]
    if not windows:
        return []

    prob = _Problem(r_c, v_c, r_t, v_t, c.closing_rate_m_s, R_EARTH_M + c.min_perigee_alt_m, mu)
    tofs = _samples(tof_lo, tof_hi, grid_step_s)
    dtof = float(tofs[1] - tofs[0])
    cells_t2, cells_tof, cells_w, steps = [], [], [], []
    for w, (lo, hi) in enumerate(windows):
        t2s = _samples(lo, hi, grid_step_s)
        steps.append(float(t2s[1] - t2s[0]))
        g2, gt = np.meshgrid(t2s, tofs, indexing="ij")
        keep = g2 - gt >= t1_min
        cells_t2.append(g2[keep])
        cells_tof.append(gt[keep])
        cells_w.append(np.full(int(keep.sum()), w))
    t2_all = np.concatenate(cells_t2)
    tof_all = np.concatenate(cells_tof)
    w_all = np.concatenate(cells_w)

    # Best grid point of every window, over every Lambert branch.
    best = [(np.inf, 0.0, 0.0, (0, True)) for _ in windows]
    for revs in range(max_revs + 1):
        # Transfers of M revolutions last about M to M + 1 target periods; outside
        # (M - 1/4, M + 5/4) periods they are either impossible or far from the cheapest.
        sel = np.flatnonzero(
            (tof_all >= (revs - 0.25) * period) & (tof_all <= (revs + 1.25) * period)
        )
        ws = w_all[sel]
        costs = prob.cost(t2_all[sel], tof_all[sel], revs, _branches(revs))
        assert costs is not None
        for low, total in costs.items():
            for w in range(len(windows)):
                mine = np.flatnonzero(ws == w)
                if mine.size == 0:
                    continue
                k = mine[int(np.argmin(total[mine]))]
                if total[k] < best[w][0]:
                    cell = sel[k]
                    best[w] = (
                        float(total[k]),
                        float(t2_all[cell]),
                        float(tof_all[cell]),
                        (revs, low),
                    )

    # The windows whose best point is on the same Lambert branch are refined together.
    refined: dict[int, tuple[float, float]] = {}
    for branch in sorted({best[w][3] for w in range(len(windows)) if np.isfinite(best[w][0])}):
        group = [w for w in range(len(windows)) if np.isfinite(best[w][0]) and best[w][3] == branch]
        starts = [(best[w][1], best[w][2], steps[w], dtof, windows[w]) for w in group]
        ends = _refine(prob, starts, (tof_lo, tof_hi), t1_min, *branch)
        refined.update(zip(group, ends, strict=True))

    found: list[Opportunity] = []
    for w in range(len(windows)):
        if w not in refined:
            continue
        revs, low = best[w][3]
        t2, tof = refined[w]
        # Times on the kernel's nanosecond clock; the plan is built from the rounded times.
        t_tpi_ns, t_dock_ns = int(ns(t2 - tof)), int(ns(t2))
        t1 = (t_tpi_ns - t0_ns) / NS_PER_S
        tof = (t_dock_ns - t_tpi_ns) / NS_PER_S
        t2 = (t_dock_ns - t0_ns) / NS_PER_S
        try:
            plan = lambert_plan(
                r_c,
                v_c,
                r_t,
                v_t,
                t1,
                tof,
                mu_m3_s2=mu,
                closing_rate_m_s=c.closing_rate_m_s,
                revs=revs,
                low_path=low,
            )
        except lambert.NoSolution:  # pragma: no cover - the refined point came from a solution
            continue
        if plan.dv_total_m_s > c.dv_budget_m_s:
            continue
        is_lit = bool(lit(t2))
        has_contact = None if c.contact is None else bool(contact_at(t2)[0])
        dv1, dv2 = plan.burns[0].dv_m_s, plan.burns[1].dv_m_s
        found.append(
            Opportunity(
                t_tpi_ns=t_tpi_ns,
                t_dock_ns=t_dock_ns,
                plan=plan,
                t_ref_ns=t0_ns,
                dv_tpi_m_s=dv1,
                dv_tpf_m_s=dv2,
                dv_total_m_s=plan.dv_total_m_s,
                closing_rate_m_s=float(c.closing_rate_m_s),
                transfer_s=float(tof),
                revs=revs,
                low_path=low,
                sunlit=is_lit,
                contact=has_contact,
                summary=_summary(
                    epoch,
                    get_zero_ns,
                    t_tpi_ns,
                    t_dock_ns,
                    dv1,
                    dv2,
                    c.closing_rate_m_s,
                    is_lit,
                    has_contact,
                ),
            )
        )
    found.sort(key=lambda o: o.t_dock_ns)
    return found


def _refine(
    prob: _Problem,
    starts: list[tuple[float, float, float, float, Interval]],
    band: Interval,
    t1_min: float,
    revs: int,
    low: bool,
) -> list[tuple[float, float]]:
    """Pattern search on (docking time, transfer time) around grid minima, vectorised: for
    each start ``(t2, tof, h2, hf, window)``, a 5 x 5 stencil of half-width (h2, hf), clipped
    to the bounds; move to its best point and halve the stencil, ``_REFINE_STEPS`` times.

    The starts (windows on the same Lambert branch) are stepped together, their stencils in
    one batch (:func:`_costs`); each takes the same steps as it would alone.
    """
    offsets = np.linspace(-1.0, 1.0, _STENCIL)
    t2 = [s[0] for s in starts]
    tof = [s[1] for s in starts]
    h2 = [s[2] for s in starts]
    hf = [s[3] for s in starts]
    best = [
        float(c[0])
        for c in _costs(prob, [np.array([x]) for x in t2], [np.array([x]) for x in tof], revs, low)
    ]
    for _ in range(_REFINE_STEPS):
        cells: list[tuple[Array, Array]] = []
        for i, s in enumerate(starts):
            g2, gt = np.meshgrid(
                np.clip(t2[i] + h2[i] * offsets, *s[4]),
                np.clip(tof[i] + hf[i] * offsets, *band),
                indexing="ij",
            )
            g2, gt = g2.ravel(), gt.ravel()
            keep = g2 - gt >= t1_min
            cells.append((g2[keep], gt[keep]))
        totals = _costs(prob, [c[0] for c in cells], [c[1] for c in cells], revs, low)
        for i, total in enumerate(totals):
            if total.size and np.min(total) < best[i]:
                k = int(np.argmin(total))
                best[i], t2[i], tof[i] = (
                    float(total[k]),
                    float(cells[i][0][k]),
                    float(cells[i][1][k]),
                )
            h2[i] *= 0.5
            hf[i] *= 0.5
    return list(zip(t2, tof, strict=True))


def _costs(prob: _Problem, t2: list[Array], tof: list[Array], revs: int, low: bool) -> list[Array]:
    """``prob.cost`` on one branch for several batches of points: in one batch when it
    solves at the first attempt (the elements are independent, so each batch gets the values
    it would get alone), otherwise batch by batch."""
    if len(t2) > 1:
        joined = prob.cost(np.concatenate(t2), np.concatenate(tof), revs, (low,), whole=True)
        if joined is not None:
            return np.split(joined[low], np.cumsum([a.size for a in t2])[:-1])
    out: list[Array] = []
    for a, b in zip(t2, tof, strict=True):
        c = prob.cost(a, b, revs, (low,))
        assert c is not None
        out.append(c[low])
    return out


def _summary(
    epoch: Epoch,
    get_zero_ns: int,
    t_tpi_ns: int,
    t_dock_ns: int,
    dv1: float,
    dv2: float,
    closing: float,
    is_lit: bool,
    has_contact: bool | None,
) -> str:
    def when(t_ns: int) -> str:
        # Both clocks shown to the whole second below the instant.
        utc = epoch.utc_iso(t_ns - (t_ns - get_zero_ns) % NS_PER_S)
        return f"{format_get(t_ns - get_zero_ns)} ({utc[11:19]}Z)"

    light = "in daylight" if is_lit else "in darkness"
    station = "n/a" if has_contact is None else ("yes" if has_contact else "no")
    return (
        f"TPI at {when(t_tpi_ns)}, ΔV {dv1 + dv2:.1f} m/s (TPI {dv1:.1f}, TPF {dv2:.1f}); "
        f"docking at {when(t_dock_ns)} {light}, closing {closing:.2f} m/s; "
        f"station contact {station}"
    )

"""Relative state, burn plans, and two-impulse targeting (Clohessy-Wiltshire and Lambert).

A *plan* is a list of impulsive burns, each with its time (s after the instant of the states
it was computed from), its velocity change in inertial (GCRF) axes and in the chaser's own
LVLH axes at the burn (x radial, away from the Earth; y along-track; z along the orbit
normal ``r x v``; the frame of :mod:`houston.dynamics.relative`), which is how a crew flies it.
:meth:`BurnPlan.fly` applies a plan to a chaser state with exact two-body motion
(:func:`houston.dynamics.kepler.propagate`), which is how the plans are checked.

Targeting:

* :func:`cw_plan`: the Clohessy-Wiltshire two-impulse rendezvous of
  :func:`houston.dynamics.relative.cw_two_impulse` (Curtis, *Orbital Mechanics for
  Engineering Students*, 3rd ed., chapter 7; Vallado, *Fundamentals of Astrodynamics and
  Applications*, 4th ed., chapter 6, Hill's equations), a linearisation about a circular
  target orbit: good for separations of a few kilometres, with an error that grows as the
  square of the separation.
* :func:`lambert_plan`: the exact two-body intercept through
  :func:`houston.dynamics.lambert.solve` (Izzo 2015), with a final braking burn that either
  matches the target's velocity or leaves a given closing rate along the line of sight
  (the terminal phase finalisation, TPF, of the Gemini and Apollo rendezvous).
* :func:`lambert_dv`: the same two burns as raw arrays, vectorised over any leading axes, for
  searches.

SI units throughout: m, m/s, s, rad, m^3/s^2. Vectors on the last axis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from houston.core.constants import MU_EARTH_M3_S2
from houston.dynamics import kepler, lambert
from houston.dynamics.relative import cw_two_impulse, lvlh_basis, to_lvlh

__all__ = [
    "Burn",
    "BurnPlan",
    "RelativeState",
    "cw_plan",
    "lambert_dv",
    "lambert_plan",
    "los_elevation",
    "relative_state",
]

Array = NDArray[np.float64]


def _dot(a: Array, b: Array) -> Array:
    return np.einsum("...i,...i->...", a, b)


def _norm(a: Array) -> Array:
    return np.sqrt(_dot(a, a))


def _vec3(x: ArrayLike, name: str) -> Array:
    a = np.asarray(x, dtype=float)
    if a.shape != (3,):
        raise ValueError(f"{name} must be one vector of shape (3,), got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} has non-finite components: {a}")
    return a


# --- relative state ---------------------------------------------------------------------


@dataclass(frozen=True)
class RelativeState:
    """Chaser relative to target in the target's LVLH frame, arrays of shape ``(..., 3)``.

    ``dr_lvlh_m`` (m) and ``dv_lvlh_m_s`` (m/s, the rate of change seen in the rotating
    frame), as :func:`houston.dynamics.relative.to_lvlh` returns them.
    """

    dr_lvlh_m: Array
    dv_lvlh_m_s: Array

    @property
    def range_m(self) -> Array:
        """Distance from target to chaser, m."""
        return _norm(self.dr_lvlh_m)

    @property
    def range_rate_m_s(self) -> Array:
        """Rate of change of the range, m/s (negative when closing)."""
        return _dot(self.dr_lvlh_m, self.dv_lvlh_m_s) / self.range_m


def relative_state(
    r_chaser_m: ArrayLike, v_chaser_m_s: ArrayLike, r_target_m: ArrayLike, v_target_m_s: ArrayLike
) -> RelativeState:
    """Chaser state in the target's LVLH frame (x radial out, y along-track, z orbit normal).

    Inertial (GCRF) positions in m and velocities in m/s, ``(..., 3)``, broadcasting; a thin
    typed layer over :func:`houston.dynamics.relative.to_lvlh` (Curtis 3rd ed., chapter 7).
    """
    dr, dv = to_lvlh(r_chaser_m, v_chaser_m_s, r_target_m, v_target_m_s)
    return RelativeState(dr, dv)


def los_elevation(r_chaser_m: ArrayLike, r_target_m: ArrayLike) -> Array:
    """Elevation (rad) of the line of sight from chaser to target above the chaser's local
    horizontal plane (the plane normal to the chaser's radius vector).

    This is the angle the Gemini and Apollo crews and computers watched to start the terminal
    phase. Positions in m, ``(..., 3)``, broadcasting; result in [-pi/2, pi/2].
    """
    r_c = np.asarray(r_chaser_m, dtype=float)
    los = np.asarray(r_target_m, dtype=float) - r_c
    s = _dot(los, r_c) / (_norm(los) * _norm(r_c))
    return np.arcsin(np.clip(s, -1.0, 1.0))


# --- plans --------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Burn:
    """One impulsive burn.

    Attributes
    ----------
    name : label in the flight controllers' terms (``"TPI"``, ``"TPF"``, ``"NC"``, ...).
    t_s : time of the burn, s after the instant of the states the plan was computed from.
    dv_gcrf_m_s : velocity change in inertial GCRF axes, m/s, shape ``(3,)``.
    dv_lvlh_m_s : the same change in the chaser's own LVLH axes just before the burn
        (x radial out, y along-track, z orbit normal), m/s, shape ``(3,)``.
    """

    name: str
    t_s: float
    dv_gcrf_m_s: Array
    dv_lvlh_m_s: Array

    @property
    def dv_m_s(self) -> float:
        """Magnitude of the velocity change, m/s."""
        return float(_norm(self.dv_gcrf_m_s))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Burn):
            return NotImplemented
        return (
            self.name == other.name
            and self.t_s == other.t_s
            and np.array_equal(self.dv_gcrf_m_s, other.dv_gcrf_m_s)
            and np.array_equal(self.dv_lvlh_m_s, other.dv_lvlh_m_s)
        )

    __hash__ = None  # type: ignore[assignment]


def _burn(name: str, t_s: float, r_m: Array, v_before_m_s: Array, dv_gcrf_m_s: Array) -> Burn:
    q = lvlh_basis(r_m, v_before_m_s)
    dv = np.asarray(dv_gcrf_m_s, dtype=float)
    return Burn(name, float(t_s), dv, q @ dv)


@dataclass(frozen=True)
class BurnPlan:
    """A sequence of impulsive burns, in time order (times in s after the plan's states)."""

    burns: tuple[Burn, ...]

    def __post_init__(self) -> None:
        times = [b.t_s for b in self.burns]
        if times != sorted(times):
            raise ValueError(f"burns must be in time order, got times {times}")

    @property
    def dv_total_m_s(self) -> float:
        """Sum of the burn magnitudes, m/s."""
        return float(sum(b.dv_m_s for b in self.burns))

    def burn(self, name: str) -> Burn:
        """The first burn called ``name``."""
        for b in self.burns:
            if b.name == name:
                return b
        raise KeyError(f"no burn {name!r} in plan ({[b.name for b in self.burns]})")

    def fly(
        self,
        r0_m: ArrayLike,
        v0_m_s: ArrayLike,
        t_s: ArrayLike,
        mu_m3_s2: float = MU_EARTH_M3_S2,
    ) -> tuple[Array, Array]:
        """Chaser position (m) and velocity (m/s) at times ``t_s`` with the burns applied.

        Exact two-body motion (:func:`houston.dynamics.kepler.propagate`) between impulsive
        burns, from the state ``(r0_m, v0_m_s)`` at time 0. A state at exactly a burn's time
        includes that burn. ``t_s`` may be an array; the result is ``t_s.shape + (3,)``.
        """
        r0 = _vec3(r0_m, "r0_m")
        v0 = _vec3(v0_m_s, "v0_m_s")
        t = np.asarray(t_s, dtype=float)
        node_t = [0.0]
        node_r = [r0]
        node_v = [v0]
        for b in self.burns:
            r, v = kepler.propagate(node_r[-1], node_v[-1], b.t_s - node_t[-1], mu_m3_s2)
            node_t.append(b.t_s)
            node_r.append(r)
            node_v.append(v + b.dv_gcrf_m_s)
        times = np.asarray(node_t)
        # Index of the last node at or before each time (node 0 for times before it).
        k = np.maximum(np.searchsorted(times[1:], t, side="right"), 0)
        k = np.where(t < 0.0, 0, k)
        r_out = np.empty((*t.shape, 3))
        v_out = np.empty((*t.shape, 3))
        for i in np.unique(k):
            m = k == i
            r, v = kepler.propagate(node_r[i], node_v[i], t[m] - times[i], mu_m3_s2)
            r_out[m] = r
            v_out[m] = v
        return r_out, v_out


# --- Clohessy-Wiltshire ---------------------------------------------------------------------


def _mean_motion(r: Array, v: Array, mu: float) -> float:
    """Mean motion (rad/s) of the osculating orbit, from the vis-viva energy."""
    a = 1.0 / (2.0 / float(_norm(r)) - float(_dot(v, v)) / mu)
    if not a > 0.0:
        raise ValueError("the target orbit is not elliptic: no mean motion")
    return float(np.sqrt(mu / a**3))


def cw_plan(
    r_chaser_m: ArrayLike,
    v_chaser_m_s: ArrayLike,
    r_target_m: ArrayLike,
    v_target_m_s: ArrayLike,
    tof_s: float,
    *,
    t_dep_s: float = 0.0,
    mu_m3_s2: float = MU_EARTH_M3_S2,
) -> BurnPlan:
    """Clohessy-Wiltshire two-impulse rendezvous, as a plan of two burns.

    Both vehicles are propagated (two-body, exact) from the given states to the departure
    time ``t_dep_s``; the chaser's relative state in the target's LVLH frame is then fed to
    :func:`houston.dynamics.relative.cw_two_impulse` (Curtis 3rd ed., chapter 7) with the
    target's mean motion ``sqrt(mu/a^3)``, for arrival at the target ``tof_s`` later. The
    LVLH velocity changes map to inertial axes with the target's LVLH basis at each burn
    (a change of rotating-frame velocity at fixed position is the same change inertially).

    Linear theory: the plan lands at the target exactly only in the Clohessy-Wiltshire model;
    under two-body motion the miss grows as the square of the initial separation (0.3 m for
    1 km at 400 km altitude over 0.3 orbit, 1.2 m for 2 km; see the tests). The target
    orbit should be near-circular.

    Burns are named ``"CW1"`` (departure) and ``"CW2"`` (arrival); times in s after the
    given states; positions in m, velocities in m/s, GCRF, shape ``(3,)``.
    """
    r_c = _vec3(r_chaser_m, "r_chaser_m")
    v_c = _vec3(v_chaser_m_s, "v_chaser_m_s")
    r_t = _vec3(r_target_m, "r_target_m")
    v_t = _vec3(v_target_m_s, "v_target_m_s")
    if t_dep_s != 0.0:
        r_c, v_c = kepler.propagate(r_c, v_c, t_dep_s, mu_m3_s2)
        r_t, v_t = kepler.propagate(r_t, v_t, t_dep_s, mu_m3_s2)
    n = _mean_motion(r_t, v_t, mu_m3_s2)
    dr, dv = to_lvlh(r_c, v_c, r_t, v_t)
    dv1_l, dv2_l = cw_two_impulse(dr, dv, n, tof_s)
    dv1 = lvlh_basis(r_t, v_t).T @ dv1_l
    r_t2, v_t2 = kepler.propagate(r_t, v_t, tof_s, mu_m3_s2)
    dv2 = lvlh_basis(r_t2, v_t2).T @ dv2_l
    # The chaser's own state before each burn (for the LVLH components), flown exactly.
    r_c2, v_c2 = kepler.propagate(r_c, v_c + dv1, tof_s, mu_m3_s2)
    return BurnPlan(
        (
            _burn("CW1", t_dep_s, r_c, v_c, dv1),
            _burn("CW2", t_dep_s + tof_s, r_c2, v_c2, dv2),
        )
    )


# --- Lambert -------------------------------------------------------------------------------


def _braking(v_rel_m_s: Array, closing_rate_m_s: ArrayLike, v_target_m_s: Array) -> Array:
    """Velocity change that leaves ``closing_rate`` along the direction of approach.

    At intercept the line of sight from chaser to target lies along the relative velocity
    (the chaser moves straight at the target), so braking to ``c`` along it is
    ``dv = (c - |v_rel|) v_rel/|v_rel|``. With no relative velocity at all the direction of
    approach is undefined and the target's velocity direction is used.
    """
    speed = _norm(v_rel_m_s)
    fallback = v_target_m_s / _norm(v_target_m_s)[..., None]
    with np.errstate(invalid="ignore", divide="ignore"):
        u = np.where((speed > 0.0)[..., None], v_rel_m_s / speed[..., None], fallback)
    c = np.asarray(closing_rate_m_s, dtype=float)
    return (c - speed)[..., None] * u


def lambert_dv(
    r_chaser_m: ArrayLike,
    v_chaser_m_s: ArrayLike,
    r_target_m: ArrayLike,
    v_target_m_s: ArrayLike,
    tof_s: ArrayLike,
    *,
    mu_m3_s2: float = MU_EARTH_M3_S2,
    closing_rate_m_s: ArrayLike = 0.0,
    revs: int = 0,
    low_path: bool = True,
) -> tuple[Array, Array]:
    """Intercept and braking velocity changes (m/s, GCRF) of an exact two-body transfer.

    The chaser departs from ``r_chaser_m`` (its state at departure) and reaches the target's
    position ``r_target_m`` at arrival, ``tof_s`` later (the target's state *at arrival*),
    on the Lambert arc of :func:`houston.dynamics.lambert.solve` (Izzo 2015; ``revs``,
    ``low_path`` as there, prograde). The second burn matches the target's velocity, or
    leaves ``closing_rate_m_s`` (>= 0) along the line of sight, which at intercept is the
    direction of the relative velocity.

    Every argument broadcasts over leading axes; vectors ``(..., 3)`` in m and m/s.
    Raises :class:`houston.dynamics.lambert.NoSolution` as ``lambert.solve`` does.
    """
    v1, v2 = lambert.solve(r_chaser_m, r_target_m, tof_s, mu_m3_s2, revs=revs, low_path=low_path)
    return intercept_dv(v1, v2, v_chaser_m_s, v_target_m_s, closing_rate_m_s)


def intercept_dv(
    v_dep_m_s: Array,
    v_arr_m_s: Array,
    v_chaser_m_s: ArrayLike,
    v_target_m_s: ArrayLike,
    closing_rate_m_s: ArrayLike,
) -> tuple[Array, Array]:
    """The two burns of :func:`lambert_dv` from the transfer arc's velocities at departure
    and at arrival (m/s, GCRF, ``(..., 3)``), the chaser's velocity at departure and the
    target's at arrival."""
    dv1 = v_dep_m_s - np.asarray(v_chaser_m_s, dtype=float)
    v_t = np.broadcast_to(np.asarray(v_target_m_s, dtype=float), v_arr_m_s.shape)
    dv2 = _braking(v_arr_m_s - v_t, closing_rate_m_s, v_t)
    return dv1, dv2


def lambert_plan(
    r_chaser_m: ArrayLike,
    v_chaser_m_s: ArrayLike,
    r_target_m: ArrayLike,
    v_target_m_s: ArrayLike,
    t_dep_s: float,
    tof_s: float,
    *,
    mu_m3_s2: float = MU_EARTH_M3_S2,
    closing_rate_m_s: float = 0.0,
    revs: int = 0,
    low_path: bool = True,
    names: tuple[str, str] = ("TPI", "TPF"),
) -> BurnPlan:
    """Two-burn Lambert rendezvous from chaser and target states at a common instant.

    The chaser coasts (two-body) to ``t_dep_s`` and burns onto the Lambert arc that meets the
    target ``tof_s`` later (target propagated to ``t_dep_s + tof_s``); the second burn
    matches velocities or leaves ``closing_rate_m_s`` along the line of sight (see
    :func:`lambert_dv`). States in m and m/s, GCRF, shape ``(3,)``; times in s after them.

    Raises
    ------
    houston.dynamics.lambert.NoSolution
        When the Lambert problem has none (collinear geometry, or ``tof_s`` shorter than the
        minimum for ``revs`` revolutions); the message says which.
    """
    if not tof_s > 0.0:
        raise lambert.NoSolution(f"transfer time must be positive, got {tof_s} s")
    r_c = _vec3(r_chaser_m, "r_chaser_m")
    v_c = _vec3(v_chaser_m_s, "v_chaser_m_s")
    r_t = _vec3(r_target_m, "r_target_m")
    v_t = _vec3(v_target_m_s, "v_target_m_s")
    r_c1, v_c1 = kepler.propagate(r_c, v_c, t_dep_s, mu_m3_s2)
    r_t2, v_t2 = kepler.propagate(r_t, v_t, t_dep_s + tof_s, mu_m3_s2)
    dv1, dv2 = lambert_dv(
        r_c1,
        v_c1,
        r_t2,
        v_t2,
        tof_s,
        mu_m3_s2=mu_m3_s2,
        closing_rate_m_s=closing_rate_m_s,
        revs=revs,
        low_path=low_path,
    )
    r_c2, v_c2 = kepler.propagate(r_c1, v_c1 + dv1, tof_s, mu_m3_s2)
    return BurnPlan(
        (
            _burn(names[0], t_dep_s, r_c1, v_c1, dv1),
            _burn(names[1], t_dep_s + tof_s, r_c2, v_c2, dv2),
        )
    )

"""Geometry between two vehicles: range, radar view past the Moon, time to a range, a blockade.

``vehicle.pair`` reads the GCRF states of two vehicles (``vehicle.spacecraft`` publishes
``r_gcrf_m`` and ``v_gcrf_m_s`` whether it flies about the Earth or the Moon) and gives the
flight controllers, every frame:

* the **range** and **range rate** (:func:`houston.comms.geometry.range_rate_m_s`: positive
  when the vehicles separate; 0 at zero range);
* the **line of sight** between them past the occulting bodies (the segment against a sphere
  of ``R_MOON_M`` about the Moon's DE421 centre and of ``R_EARTH_M``, the equatorial radius,
  about the Earth's: :func:`houston.comms.geometry.clearance_m`), and the **radar view**:
  line of sight and within ``radar_range`` (a's radar looking at b);
* the distance of vehicle a from the Moon's centre and whether it is inside the **blockade
  line**, a sphere of ``blockade_radius`` about the Moon's centre;
* from a **prediction** redone every ``prediction_interval`` over ``prediction_horizon``: the
  time until the range falls to ``threshold_range`` ("Sea Dragon 17 will be within missile
  range in five minutes"), the closest approach within the horizon (range and time), and the
  time until a next crosses the blockade line. Between predictions the predicted instants
  are kept, so the countdowns run down frame by frame.

Telemetry conventions: ``time_to_threshold_s`` is 0 once within the threshold, NaN when no
entry is predicted within the horizon, and ``inf`` when no threshold is set
(``threshold_range = 0``); ``time_to_blockade_s`` likewise (NaN: no crossing within the
horizon; ``inf``: no blockade line). ``closest_approach_m`` and ``time_to_closest_approach_s``
are those of the least range over the horizon; once a predicted approach has passed they are
the current range and 0 until the next prediction, and both are NaN when the range is still
falling at the end of the horizon (the approach lies beyond it).

Prediction (:class:`MoonTable`, :class:`ConicMotion`, :func:`predict`)
-----------------------------------------------------------------------
Each vehicle follows a **conic about the Moon** when it is inside the Moon's sphere of
influence at the time of the prediction (Laplace's radius ``D (mu_Moon / mu_Earth)^(2/5)``,
66,180 km at the mean distance ``D`` and computed with the Earth-Moon distance of the moment),
otherwise a **conic about the Earth** (:func:`houston.dynamics.kepler.propagate`, compiled).
A lunar conic is a state relative to the Moon propagated about the Moon, to which the Moon's
GCRF position **from the DE421 ephemeris at each predicted time** is added (:class:`MoonTable`:
DE421 states every 60 s of kernel time and a cubic Hermite interpolation between them,
within 1 mm of DE421). What is left out is everything but the central body's point mass: for a lunar conic
the Earth's tidal acceleration (``~2 mu_Earth r / D^3``: 2.6e-5 m/s^2 in a 100 km orbit,
3e-4 m/s^2 at 20,000 km, 1e-3 m/s^2 at the edge of the sphere), for an Earth conic the
Moon's attraction less its attraction of the Earth; the Sun's tide, the Earth's zonal
harmonics and any burn. The position error of one vehicle against a Cowell propagation with
the Earth and the Moon as point masses (:mod:`houston.dynamics.cowell`, DE421, rtol 1e-12)
was measured on 2024-03-20 as:

==================================================  ======  =======  =======  =======
vehicle                                              5 min   10 min   30 min   1 h
==================================================  ======  =======  =======  =======
100 km polar lunar orbit (lunar conic)               0.5 m   2.1 m    21 m     51 m
inbound hyperbola, 20,000 km from the Moon (lunar)   8 m     33 m     290 m    1.1 km
inbound hyperbola, 60,000 km from the Moon (lunar)   22 m    88 m     790 m    3.1 km
70,000 km from the Moon (Earth conic)                46 m    185 m    1.7 km   6.9 km
200,000 km from the Moon (Earth conic)               4 m     17 m     155 m    620 m
==================================================  ======  =======  =======  =======

It grows as the square of the horizon. A predicted time is off by this error divided by the
speed at which the range (or the distance to the Moon) changes: for a closing speed of
1 km/s, 0.01-0.05 s at five minutes, seconds at half an hour; the countdowns converge as
the event nears, since every prediction starts from the vehicles' current states. The tests
(``tests/comms/test_pair.py``) hold a time to a threshold 17 min ahead to a Cowell reference
within 0.05 s (measured 0.006 s), a blockade crossing 25 min ahead on a lunar conic within
0.2 s (0.04 s) and one 28 min ahead on an Earth conic within 1 s (0.54 s). Near the
Earth the zonal harmonics dominate what is left out (J2 moves a low orbit by kilometres in
ten minutes); for two vehicles close together there most of it is common to both.

Search. The conics are evaluated on a grid of ``prediction_step`` over the horizon; the first
sign change of ``range - threshold``, the least range on the grid and the first sign change of
``|r_a - r_Moon| - blockade_radius`` are bracketed there and refined by Newton's method
safeguarded by bisection inside the bracket (``rtsafe``, Press et al., *Numerical Recipes*,
3rd ed., sec. 9.4) to 1e-6 s; the closest approach is the root of ``d.w`` (the range's
derivative times the range) within the grid interval around the least sample. An entry into
the threshold shorter than one grid step is found only if it is at the least range of the
horizon, and a blockade crossing pair (in and out) within one grid step is missed; two
crossings a step apart or more are resolved.

Each run is predicted on its own rows (a run's results do not depend on the others of the
batch), at the prediction interval, and at once when its range crosses the threshold, its
vehicle a crosses the blockade line, or a predicted instant passes without the event.

Events (in the controllers' words): ``<a> radar contact: <b> at 3,456 km``, ``<a> radar view
of <b> lost (occulted by the Moon): range 3,456 km`` (or by the Earth, or beyond radar
range), ``<b> within 500 km of <a> in 5 min 00 s`` when the predicted time first falls to
``warning_lead`` (once per approach), ``<b> within 500 km of <a>: range 500 km`` on entering
and ``<b> no longer within ...`` on leaving, ``<a> crossed the blockade line inbound:
50,000 km from the Moon's centre, 1.23 km/s`` (speed relative to the Moon) and outbound.
The first evaluation announces a radar contact and being within range, not a crossing.

Timing. The geometry is that of the end of the step (``ctx.t1``). A model placed after the
pair in the scenario (or stepped less often) publishes a state of an earlier time: wire its
time (``vehicle.spacecraft``'s ``t_s``) to ``a_t_s`` / ``b_t_s`` and the pair carries that
state to the end of the step on its conic (exact for a vehicle without perturbations, tested
to 1 mm); unwired, the state is taken as current, which behind by one 1 s frame puts a
lunar orbiter's GCRF position off by up to 2.6 km.

Cost (one core of the 2-core development machine, 1 s frames, the step and its telemetry,
along an inbound hyperbola and a 100 km lunar orbit; ``.venv/bin/python -m
tests.comms.test_pair`` prints it): at batch 1, 7 us in a frame without a prediction and
0.22 ms in a frame with one (a one-hour horizon on a 20 s grid), 28 us a frame on average
with the default 10 s interval; at batch 1,000 (1,000 different hyperbolas), 22 us and
0.10 s (mostly the hyperbolic Kepler solutions on the grid), 10 ms on average. The cost of
a prediction grows with ``prediction_horizon / prediction_step``; a Monte Carlo run may set
a longer ``prediction_interval``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import njit
from numpy.typing import ArrayLike, NDArray

from houston.core.constants import (
    MU_EARTH_M3_S2,
    MU_MOON_M3_S2,
    R_EARTH_M,
    R_MOON_M,
)
from houston.core.model import Model, Param, Signal, State, StepContext, Telemetry
from houston.core.time import NS_PER_S, Epoch
from houston.dynamics.kepler import propagate
from houston.dynamics.spacecraft import moon_state_gcrf_at

__all__ = [
    "ConicMotion",
    "MoonTable",
    "PairPrediction",
    "VehiclePair",
    "format_duration_s",
    "format_range_m",
    "format_speed_m_s",
    "predict",
    "soi_radius_m",
]

Array = NDArray[np.float64]

#: "Never predicted", for the time of the last prediction (ns).
_NEVER = -(2**62)
#: Kernel time zero when a model is stepped without a scenario epoch (J2000.0 TT, in TAI).
_J2000_EPOCH = Epoch(2_451_545.0, -32.184 / 86_400.0, "2000-01-01T11:58:55.816Z")
#: Exponent of Laplace's sphere of influence.
_SOI_EXPONENT = 0.4
#: Convergence of the refined instants (s).
_TOL_S = 1.0e-6
#: Iteration cap of the safeguarded Newton search (bisection alone halves a 20 s bracket to
#: 1e-6 s in 25 steps).
_MAX_ITER = 80
#: The Moon's table is built this far beyond the horizon (s), so that it serves an hour of
#: predictions.
_TABLE_MARGIN_S = 3600.0
#: A vehicle's state published this much before the step's end (s) is carried to it.
_TIME_TOL_S = 1.0e-9

#: Telemetry columns, in declared order.
_TM = (
    "range_m",
    "range_rate_m_s",
    "line_of_sight",
    "radar_view",
    "time_to_threshold_s",
    "within_threshold",
    "closest_approach_m",
    "time_to_closest_approach_s",
    "a_moon_distance_m",
    "inside_blockade",
    "time_to_blockade_s",
)
_C = {name: i for i, name in enumerate(_TM)}
#: Why the radar does not see b (state ``cause``).
_VIEW, _MOON, _EARTH, _RANGE = 0, 1, 2, 3
_CAUSES = {_MOON: "occulted by the Moon", _EARTH: "occulted by the Earth"}


def soi_radius_m(moon_distance_m: ArrayLike) -> Array:
    """Laplace's sphere of influence of the Moon (m) at Earth-Moon distance
    ``moon_distance_m``: ``D (mu_Moon / mu_Earth)^(2/5)`` (Laplace's sphere of
    influence, as in Curtis, *Orbital Mechanics for Engineering Students*, 3rd ed., ch. 8):
    66,180 km at the mean distance
    384,400 km."""
    return np.asarray(moon_distance_m, dtype=float) * (MU_MOON_M3_S2 / MU_EARTH_M3_S2) ** (
        _SOI_EXPONENT
    )


# --- text in the controllers' words -----------------------------------------------------------


def format_range_m(x: float) -> str:
    """A distance as a controller says it: ``3,456 km``, ``12.3 km``, ``850 m``."""
    if not np.isfinite(x):
        return "unlimited" if x > 0 else "-"
    if abs(x) >= 100e3:
        return f"{x / 1e3:,.0f} km"
    if abs(x) >= 1e3:
        return f"{x / 1e3:.1f} km"
    return f"{x:.0f} m"


def format_speed_m_s(x: float) -> str:
    """A speed: ``1.23 km/s`` from 1 km/s, ``850 m/s`` below."""
    return f"{x / 1e3:.2f} km/s" if abs(x) >= 1e3 else f"{x:.0f} m/s"


def format_duration_s(t: float) -> str:
    """A countdown as a clock shows it, in whole seconds rounded up: ``5 min 00 s`` from
    299.1 s to 300 s, ``1 h 02 min 05 s``, ``45 s``."""
    n = math.ceil(t - 1e-9)
    h, rest = divmod(n, 3600)
    m, s = divmod(rest, 60)
    if h:
        return f"{h} h {m:02d} min {s:02d} s"
    if m:
        return f"{m} min {s:02d} s"
    return f"{s} s"


# --- the prediction -------------------------------------------------------------------------

#: Spacing of the Moon's DE421 nodes (s of kernel time, at whole multiples from the epoch).
MOON_NODE_S = 60.0


@njit(cache=True, error_model="numpy", inline="always")
def _hermite(
    t: float, first: int, step: float, r: Array, v: Array
) -> tuple[float, float, float, float, float, float]:
    """The Moon's position and velocity at kernel time ``t`` (s) by cubic Hermite
    interpolation between the nodes ``r``, ``v`` at ``(first + k) step``. The fraction of
    the interval is taken from the absolute node index, so that tables starting at
    different nodes give the same bits."""
    x = t / step
    k = int(np.floor(x)) - first
    k = min(max(k, 0), r.shape[0] - 2)
    s = x - (k + first)
    s2 = s * s
    s3 = s2 * s
    h00 = 2.0 * s3 - 3.0 * s2 + 1.0
    h10 = (s3 - 2.0 * s2 + s) * step
    h01 = 3.0 * s2 - 2.0 * s3
    h11 = (s3 - s2) * step
    d00 = (6.0 * s2 - 6.0 * s) / step
    d10 = 3.0 * s2 - 4.0 * s + 1.0
    d01 = (6.0 * s - 6.0 * s2) / step
    d11 = 3.0 * s2 - 2.0 * s
    j = k + 1
    return (
        h00 * r[k, 0] + h10 * v[k, 0] + h01 * r[j, 0] + h11 * v[j, 0],
        h00 * r[k, 1] + h10 * v[k, 1] + h01 * r[j, 1] + h11 * v[j, 1],
        h00 * r[k, 2] + h10 * v[k, 2] + h01 * r[j, 2] + h11 * v[j, 2],
        d00 * r[k, 0] + d10 * v[k, 0] + d01 * r[j, 0] + d11 * v[j, 0],
        d00 * r[k, 1] + d10 * v[k, 1] + d01 * r[j, 1] + d11 * v[j, 1],
        d00 * r[k, 2] + d10 * v[k, 2] + d01 * r[j, 2] + d11 * v[j, 2],
    )


@njit(cache=True, error_model="numpy")
def _moon_at(t: Array, first: int, step: float, r: Array, v: Array, out: Array) -> None:
    """:func:`_hermite` at every time of ``t`` ``(m,)`` into ``out`` ``(m, 6)``."""
    for i in range(t.shape[0]):
        out[i, 0], out[i, 1], out[i, 2], out[i, 3], out[i, 4], out[i, 5] = _hermite(
            t[i], first, step, r, v
        )


@dataclass(frozen=True)
class MoonTable:
    """The Moon's GCRF states (DE421) at nodes every ``step_s`` of kernel time, at whole
    multiples of it from the epoch (node ``k`` of the table at ``(first + k) step_s``; TDB
    from ERFA at each node), with a cubic Hermite interpolation between them: within 1 mm of
    DE421 (the interpolation error ``h^4/384`` times the fourth derivative of the Moon's
    motion, 1e-9 m for 60 s nodes, and the rate of TDB against the kernel's seconds, below
    1.7e-8, times the Moon's 1 km/s over a node's span; tested). A pure function of the
    epoch and the node times: tables built at different times agree where they overlap, so
    every run of a batch sees the same Moon."""

    first: int
    step_s: float
    r_m: Array
    v_m_s: Array

    @classmethod
    def build(
        cls, epoch: Epoch, t_from_s: float, t_to_s: float, step_s: float = MOON_NODE_S
    ) -> MoonTable:
        """Nodes from at or before ``t_from_s`` to at or after ``t_to_s`` (kernel s)."""
        from houston.dynamics.ephemeris import moon_state_gcrf, tdb_jd

        k0 = int(np.floor(t_from_s / step_s))
        k1 = max(int(np.ceil(t_to_s / step_s)), k0 + 1)
        k = np.arange(k0, k1 + 1, dtype=np.int64)
        j1, j2 = tdb_jd(epoch, k * round(step_s * NS_PER_S))
        r, v = moon_state_gcrf(j1, j2)
        return cls(k0, float(step_s), np.ascontiguousarray(r), np.ascontiguousarray(v))

    @property
    def first_s(self) -> float:
        return self.first * self.step_s

    @property
    def last_s(self) -> float:
        return self.first_s + (self.r_m.shape[0] - 1) * self.step_s

    def covers(self, t_from_s: float, t_to_s: float) -> bool:
        return self.first_s <= t_from_s and t_to_s <= self.last_s

    def states(self, t_s: ArrayLike) -> Array:
        """Position (m) and velocity (m/s) side by side at kernel times ``t_s`` (any shape,
        within the table), ``(*t.shape, 6)``."""
        t = np.asarray(t_s, dtype=np.float64)
        out = np.empty((t.size, 6))
        _moon_at(
            np.ascontiguousarray(t.reshape(-1)), self.first, self.step_s, self.r_m, self.v_m_s, out
        )
        return out.reshape((*t.shape, 6))

    def at(self, t_s: ArrayLike) -> tuple[Array, Array]:
        """Position (m) and velocity (m/s) at kernel times ``t_s`` (any shape, within the
        table), ``(*t.shape, 3)`` each."""
        out = self.states(t_s)
        return out[..., :3], out[..., 3:]


@njit(cache=True, error_model="numpy")
def _to_gcrf(
    tau: Array,
    rc: Array,
    vc: Array,
    r0: Array,
    v0: Array,
    mu: Array,
    lunar: Any,
    moon: Array,
    p: Array,
    w: Array,
    g: Array,
) -> None:
    """Conic states ``rc``, ``vc`` ``(n, k, 3)`` at times ``tau`` ``(q, k)`` (s from the
    start; ``q`` is 1 when the rows share them) into GCRF ``p``, ``w`` (the Moon's state
    ``moon`` ``(q, k, 6)`` added for lunar rows) and the central body's gravity ``g``. A
    state the conic could not carry (a body's centre: not finite) moves in a straight line
    from ``r0``, ``v0``, without gravity."""
    q = tau.shape[0] - 1
    for i in range(rc.shape[0]):
        iq = min(i, q)
        for j in range(rc.shape[1]):
            x, y, z = rc[i, j, 0], rc[i, j, 1], rc[i, j, 2]
            if np.isfinite(x) and np.isfinite(y) and np.isfinite(z):
                vx, vy, vz = vc[i, j, 0], vc[i, j, 1], vc[i, j, 2]
                rn = np.sqrt(x * x + y * y + z * z)
                k = -mu[i] / (rn * rn * rn)
                gx, gy, gz = k * x, k * y, k * z
            else:
                t = tau[iq, j]
                x, y, z = r0[i, 0] + v0[i, 0] * t, r0[i, 1] + v0[i, 1] * t, r0[i, 2] + v0[i, 2] * t
                vx, vy, vz = v0[i, 0], v0[i, 1], v0[i, 2]
                gx, gy, gz = 0.0, 0.0, 0.0
            if lunar[i]:
                x, y, z = x + moon[iq, j, 0], y + moon[iq, j, 1], z + moon[iq, j, 2]
                vx, vy, vz = vx + moon[iq, j, 3], vy + moon[iq, j, 4], vz + moon[iq, j, 5]
            p[i, j, 0], p[i, j, 1], p[i, j, 2] = x, y, z
            w[i, j, 0], w[i, j, 1], w[i, j, 2] = vx, vy, vz
            g[i, j, 0], g[i, j, 1], g[i, j, 2] = gx, gy, gz


class ConicMotion:
    """Vehicles on conics about the Moon (inside its sphere of influence) or the Earth, from
    GCRF states ``(n, 3)`` at kernel time ``t0_s`` (module docstring).

    ``lunar`` ``(n,)`` says which rows fly about the Moon; ``r_c``, ``v_c`` are the states
    about their central body, ``mu`` its gravitational parameter. A state that a conic cannot
    carry (at a body's centre) moves in a straight line.
    """

    def __init__(self, r_m: ArrayLike, v_m_s: ArrayLike, moon: MoonTable, t0_s: float) -> None:
        r = np.asarray(r_m, dtype=np.float64).reshape(-1, 3)
        v = np.asarray(v_m_s, dtype=np.float64).reshape(-1, 3)
        self.moon = moon
        self.t0_s = float(t0_s)
        m0, w0 = moon.at(self.t0_s)
        rel = r - m0
        dist = np.sqrt(rel[:, 0] ** 2 + rel[:, 1] ** 2 + rel[:, 2] ** 2)
        moon_dist = float(np.sqrt(m0 @ m0))
        self.lunar: NDArray[np.bool_] = np.asarray(dist < float(soi_radius_m(moon_dist)))
        lun = self.lunar[:, None]
        self.r_c = np.ascontiguousarray(np.where(lun, rel, r))
        self.v_c = np.ascontiguousarray(np.where(lun, v - w0, v))
        self.mu = np.where(self.lunar, MU_MOON_M3_S2, MU_EARTH_M3_S2)

    def at(self, tau_s: ArrayLike, moon: Array | None = None) -> tuple[Array, Array, Array]:
        """GCRF position (m), velocity (m/s) and the central body's gravity (m/s^2) at
        ``tau_s`` seconds after ``t0_s``: ``(n, k)`` (one row of times per vehicle) or
        ``(k,)`` (the same for all), each result ``(n, k, 3)``. ``moon``: the Moon's
        position and velocity at those times, ``(k, 6)`` or ``(n, k, 6)``, if known."""
        tau = np.asarray(tau_s, dtype=np.float64)
        shared = tau.ndim == 1
        tau2 = np.ascontiguousarray(tau[None, :] if shared else tau)
        rc, vc = propagate(self.r_c[:, None, :], self.v_c[:, None, :], tau2, self.mu[:, None])
        if moon is None:
            moon = self.moon.states(self.t0_s + tau2)
        moon = np.ascontiguousarray(moon.reshape((*tau2.shape, 6)))
        p, w, g = np.empty(rc.shape), np.empty(rc.shape), np.empty(rc.shape)
        _to_gcrf(tau2, rc, vc, self.r_c, self.v_c, self.mu, self.lunar, moon, p, w, g)
        return p, w, g


@dataclass(frozen=True)
class PairPrediction:
    """What :func:`predict` finds, per run, in seconds from the prediction's start.

    ``t_threshold_s``: first time the range is at or below the threshold (0 when it is now;
    NaN when not within the horizon or no threshold); ``t_closest_s``, ``closest_m``: the
    least range over the horizon (NaN when the range still falls at its end);
    ``t_blockade_s``: first time vehicle a crosses the blockade sphere, either way (NaN: none
    within the horizon, or no blockade).
    """

    t_threshold_s: Array
    t_closest_s: Array
    closest_m: Array
    t_blockade_s: Array


@njit(cache=True, error_model="numpy")
def _brackets(
    tau: Array,
    p: Array,
    w: Array,
    moon: Array,
    threshold: float,
    blockade: float,
    lo: Array,
    hi: Array,
    g_lo: Array,
    g_hi: Array,
    active: Any,
    value: Array,
    beyond: Any,
    now: Any,
) -> None:
    """Search the grid ``tau`` ``(m,)`` of GCRF states ``(2n, m, 3)`` (vehicle a's rows,
    then b's; the Moon's states ``moon`` ``(m, 6)``) for the brackets of :func:`_refine` (columns: threshold entry, closest
    approach, blockade crossing), with the least range on the grid in ``value[:, 1]`` and its
    time in ``lo[:, 1]`` when there is nothing to refine; ``beyond``: the range still falls
    at the end of the horizon; ``now``: within the threshold at the start."""
    m = tau.shape[0]
    n = p.shape[0] // 2
    rng = np.empty(m)
    dw = np.empty(m)
    for i in range(n):
        b = n + i
        entry = -1
        cross = -1
        side0 = 0.0
        side_prev = 0.0
        k = 0
        for j in range(m):
            dx = p[b, j, 0] - p[i, j, 0]
            dy = p[b, j, 1] - p[i, j, 1]
            dz = p[b, j, 2] - p[i, j, 2]
            ux = w[b, j, 0] - w[i, j, 0]
            uy = w[b, j, 1] - w[i, j, 1]
            uz = w[b, j, 2] - w[i, j, 2]
            rng[j] = np.sqrt(dx * dx + dy * dy + dz * dz)
            dw[j] = dx * ux + dy * uy + dz * uz
            if rng[j] < rng[k]:
                k = j
            if entry < 0 and threshold > 0.0 and rng[j] <= threshold:
                entry = j
            if blockade > 0.0 and cross < 0:
                ex = p[i, j, 0] - moon[j, 0]
                ey = p[i, j, 1] - moon[j, 1]
                ez = p[i, j, 2] - moon[j, 2]
                side = np.sqrt(ex * ex + ey * ey + ez * ez) - blockade
                if j == 0:
                    side0 = side
                elif (side >= 0.0) != (side0 >= 0.0):
                    cross = j
                    lo[i, 2], hi[i, 2] = tau[j - 1], tau[j]
                    g_lo[i, 2], g_hi[i, 2] = side_prev, side
                side_prev = side
        now[i] = entry == 0
        active[i, 0] = entry > 0
        if entry > 0:
            lo[i, 0], hi[i, 0] = tau[entry - 1], tau[entry]
            g_lo[i, 0], g_hi[i, 0] = rng[entry - 1] - threshold, rng[entry] - threshold
        # closest approach: where d.w changes sign next to the least sample
        k0 = -1
        if dw[k] < 0.0 and k < m - 1:
            k0 = k
        elif dw[k] > 0.0 and k > 0:
            k0 = k - 1
        beyond[i] = k == m - 1 and dw[k] < 0.0
        active[i, 1] = k0 >= 0
        value[i, 1] = rng[k]
        if k0 >= 0:
            lo[i, 1], hi[i, 1] = tau[k0], tau[k0 + 1]
            g_lo[i, 1], g_hi[i, 1] = dw[k0], dw[k0 + 1]
        else:
            lo[i, 1] = hi[i, 1] = tau[k]
        active[i, 2] = cross > 0


@njit(cache=True, error_model="numpy")
def _newton(
    x: Array,
    neg: Array,
    pos: Array,
    going: Any,
    value: Array,
    t0: float,
    p: Array,
    w: Array,
    g: Array,
    first: int,
    step: float,
    mr: Array,
    mv: Array,
    threshold: float,
    blockade: float,
    tol: float,
) -> bool:
    """One step of the safeguarded Newton search (``rtsafe``) for every entry still
    ``going``, from the states ``(2n, 3, 3)`` at ``x`` ``(n, 3)`` (a's rows, then b's):
    columns 0 ``range - threshold``, 1 ``d.w``, 2 ``|r_a - r_Moon| - blockade``; ``neg`` and
    ``pos`` are the bracket's ends where the function is negative and positive. ``value``
    keeps the range at column 1's last point. Returns whether any entry goes on."""
    n = x.shape[0]
    more = False
    for i in range(n):
        b = n + i
        for c in range(3):
            if not going[i, c]:
                continue
            dx = p[b, c, 0] - p[i, c, 0]
            dy = p[b, c, 1] - p[i, c, 1]
            dz = p[b, c, 2] - p[i, c, 2]
            ux = w[b, c, 0] - w[i, c, 0]
            uy = w[b, c, 1] - w[i, c, 1]
            uz = w[b, c, 2] - w[i, c, 2]
            if c == 0:
                rng = np.sqrt(dx * dx + dy * dy + dz * dz)
                f = rng - threshold
                df = (dx * ux + dy * uy + dz * uz) / rng
            elif c == 1:
                value[i, 1] = np.sqrt(dx * dx + dy * dy + dz * dz)
                f = dx * ux + dy * uy + dz * uz
                # the Moon's acceleration is left out: it only steers the step
                ax = g[b, c, 0] - g[i, c, 0]
                ay = g[b, c, 1] - g[i, c, 1]
                az = g[b, c, 2] - g[i, c, 2]
                df = ux * ux + uy * uy + uz * uz + dx * ax + dy * ay + dz * az
            else:
                m0, m1, m2, m3, m4, m5 = _hermite(t0 + x[i, c], first, step, mr, mv)
                ex, ey, ez = p[i, c, 0] - m0, p[i, c, 1] - m1, p[i, c, 2] - m2
                dist = np.sqrt(ex * ex + ey * ey + ez * ez)
                f = dist - blockade
                df = (
                    ex * (w[i, c, 0] - m3) + ey * (w[i, c, 1] - m4) + ez * (w[i, c, 2] - m5)
                ) / dist
            if f < 0.0:
                neg[i, c] = x[i, c]
            else:
                pos[i, c] = x[i, c]
            lo, hi = min(neg[i, c], pos[i, c]), max(neg[i, c], pos[i, c])
            nxt = x[i, c] - f / df
            if not (nxt > lo and nxt < hi):  # also when not finite
                nxt = 0.5 * (lo + hi)
            done = abs(nxt - x[i, c]) < tol or hi - lo < tol or f == 0.0
            x[i, c] = nxt
            if done:
                going[i, c] = False
            else:
                more = True
    return more


def _refine(
    pair: ConicMotion,
    lo: Array,
    hi: Array,
    g_lo: Array,
    g_hi: Array,
    active: NDArray[np.bool_],
    value: Array,
    threshold_m: float,
    blockade_m: float,
) -> Array:
    """Roots of the switching functions (:func:`_newton`) in the brackets ``[lo, hi]``
    ``(n, 3)`` for the ``active`` entries of the vehicles ``pair`` (a's rows, then b's),
    from the secant's point. An entry stops when its step is below the tolerance and is not
    changed again, so each run's result does not depend on the others. Inactive entries are
    NaN."""
    neg = np.where(g_lo < 0.0, lo, hi)
    pos = np.where(g_lo < 0.0, hi, lo)
    with np.errstate(invalid="ignore", divide="ignore"):
        secant = lo + (hi - lo) * g_lo / (g_lo - g_hi)
    x = np.where(np.isfinite(secant) & (secant > lo) & (secant < hi), secant, 0.5 * (lo + hi))
    x = np.ascontiguousarray(np.where(active, x, 0.0))
    going = active.copy()
    m = pair.moon
    for _ in range(_MAX_ITER):
        p, w, g = pair.at(np.concatenate([x, x]))
        more = _newton(
            x,
            neg,
            pos,
            going,
            value,
            pair.t0_s,
            p,
            w,
            g,
            m.first,
            m.step_s,
            m.r_m,
            m.v_m_s,
            threshold_m,
            blockade_m,
            _TOL_S,
        )
        if not more:
            break
    return np.where(active, x, np.nan)


def predict(
    moon: MoonTable,
    t0_s: float,
    ra_m: ArrayLike,
    va_m_s: ArrayLike,
    rb_m: ArrayLike,
    vb_m_s: ArrayLike,
    threshold_m: float = 0.0,
    blockade_m: float = 0.0,
    horizon_s: float = 3600.0,
    step_s: float = 20.0,
) -> PairPrediction:
    """Time to the threshold range, closest approach and blockade crossing within
    ``horizon_s`` of kernel time ``t0_s`` for GCRF states ``(n, 3)`` of vehicles a and b
    at ``t0_s``, searched on a grid of at most ``step_s`` (module docstring). ``moon`` must
    cover ``[t0_s, t0_s + horizon_s]``."""
    if not moon.covers(t0_s, t0_s + horizon_s):
        raise ValueError(
            f"the Moon table [{moon.first_s}, {moon.last_s}] s does not cover the horizon "
            f"[{t0_s}, {t0_s + horizon_s}] s"
        )
    ra = np.asarray(ra_m, dtype=np.float64).reshape(-1, 3)
    pair = ConicMotion(
        np.concatenate([ra, np.asarray(rb_m, dtype=np.float64).reshape(-1, 3)]),
        np.concatenate(
            [
                np.asarray(va_m_s, dtype=np.float64).reshape(-1, 3),
                np.asarray(vb_m_s, dtype=np.float64).reshape(-1, 3),
            ]
        ),
        moon,
        t0_s,
    )
    n = ra.shape[0]
    steps = max(1, int(np.ceil(horizon_s / step_s - 1e-9)))
    tau = np.linspace(0.0, float(horizon_s), steps + 1)
    grid_moon = moon.states(pair.t0_s + tau)
    p, w, _ = pair.at(tau, grid_moon)
    lo, hi = np.zeros((n, 3)), np.zeros((n, 3))
    g_lo, g_hi = np.zeros((n, 3)), np.zeros((n, 3))
    active = np.zeros((n, 3), dtype=np.bool_)
    value = np.zeros((n, 3))
    beyond = np.zeros(n, dtype=np.bool_)
    now = np.zeros(n, dtype=np.bool_)
    _brackets(
        tau,
        p,
        w,
        grid_moon,
        threshold_m,
        blockade_m,
        lo,
        hi,
        g_lo,
        g_hi,
        active,
        value,
        beyond,
        now,
    )
    roots = np.full((n, 3), np.nan)
    if active.any():
        roots = _refine(pair, lo, hi, g_lo, g_hi, active, value, threshold_m, blockade_m)
    t_ca = np.where(active[:, 1], roots[:, 1], lo[:, 1])
    r_ca = value[:, 1].copy()
    t_thr = np.where(now, 0.0, roots[:, 0])
    # An entry shorter than a grid step, at the least range: between the grid point before
    # the closest approach and the closest approach.
    graze = (threshold_m > 0.0) & ~now & ~beyond & (r_ca <= threshold_m)
    graze &= ~(active[:, 0] & (t_thr <= t_ca))
    if graze.any():
        start = np.where(graze, lo[:, 1], 0.0)
        q, _, _ = pair.at(np.concatenate([start, start])[:, None])
        e = q[n:, 0] - q[:n, 0]
        act = np.zeros((n, 3), dtype=np.bool_)
        act[:, 0] = graze
        lo2, hi2 = np.zeros((n, 3)), np.zeros((n, 3))
        g2_lo, g2_hi = np.zeros((n, 3)), np.zeros((n, 3))
        lo2[:, 0], hi2[:, 0] = start, np.where(graze, t_ca, 0.0)
        g2_lo[:, 0] = np.sqrt(e[:, 0] ** 2 + e[:, 1] ** 2 + e[:, 2] ** 2) - threshold_m
        g2_hi[:, 0] = r_ca - threshold_m
        found = _refine(pair, lo2, hi2, g2_lo, g2_hi, act, np.zeros((n, 3)), threshold_m, 0.0)
        t_thr = np.where(graze, found[:, 0], t_thr)
    t_ca = np.where(beyond, np.nan, t_ca)
    r_ca = np.where(beyond, np.nan, r_ca)
    return PairPrediction(t_thr, t_ca, r_ca, roots[:, 2])


# --- the per-frame geometry ---------------------------------------------------------------


@njit(cache=True, error_model="numpy")
def _segment_clear(
    ax: float,
    ay: float,
    az: float,
    dx: float,
    dy: float,
    dz: float,
    cx: float,
    cy: float,
    cz: float,
    radius: float,
) -> bool:
    """Whether the segment from a to a + d keeps clear of the sphere (centre c, radius):
    the distance from the centre to the segment is at least the radius."""
    fx, fy, fz = cx - ax, cy - ay, cz - az
    dd = dx * dx + dy * dy + dz * dz
    tau = 0.0
    if dd > 0.0:
        tau = (fx * dx + fy * dy + fz * dz) / dd
        if tau < 0.0:
            tau = 0.0
        elif tau > 1.0:
            tau = 1.0
    px, py, pz = fx - tau * dx, fy - tau * dy, fz - tau * dz
    return px * px + py * py + pz * pz >= radius * radius


@njit(cache=True, error_model="numpy")
def _frame(
    ra: Array,
    va: Array,
    rb: Array,
    vb: Array,
    moon_r: Array,
    moon_v: Array,
    occult_moon: bool,
    occult_earth: bool,
    radar_range: float,
    threshold: float,
    blockade: float,
    now_s: float,
    t_thr: Array,
    t_ca: Array,
    r_ca: Array,
    t_blk: Array,
    tm: Array,
    cause: Any,
    a_speed: Array,
    t1_ns: int,
    predicted_ns: Any,
    interval_ns: int,
    lead: float,
    primed: Any,
    reported_view: Any,
    reported_within: Any,
    reported_inside: Any,
    warned: Any,
    due: Any,
) -> tuple[bool, bool]:
    """Every telemetry column of every row (order of ``_TM``), the radar's ``cause`` and a's
    speed relative to the Moon, from the states and the predicted instants (absolute s).

    Also, per row: whether a prediction is ``due`` (the interval has passed since the last,
    the range crossed the threshold, a crossed the blockade line, or a predicted entry or
    crossing has come without the event); ``warned`` is cleared when no entry is predicted
    any more. Returns whether any row is due and whether any has something to announce."""
    any_due = False
    notice = False
    for i in range(ra.shape[0]):
        dx, dy, dz = rb[i, 0] - ra[i, 0], rb[i, 1] - ra[i, 1], rb[i, 2] - ra[i, 2]
        wx, wy, wz = vb[i, 0] - va[i, 0], vb[i, 1] - va[i, 1], vb[i, 2] - va[i, 2]
        rng = np.sqrt(dx * dx + dy * dy + dz * dz)
        rate = (dx * wx + dy * wy + dz * wz) / rng if rng > 0.0 else 0.0
        c = _VIEW
        if occult_moon and not _segment_clear(
            ra[i, 0], ra[i, 1], ra[i, 2], dx, dy, dz, moon_r[0], moon_r[1], moon_r[2], R_MOON_M
        ):
            c = _MOON
        elif occult_earth and not _segment_clear(
            ra[i, 0], ra[i, 1], ra[i, 2], dx, dy, dz, 0.0, 0.0, 0.0, R_EARTH_M
        ):
            c = _EARTH
        los = c == _VIEW
        if los and rng > radar_range:
            c = _RANGE
        cause[i] = c
        within = threshold > 0.0 and rng <= threshold
        mx, my, mz = ra[i, 0] - moon_r[0], ra[i, 1] - moon_r[1], ra[i, 2] - moon_r[2]
        md = np.sqrt(mx * mx + my * my + mz * mz)
        ux, uy, uz = va[i, 0] - moon_v[0], va[i, 1] - moon_v[1], va[i, 2] - moon_v[2]
        a_speed[i] = np.sqrt(ux * ux + uy * uy + uz * uz)
        inside = blockade > 0.0 and md < blockade

        if threshold <= 0.0:
            ttt = np.inf
        elif within:
            ttt = 0.0
        elif np.isnan(t_thr[i]):
            ttt = np.nan
        else:
            ttt = max(t_thr[i] - now_s, 0.0)
        if np.isnan(t_ca[i]):
            ca, tca = np.nan, np.nan
        elif t_ca[i] > now_s:
            ca, tca = r_ca[i], t_ca[i] - now_s
        else:  # the approach has passed: the vehicles separate, the least range is now
            ca, tca = rng, 0.0
        if blockade <= 0.0:
            ttb = np.inf
        elif np.isnan(t_blk[i]):
            ttb = np.nan
        else:
            ttb = max(t_blk[i] - now_s, 0.0)

        tm[i, 0] = rng
        tm[i, 1] = rate
        tm[i, 2] = 1.0 if los else 0.0
        tm[i, 3] = 1.0 if c == _VIEW else 0.0
        tm[i, 4] = ttt
        tm[i, 5] = 1.0 if within else 0.0
        tm[i, 6] = ca
        tm[i, 7] = tca
        tm[i, 8] = md
        tm[i, 9] = 1.0 if inside else 0.0
        tm[i, 10] = ttb

        d = t1_ns - predicted_ns[i] >= interval_ns
        if primed[i]:
            d = d or within != reported_within[i] or inside != reported_inside[i]
            d = d or (t_thr[i] <= now_s and not within) or t_blk[i] <= now_s
        due[i] = d
        any_due = any_due or d
        if warned[i] and not within and not np.isfinite(ttt):
            warned[i] = False
        warn = not warned[i] and not within and threshold > 0.0 and lead > 0.0 and ttt <= lead
        notice = (
            notice
            or not primed[i]
            or warn
            or (c == _VIEW) != reported_view[i]
            or within != reported_within[i]
            or inside != reported_inside[i]
        )
    return any_due, notice


# --- the model ------------------------------------------------------------------------------


class VehiclePair(Model):
    """Geometry between two vehicles (module docstring)."""

    type_name = "vehicle.pair"
    summary = (
        "Geometry between two vehicles: range and range rate, radar view past the Moon and the "
        "Earth, time until within a range, closest approach, a blockade line about the Moon"
    )
    params = (
        Param("a_name", description="vehicle a's name, for messages", default="A", kind="str"),
        Param("b_name", description="vehicle b's name, for messages", default="B", kind="str"),
        Param(
            "radar_range",
            "m",
            "range of a's radar (inf: no limit); radar view is line of sight within it",
            float("inf"),
            min=0.0,
        ),
        Param(
            "occulting_bodies",
            description="bodies that can cut the line of sight (spheres: the Moon 1737.4 km, "
            "the Earth 6378.137 km)",
            default=["moon", "earth"],
            kind="strings",
            choices=("moon", "earth"),
        ),
        Param(
            "threshold_range",
            "m",
            "range whose crossing is predicted and announced (0: none)",
            0.0,
            min=0.0,
        ),
        Param(
            "warning_lead",
            "s",
            "announce 'b within <threshold> of a in ...' when the predicted time falls to this",
            300.0,
            min=0.0,
        ),
        Param(
            "blockade_radius",
            "m",
            "blockade line: a sphere of this radius about the Moon's centre, crossed by "
            "vehicle a (0: none)",
            0.0,
            min=0.0,
        ),
        Param(
            "prediction_horizon",
            "s",
            "how far ahead the threshold, closest approach and blockade are predicted",
            3600.0,
            min=1.0,
        ),
        Param(
            "prediction_interval",
            "s",
            "redo the prediction this often (0: every step); the countdowns run in between",
            10.0,
            min=0.0,
        ),
        Param(
            "prediction_step",
            "s",
            "grid of the prediction's search: crossings less than this apart can be missed",
            20.0,
            min=0.1,
        ),
    )
    inputs = (
        Signal(
            "a_r_gcrf_m",
            "m",
            (3,),
            "vehicle a: position from the Earth's centre, GCRF",
            frame="GCRF",
        ),
        Signal(
            "a_v_gcrf_m_s",
            "m_s",
            (3,),
            "vehicle a: velocity relative to the Earth, GCRF",
            frame="GCRF",
        ),
        Signal(
            "b_r_gcrf_m",
            "m",
            (3,),
            "vehicle b: position from the Earth's centre, GCRF",
            frame="GCRF",
        ),
        Signal(
            "b_v_gcrf_m_s",
            "m_s",
            (3,),
            "vehicle b: velocity relative to the Earth, GCRF",
            frame="GCRF",
        ),
        Signal(
            "a_t_s",
            "s",
            (),
            "time of a's state, kernel s since the epoch (vehicle.spacecraft's t_s; unwired: the "
            "end of the step); an earlier state is carried to the step's end on its conic",
            optional=True,
            default=float("nan"),
        ),
        Signal(
            "b_t_s",
            "s",
            (),
            "time of b's state (as a_t_s)",
            optional=True,
            default=float("nan"),
        ),
    )
    outputs = (
        Signal("range_m", "m", (), "range between the vehicles"),
        Signal("radar_view", "1", (), "1 when a's radar sees b (line of sight, within range)"),
        Signal("within_threshold", "1", (), "1 when the range is at or below the threshold"),
        Signal("inside_blockade", "1", (), "1 when vehicle a is inside the blockade line"),
    )
    telemetry = (
        Telemetry("range_m", "m", "range between the vehicles", display_unit="km"),
        Telemetry("range_rate_m_s", "m_s", "rate of change of the range (positive: separating)"),
        Telemetry(
            "line_of_sight",
            "1",
            "the line between the vehicles clears the occulting bodies",
            kind="bool",
        ),
        Telemetry(
            "radar_view",
            "1",
            "a's radar sees b: line of sight and within radar range",
            kind="bool",
        ),
        Telemetry(
            "time_to_threshold_s",
            "s",
            "predicted time until the range falls to the threshold (0 within; NaN: not within "
            "the horizon; inf: no threshold)",
            display_unit="min",
        ),
        Telemetry("within_threshold", "1", "the range is at or below the threshold", kind="bool"),
        Telemetry(
            "closest_approach_m",
            "m",
            "least range predicted over the horizon (NaN: still closing at its end)",
            display_unit="km",
        ),
        Telemetry(
            "time_to_closest_approach_s",
            "s",
            "time until the closest approach (0 once it has passed)",
            display_unit="min",
        ),
        Telemetry(
            "a_moon_distance_m",
            "m",
            "vehicle a's distance from the Moon's centre",
            display_unit="km",
        ),
        Telemetry("inside_blockade", "1", "vehicle a is inside the blockade line", kind="bool"),
        Telemetry(
            "time_to_blockade_s",
            "s",
            "predicted time until vehicle a next crosses the blockade line (NaN: not within "
            "the horizon; inf: no blockade line)",
            display_unit="min",
        ),
    )
    states = (
        State("tm", "1", (len(_TM),), description="the telemetry, in its declared order"),
        State("cause", "1", dtype="int64", description="0 radar view, 1 Moon, 2 Earth, 3 range"),
        State("a_speed", "m_s", description="vehicle a's speed relative to the Moon"),
        State("t_threshold", "s", description="predicted entry into the threshold (NaN: none)"),
        State("t_closest", "s", description="predicted closest approach (NaN: beyond)"),
        State("closest", "m", description="predicted least range"),
        State("t_blockade", "s", description="predicted blockade crossing (NaN: none)"),
        State("predicted_ns", "ns", dtype="int64", description="time of the last prediction"),
        State("primed", "1", dtype="bool", description="the geometry has been evaluated"),
        State("reported_view", "1", dtype="bool", description="radar view last announced"),
        State("reported_within", "1", dtype="bool", description="within range last announced"),
        State("reported_inside", "1", dtype="bool", description="blockade side last announced"),
        State("warned", "1", dtype="bool", description="the approach has been announced"),
    )

    def __init__(self, path: str, params: Mapping[str, Any], batch: int) -> None:
        p = {q.name: q.default for q in type(self).params}
        p.update(params)
        bodies = [str(x) for x in p["occulting_bodies"]]
        unknown = sorted(set(bodies) - {"moon", "earth"})
        if unknown:
            raise ValueError(f"unknown occulting bodies {unknown}; choose from moon, earth")
        self._occult_moon = "moon" in bodies
        self._occult_earth = "earth" in bodies
        self._radar = float(p["radar_range"])
        self._threshold = float(p["threshold_range"])
        self._lead = float(p["warning_lead"])
        self._blockade = float(p["blockade_radius"])
        self._horizon = float(p["prediction_horizon"])
        self._step = min(float(p["prediction_step"]), self._horizon)
        self._interval_ns = round(float(p["prediction_interval"]) * NS_PER_S)
        self._a = str(p["a_name"])
        self._b = str(p["b_name"])
        self._due = np.zeros(int(batch), dtype=np.bool_)
        self._table: MoonTable | None = None
        self._table_key: tuple[float, float] | None = None
        super().__init__(path, p, batch)

    # -- lifecycle -----------------------------------------------------------------------

    def initialize(self, ctx: StepContext) -> None:
        s = self.state
        s["tm"][:] = np.nan
        for name in ("line_of_sight", "radar_view", "within_threshold", "inside_blockade"):
            s["tm"][:, _C[name]] = 0.0
        s["cause"][:] = _VIEW
        s["a_speed"][:] = np.nan
        for name in ("t_threshold", "t_closest", "closest", "t_blockade"):
            s[name][:] = np.nan
        s["predicted_ns"][:] = _NEVER
        for name in ("primed", "reported_view", "reported_within", "reported_inside", "warned"):
            s[name][:] = False

    def _geometry(
        self, ctx: StepContext, states: tuple[Array, ...], moon: Array
    ) -> tuple[bool, bool]:
        s = self.state
        ra, va, rb, vb = states
        return _frame(
            ra,
            va,
            rb,
            vb,
            moon[:3],
            moon[3:],
            self._occult_moon,
            self._occult_earth,
            self._radar,
            self._threshold,
            self._blockade,
            ctx.t1_s,
            s["t_threshold"],
            s["t_closest"],
            s["closest"],
            s["t_blockade"],
            s["tm"],
            s["cause"],
            s["a_speed"],
            ctx.t1_ns,
            s["predicted_ns"],
            self._interval_ns,
            self._lead,
            s["primed"],
            s["reported_view"],
            s["reported_within"],
            s["reported_inside"],
            s["warned"],
            self._due,
        )

    def _moon(self, epoch: Epoch, t_from_s: float, t_to_s: float) -> MoonTable:
        """The Moon's table over ``[t_from_s, t_to_s]``, rebuilt with an hour's margin when
        it no longer covers it (a pure function of the epoch and the node times)."""
        key = (epoch.tai_jd1, epoch.tai_jd2)
        table = self._table
        if table is None or self._table_key != key or not table.covers(t_from_s, t_to_s):
            table = MoonTable.build(epoch, t_from_s, t_to_s + _TABLE_MARGIN_S)
            self._table, self._table_key = table, key
        return table

    def _states(self, ctx: StepContext, epoch: Epoch) -> tuple[Array, ...]:
        """The vehicles' states at the end of the step: a state published at an earlier time
        (inputs ``a_t_s``, ``b_t_s``) is carried to it on its conic."""
        i = ctx.inputs
        out = []
        t1 = ctx.t1_s
        for v in "ab":
            r = np.ascontiguousarray(i[f"{v}_r_gcrf_m"], dtype=np.float64)
            w = np.ascontiguousarray(i[f"{v}_v_gcrf_m_s"], dtype=np.float64)
            t = i.get(f"{v}_t_s")
            if t is not None:
                t = np.asarray(t, dtype=np.float64).reshape(-1)
                lag = t1 - t
                stale = np.isfinite(lag) & (np.abs(lag) > _TIME_TOL_S)
                if stale.any():
                    r, w = r.copy(), w.copy()
                    for t_v in np.unique(t[stale]):
                        rows = np.flatnonzero(stale & (t == t_v))
                        moon = self._moon(epoch, min(t_v, t1), max(t_v, t1))
                        p, u, _ = ConicMotion(r[rows], w[rows], moon, float(t_v)).at(
                            np.array([t1 - t_v])
                        )
                        r[rows], w[rows] = p[:, 0], u[:, 0]
            out += [r, w]
        return tuple(out)

    def _predict(
        self, ctx: StepContext, epoch: Epoch, states: tuple[Array, ...], rows: NDArray[np.int64]
    ) -> None:
        s = self.state
        t0 = ctx.t1_s
        ra, va, rb, vb = states
        pr = predict(
            self._moon(epoch, t0, t0 + self._horizon),
            t0,
            ra[rows],
            va[rows],
            rb[rows],
            vb[rows],
            self._threshold,
            self._blockade,
            self._horizon,
            self._step,
        )
        s["t_threshold"][rows] = t0 + pr.t_threshold_s
        s["t_closest"][rows] = t0 + pr.t_closest_s
        s["closest"][rows] = pr.closest_m
        s["t_blockade"][rows] = t0 + pr.t_blockade_s
        s["predicted_ns"][rows] = ctx.t1_ns

    def step(self, ctx: StepContext) -> None:
        epoch = ctx.epoch if ctx.epoch is not None else _J2000_EPOCH
        moon_r, moon_v = moon_state_gcrf_at(epoch, ctx.t1_ns)
        moon = np.concatenate([moon_r, moon_v])
        states = self._states(ctx, epoch)
        due, notice = self._geometry(ctx, states, moon)
        if due:
            self._predict(ctx, epoch, states, np.flatnonzero(self._due))
            _, notice = self._geometry(ctx, states, moon)
        if notice:
            self._announce(ctx)

    # -- events ----------------------------------------------------------------------------

    def _emit_rows(
        self, ctx: StepContext, mask: NDArray[np.bool_], severity: str, text: Any, **data: Any
    ) -> None:
        """One event per run in ``mask``, with that run's numbers (``text(row)``)."""
        for row in np.flatnonzero(mask):
            one = np.zeros(self.batch, dtype=bool)
            one[row] = True
            ctx.emit(text(int(row)), one, severity, **data)

    def _announce(self, ctx: StepContext) -> None:
        s = self.state
        tm = s["tm"]
        rng = tm[:, _C["range_m"]]
        view = tm[:, _C["radar_view"]] != 0.0
        within = tm[:, _C["within_threshold"]] != 0.0
        inside = tm[:, _C["inside_blockade"]] != 0.0
        ttt = tm[:, _C["time_to_threshold_s"]]
        primed = s["primed"]
        a, b = self._a, self._b
        contact = view & ~s["reported_view"]
        lost = ~view & s["reported_view"]
        warn = (
            ~s["warned"] & ~within & (self._threshold > 0.0) & (ttt <= self._lead)
            if self._lead > 0.0
            else np.zeros(self.batch, dtype=bool)
        )
        enter = within & ~s["reported_within"]
        leave = ~within & s["reported_within"]
        cross = primed & (inside != s["reported_inside"])
        thr = format_range_m(self._threshold)
        self._emit_rows(
            ctx,
            contact,
            "info",
            lambda i: f"{a} radar contact: {b} at {format_range_m(float(rng[i]))}",
        )
        cause = s["cause"]

        def lost_text(i: int) -> str:
            why = _CAUSES.get(int(cause[i]), f"beyond radar range {format_range_m(self._radar)}")
            return f"{a} radar view of {b} lost ({why}): range {format_range_m(float(rng[i]))}"

        self._emit_rows(ctx, lost, "info", lost_text)
        self._emit_rows(
            ctx,
            warn,
            "warning",
            lambda i: f"{b} within {thr} of {a} in {format_duration_s(float(ttt[i]))}",
        )
        self._emit_rows(
            ctx,
            enter,
            "warning",
            lambda i: f"{b} within {thr} of {a}: range {format_range_m(float(rng[i]))}",
        )
        self._emit_rows(
            ctx,
            leave,
            "info",
            lambda i: f"{b} no longer within {thr} of {a}: range {format_range_m(float(rng[i]))}",
        )
        md = tm[:, _C["a_moon_distance_m"]]
        speed = s["a_speed"]

        def cross_text(i: int) -> str:
            way = "inbound" if inside[i] else "outbound"
            return (
                f"{a} crossed the blockade line {way}: {format_range_m(float(md[i]))} from the Moon's "
                f"centre, {format_speed_m_s(float(speed[i]))}"
            )

        self._emit_rows(ctx, cross, "warning", cross_text)
        s["warned"] |= warn
        # a new approach is announced again after leaving the range (or once no entry is
        # predicted any more: in _frame)
        s["warned"] &= ~leave
        s["reported_view"][:] = view
        s["reported_within"][:] = within
        s["reported_inside"][:] = inside
        s["primed"][:] = True

    # -- publishing ------------------------------------------------------------------------

    def output_values(self) -> Mapping[str, NDArray[Any]]:
        tm = self.state["tm"]
        return {
            "range_m": tm[:, _C["range_m"]],
            "radar_view": tm[:, _C["radar_view"]],
            "within_threshold": tm[:, _C["within_threshold"]],
            "inside_blockade": tm[:, _C["inside_blockade"]],
        }

    def sample(self, out: NDArray[np.float64]) -> None:
        out[:] = self.state["tm"]

    def telemetry_values(self) -> Mapping[str, NDArray[Any]]:
        tm = self.state["tm"]
        return {name: tm[:, k] for name, k in _C.items()}

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
otherwise a **conic about the Earth**. A lunar conic is a state relative to the Moon
propagated about the Moon, to which the Moon's GCRF position **from the DE421 ephemeris at
each predicted time** is added (:class:`MoonTable`: DE421 states every 60 s of kernel time
and a cubic Hermite interpolation between them, within 1 mm of DE421; one table per epoch,
shared by every pair of the process). The conics are Kepler's: the universal-variable
solution of :func:`houston.dynamics.kepler.propagate` (Vallado, 4th ed., Algorithm 8, with
Laguerre's method in a shrinking bracket), here compiled one state at a time, each grid
time's solution started from the one before by the inverse of Kepler's equation's Taylor
series to third order, so that one Laguerre step reaches round-off; it agrees with
``kepler.propagate`` within 1 um on the grids of the-grey from e = 0 to 10 (tested). What
is left out is everything but the central body's point mass: for a lunar conic the Earth's
tidal acceleration (``~2 mu_Earth r / D^3``: 2.6e-5 m/s^2 in a 100 km orbit,
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
tests.comms.test_pair`` prints it): at batch 1, 4 us in a frame without a prediction and
28 us in a frame with one (a one-hour horizon on a 20 s grid), 7 us a frame on average
with the default 10 s interval; at batch 1,000 (1,000 different hyperbolas), 21 us and
24 ms (the Kepler solutions on the grid, about 65 ns each), 2.4 ms on average. The step
is one compiled call (the states carried, the geometry of every row, the predictions due).
In the-grey (``.venv/bin/python bench/pair.py`` replays its two pairs), 10 us a 10 s step
for Pathfinder's radar (3 h horizon on a 60 s grid every 60 s) and 14 us for Buran's
missiles (1 h on a 20 s grid every 30 s): 2.4 us a 1 s frame together. The cost of a
prediction grows with ``prediction_horizon / prediction_step``; a Monte Carlo run may set a
longer ``prediction_interval``.
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
#: The Moon's table is built this far beyond the horizon (s), so that it serves three hours
#: of predictions.
_TABLE_MARGIN_S = 3 * 3600.0
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
    t: float, first: int, step: float, nodes: Array
) -> tuple[float, float, float, float, float, float]:
    """The Moon's position and velocity at kernel time ``t`` (s) by cubic Hermite
    interpolation between the nodes ``nodes`` ``(k, 6)`` (position, velocity) at
    ``(first + k) step``. The fraction of the interval is taken from the absolute node index,
    so that tables starting at different nodes give the same bits."""
    x = t / step
    k = int(np.floor(x)) - first
    k = min(max(k, 0), nodes.shape[0] - 2)
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
        h00 * nodes[k, 0] + h10 * nodes[k, 3] + h01 * nodes[j, 0] + h11 * nodes[j, 3],
        h00 * nodes[k, 1] + h10 * nodes[k, 4] + h01 * nodes[j, 1] + h11 * nodes[j, 4],
        h00 * nodes[k, 2] + h10 * nodes[k, 5] + h01 * nodes[j, 2] + h11 * nodes[j, 5],
        d00 * nodes[k, 0] + d10 * nodes[k, 3] + d01 * nodes[j, 0] + d11 * nodes[j, 3],
        d00 * nodes[k, 1] + d10 * nodes[k, 4] + d01 * nodes[j, 1] + d11 * nodes[j, 4],
        d00 * nodes[k, 2] + d10 * nodes[k, 5] + d01 * nodes[j, 2] + d11 * nodes[j, 5],
    )


@njit(cache=True, error_model="numpy")
def _moon_at(t: Array, first: int, step: float, nodes: Array, out: Array) -> None:
    """:func:`_hermite` at every time of ``t`` ``(m,)`` into ``out`` ``(m, 6)``."""
    for i in range(t.shape[0]):
        out[i, 0], out[i, 1], out[i, 2], out[i, 3], out[i, 4], out[i, 5] = _hermite(
            t[i], first, step, nodes
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
    #: ``(k, 6)``: GCRF position (m) and velocity (m/s) at each node.
    nodes: Array

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
        return cls(k0, float(step_s), np.ascontiguousarray(np.concatenate([r, v], axis=1)))

    @property
    def r_m(self) -> Array:
        """The nodes' positions (m), ``(k, 3)``."""
        return self.nodes[:, :3]

    @property
    def v_m_s(self) -> Array:
        """The nodes' velocities (m/s), ``(k, 3)``."""
        return self.nodes[:, 3:]

    @property
    def first_s(self) -> float:
        return self.first * self.step_s

    @property
    def last_s(self) -> float:
        return self.first_s + (self.nodes.shape[0] - 1) * self.step_s

    def covers(self, t_from_s: float, t_to_s: float) -> bool:
        return self.first_s <= t_from_s and t_to_s <= self.last_s

    def states(self, t_s: ArrayLike) -> Array:
        """Position (m) and velocity (m/s) side by side at kernel times ``t_s`` (any shape,
        within the table), ``(*t.shape, 6)``."""
        t = np.asarray(t_s, dtype=np.float64)
        out = np.empty((t.size, 6))
        _moon_at(np.ascontiguousarray(t.reshape(-1)), self.first, self.step_s, self.nodes, out)
        return out.reshape((*t.shape, 6))

    def at(self, t_s: ArrayLike) -> tuple[Array, Array]:
        """Position (m) and velocity (m/s) at kernel times ``t_s`` (any shape, within the
        table), ``(*t.shape, 3)`` each."""
        out = self.states(t_s)
        return out[..., :3], out[..., 3:]


# --- conics: the universal-variable Kepler solution, one state at a time ----------------------
#
# The prediction evaluates each vehicle's conic on the whole grid, one time after the other,
# and starts Kepler's equation at each grid time from the solution at the one before (a
# third-order series in the time step): one Laguerre step then reaches round-off, where a
# solution from scratch takes three to five. Everything below is compiled and works on one
# run at a time, so a run's results never depend on the others of the batch.

#: Coefficients 1/(2k+2)! and 1/(2k+3)!, k = 0..9, of the Stumpff series (|psi| < 1;
#: truncation error below 1/22! ~ 1e-21).
_C2_SERIES = np.array([1.0 / math.factorial(2 * k + 2) for k in range(10)])
_C3_SERIES = np.array([1.0 / math.factorial(2 * k + 3) for k in range(10)])
#: Kepler iteration: cap, relative step of chi after which the cubic convergence of
#: Laguerre's method leaves an error far below round-off, and the stop on the bracket.
_KEPLER_ITER = 100
_CHI_RTOL_CUBIC = 1.0e-8
_CHI_RTOL = 4.0e-15
_EPS = float(np.finfo(float).eps)
_TINY = float(np.finfo(float).tiny)
_HUGE = float(np.finfo(float).max)
#: Laplace's sphere of influence over the Earth-Moon distance (:func:`soi_radius_m`).
_SOI_RATIO = (MU_MOON_M3_S2 / MU_EARTH_M3_S2) ** _SOI_EXPONENT
#: A conic, one row of floats: the state about the central body, the body's gravitational
#: parameter and its square root, the orbit's constants, whether the body is the Moon and
#: whether the conic can carry the state (otherwise it moves in a straight line).
_RX, _VX, _MU, _SQRT_MU, _R0 = 0, 3, 6, 7, 8
_SIGMA0, _ALPHA, _RP, _LUNAR, _VALID = 9, 10, 11, 12, 13
#: ... and ``1 / r0``, ``1 / sqrt(mu)``.
_INV_R0, _INV_SQRT_MU = 14, 15
_NCON = 16


@njit(cache=True, error_model="numpy", inline="always")
def _universal(chi: float, alpha: float) -> tuple[float, float, float, float]:
    """Universal functions ``U0..U3`` at ``chi`` (Battin 1999, ch. 4: ``U_n = chi^n
    c_n(alpha chi^2)``), with the Stumpff functions ``c2``, ``c3`` from their series for
    ``|psi| < 1`` and their closed forms beyond (``1 - cos x = 2 sin^2(x/2)``; Vallado,
    4th ed., Algorithm 1), as :func:`houston.dynamics.kepler.stumpff_c2_c3`."""
    psi = chi * chi * alpha
    if abs(psi) < 1.0:
        c2 = 0.0
        c3 = 0.0
        for k in range(9, -1, -1):
            c2 = _C2_SERIES[k] - psi * c2
            c3 = _C3_SERIES[k] - psi * c3
    elif psi > 0.0:
        x = np.sqrt(psi)
        sh, ch = np.sin(0.5 * x), np.cos(0.5 * x)
        c2 = 2.0 * sh * sh / psi
        c3 = (x - 2.0 * sh * ch) / (x * psi)
    else:
        x = np.sqrt(-psi)
        sh, ch = np.sinh(0.5 * x), np.cosh(0.5 * x)
        c2 = -2.0 * sh * sh / psi
        c3 = -(2.0 * sh * ch - x) / (x * psi)
    return 1.0 - psi * c2, chi * (1.0 - psi * c3), chi * chi * c2, chi * chi * chi * c3


@njit(cache=True, error_model="numpy", inline="always")
def _shift_universal(
    u0: float, u1: float, u2: float, u3: float, h: float, alpha: float
) -> tuple[float, float, float, float]:
    """``U0..U3`` at ``chi + h`` from their values at ``chi``, for ``|alpha h^2| < 1``: the
    addition theorem of the universal functions (Battin 1999, ch. 4; for an ellipse the sum
    formulas of sine and cosine), with ``U(h)`` from the Stumpff series, as
    :func:`houston.dynamics.kepler.propagate` does. Exact up to round-off."""
    psi = h * h * alpha
    if abs(psi) < 1e-4:  # the terms left out are below 1e-17 of the first
        c2 = 0.5 - psi * (_C2_SERIES[1] - psi * _C2_SERIES[2])
        c3 = _C3_SERIES[0] - psi * (_C3_SERIES[1] - psi * _C3_SERIES[2])
    else:
        c2 = 0.0
        c3 = 0.0
        for k in range(9, -1, -1):
            c2 = _C2_SERIES[k] - psi * c2
            c3 = _C3_SERIES[k] - psi * c3
    v0 = 1.0 - psi * c2
    v1 = h * (1.0 - psi * c3)
    v2 = h * h * c2
    v3 = h * h * h * c3
    return (
        u0 * v0 - alpha * u1 * v1,
        u1 * v0 + u0 * v1,
        u2 * v0 + u1 * v1 + v2,
        u3 + u2 * v1 + u1 * v2 + v3,
    )


@njit(cache=True, error_model="numpy")
def _solve_chi(
    tau: float, r0: float, sigma0: float, alpha: float, rp: float, guess: float
) -> tuple[float, float, float, float, float]:
    """The universal variable ``chi`` of Kepler's equation ``U3 + sigma0 U2 + r0 U1 = tau``
    (``tau = sqrt(mu) dt``, ``sigma0 = r0.v0 / sqrt(mu)``) and ``U0..U3`` there: Laguerre's
    method (Conway, Celestial Mechanics 39, 1986) from ``guess`` inside the bracket
    ``0 <= chi <= tau / rp`` that shrinks at every step, bisecting whenever a step would
    leave it (the algorithm of :func:`houston.dynamics.kepler.propagate`, Vallado 4th ed.,
    Algorithm 8, without its reduction by whole periods). Stops at the residual's round-off,
    or one step after a step below 1e-8 of ``chi``. After a step of less than an eighth of
    ``chi`` the universal functions follow by the addition theorem (one such step at most
    in a row), otherwise they are evaluated afresh."""
    if tau == 0.0:
        return 0.0, 1.0, 0.0, 0.0, 0.0
    bound = tau / max(rp, _TINY)
    bound = min(max(bound, -_HUGE), _HUGE)
    lo, hi = (0.0, bound) if tau > 0.0 else (bound, 0.0)
    chi = guess if lo < guess < hi else 0.5 * (lo + hi)
    u0, u1, u2, u3 = _universal(chi, alpha)
    shifted = False
    for _ in range(_KEPLER_ITER):
        resid = u3 + sigma0 * u2 + r0 * u1 - tau
        d1 = u2 + sigma0 * u1 + r0 * u0
        d2 = sigma0 * u0 + (1.0 - alpha * r0) * u1
        finite = np.isfinite(resid) and np.isfinite(d1) and np.isfinite(d2)
        noise = 8.0 * _EPS * (abs(u3) + abs(sigma0 * u2) + abs(r0 * u1) + abs(tau))
        if finite and abs(resid) <= noise:
            break
        # F is increasing, so a value that overflowed lies beyond the root
        if (resid > 0.0) if finite else (chi > 0.0):
            hi = chi
        else:
            lo = chi
        step = 5.0 * resid / (d1 + np.sqrt(abs(16.0 * d1 * d1 - 20.0 * resid * d2)))
        new = chi - step
        ok = finite and np.isfinite(new)
        small = ok and abs(step) <= _CHI_RTOL_CUBIC * abs(chi)
        if not (small or (ok and lo <= new <= hi)):
            new = 0.5 * (lo + hi)
        done = (
            small
            or abs(new - chi) <= _CHI_RTOL * abs(new)
            or hi - lo <= _CHI_RTOL * max(abs(lo), abs(hi))
        )
        h = new - chi
        if not shifted and abs(h) <= 0.125 * abs(chi) and abs(alpha * h * h) < 1.0:
            u0, u1, u2, u3 = _shift_universal(u0, u1, u2, u3, h, alpha)
            shifted = True
        else:
            u0, u1, u2, u3 = _universal(new, alpha)
            shifted = False
        chi = new
        if done:
            break
    return chi, u0, u1, u2, u3


@njit(cache=True, error_model="numpy", inline="always")
def _next_chi(chi: float, r: float, sigma: float, alpha: float, dtau: float) -> float:
    """``chi`` at ``dtau`` (``sqrt(mu) dt``) after a point of the conic where it is ``chi``,
    the radius ``r`` and ``sigma = r.v / sqrt(mu)``: the inverse of Kepler's equation's
    Taylor series (``dF/dchi = r``, ``d2F/dchi2 = sigma``, ``d3F/dchi3 = 1 - alpha r``) to
    third order in ``q = dtau / r``."""
    inv_r = 1.0 / r
    q = dtau * inv_r
    s = sigma * inv_r
    return chi + q * (1.0 + q * (-0.5 * s + q * (0.5 * s * s - (1.0 - alpha * r) * inv_r / 6.0)))


@njit(cache=True, error_model="numpy")
def _set_conic(
    con: Array,
    v: int,
    rx: float,
    ry: float,
    rz: float,
    vx: float,
    vy: float,
    vz: float,
    t0: float,
    first: int,
    step: float,
    nodes: Array,
) -> None:
    """Row ``v`` of ``con``: the conic of a GCRF state at kernel time ``t0`` (s), about the
    Moon inside its sphere of influence, else about the Earth."""
    m0, m1, m2, m3, m4, m5 = _hermite(t0, first, step, nodes)
    ex, ey, ez = rx - m0, ry - m1, rz - m2
    dist = np.sqrt(ex * ex + ey * ey + ez * ez)
    lunar = dist < np.sqrt(m0 * m0 + m1 * m1 + m2 * m2) * _SOI_RATIO
    if lunar:
        rx, ry, rz = ex, ey, ez
        vx, vy, vz = vx - m3, vy - m4, vz - m5
        mu = MU_MOON_M3_S2
    else:
        mu = MU_EARTH_M3_S2
    r0 = np.sqrt(rx * rx + ry * ry + rz * rz)
    sqrt_mu = np.sqrt(mu)
    rv = rx * vx + ry * vy + rz * vz
    vv = vx * vx + vy * vy + vz * vz
    hx, hy, hz = ry * vz - rz * vy, rz * vx - rx * vz, rx * vy - ry * vx
    p = (hx * hx + hy * hy + hz * hz) / mu
    # periapsis radius for the bracket, from the eccentricity vector (kepler.propagate)
    k = vv - mu / r0
    qx, qy, qz = (k * rx - rv * vx) / mu, (k * ry - rv * vy) / mu, (k * rz - rv * vz) / mu
    ecc = np.sqrt(qx * qx + qy * qy + qz * qz)
    con[v, 0], con[v, 1], con[v, 2] = rx, ry, rz
    con[v, 3], con[v, 4], con[v, 5] = vx, vy, vz
    con[v, _MU] = mu
    con[v, _SQRT_MU] = sqrt_mu
    con[v, _R0] = r0
    con[v, _SIGMA0] = rv / sqrt_mu
    con[v, _ALPHA] = 2.0 / r0 - vv / mu
    con[v, _RP] = 0.999 * min(p / (1.0 + ecc), r0)
    con[v, _LUNAR] = 1.0 if lunar else 0.0
    valid = r0 > 0.0
    for c in range(_LUNAR):
        valid = valid and np.isfinite(con[v, c])
    con[v, _VALID] = 1.0 if valid else 0.0
    con[v, _INV_R0] = 1.0 / r0
    con[v, _INV_SQRT_MU] = 1.0 / sqrt_mu


@njit(cache=True, error_model="numpy", inline="always")
def _conic_at(
    con: Array, v: int, dt: float, guess: float
) -> tuple[float, float, float, float, float, float, float, float, float, float, float, float]:
    """Row ``v``'s state ``dt`` s after its start, about its central body (Lagrange's
    ``f``, ``g``; Vallado 4th ed., Algorithm 8, ``g`` from whichever of its two forms
    cancels less, as :func:`houston.dynamics.kepler.propagate`): position, velocity, the
    body's gravity, ``chi``, the radius and ``r.v / sqrt(mu)``. A state the conic cannot
    carry (a body's centre; not finite) moves in a straight line, without gravity."""
    rx, ry, rz = con[v, 0], con[v, 1], con[v, 2]
    vx, vy, vz = con[v, 3], con[v, 4], con[v, 5]
    if con[v, _VALID] != 0.0:
        sqrt_mu, r0, s0 = con[v, _SQRT_MU], con[v, _R0], con[v, _SIGMA0]
        chi, _, u1, u2, u3 = _solve_chi(sqrt_mu * dt, r0, s0, con[v, _ALPHA], con[v, _RP], guess)
        inv_r0, inv_sqrt_mu = con[v, _INV_R0], con[v, _INV_SQRT_MU]
        f = 1.0 - u2 * inv_r0
        u3_t = u3 * inv_sqrt_mu
        g_time = dt - u3_t
        g_chi = (r0 * u1 + s0 * u2) * inv_sqrt_mu
        g = g_chi if (abs(r0 * u1) + abs(s0 * u2)) * inv_sqrt_mu < abs(dt) + abs(u3_t) else g_time
        x, y, z = f * rx + g * vx, f * ry + g * vy, f * rz + g * vz
        rn = np.sqrt(x * x + y * y + z * z)
        inv_rn = 1.0 / rn
        fdot = -sqrt_mu * u1 * inv_rn * inv_r0
        gdot = 1.0 - u2 * inv_rn
        wx, wy, wz = fdot * rx + gdot * vx, fdot * ry + gdot * vy, fdot * rz + gdot * vz
        if np.isfinite(x + y + z + wx + wy + wz):
            k = -con[v, _MU] * inv_rn * inv_rn * inv_rn
            sigma = (x * wx + y * wy + z * wz) * inv_sqrt_mu
            return x, y, z, wx, wy, wz, k * x, k * y, k * z, chi, rn, sigma
    return (
        rx + vx * dt,
        ry + vy * dt,
        rz + vz * dt,
        vx,
        vy,
        vz,
        0.0,
        0.0,
        0.0,
        0.0,
        np.nan,
        np.nan,
    )


@njit(cache=True, error_model="numpy")
def _carry(
    con: Array,
    v: int,
    t0: float,
    dt: float,
    guess: float,
    first: int,
    step: float,
    nodes: Array,
) -> tuple[float, float, float, float, float, float, float, float, float, float, float, float]:
    """:func:`_conic_at` in GCRF: the Moon's state at ``t0 + dt`` added for a lunar conic."""
    x, y, z, wx, wy, wz, gx, gy, gz, chi, rn, sigma = _conic_at(con, v, dt, guess)
    if con[v, _LUNAR] != 0.0:
        m0, m1, m2, m3, m4, m5 = _hermite(t0 + dt, first, step, nodes)
        x, y, z, wx, wy, wz = x + m0, y + m1, z + m2, wx + m3, wy + m4, wz + m5
    return x, y, z, wx, wy, wz, gx, gy, gz, chi, rn, sigma


@njit(cache=True, error_model="numpy")
def _cold_chi(con: Array, v: int, dt: float) -> float:
    """A starting ``chi`` from the conic's start (:func:`_next_chi` from ``chi = 0``)."""
    return _next_chi(0.0, con[v, _R0], con[v, _SIGMA0], con[v, _ALPHA], con[v, _SQRT_MU] * dt)


@njit(cache=True, error_model="numpy")
def _set_conics(
    r: Array, v: Array, t0: float, first: int, step: float, nodes: Array, con: Array
) -> None:
    """:func:`_set_conic` for every row of ``r``, ``v`` ``(n, 3)``."""
    for i in range(r.shape[0]):
        _set_conic(
            con, i, r[i, 0], r[i, 1], r[i, 2], v[i, 0], v[i, 1], v[i, 2], t0, first, step, nodes
        )


@njit(cache=True, error_model="numpy")
def _conics_at(tau: Array, con: Array, moon: Array, p: Array, w: Array, g: Array) -> None:
    """Every conic of ``con`` ``(n, _NCON)`` at times ``tau`` ``(q, k)`` (s from the start;
    ``q`` is 1 when the rows share them) into GCRF ``p``, ``w`` ``(n, k, 3)`` (the Moon's
    state ``moon`` ``(q, k, 6)`` added for lunar rows) and the central body's gravity
    ``g``. Each from the conic's start."""
    q = tau.shape[0] - 1
    for i in range(con.shape[0]):
        iq = min(i, q)
        for j in range(tau.shape[1]):
            dt = tau[iq, j]
            x, y, z, vx, vy, vz, gx, gy, gz, _, _, _ = _conic_at(con, i, dt, _cold_chi(con, i, dt))
            if con[i, _LUNAR] != 0.0:
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
        r = np.ascontiguousarray(np.asarray(r_m, dtype=np.float64).reshape(-1, 3))
        v = np.ascontiguousarray(np.asarray(v_m_s, dtype=np.float64).reshape(-1, 3))
        self.moon = moon
        self.t0_s = float(t0_s)
        self._con = np.empty((r.shape[0], _NCON))
        _set_conics(r, v, self.t0_s, moon.first, moon.step_s, moon.nodes, self._con)
        self.lunar: NDArray[np.bool_] = self._con[:, _LUNAR] != 0.0
        self.r_c = self._con[:, _RX : _RX + 3].copy()
        self.v_c = self._con[:, _VX : _VX + 3].copy()
        self.mu = self._con[:, _MU].copy()

    def at(self, tau_s: ArrayLike, moon: Array | None = None) -> tuple[Array, Array, Array]:
        """GCRF position (m), velocity (m/s) and the central body's gravity (m/s^2) at
        ``tau_s`` seconds after ``t0_s``: ``(n, k)`` (one row of times per vehicle) or
        ``(k,)`` (the same for all), each result ``(n, k, 3)``. ``moon``: the Moon's
        position and velocity at those times, ``(k, 6)`` or ``(n, k, 6)``, if known."""
        tau = np.asarray(tau_s, dtype=np.float64)
        tau2 = np.ascontiguousarray(tau[None, :] if tau.ndim == 1 else tau)
        if moon is None:
            moon = self.moon.states(self.t0_s + tau2)
        moon = np.ascontiguousarray(np.asarray(moon, dtype=np.float64).reshape((*tau2.shape, 6)))
        shape = (self._con.shape[0], tau2.shape[1], 3)
        p, w, g = np.empty(shape), np.empty(shape), np.empty(shape)
        _conics_at(tau2, self._con, moon, p, w, g)
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


@njit(cache=True, error_model="numpy", inline="always")
def _grid_tau(j: int, steps: int, horizon: float) -> float:
    """Time of grid point ``j`` (s from the start), as ``np.linspace(0, horizon, steps + 1)``."""
    return horizon if j == steps else j * (horizon / steps)


@njit(cache=True, error_model="numpy")
def _on_grid(
    con: Array,
    v: int,
    x: float,
    t0: float,
    chi: Array,
    rad: Array,
    sig: Array,
    steps: int,
    horizon: float,
    first: int,
    step: float,
    nodes: Array,
) -> tuple[float, float, float, float, float, float, float, float, float, float, float, float]:
    """Row ``v``'s GCRF state :func:`_carry` at ``x`` s within the grid, Kepler's equation
    started from the grid point at or before ``x``."""
    j = min(max(int(x / (horizon / steps)), 0), steps)
    guess = _next_chi(
        chi[v, j],
        rad[v, j],
        sig[v, j],
        con[v, _ALPHA],
        con[v, _SQRT_MU] * (x - _grid_tau(j, steps, horizon)),
    )
    return _carry(con, v, t0, x, guess, first, step, nodes)


@njit(cache=True, error_model="numpy")
def _root(
    col: int,
    lo: float,
    hi: float,
    g_lo: float,
    g_hi: float,
    value: float,
    t0: float,
    con: Array,
    chi: Array,
    rad: Array,
    sig: Array,
    steps: int,
    horizon: float,
    first: int,
    step: float,
    nodes: Array,
    threshold: float,
    blockade: float,
) -> tuple[float, float]:
    """The root in ``[lo, hi]`` (values ``g_lo``, ``g_hi`` at the ends, of opposite signs)
    of switching function ``col``: 0 ``range - threshold``, 1 ``d.w`` (the range's
    derivative times the range), 2 ``|r_a - r_Moon| - blockade``; by Newton's method
    safeguarded by bisection (``rtsafe``, Press et al., *Numerical Recipes*, 3rd ed.,
    sec. 9.4) from the secant's point, to ``_TOL_S``. Returns the root and, for column 1,
    the range at the last point evaluated (else ``value``)."""
    neg, pos = (lo, hi) if g_lo < 0.0 else (hi, lo)
    secant = lo + (hi - lo) * g_lo / (g_lo - g_hi)
    x = secant if (np.isfinite(secant) and lo < secant < hi) else 0.5 * (lo + hi)
    for _ in range(_MAX_ITER):
        ax, ay, az, avx, avy, avz, agx, agy, agz, _, _, _ = _on_grid(
            con, 0, x, t0, chi, rad, sig, steps, horizon, first, step, nodes
        )
        if col == 2:
            m0, m1, m2, m3, m4, m5 = _hermite(t0 + x, first, step, nodes)
            ex, ey, ez = ax - m0, ay - m1, az - m2
            dist = np.sqrt(ex * ex + ey * ey + ez * ez)
            f = dist - blockade
            df = (ex * (avx - m3) + ey * (avy - m4) + ez * (avz - m5)) / dist
        else:
            bx, by, bz, bvx, bvy, bvz, bgx, bgy, bgz, _, _, _ = _on_grid(
                con, 1, x, t0, chi, rad, sig, steps, horizon, first, step, nodes
            )
            dx, dy, dz = bx - ax, by - ay, bz - az
            ux, uy, uz = bvx - avx, bvy - avy, bvz - avz
            if col == 0:
                rng = np.sqrt(dx * dx + dy * dy + dz * dz)
                f = rng - threshold
                df = (dx * ux + dy * uy + dz * uz) / rng
            else:
                value = np.sqrt(dx * dx + dy * dy + dz * dz)
                f = dx * ux + dy * uy + dz * uz
                # the Moon's acceleration is left out: it only steers the step
                df = ux * ux + uy * uy + uz * uz
                df += dx * (bgx - agx) + dy * (bgy - agy) + dz * (bgz - agz)
        if f < 0.0:
            neg = x
        else:
            pos = x
        a, b = min(neg, pos), max(neg, pos)
        nxt = x - f / df
        if not (a < nxt < b):  # also when not finite
            nxt = 0.5 * (a + b)
        done = abs(nxt - x) < _TOL_S or b - a < _TOL_S or f == 0.0
        x = nxt
        if done:
            break
    return x, value


@njit(cache=True, error_model="numpy")
def _predict_row(
    t0: float,
    ra: Array,
    va: Array,
    rb: Array,
    vb: Array,
    i: int,
    first: int,
    step: float,
    nodes: Array,
    threshold: float,
    blockade: float,
    horizon: float,
    steps: int,
    con: Array,
    chi: Array,
    rad: Array,
    sig: Array,
    rng: Array,
    dw: Array,
) -> tuple[float, float, float, float]:
    """:func:`predict` for row ``i``: time to the threshold, of the closest approach, the
    least range and the time to the blockade crossing (s from ``t0``). ``con`` ``(2,
    _NCON)``, ``chi``, ``rad``, ``sig`` ``(2, steps + 1)`` and ``rng``, ``dw`` ``(steps +
    1,)`` are work space."""
    _set_conic(
        con, 0, ra[i, 0], ra[i, 1], ra[i, 2], va[i, 0], va[i, 1], va[i, 2], t0, first, step, nodes
    )
    _set_conic(
        con, 1, rb[i, 0], rb[i, 1], rb[i, 2], vb[i, 0], vb[i, 1], vb[i, 2], t0, first, step, nodes
    )
    lunar_a = con[0, _LUNAR] != 0.0
    lunar_b = con[1, _LUNAR] != 0.0
    m = steps + 1
    entry = -1
    cross = -1
    k = 0
    side0 = 0.0
    side_prev = 0.0
    lo2 = hi2 = g_lo2 = g_hi2 = 0.0
    tau_prev = 0.0
    m0 = m1 = m2 = m3 = m4 = m5 = 0.0
    for j in range(m):
        tau = _grid_tau(j, steps, horizon)
        if j == 0:
            ga = gb = 0.0
        else:
            ga = _next_chi(
                chi[0, j - 1],
                rad[0, j - 1],
                sig[0, j - 1],
                con[0, _ALPHA],
                con[0, _SQRT_MU] * (tau - tau_prev),
            )
            gb = _next_chi(
                chi[1, j - 1],
                rad[1, j - 1],
                sig[1, j - 1],
                con[1, _ALPHA],
                con[1, _SQRT_MU] * (tau - tau_prev),
            )
        ax, ay, az, avx, avy, avz, _, _, _, chi[0, j], rad[0, j], sig[0, j] = _conic_at(
            con, 0, tau, ga
        )
        bx, by, bz, bvx, bvy, bvz, _, _, _, chi[1, j], rad[1, j], sig[1, j] = _conic_at(
            con, 1, tau, gb
        )
        if lunar_a or lunar_b or blockade > 0.0:
            m0, m1, m2, m3, m4, m5 = _hermite(t0 + tau, first, step, nodes)
        if lunar_a:
            ax, ay, az, avx, avy, avz = ax + m0, ay + m1, az + m2, avx + m3, avy + m4, avz + m5
        if lunar_b:
            bx, by, bz, bvx, bvy, bvz = bx + m0, by + m1, bz + m2, bvx + m3, bvy + m4, bvz + m5
        dx, dy, dz = bx - ax, by - ay, bz - az
        ux, uy, uz = bvx - avx, bvy - avy, bvz - avz
        rng[j] = np.sqrt(dx * dx + dy * dy + dz * dz)
        dw[j] = dx * ux + dy * uy + dz * uz
        if rng[j] < rng[k]:
            k = j
        if entry < 0 and threshold > 0.0 and rng[j] <= threshold:
            entry = j
        if blockade > 0.0 and cross < 0:
            ex, ey, ez = ax - m0, ay - m1, az - m2
            side = np.sqrt(ex * ex + ey * ey + ez * ez) - blockade
            if j == 0:
                side0 = side
            elif (side >= 0.0) != (side0 >= 0.0):
                cross = j
                lo2, hi2, g_lo2, g_hi2 = tau_prev, tau, side_prev, side
            side_prev = side
        tau_prev = tau

    args = (t0, con, chi, rad, sig, steps, horizon, first, step, nodes, threshold, blockade)
    now = entry == 0
    t_thr = np.nan
    if entry > 0:
        t_thr, _ = _root(
            0,
            _grid_tau(entry - 1, steps, horizon),
            _grid_tau(entry, steps, horizon),
            rng[entry - 1] - threshold,
            rng[entry] - threshold,
            0.0,
            *args,
        )
    # closest approach: where d.w changes sign next to the least sample
    k0 = -1
    if dw[k] < 0.0 and k < m - 1:
        k0 = k
    elif dw[k] > 0.0 and k > 0:
        k0 = k - 1
    beyond = k == m - 1 and dw[k] < 0.0
    r_ca = rng[k]
    if k0 >= 0:
        lo1 = _grid_tau(k0, steps, horizon)
        t_ca, r_ca = _root(
            1, lo1, _grid_tau(k0 + 1, steps, horizon), dw[k0], dw[k0 + 1], r_ca, *args
        )
    else:
        lo1 = t_ca = _grid_tau(k, steps, horizon)
    t_blk = np.nan
    if cross > 0:
        t_blk, _ = _root(2, lo2, hi2, g_lo2, g_hi2, 0.0, *args)
    if now:
        t_thr = 0.0
    # An entry shorter than a grid step, at the least range: between the grid point before
    # the closest approach and the closest approach.
    graze = threshold > 0.0 and not now and not beyond and r_ca <= threshold
    if graze and not (entry > 0 and t_thr <= t_ca):
        ax, ay, az, _, _, _, _, _, _, _, _, _ = _on_grid(
            con, 0, lo1, t0, chi, rad, sig, steps, horizon, first, step, nodes
        )
        bx, by, bz, _, _, _, _, _, _, _, _, _ = _on_grid(
            con, 1, lo1, t0, chi, rad, sig, steps, horizon, first, step, nodes
        )
        dx, dy, dz = bx - ax, by - ay, bz - az
        g_lo = np.sqrt(dx * dx + dy * dy + dz * dz) - threshold
        t_thr, _ = _root(0, lo1, t_ca, g_lo, r_ca - threshold, 0.0, *args)
    if beyond:
        t_ca = r_ca = np.nan
    return t_thr, t_ca, r_ca, t_blk


@njit(cache=True, error_model="numpy")
def _predict_rows(
    t0: float,
    ra: Array,
    va: Array,
    rb: Array,
    vb: Array,
    first: int,
    step: float,
    nodes: Array,
    threshold: float,
    blockade: float,
    horizon: float,
    steps: int,
    out: Array,
) -> None:
    """:func:`_predict_row` for every row, into ``out`` ``(n, 4)``."""
    con = np.empty((2, _NCON))
    chi, rad, sig = np.empty((2, steps + 1)), np.empty((2, steps + 1)), np.empty((2, steps + 1))
    rng, dw = np.empty(steps + 1), np.empty(steps + 1)
    for i in range(ra.shape[0]):
        out[i, 0], out[i, 1], out[i, 2], out[i, 3] = _predict_row(
            t0, ra, va, rb, vb, i, first, step, nodes, threshold, blockade, horizon, steps,
            con, chi, rad, sig, rng, dw,
        )  # fmt: skip


def _grid_steps(horizon_s: float, step_s: float) -> int:
    """Intervals of the prediction's grid: ``horizon_s`` in steps of at most ``step_s``."""
    return max(1, int(np.ceil(horizon_s / step_s - 1e-9)))


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

    def rows(x: ArrayLike) -> Array:
        return np.ascontiguousarray(np.asarray(x, dtype=np.float64).reshape(-1, 3))

    ra = rows(ra_m)
    out = np.empty((ra.shape[0], 4))
    _predict_rows(
        float(t0_s),
        ra,
        rows(va_m_s),
        rows(rb_m),
        rows(vb_m_s),
        moon.first,
        moon.step_s,
        moon.nodes,
        float(threshold_m),
        float(blockade_m),
        float(horizon_s),
        _grid_steps(float(horizon_s), float(step_s)),
        out,
    )
    return PairPrediction(out[:, 0].copy(), out[:, 1].copy(), out[:, 2].copy(), out[:, 3].copy())


# --- the per-frame geometry ---------------------------------------------------------------


@njit(cache=True, error_model="numpy", inline="always")
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


#: Parameters of :func:`_step`, in one array: radar range, threshold, blockade radius (m),
#: horizon, warning lead (s).
_P_RADAR, _P_THRESHOLD, _P_BLOCKADE, _P_HORIZON, _P_LEAD = 0, 1, 2, 3, 4
#: Columns of the state ``t_predicted``: entry into the threshold, closest approach,
#: blockade crossing.
_T_THRESHOLD, _T_CLOSEST, _T_BLOCKADE = 0, 1, 2
#: Columns of the state ``flags``: the geometry has been evaluated; the radar view, being
#: within the threshold and the side of the blockade line last announced; the approach
#: announced.
_F_PRIMED, _F_VIEW, _F_WITHIN, _F_INSIDE, _F_WARNED = 0, 1, 2, 3, 4


@njit(cache=True, error_model="numpy")
def _frame(
    now: Array,
    moon: tuple[float, float, float, float, float, float],
    occult_moon: bool,
    occult_earth: bool,
    par: Array,
    now_s: float,
    t1_ns: int,
    interval_ns: int,
    tm: Array,
    cause: Any,
    a_speed: Array,
    t_pred: Array,
    closest: Array,
    predicted_ns: Any,
    flags: Any,
    due: Any,
) -> tuple[bool, bool]:
    """Every row's telemetry (order of ``_TM``), the radar's ``cause`` and a's speed
    relative to the Moon, from the states ``now`` ``(4, n, 3)`` (a's position and velocity,
    b's) and the predicted instants (absolute s).

    Also, per row, whether a prediction is ``due`` (the interval has passed since the last,
    the range crossed the threshold, a crossed the blockade line, or a predicted entry or
    crossing has come without the event); the approach is no longer ``warned`` when no
    entry is predicted any more. Returns whether any row is due and whether any has
    something to announce."""
    radar_range, threshold = par[_P_RADAR], par[_P_THRESHOLD]
    blockade, lead = par[_P_BLOCKADE], par[_P_LEAD]
    moon_x, moon_y, moon_z, moon_vx, moon_vy, moon_vz = moon
    any_due = False
    any_notice = False
    for i in range(now.shape[1]):
        ax, ay, az = now[0, i, 0], now[0, i, 1], now[0, i, 2]
        avx, avy, avz = now[1, i, 0], now[1, i, 1], now[1, i, 2]
        dx, dy, dz = now[2, i, 0] - ax, now[2, i, 1] - ay, now[2, i, 2] - az
        wx, wy, wz = now[3, i, 0] - avx, now[3, i, 1] - avy, now[3, i, 2] - avz
        rng = np.sqrt(dx * dx + dy * dy + dz * dz)
        rate = (dx * wx + dy * wy + dz * wz) / rng if rng > 0.0 else 0.0
        c = _VIEW
        if occult_moon and not _segment_clear(
            ax, ay, az, dx, dy, dz, moon_x, moon_y, moon_z, R_MOON_M
        ):
            c = _MOON
        elif occult_earth and not _segment_clear(ax, ay, az, dx, dy, dz, 0.0, 0.0, 0.0, R_EARTH_M):
            c = _EARTH
        los = c == _VIEW
        if los and rng > radar_range:
            c = _RANGE
        cause[i] = c
        within = threshold > 0.0 and rng <= threshold
        mx, my, mz = ax - moon_x, ay - moon_y, az - moon_z
        md = np.sqrt(mx * mx + my * my + mz * mz)
        ux, uy, uz = avx - moon_vx, avy - moon_vy, avz - moon_vz
        a_speed[i] = np.sqrt(ux * ux + uy * uy + uz * uz)
        inside = blockade > 0.0 and md < blockade

        t_thr, t_ca, t_blk = t_pred[i, _T_THRESHOLD], t_pred[i, _T_CLOSEST], t_pred[i, _T_BLOCKADE]
        if threshold <= 0.0:
            ttt = np.inf
        elif within:
            ttt = 0.0
        elif np.isnan(t_thr):
            ttt = np.nan
        else:
            ttt = max(t_thr - now_s, 0.0)
        if np.isnan(t_ca):
            ca, tca = np.nan, np.nan
        elif t_ca > now_s:
            ca, tca = closest[i], t_ca - now_s
        else:  # the approach has passed: the vehicles separate, the least range is now
            ca, tca = rng, 0.0
        if blockade <= 0.0:
            ttb = np.inf
        elif np.isnan(t_blk):
            ttb = np.nan
        else:
            ttb = max(t_blk - now_s, 0.0)

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

        primed = flags[i, _F_PRIMED]
        reported_within, reported_inside = flags[i, _F_WITHIN], flags[i, _F_INSIDE]
        d = t1_ns - predicted_ns[i] >= interval_ns
        if primed:
            d = d or within != reported_within or inside != reported_inside
            d = d or (t_thr <= now_s and not within) or t_blk <= now_s
        if flags[i, _F_WARNED] and not within and not np.isfinite(ttt):
            flags[i, _F_WARNED] = False
        warn = (
            not flags[i, _F_WARNED]
            and not within
            and threshold > 0.0
            and lead > 0.0
            and ttt <= lead
        )
        notice = (
            not primed
            or warn
            or (c == _VIEW) != flags[i, _F_VIEW]
            or within != reported_within
            or inside != reported_inside
        )

        due[i] = d
        any_due = any_due or d
        any_notice = any_notice or notice
    return any_due, any_notice


@njit(cache=True, error_model="numpy")
def _carry_rows(
    now: Array,
    v: int,
    r: Array,
    w: Array,
    t: Array,
    t1: float,
    con: Array,
    first: int,
    step: float,
    nodes: Array,
) -> None:
    """Vehicle ``v``'s states ``r``, ``w`` ``(n, 3)`` (published at kernel times ``t``;
    NaN: now) at ``t1`` into ``now[2 v]``, ``now[2 v + 1]``: each carried on its conic when
    it is older (or newer) than ``_TIME_TOL_S``."""
    for i in range(r.shape[0]):
        x, y, z = r[i, 0], r[i, 1], r[i, 2]
        vx, vy, vz = w[i, 0], w[i, 1], w[i, 2]
        if np.isfinite(t[i]) and abs(t1 - t[i]) > _TIME_TOL_S:
            _set_conic(con, v, x, y, z, vx, vy, vz, t[i], first, step, nodes)
            dt = t1 - t[i]
            x, y, z, vx, vy, vz, _, _, _, _, _, _ = _carry(
                con, v, t[i], dt, _cold_chi(con, v, dt), first, step, nodes
            )
        now[2 * v, i, 0], now[2 * v, i, 1], now[2 * v, i, 2] = x, y, z
        now[2 * v + 1, i, 0], now[2 * v + 1, i, 1], now[2 * v + 1, i, 2] = vx, vy, vz


@njit(cache=True, error_model="numpy")
def _step(
    ra: Array,
    va: Array,
    rb: Array,
    vb: Array,
    ta: Array,
    tb: Array,
    t1: float,
    t1_ns: int,
    first: int,
    step: float,
    nodes: Array,
    par: Array,
    occult_moon: bool,
    occult_earth: bool,
    interval_ns: int,
    steps: int,
    now: Array,
    tm: Array,
    cause: Any,
    a_speed: Array,
    t_pred: Array,
    closest: Array,
    predicted_ns: Any,
    flags: Any,
) -> tuple[int, float, float]:
    """One step of every row at kernel time ``t1`` (s; ``t1_ns``): the states carried to it
    (a state published at ``ta``, ``tb`` before it is carried on its conic), into ``now``
    ``(4, n, 3)``, the geometry, a prediction where one is due (the telemetry then again).
    Returns 1 when a row has something to announce, else 0; or -1 and the span of kernel time
    the Moon's table must cover when it does not, or -2 when the inputs do not have a row per
    run (both before changing anything)."""
    horizon = par[_P_HORIZON]
    lo, hi = t1, t1 + horizon
    n = tm.shape[0]
    for a in (ra, va, rb, vb):
        if a.shape[0] != n:
            return -2, lo, hi
    if ta.shape[0] != n or tb.shape[0] != n:
        return -2, lo, hi
    for i in range(n):
        for t in (ta[i], tb[i]):
            if np.isfinite(t) and abs(t1 - t) > _TIME_TOL_S:
                lo, hi = min(lo, t), max(hi, t)
    if lo < first * step or hi > (first + nodes.shape[0] - 1) * step:
        return -1, lo, hi
    con = np.empty((2, _NCON))
    _carry_rows(now, 0, ra, va, ta, t1, con, first, step, nodes)
    _carry_rows(now, 1, rb, vb, tb, t1, con, first, step, nodes)
    moon = _hermite(t1, first, step, nodes)
    due = np.empty(n, dtype=np.bool_)
    frame = (
        now, moon, occult_moon, occult_earth, par, t1, t1_ns, interval_ns,
        tm, cause, a_speed, t_pred, closest, predicted_ns, flags, due,
    )  # fmt: skip
    any_due, notice = _frame(*frame)
    if any_due:
        m = steps + 1
        chi, rad, sig = np.empty((2, m)), np.empty((2, m)), np.empty((2, m))
        rng, dw = np.empty(m), np.empty(m)
        threshold, blockade = par[_P_THRESHOLD], par[_P_BLOCKADE]
        for i in range(n):
            if not due[i]:
                continue
            p_thr, p_ca, p_r, p_blk = _predict_row(
                t1, now[0], now[1], now[2], now[3], i, first, step, nodes, threshold, blockade,
                horizon, steps, con, chi, rad, sig, rng, dw,
            )  # fmt: skip
            t_pred[i, _T_THRESHOLD] = t1 + p_thr
            t_pred[i, _T_CLOSEST] = t1 + p_ca
            t_pred[i, _T_BLOCKADE] = t1 + p_blk
            closest[i] = p_r
            predicted_ns[i] = t1_ns
        _, notice = _frame(*frame)
    return (1 if notice else 0), lo, hi


#: The Moon's tables by epoch, shared by every pair of the process (a table is a pure
#: function of the epoch and its node times).
_TABLES: dict[tuple[float, float], MoonTable] = {}
#: Epochs whose tables are kept.
_TABLES_KEPT = 8


def _moon_table(epoch: Epoch, t_from_s: float, t_to_s: float) -> MoonTable:
    """The Moon's table of ``epoch`` over ``[t_from_s, t_to_s]``: the one built before when
    it covers the span, else a new one to ``_TABLE_MARGIN_S`` beyond."""
    key = (epoch.tai_jd1, epoch.tai_jd2)
    table = _TABLES.get(key)
    if table is None or not table.covers(t_from_s, t_to_s):
        table = MoonTable.build(epoch, t_from_s, t_to_s + _TABLE_MARGIN_S)
        _TABLES.pop(key, None)
        while len(_TABLES) >= _TABLES_KEPT:
            _TABLES.pop(next(iter(_TABLES)))
        _TABLES[key] = table
    return table


#: The inputs' type.
_F64 = np.dtype(np.float64)


def _rows(x: Any) -> Array:
    """An input ``(n, 3)`` as the compiled step takes it (float64, C-ordered, writable):
    the array itself when it is already."""
    if (
        type(x) is not np.ndarray
        or x.dtype is not _F64
        or x.ndim != 2
        or not x.flags.c_contiguous
        or not x.flags.writeable
    ):
        x = np.array(x, dtype=np.float64, order="C", ndmin=2).reshape(-1, 3)
    return x


def _times(x: Any) -> Array:
    """An input time ``(n,)`` as the compiled step takes it (as :func:`_rows`)."""
    if (
        type(x) is not np.ndarray
        or x.dtype is not _F64
        or x.ndim != 1
        or not x.flags.c_contiguous
        or not x.flags.writeable
    ):
        x = np.array(x, dtype=np.float64, order="C").reshape(-1)
    return x


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
        State(
            "t_predicted",
            "s",
            (3,),
            description="predicted entry into the threshold, closest approach and blockade "
            "crossing (kernel s; NaN: none)",
        ),
        State("closest", "m", description="predicted least range"),
        State("predicted_ns", "ns", dtype="int64", description="time of the last prediction"),
        State(
            "flags",
            "1",
            (5,),
            dtype="bool",
            description="the geometry has been evaluated; radar view, within range and "
            "blockade side last announced; the approach has been announced",
        ),
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
        self._steps = _grid_steps(self._horizon, min(float(p["prediction_step"]), self._horizon))
        self._interval_ns = round(float(p["prediction_interval"]) * NS_PER_S)
        self._par = np.zeros(5)
        self._par[[_P_RADAR, _P_THRESHOLD, _P_BLOCKADE, _P_HORIZON, _P_LEAD]] = (
            self._radar,
            self._threshold,
            self._blockade,
            self._horizon,
            self._lead,
        )
        self._a = str(p["a_name"])
        self._b = str(p["b_name"])
        n = int(batch)
        # the states at the end of the step, and the time of an unwired input's state
        self._now = np.zeros((4, n, 3))
        self._unwired = np.full(n, np.nan)
        self._table: MoonTable | None = None
        self._table_epoch: Epoch | None = None
        super().__init__(path, p, batch)

    # -- lifecycle -----------------------------------------------------------------------

    def initialize(self, ctx: StepContext) -> None:
        s = self.state
        s["tm"][:] = np.nan
        for name in ("line_of_sight", "radar_view", "within_threshold", "inside_blockade"):
            s["tm"][:, _C[name]] = 0.0
        s["cause"][:] = _VIEW
        s["a_speed"][:] = np.nan
        s["t_predicted"][:] = np.nan
        s["closest"][:] = np.nan
        s["predicted_ns"][:] = _NEVER
        s["flags"][:] = False

    def _moon(self, epoch: Epoch, t_from_s: float, t_to_s: float) -> MoonTable:
        """The Moon's table over ``[t_from_s, t_to_s]`` (:func:`_moon_table`)."""
        table = _moon_table(epoch, t_from_s, t_to_s)
        self._table, self._table_epoch = table, epoch
        return table

    def step(self, ctx: StepContext) -> None:
        epoch = ctx.epoch if ctx.epoch is not None else _J2000_EPOCH
        i = ctx.inputs
        ra, va = _rows(i["a_r_gcrf_m"]), _rows(i["a_v_gcrf_m_s"])
        rb, vb = _rows(i["b_r_gcrf_m"]), _rows(i["b_v_gcrf_m_s"])
        ta, tb = i.get("a_t_s"), i.get("b_t_s")
        ta = self._unwired if ta is None else _times(ta)
        tb = self._unwired if tb is None else _times(tb)
        s = self.state
        t1 = ctx.t1_s
        table = self._table
        if table is None or self._table_epoch is not epoch:
            table = self._moon(epoch, t1, t1 + self._horizon)
        while True:
            notice, lo, hi = _step(
                ra,
                va,
                rb,
                vb,
                ta,
                tb,
                t1,
                ctx.t1_ns,
                table.first,
                table.step_s,
                table.nodes,
                self._par,
                self._occult_moon,
                self._occult_earth,
                self._interval_ns,
                self._steps,
                self._now,
                s["tm"],
                s["cause"],
                s["a_speed"],
                s["t_predicted"],
                s["closest"],
                s["predicted_ns"],
                s["flags"],
            )
            if notice >= 0:
                break
            if notice == -2:
                raise ValueError(
                    f"{self.path}: inputs of {ra.shape[0]}, {va.shape[0]}, {rb.shape[0]}, "
                    f"{vb.shape[0]}, {ta.shape[0]} and {tb.shape[0]} rows for {self.batch} runs"
                )
            table = self._moon(epoch, lo, hi)
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
        flags = s["flags"]
        primed = flags[:, _F_PRIMED]
        a, b = self._a, self._b
        contact = view & ~flags[:, _F_VIEW]
        lost = ~view & flags[:, _F_VIEW]
        warn = (
            ~flags[:, _F_WARNED] & ~within & (self._threshold > 0.0) & (ttt <= self._lead)
            if self._lead > 0.0
            else np.zeros(self.batch, dtype=bool)
        )
        enter = within & ~flags[:, _F_WITHIN]
        leave = ~within & flags[:, _F_WITHIN]
        cross = primed & (inside != flags[:, _F_INSIDE])
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
        # a new approach is announced again after leaving the range (or once no entry is
        # predicted any more: in _geometry)
        flags[:, _F_WARNED] = (flags[:, _F_WARNED] | warn) & ~leave
        flags[:, _F_VIEW] = view
        flags[:, _F_WITHIN] = within
        flags[:, _F_INSIDE] = inside
        flags[:, _F_PRIMED] = True

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

"""The Earth and the Moon for the frame loop: full evaluations on a grid, interpolated per frame.

:func:`houston.comms.visibility.environment` evaluates, at any time, the GCRF→ITRF rotation
(IAU 2006/2000A with the IERS Earth orientation parameters, about 85 µs), the Moon's DE421
state and its IAU 2009 rotation. The link models need them at every step of every run;
this module evaluates them in full at *knots* ``KNOT_S`` (10 min) apart, one hour of
knots at once, and gives any time in between from the two neighbouring knots in one
compiled call (about 1 µs):

* **Earth**: the rotation is split as in IERS Conventions (2010), eq. 5.1:
  ``M = W · R3(ERA) · C`` with ``C`` the celestial-to-intermediate matrix (precession and
  nutation, ``erfa.c2ixys`` of the CIP ``X + dX``, ``Y + dY`` and ``s``) and ``W`` the polar
  motion (``erfa.pom00``). ``C`` and ``W`` are interpolated linearly, element by element;
  the Earth rotation angle (``ERA``, ``erfa.era00``'s formula) is evaluated exactly at the
  time, from UT1 − TAI interpolated as :func:`houston.dynamics.frames.earth_orientation`
  does (linearly between the daily rows of the IERS table, which are made knots too: the
  Earth orientation parameters are then linear between any two knots).
  Error of the linear interpolation, at most ``h² max|ẍ| / 8`` for knots ``h`` apart: the
  CIP's fastest-curving terms are the nutation's 13.66-day and 9.13-day terms (IERS
  Conventions 2010, Table 5.3a; with 27.55 d and the semi-annual term, ``|Ẍ|``, ``|Ÿ|``
  under 0.05″/day²), so under 2e-12 rad for 10 min (0.013 mm at the Earth's surface,
  0.8 mm at the Moon's distance); the test holds the matrix to 2e-12 of full evaluations
  (over four days in 1985 and in 2024, and across a row of the IERS table).
* **Moon**: position and velocity by cubic Hermite interpolation of the DE421 positions and
  velocities at the knots; error at most ``h⁴ max|r⁽⁴⁾| / 384`` (the Moon's acceleration,
  2.7e-3 m/s², turns at about twice the mean motion, ``max|r⁽⁴⁾|`` under 1e-13 m/s⁴): under
  0.1 mm (the test: 0.02 mm). The IAU 2009 angles (pole ``α0``, ``δ0``, prime meridian
  ``W``) are Hermite interpolated from their values and exact rates at the knots (periodic
  terms of 13.6 days and longer: round-off level), and the matrix and angular velocity are built from them as
  :func:`houston.dynamics.frames.moon_rotation` builds them.

The knots are at kernel times that are multiples of ``KNOT_S`` and at the IERS table's
rows, so the value at a time depends on that time alone, never on the order of the calls.

A packed environment (:data:`ROW`, 30 floats) is what the compiled link kernels read:
``earth_matrix`` (9, row major), ``earth_omega_rad_s`` (3), ``r_moon_gcrf_m`` (3),
``v_moon_gcrf_m_s`` (3), ``moon_matrix`` (9), ``moon_omega_rad_s`` (3).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from numba import njit
from numpy.typing import NDArray

from houston.core.time import NS_PER_S
from houston.dynamics import ephemeris
from houston.dynamics.frames import OMEGA_ERA_RAD_S, earth_orientation, moon_orientation

if TYPE_CHECKING:
    from houston.core.time import Epoch

__all__ = ["KNOT_S", "ROW", "SEGMENT_KNOTS", "knot_table", "packed_at"]

Array = NDArray[np.float64]

#: Spacing of the full evaluations, s.
KNOT_S = 600
#: Knot intervals evaluated together (one hour).
SEGMENT_KNOTS = 6
#: Length of a packed environment.
ROW = 30

_KNOT_NS = KNOT_S * NS_PER_S
_SEGMENT_NS = SEGMENT_KNOTS * _KNOT_NS
_NS_PER_DAY = 86_400 * NS_PER_S
_S_PER_DAY = 86_400.0
_DJ00 = 2_451_545.0
_2PI = 2.0 * math.pi


def _knot_times(epoch: Epoch, segment: int) -> NDArray[np.int64]:
    """Kernel times (ns) of the knots of hour ``segment``: every ``KNOT_S``, and each row of
    the IERS table that falls between them (where UT1 − TAI changes slope: the lines
    through the neighbouring knots meet there)."""
    t = segment * _SEGMENT_NS + np.arange(SEGMENT_KNOTS + 1, dtype=np.int64) * _KNOT_NS
    eop = earth_orientation(*ephemeris.tai_jd(epoch, t))
    u, slope = eop.ut1_minus_tai_s, eop.ut1_rate - 1.0
    h = float(KNOT_S)
    rows = []
    for k in np.flatnonzero(slope[1:] != slope[:-1]):
        dt_s = (u[k + 1] - slope[k + 1] * h - u[k]) / (slope[k] - slope[k + 1])
        row = int(t[k]) + round(dt_s * NS_PER_S)
        if t[k] < row < t[k + 1]:
            rows.append(row)
    return np.sort(np.concatenate([t, np.array(rows, dtype=np.int64)]))


def knot_table(epoch: Epoch, segment: int) -> Array:
    """Full evaluations at the knots of hour ``segment`` (kernel time ``segment * 3600 s``
    onwards, :func:`_knot_times`), ``(n_knots, 33)``: per knot ``C`` (9), ``W`` (9),
    UT1 − TAI (s), its slope to the next knot (s/s), the Moon's position (3, m) and velocity (3, m/s), the
    3-1-3 angles of the Moon's rotation (``α0 + 90°``, ``90° − δ0``, ``W``; rad, continuous
    over the segment), their rates (rad/s), and the knot's time from the segment's start
    (s)."""
    import erfa

    t = _knot_times(epoch, segment)
    tai1, tai2 = ephemeris.tai_jd(epoch, t)
    eop = earth_orientation(tai1, tai2)
    tt2 = tai2 + ephemeris.TT_MINUS_TAI_S / _S_PER_DAY
    x, y, s = erfa.xys06a(tai1, tt2)
    c = erfa.c2ixys(x + eop.dx_rad, y + eop.dy_rad, s)
    w = erfa.pom00(eop.xp_rad, eop.yp_rad, erfa.sp00(tai1, tt2))
    jd1, jd2 = ephemeris.tdb_jd(epoch, t)
    r, v = ephemeris.moon_state_gcrf(jd1, jd2)
    o = moon_orientation(jd1, jd2)
    angles = np.unwrap(
        np.stack([o.alpha0_rad + 0.5 * np.pi, 0.5 * np.pi - o.delta0_rad, o.w_rad], -1), axis=0
    )
    rates = np.stack([o.alpha0_rate_rad_s, -o.delta0_rate_rad_s, o.w_rate_rad_s], -1)
    u = eop.ut1_minus_tai_s
    t_s = (t - segment * _SEGMENT_NS) * 1e-9
    # The slope of UT1 - TAI from each knot to the next (the table's, to round-off).
    slope = np.append(np.diff(u) / np.diff(t_s), eop.ut1_rate[-1] - 1.0)
    return np.ascontiguousarray(
        np.concatenate(
            [
                c.reshape(-1, 9),
                w.reshape(-1, 9),
                u[:, None],
                slope[:, None],
                r,
                v,
                angles,
                rates,
                t_s[:, None],
            ],
            axis=-1,
        )
    )


@njit(cache=True)
def _era(d1: float, d2: float) -> float:
    """Earth rotation angle (rad) at UT1 ``d1 + d2``: ``erfa.era00``'s formula and order of
    operations (IERS Conventions 2010, eq. 5.15)."""
    if d1 < d2:
        a, b = d1, d2
    else:
        a, b = d2, d1
    t = a + (b - _DJ00)
    f = np.fmod(a, 1.0) + np.fmod(b, 1.0)
    theta = np.fmod(_2PI * (f + 0.7790572732640 + 0.00273781191135448 * t), _2PI)
    if theta < 0.0:
        theta += _2PI
    return theta


@njit(cache=True)
def interpolate(
    table: Array, t_s: float, tai1: float, tai2: float, omega_era: float, out: Array
) -> None:
    """The packed environment (module docstring) ``t_s`` seconds after the start of the
    segment of ``table`` (:func:`knot_table`), at TAI ``tai1 + tai2`` (two-part Julian
    date), into ``out`` ``(30,)``."""
    k = 0
    while k < table.shape[0] - 2 and table[k + 1, 32] <= t_s:
        k += 1
    a = table[k]
    b = table[k + 1]
    dt_s = t_s - a[32]
    h = b[32] - a[32]
    x = dt_s / h
    # Precession-nutation C and polar motion W, linear.
    c = np.empty(9)
    w = np.empty(9)
    for i in range(9):
        c[i] = a[i] + x * (b[i] - a[i])
        w[i] = a[9 + i] + x * (b[9 + i] - a[9 + i])
    # UT1 - TAI: linear between knots (the IERS table's rows are knots).
    u = a[18] + x * (b[18] - a[18])
    slope = a[19]
    era = _era(tai1, tai2 + u / 86_400.0)
    ce = math.cos(era)
    se = math.sin(era)
    # R3(ERA) C (erfa.rz), then W times it (erfa.c2tcio).
    r = np.empty(9)
    for j in range(3):
        r[j] = ce * c[j] + se * c[3 + j]
        r[3 + j] = -se * c[j] + ce * c[3 + j]
        r[6 + j] = c[6 + j]
    for i in range(3):
        for j in range(3):
            out[3 * i + j] = w[3 * i] * r[j] + w[3 * i + 1] * r[3 + j] + w[3 * i + 2] * r[6 + j]
    rate = omega_era * (1.0 + slope)
    for i in range(3):
        out[9 + i] = w[3 * i + 2] * rate
    # Moon: cubic Hermite on positions and velocities, angles and rates.
    x2 = x * x
    x3 = x2 * x
    h00 = 2.0 * x3 - 3.0 * x2 + 1.0
    h10 = (x3 - 2.0 * x2 + x) * h
    h01 = -2.0 * x3 + 3.0 * x2
    h11 = (x3 - x2) * h
    d00 = (6.0 * x2 - 6.0 * x) / h
    d10 = 3.0 * x2 - 4.0 * x + 1.0
    d01 = -d00
    d11 = 3.0 * x2 - 2.0 * x
    for i in range(3):
        p0, v0, p1, v1 = a[20 + i], a[23 + i], b[20 + i], b[23 + i]
        out[12 + i] = h00 * p0 + h10 * v0 + h01 * p1 + h11 * v1
        out[15 + i] = d00 * p0 + d10 * v0 + d01 * p1 + d11 * v1
    ang = np.empty(3)
    dang = np.empty(3)
    for i in range(3):
        p0, v0, p1, v1 = a[26 + i], a[29 + i], b[26 + i], b[29 + i]
        ang[i] = h00 * p0 + h10 * v0 + h01 * p1 + h11 * v1
        dang[i] = d00 * p0 + d10 * v0 + d01 * p1 + d11 * v1
    # houston.dynamics.frames.moon_rotation: R3(psi) R1(theta) R3(phi).
    sf, cf = math.sin(ang[0]), math.cos(ang[0])
    st, ct = math.sin(ang[1]), math.cos(ang[1])
    sp, cp = math.sin(ang[2]), math.cos(ang[2])
    out[18] = cp * cf - sp * ct * sf
    out[19] = cp * sf + sp * ct * cf
    out[20] = sp * st
    out[21] = -sp * cf - cp * ct * sf
    out[22] = -sp * sf + cp * ct * cf
    out[23] = cp * st
    out[24] = st * sf
    out[25] = -st * cf
    out[26] = ct
    out[27] = dang[0] * st * sp + dang[1] * cp
    out[28] = dang[0] * st * cp - dang[1] * sp
    out[29] = dang[0] * ct + dang[2]


_TABLES: dict[tuple[float, float, int], Array] = {}
_ROWS: dict[tuple[float, float, int], Array] = {}
_CACHE_SIZE = 8
#: The last (epoch, time, environment) given: the other link models of the same frame.
_last: tuple[object, int, Array] = (None, 0, np.empty(0))


def _table(epoch: Epoch, segment: int) -> Array:
    key = (epoch.tai_jd1, epoch.tai_jd2, segment)
    tab = _TABLES.get(key)
    if tab is None:
        if len(_TABLES) >= _CACHE_SIZE:
            del _TABLES[next(iter(_TABLES))]
        tab = _TABLES[key] = knot_table(epoch, segment)
    return tab


@njit(cache=True)
def _at(table: Array, t_ns: int, segment_ns: int, tai1: float, tai2: float, out: Array) -> None:
    """:func:`interpolate` at kernel time ``t_ns`` of the segment starting at
    ``segment_ns``, for an epoch at TAI ``tai1 + tai2``: the time split as
    :func:`houston.dynamics.ephemeris.tai_jd` splits it (whole days, then seconds), to the
    same rounding."""
    days = t_ns // _NS_PER_DAY
    day_ns = t_ns - days * _NS_PER_DAY
    sec = day_ns // NS_PER_S
    rest = t_ns - segment_ns
    t_s = float(rest // NS_PER_S) + float(rest % NS_PER_S) * 1.0e-9
    interpolate(
        table,
        t_s,
        tai1 + float(days),
        tai2 + (float(sec) + float(day_ns - sec * NS_PER_S) * 1.0e-9) / _S_PER_DAY,
        OMEGA_ERA_RAD_S,
        out,
    )


def packed_at(epoch: Epoch, t_ns: int) -> Array:
    """The packed environment at kernel time ``t_ns`` (integer ns since ``epoch``),
    ``(30,)``, read-only; the last few are kept, so that every link model of a frame shares
    one evaluation."""
    global _last
    t = int(t_ns)
    last_epoch, last_t, last_row = _last
    if last_t == t and last_epoch is epoch:
        return last_row
    key = (epoch.tai_jd1, epoch.tai_jd2, t)
    kept = _ROWS.get(key)
    if kept is not None:
        _last = (epoch, t, kept)
        return kept
    segment = t // _SEGMENT_NS
    row = np.empty(ROW)
    _at(_table(epoch, segment), t, segment * _SEGMENT_NS, epoch.tai_jd1, epoch.tai_jd2, row)
    row.flags.writeable = False
    if len(_ROWS) >= _CACHE_SIZE:
        del _ROWS[next(iter(_ROWS))]
    _ROWS[key] = row
    _last = (epoch, t, row)
    return row

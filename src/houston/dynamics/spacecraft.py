"""A spacecraft for the kernel: Cowell propagation under declared forces, with impulsive burns.

``vehicle.spacecraft`` carries a state vector about the Earth or the Moon, propagates it with
:class:`houston.dynamics.cowell.Propagator` (DOP853 with dense output) under the forces its
parameters choose, accepts impulsive burns, and publishes its position and velocity for other
models and its ground track and osculating elements as telemetry.

Initial state, at the scenario epoch, in exactly one of three forms:

* orbital elements: ``perigee_altitude`` and ``apogee_altitude`` (above the body's equatorial
  radius), ``inclination``, ``raan``, ``arg_perigee``, ``true_anomaly`` (the angles default
  to 0), as for ``vehicle.two_body``;
* a state vector ``r``, ``v`` in the central body's inertial frame (below);
* a two-line element set ``tle_line1``, ``tle_line2`` (Earth only), propagated by SGP4 to the
  scenario epoch and turned into GCRF by :func:`houston.dynamics.tle.state_from_tle`.

Giving none selects a circular 400 km orbit (elements, all angles 0); giving more than one,
or half of one, is an error.

Frames. Positions and velocities (``r``, ``v``, the outputs ``r_m`` and ``v_m_s``) are
relative to the central body in inertial axes: GCRF for the Earth, ICRF axes for the Moon
(Moon-centred inertial). ``r_gcrf_m`` and ``v_gcrf_m_s`` are relative to the Earth's centre
in GCRF axes for every vehicle (the DE421 Moon state is added for lunar ones), so that links
and radar geometry use one frame. Orbital elements, in and out, are taken in GCRF axes for
the Earth and, for the Moon, in the Moon's equatorial frame of the epoch: z along the IAU
WGCCRE 2009 pole (Archinal et al. 2011) at the scenario epoch, x towards the ascending node of
the lunar equator on the ICRF equator (right ascension ``alpha0 + 90 deg``), so that a polar
lunar orbit has an inclination of 90 deg.

Forces (:mod:`houston.dynamics.forces`): the central body's point mass; the Earth's zonal
harmonics J2 to J4 (EGM96, ``houston.core.constants``) to ``zonal_degree``, about the Earth's
pole at the epoch (the ITRF z axis in GCRF from :func:`houston.dynamics.frames.earth_rotation`,
which follows precession, nutation and polar motion: in 2024 it is 484 arcsec from the GCRF z
axis). The pole is held fixed during a run; it moves by 0.06 arcsec in a day, 1.1 arcsec in a
month and 22 arcsec in a year. For the Moon, a J2 term only if ``moon_j2`` is given (no lunar
value is built in), about the IAU pole at the epoch, with the reference radius 1738 km of the
GRAIL gravity models (GRGM900C, Lemoine et al. 2014; GL0900D, Konopliv et al. 2014). Third
bodies from DE421 (:mod:`houston.dynamics.ephemeris`), sampled hourly by the propagator. Drag
(Earth only) with the Harris-Priester (Sun from DE421) or exponential atmosphere and
``Cd A / m`` from ``drag_coefficient``, ``drag_area`` and the current mass.

Burns are impulsive, at the time of the command (the time the vehicle was last stepped to),
in the vehicle's LVLH frame (x radial out, y along-track, z orbit normal) or in inertial axes;
with ``isp > 0`` the mass drops by the rocket equation ``m1 = m0 exp(-|dv| / (g0 Isp))``.

Guidance. Another model (a rendezvous computer, ``vehicle.rendezvous``) may command burns
through two optional inputs: ``guidance_dv_m_s``, a Δv in the central body's inertial axes,
and ``guidance_burn_seq``, a counter. When a run's counter rises above the last one applied,
the Δv is applied at the start of the vehicle's step, at the time of the state the vehicle
last published (its output ``t_s``), exactly as the ``burn_inertial`` command does (with the
propellant it uses); with the ``propulsion_lost`` failure the burn is refused and reported.
A guidance model placed before the vehicle in the scenario reads the vehicle's state of the
previous step (time ``t_s``) and the burn is applied at that same time; placed after it, it
reads the state at the end of the step and the burn is applied at the start of the next step,
again at that time. Either way the burn is made at the instant of the state it was computed
from; the vehicle's ``t_s`` output tells the guidance model which instant that is.

Batches. Every run of a batch is a row of one propagation, and the rows share their step
sizes (the error of the worst row sets them; see :mod:`houston.dynamics.cowell`). A row of a
batch therefore equals the same run made alone only to within the integration tolerance, not
bit for bit: after one 400 km orbit at the default ``rtol`` the difference is well under a
millimetre (the tests check 1 mm). A burn on some runs restarts the integration for all.

State. Everything the propagation needs is in ``self.state`` (the fields of
:class:`houston.dynamics.cowell.StepperState`; its scalars, shared by the batch, are stored as
``(batch,)`` arrays holding one value) together with the position, velocity and mass at the
current time, the time in integer nanoseconds and the scenario epoch, so that outputs and
telemetry are functions of the state and a restored checkpoint continues bit for bit.

Body-fixed coordinates. The Earth's GCRF-to-ITRF rotation (IAU 2006/2000A with IERS Earth
orientation, :func:`houston.dynamics.frames.earth_rotation`, about 85 us a call) is evaluated
exactly on a grid of times every ``ROTATION_GRID_NS`` (60 s), keyed on ``floor(t / 60 s)`` so
that a restored run recomputes the same matrices; in between, the frame is turned by the angle
``|omega| (t - t_k)`` about the rotation axis ``omega`` of the grid point (the Celestial
Intermediate Pole in ITRF axes, rate ``OMEGA_ERA * dUT1/dTAI``), which carries polar motion and
the length of day exactly. What is left out is the motion of the pole in GCRF within 60 s
(precession and nutation, below 2e-11 rad/s): at most 1.2e-9 rad, 9 mm at 7,000 km and 5 cm
at geostationary distance. The grid points' CIP coordinates X, Y and CIO locator s are
evaluated every 20 grid points and interpolated by a cubic in between
(``CIP_NODE_SPACING``): the matrices differ from the exact chain by at most 3e-16 per element
(about 2e-9 m at 7,000 km), for a seventh of the cost. Over a day (2024 March 20) the
largest angle between this rotation and the exact one is 2.3e-10 rad (1.6 mm at 7,000 km);
the tests allow 1e-9 rad.
The Moon-fixed frame (IAU 2009) is done the same way with
:func:`houston.dynamics.frames.moon_rotation`: there what is left out is the change of the
rotation vector within 60 s (physical librations), and the largest angle over the same day is
2.8e-12 rad (5 um at 1,840 km). The Moon's GCRF state for
``r_gcrf_m`` is a cubic Hermite interpolation of the DE421 positions and velocities on the
same grid: within 1e-6 m of DE421, the size of the difference between the ephemeris's TDB
seconds and the kernel's TAI seconds (1.6e-8) over 60 s. These grid values are pure
functions of time, cached outside the state; the Earth's and the Moon's rotations, the Moon's
states and its Hermite coefficients are evaluated an hour of grid points at a time
(``GRID_BLOCK``), in one vectorised call that gives the same values as one point at a time,
and shared by the vehicles about the body. The interpolation and the sum ``r + r_moon`` are
one compiled call with the arithmetic of numpy's matrix product (the same values).

Cost (one core of the 2-core development machine, 1 s frames, a step with its outputs and
telemetry, averaged over an orbit so that the exact rotations and the integration steps, one
every 115 s at the default ``rtol``, are included; ``python bench/dynamics.py frame``): 2.8 us
per frame at batch 1 for a 400 km orbit with J2 (the same with J4, Moon, Sun and drag, whose
costs are in the rare integration steps), 3.0 us for a 100 km lunar orbit (the Moon's
interpolated state), 0.44 ms at batch 1,000 (0.41 us per run in the telemetry). A step that
ends inside the integrator's last step is one compiled interpolation of its dense output
(the same values as :meth:`houston.dynamics.cowell.Propagator.advance`); the telemetry is one
compiled call, which picks the grid point's rotation from the hour's block itself (the block,
the elements' axes and the body's constants are packed once an hour).

Telemetry is computed by one compiled function: WGS-84 geodetic latitude, longitude and height
for the Earth, by the fixed-point iteration ``tan(lat) = (z + e^2 N(lat) sin(lat)) / p``, each
pass dividing the error by about ``1/e^2 = 150``, until it stops changing (round trips
through :func:`houston.dynamics.frames.geodetic_to_ecef` close to 4e-16 rad and 1.2e-7 m from
50 km below the surface to 400,000 km, poles included); selenographic coordinates on the
1737.4 km sphere for the Moon; and the osculating elements with the conventions of
:func:`houston.dynamics.elements.rv_to_coe` (Vallado 4th ed., Algorithm 9) for circular and
equatorial orbits. Perigee and apogee
altitudes are above the equatorial radius (6378.137 km; the Moon's 1737.4 km), while
``altitude_m`` is the geodetic height, so at high latitude they differ by up to 21 km.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np
from numba import njit, types
from numba.extending import intrinsic
from numpy.typing import NDArray

from houston.core.compiled import compiled_for
from houston.core.constants import (
    F_EARTH,
    J2_EARTH,
    J3_EARTH,
    J4_EARTH,
    MU_EARTH_M3_S2,
    MU_MOON_M3_S2,
    MU_SUN_M3_S2,
    R_EARTH_M,
    R_MOON_M,
)
from houston.core.model import (
    Command,
    CommandRejected,
    Failure,
    Model,
    Param,
    Signal,
    State,
    StepContext,
    Telemetry,
)
from houston.core.time import NS_PER_S, Epoch
from houston.dynamics.cowell import N_COEF as _N_COEF
from houston.dynamics.cowell import StepperState

Array = NDArray[np.float64]

BODIES = {"earth": (MU_EARTH_M3_S2, R_EARTH_M), "moon": (MU_MOON_M3_S2, R_MOON_M)}

#: Spacing of the exact body-fixed rotations (and Moon states), ns.
ROTATION_GRID_NS = 60 * NS_PER_S
#: Reference radius of the lunar J2 term (m): that of the Lunar Prospector and GRAIL models.
MOON_GRAVITY_RADIUS_M = 1_738_000.0
#: The orbit used when no initial state is given: circular, this high (m).
DEFAULT_ALTITUDE_M = 400e3
#: Epoch assumed when a context carries none (a model driven outside a session): J2000.0,
#: 2000-01-01T12:00:00 TT.
J2000_EPOCH = Epoch(2_451_545.0, -32.184 / 86_400.0, "2000-01-01T11:58:55.816Z")

#: Fields of ``cowell.StepperState``: the scalars shared by the batch, and the arrays.
_SCALARS = ("t_s", "h_s", "direction", "seg_t0_s", "seg_h_s", "steps", "evaluations", "t_out_s")
_ARRAYS = ("y", "f", "seg_coef")
#: Rows of the integrated state: position, velocity, mass.
_N = 7
#: Why a burn is refused with the ``propulsion_lost`` failure.
_NO_PROPULSION = "propulsion failed: the engine cannot fire"

_ELEMENT_PARAMS = (
    "perigee_altitude",
    "apogee_altitude",
    "inclination",
    "raan",
    "arg_perigee",
    "true_anomaly",
)


# --- grid values: pure functions of the epoch and the grid index ------------------------------


#: Grid points evaluated together by one call of the ephemeris or of the Earth's rotation
#: (for the Moon's states about 7 us a point instead of 45 us for one; for the Earth's
#: rotation about 30 us instead of 85 us). Blocks start at whole multiples, so that a
#: restored run evaluates the same calls.
GRID_BLOCK = 60


#: Grid points between the exact evaluations of the IAU 2006/2000A CIP coordinates X, Y and
#: the CIO locator s in a block (``_earth_block``); cubic interpolation in between.
CIP_NODE_SPACING = 20


@lru_cache(maxsize=8)
def _earth_block(tai1: float, tai2: float, kb: int) -> tuple[Array, Array]:
    """GCRF->ITRF matrices ``(GRID_BLOCK, 3, 3)`` and rotation vectors (ITRF axes) at the
    grid points ``kb * GRID_BLOCK`` to ``(kb + 1) * GRID_BLOCK - 1``.

    The CIP's X, Y and the CIO locator s (``erfa.xys06a``, 28 us a point, nearly all the cost)
    are evaluated every ``CIP_NODE_SPACING`` grid points, the block's end included, and
    interpolated by the cubic through those four: the shortest periods of the series (about
    5 days) leave an error below 1e-16 rad, under the rounding of the matrices' elements.
    The rest of the chain (UT1, polar motion, the Earth rotation angle) is exact at every
    point."""
    import erfa

    from houston.dynamics.ephemeris import TT_MINUS_TAI_S, tai_jd
    from houston.dynamics.frames import earth_rotation

    epoch = Epoch(tai1, tai2, "")
    k = np.arange(kb * GRID_BLOCK, (kb + 1) * GRID_BLOCK, dtype=np.int64)
    nodes = kb * GRID_BLOCK + CIP_NODE_SPACING * np.arange(4, dtype=np.int64)
    n1, n2 = tai_jd(epoch, nodes * ROTATION_GRID_NS)
    cip = np.stack(erfa.xys06a(n1, n2 + TT_MINUS_TAI_S / 86_400.0))  # (3, 4)
    u = (k - nodes[0]) / CIP_NODE_SPACING
    weights = np.stack(
        [
            -(u - 1.0) * (u - 2.0) * (u - 3.0) / 6.0,
            u * (u - 2.0) * (u - 3.0) / 2.0,
            -u * (u - 1.0) * (u - 3.0) / 2.0,
            u * (u - 1.0) * (u - 2.0) / 6.0,
        ]
    )  # (4, GRID_BLOCK): exactly 1 and 0 at the nodes
    x, y, s = (
        (cip[:, 0:1] * weights[0] + cip[:, 1:2] * weights[1]) + cip[:, 2:3] * weights[2]
    ) + cip[:, 3:4] * weights[3]
    rot = earth_rotation(epoch, k * ROTATION_GRID_NS, xys=(x, y, s))
    return np.asarray(rot.matrix), np.asarray(rot.omega_rad_s)


@lru_cache(maxsize=8)
def _tdb_block(tai1: float, tai2: float, kb: int) -> tuple[Array, Array]:
    """TDB Julian dates (two parts) of the grid points ``kb * GRID_BLOCK`` to
    ``(kb + 1) * GRID_BLOCK - 1``, for the Moon's rotations and states (the TDB - TT series
    is most of their cost)."""
    from houston.dynamics.ephemeris import tdb_jd

    k = np.arange(kb * GRID_BLOCK, (kb + 1) * GRID_BLOCK, dtype=np.int64)
    return tdb_jd(Epoch(tai1, tai2, ""), k * ROTATION_GRID_NS)


@lru_cache(maxsize=8)
def _moon_rot_block(tai1: float, tai2: float, kb: int) -> tuple[Array, Array]:
    """MCI->Moon-fixed matrices ``(GRID_BLOCK, 3, 3)`` and rotation vectors (Moon-fixed axes)
    at the grid points ``kb * GRID_BLOCK`` to ``(kb + 1) * GRID_BLOCK - 1``, in one call."""
    from houston.dynamics.frames import moon_rotation

    rot = moon_rotation(*_tdb_block(tai1, tai2, kb))
    return np.asarray(rot.matrix), np.asarray(rot.omega_rad_s)


@lru_cache(maxsize=16)
def _grid_block(body: str, tai1: float, tai2: float, kb: int) -> Array:
    """The telemetry's frame values for the grid points of block ``kb``, ``(GRID_BLOCK, 12)``:
    each point's inertial->body-fixed matrix (row by row) and rotation vector (fixed axes),
    shared by the vehicles about the body."""
    block = _earth_block if body == "earth" else _moon_rot_block
    m, w = block(tai1, tai2, kb)
    return np.ascontiguousarray(np.concatenate([m.reshape(GRID_BLOCK, 9), w], axis=1))


def _grid(body: str, tai1: float, tai2: float, k: int) -> tuple[Array, Array]:
    """Inertial->body-fixed matrix and rotation vector (fixed axes) at grid point ``k``."""
    kb, i = divmod(k, GRID_BLOCK)
    row = _grid_block(body, tai1, tai2, kb)[i]
    return row[:9].reshape(3, 3).copy(), row[9:].copy()


@lru_cache(maxsize=8)
def _moon_block(tai1: float, tai2: float, kb: int) -> tuple[Array, Array]:
    """The Moon's GCRF positions (m) and velocities (m/s) at the grid points
    ``kb * GRID_BLOCK`` to ``(kb + 1) * GRID_BLOCK - 1`` (DE421), ``(GRID_BLOCK, 3)`` each."""
    from houston.dynamics.ephemeris import moon_state_gcrf

    r, v = moon_state_gcrf(*_tdb_block(tai1, tai2, kb))
    return np.asarray(r, dtype=float), np.asarray(v, dtype=float)


@lru_cache(maxsize=8)
def _moon_hermite_block(tai1: float, tai2: float, kb: int) -> tuple[Array, Array]:
    """Power-basis coefficients ``(GRID_BLOCK, 4, 3)`` of the cubic Hermite interpolants of the
    Moon's GCRF position between the grid points of block ``kb`` and the next ones, in
    ``s = (t - t_k) / h``, and ``(GRID_BLOCK, 3, 3)`` of their time derivatives. Each row is
    computed element by element, so it holds the same values as one interval at a time."""
    r, v = _moon_block(tai1, tai2, kb)
    r_next, v_next = _moon_block(tai1, tai2, kb + 1)
    r_all = np.concatenate([r, r_next[:1]])
    v_all = np.concatenate([v, v_next[:1]])
    r0, v0, r1, v1 = r_all[:-1], v_all[:-1], r_all[1:], v_all[1:]
    h = ROTATION_GRID_NS * 1e-9
    c2 = -3.0 * r0 - 2.0 * h * v0 + 3.0 * r1 - h * v1
    c3 = 2.0 * r0 + h * v0 - 2.0 * r1 + h * v1
    c_r = np.ascontiguousarray(np.stack([r0, h * v0, c2, c3], axis=1))
    c_v = np.ascontiguousarray(np.stack([v0, 2.0 * c2 / h, 3.0 * c3 / h], axis=1))
    return c_r, c_v


def moon_state_gcrf_at(epoch: Epoch, t_ns: int) -> tuple[Array, Array]:
    """The Moon's GCRF position (m) and velocity (m/s) at kernel time ``t_ns``, ``(3,)`` each:
    cubic Hermite interpolation of the DE421 states at the grid points around it, within
    1e-6 m of DE421 (see the module docstring)."""
    t = int(t_ns)
    kb = t // (GRID_BLOCK * ROTATION_GRID_NS)
    c_r, c_v = _moon_hermite_block(epoch.tai_jd1, epoch.tai_jd2, kb)
    block_ns = np.array([1, kb * GRID_BLOCK * ROTATION_GRID_NS], dtype=np.int64)
    zero = np.zeros((1, 3))
    r, v = np.empty((1, 3)), np.empty((1, 3))
    _moon_gcrf(c_r, c_v, block_ns, np.array([t], dtype=np.int64), zero, zero, r, v)
    return r[0], v[0]


def body_fixed_matrix(body: str, epoch: Epoch, t_ns: int) -> Array:
    """Inertial->body-fixed matrix at ``t_ns`` as the telemetry computes it: exact at the
    grid point ``floor(t / 60 s)``, then turned about its rotation vector (module docstring)."""
    k, rem = divmod(int(t_ns), ROTATION_GRID_NS)
    m, w = _grid(body, epoch.tai_jd1, epoch.tai_jd2, k)
    wn = float(np.linalg.norm(w))
    n = w / wn
    theta = wn * rem * 1e-9
    skew = np.array([[0.0, -n[2], n[1]], [n[2], 0.0, -n[0]], [-n[1], n[0], 0.0]])
    turn = np.eye(3) - np.sin(theta) * skew + (1.0 - np.cos(theta)) * (skew @ skew)
    out: Array = turn @ m
    return out


def _ephemeris_source(name: str, epoch: Epoch) -> Any:
    """Position (m) of a body as a callable of seconds since the epoch, for ``ThirdBody``."""
    from houston.dynamics import ephemeris

    fn = {
        "moon_gcrf": ephemeris.moon_position_gcrf,
        "sun_gcrf": ephemeris.sun_position_gcrf,
        "earth_mci": ephemeris.earth_position_mci,
        "sun_mci": ephemeris.sun_position_mci,
    }[name]

    def position(t_s: Array) -> Array:
        t_ns = np.round(np.asarray(t_s, dtype=float) * 1e9).astype(np.int64)
        return fn(*ephemeris.tdb_jd(epoch, t_ns))

    return position


def moon_equator_matrix(epoch: Epoch) -> Array:
    """ICRF -> the Moon's equatorial frame of the epoch, ``R1(90 deg - delta0) R3(90 deg +
    alpha0)`` with the IAU 2009 pole at the epoch (rows: node, 90 deg along the equator,
    pole)."""
    from houston.dynamics.ephemeris import tdb_jd
    from houston.dynamics.frames import moon_orientation

    o = moon_orientation(*tdb_jd(epoch, 0))
    a, d = float(o.alpha0_rad) + 0.5 * np.pi, 0.5 * np.pi - float(o.delta0_rad)
    ca, sa, cd, sd = np.cos(a), np.sin(a), np.cos(d), np.sin(d)
    r3 = np.array([[ca, sa, 0.0], [-sa, ca, 0.0], [0.0, 0.0, 1.0]])
    r1 = np.array([[1.0, 0.0, 0.0], [0.0, cd, sd], [0.0, -sd, cd]])
    out: Array = r1 @ r3
    return out


# --- telemetry kernel -------------------------------------------------------------------------

_SMALL = 1.0e-10
_TWO_PI = 2.0 * np.pi
#: Layout of the telemetry's packed constants (``Spacecraft._geo``): the elements' axes (row by
#: row), mu, the equatorial radius and the flattening. The frame values of each grid point
#: are the rows of ``_grid_block``: the matrix (row by row, ``_B_ROT``) and rotation vector.
_G_ELEMENTS, _G_MU, _G_RADIUS, _G_FLATTENING = 0, 9, 10, 11
_G_SIZE = 12
_B_ROT, _B_OMEGA = 0, 9
#: The span of one block of grid points, ns.
_BLOCK_NS = GRID_BLOCK * ROTATION_GRID_NS


def _fma_typer(typingctx: Any, a: Any, b: Any, c: Any) -> Any:
    """``_fma(a, b, c)``: ``a * b + c`` rounded once (the fused multiply-add instruction, or
    the C library's exact ``fma``), for compiled code."""
    sig = types.float64(types.float64, types.float64, types.float64)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return builder.fma(*args)

    return sig, codegen


_fma: Any = intrinsic(_fma_typer)


@njit(cache=True, error_model="numpy")
def _moon_gcrf(
    c_r: Array,
    c_v: Array,
    block_ns: Any,
    t_ns: Any,
    r: Array,
    v: Array,
    r_out: Array,
    v_out: Array,
) -> bool:
    """``r + r_moon`` and ``v + v_moon`` into ``r_out``, ``v_out`` (every row), with the Moon's
    GCRF state at ``t_ns[0]`` interpolated from the Hermite coefficients of the block
    (``_moon_hermite_block``) that starts at ``block_ns[1]``; False (nothing written) when the
    time is outside that block or nothing is packed (``block_ns[0] == 0``).

    The arithmetic is that of numpy's product ``[1, s, s^2, s^3] @ c`` (``[1, s, s^2] @ c``
    for the velocity) as OpenBLAS's ``dgemv`` evaluates it for these shapes (pairs of fused
    multiply-adds, then their sum; a chain of fused multiply-adds for three terms), so that
    the values are those of the numpy formulation to the last bit.
    """
    rem_b = t_ns[0] - block_ns[1]
    if block_ns[0] == 0 or rem_b < 0 or rem_b >= _BLOCK_NS:
        return False
    i = rem_b // ROTATION_GRID_NS
    s = (rem_b - i * ROTATION_GRID_NS) / ROTATION_GRID_NS
    s2 = s * s
    s3 = s2 * s
    for j in range(3):
        pr = 0.0 + _fma(c_r[i, 0, j], 1.0, c_r[i, 1, j] * s)
        pr = pr + _fma(c_r[i, 2, j], s2, c_r[i, 3, j] * s3)
        pv = _fma(c_v[i, 2, j], s2, _fma(c_v[i, 1, j], s, _fma(c_v[i, 0, j], 1.0, 0.0)))
        for b in range(r.shape[0]):
            r_out[b, j] = r[b, j] + pr
            v_out[b, j] = v[b, j] + pv
    return True


@njit(cache=True, error_model="numpy")
def _angle_about(
    ax: float,
    ay: float,
    az: float,
    bx: float,
    by: float,
    bz: float,
    nx: float,
    ny: float,
    nz: float,
) -> float:
    """Angle from a to b about the unit vector n, in [0, 2 pi)."""
    cx = ay * bz - az * by
    cy = az * bx - ax * bz
    cz = ax * by - ay * bx
    ang = np.arctan2(cx * nx + cy * ny + cz * nz, ax * bx + ay * by + az * bz)
    if ang < 0.0:
        ang += _TWO_PI
    if ang >= _TWO_PI:
        ang -= _TWO_PI
    return ang


@njit(cache=True, error_model="numpy")
def _telemetry(
    r: Array,
    v: Array,
    mass: Array,
    dv_used: Array,
    burns: Any,
    failed: Any,
    geo: Array,
    blk: Array,
    grid_ns: Any,
    t_ns: Any,
    out: Array,
) -> bool:
    """Every telemetry column of every row (order of ``Spacecraft.telemetry``), the state
    vector's six included; False (nothing written) when the time ``t_ns[0]`` is not in the
    block of grid points that ``blk`` was packed for.

    ``blk`` holds each grid point's inertial->body-fixed matrix and rotation vector (fixed
    axes, rad/s; ``_grid_block``); ``geo`` packs (``_G_*``) the matrix from inertial axes to
    those of the elements, the gravitational parameter, the equatorial radius and the
    flattening (0: a sphere); ``grid_ns`` is (1 once packed, the block's first grid time in
    ns).
    """
    rem_b = t_ns[0] - grid_ns[1]
    if grid_ns[0] == 0 or rem_b < 0 or rem_b >= _BLOCK_NS:
        return False
    k = rem_b // ROTATION_GRID_NS
    rem = rem_b - k * ROTATION_GRID_NS
    dt_s = rem * 1e-9
    mu = geo[_G_MU]
    r_eq = geo[_G_RADIUS]
    flattening = geo[_G_FLATTENING]
    o0, o1, o2 = blk[k, _B_OMEGA], blk[k, _B_OMEGA + 1], blk[k, _B_OMEGA + 2]
    wn = np.sqrt(o0**2 + o1**2 + o2**2)
    nx, ny, nz = o0 / wn, o1 / wn, o2 / wn
    th = wn * dt_s
    ct, st = np.cos(th), np.sin(th)
    e2 = flattening * (2.0 - flattening)
    for b in range(r.shape[0]):
        # body-fixed position: the grid rotation, then the turn since the grid point
        x0 = (
            blk[k, _B_ROT + 0] * r[b, 0]
            + blk[k, _B_ROT + 1] * r[b, 1]
            + blk[k, _B_ROT + 2] * r[b, 2]
        )
        y0 = (
            blk[k, _B_ROT + 3] * r[b, 0]
            + blk[k, _B_ROT + 4] * r[b, 1]
            + blk[k, _B_ROT + 5] * r[b, 2]
        )
        z0 = (
            blk[k, _B_ROT + 6] * r[b, 0]
            + blk[k, _B_ROT + 7] * r[b, 1]
            + blk[k, _B_ROT + 8] * r[b, 2]
        )
        nd = nx * x0 + ny * y0 + nz * z0
        x = x0 * ct - st * (ny * z0 - nz * y0) + (1.0 - ct) * nx * nd
        y = y0 * ct - st * (nz * x0 - nx * z0) + (1.0 - ct) * ny * nd
        z = z0 * ct - st * (nx * y0 - ny * x0) + (1.0 - ct) * nz * nd
        p = np.sqrt(x * x + y * y)
        lon = np.arctan2(y, x)
        if flattening == 0.0:
            lat = np.arctan2(z, p)
            alt = np.sqrt(p * p + z * z) - r_eq
        else:
            # tan(lat) = (z + e2 N sin(lat)) / p: each pass divides the error by about 1/e2
            lat = np.arctan2(z, p * (1.0 - e2))
            for _ in range(12):
                sl = np.sin(lat)
                nxt = np.arctan2(z + e2 * r_eq / np.sqrt(1.0 - e2 * sl * sl) * sl, p)
                done = abs(nxt - lat) < 1e-15
                lat = nxt
                if done:
                    break
            sl = np.sin(lat)
            alt = p * np.cos(lat) + z * sl - r_eq * np.sqrt(1.0 - e2 * sl * sl)

        # osculating elements in the elements' axes (Vallado 4th ed., Algorithm 9)
        rx = (
            geo[_G_ELEMENTS + 0] * r[b, 0]
            + geo[_G_ELEMENTS + 1] * r[b, 1]
            + geo[_G_ELEMENTS + 2] * r[b, 2]
        )
        ry = (
            geo[_G_ELEMENTS + 3] * r[b, 0]
            + geo[_G_ELEMENTS + 4] * r[b, 1]
            + geo[_G_ELEMENTS + 5] * r[b, 2]
        )
        rz = (
            geo[_G_ELEMENTS + 6] * r[b, 0]
            + geo[_G_ELEMENTS + 7] * r[b, 1]
            + geo[_G_ELEMENTS + 8] * r[b, 2]
        )
        vx = (
            geo[_G_ELEMENTS + 0] * v[b, 0]
            + geo[_G_ELEMENTS + 1] * v[b, 1]
            + geo[_G_ELEMENTS + 2] * v[b, 2]
        )
        vy = (
            geo[_G_ELEMENTS + 3] * v[b, 0]
            + geo[_G_ELEMENTS + 4] * v[b, 1]
            + geo[_G_ELEMENTS + 5] * v[b, 2]
        )
        vz = (
            geo[_G_ELEMENTS + 6] * v[b, 0]
            + geo[_G_ELEMENTS + 7] * v[b, 1]
            + geo[_G_ELEMENTS + 8] * v[b, 2]
        )
        rn = np.sqrt(rx * rx + ry * ry + rz * rz)
        v2 = vx * vx + vy * vy + vz * vz
        rv = rx * vx + ry * vy + rz * vz
        hx = ry * vz - rz * vy
        hy = rz * vx - rx * vz
        hz = rx * vy - ry * vx
        hn = np.sqrt(hx * hx + hy * hy + hz * hz)
        ux, uy, uz = hx / hn, hy / hn, hz / hn
        c1 = (v2 - mu / rn) / mu
        c2 = rv / mu
        ex = c1 * rx - c2 * vx
        ey = c1 * ry - c2 * vy
        ez = c1 * rz - c2 * vz
        ecc = np.sqrt(ex * ex + ey * ey + ez * ez)
        inc = np.arctan2(np.sqrt(hx * hx + hy * hy), hz)
        equatorial = inc < _SMALL or np.pi - inc < _SMALL
        circular = ecc < _SMALL
        if equatorial:
            kx, ky, kz = 1.0, 0.0, 0.0
            raan = 0.0
        else:
            nn = np.sqrt(hx * hx + hy * hy)
            kx, ky, kz = -hy / nn, hx / nn, 0.0
            raan = np.arctan2(hx, -hy)
            if raan < 0.0:
                raan += _TWO_PI
        if circular:
            px, py, pz = kx, ky, kz
            argp = 0.0
        else:
            px, py, pz = ex, ey, ez
            argp = _angle_about(kx, ky, kz, px, py, pz, ux, uy, uz)
        nu = _angle_about(px, py, pz, rx, ry, rz, ux, uy, uz)
        semi_p = hn * hn / mu
        rp = semi_p / (1.0 + ecc)
        energy = 0.5 * v2 - mu / rn
        if ecc < 1.0 and energy < 0.0:
            ra = semi_p / (1.0 - ecc)
            a = -0.5 * mu / energy
            period = _TWO_PI * np.sqrt(a * a * a / mu)
        else:
            ra = np.inf
            period = np.inf

        out[b, 0] = alt
        out[b, 1] = lat
        out[b, 2] = lon
        out[b, 3] = np.sqrt(v[b, 0] ** 2 + v[b, 1] ** 2 + v[b, 2] ** 2)
        out[b, 4] = rp - r_eq
        out[b, 5] = ra - r_eq
        out[b, 6] = period
        out[b, 7] = inc
        out[b, 8] = ecc
        out[b, 9] = raan
        out[b, 10] = argp
        out[b, 11] = nu
        out[b, 12] = mass[b]
        out[b, 13] = dv_used[b]
        out[b, 14] = burns[b]
        out[b, 15] = 1.0 if failed[b] else 0.0
        for i in range(3):
            out[b, 16 + i] = r[b, i]
            out[b, 19 + i] = v[b, i]
    return True


@njit(cache=True, error_model="numpy")
def _advance_inside(
    t1_s: float,
    t1_ns: int,
    t_s: Array,
    direction: Array,
    seg_t0_s: Array,
    seg_h_s: Array,
    seg_coef: Array,
    y: Array,
    r: Array,
    v: Array,
    t_out_s: Array,
    t_ns: Any,
) -> bool:
    """The state at ``t1_s`` when it lies in the integrator's last step: ``r``, ``v``,
    ``t_out_s`` and ``t_ns`` set in place and True; False (nothing written) when the
    integrator has to step first, or the time is outside the step.

    The same values as :meth:`houston.dynamics.cowell.Propagator.advance`: ``y`` at the end of
    the step, otherwise the dense output at the fraction ``(t1 - t0) / h`` of the step,
    evaluated as :func:`houston.dynamics.cowell._dense_at` does.
    """
    d = direction[0]
    te = t_s[0]
    if d * (t1_s - te) > 0.0:
        return False
    batch = y.shape[0]
    if t1_s == te:
        for b in range(batch):
            for j in range(3):
                r[b, j] = y[b, j]
                v[b, j] = y[b, 3 + j]
    else:
        t0 = seg_t0_s[0]
        h = seg_h_s[0]
        tol = 1e-9 * max(1.0, abs(t0), abs(te))
        if h == 0.0 or d * (t1_s - t0) < -tol or d * (t1_s - (t0 + h)) > tol:
            return False
        x = (t1_s - t0) / h
        for b in range(batch):
            for j in range(6):
                acc = 0.0
                for i in range(_N_COEF - 1, 0, -1):
                    acc += seg_coef[b, i, j]
                    acc *= x if (_N_COEF - 1 - i) % 2 == 0 else 1.0 - x
                if j < 3:
                    r[b, j] = acc + seg_coef[b, 0, j]
                else:
                    v[b, j - 3] = acc + seg_coef[b, 0, j]
    for b in range(batch):
        t_out_s[b] = t1_s
        t_ns[b] = t1_ns
    return True


# --- the model --------------------------------------------------------------------------------


def _bool(name: str, description: str) -> Param:
    return Param(name, "1", description, False, kind="bool")


class Spacecraft(Model):
    """A spacecraft about the Earth or the Moon, propagated by Cowell's method.

    Impulsive burns, ground track and osculating elements; see the module docstring for the
    frames, the forces, the state and the accuracy of the telemetry.
    """

    type_name = "vehicle.spacecraft"
    summary = (
        "Spacecraft about the Earth or the Moon: numerical propagation with J2-J4, third bodies "
        "and drag, impulsive burns, ground track and osculating elements"
    )
    params = (
        Param(
            "central_body",
            "1",
            "body the orbit is about",
            "earth",
            kind="str",
            choices=tuple(BODIES),
        ),
        Param(
            "perigee_altitude",
            "m",
            "initial elements: periapsis altitude above the body's equatorial radius (with no "
            "initial state given: a 400 km circular orbit)",
            None,
            min=0.0,
        ),
        Param(
            "apogee_altitude",
            "m",
            "initial elements: apoapsis altitude above the body's equatorial radius",
            None,
            min=0.0,
        ),
        Param(
            "inclination",
            "rad",
            "initial elements: inclination (Earth: GCRF equator; Moon: lunar equator of the "
            "epoch); 0 if not given",
            None,
            min=0.0,
            max=np.pi,
        ),
        Param("raan", "rad", "initial elements: right ascension of the ascending node", None),
        Param("arg_perigee", "rad", "initial elements: argument of periapsis", None),
        Param("true_anomaly", "rad", "initial elements: true anomaly at the epoch", None),
        Param(
            "r",
            "m",
            "initial position at the epoch, from the body's centre, GCRF (Earth) or ICRF (Moon) "
            "axes",
            None,
            kind="vector",
            shape=(3,),
        ),
        Param(
            "v",
            "m_s",
            "initial velocity at the epoch, relative to the body, same axes as r",
            None,
            kind="vector",
            shape=(3,),
        ),
        Param("tle_line1", "1", "initial state from a TLE (Earth only): line 1", None, kind="str"),
        Param("tle_line2", "1", "initial state from a TLE: line 2", None, kind="str"),
        Param("mass", "kg", "initial mass", 1000.0, min=1e-9),
        Param(
            "isp", "s", "specific impulse of the burns; 0: burns use no propellant", 0.0, min=0.0
        ),
        Param(
            "zonal_degree",
            "1",
            "Earth's zonal harmonics (EGM96) up to this degree: 0 none, 2 J2, 3, 4 "
            "(ignored for the Moon: see moon_j2)",
            2,
            kind="int",
            min=0,
            max=4,
        ),
        Param(
            "moon_j2",
            "1",
            "the Moon's unnormalised J2 (reference radius 1738 km); 0: no lunar J2",
            0.0,
            min=0.0,
        ),
        _bool("drag", "atmospheric drag (Earth only)"),
        Param("drag_coefficient", "1", "drag coefficient Cd", 2.2, min=0.0),
        Param(
            "drag_area",
            "m2",
            "cross-section for drag (Cd A / m uses the current mass, so burns change it)",
            10.0,
            min=0.0,
        ),
        Param(
            "atmosphere",
            "1",
            "density model: Harris-Priester (Montenbruck & Gill Table 3.8, Sun from DE421) or "
            "exponential (Vallado 4th ed. Table 8-4)",
            "harris_priester",
            kind="str",
            choices=("harris_priester", "exponential"),
        ),
        _bool("third_body_moon", "the Moon's attraction, DE421 (Earth orbits)"),
        _bool("third_body_sun", "the Sun's attraction, DE421"),
        _bool("third_body_earth", "the Earth's attraction, DE421 (Moon orbits)"),
        Param(
            "rtol",
            "1",
            "relative tolerance of the integrator's local error per step",
            1e-12,
            min=1e-14,
            max=1e-3,
        ),
    )
    states = (
        State("t_s", "s", description="integrator: end of the last step (shared by the batch)"),
        State("h_s", "s", description="integrator: next step size"),
        State("direction", "1", description="integrator: +1 forward"),
        State("seg_t0_s", "s", description="integrator: start of the last step"),
        State("seg_h_s", "s", description="integrator: length of the last step"),
        State("steps", "1", dtype="int64", description="integrator: steps taken"),
        State("evaluations", "1", dtype="int64", description="integrator: force evaluations"),
        State("t_out_s", "s", description="integrator: last requested time"),
        State("y", "1", (_N,), description="integrator: r (m), v (m/s), mass (kg) at t_s"),
        State("f", "1", (_N,), description="integrator: derivative of y at t_s"),
        State("seg_coef", "1", (8, _N), description="integrator: dense output of the last step"),
        State("r", "m", (3,), description="position at t_ns, inertial axes of the body"),
        State("v", "m_s", (3,), description="velocity at t_ns, inertial axes of the body"),
        State("mass", "kg", description="mass"),
        State("t_ns", "ns", dtype="int64", description="time of r and v since the epoch"),
        State("epoch_tai_jd1", "d", description="scenario epoch, TAI Julian date, part 1"),
        State("epoch_tai_jd2", "d", description="scenario epoch, TAI Julian date, part 2"),
        State("dv_used", "m_s", description="sum of the burns' magnitudes"),
        State("burns", "1", dtype="int64", description="burns made"),
        State("guidance_seq", "1", description="last guidance burn counter applied"),
    )
    outputs = (
        Signal(
            "r_m", "m", (3,), "position relative to the central body, GCRF (Earth) or MCI (Moon)"
        ),
        Signal(
            "v_m_s",
            "m_s",
            (3,),
            "velocity relative to the central body, GCRF (Earth) or MCI (Moon)",
        ),
        Signal("r_gcrf_m", "m", (3,), "position from the Earth's centre, GCRF", frame="GCRF"),
        Signal(
            "v_gcrf_m_s", "m_s", (3,), "velocity relative to the Earth's centre, GCRF", frame="GCRF"
        ),
        Signal("t_s", "s", (), "time of the published state (kernel seconds since the epoch)"),
    )
    inputs = (
        Signal(
            "guidance_dv_m_s",
            "m_s",
            (3,),
            "Δv of the latest guidance burn, central body's inertial axes",
            optional=True,
        ),
        Signal(
            "guidance_burn_seq",
            "1",
            (),
            "guidance burn counter: a rise applies guidance_dv_m_s at the start of the step",
            optional=True,
        ),
    )
    telemetry = (
        Telemetry(
            "altitude_m",
            "m",
            "height: geodetic on WGS-84 (Earth), above the 1737.4 km sphere (Moon)",
            display_unit="km",
        ),
        Telemetry(
            "latitude_rad",
            "rad",
            "geodetic latitude (Earth) or selenographic latitude (Moon)",
            display_unit="deg",
        ),
        Telemetry(
            "longitude_rad",
            "rad",
            "east longitude, Earth-fixed (ITRF) or Moon-fixed (IAU 2009)",
            display_unit="deg",
        ),
        Telemetry("speed_m_s", "m_s", "inertial speed", display_unit="km_s"),
        Telemetry(
            "perigee_altitude_m",
            "m",
            "periapsis altitude of the osculating orbit above the equatorial radius",
            display_unit="km",
        ),
        Telemetry(
            "apogee_altitude_m",
            "m",
            "apoapsis altitude of the osculating orbit (infinite if unbound)",
            display_unit="km",
        ),
        Telemetry(
            "period_s",
            "s",
            "period of the osculating orbit (infinite if unbound)",
            display_unit="min",
        ),
        Telemetry(
            "inclination_rad", "rad", "inclination of the osculating orbit", display_unit="deg"
        ),
        Telemetry("eccentricity", "1", "eccentricity of the osculating orbit"),
        Telemetry(
            "raan_rad",
            "rad",
            "right ascension of the ascending node (osculating)",
            display_unit="deg",
        ),
        Telemetry(
            "arg_perigee_rad", "rad", "argument of periapsis (osculating)", display_unit="deg"
        ),
        Telemetry("true_anomaly_rad", "rad", "true anomaly (osculating)", display_unit="deg"),
        Telemetry("mass_kg", "kg", "vehicle mass"),
        Telemetry("dv_used_m_s", "m_s", "total delta-v of the burns made"),
        Telemetry("burns", "1", "number of burns made", kind="int"),
        Telemetry(
            "propulsion", "1", "propulsion system state", kind="enum", states=("OK", "FAILED")
        ),
        # The state vector, so that an archived run can be exported as an ephemeris
        # (``houston oem``): the central body's inertial frame (GCRF / Moon-centred ICRF).
        *(
            Telemetry(
                f"{c}_m", "m", f"position {c}, central body's inertial frame", display_unit="km"
            )
            for c in ("x", "y", "z")
        ),
        *(
            Telemetry(
                f"v{c}_m_s",
                "m_s",
                f"velocity {c}, central body's inertial frame",
                display_unit="km_s",
            )
            for c in ("x", "y", "z")
        ),
    )
    commands = (
        Command(
            "burn",
            "impulsive burn in the vehicle's LVLH frame",
            (
                Param(
                    "dv_lvlh",
                    "m_s",
                    "delta-v: x radial out, y along-track, z orbit normal",
                    kind="vector",
                    shape=(3,),
                ),
            ),
        ),
        Command(
            "burn_inertial",
            "impulsive burn in the central body's inertial axes (GCRF, or ICRF for the Moon)",
            (Param("dv", "m_s", "delta-v, inertial axes", kind="vector", shape=(3,)),),
        ),
    )
    failures = (Failure("propulsion_lost", "the engine cannot fire: burns are refused"),)

    def __init__(self, path: str, params: Mapping[str, Any], batch: int) -> None:
        super().__init__(path, params, batch)
        p = self.p
        self.body = str(p["central_body"])
        self.mu, self.radius = BODIES[self.body]
        self.form = _initial_form(p, self.body)
        if self.form == "default":
            self.form = "elements"
            p["perigee_altitude"] = p["apogee_altitude"] = DEFAULT_ALTITUDE_M
        earth = self.body == "earth"
        # r_m and v_m_s are in the central body's inertial frame: say which, for the wiring
        frame = "GCRF" if earth else "MCI"
        self.outputs = tuple(
            dataclasses.replace(o, frame=frame) if o.name in ("r_m", "v_m_s") else o
            for o in type(self).outputs
        )
        if earth and p.get("third_body_earth"):
            raise ValueError("third_body_earth is for Moon orbits; an Earth orbit has the Earth")
        if not earth and p.get("third_body_moon"):
            raise ValueError("third_body_moon is for Earth orbits; a Moon orbit has the Moon")
        if not earth and p.get("drag"):
            raise ValueError("drag needs an atmosphere: Earth orbits only")
        if p.get("zonal_degree", 0) == 1:
            raise ValueError(
                "zonal_degree 1 has no term (the origin is the centre of mass): use 0, 2, 3 or 4"
            )
        self._prop: Any = None
        self._prop_key: tuple[float, float] | None = None
        self._q_el: Array = np.eye(3)
        #: The telemetry's constants (``_G_*``), the block of grid points' frame values
        #: (``_grid_block``) and (1 once packed, the block's first grid time in ns); see
        #: ``_pack_grid``.
        self._geo = np.zeros(_G_SIZE)
        self._blk = np.zeros((GRID_BLOCK, 12))
        self._grid_ns = np.zeros(2, dtype=np.int64)
        #: For the Moon: the Hermite coefficients of the Moon's state over one block of grid
        #: points, (1 once packed, the block's first grid time in ns), and the GCRF outputs.
        self._moon_cr = np.zeros((1, 4, 3))
        self._moon_cv = np.zeros((1, 3, 3))
        self._moon_ns = np.zeros(2, dtype=np.int64)
        self._r_gcrf = np.zeros((batch, 3))
        self._v_gcrf = np.zeros((batch, 3))
        #: The telemetry kernel's arguments and the kernel compiled for them (``sample``).
        self._tel_args: tuple[Any, ...] | None = None
        self._tel_fn: Any = None
        self._outputs: dict[str, NDArray[Any]] | None = None

    # -- helpers ---------------------------------------------------------------------------

    def _propagator(self) -> Any:
        """The propagator for the epoch in the state (built once; rebuilt after a restore)."""
        st = self.state
        key = (float(st["epoch_tai_jd1"][0]), float(st["epoch_tai_jd2"][0]))
        if self._prop is not None and self._prop_key == key:
            return self._prop
        from houston.dynamics import atmosphere as atm
        from houston.dynamics.cowell import Propagator
        from houston.dynamics.forces import Drag, ForceModel, PointMass, ThirdBody, Zonal
        from houston.dynamics.frames import earth_rotation

        p = self.p
        epoch = Epoch(key[0], key[1], "")
        terms: list[Any] = [PointMass(self.mu)]
        if self.body == "earth":
            self._q_el = np.eye(3)
            degree = int(p.get("zonal_degree") or 0)
            if degree >= 2:
                pole = earth_rotation(epoch, 0).matrix[2]
                pole = pole / np.linalg.norm(pole)
                j = (J2_EARTH, J3_EARTH, J4_EARTH)[: degree - 1]
                terms.append(Zonal(self.mu, R_EARTH_M, j, tuple(float(x) for x in pole)))
            if p.get("third_body_moon"):
                terms.append(
                    ThirdBody(MU_MOON_M3_S2, _ephemeris_source("moon_gcrf", epoch), "Moon")
                )
            if p.get("third_body_sun"):
                terms.append(ThirdBody(MU_SUN_M3_S2, _ephemeris_source("sun_gcrf", epoch), "Sun"))
            if p.get("drag"):
                if p.get("atmosphere", "harris_priester") == "exponential":
                    model: Any = atm.Exponential()
                else:
                    model = atm.HarrisPriester(sun_position=_ephemeris_source("sun_gcrf", epoch))
                cd_area = float(p["drag_coefficient"]) * float(p["drag_area"])
                terms.append(Drag(cd_area_m2=cd_area, atmosphere=model))
        else:
            self._q_el = moon_equator_matrix(epoch)
            j2 = float(p.get("moon_j2") or 0.0)
            if j2 > 0.0:
                pole = tuple(float(x) for x in self._q_el[2])
                terms.append(Zonal(self.mu, MOON_GRAVITY_RADIUS_M, (j2,), pole))
            if p.get("third_body_earth"):
                terms.append(
                    ThirdBody(MU_EARTH_M3_S2, _ephemeris_source("earth_mci", epoch), "Earth")
                )
            if p.get("third_body_sun"):
                terms.append(ThirdBody(MU_SUN_M3_S2, _ephemeris_source("sun_mci", epoch), "Sun"))
        self._prop = Propagator(ForceModel(terms), rtol=float(p["rtol"]), carry_mass=True)
        self._prop_key = key
        self._grid_ns[0] = 0  # the telemetry's frame values are packed again
        self._moon_ns[0] = 0
        return self._prop

    def _stepper(self) -> StepperState:
        """A ``StepperState`` over the state arrays (the batch's shared scalars from row 0)."""
        st = self.state
        return StepperState(
            t_s=st["t_s"][0],
            y=st["y"],
            f=st["f"],
            h_s=st["h_s"][0],
            direction=st["direction"][0],
            seg_t0_s=st["seg_t0_s"][0],
            seg_h_s=st["seg_h_s"][0],
            seg_coef=st["seg_coef"],
            steps=st["steps"][0],
            evaluations=st["evaluations"][0],
            t_out_s=st["t_out_s"][0],
        )

    def _store(self, s: Any) -> None:
        st = self.state
        for k in _SCALARS:
            st[k][...] = getattr(s, k)
        for k in _ARRAYS:
            value = getattr(s, k)
            if value is not st[k]:
                st[k][...] = value

    def _initial_rv(self, epoch: Epoch) -> tuple[Array, Array]:
        p = self.p
        if self.form == "state_vector":
            return np.asarray(p["r"], dtype=float), np.asarray(p["v"], dtype=float)
        if self.form == "tle":
            from houston.dynamics.tle import state_from_tle

            if not epoch.utc:
                raise ValueError("a TLE initial state needs the scenario epoch")
            s = state_from_tle(p["tle_line1"], p["tle_line2"], epoch.utc)
            return np.asarray(s.r_gcrf_m, dtype=float), np.asarray(s.v_gcrf_m_s, dtype=float)
        from houston.dynamics.elements import coe_to_rv

        rp = self.radius + p["perigee_altitude"]
        ra = self.radius + p["apogee_altitude"]
        if ra < rp:
            rp, ra = ra, rp
        ecc = (ra - rp) / (ra + rp)
        r, v = coe_to_rv(
            rp * (1.0 + ecc),
            ecc,
            p.get("inclination") or 0.0,
            p.get("raan") or 0.0,
            p.get("arg_perigee") or 0.0,
            p.get("true_anomaly") or 0.0,
            self.mu,
        )
        # elements are in GCRF (Earth) or the Moon's equatorial frame of the epoch
        return self._q_el.T @ r, self._q_el.T @ v

    # -- lifecycle -------------------------------------------------------------------------

    def initialize(self, ctx: StepContext) -> None:
        st = self.state
        epoch = ctx.epoch if ctx.epoch is not None else J2000_EPOCH
        st["epoch_tai_jd1"][:] = epoch.tai_jd1
        st["epoch_tai_jd2"][:] = epoch.tai_jd2
        prop = self._propagator()
        r0, v0 = self._initial_rv(epoch)
        r = np.broadcast_to(r0, (self.batch, 3))
        v = np.broadcast_to(v0, (self.batch, 3))
        s = prop.start(ctx.t1_s, r, v, mass_kg=float(self.p["mass"]))
        self._store(s)
        st["r"][:] = r
        st["v"][:] = v
        st["mass"][:] = self.p["mass"]
        st["t_ns"][:] = ctx.t1_ns
        st["dv_used"][:] = 0.0
        st["burns"][:] = 0
        st["guidance_seq"][:] = 0.0

    def step(self, ctx: StepContext) -> None:
        st = self.state
        prop = self._prop if self._prop is not None else self._propagator()
        seq = ctx.inputs.get("guidance_burn_seq")
        if seq is not None:
            applied = st["guidance_seq"]
            if seq[0] > applied[0] if self.batch == 1 else (seq > applied).any():
                self._guidance(ctx, seq)
        if _advance_inside(
            ctx.t1_s,
            ctx.t1_ns,
            st["t_s"],
            st["direction"],
            st["seg_t0_s"],
            st["seg_h_s"],
            st["seg_coef"],
            st["y"],
            st["r"],
            st["v"],
            st["t_out_s"],
            st["t_ns"],
        ):
            return  # inside the integrator's last step: an interpolation
        s = self._stepper()
        t_before = s.t_s
        r, v = prop.advance(s, ctx.t1_s)
        st["r"][...] = r
        st["v"][...] = v
        st["t_ns"][...] = ctx.t1_ns
        if s.t_s != t_before:
            self._store(s)
        else:
            st["t_out_s"][...] = s.t_out_s

    def output_values(self) -> Mapping[str, NDArray[Any]]:
        st = self.state
        r, v, t = st["r"], st["v"], st["t_out_s"]
        if self.body == "earth":
            # The state arrays themselves, updated in place: one mapping serves every step
            # (a restore replaces the arrays, and with them the mapping).
            out = self._outputs
            if out is None or out["r_m"] is not r or out["v_m_s"] is not v or out["t_s"] is not t:
                out = {"r_m": r, "v_m_s": v, "r_gcrf_m": r, "v_gcrf_m_s": v, "t_s": t}
                self._outputs = out
            return out
        # The GCRF state in arrays of the model's own, rewritten in place at every call.
        rg, vg = self._r_gcrf, self._v_gcrf
        if not _moon_gcrf(self._moon_cr, self._moon_cv, self._moon_ns, st["t_ns"], r, v, rg, vg):
            self._pack_moon()  # a new block (or the first call after a restore)
            _moon_gcrf(self._moon_cr, self._moon_cv, self._moon_ns, st["t_ns"], r, v, rg, vg)
        out = self._outputs
        if out is None or out["r_m"] is not r or out["v_m_s"] is not v or out["t_s"] is not t:
            out = {"r_m": r, "v_m_s": v, "r_gcrf_m": rg, "v_gcrf_m_s": vg, "t_s": t}
            self._outputs = out
        return out

    def _pack_moon(self) -> None:
        """The Moon's Hermite coefficients for the block of grid points of the current time."""
        if self._prop_key is None:
            self._propagator()
        prop_key = self._prop_key
        assert prop_key is not None
        kb = int(self.state["t_ns"][0]) // _BLOCK_NS
        self._moon_cr, self._moon_cv = _moon_hermite_block(prop_key[0], prop_key[1], kb)
        self._moon_ns[0] = 1
        self._moon_ns[1] = kb * _BLOCK_NS

    def _pack_grid(self) -> None:
        """Pack the telemetry's constants (``_G_*``) into ``_geo`` and the frame values of the
        block of grid points of the current time into ``_blk`` and ``_grid_ns``."""
        if self._prop_key is None:
            self._propagator()  # builds the elements' axes after a restore
        prop_key = self._prop_key
        assert prop_key is not None
        kb = int(self.state["t_ns"][0]) // _BLOCK_NS
        self._blk = _grid_block(self.body, prop_key[0], prop_key[1], kb)
        geo = self._geo
        geo[_G_ELEMENTS : _G_ELEMENTS + 9] = self._q_el.ravel()
        geo[_G_MU] = self.mu
        geo[_G_RADIUS] = self.radius
        geo[_G_FLATTENING] = F_EARTH if self.body == "earth" else 0.0
        self._grid_ns[0] = 1
        self._grid_ns[1] = kb * _BLOCK_NS

    def sample(self, out: NDArray[np.float64]) -> None:
        st = self.state
        args = self._tel_args
        # the same arrays as last time (a restore or a new block of grid points replaces some)
        if (
            args is None
            or args[10] is not out
            or args[9] is not st["t_ns"]
            or args[7] is not self._blk
        ):
            args = self._telemetry_args(out)
        if not self._tel_fn(*args):
            self._pack_grid()  # a new block of grid points (or the first sample after a restore)
            args = self._telemetry_args(out)
            self._tel_fn(*args)

    def _telemetry_args(self, out: NDArray[np.float64]) -> tuple[Any, ...]:
        """The telemetry kernel's arguments, and the kernel compiled for their types."""
        st = self.state
        args = (
            st["r"],
            st["v"],
            st["mass"],
            st["dv_used"],
            st["burns"],
            st["failure.propulsion_lost"],
            self._geo,
            self._blk,
            self._grid_ns,
            st["t_ns"],
            out,
        )
        self._tel_args = args
        self._tel_fn = compiled_for(_telemetry, args)
        return args

    def telemetry_values(self) -> Mapping[str, NDArray[Any]]:
        out = np.empty((self.batch, len(self.telemetry)))
        self.sample(out)
        return {t.name: out[:, i] for i, t in enumerate(self.telemetry)}

    # -- commands --------------------------------------------------------------------------

    def command(self, name: str, args: Mapping[str, Any], mask: NDArray[np.bool_]) -> str | None:
        if name == "burn":
            dv = np.asarray(args["dv_lvlh"], dtype=np.float64)
            frame, label = "lvlh", "LVLH"
        elif name == "burn_inertial":
            dv = np.asarray(args["dv"], dtype=np.float64)
            frame, label = "inertial", "inertial"
        else:
            return super().command(name, args, mask)
        able = mask & ~self.failed("propulsion_lost")
        if not able.any():
            raise CommandRejected(_NO_PROPULSION)
        self._impulse(dv, frame, np.flatnonzero(able))
        dv_norm = float(np.linalg.norm(dv))
        text = f"Δv {dv_norm:.2f} m/s ({label} {dv[0]:+.2f}, {dv[1]:+.2f}, {dv[2]:+.2f} m/s)"
        if (mask & ~able).any():
            raise CommandRejected(_NO_PROPULSION, mask & ~able, text)
        return text

    def _impulse(self, dv: Array, frame: str, rows: NDArray[np.intp]) -> None:
        """An impulsive burn ``dv`` (``(3,)`` or one row per run of ``rows``) now, for the
        runs ``rows``: the state, the mass, the Δv used and the burn count follow."""
        st = self.state
        prop = self._prop if self._prop is not None else self._propagator()
        s = self._stepper()
        isp = float(self.p["isp"])
        prop.impulse(
            s, float(s.t_out_s), dv, frame=frame, isp_s=isp if isp > 0.0 else None, rows=rows
        )
        self._store(s)
        st["r"][...] = s.y[:, 0:3]
        st["v"][...] = s.y[:, 3:6]
        st["mass"][...] = s.y[:, 6]
        st["dv_used"][rows] += np.linalg.norm(np.broadcast_to(dv, (rows.size, 3)), axis=1)
        st["burns"][rows] += 1

    def _guidance(self, ctx: StepContext, seq: Array) -> None:
        """Apply the guidance burns whose counter rose (see the module docstring)."""
        st = self.state
        new = seq > st["guidance_seq"]
        st["guidance_seq"][new] = seq[new]
        refused = new & self.failed("propulsion_lost")
        if refused.any():
            ctx.emit(f"guidance burn refused: {_NO_PROPULSION}", refused, "caution")
        rows = np.flatnonzero(new & ~refused)
        if rows.size:
            dv = np.asarray(ctx.inputs["guidance_dv_m_s"], dtype=np.float64)[rows]
            self._impulse(dv, "inertial", rows)


def _initial_form(p: Mapping[str, Any], body: str) -> str:
    """Which initial state the parameters give: ``elements``, ``state_vector`` or ``tle``."""
    given_el = [k for k in _ELEMENT_PARAMS if p.get(k) is not None]
    given_sv = [k for k in ("r", "v") if p.get(k) is not None]
    given_tle = [k for k in ("tle_line1", "tle_line2") if p.get(k) is not None]
    forms = [
        (name, keys)
        for name, keys in (
            ("elements", given_el),
            ("state_vector", given_sv),
            ("tle", given_tle),
        )
        if keys
    ]
    if len(forms) > 1:
        listed = "; ".join(f"{name} ({', '.join(keys)})" for name, keys in forms)
        raise ValueError(
            "give the initial state in one form only: orbital elements, a state vector "
            f"(r and v) or a TLE (tle_line1 and tle_line2); got {listed}"
        )
    if not forms:
        return "default"
    name, keys = forms[0]
    if name == "elements":
        missing = [k for k in ("perigee_altitude", "apogee_altitude") if p.get(k) is None]
        if missing:
            raise ValueError(
                f"orbital elements need perigee_altitude and apogee_altitude (missing: "
                f"{', '.join(missing)})"
            )
    elif name == "state_vector" and len(keys) < 2:
        raise ValueError("a state vector needs both r and v")
    elif name == "tle":
        if len(keys) < 2:
            raise ValueError("a TLE needs both tle_line1 and tle_line2")
        if body != "earth":
            raise ValueError("a TLE gives an Earth orbit: central_body must be 'earth'")
        l1, l2 = str(p["tle_line1"]).strip(), str(p["tle_line2"]).strip()
        if not (l1.startswith("1 ") and l2.startswith("2 ") and len(l1) >= 64 and len(l2) >= 64):
            raise ValueError(
                "tle_line1 and tle_line2 must be the two lines of a TLE ('1 ...', '2 ...')"
            )
    return name

"""Reference frames: GCRF and ITRF, geodetic coordinates, look angles, and the Moon's frames.

Frames and their sources:

* **GCRF** (geocentric, ICRF axes) and **ITRF** (Earth-fixed): the IAU 2006/2000A CIO-based
  transformation of the IERS Conventions (2010), chapter 5, through ERFA:
  ``r_ITRF = W(x_p, y_p, s') · R3(ERA) · C(X + dX, Y + dY, s) · r_GCRF`` with ``erfa.xys06a``,
  ``erfa.c2ixys``, ``erfa.era00``, ``erfa.sp00``, ``erfa.pom00`` and ``erfa.c2tcio`` (the same
  chain as ``erfa.c2t06a``, plus the celestial-pole offsets). Earth orientation (UT1,
  polar motion x_p, y_p, offsets dX, dY) comes from astropy's bundled tables
  (astropy-iers-data, never downloaded): IERS EOP C04 (``IERS_B``) from 1962 to its last
  day, then the IERS Rapid Service ``finals2000A`` values and predictions (``IERS_A``),
  then the last values held. Values are interpolated linearly in TAI, with UT1 carried as
  UT1 − TAI so that leap seconds need no special case. Velocity adds the Earth-rotation term
  ``-ω × r`` with ``ω`` the rate of the Earth rotation angle, ``2π · 1.00273781191135448``
  per UT1 day (IERS Conventions 2010, eq. 5.15), scaled by dUT1/dTAI from the same table
  (the length-of-day variation). The slow motion of the celestial pole (precession and
  nutation, about 1e-11 rad/s) is left out of the velocity: under 0.5 mm/s at geostationary
  distance.
* **Geodetic** latitude, longitude, height on the WGS-84 ellipsoid (NIMA TR8350.2):
  ``erfa.gd2gce`` and ``erfa.gc2gde`` (the closed-form method of Fukushima 2006, J. Geodesy
  79:689-693) refined by one Newton step, so that round trips close to round-off.
* **Topocentric** azimuth (from north through east), elevation, range and range rate in the
  site's east-north-up basis, for a target and a site in the same body-fixed frame.
* **MCI** (Moon-centred inertial): ICRF axes, origin at the Moon's centre (DE421).
* **Moon-fixed**: the IAU WGCCRE 2009 rotation model of the Moon (Archinal et al. 2011,
  Celestial Mechanics and Dynamical Astronomy 109:101-135, Table 2, with the periodic
  terms in E1..E13; the same numbers as NAIF's ``pck00010.tpc``): pole ``(α0, δ0)`` and
  prime meridian ``W``, ``r_fixed = R3(W) · R1(90° − δ0) · R3(90° + α0) · r_MCI``. This
  model approximates the mean-Earth/polar-axis (ME) frame, the frame of lunar maps (with
  DE421, the mean sub-Earth point over 18.6 years is within 0.01° of 0°N 0°E); it is not
  the DE421 principal-axis frame, which the kernel shipped here does not carry.
  Selenographic latitude, longitude (east) and height are on the sphere of radius
  ``R_MOON_M``.
* **LVLH**: :func:`lvlh_of`, the basis of :mod:`houston.dynamics.relative`.

Units: m, m/s, s, rad. Vectors are on the last axis, matrices on the last two; leading axes
broadcast (a batch of runs, of times, or both).

Per-frame use: build the rotation once per frame with :func:`earth_rotation` or
:func:`moon_rotation` (a :class:`FrameRotation`: one matrix and one angular velocity per
time) and apply it to every vehicle and station with its methods, which are matrix
products only.

Cost (timeit, one core; one time / 1,000 times): :func:`earth_rotation` 85 µs / 27 ms (the
IAU 2006/2000A series dominate); :func:`moon_rotation` 50 µs / 0.4 ms. Applying one rotation
(:meth:`FrameRotation.to_fixed`, position and velocity): 5 µs for one vector, 48 µs for 1,000;
:meth:`FrameRotation.position_to_fixed` 1.5 µs / 15 µs. :func:`gcrf_to_itrf` (rotation
included) 100 µs / 27 ms; :func:`gcrf_to_mci` 30 µs; :func:`geodetic_to_ecef` 5 µs / 21 µs
and :func:`ecef_to_geodetic` 46 µs / 184 µs (one / 1,000 points); :func:`look_angles`
28 µs / 83 µs (one / 1,000 targets).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from houston.core.constants import F_EARTH, R_EARTH_M, R_MOON_M
from houston.dynamics import ephemeris
from houston.dynamics.relative import lvlh_basis

if TYPE_CHECKING:
    from houston.core.time import Epoch

__all__ = [
    "OMEGA_ERA_RAD_S",
    "EarthOrientation",
    "FrameRotation",
    "LookAngles",
    "MoonOrientation",
    "earth_orientation",
    "earth_rotation",
    "earth_rotation_at",
    "ecef_to_geodetic",
    "enu_basis",
    "gcrf_to_itrf",
    "gcrf_to_mci",
    "geodetic_to_ecef",
    "itrf_to_gcrf",
    "look_angles",
    "lvlh_of",
    "mci_to_gcrf",
    "mci_to_moon_fixed",
    "moon_fixed_to_mci",
    "moon_fixed_to_selenographic",
    "moon_orientation",
    "moon_rotation",
    "selenographic_to_moon_fixed",
]

Array = NDArray[np.float64]

#: Rate of the Earth rotation angle, rad per second of UT1: 2π · 1.00273781191135448 / 86400
#: (IERS Conventions 2010, eq. 5.15).
OMEGA_ERA_RAD_S = 2.0 * np.pi * 1.00273781191135448 / 86_400.0

_S_PER_DAY = 86_400.0
_ARCSEC = np.pi / (180.0 * 3600.0)
_DEG = np.pi / 180.0
_MJD0 = 2_400_000.5
_J2000 = 2_451_545.0


def _mv(m: Array, x: Array) -> Array:
    """Matrix times vector over leading axes: ``m @ x``."""
    return np.einsum("...ij,...j->...i", m, x)


def _mtv(m: Array, x: Array) -> Array:
    """Transposed matrix times vector over leading axes: ``m.T @ x``."""
    return np.einsum("...ji,...j->...i", m, x)


# --- rotating frames ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FrameRotation:
    """A body-fixed frame's orientation relative to an inertial one, at one or more times.

    ``matrix`` (``(..., 3, 3)``) takes inertial components to fixed ones:
    ``r_fixed = matrix @ r_inertial``. ``omega_rad_s`` (``(..., 3)``) is the angular
    velocity of the fixed frame relative to the inertial one, in fixed axes, so that
    ``v_fixed = matrix @ v_inertial − omega × r_fixed``; ``rate`` is the matrix's time
    derivative ``−[omega×] matrix`` (1/s), built once so that applying the rotation costs
    matrix products only. ``inertial`` and ``fixed`` name the frames (``"GCRF"``/``"ITRF"``,
    ``"MCI"``/``"MOON_ME"``). Both frames share an origin.
    """

    matrix: Array
    omega_rad_s: Array
    inertial: str
    fixed: str
    rate: Array = field(init=False, repr=False)

    def __post_init__(self) -> None:
        w = np.asarray(self.omega_rad_s, dtype=float)
        w0, w1, w2 = w[..., 0], w[..., 1], w[..., 2]
        zero = np.zeros_like(w0)
        minus_skew = np.stack(
            [
                np.stack([zero, w2, -w1], -1),
                np.stack([-w2, zero, w0], -1),
                np.stack([w1, -w0, zero], -1),
            ],
            axis=-2,
        )
        object.__setattr__(self, "rate", minus_skew @ self.matrix)

    def position_to_fixed(self, r_m: ArrayLike) -> Array:
        """Fixed-frame components (m) of an inertial position ``r_m``, ``(..., 3)``."""
        return _mv(self.matrix, np.asarray(r_m, dtype=float))

    def position_to_inertial(self, r_m: ArrayLike) -> Array:
        """Inertial components (m) of a fixed-frame position ``r_m``, ``(..., 3)``."""
        return _mtv(self.matrix, np.asarray(r_m, dtype=float))

    def to_fixed(self, r_m: ArrayLike, v_m_s: ArrayLike) -> tuple[Array, Array]:
        """Inertial state (m, m/s) to the fixed frame: position, and velocity seen rotating
        (``matrix @ v + rate @ r``)."""
        r = np.asarray(r_m, dtype=float)
        v_f = _mv(self.matrix, np.asarray(v_m_s, dtype=float)) + _mv(self.rate, r)
        return _mv(self.matrix, r), v_f

    def to_inertial(self, r_m: ArrayLike, v_m_s: ArrayLike) -> tuple[Array, Array]:
        """Fixed-frame state (m, m/s) to the inertial frame; inverse of :meth:`to_fixed`
        (``matrix.T @ v + rate.T @ r``)."""
        r = np.asarray(r_m, dtype=float)
        v_i = _mtv(self.matrix, np.asarray(v_m_s, dtype=float)) + _mtv(self.rate, r)
        return _mtv(self.matrix, r), v_i


# --- Earth orientation parameters -------------------------------------------------------------


class EarthOrientation(NamedTuple):
    """Earth orientation parameters at given TAI instants (each array broadcasts with time).

    ``ut1_minus_tai_s`` (s); ``xp_rad``, ``yp_rad``: polar motion; ``dx_rad``, ``dy_rad``:
    celestial-pole offsets from the IAU 2006/2000A model; ``ut1_rate``: dUT1/dTAI
    (1 − LOD/86400 s, from the slope of the interpolated UT1).
    """

    ut1_minus_tai_s: Array
    xp_rad: Array
    yp_rad: Array
    dx_rad: Array
    dy_rad: Array
    ut1_rate: Array


@dataclass(frozen=True)
class _EopTable:
    mjd_tai: Array  # (n,) days
    values: Array  # (n, 5): UT1 − TAI (s), x_p, y_p, dX, dY (rad)


_eop: _EopTable | None = None


def _eop_table() -> _EopTable:
    """IERS C04, extended by ``finals2000A``, as one table (once per process).

    Read from the files bundled in astropy-iers-data with numpy (:mod:`houston.dynamics.eop`,
    about 0.1 s); :func:`_eop_table_astropy` reads the same files through astropy's
    ``IERS_B`` and ``IERS_A`` (about 1 s) and gives the same table to the last bit
    (``tests/comms/test_eop.py``).
    """
    global _eop
    if _eop is None:
        from houston.dynamics.eop import eop_table

        t = eop_table()
        _eop = _EopTable(t.mjd_tai, t.values)
    return _eop


def _eop_table_astropy() -> _EopTable:
    """IERS C04 (astropy ``IERS_B``), extended by ``finals2000A`` (``IERS_A``), as one table.

    Both are the files bundled in astropy-iers-data; nothing is downloaded. Each row's MJD is
    a UTC date at 0h; it is moved to TAI with ERFA's TAI − UTC (``erfa.dat``, including the
    1961-1971 drifting offsets) and UT1 − UTC becomes UT1 − TAI.
    """
    import erfa
    from astropy import units as u
    from astropy.utils import iers

    from houston.core.time import astropy_offline

    astropy_offline()
    b = iers.IERS_B.open()
    a = iers.IERS_A.open(iers.IERS_A_FILE)
    mjd_b = np.asarray(b["MJD"].to_value(u.d))
    mjd_a = np.asarray(a["MJD"].to_value(u.d))
    ut1_a = np.asarray(a["UT1_UTC"].to_value(u.s))
    xp_a = np.asarray(a["PM_x"].to_value(u.arcsec))
    keep = (mjd_a > mjd_b[-1]) & np.isfinite(ut1_a) & np.isfinite(xp_a)

    def col(name: str, unit: u.UnitBase) -> Array:
        v = np.concatenate(
            [np.asarray(b[name].to_value(unit)), np.asarray(a[name].to_value(unit))[keep]]
        )
        return np.where(np.isfinite(v), v, 0.0)

    mjd = np.concatenate([mjd_b, mjd_a[keep]])
    year, month, day, frac = erfa.jd2cal(_MJD0, mjd)
    tai_utc_s = erfa.dat(year, month, day, frac)
    values = np.stack(
        [
            col("UT1_UTC", u.s) - tai_utc_s,
            col("PM_x", u.rad),
            col("PM_y", u.rad),
            col("dX_2000A", u.rad),
            col("dY_2000A", u.rad),
        ],
        axis=-1,
    )
    return _EopTable(mjd + tai_utc_s / _S_PER_DAY, values)


def earth_orientation(jd_tai1: ArrayLike, jd_tai2: ArrayLike = 0.0) -> EarthOrientation:
    """Earth orientation parameters at TAI Julian date ``jd_tai1 + jd_tai2`` (any shape).

    Linear interpolation in the bundled IERS tables (see the module docstring). Raises
    ``ValueError`` before 1962-01-01 (the start of IERS C04); after the last prediction
    (about a year past the astropy-iers-data release) the last values are held.
    """
    tab = _eop_table()
    j1, j2 = np.broadcast_arrays(np.asarray(jd_tai1, float), np.asarray(jd_tai2, float))
    mjd = (j1 - _MJD0) + j2
    if np.any(mjd < tab.mjd_tai[0]):
        raise ValueError("Earth orientation data start on 1962-01-01; the time is earlier")
    n = tab.mjd_tai.size
    i = np.clip(np.searchsorted(tab.mjd_tai, mjd, side="right") - 1, 0, n - 2)
    span = tab.mjd_tai[i + 1] - tab.mjd_tai[i]
    w = (mjd - tab.mjd_tai[i]) / span
    inside = w <= 1.0
    w = np.minimum(w, 1.0)[..., None]
    v0, v1 = tab.values[i], tab.values[i + 1]
    v = v0 + w * (v1 - v0)
    slope = np.where(inside, (v1[..., 0] - v0[..., 0]) / (span * _S_PER_DAY), 0.0)
    return EarthOrientation(v[..., 0], v[..., 1], v[..., 2], v[..., 3], v[..., 4], 1.0 + slope)


# --- GCRF <-> ITRF ------------------------------------------------------------------------------


def earth_rotation_at(
    jd_tt1: ArrayLike,
    jd_tt2: ArrayLike,
    jd_ut1_1: ArrayLike,
    jd_ut1_2: ArrayLike,
    xp_rad: ArrayLike = 0.0,
    yp_rad: ArrayLike = 0.0,
    dx_rad: ArrayLike = 0.0,
    dy_rad: ArrayLike = 0.0,
    ut1_rate: ArrayLike = 1.0,
    *,
    xys: tuple[ArrayLike, ArrayLike, ArrayLike] | None = None,
) -> FrameRotation:
    """GCRF→ITRF rotation at explicit TT and UT1 dates and Earth orientation parameters.

    IAU 2006/2000A, CIO based (IERS Conventions 2010, chapter 5; ERFA ``xys06a``,
    ``c2ixys``, ``era00``, ``sp00``, ``pom00``, ``c2tcio``). ``dx_rad``, ``dy_rad`` are the
    IERS celestial-pole offsets added to the model's X, Y; ``ut1_rate`` is dUT1/dt of the
    time scale the velocities are taken in (1 − LOD/86400 s for TAI). ``xys``, when given,
    is the model's CIP X, Y and CIO locator s at the TT dates (otherwise ``erfa.xys06a``,
    most of the cost). All arguments broadcast.
    """
    import erfa

    x, y, s = erfa.xys06a(jd_tt1, jd_tt2) if xys is None else xys
    rc2i = erfa.c2ixys(x + np.asarray(dx_rad), y + np.asarray(dy_rad), s)
    era = erfa.era00(jd_ut1_1, jd_ut1_2)
    rpom = erfa.pom00(xp_rad, yp_rad, erfa.sp00(jd_tt1, jd_tt2))
    matrix = erfa.c2tcio(rc2i, era, rpom)
    # The TIRS angular velocity is along its z axis (the CIP); W carries it into the ITRF.
    omega = rpom[..., :, 2] * (OMEGA_ERA_RAD_S * np.asarray(ut1_rate, dtype=float))[..., None]
    return FrameRotation(matrix, omega, "GCRF", "ITRF")


def earth_rotation(
    epoch: Epoch,
    t_ns: ArrayLike,
    *,
    pole_offsets: bool = True,
    xys: tuple[ArrayLike, ArrayLike, ArrayLike] | None = None,
) -> FrameRotation:
    """GCRF→ITRF rotation at kernel time ``t_ns`` (integer TAI ns since ``epoch``).

    TT = TAI + 32.184 s; UT1, polar motion and the celestial-pole offsets from
    :func:`earth_orientation`. ``pole_offsets=False`` leaves out dX, dY (under 1 mas, a few
    cm at geostationary distance), as astropy's ``GCRS``→``ITRS`` transformation does.
    ``xys``: the CIP X, Y and CIO locator s at these times when already known (see
    :func:`earth_rotation_at`). Cost: 85 µs for one time, 27 ms for 1,000.
    """
    tai1, tai2 = ephemeris.tai_jd(epoch, t_ns)
    eop = earth_orientation(tai1, tai2)
    tt2 = tai2 + ephemeris.TT_MINUS_TAI_S / _S_PER_DAY
    ut2 = tai2 + eop.ut1_minus_tai_s / _S_PER_DAY
    dx, dy = (eop.dx_rad, eop.dy_rad) if pole_offsets else (0.0, 0.0)
    return earth_rotation_at(
        tai1, tt2, tai1, ut2, eop.xp_rad, eop.yp_rad, dx, dy, eop.ut1_rate, xys=xys
    )


def gcrf_to_itrf(
    r_m: ArrayLike, v_m_s: ArrayLike, epoch: Epoch, t_ns: ArrayLike
) -> tuple[Array, Array]:
    """GCRF position (m) and velocity (m/s) to ITRF at kernel time ``t_ns``.

    One call of :func:`earth_rotation` and :meth:`FrameRotation.to_fixed`; in a frame loop,
    build the rotation once and apply it to every vehicle instead.
    """
    return earth_rotation(epoch, t_ns).to_fixed(r_m, v_m_s)


def itrf_to_gcrf(
    r_m: ArrayLike, v_m_s: ArrayLike, epoch: Epoch, t_ns: ArrayLike
) -> tuple[Array, Array]:
    """ITRF position (m) and velocity (m/s) to GCRF at kernel time ``t_ns``."""
    return earth_rotation(epoch, t_ns).to_inertial(r_m, v_m_s)


# --- geodetic and topocentric -------------------------------------------------------------------


def geodetic_to_ecef(lat_rad: ArrayLike, lon_rad: ArrayLike, h_m: ArrayLike) -> Array:
    """Earth-fixed position (m, ``(..., 3)``) of WGS-84 geodetic latitude, longitude, height.

    ``erfa.gd2gce`` with a = 6378137 m, f = 1/298.257223563 (NIMA TR8350.2).
    """
    import erfa

    return erfa.gd2gce(R_EARTH_M, F_EARTH, lon_rad, lat_rad, h_m)


def ecef_to_geodetic(r_m: ArrayLike) -> tuple[Array, Array, Array]:
    """WGS-84 geodetic latitude (rad), east longitude (rad, −π..π), height (m) of ``r_m``.

    ``erfa.gc2gde`` (the closed form of Fukushima 2006), whose error grows to 2.6e-11 of
    the radius (1.5 mm) at high altitude, then one Newton step along the local
    north/east/up axes (meridian and prime-vertical radii of curvature), which brings the
    round trip through :func:`geodetic_to_ecef` to 1e-15 of the radius. The step is skipped
    deep inside the Earth (within 100 km of the centres of meridian curvature), and the
    longitude step within 1 mm of the polar axis.
    """
    import erfa

    r = np.asarray(r_m, dtype=float)
    lon, lat, h = erfa.gc2gde(R_EARTH_M, F_EARTH, r)
    d = r - erfa.gd2gce(R_EARTH_M, F_EARTH, lon, lat, h)
    basis = enu_basis(lat, lon)
    de, dn, du = (np.einsum("...i,...i->...", basis[..., k, :], d) for k in range(3))
    e2 = F_EARTH * (2.0 - F_EARTH)
    sin_lat = np.sin(lat)
    w2 = 1.0 - e2 * sin_lat * sin_lat
    n_radius = R_EARTH_M / np.sqrt(w2)
    m_radius = R_EARTH_M * (1.0 - e2) / (w2 * np.sqrt(w2))
    # Skip the step near the centres of curvature (more than 6,000 km below the surface),
    # where geodetic coordinates are not unique, and the longitude step near the axis.
    ok = m_radius + h > 1.0e5
    lon_den = (n_radius + h) * np.cos(lat)
    lat = lat + np.where(ok, dn / np.where(ok, m_radius + h, 1.0), 0.0)
    ok_lon = ok & (np.abs(lon_den) > 1.0e-3)
    lon = lon + np.where(ok_lon, de / np.where(ok_lon, lon_den, 1.0), 0.0)
    h = h + np.where(ok, du, 0.0)
    return lat, np.mod(lon + np.pi, 2.0 * np.pi) - np.pi, h


def enu_basis(lat_rad: ArrayLike, lon_rad: ArrayLike) -> Array:
    """Rotation from body-fixed axes to a site's east-north-up axes, ``(..., 3, 3)``.

    Rows are the east, north and up unit vectors in body-fixed axes, for the geodetic (or,
    on a sphere, spherical) latitude and east longitude of the site.
    """
    lat = np.asarray(lat_rad, dtype=float)
    lon = np.asarray(lon_rad, dtype=float)
    sl, cl = np.sin(lat), np.cos(lat)
    so, co = np.sin(lon), np.cos(lon)
    zero = np.zeros(np.broadcast_shapes(lat.shape, lon.shape))
    east = np.stack([-so + zero, co + zero, zero], axis=-1)
    north = np.stack([-sl * co, -sl * so, cl + zero], axis=-1)
    up = np.stack([cl * co, cl * so, sl + zero], axis=-1)
    return np.stack([east, north, up], axis=-2)


class LookAngles(NamedTuple):
    """Where a target is seen from a site: ``azimuth_rad`` from north through east
    (0..2π), ``elevation_rad`` above the local horizontal plane, ``range_m``, and
    ``range_rate_m_s`` (positive when receding; NaN when no velocities were given)."""

    azimuth_rad: Array
    elevation_rad: Array
    range_m: Array
    range_rate_m_s: Array


def look_angles(
    r_target_m: ArrayLike,
    r_site_m: ArrayLike,
    lat_site_rad: ArrayLike,
    lon_site_rad: ArrayLike,
    v_target_m_s: ArrayLike | None = None,
    v_site_m_s: ArrayLike = 0.0,
) -> LookAngles:
    """Azimuth, elevation, range and range rate of a target from a site.

    Target and site positions (m) and velocities (m/s) are in the same body-fixed frame
    (ITRF for Earth stations, Moon-fixed for lunar ones); the horizontal plane is the one
    normal to the site's geodetic (or spherical) vertical from :func:`enu_basis`. A fixed
    site has zero velocity in its body's frame.
    """
    rho = np.asarray(r_target_m, dtype=float) - np.asarray(r_site_m, dtype=float)
    enu = _mv(enu_basis(lat_site_rad, lon_site_rad), rho)
    e, n, u = enu[..., 0], enu[..., 1], enu[..., 2]
    rng = np.sqrt(e * e + n * n + u * u)
    az = np.mod(np.arctan2(e, n), 2.0 * np.pi)
    el = np.arctan2(u, np.hypot(e, n))
    if v_target_m_s is None:
        rate = np.full_like(rng, np.nan)
    else:
        dv = np.asarray(v_target_m_s, dtype=float) - np.asarray(v_site_m_s, dtype=float)
        rate = np.einsum("...i,...i->...", rho, dv) / rng
    return LookAngles(az, el, rng, rate)


# --- the Moon ------------------------------------------------------------------------------

# IAU WGCCRE 2009 (Archinal et al. 2011, Table 2; the same values as NAIF's pck00010.tpc
# BODY3_NUT_PREC_ANGLES and BODY301_NUT_PREC_*): E_i = E0 + E1 * T (T in Julian centuries of
# TDB from J2000) and the coefficients of sin E_i in alpha0, cos E_i in delta0, sin E_i in W.
_MOON_TERMS = np.array(
    [
        # E0 (deg), E1 (deg/century), alpha0 (deg), delta0 (deg), W (deg)
        [125.045, -1935.5364525, -3.8787, 1.5419, 3.5610],
        [250.089, -3871.0729050, -0.1204, 0.0239, 0.1208],
        [260.008, 475263.3328725, 0.0700, -0.0278, -0.0642],
        [176.625, 487269.6299850, -0.0172, 0.0068, 0.0158],
        [357.529, 35999.0509575, 0.0, 0.0, 0.0252],
        [311.589, 964468.4993100, 0.0072, -0.0029, -0.0066],
        [134.963, 477198.8693250, 0.0, 0.0009, -0.0047],
        [276.617, 12006.3007650, 0.0, 0.0, -0.0046],
        [34.226, 63863.5132425, 0.0, 0.0, 0.0028],
        [15.134, -5806.6093575, -0.0052, 0.0008, 0.0052],
        [119.743, 131.8406400, 0.0, 0.0, 0.0040],
        [239.961, 6003.1503825, 0.0, 0.0, 0.0019],
        [25.053, 473327.7964200, 0.0043, -0.0009, -0.0044],
    ]
)
_E0_DEG, _E1_DEG_CY, _RA_SIN_DEG, _DEC_COS_DEG, _PM_SIN_DEG = _MOON_TERMS.T
#: Pole and prime meridian: alpha0 = 269.9949 + 0.0031 T, delta0 = 66.5392 + 0.0130 T,
#: W = 38.3213 + 13.17635815 d - 1.4e-12 d^2 (deg; d in days, T in centuries, TDB).
_RA0_DEG, _RA1_DEG_CY = 269.9949, 0.0031
_DEC0_DEG, _DEC1_DEG_CY = 66.5392, 0.0130
_W0_DEG, _W1_DEG_D, _W2_DEG_D2 = 38.3213, 13.17635815, -1.4e-12


class MoonOrientation(NamedTuple):
    """IAU 2009 orientation of the Moon: pole right ascension ``alpha0_rad`` and declination
    ``delta0_rad`` (ICRF), prime meridian ``w_rad``, and their rates (rad/s of TDB)."""

    alpha0_rad: Array
    delta0_rad: Array
    w_rad: Array
    alpha0_rate_rad_s: Array
    delta0_rate_rad_s: Array
    w_rate_rad_s: Array


def moon_orientation(jd_tdb1: ArrayLike, jd_tdb2: ArrayLike = 0.0) -> MoonOrientation:
    """Pole and prime meridian of the Moon, IAU WGCCRE 2009 (Archinal et al. 2011, Table 2).

    Includes the 13 periodic terms in E1..E13; rates are their exact derivatives.
    """
    d = (np.asarray(jd_tdb1, dtype=float) - _J2000) + np.asarray(jd_tdb2, dtype=float)
    t = d / 36_525.0
    e = (_E0_DEG + _E1_DEG_CY * t[..., None]) * _DEG
    sin_e, cos_e = np.sin(e), np.cos(e)
    e_dot = _E1_DEG_CY / 36_525.0 * _DEG  # rad/day
    ra = _RA0_DEG + _RA1_DEG_CY * t + sin_e @ _RA_SIN_DEG
    dec = _DEC0_DEG + _DEC1_DEG_CY * t + cos_e @ _DEC_COS_DEG
    w = _W0_DEG + _W1_DEG_D * d + _W2_DEG_D2 * d * d + sin_e @ _PM_SIN_DEG
    ra_dot = _RA1_DEG_CY / 36_525.0 + cos_e @ (_RA_SIN_DEG * e_dot)
    dec_dot = _DEC1_DEG_CY / 36_525.0 - sin_e @ (_DEC_COS_DEG * e_dot)
    w_dot = _W1_DEG_D + 2.0 * _W2_DEG_D2 * d + cos_e @ (_PM_SIN_DEG * e_dot)
    k = _DEG / _S_PER_DAY
    return MoonOrientation(
        np.mod(ra, 360.0) * _DEG,
        dec * _DEG,
        np.mod(w, 360.0) * _DEG,
        ra_dot * k,
        dec_dot * k,
        w_dot * k,
    )


def moon_rotation(jd_tdb1: ArrayLike, jd_tdb2: ArrayLike = 0.0) -> FrameRotation:
    """MCI→Moon-fixed rotation (IAU 2009 model) at TDB ``jd_tdb1 + jd_tdb2``.

    ``matrix = R3(W) R1(90° − δ0) R3(90° + α0)``; the angular velocity in Moon-fixed axes is
    that of this 3-1-3 sequence, from the exact rates of α0, δ0 and W.
    Cost: 50 µs for one time, 0.4 ms for 1,000.
    """
    o = moon_orientation(jd_tdb1, jd_tdb2)
    phi, theta, psi = o.alpha0_rad + 0.5 * np.pi, 0.5 * np.pi - o.delta0_rad, o.w_rad
    phi_dot, theta_dot, psi_dot = o.alpha0_rate_rad_s, -o.delta0_rate_rad_s, o.w_rate_rad_s
    sf, cf = np.sin(phi), np.cos(phi)
    st, ct = np.sin(theta), np.cos(theta)
    sp, cp = np.sin(psi), np.cos(psi)
    matrix = np.stack(
        [
            np.stack([cp * cf - sp * ct * sf, cp * sf + sp * ct * cf, sp * st], axis=-1),
            np.stack([-sp * cf - cp * ct * sf, -sp * sf + cp * ct * cf, cp * st], axis=-1),
            np.stack([st * sf, -st * cf, ct], axis=-1),
        ],
        axis=-2,
    )
    omega = np.stack(
        [
            phi_dot * st * sp + theta_dot * cp,
            phi_dot * st * cp - theta_dot * sp,
            phi_dot * ct + psi_dot,
        ],
        axis=-1,
    )
    return FrameRotation(matrix, omega, "MCI", "MOON_ME")


def mci_to_moon_fixed(
    r_m: ArrayLike, v_m_s: ArrayLike, jd_tdb1: ArrayLike, jd_tdb2: ArrayLike = 0.0
) -> tuple[Array, Array]:
    """MCI position (m) and velocity (m/s) to the Moon-fixed frame (IAU 2009 model)."""
    return moon_rotation(jd_tdb1, jd_tdb2).to_fixed(r_m, v_m_s)


def moon_fixed_to_mci(
    r_m: ArrayLike, v_m_s: ArrayLike, jd_tdb1: ArrayLike, jd_tdb2: ArrayLike = 0.0
) -> tuple[Array, Array]:
    """Moon-fixed position (m) and velocity (m/s) to MCI; inverse of
    :func:`mci_to_moon_fixed`."""
    return moon_rotation(jd_tdb1, jd_tdb2).to_inertial(r_m, v_m_s)


def gcrf_to_mci(
    r_m: ArrayLike, v_m_s: ArrayLike, jd_tdb1: ArrayLike, jd_tdb2: ArrayLike = 0.0
) -> tuple[Array, Array]:
    """Geocentric (GCRF) state to Moon-centred inertial: subtract the DE421 Moon state.

    Both frames have ICRF axes, so this is a change of origin only (m, m/s).
    """
    r_moon, v_moon = ephemeris.moon_state_gcrf(jd_tdb1, jd_tdb2)
    return np.asarray(r_m, dtype=float) - r_moon, np.asarray(v_m_s, dtype=float) - v_moon


def mci_to_gcrf(
    r_m: ArrayLike, v_m_s: ArrayLike, jd_tdb1: ArrayLike, jd_tdb2: ArrayLike = 0.0
) -> tuple[Array, Array]:
    """Moon-centred inertial state to geocentric (GCRF): add the DE421 Moon state."""
    r_moon, v_moon = ephemeris.moon_state_gcrf(jd_tdb1, jd_tdb2)
    return np.asarray(r_m, dtype=float) + r_moon, np.asarray(v_m_s, dtype=float) + v_moon


def moon_fixed_to_selenographic(r_m: ArrayLike) -> tuple[Array, Array, Array]:
    """Selenographic latitude (rad), east longitude (rad, −π..π) and height (m) above the
    sphere of radius ``R_MOON_M`` (1737.4 km, IAU 2009) of a Moon-fixed position."""
    r = np.asarray(r_m, dtype=float)
    x, y, z = r[..., 0], r[..., 1], r[..., 2]
    rho = np.hypot(x, y)
    return np.arctan2(z, rho), np.arctan2(y, x), np.hypot(rho, z) - R_MOON_M


def selenographic_to_moon_fixed(lat_rad: ArrayLike, lon_rad: ArrayLike, h_m: ArrayLike) -> Array:
    """Moon-fixed position (m, ``(..., 3)``) of selenographic latitude, east longitude and
    height above the ``R_MOON_M`` sphere."""
    lat = np.asarray(lat_rad, dtype=float)
    lon = np.asarray(lon_rad, dtype=float)
    r = R_MOON_M + np.asarray(h_m, dtype=float)
    cl = np.cos(lat)
    return np.stack(
        np.broadcast_arrays(r * cl * np.cos(lon), r * cl * np.sin(lon), r * np.sin(lat)), axis=-1
    )


# --- LVLH -------------------------------------------------------------------------------------


def lvlh_of(r_target_m: ArrayLike, v_target_m_s: ArrayLike) -> Array:
    """Rotation from inertial axes to the target's LVLH axes, ``(..., 3, 3)``.

    :func:`houston.dynamics.relative.lvlh_basis`: rows x radial (outward), y along-track,
    z orbit normal (Vallado's RSW frame, 4th ed., chapter 3).
    """
    return lvlh_basis(r_target_m, v_target_m_s)

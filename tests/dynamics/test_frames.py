"""Tests of houston.dynamics.frames: Vallado's worked GCRF/ITRF example, astropy's ERFA-based
transformation, DSN station coordinates, the Moon's rotation against the physics of DE421,
exact special cases, and round trips of every transformation (hypothesis)."""

from __future__ import annotations

import math

import erfa
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from houston.core.constants import F_EARTH, R_EARTH_M, R_MOON_M
from houston.core.time import NS_PER_S, Epoch, astropy_offline
from houston.dynamics import ephemeris as eph
from houston.dynamics import frames as fr
from houston.dynamics.relative import lvlh_basis
from houston.dynamics.sites import DSN_70M, DSS_14, sites_arrays

ARCSEC = np.pi / (180.0 * 3600.0)
DEG = np.pi / 180.0
KM = 1.0e3
DAY_NS = 86_400 * NS_PER_S

#: A 1985 epoch built without astropy (TAI two-part Julian date of 1985-07-13T12:00:00 UTC,
#: TAI - UTC = 22 s).
EPOCH_1985 = Epoch(2446260.0, 22.0 / 86400.0, "1985-07-13T12:00:00Z")


def _norm(x):
    return np.sqrt(np.einsum("...i,...i->...", x, x))


def _close(a, b, scale, atol=1.0e-9, rtol=1.0e-15):
    """|a - b| <= atol + rtol * scale, vector-wise: round-off relative to the magnitudes
    involved (1e-9 m is below the 1 ulp of 6.4e6 m = 9e-10 m, so the relative term governs
    beyond Earth radius)."""
    err = _norm(np.asarray(a) - np.asarray(b))
    assert np.all(err <= atol + rtol * np.asarray(scale)), err.max()


# --- GCRF <-> ITRF ----------------------------------------------------------------------------

#: Vallado 4th ed., Example 3-15 (and Vallado et al. 2006, AIAA 2006-6753): 2004 April 6,
#: 07:51:28.386009 UTC, x_p = -0.140682", y_p = 0.333309", dUT1 = -0.4399619 s, dAT = 32 s,
#: LOD = 1.5563 ms, dX = -0.000205", dY = -0.000136".
VALLADO_R_ITRF = np.array([-1033.4793830, 7901.2952754, 6380.3565958]) * KM
VALLADO_V_ITRF = np.array([-3.225636520, -2.872451450, 5.531924446]) * KM
VALLADO_R_GCRF = np.array([5102.508959, 6123.011403, 6378.136925]) * KM
VALLADO_V_GCRF = np.array([-4.74322016, 0.79053650, 5.53375573]) * KM


def _vallado_rotation():
    utc1, utc2 = erfa.dtf2d("UTC", 2004, 4, 6, 7, 51, 28.386009)
    tai1, tai2 = erfa.utctai(utc1, utc2)
    tt1, tt2 = erfa.taitt(tai1, tai2)
    ut11, ut12 = erfa.utcut1(utc1, utc2, -0.4399619)
    return fr.earth_rotation_at(
        tt1,
        tt2,
        ut11,
        ut12,
        -0.140682 * ARCSEC,
        0.333309 * ARCSEC,
        -0.000205 * ARCSEC,
        -0.000136 * ARCSEC,
        1.0 - 0.0015563 / 86400.0,
    )


def test_vallado_example_3_15_itrf_to_gcrf():
    """Vallado, Fundamentals of Astrodynamics and Applications, 4th ed., Example 3-15: the
    IAU 2006/2000 CIO-based reduction of r_ITRF = (-1033.4793830, 7901.2952754,
    6380.3565958) km, v_ITRF = (-3.225636520, -2.872451450, 5.531924446) km/s gives
    r_GCRF = (5102.508959, 6123.011403, 6378.136925) km, v_GCRF = (-4.74322016, 0.79053650,
    5.53375573) km/s, with the EOP the example states.

    ERFA reproduces the book to 1.0 cm and 6e-6 m/s; the book's own series evaluation
    differs from SOFA/ERFA at the centimetre level, so the tolerances are 1.5 cm and
    2e-5 m/s (the last printed digit of the velocity). The reverse transformation of the
    book's GCRF state must give its ITRF state to the same tolerances.
    """
    rot = _vallado_rotation()
    r, v = rot.to_inertial(VALLADO_R_ITRF, VALLADO_V_ITRF)
    assert _norm(r - VALLADO_R_GCRF) < 0.015
    assert np.abs(v - VALLADO_V_GCRF).max() < 2.0e-5
    r, v = rot.to_fixed(VALLADO_R_GCRF, VALLADO_V_GCRF)
    assert _norm(r - VALLADO_R_ITRF) < 0.015
    assert np.abs(v - VALLADO_V_ITRF).max() < 2.0e-5


_ASTROPY_CASES = (
    ("1975-07-17T16:00:00Z", "B"),
    ("1985-03-01T00:00:00Z", "B"),
    ("2004-04-06T07:51:28.386Z", "B"),
    ("2024-06-01T12:00:00Z", "B"),
    ("2027-03-01T00:00:00Z", "auto"),  # past IERS C04: Rapid Service predictions
)


@pytest.mark.parametrize(("utc", "table"), _ASTROPY_CASES)
def test_gcrf_to_itrf_against_astropy(utc, table):
    """GCRF -> ITRF against astropy's GCRS -> ITRS (obstime = the same instants; ERFA
    c2i06a, era00, pom00 with the same IERS tables: C04 for the past, astropy's IERS_Auto
    combination beyond it), for LEO, MEO and GEO states at three times over three days.

    astropy applies no celestial-pole offsets, so they are left out here
    (pole_offsets=False). Positions agree to 3e-7 m: tolerance 1e-5 m. astropy
    differentiates the whole transformation numerically, including the slow motion of the
    celestial pole that this module leaves out of the velocity: they agree to 0.23 mm/s;
    tolerance 0.5 mm/s. With the offsets the positions move by under 0.1 m.
    """
    astropy_offline()
    from astropy import units as u
    from astropy.coordinates import GCRS, ITRS, CartesianDifferential, CartesianRepresentation
    from astropy.utils import iers

    epoch = Epoch.from_utc(utc)
    t_ns = np.array([0, 3_600 * NS_PER_S + 123, 3 * DAY_NS])
    r = np.array([[7.0e6, -1.2e6, 2.5e6], [-3.0e6, 4.0e6, -2.5e7], [4.2e7, 1.0e6, -3.0e5]])
    v = np.array([[1.0e3, 7.0e3, -1.5e3], [-3.0e3, -2.0e3, 1.0e3], [-70.0, 3070.0, 10.0]])
    ri, vi = fr.earth_rotation(epoch, t_ns, pole_offsets=False).to_fixed(r, v)

    eop = iers.IERS_B.open() if table == "B" else iers.IERS_Auto.open()
    with iers.earth_orientation_table.set(eop):
        t = epoch.time(t_ns)
        rep = CartesianRepresentation(
            r.T * u.m, differentials=CartesianDifferential(v.T * u.m / u.s)
        )
        itrs = GCRS(rep, obstime=t).transform_to(ITRS(obstime=t))
    ra = itrs.cartesian.xyz.to_value(u.m).T
    va = itrs.cartesian.differentials["s"].d_xyz.to_value(u.m / u.s).T
    assert _norm(ri - ra).max() < 1.0e-5
    assert _norm(vi - va).max() < 5.0e-4
    with_offsets = fr.earth_rotation(epoch, t_ns).position_to_fixed(r)
    assert _norm(with_offsets - ri).max() < 0.1


def test_velocity_is_derivative_of_itrf_position():
    """The ITRF velocity of a uniformly moving GCRF point equals a central difference of its
    ITRF positions (h = 1 s): agreement 0.05 mm/s for LEO (precession-nutation rate and
    truncation); tolerance 0.1 mm/s. A point fixed on the equator has an inertial speed of
    omega * a = 465.10 m/s."""
    r0 = np.array([6.9e6, 1.0e6, 1.5e6])
    v0 = np.array([-1.0e3, 7.0e3, 1.0e3])
    t_ns = np.array([-NS_PER_S, 0, NS_PER_S]) + 40 * DAY_NS
    r_gcrf = r0 + v0 * np.array([-1.0, 0.0, 1.0])[:, None]
    rot = fr.earth_rotation(EPOCH_1985, t_ns)
    r_itrf = rot.position_to_fixed(r_gcrf)
    _, v_itrf = rot.to_fixed(r_gcrf, np.broadcast_to(v0, (3, 3)))
    assert _norm(v_itrf[1] - (r_itrf[2] - r_itrf[0]) / 2.0) < 1.0e-4
    r_eq = np.array([R_EARTH_M, 0.0, 0.0])
    _, v_in = rot.to_inertial(r_eq, np.zeros(3))
    np.testing.assert_allclose(_norm(v_in), fr.OMEGA_ERA_RAD_S * R_EARTH_M, rtol=1e-7)


def test_shapes_broadcast():
    """A (2, 3) grid of times gives (2, 3, 3, 3) matrices; a (4, 1, 1, 3) batch of states
    broadcasts against them to (4, 2, 3, 3); one time with a batch of vehicles needs one
    matrix."""
    t_ns = np.arange(6, dtype=np.int64).reshape(2, 3) * 600 * NS_PER_S
    rot = fr.earth_rotation(EPOCH_1985, t_ns)
    assert rot.matrix.shape == (2, 3, 3, 3)
    assert rot.omega_rad_s.shape == (2, 3, 3)
    r = np.ones((4, 1, 1, 3)) * 7.0e6
    rf, vf = rot.to_fixed(r, np.zeros(3))
    assert rf.shape == vf.shape == (4, 2, 3, 3)
    one = fr.earth_rotation(EPOCH_1985, 0)
    assert one.matrix.shape == (3, 3)
    r2, v2 = fr.gcrf_to_itrf(np.ones((50, 3)) * 7e6, np.zeros((50, 3)), EPOCH_1985, 0)
    assert r2.shape == v2.shape == (50, 3)
    np.testing.assert_array_equal(r2, one.position_to_fixed(np.ones((50, 3)) * 7e6))


# --- Earth orientation ----------------------------------------------------------------------


def test_earth_orientation_table():
    """The bundled IERS tables obey their definitions: |UT1 - UTC| <= 0.9 s after 1972 (the
    rule that schedules leap seconds); UT1 - TAI is continuous across a leap second
    (1985-07-01); polar motion stays under 1"; dUT1/dTAI matches the C04 length of day
    (mean of the bracketing days) to 0.2 ms; the time before 1962 is refused; after the
    last prediction the values are held."""
    astropy_offline()
    from astropy.utils import iers

    mjd_utc = np.linspace(41500.0, 61300.0, 400)  # 1972-07 .. 2026-09
    y, m, d, f = erfa.jd2cal(2400000.5, mjd_utc)
    tai_utc = erfa.dat(y, m, d, f)
    eo = fr.earth_orientation(2400000.5, mjd_utc + tai_utc / 86400.0)
    assert np.abs(eo.ut1_minus_tai_s + tai_utc).max() <= 0.9
    assert np.abs(eo.xp_rad).max() < ARCSEC and np.abs(eo.yp_rad).max() < ARCSEC

    # 1985-07-01 0h UTC = MJD 46247 + 23 s TAI (TAI - UTC became 23 s)
    jump = fr.earth_orientation(2400000.5, 46247.0 + np.array([21.0, 23.0, 25.0]) / 86400.0)
    assert np.abs(np.diff(jump.ut1_minus_tai_s)).max() < 1.0e-4

    b = iers.IERS_B.open()
    i = np.arange(5000, len(b) - 2, 997)
    lod = 0.5 * (b["LOD"].value[i] + b["LOD"].value[i + 1])
    mjd = b["MJD"].value[i] + 0.5
    y, m, d, f = erfa.jd2cal(2400000.5, mjd)
    rate = fr.earth_orientation(2400000.5, mjd + erfa.dat(y, m, d, f) / 86400.0).ut1_rate
    assert np.abs((1.0 - rate) * 86400.0 - lod).max() < 2.0e-4

    with pytest.raises(ValueError, match="1962"):
        fr.earth_orientation(2437000.5)
    late = fr.earth_orientation(np.array([2470000.5, 2480000.5]))
    assert late.ut1_minus_tai_s[0] == late.ut1_minus_tai_s[1]
    np.testing.assert_array_equal(late.ut1_rate, 1.0)


# --- geodetic and topocentric -------------------------------------------------------------------


def test_dss14_published_coordinates():
    """DSN No. 810-005, Module 301 Rev. M: DSS-14 (Goldstone) at ITRF (-2353621.420,
    -4641341.472, +3677052.318) m, geodetic (WGS-84) latitude 35 deg 25' 33.24312" N,
    longitude 243 deg 06' 37.66244" E, height 1001.390 m. Both directions agree to 0.7 mm
    (the table rounds to 1e-5" = 0.3 mm and 1 mm in height); tolerance 2 mm."""
    lat = (35 + 25 / 60 + 33.24312 / 3600) * DEG
    lon = (243 + 6 / 60 + 37.66244 / 3600 - 360) * DEG
    r = np.array(DSS_14.r_itrf_m)
    assert _norm(fr.geodetic_to_ecef(lat, lon, 1001.390) - r) < 2.0e-3
    glat, glon, gh = fr.ecef_to_geodetic(r)
    assert abs(glat - lat) * R_EARTH_M < 2.0e-3
    assert abs(glon - lon) * R_EARTH_M < 2.0e-3
    assert abs(gh - 1001.390) < 2.0e-3
    assert DSS_14.h_m == pytest.approx(1001.390, abs=2.0e-3)


def test_geodetic_special_cases():
    """Exact cases of the WGS-84 ellipsoid: on the equator r = (a + h)(cos lon, sin lon, 0);
    at the poles r = (0, 0, ±(b + h)) with b = a(1 - f); and back (to 1e-9 m and 1e-15
    rad)."""
    lon = np.array([0.0, 0.5, -2.0, np.pi])
    h = np.array([0.0, 100.0, -50.0, 3.6e7])
    r = fr.geodetic_to_ecef(0.0, lon, h)
    exact = np.stack([(R_EARTH_M + h) * np.cos(lon), (R_EARTH_M + h) * np.sin(lon), 0 * h], -1)
    _close(r, exact, _norm(exact))
    b = R_EARTH_M * (1.0 - F_EARTH)
    for sign in (1.0, -1.0):
        rp = fr.geodetic_to_ecef(sign * np.pi / 2, 0.3, h)
        _close(rp, np.stack([0 * h, 0 * h, sign * (b + h)], -1), b + h)
        lat, _, hh = fr.ecef_to_geodetic(rp)
        np.testing.assert_allclose(lat, sign * np.pi / 2, rtol=0, atol=1e-15)
        np.testing.assert_allclose(hh, h, rtol=1e-15, atol=1e-9)
    lat, lon2, hh = fr.ecef_to_geodetic(exact)
    np.testing.assert_allclose(lat, 0.0, atol=1e-15)
    np.testing.assert_allclose(hh, h, rtol=1e-15, atol=1e-9)
    np.testing.assert_allclose(np.cos(lon2 - lon), 1.0, rtol=0, atol=1e-15)


def test_look_angles_exact_geometry():
    """From a site on the ellipsoid: a point on the geodetic vertical is at elevation 90°; a
    point displaced along local north (east) is at azimuth 0° (90°) and elevation 0; the
    range rate is the derivative of the range (central difference, h = 1 ms, to 1e-6 m/s)."""
    lat, lon = 35.4 * DEG, -116.9 * DEG
    site = fr.geodetic_to_ecef(lat, lon, 1000.0)
    e, n, u = fr.enu_basis(lat, lon)
    la = fr.look_angles(site + 5e5 * u, site, lat, lon)
    assert la.elevation_rad == pytest.approx(np.pi / 2, abs=1e-12)
    assert la.range_m == pytest.approx(5e5, rel=1e-14)
    assert np.isnan(la.range_rate_m_s)
    la = fr.look_angles(site + np.stack([1e4 * n, 1e4 * e, -1e4 * n]), site, lat, lon)
    az_err = np.angle(np.exp(1j * (la.azimuth_rad - np.array([0.0, np.pi / 2, np.pi]))))
    assert np.abs(az_err).max() < 1e-12
    assert np.all((la.azimuth_rad >= 0.0) & (la.azimuth_rad < 2 * np.pi))
    np.testing.assert_allclose(la.elevation_rad, 0.0, atol=1e-12)

    r = np.array([-2.0e6, -5.5e6, 4.0e6])
    v = np.array([3.0e3, -2.0e3, 6.0e3])
    la = fr.look_angles(r, site, lat, lon, v)
    plus = fr.look_angles(r + 1e-3 * v, site, lat, lon).range_m
    minus = fr.look_angles(r - 1e-3 * v, site, lat, lon).range_m
    assert la.range_rate_m_s == pytest.approx((plus - minus) / 2e-3, abs=1e-6)


def test_look_angles_batch_of_stations_and_vehicles():
    """Three DSN stations against five vehicles in one call gives (3, 5) arrays; a
    geostationary satellite above DSS-14's meridian is due south of it (azimuth 180°) at the
    elevation of the exact plane geometry."""
    r_sites, lat, lon = sites_arrays(DSN_70M)
    targets = np.stack([fr.geodetic_to_ecef(0.0, lo, 35_786e3) for lo in np.linspace(-3, 3, 5)])
    la = fr.look_angles(targets, r_sites[:, None, :], lat[:, None], lon[:, None])
    assert la.azimuth_rad.shape == la.elevation_rad.shape == (3, 5)

    geo = fr.geodetic_to_ecef(0.0, DSS_14.lon_rad, 35_786e3)
    la = fr.look_angles(geo, np.array(DSS_14.r_itrf_m), DSS_14.lat_rad, DSS_14.lon_rad)
    assert la.azimuth_rad == pytest.approx(np.pi, abs=1e-12)
    rho = geo - np.array(DSS_14.r_itrf_m)
    up = fr.enu_basis(DSS_14.lat_rad, DSS_14.lon_rad)[2]
    assert la.elevation_rad == pytest.approx(np.arcsin(rho @ up / _norm(rho)), abs=1e-12)


# --- the Moon ----------------------------------------------------------------------------------


def test_moon_pole_and_prime_meridian_at_j2000():
    """IAU WGCCRE 2009 (Archinal et al. 2011, Table 2) evaluated by hand at J2000 (d = T = 0,
    so E_i = E_i0): alpha0 = 269.9949 + sum, delta0 = 66.5392 + sum, W = 38.3213 + sum of the
    periodic terms. The rotation matrix's third row must be the pole (cos d cos a, cos d
    sin a, sin d) and its first row the prime meridian, W along the equator from the node
    (-sin a, cos a, 0). Agreement to 1e-15 rad."""
    s = lambda x: math.sin(math.radians(x))  # noqa: E731
    c = lambda x: math.cos(math.radians(x))  # noqa: E731
    alpha0 = (
        269.9949
        - 3.8787 * s(125.045)
        - 0.1204 * s(250.089)
        + 0.0700 * s(260.008)
        - 0.0172 * s(176.625)
        + 0.0072 * s(311.589)
        - 0.0052 * s(15.134)
        + 0.0043 * s(25.053)
    )
    delta0 = (
        66.5392
        + 1.5419 * c(125.045)
        + 0.0239 * c(250.089)
        - 0.0278 * c(260.008)
        + 0.0068 * c(176.625)
        - 0.0029 * c(311.589)
        + 0.0009 * c(134.963)
        + 0.0008 * c(15.134)
        - 0.0009 * c(25.053)
    )
    w = (
        38.3213
        + 3.5610 * s(125.045)
        + 0.1208 * s(250.089)
        - 0.0642 * s(260.008)
        + 0.0158 * s(176.625)
        + 0.0252 * s(357.529)
        - 0.0066 * s(311.589)
        - 0.0047 * s(134.963)
        - 0.0046 * s(276.617)
        + 0.0028 * s(34.226)
        + 0.0052 * s(15.134)
        + 0.0040 * s(119.743)
        + 0.0019 * s(239.961)
        - 0.0044 * s(25.053)
    )
    o = fr.moon_orientation(2451545.0)
    assert o.alpha0_rad == pytest.approx(math.radians(alpha0), abs=1e-15)
    assert o.delta0_rad == pytest.approx(math.radians(delta0), abs=1e-15)
    assert o.w_rad == pytest.approx(math.radians(w), abs=1e-14)
    m = fr.moon_rotation(2451545.0).matrix
    a, d, w = math.radians(alpha0), math.radians(delta0), math.radians(w)
    pole = np.array([c(delta0) * c(alpha0), c(delta0) * s(alpha0), s(delta0)])
    node = np.array([-math.sin(a), math.cos(a), 0.0])
    meridian = math.cos(w) * node + math.sin(w) * np.cross(pole, node)
    np.testing.assert_allclose(m[2], pole, rtol=0, atol=1e-15)
    np.testing.assert_allclose(m[0], meridian, rtol=0, atol=1e-14)
    np.testing.assert_allclose(m @ m.T, np.eye(3), rtol=0, atol=1e-15)
    assert d == pytest.approx(o.delta0_rad)


def test_moon_rotation_against_de421_orbit():
    """Physics the IAU model must reproduce, checked against the DE421 orbit over one nodal
    cycle (18.6 years from J2000, every 6 h):

    * Cassini's laws: the lunar pole stays 1.54° from the ecliptic pole (1.508-1.583°;
      tolerance 1.50-1.59°) and lies in the plane of the ecliptic pole and the orbit normal
      (to 0.008°; tolerance 0.02°), on the other side of the ecliptic pole (angle to the
      orbit normal = sum of the two, 6.4-6.9°).
    * The mean-Earth frame: the mean sub-Earth point is at latitude and longitude 0 (DE421:
      -0.002°, -0.010°; tolerance 0.05°), with librations within ±8.2° and ±7°.
    * Synchronous rotation: the sub-Earth longitude does not drift (fitted slope
      -0.0002°/year, tolerance 0.002°/year), so W's rate, 13.17635815°/day (360° in
      27.32166 d), is the Moon's mean sidereal motion in DE421.
    """
    jd = 2451545.0 + np.arange(0.0, 6798.0, 0.25)
    rot = fr.moon_rotation(jd)
    r, v = eph.moon_state_gcrf(jd)
    pole = rot.matrix[:, 2, :]
    ecl = erfa.ecm06(jd, 0.0)[:, 2, :]
    h = np.cross(r, v)
    h /= _norm(h)[:, None]

    def angle(a, b):
        return np.degrees(np.arccos(np.clip(np.einsum("...i,...i", a, b), -1.0, 1.0)))

    assert 1.50 < angle(pole, ecl).min() and angle(pole, ecl).max() < 1.59
    coplanar = np.degrees(np.arcsin(np.abs(np.einsum("...i,...i", np.cross(pole, ecl), h))))
    assert coplanar.max() < 0.02
    np.testing.assert_allclose(angle(pole, h), angle(pole, ecl) + angle(ecl, h), atol=0.03)

    lat, lon, _ = fr.moon_fixed_to_selenographic(rot.position_to_fixed(-r))
    assert abs(np.degrees(lat.mean())) < 0.05 and abs(np.degrees(lon.mean())) < 0.05
    assert np.degrees(np.abs(lon)).max() < 8.2 and np.degrees(np.abs(lat)).max() < 7.0

    drift_deg_year = np.degrees(np.polyfit(jd - jd[0], lon, 1)[0]) * 365.25
    assert abs(drift_deg_year) < 0.002


def test_moon_angular_velocity_is_derivative_of_matrix():
    """dM/dt = -[omega x] M for the Moon-fixed rotation, with dM/dt by central difference
    (h = 30 s): agreement 6e-15 /s against |dM/dt| = 2.3e-6 /s; tolerance 1e-13 /s."""
    jd = 2460000.3
    h_s = 30.0
    plus = fr.moon_rotation(jd, h_s / 86400.0).matrix
    minus = fr.moon_rotation(jd, -h_s / 86400.0).matrix
    rot = fr.moon_rotation(jd)
    wx, wy, wz = rot.omega_rad_s
    cross = np.array([[0.0, -wz, wy], [wz, 0.0, -wx], [-wy, wx, 0.0]])
    assert np.abs((plus - minus) / (2 * h_s) + cross @ rot.matrix).max() < 1e-13


def test_moon_centred_frames():
    """The Moon's own DE421 state is the origin of MCI; the Earth's centre in MCI is
    earth_state_mci; a point at selenographic (0°, 0°, 0) lies on the prime meridian at
    R_MOON_M, and at the north pole on the z axis."""
    jd1, jd2 = 2446000.5, np.array([0.0, 0.3])
    rm, vm = eph.moon_state_gcrf(jd1, jd2)
    r, v = fr.gcrf_to_mci(rm, vm, jd1, jd2)
    assert np.abs(r).max() == 0.0 and np.abs(v).max() == 0.0
    re, ve = fr.gcrf_to_mci(np.zeros(3), np.zeros(3), jd1, jd2)
    er, ev = eph.earth_state_mci(jd1, jd2)
    np.testing.assert_array_equal(re, er)
    np.testing.assert_array_equal(ve, ev)
    np.testing.assert_allclose(fr.selenographic_to_moon_fixed(0.0, 0.0, 0.0), [R_MOON_M, 0, 0])
    np.testing.assert_allclose(
        fr.selenographic_to_moon_fixed(np.pi / 2, 1.0, 10.0), [0, 0, R_MOON_M + 10], atol=1e-9
    )


def test_lvlh_of_is_relative_lvlh_basis():
    """lvlh_of is houston.dynamics.relative.lvlh_basis: an orthonormal (..., 3, 3) basis."""
    r = np.array([[7.0e6, 0.0, 0.0], [0.0, 4.2e7, 1.0e5]])
    v = np.array([[0.0, 7.5e3, 1.0e2], [-3.0e3, 0.0, 0.0]])
    m = fr.lvlh_of(r, v)
    np.testing.assert_array_equal(m, lvlh_basis(r, v))
    np.testing.assert_allclose(
        m @ np.swapaxes(m, -1, -2), np.broadcast_to(np.eye(3), m.shape), atol=1e-15
    )


# --- round trips (hypothesis) ----------------------------------------------------------------

coord = st.floats(-1.0, 1.0, allow_nan=False)
vec3 = st.tuples(coord, coord, coord).map(np.array)


@settings(max_examples=25, deadline=None)
@given(
    vec3,
    vec3,
    st.floats(6.4e6, 4.0e8),
    st.floats(0.0, 1.2e4),
    st.integers(-20 * 365 * DAY_NS, 40 * 365 * DAY_NS),
)
def test_round_trip_gcrf_itrf(u_r, u_v, r_m, v_m_s, t_ns):
    """GCRF -> ITRF -> GCRF returns the state to round-off: |dr| <= 1e-9 m + 1e-15 |r|,
    |dv| <= 1e-12 m/s + 1e-15 (|v| + omega |r|), 1965-2025 from a 1985 epoch."""
    r = u_r * r_m / max(_norm(u_r), 1e-3)
    v = u_v * v_m_s / max(_norm(u_v), 1e-3)
    rf, vf = fr.gcrf_to_itrf(r, v, EPOCH_1985, t_ns)
    rb, vb = fr.itrf_to_gcrf(rf, vf, EPOCH_1985, t_ns)
    _close(rb, r, _norm(r))
    _close(vb, v, _norm(v) + 7.3e-5 * _norm(r), atol=1e-12)
    assert _norm(rf) == pytest.approx(_norm(r), rel=1e-15)


@settings(max_examples=25, deadline=None)
@given(vec3, vec3, st.floats(1.0e5, 6.0e7), st.floats(0.0, 3.0e3), st.floats(2415100.0, 2469000.0))
def test_round_trip_mci_moon_fixed(u_r, u_v, r_m, v_m_s, jd):
    """MCI -> Moon-fixed -> MCI, and GCRF -> MCI -> GCRF, to round-off (1e-9 m + 1e-15 of the
    magnitudes involved, which include the Moon's distance for the change of origin)."""
    r = u_r * r_m / max(_norm(u_r), 1e-3)
    v = u_v * v_m_s / max(_norm(u_v), 1e-3)
    rf, vf = fr.mci_to_moon_fixed(r, v, jd, 0.25)
    rb, vb = fr.moon_fixed_to_mci(rf, vf, jd, 0.25)
    _close(rb, r, _norm(r))
    _close(vb, v, _norm(v) + 2.7e-6 * _norm(r), atol=1e-12)
    rg, vg = fr.mci_to_gcrf(r, v, jd, 0.25)
    rb, vb = fr.gcrf_to_mci(rg, vg, jd, 0.25)
    _close(rb, r, _norm(rg) + _norm(r))
    _close(vb, v, _norm(vg) + _norm(v), atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    st.floats(-np.pi / 2, np.pi / 2),
    st.floats(-np.pi, np.pi),
    st.floats(-1.0e4, 4.0e8),
)
def test_round_trip_geodetic(lat, lon, h):
    """Geodetic -> ECEF -> geodetic -> ECEF returns the position to 1e-9 m + 1e-15 |r|, and
    the height to the same."""
    r = fr.geodetic_to_ecef(lat, lon, h)
    lat2, lon2, h2 = fr.ecef_to_geodetic(r)
    _close(fr.geodetic_to_ecef(lat2, lon2, h2), r, _norm(r))
    assert abs(h2 - h) <= 1e-9 + 1e-15 * _norm(r)


@settings(max_examples=25, deadline=None)
@given(
    st.floats(-np.pi / 2, np.pi / 2),
    st.floats(-np.pi, np.pi),
    st.floats(-1.0e5, 4.0e8),
)
def test_round_trip_selenographic(lat, lon, h):
    """Selenographic -> Moon-fixed -> selenographic -> Moon-fixed to 1e-9 m + 1e-15 |r|."""
    r = fr.selenographic_to_moon_fixed(lat, lon, h)
    back = fr.selenographic_to_moon_fixed(*fr.moon_fixed_to_selenographic(r))
    _close(back, r, _norm(r))

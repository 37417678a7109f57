"""Tests of houston.dynamics.ephemeris: DE421 Sun and Moon against published examples,
independent series (ERFA/astropy builtin), physical properties, and the time scales."""

from __future__ import annotations

import erfa
import numpy as np
import pytest

from houston.core.constants import AU_M
from houston.core.time import NS_PER_S, Epoch, astropy_offline
from houston.dynamics import ephemeris as eph

ARCSEC = np.pi / (180.0 * 3600.0)
KM = 1.0e3


def _ecliptic_of_date(r_icrf, jd_tt):
    """Longitude, latitude (rad) and distance of ``r_icrf`` on the mean ecliptic and equinox
    of date (IAU 2006 precession, ``erfa.ecm06``)."""
    x = erfa.ecm06(jd_tt, 0.0) @ r_icrf
    return np.arctan2(x[1], x[0]) % (2 * np.pi), np.arcsin(x[2] / np.linalg.norm(x)), x


def _angle_diff(a, b):
    return (a - b + np.pi) % (2 * np.pi) - np.pi


# --- published examples ------------------------------------------------------------------------


def test_meeus_example_47a_moon():
    """Meeus, Astronomical Algorithms, 2nd ed., Example 47.a: the Moon on 1992 April 12, 0h TD
    (JDE 2448724.5).

    Meeus gives lambda = 133.162655 deg, beta = -3.229126 deg, Delta = 368409.7 km: geocentric,
    geometric, on the mean ecliptic and equinox of date (his apparent longitude, 133.167265
    deg, adds the nutation of 16.595"). We rotate the DE421 vector from ICRF to the mean
    ecliptic of date with erfa.ecm06 and compare. His series is a truncation of ELP-2000/82,
    so the tolerances are 5" in longitude, 2" in latitude and 10 km in distance; DE421 is
    within 1.3", 0.3" and 4.2 km.
    """
    jd = 2448724.5
    lam, beta, x = _ecliptic_of_date(eph.moon_position_gcrf(jd, 0.0), jd)
    assert abs(_angle_diff(lam, np.radians(133.162655))) < 5.0 * ARCSEC
    assert abs(beta - np.radians(-3.229126)) < 2.0 * ARCSEC
    assert abs(np.linalg.norm(x) - 368409.7 * KM) < 10.0 * KM


def test_meeus_example_25b_sun():
    """Meeus, Astronomical Algorithms, 2nd ed., Example 25.b: the Sun on 1992 October 13.0 TD
    (JDE 2448908.5) from VSOP87: geometric longitude (FK5) 199.907347 deg, latitude +0.62",
    radius vector R = 0.99760775 AU.

    Direction compared on the mean ecliptic of date (erfa.ecm06) to 0.5" (DE421 is within
    0.24" and 0.13"). The distance is compared to 1e-6 AU (150 km): DE421 differs from
    Meeus's R by 7.6e-7 AU (114 km), the truncation of his abridged VSOP87 series
    (Appendix III), since ERFA's epv00 agrees with DE421 to 4 km at this instant (checked
    here too).
    """
    jd = 2448908.5
    r = eph.sun_position_gcrf(jd, 0.0)
    lam, beta, _ = _ecliptic_of_date(r, jd)
    assert abs(_angle_diff(lam, np.radians(199.907347))) < 0.5 * ARCSEC
    assert abs(beta - 0.62 * ARCSEC) < 0.5 * ARCSEC
    assert abs(np.linalg.norm(r) / AU_M - 0.99760775) < 1.0e-6
    pvh, _ = erfa.epv00(jd, 0.0)
    assert abs(np.linalg.norm(r) - np.linalg.norm(pvh["p"]) * AU_M) < 5.0 * KM


# --- the kernel reader ---------------------------------------------------------------------


def test_tables_match_jplephem_segments():
    """The combined Chebyshev tables against jplephem's own evaluation of the DE421 segments
    (compute_and_differentiate, km and km/day) at 2,000 random times over the whole kernel
    and at its ends: Moon - Earth to 1 micrometre and 1e-9 m/s; Sun - Earth and Sun - Moon,
    whose 16-day series are re-expanded onto 4-day records, to 1 mm and 1e-6 m/s (round-off
    at 1.5e11 m: 0.2 mm and 4e-8 m/s found)."""
    spk = eph._spk()
    rng = np.random.default_rng(7)
    t1 = np.concatenate([np.floor(rng.uniform(2414865, 2469807, 2000)) + 0.5, [2414864.5]])
    t2 = np.concatenate([rng.uniform(-0.5, 0.5, 2000), [0.0]])
    t1, t2 = np.append(t1, 2469807.5), np.append(t2, 0.0)

    def seg(center, target):
        r, v = spk[center, target].compute_and_differentiate(t1, t2)
        return r.T * KM, v.T * KM / 86400.0

    (m, mv), (e, ev), (b, bv), (s, sv) = seg(3, 301), seg(3, 399), seg(0, 3), seg(0, 10)
    r, v = eph.moon_state_gcrf(t1, t2)
    assert np.abs(r - (m - e)).max() < 1e-6 and np.abs(v - (mv - ev)).max() < 1e-9
    r, v = eph.sun_state_gcrf(t1, t2)
    assert np.abs(r - (s - b - e)).max() < 1e-3 and np.abs(v - (sv - bv - ev)).max() < 1e-6
    r, v = eph.sun_state_mci(t1, t2)
    assert np.abs(r - (s - b - m)).max() < 1e-3 and np.abs(v - (sv - bv - mv)).max() < 1e-6


# --- independent series ---------------------------------------------------------------------


def test_moon_against_astropy_builtin():
    """Geocentric Moon against astropy's builtin ephemeris (get_body_barycentric 'builtin':
    ERFA moon98, an implementation of Meeus's chapter 47 series, and epv00), at 60 dates
    1970-2040, geometric on both sides. The series is not DE421: they agree to 30 km in
    position and 7.4 km in distance; tolerances 40 km and 10 km."""
    astropy_offline()
    from astropy.coordinates import get_body_barycentric
    from astropy.time import Time

    jd = np.linspace(2440587.5, 2466154.5, 60)
    t = Time(jd, format="jd", scale="tdb")
    moon = get_body_barycentric("moon", t, "builtin") - get_body_barycentric("earth", t, "builtin")
    ref = moon.xyz.to_value("m").T
    r = eph.moon_position_gcrf(jd, 0.0)
    assert r.shape == (60, 3)
    assert np.linalg.norm(r - ref, axis=-1).max() < 40.0 * KM
    assert np.abs(np.linalg.norm(r, axis=-1) - np.linalg.norm(ref, axis=-1)).max() < 10.0 * KM


def test_sun_state_against_erfa_epv00():
    """Geocentric Sun position and velocity against ERFA epv00 (heliocentric Earth, a fit to
    VSOP2000 independent of DE421) at 60 dates 1970-2040: they agree to 8.7 km and 3 mm/s;
    tolerances 15 km and 5 mm/s."""
    jd = np.linspace(2440587.5, 2466154.5, 60)
    pvh, _ = erfa.epv00(jd, 0.0)
    r, v = eph.sun_state_gcrf(jd, 0.0)
    assert np.linalg.norm(r + pvh["p"] * AU_M, axis=-1).max() < 15.0 * KM
    assert np.linalg.norm(v + pvh["v"] * AU_M / 86400.0, axis=-1).max() < 5.0e-3


# --- physical properties -------------------------------------------------------------------


def test_earth_moon_distance_over_a_year():
    """Over 1985 (every 30 min) the Earth-Moon distance stays between 356,000 and 407,000 km
    and reaches both a perigee under 360,000 km and an apogee over 404,000 km (DE421 gives
    356,871 and 406,539 km)."""
    jd0 = sum(erfa.cal2jd(1985, 1, 1))
    d = np.linalg.norm(eph.moon_position_gcrf(jd0, np.arange(0.0, 365.25, 1.0 / 48.0)), axis=-1)
    assert 356_000 * KM < d.min() < 360_000 * KM
    assert 404_000 * KM < d.max() < 407_000 * KM


def test_sidereal_month():
    """The Moon's mean sidereal period from a linear fit of its longitude on the fixed J2000
    ecliptic over one nodal cycle (18.6 years, daily) is the sidereal month, 27.32166 d; the
    fit gives 27.321664 d. Tolerance 1e-4 d (9 s)."""
    jd = 2451545.0 + np.arange(0.0, 6798.0)
    r = eph.moon_position_gcrf(jd, 0.0) @ erfa.ecm06(2451545.0, 0.0).T
    lam = np.unwrap(np.arctan2(r[:, 1], r[:, 0]))
    n_rad_day = np.polyfit(jd - jd[0], lam, 1)[0]
    assert abs(2 * np.pi / n_rad_day - 27.32166) < 1.0e-4


def test_moon_velocity_is_derivative_of_position():
    """The DE421 velocity equals a central difference of positions (h = 60 s, truncation
    error ~ a h^2 / 6 < 1e-5 m/s); tolerance 1e-5 m/s."""
    jd1, jd2 = np.full(4, 2447000.5), np.array([0.0, 0.1, 3.7, 100.25])
    r, v = eph.moon_state_gcrf(jd1, jd2)
    h_day = 60.0 / 86400.0
    fd = (
        eph.moon_position_gcrf(jd1, jd2 + h_day) - eph.moon_position_gcrf(jd1, jd2 - h_day)
    ) / 120.0
    assert np.abs(v - fd).max() < 1.0e-5
    np.testing.assert_array_equal(r, eph.moon_position_gcrf(jd1, jd2))
    _, vs = eph.sun_state_gcrf(jd1, jd2)
    fd_s = (
        eph.sun_position_gcrf(jd1, jd2 + h_day) - eph.sun_position_gcrf(jd1, jd2 - h_day)
    ) / 120.0
    assert np.abs(vs - fd_s).max() < 1.0e-5


def test_moon_centred_vectors_are_consistent():
    """MCI vectors are the geocentric ones moved to the Moon: Earth = -Moon exactly, and
    Sun(MCI) = Sun(GCRF) - Moon(GCRF) to round-off (1e-5 m at 1.5e11 m)."""
    jd = np.array([2440000.5, 2445000.5, 2460000.5])
    moon = eph.moon_position_gcrf(jd)
    np.testing.assert_array_equal(eph.earth_position_mci(jd), -moon)
    r, _ = eph.earth_state_mci(jd)
    np.testing.assert_array_equal(r, -moon)
    assert np.abs(eph.sun_position_mci(jd) - (eph.sun_position_gcrf(jd) - moon)).max() < 1.0e-4


# --- shapes and range ------------------------------------------------------------------------


def test_shapes_broadcast():
    """Scalars give (3,), arrays give (..., 3), and the two date parts broadcast."""
    assert eph.moon_position_gcrf(2451545.0).shape == (3,)
    jd2 = np.linspace(0.0, 1.0, 6).reshape(2, 3)
    assert eph.moon_position_gcrf(2451545.0, jd2).shape == (2, 3, 3)
    r, v = eph.sun_state_gcrf(np.full((4, 1), 2451545.0), np.zeros((1, 5)))
    assert r.shape == v.shape == (4, 5, 3)
    assert eph.sun_position_mci(np.array([2451545.0]), 0.5).shape == (1, 3)


def test_out_of_range_is_refused():
    """DE421 covers 1899-07-29 to 2053-10-09; a date outside raises ValueError."""
    with pytest.raises(ValueError, match="DE421"):
        eph.moon_position_gcrf(2500000.5)
    with pytest.raises(ValueError, match="DE421"):
        eph.sun_state_gcrf(np.array([2451545.0, 2414864.0]))


# --- time scales -------------------------------------------------------------------------------


def test_time_scales_against_astropy():
    """tai_jd, tt_jd, tdb_jd of kernel times against astropy Time (ERFA underneath) for a
    1975 epoch, over a day and over a year, to 1 ns. TT - TAI is 32.184 s exactly, and
    |TDB - TT| < 1.7 ms."""
    astropy_offline()
    epoch = Epoch.from_utc("1975-07-15T19:50:00Z")
    t_ns = np.array([0, 1, 3_600 * NS_PER_S + 123_456_789, 365 * 86_400 * NS_PER_S + 7])
    t = epoch.time(t_ns)
    tai1, tai2 = eph.tai_jd(epoch, t_ns)
    tt1, tt2 = eph.tt_jd(epoch, t_ns)
    tdb1, tdb2 = eph.tdb_jd(epoch, t_ns)
    day_s = 86400.0

    def seconds(a1, a2, b1, b2):
        return ((a1 - b1) + (a2 - b2)) * day_s

    assert np.abs(seconds(tai1, tai2, t.tai.jd1, t.tai.jd2)).max() < 1.0e-9
    assert np.abs(seconds(tt1, tt2, t.tt.jd1, t.tt.jd2)).max() < 1.0e-9
    assert np.abs(seconds(tdb1, tdb2, t.tdb.jd1, t.tdb.jd2)).max() < 1.0e-9
    np.testing.assert_allclose(seconds(tt1, tt2, tai1, tai2), 32.184, rtol=0, atol=1e-9)
    assert np.abs(seconds(tdb1, tdb2, tt1, tt2)).max() < 1.7e-3
    assert tdb1.shape == (4,)
    # the kernel's nanoseconds are kept: 1 ns after the epoch is 1 ns after it (to the
    # 2.4 ps resolution of the second date part)
    assert seconds(tai1[1], tai2[1], tai1[0], tai2[0]) == pytest.approx(1e-9, abs=1e-11)

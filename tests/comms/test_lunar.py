"""The Earth seen from the Moon's south pole (houston.comms.lunar): libration makes it rise
and set over a month, by geometry and not by a constant.

Reference values: the optical libration in latitude reaches about 6.7 degrees (the lunar
equator's 1.54 deg inclination to the ecliptic plus the orbit's 5.15 deg; Meeus,
*Astronomical Algorithms*, 2nd ed., on the physical ephemeris of the Moon), and in longitude
about 7.9 degrees.
"""

from __future__ import annotations

import numpy as np
import pytest

from houston.comms import lunar
from houston.core.time import NS_PER_S, Epoch

DEG = np.pi / 180.0
#: 1985-07-13T12:00:00 UTC as a TAI two-part Julian date (TAI - UTC = 23 s), no astropy.
EPOCH = Epoch(2446260.0, 23.0 / 86400.0, "1985-07-13T12:00:00Z")
HOURS = np.arange(0, 28 * 24, 2) * 3600 * NS_PER_S  # one draconic-ish month, every 2 h


def test_earth_elevation_from_the_south_pole_over_a_month():
    el = lunar.earth_elevation(EPOCH, HOURS, -0.5 * np.pi, 0.0)
    swing = np.max(el) - np.min(el)
    # both signs: the Earth sets below the pole's horizon for part of the month
    assert np.min(el) < -5.0 * DEG and np.max(el) > 5.0 * DEG
    # the swing is twice the libration in latitude (about 6.7 deg) plus parallax
    assert 11.5 * DEG < swing < 14.5 * DEG
    below = np.mean(el < 0.0)
    assert 0.3 < below < 0.7


def test_pole_elevation_is_minus_the_sub_earth_latitude():
    """From the pole the local vertical is the -z axis: the Earth's elevation equals minus
    the sub-Earth latitude, less the parallax of the site's offset from the centre (at most
    asin(R_moon / d_earth) = 0.27 deg)."""
    sub = lunar.sub_earth_point(EPOCH, HOURS)
    el = lunar.earth_elevation(EPOCH, HOURS, -0.5 * np.pi, 0.0)
    np.testing.assert_allclose(el, -sub.lat_rad, atol=0.28 * DEG)
    assert np.max(np.abs(sub.lat_rad)) == pytest.approx(6.7 * DEG, abs=0.4 * DEG)
    assert 5.0 * DEG < np.max(np.abs(sub.lon_rad)) < 8.5 * DEG
    assert np.all((sub.distance_m > 356e6) & (sub.distance_m < 407e6))


def test_shackleton_rim_site():
    s = lunar.SHACKLETON_RIM
    assert np.degrees(s.lat_rad) == pytest.approx(-88.74)
    assert np.degrees(s.lon_rad) == pytest.approx(124.5)
    np.testing.assert_allclose(np.linalg.norm(s.r_fixed_m), 1_737_400.0)
    np.testing.assert_allclose(s.up_fixed, s.r_fixed_m / np.linalg.norm(s.r_fixed_m), atol=1e-15)
    el = lunar.earth_elevation(EPOCH, HOURS, s.lat_rad, s.lon_rad)
    # 1.26 deg from the pole, the rim sees the same swing, shifted by at most 1.3 deg
    pole = lunar.earth_elevation(EPOCH, HOURS, -0.5 * np.pi, 0.0)
    assert np.max(np.abs(el - pole)) < 1.3 * DEG
    assert np.min(el) < 0.0 < np.max(el)


def test_equatorial_sub_earth_site_sees_the_earth_overhead():
    """At the sub-Earth point itself the Earth is at the zenith (to the parallax, none)."""
    sub = lunar.sub_earth_point(EPOCH, HOURS[:5])
    el = lunar.earth_elevation(EPOCH, HOURS[:5], sub.lat_rad, sub.lon_rad)
    np.testing.assert_allclose(el, 0.5 * np.pi, atol=1e-6)

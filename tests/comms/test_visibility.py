"""Link geometry (houston.comms.visibility and its compiled twin houston.comms.kernels):
exact cases, the compiled loop against the numpy reference, the per-frame environment
against full evaluations, and the light time against the Earth-Moon distance."""

from __future__ import annotations

import numpy as np
import pytest

from houston.comms import kernels, lunar
from houston.comms.networks import DSN, STDN, StationSet
from houston.comms.visibility import (
    environment,
    environment_at,
    link_geometry,
    site_gcrf,
    stations_gcrf,
)
from houston.core.constants import C_M_S, R_EARTH_M, R_MOON_M
from houston.core.time import NS_PER_S, Epoch

DEG = np.pi / 180.0
EPOCH = Epoch(2446263.5, (16 * 3600 + 23.0) / 86400.0, "1985-07-17T16:00:00Z")


def test_elevation_and_range_exact():
    """A station on the equator at longitude 0 (zenith +x): a target straight up is at 90
    deg, one along +y at the same x is on the horizon, one 45 deg up is at 45 deg."""
    st = np.array([[R_EARTH_M, 0.0, 0.0]])
    up = np.array([[1.0, 0.0, 0.0]])
    far = np.array([1e12, 1e12, 1e12])  # the Moon out of the way
    targets = np.array(
        [[R_EARTH_M + 1e6, 0, 0], [R_EARTH_M, 1e6, 0], [R_EARTH_M + 1e6, 0, 1e6], [0, 0, 0]]
    )
    g = link_geometry(targets, st, up, far)
    np.testing.assert_allclose(
        g.elevation_rad[:, 0], [90 * DEG, 0.0, 45 * DEG, -90 * DEG], atol=1e-12
    )
    np.testing.assert_allclose(g.range_m[:, 0], [1e6, 1e6, np.sqrt(2) * 1e6, R_EARTH_M])
    np.testing.assert_allclose(g.light_time_s, g.range_m / C_M_S)
    assert g.visible(0.0)[:, 0].tolist() == [True, True, True, False]
    assert g.visible(10 * DEG)[:, 0].tolist() == [True, False, True, False]


def test_moon_occultation_exact():
    """A station, the Moon's centre 4e8 m away along x, targets 1e6 m beyond the Moon.
    A target on the axis is hidden by the whole radius; a target offset by y is seen along
    a line passing at k = y d / sqrt((d + e)^2 + y^2) from the centre, so choosing
    y = k (d + e) / sqrt(d^2 - k^2) sets the clearance k - R exactly (just clear, just
    hidden)."""
    st = np.array([[0.0, 0.0, R_EARTH_M]])
    up = np.array([[0.0, 0.0, 1.0]])
    d, e = 4e8, 1e6
    moon = np.array([d, 0.0, R_EARTH_M])
    g = link_geometry(np.array([[d + e, 0.0, R_EARTH_M]]), st, up, moon)
    assert g.clearance_m[0, 0] == pytest.approx(-R_MOON_M)
    for k in (1.001 * R_MOON_M, 0.999 * R_MOON_M):
        y = k * (d + e) / np.sqrt(d * d - k * k)
        g = link_geometry(np.array([[d + e, y, R_EARTH_M]]), st, up, moon)
        assert g.clearance_m[0, 0] == pytest.approx(k - R_MOON_M, abs=1e-6)
        assert g.visible(-0.5 * np.pi)[0, 0] == (k > R_MOON_M)


def test_compiled_kernel_matches_numpy_reference():
    rng = np.random.default_rng(7)
    env = environment(EPOCH, 1234 * NS_PER_S)
    stations = StationSet.of(DSN + STDN)
    st_r, st_up = stations_gcrf(env, stations)
    # spacecraft: a mix of low orbits and lunar-distance points near the Moon's limb
    r = np.concatenate(
        [
            rng.normal(size=(50, 3)) * 7e6,
            env.r_moon_gcrf_m + rng.normal(size=(50, 3)) * 2.5e6,
        ]
    )
    ref = link_geometry(r, st_r, st_up, env.r_moon_gcrf_m, R_MOON_M)
    n = r.shape[0], len(stations)
    out = [np.empty(n), np.empty(n), np.empty(n), np.empty(n, dtype=bool)]
    kernels.pair_geometry(
        r, np.zeros((1, 3)), False, st_r, st_up, env.r_moon_gcrf_m, R_MOON_M**2, *out
    )
    np.testing.assert_allclose(np.arcsin(np.clip(out[0], -1, 1)), ref.elevation_rad, atol=1e-12)
    np.testing.assert_allclose(out[2], ref.range_m, rtol=1e-15)
    np.testing.assert_array_equal(out[3], ref.clearance_m >= 0.0)
    assert 0 < np.sum(~out[3]) < out[3].size  # some lines occulted, some not
    # surface site
    site = lunar.SHACKLETON_RIM
    rs, us = site_gcrf(env, site.r_fixed_m, site.up_fixed)
    ref = link_geometry(rs, st_r, st_up, env.r_moon_gcrf_m, up_site=us)
    out = [np.empty((1, n[1])), np.empty((1, n[1])), np.empty((1, n[1])), np.empty((1, n[1]), bool)]
    kernels.pair_geometry(rs[None], us[None], True, st_r, st_up, env.r_moon_gcrf_m, 0.0, *out)
    np.testing.assert_allclose(np.arcsin(out[0][0]), ref.elevation_rad, atol=1e-12)
    np.testing.assert_allclose(np.arcsin(out[1][0]), ref.site_elevation_rad, atol=1e-12)
    assert out[3].all()


def test_environment_at_matches_full_evaluation():
    """The per-frame environment, interpolated between full evaluations 10 minutes apart
    (houston.comms.tables, tested there in detail), against full evaluations every 7 s over
    two hours: rotations within 2e-12 (0.8 mm at the Moon's distance), the Moon within
    0.1 mm."""
    for t in range(0, 7200, 7):
        a = environment(EPOCH, t * NS_PER_S)
        b = environment_at(EPOCH, t * NS_PER_S)
        assert np.max(np.abs(a.earth_matrix - b.earth_matrix)) < 2e-12
        assert np.max(np.abs(a.moon_matrix - b.moon_matrix)) < 2e-12
        assert np.linalg.norm(a.r_moon_gcrf_m - b.r_moon_gcrf_m) < 1e-4
    # the same time gives the same arrays, whatever was asked before
    x = environment_at(EPOCH, 4321 * NS_PER_S)
    environment_at(EPOCH, 99 * NS_PER_S)
    y = environment_at(EPOCH, 4321 * NS_PER_S)
    np.testing.assert_array_equal(x.earth_matrix, y.earth_matrix)


def test_light_time_from_the_moon_is_the_earth_moon_distance():
    """Light time from the Shackleton rim to the DSN over a month: the Earth-Moon distance
    over c (mean distance 384,400 km: 1.282 s; 356,400-406,700 km: 1.19-1.36 s) within the
    two bodies' radii (a station and the base are up to R_earth + R_moon off the centre
    line)."""
    t = np.arange(0, 28 * 86400, 3 * 3600) * NS_PER_S
    env = environment(EPOCH, t)
    st_r, st_up = stations_gcrf(env, StationSet.of(DSN))
    site = lunar.SHACKLETON_RIM
    rs, us = site_gcrf(env, site.r_fixed_m, site.up_fixed)
    g = link_geometry(rs, st_r, st_up, env.r_moon_gcrf_m, up_site=us)
    d = np.linalg.norm(env.r_moon_gcrf_m, axis=-1)
    assert np.all(np.abs(g.light_time_s - (d / C_M_S)[:, None]) <= (R_EARTH_M + R_MOON_M) / C_M_S)
    assert np.mean(d) / C_M_S == pytest.approx(1.282, abs=0.01)
    assert 1.18 < np.min(g.light_time_s) and np.max(g.light_time_s) < 1.38

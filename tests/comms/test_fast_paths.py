"""The link model's compiled paths equal the plain ones bit for bit: ``sample`` against
``telemetry_values`` (the default ``Model.sample``), through commands and failures."""

from __future__ import annotations

import numpy as np
import pytest

from houston.comms.model import CommsLink
from houston.core.model import Model
from tests.comms.test_model import S, ctx, leo_positions, surface


def _same_sample(m: CommsLink) -> None:
    fast = np.full((m.batch, len(m.telemetry)), np.nan)
    plain = np.full_like(fast, np.nan)
    m.sample(fast)
    Model.sample(m, plain)
    np.testing.assert_array_equal(fast, plain)
    # into a strided block of a wider frame vector, as the session gives it
    frame = np.full((m.batch, len(m.telemetry) + 3), np.nan)
    m.sample(frame[:, 2 : 2 + len(m.telemetry)])
    np.testing.assert_array_equal(frame[:, 2 : 2 + len(m.telemetry)], plain)


def test_spacecraft_sample_equals_telemetry_values() -> None:
    n = 5
    params = {"networks": ["dsn", "stdn"], "antennas": {"a": {"state": "up"}, "b": {"state": "up"}}}
    m = CommsLink("x.comms", params, n)
    mask = np.array([True, False, True, False, True])
    for k in range(40):
        c = ctx(m, k * 30 * S, (k + 1) * 30 * S, {"r_gcrf_m": leo_positions(n, (k + 1) * 30.0)}, n)
        if k == 0:
            m.initialize(c)
            _same_sample(m)
        if k == 8:
            m.command("take_down", {"antenna": "a"}, mask)
        if k == 12:
            m.set_failure("antenna_lost", {"antenna": "b"}, ~mask, True)
        if k == 16:
            m.set_failure("transmitter_failed", {}, mask, True)
        if k == 24:
            m.set_failure("transmitter_failed", {}, mask, False)
            m.command("switch_to_backup", {}, mask)
        m.step(c)
        _same_sample(m)


def test_surface_sample_equals_telemetry_values() -> None:
    m = surface(batch=3)
    _same_sample(m)
    everyone = np.ones(3, dtype=bool)
    m.command("take_down", {"antenna": "primary"}, np.array([True, False, True]))
    m.step(ctx(m, 0, S, {}, 3))
    _same_sample(m)
    m.command("switch_to_backup", {}, everyone)
    m.step(ctx(m, S, 2 * S, {}, 3))
    _same_sample(m)


def test_compiled_frame_geometry_matches_numpy_reference() -> None:
    """The model's one-pass geometry (stations turned into GCRF, the asset placed, then the
    pair loop) against :func:`houston.comms.visibility.link_geometry` on the same
    environment: a spacecraft about the Earth, one about the Moon, and surface sites."""
    from houston.comms import kernels, lunar, tables
    from houston.comms.networks import DSN, STDN, StationSet
    from houston.comms.visibility import environment_at, link_geometry, site_gcrf, stations_gcrf
    from houston.core.constants import R_MOON_M
    from tests.comms.test_model import EPOCH

    rng = np.random.default_rng(4)
    st = StationSet.of(DSN + STDN)
    n = len(st)
    for t_s in (0, 10, 60, 3_590, 86_400 + 25):
        row = tables.packed_at(EPOCH, t_s * S)
        env = environment_at(EPOCH, t_s * S)
        st_r, st_up = stations_gcrf(env, st)
        for moon_origin in (False, True):
            r = rng.normal(size=(8, 3)) * (2.5e6 if moon_origin else 7e6)
            out = [np.empty((8, n)), np.empty((8, n)), np.empty((8, n)), np.empty((8, n), bool)]
            kernels.frame_geometry(
                row, st.r_itrf_m, st.up_itrf, r, moon_origin, False, np.zeros(3), np.zeros(3),
                R_MOON_M**2, *out, np.zeros(8),
            )  # fmt: skip
            a = r + env.r_moon_gcrf_m if moon_origin else r
            ref = link_geometry(a, st_r, st_up, env.r_moon_gcrf_m)
            np.testing.assert_allclose(np.arcsin(out[0]), ref.elevation_rad, atol=1e-12)
            np.testing.assert_allclose(out[2], ref.range_m, rtol=1e-14)
            np.testing.assert_array_equal(out[3], ref.clearance_m >= 0.0)
        for _ in range(5):
            lat, lon = rng.uniform(-1.5, 1.5), rng.uniform(-3.1, 3.1)
            site = lunar.SurfaceSite("s", lat, lon, rng.uniform(-2e3, 5e3))
            out = [np.empty((1, n)), np.empty((1, n)), np.empty((1, n)), np.empty((1, n), bool)]
            earth_el = np.empty(1)
            kernels.frame_geometry(
                row, st.r_itrf_m, st.up_itrf, np.zeros((1, 3)), False, True,
                np.ascontiguousarray(site.r_fixed_m), np.ascontiguousarray(site.up_fixed),
                0.0, *out, earth_el,
            )  # fmt: skip
            rs, us = site_gcrf(env, site.r_fixed_m, site.up_fixed)
            ref = link_geometry(rs, st_r, st_up, env.r_moon_gcrf_m, up_site=us)
            np.testing.assert_allclose(np.arcsin(out[0][0]), ref.elevation_rad, atol=1e-12)
            np.testing.assert_allclose(np.arcsin(out[1][0]), ref.site_elevation_rad, atol=1e-12)
            np.testing.assert_allclose(out[2][0], ref.range_m, rtol=1e-14)
            assert out[3].all()
            el = np.arcsin(-(rs @ us) / np.linalg.norm(rs))
            assert earth_el[0] == pytest.approx(el, abs=1e-12)

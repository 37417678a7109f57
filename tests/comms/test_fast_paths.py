"""The link model's compiled paths equal the plain ones bit for bit: ``sample`` against
``telemetry_values`` (the default ``Model.sample``), through commands and failures."""

from __future__ import annotations

import numpy as np

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


def test_compiled_site_position_equals_site_gcrf() -> None:
    """The surface site's GCRF position and vertical, compiled, equal
    :func:`houston.comms.visibility.site_gcrf` bit for bit (at knots and between them)."""
    from houston.comms import kernels, lunar
    from houston.comms.visibility import environment_at, site_gcrf
    from tests.comms.test_model import EPOCH

    rng = np.random.default_rng(4)
    for t_s in (0, 10, 60, 3_590, 86_400 + 25):
        env = environment_at(EPOCH, t_s * S)
        for _ in range(20):
            lat, lon = rng.uniform(-1.5, 1.5), rng.uniform(-3.1, 3.1)
            site = lunar.SurfaceSite("s", lat, lon, rng.uniform(-2e3, 5e3))
            r, up = kernels.site_gcrf(
                env.moon_matrix, site.r_fixed_m, site.up_fixed, env.r_moon_gcrf_m
            )
            r0, up0 = site_gcrf(env, site.r_fixed_m, site.up_fixed)
            np.testing.assert_array_equal(r, r0)
            np.testing.assert_array_equal(up, up0)

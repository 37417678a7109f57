"""Geometry between vehicles (houston.comms.geometry) against exact cases: straight-line
motion, where range, closest approach and sphere crossings have closed forms, and circular
orbits, where the radar's line of sight past the Moon is known from the phase angle."""

from __future__ import annotations

import numpy as np
import pytest

from houston.comms import geometry as geo
from houston.core.constants import MU_MOON_M3_S2, R_MOON_M


def line(r0, v0):
    r0, v0 = np.asarray(r0, float), np.asarray(v0, float)
    return lambda t: r0 + np.asarray(t, float)[:, None] * v0


def test_range_and_range_rate_exact():
    r1, v1 = np.array([0.0, 0.0, 0.0]), np.array([0.0, 0.0, 0.0])
    r2, v2 = np.array([3.0e3, 4.0e3, 0.0]), np.array([30.0, 40.0, 7.0])
    assert geo.range_m(r1, r2) == pytest.approx(5.0e3, abs=1e-9)
    assert geo.range_rate_m_s(r1, v1, r2, v2) == pytest.approx(50.0, abs=1e-12)
    # perpendicular motion: the range does not change at first
    assert geo.range_rate_m_s(r1, v1, r2, np.array([-4.0, 3.0, 0.0])) == pytest.approx(
        0.0, abs=1e-12
    )


def test_batch_shapes():
    rng = np.random.default_rng(3)
    r1, r2 = rng.normal(size=(7, 3)), rng.normal(size=(7, 3))
    assert geo.range_m(r1, r2).shape == (7,)
    assert geo.clearance_m(r1, r2, np.zeros(3), 0.1).shape == (7,)
    t, d = geo.straight_closest_approach(r2 - r1, rng.normal(size=(7, 3)))
    assert t.shape == d.shape == (7,)
    # each row as a single case
    for i in range(7):
        assert geo.range_m(r1[i], r2[i]) == geo.range_m(r1, r2)[i]


def test_line_of_sight_past_the_moon():
    """Two vehicles on a 110 km circular lunar orbit, phase angle apart: they see each other
    while the chord between them clears the sphere, i.e. while R_orbit cos(phase/2) >= R_moon
    (the chord's distance from the centre); exact at the tangent phase 2 acos(R/r)."""
    r = R_MOON_M + 110e3
    tangent = 2.0 * np.arccos(R_MOON_M / r)
    for phase, visible in [
        (0.5 * tangent, True),
        (0.999 * tangent, True),
        (1.001 * tangent, False),
        (np.pi, False),
    ]:
        a = np.array([r, 0.0, 0.0])
        b = r * np.array([np.cos(phase), np.sin(phase), 0.0])
        assert bool(geo.line_of_sight(a, b, np.zeros(3), R_MOON_M)) is visible
        assert geo.clearance_m(a, b, np.zeros(3), R_MOON_M) == pytest.approx(
            r * np.cos(phase / 2) - R_MOON_M, abs=1e-6
        )
    # beyond the sphere on the same side: the segment's nearest point is an end point
    assert geo.clearance_m([2 * r, 0, 0], [3 * r, 0, 0], np.zeros(3), R_MOON_M) == pytest.approx(
        2 * r - R_MOON_M
    )


def test_straight_closest_approach_and_time_to_range():
    dr = np.array([10e3, 5e3, 0.0])
    dv = np.array([-100.0, 0.0, 0.0])
    t, d = geo.straight_closest_approach(dr, dv)
    assert t == pytest.approx(100.0) and d == pytest.approx(5e3)
    # |dr + dv t| = 6 km: (10e3 - 100 t)^2 + 5e3^2 = 6e3^2 -> t = 100 - sqrt(11e6)/100
    assert geo.straight_time_to_range(dr, dv, 6e3) == pytest.approx(100 - np.sqrt(11e6) / 100)
    assert geo.straight_time_to_range(dr, dv, 4e3) == np.inf  # passes wide
    assert geo.straight_time_to_range(dr, -dv, 6e3) == np.inf  # opening
    assert geo.straight_time_to_range(dr, dv, 20e3) == 0.0  # already within


def test_straight_sphere_crossing():
    t_in, t_out = geo.straight_sphere_crossing([-5.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0, 0, 0], 2.0)
    assert (t_in, t_out) == (pytest.approx(3.0), pytest.approx(7.0))
    t_in, _ = geo.straight_sphere_crossing([-5.0, 3.0, 0.0], [1.0, 0.0, 0.0], [0, 0, 0], 2.0)
    assert np.isnan(t_in)


def test_time_to_range_and_closest_approach_along_trajectories():
    """Straight lines through the trajectory functions must give the closed forms; three
    runs at once, each its own case."""
    dr = np.array([[10e3, 5e3, 0.0], [10e3, 5e3, 0.0], [1e3, 0.0, 0.0]])
    dv = np.array([[-100.0, 0.0, 0.0], [-50.0, 0.0, 0.0], [0.0, 10.0, 0.0]])

    def traj2(t):
        return dr[None] + np.asarray(t, float)[:, None, None] * dv[None]

    def traj1(t):
        return np.zeros((np.size(t), 3, 3))

    got = geo.time_to_range(traj1, traj2, 6e3, 0.0, 600.0, step_s=7.0, tol_s=1e-6)
    want = geo.straight_time_to_range(dr, dv, 6e3)
    np.testing.assert_allclose(got, want, atol=2e-6)
    assert got[2] == 0.0
    ca = geo.closest_approach(traj1, traj2, 0.0, 600.0, step_s=7.0, tol_s=1e-6)
    t_exact, d_exact = geo.straight_closest_approach(dr, dv)
    np.testing.assert_allclose(ca.t_s, np.clip(t_exact, 0, 600), atol=1e-5)
    np.testing.assert_allclose(ca.range_m, d_exact, atol=1e-6)


def test_blockade_sphere_and_plane_crossings():
    """A vehicle on a straight line through a 'blockade' sphere about the Moon and across a
    plane: crossing times equal the closed forms."""
    traj = line([-100e3, 2e3, 0.0], [1e3, 0.0, 0.0])
    cr = geo.sphere_crossings(traj, np.zeros(3), 50e3, 0.0, 400.0, step_s=5.0, tol_s=1e-6)
    t_in, t_out = geo.straight_sphere_crossing([-100e3, 2e3, 0.0], [1e3, 0, 0], np.zeros(3), 50e3)
    assert [c.rising for c in cr] == [False, True]
    assert cr[0].t_s == pytest.approx(t_in, abs=2e-6) and cr[1].t_s == pytest.approx(
        t_out, abs=2e-6
    )
    pc = geo.plane_crossings(
        traj, [20e3, 0, 0], [1.0, 0.0, 0.0], 0.0, 400.0, step_s=5.0, tol_s=1e-6
    )
    assert len(pc) == 1 and pc[0].rising and pc[0].t_s == pytest.approx(120.0, abs=2e-6)


def test_radar_view_between_two_lunar_orbiters():
    """Two vehicles on circles of the same radius, 110 km above the Moon, moving at
    different angular rates (kinematics only): each is hidden from the other exactly while
    their phase angle exceeds 2 acos(R/r), where the chord between them touches the Moon.
    Every crossing found must sit at that phase."""
    r = R_MOON_M + 110e3
    n1 = np.sqrt(MU_MOON_M3_S2 / r**3)
    n2 = 1.2 * n1

    def a(t):
        t = np.asarray(t, float)
        return r * np.stack([np.cos(n1 * t), np.sin(n1 * t), 0 * t], -1)

    def b(t):
        t = np.asarray(t, float)
        ph = n2 * t - np.radians(100.0)
        return r * np.stack([np.cos(ph), np.sin(ph), 0 * t], -1)

    cr = geo.find_crossings(
        lambda t: geo.clearance_m(a(t), b(t), np.zeros(3), R_MOON_M), 0.0, 6 * 3600.0, 10.0, 1e-6
    )
    assert [c.rising for c in cr] == [True, False], "they must come into view and leave it"
    tangent = 2.0 * np.arccos(R_MOON_M / r)
    for c in cr:
        phase = np.angle(np.exp(1j * (n2 - n1) * c.t_s - 1j * np.radians(100.0)))
        assert abs(abs(phase) - tangent) < 1e-8
        assert c.rising == (
            abs(np.angle(np.exp(1j * (n2 - n1) * (c.t_s + 1.0) - 1j * np.radians(100.0)))) < tangent
        )

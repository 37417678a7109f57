"""Tests of houston.dynamics.relative: CW against exact two-body motion and its own ODE."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from houston.core.constants import MU_EARTH_M3_S2
from houston.dynamics import relative
from houston.dynamics.kepler import propagate

A_TARGET = 6778.0e3  # a 400 km circular orbit
N = np.sqrt(MU_EARTH_M3_S2 / A_TARGET**3)


def _target(u=0.3, inc=0.9, raan=0.4):
    """A circular target orbit, inclined, at argument of latitude u (rad)."""
    cu, su, ci, si, co, so = (
        np.cos(u),
        np.sin(u),
        np.cos(inc),
        np.sin(inc),
        np.cos(raan),
        np.sin(raan),
    )
    r_hat = np.array([co * cu - so * su * ci, so * cu + co * su * ci, su * si])
    t_hat = np.array([-co * su - so * cu * ci, -so * su + co * cu * ci, cu * si])
    return A_TARGET * r_hat, np.sqrt(MU_EARTH_M3_S2 / A_TARGET) * t_hat


def test_lvlh_basis_axes():
    """Rows are orthonormal and right-handed: x along r, z along h, y along v (circular)."""
    r, v = _target()
    q = relative.lvlh_basis(r, v)
    np.testing.assert_allclose(q @ q.T, np.eye(3), atol=1e-15)
    assert np.linalg.det(q) == pytest.approx(1.0, abs=1e-15)
    np.testing.assert_allclose(q[0], r / np.linalg.norm(r), atol=1e-16)
    np.testing.assert_allclose(q[1], v / np.linalg.norm(v), atol=1e-15)
    h = np.cross(r, v)
    np.testing.assert_allclose(q[2], h / np.linalg.norm(h), atol=1e-16)


def test_lvlh_round_trip_and_rotating_frame_velocity():
    """to_lvlh and from_lvlh invert each other, and the omega x r term is present: a chaser
    on the target's own circular orbit, a little ahead, is at rest in LVLH (exactly, since
    both move with the frame's rigid rotation)."""
    r_t, v_t = _target()
    dr = np.array([120.0, -2500.0, 40.0])
    dv = np.array([0.3, -0.1, 0.05])
    r_c, v_c = relative.from_lvlh(dr, dv, r_t, v_t)
    dr2, dv2 = relative.to_lvlh(r_c, v_c, r_t, v_t)
    np.testing.assert_allclose(dr2, dr, atol=1e-8)
    np.testing.assert_allclose(dv2, dv, atol=1e-11)

    r_c, v_c = _target(u=0.3 + 1.0e-3)
    dr, dv = relative.to_lvlh(r_c, v_c, r_t, v_t)
    assert dr[1] == pytest.approx(A_TARGET * np.sin(1.0e-3), rel=1e-12)
    assert dr[0] == pytest.approx(A_TARGET * (np.cos(1.0e-3) - 1.0), rel=1e-8)
    np.testing.assert_allclose(dv, 0.0, atol=1e-11)


def test_cw_against_exact_two_body_motion_scales_quadratically():
    """Linearisation check: propagate target and chaser exactly with kepler.propagate,
    express the chaser in LVLH, and compare with cw_propagate after 3000 s. The difference
    is second order in the separation: halving the initial offset divides it by 4 (within
    5 %), and at a 2 km / 0.5 m/s offset it is below 10 m."""
    r_t, v_t = _target()
    dr0 = np.array([100.0, -2000.0, 300.0])
    dv0 = np.array([0.5, -0.2, 0.1])
    t = 3000.0
    r_t1, v_t1 = propagate(r_t, v_t, t, MU_EARTH_M3_S2)
    errors = []
    for scale in (1.0, 0.5, 0.25):
        r_c, v_c = relative.from_lvlh(scale * dr0, scale * dv0, r_t, v_t)
        r_c1, v_c1 = propagate(r_c, v_c, t, MU_EARTH_M3_S2)
        dr_exact, dv_exact = relative.to_lvlh(r_c1, v_c1, r_t1, v_t1)
        dr_cw, dv_cw = relative.cw_propagate(scale * dr0, scale * dv0, N, t)
        errors.append((np.linalg.norm(dr_exact - dr_cw), np.linalg.norm(dv_exact - dv_cw)))
    assert errors[0][0] < 10.0 and errors[0][1] < 0.01
    for coarse, fine in itertools.pairwise(errors):
        assert coarse[0] / fine[0] == pytest.approx(4.0, rel=0.05)
        assert coarse[1] / fine[1] == pytest.approx(4.0, rel=0.05)


def test_cw_closed_form_against_its_differential_equations():
    """The closed form solves the CW equations x'' = 3n^2 x + 2n y', y'' = -2n x',
    z'' = -n^2 z (Curtis 3rd ed., chapter 7; Vallado 4th ed., chapter 6): compared with a
    DOP853 integration (rtol 1e-12) over two orbits, within 1 mm and 1 um/s."""
    dr0 = np.array([150.0, -800.0, 60.0])
    dv0 = np.array([0.2, 0.05, -0.1])
    t = np.linspace(0.0, 4 * np.pi / N, 9)

    def rhs(_t, s):
        x, _, z, vx, vy, vz = s
        return [vx, vy, vz, 3 * N**2 * x + 2 * N * vy, -2 * N * vx, -(N**2) * z]

    sol = solve_ivp(
        rhs, (0.0, t[-1]), np.r_[dr0, dv0], method="DOP853", t_eval=t, rtol=1e-12, atol=1e-9
    )
    dr, dv = relative.cw_propagate(dr0, dv0, N, t)
    assert dr.shape == (9, 3)
    np.testing.assert_allclose(dr, sol.y[:3].T, atol=1e-3)
    np.testing.assert_allclose(dv, sol.y[3:].T, atol=1e-6)


def test_cw_classical_properties():
    """Closed-form consequences of the CW solution (e.g. Curtis 3rd ed., chapter 7):
    an along-track offset is an equilibrium; a radial offset at rest drifts along-track by
    -12 pi x0 per orbit (and returns radially to x0); the initial along-track velocity
    -2 n x0 removes the drift (a closed relative orbit)."""
    period = 2 * np.pi / N
    dr, dv = relative.cw_propagate([0.0, 500.0, 0.0], [0.0, 0.0, 0.0], N, 12345.0)
    np.testing.assert_allclose(dr, [0.0, 500.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(dv, 0.0, atol=1e-15)
    x0 = 100.0
    dr, _ = relative.cw_propagate([x0, 0.0, 0.0], [0.0, 0.0, 0.0], N, period)
    np.testing.assert_allclose(dr, [x0, -12 * np.pi * x0, 0.0], atol=1e-9)
    dr, dv = relative.cw_propagate([x0, 0.0, 0.0], [0.0, -2 * N * x0, 0.0], N, 3 * period)
    np.testing.assert_allclose(dr, [x0, 0.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(dv, [0.0, -2 * N * x0, 0.0], atol=1e-12)
    # zero time is the identity, and time runs backward
    dr0, dv0 = np.array([1.0, 2.0, 3.0]), np.array([0.1, 0.2, 0.3])
    dr, dv = relative.cw_propagate(dr0, dv0, N, 0.0)
    np.testing.assert_array_equal(dr, dr0)
    np.testing.assert_array_equal(dv, dv0)
    dr1, dv1 = relative.cw_propagate(dr0, dv0, N, 900.0)
    dr_back, dv_back = relative.cw_propagate(dr1, dv1, N, -900.0)
    np.testing.assert_allclose(dr_back, dr0, atol=1e-11)
    np.testing.assert_allclose(dv_back, dv0, atol=1e-14)


def test_two_impulse_rendezvous_reaches_the_origin_at_rest():
    """cw_two_impulse: after the first burn the CW arc ends at the origin, where the second
    burn cancels the velocity (to round-off, for a batch of starts and transfer times)."""
    rng = np.random.default_rng(3)
    dr0 = rng.normal(size=(20, 3)) * 1000.0
    dv0 = rng.normal(size=(20, 3)) * 0.5
    t = rng.uniform(0.1, 0.45, 20) * 2 * np.pi / N
    dv1, dv2 = relative.cw_two_impulse(dr0, dv0, N, t)
    assert dv1.shape == (20, 3) and dv2.shape == (20, 3)
    dr_f, dv_f = relative.cw_propagate(dr0, dv0 + dv1, N, t)
    np.testing.assert_allclose(dr_f, 0.0, atol=1e-8)
    np.testing.assert_allclose(dv_f + dv2, 0.0, atol=1e-12)


def test_two_impulse_with_exact_dynamics_misses_by_second_order():
    """The CW burns flown in the exact two-body problem end near the target: within 5 m for
    a 1 km start over a quarter orbit, and the miss shrinks 4x when the start is halved."""
    r_t, v_t = _target()
    t = 0.25 * 2 * np.pi / N
    r_t1, v_t1 = propagate(r_t, v_t, t, MU_EARTH_M3_S2)
    misses = []
    for scale in (1.0, 0.5):
        dr0 = scale * np.array([-300.0, 1000.0, 200.0])
        dv1, _ = relative.cw_two_impulse(dr0, np.zeros(3), N, t)
        r_c, v_c = relative.from_lvlh(dr0, dv1, r_t, v_t)
        r_c1, v_c1 = propagate(r_c, v_c, t, MU_EARTH_M3_S2)
        misses.append(np.linalg.norm(relative.to_lvlh(r_c1, v_c1, r_t1, v_t1)[0]))
    assert misses[0] < 5.0
    assert misses[0] / misses[1] == pytest.approx(4.0, rel=0.1)


@pytest.mark.parametrize("nt", [2 * np.pi, np.pi, 4 * np.pi])
def test_two_impulse_singular_times_raise(nt):
    with pytest.raises(ValueError, match="singular"):
        relative.cw_two_impulse([100.0, 0.0, 10.0], [0.0, 0.0, 0.0], N, nt / N)


def test_two_impulse_rejects_non_positive_time():
    with pytest.raises(ValueError, match="positive"):
        relative.cw_two_impulse([100.0, 0.0, 0.0], [0.0, 0.0, 0.0], N, 0.0)


def test_shapes_and_broadcasting():
    dr0 = np.array([[100.0, 0.0, 0.0], [0.0, 50.0, 10.0]])
    dv0 = np.zeros(3)
    times = np.linspace(0.0, 3000.0, 5)
    dr, dv = relative.cw_propagate(dr0[:, None, :], dv0, N, times[None, :])
    assert dr.shape == (2, 5, 3) and dv.shape == (2, 5, 3)
    dr1, _ = relative.cw_propagate(dr0[1], dv0, N, times[3])
    np.testing.assert_array_equal(dr[1, 3], dr1)
    # one target state per time: LVLH transforms broadcast with the states
    r_t, v_t = propagate(*_target(), times, MU_EARTH_M3_S2)
    q = relative.lvlh_basis(r_t, v_t)
    assert q.shape == (5, 3, 3)
    r_c, v_c = relative.from_lvlh(dr[0], dv[0], r_t, v_t)
    assert r_c.shape == (5, 3)
    back, _ = relative.to_lvlh(r_c, v_c, r_t, v_t)
    np.testing.assert_allclose(back, dr[0], atol=1e-8)
    # mean motion per row
    dr_n, _ = relative.cw_propagate(dr0, dv0, np.array([N, 2 * N]), 100.0)
    assert dr_n.shape == (2, 3)

"""Tests of houston.dynamics.lambert: published cases, multi-revolution, Kepler cross-check."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from houston.core.constants import MU_EARTH_M3_S2
from houston.dynamics import elements, lambert
from houston.dynamics.kepler import propagate

KM = 1.0e3
MU_VALLADO = 398600.4418 * KM**3
MU_CURTIS = 398600.0 * KM**3
MM_S = 1.0e-3  # 1 mm/s in m/s

#: Der's Molniya case: r1, r2 in km, 10 h.
DER_R1 = np.array([22592.145603, -1599.915239, -19783.950506]) * KM
DER_R2 = np.array([1922.067697, 4054.157051, -8925.727465]) * KM


def _assert_lands(r1, r2, v1, v2, tof, mu):
    """The Lambert arc, propagated by kepler.propagate, reaches r2 within 1 mm with v2 within
    1 mm/s. On long multi-revolution arcs of very eccentric orbits the floor is the distance
    flown in 1e-13 of the time of flight (the period of a floating-point state is itself
    uncertain at that level), which is allowed when it exceeds 1 mm."""
    r, v = propagate(r1, v1, tof, mu)
    miss = np.linalg.norm(r - r2, axis=-1)
    floor = 1e-13 * np.linalg.norm(v2, axis=-1) * np.abs(tof)
    assert np.all(miss < np.maximum(1e-3, floor))
    assert np.max(np.linalg.norm(v - v2, axis=-1)) < 1e-3


def test_vallado_example_7_5():
    """Vallado, Fundamentals of Astrodynamics and Applications, 4th ed., Example 7-5
    (Lambert, universal variables): r1 = (15945.34, 0, 0) km, r2 = (12214.83899, 10249.46731,
    0) km, 76 min, short way: v1 = (2.058913, 2.915965, 0) km/s, v2 = (-3.451565, 0.910315,
    0) km/s. Within 1 mm/s (the book's iteration tolerance shows in the last digit)."""
    r1 = np.array([15945.34, 0.0, 0.0]) * KM
    r2 = np.array([12214.83899, 10249.46731, 0.0]) * KM
    v1, v2 = lambert.solve(r1, r2, 76.0 * 60.0, MU_VALLADO)
    np.testing.assert_allclose(v1, np.array([2.058913, 2.915965, 0.0]) * KM, atol=MM_S)
    np.testing.assert_allclose(v2, np.array([-3.451565, 0.910315, 0.0]) * KM, atol=MM_S)
    _assert_lands(r1, r2, v1, v2, 76.0 * 60.0, MU_VALLADO)


def test_curtis_example_5_2():
    """Curtis, Orbital Mechanics for Engineering Students, Example 5.2: r1 = (5000, 10000,
    2100) km, r2 = (-14600, 2500, 7000) km, 1 h, prograde, mu = 398600 km^3/s^2:
    v1 = (-5.9925, 1.9254, 3.2456) km/s, v2 = (-3.3125, -4.1966, -0.38529) km/s, within
    0.05 m/s (half the last printed digit)."""
    r1 = np.array([5000.0, 10000.0, 2100.0]) * KM
    r2 = np.array([-14600.0, 2500.0, 7000.0]) * KM
    v1, v2 = lambert.solve(r1, r2, 3600.0, MU_CURTIS)
    np.testing.assert_allclose(v1, np.array([-5.9925, 1.9254, 3.2456]) * KM, atol=0.05)
    np.testing.assert_allclose(v2, np.array([-3.3125, -4.1966, -0.38529]) * KM, atol=0.05)
    _assert_lands(r1, r2, v1, v2, 3600.0, MU_CURTIS)


def test_curtis_example_5_3_meteoroid():
    """Curtis, Example 5.3 (meteoroid sighted at 267000 km altitude, then at 140000 km after
    13.5 h and 5 deg): r1 = (273378, 0, 0) km, r2 = (145820, 12758, 0) km,
    v1 = (-2.4356, 0.26741, 0) km/s. The sign of the y component follows the erratum applied
    in poliastro's test suite (the geometry fixes it: this test's Kepler check confirms it).
    Within 0.1 m/s: the book rounds its intermediate values (exact: -2.43567 km/s)."""
    r1 = np.array([273378.0, 0.0, 0.0]) * KM
    r2 = np.array([145820.0, 12758.0, 0.0]) * KM
    v1, v2 = lambert.solve(r1, r2, 13.5 * 3600.0, MU_CURTIS)
    np.testing.assert_allclose(v1, np.array([-2.4356, 0.26741, 0.0]) * KM, atol=0.1)
    _assert_lands(r1, r2, v1, v2, 13.5 * 3600.0, MU_CURTIS)


def test_der_molniya_zero_revolutions():
    """Der (2011), "The Superior Lambert Algorithm" (AMOS conference), Molniya example, zero
    revolutions, 10 h: v1 = (2.000652697, 0.387688615, -2.666947760) km/s,
    v2 = (-3.79246619, -1.77707641, 6.856814395) km/s, as tabulated in poliastro's test
    suite (test_molniya_der_zero_full_revolution), which attributes them to Der; the paper
    itself was not consulted. Within 1 mm/s."""
    v1, v2 = lambert.solve(DER_R1, DER_R2, 36000.0, MU_VALLADO)
    np.testing.assert_allclose(
        v1, np.array([2.000652697, 0.387688615, -2.666947760]) * KM, atol=MM_S
    )
    np.testing.assert_allclose(
        v2, np.array([-3.79246619, -1.77707641, 6.856814395]) * KM, atol=MM_S
    )
    _assert_lands(DER_R1, DER_R2, v1, v2, 36000.0, MU_VALLADO)


def test_der_molniya_one_revolution_both_branches():
    """Der (2011) Molniya example with one complete revolution, both solutions, from the
    same source as above (poliastro's test_molniya_der_one_full_revolution): the "low path"
    v1 = (-2.45759553, 1.16945801, 0.43161258), v2 = (-5.53841370, 0.01822220, 5.49641054)
    km/s, and the other v1 = (0.50335770, 0.61869408, -1.57176904),
    v2 = (-4.18334626, -1.13262727, 6.13307091) km/s. Within 1 mm/s."""
    v1, v2 = lambert.solve(DER_R1, DER_R2, 36000.0, MU_VALLADO, revs=1, low_path=True)
    np.testing.assert_allclose(v1, np.array([-2.45759553, 1.16945801, 0.43161258]) * KM, atol=MM_S)
    np.testing.assert_allclose(v2, np.array([-5.53841370, 0.01822220, 5.49641054]) * KM, atol=MM_S)
    _assert_lands(DER_R1, DER_R2, v1, v2, 36000.0, MU_VALLADO)
    v1, v2 = lambert.solve(DER_R1, DER_R2, 36000.0, MU_VALLADO, revs=1, low_path=False)
    np.testing.assert_allclose(v1, np.array([0.50335770, 0.61869408, -1.57176904]) * KM, atol=MM_S)
    np.testing.assert_allclose(v2, np.array([-4.18334626, -1.13262727, 6.13307091]) * KM, atol=MM_S)
    _assert_lands(DER_R1, DER_R2, v1, v2, 36000.0, MU_VALLADO)


# --- no solution ------------------------------------------------------------------------------


def test_too_short_for_the_revolutions_raises():
    """Der's geometry in 5 h cannot include a full revolution (minimum 28755 s)."""
    with pytest.raises(lambert.NoSolution, match=r"shorter than the minimum 2875\d\.\d s for 1"):
        lambert.solve(DER_R1, DER_R2, 5 * 3600.0, MU_VALLADO, revs=1)
    assert issubclass(lambert.NoSolution, ValueError)
    # just above the minimum there are still two distinct solutions, both landing
    va, vb = lambert.solve(DER_R1, DER_R2, 28760.0, MU_VALLADO, revs=1, low_path=True)
    wa, wb = lambert.solve(DER_R1, DER_R2, 28760.0, MU_VALLADO, revs=1, low_path=False)
    assert np.linalg.norm(va - wa) > 1.0
    _assert_lands(DER_R1, DER_R2, va, vb, 28760.0, MU_VALLADO)
    _assert_lands(DER_R1, DER_R2, wa, wb, 28760.0, MU_VALLADO)


def test_degenerate_inputs_raise():
    with pytest.raises(lambert.NoSolution, match="collinear"):
        lambert.solve(DER_R1, 2.0 * DER_R1, 3600.0, MU_VALLADO)
    with pytest.raises(lambert.NoSolution, match="collinear"):
        lambert.solve(DER_R1, -DER_R1, 3600.0, MU_VALLADO)
    with pytest.raises(lambert.NoSolution, match="positive"):
        lambert.solve(DER_R1, DER_R2, 0.0, MU_VALLADO)
    with pytest.raises(ValueError, match="revs"):
        lambert.solve(DER_R1, DER_R2, 3600.0, MU_VALLADO, revs=-1)


def test_batch_raises_naming_first_offending_index():
    r2 = np.stack([DER_R2, DER_R2, DER_R2])
    tof = np.array([36000.0, 5 * 3600.0, 4 * 3600.0])
    with pytest.raises(lambert.NoSolution, match=r"at \(1,\)"):
        lambert.solve(DER_R1, r2, tof, MU_VALLADO, revs=1)


# --- cross-checks and shapes ------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(
    rp=st.floats(6.6e6, 2.0e7),
    ecc=st.floats(0.0, 0.8),
    inc=st.floats(0.0, np.pi),
    raan=st.floats(0.0, 2 * np.pi),
    argp=st.floats(0.0, 2 * np.pi),
    nu1=st.floats(0.0, 2 * np.pi),
    revs=st.integers(0, 3),
    frac=st.floats(0.05, 0.95),
)
def test_recovers_the_generating_orbit(rp, ecc, inc, raan, argp, nu1, revs, frac):
    """Build an arc with kepler.propagate (revs whole periods plus a fraction), solve
    Lambert's problem for its ends, and require (a) every returned solution lands on r2
    within 1 mm and (b) one of them (both branches for revs > 0) is the generating orbit
    within 1 mm/s. The sense of motion is passed as the generating orbit's."""
    p = rp * (1.0 + ecc)
    a = p / (1.0 - ecc**2)
    period = 2 * np.pi * np.sqrt(a**3 / MU_EARTH_M3_S2)
    tof = (revs + frac) * period
    r1, v1 = elements.coe_to_rv(p, ecc, inc, raan, argp, nu1, MU_EARTH_M3_S2)
    r2, _ = propagate(r1, v1, tof, MU_EARTH_M3_S2)
    sin_angle = np.linalg.norm(np.cross(r1, r2)) / (np.linalg.norm(r1) * np.linalg.norm(r2))
    if sin_angle < 1e-3:  # (near-)collinear ends: the transfer plane is ill-defined
        return
    prograde = bool(np.cross(r1, v1)[2] >= 0.0)
    candidates = []
    for low_path in (True, False) if revs else (True,):
        w1, w2 = lambert.solve(r1, r2, tof, MU_EARTH_M3_S2, revs, prograde, low_path)
        _assert_lands(r1, r2, w1, w2, tof, MU_EARTH_M3_S2)
        candidates.append(np.linalg.norm(w1 - v1))
    assert min(candidates) < MM_S


def test_retrograde_reverses_the_angular_momentum():
    for prograde in (True, False):
        v1, v2 = lambert.solve(DER_R1, DER_R2, 36000.0, MU_VALLADO, prograde=prograde)
        assert (np.cross(DER_R1, v1)[2] > 0) == prograde
        _assert_lands(DER_R1, DER_R2, v1, v2, 36000.0, MU_VALLADO)


def test_hyperbolic_transfer_lands():
    """A short time of flight forces a hyperbolic arc (x > 1 in Izzo's variable)."""
    r1 = np.array([7000.0, 0.0, 0.0]) * KM
    r2 = np.array([0.0, 40000.0, 3000.0]) * KM
    v1, v2 = lambert.solve(r1, r2, 2000.0, MU_EARTH_M3_S2)
    energy = 0.5 * v1 @ v1 - MU_EARTH_M3_S2 / np.linalg.norm(r1)
    assert energy > 0.0
    _assert_lands(r1, r2, v1, v2, 2000.0, MU_EARTH_M3_S2)


def test_shapes_and_batch_equals_loop():
    rng = np.random.default_rng(11)
    n = 50
    r1 = rng.normal(size=(n, 3)) * 1.0e7
    r2 = rng.normal(size=(n, 3)) * 1.5e7
    tof = rng.uniform(2000.0, 40000.0, n)
    v1, v2 = lambert.solve(r1, r2, tof, MU_EARTH_M3_S2)
    assert v1.shape == (n, 3) and v2.shape == (n, 3)
    for i in (0, 17, 49):
        w1, w2 = lambert.solve(r1[i], r2[i], tof[i], MU_EARTH_M3_S2)
        assert w1.shape == (3,)
        np.testing.assert_allclose(v1[i], w1, rtol=1e-13, atol=1e-9)
        np.testing.assert_allclose(v2[i], w2, rtol=1e-13, atol=1e-9)
    _assert_lands(r1, r2, v1, v2, tof, MU_EARTH_M3_S2)
    # broadcasting: one departure point, a grid of arrival points and times of flight
    v1, v2 = lambert.solve(r1[0], r2[None, :5], tof[:4, None], MU_EARTH_M3_S2)
    assert v1.shape == (4, 5, 3) and v2.shape == (4, 5, 3)
    _assert_lands(r1[0], r2[None, :5], v1, v2, tof[:4, None], MU_EARTH_M3_S2)


def test_solve_each_reports_each_element():
    """solve_each: the velocities of solve where an element has a solution, bit for bit and
    whatever its batch; NaN and the reason where it has none."""
    rng = np.random.default_rng(12)
    n = 40
    r1 = rng.normal(size=(n, 3)) * 1.0e7
    r2 = rng.normal(size=(n, 3)) * 1.5e7
    tof = rng.uniform(2000.0, 40000.0, n)
    r2[3] = 2.0 * r1[3]  # collinear
    tof[5] = -1.0
    tof[7] = 60.0  # far below the one-revolution minimum
    v1, v2, status = lambert.solve_each(r1, r2, tof, MU_EARTH_M3_S2, revs=1, low_path=False)
    assert v1.shape == (n, 3) and v2.shape == (n, 3) and status.shape == (n,)
    assert status[3] == lambert.COLLINEAR
    assert status[5] == lambert.NOT_POSITIVE
    assert status[7] == lambert.TOO_SHORT
    bad = status != lambert.SOLVED
    assert np.all(np.isnan(v1[bad])) and np.all(np.isnan(v2[bad]))
    for i in np.flatnonzero(~bad):
        w1, w2 = lambert.solve(r1[i], r2[i], tof[i], MU_EARTH_M3_S2, revs=1, low_path=False)
        assert np.array_equal(v1[i], w1) and np.array_equal(v2[i], w2)
    w1, w2 = lambert.solve(r1[~bad], r2[~bad], tof[~bad], MU_EARTH_M3_S2, revs=1, low_path=False)
    assert np.array_equal(v1[~bad], w1) and np.array_equal(v2[~bad], w2)
    # The whole batch raises for the first reason any element has, at its first element.
    with pytest.raises(lambert.NoSolution, match=r"positive, got -1.0 s at \(5,\)"):
        lambert.solve(r1, r2, tof, MU_EARTH_M3_S2, revs=1)
    with pytest.raises(lambert.NoSolution, match=r"collinear at \(3,\)"):
        lambert.solve(r1[:5], r2[:5], tof[:5], MU_EARTH_M3_S2, revs=1)

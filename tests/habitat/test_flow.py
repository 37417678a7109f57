"""Orifice flow against the published choked-flow formula and exact properties of the law."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from houston.core.constants import MOLAR_MASS_AIR_KG_MOL, R_GAS_J_MOL_K
from houston.habitat.flow import (
    critical_pressure_ratio,
    fliegner_coefficient,
    link_mass_flow,
    link_molar_flow,
    orifice_mass_flow,
)

P0_PA = 101_325.0
T0_K = 293.15


def test_fliegner_formula_for_air() -> None:
    # Fliegner's formula for air in SI units: mdot = 0.0404 A p0 / sqrt(T0) (gamma 1.4,
    # R = 287 J/(kg K)). 0.0404 is given to 3 figures, so agreement is to +-0.05/40.4 = 0.12 %.
    mdot = orifice_mass_flow(1.0, 1.0, P0_PA, T0_K, 0.0)
    fliegner = 0.0404 * P0_PA / np.sqrt(T0_K)
    assert mdot == pytest.approx(fliegner, rel=1.3e-3)
    # At 101325 Pa and 293.15 K: 239.17 kg/s per m^2 of throat.
    assert mdot == pytest.approx(239.17, abs=0.01)
    # The coefficient itself, from its closed form, to round-off.
    r_air = R_GAS_J_MOL_K / MOLAR_MASS_AIR_KG_MOL
    exact = np.sqrt(1.4 / r_air) * (2.0 / 2.4) ** 3.0
    assert fliegner_coefficient() == pytest.approx(exact, rel=1e-14)
    assert mdot == pytest.approx(exact * P0_PA / np.sqrt(T0_K), rel=1e-14)


def test_critical_pressure_ratio() -> None:
    # (2 / 2.4)^3.5 = 0.528282 for gamma = 1.4 (the textbook 0.528).
    assert critical_pressure_ratio(1.4) == pytest.approx(0.5282817877, rel=1e-10)
    # Monatomic gas, gamma 5/3: (3/4)^2.5 = 0.487139.
    assert critical_pressure_ratio(5.0 / 3.0) == pytest.approx(0.75**2.5, rel=1e-12)


def test_choked_flow_independent_of_downstream_pressure() -> None:
    r_c = critical_pressure_ratio(1.4)
    p_down = np.array([0.0, 0.1, 0.3, 0.5, r_c]) * P0_PA
    mdot = orifice_mass_flow(0.01, 0.6, P0_PA, T0_K, p_down)
    assert mdot.shape == (5,)
    np.testing.assert_allclose(mdot, mdot[0], rtol=1e-13)
    # Linear in upstream pressure, as 1/sqrt(T), linear in area and cd.
    assert orifice_mass_flow(0.01, 0.6, 2 * P0_PA, T0_K, 0.0) == pytest.approx(2 * mdot[0])
    assert orifice_mass_flow(0.01, 0.6, P0_PA, 4 * T0_K, 0.0) == pytest.approx(mdot[0] / 2)
    assert orifice_mass_flow(0.02, 0.3, P0_PA, T0_K, 0.0) == pytest.approx(mdot[0])


def test_subsonic_branch_meets_choked_branch_and_vanishes_at_equal_pressure() -> None:
    r_c = critical_pressure_ratio(1.4)
    eps = 1e-9
    below = orifice_mass_flow(1.0, 1.0, P0_PA, T0_K, (r_c - eps) * P0_PA)
    above = orifice_mass_flow(1.0, 1.0, P0_PA, T0_K, (r_c + eps) * P0_PA)
    assert above == pytest.approx(below, rel=1e-12)
    ratios = np.linspace(r_c, 1.0, 200)
    mdot = orifice_mass_flow(1.0, 1.0, P0_PA, T0_K, ratios * P0_PA)
    assert np.all(np.diff(mdot) < 0.0)
    assert mdot[-1] == 0.0


def test_zero_flow_cases_and_broadcasting() -> None:
    assert orifice_mass_flow(1.0, 1.0, P0_PA, T0_K, 2 * P0_PA) == 0.0
    assert orifice_mass_flow(1.0, 1.0, 0.0, T0_K, 0.0) == 0.0
    assert orifice_mass_flow(1.0, 1.0, 0.0, T0_K, 100.0) == 0.0
    p_up = np.full((3, 1), P0_PA)
    p_down = np.zeros((1, 4))
    assert orifice_mass_flow(1.0, 1.0, p_up, T0_K, p_down).shape == (3, 4)


def test_small_pressure_difference_tends_to_incompressible_bernoulli() -> None:
    # mdot -> cd A sqrt(2 rho dp) as dp / p -> 0 (the expansibility factor tends to 1,
    # with a first-order correction of about dp / (2 gamma p)).
    dp = 10.0
    rho = P0_PA * MOLAR_MASS_AIR_KG_MOL / (R_GAS_J_MOL_K * T0_K)
    mdot = orifice_mass_flow(1.0, 0.6, P0_PA, T0_K, P0_PA - dp)
    bernoulli = 0.6 * np.sqrt(2.0 * rho * dp)
    assert mdot == pytest.approx(bernoulli, rel=1e-4)


def test_choked_identity_between_the_two_forms() -> None:
    # sqrt(2 g / (g-1) psi(r_c)) = sqrt(g) (2/(g+1))^((g+1)/(2(g-1))) for any gamma.
    for gamma in (1.1, 1.3, 1.4, 5.0 / 3.0):
        m = 0.032
        general = orifice_mass_flow(1.0, 1.0, P0_PA, T0_K, 0.0, gamma, m)
        closed = fliegner_coefficient(gamma, m) * P0_PA / np.sqrt(T0_K)
        assert general == pytest.approx(closed, rel=1e-13)


def test_link_flow_matches_exact_law_outside_the_regularisation() -> None:
    r_c = critical_pressure_ratio(1.4)
    p_down = P0_PA * np.array([0.0, 0.2, r_c, 0.6, 0.9, 0.99, 0.9999])
    exact = orifice_mass_flow(1.0, 0.6, P0_PA, T0_K, p_down)
    mdot, _, _ = link_mass_flow(0.6, P0_PA, p_down, T0_K, T0_K)
    # Choked: exact.
    np.testing.assert_allclose(mdot[:3], exact[:3], rtol=1e-13)
    # Subsonic: the exact law times the regRoot factor (dp^2 / (dp^2 + dp_t^2))^(1/4), dp_t = 1 Pa
    # (1 - 2.4e-7 at dp = 1 kPa, 0.9975 at dp = 10 Pa).
    dp = P0_PA - p_down[3:]
    factor = (dp**2 / (dp**2 + 1.0)) ** 0.25
    np.testing.assert_allclose(mdot[3:], exact[3:] * factor, rtol=1e-9)
    assert np.all(np.abs(mdot[3:] / exact[3:] - 1.0) <= 0.0025)


def test_link_flow_is_antisymmetric_and_linear_near_zero() -> None:
    q_ab, da, db = link_molar_flow(0.5, 80_000.0, 60_000.0, 280.0, 280.0)
    q_ba, da2, db2 = link_molar_flow(0.5, 60_000.0, 80_000.0, 280.0, 280.0)
    assert q_ab == -q_ba
    assert da == -db2 and db == -da2
    # Near dp = 0 the flow is linear with a finite slope (no sqrt singularity).
    q0, d0a, d0b = link_molar_flow(1.0, P0_PA, P0_PA, T0_K, T0_K)
    assert q0 == 0.0
    assert np.isfinite(d0a) and d0a > 0.0 and d0b == -d0a
    p_a = P0_PA + 1e-6
    q1, _, _ = link_molar_flow(1.0, p_a, P0_PA, T0_K, T0_K)
    assert q1 == pytest.approx(d0a * (p_a - P0_PA), rel=1e-6)


@settings(max_examples=200, deadline=None)
@given(
    p_a=st.floats(0.0, 3e7),
    ratio=st.floats(0.0, 1.2),
    t_a=st.floats(150.0, 400.0),
    t_b=st.floats(150.0, 400.0),
)
def test_link_flow_derivatives_match_finite_differences(
    p_a: float, ratio: float, t_a: float, t_b: float
) -> None:
    p_b = ratio * p_a
    q, dqa, dqb = link_molar_flow(0.1, p_a, p_b, t_a, t_b, 1.40, 1.30, 0.029, 0.044)
    assert dqa >= 0.0 >= dqb
    assert np.sign(q) == np.sign(p_a - p_b) or q == 0.0
    h = max(1e-6 * max(p_a, p_b), 1e-4)
    if abs(p_a - p_b) < 2 * h or min(p_a, p_b) < 2 * h:
        return  # the branch switches (flow direction, choking) inside the difference stencil
    # Near equal pressures the regularised law curves on the scale of dp itself (dp of order
    # the 1 Pa transition): keep the stencil small against dp, or the central difference's
    # truncation error, (h / dp)^2 / 6 relative, exceeds the tolerance.
    h = min(h, 1e-2 * abs(p_a - p_b))

    def q_at(pa: float, pb: float) -> float:
        return float(link_molar_flow(0.1, pa, pb, t_a, t_b, 1.40, 1.30, 0.029, 0.044)[0])

    r_c = critical_pressure_ratio(1.4 if p_a > p_b else 1.3)
    lo, hi = min(p_a, p_b), max(p_a, p_b)
    if abs(lo / hi - r_c) < 1e-5:
        return  # the choked/subsonic junction (C1, but FD straddles it)
    fd_a = (q_at(p_a + h, p_b) - q_at(p_a - h, p_b)) / (2 * h)
    fd_b = (q_at(p_a, p_b + h) - q_at(p_a, p_b - h)) / (2 * h)
    scale = abs(dqa) + abs(dqb) + 1e-30
    assert abs(fd_a - dqa) <= 1e-5 * scale
    assert abs(fd_b - dqb) <= 1e-5 * scale

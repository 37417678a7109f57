"""Decay heat: the ANS-5.1-1979 23-group fit and the Way-Wigner law.

Oracles: the coefficients typed a second time from ANSI/ANS-5.1-1979 Table 7 (U-235 thermal
fission); exact properties of the finite-history sum (its value at t = 0, its pulse limit,
superposition in operating time, monotonicity); the Way-Wigner formula of Way and Wigner,
Phys. Rev. 73, 1318 (1948). The standard's own tabulated F(t, infinity) values are not used:
we could not check them against the standard itself, so the tests rest on these exact
properties and on a second transcription of the fit.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from houston.reactor import decay_heat as dh

# ANSI/ANS-5.1-1979 Table 7, U-235 thermal fission: (alpha_i MeV/(fission s), lambda_i 1/s),
# typed a second time, in pairs, as a check on the module's transcription.
TABLE_7_U235 = [
    (6.5057e-01, 2.2138e01),
    (5.1264e-01, 5.1587e-01),
    (2.4384e-01, 1.9594e-01),
    (1.3850e-01, 1.0314e-01),
    (5.5440e-02, 3.3656e-02),
    (2.2225e-02, 1.1681e-02),
    (3.3088e-03, 3.5870e-03),
    (9.3015e-04, 1.3930e-03),
    (8.0943e-04, 6.2630e-04),
    (1.9567e-04, 1.8906e-04),
    (3.2535e-05, 5.4988e-05),
    (7.5595e-06, 2.0958e-05),
    (2.5232e-06, 1.0010e-05),
    (4.9948e-07, 2.5438e-06),
    (1.8531e-07, 6.6361e-07),
    (2.6608e-08, 1.2290e-07),
    (2.2398e-09, 2.7213e-08),
    (8.1641e-12, 4.3714e-09),
    (8.7797e-11, 7.5780e-10),
    (2.5131e-14, 2.4786e-10),
    (3.2176e-16, 2.2384e-13),
    (4.5038e-17, 2.4600e-14),
    (7.4791e-17, 1.5699e-14),
]
Q_MEV = 200.0
DAY_S = 86_400.0


def reference_fraction(t_s: float, big_t_s: float) -> float:
    """The finite-history sum written out in plain Python from the pairs above."""
    total = math.fsum(
        a
        / lam
        * math.exp(-lam * t_s)
        * (1.0 if math.isinf(big_t_s) else -math.expm1(-lam * big_t_s))
        for a, lam in TABLE_7_U235
    )
    return total / Q_MEV


def test_coefficients_match_a_second_transcription() -> None:
    alpha = np.array([a for a, _ in TABLE_7_U235])
    lam = np.array([lam for _, lam in TABLE_7_U235])
    assert dh.ALPHA_MEV_PER_FISSION_S.shape == (23,)
    assert dh.LAMBDA_PER_S.shape == (23,)
    np.testing.assert_array_equal(dh.ALPHA_MEV_PER_FISSION_S, alpha)
    np.testing.assert_array_equal(dh.LAMBDA_PER_S, lam)
    assert dh.Q_MEV_PER_FISSION == Q_MEV


def test_shutdown_value_is_the_coefficient_sum() -> None:
    """F(0, inf) = sum alpha_i / lambda_i exactly: 13.1826 MeV, 6.591 % of 200 MeV."""
    expected = math.fsum(a / lam for a, lam in TABLE_7_U235) / Q_MEV
    assert expected == pytest.approx(13.182580 / 200.0, rel=1e-7)
    assert dh.fraction(0.0, np.inf) == pytest.approx(expected, rel=1e-15)


def test_pulse_limit_recovers_the_single_fission_decay_rate() -> None:
    """For a short irradiation F(t, T) / T -> f(t) = sum alpha_i exp(-lambda_i t)."""
    big_t = 1e-6
    for t in (0.0, 1.0, 100.0, 1e4, 1e6):
        pulse = math.fsum(a * math.exp(-lam * t) for a, lam in TABLE_7_U235)
        got = float(dh.fraction(t, big_t)) * Q_MEV / big_t
        assert got == pytest.approx(pulse, rel=2e-5)  # O(lambda_1 T / 2) = 1.1e-5 at t = 0


@pytest.mark.parametrize("t_s", [0.0, 1.0, 10.0, 100.0, 3600.0, DAY_S, 1e7])
@pytest.mark.parametrize("big_t_s", [1.0, 3600.0, 3.15e7, np.inf])
def test_matches_the_plain_python_sum(t_s: float, big_t_s: float) -> None:
    assert dh.fraction(t_s, big_t_s) == pytest.approx(reference_fraction(t_s, big_t_s), rel=1e-13)


def test_textbook_magnitudes() -> None:
    """Orders of magnitude widely quoted for U-235 after long operation (not the standard's
    table): several per cent just after shutdown, about 1 % an hour later, about 0.5 % a day
    later."""
    f = dh.fraction(np.array([1.0, 3600.0, DAY_S]), np.inf)
    assert 0.06 < f[0] < 0.07
    assert 0.010 < f[1] < 0.015
    assert 0.004 < f[2] < 0.006


def test_monotone_in_both_times() -> None:
    t = np.concatenate([[0.0], np.logspace(-3, 10, 600)])
    for big_t in (10.0, 3.15e7, np.inf):
        f = dh.fraction(t, big_t)
        assert np.all(np.diff(f) < 0.0)
    big_t = np.concatenate([np.logspace(-2, 12, 400), [np.inf]])
    g = dh.fraction(100.0, big_t)
    assert np.all(np.diff(g) >= 0.0)
    assert np.all(np.diff(g[:200]) > 0.0)


@settings(max_examples=200, deadline=None)
@given(
    t=st.floats(0.0, 1e9),
    t1=st.floats(0.0, 1e9),
    t2=st.floats(0.0, 1e9),
)
def test_superposition_in_operating_time(t: float, t1: float, t2: float) -> None:
    """Running T1 + T2 is the last T1 seconds plus the first T2 seconds seen T1 later:
    F(t, T1 + T2) = F(t, T1) + F(t + T1, T2), an identity of the exponential sum; and a
    finite history always gives less than an infinite one."""
    whole = float(dh.fraction(t, t1 + t2))
    parts = float(dh.fraction(t, t1) + dh.fraction(t + t1, t2))
    assert whole == pytest.approx(parts, rel=1e-12, abs=1e-300)
    assert whole <= float(dh.fraction(t, np.inf))


def test_group_stepper_reproduces_the_closed_form() -> None:
    """A second method: step the 23 group powers through 'run 1e6 s at P0, then stop' with
    uneven steps, and compare with P0 F(t, T) / Q."""
    p0_w = np.array([1.0e5, 4.3e4])  # a batch of two reactors
    rng = np.random.default_rng(3)
    h = dh.group_power_equilibrium_W(p0_w, 0.0)
    assert h.shape == (2, 23)
    np.testing.assert_array_equal(h, 0.0)
    elapsed = 0.0
    while elapsed < 1e6:
        dt = min(rng.uniform(1.0, 5e4), 1e6 - elapsed)
        h = dh.advance_group_power_W(h, p0_w, dt)
        elapsed += dt
    np.testing.assert_allclose(h, dh.group_power_equilibrium_W(p0_w, 1e6), rtol=1e-12)
    t = 0.0
    for dt in (0.5, 0.5, 9.0, 90.0, 3500.0, 82800.0):
        h = dh.advance_group_power_W(h, np.zeros(2), dt)
        t += dt
        np.testing.assert_allclose(h.sum(axis=-1), p0_w * dh.fraction(t, 1e6), rtol=1e-12)


def test_way_wigner_formula_and_distance_from_ans() -> None:
    t = 10.0
    assert dh.fraction(t, 1e4, "way-wigner") == pytest.approx(
        0.0622 * (10.0**-0.2 - 10010.0**-0.2), rel=1e-15
    )
    # Over 10 s .. 1e5 s after shutdown the power law stays within 30 % of the ANS fit,
    # for an infinite history (observed 0.80 .. 1.28) and for one year at power (0.74 .. 1.05).
    t = np.logspace(1, 5, 400)
    for big_t, lo, hi in ((np.inf, 0.79, 1.29), (3.15e7, 0.73, 1.06)):
        ratio = dh.fraction(t, big_t, "way-wigner") / dh.fraction(t, big_t)
        assert lo < ratio.min() and ratio.max() < hi


def test_shapes_broadcast() -> None:
    assert dh.fraction(1.0, np.inf).shape == ()
    t = np.logspace(0, 5, 7)[:, None]
    big_t = np.array([1e3, 1e5, np.inf])
    for model in ("ans-5.1", "ans-5.1-1979", "way-wigner"):
        assert dh.fraction(t, big_t, model).shape == (7, 3)
    assert dh.group_power_equilibrium_W(np.ones((4, 5))).shape == (4, 5, 23)
    assert dh.advance_group_power_W(np.zeros((4, 23)), np.ones(4), 1.0).shape == (4, 23)


def test_refusals() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        dh.fraction(-1.0, 10.0)
    with pytest.raises(ValueError, match="non-negative"):
        dh.fraction(1.0, np.array([10.0, -1.0]))
    with pytest.raises(ValueError, match="non-negative"):
        dh.fraction(np.nan, 10.0)
    with pytest.raises(ValueError, match="unknown decay-heat model"):
        dh.fraction(1.0, 10.0, "ans-5.1-2005")
    with pytest.raises(ValueError, match="diverges"):
        dh.fraction(0.0, 10.0, "way-wigner")
    with pytest.raises(ValueError, match="23 groups"):
        dh.advance_group_power_W(np.zeros(22), 1.0, 1.0)
    with pytest.raises(ValueError, match="non-negative"):
        dh.advance_group_power_W(np.zeros(23), 1.0, -1.0)

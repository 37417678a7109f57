"""Vacuum-exposure physiology: thresholds against the cited numbers, exact model properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from houston.crew import physiology as phys
from houston.crew.physiology import DEAD, IMPAIRED, NOMINAL, UNCONSCIOUS

CABIN_PA = 101_325.0
CABIN_O2_PA = 0.2095 * CABIN_PA


def _if97_saturation_pressure_Pa(t_k: float) -> float:
    """IAPWS-IF97 region 4 saturation pressure (IAPWS R7-97, eq. 30), an independent oracle."""
    n = [
        0.11670521452767e4,
        -0.72421316703206e6,
        -0.17073846940092e2,
        0.12020824702470e5,
        -0.32325550322333e7,
        0.14915108613530e2,
        -0.48232657361591e4,
        0.40511340542057e6,
        -0.23855557567849,
        0.65017534844798e3,
    ]
    th = t_k + n[8] / (t_k - n[9])
    a = th * th + n[0] * th + n[1]
    b = n[2] * th * th + n[3] * th + n[4]
    c = n[5] * th * th + n[6] * th + n[7]
    return 1e6 * (2 * c / (-b + np.sqrt(b * b - 4 * a * c))) ** 4


def _std_atmosphere_Pa(h_m: float) -> float:
    """U.S. Standard Atmosphere 1976 below 20 km (troposphere and isothermal layer)."""
    g0m_r = 9.80665 * 0.0289644 / 8.31432
    if h_m <= 11_000.0:
        return 101_325.0 * (1 - 0.0065 * h_m / 288.15) ** (g0m_r / 0.0065)
    return 22_632.06 * np.exp(-g0m_r * (h_m - 11_000.0) / 216.65)


def _expose(
    pressures_Pa: np.ndarray, o2_Pa: np.ndarray, dt: float, shape: tuple[int, ...] = (1, 1)
) -> tuple[np.ndarray, phys.PhysiologyState]:
    """Run a pressure history; return the status after every step and the final state."""
    state = phys.initial_state(shape)
    codes = []
    for p, o2 in zip(pressures_Pa, o2_Pa, strict=True):
        state = phys.step(state, p, o2, dt)
        codes.append(phys.status(state))
    return np.array(codes), state


def _vacuum_then_cabin(vacuum_s: float, total_s: float, dt: float = 0.5) -> np.ndarray:
    n = round(total_s / dt)
    t = dt * np.arange(1, n + 1)
    vacuum = t <= vacuum_s + 1e-9
    p = np.where(vacuum, 0.0, CABIN_PA)
    o2 = np.where(vacuum, 0.0, CABIN_O2_PA)
    return _expose(p, o2, dt)[0][:, 0, 0]


def test_armstrong_limit_is_water_vapour_pressure_at_body_temperature() -> None:
    assert phys.ARMSTRONG_LIMIT_PA == pytest.approx(_if97_saturation_pressure_Pa(310.15), rel=1e-3)
    assert phys.ARMSTRONG_LIMIT_PA == pytest.approx(47 * 101_325 / 760, rel=3e-3)  # 47 mmHg
    # Buck (1981): e = 6.1121 exp(17.502 t / (240.97 + t)) hPa.
    buck = 611.21 * np.exp(17.502 * 37.0 / (240.97 + 37.0))
    assert phys.ARMSTRONG_LIMIT_PA == pytest.approx(buck, rel=1e-3)
    # Reached near 19 km in the standard atmosphere.
    assert _std_atmosphere_Pa(19_000.0) > phys.ARMSTRONG_LIMIT_PA > _std_atmosphere_Pa(19_200.0)


def test_no_effect_threshold_is_air_at_15000_ft() -> None:
    p_15000ft = _std_atmosphere_Pa(15_000 * 0.3048)
    assert p_15000ft == pytest.approx(57_180.0, abs=10.0)
    expected = phys.inspired_o2_Pa(p_15000ft, 0.2095 * p_15000ft)
    assert phys.INSPIRED_O2_NO_EFFECT_PA == pytest.approx(expected, abs=5.0)


def test_thresholds_match_the_cited_numbers() -> None:
    low, high = phys.VACUUM_USEFUL_CONSCIOUSNESS_S
    assert (low, high) == (9.0, 12.0)  # SP-3006, as quoted
    assert low <= phys.IMPAIRED_AFTER_S <= high
    assert 10.0 <= phys.UNCONSCIOUS_AFTER_S <= 15.0
    assert phys.UNCONSCIOUS_AFTER_S == phys.MSC_CASE_CONSCIOUS_S == 14.0
    assert phys.DOG_SURVIVED_S == 90.0 and phys.CHIMPANZEE_SURVIVED_S == 210.0
    assert phys.DOG_SURVIVED_S < phys.DOG_MOSTLY_FATAL_S <= phys.LETHAL_VACUUM_EXPOSURE_S
    assert phys.LETHAL_VACUUM_EXPOSURE_S < phys.CHIMPANZEE_SURVIVED_S
    assert 120.0 <= phys.LETHAL_VACUUM_EXPOSURE_S <= 180.0  # "death beyond about 2-3 min"


def test_status_timeline_at_vacuum() -> None:
    dt = 0.1
    n = 2000
    codes, _ = _expose(np.zeros(n), np.zeros(n), dt)
    t = dt * np.arange(1, n + 1)
    c = codes[:, 0, 0]
    assert np.all(c[t < 8.95] == NOMINAL)
    assert np.all(c[(t > 9.05) & (t < 13.95)] == IMPAIRED)
    assert np.all(c[(t > 14.05) & (t < 149.95)] == UNCONSCIOUS)
    assert np.all(c[t > 150.05] == DEAD)
    # First time in each status, s.
    first = {k: t[np.argmax(c == k)] for k in (IMPAIRED, UNCONSCIOUS, DEAD)}
    assert first[IMPAIRED] == pytest.approx(9.0, abs=0.11)
    assert first[UNCONSCIOUS] == pytest.approx(14.0, abs=0.11)
    assert first[DEAD] == pytest.approx(150.0, abs=0.11)


def test_msc_case_conscious_14_s_and_recovered() -> None:
    # Near vacuum (< 1 psi); repressurisation began within ~15 s; a whole exposure of ~30 s.
    codes = _vacuum_then_cabin(vacuum_s=30.0, total_s=600.0)
    t = 0.5 * np.arange(1, len(codes) + 1)
    assert np.all(codes[t < 13.9] <= IMPAIRED)  # conscious for about 14 s
    assert codes[t == 20.0][0] == UNCONSCIOUS
    # Regains consciousness within seconds of repressurisation, survives, stays impaired.
    back = t[(t > 30.0) & (codes < UNCONSCIOUS)][0]
    assert back - 30.0 < 10.0
    assert np.all(codes[t > 40.0] == IMPAIRED)


def test_repressurised_within_90_s_survives_and_beyond_2_5_min_dies() -> None:
    survived = _vacuum_then_cabin(vacuum_s=phys.DOG_SURVIVED_S, total_s=400.0)
    assert not np.any(survived == DEAD)
    assert survived[-1] == IMPAIRED
    died = _vacuum_then_cabin(vacuum_s=200.0, total_s=400.0)
    assert died[-1] == DEAD
    assert np.all(died[np.argmax(died == DEAD) :] == DEAD)  # absorbing


def test_cabin_air_never_hurts() -> None:
    # 30 days in 101.3 kPa air (21.2 kPa O2) and in the Apollo 34.5 kPa pure-O2 cabin.
    state = phys.initial_state((2, 3))
    p = np.array([[CABIN_PA], [34_500.0]])
    o2 = np.array([[CABIN_O2_PA], [34_500.0]])
    for _ in range(30 * 24):
        state = phys.step(state, p, o2, 3600.0)
    for a in (state.hypoxia_s, state.ebullism_s, state.injury_s):
        assert np.all(a == 0.0)
    assert np.all(phys.status(state) == NOMINAL)


def test_result_independent_of_step_size_for_constant_inputs() -> None:
    for p, o2 in ((0.0, 0.0), (23_800.0, 0.2095 * 23_800.0), (40_000.0, 8_380.0)):
        fine = phys.initial_state((1,))
        for _ in range(400):
            fine = phys.step(fine, p, o2, 0.5)
        coarse = phys.step(phys.initial_state((1,)), p, o2, 200.0)
        np.testing.assert_allclose(fine.hypoxia_s, coarse.hypoxia_s, rtol=1e-12)
        np.testing.assert_allclose(fine.injury_s, coarse.injury_s, rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(fine.ebullism_s, coarse.ebullism_s, rtol=1e-12)


def test_batch_and_people_shapes_and_broadcasting() -> None:
    state = phys.initial_state((4, 3))  # 4 runs, 3 people
    p = np.array([0.0, 3_000.0, 50_000.0, CABIN_PA])[:, None]  # one pressure per run
    o2 = 0.2095 * p
    for _ in range(30):
        state = phys.step(state, p, o2, 1.0)
    codes = phys.status(state)
    assert codes.shape == (4, 3) and codes.dtype == np.int8
    assert np.all(codes[0] == UNCONSCIOUS) and np.all(codes[1] == UNCONSCIOUS)
    assert np.all(codes[3] == NOMINAL)
    assert np.all(state.ebullism_s[:2] == 30.0) and np.all(state.ebullism_s[2:] == 0.0)
    # Each person can have their own exposure (e.g. one in a leaking suit).
    person_p = np.array([[CABIN_PA, 0.0, CABIN_PA]])
    s2 = phys.step(phys.initial_state((1, 3)), person_p, 0.2095 * person_p, 20.0)
    assert phys.status(s2).tolist() == [[NOMINAL, UNCONSCIOUS, NOMINAL]]


def test_dose_rate_shape() -> None:
    p_io2 = np.linspace(0.0, 20_000.0, 401)
    w = phys.hypoxia_rate(p_io2)
    assert np.all(np.diff(w) <= 0.0)
    assert w[0] == 1.0 and np.all(w[p_io2 <= phys.INSPIRED_O2_ANOXIC_PA] == 1.0)
    assert np.all(w[p_io2 >= phys.INSPIRED_O2_NO_EFFECT_PA] == 0.0)
    # Below the Armstrong limit nothing can be inspired, whatever the O2 fraction.
    assert phys.inspired_o2_Pa(6_000.0, 6_000.0) == 0.0
    assert phys.inspired_o2_Pa(0.0, 0.0) == 0.0


@settings(max_examples=100, deadline=None)
@given(
    p=st.floats(0.0, 200_000.0),
    o2_fraction=st.floats(0.0, 1.0),
    dt=st.floats(0.01, 1000.0),
)
def test_no_injury_without_hypoxia(p: float, o2_fraction: float, dt: float) -> None:
    s = phys.step(phys.initial_state((1,)), p, o2_fraction * p, dt)
    p_io2 = phys.inspired_o2_Pa(p, o2_fraction * p)
    if p_io2 >= phys.INSPIRED_O2_NO_EFFECT_PA:
        assert s.hypoxia_s[0] == 0.0 and s.injury_s[0] == 0.0
    assert 0.0 <= s.hypoxia_s[0] <= phys.HYPOXIA_CAP_S
    assert s.injury_s[0] <= max(dt - phys.UNCONSCIOUS_AFTER_S, 0.0) + 1e-9

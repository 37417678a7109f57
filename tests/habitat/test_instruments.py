"""The compiled instruments equal houston.core.sensors (read and vote)."""

from __future__ import annotations

import numpy as np
import pytest

from houston.core.constants import MOLAR_MASS_AIR_KG_MOL, R_GAS_J_MOL_K
from houston.core.sensors import SensorFaults, SensorSpec, read, vote
from houston.habitat.instruments import leak_estimate, read_channels, vote_groups


def test_readings_equal_the_reference_error_model() -> None:
    rng = np.random.default_rng(4)
    b, c = 6, 5
    specs = [
        SensorSpec(noise=50.0, resolution=10.0, low=0.0, high=200e3),
        SensorSpec(noise=100.0, bias=20.0, drift_rate=0.5, resolution=10.0, low=0.0, high=100e3),
        SensorSpec(noise=0.05, resolution=0.01, low=200.0, high=400.0),
        SensorSpec(noise=0.0, low=0.0, high=5e4),
        SensorSpec(noise=2e4, resolution=1e3, low=0.0, high=4e7),
    ]
    truth = np.array([101_325.0, 21_000.0, 293.15, 6e4, 2e7]) * rng.uniform(0.5, 1.2, (b, c))
    faults = SensorFaults.none((b, c))
    drift_ref, last_ref = np.zeros((b, c)), np.full((b, c), np.nan)
    drift, last = np.zeros((b, c)), np.full((b, c), np.nan)
    arr = {
        f: np.array([getattr(s, f) for s in specs])
        for f in ("noise", "bias", "drift_rate", "resolution", "low", "high")
    }
    out = np.empty((b, c))
    for k in range(30):
        if k == 10:
            faults.stuck[0, 1] = True
            faults.dropout[2, 3] = True
            faults.extra_bias[3, 0] = -15e3
            faults.extra_drift_rate[4, 2] = 0.1
        normal = rng.standard_normal((b, c))
        expected = np.empty((b, c))
        for j, spec in enumerate(specs):
            sub = SensorFaults(
                faults.stuck[:, j : j + 1],
                faults.dropout[:, j : j + 1],
                faults.extra_bias[:, j : j + 1],
                faults.extra_drift_rate[:, j : j + 1],
            )
            d, la = drift_ref[:, j : j + 1], last_ref[:, j : j + 1]
            expected[:, j] = read(truth[:, j : j + 1], spec, d, la, 1.0, normal[:, j : j + 1], sub)[
                :, 0
            ]
        read_channels(
            truth,
            arr["noise"],
            arr["bias"],
            arr["drift_rate"],
            arr["resolution"],
            arr["low"],
            arr["high"],
            drift,
            last,
            1.0,
            normal,
            faults.stuck,
            faults.dropout,
            faults.extra_bias,
            faults.extra_drift_rate,
            out,
        )
        assert np.array_equal(out, expected, equal_nan=True)
        assert np.array_equal(last, last_ref, equal_nan=True) and np.array_equal(drift, drift_ref)


def test_vote_equals_the_reference_vote() -> None:
    rng = np.random.default_rng(1)
    for k in (1, 2, 3, 4, 5):
        readings = rng.normal(1e5, 300.0, (200, 4 * k))
        readings[rng.uniform(size=readings.shape) < 0.2] = np.nan
        readings[0, :] = np.nan
        first = np.arange(4, dtype=np.intp) * k
        count = np.full(4, k, dtype=np.intp)
        voted, spread = np.empty((200, 4)), np.empty((200, 4))
        vote_groups(readings, first, count, voted, spread)
        ref_v, ref_s = vote(readings.reshape(200, 4, k))
        assert np.array_equal(voted, ref_v, equal_nan=True)
        assert np.array_equal(spread, ref_s, equal_nan=True)


def test_leak_estimate_is_exact_for_a_steady_leak_after_settling() -> None:
    # A pressure falling at 10 Pa/s: each moving average settles to a lag of
    # r dt / (exp(dt / tau) - 1), so the estimate tends to r (dt / (e^(dt/tau_l) - 1) -
    # dt / (e^(dt/tau_s) - 1)) / (tau_l - tau_s), within 1 % of r at dt = 1 s.
    v, t = 100.0, 293.15
    ema_s, ema_l, out = np.full((1, 1), np.nan), np.full((1, 1), np.nan), np.empty((1, 1))
    for k in range(2000):
        p = np.array([[101_325.0 - 10.0 * k]])
        leak_estimate(
            p, np.array([[t]]), np.array([t]), np.array([v]), ema_s, ema_l, 10.0, 60.0, 1.0, out
        )
    kg_per_pa = v * MOLAR_MASS_AIR_KG_MOL / (R_GAS_J_MOL_K * t)
    lag = 1.0 / np.expm1(1.0 / 60.0) - 1.0 / np.expm1(1.0 / 10.0)
    assert out[0, 0] == pytest.approx(10.0 * lag / 50.0 * kg_per_pa, rel=1e-9)
    assert out[0, 0] == pytest.approx(10.0 * kg_per_pa, rel=0.01)

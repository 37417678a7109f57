"""Sensor error model and voting."""

from __future__ import annotations

import numpy as np
import pytest

from houston.core.sensors import SensorFaults, SensorSpec, read, vote


def run(
    spec: SensorSpec, truth: float, steps: int, faults: SensorFaults | None = None, seed: int = 0
) -> np.ndarray:
    rng = np.random.default_rng(seed)
    drift = np.zeros((1, 1))
    last = np.full((1, 1), np.nan)
    out = []
    for _ in range(steps):
        out.append(
            read(
                np.full((1, 1), truth), spec, drift, last, 1.0, rng.standard_normal((1, 1)), faults
            )[0, 0]
        )
    return np.array(out)


def test_noise_statistics() -> None:
    r = run(SensorSpec(noise=200.0), 101_325.0, 20_000)
    assert abs(r.mean() - 101_325.0) < 5 * 200 / np.sqrt(r.size)
    assert r.std() == pytest.approx(200.0, rel=0.03)


def test_bias_drift_resolution_and_range() -> None:
    r = run(SensorSpec(bias=50.0, drift_rate=2.0, resolution=10.0, high=101_400.0), 101_325.0, 30)
    # bias 50 Pa + 2 Pa/s drift: 101,377 after 1 s -> 101,380 (10 Pa steps); clipped at the top.
    assert r[0] == 101_380.0
    assert r[9] == 101_400.0 and r.max() == 101_400.0


def test_stuck_holds_and_dropout_reads_nan() -> None:
    spec = SensorSpec(noise=1.0)
    faults = SensorFaults.none((1, 1))
    rng = np.random.default_rng(0)
    drift, last = np.zeros((1, 1)), np.full((1, 1), np.nan)
    first = read(
        np.full((1, 1), 100.0), spec, drift, last, 1.0, rng.standard_normal((1, 1)), faults
    )
    faults.stuck[:] = True
    held = read(np.full((1, 1), 0.0), spec, drift, last, 1.0, rng.standard_normal((1, 1)), faults)
    assert held[0, 0] == first[0, 0]
    faults.dropout[:] = True
    assert np.isnan(
        read(np.full((1, 1), 0.0), spec, drift, last, 1.0, rng.standard_normal((1, 1)), faults)
    ).all()


def test_vote_outvotes_a_failed_channel() -> None:
    readings = np.array(
        [
            [101_300.0, 101_350.0, 60_000.0],  # one channel failed low
            [70_000.0, 70_100.0, 69_900.0],  # a real drop: all agree
            [np.nan, 100.0, np.nan],  # two dropped out
            [np.nan, np.nan, np.nan],
        ]
    )  # no data
    voted, spread = vote(readings)
    assert voted[:3].tolist() == [101_300.0, 70_000.0, 100.0]
    assert spread[0] == pytest.approx(41_300.0) and spread[1] == pytest.approx(100.0)
    assert np.isnan(voted[3]) and np.isnan(spread[3])


def test_batch_shapes() -> None:
    truth = np.ones((5, 3))
    out = read(
        truth,
        SensorSpec(noise=0.1),
        np.zeros((5, 3)),
        np.zeros((5, 3)),
        1.0,
        np.zeros((5, 3)),
        SensorFaults.none((5, 3)),
    )
    assert out.shape == (5, 3)
    assert vote(np.ones((5, 4, 3)))[0].shape == (5, 4)

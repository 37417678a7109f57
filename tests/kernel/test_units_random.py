"""Unit suffixes at the edges, and the batch random numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from houston.core.random import BatchRandom, run_seeds
from houston.core.units import UnitError, from_si, split_field, to_si


def test_unit_suffixes() -> None:
    assert to_si(220.0, "km", "m") == 220_000.0
    assert to_si(90.0, "deg", "rad") == pytest.approx(math.pi / 2, abs=1e-15)
    assert to_si(14.7, "psi", "Pa") == pytest.approx(101_352.93, abs=0.01)
    assert to_si(20.0, "C", "K") == pytest.approx(293.15, abs=1e-12)
    assert from_si(293.15, "C", "K") == pytest.approx(20.0, abs=1e-12)
    assert split_field("perigee_altitude_km", "perigee_altitude", "m") == "km"
    assert split_field("perigee_altitude", "perigee_altitude", "m") is None
    assert split_field("ecc", "ecc", "1") == ""
    with pytest.raises(UnitError, match="expected one of"):
        to_si(1.0, "kg", "m")


def test_batch_rows_equal_single_runs() -> None:
    """Run i of a batch seeded S draws exactly what a single run seeded S+i draws."""
    batch = BatchRandom(run_seeds(7, 50))
    draws = batch.normal("a/b", 12, (3,))
    for i in (0, 13, 49):
        single = BatchRandom(run_seeds(7 + i, 1)).normal("a/b", 12, (3,))
        assert np.array_equal(single[0], draws[i])


def test_streams_and_counters_differ() -> None:
    r = BatchRandom(run_seeds(0, 1))
    a = r.uniform("x", 0, (8,))
    assert not np.array_equal(a, r.uniform("y", 0, (8,)))
    assert not np.array_equal(a, r.uniform("x", 1, (8,)))
    assert np.array_equal(a, r.uniform("x", 0, (8,)))


def test_distribution_moments() -> None:
    """200,000 normal draws: mean within 5 standard errors of 0, variance within 1 %."""
    x = BatchRandom(run_seeds(3, 1000)).normal("n", 0, (200,)).ravel()
    assert abs(x.mean()) < 5 / math.sqrt(x.size)
    assert abs(x.var() - 1.0) < 0.01
    u = BatchRandom(run_seeds(3, 1000)).uniform("u", 0, (200,)).ravel()
    assert 0.0 < u.min() and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 5 * math.sqrt(1 / 12 / u.size)


def test_negative_seed_refused() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        run_seeds(-1, 2)

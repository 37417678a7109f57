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


def test_normal_many_equals_separate_draws() -> None:
    """One draw for several counters is, bit for bit, the separate draws stacked."""
    for batch, shape in ((1, (17,)), (5, (17,)), (3, (2, 3)), (4, ())):
        r = BatchRandom(run_seeds(11, batch))
        counters = [0, 1, 1024 * 7, 10**15 + 3, 2**53]
        many = r.normal_many("m/sensors", counters, shape)
        assert many.shape == (len(counters), batch, *shape)
        for j, c in enumerate(counters):
            assert np.array_equal(many[j], r.normal("m/sensors", c, shape))


def test_model_normal_steps_equals_step_by_step() -> None:
    """ModelRandom.normal_steps gives what at_step + normal gives step by step, and leaves the
    generator where those calls leave it."""
    from houston.core.model import ModelRandom

    rng = BatchRandom(run_seeds(3, 4))
    keys = [10**9 * k for k in range(1, 10)]
    for first in (0, keys[0]):
        a, b = ModelRandom(rng, "x.y", first), ModelRandom(rng, "x.y", first)
        a.normal("sensors", (5,))
        b.normal("sensors", (5,))
        many = a.normal_steps("sensors", keys, (5,))
        for j, k in enumerate(keys):
            b.at_step(k)
            assert np.array_equal(many[j], b.normal("sensors", (5,)))
        assert np.array_equal(a.normal("sensors", (5,)), b.normal("sensors", (5,)))
        assert np.array_equal(a.uniform("other", (2,)), b.uniform("other", (2,)))

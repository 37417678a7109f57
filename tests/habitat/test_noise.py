"""The habitat's sensor noise, drawn by a compiled loop plus numpy's log and cos, equals
``ctx.random.normal("sensors", ...)`` bit for bit (batch, frames, repeated draws)."""

from __future__ import annotations

import numpy as np
import pytest

from houston.core.model import ModelRandom, StepContext
from houston.core.random import BatchRandom, run_seeds
from houston.habitat import kernels
from houston.habitat.model import GasNetworkModel


def _check_draws(model: GasNetworkModel, starts: list[int], draws: int = 1) -> list[int]:
    """Step the model's noise through steps starting at ``starts`` (ns, 1 s long), ``draws``
    draws a step, against the generator's own draws; returns the slots taken."""
    batch, c = model.batch, len(model.layout.sensors)
    seeds = run_seeds(12345, batch)
    fast = StepContext(0, 0, 0, {}, ModelRandom(BatchRandom(seeds), model.path), [])
    slow = StepContext(0, 0, 0, {}, ModelRandom(BatchRandom(seeds), model.path), [])
    slots = []
    for t0 in starts:
        fast.reset(t0, t0 + 10**9, t0 // 10**9, {})
        slow.reset(t0, t0 + 10**9, t0 // 10**9, {})
        for _ in range(draws):  # a second draw in the same step takes the next counter
            slot = model._draw_noise(fast)
            assert slot >= 0
            slots.append(slot)
            normal = np.empty((batch, c))
            for row in range(batch):
                for e in range(c):
                    normal[row, e] = (
                        np.sqrt(-2.0 * model._log_u1[slot, row, e]) * model._cos_angle[slot, row, e]
                    )
            expected = slow.random.normal("sensors", (c,))
            assert normal.tobytes() == expected.tobytes()
    return slots


def _model(batch: int) -> GasNetworkModel:
    params = {p.name: p.default for p in GasNetworkModel.params}
    model = GasNetworkModel("base.atmosphere", params, batch)
    model._load_kernels()
    return model


@pytest.mark.parametrize("batch", [1, 4])
def test_the_fast_draw_is_the_generators_draw(batch: int) -> None:
    model = _model(batch)
    _check_draws(model, [0, 10**9, 17 * 10**9 + 3, 3_600 * 10**9, 10_800 * 10**9], draws=2)


@pytest.mark.parametrize("batch", [1, 4, 300])
def test_the_draws_ahead_are_the_generators_draws(batch: int) -> None:
    """Regular steps take the slots drawn ahead; a step off the interval draws again."""
    model = _model(batch)
    k = model._log_u1.shape[0]
    starts = [t * 10**9 for t in range(2 * k + 3)]
    starts += [starts[-1] + 10**9 // 2] + [starts[-1] + t * 10**9 for t in range(1, 5)]
    slots = _check_draws(model, starts)
    regular = 2 * k + 3
    assert slots[:regular] == [j % k for j in range(regular)]
    assert slots[regular:] == [0, 0] + [j % k for j in (1, 2, 3)]
    assert k == max(1, min(64, 4096 // (batch * len(model.layout.sensors))))


def test_the_counter_multipliers_agree() -> None:
    from houston.habitat.model import _COUNTER_MULTIPLIER

    assert int(kernels._COUNTER_MULTIPLIER) == _COUNTER_MULTIPLIER


def test_the_uniforms_are_the_generators_bits() -> None:
    rng = BatchRandom(run_seeds(7, 3))
    from houston.core.random import _MASK, _mix_int, stream_key
    from houston.habitat.model import _COUNTER_MULTIPLIER

    n = 25
    for counter in (0, 1, 2**40 + 5):
        key = _mix_int(stream_key("s") ^ (counter * _COUNTER_MULTIPLIER & _MASK))
        u1, angle = np.empty((3, n)), np.empty((3, n))
        kernels.box_muller_inputs(rng._seed_keys, np.uint64(key), u1, angle)
        u = rng.uniform("s", counter, (2, n))
        assert u1.tobytes() == np.ascontiguousarray(u[:, 0]).tobytes()
        assert angle.tobytes() == np.ascontiguousarray(2.0 * np.pi * u[:, 1]).tobytes()

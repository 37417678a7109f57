"""The habitat's sensor noise, drawn by a compiled loop plus numpy's log and cos, equals
``ctx.random.normal("sensors", ...)`` bit for bit (batch, frames, repeated draws)."""

from __future__ import annotations

import numpy as np
import pytest

from houston.core.model import ModelRandom, StepContext
from houston.core.random import BatchRandom, run_seeds
from houston.habitat import kernels
from houston.habitat.model import GasNetworkModel


@pytest.mark.parametrize("batch", [1, 4])
def test_the_fast_draw_is_the_generators_draw(batch: int) -> None:
    params = {p.name: p.default for p in GasNetworkModel.params}
    model = GasNetworkModel("base.atmosphere", params, batch)
    model._load_kernels()
    c = len(model.layout.sensors)
    seeds = run_seeds(12345, batch)
    fast = StepContext(0, 0, 0, {}, ModelRandom(BatchRandom(seeds), model.path), [])
    slow = StepContext(0, 0, 0, {}, ModelRandom(BatchRandom(seeds), model.path), [])
    for t0 in (0, 10**9, 17 * 10**9 + 3, 3_600 * 10**9, 10_800 * 10**9):
        fast.reset(t0, t0 + 10**9, t0 // 10**9, {})
        slow.reset(t0, t0 + 10**9, t0 // 10**9, {})
        for _ in range(2):  # a second draw in the same step takes the next counter
            assert model._draw_noise(fast)
            normal = np.empty((batch, c))
            for row in range(batch):
                for e in range(c):
                    normal[row, e] = (
                        np.sqrt(-2.0 * model._log_u1[row, e]) * model._cos_angle[row, e]
                    )
            expected = slow.random.normal("sensors", (c,))
            assert normal.tobytes() == expected.tobytes()


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

"""A 10 s step draws the sensors' noise of its sub-steps in one call when the last step moved
(``SurfaceReactor._moved``), else after its first sub-step if the plant is not calm: a hint for
the cost only. Forced either way, every state array and every event are the same bit for bit,
through calm stretches, a loss of flow, a scram and its recovery. The draws formed in the
compiled step are the generator's, and the compiled step follows replaced state arrays."""

from __future__ import annotations

import copy
import pickle

import numpy as np

from houston.core.model import ModelRandom
from houston.reactor.model import _N_CHANNELS
from tests.reactor.test_substeps import S, Stepper, _mask


def _story(hint: bool | None) -> Stepper:
    r = Stepper(3, seed=5, prediction_interval=60.0)
    if hint is not None:
        step = r.m.step

        def forced(ctx):  # type: ignore[no-untyped-def]
            r.m._moved = hint
            step(ctx)

        r.m.step = forced  # type: ignore[method-assign]
    r.go(60, 10)  # calm
    r.m.command("disconnect_backup", {}, _mask(3, 0))
    r.m.set_failure("pump_drive_cut", {}, _mask(3, 0, 1), True)
    r.go(300, 10)  # moving
    r.m.command("restore_cross_connect", {}, _mask(3, 1))
    r.go(600, 10)
    return r


def test_the_draw_hint_never_changes_a_result() -> None:
    runs = [_story(None), _story(True), _story(False)]
    a = runs[0]
    for b in runs[1:]:
        for name, value in a.m.state.items():
            assert np.array_equal(value, b.m.state[name], equal_nan=True), name
        assert [(e.message, e.mask.tolist()) for e in a.events] == [
            (e.message, e.mask.tolist()) for e in b.events
        ]
    assert any(e.message.startswith("SCRAM") for e in a.events)


class _OtherRandom(ModelRandom):
    """The same numbers through another generator type: the model then takes its draws from
    ``normal`` and ``normal_steps`` instead of forming them in the compiled step."""


def _story_with(random: type[ModelRandom]) -> Stepper:
    r = Stepper(3, seed=5, prediction_interval=60.0)
    r.ctx.random = random(r.ctx.random._rng, r.m.path)
    r.go(60, 10)
    r.m.command("disconnect_backup", {}, _mask(3, 0))
    r.m.set_failure("pump_drive_cut", {}, _mask(3, 0, 1), True)
    r.go(300, 10)
    r.go(5, 1)  # frames, and a step of 10 s that starts off the 10 s grid
    r.go(10, 10)
    return r


def test_draws_formed_in_the_compiled_step_are_the_generators() -> None:
    """The sensors' noise formed from compiled uniforms (numpy's ``log`` and ``cos``) is what
    ``BatchRandom.normal`` and ``normal_many`` give: the draws of a moving step's every
    sub-step, and every state after a story, the same bit for bit."""
    r = Stepper(4, seed=9)
    r.m.set_failure("pump_drive_cut", {}, np.ones(4, dtype=bool), True)
    r.go(30, 10)
    assert not r.m._step_buffers.calm.any()
    keys = [r.t - 10 * S + k * S for k in range(10)]
    stream = f"{r.m.path}/sensors"
    want = r.ctx.random._rng.normal_many(stream, [k * 1024 for k in keys], (_N_CHANNELS,))
    assert np.array_equal(r.m._step_buffers.normal, want)
    a, b = _story_with(ModelRandom), _story_with(_OtherRandom)
    for name, value in a.m.state.items():
        assert np.array_equal(value, b.m.state[name], equal_nan=True), name


def test_replaced_state_arrays_are_the_ones_stepped() -> None:
    """Assigning a state (as a restored checkpoint does) after the model has stepped: the
    compiled step takes the new arrays, and the run continues as if never interrupted."""
    a, b = Stepper(2, seed=3), Stepper(2, seed=3)
    for r in (a, b):
        r.m.set_failure("pump_drive_cut", {}, _mask(2, 1), True)
        r.go(60, 10)
    for name in list(b.m.state):
        b.m.state[name] = b.m.state[name].copy()
    for r in (a, b):
        r.go(120, 10)
    for name, value in a.m.state.items():
        assert np.array_equal(value, b.m.state[name], equal_nan=True), name
    assert not np.array_equal(a.m.state["T"][1], a.m.state["T"][0])


def test_packed_step_unpacks_every_state() -> None:
    """The packed step's column counts are those of the state names it stands for, and the
    model's packed states are views of its buffers."""
    from houston.reactor import kernels
    from houston.reactor.model import SENSORS

    assert kernels.PACKED_COLUMNS == (
        len(kernels.STEP_FLOATS),
        len(kernels.STEP_BOOLS),
        len(kernels.STEP_INTS),
        len(SENSORS),
    )
    r = Stepper(2)
    floats = r.m.state.buffers[0]
    for j, name in enumerate(kernels.STEP_FLOATS):
        assert np.shares_memory(r.m.state[name], floats[:, j]), name
    # A copy (or a pickle) is a packed state of its own with the same values.
    r.go(20, 10)
    for c in (copy.deepcopy(r.m.state), pickle.loads(pickle.dumps(r.m.state))):
        assert type(c) is type(r.m.state) and c.keys() == r.m.state.keys()
        for name, value in r.m.state.items():
            assert np.array_equal(c[name], value, equal_nan=True), name
        assert np.shares_memory(c["n"], c.buffers[0])
        assert not np.shares_memory(c["n"], floats)

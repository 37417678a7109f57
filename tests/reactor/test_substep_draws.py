"""A 10 s step draws the sensors' noise of its sub-steps in one call when the last step moved
(``SurfaceReactor._moved``), else after its first sub-step if the plant is not calm: a hint for
the cost only. Forced either way, every state array and every event are the same bit for bit,
through calm stretches, a loss of flow, a scram and its recovery."""

from __future__ import annotations

import numpy as np

from tests.reactor.test_substeps import Stepper, _mask


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

"""The countdown's forward integration in one compiled call
(:func:`houston.reactor.prediction.time_to_damage_s`) against the same integration in numpy
around the plant's step (``_time_to_damage_reference``): the same bits, through a loss of
flow with and without the protection (whose trips the integration itself decides), a
manual scram, a restored flow and a reactor at rest."""

from __future__ import annotations

import numpy as np
import pytest

from houston.reactor.prediction import _time_to_damage_reference, schedule_s, time_to_damage_s

from .test_model import CROSS, NO_CONTROL, PROTECTED, SCRAMMED, UNPROTECTED, Runner, rows


@pytest.fixture(scope="module")
def runner() -> Runner:
    r = Runner(6)
    r.m.command("disconnect_backup", {}, rows(UNPROTECTED, SCRAMMED, CROSS, NO_CONTROL))
    r.run(10)
    lof = rows(UNPROTECTED, PROTECTED, SCRAMMED, CROSS, NO_CONTROL)
    r.m.set_failure("pump_drive_cut", {}, lof, True)
    r.m.set_failure("primary_computer_lost", {}, rows(NO_CONTROL), True)
    r.m.command("scram", {}, rows(SCRAMMED))
    return r


def _both(r: Runner, **override: float) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    every = np.arange(r.m.batch)
    state, drive, kw = r.m._countdown_inputs(every)
    kw.update(override)
    before = {k: np.array(v) for k, v in state.__dict__.items()}
    got = time_to_damage_s(state, drive, r.m._pp, **kw)
    for k, v in state.__dict__.items():
        assert np.array_equal(v, before[k]), k  # the inputs are not modified
    ref = _time_to_damage_reference(*r.m._countdown_inputs(every)[:2], r.m._pp, **kw)
    return got, ref


@pytest.mark.parametrize("uncertainty", [0.3, 0.0])
def test_compiled_countdown_equals_the_reference(runner: Runner, uncertainty: float) -> None:
    """One frame after the loss of flow (the protected row trips within the integration),
    then two minutes later and after the flow is restored in one row: every answer (finite,
    inf or 0) and the band, bit for bit."""
    r = runner
    seen_finite = False
    for seconds, action in ((1, None), (120, "cross"), (60, None)):
        if action == "cross":
            r.m.command("restore_cross_connect", {}, rows(CROSS))
        r.run(seconds)
        got, ref = _both(r, uncertainty=uncertainty)
        for a, b in zip(got, ref, strict=True):
            assert a.shape == (r.m.batch,)
            assert np.array_equal(a, b), (seconds, a, b)
        seen_finite |= bool(np.isfinite(got[0][UNPROTECTED]))
        if uncertainty == 0.0:
            assert np.array_equal(got[0], got[1]) and np.array_equal(got[0], got[2])
    assert seen_finite


def test_countdown_at_the_limit_and_within_a_short_horizon(runner: Runner) -> None:
    """A cladding already at the damage temperature reads 0; a horizon too short for the
    heat-up reads inf; both as the reference gives them."""
    got, ref = _both(runner, damage_K=300.0)
    assert (got[0] == 0.0).all() and np.array_equal(got[0], ref[0])
    got, ref = _both(runner, horizon_s=60.0)
    assert np.isinf(got[0]).all()
    for a, b in zip(got, ref, strict=True):
        assert np.array_equal(a, b)


def test_schedule_grows_to_the_longest_step_and_ends_at_the_horizon() -> None:
    steps = schedule_s(7200.0, 600.0)
    assert steps[0] == 5.0 and max(steps) == 600.0
    assert sum(steps) == pytest.approx(7200.0)
    assert len(steps) == 27

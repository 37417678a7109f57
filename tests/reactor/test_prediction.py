"""The countdown's forward integration in one compiled call
(:func:`houston.reactor.prediction.time_to_damage_s`) against the same integration in numpy
around the plant's step (``_time_to_damage_reference``): the same bits, through a loss of
flow with and without the protection (whose trips the integration itself decides), a
manual scram, a restored flow and a reactor at rest; and the countdown after the cable swap
(the held plant returning to power, steps halved where the implicit feedback does not
converge, the protection tripping on the predicted excursion)."""

from __future__ import annotations

import numpy as np
import pytest

from houston.reactor import kernels
from houston.reactor.loop import C, F, S
from houston.reactor.plant import Drive, advance
from houston.reactor.prediction import (
    _integrate,
    _time_to_damage_reference,
    schedule_s,
    time_to_damage_s,
)

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


@pytest.fixture(scope="module")
def after_swap() -> Runner:
    """Two reactors 25 minutes into an unprotected loss of flow (the core near 1040 K, the
    fission power near 1e-7), then 91 s after the cross-connect brought the flow back: the
    core cools under the held drums. The second has the backup computer connected 90 s after
    the swap, so its protection is in service."""
    r = Runner(2, prediction_interval=3600.0)
    every = np.ones(2, dtype=bool)
    r.m.command("disconnect_backup", {}, every)
    r.run(10)
    r.m.set_failure("pump_drive_cut", {}, every, True)
    r.run(25 * 60)
    r.m.command("restore_cross_connect", {}, every)
    r.run(90)
    r.m.command("connect_backup", {}, rows(1, batch=2))
    r.run(1)
    return r


def test_countdown_after_the_swap_follows_the_return_to_power(after_swap: Runner) -> None:
    """With the flow back and the drums held, the cooling core's feedback brings the held
    plant back to power (short of prompt critical) and it settles where the held drums are
    critical: no damage, ``inf``. Steps whose implicit feedback does not converge are taken
    again in halves (one 600 s step from here is off by 0.5 % dk/k), so the answer comes
    from a plant that returned to power, not from a broken step; the protected row's
    predicted plant trips on high power and scrams. The reference gives the same bits."""
    r = after_swap
    state, drive, kw = r.m._countdown_inputs(np.arange(2))
    assert list(kw["protected"]) == [False, True]
    assert state.n.max() < 1e-6 and (state.temperatures_K[:, S] > 860.0).all()
    t_hit, taken, end, d, prot = _integrate(state, drive, r.m._pp, **kw)
    assert np.isinf(t_hit).all()
    unprotected, guarded = np.arange(6) % 2 == 0, np.arange(6) % 2 == 1
    # Steps were halved (27 scheduled), at a modest cost.
    assert (taken > len(schedule_s(7200.0, 600.0))).all() and taken.max() < 100
    # Unprotected: back at power, the cladding well below damage.
    assert np.all((end.n[unprotected] > 0.5) & (end.n[unprotected] < 1.5))
    assert end.temperatures_K[unprotected, S].max() < 900.0
    # Protected: the predicted excursion tripped the protection, the drums went in.
    assert not prot.any()
    assert (d.drum_target_rad[guarded] == 0.0).all() and end.n[guarded].max() < 1e-6
    taken_ref = np.empty(6, dtype=np.int64)
    ref = _time_to_damage_reference(state, drive, r.m._pp, taken=taken_ref, **kw)
    assert np.array_equal(taken_ref, taken)
    for a in ref:
        assert np.isinf(a).all()
    # One long implicit step does not converge here.
    one = state.take([0])
    held = Drive(**{k: np.asarray(v)[[0]] for k, v in drive.__dict__.items()})
    res = advance(one, held, r.m._pp, 600.0, implicit=True)
    t0, t1 = state.temperatures_K[0], one.temperatures_K[0]
    p = r.m._pp
    mid = p.alpha_fuel_per_K * (0.5 * (t0[F] + t1[F]) - state.fuel_ref_K[0]) + (
        p.alpha_coolant_per_K * (0.5 * (t0[C] + t1[C]) - state.coolant_ref_K[0])
    )
    assert abs(res.feedback[0] - mid) > 1e3 * kernels.COUNTDOWN_TOLERANCE
    # The held plant at the model's own 1 s frames: back to power, never prompt critical.
    one = state.take([0])
    rho, clad = [], []
    for _ in range(1200):
        res = advance(one, held, p, 1.0)
        rho.append(res.reactivity[0])
        clad.append(one.temperatures_K[0, S])
    assert max(rho) < 0.7 * p.kinetics.beta_total
    assert max(clad) < 900.0 and 0.5 < one.n[0] < 1.5

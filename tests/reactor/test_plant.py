"""The coupled plant: steady state, decay heat after a scram against the standard's closed
form, the pump's coastdown against its exact solution, a new equilibrium after a reactivity
insertion against the network's steady state, frame-length convergence through a loss of
flow, and the implicit feedback's stability over long steps."""

from __future__ import annotations

import numpy as np
import pytest

from houston.reactor import decay_heat as dh
from houston.reactor import design
from houston.reactor.loop import C, F, S, steady_state_K
from houston.reactor.plant import DECAY_SHARE, Drive, PlantState, advance, initial_state

P = design.DEFAULTS
PP = design.plant_params(P)
Q0 = P["rated_power"]
T_OP = P["operating_time"]


def _start(batch: int = 1) -> PlantState:
    groups = dh.group_power_equilibrium_W(Q0, T_OP)
    heat = (1.0 - DECAY_SHARE) * Q0 + groups.sum()
    return initial_state(PP, batch, steady_state_K(PP.loop, heat, 250.0), 1.0, T_OP)


def _drive(state: PlantState, **kw: object) -> Drive:
    b = state.n.shape[0]
    d = Drive(
        pump_powered=np.ones(b, dtype=bool),
        pump_target=np.ones(b),
        pump_capacity=np.ones(b),
        drum_target_rad=state.drum_angle_rad.copy(),
        drum_rate_rad_s=np.zeros(b),
        sink_K=np.full(b, 250.0),
        converters=np.ones(b),
    )
    for k, v in kw.items():
        setattr(d, k, np.broadcast_to(np.asarray(v), (b,)).copy())
    return d


def test_rated_steady_state_holds() -> None:
    s = _start()
    t0 = s.temperatures_K.copy()
    heat0 = (1.0 - DECAY_SHARE) * Q0 + s.decay_groups_W.sum()
    d = _drive(s)
    for _ in range(1800):
        res = advance(s, d, PP, 1.0)
    # The decay heat of a one-year history still creeps up (long-lived groups): a few mK.
    assert np.abs(s.temperatures_K - t0).max() < 0.02
    assert s.n[0] == pytest.approx(1.0, abs=2e-4)
    assert res.heat_W[0] == pytest.approx(heat0, rel=1e-5)
    # A year's history holds 0.08 % less decay heat than an infinite one, so the loop sits
    # 0.5 K below the design point (defined at the full rated heat: 0.08 % of the 500 K from
    # the core outlet down to the radiator).
    assert heat0 == pytest.approx(Q0, rel=1e-3)
    assert t0[0, C] == pytest.approx(P["core_outlet_temperature"], abs=0.6)


def test_decay_heat_after_scram_follows_ans_5_1() -> None:
    """Scram from a year at rated power, pump running: the heat is the ANS-5.1-1979 decay
    heat of that history (``fraction(t, T)``), plus the decay heat of the fissions that go on
    after the scram (delayed neutrons): 3 % more at 1 min, 0.5 % at 5 min, 0.04 % at 1 h."""
    s = _start()
    d = _drive(s, drum_target_rad=0.0, drum_rate_rad_s=np.pi / P["scram_time"])
    t = 0.0
    checks = {}
    while t < 3600.0:
        dt = 1.0 if t < 300.0 else 10.0  # 10 s steps once the fission power has died away
        res = advance(s, d, PP, dt)
        t += dt
        if t in (300.0, 1000.0, 3600.0):
            checks[t] = (res.decay_W[0] / Q0, dt)
    for t_after, rel in ((300.0, 1e-2), (1000.0, 2e-3), (3600.0, 1e-3)):
        value, dt = checks[t_after]
        ans = float(dh.fraction(t_after - dt / 2, T_OP))  # the step's mid-point
        assert value == pytest.approx(ans, rel=rel), t_after
        assert value > ans
    # The fission power is gone: below 1e-5 of rated after an hour (a -$2.9 scram).
    assert s.n[0] < 1e-5


def test_pump_coastdown_is_exact_and_stops() -> None:
    """``w(t) = b tan(atan(1/b) - b t / tau)``: exact whatever the step, zero after
    ``tau atan(1/b) / b``."""
    tau, c = P["pump_coastdown_time"], P["pump_friction_torque"]
    b = np.sqrt(c)
    stop = tau * np.arctan(1.0 / b) / b
    assert stop == pytest.approx(147.1, abs=0.1)
    for dt in (0.5, 7.0):
        s = _start()
        d = _drive(s, pump_powered=False)
        t = 0.0
        while t < 200.0:
            advance(s, d, PP, dt)
            t += dt
            exact = b * np.tan(np.arctan(1.0 / b) - b * t / tau) if t < stop else 0.0
            assert s.pump_speed[0] == pytest.approx(exact, rel=1e-12, abs=1e-14)


def test_reactivity_insertion_settles_where_the_network_says() -> None:
    """+10 cents on the drums: power rises until the feedback cancels them. After three hours
    (implicit 10 s steps) the state is the network's steady state for the heat then generated,
    and the feedback of that steady state is -10 cents."""
    s = _start()
    beta = float(PP.kinetics.beta_total)
    theta_c = P["critical_drum_angle"]
    theta = np.arccos(np.cos(theta_c) - 2.0 * 0.10 * beta / P["drum_worth"])
    assert PP.drum_reactivity(theta) == pytest.approx(0.10 * beta, rel=1e-12)
    d = _drive(s, drum_target_rad=theta, drum_rate_rad_s=1.0)
    for _ in range(1080):
        res = advance(s, d, PP, 10.0, implicit=True)
    heat = res.heat_W[0]
    steady = steady_state_K(PP.loop, heat, 250.0)
    assert np.abs(s.temperatures_K[0] - steady).max() < 0.05
    feedback = P["fuel_temperature_coefficient"] * (steady[F] - s.fuel_ref_K[0]) + P[
        "coolant_temperature_coefficient"
    ] * (steady[C] - s.coolant_ref_K[0])
    assert feedback / beta == pytest.approx(-0.10, abs=2e-4)
    assert 1.01 < s.n[0] < 1.1


def test_one_second_frames_against_quarter_second_frames_through_a_loss_of_flow() -> None:
    """The first ten minutes of an unprotected loss of flow (the hardest part: the pump runs
    down while the feedback drives the power from rated to a few per cent)."""
    out = {}
    for dt in (1.0, 0.25):
        s = _start()
        d = _drive(s, pump_powered=False)
        energy = 0.0
        for _ in range(int(600 / dt)):
            energy += advance(s, d, PP, dt).heat_W[0] * dt
        out[dt] = (s.temperatures_K[0].copy(), energy, s.n[0])
    t1, e1, n1 = out[1.0]
    t4, e4, n4 = out[0.25]
    assert np.abs(t1 - t4).max() < 0.3  # K
    assert e1 == pytest.approx(e4, rel=3e-3)  # J generated in the ten minutes (20 MJ)
    assert n1 == pytest.approx(n4, rel=0.05)


def test_implicit_feedback_is_stable_over_long_steps_at_power() -> None:
    """Ten-minute steps at rated power: explicit feedback diverges, the implicit one holds
    the steady state."""
    s = _start()
    t0 = s.temperatures_K.copy()
    d = _drive(s)
    for _ in range(12):
        advance(s, d, PP, 600.0, implicit=True)
    assert np.abs(s.temperatures_K - t0).max() < 0.05
    assert s.n[0] == pytest.approx(1.0, abs=1e-3)
    bad = _start()
    with np.errstate(all="ignore"), pytest.raises((ValueError, FloatingPointError)):
        for _ in range(12):
            advance(bad, d, PP, 600.0)
            if not np.all(np.isfinite(bad.temperatures_K)) or bad.temperatures_K.max() > 1e4:
                raise FloatingPointError("diverged")
    assert s.temperatures_K[0, S] < P["clad_damage_temperature"]


def test_compiled_frame_agrees_with_the_numpy_reference() -> None:
    """The compiled frame step against the numpy reference, frame by frame from the same
    state, through a withdrawal, a loss of flow with the converters lost, a scram (the drums
    swing fast: sub-steps) and a cold sink: the same to round-off."""
    from houston.reactor.plant import _advance_reference

    def cases(s: PlantState) -> list[Drive]:
        theta = s.drum_angle_rad
        return [
            _drive(s),
            _drive(s, drum_target_rad=theta + 0.01, drum_rate_rad_s=0.005),
            _drive(s, pump_powered=False, converters=0.0),
            _drive(s, pump_capacity=0.3, sink_K=100.0),
            _drive(s, drum_target_rad=0.0, drum_rate_rad_s=np.pi / 0.5),
        ]

    for case in range(5):
        a, b = _start(), _start()
        for _ in range(40):
            d = cases(a)[case]
            ra = advance(a, d, PP, 1.0)
            rb = _advance_reference(b, d, PP, 1.0)
            for name in ("temperatures_K", "n", "precursors", "decay_groups_W", "pump_speed"):
                np.testing.assert_allclose(
                    getattr(a, name), getattr(b, name), rtol=1e-12, atol=0.0, err_msg=name
                )
            np.testing.assert_allclose(a.drum_angle_rad, b.drum_angle_rad, rtol=1e-15, atol=0)
            for name in ("flow_kg_s", "reactivity", "feedback", "n_mean", "heat_W", "decay_W"):
                np.testing.assert_allclose(
                    getattr(ra, name), getattr(rb, name), rtol=1e-10, atol=1e-15, err_msg=name
                )
            for name in ("temperature_change_K", "power_change"):
                np.testing.assert_allclose(getattr(ra, name), getattr(rb, name), rtol=0, atol=1e-9)
            for name in ("electric_W", "radiated_W", "heat_exchanger_W", "core_to_coolant_W"):
                np.testing.assert_allclose(
                    getattr(ra.flows, name), getattr(rb.flows, name), rtol=1e-9, atol=1e-6
                )
            for name in b.__dict__:  # follow the same trajectory
                getattr(b, name)[...] = getattr(a, name)


def test_compiled_frame_rows_equal_single_runs_exactly() -> None:
    s = _start(6)
    s.drum_angle_rad[:] += np.linspace(-0.02, 0.02, 6)
    d = _drive(
        s,
        pump_powered=np.array([1, 0, 1, 0, 1, 1], dtype=bool),
        drum_target_rad=np.array([0.0, 2.0, 1.5, 1.8, 1.7, 0.0]),
        drum_rate_rad_s=np.array([6.0, 0.01, 0.0, 0.01, 0.005, 0.0]),
    )
    singles = [s.take(slice(i, i + 1)) for i in range(6)]
    for _ in range(10):
        res = advance(s, d, PP, 1.0)
        for i, one in enumerate(singles):
            di = Drive(**{k: np.asarray(v)[i : i + 1] for k, v in d.__dict__.items()})
            r1 = advance(one, di, PP, 1.0)
            for name in one.__dict__:
                np.testing.assert_array_equal(getattr(one, name)[0], getattr(s, name)[i])
            np.testing.assert_array_equal(r1.heat_W[0], res.heat_W[i])
            np.testing.assert_array_equal(r1.flows.electric_W[0], res.flows.electric_W[i])


def test_compiled_implicit_steps_agree_with_the_numpy_reference() -> None:
    """Ten-minute implicit steps (the countdown's) through a loss of flow and a scram: the
    compiled step against the numpy reference, one row, from the same state each time."""
    from houston.reactor.plant import _advance_reference

    for case in range(3):
        a, b = _start(), _start()
        for _ in range(8):
            d = [
                _drive(a),
                _drive(a, pump_powered=False),
                _drive(a, pump_powered=False, drum_target_rad=0.0, drum_rate_rad_s=6.0),
            ][case]
            ra = advance(a, d, PP, 600.0, implicit=True)
            rb = _advance_reference(b, d, PP, 600.0, implicit=True)
            for name in ("temperatures_K", "n", "precursors", "decay_groups_W", "pump_speed"):
                np.testing.assert_allclose(
                    getattr(a, name), getattr(b, name), rtol=1e-9, atol=1e-12, err_msg=name
                )
            for name in ("reactivity", "feedback", "heat_W", "decay_W"):
                np.testing.assert_allclose(
                    getattr(ra, name), getattr(rb, name), rtol=1e-7, atol=1e-12, err_msg=name
                )
            for name in b.__dict__:
                getattr(b, name)[...] = getattr(a, name)


def test_compiled_implicit_rows_equal_single_runs_exactly() -> None:
    """Rows with their own feedback coefficients (the countdown's variants), stepped
    implicitly together, are bit for bit the rows stepped alone."""
    scales = np.array([1.0, 0.7, 1.3, 1.0])
    s = _start(4)
    p = PP.with_feedback(PP.alpha_fuel_per_K * scales, PP.alpha_coolant_per_K * scales)
    d = _drive(s, pump_powered=np.array([0, 0, 0, 1], dtype=bool))
    singles = [s.take(slice(i, i + 1)) for i in range(4)]
    for _ in range(4):
        res = advance(s, d, p, 600.0, implicit=True)
        for i, one in enumerate(singles):
            di = Drive(**{k: np.asarray(v)[i : i + 1] for k, v in d.__dict__.items()})
            pi = PP.with_feedback(
                PP.alpha_fuel_per_K * scales[i : i + 1], PP.alpha_coolant_per_K * scales[i : i + 1]
            )
            r1 = advance(one, di, pi, 600.0, implicit=True)
            for name in one.__dict__:
                np.testing.assert_array_equal(getattr(one, name)[0], getattr(s, name)[i])
            np.testing.assert_array_equal(r1.feedback[0], res.feedback[i])
            np.testing.assert_array_equal(
                r1.flows.heat_exchanger_W[0], res.flows.heat_exchanger_W[i]
            )

"""The lumped heat-transport loop: NaK-78 properties, steady state, energy conservation to
round-off, convergence against an independent matrix exponential, and the hydraulics
(pump, natural circulation in lunar gravity, a damaged pump)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import expm

from houston.reactor import design
from houston.reactor import properties as props
from houston.reactor.loop import (
    C,
    D,
    F,
    H,
    K,
    R,
    S,
    X,
    flow_kg_s,
    steady_state_K,
    stored_energy_J,
    thermal_step,
    thermal_system,
)

P = design.DEFAULTS
LOOP = design.loop_design(P)
Q0 = P["rated_power"]


def test_nak78_density_and_specific_heat_against_quoted_values() -> None:
    # Values usually quoted for NaK-78 (from the Sodium-NaK Engineering Handbook): 0.866,
    # 0.855 and 0.749 g/cm3 at 20, 100 and 550 deg C. The transcribed correlation (mole-fraction
    # mixing of the Na and K specific volumes) is within 0.6 %.
    rho = props.nak78_density_kg_m3(np.array([20.0, 100.0, 550.0]) + 273.15)
    np.testing.assert_allclose(rho, [866.0, 855.0, 749.0], rtol=6e-3)
    # c_p from eq. 1.59 at 875 K, and its quoted value near 550 deg C: about 0.21 cal/(g K).
    assert props.NAK_SPECIFIC_HEAT_J_KG_K == pytest.approx(872.9, abs=0.1)
    # The buoyancy slope is the derivative of the density correlation.
    t = np.array([700.0, 875.0, 1000.0])
    numeric = -(props.nak78_density_kg_m3(t + 0.01) - props.nak78_density_kg_m3(t - 0.01)) / 0.02
    np.testing.assert_allclose(props.nak78_density_slope_kg_m3_K(t), numeric, rtol=1e-7)


def test_design_point_is_the_steady_state() -> None:
    """At rated heat and the design sink the network sits at the design temperatures and
    does not move: 1000 steps of 1 s change nothing beyond round-off."""
    t = steady_state_K(LOOP, Q0, P["design_sink_temperature"])
    expected = {
        F: P["fuel_temperature"],
        S: P["structure_temperature"],
        C: P["core_outlet_temperature"],
        H: P["core_outlet_temperature"],
        X: P["core_inlet_temperature"],
        K: P["core_inlet_temperature"],
        D: P["secondary_temperature"],
        R: P["radiator_temperature"],
    }
    for node, value in expected.items():
        assert t[node] == pytest.approx(value, abs=1e-9)
    state = t[None, :].copy()
    for _ in range(1000):
        state, flows = thermal_step(state, Q0, LOOP.rated_flow_kg_s, 250.0, 1.0, LOOP)
    np.testing.assert_allclose(state[0], t, atol=1e-8)
    eta = P["conversion_efficiency"]
    assert flows.electric_W[0] == pytest.approx(eta * Q0, rel=1e-10)
    assert flows.radiated_W[0] == pytest.approx((1 - eta) * Q0, rel=1e-10)


def _random_transient(rng: np.random.Generator, batch: int, steps: int, dt: float):
    """A loop driven hard: random heat, flow in both directions, sink, converters."""
    t = np.repeat(steady_state_K(LOOP, Q0, 250.0)[None, :], batch, axis=0)
    t += rng.normal(0.0, 30.0, t.shape)
    e0 = stored_energy_J(t, LOOP)
    e_in = np.zeros(batch)
    e_out = np.zeros(batch)
    for _ in range(steps):
        heat = rng.uniform(0.0, 2.0 * Q0, batch)
        flow = rng.uniform(-0.3, 1.2, batch) * LOOP.rated_flow_kg_s
        sink = rng.uniform(50.0, 300.0, batch)
        conv = rng.uniform(0.0, 1.0, batch)
        t, flows = thermal_step(t, heat, flow, sink, dt, LOOP, conv)
        e_in += heat * dt
        e_out += (flows.electric_W + flows.radiated_W) * dt
    return stored_energy_J(t, LOOP) - e0, e_in - e_out, e0


def test_energy_balance_closes_to_round_off() -> None:
    rng = np.random.default_rng(6)
    change, net, e0 = _random_transient(rng, batch=64, steps=500, dt=1.0)
    # The stored energy (sum of C T) is about 5e8 J and 5e7 J are exchanged a step: round-off
    # over 500 steps leaves a few microjoules.
    residual = np.abs(change - net)
    assert residual.max() < 1e-5  # J
    assert (residual / e0).max() < 1e-14
    # Long steps too (the prediction's), and a mix of both.
    change, net, e0 = _random_transient(rng, batch=16, steps=50, dt=600.0)
    assert (np.abs(change - net) / e0).max() < 1e-13


def test_backward_euler_converges_to_the_exact_linear_solution() -> None:
    """With the converters stopped the radiator is cut off and the rest is a linear ODE with
    constant flow, ``C dT/dt = -G T + b``, integrated exactly with ``scipy.linalg.expm`` (an
    independent method). Backward Euler is first order: the error falls tenfold with the
    step."""
    t0 = steady_state_K(LOOP, Q0, 250.0)
    heat, flow, horizon = 0.3 * Q0, 0.05 * LOOP.rated_flow_kg_s, 600.0
    # The scheme's matrix is diag(C/dt) + G and its right-hand side C/dt T0 + b.
    dt = 1.0
    system = thermal_system(t0[None, :], flow, 250.0, dt, LOOP, 0.0)
    cap = np.asarray(LOOP.heat_capacity_J_K)
    g = system.a[0] - np.diag(cap / dt)
    b = system.rhs_base[0] - cap / dt * t0
    b[F] += heat
    lin = slice(0, 7)  # nodes F..D: the radiator is decoupled with the converters off
    aug = np.zeros((8, 8))
    aug[:7, :7] = -g[lin, lin] / cap[lin, None]
    aug[:7, 7] = b[lin] / cap[lin]
    exact = (expm(aug * horizon) @ np.append(t0[lin], 1.0))[:7]
    errors = []
    for step in (10.0, 1.0):
        t = t0[None, :].copy()
        for _ in range(int(horizon / step)):
            t, _ = thermal_step(t, heat, flow, 250.0, step, LOOP, 0.0)
        errors.append(np.abs(t[0, lin] - exact).max())
    assert errors[1] < 0.01  # K (0.008 K), after 600 s of 0.3 x rated heat at 5 % flow
    assert errors[0] / errors[1] == pytest.approx(10.0, rel=0.15)


def test_pump_and_natural_circulation() -> None:
    t = steady_state_K(LOOP, Q0, 250.0)[None, :]
    rated = LOOP.rated_flow_kg_s
    # Rated speed at the design point: rated flow.
    assert flow_kg_s(LOOP, 1.0, 1.0, t)[0] == pytest.approx(rated, rel=1e-12)
    # Pump stopped, hot leg 300 K above the cold leg: buoyancy g (-drho/dT) dz dT against the
    # laminar friction dp_rated x_lam x.
    hot = t.copy()
    hot[:, H] = hot[:, K] + 300.0
    dp = props.LUNAR_GRAVITY_M_S2 * props.NAK_DENSITY_SLOPE_KG_M3_K * P["thermal_centre_height"]
    x = dp * 300.0 / (LOOP.rated_friction_Pa * P["laminar_flow_fraction"])
    assert x < P["laminar_flow_fraction"]  # laminar indeed
    assert flow_kg_s(LOOP, 0.0, 1.0, hot)[0] == pytest.approx(x * rated, rel=1e-12)
    # Weak: 0.07 % of rated flow, carrying 0.35 % of rated heat at that temperature difference.
    heat = x * rated * LOOP.cp_coolant_J_kg_K * 300.0 / Q0
    assert 0.002 < heat < 0.005
    # A damaged pump passes a fraction; a seized one nothing, natural circulation included.
    assert flow_kg_s(LOOP, 1.0, 0.4, t)[0] == pytest.approx(0.4 * rated, rel=1e-12)
    assert flow_kg_s(LOOP, 0.0, 0.0, hot)[0] == 0.0
    # Reversed buoyancy drives the flow backwards.
    cold = t.copy()
    cold[:, H] = cold[:, K] - 100.0
    assert flow_kg_s(LOOP, 0.0, 1.0, cold)[0] < 0.0


def test_radiator_follows_the_fourth_power_law() -> None:
    sigma = props.STEFAN_BOLTZMANN_W_M2_K4
    for sink in (100.0, 250.0, 300.0):
        t = steady_state_K(LOOP, Q0, sink)
        rejected = sigma * LOOP.radiator_emissivity_area_m2 * (t[R] ** 4 - sink**4)
        assert rejected == pytest.approx((1 - P["conversion_efficiency"]) * Q0, rel=1e-12)


def test_design_rejects_inconsistent_temperatures() -> None:
    bad = dict(P, core_inlet_temperature=P["core_outlet_temperature"] + 1.0)
    with pytest.raises(ValueError, match="must fall from fuel"):
        design.loop_design(bad)
    with pytest.raises(ValueError, match="converters' ramp"):
        design.loop_design(dict(P, converter_stall_temperature=800.0))

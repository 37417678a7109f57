"""The gas network against analytic blowdown and equalisation, conservation, stability, batch."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from houston.core.constants import R_GAS_J_MOL_K
from houston.habitat import gas
from houston.habitat.flow import critical_pressure_ratio, fliegner_coefficient
from houston.habitat.network import (
    GasNetwork,
    GasState,
    SolverOptions,
    initial_state,
    node_partial_pressure_Pa,
    node_pressure_Pa,
    step,
    total_mass_kg,
)

INF = float("inf")
P0_PA = 101_325.0
T0_K = 293.15


def _vent_network(volume_m3: float) -> GasNetwork:
    return GasNetwork.build([("cabin", volume_m3), ("space", INF)], [("hole", "cabin", "space")])


def _hab_airlock() -> GasNetwork:
    return GasNetwork.build(
        [("hab", 100.0), ("airlock", 2.0), ("space", INF)],
        [("inner", "hab", "airlock"), ("outer", "airlock", "space")],
    )


def _jamestown_like() -> GasNetwork:
    """10 nodes, 12 links: modules, two airlocks, a tunnel, a tank feed and a leak."""
    nodes = [
        ("hab", 100.0),
        ("lab", 80.0),
        ("command", 60.0),
        ("reactor_ctl", 120.0),
        ("airlock_a", 2.0),
        ("airlock_b", 2.0),
        ("tunnel", 30.0),
        ("store", 10.0),
        ("tank", 0.5),
        ("space", INF),
    ]
    links = [
        ("hab_lab", "hab", "lab"),
        ("lab_command", "lab", "command"),
        ("command_reactor", "command", "reactor_ctl"),
        ("reactor_hab", "reactor_ctl", "hab"),
        ("hab_airlock_a", "hab", "airlock_a"),
        ("airlock_a_out", "airlock_a", "space"),
        ("command_airlock_b", "command", "airlock_b"),
        ("airlock_b_out", "airlock_b", "space"),
        ("reactor_tunnel", "reactor_ctl", "tunnel"),
        ("tunnel_store", "tunnel", "store"),
        ("store_leak", "store", "space"),
        ("feed", "tank", "lab", True),
    ]
    return GasNetwork.build(nodes, links)


def _air_properties() -> tuple[float, float]:
    """gamma and molar mass of the network's standard air (NIST-JANAF cp, IUPAC masses)."""
    m = gas.masses_from_pressure_kg(P0_PA, 1.0, T0_K)
    return float(gas.heat_capacity_ratio(m)), float(gas.mixture_molar_mass_kg_mol(m))


def _blowdown_tau_s(volume_m3: float, area_cd_m2: float) -> float:
    """Isothermal choked blowdown: dp/dt = -p / tau, tau = V sqrt(T) / (cd A C R T / M)."""
    gamma, molar_mass = _air_properties()
    c = fliegner_coefficient(gamma, molar_mass)  # mdot = c cd A p / sqrt(T)
    return volume_m3 * molar_mass / (R_GAS_J_MOL_K * T0_K) * np.sqrt(T0_K) / (c * area_cd_m2)


def test_blowdown_is_the_exact_backward_euler_recursion() -> None:
    # Venting to vacuum is always choked, so the flow is linear in p and backward Euler gives
    # p_n = p0 / (1 + dt / tau)^n exactly: this checks the solver and the bookkeeping to
    # round-off.
    volume, area_cd, dt = 1.0, 1e-4, 2.0
    tau = _blowdown_tau_s(volume, area_cd)
    net = _vent_network(volume)
    state = initial_state(net, [P0_PA, 0.0], T0_K)
    for n in range(1, 51):
        state = step(net, state, [area_cd], dt).state
        p = node_pressure_Pa(net, state)[0, 0]
        assert p == pytest.approx(P0_PA / (1.0 + dt / tau) ** n, rel=1e-11)


def test_blowdown_against_analytic_exponential() -> None:
    # Analytic isothermal choked blowdown p(t) = p0 exp(-t / tau), exact while choked (always,
    # into vacuum). Backward Euler's error is p0 exp(-t/tau) t dt / (2 tau^2) to first order,
    # at most p0 e^-1 dt / (2 tau) = 18.6 Pa at t = tau for dt = tau / 1000: tolerance 20 Pa.
    volume, area_cd = 1.0, 1e-4
    tau = _blowdown_tau_s(volume, area_cd)
    # The same time constant in the form V / (cd A a* ...) with the speed of sound a:
    # tau = V / (cd A sqrt(gamma R T / M) (2/(gamma+1))^((gamma+1)/(2(gamma-1)))), 50.3 s here.
    gamma, molar_mass = _air_properties()
    sound_m_s = np.sqrt(gamma * R_GAS_J_MOL_K * T0_K / molar_mass)
    choke = (2 / (gamma + 1)) ** ((gamma + 1) / (2 * (gamma - 1)))
    assert tau == pytest.approx(volume / (area_cd * sound_m_s * choke), rel=1e-12)
    assert tau == pytest.approx(50.3, abs=0.1)
    dt = tau / 1000.0
    net = _vent_network(volume)
    state = initial_state(net, [P0_PA, 0.0], T0_K)
    errors = []
    for n in range(1, 2001):
        state = step(net, state, [area_cd], dt).state
        p = node_pressure_Pa(net, state)[0, 0]
        errors.append(p - P0_PA * np.exp(-n * dt / tau))
    errors_pa = np.array(errors)
    assert np.max(np.abs(errors_pa)) < 20.0
    assert np.max(np.abs(errors_pa)) > 15.0  # the first-order error is really there
    t = dt * np.arange(1, 2001)
    predicted = P0_PA * np.exp(-t / tau) * t * dt / (2 * tau**2)
    np.testing.assert_allclose(errors_pa, predicted, atol=0.05 * predicted.max())


def test_equalisation_through_open_hatch() -> None:
    # 100 m^3 at 101325 Pa and an empty 2 m^3 airlock: same gas, same temperature, so the
    # final pressure is exactly p0 V1 / (V1 + V2) by conservation of mass.
    net = _hab_airlock()
    state = initial_state(net, [P0_PA, 0.0, 0.0], T0_K)
    p_final = P0_PA * 100.0 / 102.0
    history = []
    for _ in range(5):
        state = step(net, state, [0.6, 0.0], 1.0).state
        history.append(node_pressure_Pa(net, state)[0, :2])
    p = np.array(history)
    # Never overshoots (to the solver tolerance, rtol 1e-10 of the highest pressure = 1e-5 Pa).
    assert np.all(p[:, 1] <= p[:, 0] + 1e-5)
    assert p[-1] == pytest.approx([p_final, p_final], abs=1e-3)
    assert p[0, 1] > 0.9999 * p_final  # a 1 s step resolves only the end state


def test_equalisation_time_scale_matches_choked_inflow() -> None:
    # While the airlock is below r_crit p_hab the inflow is choked:
    #   dp_hab/dt = -k p_hab, k = cd A C sqrt(T) R / (M V_hab) (C: Fliegner coefficient),
    #   p_airlock(t) = (V_hab / V_airlock) p0 (1 - exp(-k t)).
    # About 8 ms for a 0.6 m^2 hatch; the whole equalisation takes some tens of ms.
    net = _hab_airlock()
    state = initial_state(net, [P0_PA, 0.0, 0.0], T0_K)
    gamma, molar_mass = _air_properties()
    c = fliegner_coefficient(gamma, molar_mass)
    k = 0.6 * c * np.sqrt(T0_K) * R_GAS_J_MOL_K / (molar_mass * 100.0)
    dt = 1e-4
    r_c = critical_pressure_ratio(gamma)
    t_99 = None
    for n in range(1, 1001):
        state = step(net, state, [0.6, 0.0], dt).state
        p_hab, p_al = node_pressure_Pa(net, state)[0, :2]
        t = n * dt
        if p_al < 0.95 * r_c * p_hab:
            expected = 50.0 * P0_PA * (1.0 - np.exp(-k * t))
            assert p_al == pytest.approx(expected, abs=2.0 + 1e-3 * expected)
        if t_99 is None and p_al > 0.99 * p_hab:
            t_99 = t
    assert t_99 is not None and 0.01 < t_99 < 0.05


def test_stability_open_hatch_and_vent_at_one_second() -> None:
    # dt = 1 s against time constants of milliseconds: no oscillation, no negative mass.
    net = _hab_airlock()
    state = initial_state(net, [P0_PA, 0.0, 0.0], T0_K)
    m0 = total_mass_kg(state)
    previous = node_pressure_Pa(net, state)[0]
    for k in range(300):
        area = [0.6, 0.6] if k >= 5 else [0.6, 0.0]
        result = step(net, state, area, 1.0)
        state = result.state
        p = node_pressure_Pa(net, state)[0]
        assert result.converged.all()
        assert np.all(state.mass_kg >= 0.0)
        # The airlock never exceeds the habitat; once both vent, both decay monotonically
        # (no ringing), to the solver tolerance of 1e-5 Pa.
        assert p[1] <= p[0] + 1e-5
        if k >= 6:
            assert np.all(p[:2] <= previous[:2] + 1e-5)
        previous = p
    assert node_pressure_Pa(net, state)[0, 0] < 1e-3  # vented
    np.testing.assert_allclose(total_mass_kg(state), m0, rtol=1e-13)
    assert state.mass_kg[0, 2].sum() == pytest.approx(m0.sum(), rel=1e-6)  # all overboard


def _random_scenario(rng: np.random.Generator, batch: int) -> tuple[GasNetwork, GasState]:
    net = _jamestown_like()
    p0 = rng.choice([0.0, 3e3, 5e4, P0_PA], size=(batch, net.n_nodes))
    p0[:, net.node_index("tank")] = 2e7
    x = rng.dirichlet(np.ones(4), size=(batch, net.n_nodes))
    t = rng.uniform(250.0, 320.0, size=(batch, net.n_nodes))
    return net, initial_state(net, p0, t, x, batch_size=batch)


def _random_areas(rng: np.random.Generator, batch: int, n_links: int) -> np.ndarray:
    return rng.choice([0.0, 1e-6, 1e-4, 1e-2, 0.6, 1.5], size=(batch, n_links))


def test_mass_conserved_to_round_off_over_a_long_run() -> None:
    rng = np.random.default_rng(7)
    net, state = _random_scenario(rng, 8)
    m0 = total_mass_kg(state)
    max_flow = np.full((8, net.n_links), INF)
    max_flow[:, net.link_index("feed")] = 0.05
    area = _random_areas(rng, 8, net.n_links)
    for k in range(2000):
        if k % 100 == 0:
            area = _random_areas(rng, 8, net.n_links)
        result = step(net, state, area, 1.0, max_flow_kg_s=max_flow)
        state = result.state
        assert result.converged.all()
    assert np.all(state.mass_kg >= 0.0)
    # Each species, summed over nodes (the vacuum node keeps what was lost), to round-off.
    scale = m0.sum(axis=1, keepdims=True)
    assert np.max(np.abs(total_mass_kg(state) - m0) / scale) < 1e-13


def test_batch_rows_equal_single_runs_exactly() -> None:
    rng = np.random.default_rng(3)
    batch = 100
    net, state = _random_scenario(rng, batch)
    areas = [_random_areas(rng, batch, net.n_links) for _ in range(6)]
    dts = [0.01, 1.0, 1.0, 10.0, 1.0, 0.5]
    batched = state
    results = []
    for area, dt in zip(areas, dts, strict=True):
        r = step(net, batched, area, dt)
        results.append(r)
        batched = r.state
    assert batched.mass_kg.shape == (batch, net.n_nodes, 4)
    for i in range(batch):
        single = GasState(state.mass_kg[i : i + 1], state.temperature_K[i : i + 1])
        for area, dt, r in zip(areas, dts, results, strict=True):
            s = step(net, single, area[i : i + 1], dt)
            single = s.state
            assert np.array_equal(s.link_mass_flow_kg_s[0], r.link_mass_flow_kg_s[i])
            assert s.iterations[0] == r.iterations[i]
        assert np.array_equal(single.mass_kg[0], batched.mass_kg[i])


def test_result_shapes() -> None:
    rng = np.random.default_rng(0)
    net, state = _random_scenario(rng, 5)
    r = step(net, state, _random_areas(rng, 5, net.n_links), 1.0)
    assert r.state.mass_kg.shape == (5, 10, 4)
    assert r.state.temperature_K.shape == (5, 10)
    assert r.link_mass_flow_kg_s.shape == (5, 12)
    assert r.link_species_mass_kg.shape == (5, 12, 4)
    for a in (r.iterations, r.converged, r.residual_Pa, r.substeps):
        assert a.shape == (5,)
    assert node_pressure_Pa(net, r.state).shape == (5, 10)
    assert node_partial_pressure_Pa(net, r.state).shape == (5, 10, 4)
    np.testing.assert_allclose(
        node_partial_pressure_Pa(net, r.state).sum(axis=-1), node_pressure_Pa(net, r.state)
    )


def test_tank_feed_is_rate_limited_and_one_way() -> None:
    # A 1 m^3 tank of N2 at 20 MPa feeds a 100 m^3 module through a valve capped at 0.05 kg/s;
    # the flow from 20 MPa is choked far above the cap, so 100 s adds exactly 5 kg.
    net = GasNetwork.build([("tank", 1.0), ("module", 100.0)], [("feed", "tank", "module", True)])
    x = np.array([[[0.0, 1.0, 0.0, 0.0], gas.DRY_AIR_MOLE_FRACTION]])
    state = initial_state(net, [[2e7, 5e4]], T0_K, x)
    m0 = state.mass_kg.copy()
    for _ in range(100):
        r = step(net, state, [1e-4], 1.0, max_flow_kg_s=[0.05])
        state = r.state
        assert r.link_mass_flow_kg_s[0, 0] == pytest.approx(0.05, rel=1e-12)
    added = state.mass_kg[0, 1] - m0[0, 1]
    assert added.sum() == pytest.approx(5.0, rel=1e-12)
    assert added[gas.N2] == pytest.approx(5.0, rel=1e-12)  # pure N2 moved
    # Reverse pressure difference: a one-way valve passes nothing.
    state = initial_state(net, [[5e4, 2e5]], T0_K)
    r = step(net, state, [1e-2], 1.0)
    assert r.link_mass_flow_kg_s[0, 0] == 0.0
    assert np.array_equal(r.state.mass_kg, state.mass_kg)


def test_species_move_with_the_upstream_composition() -> None:
    # N2 flows from a into b (pure O2): nothing flows back, so a never gets any O2, and the
    # mixture in b after the step is what a sent plus what b had.
    net = GasNetwork.build([("a", 10.0), ("b", 10.0)], [("ab", "a", "b")])
    x = np.array([[[0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]]])
    state = initial_state(net, [[P0_PA, 5e4]], T0_K, x)
    for _ in range(20):
        r = step(net, state, [1e-3], 0.5)
        state = r.state
        assert state.mass_kg[0, 0, gas.O2] == 0.0
        assert r.link_species_mass_kg[0, 0, gas.O2] == 0.0
    pp = node_partial_pressure_Pa(net, state)[0]
    assert pp[1, gas.O2] == pytest.approx(5e4, rel=1e-12)  # b keeps its O2
    assert pp[0, gas.N2] + pp[1, gas.N2] == pytest.approx(P0_PA, rel=1e-12)


def test_substep_fallback_when_newton_is_cut_short() -> None:
    net = _hab_airlock()
    state = initial_state(net, [P0_PA, 0.0, 0.0], T0_K)
    opts = SolverOptions(max_iterations=5)
    r = step(net, state, [0.6, 0.01], 1.0, options=opts)
    assert r.substeps[0] > 1
    assert r.converged[0]
    np.testing.assert_allclose(total_mass_kg(r.state), total_mass_kg(state), rtol=1e-14)
    ref = step(net, state, [0.6, 0.01], 1.0)
    assert ref.substeps[0] == 1
    # Smaller substeps are more accurate, not different in kind: within a few per cent.
    np.testing.assert_allclose(
        node_pressure_Pa(net, r.state), node_pressure_Pa(net, ref.state), rtol=0.05
    )


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), dt=st.sampled_from([1e-3, 0.1, 1.0, 30.0]))
def test_maximum_principle_conservation_and_positivity(seed: int, dt: float) -> None:
    rng = np.random.default_rng(seed)
    net, state = _random_scenario(rng, 4)
    area = _random_areas(rng, 4, net.n_links)
    r = step(net, state, area, dt)
    assert r.converged.all()
    assert np.all(r.state.mass_kg >= 0.0)
    p_old = node_pressure_Pa(net, state)
    p_new = node_pressure_Pa(net, r.state)
    finite = ~net.is_vacuum
    # Flows go from high to low pressure: no node rises above the highest old pressure.
    assert np.all(p_new[:, finite].max(axis=1) <= p_old[:, finite].max(axis=1) * (1 + 1e-9))
    m0 = total_mass_kg(state)
    np.testing.assert_allclose(total_mass_kg(r.state), m0, rtol=1e-13, atol=1e-13 * m0.max())


def test_build_and_validation() -> None:
    net = _jamestown_like()
    assert (net.n_nodes, net.n_links) == (10, 12)
    assert net.node_index("space") == 9 and net.is_vacuum[9] and net.is_vacuum.sum() == 1
    assert net.link_one_way[net.link_index("feed")]
    with pytest.raises(KeyError):
        GasNetwork.build([("a", 1.0)], [("x", "a", "b")])
    with pytest.raises(ValueError):
        GasNetwork.build([("a", 1.0), ("b", 1.0)], [("x", "a", "a")])
    with pytest.raises(ValueError):
        GasNetwork.build([("a", 0.0), ("b", 1.0)], [("x", "a", "b")])
    state = initial_state(net, P0_PA)
    assert state.mass_kg[0, 9].sum() == 0.0  # vacuum nodes get no gas
    with pytest.raises(ValueError):
        step(net, state, -np.ones(12), 1.0)
    with pytest.raises(ValueError):
        step(net, state, np.ones(12), 0.0)

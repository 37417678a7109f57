"""The compiled network step against the vectorised one: same answers, same iterations."""

from __future__ import annotations

import numpy as np
import pytest

from houston.habitat import fastnet
from houston.habitat import network as reference
from houston.habitat.network import (
    GasNetwork,
    GasState,
    SolverOptions,
    initial_state,
    node_pressure_Pa,
    total_mass_kg,
)
from tests.habitat.test_network import (
    P0_PA,
    T0_K,
    _blowdown_tau_s,
    _hab_airlock,
    _random_areas,
    _random_scenario,
    _vent_network,
)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("dt", [1e-3, 1.0, 30.0])
def test_agrees_with_the_vectorised_step(seed: int, dt: float) -> None:
    rng = np.random.default_rng(seed)
    net, state = _random_scenario(rng, 12)
    max_flow = np.full((12, net.n_links), np.inf)
    max_flow[:, net.link_index("feed")] = 0.05
    fast_state, ref_state = state, state
    for _ in range(4):
        area = _random_areas(rng, 12, net.n_links)
        f = fastnet.step(net, fast_state, area, dt, max_flow)
        r = reference.step(net, ref_state, area, dt, max_flow)
        assert np.array_equal(f.iterations, r.iterations)
        assert np.array_equal(f.substeps, r.substeps)
        assert f.converged.all() and r.converged.all()
        p_f, p_r = node_pressure_Pa(net, f.state), node_pressure_Pa(net, r.state)
        # Both meet |residual| <= 1e-10 of the highest pressure; they agree far closer.
        scale = p_r.max(axis=1, keepdims=True)
        assert np.max(np.abs(p_f - p_r) / scale) < 1e-11
        np.testing.assert_allclose(
            f.link_mass_flow_kg_s, r.link_mass_flow_kg_s, rtol=1e-9, atol=1e-10
        )
        m0 = total_mass_kg(fast_state)
        np.testing.assert_allclose(total_mass_kg(f.state), m0, rtol=1e-13, atol=1e-13 * m0.max())
        assert np.all(f.state.mass_kg >= 0.0)
        fast_state, ref_state = f.state, f.state


def test_blowdown_is_the_exact_backward_euler_recursion() -> None:
    volume, area_cd, dt = 1.0, 1e-4, 2.0
    tau = _blowdown_tau_s(volume, area_cd)
    net = _vent_network(volume)
    state = initial_state(net, [P0_PA, 0.0], T0_K)
    for n in range(1, 51):
        state = fastnet.step(net, state, [area_cd], dt).state
        p = node_pressure_Pa(net, state)[0, 0]
        assert p == pytest.approx(P0_PA / (1.0 + dt / tau) ** n, rel=1e-11)


def test_batch_rows_equal_single_runs_exactly() -> None:
    rng = np.random.default_rng(5)
    batch = 40
    net, state = _random_scenario(rng, batch)
    areas = [_random_areas(rng, batch, net.n_links) for _ in range(4)]
    dts = [0.01, 1.0, 10.0, 1.0]
    results = []
    batched = state
    for area, dt in zip(areas, dts, strict=True):
        results.append(fastnet.step(net, batched, area, dt))
        batched = results[-1].state
    for i in range(batch):
        single = GasState(state.mass_kg[i : i + 1], state.temperature_K[i : i + 1])
        for area, dt, r in zip(areas, dts, results, strict=True):
            s = fastnet.step(net, single, area[i : i + 1], dt)
            single = s.state
            assert np.array_equal(s.link_species_mass_kg[0], r.link_species_mass_kg[i])
        assert np.array_equal(single.mass_kg[0], batched.mass_kg[i])


def test_quiet_step_keeps_the_masses_and_halving_matches() -> None:
    net = _hab_airlock()
    state = initial_state(net, [P0_PA, 5e4, 0.0], T0_K)
    r = fastnet.step(net, state, [0.0, 0.0], 1.0)  # every hatch closed: nothing to solve
    assert np.array_equal(r.state.mass_kg, state.mass_kg) and r.iterations[0] == 0
    state = initial_state(net, [P0_PA, 0.0, 0.0], T0_K)
    opts = SolverOptions(max_iterations=5)
    f = fastnet.step(net, state, [0.6, 0.01], 1.0, options=opts)
    ref = reference.step(net, state, [0.6, 0.01], 1.0, options=opts)
    assert f.substeps[0] == ref.substeps[0] > 1
    assert f.iterations[0] == ref.iterations[0]
    np.testing.assert_allclose(
        node_pressure_Pa(net, f.state), node_pressure_Pa(net, ref.state), rtol=1e-11
    )


def test_one_way_and_capped_feed() -> None:
    net = GasNetwork.build([("tank", 1.0), ("module", 100.0)], [("feed", "tank", "module", True)])
    state = initial_state(net, [[2e7, 5e4]], T0_K)
    m0 = state.mass_kg.sum()
    for _ in range(10):
        r = fastnet.step(net, state, [1e-4], 1.0, max_flow_kg_s=[0.05])
        state = r.state
        assert r.link_mass_flow_kg_s[0, 0] == pytest.approx(0.05, rel=1e-12)
    assert state.mass_kg.sum() == pytest.approx(m0, rel=1e-14)
    back = initial_state(net, [[5e4, 2e5]], T0_K)
    assert fastnet.step(net, back, [1e-2], 1.0).link_mass_flow_kg_s[0, 0] == 0.0

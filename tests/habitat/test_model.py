"""The habitat kernel model: a module losing its pressure, sensor faults against leaks, hatches,
tanks, conservation, batches and checkpoints."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from houston.core.constants import R_GAS_J_MOL_K
from houston.habitat import gas
from houston.habitat.flow import fliegner_coefficient
from houston.scenario.loader import loads
from houston.scenario.spec import ScenarioError
from houston.session.session import Session
from tests.habitat.base import Recorder, entry, messages, person, run, scenario

P0_PA = 101_325.0
T0_K = 293.15


def _tau_s(volume_m3: float, area_cd_m2: float) -> float:
    """Isothermal choked blowdown time constant, with the network's air properties."""
    m = gas.masses_from_pressure_kg(P0_PA, 1.0, T0_K)
    gamma, molar_mass = float(gas.heat_capacity_ratio(m)), float(gas.mixture_molar_mass_kg_mol(m))
    c = fliegner_coefficient(gamma, molar_mass)
    return volume_m3 * molar_mass / (R_GAS_J_MOL_K * T0_K) * np.sqrt(T0_K) / (c * area_cd_m2)


def _first(t: np.ndarray, condition: np.ndarray) -> float:
    return float(t[np.argmax(condition)]) if condition.any() else np.inf


def test_a_module_losing_its_pressure_through_a_hole() -> None:
    # The lab (80 m^3, its hatch shut) is holed at t = 10 s: 10 cm^2, cd 0.6. Into vacuum the
    # flow is choked throughout, so the true pressure is the analytic isothermal blowdown
    # p0 exp(-(t - 10 s) / tau), tau = 670 s here (backward Euler at 1 s: error < 0.1 %).
    text = scenario(
        "10min",
        hab_lab="CLOSED",
        entries=[entry("10s", "hab", "failure", "hole", node="lab", area_cm2=10.0, cd=0.6)],
    )
    session, rec = run(text)
    t = rec.times
    tau = _tau_s(80.0, 10e-4 * 0.6)
    assert tau == pytest.approx(670.2, abs=0.1)
    truth = rec.series("base.hab.lab_true_pressure_Pa")
    analytic = np.where(t <= 10.0, P0_PA, P0_PA * np.exp(-(t - 10.0) / tau))
    np.testing.assert_allclose(truth, analytic, rtol=1e-3)
    # The ground's voted reading follows the truth to the sensor noise (50 Pa, 10 Pa steps).
    voted = rec.series("base.hab.lab_pressure_Pa")
    assert np.max(np.abs(voted - truth)) < 250.0
    # The hab, behind a shut hatch, keeps its pressure.
    hab = rec.series("base.hab.hab_true_pressure_Pa")
    assert np.ptp(hab) == 0.0
    # The leak estimate (from the voted pressure) follows the true flow out of the hole. For a
    # flow decaying as exp(-t / tau) the difference of the two moving averages (10 s, 60 s)
    # overestimates it by 1 / ((1 - 10 / tau)(1 - 60 / tau)) = 1.115 once settled.
    flow = rec.series("base.hab.lab_true_hole_flow_kg_s")
    assert flow[t == 11.0][0] == pytest.approx(0.0404 * 6e-4 * P0_PA / np.sqrt(T0_K), rel=0.01)
    estimate = rec.series("base.hab.lab_leak_rate_kg_s")
    late = t > 350.0
    bias = 1.0 / ((1.0 - 10.0 / tau) * (1.0 - 60.0 / tau))
    np.testing.assert_allclose(estimate[late], bias * flow[late], rtol=0.02)
    # Limits and events at the analytic crossing times (persistence 2 samples).
    log = messages(session)
    crossings = {
        "caution-low": 10.0 + tau * np.log(P0_PA / 90e3),
        "warning-low": 10.0 + tau * np.log(P0_PA / 75_262.0),
    }
    for level, t_cross in crossings.items():
        when = [s for s, m in log if m.startswith("base.hab.lab_pressure_Pa") and level in m]
        assert len(when) == 1 and 0.0 <= when[0] - t_cross <= 3.0, (level, when, t_cross)
    assert (11.0, "hole in lab: 6 cm² effective (cd*A)") in log
    depress = [s for s, m in log if m == "lab depressurised below 57.2 kPa"]
    assert depress and abs(depress[0] - (10.0 + tau * np.log(P0_PA / 57_182.0))) <= 1.0
    assert not [m for _, m in log if m.startswith("base.hab.hab_")]


def test_truth_is_archived_next_to_the_readings(tmp_path: Path) -> None:
    from houston.session.api import run as houston_run

    path = tmp_path / "hole.toml"
    path.write_text(
        scenario("2min", entries=[entry("10s", "hab", "failure", "hole", node="lab", area_cm2=5.0)])
    )
    result = houston_run(path, out=tmp_path / "run")
    try:
        params = {r["name"]: r["truth"] for r in result.archive.table("parameters").to_pylist()}
        assert params["base.hab.lab_true_pressure_Pa"] is True
        assert params["base.hab.lab_pressure_Pa"] is False
        truth = np.asarray(result["base.hab.lab_true_pressure_Pa"])
        reading = np.asarray(result["base.hab.lab_pressure_Pa"])
        assert truth.size == reading.size == 121
        assert truth[-1] < truth[0] - 1000.0 and abs(reading[-1] - truth[-1]) < 250.0
    finally:
        result.close()


def test_a_biased_sensor_against_a_real_leak_with_a_stuck_sensor() -> None:
    # hab: channel 2 reads 15 kPa low from t = 30 s, nothing else is wrong. lab (hatch shut):
    # channel 1 sticks at t = 30 s, then a real hole at t = 60 s. The ground must tell them
    # apart from the readings alone; the archived truth confirms.
    text = scenario(
        "4min",
        hab_lab="CLOSED",
        entries=[
            entry("30s", "hab", "failure", "sensor_bias", sensor="hab.p2", bias_kPa=-15.0),
            entry("30s", "hab", "failure", "sensor_stuck", sensor="lab.p1"),
            entry("60s", "hab", "failure", "hole", node="lab", area_cm2=5.0),
            entry("30s", "hab", "failure", "sensor_dropout", sensor="airlock.ppo2"),
        ],
    )
    session, rec = run(text)
    t = rec.times
    hab_truth = rec.series("base.hab.hab_true_pressure_Pa")
    hab_voted = rec.series("base.hab.hab_pressure_Pa")
    hab_p2 = rec.series("base.hab.hab_p2_Pa")
    hab_spread = rec.series("base.hab.hab_pressure_spread_Pa")
    # Truth nominal, one channel 15 kPa off, the vote unaffected, the spread flags it.
    assert np.ptp(hab_truth) == 0.0
    assert np.all(np.abs(hab_p2[t > 30.5] - hab_truth[t > 30.5] + 15e3) < 250.0)
    assert np.max(np.abs(hab_voted - hab_truth)) < 250.0
    assert np.all(hab_spread[t > 30.5] > 14e3) and np.all(hab_spread[t < 29.5] < 500.0)
    log = messages(session)
    flagged = [
        s for s, m in log if m.startswith("base.hab.hab_pressure_spread_Pa") and "caution" in m
    ]
    assert flagged == [33.0]  # persistence 3 samples
    assert not [m for _, m in log if m.startswith("base.hab.hab_pressure_Pa")]
    assert not [m for _, m in log if m.startswith("base.hab.hab_leak_rate")]
    # lab: a stuck channel holds its value while the other two fall with the truth: the vote
    # follows the truth, the spread grows, and the leak estimate sees the real leak.
    lab_truth = rec.series("base.hab.lab_true_pressure_Pa")
    lab_p1 = rec.series("base.hab.lab_p1_Pa")
    lab_voted = rec.series("base.hab.lab_pressure_Pa")
    assert np.ptp(lab_p1[t > 30.5]) == 0.0
    assert lab_truth[-1] < P0_PA - 10e3
    assert np.max(np.abs(lab_voted - lab_truth)) < 250.0
    assert rec.series("base.hab.lab_pressure_spread_Pa")[-1] > 10e3
    leak = rec.series("base.hab.lab_leak_rate_kg_s")
    flow = rec.series("base.hab.lab_true_hole_flow_kg_s")
    assert leak[-1] == pytest.approx(flow[-1], rel=0.1)
    assert [m for _, m in log if m.startswith("base.hab.lab_leak_rate_kg_s") and "caution" in m]
    # A dropped-out channel reads no data; the limit checker ignores it.
    ppo2 = rec.series("base.hab.airlock_ppo2_Pa")
    assert np.all(np.isnan(ppo2[t > 30.5])) and np.all(np.isfinite(ppo2[t < 29.5]))


def test_hatches_lock_jam_and_hold_against_pressure() -> None:
    text = scenario(
        "1min",
        inner="CLOSED",
        airlock_extra="pressure_kPa = 0",
        entries=[
            entry("2s", "hab", "command", "lock_hatch", hatch="hab_lab"),  # open: refused
            entry("3s", "hab", "command", "close_hatch", hatch="hab_lab"),
            entry("4s", "hab", "command", "lock_hatch", hatch="hab_lab"),
            entry("5s", "hab", "command", "open_hatch", hatch="hab_lab"),  # locked: refused
            entry("6s", "hab", "command", "open_hatch", hatch="inner"),  # 101 kPa across it
            entry("7s", "hab", "failure", "hatch_jammed", hatch="hab_lab"),
            entry("8s", "hab", "command", "unlock_hatch", hatch="hab_lab"),  # jammed: refused
            entry("9s", "hab", "repair", "hatch_jammed"),
            entry("10s", "hab", "command", "unlock_hatch", hatch="hab_lab"),
            entry("11s", "hab", "command", "open_hatch", hatch="hab_lab"),
            entry("12s", "hab", "command", "open_hatch", hatch="galley"),
        ],
    )
    session, rec = run(text)
    rejected = messages(session, "command-rejected")
    assert rejected == [
        (2.0, "CMD lock_hatch REJECTED: hatch hab_lab is open: close it first"),
        (5.0, "CMD open_hatch REJECTED: hatch hab_lab is locked"),
        (
            6.0,
            "CMD open_hatch REJECTED: hatch inner is held shut by a pressure difference "
            "above 2 kPa",
        ),
        (8.0, "CMD unlock_hatch REJECTED: hatch hab_lab is jammed"),
        (12.0, "CMD open_hatch REJECTED: no hatch 'galley'; hatches: hab_lab, inner, outer"),
    ]
    state = rec.series("base.hab.hab_lab_hatch")
    t = rec.times
    assert state[t == 4.0][0] == 1 and state[t == 5.0][0] == 2 and state[-1] == 0
    model_events = [m for _, m in messages(session, "model")]
    assert model_events == [
        "hatch hab_lab CLOSED",
        "hatch hab_lab LOCKED",
        "hatch hab_lab CLOSED",
        "hatch hab_lab OPEN",
    ]
    # The outputs other models read.
    outputs = session.by_path["base.hab"].output_values()
    assert outputs["hatch_state"].tolist() == [[0.0, 1.0, 1.0]]
    assert outputs["hatch_open"].tolist() == [[1.0, 0.0, 0.0]]


def test_tank_regulates_until_empty_and_every_species_is_conserved() -> None:
    # A 2 kg N2 tank (regulated at 101.325 kPa, 1 kPa deadband) feeds the lab, which a
    # 2 cm^2 hole drains (29 g/s at full pressure against a 10 g/s valve) from t = 10 s. The
    # regulator starts feeding once the lab is 1 kPa down (t = 45 s); the valve then passes
    # its 10 g/s until the tank's pressure can no longer push it (0.4 MPa, 196 s later); the
    # tank is reported empty at 2 % of its store.
    tank = """
[assets.base.hab.tanks.n2]
node = "lab"
gas = "N2"
mass_kg = 2.0
max_flow_g_s = 10
open = true
"""
    text = (
        scenario(
            "6min",
            hab_lab="CLOSED",
            entries=[entry("10s", "hab", "failure", "hole", node="lab", area_cm2=2.0)],
        ).replace("tanks = {}\n", "")
        + tank
    )
    session, rec = run(text)
    t = rec.times
    model = session.by_path["base.hab"]
    feed = rec.series("base.hab.n2_true_flow_kg_s")
    # Regulated: shut while the lab is at its set pressure (no hole yet).
    assert np.all(feed[t < 44.5] == 0.0) and feed[t == 45.0][0] > 0.0
    running = (t > 45.5) & (t < 235)
    assert np.all(np.abs(feed[running] - 0.010) < 1e-9)
    mass = rec.series("base.hab.n2_true_mass_kg")
    assert mass[0] == pytest.approx(2.0, rel=1e-12)
    empty = [s for s, m in messages(session) if m == "tank n2 empty"]
    assert len(empty) == 1 and 235.0 < empty[0] < 250.0
    assert [m for _, m in messages(session) if "n2_mass_kg" in m and "warning-low" in m]
    # N2 is added to the lab, O2 is not: the lab's O2 fraction falls.
    ppo2 = rec.series("base.hab.lab_true_ppo2_Pa") / rec.series("base.hab.lab_true_pressure_Pa")
    assert ppo2[-1] < 0.207
    # Conservation of each species over nodes, tank and the outside, to round-off.
    m0 = np.zeros(4)
    for name, node in model.p["nodes"].items():
        frac = [node["o2_fraction"], 1 - node["o2_fraction"], 0, 0]
        m0 += gas.masses_from_pressure_kg(
            node["pressure"], node["volume"], node["temperature"], frac
        )
        del name
    m0[gas.N2] += 2.0
    total = model.state["mass"][0].sum(axis=0)
    np.testing.assert_allclose(total, m0, rtol=1e-12, atol=1e-12)
    assert rec.series("base.hab.overboard_true_kg")[-1] > 2.0


def test_batch_of_n_equals_n_single_runs_and_checkpoints_resume(tmp_path: Path) -> None:
    text = scenario(
        "3min",
        crew=[person("gordo", "hab", 1.5, suit_mm2=2.0)],
        entries=[
            entry("5s", "hab", "failure", "hole", node="hab", area_cm2=3.0),
            entry(
                "20s", "hab", "failure", "sensor_drift", sensor="lab.p3", offset_kPa=5.0, over_s=60
            ),
            entry("30s", "crew", "command", "move", person="gordo", to="lab"),
        ],
    )
    batch_session, batch_rec = run(text, batch=3, seed=11)
    for i in range(3):
        _, single = run(text, batch=1, seed=11 + i)
        a = np.array([f[i] for f in batch_rec.frames])
        b = np.array([f[0] for f in single.frames])
        assert np.array_equal(a, b, equal_nan=True)
    # All mutable state is in model.state: a checkpoint resumes sample for sample.
    world = loads(text, "t.toml")
    first = Session(world, seed=3)
    first.run(int(60e9))
    first.checkpoint(tmp_path / "cp.npz")
    rec_a = Recorder()
    first.sinks.append(rec_a)
    rec_a.begin(first)
    first.run()
    rec_b = Recorder()
    resumed = Session.restore(tmp_path / "cp.npz", sinks=[rec_b])
    resumed.run()
    a = np.array(rec_a.frames)
    b = np.array(rec_b.frames[1:])  # the restore re-samples the checkpoint instant first
    assert a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
    del batch_session


def test_wiring_checks_the_node_and_hatch_lists() -> None:
    text = scenario("1min", crew=[person("gordo", "hab")])
    bad_nodes = text.replace(
        'nodes = ["hab", "lab", "airlock"]', 'nodes = ["lab", "hab", "airlock"]'
    )
    with pytest.raises(ScenarioError) as info:
        loads(bad_nodes, "t.toml")
    text_errors = str(info.value)
    assert (
        "is in frame habitat nodes [hab, lab, airlock], input expects habitat nodes "
        "[lab, hab, airlock]" in text_errors
    )
    bad_hatch = text.replace(
        '[assets.base.crew.hatches.inner]\na = "hab"', '[assets.base.crew.hatches.inner]\na = "lab"'
    )
    with pytest.raises(ScenarioError, match=r"hatches \[hab_lab hab-lab, inner lab-airlock"):
        loads(bad_hatch, "t.toml")
    with pytest.raises(ScenarioError, match="hatch 'x': b = 'nowhere' is not a node"):
        loads(
            scenario("1min") + '[assets.base.hab.hatches.x]\na = "hab"\nb = "nowhere"\n', "t.toml"
        )


def test_a_failure_naming_nothing_is_an_error() -> None:
    text = scenario(
        "1min", entries=[entry("5s", "hab", "failure", "hole", node="galley", area_cm2=1.0)]
    )
    from houston.scenario.spec import ScenarioError

    # Caught when the scenario is loaded (the model checks its failure's arguments).
    with pytest.raises(
        ScenarioError, match="failure hole: no node 'galley'; nodes: hab, lab, airlock"
    ):
        loads(text, "t.toml")


def test_check_reports_a_failure_naming_an_unknown_node():
    """`houston check` finds a failure whose argument names no node of the base, with the
    entry's line, instead of stopping the run when it comes due."""
    from houston.scenario.loader import bundled, loads
    from houston.scenario.spec import ScenarioError

    text = bundled()["habitat-demo"].read_text().replace('node = "lab"', 'node = "galley"', 1)
    with pytest.raises(ScenarioError) as info:
        loads(text, "demo.toml")
    found = [str(p) for p in info.value.problems]
    line = next(i for i, s in enumerate(text.splitlines(), 1) if 'node = "galley"' in s)
    assert len(found) == 1 and "no node 'galley'" in found[0]
    assert found[0].startswith("demo.toml:") and "timeline." in found[0]
    assert int(found[0].split(":")[1]) <= line

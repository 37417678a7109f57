"""The kernel model ``reactor.fission_surface``: the design point, the unprotected loss of
flow and its 45-minute countdown, the same with protection, with a manual scram and with the
cross-connect restored, what happens with no controller connected, the sensors and the
energy balance. The cases run side by side as rows of one batch."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from houston.core.model import (
    CommandRejected,
    ModelEvent,
    ModelRandom,
    StepContext,
    model_class,
)
from houston.core.random import BatchRandom, run_seeds
from houston.reactor import design

P = design.DEFAULTS
NOMINAL, UNPROTECTED, PROTECTED, SCRAMMED, CROSS, NO_CONTROL = range(6)
LOF_AT = 10  # s


class Runner:
    """Drives one model instance the way the session does (1 s frames)."""

    def __init__(self, batch: int, seed: int = 0, **params: Any) -> None:
        cls = model_class("reactor.fission_surface")
        values = {p.name: p.default for p in cls.params}
        values.update(params)
        self.m = cls("base.reactor", values, batch)
        self.events: list[ModelEvent] = []
        self.inputs = {s.name: np.full((batch, *s.shape), s.default) for s in self.m.inputs}
        rng = BatchRandom(run_seeds(seed, batch))
        self.ctx = StepContext(0, 0, -1, self.inputs, ModelRandom(rng, self.m.path), self.events)
        self.m.initialize(self.ctx)
        self.t = 0

    def run(self, seconds: int) -> None:
        for _ in range(seconds):
            t1 = self.t + 1_000_000_000
            self.ctx.reset(self.t, t1, self.t // 1_000_000_000, self.inputs)
            self.m.step(self.ctx)
            self.t = t1

    def tm(self) -> dict[str, np.ndarray]:
        out = np.full((self.m.batch, len(self.m.telemetry)), np.nan)
        self.m.sample(out)
        return {t.name: out[:, i].copy() for i, t in enumerate(self.m.telemetry)}

    def messages(self, row: int) -> list[str]:
        return [e.message for e in self.events if e.mask[row]]


def rows(*which: int, batch: int = 6) -> np.ndarray:
    mask = np.zeros(batch, dtype=bool)
    mask[list(which)] = True
    return mask


@pytest.fixture(scope="module")
def story() -> dict[str, Any]:
    """Six reactors, one frame apart from identical: at 10 s the primary pump loses its drive
    (its cables from the primary computer are cut) in all but the first."""
    r = Runner(6, prediction_interval=300.0)
    r.m.command("disconnect_backup", {}, rows(UNPROTECTED, SCRAMMED, CROSS, NO_CONTROL))
    r.run(LOF_AT)
    out: dict[str, Any] = {"runner": r, "start": r.tm()}
    lof = rows(UNPROTECTED, PROTECTED, SCRAMMED, CROSS, NO_CONTROL)
    r.m.set_failure("pump_drive_cut", {}, lof, True)
    r.m.set_failure("primary_computer_lost", {}, rows(NO_CONTROL), True)
    r.m.command("scram", {}, rows(SCRAMMED))
    with pytest.raises(CommandRejected, match="no computer is connected to the drums"):
        r.m.command("scram", {}, rows(NO_CONTROL))
    r.run(1)
    out["at_lof"] = r.tm()
    out["history"] = []
    damage_at = np.full(6, np.nan)
    for second in range(1, 2820):
        if second == 1800:
            r.m.command("restore_cross_connect", {}, rows(CROSS))
        r.run(1)
        tm = r.tm()
        hit = np.isnan(damage_at) & (tm["damage_state"] >= 1)
        damage_at[hit] = second + 1
        if second % 60 == 0:
            out["history"].append(tm)
    out["damage_at_s"] = damage_at
    out["end"] = r.tm()
    return out


def test_design_point_telemetry(story: dict[str, Any]) -> None:
    """At rated power the readings sit at the design temperatures (FSP: 900 K reactor outlet)
    within their noise, the converters make 45 kWe, and the countdown is infinite."""
    tm = story["start"]
    assert tm["core_outlet_temperature_K"][NOMINAL] == pytest.approx(900.0, abs=4.0)
    assert tm["core_inlet_temperature_K"][NOMINAL] == pytest.approx(850.0, abs=4.0)
    assert tm["fuel_temperature_K"][NOMINAL] == pytest.approx(1000.0, abs=5.0)
    assert tm["true_core_outlet_temperature_K"][NOMINAL] == pytest.approx(900.0, abs=0.6)
    assert tm["electric_power_W"][NOMINAL] == pytest.approx(45e3, rel=0.01)
    assert tm["primary_flow"][NOMINAL] == pytest.approx(1.0, abs=0.02)
    assert np.isinf(tm["time_to_core_damage_s"]).all()
    end = story["end"]
    assert end["true_core_outlet_temperature_K"][NOMINAL] == pytest.approx(900.0, abs=0.6)
    assert end["damage_state"][NOMINAL] == 0
    assert np.isinf(end["time_to_core_damage_s"][NOMINAL])


def test_unprotected_loss_of_flow_reaches_core_damage_in_about_45_minutes(
    story: dict[str, Any],
) -> None:
    r = story["runner"]
    damage = story["damage_at_s"][UNPROTECTED]
    assert damage / 60 == pytest.approx(45.9, abs=0.5)
    # The countdown the flight controllers see one frame after the loss of flow: within 3 %
    # of what happens, and the band of the feedback uncertainty brackets it.
    at = story["at_lof"]
    predicted = at["time_to_core_damage_s"][UNPROTECTED]
    assert predicted == pytest.approx(damage - 1, rel=0.03)
    assert at["time_to_core_damage_early_s"][UNPROTECTED] < damage - 1
    assert at["time_to_core_damage_late_s"][UNPROTECTED] > damage - 1
    msgs = r.messages(UNPROTECTED)
    assert "no computer drives the primary pump: it runs down" in msgs
    assert any(m.startswith("CORE DAMAGE") for m in msgs)
    end = story["end"]
    assert end["site_status"][UNPROTECTED] == 1  # RESTRICTED
    assert end["time_to_core_damage_s"][UNPROTECTED] == 0.0
    assert end["pump"][UNPROTECTED] == 2  # STOPPED
    assert (
        end["true_primary_flow_kg_s"][UNPROTECTED] < 0.003 * design.loop_design(P).rated_flow_kg_s
    )


def test_countdown_tracks_the_simulation(story: dict[str, Any]) -> None:
    """Every minute, countdown + elapsed stays within 3 % of the damage time."""
    damage = story["damage_at_s"][UNPROTECTED]
    for minute, tm in enumerate(story["history"], start=1):
        elapsed = minute * 60 + 1
        if elapsed >= damage:
            break
        assert tm["time_to_core_damage_s"][UNPROTECTED] + elapsed == pytest.approx(
            damage, rel=0.03
        ), minute


def test_protection_scrams_on_low_flow(story: dict[str, Any]) -> None:
    r = story["runner"]
    assert "SCRAM: automatic, low flow (backup computer)" in r.messages(PROTECTED)
    end = story["end"]
    assert end["scram_cause"][PROTECTED] == 4  # LOW_FLOW
    for row in (PROTECTED, SCRAMMED):
        assert np.isnan(story["damage_at_s"][row])
        assert end["true_power_fraction"][row] < 1e-5
        # Decay heat alone heats the core far more slowly: damage only hours later.
        assert end["true_clad_temperature_K"][row] < P["clad_damage_temperature"] - 60.0
        assert end["time_to_core_damage_s"][row] > 1800.0
    assert end["scram_cause"][SCRAMMED] == 1  # MANUAL


def test_cross_connect_restores_the_flow(story: dict[str, Any]) -> None:
    r = story["runner"]
    assert "the backup computer drives the primary pump (cross-connect)" in r.messages(CROSS)
    assert np.isnan(story["damage_at_s"][CROSS])
    before = story["history"][28]  # 29 min: the pump stopped, the core near 1045 K
    assert before["true_clad_temperature_K"][CROSS] > 1040.0
    end = story["end"]
    assert end["pump_drive"][CROSS] == 2  # BACKUP
    assert end["cross_connect"][CROSS] == 1
    assert end["primary_flow"][CROSS] == pytest.approx(1.0, abs=0.03)
    assert end["true_clad_temperature_K"][CROSS] < 960.0
    assert end["time_to_core_damage_s"][CROSS] == np.inf


def test_no_controller_connected(story: dict[str, Any]) -> None:
    r = story["runner"]
    msgs = r.messages(NO_CONTROL)
    assert "no computer connected to the drums: no regulation, no automatic scram" in msgs
    end = story["end"]
    assert end["drum_control"][NO_CONTROL] == 0
    assert end["pump_drive"][NO_CONTROL] == 0
    assert end["primary_computer"][NO_CONTROL] == 1
    assert end["scram"][NO_CONTROL] == 0
    # The drums never moved, so the transient is the unprotected one.
    assert story["damage_at_s"][NO_CONTROL] == pytest.approx(
        story["damage_at_s"][UNPROTECTED], abs=60
    )


def test_energy_balance_of_every_run(story: dict[str, Any]) -> None:
    end = story["end"]
    assert np.abs(end["energy_residual_J"]).max() < 1e-4  # J, out of about 5e8 J stored


def test_commands_and_failures() -> None:
    r = Runner(3, prediction_interval=600.0)
    all_rows = np.ones(3, dtype=bool)
    # The shared backup computer serves another reactor: it cannot be connected here.
    r.inputs["backup_elsewhere"][:] = 1.0
    r.run(2)
    assert (r.tm()["backup_computer"] == 2).all()  # ELSEWHERE
    with pytest.raises(CommandRejected, match="serving another reactor"):
        r.m.command("connect_backup", {}, all_rows)
    # A damaged pump passes its fraction of the flow.
    r.m.set_failure("pump_damaged", {"flow_fraction": 0.5}, rows(1, batch=3), True)
    r.m.set_failure("pump_damaged", {"flow_fraction": 0.0}, rows(2, batch=3), True)
    r.run(20)
    flow = r.tm()["true_primary_flow_kg_s"] / design.loop_design(P).rated_flow_kg_s
    np.testing.assert_allclose(flow, [1.0, 0.5, 0.0], atol=2e-3)
    # The power bus lost: no computer can run the pump.
    r.m.set_failure("power_bus_lost", {}, rows(0, batch=3), True)
    r.run(30)
    tm = r.tm()
    assert tm["pump"][0] == 1  # COASTING
    assert tm["pump_speed"][0] < 0.3
    # A stuck fuel thermocouple is outvoted.
    r.m.set_failure("fuel_thermocouple_failed", {"channel": 1}, rows(2, batch=3), True)
    r.run(120)
    tm = r.tm()
    assert tm["fuel_temperature_K"][2] == pytest.approx(tm["true_fuel_temperature_K"][2], abs=8)
    assert tm["fuel_temperature_spread_K"][2] > 10.0  # the seized pump: the fuel heats up
    with pytest.raises(CommandRejected, match="the primary computer"):
        r.m.set_failure("primary_computer_lost", {}, all_rows, True)
        r.m.command("set_power_demand", {"power": 0.5}, all_rows)


def test_batch_rows_equal_single_runs() -> None:
    """Run i of a batch seeded S is the single run seeded S + i, bit for bit."""
    batch = Runner(2, seed=3, prediction_interval=60.0)
    batch.m.set_failure("pump_drive_cut", {}, np.array([False, True]), True)
    batch.m.command("disconnect_backup", {}, np.ones(2, dtype=bool))
    batch.run(90)
    for i in range(2):
        single = Runner(1, seed=3 + i, prediction_interval=60.0)
        single.m.command("disconnect_backup", {}, np.ones(1, dtype=bool))
        if i:
            single.m.set_failure("pump_drive_cut", {}, np.ones(1, dtype=bool), True)
        single.run(90)
        a, b = single.tm(), batch.tm()
        for name in a:
            assert np.array_equal(a[name][0], b[name][i], equal_nan=True), name


def test_compiled_sensor_pass_equals_the_reference_reads() -> None:
    """The readings of all channels in one compiled pass are bit for bit those of
    :func:`houston.core.sensors.read` sensor by sensor, stuck channels included."""
    a, b = Runner(3, seed=4), Runner(3, seed=4)
    for r in (a, b):
        r.m.step = r.m._step_reference  # type: ignore[method-assign]
    b.m._read_sensors = b.m._read_sensors_reference  # type: ignore[method-assign]
    for r in (a, b):
        r.run(5)
        r.m.set_failure("flow_meter_failed", {}, rows(0, batch=3), True)
        r.m.set_failure("fuel_thermocouple_failed", {"channel": 2}, rows(1, 2, batch=3), True)
        r.m.set_failure("pump_drive_cut", {}, rows(0, 1, 2, batch=3), True)
        r.run(40)
    for name, value in a.m.state.items():
        assert np.array_equal(value, b.m.state[name], equal_nan=True), name
    assert np.array_equal(a.tm()["primary_flow"], b.tm()["primary_flow"], equal_nan=True)


def test_compiled_drive_equals_the_reference(story: dict[str, Any]) -> None:
    """The controllers' drive in one compiled pass against the numpy reference, bit for bit,
    in every row of the story (regulating, unprotected, scrammed, cross-connected, no
    control), with and without a step, and with the flowmeter read as NaN."""
    m = story["runner"].m
    saved = {k: m.state[k].copy() for k in ("sensor.flow.reading", "power_demand", "reactivity")}
    try:
        for nan_flow, demand, dollars in (
            (False, None, None),
            (True, 0.5, 0.07),
            (False, 1.3, 0.2),
        ):
            if nan_flow:
                m.state["sensor.flow.reading"][::2] = np.nan
            if demand is not None:
                m.state["power_demand"][1::2] = demand
                m.state["reactivity"][::3] = dollars * P["beta_total"]
            for dt in (1.0, 0.0, 7.5):
                a, b = m._drive(dt), m._drive_reference(dt)
                for name, value in b.__dict__.items():
                    got = getattr(a, name)
                    assert got.dtype == np.asarray(value).dtype, name
                    assert np.array_equal(got, value), name
    finally:
        for k, v in saved.items():
            m.state[k][...] = v


def test_compiled_trips_equal_the_reference(story: dict[str, Any]) -> None:
    """The protection's trip causes in one compiled pass against :meth:`_trips`, over a grid
    of readings around every setting (NaN included)."""
    from houston.reactor import kernels
    from houston.reactor.model import _MID, _TRIP_COLUMNS

    m = story["runner"].m
    rated = m._pp.loop.rated_flow_kg_s
    grid = np.array(
        np.meshgrid(
            [1000.0, 1060.0, np.nan],
            [900.0, 960.0, np.nan],
            [rated, 0.5 * rated, np.nan],
            [1.0, 1.2, np.nan],
        )
    )
    fuel, outlet, flow, power = (g.reshape(-1) for g in grid)
    mid = np.zeros((fuel.size, len(_MID)))
    mid[:, _MID["fuel_tc"]], mid[:, _MID["outlet_tc"]] = fuel, outlet
    mid[:, _MID["flow"]], mid[:, _MID["power"]] = flow, power
    cause = np.empty(fuel.size, dtype=np.int64)
    yes = np.ones(fuel.size, dtype=bool)
    no = ~yes
    tripped = kernels.compiled("trip_rows")(
        mid, _TRIP_COLUMNS, m._trip_constants, yes, no, no, no, cause
    )
    ref = m._trips(fuel, outlet, flow / rated, power)
    assert np.array_equal(cause, ref)
    assert tripped == int((ref > 0).sum())


def test_compiled_sample_equals_the_telemetry_values(story: dict[str, Any]) -> None:
    """``sample`` in one compiled pass writes exactly what ``telemetry_values`` gives, in
    every row of the story, and with channels reading NaN (the mid-value then comes from
    :func:`houston.core.sensors.vote`)."""
    from houston.core.model import Model
    from houston.reactor import kernels

    m = story["runner"].m
    assert sorted(kernels.TELEMETRY) == sorted(t.name for t in m.telemetry)
    keys = ("sensor.power.reading", "sensor.fuel_tc.reading", "sensor.flow.reading")
    saved = {k: m.state[k].copy() for k in keys}
    try:
        for case in range(3):
            if case == 1:
                m.state["sensor.power.reading"][1, 0] = np.nan
                m.state["sensor.fuel_tc.reading"][2, :] = np.nan
            if case == 2:
                m.state["sensor.flow.reading"][:] = np.nan
            got = np.full((m.batch, len(m.telemetry)), -1.0)
            ref = np.full((m.batch, len(m.telemetry)), -1.0)
            m.sample(got)
            Model.sample(m, ref)
            assert np.array_equal(got, ref, equal_nan=True), case
    finally:
        for k, v in saved.items():
            m.state[k][...] = v

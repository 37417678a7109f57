"""Tests of ``ops.handover``: a state vector handed over by another control centre, with its
epoch, its delay and its tracking error.

Oracles: the vehicle's own state at the epoch (exact, sigma 0); the normal distribution of
the tracking error (the sample variance of many runs against sigma^2, with the chi-square
spread of a sample variance: Var(s^2) = 2 sigma^4 / (n - 1) for normal draws); the seeding
rules of ``core.random`` (run i of a batch seeded S draws what a single run seeded S + i
draws)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from houston.core.model import CommandRejected
from houston.core.time import NS_PER_S
from houston.ops.events import EventKind
from houston.ops.handover import StateVectorHandover, format_age
from houston.scenario.loader import loads
from houston.session.session import Session

S = NS_PER_S

VEHICLE = """
[assets.soyuz.orbit]
model = "vehicle.spacecraft"
perigee_altitude_km = 225.0
apogee_altitude_km = 225.0
inclination_deg = 51.8
raan_deg = 100.0
"""
TRACKING = """
[assets.soyuz.tracking]
model = "ops.handover"
delay_s = {delay}
position_sigma_m = {sp}
velocity_sigma_m_s = {sv}
inputs = {{ r_m = "soyuz.orbit.r_gcrf_m", v_m_s = "soyuz.orbit.v_gcrf_m_s", t_s = "soyuz.orbit.t_s" }}
"""


def scenario(
    sp: float = 0.0, sv: float = 0.0, delay: float = 120.0, tracking_first: bool = False
) -> str:
    head = """
[scenario]
name = "handover"
description = "Soviet control hands the Soyuz state vector to Houston"
epoch_utc = "1975-07-17T12:00:00Z"
duration = "5min"
frame = "1s"
"""
    track = TRACKING.format(delay=delay, sp=sp, sv=sv)
    body = track + VEHICLE if tracking_first else VEHICLE + track
    return (
        head
        + body
        + """
[[timeline]]
at = "00:01:00"
target = "soyuz.tracking"
command = "hand_over"
"""
    )


def vehicle_state_at(session: Session, t_s: float) -> tuple[np.ndarray, np.ndarray]:
    """The vehicle's state from its own telemetry (x_m .. vz_m_s) at ``t_s``."""
    names = ("x_m", "y_m", "z_m", "vx_m_s", "vy_m_s", "vz_m_s")
    values = np.array([session.value(f"soyuz.orbit.{n}") for n in names]).T
    assert session.t_ns == round(t_s * S)
    return values[:, 0:3], values[:, 3:6]


def test_vector_arrives_after_the_delay_with_its_epoch_and_age() -> None:
    s = Session(loads(scenario()))
    s.run(60 * S)
    r60, v60 = vehicle_state_at(s, 60.0)
    s.run(179 * S)
    assert s.value("soyuz.tracking.sv_count")[0] == 0
    assert np.isnan(s.value("soyuz.tracking.sv_age_s")[0])  # nothing received yet
    assert not [e for e in s.log.events if e.kind == EventKind.MODEL]
    s.run(180 * S)
    out = s.by_path["soyuz.tracking"].output_values()
    # The vehicle comes first: the vector is its state at the instant of the command, exactly.
    assert out["sv_count"][0] == 1
    assert out["sv_t_s"][0] == pytest.approx(60.0, abs=1e-9)
    np.testing.assert_array_equal(out["sv_r_m"], r60)
    np.testing.assert_array_equal(out["sv_v_m_s"], v60)
    assert s.value("soyuz.tracking.sv_age_s")[0] == pytest.approx(120.0, abs=1e-9)
    assert s.value("soyuz.tracking.sv_position_error_m")[0] == 0.0
    msgs = [e for e in s.log.events if e.kind == EventKind.MODEL]
    assert [(e.t_ns, e.message) for e in msgs] == [
        (180 * S, "state vector from Soviet control: epoch GET 000:01:00, age 2 min 00 s")
    ]
    s.run(300 * S)
    assert s.value("soyuz.tracking.sv_age_s")[0] == pytest.approx(240.0, abs=1e-9)
    # truth telemetry is never sent to the ground
    names = {p.name: p for p in s.catalog.params}
    assert names["soyuz.tracking.sv_position_error_m"].truth


def test_tracking_before_the_vehicle_reads_the_state_one_step_earlier() -> None:
    """With the tracking model first, the state it last read is one step old; the vehicle's
    time tag says so, and the vector is exact for that epoch."""
    s = Session(loads(scenario(tracking_first=True)))
    s.run(59 * S)
    r59, v59 = vehicle_state_at(s, 59.0)
    s.run(178 * S)
    assert s.value("soyuz.tracking.sv_count")[0] == 0
    s.run(179 * S)  # 120 s after its epoch
    assert s.value("soyuz.tracking.sv_age_s")[0] == pytest.approx(120.0, abs=1e-9)
    out = s.by_path["soyuz.tracking"].output_values()
    assert out["sv_t_s"][0] == pytest.approx(59.0, abs=1e-9)
    np.testing.assert_array_equal(out["sv_r_m"], r59)
    np.testing.assert_array_equal(out["sv_v_m_s"], v59)


def test_tracking_error_is_normal_with_the_given_sigmas() -> None:
    n = 400
    sp, sv = 300.0, 0.3
    s = Session(loads(scenario(sp=sp, sv=sv, delay=0.0)), seed=7, batch=n)
    s.run(60 * S)
    r, v = vehicle_state_at(s, 60.0)
    s.run(61 * S)
    out = s.by_path["soyuz.tracking"].output_values()
    dr = out["sv_r_m"] - r
    dv = out["sv_v_m_s"] - v
    assert (out["sv_count"] == 1).all()
    np.testing.assert_allclose(out["sv_t_s"], 60.0, atol=1e-9)
    # per-axis sample variance against sigma^2: 4 standard deviations of s^2
    for err, sigma in ((dr, sp), (dv, sv)):
        var = err.var(axis=0, ddof=1)
        spread = sigma**2 * np.sqrt(2.0 / (n - 1))
        assert np.all(np.abs(var - sigma**2) < 4 * spread), (var, sigma**2)
        assert np.all(np.abs(err.mean(axis=0)) < 4 * sigma / np.sqrt(n))
    np.testing.assert_allclose(
        s.value("soyuz.tracking.sv_position_error_m"), np.linalg.norm(dr, axis=1), rtol=1e-6
    )
    np.testing.assert_allclose(
        s.value("soyuz.tracking.sv_velocity_error_m_s"), np.linalg.norm(dv, axis=1), rtol=1e-6
    )


def test_same_seed_same_vector_and_batch_rows_are_single_runs() -> None:
    text = scenario(sp=300.0, sv=0.3, delay=10.0)

    def vector(seed: int, batch: int = 1) -> np.ndarray:
        s = Session(loads(text), seed=seed, batch=batch)
        s.run(71 * S)
        out = s.by_path["soyuz.tracking"].output_values()
        return np.hstack([out["sv_r_m"], out["sv_v_m_s"]])

    one = vector(3)
    np.testing.assert_array_equal(one, vector(3))
    assert not np.array_equal(one, vector(4))
    batch = vector(3, batch=3)
    for i in range(3):
        np.testing.assert_array_equal(batch[i], vector(3 + i)[0])


def test_vectors_queue_and_a_second_read_in_the_same_instant_is_refused() -> None:
    text = scenario(delay=30.0) + (
        '\n[[timeline]]\nat = "00:01:00"\ntarget = "soyuz.tracking"\ncommand = "hand_over"\n'
        '\n[[timeline]]\nat = "00:01:10"\ntarget = "soyuz.tracking"\ncommand = "hand_over"\n'
    )
    s = Session(loads(text))
    s.run(100 * S)
    rejected = [e for e in s.log.events if e.kind == EventKind.COMMAND_REJECTED]
    assert [e.message for e in rejected] == [
        "CMD hand_over REJECTED: Soviet control is already reading a vector"
    ]
    arrivals = [
        (e.t_ns // S, round(e.data["epoch_s"], 6)) for e in s.log.events if e.kind == "model"
    ]
    assert arrivals == [(90, 60.0), (100, 70.0)]
    assert s.value("soyuz.tracking.sv_count")[0] == 2


def test_the_queue_has_a_limit() -> None:
    m = StateVectorHandover("a.b", {p.name: p.default for p in StateVectorHandover.params}, 2)
    m.state["q_arrival"][:] = np.nan
    m.state["q_arrival"][0] = 1.0  # run 0: every slot in flight
    with pytest.raises(CommandRejected) as exc:
        m.command("hand_over", {}, np.array([True, True]))
    assert exc.value.reason == "4 vectors already on their way"
    assert exc.value.mask is not None and exc.value.mask.tolist() == [True, False]
    assert m.state["request"].tolist() == [False, True]


def test_checkpoint_with_a_vector_in_flight(tmp_path: Path) -> None:
    text = scenario(sp=300.0, sv=0.3)
    straight = Session(loads(text), seed=5, batch=2)
    straight.run(200 * S)
    first = Session(loads(text), seed=5, batch=2)
    first.run(90 * S)
    first.checkpoint(tmp_path / "cp.npz")
    resumed = Session.restore(tmp_path / "cp.npz")
    resumed.run(200 * S)
    np.testing.assert_array_equal(straight.values, resumed.values)
    a = [(e.t_ns, e.run, e.message) for e in straight.log.events if e.kind == "model"]
    b = [(e.t_ns, e.run, e.message) for e in resumed.log.events if e.kind == "model"]
    assert a and a == b


def test_format_age() -> None:
    assert format_age(45.2) == "45 s"
    assert format_age(120.0) == "2 min 00 s"
    assert format_age(3725.0) == "1 h 02 min"

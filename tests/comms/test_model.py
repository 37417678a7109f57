"""The comms.link model in the kernel: the bundled comms-demo (the base's comms taken down
and the old antenna restored), AOS and LOS against the predictions, lunar orbit through the
r_mci_m input, antenna commands and failures, and a batch of N against N single runs."""

from __future__ import annotations

import numpy as np
import pytest

from houston.comms import predict
from houston.comms.model import AntennaState, CommsLink, LinkState
from houston.core.constants import MU_EARTH_M3_S2, MU_MOON_M3_S2, R_EARTH_M, R_MOON_M
from houston.core.model import CommandRejected, ModelEvent, ModelRandom, StepContext
from houston.core.random import BatchRandom, run_seeds
from houston.core.time import NS_PER_S, Epoch
from houston.dynamics.elements import coe_to_rv
from houston.ops.events import EventKind
from houston.scenario.loader import load, loads
from houston.scenario.spec import ScenarioError
from houston.session.session import Session

S = NS_PER_S
EPOCH = Epoch(2446263.5, (16 * 3600 + 23.0) / 86400.0, "1985-07-17T16:00:00Z")


def messages(session, source):
    return [
        (e.t_ns, e.message)
        for e in session.log.events
        if e.kind == EventKind.MODEL and e.source == source
    ]


@pytest.fixture(scope="module")
def demo():
    s = Session(load("comms-demo"))
    s.start()
    return s


def test_demo_base_goes_silent_and_comes_back_over_the_old_antenna(demo):
    s = demo
    s.run(3590 * S)
    assert s.value("jamestown.comms.link")[0] == LinkState.UP
    lt = s.value("jamestown.comms.light_time_s")[0]
    assert 1.2 < lt < 1.36
    assert s.ground.age_s("jamestown", s.t_ns)[0] == pytest.approx(2.0)  # 1.3 s + the frame
    s.run(4000 * S)  # the primary was taken down at 3600 s
    assert s.value("jamestown.comms.link")[0] == LinkState.DOWN_FAILURE
    assert s.value("jamestown.comms.antenna_primary")[0] == AntennaState.DOWN
    assert s.ground.age_s("jamestown", s.t_ns)[0] == pytest.approx(4000 - 3600, abs=2.0)
    s.run(4900 * S)  # the backup was restored at 4800 s
    assert s.value("jamestown.comms.link")[0] == LinkState.UP
    assert s.value("jamestown.comms.antenna")[0] == 1  # backup
    assert s.ground.age_s("jamestown", s.t_ns)[0] < 3.0
    events = messages(s, "jamestown.comms")
    assert events[0] == (0, "AOS DSS-14 Goldstone")
    assert (3601 * S, "LOS DSS-14 Goldstone (failure)") in events
    assert (4801 * S, "AOS DSS-14 Goldstone") in events
    el = s.value("jamestown.comms.earth_elevation_rad")[0]
    assert 3.0 < np.degrees(el) < 5.5  # the Earth low over the rim, mid-July 1985


def test_demo_spacecraft_aos_los_match_the_predictions(demo):
    """Apollo's AOS and LOS in the run fall in the frame that follows the predicted
    instant (the link model samples at the end of each 1 s step)."""
    s = demo
    if s.t_ns < 4900 * S:
        s.run(4900 * S)
    w = s.world
    orbit = w.system("apollo.orbit").params
    rp = R_EARTH_M + orbit["perigee_altitude"]
    ra = R_EARTH_M + orbit["apogee_altitude"]
    e = (ra - rp) / (ra + rp)
    r0, v0 = coe_to_rv(
        rp * (1 + e), e, orbit["inclination"], orbit["raan"], 0.0, 0.0, MU_EARTH_M3_S2
    )
    model = s.by_path["apollo.comms"]
    wins = predict.windows(
        predict.contact_plan(
            w.epoch,
            0.0,
            4900.0,
            model.stations,
            predict.two_body_trajectory(r0, v0, MU_EARTH_M3_S2),
        )
    )
    got = [
        (t, m.split()[0]) for t, m in messages(s, "apollo.comms") if m.split()[0] in ("AOS", "LOS")
    ]
    want = sorted(
        [(np.ceil(x.aos_s) * S, "AOS") for x in wins]
        + [(np.ceil(x.los_s) * S, "LOS") for x in wins]
    )
    assert got == want and len(got) >= 4


LUNAR = """
[scenario]
name = "lunar-orbit"
description = "a vehicle in a 110 km lunar orbit heard through the DSN"
epoch_utc = "1985-07-17T16:00:00Z"
duration = "4h"

[assets.csm]
downlink = "csm.comms"

[assets.csm.orbit]
# a polar orbit (ICRF axes) whose plane holds the Earth's direction at the epoch
model = "vehicle.two_body"
central_body = "moon"
perigee_altitude_km = 110.0
apogee_altitude_km = 110.0
inclination_deg = 90.0
raan_deg = 294.0

[assets.csm.comms]
model = "comms.link"
central_body = "moon"
networks = ["dsn"]
inputs = { r_mci_m = "csm.orbit.r_m" }
"""


def test_lunar_orbit_loss_and_acquisition_of_signal():
    """LOS behind the Moon and AOS after it, through the r_mci_m input, against the
    predictions for the same two-body orbit (one frame of tolerance)."""
    s = Session(loads(LUNAR, "lunar.toml"))
    s.run(4 * 3600 * S)
    p = s.world.system("csm.orbit").params
    r0, v0 = coe_to_rv(R_MOON_M + 110e3, 0.0, p["inclination"], p["raan"], 0.0, 0.0, MU_MOON_M3_S2)
    model = s.by_path["csm.comms"]
    traj = predict.two_body_trajectory(r0, v0, MU_MOON_M3_S2)
    wins = predict.windows(
        predict.contact_plan(
            s.world.epoch, 0.0, 4 * 3600.0, model.stations, traj, central_body="moon"
        )
    )
    got = [(t, m.split()[0]) for t, m in messages(s, "csm.comms") if m.split()[0] in ("AOS", "LOS")]
    want = [(S, "AOS")] if wins[0].open_start else []
    want += [(np.ceil(w.aos_s) * S, "AOS") for w in wins if not w.open_start]
    want += [(np.ceil(w.los_s) * S, "LOS") for w in wins if not w.open_end]
    assert got == sorted(want)
    assert sum(1 for _, k in got if k == "LOS") >= 2
    # while in view, the light time is the Earth-Moon distance over c
    assert 1.15 < s.value("csm.comms.light_time_s")[0] < 1.4


def test_wrong_input_for_the_central_body_is_reported():
    bad = LUNAR.replace('central_body = "moon"\nnetworks', 'central_body = "earth"\nnetworks')
    with pytest.raises(ScenarioError, match="input 'r_gcrf_m'"):
        loads(bad, "bad.toml")


def ctx(model, t0, t1, inputs, batch):
    rng = BatchRandom(run_seeds(0, batch))
    return StepContext(t0, t1, 0, inputs, ModelRandom(rng, model.path, 0), [], EPOCH)


def leo_positions(batch, t_s):
    """A batch of low orbits (different phases) at time t_s."""
    from houston.dynamics.kepler import propagate

    nu = np.linspace(0.0, 2 * np.pi, batch, endpoint=False)
    r0, v0 = coe_to_rv(R_EARTH_M + 300e3, 0.0, np.radians(51.8), 1.0, 0.0, nu, MU_EARTH_M3_S2)
    r, _ = propagate(r0, v0, t_s, MU_EARTH_M3_S2)
    return np.asarray(r)


def test_batch_of_n_equals_n_single_runs():
    """Six runs with different positions and a command for some of them, against six
    single-run models: every state array equal bit for bit."""
    n = 6
    params = {"networks": ["dsn", "stdn"], "antennas": {"a": {"state": "up"}, "b": {"state": "up"}}}
    big = CommsLink("x.comms", params, n)
    small = [CommsLink("x.comms", params, 1) for _ in range(n)]
    mask = np.array([True, False, True, False, False, True])
    ever_up = np.zeros(n, dtype=bool)
    for k in range(40):
        t0, t1 = k * 30 * S, (k + 1) * 30 * S
        r = leo_positions(n, (k + 1) * 30.0)
        for m, rows in [(big, slice(None))] + [(small[i], slice(i, i + 1)) for i in range(n)]:
            c = ctx(m, t0, t1, {"r_gcrf_m": r[rows]}, m.batch)
            if k == 0:
                m.initialize(c)
            if k == 10:
                m.command("take_down", {"antenna": "a"}, mask[rows])
            if k == 20:
                m.command("switch_to_backup", {}, mask[rows])
            m.step(c)
        ever_up |= big.state["up"] != 0
    for name, arr in big.state.items():
        np.testing.assert_array_equal(
            arr, np.concatenate([m.state[name] for m in small]), err_msg=name
        )
    assert ever_up.sum() >= 2


def surface(batch=1, **kw):
    params = {
        "kind": "surface",
        "networks": ["dsn"],
        "antennas": {
            "primary": {"state": "up", "min_elevation": 0.0},
            "backup": {"state": "down", "min_elevation": 0.0},
            "mast": {"state": "up", "min_elevation": np.radians(20.0)},
        },
        **kw,
    }
    m = CommsLink("base.comms", params, batch)
    m.initialize(ctx(m, 0, 0, {}, batch))
    return m


def step(m, t=1):
    m.step(ctx(m, (t - 1) * S, t * S, {}, m.batch))


def test_antenna_commands_and_failures():
    m = surface()
    assert m.state["up"][0] == 1 and m.state["selected"][0] == 0
    everyone = np.ones(1, dtype=bool)
    assert m.command("take_down", {"antenna": "primary"}, everyone) == "antenna primary down"
    step(m)
    assert m.state["link"][0] == LinkState.DOWN_FAILURE
    # the mast antenna works but cannot see the Earth 4 degrees up behind its 20 degree mask
    assert m.command("switch_to_backup", {}, everyone) == "antenna mast in use"
    step(m, 2)
    assert m.state["link"][0] == LinkState.DOWN_GEOMETRY
    with pytest.raises(CommandRejected, match="no other working antenna"):
        m.command("switch_to_backup", {}, everyone)
    assert "in use" not in m.command("restore", {"antenna": "backup"}, everyone)
    m.command("select_antenna", {"antenna": "backup"}, everyone)
    step(m, 3)
    assert m.state["link"][0] == LinkState.UP
    with pytest.raises(CommandRejected, match="no antenna 'dish'"):
        m.command("take_down", {"antenna": "dish"}, everyone)
    # the antenna in use is lost; restoring it is refused until it is repaired
    m.set_failure("antenna_lost", {"antenna": ""}, everyone, True)
    step(m, 4)
    assert m.state["link"][0] == LinkState.DOWN_FAILURE
    out = np.zeros((1, len(m.telemetry)))
    m.sample(out)
    tm = dict(zip([t.name for t in m.telemetry], out[0], strict=True))
    assert tm["antenna_backup"] == AntennaState.LOST and tm["antenna_primary"] == AntennaState.DOWN
    with pytest.raises(CommandRejected, match="backup is lost"):
        m.command("restore", {"antenna": "backup"}, everyone)
    m.set_failure("antenna_lost", {}, everyone, False)
    step(m, 5)
    assert m.state["link"][0] == LinkState.UP
    m.set_failure("transmitter_failed", {}, everyone, True)
    step(m, 6)
    assert m.state["link"][0] == LinkState.DOWN_FAILURE
    assert (m.state["station_link"] == LinkState.DOWN_FAILURE).all()
    with pytest.raises(ValueError, match="no antenna 'dish'"):
        m.set_failure("antenna_lost", {"antenna": "dish"}, everyone, True)


def test_restore_takes_over_only_when_needed_and_partial_rejections():
    m = surface(batch=2)
    both = np.ones(2, dtype=bool)
    first = np.array([True, False])
    m.command("take_down", {"antenna": "primary"}, first)
    assert m.command("restore", {"antenna": "backup"}, both) == "antenna backup up, in use"
    assert m.state["selected"].tolist() == [1, 0]
    m.set_failure("antenna_lost", {"antenna": "backup"}, first, True)
    with pytest.raises(CommandRejected) as exc:
        m.command("restore", {"antenna": "backup"}, both)
    assert exc.value.mask.tolist() == [True, False] and exc.value.applied


def test_events_and_geometry_interval():
    """The same run with geometry every step and every 60 s: identical at the 60 s steps;
    an equipment change acts at once even between geometry updates."""
    every = surface()
    sparse = surface(geometry_interval=60.0)
    events: list[ModelEvent] = []
    for t in range(1, 181):
        for m in (every, sparse):
            c = ctx(m, (t - 1) * S, t * S, {}, 1)
            c._events = events if m is sparse else []
            m.step(c)
        if t % 60 == 0:
            np.testing.assert_array_equal(every.state["range"], sparse.state["range"])
        if t == 90:
            sparse.command("take_down", {"antenna": "primary"}, np.ones(1, bool))
    assert [e.message for e in events] == ["LOS DSS-14 Goldstone (failure)"]
    assert sparse.state["geometry_t_ns"][0] == 180 * S


def test_checkpoint_restores_identically(tmp_path):
    world = load("comms-demo")
    straight = Session(world)
    straight.run(3700 * S)
    first = Session(world)
    first.run(3590 * S)
    first.checkpoint(tmp_path / "cp.npz")
    again = Session.restore(tmp_path / "cp.npz")
    again.run(3700 * S)
    for path in ("apollo.comms", "jamestown.comms"):
        for name, arr in straight.by_path[path].state.items():
            np.testing.assert_array_equal(arr, again.by_path[path].state[name], err_msg=name)


BASE = """
[scenario]
name = "base"
description = "the base alone, commanded from the ground"
epoch_utc = "1985-07-17T16:00:00Z"
duration = "30s"

[assets.jamestown]
downlink = "jamestown.comms"

[assets.jamestown.comms]
model = "comms.link"
kind = "surface"
networks = ["dsn"]

[[timeline]]
at = "10s"
target = "jamestown.comms"
command = "restore"
antenna = "backup"
via = "ground"
"""


def test_command_round_trip_takes_two_light_times():
    """A ground command goes up over the link and lands after the light time; the telemetry
    that shows its effect is sampled at the end of that frame and comes down after another
    light time: the ground sees the backup antenna UP at ceil(10 s + lt) + lt."""
    s = Session(loads(BASE, "base.toml"))
    s.run(10 * S)
    lt = s.value("jamestown.comms.light_time_s")[0]  # the uplink's light time at 10 s
    seen = None
    for t in range(11, 31):
        s.run(t * S)
        if seen is None and s.ground_value("jamestown.comms.antenna_backup")[0] == AntennaState.UP:
            seen = t
    assert s.value("jamestown.comms.antenna_backup")[0] == AntennaState.UP
    assert seen == int(np.ceil(np.ceil(10 + lt) + lt))
    applied = [e for e in s.log.events if e.kind == EventKind.COMMAND]
    assert applied[0].t_ns == 10 * S + round(lt * 1e9)

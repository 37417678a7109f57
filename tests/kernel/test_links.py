"""Telemetry reaches the ground over live links after the light time; commands go up the
same way."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from houston.core.time import NS_PER_S
from houston.ops.events import EventKind
from houston.scenario.loader import loads
from houston.scenario.spec import ScenarioError
from houston.session.session import Session

S = NS_PER_S

TEXT = """
[scenario]
name = "links"
description = "a tank on the Moon, heard over a radio"
epoch_utc = "1985-07-17T16:00:00Z"
duration = "60s"

[assets.base]
description = "a lunar base"
downlink = "base.radio"

[assets.base.tank]
model = "test.tank"
level0_m = 10.0
rate_m_s = -0.5

[assets.base.radio]
model = "test.radio"
light_time_s = 1.25

[assets.ship.tank]
model = "test.tank"
level0_m = 3.0

[[timeline]]
at = "20s"
target = "base.radio"
failure = "los"

[[timeline]]
at = "30s"
target = "base.radio"
repair = "los"

[[timeline]]
at = "10s"
target = "base.tank"
command = "set_rate"
rate_m_s = 0.0
via = "ground"

[[timeline]]
at = "25s"
target = "base.tank"
command = "set_rate"
rate_m_s = 1.0
via = "ground"
"""


def test_ground_hears_after_the_light_time_and_only_over_a_live_link() -> None:
    s = Session(loads(TEXT, "l.toml"))
    s.start()
    assert np.isnan(s.ground_value("base.tank.level_m")[0])  # nothing heard yet
    assert s.ground_value("ship.tank.level_m")[0] == 3.0  # no downlink declared: heard at once
    s.run(5 * S)
    # The sample of 3 s left at 3 s and arrived at 4.25 s; the one of 4 s is still in flight.
    assert s.ground_value("base.tank.level_m")[0] == s.value("base.tank.level_m")[0] + 0.5 * 2
    assert s.ground.age_s("base", s.t_ns)[0] == pytest.approx(2.0)
    # The link is cut at 20 s, after the sample of 20 s had left: that is the last one heard.
    s.run(25 * S)
    assert s.ground.heard_ns[0, s.ground.asset_index["base"]] == 20 * S
    assert s.ground.age_s("base", s.t_ns)[0] == pytest.approx(5.0)
    s.run(40 * S)
    assert s.ground.age_s("base", s.t_ns)[0] == pytest.approx(2.0)


def test_truth_never_reaches_the_ground_and_limits_use_what_was_heard() -> None:
    s = Session(loads(TEXT, "l.toml"))
    s.run(60 * S)
    lim = [e for e in s.log.events if e.kind == EventKind.LIMIT and e.source == "base.tank"]
    # The level falls 0.5 m/s from 10 m: the sample of 11 s (4.5 m) is the first below the 5 m
    # caution (the ground command sent at 10 s stops it at 11.25 s, at 4.375 m). That sample
    # reaches the ground at 12.25 s, so the ground's caution comes with the frame of 13 s.
    assert lim and lim[0].t_ns == 13 * S
    assert lim[0].data["value"] == 4.5


def test_ground_commands_arrive_after_the_light_time_or_are_not_sent() -> None:
    s = Session(loads(TEXT, "l.toml"))
    s.run(60 * S)
    cmds = [
        (e.t_ns, e.kind, e.message)
        for e in s.log.events
        if e.source == "base.tank" and e.kind in (EventKind.COMMAND, EventKind.COMMAND_REJECTED)
    ]
    assert cmds[0] == (int(11.25 * S), EventKind.COMMAND, "CMD set_rate: rate 0 m/s")
    assert cmds[1][0] == 25 * S and cmds[1][1] == EventKind.COMMAND_REJECTED
    assert "NOT SENT: no uplink to base (loss of signal)" in cmds[1][2]
    # The level stopped exactly at the arrival time, 11.25 s: 10 - 0.5 * 11.25.
    assert s.by_path["base.tank"].state["level"][0] == pytest.approx(4.375, abs=1e-12)


def test_operator_commands_use_the_uplink() -> None:
    s = Session(loads(TEXT, "l.toml"))
    s.run(2 * S)
    s.send("base.tank", "set_rate", {"rate_m_s": 0.25})
    s.run(5 * S)
    applied = [e for e in s.log.events if e.kind == EventKind.COMMAND]
    assert applied[0].t_ns == int(3.25 * S)  # sent at the next frame start, 2 s + 1.25 s


def test_checkpoint_carries_packets_in_flight(tmp_path) -> None:  # type: ignore[no-untyped-def]
    world = loads(TEXT, "l.toml")
    straight = Session(world)
    straight.run(45 * S)
    first = Session(world)
    first.run(32 * S)
    first.checkpoint(tmp_path / "cp.npz")
    resumed = Session.restore(tmp_path / "cp.npz")
    resumed.run(45 * S)
    assert np.array_equal(straight.ground.values, resumed.ground.values, equal_nan=True)
    assert np.array_equal(straight.ground.heard_ns, resumed.ground.heard_ns)


def test_downlink_must_carry_a_link() -> None:
    bad = TEXT.replace('downlink = "base.radio"', 'downlink = "base.tank"')
    with pytest.raises(
        ScenarioError, match=r"base\.tank cannot carry a downlink: it needs an output 'link_up'"
    ):
        loads(bad, "l.toml")
    bad = TEXT.replace('downlink = "base.radio"', 'downlink = "base.dish"')
    with pytest.raises(ScenarioError, match=r"no system 'base\.dish'"):
        loads(bad, "l.toml")
    bad = TEXT.replace('failure = "los"', 'failure = "los"\nvia = "ground"')
    with pytest.raises(ScenarioError, match="only a command can be sent from the ground"):
        loads(bad, "l.toml")


def test_archive_keeps_what_the_ground_heard(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The truth is archived every frame; the receptions let a post-mortem rebuild the
    ground's view: the gap of the loss of signal and the light-time lag."""
    from houston.archive.store import Archive
    from houston.session.sinks import ArchiveSink

    s = Session(loads(TEXT, "l.toml"), sinks=[ArchiveSink(tmp_path / "r")])
    s.run()
    s.close()
    with Archive(tmp_path / "r") as a:
        assert a.downlinks() == {"base": "base.radio"}
        g = a.ground_telemetry(["base.tank.level_m", "ship.tank.level_m"]).to_pydict()
        truth = a.telemetry(["base.tank.level_m"]).column("base.tank.level_m").to_pylist()
    t = [x // S for x in g["t_ns"]]
    level, age = g["base.tank.level_m"], g["base.age_s"]
    assert level[:2] == [None, None] and age[:2] == [None, None]  # nothing heard yet
    assert level[t.index(5)] == truth[3] and age[t.index(5)] == 2.0
    assert age[t.index(30)] == 10.0  # last heard: the sample of 20 s, before the loss of signal
    assert age[t.index(33)] == 2.0  # heard again after the repair at 30 s
    assert g["ship.tank.level_m"][0] == 3.0  # no downlink: heard at once


class _Reference:
    """The ground's view computed the plain way: one packet per frame and asset, delivered in
    the order sent, a packet overtaken by a newer one dropped."""

    def __init__(self, batch: int, n_params: int, cols: dict[int, list[int]]) -> None:
        self.values = np.full((batch, n_params), np.nan)
        self.heard = np.full((batch, len(cols)), -1, dtype=np.int64)
        self.cols = cols
        self.inflight: list[list[Any]] = []
        self.dropped = 0

    def update(self, t: int, values: np.ndarray, up: np.ndarray, light_ns: np.ndarray) -> list[Any]:
        for asset in sorted(self.cols):
            if up[asset].any():
                c = self.cols[asset]
                self.inflight.append(
                    [t, asset, values[:, c].copy(), t + light_ns[asset], up[asset].copy()]
                )
        got = []
        for pkt in self.inflight:
            t_sample, asset, vals, arrival, pending = pkt
            due = pending & (arrival <= t)
            self.dropped += int((due & (self.heard[:, asset] >= t_sample)).sum())
            for r in np.flatnonzero(due & (self.heard[:, asset] < t_sample)):
                self.values[r, self.cols[asset]] = vals[r]
                self.heard[r, asset] = t_sample
                got.append((int(r), f"a{asset}", t_sample, t))
            pkt[4] = pending & ~due
        self.inflight = [p for p in self.inflight if p[4].any()]
        return got


def test_ground_view_matches_the_plain_packet_by_packet_view() -> None:
    """Random link states per run and light times that shrink and grow (so that samples are
    overtaken), a batch of three, two linked assets and one heard directly, a truth parameter,
    and a checkpoint round trip in flight."""
    from houston.ops.catalog import Catalog, ParameterInfo
    from houston.session.links import GroundView

    def info(name: str, column: int, truth: bool = False) -> ParameterInfo:
        return ParameterInfo(name, column, "1", "", "float", (), None, None, name, truth)

    names = ["a0.s.x", "a0.s.y", "a0.s.t", "a1.s.x", "a2.s.x", "a2.s.y"]
    catalog = Catalog(info(n, i, truth=n.endswith(".t")) for i, n in enumerate(names))
    batch = 3
    view = GroundView(catalog, batch, {"a0": "a0.radio", "a1": "a1.radio"})
    ref = _Reference(batch, len(names), {0: [0, 1], 1: [3]})
    rng = np.random.default_rng(7)
    up = np.ones((2, batch), dtype=bool)
    deliveries = 0
    for frame in range(400):
        t = frame * S
        values = rng.normal(size=(batch, len(names)))
        up ^= rng.random((2, batch)) < 0.1
        light_s = rng.uniform(0.0, 3.5, size=(2, batch))
        bus = {
            "a0.radio.link_up": up[0].astype(float),
            "a0.radio.light_time_s": light_s[0],
            "a1.radio.link_up": up[1].astype(float),
            "a1.radio.light_time_s": light_s[1],
        }
        view.update(t, values, bus)
        want = ref.update(t, values, up, np.rint(light_s * 1e9).astype(np.int64))
        got = [(r.run, r.asset, r.t_sample_ns, r.t_received_ns) for b in view.received for r in b]
        view.received = []
        assert got == want, frame
        deliveries += len(got)
        assert np.array_equal(view.values[:, [0, 1, 3]], ref.values[:, [0, 1, 3]], equal_nan=True)
        assert np.array_equal(view.values[:, [4, 5]], values[:, [4, 5]])  # heard at once
        assert np.isnan(view.values[:, 2]).all()  # truth stays on board
        assert np.array_equal(view.heard_ns[:, [0, 1]], ref.heard)
        assert (view.heard_ns[:, 2] == t).all()
        if frame % 97 == 50:  # a checkpoint in flight restores to the same view
            state = {k: np.array(v) for k, v in view.state().items()}
            assert any(k.startswith("packet") for k in state)
            view = GroundView(catalog, batch, {"a0": "a0.radio", "a1": "a1.radio"})
            view.load_state(state)
    assert deliveries > 300 and ref.dropped > 10

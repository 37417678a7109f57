"""The frame loop: ordering, pacing, pause, checkpoints, batches and determinism."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from houston.archive.store import Archive
from houston.core.time import NS_PER_S
from houston.ops.events import EventKind
from houston.scenario.loader import loads
from houston.scenario.spec import EntrySpec
from houston.session.pacing import Pacer, parse_speed
from houston.session.session import CommandError, Session
from houston.session.sinks import ArchiveSink, EventSink
from houston.session.timeline import Timeline

from ..conftest import tables_equal


class FakeClock:
    """A wall clock that only moves when the loop sleeps (or when a test says so)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def entry(t: int, kind: str, seq: int, name: str = "x") -> EntrySpec:
    return EntrySpec(t, kind, name, "a.tank", {}, "", seq)  # type: ignore[arg-type]


def test_equal_times_order_by_kind_then_declaration() -> None:
    tl = Timeline(
        [
            entry(5, "event", 0),
            entry(5, "command", 1),
            entry(5, "repair", 2),
            entry(5, "failure", 3),
            entry(5, "command", 4),
            entry(3, "event", 5),
        ]
    )
    due = tl.pop_due(5)
    assert [(e.t_ns, e.kind, e.seq) for e in due] == [
        (3, "event", 5),
        (5, "failure", 3),
        (5, "repair", 2),
        (5, "command", 1),
        (5, "command", 4),
        (5, "event", 0),
    ]


def test_same_time_commands_apply_in_declaration_order(tank_text: str) -> None:
    text = (
        tank_text
        + """
[[timeline]]
at = "10s"
target = "a.tank"
command = "set_rate"
rate_m_s = 1.0

[[timeline]]
at = "10s"
target = "a.tank"
command = "set_rate"
rate_m_s = 2.0
"""
    )
    s = Session(loads(text, "t.toml"))
    s.run(11 * NS_PER_S)
    assert s.by_path["a.tank"].state["rate"][0] == 2.0
    cmds = [e.message for e in s.log.events if e.kind == EventKind.COMMAND]
    assert cmds[:2] == ["CMD set_rate: rate 1 m/s", "CMD set_rate: rate 2 m/s"]


def test_entry_inside_a_frame_splits_it(tank_world: Any) -> None:
    """The command at 85.5 s stops the tank exactly then, not at a frame boundary."""
    s = Session(tank_world)
    s.run(90 * NS_PER_S)
    # rate -0.1 (0-30 s), -0.2 (30-80 s; the 70 s command is refused while stuck),
    # 0.5 after the repair? no: the repair at 80 s does not re-apply the refused command.
    level = s.by_path["a.tank"].state["level"][0]
    assert level == pytest.approx(10.0 - 0.1 * 30 - 0.2 * 55.5, abs=1e-9)


def test_failure_refuses_commands_and_repair_restores(tank_world: Any) -> None:
    s = Session(tank_world)
    s.run()
    kinds = [(e.t_ns // NS_PER_S, e.kind) for e in s.log.events if e.run == 0]
    assert (60, EventKind.FAILURE) in kinds
    assert (70, EventKind.COMMAND_REJECTED) in kinds
    assert (80, EventKind.REPAIR) in kinds
    rejected = [e for e in s.log.events if e.kind == EventKind.COMMAND_REJECTED]
    assert rejected[0].message == "CMD set_rate REJECTED: valve stuck"


def test_inputs_flow_between_models(tank_world: Any) -> None:
    """b's level rises at a's outflow rate (read from the bus, one frame late for the first
    step since b steps after a: here a steps first, so the value is current)."""
    s = Session(tank_world)
    s.run(10 * NS_PER_S)
    assert s.by_path["b.tank"].state["level"][0] == pytest.approx(20.0 + 0.1 * 10, abs=1e-9)


def test_pacing_holds_speed_with_a_fake_clock(tank_world: Any) -> None:
    clock = FakeClock()
    s = Session(tank_world)
    s.run(60 * NS_PER_S, pacer=Pacer(10.0, clock=clock, sleep=clock.sleep))
    # 60 s of simulated time at 10x real time is 6 s of wall time, paced frame by frame.
    assert clock.now - 100.0 == pytest.approx(6.0, abs=1e-9)
    assert len(clock.slept) == 60
    assert all(d == pytest.approx(0.1, abs=1e-9) for d in clock.slept)


def test_pacing_does_not_sleep_when_behind() -> None:
    clock = FakeClock()
    p = Pacer(1.0, clock=clock, sleep=clock.sleep)
    p.anchor(0)
    clock.now += 5.0  # the loop fell 5 s behind
    p.wait(2 * NS_PER_S)
    assert clock.slept == [] and p.lag_s == pytest.approx(3.0)


def test_max_speed_never_sleeps(tank_world: Any) -> None:
    clock = FakeClock()
    Session(tank_world).run(30 * NS_PER_S, pacer=Pacer(None, clock=clock, sleep=clock.sleep))
    assert clock.slept == []


def test_parse_speed() -> None:
    assert parse_speed("max") is None
    assert parse_speed("60") == 60.0
    with pytest.raises(ValueError, match="positive factor"):
        parse_speed("0")
    with pytest.raises(ValueError, match="positive factor"):
        parse_speed("warp")


def test_pause_and_resume(tank_world: Any) -> None:
    """Pause from a callback, resume later: the pause holds the loop, no frame is lost, and
    the pacer re-anchors so the paused wall time is not made up by racing."""
    clock = FakeClock()
    s = Session(tank_world)
    seen: list[int] = []

    def progress(t_ns: int, end: int) -> None:
        seen.append(t_ns)
        if t_ns == 5 * NS_PER_S:
            s.pause()
            import threading

            def later() -> None:
                clock.now += 50.0
                s.resume()

            threading.Timer(0.05, later).start()

    s.run(10 * NS_PER_S, pacer=Pacer(1.0, clock=clock, sleep=clock.sleep), progress=progress)
    assert seen == [k * NS_PER_S for k in range(1, 11)]
    msgs = [e.message for e in s.log.events if e.kind == EventKind.SESSION]
    assert "paused" in msgs and "resumed" in msgs
    # Ten frames of 1 s each were paced; had the pacer not re-anchored after the pause, the
    # 50 s of pause would have been "made up" by skipping the last five sleeps.
    assert sum(clock.slept) == pytest.approx(10.0, abs=1e-6)


def test_operator_commands(tank_world: Any) -> None:
    s = Session(tank_world)
    s.run(5 * NS_PER_S)
    with pytest.raises(CommandError, match="unknown field"):
        s.send("a.tank", "set_rate", {"rate_furlongs": 1})
    with pytest.raises(CommandError, match=r"no command 'drain'"):
        s.send("a.tank", "drain")
    with pytest.raises(CommandError, match=r"no system 'c\.tank'"):
        s.send("c.tank", "set_rate", {"rate_m_s": 1})
    s.send("a.tank", "set_rate", {"rate_m_s": 0.0})
    s.run(6 * NS_PER_S)
    assert s.by_path["a.tank"].state["rate"][0] == 0.0
    assert [e.data["origin"] for e in s.log.events if e.kind == EventKind.COMMAND] == ["operator"]


def test_checkpoint_restore_continues_identically(tank_world: Any, tmp_path: Path) -> None:
    straight = Session(tank_world, seed=4, batch=3, sinks=[ArchiveSink(tmp_path / "straight")])
    straight.run()
    straight.close()

    first = Session(tank_world, seed=4, batch=3)
    first.run(65 * NS_PER_S)  # after the failure, before the refused command and the repair
    first.checkpoint(tmp_path / "cp.npz")
    resumed = Session.restore(tmp_path / "cp.npz", sinks=[ArchiveSink(tmp_path / "resumed")])
    resumed.run()
    resumed.close()

    with Archive(tmp_path / "straight") as a, Archive(tmp_path / "resumed") as b:
        ta = a.telemetry(start_ns=65 * NS_PER_S)
        tb = b.telemetry()
        assert ta.num_rows == tb.num_rows == 3 * 56
        assert ta.equals(tb)
        later = [
            r
            for r in a.events().to_pylist()
            if r["t_ns"] > 65 * NS_PER_S and r["kind"] != "session"
        ]
        got = [r for r in b.events().to_pylist() if r["kind"] != "session"]
        assert later and later == got
        ca = [r for r in a.commands().to_pylist() if r["t_ns"] > 65 * NS_PER_S]
        assert ca and ca == b.commands().to_pylist()


def test_same_seed_same_archive(tank_world: Any, tmp_path: Path) -> None:
    for name in ("one", "two"):
        s = Session(tank_world, seed=11, batch=2, sinks=[ArchiveSink(tmp_path / name)])
        s.run()
        s.close()
    with Archive(tmp_path / "one") as a, Archive(tmp_path / "two") as b:
        assert tables_equal(a, b)
    s = Session(tank_world, seed=12, batch=2, sinks=[ArchiveSink(tmp_path / "three")])
    s.run()
    s.close()
    with Archive(tmp_path / "one") as a, Archive(tmp_path / "three") as c:
        assert not a.table("telemetry").equals(c.table("telemetry"))


def test_batch_rows_equal_single_runs(tank_world: Any) -> None:
    batch = Session(tank_world, seed=20, batch=4)
    frames_b = []
    batch.sinks.append(_Frames(frames_b))
    batch.run()
    for i in range(4):
        single = Session(tank_world, seed=20 + i, batch=1)
        frames_s: list[np.ndarray] = []
        single.sinks.append(_Frames(frames_s))
        single.run()
        assert len(frames_s) == len(frames_b)
        for fb, fs in zip(frames_b, frames_s, strict=True):
            assert np.array_equal(fb[i], fs[0], equal_nan=True)


def test_event_masks_follow_runs(tank_world: Any) -> None:
    text_world = loads(
        tank_world.text.replace("level0_m = 10.0", "level0_m = 2.0"),
        "t.toml",
        ["timeline.0.runs=[1]"],
    )
    s = Session(text_world, batch=2)
    s.run()
    cmd = [(e.run, e.t_ns) for e in s.log.events if e.kind == EventKind.COMMAND]
    assert (1, 30 * NS_PER_S) in cmd and (0, 30 * NS_PER_S) not in cmd
    empty = [e.run for e in s.log.events if e.message == "tank empty"]
    assert empty == [1, 0] or sorted(empty) == [0, 1]


def test_events_go_to_sinks(tank_world: Any) -> None:
    got: list[Any] = []
    s = Session(tank_world, sinks=[EventSink(got.append)])
    s.run()
    s.close()
    assert [e.seq for e in got] == list(range(len(got)))
    assert got[0].kind == EventKind.SESSION and got[-1].message.startswith("session ended")


class _Frames:
    def __init__(self, store: list[np.ndarray]) -> None:
        self.store = store

    def begin(self, session: Any) -> None: ...
    def frame(self, t_ns: int, values: np.ndarray) -> None:
        self.store.append(values.copy())

    def events(self, events: Any) -> None: ...
    def commands(self, records: Any) -> None: ...
    def flush(self) -> None: ...
    def close(self) -> None: ...

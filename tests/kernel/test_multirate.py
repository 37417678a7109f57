"""Systems that step slower than the frame (``step = "10s"``): their own clock, steps split by
the entries that target them, held outputs, the end of a run, checkpoints and batches."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from houston.archive.store import Archive
from houston.core.model import (
    Command,
    Failure,
    Model,
    Param,
    Signal,
    State,
    StepContext,
    Telemetry,
    register,
)
from houston.core.time import NS_PER_S
from houston.scenario.loader import loads
from houston.scenario.spec import ScenarioError
from houston.session.session import Session, Sink
from houston.session.sinks import ArchiveSink

from ..conftest import tables_equal


@register
class Relax(Model):
    """First-order relaxation toward a target, stepped exactly:
    x' = (u + drive - x) / tau, so x(t1) = g + (x(t0) - g) exp(-(t1 - t0) / tau) for a
    constant goal g = u + drive. The exact step makes one 10 s step equal ten 1 s steps (to
    rounding), which is what a slower step rate must preserve. It also records its own step
    bounds and draws one random number per step."""

    type_name = "test.relax"
    summary = "test model: exact first-order relaxation"
    params = (
        Param("x0", "1", "initial value", 0.0),
        Param("target", "1", "initial target", 1.0),
        Param("tau", "s", "time constant", 20.0, min=1e-3),
        Param("noise", "1", "scale of the per-step draw", 0.0),
    )
    states = (
        State("x"),
        State("u"),
        State("steps", dtype="int64"),
        State("t0", "s"),
        State("t1", "s"),
        State("draw"),
    )
    inputs = (Signal("drive", "1", (), "added to the target", optional=True),)
    outputs = (Signal("x", "1", (), "the value"),)
    telemetry = (
        Telemetry("x", "1", "the value"),
        Telemetry("steps", "1", "steps taken", kind="int"),
        Telemetry("draw", "1", "the last step's random draw"),
    )
    commands = (Command("set_target", "a new target", (Param("goal", "1", "the target"),)),)
    failures = (Failure("frozen", "x does not move"),)

    def initialize(self, ctx: StepContext) -> None:
        self.state["x"][:] = self.p["x0"]
        self.state["u"][:] = self.p["target"]

    def step(self, ctx: StepContext) -> None:
        goal = self.state["u"] + ctx.inputs["drive"]
        moving = ~self.failed("frozen")
        decay = math.exp(-ctx.dt_s / self.p["tau"])
        x = self.state["x"]
        x[moving] = (goal + (x - goal) * decay)[moving]
        self.state["steps"] += 1
        self.state["t0"][:] = ctx.t0_s
        self.state["t1"][:] = ctx.t1_s
        self.state["draw"][:] = self.p["noise"] * ctx.random.normal("draw")

    def command(self, name: str, args: Mapping[str, Any], mask: Any) -> str | None:
        self.state["u"][mask] = args["goal"]
        return f"target {args['goal']:g}"

    def output_values(self) -> Mapping[str, Any]:
        return {"x": self.state["x"]}

    def telemetry_values(self) -> Mapping[str, Any]:
        return {"x": self.state["x"], "steps": self.state["steps"], "draw": self.state["draw"]}


SCENARIO = """
[scenario]
name = "relax"
description = "one system every frame, one every 10 s"
epoch_utc = "1985-07-17T16:00:00Z"
duration = "1min"
frame = "1s"

[assets.fast.sys]
model = "test.relax"
noise = 1.0

[assets.slow.sys]
model = "test.relax"
step = "10s"
noise = 1.0

[assets.follow.sys]
model = "test.relax"
step = "10s"
target = 0.0
inputs = { drive = "fast.sys.x" }

[[timeline]]
at = "25.5s"
target = "slow.sys"
command = "set_target"
goal = 3.0

[[timeline]]
at = "25.5s"
target = "fast.sys"
command = "set_target"
goal = 3.0

[[timeline]]
at = "33.25s"
target = "fast.sys"
failure = "frozen"
"""


class Frames(Sink):
    """Keeps every frame and each system's clock at that frame."""

    def __init__(self) -> None:
        self.t: list[int] = []
        self.values: list[np.ndarray] = []
        self.session: Session | None = None
        self.t_sys: list[list[int]] = []

    def begin(self, session: Session) -> None:
        self.session = session

    def frame(self, t_ns: int, values: np.ndarray) -> None:
        assert self.session is not None
        self.t.append(t_ns)
        self.values.append(values.copy())
        self.t_sys.append(list(self.session.t_sys))

    def column(self, name: str, run: int = 0) -> np.ndarray:
        assert self.session is not None
        j = self.session.catalog.index[name]
        return np.array([v[run, j] for v in self.values])


def session(overrides: tuple[str, ...] = (), **kw: Any) -> tuple[Session, Frames]:
    frames = Frames()
    s = Session(
        loads(SCENARIO, "relax.toml", overrides), sinks=[frames, *kw.pop("sinks", [])], **kw
    )
    return s, frames


def test_a_slow_system_equals_a_fast_one_where_the_model_is_exact() -> None:
    s, f = session()
    s.run()
    fast, slow = s.by_path["fast.sys"], s.by_path["slow.sys"]
    # fast.sys froze at 33.25 s: compare before that, where both had the same target history.
    s2, _ = session(("timeline.2.at=2min",))
    s2.run()
    assert s2.by_path["slow.sys"].state["x"][0] == pytest.approx(
        s2.by_path["fast.sys"].state["x"][0], rel=1e-13
    )
    x_fast = f.column("fast.sys.x")
    x_slow = f.column("slow.sys.x")
    for t in (10, 20):
        assert x_slow[t] == pytest.approx(x_fast[t], rel=1e-13)
    assert x_slow[25] == x_slow[20] != x_fast[25]
    # The slow system's steps: 0-10, 10-20, 20-25.5 (the command), 25.5-36 (the first frame
    # end with 10 s accumulated), 36-46, 46-56, 56-60 (the end of the run).
    assert int(slow.state["steps"][0]) == 7
    assert (slow.state["t0"][0], slow.state["t1"][0]) == pytest.approx((56.0, 60.0), abs=1e-12)
    assert int(fast.state["steps"][0]) == 62  # 60 frames, two split by entries
    assert s.t_sys == [60 * NS_PER_S] * 3
    ends = [t_sys[1] // 10**8 for t_sys in f.t_sys]
    assert sorted(set(ends)) == [0, 100, 200, 255, 360, 460, 560, 600]
    # At 36 s the slow value is the exact solution through the command at 25.5 s.
    g1 = 1.0 + (0.0 - 1.0) * math.exp(-25.5 / 20.0)
    assert x_slow[36] == pytest.approx(3.0 + (g1 - 3.0) * math.exp(-10.5 / 20.0), rel=1e-13)


def test_outputs_and_telemetry_hold_between_steps() -> None:
    s, f = session()
    s.run(19 * NS_PER_S)
    x = f.column("slow.sys.x")
    steps = f.column("slow.sys.steps")
    assert np.all(x[1:10] == x[0]) and np.all(x[10:19] == x[10]) and x[10] != x[0]
    assert list(steps[:11]) == [0] * 10 + [1]
    # follow.sys reads fast.sys.x when it steps: at the end of the frame to 10 s, after
    # fast.sys (earlier in the scenario's order) has stepped there; not the frames between.
    s3, f3 = session()
    for _ in range(15):
        s3.step_frame()
    assert s3.bus["slow.sys.x"][0] == f.column("slow.sys.x")[10]
    assert s3.t_sys == [15 * NS_PER_S, 10 * NS_PER_S, 10 * NS_PER_S]
    assert s3.lagging() == ["slow.sys", "follow.sys"]
    goal = f3.column("fast.sys.x")[10]
    follow = f3.column("follow.sys.x")
    assert follow[10] == pytest.approx(goal * (1 - math.exp(-10 / 20)), rel=1e-14)
    assert np.all(follow[:10] == 0.0) and np.all(follow[10:] == follow[10])
    s3.sync()
    assert s3.lagging() == []
    assert s3.by_path["follow.sys"].state["t0"][0] == 10.0


def test_entries_split_only_the_steps_of_their_target() -> None:
    s, f = session()
    s.run(40 * NS_PER_S)
    follow = f.t_sys
    # follow.sys is targeted by nothing: it steps every 10 s, and at the end of the run.
    assert sorted({t[2] // NS_PER_S for t in follow}) == [0, 10, 20, 30, 40]
    # fast.sys was split at 25.5 s and 33.25 s; its clock is the session's at every frame.
    assert all(t[0] == ti for t, ti in zip(follow, f.t, strict=True))
    # The failure at 33.25 s on fast.sys did not step slow.sys.
    assert f.t_sys[34][1] == int(25.5 * NS_PER_S)


def test_entry_at_a_frame_start_steps_its_target_there() -> None:
    s, f = session(("timeline.0.at=13s",))
    s.run(30 * NS_PER_S)
    slow = s.by_path["slow.sys"]
    # The entry at 13 s applies at the start of the frame to 14 s, stepping slow.sys first.
    assert f.t_sys[13][1] == 10 * NS_PER_S
    assert f.t_sys[14][1] == 13 * NS_PER_S
    assert f.t_sys[23][1] == 23 * NS_PER_S
    assert int(slow.state["steps"][0]) == 4  # 0-10, 10-13, 13-23, 23-30


def test_a_run_ends_with_every_system_at_its_time_also_when_stopped() -> None:
    s, _ = session()
    s.run(45 * NS_PER_S)
    assert s.t_sys == [45 * NS_PER_S] * 3
    s2, _ = session()

    def stop(t_ns: int, end_ns: int) -> None:
        if t_ns == 33 * NS_PER_S:
            s2.stop()

    summary = s2.run(progress=stop)
    # The stop came after the frame to 33 s had been sampled, so one more frame syncs them.
    assert summary.stopped and s2.t_ns == 34 * NS_PER_S
    assert s2.lagging() == []
    assert s2.by_path["slow.sys"].state["t0"][0] == 25.5


def test_checkpoint_mid_step_continues_bit_for_bit(tmp_path: Path) -> None:
    a, fa = session(seed=5, batch=2)
    for _ in range(15):
        a.step_frame()
    a.checkpoint(tmp_path / "c.npz")
    fb = Frames()
    b = Session.restore(tmp_path / "c.npz", sinks=[fb])
    assert b.t_sys == a.t_sys == [15 * NS_PER_S, 10 * NS_PER_S, 10 * NS_PER_S]
    n = len(fa.values)
    a.run()
    b.run()
    assert fb.t == fa.t[n - 1 :]
    for va, vb in zip(fa.values[n - 1 :], fb.values, strict=True):
        assert np.array_equal(va, vb)
    for m in a.models:
        for k, v in m.state.items():
            assert np.array_equal(v, b.by_path[m.path].state[k])


def test_a_batch_equals_single_runs_and_the_same_seed_the_same_archive(tmp_path: Path) -> None:
    # An entry for run 1 only still splits the slow system's step for every run.
    over = ("timeline.0.runs=[1]",)
    batch, fb = session(over, seed=7, batch=3, sinks=[ArchiveSink(tmp_path / "a")])
    batch.run()
    batch.close()
    assert batch.by_path["slow.sys"].state["u"].tolist() == [1.0, 3.0, 1.0]
    for i in range(3):
        # Run 1 of the batch is the single run that gets the command (its run 0).
        single, fs = session(("timeline.0.runs=[0]",) if i == 1 else over, seed=7 + i)
        single.run()
        assert fs.t == fb.t
        assert fs.t_sys == fb.t_sys
        for vs, vb in zip(fs.values, fb.values, strict=True):
            assert np.array_equal(vs[0], vb[i])
    again, _ = session(over, seed=7, batch=3, sinks=[ArchiveSink(tmp_path / "b")])
    again.run()
    again.close()
    with Archive(tmp_path / "a") as a, Archive(tmp_path / "b") as b:
        assert tables_equal(a, b)


def test_step_is_validated_and_can_be_set() -> None:
    w = loads(SCENARIO, "relax.toml", ("assets.fast.sys.step=2s",))
    assert [s.step_ns for s in w.systems] == [2 * NS_PER_S, 10 * NS_PER_S, 10 * NS_PER_S]
    lines = SCENARIO.splitlines()
    line = next(i for i, t in enumerate(lines, 1) if t == 'step = "10s"')
    for bad, message in (
        ('"1.5s"', "the step must be a positive multiple of the frame (1 s), got '1.5s'"),
        ('"0s"', "the step must be a positive multiple of the frame (1 s), got '0s'"),
        ('"-10s"', "the step must be a positive multiple of the frame (1 s), got '-10s'"),
        ('"soon"', "expected a duration such as"),
    ):
        with pytest.raises(ScenarioError) as info:
            loads(SCENARIO.replace('step = "10s"', f"step = {bad}", 1), "relax.toml")
        (problem,) = info.value.problems
        assert str(problem).startswith(f"relax.toml:{line}: assets.slow.sys.step: {message}")


def test_check_names_the_slower_systems(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from houston.cli.main import app

    path = tmp_path / "relax.toml"
    path.write_text(SCENARIO)
    result = CliRunner().invoke(app, ["check", str(path), "--set", "assets.follow.sys.step=30s"])
    assert result.exit_code == 0, result.output
    assert "slower systems: slow.sys every 10 s, follow.sys every 30 s" in result.output


class _EverySystemEveryFrame(Session):
    """The schedule's rule applied by looking at every system in every frame (the session
    skips the slower systems while none can be due)."""

    def _step_models(self, t: int, frame_end: bool, final: bool) -> None:
        frame = self.world.frame_ns
        for i, step in enumerate(self.step_ns):
            ts = self.t_sys[i]
            if ts < t and (step == frame or (frame_end and (final or ts + step <= t))):
                self._step_one(i, t)


def test_the_schedule_is_the_rule_applied_to_every_system_every_frame() -> None:
    rng = np.random.default_rng(5)
    steps = ["1s", "2s", "3s", "7s", "10s", "4s"]
    text = SCENARIO.split("[[timeline]]")[0] + "".join(
        f'[assets.s{i}.sys]\nmodel = "test.relax"\nstep = "{st}"\nnoise = 1.0\n'
        f'inputs = {{ drive = "s{(i + 1) % len(steps)}.sys.x" }}\n\n'
        for i, st in enumerate(steps)
    )
    for _ in range(25):  # commands at frame starts and inside frames, on every kind of system
        at = float(rng.choice([rng.integers(1, 119), rng.uniform(1, 119)]))
        text += (
            f'[[timeline]]\nat = "{at:.3f}s"\ntarget = "s{rng.integers(len(steps))}.sys"\n'
            f'command = "set_target"\ngoal = {rng.normal():.3f}\n\n'
        )
    world = loads(text.replace('duration = "1min"', 'duration = "2min"'), "many.toml")
    logs = []
    for cls in (Session, _EverySystemEveryFrame):
        frames = Frames()
        s = cls(world, seed=2, batch=2, sinks=[frames])
        s.run(13 * NS_PER_S)  # a run split in two, and frames stepped one at a time
        for _ in range(9):
            s.step_frame()
        s.run()
        logs.append((frames.t, frames.t_sys, np.stack(frames.values), s.t_sys))
    (t_a, sys_a, v_a, end_a), (t_b, sys_b, v_b, end_b) = logs
    assert t_a == t_b and sys_a == sys_b and end_a == end_b
    assert v_a.tobytes() == v_b.tobytes()
    assert len({tuple(x) for x in sys_a}) > 100  # the clocks did move apart

"""The reactor stepped slower than the frame: ``.venv/bin/python scripts/plot_reactor_steps.py``.

Prints the step-size tables of docs/reactor.md and writes docs/figures/reactor_steps.png
(needs matplotlib, which the tests do not).

1. ``reactor-demo`` without the cable swap (the bullet at 5 min, no protection on reactor A),
   both reactors stepped every 1, 2, 5, 10 and 30 s (``step`` on their system tables), run
   through the session: when core damage happens (the sub-step's time the event carries) and
   when the event is logged (the step's end), the countdown at GET 00:20:00 and its largest
   difference from the 1 s run at the steps' ends, and the wall time of the 90 minutes.
2. The same loss of flow on one reactor stepped directly with its explicit feedback held over
   whole steps (``max_substep`` equal to the step: what the model did before sub-steps; a
   scenario may not set more than 2 s).
3. The regulation after the flow returns: the loss of flow at 5 min, the cross-connect
   restored 25 min later, 3 h in all, at 1 s frames, at 10 s steps in 1 s sub-steps and at
   whole 10 s steps: the power over the last 10 minutes and the time it takes to reach 95 %.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from houston.core.model import ModelEvent, ModelRandom, StepContext, model_class
from houston.core.random import BatchRandom, run_seeds
from houston.core.time import format_get
from houston.scenario.loader import load
from houston.session.session import Session, Sink

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "docs" / "figures"
S = 1_000_000_000
STEPS = (1, 2, 5, 10, 30)


class _Record(Sink):
    def __init__(self, column: int) -> None:
        self.column = column
        self.t: list[float] = []
        self.v: list[float] = []

    def frame(self, t_ns: int, values: np.ndarray) -> None:
        self.t.append(t_ns / S)
        self.v.append(float(values[0, self.column]))


def demo(step: int) -> dict[str, Any]:
    world = load(
        "reactor-demo",
        [
            'timeline.4.at="2h"',
            f'assets.jamestown.reactor_a.step="{step}s"',
            f'assets.jamestown.reactor_b.step="{step}s"',
        ],
    )
    s = Session(world)
    rec = _Record(s.catalog.index["jamestown.reactor_a.time_to_core_damage_s"])
    s.sinks.append(rec)
    t0 = time.perf_counter()
    s.run(90 * 60 * S)
    wall = time.perf_counter() - t0
    [event] = [e for e in s.log.events if e.message.startswith("CORE DAMAGE")]
    return {
        "t": np.array(rec.t),
        "ttd": np.array(rec.v),
        "at_ns": int(event.data["at_ns"]),
        "logged_ns": event.t_ns,
        "wall": wall,
    }


class Stepper:
    """One reactor stepped every ``step`` seconds, as the session steps a slower system."""

    def __init__(self, **params: Any) -> None:
        cls = model_class("reactor.fission_surface")
        values = {p.name: p.default for p in cls.params}
        values.update(params)
        self.m = cls("jamestown.reactor_a", values, 1)
        self.events: list[ModelEvent] = []
        self.inputs = {s.name: np.full((1, *s.shape), s.default) for s in self.m.inputs}
        rng = ModelRandom(BatchRandom(run_seeds(5, 1)), self.m.path)
        self.ctx = StepContext(0, 0, -1, self.inputs, rng, self.events)
        self.m.initialize(self.ctx)
        self.t = 0

    def go(self, seconds: int, step: int) -> None:
        for _ in range(seconds // step):
            t1 = self.t + step * S
            self.ctx.reset(self.t, t1, self.t // S, self.inputs)
            self.m.step(self.ctx)
            self.t = t1

    def lose_the_pump(self) -> None:
        one = np.ones(1, dtype=bool)
        self.m.command("disconnect_backup", {}, one)
        self.m.set_failure("pump_drive_cut", {}, one, True)


def whole_steps(step: int) -> tuple[float, float]:
    """Core damage (s after the loss of flow) and the countdown at GET 00:20:00 with the
    feedback and the drums held over whole steps."""
    r = Stepper(max_substep=float(step))
    r.go(300, step)
    r.lose_the_pump()
    r.go(1200 - 300, step)
    ttd = float(r.m.state["ttd"][0])
    r.go(3600 - 1200, step)
    at = next(e.data["at_ns"] for e in r.events if e.message.startswith("CORE DAMAGE"))
    return at / S - 300.0, ttd


def recovery(step: int, substep: float) -> dict[str, Any]:
    r = Stepper(max_substep=substep, prediction_interval=1e9)
    r.go(300, step)
    r.lose_the_pump()
    r.go(1500, step)
    r.m.command("restore_cross_connect", {}, np.ones(1, dtype=bool))
    t, n = [], []
    while r.t < 3 * 3600 * S:
        r.go(step, step)
        t.append(r.t / S)
        n.append(float(r.m.state["n"][0]))
    ta, na = np.array(t), np.array(n)
    last = ta > ta[-1] - 600
    return {
        "t": ta,
        "n": na,
        "mean": na[last].mean(),
        "low": na[last].min(),
        "high": na[last].max(),
        "up": ta[np.flatnonzero(na > 0.95)[0]] - 1800.0,
    }


def main() -> None:
    runs = {step: demo(step) for step in STEPS}
    base = runs[1]
    i20 = int(np.searchsorted(base["t"], 1200.0))
    print(
        "| reactor step | core damage (its sub-step) | logged | countdown at GET 00:20:00 "
        "| largest countdown difference at the steps' ends | 90 min of reactor-demo |"
    )
    print("|---|---|---|---|---|---|")
    for step, r in runs.items():
        assert np.array_equal(r["t"], base["t"])
        ends = (r["t"] % step == 0) & (r["t"] >= 300) & (r["t"] * S < base["at_ns"])
        ok = ends & np.isfinite(base["ttd"])
        diff = np.abs(r["ttd"][ok] - base["ttd"][ok]).max()
        print(
            f"| {step} s | {format_get(r['at_ns'])} | {format_get(r['logged_ns'])} | "
            f"{r['ttd'][i20]:,.0f} s | {diff:.1f} s | {r['wall']:.2f} s |"
        )
    print()
    print(
        "| whole steps of | core damage after the loss of flow | early by | countdown at 00:20:00 |"
    )
    print("|---|---|---|---|")
    ref_at, ref_ttd = whole_steps(1)
    for step in STEPS:
        at, ttd = whole_steps(step)
        print(
            f"| {step} s | {at:,.0f} s | {ref_at - at:.0f} s | {ttd:,.0f} s ({ttd - ref_ttd:+.0f} s) |"
        )
    print()
    print("| stepping | power over the last 10 min of 3 h | mean | 95 % after the swap |")
    print("|---|---|---|---|")
    cases = {"1 s frames": (1, 1.0), "10 s steps, 1 s sub-steps": (10, 1.0)}
    cases["10 s steps, 2 s sub-steps"] = (10, 2.0)
    cases["whole 10 s steps"] = (10, 10.0)
    rec = {}
    for name, (step, sub) in cases.items():
        r = rec[name] = recovery(step, sub)
        print(
            f"| {name} | {100 * r['low']:.1f}-{100 * r['high']:.1f} % | "
            f"{100 * r['mean']:.2f} % | {r['up'] / 60:.1f} min |"
        )
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4.5))
    for step, style in ((1, "k-"), (10, "C0--"), (30, "C1:")):
        r = runs[step]
        m = (r["t"] >= 300) & np.isfinite(r["ttd"])
        a.plot(r["t"][m] / 60, r["ttd"][m] / 60, style, label=f"{step} s steps (sub-steps of 1 s)")
    for step in (10, 30):
        r = Stepper(max_substep=float(step))
        r.go(300, step)
        r.lose_the_pump()
        t, v = [], []
        while r.t < 3100 * S:
            r.go(step, step)
            t.append(r.t / S / 60)
            v.append(float(r.m.state["ttd"][0]) / 60)
        a.plot(t, v, "C3-" if step == 10 else "C3:", label=f"whole {step} s steps")
    a.set_xlabel("minutes (loss of flow at 5)")
    a.set_ylabel("countdown to core damage, min")
    a.set_title("reactor-demo without the swap")
    a.legend(fontsize=8)
    for name, style, width in zip(
        reversed(rec), ("C3-", "C2:", "C0--", "k-"), (0.5, 1.5, 1.5, 1.0), strict=True
    ):
        r = rec[name]
        b.plot(r["t"] / 60, 100 * r["n"], style, label=name, lw=width)
    b.set_xlim(55, 180)
    b.set_ylim(0, 160)
    b.set_xlabel("minutes (loss of flow at 5, cross-connect at 30)")
    b.set_ylabel("fission power, % of rated")
    b.set_title("the regulation after the flow returns")
    b.legend(fontsize=8)
    fig.tight_layout()
    FIGURES.mkdir(parents=True, exist_ok=True)
    fig.savefig(FIGURES / "reactor_steps.png", dpi=110)
    print(f"wrote {FIGURES / 'reactor_steps.png'}")


if __name__ == "__main__":
    main()

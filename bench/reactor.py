"""Reactor benchmarks: the cost of one ``reactor.fission_surface`` model per frame (1 s), for
a single run and a batch of 10,000, at steady state and during a loss of flow, the cost of
sampling its telemetry (which a session does every frame too), the cost of one
recomputation of the time-to-damage prediction (amortised over ``prediction_interval``), and
the cost of a 10 s step (a system with ``step = "10s"``), calm and in sub-steps.

The model is stepped directly (no session, no archive): what is measured is the physics and
the controllers. The compiled kernels are built (or loaded from numba's cache) before any
timing. ``python bench/reactor.py`` prints the rows.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from houston.core.model import ModelEvent, ModelRandom, StepContext, model_class
from houston.core.random import BatchRandom, run_seeds


class _Stepper:
    def __init__(self, batch: int, **params: Any) -> None:
        cls = model_class("reactor.fission_surface")
        values = {p.name: p.default for p in cls.params}
        values.update(params)
        self.m = cls("bench.reactor", values, batch)
        self.events: list[ModelEvent] = []
        self.inputs = {s.name: np.full((batch, *s.shape), s.default) for s in self.m.inputs}
        rng = BatchRandom(run_seeds(0, batch))
        self.ctx = StepContext(0, 0, -1, self.inputs, ModelRandom(rng, self.m.path), self.events)
        self.m.initialize(self.ctx)
        self.t = 0

    def run(self, frames: int, step_s: int = 1) -> float:
        """Seconds of wall time per step of ``step_s`` seconds (a frame, or a system's own
        longer step)."""
        t0 = time.perf_counter()
        for _ in range(frames):
            t1 = self.t + step_s * 1_000_000_000
            self.ctx.reset(self.t, t1, self.t // 1_000_000_000, self.inputs)
            self.m.step(self.ctx)
            self.t = t1
        self.events.clear()
        return (time.perf_counter() - t0) / frames

    def sample(self, frames: int) -> float:
        """Seconds of wall time per telemetry sample."""
        out = np.full((self.m.batch, len(self.m.telemetry)), np.nan)
        self.m.sample(out)
        t0 = time.perf_counter()
        for _ in range(frames):
            self.m.sample(out)
        return (time.perf_counter() - t0) / frames

    def loss_of_flow(self) -> None:
        everyone = np.ones(self.m.batch, dtype=bool)
        self.m.command("disconnect_backup", {}, everyone)
        self.m.set_failure("pump_drive_cut", {}, everyone, True)

    def prediction(self) -> float:
        """Seconds for one recomputation of the countdown for every run."""
        self.m.state["pred_due"][:] = True
        self.m.state["quiet"][:] = False
        t0 = time.perf_counter()
        recompute = getattr(self.m, "_recompute", None) or (lambda: self.m._predict(0.0))
        recompute()
        return time.perf_counter() - t0


def _row(case: str, batch: int, per_frame: float, step_s: int = 1, **extra: Any) -> dict[str, Any]:
    """``per_frame``: wall time of one step of ``step_s`` (1 s: a frame)."""
    return {
        "case": case,
        "batch": batch,
        "step_s": step_s,
        "ms_per_step": per_frame * 1e3,
        "us_per_run_step": per_frame * 1e6 / batch,
        "x_real_time": step_s / per_frame,
        **extra,
    }


def rows() -> list[dict[str, Any]]:
    out = []
    interval = 60.0
    for batch, frames in ((1, 600), (10_000, 20)):
        s = _Stepper(batch, prediction_interval=1e9)
        s.run(5)
        steady = s.run(frames)
        out.append(_row("steady state (countdown not needed)", batch, steady))
        s.loss_of_flow()
        s.run(30)  # the pump running down
        step = s.run(frames)
        out.append(_row("loss of flow, step only", batch, step))
        out.append(_row("telemetry sample", batch, s.sample(frames)))
        pred = min(s.prediction() for _ in range(3 if batch == 1 else 1))
        out.append(
            _row(
                f"loss of flow, with the countdown every {interval:.0f} s",
                batch,
                step + pred / interval,
                prediction_s=pred,
            )
        )
        # The same model stepped every 10 s (``step = "10s"``): a calm plant takes the step
        # at once; a moving one takes ten sub-steps of 1 s in one compiled call.
        s = _Stepper(batch, prediction_interval=1e9)
        s.run(3, 10)
        steps = max(frames // 5, 4)
        out.append(_row("steady state, 10 s steps (calm)", batch, s.run(steps, 10), 10))
        s.loss_of_flow()
        s.run(3, 10)
        out.append(_row("loss of flow, 10 s steps (ten sub-steps)", batch, s.run(steps, 10), 10))
    return out


def main() -> None:
    for r in rows():
        extra = f", one prediction {r['prediction_s']:.3g} s" if "prediction_s" in r else ""
        print(
            f"{r['case']:<45} batch {r['batch']:>6}: {r['ms_per_step']:9.3f} ms/step of "
            f"{r['step_s']:>2} s, {r['us_per_run_step']:9.2f} µs/run/step, "
            f"{r['x_real_time']:10.1f}× real time{extra}"
        )


if __name__ == "__main__":
    main()

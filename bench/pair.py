"""The Grey's two ``vehicle.pair`` models, step by step: cost and what they report.

One night of ``the-grey`` is run once to record every step's inputs of the pairs
(``pathfinder.radar``, ``buran.missiles``); the steps are then replayed on fresh models of
the same parameters, timed (best of three replays), and their telemetry and events are
compared with those of the night. ``--save FILE`` keeps the replay's telemetry and events
(``.npz``) and ``--against FILE`` compares with a saved one: the largest differences of the
predicted instants and of every other column.

Run: ``.venv/bin/python bench/pair.py [--save FILE] [--against FILE]``.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from houston.comms.pair import _TM, VehiclePair
from houston.core.model import StepContext
from houston.scenario.loader import load
from houston.session.session import Session

SCENARIO = "the-grey"
PAIRS = ("pathfinder.radar", "buran.missiles")


def record() -> tuple[dict[str, dict[str, Any]], int]:
    """Every step of the pairs in one night: (times, inputs) and the model's parameters."""
    world = load(SCENARIO)
    session = Session(world, sinks=[])
    out: dict[str, dict[str, Any]] = {}
    for m in session.models:
        if m.path not in PAIRS:
            continue
        rec: dict[str, Any] = {"params": dict(m.p), "steps": [], "tm": [], "ctx": None}
        out[m.path] = rec

        def step(
            ctx: StepContext, step: Any = m.step, rec: dict[str, Any] = rec, m: Any = m
        ) -> None:
            rec["ctx"] = ctx
            inputs = {k: np.array(v, copy=True) for k, v in ctx.inputs.items()}
            rec["steps"].append((ctx.t0_ns, ctx.t1_ns, ctx.frame, inputs))
            step(ctx)
            rec["tm"].append(m.state["tm"].copy())

        m.step = step  # type: ignore[method-assign]
    session.run(world.duration_ns)
    frames = session.frame_index
    session.close()
    return out, frames


def replay(rec: dict[str, Any], path: str) -> tuple[float, np.ndarray, list[tuple[int, str]]]:
    """Seconds in ``step``, the telemetry of every step, the events (step index, text)."""
    ctx0: StepContext = rec["ctx"]
    model = VehiclePair(path, rec["params"], 1)
    events: list[Any] = []
    ctx = StepContext(0, 0, -1, rec["steps"][0][3], ctx0.random, events, ctx0.epoch)
    model.initialize(ctx)
    tms = np.empty((len(rec["steps"]), len(_TM)))
    texts: list[tuple[int, str]] = []
    spent = 0.0
    for k, (t0, t1, frame, inputs) in enumerate(rec["steps"]):
        ctx.reset(t0, t1, frame, inputs)
        t = time.perf_counter()
        model.step(ctx)
        spent += time.perf_counter() - t
        tms[k] = model.state["tm"][0]
        texts += [(k, e.message) for e in events]
        events.clear()
    return spent, tms, texts


def _diff(a: np.ndarray, b: np.ndarray) -> float:
    both_nan = np.isnan(a) & np.isnan(b)
    same_inf = np.isinf(a) & (a == b)
    d = np.where(both_nan | same_inf, 0.0, np.abs(a - b))
    return float(np.nanmax(np.where(np.isnan(d), np.inf, d))) if d.size else 0.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--save")
    ap.add_argument("--against")
    args = ap.parse_args()
    recs, frames = record()
    saved: dict[str, Any] = {}
    ref = np.load(args.against, allow_pickle=True) if args.against else None
    total = 0.0
    for path in PAIRS:
        rec = recs[path]
        replay(rec, path)  # warm
        runs = [replay(rec, path) for _ in range(3)]
        spent = min(r[0] for r in runs)
        _, tms, texts = runs[0]
        n = len(rec["steps"])
        total += spent
        print(
            f"{path:20s} {spent / n * 1e6:8.1f} us a step ({n:,} steps), "
            f"{spent / frames * 1e6:6.2f} us/frame"
        )
        night = np.array(rec["tm"])[:, 0, :]
        print(f"  replay vs night: largest difference {_diff(tms, night):.3g}")
        saved[f"{path}/tm"] = tms
        saved[f"{path}/events"] = np.array([f"{k} {t}" for k, t in texts])
        if ref is not None:
            old = ref[f"{path}/tm"]
            for c, name in enumerate(_TM):
                d = _diff(tms[:, c], old[:, c])
                if d:
                    print(f"  {name:28s} largest difference {d:.3g}")
            old_ev = list(ref[f"{path}/events"])
            new_ev = list(saved[f"{path}/events"])
            print(f"  events: {len(new_ev)} (saved {len(old_ev)}), same: {old_ev == new_ev}")
            if old_ev != new_ev:
                for e in sorted(set(old_ev) ^ set(new_ev))[:20]:
                    print("   ", "old" if e in old_ev else "new", e)
    print(f"both: {total / frames * 1e6:.2f} us/frame ({frames:,} frames)")
    if args.save:
        np.savez(args.save, **saved)


if __name__ == "__main__":
    main()

"""The Grey, the whole night: how much faster than real time, and where the time goes.

The goal (issue "The Grey, end to end") is the whole night, every model, every sample
archived, at 10,000x real time or more on one core. The first row is the night run exactly
as ``houston run the-grey`` runs it (archive included); the next rows are each model's share
of the stepping time, measured by timing every model's ``step`` over the same night.

Run: ``.venv/bin/python bench/the_grey.py``.
"""

from __future__ import annotations

import tempfile
import time
from collections import defaultdict
from typing import Any

from houston.archive.store import Archive
from houston.scenario.loader import load
from houston.session.session import Session
from houston.session.sinks import ArchiveSink

SCENARIO = "the-grey"


def _night(timed: bool) -> tuple[float, float, dict[str, float], int]:
    """Run the night once; returns (wall s, simulated s, per-model step seconds, frames)."""
    world = load(SCENARIO)
    with tempfile.TemporaryDirectory() as tmp:
        sink = ArchiveSink(tmp)
        session = Session(world, sinks=[sink])
        costs: dict[str, float] = defaultdict(float)
        if timed:
            for m in session.models:
                step = m.step

                def timed_step(ctx: Any, step: Any = step, path: str = m.path) -> None:
                    t = time.perf_counter()
                    step(ctx)
                    costs[path] += time.perf_counter() - t

                m.step = timed_step  # type: ignore[method-assign]
        t0 = time.perf_counter()
        session.run(world.duration_ns)
        session.close()
        wall = time.perf_counter() - t0
        frames = session.frame_index
        Archive(tmp)  # the archive is readable
    return wall, world.duration_ns / 1e9, dict(costs), frames


def rows() -> list[dict[str, Any]]:
    _night(False)  # compile and warm the caches
    best = min((_night(False) for _ in range(3)), key=lambda r: r[0])
    wall, simulated, _, frames = best
    out: list[dict[str, Any]] = [
        {
            "case": f"{SCENARIO}: the whole night, archived ({frames:,} frames)",
            "wall_s": wall,
            "x_real_time": simulated / wall,
            "us_per_frame": wall / frames * 1e6,
            "goal_x": 10_000.0,
        }
    ]
    _, _, costs, frames = _night(True)
    total = sum(costs.values())
    for path, c in sorted(costs.items(), key=lambda kv: -kv[1]):
        out.append(
            {
                "case": f"  step of {path}",
                "wall_s": c,
                "x_real_time": float("nan"),
                "us_per_frame": c / frames * 1e6,
                "goal_x": float("nan"),
            }
        )
    out.append(
        {
            "case": "  every model's step (the rest is the kernel, limits and the archive)",
            "wall_s": total,
            "x_real_time": float("nan"),
            "us_per_frame": total / frames * 1e6,
            "goal_x": float("nan"),
        }
    )
    return out


TITLE = "The Grey: the whole night"


def main() -> None:
    for r in rows():
        print(r["case"].ljust(72), f"{r['us_per_frame']:10.1f} us/frame", f"{r['x_real_time']:10.0f}x")


if __name__ == "__main__":
    main()

"""Kernel benchmarks: the frame loop's own cost per frame and per telemetry parameter.

The models here do almost nothing (each parameter is a ramp), so what is measured is the
kernel: stepping, sampling into the frame vector, limit checking and, with the archive, the
buffered DuckDB writes (which store a value only when it changes, so systems on a 10 s step
cost the archive a tenth). The last rows run The Grey's frame loop (18 systems, 467
parameters, four linked assets, 59 limited parameters) with every model's step, sample and
outputs made free: what the kernel costs that night, models aside.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from houston.core.model import Limits, Model, State, StepContext, Telemetry, register
from houston.scenario.loader import loads
from houston.session.session import Session
from houston.session.sinks import ArchiveSink

PARAMS_PER_MODEL = 10
TITLE = "Kernel: cost of the frame loop (1 s frames; models that do nothing)"


@register
class Ramp(Model):
    """Ten ramps: the cheapest model that still publishes limited telemetry."""

    type_name = "bench.ramp"
    summary = "benchmark model: ten ramps with limits"
    states = (State("x", "1", (PARAMS_PER_MODEL,)),)
    telemetry = tuple(
        Telemetry(f"p{i}", "1", "a ramp", Limits(caution_high=1e12, warning_high=2e12))
        for i in range(PARAMS_PER_MODEL)
    )

    def step(self, ctx: StepContext) -> None:
        self.state["x"] += ctx.dt_s

    def sample(self, out: np.ndarray) -> None:
        out[:] = self.state["x"]

    def telemetry_values(self) -> Mapping[str, Any]:
        return {f"p{i}": self.state["x"][:, i] for i in range(PARAMS_PER_MODEL)}


def world(n_models: int, duration: str, slow: int = 0) -> Any:
    """``n_models`` ramps, the last ``slow`` of them stepped every 10 s."""
    systems = "\n".join(
        f'[assets.a{i}.ramp]\nmodel = "bench.ramp"\n'
        + ('step = "10s"\n' if i >= n_models - slow else "")
        for i in range(n_models)
    )
    text = (
        f'[scenario]\nname = "bench"\ndescription = "kernel benchmark"\n'
        f'epoch_utc = "1985-01-01T00:00:00Z"\nduration = "{duration}"\n\n{systems}'
    )
    return loads(text, "bench.toml")


def time_run(
    n_models: int, frames: int, batch: int = 1, archive: bool = False, slow: int = 0
) -> float:
    """Seconds of wall time per frame (best of three)."""
    best = float("inf")
    for _ in range(3):
        with tempfile.TemporaryDirectory() as tmp:
            sinks = [ArchiveSink(f"{tmp}/r")] if archive else []
            s = Session(world(n_models, f"{frames}s", slow), batch=batch, sinks=sinks)
            s.start()
            t0 = time.perf_counter()
            s.run()
            s.close()
            best = min(best, (time.perf_counter() - t0) / frames)
    return best


def rows() -> list[dict[str, Any]]:
    out = []
    for n_models, batch, archive, slow in [
        (1, 1, False, 0),
        (10, 1, False, 0),
        (50, 1, False, 0),
        (10, 1, True, 0),
        (50, 1, True, 0),
        (50, 1, True, 40),
        (10, 100, False, 0),
        (10, 100, True, 0),
    ]:
        frames = 2000 if batch == 1 else 500
        per_frame = time_run(n_models, frames, batch, archive, slow)
        n_params = n_models * PARAMS_PER_MODEL
        out.append(
            {
                "case": f"{n_models} models × {PARAMS_PER_MODEL} params, batch {batch}"
                + (f", {slow} of them on a 10 s step" if slow else "")
                + (", archived" if archive else ""),
                "us_per_frame": per_frame * 1e6,
                "ns_per_frame_param": per_frame * 1e9 / n_params,
                "ns_per_sample": per_frame * 1e9 / (n_params * batch),
                "x_real_time": 1.0 / per_frame,
            }
        )
    out.append(leo_demo())
    out += [the_grey_kernel(archive) for archive in (False, True)]
    return out


def the_grey_kernel(archive: bool) -> dict[str, Any]:
    """The Grey's frame loop with every model's step, sample and outputs made free (each
    model publishes the outputs it had at the start): scheduling, inputs, step contexts, the
    bus, the links, the limits and, archived, the archive."""
    from houston.scenario.loader import load

    w = load("the-grey")
    best = float("inf")
    n = 1
    for _ in range(3):
        with tempfile.TemporaryDirectory() as tmp:
            s = Session(w, sinks=[ArchiveSink(f"{tmp}/r")] if archive else [])
            n = len(s.catalog)
            s.start()
            for m in s.models:
                outputs = dict(m.output_values())
                m.step = lambda ctx: None  # type: ignore[method-assign]
                m.output_values = lambda outputs=outputs: outputs  # type: ignore[method-assign]
                m.sample = lambda out: None  # type: ignore[method-assign]
            t0 = time.perf_counter()
            s.run()
            s.close()
            best = min(best, time.perf_counter() - t0)
    frames = w.duration_ns // w.frame_ns
    return {
        "case": "the-grey's frame loop, models free" + (", archived" if archive else ""),
        "us_per_frame": best / frames * 1e6,
        "ns_per_frame_param": best / frames * 1e9 / n,
        "ns_per_sample": best / frames * 1e9 / n,
        "x_real_time": w.duration_ns / 1e9 / best,
    }


def leo_demo() -> dict[str, Any]:
    """The bundled leo-demo (one two-body vehicle, 9 parameters, 3 h), archived."""
    from houston.scenario.loader import load

    w = load("leo-demo")
    best = float("inf")
    for _ in range(2):
        with tempfile.TemporaryDirectory() as tmp:
            s = Session(w, sinks=[ArchiveSink(f"{tmp}/r")])
            s.start()
            t0 = time.perf_counter()
            s.run()
            s.close()
            best = min(best, time.perf_counter() - t0)
    frames = w.duration_ns // w.frame_ns
    return {
        "case": "leo-demo, archived",
        "us_per_frame": best / frames * 1e6,
        "ns_per_frame_param": best / frames * 1e9 / 9,
        "ns_per_sample": best / frames * 1e9 / 9,
        "x_real_time": w.duration_ns / 1e9 / best,
    }

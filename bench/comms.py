"""Comms benchmark: the cost of link evaluation per frame, for every asset-station pair.

Six ``comms.link`` models (five spacecraft on different orbits and the lunar base) each see
15 ground stations (the DSN, the STDN and one station of the scenario), stepped frame after
frame of 1 s as the kernel steps them, at batch 1 and 1,000. The time advances every frame,
so the shared Earth and Moon geometry (:func:`houston.comms.visibility.environment_at`) is
built once per frame, as in a run (interpolated between full evaluations ten minutes apart,
:mod:`houston.comms.tables`). The rows give the cost per frame of all six models (the shared geometry included), the shared
geometry's own cost per frame and that of one full evaluation, and the cost per
asset-station pair and run.

``python bench/comms.py`` prints the rows.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from houston.comms.model import CommsLink
from houston.comms.visibility import environment, environment_at
from houston.core.constants import MU_EARTH_M3_S2, R_EARTH_M
from houston.core.model import ModelEvent, ModelRandom, StepContext
from houston.core.random import BatchRandom, run_seeds
from houston.core.time import NS_PER_S, Epoch
from houston.dynamics.elements import coe_to_rv
from houston.dynamics.kepler import propagate

TITLE = "Comms: link evaluation per frame (6 assets × 15 stations, 1 s frames)"

#: 1985-07-17T16:00:00Z as a TAI two-part Julian date (TAI - UTC = 23 s), without astropy.
EPOCH = Epoch(2446263.5, (16 * 3600 + 23.0) / 86400.0, "1985-07-17T16:00:00Z")
FRAMES = 200
#: The fifteenth station, given as a scenario record: the Goldstone 9 m USB antenna (GDSA,
#: NASA number 1317; NASA Directory of Station Locations 2019, Table 2).
EXTRA = {
    "GDSA": {
        "lat": np.radians(35 + 20 / 60 + 29.5535 / 3600),
        "lon": np.radians(243 + 7 / 60 + 37.1952 / 3600),
        "height": 935.541,
        "min_elevation": np.radians(5.0),
    }
}


def _orbits(batch: int, n: int) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(1)
    out = []
    for k in range(n):
        a = R_EARTH_M + 300e3 + 2e6 * k
        inc = np.radians(28.5 + 10 * k)
        nu = rng.uniform(0, 2 * np.pi, batch)
        r, v = coe_to_rv(a, 0.0, inc, 0.3 * k, 0.0, nu, MU_EARTH_M3_S2)
        out.append((np.asarray(r), np.asarray(v)))
    return out


def _models(batch: int) -> list[CommsLink]:
    common = {"networks": ["dsn", "stdn"], "stations": EXTRA}
    models = [CommsLink(f"v{k}.comms", dict(common), batch) for k in range(5)]
    models.append(CommsLink("base.comms", {**common, "kind": "surface"}, batch))
    return models


def time_links(batch: int, frames: int = FRAMES) -> dict[str, Any]:
    """Seconds per frame of stepping the six link models (best of three)."""
    models = _models(batch)
    orbits = _orbits(batch, 5)
    rng = BatchRandom(run_seeds(0, batch))
    events: list[ModelEvent] = []
    # Positions for every frame, computed before timing (the vehicles are not measured).
    tracks = []
    for r0, v0 in orbits:
        t = np.arange(frames + 1, dtype=float)[:, None]
        r, _ = propagate(r0[None], v0[None], t, MU_EARTH_M3_S2)
        tracks.append(r)
    best = np.inf
    for rep in range(3):
        t_base = rep * 10 * frames * NS_PER_S  # new times: no cached geometry
        ctxs = [
            StepContext(t_base, t_base, -1, {}, ModelRandom(rng, m.path), events, EPOCH)
            for m in models
        ]
        for m, c in zip(models, ctxs, strict=True):
            m.initialize(c)
        t0 = time.perf_counter()
        for f in range(frames):
            a, b = t_base + f * NS_PER_S, t_base + (f + 1) * NS_PER_S
            for k, (m, c) in enumerate(zip(models, ctxs, strict=True)):
                inputs = {"r_gcrf_m": tracks[k][f + 1]} if k < 5 else {}
                c.reset(a, b, f, inputs)
                m.step(c)
            events.clear()
        best = min(best, (time.perf_counter() - t0) / frames)
    # The shared part, per frame: the Earth and Moon geometry of one time (interpolated
    # between full evaluations ten minutes apart), and one full evaluation alone.
    t0 = time.perf_counter()
    for f in range(600):
        environment_at(EPOCH, (10**7 + f) * NS_PER_S)
    t_shared = (time.perf_counter() - t0) / 600
    t_full = np.inf
    for f in range(30):
        t0 = time.perf_counter()
        environment(EPOCH, (10**6 + f) * NS_PER_S)
        t_full = min(t_full, time.perf_counter() - t0)
    pairs = 6 * len(models[0].stations)
    return {
        "case": f"6 assets × {len(models[0].stations)} stations, batch {batch:,}",
        "us_per_frame": best * 1e6,
        "us_shared_geometry": t_shared * 1e6,
        "us_full_environment": t_full * 1e6,
        "ns_per_pair_run": best * 1e9 / (pairs * batch),
        "x_real_time": 1.0 / best,
    }


def rows() -> list[dict[str, Any]]:
    return [time_links(1), time_links(1000, 50)]


if __name__ == "__main__":
    for row in rows():
        print(row)

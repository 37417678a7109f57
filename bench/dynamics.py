"""Dynamics benchmark A: one day of a 400 km, 51.6 deg orbit with point mass + J2.

1,441 states every 60 s, compared with a tight-tolerance reference (scipy's DOP853 at
rtol = atol = 1e-13, whose own error is ~1e-5 m: our integrator at rtol = 1e-14 agrees with it
to that level). Houston's Cowell propagator samples its dense output at the requested times
(``Propagator.sample``); scipy's DOP853 runs the same method in Python at the same tolerances,
which gives the ratio. heyoka, when importable, runs the same case with its Taylor integrator.

``python bench/dynamics.py`` prints the row; :func:`benchmark_a` returns it as a dict.

Per frame: ``python bench/dynamics.py frame`` prints what ``vehicle.spacecraft`` costs per
1 s frame as the session drives it (``step``, ``output_values``, ``sample``), averaged over
one orbit so that the integration steps and the exact rotations every 60 s are included, the
best of three passes: a 400 km LEO with J2 (and with drag), a 100 km lunar orbit, and a batch
of 1,000 LEO runs.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from scipy.integrate import solve_ivp

from houston.core.constants import J2_EARTH, MU_EARTH_M3_S2, R_EARTH_M
from houston.dynamics import elements
from houston.dynamics.cowell import Propagator
from houston.dynamics.forces import ForceModel, PointMass, Zonal

MU = MU_EARTH_M3_S2
#: Tolerances of the Houston run (and of the scipy run used for the ratio).
RTOL = 1e-11
ATOL_M = 1e-6
ATOL_M_S = 1e-9


def case() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Initial state (400 km circular, i = 51.6 deg, raan = 0, at the node) and output times."""
    r0, v0 = elements.coe_to_rv(R_EARTH_M + 400e3, 0.0, np.deg2rad(51.6), 0.0, 0.0, 0.0, MU)
    return r0, v0, np.arange(1441) * 60.0


def _rhs(_t: float, y: np.ndarray) -> np.ndarray:
    """Point mass + J2 in numpy, for scipy (an implementation independent of the kernel)."""
    r = y[:3]
    rn = np.sqrt(r @ r)
    z2 = (r[2] / rn) ** 2
    c = 1.5 * J2_EARTH * MU * R_EARTH_M**2 / rn**5
    a = -MU / rn**3 * r + c * r * np.array([5.0 * z2 - 1.0, 5.0 * z2 - 1.0, 5.0 * z2 - 3.0])
    return np.concatenate([y[3:], a])


def _best(fn: Any, repeat: int) -> tuple[float, Any]:
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _heyoka(r0: np.ndarray, v0: np.ndarray, t: np.ndarray) -> tuple[float, np.ndarray] | None:
    try:
        import heyoka as hy
    except ImportError:
        return None
    x, y, z, vx, vy, vz = hy.make_vars("x", "y", "z", "vx", "vy", "vz")
    r2 = x * x + y * y + z * z
    rn = hy.sqrt(r2)
    c = 1.5 * J2_EARTH * MU * R_EARTH_M**2 / (r2 * r2 * rn)
    z2 = z * z / r2
    k = -MU / (r2 * rn)
    dyn = [
        (x, vx),
        (y, vy),
        (z, vz),
        (vx, k * x + c * x * (5.0 * z2 - 1.0)),
        (vy, k * y + c * y * (5.0 * z2 - 1.0)),
        (vz, k * z + c * z * (5.0 * z2 - 3.0)),
    ]
    ta = hy.taylor_adaptive(dyn, np.concatenate([r0, v0]), tol=1e-15)

    def run() -> np.ndarray:
        ta.time = 0.0
        ta.state[:] = np.concatenate([r0, v0])
        return ta.propagate_grid(t)[-1]

    run()
    secs, out = _best(run, 20)
    return secs, np.asarray(out)[:, :3]


def benchmark_a(repeat: int = 20) -> dict[str, Any]:
    """Benchmark A as one row: times in ms, errors in m against the reference."""
    r0, v0, t = case()
    y0 = np.concatenate([r0, v0])
    ref = solve_ivp(_rhs, (0.0, t[-1]), y0, method="DOP853", rtol=1e-13, atol=1e-13, t_eval=t)
    r_ref = ref.y[:3].T

    prop = Propagator(
        ForceModel([PointMass(MU), Zonal(MU, R_EARTH_M, (J2_EARTH,))]),
        rtol=RTOL,
        atol_m=ATOL_M,
        atol_m_s=ATOL_M_S,
    )
    t0 = time.perf_counter()
    prop.sample(0.0, r0, v0, t)
    first_s = time.perf_counter() - t0
    secs, (r, _) = _best(lambda: prop.sample(0.0, r0, v0, t), repeat)
    traj = prop.propagate(0.0, r0, v0, t[-1])

    def scipy_run() -> Any:
        return solve_ivp(
            _rhs,
            (0.0, t[-1]),
            y0,
            method="DOP853",
            rtol=RTOL,
            atol=[ATOL_M] * 3 + [ATOL_M_S] * 3,
            t_eval=t,
        )

    scipy_s, sol = _best(scipy_run, 3)
    row: dict[str, Any] = {
        "case": "A: LEO 400 km 51.6 deg, 1 day, point mass + J2, 1441 states",
        "houston_ms": secs * 1e3,
        "houston_first_call_s": first_s,
        "houston_max_error_m": float(np.max(np.linalg.norm(r[:, 0] - r_ref, axis=-1))),
        "houston_steps": traj.steps,
        "houston_evaluations": traj.evaluations,
        "scipy_dop853_ms": scipy_s * 1e3,
        "scipy_max_error_m": float(np.max(np.linalg.norm(sol.y[:3].T - r_ref, axis=-1))),
        "scipy_evaluations": int(sol.nfev),
        "scipy_over_houston": scipy_s / secs,
    }
    hy_res = _heyoka(r0, v0, t)
    if hy_res is not None:
        row["heyoka_ms"] = hy_res[0] * 1e3
        row["heyoka_max_error_m"] = float(np.max(np.linalg.norm(hy_res[1] - r_ref, axis=-1)))
    return row


def spacecraft_per_frame(passes: int = 3) -> list[tuple[str, float, float, float]]:
    """(case, step, output_values, sample) in us per 1 s frame, over one orbit each."""
    from houston.core.model import ModelRandom, StepContext
    from houston.core.random import BatchRandom, run_seeds
    from houston.core.time import NS_PER_S, Epoch
    from houston.dynamics import spacecraft as sc
    from houston.dynamics.spacecraft import Spacecraft

    epoch = Epoch(2460390.0, 37.0 / 86400.0, "2024-03-20T12:00:00Z")
    leo = dict(perigee_altitude=400e3, apogee_altitude=400e3, inclination=np.radians(51.6))
    cases: list[tuple[str, int, dict[str, Any], float]] = [
        ("LEO 400 km, J2, batch 1", 1, leo, 5550.0),
        ("LEO 400 km, J2 and drag, batch 1", 1, {**leo, "drag": True}, 5550.0),
        (
            "Moon 100 km polar, batch 1",
            1,
            dict(
                central_body="moon",
                perigee_altitude=100e3,
                apogee_altitude=100e3,
                inclination=np.radians(90.0),
            ),
            7070.0,
        ),
        ("LEO 400 km, J2, batch 1,000", 1000, leo, 5550.0),
    ]
    out = []
    for name, batch, params, period_s in cases:
        best = (np.inf, np.inf, np.inf)
        for _ in range(passes):
            for cached in (
                sc._earth_block,
                sc._tdb_block,
                sc._moon_rot_block,
                sc._grid_block,
                sc._moon_block,
                sc._moon_hermite_block,
            ):
                cached.cache_clear()  # the exact rotations and Moon states are part of the cost
            values = {p.name: p.default for p in Spacecraft.params}
            values.update(params)
            m = Spacecraft("bench.craft", values, batch)
            rng = ModelRandom(BatchRandom(run_seeds(0, batch)), m.path)
            ctx = StepContext(0, 0, -1, {}, rng, [], epoch)
            m.initialize(ctx)
            tel = np.empty((batch, len(m.telemetry)))
            frames = int(period_s)
            c_step = c_out = c_sample = 0.0
            for i in range(frames):
                ctx.reset(i * NS_PER_S, (i + 1) * NS_PER_S, i + 1, {})
                t0 = time.perf_counter()
                m.step(ctx)
                t1 = time.perf_counter()
                m.output_values()
                t2 = time.perf_counter()
                m.sample(tel)
                t3 = time.perf_counter()
                c_step += t1 - t0
                c_out += t2 - t1
                c_sample += t3 - t2
            now = (c_step / frames * 1e6, c_out / frames * 1e6, c_sample / frames * 1e6)
            if sum(now) < sum(best):
                best = now
        out.append((name, *best))
    return out


def rows() -> list[dict[str, Any]]:
    return [benchmark_a()]


def main() -> None:
    import sys

    if sys.argv[1:] == ["frame"]:
        print(
            f"{'vehicle.spacecraft, us per 1 s frame':40} {'step':>7} {'outputs':>8} {'sample':>7}"
        )
        for name, step, outs, sample in spacecraft_per_frame():
            print(f"{name:40} {step:7.2f} {outs:8.2f} {sample:7.2f}")
        return
    for key, value in benchmark_a().items():
        print(f"{key:>24}: {value:.4g}" if isinstance(value, float) else f"{key:>24}: {value}")


if __name__ == "__main__":
    main()

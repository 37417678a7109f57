"""Benchmark B of issue 3 against its peers: 10,000 two-body orbits to 100 times each.

The orbits (``numpy.random.default_rng(0)``): perigee altitude uniform in 200-2,000 km,
eccentricity uniform in [0, 0.7), inclination uniform in [0, pi), node, argument of perigee
and true anomaly uniform in [0, 2 pi); each is propagated to the 100 times 864 s, 1728 s,
..., 1 day, 10^6 states in all. Every code gets the same states (or, for SGP4, the same
elements) and is timed with ``time.perf_counter``, best of 3 after a warm-up call, on one
core. Position errors are against ``reference``: Kepler's equation in difference form,
solved in extended precision (``numpy.longdouble``, 64-bit mantissa) from the same float64
states, so they measure each code's own error.

``rows()`` returns one dict per comparison; ``python bench/peers.py`` prints them as a
table. Peers that are not installed are left out. hapsira needs numpy < 2 and runs in a
virtual environment of its own, ``.venv-hapsira`` at the repository root
(``python3 -m venv .venv-hapsira && .venv-hapsira/bin/pip install hapsira``); without it,
that peer is skipped. This file doubles as hapsira's worker in that environment
(``--hapsira-worker``), so it imports nothing beyond numpy at module level.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

N_ORBITS = 10_000
N_TIMES = 100
DAY_S = 86_400.0
#: Earth's gravitational parameter (m^3/s^2), as houston.core.constants.MU_EARTH_M3_S2.
MU_EARTH_M3_S2 = 3.986004418e14
R_EARTH_M = 6_378_137.0
CASE_B = "B: 10,000 orbits x 100 times"
CASE_ONE = "1 state x 1 time (frame loop)"
ROOT = Path(__file__).resolve().parents[1]
HAPSIRA_PYTHON = ROOT / ".venv-hapsira" / "bin" / "python"


@dataclass(frozen=True)
class Orbits:
    """The orbits of benchmark B: elements (m, rad), states (m, m/s) and times (s)."""

    p_m: np.ndarray
    ecc: np.ndarray
    inc: np.ndarray
    raan: np.ndarray
    argp: np.ndarray
    nu: np.ndarray
    r_m: np.ndarray  # (N, 3)
    v_m_s: np.ndarray  # (N, 3)
    t_s: np.ndarray  # (M,)


def orbits_b(n: int = N_ORBITS, m: int = N_TIMES) -> Orbits:
    """The orbits and times of benchmark B, drawn from ``numpy.random.default_rng(0)``."""
    from houston.dynamics import elements

    rng = np.random.default_rng(0)
    rp = R_EARTH_M + rng.uniform(200e3, 2_000e3, n)
    ecc = rng.uniform(0.0, 0.7, n)
    inc = rng.uniform(0.0, np.pi, n)
    raan = rng.uniform(0.0, 2.0 * np.pi, n)
    argp = rng.uniform(0.0, 2.0 * np.pi, n)
    nu = rng.uniform(0.0, 2.0 * np.pi, n)
    p = rp * (1.0 + ecc)
    r, v = elements.coe_to_rv(p, ecc, inc, raan, argp, nu, MU_EARTH_M3_S2)
    t = np.linspace(0.0, DAY_S, m + 1)[1:]
    return Orbits(p, ecc, inc, raan, argp, nu, r, v, t)


def best_of(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """Best wall time (s) of ``repeat`` calls after a warm-up call, and the last result."""
    out = fn()
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def reference(r_m: np.ndarray, v_m_s: np.ndarray, t_s: np.ndarray, mu: float) -> np.ndarray:
    """Positions (N, M, 3) in m of elliptic orbits (N, 3) at times (M,), in extended
    precision.

    Kepler's equation in difference form, ``n t = x - e cos E0 sin x + e sin E0 (1 - cos x)``
    for the change ``x`` of eccentric anomaly (``e cos E0 = 1 - r0/a``,
    ``e sin E0 = r0.v0 / sqrt(mu a)``), reduced to one revolution and solved by Newton's
    method in ``numpy.longdouble``; then ``r = f r0 + g v0`` with
    ``f = 1 - a (1 - cos x) / r0`` and ``g = t - (x + 2 pi k - sin x) / n``
    (Vallado 4th ed., section 2.3; Battin 1999, section 4.5). A formulation and a precision
    independent of the code under test.
    """
    ld = np.longdouble
    pi = 4 * np.arctan(ld(1))
    r = r_m.astype(ld)[:, None, :]
    v = v_m_s.astype(ld)[:, None, :]
    t = t_s.astype(ld)[None, :]
    mu_ld = ld(mu)
    r0 = np.sqrt((r * r).sum(-1))
    alpha = 2 / r0 - (v * v).sum(-1) / mu_ld
    if np.any(alpha <= 0):
        raise ValueError("reference() handles elliptic orbits only")
    n = np.sqrt(mu_ld * alpha**3)
    ecos = 1 - r0 * alpha
    esin = (r * v).sum(-1) / np.sqrt(mu_ld) * np.sqrt(alpha)
    mean = n * t
    k = np.rint(mean / (2 * pi))
    mean = mean - 2 * pi * k
    x = mean
    extra = 2  # Newton steps after the largest one falls below 1e-12 rad (then ~1e-19)
    for _ in range(100):
        s, c = np.sin(x), np.cos(x)
        step = (x - ecos * s + esin * (1 - c) - mean) / (1 - ecos * c + esin * s)
        x = x - np.clip(step, -1, 1)
        if np.max(np.abs(step)) < 1e-12:
            extra -= 1
            if extra < 0:
                break
    else:
        raise RuntimeError("reference Kepler iteration did not converge")
    s = np.sin(x)
    one_minus_c = 2 * np.sin(x / 2) ** 2
    f = 1 - one_minus_c / (alpha * r0)
    g = (t - 2 * pi * k / n) - (x - s) / n
    return f[..., None] * r + g[..., None] * v


def max_error_m(r_m: np.ndarray, r_ref: np.ndarray) -> float:
    """Largest distance (m) between positions and the reference."""
    d = r_m.astype(np.longdouble) - r_ref
    return float(np.sqrt((d * d).sum(-1)).max())


# --- houston -------------------------------------------------------------------------------


def compile_times_s() -> dict[str, float]:
    """Wall time of the first ``propagate`` call in a fresh process (numba imported,
    kernel compiled or loaded): with an empty cache, and with the cache this run filled."""
    code = (
        "import time, numpy as np\n"
        "t0 = time.perf_counter()\n"
        "from houston.dynamics.kepler import propagate\n"
        "propagate(np.array([7e6, 0.0, 0.0]), np.array([0.0, 7.5e3, 0.0]), 60.0, 3.986e14)\n"
        "print(time.perf_counter() - t0)\n"
    )
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        for name, extra in (("cold", {"NUMBA_CACHE_DIR": cache}), ("cached", {})):
            env = {**os.environ, **extra}
            res = subprocess.run(
                [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
            )
            out[name] = float(res.stdout.split()[-1])
    return out


# --- peers ---------------------------------------------------------------------------------


def _heyoka(o: Orbits) -> tuple[float, np.ndarray, str] | None:
    """heyoka's Lagrangian (f and g) propagator, ``heyoka.model.lagrange_prop`` compiled with
    ``heyoka.cfunc`` (SIMD batches, ``parallel_mode=False``), on inputs laid out for it."""
    try:
        import heyoka as hy
    except ImportError:
        return None
    names = ("x0", "y0", "z0", "vx0", "vy0", "vz0", "tm")
    x0, y0, z0, vx0, vy0, vz0, tm = hy.make_vars(*names)
    pos, vel = hy.model.lagrange_prop(
        pos0=[x0, y0, z0], vel0=[vx0, vy0, vz0], mu=hy.expression(MU_EARTH_M3_S2), tm=tm
    )
    t0 = time.perf_counter()
    cf = hy.cfunc(pos + vel, [x0, y0, z0, vx0, vy0, vz0, tm], parallel_mode=False)
    jit_s = time.perf_counter() - t0
    n, m = o.r_m.shape[0], o.t_s.size
    inputs = np.empty((7, n * m))
    inputs[:3] = np.repeat(o.r_m, m, axis=0).T
    inputs[3:6] = np.repeat(o.v_m_s, m, axis=0).T
    inputs[6] = np.tile(o.t_s, n)
    outputs = np.empty((6, n * m))
    seconds, _ = best_of(lambda: cf(inputs, outputs=outputs))
    r = outputs[:3].T.reshape(n, m, 3)
    note = (
        f"heyoka {hy.__version__}: lagrange_prop in a cfunc, SIMD batch {cf.batch_size}, "
        f"one thread; {jit_s:.2f} s of JIT; inputs repeated per time (not timed)"
    )
    return seconds, r, note


def _brahe(o: Orbits) -> tuple[float, np.ndarray, str, float] | None:
    """brahe's ``KeplerianPropagator``: one object per orbit, ``states`` at the 100 epochs
    (brahe has no call over many orbits: a Python loop over them)."""
    try:
        import brahe as bh
    except ImportError:
        return None
    epoch0 = bh.Epoch.from_datetime(2024, 1, 1, 0, 0, 0.0, 0.0, bh.TimeSystem.TAI)
    epochs = [epoch0 + float(t) for t in o.t_s]
    x = np.concatenate([o.r_m, o.v_m_s], axis=1)

    def run() -> np.ndarray:
        return np.array(
            [bh.KeplerianPropagator.from_eci(epoch0, xi, 60.0).states(epochs) for xi in x]
        )

    seconds, out = best_of(run)
    note = (
        f"brahe {bh.__version__}: a Python loop over 10,000 KeplerianPropagator objects; "
        f"its own mu = {bh.GM_EARTH:.10e} (error against a reference with that mu)"
    )
    return seconds, out[:, :, :3], note, float(bh.GM_EARTH)


def _sgp4(o: Orbits) -> tuple[float, str] | None:
    """The sgp4 package's array propagator (``SatrecArray.sgp4``) on 10,000 satellites made
    with ``Satrec.sgp4init`` from the same elements, taken as SGP4 mean elements: another
    theory (zonal harmonics, deep-space terms above 225 min), so its time only."""
    try:
        from sgp4 import __version__ as sgp4_version
        from sgp4.api import WGS72, Satrec, SatrecArray
    except ImportError:
        return None
    from houston.dynamics import elements

    a = o.p_m / (1.0 - o.ecc**2)
    n_rad_min = np.sqrt(MU_EARTH_M3_S2 / a**3) * 60.0
    mean0 = np.mod(elements.true_to_mean(o.nu, o.ecc), 2.0 * np.pi)
    jd0 = 2_460_310.5  # 2024-01-01 00:00 UTC
    sats = []
    for i in range(o.r_m.shape[0]):
        s = Satrec()
        s.sgp4init(
            WGS72,
            "i",
            i,
            jd0 - 2_433_281.5,
            0.0,
            0.0,
            0.0,
            o.ecc[i],
            o.argp[i],
            o.inc[i],
            mean0[i],
            n_rad_min[i],
            o.raan[i],
        )
        sats.append(s)
    array = SatrecArray(sats)
    jd = np.full(o.t_s.size, jd0)
    fr = o.t_s / DAY_S
    seconds, (err, _, _) = best_of(lambda: array.sgp4(jd, fr))
    deep = float(np.mean(2.0 * np.pi / n_rad_min >= 225.0))
    note = (
        f"sgp4 {sgp4_version} SatrecArray (C++, one thread): SGP4/SDP4, another theory "
        f"({deep:.0%} deep-space), time only; {int(np.count_nonzero(err))} error codes"
    )
    return seconds, note


def _hapsira(o: Orbits) -> list[tuple[str, float, np.ndarray, str]] | None:
    """hapsira in its own environment (``.venv-hapsira``), through this file's worker."""
    if not HAPSIRA_PYTHON.exists():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        inp, out = Path(tmp) / "in.npz", Path(tmp) / "out.npz"
        np.savez(inp, r_km=o.r_m / 1e3, v_km_s=o.v_m_s / 1e3, t_s=o.t_s, k=MU_EARTH_M3_S2 / 1e9)
        subprocess.run(
            [str(HAPSIRA_PYTHON), __file__, "--hapsira-worker", str(inp), str(out)], check=True
        )
        res = np.load(out)
        version = str(res["version"])
        return [
            (
                "hapsira farnocchia_rv, Python loop",
                float(res["loop_s"]),
                res["loop_r_km"] * 1e3,
                f"hapsira {version}: its core farnocchia_rv (its default propagator, numba) "
                "called per state from Python, as FarnocchiaPropagator.propagate_many does",
            ),
            (
                "hapsira farnocchia_rv, numba loop",
                float(res["jit_s"]),
                res["jit_r_km"] * 1e3,
                f"hapsira {version}: the same function called from a numba-compiled loop "
                f"(the fastest use of it); {float(res['compile_s']):.1f} s of compilation",
            ),
        ]


def _hapsira_worker(inp: str, out: str) -> None:
    """Runs in ``.venv-hapsira``: times hapsira on the inputs, writes times and positions."""
    import hapsira
    import numba
    from hapsira.core.propagation.farnocchia import farnocchia_rv

    d = np.load(inp)
    r0, v0, t, k = d["r_km"], d["v_km_s"], d["t_s"], float(d["k"])
    n, m = r0.shape[0], t.size

    def loop() -> np.ndarray:
        r = np.empty((n, m, 3))
        for i in range(n):
            for j in range(m):
                r[i, j] = farnocchia_rv(k, r0[i], v0[i], t[j])[0]
        return r

    @numba.njit
    def many(k: float, r0: np.ndarray, v0: np.ndarray, t: np.ndarray) -> np.ndarray:
        r = np.empty((r0.shape[0], t.size, 3))
        for i in range(r0.shape[0]):
            for j in range(t.size):
                r[i, j] = farnocchia_rv(k, r0[i], v0[i], t[j])[0]
        return r

    t0 = time.perf_counter()
    many(k, r0[:1], v0[:1], t[:1])
    compile_s = time.perf_counter() - t0
    jit_s, jit_r = best_of(lambda: many(k, r0, v0, t))
    loop_s, loop_r = best_of(loop)
    np.savez(
        out,
        version=hapsira.__version__,
        compile_s=compile_s,
        jit_s=jit_s,
        jit_r_km=jit_r,
        loop_s=loop_s,
        loop_r_km=loop_r,
    )


# --- the table -----------------------------------------------------------------------------


def _row(
    case: str,
    houston: tuple[float, float],
    peer: str,
    peer_s: float,
    peer_error_m: float | None,
    note: str,
) -> dict[str, Any]:
    return {
        "case": case,
        "houston_s": houston[0],
        "houston_error_m": houston[1],
        "peer": peer,
        "peer_s": peer_s,
        "ratio": peer_s / houston[0],
        "peer_error_m": peer_error_m,
        "note": note,
    }


def rows() -> list[dict[str, Any]]:
    """Benchmark B for houston (compiled, serial) and each installed peer, and the cost of
    one single-state call: one dict per comparison with ``case``, ``houston_s``,
    ``houston_error_m``, ``peer``, ``peer_s``, ``ratio`` (peer time over houston time),
    ``peer_error_m`` (None where the theory differs) and ``note``. Errors are the largest
    position error over all states against ``reference``, in metres."""
    import timeit

    from houston.dynamics.kepler import propagate, propagate_numpy

    o = orbits_b()
    ref = reference(o.r_m, o.v_m_s, o.t_s, MU_EARTH_M3_S2)
    args = (o.r_m[:, None, :], o.v_m_s[:, None, :], o.t_s[None, :], MU_EARTH_M3_S2)
    first_call_s = compile_times_s()
    h_s, (h_r, _) = best_of(lambda: propagate(*args))
    houston = (h_s, max_error_m(h_r, ref))
    note = (
        "houston: compiled, one thread; first call in a fresh process "
        f"{first_call_s['cold']:.1f} s with an empty numba cache (compilation), "
        f"{first_call_s['cached']:.2f} s with the cache"
    )
    np_s, (np_r, _) = best_of(lambda: propagate_numpy(*args))
    out = [_row(CASE_B, houston, "houston numpy path", np_s, max_error_m(np_r, ref), note)]

    heyoka = _heyoka(o)
    if heyoka is not None:
        seconds, r, note = heyoka
        out.append(
            _row(CASE_B, houston, "heyoka lagrange_prop", seconds, max_error_m(r, ref), note)
        )
    brahe = _brahe(o)
    if brahe is not None:
        seconds, r, note, mu_brahe = brahe
        d = r.astype(np.longdouble) - reference(o.r_m, o.v_m_s, o.t_s, mu_brahe)
        per_orbit = np.sqrt((d * d).sum(-1)).max(-1).astype(float)
        big = per_orbit > 1.0
        if np.any(big):
            worst = int(np.argmax(per_orbit))
            note += (
                f"; {int(big.sum())} orbit(s) off by more than 1 m (the worst has "
                f"e = {o.ecc[worst]:.1e}), the others within {per_orbit[~big].max():.1e} m"
            )
        out.append(
            _row(CASE_B, houston, "brahe KeplerianPropagator", seconds, per_orbit.max(), note)
        )
    sgp4 = _sgp4(o)
    if sgp4 is not None:
        seconds, note = sgp4
        out.append(_row(CASE_B, houston, "sgp4 SatrecArray", seconds, None, note))
    for peer, seconds, r, note in _hapsira(o) or []:
        out.append(_row(CASE_B, houston, peer, seconds, max_error_m(r, ref), note))

    # One state, one time: what a vehicle model pays per frame.
    r1, v1, t1 = o.r_m[:1], o.v_m_s[:1], np.array([1.0])
    ref1 = reference(r1, v1, t1, MU_EARTH_M3_S2)[0]

    def per_call(fn: Callable[[], Any]) -> tuple[float, float]:
        seconds = min(timeit.repeat(fn, number=2000, repeat=5)) / 2000
        return seconds, max_error_m(fn()[0], ref1)

    one = per_call(lambda: propagate(r1[0], v1[0], t1[0], MU_EARTH_M3_S2))
    np1_s, np1_err = per_call(lambda: propagate_numpy(r1[0], v1[0], t1[0], MU_EARTH_M3_S2))
    out.append(_row(CASE_ONE, one, "houston numpy path", np1_s, np1_err, "timeit, best of 5"))
    return out


def main() -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Benchmark B and peers (one core)", header_style="bold")
    for col in ("case", "houston", "error (m)", "peer", "peer time", "× houston", "error (m)"):
        table.add_column(col, justify="left" if col in ("case", "peer") else "right")
    results = rows()

    def fmt_s(s: float) -> str:
        return f"{s * 1e3:.1f} ms" if s >= 1e-3 else f"{s * 1e6:.1f} µs"

    def fmt_err(e: float | None) -> str:
        return "-" if e is None else f"{e:.1e}"

    for r in results:
        table.add_row(
            r["case"],
            fmt_s(r["houston_s"]),
            fmt_err(r["houston_error_m"]),
            r["peer"],
            fmt_s(r["peer_s"]),
            f"{r['ratio']:.1f}",
            fmt_err(r["peer_error_m"]),
        )
    console = Console(width=140)
    console.print(table)
    console.print(f"load average after the run (1, 5, 15 min): {os.getloadavg()}")
    for note in dict.fromkeys(r["note"] for r in results):
        console.print(f"- {note}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--hapsira-worker"]:
        _hapsira_worker(sys.argv[2], sys.argv[3])
    else:
        main()

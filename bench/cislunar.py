"""Cislunar benchmark: the cost of each step of an Earth–Moon mission, with its result.

A 185 km parking orbit inclined 32.5 deg, TLI one hour after the 1983-07-14T12:00:00Z epoch,
three days to a polar 110 km perilune; lunar orbit insertion into a circular orbit and a day
of it under the Earth and the Sun; a descent-orbit insertion to 15 km over a south-pole site
(88.74 S, 124.5 E); a direct transfer to the same site; sphere crossings and states.
Wall-clock times are the best of three warm runs (numba kernels compiled beforehand).

``python bench/cislunar.py`` prints the table; :func:`rows` returns it (``make bench``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from houston.core.constants import R_EARTH_M
from houston.core.time import Epoch
from houston.dynamics.cislunar import (
    direct_transfer_to_site,
    low_lunar_orbit,
    lunar_orbit_insertion,
    patched_conic_tli,
    refine_tli,
    sphere_crossings,
    state_at,
    transfer_to_site,
)

TITLE = "cislunar: TLI, LOI, descent to a site, direct transfer (1983 epoch, representative)"
DEG = np.pi / 180.0
SITE = (-88.74 * DEG, 124.5 * DEG)


def _best_ms(fn: Callable[[], Any], repeat: int = 3) -> tuple[Any, float]:
    out, best = None, np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return out, best * 1e3


def rows() -> list[dict[str, Any]]:
    epoch = Epoch.from_utc("1983-07-14T12:00:00Z")
    r_park = R_EARTH_M + 185e3
    plan, ms_pc = _best_ms(
        lambda: patched_conic_tli(epoch, 3600.0, r_park, 32.5 * DEG, 110e3, 3 * 86400.0)
    )
    tr, ms_ref = _best_ms(lambda: refine_tli(plan))
    loi, ms_loi = _best_ms(lambda: lunar_orbit_insertion(tr, duration_s=86400.0))
    llo, ms_llo = _best_ms(
        lambda: low_lunar_orbit(epoch, tr.perilune.t_s, 110e3, 90 * DEG, 1.0, 0.0, 86400.0)
    )
    doi, ms_doi = _best_ms(lambda: transfer_to_site(loi, *SITE))
    doi2, ms_doi2 = _best_ms(lambda: transfer_to_site(loi, *SITE, lead_angle_rad=0.75 * np.pi))
    direct, ms_dir = _best_ms(
        lambda: direct_transfer_to_site(epoch, 7200.0, r_park, 32.5 * DEG, *SITE, 3 * 86400.0)
    )
    path = tr.path.then(loi.path)
    cross, ms_cross = _best_ms(lambda: sphere_crossings(path, 66_000e3))
    t = np.linspace(path.t_start_s, path.t_end_s, 1000)
    _, ms_state = _best_ms(lambda: state_at(path, t, "GCRF"))
    m0, m1 = tr.miss_before, tr.miss_after
    return [
        {
            "case": "patched_conic_tli",
            "ms": ms_pc,
            "dv m/s": plan.dv_m_s,
            "result": f"{plan.iterations} patch iterations, LOI estimate "
            f"{plan.loi_dv_circular_m_s:.1f} m/s",
        },
        {
            "case": "refine_tli",
            "ms": ms_ref,
            "dv m/s": tr.dv_m_s,
            "result": f"miss alt {m0.altitude_m / 1e3:.0f} km -> {m1.altitude_m:.3f} m, "
            f"inc {np.degrees(m0.inclination_rad):.1f} -> "
            f"{np.degrees(m1.inclination_rad):.1e} deg, B {m0.b_plane_m / 1e3:.0f} km -> "
            f"{m1.b_plane_m:.2f} m, {tr.iterations} it, {tr.propagations} rows",
        },
        {
            "case": "lunar_orbit_insertion + 1 d",
            "ms": ms_loi,
            "dv m/s": loi.dv_m_s,
            "result": f"patched conic {loi.dv_patched_conic_m_s:.1f} m/s "
            f"({100 * (loi.dv_m_s / loi.dv_patched_conic_m_s - 1):+.1f} %)",
        },
        {
            "case": "low_lunar_orbit 1 d",
            "ms": ms_llo,
            "dv m/s": 0.0,
            "result": f"period {llo.period_s:.0f} s",
        },
        {
            "case": "transfer_to_site (lead 180 deg)",
            "ms": ms_doi,
            "dv m/s": doi.dv_m_s,
            "result": f"lat {np.degrees(doi.lat_rad):.3f} deg, offset "
            f"{doi.ground_offset_m / 1e3:.2f} km, alt {doi.altitude_m:.1f} m",
        },
        {
            "case": "transfer_to_site (lead 135 deg)",
            "ms": ms_doi2,
            "dv m/s": doi2.dv_m_s,
            "result": f"lat {np.degrees(doi2.lat_rad):.4f} deg, offset "
            f"{doi2.ground_offset_m:.2f} m, alt {doi2.altitude_m:.1f} m",
        },
        {
            "case": "direct_transfer_to_site",
            "ms": ms_dir,
            "dv m/s": direct.dv_m_s,
            "result": f"miss {direct.miss_before_m / 1e3:.0f} km -> {direct.miss_m:.3f} m, "
            f"fpa {np.degrees(direct.flight_path_angle_rad):.1f} deg",
        },
        {
            "case": "sphere_crossings 66,000 km",
            "ms": ms_cross,
            "dv m/s": 0.0,
            "result": f"{len(cross)} crossing, {(tr.perilune.t_s - cross[0].t_s) / 3600:.2f} h "
            "before perilune",
        },
        {"case": "state_at 1000 times", "ms": ms_state, "dv m/s": 0.0, "result": "GCRF"},
    ]


if __name__ == "__main__":
    for r in rows():
        print(r)

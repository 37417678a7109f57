"""Rendezvous benchmark: the docking opportunity finder on Apollo-Soyuz-like orbits.

Representative orbits (not the flight's figures): the target in a 225 km circular orbit at
51.8 deg, the chaser 17.5 km below and 4 deg behind in the same plane, state vectors at
1975-07-17T12:00:00Z; a 6 h search, docking in daylight with 2 min of light on each side,
0.2 m/s closing rate, 100 m/s budget. The second case adds a toy station-contact
predicate: a station at 45 deg N, 80 deg W on a spherical Earth, rotated by the Earth
rotation angle only (no precession, nutation or polar motion), 5 deg elevation mask.

``python bench/rendezvous.py`` prints the table; :func:`rows` returns it (``make bench``).
It then prints the cost of The Grey's plan (:func:`the_grey_plan`): the search that
``apollo.rendezvous`` makes when Soviet control's state vector arrives (GET 00:32), on the
inputs of the scenario's own run, best and median of repeated calls after a first one.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from houston.core.constants import MU_EARTH_M3_S2, R_EARTH_M
from houston.core.time import NS_PER_S, Epoch, format_get
from houston.dynamics import elements
from houston.dynamics.rendezvous import DockingConstraints, StateVector, find_opportunities

TITLE = "rendezvous: docking opportunities, Apollo-Soyuz-like orbits (representative)"
EPOCH_UTC = "1975-07-17T12:00:00Z"
DEG = np.pi / 180.0


def vehicles() -> tuple[StateVector, StateVector]:
    """Chaser and target state vectors at the epoch."""
    inc, raan = 51.8 * DEG, 30.0 * DEG
    r_t, v_t = elements.coe_to_rv(R_EARTH_M + 225e3, 0.0, inc, raan, 0.0, 4.0 * DEG, MU_EARTH_M3_S2)
    r_c, v_c = elements.coe_to_rv(R_EARTH_M + 207.5e3, 0.0, inc, raan, 0.0, 0.0, MU_EARTH_M3_S2)
    return StateVector(0, r_c, v_c, "MCC-H"), StateVector(0, r_t, v_t, "TsUP")


def toy_station(epoch: Epoch, lat_deg: float = 45.0, lon_deg: float = -80.0, mask_deg: float = 5.0):
    """``contact(t_s, r_gcrf_m)``: elevation above ``mask_deg`` from a station on a spherical
    Earth, turned by the Earth rotation angle (ERFA ``era00``, TT used for UT1)."""
    import erfa

    lat, lon = lat_deg * DEG, lon_deg * DEG
    site = R_EARTH_M * np.array([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
    up = site / R_EARTH_M

    def contact(t_s: np.ndarray, r_m: np.ndarray) -> np.ndarray:
        t_s = np.atleast_1d(t_s)
        era = erfa.era00(epoch.tai_jd1, epoch.tai_jd2 + (t_s + 32.184) / 86400.0)
        c, s = np.cos(era), np.sin(era)
        r = np.atleast_2d(r_m)
        x = c * r[:, 0] + s * r[:, 1]
        y = -s * r[:, 0] + c * r[:, 1]
        d = np.stack([x, y, r[:, 2]], axis=-1) - site
        el = np.arcsin(d @ up / np.linalg.norm(d, axis=-1))
        return el > mask_deg * DEG

    return contact


def rows() -> list[dict[str, Any]]:
    epoch = Epoch.from_utc(EPOCH_UTC)
    chaser, target = vehicles()
    cases = {
        "daylight": DockingConstraints(daylight_margin_s=120.0),
        "daylight + station": DockingConstraints(
            daylight_margin_s=120.0, contact=toy_station(epoch)
        ),
    }
    out: list[dict[str, Any]] = []
    for name, constraints in cases.items():
        find_opportunities(chaser, target, epoch, constraints=constraints)  # warm-up
        t0 = time.perf_counter()
        ops = find_opportunities(chaser, target, epoch, constraints=constraints)
        cost_ms = (time.perf_counter() - t0) * 1e3
        for o in ops:
            out.append(
                {
                    "case": name,
                    "TPI": format_get(o.t_tpi_ns),
                    "docking": format_get(o.t_dock_ns),
                    "UTC": epoch.utc_iso(o.t_dock_ns - o.t_dock_ns % NS_PER_S)[11:19],
                    "light": "day" if o.sunlit else "night",
                    "contact": "-" if o.contact is None else ("yes" if o.contact else "no"),
                    "revs": o.revs,
                    "transfer min": (o.t_dock_ns - o.t_tpi_ns) / NS_PER_S / 60.0,
                    "dv TPI m/s": o.dv_tpi_m_s,
                    "dv TPF m/s": o.dv_tpf_m_s,
                    "dv m/s": o.dv_total_m_s,
                    "search ms": cost_ms,
                }
            )
    return out


def the_grey_plan(repeat: int = 15) -> dict[str, Any]:
    """The Grey's rendezvous search: the scenario is run until ``apollo.rendezvous`` plans
    from the handed-over vector, with its call of :func:`find_opportunities` recorded, and
    that call is timed again (the best and the median of ``repeat``, after one more)."""
    from houston.dynamics.rendezvous import opportunities
    from houston.scenario.loader import load
    from houston.session.session import Session

    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    search = opportunities.find_opportunities

    def recorded(*args: Any, **kw: Any) -> list[Any]:
        calls.append((args, kw))
        return search(*args, **kw)

    world = load("the-grey")
    session = Session(world, sinks=[])
    opportunities.find_opportunities = recorded  # type: ignore[assignment]
    try:
        while not calls and session.t_ns < world.duration_ns:
            session.run(session.t_ns + 60 * NS_PER_S)
    finally:
        opportunities.find_opportunities = search  # type: ignore[assignment]
    args, kw = calls[0]
    search(*args, **kw)
    costs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        found = search(*args, **kw)
        costs.append(time.perf_counter() - t0)
    return {
        "case": "the-grey plan",
        "opportunities": len(found),
        "best ms": min(costs) * 1e3,
        "median ms": float(np.median(costs)) * 1e3,
    }


if __name__ == "__main__":
    for r in rows():
        print(r)
    print(the_grey_plan())

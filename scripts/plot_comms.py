"""Figures of docs/communications.md: a day of link availability, and the Earth over the base.

``python scripts/plot_comms.py`` writes

* ``docs/figures/comms_day.png``: the bundled ``comms-demo`` scenario run for 24 hours; for
  each asset, the link state of the run (up, down by geometry, down by equipment) and, below
  it, the predicted passes over each station (:func:`houston.comms.predict.contact_plan`);
* ``docs/figures/comms_libration.png``: the Earth's elevation above the horizon of the
  Shackleton rim site and of the south pole over July 1985, with the sub-Earth latitude
  (the libration that makes the Earth rise and set over the base).

Needs matplotlib (in the development environment; the package does not depend on it).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from houston.comms import lunar, predict
from houston.core.constants import MU_EARTH_M3_S2, MU_MOON_M3_S2, R_EARTH_M, R_MOON_M
from houston.core.time import NS_PER_S, Epoch
from houston.dynamics.elements import coe_to_rv
from houston.scenario.loader import load
from houston.session.session import Session

OUT = Path(__file__).resolve().parents[1] / "docs" / "figures"
DAY_S = 86_400
COLOURS = {0: "#2b8a3e", 1: "#dee2e6", 2: "#c92a2a"}  # up, down (geometry), down (failure)


def run_day() -> tuple[Session, dict[str, np.ndarray], np.ndarray]:
    """The comms-demo scenario run for a day; the link state of each asset every 10 s."""
    s = Session(load("comms-demo"))
    s.start()
    assets = [p for p, m in s.by_path.items() if m.type_name == "comms.link"]
    t = np.arange(0, DAY_S + 1, 10)
    states = {a: np.empty(t.size) for a in assets}
    for i, ti in enumerate(t):
        if ti:
            s.run(int(ti) * NS_PER_S)
        for a in assets:
            states[a][i] = s.value(f"{a}.link")[0]
    return s, states, t


def trajectory(s: Session, asset: str) -> tuple[predict.Trajectory | None, str]:
    """The two-body trajectory of an asset's orbit (as its vehicle.two_body starts it)."""
    key = asset.split(".")[0] + ".orbit"
    if key not in s.by_path:
        return None, "earth"
    p = s.world.system(key).params
    body = p["central_body"]
    mu, radius = (MU_EARTH_M3_S2, R_EARTH_M) if body == "earth" else (MU_MOON_M3_S2, R_MOON_M)
    rp, ra = radius + p["perigee_altitude"], radius + p["apogee_altitude"]
    e = (ra - rp) / (ra + rp)
    r0, v0 = coe_to_rv(
        rp * (1 + e), e, p["inclination"], p["raan"], p["arg_perigee"], p["true_anomaly"], mu
    )
    return predict.two_body_trajectory(r0, v0, mu), body


def plot_day() -> Path:
    s, states, t = run_day()
    assets = list(states)
    epoch = s.world.epoch
    rows = []
    for a in assets:
        m = s.by_path[a]
        traj, body = trajectory(s, a)
        kw = (
            {"site": lunar.SurfaceSite("site", m.p["latitude"], m.p["longitude"], m.p["height"])}
            if m.surface
            else {"position": traj, "central_body": body}
        )
        plan = predict.contact_plan(epoch, 0.0, float(DAY_S), m.stations, **kw)
        rows.append((a, m.stations.names, plan))
    height = sum(1.2 + 0.28 * len(names) for _, names, _ in rows)
    fig, axes = plt.subplots(
        len(rows),
        1,
        figsize=(10, height),
        sharex=True,
        gridspec_kw={"height_ratios": [1.5 + len(n) for _, n, _ in rows]},
    )
    hours = t / 3600.0
    for ax, (a, names, plan) in zip(np.atleast_1d(axes), rows, strict=True):
        y_link = len(names) + 0.5
        st = states[a]
        start = 0
        for i in range(1, st.size + 1):
            if i == st.size or st[i] != st[start]:
                ax.broken_barh(
                    [(hours[start], hours[min(i, st.size - 1)] - hours[start])],
                    (y_link - 0.4, 0.8),
                    color=COLOURS[int(st[start])],
                )
                start = i
        for p in plan:
            k = names.index(p.station)
            ax.broken_barh(
                [(p.aos_s / 3600.0, p.duration_s / 3600.0)], (k - 0.35, 0.7), color="#1c7ed6"
            )
        ax.set_yticks([*range(len(names)), y_link], [*names, "link (run)"], fontsize=8)
        ax.set_ylim(-0.7, y_link + 0.6)
        ax.set_title(a.split(".")[0], loc="left", fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    ax.set_xlim(0, 24)
    ax.set_xticks(range(0, 25, 2))
    ax.set_xlabel(f"hours after {epoch.utc} (UTC)")
    handles = [
        plt.Rectangle((0, 0), 1, 1, color=COLOURS[0]),
        plt.Rectangle((0, 0), 1, 1, color=COLOURS[1]),
        plt.Rectangle((0, 0), 1, 1, color=COLOURS[2]),
        plt.Rectangle((0, 0), 1, 1, color="#1c7ed6"),
    ]
    fig.legend(
        handles,
        ["link up", "down: geometry", "down: equipment", "predicted pass"],
        loc="upper right",
        ncol=4,
        fontsize=8,
    )
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    path = OUT / "comms_day.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_libration() -> Path:
    epoch = Epoch.from_utc("1985-07-01T00:00:00Z")
    t = np.arange(0, 31 * DAY_S, 1800) * NS_PER_S
    days = t / NS_PER_S / DAY_S
    site = lunar.SHACKLETON_RIM
    rim = np.degrees(lunar.earth_elevation(epoch, t, site.lat_rad, site.lon_rad))
    pole = np.degrees(lunar.earth_elevation(epoch, t, -0.5 * np.pi, 0.0))
    sub = np.degrees(lunar.sub_earth_point(epoch, t).lat_rad)
    fig, ax = plt.subplots(figsize=(10, 3.6))
    ax.plot(days, rim, label="Earth's elevation, Shackleton rim (88.74° S, 124.5° E)")
    ax.plot(days, pole, label="Earth's elevation, south pole", alpha=0.7)
    ax.plot(days, sub, "--", color="grey", label="sub-Earth latitude (libration)")
    ax.axhline(0.0, color="k", lw=0.8)
    ax.axvline(16 + 16 / 24, color="#c92a2a", lw=0.8)
    ax.text(16.8, -7.5, "comms-demo", color="#c92a2a", fontsize=8)
    ax.set_xlabel("days in July 1985 (UTC)")
    ax.set_ylabel("degrees")
    ax.legend(fontsize=8, loc="lower left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path = OUT / "comms_libration.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for p in (plot_libration(), plot_day()):
        print(p)

"""Figures of docs/the-grey.md: ``python scripts/plot_the_grey.py`` runs the night (the
default timeline, and the alternative without the cable swap) and writes
docs/figures/the_grey_*.png:

* the_grey_jamestown.png: the pressure of every module (truth, and what the ground heard) and
  the age of the newest Jamestown sample on the ground (comms down, then the old antenna);
* the_grey_reactor.png: reactor A's fuel and cladding temperatures and its countdown to core
  damage, with and without the cable swap;
* the_grey_runners.png: Gordo's and Tracy's suit pressures and condition;
* the_grey_moon.png: Pathfinder's distance to the Moon's centre against the blockade line,
  its range to Buran, Buran's range to Sea Dragon 17 against its missile range, and when each
  is heard on the ground;
* the_grey_apollo.png: Apollo's range to Soyuz and the rendezvous phase.

Needs matplotlib (not a dependency of the package).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import houston

OUT = Path(__file__).resolve().parents[1] / "docs" / "figures"
HOUR_NS = 3600e9


def _night(*overrides: str) -> Any:
    out = tempfile.mkdtemp(prefix="the-grey-")
    return houston.run("the-grey", out=out, overrides=overrides).archive


def _col(table: Any, name: str) -> Any:
    return table.column(name).to_numpy(zero_copy_only=False).astype(float)


def jamestown(a: Any) -> None:
    nodes = ["hab", "lab", "ops", "quarters", "airlock", "lock2"]
    names = [f"jamestown.atmosphere.{n}_pressure_Pa" for n in nodes]
    truth = a.telemetry(names, run=0)
    ground = a.ground_telemetry(names, run=0)
    t = _col(truth, "t_ns") / HOUR_NS
    fig, (ax, ax_age) = plt.subplots(2, 1, figsize=(9, 6.5), sharex=True, height_ratios=[3, 1])
    for i, (n, name) in enumerate(zip(nodes, names, strict=True)):
        ax.plot(t, _col(truth, name) / 1e3, color=f"C{i}", lw=1.5, label=f"{n} (truth)")
        ax.plot(t, _col(ground, name) / 1e3, color=f"C{i}", lw=0.8, ls=":", alpha=0.9)
    ax.set_ylabel("pressure (kPa)")
    ax.set_title("Jamestown: module pressures (solid: truth; dotted: what Houston heard)")
    ax.legend(fontsize=8, ncol=3)
    ax.grid(alpha=0.3)
    ax_age.plot(t, _col(ground, "jamestown.age_s"), "k-", lw=1)
    ax_age.set_yscale("log")
    ax_age.set_ylabel("age of newest\nsample (s)")
    ax_age.set_xlabel("GET (h)")
    ax_age.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(OUT / "the_grey_jamestown.png", dpi=120)
    plt.close(fig)


def reactor(a: Any, b: Any) -> None:
    base = "jamestown.reactor_a."
    names = [base + "fuel_temperature_K", base + "clad_temperature_K", base + "time_to_core_damage_s"]
    fig, (ax, ax_c) = plt.subplots(2, 1, figsize=(9, 6.5), sharex=True)
    for arc, label, ls in ((a, "cable swap", "-"), (b, "no swap", "--")):
        tab = arc.telemetry(names, run=0)
        t = _col(tab, "t_ns") / HOUR_NS
        ax.plot(t, _col(tab, names[0]) - 273.15, "C3", ls=ls, label=f"fuel, {label}")
        ax.plot(t, _col(tab, names[1]) - 273.15, "C1", ls=ls, label=f"cladding, {label}")
        ax_c.plot(t, _col(tab, names[2]) / 60.0, "C0", ls=ls, label=label)
    ax.axhline(1058.15 - 273.15, color="k", lw=0.8, ls=":", label="core damage (NaK boils)")
    ax.set_ylabel("temperature (°C)")
    ax.set_title("Jamestown reactor A: loss of primary flow at 01:15:20, no scram")
    ax.legend(fontsize=8, ncol=2)
    ax.grid(alpha=0.3)
    ax_c.set_ylabel("time to core\ndamage (min)")
    ax_c.set_xlabel("GET (h)")
    ax_c.legend(fontsize=8)
    ax_c.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(OUT / "the_grey_reactor.png", dpi=120)
    plt.close(fig)


def runners(a: Any) -> None:
    names = [
        "jamestown.crew.gordo_suit_pressure_Pa",
        "jamestown.crew.tracy_suit_pressure_Pa",
        "jamestown.crew.gordo_status",
        "jamestown.crew.tracy_status",
        "jamestown.atmosphere.airlock_pressure_Pa",
    ]
    tab = a.telemetry(names, run=0, start_ns=int(1.58 * HOUR_NS), end_ns=int(1.78 * HOUR_NS))
    t = _col(tab, "t_ns") / 60e9
    fig, (ax, ax_s) = plt.subplots(2, 1, figsize=(9, 6), sharex=True, height_ratios=[3, 1])
    ax.plot(t, _col(tab, names[0]) / 1e3, "C0", label="Gordo's suit")
    ax.plot(t, _col(tab, names[1]) / 1e3, "C3", label="Tracy's suit")
    ax.plot(t, _col(tab, names[4]) / 1e3, "k:", label="airlock")
    ax.set_ylabel("pressure (kPa)")
    ax.set_title("The run: taped-up suits, the path to the connector panel and back")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    ax_s.plot(t, _col(tab, names[2]), "C0", drawstyle="steps-post", label="Gordo")
    ax_s.plot(t, _col(tab, names[3]), "C3", drawstyle="steps-post", label="Tracy")
    ax_s.set_yticks([0, 1, 2, 3], ["NOMINAL", "IMPAIRED", "UNCONSC.", "DEAD"])
    ax_s.set_xlabel("GET (min)")
    ax_s.legend(fontsize=8)
    ax_s.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(OUT / "the_grey_runners.png", dpi=120)
    plt.close(fig)


def moon(a: Any) -> None:
    names = [
        "pathfinder.radar.a_moon_distance_m",
        "pathfinder.radar.range_m",
        "pathfinder.radar.radar_view",
        "buran.missiles.range_m",
        "pathfinder.comms.link",
        "buran.tracking.link",
        "sea_dragon.comms.link",
    ]
    tab = a.telemetry(names, run=0, start_ns=int(1.5 * HOUR_NS))
    t = _col(tab, "t_ns") / HOUR_NS
    fig, (ax, ax_l) = plt.subplots(2, 1, figsize=(9, 6.5), sharex=True, height_ratios=[3, 1])
    ax.plot(t, _col(tab, names[0]) / 1e3, "C0", label="Pathfinder to the Moon's centre")
    ax.axhline(3000, color="C0", ls=":", lw=1, label="blockade line (3,000 km)")
    rng = _col(tab, names[1]) / 1e3
    ax.plot(t, rng, "C3", lw=0.8, label="Pathfinder to Buran")
    view = _col(tab, names[2]) > 0.5
    ax.plot(t[view], rng[view], "C3", lw=2.5, label="Buran in Pathfinder's radar view")
    ax.plot(t, _col(tab, names[3]) / 1e3, "C2", label="Buran to Sea Dragon 17")
    ax.axhline(2000, color="C2", ls=":", lw=1, label="Buran's missile range (2,000 km)")
    ax.set_ylim(0, 8000)
    ax.set_ylabel("distance (km)")
    ax.set_title("At the Moon: the blockade line, the stand-off, Sea Dragon 17")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    for i, (n, label) in enumerate(
        ((names[4], "Pathfinder"), (names[5], "Buran"), (names[6], "Sea Dragon 17"))
    ):
        up = _col(tab, n) == 0  # LinkState.UP
        ax_l.fill_between(t, i, i + 0.8 * up, step="post", color=f"C{i}", alpha=0.7)
        ax_l.text(t[0], i + 0.3, f" {label}", fontsize=8)
    ax_l.set_yticks([])
    ax_l.set_ylabel("heard by\nthe DSN")
    ax_l.set_xlabel("GET (h)")
    fig.tight_layout()
    fig.savefig(OUT / "the_grey_moon.png", dpi=120)
    plt.close(fig)


def apollo(a: Any, abort: Any) -> None:
    names = ["apollo.rendezvous.range_m", "apollo.rendezvous.phase"]
    fig, (ax, ax_p) = plt.subplots(2, 1, figsize=(9, 5.5), sharex=True, height_ratios=[3, 1])
    for arc, label, ls in ((a, "proceed", "-"), (abort, "abort", "--")):
        tab = arc.telemetry(names, run=0)
        t = _col(tab, "t_ns") / HOUR_NS
        ax.plot(t, _col(tab, names[0]) / 1e3, "C0", ls=ls, label=label)
        ax_p.plot(t, _col(tab, names[1]), "C0", ls=ls, drawstyle="steps-post", label=label)
    ax.set_yscale("log")
    ax.set_ylabel("range to Soyuz (km)")
    ax.set_title("Apollo-Soyuz: the rendezvous on the handed-over state vector")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    ax_p.set_yticks(
        range(7), ["IDLE", "PLANNED", "TRANSFER", "FINAL", "DOCKED", "HATCHES", "ABORTED"]
    )
    ax_p.set_xlabel("GET (h)")
    ax_p.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(OUT / "the_grey_apollo.png", dpi=120)
    plt.close(fig)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    night = _night()
    jamestown(night)
    reactor(night, _night("decision.cable_swap=false"))
    runners(night)
    moon(night)
    apollo(night, _night("decision.apollo=abort"))
    print(f"figures written to {OUT}")


if __name__ == "__main__":
    main()

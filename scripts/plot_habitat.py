"""Figures of docs/habitat.md: ``python scripts/plot_habitat.py`` writes docs/figures/habitat_*.png.

* habitat_blowdown.png: a single volume venting through a choked orifice, the network step at
  three time steps against the analytic isothermal blowdown;
* habitat_equalisation.png: an empty airlock filled from a module through a valve, against
  the analytic choked inflow and the exact final pressure;
* habitat_suits.png: time to each status in an improvised suit at vacuum against its leak area;
* habitat_base.png: the habitat-demo base losing its lab (truth and readings), the leak-rate
  estimate, and the two runners' suits.

Needs matplotlib (not a dependency of the package).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from houston.core.constants import R_GAS_J_MOL_K
from houston.habitat import fastnet, gas
from houston.habitat.flow import critical_pressure_ratio, fliegner_coefficient
from houston.habitat.network import GasNetwork, initial_state, node_pressure_Pa

OUT = Path(__file__).resolve().parents[1] / "docs" / "figures"
P0_PA = 101_325.0
T0_K = 293.15


def _air() -> tuple[float, float]:
    m = gas.masses_from_pressure_kg(P0_PA, 1.0, T0_K)
    return float(gas.heat_capacity_ratio(m)), float(gas.mixture_molar_mass_kg_mol(m))


def blowdown() -> None:
    volume, area_cd = 1.0, 1e-4
    gamma, molar_mass = _air()
    c = fliegner_coefficient(gamma, molar_mass)
    tau = volume * molar_mass / (R_GAS_J_MOL_K * T0_K) * np.sqrt(T0_K) / (c * area_cd)
    net = GasNetwork.build(
        [("cabin", volume), ("space", float("inf"))], [("hole", "cabin", "space")]
    )
    fig, (ax, ax_err) = plt.subplots(2, 1, figsize=(7, 6), sharex=True, height_ratios=[2, 1])
    t_end = 3 * tau
    t = np.linspace(0, t_end, 400)
    ax.plot(t, P0_PA * np.exp(-t / tau) / 1e3, "k-", lw=2, label="analytic p0 exp(-t/τ)")
    for dt, style in ((1.0, "C0o"), (10.0, "C1s"), (30.0, "C3^")):
        state = initial_state(net, [P0_PA, 0.0], T0_K)
        times, p = [0.0], [P0_PA]
        for n in range(1, int(t_end / dt) + 1):
            state = fastnet.step(net, state, [area_cd], dt).state
            times.append(n * dt)
            p.append(float(node_pressure_Pa(net, state)[0, 0]))
        times_a, p_a = np.array(times), np.array(p)
        every = max(1, len(times) // 25)
        ax.plot(
            times_a[::every],
            p_a[::every] / 1e3,
            style,
            ms=4,
            label=f"backward Euler, dt = {dt:g} s",
        )
        ax_err.plot(
            times_a, p_a - P0_PA * np.exp(-times_a / tau), style[:2] + "-", label=f"dt = {dt:g} s"
        )
    ax.set_ylabel("cabin pressure (kPa)")
    ax.set_title(f"1 m³ venting to vacuum through cd·A = 1 cm² (choked, τ = {tau:.1f} s)")
    ax.legend()
    ax_err.set_xlabel("time (s)")
    ax_err.set_ylabel("error (Pa)")
    ax_err.axhline(0, color="k", lw=0.5)
    fig.tight_layout()
    fig.savefig(OUT / "habitat_blowdown.png", dpi=120)
    plt.close(fig)


def equalisation() -> None:
    v_hab, v_al, area_cd = 100.0, 5.0, 18e-4  # a 30 cm² valve, cd 0.6
    gamma, molar_mass = _air()
    c = fliegner_coefficient(gamma, molar_mass)
    k = area_cd * c * np.sqrt(T0_K) * R_GAS_J_MOL_K / (molar_mass * v_hab)
    net = GasNetwork.build([("hab", v_hab), ("airlock", v_al)], [("valve", "hab", "airlock")])
    state = initial_state(net, [P0_PA, 0.0], T0_K)
    dt = 0.1
    times, p = [0.0], [[P0_PA, 0.0]]
    for n in range(1, 601):
        state = fastnet.step(net, state, [area_cd], dt).state
        times.append(n * dt)
        p.append(node_pressure_Pa(net, state)[0].tolist())
    t, p_a = np.array(times), np.array(p)
    r_c = critical_pressure_ratio(gamma)
    choked_end = t[np.argmax(p_a[:, 1] > r_c * p_a[:, 0])]
    fig, ax = plt.subplots(figsize=(7, 4.2))
    ax.plot(t, p_a[:, 0] / 1e3, "C0-", label="module (100 m³)")
    ax.plot(t, p_a[:, 1] / 1e3, "C1-", label="airlock (5 m³)")
    tc = t[t <= choked_end]
    ax.plot(
        tc,
        v_hab / v_al * P0_PA * (1 - np.exp(-k * tc)) / 1e3,
        "k--",
        label="analytic choked inflow",
    )
    ax.axhline(
        P0_PA * v_hab / (v_hab + v_al) / 1e3,
        color="k",
        lw=0.7,
        ls=":",
        label="exact final p0 V1/(V1+V2)",
    )
    ax.axvline(choked_end, color="grey", lw=0.7)
    ax.text(choked_end, 10, "  unchoked", color="grey")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("pressure (kPa)")
    ax.set_title("Equalising an empty airlock through a 30 cm² valve (cd 0.6), dt = 0.1 s")
    ax.legend(loc="center right")
    fig.tight_layout()
    fig.savefig(OUT / "habitat_equalisation.png", dpi=120)
    plt.close(fig)


def suits() -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.crew.test_model import _suit_in_vacuum

    leaks = np.array([0.3, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 50.0])
    rows = [_suit_in_vacuum(a * 1e-6, 3600) for a in leaks]
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for name, style in (("IMPAIRED", "C1o-"), ("UNCONSCIOUS", "C3s-"), ("DEAD", "k^-")):
        ax.plot(leaks, [r.get(name, np.nan) for r in rows], style, label=name)
    for name, t_s, ls in (
        ("unsuited: impaired 9 s", 9, ":"),
        ("unconscious 14 s", 14, "--"),
        ("dead 150 s", 150, "-."),
    ):
        ax.axhline(t_s, color="grey", lw=0.8, ls=ls)
        ax.text(leaks[-1], t_s * 1.05, name, ha="right", color="grey", fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("suit leak, effective area cd·A (mm²)")
    ax.set_ylabel("time in vacuum (s)")
    ax.set_title("Improvised suit (0.1 m³ of cabin air) at vacuum: time to each status")
    ax.legend()
    fig.tight_layout()
    fig.savefig(OUT / "habitat_suits.png", dpi=120)
    plt.close(fig)


def base() -> None:
    from houston.scenario.loader import load
    from houston.session.session import Session

    class Keep:
        def __init__(self) -> None:
            self.t: list[float] = []
            self.v: list[np.ndarray] = []

        def begin(self, s: Session) -> None:
            self.cat = s.catalog

        def frame(self, t_ns: int, values: np.ndarray) -> None:
            self.t.append(t_ns / 60e9)
            self.v.append(values[0].copy())

        def events(self, e: object) -> None: ...
        def commands(self, c: object) -> None: ...
        def flush(self) -> None: ...
        def close(self) -> None: ...

        def __getitem__(self, name: str) -> np.ndarray:
            return np.array(self.v)[:, self.cat.index[name]]

    keep = Keep()
    session = Session(load("habitat-demo"), sinks=[keep])
    session.run()
    t = np.array(keep.t)
    a = "jamestown.atmosphere."
    fig, axes = plt.subplots(3, 1, figsize=(8, 9), sharex=True)
    ax = axes[0]
    for i, node in enumerate(("hab", "lab", "ops", "airlock")):
        ax.plot(t, keep[a + f"{node}_true_pressure_Pa"] / 1e3, f"C{i}-", lw=2.5, alpha=0.35)
        ax.plot(
            t,
            keep[a + f"{node}_pressure_Pa"] / 1e3,
            f"C{i}-",
            lw=0.8,
            label=f"{node} (voted reading; wide: truth)",
        )
    ax.plot(t, keep[a + "hab_p2_Pa"] / 1e3, "k:", lw=1, label="hab channel 2 (stuck from 1 min)")
    for y, label in ((90, "caution"), (75.262, "warning")):
        ax.axhline(y, color="grey", lw=0.6, ls="--")
        ax.text(t[-1], y + 1, label, ha="right", color="grey", fontsize=8)
    ax.set_ylabel("pressure (kPa)")
    ax.set_title("habitat-demo: the lab holed at 1.5 min, isolated at 4 min; the airlock cycled")
    ax.legend(fontsize=7, loc="lower left")
    ax = axes[1]
    ax.plot(
        t,
        keep[a + "lab_leak_rate_kg_s"] * 1e3,
        "C1-",
        label="lab leak rate, estimated from readings",
    )
    ax.plot(t, keep[a + "lab_true_hole_flow_kg_s"] * 1e3, "k--", label="lab hole flow (truth)")
    ax.plot(t, keep[a + "n2_true_flow_kg_s"] * 1e3, "C2-", label="N2 tank feed to the hab (truth)")
    ax.set_ylabel("g/s")
    ax.set_ylim(-20, 60)
    ax.legend(fontsize=7)
    ax = axes[2]
    c = "jamestown.crew."
    for i, who in enumerate(("gordo", "tracy")):
        ax.plot(
            t, keep[c + f"{who}_suit_pressure_Pa"] / 1e3, f"C{i}-", label=f"{who}: suit pressure"
        )
        ax.plot(
            t,
            20 * keep[c + f"{who}_status"],
            f"C{i}:",
            label=f"{who}: status ×20 (1 impaired, 2 unconscious, 3 dead)",
        )
    ax.set_ylabel("kPa")
    ax.set_xlabel("ground elapsed time (min)")
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    fig.savefig(OUT / "habitat_base.png", dpi=120)
    plt.close(fig)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    blowdown()
    equalisation()
    suits()
    base()


if __name__ == "__main__":
    main()

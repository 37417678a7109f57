"""Figures and tables of docs/reactor.md: ``.venv/bin/python scripts/plot_reactor.py``.

Writes docs/figures/reactor_loss_of_flow.png and docs/figures/reactor_countdown.png (needs
matplotlib, which the tests do not) and prints the sensitivity table of the countdown.

Three copies of the bundled reactor run side by side (rows of one batch, 1 s frames): at
t = 0 the primary pump loses its drive with no protection connected; in the first nothing
else happens, in the second the flight controllers scram at once, in the third the crew
restores the cross-connect at 40 minutes.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np

from houston.core.model import ModelEvent, ModelRandom, StepContext, model_class
from houston.core.random import BatchRandom, run_seeds

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "docs" / "figures"
CASES = ("no scram", "scram at once", "cross-connect at 40 min")
RECORD = (
    "true_power_fraction",
    "true_fuel_temperature_K",
    "true_clad_temperature_K",
    "true_core_outlet_temperature_K",
    "true_core_inlet_temperature_K",
    "true_primary_flow_kg_s",
    "true_electric_power_W",
    "decay_heat_W",
    "time_to_core_damage_s",
    "time_to_core_damage_early_s",
    "time_to_core_damage_late_s",
)


def _model(batch: int, **params: Any) -> tuple[Any, StepContext, dict[str, np.ndarray]]:
    cls = model_class("reactor.fission_surface")
    values = {p.name: p.default for p in cls.params}
    values.update(params)
    m = cls("jamestown.reactor", values, batch)
    inputs = {s.name: np.full((batch, *s.shape), s.default) for s in m.inputs}
    events: list[ModelEvent] = []
    ctx = StepContext(
        0, 0, -1, inputs, ModelRandom(BatchRandom(run_seeds(0, batch)), m.path), events
    )
    m.initialize(ctx)
    return m, ctx, inputs


def _step(m: Any, ctx: StepContext, inputs: dict[str, np.ndarray], t: int) -> None:
    ctx.reset(t * 1_000_000_000, (t + 1) * 1_000_000_000, t, inputs)
    m.step(ctx)


def _telemetry(m: Any) -> dict[str, np.ndarray]:
    out = np.full((m.batch, len(m.telemetry)), np.nan)
    m.sample(out)
    return {t.name: out[:, i] for i, t in enumerate(m.telemetry)}


def transients(minutes: int = 90) -> dict[str, np.ndarray]:
    m, ctx, inputs = _model(3)
    everyone = np.ones(3, dtype=bool)
    m.command("disconnect_backup", {}, everyone)
    t = 0
    for _ in range(60):
        _step(m, ctx, inputs, t)
        t += 1
    m.set_failure("pump_drive_cut", {}, everyone, True)
    m.command("scram", {}, np.array([False, True, False]))
    rec: dict[str, list[np.ndarray]] = {k: [] for k in ("t_s", *RECORD)}
    for second in range(minutes * 60):
        if second == 40 * 60:
            m.command("restore_cross_connect", {}, np.array([False, False, True]))
        _step(m, ctx, inputs, t)
        t += 1
        tm = _telemetry(m)
        rec["t_s"].append(np.full(3, second + 1.0))
        for k in RECORD:
            rec[k].append(tm[k].copy())
    return {k: np.array(v) for k, v in rec.items()}


def damage_time_min(scram: bool = False, hours: float = 3.0, **params: Any) -> tuple[float, str]:
    """Minutes from the loss of flow to core damage (nan: none within ``hours``), and a note
    on the peak cladding temperature when there is none."""
    m, ctx, inputs = _model(1, prediction_interval=1e9, **params)
    m.command("disconnect_backup", {}, np.ones(1, dtype=bool))
    _step(m, ctx, inputs, 0)
    m.set_failure("pump_drive_cut", {}, np.ones(1, dtype=bool), True)
    if scram:
        m.command("scram", {}, np.ones(1, dtype=bool))
    peak, t_peak = 0.0, 0
    for second in range(int(hours * 3600)):
        _step(m, ctx, inputs, second + 1)
        if m.state["damage"][0] >= 1:
            return (second + 1) / 60.0, ""
        if m.state["T"][0, 1] > peak:
            peak, t_peak = float(m.state["T"][0, 1]), second + 1
    return float("nan"), f"cladding peaks at {peak:.1f} K after {t_peak / 3600:.1f} h"


def sensitivity() -> list[tuple[str, float, str]]:
    from houston.reactor.design import DEFAULTS as D

    cases: list[tuple[str, dict[str, Any]]] = [
        ("bundled set", {}),
        ("fuel mass 280 kg (-40)", {"fuel_mass": 280.0}),
        ("structure mass 170 kg (+20)", {"structure_mass": 170.0}),
        ("heat exchanger level with the core (0 m)", {"thermal_centre_height": 0.0}),
        ("heat exchanger 0.1 m above the core", {"thermal_centre_height": 0.1}),
        ("heat exchanger 0.2 m above the core", {"thermal_centre_height": 0.2}),
        ("pump coastdown 20 s (flywheel)", {"pump_coastdown_time": 20.0}),
        ("one month of operation (less decay heat)", {"operating_time": 30 * 86400.0}),
        ("lunar night sink, 100 K", {"sink_temperature": 100.0}),
        (
            "feedback coefficients x 0.7",
            {
                "fuel_temperature_coefficient": 0.7 * D["fuel_temperature_coefficient"],
                "coolant_temperature_coefficient": 0.7 * D["coolant_temperature_coefficient"],
            },
        ),
        (
            "feedback coefficients x 1.3",
            {
                "fuel_temperature_coefficient": 1.3 * D["fuel_temperature_coefficient"],
                "coolant_temperature_coefficient": 1.3 * D["coolant_temperature_coefficient"],
            },
        ),
    ]
    out = [(label, *damage_time_min(**params)) for label, params in cases]
    out.append(("scram at the loss of flow", *damage_time_min(scram=True, hours=8.0)))
    return out


def plot(rec: dict[str, np.ndarray]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from houston.reactor.design import DEFAULTS as D
    from houston.reactor.design import loop_design

    t = rec["t_s"][:, 0] / 60.0
    rated_flow = loop_design(D).rated_flow_kg_s
    colours = ("tab:red", "tab:blue", "tab:green")
    fig, ax = plt.subplots(2, 2, figsize=(11, 7.5), sharex=True)
    for i, (label, c) in enumerate(zip(CASES, colours, strict=True)):
        ax[0, 0].semilogy(t, np.maximum(rec["true_power_fraction"][:, i], 1e-7), c, label=label)
        ax[0, 1].plot(t, rec["true_clad_temperature_K"][:, i], c, label=f"{label}: cladding")
        ax[1, 0].semilogy(
            t, np.maximum(np.abs(rec["true_primary_flow_kg_s"][:, i]) / rated_flow, 1e-5), c
        )
        ax[1, 1].plot(t, rec["true_core_inlet_temperature_K"][:, i], c, ls="--")
        ax[1, 1].plot(t, rec["true_core_outlet_temperature_K"][:, i], c)
    decay = rec["decay_heat_W"][:, 0] / D["rated_power"]
    ax[0, 0].semilogy(t, decay, "k:", label="decay heat (ANS-5.1-1979)")
    ax[0, 0].set_ylabel("fission power, fraction of rated")
    ax[0, 0].set_ylim(1e-7, 2)
    ax[0, 0].legend(fontsize=8)
    ax[0, 1].axhline(D["clad_damage_temperature"], color="k", lw=0.8)
    ax[0, 1].text(
        1, D["clad_damage_temperature"] + 4, "core damage: NaK boils (1058 K)", fontsize=8
    )
    ax[0, 1].set_ylabel("cladding temperature, K")
    ax[0, 1].legend(fontsize=8, loc="lower right")
    ax[1, 0].set_ylabel("|primary flow|, fraction of rated")
    ax[1, 0].set_xlabel("minutes after the loss of flow")
    ax[1, 1].set_ylabel("core outlet (solid) and inlet (dashed), K")
    ax[1, 1].set_xlabel("minutes after the loss of flow")
    fig.suptitle("Loss of primary flow, no automatic protection (1 s frames)")
    fig.tight_layout()
    fig.savefig(FIGURES / "reactor_loss_of_flow.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(8, 5))
    ttd = rec["time_to_core_damage_s"][:, 0] / 60.0
    early = rec["time_to_core_damage_early_s"][:, 0] / 60.0
    late = rec["time_to_core_damage_late_s"][:, 0] / 60.0
    hit = np.flatnonzero(rec["true_clad_temperature_K"][:, 0] >= D["clad_damage_temperature"])
    damage = t[hit[0]] if hit.size else np.nan
    ax.fill_between(t, early, late, color="tab:red", alpha=0.2, label="feedback coefficients ±30 %")
    ax.plot(t, ttd, "tab:red", label="predicted time to core damage")
    ax.plot(t, np.maximum(damage - t, 0.0), "k--", label="what happened")
    ttd2 = rec["time_to_core_damage_s"][:, 2] / 60.0
    ax.plot(
        t, np.where(np.isfinite(ttd2), ttd2, np.nan), "tab:green", label="cross-connect at 40 min"
    )
    ax.set_xlabel("minutes after the loss of flow")
    ax.set_ylabel("minutes left")
    ax.set_xlim(0, 60)
    ax.set_ylim(0, 75)
    ax.legend()
    ax.set_title(f"Countdown the flight controllers see (core damage at {damage:.1f} min)")
    fig.tight_layout()
    fig.savefig(FIGURES / "reactor_countdown.png", dpi=110)
    plt.close(fig)


def main() -> None:
    rec = transients()
    try:
        plot(rec)
    except ImportError:
        print("matplotlib is not installed: no figures", file=sys.stderr)
    print("| case | core damage after the loss of flow |")
    print("|---|---|")
    for label, minutes, note in sensitivity():
        text = f"none ({note})" if np.isnan(minutes) else f"{minutes:.1f} min"
        print(f"| {label} | {text} |")


if __name__ == "__main__":
    main()

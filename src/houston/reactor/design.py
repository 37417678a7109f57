"""The bundled surface-reactor parameter set and the builders that turn parameters into the
numerical core's design objects.

The default reactor is a Fission Surface Power class plant: a UO2-fuelled, stainless-steel
clad, fast-spectrum core cooled by a pumped NaK-78 loop, a heat exchanger to a secondary loop
feeding free-piston Stirling converters, and radiators. Sources, value by value (also in
``docs/reactor.md``):

* **Fission Surface Power** (FSP): L. Mason, D. Poston and L. Qualls, "System Concepts for
  Affordable Fission Surface Power", STAIF 2008 (NASA Technical Reports Server document
  20080013229): a 40 kWe lunar and Mars system with a "low temperature, uranium
  dioxide-fueled, liquid metal-cooled fission reactor coupled to free-piston Stirling
  converters" (abstract). From it: the architecture, UO2 with stainless steel, NaK, Stirling
  conversion, and the reactor outlet of about 900 K.
* **Kilopower / KRUSTY** (M. A. Gibson et al., NASA/TM, 2018; D. I. Poston et al., "KRUSTY
  Reactor Design", Nuclear Technology 206, 2020): a compact fast core self-regulated by its
  negative temperature feedback, which the nuclear test showed; highly enriched U-235 kinetics.
  Published KRUSTY numbers we could read (through the NEAMS Virtual Test Bed's KRUSTY model,
  idaholab/virtual_test_bed, which cites Poston et al. 2020 and the ICSBEP benchmark
  HEU-MET-FAST-101): beta_eff 0.0065 (assumed in the warm-critical analysis), 0.0066
  (ICSBEP, calculated), 0.0069 (Serpent); the fuel's Doppler feedback, -69 pcm from 300 to
  800 K (Serpent), about -0.02 cent/K, small beside the thermal expansion that dominates.
  ``beta_total`` = 0.0065 agrees. KRUSTY's total (expansion) temperature coefficient we could
  not read, and it would not transfer anyway: it belongs to the U-7.65Mo metal disk of a
  1 kWe prototype, cooled by sodium heat pipes inside a BeO reflector, not to a UO2, steel
  and NaK core. The feedback coefficients
  below therefore stay engineering values, chosen for the 45 minutes, and the prediction
  carries a stated uncertainty on them (``docs/reactor.md`` gives the comparison).
* **SNAP-10A**: a NaK-78 pumped loop in space, core inlet 755 K and outlet 816 K (Magee,
  Dufoe and Gordon, *SNAP 10A Reactor Thermal Performance*, Atomics International, 1964, as
  tabulated by Dalinger et al., arXiv:2505.04024, 2025; not checked against the 1964 report).
  Used as a check that a 50-60 K core temperature rise is what such loops run at.

Everything else is an engineering value chosen for a 180 kWt / 45 kWe gross plant, stated as
such. The masses and the layout of the loop (the height of the heat exchanger above the core)
were chosen with the physics of :mod:`houston.reactor.plant` so that an unprotected loss of
flow reaches core damage in about 45 minutes (``docs/reactor.md`` explains how, and how the
answer moves with each choice).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np

from houston.reactor import kinetics
from houston.reactor.loop import LoopDesign
from houston.reactor.plant import PlantParams
from houston.reactor.properties import (
    NAK78_BOILING_POINT_K,
    NAK_SPECIFIC_HEAT_J_KG_K,
    SS316_SOLIDUS_K,
    SS316_SPECIFIC_HEAT_J_KG_K,
    UO2_MELTING_POINT_K,
    UO2_SPECIFIC_HEAT_J_KG_K,
)

#: Specific heat of the radiator panels (titanium/water heat pipes with composite fins),
#: J/(kg K): an engineering value.
RADIATOR_SPECIFIC_HEAT_J_KG_K: Final = 900.0

SPECIFIC_HEATS_J_KG_K: Final = {
    "UO2": UO2_SPECIFIC_HEAT_J_KG_K,
    "SS316": SS316_SPECIFIC_HEAT_J_KG_K,
    "NaK": NAK_SPECIFIC_HEAT_J_KG_K,
    "radiator": RADIATOR_SPECIFIC_HEAT_J_KG_K,
}

#: The bundled set (SI). Each entry: value, and where it comes from.
DEFAULTS: Final[dict[str, float]] = {
    # Power and kinetics
    "rated_power": 180e3,  # engineering: 0.25 x 180 kWt = 45 kWe gross, 40 kWe net (FSP class)
    "operating_time": 365.25 * 86400.0,  # one year at rated power before the scenario starts
    "generation_time": 1e-5,  # engineering: reflected compact fast core
    "beta_total": kinetics.BETA_TOTAL_U235,  # U-235, Keepin (see kinetics)
    "fuel_temperature_coefficient": -0.4e-2 * kinetics.BETA_TOTAL_U235,  # -0.4 cent/K, eng.
    "coolant_temperature_coefficient": -0.2e-2 * kinetics.BETA_TOTAL_U235,  # -0.2 cent/K, eng.
    "feedback_uncertainty": 0.3,  # relative, for the prediction's band
    "drum_worth": 5.0 * kinetics.BETA_TOTAL_U235,  # $5 for the drums together, engineering
    "critical_drum_angle": np.deg2rad(100.0),  # critical at rated, engineering
    "drum_speed": np.deg2rad(0.5),  # normal drive, engineering
    "scram_time": 0.5,  # full stroke on the springs, engineering
    # Design point at rated power
    "fuel_temperature": 1000.0,  # volume-average UO2, engineering (low linear power)
    "structure_temperature": 920.0,  # cladding and core structure, engineering
    "core_outlet_temperature": 900.0,  # FSP reactor outlet, about 900 K
    "core_inlet_temperature": 850.0,  # engineering: 50 K rise (SNAP-10A ran 61 K)
    "secondary_temperature": 820.0,  # Stirling hot end, engineering
    "radiator_temperature": 400.0,  # engineering (water heat-pipe radiators)
    "design_sink_temperature": 250.0,  # lunar day, radiator seeing warm regolith, engineering
    "sink_temperature": 250.0,
    "conversion_efficiency": 0.25,  # Stirling, about half of Carnot at 820/400 K, engineering
    "converter_stall_temperature": 650.0,  # engineering
    "converter_ramp": 50.0,
    # Masses (heat capacities)
    "fuel_mass": 320.0,  # UO2, engineering
    "structure_mass": 150.0,  # SS-316 cladding, grid and vessel wall in the core, engineering
    "core_coolant_mass": 15.0,  # NaK in the core, engineering
    "loop_coolant_mass": 35.0,  # NaK in the legs and the heat exchanger, engineering
    "loop_steel_mass": 70.0,  # pipes and heat exchanger, engineering
    "secondary_coolant_mass": 30.0,  # engineering
    "secondary_steel_mass": 60.0,  # engineering
    "radiator_mass": 600.0,  # engineering (about 5 kg/m2)
    # Hydraulics
    "pump_head": 60e3,  # engineering
    "laminar_flow_fraction": 0.15,  # 2300 / Re at rated in the core channels (about 15,000)
    "thermal_centre_height": 0.05,  # heat exchanger's thermal centre above the core's
    "pump_coastdown_time": 10.0,  # speed halving time from the fluid drag, engineering
    "pump_friction_torque": 0.01,  # bearings and seals, fraction of rated torque
    "pump_spinup_time": 5.0,
    # Damage and protection
    "clad_damage_temperature": NAK78_BOILING_POINT_K,
    "meltdown_temperature": SS316_SOLIDUS_K,
    "fuel_melting_temperature": UO2_MELTING_POINT_K,
    "trip_fuel_temperature": 1050.0,
    "trip_outlet_temperature": 950.0,
    "trip_low_flow": 0.7,
    "trip_high_power": 1.15,
    # Prediction
    "prediction_interval": 60.0,
    "prediction_horizon": 2.0 * 3600.0,
    "prediction_max_step": 600.0,
}


def loop_design(p: Mapping[str, Any]) -> LoopDesign:
    """The loop of the parameters ``p`` (SI, the model's parameter names)."""
    loop_nak, loop_ss = p["loop_coolant_mass"], p["loop_steel_mass"]
    masses = {
        "fuel": {"UO2": p["fuel_mass"]},
        "structure": {"SS316": p["structure_mass"]},
        "core coolant": {"NaK": p["core_coolant_mass"]},
        "hot leg": {"NaK": 0.25 * loop_nak, "SS316": 0.25 * loop_ss},
        "heat exchanger": {"NaK": 0.5 * loop_nak, "SS316": 0.5 * loop_ss},
        "cold leg": {"NaK": 0.25 * loop_nak, "SS316": 0.25 * loop_ss},
        "secondary": {"NaK": p["secondary_coolant_mass"], "SS316": p["secondary_steel_mass"]},
        "radiator": {"radiator": p["radiator_mass"]},
    }
    return LoopDesign.from_design_point(
        rated_power_W=p["rated_power"],
        fuel_K=p["fuel_temperature"],
        structure_K=p["structure_temperature"],
        core_outlet_K=p["core_outlet_temperature"],
        core_inlet_K=p["core_inlet_temperature"],
        secondary_K=p["secondary_temperature"],
        radiator_K=p["radiator_temperature"],
        sink_K=p["design_sink_temperature"],
        conversion_efficiency=p["conversion_efficiency"],
        converter_stall_K=p["converter_stall_temperature"],
        converter_ramp_K=p["converter_ramp"],
        masses_kg=masses,
        specific_heats_J_kg_K=SPECIFIC_HEATS_J_KG_K,
        rated_pump_head_Pa=p["pump_head"],
        laminar_flow_fraction=p["laminar_flow_fraction"],
        thermal_centre_height_m=p["thermal_centre_height"],
    )


def plant_params(p: Mapping[str, Any]) -> PlantParams:
    """The plant of the parameters ``p`` (SI, the model's parameter names)."""
    return PlantParams(
        loop=loop_design(p),
        kinetics=kinetics.keepin_u235_fast(p["generation_time"], p["beta_total"]),
        rated_power_W=p["rated_power"],
        alpha_fuel_per_K=float(p["fuel_temperature_coefficient"]),
        alpha_coolant_per_K=float(p["coolant_temperature_coefficient"]),
        drum_worth=p["drum_worth"],
        critical_drum_angle_rad=p["critical_drum_angle"],
        pump_coastdown_s=p["pump_coastdown_time"],
        pump_friction_torque=p["pump_friction_torque"],
        pump_spinup_s=p["pump_spinup_time"],
    )

"""The reactor's heat-transport loop as a lumped thermal network, stepped implicitly.

Pure numerics over arrays with a leading batch axis (a single run is a batch of one); SI units.

Nodes (index, symbol)::

    0 F  fuel                       heat source (fission + decay heat)
    1 S  cladding and core structure
    2 C  core coolant               (its temperature is the core outlet: a mixing-cup node)
    3 H  hot leg                    core -> heat exchanger
    4 X  heat exchanger, primary side
    5 K  cold leg                   heat exchanger -> core (its temperature is the core inlet)
    6 D  secondary loop and the power converters' hot end
    7 R  radiators

Heat flows: ``G_fs (T_F - T_S)`` fuel to structure, ``G_sc (T_S - T_C)`` structure to coolant,
``G_x (T_X - T_D)`` across the heat exchanger, ``G_conv (T_D - T_R)`` through the converters,
of which the fraction ``eta`` leaves as electricity and the rest goes to the radiators, which
radiate ``sigma eps A (T_R^4 - T_sink^4)``. The primary coolant is carried round the ring
C -> H -> X -> K -> C by the mass flow ``mdot`` (either direction) with donor-cell (upwind)
advection, ``mdot c_p (T_upstream - T_node)``.

Scheme: backward Euler over the step with the flow held at its start-of-step value and the
radiator's ``T^4`` linearised about the start of the step (one Newton step), so each step is a
single linear solve of an 8 x 8 system per run (``numpy.linalg.solve`` on the stacked
matrices). It is unconditionally stable, and energy is conserved to round-off: every internal
exchange appears with opposite signs in two rows and the advection terms telescope round the
closed ring, so ``sum_i C_i (T_i' - T_i) = dt (Q_source - P_electric - Q_radiated)`` with the
electric and radiated powers evaluated as the solve used them (returned for the bookkeeping).
The scheme is first order in time; tests/reactor/test_loop.py measures the error against
fine steps.

Hydraulics: quasi-steady momentum balance (the loop's fluid inertia is negligible against
1 s frames). The pump develops ``dp_rated (speed)^2`` (affinity law); buoyancy adds
``g (-d rho/dT) dz (T_H - T_K)`` with ``dz`` the height of the heat exchanger's thermal centre
above the core's; friction is ``dp_rated x max(|x|, x_lam)``, ``x`` the flow as a fraction of
rated: turbulent (quadratic) near rated, linear (laminar) below ``x_lam``, the flow fraction
at which the small core and heat-exchanger channels turn laminar. A damaged pump passes only
``capacity`` times the flow (its added resistance scales the whole loop's by
``1 / capacity^2``); ``capacity = 0`` stops all flow, natural circulation included.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from houston.reactor.properties import (
    LUNAR_GRAVITY_M_S2,
    NAK_DENSITY_SLOPE_KG_M3_K,
    NAK_SPECIFIC_HEAT_J_KG_K,
    STEFAN_BOLTZMANN_W_M2_K4,
)

Array = NDArray[np.float64]

N_NODES: Final = 8
F, S, C, H, X, K, D, R = range(N_NODES)
NODE_NAMES: Final = (
    "fuel",
    "structure",
    "core coolant",
    "hot leg",
    "heat exchanger",
    "cold leg",
    "secondary",
    "radiator",
)
_RING: Final = (C, H, X, K)  # flow direction for mdot > 0


@dataclass(frozen=True)
class LoopDesign:
    """Heat capacities, conductances and hydraulics of one loop (shared by all runs).

    Build it from design temperatures with :meth:`from_design_point`.
    """

    heat_capacity_J_K: tuple[float, ...]  # per node, N_NODES entries
    g_fuel_structure_W_K: float
    g_structure_coolant_W_K: float
    g_heat_exchanger_W_K: float
    g_converter_W_K: float
    conversion_efficiency: float
    converter_stall_K: float  # hot-end temperature below which the converters stop
    converter_ramp_K: float  # width of the ramp from stopped to full conductance
    radiator_emissivity_area_m2: float  # eps * A
    cp_coolant_J_kg_K: float
    rated_flow_kg_s: float
    rated_pump_head_Pa: float
    rated_friction_Pa: float  # loop pressure drop at rated flow
    laminar_flow_fraction: float
    buoyancy_Pa_K: float  # g (-d rho/dT) dz: buoyancy head per kelvin of hot-cold leg difference

    def __post_init__(self) -> None:
        if len(self.heat_capacity_J_K) != N_NODES:
            raise ValueError(f"need {N_NODES} heat capacities, got {len(self.heat_capacity_J_K)}")
        if min(self.heat_capacity_J_K) <= 0.0:
            raise ValueError("every node needs a positive heat capacity")
        for name in (
            "g_fuel_structure_W_K",
            "g_structure_coolant_W_K",
            "g_heat_exchanger_W_K",
            "g_converter_W_K",
            "radiator_emissivity_area_m2",
            "cp_coolant_J_kg_K",
            "rated_flow_kg_s",
            "rated_pump_head_Pa",
            "rated_friction_Pa",
        ):
            if not getattr(self, name) > 0.0:
                raise ValueError(f"{name} must be positive")
        if not 0.0 <= self.conversion_efficiency < 1.0:
            raise ValueError("conversion_efficiency must be in [0, 1)")
        if not self.converter_ramp_K > 0.0:
            raise ValueError("converter_ramp_K must be positive")
        if not 0.0 < self.laminar_flow_fraction < 1.0:
            raise ValueError("laminar_flow_fraction must be in (0, 1)")

    @classmethod
    def from_design_point(
        cls,
        *,
        rated_power_W: float,
        fuel_K: float,
        structure_K: float,
        core_outlet_K: float,
        core_inlet_K: float,
        secondary_K: float,
        radiator_K: float,
        sink_K: float,
        conversion_efficiency: float,
        converter_stall_K: float,
        converter_ramp_K: float,
        masses_kg: Mapping[str, Mapping[str, float]],
        specific_heats_J_kg_K: Mapping[str, float],
        rated_pump_head_Pa: float,
        laminar_flow_fraction: float,
        thermal_centre_height_m: float,
        gravity_m_s2: float = LUNAR_GRAVITY_M_S2,
        cp_coolant_J_kg_K: float = NAK_SPECIFIC_HEAT_J_KG_K,
        density_slope_kg_m3_K: float = NAK_DENSITY_SLOPE_KG_M3_K,
    ) -> LoopDesign:
        """A loop whose steady state at ``rated_power_W`` (and sink ``sink_K``) is the given
        design point: conductances are the rated heat flow over the design temperature
        differences, the flow carries the rated power across the core's temperature rise and
        the radiator's ``eps A`` rejects the converters' waste heat at ``radiator_K``.

        ``masses_kg`` gives, for each node of :data:`NODE_NAMES`, the mass of each material in
        it (``{"fuel": {"UO2": 300.0}, ...}``) and ``specific_heats_J_kg_K`` each material's
        specific heat; a node's heat capacity is the sum over its materials.
        """
        if secondary_K < converter_stall_K + converter_ramp_K:
            raise ValueError("the design secondary temperature must be above the converters' ramp")
        order = (fuel_K, structure_K, core_outlet_K, core_inlet_K, secondary_K, radiator_K, sink_K)
        if not all(a > b for a, b in pairwise(order)):
            raise ValueError(
                "design temperatures must fall from fuel to structure, core outlet, core inlet, "
                "secondary loop, radiator and sink"
            )
        q = float(rated_power_W)
        waste = (1.0 - conversion_efficiency) * q
        caps = [
            sum(mass * specific_heats_J_kg_K[mat] for mat, mass in masses_kg[name].items())
            for name in NODE_NAMES
        ]
        flow = q / (cp_coolant_J_kg_K * (core_outlet_K - core_inlet_K))
        buoyancy = gravity_m_s2 * density_slope_kg_m3_K * thermal_centre_height_m
        # At the design point the hot leg is at the core outlet and the cold leg at the inlet:
        # friction takes the pump head plus the (small) buoyancy head of that state.
        return cls(
            heat_capacity_J_K=tuple(caps),
            g_fuel_structure_W_K=q / (fuel_K - structure_K),
            g_structure_coolant_W_K=q / (structure_K - core_outlet_K),
            g_heat_exchanger_W_K=q / (core_inlet_K - secondary_K),
            g_converter_W_K=q / (secondary_K - radiator_K),
            conversion_efficiency=conversion_efficiency,
            converter_stall_K=converter_stall_K,
            converter_ramp_K=converter_ramp_K,
            radiator_emissivity_area_m2=waste
            / (STEFAN_BOLTZMANN_W_M2_K4 * (radiator_K**4 - sink_K**4)),
            cp_coolant_J_kg_K=cp_coolant_J_kg_K,
            rated_flow_kg_s=flow,
            rated_pump_head_Pa=rated_pump_head_Pa,
            rated_friction_Pa=rated_pump_head_Pa + buoyancy * (core_outlet_K - core_inlet_K),
            laminar_flow_fraction=laminar_flow_fraction,
            buoyancy_Pa_K=buoyancy,
        )


def steady_state_K(
    design: LoopDesign, heat_W: ArrayLike, sink_K: ArrayLike, flow_kg_s: ArrayLike | None = None
) -> Array:
    """Node temperatures ``(..., 8)`` of the steady state with ``heat_W`` generated in the fuel,
    the flow ``flow_kg_s`` (default rated) and radiator sink ``sink_K``.

    Solved from the sink up: the radiator's temperature from the fourth-power law, then each
    resistance in turn. In the steady state the hot leg is at the core outlet and the heat
    exchanger and cold leg at the core inlet (donor-cell nodes carry their outlet temperature).
    """
    q = np.asarray(heat_W, dtype=np.float64)
    sink = np.asarray(sink_K, dtype=np.float64)
    flow = design.rated_flow_kg_s if flow_kg_s is None else np.asarray(flow_kg_s, np.float64)
    q, sink, flow = np.broadcast_arrays(q, sink, np.asarray(flow, dtype=np.float64))
    eta = design.conversion_efficiency
    t = np.empty((*q.shape, N_NODES))
    t[..., R] = (
        (1.0 - eta) * q / (STEFAN_BOLTZMANN_W_M2_K4 * design.radiator_emissivity_area_m2) + sink**4
    ) ** 0.25
    t[..., D] = t[..., R] + q / design.g_converter_W_K
    t[..., X] = t[..., D] + q / design.g_heat_exchanger_W_K
    t[..., K] = t[..., X]
    t[..., C] = t[..., K] + q / (flow * design.cp_coolant_J_kg_K)
    t[..., H] = t[..., C]
    t[..., S] = t[..., C] + q / design.g_structure_coolant_W_K
    t[..., F] = t[..., S] + q / design.g_fuel_structure_W_K
    return t


def flow_kg_s(
    design: LoopDesign, pump_speed: ArrayLike, capacity: ArrayLike, temperatures_K: Array
) -> Array:
    """Primary mass flow, kg/s (positive C -> H -> X -> K), from the pump and buoyancy.

    ``pump_speed`` is the fraction of rated speed, ``capacity`` the fraction of its flow a
    damaged pump still passes (1 undamaged, 0 blocked). Solves
    ``head + buoyancy = dp_rated x max(|x|, x_lam)`` for ``x = mdot / mdot_rated``.
    """
    w = np.asarray(pump_speed, dtype=np.float64)
    head = design.rated_pump_head_Pa * w * w
    dp = head + design.buoyancy_Pa_K * (temperatures_K[..., H] - temperatures_K[..., K])
    r = np.abs(dp) / design.rated_friction_Pa  # = x max(|x|, x_lam)
    lam = design.laminar_flow_fraction
    x = np.where(r >= lam * lam, np.sqrt(r), r / lam)
    flow: Array = np.sign(dp) * x * np.asarray(capacity, dtype=np.float64)
    return flow * design.rated_flow_kg_s


@dataclass(frozen=True)
class StepFlows:
    """Mean heat flows over a thermal step, W, as the implicit solve used them."""

    electric_W: Array
    radiated_W: Array
    heat_exchanger_W: Array
    core_to_coolant_W: Array


@dataclass
class ThermalSystem:
    """The backward-Euler system of one step, ``a T' = rhs_base + e_F Q``, before the heat
    ``Q`` generated in the fuel is known (:func:`thermal_system`)."""

    a: Array  # (batch, 8, 8)
    rhs_base: Array  # (batch, 8)
    g_converter_W_K: Array  # (batch,) the converters' conductance used
    t_radiator0_K: Array
    sink_K: Array
    design: LoopDesign

    def response(self) -> tuple[Array, Array]:
        """``(T_base, u)``: the end temperatures are ``T_base + Q u`` for a heat ``Q`` (W)
        generated in the fuel (one solve with two right-hand sides)."""
        rhs = np.zeros((*self.rhs_base.shape, 2))
        rhs[..., 0] = self.rhs_base
        rhs[..., F, 1] = 1.0
        sol = np.asarray(np.linalg.solve(self.a, rhs), dtype=np.float64)
        return sol[..., 0], sol[..., 1]

    def solve(self, heat_W: ArrayLike) -> Array:
        """End temperatures for the heat ``heat_W`` generated in the fuel."""
        rhs = self.rhs_base.copy()
        rhs[..., F] += np.asarray(heat_W, dtype=np.float64)
        sol = np.asarray(np.linalg.solve(self.a, rhs[..., None]), dtype=np.float64)
        return sol[..., 0]

    def flows(self, t1: Array) -> StepFlows:
        """The heat flows of the step as the solve used them, for end temperatures ``t1``."""
        d = self.design
        sea = STEFAN_BOLTZMANN_W_M2_K4 * d.radiator_emissivity_area_m2
        tr0 = self.t_radiator0_K
        return StepFlows(
            electric_W=d.conversion_efficiency * self.g_converter_W_K * (t1[..., D] - t1[..., R]),
            radiated_W=sea * (tr0**4 - self.sink_K**4) + 4.0 * sea * tr0**3 * (t1[..., R] - tr0),
            heat_exchanger_W=d.g_heat_exchanger_W_K * (t1[..., X] - t1[..., D]),
            core_to_coolant_W=d.g_structure_coolant_W_K * (t1[..., S] - t1[..., C]),
        )


def thermal_system(
    temperatures_K: Array,
    flow: ArrayLike,
    sink_K: ArrayLike,
    dt_s: float,
    design: LoopDesign,
    converters: ArrayLike = 1.0,
) -> ThermalSystem:
    """The backward-Euler system of a step from ``temperatures_K`` ``(batch, 8)``.

    ``flow`` is the primary mass flow (kg/s) held over the step, ``sink_K`` the radiators' sink
    temperature, ``converters`` the fraction of the converters running (0 when they are lost).
    The converters also stop, over a ramp, when their hot end (the secondary node, at the
    start of the step) is colder than ``converter_stall_K``.
    """
    t0 = np.asarray(temperatures_K, dtype=np.float64)
    batch = t0.shape[:-1]
    m = np.broadcast_to(np.asarray(flow, dtype=np.float64), batch)
    sink = np.broadcast_to(np.asarray(sink_K, dtype=np.float64), batch)
    cap = np.asarray(design.heat_capacity_J_K) / dt_s
    running = np.clip((t0[..., D] - design.converter_stall_K) / design.converter_ramp_K, 0.0, 1.0)
    gc = (
        design.g_converter_W_K
        * running
        * np.broadcast_to(np.asarray(converters, np.float64), batch)
    )
    eta = design.conversion_efficiency
    sea = STEFAN_BOLTZMANN_W_M2_K4 * design.radiator_emissivity_area_m2
    tr0 = t0[..., R]

    a = np.zeros((*batch, N_NODES, N_NODES))
    rhs = cap * t0

    def couple(i: int, j: int, g: float | Array) -> None:
        a[..., i, i] += g
        a[..., i, j] -= g
        a[..., j, j] += g
        a[..., j, i] -= g

    couple(F, S, design.g_fuel_structure_W_K)
    couple(S, C, design.g_structure_coolant_W_K)
    couple(X, D, design.g_heat_exchanger_W_K)
    # Converters: D loses gc (T_D - T_R); R gains (1 - eta) of it; the rest is electricity.
    a[..., D, D] += gc
    a[..., D, R] -= gc
    a[..., R, D] -= (1.0 - eta) * gc
    a[..., R, R] += (1.0 - eta) * gc
    # Radiator: sea (T_R0^4 + 4 T_R0^3 (T_R - T_R0) - T_sink^4).
    a[..., R, R] += 4.0 * sea * tr0**3
    rhs[..., R] += 3.0 * sea * tr0**4 + sea * sink**4
    # Advection round the ring, upwind in either direction.
    wp = np.maximum(m, 0.0) * design.cp_coolant_J_kg_K
    wm = np.maximum(-m, 0.0) * design.cp_coolant_J_kg_K
    for n, node in enumerate(_RING):
        up = _RING[n - 1]
        down = _RING[(n + 1) % len(_RING)]
        a[..., node, node] += wp + wm
        a[..., node, up] -= wp
        a[..., node, down] -= wm
    idx = np.arange(N_NODES)
    a[..., idx, idx] += cap
    return ThermalSystem(a, rhs, gc, tr0, sink, design)


def thermal_step(
    temperatures_K: Array,
    heat_W: ArrayLike,
    flow: ArrayLike,
    sink_K: ArrayLike,
    dt_s: float,
    design: LoopDesign,
    converters: ArrayLike = 1.0,
) -> tuple[Array, StepFlows]:
    """Advance the node temperatures ``(batch, 8)`` by ``dt_s`` (backward Euler) with the
    mean heat ``heat_W`` generated in the fuel; see :func:`thermal_system` for the rest.
    Returns the new temperatures and the heat flows the solve used (for the energy balance).
    """
    system = thermal_system(temperatures_K, flow, sink_K, dt_s, design, converters)
    t1 = system.solve(heat_W)
    return t1, system.flows(t1)


def stored_energy_J(temperatures_K: Array, design: LoopDesign) -> Array:
    """``sum_i C_i T_i``, J: the loop's sensible heat above 0 K (for energy balances).

    Summed element-wise along the node axis (not a matrix product) so that a row gives the
    same bits alone or in any batch."""
    return (np.asarray(temperatures_K) * np.asarray(design.heat_capacity_J_K)).sum(axis=-1)

"""Ideal-gas properties of the habitat atmosphere, by species.

The habitat carries four species, always in this order on the last axis of every array:
O2, N2, CO2, H2O (vapour). Masses are in kg, amounts in mol, pressures in Pa, temperatures in
K, volumes in m^3. Every function broadcasts over any leading axes (batch, node, ...).

Sources
-------
* Molar masses: IUPAC 2013 standard atomic weights, via :mod:`houston.core.constants`.
* Molar heat capacities at constant pressure, ideal gas at 298.15 K: NIST-JANAF
  Thermochemical Tables, 4th ed. (Chase 1998): O2 29.376, N2 29.124, CO2 37.129,
  H2O(g) 33.590 J/(mol K). The ratio of specific heats of a mixture follows from
  cp_mix = sum(x_i cp_i) and cv_mix = cp_mix - R (ideal gas); for dry air this gives 1.3985,
  against the textbook 1.40.
* Ideal-gas law and Dalton's law of partial pressures. At 20 MPa (a gas tank) nitrogen
  deviates from the ideal-gas law by a few per cent (compressibility factor near 1.03);
  that error is accepted here.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from houston.core.constants import (
    MOLAR_MASS_AIR_KG_MOL,
    MOLAR_MASS_CO2_KG_MOL,
    MOLAR_MASS_H2O_KG_MOL,
    MOLAR_MASS_N2_KG_MOL,
    MOLAR_MASS_O2_KG_MOL,
    R_GAS_J_MOL_K,
)

#: Species names, in the order of the last axis of every species array.
SPECIES: tuple[str, ...] = ("O2", "N2", "CO2", "H2O")
#: Index of each species on the last axis.
O2, N2, CO2, H2O = 0, 1, 2, 3
N_SPECIES = len(SPECIES)

#: Molar masses, kg/mol, in species order (IUPAC 2013).
MOLAR_MASS_KG_MOL: NDArray[np.float64] = np.array(
    [MOLAR_MASS_O2_KG_MOL, MOLAR_MASS_N2_KG_MOL, MOLAR_MASS_CO2_KG_MOL, MOLAR_MASS_H2O_KG_MOL]
)
#: Ideal-gas molar heat capacity at constant pressure, J/(mol K), 298.15 K (NIST-JANAF).
CP_J_MOL_K: NDArray[np.float64] = np.array([29.376, 29.124, 37.129, 33.590])

#: Mole fractions of dry air used to build a standard cabin atmosphere: O2 0.2095, N2 0.7905
#: (argon is counted as N2; U.S. Standard Atmosphere 1976 gives O2 0.209476, N2 0.78084,
#: Ar 0.00934, CO2 0.000314 by volume).
DRY_AIR_MOLE_FRACTION: NDArray[np.float64] = np.array([0.2095, 0.7905, 0.0, 0.0])

#: Ratio of specific heats assumed for an empty node (no gas to take it from): dry air.
GAMMA_AIR = 1.4


def moles(mass_kg: ArrayLike) -> NDArray[np.float64]:
    """Amount of each species, mol, from its mass in kg (species on the last axis)."""
    return np.asarray(mass_kg, dtype=float) / MOLAR_MASS_KG_MOL


def masses(moles_mol: ArrayLike) -> NDArray[np.float64]:
    """Mass of each species, kg, from its amount in mol (species on the last axis)."""
    return np.asarray(moles_mol, dtype=float) * MOLAR_MASS_KG_MOL


def partial_pressures_Pa(
    mass_kg: ArrayLike, volume_m3: ArrayLike, temperature_K: ArrayLike
) -> NDArray[np.float64]:
    """Partial pressure of each species, Pa: p_i = n_i R T / V (ideal gas, Dalton).

    ``mass_kg`` has species on the last axis; ``volume_m3`` and ``temperature_K`` broadcast
    against the leading axes. An infinite volume (the vacuum node) gives zero.
    """
    n = moles(mass_kg)
    v = np.asarray(volume_m3, dtype=float)[..., None]
    t = np.asarray(temperature_K, dtype=float)[..., None]
    return n * (R_GAS_J_MOL_K * t / v)


def pressure_Pa(
    mass_kg: ArrayLike, volume_m3: ArrayLike, temperature_K: ArrayLike
) -> NDArray[np.float64]:
    """Total pressure, Pa, of the gas of the given species masses (ideal gas)."""
    n_total = moles(mass_kg).sum(axis=-1)
    return n_total * R_GAS_J_MOL_K * np.asarray(temperature_K, dtype=float) / volume_m3


def mixture_molar_mass_kg_mol(mass_kg: ArrayLike) -> NDArray[np.float64]:
    """Mean molar mass of the mixture, kg/mol (total mass / total amount).

    An empty node gets the molar mass of dry air, so that flow coefficients stay finite.
    """
    m = np.asarray(mass_kg, dtype=float)
    m_total = m.sum(axis=-1)
    n_total = moles(m).sum(axis=-1)
    safe = n_total > 0.0
    return np.where(safe, m_total / np.where(safe, n_total, 1.0), MOLAR_MASS_AIR_KG_MOL)


def heat_capacity_ratio(mass_kg: ArrayLike) -> NDArray[np.float64]:
    """Ratio of specific heats gamma = cp/cv of the ideal-gas mixture (NIST-JANAF cp).

    An empty node gets :data:`GAMMA_AIR`.
    """
    n = moles(mass_kg)
    n_total = n.sum(axis=-1)
    safe = n_total > 0.0
    cp = (n * CP_J_MOL_K).sum(axis=-1) / np.where(safe, n_total, 1.0)
    gamma = cp / (cp - R_GAS_J_MOL_K)
    return np.where(safe, gamma, GAMMA_AIR)


def masses_from_pressure_kg(
    pressure_Pa: ArrayLike,
    volume_m3: ArrayLike,
    temperature_K: ArrayLike,
    mole_fraction: ArrayLike = DRY_AIR_MOLE_FRACTION,
) -> NDArray[np.float64]:
    """Species masses, kg, of a gas of total pressure ``pressure_Pa`` and given mole fractions.

    ``mole_fraction`` has species on the last axis and is normalised to sum to one. An
    infinite volume gives infinite masses unless the pressure is zero; give the vacuum node
    zero pressure (the result is then zero).
    """
    x = np.asarray(mole_fraction, dtype=float)
    x = x / x.sum(axis=-1, keepdims=True)
    p = np.asarray(pressure_Pa, dtype=float)
    v = np.asarray(volume_m3, dtype=float)
    t = np.asarray(temperature_K, dtype=float)
    with np.errstate(invalid="ignore"):
        n_total = np.where(p == 0.0, 0.0, p * v / (R_GAS_J_MOL_K * t))
    return masses(n_total[..., None] * x)

"""Material properties and temperature limits of the surface reactor, SI units, with sources.

Pure numbers and functions: no I/O. The lumped thermal model (:mod:`houston.reactor.loop`)
uses constant heat capacities evaluated near the operating temperature: over the 800-1000 K
range of a NaK-cooled UO2 core the specific heats below change by a few per cent, much less
than the uncertainty of the lumped masses themselves. Where a value could not be checked
against its primary source, the docstring says so.

NaK-78 (the eutectic, 77.8 wt% K)
---------------------------------
O. J. Foust (ed.), *Sodium-NaK Engineering Handbook*, Vol. I (Gordon and Breach, 1972),
chapter 1, as transcribed in MOOSE's ``NaKFluidProperties`` (idaholab/moose,
``modules/fluid_properties``), which gives these equation numbers:

* density of liquid Na, eq. 1.5: ``rho_Na = 0.9453 - 2.2473e-4 t`` g/cm3, t in deg C;
* density of liquid K, eq. 1.8: ``rho_K = 0.8415 - 2.172e-4 t - 2.7e-8 t^2 + 4.77e-12 t^3``;
* density of the alloy, eq. 1.9: ideal mixing of specific volumes by *mole* fraction, as
  MOOSE applies it (``1 / rho = N_K / rho_K + N_Na / rho_Na``);
* specific heat, eq. 1.59: ``c_p = 0.232 - 8.82e-5 t + 8.2e-8 t^2`` cal/(g K).

We could not check these against the handbook itself; another transcription gives 8.238e-8
for the last coefficient (a 0.1 % difference in c_p at 600 deg C), and the reactor notes in
``docs/reactor.md`` record a 1.5 % spread in density near 100 deg C between sources. The
calorie is taken as 4.184 J (MOOSE multiplies by 4200). Over the loop's range the model uses
constants evaluated at :data:`NAK_REFERENCE_TEMPERATURE_K`.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: J per thermochemical calorie.
CALORIE_J: Final = 4.184
#: Potassium weight fraction of NaK-78 (eutectic).
NAK78_WEIGHT_FRACTION_K: Final = 0.778
_AW_K: Final = 39.102
_AW_NA: Final = 22.9898
#: Mole fraction of potassium in NaK-78 (from the weight fraction and the atomic weights).
NAK78_MOLE_FRACTION_K: Final = (NAK78_WEIGHT_FRACTION_K / _AW_K) / (
    NAK78_WEIGHT_FRACTION_K / _AW_K + (1.0 - NAK78_WEIGHT_FRACTION_K) / _AW_NA
)


def nak78_density_kg_m3(temperature_K: ArrayLike) -> NDArray[np.float64]:
    """Density of liquid NaK-78, kg/m3 (Foust 1972, eqs. 1.5, 1.8, 1.9; see the module note).

    The Na correlation is stated for 210-1100 deg C and the K one for 63-1250 deg C.
    """
    t = np.asarray(temperature_K, dtype=np.float64) - 273.15
    rho_k = 0.8415 - 2.172e-4 * t - 2.7e-8 * t**2 + 4.77e-12 * t**3
    rho_na = 0.9453 - 2.2473e-4 * t
    n_k = NAK78_MOLE_FRACTION_K
    return 1000.0 / (n_k / rho_k + (1.0 - n_k) / rho_na)


def nak78_density_slope_kg_m3_K(temperature_K: ArrayLike) -> NDArray[np.float64]:
    """``-d rho / dT`` of NaK-78, kg/(m3 K), positive (the buoyancy of hot liquid)."""
    t = np.asarray(temperature_K, dtype=np.float64) - 273.15
    rho_k = 0.8415 - 2.172e-4 * t - 2.7e-8 * t**2 + 4.77e-12 * t**3
    rho_na = 0.9453 - 2.2473e-4 * t
    drho_k = -2.172e-4 - 5.4e-8 * t + 1.431e-11 * t**2
    drho_na = -2.2473e-4
    n_k = NAK78_MOLE_FRACTION_K
    v = n_k / rho_k + (1.0 - n_k) / rho_na
    dv = -n_k * drho_k / rho_k**2 - (1.0 - n_k) * drho_na / rho_na**2
    return 1000.0 * dv / v**2


def nak78_specific_heat_J_kg_K(temperature_K: ArrayLike) -> NDArray[np.float64]:
    """Isobaric specific heat of liquid NaK-78, J/(kg K) (Foust 1972, eq. 1.59)."""
    t = np.asarray(temperature_K, dtype=np.float64) - 273.15
    return (0.232 - 8.82e-5 * t + 8.2e-8 * t**2) * CALORIE_J * 1000.0


#: Temperature at which the lumped model's constant NaK properties are evaluated: the middle of
#: the primary loop of the default design (850 K inlet, 900 K outlet).
NAK_REFERENCE_TEMPERATURE_K: Final = 875.0
#: c_p of NaK-78 at the reference temperature, J/(kg K): 872.9.
NAK_SPECIFIC_HEAT_J_KG_K: Final = float(nak78_specific_heat_J_kg_K(NAK_REFERENCE_TEMPERATURE_K))
#: Density of NaK-78 at the reference temperature, kg/m3: 733.
NAK_DENSITY_KG_M3: Final = float(nak78_density_kg_m3(NAK_REFERENCE_TEMPERATURE_K))
#: -d rho/dT of NaK-78 at the reference temperature, kg/(m3 K): 0.25 (volumetric expansion
#: coefficient 3.4e-4 1/K); drives natural circulation.
NAK_DENSITY_SLOPE_KG_M3_K: Final = float(nak78_density_slope_kg_m3_K(NAK_REFERENCE_TEMPERATURE_K))

#: Normal boiling point of NaK-78, K: 785 deg C at one atmosphere, the value usually quoted from
#: the Sodium-NaK Engineering Handbook (not checked against the handbook itself). A surface
#: loop runs at about a cover-gas atmosphere, so a cladding surface at this temperature starts
#: boiling the coolant in a channel with little flow, which dries out and fails the cladding.
NAK78_BOILING_POINT_K: Final = 785.0 + 273.15

#: Specific heat of UO2 near 900-1000 K, J/(kg K). J. K. Fink, "Thermophysical properties of
#: uranium dioxide", J. Nucl. Mater. 279 (2000) 1-18, recommends about 80 J/(mol K) at 1000 K
#: (molar mass 0.270 kg/mol): 0.30 kJ/(kg K), rounded.
UO2_SPECIFIC_HEAT_J_KG_K: Final = 300.0
#: Melting point of UO2, K: 3120 +- 30 K (Fink 2000).
UO2_MELTING_POINT_K: Final = 3120.0

#: Specific heat of type 316 stainless steel near 900 K, J/(kg K): an engineering value (handbook
#: tables give 0.50 kJ/(kg K) at room temperature rising to about 0.55-0.60 near 900 K).
SS316_SPECIFIC_HEAT_J_KG_K: Final = 550.0
#: Lower end of the melting range usually quoted for type 316 stainless steel (about
#: 1370-1400 deg C), K: the cladding and the core structure begin to melt and relocate.
SS316_SOLIDUS_K: Final = 1370.0 + 273.15

#: Stefan-Boltzmann constant, W/(m2 K4) (CODATA; exact in the 2019 SI).
STEFAN_BOLTZMANN_W_M2_K4: Final = 5.670374419e-8
#: Lunar surface gravity, m/s2 (IAU/JPL value 1.62, rounded as usual).
LUNAR_GRAVITY_M_S2: Final = 1.62

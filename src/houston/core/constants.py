"""Physical constants, in SI units, each with its source.

Gravitational parameters and radii are the values of the IERS Conventions (2010) and of the
JPL DE421 header; Earth zonal harmonics are the unnormalised J_n of EGM96 / JGM-3 as tabulated
in Vallado, *Fundamentals of Astrodynamics and Applications*, 4th ed., Table D-1 (and
Montenbruck & Gill, *Satellite Orbits*, Table 3.3).
"""

from __future__ import annotations

#: Speed of light in vacuum, m/s (exact, SI definition).
C_M_S = 299_792_458.0

#: Earth's gravitational parameter GM, m^3/s^2 (IERS Conventions 2010, Table 1.1; EGM96).
MU_EARTH_M3_S2 = 3.986004418e14
#: Earth's equatorial radius, m (WGS-84 semi-major axis).
R_EARTH_M = 6_378_137.0
#: WGS-84 flattening (NIMA TR8350.2, 3rd ed.).
F_EARTH = 1.0 / 298.257223563
#: Earth's rotation rate, rad/s (WGS-84; IERS nominal value).
OMEGA_EARTH_RAD_S = 7.292115e-5
#: Unnormalised zonal harmonics of EGM96 (Vallado 4th ed., Table D-1).
J2_EARTH = 1.08262668355e-3
J3_EARTH = -2.53265648533e-6
J4_EARTH = -1.61962159137e-6

#: Moon's gravitational parameter, m^3/s^2 (JPL DE421: GM_moon = 4902.800076 km^3/s^2).
MU_MOON_M3_S2 = 4.902800076e12
#: Moon's mean radius, m (IAU WGCCRE 2009 report, Archinal et al. 2011).
R_MOON_M = 1_737_400.0

#: Sun's gravitational parameter, m^3/s^2 (IERS Conventions 2010 / DE421: 132712440040.944 km^3/s^2).
MU_SUN_M3_S2 = 1.32712440040944e20
#: Sun's nominal radius, m (IAU 2015 Resolution B3).
R_SUN_M = 6.957e8

#: Astronomical unit, m (IAU 2012 Resolution B2, exact).
AU_M = 149_597_870_700.0

#: Standard gravity, m/s^2 (exact, CGPM 1901).
G0_M_S2 = 9.80665
#: Lunar surface gravity, m/s^2 (GM_moon / R_moon^2).
G_MOON_M_S2 = MU_MOON_M3_S2 / R_MOON_M**2

#: Universal gas constant, J/(mol K) (CODATA 2018, exact).
R_GAS_J_MOL_K = 8.314462618
#: Boltzmann constant, J/K (CODATA 2018, exact).
K_BOLTZMANN_J_K = 1.380649e-23
#: Molar masses, kg/mol (IUPAC 2013 standard atomic weights).
MOLAR_MASS_O2_KG_MOL = 0.0319988
MOLAR_MASS_N2_KG_MOL = 0.0280134
MOLAR_MASS_CO2_KG_MOL = 0.0440095
MOLAR_MASS_H2O_KG_MOL = 0.01801528
#: Dry air, kg/mol (U.S. Standard Atmosphere 1976).
MOLAR_MASS_AIR_KG_MOL = 0.0289644
#: Standard sea-level pressure, Pa (exact).
P_SEA_LEVEL_PA = 101_325.0

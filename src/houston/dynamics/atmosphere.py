"""Thermospheric density models for drag: Harris–Priester and a piecewise exponential table.

Two models, both static (no solar-flux or geomagnetic input), both in SI on the way out:

* :class:`HarrisPriester`: the Harris–Priester model as given by Montenbruck & Gill,
  *Satellite Orbits* (2000), sec. 3.5.2, with the coefficients of their Table 3.8 (mean solar
  activity, 100 km to 1000 km). Between tabulated heights the minimum and maximum densities are
  interpolated exponentially, each with its own local scale height; the diurnal bulge is
  ``rho = rho_min + (rho_max - rho_min) cos^n(psi / 2)``, where ``psi`` is the angle between
  the satellite's position vector and the bulge apex, which lies at the Sun's declination and
  30 degrees east of the Sun in right ascension (the lag of the density maximum behind the
  sub-solar point, about 2 h local time). Montenbruck & Gill suggest ``n = 2`` for low and
  ``n = 6`` for polar orbits. Above 1000 km the density is zero, as in their model; below
  100 km the 100–120 km scale height is extrapolated.
* :class:`Exponential`: the piecewise exponential model of Vallado, *Fundamentals of
  Astrodynamics and Applications*, 4th ed., Table 8-4 (base heights, nominal densities and
  scale heights from the U.S. Standard Atmosphere 1976 and CIRA-72):
  ``rho = rho0 exp(-(h - h0) / H)`` in the band ``h0 <= h < h1``. It needs no Sun direction.
  Above 1000 km the 1000 km band continues; below 0 km the sea-level value is returned.

Heights are in metres above the reference ellipsoid (the drag force computes them, see
``houston.dynamics.forces.Drag``); densities are in kg/m^3. Every function is vectorised over
its inputs. The tables are module constants so that the compiled force kernel reads the same
numbers as the numpy functions here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "EXPONENTIAL_TABLE",
    "HARRIS_PRIESTER_TABLE",
    "Exponential",
    "HarrisPriester",
    "exponential_density",
    "harris_priester_density",
]

Array = NDArray[np.float64]

#: Montenbruck & Gill (2000), Table 3.8: height (km), minimum and maximum density (g/km^3,
#: i.e. 1e-12 kg/m^3), mean solar activity.
HARRIS_PRIESTER_TABLE = np.array(
    [
        [100.0, 497400.0, 497400.0],
        [120.0, 24900.0, 24900.0],
        [130.0, 8377.0, 8710.0],
        [140.0, 3899.0, 4059.0],
        [150.0, 2122.0, 2215.0],
        [160.0, 1263.0, 1344.0],
        [170.0, 800.8, 875.8],
        [180.0, 528.3, 601.0],
        [190.0, 361.7, 429.7],
        [200.0, 255.7, 316.2],
        [210.0, 183.9, 239.6],
        [220.0, 134.1, 185.3],
        [230.0, 99.49, 145.5],
        [240.0, 74.88, 115.7],
        [250.0, 57.09, 93.08],
        [260.0, 44.03, 75.55],
        [270.0, 34.30, 61.82],
        [280.0, 26.97, 50.95],
        [290.0, 21.39, 42.26],
        [300.0, 17.08, 35.26],
        [320.0, 10.99, 25.11],
        [340.0, 7.214, 18.19],
        [360.0, 4.824, 13.37],
        [380.0, 3.274, 9.955],
        [400.0, 2.249, 7.492],
        [420.0, 1.558, 5.684],
        [440.0, 1.091, 4.355],
        [460.0, 0.7701, 3.362],
        [480.0, 0.5474, 2.612],
        [500.0, 0.3916, 2.042],
        [520.0, 0.2819, 1.605],
        [540.0, 0.2042, 1.267],
        [560.0, 0.1488, 1.005],
        [580.0, 0.1092, 0.7997],
        [600.0, 0.08070, 0.6390],
        [620.0, 0.06012, 0.5123],
        [640.0, 0.04519, 0.4121],
        [660.0, 0.03430, 0.3325],
        [680.0, 0.02632, 0.2691],
        [700.0, 0.02043, 0.2185],
        [720.0, 0.01607, 0.1779],
        [740.0, 0.01281, 0.1452],
        [760.0, 0.01036, 0.1190],
        [780.0, 0.008496, 0.09776],
        [800.0, 0.007069, 0.08059],
        [840.0, 0.004680, 0.05741],
        [880.0, 0.003200, 0.04210],
        [920.0, 0.002210, 0.03130],
        [960.0, 0.001560, 0.02360],
        [1000.0, 0.001150, 0.01810],
    ]
)

#: Vallado 4th ed., Table 8-4: base height h0 (km), nominal density rho0 (kg/m^3), scale
#: height H (km).
EXPONENTIAL_TABLE = np.array(
    [
        [0.0, 1.225, 7.249],
        [25.0, 3.899e-2, 6.349],
        [30.0, 1.774e-2, 6.682],
        [40.0, 3.972e-3, 7.554],
        [50.0, 1.057e-3, 8.382],
        [60.0, 3.206e-4, 7.714],
        [70.0, 8.770e-5, 6.549],
        [80.0, 1.905e-5, 5.799],
        [90.0, 3.396e-6, 5.382],
        [100.0, 5.297e-7, 5.877],
        [110.0, 9.661e-8, 7.263],
        [120.0, 2.438e-8, 9.473],
        [130.0, 8.484e-9, 12.636],
        [140.0, 3.845e-9, 16.149],
        [150.0, 2.070e-9, 22.523],
        [180.0, 5.464e-10, 29.740],
        [200.0, 2.789e-10, 37.105],
        [250.0, 7.248e-11, 45.546],
        [300.0, 2.418e-11, 53.628],
        [350.0, 9.518e-12, 53.298],
        [400.0, 3.725e-12, 58.515],
        [450.0, 1.585e-12, 60.828],
        [500.0, 6.967e-13, 63.822],
        [600.0, 1.454e-13, 71.835],
        [700.0, 3.614e-14, 88.667],
        [800.0, 1.170e-14, 124.64],
        [900.0, 5.245e-15, 181.05],
        [1000.0, 3.019e-15, 268.00],
    ]
)

#: Harris–Priester table in SI: height (m), rho_min, rho_max (kg/m^3).
_HP_H_M = HARRIS_PRIESTER_TABLE[:, 0] * 1e3
_HP_MIN = HARRIS_PRIESTER_TABLE[:, 1] * 1e-12
_HP_MAX = HARRIS_PRIESTER_TABLE[:, 2] * 1e-12
#: Exponential table in SI: base height (m), rho0 (kg/m^3), scale height (m).
_EXP_H_M = EXPONENTIAL_TABLE[:, 0] * 1e3
_EXP_RHO = EXPONENTIAL_TABLE[:, 1].copy()
_EXP_SCALE_M = EXPONENTIAL_TABLE[:, 2] * 1e3

#: Lag of the diurnal bulge apex behind the Sun, in right ascension (Montenbruck & Gill 3.5.2).
HP_LAG_RAD = np.deg2rad(30.0)


def exponential_density(h_m: ArrayLike) -> Array:
    """Density (kg/m^3) at height ``h_m`` (m) from Vallado 4th ed., Table 8-4.

    ``rho = rho0 exp(-(h - h0) / H)`` with the band whose base ``h0`` is the largest not above
    ``h``; heights below 0 m return the sea-level density, above 1000 km the last band goes on.
    """
    h = np.asarray(h_m, dtype=float)
    i = np.clip(np.searchsorted(_EXP_H_M, h, side="right") - 1, 0, len(_EXP_H_M) - 1)
    hc = np.maximum(h, 0.0)
    return _EXP_RHO[i] * np.exp(-(hc - _EXP_H_M[i]) / _EXP_SCALE_M[i])


def harris_priester_density(h_m: ArrayLike, cos_psi: ArrayLike, exponent: float = 2.0) -> Array:
    """Harris–Priester density (kg/m^3), Montenbruck & Gill (2000) sec. 3.5.2, Table 3.8.

    Parameters
    ----------
    h_m
        Height above the reference ellipsoid (m).
    cos_psi
        Cosine of the angle between the satellite's position vector and the apex of the
        diurnal bulge (see :func:`bulge_apex`); 1 under the apex, -1 at the antapex.
    exponent
        ``n`` of ``cos^n(psi/2)``: 2 for low-inclination orbits, 6 for polar orbits.
    """
    h = np.asarray(h_m, dtype=float)
    c = np.clip(np.asarray(cos_psi, dtype=float), -1.0, 1.0)
    i = np.clip(np.searchsorted(_HP_H_M, h, side="right") - 1, 0, len(_HP_H_M) - 2)
    dh = _HP_H_M[i] - _HP_H_M[i + 1]
    h_min = dh / np.log(_HP_MIN[i + 1] / _HP_MIN[i])
    h_max = dh / np.log(_HP_MAX[i + 1] / _HP_MAX[i])
    rho_min = _HP_MIN[i] * np.exp((_HP_H_M[i] - h) / h_min)
    rho_max = _HP_MAX[i] * np.exp((_HP_H_M[i] - h) / h_max)
    weight = (0.5 + 0.5 * c) ** (0.5 * exponent)
    rho = rho_min + (rho_max - rho_min) * weight
    return np.where(h > _HP_H_M[-1], 0.0, rho)


def bulge_apex(sun_position_m: ArrayLike, lag_rad: float = HP_LAG_RAD) -> Array:
    """Unit vector to the apex of the diurnal bulge: the Sun's direction turned by ``lag_rad``
    eastward about the z axis (Montenbruck & Gill 3.5.2), shape ``(..., 3)``."""
    s = np.asarray(sun_position_m, dtype=float)
    s = s / np.linalg.norm(s, axis=-1, keepdims=True)
    c, sn = np.cos(lag_rad), np.sin(lag_rad)
    return np.stack([c * s[..., 0] - sn * s[..., 1], sn * s[..., 0] + c * s[..., 1], s[..., 2]], -1)


@dataclass(frozen=True)
class Exponential:
    """Vallado 4th ed. Table 8-4 piecewise exponential atmosphere (no Sun direction needed)."""

    def density(self, h_m: ArrayLike) -> Array:
        """Density (kg/m^3) at heights ``h_m`` (m), vectorised."""
        return exponential_density(h_m)


@dataclass(frozen=True)
class HarrisPriester:
    """Harris–Priester atmosphere, Montenbruck & Gill (2000) sec. 3.5.2 and Table 3.8.

    ``sun_position`` gives the Sun's position (m) relative to the Earth in the integration
    frame, as a callable of time (s from the propagator's origin, array ``(k,)`` -> ``(k, 3)``)
    or as :class:`houston.dynamics.forces.Samples`; the drag force samples it on a grid. With
    ``sun_position=None`` the density is the mean of the minimum and maximum profiles
    (``cos^n(psi/2) = 1/2``), a day-night average for runs without an ephemeris.
    """

    sun_position: Any = None
    exponent: float = 2.0
    lag_rad: float = HP_LAG_RAD

    def density(self, h_m: ArrayLike, r_m: ArrayLike | None = None, t_s: Any = None) -> Array:
        """Density (kg/m^3) at heights ``h_m`` (m); with a Sun, ``r_m`` (``(..., 3)``) and the
        time ``t_s`` (s) place the satellite relative to the bulge."""
        if self.sun_position is None or r_m is None:
            h = np.asarray(h_m, dtype=float)
            lo = harris_priester_density(h, -1.0, self.exponent)
            hi = harris_priester_density(h, 1.0, self.exponent)
            return 0.5 * (lo + hi)
        from houston.dynamics.forces import sample_position

        r = np.asarray(r_m, dtype=float)
        t = np.broadcast_to(np.asarray(t_s, dtype=float), r.shape[:-1])
        sun = sample_position(self.sun_position, t.reshape(-1)).reshape(r.shape)
        apex = bulge_apex(sun, self.lag_rad)
        cos_psi = np.einsum("...i,...i->...", r, apex) / np.linalg.norm(r, axis=-1)
        return harris_priester_density(h_m, cos_psi, self.exponent)

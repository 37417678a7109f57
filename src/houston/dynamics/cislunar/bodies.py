"""The Earth, Moon and Sun of a cislunar run: ephemeris callables, frames and force models.

Times are seconds from the scenario epoch (the kernel clock in seconds); positions are
geometric DE421 vectors (:mod:`houston.dynamics.ephemeris`) on ICRF axes, in metres, either
geocentric (``GCRF``) or Moon-centred (``MCI``). Kernel times become TDB through
:func:`houston.dynamics.ephemeris.tdb_jd`, after rounding to the nanosecond (the kernel's
resolution: half a nanosecond of the Moon's 1 km/s is half a micrometre).

The Moon's equator and pole are those of the IAU WGCCRE 2009 rotation model
(:func:`houston.dynamics.frames.moon_rotation`); inclinations "at the Moon" are measured from
that equator.

Force models (:mod:`houston.dynamics.forces`):

* :meth:`Bodies.earth_model`: Earth-centred, the Earth's point mass and J2 (EGM96, about the
  GCRF z axis, which ignores precession and nutation: a few tenths of a degree over decades),
  the Moon and the Sun as third bodies.
* :meth:`Bodies.moon_model`: Moon-centred, the Moon's point mass, optionally a zonal J2 about
  the IAU pole of a given instant (the caller gives the coefficient), the Earth and the Sun
  as third bodies.

The sphere of influence is Laplace's, ``r = D (mu_moon / mu_earth)^(2/5)`` with the mean
Earth–Moon distance ``D`` (Bate, Mueller & White, *Fundamentals of Astrodynamics*, 1971,
ch. 7, the patched-conic lunar trajectory; the same formula as Curtis, *Orbital Mechanics for
Engineering Students*, ch. 8): about 66,200 km.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from houston.core.constants import (
    J2_EARTH,
    MU_EARTH_M3_S2,
    MU_MOON_M3_S2,
    MU_SUN_M3_S2,
    R_EARTH_M,
    R_MOON_M,
)
from houston.core.time import NS_PER_S
from houston.dynamics import ephemeris
from houston.dynamics.forces import ForceModel, PointMass, ThirdBody, Zonal
from houston.dynamics.frames import FrameRotation, moon_rotation

if TYPE_CHECKING:
    from houston.core.time import Epoch

__all__ = ["EARTH_MOON_MEAN_DISTANCE_M", "SOI_MOON_M", "Bodies"]

Array = NDArray[np.float64]

#: Mean Earth–Moon distance (semi-major axis of the lunar orbit), m: 384,400 km, the usual
#: rounded value.
EARTH_MOON_MEAN_DISTANCE_M = 384_400e3
#: Laplace's sphere of influence of the Moon with respect to the Earth, m (about 66,200 km).
SOI_MOON_M = EARTH_MOON_MEAN_DISTANCE_M * (MU_MOON_M3_S2 / MU_EARTH_M3_S2) ** 0.4


def _unit(x: Array) -> Array:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


@dataclass(frozen=True, eq=False)
class Bodies:
    """Ephemeris callables of the Earth, Moon and Sun for one scenario epoch.

    Every method takes times ``t_s`` (s from the epoch, any shape) and returns arrays of shape
    ``t.shape + (3,)`` (m, m/s): the signature that :class:`houston.dynamics.forces.ThirdBody`
    and the event detectors expect.
    """

    epoch: Epoch

    def tdb(self, t_s: ArrayLike) -> tuple[Array, Array]:
        """Two-part TDB Julian date of kernel times ``t_s`` (s), rounded to the nanosecond."""
        t = np.asarray(t_s, dtype=float)
        return ephemeris.tdb_jd(self.epoch, np.round(t * NS_PER_S).astype(np.int64))

    def moon_gcrf(self, t_s: ArrayLike) -> Array:
        """Geocentric position of the Moon (m)."""
        return ephemeris.moon_position_gcrf(*self.tdb(t_s))

    def moon_state_gcrf(self, t_s: ArrayLike) -> tuple[Array, Array]:
        """Geocentric position (m) and velocity (m/s) of the Moon."""
        return ephemeris.moon_state_gcrf(*self.tdb(t_s))

    def sun_gcrf(self, t_s: ArrayLike) -> Array:
        """Geocentric position of the Sun (m)."""
        return ephemeris.sun_position_gcrf(*self.tdb(t_s))

    def earth_mci(self, t_s: ArrayLike) -> Array:
        """Position of the Earth relative to the Moon (m)."""
        return ephemeris.earth_position_mci(*self.tdb(t_s))

    def sun_mci(self, t_s: ArrayLike) -> Array:
        """Position of the Sun relative to the Moon (m)."""
        return ephemeris.sun_position_mci(*self.tdb(t_s))

    def moon_rotation(self, t_s: ArrayLike) -> FrameRotation:
        """MCI -> Moon-fixed rotation (IAU 2009) at ``t_s``."""
        return moon_rotation(*self.tdb(t_s))

    def moon_pole(self, t_s: ArrayLike) -> Array:
        """The Moon's north pole (IAU 2009), a unit vector on ICRF axes, ``t.shape + (3,)``."""
        return self.moon_rotation(t_s).matrix[..., 2, :]

    def moon_equator_basis(self, t_s: float) -> Array:
        """Rows x (ascending node of the Moon's equator on the ICRF equator), y, z (the
        Moon's pole) on ICRF axes, ``(3, 3)``: the axes of lunar orbital elements."""
        z = self.moon_pole(float(t_s))
        x = _unit(np.cross([0.0, 0.0, 1.0], z))
        return np.stack([x, np.cross(z, x), z])

    def gcrf_to_mci(self, t_s: ArrayLike, r_m: ArrayLike, v_m_s: ArrayLike) -> tuple[Array, Array]:
        """Geocentric state to Moon-centred (a change of origin; both on ICRF axes)."""
        rm, vm = self.moon_state_gcrf(t_s)
        return np.asarray(r_m, dtype=float) - rm, np.asarray(v_m_s, dtype=float) - vm

    def mci_to_gcrf(self, t_s: ArrayLike, r_m: ArrayLike, v_m_s: ArrayLike) -> tuple[Array, Array]:
        """Moon-centred state to geocentric."""
        rm, vm = self.moon_state_gcrf(t_s)
        return np.asarray(r_m, dtype=float) + rm, np.asarray(v_m_s, dtype=float) + vm

    # -- force models -------------------------------------------------------------------

    def earth_model(self, j2: bool = True, moon: bool = True, sun: bool = True) -> ForceModel:
        """Earth-centred forces: point mass, J2 (EGM96), Moon and Sun third bodies."""
        terms: list[object] = [PointMass(MU_EARTH_M3_S2)]
        if j2:
            terms.append(Zonal(MU_EARTH_M3_S2, R_EARTH_M, (J2_EARTH,)))
        if moon:
            terms.append(ThirdBody(MU_MOON_M3_S2, self.moon_gcrf, "Moon"))
        if sun:
            terms.append(ThirdBody(MU_SUN_M3_S2, self.sun_gcrf, "Sun"))
        return ForceModel(terms)

    def moon_model(
        self,
        earth: bool = True,
        sun: bool = True,
        j2: float | None = None,
        pole_time_s: float = 0.0,
    ) -> ForceModel:
        """Moon-centred forces: point mass (DE421 GM), an optional zonal ``j2`` (reference
        radius ``R_MOON_M``, about the IAU pole at ``pole_time_s``, fixed), the Earth and the
        Sun as third bodies."""
        terms: list[object] = [PointMass(MU_MOON_M3_S2)]
        if j2 is not None:
            pole = tuple(float(x) for x in self.moon_pole(float(pole_time_s)))
            terms.append(Zonal(MU_MOON_M3_S2, R_MOON_M, (float(j2),), pole))  # type: ignore[arg-type]
        if earth:
            terms.append(ThirdBody(MU_EARTH_M3_S2, self.earth_mci, "Earth"))
        if sun:
            terms.append(ThirdBody(MU_SUN_M3_S2, self.sun_mci, "Sun"))
        return ForceModel(terms)

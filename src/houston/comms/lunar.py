"""Sites on the Moon's surface, and how the Earth is seen from them.

A site is fixed in the Moon-fixed frame of the IAU 2009 rotation model (mean-Earth/polar-axis
approximation, :func:`houston.dynamics.frames.moon_rotation`), at selenographic latitude,
east longitude and height above the sphere of radius ``R_MOON_M``. The Earth's direction
from the Moon comes from DE421 (:mod:`houston.dynamics.ephemeris`); turned into the
Moon-fixed frame it gives the sub-Earth point, whose wandering (the optical libration,
about ±6.7° in latitude and ±7.9° in longitude) makes the Earth rise and set over a month
at the poles. The Earth's elevation at a site is the angle of the Earth's centre above the
site's local horizontal plane (the sphere's tangent plane); its apparent radius is about
0.95°.

The horizon here is the sphere's: real terrain (a crater rim a kilometre or two above its
surroundings) lowers or raises it by a degree or two. A site's antennas carry their own
elevation mask for that (the link model's ``antennas`` records).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from houston.comms.networks import dms
from houston.dynamics import ephemeris
from houston.dynamics.frames import (
    enu_basis,
    moon_fixed_to_selenographic,
    moon_rotation,
    selenographic_to_moon_fixed,
)

if TYPE_CHECKING:
    from houston.core.time import Epoch

__all__ = [
    "LUNAR_SOUTH_POLE",
    "SHACKLETON_RIM",
    "SubEarthPoint",
    "SurfaceSite",
    "earth_elevation",
    "sub_earth_point",
]

Array = NDArray[np.float64]


@dataclass(frozen=True)
class SurfaceSite:
    """A fixed point on the Moon: selenographic ``lat_rad``, east ``lon_rad``, ``h_m`` above
    the ``R_MOON_M`` sphere, and the ``source`` of the coordinates."""

    name: str
    lat_rad: float
    lon_rad: float
    h_m: float = 0.0
    source: str = ""

    @property
    def r_fixed_m(self) -> Array:
        """Moon-fixed position, m."""
        return selenographic_to_moon_fixed(self.lat_rad, self.lon_rad, self.h_m)

    @property
    def up_fixed(self) -> Array:
        """Local vertical (unit, Moon-fixed axes)."""
        return enu_basis(self.lat_rad, self.lon_rad)[2]


#: The point near the rim of Shackleton crater that receives the most sunlight (86% of the
#: year 2020), 88.74° S, 124.5° E: Bussey et al. (2010), "Illumination conditions of the
#: south pole of the Moon derived using Kaguya topography", Icarus 208:558-564 (abstract).
#: The home of the Jamestown base; height 0 (on the reference sphere: the rim's real
#: elevation is not modelled).
SHACKLETON_RIM = SurfaceSite(
    "Shackleton rim",
    dms(-88, 44.4),
    dms(124, 30),
    0.0,
    "Bussey et al. 2010, Icarus 208:558 (88.74 S, 124.5 E)",
)

#: The south pole itself (the reference case of the Earth's visibility).
LUNAR_SOUTH_POLE = SurfaceSite("lunar south pole", -0.5 * np.pi, 0.0, 0.0, "definition")


class SubEarthPoint(NamedTuple):
    """Selenographic latitude and east longitude (rad) of the Earth's centre seen from the
    Moon's centre, and the Earth's distance (m): the optical libration."""

    lat_rad: Array
    lon_rad: Array
    distance_m: Array


def _earth_fixed(epoch: Epoch, t_ns: ArrayLike) -> Array:
    jd1, jd2 = ephemeris.tdb_jd(epoch, np.asarray(t_ns, dtype=np.int64))
    r_earth_mci = ephemeris.earth_position_mci(jd1, jd2)
    return moon_rotation(jd1, jd2).position_to_fixed(r_earth_mci)


def sub_earth_point(epoch: Epoch, t_ns: ArrayLike) -> SubEarthPoint:
    """The sub-Earth point at kernel times ``t_ns`` (ns since ``epoch``, any shape)."""
    r = _earth_fixed(epoch, t_ns)
    lat, lon, _ = moon_fixed_to_selenographic(r)
    return SubEarthPoint(lat, lon, np.linalg.norm(r, axis=-1))


def earth_elevation(
    epoch: Epoch, t_ns: ArrayLike, lat_rad: ArrayLike, lon_rad: ArrayLike, h_m: ArrayLike = 0.0
) -> Array:
    """Elevation (rad) of the Earth's centre above the local horizontal plane of a Moon-fixed
    site, at kernel times ``t_ns``; times and site coordinates broadcast."""
    r_earth = _earth_fixed(epoch, t_ns)
    site = selenographic_to_moon_fixed(lat_rad, lon_rad, h_m)
    up = enu_basis(lat_rad, lon_rad)[..., 2, :]
    d = r_earth - site
    s = np.einsum("...i,...i->...", d, up) / np.linalg.norm(d, axis=-1)
    return np.arcsin(np.clip(s, -1.0, 1.0))

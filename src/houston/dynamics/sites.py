"""Ground stations: Earth-fixed positions and their geodetic coordinates.

Deep Space Network antenna positions are those of DSN No. 810-005, Module 301 (Coverage and
Geometry), Rev. M (2020), the same as NAIF's ``earthstns_itrf93_201023`` kernel: ITRF93 at
epoch 2003.0, metres. The positions are of today's antennas; plate motion since the 1970s
and 1980s (a few cm per year) is under 2 m and is ignored. The three 70 m antennas were 64 m
dishes until their enlargement in 1987-1988.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from houston.dynamics.frames import ecef_to_geodetic

__all__ = ["DSN_70M", "DSS_14", "DSS_43", "DSS_63", "Site", "sites_arrays"]

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Site:
    """A fixed ground site: ``name`` and its ITRF position ``r_itrf_m`` (m).

    ``lat_rad``, ``lon_rad``, ``h_m`` are its WGS-84 geodetic coordinates, computed from the
    position (:func:`houston.dynamics.frames.ecef_to_geodetic`).
    """

    name: str
    r_itrf_m: tuple[float, float, float]
    lat_rad: float = field(init=False)
    lon_rad: float = field(init=False)
    h_m: float = field(init=False)

    def __post_init__(self) -> None:
        lat, lon, h = ecef_to_geodetic(np.asarray(self.r_itrf_m, dtype=float))
        object.__setattr__(self, "lat_rad", float(lat))
        object.__setattr__(self, "lon_rad", float(lon))
        object.__setattr__(self, "h_m", float(h))


#: Goldstone, California (DSN 810-005, 301 Rev. M).
DSS_14 = Site("DSS-14 Goldstone", (-2_353_621.420, -4_641_341.472, 3_677_052.318))
#: Tidbinbilla, Canberra, Australia (DSN 810-005, 301 Rev. M).
DSS_43 = Site("DSS-43 Canberra", (-4_460_894.917, 2_682_361.507, -3_674_748.152))
#: Robledo, Madrid, Spain (DSN 810-005, 301 Rev. M).
DSS_63 = Site("DSS-63 Madrid", (4_849_092.518, -360_180.348, 4_115_109.251))
#: The three large antennas, one per complex, about 120° apart in longitude.
DSN_70M = (DSS_14, DSS_43, DSS_63)


def sites_arrays(sites: tuple[Site, ...]) -> tuple[Array, Array, Array]:
    """ITRF positions ``(n, 3)`` (m), latitudes and longitudes ``(n,)`` (rad) of ``sites``,
    ready for :func:`houston.dynamics.frames.look_angles` with a batch axis of stations."""
    r = np.array([s.r_itrf_m for s in sites], dtype=float)
    lat = np.array([s.lat_rad for s in sites])
    lon = np.array([s.lon_rad for s in sites])
    return r, lat, lon

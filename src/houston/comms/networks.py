"""Ground networks as data: the Deep Space Network and the near-Earth network of the 1970s-80s.

Each station is a :class:`GroundStation`: a code, a display name, WGS-84 geodetic latitude,
east longitude and height (the ITRF position follows from them,
:func:`houston.dynamics.frames.geodetic_to_ecef`), and an elevation mask below which it
does not track. A scenario picks networks by name (``networks = ["stdn"]``), keeps some
stations by code (``station_names``) and adds its own (a ``stations`` records parameter),
all through :func:`select_stations`.

Sources
-------
* **DSN** (``"dsn"``): one antenna per complex, the 70 m antennas DSS-14 (Goldstone),
  DSS-43 (Canberra) and DSS-63 (Madrid), from :mod:`houston.dynamics.sites` (DSN No.
  810-005, module 301 *Coverage and Geometry*, Rev. M; ITRF93 at epoch 2003.0). They were
  64 m dishes until 1987-1988; the position of each antenna is unchanged. Elevation mask
  6 degrees: the DSN figure for view periods as we know it from DSN 810-005 module 301
  (10 degrees is the conservative figure also used); it has not been rechecked against the
  module's current revision. A scenario raises every mask with the link model's
  ``min_elevation``.
* **STDN** (``"stdn"``): the unified S-band (USB) stations of the Manned Space Flight
  Network and its successor, the Spaceflight Tracking and Data Network, as listed in the
  *NASA Directory of Station Locations* (NDOSL), 16 July 2019, Table 2 "Geodetic positions
  on World Geodetic System 1984" (as distributed by NAIF in the frame kernel
  ``ndosl_190716_v02.tf``). Only the stations whose USB antenna is in that directory are
  kept (codes and NASA numbers as in its Table 3): the Apollo-era sites at Honeysuckle
  Creek, Carnarvon, Corpus Christi, Grand Canary and Tananarive are not in it, and are left
  out rather than placed from less certain coordinates. The elevation mask of 5 degrees is
  an assumed planning value, not a published mask of these antennas.

* **MSFN** (``"msfn"``): the three 26 m (85 ft) unified S-band antennas that were the prime
  stations of the Manned Space Flight Network for the lunar phase of Apollo, a third of the
  world apart: Goldstone (GDS) and Madrid/Fresnedillas (MAD), the same antennas and NDOSL
  positions as ``DS16`` and ``MAD8`` of the STDN above, and Honeysuckle Creek (HSK), which
  the 2019 directory no longer lists. Honeysuckle's position is the one NAIF took "from the
  NASA directory of station locations" for its station kernel ``stations.bsp`` (NEAR
  mission, 18 October 1995; the site called CANBERRA there, STDN code HSKD, the antenna
  that became DSS-44 in 1974): ITRF-like Cartesian ``(-4451.074, 2676.822, -3691.361)`` km,
  rounded to the metre, which is 35 deg 34' 59.8" S, 148 deg 58' 40.1" E, 1,158 m above
  the WGS-84 ellipsoid; the station's commemorated site is given as 35 deg 35' 01" S,
  148 deg 58' 37" E (to the arc-second, datum not stated), 86 m away. Carnarvon, Grand Canary, Guaymas, Corpus Christi
  and the ships are not bundled: no published position was found. The masks are the STDN's
  assumed 5 degrees (no published mask was found for these antennas).

Positions are today's: plate motion since the 1970s (a few cm per year) moves them by
under 2 m, far below what a link's visibility or light time can notice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from houston.dynamics import sites
from houston.dynamics.frames import ecef_to_geodetic, enu_basis, geodetic_to_ecef

__all__ = [
    "DSN",
    "MSFN",
    "NETWORKS",
    "STDN",
    "GroundStation",
    "StationSet",
    "dms",
    "select_stations",
]

Array = NDArray[np.float64]
_DEG = np.pi / 180.0

#: Elevation mask of the DSN antennas, rad (module docstring).
DSN_MASK_RAD = 6.0 * _DEG
#: Elevation mask assumed for the STDN USB antennas, rad (an assumption, module docstring).
STDN_MASK_RAD = 5.0 * _DEG


def dms(deg: float, minutes: float = 0.0, seconds: float = 0.0) -> float:
    """Degrees, arc-minutes and arc-seconds to radians; the sign of ``deg`` applies to all
    three (``dms(-7, 57, 17.5769)`` is 7°57'17.5769" S). ``-0`` degrees is written as a
    negative ``minutes``."""
    sign = -1.0 if (deg < 0 or (deg == 0 and minutes < 0)) else 1.0
    return sign * (abs(deg) + abs(minutes) / 60.0 + abs(seconds) / 3600.0) * _DEG


@dataclass(frozen=True)
class GroundStation:
    """A tracking station: ``code`` (unique key), ``name`` (shown on consoles and in events),
    WGS-84 geodetic ``lat_rad``, east ``lon_rad`` and ``h_m``, the elevation mask
    ``min_elevation_rad``, the ``network`` it belongs to and the ``source`` of its position.

    ``r_itrf_m`` is computed from the geodetic coordinates.
    """

    code: str
    name: str
    lat_rad: float
    lon_rad: float
    h_m: float
    min_elevation_rad: float
    network: str = ""
    source: str = ""
    r_itrf_m: tuple[float, float, float] = field(init=False)

    def __post_init__(self) -> None:
        r = geodetic_to_ecef(self.lat_rad, self.lon_rad, self.h_m)
        object.__setattr__(self, "r_itrf_m", tuple(float(x) for x in r))

    @classmethod
    def from_site(
        cls, site: sites.Site, code: str, min_elevation_rad: float, network: str, source: str
    ) -> GroundStation:
        """A station at a :class:`houston.dynamics.sites.Site` (its ITRF position kept to
        round-off through the geodetic round trip)."""
        lat, lon, h = ecef_to_geodetic(np.asarray(site.r_itrf_m, dtype=float))
        return cls(
            code, site.name, float(lat), float(lon), float(h), min_elevation_rad, network, source
        )


_DSN_SOURCE = "DSN No. 810-005, module 301, Rev. M (houston.dynamics.sites)"

#: The Deep Space Network: one 70 m (formerly 64 m) antenna per complex.
DSN: tuple[GroundStation, ...] = (
    GroundStation.from_site(sites.DSS_14, "DSS-14", DSN_MASK_RAD, "dsn", _DSN_SOURCE),
    GroundStation.from_site(sites.DSS_43, "DSS-43", DSN_MASK_RAD, "dsn", _DSN_SOURCE),
    GroundStation.from_site(sites.DSS_63, "DSS-63", DSN_MASK_RAD, "dsn", _DSN_SOURCE),
)

_NDOSL = "NASA Directory of Station Locations, 16 July 2019, Table 2 (WGS-84)"


def _stdn(code: str, name: str, lat: float, lon: float, h_m: float) -> GroundStation:
    return GroundStation(code, name, lat, lon, h_m, STDN_MASK_RAD, "stdn", _NDOSL)


#: Unified S-band stations of the MSFN/STDN (NDOSL 2019 Table 2; east longitudes as printed
#: there, 0-360 degrees; heights in metres above the WGS-84 ellipsoid). The comment gives
#: the NASA number and the directory's equipment line (Table 3).
STDN: tuple[GroundStation, ...] = (
    # 1301 Merritt Island, FL; USB 9 m X-Y
    _stdn("MIL3", "MIL Merritt Island", dms(28, 30, 29.2460), dms(279, 18, 23.7602), -25.950),
    # 1303 Bermuda; USB 9 m X-Y (deactivated)
    _stdn("BDA3", "BDA Bermuda", dms(32, 21, 4.5631), dms(295, 20, 31.6020), -11.380),
    # 1306 Ascension Island; USB 9 m X-Y (deactivated)
    _stdn("ACN3", "ACN Ascension", dms(-7, 57, 17.5769), dms(345, 40, 22.4282), 561.403),
    # 1307 Madrid, Spain; USB 26 m X-Y (deactivated)
    _stdn("MAD8", "MAD Madrid", dms(40, 27, 19.6178), dms(355, 49, 53.8141), 837.886),
    # 1309 Guam; USB 9 m X-Y
    _stdn("GWM3", "GWM Guam", dms(13, 18, 38.4820), dms(144, 44, 12.5351), 148.640),
    # 1311 Kauai, Hawaii; USB 9 m X-Y
    _stdn("HAW3", "HAW Hawaii", dms(22, 7, 34.5812), dms(200, 20, 5.4419), 1157.200),
    # 1312 Goldstone, CA; 26 m X-Y (DSS-16)
    _stdn("DS16", "GDS Goldstone", dms(35, 20, 29.5418), dms(243, 7, 34.8609), 943.977),
    # 1319 Santiago, Chile; USB 9 m X-Y
    _stdn("AGO3", "AGO Santiago", dms(-33, 9, 3.9869), dms(289, 20, 0.9492), 733.301),
    # 1320 Orroral Valley, Australia; USB 9 m X-Y (deactivated)
    _stdn("ORR3", "ORR Orroral Valley", dms(-35, 37, 40.4144), dms(148, 57, 25.2836), 951.982),
    # 1324 Hartebeesthoek, South Africa; S-band 9 m X-Y
    _stdn("HBK3", "HBK Johannesburg", dms(-25, 53, 12.2200), dms(27, 42, 45.3600), 1549.040),
    # 1328 Fairbanks, Alaska; USB 9 m X-Y (deactivated)
    _stdn("ULA3", "ULA Fairbanks", dms(64, 58, 19.7049), dms(212, 29, 11.8002), 344.054),
)

_NEAR_FK = (
    "NAIF station kernel stations.bsp (NEAR, 1995), from the NASA Directory of Station "
    "Locations (HSKD)"
)

#: Honeysuckle Creek's 26 m antenna, ITRF-like Cartesian position, m (module docstring).
HONEYSUCKLE_ITRF_M = (-4451.074e3, 2676.822e3, -3691.361e3)


def _msfn(code: str, name: str, like: str) -> GroundStation:
    s = next(st for st in STDN if st.code == like)
    return GroundStation(code, name, s.lat_rad, s.lon_rad, s.h_m, STDN_MASK_RAD, "msfn", _NDOSL)


#: The Apollo-era Manned Space Flight Network's three prime 26 m lunar stations.
MSFN: tuple[GroundStation, ...] = (
    _msfn("GDS", "GDS Goldstone", "DS16"),
    _msfn("MAD", "MAD Madrid", "MAD8"),
    GroundStation.from_site(
        sites.Site("HSK Honeysuckle Creek", HONEYSUCKLE_ITRF_M),
        "HSK",
        STDN_MASK_RAD,
        "msfn",
        _NEAR_FK,
    ),
)

#: Bundled networks by name.
NETWORKS: dict[str, tuple[GroundStation, ...]] = {"dsn": DSN, "stdn": STDN, "msfn": MSFN}


@dataclass(frozen=True)
class StationSet:
    """Stations as arrays, ready for the per-frame geometry (:mod:`houston.comms.visibility`).

    ``r_itrf_m`` ``(n, 3)`` positions, ``up_itrf`` ``(n, 3)`` geodetic zenith unit vectors
    (ITRF axes), ``min_elevation_rad`` ``(n,)``; ``codes`` and ``names`` in the same order.
    """

    codes: tuple[str, ...]
    names: tuple[str, ...]
    r_itrf_m: Array
    up_itrf: Array
    min_elevation_rad: Array

    @classmethod
    def of(cls, stations: Iterable[GroundStation], min_elevation_rad: float = 0.0) -> StationSet:
        """The arrays of ``stations``; every mask is raised to at least
        ``min_elevation_rad``."""
        st = tuple(stations)
        if not st:
            raise ValueError("at least one ground station is needed")
        codes = tuple(s.code for s in st)
        dup = sorted({c for c in codes if codes.count(c) > 1})
        if dup:
            raise ValueError(f"ground stations given twice: {', '.join(dup)}")
        lat = np.array([s.lat_rad for s in st])
        lon = np.array([s.lon_rad for s in st])
        return cls(
            codes,
            tuple(s.name for s in st),
            np.array([s.r_itrf_m for s in st], dtype=float),
            np.ascontiguousarray(enu_basis(lat, lon)[:, 2, :]),
            np.maximum(np.array([s.min_elevation_rad for s in st]), float(min_elevation_rad)),
        )

    def __len__(self) -> int:
        return len(self.codes)


def select_stations(
    networks: Iterable[str] = ("dsn",),
    codes: Iterable[str] = (),
    extra: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[GroundStation]:
    """The stations of the bundled ``networks``, kept to ``codes`` (code or name) when given,
    followed by the ``extra`` stations of a scenario.

    ``extra`` maps a station name to a record with ``lat`` and ``lon`` (rad), and optionally
    ``height`` (m) and ``min_elevation`` (rad), as the link model's ``stations`` records
    parameter gives them (SI). Raises ``ValueError`` for an unknown network or code.
    """
    chosen: list[GroundStation] = []
    for net in networks:
        if net not in NETWORKS:
            raise ValueError(f"unknown ground network {net!r}; networks: {', '.join(NETWORKS)}")
        chosen.extend(NETWORKS[net])
    wanted = list(codes)
    if wanted:
        known = {s.code for s in chosen} | {s.name for s in chosen}
        missing = [c for c in wanted if c not in known]
        if missing:
            raise ValueError(
                f"no station {', '.join(map(repr, missing))} in networks "
                f"{', '.join(networks)}; stations: {', '.join(s.code for s in chosen)}"
            )
        chosen = [s for s in chosen if s.code in wanted or s.name in wanted]
    for name, rec in (extra or {}).items():
        chosen.append(
            GroundStation(
                name,
                name,
                float(rec["lat"]),
                float(rec["lon"]),
                float(rec.get("height", 0.0)),
                float(rec.get("min_elevation", 0.0)),
                "scenario",
                "scenario file",
            )
        )
    return chosen

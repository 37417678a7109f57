"""Link geometry: the Earth and Moon at a time, and what each station sees of an asset.

The pure numerical core of the link model and of the predictions. Every function takes
arrays: positions ``(..., 3)`` with leading axes for runs, times or both, stations on the
axis before the vector axis.

Geometry (all positions in GCRF, m, from the Earth's centre):

* **Elevation** of the asset seen from a station: ``asin(ρ·û / |ρ|)`` with ``ρ`` the vector
  from the station to the asset and ``û`` the station's geodetic zenith (WGS-84 normal,
  :func:`houston.dynamics.frames.enu_basis`) rotated into GCRF. A station has the asset in
  view when its elevation is at or above the station's mask. The Earth cannot hide an asset
  above a station's horizon: the ellipsoid is convex and lies wholly below the tangent plane
  of a point on (or above) it, so no separate Earth occultation test is needed for masks of
  zero or more.
* **Occultation by the Moon**: the distance from the Moon's centre to the segment between the
  asset and the station, less the occulting radius (``R_MOON_M`` plus an optional terrain
  margin); negative when the Moon hides the line ("sphere occultation", as in
  :func:`houston.dynamics.events.line_of_sight`). For a surface site on the Moon the test is
  replaced by the site's own horizon, its exact equivalent for a sphere.
* **From a lunar surface site**: the station's elevation above the site's local horizon
  (spherical vertical of the Moon-fixed frame, IAU 2009 rotation,
  :func:`houston.dynamics.frames.moon_rotation`) must be at or above the site's antenna
  mask. The Earth's own elevation there moves with the optical libration, a few degrees
  over a month (:func:`houston.comms.lunar.earth_elevation`).
* **Light time**: one way, ``|ρ| / c`` at the instant (no light-time iteration: the
  positions move by under 2 km during the 1.3 s to the Moon, which changes the light time by
  under 10 µs).

Per frame, :func:`environment_at` gives the Earth rotation, the Moon's position and its
rotation, interpolated between full evaluations ten minutes apart (:mod:`houston.comms.tables`:
about 1 µs a time; the last few are kept, so that every link model of a frame shares them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from houston.comms.tables import packed_at
from houston.core.constants import C_M_S, R_MOON_M
from houston.dynamics import ephemeris
from houston.dynamics.frames import earth_orientation, earth_rotation_at, moon_rotation

if TYPE_CHECKING:
    from houston.comms.networks import StationSet
    from houston.core.time import Epoch

__all__ = [
    "Environment",
    "LinkGeometry",
    "environment",
    "environment_at",
    "link_geometry",
    "site_gcrf",
    "stations_gcrf",
]

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Environment:
    """The Earth and the Moon at one or more times (leading axes of every array).

    ``earth_matrix`` ``(..., 3, 3)``: GCRF→ITRF rotation, ``earth_omega_rad_s`` its angular
    velocity (ITRF axes); ``r_moon_gcrf_m``, ``v_moon_gcrf_m_s`` ``(..., 3)``: the Moon's
    centre (DE421); ``moon_matrix``: MCI→Moon-fixed rotation (IAU 2009),
    ``moon_omega_rad_s`` its angular velocity (Moon-fixed axes).
    """

    earth_matrix: Array
    earth_omega_rad_s: Array
    r_moon_gcrf_m: Array
    v_moon_gcrf_m_s: Array
    moon_matrix: Array
    moon_omega_rad_s: Array


def environment(epoch: Epoch, t_ns: ArrayLike) -> Environment:
    """The Earth and the Moon at kernel times ``t_ns`` (integer ns since ``epoch``, any
    shape), each evaluated in full: the GCRF→ITRF rotation as
    :func:`houston.dynamics.frames.earth_rotation` makes it
    (:func:`houston.dynamics.frames.earth_rotation_at` with the Earth orientation parameters
    of :func:`houston.dynamics.frames.earth_orientation`, the same values as
    :func:`houston.dynamics.frames.earth_orientation`'s, read without astropy's table
    reader), :func:`houston.dynamics.ephemeris.moon_state_gcrf`,
    :func:`houston.dynamics.frames.moon_rotation`."""
    t = np.asarray(t_ns, dtype=np.int64)
    tai1, tai2 = ephemeris.tai_jd(epoch, t)
    eop = earth_orientation(tai1, tai2)
    earth = earth_rotation_at(
        tai1,
        tai2 + ephemeris.TT_MINUS_TAI_S / 86_400.0,
        tai1,
        tai2 + eop.ut1_minus_tai_s / 86_400.0,
        eop.xp_rad,
        eop.yp_rad,
        eop.dx_rad,
        eop.dy_rad,
        eop.ut1_rate,
    )
    jd1, jd2 = ephemeris.tdb_jd(epoch, t)
    moon = moon_rotation(jd1, jd2)
    r, v = ephemeris.moon_state_gcrf(jd1, jd2)
    return Environment(earth.matrix, earth.omega_rad_s, r, v, moon.matrix, moon.omega_rad_s)


def environment_at(epoch: Epoch, t_ns: int) -> Environment:
    """:func:`environment` at one time, for the frame loop: interpolated between full
    evaluations 10 minutes apart (:func:`houston.comms.tables.packed_at`: the Earth's matrix
    within 1e-11 of the full evaluation, the Moon within 0.1 mm), shared by every link model
    of a frame. The result depends on ``t_ns`` only, never on the order of the calls
    (restored checkpoints continue identically). The arrays are read-only."""
    row = packed_at(epoch, t_ns)
    return Environment(
        row[0:9].reshape(3, 3),
        row[9:12],
        row[12:15],
        row[15:18],
        row[18:27].reshape(3, 3),
        row[27:30],
    )


def stations_gcrf(env: Environment, stations: StationSet) -> tuple[Array, Array]:
    """GCRF positions (m) and zenith unit vectors of ``stations``, ``(..., n, 3)`` for the
    environment's time axes: ``r_gcrf = Mᵀ r_itrf`` (row form ``r_itrf @ M``)."""
    m = env.earth_matrix
    return np.matmul(stations.r_itrf_m, m), np.matmul(stations.up_itrf, m)


def site_gcrf(env: Environment, r_fixed_m: ArrayLike, up_fixed: ArrayLike) -> tuple[Array, Array]:
    """GCRF position (m) and local vertical of a Moon-fixed site, ``(..., 3)``:
    ``r = r_moon + Mᵀ r_fixed``."""
    m = env.moon_matrix
    r = np.asarray(r_fixed_m, dtype=float)
    up = np.asarray(up_fixed, dtype=float)
    r_g = np.einsum("...ji,...j->...i", m, r) + env.r_moon_gcrf_m
    up_g = np.einsum("...ji,...j->...i", m, up)
    return r_g, up_g


class LinkGeometry(NamedTuple):
    """What each station sees of an asset, ``(..., n_stations)``.

    ``elevation_rad``: the asset's elevation at the station; ``range_m``; ``clearance_m``:
    the Moon's clearance of the line (negative: occulted; ``+inf`` for a surface site,
    whose horizon is tested instead); ``site_elevation_rad``: the station's elevation above
    a surface site's horizon (``+π/2`` for a spacecraft); ``light_time_s``.
    """

    elevation_rad: Array
    range_m: Array
    clearance_m: Array
    site_elevation_rad: Array
    light_time_s: Array

    def visible(
        self, station_mask_rad: ArrayLike, site_mask_rad: ArrayLike = 0.0
    ) -> NDArray[np.bool_]:
        """Geometric visibility: above the station's mask, not occulted by the Moon, and
        (surface sites) above the site's mask. ``site_mask_rad`` broadcasts against the
        leading axes (one value per run: the antenna in use)."""
        site = np.asarray(site_mask_rad, dtype=float)
        if site.ndim:
            site = site[..., None]
        return (
            (self.elevation_rad >= np.asarray(station_mask_rad, dtype=float))
            & (self.clearance_m >= 0.0)
            & (self.site_elevation_rad >= site)
        )

    def margin_rad(
        self, station_mask_rad: ArrayLike, site_mask_rad: ArrayLike, distance_m: ArrayLike
    ) -> Array:
        """A continuous switching function, positive exactly when :meth:`visible`: the least
        of the elevation margins and of the Moon clearance as an angle (clearance over
        ``distance_m``, the asset's distance to the Moon's centre, broadcast over stations)."""
        site = np.asarray(site_mask_rad, dtype=float)
        if site.ndim:
            site = site[..., None]
        d = np.asarray(distance_m, dtype=float)
        if d.ndim:
            d = d[..., None]
        station = np.asarray(station_mask_rad, dtype=float)
        g = np.minimum(self.elevation_rad - station, self.site_elevation_rad - site)
        with np.errstate(invalid="ignore"):
            occ = np.where(np.isfinite(self.clearance_m), self.clearance_m / d, np.inf)
        return np.minimum(g, occ)


def link_geometry(
    r_gcrf_m: ArrayLike,
    r_station_m: ArrayLike,
    up_station: ArrayLike,
    r_moon_m: ArrayLike,
    occulting_radius_m: float = R_MOON_M,
    up_site: ArrayLike | None = None,
) -> LinkGeometry:
    """Station-by-station geometry of an asset at ``r_gcrf_m`` ``(..., 3)``.

    ``r_station_m``, ``up_station``: ``(..., n, 3)`` (:func:`stations_gcrf`); ``r_moon_m``
    ``(..., 3)``: the Moon's centre. ``up_site`` ``(..., 3)``: the local vertical of a lunar
    surface site at ``r_gcrf_m`` (then the Moon's occultation is the site's horizon); leave
    it ``None`` for a spacecraft. All leading axes broadcast.
    """
    r = np.asarray(r_gcrf_m, dtype=float)[..., None, :]
    st = np.asarray(r_station_m, dtype=float)
    up = np.asarray(up_station, dtype=float)
    rho = r - st
    rx, ry, rz = rho[..., 0], rho[..., 1], rho[..., 2]
    dd = rx * rx + ry * ry + rz * rz
    rng = np.sqrt(dd)
    inv = 1.0 / rng
    el = np.arcsin(np.clip((rx * up[..., 0] + ry * up[..., 1] + rz * up[..., 2]) * inv, -1.0, 1.0))
    if up_site is None:
        # Segment from the asset A to the station B: d = B - A = -rho, f = C - A.
        f = np.asarray(r_moon_m, dtype=float)[..., None, :] - r
        fx, fy, fz = f[..., 0], f[..., 1], f[..., 2]
        fd = -(fx * rx + fy * ry + fz * rz)
        ff = fx * fx + fy * fy + fz * fz
        tau = np.clip(fd / dd, 0.0, 1.0)
        dist2 = np.maximum(ff - 2.0 * tau * fd + tau * tau * dd, 0.0)
        clearance = np.sqrt(dist2) - occulting_radius_m
        site_el = np.full_like(el, 0.5 * np.pi)
    else:
        us = np.asarray(up_site, dtype=float)[..., None, :]
        s = -(rx * us[..., 0] + ry * us[..., 1] + rz * us[..., 2]) * inv
        site_el = np.arcsin(np.clip(s, -1.0, 1.0))
        clearance = np.full_like(el, np.inf)
    return LinkGeometry(el, rng, clearance, site_el, rng / C_M_S)

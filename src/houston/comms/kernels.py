"""Compiled per-frame work of the link model (:mod:`houston.comms.model`).

The same geometry as :func:`houston.comms.visibility.link_geometry` (which the tests use as
the reference), fused into one loop over runs and stations and compiled with numba
(``cache=True``) on first use. Elevations are carried as sines: ``el >= mask`` is
``sin(el) >= sin(mask)`` on [-90°, 90°], so no arcsine is taken per pair. Each run is
computed alone, so a batch of N gives bit for bit the N single runs.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray

_F = NDArray[np.float64]
_I = NDArray[np.int64]
_B = NDArray[np.bool_]

UP = 0
DOWN_GEOMETRY = 1
DOWN_FAILURE = 2


@njit(cache=True)
def pair_geometry(
    r: _F,
    site_up: _F,
    surface: bool,
    st_r: _F,
    st_up: _F,
    moon: _F,
    occulting_radius2: float,
    sin_el: _F,
    sin_site: _F,
    rng: _F,
    clear: _B,
) -> None:
    """Fill ``sin_el``, ``sin_site``, ``rng``, ``clear`` ``(batch, n)`` for the asset at
    ``r`` ``(batch or 1, 3)`` (GCRF, m) and stations at ``st_r`` with zeniths ``st_up``
    ``(n, 3)``.

    ``sin_el``: sine of the asset's elevation at each station; ``rng``: range (m);
    spacecraft (``surface`` false): ``clear`` is false when the Moon's sphere
    (``occulting_radius2`` = its radius squared, m², centre ``moon``) meets the segment
    and ``sin_site`` is 1; surface site: ``sin_site`` is the sine of the station's elevation
    above the site's horizon (vertical ``site_up``, ``(batch or 1, 3)``) and ``clear`` is
    true.
    """
    nb = sin_el.shape[0]
    ns = st_r.shape[0]
    nr = r.shape[0]
    for b in range(nb):
        rb = min(b, nr - 1)
        ax = r[rb, 0]
        ay = r[rb, 1]
        az = r[rb, 2]
        fx = moon[0] - ax
        fy = moon[1] - ay
        fz = moon[2] - az
        ff = fx * fx + fy * fy + fz * fz
        ux = site_up[rb, 0]
        uy = site_up[rb, 1]
        uz = site_up[rb, 2]
        for s in range(ns):
            rx = ax - st_r[s, 0]
            ry = ay - st_r[s, 1]
            rz = az - st_r[s, 2]
            dd = rx * rx + ry * ry + rz * rz
            d = math.sqrt(dd)
            rng[b, s] = d
            sin_el[b, s] = (rx * st_up[s, 0] + ry * st_up[s, 1] + rz * st_up[s, 2]) / d
            if surface:
                sin_site[b, s] = -(rx * ux + ry * uy + rz * uz) / d
                clear[b, s] = True
            else:
                sin_site[b, s] = 1.0
                # Segment from the asset A to the station B: d = B - A = -rho, f = C - A.
                fd = -(fx * rx + fy * ry + fz * rz)
                tau = fd / dd
                if tau < 0.0:
                    tau = 0.0
                elif tau > 1.0:
                    tau = 1.0
                dist2 = ff - 2.0 * tau * fd + tau * tau * dd
                clear[b, s] = dist2 >= occulting_radius2


@njit(cache=True)
def choose(
    sin_el: _F,
    sin_site: _F,
    clear: _B,
    sin_mask: _F,
    sin_site_mask: _F,
    equipment_ok: _B,
    current: _I,
    station: _I,
    best: _I,
    link: _I,
    station_link: _I,
) -> None:
    """Link state per station and per run, and the station in use.

    A station closes the link when the line is clear, the asset is at or above the station's
    mask (``sin_mask`` ``(n,)``) and the station at or above the site's mask
    (``sin_site_mask`` ``(batch,)``), and the run's equipment works. The station in use
    (``current``) is kept while it closes the link; otherwise the one with the highest
    elevation is taken (-1: none). ``best`` is the station in use or, while down, the one
    with the best margin (occulted lines last). ``link``: the run's state (0 up, 1 down by
    geometry, 2 down by failure); ``station_link`` ``(batch, n)``: each pair's.
    """
    nb = sin_el.shape[0]
    ns = sin_el.shape[1]
    for b in range(nb):
        ok = equipment_ok[b]
        cur = current[b]
        keep = False
        up_i = -1
        up_v = -np.inf
        any_i = 0
        any_v = -np.inf
        for s in range(ns):
            m = min(sin_el[b, s] - sin_mask[s], sin_site[b, s] - sin_site_mask[b])
            geo = clear[b, s] and m >= 0.0
            if geo and ok:
                station_link[b, s] = UP
                if s == cur:
                    keep = True
                if sin_el[b, s] > up_v:
                    up_v = sin_el[b, s]
                    up_i = s
            elif ok:
                station_link[b, s] = DOWN_GEOMETRY
            else:
                station_link[b, s] = DOWN_FAILURE
            if not clear[b, s]:
                m -= 4.0
            if m > any_v:
                any_v = m
                any_i = s
        st = cur if keep else up_i
        station[b] = st
        best[b] = st if st >= 0 else any_i
        if st >= 0:
            link[b] = UP
        elif ok:
            link[b] = DOWN_GEOMETRY
        else:
            link[b] = DOWN_FAILURE


@njit(cache=True)
def links(
    sin_el: _F,
    sin_site: _F,
    clear: _B,
    rng: _F,
    sin_mask: _F,
    surface: bool,
    sin_antenna_mask: _F,
    selected: _I,
    antenna: _I,
    lost: _B,
    transmitter_failed: _B,
    antenna_up: int,
    inv_c: float,
    station: _I,
    best: _I,
    link: _I,
    station_link: _I,
    up: _F,
    light_time: _F,
    reported_up: _B,
    reported_station: _I,
) -> bool:
    """The link model's ``_links`` in one pass: each run's equipment (the antenna in use
    is ``antenna_up`` and not lost, the transmitter works; a surface site's mask is that
    antenna's), :func:`choose`, ``up`` and the ``light_time`` to the reported station
    (``range * inv_c``). Returns whether any run's link changed from what was last
    announced (``reported_up``, ``reported_station``): whether there is an event to emit."""
    nb = sin_el.shape[0]
    ok = np.empty(nb, dtype=np.bool_)
    site_mask = np.empty(nb)
    current = station.copy()
    for b in range(nb):
        k = selected[b]
        ok[b] = (antenna[b, k] == antenna_up) and not lost[b, k] and not transmitter_failed[b]
        site_mask[b] = sin_antenna_mask[k] if surface else -2.0
    choose(
        sin_el, sin_site, clear, sin_mask, site_mask, ok, current, station, best, link, station_link
    )
    changed = False
    for b in range(nb):
        st = station[b]
        is_up = st >= 0
        up[b] = 1.0 if is_up else 0.0
        light_time[b] = rng[b, best[b]] * inv_c
        if is_up != reported_up[b] or (is_up and st != reported_station[b]):
            changed = True
    return changed


@njit(cache=True)
def telemetry_rows(
    out: _F,
    link: _I,
    station: _I,
    light_time: _F,
    rng: _F,
    best: _I,
    selected: _I,
    transmitter_failed: _B,
    antenna: _I,
    lost: _B,
    antenna_lost: int,
    earth_elevation: _F,
    surface: bool,
) -> None:
    """The link model's telemetry into ``out`` ``(batch, n_telemetry)`` in declared order,
    but for the elevation (column 3, taken with numpy's arcsine by the caller)."""
    nb = out.shape[0]
    na = antenna.shape[1]
    for b in range(nb):
        out[b, 0] = link[b]
        out[b, 1] = station[b] + 1
        out[b, 2] = light_time[b]
        out[b, 4] = rng[b, best[b]]
        out[b, 5] = selected[b]
        out[b, 6] = 1.0 if transmitter_failed[b] else 0.0
        for k in range(na):
            out[b, 7 + k] = antenna_lost if lost[b, k] else antenna[b, k]
        if surface:
            out[b, 7 + na] = earth_elevation[b]


@njit(cache=True)
def site_gcrf(moon_matrix: _F, r_fixed: _F, up_fixed: _F, r_moon: _F) -> tuple[_F, _F]:
    """:func:`houston.comms.visibility.site_gcrf` at one time, ``(3,)`` each: the same sums
    in the same order (``Mᵀ r_fixed + r_moon``, ``Mᵀ up_fixed``)."""
    r = np.empty(3)
    up = np.empty(3)
    for i in range(3):
        r[i] = (
            moon_matrix[0, i] * r_fixed[0]
            + moon_matrix[1, i] * r_fixed[1]
            + moon_matrix[2, i] * r_fixed[2]
        ) + r_moon[i]
        up[i] = (
            moon_matrix[0, i] * up_fixed[0]
            + moon_matrix[1, i] * up_fixed[1]
            + moon_matrix[2, i] * up_fixed[2]
        )
    return r, up

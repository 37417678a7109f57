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
    elevation: _F,
    reported_up: _B,
    reported_station: _I,
) -> bool:
    """The link model's ``_links`` in one pass: each run's equipment (the antenna in use
    is ``antenna_up`` and not lost, the transmitter works; a surface site's mask is that
    antenna's), :func:`choose`, ``up``, the ``light_time`` to the reported station
    (``range * inv_c``) and the asset's ``elevation`` (rad) there. Returns whether any run's link changed from what was last
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
        elevation[b] = math.asin(min(max(sin_el[b, best[b]], -1.0), 1.0))
        if is_up != reported_up[b] or (is_up and st != reported_station[b]):
            changed = True
    return changed


@njit(cache=True)
def telemetry_rows(
    out: _F,
    link: _I,
    station: _I,
    light_time: _F,
    elevation: _F,
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
    """The link model's telemetry into ``out`` ``(batch, n_telemetry)`` in declared order."""
    nb = out.shape[0]
    na = antenna.shape[1]
    for b in range(nb):
        out[b, 0] = link[b]
        out[b, 1] = station[b] + 1
        out[b, 2] = light_time[b]
        out[b, 3] = elevation[b]
        out[b, 4] = rng[b, best[b]]
        out[b, 5] = selected[b]
        out[b, 6] = 1.0 if transmitter_failed[b] else 0.0
        for k in range(na):
            out[b, 7 + k] = antenna_lost if lost[b, k] else antenna[b, k]
        if surface:
            out[b, 7 + na] = earth_elevation[b]


@njit(cache=True)
def frame_geometry(
    env: _F,
    st_r_itrf: _F,
    st_up_itrf: _F,
    r: _F,
    moon_origin: bool,
    surface: bool,
    site_r: _F,
    site_up: _F,
    occulting_radius2: float,
    sin_el: _F,
    sin_site: _F,
    rng: _F,
    clear: _B,
    earth_elevation: _F,
) -> None:
    """The link model's geometry at one time in one pass: the stations into GCRF (``r_itrf
    @ M`` with the Earth's matrix of the packed environment ``env``,
    :mod:`houston.comms.tables`), the asset's position (a spacecraft's ``r`` ``(batch, 3)``,
    plus the Moon's position when ``moon_origin``; a surface site's Moon-fixed ``site_r``
    and vertical ``site_up`` turned as :func:`houston.comms.visibility.site_gcrf` turns
    them, and the Earth's elevation there into ``earth_elevation``), then
    :func:`pair_geometry`."""
    ns = st_r_itrf.shape[0]
    st_r = np.empty((ns, 3))
    st_up = np.empty((ns, 3))
    for s in range(ns):
        for i in range(3):
            st_r[s, i] = (
                st_r_itrf[s, 0] * env[i]
                + st_r_itrf[s, 1] * env[3 + i]
                + st_r_itrf[s, 2] * env[6 + i]
            )
            st_up[s, i] = (
                st_up_itrf[s, 0] * env[i]
                + st_up_itrf[s, 1] * env[3 + i]
                + st_up_itrf[s, 2] * env[6 + i]
            )
    moon = env[12:15]
    if surface:
        a = np.empty((1, 3))
        up = np.empty((1, 3))
        for i in range(3):
            a[0, i] = (
                env[18 + i] * site_r[0] + env[21 + i] * site_r[1] + env[24 + i] * site_r[2]
            ) + moon[i]
            up[0, i] = (
                env[18 + i] * site_up[0] + env[21 + i] * site_up[1] + env[24 + i] * site_up[2]
            )
        d = math.sqrt(a[0, 0] * a[0, 0] + a[0, 1] * a[0, 1] + a[0, 2] * a[0, 2])
        e = -(a[0, 0] * up[0, 0] + a[0, 1] * up[0, 1] + a[0, 2] * up[0, 2]) / d
        e = min(max(e, -1.0), 1.0)
        for b in range(earth_elevation.shape[0]):
            earth_elevation[b] = math.asin(e)
        pair_geometry(
            a, up, True, st_r, st_up, moon, occulting_radius2, sin_el, sin_site, rng, clear
        )
    else:
        a = np.empty((r.shape[0], 3))
        for b in range(r.shape[0]):
            for i in range(3):
                a[b, i] = r[b, i] + moon[i] if moon_origin else r[b, i]
        up = np.zeros((1, 3))
        pair_geometry(
            a, up, False, st_r, st_up, moon, occulting_radius2, sin_el, sin_site, rng, clear
        )


#: Leading entries of the link model's packed constants (:func:`constants`).
_C_SURFACE, _C_MOON_ORIGIN, _C_OCCULTING_R2, _C_INV_C, _C_ANTENNA_UP = 0, 1, 2, 3, 4
_C_SITE_R, _C_SITE_UP, _C_STATIONS = 5, 8, 11


def constants(
    surface: bool,
    moon_origin: bool,
    occulting_radius2: float,
    inv_c: float,
    antenna_up: int,
    site_r: _F,
    site_up: _F,
    st_r_itrf: _F,
    st_up_itrf: _F,
    sin_mask: _F,
    sin_antenna_mask: _F,
) -> _F:
    """The link model's fixed inputs of :func:`step` packed in one array (one argument
    instead of eleven): the flags and scalars, the site's Moon-fixed position and vertical
    ``(3,)``, the stations' ITRF positions and zeniths ``(n, 3)``, the stations' sine masks
    ``(n,)`` and the antennas' ``(n_antennas,)``."""
    head = [
        float(surface),
        float(moon_origin),
        float(occulting_radius2),
        float(inv_c),
        float(antenna_up),
    ]
    return np.concatenate(
        [
            np.array(head),
            np.asarray(site_r, dtype=np.float64).ravel(),
            np.asarray(site_up, dtype=np.float64).ravel(),
            np.asarray(st_r_itrf, dtype=np.float64).ravel(),
            np.asarray(st_up_itrf, dtype=np.float64).ravel(),
            np.asarray(sin_mask, dtype=np.float64).ravel(),
            np.asarray(sin_antenna_mask, dtype=np.float64).ravel(),
        ]
    )


@njit(cache=True)
def step(
    geometry: bool,
    env: _F,
    r: _F,
    t_ns: int,
    consts: _F,
    geometry_t_ns: _I,
    earth_elevation: _F,
    sin_el: _F,
    sin_site: _F,
    clear: _B,
    rng: _F,
    selected: _I,
    antenna: _I,
    lost: _B,
    transmitter_failed: _B,
    station: _I,
    best: _I,
    link: _I,
    station_link: _I,
    up: _F,
    light_time: _F,
    elevation: _F,
    reported_up: _B,
    reported_station: _I,
) -> bool:
    """One step of the link model in one call: :func:`frame_geometry` when ``geometry``
    (and ``geometry_t_ns`` set to ``t_ns``), then :func:`links`, whose result it returns;
    the fixed inputs of both come packed in ``consts`` (:func:`constants`)."""
    ns = sin_el.shape[1]
    na = antenna.shape[1]
    surface = consts[_C_SURFACE] != 0.0
    i = _C_STATIONS
    st_r_itrf = consts[i : i + 3 * ns].reshape((ns, 3))
    st_up_itrf = consts[i + 3 * ns : i + 6 * ns].reshape((ns, 3))
    sin_mask = consts[i + 6 * ns : i + 7 * ns]
    sin_antenna_mask = consts[i + 7 * ns : i + 7 * ns + na]
    if geometry:
        frame_geometry(
            env,
            st_r_itrf,
            st_up_itrf,
            r,
            consts[_C_MOON_ORIGIN] != 0.0,
            surface,
            consts[_C_SITE_R : _C_SITE_R + 3],
            consts[_C_SITE_UP : _C_SITE_UP + 3],
            consts[_C_OCCULTING_R2],
            sin_el,
            sin_site,
            rng,
            clear,
            earth_elevation,
        )
        geometry_t_ns[:] = t_ns
    return links(
        sin_el,
        sin_site,
        clear,
        rng,
        sin_mask,
        surface,
        sin_antenna_mask,
        selected,
        antenna,
        lost,
        transmitter_failed,
        int(consts[_C_ANTENNA_UP]),
        consts[_C_INV_C],
        station,
        best,
        link,
        station_link,
        up,
        light_time,
        elevation,
        reported_up,
        reported_station,
    )

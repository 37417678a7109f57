"""Predictions: when an asset will be heard, station by station, over the coming hours.

:func:`contact_plan` finds every pass of an asset over every station between two times: the
intervals in which the station can close the link by geometry (the asset above the
station's mask, the line clear of the Moon, and for a lunar surface site the station above
the site's own mask; :mod:`houston.comms.visibility`). It samples a switching function
``g`` for all stations on a grid (``step_s`` apart, every station at once), takes every sign
change as a bracket and refines all brackets together by bisection to ``tol_s``; each pass
gets its highest elevation by a golden-section search around the best grid sample.
:func:`windows` merges the passes into the asset's own contact windows (its AOS and LOS:
the link is up while any station has it), and :func:`countdown` gives the time to the next
AOS or LOS, for the console.

``g`` is the least of the margins (radians): the asset's elevation above the station's
mask, the station's elevation above a surface site's mask, and the Moon's clearance of the
line divided by the asset's distance from the Moon (an angle, so that all terms are
comparable). It is continuous, and positive exactly when the station can close the link.

As with any sampled search, two crossings closer together than ``step_s`` can be missed
(a pass shorter than the step, or a brief occultation): choose the step below the shortest
event of interest (30 s is well below a low-Earth-orbit pass of several minutes).

Trajectories are callables ``position(t_s) -> (n, 3)`` of times in seconds from the epoch
(kernel time), GCRF metres from the Earth's centre, or from the Moon's with
``central_body="moon"``; :func:`two_body_trajectory` makes one from a state vector
(:func:`houston.dynamics.kepler.propagate`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from houston.comms.visibility import environment, link_geometry, site_gcrf, stations_gcrf
from houston.core.constants import R_MOON_M

if TYPE_CHECKING:
    from houston.comms.lunar import SurfaceSite
    from houston.comms.networks import StationSet
    from houston.core.time import Epoch

__all__ = [
    "Pass",
    "Window",
    "contact_plan",
    "countdown",
    "link_margins",
    "two_body_trajectory",
    "windows",
]

Array = NDArray[np.float64]
#: Positions (m, GCRF axes) at times in seconds from the epoch: ``(n,) -> (n, 3)``.
Trajectory = Callable[[Array], Array]

_GOLDEN = 0.5 * (np.sqrt(5.0) - 1.0)


@dataclass(frozen=True)
class Pass:
    """One contact of an asset with one station.

    ``aos_s`` and ``los_s``: acquisition and loss (s from the epoch); ``open_start`` /
    ``open_end`` when the pass was already under way at the start of the search or still
    under way at its end (the time is then the search's bound, not an AOS or LOS).
    ``max_elevation_rad`` at ``t_max_s``: the asset's highest elevation at the station.
    """

    station: str
    aos_s: float
    los_s: float
    max_elevation_rad: float
    t_max_s: float
    open_start: bool = False
    open_end: bool = False

    @property
    def duration_s(self) -> float:
        return self.los_s - self.aos_s


@dataclass(frozen=True)
class Window:
    """An interval in which at least one station hears the asset: the asset's AOS and LOS,
    and the stations that have it during the window (in order of acquisition)."""

    aos_s: float
    los_s: float
    stations: tuple[str, ...]
    open_start: bool = False
    open_end: bool = False


def two_body_trajectory(
    r0_m: ArrayLike, v0_m_s: ArrayLike, mu_m3_s2: float, t0_s: float = 0.0
) -> Trajectory:
    """A Keplerian trajectory through state ``(r0_m, v0_m_s)`` at ``t0_s`` (s from the
    epoch), positions from the central body in the state's inertial axes."""
    from houston.dynamics.kepler import propagate

    r0 = np.asarray(r0_m, dtype=float)
    v0 = np.asarray(v0_m_s, dtype=float)

    def position(t_s: Array) -> Array:
        r, _ = propagate(r0, v0, np.asarray(t_s, dtype=float) - t0_s, mu_m3_s2)
        return np.asarray(r)

    return position


def link_margins(
    epoch: Epoch,
    t_s: ArrayLike,
    stations: StationSet,
    position: Trajectory | None = None,
    *,
    central_body: str = "earth",
    site: SurfaceSite | None = None,
    site_mask_rad: float = 0.0,
    occulting_radius_m: float = R_MOON_M,
) -> tuple[Array, Array]:
    """The switching function ``g`` (rad, module docstring) and the elevation (rad) of the
    asset at every station, ``(n_times, n_stations)``, at times ``t_s`` (s from the epoch).

    Give ``position`` for a spacecraft (GCRF from the Earth's centre, or from the Moon's
    with ``central_body="moon"``), or ``site`` for a lunar surface site with its antenna's
    ``site_mask_rad``.
    """
    t = np.atleast_1d(np.asarray(t_s, dtype=float))
    env = environment(epoch, np.rint(t * 1e9).astype(np.int64))
    st_r, st_up = stations_gcrf(env, stations)
    if site is not None:
        r, up = site_gcrf(env, site.r_fixed_m, site.up_fixed)
        g = link_geometry(r, st_r, st_up, env.r_moon_gcrf_m, up_site=up)
    elif position is not None:
        r = np.asarray(position(t), dtype=float).reshape(t.size, 3)
        if central_body == "moon":
            r = r + env.r_moon_gcrf_m
        elif central_body != "earth":
            raise ValueError(f"central_body must be 'earth' or 'moon', got {central_body!r}")
        g = link_geometry(r, st_r, st_up, env.r_moon_gcrf_m, occulting_radius_m)
    else:
        raise ValueError("give a trajectory (position) or a lunar surface site")
    d_moon = np.linalg.norm(r - env.r_moon_gcrf_m, axis=-1)
    margin = g.margin_rad(stations.min_elevation_rad, site_mask_rad, d_moon)
    return margin, g.elevation_rad


def contact_plan(
    epoch: Epoch,
    t0_s: float,
    t1_s: float,
    stations: StationSet,
    position: Trajectory | None = None,
    *,
    central_body: str = "earth",
    site: SurfaceSite | None = None,
    site_mask_rad: float = 0.0,
    occulting_radius_m: float = R_MOON_M,
    step_s: float = 30.0,
    tol_s: float = 1.0e-3,
) -> list[Pass]:
    """Every pass of the asset over every station between ``t0_s`` and ``t1_s`` (s from
    the epoch), sorted by AOS then station (module docstring for the method; arguments as
    in :func:`link_margins`)."""
    if not t1_s > t0_s:
        raise ValueError("t1_s must be after t0_s")
    if not (step_s > 0 and tol_s > 0):
        raise ValueError("step_s and tol_s must be positive")

    def margins(t: Array) -> tuple[Array, Array]:
        return link_margins(
            epoch,
            t,
            stations,
            position,
            central_body=central_body,
            site=site,
            site_mask_rad=site_mask_rad,
            occulting_radius_m=occulting_radius_m,
        )

    n = max(2, int(np.ceil((t1_s - t0_s) / step_s)) + 1)
    grid = np.linspace(t0_s, t1_s, n)
    g, el = margins(grid)
    vis = g >= 0.0
    k_rise, s_rise = np.nonzero(~vis[:-1] & vis[1:])
    k_set, s_set = np.nonzero(vis[:-1] & ~vis[1:])
    t_rise = _bisect(margins, grid[k_rise], grid[k_rise + 1], s_rise, True, tol_s)
    t_set = _bisect(margins, grid[k_set], grid[k_set + 1], s_set, False, tol_s)

    passes: list[tuple[int, float, float, bool, bool]] = []
    for s in range(len(stations)):
        rises = list(t_rise[s_rise == s])
        sets = list(t_set[s_set == s])
        open_start = bool(vis[0, s])
        if open_start:
            rises.insert(0, t0_s)
        open_end = bool(vis[-1, s])
        if open_end:
            sets.append(t1_s)
        for i, (a, b) in enumerate(zip(rises, sets, strict=True)):
            passes.append((s, a, b, open_start and i == 0, open_end and i == len(sets) - 1))
    if not passes:
        return []
    t_max, el_max = _peak(margins, grid, el, passes, tol_s)
    out = [
        Pass(stations.names[s], float(a), float(b), float(e), float(tm), os_, oe)
        for (s, a, b, os_, oe), tm, e in zip(passes, t_max, el_max, strict=True)
    ]
    out.sort(key=lambda p: (p.aos_s, p.station))
    return out


def _bisect(
    margins: Callable[[Array], tuple[Array, Array]],
    a: Array,
    b: Array,
    col: NDArray[np.int64],
    rising: bool,
    tol_s: float,
) -> Array:
    """The crossing in each bracket ``[a, b]`` of station ``col``, to ``tol_s``: the first
    time at which the station has the asset (rising) or the first at which it has lost it."""
    a, b = a.copy(), b.copy()
    if a.size == 0:
        return a
    rows = np.arange(a.size)
    while np.max(b - a) > tol_s:
        mid = 0.5 * (a + b)
        g, _ = margins(mid)
        visible = g[rows, col] >= 0.0
        after = visible if rising else ~visible
        b = np.where(after, mid, b)
        a = np.where(after, a, mid)
    return b


def _peak(
    margins: Callable[[Array], tuple[Array, Array]],
    grid: Array,
    el: Array,
    passes: Sequence[tuple[int, float, float, bool, bool]],
    tol_s: float,
) -> tuple[Array, Array]:
    """Time and value of the highest elevation of each pass: golden-section search around
    its best grid sample, within the pass."""
    lo, hi, col = [], [], []
    for s, a, b, _, _ in passes:
        inside = np.nonzero((grid >= a) & (grid <= b))[0]
        if inside.size:
            k = inside[np.argmax(el[inside, s])]
            lo.append(max(a, grid[max(k - 1, 0)]))
            hi.append(min(b, grid[min(k + 1, grid.size - 1)]))
        else:
            lo.append(a)
            hi.append(b)
        col.append(s)
    x0, x1 = np.array(lo), np.array(hi)
    cols = np.array(col)
    rows = np.arange(cols.size)

    def f(t: Array) -> Array:
        return margins(t)[1][rows, cols]

    c = x1 - _GOLDEN * (x1 - x0)
    d = x0 + _GOLDEN * (x1 - x0)
    fc, fd = f(c), f(d)
    while np.max(x1 - x0) > tol_s:
        left = fc > fd  # the maximum lies in [x0, d]
        x1 = np.where(left, d, x1)
        x0 = np.where(left, x0, c)
        c_new = x1 - _GOLDEN * (x1 - x0)
        d_new = x0 + _GOLDEN * (x1 - x0)
        c, d = c_new, d_new
        fc, fd = f(c), f(d)
    t_max = 0.5 * (x0 + x1)
    # The ends of the pass may be higher than the interior (a pass cut by the search's
    # bounds, or an occultation ending the pass while the asset is still climbing).
    cand_t = np.stack([t_max, np.array([p[1] for p in passes]), np.array([p[2] for p in passes])])
    cand_el = np.stack([f(cand_t[0]), f(cand_t[1]), f(cand_t[2])])
    best = np.argmax(cand_el, axis=0)
    return cand_t[best, rows], cand_el[best, rows]


def windows(passes: Sequence[Pass]) -> list[Window]:
    """The asset's contact windows: the union of its passes over all stations."""
    out: list[Window] = []
    for p in sorted(passes, key=lambda q: (q.aos_s, q.los_s)):
        if out and p.aos_s <= out[-1].los_s:
            w = out[-1]
            names = w.stations if p.station in w.stations else (*w.stations, p.station)
            later = p.los_s > w.los_s
            out[-1] = Window(
                w.aos_s,
                max(w.los_s, p.los_s),
                names,
                w.open_start,
                p.open_end if later else w.open_end,
            )
        else:
            out.append(Window(p.aos_s, p.los_s, (p.station,), p.open_start, p.open_end))
    return out


def countdown(wins: Sequence[Window], t_s: float) -> tuple[float | None, float | None]:
    """Seconds from ``t_s`` to the next AOS and to the next LOS of the asset (``None`` when
    there is none in the predicted windows). In a window, the next AOS is that of the next
    window."""
    aos = next((w.aos_s - t_s for w in wins if w.aos_s > t_s and not w.open_start), None)
    los = next((w.los_s - t_s for w in wins if w.los_s > t_s and not w.open_end), None)
    return aos, los

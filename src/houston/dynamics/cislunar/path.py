"""A vehicle's cislunar trajectory as a sequence of legs, and what a scenario asks of it.

A :class:`Leg` is one propagated arc (the dense output of
:class:`houston.dynamics.cowell.Propagator`, one row) with the frame it was integrated in:
``"GCRF"`` (Earth-centred, ICRF axes) or ``"MCI"`` (Moon-centred, ICRF axes). Impulsive burns
separate legs. A :class:`CislunarPath` strings legs end to end in time; at a boundary the
later leg (after the burn) is the one used.

* :func:`state_at`: position (m) and velocity (m/s) at any times, in either frame (the change
  of origin uses the DE421 Moon, :class:`houston.dynamics.cislunar.bodies.Bodies`).
* :func:`sphere_crossings`: the times a trajectory crosses a sphere around the Moon or the
  Earth (a "blockade line"), found as events on the dense output
  (:func:`houston.dynamics.events.find_events`: sampled sign changes refined by Illinois
  iterations on the 7th-order interpolant).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from houston.dynamics import events as ev
from houston.dynamics.cislunar.bodies import Bodies

if TYPE_CHECKING:
    from houston.core.time import Epoch
    from houston.dynamics.cowell import Trajectory

__all__ = ["FRAMES", "CislunarPath", "Crossing", "Leg", "sphere_crossings", "state_at"]

Array = NDArray[np.float64]

#: Frames a leg may be integrated in and a state may be asked in.
FRAMES = ("GCRF", "MCI")


def _check_frame(frame: str) -> str:
    if frame not in FRAMES:
        raise ValueError(f"frame must be one of {FRAMES}, got {frame!r}")
    return frame


@dataclass(frozen=True, eq=False)
class Leg:
    """One propagated arc: ``name`` (``"translunar coast"``, ``"low lunar orbit"``...),
    ``frame`` (``"GCRF"`` or ``"MCI"``) and the batch-of-one ``trajectory``."""

    name: str
    frame: str
    trajectory: Trajectory

    def __post_init__(self) -> None:
        _check_frame(self.frame)
        if self.trajectory.batch != 1:
            raise ValueError("a leg holds one vehicle (a trajectory of batch 1)")
        if self.trajectory.t_end_s < self.trajectory.t_start_s:
            raise ValueError("a leg runs forward in time")

    @property
    def t_start_s(self) -> float:
        return float(self.trajectory.t_start_s)

    @property
    def t_end_s(self) -> float:
        return float(self.trajectory.t_end_s)

    def at(self, t_s: ArrayLike) -> tuple[Array, Array]:
        """Position (m) and velocity (m/s) in the leg's own frame, ``t.shape + (3,)`` each."""
        r, v = self.trajectory.at(t_s)
        return r[..., 0, :], v[..., 0, :]


@dataclass(frozen=True, eq=False)
class CislunarPath:
    """Legs end to end in time, for one vehicle, with the scenario ``epoch`` of their times."""

    epoch: Epoch
    legs: tuple[Leg, ...]

    def __post_init__(self) -> None:
        if not self.legs:
            raise ValueError("a path needs at least one leg")
        for a, b in zip(self.legs[:-1], self.legs[1:], strict=True):
            if abs(a.t_end_s - b.t_start_s) > 1e-6 * max(1.0, abs(b.t_start_s)):
                raise ValueError(
                    f"leg {b.name!r} starts at {b.t_start_s} s, not where {a.name!r} ends "
                    f"({a.t_end_s} s)"
                )

    @property
    def t_start_s(self) -> float:
        return self.legs[0].t_start_s

    @property
    def t_end_s(self) -> float:
        return self.legs[-1].t_end_s

    @property
    def bodies(self) -> Bodies:
        return Bodies(self.epoch)

    def then(self, *others: CislunarPath) -> CislunarPath:
        """This path followed by ``others`` (same epoch), as one path."""
        legs = list(self.legs)
        for o in others:
            if o.epoch != self.epoch:
                raise ValueError("paths with different epochs cannot be joined")
            legs.extend(o.legs)
        return CislunarPath(self.epoch, tuple(legs))

    def until(self, t_s: float) -> CislunarPath:
        """The legs that start before ``t_s``, the last one cut at ``t_s``."""
        t = float(t_s)
        keep = [leg for leg in self.legs if leg.t_start_s < t] or [self.legs[0]]
        last = keep[-1]
        if t < last.t_end_s:
            tr = last.trajectory
            cut = _cut(tr, t)
            keep[-1] = Leg(last.name, last.frame, cut)
        return CislunarPath(self.epoch, tuple(keep))

    def leg_index(self, t_s: ArrayLike) -> NDArray[np.int64]:
        """Index of the leg used at each time (the later one at a boundary)."""
        t = np.asarray(t_s, dtype=float)
        lo, hi = self.t_start_s, self.t_end_s
        tol = 1e-9 * max(1.0, abs(lo), abs(hi))
        if np.any((t < lo - tol) | (t > hi + tol)):
            raise ValueError(f"times outside the path [{lo}, {hi}] s")
        starts = np.array([leg.t_start_s for leg in self.legs])
        return np.clip(np.searchsorted(starts, t, side="right") - 1, 0, len(self.legs) - 1)

    def at(self, t_s: ArrayLike, frame: str = "MCI") -> tuple[Array, Array]:
        """Position (m) and velocity (m/s) at times ``t_s`` in ``frame``, ``t.shape + (3,)``."""
        _check_frame(frame)
        t = np.asarray(t_s, dtype=float)
        flat = t.reshape(-1)
        idx = self.leg_index(flat)
        r = np.empty((flat.size, 3))
        v = np.empty((flat.size, 3))
        for i, leg in enumerate(self.legs):
            sel = idx == i
            if not np.any(sel):
                continue
            ri, vi = leg.at(flat[sel])
            if leg.frame != frame:
                b = self.bodies
                conv = b.gcrf_to_mci if leg.frame == "GCRF" else b.mci_to_gcrf
                ri, vi = conv(flat[sel], ri, vi)
            r[sel], v[sel] = ri, vi
        return r.reshape((*t.shape, 3)), v.reshape((*t.shape, 3))


def _cut(tr: Trajectory, t_end: float) -> Trajectory:
    from houston.dynamics.cowell import Trajectory

    keep = tr.seg_t0_s < t_end
    keep[0] = True
    return Trajectory(
        tr.seg_t0_s[keep], tr.seg_h_s[keep], tr.seg_coef[keep], tr.t_start_s, float(t_end)
    )


def _as_path(obj: Any) -> CislunarPath:
    if isinstance(obj, CislunarPath):
        return obj
    path = getattr(obj, "path", None)
    if isinstance(path, CislunarPath):
        return path
    raise TypeError(f"expected a CislunarPath or a result with a .path, got {type(obj).__name__}")


def state_at(trajectory: Any, t_s: ArrayLike, frame: str = "MCI") -> tuple[Array, Array]:
    """Position (m) and velocity (m/s) of a path (or of any result with a ``path``) at times
    ``t_s`` (s from the epoch, any shape), in ``"MCI"`` or ``"GCRF"``: ``t.shape + (3,)``."""
    return _as_path(trajectory).at(t_s, frame)


@dataclass(frozen=True)
class Crossing:
    """A crossing of a sphere: time (s), ``entering`` (True when the distance to the centre
    falls through the radius), and the position relative to the centre there (m)."""

    t_s: float
    entering: bool
    r_rel_m: Array


def sphere_crossings(
    trajectory: Any,
    radius_m: float,
    centre: str = "Moon",
    t_from_s: float | None = None,
    t_to_s: float | None = None,
    max_check_s: float = 600.0,
    tol_s: float = 1e-3,
) -> list[Crossing]:
    """Times the path crosses the sphere of ``radius_m`` around ``centre`` (``"Moon"`` or
    ``"Earth"``), in time order, between ``t_from_s`` and ``t_to_s`` (default: the whole path).

    ``g = |r - r_centre(t)| - radius_m`` on each leg's dense output, sampled at least every
    ``max_check_s`` and refined to ``tol_s``; entering is a decreasing crossing.
    """
    if centre not in ("Moon", "Earth"):
        raise ValueError(f"centre must be 'Moon' or 'Earth', got {centre!r}")
    path = _as_path(trajectory)
    bodies = path.bodies
    radius = float(radius_m)
    out: list[Crossing] = []
    for leg in path.legs:
        offset = None
        if leg.frame == "GCRF" and centre == "Moon":
            offset = bodies.moon_gcrf
        elif leg.frame == "MCI" and centre == "Earth":
            offset = bodies.earth_mci

        def g(t: Array, r: Array, v: Array, rows: Any, _off: Any = offset) -> Array:
            rel = r if _off is None else r - _off(t)
            return np.linalg.norm(rel, axis=-1) - radius

        det = ev.Detector(g, 0, "sphere", max_check_s=max_check_s, tol_s=tol_s)
        a = leg.t_start_s if t_from_s is None else max(leg.t_start_s, float(t_from_s))
        b = leg.t_end_s if t_to_s is None else min(leg.t_end_s, float(t_to_s))
        if b <= a:
            continue
        for e in ev.find_events(leg.trajectory, [det], a, b):
            rel = e.r_m if offset is None else e.r_m - offset(np.array([e.t_s]))[0]
            out.append(Crossing(e.t_s, not e.increasing, rel))
    out.sort(key=lambda c: c.t_s)
    return out

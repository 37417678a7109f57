"""Translunar injection: a patched-conic first guess, refined on the Earth–Moon–Sun model.

First guess (:func:`patched_conic_tli`), the patched conic of Bate, Mueller & White,
*Fundamentals of Astrodynamics* (1971), ch. 7, turned into a targeting problem:

1. The arrival is fixed: perilune at ``t_tli_s + tof_s``, at a given altitude and inclination
   to the Moon's equator. The Moon-centred approach hyperbola is fixed by its incoming
   asymptote ``s_hat``, excess speed ``v_inf`` and impact vector ``B``
   (:mod:`houston.dynamics.cislunar.conics`); ``B`` follows from the targets, and the
   hyperbola's inbound crossing of the sphere of influence (Laplace's, about 66,200 km)
   gives the patch point and the time there.
2. The geocentric leg is a two-body Lambert arc (Izzo 2015, :mod:`houston.dynamics.lambert`)
   from the parking orbit to the patch point (the Moon's DE421 position plus the patch
   offset) at the patch time. The parking orbit is circular with the given radius and
   inclination to the GCRF equator; its plane is the one that contains the patch point
   (two such planes: ``arrive_ascending`` picks the one in which the vehicle crosses the
   patch point moving north), and the injection point is where the Lambert arc leaves
   horizontally, so that the burn is along-track only (a one-dimensional root of the
   radial velocity, bracketed on a grid of transfer angles and refined by Brent's method).
3. The Moon-relative velocity at the patch gives a new asymptote and excess speed (from the
   osculating energy and eccentricity vector); steps 1–2 repeat, each update relaxed by
   0.7 (the plain fixed point oscillates), until the patch point moves by less than
   ``tol_m`` (half a metre; about a dozen iterations).

Refinement (:func:`refine_tli`): a shooting method. The unknowns are the parking orbit's
node, the point of injection along it and the (horizontal, in-plane) TLI velocity change;
out-of-plane burn components would do the same work badly, since the injection point lies
almost opposite the Moon and a rotation of the transfer plane about it barely moves the
arrival (the patched-conic first guess misses the target inclination by tens of degrees on
the full model, which would take several hundred m/s out of plane). Each Newton iteration
is one batch of four Cowell propagations (:class:`houston.dynamics.cowell.Propagator`,
DOP853) on the full model (the Earth's point mass and J2, the Moon and the Sun from DE421)
for the nominal and a forward-difference Jacobian. The targets are the B-plane components ``B.T`` and ``B.R`` of the osculating
Moon-centred hyperbola at the actual perilune, against those that give the target perilune
altitude and inclination for that hyperbola's own asymptote, and the perilune time: at
convergence the perilune altitude and inclination are the targets (at perilune the
osculating periapsis is the actual one). Targeting the B-plane instead of the altitude and
inclination themselves keeps the problem nearly linear even from a first guess that misses
by thousands of kilometres (Kizner 1961; the usual practice of lunar and interplanetary
targeting).

Times are seconds from the scenario epoch; SI units; GCRF and MCI both on ICRF axes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import brentq

from houston.core.constants import MU_EARTH_M3_S2, MU_MOON_M3_S2, R_MOON_M
from houston.dynamics import events as ev
from houston.dynamics import lambert
from houston.dynamics.cislunar.bodies import SOI_MOON_M, Bodies
from houston.dynamics.cislunar.conics import (
    Approach,
    approach_from_state,
    b_target,
    incoming_state,
)
from houston.dynamics.cislunar.path import CislunarPath, Leg
from houston.dynamics.cowell import Propagator, Trajectory
from houston.dynamics.relative import lvlh_basis

if TYPE_CHECKING:
    from houston.core.time import Epoch

__all__ = [
    "ArrivalTarget",
    "Miss",
    "Perilune",
    "TliPlan",
    "Translunar",
    "parking_path",
    "patched_conic_tli",
    "perilune_of",
    "refine_tli",
]

Array = NDArray[np.float64]

#: Relaxation of the patch-point iteration: the plain fixed point oscillates with a ratio
#: near -0.45 per step; taking 0.7 of each update damps that to a few per cent.
_RELAX = 0.7


def _unit(x: Array) -> Array:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


@dataclass(frozen=True)
class ArrivalTarget:
    """What the injection aims for: perilune time (s), altitude above the ``R_MOON_M``
    sphere (m), inclination to the Moon's equator (rad, 0 to pi; above pi/2 retrograde),
    and the side of the Moon the approach asymptote passes (``south``)."""

    t_perilune_s: float
    perilune_altitude_m: float
    inclination_rad: float
    south: bool = True

    @property
    def r_perilune_m(self) -> float:
        return R_MOON_M + self.perilune_altitude_m


@dataclass(frozen=True, eq=False)
class TliPlan:
    """A patched-conic translunar injection (:func:`patched_conic_tli`).

    The burn at ``t_tli_s`` at ``r_gcrf_m`` changes the parking-orbit velocity
    ``v_parking_gcrf_m_s`` by ``dv_gcrf_m_s`` (``dv_lvlh_m_s`` in the parking orbit's LVLH
    axes: x radial, y along-track, z normal). ``approach`` is the predicted Moon-centred
    hyperbola, entered at ``t_soi_s`` at ``r_soi_mci_m``; ``r_perilune_mci_m`` and
    ``v_perilune_mci_m_s`` its perilune state at ``target.t_perilune_s``;
    ``loi_dv_circular_m_s`` the patched-conic cost of a capture into a circular orbit at
    the perilune altitude; ``iterations`` the patch iterations taken.
    """

    epoch: Epoch
    t_tli_s: float
    r_gcrf_m: Array
    v_parking_gcrf_m_s: Array
    dv_gcrf_m_s: Array
    dv_lvlh_m_s: Array
    parking_radius_m: float
    parking_inclination_rad: float
    target: ArrivalTarget
    approach: Approach
    t_soi_s: float
    r_soi_mci_m: Array
    v_soi_mci_m_s: Array
    r_perilune_mci_m: Array
    v_perilune_mci_m_s: Array
    loi_dv_circular_m_s: float
    iterations: int

    @property
    def dv_m_s(self) -> float:
        """TLI velocity change (m/s)."""
        return float(np.linalg.norm(self.dv_gcrf_m_s))

    @property
    def v_tli_gcrf_m_s(self) -> Array:
        """Velocity just after the burn (m/s)."""
        return self.v_parking_gcrf_m_s + self.dv_gcrf_m_s


def _parking_plane(aim: Array, inclination: float, ascending: bool) -> Array:
    """Unit normal of the plane through the origin and ``aim`` with the given inclination to
    the GCRF equator; ``ascending``: the motion at ``aim`` has a northward component."""
    r_hat = _unit(aim)
    z = np.array([0.0, 0.0, 1.0])
    east = np.cross(z, r_hat)
    cos_dec = float(np.linalg.norm(east))
    east /= cos_dec
    north = np.cross(r_hat, east)
    c = np.cos(inclination) / cos_dec
    if abs(c) > 1.0:
        dec = np.degrees(np.arcsin(r_hat[2]))
        raise ValueError(
            f"a parking orbit inclined {np.degrees(inclination):.2f} deg cannot contain the "
            f"aim point at declination {dec:.2f} deg"
        )
    s = np.sqrt(1.0 - c * c)
    # velocity direction at aim: c east - sin(phi) north; ascending needs sin(phi) < 0
    sin_phi = -s if ascending else s
    return c * north + sin_phi * east


def _tangential_departure(
    aim: Array,
    tof: float,
    r_park: float,
    inclination: float,
    ascending: bool,
    u_hint: float | None = None,
) -> tuple[Array, Array, Array, Array, float]:
    """Injection point on the circular parking orbit (in the plane through ``aim``) from
    which the Lambert arc to ``aim`` in ``tof`` leaves horizontally. Returns the injection
    point, the parking velocity there, the arc's velocities at both ends, and the angle
    ``u`` (rad) of the injection point past the anti-aim direction (the transfer angle is
    ``pi - u``). ``u_hint`` narrows the search to a few degrees around a previous root."""
    n_hat = _parking_plane(aim, inclination, ascending)
    x = _unit(aim)
    y = np.cross(n_hat, x)
    prograde = bool(n_hat[2] >= 0.0)

    def point(u: Array) -> Array:
        th = np.pi + np.asarray(u, dtype=float)
        return r_park * (np.cos(th)[..., None] * x + np.sin(th)[..., None] * y)

    def radial(u: Array) -> Array:
        r1 = point(u)
        v1, _ = lambert.solve(r1, aim, tof, MU_EARTH_M3_S2, prograde=prograde)
        return np.einsum("...i,...i->...", v1, r1) / r_park

    grid = np.radians(np.linspace(0.5, 120.0, 240))
    if u_hint is not None:
        near = np.clip(u_hint + np.radians(np.linspace(-2.0, 2.0, 9)), grid[0], grid[-1])
        f = radial(near)
        if np.any(np.sign(f[:-1]) != np.sign(f[1:])):
            grid = near
        else:
            f = radial(grid)
    else:
        f = radial(grid)
    change = np.flatnonzero(np.sign(f[:-1]) != np.sign(f[1:]))
    if change.size == 0:
        raise ValueError(
            f"no horizontal departure reaches the aim point in {tof:.0f} s from a "
            f"{r_park:.0f} m parking orbit"
        )
    k = int(change[0])
    u = brentq(lambda q: float(radial(np.array(q))), grid[k], grid[k + 1], xtol=1e-14)
    r1 = point(np.array(u))
    v1, v2 = lambert.solve(r1, aim, tof, MU_EARTH_M3_S2, prograde=prograde)
    v_park = np.sqrt(MU_EARTH_M3_S2 / r_park) * np.cross(n_hat, _unit(r1))
    return r1, v_park, v1, v2, float(u)


@dataclass(frozen=True)
class _Patch:
    """A converged patched conic: the geocentric arc from ``r1_m`` (parking velocity
    ``v_park_m_s``, departure ``v1_m_s``) to the patch point ``rho_m`` (Moon-centred) at
    ``t_soi_s``, the Moon-relative velocity there, its osculating approach and the designed
    impact vector."""

    r1_m: Array
    v_park_m_s: Array
    v1_m_s: Array
    t_soi_s: float
    rho_m: Array
    v_rel_m_s: Array
    approach: Approach
    b_m: Array
    iterations: int


def _patch(
    bodies: Bodies,
    t_tli: float,
    t_arr: float,
    r_parking_m: float,
    inclination_rad: float,
    arrive_ascending: bool,
    design: Callable[[Array, float], tuple[Array, float]],
    pole: Array,
    soi_radius_m: float,
    tol_m: float,
    max_iter: int,
) -> _Patch:
    """Iterate the patch point (module docstring, steps 1-3). ``design(s_hat, v_inf)`` gives
    the impact vector to aim for and the time (s) from the arrival event at ``t_arr`` to
    periapsis."""
    rho = np.zeros(3)
    t_e = t_arr
    u: float | None = None
    for it in range(1, max_iter + 1):
        rm, vm = bodies.moon_state_gcrf(t_e)
        _, _, _, v2, u = _tangential_departure(
            rm + rho, t_e - t_tli, r_parking_m, inclination_rad, arrive_ascending, u
        )
        v_rel = v2 - vm
        if it == 1:
            s_hat, v_inf = _unit(v_rel), float(np.linalg.norm(v_rel))
        else:
            osc = approach_from_state(rho, v_rel, MU_MOON_M3_S2, pole)
            s_hat, v_inf = osc.s_hat, osc.v_inf_m_s
        b_vec, dt_to_peri = design(s_hat, v_inf)
        rho_new, _, dt_soi = incoming_state(s_hat, b_vec, v_inf, MU_MOON_M3_S2, soi_radius_m)
        moved = float(np.linalg.norm(rho_new - rho))
        w = 1.0 if it == 1 else _RELAX
        t_e_new = t_arr + dt_to_peri - dt_soi
        rho, t_e = rho + w * (rho_new - rho), t_e + w * (t_e_new - t_e)
        if it > 1 and moved < tol_m:
            break
    else:
        raise RuntimeError(f"the patched conic did not converge in {max_iter} iterations")
    rm, vm = bodies.moon_state_gcrf(t_e)
    r1, v_park, v1, v2, u = _tangential_departure(
        rm + rho, t_e - t_tli, r_parking_m, inclination_rad, arrive_ascending, u
    )
    v_rel = v2 - vm
    approach = approach_from_state(rho, v_rel, MU_MOON_M3_S2, pole)
    b_vec, _ = design(approach.s_hat, approach.v_inf_m_s)
    return _Patch(r1, v_park, v1, t_e, rho, v_rel, approach, b_vec, it)


def patched_conic_tli(
    epoch: Epoch,
    t_tli_s: float,
    r_parking_m: float,
    inclination_rad: float,
    target_perilune_altitude_m: float,
    tof_s: float,
    lunar_inclination_rad: float = 0.5 * np.pi,
    south: bool = True,
    arrive_ascending: bool = True,
    soi_radius_m: float = SOI_MOON_M,
    tol_m: float = 0.5,
    max_iter: int = 100,
) -> TliPlan:
    """Patched-conic translunar injection from a circular parking orbit (module docstring).

    Parameters
    ----------
    epoch, t_tli_s
        Scenario epoch and the time of the burn (s from the epoch).
    r_parking_m, inclination_rad
        Radius of the circular parking orbit (m) and its inclination to the GCRF equator
        (rad); its node follows from the geometry.
    target_perilune_altitude_m, tof_s
        Perilune altitude above the ``R_MOON_M`` sphere (m), and the time from the burn to
        perilune (s).
    lunar_inclination_rad, south
        Inclination of the arrival to the Moon's equator (IAU 2009 pole at arrival; 0 to pi)
        and the side the asymptote passes (``south`` positive ``B.R``).
    arrive_ascending
        Which of the two parking planes through the patch point (module docstring).

    Raises ``ValueError`` when the geometry cannot be met (an inclination below the target's
    declination, or no horizontal departure).
    """
    bodies = Bodies(epoch)
    t_tli = float(t_tli_s)
    t_arr = t_tli + float(tof_s)
    target = ArrivalTarget(
        t_arr, float(target_perilune_altitude_m), float(lunar_inclination_rad), bool(south)
    )
    r_p = target.r_perilune_m
    pole = bodies.moon_pole(t_arr)

    def design(s_hat: Array, v_inf: float) -> tuple[Array, float]:
        b = b_target(s_hat, v_inf, r_p, target.inclination_rad, pole, MU_MOON_M3_S2, south)
        return b, 0.0

    patch = _patch(
        bodies,
        t_tli,
        t_arr,
        r_parking_m,
        inclination_rad,
        arrive_ascending,
        design,
        pole,
        soi_radius_m,
        tol_m,
        max_iter,
    )
    approach, b_vec = patch.approach, patch.b_m
    r1, v_park, v1 = patch.r1_m, patch.v_park_m_s, patch.v1_m_s
    t_e, rho, v_rel, it = patch.t_soi_s, patch.rho_m, patch.v_rel_m_s, patch.iterations
    ecc = 1.0 + r_p * approach.v_inf_m_s**2 / MU_MOON_M3_S2
    p_hat = approach.s_hat / ecc + np.sqrt(1.0 - 1.0 / ecc**2) * _unit(b_vec)
    h_hat = np.cross(_unit(b_vec), approach.s_hat)
    v_p = np.sqrt(approach.v_inf_m_s**2 + 2.0 * MU_MOON_M3_S2 / r_p)
    dv = v1 - v_park
    return TliPlan(
        epoch=epoch,
        t_tli_s=t_tli,
        r_gcrf_m=r1,
        v_parking_gcrf_m_s=v_park,
        dv_gcrf_m_s=dv,
        dv_lvlh_m_s=lvlh_basis(r1, v_park) @ dv,
        parking_radius_m=float(r_parking_m),
        parking_inclination_rad=float(inclination_rad),
        target=target,
        approach=approach,
        t_soi_s=t_e,
        r_soi_mci_m=rho,
        v_soi_mci_m_s=v_rel,
        r_perilune_mci_m=r_p * p_hat,
        v_perilune_mci_m_s=v_p * np.cross(h_hat, p_hat),
        loi_dv_circular_m_s=float(v_p - np.sqrt(MU_MOON_M3_S2 / r_p)),
        iterations=it,
    )


# --- refinement on the full model -----------------------------------------------------------


@dataclass(frozen=True)
class Perilune:
    """The closest approach to the Moon of a propagated arc: time (s), Moon-centred state
    (m, m/s), altitude above the ``R_MOON_M`` sphere (m), inclination to the Moon's equator
    (rad) and the osculating approach hyperbola there."""

    t_s: float
    r_mci_m: Array
    v_mci_m_s: Array
    altitude_m: float
    inclination_rad: float
    approach: Approach


@dataclass(frozen=True)
class Miss:
    """Achieved minus targeted perilune altitude (m), inclination (rad) and time (s), and the
    B-plane miss ``|B - B_target|`` (m)."""

    altitude_m: float
    inclination_rad: float
    time_s: float
    b_plane_m: float


@dataclass(frozen=True, eq=False)
class Translunar:
    """A translunar injection refined on the full model (:func:`refine_tli`).

    The parking orbit keeps the plan's radius and inclination, with node
    ``parking_raan_rad``; at ``plan.t_tli_s`` the vehicle is at ``r_tli_gcrf_m`` with the
    parking velocity ``v_parking_gcrf_m_s`` and burns ``dv_gcrf_m_s`` (``dv_lvlh_m_s`` in
    LVLH axes, along-track only); ``perilune``: the arrival
    it gives; ``first_guess`` and ``miss_before``: those of the patched-conic burn on the same
    model; ``miss_after``: after refinement; ``path``: the coast from the burn to perilune
    (GCRF); ``propagations``: rows propagated in all.
    """

    plan: TliPlan
    r_tli_gcrf_m: Array
    v_parking_gcrf_m_s: Array
    dv_gcrf_m_s: Array
    dv_lvlh_m_s: Array
    parking_raan_rad: float
    perilune: Perilune
    first_guess: Perilune
    miss_before: Miss
    miss_after: Miss
    iterations: int
    propagations: int
    path: CislunarPath

    @property
    def dv_m_s(self) -> float:
        return float(np.linalg.norm(self.dv_gcrf_m_s))

    @property
    def epoch(self) -> Epoch:
        return self.plan.epoch

    @property
    def t_tli_s(self) -> float:
        return self.plan.t_tli_s


def _closest_approach_detector(bodies: Bodies) -> ev.Detector:
    def moon(t: Array, rows: NDArray[np.int64]) -> tuple[Array, Array]:
        return bodies.moon_state_gcrf(t)

    return ev.closest_approach(moon, name="perilune", max_check_s=600.0, tol_s=1e-6)


def perilune_of(
    bodies: Bodies, events: list[ev.Event], row: int, t_perilune_s: float
) -> Perilune | None:
    """The perilune of ``row`` among closest-approach events (GCRF states): the lowest one,
    with its Moon-centred state and osculating approach (pole at ``t_perilune_s``)."""
    best = None
    for e in events:
        if e.row != row:
            continue
        r, v = bodies.gcrf_to_mci(e.t_s, e.r_m, e.v_m_s)
        d = float(np.linalg.norm(r))
        if best is None or d < best[0]:
            best = (d, e.t_s, r, v)
    if best is None:
        return None
    d, t, r, v = best
    pole = bodies.moon_pole(t_perilune_s)
    appr = approach_from_state(r, v, MU_MOON_M3_S2, pole)
    return Perilune(t, r, v, d - R_MOON_M, appr.inclination_rad, appr)


def _residual(p: Perilune, target: ArrivalTarget, pole: Array) -> tuple[Array, float]:
    a = p.approach
    b_star = b_target(
        a.s_hat,
        a.v_inf_m_s,
        target.r_perilune_m,
        target.inclination_rad,
        pole,
        MU_MOON_M3_S2,
        target.south,
    )
    t_hat = _unit(np.cross(a.s_hat, pole))
    r_hat = np.cross(a.s_hat, t_hat)
    db = a.b_m - b_star
    f = np.array([db @ t_hat, db @ r_hat, p.t_s - target.t_perilune_s])
    return f, float(np.linalg.norm(db))


def _miss(p: Perilune, target: ArrivalTarget, b_miss: float) -> Miss:
    return Miss(
        p.altitude_m - target.perilune_altitude_m,
        p.inclination_rad - target.inclination_rad,
        p.t_s - target.t_perilune_s,
        b_miss,
    )


def _circular_state(radius_m: float, inc: float, raan: Array, arglat: Array) -> tuple[Array, Array]:
    """State (m, m/s) on a circular Earth orbit from inclination, node and argument of latitude
    (arrays broadcast; result ``(..., 3)``)."""
    raan = np.asarray(raan, dtype=float)
    u = np.asarray(arglat, dtype=float)
    co, so, ci, si = np.cos(raan), np.sin(raan), np.cos(inc), np.sin(inc)
    cu, su = np.cos(u), np.sin(u)
    r_hat = np.stack([co * cu - so * su * ci, so * cu + co * su * ci, su * si + 0.0 * co], -1)
    t_hat = np.stack([-co * su - so * cu * ci, -so * su + co * cu * ci, cu * si + 0.0 * co], -1)
    return radius_m * r_hat, np.sqrt(MU_EARTH_M3_S2 / radius_m) * t_hat


def _node_and_arglat(r: Array, v: Array) -> tuple[float, float]:
    """Right ascension of the ascending node and argument of latitude (rad) of a state."""
    h = np.cross(r, v)
    node = np.cross([0.0, 0.0, 1.0], h)
    raan = float(np.arctan2(node[1], node[0]))
    n_hat = node / np.linalg.norm(node)
    u = float(np.arctan2(np.cross(n_hat, r) @ _unit(h), n_hat @ r))
    return raan, u


def _parking_states(radius: float, inc: float, xs: Array) -> tuple[Array, Array, Array]:
    """Position, parking velocity and velocity after a horizontal burn, for unknowns ``xs``
    ``(..., 3)``: node (rad), argument of latitude (rad), along-track velocity change (m/s)."""
    r, v = _circular_state(radius, inc, xs[..., 0], xs[..., 1])
    return r, v, v + xs[..., 2:3] * _unit(v)


@dataclass(frozen=True)
class _Shot:
    x: Array
    info: Any
    first_info: Any
    iterations: int
    propagations: int


#: Finite-difference steps of the shooting unknowns: node, argument of latitude (rad), Δv.
_SHOOT_STEPS = np.array([1e-7, 1e-7, 1e-3])


def _shoot(
    prop: Propagator,
    t0: float,
    t_end: float,
    radius: float,
    inc: float,
    x0: Array,
    detectors: list[ev.Detector],
    residual: Callable[[Trajectory, int], tuple[Array, Any]],
    done: Callable[[Array, Any], bool],
    max_iter: int,
) -> _Shot:
    """Newton iterations on the parking node, injection point and along-track Δv.

    Each iteration propagates the nominal and three perturbed rows in one batch from ``t0``
    to ``t_end``; ``residual(trajectory, row)`` gives the three residuals and any
    information to keep, ``done(f, info)`` ends the iterations on the nominal row.
    """
    x = np.asarray(x0, dtype=float).copy()
    rows = np.vstack([np.zeros(3), np.diag(_SHOOT_STEPS)])
    first = None
    for it in range(1, max_iter + 1):
        r0, _, v0 = _parking_states(radius, inc, x + rows)
        traj = prop.propagate(t0, r0, v0, t_end, detectors=detectors)
        out = [residual(traj, k) for k in range(4)]
        f0, info0 = out[0]
        if first is None:
            first = info0
        if done(f0, info0):
            return _Shot(x, info0, first, it, 4 * it)
        jac = np.stack([(out[k][0] - f0) / _SHOOT_STEPS[k - 1] for k in (1, 2, 3)], axis=1)
        x = x + np.linalg.solve(jac, -f0)
    raise RuntimeError(f"the shooting did not converge in {max_iter} iterations")


def refine_tli(
    plan: TliPlan,
    j2: bool = True,
    sun: bool = True,
    tol_b_m: float = 1.0,
    tol_t_s: float = 1e-2,
    max_iter: int = 20,
    rtol: float = 1e-12,
) -> Translunar:
    """Refine a patched-conic TLI on the full model so that the perilune has the target
    altitude, inclination and time.

    The unknowns are the parking orbit's node, the argument of latitude of the burn and the
    along-track velocity change (the burn stays horizontal and in the parking plane, and the
    parking orbit keeps its radius and inclination): out-of-plane TLI components move the
    arrival very little for their cost, the injection point lying almost opposite the Moon.
    Newton iterations with a forward-difference Jacobian (steps 1e-7 rad, 1e-7 rad and
    1 mm/s) on the B-plane components and the perilune time (module docstring) until
    ``|B - B_target| < tol_b_m`` and the time is within ``tol_t_s``.

    ``j2``, ``sun``: the Earth's J2 and the Sun in the model (the Moon is always there).
    Raises ``RuntimeError`` if no perilune is found or the iterations do not converge.
    """
    bodies = Bodies(plan.epoch)
    target = plan.target
    prop = Propagator(bodies.earth_model(j2=j2, sun=sun), rtol=rtol)
    det = _closest_approach_detector(bodies)
    pole = bodies.moon_pole(target.t_perilune_s)
    t0 = plan.t_tli_s
    t_end = target.t_perilune_s + max(6.0 * 3600.0, 0.1 * (target.t_perilune_s - t0))
    radius, inc = plan.parking_radius_m, plan.parking_inclination_rad
    raan, u = _node_and_arglat(plan.r_gcrf_m, plan.v_parking_gcrf_m_s)

    def residual(traj: Trajectory, k: int) -> tuple[Array, Any]:
        p = perilune_of(bodies, traj.events, k, target.t_perilune_s)
        if p is None:
            raise RuntimeError(f"no perilune before {t_end:.0f} s")
        f, b_miss = _residual(p, target, pole)
        return f, (p, b_miss)

    def done(f: Array, info: Any) -> bool:
        return bool(info[1] < tol_b_m and abs(f[2]) < tol_t_s)

    shot = _shoot(
        prop,
        t0,
        t_end,
        radius,
        inc,
        np.array([raan, u, plan.dv_m_s]),
        [det],
        residual,
        done,
        max_iter,
    )
    (p0, b_miss), (first, b_first) = shot.info, shot.first_info
    x = shot.x
    it, propagations = shot.iterations, shot.propagations
    miss_before = _miss(first, target, b_first)

    r_tli, v_park, v_tli = _parking_states(radius, inc, x)
    coast = prop.propagate(t0, r_tli, v_tli, p0.t_s)
    propagations += 1
    dv = v_tli - v_park
    return Translunar(
        plan=plan,
        r_tli_gcrf_m=r_tli,
        v_parking_gcrf_m_s=v_park,
        dv_gcrf_m_s=dv,
        dv_lvlh_m_s=lvlh_basis(r_tli, v_park) @ dv,
        parking_raan_rad=float(np.mod(x[0], 2.0 * np.pi)),
        perilune=p0,
        first_guess=first,
        miss_before=miss_before,
        miss_after=_miss(p0, target, b_miss),
        iterations=it,
        propagations=propagations,
        path=CislunarPath(plan.epoch, (Leg("translunar coast", "GCRF", coast),)),
    )


def parking_path(
    transfer: Any, duration_s: float, j2: bool = True, sun: bool = True, rtol: float = 1e-12
) -> CislunarPath:
    """The parking orbit for ``duration_s`` before the TLI burn of ``transfer`` (a
    :class:`Translunar` or a :class:`houston.dynamics.cislunar.direct.DirectArrival`), on the
    Earth model, as a path that ends at the burn (join it with ``.then(transfer.path)``).

    The state at the burn is propagated back over ``duration_s`` and the leg forward again
    from there, so that the leg runs forward in time; it ends within integration error
    (well under a millimetre) of the burn point.
    """
    bodies = Bodies(transfer.epoch)
    prop = Propagator(bodies.earth_model(j2=j2, sun=sun), rtol=rtol)
    t1 = float(transfer.t_tli_s)
    t0 = t1 - float(duration_s)
    back = prop.propagate(t1, transfer.r_tli_gcrf_m, transfer.v_parking_gcrf_m_s, t0)
    r0, v0 = back.at(t0)
    leg = prop.propagate(t0, r0[0], v0[0], t1)
    return CislunarPath(transfer.epoch, (Leg("parking orbit", "GCRF", leg),))

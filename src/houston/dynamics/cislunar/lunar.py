"""Lunar orbit: insertion at perilune, low lunar orbits, and descent towards a surface site.

* :func:`lunar_orbit_insertion`: an impulsive burn at the perilune of a refined translunar
  arrival (:func:`houston.dynamics.cislunar.translunar.refine_tli`) that leaves the vehicle
  on a Moon-centred orbit with that perilune and a chosen apolune (circular by default), the
  burn horizontal and in the arrival plane, ``dv = v_target (h x r)/|h x r| - v``. The
  patched-conic estimate of the same burn, ``sqrt(v_inf^2 + 2 mu / r_p) - v_target``, comes
  with it for comparison. Apollo's LOI burns lasted minutes; an impulse ignores the gravity
  loss of a finite burn.
* :func:`low_lunar_orbit`: a circular orbit given by its elements on the Moon's equator
  (IAU 2009 pole), for a vehicle already there (Buran waiting in lunar orbit).
* :func:`transfer_to_site`: a descent-orbit-insertion (DOI) burn from a lunar orbit that
  puts the perilune of the new orbit over a surface site, at a low altitude, at the time the
  site passes under the orbit. As in Apollo's DOI, the default burn is half a revolution
  before the site (``lead_angle_rad = pi``), which lowers the perilune most cheaply but
  cannot move it sideways: the orbit plane must already pass near the site. A shorter lead
  angle (between pi/2 and pi) adds an out-of-plane component that brings the perilune over
  the site itself.

All three propagate with :class:`houston.dynamics.cowell.Propagator` (DOP853) in the
Moon-centred inertial frame (MCI: ICRF axes), with the Moon's point mass, the Earth and the
Sun as third bodies (DE421), and optionally a zonal J2 of the Moon about its IAU 2009 pole
(the caller gives the coefficient; lunar gravity models put it near 2.03e-4). The Moon's
gravity field beyond J2 (mascons, which perturb real low lunar orbits strongly) is not
modelled.

Times are seconds from the scenario epoch; SI units.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from houston.core.constants import MU_MOON_M3_S2, R_MOON_M
from houston.dynamics import events as ev
from houston.dynamics.cislunar.bodies import Bodies
from houston.dynamics.cislunar.path import CislunarPath, Leg
from houston.dynamics.cowell import Propagator, lvlh_to_inertial
from houston.dynamics.frames import moon_fixed_to_selenographic, selenographic_to_moon_fixed
from houston.dynamics.relative import lvlh_basis

if TYPE_CHECKING:
    from houston.core.time import Epoch
    from houston.dynamics.cislunar.translunar import Translunar

__all__ = [
    "LunarOrbit",
    "MoonModel",
    "SiteArrival",
    "low_lunar_orbit",
    "lunar_orbit_insertion",
    "transfer_to_site",
]

Array = NDArray[np.float64]


def _unit(x: Array) -> Array:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


@dataclass(frozen=True)
class MoonModel:
    """The forces of a Moon-centred propagation: the Earth and the Sun as third bodies, and
    an optional zonal ``j2`` about the Moon's pole at ``pole_time_s``."""

    earth: bool = True
    sun: bool = True
    j2: float | None = None
    pole_time_s: float = 0.0

    def propagator(self, bodies: Bodies, rtol: float) -> Propagator:
        fm = bodies.moon_model(self.earth, self.sun, self.j2, self.pole_time_s)
        return Propagator(fm, rtol=rtol)


@dataclass(frozen=True, eq=False)
class LunarOrbit:
    """A vehicle on a Moon-centred orbit from ``t_start_s`` (MCI state ``r0_mci_m``,
    ``v0_mci_m_s`` just after the insertion burn, if any).

    ``dv_mci_m_s`` and ``dv_m_s``: the insertion burn (zero for :func:`low_lunar_orbit`);
    ``dv_patched_conic_m_s``: its patched-conic estimate (NaN when there is none);
    ``periapsis_altitude_m``, ``apoapsis_altitude_m``, ``inclination_rad`` (to the Moon's
    equator) and ``period_s``: osculating two-body values at ``t_start_s``; ``path``: the
    propagated orbit (one MCI leg), ``model`` its forces.
    """

    epoch: Epoch
    t_start_s: float
    r0_mci_m: Array
    v0_mci_m_s: Array
    dv_mci_m_s: Array
    dv_patched_conic_m_s: float
    periapsis_altitude_m: float
    apoapsis_altitude_m: float
    inclination_rad: float
    period_s: float
    model: MoonModel
    path: CislunarPath

    @property
    def dv_m_s(self) -> float:
        return float(np.linalg.norm(self.dv_mci_m_s))

    @property
    def t_end_s(self) -> float:
        return self.path.t_end_s


def _orbit(
    epoch: Epoch,
    t0: float,
    r0: Array,
    v0: Array,
    dv: Array,
    dv_pc: float,
    duration_s: float,
    model: MoonModel,
    rtol: float,
    name: str,
) -> LunarOrbit:
    bodies = Bodies(epoch)
    prop = model.propagator(bodies, rtol)
    traj = prop.propagate(t0, r0, v0, t0 + float(duration_s))
    rn = float(np.linalg.norm(r0))
    energy = 0.5 * float(v0 @ v0) - MU_MOON_M3_S2 / rn
    a = -MU_MOON_M3_S2 / (2.0 * energy)
    h = np.cross(r0, v0)
    ecc = float(np.sqrt(max(0.0, 1.0 - float(h @ h) / (MU_MOON_M3_S2 * a))))
    pole = bodies.moon_pole(t0)
    return LunarOrbit(
        epoch=epoch,
        t_start_s=t0,
        r0_mci_m=r0,
        v0_mci_m_s=v0,
        dv_mci_m_s=dv,
        dv_patched_conic_m_s=dv_pc,
        periapsis_altitude_m=a * (1.0 - ecc) - R_MOON_M,
        apoapsis_altitude_m=a * (1.0 + ecc) - R_MOON_M,
        inclination_rad=float(np.arccos(np.clip(_unit(h) @ pole, -1.0, 1.0))),
        period_s=float(2.0 * np.pi * np.sqrt(a**3 / MU_MOON_M3_S2)),
        model=model,
        path=CislunarPath(epoch, (Leg(name, "MCI", traj),)),
    )


def lunar_orbit_insertion(
    arrival: Translunar,
    apolune_altitude_m: float | None = None,
    duration_s: float = 86_400.0,
    earth: bool = True,
    sun: bool = True,
    moon_j2: float | None = None,
    rtol: float = 1e-12,
) -> LunarOrbit:
    """Capture at the perilune of ``arrival`` into an orbit with that perilune and an apolune
    at ``apolune_altitude_m`` above the ``R_MOON_M`` sphere (default: circular), then
    propagate ``duration_s`` on the Moon-centred model (module docstring).

    Raises ``ValueError`` if the apolune is below the perilune.
    """
    p = arrival.perilune
    t0 = p.t_s
    r, v = p.r_mci_m, p.v_mci_m_s
    rn = float(np.linalg.norm(r))
    r_a = rn if apolune_altitude_m is None else R_MOON_M + float(apolune_altitude_m)
    if r_a < rn - 1e-6:
        raise ValueError(
            f"apolune altitude {r_a - R_MOON_M:.0f} m is below the perilune ({rn - R_MOON_M:.0f} m)"
        )
    v_target = np.sqrt(2.0 * MU_MOON_M3_S2 * r_a / (rn * (rn + r_a)))
    along = _unit(np.cross(np.cross(r, v), r))
    v_new = v_target * along
    plan = arrival.plan
    r_p = plan.target.r_perilune_m
    v_a_pc = np.sqrt(2.0 * MU_MOON_M3_S2 * r_a / (r_p * (r_p + r_a)))
    v_p_pc = np.sqrt(plan.approach.v_inf_m_s**2 + 2.0 * MU_MOON_M3_S2 / r_p)
    model = MoonModel(earth, sun, moon_j2, t0)
    return _orbit(
        arrival.epoch,
        t0,
        r.copy(),
        v_new,
        v_new - v,
        float(v_p_pc - v_a_pc),
        duration_s,
        model,
        rtol,
        "low lunar orbit",
    )


def low_lunar_orbit(
    epoch: Epoch,
    t0_s: float,
    altitude_m: float,
    inclination_rad: float,
    raan_rad: float = 0.0,
    arglat_rad: float = 0.0,
    duration_s: float = 86_400.0,
    earth: bool = True,
    sun: bool = True,
    moon_j2: float | None = None,
    rtol: float = 1e-12,
) -> LunarOrbit:
    """A circular lunar orbit at ``altitude_m`` above the ``R_MOON_M`` sphere, with
    inclination, node and argument of latitude at ``t0_s`` on the Moon's equator (IAU 2009
    pole at ``t0_s``; the node is measured from the ascending node of that equator on the
    ICRF equator), propagated for ``duration_s``."""
    bodies = Bodies(epoch)
    t0 = float(t0_s)
    basis = bodies.moon_equator_basis(t0)
    rad = R_MOON_M + float(altitude_m)
    co, so = np.cos(raan_rad), np.sin(raan_rad)
    ci, si = np.cos(inclination_rad), np.sin(inclination_rad)
    cu, su = np.cos(arglat_rad), np.sin(arglat_rad)
    r_eq = rad * np.array([co * cu - so * su * ci, so * cu + co * su * ci, su * si])
    t_eq = np.array([-co * su - so * cu * ci, -so * su + co * cu * ci, cu * si])
    v_eq = np.sqrt(MU_MOON_M3_S2 / rad) * t_eq
    model = MoonModel(earth, sun, moon_j2, t0)
    return _orbit(
        epoch,
        t0,
        basis.T @ r_eq,
        basis.T @ v_eq,
        np.zeros(3),
        float("nan"),
        duration_s,
        model,
        rtol,
        "low lunar orbit",
    )


# --- descent to a site ------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SiteArrival:
    """A descent-orbit insertion that brings the perilune over a surface site.

    ``t_doi_s``, ``dv_lvlh_m_s`` (x radial, y along-track, z normal) and ``dv_mci_m_s``: the
    burn; ``t_pass_s``: the pass over the site on the orbit before the burn; ``t_arrival_s``:
    the time of the new perilune, over the site; ``r_arrival_mci_m``, ``v_arrival_mci_m_s``:
    the state there; ``altitude_m``: above the site (its radius, ``R_MOON_M`` plus its
    height); ``lat_rad``, ``lon_rad``: the selenographic point below the vehicle at arrival;
    ``ground_offset_m``: the distance from that point to the site along the ``R_MOON_M``
    sphere; ``iterations``: Newton steps; ``path``: the orbit up to the burn and the descent
    orbit to arrival (MCI legs).
    """

    t_pass_s: float
    t_doi_s: float
    dv_lvlh_m_s: Array
    dv_mci_m_s: Array
    t_arrival_s: float
    r_arrival_mci_m: Array
    v_arrival_mci_m_s: Array
    altitude_m: float
    lat_rad: float
    lon_rad: float
    site_lat_rad: float
    site_lon_rad: float
    ground_offset_m: float
    iterations: int
    path: CislunarPath

    @property
    def dv_m_s(self) -> float:
        return float(np.linalg.norm(self.dv_mci_m_s))


def _site_state(bodies: Bodies, r_fixed: Array, t_s: ArrayLike) -> tuple[Array, Array]:
    """MCI position and velocity of a Moon-fixed point at times ``t_s``."""
    t = np.asarray(t_s, dtype=float)
    rot = bodies.moon_rotation(t)
    r_f = np.broadcast_to(r_fixed, (*t.shape, 3))
    return rot.to_inertial(r_f, np.zeros_like(r_f))


def _periapsis_detector() -> ev.Detector:
    def g(t: Array, r: Array, v: Array, rows: NDArray[np.int64]) -> Array:
        return np.einsum("...i,...i->...", r, v)

    return ev.Detector(g, 1, "perilune", max_check_s=120.0, tol_s=1e-6)


def _first_event(events: list[ev.Event], row: int) -> ev.Event | None:
    for e in events:
        if e.row == row:
            return e
    return None


def transfer_to_site(
    orbit: LunarOrbit,
    site_lat_rad: float,
    site_lon_rad: float,
    site_height_m: float = 0.0,
    perilune_altitude_m: float = 15e3,
    t_earliest_s: float | None = None,
    lead_angle_rad: float = np.pi,
    max_offset_m: float | None = None,
    tol_m: float = 1.0,
    max_iter: int = 20,
    rtol: float = 1e-12,
) -> SiteArrival:
    """A DOI burn from ``orbit`` that puts the new perilune ``perilune_altitude_m`` above the
    site at selenographic ``site_lat_rad``, east ``site_lon_rad`` (module docstring).

    1. The passes over the site are the minima of the distance from the vehicle to the site
       on the orbit's dense output (:func:`houston.dynamics.events.closest_approach`); the
       first one at least ``lead_angle_rad`` of orbital motion after ``t_earliest_s``
       (default: the orbit's start), and within ``max_offset_m`` of the site along the
       surface if given, is chosen.
    2. The burn comes ``lead_angle_rad`` of mean motion before that pass. The first guess is
       the conic through the burn point with its periapsis ``lead_angle_rad`` ahead at the
       target radius (for a lead of pi, the tangential Hohmann-like burn).
    3. Newton iterations on the three burn components, each a batch of four Moon-centred
       propagations to the first perilune after the burn, drive the perilune radius to the
       site's radius plus ``perilune_altitude_m`` and its direction to the site's at the
       perilune time (residuals: the radius error, and the difference of the unit vectors,
       times the target radius, along-track and sideways). When the Jacobian is nearly
       singular (smallest singular value below 1e-3 of the largest: with a lead of pi the
       normal component cannot move the perilune sideways), only the radius and the
       along-track position are targeted, with the radial and along-track components, and
       the sideways offset stays what the orbit gives (``ground_offset_m``).

    Raises ``ValueError`` if no pass qualifies, ``RuntimeError`` if the iterations fail.
    """
    if not (0.5 * np.pi <= lead_angle_rad <= np.pi):
        raise ValueError("lead_angle_rad must be between pi/2 and pi")
    bodies = Bodies(orbit.epoch)
    leg = orbit.path.legs[-1]
    r_site_fixed = selenographic_to_moon_fixed(site_lat_rad, site_lon_rad, site_height_m)
    r_target = R_MOON_M + site_height_m + perilune_altitude_m
    r_orbit = float(np.linalg.norm(orbit.r0_mci_m))
    a = -MU_MOON_M3_S2 / (
        2.0 * (0.5 * float(orbit.v0_mci_m_s @ orbit.v0_mci_m_s) - MU_MOON_M3_S2 / r_orbit)
    )
    n = np.sqrt(MU_MOON_M3_S2 / a**3)
    t_lead = lead_angle_rad / n
    t_from = orbit.t_start_s if t_earliest_s is None else float(t_earliest_s)

    def site(t: Array, rows: NDArray[np.int64]) -> tuple[Array, Array]:
        return _site_state(bodies, r_site_fixed, t)

    det = ev.closest_approach(site, name="site pass", max_check_s=120.0, tol_s=1e-6)
    passes = ev.find_events(leg.trajectory, [det], t_from + t_lead, leg.t_end_s)
    t_pass = None
    for e in passes:
        s_hat = _unit(site(np.array([e.t_s]), np.zeros(1, dtype=np.int64))[0][0])
        offset = R_MOON_M * float(np.arccos(np.clip(_unit(e.r_m) @ s_hat, -1.0, 1.0)))
        if max_offset_m is None or offset <= max_offset_m:
            t_pass = e.t_s
            break
    if t_pass is None:
        raise ValueError("no pass over the site in the orbit's span")
    t_doi = t_pass - t_lead
    r0, v0 = leg.at(t_doi)
    q = lvlh_basis(r0, v0)
    # first guess: the conic through r0 with periapsis lead_angle ahead at r_target
    r0n = float(np.linalg.norm(r0))
    nu0 = -lead_angle_rad
    ecc = (r_target - r0n) / (r0n * np.cos(nu0) - r_target)
    p = r_target * (1.0 + ecc)
    vc = np.sqrt(MU_MOON_M3_S2 / p)
    v_guess = np.array([vc * ecc * np.sin(nu0), vc * (1.0 + ecc * np.cos(nu0)), 0.0])
    dv = v_guess - q @ v0
    prop = orbit.model.propagator(bodies, rtol)
    per = _periapsis_detector()
    step = 1e-3
    basis = np.vstack([np.zeros(3), step * np.eye(3)])
    t_end = t_doi + 1.5 * t_lead
    h0 = np.cross(r0, v0)
    it = 0
    e0 = None
    for it in range(1, max_iter + 1):
        rows = dv + basis
        v_rows = v0 + lvlh_to_inertial(r0, v0, rows)
        traj = prop.propagate(t_doi, np.tile(r0, (4, 1)), v_rows, t_end, detectors=[per])
        res = []
        for k in range(4):
            e = _first_event(traj.events, k)
            if e is None:
                raise RuntimeError(f"no perilune before {t_end:.0f} s at iteration {it}")
            s_hat = _unit(_site_state(bodies, r_site_fixed, e.t_s)[0])
            along = _unit(np.cross(h0, s_hat))
            side = np.cross(s_hat, along)
            d = _unit(e.r_m) - s_hat
            res.append(
                np.array(
                    [np.linalg.norm(e.r_m) - r_target, r_target * d @ along, r_target * d @ side]
                )
            )
            if k == 0:
                e0 = e
        f0 = res[0]
        jac = np.stack([(res[k] - f0) / step for k in (1, 2, 3)], axis=1)
        sv = np.linalg.svd(jac, compute_uv=False)
        if sv[-1] < 1e-3 * sv[0]:
            # the sideways offset is out of reach: radius and along-track only, in-plane
            delta = np.zeros(3)
            delta[:2] = np.linalg.solve(jac[:2, :2], -f0[:2])
            err = float(np.linalg.norm(f0[:2]))
        else:
            delta = np.linalg.solve(jac, -f0)
            err = float(np.linalg.norm(f0))
        if err < tol_m or float(np.linalg.norm(delta)) < 1e-7:
            break
        dv = dv + delta
    else:
        raise RuntimeError(f"the descent targeting did not converge in {max_iter} iterations")
    assert e0 is not None
    dv_i = lvlh_to_inertial(r0, v0, dv)
    descent = prop.propagate(t_doi, r0, v0 + dv_i, e0.t_s)
    r_arr, v_arr = descent.at(e0.t_s)
    r_arr, v_arr = r_arr[0], v_arr[0]
    rot = bodies.moon_rotation(e0.t_s)
    lat, lon, _ = moon_fixed_to_selenographic(rot.position_to_fixed(r_arr))
    s_now, _ = _site_state(bodies, r_site_fixed, e0.t_s)
    angle = float(np.arccos(np.clip(_unit(r_arr) @ _unit(s_now), -1.0, 1.0)))
    before = orbit.path.until(t_doi)
    path = before.then(CislunarPath(orbit.epoch, (Leg("descent orbit", "MCI", descent),)))
    return SiteArrival(
        t_pass_s=float(t_pass),
        t_doi_s=float(t_doi),
        dv_lvlh_m_s=dv,
        dv_mci_m_s=dv_i,
        t_arrival_s=float(e0.t_s),
        r_arrival_mci_m=r_arr,
        v_arrival_mci_m_s=v_arr,
        altitude_m=float(np.linalg.norm(r_arr)) - R_MOON_M - site_height_m,
        lat_rad=float(lat),
        lon_rad=float(lon),
        site_lat_rad=float(site_lat_rad),
        site_lon_rad=float(site_lon_rad),
        ground_offset_m=R_MOON_M * angle,
        iterations=it,
        path=path,
    )

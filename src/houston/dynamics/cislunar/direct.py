"""A direct Earth–Moon transfer that arrives over a surface site, with no lunar orbit.

What a heavy resupply rocket (Sea Dragon 17 in The Grey) flies to a base: from a circular
parking orbit, one translunar injection onto a trajectory that reaches a point a given height
above the site at a given time, coming straight in from the approach hyperbola (a direct
descent: braking and landing start there, and are not modelled here).

1. Patched conic (as :func:`houston.dynamics.cislunar.translunar.patched_conic_tli`): the
   arrival point ``P`` is the site's Moon-fixed position raised by the arrival height,
   turned into MCI at the arrival time (IAU 2009 rotation). The approach hyperbola is the
   one of the current asymptote and excess speed that passes through ``P`` inbound
   (:func:`houston.dynamics.cislunar.conics.b_through_point`); its periapsis time follows
   from the arrival time, and the patch point and geocentric Lambert arc from it.
2. Shooting on the full model, first on the osculating approach a few hours before arrival
   (B-plane components and periapsis time of the hyperbola through ``P``; nearly linear, as
   for a perilune), then on the position at the arrival time itself (the last hours of
   Earth and Sun perturbation), both with the parking-orbit unknowns of
   :func:`houston.dynamics.cislunar.translunar.refine_tli`.

Times are seconds from the scenario epoch; SI units.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from houston.core.constants import MU_MOON_M3_S2, R_MOON_M
from houston.dynamics.cislunar.bodies import SOI_MOON_M, Bodies
from houston.dynamics.cislunar.conics import approach_from_state, b_through_point, incoming_state
from houston.dynamics.cislunar.path import CislunarPath, Leg
from houston.dynamics.cislunar.translunar import (
    _node_and_arglat,
    _parking_states,
    _patch,
    _shoot,
)
from houston.dynamics.cowell import Propagator, Trajectory
from houston.dynamics.frames import moon_fixed_to_selenographic, selenographic_to_moon_fixed

if TYPE_CHECKING:
    from houston.core.time import Epoch

__all__ = ["DirectArrival", "direct_transfer_to_site"]

Array = NDArray[np.float64]


def _unit(x: Array) -> Array:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


@dataclass(frozen=True, eq=False)
class DirectArrival:
    """A direct transfer from a parking orbit to a point above a surface site.

    The parking orbit (``parking_radius_m``, ``parking_inclination_rad``, node
    ``parking_raan_rad``) carries the vehicle to ``r_tli_gcrf_m`` at ``t_tli_s`` with velocity
    ``v_parking_gcrf_m_s``; the burn is ``dv_gcrf_m_s`` (along-track), against
    ``dv_patched_conic_m_s`` for the first guess. At ``t_arrival_s`` the vehicle is at
    ``r_arrival_mci_m`` with ``v_arrival_mci_m_s``, ``altitude_m`` above the site (its radius),
    over selenographic ``lat_rad``, ``lon_rad``, coming down at ``flight_path_angle_rad``
    (negative: descending). ``miss_before_m`` is the distance from the arrival point of the
    patched-conic burn flown on the full model, ``miss_m`` after refinement; ``path`` the
    coast from the burn to arrival (GCRF).
    """

    epoch: Epoch
    t_tli_s: float
    parking_radius_m: float
    parking_inclination_rad: float
    parking_raan_rad: float
    r_tli_gcrf_m: Array
    v_parking_gcrf_m_s: Array
    dv_gcrf_m_s: Array
    dv_patched_conic_m_s: float
    t_arrival_s: float
    r_arrival_mci_m: Array
    v_arrival_mci_m_s: Array
    altitude_m: float
    lat_rad: float
    lon_rad: float
    flight_path_angle_rad: float
    miss_before_m: float
    miss_m: float
    iterations: int
    propagations: int
    path: CislunarPath

    @property
    def dv_m_s(self) -> float:
        return float(np.linalg.norm(self.dv_gcrf_m_s))


def direct_transfer_to_site(
    epoch: Epoch,
    t_tli_s: float,
    r_parking_m: float,
    inclination_rad: float,
    site_lat_rad: float,
    site_lon_rad: float,
    tof_s: float,
    arrival_altitude_m: float = 15e3,
    site_height_m: float = 0.0,
    arrive_ascending: bool = True,
    lead_s: float = 3.0 * 3600.0,
    j2: bool = True,
    sun: bool = True,
    tol_m: float = 1.0,
    max_iter: int = 20,
    rtol: float = 1e-12,
) -> DirectArrival:
    """A direct transfer that is ``arrival_altitude_m`` above the site (selenographic
    ``site_lat_rad``, east ``site_lon_rad``, ``site_height_m`` above the ``R_MOON_M`` sphere)
    ``tof_s`` after the TLI burn at ``t_tli_s`` (module docstring).

    ``lead_s`` is how long before arrival the first shooting stage reads the osculating
    approach; the parking orbit is as in
    :func:`houston.dynamics.cislunar.translunar.patched_conic_tli`. Raises ``ValueError``
    when the site is out of reach of an inbound approach for this date and time of flight,
    ``RuntimeError`` if the iterations fail.
    """
    bodies = Bodies(epoch)
    t_tli = float(t_tli_s)
    t_arr = t_tli + float(tof_s)
    pole = bodies.moon_pole(t_arr)
    h_arr = site_height_m + arrival_altitude_m
    p_fixed = selenographic_to_moon_fixed(site_lat_rad, site_lon_rad, h_arr)
    point = bodies.moon_rotation(t_arr).position_to_inertial(p_fixed)

    def design(s_hat: Array, v_inf: float) -> tuple[Array, float]:
        return b_through_point(s_hat, v_inf, point, MU_MOON_M3_S2)

    patch = _patch(
        bodies,
        t_tli,
        t_arr,
        r_parking_m,
        inclination_rad,
        arrive_ascending,
        design,
        pole,
        SOI_MOON_M,
        0.5,
        100,
    )
    raan, u = _node_and_arglat(patch.r1_m, patch.v_park_m_s)
    x0 = np.array([raan, u, float(np.linalg.norm(patch.v1_m_s - patch.v_park_m_s))])
    prop = Propagator(bodies.earth_model(j2=j2, sun=sun), rtol=rtol)
    t_eval = t_arr - float(lead_s)

    def approach_residual(traj: Trajectory, k: int) -> tuple[Array, Any]:
        r, v = traj.at(t_eval)
        r_m, v_m = bodies.gcrf_to_mci(t_eval, r[k], v[k])
        a = approach_from_state(r_m, v_m, MU_MOON_M3_S2, pole)
        b_star, dt_point = b_through_point(a.s_hat, a.v_inf_m_s, point, MU_MOON_M3_S2)
        _, _, dt_now = incoming_state(
            a.s_hat, a.b_m, a.v_inf_m_s, MU_MOON_M3_S2, float(np.linalg.norm(r_m))
        )
        t_hat = _unit(np.cross(a.s_hat, pole))
        r_hat = np.cross(a.s_hat, t_hat)
        db = a.b_m - b_star
        f = np.array([db @ t_hat, db @ r_hat, (t_eval + dt_now) - (t_arr + dt_point)])
        return f, float(np.linalg.norm(db))

    stage1 = _shoot(
        prop,
        t_tli,
        t_eval,
        r_parking_m,
        inclination_rad,
        x0,
        [],
        approach_residual,
        lambda f, b_miss: bool(b_miss < tol_m and abs(f[2]) < 1e-3),
        max_iter,
    )

    def position_residual(traj: Trajectory, k: int) -> tuple[Array, Any]:
        r, v = traj.at(t_arr)
        r_m, v_m = bodies.gcrf_to_mci(t_arr, r[k], v[k])
        return r_m - point, (r_m, v_m)

    stage2 = _shoot(
        prop,
        t_tli,
        t_arr,
        r_parking_m,
        inclination_rad,
        stage1.x,
        [],
        position_residual,
        lambda f, info: bool(np.linalg.norm(f) < tol_m),
        max_iter,
    )
    # the patched-conic burn flown on the same model
    r_pc, _, v_pc = _parking_states(r_parking_m, inclination_rad, x0)
    first = prop.propagate(t_tli, r_pc, v_pc, t_arr)
    r_first = bodies.gcrf_to_mci(t_arr, *(a[0] for a in first.at(t_arr)))[0]
    r_tli, v_park, v_tli = _parking_states(r_parking_m, inclination_rad, stage2.x)
    coast = prop.propagate(t_tli, r_tli, v_tli, t_arr)
    r_end, v_end = coast.at(t_arr)
    r_a, v_a = bodies.gcrf_to_mci(t_arr, r_end[0], v_end[0])
    lat, lon, _ = moon_fixed_to_selenographic(bodies.moon_rotation(t_arr).position_to_fixed(r_a))
    return DirectArrival(
        epoch=epoch,
        t_tli_s=t_tli,
        parking_radius_m=float(r_parking_m),
        parking_inclination_rad=float(inclination_rad),
        parking_raan_rad=float(np.mod(stage2.x[0], 2.0 * np.pi)),
        r_tli_gcrf_m=r_tli,
        v_parking_gcrf_m_s=v_park,
        dv_gcrf_m_s=v_tli - v_park,
        dv_patched_conic_m_s=float(x0[2]),
        t_arrival_s=t_arr,
        r_arrival_mci_m=r_a,
        v_arrival_mci_m_s=v_a,
        altitude_m=float(np.linalg.norm(r_a)) - R_MOON_M - site_height_m,
        lat_rad=float(lat),
        lon_rad=float(lon),
        flight_path_angle_rad=float(np.arcsin(_unit(r_a) @ _unit(v_a))),
        miss_before_m=float(np.linalg.norm(r_first - point)),
        miss_m=float(np.linalg.norm(r_a - point)),
        iterations=stage1.iterations + stage2.iterations,
        propagations=stage1.propagations + stage2.propagations + 2,
        path=CislunarPath(epoch, (Leg("direct transfer", "GCRF", coast),)),
    )

"""The coelliptic rendezvous sequence of Gemini and Apollo: NC, NH, NSR, TPI, TPF.

The chaser is brought below the target on an orbit *coelliptic* with it (same line of
apsides, constant height difference ``dH``), from which it drifts forward at a steady rate
until the line of sight to the target reaches a fixed elevation above its local horizontal;
then a Lambert transfer intercepts the target after a fixed angle of target travel.

* **NC** (phasing): a horizontal burn whose size sets how fast the chaser closes, solved so
  that TPI falls at a requested time.
* **NH** (height adjust): a horizontal burn half an orbit after NC that puts the chaser
  ``dH`` below the target's orbit half an orbit later. Closed form: two points 180 deg apart on
  a conic satisfy ``1/r1 + 1/r2 = 2/p``, so the semi-latus rectum, hence the horizontal
  speed ``sqrt(mu p)/r``, follows from the two radii (radial velocity does not enter).
* **NSR** (slow-rate, the CDH "constant delta height" of the Apollo lunar module): the burn
  that makes the chaser's orbit coelliptic with the target's. To first order in the
  eccentricity a near-circular orbit has ``r = a - a e cos(theta)`` about its periapsis, so
  two orbits keep a constant radial separation when their eccentricity vectors point the
  same way and ``a e`` is the same; with the chaser's position fixed this gives its
  semi-major axis from ``a^2 - r a - (k^2 + r k cos theta) = 0`` with ``k = a_t e_t`` and
  ``theta`` the chaser's angle from the target's periapsis, in the chaser's plane. The
  separation then varies only at second order, by ``e_t^2 dH sin^2 theta`` (under 1 m for
  ``e_t`` = 0.005 and ``dH`` = 15 km); for a circular target the chaser's orbit is circular.
* **TPI** (terminal phase initiation): when the line-of-sight elevation rises through a set
  angle, about 27 deg in the Gemini and Apollo convention, the chaser burns onto the Lambert
  arc that meets the target after a set angle of target travel (about 130 deg in that
  convention).
* **TPF** (terminal phase finalisation): braking at intercept, to zero relative velocity or
  to a small closing rate along the line of sight.

All burns are impulsive and all motion is two-body (:func:`houston.dynamics.kepler.propagate`),
so the plan is exact for a two-body world and a first guess for a perturbed one. The
sequence and its default angles follow the Gemini and Apollo practice; they are parameters
here, not claims about a particular flight.

SI units: m, m/s, s, rad, m^3/s^2.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import brentq

from houston.core.constants import MU_EARTH_M3_S2
from houston.dynamics import elements, kepler
from houston.dynamics.relative import to_lvlh
from houston.dynamics.rendezvous.plan import (
    BurnPlan,
    _burn,
    _dot,
    _norm,
    _vec3,
    lambert_plan,
    los_elevation,
)

__all__ = [
    "TPI_ELEVATION_RAD",
    "TPI_TRANSFER_RAD",
    "CoellipticPlan",
    "coelliptic_dv",
    "coelliptic_sequence",
    "height_adjust_dv",
    "height_difference",
    "time_to_travel",
    "tpi_time",
]

Array = NDArray[np.float64]

#: Line-of-sight elevation at TPI, rad: about 27 deg, the Gemini/Apollo convention.
TPI_ELEVATION_RAD = np.radians(27.0)
#: Target travel from TPI to TPF, rad: about 130 deg, the Gemini/Apollo convention.
TPI_TRANSFER_RAD = np.radians(130.0)

#: Below this eccentricity the target's line of apsides is taken as undefined.
_ECC_CIRCULAR = 1.0e-12


def _unit(a: Array) -> Array:
    return a / _norm(a)[..., None]


def _ecc_vector(r: Array, v: Array, mu: float) -> Array:
    rn = _norm(r)[..., None]
    return ((_dot(v, v)[..., None] - mu / rn) * r - _dot(r, v)[..., None] * v) / mu


def _sma(r: Array, v: Array, mu: float) -> Array:
    return 1.0 / (2.0 / _norm(r) - _dot(v, v) / mu)


def time_to_travel(
    r_m: ArrayLike, v_m_s: ArrayLike, angle_rad: float, mu_m3_s2: float = MU_EARTH_M3_S2
) -> float:
    """Time (s) for a body on the elliptic orbit ``(r_m, v_m_s)`` to sweep ``angle_rad`` (> 0)
    of true anomaly (or of argument of latitude, the same thing), by Kepler's equation
    (:func:`houston.dynamics.elements.true_to_mean`). Whole turns count whole periods."""
    r = _vec3(r_m, "r_m")
    v = _vec3(v_m_s, "v_m_s")
    if not angle_rad > 0.0:
        raise ValueError(f"angle must be positive, got {angle_rad} rad")
    a = float(_sma(r, v, mu_m3_s2))
    if not a > 0.0:
        raise ValueError("time_to_travel needs an elliptic orbit")
    n = float(np.sqrt(mu_m3_s2 / a**3))
    e_vec = _ecc_vector(r, v, mu_m3_s2)
    ecc = float(_norm(e_vec))
    turns, rest = divmod(float(angle_rad), 2.0 * np.pi)
    if ecc < _ECC_CIRCULAR:
        return (turns * 2.0 * np.pi + rest) / n
    h = np.cross(r, v)
    nu0 = float(np.arctan2(_dot(np.cross(e_vec, r), _unit(h)), _dot(e_vec, r)))
    m0 = float(elements.true_to_mean(nu0, ecc))
    m1 = float(elements.true_to_mean(nu0 + rest, ecc))
    dm = np.mod(m1 - m0, 2.0 * np.pi) if rest > 0.0 else 0.0
    return float((turns * 2.0 * np.pi + dm) / n)


def height_difference(
    r_chaser_m: ArrayLike,
    r_target_m: ArrayLike,
    v_target_m_s: ArrayLike,
    mu_m3_s2: float = MU_EARTH_M3_S2,
) -> Array:
    """Height of the target's orbit above the chaser, m: ``dH = R_t - |r_c|``.

    ``R_t`` is the radius of the target's (osculating, two-body) orbit in the direction of
    the chaser, projected into the target's plane: ``p / (1 + e . u)`` with ``u`` the unit
    projection. Positive when the chaser is below. Shapes ``(..., 3)``, broadcasting.
    """
    r_c = np.asarray(r_chaser_m, dtype=float)
    r_t = np.asarray(r_target_m, dtype=float)
    v_t = np.asarray(v_target_m_s, dtype=float)
    return _orbit_radius_along(r_c, r_t, v_t, mu_m3_s2) - _norm(r_c)


def _orbit_radius_along(direction: Array, r: Array, v: Array, mu: float) -> Array:
    """Radius (m) of the orbit ``(r, v)`` at the in-plane direction nearest ``direction``."""
    h = np.cross(r, v)
    h_hat = _unit(h)
    p = _dot(h, h) / mu
    u = direction - _dot(direction, h_hat)[..., None] * h_hat
    u = _unit(u)
    return p / (1.0 + _dot(_ecc_vector(r, v, mu), u))


def coelliptic_dv(
    r_chaser_m: ArrayLike,
    v_chaser_m_s: ArrayLike,
    r_target_m: ArrayLike,
    v_target_m_s: ArrayLike,
    mu_m3_s2: float = MU_EARTH_M3_S2,
) -> Array:
    """NSR / CDH: the in-plane velocity change (m/s, GCRF) that makes the chaser's orbit
    coelliptic with the target's.

    After the burn the chaser's eccentricity vector points along the target's (projected into
    the chaser's plane) and ``a_c e_c = a_t e_t`` (see the module docstring); the chaser's
    position and orbit plane are kept. The resulting height difference is whatever the
    chaser's position gives (:func:`height_difference`), ``a_t - a_c`` to first order.
    Vectorised over leading axes; positions in m, velocities in m/s.
    """
    r_c = np.asarray(r_chaser_m, dtype=float)
    v_c = np.asarray(v_chaser_m_s, dtype=float)
    r_t = np.asarray(r_target_m, dtype=float)
    v_t = np.asarray(v_target_m_s, dtype=float)
    mu = mu_m3_s2
    r = _norm(r_c)
    x_hat = r_c / r[..., None]
    h_hat = _unit(np.cross(r_c, v_c))
    y_hat = np.cross(h_hat, x_hat)
    e_t = _ecc_vector(r_t, v_t, mu)
    k = _sma(r_t, v_t, mu) * _norm(e_t)
    e_p = e_t - _dot(e_t, h_hat)[..., None] * h_hat
    e_pn = _norm(e_p)
    circular = e_pn < _ECC_CIRCULAR
    safe = np.where(circular[..., None], x_hat, e_p / np.where(circular, 1.0, e_pn)[..., None])
    cos_th = np.where(circular, 1.0, _dot(safe, x_hat))
    sin_th = np.where(circular, 0.0, _dot(np.cross(safe, x_hat), h_hat))
    a_c = 0.5 * (r + np.sqrt(r * r + 4.0 * (k * k + r * k * cos_th)))
    e_c = k / a_c
    p_c = a_c * (1.0 - e_c * e_c)
    w = np.sqrt(mu / p_c)
    v_new = (w * e_c * sin_th)[..., None] * x_hat + (w * (1.0 + e_c * cos_th))[..., None] * y_hat
    return v_new - v_c


def height_adjust_dv(
    r_chaser_m: ArrayLike,
    v_chaser_m_s: ArrayLike,
    r_target_m: ArrayLike,
    v_target_m_s: ArrayLike,
    dh_m: ArrayLike,
    mu_m3_s2: float = MU_EARTH_M3_S2,
) -> Array:
    """NH: the horizontal velocity change (m/s, GCRF) after which the chaser, half an orbit
    (180 deg of its travel) later, is ``dh_m`` below the target's orbit.

    The point 180 deg on lies along ``-r_c``; with ``R = R_t(-r_c) - dH`` (the target orbit's
    radius there, :func:`height_difference`) the conic through both points has
    ``p = 2 r R / (r + R)`` and horizontal speed ``sqrt(mu p) / r`` at the burn. Vectorised;
    the burn is along the chaser's local horizontal, in its orbit plane.
    """
    r_c = np.asarray(r_chaser_m, dtype=float)
    v_c = np.asarray(v_chaser_m_s, dtype=float)
    r_t = np.asarray(r_target_m, dtype=float)
    v_t = np.asarray(v_target_m_s, dtype=float)
    r = _norm(r_c)
    x_hat = r_c / r[..., None]
    y_hat = np.cross(_unit(np.cross(r_c, v_c)), x_hat)
    big_r = _orbit_radius_along(-r_c, r_t, v_t, mu_m3_s2) - np.asarray(dh_m, dtype=float)
    p = 2.0 * r * big_r / (r + big_r)
    v_h_new = np.sqrt(mu_m3_s2 * p) / r
    return (v_h_new - _dot(v_c, y_hat))[..., None] * y_hat


def _tpi_search(
    r_c: Array,
    v_c: Array,
    r_t: Array,
    v_t: Array,
    elevation_rad: float,
    horizon_s: float,
    step_s: float,
    mu: float,
) -> float | None:
    """First time in (0, horizon] at which the elevation rises through ``elevation_rad``."""
    ts = np.arange(0.0, horizon_s + step_s, step_s)
    rc, _ = kepler.propagate(r_c, v_c, ts, mu)
    rt, _ = kepler.propagate(r_t, v_t, ts, mu)
    el = los_elevation(rc, rt) - elevation_rad
    up = np.flatnonzero((el[:-1] < 0.0) & (el[1:] >= 0.0))
    if up.size == 0:
        return None
    i = int(up[0])

    def f(t: float) -> float:
        a, _ = kepler.propagate(r_c, v_c, t, mu)
        b, _ = kepler.propagate(r_t, v_t, t, mu)
        return float(los_elevation(a, b)) - elevation_rad

    if el[i + 1] == 0.0:
        return float(ts[i + 1])
    return float(brentq(f, ts[i], ts[i + 1], xtol=1e-7, rtol=1e-15))


def tpi_time(
    r_chaser_m: ArrayLike,
    v_chaser_m_s: ArrayLike,
    r_target_m: ArrayLike,
    v_target_m_s: ArrayLike,
    *,
    elevation_rad: float = TPI_ELEVATION_RAD,
    horizon_s: float = 6 * 3600.0,
    step_s: float = 60.0,
    mu_m3_s2: float = MU_EARTH_M3_S2,
) -> float:
    """Time (s after the given states) at which the line-of-sight elevation from chaser to
    target (:func:`houston.dynamics.rendezvous.los_elevation`) first rises through
    ``elevation_rad``: the TPI condition. Two-body coasting; sampled every ``step_s`` and
    refined by Brent's method to 1e-7 s.

    Raises
    ------
    ValueError
        If the elevation does not rise through the angle within ``horizon_s``.
    """
    r_c = _vec3(r_chaser_m, "r_chaser_m")
    v_c = _vec3(v_chaser_m_s, "v_chaser_m_s")
    r_t = _vec3(r_target_m, "r_target_m")
    v_t = _vec3(v_target_m_s, "v_target_m_s")
    t = _tpi_search(r_c, v_c, r_t, v_t, elevation_rad, horizon_s, step_s, mu_m3_s2)
    if t is None:
        raise ValueError(
            f"the line-of-sight elevation does not rise through "
            f"{np.degrees(elevation_rad):.2f} deg within {horizon_s:.0f} s"
        )
    return t


@dataclass(frozen=True)
class CoellipticPlan:
    """A coelliptic sequence: the burns and its milestones (times in s after the states).

    ``dh_m`` is the height difference at NSR (:func:`height_difference`), which the
    coelliptic orbit keeps until TPI; ``t_nc_s`` is the NC time even when no NC burn was
    needed (no TPI time requested).
    """

    plan: BurnPlan
    t_nc_s: float
    t_nh_s: float
    t_nsr_s: float
    t_tpi_s: float
    t_tpf_s: float
    dh_m: float
    tpi_elevation_rad: float
    transfer_angle_rad: float


@dataclass(frozen=True)
class _Run:
    """The sequence flown for one NC burn (times in s after the states)."""

    v_nc_after: Array
    t_nh: float
    r_nh: Array
    v_nh: Array
    dv_nh: Array
    t_nsr: float
    r_nsr: Array
    v_nsr: Array
    dv_nsr: Array
    dh: float
    t_tpi: float | None
    too_early: bool


class _Sequence:
    """The sequence as a function of the NC burn, for the phasing search."""

    def __init__(
        self,
        r_c: Array,
        v_c: Array,
        r_t: Array,
        v_t: Array,
        t_nc: float,
        dh: float,
        elevation: float,
        horizon: float,
        mu: float,
    ) -> None:
        self.r_t, self.v_t, self.mu = r_t, v_t, mu
        self.t_nc, self.dh, self.elevation, self.horizon = t_nc, dh, elevation, horizon
        self.r_nc, self.v_nc = kepler.propagate(r_c, v_c, t_nc, mu)
        x_hat = self.r_nc / _norm(self.r_nc)
        self.y_nc = np.cross(_unit(np.cross(self.r_nc, self.v_nc)), x_hat)

    def target(self, t: float) -> tuple[Array, Array]:
        return kepler.propagate(self.r_t, self.v_t, t, self.mu)

    def run(self, dv_nc: float) -> _Run:
        mu = self.mu
        v1 = self.v_nc + dv_nc * self.y_nc
        t_nh = self.t_nc + time_to_travel(self.r_nc, v1, np.pi, mu)
        r_nh, v_nh = kepler.propagate(self.r_nc, v1, t_nh - self.t_nc, mu)
        dv_nh = height_adjust_dv(r_nh, v_nh, *self.target(t_nh), self.dh, mu)
        t_nsr = t_nh + time_to_travel(r_nh, v_nh + dv_nh, np.pi, mu)
        r_nsr, v_nsr = kepler.propagate(r_nh, v_nh + dv_nh, t_nsr - t_nh, mu)
        r_t3, v_t3 = self.target(t_nsr)
        dv_nsr = coelliptic_dv(r_nsr, v_nsr, r_t3, v_t3, mu)
        v3 = v_nsr + dv_nsr
        t = _tpi_search(r_nsr, v3, r_t3, v_t3, self.elevation, self.horizon, 60.0, mu)
        dr, _ = to_lvlh(r_nsr, v3, r_t3, v_t3)
        # With no rising crossing ahead, the chaser is either past the TPI point already
        # (ahead of the target, or above the elevation) or too slow to reach it in time.
        too_early = t is None and bool(dr[1] > 0.0 or los_elevation(r_nsr, r_t3) >= self.elevation)
        return _Run(
            v_nc_after=v1,
            t_nh=t_nh,
            r_nh=r_nh,
            v_nh=v_nh,
            dv_nh=dv_nh,
            t_nsr=t_nsr,
            r_nsr=r_nsr,
            v_nsr=v_nsr,
            dv_nsr=dv_nsr,
            dh=float(height_difference(r_nsr, r_t3, v_t3, mu)),
            t_tpi=None if t is None else t_nsr + t,
            too_early=too_early,
        )

    def tpi_at(self, dv_nc: float) -> float:
        """TPI time for this NC burn (s), +inf if never reached, -inf if already passed."""
        out = self.run(dv_nc)
        if out.t_tpi is None:
            return -np.inf if out.too_early else np.inf
        return out.t_tpi


def _solve_nc(seq: _Sequence, t_tpi: float, dv_max: float) -> float:
    """NC burn (m/s, horizontal) that puts TPI at ``t_tpi``.

    A posigrade NC raises the chaser's mean height before NSR, so it closes more slowly and
    TPI comes later: the TPI time increases with the burn. The bracket grows by doubling from
    0.5 m/s; bisection runs while an end is infinite (TPI missed), then Brent's method.
    """

    def g(dv: float) -> float:
        return seq.tpi_at(dv) - t_tpi

    g0 = g(0.0)
    if g0 == 0.0:
        return 0.0
    sign = -1.0 if g0 > 0.0 else 1.0
    a, g_a = 0.0, g0
    step = 0.5
    while True:
        b = sign * step
        if abs(b) > dv_max:
            raise ValueError(
                f"no NC burn within {dv_max:g} m/s puts TPI at {t_tpi:.1f} s "
                f"(without NC, TPI comes at {g0 + t_tpi:.1f} s)"
            )
        g_b = g(b)
        if np.sign(g_b) != np.sign(g0):
            break
        a, g_a = b, g_b
        step *= 2.0
    for _ in range(200):
        if np.isfinite(g_a) and np.isfinite(g_b):
            lo, hi = sorted((a, b))
            return float(brentq(g, lo, hi, xtol=1e-12, rtol=1e-15))
        m = 0.5 * (a + b)
        g_m = g(m)
        if g_m == 0.0 or abs(b - a) < 1e-12:
            return m
        if np.sign(g_m) == np.sign(g_a):
            a, g_a = m, g_m
        else:
            b, g_b = m, g_m
    return 0.5 * (a + b)


def coelliptic_sequence(
    r_chaser_m: ArrayLike,
    v_chaser_m_s: ArrayLike,
    r_target_m: ArrayLike,
    v_target_m_s: ArrayLike,
    *,
    t_nc_s: float,
    dh_m: float,
    t_tpi_s: float | None = None,
    tpi_elevation_rad: float = TPI_ELEVATION_RAD,
    transfer_angle_rad: float = TPI_TRANSFER_RAD,
    closing_rate_m_s: float = 0.0,
    horizon_s: float = 8 * 3600.0,
    nc_dv_max_m_s: float = 100.0,
    mu_m3_s2: float = MU_EARTH_M3_S2,
) -> CoellipticPlan:
    """Plan NC, NH, NSR, TPI and TPF from chaser and target states at a common instant.

    Parameters
    ----------
    r_chaser_m, v_chaser_m_s, r_target_m, v_target_m_s
        GCRF states (m, m/s), shape ``(3,)``, at time 0.
    t_nc_s
        Time of NC (s). NH follows 180 deg of chaser travel later, NSR 180 deg after NH.
    dh_m
        Height of the target's orbit above the chaser at NSR (m), kept until TPI.
    t_tpi_s
        Requested TPI time (s). The NC burn is solved (bisection, then Brent) so that the
        line-of-sight elevation reaches ``tpi_elevation_rad`` then. ``None``: no NC burn,
        TPI falls where the coelliptic drift puts it.
    tpi_elevation_rad, transfer_angle_rad
        TPI elevation and target travel from TPI to TPF (defaults 27 and 130 deg, the
        Gemini/Apollo convention).
    closing_rate_m_s
        Relative speed left along the line of sight by TPF (0 to match velocities).
    horizon_s
        How long after NSR to look for the TPI condition.
    nc_dv_max_m_s
        Largest NC burn tried.

    Raises
    ------
    ValueError
        If TPI is not reached within ``horizon_s`` or no NC burn reaches ``t_tpi_s``.
    """
    r_c = _vec3(r_chaser_m, "r_chaser_m")
    v_c = _vec3(v_chaser_m_s, "v_chaser_m_s")
    r_t = _vec3(r_target_m, "r_target_m")
    v_t = _vec3(v_target_m_s, "v_target_m_s")
    mu = mu_m3_s2
    seq = _Sequence(r_c, v_c, r_t, v_t, t_nc_s, dh_m, tpi_elevation_rad, horizon_s, mu)
    dv_nc = 0.0 if t_tpi_s is None else _solve_nc(seq, t_tpi_s, nc_dv_max_m_s)
    out = seq.run(dv_nc)
    if out.t_tpi is None:
        raise ValueError(
            f"TPI elevation {np.degrees(tpi_elevation_rad):.2f} deg not reached within "
            f"{horizon_s:.0f} s after NSR"
            + (" (the chaser is already past the TPI point)" if out.too_early else "")
        )
    r_tt, v_tt = seq.target(out.t_tpi)
    tof = time_to_travel(r_tt, v_tt, transfer_angle_rad, mu)
    # The terminal phase, from the state after NSR, as a Lambert plan.
    r_t3, v_t3 = seq.target(out.t_nsr)
    terminal = lambert_plan(
        out.r_nsr,
        out.v_nsr + out.dv_nsr,
        r_t3,
        v_t3,
        out.t_tpi - out.t_nsr,
        tof,
        mu_m3_s2=mu,
        closing_rate_m_s=closing_rate_m_s,
    )
    burns = []
    if dv_nc != 0.0:
        burns.append(_burn("NC", t_nc_s, seq.r_nc, seq.v_nc, dv_nc * seq.y_nc))
    burns.append(_burn("NH", out.t_nh, out.r_nh, out.v_nh, out.dv_nh))
    burns.append(_burn("NSR", out.t_nsr, out.r_nsr, out.v_nsr, out.dv_nsr))
    burns.extend(replace(b, t_s=b.t_s + out.t_nsr) for b in terminal.burns)
    return CoellipticPlan(
        plan=BurnPlan(tuple(burns)),
        t_nc_s=float(t_nc_s),
        t_nh_s=out.t_nh,
        t_nsr_s=out.t_nsr,
        t_tpi_s=out.t_tpi,
        t_tpf_s=out.t_tpi + tof,
        dh_m=out.dh,
        tpi_elevation_rad=float(tpi_elevation_rad),
        transfer_angle_rad=float(transfer_angle_rad),
    )

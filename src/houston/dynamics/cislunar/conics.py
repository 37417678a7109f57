"""Approach hyperbolas and the B-plane: the Moon-centred side of a patched conic.

A hyperbolic approach is described by its incoming asymptote (the direction of motion far
from the body, ``s_hat``, and the hyperbolic excess speed ``v_inf``) and by the impact
parameter vector ``B``: the vector from the body's centre to the point where the incoming
asymptote crosses the plane through the centre normal to ``s_hat`` (Kizner, W., "A method of
describing miss distances for lunar and interplanetary trajectories", *Planetary and Space
Science* 7, 1961, 125-131). With the body's pole ``k``, the B-plane axes are
``T = s_hat x k / |s_hat x k|`` (parallel to the body's equator) and ``R = s_hat x T`` (pointing
towards the body's south): ``B.T`` fixes the inclination of the approach,
``cos i = (B.T / |B|) |s_hat x k|``, and the sign of ``B.R`` the side (positive: the asymptote
passes south of the centre).

Conic relations used (any text on hyperbolic orbits, e.g. Curtis, *Orbital Mechanics for
Engineering Students*, ch. 2 and 3; Bate, Mueller & White, *Fundamentals of Astrodynamics*,
1971, ch. 1, 4 and 7):

* ``h = b v_inf``, ``p = h^2 / mu``, ``e = sqrt(1 + (b v_inf^2 / mu)^2)``, ``a = -mu / v_inf^2``,
  periapsis ``r_p = mu (e - 1) / v_inf^2``, hence ``b = r_p sqrt(1 + 2 mu / (r_p v_inf^2))``;
* the incoming asymptote (true anomaly ``-acos(-1/e)``) has direction
  ``s_hat = p_hat / e + sqrt(1 - 1/e^2) q_hat`` with ``p_hat`` towards periapsis and
  ``q_hat = h_hat x p_hat``; ``B`` is along ``s_hat x h_hat``, and conversely
  ``p_hat = s_hat / e + sqrt(1 - 1/e^2) B_hat``;
* on the incoming branch, ``r = a (1 - e cosh F)`` with ``F < 0``, and the time to periapsis is
  ``(e sinh|F| - |F|) / sqrt(mu / |a|^3)``;
* seen from the centre, the vehicle's direction turns from ``-s_hat`` (far away) by
  ``acos(-1/e) - acos((p/r - 1)/e)`` by the time it is down to radius ``r`` inbound, which is
  how :func:`b_through_point` finds the hyperbola through a given point.

SI units; vectors on the last axis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "Approach",
    "approach_from_state",
    "b_for_periapsis",
    "b_target",
    "b_through_point",
    "incoming_state",
]

Array = NDArray[np.float64]


def _unit(x: Array) -> Array:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


@dataclass(frozen=True)
class Approach:
    """An approach hyperbola seen from the body: incoming asymptote ``s_hat`` (unit), excess
    speed ``v_inf_m_s``, impact vector ``b_m`` (``(3,)``, m), its B-plane components
    ``b_t_m``, ``b_r_m`` for the pole used, periapsis radius ``r_p_m``, eccentricity, and
    inclination ``inclination_rad`` to the equator of that pole."""

    s_hat: Array
    v_inf_m_s: float
    b_m: Array
    b_t_m: float
    b_r_m: float
    r_p_m: float
    ecc: float
    inclination_rad: float


def _b_axes(s_hat: Array, pole: Array) -> tuple[Array, Array]:
    t_hat = _unit(np.cross(s_hat, pole))
    return t_hat, np.cross(s_hat, t_hat)


def approach_from_state(r_m: ArrayLike, v_m_s: ArrayLike, mu: float, pole: ArrayLike) -> Approach:
    """The osculating approach hyperbola of a body-centred state (``(3,)`` each).

    Raises ``ValueError`` if the osculating orbit is not hyperbolic.
    """
    r = np.asarray(r_m, dtype=float)
    v = np.asarray(v_m_s, dtype=float)
    k = _unit(np.asarray(pole, dtype=float))
    rn = float(np.linalg.norm(r))
    energy = 0.5 * float(v @ v) - mu / rn
    if energy <= 0.0:
        raise ValueError(
            f"the state is bound to the body (energy {energy:.4g} J/kg): no approach hyperbola"
        )
    v_inf = np.sqrt(2.0 * energy)
    h = np.cross(r, v)
    h_hat = _unit(h)
    e_vec = ((float(v @ v) - mu / rn) * r - float(r @ v) * v) / mu
    ecc = float(np.linalg.norm(e_vec))
    p_hat = e_vec / ecc
    q_hat = np.cross(h_hat, p_hat)
    s_hat = p_hat / ecc + np.sqrt(1.0 - 1.0 / ecc**2) * q_hat
    b_vec = float(np.linalg.norm(h)) / v_inf * np.cross(s_hat, h_hat)
    t_hat, r_hat = _b_axes(s_hat, k)
    return Approach(
        s_hat=s_hat,
        v_inf_m_s=float(v_inf),
        b_m=b_vec,
        b_t_m=float(b_vec @ t_hat),
        b_r_m=float(b_vec @ r_hat),
        r_p_m=float(mu * (ecc - 1.0) / v_inf**2),
        ecc=ecc,
        inclination_rad=float(np.arccos(np.clip(h_hat @ k, -1.0, 1.0))),
    )


def b_for_periapsis(r_p_m: float, v_inf_m_s: float, mu: float) -> float:
    """Impact parameter (m) of the hyperbola with periapsis ``r_p_m`` and excess speed."""
    return float(r_p_m * np.sqrt(1.0 + 2.0 * mu / (r_p_m * v_inf_m_s**2)))


def b_target(
    s_hat: ArrayLike,
    v_inf_m_s: float,
    r_p_m: float,
    inclination_rad: float,
    pole: ArrayLike,
    mu: float,
    south: bool = True,
) -> Array:
    """The impact vector ``B`` (m, ``(3,)``) that gives periapsis ``r_p_m`` and inclination
    ``inclination_rad`` (0 to pi, to the equator of ``pole``) for the asymptote ``s_hat``.

    ``B.T = b cos i / |s x k|``, ``B.R = +-b sqrt(1 - (cos i / |s x k|)^2)``, ``+`` when
    ``south``. Raises ``ValueError`` when the inclination is below the asymptote's
    declination (``|cos i| > |s x k|``), which no approach from that direction can reach.
    """
    s = _unit(np.asarray(s_hat, dtype=float))
    k = _unit(np.asarray(pole, dtype=float))
    sin_sigma = float(np.linalg.norm(np.cross(s, k)))
    c = np.cos(inclination_rad) / sin_sigma
    if abs(c) > 1.0:
        dec = np.degrees(np.arcsin(np.clip(s @ k, -1.0, 1.0)))
        raise ValueError(
            f"inclination {np.degrees(inclination_rad):.3f} deg is out of reach of an approach "
            f"whose asymptote has declination {dec:.3f} deg to the body's equator"
        )
    b = b_for_periapsis(r_p_m, v_inf_m_s, mu)
    t_hat, r_hat = _b_axes(s, k)
    sign = 1.0 if south else -1.0
    return b * (c * t_hat + sign * np.sqrt(1.0 - c * c) * r_hat)


def incoming_state(
    s_hat: ArrayLike, b_m: ArrayLike, v_inf_m_s: float, mu: float, radius_m: float
) -> tuple[Array, Array, float]:
    """Position (m) and velocity (m/s) where the approach hyperbola of asymptote ``s_hat``,
    impact vector ``b_m`` and excess speed crosses ``radius_m`` inbound, and the time (s) from
    there to periapsis."""
    s = _unit(np.asarray(s_hat, dtype=float))
    bvec = np.asarray(b_m, dtype=float)
    b = float(np.linalg.norm(bvec))
    b_hat = bvec / b
    h_hat = np.cross(b_hat, s)
    ecc = float(np.sqrt(1.0 + (b * v_inf_m_s**2 / mu) ** 2))
    p_hat = s / ecc + np.sqrt(1.0 - 1.0 / ecc**2) * b_hat
    q_hat = np.cross(h_hat, p_hat)
    a_abs = mu / v_inf_m_s**2
    p = b * b * v_inf_m_s**2 / mu
    cosh_f = (1.0 + radius_m / a_abs) / ecc
    if cosh_f < 1.0:
        raise ValueError(f"the hyperbola never reaches radius {radius_m} m")
    f = float(np.arccosh(cosh_f))
    nu = -2.0 * np.arctan(np.sqrt((ecc + 1.0) / (ecc - 1.0)) * np.tanh(0.5 * f))
    r = radius_m * (np.cos(nu) * p_hat + np.sin(nu) * q_hat)
    v = np.sqrt(mu / p) * (-np.sin(nu) * p_hat + (ecc + np.cos(nu)) * q_hat)
    dt = (ecc * np.sinh(f) - f) / np.sqrt(mu / a_abs**3)
    return r, v, float(dt)


def b_through_point(
    s_hat: ArrayLike, v_inf_m_s: float, point_m: ArrayLike, mu: float
) -> tuple[Array, float]:
    """The impact vector ``B`` (m, ``(3,)``) of the approach hyperbola of asymptote ``s_hat``
    and excess speed ``v_inf_m_s`` that passes through ``point_m`` on its inbound branch, and
    the time (s) from there to periapsis.

    The hyperbola lies in the plane of ``s_hat`` and the point, ``B`` on the point's side;
    ``|B|`` is the root (Brent's method) of the turning angle at the point's radius (module
    docstring), between a radial fall (``b -> 0``, no turn) and the hyperbola that grazes the
    point's radius. Raises ``ValueError`` if the point is beyond that grazing turn.
    """
    s = _unit(np.asarray(s_hat, dtype=float))
    pt = np.asarray(point_m, dtype=float)
    radius = float(np.linalg.norm(pt))
    perp = pt - (pt @ s) * s
    if float(np.linalg.norm(perp)) < 1e-9 * radius:
        raise ValueError("the point lies on the asymptote's line: the approach plane is undefined")
    b_hat = _unit(perp)
    theta = float(np.arccos(np.clip(-(pt @ s) / radius, -1.0, 1.0)))
    v2 = v_inf_m_s**2

    def turn(b: float) -> float:
        ecc = np.sqrt(1.0 + (b * v2 / mu) ** 2)
        p = b * b * v2 / mu
        return float(np.arccos(-1.0 / ecc) - np.arccos(np.clip((p / radius - 1.0) / ecc, -1, 1)))

    b_graze = b_for_periapsis(radius, v_inf_m_s, mu)
    if theta >= turn(b_graze):
        raise ValueError(
            f"the point is {np.degrees(theta):.2f} deg from the approach direction, beyond the "
            f"{np.degrees(turn(b_graze)):.2f} deg an inbound hyperbola turns at its radius"
        )
    from scipy.optimize import brentq

    b = brentq(lambda x: turn(x) - theta, 1e-9 * radius, b_graze, xtol=1e-6, rtol=1e-15)
    b_vec = b * b_hat
    _, _, dt = incoming_state(s, b_vec, v_inf_m_s, mu, radius)
    return b_vec, dt

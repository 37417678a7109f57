"""Relative motion near a target in circular orbit: Clohessy-Wiltshire (Hill) equations.

Frame: the target's LVLH frame (Vallado's RSW, Curtis's co-moving frame), origin at the
target, rotating with it:

* x radial, away from the central body (along ``r_target``);
* y along-track, completing the right-handed set (along the velocity for a circular orbit);
* z cross-track, along the orbit normal ``h = r_target x v_target``.

The closed-form solution and its state-transition blocks Phi_rr, Phi_rv, Phi_vr, Phi_vv are
those of Curtis, *Orbital Mechanics for Engineering Students*, 3rd ed., chapter 7 (the
Clohessy-Wiltshire equations and two-impulse rendezvous), identical to Vallado,
*Fundamentals of Astrodynamics and Applications*, 4th ed., chapter 6 (Hill's equations,
HILLSR). They are the linearisation for small separations about a circular reference orbit.

SI units: m, m/s, s, rad/s. Vectors on the last axis; leading axes broadcast.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["cw_propagate", "cw_two_impulse", "from_lvlh", "lvlh_basis", "to_lvlh"]

Array = NDArray[np.float64]

#: Relative size of the Phi_rv determinant below which the two-impulse problem is singular.
_SINGULAR_RTOL = 1.0e-9


def _dot(a: Array, b: Array) -> Array:
    return np.einsum("...i,...i->...", a, b)


def cw_propagate(dr: ArrayLike, dv: ArrayLike, n: ArrayLike, t: ArrayLike) -> tuple[Array, Array]:
    """Relative state after time ``t`` from the Clohessy-Wiltshire closed-form solution.

    Curtis 3rd ed., chapter 7 (state-transition matrices Phi_rr, Phi_rv, Phi_vr, Phi_vv);
    Vallado 4th ed., chapter 6 (HILLSR). With ``c = cos nt``, ``s = sin nt``::

        x  = (4 - 3c) x0 + s/n vx0 + 2(1 - c)/n vy0
        y  = 6(s - nt) x0 + y0 - 2(1 - c)/n vx0 + (4s - 3nt)/n vy0
        z  = c z0 + s/n vz0
        vx = 3n s x0 + c vx0 + 2s vy0
        vy = -6n(1 - c) x0 - 2s vx0 + (4c - 3) vy0
        vz = -n s z0 + c vz0

    Parameters
    ----------
    dr, dv
        Relative position (m) and velocity (m/s) in the target's LVLH frame, ``(..., 3)``.
    n
        Mean motion of the target's circular orbit (rad/s).
    t
        Elapsed time (s); may be negative.

    Returns
    -------
    dr, dv
        Relative position (m) and velocity (m/s) at ``t``, broadcast shape ``(..., 3)``.
    """
    dr = np.asarray(dr, dtype=float)
    dv = np.asarray(dv, dtype=float)
    n = np.asarray(n, dtype=float)
    t = np.asarray(t, dtype=float)
    x, y, z = dr[..., 0], dr[..., 1], dr[..., 2]
    vx, vy, vz = dv[..., 0], dv[..., 1], dv[..., 2]
    nt = n * t
    c, s = np.cos(nt), np.sin(nt)
    one_m_c = 2.0 * np.sin(0.5 * nt) ** 2
    # s/n and (1 - c)/n written with t so that n -> 0 stays finite (free drift).
    s_n = np.where(nt == 0.0, t, s / np.where(n == 0.0, 1.0, n))
    omc_n = np.where(nt == 0.0, 0.0, one_m_c / np.where(n == 0.0, 1.0, n))
    sin_nt_m_nt_n = np.where(nt == 0.0, 0.0, (s - nt) / np.where(n == 0.0, 1.0, n))

    x1 = (4.0 - 3.0 * c) * x + s_n * vx + 2.0 * omc_n * vy
    y1 = 6.0 * (s - nt) * x + y - 2.0 * omc_n * vx + (4.0 * sin_nt_m_nt_n + t) * vy
    z1 = c * z + s_n * vz
    vx1 = 3.0 * n * s * x + c * vx + 2.0 * s * vy
    vy1 = -6.0 * n * one_m_c * x - 2.0 * s * vx + (4.0 * c - 3.0) * vy
    vz1 = -n * s * z + c * vz
    return np.stack(np.broadcast_arrays(x1, y1, z1), axis=-1), np.stack(
        np.broadcast_arrays(vx1, vy1, vz1), axis=-1
    )


def cw_two_impulse(
    dr0: ArrayLike, dv0: ArrayLike, n: ArrayLike, t: ArrayLike
) -> tuple[Array, Array]:
    """The two impulses that bring a relative state to rest at the origin in time ``t``.

    Curtis 3rd ed., chapter 7 (two-impulse rendezvous): the first burn sets the velocity to
    ``dv0+ = -Phi_rv^-1 Phi_rr dr0``, the arrival velocity is
    ``dvf- = Phi_vr dr0 + Phi_vv dv0+``, and the second burn cancels it.

    Parameters
    ----------
    dr0, dv0
        Relative position (m) and velocity (m/s) in the target's LVLH frame, ``(..., 3)``.
    n
        Mean motion of the target's circular orbit (rad/s), positive.
    t
        Transfer time (s), positive.

    Returns
    -------
    dv1, dv2
        Velocity changes (m/s, LVLH) at departure and at arrival, shape ``(..., 3)``.

    Raises
    ------
    ValueError
        If ``Phi_rv`` is singular for some element: in-plane when
        ``8(1 - cos nt) - 3 nt sin nt = 0`` (for instance whole orbits, nt = 2 pi k),
        out-of-plane when ``sin nt = 0`` (half orbits); also for ``t <= 0`` or ``n <= 0``.
    """
    dr0 = np.asarray(dr0, dtype=float)
    dv0 = np.asarray(dv0, dtype=float)
    n = np.asarray(n, dtype=float)
    t = np.asarray(t, dtype=float)
    shape = np.broadcast_shapes(dr0.shape[:-1], dv0.shape[:-1], n.shape, t.shape)
    if np.any(~(n > 0.0)) or np.any(~(t > 0.0)):
        raise ValueError("cw_two_impulse needs positive mean motion n and transfer time t")
    nt = n * t
    c, s = np.cos(nt), np.sin(nt)
    one_m_c = 2.0 * np.sin(0.5 * nt) ** 2
    # In-plane block of Phi_rv times n: [[s, 2(1-c)], [-2(1-c), 4s - 3nt]].
    det = 8.0 * one_m_c - 3.0 * nt * s
    # Relative to nt^2 (its small-time behaviour) and to 1 for long transfers.
    bad_in = np.abs(det) <= _SINGULAR_RTOL * np.maximum(nt * nt, 1.0)
    bad_out = np.abs(s) <= _SINGULAR_RTOL * np.maximum(nt, 1.0)
    bad = np.broadcast_to(bad_in | bad_out, shape)
    if np.any(bad):
        i = tuple(int(k) for k in np.unravel_index(int(np.argmax(bad)), shape)) if shape else ()
        raise ValueError(
            f"CW two-impulse transfer is singular at {i}: n t = "
            f"{np.broadcast_to(nt, shape)[i]:.6g} rad makes Phi_rv singular"
        )

    x, y, z = dr0[..., 0], dr0[..., 1], dr0[..., 2]
    # Target position minus Phi_rr dr0 (the target is the origin).
    bx = -(4.0 - 3.0 * c) * x
    by = -(6.0 * (s - nt) * x + y)
    bz = -c * z
    # Solve the in-plane 2x2 system by its explicit inverse, out-of-plane by division.
    vx = n * ((4.0 * s - 3.0 * nt) * bx - 2.0 * one_m_c * by) / det
    vy = n * (2.0 * one_m_c * bx + s * by) / det
    vz = n * bz / s
    v_plus = np.stack(np.broadcast_arrays(vx, vy, vz), axis=-1)
    _, v_arrive = cw_propagate(dr0, v_plus, n, t)
    dv0_b = np.broadcast_to(dv0, v_plus.shape)
    return v_plus - dv0_b, -v_arrive


def lvlh_basis(r_target: ArrayLike, v_target: ArrayLike) -> Array:
    """Rotation matrix from inertial axes to the target's LVLH axes, shape ``(..., 3, 3)``.

    Rows are the LVLH unit vectors in inertial axes: x = r/|r| (radial, outward),
    z = h/|h| with h = r x v (orbit normal), y = z x x (along-track). A vector ``a_I`` has
    LVLH components ``basis @ a_I``. This is Vallado's RSW frame (4th ed., chapter 3).
    """
    r = np.asarray(r_target, dtype=float)
    v = np.asarray(v_target, dtype=float)
    shape = np.broadcast_shapes(r.shape[:-1], v.shape[:-1])
    r = np.broadcast_to(r, (*shape, 3))
    v = np.broadcast_to(v, (*shape, 3))
    x_hat = r / np.sqrt(_dot(r, r))[..., None]
    h = np.cross(r, v)
    z_hat = h / np.sqrt(_dot(h, h))[..., None]
    y_hat = np.cross(z_hat, x_hat)
    return np.stack([x_hat, y_hat, z_hat], axis=-2)


def lvlh_to_inertial(r_m: ArrayLike, v_m_s: ArrayLike, vec: ArrayLike) -> Array:
    """Inertial components of vectors given in the LVLH frame of ``(r, v)`` (x radial out,
    y along-track, z orbit normal), all ``(..., 3)``: ``basis^T @ vec`` with
    :func:`lvlh_basis`."""
    basis = lvlh_basis(r_m, v_m_s)
    vec = np.asarray(vec, dtype=float)
    return (
        vec[..., 0:1] * basis[..., 0, :]
        + vec[..., 1:2] * basis[..., 1, :]
        + vec[..., 2:3] * basis[..., 2, :]
    )


def _frame_rate(r: Array, v: Array) -> Array:
    """Angular velocity of the LVLH frame in inertial axes, ``h / r^2`` (two-body motion)."""
    return np.cross(r, v) / _dot(r, r)[..., None]


def to_lvlh(
    r_chaser: ArrayLike, v_chaser: ArrayLike, r_target: ArrayLike, v_target: ArrayLike
) -> tuple[Array, Array]:
    """Chaser state relative to the target, in the target's rotating LVLH frame.

    ``dr = Q (r_c - r_t)`` and ``dv = Q (v_c - v_t - omega x (r_c - r_t))``, with ``Q`` from
    :func:`lvlh_basis` and the frame rate ``omega = h / r_t^2`` of a Keplerian target
    (Curtis 3rd ed., chapter 7, relative motion in a rotating frame). Inputs in m and
    m/s, ``(..., 3)``, broadcasting; outputs in m and m/s.
    """
    r_c = np.asarray(r_chaser, dtype=float)
    v_c = np.asarray(v_chaser, dtype=float)
    r_t = np.asarray(r_target, dtype=float)
    v_t = np.asarray(v_target, dtype=float)
    q = lvlh_basis(r_t, v_t)
    omega = _frame_rate(r_t, v_t)
    dr_i = r_c - r_t
    dv_i = v_c - v_t - np.cross(omega, dr_i)
    return np.einsum("...ij,...j->...i", q, dr_i), np.einsum("...ij,...j->...i", q, dv_i)


def from_lvlh(
    dr: ArrayLike, dv: ArrayLike, r_target: ArrayLike, v_target: ArrayLike
) -> tuple[Array, Array]:
    """Inverse of :func:`to_lvlh`: inertial chaser position (m) and velocity (m/s).

    ``r_c = r_t + Q^T dr`` and ``v_c = v_t + Q^T dv + omega x (Q^T dr)``.
    """
    dr = np.asarray(dr, dtype=float)
    dv = np.asarray(dv, dtype=float)
    r_t = np.asarray(r_target, dtype=float)
    v_t = np.asarray(v_target, dtype=float)
    q = lvlh_basis(r_t, v_t)
    omega = _frame_rate(r_t, v_t)
    dr_i = np.einsum("...ji,...j->...i", q, dr)
    dv_i = np.einsum("...ji,...j->...i", q, dv) + np.cross(omega, dr_i)
    return r_t + dr_i, v_t + dv_i

"""Classical orbital elements, anomalies and Kepler's equation.

State vectors to classical elements follow Vallado, *Fundamentals of Astrodynamics and
Applications*, 4th ed., Algorithm 9 (RV2COE); elements to state vectors follow Algorithm 10
(COE2RV); the anomaly conversions follow Algorithms 2 to 6 (KEPEQTNE, KEPEQTNP, KEPEQTNH,
nu-to-anomaly and anomaly-to-nu). Angles are computed with ``arctan2`` rather than Vallado's
``arccos`` plus quadrant checks: the results are the same angles, without the loss of precision
of ``arccos`` near 0 and pi.

Units are SI: metres, metres per second, seconds, radians, m^3/s^2. Vectors are the last axis
(length 3) and every argument broadcasts over the leading axes.

Conventions for the singular cases
----------------------------------
Classical elements are undefined for circular orbits (no periapsis) and equatorial orbits (no
node). ``rv_to_coe`` then returns a set that ``coe_to_rv`` maps back to the same state:

* equatorial (``inc`` below ``SMALL`` or within ``SMALL`` of pi): ``raan = 0``;
* circular (``ecc`` below ``SMALL``): ``argp = 0`` and ``nu`` is measured from the node, or
  from the x axis when the orbit is also equatorial;
* elliptic equatorial: ``argp`` is the longitude of periapsis.

Every angle measured in the orbit plane is measured in the direction of motion (about the
angular momentum), so for retrograde equatorial orbits ``lonper`` and ``truelon`` are
``2 pi`` minus the angle seen from +z, as in Vallado's Algorithm 9. The special angles are
NaN where they are undefined:

* ``arglat`` (argument of latitude, node to position), for every inclined orbit;
* ``truelon`` (true longitude, x axis to position), for every equatorial orbit;
* ``lonper`` (longitude of periapsis, x axis to periapsis), for non-circular equatorial orbits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "SMALL",
    "ClassicalElements",
    "coe_to_rv",
    "eccentric_to_mean",
    "eccentric_to_true",
    "mean_motion",
    "mean_to_eccentric",
    "mean_to_true",
    "period",
    "rv_to_coe",
    "true_to_eccentric",
    "true_to_mean",
]

#: Threshold below which an orbit counts as circular (eccentricity) or equatorial (inclination,
#: rad, from 0 or pi), and within which of 1 an eccentricity counts as parabolic (Vallado 4th
#: ed., Algorithm 9, uses the same ``small``).
SMALL = 1.0e-10

_TWO_PI = 2.0 * np.pi
_MAX_ITER = 100
_EPS = np.finfo(float).eps

Array = NDArray[np.float64]


@dataclass(frozen=True)
class ClassicalElements:
    """Classical orbital elements (Vallado 4th ed., Algorithm 9), arrays of one shape.

    Attributes
    ----------
    p : semi-latus rectum (semiparameter), m.
    a : semi-major axis, m; negative for hyperbolas, ``inf`` for parabolas.
    ecc : eccentricity (dimensionless).
    inc : inclination, rad, in [0, pi].
    raan : right ascension of the ascending node, rad, in [0, 2 pi); 0 if equatorial.
    argp : argument of periapsis, rad, in [0, 2 pi); 0 if circular; the longitude of
        periapsis if elliptic equatorial.
    nu : true anomaly, rad, in [0, 2 pi); from the node (circular inclined) or the x axis
        (circular equatorial) when there is no periapsis.
    arglat : argument of latitude, rad; NaN for equatorial orbits.
    truelon : true longitude, rad; NaN for inclined orbits.
    lonper : longitude of periapsis, rad; NaN unless elliptic equatorial.
    """

    p: Array
    a: Array
    ecc: Array
    inc: Array
    raan: Array
    argp: Array
    nu: Array
    arglat: Array
    truelon: Array
    lonper: Array


def _dot(a: Array, b: Array) -> Array:
    return np.einsum("...i,...i->...", a, b)


def _angle_about(a: Array, b: Array, axis: Array) -> Array:
    """Angle from ``a`` to ``b`` measured positively about the unit vector ``axis``, [0, 2 pi)."""
    ang = np.arctan2(_dot(np.cross(a, b), axis), _dot(a, b))
    return np.mod(ang, _TWO_PI)


def rv_to_coe(r: ArrayLike, v: ArrayLike, mu: ArrayLike) -> ClassicalElements:
    """Classical orbital elements from position (m) and velocity (m/s), Vallado Algorithm 9.

    Source: Vallado, *Fundamentals of Astrodynamics and Applications*, 4th ed., Algorithm 9
    (RV2COE), worked in Example 2-5. ``mu`` is in m^3/s^2. Shapes: ``r``, ``v`` are
    ``(..., 3)``; every field of the result has the broadcast leading shape. See the module
    docstring for the circular and equatorial conventions.
    """
    r = np.asarray(r, dtype=float)
    v = np.asarray(v, dtype=float)
    mu = np.asarray(mu, dtype=float)
    shape = np.broadcast_shapes(r.shape[:-1], v.shape[:-1], mu.shape)
    r = np.broadcast_to(r, (*shape, 3))
    v = np.broadcast_to(v, (*shape, 3))
    mu = np.broadcast_to(mu, shape)

    rn = np.sqrt(_dot(r, r))
    v2 = _dot(v, v)
    rv = _dot(r, v)
    h = np.cross(r, v)
    hn = np.sqrt(_dot(h, h))
    h_hat = h / hn[..., None]
    node = np.stack([-h[..., 1], h[..., 0], np.zeros(shape)], axis=-1)  # K x h
    node_n = np.sqrt(_dot(node, node))
    e_vec = ((v2 - mu / rn)[..., None] * r - rv[..., None] * v) / mu[..., None]
    ecc = np.sqrt(_dot(e_vec, e_vec))

    p = hn * hn / mu
    parabolic = np.abs(ecc - 1.0) < SMALL
    energy = 0.5 * v2 - mu / rn
    with np.errstate(divide="ignore"):
        a = np.where(parabolic, np.inf, -0.5 * mu / np.where(parabolic, 1.0, energy))
    inc = np.arctan2(np.hypot(h[..., 0], h[..., 1]), h[..., 2])

    equatorial = (inc < SMALL) | (np.pi - inc < SMALL)
    circular = ecc < SMALL
    x_axis = np.broadcast_to(np.array([1.0, 0.0, 0.0]), (*shape, 3))
    # Directions undefined in the singular cases are replaced by harmless stand-ins so that
    # no NaN is produced where the result is then discarded.
    node_dir = np.where(
        equatorial[..., None], x_axis, node / np.where(node_n > 0, node_n, 1.0)[..., None]
    )
    peri_dir = np.where(circular[..., None], node_dir, e_vec)

    raan = np.where(equatorial, 0.0, np.mod(np.arctan2(node[..., 1], node[..., 0]), _TWO_PI))
    argp = np.where(circular, 0.0, _angle_about(node_dir, peri_dir, h_hat))
    nu = _angle_about(peri_dir, r, h_hat)
    arglat = np.where(equatorial, np.nan, _angle_about(node_dir, r, h_hat))
    truelon = np.where(equatorial, _angle_about(x_axis, r, h_hat), np.nan)
    lonper = np.where(equatorial & ~circular, _angle_about(x_axis, e_vec, h_hat), np.nan)
    return ClassicalElements(
        p=p,
        a=a,
        ecc=ecc,
        inc=inc,
        raan=raan,
        argp=argp,
        nu=nu,
        arglat=arglat,
        truelon=truelon,
        lonper=lonper,
    )


def coe_to_rv(
    p: ArrayLike,
    ecc: ArrayLike,
    inc: ArrayLike,
    raan: ArrayLike,
    argp: ArrayLike,
    nu: ArrayLike,
    mu: ArrayLike,
) -> tuple[Array, Array]:
    """Position (m) and velocity (m/s) from classical elements, Vallado Algorithm 10.

    Source: Vallado, *Fundamentals of Astrodynamics and Applications*, 4th ed., Algorithm 10
    (COE2RV), worked in Example 2-6: perifocal position and velocity rotated by
    ``R3(-raan) R1(-inc) R3(-argp)``. ``p`` in m, angles in rad, ``mu`` in m^3/s^2; all
    arguments broadcast and the result has shape ``(..., 3)``. For circular or equatorial
    orbits pass the module's convention (``raan = 0`` / ``argp = 0``, the angle in ``nu``).
    """
    p, ecc, inc, raan, argp, nu, mu = np.broadcast_arrays(
        *(np.asarray(x, dtype=float) for x in (p, ecc, inc, raan, argp, nu, mu))
    )
    cn, sn = np.cos(nu), np.sin(nu)
    rn = p / (1.0 + ecc * cn)
    vs = np.sqrt(mu / p)
    r_p, r_q = rn * cn, rn * sn
    v_p, v_q = -vs * sn, vs * (ecc + cn)

    co, so = np.cos(raan), np.sin(raan)
    cw, sw = np.cos(argp), np.sin(argp)
    ci, si = np.cos(inc), np.sin(inc)
    p_hat = np.stack([co * cw - so * sw * ci, so * cw + co * sw * ci, sw * si], axis=-1)
    q_hat = np.stack([-co * sw - so * cw * ci, -so * sw + co * cw * ci, cw * si], axis=-1)
    r = r_p[..., None] * p_hat + r_q[..., None] * q_hat
    v = v_p[..., None] * p_hat + v_q[..., None] * q_hat
    return r, v


def period(a: ArrayLike, mu: ArrayLike) -> Array:
    """Orbital period ``2 pi sqrt(a^3 / mu)`` in s, for ``a`` in m and ``mu`` in m^3/s^2.

    Kepler's third law (Vallado 4th ed., chapter 2). Non-elliptic orbits (``a <= 0`` or
    ``a = inf``) return ``inf``.
    """
    a = np.asarray(a, dtype=float)
    mu = np.asarray(mu, dtype=float)
    ell = (a > 0.0) & np.isfinite(a)
    a_safe = np.where(ell, a, 1.0)
    return np.where(ell, _TWO_PI * np.sqrt(a_safe**3 / mu), np.inf)


def mean_motion(a: ArrayLike, mu: ArrayLike) -> Array:
    """Mean motion ``sqrt(mu / |a|^3)`` in rad/s, for ``a`` in m and ``mu`` in m^3/s^2.

    For hyperbolas (``a < 0``) this is the hyperbolic mean motion that relates the hyperbolic
    mean anomaly to time (Vallado 4th ed., chapter 2); it is 0 for parabolas (``a = inf``).
    """
    a = np.abs(np.asarray(a, dtype=float))
    return np.sqrt(np.asarray(mu, dtype=float) / a**3)


def true_to_eccentric(nu: ArrayLike, ecc: ArrayLike) -> Array:
    """Eccentric (elliptic), parabolic or hyperbolic anomaly from the true anomaly (rad).

    Vallado 4th ed., Algorithm 5 (nu to anomaly): returns ``E`` for ``ecc < 1``, ``B =
    tan(nu/2)`` for ``ecc == 1`` and ``H`` for ``ecc > 1``. ``E`` is continuous in ``nu``
    (same revolution count); ``H`` is NaN outside the asymptotes ``|nu| < arccos(-1/e)``.
    """
    nu, ecc = np.broadcast_arrays(np.asarray(nu, dtype=float), np.asarray(ecc, dtype=float))
    out = np.full(nu.shape, np.nan)
    ell = ecc < 1.0
    if np.any(ell):
        n, e = nu[ell], ecc[ell]
        turns = np.round(n / _TWO_PI) * _TWO_PI
        nr = n - turns
        out[ell] = np.arctan2(np.sqrt(1.0 - e * e) * np.sin(nr), e + np.cos(nr)) + turns
    par = ecc == 1.0
    out[par] = np.tan(0.5 * nu[par])
    hyp = ecc > 1.0
    if np.any(hyp):
        n, e = nu[hyp], ecc[hyp]
        nr = np.remainder(n + np.pi, _TWO_PI) - np.pi
        with np.errstate(invalid="ignore", divide="ignore"):
            den = 1.0 + e * np.cos(nr)
            val = np.arcsinh(np.sqrt(e * e - 1.0) * np.sin(nr) / den)
        out[hyp] = np.where(den > 0.0, val, np.nan)
    return out


def eccentric_to_true(anomaly: ArrayLike, ecc: ArrayLike) -> Array:
    """True anomaly (rad) from the eccentric, parabolic or hyperbolic anomaly.

    Vallado 4th ed., Algorithm 6 (anomaly to nu): ``E`` for ``ecc < 1`` (result continuous in
    ``E``, same revolution count), ``B`` for ``ecc == 1``, ``H`` for ``ecc > 1`` (result in
    (-pi, pi)).
    """
    an, ecc = np.broadcast_arrays(np.asarray(anomaly, dtype=float), np.asarray(ecc, dtype=float))
    out = np.empty(an.shape)
    ell = ecc < 1.0
    if np.any(ell):
        E, e = an[ell], ecc[ell]
        turns = np.round(E / _TWO_PI) * _TWO_PI
        Er = E - turns
        out[ell] = np.arctan2(np.sqrt(1.0 - e * e) * np.sin(Er), np.cos(Er) - e) + turns
    par = ecc == 1.0
    out[par] = 2.0 * np.arctan(an[par])
    hyp = ecc > 1.0
    if np.any(hyp):
        H, e = an[hyp], ecc[hyp]
        out[hyp] = np.arctan2(np.sqrt(e * e - 1.0) * np.sinh(H), e - np.cosh(H))
    return out


def eccentric_to_mean(anomaly: ArrayLike, ecc: ArrayLike) -> Array:
    """Mean anomaly (rad) from the eccentric, parabolic or hyperbolic anomaly.

    Kepler's equation ``M = E - e sin E``; Barker's equation ``M = B + B^3/3`` for the
    parabola; ``M = e sinh H - H`` for the hyperbola (Vallado 4th ed., chapter 2,
    Algorithms 2 to 4).
    """
    an, ecc = np.broadcast_arrays(np.asarray(anomaly, dtype=float), np.asarray(ecc, dtype=float))
    out = np.empty(an.shape)
    ell = ecc < 1.0
    out[ell] = an[ell] - ecc[ell] * np.sin(an[ell])
    par = ecc == 1.0
    out[par] = an[par] + an[par] ** 3 / 3.0
    hyp = ecc > 1.0
    out[hyp] = ecc[hyp] * np.sinh(an[hyp]) - an[hyp]
    return out


def _safeguarded_halley(
    x: Array,
    lo: Array,
    hi: Array,
    func,  # type: ignore[no-untyped-def]
    xtol: float,
) -> Array:
    """Halley iterations on an increasing function, kept inside [lo, hi] by bisection.

    ``func(x, index)`` returns ``(f, f', f'', scale)`` for the elements ``index``, where
    ``scale`` bounds the magnitude of the terms of ``f`` (a residual below ``8 eps scale`` is
    round-off). All arrays are 1-D; iteration continues on the unconverged subset until every
    element has converged.
    """
    x = x.copy()
    lo = lo.copy()
    hi = hi.copy()
    idx = np.arange(x.size)
    for _ in range(_MAX_ITER):
        if idx.size == 0:
            return x
        xa = x[idx]
        f, d1, d2, scale = func(xa, idx)
        below = f < 0.0
        lo[idx] = np.where(below, xa, lo[idx])
        hi[idx] = np.where(below, hi[idx], xa)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            step = f / d1
            step = step / (1.0 - 0.5 * step * d2 / d1)
            new = xa - step
        # A converged step is accepted before the bracket test, so that a root sitting on a
        # bracket end is not replaced by the bisection fallback.
        small = np.isfinite(new) & (np.abs(new - xa) <= xtol * np.maximum(1.0, np.abs(xa)))
        ok = np.isfinite(new) & (new >= lo[idx]) & (new <= hi[idx])
        new = np.where(small | ok, new, 0.5 * (lo[idx] + hi[idx]))
        at_noise = np.abs(f) <= 8.0 * _EPS * scale
        new = np.where(at_noise, xa, new)
        x[idx] = new
        done = at_noise | small
        done |= hi[idx] - lo[idx] <= xtol * np.maximum(1.0, np.abs(new))
        idx = idx[~done]
    if idx.size:
        raise RuntimeError(f"Kepler's equation did not converge for {idx.size} element(s)")
    return x


def mean_to_eccentric(M: ArrayLike, ecc: ArrayLike) -> Array:
    """Solve Kepler's equation for the eccentric, parabolic or hyperbolic anomaly (rad).

    Vectorised forms of Vallado 4th ed., Algorithm 2 (KEPEQTNE, ``M = E - e sin E``),
    Algorithm 3 (KEPEQTNP, Barker's equation ``M = B + B^3/3``, solved in closed form) and
    Algorithm 4 (KEPEQTNH, ``M = e sinh H - H``). The elliptic and hyperbolic equations are
    solved by Halley iterations inside a bracket that provably contains the root
    (``E`` in ``[M, M + e]`` for ``M`` in [0, pi]; ``H`` in ``[asinh(M/e), asinh(M/(e-1))]``
    for ``M >= 0``; the odd symmetry gives the rest), with bisection as the fallback, to
    ~1e-15 rad. Elliptic ``M`` of any size is accepted; ``E`` then has the same revolution
    count as ``M``.
    """
    M, ecc = np.broadcast_arrays(np.asarray(M, dtype=float), np.asarray(ecc, dtype=float))
    out = np.empty(M.shape)

    ell = ecc < 1.0
    if np.any(ell):
        m_all, e = M[ell], ecc[ell]
        turns = np.round(m_all / _TWO_PI) * _TWO_PI
        mr = m_all - turns
        sgn = np.where(mr < 0.0, -1.0, 1.0)
        m = np.abs(mr)  # in [0, pi]
        lo = m.copy()
        hi = np.minimum(m + e, np.pi)
        # Starting value E = M + 0.85 e (Danby), inside the bracket.
        x0 = np.clip(m + 0.85 * e, lo, hi)

        def kepler_e(x: Array, i: NDArray[np.intp]) -> tuple[Array, Array, Array, Array]:
            es = e[i] * np.sin(x)
            return x - es - m[i], 1.0 - e[i] * np.cos(x), es, x + np.abs(es) + m[i]

        E = _safeguarded_halley(x0, lo, hi, kepler_e, 4.0 * _EPS)
        out[ell] = sgn * E + turns

    par = ecc == 1.0
    if np.any(par):
        mp = M[par]
        m = np.abs(mp)
        # Cardano for B^3 + 3 B - 3 M = 0 (Vallado Algorithm 3 in closed form), then one
        # Newton step to remove the cancellation of w - 1/w for small M.
        w = np.cbrt(1.5 * m + np.sqrt(1.0 + 2.25 * m * m))
        B = w - 1.0 / w
        B = B - (B + B**3 / 3.0 - m) / (1.0 + B * B)
        out[par] = np.sign(mp) * B

    hyp = ecc > 1.0
    if np.any(hyp):
        mh, e = M[hyp], ecc[hyp]
        sgn = np.where(mh < 0.0, -1.0, 1.0)
        m = np.abs(mh)
        lo = np.arcsinh(m / e)
        hi = np.arcsinh(m / (e - 1.0))

        def kepler_h(x: Array, i: NDArray[np.intp]) -> tuple[Array, Array, Array, Array]:
            esh = e[i] * np.sinh(x)
            return esh - x - m[i], e[i] * np.cosh(x) - 1.0, esh, esh + x + m[i]

        H = _safeguarded_halley(hi.copy(), lo, hi, kepler_h, 4.0 * _EPS)
        out[hyp] = sgn * H
    return out


def true_to_mean(nu: ArrayLike, ecc: ArrayLike) -> Array:
    """Mean anomaly (rad) from the true anomaly (rad): Algorithm 5 then Kepler's equation."""
    return eccentric_to_mean(true_to_eccentric(nu, ecc), ecc)


def mean_to_true(M: ArrayLike, ecc: ArrayLike) -> Array:
    """True anomaly (rad) from the mean anomaly (rad): Kepler's equation then Algorithm 6."""
    return eccentric_to_true(mean_to_eccentric(M, ecc), ecc)

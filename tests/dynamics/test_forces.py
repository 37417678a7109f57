"""Tests of houston.dynamics.forces and houston.dynamics.atmosphere: each acceleration against
an independent form (the gradient of a potential, a high-precision difference, the published
table), evaluated through the same compiled kernel the integrator uses."""

from __future__ import annotations

from decimal import Decimal, getcontext

import numpy as np
import pytest
from scipy.special import eval_legendre

from houston.core.constants import (
    AU_M,
    F_EARTH,
    J2_EARTH,
    J3_EARTH,
    J4_EARTH,
    MU_EARTH_M3_S2,
    MU_MOON_M3_S2,
    MU_SUN_M3_S2,
    OMEGA_EARTH_RAD_S,
    R_EARTH_M,
)
from houston.dynamics import atmosphere
from houston.dynamics.forces import (
    Drag,
    ForceModel,
    PointMass,
    Samples,
    ThirdBody,
    Thrust,
    Zonal,
)

MU = MU_EARTH_M3_S2
RNG = np.random.default_rng(7)


def _positions(n, r_min, r_max):
    u = RNG.normal(size=(n, 3))
    u /= np.linalg.norm(u, axis=-1, keepdims=True)
    u[0] = [0.0, 0.0, 1.0]  # over the pole
    u[1] = [1.0, 0.0, 0.0]  # on the equator
    return u * RNG.uniform(r_min, r_max, size=(n, 1))


def _zonal_potential(r, mu, req, js):
    """The zonal part of the potential, ``-(mu/r) sum_n J_n (R/r)^n P_n(z/r)`` (the full one
    adds ``mu/r``), with scipy's Legendre polynomials."""
    rn = np.linalg.norm(r, axis=-1)
    u = r[..., 2] / rn
    out = np.zeros_like(rn)
    for n, jn in enumerate(js, start=2):
        out -= mu / rn * jn * (req / rn) ** n * eval_legendre(n, u)
    return out


@pytest.mark.parametrize(
    "js",
    [
        (J2_EARTH,),
        (J2_EARTH, J3_EARTH, J4_EARTH),
        # beyond J4 the coefficients here are arbitrary: this checks the recursion only
        (J2_EARTH, J3_EARTH, J4_EARTH, -2.3e-7, 5.4e-7, -3.6e-7),
    ],
)
def test_zonal_acceleration_is_the_gradient_of_the_zonal_potential(js):
    """The kernel's zonal acceleration against a 4th-order central difference (step 50 m) of
    the potential built from scipy's Legendre polynomials, at 50 positions from 6400 to
    42,000 km including the pole and the equator: within 1e-9 of the zonal acceleration's
    magnitude (the difference's round-off is ~1e-10, its truncation error ~(h/r)^4)."""
    r = _positions(50, 6.4e6, 4.2e7)
    model = ForceModel([Zonal(MU, R_EARTH_M, js)])
    acc = model.acceleration(0.0, r, np.zeros_like(r))
    h = 50.0
    grad = np.zeros_like(r)
    for k in range(3):
        e = np.zeros(3)
        e[k] = h

        def pot(x):
            return _zonal_potential(x, MU, R_EARTH_M, js)

        grad[:, k] = (8 * (pot(r + e) - pot(r - e)) - (pot(r + 2 * e) - pot(r - 2 * e))) / (12 * h)
    # a = grad U, with U = mu/r + the zonal part computed above
    scale = np.linalg.norm(acc, axis=-1, keepdims=True)
    np.testing.assert_array_less(np.abs(acc - grad) / scale, 1e-9)


def test_j2_matches_its_closed_form():
    """J2 alone against ``a = (3/2) J2 mu R^2 / r^5 (x (5z^2/r^2 - 1), y (...), z (5z^2/r^2 -
    3))`` to round-off (1e-14 relative)."""
    r = _positions(20, 6.5e6, 1e7)
    acc = ForceModel([Zonal(MU, R_EARTH_M, (J2_EARTH,))]).acceleration(0.0, r, np.zeros_like(r))
    rn = np.linalg.norm(r, axis=-1, keepdims=True)
    z2 = (r[:, 2:3] / rn) ** 2
    c = 1.5 * J2_EARTH * MU * R_EARTH_M**2 / rn**5
    expected = c * r * np.concatenate([5 * z2 - 1, 5 * z2 - 1, 5 * z2 - 3], axis=-1)
    np.testing.assert_allclose(acc, expected, rtol=1e-13, atol=0)


def test_zonal_about_a_tilted_pole_is_the_rotated_field():
    """A zonal field about pole p equals the z-pole field rotated onto p (exact up to
    round-off): checks the pole handling used for the Moon's J2."""
    angle = 0.4
    rot = np.array(
        [[1, 0, 0], [0, np.cos(angle), -np.sin(angle)], [0, np.sin(angle), np.cos(angle)]]
    )
    pole = rot @ [0.0, 0.0, 1.0]
    js = (2.0e-4, 1.0e-5, -3.0e-5)
    tilted = ForceModel([Zonal(MU_MOON_M3_S2, 1.7374e6, js, pole=tuple(pole))])
    upright = ForceModel([Zonal(MU_MOON_M3_S2, 1.7374e6, js)])
    r = _positions(20, 1.75e6, 5e6)
    a_tilted = tilted.acceleration(0.0, r @ rot.T, np.zeros_like(r))
    a_upright = upright.acceleration(0.0, r, np.zeros_like(r)) @ rot.T
    np.testing.assert_allclose(a_tilted, a_upright, rtol=0, atol=1e-14 * np.abs(a_upright).max())


def _third_body_decimal(r, s, mu):
    """``-mu [(r - s)/|r - s|^3 + s/|s|^3]`` with 50 significant digits."""
    getcontext().prec = 50
    rd = [Decimal(float(x)) for x in r]
    sd = [Decimal(float(x)) for x in s]
    d = [a - b for a, b in zip(rd, sd, strict=True)]
    dn = sum(x * x for x in d).sqrt()
    sn = sum(x * x for x in sd).sqrt()
    m = Decimal(float(mu))
    return np.array([float(-m * (d[i] / dn**3 + sd[i] / sn**3)) for i in range(3)])


@pytest.mark.parametrize(
    ("mu_b", "dist_m", "r_m"),
    [(MU_MOON_M3_S2, 3.844e8, 6.778e6), (MU_SUN_M3_S2, AU_M, 6.778e6), (MU_SUN_M3_S2, AU_M, 4.2e7)],
)
def test_third_body_in_battins_form_against_a_high_precision_difference(mu_b, dist_m, r_m):
    """The kernel's third-body acceleration (Battin's f(q) form) against the direct difference
    of the two point-mass accelerations in 50-digit decimal arithmetic: within 1e-14 of the
    tidal acceleration (measured 6e-16) for the Moon and the Sun on LEO and GEO vehicles.
    The same difference in double precision loses ~1e-11 for the Sun on LEO (the
    cancellation Battin's form avoids: the two terms agree to 1 part in 4e4)."""
    s = np.array([0.3, -0.8, 0.52])
    s = s / np.linalg.norm(s) * dist_m
    model = ForceModel([ThirdBody(mu_b, Samples(-1e6, 1e5, np.tile(s, (30, 1))))])
    r = _positions(8, r_m, r_m)
    acc = model.acceleration(0.0, r, np.zeros_like(r))
    ref = np.array([_third_body_decimal(x, s, mu_b) for x in r])
    tidal = np.linalg.norm(ref, axis=-1)
    assert np.max(np.linalg.norm(acc - ref, axis=-1) / tidal) < 1e-14
    d = r - s
    naive = -mu_b * (d / np.linalg.norm(d, axis=-1, keepdims=True) ** 3 + s / dist_m**3)
    naive_err = np.max(np.linalg.norm(naive - ref, axis=-1) / tidal)
    assert naive_err < 1e-9  # the formula is right, only less precise


def test_samples_interpolation_is_exact_for_degree_seven_and_fine_for_the_moon():
    """8-point Lagrange interpolation reproduces a degree-7 polynomial (to round-off) and a
    circular lunar orbit sampled hourly to better than 1 um."""
    t_nodes = np.arange(-5, 40) * 3600.0
    coeffs = RNG.normal(size=(8, 3))

    def poly(t):
        x = np.asarray(t)[..., None] / 1e5
        return sum(c * x**k for k, c in enumerate(coeffs)) * 1e6

    samples = Samples(float(t_nodes[0]), 3600.0, poly(t_nodes))
    t = RNG.uniform(t_nodes[0], t_nodes[-1], 200)
    np.testing.assert_allclose(samples.at(t), poly(t), rtol=0, atol=1e-6)

    w = 2 * np.pi / (27.321661 * 86400.0)

    def moon(t):
        t = np.asarray(t)
        return 3.844e8 * np.stack([np.cos(w * t), np.sin(w * t), 0.1 * np.sin(w * t)], -1)

    moon_samples = Samples(float(t_nodes[0]), 3600.0, moon(t_nodes))
    assert np.max(np.abs(moon_samples.at(t) - moon(t))) < 1e-6

    # the compiled kernel interpolates the same way: a callable source sampled every hour
    r = _positions(4, 7e6, 7e6)
    exact = ForceModel(
        [ThirdBody(MU_MOON_M3_S2, Samples(-1e5, 1e5, np.tile(moon(5000.0), (9, 1))))]
    )
    sampled = ForceModel([ThirdBody(MU_MOON_M3_S2, moon)])
    np.testing.assert_allclose(
        sampled.acceleration(5000.0, r, 0 * r), exact.acceleration(5000.0, r, 0 * r), rtol=1e-12
    )


def test_drag_acceleration_against_its_formula():
    """Kernel drag against ``-(1/2) rho (Cd A/m) |v_rel| v_rel``, ``v_rel = v - omega x r``,
    with the density from the atmosphere module at the approximate ellipsoidal height
    ``|r| - R (1 - f sin^2 phi')``: exponential table, Harris–Priester without and with a Sun
    (1e-12 relative); per-run coefficients; Cd A with the mass from the state."""
    r = _positions(6, R_EARTH_M + 180e3, R_EARTH_M + 900e3)
    v = np.cross([0.0, 0.3, 1.0], r)
    v *= 7600.0 / np.linalg.norm(v, axis=-1, keepdims=True)
    rn = np.linalg.norm(r, axis=-1)
    h = rn - R_EARTH_M * (1.0 - F_EARTH * (r[:, 2] / rn) ** 2)
    v_rel = v - np.cross([0.0, 0.0, OMEGA_EARTH_RAD_S], r)
    coef = np.linspace(0.005, 0.02, 6)

    def expected(rho, c=coef):
        return -0.5 * (rho * c)[:, None] * np.linalg.norm(v_rel, axis=-1, keepdims=True) * v_rel

    exp_model = ForceModel([Drag(cd_area_over_mass_m2_kg=coef)])
    np.testing.assert_allclose(
        exp_model.acceleration(0.0, r, v), expected(atmosphere.exponential_density(h)), rtol=1e-12
    )

    hp = atmosphere.HarrisPriester(exponent=4.0)
    got = ForceModel([Drag(cd_area_over_mass_m2_kg=coef, atmosphere=hp)]).acceleration(0.0, r, v)
    np.testing.assert_allclose(got, expected(hp.density(h)), rtol=1e-12)

    def sun(t):
        w = 2 * np.pi / (365.25 * 86400.0)
        t = np.asarray(t)
        return AU_M * np.stack([np.cos(w * t), 0.917 * np.sin(w * t), 0.398 * np.sin(w * t)], -1)

    hp_sun = atmosphere.HarrisPriester(sun_position=sun, exponent=6.0)
    got = ForceModel([Drag(cd_area_over_mass_m2_kg=coef, atmosphere=hp_sun)]).acceleration(
        3e6, r, v
    )
    np.testing.assert_allclose(got, expected(hp_sun.density(h, r, 3e6)), rtol=1e-11)

    mass = np.linspace(500.0, 2000.0, 6)
    got = ForceModel([Drag(cd_area_m2=2.2 * 3.0)]).acceleration(0.0, r, v, mass_kg=mass)
    np.testing.assert_allclose(
        got, expected(atmosphere.exponential_density(h), 6.6 / mass), rtol=1e-12
    )


def test_thrust_acceleration_in_lvlh_and_inertial_axes():
    """F/m along the LVLH direction (x radial out, y along-track in the orbit plane, z along
    r x v) or a fixed inertial one, only for t_start <= t < t_end."""
    r = np.array([[7e6, 0.0, 0.0], [0.0, 7e6, 1e5]])
    v = np.array([[0.0, 7.5e3, 100.0], [-7.5e3, 0.0, 10.0]])
    burn = Thrust([1000.0, 2000.0], 0.3, (0.6, 0.8, 0.0), 10.0, 20.0, frame="lvlh")
    model = ForceModel([burn])
    mass = np.array([1000.0, 4000.0])
    acc = model.acceleration(15.0, r, v, mass_kg=mass)
    for i in range(2):
        x = r[i] / np.linalg.norm(r[i])
        z = np.cross(r[i], v[i])
        z /= np.linalg.norm(z)
        y = np.cross(z, x)
        expected = burn.thrust_n[i] / mass[i] * (0.6 * x + 0.8 * y)
        np.testing.assert_allclose(acc[i], expected, rtol=1e-13)
    assert np.all(model.acceleration(20.0, r, v, mass_kg=mass) == 0.0)
    assert np.all(model.acceleration(9.999, r, v, mass_kg=mass) == 0.0)
    inertial = ForceModel([Thrust(500.0, 0.1, (0.0, 0.0, 1.0), 0.0, 1.0, frame="inertial")])
    np.testing.assert_allclose(inertial.acceleration(0.5, r[0], v[0], 250.0), [0.0, 0.0, 2.0])


def test_atmosphere_tables():
    """Table values are returned at the tabulated heights: Vallado Table 8-4 (rho0 at each
    base height), Montenbruck & Gill Table 3.8 (rho_min at the antapex, rho_max under the
    apex); zero above 1000 km for Harris–Priester; densities fall with height."""
    tab = atmosphere.EXPONENTIAL_TABLE
    np.testing.assert_allclose(
        atmosphere.exponential_density(tab[:, 0] * 1e3), tab[:, 1], rtol=1e-15
    )
    hp = atmosphere.HARRIS_PRIESTER_TABLE
    h = hp[:-1, 0] * 1e3
    np.testing.assert_allclose(
        atmosphere.harris_priester_density(h, -1.0), hp[:-1, 1] * 1e-12, rtol=1e-12
    )
    np.testing.assert_allclose(
        atmosphere.harris_priester_density(h, 1.0), hp[:-1, 2] * 1e-12, rtol=1e-12
    )
    assert atmosphere.harris_priester_density(1000.5e3, 1.0) == 0.0
    heights = np.linspace(100e3, 999e3, 500)
    for rho in (
        atmosphere.exponential_density(heights),
        atmosphere.harris_priester_density(heights, 0.3),
    ):
        assert np.all(np.diff(rho) < 0.0)
    apex = atmosphere.bulge_apex([1.0, 0.0, 0.0])
    np.testing.assert_allclose(apex, [np.cos(np.pi / 6), np.sin(np.pi / 6), 0.0], atol=1e-15)


def test_declarations_and_shapes():
    model = ForceModel([PointMass(MU), Zonal(MU, R_EARTH_M, (J2_EARTH,))])
    assert model.needs == {"position"}
    assert not model.needs_mass
    r = _positions(5, 7e6, 8e6)
    assert model.acceleration(0.0, r, r).shape == (5, 3)
    assert model.acceleration(0.0, r[0], r[0]).shape == (3,)
    np.testing.assert_allclose(
        ForceModel([PointMass(MU)]).acceleration(0.0, r, r),
        -MU * r / np.linalg.norm(r, axis=-1, keepdims=True) ** 3,
        rtol=1e-15,
    )
    burn = Thrust(1.0, 0.0, (1.0, 0.0, 0.0), 5.0, 9.0)
    both = ForceModel([PointMass(MU), burn, ThirdBody(MU_MOON_M3_S2, lambda t: 0 * t)])
    assert both.needs_mass and "time" in both.needs
    np.testing.assert_array_equal(both.breakpoints(), [5.0, 9.0])
    with pytest.raises(ValueError, match="at most one"):
        ForceModel([PointMass(MU), PointMass(MU)])
    with pytest.raises(ValueError, match="exactly one"):
        Drag()
    with pytest.raises(ValueError, match="exactly one"):
        Drag(cd_area_over_mass_m2_kg=0.01, cd_area_m2=2.0)
    with pytest.raises(ValueError, match="unit"):
        Thrust(1.0, 0.1, (1.0, 1.0, 0.0), 0.0, 1.0)
    with pytest.raises(ValueError, match="needs mass_kg"):
        both.acceleration(6.0, r, r)
    with pytest.raises(ValueError, match="per run"):
        ForceModel([Drag(cd_area_over_mass_m2_kg=[0.1, 0.2])]).acceleration(0.0, r, r)
    with pytest.raises(ValueError, match="Samples need"):
        Samples(0.0, 1.0, np.zeros((4, 3)))

"""Compressible flow of an ideal gas through an orifice: choked and subsonic.

Units: areas m^2, pressures Pa, temperatures K, molar masses kg/mol, mass flows kg/s, molar
flows mol/s. Every function broadcasts over arrays of any shape.

The model is the isentropic nozzle (one-dimensional, adiabatic, reversible flow from upstream
stagnation conditions to the throat) multiplied by a discharge coefficient ``cd``:

    mdot = cd A p_up sqrt( 2 gamma M / ((gamma - 1) R T_up) * psi(r) ),
    psi(r) = r^(2/gamma) - r^((gamma+1)/gamma),      r = max(p_down / p_up, r_crit),
    r_crit = (2 / (gamma + 1))^(gamma / (gamma - 1))     (0.5283 for gamma = 1.4).

Below ``r_crit`` the throat is sonic and the flow is choked:

    mdot = cd A p_up sqrt(gamma M / (R T_up)) (2 / (gamma + 1))^((gamma+1) / (2 (gamma-1))).

Sources: J. D. Anderson, *Modern Compressible Flow*, ch. 3 (isentropic relations) and ch. 5
(quasi-one-dimensional flow, the choked mass flow through a throat); A. H. Shapiro, *The
Dynamics and Thermodynamics of Compressible Fluid Flow*, vol. 1, ch. 4. For air (gamma = 1.4,
R_air = 287 J/(kg K)) the choked formula reduces to Fliegner's formula,
mdot = 0.0404 A p0 / sqrt(T0) in SI units; :func:`fliegner_coefficient` computes the exact
coefficient (0.040414 with the molar mass of :mod:`houston.core.constants`).

For an implicit network solver, :func:`link_molar_flow` gives the flow of a link between two
nodes, signed (positive from node a to node b, i.e. from high to low pressure), with its
derivatives with respect to both pressures. In the subsonic regime near equal pressures the
exact flow goes as sqrt(dp), whose derivative is infinite at dp = 0; Newton's method on such a
function oscillates. The flow is therefore regularised below a transition pressure difference
``dp_t`` (default :data:`DP_TRANSITION_PA`, 1 Pa): the factor sqrt(dp) is replaced by

    h(dp) = dp / (dp^2 + dp_t^2)^(1/4),

the anti-symmetric regularised square root of the Modelica Standard Library
(``Modelica.Fluid.Utilities.regRoot``). The flow is then linear in dp for |dp| << dp_t (a
laminar-like conductance, as GUNNS does with its "minimum linearization potential" in
``GunnsFluidUtils::computeAdmittance``), smooth everywhere, and within 0.25 % of the exact flow
for dp > 10 dp_t. To keep the choked flow exact (it has no singularity), the subsonic branch is
divided by the same factor evaluated at the critical pressure drop, so the two branches meet
continuously at r_crit; this changes the subsonic flow by less than 1e-9 relative when
p_up > 10 kPa. The 1 Pa transition is a numerical choice, not a physical laminar/turbulent
transition (for a 1 m^2 hatch that would lie near 1e-3 Pa, for a 1 mm hole near 500 Pa).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from houston.core.constants import MOLAR_MASS_AIR_KG_MOL, R_GAS_J_MOL_K

#: Default regularisation width of the subsonic sqrt(dp) law, Pa (numerical, see module doc).
DP_TRANSITION_PA = 1.0

_F = NDArray[np.float64]

#: Upstream pressure below which the flow law is evaluated as choked, Pa (numerical floor).
_P_FLOOR_PA = 1e-100


def critical_pressure_ratio(gamma: ArrayLike = 1.4) -> _F:
    """Downstream/upstream pressure ratio below which the flow chokes (0.52828 for air).

    r_crit = (2 / (gamma + 1))^(gamma / (gamma - 1)) (Anderson, *Modern Compressible Flow*,
    ch. 3, the isentropic relation at Mach 1).
    """
    g = np.asarray(gamma, dtype=float)
    return (2.0 / (g + 1.0)) ** (g / (g - 1.0))


def fliegner_coefficient(
    gamma: ArrayLike = 1.4, molar_mass: ArrayLike = MOLAR_MASS_AIR_KG_MOL
) -> _F:
    """Choked mass flux per unit of p0/sqrt(T0): mdot = C A p0 / sqrt(T0), in kg K^0.5/(s N).

    C = sqrt(gamma M / R) (2 / (gamma + 1))^((gamma + 1) / (2 (gamma - 1))). For air this is
    Fliegner's 0.0404 (SI units).
    """
    g = np.asarray(gamma, dtype=float)
    m = np.asarray(molar_mass, dtype=float)
    return np.sqrt(g * m / R_GAS_J_MOL_K) * (2.0 / (g + 1.0)) ** ((g + 1.0) / (2.0 * (g - 1.0)))


def _psi(r: _F, g: _F) -> _F:
    """psi(r) = r^(2/g) - r^((g+1)/g) = r^(2/g) (1 - r^((g-1)/g)), evaluated without cancellation."""
    k = (g - 1.0) / g
    with np.errstate(divide="ignore"):
        log_r = np.log(r)
    return np.exp((2.0 / g) * log_r) * -np.expm1(k * log_r)


def orifice_mass_flow(
    area: ArrayLike,
    cd: ArrayLike,
    p_up: ArrayLike,
    t_up: ArrayLike,
    p_down: ArrayLike,
    gamma: ArrayLike = 1.4,
    molar_mass: ArrayLike = MOLAR_MASS_AIR_KG_MOL,
) -> _F:
    """Mass flow, kg/s, through an orifice from upstream stagnation conditions (exact law).

    Parameters are the geometric area (m^2), the discharge coefficient (-), the upstream
    pressure (Pa) and temperature (K), the downstream pressure (Pa), the ratio of specific
    heats and the molar mass (kg/mol) of the gas. Choked when p_down/p_up <= r_crit, subsonic
    otherwise (isentropic nozzle law, see the module docstring). Zero when p_down >= p_up and
    when p_up = 0. Not regularised: use :func:`link_molar_flow` inside a Newton solver.
    """
    a = np.asarray(area, dtype=float)
    c = np.asarray(cd, dtype=float)
    pu = np.asarray(p_up, dtype=float)
    t = np.asarray(t_up, dtype=float)
    pd = np.asarray(p_down, dtype=float)
    g = np.asarray(gamma, dtype=float)
    m = np.asarray(molar_mass, dtype=float)
    positive = pu > 0.0
    r = np.divide(pd, pu, out=np.ones(np.broadcast(pd, pu).shape), where=positive)
    r_eff = np.clip(np.maximum(r, critical_pressure_ratio(g)), 0.0, 1.0)
    psi = _psi(r_eff, g)
    flow = c * a * pu * np.sqrt(2.0 * g * m / ((g - 1.0) * R_GAS_J_MOL_K * t) * psi)
    return np.where(positive & (pd < pu), flow, 0.0)


def _d_log_ratio(u: _F, k: _F, e_k: _F, e_1: _F) -> _F:
    """d/du ln(expm1(k u) / expm1(u)) given e_k = expm1(k u), e_1 = expm1(u), also near u = 0.

    Equal to k (1 + e_k) / e_k - (1 + e_1) / e_1 = (Bf(k u) - Bf(u)) / u with
    Bf(x) = x e^x / (e^x - 1) = 1 + x/2 + x^2/12 - x^4/720 + ..., whose series is used for
    |u| < 1e-3 where the difference cancels.
    """
    small = np.abs(u) < 1e-3
    e_k_safe = np.where(small, 1.0, e_k)
    e_1_safe = np.where(small, 1.0, e_1)
    direct = k * (1.0 + e_k_safe) / e_k_safe - (1.0 + e_1_safe) / e_1_safe
    series = (k - 1.0) / 2.0 + (k * k - 1.0) * u / 12.0 - (k**4 - 1.0) * u**3 / 720.0
    return np.where(small, series, direct)


def _forward_molar_flow(
    area_cd: _F, p_hi: _F, p_lo: _F, t_up: _F, gamma: _F, molar_mass: _F, dp_t: float
) -> tuple[_F, _F, _F]:
    """Regularised molar flow, mol/s, from p_hi to p_lo (p_hi >= p_lo >= 0), and its partials.

    Returns (n, dn/dp_hi, dn/dp_lo) in mol/s and mol/(s Pa). See the module docstring.
    """
    g = gamma
    k = (g - 1.0) / g
    r_c = critical_pressure_ratio(g)
    psi_c = _psi(r_c, g)
    b = area_cd * np.sqrt(2.0 * g / ((g - 1.0) * molar_mass * R_GAS_J_MOL_K * t_up))
    dp = p_hi - p_lo
    positive = p_hi > 0.0
    # Below _P_FLOOR_PA the subsonic formula would underflow; the flow is then taken as
    # choked (it is ~1e-100 of a cabin flow either way).
    p_safe = np.where(p_hi > _P_FLOOR_PA, p_hi, 1.0)
    x = dp / p_safe
    choked = (p_hi <= _P_FLOOR_PA) | (x >= 1.0 - r_c)
    # Subsonic branch (evaluated everywhere with safe arguments, selected below).
    x_sub = np.where(choked, 0.5 * (1.0 - r_c), x)
    u = np.log1p(-x_sub)
    u_nz = np.where(u == 0.0, -1.0, u)
    e_k = np.expm1(k * u_nz)
    e_1 = np.expm1(u_nz)
    phi = np.where(u == 0.0, k, np.exp((2.0 / g) * u) * e_k / e_1)
    d_log_phi = 2.0 / g + _d_log_ratio(u, k, e_k, e_1)
    s = np.sqrt(p_safe * phi)
    dp_sub = x_sub * p_safe
    q = dp_sub * dp_sub + dp_t * dp_t
    h = dp_sub * q**-0.25
    h_prime = (0.5 * dp_sub * dp_sub + dp_t * dp_t) * q**-1.25
    dp_c = (1.0 - r_c) * p_safe
    q_c = dp_c * dp_c + dp_t * dp_t
    g_c = (dp_c * dp_c / q_c) ** 0.25
    l_c = 0.5 * dp_t * dp_t / (p_safe * q_c)
    p_lo_safe = (1.0 - x_sub) * p_safe
    n_sub = b * s * h / g_c
    dn_dhi_sub = n_sub * ((1.0 - d_log_phi) / (2.0 * p_safe) - l_c) + b * s * h_prime / g_c
    dn_dlo_sub = n_sub * d_log_phi / (2.0 * p_lo_safe) - b * s * h_prime / g_c
    # Choked branch: exact, linear in p_hi, independent of p_lo.
    slope_c = b * np.sqrt(psi_c)
    n = np.where(choked, slope_c * np.where(positive, p_hi, 0.0), n_sub)
    dn_dhi = np.where(choked, slope_c, dn_dhi_sub)
    dn_dlo = np.where(choked, 0.0, dn_dlo_sub)
    return n, dn_dhi, dn_dlo


def link_molar_flow(
    area_cd_m2: ArrayLike,
    p_a_Pa: ArrayLike,
    p_b_Pa: ArrayLike,
    t_a_K: ArrayLike,
    t_b_K: ArrayLike,
    gamma_a: ArrayLike = 1.4,
    gamma_b: ArrayLike = 1.4,
    molar_mass_a: ArrayLike = MOLAR_MASS_AIR_KG_MOL,
    molar_mass_b: ArrayLike = MOLAR_MASS_AIR_KG_MOL,
    dp_transition_Pa: float = DP_TRANSITION_PA,
) -> tuple[_F, _F, _F]:
    """Signed, regularised molar flow of a link between nodes a and b, and its derivatives.

    ``area_cd_m2`` is the effective area cd*A (m^2). The gas properties (temperature, gamma,
    molar mass) are those of the upstream node, whichever has the higher pressure.

    Returns ``(q, dq_dpa, dq_dpb)``: q in mol/s, positive from a to b; the derivatives in
    mol/(s Pa). dq_dpa >= 0 >= dq_dpb. See the module docstring for the law and the
    regularisation below ``dp_transition_Pa`` (must be > 0).
    """
    kc = np.asarray(area_cd_m2, dtype=float)
    pa = np.asarray(p_a_Pa, dtype=float)
    pb = np.asarray(p_b_Pa, dtype=float)
    fwd = pa >= pb
    p_hi = np.where(fwd, pa, pb)
    p_lo = np.where(fwd, pb, pa)
    t_up = np.where(fwd, t_a_K, t_b_K)
    g_up = np.where(fwd, gamma_a, gamma_b)
    m_up = np.where(fwd, molar_mass_a, molar_mass_b)
    n, dn_dhi, dn_dlo = _forward_molar_flow(kc, p_hi, p_lo, t_up, g_up, m_up, dp_transition_Pa)
    q = np.where(fwd, n, -n)
    dq_dpa = np.where(fwd, dn_dhi, -dn_dlo)
    dq_dpb = np.where(fwd, dn_dlo, -dn_dhi)
    return q, dq_dpa, dq_dpb


def link_mass_flow(
    area_cd_m2: ArrayLike,
    p_a_Pa: ArrayLike,
    p_b_Pa: ArrayLike,
    t_a_K: ArrayLike,
    t_b_K: ArrayLike,
    gamma_a: ArrayLike = 1.4,
    gamma_b: ArrayLike = 1.4,
    molar_mass_a: ArrayLike = MOLAR_MASS_AIR_KG_MOL,
    molar_mass_b: ArrayLike = MOLAR_MASS_AIR_KG_MOL,
    dp_transition_Pa: float = DP_TRANSITION_PA,
) -> tuple[_F, _F, _F]:
    """Signed, regularised mass flow of a link, kg/s (positive a -> b), and its derivatives.

    Same as :func:`link_molar_flow` multiplied by the upstream molar mass; derivatives in
    kg/(s Pa).
    """
    q, dq_dpa, dq_dpb = link_molar_flow(
        area_cd_m2,
        p_a_Pa,
        p_b_Pa,
        t_a_K,
        t_b_K,
        gamma_a,
        gamma_b,
        molar_mass_a,
        molar_mass_b,
        dp_transition_Pa,
    )
    m_up = np.where(np.asarray(p_a_Pa) >= np.asarray(p_b_Pa), molar_mass_a, molar_mass_b)
    return q * m_up, dq_dpa * m_up, dq_dpb * m_up

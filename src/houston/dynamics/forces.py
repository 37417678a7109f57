"""Force models for Cowell propagation: declarations, their formulas and sources.

Each force is a small frozen dataclass that says what it is (with units in its field names),
which formula it uses and what it needs from the state (:attr:`needs`). A
:class:`ForceModel` combines them. The numbers are evaluated by one compiled kernel
(``houston.dynamics.cowell``), which the integrator calls at every stage; this module only
declares and packs parameters, so that the model a scenario wires is plain data.

Conventions: SI throughout (m, m/s, kg, N, s, m^3/s^2). Positions and velocities are relative
to the central body, in an inertial frame whose z axis is the central body's pole for the
zonal harmonics unless ``pole`` says otherwise (for the Earth, GCRF, whose z axis differs from
the true pole by precession and nutation: a few tenths of a degree over decades, which the
zonal model ignores). Time ``t_s`` is seconds from the propagator's origin; callables that
give a body's position receive that time.

Formulas
--------
* :class:`PointMass`: ``a = -mu r / |r|^3``.
* :class:`Zonal`: the gradient of the zonal part of the geopotential,
  ``U = (mu/r) sum_{n>=2} -J_n (R/r)^n P_n(sin phi)``, with ``sin phi = r.p/|r|`` for the pole
  ``p`` (Montenbruck & Gill, *Satellite Orbits*, 2000, sec. 3.2, keeping only the order-0
  terms of the spherical-harmonic expansion). Taking the gradient term by term gives, with
  ``u = sin phi`` and Legendre polynomials ``P_n`` and their derivatives ``P_n'``,
  ``a = (mu/r^2) sum_n J_n (R/r)^n [((n+1) P_n(u) + u P_n'(u)) r_hat - P_n'(u) p]``; both come
  from the recursions ``n P_n = (2n-1) u P_{n-1} - (n-1) P_{n-2}`` and
  ``P_n' = n P_{n-1} + u P_{n-1}'``, so any degree is allowed. For ``n = 2`` this is the
  familiar ``a_x = -(3/2) J2 mu R^2 x / r^5 (1 - 5 z^2/r^2)``; the tests check the general form against a numerical gradient of ``U``.
  The Earth's coefficients are the EGM96 values in ``houston.core.constants``.
* :class:`ThirdBody`: the acceleration of a body at ``s`` (relative to the central body) on a
  vehicle at ``r``, less its acceleration of the central body,
  ``a = -mu_b [ d/|d|^3 + s/|s|^3 ]`` with ``d = r - s`` (Montenbruck & Gill sec. 3.3),
  evaluated in Battin's form, free of the cancellation between the two terms:
  ``a = -(mu_b/|d|^3) (r + f(q) s)``, ``q = r.(r - 2s)/|s|^2``,
  ``f(q) = q (3 + 3q + q^2) / (1 + (1+q)^{3/2})`` (Battin, *An Introduction to the
  Mathematics and Methods of Astrodynamics*, rev. ed. 1999, ch. 8, Encke's method).
* :class:`Drag`: ``a = -(1/2) rho (Cd A/m) |v_rel| v_rel`` with ``v_rel = v - omega x r`` (an
  atmosphere co-rotating with the Earth; Montenbruck & Gill sec. 3.5). ``rho`` from ``houston.dynamics.atmosphere`` at the height above the reference
  ellipsoid, approximated as ``|r| - R (1 - f sin^2 phi')`` with the geocentric latitude
  ``phi'`` (error below 0.1 km, i.e. well under 1 % of density at 200 km and above).
* :class:`Thrust`: constant thrust ``F`` along a fixed direction in the inertial frame or in
  the vehicle's LVLH frame (x radial out, y along-track, z along the orbit normal, as in
  ``houston.dynamics.relative``), between ``t_start_s`` and ``t_end_s``, with mass flow
  ``mdot``: ``a = F/m u``, ``dm/dt = -mdot``, which integrates to the rocket equation
  ``dv = (F/mdot) ln(m0/m1)`` (the tests check this).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from houston.core.constants import F_EARTH, G0_M_S2, OMEGA_EARTH_RAD_S, R_EARTH_M
from houston.dynamics import atmosphere as atm

__all__ = [
    "Drag",
    "ForceModel",
    "PointMass",
    "Samples",
    "ThirdBody",
    "Thrust",
    "Zonal",
    "sample_position",
]

Array = NDArray[np.float64]

#: Nodes of the Lagrange interpolation of sampled positions (degree 7).
INTERP_POINTS = 8


# --- sampled positions --------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Samples:
    """Positions of a body (m) sampled at uniform times ``t0_s + k step_s``, shape ``(n, 3)``.

    Interpolated with 8-point (degree 7) Lagrange polynomials centred on the requested time.
    For the Moon sampled every hour the interpolation error is far below a millimetre (the
    eighth derivative of a lunar orbit scales as ``r omega^8``, ``omega h ~ 0.01``).
    """

    t0_s: float
    step_s: float
    r_m: Array

    def __post_init__(self) -> None:
        r = np.ascontiguousarray(self.r_m, dtype=float)
        if r.ndim != 2 or r.shape[1] != 3 or r.shape[0] < INTERP_POINTS:
            raise ValueError(f"Samples need r_m of shape (n >= {INTERP_POINTS}, 3), got {r.shape}")
        if not self.step_s > 0.0:
            raise ValueError("Samples need step_s > 0")
        object.__setattr__(self, "r_m", r)

    @property
    def t_end_s(self) -> float:
        return self.t0_s + (len(self.r_m) - 1) * self.step_s

    def at(self, t_s: ArrayLike) -> Array:
        """Interpolated positions (m) at times ``t_s`` (s), shape ``t.shape + (3,)``."""
        t = np.asarray(t_s, dtype=float)
        return _lagrange(self.r_m, self.t0_s, self.step_s, t)


def _lagrange(nodes: Array, t0: float, dt: float, t: Array) -> Array:
    """Uniform-grid 8-point Lagrange interpolation (numpy twin of the compiled kernel)."""
    n = nodes.shape[0]
    u = (t - t0) / dt
    i0 = np.clip(np.floor(u).astype(np.int64) - (INTERP_POINTS // 2 - 1), 0, n - INTERP_POINTS)
    x = u - i0
    out = np.zeros((*t.shape, 3))
    for j in range(INTERP_POINTS):
        w = np.ones_like(x)
        for k in range(INTERP_POINTS):
            if k != j:
                w = w * (x - k) / (j - k)
        out += w[..., None] * nodes[i0 + j]
    return out


def sample_position(source: Any, t_s: ArrayLike) -> Array:
    """Position (m) of a body from a callable of time or from :class:`Samples`, ``(k, 3)``."""
    t = np.atleast_1d(np.asarray(t_s, dtype=float))
    if isinstance(source, Samples):
        return source.at(t)
    out = np.asarray(source(t), dtype=float)
    if out.shape != (*t.shape, 3):
        raise ValueError(f"position callable returned shape {out.shape}, expected {(*t.shape, 3)}")
    return out


# --- force declarations -------------------------------------------------------------------


@dataclass(frozen=True)
class PointMass:
    """Central body's point-mass gravity ``-mu r/|r|^3``; ``mu_m3_s2`` in m^3/s^2."""

    mu_m3_s2: float
    needs = frozenset({"position"})


@dataclass(frozen=True)
class Zonal:
    """Zonal harmonics J2..Jn of the central body (the point mass is separate).

    ``j`` holds ``(J2, J3, ..., Jn)`` (unnormalised, dimensionless), ``r_eq_m`` is the
    reference radius of those coefficients and ``pole`` the unit vector of the body's
    symmetry axis in the integration frame. Formula in the module docstring.
    """

    mu_m3_s2: float
    r_eq_m: float
    j: tuple[float, ...]
    pole: tuple[float, float, float] = (0.0, 0.0, 1.0)
    needs = frozenset({"position"})

    def __post_init__(self) -> None:
        if len(self.j) < 1:
            raise ValueError("Zonal needs at least J2")
        p = np.asarray(self.pole, dtype=float)
        if p.shape != (3,) or abs(np.linalg.norm(p) - 1.0) > 1e-12:
            raise ValueError(f"pole must be a unit 3-vector, got {self.pole}")


@dataclass(frozen=True)
class ThirdBody:
    """Point-mass perturbation of a third body (Moon, Sun, Earth for a Moon-centred orbit).

    ``position`` is the body's position (m) relative to the central body in the integration
    frame: a callable of time (s, array ``(k,)`` -> ``(k, 3)``), which the propagator samples
    every ``sample_step_s`` on a grid aligned to multiples of that step (so the result does
    not depend on where a run starts or how it is chunked), or :class:`Samples`.
    """

    mu_m3_s2: float
    position: Any
    name: str = "third body"
    sample_step_s: float = 3600.0
    needs = frozenset({"position", "time"})


@dataclass(frozen=True)
class Drag:
    """Atmospheric drag with a co-rotating atmosphere (formula in the module docstring).

    Give exactly one of ``cd_area_over_mass_m2_kg`` (``Cd A / m``, the inverse of the
    ballistic coefficient ``m / (Cd A)``) or ``cd_area_m2`` (``Cd A``; the mass then comes from
    the state, which matters when a burn changes it). Either may be a scalar or one value per
    run of a batch. ``atmosphere`` is :class:`houston.dynamics.atmosphere.HarrisPriester`
    (Montenbruck & Gill Table 3.8) or :class:`houston.dynamics.atmosphere.Exponential`
    (Vallado 4th ed. Table 8-4).
    """

    cd_area_over_mass_m2_kg: Any = None
    cd_area_m2: Any = None
    atmosphere: Any = field(default_factory=atm.Exponential)
    omega_rad_s: float = OMEGA_EARTH_RAD_S
    r_eq_m: float = R_EARTH_M
    flattening: float = F_EARTH
    sample_step_s: float = 3600.0

    def __post_init__(self) -> None:
        if (self.cd_area_over_mass_m2_kg is None) == (self.cd_area_m2 is None):
            raise ValueError("Drag needs exactly one of cd_area_over_mass_m2_kg and cd_area_m2")
        if not isinstance(self.atmosphere, atm.Exponential | atm.HarrisPriester):
            raise TypeError(f"unknown atmosphere model {self.atmosphere!r}")

    @property
    def needs(self) -> frozenset[str]:
        base = {"position", "velocity"}
        if self.cd_area_m2 is not None:
            base.add("mass")
        if (
            isinstance(self.atmosphere, atm.HarrisPriester)
            and self.atmosphere.sun_position is not None
        ):
            base.add("time")
        return frozenset(base)


#: Thrust frames understood by the kernel.
THRUST_FRAMES = {"inertial": 0, "lvlh": 1}


@dataclass(frozen=True)
class Thrust:
    """A finite burn: constant thrust along a fixed direction, over ``[t_start_s, t_end_s)``.

    ``thrust_n`` (N) and ``mass_flow_kg_s`` (kg/s, positive for mass leaving) may be scalars or
    one value per run; ``direction`` is a unit vector ``(3,)`` or ``(batch, 3)`` in ``frame``
    (``"inertial"`` or ``"lvlh"``). Integration steps stop at the burn's start and end, so the
    switch is exact. :meth:`from_isp` builds one from a specific impulse.
    """

    thrust_n: Any
    mass_flow_kg_s: Any
    direction: Any
    t_start_s: float
    t_end_s: float
    frame: str = "lvlh"
    needs = frozenset({"position", "velocity", "mass", "time"})

    def __post_init__(self) -> None:
        if self.frame not in THRUST_FRAMES:
            raise ValueError(f"thrust frame must be one of {sorted(THRUST_FRAMES)}")
        if not self.t_end_s >= self.t_start_s:
            raise ValueError("a burn needs t_end_s >= t_start_s")
        d = np.asarray(self.direction, dtype=float)
        if d.shape[-1:] != (3,) or np.any(np.abs(np.linalg.norm(d, axis=-1) - 1.0) > 1e-9):
            raise ValueError("thrust direction must be unit vectors, shape (3,) or (batch, 3)")

    @classmethod
    def from_isp(
        cls,
        thrust_n: Any,
        isp_s: Any,
        direction: Any,
        t_start_s: float,
        t_end_s: float,
        frame: str = "lvlh",
    ) -> Thrust:
        """A burn with mass flow ``F / (g0 Isp)`` (``g0`` standard gravity, exact)."""
        mdot = np.asarray(thrust_n, dtype=float) / (G0_M_S2 * np.asarray(isp_s, dtype=float))
        return cls(thrust_n, mdot, direction, t_start_s, t_end_s, frame)


# --- the combined model and its packed form -----------------------------------------------


class KernelSpec(NamedTuple):
    """Every force parameter as arrays and scalars, in the layout the compiled kernel reads.

    Fields for absent forces are present with neutral values, so every model compiles to the
    same kernel signature.
    """

    mu_c: float
    zon_mu: float
    zon_req: float
    zon_pole: Array
    zon_j: Array
    tb_mu: Array
    tb_tab: NDArray[np.int64]
    tab_pos: Array
    tab_t0: Array
    tab_dt: Array
    tab_n: NDArray[np.int64]
    drag_kind: int
    drag_coef: Array
    drag_mass: int
    drag_omega: float
    drag_req: float
    drag_flat: float
    atm_h: Array
    atm_a: Array
    atm_b: Array
    hp_exp: float
    hp_lag: float
    hp_tab: int
    th_t0: Array
    th_t1: Array
    th_force: Array
    th_mdot: Array
    th_dir: Array
    th_frame: NDArray[np.int64]


@dataclass(frozen=True)
class _Source:
    """A position source to tabulate: a callable (aligned grid) or fixed samples."""

    source: Any
    step_s: float


@dataclass(frozen=True)
class ForceModel:
    """The forces acting on a vehicle, in the order given (the sum does not depend on it).

    At most one :class:`PointMass`, one :class:`Zonal` and one :class:`Drag`; any number of
    :class:`ThirdBody` and :class:`Thrust` terms. :attr:`needs` is the union of what the terms
    need (``"mass"`` makes the propagator carry the mass in the state).
    """

    terms: tuple[Any, ...]

    def __init__(self, terms: Sequence[Any]) -> None:
        object.__setattr__(self, "terms", tuple(terms))
        kinds = [type(t) for t in self.terms]
        for k in (PointMass, Zonal, Drag):
            if kinds.count(k) > 1:
                raise ValueError(f"at most one {k.__name__} term")
        for t in self.terms:
            if not isinstance(t, PointMass | Zonal | ThirdBody | Drag | Thrust):
                raise TypeError(f"unknown force term {t!r}")

    @property
    def needs(self) -> frozenset[str]:
        out: set[str] = set()
        for t in self.terms:
            out |= t.needs
        return frozenset(out)

    @property
    def needs_mass(self) -> bool:
        return "mass" in self.needs

    def of(self, kind: type) -> list[Any]:
        return [t for t in self.terms if isinstance(t, kind)]

    def breakpoints(self) -> Array:
        """Times (s) where a force switches (burn starts and ends), sorted and unique."""
        ts = [x for b in self.of(Thrust) for x in (b.t_start_s, b.t_end_s)]
        return np.unique(np.asarray(ts, dtype=float))

    def sources(self) -> list[_Source]:
        """Position sources to tabulate: third bodies, then the Harris–Priester Sun."""
        out = [_Source(b.position, b.sample_step_s) for b in self.of(ThirdBody)]
        for d in self.of(Drag):
            if (
                isinstance(d.atmosphere, atm.HarrisPriester)
                and d.atmosphere.sun_position is not None
            ):
                out.append(_Source(d.atmosphere.sun_position, d.sample_step_s))
        return out

    def sampled_only(self) -> bool:
        """True if every position source is fixed :class:`Samples` (no callable)."""
        return all(isinstance(s.source, Samples) for s in self.sources())

    def coverage_s(self) -> tuple[float, float]:
        """Time span (s) the fixed samples cover (infinite when there are none)."""
        lo, hi = -np.inf, np.inf
        for s in self.sources():
            if isinstance(s.source, Samples):
                lo, hi = max(lo, s.source.t0_s), min(hi, s.source.t_end_s)
        return lo, hi

    def pack(self, batch: int, t_lo_s: float, t_hi_s: float) -> KernelSpec:
        """Parameters for ``batch`` runs, with positions tabulated over ``[t_lo_s, t_hi_s]``."""
        pm = self.of(PointMass)
        zon = self.of(Zonal)
        tbs = self.of(ThirdBody)
        drags = self.of(Drag)
        burns = self.of(Thrust)

        tabs = [_tabulate(s, t_lo_s, t_hi_s) for s in self.sources()]
        nmax = max([len(p) for p, _, _ in tabs], default=1)
        tab_pos = np.zeros((len(tabs), nmax, 3))
        for i, (p, _, _) in enumerate(tabs):
            tab_pos[i, : len(p)] = p

        zj = np.zeros(3)
        zon_mu, zon_req, zon_pole = 0.0, 1.0, np.array([0.0, 0.0, 1.0])
        if zon:
            z = zon[0]
            zj = np.concatenate([[0.0, 0.0], np.asarray(z.j, dtype=float)])
            zon_mu, zon_req, zon_pole = float(z.mu_m3_s2), float(z.r_eq_m), np.array(z.pole, float)

        drag_kind, drag_mass, hp_tab = 0, 0, -1
        drag_coef = np.zeros(batch)
        d_omega, d_req, d_flat, hp_exp, hp_lag = 0.0, R_EARTH_M, 0.0, 2.0, 0.0
        atm_h = atm_a = atm_b = np.zeros(1)
        if drags:
            d = drags[0]
            coef = d.cd_area_m2 if d.cd_area_m2 is not None else d.cd_area_over_mass_m2_kg
            drag_coef = _per_run(coef, batch, "drag coefficient")
            drag_mass = int(d.cd_area_m2 is not None)
            d_omega, d_req, d_flat = float(d.omega_rad_s), float(d.r_eq_m), float(d.flattening)
            if isinstance(d.atmosphere, atm.Exponential):
                drag_kind = 1
                atm_h, atm_a, atm_b = atm._EXP_H_M, atm._EXP_RHO, atm._EXP_SCALE_M
            else:
                drag_kind = 2
                atm_h, atm_a, atm_b = atm._HP_H_M, atm._HP_MIN, atm._HP_MAX
                hp_exp, hp_lag = float(d.atmosphere.exponent), float(d.atmosphere.lag_rad)
                if d.atmosphere.sun_position is not None:
                    hp_tab = len(tabs) - 1

        nb = len(burns)
        th_force = np.zeros((nb, batch))
        th_mdot = np.zeros((nb, batch))
        th_dir = np.zeros((nb, batch, 3))
        for i, b in enumerate(burns):
            th_force[i] = _per_run(b.thrust_n, batch, "thrust")
            th_mdot[i] = _per_run(b.mass_flow_kg_s, batch, "mass flow")
            th_dir[i] = np.broadcast_to(np.asarray(b.direction, dtype=float), (batch, 3))

        return KernelSpec(
            mu_c=float(pm[0].mu_m3_s2) if pm else 0.0,
            zon_mu=zon_mu,
            zon_req=zon_req,
            zon_pole=zon_pole,
            zon_j=zj,
            tb_mu=np.array([b.mu_m3_s2 for b in tbs], dtype=float),
            tb_tab=np.arange(len(tbs), dtype=np.int64),
            tab_pos=tab_pos,
            tab_t0=np.array([t0 for _, t0, _ in tabs], dtype=float),
            tab_dt=np.array([dt for _, _, dt in tabs], dtype=float),
            tab_n=np.array([len(p) for p, _, _ in tabs], dtype=np.int64),
            drag_kind=drag_kind,
            drag_coef=drag_coef,
            drag_mass=drag_mass,
            drag_omega=d_omega,
            drag_req=d_req,
            drag_flat=d_flat,
            atm_h=np.ascontiguousarray(atm_h, dtype=float),
            atm_a=np.ascontiguousarray(atm_a, dtype=float),
            atm_b=np.ascontiguousarray(atm_b, dtype=float),
            hp_exp=hp_exp,
            hp_lag=hp_lag,
            hp_tab=hp_tab,
            th_t0=np.array([b.t_start_s for b in burns], dtype=float),
            th_t1=np.array([b.t_end_s for b in burns], dtype=float),
            th_force=th_force,
            th_mdot=th_mdot,
            th_dir=th_dir,
            th_frame=np.array([THRUST_FRAMES[b.frame] for b in burns], dtype=np.int64),
        )

    def acceleration(
        self, t_s: float, r_m: ArrayLike, v_m_s: ArrayLike, mass_kg: ArrayLike | None = None
    ) -> Array:
        """Total acceleration (m/s^2) at time ``t_s`` for states ``(batch, 3)`` (or ``(3,)``).

        Evaluated by the same compiled kernel as the integrator. A burn is on for
        ``t_start_s <= t < t_end_s``. ``mass_kg`` (scalar or ``(batch,)``) is needed when
        :attr:`needs_mass`.
        """
        from houston.dynamics.cowell import _derivatives

        r = np.asarray(r_m, dtype=float)
        v = np.asarray(v_m_s, dtype=float)
        single = r.ndim == 1
        r2, v2 = np.atleast_2d(r), np.atleast_2d(v)
        batch = r2.shape[0]
        y = np.empty((batch, 7 if self.needs_mass else 6))
        y[:, :3], y[:, 3:6] = r2, v2
        if self.needs_mass:
            if mass_kg is None:
                raise ValueError("this force model needs mass_kg")
            y[:, 6] = np.broadcast_to(np.asarray(mass_kg, dtype=float), (batch,))
        spec = self.pack(batch, float(t_s), float(t_s))
        out = _derivatives(float(t_s), y, spec)
        return out[0, 3:6] if single else out[:, 3:6]


def _per_run(value: Any, batch: int, what: str) -> Array:
    a = np.asarray(value, dtype=float)
    if a.ndim > 1 or (a.ndim == 1 and a.shape[0] not in (1, batch)):
        raise ValueError(f"{what} must be a scalar or one value per run ({batch}), got {a.shape}")
    return np.ascontiguousarray(np.broadcast_to(a, (batch,)))


def _tabulate(src: _Source, t_lo: float, t_hi: float) -> tuple[Array, float, float]:
    """Nodes covering ``[t_lo, t_hi]`` with a margin for the 8-point stencil."""
    if isinstance(src.source, Samples):
        s = src.source
        return s.r_m, float(s.t0_s), float(s.step_s)
    dt = float(src.step_s)
    half = INTERP_POINTS // 2
    k0 = int(np.floor(min(t_lo, t_hi) / dt)) - half
    k1 = int(np.ceil(max(t_lo, t_hi) / dt)) + half
    t = np.arange(k0, k1 + 1, dtype=float) * dt
    return sample_position(src.source, t), k0 * dt, dt

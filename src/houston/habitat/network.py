"""Nodal gas network of a habitat: modules, airlocks, tanks and vacuum joined by orifices.

The method is that of NASA's GUNNS fluid networks (General-Use Nodal Network Solver, Johnson
Space Center; ``nasa/gunns`` on GitHub): gas volumes are *nodes* holding a mixture at a
pressure and temperature; hatches, holes, vents and valves are *links* (conductors) between two
nodes, whose flow depends on the two node pressures; the network is advanced by solving the
mass balance of every node implicitly.

Data layout
-----------
Topology (:class:`GasNetwork`, shared by every run of a batch):

* ``node_names`` (N,), ``volume_m3`` (N,): a vacuum node has an infinite volume, so its
  pressure is always zero; the gas it receives is kept, so the total mass of every species over
  all nodes is conserved (the vacuum node's mass is the gas lost overboard).
* ``link_names`` (L,), ``link_node_a`` / ``link_node_b`` (L,) node indices, ``link_one_way``
  (L,): a one-way link (a check valve, a tank feed valve) only passes gas from a to b.

State (:class:`GasState`, with a leading batch axis B; one run is a batch of one):

* ``mass_kg`` (B, N, S): mass of each species in each node, species order O2, N2, CO2, H2O
  (:mod:`houston.habitat.gas`);
* ``temperature_K`` (B, N).

Inputs of a step: ``area_cd_m2`` (B, L), the effective area cd*A of every link (an open
hatch is a large orifice, about 0.6 m^2 for a 1 m^2 hatch with cd 0.6; a closed hatch 0; a
hole of diameter d about 0.6 * pi d^2 / 4), and optionally ``max_flow_kg_s`` (B, L), a cap on
the magnitude of the mass flow of a link (a regulated feed valve from a tank node; infinite
by default).

Physics
-------
* Flow through every link: the compressible orifice law of :mod:`houston.habitat.flow`
  (choked or subsonic by the pressure ratio), with the upstream node's temperature, molar mass
  and ratio of specific heats; regularised near equal pressures (see that module).
* Species move with the upstream composition (upwind transport, taken implicitly at the end of
  the step, so every species mass stays non-negative).
* Temperature: isothermal at the node temperature, which the step does not change (another
  model, or the scenario, may set it). Justification: the walls, structure and equipment of a
  module hold far more heat than its air (a 100 m^3 module holds about 120 kg of air,
  cv ~ 0.72 kJ/(kg K), against tonnes of aluminium at 0.9 kJ/(kg K)), so over minutes the gas
  stays near the wall temperature. This is not true for a fast blowdown of a small volume:
  an adiabatic expansion from 101 kPa to 30 kPa cools air from 293 K to about 207 K
  (T2 = T1 (p2/p1)^((gamma-1)/gamma)), which would lower the pressure and slow the outflow
  until the walls heat the gas again. The isothermal model is therefore an upper bound on
  the late pressure of a small vented volume and the leak rate is within a few per cent while
  the flow is choked (the choked flow scales with sqrt(1/T)).
* Ideal gas (see :mod:`houston.habitat.gas`).

Integration
-----------
Backward Euler on the node amounts, with Newton's method on the node pressures:

    c_i (p_i - p_i_old) + dt * sum_links (+-) q_l(p) = 0,     c_i = V_i / (R T_i),

solved for all nodes together (a dense N x N Jacobian per run, assembled from the link
derivatives), with a backtracking line search on the sum of squared pressure residuals and
the iterates kept within [0, highest old pressure of the run] (the scheme's discrete maximum
principle). The first iterations use the secant (Picard) linearisation q = G dp with
G = q / dp through the current point, as GUNNS linearises its conductors: when a hatch opens
on a large pressure difference, the tangent of the choked law at the old pressures overshoots
by orders of magnitude, while the secant network brackets the answer; Newton then converges
quadratically. A run that has not converged after ``max_iterations`` is redone as two half
steps, recursively, so a step always ends (the count is reported). The problem is stiff: an open 1 m^2 hatch equalises a 2 m^3 airlock in milliseconds, a pin-hole
leaks for days, and both may sit in the same network stepped at dt = 1 s. Explicit schemes
would need substeps shorter than the fastest time constant (and near equal pressures the
sqrt(dp) law has no finite time constant at all). Backward Euler is L-stable: it damps the
fast modes instead of ringing, cannot overshoot an equalisation for a monotone flow law, and
keeps pressures non-negative. It is first-order accurate: a slow transient of time constant
tau is reproduced with a relative error of about dt / (2 tau) (tested against the analytic
blowdown); the fast transients are not resolved, only their end state, which is what a 1 s
step needs. The Jacobian of the residual (in mol) is a column-diagonally-dominant M-matrix
(every link flow rises with its upstream and falls with its downstream pressure), so every
Newton system is non-singular.

Mass bookkeeping: once the pressures are solved, the amount of every species moved through
every link over the step is computed with implicit upwind composition (one small linear system
per run for all species, whose matrix is again an M-matrix) and applied as fluxes: each flux
is subtracted from one node and added to another, so every species is conserved to round-off
whatever the Newton tolerance, and no mass goes negative (see :func:`_apply_moves` for the
round-off case).

Every operation is vectorised over the batch (no Python loop over runs or links); runs do not
interact, and each row gets bit-for-bit the result it would get alone (rows that converge
stop iterating).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from houston.core.constants import R_GAS_J_MOL_K
from houston.habitat.flow import DP_TRANSITION_PA, link_molar_flow
from houston.habitat.gas import (
    DRY_AIR_MOLE_FRACTION,
    MOLAR_MASS_KG_MOL,
    N_SPECIES,
    heat_capacity_ratio,
    masses_from_pressure_kg,
    mixture_molar_mass_kg_mol,
    moles,
)

_F = NDArray[np.float64]

#: Armijo constant of the line search: accept a step that cuts the squared residual by at
#: least a fraction 2 * c * alpha (0.25 rejects the sign-flipping full steps of sqrt(dp) laws).
_SUFFICIENT_DECREASE = 0.25


@dataclass(frozen=True)
class GasNetwork:
    """Topology of a gas network: named nodes with volumes, named links between node pairs.

    Build it with :meth:`build` from a scenario description. Arrays are read-only.
    """

    node_names: tuple[str, ...]
    volume_m3: _F
    link_names: tuple[str, ...]
    link_node_a: NDArray[np.intp]
    link_node_b: NDArray[np.intp]
    link_one_way: NDArray[np.bool_]
    _node_index: dict[str, int] = field(init=False, repr=False, compare=False)
    _link_index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        volume = np.array(self.volume_m3, dtype=float)
        a = np.array(self.link_node_a, dtype=np.intp)
        b = np.array(self.link_node_b, dtype=np.intp)
        one_way = np.array(self.link_one_way, dtype=bool)
        n, n_links = len(self.node_names), len(self.link_names)
        if volume.shape != (n,):
            raise ValueError(f"volume_m3 has shape {volume.shape}, expected ({n},)")
        if np.any(~(volume > 0.0)):
            raise ValueError("every node volume must be > 0 (use inf for a vacuum node)")
        for name, arr in (("link_node_a", a), ("link_node_b", b), ("link_one_way", one_way)):
            if arr.shape != (n_links,):
                raise ValueError(f"{name} has shape {arr.shape}, expected ({n_links},)")
        if n_links and (a.min() < 0 or b.min() < 0 or a.max() >= n or b.max() >= n):
            raise ValueError("link endpoint index out of range")
        if np.any(a == b):
            raise ValueError("a link must join two different nodes")
        if len(set(self.node_names)) != n or len(set(self.link_names)) != n_links:
            raise ValueError("node and link names must be unique")
        for arr in (volume, a, b, one_way):
            arr.flags.writeable = False
        object.__setattr__(self, "volume_m3", volume)
        object.__setattr__(self, "link_node_a", a)
        object.__setattr__(self, "link_node_b", b)
        object.__setattr__(self, "link_one_way", one_way)
        object.__setattr__(self, "_node_index", {k: i for i, k in enumerate(self.node_names)})
        object.__setattr__(self, "_link_index", {k: i for i, k in enumerate(self.link_names)})

    @classmethod
    def build(
        cls,
        nodes: Sequence[tuple[str, float]],
        links: Sequence[tuple[str, str, str] | tuple[str, str, str, bool]],
    ) -> GasNetwork:
        """Network from ``nodes`` = [(name, volume_m3), ...] and
        ``links`` = [(name, node_a, node_b[, one_way]), ...] (endpoints by node name).

        A node of volume ``float('inf')`` is a vacuum node.
        """
        names = tuple(name for name, _ in nodes)
        index = {name: i for i, name in enumerate(names)}
        missing = {e for link in links for e in link[1:3] if e not in index}
        if missing:
            raise KeyError(f"links refer to unknown nodes: {sorted(missing)}")
        return cls(
            node_names=names,
            volume_m3=np.array([v for _, v in nodes], dtype=float),
            link_names=tuple(link[0] for link in links),
            link_node_a=np.array([index[link[1]] for link in links], dtype=np.intp),
            link_node_b=np.array([index[link[2]] for link in links], dtype=np.intp),
            link_one_way=np.array(
                [bool(link[3]) if len(link) > 3 else False for link in links], dtype=bool
            ),
        )

    @property
    def n_nodes(self) -> int:
        return len(self.node_names)

    @property
    def n_links(self) -> int:
        return len(self.link_names)

    @property
    def is_vacuum(self) -> NDArray[np.bool_]:
        """(N,) True for the vacuum nodes (infinite volume)."""
        return np.isinf(self.volume_m3)

    def node_index(self, name: str) -> int:
        return self._node_index[name]

    def link_index(self, name: str) -> int:
        return self._link_index[name]


@dataclass(frozen=True)
class GasState:
    """Gas in every node of a batch of runs: ``mass_kg`` (B, N, S), ``temperature_K`` (B, N)."""

    mass_kg: _F
    temperature_K: _F

    def __post_init__(self) -> None:
        m = np.asarray(self.mass_kg, dtype=float)
        t = np.asarray(self.temperature_K, dtype=float)
        if m.ndim != 3 or m.shape[2] != N_SPECIES:
            raise ValueError(f"mass_kg must be (B, N, {N_SPECIES}), got {m.shape}")
        if t.shape != m.shape[:2]:
            raise ValueError(f"temperature_K must be {m.shape[:2]}, got {t.shape}")
        object.__setattr__(self, "mass_kg", m)
        object.__setattr__(self, "temperature_K", t)

    @property
    def batch_size(self) -> int:
        return int(self.mass_kg.shape[0])


def initial_state(
    network: GasNetwork,
    pressure_Pa: ArrayLike,
    temperature_K: ArrayLike = 293.15,
    mole_fraction: ArrayLike = DRY_AIR_MOLE_FRACTION,
    batch_size: int = 1,
) -> GasState:
    """State with the given node pressures (Pa), temperatures (K) and mole fractions.

    ``pressure_Pa`` and ``temperature_K`` broadcast to (B, N); ``mole_fraction`` to
    (B, N, S). Vacuum nodes get no gas whatever pressure is given.
    """
    shape = (batch_size, network.n_nodes)
    p = np.where(network.is_vacuum, 0.0, np.broadcast_to(pressure_Pa, shape))
    t = np.array(np.broadcast_to(temperature_K, shape), dtype=float)
    x = np.broadcast_to(mole_fraction, (*shape, N_SPECIES))
    mass = masses_from_pressure_kg(p, network.volume_m3, t, x)
    return GasState(mass_kg=np.array(mass), temperature_K=t)


def node_pressure_Pa(network: GasNetwork, state: GasState) -> _F:
    """(B, N) total pressure of every node, Pa (zero in vacuum nodes)."""
    n_total = moles(state.mass_kg).sum(axis=-1)
    return n_total * R_GAS_J_MOL_K * state.temperature_K / network.volume_m3


def node_partial_pressure_Pa(network: GasNetwork, state: GasState) -> _F:
    """(B, N, S) partial pressure of every species in every node, Pa."""
    rt_v = R_GAS_J_MOL_K * state.temperature_K / network.volume_m3
    return moles(state.mass_kg) * rt_v[..., None]


def total_mass_kg(state: GasState) -> _F:
    """(B, S) mass of every species summed over all nodes, vacuum included (conserved)."""
    return state.mass_kg.sum(axis=1)


@dataclass(frozen=True)
class SolverOptions:
    """Numerical settings of :func:`step`.

    * ``dp_transition_Pa``: regularisation width of the sqrt(dp) flow law (see
      :mod:`houston.habitat.flow`).
    * ``rtol``, ``atol_Pa``: the Newton iteration of a run stops when every finite node
      satisfies |residual| / c_i <= rtol * p_scale + atol_Pa, where p_scale is the highest
      node pressure of that run at the start of the step.
    * ``max_iterations``: Newton iterations before a run falls back to two half steps;
      ``max_halvings_dt``: how many times a step may be halved that way.
    * ``picard_iterations``: the first iterations use the secant (Picard) linearisation
      instead of the tangent one; it brackets the solution better when a hatch opens on a
      large pressure difference, after which Newton converges quadratically.
    * ``max_halvings``: backtracking steps of the line search.
    """

    dp_transition_Pa: float = DP_TRANSITION_PA
    max_iterations: int = 30
    rtol: float = 1e-10
    atol_Pa: float = 1e-9
    max_halvings: int = 40
    max_halvings_dt: int = 12
    picard_iterations: int = 2


@dataclass(frozen=True)
class StepResult:
    """Result of :func:`step`.

    * ``state``: the gas after the step;
    * ``link_mass_flow_kg_s`` (B, L): mean mass flow of each link over the step, positive
      from node a to node b;
    * ``link_species_mass_kg`` (B, L, S): mass of each species moved through each link over
      the step, signed the same way;
    * ``iterations`` (B,): Newton iterations taken (over all substeps); ``converged`` (B,):
      whether the pressure residual met the tolerance; ``residual_Pa`` (B,): the largest final
      residual / c_i; ``substeps`` (B,): backward-Euler substeps used (1 unless the Newton
      iteration of the full step failed).
    """

    state: GasState
    link_mass_flow_kg_s: _F
    link_species_mass_kg: _F
    iterations: NDArray[np.int64]
    converged: NDArray[np.bool_]
    residual_Pa: _F
    substeps: NDArray[np.int64]


def _segment_sum(values: _F, index: NDArray[np.intp], n_bins: int) -> _F:
    """Sum ``values`` (b, K, *rest) into (b, n_bins, *rest) by ``index`` (K,) or (b, K).

    Uses ``np.bincount``, which adds in input order: every row gets the same additions in the
    same order whatever the batch size.
    """
    b, k = values.shape[:2]
    rest = values.shape[2:]
    r = int(np.prod(rest)) if rest else 1
    idx = np.broadcast_to(index, (b, k))
    flat = np.arange(b)[:, None] * n_bins + idx
    if r > 1:
        flat = flat[..., None] * r + np.arange(r)
    out = np.bincount(flat.ravel(), weights=values.reshape(-1), minlength=b * n_bins * r)
    return out.reshape((b, n_bins, *rest))


class _Problem:
    """The backward-Euler pressure problem of one step, for a subset of rows."""

    def __init__(
        self,
        network: GasNetwork,
        p_old: _F,
        cap: _F,
        temperature: _F,
        gamma: _F,
        molar_mass: _F,
        area_cd: _F,
        max_flow: _F | None,
        dt: float,
        dp_t: float,
    ) -> None:
        self.a = network.link_node_a
        self.b = network.link_node_b
        self.one_way = network.link_one_way
        self.vac = network.is_vacuum
        self.n = network.n_nodes
        self.p_old, self.cap, self.t = p_old, cap, temperature
        self.gamma, self.mm = gamma, molar_mass
        self.kc, self.max_flow = area_cd, max_flow
        self.dt, self.dp_t = dt, dp_t
        # Jacobian scatter pattern: (a,a), (a,b), (b,a), (b,b) for every link.
        n = self.n
        self.jac_index = np.concatenate(
            [self.a * n + self.a, self.a * n + self.b, self.b * n + self.a, self.b * n + self.b]
        )

    def flows(self, p: _F, rows: NDArray[np.intp]) -> tuple[_F, _F, _F]:
        a, b = self.a, self.b
        t, g, mm = self.t[rows], self.gamma[rows], self.mm[rows]
        pa, pb = p[:, a], p[:, b]
        q, dqa, dqb = link_molar_flow(
            self.kc[rows], pa, pb, t[:, a], t[:, b], g[:, a], g[:, b], mm[:, a], mm[:, b], self.dp_t
        )
        # A one-way link passes no reverse flow; a capped link passes at most its cap.
        frozen = self.one_way & (q < 0.0)
        q = np.where(frozen, 0.0, q)
        if self.max_flow is not None:
            m_up = np.where(pa >= pb, mm[:, a], mm[:, b])
            cap_mol = self.max_flow[rows] / m_up
            over = np.abs(q) > cap_mol
            q = np.where(over, np.copysign(cap_mol, q), q)
            frozen = frozen | over
        dqa = np.where(frozen, 0.0, dqa)
        dqb = np.where(frozen, 0.0, dqb)
        return q, dqa, dqb

    def residual(self, p: _F, q: _F, rows: NDArray[np.intp]) -> _F:
        """Residual divided by the node capacitance, Pa (zero on vacuum nodes)."""
        both = np.concatenate([q, -q], axis=1)
        div = _segment_sum(both, np.concatenate([self.a, self.b]), self.n)
        cap = self.cap[rows]
        r = (p - self.p_old[rows]) + self.dt * div / cap
        return np.where(self.vac, 0.0, r)

    def newton_direction(self, r: _F, dqa: _F, dqb: _F, rows: NDArray[np.intp]) -> _F:
        """Solve J d = -R for the scaled system (rows divided by the capacitance)."""
        n = self.n
        cap = self.cap[rows]
        vals = self.dt * np.concatenate([dqa, dqb, -dqa, -dqb], axis=1)
        jac = _segment_sum(vals, self.jac_index, n * n).reshape(-1, n, n)
        jac = jac / cap[:, :, None]
        diag = np.arange(n)
        jac[:, diag, diag] += 1.0
        vac = np.flatnonzero(self.vac)
        jac[:, vac, :] = 0.0
        jac[:, vac, vac] = 1.0
        return np.asarray(np.linalg.solve(jac, -r[:, :, None])[:, :, 0], dtype=np.float64)


def step(
    network: GasNetwork,
    state: GasState,
    area_cd_m2: ArrayLike,
    dt_s: float,
    max_flow_kg_s: ArrayLike | None = None,
    options: SolverOptions | None = None,
) -> StepResult:
    """Advance the gas network by ``dt_s`` seconds (backward Euler, Newton on pressures).

    ``area_cd_m2`` broadcasts to (B, L); ``max_flow_kg_s`` (optional) to (B, L). Returns a
    :class:`StepResult` with the new state; the input state is not modified. A run whose
    Newton iteration does not converge within ``options.max_iterations`` is advanced instead
    by two backward-Euler half steps, recursively (at most ``options.max_halvings_dt`` times).
    See the module docstring for the model and the method.
    """
    opts = options if options is not None else SolverOptions()
    if not dt_s > 0.0:
        raise ValueError("dt_s must be > 0")
    bsz, n, n_links = state.batch_size, network.n_nodes, network.n_links
    if state.mass_kg.shape[1] != n:
        raise ValueError(f"state has {state.mass_kg.shape[1]} nodes, network has {n}")
    area_cd = np.broadcast_to(np.asarray(area_cd_m2, dtype=float), (bsz, n_links))
    if np.any(area_cd < 0.0):
        raise ValueError("area_cd_m2 must be >= 0")
    max_flow = None
    if max_flow_kg_s is not None:
        max_flow = np.broadcast_to(np.asarray(max_flow_kg_s, dtype=float), (bsz, n_links))
    out = _advance(
        network, state.mass_kg, state.temperature_K, area_cd, max_flow, float(dt_s), opts, 0
    )
    return StepResult(
        state=GasState(mass_kg=out.mass_kg, temperature_K=state.temperature_K),
        link_mass_flow_kg_s=out.moved_kg.sum(axis=-1) / dt_s,
        link_species_mass_kg=out.moved_kg,
        iterations=out.iterations,
        converged=out.converged,
        residual_Pa=out.residual,
        substeps=out.substeps,
    )


@dataclass
class _Advance:
    mass_kg: _F  # (b, N, S) masses after the step
    moved_kg: _F  # (b, L, S) signed masses moved through each link (+ from a to b)
    iterations: NDArray[np.int64]
    converged: NDArray[np.bool_]
    residual: _F
    substeps: NDArray[np.int64]


def _advance(
    network: GasNetwork,
    mass_kg: _F,
    temperature_K: _F,
    area_cd: _F,
    max_flow: _F | None,
    dt: float,
    opts: SolverOptions,
    depth: int,
) -> _Advance:
    """One backward-Euler step for every row; rows that fail are split into two half steps."""
    vac = network.is_vacuum
    temperature = np.where(vac, 1.0, temperature_K)
    volume = np.where(vac, 1.0, network.volume_m3)
    cap = volume / (R_GAS_J_MOL_K * temperature)  # mol/Pa (a placeholder 1 m^3 for vacuum)
    n_old = moles(mass_kg)
    p_old = np.where(vac, 0.0, n_old.sum(axis=-1) / cap)
    problem = _Problem(
        network,
        p_old,
        cap,
        temperature,
        heat_capacity_ratio(mass_kg),
        mixture_molar_mass_kg_mol(mass_kg),
        area_cd,
        max_flow,
        dt,
        opts.dp_transition_Pa,
    )
    q, iterations, converged, residual = _solve_pressures(problem, p_old, opts)
    moved_kg = _transport_species(network, n_old, q, dt) * MOLAR_MASS_KG_MOL
    mass_new = _apply_moves(network, mass_kg, moved_kg)
    substeps = np.ones(mass_kg.shape[0], dtype=np.int64)
    retry = np.flatnonzero(~converged)
    if retry.size and depth < opts.max_halvings_dt:
        t, kc = temperature_K[retry], area_cd[retry]
        mf = None if max_flow is None else max_flow[retry]
        half = 0.5 * dt
        first = _advance(network, mass_kg[retry], t, kc, mf, half, opts, depth + 1)
        second = _advance(network, first.mass_kg, t, kc, mf, half, opts, depth + 1)
        mass_new[retry] = second.mass_kg
        moved_kg[retry] = first.moved_kg + second.moved_kg
        iterations[retry] += first.iterations + second.iterations
        converged[retry] = first.converged & second.converged
        residual[retry] = np.maximum(first.residual, second.residual)
        substeps[retry] = first.substeps + second.substeps
    return _Advance(mass_new, moved_kg, iterations, converged, residual, substeps)


def _solve_pressures(
    problem: _Problem, p_old: _F, opts: SolverOptions
) -> tuple[_F, NDArray[np.int64], NDArray[np.bool_], _F]:
    """Newton iteration with line search on the backward-Euler pressure equations.

    Returns the link molar flows at the solution (b, L), the iterations, the convergence flags
    and the final scaled residuals (Pa).
    """
    bsz, n_links = p_old.shape[0], problem.a.size
    finite = ~problem.vac
    p_max = np.max(np.where(finite, p_old, 0.0), axis=1)
    tol = opts.rtol * p_max + opts.atol_Pa
    q_out = np.zeros((bsz, n_links))
    iterations = np.zeros(bsz, dtype=np.int64)
    converged = np.zeros(bsz, dtype=bool)
    residual_out = np.zeros(bsz)

    rows = np.arange(bsz)
    p = p_old.copy()
    q, dqa, dqb = problem.flows(p, rows)
    r = problem.residual(p, q, rows)
    for it in range(opts.max_iterations + 1):
        err = np.max(np.abs(r), axis=1)
        done = err <= tol[rows]
        finished = done | (it == opts.max_iterations)
        fin_rows = rows[finished]
        q_out[fin_rows] = q[finished]
        converged[fin_rows] = done[finished]
        residual_out[fin_rows] = err[finished]
        iterations[fin_rows] = it
        keep = ~finished
        if not keep.any():
            break
        rows, p, q, dqa, dqb, r = rows[keep], p[keep], q[keep], dqa[keep], dqb[keep], r[keep]
        if it < opts.picard_iterations:
            # Secant (Picard) step, as GUNNS linearises its conductors: replace every link by the
            # conductance G = q / dp through the current point and solve the linear network.
            dp = p[:, problem.a] - p[:, problem.b]
            g = np.divide(q, dp, out=dqa.copy(), where=dp != 0.0)
            direction = problem.newton_direction(r, g, -g, rows)
        else:
            direction = problem.newton_direction(r, dqa, dqb, rows)
        phi0 = np.sum(r * r, axis=1)
        alpha = np.ones(rows.size)
        pending = np.ones(rows.size, dtype=bool)
        p_new, q_new, dqa_new, dqb_new, r_new = (np.empty_like(x) for x in (p, q, dqa, dqb, r))
        for halving in range(opts.max_halvings + 1):
            idx = np.flatnonzero(pending)
            sub = rows[idx]
            # Pressures stay within [0, highest old pressure of the run]: backward Euler with
            # flows from high to low pressure obeys this discrete maximum principle.
            p_try = np.clip(p[idx] + alpha[idx, None] * direction[idx], 0.0, p_max[sub, None])
            q_try, dqa_try, dqb_try = problem.flows(p_try, sub)
            r_try = problem.residual(p_try, q_try, sub)
            phi = np.sum(r_try * r_try, axis=1)
            a_i, phi0_i = alpha[idx], phi0[idx]
            ok = phi <= (1.0 - 2.0 * _SUFFICIENT_DECREASE * a_i) * phi0_i
            if halving == opts.max_halvings:
                ok[:] = True
            acc = idx[ok]
            p_new[acc], q_new[acc], r_new[acc] = p_try[ok], q_try[ok], r_try[ok]
            dqa_new[acc], dqb_new[acc] = dqa_try[ok], dqb_try[ok]
            pending[acc] = False
            # Minimum of the quadratic through phi(0), phi'(0) = -2 phi(0) and phi(alpha),
            # kept within [0.1, 0.5] alpha (Dennis & Schnabel 1983, sec. 6.3).
            curv = (phi - phi0_i + 2.0 * phi0_i * a_i) / (a_i * a_i)
            a_star = np.divide(phi0_i, curv, out=0.5 * a_i, where=curv > 0.0)
            alpha[idx[~ok]] = np.clip(a_star, 0.1 * a_i, 0.5 * a_i)[~ok]
            if not pending.any():
                break
        p, q, dqa, dqb, r = p_new, q_new, dqa_new, dqb_new, r_new
    return q_out, iterations, converged, residual_out


def _apply_moves(network: GasNetwork, mass_kg: _F, moved_kg: _F) -> _F:
    """Masses after moving ``moved_kg`` (b, L, S), signed + from a to b, between the nodes.

    In exact arithmetic no amount goes negative (implicit upwind transport). A node whose gas
    is renewed many times over in one step (an airlock venting, fed by a hatch) ends with an
    amount far smaller than what passed through it, and the sum old + in - out can then come
    out a few ulps of the throughput below zero (e.g. -1e-34 kg); those round-off values are
    set to zero, which changes the totals by the same round-off.
    """
    n = network.n_nodes
    mass_new = (
        mass_kg
        + _segment_sum(moved_kg, network.link_node_b, n)
        - _segment_sum(moved_kg, network.link_node_a, n)
    )
    return np.maximum(mass_new, 0.0)


def _transport_species(network: GasNetwork, n_old: _F, q: _F, dt: float) -> _F:
    """Amount of every species moved through every link over the step, mol, (B, L, S).

    Signed: positive from node a to node b.

    Implicit upwind: the gas leaving a node over the step has the composition of that node at
    the end of the step. With f_l = |q_l| dt the total amount moved through link l, A_u the
    amount available to node u (its old content plus everything it receives) and
    theta_l = f_l / A_u the fraction of it that leaves through l, the available amounts solve
    a_d = n_old_d + sum_{l into d} theta_l a_u(l), one linear system (I - P) a = n_old per run
    for all species; P >= 0 with column sums <= 1, so a >= 0.
    """
    bsz, n, _ = n_old.shape
    a_idx, b_idx = network.link_node_a, network.link_node_b
    forward = q >= 0.0
    up = np.where(forward, a_idx, b_idx)
    down = np.where(forward, b_idx, a_idx)
    moved = np.abs(q) * dt
    n_tot_old = n_old.sum(axis=-1)
    received = _segment_sum(moved, down, n)
    sent = _segment_sum(moved, up, n)
    available = n_tot_old + received
    # Fraction of the node's available gas that leaves through each link; if the solver left
    # a residual that would send more than is available, the node is emptied exactly.
    denominator = np.take_along_axis(np.maximum(available, sent), up, axis=1)
    theta = np.divide(moved, denominator, out=np.zeros_like(moved), where=denominator > 0.0)
    p_matrix = _segment_sum(theta, down * n + up, n * n).reshape(bsz, n, n)
    system = -p_matrix
    diag = np.arange(n)
    system[:, diag, diag] += 1.0
    avail = np.maximum(np.linalg.solve(system, n_old), 0.0)
    moved_mol = theta[..., None] * np.take_along_axis(avail, up[..., None], axis=1)
    return np.where(forward[..., None], moved_mol, -moved_mol)

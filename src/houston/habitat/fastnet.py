"""The gas-network step of :mod:`houston.habitat.network`, compiled: the fast path of a model.

Same model, same method, same options: backward Euler on the node amounts, Newton's method
on the node pressures (two secant iterations first), the Armijo line search with quadratic
interpolation, pressures kept within [0, highest old pressure], implicit upwind transport of
the species, and a run that does not converge redone as two half steps, recursively. What
changes is the execution: one compiled loop per run (numba, ``cache=True``, compiled on the
first call, never at ``import houston``), a dense LU factorisation with partial pivoting
written out for the small systems of a habitat, and two shortcuts that do not change the
result:

* a run whose links all carry no flow at the old pressures (every hatch closed, or every
  open link between equal pressures) keeps its masses without solving anything;
* the Newton iteration of a run stops as soon as its residual meets the tolerance, as in the
  vectorised solver (so a quiet step costs one flow evaluation and one transport solve).

The step allocates nothing: its working arrays are views of one working space the caller
gives (:func:`work_size` elements, shared by the runs of a batch, which are computed one
after another), so that a caller compiled without numba's reference counting (the habitat
model's step, :func:`houston.habitat.kernels.step_packed`) can call it.

Rows are independent and each is computed by the same compiled code whatever the batch
size, so a batch of N gives bit for bit the N single runs. Against the vectorised solver the
results agree to round-off of the Newton tolerance (rtol 1e-10 of the highest pressure), not
bit for bit: the floating-point operations are ordered differently (tested).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import ArrayLike, NDArray

from houston.core.constants import MOLAR_MASS_AIR_KG_MOL, R_GAS_J_MOL_K
from houston.habitat.gas import CP_J_MOL_K, GAMMA_AIR, MOLAR_MASS_KG_MOL
from houston.habitat.network import GasNetwork, GasState, SolverOptions, StepResult

_F = NDArray[np.float64]

_R = R_GAS_J_MOL_K
_M_AIR = MOLAR_MASS_AIR_KG_MOL
_P_FLOOR_PA = 1e-100
_SUFFICIENT_DECREASE = 0.25


@njit(cache=True)
def _psi(r: float, g: float) -> float:
    k = (g - 1.0) / g
    log_r = math.log(r) if r > 0.0 else -math.inf
    return math.exp((2.0 / g) * log_r) * -math.expm1(k * log_r)


@njit(cache=True)
def _d_log_ratio(u: float, k: float, e_k: float, e_1: float) -> float:
    if abs(u) < 1e-3:
        return (k - 1.0) / 2.0 + (k * k - 1.0) * u / 12.0 - (k**4 - 1.0) * u**3 / 720.0
    return k * (1.0 + e_k) / e_k - (1.0 + e_1) / e_1


@njit(cache=True)
def _forward(
    kc: float, p_hi: float, p_lo: float, t_up: float, g: float, mm: float, dp_t: float
) -> tuple[float, float, float]:
    """Regularised molar flow from p_hi to p_lo and its partials (flow._forward_molar_flow)."""
    k = (g - 1.0) / g
    r_c = (2.0 / (g + 1.0)) ** (g / (g - 1.0))
    b = kc * math.sqrt(2.0 * g / ((g - 1.0) * mm * _R * t_up))
    dp = p_hi - p_lo
    p_safe = p_hi if p_hi > _P_FLOOR_PA else 1.0
    x = dp / p_safe
    if p_hi <= _P_FLOOR_PA or x >= 1.0 - r_c:
        slope_c = b * math.sqrt(_psi(r_c, g))
        return slope_c * (p_hi if p_hi > 0.0 else 0.0), slope_c, 0.0
    u = math.log1p(-x)
    u_nz = u if u != 0.0 else -1.0
    e_k = math.expm1(k * u_nz)
    e_1 = math.expm1(u_nz)
    phi = k if u == 0.0 else math.exp((2.0 / g) * u) * e_k / e_1
    d_log_phi = 2.0 / g + _d_log_ratio(u, k, e_k, e_1)
    s = math.sqrt(p_safe * phi)
    dp_sub = x * p_safe
    q = dp_sub * dp_sub + dp_t * dp_t
    h = dp_sub * q**-0.25
    h_prime = (0.5 * dp_sub * dp_sub + dp_t * dp_t) * q**-1.25
    dp_c = (1.0 - r_c) * p_safe
    q_c = dp_c * dp_c + dp_t * dp_t
    g_c = (dp_c * dp_c / q_c) ** 0.25
    l_c = 0.5 * dp_t * dp_t / (p_safe * q_c)
    p_lo_safe = (1.0 - x) * p_safe
    n_sub = b * s * h / g_c
    dn_dhi = n_sub * ((1.0 - d_log_phi) / (2.0 * p_safe) - l_c) + b * s * h_prime / g_c
    dn_dlo = n_sub * d_log_phi / (2.0 * p_lo_safe) - b * s * h_prime / g_c
    return n_sub, dn_dhi, dn_dlo


@njit(cache=True)
def _flows(
    p: _F,
    a: NDArray[np.intp],
    b: NDArray[np.intp],
    one_way: NDArray[np.bool_],
    kc: _F,
    max_flow: _F,
    t: _F,
    gamma: _F,
    mm: _F,
    dp_t: float,
    q: _F,
    dqa: _F,
    dqb: _F,
) -> None:
    """Signed link flows (mol/s, + from a to b) and their partials, in place."""
    for j in range(a.size):
        ia, ib = a[j], b[j]
        pa, pb = p[ia], p[ib]
        if kc[j] == 0.0:
            q[j] = 0.0
            dqa[j] = 0.0
            dqb[j] = 0.0
            continue
        fwd = pa >= pb
        up = ia if fwd else ib
        n, dhi, dlo = _forward(kc[j], max(pa, pb), min(pa, pb), t[up], gamma[up], mm[up], dp_t)
        if fwd:
            qj, da, db = n, dhi, dlo
        else:
            qj, da, db = -n, -dlo, -dhi
        m_up = mm[up]
        frozen = one_way[j] and qj < 0.0
        if frozen:
            qj = 0.0
        cap = max_flow[j] / m_up
        if abs(qj) > cap:
            qj = math.copysign(cap, qj)
            frozen = True
        if frozen:
            da = 0.0
            db = 0.0
        q[j] = qj
        dqa[j] = da
        dqb[j] = db


@njit(cache=True)
def _residual(
    p: _F,
    p_old: _F,
    cap: _F,
    vac: NDArray[np.bool_],
    a: NDArray[np.intp],
    b: NDArray[np.intp],
    q: _F,
    dt: float,
    r: _F,
    div: _F,
) -> float:
    """Residual / capacitance (Pa) in ``r``; returns the sum of squares (``div`` (N,) is
    working space)."""
    n = p.size
    div[:] = 0.0
    for j in range(a.size):
        div[a[j]] += q[j]
    for j in range(a.size):
        div[b[j]] -= q[j]
    phi = 0.0
    for i in range(n):
        if vac[i]:
            r[i] = 0.0
        else:
            r[i] = (p[i] - p_old[i]) + dt * div[i] / cap[i]
        phi += r[i] * r[i]
    return phi


@njit(cache=True)
def _lu_solve(m: _F, rhs: _F) -> None:
    """Solve m x = rhs in place (rhs (n, k) becomes x), Gaussian elimination with partial
    pivoting; ``m`` is overwritten."""
    n = m.shape[0]
    k = rhs.shape[1]
    for c in range(n):
        piv = c
        best = abs(m[c, c])
        for i in range(c + 1, n):
            v = abs(m[i, c])
            if v > best:
                best = v
                piv = i
        if piv != c:
            for j in range(n):
                tmp = m[c, j]
                m[c, j] = m[piv, j]
                m[piv, j] = tmp
            for j in range(k):
                tmp = rhs[c, j]
                rhs[c, j] = rhs[piv, j]
                rhs[piv, j] = tmp
        d = m[c, c]
        for i in range(c + 1, n):
            f = m[i, c] / d
            if f != 0.0:
                for j in range(c + 1, n):
                    m[i, j] -= f * m[c, j]
                for j in range(k):
                    rhs[i, j] -= f * rhs[c, j]
    for c in range(n - 1, -1, -1):
        d = m[c, c]
        for j in range(k):
            s = rhs[c, j]
            for i in range(c + 1, n):
                s -= m[c, i] * rhs[i, j]
            rhs[c, j] = s / d


@njit(cache=True)
def _direction(
    r: _F,
    dqa: _F,
    dqb: _F,
    cap: _F,
    vac: NDArray[np.bool_],
    a: NDArray[np.intp],
    b: NDArray[np.intp],
    dt: float,
    jac: _F,
    d: _F,
) -> None:
    """Newton direction: solve J d = -r for the scaled system (``jac`` (N, N) is working
    space)."""
    n = r.size
    jac[:, :] = 0.0
    for j in range(a.size):
        ia, ib = a[j], b[j]
        jac[ia, ia] += dt * dqa[j]
        jac[ia, ib] += dt * dqb[j]
        jac[ib, ia] -= dt * dqa[j]
        jac[ib, ib] -= dt * dqb[j]
    for i in range(n):
        if vac[i]:
            for j in range(n):
                jac[i, j] = 0.0
            jac[i, i] = 1.0
        else:
            for j in range(n):
                jac[i, j] /= cap[i]
            jac[i, i] += 1.0
    rhs = d.reshape((n, 1))
    for i in range(n):
        rhs[i, 0] = -r[i]
    _lu_solve(jac, rhs)


@njit(cache=True)
def _attempt_work_size(n: int, nl: int, ns: int) -> int:
    """Length of the working space of :func:`_attempt` (float64)."""
    return 2 * n * ns + 2 * n * n + 14 * n + 9 * nl


@njit(cache=True)
def _attempt(
    mass: _F,
    temperature: _F,
    volume: _F,
    vac: NDArray[np.bool_],
    a: NDArray[np.intp],
    b: NDArray[np.intp],
    one_way: NDArray[np.bool_],
    kc: _F,
    max_flow: _F,
    molar_mass: _F,
    cp: _F,
    dt: float,
    dp_t: float,
    rtol: float,
    atol: float,
    max_iterations: int,
    max_halvings: int,
    picard: int,
    moved_out: _F,
    work: _F,
) -> tuple[int, bool, float]:
    """One backward-Euler step of one run: fills ``moved_out`` (L, S) with the signed mass of
    each species moved through each link (kg) and returns (iterations, converged, residual).
    ``work`` is working space of :func:`_attempt_work_size` elements (allocated once by the
    caller: a step allocates nothing)."""
    n = mass.shape[0]
    ns = mass.shape[1]
    nl = a.size
    o = 0
    n_old = work[o : o + n * ns].reshape((n, ns))
    o += n * ns
    avail = work[o : o + n * ns].reshape((n, ns))
    o += n * ns
    jac = work[o : o + n * n].reshape((n, n))
    o += n * n
    system = work[o : o + n * n].reshape((n, n))
    o += n * n
    cap = work[o : o + n]
    p_old = work[o + n : o + 2 * n]
    t = work[o + 2 * n : o + 3 * n]
    gamma = work[o + 3 * n : o + 4 * n]
    mm = work[o + 4 * n : o + 5 * n]
    p = work[o + 5 * n : o + 6 * n]
    r = work[o + 6 * n : o + 7 * n]
    d = work[o + 7 * n : o + 8 * n]
    p_try = work[o + 8 * n : o + 9 * n]
    r_try = work[o + 9 * n : o + 10 * n]
    n_tot = work[o + 10 * n : o + 11 * n]
    received = work[o + 11 * n : o + 12 * n]
    sent = work[o + 12 * n : o + 13 * n]
    div = work[o + 13 * n : o + 14 * n]
    o += 14 * n
    q = work[o : o + nl]
    dqa = work[o + nl : o + 2 * nl]
    dqb = work[o + 2 * nl : o + 3 * nl]
    q_try = work[o + 3 * nl : o + 4 * nl]
    dqa_try = work[o + 4 * nl : o + 5 * nl]
    dqb_try = work[o + 5 * nl : o + 6 * nl]
    g = work[o + 6 * nl : o + 7 * nl]
    moved = work[o + 7 * nl : o + 8 * nl]
    theta = work[o + 8 * nl : o + 9 * nl]
    for i in range(n):
        t[i] = 1.0 if vac[i] else temperature[i]
        vol = 1.0 if vac[i] else volume[i]
        cap[i] = vol / (_R * t[i])
        tot = 0.0
        m_tot = 0.0
        cp_sum = 0.0
        for s in range(ns):
            n_old[i, s] = mass[i, s] / molar_mass[s]
            tot += n_old[i, s]
            m_tot += mass[i, s]
            cp_sum += n_old[i, s] * cp[s]
        p_old[i] = 0.0 if vac[i] else tot / cap[i]
        if tot > 0.0:
            mm[i] = m_tot / tot
            c = cp_sum / tot
            gamma[i] = c / (c - _R)
        else:
            mm[i] = _M_AIR
            gamma[i] = GAMMA_AIR
    _flows(p_old, a, b, one_way, kc, max_flow, t, gamma, mm, dp_t, q, dqa, dqb)
    moved_out[:, :] = 0.0
    quiet = True
    for j in range(nl):
        if q[j] != 0.0:
            quiet = False
            break
    if quiet:
        return 0, True, 0.0

    p_max = 0.0
    for i in range(n):
        if not vac[i] and p_old[i] > p_max:
            p_max = p_old[i]
    tol = rtol * p_max + atol
    for i in range(n):
        p[i] = p_old[i]
    phi0 = _residual(p, p_old, cap, vac, a, b, q, dt, r, div)
    iterations = 0
    converged = False
    err = 0.0
    for it in range(max_iterations + 1):
        err = 0.0
        for i in range(n):
            if abs(r[i]) > err:
                err = abs(r[i])
        iterations = it
        if err <= tol:
            converged = True
            break
        if it == max_iterations:
            break
        if it < picard:
            for j in range(nl):
                dp = p[a[j]] - p[b[j]]
                g[j] = q[j] / dp if dp != 0.0 else dqa[j]
            for j in range(nl):
                dqb_try[j] = -g[j]
            _direction(r, g, dqb_try, cap, vac, a, b, dt, jac, d)
        else:
            _direction(r, dqa, dqb, cap, vac, a, b, dt, jac, d)
        alpha = 1.0
        for halving in range(max_halvings + 1):
            for i in range(n):
                v = p[i] + alpha * d[i]
                p_try[i] = min(max(v, 0.0), p_max)
            _flows(p_try, a, b, one_way, kc, max_flow, t, gamma, mm, dp_t, q_try, dqa_try, dqb_try)
            phi = _residual(p_try, p_old, cap, vac, a, b, q_try, dt, r_try, div)
            ok = phi <= (1.0 - 2.0 * _SUFFICIENT_DECREASE * alpha) * phi0
            if ok or halving == max_halvings:
                for i in range(n):
                    p[i] = p_try[i]
                    r[i] = r_try[i]
                for j in range(nl):
                    q[j] = q_try[j]
                    dqa[j] = dqa_try[j]
                    dqb[j] = dqb_try[j]
                phi0 = phi
                break
            curv = (phi - phi0 + 2.0 * phi0 * alpha) / (alpha * alpha)
            a_star = phi0 / curv if curv > 0.0 else 0.5 * alpha
            alpha = min(max(a_star, 0.1 * alpha), 0.5 * alpha)

    # Implicit upwind transport of the species (network._transport_species); a link's
    # upstream node is a[j] when q[j] >= 0, else b[j].
    for i in range(n):
        n_tot[i] = 0.0
        received[i] = 0.0
        sent[i] = 0.0
        for s in range(ns):
            n_tot[i] += n_old[i, s]
    for j in range(nl):
        fwd = q[j] >= 0.0
        up = a[j] if fwd else b[j]
        down = b[j] if fwd else a[j]
        moved[j] = abs(q[j]) * dt
        received[down] += moved[j]
        sent[up] += moved[j]
    system[:, :] = 0.0
    for j in range(nl):
        fwd = q[j] >= 0.0
        u = a[j] if fwd else b[j]
        down = b[j] if fwd else a[j]
        den = max(n_tot[u] + received[u], sent[u])
        theta[j] = moved[j] / den if den > 0.0 else 0.0
        system[down, u] -= theta[j]
    for i in range(n):
        system[i, i] += 1.0
    for i in range(n):
        for s in range(ns):
            avail[i, s] = n_old[i, s]
    _lu_solve(system, avail)
    for j in range(nl):
        sign = 1.0 if q[j] >= 0.0 else -1.0
        u = a[j] if q[j] >= 0.0 else b[j]
        for s in range(ns):
            moved_out[j, s] = sign * theta[j] * max(avail[u, s], 0.0) * molar_mass[s]
    return iterations, converged, err


@njit(cache=True)
def _apply(mass: _F, moved: _F, a: NDArray[np.intp], b: NDArray[np.intp], work: _F) -> None:
    """Masses after the moves, in place; round-off below zero is set to zero (``work`` is
    working space of 2 N S elements)."""
    n, ns = mass.shape
    gain = work[: n * ns].reshape((n, ns))
    loss = work[n * ns : 2 * n * ns].reshape((n, ns))
    gain[:, :] = 0.0
    loss[:, :] = 0.0
    for j in range(a.size):
        for s in range(ns):
            gain[b[j], s] += moved[j, s]
            loss[a[j], s] += moved[j, s]
    for i in range(n):
        for s in range(ns):
            mass[i, s] = max(mass[i, s] + gain[i, s] - loss[i, s], 0.0)


@njit(cache=True)
def work_size(n: int, nl: int, ns: int, max_halvings_dt: int) -> int:
    """Length of the working space of :func:`advance` (float64) for ``n`` nodes, ``nl``
    links, ``ns`` species."""
    return _attempt_work_size(n, nl, ns) + 3 * n * ns + nl * ns + max_halvings_dt + 2


@njit(cache=True)
def advance(
    mass_kg: _F,
    temperature_K: _F,
    volume_m3: _F,
    vac: NDArray[np.bool_],
    a: NDArray[np.intp],
    b: NDArray[np.intp],
    one_way: NDArray[np.bool_],
    area_cd: _F,
    max_flow: _F,
    molar_mass: _F,
    cp: _F,
    dt: float,
    dp_t: float,
    rtol: float,
    atol: float,
    max_iterations: int,
    max_halvings: int,
    max_halvings_dt: int,
    picard: int,
    mass_out: _F,
    moved_out: _F,
    iterations: NDArray[np.int64],
    converged: NDArray[np.bool_],
    residual: _F,
    substeps: NDArray[np.int64],
    work: _F,
) -> None:
    """Advance every run (row) by ``dt`` s; outputs in the ``*_out`` and result arrays.

    Shapes: mass (B, N, S), temperature (B, N), area_cd and max_flow (B, L); mass_out
    (B, N, S), moved_out (B, L, S) kg; iterations, converged, residual, substeps (B,);
    ``work`` is working space of :func:`work_size` elements, shared by the runs (computed
    one after another), so that the step allocates nothing.
    """
    bsz, n, ns = mass_kg.shape
    nl = a.size
    n_attempt = _attempt_work_size(n, nl, ns)
    attempt_work = work[:n_attempt]
    o = n_attempt
    m = work[o : o + n * ns].reshape((n, ns))
    o += n * ns
    apply_work = work[o : o + 2 * n * ns]
    o += 2 * n * ns
    moved = work[o : o + nl * ns].reshape((nl, ns))
    o += nl * ns
    stack = work[o:]  # depths of the pending (sub)steps
    for row in range(bsz):
        for i in range(n):
            for s in range(ns):
                m[i, s] = mass_kg[row, i, s]
        tot_moved = moved_out[row]
        tot_moved[:, :] = 0.0
        its = 0
        conv = True
        res = 0.0
        subs = 0
        stack[0] = 0.0
        top = 1
        while top > 0:
            top -= 1
            depth = int(stack[top])
            h = dt
            for _ in range(depth):
                h *= 0.5
            it, ok, err = _attempt(
                m,
                temperature_K[row],
                volume_m3,
                vac,
                a,
                b,
                one_way,
                area_cd[row],
                max_flow[row],
                molar_mass,
                cp,
                h,
                dp_t,
                rtol,
                atol,
                max_iterations,
                max_halvings,
                picard,
                moved,
                attempt_work,
            )
            its += it
            if ok or depth >= max_halvings_dt:
                _apply(m, moved, a, b, apply_work)
                for j in range(nl):
                    for s in range(ns):
                        tot_moved[j, s] += moved[j, s]
                conv = conv and ok
                res = max(res, err)
                subs += 1
            else:
                stack[top] = depth + 1.0
                stack[top + 1] = depth + 1.0
                top += 2
        for i in range(n):
            for s in range(ns):
                mass_out[row, i, s] = m[i, s]
        iterations[row] = its
        converged[row] = conv
        residual[row] = res
        substeps[row] = subs


class FastNetwork:
    """A :class:`GasNetwork` prepared for the compiled step (contiguous index arrays)."""

    def __init__(self, network: GasNetwork, options: SolverOptions | None = None) -> None:
        self.network = network
        self.options = options if options is not None else SolverOptions()
        self.a = np.ascontiguousarray(network.link_node_a, dtype=np.intp)
        self.b = np.ascontiguousarray(network.link_node_b, dtype=np.intp)
        self.one_way = np.ascontiguousarray(network.link_one_way)
        self.vac = np.ascontiguousarray(network.is_vacuum)
        self.volume = np.ascontiguousarray(network.volume_m3)
        self.molar_mass = np.ascontiguousarray(MOLAR_MASS_KG_MOL)
        self.cp = np.ascontiguousarray(CP_J_MOL_K)
        o = self.options
        self._scalars = (
            float(o.dp_transition_Pa),
            float(o.rtol),
            float(o.atol_Pa),
            int(o.max_iterations),
            int(o.max_halvings),
            int(o.max_halvings_dt),
            int(o.picard_iterations),
        )
        self.work = np.empty(
            work_size(
                network.n_nodes,
                network.n_links,
                len(MOLAR_MASS_KG_MOL),
                int(o.max_halvings_dt),
            )
        )

    def advance(
        self,
        mass_kg: _F,
        temperature_K: _F,
        area_cd: _F,
        max_flow: _F,
        dt_s: float,
        mass_out: _F,
        moved_out: _F,
        results: tuple[NDArray[np.int64], NDArray[np.bool_], _F, NDArray[np.int64]] | None = None,
    ) -> tuple[NDArray[np.int64], NDArray[np.bool_], _F, NDArray[np.int64]]:
        """The raw compiled step on C-contiguous arrays; returns iterations, converged,
        residual (Pa) and substeps per run (into ``results`` when given, to reuse arrays).

        ``mass_out`` may be ``mass_kg`` itself: each run is read before it is written.
        """
        if results is None:
            bsz = mass_kg.shape[0]
            results = (
                np.empty(bsz, dtype=np.int64),
                np.empty(bsz, dtype=np.bool_),
                np.empty(bsz),
                np.empty(bsz, dtype=np.int64),
            )
        advance(
            mass_kg,
            temperature_K,
            self.volume,
            self.vac,
            self.a,
            self.b,
            self.one_way,
            area_cd,
            max_flow,
            self.molar_mass,
            self.cp,
            float(dt_s),
            *self._scalars,
            mass_out,
            moved_out,
            *results,
            self.work,
        )
        return results


def step(
    network: GasNetwork,
    state: GasState,
    area_cd_m2: ArrayLike,
    dt_s: float,
    max_flow_kg_s: ArrayLike | None = None,
    options: SolverOptions | None = None,
) -> StepResult:
    """Same call and result as :func:`houston.habitat.network.step`, compiled."""
    if not dt_s > 0.0:
        raise ValueError("dt_s must be > 0")
    bsz, n_links = state.batch_size, network.n_links
    if state.mass_kg.shape[1] != network.n_nodes:
        raise ValueError(f"state has {state.mass_kg.shape[1]} nodes, network has {network.n_nodes}")
    area = np.ascontiguousarray(np.broadcast_to(np.asarray(area_cd_m2, float), (bsz, n_links)))
    if np.any(area < 0.0):
        raise ValueError("area_cd_m2 must be >= 0")
    cap = np.inf if max_flow_kg_s is None else np.asarray(max_flow_kg_s, float)
    max_flow = np.ascontiguousarray(np.broadcast_to(cap, (bsz, n_links)))
    fast = FastNetwork(network, options)
    mass_out = np.empty_like(state.mass_kg)
    moved = np.empty((bsz, n_links, state.mass_kg.shape[2]))
    iterations, converged, residual, substeps = fast.advance(
        np.ascontiguousarray(state.mass_kg),
        np.ascontiguousarray(state.temperature_K),
        area,
        max_flow,
        dt_s,
        mass_out,
        moved,
    )
    return StepResult(
        state=GasState(mass_kg=mass_out, temperature_K=state.temperature_K),
        link_mass_flow_kg_s=moved.sum(axis=-1) / dt_s,
        link_species_mass_kg=moved,
        iterations=iterations,
        converged=converged,
        residual_Pa=residual,
        substeps=substeps,
    )

"""Compiled per-frame work of the crew model (:mod:`houston.crew.model`).

* :func:`physiology_step` is :func:`houston.crew.physiology.step` and ``status`` for one
  person (the same formulas and constants; equal to round-off, tested).
* :func:`suit_step` advances the gas of an improvised suit: a small volume leaking through
  the orifice law of :mod:`houston.habitat.flow` (the regularised link law of the network
  solver) to the pressure around the person, held constant over the step. Isothermal. When
  the leak is choked over the whole step (always, into vacuum) the solution is exact,
  ``p(t) = p0 exp(-t / tau)`` with ``tau = V / (R T slope)``; otherwise backward Euler, with
  a safeguarded Newton iteration on the end pressure (as the network solver).
* :func:`step_packed` moves people, runs the suits and the physiology, advances tasks and fills the
  telemetry vector, one run at a time (so a batch of N gives bit for bit the N single runs).

Compiled with numba (``cache=True``) on first use.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray

from houston.core.constants import MOLAR_MASS_AIR_KG_MOL, R_GAS_J_MOL_K
from houston.crew.physiology import (
    ARMSTRONG_LIMIT_PA,
    DEAD,
    HYPOXIA_CAP_S,
    HYPOXIA_EXPONENT,
    IMPAIRED,
    IMPAIRED_AFTER_S,
    INSPIRED_O2_ANOXIC_PA,
    INSPIRED_O2_NO_EFFECT_PA,
    LETHAL_INJURY_S,
    NOMINAL,
    RECOVERY_TIME_S,
    UNCONSCIOUS,
    UNCONSCIOUS_AFTER_S,
    WATER_VAPOUR_PRESSURE_37C_PA,
)
from houston.habitat.fastnet import _forward
from houston.habitat.kernels import _cols, _part  # the packed buffers' views, shared

_F = NDArray[np.float64]
_I = NDArray[np.int64]
_B = NDArray[np.bool_]

_R = R_GAS_J_MOL_K
_GAMMA_AIR = 1.4
_OPEN = 0


@njit(cache=True)
def physiology_step(
    d: float, e: float, inj: float, p: float, pp_o2: float, dt: float
) -> tuple[float, float, float, float]:
    """One person's doses after ``dt`` s at ambient ``p`` and ``pp_o2`` (Pa): returns
    (hypoxia_s, ebullism_s, injury_s, w) with w the hypoxic dose rate (see physiology)."""
    dry = max(p - WATER_VAPOUR_PRESSURE_37C_PA, 0.0) / p if p > 0.0 else 0.0
    inspired = max(pp_o2, 0.0) * dry
    x = (INSPIRED_O2_NO_EFFECT_PA - inspired) / (INSPIRED_O2_NO_EFFECT_PA - INSPIRED_O2_ANOXIC_PA)
    x = min(max(x, 0.0), 1.0)
    # 0 and 1 are their own powers (the exponent is positive): no pow for the crew breathing
    # normal air, the usual case.
    w = x**HYPOXIA_EXPONENT if 0.0 < x < 1.0 else x
    if w > 0.0:
        t_reach = max((UNCONSCIOUS_AFTER_S - d) / w, 0.0)
        t_unconscious = min(max(dt - t_reach, 0.0), dt)
        inj = inj + w * t_unconscious
        d = min(d + w * dt, HYPOXIA_CAP_S)
    elif d != 0.0:  # a zero dose stays zero
        d = d * math.exp(-dt / RECOVERY_TIME_S)
    if p < ARMSTRONG_LIMIT_PA:
        e = e + dt
    return d, e, inj, w


@njit(cache=True)
def status_of(d: float, inj: float) -> int:
    """NOMINAL 0, IMPAIRED 1, UNCONSCIOUS 2, DEAD 3 (physiology.status)."""
    code = NOMINAL
    if d >= IMPAIRED_AFTER_S or inj > 0.0:
        code = IMPAIRED
    if d >= UNCONSCIOUS_AFTER_S:
        code = UNCONSCIOUS
    if inj >= LETHAL_INJURY_S:
        code = DEAD
    return code


@njit(cache=True)
def _gas_props(n: _F, molar_mass: _F, cp: _F) -> tuple[float, float]:
    """(gamma, molar mass) of a mixture of amounts ``n``; dry air's when empty."""
    tot = 0.0
    m = 0.0
    c = 0.0
    for s in range(n.size):
        tot += n[s]
        m += n[s] * molar_mass[s]
        c += n[s] * cp[s]
    if tot <= 0.0:
        return _GAMMA_AIR, MOLAR_MASS_AIR_KG_MOL
    c /= tot
    return c / (c - _R), m / tot


@njit(cache=True)
def suit_step(
    mass: _F,
    volume: float,
    temperature: float,
    area_cd: float,
    p_env: float,
    x_o2_env: float,
    dt: float,
    molar_mass: _F,
    cp: _F,
    exchange: _F,
    work: _F,
) -> tuple[float, float]:
    """Advance a suit's gas ``mass`` (S,) kg in place over ``dt`` s, leaking through
    ``area_cd`` m^2 to ``p_env`` Pa (inflow has O2 mole fraction ``x_o2_env``, the rest N2).
    Adds the mass given to the surroundings to ``exchange`` (S,). Returns (p_end, p_mean) Pa.
    ``work`` is working space of 2 S elements.
    """
    ns = mass.size
    n = work[:ns]
    tot = 0.0
    for s in range(ns):
        n[s] = mass[s] / molar_mass[s]
        tot += n[s]
    cap = volume / (_R * temperature)
    p0 = tot / cap
    if area_cd <= 0.0 or p0 == p_env or dt <= 0.0:
        return p0, p0
    env = work[ns : 2 * ns]
    env[:] = 0.0
    env[0] = x_o2_env
    env[1] = 1.0 - x_o2_env
    g_s, m_s = _gas_props(n, molar_mass, cp)
    g_e, m_e = _gas_props(env, molar_mass, cp)
    dp_t = 1.0
    # Exact when the outflow stays choked over the whole step.
    p_end = -1.0
    p_mean = 0.0
    if p0 > p_env:
        _n, slope, _d = _forward(area_cd, p0, 0.0, temperature, g_s, m_s, dp_t)
        k = slope / cap
        p_exp = p0 * math.exp(-k * dt)
        r_c = (2.0 / (g_s + 1.0)) ** (g_s / (g_s - 1.0))
        if p_env <= r_c * p_exp:
            p_end = p_exp
            p_mean = p0 * -math.expm1(-k * dt) / (k * dt)
    if p_end < 0.0:
        # Backward Euler: cap (p - p0) + dt q(p) = 0, q > 0 out of the suit; q is monotone in
        # p, so Newton is safeguarded by bisection within [min(p0, p_env), max(p0, p_env)].
        lo = min(p0, p_env)
        hi = max(p0, p_env)
        p = p0
        for _ in range(100):
            if p >= p_env:
                q, dq, _x = _forward(area_cd, p, p_env, temperature, g_s, m_s, dp_t)
            else:
                q, _x, dq = _forward(area_cd, p_env, p, temperature, g_e, m_e, dp_t)
                q = -q
                dq = -dq
            f = cap * (p - p0) + dt * q
            if abs(f) <= 1e-13 * cap * hi:
                break
            if f > 0.0:
                hi = p
            else:
                lo = p
            slope = cap + dt * dq
            p_new = p - f / slope if slope > 0.0 else 0.5 * (lo + hi)
            if not (lo < p_new < hi):
                p_new = 0.5 * (lo + hi)
            if p_new == p:
                break
            p = p_new
        p_end = p
        p_mean = 0.5 * (p0 + p_end)
    moved = cap * (p0 - p_end)  # mol out of the suit
    if moved >= 0.0:
        for s in range(ns):
            dm = moved * n[s] / tot * molar_mass[s]
            mass[s] = max(mass[s] - dm, 0.0)
            exchange[s] += dm
    else:
        for s in range(ns):
            dm = -moved * env[s] * molar_mass[s]
            mass[s] += dm
            exchange[s] -= dm
    return p_end, p_mean


def work_size(n_tasks: int, n_species: int) -> int:
    """Length of the working space of :func:`step_packed` (float64)."""
    return n_tasks + 2 * n_species


@njit(cache=True)
def location_code(
    row: int,
    k: int,
    n_nodes: int,
    node: _I,
    path: _I,
    pos: _F,
    direction: NDArray[np.int8],
    path_dist: _F,
    path_to_site: _I,
    n_sites_offset: int,
) -> int:
    """Index into the location names: a node, a path, or a work site."""
    if node[row, k] >= 0:
        return node[row, k]
    pa = path[row, k]
    if (
        pa >= 0
        and direction[row, k] == 0
        and path_to_site[pa] >= 0
        and pos[row, k] >= path_dist[pa]
    ):
        return n_sites_offset + path_to_site[pa]
    return n_nodes + pa


@njit(cache=True)
def fill_telemetry(
    row: int,
    n_nodes: int,
    node: _I,
    path: _I,
    pos: _F,
    direction: NDArray[np.int8],
    path_dist: _F,
    path_to_site: _I,
    route_len: _I,
    leg_progress: _F,
    status: NDArray[np.int8],
    breathing_p: _F,
    breathing_ppo2: _F,
    suit_pressure: _F,
    has_suit: _B,
    suit_worn: _B,
    hypoxia: _F,
    ebullism: _F,
    injury: _F,
    exposure: _F,
    task_progress: _F,
    task_duration: _F,
    task_done: _B,
    n_sites_offset: int,
    tm: _F,
) -> None:
    """Telemetry of one run: 11 groups of one value per person, then task progress and done."""
    n_people = node.shape[1]
    out = tm[row]
    for k in range(n_people):
        out[k] = location_code(
            row, k, n_nodes, node, path, pos, direction, path_dist, path_to_site, n_sites_offset
        )
        out[n_people + k] = status[row, k]
        out[2 * n_people + k] = (
            pos[row, k]
            if path[row, k] >= 0
            else (leg_progress[row, k] if route_len[row, k] > 0 else 0.0)
        )
        out[3 * n_people + k] = breathing_p[row, k]
        out[4 * n_people + k] = breathing_ppo2[row, k]
        out[5 * n_people + k] = suit_pressure[row, k]
        out[6 * n_people + k] = 2.0 if suit_worn[row, k] else (1.0 if has_suit[k] else 0.0)
        out[7 * n_people + k] = hypoxia[row, k]
        out[8 * n_people + k] = ebullism[row, k]
        out[9 * n_people + k] = injury[row, k]
        out[10 * n_people + k] = exposure[row, k]
    base = 11 * n_people
    n_tasks = task_duration.size
    for t in range(n_tasks):
        out[base + t] = (
            task_progress[row, t] / task_duration[t]
            if task_duration[t] > 0.0
            else (1.0 if task_done[row, t] else 0.0)
        )
        out[base + n_tasks + t] = 1.0 if task_done[row, t] else 0.0


# The packed layout of :func:`step_packed`: the model keeps these states as views of one
# buffer per dtype (B, total) and its constants in one flat array per dtype, each group in
# this order with its offsets, so that a step passes about twenty arrays instead of fifty.
STATE_F = (
    "seen_pressure",
    "seen_ppo2",
    "pos",
    "leg_progress",
    "move_scale",
    "task_progress",
    "suit_pressure",
    "suit_area",
    "hypoxia",
    "ebullism",
    "injury",
    "exposure",
    "breathing_pressure",
    "breathing_ppo2",
    "tm",
)
STATE_I = ("node", "path", "route_len", "route_pos", "task")
STATE_I8 = ("seen_hatch", "direction", "status")
STATE_B = ("waiting", "task_done", "suit_worn")
CONST_F = (
    "hatch_dist",
    "path_dist",
    "task_duration",
    "pace",
    "suit_volume",
    "molar_mass",
    "cp",
    "scalars",  # suit_temperature, impaired_pace, impaired_work_rate
)
CONST_I = (
    "hatch_a",
    "hatch_b",
    "exit_hatch",
    "path_from",
    "path_to_node",
    "path_to_site",
    "scalars",  # the sites' offset in the location telemetry
)
# The offsets of the groups, end to end in one array (each group's names + 1), in this order;
# O_* is where each group's offsets start.
OFFSETS = ("cf", "ci", "fs", "is", "i8s", "bs")
O_CF = 0
O_CI = O_CF + len(CONST_F) + 1
O_FS = O_CI + len(CONST_I) + 1
O_IS = O_FS + len(STATE_F) + 1
O_I8S = O_IS + len(STATE_I) + 1
O_BS = O_I8S + len(STATE_I8) + 1


@njit(cache=True, _nrt=False)
def step_packed(
    dt: float,
    in_p: _F,
    in_ppo2: _F,
    in_hatch: _F,
    cf: _F,
    ci: _I,
    has_suit: _B,
    fs: _F,
    is_: _I,
    i8s: NDArray[np.int8],
    bs: _B,
    off: _I,
    route: _I,
    suit_mass: _F,
    suit_exchange: _F,
    ev_person: _I,
    ev_task: NDArray[np.int8],
    work: _F,
) -> int:
    """One step of every person of every run, on the packed layout (the names above give the
    order of each group, ``off`` the offsets of every group, as :data:`OFFSETS`); returns the
    number of event flags set.

    ``ev_person`` (B, P, 4): new status + 1, location reached + 1, hatch that blocked a move
    + 1, node whose outside hatch keeps the person waiting + 1; ``ev_task`` (B, T): task
    completed. The telemetry vector ``tm`` (B, 11 P + 2 T) is filled (see the model).

    Compiled without the reference counting of numba's runtime (``_nrt=False``, which the
    functions it calls inherit), as :func:`houston.habitat.kernels.step_packed`: the step
    allocates nothing (``work``: :func:`work_size` elements) and its views of the arrays it
    is given live only during the call."""
    fsc = _part(cf, off, O_CF + 7)
    hatch_a = _part(ci, off, O_CI + 0)
    hatch_b = _part(ci, off, O_CI + 1)
    hatch_dist = _part(cf, off, O_CF + 0)
    exit_hatch = _part(ci, off, O_CI + 2)
    path_from = _part(ci, off, O_CI + 3)
    path_to_node = _part(ci, off, O_CI + 4)
    path_to_site = _part(ci, off, O_CI + 5)
    path_dist = _part(cf, off, O_CF + 1)
    task_duration = _part(cf, off, O_CF + 2)
    pace = _part(cf, off, O_CF + 3)
    suit_volume = _part(cf, off, O_CF + 4)
    suit_area = _cols(fs, off, O_FS + 7)
    suit_temperature = fsc[0]
    impaired_pace = fsc[1]
    impaired_rate = fsc[2]
    molar_mass = _part(cf, off, O_CF + 5)
    cp = _part(cf, off, O_CF + 6)
    seen_hatch = _cols(i8s, off, O_I8S + 0)
    seen_p = _cols(fs, off, O_FS + 0)
    seen_ppo2 = _cols(fs, off, O_FS + 1)
    node = _cols(is_, off, O_IS + 0)
    path = _cols(is_, off, O_IS + 1)
    pos = _cols(fs, off, O_FS + 2)
    direction = _cols(i8s, off, O_I8S + 1)
    waiting = _cols(bs, off, O_BS + 0)
    route_len = _cols(is_, off, O_IS + 2)
    route_pos = _cols(is_, off, O_IS + 3)
    leg_progress = _cols(fs, off, O_FS + 3)
    move_scale = _cols(fs, off, O_FS + 4)
    task = _cols(is_, off, O_IS + 4)
    task_progress = _cols(fs, off, O_FS + 5)
    task_done = _cols(bs, off, O_BS + 1)
    suit_worn = _cols(bs, off, O_BS + 2)
    suit_pressure = _cols(fs, off, O_FS + 6)
    hypoxia = _cols(fs, off, O_FS + 8)
    ebullism = _cols(fs, off, O_FS + 9)
    injury = _cols(fs, off, O_FS + 10)
    exposure = _cols(fs, off, O_FS + 11)
    status = _cols(i8s, off, O_I8S + 2)
    breathing_p = _cols(fs, off, O_FS + 12)
    breathing_ppo2 = _cols(fs, off, O_FS + 13)
    n_sites_offset = _part(ci, off, O_CI + 6)[0]
    tm = _cols(fs, off, O_FS + 14)
    bsz, n_people = node.shape
    n_nodes = in_p.shape[1]
    n_hatches = hatch_a.size
    n_tasks = task_duration.size
    flags = 0
    worker_rate = work[:n_tasks]
    suit_work = work[n_tasks:]
    for row in range(bsz):
        for j in range(n_hatches):
            seen_hatch[row, j] = np.int8(in_hatch[row, j])
        for i in range(n_nodes):
            seen_p[row, i] = in_p[row, i]
            seen_ppo2[row, i] = in_ppo2[row, i]
        for k in range(n_people):
            for c in range(4):
                ev_person[row, k, c] = 0
        for t in range(n_tasks):
            ev_task[row, t] = 0
            worker_rate[t] = 0.0
        for k in range(n_people):
            # 1. Environment at the start of the step, suit, physiology.
            i = node[row, k]
            p_env = in_p[row, i] if i >= 0 else 0.0
            o2_env = in_ppo2[row, i] if i >= 0 else 0.0
            x_o2 = o2_env / p_env if p_env > 0.0 else 0.0
            if suit_worn[row, k]:
                p_end, p_mean = suit_step(
                    suit_mass[row, k],
                    suit_volume[k],
                    suit_temperature,
                    suit_area[row, k],
                    p_env,
                    x_o2,
                    dt,
                    molar_mass,
                    cp,
                    suit_exchange[row, k],
                    suit_work,
                )
                tot = 0.0
                for s in range(molar_mass.size):
                    tot += suit_mass[row, k, s] / molar_mass[s]
                x_suit = suit_mass[row, k, 0] / molar_mass[0] / tot if tot > 0.0 else 0.0
                suit_pressure[row, k] = p_end
                p_b = p_mean
                o2_b = x_suit * p_mean
            else:
                suit_pressure[row, k] = 0.0
                p_b = p_env
                o2_b = o2_env
            breathing_p[row, k] = p_b
            breathing_ppo2[row, k] = o2_b
            old = status[row, k]
            d, e, inj, w = physiology_step(
                hypoxia[row, k], ebullism[row, k], injury[row, k], p_b, o2_b, dt
            )
            hypoxia[row, k] = d
            ebullism[row, k] = e
            injury[row, k] = inj
            if w > 0.0:
                exposure[row, k] += dt
            st = status_of(d, inj)
            if old == DEAD:
                st = DEAD
            status[row, k] = st
            if st != old:
                ev_person[row, k, 0] = st + 1
                flags += 1
            able = st <= IMPAIRED
            if not able:
                route_len[row, k] = 0
                task[row, k] = -1
                if path[row, k] >= 0:
                    direction[row, k] = 0
                continue
            speed = pace[k] * (impaired_pace if st == IMPAIRED else 1.0)
            # 2. Moving inside, through the hatches of the route.
            if route_len[row, k] > 0:
                budget = speed * dt
                while budget > 0.0 and route_pos[row, k] < route_len[row, k]:
                    h = route[row, k, route_pos[row, k]]
                    leg = hatch_dist[h] * move_scale[row, k]
                    half = 0.5 * leg
                    before = leg_progress[row, k]
                    after = min(before + budget, leg)
                    budget -= after - before
                    if before < half <= after:
                        if seen_hatch[row, h] != _OPEN:
                            ev_person[row, k, 2] = h + 1
                            flags += 1
                            route_len[row, k] = 0
                            leg_progress[row, k] = 0.0
                            break
                        node[row, k] = hatch_b[h] if node[row, k] == hatch_a[h] else hatch_a[h]
                    leg_progress[row, k] = after
                    if after >= leg:
                        route_pos[row, k] += 1
                        leg_progress[row, k] = 0.0
                if route_len[row, k] > 0 and route_pos[row, k] >= route_len[row, k]:
                    route_len[row, k] = 0
                    ev_person[row, k, 1] = node[row, k] + 1
                    flags += 1
            # 3. Walking a path outside.
            pa = path[row, k]
            if pa >= 0 and direction[row, k] != 0:
                pos[row, k] += direction[row, k] * speed * dt
                arrived = False
                target = -1
                if direction[row, k] > 0 and pos[row, k] >= path_dist[pa]:
                    pos[row, k] = path_dist[pa]
                    arrived = True
                    target = path_to_node[pa]
                    if target < 0:
                        direction[row, k] = 0
                        ev_person[row, k, 1] = n_sites_offset + path_to_site[pa] + 1
                        flags += 1
                        arrived = False
                elif direction[row, k] < 0 and pos[row, k] <= 0.0:
                    pos[row, k] = 0.0
                    arrived = True
                    target = path_from[pa]
                if arrived:
                    hx = exit_hatch[target]
                    if hx >= 0 and seen_hatch[row, hx] == _OPEN:
                        node[row, k] = target
                        path[row, k] = -1
                        direction[row, k] = 0
                        pos[row, k] = 0.0
                        waiting[row, k] = False
                        ev_person[row, k, 1] = target + 1
                        flags += 1
                    elif not waiting[row, k]:
                        waiting[row, k] = True
                        ev_person[row, k, 3] = target + 1
                        flags += 1
            # 4. Work.
            tk = task[row, k]
            if tk >= 0 and not task_done[row, tk]:
                rate = impaired_rate if st == IMPAIRED else 1.0
                worker_rate[tk] = max(worker_rate[tk], rate)
        for t in range(n_tasks):
            if worker_rate[t] > 0.0 and not task_done[row, t]:
                task_progress[row, t] = min(
                    task_progress[row, t] + worker_rate[t] * dt, task_duration[t]
                )
                if task_progress[row, t] >= task_duration[t]:
                    task_done[row, t] = True
                    ev_task[row, t] = 1
                    flags += 1
                    for k in range(n_people):
                        if task[row, k] == t:
                            task[row, k] = -1
        fill_telemetry(
            row,
            n_nodes,
            node,
            path,
            pos,
            direction,
            path_dist,
            path_to_site,
            route_len,
            leg_progress,
            status,
            breathing_p,
            breathing_ppo2,
            suit_pressure,
            has_suit,
            suit_worn,
            hypoxia,
            ebullism,
            injury,
            exposure,
            task_progress,
            task_duration,
            task_done,
            n_sites_offset,
            tm,
        )
    return flags

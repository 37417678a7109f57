"""Compiled per-frame work of the habitat model (:mod:`houston.habitat.model`).

Two loops over the runs of a batch, around the network step of
:mod:`houston.habitat.fastnet`: :func:`links` turns the hatch, valve, tank and hole states
into the effective area and flow cap of every link; :func:`post` computes the truth (node
pressures, O2 partial pressures, link flows), the sensor readings, the votes, the leak-rate
estimates, the whole telemetry vector and the state changes that become events. Compiled with
numba (``cache=True``) on first use; each run is computed alone, so a batch of N gives bit for
bit the N single runs.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray

from houston.core.constants import R_GAS_J_MOL_K
from houston.habitat.fastnet import advance
from houston.habitat.instruments import leak_row, read_row, vote_row

_F = NDArray[np.float64]
_I = NDArray[np.intp]
_B = NDArray[np.bool_]

OPEN = 0

# Offsets of the telemetry groups (the order of model._telemetry_slices).
(
    T_PRESSURE,
    T_CHANNELS,
    T_SPREAD,
    T_PPO2,
    T_TEMPERATURE,
    T_LEAK,
    T_HATCH,
    T_HATCH_DP,
    T_VALVE,
    T_TANK_PRESSURE,
    T_TANK_MASS,
    T_TANK_VALVE,
    T_LEAK_TOTAL,
    T_ITERATIONS,
    T_TRUE_PRESSURE,
    T_TRUE_PPO2,
    T_TRUE_TEMPERATURE,
    T_TRUE_LEAK,
    T_TRUE_TANK_MASS,
    T_TRUE_TANK_FLOW,
    T_OVERBOARD,
) = range(21)


@njit(cache=True)
def links(
    hatch_state: NDArray[np.int8],
    valve_open: _B,
    tank_open: _B,
    tank_failed: _B,
    tank_position: _F,
    tank_feeding: _B,
    hole_area: _F,
    true_pressure: _F,
    hatch_kc: _F,
    valve_kc: _F,
    tank_kc: _F,
    tank_max: _F,
    tank_set: _F,
    tank_deadband: _F,
    tank_node: _I,
    area: _F,
    cap: _F,
) -> None:
    """Effective area (m^2) and flow cap (kg/s) of every link (B, L): hatches, valves, tank
    feeds, holes, in that order. An open tank valve's regulator stops feeding once the fed
    node's true pressure reaches the set pressure and feeds again once it is ``deadband``
    below it (``tank_feeding`` holds which); a failed valve passes its stuck fraction."""
    h, v, t, n = hatch_kc.size, valve_kc.size, tank_kc.size, hole_area.shape[1]
    for row in range(area.shape[0]):
        for j in range(h):
            area[row, j] = hatch_kc[j] if hatch_state[row, j] == OPEN else 0.0
        for j in range(v):
            area[row, h + j] = valve_kc[j] if valve_open[row, j] else 0.0
        for j in range(t):
            k = h + v + j
            if tank_failed[row, j]:
                flowing = tank_position[row, j] > 0.0
                cap[row, k] = tank_position[row, j] * tank_max[j]
            else:
                p = true_pressure[row, tank_node[j]]
                if not tank_open[row, j] or p >= tank_set[j]:
                    tank_feeding[row, j] = False
                elif p < tank_set[j] - tank_deadband[j]:
                    tank_feeding[row, j] = True
                flowing = tank_feeding[row, j]
                cap[row, k] = tank_max[j]
            area[row, k] = tank_kc[j] if flowing else 0.0
        for i in range(n):
            area[row, h + v + t + i] = hole_area[row, i]


def post_work_size(nn: int, channels: int, n: int, k: int) -> int:
    """Length of the working space of :func:`post` (float64): ``nn`` network nodes,
    ``channels`` sensor channels, ``n`` nodes of ``k`` pressure channels each."""
    return 2 * nn + channels + n + max(k, 1)


@njit(cache=True)
def post(
    mass: _F,
    temperature: _F,
    moved: _F,
    dt_s: float,
    volume: _F,
    molar_mass: _F,
    o2: int,
    ch_block: _I,
    ch_node: _I,
    noise: _F,
    zeros: _F,
    resolution: _F,
    low: _F,
    high: _F,
    drift: _F,
    last: _F,
    normal: _F,
    stuck: _B,
    dropout: _B,
    bias: _F,
    drift_rate: _F,
    reading: _F,
    vote_first: _I,
    vote_count: _I,
    voted: _F,
    spread: _F,
    ema_short: _F,
    ema_long: _F,
    leak: _F,
    nominal_t: _F,
    tau_short: float,
    tau_long: float,
    true_pressure: _F,
    true_ppo2: _F,
    link_flow: _F,
    hatch_state: NDArray[np.int8],
    hatch_a: _I,
    hatch_b: _I,
    valve_open: _B,
    tank_open: _B,
    tank_failed: _B,
    tank_volume: _F,
    tank_mm: _F,
    iterations: NDArray[np.int64],
    off: _I,
    tm: _F,
    hole_area: _F,
    seen_hatch: NDArray[np.int8],
    seen_hole: _F,
    seen_tank_empty: _B,
    tank_empty_mass: _F,
    seen_depressurised: _B,
    depress_low: float,
    depress_high: float,
    events: NDArray[np.int8],
    work: _F,
) -> int:
    """Truth, readings, votes, leak estimates, telemetry and event flags of every run.

    ``events`` (B, H + N + T + 2N) gets 1 where a hatch changed state, a node got a new hole,
    a tank became empty, a node fell below ``depress_low`` or came back above
    ``depress_high``; the ``seen_*`` states are updated. Returns the number of flags set.
    ``work`` is working space of :func:`post_work_size` elements.
    """
    bsz, nn, ns = mass.shape
    n = voted.shape[1]
    h, v, t = hatch_a.size, valve_open.shape[1], tank_volume.size
    nl = moved.shape[1]
    c_count = ch_block.size
    k = vote_count[0] if vote_count.size else 0
    p_all = work[:nn]
    ppo2_all = work[nn : 2 * nn]
    truth = work[2 * nn : 2 * nn + c_count]
    temps = work[2 * nn + c_count : 2 * nn + c_count + n]
    buf = work[2 * nn + c_count + n :]
    a_s = -math.expm1(-dt_s / tau_short)
    a_l = -math.expm1(-dt_s / tau_long)
    flags = 0
    for row in range(bsz):
        # Truth.
        for i in range(nn):
            tot = 0.0
            for s in range(ns):
                tot += mass[row, i, s] / molar_mass[s]
            rt_v = R_GAS_J_MOL_K * temperature[row, i] / volume[i]
            p_all[i] = tot * rt_v
            ppo2_all[i] = mass[row, i, o2] / molar_mass[o2] * rt_v
        for i in range(n):
            true_pressure[row, i] = p_all[i]
            true_ppo2[row, i] = ppo2_all[i]
        for j in range(nl):
            f = 0.0
            for s in range(ns):
                f += moved[row, j, s]
            link_flow[row, j] = f / dt_s if dt_s > 0.0 else 0.0
        # Sensors, vote, leak estimate.
        for c in range(c_count):
            b = ch_block[c]
            i = ch_node[c]
            truth[c] = p_all[i] if b == 0 else (ppo2_all[i] if b == 1 else temperature[row, i])
        read_row(
            truth,
            noise,
            zeros,
            zeros,
            resolution,
            low,
            high,
            drift[row],
            last[row],
            dt_s,
            normal[row],
            stuck[row],
            dropout[row],
            bias[row],
            drift_rate[row],
            reading[row],
        )
        vote_row(reading[row], vote_first, vote_count, voted[row], spread[row], buf)
        for i in range(n):
            temps[i] = reading[row, n * k + n + i]
        leak_row(
            voted[row],
            temps,
            nominal_t,
            volume,
            ema_short[row],
            ema_long[row],
            a_s,
            a_l,
            tau_short,
            tau_long,
            leak[row],
        )
        # Telemetry.
        out = tm[row]
        total = 0.0
        for i in range(n):
            out[off[T_PRESSURE] + i] = voted[row, i]
            out[off[T_SPREAD] + i] = spread[row, i]
            out[off[T_PPO2] + i] = reading[row, n * k + i]
            out[off[T_TEMPERATURE] + i] = reading[row, n * k + n + i]
            out[off[T_LEAK] + i] = leak[row, i]
            total += leak[row, i]
            out[off[T_TRUE_PRESSURE] + i] = p_all[i]
            out[off[T_TRUE_PPO2] + i] = ppo2_all[i]
            out[off[T_TRUE_TEMPERATURE] + i] = temperature[row, i]
            out[off[T_TRUE_LEAK] + i] = link_flow[row, h + v + t + i]
        for c in range(n * k):
            out[off[T_CHANNELS] + c] = reading[row, c]
        for j in range(h):
            out[off[T_HATCH] + j] = hatch_state[row, j]
            pa = voted[row, hatch_a[j]] if hatch_a[j] < n else 0.0
            pb = voted[row, hatch_b[j]] if hatch_b[j] < n else 0.0
            out[off[T_HATCH_DP] + j] = pa - pb
        for j in range(v):
            out[off[T_VALVE] + j] = 1.0 if valve_open[row, j] else 0.0
        for j in range(t):
            tp = reading[row, n * k + 2 * n + j]
            tt = temperature[row, n + j]
            out[off[T_TANK_PRESSURE] + j] = tp
            out[off[T_TANK_MASS] + j] = tp * tank_volume[j] * tank_mm[j] / (R_GAS_J_MOL_K * tt)
            out[off[T_TANK_VALVE] + j] = (
                2.0 if tank_failed[row, j] else (1.0 if tank_open[row, j] else 0.0)
            )
            m = 0.0
            for s in range(ns):
                m += mass[row, n + j, s]
            out[off[T_TRUE_TANK_MASS] + j] = m
            out[off[T_TRUE_TANK_FLOW] + j] = link_flow[row, h + v + j]
        out[off[T_LEAK_TOTAL]] = total
        out[off[T_ITERATIONS]] = iterations[row]
        lost = 0.0
        for s in range(ns):
            lost += mass[row, nn - 1, s]
        out[off[T_OVERBOARD]] = lost
        # State changes.
        e = 0
        for j in range(h):
            events[row, e] = 0
            if hatch_state[row, j] != seen_hatch[row, j]:
                events[row, e] = 1
                seen_hatch[row, j] = hatch_state[row, j]
                flags += 1
            e += 1
        for i in range(n):
            events[row, e] = 0
            if hole_area[row, i] > seen_hole[row, i]:
                events[row, e] = 1
                flags += 1
            seen_hole[row, i] = hole_area[row, i]
            e += 1
        for j in range(t):
            events[row, e] = 0
            m = out[off[T_TRUE_TANK_MASS] + j]
            empty = m < tank_empty_mass[j]
            if empty and not seen_tank_empty[row, j]:
                events[row, e] = 1
                flags += 1
            seen_tank_empty[row, j] = empty
            e += 1
        for i in range(n):
            events[row, e] = 0
            events[row, e + n] = 0
            if p_all[i] < depress_low and not seen_depressurised[row, i]:
                events[row, e] = 1
                seen_depressurised[row, i] = True
                flags += 1
            elif p_all[i] > depress_high and seen_depressurised[row, i]:
                events[row, e + n] = 1
                seen_depressurised[row, i] = False
                flags += 1
            e += 1
    return flags


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_TWO_PI = 2.0 * np.pi


@njit(cache=True)
def _uniform_bits(base: np.uint64, element: int) -> float:
    """The uniform draw of :meth:`houston.core.random.BatchRandom.uniform` for a run's key
    ``base`` (its seed key xor the stream and counter key) and a 0-based element."""
    z = base + np.uint64(element + 1) * _GOLDEN
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    z = z ^ (z >> _S31)
    return float(z >> _S11) * 2.0**-53 + 2.0**-54


@njit(cache=True)
def box_muller_inputs(seed_keys: NDArray[np.uint64], key: np.uint64, u1: _F, angle: _F) -> None:
    """The two uniform halves of a standard normal draw of shape (B, C) (``u1``, and the
    angle ``2 pi u2``), exactly as :meth:`houston.core.random.BatchRandom.normal` forms them
    from its counter key ``key``; the normal is ``sqrt(-2 log u1) cos(angle)``, with ``log``
    and ``cos`` taken by numpy so that the bits are numpy's (see :func:`normal_from`)."""
    c = u1.shape[1]
    for row in range(u1.shape[0]):
        base = seed_keys[row] ^ key
        for e in range(c):
            u1[row, e] = _uniform_bits(base, e)
        for e in range(c):
            angle[row, e] = _TWO_PI * _uniform_bits(base, c + e)


_COUNTER_MULTIPLIER = np.uint64(0xD1B54A32D192ED03)


@njit(cache=True)
def _mix64(z: np.uint64) -> np.uint64:
    """The SplitMix64 finaliser (:func:`houston.core.random._mix_int`)."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True)
def box_muller_ahead(
    seed_keys: NDArray[np.uint64],
    stream_key: np.uint64,
    first: np.uint64,
    interval: np.uint64,
    u1: _F,
    angle: _F,
) -> None:
    """:func:`box_muller_inputs` (into ``u1[j]`` and ``angle[j]``, (K, B, C)) for the
    counters ``first + j interval`` (mod 2**64) of the stream of key ``stream_key``: the
    draws of K steps at once, keyed as :meth:`houston.core.random.BatchRandom.bits` keys
    them."""
    counter = first
    for j in range(u1.shape[0]):
        key = _mix64(stream_key ^ (counter * _COUNTER_MULTIPLIER))
        box_muller_inputs(seed_keys, key, u1[j], angle[j])
        counter += interval


# The packed layout of :func:`step_packed`: the model keeps these states as views of one
# buffer per dtype (B, total), its constants in one flat array per dtype, each group in this
# order with its offsets, so that a step passes a handful of arrays instead of eighty.
STATE_F = (
    "temperature",
    "tank_failed_position",
    "hole_area",
    "link_flow",
    "sensor_bias",
    "sensor_drift_rate",
    "sensor_drift",
    "sensor_last",
    "reading",
    "voted",
    "spread",
    "ema_short",
    "ema_long",
    "leak",
    "true_pressure",
    "true_ppo2",
    "tm",
    "seen_hole",
)
STATE_B = (
    "valve_open",
    "tank_open",
    "tank_failed",
    "tank_feeding",
    "sensor_stuck",
    "sensor_dropout",
    "seen_tank_empty",
    "seen_depressurised",
    "hatch_jammed",
)
STATE_I8 = ("hatch_state", "seen_hatch")
CONST_F = (
    "hatch_kc",
    "valve_kc",
    "tank_kc",
    "tank_max",
    "tank_set",
    "tank_deadband",
    "volume",
    "molar_mass",
    "cp",
    "noise",
    "zeros",
    "resolution",
    "low",
    "high",
    "nominal_t",
    "tank_volume",
    "tank_mm",
    "tank_empty_mass",
    "scalars",  # dp_t, rtol, atol, tau_short, tau_long, depress_low, depress_high
)
CONST_I = (
    "tank_node",
    "link_a",
    "link_b",
    "ch_block",
    "ch_node",
    "vote_first",
    "vote_count",
    "hatch_a",
    "hatch_b",
    "off",
    "scalars",  # max_iterations, max_halvings, max_halvings_dt, picard, o2
)
CONST_B = ("vac", "one_way")
SCRATCH_F = ("area", "cap", "residual")
# The offsets of the groups, end to end in one array (each group's names + 1), in this order;
# O_* is where each group's offsets start.
OFFSETS = ("fs", "bs", "i8s", "cf", "ci", "cb", "sf")
O_FS = 0
O_BS = O_FS + len(STATE_F) + 1
O_I8S = O_BS + len(STATE_B) + 1
O_CF = O_I8S + len(STATE_I8) + 1
O_CI = O_CF + len(CONST_F) + 1
O_CB = O_CI + len(CONST_I) + 1
O_SF = O_CB + len(CONST_B) + 1


@njit(cache=True, inline="always")
def _cols(buf: _F, off: _I, k: int) -> _F:
    return buf[:, off[k] : off[k + 1]]


@njit(cache=True, inline="always")
def _part(buf: _F, off: _I, k: int) -> _F:
    return buf[off[k] : off[k + 1]]


@njit(cache=True, _nrt=False)
def step_packed(
    mass: _F,
    moved: _F,
    iterations: NDArray[np.int64],
    fs: _F,
    bs: _B,
    i8s: NDArray[np.int8],
    cf: _F,
    ci: _I,
    cb: _B,
    sf: _F,
    off: _I,
    converged: _B,
    substeps: NDArray[np.int64],
    log_u1: _F,
    cos_angle: _F,
    normal: _F,
    events: NDArray[np.int8],
    work: _F,
    dt_s: float,
    slot: int,
) -> int:
    """One whole step of the model in one call, on the packed layout (the names above give
    the order of each group, ``off`` the offsets of every group, as :data:`OFFSETS`): :func:`links`, the network step
    (:func:`houston.habitat.fastnet.advance`, masses in place), the sensor noise
    ``sqrt(-2 log u1) cos(angle)`` from numpy's ``log_u1[slot]`` and ``cos_angle[slot]``
    (K, B, C) (the arithmetic of :meth:`houston.core.random.BatchRandom.normal`; when
    ``slot`` is -1, ``normal`` already holds the draw), then :func:`post`. Returns
    :func:`post`'s count of event flags.

    Compiled without the reference counting of numba's runtime (``_nrt=False``, which the
    functions it calls inherit): the step allocates nothing (``work`` is its working space,
    of :func:`houston.habitat.fastnet.work_size` and :func:`post_work_size` elements, the
    larger), and the views it forms of the arrays it is given live only during the call, so
    counting their references would only cost time (about half of the step's)."""
    fsc = _part(cf, off, O_CF + 18)
    isc = _part(ci, off, O_CI + 10)
    hatch_state = _cols(i8s, off, O_I8S + 0)
    valve_open = _cols(bs, off, O_BS + 0)
    tank_open = _cols(bs, off, O_BS + 1)
    tank_failed = _cols(bs, off, O_BS + 2)
    tank_position = _cols(fs, off, O_FS + 1)
    tank_feeding = _cols(bs, off, O_BS + 3)
    hole_area = _cols(fs, off, O_FS + 2)
    hatch_kc = _part(cf, off, O_CF + 0)
    valve_kc = _part(cf, off, O_CF + 1)
    tank_kc = _part(cf, off, O_CF + 2)
    tank_max = _part(cf, off, O_CF + 3)
    tank_set = _part(cf, off, O_CF + 4)
    tank_deadband = _part(cf, off, O_CF + 5)
    tank_node = _part(ci, off, O_CI + 0)
    area = _cols(sf, off, O_SF + 0)
    cap = _cols(sf, off, O_SF + 1)
    temperature = _cols(fs, off, O_FS + 0)
    volume = _part(cf, off, O_CF + 6)
    vac = _part(cb, off, O_CB + 0)
    link_a = _part(ci, off, O_CI + 1)
    link_b = _part(ci, off, O_CI + 2)
    one_way = _part(cb, off, O_CB + 1)
    molar_mass = _part(cf, off, O_CF + 7)
    cp = _part(cf, off, O_CF + 8)
    dp_t = fsc[0]
    rtol = fsc[1]
    atol = fsc[2]
    max_iterations = isc[0]
    max_halvings = isc[1]
    max_halvings_dt = isc[2]
    picard = isc[3]
    residual = sf[:, off[O_SF + 2]]
    o2 = isc[4]
    ch_block = _part(ci, off, O_CI + 3)
    ch_node = _part(ci, off, O_CI + 4)
    noise = _part(cf, off, O_CF + 9)
    zeros = _part(cf, off, O_CF + 10)
    resolution = _part(cf, off, O_CF + 11)
    low = _part(cf, off, O_CF + 12)
    high = _part(cf, off, O_CF + 13)
    drift = _cols(fs, off, O_FS + 6)
    last = _cols(fs, off, O_FS + 7)
    stuck = _cols(bs, off, O_BS + 4)
    dropout = _cols(bs, off, O_BS + 5)
    bias = _cols(fs, off, O_FS + 4)
    drift_rate = _cols(fs, off, O_FS + 5)
    reading = _cols(fs, off, O_FS + 8)
    vote_first = _part(ci, off, O_CI + 5)
    vote_count = _part(ci, off, O_CI + 6)
    voted = _cols(fs, off, O_FS + 9)
    spread = _cols(fs, off, O_FS + 10)
    ema_short = _cols(fs, off, O_FS + 11)
    ema_long = _cols(fs, off, O_FS + 12)
    leak = _cols(fs, off, O_FS + 13)
    nominal_t = _part(cf, off, O_CF + 14)
    tau_short = fsc[3]
    tau_long = fsc[4]
    true_pressure = _cols(fs, off, O_FS + 14)
    true_ppo2 = _cols(fs, off, O_FS + 15)
    link_flow = _cols(fs, off, O_FS + 3)
    hatch_a = _part(ci, off, O_CI + 7)
    hatch_b = _part(ci, off, O_CI + 8)
    tank_volume = _part(cf, off, O_CF + 15)
    tank_mm = _part(cf, off, O_CF + 16)
    tm_off = _part(ci, off, O_CI + 9)
    tm = _cols(fs, off, O_FS + 16)
    seen_hatch = _cols(i8s, off, O_I8S + 1)
    seen_hole = _cols(fs, off, O_FS + 17)
    seen_tank_empty = _cols(bs, off, O_BS + 6)
    tank_empty_mass = _part(cf, off, O_CF + 17)
    seen_depressurised = _cols(bs, off, O_BS + 7)
    depress_low = fsc[5]
    depress_high = fsc[6]
    links(
        hatch_state,
        valve_open,
        tank_open,
        tank_failed,
        tank_position,
        tank_feeding,
        hole_area,
        true_pressure,
        hatch_kc,
        valve_kc,
        tank_kc,
        tank_max,
        tank_set,
        tank_deadband,
        tank_node,
        area,
        cap,
    )
    advance(
        mass,
        temperature,
        volume,
        vac,
        link_a,
        link_b,
        one_way,
        area,
        cap,
        molar_mass,
        cp,
        dt_s,
        dp_t,
        rtol,
        atol,
        max_iterations,
        max_halvings,
        max_halvings_dt,
        picard,
        mass,
        moved,
        iterations,
        converged,
        residual,
        substeps,
        work,
    )
    if slot >= 0:
        for row in range(normal.shape[0]):
            for c in range(normal.shape[1]):
                normal[row, c] = math.sqrt(-2.0 * log_u1[slot, row, c]) * cos_angle[slot, row, c]
    return post(
        mass,
        temperature,
        moved,
        dt_s,
        volume,
        molar_mass,
        o2,
        ch_block,
        ch_node,
        noise,
        zeros,
        resolution,
        low,
        high,
        drift,
        last,
        normal,
        stuck,
        dropout,
        bias,
        drift_rate,
        reading,
        vote_first,
        vote_count,
        voted,
        spread,
        ema_short,
        ema_long,
        leak,
        nominal_t,
        tau_short,
        tau_long,
        true_pressure,
        true_ppo2,
        link_flow,
        hatch_state,
        hatch_a,
        hatch_b,
        valve_open,
        tank_open,
        tank_failed,
        tank_volume,
        tank_mm,
        iterations,
        tm_off,
        tm,
        hole_area,
        seen_hatch,
        seen_hole,
        seen_tank_empty,
        tank_empty_mass,
        seen_depressurised,
        depress_low,
        depress_high,
        events,
        work,
    )

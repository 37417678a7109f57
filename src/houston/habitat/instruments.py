"""The habitat's instruments, compiled: sensor readings, voting and the leak-rate estimate.

The error model is that of :mod:`houston.core.sensors` (``read`` and ``vote``), applied channel
by channel with per-channel characteristics (a pressure transducer, an O2 sensor and a
thermometer differ in noise, resolution and range), in one compiled loop (numba,
``cache=True``, compiled on first use) so that a habitat's few dozen channels cost about a
microsecond a frame instead of the tens of microseconds of the vectorised functions. The
results equal those of :mod:`houston.core.sensors` (tested).

Leak-rate estimate (what the ground computes from the voted pressure of a node): two
exponential moving averages of the voted pressure, of time constants ``tau_short`` and
``tau_long``; for a pressure falling at a steady rate r, each lags the reading by about r tau,
so ``r = (E_short - E_long) / (tau_long - tau_short)``. The estimate converts the rate into
the mass flow of air out of the node, ``-r V M_air / (R T)`` (kg/s), with the node's volume
and its temperature reading. It is the node's *net* loss: with a hatch open it includes what
flows into the neighbours, and a feed from a tank counts against it, as on a real console.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray

from houston.core.constants import MOLAR_MASS_AIR_KG_MOL, R_GAS_J_MOL_K

_F = NDArray[np.float64]
_B = NDArray[np.bool_]


@njit(cache=True)
def read_row(
    truth: _F,
    noise: _F,
    bias: _F,
    drift_rate: _F,
    resolution: _F,
    low: _F,
    high: _F,
    drift_offset: _F,
    last: _F,
    dt_s: float,
    normal: _F,
    stuck: _B,
    dropout: _B,
    extra_bias: _F,
    extra_drift_rate: _F,
    out: _F,
) -> None:
    """Readings ``out`` (C,) of one run's ``truth`` (C,): :func:`houston.core.sensors.read`
    channel by channel, updating ``drift_offset`` and ``last`` in place."""
    for c in range(truth.size):
        drift_offset[c] += (drift_rate[c] + extra_drift_rate[c]) * dt_s
        v = truth[c] + bias[c] + drift_offset[c] + noise[c] * normal[c]
        v = v + extra_bias[c]
        v = min(max(v, low[c]), high[c])
        if resolution[c] > 0.0:
            v = np.rint(v / resolution[c]) * resolution[c]
        if stuck[c] and math.isfinite(last[c]):
            v = last[c]
        last[c] = v
        out[c] = math.nan if dropout[c] else v


@njit(cache=True)
def read_channels(
    truth: _F,
    noise: _F,
    bias: _F,
    drift_rate: _F,
    resolution: _F,
    low: _F,
    high: _F,
    drift_offset: _F,
    last: _F,
    dt_s: float,
    normal: _F,
    stuck: _B,
    dropout: _B,
    extra_bias: _F,
    extra_drift_rate: _F,
    out: _F,
) -> None:
    """Readings ``out`` (B, C) of ``truth`` (B, C); per-channel characteristics (C,).

    Exactly :func:`houston.core.sensors.read` per channel: updates ``drift_offset`` and
    ``last`` in place; a stuck channel repeats its last reading, a dropped-out one reads NaN.
    """
    for row in range(truth.shape[0]):
        read_row(
            truth[row],
            noise,
            bias,
            drift_rate,
            resolution,
            low,
            high,
            drift_offset[row],
            last[row],
            dt_s,
            normal[row],
            stuck[row],
            dropout[row],
            extra_bias[row],
            extra_drift_rate[row],
            out[row],
        )


@njit(cache=True)
def _insertion_sort(x: _F, n: int) -> None:
    for i in range(1, n):
        v = x[i]
        j = i - 1
        while j >= 0 and x[j] > v:
            x[j + 1] = x[j]
            j -= 1
        x[j + 1] = v


@njit(cache=True)
def vote_row(
    readings: _F, first: NDArray[np.intp], count: NDArray[np.intp], voted: _F, spread: _F, buf: _F
) -> None:
    """Mid-value select over the groups of one run's channels (see :func:`vote_groups`);
    ``buf`` is scratch of at least the largest group's size."""
    for g in range(first.size):
        n = 0
        for c in range(first[g], first[g] + count[g]):
            v = readings[c]
            if not math.isnan(v):
                buf[n] = v
                n += 1
        if n == 0:
            voted[g] = math.nan
            spread[g] = math.nan
            continue
        _insertion_sort(buf, n)
        if n % 2 == 1:
            mid = buf[n // 2]
        else:
            mid = 0.5 * (buf[n // 2 - 1] + buf[n // 2])
        s = 0.0
        for i in range(n):
            d = abs(buf[i] - mid)
            if d > s:
                s = d
        voted[g] = mid
        spread[g] = s


@njit(cache=True)
def vote_groups(
    readings: _F, first: NDArray[np.intp], count: NDArray[np.intp], voted: _F, spread: _F
) -> None:
    """Mid-value select over each group of redundant channels (:func:`core.sensors.vote`).

    Group g is channels ``first[g] .. first[g] + count[g] - 1`` of ``readings`` (B, C);
    ``voted`` and ``spread`` are (B, G): the median of the valid (non-NaN) readings and the
    largest deviation of a valid reading from it; NaN when no channel is valid.
    """
    buf = np.empty(readings.shape[1])
    for row in range(readings.shape[0]):
        vote_row(readings[row], first, count, voted[row], spread[row], buf)


@njit(cache=True)
def leak_row(
    voted_Pa: _F,
    temperature_K: _F,
    nominal_temperature_K: _F,
    volume_m3: _F,
    ema_short: _F,
    ema_long: _F,
    a_short: float,
    a_long: float,
    tau_short_s: float,
    tau_long_s: float,
    out_kg_s: _F,
) -> None:
    """One run of :func:`leak_estimate`; ``a_*`` = 1 - exp(-dt / tau_*)."""
    for i in range(voted_Pa.size):
        v = voted_Pa[i]
        if math.isfinite(v):
            if math.isnan(ema_short[i]):
                ema_short[i] = v
                ema_long[i] = v
            else:
                ema_short[i] += a_short * (v - ema_short[i])
                ema_long[i] += a_long * (v - ema_long[i])
        rate = (ema_short[i] - ema_long[i]) / (tau_long_s - tau_short_s)
        t = temperature_K[i]
        if not math.isfinite(t) or t <= 0.0:
            t = nominal_temperature_K[i]
        out_kg_s[i] = -rate * volume_m3[i] * MOLAR_MASS_AIR_KG_MOL / (R_GAS_J_MOL_K * t)


@njit(cache=True)
def leak_estimate(
    voted_Pa: _F,
    temperature_K: _F,
    nominal_temperature_K: _F,
    volume_m3: _F,
    ema_short: _F,
    ema_long: _F,
    tau_short_s: float,
    tau_long_s: float,
    dt_s: float,
    out_kg_s: _F,
) -> None:
    """Update the two moving averages (B, N) with the voted pressures and estimate the leak.

    A NaN reading (no valid channel) leaves the averages unchanged; an average still NaN
    (no reading yet) starts at the first valid one. ``out_kg_s`` (B, N), positive when the
    node loses gas; the temperature reading is used when valid, else the nominal one.
    """
    a_s = -math.expm1(-dt_s / tau_short_s)
    a_l = -math.expm1(-dt_s / tau_long_s)
    for row in range(voted_Pa.shape[0]):
        leak_row(
            voted_Pa[row],
            temperature_K[row],
            nominal_temperature_K,
            volume_m3,
            ema_short[row],
            ema_long[row],
            a_s,
            a_l,
            tau_short_s,
            tau_long_s,
            out_kg_s[row],
        )

"""Sensors between the truth and the ground: noise, bias, drift, quantisation, range, and the
faults a sensor can suffer (stuck, biased, drifting, dropped out), with redundant-channel
voting.

Pure functions over arrays ``(batch, channels)``: a model owns the sensor state (declared in
its ``states`` so checkpoints carry it), maps its declared failures onto the fault arrays,
and publishes both the truth (as ``truth`` telemetry, archived for post-mortems) and the
readings (which the ground sees and the limits check).

The error model is the usual one for process instrumentation (e.g. ISA-51.1 terminology:
zero offset = bias, drift = slow change of the offset, noise = random error of one reading):
``reading = quantise(clip(truth + bias + drift_offset + noise * N(0,1)))`` with ``drift_offset``
growing at ``drift_rate``; a stuck channel repeats its last good reading; a dropped-out
channel reads NaN (no data).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


@dataclass(frozen=True)
class SensorSpec:
    """Static characteristics of a channel, in the SI unit of the measured quantity."""

    noise: float = 0.0  # one-sigma random error of a reading
    bias: float = 0.0  # constant offset
    drift_rate: float = 0.0  # growth of the offset, per second
    resolution: float = 0.0  # quantisation step (0: none)
    low: float = -np.inf  # measuring range
    high: float = np.inf

    def __post_init__(self) -> None:
        if self.noise < 0 or self.resolution < 0:
            raise ValueError("sensor noise and resolution must be non-negative")
        if not self.low < self.high:
            raise ValueError(f"sensor range low {self.low} must be below high {self.high}")


@dataclass
class SensorFaults:
    """Faults per run and channel (boolean masks and their magnitudes)."""

    stuck: NDArray[np.bool_]
    dropout: NDArray[np.bool_]
    extra_bias: Array
    extra_drift_rate: Array

    @classmethod
    def none(cls, shape: tuple[int, ...]) -> SensorFaults:
        return cls(
            np.zeros(shape, dtype=bool),
            np.zeros(shape, dtype=bool),
            np.zeros(shape),
            np.zeros(shape),
        )


def read(
    truth: Array,
    spec: SensorSpec,
    drift_offset: Array,
    last: Array,
    dt_s: float,
    normal: Array,
    faults: SensorFaults | None = None,
) -> Array:
    """Readings of ``truth`` ``(batch, channels)``; updates ``drift_offset`` and ``last`` in
    place. ``normal`` holds standard normal draws of the same shape."""
    rate = spec.drift_rate + (faults.extra_drift_rate if faults is not None else 0.0)
    drift_offset += rate * dt_s
    value = truth + spec.bias + drift_offset + spec.noise * normal
    if faults is not None:
        value = value + faults.extra_bias
    value = np.clip(value, spec.low, spec.high)
    if spec.resolution > 0:
        value = np.round(value / spec.resolution) * spec.resolution
    if faults is not None:
        value = np.where(faults.stuck & np.isfinite(last), last, value)
    last[...] = value
    if faults is not None:
        value = np.where(faults.dropout, np.nan, value)
    return value


def vote(readings: Array, axis: int = -1) -> tuple[Array, Array]:
    """Mid-value select over redundant channels (the median of the valid readings; NaN when
    none is valid), and the largest disagreement of a valid channel from it.

    A large disagreement with a steady voted value points at a sensor fault; all channels
    moving together points at the process itself.
    """
    # numpy warns on all-NaN slices; every channel dropped out is a legitimate state (no
    # data), reported as NaN.
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        voted = np.nanmedian(readings, axis=axis)
        spread = np.nanmax(np.abs(readings - np.expand_dims(voted, axis)), axis=axis)
    return voted, spread

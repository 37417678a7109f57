"""Limit checking and alarms, vectorised over runs and parameters.

A parameter's level is signed: -2 below warning-low, -1 below caution-low, 0 nominal,
+1 above caution-high, +2 above warning-high. A worse level is reported only after the
violation has lasted ``persistence`` consecutive samples; a level is lowered only once the
value is back inside the limit by ``hysteresis`` (the same rule flight software uses so that a
noisy value near a limit does not chatter). A missing value (NaN) is not a violation.

Alarms follow the levels: a rise raises an alarm (unacknowledged); the return to nominal
clears it; it leaves the list once it is both cleared and acknowledged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from houston.ops.catalog import Catalog

LEVEL_NAMES = {
    -2: "warning-low",
    -1: "caution-low",
    0: "nominal",
    1: "caution-high",
    2: "warning-high",
}


@dataclass(frozen=True)
class Transition:
    """A change of reported level for one parameter of one run."""

    run: int
    column: int
    old: int
    new: int
    value: float


def _raw_levels(
    x: NDArray[np.float64], lim: dict[str, NDArray[np.float64]], margin: NDArray[np.float64] | float
) -> NDArray[np.int8]:
    level = np.zeros(x.shape, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        level[x < lim["caution_low"] + margin] = -1
        level[x < lim["warning_low"] + margin] = -2
        level[x > lim["caution_high"] - margin] = 1
        level[x > lim["warning_high"] - margin] = 2
    return level


class LimitChecker:
    """Checks every limited parameter of every run, each sample."""

    def __init__(self, catalog: Catalog, batch: int) -> None:
        arrays = catalog.limit_arrays()
        has = ~(
            np.isnan(arrays["caution_low"])
            & np.isnan(arrays["caution_high"])
            & np.isnan(arrays["warning_low"])
            & np.isnan(arrays["warning_high"])
        )
        self.columns = np.flatnonzero(has)
        self.lim = {k: v[self.columns] for k, v in arrays.items()}
        self.persistence = self.lim["persistence"].astype(np.int64)
        n = len(self.columns)
        # The inner band: a value inside it is nominal at every level (absent limits are +-inf).
        lows = np.stack([self.lim["caution_low"], self.lim["warning_low"]])
        highs = np.stack([self.lim["caution_high"], self.lim["warning_high"]])
        self._inner_low = np.where(np.isnan(lows), -np.inf, lows).max(axis=0)
        self._inner_high = np.where(np.isnan(highs), np.inf, highs).min(axis=0)
        self._quiet = True  # no level raised and nothing pending: the fast path applies
        self.level = np.zeros((batch, n), dtype=np.int8)
        self.pending = np.zeros((batch, n), dtype=np.int64)
        self.pending_level = np.zeros((batch, n), dtype=np.int8)

    def check(self, frame: NDArray[np.float64]) -> list[Transition]:
        """Update the levels from one frame of values ``(batch, n_params)``."""
        if self.columns.size == 0:
            return []
        x = frame[:, self.columns]
        if self._quiet and not ((x < self._inner_low) | (x > self._inner_high)).any():
            return []
        raw = _raw_levels(x, self.lim, 0.0)
        raw_h = _raw_levels(x, self.lim, self.lim["hysteresis"])
        old = self.level.copy()
        level = self.level

        # Lower the level once the value is back inside by the hysteresis margin.
        sign_l = np.sign(level)
        lower = (level != 0) & ((np.sign(raw_h) != sign_l) | (np.abs(raw_h) < np.abs(level)))
        level[lower] = np.where(np.sign(raw_h) == sign_l, raw_h, 0)[lower]

        # Raise it once a worse level has persisted.
        worse = (raw != 0) & ((np.abs(raw) > np.abs(level)) | (np.sign(raw) != np.sign(level)))
        same = worse & (raw == self.pending_level)
        self.pending = np.where(same, self.pending + 1, np.where(worse, 1, 0))
        self.pending_level = np.where(worse, raw, 0).astype(np.int8)
        fire = worse & (self.pending >= self.persistence)
        level[fire] = raw[fire]
        self.pending[fire] = 0
        self.pending_level[fire] = 0

        self._quiet = not (level.any() or self.pending.any())
        changed = np.argwhere(level != old)
        return [
            Transition(
                int(b), int(self.columns[c]), int(old[b, c]), int(level[b, c]), float(x[b, c])
            )
            for b, c in changed
        ]

    def state(self) -> dict[str, NDArray[Any]]:
        return {"level": self.level, "pending": self.pending, "pending_level": self.pending_level}

    def load_state(self, state: dict[str, NDArray[Any]]) -> None:
        self.level = state["level"].astype(np.int8)
        self.pending = state["pending"].astype(np.int64)
        self.pending_level = state["pending_level"].astype(np.int8)
        self._quiet = not (self.level.any() or self.pending.any())


@dataclass
class Alarm:
    """An alarm on one parameter of one run."""

    run: int
    parameter: str
    level: int
    worst: int
    raised_ns: int
    acknowledged: bool = False
    cleared_ns: int | None = None

    @property
    def active(self) -> bool:
        return self.cleared_ns is None


class Alarms:
    """The alarm list: raised by rising levels, cleared by nominal values, acknowledged by
    people."""

    def __init__(self) -> None:
        self.items: dict[tuple[int, str], Alarm] = {}

    def update(self, t_ns: int, run: int, parameter: str, old: int, new: int) -> None:
        key = (run, parameter)
        alarm = self.items.get(key)
        if (new != 0 and abs(new) > abs(old)) or (new != 0 and np.sign(new) != np.sign(old)):
            if alarm is None or not alarm.active or alarm.acknowledged:
                self.items[key] = Alarm(run, parameter, new, new, t_ns)
            else:
                alarm.level = new
                alarm.worst = new if abs(new) > abs(alarm.worst) else alarm.worst
        elif alarm is not None:
            alarm.level = new
            if new == 0:
                alarm.cleared_ns = t_ns
                if alarm.acknowledged:
                    del self.items[key]

    def acknowledge(self, parameter: str, run: int | None = None) -> int:
        """Acknowledge the alarms of ``parameter`` (in every run when ``run`` is None)."""
        count = 0
        for key, alarm in list(self.items.items()):
            if alarm.parameter == parameter and (run is None or alarm.run == run):
                if not alarm.acknowledged:
                    count += 1
                alarm.acknowledged = True
                if not alarm.active:
                    del self.items[key]
        return count

    def active(self) -> list[Alarm]:
        return sorted(self.items.values(), key=lambda a: (a.raised_ns, a.run, a.parameter))

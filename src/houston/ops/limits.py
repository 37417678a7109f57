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


def _raw_level(x: float, lim: NDArray[np.float64], k: int, margin: float) -> int:
    """The level of ``x`` against the limits of column ``k`` moved inward by ``margin``
    (an absent limit is NaN and never crossed)."""
    level = 0
    if x < lim[0, k] + margin:
        level = -1
    if x < lim[2, k] + margin:
        level = -2
    if x > lim[1, k] - margin:
        level = 1
    if x > lim[3, k] - margin:
        level = 2
    return level


def _sign(v: int) -> int:
    return (v > 0) - (v < 0)


def _check(
    frame: NDArray[np.float64],
    columns: NDArray[np.intp],
    lim: NDArray[np.float64],
    persistence: NDArray[np.int64],
    level: NDArray[np.int8],
    pending: NDArray[np.int64],
    pending_level: NDArray[np.int8],
    out: NDArray[np.int64],
    out_value: NDArray[np.float64],
) -> int:
    """Update the levels of every run and limited column from one frame; the transitions go
    to ``out`` (rows: run, column position, old level, new level) and ``out_value``, in run
    then column order; returns how many there are."""
    n = 0
    for b in range(frame.shape[0]):
        for k in range(columns.shape[0]):
            x = frame[b, columns[k]]
            old = int(level[b, k])
            lv = old
            raw = _raw_level(x, lim, k, 0.0)
            # Lower the level once the value is back inside by the hysteresis margin.
            if lv != 0:
                raw_h = _raw_level(x, lim, k, lim[4, k])
                if _sign(raw_h) != _sign(lv) or abs(raw_h) < abs(lv):
                    lv = raw_h if _sign(raw_h) == _sign(lv) else 0
            # Raise it once a worse level has persisted.
            if raw != 0 and (abs(raw) > abs(lv) or _sign(raw) != _sign(lv)):
                count = pending[b, k] + 1 if raw == pending_level[b, k] else 1
                if count >= persistence[k]:
                    lv = raw
                    pending[b, k] = 0
                    pending_level[b, k] = 0
                else:
                    pending[b, k] = count
                    pending_level[b, k] = raw
            else:
                pending[b, k] = 0
                pending_level[b, k] = 0
            if lv != old:
                level[b, k] = lv
                out[0, n] = b
                out[1, n] = k
                out[2, n] = old
                out[3, n] = lv
                out_value[n] = x
                n += 1
    return n


_KERNEL: Any = None


def _kernel() -> Any:
    """``_check`` compiled with numba (on first use, cached on disk)."""
    global _KERNEL
    if _KERNEL is None:
        import numba

        module = globals()
        for helper in ("_raw_level", "_sign"):
            module[helper] = numba.njit(inline="always", cache=True)(module[helper])
        _KERNEL = numba.njit(cache=True, nogil=True)(_check)
    return _KERNEL


class LimitChecker:
    """Checks every limited parameter of every run, each sample (one compiled pass)."""

    def __init__(self, catalog: Catalog, batch: int) -> None:
        arrays = catalog.limit_arrays()
        has = ~(
            np.isnan(arrays["caution_low"])
            & np.isnan(arrays["caution_high"])
            & np.isnan(arrays["warning_low"])
            & np.isnan(arrays["warning_high"])
        )
        self.columns = np.flatnonzero(has).astype(np.intp)
        self.lim = {k: v[self.columns] for k, v in arrays.items()}
        self.persistence = self.lim["persistence"].astype(np.int64)
        # Rows: caution-low, caution-high, warning-low, warning-high, hysteresis.
        self._lim = np.ascontiguousarray(
            np.stack(
                [
                    self.lim[k]
                    for k in ("caution_low", "caution_high", "warning_low", "warning_high")
                ]
                + [self.lim["hysteresis"]]
            )
        )
        n = len(self.columns)
        self.level = np.zeros((batch, n), dtype=np.int8)
        self.pending = np.zeros((batch, n), dtype=np.int64)
        self.pending_level = np.zeros((batch, n), dtype=np.int8)
        self._out = np.zeros((4, batch * n), dtype=np.int64)
        self._out_value = np.zeros(batch * n)

    def check(self, frame: NDArray[np.float64]) -> list[Transition]:
        """Update the levels from one frame of values ``(batch, n_params)``."""
        if self.columns.size == 0:
            return []
        if frame.dtype != np.float64:
            frame = frame.astype(np.float64)
        n = _kernel()(
            frame,
            self.columns,
            self._lim,
            self.persistence,
            self.level,
            self.pending,
            self.pending_level,
            self._out,
            self._out_value,
        )
        if not n:
            return []
        out, columns = self._out, self.columns
        return [
            Transition(
                int(out[0, i]),
                int(columns[out[1, i]]),
                int(out[2, i]),
                int(out[3, i]),
                float(self._out_value[i]),
            )
            for i in range(n)
        ]

    def state(self) -> dict[str, NDArray[Any]]:
        return {"level": self.level, "pending": self.pending, "pending_level": self.pending_level}

    def load_state(self, state: dict[str, NDArray[Any]]) -> None:
        self.level = np.ascontiguousarray(state["level"], dtype=np.int8)
        self.pending = np.ascontiguousarray(state["pending"], dtype=np.int64)
        self.pending_level = np.ascontiguousarray(state["pending_level"], dtype=np.int8)


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

"""Pacing: one frame loop, run as fast as possible or paced to the wall clock.

The loop calls ``Pacer.wait(t_ns)`` after each frame. With ``speed=None`` it returns at once;
with a speed factor it sleeps until the wall clock has caught up with the simulated time
divided by the factor (as SimPy's ``RealtimeEnvironment`` does). The clock and the sleep are
injectable so that tests use a fake clock instead of sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from houston.core.time import NS_PER_S


class Pacer:
    """Holds simulated time to ``speed`` times the wall clock (``None``: as fast as possible)."""

    def __init__(
        self,
        speed: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if speed is not None and not speed > 0:
            raise ValueError(
                f"speed must be a positive factor or None (as fast as possible), got {speed}"
            )
        self.speed = speed
        self._clock = clock
        self._sleep = sleep
        self._wall0 = 0.0
        self._sim0 = 0
        self.lag_s = 0.0

    def anchor(self, t_ns: int) -> None:
        """Tie simulated time ``t_ns`` to the wall clock now (at start and after a pause)."""
        self._wall0 = self._clock()
        self._sim0 = t_ns

    def wait(self, t_ns: int) -> None:
        """Sleep until the wall clock reaches the moment simulated time ``t_ns`` is due."""
        if self.speed is None:
            return
        due = self._wall0 + (t_ns - self._sim0) / NS_PER_S / self.speed
        ahead = due - self._clock()
        if ahead > 0:
            self._sleep(ahead)
            self.lag_s = 0.0
        else:
            self.lag_s = -ahead


def parse_speed(text: str | float | None) -> float | None:
    """``max`` (or None) -> None; ``1``, ``10``, ``60`` -> the factor."""
    if text is None:
        return None
    if isinstance(text, str) and text.strip().lower() in ("max", "fast", "asap"):
        return None
    try:
        speed = float(text)
    except ValueError:
        raise ValueError(
            f"expected 'max' or a positive factor such as 1, 10 or 60, got {text!r}"
        ) from None
    if not speed > 0:
        raise ValueError(f"expected 'max' or a positive factor such as 1, 10 or 60, got {text!r}")
    return speed

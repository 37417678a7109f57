"""Time in Houston: an integer count of TAI nanoseconds since the scenario epoch.

The kernel's clock never drifts because it is an integer. Epochs and UTC come from astropy
(ERFA underneath, with its maintained leap-second table), imported only when an epoch is
parsed or a UTC string is formatted, so that ``import houston`` stays fast.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from astropy.time import Time

NS_PER_S = 1_000_000_000

_offline = False


def astropy_offline() -> None:
    """Keep astropy on its bundled tables (astropy-iers-data): never download leap seconds or
    Earth orientation data at run time, and do not reject a bundled table for its age."""
    global _offline
    if _offline:
        return
    from astropy.utils import iers

    iers.conf.auto_download = False
    iers.conf.auto_max_age = None
    _offline = True


_UNIT_NS = {
    "ns": 1,
    "us": 1_000,
    "ms": 1_000_000,
    "s": NS_PER_S,
    "sec": NS_PER_S,
    "min": 60 * NS_PER_S,
    "m": 60 * NS_PER_S,
    "h": 3600 * NS_PER_S,
    "hr": 3600 * NS_PER_S,
    "d": 86400 * NS_PER_S,
    "day": 86400 * NS_PER_S,
    "days": 86400 * NS_PER_S,
}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*(ns|us|ms|sec|s|min|m|hr|h|days|day|d)")
_CLOCK = re.compile(r"^(\d+):([0-5]?\d)(?::([0-5]?\d(?:\.\d+)?))?$")
_DAY_CLOCK = re.compile(r"^(\d+)d\s*(\d+):([0-5]?\d)(?::([0-5]?\d(?:\.\d+)?))?$")

DURATION_FORMS = "'90s', '30min', '2h', '1d', '1h30min', 'HH:MM:SS' or 'HH:MM'"


class DurationError(ValueError):
    """A duration text that cannot be read."""


def _decimal_ns(number: str, unit_ns: int) -> int:
    whole, _, frac = number.partition(".")
    ns = int(whole or 0) * unit_ns
    if frac:
        ns += int(frac) * unit_ns // 10 ** len(frac)
    return ns


def parse_duration(text: str | int | float) -> int:
    """Read a duration and return integer nanoseconds.

    Accepts ``90s``, ``30min``, ``2h``, ``1d``, compound ``1h30min``, clock forms ``HH:MM:SS``
    (hours may exceed 24) and ``HH:MM``, ``2d 03:00:00``, a leading ``-`` for negative
    durations, and a bare number of seconds.
    """
    if isinstance(text, bool):
        raise DurationError(f"expected a duration such as {DURATION_FORMS}, got {text!r}")
    if isinstance(text, int):
        return text * NS_PER_S
    if isinstance(text, float):
        return round(text * NS_PER_S)
    s = str(text).strip().lower()
    sign = 1
    if s.startswith("-"):
        sign, s = -1, s[1:].strip()
    elif s.startswith("+"):
        s = s[1:].strip()
    if not s:
        raise DurationError(f"expected a duration such as {DURATION_FORMS}, got {text!r}")
    if m := _DAY_CLOCK.match(s):
        d, h, mi, sec = m.groups()
        ns = int(d) * 86400 * NS_PER_S + int(h) * 3600 * NS_PER_S + int(mi) * 60 * NS_PER_S
        return sign * (ns + _decimal_ns(sec or "0", NS_PER_S))
    if m := _CLOCK.match(s):
        h, mi, sec = m.groups()
        ns = int(h) * 3600 * NS_PER_S + int(mi) * 60 * NS_PER_S
        return sign * (ns + _decimal_ns(sec or "0", NS_PER_S))
    if re.fullmatch(r"\d+(\.\d*)?|\.\d+", s):
        return sign * _decimal_ns(s, NS_PER_S)
    pos, ns = 0, 0
    compact = s.replace(" ", "")
    while pos < len(compact):
        m = _PART.match(compact, pos)
        if not m:
            raise DurationError(f"expected a duration such as {DURATION_FORMS}, got {text!r}")
        ns += _decimal_ns(m.group(1), _UNIT_NS[m.group(2)])
        pos = m.end()
    return sign * ns


def format_duration(ns: int) -> str:
    """Format nanoseconds as ``HHH:MM:SS`` (with a sign when negative)."""
    sign = "-" if ns < 0 else ""
    total = abs(int(ns)) // NS_PER_S
    h, rem = divmod(total, 3600)
    m, s = divmod(rem, 60)
    return f"{sign}{h:03d}:{m:02d}:{s:02d}"


def format_get(ns: int) -> str:
    """Ground elapsed time as flight controllers write it: ``GET 001:23:45``."""
    return "GET " + format_duration(ns)


@dataclass(frozen=True)
class Epoch:
    """The scenario epoch: the instant at which the kernel clock reads zero.

    Stored as a two-part TAI Julian date (the representation ERFA uses), so that it pickles
    and compares without astropy. ``utc`` is the text it was made from.
    """

    tai_jd1: float
    tai_jd2: float
    utc: str

    @classmethod
    def from_utc(cls, text: str) -> Epoch:
        """Parse an ISO 8601 UTC text (``1975-07-17T16:00:00Z``)."""
        from astropy.time import Time

        astropy_offline()
        raw = text.strip()
        if raw.endswith("Z"):
            raw = raw[:-1]
        try:
            t = Time(raw, format="isot", scale="utc", precision=3)
        except ValueError as exc:
            raise ValueError(
                f"expected an ISO 8601 UTC time such as '1985-07-17T16:00:00Z', got {text!r}"
            ) from exc
        tai = t.tai
        return cls(float(tai.jd1), float(tai.jd2), text.strip())

    @cached_property
    def _time(self) -> Time:
        from astropy.time import Time

        astropy_offline()
        return Time(self.tai_jd1, self.tai_jd2, format="jd", scale="tai")

    def time(self, t_ns: Any) -> Time:
        """astropy ``Time`` (TAI scale) at ``t_ns`` nanoseconds after the epoch (array-ready)."""
        from astropy import units as u

        t = np.asarray(t_ns, dtype=np.int64)
        # Split into whole seconds and a nanosecond remainder so no precision is lost.
        sec, rem = np.divmod(t, NS_PER_S)
        return self._time + (sec.astype(np.float64) + rem.astype(np.float64) * 1e-9) * u.s

    def utc_iso(self, t_ns: Any, precision: int = 0) -> Any:
        """UTC ISO text (``YYYY-MM-DDTHH:MM:SSZ``) at ``t_ns``; a list for arrays."""
        t = self.time(t_ns).utc
        t.precision = precision
        iso = t.isot
        if isinstance(iso, str):
            return iso + "Z"
        return [s + "Z" for s in np.ravel(iso)]

    def ns_since(self, utc_text: str) -> int:
        """Nanoseconds from this epoch to the UTC instant ``utc_text``."""
        other = Epoch.from_utc(utc_text)
        days = (other.tai_jd1 - self.tai_jd1) + (other.tai_jd2 - self.tai_jd2)
        return round(days * 86400.0 * NS_PER_S)

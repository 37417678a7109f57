"""Sun and Moon positions from the JPL DE421 ephemeris, and the time scales they need.

Source: JPL Development Ephemeris DE421 (Folkner, Williams & Boggs 2008, JPL IOM 343R-08-003),
the ``de421.bsp`` SPK kernel shipped in the ``skyfield-data`` package, read with ``jplephem``
(Chebyshev polynomials, covering 1899-07-29 to 2053-10-09). The kernel is opened once, on
first use, and every function evaluates all its times in one vectorised call.

Positions are geometric (no light time, no aberration), on ICRF axes, in metres:

* ``*_gcrf``: relative to the Earth's centre (Moon − Earth through the Earth–Moon barycentre
  segments, Sun − Earth through the solar-system barycentre);
* ``*_mci``: relative to the Moon's centre (Moon-centred inertial, ICRF axes).

The geocentric vectors are differences of barycentric (TDB-compatible) coordinates; the
relativistic scale difference to true GCRS coordinates (about 1e-8, a few metres at the
Moon's distance) is ignored, as it is in Skyfield and astropy.

Time arguments are two-part TDB Julian dates ``(jd_tdb1, jd_tdb2)`` (the sum is the date;
keeping the parts apart keeps microsecond precision). :func:`tdb_jd` makes them from the
kernel clock (integer TAI nanoseconds since the scenario epoch):

* TT = TAI + 32.184 s exactly (IAU 1991 Resolution A4);
* TDB − TT from ``erfa.dtdb``, the Fairhead & Bretagnon (1990) series as implemented in
  SOFA/ERFA (geocentric: no topocentric terms), good to a few nanoseconds.

Shapes: time arguments broadcast against each other; results are ``(..., 3)``.

Cost (timeit, one core): :func:`moon_position_gcrf` about 40 µs for one time and 0.3 ms for
1,000; :func:`moon_state_gcrf` about 60 µs and 0.5 ms; the Sun (three segments) about
1.5 times that; :func:`tdb_jd` about 15 µs for one time and 6 ms for 1,000 (the TDB series).
"""

from __future__ import annotations

import atexit
import importlib.resources
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from houston.core.time import NS_PER_S

if TYPE_CHECKING:
    from jplephem.spk import SPK

    from houston.core.time import Epoch

__all__ = [
    "TT_MINUS_TAI_S",
    "earth_position_mci",
    "earth_state_mci",
    "moon_position_gcrf",
    "moon_state_gcrf",
    "sun_position_gcrf",
    "sun_position_mci",
    "sun_state_gcrf",
    "tai_jd",
    "tdb_jd",
    "tt_jd",
]

Array = NDArray[np.float64]

#: TT − TAI, s (exact; IAU 1991 Resolution A4).
TT_MINUS_TAI_S = 32.184
_S_PER_DAY = 86_400.0
_NS_PER_DAY = 86_400 * NS_PER_S
_KM = 1.0e3
_KM_PER_DAY = 1.0e3 / _S_PER_DAY

# NAIF body codes of the DE421 segments.
_SSB, _EMB, _SUN, _MOON, _EARTH = 0, 3, 10, 301, 399

_kernel: SPK | None = None


def _spk() -> SPK:
    """The DE421 kernel, opened on first use and closed at interpreter exit."""
    global _kernel
    if _kernel is None:
        from jplephem.spk import SPK

        path = importlib.resources.files("skyfield_data") / "data" / "de421.bsp"
        _kernel = SPK.open(str(path))
        atexit.register(_kernel.close)
    return _kernel


# --- time scales ---------------------------------------------------------------------------


def _split_ns(t_ns: ArrayLike) -> tuple[Array, Array]:
    """Kernel nanoseconds as (whole days, remaining seconds), both exact in float64."""
    t = np.asarray(t_ns, dtype=np.int64)
    days, rem = np.divmod(t, _NS_PER_DAY)
    sec, ns = np.divmod(rem, NS_PER_S)
    return days.astype(np.float64), sec.astype(np.float64) + ns.astype(np.float64) * 1.0e-9


def tai_jd(epoch: Epoch, t_ns: ArrayLike) -> tuple[Array, Array]:
    """Two-part TAI Julian date of kernel time ``t_ns`` (integer TAI ns since ``epoch``).

    The first part is the epoch's first part plus whole days (exact); the second holds the
    rest, so the sum keeps nanosecond-level precision for missions of any length.
    """
    days, sec = _split_ns(t_ns)
    return epoch.tai_jd1 + days, epoch.tai_jd2 + sec / _S_PER_DAY


def tt_jd(epoch: Epoch, t_ns: ArrayLike) -> tuple[Array, Array]:
    """Two-part TT Julian date of kernel time ``t_ns``: TT = TAI + 32.184 s exactly."""
    days, sec = _split_ns(t_ns)
    return epoch.tai_jd1 + days, epoch.tai_jd2 + (sec + TT_MINUS_TAI_S) / _S_PER_DAY


def tdb_jd(epoch: Epoch, t_ns: ArrayLike) -> tuple[Array, Array]:
    """Two-part TDB Julian date of kernel time ``t_ns``, for the ephemeris functions.

    TDB = TT + (TDB − TT), the difference (±1.7 ms, annual) from ``erfa.dtdb``: the
    Fairhead & Bretagnon (1990) series of SOFA/ERFA at the geocentre (TT used as its time
    argument, as ERFA allows).
    """
    import erfa

    jd1, jd2 = tt_jd(epoch, t_ns)
    dtdb_s = erfa.dtdb(jd1, jd2, 0.0, 0.0, 0.0, 0.0)
    return jd1, jd2 + dtdb_s / _S_PER_DAY


# --- DE421 ------------------------------------------------------------------------------------


def _times(jd_tdb1: ArrayLike, jd_tdb2: ArrayLike) -> tuple[Array, Array, tuple[int, ...]]:
    t1, t2 = np.broadcast_arrays(
        np.asarray(jd_tdb1, dtype=np.float64), np.asarray(jd_tdb2, dtype=np.float64)
    )
    return t1.ravel(), t2.ravel(), t1.shape


def _segment_km(center: int, target: int, t1: Array, t2: Array) -> Array:
    """Position of ``target`` relative to ``center`` (one DE421 segment), km, shape (3, n)."""
    return _spk()[center, target].compute(t1, t2)


def _segment_km_kmd(center: int, target: int, t1: Array, t2: Array) -> tuple[Array, Array]:
    """Position (km) and velocity (km/day) of one segment, each of shape (3, n)."""
    return _spk()[center, target].compute_and_differentiate(t1, t2)


def _out(x: Array, scale: float, shape: tuple[int, ...]) -> Array:
    """(3, n) in kernel units -> (*shape, 3) in SI."""
    return np.moveaxis(x * scale, 0, -1).reshape((*shape, 3))


def _moon_minus_earth_km(t1: Array, t2: Array) -> Array:
    return _segment_km(_EMB, _MOON, t1, t2) - _segment_km(_EMB, _EARTH, t1, t2)


def _sun_minus_earth_km(t1: Array, t2: Array) -> Array:
    return (
        _segment_km(_SSB, _SUN, t1, t2)
        - _segment_km(_SSB, _EMB, t1, t2)
        - _segment_km(_EMB, _EARTH, t1, t2)
    )


def moon_position_gcrf(jd_tdb1: ArrayLike, jd_tdb2: ArrayLike = 0.0) -> Array:
    """Geocentric position of the Moon, ICRF axes, m, shape ``(..., 3)``.

    DE421 segments 3→301 (Earth–Moon barycentre to Moon) minus 3→399 (barycentre to Earth);
    geometric (no light time), at TDB ``jd_tdb1 + jd_tdb2``.
    """
    t1, t2, shape = _times(jd_tdb1, jd_tdb2)
    return _out(_moon_minus_earth_km(t1, t2), _KM, shape)


def moon_state_gcrf(jd_tdb1: ArrayLike, jd_tdb2: ArrayLike = 0.0) -> tuple[Array, Array]:
    """Geocentric position (m) and velocity (m/s) of the Moon, ICRF axes, each ``(..., 3)``.

    DE421 segments 3→301 minus 3→399 with their Chebyshev derivatives (jplephem
    ``compute_and_differentiate``: km and km/day, converted to SI). The velocity is the rate
    of change of the position with respect to TDB.
    """
    t1, t2, shape = _times(jd_tdb1, jd_tdb2)
    rm, vm = _segment_km_kmd(_EMB, _MOON, t1, t2)
    re, ve = _segment_km_kmd(_EMB, _EARTH, t1, t2)
    return _out(rm - re, _KM, shape), _out(vm - ve, _KM_PER_DAY, shape)


def sun_position_gcrf(jd_tdb1: ArrayLike, jd_tdb2: ArrayLike = 0.0) -> Array:
    """Geocentric position of the Sun, ICRF axes, m, shape ``(..., 3)``.

    DE421 segments 0→10 (solar-system barycentre to Sun) minus 0→3 and 3→399 (to the Earth);
    geometric (no light time, no aberration).
    """
    t1, t2, shape = _times(jd_tdb1, jd_tdb2)
    return _out(_sun_minus_earth_km(t1, t2), _KM, shape)


def sun_state_gcrf(jd_tdb1: ArrayLike, jd_tdb2: ArrayLike = 0.0) -> tuple[Array, Array]:
    """Geocentric position (m) and velocity (m/s) of the Sun, ICRF axes, each ``(..., 3)``.

    DE421 segments 0→10 minus 0→3 and 3→399, differentiated by jplephem.
    """
    t1, t2, shape = _times(jd_tdb1, jd_tdb2)
    rs, vs = _segment_km_kmd(_SSB, _SUN, t1, t2)
    rb, vb = _segment_km_kmd(_SSB, _EMB, t1, t2)
    re, ve = _segment_km_kmd(_EMB, _EARTH, t1, t2)
    return _out(rs - rb - re, _KM, shape), _out(vs - vb - ve, _KM_PER_DAY, shape)


def earth_position_mci(jd_tdb1: ArrayLike, jd_tdb2: ArrayLike = 0.0) -> Array:
    """Position of the Earth's centre relative to the Moon's, ICRF axes (MCI), m, ``(..., 3)``.

    The negative of :func:`moon_position_gcrf` (DE421 segments 3→399 minus 3→301).
    """
    return -moon_position_gcrf(jd_tdb1, jd_tdb2)


def earth_state_mci(jd_tdb1: ArrayLike, jd_tdb2: ArrayLike = 0.0) -> tuple[Array, Array]:
    """Position (m) and velocity (m/s) of the Earth relative to the Moon (MCI), ``(..., 3)``."""
    r, v = moon_state_gcrf(jd_tdb1, jd_tdb2)
    return -r, -v


def sun_position_mci(jd_tdb1: ArrayLike, jd_tdb2: ArrayLike = 0.0) -> Array:
    """Position of the Sun relative to the Moon's centre, ICRF axes (MCI), m, ``(..., 3)``.

    DE421 segments 0→10 minus 0→3 and 3→301 (geometric).
    """
    t1, t2, shape = _times(jd_tdb1, jd_tdb2)
    km = (
        _segment_km(_SSB, _SUN, t1, t2)
        - _segment_km(_SSB, _EMB, t1, t2)
        - _segment_km(_EMB, _MOON, t1, t2)
    )
    return _out(km, _KM, shape)


def _kernel_span_jd() -> tuple[float, float]:
    """First and last TDB Julian dates covered by every segment used here."""
    segs: list[Any] = [_spk()[c, t] for c, t in ((0, 3), (0, 10), (3, 301), (3, 399))]
    return max(s.start_jd for s in segs), min(s.end_jd for s in segs)

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

Cost (timeit, one core; one time / 1,000 times): every position function about 30 µs /
0.23 ms, every state function about 32 µs / 0.3 ms; :func:`tdb_jd` 12 µs / 6 ms (the TDB
series). The first call builds the tables (about 0.1 s).
"""

from __future__ import annotations

import atexit
import importlib.resources
from dataclasses import dataclass
from typing import TYPE_CHECKING

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
    "sun_state_mci",
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
_J2000 = 2_451_545.0

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
#
# jplephem reads the kernel; the evaluation is done here on three combined Chebyshev tables
# (Moon − Earth, Sun − Earth, Sun − Moon) on the 4-day records of the Earth and Moon
# segments. Differences of series on the same records are exact; the Sun and the Earth–Moon
# barycentre, on 16-day records, are re-expanded exactly (to round-off: a polynomial of
# degree 12 restricted to a quarter of its interval is again one) onto the 4-day records.
# The re-expansion adds round-off of 0.2 mm at the Sun's distance (1e-15); the tests compare
# every table with jplephem's own evaluation of the segments. One table lookup and one
# Chebyshev evaluation per vector, instead of two or three jplephem segment evaluations,
# cuts the cost for one time from about 110-210 µs to about 30 µs.


@dataclass(frozen=True)
class _Series:
    """One vector as Chebyshev series on uniform records: ``start_s`` (TDB seconds from
    J2000 at the start of the first record), ``record_s`` (record length, s), ``coef_km``
    ``(n_records, 3, n_coef)`` and ``rate_km_s`` (coefficients of the time derivative)."""

    start_s: float
    record_s: float
    coef_km: Array
    rate_km_s: Array

    def _locate(self, t1: Array, t2: Array) -> tuple[NDArray[np.int64], Array]:
        # jplephem's split: whole records and offset, each date part on its own.
        index1, offset1 = np.divmod((t1 - _J2000) * _S_PER_DAY - self.start_s, self.record_s)
        index2, offset2 = np.divmod(t2 * _S_PER_DAY, self.record_s)
        index3, offset = np.divmod(offset1 + offset2, self.record_s)
        index = (index1 + index2 + index3).astype(np.int64)
        n = self.coef_km.shape[0]
        if np.any(index < 0) or np.any(index > n):
            raise ValueError(
                "time outside the DE421 ephemeris (1899-07-29 to 2053-10-09, TDB Julian dates "
                f"{_J2000 + self.start_s / _S_PER_DAY} to "
                f"{_J2000 + (self.start_s + n * self.record_s) / _S_PER_DAY})"
            )
        last = index == n
        index = np.where(last, n - 1, index)
        offset = np.where(last, self.record_s, offset)
        return index, 2.0 * offset / self.record_s - 1.0

    def _basis(self, x: Array) -> Array:
        """Chebyshev polynomials T_k(x) = cos(k arccos x), ``(n, n_coef, 1)``; their
        round-off (about k^2 ulp) is under a micrometre at the Moon's distance."""
        k = np.arange(self.coef_km.shape[-1], dtype=np.float64)
        return np.cos(np.arccos(np.clip(x, -1.0, 1.0))[:, None] * k)[..., None]

    def position_km(self, t1: Array, t2: Array) -> Array:
        index, x = self._locate(t1, t2)
        return (self.coef_km[index] @ self._basis(x))[..., 0]

    def state_km(self, t1: Array, t2: Array) -> tuple[Array, Array]:
        index, x = self._locate(t1, t2)
        basis = self._basis(x)
        return (self.coef_km[index] @ basis)[..., 0], (self.rate_km_s[index] @ basis)[..., 0]


_series_cache: dict[str, _Series] = {}


def _segment(center: int, target: int) -> tuple[float, float, Array]:
    """(start s, record s, coefficients (n_records, 3, n_coef) km) of one DE421 segment."""
    seg = _spk()[center, target]
    _, record_days, coef = seg.load_array()
    return float(seg.start_second), float(record_days) * _S_PER_DAY, np.moveaxis(coef, 0, 1)


def _subdivide(coef: Array, parts: int) -> Array:
    """Re-expand Chebyshev series on records into ``parts`` equal sub-records each.

    Exact for polynomials: the values at the sub-record's Chebyshev nodes determine its
    series of the same degree. Returns ``(n_records * parts, 3, n_coef)``.
    """
    deg = coef.shape[-1] - 1
    nodes = np.cos(np.pi * (np.arange(deg + 1) + 0.5) / (deg + 1))
    fit = np.linalg.inv(np.polynomial.chebyshev.chebvander(nodes, deg))
    # sub-record q covers [-1 + 2q/parts, -1 + 2(q+1)/parts] of its record
    x_big = -1.0 + (2.0 * np.arange(parts)[:, None] + nodes + 1.0) / parts
    resample = np.einsum("ij,qjk->qik", fit, np.polynomial.chebyshev.chebvander(x_big, deg))
    sub = np.einsum("qik,nck->nqci", resample, coef)
    return sub.reshape(coef.shape[0] * parts, *coef.shape[1:])


def _pad(coef: Array, n_coef: int) -> Array:
    return np.pad(coef, ((0, 0), (0, 0), (0, n_coef - coef.shape[-1])))


def _series(name: str) -> _Series:
    """The combined table ``"moon"`` (Moon − Earth), ``"sun"`` (Sun − Earth) or
    ``"sun_moon"`` (Sun − Moon), built on first use."""
    if name in _series_cache:
        return _series_cache[name]
    start, record, moon = _segment(_EMB, _MOON)
    _, _, earth = _segment(_EMB, _EARTH)
    if name == "moon":
        coef = moon - earth
    else:
        start16, record16, emb = _segment(_SSB, _EMB)
        _, _, sun = _segment(_SSB, _SUN)
        if start16 != start:
            raise ValueError("DE421 segments do not start together")
        parts = round(record16 / record)
        n = max(emb.shape[-1], sun.shape[-1], moon.shape[-1])
        sun_emb = _subdivide(_pad(sun, n) - _pad(emb, n), parts)
        coef = sun_emb - _pad(earth if name == "sun" else moon, n)
    coef = np.ascontiguousarray(coef)
    # d/dt of sum c_k T_k(x(t)) with dx/dt = 2 / record
    rate = np.asarray(np.polynomial.chebyshev.chebder(coef, scl=2.0 / record, axis=-1), float)
    rate = np.ascontiguousarray(_pad(rate, coef.shape[-1]))
    _series_cache[name] = _Series(start, record, coef, rate)
    return _series_cache[name]


def _times(jd_tdb1: ArrayLike, jd_tdb2: ArrayLike) -> tuple[Array, Array, tuple[int, ...]]:
    t1, t2 = np.broadcast_arrays(
        np.asarray(jd_tdb1, dtype=np.float64), np.asarray(jd_tdb2, dtype=np.float64)
    )
    return t1.ravel(), t2.ravel(), t1.shape


def _position(name: str, jd_tdb1: ArrayLike, jd_tdb2: ArrayLike) -> Array:
    t1, t2, shape = _times(jd_tdb1, jd_tdb2)
    return (_series(name).position_km(t1, t2) * _KM).reshape((*shape, 3))


def _state(name: str, jd_tdb1: ArrayLike, jd_tdb2: ArrayLike) -> tuple[Array, Array]:
    t1, t2, shape = _times(jd_tdb1, jd_tdb2)
    r, v = _series(name).state_km(t1, t2)
    return (r * _KM).reshape((*shape, 3)), (v * _KM).reshape((*shape, 3))


def moon_position_gcrf(jd_tdb1: ArrayLike, jd_tdb2: ArrayLike = 0.0) -> Array:
    """Geocentric position of the Moon, ICRF axes, m, shape ``(..., 3)``.

    DE421 segments 3→301 (Earth–Moon barycentre to Moon) minus 3→399 (barycentre to Earth);
    geometric (no light time), at TDB ``jd_tdb1 + jd_tdb2``.
    """
    return _position("moon", jd_tdb1, jd_tdb2)


def moon_state_gcrf(jd_tdb1: ArrayLike, jd_tdb2: ArrayLike = 0.0) -> tuple[Array, Array]:
    """Geocentric position (m) and velocity (m/s) of the Moon, ICRF axes, each ``(..., 3)``.

    DE421 segments 3→301 minus 3→399; the velocity is the time derivative (with respect to
    TDB) of the same Chebyshev series, as jplephem's ``compute_and_differentiate`` gives it.
    """
    return _state("moon", jd_tdb1, jd_tdb2)


def sun_position_gcrf(jd_tdb1: ArrayLike, jd_tdb2: ArrayLike = 0.0) -> Array:
    """Geocentric position of the Sun, ICRF axes, m, shape ``(..., 3)``.

    DE421 segments 0→10 (solar-system barycentre to Sun) minus 0→3 and 3→399 (to the Earth);
    geometric (no light time, no aberration).
    """
    return _position("sun", jd_tdb1, jd_tdb2)


def sun_state_gcrf(jd_tdb1: ArrayLike, jd_tdb2: ArrayLike = 0.0) -> tuple[Array, Array]:
    """Geocentric position (m) and velocity (m/s) of the Sun, ICRF axes, each ``(..., 3)``.

    DE421 segments 0→10 minus 0→3 and 3→399, and their time derivative.
    """
    return _state("sun", jd_tdb1, jd_tdb2)


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
    return _position("sun_moon", jd_tdb1, jd_tdb2)


def sun_state_mci(jd_tdb1: ArrayLike, jd_tdb2: ArrayLike = 0.0) -> tuple[Array, Array]:
    """Position (m) and velocity (m/s) of the Sun relative to the Moon (MCI), ``(..., 3)``."""
    return _state("sun_moon", jd_tdb1, jd_tdb2)

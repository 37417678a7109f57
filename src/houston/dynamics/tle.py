"""Initial states from two-line element sets (TLEs).

A TLE is a mean-element set for the SGP4/SDP4 theory; the ``sgp4`` package (Vallado's
reference implementation, Vallado et al., "Revisiting Spacetrack Report #3", AIAA 2006-6753)
propagates it to a state in the TEME frame, and astropy's TEME -> GCRS transformation (IAU
conventions through ERFA) gives the GCRF state a Houston vehicle starts from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


class TLEError(ValueError):
    """A TLE that cannot be read or propagated."""


@dataclass(frozen=True)
class TLEState:
    """A GCRF state from a TLE: position (m), velocity (m/s), at ``utc`` (ISO text)."""

    utc: str
    r_gcrf_m: NDArray[np.float64]
    v_gcrf_m_s: NDArray[np.float64]
    satnum: str


def state_from_tle(line1: str, line2: str, at_utc: str | None = None) -> TLEState:
    """The GCRF state of the TLE's object at ``at_utc`` (default: the TLE epoch)."""
    from astropy import units as u
    from astropy.coordinates import GCRS, TEME, CartesianDifferential, CartesianRepresentation
    from astropy.time import Time
    from sgp4.api import Satrec

    from houston.core.time import astropy_offline

    astropy_offline()
    try:
        sat = Satrec.twoline2rv(line1.strip(), line2.strip())
    except (ValueError, IndexError) as exc:
        raise TLEError(f"not a valid two-line element set: {exc}") from None
    if at_utc is None:
        t = Time(sat.jdsatepoch, sat.jdsatepochF, format="jd", scale="utc")
    else:
        t = Time(at_utc.rstrip("Z"), format="isot", scale="utc")
    err, r_km, v_km_s = sat.sgp4(t.jd1, t.jd2)
    if err != 0:
        from sgp4.api import SGP4_ERRORS

        raise TLEError(f"SGP4 could not propagate the TLE: {SGP4_ERRORS.get(err, err)}")
    rep = CartesianRepresentation(
        np.asarray(r_km) * u.km,
        differentials=CartesianDifferential(np.asarray(v_km_s) * u.km / u.s),
    )
    gcrs = TEME(rep, obstime=t).transform_to(GCRS(obstime=t))
    r = gcrs.cartesian.xyz.to_value(u.m)
    v = gcrs.velocity.d_xyz.to_value(u.m / u.s)
    t.precision = 6
    return TLEState(t.isot + "Z", np.asarray(r), np.asarray(v), str(sat.satnum_str))

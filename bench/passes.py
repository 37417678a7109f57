"""Dynamics benchmark C: passes above 10 deg over DSS-14 Goldstone, one day, point mass + J2.

The orbit of benchmark A (400 km circular, i = 51.6 deg, raan = 0, at the node; GCRF) at
2024-01-01T00:00:00Z, under a point mass and J2 about the GCRF z axis. A pass is an interval
during which the geodetic elevation of the vehicle seen from DSS-14 (DSN 810-005, module 301,
``houston.dynamics.sites``) is at or above 10 deg; rise and set are in seconds after the
epoch (TAI seconds, which is also the propagator's time). There are four such passes.

Houston's way (:func:`houston_passes`): ``cowell.Propagator`` over the day, then
``events.find_events`` on its dense output with one elevation ``events.Detector``. The Earth's
orientation comes from one ``frames.earth_rotation`` (IAU 2006/2000A with IERS EOP) at the
middle of the span; at other times the frame is turned about the celestial intermediate pole
at the rate of the Earth rotation angle (the pole and the rate are the rotation's
``omega_rad_s``). Precession, nutation and polar motion are held at their mid-span values,
which moves the station by at most 0.7 m over the day against the full transformation
(:func:`station_error_m`) and rise and set by at most 0.15 ms. With the station position and
its geodetic up written as ``D + cos(phi) A + sin(phi) B`` in GCRF, the switching function
``rho . up - sin(mask) |rho|`` (zero where the elevation equals the mask) costs one small
matrix product per sample, compiled with numba. The ready-made ``events.elevation`` is not
used: it measures elevation from the geocentric zenith, which at Goldstone's latitude tilts
the horizon by 0.18 deg and moves these rises and sets by up to 3.3 s.

Reference (:func:`reference_passes`): the same force model at ``rtol = 1e-13``, the
elevation from the full GCRF -> ITRF transformation at every time (``frames.earth_rotation``)
and ``frames.look_angles``, scanned every 1 s and refined by bisection to 1 us. As an
independent check of that propagation and of the root finding, heyoka at machine precision
and Houston's detector on the reference trajectory (root tolerance 0.1 us), both with the
mid-span station geometry, agree to 4 ns. Measured against the reference, Houston's
propagation at ``rtol = 1e-9`` moves rise and set by 6 us (53 us at 1e-8); the rest of
Houston's difference is the station geometry.

Peers, each run only if importable (a failure is reported in its row, not raised):

* heyoka: the same equations as a Taylor integrator with a non-terminal event on the same
  switching function (the station geometry passed as runtime parameters, so the compiled
  integrator serves any epoch and station). Its event detection finds every root of each
  step's Taylor polynomial, with no sampling interval. The JIT time is measured with
  heyoka's disk cache of compiled code switched off.
* skyfield: ``EarthSatellite.find_events`` needs a TLE, so the state is turned into an SGP4
  mean-element set whose SGP4 state at the epoch (in skyfield's TEME -> GCRS convention)
  matches ours to 0.1 mm, exported as a TLE (:func:`equivalent_tle`; 3 m at the epoch after
  the TLE's rounding). SGP4's theory (J2 to J4, WGS-72 constants) drifts from point mass + J2
  by up to 2.6 km over the day, and ``find_events`` refines rise and set to half a second by
  design, so its differences from the reference are model and tolerance, not error.
* brahe: ``location_accesses`` with an ``ElevationConstraint`` (default search: 60 s grid,
  1 ms tolerance), on its numerical propagator with the same force model (zonal J2, with
  ``EARTH_ROTATION_ONLY`` so that the zonal pole is GCRF z as here; brahe's GM, radius and J2
  differ from EGM96's by under 1e-6) and on its SGP4 propagator with the TLE above. Brahe
  reads the IERS ``finals2000A.all`` file bundled with astropy-iers-data (no download).

Times are ``time.perf_counter`` minima over ``REPEAT`` runs (3 for brahe's numerical
propagator) after a warm-up call, whose time is reported as ``first_call_s`` (for Houston, the
numba compilation of the switching function and the loading of the propagator's cached
kernels; for heyoka, the JIT compilation of the integrator). Each
timed run goes from the initial state (or the TLE) to the list of passes, Earth orientation
included. ``max_diff_s`` is the largest rise or set difference from the reference;
``over_houston`` a peer's time over Houston's (above 1: Houston is faster).

``python bench/passes.py`` prints the rows; :func:`rows` returns them.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import njit
from numpy.typing import NDArray

from houston.core.constants import J2_EARTH, MU_EARTH_M3_S2, R_EARTH_M
from houston.core.time import Epoch
from houston.dynamics import elements, events, frames
from houston.dynamics.cowell import Propagator, Trajectory
from houston.dynamics.forces import ForceModel, PointMass, Zonal
from houston.dynamics.sites import DSS_14, Site

TITLE = "C: passes above 10 deg over DSS-14 Goldstone, LEO 400 km 51.6 deg, 1 day, point mass + J2"

Array = NDArray[np.float64]
MU = MU_EARTH_M3_S2
EPOCH_UTC = "2024-01-01T00:00:00Z"
SPAN_S = 86_400.0
MASK_RAD = float(np.deg2rad(10.0))
SITE = DSS_14
#: Houston's settings: integrator tolerance, longest interval between two samples of the
#: switching function (passes shorter than this can be missed), root tolerance.
RTOL = 1e-9
MAX_CHECK_S = 120.0
TOL_S = 1e-3
#: Tolerances of the reference propagation.
TIGHT = {"rtol": 1e-13, "atol_m": 1e-9, "atol_m_s": 1e-12}
#: Timed runs per measurement (the minimum is kept), after one warm-up call.
REPEAT = 20


def force_model() -> ForceModel:
    """Point mass and J2 (EGM96) about the GCRF z axis, as in benchmark A."""
    return ForceModel([PointMass(MU), Zonal(MU, R_EARTH_M, (J2_EARTH,))])


def case() -> tuple[Epoch, Array, Array]:
    """Epoch and initial GCRF state (m, m/s) of benchmark A's orbit."""
    r0, v0 = elements.coe_to_rv(R_EARTH_M + 400e3, 0.0, np.deg2rad(51.6), 0.0, 0.0, 0.0, MU)
    return Epoch.from_utc(EPOCH_UTC), r0, v0


def _ns(t_s: Any) -> Any:
    return np.round(np.asarray(t_s, dtype=float) * 1e9).astype(np.int64)


# --- station geometry ----------------------------------------------------------------------


@dataclass(frozen=True)
class StationGeometry:
    """A site's position and geodetic up in GCRF near ``t_ref_s``, as functions of the angle
    ``phi = rate_rad_s (t - t_ref_s)`` turned about the celestial intermediate pole:
    ``up(t) = w[:, 0] + cos(phi) w[:, 1] + sin(phi) w[:, 2]`` and
    ``site(t) = w[:, 3] + cos(phi) w[:, 4] + sin(phi) w[:, 5]`` (m). ``up_dot_site_m`` and
    ``site_sq_m2`` are the invariants ``up . site`` (m) and ``|site|^2`` (m^2)."""

    w: Array
    rate_rad_s: float
    t_ref_s: float
    up_dot_site_m: float
    site_sq_m2: float


@functools.lru_cache(maxsize=16)
def _site_vectors(site: Site) -> tuple[Array, Array]:
    """Geodetic up (unit) and position (m) of a site, ITRF axes."""
    return frames.enu_basis(site.lat_rad, site.lon_rad)[2], np.asarray(site.r_itrf_m, dtype=float)


def station_geometry(epoch: Epoch, site: Site, t_ref_s: float) -> StationGeometry:
    """Geometry of ``site`` from the GCRF -> ITRF rotation ``M`` at ``t_ref_s``.

    Between ``t_ref_s`` and ``t`` the Earth turns by ``phi`` about the pole ``n`` (ITRF
    axes): ``M(t) = R(n, phi) M``, with ``R`` the frame rotation about ``n``. A fixed vector
    ``s`` then reads ``M^T (d + cos(phi) (s - d) + sin(phi) n x s)`` in GCRF, ``d = (n.s) n``.
    """
    rot = frames.earth_rotation(epoch, _ns(t_ref_s))
    m = np.asarray(rot.matrix).reshape(3, 3)
    omega = np.asarray(rot.omega_rad_s).reshape(3)
    rate = float(np.linalg.norm(omega))
    n = omega / rate
    up, s = _site_vectors(site)
    cols = []
    for vec in (up, s):
        d = (n @ vec) * n
        cols += [m.T @ d, m.T @ (vec - d), m.T @ np.cross(n, vec)]
    return StationGeometry(
        np.ascontiguousarray(np.stack(cols, axis=1)),
        rate,
        float(t_ref_s),
        float(up @ s),
        float(s @ s),
    )


def station_error_m(epoch: Epoch, site: Site, t0_s: float, t1_s: float) -> float:
    """Largest distance (m) between the site's GCRF position from :func:`station_geometry`
    (at the middle of the span) and from the full transformation, every 10 min."""
    geo = station_geometry(epoch, site, 0.5 * (t0_s + t1_s))
    t = np.linspace(t0_s, t1_s, int((t1_s - t0_s) // 600) + 1)
    phi = geo.rate_rad_s * (t - geo.t_ref_s)
    approx = geo.w[:, 3] + np.cos(phi)[:, None] * geo.w[:, 4] + np.sin(phi)[:, None] * geo.w[:, 5]
    full = frames.earth_rotation(epoch, _ns(t)).position_to_inertial(np.asarray(site.r_itrf_m))
    return float(np.max(np.linalg.norm(approx - full, axis=-1)))


# Not cached on disk: numba ties a cache entry to the importing module's name, and this file
# is imported both as ``passes`` (bench/run.py) and under another name by the tests.
@njit(cache=False, error_model="numpy")
def _above_mask(
    t_s: Array,
    r_m: Array,
    w: Array,
    rate: float,
    t_ref: float,
    up_dot_site: float,
    site_sq: float,
    sin_mask: float,
) -> Array:
    """``rho . up - sin(mask) |rho|`` (m) for vehicle positions ``r_m`` (k, 3) at ``t_s``."""
    out = np.empty(t_s.shape[0])
    for i in range(t_s.shape[0]):
        phi = rate * (t_s[i] - t_ref)
        c = np.cos(phi)
        s = np.sin(phi)
        x = r_m[i, 0]
        y = r_m[i, 1]
        z = r_m[i, 2]
        p0 = x * w[0, 0] + y * w[1, 0] + z * w[2, 0]
        p1 = x * w[0, 1] + y * w[1, 1] + z * w[2, 1]
        p2 = x * w[0, 2] + y * w[1, 2] + z * w[2, 2]
        p3 = x * w[0, 3] + y * w[1, 3] + z * w[2, 3]
        p4 = x * w[0, 4] + y * w[1, 4] + z * w[2, 4]
        p5 = x * w[0, 5] + y * w[1, 5] + z * w[2, 5]
        r_up = p0 + c * p1 + s * p2
        r_site = p3 + c * p4 + s * p5
        rho_sq = x * x + y * y + z * z - 2.0 * r_site + site_sq
        out[i] = r_up - up_dot_site - sin_mask * np.sqrt(rho_sq)
    return out


def elevation_detector(
    geometry: StationGeometry,
    mask_rad: float = MASK_RAD,
    max_check_s: float = MAX_CHECK_S,
    tol_s: float = TOL_S,
) -> events.Detector:
    """AOS (increasing) and LOS (decreasing) of the geodetic elevation through ``mask_rad``."""
    geo = geometry
    sin_mask = float(np.sin(mask_rad))

    def g(t: Array, r: Array, v: Array, rows: NDArray[np.int64]) -> Array:
        return _above_mask(
            np.ascontiguousarray(t, dtype=float),
            np.ascontiguousarray(r, dtype=float),
            geo.w,
            geo.rate_rad_s,
            geo.t_ref_s,
            geo.up_dot_site_m,
            geo.site_sq_m2,
            sin_mask,
        )

    return events.Detector(g, 0, "elevation", max_check_s=max_check_s, tol_s=tol_s)


def pair_passes(rises: Sequence[float], sets: Sequence[float]) -> Array:
    """Passes ``(n, 2)`` (rise, set) in s from crossing times; NaN for a pass already under
    way at the start of the search (no rise) or still under way at its end (no set)."""
    marks = sorted([(float(t), 1) for t in rises] + [(float(t), -1) for t in sets])
    out: list[tuple[float, float]] = []
    rise = np.nan
    open_pass = False
    for t, kind in marks:
        if kind > 0:
            rise, open_pass = t, True
        else:
            out.append((rise, t))
            rise, open_pass = np.nan, False
    if open_pass:
        out.append((rise, np.nan))
    return np.array(out, dtype=float).reshape(-1, 2)


def houston_passes(
    epoch: Epoch,
    r0_m: Array,
    v0_m_s: Array,
    t_end_s: float,
    site: Site = SITE,
    mask_rad: float = MASK_RAD,
    propagator: Propagator | None = None,
    max_check_s: float = MAX_CHECK_S,
    tol_s: float = TOL_S,
) -> Array:
    """Passes ``(n, 2)`` (rise, set, s after ``epoch``) of the vehicle from ``(r0, v0)`` at
    the epoch to ``t_end_s``: Cowell propagation, then ``events.find_events``."""
    prop = propagator or Propagator(force_model(), rtol=RTOL)
    traj = prop.propagate(0.0, r0_m, v0_m_s, t_end_s)
    geo = station_geometry(epoch, site, 0.5 * t_end_s)
    found = events.find_events(traj, [elevation_detector(geo, mask_rad, max_check_s, tol_s)])
    return pair_passes(
        [e.t_s for e in found if e.increasing], [e.t_s for e in found if not e.increasing]
    )


# --- reference ---------------------------------------------------------------------------


def elevation_rad(epoch: Epoch, site: Site, t_s: Array, r_gcrf_m: Array) -> Array:
    """Geodetic elevation (rad) from the full GCRF -> ITRF transformation at each time."""
    r_itrf = frames.earth_rotation(epoch, _ns(t_s)).position_to_fixed(r_gcrf_m)
    return frames.look_angles(r_itrf, np.asarray(site.r_itrf_m), site.lat_rad, site.lon_rad)[1]


def brute_force_passes(
    epoch: Epoch,
    traj: Trajectory,
    t_end_s: float,
    site: Site = SITE,
    mask_rad: float = MASK_RAD,
    step_s: float = 1.0,
    tol_s: float = 1e-6,
) -> Array:
    """Passes of ``traj`` from a scan of the elevation every ``step_s`` (full Earth
    orientation at every sample), each crossing refined by bisection to ``tol_s``."""
    t = np.append(np.arange(0.0, t_end_s, step_s), t_end_s)
    r, _ = traj.at(t)
    above = elevation_rad(epoch, site, t, r[:, 0]) >= mask_rad
    k = np.flatnonzero(above[:-1] != above[1:])
    lo, hi = t[k], t[k + 1]
    rising = ~above[k]
    while k.size and np.max(hi - lo) > tol_s:
        mid = 0.5 * (lo + hi)
        rm, _ = traj.at(mid)
        up = elevation_rad(epoch, site, mid, rm[:, 0]) >= mask_rad
        same_as_lo = up != rising
        lo = np.where(same_as_lo, mid, lo)
        hi = np.where(same_as_lo, hi, mid)
    # the first sample at or above the mask (rise) and the last one above it (set)
    return pair_passes(hi[rising], lo[~rising])


def reference_passes(
    epoch: Epoch,
    r0_m: Array,
    v0_m_s: Array,
    t_end_s: float,
    site: Site = SITE,
    mask_rad: float = MASK_RAD,
) -> Array:
    """Reference passes: :func:`brute_force_passes` on a propagation at ``TIGHT``."""
    traj = Propagator(force_model(), **TIGHT).propagate(0.0, r0_m, v0_m_s, t_end_s)
    return brute_force_passes(epoch, traj, t_end_s, site, mask_rad)


def max_difference_s(passes: Array, reference: Array) -> float:
    """Largest |rise or set difference| (s) between passes matched to the nearest reference
    pass by their middles; NaN when there is nothing to match."""
    if passes.size == 0 or reference.size == 0:
        return float("nan")
    mid = np.nanmean(passes, axis=1)
    ref_mid = np.nanmean(reference, axis=1)
    j = np.argmin(np.abs(mid[:, None] - ref_mid[None, :]), axis=1)
    return float(np.nanmax(np.abs(passes - reference[j])))


# --- peers ---------------------------------------------------------------------------------


def _best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """(first call s, best of ``repeat`` s, result)."""
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    secs, out = _best(fn, repeat)
    return first, secs, out


def _heyoka_integrator(tol: float) -> Any:
    """Point mass + J2 with a non-terminal event on the switching function of
    :func:`_above_mask`; parameters: w (18, row-major), up.site, |site|^2, sin(mask), rate,
    t_ref. Returns (integrator, list the event callback appends (t, sign) to)."""
    import heyoka as hy

    x, y, z, vx, vy, vz = hy.make_vars("x", "y", "z", "vx", "vy", "vz")
    r2 = x * x + y * y + z * z
    rn = hy.sqrt(r2)
    c = 1.5 * J2_EARTH * MU * R_EARTH_M**2 / (r2 * r2 * rn)
    z2 = z * z / r2
    k = -MU / (r2 * rn)
    dyn = [
        (x, vx),
        (y, vy),
        (z, vz),
        (vx, k * x + c * x * (5.0 * z2 - 1.0)),
        (vy, k * y + c * y * (5.0 * z2 - 1.0)),
        (vz, k * z + c * z * (5.0 * z2 - 3.0)),
    ]
    par = hy.par

    def col(j: int) -> Any:
        return par[j] * x + par[6 + j] * y + par[12 + j] * z

    phi = par[21] * (hy.time - par[22])
    cph, sph = hy.cos(phi), hy.sin(phi)
    r_up = col(0) + cph * col(1) + sph * col(2)
    r_site = col(3) + cph * col(4) + sph * col(5)
    g = r_up - par[18] - par[20] * hy.sqrt(r2 - 2.0 * r_site + par[19])
    found: list[tuple[float, int]] = []

    def callback(ta: Any, t: float, d_sgn: int) -> None:
        found.append((float(t), int(d_sgn)))

    ev = hy.nt_event(g, callback, direction=hy.event_direction.any)
    ta = hy.taylor_adaptive(dyn, np.zeros(6), tol=tol, pars=np.zeros(23), nt_events=[ev])
    return ta, found


def _heyoka_build(tol: float) -> tuple[float, Any]:
    """Build the integrator with heyoka's disk cache of compiled code off, so that the time
    (s) is that of the JIT compilation itself."""
    import heyoka as hy

    state = hy.llvm_state
    cached = state.get_diskcache_enabled()
    state.set_diskcache_enabled(False)
    try:
        t0 = time.perf_counter()
        built = _heyoka_integrator(tol)
        return time.perf_counter() - t0, built
    finally:
        state.set_diskcache_enabled(cached)


def _heyoka_rows(
    epoch: Epoch, r0: Array, v0: Array, reference: Array, repeat: int
) -> list[dict[str, Any]]:
    try:
        import heyoka  # noqa: F401
    except ImportError:
        return [{"peer": "heyoka", "note": "not installed"}]
    out = []
    for tol, label in ((1e-9, "1e-9"), (np.finfo(float).eps, "eps")):
        try:
            jit_s, (ta, found) = _heyoka_build(float(tol))

            def run(ta: Any = ta, found: list[tuple[float, int]] = found) -> Array:
                geo = station_geometry(epoch, SITE, 0.5 * SPAN_S)
                found.clear()
                ta.time = 0.0
                ta.state[:] = np.concatenate([r0, v0])
                ta.pars[:] = np.concatenate(
                    [
                        geo.w.ravel(),
                        [geo.up_dot_site_m, geo.site_sq_m2, np.sin(MASK_RAD)],
                        [geo.rate_rad_s, geo.t_ref_s],
                    ]
                )
                ta.propagate_until(SPAN_S)
                return pair_passes([t for t, s in found if s > 0], [t for t, s in found if s < 0])

            _, secs, passes = _timed(run, repeat)
            out.append(
                {
                    "peer": f"heyoka, Taylor, tol {label}, nt_event",
                    "ms": secs * 1e3,
                    "first_call_s": jit_s,
                    "passes": len(passes),
                    "max_diff_s": max_difference_s(passes, reference),
                    "model": "point mass + J2; same station geometry",
                }
            )
        except Exception as exc:  # a peer's failure is reported, not raised
            out.append({"peer": f"heyoka, tol {label}", "note": f"failed: {exc}"})
    return out


def equivalent_tle(epoch_utc: str, r0: Array, v0: Array) -> tuple[str, str, float]:
    """A TLE whose SGP4 state at the epoch matches the GCRF state ``(r0, v0)`` (m, m/s).

    Mean elements are fitted by fixed-point iteration on the osculating equinoctial elements
    of SGP4's TEME output (WGS-72 constants, no drag), with skyfield's GCRS -> TEME rotation,
    until the SGP4 position is within 0.1 mm; the TLE's rounding then leaves a few metres.
    Returns the two lines and that residual (m) at the epoch, in skyfield's GCRS.
    """
    from datetime import datetime

    from sgp4.api import WGS72, Satrec
    from sgp4.exporter import export_tle
    from skyfield.api import EarthSatellite, load
    from skyfield.sgp4lib import TEME

    mu_km = 398_600.8  # WGS-72, km^3/s^2
    when = datetime.fromisoformat(epoch_utc.replace("Z", "+00:00"))
    ts = load.timescale(builtin=True)
    t0 = ts.utc(when.year, when.month, when.day, when.hour, when.minute, when.second)
    rot = TEME.rotation_at(t0)
    r_km, v_km_s = rot @ r0 / 1e3, rot @ v0 / 1e3
    jd0 = float(t0.whole) + float(t0.tai_fraction) - float(t0._leap_seconds()) / 86_400.0

    def equinoctial(r: Array, v: Array) -> Array:
        c = elements.rv_to_coe(r, v, mu_km)
        ecc, inc, raan = float(c.ecc), float(c.inc), float(c.raan)
        circular = ecc < 1e-10
        lonper = raan if circular else raan + float(c.argp)
        mean = float(c.nu) if circular else float(elements.true_to_mean(c.nu, ecc))
        ti = np.tan(0.5 * inc)
        return np.array(
            [
                float(c.a),
                ecc * np.sin(lonper),
                ecc * np.cos(lonper),
                ti * np.sin(raan),
                ti * np.cos(raan),
                lonper + mean,
            ]
        )

    def satrec(q: Array) -> Any:
        a, h, k, p, qq, lam = q
        ecc, lonper = np.hypot(h, k), np.arctan2(h, k)
        inc, raan = 2.0 * np.arctan(np.hypot(p, qq)), np.arctan2(p, qq)
        two_pi = 2.0 * np.pi
        s = Satrec()
        s.sgp4init(
            WGS72,
            "i",
            99999,
            jd0 - 2_433_281.5,  # days since 1949-12-31 00:00 UTC
            0.0,
            0.0,
            0.0,
            ecc,
            (lonper - raan) % two_pi,
            inc,
            (lam - lonper) % two_pi,
            np.sqrt(mu_km / a**3) * 60.0,  # rad/min
            raan % two_pi,
        )
        return s

    target = equinoctial(r_km, v_km_s)
    q = target.copy()
    for _ in range(20):
        s = satrec(q)
        _, r, v = s.sgp4(s.jdsatepoch, s.jdsatepochF)
        if np.linalg.norm(np.asarray(r) - r_km) < 1e-7:
            break
        d = target - equinoctial(np.asarray(r), np.asarray(v))
        d[5] = (d[5] + np.pi) % (2.0 * np.pi) - np.pi
        q = q + d
    line1, line2 = export_tle(satrec(q))
    sat = EarthSatellite(line1, line2, "fit", ts)
    return line1, line2, float(np.linalg.norm(sat.at(t0).position.m - r0))


def _skyfield_rows(line1: str, line2: str, reference: Array, repeat: int) -> list[dict[str, Any]]:
    try:
        from datetime import datetime

        from skyfield.api import EarthSatellite, load, wgs84
    except ImportError:
        return [{"peer": "skyfield", "note": "not installed"}]
    try:
        when = datetime.fromisoformat(EPOCH_UTC.replace("Z", "+00:00"))
        ts = load.timescale(builtin=True)
        t0 = ts.utc(when.year, when.month, when.day, when.hour, when.minute, when.second)
        t1 = ts.tt_jd(t0.tt + SPAN_S / 86_400.0)
        topos = wgs84.latlon(np.rad2deg(SITE.lat_rad), np.rad2deg(SITE.lon_rad), SITE.h_m)

        def run() -> Array:
            sat = EarthSatellite(line1, line2, "fit", ts)
            t, kind = sat.find_events(topos, t0, t1, altitude_degrees=np.rad2deg(MASK_RAD))
            after = (t.tt - t0.tt) * 86_400.0
            return pair_passes(after[kind == 0], after[kind == 2])

        first, secs, passes = _timed(run, repeat)
        return [
            {
                "peer": "skyfield, EarthSatellite.find_events (0.5 s tolerance)",
                "ms": secs * 1e3,
                "first_call_s": first,
                "passes": len(passes),
                "max_diff_s": max_difference_s(passes, reference),
                "model": "SGP4 from the fitted TLE",
            }
        ]
    except Exception as exc:  # a peer's failure is reported, not raised
        return [{"peer": "skyfield", "note": f"failed: {exc}"}]


def _brahe_rows(
    r0: Array, v0: Array, line1: str, line2: str, reference: Array, repeat: int
) -> list[dict[str, Any]]:
    try:
        import brahe as bh
        from astropy.utils import iers
    except ImportError:
        return [{"peer": "brahe", "note": "not installed"}]
    out: list[dict[str, Any]] = []
    try:
        eop = bh.FileEOPProvider.from_standard_file(str(iers.IERS_A_FILE), True, "Hold")
        bh.set_global_eop_provider_from_file_provider(eop)
        from datetime import datetime

        when = datetime.fromisoformat(EPOCH_UTC.replace("Z", "+00:00"))
        epc = bh.Epoch.from_datetime(
            when.year,
            when.month,
            when.day,
            when.hour,
            when.minute,
            float(when.second),
            0.0,
            bh.TimeSystem.UTC,
        )
        station = bh.PointLocation(np.rad2deg(SITE.lon_rad), np.rad2deg(SITE.lat_rad), SITE.h_m)
        constraint = bh.ElevationConstraint(np.rad2deg(MASK_RAD), None)
        forces = bh.ForceModelConfig(
            gravity=bh.GravityConfiguration.earth_zonal(bh.ZonalHarmonicsDegree.J2),
            frame_transform=bh.FrameTransformationModel.EARTH_ROTATION_ONLY,
        )
        config = bh.NumericalPropagationConfig.default()

        def windows(prop: Any) -> Array:
            found = bh.location_accesses(station, prop, epc, epc + SPAN_S, constraint)
            return pair_passes([w.t_start - epc for w in found], [w.t_end - epc for w in found])

        def numerical() -> Array:
            prop = bh.NumericalOrbitPropagator(epc, np.concatenate([r0, v0]), config, forces, None)
            prop.propagate_to(epc + SPAN_S)
            return windows(prop)

        def sgp() -> Array:
            return windows(bh.SGPPropagator.from_tle(line1, line2, 60.0))

        cases = (
            (
                numerical,
                "brahe, DP54 (rtol 1e-10), location_accesses",
                "point mass + J2 (zonal)",
                3,
            ),
            (sgp, "brahe, SGP4, location_accesses", "SGP4 from the fitted TLE", repeat),
        )
        for fn, name, model, n in cases:
            first, secs, passes = _timed(fn, n)
            out.append(
                {
                    "peer": name,
                    "ms": secs * 1e3,
                    "first_call_s": first,
                    "passes": len(passes),
                    "max_diff_s": max_difference_s(passes, reference),
                    "model": model,
                }
            )
    except Exception as exc:  # a peer's failure is reported, not raised
        out.append({"peer": "brahe", "note": f"failed: {exc}"})
    return out


def _houston_parts(
    epoch: Epoch, r0: Array, v0: Array, prop: Propagator, repeat: int
) -> list[dict[str, Any]]:
    """Where Houston's time goes: the three stages of :func:`houston_passes`, each timed
    alone."""
    traj = prop.propagate(0.0, r0, v0, SPAN_S)
    geo = station_geometry(epoch, SITE, 0.5 * SPAN_S)
    detector = elevation_detector(geo)
    parts = (
        (
            "  of which propagation (DOP853, dense output)",
            lambda: prop.propagate(0.0, r0, v0, SPAN_S),
        ),
        (
            "  of which Earth orientation (one IAU 2006/2000A rotation)",
            lambda: station_geometry(epoch, SITE, 0.5 * SPAN_S),
        ),
        (
            "  of which find_events (scan and Illinois refinement)",
            lambda: events.find_events(traj, [detector]),
        ),
    )
    return [{"peer": name, "ms": _best(fn, repeat)[0] * 1e3} for name, fn in parts]


def rows(repeat: int = REPEAT) -> list[dict[str, Any]]:
    epoch, r0, v0 = case()
    t0 = time.perf_counter()
    reference = reference_passes(epoch, r0, v0, SPAN_S)
    ref_s = time.perf_counter() - t0
    prop = Propagator(force_model(), rtol=RTOL)
    first, secs, passes = _timed(
        lambda: houston_passes(epoch, r0, v0, SPAN_S, propagator=prop), repeat
    )
    out: list[dict[str, Any]] = [
        {
            "peer": f"Houston, DOP853 rtol {RTOL:g}, find_events ({MAX_CHECK_S:g} s, {TOL_S:g} s)",
            "ms": secs * 1e3,
            "first_call_s": first,
            "passes": len(passes),
            "max_diff_s": max_difference_s(passes, reference),
            "model": "point mass + J2; IAU 2006/2000A at mid-span, turned at the ERA rate",
        }
    ]
    out += _houston_parts(epoch, r0, v0, prop, repeat)
    peers = _heyoka_rows(epoch, r0, v0, reference, repeat)
    try:
        line1, line2, _ = equivalent_tle(EPOCH_UTC, r0, v0)
    except ImportError:
        line1 = line2 = ""
    if line1:
        peers += _skyfield_rows(line1, line2, reference, repeat)
    peers += _brahe_rows(r0, v0, line1, line2, reference, repeat)
    for row in peers:
        if "ms" in row:
            row["over_houston"] = row["ms"] / (secs * 1e3)
    out += peers
    out.append(
        {
            "peer": "reference: DOP853 rtol 1e-13, 1 s scan, full rotation, bisection",
            "ms": ref_s * 1e3,
            "passes": len(reference),
            "max_diff_s": 0.0,
            "model": "point mass + J2; IAU 2006/2000A at every sample",
        }
    )
    return out


def main() -> None:
    for row in rows():
        print(row)


if __name__ == "__main__":
    main()

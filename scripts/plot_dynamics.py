"""Validation figures of ``docs/dynamics.md``: ``python scripts/plot_dynamics.py [NAME ...]``.

Each function below computes one check with ``houston.dynamics`` (and an independent method
where there is one) and returns a matplotlib figure; :func:`main` writes them as
``docs/figures/dynamics_NAME.png`` (110 dpi). With names, only those figures are made.
Everything runs offline in about half a minute.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from numpy.typing import NDArray
from scipy.integrate import solve_ivp

from houston.core.constants import J2_EARTH, MU_EARTH_M3_S2, R_EARTH_M
from houston.core.time import Epoch
from houston.dynamics import (
    elements,
    ephemeris,
    events,
    frames,
    kepler,
    lambert,
    relative,
)
from houston.dynamics.cowell import Propagator
from houston.dynamics.forces import ForceModel, PointMass, Zonal
from houston.dynamics.sites import DSS_14

Array = NDArray[np.float64]
MU = MU_EARTH_M3_S2
DAY_S = 86_400.0
FIGURES = Path(__file__).resolve().parents[1] / "docs" / "figures"
DPI = 110
TWO_BODY = ForceModel([PointMass(MU)])
J2_ONLY = ForceModel([PointMass(MU), Zonal(MU, R_EARTH_M, (J2_EARTH,))])


def _period_s(a_m: float) -> float:
    return float(2.0 * np.pi * np.sqrt(a_m**3 / MU))


def _two_body_rhs(_t: float, y: Array) -> Array:
    r = y[:3]
    return np.concatenate([y[3:], -MU * r / np.linalg.norm(r) ** 3])


# --- Kepler against numerical integration ------------------------------------------------------


def kepler_vs_dop853() -> Figure:
    """``kepler.propagate`` against two DOP853 integrations of the two-body problem (Houston's
    compiled Cowell propagator and scipy's ``solve_ivp``, both at rtol 1e-13, atol 1e-9 m and
    1e-12 m/s), periapsis 500 km, from e = 0 to 10: one period for ellipses, six hours from
    periapsis otherwise, 400 samples."""
    rp = R_EARTH_M + 500e3
    elliptic = [0.0, 0.001, 0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99]
    ecc = np.array([*elliptic, 1.0, 1.01, 1.1, 1.5, 2.0, 3.0, 5.0, 7.0, 10.0])
    prop = Propagator(TWO_BODY, rtol=1e-13, atol_m=1e-9, atol_m_s=1e-12)
    err_houston, err_scipy = [], []
    for e in ecc:
        r0, v0 = elements.coe_to_rv(rp * (1.0 + e), e, 0.5, 0.3, 1.0, 0.0, MU)
        span = _period_s(rp / (1.0 - e)) if e < 1.0 else 6 * 3600.0
        t = np.linspace(0.0, span, 400)
        rk, _ = kepler.propagate(r0, v0, t, MU)
        scale = np.max(np.linalg.norm(rk, axis=-1))
        rh, _ = prop.sample(0.0, r0, v0, t)
        sol = solve_ivp(
            _two_body_rhs,
            (0.0, span),
            np.concatenate([r0, v0]),
            method="DOP853",
            rtol=1e-13,
            atol=[1e-9] * 3 + [1e-12] * 3,
            t_eval=t,
        )
        err_houston.append(np.max(np.linalg.norm(rh[:, 0] - rk, axis=-1)) / scale)
        err_scipy.append(np.max(np.linalg.norm(sol.y[:3].T - rk, axis=-1)) / scale)
    err_houston, err_scipy = np.array(err_houston), np.array(err_scipy)
    fig, ax = plt.subplots(figsize=(7.0, 4.0))
    for part in (ecc < 1.0, ecc >= 1.0):
        ax.semilogy(ecc[part], err_houston[part], "o-", color="C0", ms=4)
        ax.semilogy(ecc[part], err_scipy[part], "s--", color="C1", ms=4)
    ax.plot([], [], "o-", color="C0", label="Houston Cowell (DOP853, rtol 1e-13)")
    ax.plot([], [], "s--", color="C1", label="scipy solve_ivp (DOP853, rtol 1e-13)")
    ax.set_xscale("symlog", linthresh=1.0, linscale=1.5)
    ax.set_xticks(
        [0, 0.2, 0.4, 0.6, 0.8, 1, 2, 5, 10], ["0", "0.2", "0.4", "0.6", "0.8", "1", "2", "5", "10"]
    )
    ax.axvline(1.0, color="0.6", lw=0.8)
    ax.text(
        0.5,
        0.02,
        "ellipses: one period",
        transform=ax.get_xaxis_transform(),
        ha="center",
        fontsize=8,
    )
    ax.text(
        3.0,
        0.02,
        "parabola, hyperbolas: 6 h",
        transform=ax.get_xaxis_transform(),
        ha="center",
        fontsize=8,
    )
    ax.set_xlabel("eccentricity e (linear below 1, logarithmic above)")
    ax.set_ylabel("max |r_DOP853 - r_Kepler| / max |r|  (-)")
    ax.set_title("kepler.propagate vs DOP853 integration, periapsis altitude 500 km")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    return fig


# --- Cowell invariants ------------------------------------------------------------------------


def cowell_invariants() -> Figure:
    """Point mass, e = 0.3, periapsis altitude 500 km (the orbit of the conservation test in
    ``tests/dynamics/test_cowell.py``), ten orbits sampled 1000 times through the dense output: largest relative change so far of the specific energy and of the
    angular momentum vector, at the default tolerance and at 1e-12."""
    rp = R_EARTH_M + 500e3
    e = 0.3
    a = rp / (1.0 - e)
    period = _period_s(a)
    r0, v0 = elements.coe_to_rv(a * (1.0 - e * e), e, 0.9, 0.3, 0.2, 0.0, MU)
    t = np.linspace(0.0, 10 * period, 1001)[1:]
    fig, (ax_e, ax_h) = plt.subplots(2, 1, figsize=(7.0, 5.0), sharex=True)
    for rtol, style in ((1e-10, "-"), (1e-12, "--")):
        prop = Propagator(TWO_BODY, rtol=rtol, atol_m=1e-8, atol_m_s=1e-11)
        r, v = prop.sample(0.0, r0, v0, t)
        r, v = r[:, 0], v[:, 0]
        energy0 = 0.5 * v0 @ v0 - MU / np.linalg.norm(r0)
        energy = 0.5 * np.sum(v * v, axis=-1) - MU / np.linalg.norm(r, axis=-1)
        h0 = np.cross(r0, v0)
        h = np.cross(r, v)
        de = np.maximum.accumulate(np.abs(energy / energy0 - 1.0))
        dh = np.maximum.accumulate(np.linalg.norm(h - h0, axis=-1) / np.linalg.norm(h0))
        ax_e.semilogy(t / period, de, style, label=f"rtol {rtol:g}")
        ax_h.semilogy(t / period, dh, style, label=f"rtol {rtol:g}")
    ax_e.set_ylabel("max so far of |E / E0 - 1|  (-)", fontsize=9)
    ax_h.set_ylabel("max so far of |h - h0| / |h0|  (-)", fontsize=9)
    ax_h.set_xlabel(f"time (orbits of {period / 3600:.2f} h)")
    ax_e.set_title("Cowell, point mass, e = 0.3: drift of the two-body invariants")
    for ax in (ax_e, ax_h):
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(loc="center right", fontsize=8)
    fig.tight_layout()
    return fig


# --- J2 secular drift -------------------------------------------------------------------------


def j2_drift() -> Figure:
    """J2 only, a = 7200 km, e = 0.05, i = 40 deg, ten days: osculating node and argument of
    perigee against the first-order secular rates (Vallado 4th ed., eqs. 9-41 and 9-42); the
    residual is averaged over one orbit to remove the short-period terms."""
    a, e, inc = 7200e3, 0.05, np.deg2rad(40.0)
    p = a * (1.0 - e * e)
    r0, v0 = elements.coe_to_rv(p, e, inc, 0.5, 1.0, 0.0, MU)
    t = np.arange(0.0, 10 * DAY_S + 1.0, 60.0)
    r, v = Propagator(J2_ONLY, rtol=1e-11).sample(0.0, r0, v0, t)
    coe = elements.rv_to_coe(r[:, 0], v[:, 0], MU)
    days = t / DAY_S
    raan = np.rad2deg(np.unwrap(coe.raan) - coe.raan[0])
    argp = np.rad2deg(np.unwrap(coe.argp) - coe.argp[0])
    k = np.sqrt(MU / a**3) * J2_EARTH * (R_EARTH_M / p) ** 2 * DAY_S
    raan_rate = float(np.rad2deg(-1.5 * k * np.cos(inc)))
    argp_rate = float(np.rad2deg(0.75 * k * (5.0 * np.cos(inc) ** 2 - 1.0)))
    fit_raan = float(np.polyfit(days, raan, 1)[0])
    fit_argp = float(np.polyfit(days, argp, 1)[0])
    fig, (ax, ax_res) = plt.subplots(
        2, 1, figsize=(7.0, 5.2), sharex=True, gridspec_kw={"height_ratios": [2, 1]}
    )
    ax.plot(days, raan, lw=0.8, label=f"node, osculating (fit {fit_raan:+.3f} deg/day)")
    ax.plot(days, argp, lw=0.8, label=f"arg. of perigee, osculating (fit {fit_argp:+.3f} deg/day)")
    ax.plot(days, raan_rate * days, "k--", lw=1.0, label=f"eq. 9-41: {raan_rate:+.3f} deg/day")
    ax.plot(days, argp_rate * days, "k:", lw=1.2, label=f"eq. 9-42: {argp_rate:+.3f} deg/day")
    ax.set_ylabel("change since t = 0 (deg)")
    ax.set_title("J2 secular drift, a = 7200 km, e = 0.05, i = 40 deg")
    ax.legend(fontsize=8, loc="upper left")
    window = round(_period_s(a) / 60.0)
    kernel = np.ones(window) / window
    mid_days = np.convolve(days, kernel, mode="valid")
    for values, rate, label in (
        (raan, raan_rate, "node - eq. 9-41"),
        (argp, argp_rate, "arg. of perigee - eq. 9-42"),
    ):
        ax_res.plot(mid_days, np.convolve(values - rate * days, kernel, mode="valid"), label=label)
    ax_res.set_ylabel("orbit-averaged\nresidual (deg)")
    ax_res.set_xlabel("time (days)")
    ax_res.legend(fontsize=8, loc="lower left")
    for a_ in (ax, ax_res):
        a_.grid(True, alpha=0.3)
    fig.tight_layout()
    return fig


# --- Clohessy-Wiltshire -----------------------------------------------------------------------


def cw_transfer() -> Figure:
    """A chaser 2 km behind and 300 m below a target in a 400 km circular orbit: its free
    drift for one orbit, and the CW two-impulse transfer to the target in 0.4 orbit, with
    the same burns flown in exact two-body motion (``kepler.propagate``) for comparison."""
    a = R_EARTH_M + 400e3
    n = float(np.sqrt(MU / a**3))
    period = 2.0 * np.pi / n
    dr0 = np.array([-300.0, -2000.0, 50.0])
    dv0 = np.array([0.0, 1.5 * n * 300.0, 0.0])  # the coelliptic drift of an orbit 300 m lower
    t_transfer = 0.4 * period
    dv1, dv2 = relative.cw_two_impulse(dr0, dv0, n, t_transfer)
    t_free = np.linspace(0.0, period, 400)
    drift, _ = relative.cw_propagate(dr0, dv0, n, t_free)
    t = np.linspace(0.0, t_transfer, 300)
    cw_path, _ = relative.cw_propagate(dr0, dv0 + dv1, n, t)
    # the same transfer in two-body motion: target on its circle, chaser from the LVLH state
    rt0, vt0 = elements.coe_to_rv(a, 0.0, np.deg2rad(51.6), 0.0, 0.0, 0.0, MU)
    rc0, vc0 = relative.from_lvlh(dr0, dv0 + dv1, rt0, vt0)
    rt, vt = kepler.propagate(rt0, vt0, t, MU)
    rc, vc = kepler.propagate(rc0, vc0, t, MU)
    exact, _ = relative.to_lvlh(rc, vc, rt, vt)
    miss_m = float(np.linalg.norm(exact[-1]))
    fig, ax = plt.subplots(figsize=(7.0, 4.0))
    ax.plot(drift[:, 1], drift[:, 0], "0.6", ls="--", label="no burn, one orbit (CW)")
    ax.plot(cw_path[:, 1], cw_path[:, 0], "C0", label=f"CW transfer, {t_transfer / 60:.0f} min")
    ax.plot(
        exact[:, 1], exact[:, 0], "C1:", lw=2, label=f"same burns, two-body (miss {miss_m:.1f} m)"
    )
    ax.plot(dr0[1], dr0[0], "ks")
    ax.annotate(
        f"burn 1: {np.linalg.norm(dv1):.2f} m/s",
        (dr0[1], dr0[0]),
        textcoords="offset points",
        xytext=(5, -14),
        fontsize=8,
    )
    ax.plot(0.0, 0.0, "k*", ms=10)
    ax.annotate(
        f"target; burn 2: {np.linalg.norm(dv2):.2f} m/s",
        (0.0, 0.0),
        textcoords="offset points",
        xytext=(8, -14),
        fontsize=8,
    )
    ax.set_xlabel("y, along-track (m)")
    ax.set_ylabel("x, radial (m)")
    ax.set_title("Clohessy-Wiltshire two-impulse rendezvous, target at 400 km (LVLH)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    return fig


# --- Lambert -------------------------------------------------------------------------------------


def lambert_porkchop() -> Figure:
    """Total Delta-v of single-revolution Lambert transfers from a 400 km circular orbit to a
    target 30 deg ahead on a 700 km circular orbit inclined 0.05 deg to it, over departure
    time and time of flight (``lambert.solve`` on the whole grid in one call)."""
    a1, a2 = R_EARTH_M + 400e3, R_EARTH_M + 700e3
    inc = np.deg2rad(51.6)
    r1_0, v1_0 = elements.coe_to_rv(a1, 0.0, inc, 0.0, 0.0, 0.0, MU)
    r2_0, v2_0 = elements.coe_to_rv(a2, 0.0, inc + np.deg2rad(0.05), 0.0, 0.0, np.deg2rad(30.0), MU)
    t_dep = np.linspace(0.0, 2.0 * _period_s(a1), 181)
    tof = np.linspace(15.0, 95.0, 161) * 60.0
    dep, fl = np.meshgrid(t_dep, tof, indexing="xy")
    r1, v1 = kepler.propagate(r1_0, v1_0, t_dep, MU)
    r2, v2 = kepler.propagate(r2_0, v2_0, dep + fl, MU)
    r1g = np.broadcast_to(r1, (*dep.shape, 3))
    v1g = np.broadcast_to(v1, (*dep.shape, 3))
    vt1, vt2 = lambert.solve(r1g, r2, fl, MU)
    dv = np.linalg.norm(vt1 - v1g, axis=-1) + np.linalg.norm(v2 - vt2, axis=-1)
    at = (a1 + a2) / 2.0
    hohmann = float(
        np.sqrt(MU / a1) * (np.sqrt(2 * a2 / (a1 + a2)) - 1)
        + np.sqrt(MU / a2) * (1 - np.sqrt(2 * a1 / (a1 + a2)))
    )
    i, j = np.unravel_index(np.argmin(dv), dv.shape)
    fig, ax = plt.subplots(figsize=(7.0, 4.6))
    levels = np.array([164, 170, 180, 200, 250, 300, 400, 600, 1000, 2000, 4000])
    cs = ax.contourf(
        dep / 60.0, fl / 60.0, np.clip(dv, None, 8000), levels=levels, cmap="viridis", extend="max"
    )
    ax.contour(dep / 60.0, fl / 60.0, dv, levels=levels, colors="k", linewidths=0.3)
    fig.colorbar(cs, ax=ax, label="total Delta-v (m/s)")
    ax.plot(dep[i, j] / 60.0, fl[i, j] / 60.0, "r*", ms=10, label=f"minimum {dv[i, j]:.1f} m/s")
    ax.axhline(
        np.pi * np.sqrt(at**3 / MU) / 60.0,
        color="w",
        ls=":",
        lw=1.0,
        label=f"Hohmann time, {hohmann:.1f} m/s coplanar",
    )
    ax.set_xlabel("departure time (min)")
    ax.set_ylabel("time of flight (min)")
    ax.set_title(
        "Lambert, 400 km -> 700 km circular, target 30 deg ahead, planes 0.05 deg apart",
        fontsize=10,
    )
    ax.legend(fontsize=8, loc="upper right")
    return fig


# --- ephemeris ---------------------------------------------------------------------------------


def earth_moon_distance() -> Figure:
    """Geocentric distance of the Moon through 2024, hourly, from DE421."""
    epoch = Epoch.from_utc("2024-01-01T00:00:00Z")
    hours = np.arange(0, 366 * 24 + 1)
    t_ns = hours.astype(np.int64) * 3600 * 1_000_000_000
    jd1, jd2 = ephemeris.tdb_jd(epoch, t_ns)
    d_km = np.linalg.norm(ephemeris.moon_position_gcrf(jd1, jd2), axis=-1) / 1e3
    days = hours / 24.0
    lo, hi = int(np.argmin(d_km)), int(np.argmax(d_km))
    fig, ax = plt.subplots(figsize=(7.0, 3.8))
    ax.plot(days, d_km / 1e3, lw=0.9)
    ax.plot(days[lo], d_km[lo] / 1e3, "v", color="C3")
    ax.plot(days[hi], d_km[hi] / 1e3, "^", color="C2")
    ax.annotate(
        f"{d_km[lo]:,.0f} km",
        (days[lo], d_km[lo] / 1e3),
        xytext=(6, -4),
        textcoords="offset points",
        fontsize=8,
    )
    ax.annotate(
        f"{d_km[hi]:,.0f} km",
        (days[hi], d_km[hi] / 1e3),
        xytext=(6, -4),
        textcoords="offset points",
        fontsize=8,
    )
    ax.set_xlim(0, 366)
    ax.set_xlabel("days since 2024-01-01 0h UTC")
    ax.set_ylabel("Earth-Moon distance (1000 km)")
    ax.set_title("Geocentric distance of the Moon in 2024 (JPL DE421)")
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    return fig


# --- station visibility -------------------------------------------------------------------


def station_visibility() -> Figure:
    """Elevation of a 400 km, 51.6 deg orbit (point mass + J2, 2024-01-01) seen from DSS-14
    Goldstone over one day, from the full GCRF -> ITRF transformation every 10 s, with the
    10 deg mask; rise and set from ``events.find_events`` on the dense output."""
    epoch = Epoch.from_utc("2024-01-01T00:00:00Z")
    mask = np.deg2rad(10.0)
    r0, v0 = elements.coe_to_rv(R_EARTH_M + 400e3, 0.0, np.deg2rad(51.6), 0.0, 0.0, 0.0, MU)
    traj = Propagator(J2_ONLY, rtol=1e-11).propagate(0.0, r0, v0, DAY_S)
    site = np.asarray(DSS_14.r_itrf_m)

    def elevation(t_s: Array, r_m: Array) -> Array:
        t_ns = np.round(np.asarray(t_s) * 1e9).astype(np.int64)
        r_itrf = frames.earth_rotation(epoch, t_ns).position_to_fixed(r_m)
        return frames.look_angles(r_itrf, site, DSS_14.lat_rad, DSS_14.lon_rad).elevation_rad

    def g(t: Array, r: Array, v: Array, rows: NDArray[np.int64]) -> Array:
        return elevation(t, r) - mask

    found = events.find_events(traj, [events.Detector(g, 0, "DSS-14", max_check_s=60.0)])
    t = np.arange(0.0, DAY_S + 1.0, 10.0)
    r, _ = traj.at(t)
    el = np.rad2deg(elevation(t, r[:, 0]))
    hours = t / 3600.0
    rises = np.array([e.t_s for e in found if e.increasing])
    sets = np.array([e.t_s for e in found if not e.increasing])
    fig, (ax, ax_zoom) = plt.subplots(
        1, 2, figsize=(7.6, 3.8), gridspec_kw={"width_ratios": [2.6, 1]}, sharey=True
    )
    ax.plot(hours, el, lw=0.8)
    ax.fill_between(hours, -90, 90, where=el >= 10.0, color="C2", alpha=0.3, label="in view")
    ax.plot(rises / 3600.0, [10.0] * len(rises), "k^", ms=5, label="rise (find_events)")
    ax.plot(sets / 3600.0, [10.0] * len(sets), "kv", ms=5, label="set (find_events)")
    ax.set_xlim(0, 24)
    ax.set_xlabel("hours since 2024-01-01 0h UTC")
    ax.set_ylabel("elevation (deg)")
    ax.set_title(f"DSS-14 Goldstone, 400 km 51.6 deg orbit: {len(rises)} passes", fontsize=10)
    # the highest pass, in minutes from its rise
    k = int(np.argmax([np.max(el[(t >= a) & (t <= b)]) for a, b in zip(rises, sets, strict=True)]))
    t_fine = np.linspace(rises[k] - 120.0, sets[k] + 120.0, 400)
    r_fine, _ = traj.at(t_fine)
    minutes = (t_fine - rises[k]) / 60.0
    ax_zoom.plot(minutes, np.rad2deg(elevation(t_fine, r_fine[:, 0])), lw=1.0)
    ax_zoom.plot(0.0, 10.0, "k^", ms=6)
    ax_zoom.plot((sets[k] - rises[k]) / 60.0, 10.0, "kv", ms=6)
    ax_zoom.set_xlabel(f"minutes after rise at {rises[k] / 3600:.2f} h")
    ax_zoom.set_title(f"highest pass: {(sets[k] - rises[k]) / 60:.1f} min", fontsize=10)
    for a in (ax, ax_zoom):
        a.axhline(10.0, color="C3", ls="--", lw=1.0, label="10 deg mask")
        a.set_ylim(-90, 90)
        a.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="lower right", ncol=2)
    fig.tight_layout()
    return fig


FIGURE_FUNCTIONS: dict[str, Callable[[], Figure]] = {
    "kepler_dop853": kepler_vs_dop853,
    "cowell_invariants": cowell_invariants,
    "j2_drift": j2_drift,
    "cw_transfer": cw_transfer,
    "lambert_porkchop": lambert_porkchop,
    "earth_moon_distance": earth_moon_distance,
    "dss14_visibility": station_visibility,
}


def main(names: list[str]) -> None:
    unknown = set(names) - set(FIGURE_FUNCTIONS)
    if unknown:
        raise SystemExit(f"unknown figures {sorted(unknown)}; known: {sorted(FIGURE_FUNCTIONS)}")
    FIGURES.mkdir(parents=True, exist_ok=True)
    for name in names or list(FIGURE_FUNCTIONS):
        fig = FIGURE_FUNCTIONS[name]()
        path = FIGURES / f"dynamics_{name}.png"
        fig.savefig(path, dpi=DPI, metadata={"Software": None})
        plt.close(fig)
        print(f"{path.relative_to(FIGURES.parents[1])}: {path.stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    main(sys.argv[1:])

"""Tests of houston.dynamics.events: roots on the dense output against brute-force scans and
closed-form geometry; handlers that stop and reset the propagation."""

from __future__ import annotations

import numpy as np
import pytest

from houston.core.constants import (
    AU_M,
    MU_EARTH_M3_S2,
    OMEGA_EARTH_RAD_S,
    R_EARTH_M,
    R_SUN_M,
)
from houston.dynamics import elements, events
from houston.dynamics.cowell import Propagator
from houston.dynamics.forces import ForceModel, PointMass, Zonal
from houston.dynamics.kepler import propagate as kepler

MU = MU_EARTH_M3_S2
TWO_BODY = ForceModel([PointMass(MU)])
TIGHT = {"rtol": 1e-13, "atol_m": 1e-9, "atol_m_s": 1e-12}


def _circular(alt_m, inc=0.0, u0=0.0, raan=0.0):
    a = R_EARTH_M + alt_m
    return elements.coe_to_rv(a, 0.0, inc, raan, 0.0, u0, MU)


def _scan_crossings(traj, g, t0, t1, step):
    """Brute force: g on a grid of ``step`` seconds, crossings by linear interpolation."""
    t = np.arange(t0, t1, step)
    r, v = traj.at(t)
    gv = g(t, r[:, 0], v[:, 0], np.zeros(t.size, dtype=np.int64))
    k = np.flatnonzero(np.sign(gv[:-1]) != np.sign(gv[1:]))
    return t[k] - gv[k] * step / (gv[k + 1] - gv[k]), gv[k + 1] > gv[k]


def _station(lat_deg, lon_deg):
    """A station on a spherical Earth turning at the WGS-84 rate (GCRF stand-in)."""
    lat, lon = np.deg2rad(lat_deg), np.deg2rad(lon_deg)

    def position(t):
        th = lon + OMEGA_EARTH_RAD_S * np.asarray(t, dtype=float)
        return R_EARTH_M * np.stack(
            [np.cos(lat) * np.cos(th), np.cos(lat) * np.sin(th), np.full_like(th, np.sin(lat))],
            -1,
        )

    return position


def test_aos_los_match_a_brute_force_scan():
    """A 400 km, 51.6 deg orbit with J2 over a station at 35 N with a 5 deg mask, six hours:
    every AOS and LOS from the root finder agrees with a 0.1 s brute-force scan of the same
    dense output within 1 ms, and the count is the same."""
    r0, v0 = _circular(400e3, inc=np.deg2rad(51.6))
    model = ForceModel([PointMass(MU), Zonal(MU, R_EARTH_M, (1.08262668355e-3,))])
    traj = Propagator(model, rtol=1e-11).propagate(0.0, r0, v0, 6 * 3600.0)
    det = events.elevation(_station(35.0, -20.0), np.deg2rad(5.0), name="AOS/LOS")
    found = events.find_events(traj, [det])
    scan_t, scan_up = _scan_crossings(traj, det.g, 0.0, 6 * 3600.0, 0.1)
    assert len(found) == len(scan_t) >= 4
    np.testing.assert_allclose([e.t_s for e in found], scan_t, rtol=0, atol=1e-3)
    assert [e.increasing for e in found] == list(scan_up)
    # direction filter: AOS only
    aos = events.find_events(traj, [events.elevation(_station(35.0, -20.0), np.deg2rad(5.0), 1)])
    assert [e.t_s for e in aos] == [e.t_s for e in found if e.increasing]


def _sun_on_x(t):
    return np.broadcast_to([AU_M, 0.0, 0.0], (np.size(t), 3)).copy()


def test_cylindrical_shadow_matches_the_analytic_half_angle():
    """Circular equatorial orbit (700 km), Sun fixed on +x: the cylindrical shadow spans true
    longitudes pi -+ asin(R/r), so entry and exit are at ``(pi -+ asin(R/r))/n``; the detector
    finds both within 1 ms (two-body, rtol = 1e-13)."""
    r_orb = R_EARTH_M + 700e3
    r0, v0 = _circular(700e3)
    n = np.sqrt(MU / r_orb**3)
    traj = Propagator(TWO_BODY, **TIGHT).propagate(0.0, r0, v0, 2 * np.pi / n)
    found = events.find_events(traj, [events.shadow(_sun_on_x)])
    half = np.arcsin(R_EARTH_M / r_orb)
    assert [e.increasing for e in found] == [False, True]
    assert found[0].t_s == pytest.approx((np.pi - half) / n, abs=1e-3)
    assert found[1].t_s == pytest.approx((np.pi + half) / n, abs=1e-3)


def test_conical_shadow_brackets_the_cylinder_and_tends_to_it():
    """Umbra (conical, real Sun) is shorter than the cylindrical shadow and the penumbra longer;
    with a point Sun very far away both cones become the cylinder (within 1 ms)."""
    r_orb = R_EARTH_M + 700e3
    r0, v0 = _circular(700e3)
    n = np.sqrt(MU / r_orb**3)
    traj = Propagator(TWO_BODY, **TIGHT).propagate(0.0, r0, v0, 2 * np.pi / n)

    def duration(det):
        ev = events.find_events(traj, [det])
        assert [e.increasing for e in ev] == [False, True]
        return ev[1].t_s - ev[0].t_s

    cyl = duration(events.shadow(_sun_on_x))
    umbra = duration(events.shadow(_sun_on_x, model="umbra"))
    penumbra = duration(events.shadow(_sun_on_x, model="penumbra"))
    assert umbra < cyl < penumbra
    assert penumbra - umbra == pytest.approx(2 * R_SUN_M / AU_M * 2 / n, rel=0.2)

    def far_sun(t):
        return np.broadcast_to([1e18, 0.0, 0.0], (np.size(t), 3)).copy()

    for model in ("umbra", "penumbra"):
        det = events.shadow(far_sun, model=model, sun_radius_m=1.0)
        assert duration(det) == pytest.approx(cyl, abs=1e-3)


def test_line_of_sight_occulted_by_the_earth():
    """The line from an equatorial vehicle to a point 1e15 m away on +x is cut by the Earth
    over the same arc as the cylindrical shadow of a Sun there (the line's direction differs
    from +x by r/D ~ 7e-9 rad, microseconds here)."""
    r_orb = R_EARTH_M + 700e3
    r0, v0 = _circular(700e3)
    n = np.sqrt(MU / r_orb**3)
    traj = Propagator(TWO_BODY, **TIGHT).propagate(0.0, r0, v0, 2 * np.pi / n)

    def far_point(t):
        return np.broadcast_to([1e15, 0.0, 0.0], (np.size(t), 3)).copy()

    found = events.find_events(traj, [events.line_of_sight(far_point, R_EARTH_M)])
    half = np.arcsin(R_EARTH_M / r_orb)
    assert [e.increasing for e in found] == [False, True]
    assert found[0].t_s == pytest.approx((np.pi - half) / n, abs=1e-3)
    assert found[1].t_s == pytest.approx((np.pi + half) / n, abs=1e-3)


def _two_crossing_orbits():
    """Two near-circular orbits (7000 and 7002 km, inclined by 30 deg) that both pass the
    ascending node on +x near t = 1500 s."""
    rs = []
    for a, inc in ((7000e3, 0.0), (7002e3, np.deg2rad(30.0))):
        n = np.sqrt(MU / a**3)
        rs.append(elements.coe_to_rv(a, 0.0, inc, 0.0, 0.0, -n * 1500.0, MU))
    prop = Propagator(TWO_BODY, **TIGHT)
    return [prop.propagate(0.0, r, v, 3000.0) for r, v in rs]


def test_closest_approach_and_range_threshold_match_a_dense_scan():
    """Closest approach (range-rate zero, minimum) of two crossing orbits against a scan of the
    range at 1 ms around the minimum: time within 1 ms, range within 1 mm; range crossings of
    50 km against a 0.1 s scan within 1 ms (the range stays below 50 km for 26 s only, so the
    detector samples every 10 s)."""
    a, b = _two_crossing_orbits()
    found = events.find_events(a, [events.closest_approach(b.at_rows)])
    assert len(found) >= 1
    best = min(found, key=lambda e: np.linalg.norm(e.r_m - b.at(e.t_s)[0][0]))
    t = np.arange(best.t_s - 2.0, best.t_s + 2.0, 1e-3)
    rng = np.linalg.norm(a.at(t)[0][:, 0] - b.at(t)[0][:, 0], axis=-1)
    assert best.t_s == pytest.approx(t[np.argmin(rng)], abs=1e-3)
    assert np.linalg.norm(best.r_m - b.at(best.t_s)[0][0]) == pytest.approx(rng.min(), abs=1e-3)
    assert 1e3 < rng.min() < 5e3

    det = events.range_threshold(b.at_rows, 50e3, max_check_s=10.0)
    found = events.find_events(a, [det])
    scan_t, scan_up = _scan_crossings(a, det.g, 0.0, 3000.0, 0.1)
    assert len(found) == len(scan_t) == 2
    np.testing.assert_allclose([e.t_s for e in found], scan_t, rtol=0, atol=1e-3)
    assert [e.increasing for e in found] == list(scan_up) == [False, True]


def test_altitude_crossing_stops_the_propagation():
    """Elliptic orbit 300 x 1000 km: a stop at 600 km going up ends the trajectory there, at
    the time given by Kepler's equation (within 1 ms), with |r| = R + 600 km within 1 mm."""
    rp, ra = R_EARTH_M + 300e3, R_EARTH_M + 1000e3
    a, e = (rp + ra) / 2, (ra - rp) / (ra + rp)
    r0, v0 = elements.coe_to_rv(a * (1 - e * e), e, 0.5, 0.0, 0.0, 0.0, MU)
    det = events.altitude(600e3, direction=1, handler=events.stop_on_event)
    traj = Propagator(TWO_BODY, **TIGHT).propagate(0.0, r0, v0, 10000.0, detectors=[det])
    level = R_EARTH_M + 600e3
    nu = np.arccos((a * (1 - e * e) / level - 1) / e)
    m = elements.eccentric_to_mean(elements.true_to_eccentric(nu, e), e)
    t_expected = m / np.sqrt(MU / a**3)
    assert traj.t_end_s == pytest.approx(t_expected, abs=1e-3)
    assert len(traj.events) == 1 and traj.events[0].name == "altitude"
    r, _ = traj.at(traj.t_end_s)
    assert np.linalg.norm(r[0]) == pytest.approx(level, abs=1e-3)
    with pytest.raises(ValueError):
        traj.at(traj.t_end_s + 10.0)


def test_timed_impulse_through_a_reset_handler():
    """An impulsive burn as a detector (at_time) with a reset handler, on a batch of two with
    different burns: each row matches Kepler from its burned state within 1 mm."""
    r0, v0 = _circular(400e3, inc=0.3)
    prop = Propagator(TWO_BODY, **TIGHT)
    dvs = np.array([[0.0, 5.0, 0.0], [1.0, -3.0, 2.0]])

    def handler(event):
        return events.impulse_handler(dvs[event.row])(event)

    det = events.at_time(1234.5, name="burn", handler=handler)
    traj = prop.propagate(0.0, np.array([r0, r0]), np.array([v0, v0]), 5000.0, detectors=[det])
    assert [(e.name, e.row) for e in traj.events] == [("burn", 0), ("burn", 1)]
    rb, vb = kepler(r0, v0, 1234.5, MU)
    for row in range(2):
        x = rb / np.linalg.norm(rb)
        z = np.cross(rb, vb)
        z /= np.linalg.norm(z)
        dv = dvs[row, 0] * x + dvs[row, 1] * np.cross(z, x) + dvs[row, 2] * z
        rk, _ = kepler(rb, vb + dv, 5000.0 - 1234.5, MU)
        assert np.linalg.norm(traj.at(5000.0)[0][row] - rk) < 1e-3
    # before the burn both rows are on the original orbit
    np.testing.assert_allclose(traj.at(1000.0)[0][1], kepler(r0, v0, 1000.0, MU)[0], atol=1e-4)


def test_events_in_a_frame_loop_match_the_whole_trajectory():
    """A frame loop over the stepper (1 s frames, then 500 s frames that span several steps)
    searching each frame's dense output (``advance_span``) finds the same shadow events as a
    search over the whole trajectory (within 1e-5 s); so does the last step alone
    (``StepperState.segment``) while frames are shorter than steps."""
    r0, v0 = _circular(500e3, inc=0.2)
    prop = Propagator(TWO_BODY, rtol=1e-11)
    det = events.shadow(_sun_on_x)
    whole = events.find_events(prop.propagate(0.0, r0, v0, 17000.0), [det])
    state = prop.start(0.0, r0, v0)
    seen, seen_last_step = [], []
    frames = np.concatenate([np.arange(1.0, 7000.5, 1.0), np.arange(7500.0, 17000.5, 500.0)])
    t_prev = 0.0
    for t in frames:
        span = prop.advance_span(state, t)
        assert (span.t_start_s, span.t_end_s) == (t_prev, t)
        seen += events.find_events(span, [det])
        if t <= 7000.0:
            seen_last_step += events.find_events(state.segment(), [det], t_prev, t)
        t_prev = t
    assert len(seen) == len(whole) == 6
    np.testing.assert_allclose([e.t_s for e in seen], [e.t_s for e in whole], atol=1e-5)
    np.testing.assert_allclose(
        [e.t_s for e in seen_last_step], [e.t_s for e in whole[:2]], atol=1e-5
    )


def test_handlers_must_answer_with_an_action_or_a_reset():
    r0, v0 = _circular(400e3)
    det = events.at_time(100.0, handler=lambda e: None)
    with pytest.raises(TypeError, match="Action or a Reset"):
        Propagator(TWO_BODY).propagate(0.0, r0, v0, 200.0, detectors=[det])


def test_elevation_about_a_geodetic_zenith():
    """A station on the WGS-84 ellipsoid at 35 N: with its geodetic normal as the zenith, the
    detector's AOS/LOS match a brute-force scan of the geodetic elevation (computed here with
    frames.geodetic_to_ecef's normal, independently of the detector) within 1 ms, and differ
    from the geocentric-zenith times by up to seconds."""
    from houston.dynamics.frames import enu_basis, geodetic_to_ecef

    lat, lon0 = np.deg2rad(35.0), np.deg2rad(-20.0)
    ecef = geodetic_to_ecef(lat, lon0, 0.0)
    up_ecef = enu_basis(lat, lon0)[..., 2, :]

    def rot(t, x):
        th = OMEGA_EARTH_RAD_S * np.asarray(t, dtype=float)
        c, s = np.cos(th), np.sin(th)
        return np.stack([c * x[0] - s * x[1], s * x[0] + c * x[1], np.full_like(th, x[2])], -1)

    def station(t):
        return rot(t, ecef)

    def zenith(t):
        return rot(t, up_ecef)

    r0, v0 = _circular(400e3, inc=np.deg2rad(51.6))
    traj = Propagator(TWO_BODY, rtol=1e-11).propagate(0.0, r0, v0, 6 * 3600.0)
    det = events.elevation(station, np.deg2rad(5.0), zenith=zenith)
    found = events.find_events(traj, [det])

    def geodetic_elev(t, r, v, rows):
        rho = r - station(t)
        up = zenith(t)
        s = (
            np.einsum("ij,ij->i", rho, up)
            / np.linalg.norm(rho, axis=-1)
            / np.linalg.norm(up, axis=-1)
        )
        return np.arcsin(s) - np.deg2rad(5.0)

    scan_t, _ = _scan_crossings(traj, geodetic_elev, 0.0, 6 * 3600.0, 0.1)
    assert len(found) == len(scan_t) >= 2
    np.testing.assert_allclose([e.t_s for e in found], scan_t, rtol=0, atol=1e-3)
    geocentric = events.find_events(traj, [events.elevation(station, np.deg2rad(5.0))])
    shift = max(abs(a.t_s - b.t_s) for a, b in zip(found, geocentric, strict=True))
    assert 0.1 < shift < 10.0

"""Predictions (houston.comms.predict): loss and acquisition of signal in lunar orbit against
an independent brute-force scan of the geometry, against the closed form of the occultation
by the Moon's limb, and the bookkeeping of passes and windows.

The Apollo Flight Journal's published LOS and AOS times per revolution are not used yet:
reproducing them needs the missions' own state vectors (a later validation). The orbit here is
the Apollo-like circular orbit 110 km above the Moon's mean radius, in a plane that contains
the Earth's direction, where the time behind the Moon has a closed form.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from houston.comms import predict
from houston.comms.networks import DSN, StationSet
from houston.core.constants import MU_MOON_M3_S2, R_MOON_M
from houston.core.time import NS_PER_S, Epoch
from houston.dynamics import ephemeris
from houston.dynamics.frames import earth_rotation, look_angles

EPOCH = Epoch(2446263.5, (16 * 3600 + 23.0) / 86400.0, "1985-07-17T16:00:00Z")
R_ORBIT = R_MOON_M + 110e3
N_ORBIT = np.sqrt(MU_MOON_M3_S2 / R_ORBIT**3)


def lunar_orbit():
    """Circular 110 km orbit whose plane holds the Earth's direction at the epoch, starting
    on the near side (MCI: Moon-centred, ICRF axes)."""
    jd1, jd2 = ephemeris.tdb_jd(EPOCH, 0)
    e = -ephemeris.moon_position_gcrf(jd1, jd2)
    e /= np.linalg.norm(e)
    normal = np.cross(e, [0.0, 0.0, 1.0])
    normal /= np.linalg.norm(normal)
    along = np.cross(normal, e)
    r0 = R_ORBIT * e
    v0 = np.sqrt(MU_MOON_M3_S2 / R_ORBIT) * along
    return predict.two_body_trajectory(r0, v0, MU_MOON_M3_S2)


def brute_force_visibility(traj, stations, t_s):
    """An independent visibility scan: the vehicle taken to the ITRF and its elevation
    computed with frames.look_angles at each station's geodetic coordinates; the Moon's
    occultation as an angle (the station hidden when its direction from the vehicle is
    within the Moon's apparent radius asin(R/d) of the Moon's centre, and the Moon is the
    nearer), a formulation other than the code's distance from the segment."""
    t_ns = np.rint(t_s * 1e9).astype(np.int64)
    jd1, jd2 = ephemeris.tdb_jd(EPOCH, t_ns)
    moon = ephemeris.moon_position_gcrf(jd1, jd2)
    r = traj(t_s) + moon
    rot = earth_rotation(EPOCH, t_ns)
    r_itrf = rot.position_to_fixed(r)
    lat = np.array([s.lat_rad for s in DSN])
    lon = np.array([s.lon_rad for s in DSN])
    st_itrf = np.array([s.r_itrf_m for s in DSN])
    el = look_angles(r_itrf[:, None, :], st_itrf[None], lat, lon).elevation_rad
    st_gcrf = np.einsum("tji,sj->tsi", rot.matrix, st_itrf)  # Mᵀ r_itrf, (time, station, 3)
    to_st = st_gcrf - r[:, None, :]
    to_moon = (moon - r)[:, None, :]
    d_moon = np.linalg.norm(to_moon, axis=-1)
    cos_sep = np.sum(to_st * to_moon, axis=-1) / (np.linalg.norm(to_st, axis=-1) * d_moon)
    sep = np.arccos(np.clip(cos_sep, -1.0, 1.0))
    hidden = (sep < np.arcsin(R_MOON_M / d_moon)) & (d_moon < np.linalg.norm(to_st, axis=-1))
    return (el >= stations.min_elevation_rad) & ~hidden


def transitions(vis, t_s):
    """(time of the first sample after the change, station, rising) of a boolean scan."""
    k, s = np.nonzero(vis[:-1] != vis[1:])
    return sorted((t_s[i + 1], j, bool(vis[i + 1, j])) for i, j in zip(k, s, strict=True))


def test_lunar_orbit_los_aos_against_brute_force():
    traj = lunar_orbit()
    stations = StationSet.of(DSN)
    t1 = 4.0 * 3600.0
    plan = predict.contact_plan(EPOCH, 0.0, t1, stations, traj, central_body="moon", step_s=20.0)
    t = np.arange(0.0, t1 + 1.0, 1.0)
    truth = transitions(brute_force_visibility(traj, stations, t), t)
    found = sorted(
        [(p.aos_s, stations.names.index(p.station), True) for p in plan if not p.open_start]
        + [(p.los_s, stations.names.index(p.station), False) for p in plan if not p.open_end]
    )
    assert len(found) == len(truth) >= 6
    for (tf, sf, rf), (tt, st, rt) in zip(found, truth, strict=True):
        assert (sf, rf) == (st, rt)
        # the scan's change lies in (tt - 1, tt]; the refined time is the first instant
        # of the new state, to 1 ms
        assert tt - 1.0 - 2e-3 <= tf <= tt + 2e-3


def test_time_behind_the_moon_matches_the_closed_form():
    """With the Earth's direction in the orbit plane, the vehicle is hidden from the
    geocentre while it is within asin(R/r) of the anti-Earth direction: 2 asin(R/r) / n of
    each revolution (46.2 min of 118.8 min at 110 km). A station at the geocentre (mask
    -90 deg) sees only the occultation; the Moon's own motion in the plane (2.7e-6 rad/s
    against n = 8.8e-4 rad/s) changes the duration by under 0.5%."""
    geocentre = StationSet(
        ("GEO",),
        ("geocentre",),
        np.zeros((1, 3)),
        np.array([[0.0, 0.0, 1.0]]),
        np.array([-0.5 * np.pi]),
    )
    traj = lunar_orbit()
    plan = predict.contact_plan(EPOCH, 0.0, 6 * 3600.0, geocentre, traj, central_body="moon")
    gaps = [b.aos_s - a.los_s for a, b in itertools.pairwise(plan)]
    closed = 2.0 * np.arcsin(R_MOON_M / R_ORBIT) / N_ORBIT
    assert closed / 60 == pytest.approx(46.2, abs=0.1)
    assert len(gaps) >= 2
    for gap in gaps:
        assert gap == pytest.approx(closed, rel=0.005)
    period = 2 * np.pi / N_ORBIT
    losses = [p.los_s for p in plan if not p.open_end]
    np.testing.assert_allclose(np.diff(losses), period, rtol=0.005)


def test_passes_windows_and_countdown():
    traj = lunar_orbit()
    stations = StationSet.of(DSN)
    plan = predict.contact_plan(EPOCH, 0.0, 4 * 3600.0, stations, traj, central_body="moon")
    assert all(p.los_s > p.aos_s for p in plan)
    assert [p.aos_s for p in plan] == sorted(p.aos_s for p in plan)
    for p in plan:
        # the highest elevation is at least that of both ends and no grid sample beats it
        t = np.linspace(p.aos_s, p.los_s, 50)
        _, el = predict.link_margins(EPOCH, t, stations, traj, central_body="moon")
        assert p.max_elevation_rad >= el[:, stations.names.index(p.station)].max() - 1e-9
    wins = predict.windows(plan)
    for a, b in itertools.pairwise(wins):
        assert a.los_s < b.aos_s
    inside = 0.5 * (wins[1].aos_s + wins[1].los_s)
    to_aos, to_los = predict.countdown(wins, inside)
    assert to_los == pytest.approx(wins[1].los_s - inside)
    assert to_aos == pytest.approx(wins[2].aos_s - inside)
    with pytest.raises(ValueError):
        predict.contact_plan(EPOCH, 10.0, 0.0, stations, traj)
    with pytest.raises(ValueError, match="trajectory"):
        predict.link_margins(EPOCH, [0.0], stations)


def test_kernel_times_are_nanoseconds():
    """link_margins takes seconds from the epoch; the same instant as kernel ns."""
    stations = StationSet.of(DSN)
    traj = lunar_orbit()
    g1, _ = predict.link_margins(EPOCH, [1234.5], stations, traj, central_body="moon")
    assert np.isfinite(g1).all()
    assert int(np.rint(1234.5 * 1e9)) == 1234 * NS_PER_S + NS_PER_S // 2

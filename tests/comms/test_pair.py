"""``vehicle.pair``: geometry between two vehicles.

Line of sight against hand-built geometry (points on opposite sides of the Moon and the
Earth, a line grazing the Moon by a metre), the range rate against finite differences, the
time to a threshold range, the closest approach and the blockade crossing against brute-force
scans and bisections of the same conics (built here from ``kepler.propagate`` and DE421,
independently of the module) and against Cowell propagations with the Earth and the Moon
(to the tolerances the module's docstring states), the events once per crossing, a
scenario with Buran in a 100 km polar lunar orbit and Pathfinder on an inbound hyperbola
(radar view lost behind the Moon), a batch of N against N single runs, and a checkpoint.

Per-frame cost: ``.venv/bin/python -m tests.comms.test_pair`` prints it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from houston.comms import geometry, pair
from houston.comms.pair import (
    ConicMotion,
    MoonTable,
    VehiclePair,
    format_duration_s,
    format_range_m,
    format_speed_m_s,
    predict,
)
from houston.core.constants import (
    MU_EARTH_M3_S2,
    MU_MOON_M3_S2,
    R_EARTH_M,
    R_MOON_M,
)
from houston.core.model import ModelEvent, ModelRandom, StepContext
from houston.core.random import BatchRandom, run_seeds
from houston.core.time import NS_PER_S, Epoch
from houston.dynamics import ephemeris as eph
from houston.dynamics.cislunar.conics import incoming_state
from houston.dynamics.cowell import Propagator
from houston.dynamics.elements import coe_to_rv
from houston.dynamics.forces import ForceModel, PointMass, ThirdBody
from houston.dynamics.kepler import propagate as kepler
from houston.dynamics.spacecraft import moon_equator_matrix, moon_state_gcrf_at
from houston.ops.events import EventKind
from houston.scenario.loader import loads
from houston.session.session import Session

S = NS_PER_S
#: 2024-03-20T12:00:00 UTC (TAI - UTC = 37 s), built without astropy.
EPOCH = Epoch(2460390.0, 37.0 / 86400.0, "2024-03-20T12:00:00Z")
TM = {t.name: i for i, t in enumerate(VehiclePair.telemetry)}
TDB = eph.tdb_jd(EPOCH, 0)


def moon_gcrf(t_s: Any) -> np.ndarray:
    """The Moon's DE421 position (m) at kernel seconds ``t_s`` (TDB advanced with them)."""
    return eph.moon_position_gcrf(TDB[0], TDB[1] + np.asarray(t_s, dtype=float) / 86400.0)


def earth_mci(t_s: Any) -> np.ndarray:
    return -moon_gcrf(t_s)


class Pair:
    """One ``vehicle.pair`` stepped by hand, as the session does."""

    def __init__(self, batch: int = 1, **params: Any) -> None:
        values = {p.name: p.default for p in VehiclePair.params}
        values.update(params)
        self.model = VehiclePair("x.pair", values, batch)
        self.events: list[ModelEvent] = []
        rng = ModelRandom(BatchRandom(run_seeds(0, batch)), self.model.path)
        self.ctx = StepContext(0, 0, -1, {}, rng, self.events, EPOCH)
        self.model.initialize(self.ctx)
        self.t_ns = 0
        self.frame = 0

    def step(self, t_ns: int, ra: Any, va: Any, rb: Any, vb: Any) -> dict[str, np.ndarray]:
        inputs = {
            "a_r_gcrf_m": np.atleast_2d(np.asarray(ra, dtype=float)),
            "a_v_gcrf_m_s": np.atleast_2d(np.asarray(va, dtype=float)),
            "b_r_gcrf_m": np.atleast_2d(np.asarray(rb, dtype=float)),
            "b_v_gcrf_m_s": np.atleast_2d(np.asarray(vb, dtype=float)),
        }
        self.ctx.reset(self.t_ns, t_ns, self.frame, inputs)
        self.model.step(self.ctx)
        self.t_ns = t_ns
        self.frame += 1
        return self.telemetry()

    def telemetry(self) -> dict[str, np.ndarray]:
        out = np.empty((self.model.batch, len(TM)))
        self.model.sample(out)
        return {name: out[:, i] for name, i in TM.items()}

    def messages(self) -> list[str]:
        return [e.message for e in self.events]


def lunar_pair() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Moon-centred states: a inbound on a hyperbola (v_inf 1 km/s, B 3,000 km) 12,000 km out,
    b in a 100 km circular polar orbit."""
    ra, va, _ = incoming_state([1.0, 0.0, 0.0], [0.0, 3000e3, 0.0], 1000.0, MU_MOON_M3_S2, 12000e3)
    rb, vb = coe_to_rv(R_MOON_M + 100e3, 0.0, np.pi / 2, 0.3, 0.0, 0.5, MU_MOON_M3_S2)
    return ra, va, rb, vb


def to_gcrf(r: np.ndarray, v: np.ndarray, t_ns: int = 0) -> tuple[np.ndarray, np.ndarray]:
    mr, mv = moon_state_gcrf_at(EPOCH, t_ns)
    return (r + mr)[None], (v + mv)[None]


def kepler_path(r: np.ndarray, v: np.ndarray, mu: float):
    """Positions along a conic, ``(n, 3)`` at times ``(n,)`` (a geometry trajectory)."""

    def path(t: Any) -> np.ndarray:
        return kepler(r[None], v[None], np.asarray(t, dtype=float)[:, None], mu)[0][:, 0]

    return path


# --- text ----------------------------------------------------------------------------------


def test_texts_in_the_controllers_words() -> None:
    assert format_duration_s(300.0) == "5 min 00 s"
    assert format_duration_s(299.1) == "5 min 00 s"
    assert format_duration_s(299.0) == "4 min 59 s"
    assert format_duration_s(3724.2) == "1 h 02 min 05 s"
    assert format_duration_s(45.0) == "45 s"
    assert format_range_m(500e3) == "500 km"
    assert format_range_m(3_456_700.0) == "3,457 km"
    assert format_range_m(12_345.0) == "12.3 km"
    assert format_range_m(850.0) == "850 m"
    assert format_range_m(float("inf")) == "unlimited"


# --- instantaneous geometry ----------------------------------------------------------------


def test_line_of_sight_against_hand_built_geometry() -> None:
    """Rows: (0) two points 100 km above opposite sides of the Moon: the Moon hides them;
    (1, 2) a segment whose nearest point to the Moon's centre is 1 m outside and 1 m inside
    its radius; (3) opposite sides of the Earth; (4) 1,000 km apart in clear space with a
    900 km radar; (5) as (3) with only the Moon occulting (separate model)."""
    t_ns = 60 * S
    mr, _ = moon_state_gcrf_at(EPOCH, t_ns)
    x, y = np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0])
    far = 50_000e3
    h = R_MOON_M + 100e3
    ra = np.array(
        [
            mr + h * x,
            mr + (R_MOON_M + 1.0) * y + far * x,
            mr + (R_MOON_M - 1.0) * y + far * x,
            (R_EARTH_M + 500e3) * x,
            mr + 200_000e3 * y,
        ]
    )
    rb = np.array(
        [
            mr - h * x,
            mr + (R_MOON_M + 1.0) * y - far * x,
            mr + (R_MOON_M - 1.0) * y - far * x,
            -(R_EARTH_M + 500e3) * x,
            mr + 200_000e3 * y + 1000e3 * x,
        ]
    )
    v = np.zeros((5, 3))
    p = Pair(batch=5, radar_range=900e3)
    tm = p.step(t_ns, ra, v, rb, v)
    assert tm["line_of_sight"].tolist() == [0.0, 1.0, 0.0, 0.0, 1.0]
    assert tm["radar_view"].tolist() == [0.0, 0.0, 0.0, 0.0, 0.0]
    assert p.model.state["cause"].tolist() == [1, 3, 1, 2, 3]  # Moon, range, Moon, Earth, range
    np.testing.assert_allclose(
        tm["range_m"], [2 * h, 2 * far, 2 * far, 2 * (R_EARTH_M + 500e3), 1000e3]
    )
    # the same lines, no radar limit, only the Moon occulting: the Earth no longer hides row 3
    q = Pair(batch=5, occulting_bodies=["moon"])
    tm = q.step(t_ns, ra, v, rb, v)
    assert tm["radar_view"].tolist() == [0.0, 1.0, 0.0, 1.0, 1.0]
    # independently: the segment's clearance of the Moon's sphere (houston.comms.geometry)
    clear = geometry.clearance_m(ra[:3], rb[:3], mr, R_MOON_M)
    np.testing.assert_allclose(clear, [-R_MOON_M, 1.0, -1.0], atol=1e-6)


def test_range_rate_against_finite_differences() -> None:
    """Two low Earth orbits (400 km and 420 km, 10 deg apart in phase): the range rate
    equals the central difference of the range over +-0.5 s. The difference's truncation
    error is h^2/6 times the third derivative of the range, which is of order v_rel w^2
    (~1 km/s x (1.2e-3 /s)^2): 1e-4 m/s; the test allows 1e-3 m/s."""
    mu = MU_EARTH_M3_S2
    ra0, va0 = coe_to_rv(R_EARTH_M + 400e3, 0.0, np.radians(51.6), 0.2, 0.0, 0.0, mu)
    rb0, vb0 = coe_to_rv(R_EARTH_M + 420e3, 0.0, np.radians(51.6), 0.2, 0.0, 0.17, mu)
    p = Pair()
    rates, ranges = [], []
    for k, t in enumerate((99.5, 100.0, 100.5)):
        ra, va = kepler(ra0, va0, t, mu)
        rb, vb = kepler(rb0, vb0, t, mu)
        tm = p.step(round(t * S) + k, ra, va, rb, vb)
        rates.append(tm["range_rate_m_s"][0])
        ranges.append(tm["range_m"][0])
    fd = (ranges[2] - ranges[0]) / 1.0
    assert abs(rates[1] - fd) < 1e-3
    assert abs(rates[1]) > 10.0  # a real closing or opening


# --- the prediction ------------------------------------------------------------------------


def test_the_conics_are_kepler_about_the_moon_plus_de421() -> None:
    """Inside the Moon's sphere of influence a vehicle's predicted GCRF position is its
    Moon-centred conic plus the Moon's DE421 position at that time (to 1 mm); outside, a
    conic about the Earth."""
    ra, va, _, _ = lunar_pair()
    moon = MoonTable.build(EPOCH, 100.0, 3000.0)
    mr, mv = moon_state_gcrf_at(EPOCH, 100 * S)
    far_r = mr * 0.5
    far_v = np.array([0.0, 1000.0, 300.0])
    c = ConicMotion(np.array([ra + mr, far_r]), np.array([va + mv, far_v]), moon, 100.0)
    assert c.lunar.tolist() == [True, False]
    tau = np.array([0.0, 333.3, 2500.0])
    p, v, _ = c.at(tau)
    lunar, _ = kepler(ra, va, tau, MU_MOON_M3_S2)
    np.testing.assert_allclose(p[0], lunar + moon_gcrf(100.0 + tau), rtol=0, atol=1e-3)
    # the table against DE421 at times between its nodes, TDB from ERFA at each
    t_ns = np.array([100, 1234, 2999], dtype=np.int64) * S + 123_456_789
    m_r, m_v = eph.moon_state_gcrf(*eph.tdb_jd(EPOCH, t_ns))
    got_r, got_v = moon.at(t_ns * 1e-9)
    np.testing.assert_allclose(got_r, m_r, rtol=0, atol=1e-3)
    np.testing.assert_allclose(got_v, m_v, rtol=0, atol=1e-6)
    earth, earth_v = kepler(far_r, far_v, tau, MU_EARTH_M3_S2)
    np.testing.assert_allclose(p[1], earth, rtol=0, atol=1e-6)
    np.testing.assert_allclose(v[1], earth_v, rtol=0, atol=1e-9)


def grid_walk(con: np.ndarray, horizon: float, steps: int) -> np.ndarray:
    """Row 0 of the conics ``con`` on the prediction's grid, ``(steps + 1, 6)``, each time's
    Kepler solution started from the one before, as :func:`houston.comms.pair.predict`
    walks it."""
    out = np.empty((steps + 1, 6))
    tau_prev = chi = rad = sig = 0.0
    for j in range(steps + 1):
        tau = pair._grid_tau(j, steps, horizon)
        guess = 0.0
        if j:
            dtau = con[0, pair._SQRT_MU] * (tau - tau_prev)
            guess = pair._next_chi(chi, rad, sig, con[0, pair._ALPHA], dtau)
        *state, _, _, _, chi, rad, sig = pair._conic_at(con, 0, tau, guess)
        out[j] = state
        tau_prev = tau
    return out


@pytest.mark.parametrize("ecc", [0.0, 0.3, 0.9, 0.999, 1.0, 1.01, 1.5, 10.0])
def test_the_conics_on_the_grid_against_kepler_propagate(ecc: float) -> None:
    """The prediction's own Kepler solution (universal variables, each grid time started
    from the one before, the universal functions of the last step by the addition theorem)
    against :func:`houston.dynamics.kepler.propagate` (tested against the mean-anomaly
    solution and DOP853 in ``tests/dynamics/test_kepler.py``) on the-grey's grids (3 h in
    60 s, 1 h in 20 s) and over 5.5 h in 200 s: lunar conics with a 100 km periapsis from
    circular to e = 10, starting before, at and after periapsis (out to 18,000 km), and
    from scratch at each time (:class:`ConicMotion`). Within 1 um and 1e-9 m/s; measured
    0.44 um and 4e-10 m/s (e = 0.999 from 18,000 km through periapsis)."""
    rp = R_MOON_M + 100e3
    moon = MoonTable.build(EPOCH, 0.0, 20000.0)
    m0 = moon.states(0.0)
    for nu in (-2.5, -1.0, 0.0, 1.0):
        if ecc >= 1.0 and abs(nu) >= np.arccos(-1.0 / ecc) - 0.02:
            continue  # beyond the asymptote
        r, v = coe_to_rv(rp * (1.0 + ecc), ecc, 0.7, 0.3, 0.5, nu, MU_MOON_M3_S2)
        for horizon, steps in ((10800.0, 180), (3600.0, 180), (20000.0, 100)):
            c = ConicMotion((r + m0[:3])[None], (v + m0[3:])[None], moon, 0.0)
            assert c.lunar.tolist() == [True]
            tau = np.linspace(0.0, horizon, steps + 1)
            ref_r, ref_v = kepler(c.r_c[0], c.v_c[0], tau, MU_MOON_M3_S2)
            walked = grid_walk(c._con, horizon, steps)
            np.testing.assert_allclose(walked[:, :3], ref_r, rtol=0, atol=1e-6)
            np.testing.assert_allclose(walked[:, 3:], ref_v, rtol=0, atol=1e-9)
            p, w, _ = c.at(tau, np.broadcast_to(m0, (steps + 1, 6)))
            np.testing.assert_allclose(p[0] - m0[:3], ref_r, rtol=0, atol=1e-6)
            np.testing.assert_allclose(w[0] - m0[3:], ref_v, rtol=0, atol=1e-9)


def test_time_to_threshold_and_closest_approach_against_a_fine_scan_of_the_same_conics() -> None:
    """Pathfinder inbound, Buran in a 100 km polar orbit: the first time the range falls to
    10,000 km and the least range within the hour, against a scan of the two Moon-centred
    conics (the range does not depend on the Moon's position) every 0.1 s and then every
    10 us around the crossing; the closest approach against golden-section search
    (:func:`houston.comms.geometry.closest_approach`)."""
    ra, va, rb, vb = lunar_pair()
    path_a, path_b = kepler_path(ra, va, MU_MOON_M3_S2), kepler_path(rb, vb, MU_MOON_M3_S2)
    horizon = 3600.0
    moon = MoonTable.build(EPOCH, 0.0, horizon)
    a, av = to_gcrf(ra, va)
    b, bv = to_gcrf(rb, vb)
    thr = 10_000e3
    pr = predict(moon, 0.0, a, av, b, bv, thr, 0.0, horizon, 20.0)

    def rng(t: np.ndarray) -> np.ndarray:
        return np.linalg.norm(path_b(t) - path_a(t), axis=-1)

    coarse = np.arange(0.0, horizon, 0.1)
    k = int(np.argmax(rng(coarse) <= thr))
    assert k > 0
    fine = np.arange(coarse[k - 1], coarse[k] + 1e-5, 1e-5)
    t_scan = fine[np.argmax(rng(fine) <= thr)]
    assert abs(pr.t_threshold_s[0] - t_scan) <= 1e-5
    assert 1000.0 < t_scan < 2000.0

    ca = geometry.closest_approach(path_a, path_b, 0.0, horizon, 10.0, 1e-6)
    if np.isnan(pr.t_closest_s[0]):  # still closing at the end of the hour
        assert ca.t_s[0] == pytest.approx(horizon, abs=1e-3)
    else:
        assert abs(pr.closest_m[0] - ca.range_m[0]) < 1e-3
    # a horizon long enough for the least range to lie inside it
    moon2 = MoonTable.build(EPOCH, 0.0, 9000.0)
    pr2 = predict(moon2, 0.0, a, av, b, bv, thr, 0.0, 9000.0, 20.0)
    ca2 = geometry.closest_approach(path_a, path_b, 0.0, 9000.0, 10.0, 1e-7)
    assert 0.0 < pr2.t_closest_s[0] < 9000.0
    assert abs(pr2.closest_m[0] - ca2.range_m[0]) < 1e-3
    assert abs(pr2.t_closest_s[0] - ca2.t_s[0]) < 1e-2  # the least range is flat in time


def cowell(r0: np.ndarray, v0: np.ndarray, t_end: float, lunar: bool):
    """A Cowell propagation of rows ``r0``, ``v0`` with the Earth and the Moon as point
    masses (DE421): Moon-centred or Earth-centred."""
    if lunar:
        forces = [PointMass(MU_MOON_M3_S2), ThirdBody(MU_EARTH_M3_S2, earth_mci, "Earth", 600.0)]
    else:
        forces = [PointMass(MU_EARTH_M3_S2), ThirdBody(MU_MOON_M3_S2, moon_gcrf, "Moon", 600.0)]
    prop = Propagator(ForceModel(forces), rtol=1e-12)
    return prop.propagate(0.0, np.atleast_2d(r0), np.atleast_2d(v0), t_end)


def test_five_minute_warning_against_cowell() -> None:
    """The predicted time to 11,000 km (about 17 min ahead) against the same crossing on a
    Cowell propagation with the Earth's tide: the docstring's error budget (about 10 m of
    position for these vehicles over 20 min, at a closing speed near 1 km/s) is 0.01 s; the
    test allows 0.05 s. Measured: 0.006 s."""
    ra, va, rb, vb = lunar_pair()
    tr = cowell(np.array([ra, rb]), np.array([va, vb]), 1800.0, lunar=True)

    def path(row: int):
        return lambda t: tr.at(t)[0][..., row, :]

    thr = 11_000e3
    t_ref = geometry.time_to_range(path(0), path(1), thr, 0.0, 1800.0, 10.0, 1e-6)[0]
    moon = MoonTable.build(EPOCH, 0.0, 1800.0)
    a, av = to_gcrf(ra, va)
    b, bv = to_gcrf(rb, vb)
    pr = predict(moon, 0.0, a, av, b, bv, thr, 0.0, 1800.0, 20.0)
    assert 900.0 < t_ref < 1200.0
    assert abs(pr.t_threshold_s[0] - t_ref) < 0.05


def test_blockade_crossing_against_bisection_and_cowell() -> None:
    """Vehicle a crosses a 10,000 km blockade sphere about the Moon (about 25 min ahead):
    against a bisection of the same conic (:func:`houston.comms.geometry.sphere_crossings`,
    to 1 us) within 1e-5 s, and against Cowell with the Earth within 0.2 s (error budget:
    about 200 m at 25 min over a radial speed of 1.3 km/s: 0.15 s; measured 0.04 s).
    Outside the sphere of influence (an Earth conic, 92,500 km from the Moon, crossing a
    90,000 km line in 28 min): against a bisection of the Earth conic with the DE421 Moon
    within 1e-5 s, and against Cowell with the Moon within 1 s (error budget: the Moon's
    pull less its pull on the Earth, 5.7e-4 m/s^2, over 28 min, 0.8 km, at 1.5 km/s:
    0.55 s; measured 0.54 s)."""
    ra, va, rb, vb = lunar_pair()
    a, av = to_gcrf(ra, va)
    b, bv = to_gcrf(rb, vb)
    horizon = 3600.0
    moon = MoonTable.build(EPOCH, 0.0, horizon)
    pr = predict(moon, 0.0, a, av, b, bv, 0.0, 10_000e3, horizon, 20.0)
    ref = geometry.sphere_crossings(
        kepler_path(ra, va, MU_MOON_M3_S2), np.zeros(3), 10_000e3, 0.0, horizon, 10.0, 1e-7
    )
    assert len(ref) == 1 and not ref[0].rising
    assert abs(pr.t_blockade_s[0] - ref[0].t_s) < 1e-5
    tr = cowell(ra, va, horizon, lunar=True)
    ref_c = geometry.sphere_crossings(
        lambda t: tr.at(t)[0][..., 0, :], np.zeros(3), 10_000e3, 0.0, horizon, 10.0, 1e-6
    )
    assert abs(pr.t_blockade_s[0] - ref_c[0].t_s) < 0.2
    assert np.isnan(pr.t_threshold_s[0])  # no threshold

    # an Earth conic outside the sphere of influence
    mr, mv = moon_state_gcrf_at(EPOCH, 0)
    u = mr / np.linalg.norm(mr)
    side = np.cross(u, [0.0, 0.0, 1.0])
    side /= np.linalg.norm(side)
    r0 = mr - 92_000e3 * u + 10_000e3 * side
    v0 = mv + 1500.0 * u
    pr = predict(moon, 0.0, r0[None], v0[None], b, bv, 0.0, 90_000e3, horizon, 20.0)
    ref = geometry.sphere_crossings(
        kepler_path(r0, v0, MU_EARTH_M3_S2), moon_gcrf, 90_000e3, 0.0, horizon, 10.0, 1e-7
    )
    assert len(ref) == 1 and 1200.0 < ref[0].t_s < 2400.0
    assert abs(pr.t_blockade_s[0] - ref[0].t_s) < 1e-5
    tr = cowell(r0, v0, horizon, lunar=False)
    ref_c = geometry.sphere_crossings(
        lambda t: tr.at(t)[0][..., 0, :], moon_gcrf, 90_000e3, 0.0, horizon, 10.0, 1e-6
    )
    assert abs(pr.t_blockade_s[0] - ref_c[0].t_s) < 1.0


def test_degenerate_states_and_no_thresholds() -> None:
    """Both vehicles at the Earth's centre (the kernel's default inputs): everything finite;
    no threshold and no blockade read as never (inf), a threshold not reached within the
    horizon as NaN."""
    p = Pair(batch=2)
    z = np.zeros((2, 3))
    tm = p.step(S, z, z, z, z)
    assert all(
        np.isfinite(tm[k]).all()
        for k in TM
        if k not in ("time_to_threshold_s", "time_to_blockade_s")
    )
    assert np.isinf(tm["time_to_threshold_s"]).all() and np.isinf(tm["time_to_blockade_s"]).all()
    assert tm["range_rate_m_s"].tolist() == [0.0, 0.0]
    ra, va, rb, vb = lunar_pair()
    q = Pair(threshold_range=100e3, blockade_radius=50_000e3, prediction_horizon=600.0)
    a, av = to_gcrf(ra, va, S)
    b, bv = to_gcrf(rb, vb, S)
    tm = q.step(S, a, av, b, bv)
    assert np.isnan(tm["time_to_threshold_s"][0]) and np.isnan(tm["time_to_blockade_s"][0])
    assert tm["inside_blockade"][0] == 1.0 and tm["within_threshold"][0] == 0.0


def test_a_state_published_earlier_is_carried_to_the_end_of_the_step() -> None:
    """Vehicle b's state as published 10 s before the end of the step (a model placed after
    the pair in the scenario, or stepped less often), with its time on ``b_t_s``: the pair
    carries it along its conic and sees what it sees with b's state at the end of the step
    (to 1 mm; 10 s of Moon-centred conic are exact to round-off)."""
    ra, va, rb, vb = lunar_pair()
    t1 = 600.0
    now = states_at(t1, ra, va, rb, vb)
    then = states_at(t1 - 10.0, ra, va, rb, vb)
    fresh = Pair(threshold_range=9_000e3).step(round(t1 * S), *now)
    p = Pair(threshold_range=9_000e3)
    p.ctx.reset(0, round(t1 * S), 0, {
        "a_r_gcrf_m": now[0], "a_v_gcrf_m_s": now[1], "b_r_gcrf_m": then[2],
        "b_v_gcrf_m_s": then[3], "a_t_s": np.array([t1]), "b_t_s": np.array([t1 - 10.0]),
    })  # fmt: skip
    p.model.step(p.ctx)
    carried = p.telemetry()
    assert abs(carried["range_m"][0] - fresh["range_m"][0]) < 1e-3
    assert abs(carried["range_rate_m_s"][0] - fresh["range_rate_m_s"][0]) < 1e-6
    assert abs(carried["time_to_threshold_s"][0] - fresh["time_to_threshold_s"][0]) < 1e-5
    stale = Pair(threshold_range=9_000e3).step(round(t1 * S), now[0], now[1], then[2], then[3])
    assert abs(stale["range_m"][0] - fresh["range_m"][0]) > 1e3  # what it would be off by


# --- the model in time: countdowns and events -----------------------------------------------


def states_at(t_s: float, ra, va, rb, vb):
    """GCRF states of the two Moon-centred conics at kernel time ``t_s``."""
    t_ns = round(t_s * S)
    a, av = kepler(ra, va, t_s, MU_MOON_M3_S2)
    b, bv = kepler(rb, vb, t_s, MU_MOON_M3_S2)
    return (*to_gcrf(a, av, t_ns), *to_gcrf(b, bv, t_ns))


def test_countdown_warning_and_entry_fire_once() -> None:
    """Stepped every second along the two conics from 600 s to 1200 s: the countdown to
    11,000 km runs down with the clock, the five-minute warning comes once, in the frame in
    which the countdown first reaches 300 s, the entry once, in the first frame within the
    range, and the blockade crossing (a 9,000 km line, not reached) never."""
    ra, va, rb, vb = lunar_pair()
    thr = 11_000e3
    p = Pair(
        a_name="Pathfinder",
        b_name="Sea Dragon 17",
        threshold_range=thr,
        blockade_radius=9_000e3,
        prediction_horizon=1800.0,
    )
    first_warning = entry_frame = None
    countdown = []
    for t in range(600, 1201):
        tm = p.step(t * S, *states_at(float(t), ra, va, rb, vb))
        ttt = tm["time_to_threshold_s"][0]
        countdown.append(ttt)
        if first_warning is None and ttt <= 300.0:
            first_warning = t
        if entry_frame is None and tm["within_threshold"][0]:
            entry_frame = t
    msgs = p.messages()
    warnings = [m for m in msgs if " in " in m and "within" in m]
    entries = [m for m in msgs if m.startswith("Sea Dragon 17 within 11,000 km of Pathfinder:")]
    assert warnings == ["Sea Dragon 17 within 11,000 km of Pathfinder in 5 min 00 s"]
    assert len(entries) == 1
    assert not [m for m in msgs if "blockade" in m]
    # the events' frames, from the events' order and the frames of the countdown
    assert entry_frame is not None and first_warning is not None
    assert entry_frame - first_warning in (299, 300, 301)
    t_entry = geometry.time_to_range(
        kepler_path(ra, va, MU_MOON_M3_S2),
        kepler_path(rb, vb, MU_MOON_M3_S2),
        thr,
        0,
        1800,
        10,
        1e-6,
    )[0]
    assert entry_frame == int(np.ceil(t_entry))
    # the countdown falls by one second a frame between predictions (and is 0 once within)
    steps = np.diff(np.array(countdown[: entry_frame - 600]))
    np.testing.assert_allclose(steps, -1.0, atol=1e-3)
    assert countdown[entry_frame - 600] == 0.0


def test_blockade_crossed_inbound_and_outbound_once_each() -> None:
    """A flyby with periapsis 2,100 km (impact parameter 5,000 km), stepped every 10 s
    through a 5,000 km blockade line: one inbound and one outbound crossing, each in the
    first step past the crossing found by bisection of the conic, and the countdown 10 s
    before each equal to the time left (1e-4 s)."""
    ra, va, _ = incoming_state([1.0, 0.0, 0.0], [0.0, 5000e3, 0.0], 1000.0, MU_MOON_M3_S2, 12_000e3)
    rb, vb = coe_to_rv(R_MOON_M + 100e3, 0.0, np.pi / 2, 0.3, 0.0, 0.5, MU_MOON_M3_S2)
    ref = geometry.sphere_crossings(
        kepler_path(ra, va, MU_MOON_M3_S2), np.zeros(3), 5000e3, 0.0, 12_000.0, 10.0, 1e-7
    )
    assert [c.rising for c in ref] == [False, True]
    p = Pair(a_name="Pathfinder", blockade_radius=5000e3)
    before = {int(np.ceil(c.t_s / 10.0) * 10 - 10): c.t_s for c in ref}
    for t in range(10, 12_001, 10):
        tm = p.step(t * S, *states_at(float(t), ra, va, rb, vb))
        if t in before:
            assert abs(t + tm["time_to_blockade_s"][0] - before[t]) < 1e-4
    crossings = [(e.message, e.severity) for e in p.events if "blockade" in e.message]
    want = []
    for c, way in zip(ref, ("inbound", "outbound"), strict=True):
        r, v = kepler(ra, va, np.ceil(c.t_s / 10.0) * 10.0, MU_MOON_M3_S2)
        want.append(
            f"Pathfinder crossed the blockade line {way}: {format_range_m(np.linalg.norm(r))} "
            f"from the Moon's centre, {format_speed_m_s(np.linalg.norm(v))}"
        )
    assert [m for m, _ in crossings] == want
    assert all(sev == "warning" for _, sev in crossings)


def test_radar_range_and_contact_regained() -> None:
    """b drifts out of a 900 km radar range and back (positions given by hand): "beyond
    radar range" with the range, then a new contact, each once."""
    mr, _ = moon_state_gcrf_at(EPOCH, 0)
    a = mr + np.array([0.0, 100_000e3, 0.0])
    v = np.zeros(3)
    p = Pair(radar_range=900e3)
    for k, d in enumerate((800e3, 850e3, 950e3, 960e3, 890e3, 880e3), start=1):
        p.step(k * S, a, v, a + np.array([d, 0.0, 0.0]), v)
    assert p.messages() == [
        "A radar contact: B at 800 km",
        "A radar view of B lost (beyond radar range 900 km): range 950 km",
        "A radar contact: B at 890 km",
    ]


# --- in a scenario ---------------------------------------------------------------------------


def grey_text(duration: str = "20min") -> str:
    """Buran in a 100 km polar lunar orbit, 60 deg past its node; Pathfinder inbound
    15,000 km out on a hyperbola in Buran's orbital plane (v_inf 1 km/s, B 3,000 km), its
    radar on Buran. Buran passes behind the Moon as Pathfinder sees it after 17 min."""
    q = moon_equator_matrix(EPOCH)
    r, v, _ = incoming_state(-q[0], 3000e3 * q[2], 1000.0, MU_MOON_M3_S2, 15_000e3)

    def vec(x: np.ndarray) -> str:
        return "[" + ", ".join(f"{c:.9f}" for c in x) + "]"

    return f"""
[scenario]
name = "stand-off"
description = "Pathfinder's radar on Buran"
epoch_utc = "2024-03-20T12:00:00Z"
duration = "{duration}"

[assets.buran.orbit]
model = "vehicle.spacecraft"
central_body = "moon"
perigee_altitude_km = 100.0
apogee_altitude_km = 100.0
inclination_deg = 90.0
true_anomaly_deg = 60.0

[assets.pathfinder.orbit]
model = "vehicle.spacecraft"
central_body = "moon"
r_km = {vec(r / 1e3)}
v_km_s = {vec(v / 1e3)}

[assets.pathfinder.radar]
model = "vehicle.pair"
a_name = "Pathfinder"
b_name = "Buran"
threshold_range_km = 12500.0
blockade_radius_km = 14000.0
inputs = {{ a_r_gcrf_m = "pathfinder.orbit.r_gcrf_m", a_v_gcrf_m_s = "pathfinder.orbit.v_gcrf_m_s", b_r_gcrf_m = "buran.orbit.r_gcrf_m", b_v_gcrf_m_s = "buran.orbit.v_gcrf_m_s" }}
"""


def model_messages(s: Session) -> list[tuple[int, str]]:
    return [
        (e.t_ns // S, e.message)
        for e in s.log.events
        if e.kind == EventKind.MODEL and e.source == "pathfinder.radar"
    ]


def test_scenario_radar_view_lost_while_buran_is_behind_the_moon() -> None:
    """Frame by frame, the line of sight computed here from the vehicles' published GCRF
    positions and the Moon (:func:`houston.comms.geometry.line_of_sight`) decides when the
    radar sees Buran; every change is announced once, in its frame, with the range."""
    s = Session(loads(grey_text(), "stand-off.toml"))
    s.start()
    seen, crossed = [], []
    for _ in range(20 * 60):
        s.step_frame()
        a = s.bus["pathfinder.orbit.r_gcrf_m"][0]
        b = s.bus["buran.orbit.r_gcrf_m"][0]
        mr, _ = moon_state_gcrf_at(s.world.epoch, s.t_ns)
        view = bool(geometry.line_of_sight(a, b, mr, R_MOON_M))
        rng = float(np.linalg.norm(b - a))
        seen.append((s.t_ns // S, view, rng))
        crossed.append(np.linalg.norm(a - mr) < 14_000e3)
        assert s.value("pathfinder.radar.radar_view")[0] == float(view)
        assert s.value("pathfinder.radar.range_m")[0] == pytest.approx(rng, abs=1e-3)
    msgs = model_messages(s)
    changes = [(t, v, r) for (t, v, r), prev in zip(seen[1:], seen, strict=False) if v != prev[1]]
    assert seen[0][1]  # in view at the start
    assert msgs[0] == (1, f"Pathfinder radar contact: Buran at {format_range_m(seen[0][2])}")
    want = [
        (t, f"Pathfinder radar contact: Buran at {format_range_m(r)}")
        if v
        else (
            t,
            f"Pathfinder radar view of Buran lost (occulted by the Moon): range {format_range_m(r)}",
        )
        for t, v, r in changes
    ]
    got = [m for m in msgs[1:] if "radar" in m[1]]
    assert got == want and len(want) >= 1 and not want[0][1].endswith("contact")
    # the blockade line crossed once, inbound, in the first frame inside it
    k = crossed.index(True)
    blockade = [m for m in msgs if "blockade" in m[1]]
    assert len(blockade) == 1 and blockade[0][0] == seen[k][0] and "inbound" in blockade[0][1]


def test_pair_before_a_vehicle_in_the_scenario_reads_its_time() -> None:
    """The radar placed before Buran in the scenario reads Buran's state of the previous
    frame; wired to Buran's ``t_s`` it carries it to the end of the frame (Buran flies a
    pure Kepler orbit here, so the carried state is exact) and its range equals the range
    between the vehicles' states at the end of the frame, to 1 mm."""
    text = grey_text()
    radar = text[text.index("[assets.pathfinder.radar]") :]
    text = text[: text.index("[assets.pathfinder.radar]")]
    buran = text[text.index("[assets.buran.orbit]") : text.index("[assets.pathfinder.orbit]")]
    text = (
        text.replace(buran, "")
        + radar.replace(
            'b_v_gcrf_m_s = "buran.orbit.v_gcrf_m_s"',
            'b_v_gcrf_m_s = "buran.orbit.v_gcrf_m_s", b_t_s = "buran.orbit.t_s"',
        )
        + "\n"
        + buran
    )
    assert text.index("[assets.pathfinder.radar]") < text.index("[assets.buran.orbit]")
    s = Session(loads(text, "radar-first.toml"))
    s.start()
    for _ in range(60):
        s.step_frame()
        a = s.bus["pathfinder.orbit.r_gcrf_m"][0]
        b = s.bus["buran.orbit.r_gcrf_m"][0]
        assert s.value("pathfinder.radar.range_m")[0] == pytest.approx(
            np.linalg.norm(b - a), abs=1e-3
        )


def test_checkpoint_restores_identically(tmp_path) -> None:
    world = loads(grey_text("20min"), "stand-off.toml")
    straight = Session(world)
    straight.run(700 * S)
    first = Session(world)
    first.run(333 * S)
    first.checkpoint(tmp_path / "cp.npz")
    again = Session.restore(tmp_path / "cp.npz")
    again.run(700 * S)
    for name, arr in straight.by_path["pathfinder.radar"].state.items():
        np.testing.assert_array_equal(
            arr, again.by_path["pathfinder.radar"].state[name], err_msg=name
        )
    assert [m for m in model_messages(straight) if m[0] > 333] == model_messages(again)


def test_batch_of_n_equals_n_single_runs() -> None:
    """Four runs with different approaches (impact parameters 2,000 to 5,000 km), stepped
    through entries into the threshold and the blockade (which trigger predictions of their
    own rows): every state array equal to the single runs' bit for bit."""
    n = 4
    rb, vb = coe_to_rv(R_MOON_M + 100e3, 0.0, np.pi / 2, 0.3, 0.0, 0.5, MU_MOON_M3_S2)
    starts = [
        incoming_state([1.0, 0.0, 0.0], [0.0, b, 0.0], 1000.0, MU_MOON_M3_S2, 10_250e3)[:2]
        for b in (2000e3, 3000e3, 4000e3, 5000e3)
    ]
    params = {"threshold_range": 9_000e3, "blockade_radius": 10_000e3, "prediction_horizon": 900.0}
    big = Pair(batch=n, **params)
    small = [Pair(**params) for _ in range(n)]
    for t in range(1, 400, 3):
        states = [states_at(float(t), ra, va, rb, vb) for ra, va in starts]
        rows = [np.concatenate([x[k] for x in states]) for k in range(4)]
        big.step(t * S, *rows)
        for i, m in enumerate(small):
            m.step(t * S, *states[i])
    for name, arr in big.model.state.items():
        np.testing.assert_array_equal(
            arr, np.concatenate([m.model.state[name] for m in small]), err_msg=name
        )
    assert big.model.state["tm"][:, TM["inside_blockade"]].sum() >= 2
    assert (big.model.state["predicted_ns"] != big.model.state["predicted_ns"][0]).any()


# --- cost --------------------------------------------------------------------------------------


def measure_cost(batch: int = 1, frames: int = 3600) -> dict[str, float]:
    """Per-frame cost (us) of the pair along inbound hyperbolas (impact parameters 2,000 to
    5,000 km) and the 100 km orbit, 1 s frames: the step and the telemetry, in frames
    without a prediction and with one (every 10 s), and their mean."""
    import time

    rb, vb = coe_to_rv(R_MOON_M + 100e3, 0.0, np.pi / 2, 0.3, 0.0, 0.5, MU_MOON_M3_S2)
    starts = [
        incoming_state([1.0, 0.0, 0.0], [0.0, b, 0.0], 1000.0, MU_MOON_M3_S2, 12_000e3)[:2]
        for b in np.linspace(2000e3, 5000e3, batch)
    ]
    ra0 = np.array([r for r, _ in starts])
    va0 = np.array([v for _, v in starts])
    t = np.arange(1, frames + 1, dtype=float)
    ra, va = kepler(ra0[None], va0[None], t[:, None], MU_MOON_M3_S2)
    rbt, vbt = kepler(rb, vb, t[:, None], MU_MOON_M3_S2)
    p = Pair(batch=batch, threshold_range=9_000e3, blockade_radius=10_000e3)
    m, ctx = p.model, p.ctx
    out = np.empty((batch, len(TM)))
    idle, busy = [], []
    for k in range(frames):
        mr, mv = moon_state_gcrf_at(EPOCH, (k + 1) * S)
        inputs = {
            "a_r_gcrf_m": ra[k] + mr,
            "a_v_gcrf_m_s": va[k] + mv,
            "b_r_gcrf_m": np.broadcast_to(rbt[k] + mr, (batch, 3)).copy(),
            "b_v_gcrf_m_s": np.broadcast_to(vbt[k] + mv, (batch, 3)).copy(),
        }
        before = int(m.state["predicted_ns"].max())
        t0 = time.perf_counter()
        ctx.reset(k * S, (k + 1) * S, k, inputs)
        m.step(ctx)
        m.sample(out)
        dt = time.perf_counter() - t0
        if k:  # the first frame compiles and builds the Moon's table
            (busy if int(m.state["predicted_ns"].max()) != before else idle).append(dt)
    return {
        "idle_us": 1e6 * float(np.median(idle)),
        "prediction_us": 1e6 * float(np.median(busy)),
        "mean_us": 1e6 * float(np.mean(idle + busy)),
    }


if __name__ == "__main__":
    for batch, frames in ((1, 3600), (1000, 600)):
        cost = measure_cost(batch, frames)
        print(f"batch {batch}: " + ", ".join(f"{k} {v:.1f}" for k, v in cost.items()))

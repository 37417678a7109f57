"""Tests of the kernel's Cowell spacecraft (``vehicle.spacecraft``): its initial-state forms,
exact two-body motion, the J2 nodal rate, drag decay, burns against vis-viva and the rocket
equation, ground-track telemetry against the frames module, a lunar orbit, batches, and
checkpoints through the session."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from houston.core.constants import (
    G0_M_S2,
    J2_EARTH,
    MU_EARTH_M3_S2,
    MU_MOON_M3_S2,
    OMEGA_EARTH_RAD_S,
    R_EARTH_M,
    R_MOON_M,
)
from houston.core.model import CommandRejected, ModelRandom, StepContext
from houston.core.random import BatchRandom, run_seeds
from houston.core.time import NS_PER_S, Epoch
from houston.dynamics import atmosphere, elements
from houston.dynamics import ephemeris as eph
from houston.dynamics import frames as fr
from houston.dynamics.forces import Zonal
from houston.dynamics.kepler import propagate as kepler
from houston.dynamics.spacecraft import Spacecraft, body_fixed_matrix, moon_equator_matrix
from houston.scenario.loader import loads
from houston.scenario.spec import ScenarioError
from houston.session.session import Session

MU = MU_EARTH_M3_S2
#: 2024-03-20T12:00:00 UTC (TAI - UTC = 37 s), built without astropy.
EPOCH = Epoch(2460390.0, 37.0 / 86400.0, "2024-03-20T12:00:00Z")
S = NS_PER_S

TM = {t.name: i for i, t in enumerate(Spacecraft.telemetry)}


class Driver:
    """One spacecraft stepped by hand, as the session does (step, outputs, telemetry)."""

    def __init__(self, batch: int = 1, epoch: Epoch = EPOCH, **params: Any) -> None:
        values = {p.name: p.default for p in Spacecraft.params}
        values.update(params)
        self.model = Spacecraft("a.craft", values, batch)
        rng = ModelRandom(BatchRandom(run_seeds(0, batch)), self.model.path)
        self.ctx = StepContext(0, 0, -1, {}, rng, [], epoch)
        self.model.initialize(self.ctx)
        self.t_ns = 0
        self.out = np.empty((batch, len(self.model.telemetry)))

    def step_to(self, t_ns: int, frame_ns: int = S) -> None:
        while self.t_ns < t_ns:
            t1 = min(self.t_ns + frame_ns, t_ns)
            self.ctx.reset(self.t_ns, t1, 1, {})
            self.model.step(self.ctx)
            self.t_ns = t1

    def telemetry(self, name: str) -> np.ndarray:
        self.model.sample(self.out)
        return self.out[:, TM[name]].copy()

    @property
    def r(self) -> np.ndarray:
        return self.model.state["r"]

    @property
    def v(self) -> np.ndarray:
        return self.model.state["v"]


def _period(a_m: float, mu: float = MU) -> float:
    return 2.0 * np.pi * np.sqrt(a_m**3 / mu)


ELEMENTS = dict(
    perigee_altitude=400e3,
    apogee_altitude=450e3,
    inclination=np.radians(51.6),
    raan=0.7,
    arg_perigee=1.1,
    true_anomaly=0.3,
)


# --- initial states ---------------------------------------------------------------------------


def test_elements_and_equivalent_state_vector_agree() -> None:
    """The elements form and the state vector computed from the same elements with
    elements.coe_to_rv (Vallado Algorithm 10) start within 1e-6 m and 1e-9 m/s, and the
    telemetry returns the elements given."""
    a = Driver(zonal_degree=0, **ELEMENTS)
    rp, ra = R_EARTH_M + 400e3, R_EARTH_M + 450e3
    ecc = (ra - rp) / (ra + rp)
    r0, v0 = elements.coe_to_rv(rp * (1 + ecc), ecc, np.radians(51.6), 0.7, 1.1, 0.3, MU)
    b = Driver(zonal_degree=0, r=list(r0), v=list(v0))
    assert np.max(np.abs(a.r - b.r)) < 1e-6 and np.max(np.abs(a.v - b.v)) < 1e-9
    for name, want in (
        ("perigee_altitude_m", 400e3),
        ("apogee_altitude_m", 450e3),
        ("inclination_rad", np.radians(51.6)),
        ("raan_rad", 0.7),
        ("arg_perigee_rad", 1.1),
        ("true_anomaly_rad", 0.3),
        ("eccentricity", ecc),
        ("period_s", _period(0.5 * (rp + ra))),
    ):
        assert a.telemetry(name)[0] == pytest.approx(want, rel=1e-9, abs=1e-6), name
    # both then propagate the same way
    a.step_to(600 * S)
    b.step_to(600 * S)
    assert np.max(np.abs(a.r - b.r)) < 1e-5


def test_moon_elements_are_in_the_lunar_equator_of_the_epoch() -> None:
    """For the Moon the elements' axes have z along the IAU 2009 pole at the epoch: a polar
    orbit there is perpendicular to that pole, and its state vector in MCI (ICRF axes) is the
    rotated coe_to_rv state."""
    d = Driver(central_body="moon", perigee_altitude=100e3, apogee_altitude=100e3, inclination=1.5)
    q = moon_equator_matrix(EPOCH)
    r0, _ = elements.coe_to_rv(R_MOON_M + 100e3, 0.0, 1.5, 0.0, 0.0, 0.0, MU_MOON_M3_S2)
    assert np.max(np.abs(d.r[0] - q.T @ r0)) < 1e-6
    pole = fr.moon_rotation(*eph.tdb_jd(EPOCH, 0)).matrix[2]
    h = np.cross(d.r[0], d.v[0])
    assert np.arccos(h @ pole / np.linalg.norm(h)) == pytest.approx(1.5, abs=1e-12)
    assert d.telemetry("inclination_rad")[0] == pytest.approx(1.5, abs=1e-12)


# Vallado, Crawford, Hujsak & Kelso (AIAA 2006-6753), verification case 00005 (Vanguard 1).
TLE1 = "1 00005U 58002B   00179.78495062  .00000023  00000-0  28098-4 0  4753"
TLE2 = "2 00005  34.2682 348.7242 1859667 331.7664  19.3264 10.82419157413667"


def test_tle_gives_the_sgp4_state_at_the_epoch() -> None:
    """A TLE starts the vehicle at the SGP4 state at the scenario epoch (not the TLE's): the
    GCRF state of tle.state_from_tle there, whose radius and speed are those of sgp4's own
    TEME state at that instant (a rotation keeps them) to 1 mm and 1 mm/s."""
    from sgp4.api import Satrec

    from houston.dynamics.tle import state_from_tle

    epoch = Epoch.from_utc("2000-06-28T00:00:00Z")
    d = Driver(epoch=epoch, tle_line1=TLE1, tle_line2=TLE2)
    s = state_from_tle(TLE1, TLE2, "2000-06-28T00:00:00Z")
    np.testing.assert_array_equal(d.r[0], s.r_gcrf_m)
    np.testing.assert_array_equal(d.v[0], s.v_gcrf_m_s)
    err, r_km, v_km_s = Satrec.twoline2rv(TLE1, TLE2).sgp4(2451723.5, 0.0)
    assert err == 0
    assert np.linalg.norm(d.r[0]) == pytest.approx(np.linalg.norm(r_km) * 1e3, abs=1e-3)
    # TEME -> GCRF velocity: the same rotation, whose rate (precession-nutation) is negligible
    assert np.linalg.norm(d.v[0]) == pytest.approx(np.linalg.norm(v_km_s) * 1e3, abs=1e-3)


def test_initial_state_forms_are_checked() -> None:
    base = {p.name: p.default for p in Spacecraft.params}
    with pytest.raises(ValueError, match="one form only"):
        Spacecraft("a.b", {**base, "r": [7e6, 0, 0], "v": [0, 7.5e3, 0], "inclination": 1.0}, 1)
    with pytest.raises(ValueError, match="one form only"):
        Spacecraft("a.b", {**base, "r": [7e6, 0, 0], "v": [0, 7.5e3, 0], "tle_line1": TLE1}, 1)
    with pytest.raises(ValueError, match="both r and v"):
        Spacecraft("a.b", {**base, "r": [7e6, 0, 0]}, 1)
    with pytest.raises(ValueError, match="perigee_altitude and apogee_altitude"):
        Spacecraft("a.b", {**base, "perigee_altitude": 3e5}, 1)
    with pytest.raises(ValueError, match="Earth orbit"):
        Spacecraft("a.b", {**base, "central_body": "moon", "tle_line1": TLE1, "tle_line2": TLE2}, 1)
    with pytest.raises(ValueError, match="Earth orbits only"):
        Spacecraft("a.b", {**base, "central_body": "moon", "drag": True}, 1)
    with pytest.raises(ValueError, match="third_body_earth"):
        Spacecraft("a.b", {**base, "third_body_earth": True}, 1)
    # none given: a circular 400 km orbit
    d = Driver()
    assert d.telemetry("perigee_altitude_m")[0] == pytest.approx(400e3, abs=1e-6)
    assert d.telemetry("apogee_altitude_m")[0] == pytest.approx(400e3, abs=1e-6)


def test_loader_reports_two_initial_states() -> None:
    text = SCENARIO.replace(
        'atmosphere = "exponential"', 'atmosphere = "exponential"\nraan_deg = 3'
    )
    with pytest.raises(ScenarioError, match="one form only"):
        loads(text)


# --- dynamics ---------------------------------------------------------------------------------


def test_point_mass_matches_kepler_over_an_orbit() -> None:
    """With a point mass only, every 1 s frame of one orbit is within 1 mm of the
    universal-variable Kepler solution (Vallado 4th ed. Algorithm 8)."""
    d = Driver(zonal_degree=0, **ELEMENTS)
    r0, v0 = d.r[0].copy(), d.v[0].copy()
    n = int(_period(R_EARTH_M + 425e3)) + 1
    rs = np.empty((n, 3))
    for k in range(n):
        d.step_to((k + 1) * S)
        rs[k] = d.r[0]
    rk, _ = kepler(r0, v0, np.arange(1, n + 1, dtype=float), MU)
    assert np.max(np.linalg.norm(rs - rk, axis=-1)) < 1e-3


def test_matches_two_body_vehicle_in_one_session() -> None:
    """vehicle.spacecraft (point mass) and vehicle.two_body on the same orbit, in one session:
    their published positions agree within 1 mm at every frame of an orbit."""
    text = """
[scenario]
name = "twins"
description = "the two-body vehicle and the Cowell spacecraft on one orbit"
epoch_utc = "2024-03-20T12:00:00Z"
duration = "2h"
frame = "1s"

[assets.a.orbit]
model = "vehicle.two_body"
perigee_altitude_km = 400.0
apogee_altitude_km = 450.0
inclination_deg = 51.6
raan_deg = 40.0
arg_perigee_deg = 60.0

[assets.b.orbit]
model = "vehicle.spacecraft"
perigee_altitude_km = 400.0
apogee_altitude_km = 450.0
inclination_deg = 51.6
raan_deg = 40.0
arg_perigee_deg = 60.0
zonal_degree = 0
"""
    s = Session(loads(text))
    s.start()
    worst = 0.0
    for _ in range(5600):
        s.step_frame()
        worst = max(worst, float(np.abs(s.bus["a.orbit.r_m"] - s.bus["b.orbit.r_m"]).max()))
    assert worst < 1e-3
    np.testing.assert_array_equal(s.bus["b.orbit.r_gcrf_m"], s.bus["b.orbit.r_m"])


def test_batch_rows_match_single_runs() -> None:
    """Three runs of one batch, given different burns, against three single runs: the rows
    share their step sizes, so they agree to the integration tolerance (1 mm after an orbit),
    not bit for bit."""
    burns = ([0.0, 5.0, 0.0], [1.0, 0.0, -3.0], [0.0, -2.0, 0.5])
    batch = Driver(batch=3, **ELEMENTS)
    singles = [Driver(**ELEMENTS) for _ in burns]
    for i, dv in enumerate(burns):
        mask = np.zeros(3, dtype=bool)
        mask[i] = True
        batch.model.command("burn", {"dv_lvlh": dv}, mask)
        singles[i].model.command("burn", {"dv_lvlh": dv}, np.ones(1, dtype=bool))
    t = 5600 * S
    batch.step_to(t)
    for i, d in enumerate(singles):
        d.step_to(t)
        assert np.linalg.norm(batch.r[i] - d.r[0]) < 1e-3
    assert np.linalg.norm(batch.r[0] - batch.r[1]) > 1e3  # the burns made them different


def test_frames_inside_a_step_are_the_propagators_dense_output() -> None:
    """Frames that end inside the integrator's last step are interpolated by the model's own
    compiled path: bit for bit the propagator's ``advance`` (J2 and drag, batch of 2, over
    several integration steps and a burn)."""
    d = Driver(batch=2, drag=True, mass=5000.0, isp=300.0, **ELEMENTS)
    m = d.model
    st = m.state
    prop = m._propagator()
    ref = prop.start(0.0, st["r"], st["v"], mass_kg=5000.0)
    for k in range(1, 901):
        if k == 400:
            m.command("burn", {"dv_lvlh": [0.0, 2.0, 0.5]}, np.array([True, False]))
            prop.impulse(ref, float(ref.t_out_s), [0.0, 2.0, 0.5], isp_s=300.0, rows=[0])
        d.step_to(k * S)
        r, v = prop.advance(ref, k * S * 1e-9)
        assert np.array_equal(st["r"], r) and np.array_equal(st["v"], v), k
        assert float(st["t_out_s"][0]) == k * S * 1e-9 and int(st["t_ns"][0]) == k * S
    assert int(st["steps"][0]) > 5  # several integration steps were crossed


def test_j2_nodal_regression_matches_the_secular_rate() -> None:
    """J2 only, 400 km circular at 51.6 deg, one day in 60 s frames: the node (measured about
    the model's pole) regresses at the first-order secular rate of Vallado 4th ed. eq. 9-41,
    dOmega/dt = -3 n R^2 J2 cos i / (2 p^2), within 0.3 %. The rate is taken from a straight
    line through the osculating node; n, p and i are day averages of the osculating values,
    which differ from mean elements at order J2 (0.1 %), the size of the agreement found."""
    d = Driver(
        perigee_altitude=400e3, apogee_altitude=400e3, inclination=np.radians(51.6), raan=0.4
    )
    pole = np.array(d.model._propagator().force_model.of(Zonal)[0].pole)
    x = np.cross([0.0, 0.0, 1.0], pole)
    x /= np.linalg.norm(x)
    q = np.array([x, np.cross(pole, x), pole])
    t, raan, a, ecc, inc = [], [], [], [], []
    for k in range(1441):
        d.step_to(k * 60 * S, frame_ns=60 * S)
        c = elements.rv_to_coe(q @ d.r[0], q @ d.v[0], MU)
        t.append(k * 60.0)
        raan.append(c.raan)
        a.append(c.a)
        ecc.append(c.ecc)
        inc.append(c.inc)
    rate = np.polyfit(t, np.unwrap(raan), 1)[0]
    a_m, e_m, i_m = np.mean(a), np.mean(ecc), np.mean(inc)
    p = a_m * (1 - e_m**2)
    want = -1.5 * np.sqrt(MU / a_m**3) * J2_EARTH * (R_EARTH_M / p) ** 2 * np.cos(i_m)
    assert rate == pytest.approx(want, rel=3e-3)
    assert np.degrees(rate) * 86400 == pytest.approx(-5.03, abs=0.01)


def test_drag_decay_matches_the_analytic_rate() -> None:
    """Drag only (exponential atmosphere, Vallado Table 8-4), circular equatorial orbit at
    310 km: over one orbit the semi-major axis falls at
    da/dt = -(a^2 v / mu) rho (Cd A / m) |v - omega x r|^2 (the co-rotating air meets the
    vehicle head-on on the equator), within 1 % (the density changes by 0.3 % as the orbit
    sinks)."""
    d = Driver(
        zonal_degree=0,
        perigee_altitude=310e3,
        apogee_altitude=310e3,
        drag=True,
        atmosphere="exponential",
        drag_coefficient=2.2,
        drag_area=10.0,
        mass=1000.0,
    )
    a0 = R_EARTH_M + 310e3
    v = np.sqrt(MU / a0)
    rho = float(atmosphere.exponential_density(310e3))
    v_rel = v - OMEGA_EARTH_RAD_S * a0
    rate = -(a0**2 * v / MU) * rho * (2.2 * 10.0 / 1000.0) * v_rel**2
    period = _period(a0)
    d.step_to(int(period) * S, frame_ns=10 * S)
    a1 = elements.rv_to_coe(d.r[0], d.v[0], MU).a
    assert a1 - a0 == pytest.approx(rate * int(period), rel=1e-2)


def test_posigrade_burn_raises_apoapsis_by_the_hohmann_relation() -> None:
    """From a circular 400 km orbit, the Hohmann first burn dv = sqrt(mu/r1) (sqrt(2 r2 /
    (r1 + r2)) - 1) to r2 = r1 + 300 km (vis-viva): the osculating apoapsis is r2 within 1 m,
    and half an orbit later the vehicle is there (point mass)."""
    d = Driver(zonal_degree=0, perigee_altitude=400e3, apogee_altitude=400e3, inclination=0.5)
    d.step_to(100 * S)
    r1 = float(np.linalg.norm(d.r[0]))
    r2 = r1 + 300e3
    dv = np.sqrt(MU / r1) * (np.sqrt(2 * r2 / (r1 + r2)) - 1)
    d.model.command("burn", {"dv_lvlh": [0.0, dv, 0.0]}, np.ones(1, dtype=bool))
    assert d.telemetry("apogee_altitude_m")[0] == pytest.approx(r2 - R_EARTH_M, abs=1.0)
    assert d.telemetry("perigee_altitude_m")[0] == pytest.approx(r1 - R_EARTH_M, abs=1.0)
    half = _period(0.5 * (r1 + r2)) / 2
    d.step_to(100 * S + round(half * S), frame_ns=10 * S)
    assert np.linalg.norm(d.r[0]) == pytest.approx(r2, abs=1.0)
    assert d.telemetry("dv_used_m_s")[0] == pytest.approx(dv, rel=1e-12)


def test_mass_follows_the_rocket_equation_and_failures_refuse_burns() -> None:
    """With Isp 300 s, m1 = m0 exp(-|dv| / (g0 Isp)) per burn; runs with propulsion_lost are
    refused (and say why) while the others burn."""
    d = Driver(batch=2, mass=1200.0, isp=300.0)
    d.model.set_failure("propulsion_lost", {}, np.array([False, True]), True)
    with pytest.raises(CommandRejected) as info:
        d.model.command("burn", {"dv_lvlh": [3.0, 40.0, 0.0]}, np.ones(2, dtype=bool))
    assert info.value.mask.tolist() == [False, True] and "propulsion" in info.value.reason
    d.step_to(30 * S)
    d.model.command("burn_inertial", {"dv": [0.0, 0.0, 10.0]}, np.array([True, False]))
    dv1 = np.hypot(3.0, 40.0)
    m = 1200.0 * np.exp(-dv1 / (G0_M_S2 * 300.0)) * np.exp(-10.0 / (G0_M_S2 * 300.0))
    assert d.telemetry("mass_kg").tolist() == pytest.approx([m, 1200.0], rel=1e-14)
    assert d.telemetry("burns").tolist() == [2.0, 0.0]
    assert d.telemetry("dv_used_m_s").tolist() == pytest.approx([dv1 + 10.0, 0.0])
    assert d.telemetry("propulsion").tolist() == [0.0, 1.0]
    with pytest.raises(CommandRejected):
        d.model.command("burn", {"dv_lvlh": [0.0, 1.0, 0.0]}, np.array([False, True]))


def test_inertial_burn_adds_the_vector() -> None:
    d = Driver(zonal_degree=0, **ELEMENTS)
    d.step_to(50 * S)
    v0 = d.v[0].copy()
    r0 = d.r[0].copy()
    d.model.command("burn_inertial", {"dv": [1.0, -2.0, 3.0]}, np.ones(1, dtype=bool))
    np.testing.assert_allclose(d.v[0] - v0, [1.0, -2.0, 3.0], atol=1e-9)
    np.testing.assert_array_equal(d.r[0], r0)


# --- telemetry --------------------------------------------------------------------------------


def test_ground_track_and_elements_against_the_frames_module() -> None:
    """Latitude, longitude and height against frames.ecef_to_geodetic of the position turned
    by the exact frames.earth_rotation (IAU 2006/2000A) at the same instant, at times on and
    between the 60 s grid: within 1e-9 rad and 1 cm (the turn about the pole between grid
    points leaves out precession-nutation over 60 s); osculating elements against
    elements.rv_to_coe to 1e-9."""
    d = Driver(**ELEMENTS)
    worst = np.zeros(3)
    for t in (0, 1, 59, 60, 61, 90, 119, 1000, 2777, 5000, 86400 // 4):
        d.step_to(t * S)
        rot = fr.earth_rotation(EPOCH, t * S)
        lat, lon, h = fr.ecef_to_geodetic(rot.position_to_fixed(d.r[0]))
        dlon = np.mod(lon - d.telemetry("longitude_rad")[0] + np.pi, 2 * np.pi) - np.pi
        worst = np.maximum(
            worst,
            np.abs([lat - d.telemetry("latitude_rad")[0], dlon, h - d.telemetry("altitude_m")[0]]),
        )
        c = elements.rv_to_coe(d.r[0], d.v[0], MU)
        for name, want in (
            ("inclination_rad", c.inc),
            ("raan_rad", c.raan),
            ("arg_perigee_rad", c.argp),
            ("true_anomaly_rad", c.nu),
            ("eccentricity", c.ecc),
        ):
            assert d.telemetry(name)[0] == pytest.approx(want, abs=1e-9), name
        assert d.telemetry("speed_m_s")[0] == pytest.approx(np.linalg.norm(d.v[0]), rel=1e-15)
    assert worst[0] < 1e-9 and worst[1] < 1e-9 and worst[2] < 1e-2, worst


def test_cheap_rotation_against_the_exact_one() -> None:
    """body_fixed_matrix (exact every 60 s, turned about the rotation vector in between)
    against frames.earth_rotation and frames.moon_rotation over a day: within 1e-9 rad."""
    t_ns = np.arange(0, 86400, 7.3) * S
    exact = fr.earth_rotation(EPOCH, t_ns.astype(np.int64)).matrix
    moon = fr.moon_rotation(*eph.tdb_jd(EPOCH, t_ns.astype(np.int64))).matrix
    for t, m_e, m_m in zip(t_ns[::97], exact[::97], moon[::97], strict=True):
        for body, m in (("earth", m_e), ("moon", m_m)):
            d = body_fixed_matrix(body, EPOCH, int(t)) @ m.T
            skew = 0.5 * (d - d.T)  # sin(angle) times the axis, in the cross-product matrix
            angle = np.linalg.norm([skew[2, 1], skew[0, 2], skew[1, 0]])
            assert angle < 1e-9, (body, t, angle)


def test_grid_blocks_against_the_exact_chain() -> None:
    """The hourly blocks of grid rotations against frames.earth_rotation and
    frames.moon_rotation at each grid point: the Earth's (CIP interpolated between every 20th
    point) within 1e-15 per element and exact at the CIP nodes, the Moon's within 1e-15."""
    from houston.dynamics import spacecraft as sc

    for kb in (0, 5, 23):
        k = np.arange(kb * sc.GRID_BLOCK, (kb + 1) * sc.GRID_BLOCK, dtype=np.int64)
        t = k * sc.ROTATION_GRID_NS
        earth = fr.earth_rotation(EPOCH, t)
        moon = fr.moon_rotation(*eph.tdb_jd(EPOCH, t))
        for body, exact in (("earth", earth), ("moon", moon)):
            blk = sc._grid_block(body, EPOCH.tai_jd1, EPOCH.tai_jd2, kb)
            m = blk[:, :9].reshape(-1, 3, 3)
            assert np.max(np.abs(m - exact.matrix)) < 1e-15, body
            assert np.max(np.abs(blk[:, 9:] - exact.omega_rad_s)) < 1e-15 * 2.7e-6, body
        nodes = slice(0, sc.GRID_BLOCK, sc.CIP_NODE_SPACING)
        m_e = sc._grid_block("earth", EPOCH.tai_jd1, EPOCH.tai_jd2, kb)[nodes, :9]
        np.testing.assert_array_equal(m_e.reshape(-1, 3, 3), earth.matrix[nodes])


def test_moon_state_is_the_hermite_product() -> None:
    """moon_state_gcrf_at (one compiled call from the hourly coefficient blocks) against the
    numpy formulation ``[1, s, s^2, s^3] @ c`` on the interval's own coefficients: the same
    values to the last bit or two (the same bits where numpy's product is OpenBLAS's fused
    multiply-add gemv), across block edges too."""
    from houston.dynamics import spacecraft as sc

    h = sc.ROTATION_GRID_NS * 1e-9
    rng = np.random.default_rng(5)
    times = np.concatenate(
        [rng.integers(0, 3 * 3600 * S, 300), np.array([0, 3600 * S - 1, 3600 * S, 7199 * S])]
    )
    for t in times:
        k, rem = divmod(int(t), sc.ROTATION_GRID_NS)
        kb, i = divmod(k, sc.GRID_BLOCK)
        r_b, v_b = sc._moon_block(EPOCH.tai_jd1, EPOCH.tai_jd2, kb)
        r_n, v_n = sc._moon_block(EPOCH.tai_jd1, EPOCH.tai_jd2, (k + 1) // sc.GRID_BLOCK)
        j = (k + 1) % sc.GRID_BLOCK
        r0, v0, r1, v1 = r_b[i], v_b[i], r_n[j], v_n[j]
        c2 = -3.0 * r0 - 2.0 * h * v0 + 3.0 * r1 - h * v1
        c3 = 2.0 * r0 + h * v0 - 2.0 * r1 + h * v1
        c_r, c_v = np.array([r0, h * v0, c2, c3]), np.array([v0, 2.0 * c2 / h, 3.0 * c3 / h])
        blk_r, blk_v = sc._moon_hermite_block(EPOCH.tai_jd1, EPOCH.tai_jd2, kb)
        np.testing.assert_array_equal(blk_r[i], c_r)
        np.testing.assert_array_equal(blk_v[i], c_v)
        s = rem / sc.ROTATION_GRID_NS
        want_r = np.array([1.0, s, s * s, s * s * s]) @ c_r
        want_v = np.array([1.0, s, s * s]) @ c_v
        r, v = sc.moon_state_gcrf_at(EPOCH, int(t))
        np.testing.assert_allclose(r, want_r, rtol=5e-16, atol=0.0)
        np.testing.assert_allclose(v, want_v, rtol=5e-16, atol=1e-15)


def test_geodetic_iteration_round_trips() -> None:
    """The telemetry's WGS-84 conversion against frames.geodetic_to_ecef (ERFA gd2gce) from
        50 km below the surface to 400,000 km, poles included: latitude to 1e-15 rad, longitude and
    height to 1e-6 m."""
    rng = np.random.default_rng(3)
    n = 4000
    lat = np.arcsin(rng.uniform(-1, 1, n))
    lat[:8] = np.pi / 2 - 10.0 ** -np.arange(1, 9)
    lat[8:16] = -lat[:8]
    lon = rng.uniform(-np.pi, np.pi, n)
    h = np.exp(rng.uniform(np.log(50e3), np.log(4e8), n)) - 100e3
    d = Driver(batch=n, zonal_degree=0)
    r_itrf = fr.geodetic_to_ecef(lat, lon, h)
    d.model.state["r"][:] = r_itrf @ body_fixed_matrix("earth", EPOCH, 0)
    assert np.max(np.abs(d.telemetry("latitude_rad") - lat)) < 1e-15
    dlon = np.mod(d.telemetry("longitude_rad") - lon + np.pi, 2 * np.pi) - np.pi
    # as a distance: near the axis a rounding of the position is a large angle
    assert np.max(np.abs(dlon) * np.hypot(r_itrf[:, 0], r_itrf[:, 1])) < 1e-6
    assert np.max(np.abs(d.telemetry("altitude_m") - h)) < 1e-6


def test_outputs_name_their_frames() -> None:
    earth = Spacecraft("a.b", {p.name: p.default for p in Spacecraft.params}, 1)
    moon = Spacecraft(
        "a.b", {**{p.name: p.default for p in Spacecraft.params}, "central_body": "moon"}, 1
    )
    frames = {o.name: o.frame for o in earth.outputs if o.frame}
    assert frames == {"r_m": "GCRF", "v_m_s": "GCRF", "r_gcrf_m": "GCRF", "v_gcrf_m_s": "GCRF"}
    frames = {o.name: o.frame for o in moon.outputs if o.frame}
    assert frames == {"r_m": "MCI", "v_m_s": "MCI", "r_gcrf_m": "GCRF", "v_gcrf_m_s": "GCRF"}


def test_circular_equatorial_conventions() -> None:
    """Singular elements follow elements.rv_to_coe: RAAN 0 on the equator, argument of
    periapsis 0 on a circle, the true anomaly then from the x axis."""
    d = Driver(zonal_degree=0, perigee_altitude=500e3, apogee_altitude=500e3, true_anomaly=0.8)
    for name, want in (("raan_rad", 0.0), ("arg_perigee_rad", 0.0), ("true_anomaly_rad", 0.8)):
        assert d.telemetry(name)[0] == pytest.approx(want, abs=1e-9), name


def test_lunar_orbit_with_the_earths_attraction() -> None:
    """A 100 km polar lunar orbit with the Earth's and the Sun's attraction, one orbit in
    10 s frames: the Earth's pull moves it by metres to kilometres against a lone Moon;
    selenographic coordinates match frames.moon_rotation (IAU 2009) exactly applied, within
    1e-9 rad and 1 mm; r_gcrf_m is the MCI position plus the DE421 Moon (1e-5 m)."""
    kw = dict(
        central_body="moon", perigee_altitude=100e3, apogee_altitude=100e3, inclination=np.pi / 2
    )
    d = Driver(third_body_earth=True, third_body_sun=True, **kw)
    alone = Driver(**kw)
    period = _period(R_MOON_M + 100e3, MU_MOON_M3_S2)
    end = int(period) * S
    t = 0
    while t < end:
        t = min(t + 600 * S, end)
        d.step_to(t, frame_ns=10 * S)
        tdb = eph.tdb_jd(EPOCH, t)
        lat, lon, h = fr.moon_fixed_to_selenographic(
            fr.moon_rotation(*tdb).position_to_fixed(d.r[0])
        )
        assert d.telemetry("latitude_rad")[0] == pytest.approx(lat, abs=1e-9)
        assert d.telemetry("longitude_rad")[0] == pytest.approx(lon, abs=1e-9)
        assert d.telemetry("altitude_m")[0] == pytest.approx(h, abs=1e-3)
        rm, vm = eph.moon_state_gcrf(*tdb)
        out = d.model.output_values()
        np.testing.assert_allclose(out["r_gcrf_m"][0], d.r[0] + rm, rtol=0, atol=1e-5)
        np.testing.assert_allclose(out["v_gcrf_m_s"][0], d.v[0] + vm, rtol=0, atol=1e-7)
    alone.step_to(end, frame_ns=10 * S)
    shift = np.linalg.norm(d.r[0] - alone.r[0])
    assert 1.0 < shift < 1e4
    assert abs(d.telemetry("altitude_m")[0] - 100e3) < 2e3


# --- the session ------------------------------------------------------------------------------

SCENARIO = """
[scenario]
name = "cowell-check"
description = "a Cowell spacecraft with every force, a burn and a failure"
epoch_utc = "2024-03-20T12:00:00Z"
duration = "20min"
frame = "1s"

[assets.craft]
description = "a vehicle started from a state vector"

[assets.craft.orbit]
model = "vehicle.spacecraft"
r_km = [6778.137, 0.0, 0.0]
v_km_s = [0.0, 4.75, 6.05]
mass_kg = 5000.0
isp_s = 310.0
zonal_degree = 4
third_body_moon = true
third_body_sun = true
drag = true
atmosphere = "exponential"

[assets.craft.orbit.limits.altitude_m]
caution_low_km = 150.0

[[timeline]]
at = "00:03:20.5"
target = "craft.orbit"
command = "burn"
dv_lvlh_m_s = [0.0, 12.0, 1.0]

[[timeline]]
at = "00:06:10.5"
target = "craft.orbit"
command = "burn"
dv_lvlh_m_s = [-2.0, 0.0, 0.0]

[[timeline]]
at = "00:07:00"
target = "craft.orbit"
failure = "propulsion_lost"

[[timeline]]
at = "00:08:00"
target = "craft.orbit"
command = "burn"
dv_lvlh_m_s = [0.0, 1.0, 0.0]
"""


def test_scenario_runs_through_loader_and_session() -> None:
    s = Session(loads(SCENARIO))
    s.run(10 * 60 * S)
    assert s.value("craft.orbit.burns")[0] == 2.0
    assert s.value("craft.orbit.propulsion")[0] == 1.0
    dv = np.hypot(12.0, 1.0) + 2.0
    assert s.value("craft.orbit.dv_used_m_s")[0] == pytest.approx(dv, rel=1e-15)
    assert s.value("craft.orbit.mass_kg")[0] == pytest.approx(
        5000.0 * np.exp(-dv / (G0_M_S2 * 310.0)), rel=1e-14
    )
    assert 300e3 < s.value("craft.orbit.altitude_m")[0] < 500e3
    assert s.bus["craft.orbit.r_gcrf_m"].shape == (1, 3)


def test_checkpoint_restore_continues_bit_for_bit(tmp_path: Any) -> None:
    """J2-J4, Moon, Sun and drag, burns inside frames before and after the checkpoint, a
    failure and a refused burn: a checkpoint taken mid-frame and restored gives the same
    telemetry and state, bit for bit, to the end."""
    s = Session(loads(SCENARIO))
    s.run(5 * 60 * S + 1)  # mid-frame, between a burn and a failure
    path = tmp_path / "cp.npz"
    s.checkpoint(path)
    frames = []
    while s.t_ns < 20 * 60 * S:
        s.step_frame()
        frames.append(s.values.copy())
    restored = Session.restore(path)
    again = []
    while restored.t_ns < 20 * 60 * S:
        restored.step_frame()
        again.append(restored.values.copy())
    np.testing.assert_array_equal(np.array(frames), np.array(again))
    for name, value in s.by_path["craft.orbit"].state.items():
        np.testing.assert_array_equal(restored.by_path["craft.orbit"].state[name], value, name)

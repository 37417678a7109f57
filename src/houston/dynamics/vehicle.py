"""A vehicle on a two-body orbit: the first model of the kernel, and the pipeline's smoke test.

The state vector is propagated exactly (universal-variable Kepler solution,
``houston.dynamics.kepler``), so the frame length does not affect accuracy. Burns are
impulsive, given in the vehicle's LVLH frame (x radial out, y along-track, z orbit normal).
Perturbations (J2, drag, third bodies) belong to the Cowell vehicle of the dynamics package.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from houston.core.constants import MU_EARTH_M3_S2, MU_MOON_M3_S2, R_EARTH_M, R_MOON_M
from houston.core.model import (
    Command,
    CommandRejected,
    Failure,
    Model,
    Param,
    Signal,
    State,
    StepContext,
    Telemetry,
)
from houston.dynamics.relative import lvlh_to_inertial

BODIES = {"earth": (MU_EARTH_M3_S2, R_EARTH_M), "moon": (MU_MOON_M3_S2, R_MOON_M)}


class TwoBodyVehicle(Model):
    """A spacecraft on a Keplerian orbit about the Earth or the Moon, with impulsive burns."""

    type_name = "vehicle.two_body"
    summary = "Spacecraft on a two-body orbit about the Earth or the Moon, with impulsive burns"
    params = (
        Param(
            "central_body",
            "1",
            "body the orbit is about",
            "earth",
            kind="str",
            choices=tuple(BODIES),
        ),
        Param(
            "perigee_altitude",
            "m",
            "periapsis altitude above the body's equatorial radius",
            min=0.0,
        ),
        Param(
            "apogee_altitude", "m", "apoapsis altitude above the body's equatorial radius", min=0.0
        ),
        Param("inclination", "rad", "orbit inclination to the equator", 0.0, min=0.0, max=np.pi),
        Param("raan", "rad", "right ascension of the ascending node", 0.0),
        Param("arg_perigee", "rad", "argument of periapsis", 0.0),
        Param("true_anomaly", "rad", "true anomaly at the epoch", 0.0),
    )
    states = (
        State("r", "m", (3,), description="position relative to the body, inertial axes"),
        State("v", "m_s", (3,), description="velocity relative to the body, inertial axes"),
        State("dv_used", "m_s", description="sum of the burns' magnitudes"),
    )
    outputs = (
        Signal("r_m", "m", (3,), "position relative to the central body, inertial axes"),
        Signal("v_m_s", "m_s", (3,), "velocity relative to the central body, inertial axes"),
    )
    telemetry = (
        Telemetry(
            "altitude_m", "m", "height above the body's equatorial radius", display_unit="km"
        ),
        Telemetry("speed_m_s", "m_s", "inertial speed", display_unit="km_s"),
        Telemetry(
            "perigee_altitude_m",
            "m",
            "periapsis altitude of the osculating orbit",
            display_unit="km",
        ),
        Telemetry(
            "apogee_altitude_m", "m", "apoapsis altitude of the osculating orbit", display_unit="km"
        ),
        Telemetry("period_s", "s", "period of the osculating orbit", display_unit="min"),
        Telemetry(
            "inclination_rad", "rad", "inclination of the osculating orbit", display_unit="deg"
        ),
        Telemetry("eccentricity", "1", "eccentricity of the osculating orbit"),
        Telemetry("dv_used_m_s", "m_s", "total delta-v of the burns made"),
        Telemetry(
            "propulsion", "1", "propulsion system state", kind="enum", states=("OK", "FAILED")
        ),
    )
    commands = (
        Command(
            "burn",
            "impulsive burn in the vehicle's LVLH frame",
            (
                Param(
                    "dv_lvlh",
                    "m_s",
                    "delta-v: x radial out, y along-track, z orbit normal",
                    kind="vector",
                    shape=(3,),
                ),
            ),
        ),
    )
    failures = (Failure("propulsion_lost", "the engine cannot fire: burns are refused"),)

    def __init__(self, path: str, params: Mapping[str, Any], batch: int) -> None:
        super().__init__(path, params, batch)
        self.mu, self.radius = BODIES[self.p["central_body"]]

    def initialize(self, ctx: StepContext) -> None:
        from houston.dynamics.elements import coe_to_rv

        rp = self.radius + self.p["perigee_altitude"]
        ra = self.radius + self.p["apogee_altitude"]
        if ra < rp:
            rp, ra = ra, rp
        ecc = (ra - rp) / (ra + rp)
        p = rp * (1.0 + ecc)
        r, v = coe_to_rv(
            p,
            ecc,
            self.p["inclination"],
            self.p["raan"],
            self.p["arg_perigee"],
            self.p["true_anomaly"],
            self.mu,
        )
        self.state["r"][:] = r
        self.state["v"][:] = v

    def step(self, ctx: StepContext) -> None:
        from houston.dynamics.kepler import propagate

        r, v = propagate(self.state["r"], self.state["v"], ctx.dt_s, self.mu)
        self.state["r"][:] = r
        self.state["v"][:] = v

    def output_values(self) -> Mapping[str, NDArray[Any]]:
        return {"r_m": self.state["r"], "v_m_s": self.state["v"]}

    def telemetry_values(self) -> Mapping[str, NDArray[Any]]:
        r, v = self.state["r"], self.state["v"]
        rn = np.linalg.norm(r, axis=-1)
        vn = np.linalg.norm(v, axis=-1)
        h = np.cross(r, v)
        hn = np.linalg.norm(h, axis=-1)
        energy = 0.5 * vn**2 - self.mu / rn
        ecc = np.sqrt(np.maximum(0.0, 1.0 + 2.0 * energy * hn**2 / self.mu**2))
        p = hn**2 / self.mu
        rp = p / (1.0 + ecc)
        with np.errstate(divide="ignore", invalid="ignore"):
            ra = np.where(ecc < 1.0, p / (1.0 - ecc), np.inf)
            a = np.where(energy < 0, -self.mu / (2.0 * energy), np.nan)
            period = 2.0 * np.pi * np.sqrt(a**3 / self.mu)
        return {
            "altitude_m": rn - self.radius,
            "speed_m_s": vn,
            "perigee_altitude_m": rp - self.radius,
            "apogee_altitude_m": ra - self.radius,
            "period_s": period,
            "inclination_rad": np.arccos(np.clip(h[:, 2] / hn, -1.0, 1.0)),
            "eccentricity": ecc,
            "dv_used_m_s": self.state["dv_used"],
            "propulsion": self.failed("propulsion_lost").astype(np.float64),
        }

    def command(self, name: str, args: Mapping[str, Any], mask: NDArray[np.bool_]) -> str | None:
        if name != "burn":
            return super().command(name, args, mask)
        dv_lvlh = np.asarray(args["dv_lvlh"], dtype=np.float64)
        able = mask & ~self.failed("propulsion_lost")
        if not able.any():
            raise CommandRejected("propulsion failed: the engine cannot fire")
        dv = lvlh_to_inertial(self.state["r"], self.state["v"], dv_lvlh)
        v = self.state["v"]
        v[able] += dv[able]
        self.state["dv_used"][able] += float(np.linalg.norm(dv_lvlh))
        text = f"Δv {np.linalg.norm(dv_lvlh):.2f} m/s (LVLH {dv_lvlh[0]:+.2f}, {dv_lvlh[1]:+.2f}, {dv_lvlh[2]:+.2f} m/s)"
        if (mask & ~able).any():
            raise CommandRejected("propulsion failed: the engine cannot fire", mask & ~able, text)
        return text

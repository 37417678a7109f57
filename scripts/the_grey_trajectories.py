"""The state vectors of the vehicles at the Moon in The Grey, designed from their encounters.

The scenario file carries the initial state of Pathfinder, Buran and Sea Dragon 17 as data
(Moon-centred, ICRF axes, at the scenario epoch), as a control centre would hand them over.
This script is how they were made; ``tests/integration/test_the_grey.py`` runs it again and
checks that the numbers in ``src/houston/scenarios/the-grey.toml`` are its output.

* **Pathfinder** flies past the Moon on a hyperbola (excess speed ``PF_VINF``) whose
  periapsis, ``PF_PERI_ALT`` above the mean radius, lies over the far side (the direction
  away from the Earth) at ``PF_PERI_T`` after the epoch, in the plane of the Moon's orbit.
  The state at the epoch is found by integrating back from periapsis on the same force model
  the scenario flies it on (the Moon, the Earth and the Sun from DE421), so the scenario's
  forward run passes through that periapsis.
* **Buran** is in a circular polar orbit ``BURAN_ALT`` high whose plane holds the far-side
  direction at ``BURAN_T``, when it crosses the lunar equator there, heading south (toward
  Shackleton), integrated back the same way.
* **Sea Dragon 17** flies a direct transfer from a 185 km Earth parking orbit that arrives
  ``SD_ARRIVAL_ALT`` above Jamestown (Shackleton rim) at ``SD_ARRIVAL_T``
  (:func:`houston.dynamics.cislunar.direct_transfer_to_site`, refined on the full model); the
  state at the epoch is taken on that coast.

Run: ``.venv/bin/python scripts/the_grey_trajectories.py`` (prints TOML fragments).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from houston.core.constants import MU_MOON_M3_S2, R_EARTH_M, R_MOON_M
from houston.core.time import Epoch
from houston.dynamics.cislunar import direct_transfer_to_site, state_at
from houston.dynamics.cislunar.bodies import Bodies
from houston.dynamics.cowell import Propagator

Array = NDArray[np.float64]

EPOCH_UTC = "1983-06-17T01:00:00Z"

PF_PERI_T = 2 * 3600.0 + 25 * 60.0
PF_PERI_ALT = 110.0e3
PF_VINF = 900.0

BURAN_T = 2 * 3600.0 + 25 * 60.0
BURAN_ALT = 100.0e3

SD_ARRIVAL_T = 2 * 3600.0 + 35 * 60.0
SD_TOF = 3.0 * 86400.0
SD_ARRIVAL_ALT = 15.0e3
SD_PARKING_ALT = 185.0e3
SD_INCLINATION = math.radians(28.5)
JAMESTOWN_LAT = math.radians(-88.74)
JAMESTOWN_LON = math.radians(124.5)


def _unit(x: Array) -> Array:
    return np.asarray(x / np.linalg.norm(x), dtype=float)


def _back(bodies: Bodies, t_s: float, r: Array, v: Array) -> tuple[Array, Array]:
    """Integrate a Moon-centred state from ``t_s`` back to the epoch."""
    prop = Propagator(bodies.moon_model(earth=True, sun=True), rtol=1e-12)
    tr = prop.propagate(t_s, r[None], v[None], 0.0)
    r0, v0 = tr.at(0.0)
    return np.asarray(r0[0]), np.asarray(v0[0])


def pathfinder(bodies: Bodies) -> tuple[Array, Array]:
    """Pathfinder's Moon-centred state at the epoch (see the module docstring)."""
    t = PF_PERI_T
    earth = _unit(bodies.earth_mci(t))
    rm, vm = bodies.moon_state_gcrf(t)
    normal = _unit(np.cross(rm, vm))  # the pole of the Moon's orbit about the Earth
    r_p = R_MOON_M + PF_PERI_ALT
    r = -earth * r_p
    v_dir = _unit(np.cross(normal, -earth))
    v = v_dir * math.sqrt(PF_VINF**2 + 2.0 * MU_MOON_M3_S2 / r_p)
    return _back(bodies, t, r, v)


def buran(bodies: Bodies) -> tuple[Array, Array]:
    """Buran's Moon-centred state at the epoch (see the module docstring)."""
    t = BURAN_T
    pole = bodies.moon_pole(t)
    far = -_unit(bodies.earth_mci(t))
    far_eq = _unit(far - np.dot(far, pole) * pole)
    r_b = R_MOON_M + BURAN_ALT
    r = far_eq * r_b
    v = -pole * math.sqrt(MU_MOON_M3_S2 / r_b)
    return _back(bodies, t, r, v)


def sea_dragon(epoch: Epoch) -> tuple[Array, Array, float]:
    """Sea Dragon 17's Moon-centred state at the epoch and its arrival miss (m)."""
    arr = direct_transfer_to_site(
        epoch,
        SD_ARRIVAL_T - SD_TOF,
        R_EARTH_M + SD_PARKING_ALT,
        SD_INCLINATION,
        JAMESTOWN_LAT,
        JAMESTOWN_LON,
        SD_TOF,
        arrival_altitude_m=SD_ARRIVAL_ALT,
    )
    r, v = state_at(arr.path, np.array([0.0]), frame="MCI")
    return np.asarray(r[0]), np.asarray(v[0]), float(arr.miss_m)


def states() -> dict[str, tuple[Array, Array]]:
    """Every designed state, Moon-centred, at the epoch."""
    epoch = Epoch.from_utc(EPOCH_UTC)
    bodies = Bodies(epoch)
    r_sd, v_sd, _ = sea_dragon(epoch)
    return {
        "pathfinder": pathfinder(bodies),
        "buran": buran(bodies),
        "sea_dragon": (r_sd, v_sd),
    }


def _fmt(x: Array, digits: int) -> str:
    return "[" + ", ".join(f"{c:.{digits}f}" for c in x) + "]"


def main() -> None:
    for name, (r, v) in states().items():
        print(f"# {name}: |r| = {np.linalg.norm(r) / 1e3:.1f} km, |v| = {np.linalg.norm(v):.1f} m/s")
        print(f"r_m = {_fmt(r, 3)}")
        print(f"v_m_s = {_fmt(v, 6)}")


if __name__ == "__main__":
    main()

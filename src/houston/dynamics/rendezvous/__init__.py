"""Rendezvous: relative state, targeting, the coelliptic sequence, docking opportunities.

* :mod:`.plan`: the chaser's state in the target's LVLH frame, burn plans, Clohessy-Wiltshire
  and Lambert two-impulse targeting.
* :mod:`.coelliptic`: the Gemini/Apollo coelliptic sequence (NC, NH, NSR, TPI, TPF).
* :mod:`.opportunities`: state vectors handed over with their epoch, and the docking
  opportunity finder (daylight, ground contact, closing rate, Δv budget).

SI units throughout (m, m/s, s, rad); GCRF axes for inertial vectors; LVLH axes x radial
(out), y along-track, z orbit normal.
"""

from houston.dynamics.rendezvous.coelliptic import (
    TPI_ELEVATION_RAD,
    TPI_TRANSFER_RAD,
    CoellipticPlan,
    coelliptic_dv,
    coelliptic_sequence,
    height_adjust_dv,
    height_difference,
    time_to_travel,
    tpi_time,
)
from houston.dynamics.rendezvous.opportunities import (
    DockingConstraints,
    Opportunity,
    StateVector,
    find_opportunities,
    in_cylindrical_shadow,
    sunlit,
)
from houston.dynamics.rendezvous.plan import (
    Burn,
    BurnPlan,
    RelativeState,
    cw_plan,
    lambert_dv,
    lambert_plan,
    los_elevation,
    relative_state,
)

__all__ = [
    "TPI_ELEVATION_RAD",
    "TPI_TRANSFER_RAD",
    "Burn",
    "BurnPlan",
    "CoellipticPlan",
    "DockingConstraints",
    "Opportunity",
    "RelativeState",
    "StateVector",
    "coelliptic_dv",
    "coelliptic_sequence",
    "cw_plan",
    "find_opportunities",
    "height_adjust_dv",
    "height_difference",
    "in_cylindrical_shadow",
    "lambert_dv",
    "lambert_plan",
    "los_elevation",
    "relative_state",
    "sunlit",
    "time_to_travel",
    "tpi_time",
]

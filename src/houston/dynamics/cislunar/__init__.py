"""Cislunar trajectories: translunar injection, lunar orbit, descent to a surface site.

* :mod:`.bodies`: the Earth, Moon and Sun of a run (DE421 callables of the kernel time in
  seconds, the Moon's IAU 2009 pole), the Earth- and Moon-centred force models, the Moon's
  sphere of influence.
* :mod:`.conics`: approach hyperbolas and the B-plane.
* :mod:`.translunar`: the patched-conic TLI (:func:`patched_conic_tli`), its refinement on
  the Earth–Moon–Sun model (:func:`refine_tli`), the parking orbit before the burn
  (:func:`parking_path`).
* :mod:`.lunar`: lunar orbit insertion (:func:`lunar_orbit_insertion`), a given low lunar
  orbit (:func:`low_lunar_orbit`), a descent-orbit insertion over a surface site
  (:func:`transfer_to_site`).
* :mod:`.direct`: a direct Earth–Moon transfer that arrives above a surface site at a given
  time (:func:`direct_transfer_to_site`), for a resupply rocket.
* :mod:`.path`: legs strung into a :class:`CislunarPath`, :func:`state_at` in GCRF or MCI,
  :func:`sphere_crossings` (a "blockade line" around the Moon).

Everything propagates with :class:`houston.dynamics.cowell.Propagator`. Times are seconds
from the scenario epoch; SI units (m, m/s, s, rad); GCRF and MCI share ICRF axes.
"""

from houston.dynamics.cislunar.bodies import EARTH_MOON_MEAN_DISTANCE_M, SOI_MOON_M, Bodies
from houston.dynamics.cislunar.conics import (
    Approach,
    approach_from_state,
    b_for_periapsis,
    b_target,
    b_through_point,
    incoming_state,
)
from houston.dynamics.cislunar.direct import DirectArrival, direct_transfer_to_site
from houston.dynamics.cislunar.lunar import (
    LunarOrbit,
    MoonModel,
    SiteArrival,
    low_lunar_orbit,
    lunar_orbit_insertion,
    transfer_to_site,
)
from houston.dynamics.cislunar.path import (
    FRAMES,
    CislunarPath,
    Crossing,
    Leg,
    sphere_crossings,
    state_at,
)
from houston.dynamics.cislunar.translunar import (
    ArrivalTarget,
    Miss,
    Perilune,
    TliPlan,
    Translunar,
    parking_path,
    patched_conic_tli,
    refine_tli,
)

__all__ = [
    "EARTH_MOON_MEAN_DISTANCE_M",
    "FRAMES",
    "SOI_MOON_M",
    "Approach",
    "ArrivalTarget",
    "Bodies",
    "CislunarPath",
    "Crossing",
    "DirectArrival",
    "Leg",
    "LunarOrbit",
    "Miss",
    "MoonModel",
    "Perilune",
    "SiteArrival",
    "TliPlan",
    "Translunar",
    "approach_from_state",
    "b_for_periapsis",
    "b_target",
    "b_through_point",
    "direct_transfer_to_site",
    "incoming_state",
    "low_lunar_orbit",
    "lunar_orbit_insertion",
    "parking_path",
    "patched_conic_tli",
    "refine_tli",
    "sphere_crossings",
    "state_at",
    "transfer_to_site",
]

"""Crew exposure to low pressure and vacuum: hypoxia, ebullism, injury and status.

Units: pressures in Pa, times in s. Every function broadcasts over any leading axes (batch of
runs, people): one person in one run is an array of shape (1, 1).

What the sources say
--------------------
* **Armstrong limit.** Below the saturated vapour pressure of water at body temperature
  (37 C), body water boils (ebullism): 6.28 kPa, usually quoted as 47 mmHg (6.27 kPa). The
  vapour pressure is that of the IAPWS-IF97 saturation equation (region 4), 6.282 kPa at
  310.15 K (Buck 1981, *J. Appl. Meteorol.* 20, 1527: 6.280 kPa). In the 1976 U.S. Standard
  Atmosphere that pressure is reached near 19.1 km (63,000 ft). The limit is named after
  Harry G. Armstrong. Because the inspired gas is saturated with water vapour at 37 C, the
  same 6.28 kPa is subtracted from the ambient pressure in the inspired O2 partial pressure
  (standard respiratory physiology: P_IO2 = F_IO2 (P_B - 47 mmHg)); below the Armstrong limit
  no oxygen can be inspired at all.
* **Time of useful consciousness at vacuum.** NASA SP-3006, *Bioastronautics Data Book*,
  2nd ed. (Parker and West, eds., 1973) is the source usually quoted for 9-12 s of useful
  consciousness after a rapid decompression to near vacuum, the time for deoxygenated blood
  to reach the brain (the lungs give up their oxygen to the vacuum). The value is taken here
  from secondary summaries of that book and of NASA CR-1223 (E. M. Roth, *Rapid (Explosive)
  Decompression Emergencies in Pressure-Suited Subjects*, 1968); the page was not checked.
* **The Manned Spacecraft Center suit-leak case.** A test subject at NASA's Manned Spacecraft
  Center, Houston, was exposed to a near vacuum (below 1 psi, 6.9 kPa) in a vacuum chamber
  when his suit leaked. As recounted by an engineer who was present (and often quoted; the
  account dates it 1965, other accounts date the same or a similar accident 14 December 1966),
  he stayed conscious for about 14 s, repressurisation began within about 15 s, and he
  regained consciousness at about 15,000 ft equivalent altitude, with no lasting injury
  reported. REFERENCES.md lists the case under NASA CR-1223; that report's text was not
  checked here, so no page is cited.
* **Animal data.** Anaesthetised dogs rapidly decompressed to 1-2 mmHg (Bancroft and Dunn,
  *Experimental Animal Decompressions to a Near-Vacuum Environment*, 1965; 126 animals) as
  summarised in secondary sources: exposures up to about 90 s were survived, usually with
  recovery; at about 120 s and beyond most died. Chimpanzees (USAF experiments of the mid
  1960s, summarised in the same secondary sources) survived exposures up to about 3.5 min
  (210 s) with apparently full recovery. Those summaries are quoted; the primary reports
  were not checked.

The model (assumptions marked as such)
--------------------------------------
Inputs per person per step: ambient total pressure p (Pa), O2 partial pressure ppO2 (Pa),
step dt (s), taken constant over the step. The step is integrated exactly for constant
inputs, so results do not depend on how a constant exposure is cut into steps.

1. Inspired O2: P_IO2 = ppO2 * max(1 - 6.282 kPa / p, 0).
2. Hypoxic dose rate w(P_IO2) in "seconds of vacuum per second", from 0 to 1:
   w = clip((P_ok - P_IO2) / (P_ok - P_0), 0, 1)^4, with P_ok = 10.66 kPa, the inspired
   ppO2 of air at 15,000 ft (57.2 kPa in the 1976 standard atmosphere; 14 CFR 91.211 requires
   oxygen for every occupant above that cabin altitude) and P_0 = 1.5 kPa (assumption: at or
   below it, as at vacuum). The exponent 4 is an assumption; it gives impairment after about
   15 s at 40,000 ft, 1 min at 30,000 ft, 4 min at 25,000 ft and 13 min at 22,000 ft, the order
   of the classic altitude time-of-useful-consciousness tables of aviation physiology (not a
   fit to a cited table; too lenient below about 20,000 ft). At vacuum w = 1 by construction,
   so the vacuum thresholds below are in seconds of exposure.
3. Acute hypoxia dose D (s): grows at w while w > 0, saturates at :data:`HYPOXIA_CAP_S`
   (the brain's oxygen store is empty; assumption); when P_IO2 >= P_ok it decays with time
   constant :data:`RECOVERY_TIME_S` (10 s, assumption: fast return of consciousness on
   repressurisation, as in the MSC case).
4. Status from D: IMPAIRED from :data:`IMPAIRED_AFTER_S` = 9 s (the low end of SP-3006's 9-12 s
   of useful consciousness), UNCONSCIOUS from :data:`UNCONSCIOUS_AFTER_S` = 14 s (the MSC case).
5. Injury I (s): irreversible; grows at w while the person is unconscious from hypoxia
   (D >= 14 s). DEAD when the total time to death at vacuum, 14 s + I, reaches
   :data:`LETHAL_VACUUM_EXPOSURE_S` = 150 s (central value between the dogs' 90 s survived /
   120 s mostly fatal and the chimpanzees' 210 s survived; uncertainty at least 90-210 s).
   Anyone with I > 0 stays at least IMPAIRED after recovery (dogs needed 10-15 min to walk
   and were blind for a while, per the same summaries). DEAD is absorbing.
6. Ebullism dose E (s): time spent below the Armstrong limit. Reported, not used for status:
   below the limit no O2 can be inspired, so w = 1 there already, and the animal data that
   anchor the lethal time include ebullism.

Uncertainty: the vacuum thresholds are good to perhaps +-30 % for an individual (9-15 s to
unconsciousness; 90-210 s to death); exposure of a person who holds their breath (lung
rupture), cold, exercise and injuries are not modelled; partial-pressure exposures between
vacuum and 15,000 ft rest on the assumed shape of w.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

_F = NDArray[np.float64]

#: Saturated vapour pressure of water at 37 C, Pa (IAPWS-IF97: 6.282 kPa; 47 mmHg = 6.27 kPa).
WATER_VAPOUR_PRESSURE_37C_PA = 6_282.0
#: Armstrong limit: ambient pressure below which body water boils at 37 C, Pa.
ARMSTRONG_LIMIT_PA = WATER_VAPOUR_PRESSURE_37C_PA

#: Time of useful consciousness after rapid decompression to vacuum, s: the 9-12 s range
#: quoted from NASA SP-3006 (1973) (through secondary summaries).
VACUUM_USEFUL_CONSCIOUSNESS_S = (9.0, 12.0)
#: MSC suit-leak case: conscious for about 14 s at near vacuum.
MSC_CASE_CONSCIOUS_S = 14.0
#: Dogs at 1-2 mmHg (Bancroft and Dunn 1965, via summaries): survived up to about 90 s...
DOG_SURVIVED_S = 90.0
#: ...and mostly died at about 120 s and beyond.
DOG_MOSTLY_FATAL_S = 120.0
#: Chimpanzees (USAF, mid 1960s, via summaries): survived exposures up to about 3.5 min.
CHIMPANZEE_SURVIVED_S = 210.0

#: Model thresholds, in seconds of exposure to vacuum (see the module docstring).
IMPAIRED_AFTER_S = VACUUM_USEFUL_CONSCIOUSNESS_S[0]
UNCONSCIOUS_AFTER_S = MSC_CASE_CONSCIOUS_S
LETHAL_VACUUM_EXPOSURE_S = 150.0
#: Injury (time unconscious at vacuum) at which the model declares death, s.
LETHAL_INJURY_S = LETHAL_VACUUM_EXPOSURE_S - UNCONSCIOUS_AFTER_S

#: Inspired O2 partial pressure above which hypoxia neither accrues nor persists, Pa: air at
#: 15,000 ft (57.18 kPa): 0.2095 * (57.18 - 6.28) kPa = 10.66 kPa.
INSPIRED_O2_NO_EFFECT_PA = 10_660.0
#: Inspired O2 partial pressure at or below which the dose accrues as at vacuum, Pa (assumed).
INSPIRED_O2_ANOXIC_PA = 1_500.0
#: Exponent of the hypoxic dose-rate curve (assumed).
HYPOXIA_EXPONENT = 4.0
#: Acute hypoxia dose at which the brain's oxygen store is taken as empty, s (assumed).
HYPOXIA_CAP_S = 20.0
#: Time constant of recovery of the acute hypoxia dose when oxygenated, s (assumed).
RECOVERY_TIME_S = 10.0

#: Status codes.
NOMINAL, IMPAIRED, UNCONSCIOUS, DEAD = 0, 1, 2, 3
STATUS_NAMES = ("NOMINAL", "IMPAIRED", "UNCONSCIOUS", "DEAD")


@dataclass(frozen=True)
class PhysiologyState:
    """Doses of every person, arrays of one shape (e.g. (runs, people)), in seconds.

    ``hypoxia_s``: acute hypoxia dose D; ``ebullism_s``: time below the Armstrong limit;
    ``injury_s``: irreversible injury I (time unconscious from hypoxia, weighted by w).
    """

    hypoxia_s: _F
    ebullism_s: _F
    injury_s: _F

    def __post_init__(self) -> None:
        arrays = [np.asarray(a, dtype=float) for a in (self.hypoxia_s, self.ebullism_s)]
        arrays.append(np.asarray(self.injury_s, dtype=float))
        if len({a.shape for a in arrays}) != 1:
            raise ValueError("hypoxia_s, ebullism_s and injury_s must have one shape")
        object.__setattr__(self, "hypoxia_s", arrays[0])
        object.__setattr__(self, "ebullism_s", arrays[1])
        object.__setattr__(self, "injury_s", arrays[2])


def initial_state(shape: int | tuple[int, ...]) -> PhysiologyState:
    """Everyone healthy: all doses zero, of the given shape (e.g. (runs, people))."""
    z = np.zeros(shape)
    return PhysiologyState(z, z.copy(), z.copy())


def inspired_o2_Pa(ambient_pressure_Pa: ArrayLike, o2_partial_pressure_Pa: ArrayLike) -> _F:
    """Inspired (humidified, 37 C) O2 partial pressure, Pa: ppO2 * max(1 - 6.282 kPa / p, 0)."""
    p = np.asarray(ambient_pressure_Pa, dtype=float)
    pp = np.asarray(o2_partial_pressure_Pa, dtype=float)
    dry = np.divide(
        np.maximum(p - WATER_VAPOUR_PRESSURE_37C_PA, 0.0),
        p,
        out=np.zeros(np.broadcast(p, pp).shape),
        where=p > 0.0,
    )
    return np.maximum(pp, 0.0) * dry


def hypoxia_rate(inspired_o2_pa: ArrayLike) -> _F:
    """Hypoxic dose rate w, seconds of vacuum-equivalent exposure per second (0 to 1)."""
    x = (INSPIRED_O2_NO_EFFECT_PA - np.asarray(inspired_o2_pa, dtype=float)) / (
        INSPIRED_O2_NO_EFFECT_PA - INSPIRED_O2_ANOXIC_PA
    )
    return np.clip(x, 0.0, 1.0) ** HYPOXIA_EXPONENT


def step(
    state: PhysiologyState,
    ambient_pressure_Pa: ArrayLike,
    o2_partial_pressure_Pa: ArrayLike,
    dt_s: float,
) -> PhysiologyState:
    """Advance every person by ``dt_s`` at constant ambient pressure and ppO2 (both Pa).

    Exact for constant inputs over the step. Inputs broadcast to the state's shape.
    """
    if not dt_s >= 0.0:
        raise ValueError("dt_s must be >= 0")
    shape = state.hypoxia_s.shape
    p = np.broadcast_to(np.asarray(ambient_pressure_Pa, dtype=float), shape)
    pp_o2 = np.broadcast_to(np.asarray(o2_partial_pressure_Pa, dtype=float), shape)
    w = hypoxia_rate(inspired_o2_Pa(p, pp_o2))
    d = state.hypoxia_s
    hypoxic = w > 0.0
    # Time within the step spent unconscious (D >= threshold) while hypoxic.
    w_safe = np.where(hypoxic, w, 1.0)
    t_reach = np.clip((UNCONSCIOUS_AFTER_S - d) / w_safe, 0.0, None)
    t_unconscious = np.where(hypoxic, np.clip(dt_s - t_reach, 0.0, dt_s), 0.0)
    injury = state.injury_s + w * t_unconscious
    # D grows while hypoxic (w > 0) and decays only when w == 0 (P_IO2 >= 10.66 kPa).
    d_new = np.where(
        hypoxic, np.minimum(d + w * dt_s, HYPOXIA_CAP_S), d * np.exp(-dt_s / RECOVERY_TIME_S)
    )
    ebullism = state.ebullism_s + np.where(p < ARMSTRONG_LIMIT_PA, dt_s, 0.0)
    return PhysiologyState(hypoxia_s=d_new, ebullism_s=ebullism, injury_s=injury)


def status(state: PhysiologyState) -> NDArray[np.int8]:
    """Status code of every person: NOMINAL 0, IMPAIRED 1, UNCONSCIOUS 2, DEAD 3."""
    d, injury = state.hypoxia_s, state.injury_s
    code = np.full(d.shape, NOMINAL, dtype=np.int8)
    code[(d >= IMPAIRED_AFTER_S) | (injury > 0.0)] = IMPAIRED
    code[d >= UNCONSCIOUS_AFTER_S] = UNCONSCIOUS
    code[injury >= LETHAL_INJURY_S] = DEAD
    return code

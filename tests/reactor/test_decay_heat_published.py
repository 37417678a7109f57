"""Decay heat against an independent published evaluation, and the kinetics data of the bundled
set against KRUSTY's published values.

Decay heat
----------
Oracle: the U-235 thermal-fission decay power of the revised standard, ANSI/ANS-5.1-2005,
through its own 23-group fit ``F(t, inf) = sum_i alpha_i / lambda_i exp(-lambda_i t)`` in MeV
per fission. The revision re-evaluated the
fission-product decay data; its U-235 coefficients differ from the 1979 ones in every group
(its first group is ``5.28e-4`` MeV/(fission s) at ``2.72 /s`` where the 1979 fit has
``0.651`` at ``22.1 /s``), so this is a second evaluation of the same physical quantity, not a
second transcription of our fit.

The coefficients below are those of the Fortran module ``Decay`` of the US NRC's fuel-rod codes
(FRAPCON/FRAPTRAN family; function ``fans51`` by K. Geelhood, PNNL, modified by I. Porter, NRC,
2015, citing "ANSI/ANS-5.1-2004", the revision published as ANSI/ANS-5.1-2005), checked digit
by digit against a second public transcription (the FLARE plant simulator by R. P. Martin,
function ``dhp_u235``, 2005 branch); the two differ only in the 18th decay constant (3.2955e-9 against
3.2956e-9 /s), which moves F by less than 1e-7 of itself at every time tested.

What we could not do: compare with the tabulated F(t, inf) values printed in ANSI/ANS-5.1-1979
itself; we did not find them reproduced in a source we could read.

Tolerance: 1 % of F, i.e. 0.12 MeV/fission (0.06 % of operating power) at 1 s and
0.010 MeV/fission (0.005 % of operating power) at 1 day. The two evaluations agree to 0.6 %
(observed: -0.55 % at 1 s, -0.05 % at 10 s, -0.09 % at 100 s, -0.15 % at 1000 s, -0.30 % at
1e4 s, -0.58 % at 1e5 s and -0.56 % at 1 day, the 1979 fit below). 1 % is a bound on the
disagreement of two evaluations of the same data. In the plant it is worth under a minute
of countdown: a month of operation instead of a year gives 5-9 % less decay heat over the
first 45 minutes and moves core damage from 45.9 to 52.8 minutes (``docs/reactor.md``). A
wrong Q (190 or 210 MeV) breaks the comparison at every time (tested below).

KRUSTY kinetics
---------------
The bundled set's total delayed-neutron fraction (0.0065, Keepin's U-235 value) against the
published values for KRUSTY's highly enriched U-7.65Mo core: 0.0065 assumed in the analysis
of the warm critical experiments (Poston et al., "Results of the KRUSTY warm critical
experiments", Nucl. Technol. 206 sup1, 2020, as quoted by the NEAMS Virtual Test Bed KRUSTY
model, idaholab/virtual_test_bed, 30-cent reactivity insertion page), 0.0066 calculated in the
ICSBEP benchmark HEU-MET-FAST-101 (Smith 2019, same source) and 0.0069 from the Virtual Test
Bed's Serpent model.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from houston.reactor import decay_heat as dh
from houston.reactor import design, kinetics

# ANSI/ANS-5.1-2005 U-235 thermal fission, 23 groups: alpha_i MeV/(fission s), lambda_i 1/s
# (NRC fuel-rod codes, Fortran module Decay, alphaU235 and lambdaU235).
ANS_2005_U235 = [
    (5.2800e-04, 2.7216e00),
    (6.8588e-01, 1.0256e00),
    (4.0752e-01, 3.1419e-01),
    (2.1937e-01, 1.1788e-01),
    (5.7701e-02, 3.4365e-02),
    (2.2530e-02, 1.1762e-02),
    (3.3392e-03, 3.6065e-03),
    (9.3667e-04, 1.3963e-03),
    (8.0899e-04, 6.2608e-04),
    (1.9572e-04, 1.8924e-04),
    (3.2609e-05, 5.5074e-05),
    (7.5827e-06, 2.0971e-05),
    (2.5189e-06, 9.9940e-06),
    (4.9836e-07, 2.5401e-06),
    (1.8523e-07, 6.6332e-07),
    (2.6592e-08, 1.2281e-07),
    (2.2356e-09, 2.7163e-08),
    (8.9582e-12, 3.2955e-09),
    (8.5968e-11, 7.4225e-10),
    (2.1072e-14, 2.4681e-10),
    (7.1219e-16, 1.5596e-13),
    (8.1126e-17, 2.2573e-14),
    (9.4678e-17, 2.0503e-14),
]
#: The one digit where the second transcription differs: group 18's decay constant.
ANS_2005_LAMBDA18_ALT = 3.2956e-09

Q_MEV = 200.0
DAY_S = 86_400.0
#: The times the issue asks for, 1 s to 1 day.
TIMES_S = (1.0, 10.0, 100.0, 1.0e3, 1.0e4, 1.0e5, DAY_S)
#: Relative tolerance on F(t, inf); see the module docstring.
REL_TOL = 0.01


def ans_2005_mev(t_s: float, pairs: list[tuple[float, float]] = ANS_2005_U235) -> float:
    """F(t, inf) of the 2005 fit, MeV per fission."""
    return math.fsum(a / lam * math.exp(-lam * t_s) for a, lam in pairs)


def ours_mev(t_s: float, **kwargs: float) -> float:
    return float(dh.fraction(t_s, np.inf, **kwargs)) * kwargs.get("q_mev", Q_MEV)


@pytest.mark.parametrize("t_s", TIMES_S)
def test_infinite_operation_matches_the_2005_evaluation(t_s: float) -> None:
    published = ans_2005_mev(t_s)
    ours = ours_mev(t_s)
    assert abs(ours - published) <= REL_TOL * published, (
        f"t = {t_s:g} s: ANS-5.1-1979 fit {ours:.4f} MeV, ANS-5.1-2005 {published:.4f} MeV"
    )


def test_measured_agreement_is_what_the_docs_state() -> None:
    """The largest disagreement over 1 s .. 1 day, and its sign: the 1979 fit lies below the
    2005 evaluation at every time, by at most 0.6 % (``docs/reactor.md`` quotes these)."""
    t = np.logspace(0.0, math.log10(DAY_S), 200)
    ratio = np.array([ours_mev(x) / ans_2005_mev(x) for x in t])
    assert np.all(ratio < 1.0)
    assert 1.0 - ratio.min() == pytest.approx(0.0058, abs=0.0005)


def test_the_two_transcriptions_of_the_2005_fit_agree() -> None:
    alt = list(ANS_2005_U235)
    alt[17] = (alt[17][0], ANS_2005_LAMBDA18_ALT)
    for t_s in (0.0, *TIMES_S):
        assert ans_2005_mev(t_s, alt) == pytest.approx(ans_2005_mev(t_s), rel=1e-7)


@pytest.mark.parametrize("q_mev", [190.0, 210.0])
def test_the_comparison_fails_for_a_wrong_energy_per_fission(q_mev: float) -> None:
    """Normalising the fit on the wrong Q moves P/P0 by 5 %, beyond the tolerance: compare
    the decay power fraction with the 2005 value over the standard's 200 MeV."""
    for t_s in TIMES_S:
        wrong = float(dh.fraction(t_s, np.inf, q_mev=q_mev))
        published = ans_2005_mev(t_s) / Q_MEV
        assert abs(wrong - published) > REL_TOL * published


def test_bundled_delayed_neutron_fraction_against_krusty() -> None:
    """beta_total of the bundled set within the spread of KRUSTY's published values
    (0.0065 assumed by Poston et al. 2020, 0.0066 ICSBEP HEU-MET-FAST-101, 0.0069 Serpent):
    within 0.0004 of 0.0066, i.e. 6 %, about 2 cents per dollar of the drums' worth."""
    beta = float(design.DEFAULTS["beta_total"])
    assert beta == kinetics.BETA_TOTAL_U235
    assert abs(beta - 0.0066) <= 0.0004

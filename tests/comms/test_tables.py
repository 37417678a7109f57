"""The Earth and the Moon of the frame loop (houston.comms.tables) against full evaluations
(houston.comms.visibility.environment: ERFA's IAU 2006/2000A chain with the IERS tables,
DE421, the IAU 2009 lunar rotation), within the bounds of the module docstring: the Earth's
matrix within 2e-12 (0.013 mm at the Earth's surface, 0.8 mm at the Moon's distance), the
Moon's position within 0.1 mm, its rotation within 2e-12."""

from __future__ import annotations

import numpy as np
import pytest

from houston.comms import tables
from houston.comms.visibility import environment, environment_at
from houston.core.time import NS_PER_S, Epoch

EPOCH = Epoch(2446263.5, (16 * 3600 + 23.0) / 86400.0, "1985-07-17T16:00:00Z")
#: An epoch at an odd second, so that the IERS table's daily rows (0h UTC) fall between
#: knots rather than on them. 2024-03-01T16:04:07Z (TAI - UTC = 37 s): IERS Rapid Service
#: values rather than C04.
ODD_EPOCH = Epoch(2460370.5, (16 * 3600 + 4 * 60 + 7 + 37.0) / 86400.0, "2024-03-01T16:04:07Z")


def _errors(epoch: Epoch, t_s: np.ndarray) -> dict[str, float]:
    worst = dict.fromkeys(("earth", "earth_omega", "moon_r", "moon_v", "moon", "moon_omega"), 0.0)
    full = environment(epoch, np.asarray(t_s, dtype=np.int64) * NS_PER_S)
    for i, t in enumerate(t_s):
        e = environment_at(epoch, int(t) * NS_PER_S)
        worst["earth"] = max(worst["earth"], np.abs(e.earth_matrix - full.earth_matrix[i]).max())
        worst["earth_omega"] = max(
            worst["earth_omega"], np.abs(e.earth_omega_rad_s - full.earth_omega_rad_s[i]).max()
        )
        worst["moon_r"] = max(
            worst["moon_r"], np.linalg.norm(e.r_moon_gcrf_m - full.r_moon_gcrf_m[i])
        )
        worst["moon_v"] = max(
            worst["moon_v"], np.linalg.norm(e.v_moon_gcrf_m_s - full.v_moon_gcrf_m_s[i])
        )
        worst["moon"] = max(worst["moon"], np.abs(e.moon_matrix - full.moon_matrix[i]).max())
        worst["moon_omega"] = max(
            worst["moon_omega"], np.abs(e.moon_omega_rad_s - full.moon_omega_rad_s[i]).max()
        )
    return worst


@pytest.mark.parametrize("epoch", [EPOCH, ODD_EPOCH], ids=["1985", "2024"])
def test_interpolated_environment_matches_full_evaluations(epoch: Epoch) -> None:
    """Every 347 s over two days either side of the epoch (every phase of the knots, four
    daily rows of the IERS table)."""
    t = np.arange(-2 * 86_400, 2 * 86_400, 347)
    err = _errors(epoch, t)
    assert err["earth"] < 2e-12
    assert err["earth_omega"] < 1e-18  # of 7.3e-5 rad/s
    assert err["moon_r"] < 1e-4
    assert err["moon_v"] < 1e-6
    assert err["moon"] < 2e-12
    assert err["moon_omega"] < 1e-14  # of 2.7e-6 rad/s


def test_earth_rotation_exact_across_an_iers_row() -> None:
    """UT1 - TAI bends at each daily row of the IERS table (0h UTC); across it, every second
    of the knot interval that holds the row gives the full evaluation's matrix."""
    # 0h UTC on 2024-03-02 is 7 h 55 min 53 s after the odd epoch.
    row = 7 * 3600 + 55 * 60 + 53
    start = row - row % tables.KNOT_S
    t = np.arange(start, start + tables.KNOT_S + 1)
    assert start < row < start + tables.KNOT_S
    err = _errors(ODD_EPOCH, t)
    assert err["earth"] < 2e-12
    assert err["earth_omega"] < 1e-18


def test_knots_are_full_evaluations() -> None:
    """At a knot nothing is interpolated: the Earth's matrix is ERFA's product to
    round-off, the Moon's state DE421's."""
    t = np.arange(-3, 4) * tables.KNOT_S
    err = _errors(EPOCH, t)
    assert err["earth"] < 1e-15
    assert err["moon_r"] == 0.0


def test_a_time_gives_the_same_environment_whatever_came_before() -> None:
    x = tables.packed_at(EPOCH, 4321 * NS_PER_S).copy()
    tables._ROWS.clear()
    tables._TABLES.clear()
    tables._last = (None, 0, np.empty(0))
    tables.packed_at(EPOCH, 99_999 * NS_PER_S)
    np.testing.assert_array_equal(tables.packed_at(EPOCH, 4321 * NS_PER_S), x)
    assert not tables.packed_at(EPOCH, 4321 * NS_PER_S).flags.writeable


def test_earth_rotation_angle_is_erfas() -> None:
    """The rotation angle is evaluated at each time, not interpolated: erfa.era00's value to
    the last bit, for two-part UT1 dates as the frame loop makes them."""
    import erfa

    rng = np.random.default_rng(5)
    d1 = 2_446_263.5 + rng.integers(-20_000, 20_000, 500).astype(float)
    d2 = rng.uniform(-0.5, 1.5, 500)
    ours = np.array([tables._era(a, b) for a, b in zip(d1, d2, strict=True)])
    np.testing.assert_array_equal(ours, erfa.era00(d1, d2))

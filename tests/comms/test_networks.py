"""Ground networks (houston.comms.networks) against their published coordinates.

Sources: NASA Directory of Station Locations (NDOSL), 16 July 2019, as distributed by NAIF
in ``ndosl_190716_v02.tf``: Table 2 (WGS-84 geodetic positions) and the Cartesian ITRF93
coordinates that the kernel prints for each station (computed by NAIF's PINPOINT from the
same table); DSN No. 810-005, module 301, Rev. M for DSS-14.
"""

from __future__ import annotations

import numpy as np
import pytest

from houston.comms.networks import DSN, NETWORKS, STDN, StationSet, dms, select_stations
from houston.dynamics.sites import DSS_14

KM = 1.0e3


def _station(code):
    return next(s for s in STDN + DSN if s.code == code)


@pytest.mark.parametrize(
    "code, xyz_km",
    [
        # NDOSL_ACN3_TOPO and NDOSL_AGO3_TOPO site coordinates in ndosl_190716_v02.tf
        ("ACN3", (6121.234542823, -1563.367223538, -876.9160856396)),
        ("AGO3", (1769.869297973, -5044.468924434, -3468.402618379)),
    ],
)
def test_stdn_positions_match_the_published_cartesian_coordinates(code, xyz_km):
    """Our WGS-84 geodetic-to-ITRF conversion of the table's latitude, longitude and height
    lands within 1 mm of the Cartesian position printed in the kernel (printed to 1e-9 km)."""
    r = np.array(_station(code).r_itrf_m)
    assert np.linalg.norm(r - np.array(xyz_km) * KM) < 1.0e-3


def test_ndosl_and_dsn_agree_on_dss14():
    """NDOSL Table 2 gives DS14 at 35 25 33.2431 N, 243 06 37.6624 E, 1001.390 m; the DSN
    table (810-005 301 Rev. M, houston.dynamics.sites) puts DSS-14 within 5 mm of it."""
    from houston.dynamics.frames import geodetic_to_ecef

    r = geodetic_to_ecef(dms(35, 25, 33.2431), dms(243, 6, 37.6624), 1001.390)
    assert np.linalg.norm(r - np.array(DSS_14.r_itrf_m)) < 5.0e-3
    dsn14 = next(s for s in DSN if s.code == "DSS-14")
    assert np.linalg.norm(np.array(dsn14.r_itrf_m) - np.array(DSS_14.r_itrf_m)) < 1.0e-6


def test_dms_signs():
    assert dms(-7, 57, 17.5769) == pytest.approx(-np.radians(7 + 57 / 60 + 17.5769 / 3600))
    assert dms(0, -30) == pytest.approx(-np.radians(0.5))
    assert dms(345, 40, 22.4282) == pytest.approx(np.radians(345.67289672222))


def test_networks_and_station_selection():
    assert set(NETWORKS) == {"dsn", "stdn", "msfn"}
    assert [s.code for s in DSN] == ["DSS-14", "DSS-43", "DSS-63"]
    assert len({s.code for s in STDN}) == len(STDN) == 11
    both = select_stations(["dsn", "stdn"])
    assert len(both) == 14
    few = select_stations(["stdn"], ["MIL3", "BDA Bermuda"])
    assert [s.code for s in few] == ["MIL3", "BDA3"]
    extra = select_stations(
        ["dsn"], (), {"Pad": {"lat": 0.5, "lon": -1.4, "height": 10.0, "min_elevation": 0.1}}
    )
    assert extra[-1].code == "Pad" and extra[-1].network == "scenario"
    assert extra[-1].min_elevation_rad == 0.1
    with pytest.raises(ValueError, match="unknown ground network 'stadan'"):
        select_stations(["stadan"])
    with pytest.raises(ValueError, match="no station 'XYZ'"):
        select_stations(["dsn"], ["XYZ"])


def test_station_set_arrays():
    st = StationSet.of(DSN + STDN, min_elevation_rad=np.radians(8.0))
    assert st.r_itrf_m.shape == st.up_itrf.shape == (14, 3)
    np.testing.assert_allclose(np.linalg.norm(st.up_itrf, axis=1), 1.0, atol=1e-15)
    # the zenith is the geodetic normal: it differs from the geocentric direction by the
    # angle of the vertical (up to 0.19 deg at 45 deg latitude)
    geocentric = st.r_itrf_m / np.linalg.norm(st.r_itrf_m, axis=1, keepdims=True)
    angle = np.degrees(np.arccos(np.sum(geocentric * st.up_itrf, axis=1)))
    assert np.all(angle < 0.2) and np.max(angle) > 0.15
    assert np.all(st.min_elevation_rad >= np.radians(8.0))
    with pytest.raises(ValueError, match="given twice"):
        StationSet.of(DSN + DSN)
    with pytest.raises(ValueError, match="at least one"):
        StationSet.of(())

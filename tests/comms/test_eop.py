"""The Earth orientation parameters read with numpy (houston.comms.eop) against astropy's
reading of the same bundled IERS files (houston.dynamics.frames): the same table and the
same interpolated values, to the last bit."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from houston.comms import eop
from houston.dynamics import frames


def test_table_equals_astropys_reading() -> None:
    ours, ref = eop.eop_table(), frames._eop_table()
    np.testing.assert_array_equal(ours.mjd_tai, ref.mjd_tai)
    np.testing.assert_array_equal(ours.values, ref.values)
    # C04 from 1962, then finals2000A beyond it
    assert ours.mjd_tai[0] == pytest.approx(37665.0, abs=1e-3)
    assert np.all(np.diff(ours.mjd_tai) > 0)


def test_interpolation_equals_frames() -> None:
    rng = np.random.default_rng(3)
    mjd0, mjd1 = eop.eop_table().mjd_tai[[0, -1]]
    mjd = np.concatenate([rng.uniform(mjd0, mjd1 + 400.0, 2000), [mjd0, mjd1, mjd1 + 30.0]])
    jd1 = np.floor(mjd) + 2_400_000.5
    jd2 = mjd - np.floor(mjd)
    ours = eop.earth_orientation(jd1, jd2)
    ref = frames.earth_orientation(jd1, jd2)
    for a, b in zip(ours, ref, strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="1962"):
        eop.earth_orientation(2_400_000.5 + mjd0 - 1.0)


def test_reading_needs_no_astropy_table_reader() -> None:
    code = (
        "import sys; from houston.comms import eop; eop.eop_table(); "
        "assert 'astropy.io.ascii' not in sys.modules, 'astropy.io.ascii imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)

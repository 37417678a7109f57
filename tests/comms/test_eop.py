"""The Earth orientation parameters read with numpy (houston.dynamics.eop) against astropy's
reading of the same bundled IERS files (houston.dynamics.frames): the same table and the
same interpolated values, to the last bit."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from houston.dynamics import eop, frames


def test_table_equals_astropys_reading() -> None:
    ours, ref = eop.eop_table(), frames._eop_table_astropy()
    np.testing.assert_array_equal(ours.mjd_tai, ref.mjd_tai)
    np.testing.assert_array_equal(ours.values, ref.values)
    # C04 from 1962, then finals2000A beyond it
    assert ours.mjd_tai[0] == pytest.approx(37665.0, abs=1e-3)
    assert np.all(np.diff(ours.mjd_tai) > 0)


def test_no_data_before_1962() -> None:
    mjd0 = eop.eop_table().mjd_tai[0]
    with pytest.raises(ValueError, match="1962"):
        frames.earth_orientation(2_400_000.5 + mjd0 - 1.0)


def test_full_environment_equals_frames_earth_rotation() -> None:
    """houston.comms.visibility.environment turns the Earth with these parameters: the same
    matrix and angular velocity as houston.dynamics.frames.earth_rotation."""
    from houston.comms.visibility import environment
    from houston.core.time import NS_PER_S, Epoch

    epoch = Epoch(2446263.5, (16 * 3600 + 23.0) / 86400.0, "1985-07-17T16:00:00Z")
    t = np.arange(-5 * 86_400, 30 * 86_400, 977) * NS_PER_S
    env = environment(epoch, t)
    ref = frames.earth_rotation(epoch, t)
    np.testing.assert_array_equal(env.earth_matrix, ref.matrix)
    np.testing.assert_array_equal(env.earth_omega_rad_s, ref.omega_rad_s)


def test_links_need_no_astropy_table_reader() -> None:
    """A link model's steps, a full evaluation and the Earth's rotation read the IERS files
    without astropy's table reader (about a second per process)."""
    code = """
import sys
import numpy as np
from houston.comms.model import CommsLink
from houston.comms.visibility import environment
from houston.core.model import ModelRandom, StepContext
from houston.core.random import BatchRandom, run_seeds
from houston.core.time import NS_PER_S, Epoch

epoch = Epoch(2446263.5, (16 * 3600 + 23.0) / 86400.0, "1985-07-17T16:00:00Z")
m = CommsLink("x.comms", {"networks": ["dsn", "stdn"]}, 1)
rng = BatchRandom(run_seeds(0, 1))
ctx = StepContext(0, 0, -1, {}, ModelRandom(rng, m.path), [], epoch)
m.initialize(ctx)
ctx.reset(0, 10 * NS_PER_S, 0, {"r_gcrf_m": np.array([[7.0e6, 0.0, 0.0]])})
m.step(ctx)
environment(epoch, np.arange(3) * NS_PER_S)
from houston.dynamics.frames import earth_rotation
earth_rotation(epoch, np.arange(3) * NS_PER_S)
assert "astropy.io.ascii" not in sys.modules, "astropy.io.ascii imported"
"""
    subprocess.run([sys.executable, "-c", code], check=True)

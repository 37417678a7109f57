"""The Python API, as the README shows it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import houston


def test_run_from_python(tmp_path: Path) -> None:
    run = houston.run("leo-demo", until="2h", out=tmp_path / "r")
    try:
        alt = run["apollo.orbit.altitude_m"]
        assert alt.shape == (7201,)
        # A 220 km x 230 km orbit before the first burn (altitude above the equatorial radius
        # of a spherical Earth, so within the two apsides).
        assert 219e3 < alt[0] < 231e3
        table = run.telemetry("apollo.orbit.altitude_m", "apollo.orbit.speed_m_s")
        assert table.column_names == [
            "run",
            "t_ns",
            "apollo.orbit.altitude_m",
            "apollo.orbit.speed_m_s",
        ]
        assert np.all(np.diff(table.column("t_ns").to_numpy()) == 1_000_000_000)
        kinds = set(run.events().column("kind").to_pylist())
        assert {"session", "timeline", "command", "limit"} <= kinds
        assert run.summary.t_ns == 2 * 3600 * 1_000_000_000 and not run.summary.interrupted
        import pyarrow.parquet as pq

        dest = run.archive.to_parquet(tmp_path / "alt.parquet", ["apollo.orbit.altitude_m"])
        assert pq.read_table(dest).column("apollo.orbit.altitude_m").to_numpy().tolist() == (
            alt.tolist()
        )
    finally:
        run.close()


def test_energy_is_conserved_between_burns(tmp_path: Path) -> None:
    """Two-body motion keeps the specific orbital energy (a pipeline check on the vehicle:
    v^2/2 - mu/r constant to 1e-9 relative between the burns at 00:30 and 01:30)."""
    from houston.core.constants import MU_EARTH_M3_S2, R_EARTH_M

    run = houston.run("leo-demo", until="25min", out=tmp_path / "e")
    try:
        r = run["apollo.orbit.altitude_m"] + R_EARTH_M
        v = run["apollo.orbit.speed_m_s"]
        energy = 0.5 * v**2 - MU_EARTH_M3_S2 / r
        assert np.ptp(energy) / abs(energy[0]) < 1e-9
    finally:
        run.close()


def test_every_bundled_scenario_runs(tmp_path: Path) -> None:
    from houston.scenario.loader import bundled

    for name in bundled():
        run = houston.run(name, until="10min", out=tmp_path / name)
        try:
            assert run.summary.t_ns == 600 * 1_000_000_000
        finally:
            run.close()


def test_leo_demo_batch_rows_equal_single_runs() -> None:
    """The vehicle's vectorised Kepler solver gives each run of a batch exactly the numbers
    of the corresponding single run."""
    from houston.scenario.loader import load
    from houston.session.session import Session

    world = load("leo-demo")
    batch = Session(world, seed=5, batch=3)
    batch.run(3000 * 1_000_000_000)
    for i in range(3):
        single = Session(world, seed=5 + i)
        single.run(3000 * 1_000_000_000)
        assert np.array_equal(single.values[0], batch.values[i])

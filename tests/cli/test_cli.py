"""The command line, end to end, in real processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from houston.archive.store import Archive

HOUSTON = [sys.executable, "-m", "houston.cli.main"]

TANKS = """
[scenario]
name = "tanks"
description = "a small scenario for CLI tests"
epoch_utc = "1985-07-17T16:00:00Z"
duration = "10min"

[assets.apollo.orbit]
model = "vehicle.two_body"
perigee_altitude_km = 220
apogee_altitude_km = 230
inclination_deg = 51.8
"""


def houston(
    *args: str, check: bool = True, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([*HOUSTON, *args], capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"houston {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def test_scenarios_lists_bundled() -> None:
    out = houston("scenarios").stdout
    assert "leo-demo" in out and "51.8°" in out


def test_check_ok_and_every_problem(tmp_path: Path) -> None:
    assert houston("check", "leo-demo").stdout.startswith("ok: leo-demo: 1 systems")
    bad = tmp_path / "bad.toml"
    bad.write_text(TANKS.replace("220", "-5").replace('"10min"', '"ten minutes"'))
    proc = houston("check", str(bad), check=False)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 2
    assert f"{bad}:6: scenario.duration: expected a duration" in proc.stderr
    assert (
        f"{bad}:10: assets.apollo.orbit.perigee_altitude_km: -5 km is below the minimum 0 km"
        in proc.stderr
    )


def test_check_missing_file() -> None:
    proc = houston("check", "no-such-scenario", check=False)
    assert proc.returncode == 1 and "bundled scenarios: " in proc.stderr
    assert "leo-demo" in proc.stderr.split("bundled scenarios: ")[1]
    assert "Traceback" not in proc.stderr


def test_run_prints_timeline_and_archives(tmp_path: Path) -> None:
    proc = houston("run", "leo-demo", "--until", "01:00:00", "--out", str(tmp_path / "r"))
    out = proc.stdout
    assert "1975-07-15T20:30:00Z  GET 000:30:00  apollo" in out
    assert "CMD burn: Δv 15.00 m/s" in out
    assert "complete: GET 001:00:00" in out
    with Archive(tmp_path / "r") as a:
        assert a.telemetry(["apollo.orbit.altitude_m"]).num_rows == 3601


def test_run_json_and_set(tmp_path: Path) -> None:
    proc = houston(
        "run",
        "leo-demo",
        "--until",
        "40min",
        "--json",
        "--out",
        str(tmp_path / "j"),
        "--set",
        "timeline.1.dv_lvlh_m_s=[0, -40, 0]",
    )
    payload = json.loads(proc.stdout)
    assert payload["get_end"] == "GET 000:40:00" and payload["frames"] == 2400
    burns = [e for e in payload["events"] if e["kind"] == "command"]
    assert "Δv 40.00 m/s" in burns[0]["message"]


def test_run_refuses_bad_options(tmp_path: Path) -> None:
    proc = houston("run", "leo-demo", "--until", "soon", check=False)
    assert proc.returncode == 1 and "expected a duration" in proc.stderr
    proc = houston("run", "leo-demo", "--speed", "warp", check=False)
    assert proc.returncode == 1 and "positive factor" in proc.stderr
    proc = houston(
        "run", "leo-demo", "--set", "assets.apollo.orbit.inclination_deg=200", check=False
    )
    assert proc.returncode == 1 and "(from --set): 200 ° is above the maximum 180 °" in proc.stderr


def test_telemetry_and_events_read_back(tmp_path: Path) -> None:
    run_dir = tmp_path / "r"
    houston("run", "leo-demo", "--until", "00:10:00", "--out", str(run_dir), "-q")
    csv = houston(
        "telemetry",
        str(run_dir),
        "apollo.orbit.altitude_m",
        "--csv",
        "--start",
        "00:05:00",
        "--end",
        "00:05:02",
    ).stdout.splitlines()
    assert csv[0] == '"run","t_ns","utc","get_s","apollo.orbit.altitude_m"'
    assert len(csv) == 4 and csv[1].startswith('0,300000000000,"1975-07-15T20:05:00.000Z",300,')
    table = houston(
        "telemetry",
        str(run_dir),
        "apollo.orbit.altitude_m",
        "apollo.orbit.propulsion",
        "--every",
        "5min",
    ).stdout
    assert "km" in table and "OK" in table and "GET 000:05:00" in table
    pq = tmp_path / "t.parquet"
    houston("telemetry", str(run_dir), "--parquet", str(pq))
    import pyarrow.parquet as pqm

    assert pqm.read_table(pq).num_rows == 601
    events = houston("events", str(run_dir)).stdout
    assert "AOS: tracking acquired after insertion" in events
    proc = houston("telemetry", str(run_dir), "apollo.orbit.mass_kg", check=False)
    assert proc.returncode == 1 and "no parameter 'apollo.orbit.mass_kg'" in proc.stderr
    proc = houston("events", str(tmp_path / "nowhere"), check=False)
    assert proc.returncode == 1 and "no archive" in proc.stderr


def _wait_for_rows(path: Path, proc: subprocess.Popen[str], size: int) -> None:
    """Wait until the writer's write-ahead log has grown past ``size`` bytes (a few flushes);
    the file itself cannot be opened while the writer holds it."""
    wal = Path(str(path) + ".wal")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the run ended before it could be interrupted"
        if wal.exists() and wal.stat().st_size > size:
            return
        time.sleep(0.2)
    raise AssertionError("the run did not write in time")


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_killed_run_leaves_a_readable_archive(tmp_path: Path, sig: signal.Signals) -> None:
    """A real process, paced to 600x real time so it is mid-run, killed with SIGKILL (no
    chance to clean up) or interrupted with SIGINT (Ctrl-C): the archive is readable up to the
    last flushed frame."""
    run_dir = tmp_path / "r"
    proc = subprocess.Popen(
        [*HOUSTON, "run", "leo-demo", "--speed", "600", "--out", str(run_dir), "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        _wait_for_rows(run_dir / "archive.duckdb", proc, 40_000)
        time.sleep(1.5)
        proc.send_signal(sig)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    if sig == signal.SIGINT:
        assert proc.returncode == 130
    with Archive(run_dir) as a:
        t = a.telemetry(["apollo.orbit.altitude_m"])
        n = t.num_rows
        assert n > 600  # more than ten minutes of simulated time
        assert n < 10_801  # the run did not finish
        times = t.column("t_ns").to_numpy()
        assert (times == times[0] + 1_000_000_000 * np.arange(n)).all()
        assert a.events().num_rows >= 2


def test_oem_export_of_a_spacecraft(tmp_path: Path) -> None:
    """A spacecraft run exported as a CCSDS OEM reads back with the archived states."""
    from houston.dynamics.oem import parse_oem

    scenario = tmp_path / "sc.toml"
    scenario.write_text(TANKS.replace("vehicle.two_body", "vehicle.spacecraft"))
    houston("run", str(scenario), "--until", "5min", "--out", str(tmp_path / "r"), "-q")
    out = tmp_path / "apollo.oem"
    houston("oem", str(tmp_path / "r"), "apollo.orbit", "--every", "1min", "--out", str(out))
    seg = parse_oem(out.read_text())[0]
    assert seg.center_name == "EARTH" and seg.ref_frame == "GCRF" and len(seg.epochs) == 6
    with Archive(tmp_path / "r") as a:
        x = a["apollo.orbit.x_m"]
    assert abs(seg.r_m[5, 0] - x[300]) < 1e-5
    assert np.linalg.norm(seg.r_m[0]) == pytest.approx(6_378_137.0 + 220e3, abs=1.0)
    proc = houston("oem", str(tmp_path / "r"), "nothing.here", check=False)
    assert proc.returncode == 1 and "no archived state vector" in proc.stderr

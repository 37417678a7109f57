"""Declarations that depend on parameters: records, strings, per-room telemetry and shapes."""

from __future__ import annotations

import pytest

from houston.scenario.loader import loads
from houston.scenario.spec import ScenarioError
from houston.session.session import Session

BASE = """
[scenario]
name = "rooms"
description = "rooms"
epoch_utc = "1985-07-17T16:00:00Z"
duration = "10s"

[assets.base.hab]
model = "test.rooms"
crew = ["gordo", "tracy"]

[assets.base.hab.rooms.lab]
volume_m3 = 120

[assets.base.hab.rooms.airlock]
volume_m3 = 4
pressure_kPa = 70
"""


def test_records_become_si_and_telemetry_follows_them() -> None:
    w = loads(BASE, "r.toml")
    params = w.system("base.hab").params
    assert params["rooms"] == {
        "lab": {"volume": 120.0, "pressure": 101325.0},
        "airlock": {"volume": 4.0, "pressure": 70000.0},
    }
    assert params["crew"] == ["gordo", "tracy"]
    s = Session(w)
    s.run()
    assert s.catalog.names() == ["base.hab.lab_pressure_Pa", "base.hab.airlock_pressure_Pa"]
    assert s.value("base.hab.airlock_pressure_Pa")[0] == 70000.0
    caution = [e.message for e in s.log.events if e.kind == "limit"]
    assert caution == ["base.hab.airlock_pressure_Pa 70 kPa below caution-low 90 kPa"]


def test_record_problems_have_paths() -> None:
    text = BASE.replace("volume_m3 = 4", "volume_m3 = -4\ncolour = 3").replace(
        'crew = ["gordo", "tracy"]', "crew = 3"
    )
    with pytest.raises(ScenarioError) as info:
        loads(text, "r.toml")
    found = "\n".join(str(p) for p in info.value.problems)
    assert "assets.base.hab.rooms.airlock.volume_m3: -4 m³ is below the minimum 0 m³" in found
    assert "assets.base.hab.rooms.airlock.colour: unknown field for rooms 'airlock'" in found
    assert "assets.base.hab.crew: expected a list of names, got 3" in found


def test_limit_override_on_instance_telemetry_and_shape_check() -> None:
    text = BASE + "\n[assets.base.hab.limits.lab_pressure_Pa]\ncaution_low_kPa = 95\n"
    assert loads(text, "r.toml").system("base.hab").limits["lab_pressure_Pa"].caution_low == 95e3
    bad = BASE + "\n[assets.base.hab.limits.galley_pressure_Pa]\ncaution_low_kPa = 95\n"
    with pytest.raises(ScenarioError, match="has no telemetry 'galley_pressure_Pa'"):
        loads(bad, "r.toml")
    wired = (
        BASE
        + """
[assets.other.hab]
model = "test.rooms"
inputs = { leak_Pa_s = "base.hab.pressure_Pa" }
[assets.other.hab.rooms.one]
volume_m3 = 1
"""
    )
    with pytest.raises(
        ScenarioError,
        match=r"is Pa with shape \(2,\), but input leak_Pa_s expects 1 with shape \(1,\)",
    ):
        loads(wired, "r.toml")


def test_model_init_errors_are_scenario_problems() -> None:
    text = BASE.split("[assets.base.hab.rooms.lab]")[0] + "rooms = {}\n"
    with pytest.raises(ScenarioError, match=r"assets\.base\.hab: at least one room is needed"):
        loads(text, "r.toml")

"""The bundled habitat-demo scenario runs and tells its story."""

from __future__ import annotations

from houston.scenario.loader import load
from houston.session.session import Session


def test_habitat_demo() -> None:
    session = Session(load("habitat-demo"))
    session.run()
    log = [e.message for e in session.log.events]
    assert "hole in lab: 2.4 cm² effective (cd*A)" in log
    # The stuck transducer is flagged as a disagreement; the real leak as a leak rate.
    assert any(m.startswith("jamestown.atmosphere.hab_pressure_spread_Pa") for m in log)
    assert any(m.startswith("jamestown.atmosphere.hab_leak_rate_kg_s") for m in log)
    assert (
        "CMD open_hatch REJECTED: hatch hab_lab is locked: an attempt to get back into the lab"
        in log
    )
    assert "task cable_swap complete" in log
    assert session.value("jamestown.crew.cable_swap_done")[0] == 1.0
    # The tank brought the hab back near its set pressure once the lab was isolated.
    assert session.value("jamestown.atmosphere.hab_true_pressure_Pa")[0] > 99e3
    assert session.value("jamestown.atmosphere.lab_true_pressure_Pa")[0] < 50e3

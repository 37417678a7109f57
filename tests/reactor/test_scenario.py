"""The bundled reactor-demo: two reactors sharing one backup computer, a loss of flow on
reactor A with no protection, its countdown, and the cable swap (both brought forward here so
that the test stays short)."""

from __future__ import annotations

import numpy as np

from houston.scenario.loader import load
from houston.session.session import Session

MIN = 60 * 1_000_000_000


def test_reactor_demo_two_reactors_and_the_cross_connect() -> None:
    world = load("reactor-demo", ['timeline.1.at="1min"', 'timeline.4.at="8min"'])
    s = Session(world)
    s.run(8 * MIN)
    a, b = "jamestown.reactor_a", "jamestown.reactor_b"
    assert s.value(f"{a}.backup_computer")[0] == 2  # ELSEWHERE
    assert s.value(f"{b}.backup_computer")[0] == 1  # CONNECTED
    # Seven minutes after the loss of flow: no scram, about 39 minutes left.
    assert s.value(f"{a}.scram")[0] == 0
    left = s.value(f"{a}.time_to_core_damage_s")[0] / 60
    assert 35.0 < left < 43.0
    assert s.value(f"{a}.primary_flow")[0] < 0.02
    assert np.isinf(s.value(f"{b}.time_to_core_damage_s")[0])
    assert s.value(f"{b}.primary_flow")[0] > 0.97
    s.run(12 * MIN)
    assert s.value(f"{a}.pump_drive")[0] == 2  # BACKUP, through the cross-connect
    assert s.value(f"{a}.primary_flow")[0] > 0.97
    assert s.value(f"{a}.damage_state")[0] == 0
    messages = [e.message for e in s.log.events if e.source == a]
    assert "no computer drives the primary pump: it runs down" in messages
    assert "the backup computer drives the primary pump (cross-connect)" in messages


def test_checkpoint_restores_the_reactors_exactly(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """All the reactor's state is in its state arrays: a restored session, countdown and
    sensors included, continues sample for sample."""
    world = load("reactor-demo", ['timeline.1.at="1min"'])
    a = Session(world)
    a.run(2 * MIN)
    a.checkpoint(tmp_path / "c.npz")
    a.run(4 * MIN)
    b = Session.restore(tmp_path / "c.npz")
    b.run(4 * MIN)
    assert np.array_equal(a.values, b.values, equal_nan=True)

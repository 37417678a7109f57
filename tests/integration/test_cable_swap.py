"""Habitat, crew and reactor wired together by the scenario alone: the crew's cable swap,
done outside in improvised suits, restores the reactor's cross-connect and its primary
pump; without the swap the pump stays dead and the countdown runs on."""

from __future__ import annotations

import numpy as np

from houston.core.time import NS_PER_S
from houston.ops.events import EventKind
from houston.scenario.loader import bundled, loads
from houston.session.session import Session

REACTOR = """

[assets.jamestown.reactor]
model = "reactor.fission_surface"
inputs = { cross_connect_restored = "jamestown.crew.cable_swap_done" }

[[timeline]]
at = "00:02:00"
target = "jamestown.reactor"
failure = "pump_drive_cut"
note = "the primary pump's cables from the primary computer are cut"
"""


def world(overrides: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    text = bundled()["habitat-demo"].read_text() + REACTOR
    return loads(text, "jamestown.toml", overrides)


def run(overrides: tuple[str, ...] = ()) -> Session:
    s = Session(world(overrides))
    s.run(20 * 60 * NS_PER_S)
    return s


def test_the_swap_restores_the_pump() -> None:
    s = run()
    done = [e for e in s.log.events if e.kind == EventKind.MODEL and "cable_swap" in e.message]
    assert done, "the crew completes the cable swap"
    t_done = done[0].t_ns
    assert s.value("jamestown.crew.cable_swap_done")[0] == 1.0
    assert s.value("jamestown.reactor.cross_connect")[0] != 0.0
    # The pump was dead after the cut, and runs again after the swap.
    assert s.value("jamestown.reactor.pump_speed")[0] > 0.5
    assert s.value("jamestown.reactor.damage_state")[0] == 0.0
    assert 2 * 60 * NS_PER_S < t_done < 20 * 60 * NS_PER_S


def test_without_the_swap_the_pump_stays_dead() -> None:
    # Drop the two "perform" entries: nobody does the swap.
    w = world()
    keep = tuple(e for e in w.timeline if not (e.kind == "command" and e.name == "perform"))
    from dataclasses import replace

    s = Session(replace(w, timeline=keep))
    s.run(20 * 60 * NS_PER_S)
    assert s.value("jamestown.crew.cable_swap_done")[0] == 0.0
    assert s.value("jamestown.reactor.pump_speed")[0] < 0.05
    assert s.value("jamestown.reactor.cross_connect")[0] == 0.0
    # With a lone reactor the backup computer is free to protect it: it scrams on the loss of
    # flow and the countdown shows no core damage coming. (In The Grey the backup serves the
    # second reactor, so there is no failsafe: see reactor-demo.)
    assert s.value("jamestown.reactor.scram")[0] == 1.0
    assert s.value("jamestown.reactor.backup_computer")[0] == 1.0
    assert np.isinf(s.value("jamestown.reactor.time_to_core_damage_s")[0])

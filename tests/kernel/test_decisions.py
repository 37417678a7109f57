"""Decisions: named choices of a scenario that the timeline depends on and ``--set`` flips."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from houston.archive.store import Archive
from houston.cli.main import app
from houston.core.time import NS_PER_S
from houston.ops.events import EventKind
from houston.scenario.loader import loads, scenario_decisions
from houston.scenario.spec import ScenarioError
from houston.session.session import Session
from houston.session.sinks import ArchiveSink

DECISIONS = """
[decision]
valve_sticks = true
crew = 2

[decision.drain]
value = "slow"
options = ["slow", "fast", "none"]
description = "how the crew drains tank a"

[decision.drain.set.fast]
"assets.a.tank.rate_m_s" = -0.5

[assets.a]
"""

WHEN = """
[[timeline]]
at = "90s"
event = "draining fast or not at all"
when = { drain = ["fast", "none"] }

[[timeline]]
at = "95s"
target = "a.tank"
command = "set_rate"
rate_m_s = 0.0
when = { drain = "none", valve_sticks = false }
"""


@pytest.fixture
def text(tank_text: str) -> str:
    """The tank scenario with three decisions; the valve failure happens only if it sticks."""
    body = tank_text.replace("[assets.a]\n", DECISIONS, 1)
    body = body.replace('failure = "stuck"', 'failure = "stuck"\nwhen = { valve_sticks = true }')
    return body + WHEN


def problems(text: str, overrides: tuple[str, ...] = ()) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        loads(text, "d.toml", overrides)
    return [str(p) for p in info.value.problems]


def line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


def test_decisions_are_read_in_both_forms(text: str) -> None:
    w = loads(text, "d.toml")
    d = {x.name: x for x in w.decisions}
    assert list(d) == ["valve_sticks", "crew", "drain"]
    assert (d["valve_sticks"].value, d["valve_sticks"].options) == (True, (False, True))
    assert (d["crew"].value, d["crew"].options, d["crew"].kind) == (2, (), "number")
    assert d["drain"].options == ("slow", "fast", "none")
    assert d["drain"].description == "how the crew drains tank a"
    # valve_sticks: the failure (kept) and the 95 s command (left out); drain: two, none kept.
    assert (d["valve_sticks"].entries, d["valve_sticks"].enabled) == (2, 1)
    assert (d["drain"].entries, d["drain"].enabled) == (2, 0)
    assert (d["crew"].entries, d["crew"].enabled) == (0, 0)
    assert [e.t_ns // NS_PER_S for e in w.timeline] == [30, 60, 70, 80, 85]
    assert w.system("a.tank").params["rate"] == -0.1


def test_set_flips_decisions_and_the_timeline_follows(text: str) -> None:
    w = loads(text, "d.toml", ["decision.drain=none", "decision.valve_sticks=false"])
    d = {x.name: x for x in w.decisions}
    assert (d["drain"].value, d["drain"].default) == ("none", "slow")
    assert (d["valve_sticks"].value, d["valve_sticks"].default) == (False, True)
    assert [(e.t_ns // NS_PER_S, e.kind) for e in w.timeline] == [
        (30, "command"),
        (70, "command"),
        (80, "repair"),
        (85, "command"),
        (90, "event"),
        (95, "command"),
    ]
    # The long form's own key works too, and a list in `when` means any of its values.
    w = loads(text, "d.toml", ["decision.drain.value=fast"])
    assert [e.t_ns // NS_PER_S for e in w.timeline] == [30, 60, 70, 80, 85, 90]


def test_a_decision_sets_system_values_and_the_command_line_wins(text: str) -> None:
    assert loads(text, "d.toml", ["decision.drain=fast"]).system("a.tank").params["rate"] == -0.5
    w = loads(text, "d.toml", ["decision.drain=fast", "assets.a.tank.rate_m_s=-0.3"])
    assert w.system("a.tank").params["rate"] == -0.3
    bad = text.replace('"assets.a.tank.rate_m_s" = -0.5', '"assets.a.tank.rate_m_s" = "quick"')
    assert loads(bad, "d.toml").system("a.tank").params["rate"] == -0.1  # not the current choice
    found = problems(bad, ("decision.drain=fast",))
    assert found == [
        f"d.toml:{line_of(bad, 'quick')}: assets.a.tank.rate_m_s "
        "(set by decision.drain = \"fast\"): expected a finite number in m/s, got 'quick'"
    ]


def test_set_errors_name_the_allowed_values(text: str) -> None:
    assert problems(text, ("decision.drain=fsat",)) == [
        'd.toml: decision.drain.value (from --set): "fsat" is not an option of decision drain; '
        'options: "slow", "fast", "none"'
    ]
    assert problems(text, ("decision.valve_sticks=maybe",)) == [
        "d.toml: decision.valve_sticks (from --set): expected true or false, like the file's "
        "value true, got 'maybe'"
    ]
    assert problems(text, ("decision.crew=two",)) == [
        "d.toml: decision.crew (from --set): expected a number, like the file's value 2, got 'two'"
    ]
    assert problems(text, ("decision.apollo=abort",)) == [
        "--set: decision.apollo=abort: no decision 'apollo'; decisions: valve_sticks, crew, drain"
    ]
    assert loads(text, "d.toml", ["decision.crew=3.5"]).decisions[1].value == 3.5


def test_when_errors_have_their_line(text: str) -> None:
    bad = text.replace("when = { valve_sticks = true }", "when = { valve_stick = true }")
    bad = bad.replace('when = { drain = ["fast", "none"] }', 'when = { drain = ["fast", "nnoe"] }')
    bad = bad.replace('when = { drain = "none", valve_sticks = false }', "when = { crew = true }")
    assert problems(bad) == [
        f"d.toml:{line_of(bad, 'valve_stick =')}: timeline.1.when.valve_stick: no decision "
        "'valve_stick'; decisions: valve_sticks, crew, drain",
        f'd.toml:{line_of(bad, "nnoe")}: timeline.5.when.drain: "nnoe" is not an option of '
        'decision drain; options: "slow", "fast", "none"',
        f"d.toml:{line_of(bad, 'crew = true')}: timeline.6.when.crew: decision crew is a number "
        "(now 2), got True",
    ]
    # A wrong decision is reported once, not again by every entry that depends on it.
    assert problems(text, ("decision.valve_sticks=3",)) == [
        "d.toml: decision.valve_sticks (from --set): expected true or false, like the file's "
        "value true, got 3"
    ]


def test_declaration_errors(tank_text: str) -> None:
    body = tank_text.replace(
        "[assets.a]\n",
        """[decision]
Bad-Name = 1
nothing = [1, 2]
[decision.mode]
value = "a"
options = ["a", 2]
[decision.flag]
value = false
options = [false, true]
[decision.level]
value = "low"
options = ["low", "high"]
colour = "red"
[decision.level.set.hihg]
"assets.a.tank.level0_m" = 5
[decision.level.set.high]
"timeline.0.rate_m_s" = 5
[decision.free]
value = "x"
[decision.free.set.x]
"assets.a.tank.level0_m" = 5

[assets.a]
""",
        1,
    )
    found = problems(body)
    expected = [
        ("Bad-Name", "decision.Bad-Name: a decision name is lower-case letters"),
        ("nothing", "decision.nothing: expected text, true or false, or a finite number"),
        ('options = ["a", 2]', "decision.mode.options: expected a list of values, each text"),
        ("options = [false, true]", "decision.flag.options: a true/false decision takes no opt"),
        ("colour", "decision.level.colour: unknown field; expected value, options, description"),
        ("set.hihg", "decision.level.set.hihg: 'hihg' is not an option; options: \"low\""),
        ("timeline.0.rate", "decision.level.set.high.timeline.0.rate_m_s: a decision sets system"),
        ("set.x]", "decision.free.set.x: a decision needs its options declared"),
    ]
    assert len(found) == len(expected)
    for (fragment, message), problem in zip(expected, found, strict=True):
        assert problem.startswith(f"d.toml:{line_of(body, fragment)}: {message}"), problem


def test_the_run_records_and_obeys_its_decisions(text: str, tmp_path: Path) -> None:
    """The default run sticks the valve at 60 s, so the 70 s command is refused; with the
    valve not sticking it applies, and the archive says which decisions the run used."""
    levels = {}
    for sticks in ("true", "false"):
        w = loads(text, "d.toml", [f"decision.valve_sticks={sticks}"])
        sink = ArchiveSink(tmp_path / sticks)
        s = Session(w, sinks=[sink])
        s.run(75 * NS_PER_S)
        s.close()
        levels[sticks] = s.by_path["a.tank"].state["level"][0]
        with Archive(tmp_path / sticks) as a:
            assert f"decision.valve_sticks={sticks}" in a.scenario["overrides"]
            rows = [r for r in a.events().to_pylist() if r["message"].startswith("decisions:")]
        assert len(rows) == 1 and rows[0]["kind"] == EventKind.SESSION
        assert rows[0]["run"] == -1 and rows[0]["t_ns"] == 0
    assert levels["true"] == pytest.approx(10 - 0.1 * 30 - 0.2 * 45, abs=1e-9)
    assert levels["false"] == pytest.approx(10 - 0.1 * 30 - 0.2 * 40 + 0.5 * 5, abs=1e-9)
    message = rows[0]["message"]
    assert message == 'decisions: valve_sticks = false (file: true), crew = 2, drain = "slow"'


def test_checkpoint_keeps_the_decisions(text: str, tmp_path: Path) -> None:
    w = loads(text, "d.toml", ["decision.valve_sticks=false"])
    s = Session(w)
    s.run(40 * NS_PER_S)
    s.checkpoint(tmp_path / "c.npz")
    r = Session.restore(tmp_path / "c.npz")
    assert r.world.decisions == w.decisions
    assert r.world.timeline == w.timeline
    s.run(100 * NS_PER_S)
    r.run(100 * NS_PER_S)
    assert (s.values == r.values).all()


def test_check_and_scenarios_show_decisions(text: str, tmp_path: Path) -> None:
    path = tmp_path / "d.toml"
    path.write_text(text)
    runner = CliRunner()
    result = runner.invoke(app, ["check", str(path), "--set", "decision.drain=none"])
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split() for line in result.output.splitlines()[2:]}
    assert rows["drain"][1:6] == ['"none"', "(file:", '"slow")', '"slow",', '"fast",']
    # The 95 s entry also needs valve_sticks = false.
    assert rows["drain"][7:10] == ["1", "of", "2"]
    assert rows["valve_sticks"][1:7] == ["true", "false,", "true", "1", "of", "2"]
    assert rows["crew"][1:6] == ["2", "any", "0", "of", "0"]
    result = runner.invoke(app, ["check", str(path), "--set", "decision.drain=fsat"])
    assert result.exit_code == 1
    assert "is not an option of decision drain" in result.output
    assert [d.name for d in scenario_decisions({"decision": {"a": 1, "B": 2}})] == ["a"]
    result = runner.invoke(app, ["scenarios"])
    assert result.exit_code == 0 and "decisions" in result.output.splitlines()[0]

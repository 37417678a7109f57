"""Scenario files: validation, every problem with its file, line and field; overrides."""

from __future__ import annotations

import pytest

from houston.scenario.loader import bundled, loads
from houston.scenario.spec import ScenarioError


def problems(text: str, overrides: tuple[str, ...] = ()) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        loads(text, "bad.toml", overrides)
    return [str(p) for p in info.value.problems]


def test_tank_world_loads_in_si(tank_world) -> None:  # type: ignore[no-untyped-def]
    a = tank_world.system("a.tank")
    assert a.params == {"level0": 10.0, "rate": -0.1, "noise": 0.05}
    assert tank_world.system("b.tank").inputs == {"inflow_m_s": "a.tank.outflow_m_s"}
    kinds = [e.kind for e in tank_world.timeline]
    assert kinds == ["command", "failure", "command", "repair", "command"]
    assert tank_world.timeline[-1].t_ns == 85_500_000_000
    assert tank_world.frame_ns == 1_000_000_000
    assert tank_world.duration_ns == 120_000_000_000


def test_every_problem_reported_with_line_and_field(tank_text: str) -> None:
    text = tank_text.replace("level0_m = 10.0", "level0_m = -3.0\nlevel_furlongs = 2")
    text = text.replace('frame = "1s"', 'frame = "soon"')
    text = text.replace('failure = "stuck"', 'failure = "exploded"')
    found = problems(text)
    lines = text.splitlines()

    def line_of(fragment: str) -> int:
        return next(i for i, line in enumerate(lines, 1) if fragment in line)

    assert f"bad.toml:{line_of('frame = ')}: scenario.frame: expected a duration" in found[0]
    joined = "\n".join(found)
    assert (
        f"bad.toml:{line_of('level0_m = -3')}: assets.a.tank.level0_m: -3 m is below the minimum 0 m"
        in joined
    )
    assert (
        f"bad.toml:{line_of('level_furlongs')}: assets.a.tank.level_furlongs: unknown field"
        in joined
    )
    assert "expected: level0_<m|km|cm|mm|ft|nmi>" in joined
    assert (
        f"bad.toml:{line_of('exploded')}: timeline.1.failure: a.tank (test.tank) has no failure 'exploded'; it has: stuck"
        in joined
    )
    assert len(found) == 4


def test_missing_and_wrong_types(tank_text: str) -> None:
    text = tank_text.replace('description = "two tanks for kernel tests"\n', "")
    text = text.replace("rate_m_s = -0.1", 'rate_m_s = "fast"')
    found = "\n".join(problems(text))
    assert "scenario.description: missing required field" in found
    # Schema errors stop validation before model fields; fix the header and look again.
    text = text.replace('name = "tanks"', 'name = "tanks"\ndescription = "x"')
    found = "\n".join(problems(text))
    assert "assets.a.tank.rate_m_s: expected a finite number in m/s, got 'fast'" in found


def test_wiring_errors(tank_text: str) -> None:
    text = tank_text.replace('"a.tank.outflow_m_s"', '"a.tank.volume_m3"')
    assert any("no output named 'a.tank.volume_m3'" in p for p in problems(text))
    text = tank_text.replace('"a.tank.outflow_m_s"', '"a.tank.level_m"')
    assert any(
        "a.tank.level_m is m with shape (), but input inflow_m_s expects m_s" in p
        for p in problems(text)
    )


def test_unknown_model_type(tank_text: str) -> None:
    text = tank_text.replace('model = "test.tank"\nlevel0_m = 20', 'model = "test.bucket"')
    found = problems(text)
    assert any("assets.b.tank.model: unknown model type 'test.bucket'" in p for p in found)


def test_not_toml() -> None:
    found = problems("[scenario\nname=1")
    assert found[0].startswith("bad.toml:1: not valid TOML")


def test_timeline_entry_needs_one_kind(tank_text: str) -> None:
    text = tank_text + '\n[[timeline]]\nat = "1s"\ntarget = "a.tank"\n'
    found = "\n".join(problems(text))
    assert "timeline.5: Value error, a timeline entry needs exactly one of 'command'" in found


def test_overrides_apply_before_validation(tank_text: str) -> None:
    w = loads(tank_text, "t.toml", ["assets.a.tank.level0_m=12.5", "timeline.0.rate_m_s=-1"])
    assert w.system("a.tank").params["level0"] == 12.5
    assert w.timeline[0].args["rate"] == -1.0
    found = problems(tank_text, ("assets.a.tank.level0_m=-1",))
    assert any("assets.a.tank.level0_m (from --set): -1 m is below the minimum" in p for p in found)
    found = problems(tank_text, ("nonsense",))
    assert any("expected PATH=VALUE" in p for p in found)


def test_limit_overrides(tank_text: str) -> None:
    text = tank_text.replace(
        "[assets.b.tank]",
        "[assets.a.tank.limits.level_m]\ncaution_low_cm = 700\npersistence = 3\n\n[assets.b.tank]",
    )
    w = loads(text, "t.toml")
    lim = w.system("a.tank").limits["level_m"]
    assert lim.caution_low == pytest.approx(7.0)
    assert lim.warning_low == 2.0  # the model's own value is kept
    assert lim.persistence == 3


def test_bundled_scenarios_validate() -> None:
    from houston.scenario.loader import load

    assert "leo-demo" in bundled()
    for name in bundled():
        assert load(name).name == name

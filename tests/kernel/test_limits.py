"""Limit checking: levels, persistence, hysteresis, alarms."""

from __future__ import annotations

import numpy as np

from houston.core.model import Limits
from houston.ops.catalog import Catalog, ParameterInfo
from houston.ops.limits import Alarms, LimitChecker


def catalog(limits: Limits) -> Catalog:
    return Catalog(
        [
            ParameterInfo("x.y.p_Pa", 0, "Pa", "pressure", "float", (), limits, "kPa", "x.y"),
            ParameterInfo("x.y.q", 1, "1", "no limits", "float", (), None, None, "x.y"),
        ]
    )


def run(checker: LimitChecker, values: list[float]) -> list[int]:
    """Feed a sequence of values for run 0; return the level after each sample."""
    out = []
    for v in values:
        checker.check(np.array([[v, 0.0]]))
        out.append(int(checker.level[0, 0]))
    return out


LIM = Limits(caution_low=90.0, warning_low=80.0, caution_high=110.0, warning_high=120.0)


def test_levels_on_both_sides() -> None:
    c = LimitChecker(catalog(LIM), 1)
    assert run(c, [100, 89, 79, 85, 100, 111, 121, 100]) == [0, -1, -2, -1, 0, 1, 2, 0]


def test_nan_is_not_a_violation() -> None:
    c = LimitChecker(catalog(LIM), 1)
    assert run(c, [float("nan"), 50]) == [0, -2]


def test_persistence_needs_consecutive_samples() -> None:
    lim = Limits(caution_low=90.0, warning_low=80.0, persistence=3)
    c = LimitChecker(catalog(lim), 1)
    # two low samples, a good one (resets), then three low ones: raised on the third.
    assert run(c, [85, 85, 95, 85, 85, 85]) == [0, 0, 0, 0, 0, -1]
    # escalation to warning also needs three samples in a row.
    assert run(c, [70, 70, 70]) == [-1, -1, -2]


def test_hysteresis_holds_until_back_inside_by_the_margin() -> None:
    lim = Limits(caution_low=90.0, warning_low=80.0, hysteresis=2.0)
    c = LimitChecker(catalog(lim), 1)
    assert run(c, [89.0, 90.5, 91.9, 92.1]) == [-1, -1, -1, 0]
    assert run(c, [79.0, 81.0, 82.5, 93.0]) == [-2, -2, -1, 0]


def test_transitions_report_runs_and_columns() -> None:
    c = LimitChecker(catalog(LIM), 3)
    tr = c.check(np.array([[100.0, 0], [85.0, 0], [125.0, 0]]))
    assert [(t.run, t.column, t.old, t.new, t.value) for t in tr] == [
        (1, 0, 0, -1, 85.0),
        (2, 0, 0, 2, 125.0),
    ]


def test_alarm_lifecycle() -> None:
    a = Alarms()
    a.update(10, 0, "p", 0, -1)
    assert [(x.level, x.acknowledged, x.active) for x in a.active()] == [(-1, False, True)]
    a.update(20, 0, "p", -1, -2)
    assert a.active()[0].worst == -2
    a.update(30, 0, "p", -2, 0)  # cleared but not acknowledged: it stays on the list
    assert len(a.active()) == 1 and not a.active()[0].active
    assert a.acknowledge("p") == 1
    assert a.active() == []
    a.update(40, 0, "p", 0, 1)  # acknowledged while active: stays until cleared
    a.acknowledge("p", run=0)
    assert a.active()[0].acknowledged
    a.update(50, 0, "p", 1, 0)
    assert a.active() == []


def test_session_limit_events(tank_world) -> None:  # type: ignore[no-untyped-def]
    from houston.ops.events import EventKind
    from houston.session.session import Session

    s = Session(tank_world)
    s.run()
    lim = [e for e in s.log.events if e.kind == EventKind.LIMIT and e.source == "a.tank"]
    # The level falls 0.1 m/s to 7 m at 30 s, then 0.2 m/s: below caution 5 m near 40 s,
    # below warning 2 m near 55 s (with 5 cm noise on the reading: +-0.25 s per sigma).
    assert (
        lim[0].message.startswith("a.tank.level_m ") and "below caution-low 5 m" in lim[0].message
    )
    assert 39 <= lim[0].t_ns / 1e9 <= 41
    assert "below warning-low 2 m" in lim[1].message and 54 <= lim[1].t_ns / 1e9 <= 56
    assert [a.parameter for a in s.alarms.active()] == ["a.tank.level_m"]
    assert s.acknowledge("a.tank.level_m") == 1
    assert s.log.events[-1].kind == EventKind.ALARM


def _reference_levels(
    x: np.ndarray, lim: dict[str, np.ndarray], margin: np.ndarray | float
) -> np.ndarray:
    level = np.zeros(x.shape, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        level[x < lim["caution_low"] + margin] = -1
        level[x < lim["warning_low"] + margin] = -2
        level[x > lim["caution_high"] - margin] = 1
        level[x > lim["warning_high"] - margin] = 2
    return level


class _Reference:
    """The rule written with whole arrays: lower by hysteresis, then raise after persistence."""

    def __init__(self, lim: dict[str, np.ndarray], batch: int) -> None:
        self.lim = lim
        self.persistence = lim["persistence"].astype(np.int64)
        n = len(self.persistence)
        self.level = np.zeros((batch, n), dtype=np.int8)
        self.pending = np.zeros((batch, n), dtype=np.int64)
        self.pending_level = np.zeros((batch, n), dtype=np.int8)

    def check(self, x: np.ndarray) -> list[tuple[int, int, int, int, float]]:
        """The transitions (run, column position, old, new, value) of one frame."""
        raw = _reference_levels(x, self.lim, 0.0)
        raw_h = _reference_levels(x, self.lim, self.lim["hysteresis"])
        old = self.level.copy()
        level = self.level
        sign_l = np.sign(level)
        lower = (level != 0) & ((np.sign(raw_h) != sign_l) | (np.abs(raw_h) < np.abs(level)))
        level[lower] = np.where(np.sign(raw_h) == sign_l, raw_h, 0)[lower]
        worse = (raw != 0) & ((np.abs(raw) > np.abs(level)) | (np.sign(raw) != np.sign(level)))
        same = worse & (raw == self.pending_level)
        self.pending = np.where(same, self.pending + 1, np.where(worse, 1, 0))
        self.pending_level = np.where(worse, raw, 0).astype(np.int8)
        fire = worse & (self.pending >= self.persistence)
        level[fire] = raw[fire]
        self.pending[fire] = 0
        self.pending_level[fire] = 0
        return [
            (int(b), int(c), int(old[b, c]), int(level[b, c]), float(x[b, c]))
            for b, c in np.argwhere(level != old)
        ]


def test_checker_follows_the_array_rule_sample_by_sample() -> None:
    """Random walks across every limit (NaNs, held values, one-sided and absent limits,
    persistence up to 4, hysteresis) in a batch of five: the same levels, counters and
    transitions as the rule written with whole arrays, through a save and load of the state."""
    rng = np.random.default_rng(11)
    specs = [
        Limits(caution_low=90.0, warning_low=80.0, caution_high=110.0, warning_high=120.0),
        Limits(caution_low=90.0, warning_low=80.0, persistence=3, hysteresis=2.0),
        Limits(caution_high=105.0, persistence=2, hysteresis=4.0),
        Limits(warning_high=115.0, warning_low=85.0, persistence=4),
        Limits(caution_low=95.0, caution_high=104.0, warning_high=112.0, hysteresis=1.0),
        None,
    ]
    params = [
        ParameterInfo(f"x.y.p{i}", i, "1", "", "float", (), lim, None, "x.y")
        for i, lim in enumerate(specs)
    ]
    batch = 5
    checker = LimitChecker(Catalog(params), batch)
    ref = _Reference(checker.lim, batch)
    x = np.full((batch, len(specs)), 100.0)
    transitions = 0
    for i in range(3000):
        step = rng.normal(0.0, 4.0, size=x.shape) * (rng.random(x.shape) < 0.7)
        x = np.clip(x + step, 60.0, 140.0)
        frame = x.copy()
        frame[rng.random(x.shape) < 0.03] = np.nan
        got = [(t.run, t.column, t.old, t.new, repr(t.value)) for t in checker.check(frame)]
        want = ref.check(frame[:, checker.columns])
        want = [(b, int(checker.columns[c]), o, n, repr(v)) for b, c, o, n, v in want]
        assert got == want, i
        transitions += len(got)
        assert np.array_equal(checker.level, ref.level)
        assert np.array_equal(checker.pending, ref.pending)
        assert np.array_equal(checker.pending_level, ref.pending_level)
        if i % 500 == 250:
            saved = {k: v.copy() for k, v in checker.state().items()}
            checker = LimitChecker(Catalog(params), batch)
            checker.load_state(saved)
    assert transitions > 500

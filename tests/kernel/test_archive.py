"""The archive stores each parameter's changes and gives back every frame.

A value that does not change (a system stepped every 10 s, a hatch that stays shut) is
stored once; the reader holds it until the next change. What is read back must be exactly
what the session emitted, bit for bit, whatever the flush boundaries.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from houston.archive.store import Archive, ArchiveWriter
from houston.core.time import NS_PER_S
from houston.session.session import Session
from houston.session.sinks import ArchiveSink

KINDS = ("float", "float", "int", "enum", "bool", "float")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _params(kinds: tuple[str, ...] = KINDS) -> list[dict[str, Any]]:
    return [
        {
            "column": i,
            "name": f"a.s.p{i}",
            "unit": "1",
            "description": "",
            "kind": k,
            "states": ("OFF", "ON") if k == "enum" else (),
            "limits": None,
            "display_unit": None,
            "source": "a.s",
            "truth": False,
        }
        for i, k in enumerate(kinds)
    ]


def _scenario() -> dict[str, Any]:
    return {
        "name": "t",
        "description": "",
        "source": "t.toml",
        "text": "",
        "overrides": [],
        "seed": 0,
        "epoch_utc": "1985-01-01T00:00:00Z",
        "epoch_tai_jd1": 2446066.5,
        "epoch_tai_jd2": 0.0,
        "frame_ns": NS_PER_S,
        "houston_version": "0",
    }


def _frames(n: int, batch: int, rng: np.random.Generator) -> np.ndarray:
    """Frames with held stretches, NaNs, signed zeros and integer-valued columns."""
    x = rng.normal(size=(n, batch, len(KINDS)))
    x[:, :, 1] = np.repeat(x[::7, :, 1], 7, axis=0)[:n]  # held for 7 frames at a time
    x[:, :, 2] = np.floor(x[:, :, 2] * 3)
    x[:, :, 3] = (x[:, :, 3] > 0.5).astype(float)
    x[:, :, 4] = (x[:, :, 4] > 0).astype(float)
    x[:, :, 5] = 0.0  # constant, apart from a NaN stretch and a negative zero
    x[10:14, 0, 5] = np.nan
    x[20, :, 5] = -0.0
    x[5:9, :, 0] = np.nan
    return x


def _expected(kind: str, x: np.ndarray) -> np.ndarray:
    if kind == "bool":
        return x != 0
    if kind in ("int", "enum"):
        return x.astype(np.int64 if kind == "int" else np.int32)
    return x


@pytest.mark.parametrize("flush_frames", [1, 5, 1000])
def test_every_frame_reads_back_bit_for_bit(tmp_path: Path, flush_frames: int) -> None:
    rng = np.random.default_rng(3)
    batch, n = 3, 60
    x = _frames(n, batch, rng)
    w = ArchiveWriter(tmp_path / "r", flush_frames=flush_frames, clock=Clock())
    w.begin(_scenario(), _params(), batch)
    times = 5 * NS_PER_S + NS_PER_S * np.arange(n)
    for t, v in zip(times, x, strict=True):
        w.frame(int(t), v)
    w.close()
    with Archive(tmp_path / "r") as a:
        tab = a.telemetry()
        assert tab.column_names == ["run", "t_ns", *(f"a.s.p{i}" for i in range(len(KINDS)))]
        assert tab.column("run").to_pylist() == [r for r in range(batch) for _ in range(n)]
        assert tab.column("t_ns").to_pylist() == list(times) * batch
        for i, kind in enumerate(KINDS):
            got = tab.column(f"a.s.p{i}").to_numpy()
            want = _expected(kind, x[:, :, i].T.reshape(-1))
            assert got.dtype == want.dtype
            assert got.tobytes() == want.tobytes(), (kind, i)
        # A window, one run: the values held at its first frame come from before it.
        win = a.telemetry(
            ["a.s.p1", "a.s.p5"], start_ns=int(times[23]), end_ns=int(times[40]), run=1
        )
        assert win.column("t_ns").to_pylist() == list(times[23:41])
        assert win.column("a.s.p1").to_numpy().tobytes() == x[23:41, 1, 1].tobytes()
        assert win.column("a.s.p5").to_numpy().tobytes() == x[23:41, 1, 5].tobytes()
        assert a["a.s.p0"].tobytes() == x[:, 0, 0].tobytes()
        assert a.telemetry(run=batch).num_rows == 0
        assert a.telemetry(start_ns=int(times[-1]) + 1).num_rows == 0
        # Only the changes are stored: column 1 once per 7 frames, column 5 at its edits.
        rows = dict(
            a._con.sql(
                "SELECT column_index, count(*) FROM samples WHERE run = 0 GROUP BY column_index"
            ).fetchall()
        )
        assert rows[1] == len(range(0, n, 7))
        assert rows[5] == 5  # 0, NaN at 10, 0 at 14, -0 at 20, 0 at 21


def test_a_session_archive_holds_what_it_emitted(tank_world: Any, tmp_path: Path) -> None:
    """Through the session: every emitted frame of a batch, as emitted."""
    frames: list[np.ndarray] = []

    class Frames(ArchiveSink):
        def frame(self, t_ns: int, values: np.ndarray) -> None:
            frames.append(values.copy())
            super().frame(t_ns, values)

    s = Session(tank_world, seed=2, batch=2, sinks=[Frames(tmp_path / "r", flush_frames=7)])
    s.run()
    s.close()
    kinds = [p.kind for p in s.catalog]
    emitted = np.stack(frames)  # (frames, batch, params)
    with Archive(tmp_path / "r") as a:
        tab = a.telemetry()
        assert tab.num_rows == emitted.shape[0] * 2
        for j, (name, kind) in enumerate(zip(s.catalog.names(), kinds, strict=True)):
            want = _expected(kind, emitted[:, :, j].T.reshape(-1))
            assert tab.column(name).to_numpy().tobytes() == want.tobytes(), name

"""``houston.run``: run a scenario from Python and get its archive back."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from houston.archive.store import Archive
from houston.core.time import parse_duration
from houston.scenario.loader import load
from houston.session.pacing import Pacer, parse_speed
from houston.session.session import RunSummary, Session, Sink
from houston.session.sinks import ArchiveSink


@dataclass
class RunResult:
    """A finished run: where its archive is, how it ended, and the archive itself.

    ``result.archive.telemetry()`` is a ``pyarrow.Table`` (``.to_pandas()`` for a DataFrame);
    ``result["apollo.orbit.altitude_m"]`` is one parameter of run 0 as a numpy array.
    """

    run_dir: Path
    archive: Archive
    summary: RunSummary

    def __getitem__(self, name: str) -> Any:
        return self.archive[name]

    def telemetry(self, *names: str, **kw: Any) -> Any:
        return self.archive.telemetry(list(names) or None, **kw)

    def events(self) -> Any:
        return self.archive.events()

    def close(self) -> None:
        self.archive.close()


def default_run_dir(name: str, root: str | Path = "runs") -> Path:
    """``runs/NAME-N``: the first free numbered directory."""
    root = Path(root)
    n = 1
    while (root / f"{name}-{n:03d}").exists():
        n += 1
    return root / f"{name}-{n:03d}"


def run(
    scenario: str | Path,
    *,
    until: str | int | None = None,
    seed: int = 0,
    batch: int = 1,
    speed: str | float | None = None,
    out: str | Path | None = None,
    overrides: Iterable[str] = (),
    sinks: Iterable[Sink] = (),
    progress: Callable[[int, int], None] | None = None,
) -> RunResult:
    """Run a bundled scenario name or a scenario file and return its archive.

    ``until`` is a duration of ground elapsed time (``"2h"``, ``"01:30:00"``; default the
    scenario's own duration); ``out`` the run directory (default a new temporary directory).
    """
    world = load(scenario, overrides)
    until_ns = parse_duration(until) if until is not None else world.duration_ns
    run_dir = (
        Path(out) if out is not None else Path(tempfile.mkdtemp(prefix=f"houston-{world.name}-"))
    )
    archive = ArchiveSink(run_dir)
    session = Session(world, seed=seed, batch=batch, sinks=[archive, *sinks])
    try:
        summary = session.run(until_ns, pacer=Pacer(parse_speed(speed)), progress=progress)
    finally:
        session.close()
    return RunResult(run_dir, Archive(run_dir), summary)

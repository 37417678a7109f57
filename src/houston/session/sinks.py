"""Sinks the session feeds: the archive, and a collector for the mission timeline."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from houston.archive.store import ArchiveWriter, CommandRecord
from houston.ops.events import Event
from houston.session.links import Receptions
from houston.session.session import Sink

if TYPE_CHECKING:
    from houston.session.session import Session


def scenario_meta(session: Session) -> dict[str, Any]:
    import houston

    w = session.world
    return {
        "name": w.name,
        "description": w.description,
        "source": w.source,
        "text": w.text,
        "overrides": list(w.overrides),
        "seed": session.seed,
        "epoch_utc": w.epoch.utc,
        "epoch_tai_jd1": w.epoch.tai_jd1,
        "epoch_tai_jd2": w.epoch.tai_jd2,
        "frame_ns": w.frame_ns,
        "houston_version": houston.__version__,
        "downlinks": dict(w.downlinks),
    }


class ArchiveSink(Sink):
    """Writes the session to a DuckDB archive in ``run_dir``."""

    def __init__(self, run_dir: str | Path, **writer_options: Any) -> None:
        self.writer = ArchiveWriter(run_dir, **writer_options)
        self.path = self.writer.path

    def begin(self, session: Session) -> None:
        params = [p.describe() for p in session.catalog]
        self.writer.begin(scenario_meta(session), params, session.batch)

    def frame(self, t_ns: int, values: NDArray[np.float64]) -> None:
        self.writer.frame(t_ns, values)

    def events(self, events: Sequence[Event]) -> None:
        self.writer.events(events)

    def commands(self, records: Sequence[CommandRecord]) -> None:
        self.writer.commands(records)

    def receptions(self, records: Sequence[Receptions]) -> None:
        self.writer.receptions(records)

    def flush(self) -> None:
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()


class EventSink(Sink):
    """Calls ``on_event`` for each new event (the CLI prints the mission timeline with it)."""

    def __init__(self, on_event: Callable[[Event], None]) -> None:
        self.on_event = on_event

    def events(self, events: Sequence[Event]) -> None:
        for e in events:
            self.on_event(e)

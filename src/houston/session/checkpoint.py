"""Checkpoints: a session saved to one file, restored into an identical continuation.

The file is a numpy ``.npz`` archive (read with ``allow_pickle=False``, so loading one runs
no code): every model's state arrays, the limit checker's counters, and a JSON document with
the scenario text and overrides, the seed and batch size, the clock and each system's own
clock (a system that steps slower than the frame may be mid-step), the pending timeline
entries, the alarms and the event and command counters. Model outputs and telemetry are
functions of the state, so they are recomputed on restore rather than stored (a slower
system's held values are those of its state, which has not moved since its last step).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from houston.ops.limits import Alarm
from houston.scenario.spec import EntrySpec

if TYPE_CHECKING:
    from houston.session.session import Session, Sink

FORMAT = "houston-checkpoint-1"


def save(session: Session, path: str | Path) -> None:
    arrays: dict[str, np.ndarray] = {}
    for m in session.models:
        for name, value in m.state.items():
            arrays[f"model/{m.path}/{name}"] = value
    for name, value in session.limits.state().items():
        arrays[f"limits/{name}"] = value
    for name, value in session.ground.state().items():
        arrays[f"ground/{name}"] = value
    meta = {
        "format": FORMAT,
        "scenario": {
            "text": session.world.text,
            "source": session.world.source,
            "overrides": list(session.world.overrides),
        },
        "seed": session.seed,
        "batch": session.batch,
        "t_ns": session.t_ns,
        "t_sys": {m.path: t for m, t in zip(session.models, session.t_sys, strict=True)},
        "frame_index": session.frame_index,
        "next_event_seq": session.log.next_seq,
        "command_seq": session._command_seq,
        "timeline_next_seq": session.timeline.next_seq,
        "pending": [_entry_json(e) for e in session.timeline.pending()],
        "alarms": [a.__dict__ for a in session.alarms.items.values()],
    }
    arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)  # type: ignore[arg-type]
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(buf.getvalue())
    tmp.replace(path)


def load(path: str | Path, sinks: Any = ()) -> Session:
    from houston.scenario.loader import loads
    from houston.session.session import Session

    with np.load(Path(path), allow_pickle=False) as data:
        meta = json.loads(bytes(data["__meta__"]).decode())
        if meta.get("format") != FORMAT:
            raise ValueError(f"{path} is not a Houston checkpoint ({FORMAT})")
        world = loads(
            meta["scenario"]["text"], meta["scenario"]["source"], meta["scenario"]["overrides"]
        )
        sinks_list: list[Sink] = list(sinks)
        session = Session(world, seed=meta["seed"], batch=meta["batch"], sinks=sinks_list)
        for m in session.models:
            for name in m.state:
                key = f"model/{m.path}/{name}"
                if key not in data:
                    raise ValueError(f"{path} has no state {name!r} for {m.path}")
                m.state[name] = data[key].copy()
        session.limits.load_state(
            {k: data[f"limits/{k}"] for k in ("level", "pending", "pending_level")}
        )
        session.ground.load_state(
            {k[len("ground/") :]: data[k] for k in data.files if k.startswith("ground/")}
        )
    session.t_ns = int(meta["t_ns"])
    t_sys = meta.get("t_sys", {})
    session.t_sys = [int(t_sys.get(m.path, session.t_ns)) for m in session.models]
    session.frame_index = int(meta["frame_index"])
    session.log.restore_counter(int(meta["next_event_seq"]))
    session._command_seq = int(meta["command_seq"])
    session.timeline = type(session.timeline)([_entry_from(e) for e in meta["pending"]])
    session.timeline.next_seq = int(meta["timeline_next_seq"])
    for a in meta["alarms"]:
        alarm = Alarm(**a)
        session.alarms.items[(alarm.run, alarm.parameter)] = alarm
    session._publish_all()
    session.started = True
    for s in session.sinks:
        s.begin(session)
    # Re-sample the state at the restore instant for the new sinks, without re-checking limits
    # (the levels were restored with the rest).
    for _, m, block in session._blocks:
        m.sample(block)
    for s in session.sinks:
        s.frame(session.t_ns, session.values)
    return session


def _entry_json(e: EntrySpec) -> dict[str, Any]:
    return {
        "t_ns": e.t_ns,
        "kind": e.kind,
        "name": e.name,
        "target": e.target,
        "args": e.args,
        "note": e.note,
        "seq": e.seq,
        "runs": list(e.runs) if e.runs is not None else None,
        "origin": e.origin,
        "via": e.via,
    }


def _entry_from(d: dict[str, Any]) -> EntrySpec:
    runs = tuple(d["runs"]) if d["runs"] is not None else None
    return EntrySpec(
        d["t_ns"],
        d["kind"],
        d["name"],
        d["target"],
        d["args"],
        d["note"],
        d["seq"],
        runs,
        d["origin"],
        d["via"],
    )

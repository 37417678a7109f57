"""The session: the frame loop that runs a world.

Each frame (``world.frame_ns`` of simulated time, 1 s by default):

1. timeline entries and commands that are due are applied (failures, repairs, commands); an
   entry that falls inside a frame splits it, so models are stepped exactly to its time;
2. every model that is due steps, in the scenario's order, reading its inputs from the signal
   bus (an input published by a model later in the order carries the previous step's value);
3. telemetry is sampled into one frame vector ``(batch, n_params)``;
4. limits are checked: transitions become events and alarms;
5. sinks (the archive, the console, the timeline printer) take the frame and the new events.

Systems that step at a slower rate (``step = "10s"`` in the scenario; a positive multiple of
the frame, by default the frame itself) keep their own clock ``t_sys``:

- a system whose step is the frame steps to every frame end and to every time at which an
  entry splits a frame, as above (``t_sys`` is always the session's time);
- a slower system steps once, from ``t_sys`` to the end of the frame, when a whole step has
  accumulated (``t_sys + step <= frame end``); so its steps end on frame ends, and a step may
  be longer than ``step`` by less than a frame after an early step;
- an entry that targets it (a failure, a repair, a command arriving on board; whatever the
  entry's ``runs``) first steps it from ``t_sys`` to the entry's time, then applies;
- the frame that ends a ``Session.run`` (at ``until``, or when ``stop()`` was asked) steps
  every system that lags to that time, so that a run always ends with every system at the
  session's time (``Session.sync`` does the same between frames). A run split in two
  therefore gives slow systems a step boundary at the split that one run would not have; a
  checkpoint does not (it saves ``t_sys``, and a restored session continues bit for bit).

Between its steps a system's outputs on the bus and its telemetry hold the values of its
last step (or of the last entry applied to it); every frame still records them, so the
archive has one row per frame as always. It reads its inputs when it steps, and its
``StepContext`` spans its own step (``ctx.t0_ns = t_sys``, ``ctx.t1_ns``), so its random
draws are keyed by its own step's start. Every run of a batch shares the schedule, so a batch
of N equals N single runs.

The clock is an integer number of TAI nanoseconds since the epoch. The same loop runs as fast
as possible or paced to the wall clock (``Pacer``), can be paused and resumed from another
thread, and checkpointed to a file from which ``Session.restore`` continues identically.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from houston.archive.store import CommandRecord
from houston.core.model import (
    CommandRejected,
    Model,
    ModelEvent,
    ModelRandom,
    StepContext,
    model_class,
)
from houston.core.random import BatchRandom, run_seeds
from houston.ops.catalog import Catalog
from houston.ops.events import Event, EventKind, EventLog, Severity
from houston.ops.limits import LEVEL_NAMES, Alarms, LimitChecker, Transition
from houston.scenario.loader import resolve_params
from houston.scenario.spec import EntrySpec, World, format_decision
from houston.session.links import GroundView, Receptions
from houston.session.pacing import Pacer
from houston.session.timeline import Timeline


class Sink:
    """Something that takes the session's output (the archive, the console, a printer);
    a sink overrides what it needs."""

    def begin(self, session: Session) -> None:
        """The session starts (or is restored): the catalog is known."""

    def frame(self, t_ns: int, values: NDArray[np.float64]) -> None:
        """One frame of true telemetry ``(batch, n_params)`` at ``t_ns``."""

    def events(self, events: Sequence[Event]) -> None:
        """New events."""

    def commands(self, records: Sequence[CommandRecord]) -> None:
        """What became of commands."""

    def receptions(self, records: Sequence[Receptions]) -> None:
        """Frames of linked assets that reached the ground, a batch per frame with deliveries
        (see ``links.GroundView``; iterating a batch gives ``links.Reception`` records)."""

    def flush(self) -> None:
        """Write out what is buffered."""

    def close(self) -> None:
        """The session ends."""


#: The inputs of a system without any (shared, read-only).
_NO_INPUTS: Mapping[str, NDArray[Any]] = MappingProxyType({})


class CommandError(ValueError):
    """A command that cannot even be queued (unknown target, command or argument)."""


@dataclass(frozen=True)
class RunSummary:
    """How a ``Session.run`` call ended."""

    t_ns: int
    frames: int
    interrupted: bool
    stopped: bool


class Session:
    """A running world: models, catalog, timeline, limits, events and sinks."""

    def __init__(
        self,
        world: World,
        *,
        seed: int = 0,
        batch: int = 1,
        sinks: Iterable[Sink] = (),
    ) -> None:
        if batch < 1:
            raise ValueError(f"batch must be at least 1, got {batch}")
        self.world = world
        self.seed = int(seed)
        self.batch = int(batch)
        self.rng = BatchRandom(run_seeds(self.seed, self.batch))
        self.models: list[Model] = [
            model_class(s.type_name)(s.path, s.params, self.batch) for s in world.systems
        ]
        self.by_path: dict[str, Model] = {m.path: m for m in self.models}
        self._index: dict[str, int] = {m.path: i for i, m in enumerate(self.models)}
        #: Each system's step (ns) and own clock: the time it has been stepped to.
        self.step_ns: list[int] = [s.step_ns or world.frame_ns for s in world.systems]
        self.t_sys: list[int] = [0] * len(self.models)
        # The systems stepped every frame, and a lower bound of the time at which a slower
        # one has a whole step accumulated (until then, only the first ones need a look).
        self._every_frame = [i for i, st in enumerate(self.step_ns) if st == world.frame_ns]
        self._slow = len(self._every_frame) < len(self.models)
        self._slow_due = 0
        # Systems whose telemetry changed since it was last sampled (the others hold), and
        # the same as a list, in the order they changed.
        self._fresh: list[bool] = [True] * len(self.models)
        self._to_sample: list[int] = list(range(len(self.models)))
        self.catalog = Catalog.from_models(self.models, {s.path: s.limits for s in world.systems})
        self.values = np.full((self.batch, len(self.catalog)), np.nan)
        # Each model samples its telemetry straight into its columns of the frame vector.
        self._blocks: list[tuple[int, Model, NDArray[np.float64]]] = []
        self._block_of: list[NDArray[np.float64] | None] = []
        start = 0
        for i, m in enumerate(self.models):
            n = len(m.telemetry)
            block = self.values[:, start : start + n] if n else None
            if block is not None:
                self._blocks.append((i, m, block))
            self._block_of.append(block)
            start += n
        # Each input reads a bus signal, or an unwired optional input its constant default.
        self._wiring: list[list[tuple[str, str | None, NDArray[np.float64]]]] = []
        for spec, m in zip(world.systems, self.models, strict=True):
            wires: list[tuple[str, str | None, NDArray[np.float64]]] = []
            for sig in m.inputs:
                src = spec.inputs.get(sig.name)
                wires.append((sig.name, src, np.full((self.batch, *sig.shape), sig.default)))
            self._wiring.append(wires)
        self.bus: dict[str, NDArray[Any]] = {}
        # Each system's outputs go on the bus as "path.signal" (the keys by output name,
        # filled as the outputs are first published).
        self._bus_keys: list[dict[str, str] | None] = [
            {} if m.outputs else None for m in self.models
        ]
        self._model_events: list[ModelEvent] = []
        self._contexts = [
            StepContext(
                0, 0, -1, {}, ModelRandom(self.rng, m.path), self._model_events, world.epoch
            )
            for m in self.models
        ]
        self.ground = GroundView(self.catalog, self.batch, world.downlinks)
        # The systems whose outputs the ground's links read (link up, light time).
        self._link_systems = [
            self._index[path] for path in world.downlinks.values() if path in self._index
        ]
        self.limits = LimitChecker(self.catalog, self.batch)
        self.alarms = Alarms()
        self.log = EventLog()
        self.timeline = Timeline(world.timeline)
        self.t_ns = 0
        self.frame_index = 0
        self.started = False
        self.sinks: list[Sink] = list(sinks)
        self._command_records: list[CommandRecord] = []
        self._command_seq = 0
        self._running = threading.Event()
        self._running.set()
        self._stop = threading.Event()
        self._lock = threading.RLock()

    # -- start ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Initialise every model, sample the state at the epoch and open the sinks."""
        if self.started:
            return
        self.started = True
        for s in self.sinks:
            s.begin(self)
        events = self._model_events
        for m, ctx in zip(self.models, self._contexts, strict=True):
            ctx.reset(0, 0, -1, {})
            m.initialize(ctx)
        self._publish_all()
        self._log_model_events(events, 0)
        events.clear()
        self.log.add(
            0,
            -1,
            EventKind.SESSION,
            Severity.INFO,
            "session",
            f"{self.world.name} started: {len(self.models)} models, "
            f"{len(self.catalog)} parameters, batch of {self.batch}, seed {self.seed}",
        )
        if self.world.decisions:
            self.log.add(
                0,
                -1,
                EventKind.SESSION,
                Severity.INFO,
                "session",
                "decisions: "
                + ", ".join(
                    f"{d.name} = {format_decision(d.value)}"
                    + (f" (file: {format_decision(d.default)})" if d.value != d.default else "")
                    for d in self.world.decisions
                ),
                {"decisions": {d.name: d.value for d in self.world.decisions}},
            )
        self._sample_and_emit()

    def _publish_all(self) -> None:
        for m in self.models:
            self._publish(m)

    def _publish(self, m: Model) -> None:
        if not m.outputs:
            return
        prefix = m.path + "."
        bus = self.bus
        for name, value in m.output_values().items():
            bus[prefix + name] = value

    # -- the frame -----------------------------------------------------------------------------

    def step_frame(self, end_ns: int | None = None) -> None:
        """Advance one frame (or up to ``end_ns`` if that comes first).

        A frame that reaches ``end_ns`` (the end of a run), or that ends after ``stop()`` was
        asked, brings every slower system to its end.
        """
        with self._lock:
            if not self.started:
                self.start()
            t0 = self.t_ns
            t1 = t0 + self.world.frame_ns
            if end_ns is not None:
                t1 = min(t1, end_ns)
            self._apply_due(t0)
            t = t0
            while t < t1:
                nxt = self.timeline.next_time()
                cut = t1 if nxt is None or nxt >= t1 else max(nxt, t)
                if cut > t:
                    final = cut == t1 and (
                        (end_ns is not None and t1 >= end_ns) or self._stop.is_set()
                    )
                    self._step_models(cut, cut == t1, final)
                    # The clock is the time the models have been stepped to: entries applied
                    # inside the frame are logged at their own time.
                    t = self.t_ns = cut
                if t < t1:
                    self._apply_due(t)
            self.t_ns = t1
            self.frame_index += 1
            self._sample_and_emit()

    def _step_models(self, t: int, frame_end: bool, final: bool) -> None:
        """Step to ``t`` the systems due: those stepped every frame, and at a frame end the
        slower ones with a whole step accumulated (every one that lags, if ``final``)."""
        t_sys = self.t_sys
        if not (self._slow and frame_end and (final or t >= self._slow_due)):
            for i in self._every_frame:
                if t_sys[i] < t:
                    self._step_one(i, t)
            return
        frame = self.world.frame_ns
        due = None  # when the next slower system will have a whole step accumulated
        for i, step in enumerate(self.step_ns):
            ts = t_sys[i]
            if ts < t and (step == frame or final or ts + step <= t):
                self._step_one(i, t)
            if step != frame and (due is None or t_sys[i] + step < due):
                due = t_sys[i] + step
        assert due is not None
        self._slow_due = due

    def _step_one(self, i: int, t1: int) -> None:
        """Step system ``i`` from its own clock to ``t1``; publish its outputs."""
        m = self.models[i]
        bus = self.bus
        wiring = self._wiring[i]
        inputs = (
            {name: (bus[src] if src is not None else default) for name, src, default in wiring}
            if wiring
            else _NO_INPUTS
        )
        ctx = self._contexts[i]
        ctx.reset(self.t_sys[i], t1, self.frame_index, inputs)
        m.step(ctx)
        self.t_sys[i] = t1
        if not self._fresh[i]:
            self._fresh[i] = True
            self._to_sample.append(i)
        events = self._model_events
        if events:
            self._log_model_events(events, t1, m.path)
            events.clear()
        keys = self._bus_keys[i]
        if keys is not None:
            for name, value in m.output_values().items():
                key = keys.get(name)
                if key is None:
                    key = keys[name] = f"{m.path}.{name}"
                bus[key] = value

    def _catch_up(self, i: int) -> None:
        """Bring system ``i`` to the session's time before an entry touches it."""
        if self.t_sys[i] < self.t_ns:
            self._step_one(i, self.t_ns)
        if not self._fresh[i]:
            self._fresh[i] = True
            self._to_sample.append(i)

    def lagging(self) -> list[str]:
        """The systems whose own clock is behind the session's (slower systems mid-step)."""
        return [m.path for m, t in zip(self.models, self.t_sys, strict=True) if t < self.t_ns]

    def sync(self) -> None:
        """Step every system that lags to the session's time (in the scenario's order); their
        telemetry is sampled with the next frame."""
        with self._lock:
            for i, t in enumerate(self.t_sys):
                if t < self.t_ns:
                    self._step_one(i, self.t_ns)

    def _log_model_events(self, events: list[ModelEvent], t_ns: int, source: str = "") -> None:
        for e in events:
            for run in np.flatnonzero(e.mask):
                self.log.add(
                    t_ns,
                    int(run),
                    EventKind.MODEL,
                    e.severity,
                    source or e.data.get("source", ""),
                    e.message,
                    dict(e.data),
                )

    def _sample_and_emit(self) -> None:
        fresh = self._fresh
        links_changed = any([fresh[i] for i in self._link_systems])
        todo = self._to_sample
        if todo:
            models, block_of = self.models, self._block_of
            for i in todo:
                block = block_of[i]
                if block is not None:
                    models[i].sample(block)
                fresh[i] = False
            todo.clear()
        self.ground.update(self.t_ns, self.values, self.bus, links_changed)
        for tr in self.limits.check(self.ground.values):
            self._limit_event(tr)
        for s in self.sinks:
            s.frame(self.t_ns, self.values)
        if self.ground.received:
            for s in self.sinks:
                s.receptions(self.ground.received)
            self.ground.received = []
        new = self.log.drain()
        if new:
            for s in self.sinks:
                s.events(new)
        if self._command_records:
            for s in self.sinks:
                s.commands(self._command_records)
            self._command_records = []

    def _limit_event(self, tr: Transition) -> None:
        p = self.catalog.params[tr.column]
        assert p.limits is not None
        self.alarms.update(self.t_ns, tr.run, p.name, tr.old, tr.new)
        value = p.format(tr.value)
        if tr.new == 0:
            sev, text = Severity.INFO, f"{p.name} back within limits ({value})"
        else:
            name = LEVEL_NAMES[tr.new]
            limit = getattr(p.limits, name.replace("-", "_"))
            side = "below" if tr.new < 0 else "above"
            sev = Severity.WARNING if abs(tr.new) == 2 else Severity.CAUTION
            text = f"{p.name} {value} {side} {name} {p.format(limit)}"
        self.log.add(
            self.t_ns,
            tr.run,
            EventKind.LIMIT,
            sev,
            p.source,
            text,
            {"parameter": p.name, "level": tr.new, "previous": tr.old, "value": tr.value},
        )

    # -- entries and commands -------------------------------------------------------------------

    def _mask(self, runs: tuple[int, ...] | None) -> NDArray[np.bool_]:
        mask = np.zeros(self.batch, dtype=bool)
        if runs is None:
            mask[:] = True
        else:
            idx = [r for r in runs if 0 <= r < self.batch]
            mask[idx] = True
        return mask

    def _apply_due(self, t_ns: int) -> None:
        for e in self.timeline.pop_due(t_ns):
            self._apply(e)

    def _apply(self, e: EntrySpec) -> None:
        mask = self._mask(e.runs)
        runs = np.flatnonzero(mask)
        note = f": {e.note}" if e.note else ""
        if e.kind == "event":
            for r in runs:
                self.log.add(
                    self.t_ns,
                    int(r),
                    EventKind.TIMELINE,
                    Severity.INFO,
                    "timeline",
                    e.name + note,
                    {},
                )
            return
        assert e.target is not None
        model = self.by_path[e.target]
        if e.kind != "command" or e.via != "ground":
            self._catch_up(self._index[e.target])
        if e.kind in ("failure", "repair"):
            active = e.kind == "failure"
            model.set_failure(e.name, e.args if active else {}, mask, active)
            self._publish(model)
            kind = EventKind.FAILURE if active else EventKind.REPAIR
            text = f"{'FAILURE' if active else 'REPAIRED'} {e.name}{note}"
            for r in runs:
                self.log.add(
                    self.t_ns,
                    int(r),
                    kind,
                    Severity.WARNING if active else Severity.INFO,
                    e.target,
                    text,
                    {"failure": e.name, **e.args},
                )
            return
        if e.via == "ground":
            self._uplink(e, mask, note)
            return
        seq = self._command_seq
        self._command_seq += 1
        rejected = np.zeros(self.batch, dtype=bool)
        reason = applied = ""
        try:
            applied = model.command(e.name, e.args, mask) or "done"
        except CommandRejected as exc:
            reason, applied = exc.reason, exc.applied
            rejected = mask.copy() if exc.mask is None else (exc.mask & mask)
        self._publish(model)
        data = {"command": e.name, "origin": e.origin, **e.args}
        for r in runs:
            if rejected[r]:
                status, kind, sev, result = (
                    "rejected",
                    EventKind.COMMAND_REJECTED,
                    Severity.CAUTION,
                    reason,
                )
                text = f"CMD {e.name} REJECTED: {reason}{note}"
            else:
                status, kind, sev, result = "applied", EventKind.COMMAND, Severity.INFO, applied
                text = f"CMD {e.name}: {applied}{note}"
            self.log.add(self.t_ns, int(r), kind, sev, e.target, text, data)
            self._command_records.append(
                CommandRecord(
                    seq, self.t_ns, int(r), e.target, e.name, dict(e.args), e.origin, status, result
                )
            )

    def _uplink(self, e: EntrySpec, mask: NDArray[np.bool_], note: str) -> None:
        """A ground command leaves now: it reaches the asset after the light time, only for the
        runs whose link is up; the others record it as refused."""
        assert e.target is not None
        link = self.ground.uplink(e.target.split(".", 1)[0], self.bus)
        if link is None:
            self._apply(replace(e, via="onboard"))
            return
        up, light_ns = link
        lost = mask & ~up
        if lost.any():
            reason = f"no uplink to {e.target.split('.', 1)[0]} (loss of signal)"
            seq = self._command_seq
            self._command_seq += 1
            for r in np.flatnonzero(lost):
                self.log.add(
                    self.t_ns,
                    int(r),
                    EventKind.COMMAND_REJECTED,
                    Severity.CAUTION,
                    e.target,
                    f"CMD {e.name} NOT SENT: {reason}{note}",
                    {"command": e.name, "origin": e.origin, **e.args},
                )
                self._command_records.append(
                    CommandRecord(
                        seq,
                        self.t_ns,
                        int(r),
                        e.target,
                        e.name,
                        dict(e.args),
                        e.origin,
                        "rejected",
                        reason,
                    )
                )
        sent = mask & up
        if sent.any():
            # One arrival for the batch: the light times of the runs differ by microseconds.
            arrival = self.t_ns + int(light_ns[sent].max())
            self.timeline.push(
                replace(
                    e,
                    t_ns=arrival,
                    via="onboard",
                    seq=self.timeline.allocate_seq(),
                    runs=tuple(int(r) for r in np.flatnonzero(sent)),
                )
            )

    def send(
        self,
        target: str,
        command: str,
        args: Mapping[str, Any] | None = None,
        *,
        at_ns: int | None = None,
        runs: Sequence[int] | None = None,
        origin: str = "operator",
    ) -> EntrySpec:
        """Queue a command; ``args`` are scenario-style fields with units (``dv_m_s``).

        It is applied at ``at_ns`` (default: the start of the next frame).
        """
        model = self.by_path.get(target)
        if model is None:
            raise CommandError(f"no system {target!r}; systems: {', '.join(self.by_path)}")
        decl = model.find_command(command)
        if decl is None:
            raise CommandError(
                f"{target} has no command {command!r}; commands: "
                + (", ".join(c.name for c in model.commands) or "none")
            )
        problems: list[str] = []
        values = resolve_params(
            decl.args,
            dict(args or {}),
            lambda path, msg: problems.append(f"{path[-1]}: {msg}" if path else msg),
            (),
            f"command {command}",
        )
        if problems:
            raise CommandError("; ".join(problems))
        with self._lock:
            entry = EntrySpec(
                t_ns=self.t_ns if at_ns is None else max(int(at_ns), self.t_ns),
                kind="command",
                name=command,
                target=target,
                args=values,
                note="",
                seq=self.timeline.allocate_seq(),
                runs=tuple(runs) if runs is not None else None,
                origin=origin,
                via="ground",
            )
            self.timeline.push(entry)
        return entry

    def acknowledge(self, parameter: str, run: int | None = None) -> int:
        """Acknowledge the alarms on ``parameter``; logged as an event."""
        with self._lock:
            n = self.alarms.acknowledge(parameter, run)
            if n:
                self.log.add(
                    self.t_ns,
                    -1 if run is None else run,
                    EventKind.ALARM,
                    Severity.INFO,
                    "ops",
                    f"{parameter} alarm acknowledged",
                    {"parameter": parameter, "count": n},
                )
            return n

    # -- the loop ------------------------------------------------------------------------------

    def run(
        self,
        until_ns: int | None = None,
        *,
        pacer: Pacer | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> RunSummary:
        """Run to ``until_ns`` (default: the scenario's duration) and flush the sinks.

        Ctrl-C (KeyboardInterrupt) ends the run cleanly after the last whole frame; everything
        sampled so far is in the sinks.
        """
        end = self.world.duration_ns if until_ns is None else int(until_ns)
        pacer = pacer or Pacer(None)
        if not self.started:
            self.start()
        pacer.anchor(self.t_ns)
        frames = 0
        interrupted = False
        try:
            # A stop ends the run once every system has been brought to the session's time
            # (the frame that sees the stop does it; one more frame if it came too late).
            while self.t_ns < end and not (self._stop.is_set() and not self.lagging()):
                if not self._running.is_set():
                    self._wait_paused()
                    pacer.anchor(self.t_ns)
                    continue
                self.step_frame(end)
                frames += 1
                if progress is not None:
                    progress(self.t_ns, end)
                pacer.wait(self.t_ns)
            if self.lagging():
                self.sync()  # frames stepped one by one before this run, which ran none
        except KeyboardInterrupt:
            interrupted = True
            self.log.add(
                self.t_ns,
                -1,
                EventKind.SESSION,
                Severity.WARNING,
                "session",
                f"run interrupted by the operator at frame {self.frame_index}",
            )
            for s in self.sinks:
                s.events(self.log.drain())
        for s in self.sinks:
            s.flush()
        return RunSummary(self.t_ns, frames, interrupted, self._stop.is_set())

    def _wait_paused(self) -> None:
        self.log.add(self.t_ns, -1, EventKind.SESSION, Severity.INFO, "session", "paused")
        while not self._running.wait(0.05):
            if self._stop.is_set():
                return
        self.log.add(self.t_ns, -1, EventKind.SESSION, Severity.INFO, "session", "resumed")

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def stop(self) -> None:
        """Ask a running loop to stop after the current frame."""
        self._stop.set()
        self._running.set()

    def close(self) -> None:
        """Log the end of the session and close every sink."""
        self.log.add(
            self.t_ns,
            -1,
            EventKind.SESSION,
            Severity.INFO,
            "session",
            f"session ended at frame {self.frame_index}",
        )
        new = self.log.drain()
        for s in self.sinks:
            if new:
                s.events(new)
            s.close()

    # -- reading -------------------------------------------------------------------------------

    def value(self, name: str) -> NDArray[np.float64]:
        """The current true value of a telemetry parameter, one per run."""
        return self.values[:, self.catalog.index[name]]

    def ground_value(self, name: str) -> NDArray[np.float64]:
        """The value of a parameter as the ground last heard it, one per run (NaN: never)."""
        return self.ground.values[:, self.catalog.index[name]]

    # -- checkpoints ---------------------------------------------------------------------------

    def checkpoint(self, path: Any) -> None:
        """Save everything needed to continue identically (see ``houston.session.checkpoint``)."""
        from houston.session.checkpoint import save

        with self._lock:
            save(self, path)

    @classmethod
    def restore(cls, path: Any, sinks: Iterable[Sink] = ()) -> Session:
        from houston.session.checkpoint import load

        return load(path, sinks)

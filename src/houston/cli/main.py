"""The ``houston`` command line."""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

app = typer.Typer(
    add_completion=False,
    pretty_exceptions_show_locals=False,
    no_args_is_help=True,
    help="Houston: a mission-control simulator for crewed spaceflight, on real physics.",
)
# Piped output (a file, another program) gets wide lines rather than Rich's 80 columns.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 240)
err = Console(stderr=True, highlight=False, soft_wrap=True)

SEVERITY_STYLE = {"info": "", "caution": "yellow", "warning": "bold red"}


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(code)


def _load_world(scenario: str, overrides: list[str] | None) -> Any:
    from houston.scenario.loader import load
    from houston.scenario.spec import ScenarioError

    try:
        return load(scenario, overrides or [])
    except ScenarioError as exc:
        for p in exc.problems:
            err.print(f"[bold red]error:[/] {escape(str(p))}")
        raise typer.Exit(1) from None


def _time_arg(text: str | None, epoch: Any) -> int | None:
    """A GET duration (``01:30:00``, ``90min``) or a UTC time (``1975-07-15T21:00:00Z``)."""
    from houston.core.time import DurationError, parse_duration

    if text is None:
        return None
    if "T" in text and "-" in text[1:]:
        try:
            return int(epoch.ns_since(text))
        except ValueError as exc:
            raise _fail(str(exc)) from None
    try:
        return parse_duration(text)
    except DurationError as exc:
        raise _fail(str(exc)) from None


#: Levels of the printed timeline (houston.ops.fdlog; kept here so that --help imports nothing).
LOG_LEVELS = ("fd", "all", "none")
LOG_HELP = (
    "which events to print: fd (the flight director's log: decisions, reports, each alarm "
    "once per level), all, none"
)


class TimelinePrinter:
    """Prints the mission timeline, one line per event: UTC, GET, asset, what happened."""

    def __init__(self, console: Console, epoch: Any, run: int = 0, log: str = "fd") -> None:
        from houston.ops.fdlog import LogFilter

        self.console = console
        self.epoch = epoch
        self.run = run
        self.keep = LogFilter(log)

    def line(self, e: Any) -> str:
        from houston.core.time import format_get

        utc = self.epoch.utc_iso(e.t_ns)
        asset = (e.source.split(".", 1)[0] if e.source else "")[:12]
        style = SEVERITY_STYLE.get(str(e.severity), "")
        text = escape(e.message)
        if style:
            text = f"[{style}]{text}[/]"
        return f"{utc}  {format_get(e.t_ns)}  {asset:<12} {text}"

    def __call__(self, e: Any) -> None:
        if e.run in (self.run, -1) and self.keep(e):
            self.console.print(self.line(e))


@app.command()
def scenarios() -> None:
    """List the bundled scenarios and their decisions (``--set decision.NAME=VALUE``)."""
    from houston.scenario.loader import bundled_decisions, bundled_descriptions

    decisions = bundled_decisions()
    table = Table(show_header=True, header_style="bold", box=None)
    table.add_column("scenario")
    table.add_column("description")
    table.add_column("decisions")
    for name, description in bundled_descriptions().items():
        table.add_row(
            name, description, "\n".join(_decision_line(d) for d in decisions.get(name, ()))
        )
    out.print(table)


def _decision_line(d: Any) -> str:
    """``apollo = "proceed" (proceed|abort)``: a decision, its value and its options."""
    from houston.scenario.spec import format_decision

    options = "|".join(format_decision(o).strip('"') for o in d.options)
    return escape(f"{d.name} = {format_decision(d.value)}" + (f" ({options})" if options else ""))


@app.command()
def check(
    scenario: Annotated[str, typer.Argument(help="a scenario file or a bundled scenario name")],
    set_: Annotated[list[str] | None, typer.Option("--set", help="override PATH=VALUE")] = None,
) -> None:
    """Validate a scenario; report every problem with its file, line and field."""
    from houston.session.session import Session

    world = _load_world(scenario, set_)
    session = Session(world)
    out.print(
        f"ok: {world.name}: {len(world.systems)} systems, {len(session.catalog)} telemetry "
        f"parameters, {len(world.timeline)} timeline entries, epoch {world.epoch.utc}"
    )
    slow = [s for s in world.systems if s.step_ns not in (None, world.frame_ns)]
    if slow:
        out.print(
            f"frame {world.frame_ns / 1e9:g} s; slower systems: "
            + ", ".join(f"{s.path} every {s.step_ns / 1e9:g} s" for s in slow)
        )
    if world.decisions:
        from houston.scenario.spec import format_decision

        table = Table(box=None, header_style="bold")
        for col in ("decision", "value", "options", "entries enabled", "description"):
            table.add_column(col)
        for d in world.decisions:
            value = format_decision(d.value)
            if d.value != d.default:
                value += f" (file: {format_decision(d.default)})"
            table.add_row(
                d.name,
                escape(value),
                escape(", ".join(format_decision(o) for o in d.options) or "any"),
                f"{d.enabled} of {d.entries}",
                escape(d.description),
            )
        out.print(table)


@app.command()
def models(
    markdown: Annotated[bool, typer.Option("--markdown", help="print the model reference")] = False,
) -> None:
    """List the model types a scenario can use."""
    from houston.core.model import model_class, model_types

    if markdown:
        from houston.ops.reference import markdown as reference

        print(reference(), end="")
        return

    table = Table(box=None, header_style="bold")
    for col in ("model", "summary", "telemetry", "commands", "failures"):
        table.add_column(col)
    for name in model_types():
        cls = model_class(name)
        table.add_row(
            name,
            cls.summary,
            str(len(cls.telemetry)),
            ", ".join(c.name for c in cls.commands),
            ", ".join(f.name for f in cls.failures),
        )
    out.print(table)


@app.command()
def run(
    scenario: Annotated[str, typer.Argument(help="a scenario file or a bundled scenario name")],
    until: Annotated[
        str | None, typer.Option(help="run to this GET (90s, 30min, 2h, 1d, HH:MM:SS)")
    ] = None,
    speed: Annotated[str, typer.Option(help="max, or a factor of real time: 1, 10, 60")] = "max",
    seed: Annotated[int, typer.Option(help="random seed (same seed, same result)")] = 0,
    batch: Annotated[int, typer.Option(help="runs in the batch (seeds SEED, SEED+1, ...)")] = 1,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="run directory (default runs/NAME-NNN)")
    ] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="override a scenario value: PATH=VALUE")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no timeline, no progress")] = False,
    log: Annotated[str, typer.Option(help=LOG_HELP)] = "fd",
) -> None:
    """Run a scenario, print its mission timeline and archive every sample."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from houston.core.time import DurationError, format_get, parse_duration
    from houston.session.api import default_run_dir
    from houston.session.pacing import Pacer, parse_speed
    from houston.session.session import Session
    from houston.session.sinks import ArchiveSink, EventSink

    world = _load_world(scenario, set_)
    try:
        until_ns = parse_duration(until) if until is not None else world.duration_ns
        pace = parse_speed(speed)
    except (DurationError, ValueError) as exc:
        raise _fail(str(exc)) from None
    if batch < 1:
        raise _fail(f"--batch must be at least 1, got {batch}")
    if seed < 0:
        raise _fail(f"--seed must be a non-negative integer, got {seed}")
    run_dir = out_dir or default_run_dir(world.name)
    try:
        archive = ArchiveSink(run_dir)
    except FileExistsError as exc:
        raise _fail(str(exc)) from None

    events: list[Any] = []
    show = not (as_json or quiet)
    if log not in LOG_LEVELS:
        raise _fail(f"--log {log!r}: expected one of {', '.join(LOG_LEVELS)}")
    printer = TimelinePrinter(out, world.epoch, log=log)
    sinks: list[Any] = [archive, EventSink(events.append)]
    if show:
        sinks.append(EventSink(printer))
    session = Session(world, seed=seed, batch=batch, sinks=sinks)
    if show:
        out.print(f"[bold]{escape(world.name)}[/]: {escape(world.description)}")
        out.print(
            f"epoch {world.epoch.utc}, frame {world.frame_ns / 1e9:g} s, "
            f"run to {format_get(until_ns)}, speed {speed}, seed {seed}, archive {run_dir}"
        )
        out.print(f"{'UTC':<20}  {'GET':<11}  {'asset':<12} event", style="bold")

    # SIGTERM ends the run like Ctrl-C: the archive is closed cleanly.
    def _term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _term)
    wall0 = time.perf_counter()
    try:
        if show:
            with Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                TextColumn("{task.fields[get]}"),
                TimeElapsedColumn(),
                console=out,
                transient=True,
                disable=not out.is_terminal,
            ) as progress:
                task = progress.add_task("running", total=until_ns, get="")
                last = [0.0]

                def tick(t_ns: int, end_ns: int) -> None:
                    now = time.perf_counter()
                    if now - last[0] > 0.1 or t_ns >= end_ns:
                        last[0] = now
                        progress.update(task, completed=t_ns, get=format_get(t_ns))

                summary = session.run(until_ns, pacer=Pacer(pace), progress=tick)
        else:
            summary = session.run(until_ns, pacer=Pacer(pace))
    finally:
        session.close()
        signal.signal(signal.SIGTERM, previous)
    wall = time.perf_counter() - wall0
    factor = summary.t_ns / 1e9 / wall if wall > 0 else float("inf")
    if as_json:
        payload = {
            "scenario": world.name,
            "run_dir": str(run_dir),
            "archive": str(archive.path),
            "seed": seed,
            "batch": batch,
            "t_end_ns": summary.t_ns,
            "get_end": format_get(summary.t_ns),
            "frames": summary.frames,
            "interrupted": summary.interrupted,
            "wall_s": round(wall, 3),
            "events": [
                {
                    "t_ns": e.t_ns,
                    "utc": world.epoch.utc_iso(e.t_ns),
                    "get": format_get(e.t_ns),
                    "run": e.run,
                    "kind": str(e.kind),
                    "severity": str(e.severity),
                    "source": e.source,
                    "message": e.message,
                }
                for e in events
            ],
        }
        print(json.dumps(payload, indent=1))
    elif not quiet:
        state = "interrupted" if summary.interrupted else "complete"
        out.print(
            f"{state}: {format_get(summary.t_ns)} simulated in {wall:.2f} s "
            f"({factor:,.0f}× real time), {summary.frames} frames; archive {archive.path}"
        )
    if summary.interrupted:
        raise typer.Exit(130)


@app.command()
def telemetry(
    run_dir: Annotated[Path, typer.Argument(help="a run directory (or its archive.duckdb)")],
    params: Annotated[list[str] | None, typer.Argument(help="parameters (default: all)")] = None,
    start: Annotated[str | None, typer.Option(help="from this GET or UTC time")] = None,
    end: Annotated[str | None, typer.Option(help="to this GET or UTC time")] = None,
    run_index: Annotated[int, typer.Option("--run", help="which run of a batch")] = 0,
    every: Annotated[
        str | None, typer.Option(help="one sample per this duration (e.g. 1min)")
    ] = None,
    csv: Annotated[bool, typer.Option("--csv", help="write CSV to standard output")] = False,
    parquet: Annotated[Path | None, typer.Option("--parquet", help="write a Parquet file")] = None,
) -> None:
    """Read parameters back from a run's archive."""
    import numpy as np
    import pyarrow as pa

    from houston.core.time import DurationError, format_get, parse_duration

    archive = _open_archive(run_dir)
    epoch = archive.epoch
    try:
        table = archive.telemetry(
            params or None,
            start_ns=_time_arg(start, epoch),
            end_ns=_time_arg(end, epoch),
            run=run_index,
        )
    except KeyError as exc:
        raise _fail(str(exc.args[0])) from None
    if every is not None:
        try:
            step = parse_duration(every)
        except DurationError as exc:
            raise _fail(str(exc)) from None
        t = table.column("t_ns").to_numpy()
        keep = np.flatnonzero(np.diff(np.concatenate([[-1], t // max(step, 1)])) != 0)
        table = table.take(pa.array(keep))
    t_ns = table.column("t_ns").to_numpy()
    utc = epoch.utc_iso(t_ns, precision=3) if len(t_ns) else []
    table = table.add_column(2, "utc", pa.array(utc, type=pa.string()))
    table = table.add_column(3, "get_s", pa.array(t_ns / 1e9))
    if parquet is not None:
        import pyarrow.parquet as pq

        pq.write_table(table, parquet)
        err.print(f"wrote {table.num_rows} rows × {table.num_columns} columns to {parquet}")
        return
    if csv:
        import pyarrow.csv as pcsv

        pcsv.write_csv(table, sys.stdout.buffer)
        return
    info = {row["name"]: row for row in archive.parameters().to_pylist()}
    names = [n for n in table.column_names if n in info]
    grid = Table(box=None, header_style="bold")
    grid.add_column("UTC")
    grid.add_column("GET")
    for n in names:
        grid.add_column(n, justify="right")
    from houston.ops.catalog import ParameterInfo

    fmt = {
        n: ParameterInfo(
            n,
            0,
            info[n]["unit"],
            "",
            info[n]["kind"],
            tuple(info[n]["states"]),
            None,
            info[n]["display_unit"],
            info[n]["source"],
        )
        for n in names
    }
    cols = {n: table.column(n).to_pylist() for n in names}
    for i in range(table.num_rows):
        grid.add_row(
            utc[i],
            format_get(int(t_ns[i])),
            *(fmt[n].format(np.nan if cols[n][i] is None else float(cols[n][i])) for n in names),
        )
    out.print(grid)


@app.command()
def events(
    run_dir: Annotated[Path, typer.Argument(help="a run directory (or its archive.duckdb)")],
    run_index: Annotated[int, typer.Option("--run", help="which run of a batch")] = 0,
    log: Annotated[str, typer.Option(help=LOG_HELP)] = "all",
) -> None:
    """Print a run's event log as a mission timeline."""
    from houston.ops.events import Event, EventKind, Severity

    if log not in LOG_LEVELS:
        raise _fail(f"--log {log!r}: expected one of {', '.join(LOG_LEVELS)}")
    archive = _open_archive(run_dir)
    printer = TimelinePrinter(out, archive.epoch, run_index, log=log)
    out.print(f"{'UTC':<20}  {'GET':<11}  {'asset':<12} event", style="bold")
    for row in archive.events().to_pylist():
        if row["run"] in (run_index, -1):
            printer(
                Event(
                    row["seq"],
                    row["t_ns"],
                    row["run"],
                    EventKind(row["kind"]),
                    Severity(row["severity"]),
                    row["source"],
                    row["message"],
                    {},
                )
            )


@app.command()
def oem(
    run_dir: Annotated[Path, typer.Argument(help="a run directory (or its archive.duckdb)")],
    system: Annotated[str, typer.Argument(help="a vehicle.spacecraft system, e.g. apollo.orbit")],
    out_file: Annotated[
        Path | None, typer.Option("--out", help="write here (default stdout)")
    ] = None,
    every: Annotated[str, typer.Option(help="one state per this duration")] = "60s",
    run_index: Annotated[int, typer.Option("--run", help="which run of a batch")] = 0,
) -> None:
    """Export a spacecraft's archived trajectory as a CCSDS Orbit Ephemeris Message (KVN)."""
    import numpy as np

    from houston.core.time import DurationError, parse_duration
    from houston.dynamics.oem import Segment, format_oem
    from houston.scenario.loader import loads
    from houston.scenario.spec import ScenarioError

    archive = _open_archive(run_dir)
    names = [f"{system}.{c}" for c in ("x_m", "y_m", "z_m", "vx_m_s", "vy_m_s", "vz_m_s")]
    try:
        step = parse_duration(every)
        table = archive.telemetry(names, run=run_index)
    except DurationError as exc:
        raise _fail(str(exc)) from None
    except KeyError:
        raise _fail(
            f"{system} has no archived state vector (a vehicle.spacecraft system?)"
        ) from None
    s = archive.scenario
    try:
        world = loads(s["text"], s["source"], s["overrides"])
        body = world.system(system).params.get("central_body", "earth")
    except (ScenarioError, KeyError):
        body = "earth"
    t = table.column("t_ns").to_numpy()
    keep = np.flatnonzero(np.diff(np.concatenate([[-1], t // max(step, 1)])) != 0)
    cols = np.column_stack([table.column(n).to_numpy()[keep] for n in names])
    epoch = archive.epoch
    utc = epoch.utc_iso(t[keep], precision=3) if keep.size else []
    if not keep.size:
        raise _fail("no samples in this archive")
    seg = Segment(
        object_name=system.upper(),
        object_id=system,
        center_name=body.upper(),
        ref_frame="GCRF" if body == "earth" else "ICRF",
        time_system="UTC",
        epochs=list(utc),
        r_m=cols[:, :3],
        v_m_s=cols[:, 3:],
    )
    from datetime import UTC, datetime

    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    text = format_oem([seg], "HOUSTON", created)
    if out_file is None:
        print(text, end="")
    else:
        out_file.write_text(text)
        err.print(f"wrote {len(utc)} states of {system} to {out_file}")


def _open_archive(run_dir: Path) -> Any:
    from houston.archive.store import Archive

    try:
        return Archive(run_dir)
    except (FileNotFoundError, OSError) as exc:
        raise _fail(str(exc)) from None


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()

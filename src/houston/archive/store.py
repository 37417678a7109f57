"""The run archive: one DuckDB file per run, written incrementally, read back as Arrow.

Tables:

- ``scenario``: one row, the scenario as run (its text, overrides, seed, batch size, epoch);
- ``parameters``: the catalog (column order, units, descriptions, limits);
- ``telemetry``: one row per run and sample, ``run``, ``t_ns`` (TAI ns since the epoch), and a
  column per parameter named ``asset.system.quantity_unit``;
- ``events``: the event log; ``commands``: every command with its fate.

Frames are buffered and written in transactions (by default once a second of wall time or
every few thousand frames); a committed transaction is in DuckDB's write-ahead log, so a
process killed with SIGKILL leaves an archive readable up to its last flush.
This is the one module of the simulator that writes to disk.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

ARCHIVE_FILE = "archive.duckdb"

_EVENT_COLUMNS = ("seq", "t_ns", "run", "kind", "severity", "source", "message", "data")
_COMMAND_COLUMNS = (
    "seq",
    "t_ns",
    "run",
    "target",
    "command",
    "args",
    "origin",
    "status",
    "result",
)


@dataclass(frozen=True)
class CommandRecord:
    """What became of one command in one run."""

    seq: int
    t_ns: int
    run: int
    target: str
    command: str
    args: dict[str, Any]
    origin: str
    status: str  # "applied" or "rejected"
    result: str


def _sql_type(kind: str) -> str:
    return {"float": "DOUBLE", "int": "BIGINT", "enum": "INTEGER", "bool": "BOOLEAN"}[kind]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def archive_path(run_dir: str | Path) -> Path:
    p = Path(run_dir)
    return p if p.suffix == ".duckdb" else p / ARCHIVE_FILE


class ArchiveWriter:
    """Writes one run's archive. Use ``begin`` once, then ``frame``/``events``/``commands``,
    and ``close`` (which flushes)."""

    def __init__(
        self,
        run_dir: str | Path,
        *,
        flush_seconds: float = 1.0,
        flush_frames: int = 3600,
        clock: Any = time.monotonic,
    ) -> None:
        import duckdb

        self.path = archive_path(run_dir)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            raise FileExistsError(f"{self.path} already exists; choose another --out directory")
        self._con = duckdb.connect(str(self.path))
        self.flush_seconds = flush_seconds
        self.flush_frames = flush_frames
        self._clock = clock
        self._last_flush = clock()
        self._times: list[int] = []
        self._frames: list[NDArray[np.float64]] = []
        self._events: list[tuple[Any, ...]] = []
        self._commands: list[tuple[Any, ...]] = []
        self._receptions: list[tuple[Any, ...]] = []
        self._kinds: list[str] = []
        self._names: list[str] = []
        self._batch = 1
        self._begun = False
        self.closed = False

    # -- set-up ------------------------------------------------------------------------------

    def begin(
        self, scenario: dict[str, Any], parameters: Sequence[dict[str, Any]], batch: int
    ) -> None:
        """Create the tables; ``parameters`` are catalog rows in column order."""
        con = self._con
        self._batch = batch
        self._names = [str(p["name"]) for p in parameters]
        self._kinds = [str(p["kind"]) for p in parameters]
        con.execute("BEGIN")
        con.execute(
            "CREATE TABLE scenario (name VARCHAR, description VARCHAR, source VARCHAR, "
            "text VARCHAR, overrides VARCHAR[], seed BIGINT, batch INTEGER, epoch_utc VARCHAR, "
            "epoch_tai_jd1 DOUBLE, epoch_tai_jd2 DOUBLE, frame_ns BIGINT, houston_version VARCHAR)"
        )
        con.execute(
            "INSERT INTO scenario VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                scenario["name"],
                scenario["description"],
                scenario["source"],
                scenario["text"],
                list(scenario["overrides"]),
                scenario["seed"],
                batch,
                scenario["epoch_utc"],
                scenario["epoch_tai_jd1"],
                scenario["epoch_tai_jd2"],
                scenario["frame_ns"],
                scenario["houston_version"],
            ],
        )
        con.execute(
            "CREATE TABLE parameters (column_index INTEGER, name VARCHAR, unit VARCHAR, "
            "description VARCHAR, kind VARCHAR, states VARCHAR[], display_unit VARCHAR, "
            "source VARCHAR, truth BOOLEAN, caution_low DOUBLE, caution_high DOUBLE, "
            "warning_low DOUBLE, warning_high DOUBLE, persistence INTEGER, hysteresis DOUBLE)"
        )
        for p in parameters:
            lim = p.get("limits") or {}
            con.execute(
                "INSERT INTO parameters VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    p["column"],
                    p["name"],
                    p["unit"],
                    p["description"],
                    p["kind"],
                    list(p["states"]),
                    p["display_unit"],
                    p["source"],
                    bool(p.get("truth", False)),
                    lim.get("caution_low"),
                    lim.get("caution_high"),
                    lim.get("warning_low"),
                    lim.get("warning_high"),
                    lim.get("persistence"),
                    lim.get("hysteresis"),
                ],
            )
        cols = ", ".join(
            f"{_quote(n)} {_sql_type(k)}" for n, k in zip(self._names, self._kinds, strict=True)
        )
        con.execute(
            f"CREATE TABLE telemetry (run INTEGER, t_ns BIGINT{', ' + cols if cols else ''})"
        )
        con.execute(
            "CREATE TABLE events (seq BIGINT, t_ns BIGINT, run INTEGER, kind VARCHAR, "
            "severity VARCHAR, source VARCHAR, message VARCHAR, data VARCHAR)"
        )
        con.execute(
            "CREATE TABLE commands (seq BIGINT, t_ns BIGINT, run INTEGER, target VARCHAR, "
            "command VARCHAR, args VARCHAR, origin VARCHAR, status VARCHAR, result VARCHAR)"
        )
        con.execute(
            "CREATE TABLE receptions (run INTEGER, asset VARCHAR, t_sample_ns BIGINT, "
            "t_received_ns BIGINT)"
        )
        con.execute("CREATE TABLE downlinks (asset VARCHAR, system VARCHAR)")
        for asset, system in sorted(scenario.get("downlinks", {}).items()):
            con.execute("INSERT INTO downlinks VALUES (?, ?)", [asset, system])
        con.execute("COMMIT")
        self._begun = True

    # -- data --------------------------------------------------------------------------------

    def frame(self, t_ns: int, values: NDArray[np.float64]) -> None:
        """Buffer one frame of telemetry ``(batch, n_params)``; flush when due."""
        self._times.append(t_ns)
        self._frames.append(values.copy())
        if len(self._frames) >= self.flush_frames or (
            self._clock() - self._last_flush >= self.flush_seconds
        ):
            self.flush()

    def events(self, events: Iterable[Any]) -> None:
        for e in events:
            self._events.append(
                (
                    e.seq,
                    e.t_ns,
                    e.run,
                    str(e.kind),
                    str(e.severity),
                    e.source,
                    e.message,
                    json.dumps(e.data, sort_keys=True, default=_json_default),
                )
            )

    def commands(self, records: Iterable[CommandRecord]) -> None:
        for c in records:
            self._commands.append(
                (
                    c.seq,
                    c.t_ns,
                    c.run,
                    c.target,
                    c.command,
                    json.dumps(c.args, sort_keys=True, default=_json_default),
                    c.origin,
                    c.status,
                    c.result,
                )
            )

    def receptions(self, records: Iterable[Any]) -> None:
        for r in records:
            self._receptions.append((r.run, r.asset, r.t_sample_ns, r.t_received_ns))

    def flush(self) -> None:
        """Write everything buffered in one transaction."""
        import pyarrow as pa

        self._last_flush = self._clock()
        if not self._begun or not (
            self._frames or self._events or self._commands or self._receptions
        ):
            return
        con = self._con
        con.execute("BEGIN")
        if self._frames:
            stack = np.stack(self._frames)  # (frames, batch, params)
            nf, nb, _ = stack.shape
            arrays: dict[str, Any] = {
                "run": pa.array(np.tile(np.arange(nb, dtype=np.int32), nf)),
                "t_ns": pa.array(np.repeat(np.asarray(self._times, dtype=np.int64), nb)),
            }
            for j, (name, kind) in enumerate(zip(self._names, self._kinds, strict=True)):
                col = stack[:, :, j].reshape(-1)
                if kind == "bool":
                    arrays[name] = pa.array(col != 0)
                elif kind in ("int", "enum"):
                    arrays[name] = pa.array(col.astype(np.int64))
                else:
                    arrays[name] = pa.array(col)
            table = pa.table(arrays)
            con.register("_frames", table)
            con.execute("INSERT INTO telemetry SELECT * FROM _frames")
            con.unregister("_frames")
            self._frames.clear()
            self._times.clear()
        if self._events:
            con.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)", self._events)
            self._events.clear()
        if self._receptions:
            con.executemany("INSERT INTO receptions VALUES (?, ?, ?, ?)", self._receptions)
            self._receptions.clear()
        if self._commands:
            con.executemany(
                "INSERT INTO commands VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", self._commands
            )
            self._commands.clear()
        con.execute("COMMIT")

    def close(self) -> None:
        if self.closed:
            return
        self.flush()
        self._con.close()
        self.closed = True


def _arrow(con: Any, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
    """A query's result as a ``pyarrow.Table`` (the method's name changed in DuckDB 2)."""
    if isinstance(params, dict):
        rel = con.sql(sql, params=params)
    else:
        rel = con.sql(sql, params=list(params)) if params else con.sql(sql)
    fetch = getattr(rel, "to_arrow_table", None) or rel.fetch_arrow_table
    return fetch()


def _json_default(x: Any) -> Any:
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    return str(x)


class Archive:
    """A run's archive, opened for reading.

    ``telemetry()`` and ``events()`` return ``pyarrow.Table`` objects, which become
    DataFrames with ``.to_pandas()`` or ``polars.from_arrow``; ``archive["name"]`` gives one
    parameter of run 0 as a numpy array.
    """

    def __init__(self, run_dir: str | Path) -> None:
        import duckdb

        self.path = archive_path(run_dir)
        if not self.path.exists():
            raise FileNotFoundError(f"no archive at {self.path}")
        # A read-write open replays a write-ahead log left by a killed writer.
        wal = Path(str(self.path) + ".wal")
        try:
            self._con = duckdb.connect(str(self.path), read_only=not wal.exists())
        except duckdb.IOException as exc:
            raise OSError(f"cannot open {self.path}: {exc}") from None
        rows = self._con.sql(
            "SELECT name, description, source, text, overrides, seed, batch, epoch_utc, "
            "epoch_tai_jd1, epoch_tai_jd2, frame_ns, houston_version FROM scenario"
        ).fetchall()
        row = rows[0] if rows else None
        if row is None:
            raise OSError(f"{self.path} has no scenario row")
        keys = (
            "name",
            "description",
            "source",
            "text",
            "overrides",
            "seed",
            "batch",
            "epoch_utc",
            "epoch_tai_jd1",
            "epoch_tai_jd2",
            "frame_ns",
            "houston_version",
        )
        self.scenario: dict[str, Any] = dict(zip(keys, row, strict=True))

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def epoch(self) -> Any:
        from houston.core.time import Epoch

        s = self.scenario
        return Epoch(s["epoch_tai_jd1"], s["epoch_tai_jd2"], s["epoch_utc"])

    def parameters(self) -> Any:
        return _arrow(self._con, "SELECT * FROM parameters ORDER BY column_index")

    def parameter_names(self) -> list[str]:
        rows = self._con.sql("SELECT name FROM parameters ORDER BY column_index").fetchall()
        return [r[0] for r in rows]

    def telemetry(
        self,
        names: Sequence[str] | None = None,
        *,
        start_ns: int | None = None,
        end_ns: int | None = None,
        run: int | None = None,
    ) -> Any:
        """Telemetry as a ``pyarrow.Table`` with ``run``, ``t_ns`` and the named columns."""
        known = self.parameter_names()
        if names:
            missing = [n for n in names if n not in known]
            if missing:
                raise KeyError(
                    f"no parameter {missing[0]!r} in this archive; it has: {', '.join(known)}"
                )
        cols = ", ".join(_quote(n) for n in (names or known))
        where, params = [], []
        if start_ns is not None:
            where.append("t_ns >= ?")
            params.append(start_ns)
        if end_ns is not None:
            where.append("t_ns <= ?")
            params.append(end_ns)
        if run is not None:
            where.append("run = ?")
            params.append(run)
        sql = f"SELECT run, t_ns{', ' + cols if cols else ''} FROM telemetry"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY run, t_ns"
        return _arrow(self._con, sql, params)

    def downlinks(self) -> dict[str, str]:
        """Assets heard over a link -> the system carrying it."""
        return dict(self._con.sql("SELECT asset, system FROM downlinks").fetchall())

    def ground_telemetry(self, names: Sequence[str], *, run: int = 0) -> Any:
        """What the ground had at each frame: for each named parameter, the value of the newest
        sample of its asset that had reached the ground (NULL before the first), and for each
        linked asset ``ASSET.age_s``, the age of that sample. Assets without a downlink were
        heard at once: their columns are the true values."""
        import pyarrow as pa

        known = set(self.parameter_names())
        for n in names:
            if n not in known:
                raise KeyError(f"no parameter {n!r} in this archive")
        links = self.downlinks()
        base = self.telemetry([], run=run)
        t = base.column("t_ns")
        columns: dict[str, Any] = {"t_ns": t}
        by_asset: dict[str, list[str]] = {}
        for n in names:
            by_asset.setdefault(n.split(".", 1)[0], []).append(n)
        for asset, params in by_asset.items():
            if asset not in links:
                direct = self.telemetry(params, run=run)
                for n in params:
                    columns[n] = direct.column(n)
                continue
            cols = ", ".join(f"tel.{_quote(n)}" for n in params)
            table = _arrow(
                self._con,
                "SELECT f.t_ns, r.t_sample_ns, "
                f"{cols} FROM (SELECT t_ns FROM telemetry WHERE run = $run) f "
                "ASOF LEFT JOIN (SELECT t_received_ns, t_sample_ns FROM receptions "
                "WHERE run = $run AND asset = $asset) r ON f.t_ns >= r.t_received_ns "
                "LEFT JOIN (SELECT * FROM telemetry WHERE run = $run) tel "
                "ON tel.t_ns = r.t_sample_ns ORDER BY f.t_ns",
                {"run": run, "asset": asset},
            )
            for n in params:
                columns[n] = table.column(n)
            sample = table.column("t_sample_ns").to_numpy(zero_copy_only=False)
            now = table.column("t_ns").to_numpy()
            age = (now - sample) * 1e-9
            columns[f"{asset}.age_s"] = pa.array(age, mask=np.isnan(sample.astype(float)))
        return pa.table(columns)

    def __getitem__(self, name: str) -> NDArray[Any]:
        return self.telemetry([name], run=0).column(name).to_numpy()

    def events(self, run: int | None = None) -> Any:
        sql = "SELECT * FROM events"
        params: list[Any] = []
        if run is not None:
            sql += " WHERE run = ?"
            params.append(run)
        return _arrow(self._con, sql + " ORDER BY run, t_ns, seq", params)

    def commands(self) -> Any:
        return _arrow(self._con, "SELECT * FROM commands ORDER BY run, t_ns, seq")

    def table(self, name: str) -> Any:
        """A whole table in a canonical order (for comparisons)."""
        order = {
            "telemetry": "run, t_ns",
            "events": "run, t_ns, seq",
            "commands": "run, t_ns, seq",
            "receptions": "run, asset, t_sample_ns",
            "downlinks": "asset",
            "parameters": "column_index",
            "scenario": "name",
        }[name]
        return _arrow(self._con, f"SELECT * FROM {name} ORDER BY {order}")

    def to_parquet(self, dest: str | Path, names: Sequence[str] | None = None, **kw: Any) -> Path:
        """Write telemetry to a Parquet file."""
        import pyarrow.parquet as pq

        dest = Path(dest)
        pq.write_table(self.telemetry(names, **kw), dest)
        return dest

"""The run archive: one DuckDB file per run, written incrementally, read back as Arrow.

Tables:

- ``scenario``: one row, the scenario as run (its text, overrides, seed, batch size, epoch);
- ``parameters``: the catalog (column order, units, descriptions, limits);
- ``frames``: one row per frame, ``frame`` (0, 1, 2, ... in this archive) and ``t_ns`` (TAI ns
  since the epoch);
- ``samples``: the telemetry as changes: a row ``(frame, run, column_index, value)`` for each
  value that differs, bit for bit, from the same parameter's value in the run's previous frame
  (every value of the first frame). A system stepped every 10 s, a hatch that stays shut, a
  counter that does not count cost nothing between changes;
- ``events``: the event log; ``commands``: every command with its fate; ``receptions`` and
  ``downlinks``: what reached the ground over each link, and when.

``Archive.telemetry`` rebuilds the wide table, one row per run and frame and a column per
parameter named ``asset.system.quantity_unit`` (typed by its kind), by holding each change
until the next: exactly the values the session emitted.

Frames are buffered in a preallocated block and written in transactions (by default once a
second of wall time or every few thousand frames); a committed transaction is in DuckDB's
write-ahead log, so a process killed with SIGKILL leaves an archive readable up to its last
flush. Rows are inserted from Arrow tables, never row by row.
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

# Column types of the tables written from Python rows (aliases of ``pyarrow.type_for_alias``).
_EVENT_TYPES = ("int64", "int64", "int32", "string", "string", "string", "string", "string")
_COMMAND_TYPES = (
    "int64",
    "int64",
    "int32",
    "string",
    "string",
    "string",
    "string",
    "string",
    "string",
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


def archive_path(run_dir: str | Path) -> Path:
    p = Path(run_dir)
    return p if p.suffix == ".duckdb" else p / ARCHIVE_FILE


class ArchiveWriter:
    """Writes one run's archive. Use ``begin`` once, then ``frame``/``events``/``commands``,
    and ``close`` (which flushes).

    Frames are copied into a preallocated block of ``flush_frames`` frames (fewer if the block
    would pass ``buffer_bytes``) and written when it is full or ``flush_seconds`` of wall time
    have passed since the last flush, whichever comes first.
    """

    def __init__(
        self,
        run_dir: str | Path,
        *,
        flush_seconds: float = 1.0,
        flush_frames: int = 3600,
        buffer_bytes: int = 64 << 20,
        clock: Any = time.monotonic,
    ) -> None:
        import duckdb

        self.path = archive_path(run_dir)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            raise FileExistsError(f"{self.path} already exists; choose another --out directory")
        self._con = duckdb.connect(str(self.path))
        self.flush_seconds = flush_seconds
        self.flush_frames = max(1, int(flush_frames))
        self.buffer_bytes = buffer_bytes
        self._clock = clock
        self._last_flush = clock()
        self._block: NDArray[np.float64] | None = None  # (capacity, batch, params)
        self._times: NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self._n = 0  # frames buffered in the block
        self._frame_seq = 0  # archive frame number of the first buffered frame
        self._last: NDArray[np.int64] | None = None  # bits of the last frame written
        self._events: list[tuple[Any, ...]] = []
        self._commands: list[tuple[Any, ...]] = []
        self._receptions: list[Any] = []  # batches of deliveries
        self._n_params = 0
        self._batch = 1
        self._begun = False
        self.closed = False

    # -- set-up ------------------------------------------------------------------------------

    def begin(
        self, scenario: dict[str, Any], parameters: Sequence[dict[str, Any]], batch: int
    ) -> None:
        """Create the tables; ``parameters`` are catalog rows in column order."""
        import pyarrow as pa

        con = self._con
        self._batch = batch
        self._n_params = len(parameters)
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
        lims = [p.get("limits") or {} for p in parameters]
        text, f64 = pa.string(), pa.float64()
        rows = {
            "column_index": pa.array([p["column"] for p in parameters], pa.int32()),
            "name": pa.array([p["name"] for p in parameters], text),
            "unit": pa.array([p["unit"] for p in parameters], text),
            "description": pa.array([p["description"] for p in parameters], text),
            "kind": pa.array([p["kind"] for p in parameters], text),
            "states": pa.array([list(p["states"]) for p in parameters], pa.list_(text)),
            "display_unit": pa.array([p["display_unit"] for p in parameters], text),
            "source": pa.array([p["source"] for p in parameters], text),
            "truth": pa.array([bool(p.get("truth", False)) for p in parameters], pa.bool_()),
            **{
                k: pa.array([lim.get(k) for lim in lims], f64)
                for k in ("caution_low", "caution_high", "warning_low", "warning_high")
            },
            "persistence": pa.array([lim.get("persistence") for lim in lims], pa.int32()),
            "hysteresis": pa.array([lim.get("hysteresis") for lim in lims], f64),
        }
        _insert(con, "parameters", pa.table(rows))
        con.execute("CREATE TABLE frames (frame BIGINT, t_ns BIGINT)")
        con.execute(
            "CREATE TABLE samples (frame BIGINT, run INTEGER, column_index INTEGER, value DOUBLE)"
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
        block = self._block
        if block is None:
            if not self._begun:
                raise RuntimeError("ArchiveWriter.begin() must come before the first frame")
            frame_bytes = max(1, values.size * 8)
            capacity = max(1, min(self.flush_frames, self.buffer_bytes // frame_bytes))
            block = self._block = np.empty((capacity, *values.shape))
            self._times = np.empty(capacity, dtype=np.int64)
        n = self._n
        block[n] = values
        self._times[n] = t_ns
        self._n = n = n + 1
        if n == len(block) or self._clock() - self._last_flush >= self.flush_seconds:
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
        """Buffer deliveries, batches of arrays (``links.Receptions``: ``rows`` (runs, links,
        sample times), ``t_received_ns``, ``assets``); they become columns when written."""
        self._receptions += records

    def flush(self) -> None:
        """Write everything buffered in one transaction."""
        self._last_flush = self._clock()
        if not self._begun or not (self._n or self._events or self._commands or self._receptions):
            return
        con = self._con
        con.execute("BEGIN")
        if self._n:
            self._write_frames()
        if self._events:
            _insert(con, "events", _columns(self._events, _EVENT_TYPES))
            self._events.clear()
        if self._receptions:
            _insert(con, "receptions", self._reception_table())
            self._receptions.clear()
        if self._commands:
            _insert(con, "commands", _columns(self._commands, _COMMAND_TYPES))
            self._commands.clear()
        con.execute("COMMIT")

    def _reception_table(self) -> Any:
        """The buffered receptions as an Arrow table of the ``receptions`` columns."""
        import pyarrow as pa

        groups: dict[tuple[str, ...], list[Any]] = {}
        for r in self._receptions:
            groups.setdefault(r.assets, []).append(r)
        names: dict[str, int] = {}
        run, code, sample, received = [], [], [], []
        for assets, batches in groups.items():
            table = np.array([names.setdefault(a, len(names)) for a in assets], dtype=np.int64)
            rows = np.concatenate([r.rows for r in batches], axis=1)
            run.append(rows[0])
            code.append(table[rows[1]])
            sample.append(rows[2])
            received.append(
                np.repeat(
                    np.array([r.t_received_ns for r in batches], dtype=np.int64),
                    [r.rows.shape[1] for r in batches],
                )
            )
        asset = pa.DictionaryArray.from_arrays(
            pa.array(np.concatenate(code), pa.int32()), pa.array(list(names), pa.string())
        )
        return pa.table(
            {
                "run": pa.array(np.concatenate(run), pa.int32()),
                "asset": asset.dictionary_decode(),
                "t_sample_ns": pa.array(np.concatenate(sample), pa.int64()),
                "t_received_ns": pa.array(np.concatenate(received), pa.int64()),
            }
        )

    def _write_frames(self) -> None:
        """The buffered frames: a ``frames`` row each, and a ``samples`` row for every value
        that differs (bit for bit) from the same parameter's value in the frame before."""
        import pyarrow as pa

        assert self._block is not None
        n = self._n
        block = self._block[:n]
        bits = block.view(np.int64)
        size = bits.size
        frame = np.empty(size, dtype=np.int64)
        run = np.empty(size, dtype=np.int32)
        column = np.empty(size, dtype=np.int32)
        value = np.empty(size)
        first = self._last is None
        last = bits[0] if self._last is None else self._last
        k = _changes_kernel()(block, bits, last, first, self._frame_seq, frame, run, column, value)
        seq = self._frame_seq
        frames = np.arange(seq, seq + n, dtype=np.int64)
        con = self._con
        _insert(con, "frames", pa.table({"frame": frames, "t_ns": self._times[:n]}))
        if k:
            samples = pa.table(
                {"frame": frame[:k], "run": run[:k], "column_index": column[:k], "value": value[:k]}
            )
            _insert(con, "samples", samples)
        self._last = bits[n - 1].copy()
        self._frame_seq = seq + n
        self._n = 0

    def close(self) -> None:
        if self.closed:
            return
        self.flush()
        self._con.close()
        self.closed = True


def _changes(
    values: NDArray[np.float64],
    bits: NDArray[np.int64],
    last: NDArray[np.int64],
    first: bool,
    seq: int,
    frame: NDArray[np.int64],
    run: NDArray[np.int32],
    column: NDArray[np.int32],
    value: NDArray[np.float64],
) -> int:
    """The samples of a block of frames ``values`` ``(frames, batch, params)`` (``bits``: the
    same memory as integers): each value that differs from the run's previous frame (``last`` before the
    block; every value when ``first``), in frame, run, column order. Returns how many."""
    k = 0
    for f in range(bits.shape[0]):
        for r in range(bits.shape[1]):
            for c in range(bits.shape[2]):
                b = bits[f, r, c]
                if f == 0:
                    changed = first or b != last[r, c]
                else:
                    changed = b != bits[f - 1, r, c]
                if changed:
                    frame[k] = seq + f
                    run[k] = r
                    column[k] = c
                    value[k] = values[f, r, c]
                    k += 1
    return k


_CHANGES: Any = None


def _changes_kernel() -> Any:
    """``_changes`` compiled with numba (on first use, cached on disk)."""
    global _CHANGES
    if _CHANGES is None:
        import numba

        _CHANGES = numba.njit(cache=True, nogil=True)(_changes)
    return _CHANGES


def _insert(con: Any, table: str, data: Any) -> None:
    """Append an Arrow table to ``table`` (its columns in the table's order)."""
    con.register("_houston_rows", data)
    try:
        con.execute(f"INSERT INTO {table} SELECT * FROM _houston_rows")
    finally:
        con.unregister("_houston_rows")


def _columns(rows: list[tuple[Any, ...]], types: Sequence[Any]) -> Any:
    """Row tuples as an Arrow table of the given column types."""
    import pyarrow as pa

    cols = zip(*rows, strict=True)
    return pa.table(
        {
            f"c{i}": pa.array(col, pa.type_for_alias(t))
            for i, (col, t) in enumerate(zip(cols, types, strict=True))
        }
    )


def _arrow(con: Any, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
    """A query's result as a ``pyarrow.Table`` (the method's name changed in DuckDB 2)."""
    if isinstance(params, dict):
        rel = con.sql(sql, params=params)
    else:
        rel = con.sql(sql, params=list(params)) if params else con.sql(sql)
    fetch = getattr(rel, "to_arrow_table", None) or rel.fetch_arrow_table
    return fetch()


def _split_runs(table: Any, runs: Sequence[int], with_frame: bool) -> list[Any]:
    """The rows of ``table`` (``run``, ``column_index``, ``value``, maybe ``frame``) as numpy
    arrays for each of ``runs``: ``(frame or None, column, value)``."""
    if table is None or table.num_rows == 0:
        return [None] * len(runs)
    run = table.column("run").to_numpy()
    order = np.argsort(run, kind="stable")
    run = run[order]
    col = table.column("column_index").to_numpy()[order]
    value = table.column("value").to_numpy()[order]
    frame = table.column("frame").to_numpy()[order] if with_frame else None
    out = []
    for r in runs:
        i, j = np.searchsorted(run, [r, r + 1])
        out.append((None if frame is None else frame[i:j], col[i:j], value[i:j]))
    return out


def _positions(keys: NDArray[np.int64], sorted_ids: NDArray[np.int64]) -> NDArray[np.int64]:
    """The position of each key in ``sorted_ids`` (unique, ascending), -1 where absent."""
    n = len(sorted_ids)
    if n and sorted_ids[-1] - sorted_ids[0] == n - 1:  # a contiguous range: arithmetic
        pos = keys - sorted_ids[0]
        pos[(pos < 0) | (pos >= n)] = -1
        return pos
    pos = np.searchsorted(sorted_ids, keys)
    inside = pos < n
    inside[inside] = sorted_ids[pos[inside]] == keys[inside]
    pos[~inside] = -1
    return pos


def _fill(
    out: NDArray[np.float64],
    parts: Sequence[Any],
    frame_ids: NDArray[np.int64],
    columns: NDArray[np.int64],
) -> None:
    """One run's values into ``out`` ``(columns, frames)``: each stored change held until
    the next one (NaN before the first).

    ``parts`` are ``(frame, column, value)`` arrays in order: the value each column held
    before the first frame (``frame`` None), then the changes in the frames ``frame_ids``."""
    nc, nt = out.shape
    # For each cell, the flat index in ``out`` of the change it holds (-1: none yet).
    latest = np.full((nc, nt), -1, dtype=np.int64)
    for part in parts:
        if part is None:
            continue
        frame, col, value = part
        cpos = _positions(col, columns)
        fpos = np.zeros(len(col), dtype=np.int64) if frame is None else _positions(frame, frame_ids)
        ok = (cpos >= 0) & (fpos >= 0)
        cpos, fpos = cpos[ok], fpos[ok]
        out[cpos, fpos] = value[ok]
        latest[cpos, fpos] = cpos * nt + fpos
    np.maximum.accumulate(latest, axis=1, out=latest)
    never = latest < 0
    out[...] = np.take(out.reshape(-1), latest).reshape(nc, nt)
    out[never] = np.nan


def _typed(x: NDArray[np.float64], kind: str) -> Any:
    """A column of values as the Arrow type of its kind (as the telemetry table types it)."""
    import pyarrow as pa

    if kind == "bool":
        return pa.array(x != 0)
    if kind == "int":
        return pa.array(x.astype(np.int64))
    if kind == "enum":
        return pa.array(x.astype(np.int64).astype(np.int32))
    return pa.array(x)


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
        tables = {r[0] for r in self._con.sql("SHOW TABLES").fetchall()}
        if "samples" not in tables:
            raise OSError(
                f"{self.path} is an archive of an older Houston (a telemetry table with a "
                "column per parameter); run the scenario again to read it with this version"
            )
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
        self._params: list[tuple[str, str]] | None = None

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
        return [name for name, _ in self._catalog()]

    def _catalog(self) -> list[tuple[str, str]]:
        """(name, kind) of every parameter, in column order."""
        if self._params is None:
            rows = self._con.sql("SELECT name, kind FROM parameters ORDER BY column_index")
            self._params = [(str(n), str(k)) for n, k in rows.fetchall()]
        return self._params

    def telemetry(
        self,
        names: Sequence[str] | None = None,
        *,
        start_ns: int | None = None,
        end_ns: int | None = None,
        run: int | None = None,
    ) -> Any:
        """Telemetry as a ``pyarrow.Table`` with ``run``, ``t_ns`` and the named columns (all
        when ``names`` is empty): one row per run and frame, ordered by run and time."""
        catalog = self._catalog()
        index = {n: i for i, (n, _) in enumerate(catalog)}
        if names:
            missing = [n for n in names if n not in index]
            if missing:
                known = ", ".join(n for n, _ in catalog)
                raise KeyError(f"no parameter {missing[0]!r} in this archive; it has: {known}")
        chosen = list(names) if names else [n for n, _ in catalog]
        return self._read([index[n] for n in chosen], start_ns, end_ns, run)

    def _read(
        self, columns: list[int], start_ns: int | None, end_ns: int | None, run: int | None
    ) -> Any:
        """Rebuild every frame of ``columns`` from the stored changes (forward fill)."""
        import pyarrow as pa

        con = self._con
        where, args = [], []
        if start_ns is not None:
            where.append("t_ns >= ?")
            args.append(int(start_ns))
        if end_ns is not None:
            where.append("t_ns <= ?")
            args.append(int(end_ns))
        sql = "SELECT frame, t_ns FROM frames"
        if where:
            sql += " WHERE " + " AND ".join(where)
        frames = _arrow(con, sql + " ORDER BY frame", args)
        frame_ids = frames.column("frame").to_numpy()
        t_ns = frames.column("t_ns").to_numpy()
        batch = int(self.scenario["batch"])
        runs = list(range(batch)) if run is None else ([int(run)] if 0 <= run < batch else [])
        ucols, col_pos = np.unique(np.asarray(columns, dtype=np.int64), return_inverse=True)
        nt, nr, nc = len(frame_ids), len(runs), len(ucols)
        # One row per distinct column; the runs one after another.
        dense = np.full((nc, nr * nt), np.nan)
        if nt and nr and nc:
            filters = []
            if run is not None:
                filters.append(f"run = {int(run)}")
            if nc < len(self._catalog()):
                filters.append(f"column_index IN ({', '.join(str(int(c)) for c in ucols)})")
            extra = "".join(" AND " + f for f in filters)
            lo, hi = int(frame_ids[0]), int(frame_ids[-1])
            changes = _arrow(
                con,
                "SELECT frame, run, column_index, value FROM samples "
                f"WHERE frame BETWEEN {lo} AND {hi}{extra}",
            )
            before = None
            if lo > 0:  # the values held at the first frame: the last change before it
                before = _arrow(
                    con,
                    "SELECT run, column_index, arg_max(value, frame) AS value FROM samples "
                    f"WHERE frame < {lo}{extra} GROUP BY run, column_index",
                )
            held = _split_runs(before, runs, with_frame=False)
            moved = _split_runs(changes, runs, with_frame=True)
            for k in range(nr):
                block = dense if nr == 1 else np.empty((nc, nt))
                _fill(block, (held[k], moved[k]), frame_ids, ucols)
                if block is not dense:
                    dense[:, k * nt : (k + 1) * nt] = block
        cols = [
            pa.array(np.repeat(np.asarray(runs, dtype=np.int32), nt)),
            pa.array(np.tile(t_ns, nr)),
        ]
        catalog = self._catalog()
        with np.errstate(invalid="ignore"):
            for c, pos in zip(columns, col_pos, strict=True):
                cols.append(_typed(dense[pos], catalog[c][1]))
        names = ["run", "t_ns", *(catalog[c][0] for c in columns)]
        return pa.Table.from_arrays(cols, names=names)

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
        index = {n: i for i, (n, _) in enumerate(self._catalog())}
        tel = self._read([index[n] for n in dict.fromkeys(names)], None, None, run)
        t = tel.column("t_ns")
        now = t.to_numpy()
        columns: dict[str, Any] = {"t_ns": t}
        by_asset: dict[str, list[str]] = {}
        for n in names:
            by_asset.setdefault(n.split(".", 1)[0], []).append(n)
        for asset, params in by_asset.items():
            if asset not in links:
                for n in params:
                    columns[n] = tel.column(n)
                continue
            rec = _arrow(
                self._con,
                "SELECT t_received_ns, t_sample_ns FROM receptions WHERE run = ? AND asset = ? "
                "ORDER BY t_received_ns, t_sample_ns",
                [run, asset],
            )
            received = rec.column("t_received_ns").to_numpy()
            sampled = rec.column("t_sample_ns").to_numpy()
            # The newest reception by each frame (of those received together, the newest sample).
            j = np.searchsorted(received, now, side="right") - 1
            heard = j >= 0
            sample = np.where(heard, sampled[np.maximum(j, 0)] if len(sampled) else 0, 0)
            row = np.minimum(np.searchsorted(now, sample), max(len(now) - 1, 0))
            found = heard & (now[row] == sample) if len(now) else heard
            take = pa.array(row, mask=~found)
            for n in params:
                columns[n] = tel.column(n).take(take)
            age = (now - sample) * 1e-9
            columns[f"{asset}.age_s"] = pa.array(age, mask=~heard)
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
        if name == "telemetry":
            return self.telemetry()
        order = {
            "frames": "frame",
            "samples": "frame, run, column_index",
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

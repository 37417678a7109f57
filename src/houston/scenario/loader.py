"""Load a scenario TOML file into a validated ``World``, reporting every problem with its place.

A scenario file has five kinds of tables::

    [scenario]                     # name, description, epoch_utc, duration, frame
    [decision]                     # named choices (optional): name = value, or a table
    tracy_runs = true
    [decision.apollo]
    value = "proceed"
    options = ["proceed", "abort"]
    description = "Apollo docks with Soyuz after one more orbit, or comes home"
    [decision.apollo.set.abort]    # --set values that this choice applies (assets.* only)
    "assets.apollo.orbit.mass_kg" = 14000
    [assets.NAME]                  # an asset: a vehicle, a base, a ground station
    description = "..."
    [assets.NAME.SYSTEM]           # a model instance, path NAME.SYSTEM
    model = "vehicle.two_body"     # its type
    step = "10s"                   # optional: stepped every 10 s (a multiple of the frame)
    perigee_altitude_km = 220      # its parameters, unit in the field name
    inputs = { target_r = "other.orbit.r_gcrf_m" }
    [assets.NAME.SYSTEM.limits.altitude_m]
    caution_low_km = 200           # overrides of telemetry limits
    [[timeline]]                   # entries: at (GET) or at_utc, and one of
    at = "00:45:00"                # command / failure / repair / event
    target = "NAME.SYSTEM"
    command = "burn"
    dv_lvlh_m_s = [0, -30, 0]      # arguments, unit in the field name
    when = { apollo = "proceed" }  # optional: only when these decisions have these values
                                   # (a list: any of them)

Values from the command line (``--set path=value``) are applied to the parsed file before
validation, so an override is checked exactly like the file. ``--set decision.NAME=VALUE``
sets a decision's value (in either form); a decision with ``options`` accepts only those, and
a decision's value keeps the kind it has in the file (text, true/false, number). Then the
``set`` table of each decision's current value is applied (a ``--set`` of the same path wins).
Timeline entries whose ``when`` does not hold are validated like the others and left out of
the world.
"""

from __future__ import annotations

import copy
import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from houston.core.model import REQUIRED, Command, Failure, Limits, Model, Param, model_class
from houston.core.time import DURATION_FORMS, DurationError, Epoch, parse_duration
from houston.core.units import DIMENSIONS, UnitError, split_field, symbol, to_si
from houston.scenario.locate import _split_key, find_line, key_lines
from houston.scenario.spec import (
    DecisionSpec,
    EntrySpec,
    Problem,
    ScenarioError,
    SystemSpec,
    World,
    decision_kind,
    format_decision,
)

ENTRY_KINDS = ("command", "failure", "repair", "event")


# -- the fixed part of the schema (pydantic) ------------------------------------------------


class _Header(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    description: str
    epoch_utc: str
    duration: str | int | float = "1h"
    frame: str | int | float = "1s"


class _Entry(BaseModel):
    model_config = ConfigDict(extra="allow")

    at: str | int | float | None = None
    at_utc: str | None = None
    target: str | None = None
    command: str | None = None
    failure: str | None = None
    repair: str | None = None
    event: str | None = None
    note: str = ""
    runs: list[int] | None = None
    via: Literal["onboard", "ground"] = "onboard"
    when: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> _Entry:
        kinds = [k for k in ENTRY_KINDS if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(
                "a timeline entry needs exactly one of 'command', 'failure', 'repair' or 'event'"
                + (f", got {', '.join(kinds)}" if kinds else "")
            )
        if (self.at is None) == (self.at_utc is None):
            raise ValueError("a timeline entry needs exactly one of 'at' (GET) or 'at_utc'")
        if self.via == "ground" and kinds[0] != "command":
            raise ValueError('only a command can be sent from the ground (via = "ground")')
        if kinds[0] != "event" and not self.target:
            raise ValueError(f"a {kinds[0]} entry needs a 'target' (an asset.system path)")
        return self


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scenario: _Header
    decision: dict[str, Any] = {}
    assets: dict[str, dict[str, Any]] = {}
    timeline: list[_Entry] = []


# -- bundled scenarios ------------------------------------------------------------------------


def bundled_dir() -> Path:
    return Path(str(resources.files("houston") / "scenarios"))


def bundled() -> dict[str, Path]:
    """Bundled scenario names -> paths."""
    return {p.stem: p for p in sorted(bundled_dir().glob("*.toml"))}


def bundled_decisions() -> dict[str, tuple[DecisionSpec, ...]]:
    """Bundled scenario names -> their decisions (as the files set them)."""
    out = {}
    for name, path in bundled().items():
        try:
            out[name] = scenario_decisions(tomllib.loads(path.read_text()))
        except tomllib.TOMLDecodeError:
            out[name] = ()
    return out


def bundled_descriptions() -> dict[str, str]:
    out = {}
    for name, path in bundled().items():
        try:
            out[name] = tomllib.loads(path.read_text())["scenario"]["description"]
        except (KeyError, tomllib.TOMLDecodeError):
            out[name] = "(no description)"
    return out


def resolve_source(name_or_path: str | Path) -> Path:
    """A bundled scenario name or a path -> the file's path."""
    p = Path(name_or_path)
    if p.suffix == ".toml" or p.exists():
        if not p.is_file():
            raise ScenarioError([Problem(str(p), None, "", "no such scenario file")])
        return p
    found = bundled().get(str(name_or_path))
    if found is None:
        names = ", ".join(bundled()) or "(none)"
        raise ScenarioError(
            [
                Problem(
                    str(name_or_path),
                    None,
                    "",
                    f"not a file and not a bundled scenario; bundled scenarios: {names}",
                )
            ]
        )
    return found


# -- overrides --------------------------------------------------------------------------------


def parse_override(text: str) -> tuple[list[str], Any]:
    """``a.b.c=value`` -> (["a", "b", "c"], value), the value read as TOML or else as text."""
    path, eq, value = text.partition("=")
    if not eq or not path.strip():
        raise ValueError(
            f"expected PATH=VALUE (e.g. assets.apollo.orbit.mass_kg=14000), got {text!r}"
        )
    from houston.scenario.locate import _split_key

    keys = _split_key(path.strip())
    try:
        parsed = tomllib.loads(f"v = {value.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value.strip()
    return keys, parsed


def apply_overrides(raw: dict[str, Any], overrides: Iterable[str]) -> list[Problem]:
    """Apply ``--set PATH=VALUE`` overrides to a parsed scenario; return the problems.

    ``decision.NAME=VALUE`` must name a declared decision; it sets the decision's value
    whether the file writes it short (``NAME = VALUE``) or as a table (``value = VALUE``).
    """
    problems = []
    for text in overrides:
        try:
            keys, value = parse_override(text)
        except ValueError as exc:
            problems.append(Problem("--set", None, text, str(exc)))
            continue
        if keys[0] == "decision" and len(keys) >= 2:
            declared = raw.get("decision")
            declared = declared if isinstance(declared, dict) else {}
            if keys[1] not in declared:
                names = ", ".join(declared) or "none (the scenario has no [decision] table)"
                problems.append(
                    Problem("--set", None, text, f"no decision {keys[1]!r}; decisions: {names}")
                )
                continue
            if len(keys) == 2 and isinstance(declared[keys[1]], dict):
                keys = [*keys, "value"]
        error = _assign(raw, keys, value)
        if error:
            problems.append(Problem("--set", None, text, error))
    return problems


def _assign(raw: dict[str, Any], keys: list[str], value: Any) -> str | None:
    """Set the value at a key path (tables are created as needed); an error text or None."""
    node: Any = raw
    for i, key in enumerate(keys[:-1]):
        if isinstance(node, list):
            if not key.isdigit() or int(key) >= len(node):
                return f"{'.'.join(keys[: i + 1])} is not an entry"
            node = node[int(key)]
        elif isinstance(node, dict):
            node = node.setdefault(key, {})
        else:
            return f"{'.'.join(keys[:i])} is a value, not a table"
    if isinstance(node, dict):
        node[keys[-1]] = value
    elif isinstance(node, list) and keys[-1].isdigit() and int(keys[-1]) < len(node):
        node[int(keys[-1])] = value
    else:
        return "cannot set a value there"
    return None


# -- decisions --------------------------------------------------------------------------------

DECISION_FIELDS = ("value", "options", "description", "set")
_DECISION_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_KIND_TEXT = {"bool": "true or false", "number": "a number", "text": "text"}


def _option_key(value: Any) -> str:
    """How a ``set`` table names an option: its text, ``true``/``false``, or the number."""
    return value if isinstance(value, str) else format_decision(value)


def _read_decisions(
    table: Any, in_file: Any, report: Any
) -> tuple[list[DecisionSpec], list[tuple[str, str, Any]]]:
    """Validate the ``[decision]`` table; return the decisions and, for the current value of
    each, the ``set`` values it applies: ``(decision, path, value)``. A decision that is
    wrong is reported and left out."""
    decisions: list[DecisionSpec] = []
    derived: list[tuple[str, str, Any]] = []
    if not isinstance(table, dict):
        report(
            ("decision",), "expected a table of named decisions (NAME = VALUE or [decision.NAME])"
        )
        return decisions, derived
    in_file = in_file if isinstance(in_file, dict) else {}
    for name, entry in table.items():
        where: tuple[str | int, ...] = ("decision", name)
        if not _DECISION_NAME.match(name):
            report(where, "a decision name is lower-case letters, digits and '_', from a letter")
            continue
        long_form = isinstance(entry, dict)
        if long_form:
            for key in entry:
                if key not in DECISION_FIELDS:
                    report((*where, key), "unknown field; expected " + ", ".join(DECISION_FIELDS))
            if "value" not in entry:
                report(where, "missing required field value (the decision's current choice)")
                continue
            value = entry["value"]
            options_raw = entry.get("options")
            description = entry.get("description", "")
            sets = entry.get("set", {})
        else:
            value, options_raw, description, sets = entry, None, "", {}
        vwhere = (*where, "value") if long_form else where
        kind = decision_kind(value)
        if kind is None or (isinstance(value, float) and not math.isfinite(value)):
            report(vwhere, f"expected text, true or false, or a finite number, got {value!r}")
            continue
        written = in_file.get(name)
        default = written.get("value", value) if isinstance(written, dict) else written
        default_kind = decision_kind(default)
        if default_kind is not None and default_kind != kind:
            report(
                vwhere,
                f"expected {_KIND_TEXT[default_kind]}, like the file's value "
                f"{format_decision(default)}, got {value!r}",
            )
            continue
        if default_kind is None:
            default = value
        options: tuple[Any, ...] = ()
        if kind == "bool":
            options = (False, True)
            if options_raw is not None:
                report((*where, "options"), "a true/false decision takes no options")
        elif options_raw is not None:
            if (
                not isinstance(options_raw, list)
                or not options_raw
                or any(decision_kind(o) != kind for o in options_raw)
            ):
                report(
                    (*where, "options"),
                    f"expected a list of values, each {_KIND_TEXT[kind]}, got {options_raw!r}",
                )
                continue
            if len({_option_key(o) for o in options_raw}) != len(options_raw):
                report((*where, "options"), f"an option is listed twice in {options_raw!r}")
                continue
            options = tuple(options_raw)
        if options and value not in options:
            report(
                vwhere,
                f"{format_decision(value)} is not an option of decision {name}; options: "
                + ", ".join(format_decision(o) for o in options),
            )
            continue
        if not isinstance(description, str):
            report((*where, "description"), f"expected text, got {description!r}")
            description = ""
        derived.extend(
            (name, path, v) for path, v in _decision_sets(sets, options, report, where, value)
        )
        decisions.append(DecisionSpec(name, value, default, options, description))
    return decisions, derived


def _decision_sets(
    sets: Any, options: tuple[Any, ...], report: Any, where: tuple[str | int, ...], value: Any
) -> list[tuple[str, Any]]:
    """Check a decision's ``set`` table; return the ``(path, value)`` pairs of ``value``."""
    swhere = (*where, "set")
    if not sets:
        return []
    if not options:
        first = next(iter(sets)) if isinstance(sets, dict) else None
        report(
            swhere if first is None else (*swhere, first),
            "a decision needs its options declared to set values for them",
        )
        return []
    if not isinstance(sets, dict) or not all(isinstance(t, dict) for t in sets.values()):
        report(swhere, 'expected a table per option: [decision.NAME.set.OPTION] "assets.…" = value')
        return []
    keys = {_option_key(o): o for o in options}
    out: list[tuple[str, Any]] = []
    for key, table in sets.items():
        if key not in keys:
            report(
                (*swhere, key),
                f"{key!r} is not an option; options: " + ", ".join(map(format_decision, options)),
            )
            continue
        for path, v in table.items():
            parts = _split_key(path)
            if len(parts) < 4 or parts[0] != "assets":
                report(
                    (*swhere, key, path),
                    "a decision sets system values only: "
                    '"assets.ASSET.SYSTEM.FIELD" = value (the timeline uses when = { … })',
                )
                continue
            if keys[key] == value:
                out.append((path, v))
    return out


def scenario_decisions(raw: Any) -> tuple[DecisionSpec, ...]:
    """The valid decisions of a parsed scenario file, without validating the rest of it (for
    listings such as ``houston scenarios``)."""
    if not isinstance(raw, dict) or "decision" not in raw:
        return ()
    decisions, _ = _read_decisions(raw["decision"], raw["decision"], lambda *a: None)
    return tuple(decisions)


# -- parameters with units --------------------------------------------------------------------


def _accepted(p: Param) -> str:
    if p.kind in ("str", "bool", "strings", "records") or p.unit == "1":
        return p.name
    return f"{p.name}_<{'|'.join(s for s in DIMENSIONS[p.unit] if s)}>"


def _fmt(value_si: float, suffix: str, unit: str) -> str:
    u = DIMENSIONS[unit][suffix]
    return f"{(value_si - u.offset) / u.scale:g} {symbol(suffix)}".strip()


def resolve_params(
    decls: Iterable[Param],
    table: Mapping[str, Any],
    report: Any,
    where: tuple[str | int, ...],
    what: str,
) -> dict[str, Any]:
    """Turn a table of unit-suffixed fields into SI values of the declared parameters.

    ``report(path, message)`` receives each problem; the returned dict holds the values that
    could be read (defaults for those not given).
    """
    decls = tuple(decls)
    out: dict[str, Any] = {}
    seen: dict[str, str] = {}
    for key, value in table.items():
        match = None
        for p in decls:
            suffix = None
            if p.kind in ("str", "bool", "strings", "records"):
                suffix = "" if key == p.name else None
            else:
                try:
                    suffix = split_field(key, p.name, p.unit)
                except UnitError:
                    suffix = None
            if suffix is not None:
                match = (p, suffix)
                break
        if match is None:
            expected = ", ".join(_accepted(p) for p in decls) or "no fields"
            report((*where, key), f"unknown field for {what}; expected: {expected}")
            continue
        p, suffix = match
        if p.name in seen:
            report((*where, key), f"{p.name} is already given as {seen[p.name]!r}")
            continue
        seen[p.name] = key
        if p.kind == "records":
            converted = _records(p, value, report, (*where, key))
        else:
            converted = _convert(p, suffix, value, lambda m, k=key: report((*where, k), m))
        if converted is not None:
            out[p.name] = converted
    for p in decls:
        if p.name not in out and p.name not in seen:
            if p.default is REQUIRED:
                unit_hint = "" if p.unit == "1" or p.kind in ("str", "bool") else f" ({p.unit})"
                report(where, f"missing required field {_accepted(p)}{unit_hint}: {p.description}")
            else:
                out[p.name] = p.default
    return out


def _records(p: Param, value: Any, report: Any, where: tuple[str | int, ...]) -> Any:
    """A table of named records, each resolved against ``p.fields``."""
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        report(where, f"expected a table of named {p.name} (one sub-table each)")
        return None
    out = {}
    for name, record in value.items():
        out[name] = resolve_params(p.fields, record, report, (*where, name), f"{p.name} {name!r}")
    return out


def _convert(p: Param, suffix: str, value: Any, report: Any) -> Any:
    def number(x: Any) -> float | None:
        if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
            return None
        return to_si(float(x), suffix, p.unit)

    if p.kind == "str":
        if not isinstance(value, str):
            report(f"expected text, got {value!r}")
            return None
        if p.choices and value not in p.choices:
            report(f"expected one of {', '.join(map(repr, p.choices))}, got {value!r}")
            return None
        return value
    if p.kind == "strings":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            report(f"expected a list of names, got {value!r}")
            return None
        if p.choices and (bad := [v for v in value if v not in p.choices]):
            report(f"expected names among {', '.join(map(repr, p.choices))}, got {bad!r}")
            return None
        return list(value)
    if p.kind == "bool":
        if not isinstance(value, bool):
            report(f"expected true or false, got {value!r}")
            return None
        return value
    if p.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            report(f"expected a whole number, got {value!r}")
            return None
        result: Any = value
    elif p.kind == "vector":
        n = p.shape[0]
        if not isinstance(value, list) or len(value) != n:
            report(f"expected a list of {n} numbers in {symbol(suffix) or 'units'}, got {value!r}")
            return None
        items = [number(v) for v in value]
        if any(v is None for v in items):
            report(f"expected {n} finite numbers, got {value!r}")
            return None
        return items
    else:
        if isinstance(value, str) and p.unit == "s":
            try:
                result = parse_duration(value) * 1e-9
            except DurationError as exc:
                report(str(exc))
                return None
        else:
            result = number(value)
            if result is None:
                unit = symbol(suffix)
                report(f"expected a finite number{' in ' + unit if unit else ''}, got {value!r}")
                return None
    if p.min is not None and result < p.min:
        report(f"{_fmt(result, suffix, p.unit)} is below the minimum {_fmt(p.min, suffix, p.unit)}")
        return None
    if p.max is not None and result > p.max:
        report(f"{_fmt(result, suffix, p.unit)} is above the maximum {_fmt(p.max, suffix, p.unit)}")
        return None
    return result


def limit_params(unit: str) -> tuple[Param, ...]:
    """The fields of a limits override table for a telemetry parameter in ``unit``."""
    return (
        Param("caution_low", unit, "caution below this value", None),
        Param("caution_high", unit, "caution above this value", None),
        Param("warning_low", unit, "warning below this value", None),
        Param("warning_high", unit, "warning above this value", None),
        Param("persistence", "1", "samples a violation must last", None, kind="int", min=1),
        Param("hysteresis", unit, "margin to clear a violation", None, min=0.0),
    )


# -- the loader -------------------------------------------------------------------------------


class _Reporter:
    def __init__(self, file: str, text: str, overridden: set[tuple[str, ...]]) -> None:
        self.file = file
        self.lines = key_lines(text)
        self.overridden = overridden
        #: paths set by a decision's ``set`` table -> (what set them, the line of that key)
        self.derived: dict[tuple[str, ...], tuple[str, int | None]] = {}
        self.problems: list[Problem] = []

    def __call__(self, path: tuple[str | int, ...], message: str) -> None:
        dotted = ".".join(str(p) for p in path)
        key = tuple(str(p) for p in path)
        if any(key[: len(o)] == o for o in self.overridden):
            self.problems.append(Problem(self.file, None, f"{dotted} (from --set)", message))
            return
        for d, (label, line) in self.derived.items():
            if key[: len(d)] == d:
                self.problems.append(Problem(self.file, line, f"{dotted} ({label})", message))
                return
        self.problems.append(Problem(self.file, find_line(self.lines, path), dotted, message))


def load(source: str | Path, overrides: Iterable[str] = ()) -> World:
    """Load and validate a scenario (a bundled name or a path); raise ``ScenarioError``."""
    path = resolve_source(source)
    text = path.read_text()
    return loads(text, str(path), overrides)


def loads(text: str, file: str = "<scenario>", overrides: Iterable[str] = ()) -> World:
    """Validate scenario ``text``; ``file`` names it in error messages."""
    overrides = tuple(overrides)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(
            [Problem(file, _toml_line(exc), "", f"not valid TOML: {exc}")]
        ) from None
    in_file = copy.deepcopy(raw.get("decision"))
    override_problems = apply_overrides(raw, overrides)
    overridden = {tuple(parse_override(o)[0]) for o in overrides if "=" in o}
    report = _Reporter(file, text, overridden)
    report.problems.extend(override_problems)
    decisions, derived = _read_decisions(raw.get("decision", {}), in_file, report)
    declared = raw.get("decision")
    # Entries conditioned on a decision that is itself wrong are not reported again.
    broken = set(declared) - {d.name for d in decisions} if isinstance(declared, dict) else set()
    values = {d.name: d.value for d in decisions}
    for name, path, value in derived:
        keys = _split_key(path)
        if any(tuple(keys[: len(o)]) == o for o in overridden):
            continue  # the command line wins
        where = ("decision", name, "set", _option_key(values[name]), path)
        error = _assign(raw, keys, value)
        if error:
            report(where, error)
        else:
            label = f"set by decision.{name} = {format_decision(values[name])}"
            report.derived[tuple(keys)] = (label, find_line(report.lines, where))
    try:
        parsed = _File.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                msg = "unknown field; expected " + (
                    "scenario, decision, assets, timeline"
                    if len(loc) == 1
                    else "name, description, epoch_utc, duration, frame"
                )
            elif err["type"] == "missing":
                msg = "missing required field"
            elif "input" in err and not isinstance(err["input"], dict):
                msg = f"{msg}, got {err['input']!r}"
            report(loc, msg)
        raise ScenarioError(report.problems) from None
    world = _build(parsed, raw, report, file, text, overrides, decisions, broken)
    if report.problems:
        raise ScenarioError(report.problems)
    assert world is not None
    return world


def _toml_line(exc: tomllib.TOMLDecodeError) -> int | None:
    import re

    m = re.search(r"line (\d+)", str(exc))
    return int(m.group(1)) if m else None


def _duration(value: Any, report: Any, where: tuple[str | int, ...]) -> int | None:
    try:
        return parse_duration(value)
    except DurationError:
        report(where, f"expected a duration such as {DURATION_FORMS}, got {value!r}")
        return None


def _build(
    parsed: _File,
    raw: dict[str, Any],
    report: _Reporter,
    file: str,
    text: str,
    overrides: tuple[str, ...],
    decisions: list[DecisionSpec],
    broken: set[str],
) -> World | None:
    h = parsed.scenario
    epoch = None
    try:
        epoch = Epoch.from_utc(h.epoch_utc)
    except ValueError as exc:
        report(("scenario", "epoch_utc"), str(exc))
    duration_ns = _duration(h.duration, report, ("scenario", "duration"))
    frame_ns = _duration(h.frame, report, ("scenario", "frame"))
    if frame_ns is not None and frame_ns <= 0:
        report(("scenario", "frame"), "the frame must be a positive duration")
    if duration_ns is not None and duration_ns < 0:
        report(("scenario", "duration"), "the duration must not be negative")

    systems: list[SystemSpec] = []
    classes: dict[str, type[Model]] = {}
    instances: dict[str, Model] = {}
    downlinks: dict[str, str] = {}
    assets: dict[str, str] = {}
    for asset, table in parsed.assets.items():
        if not isinstance(table, dict):
            report(("assets", asset), "expected a table describing the asset")
            continue
        assets[asset] = str(table.get("description", ""))
        for key, sub in table.items():
            if key == "description":
                if not isinstance(sub, str):
                    report(("assets", asset, key), f"expected text, got {sub!r}")
                continue
            if key == "downlink":
                if not isinstance(sub, str):
                    report(("assets", asset, key), f"expected a system path, got {sub!r}")
                else:
                    downlinks[asset] = sub
                continue
            where: tuple[str | int, ...] = ("assets", asset, key)
            if not isinstance(sub, dict) or "model" not in sub:
                report(
                    where,
                    "expected 'description' or a system table with a 'model' field "
                    f"(one of the model types), got {sub!r}",
                )
                continue
            built = _system(f"{asset}.{key}", sub, report, where, frame_ns)
            if built is not None:
                spec, instance = built
                systems.append(spec)
                classes[spec.path] = model_class(spec.type_name)
                if instance is not None:
                    instances[spec.path] = instance

    _check_wiring(systems, instances, report)
    _check_downlinks(downlinks, classes, instances, report)
    counts: dict[str, list[int]] = {d.name: [0, 0] for d in decisions}
    timeline = _timeline(parsed, raw, classes, epoch, report, instances, decisions, counts, broken)
    if epoch is None or duration_ns is None or frame_ns is None:
        return None
    return World(
        name=h.name,
        description=h.description,
        epoch=epoch,
        duration_ns=duration_ns,
        frame_ns=frame_ns,
        systems=tuple(systems),
        timeline=tuple(timeline),
        source=file,
        text=text,
        overrides=overrides,
        assets=assets,
        downlinks=downlinks,
        decisions=tuple(
            replace(d, entries=counts[d.name][0], enabled=counts[d.name][1]) for d in decisions
        ),
    )


SYSTEM_KEYS = ("model", "inputs", "limits", "description", "step")


def _system(
    path: str,
    table: dict[str, Any],
    report: Any,
    where: tuple[str | int, ...],
    frame_ns: int | None = None,
) -> tuple[SystemSpec, Model | None] | None:
    """Validate one system table; also build a batch-of-one instance, since a model's
    telemetry and signal shapes may depend on its parameters (the nodes of a network)."""
    type_name = table["model"]
    try:
        cls = model_class(str(type_name))
    except KeyError as exc:
        report((*where, "model"), str(exc.args[0]))
        return None
    fields = {k: v for k, v in table.items() if k not in SYSTEM_KEYS}
    step_ns = None
    if "step" in table:
        step_ns = _duration(table["step"], report, (*where, "step"))
        if step_ns is not None and frame_ns and (step_ns <= 0 or step_ns % frame_ns):
            report(
                (*where, "step"),
                f"the step must be a positive multiple of the frame ({frame_ns / 1e9:g} s), "
                f"got {table['step']!r}",
            )
            step_ns = None
    before = len(report.problems)
    params = resolve_params(cls.params, fields, report, where, f"model {cls.type_name}")
    instance: Model | None = None
    if len(report.problems) == before:
        try:
            instance = cls(path, params, 1)
        except ValueError as exc:
            report(where, str(exc))
    inputs = table.get("inputs", {})
    if not isinstance(inputs, dict) or not all(isinstance(v, str) for v in inputs.values()):
        report((*where, "inputs"), 'expected a table of input name = "asset.system.signal"')
        inputs = {}
    declared_inputs = {s.name for s in (instance.inputs if instance is not None else cls.inputs)}
    for name in inputs:
        if name not in declared_inputs:
            report(
                (*where, "inputs", name),
                f"{cls.type_name} has no input {name!r}; inputs: {', '.join(sorted(declared_inputs)) or 'none'}",
            )
    limits: dict[str, Limits] = {}
    tm = {t.name: t for t in (instance.telemetry if instance is not None else cls.telemetry)}
    for name, lim in (table.get("limits") or {}).items():
        lwhere = (*where, "limits", name)
        if name not in tm:
            report(lwhere, f"{cls.type_name} has no telemetry {name!r}; telemetry: {', '.join(tm)}")
            continue
        if not isinstance(lim, dict):
            report(lwhere, "expected a table of caution/warning limits")
            continue
        if tm[name].truth:
            report(lwhere, f"{name} is a truth value no sensor reports: it takes no limits")
            continue
        values = resolve_params(limit_params(tm[name].unit), lim, report, lwhere, "limits")
        base = tm[name].limits or Limits()
        merged = {k: v for k, v in values.items() if v is not None}
        try:
            limits[name] = Limits(**{**base.__dict__, **merged})
        except ValueError as exc:
            report(lwhere, str(exc))
    spec = SystemSpec(
        path=path,
        type_name=cls.type_name,
        params=params,
        inputs=dict(inputs),
        limits=limits,
        description=str(table.get("description", "")),
        step_ns=step_ns,
    )
    return spec, instance


def _check_wiring(systems: list[SystemSpec], instances: dict[str, Model], report: Any) -> None:
    outputs = {
        f"{s.path}.{o.name}": o
        for s in systems
        for o in (instances[s.path] if s.path in instances else model_class(s.type_name)).outputs
    }
    for s in systems:
        if s.path not in instances:
            continue
        model = instances[s.path]
        asset, _, system = s.path.partition(".")
        for sig in model.inputs:
            where = ("assets", asset, system, "inputs", sig.name)
            source = s.inputs.get(sig.name)
            if source is None:
                if not sig.optional:
                    report(
                        ("assets", asset, system),
                        f"input {sig.name!r} ({sig.unit}, shape {sig.shape}) must be wired "
                        "to an output: inputs = { " + sig.name + ' = "asset.system.signal" }',
                    )
                continue
            out = outputs.get(source)
            if out is None:
                report(
                    where, f"no output named {source!r}; outputs: {', '.join(outputs) or 'none'}"
                )
            elif out.unit != sig.unit or out.shape != sig.shape:
                report(
                    where,
                    f"{source} is {out.unit} with shape {out.shape}, but input {sig.name} expects "
                    f"{sig.unit} with shape {sig.shape}",
                )
            elif sig.frame and out.frame and sig.frame != out.frame:
                report(where, f"{source} is in frame {out.frame}, input expects {sig.frame}")


def _check_downlinks(
    downlinks: dict[str, str],
    classes: dict[str, type[Model]],
    instances: dict[str, Model],
    report: Any,
) -> None:
    needed = {"link_up": ("1", ()), "light_time_s": ("s", ())}
    for asset, path in downlinks.items():
        where = ("assets", asset, "downlink")
        if path not in classes:
            report(where, f"no system {path!r}; systems: {', '.join(classes) or 'none'}")
            continue
        model = instances.get(path)
        outs = {o.name: o for o in (model.outputs if model else classes[path].outputs)}
        for name, (unit, shape) in needed.items():
            o = outs.get(name)
            if o is None or o.unit != unit or o.shape != shape:
                report(
                    where,
                    f"{path} cannot carry a downlink: it needs an output {name!r} in {unit} "
                    f"with shape {shape}",
                )


def _timeline(
    parsed: _File,
    raw: dict[str, Any],
    classes: dict[str, type[Model]],
    epoch: Epoch | None,
    report: Any,
    instances: dict[str, Model] | None = None,
    decisions: Iterable[DecisionSpec] = (),
    counts: dict[str, list[int]] | None = None,
    broken: Iterable[str] = (),
) -> list[EntrySpec]:
    """Validate every entry; return those whose ``when`` holds. ``counts`` receives, per
    decision, [entries that name it, those of them that hold]."""
    by_name = {d.name: d for d in decisions}
    broken = set(broken)
    counts = {} if counts is None else counts
    entries = []
    for i, e in enumerate(parsed.timeline):
        where: tuple[str | int, ...] = ("timeline", i)
        enabled = True
        if e.when is not None:
            named = []
            for name, wanted in e.when.items():
                if name in broken:
                    enabled = False
                    continue
                holds = _condition(
                    by_name.get(name), name, wanted, report, (*where, "when", name), by_name
                )
                if holds is None:
                    enabled = False
                    continue
                named.append(name)
                enabled = enabled and holds
            for name in named:
                counts.setdefault(name, [0, 0])[0] += 1
                counts[name][1] += enabled
        if e.at is not None:
            t_ns = _duration(e.at, report, (*where, "at"))
        elif epoch is not None:
            try:
                t_ns = epoch.ns_since(str(e.at_utc))
            except ValueError as exc:
                report((*where, "at_utc"), str(exc))
                t_ns = None
        else:
            t_ns = None
        kind = next(k for k in ENTRY_KINDS if getattr(e, k) is not None)
        name = str(getattr(e, kind))
        extra = dict(e.model_extra or {})
        args: dict[str, Any] = {}
        decl: Command | Failure | None
        if kind != "event":
            target = str(e.target)
            cls = classes.get(target)
            if cls is None:
                report((*where, "target"), f"no system {target!r}; systems: {', '.join(classes)}")
                continue
            if kind == "command":
                decl = cls.find_command(name)
                options = [c.name for c in cls.commands]
            else:
                decl = cls.find_failure(name)
                options = [f.name for f in cls.failures]
            if decl is None:
                report(
                    (*where, kind),
                    f"{target} ({cls.type_name}) has no {kind if kind != 'repair' else 'failure'} "
                    f"{name!r}; it has: {', '.join(options) or 'none'}",
                )
                continue
            if kind == "repair":
                if extra:
                    report(where, f"a repair takes no arguments, got {', '.join(extra)}")
            else:
                before = len(report.problems)
                args = resolve_params(decl.args, extra, report, where, f"{kind} {name}")
                model = (instances or {}).get(target)
                if model is not None and len(report.problems) == before:
                    problem = model.check_action(kind, name, args)
                    if problem:
                        report((*where, kind), problem)
        elif extra:
            report(
                (*where, next(iter(extra))), "an event takes only 'at'/'at_utc', 'event', 'note'"
            )
        if t_ns is None or not enabled:
            continue
        entries.append(
            EntrySpec(
                t_ns=t_ns,
                kind=kind,  # type: ignore[arg-type]
                name=name,
                target=e.target,
                args=args,
                note=e.note,
                seq=i,
                runs=tuple(e.runs) if e.runs is not None else None,
                via=e.via,
            )
        )
    return entries


def _condition(
    decision: DecisionSpec | None,
    name: str,
    wanted: Any,
    report: Any,
    where: tuple[str | int, ...],
    known: Iterable[str] = (),
) -> bool | None:
    """Whether a ``when`` condition holds (None: it is wrong, and reported)."""
    if decision is None:
        names = ", ".join(known) or "none (the scenario has no [decision] table)"
        report(where, f"no decision {name!r}; decisions: {names}")
        return None
    values = wanted if isinstance(wanted, list) else [wanted]
    if not values:
        report(where, "expected a value of the decision or a list of them, got []")
        return None
    for v in values:
        if decision_kind(v) != decision.kind:
            report(
                where,
                f"decision {name} is {_KIND_TEXT[decision.kind]} "
                f"(now {format_decision(decision.value)}), got {v!r}",
            )
            return None
        if decision.options and v not in decision.options:
            report(
                where,
                f"{format_decision(v)} is not an option of decision {name}; options: "
                + ", ".join(format_decision(o) for o in decision.options),
            )
            return None
    return decision.value in values

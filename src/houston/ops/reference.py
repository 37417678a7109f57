"""Model reference documentation, generated from the models' declarations.

``houston models --markdown`` prints it; ``docs/models.md`` is its output, checked by a test
so that the page never drifts from the code.
"""

from __future__ import annotations

from collections.abc import Iterable

from houston.core.model import BUILTIN_MODELS, Command, Failure, Model, Param, model_class
from houston.core.units import DIMENSIONS, symbol


def _unit(unit: str) -> str:
    return symbol(unit) if unit != "1" else ""


def _default(p: Param) -> str:
    if p.required:
        return "required"
    if p.default is None:
        return "none"
    if isinstance(p.default, float) and p.unit in DIMENSIONS and p.unit != "1":
        return f"{p.default:g} {_unit(p.unit)}"
    return f"`{p.default!r}`"


def _field(p: Param) -> str:
    if p.kind in ("str", "bool", "strings", "records") or p.unit == "1":
        return f"`{p.name}`"
    return f"`{p.name}_{p.unit}`"


def _range(p: Param) -> str:
    parts = []
    if p.min is not None:
        parts.append(f"≥ {p.min:g}")
    if p.max is not None:
        parts.append(f"≤ {p.max:g}")
    if p.choices:
        parts.append("one of " + ", ".join(f"`{c}`" for c in p.choices))
    return "; ".join(parts)


def _params_table(params: Iterable[Param], indent: str = "") -> list[str]:
    rows = [
        f"{indent}| field | kind | unit | default | range | description |",
        f"{indent}|---|---|---|---|---|---|",
    ]
    for p in params:
        rows.append(
            f"{indent}| {_field(p)} | {p.kind} | {_unit(p.unit)} | {_default(p)} | {_range(p)} "
            f"| {p.description} |"
        )
        for f in p.fields:
            rows.append(
                f"{indent}| {_field(p)}.*.{_field(f).strip('`')} | {f.kind} | {_unit(f.unit)} "
                f"| {_default(f)} | {_range(f)} | {f.description} |"
            )
    return rows


def model_section(cls: type[Model]) -> list[str]:
    out = [f"## `{cls.type_name}`", "", cls.summary, ""]
    doc = (cls.__doc__ or "").strip().splitlines()
    if doc and doc[0].strip() != cls.summary:
        out += [doc[0].strip(), ""]
    if cls.params:
        out += ["### Parameters", "", *_params_table(cls.params), ""]
    if cls.telemetry:
        out += [
            "### Telemetry",
            "",
            "| parameter | unit | kind | limits | description |",
            "|---|---|---|---|---|",
        ]
        for t in cls.telemetry:
            lim = ""
            if t.limits is not None:
                lim = ", ".join(
                    f"{k.replace('_', '-')} {getattr(t.limits, k):g}"
                    for k in ("warning_low", "caution_low", "caution_high", "warning_high")
                    if getattr(t.limits, k) is not None
                )
            kind = t.kind + (f" ({', '.join(t.states)})" if t.states else "")
            kind += ", truth" if t.truth else ""
            out.append(f"| `{t.name}` | {_unit(t.unit)} | {kind} | {lim} | {t.description} |")
        out.append("")
    for title, signals in (("Inputs", cls.inputs), ("Outputs", cls.outputs)):
        if signals:
            out += [
                f"### {title}",
                "",
                "| signal | unit | shape | description |",
                "|---|---|---|---|",
            ]
            for s in signals:
                out.append(f"| `{s.name}` | {_unit(s.unit)} | {s.shape} | {s.description} |")
            out.append("")
    actions: tuple[tuple[str, tuple[Command, ...] | tuple[Failure, ...]], ...] = (
        ("Commands", cls.commands),
        ("Failures", cls.failures),
    )
    for title, items in actions:
        if items:
            out += [f"### {title}", ""]
            for c in items:
                out.append(f"- `{c.name}`: {c.description}")
                if c.args:
                    out += ["", *_params_table(c.args, "  "), ""]
            out.append("")
    return out


def markdown(types: Iterable[str] | None = None) -> str:
    """The model reference page (the built-in models by default)."""
    names = sorted(types) if types is not None else sorted(BUILTIN_MODELS)
    out: list[str] = [
        "# Model reference",
        "",
        "Generated from the models' declarations by `houston models --markdown`; do not edit.",
        "Scenario fields carry their unit as a suffix (`perigee_altitude_km`); any unit of the",
        "same dimension is accepted (see `houston.core.units.DIMENSIONS`). Some models declare",
        "telemetry per instance (one per node, per person): their names are listed in the",
        "model's description.",
        "",
    ]
    for name in names:
        out += model_section(model_class(name))
    return "\n".join(out).rstrip() + "\n"

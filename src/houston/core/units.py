"""Units at the edges: the suffixes that scenario fields and display formats may carry.

Inside Houston every number is SI. A scenario field says its unit in its name
(``altitude_km``, ``volume_m3``, ``pressure_kPa``); this module turns such a name and value
into the SI value of a declared parameter, and SI values back into display units.

The table is written here rather than taken from a units library on purpose: field-name
suffixes such as ``km_s`` or ``m3_s2`` are not unit expressions any library parses, and the
table is the exact list of suffixes a scenario may use, so an unknown suffix is an error that
can list the accepted ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class UnitSuffix:
    """One accepted suffix: ``si = value * scale + offset``."""

    suffix: str
    scale: float
    offset: float = 0.0


def _dim(si: str, *others: tuple[str, float] | tuple[str, float, float]) -> dict[str, UnitSuffix]:
    table = {si: UnitSuffix(si, 1.0)}
    for entry in others:
        table[entry[0]] = UnitSuffix(*entry)
    return table


#: SI unit symbol -> accepted suffixes for that dimension. The SI symbol is also a suffix.
DIMENSIONS: dict[str, dict[str, UnitSuffix]] = {
    "m": _dim("m", ("km", 1e3), ("cm", 1e-2), ("mm", 1e-3), ("ft", 0.3048), ("nmi", 1852.0)),
    "s": _dim("s", ("ms", 1e-3), ("min", 60.0), ("h", 3600.0), ("d", 86400.0)),
    "rad": _dim("rad", ("deg", math.pi / 180.0)),
    "m_s": _dim("m_s", ("km_s", 1e3), ("ft_s", 0.3048)),
    "m_s2": _dim("m_s2", ("km_s2", 1e3), ("g0", 9.80665)),
    "rad_s": _dim("rad_s", ("deg_s", math.pi / 180.0), ("rpm", 2.0 * math.pi / 60.0)),
    "kg": _dim("kg", ("g", 1e-3), ("t", 1e3), ("lb", 0.45359237)),
    "kg_s": _dim("kg_s", ("g_s", 1e-3), ("kg_h", 1.0 / 3600.0)),
    "Pa": _dim(
        "Pa",
        ("kPa", 1e3),
        ("hPa", 1e2),
        ("MPa", 1e6),
        ("bar", 1e5),
        ("mbar", 1e2),
        ("psi", 6894.757293168361),
        ("mmHg", 133.322387415),
        ("atm", 101325.0),
    ),
    "K": _dim("K", ("C", 1.0, 273.15)),
    "m2": _dim("m2", ("cm2", 1e-4), ("mm2", 1e-6)),
    "m3": _dim("m3", ("L", 1e-3), ("cm3", 1e-6)),
    "W": _dim("W", ("kW", 1e3), ("MW", 1e6)),
    "J": _dim("J", ("kJ", 1e3), ("MJ", 1e6), ("kWh", 3.6e6)),
    "N": _dim("N", ("kN", 1e3), ("lbf", 4.4482216152605)),
    "m3_s2": _dim("m3_s2", ("km3_s2", 1e9)),
    "Hz": _dim("Hz", ("kHz", 1e3), ("MHz", 1e6), ("GHz", 1e9)),
    "dB": _dim("dB"),
    "mol": _dim("mol"),
    "1": {"": UnitSuffix("", 1.0), "pct": UnitSuffix("pct", 0.01)},
}

#: Human-readable symbols for display (console, timeline, docs).
SYMBOLS: dict[str, str] = {
    "m_s": "m/s",
    "km_s": "km/s",
    "ft_s": "ft/s",
    "m_s2": "m/s²",
    "km_s2": "km/s²",
    "rad_s": "rad/s",
    "deg_s": "°/s",
    "kg_s": "kg/s",
    "g_s": "g/s",
    "kg_h": "kg/h",
    "m2": "m²",
    "cm2": "cm²",
    "mm2": "mm²",
    "m3": "m³",
    "cm3": "cm³",
    "m3_s2": "m³/s²",
    "km3_s2": "km³/s²",
    "deg": "°",
    "C": "°C",
    "1": "",
    "pct": "%",
}


class UnitError(ValueError):
    """A unit suffix that is unknown or does not fit the expected dimension."""


def suffixes_for(si_unit: str) -> dict[str, UnitSuffix]:
    """The accepted suffixes for quantities whose SI unit is ``si_unit``."""
    try:
        return DIMENSIONS[si_unit]
    except KeyError:
        raise UnitError(f"unknown SI unit {si_unit!r}; known: {', '.join(DIMENSIONS)}") from None


def to_si(value: float, suffix: str, si_unit: str) -> float:
    """Convert ``value`` given in ``suffix`` units into the SI unit ``si_unit``."""
    table = suffixes_for(si_unit)
    if suffix not in table:
        raise UnitError(
            f"unit {suffix!r} is not a unit of {si_unit!r}; expected one of "
            + ", ".join(repr(s) for s in table)
        )
    u = table[suffix]
    return value * u.scale + u.offset


def from_si(value: float, suffix: str, si_unit: str) -> float:
    """Convert an SI value into ``suffix`` units."""
    u = suffixes_for(si_unit)[suffix]
    return (value - u.offset) / u.scale


def field_name(name: str, suffix: str) -> str:
    """The scenario field name of parameter ``name`` written in ``suffix`` units."""
    return f"{name}_{suffix}" if suffix else name


def split_field(field: str, name: str, si_unit: str) -> str | None:
    """If ``field`` names parameter ``name`` with a suffix of ``si_unit``, return the suffix."""
    table = suffixes_for(si_unit)
    if field == name and "" in table:
        return ""
    prefix = name + "_"
    if field.startswith(prefix) and field[len(prefix) :] in table:
        return field[len(prefix) :]
    return None


def symbol(unit: str) -> str:
    """Display symbol for a unit suffix or SI unit (``m_s`` -> ``m/s``)."""
    return SYMBOLS.get(unit, unit)

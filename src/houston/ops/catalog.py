"""The parameter catalog: every telemetry parameter of a session, one column each.

Built from the models' declarations (with the scenario's limit overrides); the frame vector,
the archive's telemetry table and the console all use its column order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import NDArray

from houston.core.model import Limits, Model, Telemetry
from houston.core.units import symbol


@dataclass(frozen=True)
class ParameterInfo:
    """One telemetry parameter: ``name`` is ``asset.system.quantity_unit``."""

    name: str
    column: int
    unit: str
    description: str
    kind: str
    states: tuple[str, ...]
    limits: Limits | None
    display_unit: str | None
    source: str
    truth: bool = False

    @property
    def asset(self) -> str:
        return self.name.split(".", 1)[0]

    def format(self, value_si: float) -> str:
        """Format a value with its unit for people (``212.4 km``, ``CLOSED``)."""
        from houston.core.units import from_si

        if self.kind == "enum":
            i = int(value_si)
            return self.states[i] if 0 <= i < len(self.states) else f"?{i}"
        if self.kind == "bool":
            return "TRUE" if value_si else "FALSE"
        if not np.isfinite(value_si):
            return "—"
        unit = self.display_unit or self.unit
        value = from_si(value_si, unit, self.unit) if unit != self.unit else value_si
        text = f"{value:.6g}" if self.kind == "float" else f"{int(value)}"
        sym = symbol(unit)
        return f"{text} {sym}" if sym else text

    def describe(self) -> dict[str, object]:
        d = asdict(self)
        d["limits"] = asdict(self.limits) if self.limits else None
        return d


class Catalog:
    """The ordered set of telemetry parameters of a session."""

    def __init__(self, params: Iterable[ParameterInfo]) -> None:
        self.params = tuple(params)
        self.index = {p.name: p.column for p in self.params}
        if len(self.index) != len(self.params):
            raise ValueError("duplicate telemetry parameter names")

    @classmethod
    def from_models(
        cls, models: Iterable[Model], overrides: Mapping[str, Mapping[str, Limits]] | None = None
    ) -> Catalog:
        params: list[ParameterInfo] = []
        for m in models:
            local = (overrides or {}).get(m.path, {})
            for t in m.telemetry:
                limits = None if t.truth else local.get(t.name, t.limits)
                params.append(_info(m.path, t, len(params), limits))
        return cls(params)

    def __len__(self) -> int:
        return len(self.params)

    def __iter__(self) -> Iterator[ParameterInfo]:
        return iter(self.params)

    def __getitem__(self, name: str) -> ParameterInfo:
        try:
            return self.params[self.index[name]]
        except KeyError:
            raise KeyError(f"no telemetry parameter {name!r}") from None

    def names(self) -> list[str]:
        return [p.name for p in self.params]

    def limit_arrays(self) -> dict[str, NDArray[np.float64]]:
        """Limits as column arrays (NaN where a limit is absent), for vectorised checking."""
        out = {
            k: np.full(len(self), np.nan)
            for k in ("caution_low", "caution_high", "warning_low", "warning_high", "hysteresis")
        }
        out["persistence"] = np.ones(len(self))
        for p in self.params:
            if p.limits is None:
                continue
            for k in out:
                v = getattr(p.limits, k)
                if v is not None:
                    out[k][p.column] = v
        out["hysteresis"] = np.nan_to_num(out["hysteresis"])
        return out


def _info(path: str, t: Telemetry, column: int, limits: Limits | None) -> ParameterInfo:
    return ParameterInfo(
        name=f"{path}.{t.name}",
        column=column,
        unit=t.unit,
        description=t.description,
        kind=t.kind,
        states=t.states,
        limits=None if limits is None or limits.empty else limits,
        display_unit=t.display_unit,
        source=path,
        truth=t.truth,
    )

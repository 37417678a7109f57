"""Every model honours the contract: declarations are complete and every array it publishes
has the batch axis first."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from houston.core.model import (
    REQUIRED,
    Model,
    ModelEvent,
    ModelRandom,
    StepContext,
    model_class,
    model_types,
)
from houston.core.random import BatchRandom, run_seeds

#: Parameters for model types whose required parameters have no default.
REQUIRED_VALUES: dict[str, dict[str, Any]] = {
    "vehicle.two_body": {"perigee_altitude": 300e3, "apogee_altitude": 400e3},
    "test.rooms": {"rooms": {"lab": {"volume": 100.0, "pressure": 101325.0}}},
}


def build(type_name: str, batch: int) -> Model:
    cls = model_class(type_name)
    params = {p.name: p.default for p in cls.params if p.default is not REQUIRED}
    params.update(REQUIRED_VALUES.get(type_name, {}))
    missing = [p.name for p in cls.params if p.name not in params]
    assert not missing, f"add values for {type_name} {missing} to REQUIRED_VALUES"
    return cls(f"x.{type_name.replace('.', '_')}", params, batch)


def ctx(model: Model, t0: float, t1: float, batch: int) -> StepContext:
    inputs = {s.name: np.full((batch, *s.shape), s.default) for s in model.inputs}
    rng = BatchRandom(run_seeds(0, batch))
    events: list[ModelEvent] = []
    return StepContext(
        int(t0 * 1e9), int(t1 * 1e9), 0, inputs, ModelRandom(rng, model.path, 0), events
    )


@pytest.mark.parametrize("type_name", model_types())
@pytest.mark.parametrize("batch", [1, 7])
def test_batch_axis_on_everything(type_name: str, batch: int) -> None:
    model = build(type_name, batch)
    type(model).check_declarations()
    model.initialize(ctx(model, 0, 0, batch))
    model.step(ctx(model, 0, 1, batch))
    for s in model.states:
        assert model.state[s.name].shape == (batch, *s.shape), s.name
    outputs = model.output_values()
    assert set(outputs) == {o.name for o in model.outputs}
    for o in model.outputs:
        assert np.shape(outputs[o.name]) == (batch, *o.shape), o.name
    # A sentinel no model publishes: NaN is a legitimate value ("no state vector yet").
    unset = -7.25e301
    out = np.full((batch, len(model.telemetry)), unset)
    model.sample(out)
    assert np.isfinite(out).all() or any(t.kind == "float" for t in model.telemetry)
    assert not (out == unset).any(), "every telemetry parameter must be sampled"


@pytest.mark.parametrize("type_name", model_types())
def test_declarations_are_introspectable(type_name: str) -> None:
    d = model_class(type_name).describe()
    assert d["type"] == type_name and d["summary"]
    for t in d["telemetry"]:
        assert t["description"], f"{type_name}.{t['name']} has no description"
    for p in d["params"]:
        assert p["description"], f"{type_name} parameter {p['name']} has no description"
    import json

    json.dumps(d)  # plain data, ready for docs, the console and XTCE

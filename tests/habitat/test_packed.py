"""The habitat keeps its states as views of a few buffers: assigning a state (a restored
checkpoint does) copies into it, so the compiled step keeps working on the model's state."""

from __future__ import annotations

import numpy as np
import pytest

from houston.habitat import kernels
from houston.habitat.model import GasNetworkModel


def test_assigned_states_keep_their_buffers() -> None:
    params = {p.name: p.default for p in GasNetworkModel.params}
    model = GasNetworkModel("base.atmosphere", params, 3)
    s = model.state
    for names, buf in zip(
        (kernels.STATE_F, kernels.STATE_B, kernels.STATE_I8), model._state_buffers, strict=True
    ):
        for name in names:
            assert np.shares_memory(s[name], buf)
    before = s["voted"]
    s["voted"] = np.arange(before.size, dtype=float).reshape(before.shape)
    assert s["voted"] is before
    assert s["voted"].tolist() == np.arange(before.size).reshape(before.shape).tolist()
    mass = s["mass"]
    s.update(mass=np.ones_like(mass))
    assert s["mass"] is mass and (mass == 1.0).all()
    with pytest.raises(ValueError, match="shape"):
        s["voted"] = np.zeros((2, 2))
    s["failure.extra"] = np.zeros(3)  # undeclared entries are stored as given
    assert s["failure.extra"].shape == (3,)

"""Packed states for the compiled steps of the habitat and crew models.

A numba call costs about 80 ns per array argument before it does any work; a model whose
step takes eighty arrays pays microseconds a frame for the call alone. These helpers keep a
model's states as views of one buffer per dtype and its constants in one flat array per
dtype, so that a step passes a handful of arrays, and keep the state arrays' identity when a
state is assigned (a restored checkpoint assigns every state), so that the arguments can be
built once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from houston.core.model import State


def flat(
    arrays: Mapping[str, Any], order: tuple[str, ...], dtype: Any
) -> tuple[NDArray[Any], NDArray[np.intp]]:
    """The arrays named in ``order`` end to end in one flat array, and their offsets."""
    parts = [np.asarray(arrays[name], dtype=dtype).ravel() for name in order]
    offsets = np.cumsum([0, *(x.size for x in parts)]).astype(np.intp)
    flat = np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)
    return np.ascontiguousarray(flat, dtype=dtype), offsets


class FixedState(dict):  # type: ignore[type-arg]
    """A model's state whose declared arrays keep their identity: assigning one (a restored
    checkpoint does) copies the values into it, so that the views and the compiled step's
    arguments built once stay those of the state."""

    def __init__(self, state: Mapping[str, NDArray[Any]], fixed: frozenset[str]) -> None:
        super().__init__(state)
        self._fixed = fixed

    def __setitem__(self, name: str, value: Any) -> None:
        if name in self._fixed and name in self:
            target = dict.__getitem__(self, name)
            value = np.asarray(value)
            if value.shape != target.shape:
                raise ValueError(f"state {name!r}: shape {value.shape}, expected {target.shape}")
            target[...] = value
        else:
            dict.__setitem__(self, name, value)

    def update(self, *args: Any, **kw: Any) -> None:
        for name, value in dict(*args, **kw).items():
            self[name] = value


def pack_states(
    state: Mapping[str, NDArray[Any]],
    declared: Iterable[State],
    batch: int,
    groups: Iterable[tuple[tuple[str, ...], Any]],
) -> tuple[FixedState, tuple[NDArray[Any], ...], tuple[NDArray[np.intp], ...]]:
    """A :class:`FixedState` of ``state`` (every declared state fixed) in which the states of
    each group (names, dtype) are views of one (batch, total) buffer of that dtype, in the
    group's order; returns it with the buffers and each buffer's offsets (names + 1)."""
    shapes = {st.name: st.shape for st in declared}
    out = dict(state)
    buffers, offsets = [], []
    for names, dtype in groups:
        sizes = [int(np.prod(shapes[x])) for x in names]
        off = np.cumsum([0, *sizes]).astype(np.intp)
        buf = np.zeros((batch, int(off[-1])), dtype=dtype)
        for x, o, size in zip(names, off, sizes, strict=False):
            view = buf[:, o : o + size].reshape((batch, *shapes[x]))
            view[...] = state[x]
            out[x] = view
        buffers.append(buf)
        offsets.append(off)
    return FixedState(out, frozenset(shapes)), tuple(buffers), tuple(offsets)

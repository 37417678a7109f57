"""Counter-based random numbers with a batch axis.

Each run of a batch has its own seed; a draw is a pure function of (run seed, stream name,
frame counter, element index), so run ``i`` of a batch seeded ``S`` gives exactly the numbers
of a single run seeded ``S + i``, whatever the batch size, and a restored checkpoint continues
with the same numbers without storing generator state.

numpy's ``Generator`` objects are one stream each: drawing for 10,000 runs would mean 10,000
generator calls every frame. This module hashes counters with the SplitMix64 finaliser
(Steele, Lea & Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014), which is
vectorised over runs and elements in a few numpy operations.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)


def _mix(z: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """SplitMix64 finaliser (wrapping uint64 arithmetic on arrays)."""
    z = np.multiply(z ^ (z >> _S30), _M1)
    z = np.multiply(z ^ (z >> _S27), _M2)
    return z ^ (z >> _S31)


_MASK = 0xFFFFFFFFFFFFFFFF


def _mix_int(z: int) -> int:
    """The same SplitMix64 finaliser on one Python integer (cheaper than a numpy scalar)."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


@lru_cache(maxsize=8192)
def stream_key(name: str) -> int:
    """A stable 64-bit key for a stream name (independent of Python's hash seed)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


@lru_cache(maxsize=256)
def _offsets(n: int) -> NDArray[np.uint64]:
    """``(1..n) * golden``, the per-element part of the keys, shape ``(1, n)`` (read-only)."""
    out = np.multiply(np.arange(1, n + 1, dtype=np.uint64), _GOLDEN)[None, :]
    out.setflags(write=False)
    return out


class BatchRandom:
    """Random draws for a batch of runs, keyed by stream and counter.

    ``seeds`` holds one unsigned 64-bit seed per run.
    """

    def __init__(self, seeds: NDArray[np.uint64] | list[int]) -> None:
        self.seeds = np.atleast_1d(np.asarray(seeds, dtype=np.uint64))
        # Pre-mix the seeds once: the per-run part of every key.
        self._seed_keys = _mix(np.multiply(self.seeds, _GOLDEN) + _GOLDEN)

    @property
    def batch(self) -> int:
        return int(self.seeds.shape[0])

    def bits(self, stream: str, counter: int, shape: tuple[int, ...] = ()) -> NDArray[np.uint64]:
        """Raw 64-bit draws of shape ``(batch, *shape)``."""
        n = math.prod(shape)
        key = _mix_int(stream_key(stream) ^ (int(counter) * 0xD1B54A32D192ED03 & _MASK))
        base = self._seed_keys[:, None] ^ np.uint64(key)
        z = _mix(base + _offsets(n))
        return z.reshape((self.batch, *shape))

    def uniform(
        self, stream: str, counter: int, shape: tuple[int, ...] = ()
    ) -> NDArray[np.float64]:
        """Uniform draws in the open interval (0, 1), shape ``(batch, *shape)``."""
        z = self.bits(stream, counter, shape)
        return (z >> _S11).astype(np.float64) * 2.0**-53 + 2.0**-54

    def normal(self, stream: str, counter: int, shape: tuple[int, ...] = ()) -> NDArray[np.float64]:
        """Standard normal draws (Box–Muller), shape ``(batch, *shape)``."""
        u = self.uniform(stream, counter, (2, *shape))
        u1, u2 = u[:, 0], u[:, 1]
        return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)

    def normal_many(
        self, stream: str, counters: Sequence[int], shape: tuple[int, ...] = ()
    ) -> NDArray[np.float64]:
        """``normal(stream, c, shape)`` for each counter ``c`` of ``counters``, stacked:
        shape ``(len(counters), batch, *shape)``, bit for bit the separate draws (the same
        keys and the same element-wise arithmetic, in one pass)."""
        n = 2 * math.prod(shape)
        sk = stream_key(stream)
        keys = np.array(
            [_mix_int(sk ^ (int(c) * 0xD1B54A32D192ED03 & _MASK)) for c in counters],
            dtype=np.uint64,
        )
        base = self._seed_keys[None, :, None] ^ keys[:, None, None]
        z = _mix(base + _offsets(n)[None])
        u = ((z >> _S11).astype(np.float64) * 2.0**-53 + 2.0**-54).reshape(
            (len(keys), self.batch, 2, *shape)
        )
        u1, u2 = u[:, :, 0], u[:, :, 1]
        return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)

    def subset(self, rows: NDArray[np.intp]) -> BatchRandom:
        """The generator of a subset of runs (same numbers as in the full batch)."""
        return BatchRandom(self.seeds[rows])


def run_seeds(seed: int, batch: int) -> NDArray[np.uint64]:
    """Seeds of the runs of a batch: run ``i`` of a batch seeded ``seed`` is seeded ``seed+i``."""
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    return (np.arange(batch, dtype=np.uint64) + np.uint64(seed)).astype(np.uint64)

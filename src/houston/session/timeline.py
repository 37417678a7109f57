"""The timeline: scheduled entries in a deterministic order.

A heap ordered by (time, kind priority, sequence), as in SimPy's event queue: entries at the
same instant apply failures first, then repairs, then commands, then narration, and within a
kind in the order they were written (entries added while running come after those of the
scenario file).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

from houston.scenario.spec import ENTRY_PRIORITY, EntrySpec

RUNTIME_SEQ_START = 1_000_000_000


class Timeline:
    def __init__(self, entries: Iterable[EntrySpec] = ()) -> None:
        self._heap: list[tuple[tuple[int, int, int], EntrySpec]] = []
        self.next_seq = RUNTIME_SEQ_START
        for e in entries:
            self.push(e)

    def push(self, entry: EntrySpec) -> None:
        if entry.kind not in ENTRY_PRIORITY:
            raise ValueError(f"unknown timeline entry kind {entry.kind!r}")
        heapq.heappush(self._heap, (entry.sort_key, entry))

    def allocate_seq(self) -> int:
        seq = self.next_seq
        self.next_seq += 1
        return seq

    def next_time(self) -> int | None:
        return self._heap[0][0][0] if self._heap else None

    def pop_due(self, t_ns: int) -> list[EntrySpec]:
        """Remove and return, in order, every entry due at or before ``t_ns``."""
        out = []
        while self._heap and self._heap[0][0][0] <= t_ns:
            out.append(heapq.heappop(self._heap)[1])
        return out

    def pending(self) -> list[EntrySpec]:
        return [e for _, e in sorted(self._heap, key=lambda x: x[0])]

    def __len__(self) -> int:
        return len(self._heap)

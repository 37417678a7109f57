"""What the ground hears: telemetry carried over each asset's downlink, with light-time delay.

Every frame, the samples of an asset whose downlink is up leave it; each arrives at the ground
after the light time and updates the ground's view of that asset's parameters. An asset
without a declared downlink (a ground station, a simple scenario) is heard at once. Truth
parameters never reach the ground. Limits and alarms are checked on this view, as in a
control room; the truth stays in the archive.

The same links carry commands up: a command sent from the ground reaches its asset after the
light time, and only over a live link.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from houston.ops.catalog import Catalog


class Reception(NamedTuple):
    """A frame of ``asset`` sampled at ``t_sample_ns`` reached the ground by ``t_received_ns``
    (the frame at which the ground had it)."""

    run: int
    asset: str
    t_sample_ns: int
    t_received_ns: int


class Receptions:
    """The deliveries of one frame, as arrays: run ``run[k]`` heard link ``link[k]``'s asset
    (``assets[link[k]]``) sampled at ``t_sample_ns[k]``, by ``t_received_ns``. ``rows`` is
    ``(3, n)``: runs, links, sample times. Iterating gives :class:`Reception` records."""

    __slots__ = ("assets", "rows", "t_received_ns")

    def __init__(self, t_received_ns: int, rows: NDArray[np.int64], assets: tuple[str, ...]):
        self.t_received_ns = t_received_ns
        self.rows = rows
        self.assets = assets

    @property
    def run(self) -> NDArray[np.int64]:
        return self.rows[0]

    @property
    def link(self) -> NDArray[np.int64]:
        return self.rows[1]

    @property
    def t_sample_ns(self) -> NDArray[np.int64]:
        return self.rows[2]

    def __len__(self) -> int:
        return int(self.rows.shape[1])

    def __iter__(self) -> Iterator[Reception]:
        names, t = self.assets, self.t_received_ns
        for r, lk, ts in zip(*self.rows.tolist(), strict=True):
            yield Reception(r, names[lk], ts, t)


@dataclass
class Packet:
    """One frame of one asset's telemetry on its way down (the checkpoint's unit)."""

    t_sample_ns: int
    asset: int
    values: NDArray[np.float64]  # (batch, n_cols of the asset)
    arrival_ns: NDArray[np.int64]  # (batch,)
    pending: NDArray[np.bool_]  # (batch,): runs for which it is still in flight


def _frame(
    t_ns: int,
    values: NDArray[np.float64],
    ground: NDArray[np.float64],
    heard: NDArray[np.int64],
    direct_cols: NDArray[np.intp],
    direct_assets: NDArray[np.intp],
    up: NDArray[np.float64],
    light_s: NDArray[np.float64],
    send_cols: NDArray[np.intp],
    link_assets: NDArray[np.intp],
    spans: NDArray[np.intp],
    ring_t: NDArray[np.int64],
    ring_values: NDArray[np.float64],
    ring_arrival: NDArray[np.int64],
    ring_pending: NDArray[np.bool_],
    head: int,
    count: int,
    out: NDArray[np.int64],
) -> tuple[int, int, int]:
    """One frame of the ground's view (see ``GroundView.update``); returns the new ring
    ``(head, count)`` and how many deliveries were written to ``out`` (rows: run, link,
    sample time)."""
    batch = values.shape[0]
    for b in range(batch):
        for j in range(direct_cols.shape[0]):
            ground[b, direct_cols[j]] = values[b, direct_cols[j]]
        for j in range(direct_assets.shape[0]):
            heard[b, direct_assets[j]] = t_ns
    n_links = link_assets.shape[0]
    if n_links == 0:
        return head, count, 0
    capacity = ring_t.shape[0]
    sent = False
    for lk in range(n_links):
        for b in range(batch):
            if up[lk, b] != 0:
                sent = True
    if sent:  # one burst: every linked asset's samples, pending for the runs whose link is up
        slot = (head + count) % capacity
        ring_t[slot] = t_ns
        for b in range(batch):
            for j in range(send_cols.shape[0]):
                ring_values[slot, b, j] = values[b, send_cols[j]]
        for lk in range(n_links):
            for b in range(batch):
                ring_arrival[slot, lk, b] = t_ns + np.int64(np.rint(light_s[lk, b] * 1e9))
                ring_pending[slot, lk, b] = up[lk, b] != 0
        count += 1
    n = 0
    for i in range(count):  # oldest first; a sample overtaken by a newer one is dropped
        slot = (head + i) % capacity
        t_sample = ring_t[slot]
        for lk in range(n_links):
            asset = link_assets[lk]
            for b in range(batch):
                if ring_pending[slot, lk, b] and ring_arrival[slot, lk, b] <= t_ns:
                    ring_pending[slot, lk, b] = False
                    if heard[b, asset] < t_sample:
                        for j in range(spans[lk], spans[lk + 1]):
                            ground[b, send_cols[j]] = ring_values[slot, b, j]
                        heard[b, asset] = t_sample
                        out[0, n] = b
                        out[1, n] = lk
                        out[2, n] = t_sample
                        n += 1
    while count > 0:  # bursts delivered to every run leave the ring
        slot = head
        done = True
        for lk in range(n_links):
            for b in range(batch):
                if ring_pending[slot, lk, b]:
                    done = False
        if not done:
            break
        head = (head + 1) % capacity
        count -= 1
    return head, count, n


_KERNEL: Any = None


def _kernel() -> Any:
    """``_frame`` compiled with numba (on first use, cached on disk)."""
    global _KERNEL
    if _KERNEL is None:
        import numba

        _KERNEL = numba.njit(cache=True, nogil=True)(_frame)
    return _KERNEL


class GroundView:
    """The ground's latest value of every parameter and the age of each asset's data.

    Each frame sends one burst (the samples of every linked asset, pending for the runs whose
    link is up) into a ring of bursts in flight, and delivers, oldest first, what has arrived
    by then; a sample overtaken by a newer one (shorter light time) is dropped. The frame is
    one compiled pass over runs, links and bursts.
    """

    def __init__(self, catalog: Catalog, batch: int, downlinks: Mapping[str, str]) -> None:
        self.assets = sorted({p.asset for p in catalog} | set(downlinks))
        self.asset_index = {a: i for i, a in enumerate(self.assets)}
        self.batch = batch
        self.values = np.full((batch, len(catalog)), np.nan)
        #: sample time of the newest frame heard from each asset (-1: never heard)
        self.heard_ns = np.full((batch, len(self.assets)), -1, dtype=np.int64)
        cols = {a: [p.column for p in catalog if p.asset == a and not p.truth] for a in self.assets}
        self.cols = {a: np.asarray(c, dtype=np.intp) for a, c in cols.items()}
        direct = [a for a in self.assets if a not in downlinks]
        self._direct_cols = np.concatenate(
            [self.cols[a] for a in direct] or [np.zeros(0, np.intp)]
        ).astype(np.intp)
        self._direct_assets = np.asarray([self.asset_index[a] for a in direct], dtype=np.intp)
        links = sorted(downlinks.items())
        self.link_of = {a: (f"{path}.link_up", f"{path}.light_time_s") for a, path in links}
        self._up_keys = [f"{path}.link_up" for _, path in links]
        self._light_keys = [f"{path}.light_time_s" for _, path in links]
        self._link_name = tuple(a for a, _ in links)
        self._link_assets = np.asarray([self.asset_index[a] for a, _ in links], dtype=np.intp)
        # A burst's values: the columns of each linked asset, link after link.
        link_cols = [self.cols[a] for a, _ in links]
        self._send_cols = np.concatenate(link_cols or [np.zeros(0, np.intp)]).astype(np.intp)
        self._spans = np.cumsum([0, *(c.size for c in link_cols)]).astype(np.intp)
        n_links = len(links)
        self._up = np.zeros((n_links, batch))
        self._light = np.zeros((n_links, batch))
        self._head = 0
        self._count = 0
        self._ring_t = np.zeros(0, dtype=np.int64)
        self._ring_values = np.zeros((0, batch, self._send_cols.size))
        self._ring_arrival = np.zeros((0, n_links, batch), dtype=np.int64)
        self._ring_pending = np.zeros((0, n_links, batch), dtype=bool)
        self._out = np.zeros((3, 0), dtype=np.int64)
        self._allocate(4)
        #: deliveries since the session last handed them to the sinks (it empties the list)
        self.received: list[Receptions] = []
        # The link signals are read from the bus when they may have changed (see update).
        self._stale = True

    def _allocate(self, capacity: int) -> None:
        """A ring of ``capacity`` bursts (the ones in flight kept, oldest first)."""
        n_links, batch, width = len(self._link_name), self.batch, self._send_cols.size
        old = [(self._head + i) % len(self._ring_t) for i in range(self._count)]
        ring_t = np.zeros(capacity, dtype=np.int64)
        ring_values = np.zeros((capacity, batch, width))
        ring_arrival = np.zeros((capacity, n_links, batch), dtype=np.int64)
        ring_pending = np.zeros((capacity, n_links, batch), dtype=bool)
        if old:
            ring_t[: len(old)] = self._ring_t[old]
            ring_values[: len(old)] = self._ring_values[old]
            ring_arrival[: len(old)] = self._ring_arrival[old]
            ring_pending[: len(old)] = self._ring_pending[old]
        self._ring_t, self._ring_values = ring_t, ring_values
        self._ring_arrival, self._ring_pending = ring_arrival, ring_pending
        self._head = 0
        self._out = np.zeros((3, capacity * max(n_links, 1) * batch), dtype=np.int64)

    def update(
        self,
        t_ns: int,
        values: NDArray[np.float64],
        bus: Mapping[str, Any],
        links_changed: bool = True,
    ) -> None:
        """Send this frame's samples down and deliver whatever has arrived by ``t_ns``.

        ``links_changed=False`` says that no link system has published since the last update
        (the session knows which systems stepped): the link states and light times read then
        still hold."""
        up, light = self._up, self._light
        if links_changed or self._stale:
            for i, key in enumerate(self._up_keys):
                up[i] = bus[key]
            for i, key in enumerate(self._light_keys):
                light[i] = bus[key]
            self._stale = False
        if self._count == len(self._ring_t):
            self._allocate(2 * len(self._ring_t))
        if values.dtype != np.float64 or not values.flags.c_contiguous:
            values = np.ascontiguousarray(values, dtype=np.float64)
        self._head, self._count, n = _kernel()(
            t_ns,
            values,
            self.values,
            self.heard_ns,
            self._direct_cols,
            self._direct_assets,
            up,
            light,
            self._send_cols,
            self._link_assets,
            self._spans,
            self._ring_t,
            self._ring_values,
            self._ring_arrival,
            self._ring_pending,
            self._head,
            self._count,
            self._out,
        )
        if n:
            self.received.append(Receptions(t_ns, self._out[:, :n].copy(), self._link_name))

    def uplink(
        self, asset: str, bus: Mapping[str, Any]
    ) -> tuple[NDArray[np.bool_], NDArray[np.int64]] | None:
        """(link up per run, light time in ns per run) toward ``asset``; None when the asset is
        reached directly."""
        keys = self.link_of.get(asset)
        if keys is None:
            return None
        up = np.asarray(bus[keys[0]]) != 0
        light_ns = np.rint(np.asarray(bus[keys[1]], dtype=np.float64) * 1e9).astype(np.int64)
        return up, light_ns

    def age_s(self, asset: str, t_ns: int) -> NDArray[np.float64]:
        """Age of the newest sample heard from ``asset``, per run (inf: never heard)."""
        heard = self.heard_ns[:, self.asset_index[asset]]
        return np.where(heard >= 0, (t_ns - heard) * 1e-9, np.inf)

    # -- checkpoints ------------------------------------------------------------------------

    def packets(self) -> list[Packet]:
        """What is in flight, one packet per frame and asset still pending for some run."""
        out = []
        for i in range(self._count):
            slot = (self._head + i) % len(self._ring_t)
            for lk in range(len(self._link_name)):
                pending = self._ring_pending[slot, lk]
                if pending.any():
                    span = slice(int(self._spans[lk]), int(self._spans[lk + 1]))
                    out.append(
                        Packet(
                            int(self._ring_t[slot]),
                            int(self._link_assets[lk]),
                            self._ring_values[slot, :, span].copy(),
                            self._ring_arrival[slot, lk].copy(),
                            pending.copy(),
                        )
                    )
        return out

    def state(self) -> dict[str, NDArray[Any]]:
        out: dict[str, NDArray[Any]] = {"values": self.values, "heard_ns": self.heard_ns}
        for i, p in enumerate(self.packets()):
            out[f"packet{i}/values"] = p.values
            out[f"packet{i}/arrival_ns"] = p.arrival_ns
            out[f"packet{i}/pending"] = p.pending
            out[f"packet{i}/meta"] = np.array([p.t_sample_ns, p.asset], dtype=np.int64)
        return out

    def load_state(self, state: Mapping[str, NDArray[Any]]) -> None:
        self._stale = True
        self.values = np.array(state["values"], dtype=np.float64)
        self.heard_ns = np.array(state["heard_ns"], dtype=np.int64)
        packets = []
        i = 0
        while f"packet{i}/meta" in state:
            t_sample, asset = (int(x) for x in state[f"packet{i}/meta"])
            packets.append((t_sample, asset, i))
            i += 1
        times = sorted({t for t, _, _ in packets})
        self._count = 0
        self._allocate(max(4, 2 * len(times)))
        self._ring_t[: len(times)] = times
        self._count = len(times)
        slot_of = {t: k for k, t in enumerate(times)}
        link_of_asset = {int(a): lk for lk, a in enumerate(self._link_assets)}
        for t_sample, asset, i in packets:
            slot, lk = slot_of[t_sample], link_of_asset[asset]
            span = slice(int(self._spans[lk]), int(self._spans[lk + 1]))
            self._ring_values[slot, :, span] = state[f"packet{i}/values"]
            self._ring_arrival[slot, lk] = state[f"packet{i}/arrival_ns"]
            self._ring_pending[slot, lk] = state[f"packet{i}/pending"]

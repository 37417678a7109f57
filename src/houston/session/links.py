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

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from houston.ops.catalog import Catalog


@dataclass(frozen=True, slots=True)
class Reception:
    """A frame of ``asset`` sampled at ``t_sample_ns`` reached the ground by ``t_received_ns``
    (the frame at which the ground had it)."""

    run: int
    asset: str
    t_sample_ns: int
    t_received_ns: int


@dataclass
class Packet:
    """One frame of one asset's telemetry on its way down (the checkpoint's unit)."""

    t_sample_ns: int
    asset: int
    values: NDArray[np.float64]  # (batch, n_cols of the asset)
    arrival_ns: NDArray[np.int64]  # (batch,)
    pending: NDArray[np.bool_]  # (batch,): runs for which it is still in flight


@dataclass
class Burst:
    """One frame of every linked asset's telemetry on its way down: the asset of link ``l``
    is in ``values[:, spans[l]]`` and, for run ``r``, arrives at ``arrival_ns[l, r]`` if
    ``pending[l, r]``."""

    t_sample_ns: int
    values: NDArray[np.float64]  # (batch, columns of every linked asset)
    arrival_ns: NDArray[np.int64]  # (links, batch)
    pending: NDArray[np.bool_]  # (links, batch)


def _index(cols: NDArray[np.intp]) -> slice | NDArray[np.intp]:
    """A slice when the columns are contiguous (cheaper to copy), else the columns."""
    if cols.size and cols[-1] - cols[0] == cols.size - 1:
        return slice(int(cols[0]), int(cols[-1]) + 1)
    return cols


class GroundView:
    """The ground's latest value of every parameter and the age of each asset's data.

    Each frame sends one ``Burst`` (every linked asset's samples, for the runs whose link is
    up) and delivers, oldest first, what has arrived; a sample overtaken by a newer one
    (shorter light time) is dropped.
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
        direct_cols = np.concatenate([self.cols[a] for a in direct] or [np.zeros(0, np.intp)])
        self.direct_cols = _index(np.sort(direct_cols)) if direct_cols.size else None
        self.direct_assets = _index(np.asarray([self.asset_index[a] for a in direct], np.intp))
        self._any_direct = bool(direct)
        links = sorted(downlinks.items())
        self.link_of = {a: (f"{path}.link_up", f"{path}.light_time_s") for a, path in links}
        self._up_keys = [f"{path}.link_up" for _, path in links]
        self._light_keys = [f"{path}.light_time_s" for _, path in links]
        self._link_asset = [self.asset_index[a] for a, _ in links]
        self._link_name = [a for a, _ in links]
        self._link_assets = np.asarray(self._link_asset, dtype=np.intp)
        # Each link's columns in the ground view and its span in a burst's values.
        self._link_cols: list[slice | NDArray[np.intp]] = []
        self._spans: list[slice] = []
        start = 0
        for a, _ in links:
            c = self.cols[a]
            self._link_cols.append(_index(c))
            self._spans.append(slice(start, start + c.size))
            start += c.size
        self._send_cols = _index(
            np.concatenate([self.cols[a] for a, _ in links] or [np.zeros(0, np.intp)])
        )
        self.inflight: list[Burst] = []
        #: deliveries of this frame, for the sinks (the session empties it)
        self.received: list[Reception] = []

    def update(self, t_ns: int, values: NDArray[np.float64], bus: Mapping[str, Any]) -> None:
        """Send this frame's samples down and deliver whatever has arrived by ``t_ns``."""
        if self.direct_cols is not None:
            self.values[:, self.direct_cols] = values[:, self.direct_cols]
        if self._any_direct:
            self.heard_ns[:, self.direct_assets] = t_ns
        if not self._up_keys:
            return
        up = np.asarray([bus[k] for k in self._up_keys]) != 0  # (links, batch)
        if up.any():
            light = np.asarray([bus[k] for k in self._light_keys], dtype=np.float64)
            arrival = t_ns + np.rint(light * 1e9).astype(np.int64)
            sent = values[:, self._send_cols]
            if isinstance(self._send_cols, slice):
                sent = sent.copy()
            self.inflight.append(Burst(t_ns, sent, arrival, up))
        if not self.inflight:
            return
        emptied = False
        for burst in self.inflight:
            due = burst.pending & (burst.arrival_ns <= t_ns)
            if not due.any():
                continue
            t_sample = burst.t_sample_ns
            fresh = due & (self.heard_ns[:, self._link_assets].T < t_sample)
            for link in np.flatnonzero(fresh.any(axis=1)).tolist():
                self._deliver(burst, link, fresh[link], t_ns)
            burst.pending &= ~due
            emptied = emptied or not burst.pending.any()
        if emptied:
            self.inflight = [b for b in self.inflight if b.pending.any()]

    def _deliver(self, burst: Burst, link: int, rows_mask: NDArray[np.bool_], t_ns: int) -> None:
        asset = self._link_asset[link]
        name = self._link_name[link]
        cols = self._link_cols[link]
        sent = burst.values[:, self._spans[link]]
        t_sample = burst.t_sample_ns
        if rows_mask.all():
            self.values[:, cols] = sent
            self.heard_ns[:, asset] = t_sample
            self.received += [Reception(r, name, t_sample, t_ns) for r in range(self.batch)]
            return
        rows = np.flatnonzero(rows_mask)
        if isinstance(cols, slice):
            self.values[rows, cols] = sent[rows]
        else:
            self.values[np.ix_(rows, cols)] = sent[rows]
        self.heard_ns[rows, asset] = t_sample
        self.received += [Reception(r, name, t_sample, t_ns) for r in rows.tolist()]

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
        for b in self.inflight:
            for link, span in enumerate(self._spans):
                if b.pending[link].any():
                    out.append(
                        Packet(
                            b.t_sample_ns,
                            self._link_asset[link],
                            b.values[:, span],
                            b.arrival_ns[link],
                            b.pending[link],
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
        self.values = np.array(state["values"])
        self.heard_ns = np.array(state["heard_ns"])
        self.inflight = []
        link_of_asset = {a: link for link, a in enumerate(self._link_asset)}
        n_links, width = len(self._link_asset), self._spans[-1].stop if self._spans else 0
        i = 0
        while f"packet{i}/meta" in state:
            t_sample, asset = (int(x) for x in state[f"packet{i}/meta"])
            if not self.inflight or self.inflight[-1].t_sample_ns != t_sample:
                self.inflight.append(
                    Burst(
                        t_sample,
                        np.full((self.batch, width), np.nan),
                        np.zeros((n_links, self.batch), dtype=np.int64),
                        np.zeros((n_links, self.batch), dtype=bool),
                    )
                )
            burst, link = self.inflight[-1], link_of_asset[asset]
            burst.values[:, self._spans[link]] = state[f"packet{i}/values"]
            burst.arrival_ns[link] = state[f"packet{i}/arrival_ns"]
            burst.pending[link] = state[f"packet{i}/pending"]
            i += 1

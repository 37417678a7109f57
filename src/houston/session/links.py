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


@dataclass(frozen=True)
class Reception:
    """A frame of ``asset`` sampled at ``t_sample_ns`` reached the ground by ``t_received_ns``
    (the frame at which the ground had it)."""

    run: int
    asset: str
    t_sample_ns: int
    t_received_ns: int


@dataclass
class Packet:
    """One frame of one asset's telemetry on its way down."""

    t_sample_ns: int
    asset: int
    values: NDArray[np.float64]  # (batch, n_cols of the asset)
    arrival_ns: NDArray[np.int64]  # (batch,)
    pending: NDArray[np.bool_]  # (batch,): runs for which it is still in flight


class GroundView:
    """The ground's latest value of every parameter and the age of each asset's data."""

    def __init__(self, catalog: Catalog, batch: int, downlinks: Mapping[str, str]) -> None:
        self.assets = sorted({p.asset for p in catalog} | set(downlinks))
        self.asset_index = {a: i for i, a in enumerate(self.assets)}
        self.values = np.full((batch, len(catalog)), np.nan)
        #: sample time of the newest frame heard from each asset (-1: never heard)
        self.heard_ns = np.full((batch, len(self.assets)), -1, dtype=np.int64)
        cols = {a: [p.column for p in catalog if p.asset == a and not p.truth] for a in self.assets}
        self.cols = {a: np.asarray(c, dtype=np.intp) for a, c in cols.items()}
        direct = [a for a in self.assets if a not in downlinks]
        self.direct_cols = np.concatenate([self.cols[a] for a in direct] or [np.zeros(0, np.intp)])
        self.direct_assets = np.asarray([self.asset_index[a] for a in direct], dtype=np.intp)
        self.links = [
            (self.asset_index[a], self.cols[a], f"{path}.link_up", f"{path}.light_time_s")
            for a, path in sorted(downlinks.items())
        ]
        self.link_of = {
            a: (f"{path}.link_up", f"{path}.light_time_s") for a, path in downlinks.items()
        }
        self.inflight: list[Packet] = []
        #: deliveries of this frame, for the sinks (the session empties it)
        self.received: list[Reception] = []

    def update(self, t_ns: int, values: NDArray[np.float64], bus: Mapping[str, Any]) -> None:
        """Send this frame's samples down and deliver whatever has arrived by ``t_ns``."""
        if self.direct_cols.size:
            self.values[:, self.direct_cols] = values[:, self.direct_cols]
        if self.direct_assets.size:
            self.heard_ns[:, self.direct_assets] = t_ns
        for asset, cols, up_key, lt_key in self.links:
            up = np.asarray(bus[up_key]) != 0
            if up.any():
                light_ns = np.rint(np.asarray(bus[lt_key], dtype=np.float64) * 1e9).astype(np.int64)
                self.inflight.append(
                    Packet(t_ns, asset, values[:, cols].copy(), t_ns + light_ns, up.copy())
                )
        if not self.inflight:
            return
        still = []
        for pkt in self.inflight:
            due = pkt.pending & (pkt.arrival_ns <= t_ns)
            if due.any():
                # A packet overtaken by a newer one (shorter light time) is dropped.
                fresh = due & (self.heard_ns[:, pkt.asset] < pkt.t_sample_ns)
                rows = np.flatnonzero(fresh)
                if rows.size:
                    name = self.assets[pkt.asset]
                    self.values[np.ix_(rows, self.cols[name])] = pkt.values[rows]
                    self.heard_ns[rows, pkt.asset] = pkt.t_sample_ns
                    self.received += [Reception(int(r), name, pkt.t_sample_ns, t_ns) for r in rows]
                pkt.pending &= ~due
            if pkt.pending.any():
                still.append(pkt)
        self.inflight = still

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

    def state(self) -> dict[str, NDArray[Any]]:
        out: dict[str, NDArray[Any]] = {"values": self.values, "heard_ns": self.heard_ns}
        for i, p in enumerate(self.inflight):
            out[f"packet{i}/values"] = p.values
            out[f"packet{i}/arrival_ns"] = p.arrival_ns
            out[f"packet{i}/pending"] = p.pending
            out[f"packet{i}/meta"] = np.array([p.t_sample_ns, p.asset], dtype=np.int64)
        return out

    def load_state(self, state: Mapping[str, NDArray[Any]]) -> None:
        self.values = np.array(state["values"])
        self.heard_ns = np.array(state["heard_ns"])
        self.inflight = []
        i = 0
        while f"packet{i}/meta" in state:
            t_sample, asset = (int(x) for x in state[f"packet{i}/meta"])
            self.inflight.append(
                Packet(
                    t_sample,
                    asset,
                    np.array(state[f"packet{i}/values"]),
                    np.array(state[f"packet{i}/arrival_ns"]),
                    np.array(state[f"packet{i}/pending"]),
                )
            )
            i += 1

"""CCSDS Orbit Ephemeris Messages (OEM), KVN format, version 3.0.

Follows CCSDS 502.0-B-3 *Orbit Data Messages* (Blue Book, April 2023), section 5: a header
(``CCSDS_OEM_VERS``, ``CREATION_DATE``, ``ORIGINATOR``), then for each segment a metadata
block between ``META_START`` and ``META_STOP`` (``OBJECT_NAME``, ``OBJECT_ID``,
``CENTER_NAME``, ``REF_FRAME``, ``TIME_SYSTEM``, ``START_TIME``, ``STOP_TIME``) and data lines
``epoch x y z x_dot y_dot z_dot`` in km and km/s. Orekit and GMAT read this form.

Text in, text out: writing the file is the caller's business (the CLI or the archive).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

VERSION = "3.0"
REF_FRAMES = ("GCRF", "EME2000", "ICRF", "ITRF2000", "TEME", "MOON_ME", "MOON_PA")
TIME_SYSTEMS = ("UTC", "TAI", "TT", "TDB", "GPS")


@dataclass(frozen=True)
class Segment:
    """One OEM segment: states of one object about one centre, in one frame."""

    object_name: str
    object_id: str
    center_name: str
    ref_frame: str
    time_system: str
    epochs: Sequence[str]  # ISO 8601 times in ``time_system`` (no trailing Z)
    r_m: NDArray[np.float64]  # (n, 3)
    v_m_s: NDArray[np.float64]  # (n, 3)

    def __post_init__(self) -> None:
        if self.ref_frame not in REF_FRAMES:
            raise ValueError(f"REF_FRAME must be one of {', '.join(REF_FRAMES)}")
        if self.time_system not in TIME_SYSTEMS:
            raise ValueError(f"TIME_SYSTEM must be one of {', '.join(TIME_SYSTEMS)}")
        n = len(self.epochs)
        if np.shape(self.r_m) != (n, 3) or np.shape(self.v_m_s) != (n, 3):
            raise ValueError(f"expected {n} epochs with (n, 3) positions and velocities")
        if n == 0:
            raise ValueError("an OEM segment needs at least one state")


def _epoch(text: str) -> str:
    return text[:-1] if text.endswith("Z") else text


def format_oem(segments: Sequence[Segment], originator: str, creation_date: str) -> str:
    """The KVN text of an OEM with ``segments``."""
    lines = [
        f"CCSDS_OEM_VERS = {VERSION}",
        f"CREATION_DATE = {_epoch(creation_date)}",
        f"ORIGINATOR = {originator}",
    ]
    for seg in segments:
        lines += [
            "",
            "META_START",
            f"OBJECT_NAME = {seg.object_name}",
            f"OBJECT_ID = {seg.object_id}",
            f"CENTER_NAME = {seg.center_name}",
            f"REF_FRAME = {seg.ref_frame}",
            f"TIME_SYSTEM = {seg.time_system}",
            f"START_TIME = {_epoch(seg.epochs[0])}",
            f"STOP_TIME = {_epoch(seg.epochs[-1])}",
            "META_STOP",
            "",
        ]
        r_km = np.asarray(seg.r_m) / 1e3
        v_km_s = np.asarray(seg.v_m_s) / 1e3
        for t, r, v in zip(seg.epochs, r_km, v_km_s, strict=True):
            lines.append(
                f"{_epoch(t)} {r[0]:.9f} {r[1]:.9f} {r[2]:.9f} {v[0]:.12f} {v[1]:.12f} {v[2]:.12f}"
            )
    return "\n".join(lines) + "\n"


def parse_oem(text: str) -> list[Segment]:
    """Read the segments of a KVN OEM (comments and covariance blocks are skipped)."""
    segments: list[Segment] = []
    meta: dict[str, str] = {}
    epochs: list[str] = []
    states: list[list[float]] = []
    in_meta = in_cov = False

    def close() -> None:
        if meta:
            arr = np.array(states, dtype=np.float64).reshape(-1, 6) * 1e3
            segments.append(
                Segment(
                    meta["OBJECT_NAME"],
                    meta["OBJECT_ID"],
                    meta["CENTER_NAME"],
                    meta["REF_FRAME"],
                    meta["TIME_SYSTEM"],
                    list(epochs),
                    arr[:, :3],
                    arr[:, 3:],
                )
            )

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("COMMENT"):
            continue
        if line == "META_START":
            close()
            meta, epochs, states, in_meta = {}, [], [], True
            continue
        if line == "META_STOP":
            in_meta = False
            continue
        if line in ("COVARIANCE_START", "COVARIANCE_STOP"):
            in_cov = line == "COVARIANCE_START"
            continue
        if in_cov:
            continue
        if "=" in line:
            key, _, value = line.partition("=")
            if in_meta:
                meta[key.strip()] = value.strip()
            continue
        fields = line.split()
        if len(fields) not in (7, 10):
            raise ValueError(f"line {number}: expected an epoch and 6 (or 9) numbers: {raw!r}")
        epochs.append(fields[0])
        states.append([float(x) for x in fields[1:7]])
    close()
    return segments

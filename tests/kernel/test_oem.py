"""CCSDS OEM (502.0-B-3) writing and reading."""

from __future__ import annotations

import numpy as np
import pytest

from houston.dynamics.oem import Segment, format_oem, parse_oem


def segment() -> Segment:
    r = np.array([[6_778_137.0, 0.0, 0.0], [6_000_000.123456, 3_000_000.0, 1.0]])
    v = np.array([[0.0, 7668.558, 0.0], [-1000.0, 7000.000001, 0.5]])
    return Segment(
        "APOLLO",
        "1975-066A",
        "EARTH",
        "GCRF",
        "UTC",
        ["1975-07-15T20:00:00.000Z", "1975-07-15T20:01:00.000Z"],
        r,
        v,
    )


def test_layout_follows_the_standard() -> None:
    text = format_oem([segment()], "HOUSTON", "1975-07-15T20:00:00Z")
    lines = text.splitlines()
    assert lines[0] == "CCSDS_OEM_VERS = 3.0"
    assert "META_START" in lines and "META_STOP" in lines
    assert "START_TIME = 1975-07-15T20:00:00.000" in lines
    assert lines[-1].startswith("1975-07-15T20:01:00.000 6000.000123456 3000.000000000")


def test_round_trip_to_a_micrometre() -> None:
    seg = segment()
    back = parse_oem(format_oem([seg, seg], "HOUSTON", "1975-07-15T20:00:00"))
    assert len(back) == 2
    assert back[0].object_id == "1975-066A" and back[0].ref_frame == "GCRF"
    np.testing.assert_allclose(back[1].r_m, seg.r_m, atol=1e-6)
    np.testing.assert_allclose(back[1].v_m_s, seg.v_m_s, atol=1e-9)


def test_bad_segments() -> None:
    with pytest.raises(ValueError, match="REF_FRAME"):
        Segment(
            "A",
            "1",
            "EARTH",
            "J2000",
            "UTC",
            ["2000-01-01T00:00:00"],
            np.zeros((1, 3)),
            np.zeros((1, 3)),
        )
    with pytest.raises(ValueError, match="epoch and 6"):
        parse_oem("META_START\nOBJECT_NAME = A\nMETA_STOP\n2000-01-01T00:00:00 1 2 3\n")

"""docs/models.md is generated from the declarations and must match them."""

from __future__ import annotations

from pathlib import Path

from houston.ops.reference import markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "models.md"


def test_model_reference_is_current() -> None:
    assert DOC.read_text() == markdown(), (
        "docs/models.md is out of date: run `houston models --markdown > docs/models.md`"
    )

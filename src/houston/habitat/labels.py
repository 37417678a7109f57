"""Names shared by the habitat and the crew models: the outside, the hatch states, and the
axis labels ("frames") of node- and hatch-indexed signals.

A signal indexed by node or hatch carries its axis labels as its ``frame``; the scenario
loader refuses to wire an output to an input whose frame differs, so a crew whose node or
hatch list does not match the habitat's (names, order, ends) is a scenario error that lists
both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: The implicit vacuum around the base (a hatch or valve end, never a node name).
OUTSIDE = "outside"
#: Hatch states, in the order of their integer codes.
HATCH_STATES = ("OPEN", "CLOSED", "LOCKED")
OPEN, CLOSED, LOCKED = 0, 1, 2


def node_frame(names: tuple[str, ...] | list[str]) -> str:
    """Axis labels of a signal indexed by node."""
    return "habitat nodes [" + ", ".join(names) + "]"


def hatch_frame(hatches: Mapping[str, Mapping[str, Any]]) -> str:
    """Axis labels of a signal indexed by hatch: names and end nodes, in order."""
    return (
        "habitat hatches [" + ", ".join(f"{h} {r['a']}-{r['b']}" for h, r in hatches.items()) + "]"
    )

"""Houston: a mission-control simulator for crewed spaceflight, on real physics.

``houston.run("leo-demo", until="2h")`` runs a bundled scenario and returns its archive.
Heavy modules are imported on first use, so ``import houston`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from houston.session.api import RunResult


def run(scenario: str, **kw: Any) -> RunResult:
    """Run a scenario; see ``houston.session.api.run`` for the options."""
    from houston.session.api import run as _run

    return _run(scenario, **kw)


def load(scenario: str, overrides: Any = ()) -> Any:
    """Load and validate a scenario into a ``World``."""
    from houston.scenario.loader import load as _load

    return _load(scenario, overrides)


__all__ = ["__version__", "load", "run"]

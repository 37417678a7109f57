"""Run every benchmark and print its table: ``make bench``.

Each module ``bench/NAME.py`` with a ``rows()`` function contributes one table (a list of
dicts with the same keys); ``TITLE`` names it. ``python bench/run.py NAME ...`` runs some.
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

ORDER = ["kernel", "dynamics", "peers", "rendezvous", "reactor", "habitat"]


def _fmt(value: object) -> str:
    if isinstance(value, float):
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        if value == 0 or abs(value) >= 1e-3:
            return f"{value:.4g}"
        return f"{value:.3e}"
    return str(value)


def main(names: list[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=160)
    found = [p.stem for p in HERE.glob("*.py") if p.stem not in ("run", "__init__")]
    chosen = names or [n for n in ORDER if n in found] + sorted(set(found) - set(ORDER))
    for name in chosen:
        module = importlib.import_module(name)
        if not hasattr(module, "rows"):
            continue
        t0 = time.perf_counter()
        rows = module.rows()
        title = getattr(module, "TITLE", name)
        table = Table(title=f"{title}  ({time.perf_counter() - t0:.1f} s)", header_style="bold")
        keys: list[str] = []
        for r in rows:
            keys += [k for k in r if k not in keys]
        for k in keys:
            table.add_column(k, justify="left" if k in ("case", "peer", "model") else "right")
        for r in rows:
            table.add_row(*(_fmt(r.get(k, "")) for k in keys))
        console.print(table)


if __name__ == "__main__":
    main(sys.argv[1:])

"""Run every benchmark and print a table: ``make bench``."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def leo_demo() -> dict[str, float]:
    from houston.scenario.loader import load
    from houston.session.session import Session

    w = load("leo-demo")
    s = Session(w)
    s.start()
    t0 = time.perf_counter()
    s.run()
    wall = time.perf_counter() - t0
    return {"wall_s": wall, "x_real_time": w.duration_ns / 1e9 / wall}


def main() -> None:
    from rich.console import Console
    from rich.table import Table

    import kernel

    console = Console(width=130)
    table = Table(title="Kernel: cost of the frame loop (1 s frames)", header_style="bold")
    for col in ("case", "µs / frame", "ns / frame / param", "ns / sample", "× real time"):
        table.add_column(col, justify="right" if col != "case" else "left")
    for r in kernel.rows():
        table.add_row(
            r["case"],
            f"{r['us_per_frame']:.1f}",
            f"{r['ns_per_frame_param']:.0f}",
            f"{r['ns_per_sample']:.1f}",
            f"{r['x_real_time']:,.0f}",
        )
    console.print(table)
    demo = leo_demo()
    console.print(
        f"leo-demo (3 h, one two-body vehicle, 9 parameters): {demo['wall_s']:.2f} s, "
        f"{demo['x_real_time']:,.0f}× real time"
    )


if __name__ == "__main__":
    main()

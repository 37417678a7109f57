"""``import houston`` stays light: heavy libraries load only when they are needed."""

from __future__ import annotations

import subprocess
import sys


def test_import_houston_loads_nothing_heavy() -> None:
    code = (
        "import sys, houston; "
        "heavy = [m for m in ('astropy', 'duckdb', 'pyarrow', 'scipy', 'pydantic', 'numba', "
        "'typer', 'rich', 'numpy') if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""

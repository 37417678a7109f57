"""The compiled choice of who drives the pump and the drums equals the model's numpy one
(``SurfaceReactor._drivers``) for every combination of failures and connections."""

from __future__ import annotations

import itertools

import numpy as np

from houston.reactor import kernels
from tests.reactor.test_substeps import Stepper


def test_driver_rows_equals_drivers_for_every_combination() -> None:
    combos = np.array(list(itertools.product((False, True), repeat=6)), dtype=bool)
    n = len(combos)
    r = Stepper(n)
    m, st = r.m, r.m.state
    st["failure.primary_computer_lost"][:] = combos[:, 0]
    st["failure.backup_computer_lost"][:] = combos[:, 1]
    st["failure.pump_drive_cut"][:] = combos[:, 2]
    st["cross_connect"][:] = combos[:, 3]
    st["backup_connected"][:] = combos[:, 4]
    st["backup_elsewhere"][:] = combos[:, 5]
    pump0, drums0 = m._drivers()
    assert set(pump0.tolist()) == {0, 1, 2} and set(drums0.tolist()) == {0, 1, 2}
    for old in (pump0, np.zeros(n, dtype=np.int64)):
        pump = np.full(n, -1, dtype=np.int64)
        drums = np.full(n, -1, dtype=np.int64)
        changed = kernels.compiled("driver_rows")(
            st["failure.primary_computer_lost"],
            st["failure.backup_computer_lost"],
            st["failure.pump_drive_cut"],
            st["cross_connect"],
            st["backup_connected"],
            st["backup_elsewhere"],
            old,
            drums0 if old is pump0 else old,
            pump,
            drums,
        )
        np.testing.assert_array_equal(pump, pump0)
        np.testing.assert_array_equal(drums, drums0)
        assert changed == (old is not pump0)

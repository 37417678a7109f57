"""Earth orientation parameters from the bundled IERS files, read with numpy.

The table :func:`houston.dynamics.frames.earth_orientation` interpolates (IERS EOP C04 from
1962, then the IERS Rapid Service ``finals2000A`` values and predictions, as astropy's
``IERS_B`` and ``IERS_A`` give them from astropy-iers-data), value for value, but read
from the two files' fixed columns with numpy instead of astropy's CDS reader: about 0.1 s
instead of about 1 s, the cost that every process paid on its first Earth rotation.

The columns are those of the files' CDS descriptions (``ReadMe.eopc04``,
``ReadMe.finals2000A``, beside the files): C04's MJD, x, y (″), UT1 − UTC (s), dX, dY (″);
``finals2000A``'s Bulletin A and B values, combined as astropy combines them (Bulletin B
where it has the value, for UT1 − UTC, for the pole (x and y together) and for the
celestial-pole offsets (dX and dY together); rows without a Bulletin A UT1 − UTC or polar
motion flag are left out). Rows of ``finals2000A`` after C04's last day extend C04; missing
offsets count as zero. Each row's date (0h UTC) is moved to TAI with ERFA's TAI − UTC, and
UT1 − UTC becomes UT1 − TAI, as in :mod:`houston.dynamics.frames`.

``tests/comms/test_eop.py`` holds this table equal to astropy's reading of the same files
(:func:`houston.dynamics.frames._eop_table_astropy`) to the last bit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

__all__ = ["EopTable", "eop_table"]

Array = NDArray[np.float64]

_MJD0 = 2_400_000.5
_S_PER_DAY = 86_400.0
#: Arc-second and milli-arc-second in radians (the factors astropy's units apply).
_ARCSEC_RAD = np.pi / 648_000.0
_MAS_RAD = np.pi / 648_000.0 * 1e-3


@dataclass(frozen=True)
class EopTable:
    """``mjd_tai`` ``(n,)``: each row's date, TAI MJD; ``values`` ``(n, 5)``: UT1 − TAI (s),
    x_p, y_p, dX, dY (rad)."""

    mjd_tai: Array
    values: Array


def _data_dir() -> Path:
    import astropy_iers_data

    return Path(astropy_iers_data.__file__).parent / "data"


def _fields(lines: list[bytes], columns: list[tuple[int, int]]) -> list[Array]:
    """Fixed columns (1-based inclusive byte ranges of the CDS descriptions) of ``lines`` as
    floats; blank fields are NaN."""
    width = max(b for _, b in columns)
    rows = np.array([ln.ljust(width) for ln in lines], dtype=f"S{width}")
    chars = rows.view("S1").reshape(len(lines), width)
    out = []
    for a, b in columns:
        text = np.ascontiguousarray(chars[:, a - 1 : b]).view(f"S{b - a + 1}").ravel()
        blank = np.char.strip(text) == b""
        value = np.where(blank, b"nan", text).astype(np.float64)
        out.append(value)
    return out


def _c04(path: Path) -> tuple[Array, ...]:
    lines = [ln for ln in path.read_bytes().splitlines() if ln.strip() and not ln.startswith(b"#")]
    # ReadMe.eopc04: MJD 17-26, x 27-38, y 39-50, UT1-UTC 51-62, dX 63-74, dY 75-86.
    mjd, x, y, ut1, dx, dy = _fields(
        lines, [(17, 26), (27, 38), (39, 50), (51, 62), (63, 74), (75, 86)]
    )
    return mjd, x * _ARCSEC_RAD, y * _ARCSEC_RAD, ut1, dx * _ARCSEC_RAD, dy * _ARCSEC_RAD


def _finals(path: Path) -> tuple[Array, ...]:
    lines = [ln for ln in path.read_bytes().splitlines() if ln.strip()]
    # ReadMe.finals2000A: MJD 8-15, PM flag 17, x_A 19-27, y_A 38-46, UT1 flag 58,
    # UT1-UTC_A 59-68, dX_A 98-106, dY_A 117-125 (mas), x_B 135-144, y_B 145-154,
    # UT1-UTC_B 155-165, dX_B 166-175, dY_B 176-185 (mas).
    mjd, x_a, y_a, ut1_a, dx_a, dy_a, x_b, y_b, ut1_b, dx_b, dy_b = _fields(
        lines,
        [
            (8, 15),
            (19, 27),
            (38, 46),
            (59, 68),
            (98, 106),
            (117, 125),
            (135, 144),
            (145, 154),
            (155, 165),
            (166, 175),
            (176, 185),
        ],
    )
    flag = np.array([ln[16:17].strip() != b"" for ln in lines])
    keep = np.isfinite(ut1_a) & flag
    ut1 = np.where(np.isnan(ut1_b), ut1_a, ut1_b)
    pm_b = np.isnan(x_b) | np.isnan(y_b)
    x = np.where(pm_b, x_a, x_b)
    y = np.where(pm_b, y_a, y_b)
    dc_b = np.isnan(dx_b) | np.isnan(dy_b)
    dx = np.where(dc_b, dx_a, dx_b)
    dy = np.where(dc_b, dy_a, dy_b)
    return (
        mjd[keep],
        x[keep] * _ARCSEC_RAD,
        y[keep] * _ARCSEC_RAD,
        ut1[keep],
        dx[keep] * _MAS_RAD,
        dy[keep] * _MAS_RAD,
    )


_table: EopTable | None = None


def eop_table(data_dir: Path | None = None) -> EopTable:
    """The combined table (module docstring), read once per process from ``data_dir``
    (default: astropy-iers-data's)."""
    global _table
    if _table is not None and data_dir is None:
        return _table
    import erfa

    d = data_dir if data_dir is not None else _data_dir()
    b = _c04(d / "eopc04.1962-now")
    a = _finals(d / "finals2000A.all")
    keep = (a[0] > b[0][-1]) & np.isfinite(a[3]) & np.isfinite(a[1])
    cols = [np.concatenate([cb, ca[keep]]) for cb, ca in zip(b, a, strict=True)]
    cols = [cols[0]] + [np.where(np.isfinite(c), c, 0.0) for c in cols[1:]]
    mjd = cols[0]
    year, month, day, frac = erfa.jd2cal(_MJD0, mjd)
    tai_utc_s = erfa.dat(year, month, day, frac)
    values = np.stack([cols[3] - tai_utc_s, cols[1], cols[2], cols[4], cols[5]], axis=-1)
    table = EopTable(mjd + tai_utc_s / _S_PER_DAY, values)
    if data_dir is None:
        _table = table
    return table

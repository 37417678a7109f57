"""Fission-product decay heat after shutdown, as a fraction of operating power.

Pure numerics: floats and arrays in, arrays out, no I/O. Times are in seconds, powers in watts,
and every function broadcasts over its array arguments (a batch of runs is a leading axis).

Two models:

``"ans-5.1"`` (alias ``"ans-5.1-1979"``)
    ANSI/ANS-5.1-1979, *Decay Heat Power in Light Water Reactors*, Table 7: the 23-group
    exponential fit to the fission-product decay power of U-235 thermal fission,
    ``f(t) = sum_i alpha_i exp(-lambda_i t)`` in MeV per fission per second after a single
    fission (alpha_i in MeV/(fission s), lambda_i in 1/s). For a constant fission rate held
    for ``T`` seconds and then stopped, the decay power per unit fission rate is

        ``F(t, T) = sum_i (alpha_i / lambda_i) exp(-lambda_i t) (1 - exp(-lambda_i T))``  [MeV]

    and the decay power over the operating power is ``F(t, T) / Q`` with ``Q`` the recoverable
    energy per fission. We take ``Q = 200 MeV/fission`` (``Q_MEV_PER_FISSION``), the usual
    round value for U-235; pass ``q_mev`` to use another.

    What is *not* applied: the standard's factor ``G(t)`` for neutron capture in fission
    products is taken as 1, and the separate U-239 / Np-239 actinide decay terms are left
    out. The result is therefore the capture-free fission-product decay power of U-235 alone.
    ``G - 1`` grows with burnup (fissions per initial fissile atom), which stays small in a
    low-burnup compact HEU core, so the omission errs low and by little in that case; it is
    an omission all the same, not a claim that the terms vanish.

    The 1979 fit is chosen over the 2005/2014 revisions because its coefficients could be
    checked against several independent transcriptions; the revisions change the U-235 fit
    (the first group, notably) and are not reproduced here. Against the ANSI/ANS-5.1-2005
    U-235 fit, infinite operation, this one lies 0.05-0.6 % below from 1 s to 1 day
    (``tests/reactor/test_decay_heat_published.py``); at shutdown it is 2 % below
    (13.18 against 13.46 MeV per fission).

``"way-wigner"``
    The Way–Wigner power law, K. Way and E. P. Wigner, "The rate of decay of fission
    products", *Phys. Rev.* 73, 1318 (1948), in the form

        ``P_d / P_0 = 0.0622 [t^-0.2 - (t + T)^-0.2]``

    A rough approximation, meant for comparison only (roughly 10 s to 1e6 s after shutdown).
    It diverges at ``t = 0``, which is refused.

Besides the closed form :func:`fraction`, :func:`advance_group_power_W` steps the 23 group decay
powers through an arbitrary fission-power history (exact for power held constant over each
step), for a simulation that does not know in advance when the reactor will shut down.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "ALPHA_MEV_PER_FISSION_S",
    "LAMBDA_PER_S",
    "MODELS",
    "Q_MEV_PER_FISSION",
    "advance_group_power_W",
    "fraction",
    "group_power_equilibrium_W",
]

#: ANSI/ANS-5.1-1979 Table 7, U-235 thermal fission, alpha_i in MeV/(fission s), 23 groups.
ALPHA_MEV_PER_FISSION_S: Final[NDArray[np.float64]] = np.array(
    [
        6.5057e-01,
        5.1264e-01,
        2.4384e-01,
        1.3850e-01,
        5.5440e-02,
        2.2225e-02,
        3.3088e-03,
        9.3015e-04,
        8.0943e-04,
        1.9567e-04,
        3.2535e-05,
        7.5595e-06,
        2.5232e-06,
        4.9948e-07,
        1.8531e-07,
        2.6608e-08,
        2.2398e-09,
        8.1641e-12,
        8.7797e-11,
        2.5131e-14,
        3.2176e-16,
        4.5038e-17,
        7.4791e-17,
    ]
)
ALPHA_MEV_PER_FISSION_S.flags.writeable = False

#: ANSI/ANS-5.1-1979 Table 7, U-235 thermal fission, lambda_i in 1/s, 23 groups.
LAMBDA_PER_S: Final[NDArray[np.float64]] = np.array(
    [
        2.2138e01,
        5.1587e-01,
        1.9594e-01,
        1.0314e-01,
        3.3656e-02,
        1.1681e-02,
        3.5870e-03,
        1.3930e-03,
        6.2630e-04,
        1.8906e-04,
        5.4988e-05,
        2.0958e-05,
        1.0010e-05,
        2.5438e-06,
        6.6361e-07,
        1.2290e-07,
        2.7213e-08,
        4.3714e-09,
        7.5780e-10,
        2.4786e-10,
        2.2384e-13,
        2.4600e-14,
        1.5699e-14,
    ]
)
LAMBDA_PER_S.flags.writeable = False

#: Recoverable energy per U-235 fission used to normalise the ANS fit, MeV.
Q_MEV_PER_FISSION: Final = 200.0

#: Way–Wigner coefficient (Way and Wigner 1948), for P_d/P_0 with t in seconds.
_WAY_WIGNER_COEFF: Final = 0.0622
_WAY_WIGNER_EXPONENT: Final = -0.2

_ANS_NAMES: Final = frozenset({"ans-5.1", "ans-5.1-1979"})
#: Model names accepted by :func:`fraction`.
MODELS: Final = ("ans-5.1", "ans-5.1-1979", "way-wigner")


def _times(name: str, value: ArrayLike) -> NDArray[np.float64]:
    arr = np.asarray(value, dtype=np.float64)
    if np.any(np.isnan(arr)) or np.any(arr < 0.0):
        raise ValueError(f"{name} must be non-negative seconds (got a negative or NaN value)")
    return arr


def fraction(
    t_after_shutdown_s: ArrayLike,
    t_operating_s: ArrayLike,
    model: str = "ans-5.1",
    *,
    q_mev: float = Q_MEV_PER_FISSION,
) -> NDArray[np.float64]:
    """Decay power over operating power, ``P_d(t, T) / P_0``, dimensionless.

    Parameters
    ----------
    t_after_shutdown_s
        Time since shutdown ``t``, s, >= 0 (> 0 for Way–Wigner).
    t_operating_s
        Time at constant power before shutdown ``T``, s, >= 0; ``numpy.inf`` for an
        infinitely long irradiation.
    model
        ``"ans-5.1"`` (ANSI/ANS-5.1-1979 Table 7, U-235 thermal fission, 23 groups, no G(t)
        capture factor, no U-239/Np-239 term, Q = ``q_mev``) or ``"way-wigner"``
        (Way and Wigner 1948). See the module docstring.
    q_mev
        Recoverable energy per fission, MeV, for the ANS model only.

    Returns
    -------
    ndarray
        ``P_d / P_0`` with the broadcast shape of the two time arguments.

    Raises
    ------
    ValueError
        For a negative or NaN time, ``t = 0`` with Way–Wigner, or an unknown model.
    """
    if model not in _ANS_NAMES and model != "way-wigner":
        raise ValueError(f"unknown decay-heat model {model!r}; expected one of {MODELS}")
    t = _times("t_after_shutdown_s", t_after_shutdown_s)
    big_t = _times("t_operating_s", t_operating_s)
    t, big_t = np.broadcast_arrays(t, big_t)
    if model == "way-wigner":
        if np.any(t == 0.0):
            raise ValueError("the Way-Wigner law diverges at t_after_shutdown_s = 0")
        with np.errstate(divide="ignore"):
            late = np.where(np.isinf(big_t), 0.0, (t + big_t) ** _WAY_WIGNER_EXPONENT)
        return _WAY_WIGNER_COEFF * (t**_WAY_WIGNER_EXPONENT - late)
    if not q_mev > 0.0:
        raise ValueError(f"q_mev must be a positive energy per fission in MeV, got {q_mev!r}")
    lam = LAMBDA_PER_S
    amp = ALPHA_MEV_PER_FISSION_S / lam
    terms = amp * np.exp(-lam * t[..., None]) * -np.expm1(-lam * big_t[..., None])
    return terms.sum(axis=-1) / q_mev


def group_power_equilibrium_W(
    fission_power_W: ArrayLike,
    t_operating_s: ArrayLike = np.inf,
    *,
    q_mev: float = Q_MEV_PER_FISSION,
) -> NDArray[np.float64]:
    """Decay power held in each of the 23 ANS-5.1-1979 groups, W, shape ``(..., 23)``.

    For a reactor run at constant ``fission_power_W`` (the operating power ``P_0`` of the
    standard, i.e. fission rate times ``Q``) for ``t_operating_s``: group ``i`` holds
    ``P_0 (alpha_i / lambda_i / Q) (1 - exp(-lambda_i T))``. The sum over the last axis is
    ``P_0 * fraction(0, T)``.
    """
    p0 = np.asarray(fission_power_W, dtype=np.float64)
    big_t = _times("t_operating_s", t_operating_s)
    p0, big_t = np.broadcast_arrays(p0, big_t)
    amp = ALPHA_MEV_PER_FISSION_S / LAMBDA_PER_S / q_mev
    return p0[..., None] * amp * -np.expm1(-LAMBDA_PER_S * big_t[..., None])


def advance_group_power_W(
    group_power_W: ArrayLike,
    fission_power_W: ArrayLike,
    dt_s: ArrayLike,
    *,
    q_mev: float = Q_MEV_PER_FISSION,
) -> NDArray[np.float64]:
    """Advance the 23 group decay powers by ``dt_s`` with the fission power held constant.

    Each group obeys ``dH_i/dt = -lambda_i H_i + (alpha_i / Q) P(t)`` (H_i in W, P the
    fission power in W: fission rate times Q), whose exact solution over a step with ``P``
    constant is

        ``H_i <- H_i exp(-lambda_i dt) + P (alpha_i / lambda_i / Q) (1 - exp(-lambda_i dt))``.

    This reproduces the ANS-5.1-1979 finite-history form of :func:`fraction` for any
    piecewise-constant power history, whatever the step. Decay power is the sum of
    ``H`` over the last axis.

    Parameters
    ----------
    group_power_W
        ``(..., 23)`` group decay powers, W.
    fission_power_W
        ``(...)`` fission power during the step, W (0 after shutdown).
    dt_s
        ``(...)`` step length, s, >= 0.
    """
    h = np.asarray(group_power_W, dtype=np.float64)
    if h.shape[-1:] != LAMBDA_PER_S.shape:
        raise ValueError(f"group_power_W must have a last axis of 23 groups, got shape {h.shape}")
    p = np.asarray(fission_power_W, dtype=np.float64)[..., None]
    dt = _times("dt_s", dt_s)[..., None]
    decay = np.exp(-LAMBDA_PER_S * dt)
    amp = ALPHA_MEV_PER_FISSION_S / LAMBDA_PER_S / q_mev
    return h * decay + p * amp * -np.expm1(-LAMBDA_PER_S * dt)

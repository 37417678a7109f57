"""Point reactor kinetics with delayed neutrons, stepped exactly over each frame.

Pure numerics: arrays in, arrays out, no I/O and no clock. Time in s, reactivity in absolute
units (dk/k, use :func:`rho_from_dollars` for dollars), neutron population normalised so that
``n = 1`` is rated power (``n`` is the fission rate over its rated value).

Equations (Duderstadt and Hamilton, *Nuclear Reactor Analysis*, 1976, ch. 6):

    dn/dt   = (rho - beta) / Lambda * n + sum_i lambda_i C_i
    dC_i/dt = beta_i / Lambda * n - lambda_i C_i

with ``beta = sum_i beta_i`` and ``Lambda`` the prompt-neutron generation time. ``C_i`` is
measured in the same units as ``n`` (at equilibrium ``C_i = beta_i n / (Lambda lambda_i)``).

Shapes: ``n`` is ``batch``, ``C`` is ``batch + (G,)`` with ``G`` delayed groups, and every
input broadcasts against the batch. A single run is a batch of one (or a scalar); a Monte
Carlo of 10,000 runs is the same call on 10,000 rows. Parameters may be shared (``beta``
of shape ``(G,)``) or differ per row (``(N, G)``).

Stepper
-------
With reactivity held constant over a step, the system is linear, ``y' = A y``, and
:func:`step` applies ``exp(A dt)`` exactly through the eigen-expansion of ``A``. For this
matrix the expansion is known in closed form: the eigenvalues are the ``G + 1`` roots
``omega_k`` of the inhour equation

    rho = Lambda omega + sum_i beta_i omega / (omega + lambda_i),

one in each interval between consecutive poles ``-lambda_i`` (all real and distinct), and the
right and left eigenvectors are

    r_k = (1, beta_i / (Lambda (omega_k + lambda_i))),   l_k = (1, lambda_i / (omega_k + lambda_i)),

with ``l_k . r_k = rho'(omega_k) / Lambda``. The roots are found per row by a bracketed,
safeguarded Newton iteration (each element stops as soon as it has converged, so a row's
result does not depend on the other rows). :func:`step` and :func:`step_with_mean` run it,
and the modal expansion, as a compiled row kernel (:mod:`houston.reactor.kernels`, numba,
built on the first call); :func:`inhour_roots` runs the same iteration in numpy, vectorised
over the batch. No matrix is formed,
inverted or factorised, which is why this is preferred to ``numpy.linalg.eig`` on a stack of
matrices: it costs less (a whole step for 10,000 rows takes about half the time of ``eig``
alone on 10,000 7 x 7 matrices), it cannot return complex pairs from rounding, and it is exact
for any step length (stiffness is no issue: the prompt mode simply decays within the frame).

The one approximation is that reactivity is constant over the step. When it moves, hold the
mid-step value: the precursors stay second-order accurate, but ``n`` at the end of the step
is the prompt response to the mid-step reactivity, so during a ramp it lags by about
``(drho/dt)(dt/2) / (beta - rho)`` (11 % for a 0.25 $/s ramp in 1 s frames, 1.1 % in 0.1 s
frames; tests/reactor/test_kinetics.py). Sub-step while reactivity moves quickly (rod motion,
strong prompt feedback); a scram, a step change, is exact. :func:`step_with_mean` also
returns the exact mean of ``n`` over the step, which is what a heat balance needs (the
energy released in the frame), rather than the end-of-frame sample.

Above prompt critical (``rho > beta``) the prompt root is positive, of order
``(rho - beta) / Lambda``; a step long enough for ``exp(omega dt)`` to overflow returns
non-finite values with numpy's overflow warning.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from houston.reactor import kernels

__all__ = [
    "BETA_TOTAL_U235",
    "KEEPIN_U235_FAST_HALF_LIFE_S",
    "KEEPIN_U235_FAST_RELATIVE_ABUNDANCE",
    "KineticsParams",
    "dollars_from_rho",
    "equilibrium_state",
    "inhour_rho",
    "inhour_roots",
    "keepin_u235_fast",
    "rho_from_dollars",
    "stable_period_s",
    "step",
    "step_with_mean",
]

#: Keepin's six-group half-lives for fission of U-235 by fission-spectrum ("fast") neutrons,
#: s, longest first. G. R. Keepin, T. F. Wimett and R. K. Zeigler, "Delayed neutrons from
#: fissionable isotopes of uranium, plutonium and thorium", Phys. Rev. 107, 1044 (1957);
#: reproduced in G. R. Keepin, *Physics of Nuclear Kinetics* (Addison-Wesley, 1965).
KEEPIN_U235_FAST_HALF_LIFE_S: Final = (54.51, 21.84, 6.00, 2.23, 0.496, 0.179)
#: Keepin's relative group abundances a_i = beta_i / beta for the same data (sum 1.000).
KEEPIN_U235_FAST_RELATIVE_ABUNDANCE: Final = (0.038, 0.213, 0.188, 0.407, 0.128, 0.026)
#: Total delayed-neutron fraction used with them by default. 0.0065 is the customary U-235
#: value (Keepin's thermal-fission data as tabulated in Lamarsh, *Introduction to Nuclear
#: Engineering*, 2nd ed., 1983, p. 76, group fractions summing to 0.0065). For
#: fission-spectrum neutrons Keepin's absolute yield of 0.0165 delayed neutrons per fission
#: over nu-bar of about 2.6 gives about 0.0063 to 0.0064, within 3 %. The effective beta of a
#: real reflected core differs again and should be supplied when known.
BETA_TOTAL_U235: Final = 0.0065

_EPS: Final = float(np.finfo(np.float64).eps)
_MAX_ITER: Final = 200
_NEWTON_DONE: Final = 1e-9
_GUESS_PASSES = 2

Array = NDArray[np.float64]


def _frozen(value: ArrayLike) -> NDArray[np.float64]:
    arr = np.array(value, dtype=np.float64)  # a copy, so the caller cannot mutate ours
    arr.flags.writeable = False
    return arr


@dataclass(frozen=True, eq=False)
class KineticsParams:
    """Delayed-neutron data and generation time for one reactor, or one per row.

    Attributes
    ----------
    beta
        ``(..., G)`` delayed-neutron fraction of each group, > 0 (absolute, not relative).
    lambda_per_s
        ``(..., G)`` precursor decay constants, 1/s, strictly increasing along the last axis
        (longest-lived group first, as Keepin tabulates them).
    generation_time_s
        ``(...)`` prompt-neutron generation time Lambda, s, > 0. Of order 1e-5 s for a
        reflected compact core and 1e-8 s for a bare fast metal assembly; there is no
        default because it belongs to the core design.
    """

    beta: NDArray[np.float64]
    lambda_per_s: NDArray[np.float64]
    generation_time_s: NDArray[np.float64]

    def __post_init__(self) -> None:
        beta = _frozen(self.beta)
        lam = _frozen(self.lambda_per_s)
        gen = _frozen(self.generation_time_s)
        if beta.ndim < 1 or lam.ndim < 1 or beta.shape[-1] != lam.shape[-1] or beta.shape[-1] < 1:
            raise ValueError(
                "beta and lambda_per_s need the same non-empty last (group) axis, got "
                f"{beta.shape} and {lam.shape}"
            )
        if not (np.all(np.isfinite(beta)) and np.all(beta > 0.0)):
            raise ValueError("every group's beta must be finite and > 0")
        if not (np.all(np.isfinite(lam)) and np.all(lam > 0.0)):
            raise ValueError("every lambda_per_s must be finite and > 0")
        if np.any(np.diff(lam, axis=-1) <= 0.0):
            raise ValueError("lambda_per_s must increase strictly along the group axis")
        if not (np.all(np.isfinite(gen)) and np.all(gen > 0.0)):
            raise ValueError("generation_time_s must be finite and > 0")
        try:
            np.broadcast_shapes(beta.shape[:-1], lam.shape[:-1], gen.shape)
        except ValueError as exc:
            raise ValueError(
                f"parameter batch shapes do not broadcast: beta {beta.shape}, "
                f"lambda_per_s {lam.shape}, generation_time_s {gen.shape}"
            ) from exc
        object.__setattr__(self, "beta", beta)
        object.__setattr__(self, "lambda_per_s", lam)
        object.__setattr__(self, "generation_time_s", gen)

    @property
    def n_groups(self) -> int:
        """Number of delayed-neutron groups G."""
        return int(self.beta.shape[-1])

    @property
    def beta_total(self) -> NDArray[np.float64]:
        """Total delayed-neutron fraction, ``(...)``: one dollar of reactivity."""
        return self.beta.sum(axis=-1)

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """Batch shape the parameters themselves carry (``()`` when shared by all rows)."""
        return np.broadcast_shapes(
            self.beta.shape[:-1], self.lambda_per_s.shape[:-1], self.generation_time_s.shape
        )


def keepin_u235_fast(
    generation_time_s: ArrayLike, beta_total: ArrayLike = BETA_TOTAL_U235
) -> KineticsParams:
    """Six-group parameters for U-235 fission by fission-spectrum neutrons (Keepin).

    ``lambda_i = ln 2 / T_half,i`` from :data:`KEEPIN_U235_FAST_HALF_LIFE_S` (0.01272,
    0.03174, 0.1155, 0.3108, 1.397, 3.872 1/s) and ``beta_i = a_i * beta_total`` with the
    relative abundances :data:`KEEPIN_U235_FAST_RELATIVE_ABUNDANCE`. Sources: Keepin, Wimett
    and Zeigler, Phys. Rev. 107, 1044 (1957); Keepin, *Physics of Nuclear Kinetics* (1965).

    Parameters
    ----------
    generation_time_s
        Prompt-neutron generation time, s (scalar or per row).
    beta_total
        Total delayed fraction, default :data:`BETA_TOTAL_U235` = 0.0065 (see its note).
    """
    half_life = np.array(KEEPIN_U235_FAST_HALF_LIFE_S)
    lam = np.log(2.0) / half_life
    abundance = np.array(KEEPIN_U235_FAST_RELATIVE_ABUNDANCE)
    beta = np.asarray(beta_total, dtype=np.float64)[..., None] * abundance
    return KineticsParams(beta=beta, lambda_per_s=lam, generation_time_s=generation_time_s)


def rho_from_dollars(dollars: ArrayLike, params: KineticsParams) -> NDArray[np.float64]:
    """Reactivity in absolute units (dk/k) from dollars: ``rho = dollars * beta``."""
    return np.asarray(dollars, dtype=np.float64) * params.beta_total


def dollars_from_rho(rho: ArrayLike, params: KineticsParams) -> NDArray[np.float64]:
    """Reactivity in dollars from absolute units (dk/k): ``rho / beta``."""
    return np.asarray(rho, dtype=np.float64) / params.beta_total


def equilibrium_state(
    power_fraction: ArrayLike, params: KineticsParams
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Critical steady state at ``power_fraction`` of rated: ``(n, C)``.

    ``n`` has the broadcast batch shape of ``power_fraction`` and the parameters; ``C`` adds
    a last axis of G groups, ``C_i = beta_i n / (Lambda lambda_i)``.
    """
    p = np.asarray(power_fraction, dtype=np.float64)
    shape = np.broadcast_shapes(p.shape, params.batch_shape)
    n = np.broadcast_to(p, shape).copy()
    gen = params.generation_time_s[..., None]
    c = n[..., None] * params.beta / (gen * params.lambda_per_s)
    return n, np.broadcast_to(c, (*shape, params.n_groups)).copy()


def inhour_rho(omega_per_s: ArrayLike, params: KineticsParams) -> NDArray[np.float64]:
    """Reactivity whose asymptotic inverse period is ``omega_per_s`` (the inhour equation).

    ``rho(omega) = Lambda omega + sum_i beta_i omega / (omega + lambda_i)``
    (Duderstadt and Hamilton 1976, ch. 6). Broadcasts ``omega`` against the parameter batch.
    """
    w = np.asarray(omega_per_s, dtype=np.float64)
    return _rho_of(w, params.beta, params.lambda_per_s, params.generation_time_s)


def _rho_of(w, beta, lam, gen):
    return gen * w + w * (beta / (w[..., None] + lam)).sum(axis=-1)


def inhour_roots(rho: ArrayLike, params: KineticsParams) -> NDArray[np.float64]:
    """All ``G + 1`` roots of the inhour equation, 1/s, shape ``batch + (G + 1,)``.

    Sorted in decreasing order: index 0 is the asymptotic inverse period (the stable period
    is its reciprocal), the last is the prompt root, near ``(rho - beta) / Lambda``.
    """
    r = np.asarray(rho, dtype=np.float64)
    if not np.all(np.isfinite(r)):
        raise ValueError("rho must be finite")
    shape = np.broadcast_shapes(r.shape, params.batch_shape)
    g = params.n_groups
    beta = np.broadcast_to(params.beta, (*shape, g))
    lam = np.broadcast_to(params.lambda_per_s, (*shape, g))
    gen = np.broadcast_to(params.generation_time_s, shape)
    r = np.broadcast_to(r, shape)
    return _roots_shared(r, beta, lam, gen, params)


def _roots_shared(rho, beta, lam, gen, params: KineticsParams):
    """:func:`_roots`, solving each distinct reactivity once when the parameters are shared.

    Many rows of a Monte Carlo often hold the same reactivity (all of them at rho = 0 before
    anything happens). Each root is computed element by element, so solving a value once and
    copying it gives the very same bits as solving it in every row.
    """
    if params.batch_shape == () and rho.size > 1:
        values, where = np.unique(rho.reshape(-1), return_inverse=True)
        if 2 * values.size <= rho.size:
            g = beta.shape[-1]
            w = _roots(
                values,
                np.broadcast_to(params.beta, (values.size, g)),
                np.broadcast_to(params.lambda_per_s, (values.size, g)),
                np.broadcast_to(params.generation_time_s, values.shape),
            )
            return w[where.reshape(-1)].reshape((*rho.shape, g + 1))
    return _roots(rho, beta, lam, gen)


def _positive_root(a, b, c):
    """Positive root of ``a u^2 + b u - c = 0`` (``a > 0``, ``c >= 0``), without cancellation."""
    s = np.sqrt(b * b + 4.0 * a * c)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0.0, 2.0 * c / (b + s), (s - b) / (2.0 * a))


def _first_guess(rho, beta, lam, gen):
    """Starting points for the inhour roots from a model keeping each bracket's own poles.

    Writing ``f(w) = Lambda w + (beta - rho) - sum_i c_i / (w + lambda_i)``, ``c_i = beta_i
    lambda_i``, the terms of the poles that bound a root's bracket are kept exactly and the
    rest of the sum is frozen at a reference point; the model's root in the bracket is the
    solution of a quadratic. Two passes, the second referenced at the first's answer.
    """
    g = beta.shape[-1]
    c = beta * lam
    bmr = beta.sum(axis=-1) - rho
    k = g + 1
    own = np.zeros((k, g), dtype=bool)
    own[np.arange(g), np.arange(g)] = True
    own[np.arange(1, k), np.arange(g)] = True
    x = np.empty((*rho.shape, k))
    x[..., 0] = 0.0
    x[..., 1:g] = -np.sqrt(lam[..., 1:] * lam[..., :-1])
    x[..., g] = np.minimum(-bmr / gen, -lam[..., -1]) - lam[..., -1]
    for _ in range(_GUESS_PASSES):
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = c[..., None, :] / (x[..., None] + lam[..., None, :])
        others = np.where(own, 0.0, terms).sum(axis=-1)  # (..., K)
        new = np.empty_like(x)
        # Largest root, u = w + lambda_1 > 0: Lambda u^2 + (R - Lambda lambda_1) u - c_1 = 0.
        r0 = bmr - others[..., 0]
        new[..., 0] = _positive_root(gen, r0 - gen * lam[..., 0], c[..., 0]) - lam[..., 0]
        if g > 1:
            # Middle roots, u = w + lambda_a in (0, D), D = lambda_a - lambda_b, poles a right of
            # b: R u^2 - (R D + c_a + c_b) u + c_a D = 0 with R = Lambda x + beta - rho - others.
            la, lb = lam[..., 1:], lam[..., :-1]
            ca, cb = c[..., 1:], c[..., :-1]
            d = la - lb
            r = gen[..., None] * x[..., 1:g] + bmr[..., None] - others[..., 1:g]
            bq = r * d + ca + cb
            disc = np.sqrt((r * d - ca + cb) ** 2 + 4.0 * ca * cb)
            with np.errstate(divide="ignore", invalid="ignore"):
                u = np.where(bq > 0.0, 2.0 * ca * d / (bq + disc), (bq - disc) / (2.0 * r))
            new[..., 1:g] = u - la
        # Prompt root, u = -(w + lambda_G) > 0: Lambda u^2 - (R - Lambda lambda_G) u - c_G = 0.
        r0 = bmr - others[..., g]
        new[..., g] = -lam[..., -1] - _positive_root(gen, -(r0 - gen * lam[..., -1]), c[..., -1])
        x = new
    # Above critical the largest root can sit far from its pole, where freezing the other
    # poles misleads; a one-group model with the same prompt and delayed response (effective
    # lambda = beta / sum(beta_i / lambda_i)) lands close instead.
    # The same model, root nearest zero, serves for small negative reactivity.
    lam_eff = beta.sum(axis=-1) / (beta / lam).sum(axis=-1)
    b = gen * lam_eff + bmr
    disc = np.sqrt(np.maximum(b * b + 4.0 * gen * rho * lam_eff, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        one_group = np.where(b > 0.0, 2.0 * rho * lam_eff / (b + disc), (disc - b) / (2.0 * gen))
    usable = (rho > 0.0) | (one_group > -lam[..., 0])
    x[..., 0] = np.where(usable, one_group, x[..., 0])
    return x


def _roots(rho, beta, lam, gen):
    """Bracketed safeguarded Newton for every inhour root; see :func:`inhour_roots`."""
    g = beta.shape[-1]
    k = g + 1
    shape = rho.shape
    # Brackets [lo_k, hi_k] with rho(lo) <= rho <= rho(hi), roots in decreasing order.
    lo = np.empty((*shape, k))
    hi = np.empty((*shape, k))
    # Largest root: above -lambda_1; at most max(rho, 0) / Lambda since rho(w) >= Lambda w there.
    lo[..., 0] = -lam[..., 0]
    hi[..., 0] = np.maximum(rho, 0.0) / gen
    # Delayed roots: between consecutive poles.
    lo[..., 1:g] = -lam[..., 1:]
    hi[..., 1:g] = -lam[..., :-1]
    # Prompt root: below -lambda_G. With d = -lambda_G - w, rho(w) <= -Lambda (lambda_G + d)
    # + beta + S/d (S = sum beta_i lambda_i), which is < rho once
    # d >= 2 max(|c| / Lambda, sqrt(S / Lambda)) with c = rho - beta + Lambda lambda_G.
    s = (beta * lam).sum(axis=-1)
    c = rho - beta.sum(axis=-1) + gen * lam[..., -1]
    d = 2.0 * np.maximum(np.abs(c) / gen, np.sqrt(s / gen))
    lo[..., g] = -lam[..., -1] - d
    hi[..., g] = -lam[..., -1]
    w = _first_guess(rho, beta, lam, gen)
    w = np.where((w > lo) & (w < hi), w, 0.5 * (lo + hi))
    w[..., 0] = np.where(rho == 0.0, 0.0, w[..., 0])

    # Newton is applied to f(w) q(w), q the product of (w + lambda) over the bracket's own
    # poles, which removes them: near a pole f alone behaves as 1/(w - p) and Newton on it
    # crawls. The step is -f q / (f q)' = -f / (f' + f q'/q), q'/q = sum of 1/(w + lambda) over
    # those poles. Bracket k (0-based) lies right of -lambda[k] (k < G) and left of
    # -lambda[k - 1] (k >= 1).
    own = np.zeros((k, g))
    own[np.arange(g), np.arange(g)] = 1.0
    own[np.arange(1, k), np.arange(g)] = 1.0
    # Work on a flat list of (row, root) pairs and drop each as soon as it has converged: the
    # arithmetic of one element never depends on the others, so a row's roots are the same
    # whether it is solved alone or in a batch.
    m = w.size
    w_a = w.reshape(m)
    lo_a = lo.reshape(m)
    hi_a = hi.reshape(m)
    beta_a = np.broadcast_to(beta[..., None, :], (*shape, k, g)).reshape(m, g)
    lam_a = np.broadcast_to(lam[..., None, :], (*shape, k, g)).reshape(m, g)
    own_a = np.broadcast_to(own, (*shape, k, g)).reshape(m, g)
    gen_a = np.broadcast_to(gen[..., None], (*shape, k)).reshape(m)
    rho_a = np.broadcast_to(rho[..., None], (*shape, k)).reshape(m)
    out = np.empty(m)
    idx = np.arange(m)
    for _ in range(_MAX_ITER):
        inv = 1.0 / (w_a[:, None] + lam_a)
        b_inv = beta_a * inv
        f = gen_a * w_a + w_a * b_inv.sum(axis=-1) - rho_a
        fp = gen_a + (b_inv * lam_a * inv).sum(axis=-1)
        # f is known only to about eps times the size of its terms, plus eps |w f'| from the
        # rounding of w itself (w + lambda_i loses digits near a pole); once f is that small the
        # root is as good as double precision allows and further steps would only jitter.
        size = np.abs(gen_a * w_a) + np.abs(w_a) * np.abs(b_inv).sum(axis=-1) + np.abs(rho_a)
        at_root = np.abs(f) <= 8.0 * _EPS * (size + np.abs(w_a) * fp)
        lo_a = np.where(f < 0.0, w_a, lo_a)
        hi_a = np.where(f > 0.0, w_a, hi_a)
        newton = w_a - f / (fp + f * (inv * own_a).sum(axis=-1))
        inside = (newton > lo_a) & (newton < hi_a)
        w_new = np.where(inside, newton, 0.5 * (lo_a + hi_a))
        w_new = np.where(at_root, w_a, w_new)
        # A Newton step this small leaves an error of order its square, below eps (a bisection
        # step of the same size would not, hence `inside`).
        done = (
            at_root
            | (inside & (np.abs(w_new - w_a) <= _NEWTON_DONE * np.abs(w_new)))
            | (hi_a - lo_a <= 2.0 * _EPS * np.maximum(np.abs(lo_a), np.abs(hi_a)))
        )
        w_a = w_new
        if done.all():
            out[idx] = w_a
            break
        if done.any():
            out[idx[done]] = w_a[done]
            keep = ~done
            idx, w_a, lo_a, hi_a = idx[keep], w_a[keep], lo_a[keep], hi_a[keep]
            beta_a, lam_a, own_a = beta_a[keep], lam_a[keep], own_a[keep]
            gen_a, rho_a = gen_a[keep], rho_a[keep]
    else:  # pragma: no cover - a bracketed bisection cannot fail to converge in 200 halvings
        raise RuntimeError("inhour root iteration did not converge")
    return out.reshape(w.shape)


def stable_period_s(rho: ArrayLike, params: KineticsParams) -> NDArray[np.float64]:
    """Asymptotic (stable) reactor period, s: ``1 / omega_0``; ``inf`` at ``rho = 0``.

    Negative for a subcritical core (power falling); the e-folding time of the power once the
    other ``G`` modes have died out.
    """
    w0 = inhour_roots(rho, params)[..., 0]
    with np.errstate(divide="ignore"):
        return np.where(w0 == 0.0, np.inf, 1.0 / w0)


def step(
    n: ArrayLike,
    C: ArrayLike,
    rho: ArrayLike,
    dt_s: ArrayLike,
    params: KineticsParams,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Advance ``(n, C)`` by ``dt_s`` with reactivity ``rho`` held constant: exact solution.

    Parameters
    ----------
    n
        ``batch`` neutron population, fraction of rated power.
    C
        ``batch + (G,)`` precursor concentrations, same units as ``n``.
    rho
        Reactivity, dk/k, scalar or per row (broadcasts against the batch).
    dt_s
        Step length, s, >= 0, scalar or per row.
    params
        :class:`KineticsParams`, shared or per row.

    Returns
    -------
    (n, C)
        New arrays with the broadcast batch shape; the inputs are not modified.
    """
    n_new, c_new, _ = _step(n, C, rho, dt_s, params, want_mean=False)
    return n_new, c_new


def step_with_mean(
    n: ArrayLike,
    C: ArrayLike,
    rho: ArrayLike,
    dt_s: ArrayLike,
    params: KineticsParams,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """As :func:`step`, and also the exact mean of ``n`` over the step: ``(n, C, n_mean)``.

    ``n_mean = (1/dt) integral n dt = sum_k a_k (exp(omega_k dt) - 1) / (omega_k dt)``, so
    ``n_mean * rated_power_W * dt_s`` is the fission energy released during the step, in J,
    even when ``n`` changes by orders of magnitude within it (a scram). ``n_mean = n`` for
    ``dt_s = 0``.
    """
    return _step(n, C, rho, dt_s, params, want_mean=True)


def _step(n, C, rho, dt_s, params: KineticsParams, *, want_mean: bool):
    n0 = np.asarray(n, dtype=np.float64)
    c0 = np.asarray(C, dtype=np.float64)
    r = np.asarray(rho, dtype=np.float64)
    dt = np.asarray(dt_s, dtype=np.float64)
    g = params.n_groups
    if c0.shape[-1:] != (g,):
        raise ValueError(f"C must end in an axis of {g} groups, got shape {c0.shape}")
    if dt.ndim == 0:
        if not float(dt) >= 0.0:
            raise ValueError("dt_s must be non-negative seconds")
    elif np.isnan(dt).any() or (dt < 0.0).any():
        raise ValueError("dt_s must be non-negative seconds")
    shared = params.batch_shape == ()
    if shared and n0.shape == r.shape == c0.shape[:-1] and dt.ndim == 0:
        shape = n0.shape
    else:
        shape = np.broadcast_shapes(n0.shape, c0.shape[:-1], r.shape, dt.shape, params.batch_shape)
    if not np.isfinite(r).all():
        raise ValueError("rho must be finite")
    m = math.prod(shape)
    if shared:  # one parameter row for all
        beta = params.beta.reshape(1, g)
        lam = params.lambda_per_s.reshape(1, g)
        gen = params.generation_time_s.reshape(1)
    else:
        beta = _flat(params.beta, shape, m, (g,))
        lam = _flat(params.lambda_per_s, shape, m, (g,))
        gen = _flat(params.generation_time_s, shape, m)
    n_out = np.empty(shape)
    c_out = np.empty((*shape, g))
    mean_out = np.empty(shape)
    kernels.compiled("step_rows")(
        _flat(n0, shape, m),
        _flat(c0, shape, m, (g,)),
        _flat(r, shape, m),
        dt.reshape(1) if dt.ndim == 0 else _flat(dt, shape, m),
        beta,
        lam,
        gen,
        n_out.reshape(m),
        c_out.reshape(m, g),
        mean_out.reshape(m),
    )
    if not (np.isfinite(n_out).all() and np.isfinite(c_out).all()):
        _overflow()
    return n_out, c_out, (mean_out if want_mean else None)


def _flat(
    a: NDArray[np.float64], shape: tuple[int, ...], m: int, tail: tuple[int, ...] = ()
) -> NDArray[np.float64]:
    """``a`` broadcast to ``shape + tail`` as a C-contiguous ``(m, *tail)`` array (a view
    when it already is one)."""
    full = (*shape, *tail)
    if a.shape != full or not a.flags.c_contiguous:
        a = np.ascontiguousarray(np.broadcast_to(a, full))
    return a.reshape((m, *tail))


def _overflow() -> None:
    """What numpy's ``exp`` does on overflow, under the caller's ``numpy.errstate``."""
    mode = np.geterr()["over"]
    if mode == "raise":
        raise FloatingPointError("overflow encountered in exp")
    if mode in ("warn", "print", "log"):
        warnings.warn("overflow encountered in exp", RuntimeWarning, stacklevel=4)


def _step_reference(n, C, rho, dt_s, params: KineticsParams, *, want_mean: bool):
    """The same step in numpy over the whole batch (the reference for the compiled kernel)."""
    n0 = np.asarray(n, dtype=np.float64)
    c0 = np.asarray(C, dtype=np.float64)
    r = np.asarray(rho, dtype=np.float64)
    dt = np.asarray(dt_s, dtype=np.float64)
    g = params.n_groups
    shape = np.broadcast_shapes(n0.shape, c0.shape[:-1], r.shape, dt.shape, params.batch_shape)
    beta = np.broadcast_to(params.beta, (*shape, g))
    lam = np.broadcast_to(params.lambda_per_s, (*shape, g))
    gen = np.broadcast_to(params.generation_time_s, shape)
    r = np.broadcast_to(r, shape)
    w = _roots_shared(r, beta, lam, gen, params)  # (..., K)

    inv = 1.0 / (w[..., :, None] + lam[..., None, :])  # (..., K, G): 1 / (omega_k + lambda_i)
    norm = gen[..., None] + (beta[..., None, :] * lam[..., None, :] * inv * inv).sum(axis=-1)
    proj = n0[..., None] + (lam[..., None, :] * c0[..., None, :] * inv).sum(axis=-1)
    coeff = proj * gen[..., None] / norm  # (..., K): the modal amplitudes a_k
    wdt = w * dt[..., None]
    amp = coeff * np.exp(wdt)
    n_new = amp.sum(axis=-1)
    # C_i = (beta_i / Lambda) sum_k amp_k / (omega_k + lambda_i); sum over a last, contiguous axis
    inv_t = np.ascontiguousarray(np.swapaxes(inv, -1, -2))  # (..., G, K)
    c_new = beta / gen[..., None] * (amp[..., None, :] * inv_t).sum(axis=-1)
    n_mean = None
    if want_mean:
        with np.errstate(divide="ignore", invalid="ignore"):
            phi = np.where(wdt == 0.0, 1.0, np.expm1(wdt) / wdt)  # (e^x - 1) / x
        n_mean = np.broadcast_to((coeff * phi).sum(axis=-1), shape).copy()
    return np.broadcast_to(n_new, shape).copy(), c_new, n_mean

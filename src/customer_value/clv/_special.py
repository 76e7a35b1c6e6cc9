"""Numerically careful special functions used by the CLV models.

The closed forms of the BG/NBD and Pareto/NBD models contain Gauss
hypergeometric functions. They are evaluated with :func:`scipy.special.hyp2f1`
in the transformed forms that keep the function values moderate, every value
is checked against analytic bounds, and the rare values that fail the check
(parameters far outside the usual range, where the series used by the library
lose accuracy) are recomputed by adaptive quadrature of an integral
representation. The quadrature fallback runs per failing value only.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray
from scipy import integrate, special

FloatArray = NDArray[np.float64]

_LN2 = float(np.log(2.0))


def _quad(
    fun: Callable[[float], float],
    lo: float,
    hi: float,
    points: list[float] | None,
    epsrel: float,
) -> float:
    """Adaptive quadrature; a tolerance warning only means the result is
    accurate to somewhat less than ``epsrel``, which the callers accept."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        value, _ = integrate.quad(
            fun, lo, hi, points=points, limit=500, epsabs=0.0, epsrel=epsrel
        )
    return float(value)


def log1mexp(d: FloatArray) -> FloatArray:
    """``log(1 - exp(d))`` for ``d <= 0`` (``-inf`` at ``d == 0``).

    Uses ``log(-expm1(d))`` near zero and ``log1p(-exp(d))`` further away
    (Maechler 2012, "Accurately computing log(1 - exp(-|a|))").
    """
    d = np.minimum(np.asarray(d, dtype=np.float64), 0.0)
    with np.errstate(divide="ignore"):
        near = np.log(-np.expm1(np.maximum(d, -_LN2)))
        far = np.log1p(-np.exp(np.minimum(d, -_LN2)))
    return np.where(d > -_LN2, near, far)


def one_minus_exp_ratio(u: FloatArray, L: FloatArray) -> FloatArray:
    """``(1 - exp(-u * L)) / u``, continuous at ``u == 0`` where it equals ``L``.

    Used for ``(1 - (1 + y) ** -u) / u`` with ``L = log1p(y)``, the Pareto/NBD
    expectation terms at ``s == 1``.
    """
    u = np.asarray(u, dtype=np.float64)
    L = np.asarray(L, dtype=np.float64)
    y = u * L
    small = np.abs(y) < 1e-8
    safe_u = np.where(small, 1.0, u)
    with np.errstate(over="ignore", invalid="ignore"):
        general = -np.expm1(-y) / safe_u
    return np.where(small, L * (1.0 - 0.5 * y), general)


# ---------------------------------------------------------------------------
# BG/NBD: expected number of purchases of a customer alive at T
# ---------------------------------------------------------------------------

_A_NEAR_ONE = 1e-4


def _bgnbd_alive_expectation_euler(
    r: float,
    alpha: float,
    a: float,
    b: float,
    t: FloatArray,
    x: FloatArray,
    T: FloatArray,
) -> FloatArray:
    """Euler-transformed closed form, valid for ``a != 1`` (see caller)."""
    c = a + b + x - 1.0
    z = t / (alpha + T + t)
    with np.errstate(all="ignore"):
        hyp = special.hyp2f1(a - 1.0, a + b - 1.0 - r, c, z)
        g = np.exp((a - 1.0) * np.log1p(-z)) * hyp
        return c / (a - 1.0) * (1.0 - g)


def bgnbd_alive_expectation(
    r: float,
    alpha: float,
    a: float,
    b: float,
    t: FloatArray,
    x: FloatArray,
    T: FloatArray,
) -> FloatArray:
    """``E[X(T, T + t) | x, alive at T]`` under the BG/NBD model.

    Given survival to ``T`` the posterior is ``lambda ~ Gamma(r + x, alpha + T)``
    and ``p ~ Beta(a, b + x)``, and (Fader, Hardie & Lee 2005, eq. 10 without
    its P(alive) denominator)::

        N = (a + b + x - 1) / (a - 1)
            * [1 - ((alpha + T) / (alpha + T + t)) ** (r + x)
                   * 2F1(r + x, b + x; a + b + x - 1; z)],   z = t / (alpha + T + t)

    evaluated through Euler's transformation
    ``(1 - z) ** (r + x) * 2F1(r + x, b + x; c; z)
    = (1 - z) ** (a - 1) * 2F1(a - 1, a + b - 1 - r; c; z)``, whose parameters
    do not grow with ``x`` (see also Fader & Hardie 2013, "Overcoming the
    BG/NBD model's #NUM! error problem", on evaluating this term). The
    removable singularity at ``a == 1`` is
    bridged by linear interpolation between ``a = 1 -/+ 1e-4``. Values outside
    the bounds ``1 - (1 + u) ** -(r + x) <= N <= (r + x) * u`` with
    ``u = t / (alpha + T)`` are recomputed by quadrature.
    """
    t, x, T = np.broadcast_arrays(
        np.asarray(t, dtype=np.float64),
        np.asarray(x, dtype=np.float64),
        np.asarray(T, dtype=np.float64),
    )
    shape = t.shape
    t, x, T = t.ravel(), x.ravel(), T.ravel()
    if abs(a - 1.0) < _A_NEAR_ONE:
        lo, hi = 1.0 - _A_NEAR_ONE, 1.0 + _A_NEAR_ONE
        n_lo = _bgnbd_alive_expectation_checked(r, alpha, lo, b, t, x, T)
        n_hi = _bgnbd_alive_expectation_checked(r, alpha, hi, b, t, x, T)
        value = n_lo + (a - lo) / (hi - lo) * (n_hi - n_lo)
    else:
        value = _bgnbd_alive_expectation_checked(r, alpha, a, b, t, x, T)
    return value.reshape(shape)


def _bgnbd_alive_expectation_checked(
    r: float,
    alpha: float,
    a: float,
    b: float,
    t: FloatArray,
    x: FloatArray,
    T: FloatArray,
) -> FloatArray:
    """Closed form on 1-D arrays, with the bound check and quadrature fallback."""
    value = _bgnbd_alive_expectation_euler(r, alpha, a, b, t, x, T)
    k = r + x
    u = t / (alpha + T)
    upper = k * u
    lower = -np.expm1(-k * np.log1p(u))
    slack = 1e-10 * upper + 1e-300
    bad = ~(np.isfinite(value) & (value >= lower - slack) & (value <= upper + slack))
    bad &= t > 0.0
    if bad.any():
        value = np.array(value, dtype=np.float64, copy=True)
        for i in np.flatnonzero(bad):
            value[i] = _bgnbd_alive_expectation_quad(k[i], a, b + x[i], u[i])
    return np.where(t > 0.0, np.clip(value, lower, upper), 0.0)


def _bgnbd_alive_expectation_quad(k: float, a: float, bx: float, u: float) -> float:
    """Quadrature of ``E_p[(1 - (1 + p u) ** -k) / p]`` with ``p ~ Beta(a, bx)``.

    The integral runs over ``y = log p``. Below ``p0``, where
    ``(1 - (1 + p u) ** -k) / p = k u (1 + O(1e-9))``, it is
    ``k u I_{p0}(a, bx)`` (regularised incomplete beta function).
    """
    if u <= 0.0:
        return 0.0
    log_beta = special.betaln(a, bx)
    p0 = min(1e-9 / (u * (k + 1.0)), 1e-2)
    head = k * u * special.betainc(a, bx, p0)
    y0 = float(np.log(p0))

    def log_integrand(y: FloatArray) -> FloatArray:
        p = np.exp(y)
        with np.errstate(divide="ignore"):
            h = np.log(-np.expm1(-k * np.log1p(p * u)))
            return a * y + (bx - 1.0) * np.log1p(-p) - log_beta + h - y

    grid = np.linspace(y0, 0.0, 2001)[:-1]
    values = log_integrand(grid)
    peak = float(values.max())
    keep = np.nonzero(values > peak - 60.0)[0]
    lo = grid[max(keep[0] - 1, 0)]
    hi = 0.0 if keep[-1] >= len(grid) - 2 else grid[keep[-1] + 1]
    mode = float(grid[int(np.argmax(values))])
    points = [mode] if lo < mode < hi else None
    # far tails of the integrand may overflow to inf in exp(); the quadrature
    # only samples near the peak, so silence the warning rather than the value
    with np.errstate(over="ignore", invalid="ignore"):
        body = _quad(
            lambda y: float(np.exp(log_integrand(np.asarray(y)) - peak)),
            lo,
            hi,
            points,
            1e-11,
        )
    return head + body * float(np.exp(peak))


# ---------------------------------------------------------------------------
# Pareto/NBD: log of 2F1(1, B; C; z) for 0 <= z < 1, 0 < B < C, C > 1
# ---------------------------------------------------------------------------


def log_hyp2f1_one(B: FloatArray, C: FloatArray, z: FloatArray) -> FloatArray:
    """``log 2F1(1, B; C; z)`` for ``0 <= z < 1``, ``B > 0`` and ``C > max(B, 1)``.

    The series ``sum_n (B)_n / (C)_n z ** n`` has terms between 0 and
    ``z ** n``, so ``1 <= 2F1 <= 1 / (1 - z)``. Library values outside these
    bounds are recomputed from the Euler integral
    ``2F1(1, B; C; z) = (C - 1) int_0^1 q ** (C - 2) (1 - z + z q) ** -B dq``.
    """
    B, C, z = np.broadcast_arrays(
        np.asarray(B, dtype=np.float64),
        np.asarray(C, dtype=np.float64),
        np.asarray(z, dtype=np.float64),
    )
    shape = z.shape
    B, C, z = B.ravel(), C.ravel(), z.ravel()
    with np.errstate(all="ignore"):
        value = np.log(special.hyp2f1(1.0, B, C, z))
    upper = -np.log1p(-z)
    bad = ~(np.isfinite(value) & (value >= -1e-12) & (value <= upper * (1 + 1e-10)))
    # The library series loses accuracy (silently, within the bounds) for
    # large B with z very close to 1; those values always take the integral.
    bad |= (z > 0.99) & (B > 20.0)
    if bad.any():
        value = np.array(value, dtype=np.float64, copy=True)
        for i in np.flatnonzero(bad):
            value[i] = _log_hyp2f1_one_quad(float(B[i]), float(C[i]), float(z[i]))
    return np.clip(value, 0.0, upper).reshape(shape)


def _log_hyp2f1_one_quad(B: float, C: float, z: float) -> float:
    """Quadrature for :func:`log_hyp2f1_one` over ``y = log q``.

    The log-integrand ``(C - 1) y - B log(eps + z e^y)``, ``eps = 1 - z``,
    is piecewise close to linear with a bend at ``e^y = eps / z``; below
    ``y0`` the factor ``(1 + z e^y / eps) ** -B`` is 1 to within 1e-12 and the
    tail integral is analytic.
    """
    if z <= 0.0:
        return 0.0
    eps = 1.0 - z
    m = C - 1.0
    y0 = float(np.log(eps / z * 1e-12 / max(B, 1.0)))
    log_tail = m * y0 - B * np.log(eps) - np.log(m)

    def log_integrand(y: FloatArray) -> FloatArray:
        return m * y - B * np.logaddexp(np.log(eps), np.log(z) + y)

    grid = np.linspace(y0, 0.0, 2001)
    values = log_integrand(grid)
    peak = float(max(values.max(), log_tail))
    bend = float(np.log(eps / z))
    points = [bend] if y0 < bend < 0.0 else None
    body = _quad(
        lambda y: float(np.exp(log_integrand(np.asarray(y)) - peak)),
        y0,
        0.0,
        points,
        1e-12,
    )
    total = body + float(np.exp(log_tail - peak))
    return float(np.log(m) + peak + np.log(total))

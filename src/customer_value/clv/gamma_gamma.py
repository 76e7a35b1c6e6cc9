"""Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV: using
iso-value curves for customer base analysis"; Fader & Hardie 2013, note 025).

The value of each transaction of a customer is ``Gamma(p, nu)`` and the
customer's ``nu ~ Gamma(q, gamma)``; the observed mean ``m_x`` of ``x``
transactions is then informative about the customer's mean spend
``p / nu``. The model assumes spend is independent of purchase frequency; the
fit reports their Pearson correlation so that users can check.

Only customers with ``x > 0`` and ``m_x > 0`` enter the fit: a $0 purchase
counts as a purchase for the transaction models but carries no information
about spend. ``x`` here is the number of transactions averaged in ``m_x``
(the repeat frequency when ``m_x`` is the mean of the repeat purchases, or the
number of positive-valued ones when zero-value orders are left out of it).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from ._fit import (
    FALLBACK_MEAN_SPEND,
    FitResult,
    bound_message,
    hessian_from_gradient,
    minimise,
    params_vector,
    standard_errors,
)
from ._summary import FloatArray, as_float_array, dot

MODEL = "gamma_gamma"
PARAM_NAMES = ("p", "q", "gamma")


def _spend_arrays(
    x: ArrayLike, m_x: ArrayLike, weights: ArrayLike | None = None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    xa = as_float_array(x, "x")
    ma = as_float_array(m_x, "m_x")
    if xa.shape != ma.shape:
        raise ValueError("x and m_x must have the same length")
    if np.any(~np.isfinite(xa) | (xa < 0) | (xa != np.round(xa))):
        raise ValueError("x must be finite non-negative integers")
    if weights is None:
        w = np.ones_like(xa)
    else:
        w = as_float_array(weights, "weights")
        if w.shape != xa.shape or np.any(~np.isfinite(w) | (w < 0)):
            raise ValueError("weights must be finite, non-negative, one per row")
    return xa, ma, w


def has_spend_history(x: ArrayLike, m_x: ArrayLike) -> FloatArray:
    """Rows that carry spend information: ``x > 0`` and finite ``m_x > 0``."""
    xa = np.asarray(x, dtype=np.float64)
    ma = np.asarray(m_x, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return (xa > 0) & np.isfinite(ma) & (ma > 0)


def gamma_gamma_log_likelihood(
    params: Mapping[str, float], x: ArrayLike, m_x: ArrayLike
) -> FloatArray:
    """Per-customer log-density of ``m_x`` given ``x`` (note 025, eq. 1a).

    ``log f = log Gamma(px+q) - log Gamma(px) - log Gamma(q) + q log gamma
    + (px-1) log m_x + px log x - (px+q) log(gamma + x m_x)``, for ``x > 0``
    and ``m_x > 0``.
    """
    p, q, gamma = params_vector(params, PARAM_NAMES)
    xa, ma, _ = _spend_arrays(x, m_x)
    if not np.all(has_spend_history(xa, ma)):
        raise ValueError("the Gamma-Gamma density needs x > 0 and m_x > 0")
    px = p * xa
    return (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(gamma)
        + (px - 1.0) * np.log(ma)
        + px * np.log(xa)
        - (px + q) * np.log(gamma + xa * ma)
    )


class _Objective:
    """Mean negative log-likelihood and analytic gradient.

    Sums that do not involve the parameters non-linearly
    (``sum w x log m``, ``sum w log m``, ``sum w x log x``) are precomputed;
    terms in ``x`` alone are evaluated per distinct ``x``. Each evaluation
    then costs one logarithm and one reciprocal per customer, computed in
    preallocated buffers.
    """

    def __init__(self, x: FloatArray, m: FloatArray, w: FloatArray):
        self.total = float(w.sum())
        self.ux, xi = np.unique(x, return_inverse=True)
        self.w_by_x = np.bincount(xi, weights=w)
        self.wx = w * x
        self.w, self.x, self.m = w, x, m
        log_m = np.log(m)
        self.s_xlogm = dot(self.wx, log_m)
        self.s_logm = dot(w, log_m)
        self.s_xlogx = dot(self.wx, np.log(x))
        self.xm = x * m
        self._buffers = (np.empty(x.size), np.empty(x.size))

    def __call__(self, theta: FloatArray) -> tuple[float, FloatArray]:
        p, q, gamma = np.exp(theta)
        ux, wbx = self.ux, self.w_by_x
        pux = p * ux
        log_g, inv_g = self._buffers
        np.add(self.xm, gamma, out=log_g)
        np.reciprocal(log_g, out=inv_g)
        np.log(log_g, out=log_g)
        s_wlog = dot(self.w, log_g)
        s_wxlog = dot(self.wx, log_g)
        ll = (
            wbx @ (special.gammaln(pux + q) - special.gammaln(pux))
            - self.total * (special.gammaln(q) - q * np.log(gamma))
            + p * self.s_xlogm
            - self.s_logm
            + p * self.s_xlogx
            - p * s_wxlog
            - q * s_wlog
        )
        psi_pq = special.digamma(pux + q)
        g_p = (
            wbx @ (ux * (psi_pq - special.digamma(pux)))
            + self.s_xlogm
            + self.s_xlogx
            - s_wxlog
        )
        g_q = wbx @ psi_pq - self.total * (special.digamma(q) - np.log(gamma)) - s_wlog
        g_gamma = self.total * q / gamma - (
            p * dot(self.wx, inv_g) + q * dot(self.w, inv_g)
        )
        grad = np.array([g_p, g_q, g_gamma]) * np.array([p, q, gamma])
        return -float(ll) / self.total, -grad / self.total

    def gradient(self, theta: FloatArray) -> FloatArray:
        return self(theta)[1]


def _weighted_correlation(a: FloatArray, b: FloatArray, w: FloatArray) -> float | None:
    """Weighted Pearson correlation; ``None`` if either variable is constant."""
    total = w.sum()
    if total <= 0:
        return None
    da = a - dot(w, a) / total
    db = b - dot(w, b) / total
    va, vb = dot(w, da * da), dot(w, db * db)
    if va <= 0 or vb <= 0:
        return None
    return float(np.clip(dot(w, da * db) / np.sqrt(va * vb), -1.0, 1.0))


def fit_gamma_gamma(
    x: ArrayLike,
    m_x: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    fallback_spend: float | None = None,
) -> FitResult:
    """Maximum-likelihood fit of the Gamma-Gamma model.

    Customers without spend history (``x == 0`` or ``m_x <= 0`` or missing)
    are excluded. Spend is rescaled internally by its weighted mean; ``gamma``
    is returned in the caller's currency. ``diagnostics`` holds
    ``corr_frequency_spend`` (weighted Pearson correlation of ``x`` and
    ``m_x``, ``None`` when undefined), ``observed_mean_spend`` (weighted mean
    of ``m_x``), ``population_mean_spend`` (``p gamma / (q - 1)``, or the
    observed mean when ``q <= 1`` makes the model mean infinite) and
    ``n_excluded``.

    Fallback (``fallback_used=True``, ``params == {"mean_spend": value}``):
    when fewer than two distinct ``(x, m_x)`` pairs remain, all ``m_x`` are
    equal, or the optimum is not finite, every customer's expected spend is
    the observed weighted mean of ``m_x``; with no spend history at all it is
    ``fallback_spend`` (for example the mean first-order value) or 0.
    """
    xa, ma, w = _spend_arrays(x, m_x, weights)
    use = has_spend_history(xa, ma) & (w > 0)
    xs, ms, ws = xa[use], ma[use], w[use]
    n_excluded = round(float(w[~use].sum()))
    total = float(ws.sum())
    observed_mean = dot(ws, ms) / total if total > 0 else None
    correlation = _weighted_correlation(xs, ms, ws) if total > 0 else None
    n_distinct = int(xs.size)  # the likelihood runs over customers
    diagnostics: dict[str, float | None] = {
        "corr_frequency_spend": correlation,
        "observed_mean_spend": observed_mean,
        "n_excluded": float(n_excluded),
    }

    def fallback(reason: str) -> FitResult:
        if observed_mean is not None:
            value, source = observed_mean, "the observed mean spend"
            se = (
                float(np.sqrt(dot(ws, (ms - value) ** 2) / total) / np.sqrt(total))
                if total > 1
                else None
            )
        else:
            value = float(fallback_spend) if fallback_spend is not None else 0.0
            source = "the supplied fallback spend" if fallback_spend else "zero"
            se = None
        return FitResult(
            model=MODEL,
            params={FALLBACK_MEAN_SPEND: value},
            standard_errors={FALLBACK_MEAN_SPEND: se},
            log_likelihood=0.0,
            n_customers=round(total),
            converged=False,
            message=f"fallback used: {reason}; expected spend is {source} "
            f"({value:.6g}) for every customer",
            fallback_used=True,
            n_distinct=n_distinct,
            diagnostics={**diagnostics, "population_mean_spend": value},
        )

    if total <= 0:
        return fallback("no customer has a repeat purchase with positive spend")
    if n_distinct < 2 or float(ms.min()) == float(ms.max()):
        return fallback(
            "all customers have the same mean spend, so the spend heterogeneity "
            "is not identified"
        )
    scale = observed_mean
    objective = _Objective(xs, ms / scale, ws)

    def hessian(theta: FloatArray) -> FloatArray:
        return hessian_from_gradient(objective.gradient, theta)

    best = None
    for start in ([2.0, 3.0, 1.0], [1.0, 2.0, 1.0], [1.105, 1.105, 1.105]):
        try:
            opt = minimise(objective, np.log(start), hessian=hessian)
        except (ArithmeticError, ValueError, np.linalg.LinAlgError):
            continue
        if best is None or opt.mean_nll < best.mean_nll - 1e-12:
            best = opt
        if opt.converged:
            break
    if best is None or not np.isfinite(best.mean_nll) or best.mean_nll >= 1e299:
        return fallback("the optimiser did not reach a finite log-likelihood")

    natural = np.exp(best.theta)
    natural[2] *= scale
    params = dict(zip(PARAM_NAMES, (float(v) for v in natural), strict=True))
    # the density of m scales as 1 / scale per customer
    ll = -best.mean_nll * total - total * float(np.log(scale))
    p, q, gamma = natural
    notes = [bound_message(PARAM_NAMES, best.theta)]
    if q > 1.0:
        population_mean = float(p * gamma / (q - 1.0))
    else:
        population_mean = float(observed_mean)
        notes.append(
            "q <= 1: the model's population mean spend is infinite; the observed "
            "mean spend is used for customers without spend history"
        )
    if correlation is not None and abs(correlation) > 0.3:
        notes.append(
            f"frequency and spend are correlated (r = {correlation:.2f}); the "
            "model assumes independence"
        )
    ses = standard_errors(PARAM_NAMES, natural, best.hessian, total)
    if any(v is None for v in ses.values()):
        notes.append("standard errors unavailable: Hessian not positive definite")
    message = "converged" if best.converged else f"not converged: {best.message}"
    message = "; ".join([message, *[n for n in notes if n]])
    return FitResult(
        model=MODEL,
        params=params,
        standard_errors=ses,
        log_likelihood=ll,
        n_customers=round(total),
        converged=best.converged,
        message=message,
        fallback_used=False,
        n_distinct=n_distinct,
        diagnostics={
            **diagnostics,
            "population_mean_spend": population_mean,
            "iterations": float(best.n_iterations),
            "max_abs_gradient": float(np.max(np.abs(best.gradient))),
        },
    )


def gamma_gamma_expected_spend(
    params: Mapping[str, float],
    x: ArrayLike,
    m_x: ArrayLike,
    *,
    population_mean: float | None = None,
) -> FloatArray:
    """Conditional expected spend per transaction (note 025, eq. 5).

    ``E[M | x, m_x] = p (gamma + x m_x) / (p x + q - 1)``: a weighted average
    of the population mean ``p gamma / (q - 1)`` (weight
    ``(q - 1) / (p x + q - 1)``) and the customer's own ``m_x``. Customers
    without spend history get ``population_mean`` (default
    ``p gamma / (q - 1)``, which requires ``q > 1``). Where ``p x + q <= 1``
    the posterior mean is infinite and the customer's own ``m_x`` is used.
    """
    p, q, gamma = params_vector(params, PARAM_NAMES)
    xa = np.asarray(x, dtype=np.float64)
    ma = np.asarray(m_x, dtype=np.float64)
    if population_mean is None:
        if q <= 1.0:
            raise ValueError("q <= 1: pass population_mean explicitly")
        population_mean = p * gamma / (q - 1.0)
    history = has_spend_history(xa, ma)
    safe_x = np.where(history, xa, 1.0)
    safe_m = np.where(history, ma, 0.0)
    denom = p * safe_x + q - 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        posterior = p * (gamma + safe_x * safe_m) / denom
    posterior = np.where(denom > 0, posterior, safe_m)
    return np.where(history, posterior, float(population_mean))

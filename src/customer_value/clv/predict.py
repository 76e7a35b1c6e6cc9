"""Predictions from a :class:`FitResult`, whichever model (or fallback) it holds.

Every function is vectorised over customers and returns finite values. A
transaction fit that fell back to the pooled-Poisson rule (params
``{"rate": rate}``) predicts ``P(alive) = 1``, ``rate * t`` purchases in any
window of length ``t`` and ``exp(-rate * t)`` for no purchase; a spend fit that
fell back (params ``{"mean_spend": m}``) predicts ``m`` for everybody.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from . import bgnbd, gamma_gamma, pareto_nbd
from ._fit import FALLBACK_MEAN_SPEND, FALLBACK_RATE, FitResult
from ._summary import FloatArray, unique_rows, validate_summary

_TRANSACTION_MODELS = (bgnbd.MODEL, pareto_nbd.MODEL)
#: Above this many customers, per-pair work is deduplicated first.
_DEDUPLICATE_ABOVE = 10_000


def _transaction_model(fit: FitResult) -> str:
    if fit.model not in _TRANSACTION_MODELS:
        raise ValueError(
            f"expected a BG/NBD or Pareto/NBD fit, got model {fit.model!r}"
        )
    return "poisson" if FALLBACK_RATE in fit.params else fit.model


def p_alive(fit: FitResult, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> FloatArray:
    """Probability that each customer is still alive at ``T``."""
    kind = _transaction_model(fit)
    if kind == bgnbd.MODEL:
        return bgnbd.bgnbd_p_alive(fit.params, x, t_x, T)
    if kind == pareto_nbd.MODEL:
        return pareto_nbd.pareto_nbd_p_alive(fit.params, x, t_x, T)
    xa, _, _ = validate_summary(x, t_x, T)
    return np.ones_like(xa)


def expected_purchases_if_alive(
    fit: FitResult, t: ArrayLike, x: ArrayLike, T: ArrayLike
) -> FloatArray:
    """``E[X(T, T+t) | x, T, alive at T]``; multiply by :func:`p_alive`.

    Broadcasts ``t``, ``x`` and ``T`` (e.g. a column of customers against a row
    of horizons).
    """
    kind = _transaction_model(fit)
    if kind == bgnbd.MODEL:
        return bgnbd.bgnbd_expected_purchases_if_alive(fit.params, t, x, T)
    if kind == pareto_nbd.MODEL:
        return pareto_nbd.pareto_nbd_expected_purchases_if_alive(fit.params, t, x, T)
    t_arr, _, _ = np.broadcast_arrays(
        np.asarray(t, dtype=np.float64), np.asarray(x), np.asarray(T)
    )
    return fit.params[FALLBACK_RATE] * t_arr


def expected_purchases(
    fit: FitResult, t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> FloatArray:
    """Conditional expected number of repeat purchases in ``(T, T+t]``.

    With one horizon ``t`` for all customers, the hypergeometric part is
    evaluated once per distinct ``(x, T)`` pair.
    """
    xa, ta, Ta = validate_summary(x, t_x, T)
    alive = p_alive(fit, xa, ta, Ta)
    if np.ndim(t) == 0 and xa.size > _DEDUPLICATE_ABOVE:
        (px, pT), pair = unique_rows(xa, Ta)
        return alive * expected_purchases_if_alive(fit, t, px, pT)[pair]
    return alive * expected_purchases_if_alive(fit, t, xa, Ta)


def p_no_purchase(
    fit: FitResult, t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> FloatArray:
    """Probability of no purchase in ``(T, T+t]`` given the history.

    The model-based churn baseline: ``L(x, t_x, T+t) / L(x, t_x, T)``.
    """
    kind = _transaction_model(fit)
    if kind == bgnbd.MODEL:
        return bgnbd.bgnbd_p_no_purchase(fit.params, t, x, t_x, T)
    if kind == pareto_nbd.MODEL:
        return pareto_nbd.pareto_nbd_p_no_purchase(fit.params, t, x, t_x, T)
    xa, _, _ = validate_summary(x, t_x, T)
    t_arr = np.broadcast_to(np.asarray(t, dtype=np.float64), xa.shape)
    return np.exp(-fit.params[FALLBACK_RATE] * t_arr)


def unconditional_expected_purchases(fit: FitResult, t: ArrayLike) -> FloatArray:
    """``E[X(t)]``: expected repeat purchases ``t`` after a first purchase."""
    kind = _transaction_model(fit)
    if kind == bgnbd.MODEL:
        return bgnbd.bgnbd_unconditional_expected_purchases(fit.params, t)
    if kind == pareto_nbd.MODEL:
        return pareto_nbd.pareto_nbd_unconditional_expected_purchases(fit.params, t)
    return fit.params[FALLBACK_RATE] * np.asarray(t, dtype=np.float64)


def expected_spend(fit: FitResult, x: ArrayLike, m_x: ArrayLike) -> FloatArray:
    """Expected value per future purchase for each customer.

    Gamma-Gamma conditional expectation for customers with spend history;
    the fit's ``population_mean_spend`` for the others (``x == 0``,
    ``m_x <= 0`` or missing); the constant of the fallback rule if the fit
    fell back.
    """
    if fit.model != gamma_gamma.MODEL:
        raise ValueError(f"expected a Gamma-Gamma fit, got model {fit.model!r}")
    xa = np.asarray(x, dtype=np.float64)
    ma = np.asarray(m_x, dtype=np.float64)
    if FALLBACK_MEAN_SPEND in fit.params:
        shape = np.broadcast_shapes(xa.shape, ma.shape)
        return np.full(shape, fit.params[FALLBACK_MEAN_SPEND])
    population = fit.diagnostics.get("population_mean_spend")
    return gamma_gamma.gamma_gamma_expected_spend(
        fit.params, xa, ma, population_mean=population
    )

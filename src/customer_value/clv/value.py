"""Customer lifetime value: discounted model-based CLV and simple formulas.

Model-based CLV over a horizon of ``H`` months (Fader, Hardie & Lee 2005,
"RFM and CLV", with monthly discounting)::

    CLV = sum_{k=1..H} (E[X(T, T+t_k)] - E[X(T, T+t_{k-1})]) * spend * margin
          / (1 + annual_rate) ** (k / 12)

where ``t_k`` is the end of month ``k`` in the model's time unit
(a month is 365.25 / 12 days) and ``E[X(T, T+t)]`` is the conditional
expectation of the transaction model. Because
``E[X(T, T+t)] = P(alive) * N(t; x, T)``, the horizon grid is evaluated once
per distinct ``(x, T)`` pair and ``P(alive)`` once per distinct
``(x, t_x, T)`` tuple.

The simple formulas of the source texts are kept as transparent baselines.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._fit import FitResult
from ._summary import FloatArray, compress_summary, unique_rows
from .predict import (
    expected_purchases_if_alive,
    expected_spend,
    p_alive,
    p_no_purchase,
)

DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = DAYS_PER_YEAR / 12.0
_UNIT_DAYS = {
    "day": 1.0,
    "days": 1.0,
    "week": 7.0,
    "weeks": 7.0,
    "month": DAYS_PER_MONTH,
    "months": DAYS_PER_MONTH,
    "year": DAYS_PER_YEAR,
    "years": DAYS_PER_YEAR,
}


def days_per_time_unit(time_unit: str | float) -> float:
    """Length of one model time unit in days (``"day"``, ``"week"``, or a number)."""
    if isinstance(time_unit, str):
        try:
            return _UNIT_DAYS[time_unit.strip().lower()]
        except KeyError:
            raise ValueError(
                f"unknown time unit {time_unit!r}; use one of {sorted(_UNIT_DAYS)} "
                "or the number of days per unit"
            ) from None
    days = float(time_unit)
    if not (np.isfinite(days) and days > 0):
        raise ValueError("a numeric time unit must be a positive number of days")
    return days


def _resolve_unit(fit: FitResult, time_unit: str | float | None) -> float:
    unit = time_unit if time_unit is not None else fit.time_unit
    if unit is None:
        raise ValueError(
            "the time unit of x, t_x and T is unknown: pass time_unit= or fit "
            "the model with time_unit="
        )
    if time_unit is not None and fit.time_unit is not None:
        if days_per_time_unit(time_unit) != days_per_time_unit(fit.time_unit):
            raise ValueError(
                f"time_unit={time_unit!r} differs from the fit's {fit.time_unit!r}"
            )
    return days_per_time_unit(unit)


def month_ends(horizon_months: int, time_unit: str | float) -> FloatArray:
    """``t_k = k * (365.25 / 12) / days_per_unit`` for ``k = 0..horizon_months``."""
    if horizon_months < 0 or int(horizon_months) != horizon_months:
        raise ValueError("horizon_months must be a non-negative integer")
    k = np.arange(int(horizon_months) + 1, dtype=np.float64)
    return k * DAYS_PER_MONTH / days_per_time_unit(time_unit)


def discount_factors(horizon_months: int, annual_discount_rate: float) -> FloatArray:
    """``(1 + annual_rate) ** (-k / 12)`` for months ``k = 1..horizon_months``."""
    if not (np.isfinite(annual_discount_rate) and annual_discount_rate > -1.0):
        raise ValueError("annual_discount_rate must be finite and > -1")
    k = np.arange(1, int(horizon_months) + 1, dtype=np.float64)
    return np.exp(-k / 12.0 * np.log1p(annual_discount_rate))


@dataclass(frozen=True)
class _HorizonScores:
    p_alive: FloatArray  # per distinct tuple
    expected: FloatArray  # E[X(T, T + t_H)] per distinct tuple
    discounted: FloatArray  # discounted sum of monthly expected purchases
    monthly: FloatArray | None  # (n_distinct, H) monthly expected purchases


def _horizon_scores(
    fit: FitResult,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    horizon_months: int,
    annual_discount_rate: float,
    days_per_unit: float,
    keep_monthly: bool = False,
) -> _HorizonScores:
    """Horizon quantities on distinct ``(x, t_x, T)`` tuples."""
    alive = p_alive(fit, x, t_x, T)
    (px, pT), pair = unique_rows(x, T)
    grid = month_ends(horizon_months, days_per_unit)[1:]
    cumulative = expected_purchases_if_alive(
        fit, grid[None, :], px[:, None], pT[:, None]
    )
    cumulative = np.maximum.accumulate(np.maximum(cumulative, 0.0), axis=1)
    monthly_pair = np.diff(cumulative, axis=1, prepend=0.0)
    discounted_pair = monthly_pair @ discount_factors(
        horizon_months, annual_discount_rate
    )
    total_pair = cumulative[:, -1] if horizon_months > 0 else np.zeros(px.shape[0])
    return _HorizonScores(
        p_alive=alive,
        expected=alive * total_pair[pair],
        discounted=alive * discounted_pair[pair],
        monthly=alive[:, None] * monthly_pair[pair] if keep_monthly else None,
    )


def expected_purchases_by_month(
    fit: FitResult,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    *,
    horizon_months: int = 12,
    time_unit: str | float | None = None,
) -> FloatArray:
    """Expected repeat purchases in each future month, shape ``(n, horizon)``.

    Column ``k - 1`` is ``E[X(T, T+t_k)] - E[X(T, T+t_{k-1})]``.
    """
    summary = compress_summary(x, t_x, T)
    scores = _horizon_scores(
        fit,
        summary.x,
        summary.t_x,
        summary.T,
        horizon_months,
        0.0,
        _resolve_unit(fit, time_unit),
        keep_monthly=True,
    )
    assert scores.monthly is not None
    return scores.monthly[summary.inverse]


def discounted_clv(
    fit: FitResult,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    spend: ArrayLike,
    *,
    horizon_months: int = 12,
    annual_discount_rate: float = 0.10,
    margin: ArrayLike = 1.0,
    time_unit: str | float | None = None,
) -> FloatArray:
    """Discounted CLV over ``horizon_months`` (formula in the module docstring).

    ``spend`` is the expected value per future purchase (e.g. from
    :func:`customer_value.clv.predict.expected_spend`) and ``margin`` the
    gross-margin rate, each a scalar or one value per customer. The time unit
    of ``x, t_x, T`` comes from ``time_unit`` or the fit. The result is >= 0
    whenever spend and margin are.
    """
    summary = compress_summary(x, t_x, T)
    scores = _horizon_scores(
        fit,
        summary.x,
        summary.t_x,
        summary.T,
        horizon_months,
        annual_discount_rate,
        _resolve_unit(fit, time_unit),
    )
    value = scores.discounted[summary.inverse]
    return (
        value
        * np.asarray(spend, dtype=np.float64)
        * np.asarray(margin, dtype=np.float64)
    )


def score_customers(
    transactions: FitResult,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    *,
    spend: FitResult | None = None,
    m_x: ArrayLike | None = None,
    x_spend: ArrayLike | None = None,
    horizon_months: int = 12,
    annual_discount_rate: float = 0.10,
    margin: ArrayLike = 1.0,
    time_unit: str | float | None = None,
    no_purchase_horizon_days: float | None = None,
) -> dict[str, FloatArray]:
    """Score every customer from the compressed summary and map back.

    The summary is compressed to distinct ``(x, t_x, T)`` tuples
    (:func:`customer_value.clv.compress_summary`); model quantities are
    computed per tuple (the horizon grid per distinct ``(x, T)``) and mapped
    back to customers with the inverse index. Returns arrays, one value per
    customer in input order:

    - ``p_alive``; ``expected_purchases`` over the horizon;
      ``discounted_expected_purchases``;
    - with ``spend`` and ``m_x``: ``expected_spend`` (Gamma-Gamma, with
      ``x_spend`` as the number of purchases averaged in ``m_x``, default
      ``x``) and ``clv`` (discounted, times ``margin``);
    - with ``no_purchase_horizon_days``: ``p_no_purchase`` in that many days.
    """
    days_per_unit = _resolve_unit(transactions, time_unit)
    summary = compress_summary(x, t_x, T)
    scores = _horizon_scores(
        transactions,
        summary.x,
        summary.t_x,
        summary.T,
        horizon_months,
        annual_discount_rate,
        days_per_unit,
    )
    out: dict[str, FloatArray] = {
        "p_alive": summary.expand(scores.p_alive),
        "expected_purchases": summary.expand(scores.expected),
        "discounted_expected_purchases": summary.expand(scores.discounted),
    }
    if no_purchase_horizon_days is not None:
        silent = p_no_purchase(
            transactions,
            float(no_purchase_horizon_days) / days_per_unit,
            summary.x,
            summary.t_x,
            summary.T,
        )
        out["p_no_purchase"] = summary.expand(silent)
    if spend is not None:
        if m_x is None:
            raise ValueError("m_x is required to score spend")
        counts = np.asarray(x if x_spend is None else x_spend, dtype=np.float64)
        per_purchase = expected_spend(spend, counts, m_x)
        out["expected_spend"] = per_purchase
        out["clv"] = (
            out["discounted_expected_purchases"]
            * per_purchase
            * np.asarray(margin, dtype=np.float64)
        )
    return out


# ---------------------------------------------------------------------------
# Simple formulas
# ---------------------------------------------------------------------------


def historical_clv(total_spend: ArrayLike, margin: ArrayLike = 1.0) -> FloatArray:
    """Historical CLV: margin earned on everything bought so far,
    ``total_spend * margin``."""
    return np.asarray(total_spend, dtype=np.float64) * np.asarray(
        margin, dtype=np.float64
    )


def simple_clv(
    average_order_value: ArrayLike,
    purchases_per_year: ArrayLike,
    lifespan_years: ArrayLike,
    cac: ArrayLike | None = None,
) -> FloatArray:
    """Simple CLV = average order value x purchases per year x lifespan (years) - CAC.

    With ``purchases_per_year = 1`` and the average annual spend as
    ``average_order_value`` this is the texts' "LTV = average annual spend x
    expected loyal years". A missing CAC (``None`` or NaN) is not
    subtracted: the value is then the gross CLV before acquisition cost.
    """
    value = (
        np.asarray(average_order_value, dtype=np.float64)
        * np.asarray(purchases_per_year, dtype=np.float64)
        * np.asarray(lifespan_years, dtype=np.float64)
    )
    if cac is None:
        return value
    cost = np.asarray(cac, dtype=np.float64)
    return value - np.where(np.isfinite(cost), cost, 0.0)


@dataclass(frozen=True)
class NullableArray:
    """Values with an explicit validity mask instead of NaN.

    ``values`` is 0.0 wherever ``valid`` is false. :meth:`with_nan` gives the
    float array with NaN at invalid entries, for callers that write a
    nullable column (NaN becomes NULL in a warehouse).
    """

    values: FloatArray
    valid: NDArray[np.bool_]

    def with_nan(self) -> FloatArray:
        """Float array with NaN where the value is undefined."""
        return np.where(self.valid, self.values, np.nan)


def clv_cac_ratio(clv: ArrayLike, cac: ArrayLike) -> NullableArray:
    """CLV / CAC (commonly read as healthy at >= 3).

    Undefined, and marked invalid, where the CAC is missing (NaN), zero or
    negative.
    """
    clv_arr = np.asarray(clv, dtype=np.float64)
    cac_arr = np.asarray(cac, dtype=np.float64)
    clv_arr, cac_arr = np.broadcast_arrays(clv_arr, cac_arr)
    valid = np.isfinite(cac_arr) & (cac_arr > 0) & np.isfinite(clv_arr)
    safe = np.where(valid, cac_arr, 1.0)
    return NullableArray(values=np.where(valid, clv_arr / safe, 0.0), valid=valid)

"""Holdout backtests of the CLV models.

Fit on a calibration period ending at ``as_of_date - holdout``, predict the
holdout, and compare with what customers actually did: totals, errors, a
calibration table by calibration-period frequency (Fader, Hardie & Lee 2005,
figure 4), and the cumulative repeat-purchase curve over the holdout
(their figure 2).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ._fit import FitResult
from ._summary import FloatArray, as_float_array
from .predict import unconditional_expected_purchases
from .value import _resolve_unit


@dataclass(frozen=True)
class BacktestSummary:
    """Aggregate comparison of predicted and actual holdout values.

    ``relative_error`` (``predicted_total / actual_total - 1``) and
    ``correlation`` (Pearson) are ``None`` when undefined (no actual total,
    or a constant series).
    """

    n_customers: int
    predicted_total: float
    actual_total: float
    predicted_mean: float
    actual_mean: float
    relative_error: float | None
    mean_absolute_error: float
    root_mean_squared_error: float
    correlation: float | None

    def to_dict(self) -> dict[str, float | int | None]:
        """Plain dict (for a one-row frame)."""
        return asdict(self)


def _pair(
    predicted: ArrayLike, actual: ArrayLike, weights: ArrayLike | None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    pred = as_float_array(predicted, "predicted")
    act = as_float_array(actual, "actual")
    if pred.shape != act.shape:
        raise ValueError("predicted and actual must have the same length")
    if not (np.all(np.isfinite(pred)) and np.all(np.isfinite(act))):
        raise ValueError("predicted and actual must be finite")
    w = np.ones_like(pred) if weights is None else as_float_array(weights, "weights")
    if w.shape != pred.shape or np.any(~np.isfinite(w) | (w < 0)):
        raise ValueError("weights must be finite, non-negative, one per row")
    return pred, act, w


def backtest_summary(
    predicted: ArrayLike, actual: ArrayLike, weights: ArrayLike | None = None
) -> BacktestSummary:
    """Totals, means, MAE, RMSE and correlation of predicted vs actual values.

    Works for purchases and for spend alike (one value per customer).
    """
    pred, act, w = _pair(predicted, actual, weights)
    total = float(w.sum())
    if total <= 0:
        return BacktestSummary(0, 0.0, 0.0, 0.0, 0.0, None, 0.0, 0.0, None)
    pred_total, act_total = float(w @ pred), float(w @ act)
    err = pred - act
    dp, da = pred - pred_total / total, act - act_total / total
    vp, va = float(w @ (dp * dp)), float(w @ (da * da))
    corr = (
        float(np.clip((w @ (dp * da)) / np.sqrt(vp * va), -1, 1))
        if vp * va > 0
        else None
    )
    return BacktestSummary(
        n_customers=round(total),
        predicted_total=pred_total,
        actual_total=act_total,
        predicted_mean=pred_total / total,
        actual_mean=act_total / total,
        relative_error=pred_total / act_total - 1.0 if act_total > 0 else None,
        mean_absolute_error=float(w @ np.abs(err)) / total,
        root_mean_squared_error=float(np.sqrt((w @ (err * err)) / total)),
        correlation=corr,
    )


def calibration_table(
    frequency: ArrayLike,
    predicted: ArrayLike,
    actual: ArrayLike,
    *,
    max_frequency: int = 7,
    weights: ArrayLike | None = None,
) -> pd.DataFrame:
    """Mean predicted vs mean actual holdout purchases by calibration frequency.

    Buckets ``x = 0, 1, ..., max_frequency - 1`` and ``max_frequency+``;
    empty buckets are left out. Columns: ``frequency`` (bucket lower bound),
    ``label`` (``"7+"`` for the last), ``n_customers``, ``mean_predicted``,
    ``mean_actual``.
    """
    pred, act, w = _pair(predicted, actual, weights)
    freq = as_float_array(frequency, "frequency")
    if freq.shape != pred.shape:
        raise ValueError("frequency must have one value per customer")
    bucket = np.minimum(np.floor(freq), max_frequency).astype(np.int64)
    size = max_frequency + 1
    n = np.bincount(bucket, weights=w, minlength=size)
    sum_pred = np.bincount(bucket, weights=w * pred, minlength=size)
    sum_act = np.bincount(bucket, weights=w * act, minlength=size)
    present = n > 0
    levels = np.arange(size)[present]
    safe_n = n[present]
    return pd.DataFrame(
        {
            "frequency": levels,
            "label": [
                f"{k}+" if k == max_frequency else str(k) for k in levels.tolist()
            ],
            "n_customers": np.round(safe_n).astype(np.int64),
            "mean_predicted": sum_pred[present] / safe_n,
            "mean_actual": sum_act[present] / safe_n,
        }
    )


def cumulative_repeat_curve(
    fit: FitResult,
    T: ArrayLike,
    *,
    holdout_days: int,
    actual_purchase_days: ArrayLike | None = None,
    time_unit: str | float | None = None,
    weights: ArrayLike | None = None,
) -> pd.DataFrame:
    """Cumulative expected vs actual repeat purchases over the holdout, by day.

    For a customer whose first purchase was ``T`` before the calibration end,
    the expected repeat purchases by holdout day ``d`` are
    ``E[X(T + d)] - E[X(T)]`` (unconditional expectation as a function of the
    time since the first purchase); the curve is their sum over customers.
    ``actual_purchase_days`` lists, for each actual holdout repeat purchase,
    its day after the calibration end (``0 < day <= holdout_days``; day
    ``k`` counts in row ``ceil(k)``). Returns ``holdout_day``,
    ``expected_cumulative`` and ``actual_cumulative`` (0 where no actual
    purchases were given).
    """
    days_per_unit = _resolve_unit(fit, time_unit)
    Ta = as_float_array(T, "T")
    w = np.ones_like(Ta) if weights is None else as_float_array(weights, "weights")
    if holdout_days < 1:
        raise ValueError("holdout_days must be at least 1")
    days = np.arange(1, int(holdout_days) + 1, dtype=np.float64)
    ages_T, inv_T = np.unique(Ta, return_inverse=True)
    count_T = np.bincount(inv_T, weights=w)
    ages = ages_T[:, None] + np.concatenate([[0.0], days])[None, :] / days_per_unit
    flat, inv = np.unique(ages.ravel(), return_inverse=True)
    expected_flat = unconditional_expected_purchases(fit, flat)
    expected = expected_flat[inv].reshape(ages.shape)
    increments = expected[:, 1:] - expected[:, :1]
    expected_curve = count_T @ increments
    actual_curve = np.zeros_like(days)
    if actual_purchase_days is not None:
        event_days = as_float_array(actual_purchase_days, "actual_purchase_days")
        if np.any((event_days <= 0) | (event_days > holdout_days)):
            raise ValueError("actual purchase days must lie in (0, holdout_days]")
        bins = np.ceil(event_days).astype(np.int64) - 1
        actual_curve = np.cumsum(np.bincount(bins, minlength=days.size)).astype(
            np.float64
        )
    return pd.DataFrame(
        {
            "holdout_day": days.astype(np.int64),
            "expected_cumulative": expected_curve,
            "actual_cumulative": actual_curve,
        }
    )

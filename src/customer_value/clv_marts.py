"""Tables of the CLV marts, built from frames with the engine in ``customer_value.clv``.

The dbt Python models are thin: they read relations, call one function of this
module and return its frame. Everything here is a pure function of pandas
frames, so it is tested with pytest independently of dbt.

Column contracts (names as in the SQL models):

- calibration tuples: ``frequency_x, recency_t_x, age_t, n_customers``;
- spend summary: ``repeat_periods_with_value, repeat_mean_value``;
- CLV inputs per customer: ``customer_id, frequency_x, recency_t_x, age_t,
  repeat_mean_value, repeat_periods_with_value, monetary_total, monetary_avg,
  frequency_orders, tenure_days, acquisition_cost, cac_status``;
- backtest summary per customer: the calibration columns plus
  ``holdout_purchases, holdout_value, holdout_length``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from customer_value.clv import (
    FitResult,
    backtest_summary,
    calibration_table,
    clv_cac_ratio,
    cumulative_repeat_curve,
    days_per_time_unit,
    expected_purchases,
    expected_spend,
    fit_bgnbd,
    fit_gamma_gamma,
    fit_pareto_nbd,
    historical_clv,
    p_alive,
    score_customers,
    simple_clv,
)

#: The transaction model whose predictions are the CLV marts' main columns.
PRIMARY_MODEL = "bgnbd"
DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class ClvSettings:
    """The project variables that shape the CLV (see dbt_project.yml)."""

    time_unit: str = "day"
    horizon_months: int = 12
    annual_discount_rate: float = 0.10
    gross_margin: float = 1.0
    simple_lifespan_years: float = 3.0
    churn_horizon_days: float = 90.0

    @classmethod
    def from_config(cls, config: Mapping[str, object] | None) -> ClvSettings:
        """Read the settings from the models' ``clv_settings`` config mapping
        (variable name -> value, values possibly rendered as text)."""
        config = config or {}

        def value(name: str, default, kind):
            raw = config.get(name)
            return default if raw is None or raw == "" else kind(raw)

        settings = cls(
            time_unit=value("clv_time_unit", cls.time_unit, str),
            horizon_months=value("clv_horizon_months", cls.horizon_months, int),
            annual_discount_rate=value(
                "clv_annual_discount_rate", cls.annual_discount_rate, float
            ),
            gross_margin=value("clv_gross_margin", cls.gross_margin, float),
            simple_lifespan_years=value(
                "clv_simple_lifespan_years", cls.simple_lifespan_years, float
            ),
            churn_horizon_days=value(
                "churn_horizon_days", cls.churn_horizon_days, float
            ),
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        """Raise ValueError with the variable's name when a setting is unusable."""
        days_per_time_unit(self.time_unit)
        if self.horizon_months < 1:
            raise ValueError("clv_horizon_months must be at least 1")
        if not 0 <= self.annual_discount_rate < 1:
            raise ValueError("clv_annual_discount_rate must be in [0, 1)")
        if not 0 < self.gross_margin <= 1:
            raise ValueError("clv_gross_margin must be in (0, 1]")
        if self.simple_lifespan_years <= 0:
            raise ValueError("clv_simple_lifespan_years must be positive")
        if self.churn_horizon_days <= 0:
            raise ValueError("churn_horizon_days must be positive")


# ---------------------------------------------------------------------------
# Fitting
# ---------------------------------------------------------------------------


def fit_models(
    tuples: pd.DataFrame, spend: pd.DataFrame, time_unit: str
) -> dict[str, FitResult]:
    """Fit BG/NBD and Pareto/NBD on the distinct tuples and Gamma-Gamma on spend.

    Rows are sorted first so that the fit never depends on the order in which
    the warehouse returned them.
    """
    tuples = tuples.sort_values(["frequency_x", "recency_t_x", "age_t"])
    x = tuples["frequency_x"].to_numpy(np.float64)
    t_x = tuples["recency_t_x"].to_numpy(np.float64)
    T = tuples["age_t"].to_numpy(np.float64)
    n = tuples["n_customers"].to_numpy(np.float64)
    spend = spend.dropna(subset=["repeat_mean_value"]).sort_values(
        ["repeat_periods_with_value", "repeat_mean_value"]
    )
    return {
        "bgnbd": fit_bgnbd(x, t_x, T, n, time_unit=time_unit),
        "pareto_nbd": fit_pareto_nbd(x, t_x, T, n, time_unit=time_unit),
        "gamma_gamma": fit_gamma_gamma(
            spend["repeat_periods_with_value"].to_numpy(np.float64),
            spend["repeat_mean_value"].to_numpy(np.float64),
        ),
    }


def params_frame(
    fits: Mapping[str, FitResult],
    calibration_end_date: dt.date | None,
    time_unit: str,
    fit_scope: str = "current",
) -> pd.DataFrame:
    """One row per model and parameter, with the fit's quality figures."""
    rows = []
    for fit in fits.values():
        corr = fit.diagnostics.get("corr_frequency_spend")
        for record in fit.to_records():
            record.update(
                fit_scope=fit_scope,
                calibration_end_date=calibration_end_date,
                time_unit=time_unit,
                n_distinct=fit.n_distinct,
                frequency_spend_correlation=corr,
            )
            rows.append(record)
    frame = pd.DataFrame.from_records(rows)
    frame["standard_error"] = frame["standard_error"].astype("float64")
    frame["frequency_spend_correlation"] = frame["frequency_spend_correlation"].astype(
        "float64"
    )
    return frame[
        [
            "fit_scope",
            "model",
            "parameter",
            "value",
            "standard_error",
            "log_likelihood",
            "n_customers",
            "n_distinct",
            "calibration_end_date",
            "time_unit",
            "converged",
            "fallback_used",
            "message",
            "frequency_spend_correlation",
        ]
    ]


def fits_from_params(
    params: pd.DataFrame, fit_scope: str = "current"
) -> dict[str, FitResult]:
    """Rebuild the fit results of one scope from the parameters mart (no refitting)."""
    fits: dict[str, FitResult] = {}
    params = params[params["fit_scope"] == fit_scope]
    for model, rows in params.groupby("model", sort=True):
        first = rows.iloc[0]
        fits[str(model)] = FitResult(
            model=str(model),
            params={
                str(k): float(v)
                for k, v in zip(rows["parameter"], rows["value"], strict=True)
            },
            standard_errors={
                str(k): (None if pd.isna(v) else float(v))
                for k, v in zip(rows["parameter"], rows["standard_error"], strict=True)
            },
            log_likelihood=float(first["log_likelihood"]),
            n_customers=int(first["n_customers"]),
            converged=bool(first["converged"]),
            message=str(first["message"]),
            fallback_used=bool(first["fallback_used"]),
            n_distinct=int(first["n_distinct"]),
            time_unit=str(first["time_unit"]),
        )
    missing = {"bgnbd", "pareto_nbd", "gamma_gamma"} - set(fits)
    if missing:
        raise ValueError(
            f"fct_clv_model_params lacks the {fit_scope} fit of {sorted(missing)}"
        )
    return fits


# ---------------------------------------------------------------------------
# Customer CLV
# ---------------------------------------------------------------------------


def customer_clv_frame(
    inputs: pd.DataFrame, fits: Mapping[str, FitResult], settings: ClvSettings
) -> pd.DataFrame:
    """Per customer: P(alive), expected purchases and spend, discounted CLV
    (BG/NBD + Gamma-Gamma), the Pareto/NBD check columns, historical and
    simple-formula CLV, CAC and CLV/CAC. Every number is finite; the CAC
    columns are null where no acquisition cost is known (see ``cac_status``).
    """
    inputs = inputs.sort_values("customer_id", kind="stable").reset_index(drop=True)
    x = inputs["frequency_x"].to_numpy(np.float64)
    t_x = inputs["recency_t_x"].to_numpy(np.float64)
    T = inputs["age_t"].to_numpy(np.float64)
    m_x = inputs["repeat_mean_value"].to_numpy(np.float64, na_value=np.nan)
    x_spend = inputs["repeat_periods_with_value"].to_numpy(np.float64)
    common = dict(
        horizon_months=settings.horizon_months,
        annual_discount_rate=settings.annual_discount_rate,
        margin=settings.gross_margin,
        time_unit=settings.time_unit,
        no_purchase_horizon_days=settings.churn_horizon_days,
    )
    bgnbd = score_customers(
        fits["bgnbd"],
        x,
        t_x,
        T,
        spend=fits["gamma_gamma"],
        m_x=np.nan_to_num(m_x, nan=0.0),
        x_spend=x_spend,
        **common,
    )
    pareto = score_customers(
        fits["pareto_nbd"],
        x,
        t_x,
        T,
        spend=fits["gamma_gamma"],
        m_x=np.nan_to_num(m_x, nan=0.0),
        x_spend=x_spend,
        **common,
    )

    monetary_total = inputs["monetary_total"].to_numpy(np.float64)
    monetary_avg = inputs["monetary_avg"].to_numpy(np.float64, na_value=0.0)
    frequency = inputs["frequency_orders"].to_numpy(np.float64)
    tenure_years = (
        np.maximum(inputs["tenure_days"].to_numpy(np.float64) + 1.0, DAYS_PER_YEAR)
        / DAYS_PER_YEAR
    )
    purchases_per_year = frequency / tenure_years
    cac = inputs["acquisition_cost"].to_numpy(np.float64, na_value=np.nan)
    gross_simple = simple_clv(
        monetary_avg, purchases_per_year, settings.simple_lifespan_years
    )
    ratio = clv_cac_ratio(bgnbd["clv"], cac)

    frame = pd.DataFrame(
        {
            "customer_id": inputs["customer_id"].astype("string"),
            "time_unit": settings.time_unit,
            "calibration_end_date": inputs["calibration_end_date"],
            "frequency_x": inputs["frequency_x"].astype("int64"),
            "recency_t_x": t_x,
            "age_t": T,
            "repeat_mean_value": m_x,
            "p_alive": bgnbd["p_alive"],
            "expected_purchases": bgnbd["expected_purchases"],
            "p_no_purchase_churn_horizon": bgnbd["p_no_purchase"],
            "expected_avg_spend": bgnbd["expected_spend"],
            "clv_discounted": np.maximum(bgnbd["clv"], 0.0),
            "pareto_nbd_p_alive": pareto["p_alive"],
            "pareto_nbd_expected_purchases": pareto["expected_purchases"],
            "pareto_nbd_clv_discounted": np.maximum(pareto["clv"], 0.0),
            "historical_clv": historical_clv(monetary_total, settings.gross_margin),
            "purchases_per_year": purchases_per_year,
            "simple_clv_gross": gross_simple,
            "acquisition_cost": cac,
            "simple_clv": np.where(np.isfinite(cac), gross_simple - cac, np.nan),
            "clv_to_cac": ratio.with_nan(),
            "cac_status": inputs["cac_status"].astype("string"),
            "horizon_months": settings.horizon_months,
        }
    )
    _assert_finite(
        frame,
        [
            "p_alive",
            "expected_purchases",
            "p_no_purchase_churn_horizon",
            "expected_avg_spend",
            "clv_discounted",
            "pareto_nbd_p_alive",
            "pareto_nbd_expected_purchases",
            "pareto_nbd_clv_discounted",
            "historical_clv",
            "simple_clv_gross",
        ],
    )
    return frame


# ---------------------------------------------------------------------------
# Backtest
# ---------------------------------------------------------------------------


def backtest_frame(
    summary: pd.DataFrame, fits: Mapping[str, FitResult], settings: ClvSettings
) -> pd.DataFrame:
    """Predict the holdout from the fits of the calibration period only.

    Per customer: calibration summary, P(alive) at the calibration end,
    predicted purchase periods in the holdout (conditional expectation over
    ``holdout_length``), predicted value (purchases x Gamma-Gamma expected
    spend), and the actual purchase periods and value.
    """
    summary = summary.sort_values("customer_id", kind="stable").reset_index(drop=True)
    x = summary["frequency_x"].to_numpy(np.float64)
    t_x = summary["recency_t_x"].to_numpy(np.float64)
    T = summary["age_t"].to_numpy(np.float64)
    m_x = summary["repeat_mean_value"].to_numpy(np.float64, na_value=np.nan)
    x_spend = summary["repeat_periods_with_value"].to_numpy(np.float64)
    holdout = summary["holdout_length"].to_numpy(np.float64)
    predicted = expected_purchases(fits[PRIMARY_MODEL], holdout, x, t_x, T)
    spend = expected_spend(fits["gamma_gamma"], x_spend, np.nan_to_num(m_x, nan=0.0))
    frame = pd.DataFrame(
        {
            "customer_id": summary["customer_id"].astype("string"),
            "calibration_end_date": summary["calibration_end_date"],
            "time_unit": settings.time_unit,
            "frequency_x": summary["frequency_x"].astype("int64"),
            "recency_t_x": t_x,
            "age_t": T,
            "holdout_length": holdout,
            "p_alive_at_calibration_end": _p_alive(fits[PRIMARY_MODEL], x, t_x, T),
            "predicted_purchases": predicted,
            "actual_purchases": summary["holdout_purchases"].astype("int64"),
            "predicted_value": predicted * spend,
            "actual_value": summary["holdout_value"].to_numpy(np.float64),
        }
    )
    _assert_finite(
        frame, ["p_alive_at_calibration_end", "predicted_purchases", "predicted_value"]
    )
    return frame


def _p_alive(fit: FitResult, x, t_x, T) -> np.ndarray:
    return p_alive(fit, x, t_x, T)


def backtest_summary_frame(backtest: pd.DataFrame) -> pd.DataFrame:
    """Aggregate predicted vs actual holdout purchases and value, one row each."""
    rows = []
    for measure in ("purchases", "value"):
        summary = backtest_summary(
            backtest[f"predicted_{measure}"].to_numpy(np.float64),
            backtest[f"actual_{measure}"].to_numpy(np.float64),
        )
        rows.append({"measure": measure, **summary.__dict__})
    frame = pd.DataFrame.from_records(rows)
    for column in ("relative_error", "correlation"):
        frame[column] = frame[column].astype("float64")
    return frame


def backtest_calibration_frame(backtest: pd.DataFrame) -> pd.DataFrame:
    """Mean predicted vs actual holdout purchases by calibration frequency."""
    return calibration_table(
        backtest["frequency_x"].to_numpy(np.float64),
        backtest["predicted_purchases"].to_numpy(np.float64),
        backtest["actual_purchases"].to_numpy(np.float64),
    )


def backtest_tracking_frame(
    backtest: pd.DataFrame,
    holdout_purchase_days: pd.DataFrame,
    fits: Mapping[str, FitResult],
    settings: ClvSettings,
) -> pd.DataFrame:
    """Cumulative expected vs actual repeat purchases, day by day of the holdout.

    ``holdout_purchase_days`` has one row per actual holdout purchase period
    with ``holdout_day`` (days after the calibration end, 1 = the first day).
    """
    if backtest.empty:
        return pd.DataFrame(
            {
                "holdout_day": pd.Series(dtype="int64"),
                "expected_cumulative": pd.Series(dtype="float64"),
                "actual_cumulative": pd.Series(dtype="float64"),
            }
        )
    days_per_unit = days_per_time_unit(settings.time_unit)
    holdout_days = round(float(backtest["holdout_length"].iloc[0]) * days_per_unit)
    curve = cumulative_repeat_curve(
        fits[PRIMARY_MODEL],
        backtest["age_t"].to_numpy(np.float64),
        holdout_days=max(holdout_days, 1),
        actual_purchase_days=holdout_purchase_days["holdout_day"].to_numpy(np.float64),
        time_unit=settings.time_unit,
    )
    curve["holdout_day"] = curve["holdout_day"].astype("int64")
    return curve


def _assert_finite(frame: pd.DataFrame, columns: list[str]) -> None:
    bad = [c for c in columns if not np.all(np.isfinite(frame[c].to_numpy()))]
    if bad:
        raise ValueError(f"non-finite values in {bad}; refusing to write the mart")

"""Fitted parameters of the CLV models, for the current calibration (end =
as_of_date) and the backtest calibration (end = as_of_date minus the holdout):
BG/NBD and Pareto/NBD on the distinct (x, t_x, T) tuples, Gamma-Gamma on the
positive repeat spend, all by maximum likelihood."""

import pandas as pd

from customer_value.clv_marts import ClvSettings, fit_models, params_frame
from customer_value.frames import to_pandas

SPEND_COLUMNS = [
    "repeat_periods_with_value",
    "repeat_mean_value",
    "calibration_end_date",
]


def model(dbt, session):
    dbt.config(materialized="table")
    settings = ClvSettings.from_config(dbt.config.get("clv_settings"))
    tuples = to_pandas(dbt.ref("int_clv_tuples_counted"))
    summaries = {
        "current": dbt.ref("int_customers_clv_summarized"),
        "backtest": dbt.ref("int_customers_clv_backtest_summarized"),
    }
    frames = []
    for scope, summary in summaries.items():
        spend = to_pandas(summary, columns=SPEND_COLUMNS)
        fits = fit_models(
            tuples[tuples["fit_scope"] == scope], spend, settings.time_unit
        )
        calibration_end = spend["calibration_end_date"].max() if len(spend) else None
        frames.append(params_frame(fits, calibration_end, settings.time_unit, scope))
    return pd.concat(frames, ignore_index=True)

"""Backtest metrics of each churn candidate and of the BTYD baseline."""

from customer_value import churn
from customer_value.frames import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    settings = churn.ChurnSettings.from_config(dbt.config.get("churn_settings"))
    params = to_pandas(dbt.ref("fct_churn_btyd_params"))
    training = to_pandas(
        dbt.ref("int_customer_snapshots_featurized"),
        columns=["cut_off_index"],
        where=churn.training_filter(params, settings, refit=False),
    )
    backtest = to_pandas(
        dbt.ref("fct_churn_backtest"), columns=churn.METRICS_INPUT_COLUMNS
    )
    return churn.model_metrics_frame(backtest, training_rows=len(training))

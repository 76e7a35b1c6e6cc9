"""Churn backtest: every candidate trained on the snapshots before the
validation cut-off (as_of_date minus churn_horizon_days) scores the customers
at that cut-off, next to the BTYD baseline and the outcome seen since."""

from customer_value import churn
from customer_value.frames import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    settings = churn.ChurnSettings.from_config(dbt.config.get("churn_settings"))
    params = to_pandas(dbt.ref("fct_churn_btyd_params"))
    snapshots = dbt.ref("int_customer_snapshots_featurized")
    training = to_pandas(
        snapshots, where=churn.training_filter(params, settings, refit=False)
    )
    validation = to_pandas(
        snapshots,
        columns=churn.snapshot_columns(snapshots.columns),
        where=churn.VALIDATION_FILTER,
    )
    return churn.backtest_frame(training, validation, params, settings)

"""Permutation importance of the selected churn model on the backtest."""

from customer_value import churn
from customer_value.frames import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    settings = churn.ChurnSettings.from_config(dbt.config.get("churn_settings"))
    params = to_pandas(dbt.ref("fct_churn_btyd_params"))
    # the backtest's choice (one row is enough): the metrics need not be built first
    selected = churn.backtest_selection(
        to_pandas(dbt.ref("fct_churn_backtest").limit(1), columns=["selected_model"])
    )
    snapshots = dbt.ref("int_customer_snapshots_featurized")
    training = to_pandas(
        snapshots, where=churn.training_filter(params, settings, refit=False)
    )
    where = churn.importance_filter(params)
    validation = to_pandas(snapshots, where=where)
    if where != churn.VALIDATION_FILTER and len(validation) < churn.IMPORTANCE_MAX_ROWS:
        validation = to_pandas(snapshots, where=churn.VALIDATION_FILTER)  # rare
    return churn.feature_importance_frame(
        training, validation, params, settings, selected
    )

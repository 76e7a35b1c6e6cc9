"""Churn risk of every customer with a purchase: the model chosen by the
backtest, refitted on every labelled snapshot, scores as_of_date."""

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
        snapshots, where=churn.training_filter(params, settings, refit=True)
    )
    scoring = to_pandas(
        snapshots,
        columns=churn.snapshot_columns(snapshots.columns),
        where=churn.SCORING_FILTER,
    )
    return churn.churn_risk_frame(training, scoring, params, settings, selected)

"""BG/NBD fitted at every churn cut-off on the data up to that cut-off only:
the BTYD baseline of the churn models and the source of their BTYD features."""

from customer_value import churn
from customer_value.frames import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    tuples = to_pandas(dbt.ref("int_churn_snapshot_tuples_counted"))
    return churn.btyd_params_frame(tuples)

"""BG/NBD fitted at every churn cut-off on the data up to that cut-off only:
the BTYD baseline of the churn models and the source of their BTYD features."""

from customer_value import churn
from customer_value.frames import to_arrow


def model(dbt, session):
    dbt.config(materialized="table")
    tuples = to_arrow(
        dbt.ref("int_churn_snapshot_tuples_counted"), order_by=churn.BTYD_TUPLE_KEYS
    )
    return churn.btyd_params_frame(tuples)

"""Lifecycle stage of every customer at every month end (customers x months).

Streams the snapshot features batch by batch through the same rules as
fct_customer_lifecycle (customer_value.lifecycle.assign_stages), so memory stays
bounded at any number of customers (on Spark the executors run the batches).
"""

from functools import partial

from customer_value import lifecycle
from customer_value.frames import map_batches

BATCH_ROWS = 1_000_000


def model(dbt, session):
    dbt.config(materialized="table")
    thresholds = lifecycle.LifecycleThresholds.from_mapping(
        dbt.config.meta_get("lifecycle_thresholds")
    )
    return map_batches(
        dbt.ref("int_customer_months_snapshotted"),
        partial(lifecycle.monthly_stages, thresholds=thresholds),
        BATCH_ROWS,
    )

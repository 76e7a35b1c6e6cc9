"""Lifecycle stage of every customer at every month end (customers x months).

Streams the snapshot features batch by batch through the same rules as
fct_customer_lifecycle (customer_value.lifecycle.assign_stages), so memory stays
bounded at any number of customers.
"""

from customer_value import lifecycle

BATCH_ROWS = 1_000_000


def model(dbt, session):
    dbt.config(materialized="table")
    thresholds = lifecycle.LifecycleThresholds.from_mapping(
        dbt.config.meta_get("lifecycle_thresholds")
    )
    snapshots = dbt.ref("int_customer_months_snapshotted").to_arrow_reader(BATCH_ROWS)
    return lifecycle.monthly_stages_reader(snapshots, thresholds)

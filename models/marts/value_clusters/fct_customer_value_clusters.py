"""LRFMC value cluster of every customer with a purchase (K-means)."""

from customer_value import value_clusters
from customer_value.frames import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    settings = value_clusters.ClusterSettings.from_config(
        dbt.config.get("value_cluster_settings")
    )
    customers = to_pandas(dbt.ref("int_customers_lrfmc_summarized"))
    return value_clusters.assign_clusters(customers, settings)

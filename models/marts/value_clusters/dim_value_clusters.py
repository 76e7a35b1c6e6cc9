"""One row per LRFMC value cluster: size, revenue, centre and name."""

from customer_value import value_clusters
from customer_value.frames import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    settings = value_clusters.ClusterSettings.from_config(
        dbt.config.get("value_cluster_settings")
    )
    assigned = to_pandas(dbt.ref("fct_customer_value_clusters"))
    return value_clusters.cluster_profiles(assigned, settings)

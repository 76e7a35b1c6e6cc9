"""Current lifecycle stage of every customer, with churn-warning flags.

Thin wrapper: the features come from SQL models, the rules from
customer_value.lifecycle (documented in the doc block lifecycle_stage_rules).
"""

from customer_value import lifecycle
from customer_value.frames import to_arrow

PURCHASE_DAY_COLUMNS = [
    "customer_id",
    "purchase_date",
    "purchase_day_number",
    "first_purchase_date",
    "previous_purchase_date",
    "purchase_date_before_previous",
    "as_of_date",
]
CUSTOMER_COLUMNS = [
    "customer_id",
    "as_of_date",
    "signed_up_at",
    "has_purchased",
    "first_purchase_date",
    "last_purchase_date",
    "recency_days",
    "rfm_segment",
    "value_class",
    "abc_tier",
    "monetary_total",
]


def model(dbt, session):
    dbt.config(materialized="table")
    thresholds = lifecycle.LifecycleThresholds.from_mapping(
        dbt.config.meta_get("lifecycle_thresholds")
    )
    purchase_days = to_arrow(
        dbt.ref("int_purchase_days_sequenced"),
        columns=PURCHASE_DAY_COLUMNS,
        order_by=["customer_id", "purchase_day_number"],
    )
    frequency = to_arrow(dbt.ref("int_customers_purchase_frequency_windowed"))
    customers = to_arrow(dbt.ref("int_customers_profiled"), columns=CUSTOMER_COLUMNS)
    clv = to_arrow(
        dbt.ref("fct_customer_clv"),
        columns=["customer_id", "p_alive", "clv_discounted"],
        order_by=["customer_id"],
    )

    stages = lifecycle.current_stages(purchase_days, thresholds)
    warnings = lifecycle.churn_warnings(frequency, thresholds)
    clv_flags = lifecycle.clv_warnings(clv, thresholds)
    return lifecycle.customer_lifecycle(customers, stages, warnings, clv_flags)

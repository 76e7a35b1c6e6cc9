{#- No mart holds an e-mail address or a phone number in clear text. Every column
    that can hold text, of every model under models/marts, is scanned at run time
    (macro personal_data_findings); a failing row names the mart, the column and how
    many values look like personal data, never the values. A mart that this test
    does not depend on fails it too: add its depends_on line below, so that the
    test runs after the mart is built. -#}

-- depends_on: {{ ref('dim_customers') }}
-- depends_on: {{ ref('dim_value_clusters') }}
-- depends_on: {{ ref('fct_churn_backtest') }}
-- depends_on: {{ ref('fct_churn_btyd_params') }}
-- depends_on: {{ ref('fct_churn_feature_importance') }}
-- depends_on: {{ ref('fct_churn_model_metrics') }}
-- depends_on: {{ ref('fct_churn_reliability_bins') }}
-- depends_on: {{ ref('fct_clv_backtest') }}
-- depends_on: {{ ref('fct_clv_backtest_calibration') }}
-- depends_on: {{ ref('fct_clv_backtest_summary') }}
-- depends_on: {{ ref('fct_clv_backtest_tracking') }}
-- depends_on: {{ ref('fct_clv_model_params') }}
-- depends_on: {{ ref('fct_cohort_retention') }}
-- depends_on: {{ ref('fct_customer_churn_risk') }}
-- depends_on: {{ ref('fct_customer_clv') }}
-- depends_on: {{ ref('fct_customer_lifecycle') }}
-- depends_on: {{ ref('fct_customer_lifecycle_monthly') }}
-- depends_on: {{ ref('fct_customer_value_clusters') }}
-- depends_on: {{ ref('fct_customer_value_grid') }}
-- depends_on: {{ ref('fct_high_value_customers') }}
-- depends_on: {{ ref('fct_lifecycle_transitions') }}
-- depends_on: {{ ref('fct_orders') }}
-- depends_on: {{ ref('fct_segment_summary') }}
-- depends_on: {{ ref('fct_source_row_reconciliation') }}
-- depends_on: {{ ref('fct_value_concentration') }}
-- depends_on: {{ ref('metricflow_time_spine') }}

{{ personal_data_findings('models/marts/') }}

{#
  Checks the variables of the churn-risk and value-cluster marts before anything
  is built (on-run-start). Stops with a message naming the variable and the fix.
#}
{% macro validate_churn_variables() %}
  {%- if execute and flags.WHICH in ['run', 'build', 'test', 'compile', 'show'] -%}
    {%- set whole_numbers = {
        'churn_horizon_days': 1,
        'churn_training_snapshots': 1,
        'churn_max_training_rows': 1000,
        'churn_backtest_max_customers': 1000,
        'churn_top_reasons': 1,
    } -%}
    {%- for name, minimum in whole_numbers.items() -%}
      {%- set value = var(name) -%}
      {%- if value is not integer or value is sameas true or value is sameas false or value < minimum -%}
        {{ exceptions.raise_compiler_error(
            "Variable error: " ~ name ~ " = " ~ value ~ " must be a whole number >= " ~ minimum ~ ".") }}
      {%- endif -%}
    {%- endfor -%}
    {#- the refit of the scoring model draws its quota of the validation
        cut-off from the rows the backtest keeps -#}
    {%- set refit_quota = var('churn_max_training_rows') / (var('churn_training_snapshots') + 1) -%}
    {%- if var('churn_backtest_max_customers') < refit_quota -%}
      {{ exceptions.raise_compiler_error(
          "Variable error: churn_backtest_max_customers = " ~ var('churn_backtest_max_customers')
          ~ " must be at least churn_max_training_rows / (churn_training_snapshots + 1) = "
          ~ (refit_quota | round(0, 'ceil') | int)
          ~ ": the model that scores as_of_date trains on that many rows of the validation cut-off, drawn from the backtest's customers.") }}
    {%- endif -%}
    {%- set medium = var('churn_risk_band_medium') -%}
    {%- set high = var('churn_risk_band_high') -%}
    {%- if medium is not number or high is not number or not (0 < medium < high < 1) -%}
      {{ exceptions.raise_compiler_error(
          "Variable error: churn risk bands need 0 < churn_risk_band_medium < churn_risk_band_high < 1; got medium = "
          ~ medium ~ ", high = " ~ high ~ " (defaults 0.50 and 0.80).") }}
    {%- endif -%}
    {%- set k = var('value_clusters_k') -%}
    {%- if k is not none and (k is not integer or k is sameas true or k is sameas false or k < 2 or k > 20) -%}
      {{ exceptions.raise_compiler_error(
          "Variable error: value_clusters_k = " ~ k ~ " must be null (chosen by silhouette over 3..8) or a whole number from 2 to 20.") }}
    {%- endif -%}
  {%- endif -%}
  select 1
{% endmacro %}

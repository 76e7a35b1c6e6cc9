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
        'churn_top_reasons': 1,
    } -%}
    {%- for name, minimum in whole_numbers.items() -%}
      {%- set value = var(name) -%}
      {%- if value is not integer or value is sameas true or value is sameas false or value < minimum -%}
        {{ exceptions.raise_compiler_error(
            "Variable error: " ~ name ~ " = " ~ value ~ " must be a whole number >= " ~ minimum ~ ".") }}
      {%- endif -%}
    {%- endfor -%}
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

{#-
  Shared pieces of the churn cut-off models (int_purchase_days_bucketed,
  int_customers_cut_offs_totalled, int_customer_snapshots_featurized).
  Cut-off c_k = as_of_date - k x churn_horizon_days, k = 0 (scoring),
  1 (validation), 2 .. churn_training_snapshots + 1 (training).
-#}

{#- The feature windows, in horizons before a cut-off: the last 1, 2 and 4
    (the spend and visit trend compares the last 2 with the 2 before). -#}
{% macro churn_window_horizons() -%}
  {{ return([1, 2, 4]) }}
{%- endmacro %}

{#- The last cut-off index K = churn_training_snapshots + 1 (at least 2). -#}
{% macro churn_last_cut_off() -%}
  {{ return(([var('churn_training_snapshots') | int, 1] | max) + 1) }}
{%- endmacro %}

{#- How far back totals are needed: the oldest cut-off's longest window. -#}
{% macro churn_last_total() -%}
  {{ return(churn_last_cut_off() + (churn_window_horizons() | max)) }}
{%- endmacro %}

{#- One column of a per-customer pivot of int_purchase_days_bucketed: the
    measure totalled on or before cut-off c_j (bucket >= j), named measure_j.
    Counts and amounts are 0 when there is nothing on or before c_j; the
    latest dates and the squared gaps null. -#}
{% macro churn_cut_off_total(measure, j) -%}
  {%- set on_or_before = 'case when bucket >= ' ~ j ~ ' then ' ~ measure ~ ' end' -%}
  {%- if measure in ['purchase_days', 'orders', 'revenue'] -%}
    coalesce(sum({{ on_or_before }}), 0) as {{ measure }}_{{ j }}
  {%- elif measure in ['last_purchase_date', 'previous_purchase_date'] -%}
    max({{ on_or_before }}) as {{ measure }}_{{ j }}
  {%- elif measure == 'gap_days_squared' -%}
    sum({{ on_or_before }}) as {{ measure }}_{{ j }}
  {%- else -%}
    {{ exceptions.raise_compiler_error("churn_cut_off_total: unknown measure " ~ measure) }}
  {%- endif -%}
{%- endmacro %}

{#- A snapshot's sample_hash: 8 hex digits of the MD5 of customer id and
    cut-off index, read by the models as a number below 16^8 (the training
    sample and the importance rows are the hashes below a threshold). -#}
{% macro churn_sample_hash(customer_id, k) -%}
  substring({{ row_key([customer_id, k]) }}, 1, 8)
{%- endmacro %}

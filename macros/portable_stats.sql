{#- Continuous quantile of a column (linear interpolation), as an aggregate. -#}
{% macro quantile_cont(expression, quantile) -%}
  {{ return(adapter.dispatch('quantile_cont', 'customer_value')(expression, quantile)) }}
{%- endmacro %}

{% macro default__quantile_cont(expression, quantile) -%}
  quantile_cont({{ expression }}, {{ quantile }})
{%- endmacro %}

{% macro spark__quantile_cont(expression, quantile) -%}
  percentile({{ expression }}, {{ quantile }})
{%- endmacro %}

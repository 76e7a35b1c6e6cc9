{#
  SQL helpers of the lifecycle models, built on dbt's cross-database macros so the
  models stay portable. A month is identified by an integer month index (months
  since January 1970), so that joins between customers and months compare
  integers; dates are derived from the index only where shown.
#}

{#- Integer month index of a date: 0 = January 1970, 1 = February 1970, ... -#}
{% macro lifecycle_month_index(date_expression) -%}
  {{ return(adapter.dispatch('lifecycle_month_index', 'customer_value')(date_expression)) }}
{%- endmacro %}

{% macro default__lifecycle_month_index(date_expression) -%}
  {{ dbt.datediff("cast('1970-01-01' as date)", date_expression, 'month') }}
{%- endmacro %}

{#- dbt-spark's month datediff counts whole months between the days, not month
    boundaries crossed: count calendar months directly. -#}
{% macro spark__lifecycle_month_index(date_expression) -%}
  ((year({{ date_expression }}) - 1970) * 12 + month({{ date_expression }}) - 1)
{%- endmacro %}


{#- First day of the month with the given month index (a date). -#}
{% macro lifecycle_month_start(month_index_expression) -%}
  cast({{ dbt.dateadd('month', month_index_expression, "cast('1970-01-01' as date)") }} as date)
{%- endmacro %}


{#- The integers 1..upper_bound in a column generated_number (dbt.generate_series). -#}
{% macro lifecycle_numbers(upper_bound) -%}
  {{ dbt.generate_series(upper_bound) }}
{%- endmacro %}


{#- numerator / denominator as a floating-point share; null when the denominator
    is 0. Double precision where the adapter's default float is single precision. -#}
{% macro lifecycle_share(numerator, denominator) -%}
  {{ return(adapter.dispatch('lifecycle_share', 'customer_value')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__lifecycle_share(numerator, denominator) -%}
  cast({{ numerator }} as {{ dbt.type_float() }}) / nullif({{ denominator }}, 0)
{%- endmacro %}

{% macro duckdb__lifecycle_share(numerator, denominator) -%}
  cast({{ numerator }} as double) / nullif({{ denominator }}, 0)
{%- endmacro %}

{% macro spark__lifecycle_share(numerator, denominator) -%}
  cast({{ numerator }} as double) / nullif({{ denominator }}, 0)
{%- endmacro %}

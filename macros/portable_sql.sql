{#
  Small SQL helpers whose syntax differs between engines. Each dispatches on the
  adapter so that models stay the same on every warehouse.
#}

{#- Text holding an ISO 8601 timestamp or date -> timestamp in UTC; null when
    unparseable. Offsets are converted; text without an offset is read as UTC. -#}
{% macro parse_timestamp_utc(expression) -%}
  {{ return(adapter.dispatch('parse_timestamp_utc', 'customer_value')(expression)) }}
{%- endmacro %}

{% macro default__parse_timestamp_utc(expression) -%}
  cast(try_cast(trim({{ expression }}) as timestamptz) at time zone 'UTC' as timestamp)
{%- endmacro %}

{#- Spark reads offsets and zone names itself; the session time zone is UTC
    (profiles.yml), so text without an offset is read as UTC. -#}
{% macro spark__parse_timestamp_utc(expression) -%}
  try_cast(trim({{ expression }}) as timestamp)
{%- endmacro %}


{#- A JSON object text of name -> value pairs, e.g. to keep a rejected raw row. -#}
{% macro json_record(columns) -%}
  {{ return(adapter.dispatch('json_record', 'customer_value')(columns)) }}
{%- endmacro %}

{% macro default__json_record(columns) -%}
  cast(json_object(
    {%- for column in columns %}
    '{{ column }}', {{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
  ) as {{ dbt.type_string() }})
{%- endmacro %}

{% macro spark__json_record(columns) -%}
  to_json(named_struct(
    {%- for column in columns %}
    '{{ column }}', {{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
  ), map('ignoreNullFields', 'false'))
{%- endmacro %}


{#- Hex digest identifying a row from several text expressions. -#}
{% macro row_key(expressions) -%}
  md5({{ row_key_concat(expressions) }})
{%- endmacro %}

{#- One concat() call rather than a chain of ||: the text is built once instead of
    once per operator (a third faster at millions of rows). -#}
{% macro row_key_concat(expressions) -%}
  concat(
  {%- for expression in expressions -%}
    coalesce(cast({{ expression }} as {{ dbt.type_string() }}), '<null>'){{ ", '|', " if not loop.last }}
  {%- endfor -%}
  )
{%- endmacro %}


{#- Cast that yields null instead of failing on a malformed value. -#}
{% macro try_cast_as(expression, data_type) -%}
  {{ return(adapter.dispatch('try_cast_as', 'customer_value')(expression, data_type)) }}
{%- endmacro %}

{% macro default__try_cast_as(expression, data_type) -%}
  try_cast({{ expression }} as {{ data_type }})
{%- endmacro %}


{#- Every match of a regular expression replaced (not only the first). -#}
{% macro regexp_replace_all(expression, pattern, replacement) -%}
  {{ return(adapter.dispatch('regexp_replace_all', 'customer_value')(expression, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regexp_replace_all(expression, pattern, replacement) -%}
  regexp_replace({{ expression }}, {{ regex_literal(pattern) }}, '{{ replacement }}', 'g')
{%- endmacro %}

{% macro spark__regexp_replace_all(expression, pattern, replacement) -%}
  regexp_replace({{ expression }}, {{ regex_literal(pattern) }}, '{{ replacement }}')
{%- endmacro %}


{#- A regular expression as a SQL string literal. Spark reads backslash escapes
    in literals, so there each backslash is doubled. -#}
{% macro regex_literal(pattern) -%}
  {{ return(adapter.dispatch('regex_literal', 'customer_value')(pattern)) }}
{%- endmacro %}

{% macro default__regex_literal(pattern) -%}
  '{{ pattern }}'
{%- endmacro %}

{% macro spark__regex_literal(pattern) -%}
  '{{ pattern | replace("\\", "\\\\") }}'
{%- endmacro %}


{#- True for NaN and infinite values of a floating-point expression (Spark
    treats NaN as equal to itself, so x != x does not find it there). -#}
{% macro is_not_finite(expression) -%}
  {{ return(adapter.dispatch('is_not_finite', 'customer_value')(expression)) }}
{%- endmacro %}

{% macro default__is_not_finite(expression) -%}
  ({{ expression }} != {{ expression }} or abs({{ expression }}) > 1e300)
{%- endmacro %}

{% macro spark__is_not_finite(expression) -%}
  (isnan({{ expression }}) or abs({{ expression }}) > 1e300)
{%- endmacro %}


{#- Keyword that has a CTE read by several branches recomputed in each rather than
    held in memory as a whole (DuckDB materialises such CTEs by default; a parse
    of millions of wide rows would then sit in memory). Empty where unsupported. -#}
{% macro cte_not_materialized() -%}
  {{ return(adapter.dispatch('cte_not_materialized', 'customer_value')()) }}
{%- endmacro %}

{% macro default__cte_not_materialized() -%}
{%- endmacro %}

{% macro duckdb__cte_not_materialized() -%}
  not materialized
{%- endmacro %}


{#- A double in money units rounded to cents (half away from zero) as
    decimal(18, 2), or null from 1e15 on. Rounded as a decimal, never as a
    double: engines round a double's half cent differently. Below 1e7 through
    decimal(18, 10), which computes on 64-bit integers (about ten times faster at
    millions of rows than decimal(38, 10), with the same result: the double is
    read to ten decimals either way); larger values through decimal(38, 10). -#}
{% macro round_money(expression) -%}
  case
    when abs({{ expression }}) < 10000000
      then cast(round(cast({{ expression }} as decimal(18, 10)), 2) as decimal(18, 2))
    when abs({{ expression }}) < 1e15
      then cast(round(cast({{ expression }} as decimal(38, 10)), 2) as decimal(18, 2))
  end
{%- endmacro %}


{#- Materialization of a model that only reshapes a table it reads (same rows):
    a view on DuckDB, where it costs nothing to query; a table elsewhere (Spark
    serves tables as files that other tools read directly). -#}
{% macro reshaping_materialization() -%}
  {{ return('view' if target.type == 'duckdb' else 'table') }}
{%- endmacro %}

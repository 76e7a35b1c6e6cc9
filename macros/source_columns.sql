{#
  source_columns(source_name, table_name)
  Lower-case column names of a raw source, read from the file(s) at run time.
  Staging uses it to fill optional contract columns that a file does not carry
  (currency, status, ...) with null. At parse time it returns the full contract.
#}
{% macro source_columns(source_name, table_name) %}
  {%- if not execute -%}
    {{ return(source_columns_contract()) }}
  {%- endif -%}
  {%- set relation = source(source_name, table_name) -%}
  {#- In a dbt unit test the source is a fixture CTE holding every contract column. -#}
  {%- if (relation | string).startswith('__dbt__cte__') -%}
    {{ return(source_columns_contract()) }}
  {%- endif -%}
  {%- set described = run_query(describe_query_sql('select * from ' ~ relation)) -%}
  {%- set columns = [] -%}
  {%- for row in described.rows -%}
    {%- do columns.append(row[0] | lower | trim) -%}
  {%- endfor -%}
  {{ return(columns) }}
{% endmacro %}


{#- A statement describing a query's columns: one row per column, name first. -#}
{% macro describe_query_sql(query) -%}
  {{ return(adapter.dispatch('describe_query_sql', 'customer_value')(query)) }}
{%- endmacro %}

{% macro default__describe_query_sql(query) -%}
  describe {{ query }}
{%- endmacro %}

{% macro spark__describe_query_sql(query) -%}
  describe query {{ query }}
{%- endmacro %}


{#- The column as text if the source has it, else a typed null. -#}
{% macro optional_text_column(columns, name) -%}
  {%- if name in columns -%}
    cast({{ adapter.quote(name) }} as {{ dbt.type_string() }})
  {%- else -%}
    cast(null as {{ dbt.type_string() }})
  {%- endif -%}
{%- endmacro %}


{#- Every column of the input contract (orders and customers). -#}
{% macro source_columns_contract() %}
  {{ return(['order_id', 'customer_id', 'ordered_at', 'amount', 'currency', 'status',
             'discount_amount', 'email', 'phone', 'created_at', 'country',
             'acquisition_channel', 'filename']) }}
{% endmacro %}

{#
  source_columns(source_name, table_name)
  Lower-case column names of a raw source, read from the file(s) at run time.
  Staging uses it to fill optional contract columns that a file does not carry
  (currency, status, ...) with null. At parse time it returns the full contract.
#}
{% macro source_columns(source_name, table_name) %}
  {%- if not execute -%}
    {{ return(['order_id', 'customer_id', 'ordered_at', 'amount', 'currency', 'status',
               'discount_amount', 'email', 'phone', 'created_at', 'country',
               'acquisition_channel', 'filename']) }}
  {%- endif -%}
  {%- set described = run_query('describe select * from ' ~ source(source_name, table_name)) -%}
  {%- set columns = [] -%}
  {%- for row in described.rows -%}
    {%- do columns.append(row[0] | lower | trim) -%}
  {%- endfor -%}
  {{ return(columns) }}
{% endmacro %}


{#- The column as text if the source has it, else a typed null. -#}
{% macro optional_text_column(columns, name) -%}
  {%- if name in columns -%}
    cast({{ adapter.quote(name) }} as {{ dbt.type_string() }})
  {%- else -%}
    cast(null as {{ dbt.type_string() }})
  {%- endif -%}
{%- endmacro %}

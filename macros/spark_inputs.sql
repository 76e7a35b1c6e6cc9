{#
  The raw files on Spark. DuckDB reads the files in place through the source's
  external_location; Spark cannot (a persistent view may not reference a
  temporary one), so before every build the raw files are registered as
  unmanaged tables over the files in the schema <target schema>_raw:

    <schema>_raw.orders_files     CSV or Parquet table over var orders_path (text
                                  columns for CSV: nothing is inferred)
    <schema>_raw.orders           view: the table plus the file each row came from
    <schema>_raw.customers(_files)  the same for var customers_path; without a
                                  file an empty view with every contract column

  Dropping and re-creating them never touches the files (the tables are
  external). The input checks that Spark can run are run here: the variables,
  the required columns of each file. The file-level checks of the DuckDB build
  (encoding, delimiter, empty files, Parquet types) read bytes with DuckDB
  functions; on Spark a file Spark cannot read stops the build with Spark's own
  error, and `python -m customer_value.spark_runner` checks before dbt starts
  that every path matches a non-empty file.
#}

{% macro spark_raw_schema() -%}
  {{ return(target.schema ~ '_raw') }}
{%- endmacro %}


{#- Spark resolves a relative table path against the warehouse: make it
    absolute from the directory dbt runs in (CUSTOMER_VALUE_PROJECT_DIR, else
    the shell's PWD). -#}
{% macro spark_absolute_path(path) -%}
  {%- if path.startswith('/') or '://' in path -%}
    {{ return(path) }}
  {%- endif -%}
  {%- set base = env_var('CUSTOMER_VALUE_PROJECT_DIR', env_var('PWD', '')) -%}
  {%- if base == '' -%}
    {{ exceptions.raise_compiler_error("Input error: relative path '" ~ path ~ "' on Spark needs"
        ~ " CUSTOMER_VALUE_PROJECT_DIR (or PWD) set to the project directory; or give an absolute path.") }}
  {%- endif -%}
  {{ return(base.rstrip('/') ~ '/' ~ path) }}
{%- endmacro %}


{% macro spark__validate_project_inputs() %}
  {%- if execute and flags.WHICH in ['run', 'build', 'test', 'compile', 'show'] -%}
    {%- do validate_variables() -%}
    {%- do run_query('create schema if not exists ' ~ spark_raw_schema()) -%}
    {%- do spark_register_raw_files('orders_path', var('orders_path'), 'orders', required=true) -%}
    {%- do spark_register_raw_files('customers_path', var('customers_path'), 'customers', required=false) -%}
    {{ log("Input checks on Spark: variables and required columns. File-level checks"
        ~ " (encoding, delimiter, empty files, Parquet types) run on DuckDB builds only.", info=true) }}
    {%- do warn_if_development_salt() -%}
  {%- endif -%}
  select 1
{% endmacro %}


{% macro spark_register_raw_files(var_name, path, entity, required) %}
  {%- set path = (path or '') | trim -%}
  {%- set schema = spark_raw_schema() -%}
  {%- set required_columns = {
      'orders': ['order_id', 'customer_id', 'ordered_at', 'amount'],
      'customers': ['customer_id'],
  }[entity] -%}
  {%- do run_query('drop view if exists ' ~ schema ~ '.' ~ entity) -%}
  {%- do run_query('drop table if exists ' ~ schema ~ '.' ~ entity ~ '_files') -%}
  {%- if path == '' -%}
    {%- if required -%}
      {{ exceptions.raise_compiler_error(
          "Input error: var " ~ var_name ~ " is empty. Set it to your " ~ entity
          ~ " file(s), e.g. --vars '{" ~ var_name ~ ": data/" ~ entity ~ ".csv}'.") }}
    {%- endif -%}
    {%- set columns = [] -%}
    {%- for column in source_columns_contract() if column not in ['order_id', 'ordered_at', 'amount', 'currency',
                                                                   'status', 'discount_amount'] -%}
      {%- do columns.append('cast(null as string) as ' ~ column) -%}
    {%- endfor -%}
    {%- do run_query('create view ' ~ schema ~ '.' ~ entity ~ ' as select ' ~ columns | join(', ') ~ ' where false') -%}
    {{ return(none) }}
  {%- endif -%}
  {%- if "'" in path -%}
    {{ exceptions.raise_compiler_error("Input error: var " ~ var_name ~ " contains a single quote, which is not supported in a path: " ~ path) }}
  {%- endif -%}
  {%- set path = spark_absolute_path(path) -%}
  {%- if path.lower().endswith('.parquet') -%}
    {%- set using = "parquet options (path '" ~ path ~ "', mergeSchema 'true')" -%}
  {%- else -%}
    {%- set using = "csv options (path '" ~ path ~ "', header 'true', inferSchema 'false', mode 'PERMISSIVE')" -%}
  {%- endif -%}
  {%- do run_query('create table ' ~ schema ~ '.' ~ entity ~ '_files using ' ~ using) -%}
  {%- set described = run_query('describe table ' ~ schema ~ '.' ~ entity ~ '_files') -%}
  {%- set found = [] -%}
  {%- for row in described.rows -%}
    {%- do found.append(row[0] | lower | trim) -%}
  {%- endfor -%}
  {%- for column in required_columns -%}
    {%- if column not in found -%}
      {{ exceptions.raise_compiler_error(
          "Input error: required column '" ~ column ~ "' is missing in " ~ entity ~ " file(s) "
          ~ input_origin(var_name, path) ~ ". Found columns: " ~ found | join(', ')
          ~ ". On Spark a CSV file must be comma-delimited with a header row.") }}
    {%- endif -%}
  {%- endfor -%}
  {%- do run_query('create view ' ~ schema ~ '.' ~ entity ~ ' as select *, _metadata.file_path as filename from '
      ~ schema ~ '.' ~ entity ~ '_files') -%}
{% endmacro %}


{% macro spark__seed_currency_count_sql(currency) -%}
  select count(*) from csv.`{{ spark_absolute_path('seeds/currency_rates.csv') }}` where upper(trim(_c0)) = '{{ currency }}'
{%- endmacro %}

{#
  Runs before every build (on-run-start). Stops the run with a message that
  names the variable, the path and what to do when an input is unusable:
  no file matches, a file is empty, no data rows, a required column is missing,
  or a variable is malformed. Warns loudly when personal data would be hashed
  with the development salt.
#}

{% macro validate_project_inputs() %}
  {%- if execute and flags.WHICH in ['run', 'build', 'test', 'compile', 'show'] -%}
    {%- do validate_input_file('orders_path', var('orders_path'), 'orders', required=true) -%}
    {%- do validate_input_file('customers_path', var('customers_path'), 'customers', required=false) -%}
    {%- do validate_variables() -%}
    {%- do warn_if_development_salt() -%}
  {%- endif -%}
  select 1
{% endmacro %}


{% macro input_reader_sql(path) -%}
  {%- if path.lower().endswith('.parquet') -%}
    read_parquet('{{ path }}', union_by_name = true)
  {%- else -%}
    read_csv('{{ path }}', header = true, all_varchar = true, union_by_name = true)
  {%- endif -%}
{%- endmacro %}


{% macro validate_input_file(var_name, path, entity, required) %}
  {%- set path = (path or '') | trim -%}
  {%- set required_columns = {
      'orders': ['order_id', 'customer_id', 'ordered_at', 'amount'],
      'customers': ['customer_id'],
  }[entity] -%}
  {%- set where = "(var " ~ var_name ~ " = '" ~ path ~ "'; relative paths are read from the directory dbt runs in)" -%}
  {%- if path == '' -%}
    {%- if required -%}
      {{ exceptions.raise_compiler_error(
          "Input error: var " ~ var_name ~ " is empty. Set it to your " ~ entity
          ~ " file(s), e.g. --vars '{" ~ var_name ~ ": data/" ~ entity ~ ".csv}'.") }}
    {%- endif -%}
    {{ return(none) }}
  {%- endif -%}
  {%- if "'" in path -%}
    {{ exceptions.raise_compiler_error("Input error: var " ~ var_name ~ " contains a single quote, which is not supported in a path: " ~ path) }}
  {%- endif -%}

  {%- set files = run_query("select file from glob('" ~ path ~ "') order by file") -%}
  {%- if files.rows | length == 0 -%}
    {{ exceptions.raise_compiler_error(
        "Input error: no file matches " ~ where ~ ". Point " ~ var_name
        ~ " at your " ~ entity ~ " CSV or Parquet file(s) (globs allowed), or run `make demo-data` to generate the demo set.") }}
  {%- endif -%}

  {%- set empty_files = run_query("select filename from read_blob('" ~ path ~ "') where size = 0 order by filename") -%}
  {%- if empty_files.rows | length > 0 -%}
    {{ exceptions.raise_compiler_error(
        "Input error: file " ~ empty_files.rows[0][0] ~ " is empty (0 bytes) " ~ where
        ~ ". Export the " ~ entity ~ " again with a header row and data, or remove it from the glob.") }}
  {%- endif -%}

  {%- set described = run_query("describe select * from " ~ input_reader_sql(path)) -%}
  {%- set columns = [] -%}
  {%- for row in described.rows -%}
    {%- do columns.append(row[0] | lower | trim) -%}
  {%- endfor -%}
  {%- set missing = [] -%}
  {%- for column in required_columns -%}
    {%- if column not in columns -%}{%- do missing.append(column) -%}{%- endif -%}
  {%- endfor -%}
  {%- if missing | length > 0 -%}
    {{ exceptions.raise_compiler_error(
        "Input error: required column(s) " ~ missing | join(', ') ~ " missing in the " ~ entity
        ~ " file(s) " ~ where ~ ". Found columns: " ~ columns | join(', ')
        ~ ". Rename the columns to the input contract (README, 'Bring your own data').") }}
  {%- endif -%}

  {%- set has_rows = run_query("select count(*) from (select 1 from " ~ input_reader_sql(path) ~ " limit 1)") -%}
  {%- if has_rows.rows[0][0] == 0 -%}
    {{ exceptions.raise_compiler_error(
        "Input error: the " ~ entity ~ " file(s) " ~ where ~ " have a header but no data rows.") }}
  {%- endif -%}
{% endmacro %}


{% macro validate_variables() %}
  {%- set as_of = var('as_of_date') -%}
  {%- if as_of is not none and (as_of | string | trim) != '' -%}
    {%- if not modules.re.match('^\\d{4}-\\d{2}-\\d{2}$', as_of | string) -%}
      {{ exceptions.raise_compiler_error("Variable error: as_of_date = '" ~ as_of ~ "' is not a date in the form YYYY-MM-DD.") }}
    {%- endif -%}
    {%- set parsed = run_query("select try_cast('" ~ as_of ~ "' as date)") -%}
    {%- if parsed.rows[0][0] is none -%}
      {{ exceptions.raise_compiler_error("Variable error: as_of_date = '" ~ as_of ~ "' is not a valid calendar date.") }}
    {%- endif -%}
  {%- endif -%}

  {%- set max_amount = var('max_order_amount') -%}
  {%- if max_amount is not number or max_amount <= 0 -%}
    {{ exceptions.raise_compiler_error("Variable error: max_order_amount = '" ~ max_amount ~ "' must be a positive number (in reporting currency).") }}
  {%- endif -%}

  {%- set windows = var('rfm_window_days') -%}
  {%- if windows is string or windows is not iterable or windows | length == 0 -%}
    {{ exceptions.raise_compiler_error("Variable error: rfm_window_days must be a non-empty list of whole days, e.g. [30, 90, 180, 365].") }}
  {%- endif -%}
  {%- for w in windows -%}
    {%- if w is not integer or w <= 0 -%}
      {{ exceptions.raise_compiler_error("Variable error: rfm_window_days contains '" ~ w ~ "'; each window must be a positive whole number of days.") }}
    {%- endif -%}
  {%- endfor -%}
  {%- set score_window = var('rfm_score_window_days') -%}
  {%- if score_window is not none and score_window not in windows -%}
    {{ exceptions.raise_compiler_error("Variable error: rfm_score_window_days = " ~ score_window ~ " must be null (all time) or one of rfm_window_days " ~ windows ~ ".") }}
  {%- endif -%}

  {%- set a_share = var('abc_a_share') -%}
  {%- set b_share = var('abc_b_share') -%}
  {%- if not (a_share is number and b_share is number and 0 < a_share < b_share <= 1) -%}
    {{ exceptions.raise_compiler_error("Variable error: need 0 < abc_a_share < abc_b_share <= 1, got " ~ a_share ~ " and " ~ b_share ~ ".") }}
  {%- endif -%}

  {%- set currency = var('reporting_currency') | string | upper | trim -%}
  {%- set known = run_query("select count(*) from read_csv('seeds/currency_rates.csv', header = true, all_varchar = true) where upper(trim(currency_code)) = '" ~ currency ~ "'") -%}
  {%- if known.rows[0][0] == 0 -%}
    {{ exceptions.raise_compiler_error("Variable error: reporting_currency = '" ~ currency ~ "' is not in seeds/currency_rates.csv. Add a row for it or choose a listed currency.") }}
  {%- endif -%}
{% endmacro %}

{#
  Runs before every build (on-run-start). Stops the run with a message that
  names the variable, the file, the line or column and what to do when an input
  is unusable: no file matches, a file is empty, is not UTF-8, has lines that do
  not split into the header's fields, repeats a column name, has no data rows,
  lacks a required column, or (Parquet) stores a column in a type that cannot be
  read as the input contract says; or a variable is malformed. DuckDB's own
  error for such a file would quote the raw line (personal data included) and
  name no variable, so every check here reads the file without raising and
  reports line numbers, never values. Warns loudly when personal data would be
  hashed with the development salt and when orders are dated after today while
  as_of_date is unset.
#}

{% macro validate_project_inputs() %}
  {{ return(adapter.dispatch('validate_project_inputs', 'customer_value')()) }}
{% endmacro %}


{% macro default__validate_project_inputs() %}
  {%- if execute and flags.WHICH in ['run', 'build', 'test', 'compile', 'show'] -%}
    {%- do validate_input_file('orders_path', var('orders_path'), 'orders', required=true) -%}
    {%- do validate_input_file('customers_path', var('customers_path'), 'customers', required=false) -%}
    {%- do validate_variables() -%}
    {%- do warn_if_orders_after_today() -%}
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


{#- Where a value comes from, for messages: the variable and its value. -#}
{% macro input_origin(var_name, path) -%}
  (var {{ var_name }} = '{{ path }}'; relative paths are read from the directory dbt runs in)
{%- endmacro %}


{% macro validate_input_file(var_name, path, entity, required) %}
  {%- set path = (path or '') | trim -%}
  {%- set required_columns = {
      'orders': ['order_id', 'customer_id', 'ordered_at', 'amount'],
      'customers': ['customer_id'],
  }[entity] -%}
  {%- set where = input_origin(var_name, path) -%}
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

  {%- set is_parquet = path.lower().endswith('.parquet') -%}
  {%- set parquet_types = {} -%}
  {%- for file_row in files.rows -%}
    {%- set file = file_row[0] -%}
    {%- if is_parquet -%}
      {%- do validate_parquet_file(var_name, path, entity, file, parquet_types) -%}
    {%- elif file.lower().endswith('.parquet') -%}
      {{ exceptions.raise_compiler_error(
          "Input error: file " ~ file ~ " " ~ where ~ " is a Parquet file, but " ~ var_name
          ~ " does not end in .parquet, so it would be read as CSV. Point " ~ var_name
          ~ " at the CSV files only, or at the Parquet files with a path ending in .parquet.") }}
    {%- else -%}
      {%- do validate_csv_file(var_name, path, entity, file, loop.index) -%}
    {%- endif -%}
  {%- endfor -%}

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
    {%- set hint = '' -%}
    {%- if columns | length == 1 -%}
      {%- set hint = " The header was read as a single column: the file must be delimited by commas, semicolons, tabs or '|'." -%}
    {%- endif -%}
    {{ exceptions.raise_compiler_error(
        "Input error: required column(s) " ~ missing | join(', ') ~ " missing in the " ~ entity
        ~ " file(s) " ~ where ~ ". Found columns: " ~ columns | join(', ')
        ~ "." ~ hint ~ " Rename the columns to the input contract (README, 'Bring your own data').") }}
  {%- endif -%}

  {%- set has_rows = run_query("select count(*) from (select 1 from " ~ input_reader_sql(path) ~ " limit 1)") -%}
  {%- if has_rows.rows[0][0] == 0 -%}
    {{ exceptions.raise_compiler_error(
        "Input error: the " ~ entity ~ " file(s) " ~ where ~ " have a header but no data rows.") }}
  {%- endif -%}
{% endmacro %}


{#- One CSV file: UTF-8 throughout, a header without repeated names, and every
    line splitting into as many fields as the header. The scans record faulty
    lines in temporary tables, or count fields on the raw lines, instead of
    raising, so the message can name the line; the raw line itself is never
    shown (it may hold personal data). -#}
{% macro validate_csv_file(var_name, path, entity, file, file_number) %}
  {%- set where = "(file " ~ file ~ ", " ~ input_origin(var_name, path)[1:] -%}
  {%- set scan = 'customer_value_input_scan_' ~ entity ~ '_' ~ file_number -%}
  {%- set faults = 'customer_value_input_faults_' ~ entity ~ '_' ~ file_number -%}
  {%- set drop_scan_tables = "drop table if exists temp." ~ faults ~ "; drop table if exists temp." ~ scan -%}

  {#- 1. Encoding: every physical line, read as one text field. -#}
  {%- set line_reader = "read_csv('" ~ file ~ "', header = false, auto_detect = false,"
      ~ " columns = {'line': 'VARCHAR'}, delim = chr(31), quote = '', escape = ''" -%}
  {%- do run_query(drop_scan_tables) -%}
  {%- do run_query("select count(*) from " ~ line_reader ~ ", store_rejects = true, rejects_table = '"
      ~ faults ~ "', rejects_scan = '" ~ scan ~ "') where length(line) >= 0") -%}
  {%- set bad_encoding = run_query(
      "select distinct line from temp." ~ faults ~ " where error_type = 'INVALID ENCODING' order by line") -%}
  {%- do run_query(drop_scan_tables) -%}
  {%- if bad_encoding.rows | length > 0 -%}
    {%- set numbers = [] -%}
    {%- for row in bad_encoding.rows[:5] -%}{%- do numbers.append(row[0] | string) -%}{%- endfor -%}
    {{ exceptions.raise_compiler_error(
        "Input error: the " ~ entity ~ " file is not UTF-8 " ~ where ~ ": "
        ~ bad_encoding.rows | length ~ " line(s) hold bytes of another encoding (line "
        ~ numbers | join(', ') ~ (', ...' if bad_encoding.rows | length > 5 else '')
        ~ "). Save the file as UTF-8 (a Latin-1 or Windows-1252 export converts with"
        ~ " `iconv -f WINDOWS-1252 -t UTF-8 in.csv > out.csv`) and build again.") }}
  {%- endif -%}
  {%- set lines = run_query("select line from " ~ line_reader ~ ") limit 1") -%}
  {%- if lines.rows | length == 0 or lines.rows[0][0] is none -%}
    {{ return(none) }}
  {%- endif -%}

  {#- 2. The header: the delimiter it uses and no repeated column name. -#}
  {%- set header = lines.rows[0][0] | replace('\ufeff', '') -%}
  {%- set delimiter = namespace(char=none, count=0) -%}
  {%- for candidate in [',', ';', '\t', '|'] -%}
    {%- if header.count(candidate) > delimiter.count -%}
      {%- set delimiter.char = candidate -%}
      {%- set delimiter.count = header.count(candidate) -%}
    {%- endif -%}
  {%- endfor -%}
  {%- if delimiter.char is none -%}
    {#- a single column: the required-column check names what is missing -#}
    {{ return(none) }}
  {%- endif -%}
  {%- set seen = [] -%}
  {%- for name in header.split(delimiter.char) -%}
    {%- set name = name | trim | replace('"', '') | lower -%}
    {%- if name in seen and name != '' -%}
      {{ exceptions.raise_compiler_error(
          "Input error: column " ~ name ~ " appears more than once in the header of the " ~ entity
          ~ " file " ~ where ~ ". Keep one column of each name (the input contract is in the README).") }}
    {%- endif -%}
    {%- do seen.append(name) -%}
  {%- endfor -%}

  {#- 3. Lines without quotes hold as many delimiters as the header (or one more
      on every line, for exports that end each line with the delimiter). The
      CSV reader would read a line with one delimiter too many and an empty last
      field as a shifted row, so this is counted on the raw lines. -#}
  {%- set delimiter_name = 'tab' if delimiter.char == '\t' else "'" ~ delimiter.char ~ "'" -%}
  {%- set delimiter_sql = {',': "','", ';': "';'", '|': "'|'", '\t': 'chr(9)'}[delimiter.char] -%}
  {%- set counted = run_query(
      "with lines as (select row_number() over () as line_number, line from " ~ line_reader ~ ")),"
      ~ " counted as (select line_number, length(line) - length(replace(line, " ~ delimiter_sql ~ ", ''))"
      ~ " as delimiters from lines where line_number > 1 and trim(line) != '' and strpos(line, '\"') = 0),"
      ~ " expected as (select case when mode(delimiters) = " ~ (delimiter.count + 1) ~ " then "
      ~ (delimiter.count + 1) ~ " else " ~ delimiter.count ~ " end as delimiters from counted)"
      ~ " select count(*), min(counted.line_number), arg_min(counted.delimiters, counted.line_number),"
      ~ " max(expected.delimiters) from counted cross join expected"
      ~ " where counted.delimiters != expected.delimiters") -%}
  {%- if counted.rows[0][0] > 0 -%}
    {%- set found = counted.rows[0][2] + 1 -%}
    {%- set wanted = counted.rows[0][3] + 1 -%}
    {%- set advice = csv_line_advice('too many' if found > wanted else 'too few', delimiter_name) -%}
    {{ exceptions.raise_compiler_error(
        "Input error: line " ~ counted.rows[0][1] ~ " of the " ~ entity ~ " file " ~ where
        ~ " does not split into the header's fields with the delimiter " ~ delimiter_name
        ~ " (Expected Number of Columns: " ~ wanted ~ " Found: " ~ found ~ "; "
        ~ counted.rows[0][0] ~ " such line(s) in the file). " ~ advice) }}
  {%- endif -%}

  {#- 4. Every line splits into the header's fields (quotes respected). -#}
  {%- set delimiter_option = '\\t' if delimiter.char == '\t' else delimiter.char -%}
  {%- do run_query("select count(*), max(columns(*)) from read_csv('" ~ file ~ "', header = true,"
      ~ " all_varchar = true, delim = '" ~ delimiter_option ~ "', store_rejects = true,"
      ~ " rejects_table = '" ~ faults ~ "', rejects_scan = '" ~ scan ~ "')") -%}
  {%- set bad_lines = run_query(
      "select line, error_type, error_message from temp." ~ faults ~ " order by line") -%}
  {%- do run_query(drop_scan_tables) -%}
  {%- if bad_lines.rows | length > 0 -%}
    {%- set first = bad_lines.rows[0] -%}
    {%- set advice = csv_line_advice(
        {'TOO MANY COLUMNS': 'too many', 'MISSING COLUMNS': 'too few'}.get(first[1], 'quoting'),
        delimiter_name) -%}
    {{ exceptions.raise_compiler_error(
        "Input error: line " ~ first[0] ~ " of the " ~ entity ~ " file " ~ where
        ~ " does not split into the header's fields with the delimiter " ~ delimiter_name ~ " ("
        ~ first[2] ~ "; " ~ bad_lines.rows | length ~ " such line(s) in the file). " ~ advice) }}
  {%- endif -%}
{% endmacro %}


{#- What to do about a line that does not split into the header's fields. -#}
{% macro csv_line_advice(kind, delimiter_name) -%}
  {%- if kind == 'too many' -%}
    {{ "A value probably holds the delimiter " ~ delimiter_name ~ " without quotes (an amount written"
       ~ " 1,234.50, a name such as 'Smith, Ann'): quote such values or remove the separator, then export again." }}
  {%- elif kind == 'too few' -%}
    {{ "The line is cut short, or a value holds a line break without quotes: export the file again"
       ~ " with every field of every line." }}
  {%- else -%}
    {{ "Check the quoting of that line (a quote inside a value must be doubled) and export the file again." }}
  {%- endif -%}
{%- endmacro %}


{#- One Parquet file: readable, and each contract column in a type the staging
    layer reads without loss. Records each column's type in `types` so that the
    files of a glob can be compared (their union needs one type per column). -#}
{% macro validate_parquet_file(var_name, path, entity, file, types) %}
  {%- set where = "(file " ~ file ~ ", " ~ input_origin(var_name, path)[1:] -%}
  {%- set described = try_or_compiler_error(
      "Input error: the " ~ entity ~ " file " ~ where ~ " cannot be read as Parquet (a truncated"
      ~ " file, or another format named .parquet). Export it again as Parquet, or as CSV with a"
      ~ " path that does not end in .parquet.",
      run_query, "describe select * from read_parquet('" ~ file ~ "')") -%}
  {%- set integer_types = ['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT',
                           'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT', 'UHUGEINT'] -%}
  {%- set time_types = ['DATE', 'TIMESTAMP', 'TIMESTAMP WITH TIME ZONE', 'TIMESTAMP_S',
                        'TIMESTAMP_MS', 'TIMESTAMP_NS'] -%}
  {%- set accepted = {
      'order_id': ['VARCHAR'] + integer_types,
      'customer_id': ['VARCHAR'] + integer_types,
      'ordered_at': ['VARCHAR'] + time_types,
      'created_at': ['VARCHAR'] + time_types,
      'amount': ['VARCHAR', 'FLOAT', 'DOUBLE', 'DECIMAL'] + integer_types,
      'discount_amount': ['VARCHAR', 'FLOAT', 'DOUBLE', 'DECIMAL'] + integer_types,
  } -%}
  {%- set id_rule = "text or whole numbers (a floating-point id such as 10.0 would not match the id 10 elsewhere); write it as string or int64" -%}
  {%- set time_rule = "a timestamp, a date or ISO 8601 text (a number such as a Unix epoch is ambiguous: seconds or milliseconds?); convert it to a timestamp" -%}
  {%- set amount_rule = "a number or text holding a plain decimal; write it as float64, decimal or string" -%}
  {%- set expected = {
      'order_id': id_rule, 'customer_id': id_rule,
      'ordered_at': time_rule, 'created_at': time_rule,
      'amount': amount_rule, 'discount_amount': amount_rule,
  } -%}
  {%- for row in described.rows -%}
    {%- set column = row[0] | lower | trim -%}
    {%- set column_type = row[1] | upper -%}
    {%- if column in accepted and (column_type.split('(')[0]) not in accepted[column] -%}
      {{ exceptions.raise_compiler_error(
          "Input error: column " ~ column ~ " of the " ~ entity ~ " file " ~ where ~ " has type "
          ~ column_type ~ "; it must be " ~ expected[column] ~ ", and export again.") }}
    {%- endif -%}
    {%- if column in types and types[column][0] != column_type -%}
      {{ exceptions.raise_compiler_error(
          "Input error: column " ~ column ~ " has type " ~ column_type ~ " in " ~ file ~ " but "
          ~ types[column][0] ~ " in " ~ types[column][1] ~ " " ~ input_origin(var_name, path)
          ~ ". The Parquet files of one input must share one schema: export them with the same column types.") }}
    {%- endif -%}
    {%- do types.update({column: (column_type, file)}) -%}
  {%- endfor -%}
{% endmacro %}


{#- With as_of_date unset the analysis date is the latest valid order's date, so
    a single order dated in the future moves it there. Warn when that can happen. -#}
{% macro warn_if_orders_after_today() %}
  {%- set as_of = var('as_of_date') -%}
  {%- if as_of is not none and (as_of | string | trim) != '' -%}
    {{ return(none) }}
  {%- endif -%}
  {%- set path = (var('orders_path') or '') | trim -%}
  {%- set future = run_query(
      "select count(*), cast(max(ordered_at) as date), cast(" ~ dbt.current_timestamp() ~ " as date)"
      ~ " from (select " ~ parse_timestamp_utc('cast(ordered_at as ' ~ dbt.type_string() ~ ')')
      ~ " as ordered_at from " ~ input_reader_sql(path) ~ ") as parsed"
      ~ " where ordered_at >= cast(" ~ dbt.dateadd('day', 1, 'cast(' ~ dbt.current_timestamp() ~ ' as date)') ~ " as timestamp)"
      ~ " and ordered_at < cast('" ~ var('max_valid_order_date') ~ "' as timestamp)") -%}
  {%- if future.rows[0][0] > 0 -%}
    {{ log("\n" ~ "!" * 78 ~ "\nWARNING: " ~ future.rows[0][0] ~ " order(s) in var orders_path = '" ~ path
        ~ "' are dated after today (" ~ future.rows[0][2] ~ "), the latest on " ~ future.rows[0][1] ~ ".\n"
        ~ "as_of_date is not set, so the analysis date is the latest valid order's date and may be\n"
        ~ future.rows[0][1] ~ ", which makes every customer look inactive. Set as_of_date\n"
        ~ "(YYYY-MM-DD), correct those dates, or lower max_valid_order_date to reject them.\n"
        ~ "!" * 78, info=true) }}
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
  {%- set known = run_query(seed_currency_count_sql(currency)) -%}
  {%- if known.rows[0][0] == 0 -%}
    {{ exceptions.raise_compiler_error("Variable error: reporting_currency = '" ~ currency ~ "' is not in seeds/currency_rates.csv. Add a row for it or choose a listed currency.") }}
  {%- endif -%}
{% endmacro %}


{#- How many rows of seeds/currency_rates.csv carry this currency code (read
    from the file, before the seed is loaded). -#}
{% macro seed_currency_count_sql(currency) -%}
  {{ return(adapter.dispatch('seed_currency_count_sql', 'customer_value')(currency)) }}
{%- endmacro %}

{% macro default__seed_currency_count_sql(currency) -%}
  select count(*) from read_csv('seeds/currency_rates.csv', header = true, all_varchar = true)
  where upper(trim(currency_code)) = '{{ currency }}'
{%- endmacro %}

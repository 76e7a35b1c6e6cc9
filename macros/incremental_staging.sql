{#- Incremental staging (variable `incremental_staging`): the row-level parse
    of the raw files is kept per file and redone only for files that are new or
    changed. A file's version is its path, size in bytes and modification time,
    as the file system reports them (DuckDB's read_blob, which reads no content
    when only these are selected). -#}

{% macro incremental_staging_enabled() -%}
  {%- set enabled = var('incremental_staging') -%}
  {%- if enabled not in [true, false] -%}
    {{ exceptions.raise_compiler_error(
        "Variable incremental_staging must be true or false, got '" ~ enabled ~ "'.") }}
  {%- endif -%}
  {%- if enabled and target.type != 'duckdb' -%}
    {{ exceptions.raise_compiler_error(
        "Variable incremental_staging: true is available on DuckDB only (this target is "
        ~ target.type ~ "); set it to false.") }}
  {%- endif -%}
  {{ return(enabled) }}
{%- endmacro %}


{#- One row per file matching the glob: file_path, file_bytes, file_modified_at. -#}
{% macro source_file_versions(path) -%}
  (select filename as file_path, size as file_bytes, last_modified as file_modified_at
   from read_blob('{{ path | trim | replace("'", "''") }}'))
{%- endmacro %}


{#- The files matching the glob that `relation` does not hold in their current
    version (new, changed, or never loaded), as a list of paths. -#}
{% macro source_files_to_load(path, relation) -%}
  {%- if not execute -%}
    {{ return([]) }}
  {%- endif -%}
  {%- set query -%}
    with

    loaded as (
        select distinct source_file, source_file_bytes, source_file_modified_at
        from {{ relation }}
    )

    select files.file_path
    from {{ source_file_versions(path) }} as files
    left join loaded
        on
            files.file_path = loaded.source_file
            and files.file_bytes = loaded.source_file_bytes
            and files.file_modified_at = loaded.source_file_modified_at
    where loaded.source_file is null
    order by files.file_path
  {%- endset -%}
  {%- set files = run_query(query).columns[0].values() | list -%}
  {{ log("incremental staging: " ~ files | length ~ " new or changed file(s) to parse in " ~ path, info=true) }}
  {{ return(files) }}
{%- endmacro %}


{#- A filter on a file-path column: a constant list, so that DuckDB skips the
    other files instead of reading and discarding their rows. -#}
{% macro source_file_filter(column, files) -%}
  {%- if files | length == 0 -%}
    false
  {%- else -%}
    {{ column }} in (
    {%- for file in files -%}
      '{{ file | replace("'", "''") }}'{{ ", " if not loop.last }}
    {%- endfor -%}
    )
  {%- endif -%}
{%- endmacro %}


{#- Post-hook: rows of files that no longer match the glob are dropped. -#}
{% macro drop_rows_of_missing_files(path) -%}
  delete from {{ this }}
  where source_file not in (select files.file_path from {{ source_file_versions(path) }} as files)
{%- endmacro %}


{#- The key the incremental parse recomputes by: every outcome of
    stg_shop__orders_parsed is decided among the rows of one order id, and the
    rows without an order id form one group of their own. -#}
{% macro parse_order_key(order_id) -%}
  coalesce('o:' || {{ order_id }}, 'n:')
{%- endmacro %}


{#- The order keys of the rows of `rows` (aliased `alias`) whose file version
    (source_file, `loaded_at`) is not among `loads` (source_file, loaded_at):
    one side of the difference between the typed and the kept file versions. -#}
{% macro parse_keys_of_unmatched_loads(rows, alias, loaded_at, loads) -%}
select {{ parse_order_key(alias ~ '.order_id') }} as order_key
from {{ rows }}{{ ' as ' ~ alias if rows | string != alias }}
left join {{ loads }}
    on
        {{ alias }}.source_file = {{ loads }}.source_file
        and {{ alias }}.{{ loaded_at }} = {{ loads }}.loaded_at
where {{ loads }}.source_file is null
{%- endmacro %}


{#- md5 of everything besides the raw row that decides a parsed row's outcome:
    the rule variables and the contents of the currency and status seeds. -#}
{% macro parse_rules_fingerprint(currency_rates, status_map) -%}
  {%- set rule_variables = [
      var('reporting_currency') | upper | trim, var('max_order_amount'),
      var('min_valid_order_date'), var('max_valid_order_date')] | join('|') -%}
  md5(concat(
      '{{ rule_variables | replace("'", "''") }}',
      '|', (select string_agg(cast(rates as varchar), ';' order by cast(rates as varchar))
            from {{ currency_rates }} as rates),
      '|', (select string_agg(cast(statuses as varchar), ';' order by cast(statuses as varchar))
            from {{ status_map }} as statuses)
  ))
{%- endmacro %}


{#- Post-hook of the incremental parse: the older rows of every order id parsed
    again in this run (the latest parsed_at), and the rows of file versions that
    base_shop__orders_typed no longer holds (a removed file whose ids have no row
    left anywhere). -#}
{% macro delete_superseded_parsed_rows(typed) -%}
  delete from {{ this }} as kept
  where
      (
          kept.parsed_at < (select max(latest.parsed_at) from {{ this }} as latest)
          and {{ parse_order_key('kept.order_id') }} in (
              select {{ parse_order_key('latest.order_id') }}
              from {{ this }} as latest
              where latest.parsed_at = (select max(newest.parsed_at) from {{ this }} as newest)
          )
      )
      or not exists (
          select 1
          from (select distinct source_file, loaded_at from {{ typed }}) as loads
          where loads.source_file = kept.source_file and loads.loaded_at = kept.source_loaded_at
      )
{%- endmacro %}

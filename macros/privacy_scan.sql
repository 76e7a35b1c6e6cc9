{#
  Scan for personal data in clear text. personal_data_findings(relation) returns
  one row per column of the built relation whose values look like e-mail
  addresses or phone numbers, with how many do. The generic test
  no_personal_data runs it on each mart; the singular test
  assert_every_mart_scanned_for_personal_data fails when a mart lacks that test.
  Counts only: a finding never shows the value itself.

  Every column that can hold text is scanned (text, JSON, lists, structs, maps;
  nested values as their text form). A phone number is 7 or more digits written
  with an international `+`, or in 2-5 groups separated by spaces, dots, dashes
  or parentheses; ISO dates and times are ignored, and a bare run of digits
  without separators is not reported (it cannot be told from a numeric id).
#}

{% macro personal_data_email_pattern() -%}
  [^@\s]+@[^@\s]+\.[A-Za-z]{2,}
{%- endmacro %}


{#- True when the text expression holds something shaped like an e-mail address. -#}
{#- The regular expressions run only on values that pass a cheap necessary
    condition (an `@`; a `+` or a separator, then a digit), so a scan of
    millions of ids, codes and names costs a substring search, not a chain of
    regexes per value. -#}
{% macro looks_like_email(expression) -%}
  case when {{ may_hold_email(expression) }}
    then {{ adapter.dispatch('looks_like_email', 'customer_value')(expression) }}
    else false
  end
{%- endmacro %}

{% macro default__looks_like_email(expression) -%}
  coalesce(regexp_matches({{ expression }}, '{{ personal_data_email_pattern() }}'), false)
{%- endmacro %}

{% macro spark__looks_like_email(expression) -%}
  coalesce({{ expression }} rlike {{ regex_literal(personal_data_email_pattern()) }}, false)
{%- endmacro %}


{#- The cheap necessary conditions: an e-mail address holds an `@`; a phone
    number a `+` or a separator (space, dot, dash). -#}
{% macro may_hold_email(expression) -%}
  {{ expression }} like '%@%'
{%- endmacro %}

{% macro may_hold_phone(expression) -%}
  ({{ expression }} like '%+%' or {{ expression }} like '% %'
    or {{ expression }} like '%.%' or {{ expression }} like '%-%')
{%- endmacro %}

{#- False only for text that can hold neither: such values skip the regular expressions. -#}
{% macro personal_data_candidate(expression) -%}
  ({{ may_hold_email(expression) }} or {{ may_hold_phone(expression) }})
{%- endmacro %}


{#- True when the text expression holds something shaped like a phone number. -#}
{% macro looks_like_phone(expression) -%}
  case
    when {{ may_hold_phone(expression) }}
      then
        case when {{ contains_digit(expression) }}
          then {{ adapter.dispatch('looks_like_phone', 'customer_value')(expression) }}
          else false
        end
    else false
  end
{%- endmacro %}

{% macro default__looks_like_phone(expression) -%}
  {%- set without_dates = regexp_replace_all(expression, '[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9:.]+)?', ' ') -%}
  {%- set international = '(^|[^0-9A-Za-z])\\+[0-9][0-9 ().-]{5,}[0-9]' -%}
  {%- set grouped = '(^|[^0-9A-Za-z.,+])(\\(?[0-9]{2,5}\\)?([ .-]\\(?[0-9]{2,5}\\)?){2,4}|[0-9]{3,5}[ -][0-9]{4})($|[^0-9A-Za-z.,])' -%}
  coalesce(
    length({{ regexp_replace_all("regexp_extract(" ~ without_dates ~ ", " ~ regex_literal(international) ~ ", 0)", '[^0-9]', '') }}) >= 7
    or length({{ regexp_replace_all("regexp_extract(" ~ without_dates ~ ", " ~ regex_literal(grouped) ~ ", 0)", '[^0-9]', '') }}) >= 7,
    false
  )
{%- endmacro %}


{% macro contains_digit(expression) -%}
  {{ return(adapter.dispatch('contains_digit', 'customer_value')(expression)) }}
{%- endmacro %}

{% macro default__contains_digit(expression) -%}
  regexp_matches({{ expression }}, '[0-9]')
{%- endmacro %}

{% macro spark__contains_digit(expression) -%}
  {{ expression }} rlike '[0-9]'
{%- endmacro %}


{#- Whether a warehouse column type can hold text (directly or nested). -#}
{% macro personal_data_scannable(column) -%}
  {%- set data_type = column.dtype | upper -%}
  {{ return(column.is_string() or data_type in ['VARCHAR', 'TEXT', 'STRING', 'JSON', 'BLOB']
            or '[' in data_type or data_type.startswith('STRUCT') or data_type.startswith('MAP')
            or data_type.startswith('UNION')) }}
{%- endmacro %}


{#- The scan of one built relation (the generic test no_personal_data calls it
    with its model): one row per column and kind of personal data found, with
    the number of matching values; none when the relation is clean. A relation
    that is not built yields one row saying so: nothing was scanned. -#}
{% macro personal_data_findings(relation) %}
  {%- set findings = [] -%}
  {%- if execute -%}
    {%- if relation is string -%}
      {{ exceptions.raise_compiler_error(
          "no_personal_data scans the whole model: it takes no `where` config") }}
    {%- endif -%}
    {%- set relation_name = relation.identifier -%}
    {%- set built = adapter.get_relation(
        database=relation.database, schema=relation.schema, identifier=relation.identifier) -%}
    {%- if built is none -%}
      {%- do findings.append(
          "select '" ~ relation_name ~ "' as relation_name, '(whole model)' as column_name,"
          ~ " 'not built: nothing scanned' as finding, cast(null as bigint) as matching_values") -%}
    {%- else -%}
      {%- set scanned = [] -%}
      {%- for column in adapter.get_columns_in_relation(built) -%}
        {%- if personal_data_scannable(column) -%}
          {%- do scanned.append(column.name) -%}
        {%- endif -%}
      {%- endfor -%}
      {#- Per column, the values that pass the cheap necessary condition are
          grouped to their distinct values first: the regular expressions then run
          once per distinct value (weighted by its count), not once per row, since
          bands, names and reason texts repeat a lot, and ids never get grouped. -#}
      {%- for name in scanned -%}
        {%- set value = 'cast(' ~ adapter.quote(name) ~ ' as ' ~ dbt.type_string() ~ ')' -%}
        {%- set counted = "(select sum(case when " ~ looks_like_email('scanned_value') ~ " then value_count end) as emails,"
            ~ " sum(case when " ~ looks_like_phone('scanned_value') ~ " then value_count end) as phones"
            ~ " from (select " ~ value ~ " as scanned_value, count(*) as value_count from " ~ built
            ~ " where " ~ personal_data_candidate(value)
            ~ " group by " ~ value ~ ") as distinct_values)" -%}
        {%- do findings.append(
            "select * from (with counted as " ~ counted
            ~ " select '" ~ relation_name ~ "' as relation_name, '" ~ name
            ~ "' as column_name, 'e-mail addresses' as finding, emails as matching_values from counted"
            ~ " union all select '" ~ relation_name ~ "' as relation_name, '" ~ name
            ~ "' as column_name, 'phone numbers' as finding, phones as matching_values from counted"
            ~ ") as scanned where matching_values > 0") -%}
      {%- endfor -%}
    {%- endif -%}
  {%- endif -%}
  {%- if findings | length == 0 -%}
    select
        cast(null as {{ dbt.type_string() }}) as relation_name,
        cast(null as {{ dbt.type_string() }}) as column_name,
        cast(null as {{ dbt.type_string() }}) as finding,
        cast(null as bigint) as matching_values
    where 1 = 0
  {%- else -%}
    {{ findings | join('\nunion all\n') }}
  {%- endif -%}
{% endmacro %}


{#- The models under `folder` without an attached no_personal_data test, read
    from the project's graph at compile time (sorted by unique id; empty at parse
    time). For the singular test assert_every_mart_scanned_for_personal_data. -#}
{% macro personal_data_unscanned_models(folder='models/marts/') %}
  {%- set unscanned = [] -%}
  {%- if execute -%}
    {%- set scanned = [] -%}
    {%- for node in graph.nodes.values() | selectattr('resource_type', 'equalto', 'test') -%}
      {%- if (node.test_metadata or {}).get('name') == 'no_personal_data' -%}
        {%- if node.attached_node -%}
          {%- do scanned.append(node.attached_node) -%}
        {%- else -%}
          {%- do scanned.extend(node.depends_on.nodes) -%}
        {%- endif -%}
      {%- endif -%}
    {%- endfor -%}
    {%- for node in graph.nodes.values()
          | selectattr('resource_type', 'equalto', 'model')
          | selectattr('package_name', 'equalto', project_name)
          | sort(attribute='unique_id') -%}
      {%- if node.original_file_path.startswith(folder) and node.unique_id not in scanned -%}
        {%- do unscanned.append(node) -%}
      {%- endif -%}
    {%- endfor -%}
  {%- endif -%}
  {{ return(unscanned) }}
{% endmacro %}

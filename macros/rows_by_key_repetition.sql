{#- De-duplication fast path shared by the staging parses. Renders three CTEs
    over the CTE `rows` (one row per raw row, with the trimmed key column `key`):

    - keys_repeated: the keys on more than one raw row (a missing key counts as
      one key), counted on `keys_from` as `key_expression` (the narrowest
      relation that has the key, so the count need not compute the parse);
    - versioned_single: the rows of every other key, each its own version and its
      own only copy (version_rank = `single_version_rank`, copy_number = 1);
    - rows_repeated: the rows of repeated or missing keys, for the caller to rank
      with window functions.

    Only repeated keys can have another version or an exact copy, so the window
    functions run on these few rows instead of on every row. -#}
{% macro rows_by_key_repetition(rows, key, single_version_rank, keys_from, key_expression) -%}
keys_repeated as (

    select {{ key_expression }} as repeated_key
    from {{ keys_from }}
    group by {{ key_expression }}
    having count(*) > 1

),

versioned_single as (

    select
        {{ rows }}.*,
        {{ single_version_rank }} as version_rank,
        cast(1 as {{ dbt.type_bigint() }}) as copy_number
    from {{ rows }}
    left join keys_repeated
        on {{ rows }}.{{ key }} = keys_repeated.repeated_key
    where {{ rows }}.{{ key }} is not null and keys_repeated.repeated_key is null

),

rows_repeated as (

    select {{ rows }}.*
    from {{ rows }}
    left join keys_repeated
        on {{ rows }}.{{ key }} = keys_repeated.repeated_key
    where {{ rows }}.{{ key }} is null or keys_repeated.repeated_key is not null

)
{%- endmacro %}

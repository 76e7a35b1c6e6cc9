{#- Every raw row is accounted for: a direct count of the raw files equals
    staged + rejected + collapsed duplicates in the reconciliation mart. -#}
with

raw_counts as (

    select
        'orders' as source_table,
        count(*) as raw_rows
    from {{ source('shop', 'orders') }}
    union all
    select
        'customers' as source_table,
        count(*) as raw_rows
    from {{ source('shop', 'customers') }}

),

reconciliation as (

    select * from {{ ref('fct_source_row_reconciliation') }}

)

select
    raw_counts.source_table,
    raw_counts.raw_rows,
    reconciliation.rows_staged,
    reconciliation.rows_rejected,
    reconciliation.rows_collapsed_duplicate
from raw_counts
left join reconciliation
    on raw_counts.source_table = reconciliation.source_table
where
    coalesce(
        reconciliation.rows_staged + reconciliation.rows_rejected
        + reconciliation.rows_collapsed_duplicate, 0
    ) != raw_counts.raw_rows

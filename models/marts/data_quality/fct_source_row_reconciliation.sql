{#- Where every raw row went, per source table: staged, rejected with a reason,
    or collapsed as an exact duplicate of a staged row. rows_read must equal the
    sum of the three; the test assert_raw_rows_conserved also checks rows_read
    against a direct count of the raw files. -#}

with

orders as (

    select * from {{ ref('stg_shop__orders_parsed') }}

),

customers as (

    select * from {{ ref('stg_shop__customers_parsed') }}

),

outcomes as (

    select
        'orders' as source_table,
        row_outcome
    from orders
    union all
    select
        'customers' as source_table,
        row_outcome
    from customers

),

final as (

    select
        source_table,
        count(*) as rows_read,
        count(case when row_outcome = 'staged' then 1 end) as rows_staged,
        count(case when row_outcome = 'rejected' then 1 end) as rows_rejected,
        count(case when row_outcome = 'collapsed_duplicate' then 1 end)
            as rows_collapsed_duplicate
    from outcomes
    group by source_table

)

select
    *,
    rows_read = rows_staged + rows_rejected + rows_collapsed_duplicate as is_balanced
from final

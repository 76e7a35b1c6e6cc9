{#- fct_high_value_customers holds exactly ceil(high_value_share x buyers)
    customers, and every listed customer's value index is at least that of
    every customer left out. -#}
with

grid as (

    select * from {{ ref('fct_customer_value_grid') }}

),

listed as (

    select * from {{ ref('fct_high_value_customers') }}

),

expected as (

    select cast(ceiling({{ var('high_value_share') }} * count(*)) as integer) as list_size
    from grid

),

checks as (

    select
        (select count(*) from listed) as listed_customers,
        (select list_size from expected) as expected_customers,
        (select min(value_index) from listed) as lowest_listed_index,
        (
            select max(grid.value_index) from grid
            where grid.customer_id not in (select listed.customer_id from listed)
        ) as highest_unlisted_index

)

select *
from checks
where
    listed_customers != expected_customers
    or lowest_listed_index < highest_unlisted_index

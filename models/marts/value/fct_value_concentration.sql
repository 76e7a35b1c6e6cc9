{#- The Pareto check of the source texts: the share of revenue (all time) and
    of predicted CLV held by the top 1 %, 5 %, 10 % and 20 % of customers with a
    purchase (ranked by each measure), and per value-grid cell: customers,
    revenue, CLV and their shares. -#}

with

grid as (

    select * from {{ ref('fct_customer_value_grid') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

buyers as (

    select
        grid.customer_id,
        grid.value_grid_cell,
        grid.value_grid_cell_name,
        cast(customers.monetary_total as double) as revenue,
        grid.potential_value as clv,
        row_number() over (order by customers.monetary_total desc, grid.customer_id asc) as revenue_rank,
        row_number() over (order by grid.potential_value desc, grid.customer_id asc) as clv_rank,
        count(*) over () as n_buyers
    from grid
    inner join customers
        on grid.customer_id = customers.customer_id

),

totals as (

    select
        count(*) as total_customers,
        sum(revenue) as total_revenue,
        sum(clv) as total_clv
    from buyers

),

top_shares as (

    select 0.01 as top_share
    union all
    select 0.05
    union all
    select 0.10
    union all
    select 0.20

),

by_top_share as (

    select
        'top_share' as breakdown,
        cast(cast(top_shares.top_share * 100 as integer) as {{ dbt.type_string() }}) || ' %' as segment,
        top_shares.top_share as segment_order,
        count(case when buyers.revenue_rank <= ceiling(top_shares.top_share * buyers.n_buyers) then 1 end)
            as customers,
        sum(
            case when buyers.revenue_rank <= ceiling(top_shares.top_share * buyers.n_buyers) then buyers.revenue end
        ) as revenue,
        sum(case when buyers.clv_rank <= ceiling(top_shares.top_share * buyers.n_buyers) then buyers.clv end)
            as clv
    from top_shares
    cross join buyers
    group by top_shares.top_share

),

by_cell as (

    select
        'value_grid_cell' as breakdown,
        value_grid_cell || ' ' || value_grid_cell_name as segment,
        0 as segment_order,
        count(*) as customers,
        sum(revenue) as revenue,
        sum(clv) as clv
    from buyers
    group by value_grid_cell, value_grid_cell_name

),

unioned as (

    select * from by_top_share
    union all
    select * from by_cell

),

final as (

    select
        unioned.breakdown,
        unioned.segment,
        unioned.customers,
        case when unioned.breakdown = 'top_share' then unioned.segment_order end as top_share,
        unioned.customers * 1.0 / nullif(totals.total_customers, 0) as customer_share,
        coalesce(unioned.revenue, 0) as revenue,
        coalesce(unioned.revenue / nullif(totals.total_revenue, 0), 0) as revenue_share,
        coalesce(unioned.clv, 0) as clv,
        coalesce(unioned.clv / nullif(totals.total_clv, 0), 0) as clv_share
    from unioned
    cross join totals

)

select * from final

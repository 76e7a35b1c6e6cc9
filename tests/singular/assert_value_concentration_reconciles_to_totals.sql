{#- The value-grid cells of fct_value_concentration partition the buyers: their
    customers, revenue and CLV add up to the totals of dim_customers and
    fct_customer_clv, and their shares to 1. -#}
with

cells as (

    select * from {{ ref('fct_value_concentration') }}
    where breakdown = 'value_grid_cell'

),

customers as (

    select * from {{ ref('dim_customers') }}
    where has_purchased

),

clv as (

    select * from {{ ref('fct_customer_clv') }}

),

sums as (

    select
        sum(customers) as cell_customers,
        sum(revenue) as cell_revenue,
        sum(clv) as cell_clv,
        sum(revenue_share) as revenue_share,
        sum(clv_share) as clv_share,
        sum(customer_share) as customer_share
    from cells

),

totals as (

    select
        (select count(*) from customers) as buyers,
        (select sum(cast(monetary_total as double)) from customers) as revenue,
        (select sum(clv_discounted) from clv) as clv

)

select
    sums.*,
    totals.*
from sums
cross join totals
where
    sums.cell_customers != totals.buyers
    or abs(sums.cell_revenue - totals.revenue) > 0.01
    or abs(sums.cell_clv - totals.clv) > 0.01
    or abs(sums.revenue_share - 1) > 1e-9
    or abs(sums.clv_share - 1) > 1e-9
    or abs(sums.customer_share - 1) > 1e-9

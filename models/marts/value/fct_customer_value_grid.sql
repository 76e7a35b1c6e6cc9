{#- The three-dimensional value grid per customer with a purchase: current
    value, potential value and loyalty, each high or low against a cut-off,
    giving one of 8 cells with a name and a recommended action
    (seeds/value_grid_actions.csv), and the value index that ranks customers
    for fct_high_value_customers. See the doc block value_grid. -#}

{%- set window_days = var('value_grid_current_window_days') -%}
{%- set quantile = var('value_grid_cutoff_quantile') -%}

with

orders as (

    select * from {{ ref('int_orders_sequenced') }}

),

clv as (

    select * from {{ ref('fct_customer_clv') }}

),

actions as (

    select * from {{ ref('value_grid_actions') }}

),

current_value as (

    select
        customer_id,
        sum(
            case when days_before_as_of < {{ window_days }} then amount_reporting else 0 end
        ) * {{ var('clv_gross_margin') }} as current_value
    from orders
    where is_purchase
    group by customer_id

),

dimensions as (

    select
        clv.customer_id,
        cast(coalesce(current_value.current_value, 0) as double) as current_value,
        clv.clv_discounted as potential_value,
        {#- one-time buyers have not shown loyalty yet: BG/NBD gives them
            P(alive) = 1, which says nothing about loyalty -#}
        
        case when clv.frequency_x > 0 then clv.p_alive end as loyalty_score
    from clv
    left join current_value
        on clv.customer_id = current_value.customer_id

),

cutoffs as (

    select
        {{ quantile_cont("current_value", quantile) }} as current_value_cutoff,
        {{ quantile_cont("potential_value", quantile) }} as potential_value_cutoff,
        {{ quantile_cont("loyalty_score", quantile) }} as loyalty_cutoff
    from dimensions

),

graded as (

    select
        dimensions.*,
        cutoffs.current_value_cutoff,
        cutoffs.potential_value_cutoff,
        cutoffs.loyalty_cutoff,
        dimensions.current_value > cutoffs.current_value_cutoff as is_current_value_high,
        dimensions.potential_value > cutoffs.potential_value_cutoff as is_potential_value_high,
        coalesce(dimensions.loyalty_score > cutoffs.loyalty_cutoff, false) as is_loyalty_high,
        percent_rank() over (order by dimensions.current_value) as current_value_percentile,
        percent_rank() over (order by dimensions.potential_value) as potential_value_percentile
    from dimensions
    cross join cutoffs

),

indexed as (

    select
        *,
        cast(round((current_value_percentile + potential_value_percentile) / 2, 9) as double)
            as value_index,
        (case when is_current_value_high then 'H' else 'L' end)
        || (case when is_potential_value_high then 'H' else 'L' end)
        || (case when is_loyalty_high then 'H' else 'L' end) as value_grid_cell
    from graded

),

final as (

    select
        indexed.customer_id,
        indexed.current_value,
        indexed.potential_value,
        indexed.loyalty_score,
        indexed.current_value_cutoff,
        indexed.potential_value_cutoff,
        indexed.loyalty_cutoff,
        indexed.is_current_value_high,
        indexed.is_potential_value_high,
        indexed.is_loyalty_high,
        indexed.value_grid_cell,
        actions.cell_name as value_grid_cell_name,
        actions.recommended_action as value_grid_action,
        indexed.current_value_percentile,
        indexed.potential_value_percentile,
        indexed.value_index,
        row_number() over (order by indexed.value_index desc, indexed.customer_id asc) as value_index_rank
    from indexed
    left join actions
        on indexed.value_grid_cell = actions.cell_code

)

select * from final

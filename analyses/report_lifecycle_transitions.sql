-- Visual report, lifecycle flow (right): the stage transition matrix over the
-- last 12 months of the history: customers moving from each stage at a month
-- end to each stage a month later, and the share of the from-stage.

with

transitions as (

    select * from {{ ref('fct_lifecycle_transitions') }}

),

ranked as (

    select
        from_stage,
        to_stage,
        customers,
        dense_rank() over (order by month_end_date desc) as months_back
    from transitions

),

summed as (

    select
        from_stage,
        to_stage,
        sum(customers) as customers
    from ranked
    where months_back <= 12
    group by from_stage, to_stage

),

final as (

    select
        from_stage,
        to_stage,
        customers,
        cast(customers as double)
        / sum(customers) over (partition by from_stage) as share_of_from_stage
    from summed

)

select * from final
order by from_stage asc, to_stage asc

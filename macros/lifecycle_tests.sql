{#
  Data tests of the lifecycle marts. Each returns the failing rows.
#}

{#- Every customer of `customers` has exactly one row in the model, and the model
    has no other customer. -#}
{% test lifecycle_covers_customers(model, customers, column_name='customer_id') %}
with

expected as (

    select {{ column_name }} as customer_id from {{ customers }}

),

actual as (

    select {{ column_name }} as customer_id, count(*) as n_rows
    from {{ model }}
    group by {{ column_name }}

)

select
    coalesce(expected.customer_id, actual.customer_id) as customer_id,
    coalesce(actual.n_rows, 0) as n_rows,
    expected.customer_id is not null as is_expected
from expected
full outer join actual
    on expected.customer_id = actual.customer_id
where expected.customer_id is null or actual.customer_id is null or actual.n_rows != 1
{% endtest %}


{#- The current stage agrees with the monthly history: it is the stage of the
    customer's as-of snapshot (taken on as_of_date, which is the month-end row when
    as_of_date is a month end), and every snapshot on or after the date the stage was
    entered shows that stage. Customers without a purchase have no history. -#}
{% test lifecycle_current_matches_history(model, history) %}
with

current_stages as (

    select customer_id, lifecycle_stage, stage_entered_date, as_of_date
    from {{ model }}
    where has_purchased

),

history as (

    select customer_id, month_end_date, snapshot_date, is_as_of_month, lifecycle_stage
    from {{ history }}

),

as_of_snapshots as (

    select * from history
    where is_as_of_month

),

differs_from_as_of_snapshot as (

    select
        current_stages.customer_id,
        'current stage is not the stage of the as-of snapshot' as failure
    from current_stages
    left join as_of_snapshots
        on current_stages.customer_id = as_of_snapshots.customer_id
    where
        as_of_snapshots.customer_id is null
        or as_of_snapshots.lifecycle_stage != current_stages.lifecycle_stage
        or as_of_snapshots.snapshot_date != current_stages.as_of_date
        or (
            as_of_snapshots.month_end_date = current_stages.as_of_date
            and as_of_snapshots.snapshot_date != as_of_snapshots.month_end_date
        )

),

differs_since_entered as (

    select
        current_stages.customer_id,
        'a snapshot since the stage was entered shows another stage' as failure
    from current_stages
    inner join history
        on
            current_stages.customer_id = history.customer_id
            and history.snapshot_date >= current_stages.stage_entered_date
    where history.lifecycle_stage != current_stages.lifecycle_stage

)

select * from differs_from_as_of_snapshot
union all
select * from differs_since_entered
{% endtest %}


{#- The history of every customer is one row per month, consecutive from the first
    purchase month (months_since_first_purchase = 0) to the as-of month, with no
    duplicate and no gap; and previous_month_stage of every row is the stage of the
    row one month earlier ('prospect' in the first-purchase month). One ordered pass. -#}
{% test lifecycle_history_is_consistent(model) %}
with

as_of_month as (

    select max(month_end_date) as month_end_date from {{ model }}

),

ordered as (

    select
        customer_id,
        month_end_date,
        months_since_first_purchase,
        is_as_of_month,
        lifecycle_stage,
        previous_month_stage,
        lag(months_since_first_purchase) over (
            partition by customer_id order by months_since_first_purchase, month_end_date
        ) as months_since_first_purchase_before,
        lag(lifecycle_stage) over (
            partition by customer_id order by months_since_first_purchase, month_end_date
        ) as stage_one_month_earlier,
        lead(month_end_date) over (
            partition by customer_id order by months_since_first_purchase, month_end_date
        ) as next_month_end_date
    from {{ model }}

)

select ordered.*
from ordered
cross join as_of_month
where
    coalesce(ordered.months_since_first_purchase_before + 1, 0) != ordered.months_since_first_purchase
    or coalesce(ordered.stage_one_month_earlier, 'prospect') != ordered.previous_month_stage
    or (ordered.next_month_end_date is null) != ordered.is_as_of_month
    or (ordered.is_as_of_month and ordered.month_end_date != as_of_month.month_end_date)
{% endtest %}


{#- The transition counts agree with the stage counts of the monthly history: per
    month, the customers arriving in each stage are the customers in that stage at
    the month's snapshot, and the customers leaving each stage are those in it one
    month earlier (new customers leave 'prospect'). -#}
{% test lifecycle_transitions_match_history(model, history) %}
with

stage_counts as (

    select month_end_date, lifecycle_stage, count(*) as customers
    from {{ history }}
    group by month_end_date, lifecycle_stage

),

new_customers as (

    select month_end_date, 'prospect' as lifecycle_stage, count(*) as customers
    from {{ history }}
    where months_since_first_purchase = 0
    group by month_end_date

),

months as (

    select distinct
        month_end_date,
        {{ lifecycle_month_index('month_end_date') }} as month_index
    from {{ history }}

),

expected_from as (

    select
        later.month_end_date,
        stage_counts.lifecycle_stage as stage,
        stage_counts.customers
    from months as later
    inner join months as earlier
        on later.month_index = earlier.month_index + 1
    inner join stage_counts
        on earlier.month_end_date = stage_counts.month_end_date

    union all

    select month_end_date, lifecycle_stage, customers from new_customers

),

actual_from as (

    select month_end_date, from_stage as stage, sum(customers) as customers
    from {{ model }}
    group by month_end_date, from_stage

),

actual_to as (

    select month_end_date, to_stage as stage, sum(customers) as customers
    from {{ model }}
    group by month_end_date, to_stage

),

from_differences as (

    select
        coalesce(expected_from.month_end_date, actual_from.month_end_date) as month_end_date,
        coalesce(expected_from.stage, actual_from.stage) as stage,
        'from' as side,
        expected_from.customers as expected_customers,
        actual_from.customers as actual_customers
    from expected_from
    full outer join actual_from
        on
            expected_from.month_end_date = actual_from.month_end_date
            and expected_from.stage = actual_from.stage
    where coalesce(expected_from.customers, -1) != coalesce(actual_from.customers, -1)

),

to_differences as (

    select
        coalesce(stage_counts.month_end_date, actual_to.month_end_date) as month_end_date,
        coalesce(stage_counts.lifecycle_stage, actual_to.stage) as stage,
        'to' as side,
        stage_counts.customers as expected_customers,
        actual_to.customers as actual_customers
    from stage_counts
    full outer join actual_to
        on
            stage_counts.month_end_date = actual_to.month_end_date
            and stage_counts.lifecycle_stage = actual_to.stage
    where coalesce(stage_counts.customers, -1) != coalesce(actual_to.customers, -1)

)

select * from from_differences
union all
select * from to_differences
{% endtest %}


{#- The sum of a count column equals the number of rows of another model. -#}
{% test lifecycle_total_matches_rows(model, column_name, compare) %}
select total, expected
from (
    select
        (select sum({{ column_name }}) from {{ model }}) as total,
        (select count(*) from {{ compare }}) as expected
) as totals
where total is null or total != expected
{% endtest %}

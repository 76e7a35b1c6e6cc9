-- Visual report, lifecycle flow (left): customers in each stage at every
-- month's snapshot (the to_stage of that month's transitions).

select
    month_end_date,
    to_stage as lifecycle_stage,
    sum(customers) as customers
from {{ ref('fct_lifecycle_transitions') }}
group by month_end_date, to_stage
order by month_end_date asc, lifecycle_stage asc

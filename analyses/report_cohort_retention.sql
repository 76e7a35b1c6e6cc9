-- Visual report, cohort heatmap: for each first-purchase cohort and month since
-- the first purchase, the share of the cohort buying in that month and the
-- share still active (new, active or reactivated).

select
    first_purchase_month,
    months_since_first_purchase,
    cohort_customers,
    purchasing_share,
    active_share,
    repeat_share
from {{ ref('fct_cohort_retention') }}
order by first_purchase_month asc, months_since_first_purchase asc

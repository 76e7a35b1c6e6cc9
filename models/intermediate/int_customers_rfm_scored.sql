{#- R, F and M scores (1-5), the RFM code, the named segment, the 8-class value
    model and the ABC tier for every customer with a purchase.
    See the doc block rfm_scoring for the formulas and the tie rule. -#}

{%- set score_window = var('rfm_score_window_days') -%}
{%- set suffix = '' if score_window is none else '_' ~ score_window ~ 'd' -%}
{%- set weights = var('rfm_weights') -%}

with

rfm as (

    select * from {{ ref('int_customers_rfm_windowed') }}

),

segments as (

    select * from {{ ref('rfm_segments') }}

),

scoring_inputs as (

    select
        customer_id,
        recency_days as score_recency_days,
        frequency_orders{{ suffix }} as score_frequency,
        monetary_total{{ suffix }} as score_monetary,
        monetary_total as value_for_abc
    from rfm

),

ranked as (

    {#- rank() - 1 = number of customers with a strictly worse value; ties share
        it, so a score never depends on row order. -#}
    select
        *,
        count(*) over () as n_customers,
        rank() over (order by score_recency_days desc) - 1 as n_worse_recency,
        rank() over (order by score_frequency asc) - 1 as n_worse_frequency,
        rank() over (order by score_monetary asc) - 1 as n_worse_monetary,
        avg(score_recency_days) over () as mean_recency_days,
        avg(score_frequency) over () as mean_frequency,
        avg(score_monetary) over () as mean_monetary,
        sum(value_for_abc) over () as total_value,
        sum(value_for_abc) over (
            order by value_for_abc desc
            range between unbounded preceding and current row
        ) as cumulative_value_through_peers,
        sum(value_for_abc) over (partition by value_for_abc) as peers_value
    from scoring_inputs

),

scored as (

    select
        customer_id,
        cast(1 + floor(5.0 * n_worse_recency / n_customers) as integer) as r_score,
        cast(1 + floor(5.0 * n_worse_frequency / n_customers) as integer) as f_score,
        cast(1 + floor(5.0 * n_worse_monetary / n_customers) as integer) as m_score,
        value_for_abc,
        score_recency_days < mean_recency_days as is_recency_high,
        score_frequency > mean_frequency as is_frequency_high,
        score_monetary > mean_monetary as is_monetary_high,
        case when total_value > 0
                then cast(cumulative_value_through_peers - peers_value as double) / total_value
        end as value_share_before,
        case when total_value > 0
                then cast(cumulative_value_through_peers as double) / total_value
        end as value_cumulative_share
    from ranked

),

coded as (

    select
        *,
        cast(floor((f_score + m_score) / 2.0 + 0.5) as integer) as fm_score,
        cast(round(
            {{ weights['r'] }} * r_score + {{ weights['f'] }} * f_score + {{ weights['m'] }} * m_score, 6
        ) as double) as rfm_weighted_score,
        'R' || cast(r_score as {{ dbt.type_string() }})
        || 'F' || cast(f_score as {{ dbt.type_string() }})
        || 'M' || cast(m_score as {{ dbt.type_string() }}) as rfm_code,
        case
            when is_recency_high and is_frequency_high and is_monetary_high
                then 'Important value'
            when is_recency_high and not is_frequency_high and is_monetary_high
                then 'Important development'
            when not is_recency_high and is_frequency_high and is_monetary_high
                then 'Important retention'
            when not is_recency_high and not is_frequency_high and is_monetary_high
                then 'Important win-back'
            when is_recency_high and is_frequency_high
                then 'General value'
            when is_recency_high
                then 'General development'
            when is_frequency_high
                then 'General retention'
            else 'General win-back'
        end as value_class,
        case
            when value_for_abc > 0 and value_share_before < {{ var('abc_a_share') }} then 'A'
            when value_for_abc > 0 and value_share_before < {{ var('abc_b_share') }} then 'B'
            else 'C'
        end as abc_tier
    from scored

),

weighted as (

    {#- percent_rank: ties share a percentile, so it never depends on row order -#}
    select
        *,
        percent_rank() over (order by rfm_weighted_score) as rfm_weighted_percentile
    from coded

),

final as (

    select
        weighted.customer_id,
        weighted.r_score,
        weighted.f_score,
        weighted.m_score,
        weighted.fm_score,
        weighted.rfm_code,
        weighted.rfm_weighted_score,
        weighted.rfm_weighted_percentile,
        segments.segment_name as rfm_segment,
        segments.shopify_rfm_group,
        weighted.is_recency_high,
        weighted.is_frequency_high,
        weighted.is_monetary_high,
        weighted.value_class,
        weighted.abc_tier,
        weighted.value_cumulative_share
    from weighted
    left join segments
        on
            weighted.r_score between segments.r_score_min and segments.r_score_max
            and weighted.fm_score between segments.fm_score_min and segments.fm_score_max

)

select * from final

{#- seeds/rfm_segments.csv must assign exactly one segment to each of the 25
    (R score, FM score) cells; an edit that leaves a gap or an overlap fails. -#}
with

scores as (

    select 1 as score
    union all
    select 2
    union all
    select 3
    union all
    select 4
    union all
    select 5

),

cells as (

    select
        r.score as r_score,
        fm.score as fm_score
    from scores as r
    cross join scores as fm

),

segments as (

    select * from {{ ref('rfm_segments') }}

)

select
    cells.r_score,
    cells.fm_score,
    count(segments.segment_name) as n_segments
from cells
left join segments
    on
        cells.r_score between segments.r_score_min and segments.r_score_max
        and cells.fm_score between segments.fm_score_min and segments.fm_score_max
group by cells.r_score, cells.fm_score
having count(segments.segment_name) != 1

{#- The analysis date every model uses: the variable as_of_date when set,
    otherwise the date of the latest valid order. One row. -#}

with

orders as (

    select * from {{ ref('stg_shop__orders') }}

),

latest_order as (

    select max(ordered_date) as latest_order_date
    from orders

),

final as (

    select
        {% if var('as_of_date') -%}
            cast('{{ var("as_of_date") }}' as date) as as_of_date,
            'variable' as as_of_date_source,
        {%- else -%}
            latest_order_date as as_of_date,
            'latest_order' as as_of_date_source,
        {%- endif %}
        latest_order_date,
        '{{ var("reporting_currency") | upper | trim }}' as reporting_currency
    from latest_order

)

select * from final

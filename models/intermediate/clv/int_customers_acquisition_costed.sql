{#- Acquisition cost (CAC) per customer with a purchase: the marketing spend of
    the customer's acquisition channel in the month of the first purchase
    (seeds/marketing_spend.csv), shared equally among the customers of that
    channel whose first purchase fell in that month. Null, with the reason in
    cac_status, when the customer has no channel, the seed has no spend for
    the channel and month, or the spend is zero. -#}

with

customers as (

    select * from {{ ref('stg_shop__customers') }}

),

rfm as (

    select * from {{ ref('int_customers_rfm_windowed') }}

),

marketing_spend as (

    select * from {{ ref('marketing_spend') }}

),

acquired as (

    select
        rfm.customer_id,
        customers.acquisition_channel,
        cast({{ dbt.date_trunc('month', 'rfm.first_purchase_date') }} as date) as acquisition_month
    from rfm
    left join customers
        on rfm.customer_id = customers.customer_id

),

cohorts as (

    select
        acquisition_channel,
        acquisition_month,
        count(*) as customers_acquired
    from acquired
    where acquisition_channel is not null
    group by acquisition_channel, acquisition_month

),

costed as (

    select
        acquired.customer_id,
        acquired.acquisition_channel,
        acquired.acquisition_month,
        cohorts.customers_acquired,
        marketing_spend.spend as channel_month_spend,
        case
            when acquired.acquisition_channel is null then 'no_acquisition_channel'
            when marketing_spend.spend is null then 'no_spend_for_channel_month'
            when marketing_spend.spend <= 0 then 'zero_spend_channel'
            else 'allocated'
        end as cac_status
    from acquired
    left join cohorts
        on
            acquired.acquisition_channel = cohorts.acquisition_channel
            and acquired.acquisition_month = cohorts.acquisition_month
    left join marketing_spend
        on
            acquired.acquisition_channel = marketing_spend.acquisition_channel
            and acquired.acquisition_month = marketing_spend.spend_month

),

final as (

    select
        customer_id,
        acquisition_channel,
        acquisition_month,
        customers_acquired,
        channel_month_spend,
        cac_status,
        case
            when cac_status = 'allocated'
                then cast(channel_month_spend / customers_acquired as decimal(18, 2))
        end as acquisition_cost
    from costed

)

select * from final

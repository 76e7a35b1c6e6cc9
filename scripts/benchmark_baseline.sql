-- Hand-written baseline for scripts/benchmark.py: the same staging and RFM
-- outputs as the dbt project (parse, validate, de-duplicate, convert, hash PII,
-- RFM windows and 1-5 scores), written directly as one DuckDB script with no
-- framework around it. {orders} and {customers} are replaced by the paths.

create table rates as
select upper(currency_code) as currency_code, cast(units_per_usd as double) as units_per_usd
from read_csv('seeds/currency_rates.csv', header = true);

create table statuses as
select raw_status, order_status, cast(is_purchase as boolean) as is_purchase,
    cast(version_precedence as integer) as version_precedence
from read_csv('seeds/order_status_map.csv', header = true, all_varchar = true);

create table orders_parsed as
with raw as (
    select
        nullif(trim(cast(order_id as varchar)), '') as order_id,
        nullif(trim(cast(customer_id as varchar)), '') as customer_id,
        cast(try_cast(trim(cast(ordered_at as varchar)) as timestamptz) at time zone 'UTC' as timestamp)
            as ordered_at,
        try_cast(trim(cast(amount as varchar)) as decimal(38, 4)) as amount,
        coalesce(nullif(upper(trim(cast(currency as varchar))), ''), 'USD') as currency_code,
        coalesce(nullif(lower(trim(cast(status as varchar))), ''), 'completed') as raw_status
    from read_parquet('{orders}')
),
checked as (
    select raw.*, statuses.order_status, statuses.is_purchase, statuses.version_precedence,
        cast(round(raw.amount / rates.units_per_usd, 2) as decimal(18, 2)) as amount_usd,
        case
            when order_id is null then 'missing_order_id'
            when customer_id is null then 'missing_customer_id'
            when ordered_at is null then 'unparseable_ordered_at'
            when ordered_at < timestamp '2000-01-01' or ordered_at >= timestamp '2100-01-01'
                then 'ordered_at_out_of_range'
            when raw.amount is null then 'unparseable_amount'
            when raw.amount < 0 then 'negative_amount'
            when rates.units_per_usd is null then 'unknown_currency'
            when raw.amount / rates.units_per_usd > 100000 then 'amount_above_max'
            when statuses.order_status is null then 'unknown_status'
        end as failure
    from raw
    left join rates using (currency_code)
    left join statuses using (raw_status)
)
select *,
    row_number() over (
        partition by order_id
        order by version_precedence desc, ordered_at desc, amount desc, customer_id desc
    ) as version_rank
from checked;

create table rejected as
select * from orders_parsed where failure is not null;

create table orders as
select order_id, customer_id, ordered_at, cast(ordered_at as date) as ordered_date,
    order_status, is_purchase, amount_usd
from orders_parsed
where failure is null and version_rank = 1;

create table customers as
select customer_id, sha256('salt|' || lower(trim(email))) as email_hash,
    sha256('salt|' || regexp_replace(phone, '[^0-9]', '', 'g')) as phone_hash,
    upper(trim(country)) as country_code, lower(trim(acquisition_channel)) as acquisition_channel
from (
    select *, row_number() over (partition by customer_id order by created_at) as rn
    from read_parquet('{customers}')
    where nullif(trim(customer_id), '') is not null
)
where rn = 1;

create table rfm as
with as_of as (select max(ordered_date) as as_of_date from orders),
purchases as (
    select orders.*, date_diff('day', ordered_date, as_of.as_of_date) as days_before
    from orders, as_of
    where is_purchase
)
select customer_id,
    min(days_before) as recency_days,
    count(*) as frequency_orders,
    count(distinct ordered_date) as purchase_days,
    sum(amount_usd) as monetary_total,
    avg(case when amount_usd > 0 then amount_usd end) as monetary_avg,
    count(case when days_before < 30 then 1 end) as frequency_30d,
    sum(case when days_before < 30 then amount_usd else 0 end) as monetary_30d,
    count(case when days_before < 90 then 1 end) as frequency_90d,
    sum(case when days_before < 90 then amount_usd else 0 end) as monetary_90d,
    count(case when days_before < 180 then 1 end) as frequency_180d,
    sum(case when days_before < 180 then amount_usd else 0 end) as monetary_180d,
    count(case when days_before < 365 then 1 end) as frequency_365d,
    sum(case when days_before < 365 then amount_usd else 0 end) as monetary_365d
from purchases
group by customer_id;

create table rfm_scored as
select *,
    1 + floor(5.0 * (rank() over (order by recency_days desc) - 1) / count(*) over ()) as r_score,
    1 + floor(5.0 * (rank() over (order by frequency_orders) - 1) / count(*) over ()) as f_score,
    1 + floor(5.0 * (rank() over (order by monetary_total) - 1) / count(*) over ()) as m_score
from rfm;

create table customer_profile as
select coalesce(customers.customer_id, rfm_scored.customer_id) as customer_id,
    customers.email_hash, customers.country_code, customers.acquisition_channel,
    rfm_scored.* exclude (customer_id)
from customers
full outer join rfm_scored using (customer_id);

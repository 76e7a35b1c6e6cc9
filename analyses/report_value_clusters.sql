-- Visual report, value cluster profile: each LRFMC cluster's centre in
-- standardised units (0 = the average customer; a high R means long ago), with
-- its unique label, size and shares of customers and revenue.

select
    cluster_id,
    cluster_name,
    cluster_label,
    customers,
    customer_share,
    revenue_share,
    centroid_z_length_days,
    centroid_z_recency_days,
    centroid_z_frequency_orders,
    centroid_z_monetary_total,
    centroid_z_discount_share_avg,
    k,
    k_selected_by,
    silhouette
from {{ ref('dim_value_clusters') }}
order by cluster_id asc

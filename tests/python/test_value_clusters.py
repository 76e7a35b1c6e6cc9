"""LRFMC value clusters: planted clusters are recovered, named by the documented
rule, profiled consistently, and the results do not depend on row order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score, silhouette_score

from customer_value import value_clusters as vc

# Planted groups: (L days, R days, F orders, M spend, C discount share) medians,
# and the name the rule must give each (value = mean of the F and M positions,
# recent = R below the mean).
PLANTED = {
    "loyal": ((900, 10, 40, 4_000, 0.05), "important retention"),
    "lapsing_big": ((800, 400, 30, 3_000, 0.05), "important win-back"),
    "newcomers": ((40, 15, 2, 80, 0.30), "important development"),
    "gone": ((500, 450, 1, 40, 0.02), "low value"),
}


def planted_customers(n_per_group: int, seed: int = 3) -> pd.DataFrame:
    """Customers drawn log-normally (sd 0.25 on the log scale) around each
    planted centre; the column ``truth`` holds the group."""
    rng = np.random.default_rng(seed)
    frames = []
    for group, (centre, _) in PLANTED.items():
        spread = np.exp(rng.normal(0.0, 0.25, size=(n_per_group, 5)))
        values = np.asarray(centre, dtype=float) * spread
        frames.append(
            pd.DataFrame(
                {
                    "length_days": np.round(values[:, 0]),
                    "recency_days": np.round(values[:, 1]),
                    "frequency_orders": np.maximum(np.round(values[:, 2]), 1),
                    "monetary_total": np.round(values[:, 3], 2),
                    "discount_share_avg": np.clip(values[:, 4], 0, 1),
                    "truth": group,
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    frame["customer_id"] = [f"c{i:06d}" for i in rng.permutation(len(frame))]
    frame["as_of_date"] = pd.Timestamp("2025-12-31")
    return frame


def test_silhouettes_computed_in_blocks_equal_scikit_learns():
    """Duplicate rows (zero distances), a cluster of one, labels that are not
    0 .. k - 1, and more rows than one block of distances (a row's distance to
    itself must be exactly 0 in every block)."""
    rng = np.random.default_rng(11)
    rows = rng.normal(size=(vc.SILHOUETTE_BLOCK_ROWS + 88, 5))
    rows[:40] = rows[0]
    labelings = [rng.integers(0, k, len(rows)) for k in (2, 3, 8)]
    labelings.append(np.r_[5, np.full(len(rows) - 1, 9)])
    labelings.append(np.where(rows[:, 0] > 0, 7, 3))
    ours = vc.silhouettes_of(rows, labelings)
    assert ours == pytest.approx(
        [silhouette_score(rows, labels) for labels in labelings], abs=1e-12
    )
    assert vc.silhouettes_of(rows, []) == []


def test_planted_clusters_are_recovered_with_k_chosen_by_silhouette():
    customers = planted_customers(300)
    assigned = vc.assign_clusters(customers, vc.ClusterSettings())
    truth = customers.set_index("customer_id").loc[assigned["customer_id"], "truth"]
    assert assigned["cluster_id"].nunique() == len(PLANTED)
    assert adjusted_rand_score(truth, assigned["cluster_id"]) >= 0.9


def test_planted_clusters_get_the_names_of_the_rule():
    customers = planted_customers(300)
    assigned = vc.assign_clusters(customers, vc.ClusterSettings(k=4))
    truth = customers.set_index("customer_id").loc[assigned["customer_id"], "truth"]
    for group, (_, name) in PLANTED.items():
        names = assigned.loc[truth.to_numpy() == group, "cluster_name"]
        assert names.value_counts().idxmax() == name, group


def test_cluster_name_rule_on_the_centre_position():
    assert vc.cluster_name({"R": -0.1, "F": 0.3, "M": 0.3}) == "important retention"
    assert vc.cluster_name({"R": 0.0, "F": 0.3, "M": 0.3}) == "important win-back"
    assert vc.cluster_name({"R": -0.1, "F": 0.2, "M": 0.2}) == "important development"
    assert vc.cluster_name({"R": 0.1, "F": -0.2, "M": 0.0}) == "general"
    assert vc.cluster_name({"R": 0.1, "F": -0.25, "M": -0.25}) == "low value"


def test_cluster_labels_number_only_the_names_clusters_share():
    names = ["important win-back", "low value", "general", "low value", "low value"]
    assert vc.cluster_labels(names) == [
        "important win-back",
        "low value (1)",
        "general",
        "low value (2)",
        "low value (3)",
    ]
    assert vc.cluster_labels(["general", "low value"]) == ["general", "low value"]


def test_clusters_sharing_a_name_get_distinct_labels_in_spend_order():
    # two planted low-value groups that differ only in discount share
    customers = planted_customers(300)
    gone = customers["truth"] == "gone"
    twin = customers[gone].copy()
    twin["discount_share_avg"] = np.clip(twin["discount_share_avg"] * 12, 0, 1)
    twin["monetary_total"] = twin["monetary_total"] * 0.8
    twin["customer_id"] = "t" + twin["customer_id"]
    customers = pd.concat([customers, twin], ignore_index=True)
    assigned = vc.assign_clusters(customers, vc.ClusterSettings(k=5))
    profiles = vc.cluster_profiles(assigned, vc.ClusterSettings(k=5))
    low = profiles[profiles["cluster_name"] == "low value"]
    assert len(low) == 2
    assert list(low["cluster_label"]) == ["low value (1)", "low value (2)"]
    assert low["cluster_id"].is_monotonic_increasing
    assert profiles["cluster_label"].is_unique
    unique_names = profiles[profiles["cluster_name"] != "low value"]
    assert (unique_names["cluster_label"] == unique_names["cluster_name"]).all()
    pairs = assigned[["cluster_id", "cluster_label"]].drop_duplicates()
    assert len(pairs) == len(profiles)
    assert dict(zip(pairs["cluster_id"], pairs["cluster_label"], strict=True)) == (
        dict(zip(profiles["cluster_id"], profiles["cluster_label"], strict=True))
    )


def test_results_do_not_depend_on_row_order():
    customers = planted_customers(200)
    first = vc.assign_clusters(customers, vc.ClusterSettings())
    shuffled = customers.sample(frac=1.0, random_state=11)
    second = vc.assign_clusters(shuffled, vc.ClusterSettings())
    pd.testing.assert_frame_equal(first, second)


def test_profiles_add_up_and_match_the_assignment():
    customers = planted_customers(250)
    assigned = vc.assign_clusters(customers, vc.ClusterSettings())
    profiles = vc.cluster_profiles(assigned, vc.ClusterSettings())
    assert list(profiles["cluster_id"]) == list(range(1, len(profiles) + 1))
    assert profiles["customers"].sum() == len(customers)
    assert profiles["customer_share"].sum() == pytest.approx(1.0)
    assert profiles["revenue_share"].sum() == pytest.approx(1.0)
    assert profiles["revenue"].sum() == pytest.approx(customers["monetary_total"].sum())
    # cluster 1 has the highest centroid spend
    assert profiles["centroid_monetary_total"].idxmax() == 0
    # the standardised centres are the members' mean positions
    z = profiles.filter(like="centroid_z_").to_numpy()
    weighted = (z * profiles["customers"].to_numpy()[:, None]).sum(axis=0)
    assert weighted == pytest.approx(np.zeros(5), abs=1e-9)
    names = assigned.drop_duplicates("cluster_id").set_index("cluster_id")
    assert list(profiles["cluster_name"]) == list(
        names.loc[profiles["cluster_id"], "cluster_name"]
    )
    assert profiles["k_selected_by"].eq("silhouette").all()
    assert 0.3 < profiles["silhouette"].iloc[0] <= 1


def test_fixed_k_is_used_and_reported():
    customers = planted_customers(100)
    settings = vc.ClusterSettings.from_config({"value_clusters_k": "3"})
    assigned = vc.assign_clusters(customers, settings)
    profiles = vc.cluster_profiles(assigned, settings)
    assert assigned["cluster_id"].nunique() == 3
    assert set(profiles["k"]) == {3}
    assert set(profiles["k_selected_by"]) == {"variable"}
    assert vc.ClusterSettings.from_config({"value_clusters_k": "None"}).k is None
    with pytest.raises(ValueError, match="value_clusters_k"):
        vc.ClusterSettings.from_config({"value_clusters_k": "2.5"})


def test_discount_share_is_left_out_without_discount_data():
    customers = planted_customers(150)
    customers["discount_share_avg"] = np.nan
    assigned = vc.assign_clusters(customers, vc.ClusterSettings(k=4))
    profiles = vc.cluster_profiles(assigned, vc.ClusterSettings(k=4))
    assert assigned["discount_share_avg"].isna().all()
    assert profiles["centroid_discount_share_avg"].isna().all()
    truth = customers.set_index("customer_id").loc[assigned["customer_id"], "truth"]
    assert adjusted_rand_score(truth, assigned["cluster_id"]) >= 0.9


def test_large_inputs_use_minibatch_kmeans_and_still_recover_planted_clusters():
    customers = planted_customers(15_000)
    assert len(customers) > vc.MINIBATCH_ABOVE
    frame, columns = vc.lrfmc_inputs(customers)
    z = vc.Standardiser.fit(frame, columns).transform(frame)
    assert isinstance(vc.fit_kmeans(z, 4), vc.MiniBatchKMeans)
    assigned = vc.assign_clusters(customers, vc.ClusterSettings(k=4))
    truth = customers.set_index("customer_id").loc[assigned["customer_id"], "truth"]
    assert adjusted_rand_score(truth, assigned["cluster_id"]) >= 0.9


@pytest.mark.parametrize("n_customers, k", [(1, None), (2, None), (2, 4)])
def test_a_tiny_shop_gets_one_cluster_per_distinct_customer_at_most(n_customers, k):
    customers = planted_customers(1).head(n_customers)
    settings = vc.ClusterSettings(k=k)
    assigned = vc.assign_clusters(customers, settings)
    profiles = vc.cluster_profiles(assigned, settings)
    assert len(assigned) == n_customers
    assert assigned["cluster_id"].max() <= n_customers
    assert set(profiles["k_selected_by"]) == {"too_few_customers"}
    assert profiles["customers"].sum() == n_customers


def test_nobody_to_cluster_gives_empty_frames():
    empty = planted_customers(1).head(0)
    assigned = vc.assign_clusters(empty, vc.ClusterSettings())
    assert list(assigned.columns) == list(vc.CUSTOMER_COLUMNS)
    assert assigned.empty
    assert vc.cluster_profiles(assigned, vc.ClusterSettings()).empty

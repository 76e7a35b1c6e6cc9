"""Lifecycle stage rules (customer_value.lifecycle): thresholds, rhythm,
reactivation, entry dates, monthly history and churn warnings."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from customer_value import lifecycle as lc
from customer_value.lifecycle import LifecycleThresholds

DEFAULTS = LifecycleThresholds()
AS_OF = dt.date(2025, 6, 30)


def day(offset: int) -> dt.date:
    """The date ``offset`` days after 2020-01-01."""
    return dt.date(2020, 1, 1) + dt.timedelta(days=offset)


def stage_on(
    purchases: list[int], snapshot: int, t: LifecycleThresholds = DEFAULTS
) -> str:
    """Stage on day ``snapshot`` of a customer with purchases on the given days."""
    return stages_on(purchases, [snapshot], t)[0]


def stages_on(
    purchases: list[int], snapshots: list[int], t: LifecycleThresholds = DEFAULTS
) -> list[str]:
    days = np.asarray(sorted(set(purchases)) or [0], dtype=np.int64)
    snaps = np.asarray(snapshots, dtype=np.int64)
    n = np.searchsorted(days, snaps, side="right") if purchases else 0 * snaps
    last = np.where(n > 0, days[np.maximum(n - 1, 0)], 0)
    previous = np.where(n > 1, days[np.maximum(n - 2, 0)], 0)
    features = {
        "snapshot_date": snaps.astype("datetime64[D]"),
        "first_purchase_date": np.full(len(snaps), days[0] if len(days) else 0).astype(
            "datetime64[D]"
        ),
        "last_purchase_date": np.where(n > 0, last, 0).astype("datetime64[D]"),
        "previous_purchase_date": np.where(
            n > 1, previous.astype("datetime64[D]"), np.datetime64("NaT")
        ),
        "purchase_days": n,
    }
    codes = lc.assign_stages(features, t).stage
    return [lc.STAGES[code] for code in codes]


# --- fixed thresholds, exactly on each boundary -------------------------------


def test_customer_without_purchase_is_prospect():
    assert stage_on([], 100) == "prospect"
    assert stage_on([50], 49) == "prospect"


def test_one_purchase_on_the_as_of_date_is_new_with_recency_zero():
    result = lc.assign_stages(
        {
            "snapshot_date": [AS_OF],
            "first_purchase_date": [AS_OF],
            "last_purchase_date": [AS_OF],
            "previous_purchase_date": pa.array([None], pa.date32()),
            "purchase_days": [1],
        }
    )
    assert lc.STAGES[result.stage[0]] == "new"
    assert result.recency_days[0] == 0
    assert np.isnan(result.rhythm_days[0])
    assert result.at_risk_after_days[0] == 180


def test_one_time_buyer_is_new_through_day_180_and_at_risk_from_day_181():
    assert stages_on([0], [0, 180, 181]) == ["new", "new", "at_risk"]


def test_one_time_buyer_is_active_between_new_days_and_the_at_risk_threshold():
    t = LifecycleThresholds(new_days=90)
    assert stages_on([0], [90, 91, 180, 181], t) == [
        "new",
        "active",
        "active",
        "at_risk",
    ]


def test_repeat_buyer_boundaries_at_180_365_and_730_days_stay_in_the_earlier_stage():
    # Two purchase days 10 days apart: rhythm 10, so the fixed thresholds apply.
    purchases = [0, 10]
    recency = [180, 181, 365, 366, 730, 731]
    assert stages_on(purchases, [10 + r for r in recency]) == [
        "active",
        "at_risk",
        "at_risk",
        "dormant",
        "dormant",
        "churned",
    ]


def test_every_threshold_var_moves_its_boundary():
    t = LifecycleThresholds(
        at_risk_days=30,
        dormant_days=60,
        churned_days=90,
        new_days=10,
        reactivated_days=5,
    )
    purchases = [0, 1]
    assert stages_on(purchases, [1 + r for r in (30, 31, 60, 61, 90, 91)], t) == [
        "active",
        "at_risk",
        "at_risk",
        "dormant",
        "dormant",
        "churned",
    ]
    assert stages_on([0], [10, 11, 30, 31], t) == ["new", "active", "active", "at_risk"]


# --- the customer's rhythm ----------------------------------------------------


def test_buyer_every_200_days_is_not_at_risk_after_a_normal_gap():
    purchases = [0, 200, 400]  # rhythm 200
    # at risk after min(max(180, 400), 365) = 365; dormant after min(max(365, 600), 730)
    assert stages_on(purchases, [400 + r for r in (100, 300, 365, 366, 600, 601)]) == [
        "active",
        "active",
        "active",
        "at_risk",
        "at_risk",
        "dormant",
    ]


def test_rhythm_threshold_above_the_fixed_days_and_below_the_cap():
    purchases = [0, 100, 200]  # rhythm 100: at risk after 200 days, dormant after 365
    assert stages_on(purchases, [200 + r for r in (200, 201, 365, 366)]) == [
        "active",
        "at_risk",
        "at_risk",
        "dormant",
    ]


def test_rhythm_never_delays_churn_beyond_the_churned_days():
    purchases = [0, 700]  # rhythm 700: both thresholds capped
    assert stages_on(purchases, [700 + r for r in (365, 366, 730, 731)]) == [
        "active",
        "at_risk",
        "at_risk",
        "churned",
    ]


def test_rhythm_threshold_is_exact_when_the_mean_gap_is_not_a_whole_number():
    # Gaps of 66.67 days on average: 3 x rhythm = 200 exactly.
    t = LifecycleThresholds(at_risk_days=100, at_risk_rhythm_multiplier=3)
    purchases = [0, 70, 130, 200]
    assert stages_on(purchases, [400, 401], t) == ["active", "at_risk"]


def test_fractional_multiplier():
    t = LifecycleThresholds(at_risk_rhythm_multiplier=1.5)
    purchases = [0, 200, 400]  # 1.5 x 200 = 300
    assert stages_on(purchases, [700, 701], t) == ["active", "at_risk"]


def test_zero_multiplier_turns_the_rhythm_off():
    t = LifecycleThresholds(at_risk_rhythm_multiplier=0, dormant_rhythm_multiplier=0)
    assert stages_on([0, 200, 400], [580, 581], t) == ["active", "at_risk"]


# --- reactivation -------------------------------------------------------------


def test_purchase_after_a_dormant_length_gap_reactivates_for_180_days():
    # The day before the second purchase the recency was 366: dormant.
    purchases = [0, 367]
    assert stages_on(purchases, [367, 367 + 180, 367 + 181]) == [
        "reactivated",
        "reactivated",
        "active",
    ]


def test_purchase_after_an_at_risk_length_gap_is_not_a_reactivation():
    # The day before the second purchase the recency was 365: at risk.
    assert stage_on([0, 366], 366) == "active"


def test_purchase_after_churn_reactivates():
    assert stage_on([0, 1000], 1000) == "reactivated"


def test_reactivated_customer_who_buys_again_is_active():
    assert stage_on([0, 500, 510], 520) == "active"


def test_reactivated_customer_can_become_at_risk_like_any_active_customer():
    # Eleven purchase days 10 days apart, then a churned-length gap: rhythm 900 / 11.
    t = LifecycleThresholds(reactivated_days=300)
    purchases = [*range(0, 101, 10), 900]
    assert stages_on(purchases, [900 + 180, 900 + 181], t) == ["reactivated", "at_risk"]


def test_slow_buyers_usual_gap_is_not_a_win_back():
    # Purchases every 500 days: before the third purchase the rhythm (500) put the
    # dormant threshold at 730, so a 500-day gap was at risk, not dormant.
    assert stage_on([0, 500, 1000], 1000) == "active"


# --- input forms --------------------------------------------------------------


def test_assign_stages_accepts_numpy_pandas_and_arrow_inputs():
    frame = pd.DataFrame(
        {
            "snapshot_date": pd.to_datetime(["2024-06-30", "2024-06-30", "2024-06-30"]),
            "first_purchase_date": pd.to_datetime(["2024-06-01", "2022-01-01", None]),
            "last_purchase_date": pd.to_datetime(["2024-06-01", "2023-01-01", None]),
            "previous_purchase_date": pd.to_datetime([None, "2022-01-01", None]),
            "purchase_days": [1, 2, 0],
        }
    )
    # Rhythm 365 days: at risk after 365 days, dormant after 730.
    expected = ["new", "at_risk", "prospect"]
    for features in (
        frame,
        pa.Table.from_pandas(frame),
        {c: frame[c].to_numpy() for c in frame},
    ):
        codes = lc.assign_stages(features).stage
        assert [lc.STAGES[c] for c in codes] == expected


# --- date entered, days in stage, previous stage ------------------------------


def purchase_day_table(customers: dict[str, list[int]], as_of: int) -> pa.Table:
    rows = []
    for customer_id, purchases in sorted(customers.items()):
        days = sorted(set(purchases))
        for k, purchase in enumerate(days):
            rows.append(
                {
                    "customer_id": customer_id,
                    "purchase_date": day(purchase),
                    "purchase_day_number": k + 1,
                    "first_purchase_date": day(days[0]),
                    "previous_purchase_date": day(days[k - 1]) if k >= 1 else None,
                    "purchase_date_before_previous": day(days[k - 2])
                    if k >= 2
                    else None,
                    "as_of_date": day(as_of),
                }
            )
    return pa.Table.from_pylist(rows)


def daily_history(purchases: list[int], as_of: int) -> tuple[str, int, str]:
    """Brute force: the stage on every day, the current run's first day and the
    stage before it."""
    days = list(range(min(purchases) - 1, as_of + 1))
    stages = stages_on(purchases, days)
    start = len(stages) - 1
    while start > 0 and stages[start - 1] == stages[-1]:
        start -= 1
    return stages[-1], days[start], stages[start - 1]


def test_entry_date_of_a_single_order_on_the_as_of_date():
    table = lc.current_stages(purchase_day_table({"c": [1000]}, as_of=1000)).to_pylist()
    assert table[0]["lifecycle_stage"] == "new"
    assert table[0]["stage_entered_date"] == day(1000)
    assert table[0]["days_in_stage"] == 0
    assert table[0]["previous_stage"] == "prospect"


def test_entry_date_is_the_day_after_the_threshold_is_passed():
    row = lc.current_stages(purchase_day_table({"c": [0, 10]}, as_of=500)).to_pylist()[
        0
    ]
    assert row["lifecycle_stage"] == "dormant"
    assert row["stage_entered_date"] == day(10 + 366)
    assert row["days_in_stage"] == 500 - 376
    assert row["previous_stage"] == "at_risk"


def test_active_run_reaches_back_over_purchases_while_the_customer_stays_active():
    # New on day 0, active from the second purchase (day 30) on, never lapsing.
    row = lc.current_stages(
        purchase_day_table({"c": [0, 30, 100, 200, 300]}, as_of=350)
    ).to_pylist()[0]
    assert row["lifecycle_stage"] == "active"
    assert row["stage_entered_date"] == day(30)
    assert row["previous_stage"] == "new"


def test_reactivation_is_entered_on_the_win_back_purchase():
    row = lc.current_stages(purchase_day_table({"c": [0, 800]}, as_of=850)).to_pylist()[
        0
    ]
    assert (
        row["lifecycle_stage"],
        row["stage_entered_date"],
        row["previous_stage"],
    ) == (
        "reactivated",
        day(800),
        "churned",
    )


def test_current_stages_require_rows_in_purchase_day_order():
    table = purchase_day_table({"c": [0, 10, 20]}, as_of=30)
    with pytest.raises(ValueError, match="sorted"):
        lc.current_stages(table.take([0, 2, 1]))


def random_customers(seed: int, n: int, horizon: int) -> dict[str, list[int]]:
    rng = np.random.default_rng(seed)
    customers = {}
    for i in range(n):
        count = int(rng.integers(1, 12))
        scale = rng.choice([5, 30, 120, 400])
        gaps = rng.exponential(scale, size=count).astype(int)
        start = int(rng.integers(0, horizon // 2))
        days = [d for d in (start + np.cumsum(gaps)).tolist() if d <= horizon]
        customers[f"c{i:04d}"] = days or [start]
    return customers


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_current_stage_entry_date_and_previous_stage_match_a_day_by_day_history(seed):
    horizon = 2500
    customers = random_customers(seed, 300, horizon)
    result = lc.current_stages(purchase_day_table(customers, horizon)).to_pylist()
    assert [row["customer_id"] for row in result] == sorted(customers)
    for row in result:
        stage, entered, previous = daily_history(customers[row["customer_id"]], horizon)
        assert row["lifecycle_stage"] == stage, row
        assert row["stage_entered_date"] == day(entered), row
        assert row["days_in_stage"] == horizon - entered, row
        assert row["previous_stage"] == previous, row


@pytest.mark.parametrize("seed", [4, 5])
def test_each_stage_holds_one_contiguous_range_of_days_between_purchases(seed):
    # The bisection behind the entry date relies on this.
    customers = random_customers(seed, 200, 2000)
    for purchases in customers.values():
        days = sorted(set(purchases))
        for start, end in zip(days, [*days[1:], 2000 + 1], strict=True):
            stages = stages_on(purchases, list(range(start, end)))
            runs = [s for i, s in enumerate(stages) if i == 0 or s != stages[i - 1]]
            assert len(runs) == len(set(runs)), (purchases, start, runs)


# --- monthly history ----------------------------------------------------------


def snapshot_batch() -> pa.RecordBatch:
    """Three snapshots: customer a in its first purchase month (no purchase before:
    a prospect at the previous month end) and the month after; customer b 200 days
    after a single purchase (at risk now, new at the previous month end)."""
    no_date = pa.array([None] * 3, pa.date32())
    return pa.RecordBatch.from_pydict(
        {
            "customer_id": ["a", "a", "b"],
            "month_end_date": [day(30), day(60), day(200)],
            "snapshot_date": [day(30), day(60), day(200)],
            "is_as_of_month": [False, False, True],
            "months_since_first_purchase": [0, 1, 6],
            "first_purchase_date": [day(10), day(10), day(0)],
            "last_purchase_date": [day(10), day(10), day(0)],
            "previous_purchase_date": no_date,
            "purchase_days": [1, 1, 1],
            "previous_month_end_date": [day(-1), day(30), day(170)],
            "prior_last_purchase_date": pa.array([None, day(10), day(0)], pa.date32()),
            "prior_previous_purchase_date": no_date,
            "prior_purchase_days": [0, 1, 1],
            "purchase_days_in_month": [1, 0, 0],
            "revenue_in_month": pa.array([10, 0, 0], pa.decimal128(38, 2)),
        }
    )


def test_monthly_stages_give_the_stage_now_and_at_the_previous_month_end():
    out = lc.monthly_stages(snapshot_batch()).to_pydict()
    assert out["lifecycle_stage"] == ["new", "new", "at_risk"]
    assert out["previous_month_stage"] == ["prospect", "new", "new"]
    assert out["recency_days"] == [20, 50, 200]
    assert out["customer_id"] == ["a", "a", "b"]


def test_monthly_stream_matches_the_batch_and_keeps_the_schema():
    batch = snapshot_batch()
    reader = pa.RecordBatchReader.from_batches(
        batch.schema, [batch.slice(0, 2), batch.slice(2)]
    )
    streamed = lc.monthly_stages_reader(reader).read_all()
    assert streamed.to_pydict() == lc.monthly_stages(batch).to_pydict()
    empty = pa.RecordBatchReader.from_batches(batch.schema, [])
    assert lc.monthly_stages_reader(empty).read_all().schema == streamed.schema


# --- churn warnings -----------------------------------------------------------


def warnings_for(recent: list[int], earlier: list[int], recency: list[int]) -> dict:
    size = len(recent)
    frequency = pa.table(
        {
            "customer_id": [f"c{i}" for i in range(size)],
            "as_of_date": [AS_OF] * size,
            "last_purchase_date": [AS_OF - dt.timedelta(days=r) for r in recency],
            "recent_window_purchase_days": recent,
            "earlier_window_purchase_days": earlier,
        }
    )
    return lc.churn_warnings(frequency).to_pydict()


def test_frequency_drop_of_exactly_20_percent_is_not_flagged_and_more_is():
    out = warnings_for([4, 3, 0, 5], [5, 5, 0, 5], [1, 1, 1, 1])
    assert out["has_frequency_drop_warning"] == [False, True, False, False]
    assert out["frequency_change_share"][:2] == pytest.approx([-0.2, -0.4])
    assert out["frequency_change_share"][2] is None
    assert out["frequency_drop_warning_reason"][1] == (
        "purchase days down 40 % (threshold 20 %): 3 in the last 180 days "
        "vs 5 in the 180 days before"
    )
    assert out["frequency_drop_warning_reason"][0] is None


def test_inactivity_of_exactly_90_days_is_not_flagged_and_91_is():
    out = warnings_for([0, 0], [1, 1], [90, 91])
    assert out["has_inactivity_warning"] == [False, True]
    assert out["inactivity_warning_reason"] == [
        None,
        "no purchase for 91 days (threshold 90)",
    ]


def test_churn_warning_joins_the_reasons_of_every_flag():
    out = warnings_for([0, 2, 2], [2, 2, 2], [200, 200, 10])
    assert out["has_churn_warning"] == [True, True, False]
    assert out["churn_warning_reasons"][0].startswith("purchase days down 100 %")
    assert out["churn_warning_reasons"][0].endswith(
        "; no purchase for 200 days (threshold 90)"
    )
    assert out["churn_warning_reasons"][1] == "no purchase for 200 days (threshold 90)"
    assert out["churn_warning_reasons"][2] is None


# --- the customer-grain mart -------------------------------------------------------


def test_customer_lifecycle_keeps_prospects_and_joins_further_tables_on_customer_id():
    customers = pa.table(
        {
            "customer_id": ["p", "c"],
            "as_of_date": [day(100), day(100)],
            "signed_up_at": pa.array(
                [dt.datetime(2020, 1, 31, 12)] * 2, pa.timestamp("us")
            ),
            "has_purchased": [False, True],
            "abc_tier": [None, "A"],
        }
    )
    stages = lc.current_stages(purchase_day_table({"c": [90]}, as_of=100))
    frequency = pa.table(
        {
            "customer_id": ["c"],
            "as_of_date": [day(100)],
            "last_purchase_date": [day(90)],
            "recent_window_purchase_days": [1],
            "earlier_window_purchase_days": [0],
        }
    )
    clv = pa.table({"customer_id": ["c"], "p_alive": [0.9]})
    out = lc.customer_lifecycle(customers, stages, lc.churn_warnings(frequency), clv)
    rows = {row["customer_id"]: row for row in out.to_pylist()}
    assert rows["p"]["lifecycle_stage"] == "prospect"
    assert rows["p"]["stage_entered_date"] == day(30)
    assert rows["p"]["days_in_stage"] == 70
    assert rows["p"]["previous_stage"] is None
    assert rows["p"]["has_churn_warning"] is False
    assert rows["p"]["purchase_days"] == 0
    assert rows["p"]["is_high_value"] is False
    assert rows["p"]["p_alive"] is None
    assert rows["c"]["lifecycle_stage"] == "new"
    assert rows["c"]["is_high_value"] is True
    assert rows["c"]["p_alive"] == 0.9
    assert out.column_names[:3] == [
        "customer_id",
        "lifecycle_stage",
        "stage_entered_date",
    ]


# --- thresholds ---------------------------------------------------------------


def test_thresholds_read_rendered_var_text_and_keep_defaults():
    t = LifecycleThresholds.from_mapping(
        {
            "lifecycle_at_risk_days": "200",
            "frequency_drop_threshold": "0.25",
            "other": 1,
        }
    )
    assert t.at_risk_days == 200
    assert t.frequency_drop_threshold == 0.25
    assert t.dormant_days == DEFAULTS.dormant_days
    assert LifecycleThresholds.from_mapping(None) == DEFAULTS


@pytest.mark.parametrize(
    "values",
    [
        {"at_risk_days": 400},  # beyond dormant_days
        {"dormant_days": 800},  # beyond churned_days
        {"new_days": -1},
        {"frequency_drop_threshold": 1.5},
        {"frequency_window_days": 0},
        {"at_risk_days": "180.5"},
        {"inactivity_days": "ninety"},
    ],
)
def test_malformed_thresholds_are_rejected(values):
    with pytest.raises(ValueError, match="lifecycle_"):
        LifecycleThresholds.from_mapping(values)


def test_low_clv_warning_flags_only_values_strictly_below_the_bottom_band_edge():
    import pyarrow as pa

    from customer_value.lifecycle import LifecycleThresholds, clv_warnings

    clv = pa.table(
        {
            "customer_id": ["a", "b", "c", "d", "e"],
            "p_alive": [0.1, 0.5, 0.9, 0.2, 0.3],
            # quantile 0.25 of [10, 20, 30, 40, 50] is exactly 20
            "clv_discounted": [20.0, 10.0, 50.0, 30.0, 40.0],
        }
    )
    flags = clv_warnings(clv, LifecycleThresholds(low_clv_share=0.25)).to_pydict()
    assert flags["has_low_clv_warning"] == [False, True, False, False, False]
    assert flags["low_clv_warning_reason"][1].startswith("predicted CLV 10 ")
    assert flags["low_clv_warning_reason"][0] is None
    off = clv_warnings(clv, LifecycleThresholds(low_clv_share=0.0)).to_pydict()
    assert not any(off["has_low_clv_warning"])

"""The CLV mart tables built from frames: fit once, rebuild fits from the
parameters table, score customers, backtest, all finite and consistent."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from customer_value.clv.simulate import simulate_bgnbd
from customer_value.clv_marts import (
    ClvSettings,
    backtest_calibration_frame,
    backtest_frame,
    backtest_summary_frame,
    customer_clv_frame,
    fit_models,
    fits_from_params,
    params_frame,
)

TRUE = {"r": 0.6, "alpha": 40.0, "a": 0.8, "b": 3.0}


@pytest.fixture(scope="module")
def customers() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    T = np.floor(rng.uniform(30, 700, 3000))
    sim = simulate_bgnbd(TRUE, T, rng)
    x = sim.x
    spend = np.where(x > 0, np.round(rng.gamma(6.0, 10.0, x.size), 2), np.nan)
    return pd.DataFrame(
        {
            "customer_id": [f"c{i:05d}" for i in range(x.size)],
            "calibration_end_date": dt.date(2025, 12, 31),
            "frequency_x": x.astype("int64"),
            "recency_t_x": np.floor(sim.t_x),
            "age_t": T,
            "repeat_mean_value": spend,
            "repeat_periods_with_value": x,
            "monetary_total": np.nan_to_num(spend) * (x + 1),
            "monetary_avg": np.nan_to_num(spend, nan=25.0),
            "frequency_orders": (x + 1).astype("int64"),
            "tenure_days": T.astype("int64"),
            "acquisition_cost": np.where(np.arange(x.size) % 3 == 0, np.nan, 40.0),
            "cac_status": np.where(
                np.arange(x.size) % 3 == 0, "no_spend_for_channel_month", "allocated"
            ),
        }
    )


def _tuples(frame: pd.DataFrame) -> pd.DataFrame:
    return (
        frame.groupby(["frequency_x", "recency_t_x", "age_t"])
        .size()
        .rename("n_customers")
        .reset_index()
    )


def test_parameters_table_round_trips_to_identical_predictions(customers):
    fits = fit_models(
        _tuples(customers),
        customers[["repeat_periods_with_value", "repeat_mean_value"]],
        "day",
    )
    table = params_frame(fits, dt.date(2025, 12, 31), "day")
    assert set(table["model"]) == {"bgnbd", "pareto_nbd", "gamma_gamma"}
    assert table["value"].notna().all()
    rebuilt = fits_from_params(table)
    settings = ClvSettings()
    direct = customer_clv_frame(customers, fits, settings)
    again = customer_clv_frame(customers, rebuilt, settings)
    pd.testing.assert_frame_equal(direct, again)


def test_fit_does_not_depend_on_row_order(customers):
    spend = customers[["repeat_periods_with_value", "repeat_mean_value"]]
    one = fit_models(_tuples(customers), spend, "day")
    shuffled = _tuples(customers).sample(frac=1.0, random_state=3)
    two = fit_models(shuffled, spend.sample(frac=1.0, random_state=4), "day")
    for name in one:
        assert one[name].params == two[name].params


def test_customer_clv_is_finite_bounded_and_null_only_without_cac(customers):
    fits = fit_models(
        _tuples(customers),
        customers[["repeat_periods_with_value", "repeat_mean_value"]],
        "day",
    )
    frame = customer_clv_frame(customers, fits, ClvSettings())
    assert len(frame) == len(customers)
    assert frame["customer_id"].is_unique
    assert frame["p_alive"].between(0, 1).all()
    assert (frame["clv_discounted"] >= 0).all()
    no_cac = frame["cac_status"] != "allocated"
    assert frame.loc[no_cac, "clv_to_cac"].isna().all()
    assert frame.loc[~no_cac, "clv_to_cac"].notna().all()
    # One-time buyers have no repeat spend: they get the population mean.
    one_timers = frame[frame["frequency_x"] == 0]["expected_avg_spend"]
    assert one_timers.nunique() == 1 and one_timers.iloc[0] > 0


def test_settings_come_from_the_config_mapping_and_reject_bad_values():
    settings = ClvSettings.from_config(
        {"clv_time_unit": "week", "clv_horizon_months": "24", "churn_horizon_days": ""}
    )
    assert settings.time_unit == "week" and settings.horizon_months == 24
    assert settings.churn_horizon_days == 90.0
    with pytest.raises(ValueError, match="clv_gross_margin"):
        ClvSettings.from_config({"clv_gross_margin": "1.5"})
    with pytest.raises(ValueError):
        ClvSettings.from_config({"clv_time_unit": "fortnight"})


def test_backtest_tables_compare_prediction_with_what_happened(customers):
    rng = np.random.default_rng(11)
    summary = customers.assign(
        holdout_length=180.0,
        holdout_purchases=rng.poisson(0.8, len(customers)),
        holdout_value=rng.gamma(2.0, 30.0, len(customers)),
    )
    fits = fit_models(
        _tuples(summary),
        summary[["repeat_periods_with_value", "repeat_mean_value"]],
        "day",
    )
    backtest = backtest_frame(summary, fits, ClvSettings())
    summary_table = backtest_summary_frame(backtest)
    assert list(summary_table["measure"]) == ["purchases", "value"]
    purchases = summary_table.set_index("measure").loc["purchases"]
    assert purchases["actual_total"] == summary["holdout_purchases"].sum()
    assert purchases["predicted_total"] == pytest.approx(
        backtest["predicted_purchases"].sum()
    )
    calibration = backtest_calibration_frame(backtest)
    assert calibration["n_customers"].sum() == len(summary)
    assert calibration["label"].iloc[-1] == "7+"


def test_two_customers_give_finite_clv_through_the_documented_fallback():
    """Two customers barely identify BG/NBD: the optimum runs off to extreme
    parameters whose predictions overflow, so the fit must fall back."""
    tuples = pd.DataFrame(
        {
            "frequency_x": [1, 0],
            "recency_t_x": [31.0, 0.0],
            "age_t": [70.0, 14.0],
            "n_customers": [1, 1],
        }
    )
    spend = pd.DataFrame(
        {"repeat_periods_with_value": [1, 0], "repeat_mean_value": [20.0, np.nan]}
    )
    fits = fit_models(tuples, spend, "day")
    assert fits["bgnbd"].fallback_used
    assert "degenerate" in fits["bgnbd"].message
    inputs = pd.DataFrame(
        {
            "customer_id": ["c1", "c2"],
            "calibration_end_date": dt.date(2024, 3, 15),
            "frequency_x": [1, 0],
            "recency_t_x": [31.0, 0.0],
            "age_t": [70.0, 14.0],
            "repeat_mean_value": [20.0, np.nan],
            "repeat_periods_with_value": [1, 0],
            "monetary_total": [30.0, 0.0],
            "monetary_avg": [15.0, np.nan],
            "frequency_orders": [2, 1],
            "tenure_days": [70, 14],
            "acquisition_cost": [np.nan, np.nan],
            "cac_status": ["no_acquisition_channel"] * 2,
        }
    )
    frame = customer_clv_frame(inputs, fits, ClvSettings())
    numeric = frame[["p_alive", "expected_purchases", "clv_discounted"]]
    assert np.isfinite(numeric.to_numpy()).all()

"""Backtest helpers: summaries, calibration table, cumulative purchase curve."""

from __future__ import annotations

import numpy as np
import pytest

from customer_value import clv
from customer_value.clv.simulate import simulate_bgnbd


def test_backtest_summary_reports_totals_errors_and_correlation():
    summary = clv.backtest_summary([1.0, 2.0, 3.0], [1.0, 1.0, 4.0])
    assert summary.n_customers == 3
    assert summary.predicted_total == 6.0 and summary.actual_total == 6.0
    assert summary.relative_error == 0.0
    assert summary.mean_absolute_error == pytest.approx(2.0 / 3.0)
    assert summary.root_mean_squared_error == pytest.approx(np.sqrt(2.0 / 3.0))
    assert summary.correlation == pytest.approx(np.corrcoef([1, 2, 3], [1, 1, 4])[0, 1])
    weighted = clv.backtest_summary([1.0, 3.0], [1.0, 4.0], weights=[1, 2])
    assert weighted.predicted_total == 7.0 and weighted.n_customers == 3


def test_undefined_backtest_figures_are_none_not_nan():
    summary = clv.backtest_summary([0.5, 0.5], [0.0, 0.0])
    assert summary.relative_error is None and summary.correlation is None
    assert clv.backtest_summary([], []).n_customers == 0


def test_calibration_table_buckets_frequencies_with_an_open_top_bucket():
    freq = [0, 0, 1, 3, 7, 9, 12]
    pred = [0.1, 0.3, 0.5, 1.0, 2.0, 3.0, 4.0]
    act = [0.0, 1.0, 0.0, 2.0, 1.0, 3.0, 5.0]
    table = clv.calibration_table(freq, pred, act)
    assert table["label"].tolist() == ["0", "1", "3", "7+"]
    assert table["n_customers"].tolist() == [2, 1, 1, 3]
    np.testing.assert_allclose(table["mean_predicted"], [0.2, 0.5, 1.0, 3.0])
    np.testing.assert_allclose(table["mean_actual"], [0.5, 0.0, 2.0, 3.0])


def test_cumulative_curve_tracks_simulated_holdout_purchases():
    rng = np.random.default_rng(99)
    params = {"r": 0.5, "alpha": 30.0, "a": 0.8, "b": 2.5}
    T = np.floor(rng.uniform(0.0, 365.0, 20_000))
    c = simulate_bgnbd(params, T, rng, holdout=120.0)
    fit = clv.FitResult(
        model="bgnbd",
        params=params,
        standard_errors=dict.fromkeys(params),
        log_likelihood=0.0,
        n_customers=T.size,
        converged=True,
        message="",
        fallback_used=False,
        time_unit="day",
    )
    curve = clv.cumulative_repeat_curve(
        fit, T, holdout_days=120, actual_purchase_days=c.holdout_time
    )
    assert curve["holdout_day"].tolist() == list(range(1, 121))
    assert np.all(np.diff(curve["expected_cumulative"]) > 0)
    assert curve["actual_cumulative"].iloc[-1] == c.x_holdout.sum()
    for day in (30, 60, 120):
        row = curve.iloc[day - 1]
        assert row["expected_cumulative"] == pytest.approx(
            row["actual_cumulative"], rel=0.05
        )
    # the expected curve is the sum of unconditional expectations
    total = (
        clv.unconditional_expected_purchases(fit, T + 120.0)
        - clv.unconditional_expected_purchases(fit, T)
    ).sum()
    assert curve["expected_cumulative"].iloc[-1] == pytest.approx(total, rel=1e-12)


def test_cumulative_curve_rejects_purchases_outside_the_holdout():
    fit = clv.fit_bgnbd([0, 0], [0, 0], [3, 4], time_unit="day")
    with pytest.raises(ValueError, match="holdout_days"):
        clv.cumulative_repeat_curve(
            fit, [3, 4], holdout_days=10, actual_purchase_days=[11]
        )

"""Discounted CLV, customer scoring and the simple CLV formulas."""

from __future__ import annotations

import numpy as np
import pytest

from customer_value import clv

BGNBD_WEEKS = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


def _fit(model: str = "bgnbd", params=None, unit="week") -> clv.FitResult:
    params = params or BGNBD_WEEKS
    return clv.FitResult(
        model=model,
        params=params,
        standard_errors=dict.fromkeys(params),
        log_likelihood=0.0,
        n_customers=0,
        converged=True,
        message="",
        fallback_used=False,
        time_unit=unit,
    )


X = np.array([0.0, 1.0, 2.0, 7.0, 2.0, 0.0])
TX = np.array([0.0, 1.7, 30.4, 37.0, 30.4, 0.0])
T = np.array([38.9, 38.9, 38.9, 38.0, 38.9, 2.0])


def test_month_ends_and_discount_factors_follow_their_definitions():
    np.testing.assert_allclose(clv.month_ends(2, "day"), [0.0, 30.4375, 60.875])
    np.testing.assert_allclose(clv.month_ends(1, "week"), [0.0, 30.4375 / 7])
    np.testing.assert_allclose(
        clv.discount_factors(12, 0.10), 1.1 ** -(np.arange(1, 13) / 12)
    )
    assert clv.days_per_time_unit(7.0) == 7.0
    with pytest.raises(ValueError, match="unknown time unit"):
        clv.days_per_time_unit("fortnight")


def test_discounted_clv_is_the_discounted_sum_of_monthly_increments():
    fit = _fit()
    spend, margin, rate, horizon = np.linspace(10, 60, 6), 0.4, 0.10, 12
    ends = clv.month_ends(horizon, "week")
    cumulative = np.stack(
        [clv.expected_purchases(fit, t, X, TX, T) for t in ends[1:]], axis=1
    )
    monthly = np.diff(cumulative, axis=1, prepend=0.0)
    expected = monthly @ (1.1 ** -(np.arange(1, 13) / 12)) * spend * margin
    value = clv.discounted_clv(
        fit,
        X,
        TX,
        T,
        spend,
        horizon_months=horizon,
        annual_discount_rate=rate,
        margin=margin,
    )
    np.testing.assert_allclose(value, expected, rtol=1e-12)
    np.testing.assert_allclose(
        clv.expected_purchases_by_month(fit, X, TX, T, horizon_months=12),
        monthly,
        rtol=1e-12,
        atol=1e-15,
    )
    assert np.all(value >= 0)


def test_without_discounting_clv_is_expected_purchases_times_spend():
    fit = _fit()
    value = clv.discounted_clv(fit, X, TX, T, 25.0, annual_discount_rate=0.0)
    horizon = clv.month_ends(12, "week")[-1]
    np.testing.assert_allclose(
        value, 25.0 * clv.expected_purchases(fit, horizon, X, TX, T), rtol=1e-12
    )
    assert np.all(clv.discounted_clv(fit, X, TX, T, 25.0, horizon_months=0) == 0.0)


def test_score_customers_equals_the_per_customer_functions_in_input_order():
    fit = _fit()
    m = np.array([0.0, 12.0, 30.0, 45.0, 30.0, 0.0])
    spend_fit = clv.fit_gamma_gamma([1, 2, 7, 3, 4], [12.0, 30.0, 45.0, 20.0, 33.0])
    scores = clv.score_customers(
        fit, X, TX, T, spend=spend_fit, m_x=m, margin=0.5, no_purchase_horizon_days=90
    )
    horizon = clv.month_ends(12, "week")[-1]
    np.testing.assert_allclose(scores["p_alive"], clv.p_alive(fit, X, TX, T))
    np.testing.assert_allclose(
        scores["expected_purchases"], clv.expected_purchases(fit, horizon, X, TX, T)
    )
    np.testing.assert_allclose(
        scores["p_no_purchase"], clv.p_no_purchase(fit, 90 / 7, X, TX, T)
    )
    spend = clv.expected_spend(spend_fit, X, m)
    np.testing.assert_allclose(scores["expected_spend"], spend)
    np.testing.assert_allclose(
        scores["clv"], clv.discounted_clv(fit, X, TX, T, spend, margin=0.5)
    )
    # customers 2 and 4 share a summary and get identical scores
    for values in scores.values():
        assert values.shape == X.shape and np.all(np.isfinite(values))
        assert values[2] == values[4]


def test_pareto_nbd_fits_score_like_bgnbd_fits():
    fit = _fit("pareto_nbd", {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669})
    scores = clv.score_customers(fit, X, TX, T)
    horizon = clv.month_ends(12, "week")[-1]
    np.testing.assert_allclose(
        scores["expected_purchases"],
        clv.expected_purchases(fit, horizon, X, TX, T),
        rtol=1e-12,
    )


def test_scoring_without_a_known_time_unit_is_refused():
    fit = _fit(unit=None)
    with pytest.raises(ValueError, match="time unit"):
        clv.score_customers(fit, X, TX, T)
    assert clv.score_customers(fit, X, TX, T, time_unit="week")["p_alive"].size == 6


def test_simple_formulas_are_transparent():
    np.testing.assert_allclose(clv.historical_clv([100.0, 0.0], 0.3), [30.0, 0.0])
    np.testing.assert_allclose(clv.simple_clv(50.0, 4.0, 3.0), 600.0)
    np.testing.assert_allclose(
        clv.simple_clv([50.0, 50.0], 4.0, 3.0, cac=[100.0, np.nan]), [500.0, 600.0]
    )


def test_clv_cac_ratio_marks_missing_or_non_positive_cac_as_undefined():
    ratio = clv.clv_cac_ratio([300.0, 300.0, 300.0, 300.0], [100.0, np.nan, 0.0, -5.0])
    np.testing.assert_array_equal(ratio.valid, [True, False, False, False])
    np.testing.assert_allclose(ratio.values, [3.0, 0.0, 0.0, 0.0])
    assert not np.any(np.isnan(ratio.values))
    nullable = ratio.with_nan()
    assert nullable[0] == 3.0 and np.all(np.isnan(nullable[1:]))


def test_fit_results_flatten_to_parameter_records():
    fit = clv.fit_bgnbd([0, 1, 3, 0, 2], [0, 2.0, 9.0, 0, 4.0], [10, 10, 10, 5, 8.0])
    records = fit.to_records()
    assert [r["parameter"] for r in records] == list(fit.params)
    assert {"model", "value", "standard_error", "log_likelihood", "converged"} <= set(
        records[0]
    )

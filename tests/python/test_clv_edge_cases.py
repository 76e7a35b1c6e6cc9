"""Degenerate data, extreme inputs and time units: always finite, never NaN."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from customer_value import clv
from customer_value.clv.simulate import simulate_bgnbd

FITTERS = {"bgnbd": clv.fit_bgnbd, "pareto_nbd": clv.fit_pareto_nbd}
CDNOW_PARAMS = {
    "bgnbd": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
    "pareto_nbd": {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669},
}


def _fit_result(model: str, params: dict[str, float]) -> clv.FitResult:
    return clv.FitResult(
        model=model,
        params=params,
        standard_errors=dict.fromkeys(params),
        log_likelihood=0.0,
        n_customers=0,
        converged=True,
        message="",
        fallback_used=False,
        time_unit="week",
    )


def _all_predictions(fit: clv.FitResult, x, t_x, T) -> dict[str, np.ndarray]:
    return {
        "p_alive": clv.p_alive(fit, x, t_x, T),
        "expected": clv.expected_purchases(fit, 52.0, x, t_x, T),
        "silent": clv.p_no_purchase(fit, 52.0, x, t_x, T),
        "unconditional": clv.unconditional_expected_purchases(fit, np.asarray(T)),
        "clv": clv.discounted_clv(fit, x, t_x, T, 30.0, horizon_months=24),
    }


def _assert_finite_predictions(preds: dict[str, np.ndarray]) -> None:
    for name, values in preds.items():
        assert np.all(np.isfinite(values)), name
        assert np.all(values >= 0.0), name
    for name in ("p_alive", "silent"):
        assert np.all(preds[name] <= 1.0), name


@pytest.mark.parametrize("model", FITTERS)
def test_one_customer_uses_the_fallback_with_finite_predictions(model):
    fit = FITTERS[model]([3], [10.0], [20.0], time_unit="week")
    assert fit.fallback_used and not fit.converged
    assert "same (x, t_x, T)" in fit.message
    assert fit.params == {"rate": pytest.approx(3 / 20)}
    preds = _all_predictions(fit, [3, 0], [10.0, 0.0], [20.0, 5.0])
    _assert_finite_predictions(preds)
    assert preds["expected"][0] == pytest.approx(52.0 * 3 / 20)


@pytest.mark.parametrize("model", FITTERS)
def test_nobody_repeating_gives_zero_expected_purchases_and_says_why(model):
    T = np.linspace(1.0, 50.0, 40)
    fit = FITTERS[model](np.zeros(40), np.zeros(40), T, time_unit="week")
    assert fit.fallback_used
    assert "nobody made a repeat purchase" in fit.message
    assert fit.params == {"rate": 0.0}
    assert fit.log_likelihood == 0.0
    preds = _all_predictions(fit, np.zeros(40), np.zeros(40), T)
    _assert_finite_predictions(preds)
    assert np.all(preds["expected"] == 0.0) and np.all(preds["clv"] == 0.0)
    assert np.all(preds["p_alive"] == 1.0) and np.all(preds["silent"] == 1.0)


@pytest.mark.parametrize("model", FITTERS)
def test_everyone_identical_uses_the_fallback(model):
    fit = FITTERS[model]([2] * 50, [8.0] * 50, [30.0] * 50, time_unit="week")
    assert fit.fallback_used and fit.n_customers == 50
    assert "heterogeneity parameters are not identified" in fit.message
    _assert_finite_predictions(_all_predictions(fit, [2], [8.0], [30.0]))


@pytest.mark.parametrize("model", FITTERS)
def test_no_customers_uses_the_fallback(model):
    fit = FITTERS[model]([], [], [], time_unit="day")
    assert fit.fallback_used and fit.n_customers == 0
    assert "no customers" in fit.message
    assert np.isfinite(fit.log_likelihood)


@pytest.mark.parametrize("model", FITTERS)
def test_high_frequency_long_history_and_boundary_summaries_are_finite(model):
    fit = _fit_result(model, CDNOW_PARAMS[model])
    x = np.array([500.0, 500.0, 0.0, 0.0, 3.0, 1.0, 250.0])
    t_x = np.array([5000.0, 100.0, 0.0, 0.0, 10.0, 2.0, 3.0])
    T = np.array([5000.0, 5000.0, 0.0, 3650.0, 10.0, 2.0, 3650.0])
    ll = (
        clv.bgnbd_log_likelihood if model == "bgnbd" else clv.pareto_nbd_log_likelihood
    )(fit.params, x, t_x, T)
    assert np.all(np.isfinite(ll))
    preds = _all_predictions(fit, x, t_x, T)
    _assert_finite_predictions(preds)
    # T == 0: nothing observed yet, alive
    assert preds["p_alive"][2] == pytest.approx(1.0)
    # a purchase on the calibration end date (t_x == T): the Pareto/NBD
    # customer had no time to die; the BG/NBD one may have dropped out right
    # after that purchase, with probability a / (a + b + x - 1)
    if model == "bgnbd":
        a, b = fit.params["a"], fit.params["b"]
        assert preds["p_alive"][4] == pytest.approx((b + 2) / (a + b + 2))
    else:
        assert preds["p_alive"][4] == pytest.approx(1.0)
    # 500 purchases long ago: almost surely gone
    assert preds["p_alive"][1] < 1e-6


@pytest.mark.parametrize("model", FITTERS)
def test_fit_with_extreme_customers_converges_and_stays_finite(model):
    rng = np.random.default_rng(11)
    T = rng.uniform(0.0, 100.0, 3000)
    c = simulate_bgnbd({"r": 0.4, "alpha": 5.0, "a": 0.8, "b": 2.5}, T, rng)
    x = np.r_[c.x, 500.0, 450.0, 0.0, 5.0]
    t_x = np.r_[c.t_x, 99.0, 100.0, 0.0, 100.0]
    T = np.r_[c.T, 100.0, 100.0, 0.0, 100.0]
    fit = FITTERS[model](x, t_x, T, time_unit="week")
    assert fit.converged and np.isfinite(fit.log_likelihood)
    _assert_finite_predictions(_all_predictions(fit, x, t_x, T))


@pytest.mark.parametrize("model", FITTERS)
def test_compressed_likelihood_equals_the_uncompressed_likelihood(model):
    rng = np.random.default_rng(5)
    T = np.floor(rng.uniform(0, 60, 2000))
    c = simulate_bgnbd({"r": 0.5, "alpha": 4.0, "a": 0.8, "b": 2.5}, T, rng)
    t_x = np.where(c.x > 0, np.minimum(np.ceil(c.t_x), T), 0.0)
    loglik = (
        clv.bgnbd_log_likelihood if model == "bgnbd" else clv.pareto_nbd_log_likelihood
    )
    params = CDNOW_PARAMS[model]
    summary = clv.compress_summary(c.x, t_x, T)
    assert summary.n_distinct < 2000
    compressed = summary.weight @ loglik(params, summary.x, summary.t_x, summary.T)
    assert compressed == pytest.approx(loglik(params, c.x, t_x, T).sum(), rel=1e-12)
    fit_rows = FITTERS[model](c.x, t_x, T)
    fit_weighted = FITTERS[model](summary.x, summary.t_x, summary.T, summary.weight)
    assert fit_weighted.params == pytest.approx(fit_rows.params, rel=1e-9)
    assert fit_weighted.log_likelihood == pytest.approx(
        fit_rows.log_likelihood, rel=1e-12
    )
    assert fit_weighted.n_customers == fit_rows.n_customers == 2000


@pytest.mark.parametrize("model", FITTERS)
def test_fitting_in_days_scales_alpha_by_seven_and_keeps_p_alive(model):
    rng = np.random.default_rng(3)
    weeks = rng.uniform(1.0, 78.0, 5000)
    c = simulate_bgnbd({"r": 0.5, "alpha": 6.0, "a": 0.8, "b": 2.5}, weeks, rng)
    in_weeks = FITTERS[model](c.x, c.t_x, c.T, time_unit="week")
    in_days = FITTERS[model](c.x, 7.0 * c.t_x, 7.0 * c.T, time_unit="day")
    for name, value in in_weeks.params.items():
        factor = 7.0 if name in ("alpha", "beta") else 1.0
        assert in_days.params[name] == pytest.approx(factor * value, rel=1e-6), name
    np.testing.assert_allclose(
        clv.p_alive(in_days, c.x, 7.0 * c.t_x, 7.0 * c.T),
        clv.p_alive(in_weeks, c.x, c.t_x, c.T),
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        clv.discounted_clv(in_days, c.x, 7.0 * c.t_x, 7.0 * c.T, 20.0),
        clv.discounted_clv(in_weeks, c.x, c.t_x, c.T, 20.0),
        rtol=1e-6,
    )
    # the log-likelihood is a density in time: it changes by sum(x) log(1/7)
    assert in_days.log_likelihood == pytest.approx(
        in_weeks.log_likelihood - c.x.sum() * np.log(7.0), rel=1e-9
    )


def test_a_time_unit_that_contradicts_the_fit_is_refused():
    fit = _fit_result("bgnbd", CDNOW_PARAMS["bgnbd"])
    with pytest.raises(ValueError, match="differs from the fit"):
        clv.discounted_clv(fit, [1], [2.0], [3.0], 10.0, time_unit="day")


@pytest.mark.parametrize(
    ("x", "t_x", "T", "reason"),
    [
        ([1], [5.0], [4.0], "t_x > T"),
        ([-1], [0.0], [4.0], "negative"),
        ([0], [2.0], [4.0], "x == 0 but t_x != 0"),
        ([1.5], [2.0], [4.0], "non-integer x"),
        ([1], [np.nan], [4.0], "non-finite"),
    ],
)
def test_invalid_summaries_are_rejected_with_the_reason(x, t_x, T, reason):
    with pytest.raises(ValueError, match=reason):
        clv.fit_bgnbd(x, t_x, T)


EXTREME_PARAMS = {
    "bgnbd": [
        {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
        {"r": 1e-3, "alpha": 1e-3, "a": 1e-3, "b": 1e-3},
        {"r": 50.0, "alpha": 5000.0, "a": 50.0, "b": 1000.0},
        {"r": 2.0, "alpha": 0.05, "a": 0.049, "b": 310.0},
        {"r": 0.3, "alpha": 30.0, "a": 1.0, "b": 0.45},
    ],
    "pareto_nbd": [
        {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669},
        {"r": 1e-3, "alpha": 1e-3, "s": 1e-3, "beta": 1e3},
        {"r": 50.0, "alpha": 5000.0, "s": 50.0, "beta": 0.01},
        {"r": 3.0, "alpha": 1e4, "s": 1.0, "beta": 1e-2},
        {"r": 0.5, "alpha": 2.0, "s": 1.0, "beta": 2.0},
    ],
}


@pytest.mark.parametrize("model", FITTERS)
def test_no_nan_or_inf_anywhere_on_a_grid_of_extreme_inputs(model):
    grid = []
    for x, T in itertools.product(
        [0, 1, 2, 10, 100, 500], [0.0, 0.5, 10.0, 1000.0, 1e4]
    ):
        for frac in (0.0, 0.5, 1.0):
            if x == 0 and frac > 0:
                continue
            grid.append((x, frac * T if x > 0 else 0.0, T))
    x, t_x, T = (np.array(col, dtype=float) for col in zip(*grid, strict=True))
    for params in EXTREME_PARAMS[model]:
        fit = _fit_result(model, params)
        _assert_finite_predictions(_all_predictions(fit, x, t_x, T))
        loglik = (
            clv.bgnbd_log_likelihood
            if model == "bgnbd"
            else clv.pareto_nbd_log_likelihood
        )
        assert np.all(np.isfinite(loglik(params, x, t_x, T))), params

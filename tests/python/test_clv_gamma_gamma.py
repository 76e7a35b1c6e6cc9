"""Gamma-Gamma spend model: recovery, CDNOW, lifetimes, exclusions, fallbacks."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from customer_value import clv
from customer_value.clv.simulate import simulate_gamma_gamma

TRUE = {"p": 6.0, "q": 3.5, "gamma": 15.0}


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    datasets = pytest.importorskip("lifetimes.datasets")
    return datasets.load_cdnow_summary_data_with_monetary_value()


@pytest.fixture(scope="module")
def cdnow_fit(cdnow: pd.DataFrame) -> clv.FitResult:
    return clv.fit_gamma_gamma(
        cdnow["frequency"].values, cdnow["monetary_value"].values
    )


def test_simulated_parameters_are_recovered_within_three_standard_errors():
    rng = np.random.default_rng(20240503)
    x = rng.poisson(3.0, 20_000) + 1.0
    m = simulate_gamma_gamma(TRUE, x, rng)
    fit = clv.fit_gamma_gamma(x, m)
    assert fit.converged and not fit.fallback_used
    for name, true in TRUE.items():
        se = fit.standard_errors[name]
        assert se is not None and se > 0
        assert abs(fit.params[name] - true) < 3.0 * se, name
    assert abs(fit.diagnostics["corr_frequency_spend"]) < 0.05


def test_cdnow_fit_reproduces_published_parameters_on_the_946_repeaters(cdnow_fit):
    published = {"p": 6.25, "q": 3.74, "gamma": 15.44}
    assert cdnow_fit.converged
    assert cdnow_fit.n_customers == 946
    assert cdnow_fit.diagnostics["n_excluded"] == 2357 - 946
    for name, value in published.items():
        assert cdnow_fit.params[name] == pytest.approx(value, abs=0.01), name
    # Fader & Hardie (note 025) report a correlation of 0.11
    assert cdnow_fit.diagnostics["corr_frequency_spend"] == pytest.approx(
        0.11, abs=0.005
    )


def test_cdnow_fit_and_expected_spend_agree_with_lifetimes(cdnow, cdnow_fit):
    lifetimes = pytest.importorskip("lifetimes")
    x, m = cdnow["frequency"].values, cdnow["monetary_value"].values
    rep = x > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = lifetimes.GammaGammaFitter().fit(x[rep], m[rep])
        ref_spend = ref.conditional_expected_average_profit(x, m)
    assert cdnow_fit.params["p"] == pytest.approx(ref.params_["p"], rel=1e-5)
    assert cdnow_fit.params["q"] == pytest.approx(ref.params_["q"], rel=1e-5)
    assert cdnow_fit.params["gamma"] == pytest.approx(ref.params_["v"], rel=1e-5)
    for ours, theirs in (("p", "p"), ("q", "q"), ("gamma", "v")):
        assert cdnow_fit.standard_errors[ours] == pytest.approx(
            ref.standard_errors_[theirs], rel=1e-4
        )
    np.testing.assert_allclose(
        clv.expected_spend(cdnow_fit, x, m), ref_spend, rtol=1e-5
    )


def test_zero_and_missing_spend_are_excluded_and_get_the_population_mean(cdnow_fit):
    x = np.array([0.0, 3.0, 2.0, 4.0])
    m = np.array([0.0, 0.0, np.nan, 20.0])
    spend = clv.expected_spend(cdnow_fit, x, m)
    population = cdnow_fit.diagnostics["population_mean_spend"]
    p, q, gamma = cdnow_fit.params.values()
    assert population == pytest.approx(p * gamma / (q - 1))
    np.testing.assert_allclose(spend[:3], population)
    assert spend[3] == pytest.approx(p * (gamma + 4 * 20.0) / (p * 4 + q - 1))


def test_zero_spend_customers_do_not_change_the_fit(cdnow):
    x, m = cdnow["frequency"].values, cdnow["monetary_value"].values
    base = clv.fit_gamma_gamma(x, m)
    padded = clv.fit_gamma_gamma(np.r_[x, 5.0, 2.0], np.r_[m, 0.0, -1.0])
    assert padded.params == pytest.approx(base.params)
    assert padded.n_customers == base.n_customers


def test_no_spend_history_falls_back_to_the_supplied_spend():
    fit = clv.fit_gamma_gamma([0, 0, 3], [0.0, 0.0, 0.0], fallback_spend=25.0)
    assert fit.fallback_used and not fit.converged
    assert "no customer has a repeat purchase with positive spend" in fit.message
    np.testing.assert_allclose(clv.expected_spend(fit, [0, 2], [0.0, 10.0]), 25.0)


def test_identical_spend_falls_back_to_the_observed_mean():
    fit = clv.fit_gamma_gamma([1, 2, 5, 3], [12.5, 12.5, 12.5, 12.5])
    assert fit.fallback_used
    assert "same mean spend" in fit.message
    assert fit.params == {"mean_spend": 12.5}
    assert fit.diagnostics["corr_frequency_spend"] is None
    np.testing.assert_allclose(clv.expected_spend(fit, [0, 7], [0.0, 99.0]), 12.5)


def test_weights_equal_repeated_rows():
    rng = np.random.default_rng(7)
    x = rng.integers(1, 6, 300).astype(float)
    m = simulate_gamma_gamma(TRUE, x, rng)
    w = rng.integers(1, 4, 300)
    weighted = clv.fit_gamma_gamma(x, m, weights=w)
    repeated = clv.fit_gamma_gamma(np.repeat(x, w), np.repeat(m, w))
    assert weighted.params == pytest.approx(repeated.params, rel=1e-7)
    assert weighted.log_likelihood == pytest.approx(repeated.log_likelihood, rel=1e-10)

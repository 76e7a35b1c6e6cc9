"""BG/NBD: parameter recovery, published CDNOW results, lifetimes agreement."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special

from customer_value import clv
from customer_value.clv.bgnbd import bgnbd_expected_purchases_if_alive
from customer_value.clv.simulate import simulate_bgnbd

TRUE = {"r": 0.5, "alpha": 30.0, "a": 0.8, "b": 2.5}


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    datasets = pytest.importorskip("lifetimes.datasets")
    return datasets.load_cdnow_summary_data_with_monetary_value()


@pytest.fixture(scope="module")
def cdnow_fit(cdnow: pd.DataFrame) -> clv.FitResult:
    return clv.fit_bgnbd(
        cdnow["frequency"].values,
        cdnow["recency"].values,
        cdnow["T"].values,
        time_unit="week",
    )


@pytest.fixture(scope="module")
def simulated() -> tuple[clv.FitResult, object]:
    rng = np.random.default_rng(20240501)
    T = rng.uniform(30.0, 730.0, 20_000)
    customers = simulate_bgnbd(TRUE, T, rng, holdout=180.0)
    fit = clv.fit_bgnbd(customers.x, customers.t_x, customers.T, time_unit="day")
    return fit, customers


def test_simulated_parameters_are_recovered_within_three_standard_errors(simulated):
    fit, _ = simulated
    assert fit.converged and not fit.fallback_used
    for name, true in TRUE.items():
        se = fit.standard_errors[name]
        assert se is not None and se > 0
        assert abs(fit.params[name] - true) < 3.0 * se, name


def test_simulated_holdout_purchases_and_silence_match_their_predictions(simulated):
    fit, c = simulated
    predicted = clv.expected_purchases(fit, 180.0, c.x, c.t_x, c.T)
    assert predicted.sum() == pytest.approx(c.x_holdout.sum(), rel=0.05)
    silent = clv.p_no_purchase(fit, 180.0, c.x, c.t_x, c.T)
    assert silent.mean() == pytest.approx(np.mean(c.x_holdout == 0), abs=0.01)
    alive = clv.p_alive(fit, c.x, c.t_x, c.T)
    assert alive.mean() == pytest.approx(c.alive.mean(), abs=0.01)


def test_cdnow_fit_reproduces_fader_hardie_lee_2005(cdnow_fit):
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    assert cdnow_fit.converged
    for name, value in published.items():
        assert cdnow_fit.params[name] == pytest.approx(value, abs=6e-4), name
    assert cdnow_fit.log_likelihood == pytest.approx(-9582.4, abs=0.05)
    assert cdnow_fit.n_customers == 2357


def test_cdnow_fit_matches_lifetimes_parameters_and_standard_errors(cdnow, cdnow_fit):
    lifetimes = pytest.importorskip("lifetimes")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = lifetimes.BetaGeoFitter().fit(
            cdnow["frequency"].values, cdnow["recency"].values, cdnow["T"].values
        )
    for name in ("r", "alpha", "a", "b"):
        assert cdnow_fit.params[name] == pytest.approx(ref.params_[name], rel=1e-5)
        assert cdnow_fit.standard_errors[name] == pytest.approx(
            ref.standard_errors_[name], rel=1e-4
        )


def test_cdnow_predictions_agree_with_lifetimes(cdnow, cdnow_fit):
    lifetimes = pytest.importorskip("lifetimes")
    x, t_x, T = (cdnow[c].values for c in ("frequency", "recency", "T"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = lifetimes.BetaGeoFitter().fit(x, t_x, T)
        ref_alive = ref.conditional_probability_alive(x, t_x, T)
        ref_39 = ref.conditional_expected_number_of_purchases_up_to_time(
            39.0, x, t_x, T
        )
        ref_uncond = ref.expected_number_of_purchases_up_to_time(np.array([1.0, 39.0]))
    # independently fitted parameters: agreement to 1e-4 relative
    alive = clv.p_alive(cdnow_fit, x, t_x, T)
    np.testing.assert_allclose(alive, ref_alive, rtol=1e-4)
    np.testing.assert_allclose(
        clv.expected_purchases(cdnow_fit, 39.0, x, t_x, T), ref_39, rtol=1e-4
    )
    # identical parameters: the formulas agree to rounding
    same = dict(ref.params_.items())
    np.testing.assert_allclose(
        clv.bgnbd_p_alive(same, x, t_x, T), ref_alive, rtol=1e-12
    )
    np.testing.assert_allclose(
        clv.bgnbd_expected_purchases(same, 39.0, x, t_x, T), ref_39, rtol=1e-10
    )
    np.testing.assert_allclose(
        clv.bgnbd_unconditional_expected_purchases(same, np.array([1.0, 39.0])),
        ref_uncond,
        rtol=1e-10,
    )


def test_log_likelihood_equals_the_two_term_formula_of_the_paper(cdnow):
    params = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    x, t_x, T = (cdnow[c].values.astype(float) for c in ("frequency", "recency", "T"))
    r, alpha, a, b = params.values()
    common = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    alive = (
        special.betaln(a, b + x) - special.betaln(a, b) - (r + x) * np.log(alpha + T)
    )
    with np.errstate(invalid="ignore"):
        dead = np.where(
            x > 0,
            special.betaln(a + 1, b + x - 1)
            - special.betaln(a, b)
            - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    expected = common + np.logaddexp(alive, dead)
    np.testing.assert_allclose(
        clv.bgnbd_log_likelihood(params, x, t_x, T), expected, rtol=1e-12
    )


def test_cdnow_published_p_alive_example(cdnow_fit):
    # Fader, Hardie & Lee (2008), note 021: x=2, t_x=30.43, T=38.86 -> 0.726
    assert clv.p_alive(cdnow_fit, [2], [30.43], [38.86])[0] == pytest.approx(
        0.7266, abs=5e-4
    )


def _expected_if_alive_by_quadrature(params, t, x, T):
    """E_p[(1 - (1 + p u)^-(r+x)) / p], p ~ Beta(a, b+x): the defining integral."""
    r, alpha, a, b = (params[k] for k in ("r", "alpha", "a", "b"))
    u = t / (alpha + T)
    k = r + x

    def integrand(p: float) -> float:
        return -np.expm1(-k * np.log1p(p * u)) / p if p > 0 else k * u

    value, _ = integrate.quad(
        integrand,
        0.0,
        1.0,
        weight="alg",
        wvar=(a - 1.0, b + x - 1.0),
        epsabs=0.0,
        epsrel=1e-12,
        limit=200,
    )
    return value / special.beta(a, b + x)


@pytest.mark.parametrize(
    ("params", "t", "x", "T"),
    [
        ({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, 52.0, 0, 0.0),
        ({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, 52.0, 7, 30.0),
        ({"r": 1.5, "alpha": 20.0, "a": 2.5, "b": 6.0}, 365.0, 3, 200.0),
        ({"r": 0.3, "alpha": 30.0, "a": 0.6, "b": 0.45}, 365.0, 0, 10.0),
        ({"r": 0.7, "alpha": 3.0, "a": 1.0, "b": 3.0}, 100.0, 2, 5.0),
    ],
)
def test_expected_purchases_if_alive_equals_its_defining_integral(params, t, x, T):
    value = bgnbd_expected_purchases_if_alive(params, t, x, T)
    assert value == pytest.approx(
        _expected_if_alive_by_quadrature(params, t, x, T), rel=1e-8
    )


def test_p_no_purchase_closed_form_equals_likelihood_ratio(cdnow_fit):
    x = np.array([0.0, 1.0, 5.0, 20.0])
    t_x = np.array([0.0, 3.0, 20.0, 38.0])
    T = np.array([39.0, 39.0, 39.0, 39.0])
    ratio = np.exp(
        clv.bgnbd_log_likelihood(cdnow_fit.params, x, t_x, T + 13.0)
        - clv.bgnbd_log_likelihood(cdnow_fit.params, x, t_x, T)
    )
    np.testing.assert_allclose(
        clv.bgnbd_p_no_purchase(cdnow_fit.params, 13.0, x, t_x, T), ratio, rtol=1e-12
    )

"""Pareto/NBD: parameter recovery, published CDNOW results, lifetimes agreement."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import integrate

from customer_value import clv
from customer_value.clv.pareto_nbd import _log_tail_integral
from customer_value.clv.simulate import simulate_pareto_nbd

TRUE = {"r": 0.6, "alpha": 40.0, "s": 0.7, "beta": 60.0}


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    datasets = pytest.importorskip("lifetimes.datasets")
    return datasets.load_cdnow_summary_data_with_monetary_value()


@pytest.fixture(scope="module")
def cdnow_fit(cdnow: pd.DataFrame) -> clv.FitResult:
    return clv.fit_pareto_nbd(
        cdnow["frequency"].values,
        cdnow["recency"].values,
        cdnow["T"].values,
        time_unit="week",
    )


@pytest.fixture(scope="module")
def simulated():
    rng = np.random.default_rng(20240502)
    # whole days, as the SQL layer produces them
    T = np.ceil(rng.uniform(30.0, 730.0, 20_000))
    c = simulate_pareto_nbd(TRUE, T, rng, holdout=180.0)
    t_x = np.where(c.x > 0, np.minimum(np.ceil(c.t_x), T), 0.0)
    fit = clv.fit_pareto_nbd(c.x, t_x, T, time_unit="day")
    return fit, c, t_x


def test_simulated_parameters_are_recovered_within_three_standard_errors(simulated):
    fit, _, _ = simulated
    assert fit.converged and not fit.fallback_used
    for name, true in TRUE.items():
        se = fit.standard_errors[name]
        assert se is not None and se > 0
        assert abs(fit.params[name] - true) < 3.0 * se, name


def test_simulated_holdout_purchases_and_silence_match_their_predictions(simulated):
    fit, c, t_x = simulated
    predicted = clv.expected_purchases(fit, 180.0, c.x, t_x, c.T)
    assert predicted.sum() == pytest.approx(c.x_holdout.sum(), rel=0.05)
    silent = clv.p_no_purchase(fit, 180.0, c.x, t_x, c.T)
    assert silent.mean() == pytest.approx(np.mean(c.x_holdout == 0), abs=0.01)


def test_cdnow_fit_reproduces_published_parameters(cdnow_fit):
    # Fader & Hardie (2005), Pareto/NBD on CDNOW: r, alpha, s, beta, LL -9595.0
    published = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
    assert cdnow_fit.converged
    # published to 3 decimals; beta's likelihood is very flat (se ~ 6), so its
    # last published digit is within 1e-4 relative of the exact optimum
    for name, value in published.items():
        assert cdnow_fit.params[name] == pytest.approx(value, rel=1e-4, abs=6e-4), name
    assert cdnow_fit.log_likelihood == pytest.approx(-9595.0, abs=0.05)


def test_cdnow_predictions_agree_with_lifetimes_formulas(cdnow, cdnow_fit):
    lifetimes = pytest.importorskip("lifetimes")
    x, t_x, T = (cdnow[c].values for c in ("frequency", "recency", "T"))
    ref = lifetimes.ParetoNBDFitter()
    ref.params_ = pd.Series(cdnow_fit.params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref_alive = ref.conditional_probability_alive(x, t_x, T)
        ref_39 = ref.conditional_expected_number_of_purchases_up_to_time(
            39.0, x, t_x, T
        )
        ref_ll = ref._conditional_log_likelihood(
            list(cdnow_fit.params.values()), x, t_x, T
        )
        ref_uncond = ref.expected_number_of_purchases_up_to_time(np.array([1.0, 39.0]))
    np.testing.assert_allclose(clv.p_alive(cdnow_fit, x, t_x, T), ref_alive, rtol=1e-10)
    np.testing.assert_allclose(
        clv.expected_purchases(cdnow_fit, 39.0, x, t_x, T), ref_39, rtol=1e-10
    )
    np.testing.assert_allclose(
        clv.pareto_nbd_log_likelihood(cdnow_fit.params, x, t_x, T), ref_ll, rtol=1e-10
    )
    np.testing.assert_allclose(
        clv.unconditional_expected_purchases(cdnow_fit, np.array([1.0, 39.0])),
        ref_uncond,
        rtol=1e-12,
    )


def test_cdnow_fit_is_at_least_as_good_as_lifetimes_nelder_mead(cdnow, cdnow_fit):
    lifetimes = pytest.importorskip("lifetimes")
    x, t_x, T = (cdnow[c].values for c in ("frequency", "recency", "T"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = lifetimes.ParetoNBDFitter().fit(x, t_x, T)
    ref_params = dict(ref.params_.items())
    for name in ("r", "alpha", "s", "beta"):
        assert cdnow_fit.params[name] == pytest.approx(ref_params[name], rel=1e-3)
    ref_ll = clv.pareto_nbd_log_likelihood(ref_params, x, t_x, T).sum()
    assert cdnow_fit.log_likelihood >= ref_ll - 1e-9
    np.testing.assert_allclose(
        clv.p_alive(cdnow_fit, x, t_x, T),
        clv.pareto_nbd_p_alive(ref_params, x, t_x, T),
        rtol=1e-3,
    )


@pytest.mark.parametrize(
    ("r", "alpha", "s", "beta", "x", "tau"),
    [
        (0.553, 10.578, 0.606, 11.669, 0, 0.0),  # alpha < beta
        (0.553, 10.578, 0.606, 11.669, 12, 30.0),
        (0.9, 50.0, 1.7, 5.0, 3, 10.0),  # alpha > beta
        (2.0, 5.0, 1.0, 5.0, 1, 2.0),  # alpha == beta
        (0.3, 0.5, 0.4, 200.0, 40, 100.0),
    ],
)
def test_tail_integral_closed_form_equals_quadrature(r, alpha, s, beta, x, tau):
    closed = _log_tail_integral(
        r, alpha, s, beta, np.array([float(x)]), np.array([tau])
    )

    def integrand(v: float) -> float:
        return (alpha + v) ** -(r + x) * (beta + v) ** -(s + 1.0)

    value, _ = integrate.quad(integrand, tau, np.inf, epsabs=0.0, epsrel=1e-12)
    assert np.exp(closed[0]) == pytest.approx(value, rel=1e-9)


def test_p_no_purchase_tends_to_p_dead_for_long_horizons(cdnow_fit):
    x, t_x, T = np.array([1.0, 5.0]), np.array([2.0, 10.0]), np.array([39.0, 39.0])
    dead = 1.0 - clv.p_alive(cdnow_fit, x, t_x, T)
    # customers that are alive eventually buy or die; P(no purchase) -> P(dead)
    # plus the chance that an alive customer dies before buying again
    silent = clv.p_no_purchase(cdnow_fit, 1e7, x, t_x, T)
    assert np.all(silent >= dead - 1e-12)
    assert np.all(
        np.diff(
            clv.p_no_purchase(
                cdnow_fit,
                [1.0, 10.0],
                x[:1].repeat(2),
                t_x[:1].repeat(2),
                T[:1].repeat(2),
            )
        )
        < 0
    )

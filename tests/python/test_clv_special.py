"""Special functions: hypergeometric terms against 50-digit references."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special

from customer_value import clv
from customer_value.clv._special import (
    _bgnbd_alive_expectation_quad,
    _log_hyp2f1_one_quad,
    bgnbd_alive_expectation,
    log1mexp,
    log_hyp2f1_one,
    one_minus_exp_ratio,
)

# (r, alpha, a, b, x, T, t, E[X(T, T+t) | alive]) computed with mpmath 1.3.0 at
# 60 significant digits from the published (untransformed) closed form. Rows
# 3-6 are cases where scipy's hyp2f1 returns NaN or loses accuracy.
BGNBD_REFERENCE = [
    (0.243, 4.414, 0.793, 2.426, 0, 0.0, 52.0, 1.4460505953964038),
    (0.243, 4.414, 0.793, 2.426, 500, 5000.0, 52.0, 5.176738245156713),
    (2.04, 0.0867, 0.049, 310.0, 2, 0.0, 5000.0, 176065.52930721387),
    (3.02, 0.15, 2.1, 394.0, 0, 1.0, 5000.0, 348.0378671295424),
    (1.078, 13.67, 1.68289, 369.7, 0, 0.0, 5000.0, 175.20933737470594),
    (0.531, 0.2215, 2.168, 558.4, 2, 0.0, 3650.0, 475.1347027820125),
    (0.509, 6.91, 0.0254, 0.145, 0, 1.0, 1.0, 0.06351083368988145),
    (0.3, 30.0, 0.6, 0.45, 0, 10.0, 365.0, 0.9879666138307795),  # a + b - 1 ~ 0
]

# (B, C, z, log 2F1(1, B; C; z)) at 60 digits; scipy gives NaN for rows 1 and 5
# and a 1e-7 relative error for row 2.
HYP2F1_ONE_REFERENCE = [
    (500.127, 501.383, 0.9995223115, 6.317758481567628),
    (108.891, 115.656, 0.9999991841, 2.990112542516011),
    (2.04378, 4.04378, 0.9997490197, 1.1096169899854977),
    (0.3, 1.5, 0.5, 0.13082620534491343),
    (520.0, 520.8, 0.999999, 9.01620966352906),
]


@pytest.mark.parametrize(
    ("r", "alpha", "a", "b", "x", "T", "t", "ref"), BGNBD_REFERENCE
)
def test_bgnbd_alive_expectation_matches_high_precision_reference(
    r, alpha, a, b, x, T, t, ref
):
    value = bgnbd_alive_expectation(r, alpha, a, b, t, float(x), T)
    assert value == pytest.approx(ref, rel=1e-8)


@pytest.mark.parametrize(("B", "C", "z", "ref"), HYP2F1_ONE_REFERENCE)
def test_log_hyp2f1_one_matches_high_precision_reference(B, C, z, ref):
    assert log_hyp2f1_one(B, C, z) == pytest.approx(ref, rel=1e-9)


def test_bgnbd_quadrature_fallback_agrees_with_the_closed_form_where_both_hold():
    rng = np.random.default_rng(0)
    for _ in range(25):
        r, alpha, a, b = np.exp(rng.uniform(-2, 1.5, 4))
        x = float(rng.choice([0, 1, 4, 30]))
        T, t = rng.uniform(0, 100), rng.uniform(1, 200)
        closed = bgnbd_alive_expectation(r, alpha, a, b, t, x, T)
        quad = _bgnbd_alive_expectation_quad(r + x, a, b + x, t / (alpha + T))
        assert quad == pytest.approx(float(closed), rel=1e-7)


def test_hyp2f1_quadrature_fallback_agrees_with_scipy_where_scipy_is_accurate():
    rng = np.random.default_rng(1)
    for _ in range(25):
        B = float(np.exp(rng.uniform(-3, 3)))
        C = max(B, 1.0) + float(np.exp(rng.uniform(-3, 2)))
        z = float(rng.uniform(0, 0.95))
        expected = np.log(special.hyp2f1(1.0, B, C, z))
        assert _log_hyp2f1_one_quad(B, C, z) == pytest.approx(
            expected, rel=1e-9, abs=1e-12
        )


def test_bgnbd_expectation_is_continuous_through_a_equal_one():
    args = (0.5, 10.0)
    t, x, T = np.array([30.0, 365.0]), np.array([0.0, 3.0]), np.array([5.0, 100.0])
    below = bgnbd_alive_expectation(*args, 1.0 - 3e-4, 2.0, t, x, T)
    at = bgnbd_alive_expectation(*args, 1.0, 2.0, t, x, T)
    above = bgnbd_alive_expectation(*args, 1.0 + 3e-4, 2.0, t, x, T)
    np.testing.assert_allclose(at, 0.5 * (below + above), rtol=1e-6)
    assert np.all(np.isfinite(at))


def test_bgnbd_expectation_grows_with_the_horizon_and_respects_its_bounds():
    t = np.geomspace(1e-3, 1e5, 60)
    for x in (0.0, 5.0, 500.0):
        values = bgnbd_alive_expectation(0.243, 4.414, 0.793, 2.426, t, x, 10.0)
        assert np.all(np.diff(values) > 0)
        u = t / (4.414 + 10.0)
        assert np.all(values <= (0.243 + x) * u * (1 + 1e-10))
        assert np.all(values >= -np.expm1(-(0.243 + x) * np.log1p(u)) * (1 - 1e-10))


def test_log1mexp_and_expm1_ratio_are_accurate_near_their_limits():
    d = np.array([0.0, -1e-20, -1e-5, -0.7, -50.0])
    np.testing.assert_allclose(
        log1mexp(d)[1:],
        [
            np.log(1e-20),
            np.log(-np.expm1(-1e-5)),
            np.log1p(-np.exp(-0.7)),
            -np.exp(-50.0),
        ],
        rtol=1e-12,
    )
    assert log1mexp(np.array([0.0]))[0] == -np.inf
    np.testing.assert_allclose(one_minus_exp_ratio(np.array([0.0, 1e-12]), 2.0), 2.0)
    assert one_minus_exp_ratio(np.array([1.0]), 2.0)[0] == pytest.approx(
        1 - np.exp(-2.0)
    )


def test_compression_maps_every_customer_back_to_its_tuple():
    x = np.array([2, 0, 2, 1, 0, 2], dtype=float)
    t_x = np.array([5, 0, 5, 3, 0, 4], dtype=float)
    T = np.array([9, 7, 9, 9, 7, 9], dtype=float)
    s = clv.compress_summary(x, t_x, T)
    assert s.n_distinct == 4 and s.n_customers == 6
    np.testing.assert_array_equal(s.x[s.inverse], x)
    np.testing.assert_array_equal(s.t_x[s.inverse], t_x)
    np.testing.assert_array_equal(s.T[s.inverse], T)
    np.testing.assert_array_equal(s.weight, [2, 1, 1, 2])
    assert s.weight.sum() == 6
    fractional = clv.compress_summary(x, t_x / 7, T / 7, weights=np.full(6, 0.5))
    np.testing.assert_allclose(fractional.weight, [1.0, 0.5, 0.5, 1.0])
    np.testing.assert_allclose(fractional.expand(fractional.T), T / 7)

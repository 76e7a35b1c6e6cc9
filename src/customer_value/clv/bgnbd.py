"""BG/NBD model (Fader, Hardie & Lee 2005, "Counting your customers the easy way").

While alive, a customer buys as a Poisson process with rate
``lambda ~ Gamma(r, alpha)``; after each repeat purchase they drop out with
probability ``p ~ Beta(a, b)``. Per customer the sufficient statistics are
``x`` (repeat purchases), ``t_x`` (time of the last one since the first
purchase) and ``T`` (time from the first purchase to the calibration end), in
one time unit chosen by the caller: ``alpha`` is expressed in that unit.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from ._fit import (
    FitResult,
    bound_message,
    degenerate_reason,
    hessian_from_gradient,
    minimise,
    params_vector,
    poisson_fallback,
    standard_errors,
)
from ._special import bgnbd_alive_expectation
from ._summary import FloatArray, compress_summary, dot, validate_summary

MODEL = "bgnbd"
PARAM_NAMES = ("r", "alpha", "a", "b")


def _log_odds_dead(
    r: float,
    alpha: float,
    a: float,
    b: float,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
) -> FloatArray:
    """``D = log[a / (b + x - 1)] + (r + x) log[(alpha + T) / (alpha + t_x)]``.

    ``D`` is the log of the ratio of the "dropped out after the last purchase"
    term to the "still alive" term of the likelihood; ``-inf`` when ``x == 0``.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        d = (
            np.log(a)
            - np.log(b + np.maximum(x, 1.0) - 1.0)
            + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
        )
    return np.where(x > 0, d, -np.inf)


def bgnbd_log_likelihood(
    params: Mapping[str, float], x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> FloatArray:
    """Per-customer BG/NBD log-likelihood (Fader, Hardie & Lee 2005, eq. 6).

    ``L = B(a, b+x)/B(a, b) * Gamma(r+x) alpha^r / (Gamma(r) (alpha+T)^(r+x))
    + 1{x>0} B(a+1, b+x-1)/B(a, b) * Gamma(r+x) alpha^r / (Gamma(r)
    (alpha+t_x)^(r+x))``, computed as ``log A + softplus(D)`` so that nothing
    overflows at large ``x`` or ``T``.
    """
    r, alpha, a, b = params_vector(params, PARAM_NAMES)
    xa, ta, Ta = validate_summary(x, t_x, T)
    base = (
        special.gammaln(r + xa)
        - special.gammaln(r)
        + r * np.log(alpha)
        + special.betaln(a, b + xa)
        - special.betaln(a, b)
        - (r + xa) * np.log(alpha + Ta)
    )
    return base + np.logaddexp(0.0, _log_odds_dead(r, alpha, a, b, xa, ta, Ta))


class _Objective:
    """Mean negative log-likelihood and gradient on compressed data.

    Terms that depend on ``x`` alone are evaluated once per distinct ``x`` and
    weighted by the total count at that ``x``. The per-row work (a few
    logarithms, reciprocals and one logistic function per distinct summary)
    runs in preallocated buffers: at a million customers the cost of
    allocating temporaries would otherwise dominate.
    """

    def __init__(self, x: FloatArray, t_x: FloatArray, T: FloatArray, w: FloatArray):
        order = np.argsort(x, kind="stable")  # repeaters form one contiguous block
        x, t_x, T, w = x[order], t_x[order], T[order], w[order]
        self.total = float(w.sum())
        self.ux, xi = np.unique(x, return_inverse=True)
        self.wx_by_x = np.bincount(xi, weights=w)
        self.w, self.wx, self.T = w, w * x, T
        self.n0 = int(np.searchsorted(x, 0.0, side="right"))
        rep = slice(self.n0, None)
        self.rw, self.rtx = w[rep], t_x[rep]
        self.rx = x[rep]
        self.rxi = xi[rep].astype(np.intp)
        n, k = T.size, self.rx.size
        self._all = (np.empty(n), np.empty(n))
        self._rep = tuple(np.empty(k) for _ in range(5))

    def __call__(self, theta: FloatArray) -> tuple[float, FloatArray]:
        r, alpha, a, b = np.exp(theta)
        ux, wx = self.ux, self.wx_by_x
        log_T, inv_T = self._all
        np.add(self.T, alpha, out=log_T)
        np.reciprocal(log_T, out=inv_T)
        np.log(log_T, out=log_T)
        sum_w_logT, sum_wx_logT = dot(self.w, log_T), dot(self.wx, log_T)
        ll = (
            wx
            @ (
                special.gammaln(r + ux)
                - special.gammaln(r)
                + special.betaln(a, b + ux)
                - special.betaln(a, b)
            )
            + self.total * r * np.log(alpha)
            - r * sum_w_logT
            - sum_wx_logT
        )
        g_r = (
            wx @ (special.digamma(r + ux) - special.digamma(r))
            + self.total * np.log(alpha)
            - sum_w_logT
        )
        g_alpha = self.total * r / alpha - r * dot(self.w, inv_T) - dot(self.wx, inv_T)
        psi_ab = special.digamma(a + b)
        psi_abx = special.digamma(a + b + ux)
        g_a = wx @ (psi_ab - psi_abx)
        g_b = wx @ (special.digamma(b + ux) - psi_abx - special.digamma(b) + psi_ab)
        if self.rx.size:
            # repeaters: D = log(a / (b+x-1)) + (r+x) log((alpha+T)/(alpha+t_x)),
            # log-likelihood term softplus(D), weight of "dropped out" expit(D)
            ratio, inv_tx, d, tmp, tmp2 = self._rep
            np.add(self.rtx, alpha, out=inv_tx)
            np.log(inv_tx, out=ratio)
            np.reciprocal(inv_tx, out=inv_tx)
            np.subtract(log_T[self.n0 :], ratio, out=ratio)
            np.multiply(ratio, r, out=d)
            np.multiply(ratio, self.rx, out=tmp)
            np.add(d, tmp, out=d)
            shift = np.log(a) - np.log(
                b + ux - 1.0, where=ux > 0, out=np.zeros_like(ux)
            )
            np.add(d, np.take(shift, self.rxi, out=tmp), out=d)
            # softplus(D) = max(D, 0) - log(e) and expit(D) = e or 1 - e
            # (for D >= 0 or D < 0), with e = expit(|D|) in [1/2, 1]
            e = special.expit(np.abs(d, out=tmp), out=tmp)
            ll += dot(self.rw, np.maximum(d, 0.0, out=tmp2))
            ll -= dot(self.rw, np.log(e, out=tmp2))
            pi = np.subtract(1.0, e, out=tmp2)
            np.copyto(pi, e, where=d >= 0.0)
            pi_w = np.multiply(pi, self.rw, out=d)
            g_r += dot(pi_w, ratio)
            diff = np.subtract(inv_T[self.n0 :], inv_tx, out=inv_tx)
            weighted = np.multiply(pi_w, diff, out=ratio)
            g_alpha += r * weighted.sum() + dot(weighted, self.rx)
            pi_by_x = np.bincount(self.rxi, weights=pi_w, minlength=ux.size)
            g_a += pi_by_x.sum() / a
            g_b -= pi_by_x @ np.where(
                ux > 0, 1.0 / np.maximum(b + ux - 1.0, 1e-300), 0.0
            )
        grad = np.array([g_r, g_alpha, g_a, g_b]) * np.array([r, alpha, a, b])
        return -float(ll) / self.total, -grad / self.total

    def gradient(self, theta: FloatArray) -> FloatArray:
        return self(theta)[1]


def fit_bgnbd(
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    time_unit: str | float | None = None,
    initial_params: Mapping[str, float] | None = None,
) -> FitResult:
    """Maximum-likelihood fit of the BG/NBD model.

    The summary is compressed to distinct ``(x, t_x, T)`` with counts, times
    are rescaled internally so that ``max(T) = 10`` (the estimates do not
    depend on the caller's time unit except for ``alpha``, which scales with
    it), and the mean negative log-likelihood is minimised over
    ``log(r, alpha, a, b)`` with its analytic gradient.

    Fallback (``fallback_used=True``; see :func:`._fit.poisson_fallback`):
    no customers, nobody with a repeat purchase, all customers with the same
    summary, or a non-finite optimum give the pooled-Poisson rule
    ``{"rate": sum(x) / sum(T)}`` (0 when nobody repeats), i.e. zero expected
    repeat purchases when nobody repeats.
    """
    summary = compress_summary(x, t_x, T, weights)
    xs, ts, Ts, w = summary.x, summary.t_x, summary.T, summary.weight
    keep = w > 0
    xs, ts, Ts, w = xs[keep], ts[keep], Ts[keep], w[keep]
    n_distinct = int(xs.size)

    def fallback(reason: str) -> FitResult:
        return poisson_fallback(
            MODEL, xs, Ts, w, reason, n_distinct=n_distinct, time_unit=time_unit
        )

    if w.sum() <= 0:
        return fallback("no customers to fit")
    if not np.any(xs > 0):
        return fallback(
            "nobody made a repeat purchase, so the purchase-rate and dropout "
            "parameters are not identified (the likelihood is maximised at a "
            "purchase rate of 0)"
        )
    if n_distinct == 1:
        return fallback(
            "all customers have the same (x, t_x, T) summary, so the "
            "heterogeneity parameters are not identified"
        )
    max_T = float(Ts.max())
    scale = 10.0 / max_T if max_T > 0 else 1.0
    objective = _Objective(xs, ts * scale, Ts * scale, w)

    starts = []
    if initial_params is not None:
        p0 = params_vector(initial_params, PARAM_NAMES).copy()
        p0[1] *= scale
        starts.append(np.log(p0))
    rate = dot(w, xs) / max(dot(w, Ts * scale), 1e-12)
    starts.append(np.log([1.0, 1.0 / max(rate, 1e-6), 1.0, 1.0]))
    starts.append(np.full(4, 0.1))

    def hessian(theta: FloatArray) -> FloatArray:
        return hessian_from_gradient(objective.gradient, theta)

    best = None
    for theta0 in starts:
        try:
            opt = minimise(
                objective, np.asarray(theta0, dtype=np.float64), hessian=hessian
            )
        except (ArithmeticError, ValueError, np.linalg.LinAlgError):
            continue
        if best is None or opt.mean_nll < best.mean_nll - 1e-12:
            best = opt
        if opt.converged:
            break
    if best is None or not np.isfinite(best.mean_nll) or best.mean_nll >= 1e299:
        return fallback("the optimiser did not reach a finite log-likelihood")

    natural = np.exp(best.theta)
    natural[1] /= scale
    params = dict(zip(PARAM_NAMES, (float(v) for v in natural), strict=True))
    # the likelihood is a density in the purchase times: rescaling time by
    # ``scale`` multiplies it by scale ** x, so LL(caller's unit) =
    # LL(rescaled) + sum(w x) log(scale)
    ll = -best.mean_nll * float(w.sum()) + dot(w, xs) * float(np.log(scale))
    degenerate = degenerate_reason(
        params, bgnbd_p_alive, bgnbd_expected_purchases, xs, ts, Ts
    )
    if degenerate:
        return fallback(degenerate)
    notes = [bound_message(PARAM_NAMES, best.theta)]
    ses = standard_errors(PARAM_NAMES, natural, best.hessian, float(w.sum()))
    if any(v is None for v in ses.values()):
        notes.append("standard errors unavailable: Hessian not positive definite")
    message = "converged" if best.converged else f"not converged: {best.message}"
    message = "; ".join([message, *[n for n in notes if n]])
    return FitResult(
        model=MODEL,
        params=params,
        standard_errors=ses,
        log_likelihood=ll,
        n_customers=round(float(w.sum())),
        converged=best.converged,
        message=message,
        fallback_used=False,
        n_distinct=n_distinct,
        time_unit=time_unit,
        diagnostics={
            "iterations": float(best.n_iterations),
            "max_abs_gradient": float(np.max(np.abs(best.gradient))),
            "time_scale": scale,
        },
    )


def bgnbd_p_alive(
    params: Mapping[str, float], x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> FloatArray:
    """``P(alive at T | x, t_x, T)`` (Fader, Hardie & Lee 2008, note 021).

    ``P = 1 / (1 + 1{x>0} a / (b + x - 1) * ((alpha + T) / (alpha + t_x))^(r + x))``,
    computed as ``expit(-D)``; equal to 1 when ``x == 0`` (in this model
    customers can only drop out right after a repeat purchase).
    """
    r, alpha, a, b = params_vector(params, PARAM_NAMES)
    xa, ta, Ta = validate_summary(x, t_x, T)
    return special.expit(-_log_odds_dead(r, alpha, a, b, xa, ta, Ta))


def bgnbd_expected_purchases_if_alive(
    params: Mapping[str, float], t: ArrayLike, x: ArrayLike, T: ArrayLike
) -> FloatArray:
    """``E[X(T, T+t) | x, T, alive at T]`` for the BG/NBD model.

    See :func:`._special.bgnbd_alive_expectation` for the formula. The
    conditional expectation of Fader, Hardie & Lee (2005, eq. 10) equals
    ``P(alive) * this``; it does not depend on ``t_x``.
    """
    r, alpha, a, b = params_vector(params, PARAM_NAMES)
    return bgnbd_alive_expectation(
        r,
        alpha,
        a,
        b,
        np.asarray(t, dtype=np.float64),
        np.asarray(x, dtype=np.float64),
        np.asarray(T, dtype=np.float64),
    )


def bgnbd_expected_purchases(
    params: Mapping[str, float],
    t: ArrayLike,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
) -> FloatArray:
    """Conditional expected repeat purchases in ``(T, T+t]`` (FHL 2005, eq. 10).

    ``E = P(alive) * (a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x)
    2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))]``. ``t`` broadcasts against the
    customers.
    """
    xa, ta, Ta = validate_summary(x, t_x, T)
    t_arr = np.asarray(t, dtype=np.float64)
    return bgnbd_p_alive(params, xa, ta, Ta) * bgnbd_expected_purchases_if_alive(
        params, t_arr, xa, Ta
    )


def bgnbd_p_no_purchase(
    params: Mapping[str, float],
    t: ArrayLike,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
) -> FloatArray:
    """``P(X(T, T+t) = 0 | x, t_x, T)``: no purchase in the next ``t``.

    The history ``(x, t_x, T)`` followed by no purchase in ``(T, T+t]`` is the
    history ``(x, t_x, T+t)``, so ``P = L(x, t_x, T+t) / L(x, t_x, T)``
    (the ``x* = 0`` case of the conditional PMF). For the BG/NBD this is
    ``1 - P(alive) + P(alive) * ((alpha+T)/(alpha+T+t))^(r+x)``: either the
    customer has dropped out, or they are alive with posterior rate
    ``Gamma(r+x, alpha+T)`` and make no purchase (dropout only follows a
    purchase).
    """
    r, alpha, _, _ = params_vector(params, PARAM_NAMES)
    xa, ta, Ta = validate_summary(x, t_x, T)
    t_arr = np.asarray(t, dtype=np.float64)
    alive = bgnbd_p_alive(params, xa, ta, Ta)
    silent = np.exp(-(r + xa) * np.log1p(t_arr / (alpha + Ta)))
    return np.clip(1.0 - alive + alive * silent, 0.0, 1.0)


def bgnbd_unconditional_expected_purchases(
    params: Mapping[str, float], t: ArrayLike
) -> FloatArray:
    """``E[X(t)]`` for a customer ``t`` after the first purchase (FHL 2005, eq. 9).

    ``E[X(t)] = (a+b-1)/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))]``,
    the ``x = 0, T = 0`` case of :func:`bgnbd_expected_purchases_if_alive`.
    """
    t_arr = np.asarray(t, dtype=np.float64)
    return bgnbd_expected_purchases_if_alive(params, t_arr, 0.0, 0.0)

"""Pareto/NBD model (Schmittlein, Morrison & Colombo 1987).

While alive, a customer buys as a Poisson process with rate
``lambda ~ Gamma(r, alpha)``; their lifetime is exponential with rate
``mu ~ Gamma(s, beta)``. Inputs are the same ``(x, t_x, T)`` summaries as for
the BG/NBD model; ``alpha`` and ``beta`` are in the caller's time unit.
Expressions follow Fader & Hardie (2005), "A note on deriving the Pareto/NBD
model and related expressions".
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from ._fit import (
    FitResult,
    bound_message,
    central_gradient,
    degenerate_reason,
    hessian_from_function,
    minimise,
    params_vector,
    poisson_fallback,
    standard_errors,
)
from ._special import log1mexp, log_hyp2f1_one, one_minus_exp_ratio
from ._summary import (
    FloatArray,
    compress_summary,
    dot,
    unique_rows,
    validate_summary,
)

MODEL = "pareto_nbd"
PARAM_NAMES = ("r", "alpha", "s", "beta")


def _log_tail_integral(
    r: float, alpha: float, s: float, beta: float, x: FloatArray, tau: FloatArray
) -> FloatArray:
    """``log J(tau)``, ``J(tau) = int_tau^inf (alpha+v)^-(r+x) (beta+v)^-(s+1) dv``.

    With ``m = r + s + x`` (Fader & Hardie 2005, eqs. 19-20, after Euler's
    transformation ``2F1(m, b; m+1; z) = (1-z)^(1-b) 2F1(1, m+1-b; m+1; z)``,
    which removes the overflow of the published form at high frequency)::

        alpha >= beta:  J = (alpha+tau)^-(r+x) (beta+tau)^-s
                            2F1(1, r+x; m+1; (alpha-beta)/(alpha+tau)) / m
        alpha <  beta:  J = (alpha+tau)^-(r+x-1) (beta+tau)^-(s+1)
                            2F1(1, s+1; m+1; (beta-alpha)/(beta+tau)) / m
    """
    m = r + s + x
    if alpha >= beta:
        z = (alpha - beta) / (alpha + tau)
        log_f = log_hyp2f1_one(r + x, m + 1.0, z)
        return (
            -(r + x) * np.log(alpha + tau) - s * np.log(beta + tau) + log_f - np.log(m)
        )
    z = (beta - alpha) / (beta + tau)
    log_f = log_hyp2f1_one(np.full_like(x, s + 1.0), m + 1.0, z)
    return (
        -(r + x - 1.0) * np.log(alpha + tau)
        - (s + 1.0) * np.log(beta + tau)
        + log_f
        - np.log(m)
    )


def _likelihood_terms(
    r: float,
    alpha: float,
    s: float,
    beta: float,
    x: FloatArray,
    T: FloatArray,
    log_j_tx: FloatArray,
    log_j_T: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Log of the "alive at T" and the "died in (t_x, T]" likelihood terms.

    ``L = Gamma(r+x) alpha^r beta^s / Gamma(r) * [(alpha+T)^-(r+x) (beta+T)^-s
    + s (J(t_x) - J(T))]`` (the integral form of Fader & Hardie 2005, eq. 18);
    the common factor is left out of both terms.
    """
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    log_int = log_j_tx + log1mexp(np.minimum(log_j_T - log_j_tx, 0.0))
    dead = np.log(s) + log_int
    return alive, dead


def pareto_nbd_log_likelihood(
    params: Mapping[str, float], x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> FloatArray:
    """Per-customer Pareto/NBD log-likelihood, in log-sum-exp form.

    ``log L = log Gamma(r+x) - log Gamma(r) + r log alpha + s log beta
    + logaddexp(-(r+x) log(alpha+T) - s log(beta+T), log s + log(J(t_x) - J(T)))``
    with ``J`` from :func:`_log_tail_integral`.
    """
    r, alpha, s, beta = params_vector(params, PARAM_NAMES)
    xa, ta, Ta = validate_summary(x, t_x, T)
    alive, dead = _likelihood_terms(
        r,
        alpha,
        s,
        beta,
        xa,
        Ta,
        _log_tail_integral(r, alpha, s, beta, xa, ta),
        _log_tail_integral(r, alpha, s, beta, xa, Ta),
    )
    const = special.gammaln(r + xa) - special.gammaln(r) + r * np.log(alpha)
    return const + s * np.log(beta) + np.logaddexp(alive, dead)


class _Objective:
    """Mean negative log-likelihood and its gradient on compressed data.

    ``J`` is evaluated once per distinct ``(x, tau)`` pair over
    ``tau in {t_x, T}``. With ``a = r + x`` and ``b = s + 1`` the exponents of
    ``J``, its derivatives in ``alpha`` and ``beta`` are tail integrals of the
    same family, ``dJ/dalpha = -a J(a+1, b)`` and ``dJ/dbeta = -b J(a, b+1)``;
    its derivatives in ``r`` and ``s`` (log-weighted integrals without a closed
    form) are central differences of ``log J`` on the distinct pairs only. Every
    other term of the gradient is analytic.
    """

    #: Step of the central differences of ``log J`` in ``log r`` and ``log s``.
    STEP = 1e-5

    def __init__(self, x: FloatArray, t_x: FloatArray, T: FloatArray, w: FloatArray):
        n = x.size
        (self.px, self.ptau), inverse = unique_rows(
            np.concatenate([x, x]), np.concatenate([t_x, T])
        )
        self.inv_tx, self.inv_T = inverse[:n], inverse[n:]
        self.ux, xi = np.unique(x, return_inverse=True)
        self.wx_by_x = np.bincount(xi, weights=w)
        self.total = float(w.sum())
        self.w, self.x, self.T = w, x, T

    def _log_j(self, r: float, alpha: float, s: float, beta: float) -> FloatArray:
        return _log_tail_integral(r, alpha, s, beta, self.px, self.ptau)

    def _mean_nll(
        self, r: float, alpha: float, s: float, beta: float, log_j: FloatArray
    ) -> tuple[float, FloatArray, FloatArray]:
        alive, dead = _likelihood_terms(
            r, alpha, s, beta, self.x, self.T, log_j[self.inv_tx], log_j[self.inv_T]
        )
        ll = (
            self.wx_by_x @ (special.gammaln(r + self.ux) - special.gammaln(r))
            + self.total * (r * np.log(alpha) + s * np.log(beta))
            + dot(self.w, np.logaddexp(alive, dead))
        )
        value = -float(ll) / self.total if np.isfinite(ll) else np.inf
        return value, alive, dead

    def value(self, theta: FloatArray) -> float:
        r, alpha, s, beta = np.exp(theta)
        with np.errstate(all="ignore"):
            return self._mean_nll(r, alpha, s, beta, self._log_j(r, alpha, s, beta))[0]

    def __call__(self, theta: FloatArray) -> tuple[float, FloatArray]:
        r, alpha, s, beta = np.exp(theta)
        h = self.STEP
        up, down = np.exp(h), np.exp(-h)
        x, T = self.x, self.T
        with np.errstate(all="ignore"):
            log_j = self._log_j(r, alpha, s, beta)
            value, alive, dead = self._mean_nll(r, alpha, s, beta, log_j)
            if not np.isfinite(value):
                return np.inf, np.zeros_like(theta)
            # derivatives of log J on the distinct pairs, per log-parameter
            a_pair = r + self.px
            log_j_r = (
                self._log_j(r * up, alpha, s, beta),
                self._log_j(r * down, alpha, s, beta),
            )
            log_j_s = (
                self._log_j(r, alpha, s * up, beta),
                self._log_j(r, alpha, s * down, beta),
            )
            dlj = (
                (log_j_r[0] - log_j_r[1]) / (2.0 * h),
                -alpha
                * a_pair
                * np.exp(
                    _log_tail_integral(r, alpha, s, beta, self.px + 1.0, self.ptau)
                    - log_j
                ),
                (log_j_s[0] - log_j_s[1]) / (2.0 * h),
                -beta
                * (s + 1.0)
                * np.exp(self._log_j(r, alpha, s + 1.0, beta) - log_j),
            )
            # d log(J(t_x) - J(T)) = (dlog J(t_x) - q dlog J(T)) / (1 - q),
            # q = J(T) / J(t_x); the dead term's share of the likelihood is pi
            log_q = np.minimum(log_j[self.inv_T] - log_j[self.inv_tx], 0.0)
            q = np.exp(log_q)
            one_minus_q = -np.expm1(log_q)
            pi = special.expit(dead - alive)
            has_dead = pi > 0.0
            safe = np.where(has_dead, one_minus_q, 1.0)
            log_T_alpha = np.log(alpha + T)
            log_T_beta = np.log(beta + T)
            d_alive = (
                -r * log_T_alpha,
                -alpha * (r + x) / (alpha + T),
                -s * log_T_beta,
                -beta * s / (beta + T),
            )
            grad = np.empty(4)
            for k in range(4):
                d_dead = np.where(
                    has_dead,
                    (dlj[k][self.inv_tx] - q * dlj[k][self.inv_T]) / safe,
                    0.0,
                )
                if k == 2:
                    d_dead = d_dead + 1.0  # d log(s) / d log(s)
                mix = d_alive[k] + pi * (d_dead - d_alive[k])
                grad[k] = dot(self.w, mix)
            psi = special.digamma
            grad[0] += r * (
                self.wx_by_x @ (psi(r + self.ux) - psi(r)) + self.total * np.log(alpha)
            )
            grad[1] += self.total * r
            grad[2] += s * self.total * np.log(beta)
            grad[3] += self.total * s
        if not np.all(np.isfinite(grad)):
            return value, central_gradient(self.value, theta)
        return value, -grad / self.total


def fit_pareto_nbd(
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    time_unit: str | float | None = None,
    initial_params: Mapping[str, float] | None = None,
) -> FitResult:
    """Maximum-likelihood fit of the Pareto/NBD model.

    Same data handling, rescaling and fallback rules as
    :func:`customer_value.clv.bgnbd.fit_bgnbd` (pooled-Poisson rule when no
    customer repeats, all summaries are identical or the optimum is not
    finite). ``alpha`` and ``beta`` are returned in the caller's time unit.
    """
    summary = compress_summary(x, t_x, T, weights)
    keep = summary.weight > 0
    xs, ts, Ts, w = (
        summary.x[keep],
        summary.t_x[keep],
        summary.T[keep],
        summary.weight[keep],
    )
    n_distinct = int(xs.size)

    def fallback(reason: str) -> FitResult:
        return poisson_fallback(
            MODEL, xs, Ts, w, reason, n_distinct=n_distinct, time_unit=time_unit
        )

    if w.sum() <= 0:
        return fallback("no customers to fit")
    if not np.any(xs > 0):
        return fallback(
            "nobody made a repeat purchase, so the purchase-rate and lifetime "
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
        p0[[1, 3]] *= scale
        starts.append(np.log(p0))
    rate = dot(w, xs) / max(dot(w, Ts * scale), 1e-12)
    alpha0 = 1.0 / max(rate, 1e-6)
    starts.append(np.log([1.0, alpha0, 1.0, alpha0]))
    starts.append(np.full(4, 0.1))

    def hessian(theta: FloatArray) -> FloatArray:
        return hessian_from_function(objective.value, theta)

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
    natural[[1, 3]] /= scale
    params = dict(zip(PARAM_NAMES, (float(v) for v in natural), strict=True))
    # density in the purchase times: LL(caller's unit) = LL(rescaled)
    # + sum(w x) log(scale)
    ll = -best.mean_nll * float(w.sum()) + dot(w, xs) * float(np.log(scale))
    degenerate = degenerate_reason(
        params, pareto_nbd_p_alive, pareto_nbd_expected_purchases, xs, ts, Ts
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


def pareto_nbd_p_alive(
    params: Mapping[str, float], x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> FloatArray:
    """``P(alive at T | x, t_x, T)`` (Fader & Hardie 2005, eq. 36).

    The share of the "alive at T" term in the likelihood:
    ``P = 1 / (1 + s (alpha+T)^(r+x) (beta+T)^s (J(t_x) - J(T)))``.
    """
    r, alpha, s, beta = params_vector(params, PARAM_NAMES)
    xa, ta, Ta = validate_summary(x, t_x, T)
    alive, dead = _likelihood_terms(
        r,
        alpha,
        s,
        beta,
        xa,
        Ta,
        _log_tail_integral(r, alpha, s, beta, xa, ta),
        _log_tail_integral(r, alpha, s, beta, xa, Ta),
    )
    return special.expit(alive - dead)


def pareto_nbd_expected_purchases_if_alive(
    params: Mapping[str, float], t: ArrayLike, x: ArrayLike, T: ArrayLike
) -> FloatArray:
    """``E[X(T, T+t) | x, T, alive at T]`` (Fader & Hardie 2005, eq. 41 / P(alive)).

    ``(r+x)(beta+T) / ((alpha+T)(s-1)) * [1 - ((beta+T)/(beta+T+t))^(s-1)]``,
    continuous at ``s == 1`` where the bracket over ``s - 1`` becomes
    ``log((beta+T+t)/(beta+T))``.
    """
    r, alpha, s, beta = params_vector(params, PARAM_NAMES)
    t_arr = np.asarray(t, dtype=np.float64)
    xa = np.asarray(x, dtype=np.float64)
    Ta = np.asarray(T, dtype=np.float64)
    ratio = one_minus_exp_ratio(s - 1.0, np.log1p(t_arr / (beta + Ta)))
    return (r + xa) * (beta + Ta) / (alpha + Ta) * ratio


def pareto_nbd_expected_purchases(
    params: Mapping[str, float],
    t: ArrayLike,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
) -> FloatArray:
    """Conditional expected repeat purchases in ``(T, T+t]`` (FH 2005, eq. 41)."""
    xa, ta, Ta = validate_summary(x, t_x, T)
    return pareto_nbd_p_alive(params, xa, ta, Ta) * (
        pareto_nbd_expected_purchases_if_alive(params, t, xa, Ta)
    )


def pareto_nbd_p_no_purchase(
    params: Mapping[str, float],
    t: ArrayLike,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
) -> FloatArray:
    """``P(X(T, T+t) = 0 | x, t_x, T) = L(x, t_x, T+t) / L(x, t_x, T)``.

    A history ``(x, t_x, T)`` with no purchase in ``(T, T+t]`` is the history
    ``(x, t_x, T+t)``; this is the ``x* = 0`` case of Fader & Hardie's
    conditional PMF (note 028) in closed form.
    """
    xa, ta, Ta = validate_summary(x, t_x, T)
    t_arr = np.broadcast_to(np.asarray(t, dtype=np.float64), Ta.shape)
    later = pareto_nbd_log_likelihood(params, xa, ta, Ta + t_arr)
    now = pareto_nbd_log_likelihood(params, xa, ta, Ta)
    return np.clip(np.exp(np.minimum(later - now, 0.0)), 0.0, 1.0)


def pareto_nbd_unconditional_expected_purchases(
    params: Mapping[str, float], t: ArrayLike
) -> FloatArray:
    """Unconditional ``E[X(t)]`` (Fader & Hardie 2005, eq. 27).

    ``E[X(t)] = r beta / (alpha (s-1)) [1 - (beta/(beta+t))^(s-1)]``, continuous
    at ``s == 1``.
    """
    r, alpha, s, beta = params_vector(params, PARAM_NAMES)
    t_arr = np.asarray(t, dtype=np.float64)
    return r * beta / alpha * one_minus_exp_ratio(s - 1.0, np.log1p(t_arr / beta))

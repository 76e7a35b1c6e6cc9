"""Shared maximum-likelihood machinery: fit results, optimiser, Hessian.

All models are fitted on the logarithms of their (positive) parameters with
L-BFGS-B, polished with a few Newton steps on a finite-difference Hessian, and
report standard errors from the inverse Hessian of the negative
log-likelihood. Because the optimum is a stationary point, the covariance of
the natural parameters is ``diag(theta) Cov(log theta) diag(theta)`` exactly
(the delta method is exact for the Hessian at a stationary point).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import optimize

FloatArray = NDArray[np.float64]

#: Bounds on every log-parameter (in the internally rescaled units).
LOG_PARAM_BOUND = 23.0
#: A fit counts as converged when every gradient component of the mean
#: negative log-likelihood with respect to the log-parameters is below this.
GRADIENT_TOLERANCE = 1e-6

#: Parameter name of the pooled-Poisson fallback of the transaction models.
FALLBACK_RATE = "rate"
#: Parameter name of the constant-spend fallback of the spend model.
FALLBACK_MEAN_SPEND = "mean_spend"


@dataclass(frozen=True)
class FitResult:
    """Result of fitting one CLV model.

    Attributes:
        model: ``"bgnbd"``, ``"pareto_nbd"`` or ``"gamma_gamma"``.
        params: natural parameters in the caller's units (time unit for
            ``alpha``/``beta``, currency for ``gamma``). When
            ``fallback_used`` is true these are the parameters of the
            fallback rule instead (``{"rate": ...}`` for the transaction
            models, ``{"mean_spend": ...}`` for Gamma-Gamma).
        standard_errors: per parameter, from the Hessian of the negative
            log-likelihood at the optimum; ``None`` where the Hessian is not
            positive definite (a boundary or unidentified optimum).
        log_likelihood: maximised log-likelihood in the caller's units (for a
            fallback, the log-likelihood of the fallback model).
        n_customers: number of customers (sum of weights) in the fit.
        converged: the optimiser reached a stationary point within the
            parameter bounds (always false for a fallback).
        message: what happened, in words, including why a fallback was used.
        fallback_used: predictions follow the documented fallback rule.
        n_distinct: number of distinct summaries the likelihood was computed on.
        time_unit: the time unit of the inputs, if the caller gave it.
        diagnostics: extra figures (spend/frequency correlation, mean spend,
            iterations, gradient norm); ``None`` marks an undefined value.
    """

    model: str
    params: dict[str, float]
    standard_errors: dict[str, float | None]
    log_likelihood: float
    n_customers: int
    converged: bool
    message: str
    fallback_used: bool
    n_distinct: int = 0
    time_unit: str | float | None = None
    diagnostics: dict[str, float | None] = field(default_factory=dict)

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per parameter, ready for a model-parameters table."""
        return [
            {
                "model": self.model,
                "parameter": name,
                "value": value,
                "standard_error": self.standard_errors.get(name),
                "log_likelihood": self.log_likelihood,
                "n_customers": self.n_customers,
                "converged": self.converged,
                "fallback_used": self.fallback_used,
                "message": self.message,
            }
            for name, value in self.params.items()
        ]


@dataclass(frozen=True)
class _Optimum:
    theta: FloatArray
    mean_nll: float
    gradient: FloatArray
    hessian: FloatArray | None
    converged: bool
    message: str
    n_iterations: int


def central_gradient(
    fun: Callable[[FloatArray], float], theta: FloatArray, step: float = 1e-5
) -> FloatArray:
    """Central finite-difference gradient of a scalar function."""
    grad = np.empty_like(theta)
    for i in range(theta.size):
        e = np.zeros_like(theta)
        e[i] = step
        grad[i] = (fun(theta + e) - fun(theta - e)) / (2.0 * step)
    return grad


def hessian_from_gradient(
    grad: Callable[[FloatArray], FloatArray], theta: FloatArray, step: float = 1e-5
) -> FloatArray:
    """Symmetrised central finite-difference Jacobian of an analytic gradient."""
    k = theta.size
    hess = np.empty((k, k))
    for j in range(k):
        e = np.zeros(k)
        e[j] = step
        hess[:, j] = (grad(theta + e) - grad(theta - e)) / (2.0 * step)
    return 0.5 * (hess + hess.T)


def hessian_from_function(
    fun: Callable[[FloatArray], float], theta: FloatArray, step: float = 1e-4
) -> FloatArray:
    """Central second differences of a scalar function (no gradient needed)."""
    k = theta.size
    f0 = fun(theta)
    hess = np.empty((k, k))
    eye = np.eye(k) * step
    for i in range(k):
        hess[i, i] = (fun(theta + eye[i]) - 2.0 * f0 + fun(theta - eye[i])) / step**2
        for j in range(i):
            value = (
                fun(theta + eye[i] + eye[j])
                - fun(theta + eye[i] - eye[j])
                - fun(theta - eye[i] + eye[j])
                + fun(theta - eye[i] - eye[j])
            ) / (4.0 * step**2)
            hess[i, j] = hess[j, i] = value
    return hess


def minimise(
    objective: Callable[[FloatArray], tuple[float, FloatArray]],
    theta0: FloatArray,
    *,
    hessian: Callable[[FloatArray], FloatArray],
    max_iter: int = 1000,
) -> _Optimum:
    """Minimise a mean negative log-likelihood over log-parameters.

    ``objective(theta)`` returns the value and gradient; non-finite values are
    treated as +inf by the line search. L-BFGS-B runs within
    ``[-LOG_PARAM_BOUND, LOG_PARAM_BOUND]``; then up to six damped Newton
    steps with ``hessian(theta)`` polish the optimum.
    """
    bound = LOG_PARAM_BOUND

    def safe(theta: FloatArray) -> tuple[float, FloatArray]:
        value, grad = objective(theta)
        if not (np.isfinite(value) and np.all(np.isfinite(grad))):
            return 1e300, np.zeros_like(theta)
        return value, grad

    result = optimize.minimize(
        safe,
        theta0,
        jac=True,
        method="L-BFGS-B",
        bounds=[(-bound, bound)] * theta0.size,
        options={"maxiter": max_iter, "ftol": 1e-13, "gtol": 1e-9, "maxcor": 20},
    )
    theta = np.asarray(result.x, dtype=np.float64)
    value, grad = safe(theta)
    # Newton polish with the Hessian at the L-BFGS-B point (reused: near the
    # optimum it changes little). It is recomputed for the standard errors
    # only if the polish moved the parameters noticeably.
    hess = hessian(theta)
    anchor = theta.copy()
    if _is_positive_definite(hess):
        for _ in range(6):
            if np.max(np.abs(grad)) < 1e-12:
                break
            step = np.linalg.solve(hess, grad)
            improved = False
            for damping in (1.0, 0.5, 0.25):
                candidate = np.clip(theta - damping * step, -bound, bound)
                cand_value, cand_grad = safe(candidate)
                tolerance = 1e-14 * max(1.0, abs(value))
                if cand_value <= value + tolerance and np.max(
                    np.abs(cand_grad)
                ) < np.max(np.abs(grad)):
                    theta, value, grad = candidate, cand_value, cand_grad
                    improved = True
                    break
            if not improved:
                break
    if np.max(np.abs(theta - anchor)) > 1e-4 or not np.all(np.isfinite(hess)):
        hess = hessian(theta)
    at_bound = np.abs(theta) >= bound - 1e-6
    finite = bool(np.isfinite(value) and value < 1e299)
    gnorm = float(np.max(np.abs(grad))) if grad.size else 0.0
    converged = finite and gnorm < GRADIENT_TOLERANCE and not at_bound.any()
    message = str(result.message)
    if not finite:
        message = "the log-likelihood is not finite at the optimiser's result"
    return _Optimum(
        theta=theta,
        mean_nll=float(value),
        gradient=grad,
        hessian=hess if np.all(np.isfinite(hess)) else None,
        converged=converged,
        message=message,
        n_iterations=int(result.nit),
    )


def _is_positive_definite(matrix: FloatArray) -> bool:
    if not np.all(np.isfinite(matrix)):
        return False
    try:
        np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        return False
    return True


def standard_errors(
    names: Sequence[str],
    natural: FloatArray,
    mean_hessian: FloatArray | None,
    total_weight: float,
) -> dict[str, float | None]:
    """Standard errors of the natural parameters from the log-space Hessian.

    ``mean_hessian`` is the Hessian of the mean negative log-likelihood with
    respect to the log-parameters; the observed information is
    ``total_weight * mean_hessian`` and ``se(theta_i) = theta_i * sqrt(C_ii)``
    with ``C`` its inverse.
    """
    if mean_hessian is None or not _is_positive_definite(mean_hessian):
        return dict.fromkeys(names)
    cov = np.linalg.inv(mean_hessian * total_weight)
    diag = np.diag(cov)
    out: dict[str, float | None] = {}
    for name, value, var in zip(names, natural, diag, strict=True):
        se = float(value * np.sqrt(var)) if var > 0 else None
        out[name] = se if se is not None and np.isfinite(se) else None
    return out


def bound_message(names: Sequence[str], theta: FloatArray) -> str:
    """Describe parameters that ended on the log-parameter bounds."""
    hits = [
        f"{name} {'-> 0' if value < 0 else '-> infinity'}"
        for name, value in zip(names, theta, strict=True)
        if abs(value) >= LOG_PARAM_BOUND - 1e-6
    ]
    if not hits:
        return ""
    return (
        "parameter(s) at the optimisation bound ("
        + ", ".join(hits)
        + "): the data do not identify a finite value; predictions use the "
        "bounded estimate"
    )


def poisson_fallback(
    model: str,
    x: FloatArray,
    T: FloatArray,
    weight: FloatArray,
    reason: str,
    *,
    n_distinct: int,
    time_unit: str | float | None,
) -> FitResult:
    """Pooled-Poisson fallback for the BG/NBD and Pareto/NBD models.

    Rule: every customer is alive and buys at the pooled rate
    ``rate = sum(w x) / sum(w T)`` (0 when nobody repeats or ``sum(w T) == 0``).
    This is the limit of both models without heterogeneity and without
    dropout; it gives ``P(alive) = 1``, ``E[X(T, T+t)] = rate * t`` and
    ``P(no purchase in (T, T+t]) = exp(-rate * t)``, all finite. Its
    log-likelihood is that of a Poisson process over each customer's
    ``(0, T]``: ``sum w (x log(rate) - rate T)``, with ``0 log 0 = 0``.
    """
    total_x = float(np.dot(weight, x))
    total_T = float(np.dot(weight, T))
    rate = total_x / total_T if total_T > 0.0 and total_x > 0.0 else 0.0
    log_rate = np.log(rate) if rate > 0.0 else 0.0
    ll = float(total_x * log_rate - rate * total_T)
    se = float(np.sqrt(total_x) / total_T) if total_T > 0.0 else 0.0
    return FitResult(
        model=model,
        params={FALLBACK_RATE: rate},
        standard_errors={FALLBACK_RATE: se},
        log_likelihood=ll,
        n_customers=round(float(weight.sum())),
        converged=False,
        message=(
            f"fallback used: {reason}; every customer is treated as alive and "
            f"buying at the pooled rate {rate:.6g} per time unit"
        ),
        fallback_used=True,
        n_distinct=n_distinct,
        time_unit=time_unit,
    )


def params_vector(params: Mapping[str, float], names: Sequence[str]) -> FloatArray:
    """Pick ``names`` from a parameter mapping, checking they are positive."""
    missing = [n for n in names if n not in params]
    if missing:
        raise KeyError(f"missing parameter(s) {missing}; got {sorted(params)}")
    values = np.array([float(params[n]) for n in names])
    if not np.all(np.isfinite(values) & (values > 0)):
        raise ValueError(f"parameters must be positive and finite: {dict(params)}")
    return values


def degenerate_reason(
    params: Mapping[str, float],
    p_alive: Callable[..., FloatArray],
    expected_purchases: Callable[..., FloatArray],
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
) -> str | None:
    """Why a transaction-model optimum cannot be used, or None when it can.

    A degenerate optimum (parameters running off to extremes on data that
    barely identify them) can give non-finite predictions; they are checked
    at the data and at horizons of max(T) and 10 max(T).
    """
    max_T = float(T.max()) if T.size else 0.0
    horizons = [max_T, 10.0 * max_T] if max_T > 0 else [1.0]
    checks = np.concatenate(
        [p_alive(params, x, t_x, T)]
        + [expected_purchases(params, h, x, t_x, T) for h in horizons]
    )
    if np.all(np.isfinite(checks)):
        return None
    return (
        "the maximum-likelihood parameters are degenerate ("
        + ", ".join(f"{k}={v:.3g}" for k, v in params.items())
        + ") and give non-finite predictions; the data are too few or too "
        "uniform to identify the model"
    )

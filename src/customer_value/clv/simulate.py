"""Simulation of customer populations from the CLV models.

Used to test parameter recovery and to benchmark. Every function takes a
:class:`numpy.random.Generator`, so results are reproducible from a seed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ._summary import FloatArray, IntArray, as_float_array


@dataclass(frozen=True)
class SimulatedCustomers:
    """Calibration summaries and holdout outcomes of simulated customers.

    ``holdout_customer`` / ``holdout_time`` list each holdout repeat purchase
    (customer row and time after the calibration end); ``alive`` is the true
    state at ``T``.
    """

    x: FloatArray
    t_x: FloatArray
    T: FloatArray
    alive: np.ndarray
    x_holdout: FloatArray
    holdout_customer: IntArray
    holdout_time: FloatArray


def _holdout_times(
    rng: np.random.Generator,
    arrivals: np.ndarray,
    kept: np.ndarray,
    window: FloatArray,
) -> tuple[IntArray, FloatArray]:
    """First ``kept`` of ``arrivals`` uniform times in ``(0, window)`` per row."""
    owner = np.repeat(np.arange(arrivals.size), arrivals)
    times = rng.uniform(size=owner.size) * window[owner]
    order = np.lexsort((times, owner))
    owner, times = owner[order], times[order]
    start = np.concatenate([[0], np.cumsum(arrivals)[:-1]])
    rank = np.arange(owner.size) - start[owner]
    keep = rank < kept[owner]
    return owner[keep].astype(np.int64), times[keep]


def simulate_bgnbd(
    params: Mapping[str, float],
    T: ArrayLike,
    rng: np.random.Generator,
    *,
    holdout: float = 0.0,
) -> SimulatedCustomers:
    """Simulate BG/NBD customers observed for ``T`` after their first purchase.

    ``lambda ~ Gamma(r, rate alpha)``, ``p ~ Beta(a, b)``; the number of
    repeat purchases before dropping out is ``J ~ Geometric(p)`` on
    ``{1, 2, ...}``. With ``N ~ Poisson(lambda T)`` arrivals, ``x = min(N, J)``
    and ``t_x`` is the ``x``-th of ``N`` uniform order statistics on
    ``(0, T)``, i.e. ``T * Beta(x, N - x + 1)``.
    """
    Ta = as_float_array(T, "T")
    n = Ta.size
    lam = rng.gamma(params["r"], 1.0 / params["alpha"], size=n)
    p = rng.beta(params["a"], params["b"], size=n)
    lifetime_purchases = rng.geometric(np.clip(p, 1e-300, 1.0))
    arrivals = rng.poisson(lam * Ta)
    x = np.minimum(arrivals, lifetime_purchases)
    t_x = np.zeros(n)
    rep = x > 0
    t_x[rep] = Ta[rep] * rng.beta(x[rep], arrivals[rep] - x[rep] + 1)
    alive = arrivals < lifetime_purchases
    later = rng.poisson(lam * holdout) if holdout > 0 else np.zeros(n, dtype=np.int64)
    kept = np.where(alive, np.minimum(later, lifetime_purchases - x), 0)
    owner, times = _holdout_times(rng, later, kept, np.full(n, float(holdout)))
    return SimulatedCustomers(
        x=x.astype(np.float64),
        t_x=t_x,
        T=Ta,
        alive=alive,
        x_holdout=kept.astype(np.float64),
        holdout_customer=owner,
        holdout_time=times,
    )


def simulate_pareto_nbd(
    params: Mapping[str, float],
    T: ArrayLike,
    rng: np.random.Generator,
    *,
    holdout: float = 0.0,
) -> SimulatedCustomers:
    """Simulate Pareto/NBD customers observed for ``T`` after their first purchase.

    ``lambda ~ Gamma(r, rate alpha)``, ``mu ~ Gamma(s, rate beta)``, lifetime
    ``tau ~ Exponential(mu)``; purchases are Poisson on ``(0, min(tau, T))``.
    """
    Ta = as_float_array(T, "T")
    n = Ta.size
    lam = rng.gamma(params["r"], 1.0 / params["alpha"], size=n)
    mu = rng.gamma(params["s"], 1.0 / params["beta"], size=n)
    tau = rng.exponential(1.0 / np.maximum(mu, 1e-300))
    active = np.minimum(tau, Ta)
    x = rng.poisson(lam * active)
    t_x = np.zeros(n)
    rep = x > 0
    t_x[rep] = active[rep] * rng.uniform(size=int(rep.sum())) ** (1.0 / x[rep])
    alive = tau > Ta
    window = np.clip(tau - Ta, 0.0, holdout)
    later = rng.poisson(lam * window)
    owner, times = _holdout_times(rng, later, later, window)
    return SimulatedCustomers(
        x=x.astype(np.float64),
        t_x=t_x,
        T=Ta,
        alive=alive,
        x_holdout=later.astype(np.float64),
        holdout_customer=owner,
        holdout_time=times,
    )


def simulate_gamma_gamma(
    params: Mapping[str, float], x: ArrayLike, rng: np.random.Generator
) -> FloatArray:
    """Mean transaction value ``m_x`` of ``x`` transactions per customer.

    ``nu ~ Gamma(q, rate gamma)``; each transaction is ``Gamma(p, rate nu)``,
    so the sum of ``x`` of them is ``Gamma(p x, rate nu)``. Rows with
    ``x == 0`` get 0.
    """
    xa = as_float_array(x, "x")
    nu = rng.gamma(params["q"], 1.0 / params["gamma"], size=xa.size)
    shape = np.where(xa > 0, params["p"] * xa, 1.0)
    total = rng.gamma(shape, 1.0 / nu)
    return np.where(xa > 0, total / np.maximum(xa, 1.0), 0.0)

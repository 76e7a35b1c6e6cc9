"""Benchmark the CLV engine against lifetimes on a simulated population.

Simulates customers over about three years in whole days (as the SQL layer
produces them), then times, in this process, the BG/NBD fit, the Gamma-Gamma
fit, P(alive), expected purchases over 12 months and the discounted 12-month
CLV for every customer, with ``customer_value.clv`` and with lifetimes on the
same summary. If lifetimes is run on a subsample (``--lifetimes-sample``), its
times are extrapolated linearly to the full population and marked as such.

With ``--from-duckdb FILE`` it reads the calibration summary of a built
project (``int_customers_clv_summarized``) instead of simulating, and with
``--json`` it ends with one JSON line of totals (used by scripts/benchmark.py).

Usage:
    python scripts/benchmark_clv.py [--customers 1000000] [--lifetimes-sample N]
    python scripts/benchmark_clv.py --from-duckdb customer_value.duckdb --json
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from customer_value import clv
from customer_value.clv.simulate import simulate_bgnbd, simulate_gamma_gamma

DAYS = 3 * 365
BGNBD_DAYS = {"r": 0.45, "alpha": 35.0, "a": 0.8, "b": 2.5}
SPEND = {"p": 6.0, "q": 3.5, "gamma": 15.0}
HORIZON_DAYS = 12 * clv.DAYS_PER_MONTH
ANNUAL_RATE = 0.10

_START = time.perf_counter()


def progress(message: str) -> None:
    print(f"[{time.perf_counter() - _START:7.1f}s] {message}", flush=True)


def timed(label: str, func: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = func()
    elapsed = time.perf_counter() - start
    progress(f"{label}: {elapsed:.3f} s")
    return result, elapsed


def simulate(n: int, seed: int) -> dict[str, np.ndarray]:
    """Whole-day summaries: first purchases spread over three years."""
    rng = np.random.default_rng(seed)
    T = np.floor(rng.uniform(0.0, DAYS + 1.0, n))
    customers = simulate_bgnbd(BGNBD_DAYS, T, rng)
    x = customers.x
    t_x = np.where(x > 0, np.minimum(np.ceil(customers.t_x), T), 0.0)
    m_x = simulate_gamma_gamma(SPEND, x, rng)
    return {"x": x, "t_x": t_x, "T": T, "m_x": m_x}


def load_summary(database: str) -> dict[str, np.ndarray]:
    """The calibration summary of a built project, read-only."""
    import duckdb

    with duckdb.connect(database, read_only=True) as con:
        frame = con.sql(
            "select frequency_x, recency_t_x, age_t, repeat_mean_value"
            " from int_customers_clv_summarized order by customer_id"
        ).df()
    return {
        "x": frame["frequency_x"].to_numpy(np.float64),
        "t_x": frame["recency_t_x"].to_numpy(np.float64),
        "T": frame["age_t"].to_numpy(np.float64),
        "m_x": frame["repeat_mean_value"].to_numpy(np.float64, na_value=0.0),
    }


def run_package(data: dict[str, np.ndarray]) -> tuple[dict[str, float], dict]:
    x, t_x, T, m_x = data["x"], data["t_x"], data["T"], data["m_x"]
    times: dict[str, float] = {}
    bg, times["fit BG/NBD"] = timed(
        "package: fit BG/NBD", lambda: clv.fit_bgnbd(x, t_x, T, time_unit="day")
    )
    gg, times["fit Gamma-Gamma"] = timed(
        "package: fit Gamma-Gamma", lambda: clv.fit_gamma_gamma(x, m_x)
    )
    alive, times["P(alive)"] = timed(
        "package: P(alive)", lambda: clv.p_alive(bg, x, t_x, T)
    )
    _, times["expected purchases 12 m"] = timed(
        "package: expected purchases, 12 months",
        lambda: clv.expected_purchases(bg, HORIZON_DAYS, x, t_x, T),
    )

    def clv_12m() -> np.ndarray:
        spend = clv.expected_spend(gg, x, m_x)
        return clv.discounted_clv(
            bg, x, t_x, T, spend, horizon_months=12, annual_discount_rate=ANNUAL_RATE
        )

    value, times["discounted CLV 12 m"] = timed(
        "package: discounted CLV, 12 months", clv_12m
    )
    finite = bool(np.all(np.isfinite(value)) and np.all(np.isfinite(alive)))
    progress(
        f"package: BG/NBD {format_params(bg.params)} ({bg.message}); "
        f"Gamma-Gamma {format_params(gg.params)}; all outputs finite: {finite}"
    )
    return times, {"bg": bg, "gg": gg, "alive": alive}


def run_lifetimes(data: dict[str, np.ndarray]) -> tuple[dict[str, float], dict]:
    import lifetimes  # test-only reference implementation

    x, t_x, T, m_x = data["x"], data["t_x"], data["T"], data["m_x"]
    times: dict[str, float] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bg, times["fit BG/NBD"] = timed(
            "lifetimes: fit BG/NBD", lambda: lifetimes.BetaGeoFitter().fit(x, t_x, T)
        )
        rep = (x > 0) & (m_x > 0)
        note = ""
        try:
            gg, times["fit Gamma-Gamma"] = timed(
                "lifetimes: fit Gamma-Gamma",
                lambda: lifetimes.GammaGammaFitter().fit(x[rep], m_x[rep]),
            )
        except lifetimes.utils.ConvergenceError:
            # lifetimes' own advice; only the converged fit is timed, so the
            # failed attempt does not flatter this package's speed-up
            note = (
                "lifetimes' Gamma-Gamma fit did not converge without a penalizer;"
                " timed with penalizer_coef=0.001, as its error message advises"
            )
            progress(f"note: {note}")
            gg, times["fit Gamma-Gamma"] = timed(
                "lifetimes: fit Gamma-Gamma (penalizer_coef=0.001)",
                lambda: lifetimes.GammaGammaFitter(penalizer_coef=0.001).fit(
                    x[rep], m_x[rep]
                ),
            )
        alive, times["P(alive)"] = timed(
            "lifetimes: P(alive)", lambda: bg.conditional_probability_alive(x, t_x, T)
        )
        _, times["expected purchases 12 m"] = timed(
            "lifetimes: expected purchases, 12 months",
            lambda: bg.conditional_expected_number_of_purchases_up_to_time(
                HORIZON_DAYS, x, t_x, T
            ),
        )
        # lifetimes discounts per 30-day month at a monthly rate
        monthly_rate = (1.0 + ANNUAL_RATE) ** (1.0 / 12.0) - 1.0
        _, times["discounted CLV 12 m"] = timed(
            "lifetimes: discounted CLV, 12 months",
            lambda: gg.customer_lifetime_value(
                bg,
                pd.Series(x),
                pd.Series(t_x),
                pd.Series(T),
                pd.Series(m_x),
                time=12,
                discount_rate=monthly_rate,
                freq="D",
            ),
        )
    progress(
        f"lifetimes: BG/NBD {format_params(dict(bg.params_.items()))}; "
        f"Gamma-Gamma {format_params(dict(gg.params_.items()))}"
    )
    return times, {"bg": bg, "alive": alive, "note": note}


def format_params(params: dict[str, float]) -> str:
    return ", ".join(f"{k}={v:.4g}" for k, v in params.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument(
        "--lifetimes-sample",
        type=int,
        default=None,
        help="run lifetimes on this many customers and extrapolate linearly "
        "(default: all customers)",
    )
    parser.add_argument("--skip-lifetimes", action="store_true")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument(
        "--from-duckdb", default=None, help="read the summary of a built project"
    )
    parser.add_argument(
        "--json", action="store_true", help="end with one JSON line of totals"
    )
    args = parser.parse_args()

    if args.from_duckdb:
        progress(f"reading the calibration summary from {args.from_duckdb}")
        data = load_summary(args.from_duckdb)
        args.customers = int(data["x"].size)
    else:
        progress(
            f"simulating {args.customers:,} customers over {DAYS} days (whole days)"
        )
        data = simulate(args.customers, args.seed)
    summary = clv.compress_summary(data["x"], data["t_x"], data["T"])
    progress(
        f"{summary.n_distinct:,} distinct (x, t_x, T); "
        f"{np.mean(data['x'] > 0):.1%} repeat buyers; max x = {data['x'].max():.0f}"
    )

    ours, fitted = run_package(data)
    theirs: dict[str, float] = {}
    note = ""
    if not args.skip_lifetimes:
        n_sample = min(args.lifetimes_sample or args.customers, args.customers)
        sample = data
        if n_sample < args.customers:
            rows = np.random.default_rng(args.seed + 1).choice(
                args.customers, n_sample, replace=False
            )
            sample = {k: v[rows] for k, v in data.items()}
        progress(f"running lifetimes on {n_sample:,} customers")
        theirs, ref = run_lifetimes(sample)
        note = ref["note"]
        if n_sample < args.customers:
            factor = args.customers / n_sample
            theirs = {k: v * factor for k, v in theirs.items()}
            note = "; ".join(
                filter(
                    None,
                    [
                        note,
                        f"lifetimes times measured on {n_sample:,} customers and "
                        f"extrapolated linearly (x{factor:.1f}) to {args.customers:,}",
                    ],
                )
            )
        else:
            diff = np.max(np.abs(fitted["alive"] / ref["alive"] - 1.0))
            progress(f"max relative difference in P(alive) vs lifetimes: {diff:.2e}")

    print()
    print(f"CLV engine benchmark: {args.customers:,} customers, 2-core machine")
    header = f"{'step':<26}{'this package (s)':>18}{'lifetimes (s)':>16}{'ratio':>9}"
    print(header)
    print("-" * len(header))
    for step in [*ours, "total"]:
        mine = sum(ours.values()) if step == "total" else ours[step]
        if theirs:
            other = sum(theirs.values()) if step == "total" else theirs[step]
            ratio = f"{other / mine:8.1f}x" if mine > 0 else "      n/a"
            print(f"{step:<26}{mine:>18.3f}{other:>16.3f}{ratio:>9}")
        else:
            print(f"{step:<26}{mine:>18.3f}{'-':>16}{'-':>9}")
    if note:
        print(f"note: {note}")
    total = sum(ours.values())
    print()
    verdict = "met" if total < 5 else "MISSED"
    print(f"target fit + predictions < 5 s: {total:.2f} s -> {verdict}")
    if theirs:
        speedup = sum(theirs.values()) / total
        print(
            f"target >= 5x faster than lifetimes: {speedup:.1f}x -> "
            f"{'met' if speedup >= 5 else 'MISSED'}"
        )
    if args.json:
        print(
            json.dumps(
                {
                    "customers": args.customers,
                    "project_s": total,
                    "reference_s": sum(theirs.values()) if theirs else None,
                    "note": note,
                }
            )
        )


if __name__ == "__main__":
    main()

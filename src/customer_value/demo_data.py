"""Deterministic demo data: the orders and customers exports of a simulated shop.

The story
---------
Customers are acquired over the period ``[start, end]``; the acquisition rate
grows linearly so that the last day sees 2.5 times the sign-ups of the first.
Each customer has a country, an acquisition channel and a sign-up time
(``created_at``) on or before the first purchase (up to about six months
before, so a few sign-ups precede ``start``). About 10 % of the customers file
are prospects who never order.

Every ordering customer makes the first purchase at acquisition and then follows
the BG/NBD story (Fader, Hardie & Lee 2005): while alive, purchases arrive as a
Poisson process with rate ``lambda_i ~ Gamma(r, alpha)``; after each repeat
purchase the customer drops out with probability ``p_i ~ Beta(a, b_channel)``.
The dropout depends on the channel: referral and organic customers stay
longest, marketplace and paid_social customers leave fastest. The simulation is
exact and vectorised: the number of Poisson events on ``(first purchase, end]``
is ``N_i``, the number of repeat purchases before dropout is at most
``K_i ~ Geometric(p_i)``, and the customer keeps the first ``min(N_i, K_i)`` of
``N_i`` sorted uniform times (drawn as normalised exponential spacings). The
scale ``alpha`` is calibrated so that the file holds close to ``n_orders``
rows.

Order values follow the Gamma-Gamma story (Fader, Hardie & Lee 2005, "RFM and
CLV"): ``amount ~ Gamma(p, nu_i)`` with ``nu_i ~ Gamma(q, gamma)``, a typical
order being 20-200 USD, independent of the purchase rate. ``amount`` is the
value charged, rounded to the currency's minor unit; ``discount_amount`` is the
discount taken off (discount-seeking differs by channel). Orders are paid in
the home currency of the customer's country (sometimes in USD) at fixed rates
(units per USD): USD 1, EUR 0.92, GBP 0.79, CNY 7.2, JPY 150, CAD 1.36,
AUD 1.52. Statuses mix the spellings of real exports; orders of the last week
are often still pending, paid or shipped. ``ordered_at`` comes in four ISO 8601
styles: ``...T10:22:33Z``, local time with offset ``... 18:22:33+08:00``,
naive ``...T10:22:33`` (meaning UTC) and date-only.

About 1 % of the ordering customers have no row in the customers file.

Bad rows
--------
Every kind below is present at the default size; the counts are given by
:func:`bad_row_counts` and grow with the size. Each corrupted order row has
exactly one defect; the two duplicate kinds are extra rows appended after the
main export, in order_id order.

- ``exact_duplicate``: a second, identical copy of an order row.
- ``conflicting_duplicate``: an order (status ``completed`` in the main export)
  exported again with status ``refunded``, ``returned`` or ``cancelled``.
- ``missing_customer_id``: empty customer_id.
- ``zero_amount``: a completed order of amount 0 (a free sample or a fully
  discounted order): a valid purchase.
- ``negative_amount``: the amount with a minus sign.
- ``huge_amount``: a USD amount above 1,000,000.
- ``non_numeric_amount``: text such as ``N/A``.
- ``unknown_currency``: ``XYZ`` or ``BTC``.
- ``lowercase_currency``: a valid code in lower case, e.g. ``eur`` (valid).
- ``bad_date``: ``not a date``, an impossible date such as ``2024-02-30``, or
  a day-first date such as ``31/12/2023``.
- customers ``duplicate_customer_row``: an identical second copy of a customer
  row, appended at the end.
- customers ``shared_email_pair``: two customer_ids whose emails differ only by
  case or surrounding spaces (the same person signed up twice).

Everything is drawn from ``numpy.random.Generator`` streams spawned from one
seed, so the same arguments give identical tables and identical files.

Command line::

    python -m customer_value.demo_data --customers 5000 --orders 50000 \\
        --seed 42 --out data/demo --format csv
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from scipy.special import gammaincc

ORDER_COLUMNS = (
    "order_id",
    "customer_id",
    "ordered_at",
    "amount",
    "currency",
    "status",
    "discount_amount",
)
CUSTOMER_COLUMNS = (
    "customer_id",
    "email",
    "phone",
    "created_at",
    "country",
    "acquisition_channel",
)
FORMATS = ("csv", "parquet")
MIN_CUSTOMERS = 100
MIN_PERIOD_DAYS = 30

# channel: (acquisition share, Beta b of the dropout p ~ Beta(2, b),
#           share of orders with a discount)
CHANNELS: dict[str, tuple[float, float, float]] = {
    "organic": (0.30, 26.0, 0.12),
    "paid_search": (0.20, 14.0, 0.20),
    "paid_social": (0.17, 6.0, 0.35),
    "email": (0.10, 22.0, 0.35),
    "referral": (0.10, 38.0, 0.15),
    "marketplace": (0.13, 8.0, 0.25),
}
DROPOUT_A = 2.0

# country: (share, home currency, UTC offsets in minutes, standard time)
COUNTRIES: dict[str, tuple[float, str, tuple[int, ...]]] = {
    "US": (0.45, "USD", (-300, -360, -480)),
    "GB": (0.10, "GBP", (0,)),
    "DE": (0.08, "EUR", (60,)),
    "FR": (0.06, "EUR", (60,)),
    "CN": (0.10, "CNY", (480,)),
    "JP": (0.06, "JPY", (540,)),
    "CA": (0.08, "CAD", (-300, -480)),
    "AU": (0.07, "AUD", (600,)),
}
RATES_PER_USD: dict[str, float] = {
    "USD": 1.0,
    "EUR": 0.92,
    "GBP": 0.79,
    "CNY": 7.2,
    "JPY": 150.0,
    "CAD": 1.36,
    "AUD": 1.52,
}
ZERO_DECIMAL_CURRENCIES = frozenset({"JPY"})

STATUSES: dict[str, float] = {
    "completed": 0.80,
    "COMPLETED": 0.04,
    "shipped": 0.04,
    "paid": 0.03,
    "cancelled": 0.03,
    "canceled": 0.01,
    "refunded": 0.02,
    "returned": 0.02,
    "pending": 0.01,
}
RECENT_STATUSES: dict[str, float] = {
    "pending": 0.25,
    "paid": 0.30,
    "shipped": 0.30,
    "completed": 0.10,
    "cancelled": 0.05,
}
RECENT_DAYS = 7
LATER_EXPORT_STATUSES: dict[str, float] = {
    "refunded": 0.70,
    "returned": 0.15,
    "cancelled": 0.15,
}
# ordered_at styles: Z suffix, local time with offset, naive UTC, date only
TIMESTAMP_STYLES = (0.45, 0.20, 0.25, 0.10)
UTC_Z, LOCAL_OFFSET, NAIVE_UTC, DATE_ONLY = range(4)

PROSPECT_SHARE = 0.10
ORPHAN_SHARE = 0.01
HOME_CURRENCY_SHARE = 0.85
ACQUISITION_GROWTH = 1.5
RATE_SHAPE_R = 0.5
SPEND_P, SPEND_Q, SPEND_GAMMA = 6.0, 3.5, 30.0
DISCOUNT_RATES = (0.05, 0.10, 0.15, 0.20, 0.25, 0.30)

# kind: (share of the target number of orders or customers, minimum count)
ORDER_DEFECTS: dict[str, tuple[float, int]] = {
    "exact_duplicate": (0.005, 5),
    "conflicting_duplicate": (0.001, 3),
    "missing_customer_id": (0.002, 3),
    "zero_amount": (0.003, 3),
    "negative_amount": (0.002, 3),
    "huge_amount": (0.00006, 3),
    "non_numeric_amount": (0.0001, 3),
    "unknown_currency": (0.0005, 3),
    "lowercase_currency": (0.0005, 3),
    "bad_date": (0.001, 3),
}
CUSTOMER_DEFECTS: dict[str, tuple[float, int]] = {
    "duplicate_customer_row": (0.001, 3),
    "shared_email_pair": (0.001, 3),
}
NON_NUMERIC_AMOUNTS = ("N/A", "n/a", "#VALUE!", "unknown", "TBD")
UNKNOWN_CURRENCIES = ("XYZ", "BTC")

FIRST_NAMES = (
    "james", "maria", "wei", "yuki", "hannah", "lukas", "chloe", "oliver",
    "sofia", "liam", "emma", "noah", "mia", "lucas", "amelie", "jun", "hiroshi",
    "sakura", "jack", "charlotte", "leon", "ines", "ethan", "zoe", "mateo",
    "anna", "david", "sarah", "tom", "lea", "max", "lily", "ravi", "priya",
    "omar", "fatima", "ivan", "olga", "kenji", "grace",
)  # fmt: skip
LAST_NAMES = (
    "smith", "garcia", "wang", "tanaka", "mueller", "martin", "brown",
    "johnson", "li", "zhang", "sato", "schmidt", "dubois", "wilson", "taylor",
    "lee", "nguyen", "kim", "lopez", "moreau", "fischer", "suzuki", "chen",
    "liu", "davies", "evans", "roux", "weber", "clark", "walker", "patel",
    "khan", "silva", "rossi", "novak", "jensen", "young", "hall", "wright",
    "scott",
)  # fmt: skip
EMAIL_DOMAINS = {"example.com": 0.8, "example.org": 0.1, "example.net": 0.1}
PHONE_MISSING_SHARE = 0.10

# Phone templates per country: literal text, k random digits (int), or a random
# integer in [lo, hi] (tuple). US/CA/GB numbers use ranges reserved for fiction.
PhonePart = str | int | tuple[int, int]
PHONE_TEMPLATES: dict[str, tuple[tuple[PhonePart, ...], ...]] = {
    "US": (
        ("+1 ", (201, 989), "-555-01", 2),
        ("(", (201, 989), ") 555 01", 2),
        ((201, 989), ".555.01", 2),
        ("+1", (201, 989), "55501", 2),
    ),
    "CA": (
        ("+1 ", (204, 905), "-555-01", 2),
        ("(", (204, 905), ") 555 01", 2),
    ),
    "GB": (
        ("+44 20 7946 0", 3),
        ("0044 20 7946 0", 3),
        ("020 7946 0", 3),
    ),
    "DE": (("+49 30 ", 7), ("0049 30 ", 7), ("030 ", 7)),
    "FR": (("+33 1 ", 2, " ", 2, " ", 2, " ", 2), ("01 ", 2, " ", 2, " ", 2, " ", 2)),
    "CN": (("+86 13", 1, " ", 4, " ", 4), ("13", 1, 4, 4)),
    "JP": (("+81 3-", 4, "-", 4), ("03-", 4, "-", 4)),
    "AU": (("+61 2 ", 4, " ", 4), ("(02) ", 4, " ", 4)),
}

Progress = Callable[[str], None]


@dataclass(frozen=True)
class _Sizes:
    """Row counts derived from the arguments."""

    n_customers: int
    n_prospects: int
    n_orphans: int
    n_sim: int
    n_buyers: int
    target_simulated_orders: int
    order_defects: dict[str, int]
    customer_defects: dict[str, int]


@dataclass(frozen=True)
class _Population:
    """Per simulated customer (file customers and orphans), sorted by sign-up."""

    t0: np.ndarray  # first purchase / acquisition, epoch seconds
    created: np.ndarray  # sign-up, epoch seconds, <= t0
    channel: np.ndarray  # index into CHANNELS
    country: np.ndarray  # index into COUNTRIES
    offset_min: np.ndarray  # UTC offset of the customer's local time
    is_prospect: np.ndarray
    is_orphan: np.ndarray


@dataclass(frozen=True)
class _Orders:
    """Per simulated order, sorted by time."""

    customer: np.ndarray  # index into the population
    buyer: np.ndarray  # index into the buyers (non-prospects)
    t: np.ndarray  # epoch seconds


def bad_row_counts(n_customers: int = 5000, n_orders: int = 50000) -> dict[str, int]:
    """Number of rows of each bad-row kind for the given sizes (seed-free).

    Orders kinds scale with ``n_orders``, customers kinds with ``n_customers``;
    ``shared_email_pair`` counts pairs (two rows each).
    """
    counts = {
        kind: max(minimum, round(share * n_orders))
        for kind, (share, minimum) in ORDER_DEFECTS.items()
    }
    counts.update(
        {
            kind: max(minimum, round(share * n_customers))
            for kind, (share, minimum) in CUSTOMER_DEFECTS.items()
        }
    )
    return counts


def _epoch_seconds(day: str, name: str) -> int:
    """Parse an ISO date ``YYYY-MM-DD`` to epoch seconds at 00:00 UTC."""
    try:
        value = np.datetime64(day, "D")
    except ValueError as exc:
        raise ValueError(f"{name} must be an ISO date YYYY-MM-DD, got {day!r}") from exc
    if str(value) != day:
        raise ValueError(f"{name} must be an ISO date YYYY-MM-DD, got {day!r}")
    return int(value.astype("datetime64[s]").astype(np.int64))


def _plan(
    n_customers: int, n_orders: int, seed: int, start: str, end: str
) -> tuple[_Sizes, int, int]:
    """Validate the arguments; return the sizes and the period in epoch seconds.

    Raises ValueError with a message fit for a user.
    """
    for name, value in (
        ("n_customers", n_customers),
        ("n_orders", n_orders),
        ("seed", seed),
    ):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise ValueError(f"{name} must be an integer, got {value!r}")
    if seed < 0:
        raise ValueError(f"the seed must be a non-negative integer, got {seed}")
    if n_customers < MIN_CUSTOMERS:
        raise ValueError(
            f"the number of customers must be at least {MIN_CUSTOMERS}, "
            f"got {n_customers:,}"
        )
    if n_orders < n_customers:
        raise ValueError(
            f"the number of orders ({n_orders:,}) must be at least the number of "
            f"customers ({n_customers:,})"
        )
    start_s = _epoch_seconds(start, "start")
    end_s = _epoch_seconds(end, "end") + 86_399  # the end date is included
    if end_s - start_s < MIN_PERIOD_DAYS * 86_400:
        raise ValueError(
            f"the period {start} .. {end} must span at least {MIN_PERIOD_DAYS} days"
        )
    counts = bad_row_counts(n_customers, n_orders)
    n_prospects = round(PROSPECT_SHARE * n_customers)
    n_file_buyers = n_customers - n_prospects
    n_orphans = max(1, round(n_file_buyers * ORPHAN_SHARE / (1 - ORPHAN_SHARE)))
    n_buyers = n_file_buyers + n_orphans
    target = n_orders - counts["exact_duplicate"] - counts["conflicting_duplicate"]
    order_kinds = {k: counts[k] for k in ORDER_DEFECTS}
    if target < n_buyers or target < 2 * sum(order_kinds.values()):
        raise ValueError(
            f"{n_orders:,} orders are too few for {n_customers:,} customers: "
            f"every one of the ~{n_buyers:,} ordering customers needs an order"
        )
    sizes = _Sizes(
        n_customers=n_customers,
        n_prospects=n_prospects,
        n_orphans=n_orphans,
        n_sim=n_customers + n_orphans,
        n_buyers=n_buyers,
        target_simulated_orders=target,
        order_defects=order_kinds,
        customer_defects={k: counts[k] for k in CUSTOMER_DEFECTS},
    )
    return sizes, start_s, end_s


def _choice(
    rng: np.random.Generator, probs: dict[str, float] | Sequence[float], size: int
) -> np.ndarray:
    """Draw indices into ``probs`` (a sequence, or a dict in insertion order)."""
    weights = probs.values() if isinstance(probs, dict) else probs
    cumulative = np.cumsum(np.fromiter(weights, dtype=np.float64))
    u = rng.random(size) * cumulative[-1]
    return np.searchsorted(cumulative, u, side="right").astype(np.int8)


def _simulate_population(
    rng: np.random.Generator, sizes: _Sizes, start_s: int, end_s: int
) -> _Population:
    """Acquisition, sign-up time, channel and country of every simulated customer."""
    n = sizes.n_sim
    g = ACQUISITION_GROWTH
    # density proportional to 1 + g x on [0, 1]; inverse of its CDF
    u = rng.random(n)
    x = (np.sqrt(1.0 + 2.0 * g * (1.0 + g / 2.0) * u) - 1.0) / g
    t0 = start_s + np.floor(x * (end_s - start_s)).astype(np.int64)
    kind = rng.random(n)
    lag = np.where(
        kind < 0.55,
        rng.uniform(0.0, 1_200.0, n),  # signs up and buys in one visit
        np.where(
            kind < 0.85,
            rng.exponential(7 * 86_400.0, n),  # comes back within days
            rng.uniform(0.0, 180 * 86_400.0, n),  # browses for months first
        ),
    )
    created = t0 - np.floor(lag).astype(np.int64)  # may precede the period
    order = np.argsort(created, kind="stable")
    t0, created = t0[order], created[order]

    role = rng.permutation(n)
    is_prospect = role < sizes.n_prospects
    is_orphan = (role >= sizes.n_prospects) & (
        role < sizes.n_prospects + sizes.n_orphans
    )
    created = np.where(is_prospect, t0, created)  # prospects: sign-up is the event

    channel = _choice(rng, {k: v[0] for k, v in CHANNELS.items()}, n)
    country = _choice(rng, {k: v[0] for k, v in COUNTRIES.items()}, n)
    offset_min = np.zeros(n, dtype=np.int64)
    for code, (_, _, offsets) in enumerate(COUNTRIES.values()):
        mask = country == code
        offset_min[mask] = rng.choice(np.asarray(offsets), size=int(mask.sum()))
    return _Population(
        t0, created, channel, country, offset_min, is_prospect, is_orphan
    )


def _geometric(u: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Inverse-CDF Geometric(p) on {1, 2, ...} from uniforms in [0, 1)."""
    k = 1.0 + np.floor(np.log1p(-u) / np.log1p(-p))
    return np.minimum(k, 1e9)


def _expected_repeats(mu: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """E[min(N, K)] for N ~ Poisson(mu) and fixed K >= 1, and its derivative in mu.

    E[min(N, K)] = K P(N >= K) + mu P(N <= K - 2); d/dmu = P(N <= K - 1).
    """
    cdf_k1 = gammaincc(k, mu)  # P(N <= K - 1)
    cdf_k2 = np.where(k >= 2, gammaincc(np.maximum(k - 1.0, 1.0), mu), 0.0)
    return k * (1.0 - cdf_k1) + mu * cdf_k2, cdf_k1


def _calibrate_rate(
    base: np.ndarray, p: np.ndarray, k: np.ndarray, target: float
) -> float:
    """Scale c so that sum_i E[min(N_i, K_i)] = target, N_i ~ Poisson(c base_i).

    First the closed form with K integrated out, E[min(N, K)] = (1 - exp(-mu p)) / p,
    then Newton steps on the expectation given the drawn K (concave in c).
    """
    total_base = float(base.sum())
    if target <= 0 or total_base <= 0:
        return 0.0
    c = target / total_base
    for _ in range(200):
        e = np.exp(-c * base * p)
        f = float(((1.0 - e) / p).sum())
        step = (target - f) / float((base * e).sum())
        c += step
        if abs(target - f) < 1e-6 * target:
            break
    for _ in range(50):
        f_arr, slope = _expected_repeats(c * base, k)
        f = float(f_arr.sum())
        if abs(target - f) < 1e-3:
            break
        c = max(c + (target - f) / float((base * slope).sum()), 0.5 * c)
    return c


def _simulate_orders(
    rng: np.random.Generator, pop: _Population, sizes: _Sizes, end_s: int
) -> _Orders:
    """First purchase at acquisition, then BG/NBD repeat purchases until ``end``."""
    buyers = np.flatnonzero(~pop.is_prospect)
    n_b = len(buyers)
    target = float(sizes.target_simulated_orders - n_b)
    t0 = pop.t0[buyers]
    span_s = (end_s - t0).astype(np.float64)
    shape = np.asarray([v[1] for v in CHANNELS.values()])[pop.channel[buyers]]

    g = rng.gamma(RATE_SHAPE_R, 1.0, n_b)
    p = np.clip(rng.beta(DROPOUT_A, shape), 1e-6, 1.0 - 1e-9)
    u = rng.random(n_b)
    k = _geometric(u, p)
    # very many orders per customer: lower the dropout until the target is reachable
    for _ in range(60):
        if target <= 0.8 * min(float(k.sum()), float((1.0 / p).sum())):
            break
        p = np.maximum(p * 0.7, 1e-9)
        k = _geometric(u, p)
    base = g * span_s / 86_400.0
    c = _calibrate_rate(base, p, k, target)
    n_events = rng.poisson(c * base)
    n_repeat = np.minimum(n_events, k).astype(np.int64)

    # the first n_repeat of n_events sorted uniforms on (0, 1]: exponential spacings
    # S_j / S_{N+1}, where S_{N+1} = S_{n_repeat} + Gamma(N + 1 - n_repeat)
    owner = np.repeat(np.arange(n_b), n_repeat)
    cumulative = np.concatenate(
        ([0.0], np.cumsum(rng.standard_exponential(len(owner))))
    )
    ends = np.cumsum(n_repeat)
    starts = ends - n_repeat
    has = n_repeat > 0
    rest = np.zeros(n_b)
    rest[has] = rng.standard_gamma(
        (n_events[has] - n_repeat[has] + 1).astype(np.float64)
    )
    offset = cumulative[starts]
    denominator = cumulative[ends] - offset + rest
    spacing = cumulative[1:] - offset[owner]
    t_repeat = t0[owner] + np.floor(spacing / denominator[owner] * span_s[owner])

    buyer = np.concatenate((np.arange(n_b), owner))
    t = np.concatenate((t0, t_repeat.astype(np.int64)))
    order = np.argsort(t, kind="stable")
    buyer, t = buyer[order], np.minimum(t[order], end_s)
    return _Orders(customer=buyers[buyer], buyer=buyer, t=t)


# ---------------------------------------------------------------- string helpers


def _as_pa_int(values: np.ndarray) -> pa.Array:
    return pa.array(np.ascontiguousarray(values, dtype=np.int64), type=pa.int64())


def _prefixed_ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """``prefix`` + zero-padded number, e.g. 'C0000123' (numbers < 10**width)."""
    text = pc.cast(_as_pa_int(numbers + 10**width), pa.string())
    return pc.utf8_replace_slice(text, 0, 1, prefix)


def _digits(rng: np.random.Generator, n: int, k: int) -> pa.Array:
    """``n`` strings of ``k`` random digits."""
    text = pc.cast(_as_pa_int(rng.integers(0, 10**k, n) + 10**k), pa.string())
    return pc.utf8_slice_codeunits(text, 1)


def _timestamp_text(seconds: np.ndarray) -> pa.Array:
    """'YYYY-MM-DD HH:MM:SS' for epoch seconds."""
    ts = pa.array(np.ascontiguousarray(seconds, dtype=np.int64), type=pa.timestamp("s"))
    return pc.cast(ts, pa.string())


def _iso_utc(seconds: np.ndarray, suffix: str = "Z") -> pa.Array:
    """'YYYY-MM-DDTHH:MM:SS' + suffix for epoch seconds."""
    text = pc.utf8_replace_slice(_timestamp_text(seconds), 10, 11, "T")
    return pc.binary_join_element_wise(text, suffix, "") if suffix else text


def _money_text(minor: np.ndarray, scale: int) -> pa.Array:
    """Decimal text of integer minor units with ``scale`` decimals ('-12.30')."""
    values = np.ascontiguousarray(minor, dtype=np.int64)
    if scale == 0:
        return pc.cast(pa.array(values), pa.string())
    decimal = pa.Array.from_buffers(
        pa.decimal64(18, scale), len(values), [None, pa.py_buffer(values)]
    )
    return pc.cast(decimal, pa.string())


def _scatter(n: int, parts: Sequence[tuple[np.ndarray, pa.Array]]) -> pa.Array:
    """Assemble an array of length ``n`` from (row indices, values) groups."""
    parts = [(idx, arr) for idx, arr in parts if len(idx)]
    index = np.concatenate([idx for idx, _ in parts])
    values = pa.concat_arrays([arr for _, arr in parts])
    if len(index) != n:
        raise AssertionError("groups must cover every row exactly once")
    inverse = np.empty(n, dtype=np.int64)
    inverse[index] = np.arange(n)
    return values.take(_as_pa_int(inverse))


def _replace_at(values: pa.Array, idx: np.ndarray, replacements: pa.Array) -> pa.Array:
    """Replace ``values[idx]`` (idx sorted ascending) with ``replacements``."""
    if len(idx) == 0:
        return values
    mask = np.zeros(len(values), dtype=bool)
    mask[idx] = True
    return pc.replace_with_mask(values, pa.array(mask), replacements)


def _lookup(labels: Sequence[str], codes: np.ndarray) -> pa.Array:
    """Labels for integer codes."""
    return pa.array(list(labels), type=pa.string()).take(_as_pa_int(codes))


# ---------------------------------------------------------------- orders


def _render_orders(
    rng: np.random.Generator,
    pop: _Population,
    orders: _Orders,
    sizes: _Sizes,
    customer_ids: pa.Array,
    end_s: int,
) -> pa.Table:
    """Money, currency, status and text columns, then the bad rows."""
    n = len(orders.t)
    cust, buyer, t = orders.customer, orders.buyer, orders.t
    buyer_channel = pop.channel[~pop.is_prospect]
    n_b = len(buyer_channel)

    # spend: Gamma-Gamma, in USD
    nu = rng.gamma(SPEND_Q, 1.0 / SPEND_GAMMA, n_b)
    amount_usd = rng.gamma(SPEND_P, 1.0, n) / nu[buyer]
    discount_share = np.asarray([v[2] for v in CHANNELS.values()])[buyer_channel]
    propensity = rng.beta(2.0, 2.0 / discount_share - 2.0)
    rate = np.asarray(DISCOUNT_RATES)[rng.integers(0, len(DISCOUNT_RATES), n)]
    discounted = rng.random(n) < propensity[buyer]
    discount_usd = np.where(discounted, amount_usd * rate / (1.0 - rate), 0.0)

    # currency: home currency of the country, sometimes USD
    codes = list(RATES_PER_USD)
    home = np.asarray([codes.index(v[1]) for v in COUNTRIES.values()])[
        pop.country[cust]
    ]
    currency = np.where(rng.random(n) < HOME_CURRENCY_SHARE, home, codes.index("USD"))
    fx = np.asarray(list(RATES_PER_USD.values()))[currency]
    zero_dec = np.isin(currency, [codes.index(c) for c in ZERO_DECIMAL_CURRENCIES])
    unit = np.where(zero_dec, 1.0, 100.0)  # minor units per currency unit
    amount = np.maximum(np.round(amount_usd * fx * unit), 1).astype(np.int64)
    discount = np.round(discount_usd * fx * unit).astype(np.int64)

    statuses = list(STATUSES)
    status = _choice(rng, STATUSES, n).astype(np.int64)
    recent = t > end_s - RECENT_DAYS * 86_400
    recent_codes = np.asarray([statuses.index(s) for s in RECENT_STATUSES])
    status[recent] = recent_codes[_choice(rng, RECENT_STATUSES, int(recent.sum()))]

    style = _choice(rng, TIMESTAMP_STYLES, n)
    # date-only reads as midnight: only where that is not before the sign-up
    day_start = t - t % 86_400
    style[(style == DATE_ONLY) & (day_start < pop.created[cust])] = UTC_Z

    # bad rows: disjoint sets of rows, one defect each
    kinds = sizes.order_defects
    picked = rng.choice(n, size=sum(kinds.values()), replace=False)
    bounds = np.cumsum([0, *kinds.values()])
    bad = {
        kind: np.sort(picked[bounds[i] : bounds[i + 1]]) for i, kind in enumerate(kinds)
    }
    completed = statuses.index("completed")
    zero = bad["zero_amount"]
    full = rng.random(len(zero)) < 0.5  # fully discounted, else a free sample
    discount[zero] = np.where(full, amount[zero], 0)
    amount[zero] = 0
    status[zero] = completed
    amount[bad["negative_amount"]] *= -1
    huge = bad["huge_amount"]
    currency[huge] = codes.index("USD")
    zero_dec[huge] = False
    amount[huge] = rng.integers(120_000_000, 5_000_000_000, len(huge))
    discount[huge] = 0
    status[bad["conflicting_duplicate"]] = completed

    # text columns
    order_id = _prefixed_ids("O", np.arange(1, n + 1), max(8, len(str(n))))
    id_code = cust.copy()
    id_code[bad["missing_customer_id"]] = len(customer_ids)  # the empty id
    customer_id = pa.concat_arrays([customer_ids, pa.array([""])]).take(
        _as_pa_int(id_code)
    )
    ordered_at = _render_ordered_at(
        rng, t, style, pop.offset_min[cust], bad["bad_date"]
    )
    nn = bad["non_numeric_amount"]
    nn_text = _lookup(
        NON_NUMERIC_AMOUNTS, rng.integers(0, len(NON_NUMERIC_AMOUNTS), len(nn))
    )
    amount_text = _money_column(amount, zero_dec, nn, nn_text)
    discount_text = _money_column(discount, zero_dec)
    # labels: valid codes, then unknown codes, then valid codes in lower case
    labels = [*codes, *UNKNOWN_CURRENCIES, *(c.lower() for c in codes)]
    unknown, lower = bad["unknown_currency"], bad["lowercase_currency"]
    currency[unknown] = len(codes) + rng.integers(
        0, len(UNKNOWN_CURRENCIES), len(unknown)
    )
    currency[lower] += len(codes) + len(UNKNOWN_CURRENCIES)
    currency_text = _lookup(labels, currency)
    main = pa.table(
        [
            order_id,
            customer_id,
            ordered_at,
            amount_text,
            currency_text,
            _lookup(statuses, status),
            discount_text,
        ],
        names=list(ORDER_COLUMNS),
    )

    # extra rows: exact copies, and later exports of completed orders as refunded
    dup, conflict = bad["exact_duplicate"], bad["conflicting_duplicate"]
    later = _lookup(
        list(LATER_EXPORT_STATUSES), _choice(rng, LATER_EXPORT_STATUSES, len(conflict))
    )
    changed = main.take(_as_pa_int(conflict)).set_column(
        ORDER_COLUMNS.index("status"), "status", later
    )
    extra = pa.concat_tables([main.take(_as_pa_int(dup)), changed])
    extra = extra.take(
        _as_pa_int(np.argsort(np.concatenate((dup, conflict)), kind="stable"))
    )
    return pa.concat_tables([main, extra])


def _money_column(
    minor: np.ndarray,
    zero_dec: np.ndarray,
    override_idx: np.ndarray | None = None,
    override: pa.Array | None = None,
) -> pa.Array:
    """Money text: two decimals, none where ``zero_dec``; ``override`` at its rows."""
    text = _money_text(np.where(zero_dec, minor * 100, minor), 2)
    fix = np.flatnonzero(zero_dec)
    rows, values = [fix], [_money_text(minor[fix], 0)]
    if override_idx is not None and override is not None and len(override_idx):
        rows = [np.setdiff1d(fix, override_idx, assume_unique=True), override_idx]
        values = [_money_text(minor[rows[0]], 0), override]
    index = np.concatenate(rows)
    if len(index) == 0:
        return text
    order = np.argsort(index, kind="stable")
    return _replace_at(
        text, index[order], pa.concat_arrays(values).take(_as_pa_int(order))
    )


def _render_ordered_at(
    rng: np.random.Generator,
    t: np.ndarray,
    style: np.ndarray,
    offset_min: np.ndarray,
    bad_idx: np.ndarray,
) -> pa.Array:
    """ISO 8601 text in mixed styles, with unparseable values at ``bad_idx``."""
    n = len(t)
    style = style.copy()
    style[bad_idx] = len(TIMESTAMP_STYLES)
    z, local, naive, date_only = (
        np.flatnonzero(style == s) for s in (UTC_Z, LOCAL_OFFSET, NAIVE_UTC, DATE_ONLY)
    )
    offsets, offset_code = np.unique(offset_min[local], return_inverse=True)
    offset_labels = [
        f"{'-' if m < 0 else '+'}{abs(m) // 60:02d}:{abs(m) % 60:02d}" for m in offsets
    ]
    local_text = pc.binary_join_element_wise(
        _timestamp_text(t[local] + offset_min[local] * 60),
        _lookup(offset_labels, offset_code),
        "",
    )
    dates = pa.array(t[date_only] // 86_400, type=pa.int64()).cast(pa.int32())
    return _scatter(
        n,
        [
            (z, _iso_utc(t[z])),
            (local, local_text),
            (naive, _iso_utc(t[naive], suffix="")),
            (date_only, pc.cast(dates.cast(pa.date32()), pa.string())),
            (bad_idx, _bad_dates(rng, t[bad_idx])),
        ],
    )


def _bad_dates(rng: np.random.Generator, t: np.ndarray) -> pa.Array:
    """'not a date', an impossible 'YYYY-02-30' or a day-first 'DD/MM/YYYY'."""
    day = _timestamp_text(t)
    year = pc.utf8_slice_codeunits(day, 0, 4)
    month = pc.utf8_slice_codeunits(day, 5, 7)
    dom = pc.utf8_slice_codeunits(day, 8, 10)
    variant = rng.integers(0, 3, len(t))
    pos = [np.flatnonzero(variant == v) for v in range(3)]
    return _scatter(
        len(t),
        [
            (pos[0], pa.array(["not a date"] * len(pos[0]), type=pa.string())),
            (pos[1], pc.binary_join_element_wise(year.take(pos[1]), "02", "30", "-")),
            (
                pos[2],
                pc.binary_join_element_wise(
                    dom.take(pos[2]), month.take(pos[2]), year.take(pos[2]), "/"
                ),
            ),
        ],
    )


# ---------------------------------------------------------------- customers


def _render_phones(rng: np.random.Generator, country: np.ndarray) -> pa.Array:
    """Phone numbers in mixed national and international formats; some empty."""
    n = len(country)
    template_of = np.zeros(n, dtype=np.int64)
    missing = rng.random(n) < PHONE_MISSING_SHARE
    parts: list[tuple[np.ndarray, pa.Array]] = [
        (np.flatnonzero(missing), pa.array([""] * int(missing.sum()), type=pa.string()))
    ]
    for code, name in enumerate(COUNTRIES):
        templates = PHONE_TEMPLATES[name]
        rows = np.flatnonzero((country == code) & ~missing)
        template_of[rows] = rng.integers(0, len(templates), len(rows))
        for i, template in enumerate(templates):
            idx = rows[template_of[rows] == i]
            pieces: list[pa.Array | str] = []
            for piece in template:
                if isinstance(piece, str):
                    pieces.append(piece)
                elif isinstance(piece, int):
                    pieces.append(_digits(rng, len(idx), piece))
                else:
                    lo, hi = piece
                    values = rng.integers(lo, hi + 1, len(idx))
                    pieces.append(pc.cast(_as_pa_int(values), pa.string()))
            if len(idx):
                parts.append((idx, pc.binary_join_element_wise(*pieces, "")))
    return _scatter(n, parts)


def _render_emails(rng: np.random.Generator, numbers: np.ndarray) -> pa.Array:
    """first.last<n>@example.com with some mixed case and stray spaces."""
    n = len(numbers)
    first = _lookup(FIRST_NAMES, rng.integers(0, len(FIRST_NAMES), n))
    last = _lookup(LAST_NAMES, rng.integers(0, len(LAST_NAMES), n))
    domain = _lookup(list(EMAIL_DOMAINS), _choice(rng, EMAIL_DOMAINS, n))
    local = pc.binary_join_element_wise(
        first,
        pc.binary_join_element_wise(
            last, pc.cast(_as_pa_int(numbers), pa.string()), ""
        ),
        ".",
    )
    email = pc.binary_join_element_wise(local, domain, "@")
    case = rng.random(n)
    title = np.flatnonzero(case < 0.08)
    email = _replace_at(email, title, pc.utf8_title(email.take(_as_pa_int(title))))
    upper = np.flatnonzero((case >= 0.08) & (case < 0.11))
    email = _replace_at(email, upper, pc.utf8_upper(email.take(_as_pa_int(upper))))
    space = rng.random(n)
    lead = np.flatnonzero(space < 0.02)
    email = _replace_at(
        email, lead, pc.binary_join_element_wise(" ", email.take(_as_pa_int(lead)), "")
    )
    trail = np.flatnonzero((space >= 0.01) & (space < 0.04))
    return _replace_at(
        email,
        trail,
        pc.binary_join_element_wise(email.take(_as_pa_int(trail)), "  ", ""),
    )


def _render_customers(
    rng: np.random.Generator, pop: _Population, sizes: _Sizes, customer_ids: pa.Array
) -> pa.Table:
    """The customers file: every simulated customer except the orphans."""
    rows = np.flatnonzero(~pop.is_orphan)
    n = len(rows)
    country_codes = pop.country[rows]
    email = _render_emails(rng, rows + 1)

    n_pairs = sizes.customer_defects["shared_email_pair"]
    n_dup = sizes.customer_defects["duplicate_customer_row"]
    picked = rng.choice(n, size=2 * n_pairs + n_dup, replace=False)
    a, b = picked[:n_pairs], picked[n_pairs : 2 * n_pairs]
    a, b = np.minimum(a, b), np.maximum(a, b)  # the later id re-uses the email
    order = np.argsort(b)
    a, b = a[order], b[order]
    email_a = email.take(_as_pa_int(a))
    base = pc.utf8_lower(pc.utf8_trim_whitespace(email_a))
    odd = pa.array(np.arange(n_pairs) % 2 == 1)
    candidate = pc.if_else(
        odd, pc.binary_join_element_wise(" ", base, " ", ""), pc.utf8_upper(base)
    )
    variant = pc.if_else(pc.equal(candidate, email_a), base, candidate)
    email = _replace_at(email, b, variant)

    table = pa.table(
        [
            customer_ids.take(_as_pa_int(rows)),
            email,
            _render_phones(rng, country_codes),
            _iso_utc(pop.created[rows]),
            _lookup(list(COUNTRIES), country_codes),
            _lookup(list(CHANNELS), pop.channel[rows]),
        ],
        names=list(CUSTOMER_COLUMNS),
    )
    dup = np.sort(picked[2 * n_pairs :])
    return pa.concat_tables([table, table.take(_as_pa_int(dup))])


# ---------------------------------------------------------------- public API


def generate(
    n_customers: int = 5000,
    n_orders: int = 50000,
    seed: int = 42,
    start: str = "2023-01-01",
    end: str = "2025-12-31",
    *,
    progress: Progress | None = None,
) -> tuple[pa.Table, pa.Table]:
    """Simulate the shop and return ``(orders, customers)`` as all-string tables.

    ``n_customers`` is the number of distinct customers in the customers file
    (prospects included), ``n_orders`` the target number of order rows (the
    realised count is within a few per cent). ``start`` and ``end`` are ISO
    dates, both included. Deterministic in all arguments. ``progress``, if given,
    receives short progress messages.
    """
    sizes, start_s, end_s = _plan(n_customers, n_orders, seed, start, end)
    say = progress or (lambda _msg: None)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)]

    say(f"simulating {sizes.n_sim:,} customers...")
    pop = _simulate_population(streams[0], sizes, start_s, end_s)
    say(f"simulating ~{sizes.target_simulated_orders:,} orders...")
    orders = _simulate_orders(streams[1], pop, sizes, end_s)
    customer_ids = _prefixed_ids(
        "C", np.arange(1, sizes.n_sim + 1), max(7, len(str(sizes.n_sim)))
    )
    say(f"rendering {len(orders.t):,} orders...")
    orders_table = _render_orders(streams[2], pop, orders, sizes, customer_ids, end_s)
    say(f"rendering {sizes.n_customers:,} customers...")
    customers_table = _render_customers(streams[3], pop, sizes, customer_ids)
    return orders_table, customers_table


def write_table(table: pa.Table, path: str | os.PathLike[str], fmt: str) -> None:
    """Write ``table`` as CSV (header, comma, quotes where needed) or Parquet.

    The file is written to a temporary file in the same directory and moved
    into place with ``os.replace``, so readers never see a partial file.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    target = Path(path)
    # created by the writer itself, so it gets the usual permissions
    tmp_name = str(target.with_name(f".{target.name}.{os.getpid()}.tmp"))
    try:
        if fmt == "csv":
            with duckdb.connect() as con:
                con.register("export_table", table)
                quoted = tmp_name.replace("'", "''")
                con.execute(
                    f"COPY export_table TO '{quoted}' "
                    "(FORMAT csv, HEADER true, DELIMITER ',', QUOTE '\"')"
                )
        else:
            pq.write_table(table, tmp_name, compression="zstd")
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m customer_value.demo_data",
        description=(
            "Write a deterministic demo data set (orders and customers files, "
            "with realistic bad rows) for the customer value project."
        ),
    )
    parser.add_argument(
        "--customers",
        type=int,
        default=5000,
        help="customers in the customers file (default 5000)",
    )
    parser.add_argument(
        "--orders",
        type=int,
        default=50000,
        help="target number of order rows (default 50000)",
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument(
        "--start", default="2023-01-01", help="first day, ISO date (default 2023-01-01)"
    )
    parser.add_argument(
        "--end", default="2025-12-31", help="last day, ISO date (default 2025-12-31)"
    )
    parser.add_argument(
        "--out", default="data/demo", help="output directory (default data/demo)"
    )
    parser.add_argument(
        "--format", choices=FORMATS, default="csv", help="file format (default csv)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        _plan(args.customers, args.orders, args.seed, args.start, args.end)
    except ValueError as exc:
        parser.error(str(exc))

    began = time.perf_counter()

    def say(message: str) -> None:
        print(f"[{time.perf_counter() - began:6.1f}s] {message}", flush=True)

    orders, customers = generate(
        args.customers, args.orders, args.seed, args.start, args.end, progress=say
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, table in (("orders", orders), ("customers", customers)):
        path = out / f"{name}.{args.format}"
        say(f"writing {path.name} ({table.num_rows:,} rows)...")
        write_table(table, path, args.format)
        say(f"wrote {path} ({path.stat().st_size:,} bytes)")
    counts = bad_row_counts(args.customers, args.orders)
    say("bad rows: " + ", ".join(f"{k}={v:,}" for k, v in counts.items()))
    say("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())

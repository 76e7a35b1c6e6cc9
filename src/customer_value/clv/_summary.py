"""Validation and compression of per-customer calibration summaries.

A calibration summary holds, per customer, ``x`` (number of repeat purchase
periods after the first purchase), ``t_x`` (time of the last purchase since
the first) and ``T`` (time from the first purchase to the end of the
calibration period), all in one time unit chosen by the caller.

The likelihoods of the BG/NBD and Pareto/NBD models depend on a customer only
through ``(x, t_x, T)``, so a population is compressed to its distinct tuples
with a count per tuple (Fader, Hardie & Lee 2005, section 7). Integer day
summaries of a million customers typically hold a few hundred thousand
distinct tuples at most, and far fewer when expressed in weeks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Relative tolerance when checking ``t_x <= T`` (rounding of stored times).
_RECENCY_TOLERANCE = 1e-9


def as_float_array(values: ArrayLike, name: str) -> FloatArray:
    """Return ``values`` as a 1-D float64 array (a copy only if needed)."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def dot(a: NDArray, b: NDArray) -> float:
    """Inner product of two long 1-D arrays.

    Uses :func:`numpy.einsum`, which is single-threaded and vectorised: on a
    busy machine a threaded BLAS call on a million elements can be 30 times
    slower than this.
    """
    return float(np.einsum("i,i->", a, b))


def validate_summary(
    x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Check a calibration summary and return it as float arrays.

    Rules: all values finite and non-negative, ``x`` integer valued,
    ``t_x <= T`` (a purchase on the calibration end date gives ``t_x == T``),
    and ``t_x == 0`` whenever ``x == 0``. Values of ``t_x`` above ``T`` by a
    relative rounding error of at most 1e-9 are clipped to ``T``.

    Raises:
        ValueError: with the number of offending rows for each broken rule.
    """
    xa = as_float_array(x, "x")
    ta = as_float_array(t_x, "t_x")
    Ta = as_float_array(T, "T")
    if not (xa.shape == ta.shape == Ta.shape):
        raise ValueError(
            f"x, t_x and T must have the same length, got {xa.shape}, "
            f"{ta.shape}, {Ta.shape}"
        )
    problems = []
    finite = np.isfinite(xa) & np.isfinite(ta) & np.isfinite(Ta)
    if not finite.all():
        problems.append(f"{int((~finite).sum())} rows with non-finite values")
    with np.errstate(invalid="ignore"):
        negative = (xa < 0) | (ta < 0) | (Ta < 0)
        if negative.any():
            problems.append(f"{int(negative.sum())} rows with negative values")
        fractional = xa != np.round(xa)
        if fractional.any():
            problems.append(f"{int(fractional.sum())} rows with non-integer x")
        late = ta > Ta * (1.0 + _RECENCY_TOLERANCE) + _RECENCY_TOLERANCE
        if late.any():
            problems.append(f"{int(late.sum())} rows with t_x > T")
        orphan = (xa == 0) & (ta != 0)
        if orphan.any():
            problems.append(f"{int(orphan.sum())} rows with x == 0 but t_x != 0")
    if problems:
        raise ValueError("invalid calibration summary: " + "; ".join(problems))
    return xa, np.minimum(ta, Ta), Ta


def unique_rows(*columns: FloatArray) -> tuple[tuple[FloatArray, ...], IntArray]:
    """Distinct rows of equally long columns and the inverse index.

    Returns ``(distinct_columns, inverse)`` with
    ``distinct_columns[j][inverse] == columns[j]``. Rows are sorted
    lexicographically by the columns, so the result is deterministic. Each
    column is first factorised with :func:`numpy.unique`; the factor codes
    are combined into one int64 key, which is factorised again.
    """
    if not columns:
        raise ValueError("at least one column is required")
    n = columns[0].shape[0]
    if n == 0:
        return tuple(c[:0] for c in columns), np.zeros(0, dtype=np.int64)
    codes = []
    sizes = []
    for col in columns:
        low, high = float(col.min()), float(col.max())
        if high - low < 2.0**31 and np.array_equal(col, np.floor(col)):
            # Integer-valued column (e.g. whole days): its offset is its code.
            codes.append((col - low).astype(np.int64))
            sizes.append(int(high - low) + 1)
        else:
            lev, code = np.unique(col, return_inverse=True)
            codes.append(code.astype(np.int64, copy=False))
            sizes.append(len(lev))
    if float(np.prod(np.asarray(sizes, dtype=np.float64))) < 2.0**62:
        key = codes[0]
        for code, size in zip(codes[1:], sizes[1:], strict=True):
            key = key * size + code
        ukey, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        del ukey
    else:  # pragma: no cover - needs more than 2**62 level combinations
        order = np.lexsort(tuple(reversed(codes)))
        stacked = np.stack([c[order] for c in codes], axis=1)
        change = np.ones(n, dtype=bool)
        change[1:] = np.any(stacked[1:] != stacked[:-1], axis=1)
        group = np.cumsum(change) - 1
        inverse = np.empty(n, dtype=np.int64)
        inverse[order] = group
        first = order[change]
    distinct = tuple(col[first] for col in columns)
    return distinct, inverse.astype(np.int64, copy=False)


@dataclass(frozen=True)
class CompressedSummary:
    """Distinct ``(x, t_x, T)`` tuples with their counts.

    Attributes:
        x, t_x, T: the distinct tuples, sorted by ``(x, t_x, T)``.
        weight: number of customers (or sum of customer weights) per tuple.
        inverse: for every original customer, the row of its tuple, so that
            ``values[inverse]`` maps per-tuple results back to customers.
    """

    x: FloatArray
    t_x: FloatArray
    T: FloatArray
    weight: FloatArray
    inverse: IntArray

    @property
    def n_customers(self) -> int:
        """Number of original rows."""
        return int(self.inverse.shape[0])

    @property
    def n_distinct(self) -> int:
        """Number of distinct tuples."""
        return int(self.x.shape[0])

    def expand(self, values: ArrayLike) -> NDArray:
        """Map per-tuple ``values`` (first axis) back to the original customers."""
        return np.asarray(values)[self.inverse]


def compress_summary(
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    weights: ArrayLike | None = None,
) -> CompressedSummary:
    """Compress a calibration summary to its distinct ``(x, t_x, T)`` tuples.

    ``weights`` (default one per row) are summed within each tuple, so a
    summary that is already partly aggregated can be compressed further.
    The log-likelihood of the compressed table, with the counts as weights,
    equals that of the original rows.
    """
    xa, ta, Ta = validate_summary(x, t_x, T)
    if weights is None:
        w = np.ones_like(xa)
    else:
        w = as_float_array(weights, "weights")
        if w.shape != xa.shape:
            raise ValueError("weights must have the same length as x")
        if not np.all(np.isfinite(w)) or np.any(w < 0):
            raise ValueError("weights must be finite and non-negative")
    (ux, ut, uT), inverse = unique_rows(xa, ta, Ta)
    counts = np.bincount(inverse, weights=w, minlength=ux.shape[0])
    return CompressedSummary(x=ux, t_x=ut, T=uT, weight=counts, inverse=inverse)

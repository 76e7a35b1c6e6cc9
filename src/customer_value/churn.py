"""Supervised churn risk with a time-based backtest against the BTYD baseline.

A customer *churns* at a cut-off date ``c`` when they make no valid purchase
in ``(c, c + h]``, ``h`` = ``churn_horizon_days``. The SQL model
``int_customer_snapshots_featurized`` holds the customers' features at the
cut-offs ``c_k = as_of_date - k h`` (``k = 0 .. K``), each computed from the
purchases on or before ``c_k`` only, and the label for ``k >= 1``:

- **training** snapshots ``k >= 2`` (their labels end on or before ``c_1``);
- **validation** snapshot ``k = 1`` (the backtest: labels observed by
  ``as_of_date``; every customer up to ``churn_backtest_max_customers``, a
  fixed hash sample of about that many beyond);
- **scoring** snapshot ``k = 0`` (no label yet).

Candidates (:data:`CANDIDATES`): an L2-regularised logistic regression on
standardised features with one-hot categories, and a
``HistGradientBoostingClassifier`` with native categories. Each is calibrated
by cross-fitted Platt scaling: ``CalibratedClassifierCV(method="sigmoid",
ensemble=False)`` over :data:`CALIBRATION_FOLDS` folds of customers (a
customer's snapshots stay in one fold): a sigmoid fitted to the out-of-fold
scores maps the scores of the model fitted on all rows to probabilities (see
:func:`fit_candidate`). The validation snapshot is never used
to fit or calibrate. The candidate with the lowest validation log loss is kept;
it is refitted the same way on all labelled snapshots (``k >= 1``) and scores
``k = 0``.

The baseline is the BG/NBD model (Fader, Hardie & Lee 2005) fitted by maximum
likelihood at each cut-off on that cut-off's ``(x, t_x, T)`` only:
``P(no purchase in (T, T + h] | x, t_x, T)`` in closed form. Its outputs at a
cut-off are also features of the supervised models at that cut-off.

Everything here is a pure function of pandas frames; rows are sorted by key
before any fit, and every random choice uses :data:`RANDOM_STATE`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import ParamSpec, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from customer_value import lifecycle
from customer_value.clv import (
    FitResult,
    fit_bgnbd,
    p_alive,
    p_no_purchase,
)
from customer_value.frames import as_dates

RANDOM_STATE = 0
LOGISTIC = "logistic_regression"
BOOSTING = "hist_gradient_boosting"
CANDIDATES: tuple[str, ...] = (LOGISTIC, BOOSTING)
BASELINE = "btyd_bgnbd"
#: Risk bands, most urgent first.
RISK_BANDS: tuple[str, ...] = ("high", "medium", "low")
#: Folds of customers for the cross-fitted calibration.
CALIBRATION_FOLDS = 4
#: Inverse L2 penalty of the logistic regression (on standardised features).
LOGISTIC_C = 1.0
#: Category vocabulary: values seen at least this often, at most this many.
MIN_CATEGORY_ROWS = 20
MAX_CATEGORIES = 30
#: Validation rows used for permutation importance, and its repeats.
IMPORTANCE_MAX_ROWS = 10_000
IMPORTANCE_REPEATS = 5
#: Rows scored at a time (the probabilities do not depend on the batching).
SCORING_BATCH_ROWS = 65_536
#: Training rows the linear reason model is fitted on (the first by hash).
REASON_MAX_ROWS = 50_000
#: The reason model is fitted where the log-odds lie within +-this (p in
#: [0.001, 0.999]), where the model's probabilities are not saturated.
REASON_LOGIT_BOUND = 6.9
#: BG/NBD fits use at most this many customers per cut-off (binomial thinning
#: of the tuple counts above it; the baseline's ROC AUC at 1M customers moved
#: by less than 1e-4 between a fit on 5,000 customers and one on all).
BTYD_MAX_FIT_CUSTOMERS = 20_000
UNKNOWN = "unknown"
#: Probabilities are clipped to [EPS, 1 - EPS] before logits and log loss.
EPS = 1e-6

CATEGORICAL_FEATURES: tuple[str, ...] = (
    "lifecycle_stage",
    "acquisition_channel",
    "country_code",
)
#: Numeric model features and the reason group each belongs to. Windowed
#: features (``purchase_days_{m}_horizons_log``, ``monetary_total_{m}_horizons_log``)
#: are added for every window present in the snapshots and belong to the
#: frequency and spend groups.
NUMERIC_FEATURE_GROUPS: dict[str, str] = {
    "recency_log": "recency",
    "recency_to_rhythm_log": "recency",
    "purchase_days_log": "purchase_frequency",
    "orders_per_purchase_day": "purchase_frequency",
    "is_repeat_buyer": "purchase_frequency",
    "monetary_total_log": "spend",
    "monetary_avg_log": "spend",
    "frequency_trend": "frequency_trend",
    "spend_trend": "spend_trend",
    "mean_gap_log": "purchase_rhythm",
    "gap_trend": "purchase_rhythm",
    "gap_stddev_log": "purchase_rhythm",
    "tenure_log": "tenure",
    "btyd_p_alive": "btyd_activity",
    "btyd_no_purchase_logit": "btyd_activity",
}
CATEGORICAL_GROUPS: dict[str, str] = {
    "lifecycle_stage": "lifecycle_stage",
    "acquisition_channel": "acquisition_channel",
    "country_code": "country",
}
_WINDOW_FEATURE = re.compile(r"^(purchase_days|monetary_total)_(\d+)_horizons?$")


_P = ParamSpec("_P")
_R = TypeVar("_R")


def single_threaded(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run with one BLAS / OpenMP thread: dbt already runs models side by side
    on the available cores, and spinning worker threads of several models
    competing for them slow every model down many times over."""

    @functools.wraps(function)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with threadpool_limits(limits=1):
            return function(*args, **kwargs)

    return wrapper


# ---------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ChurnSettings:
    """The project variables that shape the churn models (see dbt_project.yml)."""

    horizon_days: int = 90
    training_snapshots: int = 6
    max_training_rows: int = 20_000
    risk_band_high: float = 0.80
    risk_band_medium: float = 0.50
    top_reasons: int = 3
    lifecycle: lifecycle.LifecycleThresholds = field(
        default_factory=lifecycle.LifecycleThresholds
    )

    @classmethod
    def from_config(cls, config: Mapping[str, object] | None) -> ChurnSettings:
        """Settings from the models' ``churn_settings`` config mapping (variable
        name -> value, values possibly rendered as text); the ``lifecycle_*``
        keys give the lifecycle thresholds."""
        config = dict(config or {})

        def value(name: str, default, kind):
            raw = config.get(name)
            if raw is None or raw == "":
                return default
            number = float(raw)
            if kind is int and number != int(number):
                raise ValueError(f"{name} must be a whole number, got {raw!r}")
            return kind(number)

        settings = cls(
            horizon_days=value("churn_horizon_days", cls.horizon_days, int),
            training_snapshots=value(
                "churn_training_snapshots", cls.training_snapshots, int
            ),
            max_training_rows=value(
                "churn_max_training_rows", cls.max_training_rows, int
            ),
            risk_band_high=value("churn_risk_band_high", cls.risk_band_high, float),
            risk_band_medium=value(
                "churn_risk_band_medium", cls.risk_band_medium, float
            ),
            top_reasons=value("churn_top_reasons", cls.top_reasons, int),
            lifecycle=lifecycle.LifecycleThresholds.from_mapping(config),
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        """Raise ValueError naming the variable when a setting is unusable."""
        if self.horizon_days < 1:
            raise ValueError("churn_horizon_days must be at least 1")
        if self.training_snapshots < 1:
            raise ValueError("churn_training_snapshots must be at least 1")
        if self.max_training_rows < 1_000:
            raise ValueError("churn_max_training_rows must be at least 1000")
        if not 0 < self.risk_band_medium < self.risk_band_high < 1:
            raise ValueError(
                "churn risk bands must satisfy 0 < churn_risk_band_medium < "
                "churn_risk_band_high < 1"
            )
        if self.top_reasons < 1:
            raise ValueError("churn_top_reasons must be at least 1")


def snapshot_role(cut_off_index: int) -> str:
    """``scoring`` (k = 0), ``validation`` (k = 1) or ``training`` (k >= 2)."""
    return (
        "scoring"
        if cut_off_index == 0
        else ("validation" if cut_off_index == 1 else "training")
    )


# ---------------------------------------------------------------------------
# BTYD baseline at every cut-off
# ---------------------------------------------------------------------------

BTYD_PARAMS_COLUMNS: tuple[str, ...] = (
    "cut_off_index",
    "cut_off_date",
    "snapshot_role",
    "model",
    "parameter",
    "value",
    "standard_error",
    "log_likelihood",
    "n_customers",
    "n_customers_fitted",
    "n_distinct",
    "converged",
    "fallback_used",
    "message",
)


def _thin(counts: np.ndarray, limit: int, seed: int) -> np.ndarray:
    """Binomial thinning of tuple counts to about ``limit`` customers in all
    (each customer kept with probability limit / total); counts unchanged at
    or below the limit."""
    total = counts.sum()
    if total <= limit:
        return counts
    rng = np.random.default_rng(seed)
    return rng.binomial(counts.astype(np.int64), limit / total).astype(np.float64)


#: Columns of ``int_churn_snapshot_tuples_counted``, in the sort order the
#: fits read them in.
BTYD_TUPLE_KEYS: tuple[str, ...] = (
    "cut_off_index",
    "frequency_x",
    "recency_t_x",
    "age_t",
)


@single_threaded
def btyd_params_frame(tuples: pd.DataFrame | pa.Table) -> pd.DataFrame:
    """BG/NBD fitted at each cut-off on that cut-off's distinct ``(x, t_x, T)``
    tuples (days) only; one row per cut-off and parameter.

    ``tuples`` (pandas or Arrow) has ``cut_off_index, cut_off_date,
    frequency_x, recency_t_x, age_t, n_customers``, in any row order (rows in
    :data:`BTYD_TUPLE_KEYS` order skip the sort). A cut-off with more than
    :data:`BTYD_MAX_FIT_CUSTOMERS` customers is fitted on a random subset of
    that size (binomial thinning of the counts in key order, seed fixed per
    cut-off).
    """
    if isinstance(tuples, pd.DataFrame):
        tuples = pa.Table.from_pandas(tuples, preserve_index=False)
    columns = {
        name: tuples.column(name).to_numpy()
        for name in (*BTYD_TUPLE_KEYS, "n_customers")
    }
    dates = tuples.column("cut_off_date")
    keys = [columns[name] for name in BTYD_TUPLE_KEYS]
    order = None
    if len(keys[0]) > 1 and not _in_key_order(keys):
        order = np.lexsort(keys[::-1])
        keys = [key[order] for key in keys]
    counts_all = columns["n_customers"].astype(np.float64)
    if order is not None:
        counts_all = counts_all[order]
    k_all = keys[0]
    # One slice per cut-off; no rows (no valid order before any cut-off) gives
    # no slices and an empty frame.
    starts = np.flatnonzero(np.r_[True, k_all[1:] != k_all[:-1]])
    ends = np.r_[starts[1:], len(k_all)]
    if len(k_all) == 0:
        starts = ends = starts[:0]
    rows = []
    for start, end in zip(starts, ends, strict=True):
        k = int(k_all[start])
        counts = counts_all[start:end]
        weights = _thin(counts, BTYD_MAX_FIT_CUSTOMERS, RANDOM_STATE + k)
        kept = weights > 0
        fit = fit_bgnbd(
            *(key[start:end].astype(np.float64)[kept] for key in keys[1:]),
            weights[kept],
            time_unit="day",
        )
        cut_off_date = dates[int(start if order is None else order[start])].as_py()
        for record in fit.to_records():
            record.update(
                cut_off_index=k,
                cut_off_date=cut_off_date,
                snapshot_role=snapshot_role(k),
                n_customers=int(counts.sum()),
                n_customers_fitted=int(weights.sum()),
                n_distinct=fit.n_distinct,
            )
            rows.append(record)
    frame = pd.DataFrame.from_records(rows, columns=list(BTYD_PARAMS_COLUMNS))
    frame["standard_error"] = frame["standard_error"].astype("float64")
    frame["cut_off_date"] = as_dates(frame["cut_off_date"])
    return frame


def _in_key_order(keys: Sequence[np.ndarray]) -> bool:
    """Whether rows are sorted by the columns ``keys`` (lexicographically)."""
    tied = np.ones(len(keys[0]) - 1, dtype=bool)  # neighbours equal so far
    for key in keys:
        before, after = key[:-1], key[1:]
        if np.any(tied & (before > after)):
            return False
        tied &= before == after
    return True


def btyd_fits_from_params(params: pd.DataFrame) -> dict[int, FitResult]:
    """Cut-off index -> the BG/NBD fit stored in ``fct_churn_btyd_params``."""
    fits = {}
    for k, rows in params.groupby("cut_off_index", sort=True):
        first = rows.iloc[0]
        fits[int(k)] = FitResult(
            model=str(first["model"]),
            params={
                str(p): float(v)
                for p, v in zip(rows["parameter"], rows["value"], strict=True)
            },
            standard_errors={},
            log_likelihood=float(first["log_likelihood"]),
            n_customers=int(first["n_customers_fitted"]),
            converged=bool(first["converged"]),
            message=str(first["message"]),
            fallback_used=bool(first["fallback_used"]),
            n_distinct=int(first["n_distinct"]),
            time_unit="day",
        )
    return fits


def cut_off_counts(params: pd.DataFrame) -> dict[int, int]:
    """Customers per cut-off, from ``fct_churn_btyd_params``."""
    first = params.drop_duplicates("cut_off_index")
    return {
        int(k): int(n)
        for k, n in zip(first["cut_off_index"], first["n_customers"], strict=True)
    }


def btyd_scores(
    snapshots: pd.DataFrame, fits: Mapping[int, FitResult], horizon_days: float
) -> pd.DataFrame:
    """Per snapshot row, from the BG/NBD fitted at its own cut-off:
    ``btyd_p_alive`` and ``btyd_p_no_purchase`` = P(X(T, T+h) = 0 | x, t_x, T)."""
    out = {
        "btyd_p_alive": np.full(len(snapshots), np.nan),
        "btyd_p_no_purchase": np.full(len(snapshots), np.nan),
    }
    k_all = snapshots["cut_off_index"].to_numpy()
    summary = [
        snapshots[c].to_numpy(np.float64)
        for c in ("frequency_x", "recency_t_x", "age_t")
    ]
    for k in np.unique(k_all):
        if int(k) not in fits:
            raise ValueError(f"fct_churn_btyd_params has no fit at cut-off {k}")
        at = np.flatnonzero(k_all == k)
        x, t_x, T = (column[at] for column in summary)
        fit = fits[int(k)]
        out["btyd_p_alive"][at] = p_alive(fit, x, t_x, T)
        out["btyd_p_no_purchase"][at] = p_no_purchase(fit, horizon_days, x, t_x, T)
    return pd.DataFrame(out, index=snapshots.index)


# ---------------------------------------------------------------------------
# Training sample
# ---------------------------------------------------------------------------


def training_cut_offs(settings: ChurnSettings, *, refit: bool) -> list[int]:
    """Cut-off indexes a model learns from: ``2 .. K`` for the backtest, and
    ``1 .. K`` for the refit that scores as_of_date (K = training snapshots + 1)."""
    first = 1 if refit else 2
    return list(range(first, settings.training_snapshots + 2))


VALIDATION_FILTER = "snapshot_role = 'validation'"
SCORING_FILTER = "snapshot_role = 'scoring'"
#: Snapshot columns no model reads: left in the warehouse when a million rows
#: are scored (text columns are the costly ones to hand to pandas).
UNREAD_SNAPSHOT_COLUMNS: frozenset[str] = frozenset(
    {"as_of_date", "snapshot_role", "horizon_purchase_days"}
)


def snapshot_columns(columns: Sequence[str], *, sample_hash: bool = False) -> list[str]:
    """The columns of ``int_customer_snapshots_featurized`` the models read
    (``sample_hash`` only when asked for: importance orders rows by it)."""
    unread = UNREAD_SNAPSHOT_COLUMNS | ({"sample_hash"} if not sample_hash else set())
    return [c for c in columns if c not in unread]


def training_filter(
    params: pd.DataFrame, settings: ChurnSettings, *, refit: bool
) -> str:
    """SQL predicate for the training sample of the backtest (``refit=False``)
    or of the refit that scores as_of_date (``refit=True``): at most
    ``churn_max_training_rows`` rows, stratified by cut-off (see
    :func:`sample_filter`); customer counts from ``fct_churn_btyd_params``."""
    return sample_filter(
        cut_off_counts(params),
        settings.max_training_rows,
        training_cut_offs(settings, refit=refit),
    )


def importance_filter(params: pd.DataFrame) -> str:
    """SQL predicate for the validation rows permutation importance may use: a
    prefix in ``sample_hash`` order expected to hold twice
    :data:`IMPORTANCE_MAX_ROWS` rows (all validation rows when there are not
    many more), so that a million customers are not read to keep 10,000. The
    first :data:`IMPORTANCE_MAX_ROWS` by hash are the same as from all rows
    whenever at least that many come back (see :func:`importance_rows`)."""
    n = cut_off_counts(params).get(1, 0)
    if n <= 2 * IMPORTANCE_MAX_ROWS:
        return VALIDATION_FILTER
    threshold = int(2 * IMPORTANCE_MAX_ROWS / n * 16**8)
    return f"({VALIDATION_FILTER} and sample_hash < '{threshold:08x}')"


def importance_rows(validation: pd.DataFrame) -> pd.DataFrame:
    """The first :data:`IMPORTANCE_MAX_ROWS` validation rows by sample hash
    (then customer id)."""
    validation = validation.sort_values(["sample_hash", "customer_id"], kind="stable")
    return validation.head(IMPORTANCE_MAX_ROWS)


def sample_filter(
    counts: Mapping[int, int], max_rows: int, cut_off_indexes: Sequence[int]
) -> str:
    """SQL predicate selecting a sample of the snapshot rows of the given
    cut-offs, stratified by cut-off: each cut-off gets an equal quota
    ``max_rows / len(cut_off_indexes)`` (all its rows when it has fewer), drawn
    by ``sample_hash`` (8 hex digits of a hash of customer id and cut-off)
    below a threshold. ``counts`` maps cut-off index -> customers."""
    quota = max_rows / len(cut_off_indexes)
    clauses = []
    for k in sorted(cut_off_indexes):
        n = int(counts.get(k, 0))
        if n <= quota:
            clauses.append(f"cut_off_index = {int(k)}")
        else:
            threshold = int(quota / n * 16**8)
            clauses.append(
                f"(cut_off_index = {int(k)} and sample_hash < '{threshold:08x}')"
            )
    return "(" + " or ".join(clauses) + ")"


# ---------------------------------------------------------------------------
# Features
# ---------------------------------------------------------------------------


def _float(frame: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(frame[column]).to_numpy(np.float64, na_value=np.nan)


def _days(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A date column as float days since 1970-01-01 (NaN when null)."""
    values = pd.to_datetime(frame[column]).to_numpy("datetime64[D]")
    days = values.astype("int64").astype(np.float64)
    days[np.isnat(values)] = np.nan
    return days


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), EPS, 1 - EPS)
    return np.log(p) - np.log1p(-p)


def _category(frame: pd.DataFrame, column: str) -> pd.Categorical:
    """A text column as a categorical of its values as text, nulls as
    :data:`UNKNOWN` (factorised once: cheap on a million rows)."""
    codes, uniques = pd.factorize(frame[column], use_na_sentinel=True)
    names = [str(value) for value in uniques]
    if UNKNOWN not in names:
        names.append(UNKNOWN)
    codes = np.where(codes < 0, names.index(UNKNOWN), codes)
    return pd.Categorical.from_codes(codes, categories=pd.Index(names, dtype=object))


def window_columns(columns: Sequence[str]) -> list[tuple[str, str]]:
    """(purchase days, purchase value) column pairs of the feature windows
    present in a snapshot frame, shortest window first."""
    found = sorted(
        (int(m.group(2)), c)
        for c in columns
        if (m := _WINDOW_FEATURE.match(c)) and m.group(1) == "purchase_days"
    )
    pairs = [(c, c.replace("purchase_days", "monetary_total", 1)) for _, c in found]
    return [(days, value) for days, value in pairs if value in columns]


def feature_groups_of(feature_columns: Sequence[str]) -> dict[str, str]:
    """Model feature -> reason group, for the features of a feature frame."""
    groups = dict(NUMERIC_FEATURE_GROUPS)
    groups.update(CATEGORICAL_GROUPS)
    for c in feature_columns:
        m = _WINDOW_FEATURE.match(c.removesuffix("_log"))
        if m and c.endswith("_log"):
            kind = m.group(1)
            groups[c] = "purchase_frequency" if kind == "purchase_days" else "spend"
    return {c: groups[c] for c in feature_columns if c in groups}


def model_columns(features: pd.DataFrame) -> tuple[list[str], list[str]]:
    """(numeric, categorical) model inputs present in a feature frame."""
    groups = feature_groups_of(features.columns)
    numeric = [c for c in groups if c not in CATEGORICAL_GROUPS]
    categorical = [c for c in CATEGORICAL_FEATURES if c in features.columns]
    return numeric, categorical


def feature_frame(
    snapshots: pd.DataFrame, fits: Mapping[int, FitResult], settings: ChurnSettings
) -> pd.DataFrame:
    """The model features of each snapshot row (same index), all finite.

    Counts, amounts and durations enter as ``log1p``; rhythm features are 0 for
    customers with too few purchase days to have one (``is_repeat_buyer`` tells
    them apart); the lifecycle stage at the cut-off comes from
    :func:`customer_value.lifecycle.assign_stages` on the snapshot's dates; the
    BTYD columns from the BG/NBD fitted at the row's own cut-off. The
    baseline probability ``btyd_p_no_purchase`` is carried along (not a model
    input).
    """
    s = snapshots
    n = _float(s, "purchase_days")
    recency = _float(s, "recency_days")
    first, last = _days(s, "first_purchase_date"), _days(s, "last_purchase_date")
    previous = _days(s, "previous_purchase_date")
    repeat = n >= 2
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_gap = np.where(repeat, (last - first) / np.maximum(n - 1, 1), 0.0)
        earlier_gap = np.where(n >= 3, (previous - first) / np.maximum(n - 2, 1), 0.0)
        last_gap = np.where(repeat, last - previous, 0.0)
    orders = _float(s, "frequency_orders")
    spend = np.maximum(_float(s, "monetary_total"), 0.0)
    f = pd.DataFrame(index=s.index)
    f["recency_log"] = np.log1p(recency)
    f["recency_to_rhythm_log"] = np.where(
        repeat, np.log1p(recency) - np.log1p(mean_gap), 0.0
    )
    f["purchase_days_log"] = np.log(np.maximum(n, 1))
    f["orders_per_purchase_day"] = orders / np.maximum(n, 1)
    f["is_repeat_buyer"] = repeat.astype(np.float64)
    f["monetary_total_log"] = np.log1p(spend)
    f["monetary_avg_log"] = np.log1p(spend / np.maximum(orders, 1))
    f["frequency_trend"] = np.log1p(_float(s, "recent_window_purchase_days")) - (
        np.log1p(_float(s, "earlier_window_purchase_days"))
    )
    f["spend_trend"] = np.log1p(
        np.maximum(_float(s, "recent_window_spend"), 0)
    ) - np.log1p(np.maximum(_float(s, "earlier_window_spend"), 0))
    f["mean_gap_log"] = np.log1p(mean_gap)
    f["gap_trend"] = np.where(n >= 3, np.log1p(last_gap) - np.log1p(earlier_gap), 0.0)
    f["gap_stddev_log"] = np.log1p(np.nan_to_num(_float(s, "gap_stddev_days")))
    f["tenure_log"] = np.log1p(_float(s, "tenure_days"))
    btyd = btyd_scores(s, fits, settings.horizon_days)
    f["btyd_p_alive"] = btyd["btyd_p_alive"]
    f["btyd_no_purchase_logit"] = _logit(btyd["btyd_p_no_purchase"])
    for days, value in window_columns(s.columns):
        f[f"{days}_log"] = np.log1p(_float(s, days))
        f[f"{value}_log"] = np.log1p(np.maximum(_float(s, value), 0))
    stages = lifecycle.assign_stages(
        {
            "snapshot_date": s["cut_off_date"],
            "first_purchase_date": s["first_purchase_date"],
            "last_purchase_date": s["last_purchase_date"],
            "previous_purchase_date": s["previous_purchase_date"],
            "purchase_days": n.astype(np.int64),
        },
        settings.lifecycle,
    )
    f["lifecycle_stage"] = pd.Categorical.from_codes(
        stages.stage, categories=pd.Index(lifecycle.STAGES, dtype=object)
    )
    f["acquisition_channel"] = _category(s, "acquisition_channel")
    f["country_code"] = _category(s, "country_code")
    f["btyd_p_no_purchase"] = btyd["btyd_p_no_purchase"]
    numeric, _ = model_columns(f)
    if not all(np.isfinite(f[column].to_numpy(np.float64)).all() for column in numeric):
        raise ValueError("churn features hold a non-finite value")
    return f


# ---------------------------------------------------------------------------
# Candidate models
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FeatureEncoder:
    """The model inputs as one float matrix: numeric features as they are, then
    each category as an integer code into a vocabulary learned on the training
    rows (categories seen at least :data:`MIN_CATEGORY_ROWS` times, at most
    :data:`MAX_CATEGORIES` of them, sorted by name); rarer or unseen values
    share the last code ("other")."""

    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    vocabulary: tuple[tuple[str, ...], ...]

    @classmethod
    def fit(cls, features: pd.DataFrame) -> FeatureEncoder:
        numeric, categorical = model_columns(features)
        vocabulary = []
        for column in categorical:
            counts = features[column].value_counts()
            frequent = sorted(
                ((-int(n), str(v)) for v, n in counts.items() if n >= MIN_CATEGORY_ROWS)
            )[:MAX_CATEGORIES]
            vocabulary.append(tuple(sorted(v for _, v in frequent)))
        return cls(tuple(numeric), tuple(categorical), tuple(vocabulary))

    @property
    def inputs(self) -> list[str]:
        return [*self.numeric, *self.categorical]

    @property
    def n_codes(self) -> list[int]:
        """Codes per category, "other" included."""
        return [len(v) + 1 for v in self.vocabulary]

    def transform(self, features: pd.DataFrame) -> np.ndarray:
        n = len(self.numeric)
        # column-major: each column is written in one contiguous pass (filling
        # a row-major matrix column by column costs ten times as much)
        X = np.empty((len(features), n + len(self.categorical)), order="F")
        for i, column in enumerate(self.numeric):
            X[:, i] = features[column].to_numpy(np.float64)
        for i, (column, vocabulary) in enumerate(
            zip(self.categorical, self.vocabulary, strict=True)
        ):
            # look up each distinct value once, then map the rows' codes
            values = pd.Categorical(features[column])
            known = pd.Index(vocabulary, dtype=object).get_indexer(
                values.categories.astype(str)
            )
            known = np.where(known < 0, len(vocabulary), known)
            codes = values.codes
            X[:, n + i] = np.where(codes < 0, len(vocabulary), known[codes])
        return X


class LinearInputs(TransformerMixin, BaseEstimator):
    """The logistic candidate's inputs from an encoded matrix: the first
    ``n_numeric`` columns standardised (mean 0, standard deviation 1; constant
    columns centred only), then each category code column one-hot encoded
    with ``n_codes[i]`` columns. Plain numpy, so that scoring a million
    customers stays cheap."""

    def __init__(self, n_numeric: int = 0, n_codes: tuple[int, ...] = ()):
        self.n_numeric = n_numeric
        self.n_codes = n_codes

    def fit(self, X: np.ndarray, y: np.ndarray | None = None) -> LinearInputs:
        # row-major, so that the sums run in the same order whatever the layout
        numeric = np.ascontiguousarray(
            np.asarray(X, dtype=np.float64)[:, : self.n_numeric]
        )
        self.mean_ = numeric.mean(axis=0)
        std = numeric.std(axis=0)
        self.scale_ = np.where(std > 0, std, 1.0)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        n = self.n_numeric
        out = np.zeros((len(X), n + sum(self.n_codes)))
        out[:, :n] = (X[:, :n] - self.mean_) / self.scale_
        rows = np.arange(len(X))
        offset = n
        for i, codes in enumerate(self.n_codes):
            out[rows, offset + X[:, n + i].astype(np.int64)] = 1.0
            offset += codes
        return out


def make_candidate(name: str, encoder: FeatureEncoder) -> Pipeline:
    """An unfitted candidate for the matrix of ``encoder``: preprocessing and
    classifier in one pipeline.

    - ``logistic_regression``: standardised numeric features, one-hot
      categories, L2 penalty ``C`` = :data:`LOGISTIC_C`;
    - ``hist_gradient_boosting``: numeric features as they are, categories split
      natively; at most 200 boosting rounds of trees with 15 leaves (learning
      rate 0.1, L2 1.0, at least 40 rows per leaf), stopped when the log loss
      on 10 % of the rows stops improving for 10 rounds.
    """
    n = len(encoder.numeric)
    if name == LOGISTIC:
        return Pipeline(
            [
                ("prep", LinearInputs(n, tuple(encoder.n_codes))),
                ("classifier", LogisticRegression(C=LOGISTIC_C, max_iter=2_000)),
            ]
        )
    if name == BOOSTING:
        classifier = HistGradientBoostingClassifier(
            learning_rate=0.1,
            max_iter=200,
            max_leaf_nodes=15,
            min_samples_leaf=40,
            l2_regularization=1.0,
            categorical_features=[False] * n + [True] * len(encoder.categorical),
            early_stopping=True,
            validation_fraction=0.1,
            n_iter_no_change=10,
            random_state=RANDOM_STATE,
        )
        return Pipeline([("classifier", classifier)])
    raise ValueError(f"unknown churn model {name!r}; expected one of {CANDIDATES}")


def customer_folds(customer_ids: pd.Series, n_folds: int) -> np.ndarray:
    """Fold of each row, by a fixed hash of the customer id: a customer's
    snapshots at several cut-offs always share a fold."""
    hashed = pd.util.hash_pandas_object(
        customer_ids.astype(str).reset_index(drop=True), index=False
    ).to_numpy()
    return (hashed % np.uint64(n_folds)).astype(np.int64)


def sort_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in key order (cut-off, then customer), index reset: fits never
    depend on the order in which the warehouse returned the rows."""
    return frame.sort_values(
        ["cut_off_index", "customer_id"], kind="stable"
    ).reset_index(drop=True)


def can_train(labels: pd.Series | np.ndarray, min_rows: int = 200) -> bool:
    """Enough labelled rows with both outcomes to fit and calibrate a candidate."""
    y = np.asarray(labels, dtype=bool)
    return y.size >= min_rows and 20 <= int(y.sum()) <= y.size - 20


@dataclass
class ChurnModel:
    """A fitted, calibrated candidate and the encoder of its inputs."""

    name: str
    encoder: FeatureEncoder
    calibrated: CalibratedClassifierCV
    training_rows: int

    def predict_proba(
        self, features: pd.DataFrame, encoded: np.ndarray | None = None
    ) -> np.ndarray:
        """Calibrated churn probability of each row (``encoded``: the rows
        already through ``self.encoder``)."""
        if encoded is None:
            encoded = self.encoder.transform(features)
        if len(encoded) <= SCORING_BATCH_ROWS:
            return self.calibrated.predict_proba(encoded)[:, 1]
        # in batches: the logistic candidate's one-hot matrix of a million rows
        # would take half a gigabyte and more time to allocate than to use
        return np.concatenate(
            [
                self.calibrated.predict_proba(
                    encoded[start : start + SCORING_BATCH_ROWS]
                )[:, 1]
                for start in range(0, len(encoded), SCORING_BATCH_ROWS)
            ]
        )


def fit_candidate(
    name: str, features: pd.DataFrame, labels: np.ndarray, customer_ids: pd.Series
) -> ChurnModel:
    """Fit candidate ``name`` with cross-fitted Platt scaling
    (``CalibratedClassifierCV(method="sigmoid", ensemble=False)``): the model's
    scores for each of :data:`CALIBRATION_FOLDS` folds of customers come from
    a fit on the other folds, a sigmoid fitted to those out-of-fold scores maps
    scores to probabilities, and the model fitted on all rows scores new rows.
    Rows must be in key order (:func:`sort_rows`)."""
    encoder = FeatureEncoder.fit(features)
    X = encoder.transform(features)
    y = np.asarray(labels, dtype=np.int64)
    folds = customer_folds(customer_ids, CALIBRATION_FOLDS)
    splits = list(GroupKFold(n_splits=CALIBRATION_FOLDS).split(X, y, groups=folds))
    calibrated = CalibratedClassifierCV(
        make_candidate(name, encoder), method="sigmoid", cv=splits, ensemble=False
    )
    calibrated.fit(X, y)
    return ChurnModel(name, encoder, calibrated, training_rows=len(X))


def prepare(
    snapshots: pd.DataFrame,
    fits: Mapping[int, FitResult],
    settings: ChurnSettings,
    *,
    key_order: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Snapshots (in key order unless ``key_order`` is false: rows that are
    only scored need no order) and their feature frame (same row order)."""
    if key_order:
        snapshots = sort_rows(snapshots)
    else:
        snapshots = snapshots.reset_index(drop=True)
    return snapshots, feature_frame(snapshots, fits, settings)


def labelled(training: pd.DataFrame) -> pd.DataFrame:
    """The rows of a training frame that carry a label."""
    return training[training["churned"].notna()]


def fit_models(
    training: pd.DataFrame,
    fits: Mapping[int, FitResult],
    settings: ChurnSettings,
    names: Sequence[str] = CANDIDATES,
) -> tuple[dict[str, ChurnModel], pd.DataFrame, pd.DataFrame]:
    """Fit the named candidates on the labelled snapshot rows; none when the
    rows cannot support a fit (see :func:`can_train`). Also returns the
    labelled training rows in key order and their features."""
    training, features = prepare(labelled(training), fits, settings)
    if not can_train(training["churned"]):
        return {}, training, features
    y = training["churned"].astype(bool).to_numpy()
    models = {
        name: fit_candidate(name, features, y, training["customer_id"])
        for name in names
    }
    return models, training, features


# ---------------------------------------------------------------------------
# Metrics and selection
# ---------------------------------------------------------------------------


def classification_metrics(
    churned: np.ndarray | pd.Series, probability: np.ndarray | pd.Series
) -> dict[str, float | int | None]:
    """ROC AUC, average precision (churn is the positive class), Brier score,
    log loss (probabilities clipped to [EPS, 1 - EPS]), observed churn rate,
    mean prediction and n. Ranking metrics are None with a single outcome.

    The ranking metrics come from one sort of the probabilities
    (:func:`ranking_metrics`): scikit-learn's ``roc_auc_score`` and
    ``average_precision_score`` give the same values (tested) but sort and
    validate the million rows of a backtest once per metric."""
    y = np.asarray(churned, dtype=bool)
    p = np.clip(np.asarray(probability, dtype=np.float64), EPS, 1 - EPS)
    n = int(y.size)
    both = n > 0 and 0 < int(y.sum()) < n
    auc, precision = ranking_metrics(y, p) if both else (None, None)
    return {
        "roc_auc": auc,
        "average_precision": precision,
        "brier_score": float(np.mean((p - y) ** 2)) if n else None,
        "log_loss": log_loss_of(y, p) if n else None,
        "base_rate": float(y.mean()) if n else None,
        "mean_predicted": float(p.mean()) if n else None,
        "n_customers": n,
    }


def log_loss_of(churned: np.ndarray, probability: np.ndarray) -> float:
    """Mean negative log-likelihood of the outcomes, probabilities clipped to
    [EPS, 1 - EPS]."""
    y = np.asarray(churned, dtype=bool)
    p = np.clip(np.asarray(probability, dtype=np.float64), EPS, 1 - EPS)
    return float(-np.mean(np.where(y, np.log(p), np.log1p(-p))))


def ranking_metrics(
    churned: np.ndarray, probability: np.ndarray
) -> tuple[float, float]:
    """(ROC AUC, average precision) of scores for a binary outcome with both
    classes present, ties handled as scikit-learn does.

    Rows sorted by score, descending; at each distinct score the cumulative
    true positives TP and false positives FP. AUC is the area under the ROC
    curve through those points (trapezoids, so tied scores count half), i.e.
    the Mann-Whitney statistic; average precision is
    ``sum((R_i - R_(i-1)) * P_i)`` with recall ``R = TP / positives`` and
    precision ``P = TP / (TP + FP)`` at each distinct score."""
    y = np.asarray(churned, dtype=bool)
    p = np.asarray(probability, dtype=np.float64)
    order = np.argsort(-p, kind="stable")
    scores, hits = p[order], y[order]
    # the last row of each run of equal scores
    last = np.r_[np.flatnonzero(scores[1:] != scores[:-1]), scores.size - 1]
    tp = np.cumsum(hits, dtype=np.float64)[last]
    fp = (last + 1) - tp
    positives, negatives = tp[-1], fp[-1]
    tp_before = np.r_[0.0, tp[:-1]]
    fp_before = np.r_[0.0, fp[:-1]]
    auc = np.sum((fp - fp_before) * (tp + tp_before)) / (2.0 * positives * negatives)
    precision = np.sum((tp - tp_before) / positives * tp / (last + 1))
    return float(auc), float(precision)


def select_model(scores: Mapping[str, Mapping[str, float | None]]) -> str:
    """The candidate with the lowest validation log loss (ties: the first in
    :data:`CANDIDATES`); the BTYD baseline when no candidate was fitted."""
    best, best_loss = BASELINE, np.inf
    for name in CANDIDATES:
        loss = (scores.get(name) or {}).get("log_loss")
        if loss is not None and loss < best_loss - 1e-12:
            best, best_loss = name, loss
    return best


def selected_model(metrics: pd.DataFrame) -> str:
    """The model ``fct_churn_model_metrics`` marks as selected."""
    chosen = metrics.loc[metrics["is_selected"].astype(bool), "model"]
    return str(chosen.iloc[0]) if len(chosen) else BASELINE


def backtest_selection(backtest: pd.DataFrame) -> str:
    """The model the backtest selected (``selected_model`` of any row of
    ``fct_churn_backtest``, the same on every row; the BTYD baseline when
    the backtest is empty) -- what ``fct_churn_model_metrics`` marks as
    selected, read without waiting for the metrics."""
    if not len(backtest):
        return BASELINE
    return str(backtest["selected_model"].iloc[0])


def probability_column(model: str) -> str:
    """Column of ``fct_churn_backtest`` holding a model's probability."""
    if model == BASELINE:
        return "btyd_churn_probability"
    return f"{model}_churn_probability"


# ---------------------------------------------------------------------------
# Backtest
# ---------------------------------------------------------------------------

BACKTEST_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "cut_off_date",
    "horizon_end_date",
    "selected_model",
    "churn_probability",
    "btyd_churn_probability",
    *(f"{name}_churn_probability" for name in CANDIDATES),
    "churned",
    "lifecycle_stage",
    "acquisition_channel",
    "recency_days",
)


@single_threaded
def backtest_frame(
    training: pd.DataFrame,
    validation: pd.DataFrame,
    params: pd.DataFrame,
    settings: ChurnSettings,
) -> pd.DataFrame:
    """Score the validation snapshot (k = 1) with every candidate fitted on the
    training snapshots (k >= 2) and with the BG/NBD fitted at the validation
    cut-off; keep the candidate with the lowest validation log loss as
    ``churn_probability``. ``churned`` is the outcome observed by as_of_date."""
    fits = btyd_fits_from_params(params)
    models, _, _ = fit_models(training, fits, settings)
    validation, features = prepare(validation, fits, settings, key_order=False)
    churned = validation["churned"].astype(bool).to_numpy()
    out = pd.DataFrame(
        {
            "customer_id": validation["customer_id"].astype(str),
            "cut_off_date": as_dates(validation["cut_off_date"]),
            "horizon_end_date": as_dates(validation["horizon_end_date"]),
            "btyd_churn_probability": features["btyd_p_no_purchase"].to_numpy(),
        }
    )
    scores = {}
    encoded: dict[FeatureEncoder, np.ndarray] = {}
    for name in CANDIDATES:
        column = probability_column(name)
        if name in models and len(features):
            encoder = models[name].encoder
            if encoder not in encoded:
                encoded[encoder] = encoder.transform(features)
            out[column] = models[name].predict_proba(features, encoded[encoder])
            p = np.clip(out[column].to_numpy(np.float64), EPS, 1 - EPS)
            scores[name] = {"log_loss": log_loss_of(churned, p)}
        else:
            out[column] = np.nan
    selected = select_model(scores)
    out["selected_model"] = selected
    out["churn_probability"] = out[probability_column(selected)]
    out["churned"] = churned
    out["lifecycle_stage"] = features["lifecycle_stage"].to_numpy()
    out["acquisition_channel"] = validation["acquisition_channel"].array
    out["recency_days"] = validation["recency_days"].astype("int64").to_numpy()
    return out[list(BACKTEST_COLUMNS)]


#: The columns of ``fct_churn_backtest`` the metrics are computed from.
METRICS_INPUT_COLUMNS: tuple[str, ...] = (
    "cut_off_date",
    "selected_model",
    "churned",
    "btyd_churn_probability",
    *(f"{name}_churn_probability" for name in CANDIDATES),
)


def model_metrics_frame(backtest: pd.DataFrame, training_rows: int) -> pd.DataFrame:
    """One row per fitted candidate and for the BTYD baseline: the metrics on
    the backtest, whether it is the selected model, and the training rows
    (null for the baseline, fitted on the customers at the validation
    cut-off)."""
    selected = str(backtest["selected_model"].iloc[0]) if len(backtest) else BASELINE
    rows = []
    for name in (*CANDIDATES, BASELINE):
        probability = backtest[probability_column(name)]
        if name != BASELINE and (probability.isna().all() or not len(backtest)):
            continue
        row = {
            "model": name,
            "model_role": "baseline" if name == BASELINE else "candidate",
            "is_selected": name == selected,
        }
        row.update(classification_metrics(backtest["churned"], probability))
        row["training_rows"] = None if name == BASELINE else int(training_rows)
        rows.append(row)
    frame = pd.DataFrame.from_records(rows)
    frame["cut_off_date"] = as_dates(
        [backtest["cut_off_date"].iloc[0] if len(backtest) else None] * len(frame)
    )
    frame["training_rows"] = frame["training_rows"].astype("Int64")
    for column in (
        "roc_auc",
        "average_precision",
        "brier_score",
        "log_loss",
        "base_rate",
        "mean_predicted",
    ):
        frame[column] = frame[column].astype("float64")
    return frame


# ---------------------------------------------------------------------------
# Importance
# ---------------------------------------------------------------------------

IMPORTANCE_COLUMNS: tuple[str, ...] = (
    "model",
    "feature",
    "feature_group",
    "importance_rank",
    "roc_auc_drop_mean",
    "roc_auc_drop_std",
    "n_customers",
    "n_repeats",
)


@single_threaded
def feature_importance_frame(
    training: pd.DataFrame,
    validation: pd.DataFrame,
    params: pd.DataFrame,
    settings: ChurnSettings,
    model_name: str,
) -> pd.DataFrame:
    """Permutation importance of the backtest's selected model on the
    validation snapshot: the model specification is fitted once on all the
    backtest's training rows (the monotone calibration does not change the
    ROC AUC), and each input feature is shuffled :data:`IMPORTANCE_REPEATS`
    times on at most :data:`IMPORTANCE_MAX_ROWS` validation rows (the first by
    sample hash); the importance is the mean drop in ROC AUC."""
    empty = pd.DataFrame(columns=list(IMPORTANCE_COLUMNS))
    if model_name not in CANDIDATES:
        return empty
    fits = btyd_fits_from_params(params)
    training, features = prepare(labelled(training), fits, settings)
    if not can_train(training["churned"]):
        return empty
    encoder = FeatureEncoder.fit(features)
    inputs = encoder.inputs
    model = make_candidate(model_name, encoder)
    model.fit(encoder.transform(features), training["churned"].astype(bool).to_numpy())
    validation, v_features = prepare(importance_rows(validation), fits, settings)
    y = validation["churned"].astype(bool).to_numpy()
    if not 0 < y.sum() < y.size:
        return empty
    result = permutation_importance(
        model,
        encoder.transform(v_features),
        y,
        scoring="roc_auc",
        n_repeats=IMPORTANCE_REPEATS,
        random_state=RANDOM_STATE,
    )
    groups = feature_groups_of(inputs)
    frame = pd.DataFrame(
        {
            "model": model_name,
            "feature": inputs,
            "feature_group": [groups[f] for f in inputs],
            "roc_auc_drop_mean": result.importances_mean,
            "roc_auc_drop_std": result.importances_std,
            "n_customers": len(v_features),
            "n_repeats": IMPORTANCE_REPEATS,
        }
    )
    frame = frame.sort_values(
        ["roc_auc_drop_mean", "feature"], ascending=[False, True], kind="stable"
    )
    frame["importance_rank"] = np.arange(1, len(frame) + 1)
    return frame[list(IMPORTANCE_COLUMNS)].reset_index(drop=True)


# ---------------------------------------------------------------------------
# Reasons
# ---------------------------------------------------------------------------


@dataclass
class ReasonModel:
    """Linear attribution of a model's churn log-odds to reason groups.

    A ridge regression of the model's calibrated log-odds on the standardised
    numeric features and one-hot categories (the logistic candidate's inputs),
    fitted on the training rows whose log-odds lie within
    +-:data:`REASON_LOGIT_BOUND` (probabilities of 0.001 .. 0.999; all rows,
    clipped, when fewer than 100 do). A group's contribution for a customer is
    ``sum_j coef_j (z_j - zref_j)`` over the group's columns, ``zref`` being the
    typical training customer (median of each numeric feature, most common
    category). For the
    logistic regression this reproduces the model (``r2`` close to 1); for the
    boosted trees it is a linear surrogate whose fit is ``r2``.
    """

    encoder: FeatureEncoder
    prep: LinearInputs
    coef: np.ndarray
    column_groups: list[str]
    reference: np.ndarray
    r2: float

    def contributions(
        self, features: pd.DataFrame, encoded: np.ndarray | None = None
    ) -> pd.DataFrame:
        names = sorted(set(self.column_groups))
        if encoded is None:
            encoded = self.encoder.transform(features)
        X = np.asarray(encoded, dtype=np.float64)
        n = self.prep.n_numeric
        # numeric columns: coef_j (z_j - zref_j), summed per group
        z = (X[:, :n] - self.prep.mean_) / self.prep.scale_
        membership = np.zeros((n, len(names)))
        membership[np.arange(n), [names.index(g) for g in self.column_groups[:n]]] = 1
        out = ((z - self.reference[:n]) * self.coef[:n]) @ membership
        # a one-hot block adds coef[code] - sum(coef * zref) over the block: no
        # dense one-hot matrix of a million rows is needed
        offset = n
        for i, codes in enumerate(self.prep.n_codes):
            block = slice(offset, offset + codes)
            coef = self.coef[block]
            base = float(np.dot(coef, self.reference[block]))
            group = names.index(self.column_groups[offset])
            out[:, group] += coef[X[:, n + i].astype(np.int64)] - base
            offset += codes
        return pd.DataFrame(out, index=features.index, columns=names)


def fit_reason_model(
    model: ChurnModel, features: pd.DataFrame, customer_ids: pd.Series
) -> ReasonModel:
    """Fit the :class:`ReasonModel` of ``model`` on at most
    :data:`REASON_MAX_ROWS` of its training rows (lowest id hashes first)."""
    if len(features) > REASON_MAX_ROWS:
        hashed = pd.util.hash_pandas_object(
            customer_ids.astype(str).reset_index(drop=True), index=False
        ).to_numpy()
        keep = np.sort(np.argsort(hashed, kind="stable")[:REASON_MAX_ROWS])
        features = features.iloc[keep]
    encoder = model.encoder
    X = encoder.transform(features)
    prep = make_candidate(LOGISTIC, encoder).named_steps["prep"]
    z = prep.fit_transform(X)
    target = _logit(model.calibrated.predict_proba(X)[:, 1])
    inside = np.abs(target) < REASON_LOGIT_BOUND
    if inside.sum() >= 100:  # saturated probabilities say nothing about slopes
        z, target = z[inside], target[inside]
    else:
        target = np.clip(target, -REASON_LOGIT_BOUND, REASON_LOGIT_BOUND)
    ridge = Ridge(alpha=1.0).fit(z, target)
    groups = feature_groups_of(encoder.inputs)
    column_groups = [groups[c] for c in encoder.numeric]
    for column, codes in zip(encoder.categorical, encoder.n_codes, strict=True):
        column_groups += [groups[column]] * codes
    n = len(encoder.numeric)
    reference = np.median(X[:, :n], axis=0)
    modal = [
        np.bincount(X[:, i].astype(np.int64)).argmax() for i in range(n, X.shape[1])
    ]
    reference_row = np.concatenate([reference, np.asarray(modal, dtype=np.float64)])
    return ReasonModel(
        encoder=encoder,
        prep=prep,
        coef=ridge.coef_,
        column_groups=column_groups,
        reference=prep.transform(reference_row[None, :])[0],
        r2=float(ridge.score(z, target)),
    )


def _two_decimals(values: np.ndarray) -> pa.Array:
    """Non-negative numbers as text with two decimals, e.g. ``0.40``."""
    cents = np.round(np.maximum(values, 0) * 100).astype(np.int64)
    whole = pc.cast(pa.array(cents // 100), pa.string())
    fraction = pc.utf8_lpad(pc.cast(pa.array(cents % 100), pa.string()), 2, "0")
    return pc.binary_join_element_wise(whole, fraction, ".")


def top_reasons(contributions: pd.DataFrame, k: int) -> tuple[pa.Array, pa.Array]:
    """Per row: the group pushing churn most (null when none pushes it above
    the typical customer) and up to ``k`` groups with a positive push,
    largest first, as text ``"group (+0.42); ..."`` (log-odds); Arrow text
    arrays (a million Python strings would cost more than building them)."""
    values = contributions.to_numpy(np.float64)
    names = pa.array(list(contributions.columns), pa.string())
    order = np.argsort(-values, axis=1, kind="stable")[:, :k]
    top = np.take_along_axis(values, order, axis=1)
    null = pa.scalar(None, pa.string())
    first = text = pa.nulls(len(values), pa.string())
    for j in range(order.shape[1]):
        name = names.take(pa.array(order[:, j]))
        part = pc.binary_join_element_wise(
            name, " (+", _two_decimals(top[:, j]), ")", ""
        )
        positive = pa.array(top[:, j] > 0)
        if j == 0:
            first = pc.if_else(positive, name, null)
            text = pc.if_else(positive, part, null)
        else:  # pushes are sorted: a positive one follows only positive ones
            joined = pc.binary_join_element_wise(text, part, "; ")
            text = pc.if_else(positive, joined, text)
    return first, text


# ---------------------------------------------------------------------------
# Scoring at as_of_date
# ---------------------------------------------------------------------------

RISK_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "as_of_date",
    "horizon_end_date",
    "churn_probability",
    "risk_band",
    "top_reason",
    "top_reasons",
    "btyd_churn_probability",
    "model",
    "lifecycle_stage",
    "acquisition_channel",
    "recency_days",
    "purchase_days",
)


def risk_band(probability: np.ndarray, settings: ChurnSettings) -> np.ndarray:
    """``high`` when p >= churn_risk_band_high, ``medium`` when p >=
    churn_risk_band_medium, else ``low``."""
    p = np.asarray(probability, dtype=np.float64)
    return np.where(
        p >= settings.risk_band_high,
        RISK_BANDS[0],
        np.where(p >= settings.risk_band_medium, RISK_BANDS[1], RISK_BANDS[2]),
    ).astype(object)


@single_threaded
def churn_risk_frame(
    training: pd.DataFrame,
    scoring: pd.DataFrame,
    params: pd.DataFrame,
    settings: ChurnSettings,
    model_name: str,
) -> pd.DataFrame:
    """Refit the model chosen by the backtest on all labelled snapshots
    (k >= 1) and score the snapshot at as_of_date (k = 0): calibrated churn
    probability over the horizon, risk band, top reasons, and the BTYD
    baseline from the BG/NBD fitted at as_of_date. When the chosen model is
    the baseline (too little history to train), the baseline is the score and
    there are no reasons."""
    fits = btyd_fits_from_params(params)
    models: dict[str, ChurnModel] = {}
    if model_name in CANDIDATES:
        models, training, train_features = fit_models(
            training, fits, settings, names=[model_name]
        )
    scoring, features = prepare(scoring, fits, settings, key_order=False)
    out = pd.DataFrame(
        {
            "customer_id": scoring["customer_id"].astype(str),
            "as_of_date": as_dates(scoring["cut_off_date"]),
            "horizon_end_date": as_dates(scoring["horizon_end_date"]),
            "btyd_churn_probability": features["btyd_p_no_purchase"].to_numpy(),
        }
    )
    out["top_reason"] = pd.Series([None] * len(out), dtype=object)
    out["top_reasons"] = pd.Series([None] * len(out), dtype=object)
    if models and len(features):
        model = models[model_name]
        encoded = model.encoder.transform(features)
        out["churn_probability"] = model.predict_proba(features, encoded)
        reasons = fit_reason_model(model, train_features, training["customer_id"])
        # in batches: a million rows' contributions and their sort at once
        # take more time to allocate than to compute
        batches = [
            top_reasons(
                reasons.contributions(
                    features.iloc[start : start + SCORING_BATCH_ROWS],
                    encoded[start : start + SCORING_BATCH_ROWS],
                ),
                settings.top_reasons,
            )
            for start in range(0, len(features), SCORING_BATCH_ROWS)
        ]
        first = pa.chunked_array([batch[0] for batch in batches], pa.string())
        texts = pa.chunked_array([batch[1] for batch in batches], pa.string())
        out["top_reason"] = first.to_pandas().array
        out["top_reasons"] = texts.to_pandas().array
        out["model"] = model_name
    else:
        out["churn_probability"] = out["btyd_churn_probability"]
        out["model"] = BASELINE
    out["risk_band"] = risk_band(out["churn_probability"], settings)
    out["lifecycle_stage"] = features["lifecycle_stage"].to_numpy()
    out["acquisition_channel"] = scoring["acquisition_channel"].array
    out["recency_days"] = scoring["recency_days"].astype("int64").to_numpy()
    out["purchase_days"] = scoring["purchase_days"].astype("int64").to_numpy()
    return out[list(RISK_COLUMNS)]

"""Customer lifecycle stages: one set of rules, vectorised.

A customer's stage on a date *d* is a pure function of five features of that
snapshot (no recursion over the customer's history):

- ``snapshot_date`` *d*;
- ``first_purchase_date`` *F*, ``last_purchase_date`` *L* (latest purchase on
  or before *d*) and ``previous_purchase_date`` *P* (the purchase day before
  *L*);
- ``purchase_days`` *n*: number of distinct purchase dates on or before *d*
  (several purchases on one day are one purchase day, as in BG/NBD).

With recency *r = d - L* and the customer's rhythm *g = (L - F) / (n - 1)*
(mean gap between purchase days; none for *n = 1*), the recency thresholds are

    at_risk_after = min(max(at_risk_days, at_risk_multiplier * g), dormant_days)
    dormant_after = min(max(dormant_days, dormant_multiplier * g), churned_days)

and the stage is, in this order:

- ``prospect``    no purchase (*n = 0*);
- ``churned``     *r > churned_days*;
- ``dormant``     *r > dormant_after*;
- ``at_risk``     *r > at_risk_after*;
- otherwise the customer is active, shown as
  ``reactivated`` when the latest purchase ended a lapse (the customer was
  dormant or churned on the day before it, by these same rules applied to the
  purchases before it) and *r <= reactivated_days*,
  ``new`` when *n = 1* and *d - F <= new_days*,
  ``active`` otherwise.

A value exactly on a threshold stays in the earlier stage (with the defaults,
recency 180 is active, 181 at risk). The dbt models feed features computed in
SQL; the rules live here only. Stage codes are small integers indexing
:data:`STAGES`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# Ordered so that active, at_risk, dormant and churned are consecutive codes.
STAGES: tuple[str, ...] = (
    "prospect",
    "new",
    "reactivated",
    "active",
    "at_risk",
    "dormant",
    "churned",
)
PROSPECT, NEW, REACTIVATED, ACTIVE, AT_RISK, DORMANT, CHURNED = range(len(STAGES))
_STAGE_DICTIONARY = pa.array(STAGES, pa.string())


@dataclass(frozen=True)
class LifecycleThresholds:
    """Every threshold of the stage rules and churn warnings (days unless noted).

    The defaults follow the time-based standard of the source texts: new for
    the first ~6 months, active while the last purchase is within 6 months,
    dormant ("sleeping") after 12 months and churned after 24 months.
    """

    new_days: int = 180
    at_risk_days: int = 180
    dormant_days: int = 365
    churned_days: int = 730
    at_risk_rhythm_multiplier: float = 2.0
    dormant_rhythm_multiplier: float = 3.0
    reactivated_days: int = 180
    frequency_window_days: int = 180
    frequency_drop_threshold: float = 0.20
    inactivity_days: int = 90
    low_clv_share: float = 0.20

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if not np.isfinite(value) or value < 0:
                raise ValueError(f"lifecycle_{field.name} must be >= 0, got {value!r}")
        if not self.at_risk_days <= self.dormant_days <= self.churned_days:
            raise ValueError(
                "lifecycle thresholds must satisfy lifecycle_at_risk_days <= "
                "lifecycle_dormant_days <= lifecycle_churned_days, got "
                f"{self.at_risk_days}, {self.dormant_days}, {self.churned_days}"
            )
        if self.frequency_window_days < 1:
            raise ValueError("lifecycle_frequency_window_days must be >= 1")
        if not 0 <= self.frequency_drop_threshold < 1:
            raise ValueError("lifecycle_frequency_drop_threshold must be in [0, 1)")
        if not 0 <= self.low_clv_share < 1:
            raise ValueError("lifecycle_low_clv_share must be in [0, 1)")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> LifecycleThresholds:
        """Thresholds from a mapping of field names (``lifecycle_`` prefix optional).

        Values may be numbers or their text (as rendered from dbt vars); missing
        keys keep their defaults.
        """
        values = dict(values or {})
        kwargs: dict[str, Any] = {}
        for field in fields(cls):
            for key in (field.name, f"lifecycle_{field.name}"):
                if key in values and values[key] not in (None, ""):
                    try:
                        number = float(values[key])
                    except (TypeError, ValueError):
                        raise ValueError(
                            f"lifecycle_{field.name} must be a number, "
                            f"got {values[key]!r}"
                        ) from None
                    if field.type == "int":
                        if number != int(number):
                            raise ValueError(
                                f"lifecycle_{field.name} must be whole days"
                            )
                        number = int(number)
                    kwargs[field.name] = number
        return cls(**kwargs)


class StageAssignment(NamedTuple):
    """Result of :func:`assign_stages`, one entry per snapshot."""

    stage: np.ndarray  # int8 code into STAGES
    recency_days: np.ndarray  # float64, NaN without a purchase
    rhythm_days: np.ndarray  # mean gap between purchase days; NaN when n < 2
    at_risk_after_days: np.ndarray  # float64: at risk when recency exceeds this
    dormant_after_days: np.ndarray  # float64: dormant when recency exceeds this


# --- inputs ----------------------------------------------------------------------


def to_days(values: Any) -> tuple[np.ndarray, np.ndarray]:
    """Dates as int32 days since 1970-01-01 and a boolean null mask (nulls -> 0).

    Accepts numpy datetime64 or integer (already days) arrays, pyarrow date,
    timestamp or integer arrays, pandas series and lists of dates.
    """
    if isinstance(values, np.ndarray) and values.dtype.kind in "iu":
        return values.astype(np.int32), np.zeros(len(values), dtype=bool)
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":
        days = values.astype("datetime64[D]")
        nulls = np.isnat(days)
        return np.where(nulls, 0, days.astype(np.int64)).astype(np.int32), nulls
    array = (
        values if isinstance(values, pa.Array | pa.ChunkedArray) else pa.array(values)
    )
    if pa.types.is_timestamp(array.type) or pa.types.is_date64(array.type):
        array = pc.cast(array, pa.date32())
    if pa.types.is_date32(array.type) or pa.types.is_null(array.type):
        array = pc.cast(array, pa.int32())
    if array.null_count == 0:
        days = array.to_numpy(zero_copy_only=False).astype(np.int32, copy=False)
        return days, np.zeros(len(days), dtype=bool)
    nulls = pc.is_null(array).to_numpy(zero_copy_only=False)
    days = pc.fill_null(array, 0).to_numpy(zero_copy_only=False)
    days = days.astype(np.int32, copy=False)
    return days, np.asarray(nulls, dtype=bool)


def to_counts(values: Any) -> np.ndarray:
    """Integer counts as int32 (nulls as 0)."""
    if isinstance(values, np.ndarray):
        return np.nan_to_num(values, nan=0).astype(np.int32)
    array = (
        values if isinstance(values, pa.Array | pa.ChunkedArray) else pa.array(values)
    )
    return pc.fill_null(array, 0).to_numpy(zero_copy_only=False).astype(np.int32)


def stage_labels(codes: np.ndarray, dictionary: bool = False) -> pa.Array:
    """Stage codes -> Arrow array of stage names (dictionary-encoded if asked)."""
    indices = pa.array(np.asarray(codes, dtype=np.int8), pa.int8())
    labels = pa.DictionaryArray.from_arrays(indices, _STAGE_DICTIONARY)
    return labels if dictionary else labels.cast(pa.string())


# --- the rules -------------------------------------------------------------------


def _times(values: np.ndarray, multiplier: float) -> np.ndarray:
    """``multiplier * values``, in int64 when the multiplier is whole (exact)."""
    if float(multiplier).is_integer():
        return np.multiply(values, int(multiplier), dtype=np.int64)
    return values * float(multiplier)


def _recency_stage(
    recency: np.ndarray, span: np.ndarray, gaps: np.ndarray, t: LifecycleThresholds
) -> np.ndarray:
    """active / at_risk / dormant / churned from recency and the customer's rhythm.

    ``span`` = last - first purchase date and ``gaps`` = purchase days - 1, so
    the rhythm is ``span / gaps`` when ``gaps >= 1``. A recency beyond
    ``min(max(days, multiplier * rhythm), cap)`` is tested as
    ``recency > cap or (recency > days and (no rhythm or recency * gaps >
    multiplier * span))``, without division, so a value exactly on a threshold
    is never lost to rounding.
    """
    no_rhythm = gaps < 1
    scaled_recency = np.multiply(recency, gaps, dtype=np.int64)
    beyond_dormant_days = recency > t.dormant_days
    beyond_churned = recency > t.churned_days
    beyond_at_risk = (recency > t.at_risk_days) & (
        no_rhythm | (scaled_recency > _times(span, t.at_risk_rhythm_multiplier))
    )
    beyond_at_risk |= beyond_dormant_days
    beyond_dormant = beyond_dormant_days & (
        no_rhythm | (scaled_recency > _times(span, t.dormant_rhythm_multiplier))
    )
    beyond_dormant |= beyond_churned
    # Each condition implies the one before, so their sum counts the steps.
    stage = beyond_at_risk.view(np.int8) + np.int8(ACTIVE)
    stage += beyond_dormant.view(np.int8)
    stage += beyond_churned.view(np.int8)
    return stage


def _stage_codes(
    snapshot: np.ndarray,
    first: np.ndarray,
    last: np.ndarray,
    previous: np.ndarray,
    n: np.ndarray,
    t: LifecycleThresholds,
) -> np.ndarray:
    """Stage code of each snapshot from int32 day numbers (the rules, once)."""
    recency = snapshot - last
    stage = _recency_stage(recency, last - first, n - 1, t)
    active = stage == ACTIVE
    stage[active & (n == 1) & (snapshot - first <= t.new_days)] = NEW
    # Reactivated: the same rules on the day before the latest purchase, with
    # the purchases before it, found the customer dormant or churned.
    candidates = active & (n >= 2) & (recency <= t.reactivated_days)
    if candidates.any():
        index = np.nonzero(candidates)[0]
        stage_before = _recency_stage(
            last[index] - 1 - previous[index],
            previous[index] - first[index],
            n[index] - 2,
            t,
        )
        stage[index[stage_before >= DORMANT]] = REACTIVATED
    stage[n < 1] = PROSPECT
    return stage


def personal_thresholds(
    first: np.ndarray, last: np.ndarray, n: np.ndarray, t: LifecycleThresholds
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rhythm (mean gap between purchase days; NaN below two) and the recency
    above which the customer is at risk and dormant:
    ``min(max(at_risk_days, at_risk_multiplier * rhythm), dormant_days)`` and
    ``min(max(dormant_days, dormant_multiplier * rhythm), churned_days)``.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        rhythm = np.where(n >= 2, (last - first) / np.maximum(n - 1, 1), np.nan)
    at_risk = np.minimum(
        np.fmax(float(t.at_risk_days), t.at_risk_rhythm_multiplier * rhythm),
        float(t.dormant_days),
    )
    dormant = np.minimum(
        np.fmax(float(t.dormant_days), t.dormant_rhythm_multiplier * rhythm),
        float(t.churned_days),
    )
    return rhythm, at_risk, dormant


def assign_stages(
    features: Mapping[str, Any], thresholds: LifecycleThresholds | None = None
) -> StageAssignment:
    """Lifecycle stage of each snapshot (see the module docstring for the rules).

    ``features`` maps ``snapshot_date``, ``first_purchase_date``,
    ``last_purchase_date``, ``previous_purchase_date`` (dates; null when
    absent) and ``purchase_days`` (count) to equal-length columns: a dict of
    arrays, a pandas DataFrame or a pyarrow Table / RecordBatch.
    """
    t = thresholds or LifecycleThresholds()
    snapshot = to_days(features["snapshot_date"])[0]
    first = to_days(features["first_purchase_date"])[0]
    last = to_days(features["last_purchase_date"])[0]
    previous = to_days(features["previous_purchase_date"])[0]
    n = to_counts(features["purchase_days"])
    stage = _stage_codes(snapshot, first, last, previous, n, t)
    rhythm, at_risk, dormant = personal_thresholds(first, last, n, t)
    recency = np.where(n >= 1, snapshot - last, np.nan)
    return StageAssignment(stage, recency, rhythm, at_risk, dormant)


# --- current stage with the date it was entered ------------------------------------


def current_stages(
    purchase_days: pa.Table, thresholds: LifecycleThresholds | None = None
) -> pa.Table:
    """Current stage, the date it was entered and the stage before, per customer.

    ``purchase_days`` has one row per customer and purchase day, sorted by
    customer and ``purchase_day_number``, with ``customer_id``,
    ``purchase_date``, ``purchase_day_number``, ``first_purchase_date``,
    ``previous_purchase_date``, ``purchase_date_before_previous`` and
    ``as_of_date``.

    Between two purchase days the features are fixed and only the snapshot
    date moves, so the stage on every day follows from the purchase-day rows:
    row k holds from its purchase date to the day before the next one (the last
    row to as_of_date). The current stage was entered at the start of its
    latest run of days: the run reaches back over a purchase day when the stage
    is the same on the day before it and on every day of the row. Inside the
    row where the run starts, its first day is found by bisection (while the
    features are fixed, each stage holds one contiguous range of recency).
    Before the first purchase a customer is a prospect.
    """
    t = thresholds or LifecycleThresholds()
    size = purchase_days.num_rows
    purchase = to_days(purchase_days["purchase_date"])[0]
    first = to_days(purchase_days["first_purchase_date"])[0]
    previous = to_days(purchase_days["previous_purchase_date"])[0]
    before_previous = to_days(purchase_days["purchase_date_before_previous"])[0]
    number = to_counts(purchase_days["purchase_day_number"])
    as_of = to_days(purchase_days["as_of_date"])[0]
    if np.any((number[1:] != number[:-1] + 1) & (number[1:] != 1)) or (
        size and number[0] != 1
    ):
        raise ValueError(
            "purchase_days must be sorted by customer_id and purchase_day_number"
        )

    def stage_in_row(rows: np.ndarray, day: np.ndarray) -> np.ndarray:
        return _stage_codes(
            day, first[rows], purchase[rows], previous[rows], number[rows], t
        )

    def stage_before_row(rows: np.ndarray) -> np.ndarray:
        # The day before the row's purchase day, in the state of the row before.
        return _stage_codes(
            purchase[rows] - 1,
            first[rows],
            previous[rows],
            before_previous[rows],
            number[rows] - 1,
            t,
        )

    # Walk back from each customer's last row while the current stage runs on
    # over the purchase day that starts the row.
    is_last_row = np.append(number[1:] == 1, True)[:size]
    last_rows = np.nonzero(is_last_row)[0]
    stage = stage_in_row(last_rows, as_of[last_rows])
    start_rows = last_rows.copy()
    walking = np.arange(len(last_rows))
    while len(walking):
        rows = start_rows[walking]
        continues = (
            (number[rows] > 1)
            & (stage_in_row(rows, purchase[rows]) == stage[walking])
            & (stage_before_row(rows) == stage[walking])
        )
        walking = walking[continues]
        start_rows[walking] -= 1
    walked = start_rows < last_rows
    row_end = as_of[start_rows]
    row_end[walked] = purchase[start_rows[walked] + 1] - 1

    # Smallest recency in the start row at which the current stage holds.
    s_first, s_purchase = first[start_rows], purchase[start_rows]
    s_previous, s_number = previous[start_rows], number[start_rows]
    low = np.zeros(len(last_rows), dtype=np.int32)
    high = row_end - s_purchase
    open_ = np.nonzero(low < high)[0]
    while len(open_):
        middle = (low[open_] + high[open_]) // 2
        holds = (
            _stage_codes(
                s_purchase[open_] + middle,
                s_first[open_],
                s_purchase[open_],
                s_previous[open_],
                s_number[open_],
                t,
            )
            == stage[open_]
        )
        high[open_] = np.where(holds, middle, high[open_])
        low[open_] = np.where(holds, low[open_], middle + 1)
        open_ = open_[low[open_] < high[open_]]
    entered = s_purchase + low
    previous_stage = np.where(
        low > 0,
        _stage_codes(entered - 1, s_first, s_purchase, s_previous, s_number, t),
        stage_before_row(start_rows),
    )

    rhythm, at_risk, dormant = personal_thresholds(
        first[last_rows], purchase[last_rows], number[last_rows], t
    )
    return pa.table(
        {
            "customer_id": purchase_days["customer_id"].take(pa.array(last_rows)),
            "lifecycle_stage": stage_labels(stage),
            "stage_entered_date": _dates(entered),
            "days_in_stage": pa.array(as_of[last_rows] - entered, pa.int64()),
            "previous_stage": stage_labels(previous_stage),
            "purchase_days": pa.array(number[last_rows], pa.int64()),
            "mean_days_between_purchases": _floats(rhythm),
            "at_risk_after_days": _floats(at_risk),
            "dormant_after_days": _floats(dormant),
        }
    )


def _dates(days: np.ndarray, nulls: np.ndarray | None = None) -> pa.Array:
    """Day numbers -> Arrow date32 (null where ``nulls``)."""
    return pa.array(days.astype(np.int32), pa.int32(), mask=nulls).view(pa.date32())


def _floats(values: np.ndarray) -> pa.Array:
    return pa.array(values, pa.float64(), from_pandas=True)  # NaN -> null


# --- monthly history ---------------------------------------------------------------

_MONTHLY_PASSTHROUGH = (
    "customer_id",
    "month_end_date",
    "snapshot_date",
    "is_as_of_month",
    "months_since_first_purchase",
)
_MONTHLY_TRAILING = ("purchase_days", "purchase_days_in_month", "revenue_in_month")


def monthly_stages(
    snapshots: pa.RecordBatch | pa.Table, thresholds: LifecycleThresholds | None = None
) -> pa.RecordBatch | pa.Table:
    """Stage at each month's snapshot and at the previous month end.

    ``snapshots`` are rows of ``int_customer_months_snapshotted``: the state at
    ``snapshot_date`` (``last_purchase_date``, ``previous_purchase_date``,
    ``purchase_days``) and at ``previous_month_end_date`` (the ``prior_*``
    columns; ``prior_purchase_days`` = 0 before the first purchase, a prospect).
    Returns the same kind (record batch or table) as given; the stage columns
    are dictionary-encoded strings.
    """
    t = thresholds or LifecycleThresholds()
    snapshot = to_days(snapshots["snapshot_date"])[0]
    first = to_days(snapshots["first_purchase_date"])[0]
    last = to_days(snapshots["last_purchase_date"])[0]
    n = to_counts(snapshots["purchase_days"])
    stage = _stage_codes(
        snapshot, first, last, to_days(snapshots["previous_purchase_date"])[0], n, t
    )
    stage_before = _stage_codes(
        to_days(snapshots["previous_month_end_date"])[0],
        first,
        to_days(snapshots["prior_last_purchase_date"])[0],
        to_days(snapshots["prior_previous_purchase_date"])[0],
        to_counts(snapshots["prior_purchase_days"]),
        t,
    )
    columns = {name: snapshots[name] for name in _MONTHLY_PASSTHROUGH}
    columns["lifecycle_stage"] = stage_labels(stage, dictionary=True)
    columns["previous_month_stage"] = stage_labels(stage_before, dictionary=True)
    columns["recency_days"] = pa.array(snapshot - last, pa.int32(), mask=n < 1)
    columns.update({name: snapshots[name] for name in _MONTHLY_TRAILING})
    if isinstance(snapshots, pa.Table):
        return pa.table(columns)
    return pa.RecordBatch.from_pydict(columns)


def monthly_stages_reader(
    snapshots: pa.RecordBatchReader, thresholds: LifecycleThresholds | None = None
) -> pa.RecordBatchReader:
    """:func:`monthly_stages` applied batch by batch, as a stream (bounded memory)."""
    t = thresholds or LifecycleThresholds()
    schema = monthly_stages(snapshots.schema.empty_table(), t).schema

    def batches() -> Iterator[pa.RecordBatch]:
        for batch in snapshots:
            if batch.num_rows:
                yield monthly_stages(batch, t)

    return pa.RecordBatchReader.from_batches(schema, batches())


# --- churn warnings ----------------------------------------------------------------


def churn_warnings(
    frequency: pa.Table, thresholds: LifecycleThresholds | None = None
) -> pa.Table:
    """Churn-warning flags, each with a reason text, per customer with a purchase.

    ``frequency`` has ``customer_id``, ``as_of_date``, ``last_purchase_date``,
    ``recent_window_purchase_days`` (purchase days in the last *w* days) and
    ``earlier_window_purchase_days`` (the *w* days before), *w* =
    ``frequency_window_days``.

    - frequency drop: the earlier window has a purchase and
      (earlier - recent) / earlier > ``frequency_drop_threshold``;
    - inactivity: days since the last purchase > ``inactivity_days``.
    """
    t = thresholds or LifecycleThresholds()
    as_of, _ = to_days(frequency["as_of_date"])
    last, _ = to_days(frequency["last_purchase_date"])
    recent = to_counts(frequency["recent_window_purchase_days"])
    earlier = to_counts(frequency["earlier_window_purchase_days"])
    recency = as_of - last

    has_earlier = earlier > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(has_earlier, (recent - earlier) / earlier, np.nan)
        drop = np.where(has_earlier, (earlier - recent) / earlier, np.nan)
    frequency_drop = has_earlier & (drop > t.frequency_drop_threshold)
    inactive = recency > t.inactivity_days

    window = str(t.frequency_window_days)
    drop_reason = _text_if(
        frequency_drop,
        "purchase days down ",
        np.round(np.nan_to_num(drop) * 100).astype(np.int64),
        f" % (threshold {_percent(t.frequency_drop_threshold)} %): ",
        recent,
        f" in the last {window} days vs ",
        earlier,
        f" in the {window} days before",
    )
    inactivity_reason = _text_if(
        inactive,
        "no purchase for ",
        recency,
        f" days (threshold {t.inactivity_days})",
    )
    # Both reasons joined, else the one present (null_handling="skip" is avoided:
    # it returns a wrong length on arrays with nulls in some pyarrow versions).
    reasons = pc.coalesce(
        pc.binary_join_element_wise(drop_reason, inactivity_reason, "; "),
        drop_reason,
        inactivity_reason,
    )
    any_warning = frequency_drop | inactive
    return pa.table(
        {
            "customer_id": frequency["customer_id"],
            "recent_window_purchase_days": pa.array(recent, pa.int64()),
            "earlier_window_purchase_days": pa.array(earlier, pa.int64()),
            "frequency_change_share": _floats(change),
            "has_frequency_drop_warning": pa.array(frequency_drop),
            "frequency_drop_warning_reason": drop_reason,
            "has_inactivity_warning": pa.array(inactive),
            "inactivity_warning_reason": inactivity_reason,
            "has_churn_warning": pa.array(any_warning),
            "churn_warning_reasons": reasons,
        }
    )


def clv_warnings(
    clv: pa.Table, thresholds: LifecycleThresholds | None = None
) -> pa.Table:
    """P(alive) and the low-CLV warning per customer with a purchase.

    ``clv`` has ``customer_id``, ``p_alive`` and ``clv_discounted``. The
    warning is raised when the customer's predicted CLV lies in the bottom
    band: strictly below the ``low_clv_share`` quantile (default 0.20, linear
    interpolation) of the CLV of all customers with a purchase. A share of 0
    switches the warning off.
    """
    t = thresholds or LifecycleThresholds()
    value = clv["clv_discounted"].to_numpy(zero_copy_only=False).astype(np.float64)
    cutoff = (
        float(np.quantile(value, t.low_clv_share))
        if value.size and t.low_clv_share > 0
        else -np.inf
    )
    low = value < cutoff
    reason = _text_if(
        low,
        "predicted CLV ",
        np.char.mod("%.4g", np.nan_to_num(value)),
        f" is in the bottom {_percent(t.low_clv_share)} % of buyers "
        f"(below {cutoff:.4g})",
    )
    return pa.table(
        {
            "customer_id": clv["customer_id"],
            "p_alive": clv["p_alive"],
            "clv_discounted": clv["clv_discounted"],
            "has_low_clv_warning": pa.array(low),
            "low_clv_warning_reason": reason,
        }
    )


def _percent(share: float) -> str:
    return f"{share * 100:g}"


def _text_if(mask: np.ndarray, *parts: str | np.ndarray) -> pa.Array:
    """Concatenate literal and integer-array parts where ``mask``; null elsewhere."""
    strings = [
        pa.scalar(part, pa.string())
        if isinstance(part, str)
        else pc.cast(pa.array(np.asarray(part).tolist()), pa.string())
        if np.asarray(part).dtype.kind == "U"
        else pc.cast(pa.array(part), pa.string())
        for part in parts
    ]
    text = pc.binary_join_element_wise(*strings, "")
    return pc.if_else(pa.array(mask, pa.bool_()), text, pa.scalar(None, pa.string()))


# --- the customer-grain mart ---------------------------------------------------------

CUSTOMER_LIFECYCLE_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "lifecycle_stage",
    "stage_entered_date",
    "days_in_stage",
    "previous_stage",
    "has_churn_warning",
    "churn_warning_reasons",
    "has_frequency_drop_warning",
    "frequency_drop_warning_reason",
    "has_inactivity_warning",
    "inactivity_warning_reason",
    "has_low_clv_warning",
    "low_clv_warning_reason",
    "p_alive",
    "clv_discounted",
    "is_high_value",
    "abc_tier",
    "rfm_segment",
    "value_class",
    "monetary_total",
    "has_purchased",
    "first_purchase_date",
    "last_purchase_date",
    "recency_days",
    "purchase_days",
    "mean_days_between_purchases",
    "at_risk_after_days",
    "dormant_after_days",
    "recent_window_purchase_days",
    "earlier_window_purchase_days",
    "frequency_change_share",
    "signed_up_at",
    "as_of_date",
)


def customer_lifecycle(customers: pa.Table, *per_customer: pa.Table) -> pa.Table:
    """One row per customer: profile columns, current stage and churn warnings.

    ``customers`` (every customer, prospects included) needs ``customer_id``,
    ``as_of_date``, ``signed_up_at`` and ``abc_tier``. Each table of
    ``per_customer`` (at most one row per customer: :func:`current_stages`,
    :func:`churn_warnings`, later e.g. CLV with ``p_alive``) is aligned to it on
    ``customer_id`` by a hash lookup; its columns are null for customers it
    lacks. A customer without a purchase is a ``prospect`` since sign-up
    (entered date null when unknown), with no previous stage and every warning
    false. ``is_high_value`` = ABC tier A.
    """
    table = customers
    for other in per_customer:
        position = pc.index_in(
            customers["customer_id"], value_set=other["customer_id"].combine_chunks()
        )
        aligned = other.drop_columns(["customer_id"]).take(position)
        for name, column in zip(aligned.column_names, aligned.columns, strict=True):
            table = table.append_column(name, column)

    is_prospect = pc.is_null(table["lifecycle_stage"])
    as_of = to_days(table["as_of_date"])[0]
    signed_up, no_signup = to_days(table["signed_up_at"])
    prospect_days = pa.array(as_of - signed_up, pa.int64(), mask=no_signup)
    replacements = {
        "lifecycle_stage": pc.fill_null(table["lifecycle_stage"], STAGES[PROSPECT]),
        "stage_entered_date": pc.if_else(
            is_prospect, _dates(signed_up, no_signup), table["stage_entered_date"]
        ),
        "days_in_stage": pc.if_else(is_prospect, prospect_days, table["days_in_stage"]),
    }
    for name in (
        "purchase_days",
        "recent_window_purchase_days",
        "earlier_window_purchase_days",
    ):
        replacements[name] = pc.fill_null(table[name], 0)
    for name in (
        "has_frequency_drop_warning",
        "has_inactivity_warning",
        "has_low_clv_warning",
        "has_churn_warning",
    ):
        if name in table.column_names:
            replacements[name] = pc.fill_null(table[name], False)
    if "has_low_clv_warning" in table.column_names:
        low = replacements["has_low_clv_warning"]
        replacements["has_churn_warning"] = pc.or_(
            replacements["has_churn_warning"], low
        )
        replacements["churn_warning_reasons"] = pc.coalesce(
            pc.binary_join_element_wise(
                table["churn_warning_reasons"], table["low_clv_warning_reason"], "; "
            ),
            table["churn_warning_reasons"],
            table["low_clv_warning_reason"],
        )
    for name, column in replacements.items():
        table = table.set_column(table.schema.get_field_index(name), name, column)
    is_high_value = pc.fill_null(pc.equal(table["abc_tier"], "A"), False)
    table = table.append_column("is_high_value", is_high_value)
    order = [name for name in CUSTOMER_LIFECYCLE_COLUMNS if name in table.column_names]
    return table.select(order + [n for n in table.column_names if n not in order])

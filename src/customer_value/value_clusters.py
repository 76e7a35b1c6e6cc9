"""LRFMC value clusters: K-means on length, recency, frequency, monetary value
and discount share, named with the customer-value vocabulary.

Per customer with a purchase (as of as_of_date):

- **L** length of the relationship: days from the first purchase to as_of_date;
- **R** recency: days since the last purchase;
- **F** frequency: purchases;
- **M** monetary: total spend (reporting currency);
- **C** average discount share of the purchases, discount / (amount +
  discount); left out when the orders carry no discount column (every value
  null). Customers without discount data count as 0.

Each feature is ``log1p``-transformed (all are skewed counts or amounts) and
standardised to mean 0, standard deviation 1. K-means runs with a fixed
random_state on rows sorted by customer id; above :data:`MINIBATCH_ABOVE`
customers it is ``MiniBatchKMeans`` started from K-means centres of a fixed
subset (see :func:`fit_kmeans`). Unless fixed by
the variable ``value_clusters_k``, k maximises the silhouette over
:data:`K_RANGE`, each k fitted on at most :data:`SELECTION_ROWS` customers and
scored on :data:`SILHOUETTE_ROWS` of them; the fit of the chosen k starts the
MiniBatchKMeans.

Clusters are numbered by decreasing centroid spend and named by the position
of their centroid against the overall means (0 in standardised units), see
:func:`cluster_name`; :func:`cluster_labels` makes the names unique for BI.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics.pairwise import euclidean_distances
from threadpoolctl import threadpool_limits

from customer_value.frames import as_dates

RANDOM_STATE = 0
K_RANGE = range(3, 9)
#: Customers (evenly spaced by id) each candidate k is fitted on, and the
#: K-means start of the MiniBatchKMeans above MINIBATCH_ABOVE customers.
SELECTION_ROWS = 20_000
SILHOUETTE_ROWS = 5_000
SILHOUETTE_BLOCK_ROWS = 512
MINIBATCH_ABOVE = 50_000
#: A centroid whose mean of the F and M positions is below -VALUE_BAND is low
#: in value; at or above +VALUE_BAND high; in between (near the means) middling.
VALUE_BAND = 0.25
#: LRFMC letter -> input column.
LRFMC: dict[str, str] = {
    "L": "length_days",
    "R": "recency_days",
    "F": "frequency_orders",
    "M": "monetary_total",
    "C": "discount_share_avg",
}
NAMES: tuple[str, ...] = (
    "important retention",
    "important development",
    "important win-back",
    "general",
    "low value",
)


@dataclass(frozen=True)
class ClusterSettings:
    """The project variables of the value clusters (see dbt_project.yml)."""

    k: int | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, object] | None) -> ClusterSettings:
        raw = (config or {}).get("value_clusters_k")
        if raw is None or str(raw).strip().lower() in ("", "none", "null"):
            return cls()
        k = float(raw)
        if k != int(k) or not 2 <= k <= 20:
            raise ValueError(
                f"value_clusters_k must be a whole number in 2..20, got {raw!r}"
            )
        return cls(k=int(k))


@dataclass(frozen=True)
class Standardiser:
    """log1p, then (value - mean) / std per feature (std 1 when constant)."""

    columns: tuple[str, ...]
    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, frame: pd.DataFrame, columns: tuple[str, ...]) -> Standardiser:
        logged = np.log1p(frame[list(columns)].to_numpy(np.float64))
        if not len(logged):  # nobody to standardise: the identity
            return cls(columns, np.zeros(len(columns)), np.ones(len(columns)))
        std = logged.std(axis=0)
        return cls(columns, logged.mean(axis=0), np.where(std > 0, std, 1.0))

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        logged = np.log1p(frame[list(self.columns)].to_numpy(np.float64))
        return (logged - self.mean) / self.std

    def inverse(self, z: np.ndarray) -> np.ndarray:
        """Standardised points back to original units."""
        return np.expm1(z * self.std + self.mean)


def lrfmc_inputs(customers: pd.DataFrame) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Customers sorted by id with finite, non-negative LRFMC inputs, and the
    columns used (C dropped when no customer has discount data)."""
    frame = customers.sort_values("customer_id", kind="stable").reset_index(drop=True)
    columns = [LRFMC[letter] for letter in "LRFM"]
    discount = LRFMC["C"]
    if discount in frame.columns and frame[discount].notna().any():
        frame[discount] = pd.to_numeric(frame[discount]).fillna(0.0)
        columns.append(discount)
    for column in columns:
        frame[column] = pd.to_numeric(frame[column]).astype(np.float64).clip(lower=0)
    return frame, tuple(columns)


def _selection_rows(n: int, limit: int) -> np.ndarray:
    """Evenly spaced row positions (rows are sorted by id): a fixed subset."""
    if n <= limit:
        return np.arange(n)
    return np.linspace(0, n - 1, limit).round().astype(np.int64)


def silhouettes_of(rows: np.ndarray, labelings: list[np.ndarray]) -> list[float]:
    """The mean silhouette of each labelling of ``rows`` (Euclidean; what
    scikit-learn's ``silhouette_score`` gives, to rounding): for each row, a =
    mean distance to the other members of its cluster, b = the lowest mean
    distance to another cluster, s = (b - a) / max(a, b), 0 in a cluster of
    one. Each labelling needs 2 .. n - 1 distinct labels. The distances are
    computed once for all labellings, :data:`SILHOUETTE_BLOCK_ROWS` rows at a
    time (a few megabytes, where the whole matrix of 5,000 rows takes 200)."""
    if not labelings:
        return []
    rows = np.asarray(rows, dtype=np.float64)
    n = len(rows)
    position = np.arange(n)
    codes = [np.unique(labels, return_inverse=True)[1] for labels in labelings]
    members = []
    for coded in codes:
        one_hot = np.zeros((n, coded.max() + 1))
        one_hot[position, coded] = 1.0
        members.append(one_hot)
    # row -> total distance to the members of each cluster, per labelling
    sums = [np.empty((n, one_hot.shape[1])) for one_hot in members]
    squared = np.einsum("ij,ij->i", rows, rows)[None, :]
    for start in range(0, n, SILHOUETTE_BLOCK_ROWS):
        block = euclidean_distances(
            rows[start : start + SILHOUETTE_BLOCK_ROWS], rows, Y_norm_squared=squared
        )
        # a row's distance to itself is 0, not the rounding error of the
        # expansion |x|^2 - 2 x.y + |y|^2
        block[np.arange(len(block)), start + np.arange(len(block))] = 0.0
        for total, one_hot in zip(sums, members, strict=True):
            total[start : start + len(block)] = block @ one_hot
    out = []
    for coded, one_hot, total in zip(codes, members, sums, strict=True):
        sizes = one_hot.sum(axis=0)
        own_size = sizes[coded]
        a = total[position, coded] / np.maximum(own_size - 1.0, 1.0)
        means = total / sizes
        means[position, coded] = np.inf
        b = means.min(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            s = (b - a) / np.maximum(a, b)
        s[own_size == 1] = 0.0
        out.append(float(np.mean(np.nan_to_num(s))))
    return out


def _kmeans(rows: np.ndarray, k: int) -> KMeans:
    return KMeans(n_clusters=k, n_init=4, random_state=RANDOM_STATE).fit(rows)


def _choose_k(z: np.ndarray) -> tuple[int, dict[int, float], KMeans | None]:
    """:func:`choose_k`, also returning the K-means fitted for the chosen k on
    the selection rows."""
    rows = z[_selection_rows(len(z), SELECTION_ROWS)]
    scored = rows[_selection_rows(len(rows), SILHOUETTE_ROWS)]
    fits, labelings = {}, {}
    for k in K_RANGE:
        if k >= len(rows):
            break
        fits[k] = _kmeans(rows, k)
        labels = fits[k].predict(scored)
        if len(np.unique(labels)) >= 2:
            labelings[k] = labels
    silhouettes = dict(
        zip(labelings, silhouettes_of(scored, list(labelings.values())), strict=True)
    )
    if not silhouettes:  # too few distinct customers for 3 clusters
        return 1, silhouettes, None
    best = max(silhouettes.values())
    chosen = min(k for k, s in silhouettes.items() if s >= best - 1e-12)
    return chosen, silhouettes, fits[chosen]


def choose_k(z: np.ndarray) -> tuple[int, dict[int, float]]:
    """k in :data:`K_RANGE` with the highest silhouette (ties: the smaller k),
    and the silhouette of every k tried: each k is fitted (K-means, 4 starts)
    on at most :data:`SELECTION_ROWS` evenly spaced customers and scored on
    :data:`SILHOUETTE_ROWS` of those."""
    k, silhouettes, _ = _choose_k(z)
    return k, silhouettes


def fit_kmeans(
    z: np.ndarray, k: int, start: KMeans | None = None
) -> KMeans | MiniBatchKMeans:
    """K-means with k clusters. Above :data:`MINIBATCH_ABOVE` customers:
    K-means (4 starts) on :data:`SELECTION_ROWS` evenly spaced customers
    (``start``, when :func:`choose_k` already fitted it) gives the starting
    centres of a ``MiniBatchKMeans`` over all of them."""
    if len(z) > MINIBATCH_ABOVE:
        if start is None:
            start = _kmeans(z[_selection_rows(len(z), SELECTION_ROWS)], k)
        return MiniBatchKMeans(
            n_clusters=k,
            init=start.cluster_centers_,
            n_init=1,
            batch_size=8_192,
            random_state=RANDOM_STATE,
        ).fit(z)
    return KMeans(n_clusters=k, n_init=10, random_state=RANDOM_STATE).fit(z)


def cluster_name(position: Mapping[str, float]) -> str:
    """Name of a cluster from its centroid's standardised position (0 = the
    overall mean) on R, F, M and L.

    value = (F + M) / 2; *recent* when R < 0 (fewer days since the last
    purchase than average):

    - value >= +VALUE_BAND: **important retention** when recent, else
      **important win-back** (valuable customers drifting away);
    - value < +VALUE_BAND and recent: **important development** (active, not
      yet valuable);
    - not recent and value > -VALUE_BAND: **general**;
    - not recent and value <= -VALUE_BAND: **low value**.
    """
    value = (position["F"] + position["M"]) / 2
    recent = position["R"] < 0
    if value >= VALUE_BAND:
        return NAMES[0] if recent else NAMES[2]
    if recent:
        return NAMES[1]
    return NAMES[3] if value > -VALUE_BAND else NAMES[4]


def cluster_labels(names: list[str] | np.ndarray) -> list[str]:
    """Unique display labels of clusters 1..k (``names`` in cluster-id order):
    the name itself when no other cluster shares it; otherwise the name with
    the cluster's rank among those sharing it, by cluster id (so by decreasing
    centroid spend), e.g. ``low value (1)`` and ``low value (2)``."""
    names = [str(name) for name in names]
    counts = {name: names.count(name) for name in names}
    seen: dict[str, int] = {}
    labels = []
    for name in names:
        if counts[name] == 1:
            labels.append(name)
            continue
        seen[name] = seen.get(name, 0) + 1
        labels.append(f"{name} ({seen[name]})")
    return labels


CUSTOMER_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "as_of_date",
    "cluster_id",
    "cluster_name",
    "cluster_label",
    *LRFMC.values(),
    "distance_to_centroid",
)


def _member_means(z: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Mean standardised position of each cluster's customers (labels 1..k)."""
    sizes = np.bincount(labels, minlength=k + 1)[1:]
    sums = np.stack(
        [
            np.bincount(labels, weights=z[:, i], minlength=k + 1)[1:]
            for i in range(z.shape[1])
        ],
        axis=1,
    )
    return sums / np.maximum(sizes, 1)[:, None]


def _single_threaded(function):
    """Run with one BLAS / OpenMP thread, all of it (K-means' predict and the
    silhouette included): dbt runs models side by side on the cores, and idle
    worker threads spinning for work slow the model beside this one, and this
    one, many times over (see ``customer_value.churn.single_threaded``)."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with threadpool_limits(limits=1):
            return function(*args, **kwargs)

    return wrapper


@_single_threaded
def assign_clusters(customers: pd.DataFrame, settings: ClusterSettings) -> pd.DataFrame:
    """One row per customer: LRFMC inputs, cluster id (1 = highest centroid
    spend), cluster name, unique cluster label (:func:`cluster_labels`) and
    distance to the cluster's centre (standardised units). ``customers`` has
    ``customer_id``, ``as_of_date`` and the LRFMC columns (:data:`LRFMC`). A
    cluster's centre is the mean standardised position of its customers; its
    name follows :func:`cluster_name`."""
    if customers.empty:  # nobody has purchased: nothing to cluster
        empty = customers.reindex(columns=list(CUSTOMER_COLUMNS))
        empty["as_of_date"] = as_dates(empty["as_of_date"])
        return empty
    frame, columns = lrfmc_inputs(customers)
    z = Standardiser.fit(frame, columns).transform(frame)
    start = None
    if settings.k is None:
        k, _, start = _choose_k(z)
    else:
        k = settings.k
    # never more clusters than distinct customers (a tiny shop gets fewer)
    distinct = len(np.unique(z[_selection_rows(len(z), SELECTION_ROWS)], axis=0))
    if distinct < k:
        k, start = max(1, distinct), None
    model = fit_kmeans(z, k, start)
    raw = model.predict(z)
    m = list(columns).index(LRFMC["M"])
    # number clusters by decreasing centroid spend (ties: the model's label)
    order = np.lexsort((np.arange(k), -model.cluster_centers_[:, m]))
    number = np.empty(k, dtype=np.int64)
    number[order] = np.arange(1, k + 1)
    labels = number[raw]
    centres = _member_means(z, labels, k)
    letters = [letter for letter, column in LRFMC.items() if column in columns]
    names = np.asarray(
        [cluster_name(dict(zip(letters, c, strict=True))) for c in centres],
        dtype=object,
    )
    out = frame[["customer_id", "as_of_date", *columns]].copy()
    out["as_of_date"] = as_dates(out["as_of_date"])
    if LRFMC["C"] not in columns:
        out[LRFMC["C"]] = np.nan
    out["cluster_id"] = labels
    out["cluster_name"] = names[labels - 1]
    out["cluster_label"] = np.asarray(cluster_labels(names), dtype=object)[labels - 1]
    out["distance_to_centroid"] = np.linalg.norm(z - centres[labels - 1], axis=1)
    return out[list(CUSTOMER_COLUMNS)]


def k_selected_by(k: int, settings: ClusterSettings) -> str:
    """How k came about: ``variable`` (value_clusters_k), ``silhouette`` (the
    best k in :data:`K_RANGE`) or ``too_few_customers`` (fewer distinct
    customers than the clusters asked for or than the smallest k tried)."""
    if settings.k is not None and k == settings.k:
        return "variable"
    if settings.k is None and k in K_RANGE:
        return "silhouette"
    return "too_few_customers"


@_single_threaded
def cluster_profiles(assigned: pd.DataFrame, settings: ClusterSettings) -> pd.DataFrame:
    """One row per cluster of :func:`assign_clusters`' output: size and share of
    customers and revenue, the centre in original units (the standardised
    centre transformed back: ``expm1(z * std + mean)``, a typical member) and
    in standardised units (for profile charts), the members' arithmetic means,
    and how k was chosen with the silhouette of the clustering (on the same
    fixed subset of at most :data:`SILHOUETTE_ROWS` customers)."""
    frame, columns = lrfmc_inputs(assigned)
    standardiser = Standardiser.fit(frame, columns)
    z = standardiser.transform(frame)
    labels = frame["cluster_id"].to_numpy(np.int64)
    k = int(labels.max()) if len(labels) else 0
    centres = _member_means(z, labels, k)
    original = standardiser.inverse(centres)
    sizes = np.bincount(labels, minlength=k + 1)[1:]
    spend = frame[LRFMC["M"]].to_numpy(np.float64)
    revenue = np.bincount(labels, weights=spend, minlength=k + 1)[1:]
    named = frame.drop_duplicates("cluster_id").set_index("cluster_id")
    ids = np.arange(1, k + 1)
    out = pd.DataFrame(
        {
            "cluster_id": ids,
            "cluster_name": named["cluster_name"].reindex(ids).to_numpy(),
            "cluster_label": named["cluster_label"].reindex(ids).to_numpy(),
            "customers": sizes,
            "customer_share": sizes / max(sizes.sum(), 1),
            "revenue": revenue,
            "revenue_share": revenue / revenue.sum() if revenue.sum() > 0 else 0.0,
        }
    )
    for column in LRFMC.values():
        if column in columns:
            i = list(columns).index(column)
            out[f"centroid_{column}"] = original[:, i]
            out[f"centroid_z_{column}"] = centres[:, i]
            values = frame[column].to_numpy(np.float64)
            out[f"mean_{column}"] = np.bincount(
                labels, weights=values, minlength=k + 1
            )[1:] / np.maximum(sizes, 1)
        else:
            for prefix in ("centroid_", "centroid_z_", "mean_"):
                out[f"{prefix}{column}"] = np.nan
    rows = _selection_rows(len(z), SILHOUETTE_ROWS)
    # the silhouette needs 2 .. n - 1 distinct labels
    scored = 1 < len(np.unique(labels[rows])) < len(rows)
    out["k"] = k
    out["k_selected_by"] = k_selected_by(k, settings)
    out["silhouette"] = silhouettes_of(z[rows], [labels[rows]])[0] if scored else np.nan
    out["as_of_date"] = as_dates(
        [frame["as_of_date"].iloc[0] if len(frame) else None] * len(out)
    )
    return out

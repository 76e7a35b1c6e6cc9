"""Churn risk: on a simulated shop whose customers' lifetimes depend on their
acquisition channel, the supervised model beats the BTYD baseline (which
ignores the channel) on the time-based backtest; moving orders after the
validation cut-off leaves every backtest score unchanged; and the pure pieces
(sampling, metrics, selection, bands, reasons) do what they say."""

from __future__ import annotations

import datetime as dt
import hashlib

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from dbt_helpers import run_dbt
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    log_loss,
    roc_auc_score,
)

from customer_value import churn, lifecycle
from customer_value.clv.simulate import simulate_bgnbd

AS_OF = dt.date(2024, 12, 31)
START = dt.date(2022, 1, 1)
HORIZON = 90
# channel: (share of customers, mean lifetime in days)
CHANNELS = {
    "referral": (0.35, 1_500.0),
    "search": (0.35, 300.0),
    "social": (0.30, 45.0),
}
BUILD = [
    "build",
    "--select",
    "+fct_churn_model_metrics",
    "--exclude",
    "resource_type:test",
    "resource_type:unit_test",
]


def simulate_shop(n_customers: int = 2_000, seed: int = 7):
    """Orders and customers of a shop where each customer buys as a Poisson
    process (rate ~ Gamma, mean one purchase per 40 days) from acquisition
    until an exponential lifetime ends, whose mean depends only on the
    acquisition channel: 1,500 days (referral), 300 (search), 45 (social)."""
    rng = np.random.default_rng(seed)
    span = (AS_OF - START).days
    names = list(CHANNELS)
    channel = rng.choice(
        len(names), size=n_customers, p=[v[0] for v in CHANNELS.values()]
    )
    lifetime = rng.exponential([CHANNELS[names[c]][1] for c in channel])
    acquired = rng.uniform(0, span - 1, size=n_customers)
    rate = rng.gamma(2.0, 1 / 80.0, size=n_customers)
    rows = []
    for i in range(n_customers):
        end = min(acquired[i] + lifetime[i], span)
        n_repeat = rng.poisson(rate[i] * (end - acquired[i]))
        times = np.concatenate(([acquired[i]], rng.uniform(acquired[i], end, n_repeat)))
        for t in times:
            rows.append((i, START + dt.timedelta(days=float(t))))
    orders = pd.DataFrame(rows, columns=["customer", "ordered_at"])
    orders = orders.sort_values(["ordered_at", "customer"], kind="stable")
    orders["order_id"] = [f"o{i:07d}" for i in range(len(orders))]
    orders["customer_id"] = [f"c{c:05d}" for c in orders["customer"]]
    orders["ordered_at"] = pd.to_datetime(orders["ordered_at"]).dt.strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    orders["amount"] = np.round(rng.gamma(2.0, 30.0, len(orders)), 2)
    orders["currency"] = "USD"
    orders["status"] = "completed"
    customers = pd.DataFrame(
        {
            "customer_id": [f"c{i:05d}" for i in range(n_customers)],
            "created_at": [
                (START + dt.timedelta(days=float(a))).isoformat() for a in acquired
            ],
            "country": rng.choice(["US", "DE", "FR"], n_customers),
            "acquisition_channel": [names[c] for c in channel],
        }
    )
    columns = ["order_id", "customer_id", "ordered_at", "amount", "currency", "status"]
    return orders[columns], customers


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> dict:
    """The simulated shop built by dbt up to the churn metrics."""
    base = tmp_path_factory.mktemp("churn")
    orders, customers = simulate_shop()
    orders.to_csv(base / "orders.csv", index=False)
    customers.to_csv(base / "customers.csv", index=False)
    variables = {
        "orders_path": str(base / "orders.csv"),
        "customers_path": str(base / "customers.csv"),
        "as_of_date": AS_OF.isoformat(),
    }
    result = run_dbt(BUILD, base / "warehouse", variables)
    assert result.ok, result.output
    compiled = base / "warehouse" / "target" / "compiled" / "customer_value" / "models"
    churn_sql = compiled / "intermediate" / "churn"
    return {
        "database": result.database,
        "variables": variables,
        "buckets_sql": (churn_sql / "int_purchase_days_bucketed.sql").read_text(),
        "totals_sql": (churn_sql / "int_customers_cut_offs_totalled.sql").read_text(),
        "snapshot_sql": (
            churn_sql / "int_customer_snapshots_featurized.sql"
        ).read_text(),
        "tuples_sql": (churn_sql / "int_churn_snapshot_tuples_counted.sql").read_text(),
    }


def _read(database, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.sql(sql).df()


def test_supervised_model_beats_btyd_when_dropout_depends_on_channel(shop):
    metrics = _read(shop["database"], "select * from fct_churn_model_metrics")
    by_model = metrics.set_index("model")
    selected = by_model[by_model["is_selected"]]
    assert len(selected) == 1 and selected.index[0] in churn.CANDIDATES
    baseline = by_model.loc[churn.BASELINE]
    for name in churn.CANDIDATES:
        model = by_model.loc[name]
        assert model["roc_auc"] > baseline["roc_auc"] + 0.004, metrics
        assert model["log_loss"] < baseline["log_loss"] - 0.01, metrics
        assert model["brier_score"] < baseline["brier_score"], metrics
    assert selected["n_customers"].iloc[0] == baseline["n_customers"] > 500


def _backtest_from(database, shop_sql: dict, settings: churn.ChurnSettings):
    """fct_churn_backtest recomputed from the compiled SQL of the horizon buckets,
    the cut-off totals, the snapshots and the BTYD tuples, reading the tables
    ``purchase_days`` and ``customers`` of ``database`` (the backtest uses the
    BG/NBD fits at the validation and training cut-offs)."""
    relation = '"warehouse"."main".'
    sources = {
        "int_purchase_days_sequenced": "purchase_days",
        "stg_shop__customers": "customers",
        "int_purchase_days_bucketed": "buckets",
        "int_customers_cut_offs_totalled": "totals",
    }

    def local(sql: str) -> str:
        for model, table in sources.items():
            sql = sql.replace(f'{relation}"{model}"', table)
        assert relation not in sql
        return sql

    with duckdb.connect(str(database), read_only=True) as con:
        con.sql(f"create temp table buckets as {local(shop_sql['buckets_sql'])}")
        con.sql(f"create temp table totals as {local(shop_sql['totals_sql'])}")
        con.sql(f"create temp table snapshots as {local(shop_sql['snapshot_sql'])}")
        tuples = con.sql(
            f"select * from ({local(shop_sql['tuples_sql'])}) where cut_off_index >= 1"
        ).df()
        params = churn.btyd_params_frame(tuples)
        training = con.sql(
            "select * from snapshots where "
            + churn.training_filter(params, settings, refit=False)
        ).df()
        validation = con.sql(
            f"select * from snapshots where {churn.VALIDATION_FILTER}"
        ).df()
    return churn.backtest_frame(training, validation, params, settings)


def test_backtest_scores_do_not_change_when_future_orders_move(shop, tmp_path):
    """Purchase days after the validation cut-off are moved, dropped and added
    (new purchases for customers who had none), and the backtest is recomputed
    from the compiled snapshot SQL with the package: the candidates' and the
    baseline's probabilities are exactly those of the mart built on the
    original orders, while the observed outcomes change."""
    database = shop["database"]
    settings = churn.ChurnSettings()
    original = _read(database, "select * from fct_churn_backtest order by customer_id")

    cut_off = AS_OF - dt.timedelta(days=HORIZON)
    shifted = tmp_path / "shifted.duckdb"
    with duckdb.connect(str(shifted)) as con:
        con.sql(f"attach '{database}' as source (read_only)")
        con.sql(
            f"""
            create table purchase_days as
            with days as (
                select customer_id, purchase_date, orders, revenue, as_of_date
                from source.main.int_purchase_days_sequenced
            ),
            moved as (
                -- later purchases: a third dropped, the rest moved
                select
                    customer_id,
                    least(
                        purchase_date + cast(hash(customer_id) % 40 as integer),
                        as_of_date
                    ) as purchase_date,
                    orders,
                    revenue * 3 as revenue,
                    as_of_date
                from days
                where purchase_date > date '{cut_off}' and hash(customer_id) % 3 != 0
            ),
            added as (
                -- a new later purchase for customers without one
                select customer_id, max(as_of_date) - 5 as purchase_date, 1 as orders,
                    25.0 as revenue, max(as_of_date) as as_of_date
                from days
                group by customer_id
                having max(purchase_date) <= date '{cut_off}'
            ),
            all_days as (
                select * from days where purchase_date <= date '{cut_off}'
                union all select * from moved
                union all select * from added
            ),
            merged as (
                select customer_id, purchase_date, sum(orders) as orders,
                    sum(revenue) as revenue, max(as_of_date) as as_of_date
                from all_days group by customer_id, purchase_date
            )
            select
                *,
                min(purchase_date) over (partition by customer_id)
                    as first_purchase_date,
                lag(purchase_date) over (
                    partition by customer_id order by purchase_date
                ) as previous_purchase_date
            from merged
            """
        )
        con.sql(
            "create table customers as select * from source.main.stg_shop__customers"
        )
    after = _backtest_from(shifted, shop, settings)
    after = after.sort_values("customer_id").reset_index(drop=True)

    assert list(after["customer_id"]) == list(original["customer_id"])
    for column in (
        "btyd_churn_probability",
        *(churn.probability_column(name) for name in churn.CANDIDATES),
        "lifecycle_stage",
        "recency_days",
    ):
        pd.testing.assert_series_equal(
            after[column], original[column], check_dtype=False
        )
    assert (after["churned"] != original["churned"]).mean() > 0.2


def test_feature_frame_is_finite_and_uses_the_lifecycle_rules(shop):
    snapshots = _read(
        shop["database"],
        "select * from int_customer_snapshots_featurized where cut_off_index = 0",
    )
    params = _read(shop["database"], "select * from fct_churn_btyd_params")
    fits = churn.btyd_fits_from_params(params)
    snapshots, features = churn.prepare(snapshots, fits, churn.ChurnSettings())
    numeric, categorical = churn.model_columns(features)
    assert np.isfinite(features[numeric].to_numpy()).all()
    assert set(categorical) == set(churn.CATEGORICAL_FEATURES)
    expected = lifecycle.assign_stages(
        {
            "snapshot_date": snapshots["cut_off_date"],
            "first_purchase_date": snapshots["first_purchase_date"],
            "last_purchase_date": snapshots["last_purchase_date"],
            "previous_purchase_date": snapshots["previous_purchase_date"],
            "purchase_days": snapshots["purchase_days"].to_numpy(),
        }
    )
    assert list(features["lifecycle_stage"]) == [
        lifecycle.STAGES[code] for code in expected.stage
    ]


def test_reasons_reproduce_the_logistic_model(shop):
    """For the logistic regression the linear reasons are the model: the pushes
    of a customer add up to their log-odds minus the typical customer's."""
    database = shop["database"]
    params = _read(database, "select * from fct_churn_btyd_params")
    settings = churn.ChurnSettings(max_training_rows=4_000)
    training = _read(
        database,
        "select * from int_customer_snapshots_featurized where "
        + churn.training_filter(params, settings, refit=True),
    )
    fits = churn.btyd_fits_from_params(params)
    models, rows, features = churn.fit_models(
        training, fits, settings, names=[churn.LOGISTIC]
    )
    model = models[churn.LOGISTIC]
    reasons = churn.fit_reason_model(model, features, rows["customer_id"])
    assert reasons.r2 > 0.99
    pushes = reasons.contributions(features).sum(axis=1).to_numpy()
    log_odds = np.clip(
        churn._logit(model.predict_proba(features)),
        -churn.REASON_LOGIT_BOUND,
        churn.REASON_LOGIT_BOUND,
    )
    inside = np.abs(log_odds) < churn.REASON_LOGIT_BOUND
    offset = np.median(log_odds[inside] - pushes[inside])
    assert np.abs(log_odds[inside] - pushes[inside] - offset).mean() < 0.05


def test_too_little_history_falls_back_to_the_btyd_baseline(shop):
    database = shop["database"]
    params = _read(database, "select * from fct_churn_btyd_params")
    snapshots = _read(
        database, "select * from int_customer_snapshots_featurized order by sample_hash"
    )
    training = snapshots[snapshots["cut_off_index"] >= 2].head(150)
    validation = snapshots[snapshots["cut_off_index"] == 1]
    settings = churn.ChurnSettings()
    backtest = churn.backtest_frame(training, validation, params, settings)
    assert set(backtest["selected_model"]) == {churn.BASELINE}
    assert backtest["churn_probability"].equals(backtest["btyd_churn_probability"])
    metrics = churn.model_metrics_frame(backtest, training_rows=len(training))
    assert list(metrics["model"]) == [churn.BASELINE]
    assert metrics["is_selected"].all()
    scoring = snapshots[snapshots["cut_off_index"] == 0]
    risk = churn.churn_risk_frame(training, scoring, params, settings, churn.BASELINE)
    assert set(risk["model"]) == {churn.BASELINE}
    assert risk["top_reason"].isna().all()


def test_training_and_validation_cut_offs_keep_hash_samples_sized_by_the_variables(
    shop, tmp_path
):
    """With churn_max_training_rows = 1,200 (a quota of 200 per training
    cut-off) and churn_backtest_max_customers = 1,000 the snapshots keep every
    customer at k = 0 and, at the validation cut-off (quota 1,000) and each
    training cut-off with more customers than its quota, exactly the customers
    whose MD5 of "customer id|k" falls below the models' threshold (the rows
    the models would draw from all snapshots, the refit's rows at k = 1
    included); the BTYD tuples still count every customer."""
    variables = {
        **shop["variables"],
        "churn_max_training_rows": 1_200,
        "churn_backtest_max_customers": 1_000,
    }
    result = run_dbt(
        [
            "build",
            "--select",
            "+int_customer_snapshots_featurized",
            "+int_churn_snapshot_tuples_counted",
            "--exclude",
            "resource_type:test",
            "resource_type:unit_test",
        ],
        tmp_path / "warehouse",
        variables,
    )
    assert result.ok, result.output
    totals = _read(result.database, "select * from int_customers_cut_offs_totalled")
    snapshots = _read(
        result.database,
        "select customer_id, cut_off_index, sample_hash "
        "from int_customer_snapshots_featurized",
    )
    tuples = _read(result.database, "select * from int_churn_snapshot_tuples_counted")
    settings = churn.ChurnSettings(max_training_rows=1_200)
    quotas = {1: 1_000} | {
        k: 1_200 / settings.training_snapshots
        for k in churn.training_cut_offs(settings, refit=False)
    }
    sampled = 0
    hashed_at: dict[int, pd.DataFrame] = {}
    for k in range(settings.training_snapshots + 2):
        everyone = totals.loc[totals[f"purchase_days_{k}"] > 0, "customer_id"]
        at_k = snapshots[snapshots["cut_off_index"] == k]
        assert tuples.loc[tuples["cut_off_index"] == k, "n_customers"].sum() == len(
            everyone
        )
        hashes = everyone.map(
            lambda c, k=k: hashlib.md5(f"{c}|{k}".encode()).hexdigest()[:8]
        )
        hashed_at[k] = pd.DataFrame(
            {"customer_id": everyone, "cut_off_index": k, "sample_hash": hashes}
        )
        expected_hash = dict(zip(everyone, hashes, strict=True))
        assert [expected_hash[c] for c in at_k["customer_id"]] == list(
            at_k["sample_hash"]
        )
        kept = set(at_k["customer_id"])
        quota = quotas.get(k, np.inf)
        if len(everyone) <= quota:
            assert k != 1, "the validation cut-off should have more customers"
            assert kept == set(everyone)
            continue
        sampled += 1
        threshold = int(quota / len(everyone) * 16**8)
        assert set(everyone[hashes < f"{threshold:08x}"]) <= kept
        assert kept <= set(everyone[hashes <= f"{threshold + 1:08x}"])
        assert abs(len(kept) - quota) < 4 * np.sqrt(quota)
    assert sampled >= 4
    training = snapshots[snapshots["cut_off_index"] >= 2]
    assert len(training) < 1.1 * 1_200
    # the refit that scores as_of_date reads the rows it would read from every
    # validation row
    params = tuples.groupby("cut_off_index", as_index=False)["n_customers"].sum()
    refit = churn.training_filter(params, settings, refit=True)
    wanted = duckdb.from_df(hashed_at[1]).filter(refit).project("customer_id").df()
    assert 0 < len(wanted) < len(snapshots[snapshots["cut_off_index"] == 1])
    assert set(wanted["customer_id"]) <= set(
        snapshots.loc[snapshots["cut_off_index"] == 1, "customer_id"]
    )


def test_sample_filter_draws_an_equal_quota_from_each_cut_off():
    rng = np.random.default_rng(1)
    rows = pd.DataFrame(
        {
            "cut_off_index": np.repeat([2, 3, 4], [40_000, 20_000, 1_000]),
            "sample_hash": [f"{v:08x}" for v in rng.integers(0, 16**8, 61_000)],
        }
    )
    counts = rows["cut_off_index"].value_counts().to_dict()
    predicate = churn.sample_filter(counts, 9_000, [2, 3, 4])
    chosen = duckdb.sql(f"select * from rows where {predicate}").df()
    per_cut_off = chosen["cut_off_index"].value_counts()
    assert per_cut_off[4] == 1_000  # fewer rows than the quota: all of them
    for k in (2, 3):
        assert abs(per_cut_off[k] - 3_000) < 200
    assert churn.training_cut_offs(churn.ChurnSettings(), refit=False) == list(
        range(2, 8)
    )
    assert churn.training_cut_offs(churn.ChurnSettings(), refit=True)[0] == 1


def test_importance_reads_a_hash_prefix_holding_the_same_first_rows():
    rng = np.random.default_rng(2)
    n = 200_000
    rows = pd.DataFrame(
        {
            "snapshot_role": "validation",
            "customer_id": [f"c{i:06d}" for i in range(n)],
            "sample_hash": [f"{v:08x}" for v in rng.integers(0, 16**8, n)],
        }
    )
    params = pd.DataFrame({"cut_off_index": [1], "n_customers": [n]})
    predicate = churn.importance_filter(params)
    assert "sample_hash" in predicate
    prefix = duckdb.sql(f"select * from rows where {predicate}").df()
    assert churn.IMPORTANCE_MAX_ROWS < len(prefix) < 3 * churn.IMPORTANCE_MAX_ROWS
    pd.testing.assert_frame_equal(
        churn.importance_rows(prefix).reset_index(drop=True),
        churn.importance_rows(rows).reset_index(drop=True),
    )
    few = pd.DataFrame({"cut_off_index": [1], "n_customers": [15_000]})
    assert churn.importance_filter(few) == churn.VALIDATION_FILTER


def test_btyd_fits_do_not_depend_on_the_row_order_of_the_tuples():
    """The thinned fits (more customers than BTYD_MAX_FIT_CUSTOMERS) read the
    tuples in key order: shuffled pandas rows and Arrow rows sorted by the
    warehouse give the same parameters."""
    rng = np.random.default_rng(5)
    n = churn.BTYD_MAX_FIT_CUSTOMERS + 15_000
    frames = []
    for k in (1, 2):
        simulated = simulate_bgnbd(
            {"r": 0.25, "alpha": 20.0, "a": 0.8, "b": 2.5},
            rng.integers(30, 700, n).astype(float),
            rng,
        )
        customers = pd.DataFrame(
            {
                "frequency_x": simulated.x.astype(int),
                "recency_t_x": np.floor(simulated.t_x).astype(int),
                "age_t": simulated.T.astype(int),
            }
        )
        tuples = customers.value_counts().rename("n_customers").reset_index()
        tuples.insert(0, "cut_off_index", k)
        tuples.insert(
            1,
            "cut_off_date",
            pd.Timestamp("2025-10-02") - pd.Timedelta(days=90 * (k - 1)),
        )
        frames.append(tuples)
    tuples = pd.concat(frames, ignore_index=True)
    shuffled = tuples.sample(frac=1.0, random_state=3).reset_index(drop=True)
    ordered = pa.Table.from_pandas(
        tuples.sort_values(list(churn.BTYD_TUPLE_KEYS)), preserve_index=False
    )
    from_pandas = churn.btyd_params_frame(shuffled)
    from_arrow = churn.btyd_params_frame(ordered)
    pd.testing.assert_frame_equal(from_pandas, from_arrow, check_exact=True)
    assert (from_arrow["n_customers"] == n).all()
    assert (from_arrow["n_customers_fitted"] < n).all()
    assert list(from_arrow["cut_off_date"].astype(str).unique()) == [
        "2025-10-02",
        "2025-07-04",
    ]


def test_btyd_fits_of_no_tuples_are_an_empty_frame():
    """A shop with no valid order before any cut-off (every order cancelled)
    has no tuples: no fits, the stored columns, no error."""
    empty = pa.table(
        {
            "cut_off_index": pa.array([], pa.int32()),
            "cut_off_date": pa.array([], pa.date32()),
            **{
                name: pa.array([], pa.int64())
                for name in (*churn.BTYD_TUPLE_KEYS[1:], "n_customers")
            },
        }
    )
    frame = churn.btyd_params_frame(empty)
    assert frame.empty
    assert list(frame.columns) == list(churn.BTYD_PARAMS_COLUMNS)


def test_risk_bands_at_their_boundaries():
    settings = churn.ChurnSettings(risk_band_high=0.8, risk_band_medium=0.5)
    bands = churn.risk_band(np.array([0.8, 0.79999, 0.5, 0.49999, 0.0, 1.0]), settings)
    assert list(bands) == ["high", "medium", "medium", "low", "low", "high"]


def test_metrics_match_their_definitions_and_handle_a_single_outcome():
    y = np.array([True, False, True, True, False])
    p = np.array([0.9, 0.2, 0.6, 0.4, 0.5])
    m = churn.classification_metrics(y, p)
    assert m["roc_auc"] == pytest.approx(5 / 6)
    assert m["brier_score"] == pytest.approx(np.mean((p - y) ** 2))
    assert m["log_loss"] == pytest.approx(-np.mean(np.log(np.where(y, p, 1 - p))))
    assert m["average_precision"] == pytest.approx((1 + 1 + 3 / 4) / 3)
    assert m["base_rate"] == pytest.approx(0.6) and m["n_customers"] == 5
    single = churn.classification_metrics(np.ones(3, bool), np.full(3, 0.7))
    assert single["roc_auc"] is None and single["average_precision"] is None


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_metrics_equal_scikit_learns_with_tied_scores(seed):
    """One sort gives what scikit-learn's metric functions give, also when
    many scores tie (rounded probabilities) and classes are unbalanced."""
    rng = np.random.default_rng(seed)
    n = 20_000
    y = rng.random(n) < [0.8, 0.5, 0.05][seed]
    p = np.clip(np.round(0.5 * y + rng.random(n) * 0.7, 2), 0, 1)
    m = churn.classification_metrics(y, p)
    clipped = np.clip(p, churn.EPS, 1 - churn.EPS)
    assert m["roc_auc"] == pytest.approx(roc_auc_score(y, clipped), rel=1e-12)
    assert m["average_precision"] == pytest.approx(
        average_precision_score(y, clipped), rel=1e-12
    )
    assert m["log_loss"] == pytest.approx(
        log_loss(y, clipped, labels=[False, True]), rel=1e-12
    )
    assert m["brier_score"] == pytest.approx(brier_score_loss(y, clipped), rel=1e-12)


def test_selection_takes_the_lowest_log_loss_and_the_logistic_on_ties():
    select = churn.select_model
    assert (
        select(
            {
                "logistic_regression": {"log_loss": 0.3},
                "hist_gradient_boosting": {"log_loss": 0.2},
            }
        )
        == churn.BOOSTING
    )
    assert (
        select(
            {
                "logistic_regression": {"log_loss": 0.2},
                "hist_gradient_boosting": {"log_loss": 0.2},
            }
        )
        == churn.LOGISTIC
    )
    assert select({}) == churn.BASELINE


def test_top_reasons_are_the_largest_positive_pushes_in_order():
    pushes = pd.DataFrame(
        {
            "recency": [1.234, -1.0, 0.5],
            "spend": [0.4, -2.0, 0.5],
            "tenure": [-0.1, -3.0, 2.0],
        }
    )
    first, text = churn.top_reasons(pushes, 2)
    assert first.to_pylist() == ["recency", None, "tenure"]
    assert text.to_pylist() == [
        "recency (+1.23); spend (+0.40)",
        None,
        "tenure (+2.00); recency (+0.50)",
    ]


def test_settings_read_text_values_and_reject_unusable_ones():
    settings = churn.ChurnSettings.from_config(
        {
            "churn_horizon_days": "60",
            "churn_training_snapshots": "3",
            "churn_risk_band_high": "0.9",
            "lifecycle_at_risk_days": "120",
        }
    )
    assert settings.horizon_days == 60 and settings.training_snapshots == 3
    assert settings.risk_band_high == 0.9
    assert settings.lifecycle.at_risk_days == 120
    with pytest.raises(ValueError, match="churn risk bands"):
        churn.ChurnSettings.from_config({"churn_risk_band_medium": "0.95"})
    with pytest.raises(ValueError, match="churn_horizon_days"):
        churn.ChurnSettings.from_config({"churn_horizon_days": "0"})

"""The semantic layer: real MetricFlow queries (`mf query`) on a real build of
the project, each checked against the same number computed in SQL."""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from dbt_helpers import PROJECT_DIR, write_demo_data

BIN = Path(sys.executable).parent
PROJECT_ENTRIES = (
    "dbt_project.yml",
    "profiles.yml",
    "models",
    "macros",
    "seeds",
    "tests",
    "analyses",
)
MARTS = (
    "+dim_customers",
    "+fct_orders",
    "+fct_customer_lifecycle_monthly",
    "+fct_cohort_retention",
    "+fct_lifecycle_transitions",
    "+fct_segment_summary",
    "+fct_clv_backtest_calibration",
    "+fct_clv_backtest_tracking",
    "+fct_clv_backtest_summary",
    "+fct_churn_reliability_bins",
    "+fct_churn_model_metrics",
    "+dim_value_clusters",
    "metricflow_time_spine",
)


@dataclass(frozen=True)
class DemoBuild:
    """The project built on a small demo data set in its own directory."""

    project: Path  # a mirror of the project (links) with its own target/ and logs/
    database: Path
    env: dict[str, str]


@functools.cache
def demo_build() -> DemoBuild:
    """Build the marts the semantic layer and the report read, once per test
    session, on 400 demo customers. `mf` reads `target/semantic_manifest.json`
    of the project it runs in, so the build runs in a mirror of the project
    whose target/ is private to the tests."""
    root = Path(tempfile.mkdtemp(prefix="customer_value_demo_build_"))
    atexit.register(shutil.rmtree, root, True)
    project = root / "project"
    project.mkdir()
    for entry in PROJECT_ENTRIES:
        (project / entry).symlink_to(PROJECT_DIR / entry)
    data = root / "data"
    write_demo_data(data, customers=400, orders=4000, seed=7)
    database = root / "warehouse.duckdb"
    env = dict(os.environ)
    env.update(
        DBT_PROFILES_DIR=str(project),
        CUSTOMER_VALUE_DUCKDB_PATH=str(database),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        NO_COLOR="1",
    )
    variables = (
        f'{{orders_path: "{data / "orders.csv"}", '
        f'customers_path: "{data / "customers.csv"}"}}'
    )
    completed = subprocess.run(
        [
            str(BIN / "dbt"),
            *("build", "--select", *MARTS),
            *(
                "--exclude-resource-type",
                "test",
                "--exclude-resource-type",
                "unit_test",
            ),
            *("--vars", variables, "--no-use-colors"),
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert (project / "target" / "semantic_manifest.json").exists()
    return DemoBuild(project, database, env)


def mf_query(build: DemoBuild, *arguments: str) -> pd.DataFrame:
    """Run `mf query ... --csv` in the built project and read the result."""
    output = build.project / "target" / "mf_query.csv"
    output.unlink(missing_ok=True)
    completed = subprocess.run(
        [str(BIN / "mf"), "query", *arguments, "--csv", str(output), "--quiet"],
        cwd=build.project,
        env=build.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return pd.read_csv(output)


def sql(build: DemoBuild, query: str) -> pd.DataFrame:
    with duckdb.connect(str(build.database), read_only=True) as con:
        return con.execute(query).df()


@pytest.fixture(scope="module")
def build() -> DemoBuild:
    return demo_build()


def _assert_same(left: pd.DataFrame, right: pd.DataFrame, keys: list[str]) -> None:
    """Same rows (by key) and the same values, nulls included."""
    left = left.sort_values(keys).reset_index(drop=True)
    right = right.sort_values(keys).reset_index(drop=True)
    assert left[keys].astype(str).equals(right[keys].astype(str))
    for column in left.columns.difference(keys):
        a = left[column].astype(float).to_numpy()
        b = right[column].astype(float).to_numpy()
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9, err_msg=column)


def test_revenue_orders_and_customers_by_month_equal_sql(build):
    result = mf_query(
        build,
        "--metrics",
        "revenue,orders,active_customers,new_customers,average_order_value",
        "--group-by",
        "metric_time__month",
    )
    result["month"] = pd.to_datetime(result.pop("metric_time__month")).dt.date
    expected = sql(
        build,
        """
        select
            cast(date_trunc('month', ordered_date) as date) as month,
            sum(case when is_purchase then amount_reporting else 0 end) as revenue,
            count(case when is_purchase then 1 end) as orders,
            count(distinct case when is_purchase then customer_id end)
                as active_customers,
            count(case when is_first_purchase then 1 end) as new_customers,
            sum(case when is_purchase then amount_reporting else 0 end)
            / count(case when is_purchase and amount_reporting > 0 then 1 end)
                as average_order_value
        from fct_orders
        group by 1
        """,
    )
    assert len(expected) >= 24 and expected["revenue"].astype(float).sum() > 0
    _assert_same(result, expected[result.columns], ["month"])


def test_customers_clv_and_churn_warnings_by_stage_and_segment_equal_sql(build):
    result = mf_query(
        build,
        "--metrics",
        "customers,purchasers,repeat_rate,total_clv,average_clv,"
        "churn_warning_customers,high_value_churn_warning_customers",
        "--group-by",
        "customer__lifecycle_stage,customer__rfm_segment",
    )
    result = result.rename(
        columns={
            "customer__lifecycle_stage": "lifecycle_stage",
            "customer__rfm_segment": "rfm_segment",
        }
    )
    expected = sql(
        build,
        """
        select
            customers.lifecycle_stage,
            customers.rfm_segment,
            count(*) as customers,
            count(case when customers.has_purchased then 1 end) as purchasers,
            cast(count(case when customers.purchase_days >= 2 then 1 end) as double)
            / nullif(count(case when customers.has_purchased then 1 end), 0)
                as repeat_rate,
            sum(clv.clv_discounted) as total_clv,
            avg(clv.clv_discounted) as average_clv,
            count(case when lifecycle.has_churn_warning then 1 end)
                as churn_warning_customers,
            count(case when lifecycle.is_high_value and lifecycle.has_churn_warning
                then 1 end) as high_value_churn_warning_customers
        from dim_customers as customers
        left join fct_customer_clv as clv
            on customers.customer_id = clv.customer_id
        left join fct_customer_lifecycle as lifecycle
            on customers.customer_id = lifecycle.customer_id
        group by 1, 2
        """,
    )
    assert (
        expected["customers"].sum()
        == sql(build, "select count(*) as n from dim_customers")["n"].item()
    )
    assert {"prospect", "active"} <= set(expected["lifecycle_stage"])
    _assert_same(result, expected[result.columns], ["lifecycle_stage", "rfm_segment"])


def test_stage_counts_over_a_quarter_are_those_of_its_last_month(build):
    result = mf_query(
        build,
        "--metrics",
        "customers_at_month_end",
        "--group-by",
        "metric_time__quarter,customer_month__lifecycle_stage",
    )
    result = result.rename(
        columns={
            "metric_time__quarter": "quarter",
            "customer_month__lifecycle_stage": "lifecycle_stage",
        }
    )
    result["quarter"] = pd.to_datetime(result["quarter"]).dt.date
    expected = sql(
        build,
        """
        with last_month as (
            select
                cast(date_trunc('quarter', month_end_date) as date) as quarter,
                max(month_end_date) as month_end_date
            from fct_customer_lifecycle_monthly
            group by 1
        )
        select
            last_month.quarter,
            monthly.lifecycle_stage,
            count(*) as customers_at_month_end
        from fct_customer_lifecycle_monthly as monthly
        inner join last_month
            on monthly.month_end_date = last_month.month_end_date
        group by 1, 2
        """,
    )
    assert len(expected) > 8
    _assert_same(result, expected[result.columns], ["quarter", "lifecycle_stage"])

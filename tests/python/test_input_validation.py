"""Unusable inputs stop the build with a message naming the variable, the path
and what is wrong; usable ones in other shapes (Parquet, globs, no customers
file, an earlier as_of_date) build."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dbt_helpers import run_dbt

ORDERS_HEADER = "order_id,customer_id,ordered_at,amount,currency,status\n"
ORDERS_ROWS = (
    "o1,c1,2024-01-05T10:00:00Z,10.00,USD,completed\n"
    "o2,c1,2024-02-05T10:00:00Z,20.00,EUR,completed\n"
    "o3,c2,2024-03-01,0,USD,completed\n"
    "o4,c3,2024-04-01,30.00,USD,completed\n"
)
CUSTOMERS = "customer_id,email\nc1,A@Example.com\nc2,b@example.com\nc9,z@example.com\n"


def _write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def _fails_with(result, *fragments: str) -> None:
    assert not result.ok, result.output
    for fragment in fragments:
        assert fragment in result.output, f"{fragment!r} not in:\n{result.output}"
    assert "Traceback" not in result.output


def test_missing_orders_file_names_the_variable_and_the_path(tmp_path):
    missing = tmp_path / "nowhere" / "orders_*.csv"
    result = run_dbt(
        ["build", "--select", "int_analysis_dates"],
        tmp_path / "run",
        {"orders_path": str(missing), "customers_path": ""},
    )
    _fails_with(result, "no file matches", "var orders_path", str(missing))


def test_empty_orders_file_is_an_error(tmp_path):
    empty = _write(tmp_path / "orders.csv", "")
    result = run_dbt(
        ["build", "--select", "int_analysis_dates"],
        tmp_path / "run",
        {"orders_path": str(empty), "customers_path": ""},
    )
    _fails_with(result, "is empty (0 bytes)", "var orders_path", str(empty))


def test_header_only_customers_file_is_an_error(tmp_path):
    orders = _write(tmp_path / "orders.csv", ORDERS_HEADER + ORDERS_ROWS)
    customers = _write(tmp_path / "customers.csv", "customer_id,email\n")
    result = run_dbt(
        ["build", "--select", "int_analysis_dates"],
        tmp_path / "run",
        {"orders_path": str(orders), "customers_path": str(customers)},
    )
    _fails_with(result, "no data rows", "var customers_path", str(customers))


def test_missing_required_column_is_named(tmp_path):
    orders = _write(
        tmp_path / "orders.csv",
        "order_id,customer_id,ordered_at,total\no1,c1,2024-01-01,5\n",
    )
    result = run_dbt(
        ["build", "--select", "int_analysis_dates"],
        tmp_path / "run",
        {"orders_path": str(orders), "customers_path": ""},
    )
    _fails_with(result, "required column(s) amount missing", "var orders_path")


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"as_of_date": "31/12/2024"}, "as_of_date = '31/12/2024' is not a date"),
        ({"as_of_date": "2024-02-30"}, "is not a valid calendar date"),
        ({"reporting_currency": "XYZ"}, "reporting_currency = 'XYZ' is not in"),
        ({"max_order_amount": -1}, "max_order_amount"),
        ({"rfm_window_days": [30, 0]}, "rfm_window_days contains '0'"),
        (
            {"churn_backtest_max_customers": 500},
            "churn_backtest_max_customers = 500 must be a whole number >= 1000",
        ),
        (
            {"churn_backtest_max_customers": 2_000, "churn_max_training_rows": 70_000},
            "churn_backtest_max_customers = 2000 must be at least"
            " churn_max_training_rows / (churn_training_snapshots + 1) = 10000",
        ),
    ],
)
def test_malformed_variables_stop_the_build(tmp_path, variables, message):
    orders = _write(tmp_path / "orders.csv", ORDERS_HEADER + ORDERS_ROWS)
    result = run_dbt(
        ["build", "--select", "int_analysis_dates"],
        tmp_path / "run",
        {"orders_path": str(orders), "customers_path": "", **variables},
    )
    _fails_with(result, message)


def test_parquet_glob_without_customers_file_and_earlier_as_of_date(tmp_path):
    """Two typed Parquet files matched by a glob, no customers file, and an
    as_of_date that hides the last order: the marts see exactly what was
    visible on that day."""
    batches = [
        {
            "order_id": ["o1", "o2"],
            "customer_id": ["c1", "c1"],
            "ordered_at": pa.array(
                ["2024-01-05 10:00:00", "2024-02-05 10:00:00"], pa.string()
            ).cast(pa.timestamp("us")),
            "amount": [10.0, 20.0],
        },
        {
            "order_id": ["o3", "o4"],
            "customer_id": ["c2", "c3"],
            "ordered_at": pa.array(
                ["2024-03-01 00:00:00", "2024-04-01 00:00:00"], pa.string()
            ).cast(pa.timestamp("us")),
            "amount": [0.0, 30.0],
        },
    ]
    for i, batch in enumerate(batches):
        pq.write_table(pa.table(batch), tmp_path / f"orders_{i}.parquet")
    result = run_dbt(
        [
            "build",
            "--select",
            "+dim_customers",
            "+fct_orders",
            "+fct_source_row_reconciliation",
        ],
        tmp_path / "run",
        {
            "orders_path": str(tmp_path / "orders_*.parquet"),
            "customers_path": "",
            "as_of_date": "2024-03-15",
        },
    )
    assert result.ok, result.output
    with duckdb.connect(str(result.database), read_only=True) as con:
        customers = con.sql(
            "select customer_id, frequency_orders, monetary_total, recency_days"
            " from dim_customers order by customer_id"
        ).fetchall()
        reconciliation = con.sql(
            "select rows_read, rows_staged from fct_source_row_reconciliation"
            " where source_table = 'orders'"
        ).fetchall()
        latest = con.sql("select max(ordered_date) from fct_orders").fetchall()
    # c3's only order is after as_of_date: not yet a customer.
    assert customers == [("c1", 2, 30, 39), ("c2", 1, 0, 14)]
    assert reconciliation == [(4, 4)]
    assert str(latest[0][0]) == "2024-03-01"


def test_customers_without_orders_are_prospects_and_orders_without_customers_count(
    tmp_path,
):
    orders = _write(tmp_path / "orders.csv", ORDERS_HEADER + ORDERS_ROWS)
    customers = _write(tmp_path / "customers.csv", CUSTOMERS)
    result = run_dbt(
        ["build", "--select", "+dim_customers", "--indirect-selection", "cautious"],
        tmp_path / "run",
        {"orders_path": str(orders), "customers_path": str(customers)},
    )
    assert result.ok, result.output
    with duckdb.connect(str(result.database), read_only=True) as con:
        rows = con.sql(
            "select customer_id, has_customer_record, has_purchased, rfm_segment,"
            " email_hash is not null from dim_customers order by customer_id"
        ).fetchall()
    assert rows == [
        ("c1", True, True, rows[0][3], True),
        ("c2", True, True, rows[1][3], True),
        ("c3", False, True, rows[2][3], False),
        ("c9", True, False, "Prospect", True),
    ]

"""A catalogue of bad and awkward inputs, each with its expected outcome.

Every case either stops the build before anything is built, with a message that
names the variable, the file, the line or column and what to do (never a stack
trace, a raw DuckDB error or a value from the file), or builds and accounts for
every raw row: staged, rejected with a reason, or collapsed as an exact copy.

Cases that do not interact share one file set and one dbt invocation (a "run");
each case checks its own expectations. Row-level runs build only staging, the
reconciliation mart and the conservation test; the whole-pipeline runs (one
customer, one order, nobody repeats, all orders cancelled) build through
dim_customers, fct_customer_clv and fct_orders. The runs a session needs are
started together, two at a time. Each of the two workers writes its runs'
files to one directory under fixed names, so that consecutive dbt invocations
see the same variables and reuse dbt's saved parse (about 6 s per invocation).
"""

from __future__ import annotations

import datetime as dt
import json
import queue
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dbt_helpers import DbtResult, run_dbt

ROW_SCOPE = (
    "build",
    "--select",
    "+stg_shop__rejected_rows",
    "+fct_source_row_reconciliation",
    "+stg_shop__orders",
    "+stg_shop__customers",
    "assert_raw_rows_conserved",
    "--indirect-selection",
    "cautious",
)
PIPELINE_SCOPE = (
    "build",
    "--select",
    "+dim_customers",
    "+fct_customer_clv",
    "+fct_customer_value_grid",
    "+fct_customer_churn_risk",
    "+fct_churn_model_metrics",
    "+dim_value_clusters",
    "+fct_orders",
    "+fct_source_row_reconciliation",
    "assert_raw_rows_conserved",
    "--indirect-selection",
    "cautious",
)
ORDERS_HEADER = "order_id,customer_id,ordered_at,amount,currency,status,discount_amount"
GOOD_ORDER = "o1,c1,2024-01-05T10:00:00Z,10.00,USD,completed,"
DEFAULT_CUSTOMERS = "customer_id,country\nc1,US\n"

FileContent = str | bytes | Callable[[Path], None]


@dataclass(frozen=True)
class Run:
    """One file set and one dbt invocation. Orders are read from `orders*.csv`
    (or `orders*.parquet`), customers from `customers*.csv` (`.parquet`); a CSV
    run without a customers file gets DEFAULT_CUSTOMERS. as_of_date is unset:
    staging does not depend on it and the pipeline runs take the latest order's
    date."""

    files: dict[str, FileContent]
    parquet: bool = False
    scope: tuple[str, ...] = ROW_SCOPE
    # data rows written per source, to check that every one is accounted for
    rows: dict[str, int] = field(default_factory=dict)

    def variables(self, directory: Path) -> dict:
        extension = "parquet" if self.parquet else "csv"
        return {
            "orders_path": f"{directory}/orders*.{extension}",
            "customers_path": f"{directory}/customers*.{extension}",
            "as_of_date": None,
        }


@dataclass
class Outcome:
    result: DbtResult
    directory: Path  # where the run's input files were
    artifacts: Path  # run_results.json and manifest.json of the run

    def query(self, sql: str, parameters: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.result.database), read_only=True) as con:
            return con.execute(sql, parameters or []).fetchall()


def _lines(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def _orders(*rows: str) -> str:
    return _lines(ORDERS_HEADER, *rows)


# --- the file sets ---------------------------------------------------------------

ROW_RULE_ORDERS = [
    GOOD_ORDER,
    "o_dup,c1,2024-01-06,20.00,USD,completed,",
    "o_dup,c1,2024-01-06,20.00,USD,completed,",
    "o_conf,c1,2024-01-07,30.00,USD,completed,",
    "o_conf,c1,2024-01-07,35.00,USD,completed,",
    "o_null_customer,,2024-01-08,5.00,USD,completed,",
    'o_blank_customer,"   ",2024-01-08,5.00,USD,completed,',
    "o_negative,c2,2024-01-09,-5.00,USD,completed,",
    "o_zero,c2,2024-01-09,0,USD,completed,",
    "o_huge_float,c2,2024-01-09,1e40,USD,completed,",
    "o_huge_decimal,c2,2024-01-09,100000000000000000000,USD,completed,",
    "o_above_max,c2,2024-01-09,100000.01,USD,completed,",
    'o_thousands,c2,2024-01-10,"1,234.50",USD,completed,',
    'o_comma_decimal,c2,2024-01-10,"12,50",USD,completed,',
    "o_unknown_currency,c3,2024-01-11,5.00,XYZ,completed,",
    "o_lower_currency,c3,2024-01-11,9.20,eur,completed,",
    "o_day_month,c3,31/12/2023,5.00,USD,completed,",
    "o_feb30,c3,2023-02-30,5.00,USD,completed,",
    "o_words,c3,yesterday,5.00,USD,completed,",
    "o_too_old,c3,1999-12-31,5.00,USD,completed,",
    "o_too_late,c3,2150-01-01,5.00,USD,completed,",
    "o_future,c3,2099-01-01,5.00,USD,completed,",
    "o_west,c4,2024-03-01T23:30:00-05:00,5.00,USD,completed,",
    "o_dst_gap,c4,2024-03-10 02:30:00 America/New_York,5.00,USD,completed,",
    "o_dst_repeat,c4,2024-11-03 01:30:00 America/New_York,5.00,USD,completed,",
    "o_dst_offset,c4,2024-03-31T02:30:00+02:00,5.00,USD,completed,",
    "o_naive,c4,2024-06-01 10:00:00,5.00,USD,completed,",
    "o_orphan,c_without_record,2024-01-12,5.00,USD,completed,",
    "o_bad_discount,c4,2024-01-12,5.00,USD,completed,5%",
    "o_cancelled,c4,2024-01-13,5.00,USD,cancelled,",
    ",c4,2024-01-13,5.00,USD,completed,",
    "o_lost,c4,2024-01-13,5.00,USD,lost in post,",
]
ROW_RULE_CUSTOMERS = [
    "customer_id,email,phone,created_at,country,acquisition_channel,full_name",
    "c1,Shared@Example.com,+1 555 0100,2023-01-01,US,organic,Ann Example",
    "c2, shared@example.com ,+1 555 0101,2023-02-01,US,organic,Bob Example",
    "c3,solo@example.com,,2023-03-01,GB,email,Cy Example",
    "c3,solo@example.com,,2023-03-01,GB,email,Cy Example",
    "c4,four@example.com,,2023-04-01,DE,paid_search,Di Example",
    "c4,four@example.com,,2023-04-01,FR,,Di Example",
    ",blank@example.com,,2023-05-01,US,organic,No Id",
]


def _parquet(table: pa.Table) -> Callable[[Path], None]:
    return lambda path: pq.write_table(table, path)


PARQUET_ORDERS = pa.table(
    {
        "order_id": pa.array([101, 102, 103], pa.int64()),
        "customer_id": pa.array([7, 7, 8], pa.int64()),
        "ordered_at": pa.array(
            [
                dt.datetime(
                    2024, 1, 5, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))
                ),
                dt.datetime(2024, 2, 1, 12, 0, tzinfo=dt.UTC),
                dt.datetime(2024, 3, 1, 8, 15, tzinfo=dt.UTC),
            ],
            pa.timestamp("us", tz="UTC"),
        ),
        "amount": pa.array(
            [Decimal("10.50"), Decimal("0.00"), Decimal("99.99")], pa.decimal128(10, 2)
        ),
        "currency": ["USD", "usd", "EUR"],
    }
)
PARQUET_CUSTOMERS = pa.table(
    {
        "customer_id": pa.array([7, 8], pa.int64()),
        "created_at": pa.array([dt.date(2023, 12, 1), dt.date(2023, 12, 2)]),
        "country": ["US", "NZ"],
    }
)

RUNS: dict[str, Run] = {
    # ---------------------------------------------------------------- stops
    "empty_file": Run({"orders.csv": ""}),
    "header_only": Run({"orders.csv": _lines(ORDERS_HEADER)}),
    "missing_required_column": Run(
        {
            "orders.csv": _lines(
                "order_id,customer_id,ordered_at,total", "o1,c1,2024-01-05,5"
            )
        }
    ),
    "repeated_column": Run(
        {
            "orders.csv": _lines(
                "order_id,customer_id,ordered_at,amount,amount", "o1,c1,2024-01-05,5,6"
            )
        }
    ),
    "space_delimited": Run(
        {
            "orders.csv": _lines(
                "order_id customer_id ordered_at amount", "o1 c1 2024-01-05 5"
            )
        }
    ),
    "orders_not_utf8": Run(
        {
            "orders.csv": _orders(GOOD_ORDER).encode()
            + b"o2,c1,2024-01-06,5.00,USD,exp\xe9di\xe9,\n"
        }
    ),
    "customers_not_utf8": Run(
        {
            "orders.csv": _orders(GOOD_ORDER),
            "customers.csv": b"customer_id,email,country\n"
            b"c1,ana.secret@example.com,Espa\xf1a\n",
        }
    ),
    "unquoted_delimiter_in_value": Run(
        # one field too many and an empty last field: the CSV reader alone
        # would read this line shifted by one column
        {"orders.csv": _orders(GOOD_ORDER, "o2,c1,2024-01-06,1,234.50,USD,completed,")}
    ),
    "short_line": Run({"orders.csv": _orders(GOOD_ORDER, "o2,c1,2024-01-06")}),
    "parquet_float_ids": Run(
        {
            "orders.parquet": _parquet(
                PARQUET_ORDERS.set_column(
                    1, "customer_id", pa.array([7.0, None, 8.0], pa.float64())
                )
            )
        },
        parquet=True,
    ),
    "parquet_epoch_timestamps": Run(
        {
            "orders.parquet": _parquet(
                PARQUET_ORDERS.set_column(
                    2, "ordered_at", pa.array([1704499200, 1706788800, 1709280900])
                )
            )
        },
        parquet=True,
    ),
    "parquet_types_differ_between_files": Run(
        {
            "orders_1.parquet": _parquet(PARQUET_ORDERS),
            "orders_2.parquet": _parquet(
                PARQUET_ORDERS.set_column(
                    3, "amount", pa.array(["10.50", "0.00", "99.99"])
                )
            ),
        },
        parquet=True,
    ),
    "not_parquet": Run({"orders.parquet": _orders(GOOD_ORDER)}, parquet=True),
    # --------------------------------------------------------------- builds
    "row_rules": Run(
        {
            "orders.csv": _orders(*ROW_RULE_ORDERS),
            "customers.csv": _lines(*ROW_RULE_CUSTOMERS),
        },
        rows={"orders": len(ROW_RULE_ORDERS), "customers": len(ROW_RULE_CUSTOMERS) - 1},
    ),
    "layouts": Run(
        {
            "orders_a_bom.csv": "\ufeff"
            + _orders("la1,c1,2024-01-05,10.00,USD,completed,"),
            "orders_b_reordered.csv": _lines(
                "amount,note,status,customer_id,ordered_at,order_id,currency",
                "20.00,first visit,completed,c2,2024-01-06,lb1,USD",
                "21.00,,completed,c2,2024-01-07,lb2,USD",
            ),
            "orders_c_semicolon.csv": _lines(
                "order_id;customer_id;ordered_at;amount;currency",
                "lc1;c3;2024-01-08;12.50;EUR",
                "lc2;c3;2024-01-09;12,50;EUR",
            ),
            "orders_d_tab_crlf.csv": "order_id\tcustomer_id\tordered_at\tamount\r\n"
            "ld1\tc4\t2024-01-10\t30.00\r\n",
            "orders_e_stray_quote.csv": _lines(
                "order_id,customer_id,ordered_at,amount,currency",
                'le1,c5,2024-01-11,"7.00",USD',
                'le2,c5,2024-01-12,"7.50,USD',
                "le3,c5,2024-01-13,8.00,USD",
            ),
        },
        rows={"orders": 9, "customers": 1},
    ),
    "parquet_other_types": Run(
        {
            "orders.parquet": _parquet(PARQUET_ORDERS),
            "customers.parquet": _parquet(PARQUET_CUSTOMERS),
        },
        parquet=True,
        rows={"orders": 3, "customers": 2},
    ),
    # ------------------------------------------------------- whole pipeline
    "one_customer": Run(
        {
            "orders.csv": _orders(
                "o1,c1,2024-01-05,10.00,USD,completed,",
                "o2,c1,2024-02-05,20.00,USD,completed,",
                "o3,c1,2024-04-01,15.00,USD,completed,",
            )
        },
        scope=PIPELINE_SCOPE,
        rows={"orders": 3, "customers": 1},
    ),
    "one_order": Run(
        {"orders.csv": _orders("o1,c1,2024-01-05,10.00,USD,completed,")},
        scope=PIPELINE_SCOPE,
        rows={"orders": 1, "customers": 1},
    ),
    "nobody_repeats": Run(
        {
            "orders.csv": _orders(
                "o1,c1,2024-01-05,10.00,USD,completed,",
                "o2,c2,2024-02-05,20.00,USD,completed,",
                "o3,c3,2024-04-01,15.00,USD,completed,",
                "o4,c4,2024-05-01,0,USD,completed,",
            ),
            "customers.csv": _lines("customer_id,country", "c1,US", "c2,US", "c3,GB"),
        },
        scope=PIPELINE_SCOPE,
        rows={"orders": 4, "customers": 3},
    ),
    "all_orders_cancelled": Run(
        {
            "orders.csv": _orders(
                "o1,c1,2024-01-05,10.00,USD,cancelled,",
                "o2,c2,2024-02-05,20.00,USD,cancelled,",
                "o3,c1,2024-04-01,15.00,USD,refunded,",
            )
        },
        scope=PIPELINE_SCOPE,
        rows={"orders": 3, "customers": 1},
    ),
}


# --- expectations ----------------------------------------------------------------

Check = Callable[[Outcome], None]


def stops(*fragments: str, secret: str | None = None) -> Check:
    """The build stops before building anything, with every fragment in the
    message ({dir} is the run's directory), no stack trace, no raw DuckDB error
    and no value from the file."""

    def check(outcome: Outcome) -> None:
        output = outcome.result.output
        assert not outcome.result.ok, output
        for fragment in fragments:
            expected = fragment.format(dir=outcome.directory)
            assert expected in output, f"{expected!r} not in:\n{output}"
        for forbidden in ("Traceback", "Original Line", "Invalid Input Error"):
            assert forbidden not in output, output
        if secret is not None:
            assert secret not in output, "the message quotes personal data"
        assert "START sql" not in output, (
            "models started before the inputs were checked"
        )

    return check


def rejected(
    source: str, record_key: str | None, reason: str, detail: str = ""
) -> Check:
    """Exactly the rows with this raw id are rejected, all with this reason."""

    def check(outcome: Outcome) -> None:
        rows = outcome.query(
            "select rejection_reason, rejection_detail from stg_shop__rejected_rows"
            " where source_table = ? and record_key is not distinct from ?",
            [source, record_key],
        )
        assert rows, f"{record_key!r} was not rejected"
        for found_reason, found_detail in rows:
            assert found_reason == reason, rows
            assert detail in found_detail, rows

    return check


def staged(order_id: str, **expected) -> Check:
    """The order is staged once, with these values in stg_shop__orders."""

    def check(outcome: Outcome) -> None:
        columns = ", ".join(expected) or "order_id"
        rows = outcome.query(
            f"select {columns} from stg_shop__orders where order_id = ?", [order_id]
        )
        assert len(rows) == 1, f"{order_id}: {rows}"
        found = dict(zip(expected, rows[0], strict=True))
        for name, value in expected.items():
            if isinstance(value, float):
                assert float(found[name]) == pytest.approx(value), (name, found)
            else:
                assert found[name] == value, (name, found)

    return check


def outcomes_of(source: str, key: str, **counts: int) -> Check:
    """How the raw rows with this id ended up (staged / rejected / collapsed)."""

    def check(outcome: Outcome) -> None:
        table, column = {
            "orders": ("stg_shop__orders_parsed", "order_id"),
            "customers": ("stg_shop__customers_parsed", "customer_id"),
        }[source]
        found = dict(
            outcome.query(
                f"select row_outcome, count(*) from {table}"
                f" where {column} = ? group by row_outcome",
                [key],
            )
        )
        assert found == counts, found

    return check


def warns(*fragments: str) -> Check:
    def check(outcome: Outcome) -> None:
        for fragment in fragments:
            assert fragment in outcome.result.output, outcome.result.output

    return check


def customer(customer_id: str, **expected) -> Check:
    def check(outcome: Outcome) -> None:
        columns = ", ".join(expected)
        rows = outcome.query(
            f"select {columns} from stg_shop__customers where customer_id = ?",
            [customer_id],
        )
        assert rows == [tuple(expected.values())], rows

    return check


def same_email_hash(*customer_ids: str) -> Check:
    def check(outcome: Outcome) -> None:
        hashes = outcome.query(
            "select distinct email_hash from stg_shop__customers"
            f" where customer_id in ({', '.join('?' * len(customer_ids))})",
            list(customer_ids),
        )
        assert len(hashes) == 1 and hashes[0][0] is not None, hashes

    return check


def not_in_staging(text: str) -> Check:
    """No staged or rejected row, from either source, carries the text."""

    def check(outcome: Outcome) -> None:
        for table in ("stg_shop__customers", "stg_shop__rejected_rows"):
            rows = outcome.query(
                f"select count(*) from {table} as t"
                " where contains(cast(t as varchar), ?)",
                [text],
            )
            assert rows == [(0,)], f"{text!r} found in {table}"

    return check


def pipeline_builds(fallback: bool, repeat_purchases: bool) -> Check:
    """Every model and test passed; every mart built is finite; the CLV models
    say whether they used the documented fallback."""

    def check(outcome: Outcome) -> None:
        assert outcome.result.ok, outcome.result.output
        marts = _built_marts(outcome)
        assert {"dim_customers", "fct_customer_clv", "fct_orders"} <= set(marts)
        with duckdb.connect(str(outcome.result.database), read_only=True) as con:
            for table in marts:
                for column, data_type in con.execute(
                    "select column_name, data_type from information_schema.columns"
                    " where table_name = ?",
                    [table],
                ).fetchall():
                    if data_type in ("DOUBLE", "FLOAT"):
                        (bad,) = con.execute(
                            f'select count(*) from "{table}" where isnan("{column}")'
                            f' or isinf("{column}")'
                        ).fetchone()
                        assert bad == 0, f"{table}.{column}: {bad} NaN or infinite"
            params = con.execute(
                "select model, bool_or(fallback_used), min(message)"
                " from fct_clv_model_params group by model"
            ).fetchall()
            clv = con.execute(
                "select count(*), sum(expected_purchases), min(clv_discounted)"
                " from fct_customer_clv"
            ).fetchone()
        assert params, "fct_clv_model_params is empty"
        purchase_models = [row for row in params if row[0] != "gamma_gamma"]
        for model, used, message in purchase_models:
            assert used is fallback, (model, used, message)
            if fallback:
                assert message, model
        if clv[0]:
            assert clv[2] >= 0
            if not repeat_purchases:
                assert clv[1] == 0, "nobody repeats, yet purchases are expected"

    return check


def _built_marts(outcome: Outcome) -> list[str]:
    results = json.loads((outcome.artifacts / "run_results.json").read_text())
    manifest = json.loads((outcome.artifacts / "manifest.json").read_text())
    return [
        manifest["nodes"][r["unique_id"]]["name"]
        for r in results["results"]
        if r["unique_id"].startswith("model.")
        and manifest["nodes"][r["unique_id"]]["original_file_path"].startswith(
            "models/marts/"
        )
        and r["status"] == "success"
    ]


def accounted(run: Run) -> Check:
    """Every raw row is staged, rejected or collapsed (conservation test passed,
    and the reconciliation equals the number of data rows written)."""

    def check(outcome: Outcome) -> None:
        statuses = _test_statuses(outcome)
        assert statuses.get("assert_raw_rows_conserved") == "pass", statuses
        reconciliation = dict(
            (source, (read, staged + rejected + collapsed))
            for source, read, staged, rejected, collapsed in outcome.query(
                "select source_table, rows_read, rows_staged, rows_rejected,"
                " rows_collapsed_duplicate from fct_source_row_reconciliation"
            )
        )
        for source, written in run.rows.items():
            assert reconciliation[source] == (written, written), (
                source,
                reconciliation,
            )

    return check


def _test_statuses(outcome: Outcome) -> dict[str, str]:
    results = json.loads((outcome.artifacts / "run_results.json").read_text())
    return {
        r["unique_id"].split(".")[2]: r["status"]
        for r in results["results"]
        if r["unique_id"].startswith("test.")
    }


@dataclass(frozen=True)
class Case:
    name: str
    run: str
    checks: tuple[Check, ...]
    marks: tuple = ()


ORDERS_VAR = "var orders_path = '{dir}/orders*.csv'"
PARQUET_VAR = "var orders_path = '{dir}/orders*.parquet'"
CASES = [
    # ------------------------------------------------------------------- stops
    Case(
        "empty_file",
        "empty_file",
        (
            stops(
                "is empty (0 bytes)",
                ORDERS_VAR,
                "{dir}/orders.csv",
                "Export the orders again",
            ),
        ),
    ),
    Case(
        "header_only",
        "header_only",
        (stops("have a header but no data rows", ORDERS_VAR),),
    ),
    Case(
        "missing_required_column",
        "missing_required_column",
        (
            stops(
                "required column(s) amount missing",
                ORDERS_VAR,
                "Found columns: order_id, customer_id, ordered_at, total",
                "Rename the columns",
            ),
        ),
    ),
    Case(
        "column_repeated_in_header",
        "repeated_column",
        (
            stops(
                "column amount appears more than once",
                "{dir}/orders.csv",
                ORDERS_VAR,
                "Keep one column of each name",
            ),
        ),
    ),
    Case(
        "wrong_delimiter_read_as_one_column",
        "space_delimited",
        (
            stops(
                "required column(s) order_id, customer_id, ordered_at, amount missing",
                "read as a single column",
                "delimited by commas, semicolons, tabs or '|'",
                ORDERS_VAR,
            ),
        ),
    ),
    Case(
        "non_utf8_bytes_in_orders",
        "orders_not_utf8",
        (
            stops(
                "orders file is not UTF-8",
                "{dir}/orders.csv",
                ORDERS_VAR,
                "(line 3)",
                "Save the file as UTF-8",
                "iconv",
            ),
        ),
    ),
    Case(
        "non_utf8_bytes_in_customers",
        "customers_not_utf8",
        (
            stops(
                "customers file is not UTF-8",
                "var customers_path = '{dir}/customers*.csv'",
                "{dir}/customers.csv",
                "(line 2)",
                "Save the file as UTF-8",
                secret="ana.secret@example.com",
            ),
        ),
    ),
    Case(
        "unquoted_delimiter_in_a_value",
        "unquoted_delimiter_in_value",
        (
            stops(
                "line 3 of the orders file",
                "{dir}/orders.csv",
                ORDERS_VAR,
                "Expected Number of Columns: 7 Found: 8",
                "quote such values",
            ),
        ),
    ),
    Case(
        "line_with_missing_fields",
        "short_line",
        (stops("line 3 of the orders file", ORDERS_VAR, "Found: 3", "cut short"),),
    ),
    Case(
        "parquet_floating_point_ids",
        "parquet_float_ids",
        (
            stops(
                "column customer_id of the orders file",
                "{dir}/orders.parquet",
                PARQUET_VAR,
                "has type DOUBLE",
                "text or whole numbers",
                "string or int64",
            ),
        ),
    ),
    Case(
        "parquet_numeric_timestamps",
        "parquet_epoch_timestamps",
        (
            stops(
                "column ordered_at of the orders file",
                PARQUET_VAR,
                "has type BIGINT",
                "convert it to a timestamp",
            ),
        ),
    ),
    Case(
        "parquet_files_with_different_types",
        "parquet_types_differ_between_files",
        (
            stops(
                "column amount has type VARCHAR in {dir}/orders_2.parquet",
                "but DECIMAL(10,2) in {dir}/orders_1.parquet",
                PARQUET_VAR,
                "share one schema",
            ),
        ),
    ),
    Case(
        "file_named_parquet_that_is_not_parquet",
        "not_parquet",
        (
            stops(
                "cannot be read as Parquet",
                "{dir}/orders.parquet",
                PARQUET_VAR,
                "Export it again",
            ),
        ),
    ),
    # ----------------------------------------------------------- row rules
    Case(
        "duplicate_order_ids_identical",
        "row_rules",
        (
            outcomes_of("orders", "o_dup", staged=1, collapsed_duplicate=1),
            staged("o_dup", amount_reporting=20.0),
        ),
    ),
    Case(
        "duplicate_order_ids_conflicting",
        "row_rules",
        (
            outcomes_of("orders", "o_conf", staged=1, rejected=1),
            rejected(
                "orders", "o_conf", "conflicting_duplicate_order_id", "superseded"
            ),
            staged("o_conf", amount_reporting=35.0),
        ),
    ),
    Case(
        "null_and_blank_customer_ids",
        "row_rules",
        (
            rejected("orders", "o_null_customer", "missing_customer_id"),
            rejected("orders", "o_blank_customer", "missing_customer_id"),
            rejected("customers", None, "missing_customer_id"),
        ),
    ),
    Case(
        "missing_order_id_and_unknown_status",
        "row_rules",
        (
            rejected("orders", None, "missing_order_id"),
            rejected("orders", "o_lost", "unknown_status", "lost in post"),
        ),
    ),
    Case(
        "negative_amount",
        "row_rules",
        (
            rejected(
                "orders", "o_negative", "negative_amount", "refunds arrive as a status"
            ),
        ),
    ),
    Case(
        "zero_amount_is_a_purchase",
        "row_rules",
        (staged("o_zero", amount_reporting=0.0, is_purchase=True),),
    ),
    Case(
        "absurdly_large_amounts",
        "row_rules",
        (
            rejected("orders", "o_huge_float", "amount_above_max", "absurdly large"),
            rejected("orders", "o_huge_decimal", "amount_above_max", "absurdly large"),
            rejected(
                "orders",
                "o_above_max",
                "amount_above_max",
                "exceeds max_order_amount 100000",
            ),
        ),
    ),
    Case(
        "thousands_separators",
        "row_rules",
        (
            rejected(
                "orders",
                "o_thousands",
                "unparseable_amount",
                'amount "1,234.50" holds a comma',
            ),
        ),
    ),
    Case(
        "comma_decimals",
        "row_rules",
        (
            rejected(
                "orders",
                "o_comma_decimal",
                "unparseable_amount",
                "not 1,234.50 or 1234,50",
            ),
        ),
    ),
    Case(
        "unknown_currency",
        "row_rules",
        (
            rejected(
                "orders",
                "o_unknown_currency",
                "unknown_currency",
                '"XYZ" is not in seeds/currency_rates.csv',
            ),
        ),
    ),
    Case(
        "lower_case_currency",
        "row_rules",
        (staged("o_lower_currency", currency_code="EUR", amount_reporting=10.0),),
    ),
    Case(
        "unparseable_dates",
        "row_rules",
        (
            rejected(
                "orders", "o_day_month", "unparseable_ordered_at", "write YYYY-MM-DD"
            ),
            rejected("orders", "o_feb30", "unparseable_ordered_at"),
            rejected("orders", "o_words", "unparseable_ordered_at"),
        ),
    ),
    Case(
        "out_of_range_dates",
        "row_rules",
        (
            rejected(
                "orders",
                "o_too_old",
                "ordered_at_out_of_range",
                "[2000-01-01, 2100-01-01)",
            ),
            rejected("orders", "o_too_late", "ordered_at_out_of_range"),
        ),
    ),
    Case(
        "future_dates",
        "row_rules",
        (
            staged("o_future", ordered_date=dt.date(2099, 1, 1)),
            warns(
                "1 order(s) in var orders_path",
                "the latest on 2099-01-01",
                "Set as_of_date",
            ),
        ),
    ),
    Case(
        "time_zones_and_dst_edges",
        "row_rules",
        (
            staged(
                "o_west",
                ordered_at=dt.datetime(2024, 3, 2, 4, 30),
                ordered_date=dt.date(2024, 3, 2),
            ),
            staged("o_dst_gap", ordered_at=dt.datetime(2024, 3, 10, 7, 30)),
            staged("o_dst_repeat", ordered_at=dt.datetime(2024, 11, 3, 6, 30)),
            staged("o_dst_offset", ordered_at=dt.datetime(2024, 3, 31, 0, 30)),
            staged("o_naive", ordered_at=dt.datetime(2024, 6, 1, 10, 0)),
        ),
    ),
    Case(
        "orders_of_a_customer_absent_from_the_customers_file",
        "row_rules",
        (staged("o_orphan", customer_id="c_without_record"),),
    ),
    Case(
        "two_customer_ids_sharing_one_email",
        "row_rules",
        (
            customer("c1", email_shared_customer_count=2),
            customer("c2", email_shared_customer_count=2),
            customer("c3", email_shared_customer_count=1),
            same_email_hash("c1", "c2"),
        ),
    ),
    Case(
        "duplicate_customer_rows",
        "row_rules",
        (
            outcomes_of("customers", "c3", staged=1, collapsed_duplicate=1),
            outcomes_of("customers", "c4", staged=1, rejected=1),
            rejected("customers", "c4", "conflicting_duplicate_customer_id"),
        ),
    ),
    Case(
        "invalid_discount_amount",
        "row_rules",
        (rejected("orders", "o_bad_discount", "invalid_discount_amount", '"5%"'),),
    ),
    Case(
        "extra_columns_are_ignored",
        "row_rules",
        (not_in_staging("Ann Example"), customer("c1", country_code="US")),
    ),
    # ---------------------------------------------------------------- layouts
    Case(
        "utf8_with_byte_order_mark", "layouts", (staged("la1", amount_reporting=10.0),)
    ),
    Case(
        "columns_in_another_order_with_extra_columns",
        "layouts",
        (
            staged(
                "lb1",
                customer_id="c2",
                amount_reporting=20.0,
                ordered_date=dt.date(2024, 1, 6),
            ),
            staged("lb2", amount_reporting=21.0),
        ),
    ),
    Case(
        "semicolon_delimiter_and_comma_decimal",
        "layouts",
        (
            staged("lc1", amount=Decimal("12.50"), currency_code="EUR"),
            rejected("orders", "lc2", "unparseable_amount", "holds a comma"),
        ),
    ),
    Case(
        "tab_delimiter_and_crlf_line_ends",
        "layouts",
        (staged("ld1", amount_reporting=30.0),),
    ),
    Case(
        "stray_quote_in_a_value",
        "layouts",
        # the unmatched quote makes the reader take quotes as text in that file:
        # both quoted amounts are rejected, quoting visible in the detail
        (
            rejected("orders", "le1", "unparseable_amount", 'amount ""7.00"" is not'),
            rejected("orders", "le2", "unparseable_amount", 'amount ""7.50" is not'),
            staged("le3", amount_reporting=8.0),
        ),
    ),
    Case(
        "parquet_with_other_types_than_text",
        "parquet_other_types",
        (
            staged(
                "101",
                customer_id="7",
                ordered_at=dt.datetime(2024, 1, 6, 4, 30),
                amount_reporting=10.5,
            ),
            staged("102", amount_reporting=0.0, currency_code="USD"),
            staged("103", currency_code="EUR"),
            customer("8", country_code="NZ", created_at=dt.datetime(2023, 12, 2)),
        ),
    ),
    # ---------------------------------------------------------- whole pipeline
    Case(
        "one_customer_only",
        "one_customer",
        (pipeline_builds(fallback=True, repeat_purchases=True),),
    ),
    Case(
        "one_order_only",
        "one_order",
        (pipeline_builds(fallback=True, repeat_purchases=False),),
    ),
    Case(
        "nobody_with_a_repeat_purchase",
        "nobody_repeats",
        (
            pipeline_builds(fallback=True, repeat_purchases=False),
            lambda outcome: _orphan_in_dim_customers(outcome),
        ),
    ),
    Case(
        "all_orders_cancelled_rows_are_staged_as_non_purchases",
        "all_orders_cancelled",
        (
            staged("o1", order_status="cancelled", is_purchase=False),
            staged("o3", order_status="refunded", is_purchase=False),
        ),
    ),
    Case(
        "all_orders_cancelled_builds_finite_marts",
        "all_orders_cancelled",
        (
            pipeline_builds(fallback=True, repeat_purchases=False),
            lambda outcome: _customer_marts_empty(outcome),
        ),
    ),
]


def _customer_marts_empty(outcome: Outcome) -> None:
    """Without a purchase nobody is a buyer: the buyer-grain marts are built
    empty (their row-count tests pass) and every customer is a prospect."""
    for mart in (
        "fct_customer_clv",
        "fct_customer_value_grid",
        "fct_customer_churn_risk",
        "fct_customer_value_clusters",
    ):
        assert outcome.query(f"select count(*) as n from {mart}") == [(0,)], mart
    assert outcome.query(
        "select count(*) as n from dim_customers where has_purchased"
    ) == [(0,)]


def _orphan_in_dim_customers(outcome: Outcome) -> None:
    rows = outcome.query(
        "select customer_id, has_customer_record, has_purchased from dim_customers"
        " order by customer_id"
    )
    assert rows == [
        ("c1", True, True),
        ("c2", True, True),
        ("c3", True, True),
        ("c4", False, True),
    ]


# --- running -------------------------------------------------------------------


def _execute(name: str, directory: Path, results: Path) -> Outcome:
    """Write the run's files to the worker's directory and run dbt there, with
    a fresh warehouse; keep the warehouse and dbt's artifacts under results."""
    run = RUNS[name]
    for stale in [*directory.glob("orders*"), *directory.glob("customers*")]:
        stale.unlink()
    files = dict(run.files)
    if not run.parquet and not any(f.startswith("customers") for f in files):
        files["customers.csv"] = DEFAULT_CUSTOMERS
    for filename, content in files.items():
        path = directory / filename
        if callable(content):
            content(path)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode("utf-8"))
    work = directory / ("parquet" if run.parquet else "csv")
    for leftover in (
        work / "warehouse.duckdb",
        work / "warehouse.duckdb.wal",
        work / "target" / "run_results.json",
    ):
        leftover.unlink(missing_ok=True)
    result = run_dbt(list(run.scope), work, run.variables(directory))
    artifacts = results / name
    artifacts.mkdir(parents=True)
    database = artifacts / "warehouse.duckdb"
    if result.database.exists():
        shutil.move(result.database, database)
    for artifact in ("run_results.json", "manifest.json"):
        if (work / "target" / artifact).exists():
            shutil.copy(work / "target" / artifact, artifacts / artifact)
    return Outcome(
        DbtResult(result.returncode, result.output, database), directory, artifacts
    )


@pytest.fixture(scope="module")
def outcomes(request, tmp_path_factory) -> dict[str, Outcome]:
    """Run every file set that the selected cases need on two workers, the
    whole-pipeline runs first (they take longest)."""
    needed = {
        item.callspec.params["case"].run
        for item in request.session.items
        if item.module is request.module and hasattr(item, "callspec")
    }
    ordered = sorted(needed, key=lambda name: RUNS[name].scope != PIPELINE_SCOPE)
    base = tmp_path_factory.mktemp("catalogue")
    workers: queue.Queue[Path] = queue.Queue()
    for number in range(2):
        (base / f"worker{number}").mkdir()
        workers.put(base / f"worker{number}")

    def execute(name: str) -> Outcome:
        directory = workers.get()
        try:
            return _execute(name, directory, base / "results")
        finally:
            workers.put(directory)

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(execute, name) for name in ordered}
        return {name: future.result() for name, future in futures.items()}


def _params():
    for case in CASES:
        yield pytest.param(case, id=case.name, marks=case.marks)


@pytest.mark.parametrize("case", list(_params()))
def test_bad_input(case: Case, outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes[case.run]
    run = RUNS[case.run]
    if run.rows:
        if run.scope == ROW_SCOPE:
            assert outcome.result.ok, outcome.result.output
        accounted(run)(outcome)
    for check in case.checks:
        check(outcome)


def test_catalogue_covers_at_least_25_cases_and_every_run_is_used() -> None:
    assert len(CASES) >= 25
    assert {case.run for case in CASES} == set(RUNS)
    assert len({case.name for case in CASES}) == len(CASES)

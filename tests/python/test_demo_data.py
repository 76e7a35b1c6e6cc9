"""Tests of the deterministic demo data generator and its command line."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from customer_value import demo_data
from customer_value.demo_data import (
    CUSTOMER_COLUMNS,
    ORDER_COLUMNS,
    RATES_PER_USD,
    bad_row_counts,
    generate,
    main,
    write_table,
)

SMALL = {"n_customers": 300, "n_orders": 3000}
VALID = ", ".join(f"'{code}'" for code in RATES_PER_USD)


def _write(directory: Path, fmt: str, **kwargs: object) -> Path:
    orders, customers = generate(**kwargs)  # type: ignore[arg-type]
    directory.mkdir(parents=True, exist_ok=True)
    write_table(orders, directory / f"orders.{fmt}", fmt)
    write_table(customers, directory / f"customers.{fmt}", fmt)
    return directory


def _connect(directory: Path) -> duckdb.DuckDBPyConnection:
    """Tables loaded from the written CSV files, read as text like a raw source.

    Loaded into tables first: a bare try_cast over read_csv is pushed into the
    CSV scanner as a strict cast by DuckDB 2.0 (duckdb/duckdb#23818).
    """
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    for name in ("orders", "customers"):
        con.execute(
            f"create table {name} as select * from read_csv("
            f"'{directory / (name + '.csv')}', header = true, all_varchar = true)"
        )
    con.execute(
        "create view parsed as select *, "
        "try_cast(ordered_at as timestamptz) as ordered_ts, "
        "try_cast(amount as decimal(18, 2)) as amount_num from orders"
    )
    return con


@pytest.fixture(scope="module")
def default_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write(tmp_path_factory.mktemp("default"), "csv")


@pytest.fixture
def con(default_csv: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = _connect(default_csv)
    yield connection
    connection.close()


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    row = con.execute(sql).fetchone()
    assert row is not None
    return row[0]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_same_seed_gives_identical_bytes_and_another_seed_differs(
    tmp_path: Path, fmt: str
) -> None:
    first = _write(tmp_path / "a", fmt, seed=7, **SMALL)
    second = _write(tmp_path / "b", fmt, seed=7, **SMALL)
    other = _write(tmp_path / "c", fmt, seed=8, **SMALL)
    for name in (f"orders.{fmt}", f"customers.{fmt}"):
        assert (first / name).read_bytes() == (second / name).read_bytes()
        assert (first / name).read_bytes() != (other / name).read_bytes()


def test_columns_are_exactly_the_input_contract_and_all_text() -> None:
    orders, customers = generate(**SMALL)
    assert tuple(orders.column_names) == ORDER_COLUMNS
    assert tuple(customers.column_names) == CUSTOMER_COLUMNS
    assert ORDER_COLUMNS == (
        "order_id",
        "customer_id",
        "ordered_at",
        "amount",
        "currency",
        "status",
        "discount_amount",
    )
    assert CUSTOMER_COLUMNS == (
        "customer_id",
        "email",
        "phone",
        "created_at",
        "country",
        "acquisition_channel",
    )
    for table in (orders, customers):
        assert all(field.type == pa.string() for field in table.schema)


def test_parquet_keeps_every_column_as_string(tmp_path: Path) -> None:
    directory = _write(tmp_path, "parquet", **SMALL)
    for name in ("orders", "customers"):
        schema = pq.read_schema(directory / f"{name}.parquet")
        assert all(field.type == pa.string() for field in schema)


@pytest.mark.parametrize(("n_customers", "n_orders"), [(400, 12000), (5000, 50000)])
def test_order_row_count_is_within_5_percent_of_the_target(
    n_customers: int, n_orders: int
) -> None:
    orders, customers = generate(n_customers, n_orders, seed=3)
    assert abs(orders.num_rows - n_orders) <= 0.05 * n_orders
    duplicates = bad_row_counts(n_customers, n_orders)["duplicate_customer_row"]
    assert customers.num_rows == n_customers + duplicates


def test_ids_are_zero_padded_text() -> None:
    orders, customers = generate(**SMALL)
    assert customers["customer_id"][0].as_py() == "C0000001"
    assert orders["order_id"][0].as_py() == "O00000001"
    lengths = {len(v) for v in orders["order_id"].to_pylist()}
    assert lengths == {9}


def test_every_bad_row_kind_is_present_at_the_default_size_with_planned_counts(
    con: duckdb.DuckDBPyConnection,
) -> None:
    expected = bad_row_counts()
    assert all(count > 0 for count in expected.values())
    found = {
        "exact_duplicate": _one(
            con,
            "select count(*) - (select count(*) from (select distinct * from orders))"
            " from orders",
        ),
        "conflicting_duplicate": _one(
            con,
            "select count(*) from (select order_id from orders group by order_id "
            "having count(distinct status) > 1)",
        ),
        "missing_customer_id": _one(
            con, "select count(*) from orders where coalesce(customer_id, '') = ''"
        ),
        "zero_amount": _one(con, "select count(*) from parsed where amount_num = 0"),
        "negative_amount": _one(
            con, "select count(*) from parsed where amount_num < 0"
        ),
        "huge_amount": _one(
            con, "select count(*) from parsed where amount_num > 1000000"
        ),
        "non_numeric_amount": _one(
            con,
            "select count(*) from parsed "
            "where amount_num is null and amount is not null",
        ),
        "unknown_currency": _one(
            con, f"select count(*) from orders where upper(currency) not in ({VALID})"
        ),
        "lowercase_currency": _one(
            con,
            "select count(*) from orders "
            f"where currency <> upper(currency) and upper(currency) in ({VALID})",
        ),
        "bad_date": _one(con, "select count(*) from parsed where ordered_ts is null"),
        "duplicate_customer_row": _one(
            con,
            "select count(*) - "
            "(select count(*) from (select distinct * from customers)) from customers",
        ),
        "shared_email_pair": _one(
            con,
            "select count(*) from (select lower(trim(email)) from customers "
            "group by 1 having count(distinct customer_id) = 2)",
        ),
    }
    assert found == expected


def test_conflicting_duplicates_are_later_exports_that_undo_a_completed_order(
    default_csv: Path,
) -> None:
    orders = pa_csv.read_csv(
        default_csv / "orders.csv",
        convert_options=pa_csv.ConvertOptions(
            column_types=dict.fromkeys(ORDER_COLUMNS, pa.string())
        ),
    )
    versions: dict[str, list[str]] = {}
    for order_id, status in zip(
        orders["order_id"].to_pylist(), orders["status"].to_pylist(), strict=True
    ):
        versions.setdefault(order_id, []).append(status)
    conflicts = [v for v in versions.values() if len(set(v)) > 1]
    assert len(conflicts) == bad_row_counts()["conflicting_duplicate"]
    for statuses in conflicts:
        assert statuses == [statuses[0], statuses[-1]]
        assert statuses[0] == "completed"
        assert statuses[-1] in {"refunded", "returned", "cancelled"}


def test_csv_keeps_stray_spaces_and_mixed_case_in_emails(
    con: duckdb.DuckDBPyConnection,
) -> None:
    spaced, mixed = con.execute(
        "select count(*) filter (where email <> trim(email)), "
        "count(*) filter (where email <> lower(email)) from customers"
    ).fetchone()  # type: ignore[misc]
    assert spaced > 50
    assert mixed > 200


def test_zero_amount_orders_exist_and_are_otherwise_valid_completed_purchases(
    con: duckdb.DuckDBPyConnection,
) -> None:
    rows = con.execute(
        "select status, currency, ordered_ts, customer_id from parsed "
        "where amount_num = 0"
    ).fetchall()
    assert len(rows) == bad_row_counts()["zero_amount"]
    for status, currency, ordered_ts, customer_id in rows:
        assert status == "completed"
        assert currency in RATES_PER_USD
        assert ordered_ts is not None
        assert customer_id


def test_no_customer_first_purchase_precedes_created_at(
    con: duckdb.DuckDBPyConnection,
) -> None:
    checked, early = con.execute(
        "with first_orders as (select customer_id, min(ordered_ts) as first_at "
        "from parsed where ordered_ts is not null group by customer_id) "
        "select count(*), "
        "count(*) filter (where f.first_at < c.created_at::timestamptz) "
        "from first_orders f join customers c using (customer_id)"
    ).fetchone()  # type: ignore[misc]
    assert checked > 4000
    assert early == 0


def test_ordered_at_mixes_the_four_iso_styles(con: duckdb.DuckDBPyConnection) -> None:
    patterns = {
        "utc_z": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$",
        "offset": r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d\d:\d\d$",
        "naive": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$",
        "date_only": r"^\d{4}-\d\d-\d\d$",
    }
    for name, pattern in patterns.items():
        share = _one(
            con,
            "select avg(case when regexp_matches(ordered_at, "
            f"'{pattern}') then 1.0 else 0 end) from orders",
        )
        assert 0.03 < share < 0.6, name  # type: ignore[operator]


def test_prospects_and_customers_missing_from_the_file_have_realistic_shares(
    con: duckdb.DuckDBPyConnection,
) -> None:
    prospects = _one(
        con,
        "select avg(case when customer_id in (select customer_id from orders "
        "where customer_id is not null) then 0.0 else 1.0 end) "
        "from (select distinct customer_id from customers)",
    )
    orphans = _one(
        con,
        "select avg(case when customer_id in (select customer_id from customers) "
        "then 0.0 else 1.0 end) from (select distinct customer_id from orders "
        "where customer_id is not null)",
    )
    assert 0.08 < prospects < 0.14  # type: ignore[operator]
    assert 0.005 < orphans < 0.02  # type: ignore[operator]


def test_typical_order_is_20_to_200_in_usd(con: duckdb.DuckDBPyConnection) -> None:
    median = _one(
        con,
        "select median(amount_num) from parsed where currency = 'USD' "
        "and amount_num > 0",
    )
    assert 20 < median < 200  # type: ignore[operator]


def test_referral_customers_repeat_more_than_paid_social_customers(
    con: duckdb.DuckDBPyConnection,
) -> None:
    means = dict(
        con.execute(
            "with per as (select customer_id, count(distinct order_id) as n "
            "from orders group by 1) "
            "select acquisition_channel, avg(n) from per "
            "join (select distinct customer_id, acquisition_channel from customers) "
            "using (customer_id) group by 1"
        ).fetchall()
    )
    assert set(means) == set(demo_data.CHANNELS)
    assert means["referral"] > 1.5 * means["paid_social"]
    assert means["organic"] > means["marketplace"]


def test_cli_writes_both_files_atomically_and_leaves_no_temp_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "demo"
    for fmt in ("csv", "parquet"):
        argv = ["--customers", "200", "--orders", "2000", "--seed", "1"]
        assert main([*argv, "--out", str(out), "--format", fmt]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "customers.csv",
        "customers.parquet",
        "orders.csv",
        "orders.parquet",
    ]
    printed = capsys.readouterr().out
    assert "simulating" in printed
    assert "writing orders.csv (" in printed


def test_a_failed_write_keeps_the_previous_file_and_removes_the_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    orders, _ = generate(**SMALL)
    target = tmp_path / "orders.parquet"
    target.write_bytes(b"previous")

    def broken(table: pa.Table, where: str, **kwargs: object) -> None:
        Path(where).write_bytes(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", broken)
    with pytest.raises(OSError, match="disk full"):
        write_table(orders, target, "parquet")
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["orders.parquet"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--customers", "5000", "--orders", "1000"], "must be at least the number"),
        (["--format", "xlsx"], "invalid choice: 'xlsx'"),
        (["--customers", "10", "--orders", "1000"], "at least 100"),
        (["--start", "2024-02-30"], "start must be an ISO date"),
        (["--start", "2025-01-01", "--end", "2024-01-01"], "at least 30 days"),
        (["--orders", "many"], "invalid int value"),
        (["--seed", "-1"], "non-negative"),
    ],
)
def test_cli_fails_with_a_clear_message_on_bad_arguments(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--out", str(tmp_path / "out")])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_generate_rejects_too_few_orders() -> None:
    with pytest.raises(ValueError, match="at least the number of customers"):
        generate(n_customers=1000, n_orders=999)


def test_module_runs_as_a_script(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "customer_value.demo_data",
            "--customers",
            "150",
            "--orders",
            "1500",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "done" in result.stdout
    assert (tmp_path / "orders.csv").read_text().startswith(",".join(ORDER_COLUMNS))

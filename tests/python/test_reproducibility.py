"""Two builds at the same as_of_date give identical marts, and so does a build
after orders dated later than as_of_date were appended to the input.

Every mart (every table model under models/marts) is reduced to an
order-independent content hash: the md5 of the sorted md5s of its rows, each
row in its text form, so that two marts hash alike only when they hold the same
rows with the same values, in any order. Floating-point values enter with 12
significant digits: DuckDB sums doubles in parallel, in an order that can change
their last bits from one run to the next (about 1e-16 relative); every other
value must match exactly.
"""

from __future__ import annotations

import csv
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pytest
from dbt_helpers import DbtResult, run_dbt, write_demo_data

AS_OF = "2025-06-30"
# seeds and models, no tests: this module is about the content of the marts
BUILD = ["build", "--resource-type", "seed", "--resource-type", "model"]
# orders dated after AS_OF (in UTC), appended to the input of the last build;
# the first is on as_of_date in New York but already the next day in UTC
LATER_ORDERS = [
    ("Z1", "C0000001", "2025-06-30T23:30:00-05:00", "25.00", "USD", "completed"),
    ("Z2", "C0000002", "2025-07-01T00:00:00Z", "10.00", "EUR", "completed"),
    ("Z3", "C0000003", "2025-09-15", "0", "USD", "completed"),
    ("Z4", "C0000004", "2025-10-01", "99.00", "USD", "refunded"),
    ("Z5", "C9999999", "2025-12-24T12:00:00+01:00", "42.00", "GBP", "completed"),
    ("Z6", "C0000005", "2025-08-01", "-3.00", "USD", "completed"),
]


def mart_names(target: Path) -> list[str]:
    """The models under models/marts that are relations of their own (tables,
    incremental tables and views, e.g. fct_orders on DuckDB), from the build's
    manifest."""
    manifest = json.loads((target / "manifest.json").read_text())
    return sorted(
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and node["original_file_path"].startswith("models/marts/")
        and node["config"]["materialized"] in ("table", "incremental", "view")
    )


def row_text_sql(
    con: duckdb.DuckDBPyConnection, table: str, skip: frozenset[str] = frozenset()
) -> str:
    """SQL text of one row of the table: every column (but those in ``skip``) as
    text (doubles with 12 significant digits, null as a marker), separated by a
    unit separator."""
    parts = []
    for column, data_type in con.execute(
        "select column_name, data_type from information_schema.columns"
        " where table_schema = 'main' and table_name = ? order by ordinal_position",
        [table],
    ).fetchall():
        if column in skip:
            continue
        quoted = '"' + column.replace('"', '""') + '"'
        value = (
            f"printf('%.12g', {quoted})"
            if data_type in ("DOUBLE", "FLOAT")
            else f"cast({quoted} as varchar)"
        )
        parts.append(f"coalesce({value}, chr(0))")
    return " || chr(31) || ".join(parts)


def hash_relations(
    con: duckdb.DuckDBPyConnection,
    relations: list[str],
    skip: frozenset[str] = frozenset(),
) -> dict[str, tuple[int, str]]:
    """Row count and order-independent content hash of each table or view of
    the main schema (without the columns named in ``skip``)."""
    return {
        relation: con.execute(
            "select count(*), md5(coalesce(string_agg(row_hash, '' order by"
            f" row_hash), '')) from (select md5({row_text_sql(con, relation, skip)})"
            f' as row_hash from "{relation}")'
        ).fetchone()
        for relation in relations
    }


def content_hashes(
    database: Path, tables: list[str], skip: frozenset[str] = frozenset()
) -> dict[str, tuple[int, str]]:
    """Row count and order-independent content hash of each table."""
    with duckdb.connect(str(database), read_only=True) as con:
        return hash_relations(con, tables, skip)


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> dict[str, DbtResult]:
    """Two builds of one input (at the same time, into two warehouses), then
    a third after appending LATER_ORDERS to that same input file."""
    base = tmp_path_factory.mktemp("reproducibility")
    data = base / "data"
    write_demo_data(data, customers=300, orders=3000, seed=11)
    variables = {
        "orders_path": str(data / "orders.csv"),
        "customers_path": str(data / "customers.csv"),
        "as_of_date": AS_OF,
    }
    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = pool.map(
            lambda name: run_dbt(BUILD, base / name, variables), ["first", "second"]
        )
    with open(data / "orders.csv", newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    with open(data / "orders.csv", "a", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        for order in LATER_ORDERS:
            writer.writerow(
                dict(
                    zip(
                        (
                            "order_id",
                            "customer_id",
                            "ordered_at",
                            "amount",
                            "currency",
                            "status",
                        ),
                        order,
                        strict=True,
                    )
                )
            )
    appended = run_dbt(BUILD, base / "appended", variables)
    for result in (first, second, appended):
        assert result.ok, result.output
    return {"first": first, "second": second, "appended": appended}


@pytest.fixture(scope="module")
def marts(builds) -> list[str]:
    names = mart_names(builds["first"].database.parent / "target")
    assert {"dim_customers", "fct_orders", "fct_customer_clv"} <= set(names), names
    return names


def test_two_builds_of_the_same_input_give_identical_marts(builds, marts):
    first = content_hashes(builds["first"].database, marts)
    second = content_hashes(builds["second"].database, marts)
    assert first["dim_customers"][0] > 100, "the marts are (nearly) empty"
    differing = sorted(name for name in marts if first[name] != second[name])
    assert differing == [], f"marts differ between two identical builds: {differing}"


def test_orders_after_as_of_date_change_no_mart(builds, marts):
    """Appended later orders are read (the reconciliation counts them, staging
    holds the valid ones) and change no other mart."""
    first = content_hashes(builds["first"].database, marts)
    appended = content_hashes(builds["appended"].database, marts)
    differing = sorted(
        name
        for name in marts
        if name != "fct_source_row_reconciliation" and first[name] != appended[name]
    )
    assert differing == [], f"orders after as_of_date changed: {differing}"

    def orders_read(database: Path) -> int:
        with duckdb.connect(str(database), read_only=True) as con:
            return con.execute(
                "select rows_read from fct_source_row_reconciliation"
                " where source_table = 'orders'"
            ).fetchone()[0]

    assert orders_read(builds["appended"].database) == orders_read(
        builds["first"].database
    ) + len(LATER_ORDERS)
    with duckdb.connect(str(builds["appended"].database), read_only=True) as con:
        staged = con.execute(
            "select order_id from stg_shop__orders where order_id like 'Z%'"
            " order by order_id"
        ).fetchall()
        visible = con.execute(
            "select count(*) from fct_orders where order_id like 'Z%'"
        ).fetchone()
    # Z6 (negative amount) is rejected; the others are staged, none visible
    assert staged == [("Z1",), ("Z2",), ("Z3",), ("Z4",), ("Z5",)]
    assert visible == (0,)


def test_content_hash_tells_tables_apart(tmp_path):
    """The hash sees a changed value, a dropped row, a null and a float changed
    in its 10th digit, and ignores row order and a float's 17th digit."""
    database = tmp_path / "hash.duckdb"
    with duckdb.connect(str(database)) as con:
        for name, rows in {
            "a": "(1, 'x', 0.1), (2, 'y', 0.2)",
            "b": "(2, 'y', 0.2), (1, 'x', 0.1)",
            "c": "(1, 'x', 0.1), (2, 'z', 0.2)",
            "d": "(1, 'x', 0.1)",
            "e": "(1, 'x', 0.1), (2, 'y', 0.2 + 1e-10)",
            "f": "(1, 'x', 0.1), (2, 'y', 0.2 + 1e-16)",
            "g": "(1, 'x', 0.1), (2, null, 0.2)",
        }.items():
            con.execute(
                f"create table {name} as select n, s, cast(f as double) as f"
                f" from (values {rows}) as v(n, s, f)"
            )
    hashes = content_hashes(database, list("abcdefg"))
    assert hashes["a"] == hashes["b"] == hashes["f"]
    assert len({hashes[name] for name in "acdeg"}) == 5

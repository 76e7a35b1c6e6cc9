"""Incremental staging (`incremental_staging: true`) gives the same results as a
build from scratch, and parses only what is new.

The orders arrive as one file per delivery in a folder. A warehouse built
incrementally goes through: the first delivery; a second delivery (one day of
orders) appended; the first file changed (one amount edited, one order of the
second delivery repeated with other values, so de-duplication must see both
files); the second file removed; a rule variable changed. After each step its
staging tables (and, after the appended day, every mart) are compared by content
hash with a warehouse built from scratch on the same files, variables and
as_of_date, and the parse must have recomputed only the order ids a change can
touch (the ids on the rows of the new or changed file; every id once the rules
changed).
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import duckdb
import pytest
from dbt_helpers import DbtResult, run_dbt, write_demo_data
from test_reproducibility import content_hashes, mart_names

AS_OF = "2025-06-30"
MODELS = ["build", "--resource-type", "seed", "--resource-type", "model"]
# staging and the row reconciliation: everything the parse feeds directly
STAGING = [
    "build",
    "--select",
    "+stg_shop__orders",
    "+stg_shop__rejected_rows",
    "+fct_source_row_reconciliation",
    "--exclude",
    "resource_type:unit_test",
]
STAGING_TABLES = [
    "stg_shop__orders_parsed",
    "stg_shop__orders",
    "stg_shop__rejected_rows",
    "fct_source_row_reconciliation",
]


def read_rows(path: Path) -> tuple[list[str], list[dict]]:
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames), list(reader)


def write_rows(path: Path, header: list[str], rows: list[dict]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


class Warehouses:
    """An incremental warehouse and fresh full builds, on one set of files."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.data = base / "data"
        self.deliveries = self.data / "orders"
        self.steps = 0
        self.rules: dict = {}  # rule variables set on both kinds of build

    def variables(self, incremental: bool) -> dict:
        return {
            "orders_path": str(self.deliveries / "*.csv"),
            "customers_path": str(self.data / "customers.csv"),
            "as_of_date": AS_OF,
            "incremental_staging": incremental,
            **self.rules,
        }

    def incremental(self, command: list[str]) -> DbtResult:
        result = run_dbt(command, self.base / "incremental", self.variables(True))
        assert result.ok, result.output
        return result

    def from_scratch(self, command: list[str]) -> DbtResult:
        self.steps += 1
        result = run_dbt(
            command, self.base / f"scratch_{self.steps}", self.variables(False)
        )
        assert result.ok, result.output
        return result


def typed_files(database: Path) -> dict[str, tuple[int, object]]:
    """Rows and load time of each file in the kept typed rows."""
    with duckdb.connect(str(database), read_only=True) as con:
        return {
            Path(file).name: (rows, loaded_at)
            for file, rows, loaded_at in con.execute(
                "select source_file, count(*), max(loaded_at)"
                " from base_shop__orders_typed group by source_file"
            ).fetchall()
        }


def files_parsed(result: DbtResult) -> int:
    """The number of files the run reported parsing."""
    for line in result.output.splitlines():
        if "incremental staging:" in line:
            return int(line.split("incremental staging:")[1].split()[0])
    raise AssertionError(f"no incremental staging line in the log:\n{result.output}")


# What the incremental parse keeps to know what to recompute: when and from
# which file version each row was parsed, and with which rules.
BOOKKEEPING = frozenset({"source_loaded_at", "rules_fingerprint", "parsed_at"})


def parse_times(database: Path) -> dict[str | None, object]:
    """When the kept parsed rows of each order id were parsed."""
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            "select order_id, max(parsed_at) from stg_shop__orders_parsed group by 1"
        ).fetchall()
    return dict(rows)


def assert_same(incremental: Path, scratch: Path, tables: list[str]) -> None:
    built = content_hashes(incremental, tables, BOOKKEEPING)
    expected = content_hashes(scratch, tables)
    differing = sorted(name for name in tables if built[name] != expected[name])
    assert differing == [], f"incremental build differs from scratch: {differing}"


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory) -> Warehouses:
    houses = Warehouses(tmp_path_factory.mktemp("incremental_staging"))
    write_demo_data(houses.data, customers=300, orders=3000, seed=23)
    header, rows = read_rows(houses.data / "orders.csv")
    (houses.data / "orders.csv").unlink()
    houses.deliveries.mkdir()
    # the last day on or before as_of_date arrives as a delivery of its own
    last_day = max(
        row["ordered_at"][:10] for row in rows if row["ordered_at"][:10] <= AS_OF
    )
    houses.last_day = last_day
    houses.header = header
    houses.first = [row for row in rows if row["ordered_at"][:10] != last_day]
    houses.second = [row for row in rows if row["ordered_at"][:10] == last_day]
    assert houses.second, "the demo data has no order on its last day"
    write_rows(houses.deliveries / "orders_1.csv", header, houses.first)
    return houses


def test_daily_append_and_file_changes_match_a_build_from_scratch(warehouses):
    houses = warehouses
    database = houses.base / "incremental" / "warehouse.duckdb"

    # 1. first delivery: everything is parsed
    houses.incremental(STAGING)
    loaded_first = typed_files(database)
    assert list(loaded_first) == ["orders_1.csv"]
    parsed_first = parse_times(database)

    # 2. one day appended as a file of its own: only that file is parsed, the
    #    first file's rows are kept as they were; every mart equals a full build
    write_rows(houses.deliveries / "orders_2.csv", houses.header, houses.second)
    appended = houses.incremental(MODELS)
    assert files_parsed(appended) == 1
    # the parse recomputed the ids of the new file only
    parsed_second = parse_times(database)
    new_ids = {row["order_id"].strip() or None for row in houses.second}
    recomputed = {i for i, at in parsed_second.items() if at != parsed_first.get(i)}
    assert recomputed == new_ids
    loaded = typed_files(database)
    assert loaded["orders_1.csv"] == loaded_first["orders_1.csv"]
    assert loaded["orders_2.csv"][0] == len(houses.second)
    scratch = houses.from_scratch(MODELS)
    marts = mart_names(houses.base / "incremental" / "target")
    assert {"dim_customers", "fct_customer_clv", "fct_customer_churn_risk"} <= set(
        marts
    )
    assert_same(database, scratch.database, STAGING_TABLES + marts)
    with duckdb.connect(str(database), read_only=True) as con:
        (staged_last_day,) = con.execute(
            "select count(*) from stg_shop__orders where ordered_date = ?",
            [houses.last_day],
        ).fetchone()
    assert staged_last_day > 0

    # 3. the first file changes: one amount edited and one order of the second
    #    delivery repeated with another amount (a conflict across files)
    changed = [dict(row) for row in houses.first]
    changed[0]["amount"] = "12345.67"
    conflict = dict(houses.second[0])
    conflict["amount"] = "1.00"
    changed.append(conflict)
    first_file = houses.deliveries / "orders_1.csv"
    before = first_file.stat()
    write_rows(first_file, houses.header, changed)
    # a later modification time even on a coarse file-system clock
    os.utime(first_file, (before.st_atime + 5, before.st_mtime + 5))
    after_change = houses.incremental(STAGING)
    assert files_parsed(after_change) == 1
    assert typed_files(database)["orders_2.csv"] == loaded["orders_2.csv"]
    scratch = houses.from_scratch(STAGING)
    assert_same(database, scratch.database, STAGING_TABLES)
    with duckdb.connect(str(database), read_only=True) as con:
        reasons = con.execute(
            "select rejection_reason, count(*) from stg_shop__rejected_rows"
            " where source_table = 'orders' and record_key = ? group by 1",
            [conflict["order_id"]],
        ).fetchall()
    assert reasons == [("conflicting_duplicate_order_id", 1)]

    # 4. the second file is removed: its rows leave staging
    (houses.deliveries / "orders_2.csv").unlink()
    after_removal = houses.incremental(STAGING)
    assert files_parsed(after_removal) == 0
    assert list(typed_files(database)) == ["orders_1.csv"]
    scratch = houses.from_scratch(STAGING)
    assert_same(database, scratch.database, STAGING_TABLES)

    # 5. a rule variable changes: every order id is parsed again by the new rule
    before_rules = parse_times(database)
    houses.rules = {"max_order_amount": 500}
    after_rules = houses.incremental(STAGING)
    assert files_parsed(after_rules) == 0
    parsed_again = parse_times(database)
    assert all(parsed_again[i] > at for i, at in before_rules.items())
    scratch = houses.from_scratch(STAGING)
    assert_same(database, scratch.database, STAGING_TABLES)
    with duckdb.connect(str(database), read_only=True) as con:
        (above_max,) = con.execute(
            "select count(*) from stg_shop__orders_parsed"
            " where rejection_reason = 'amount_above_max'"
        ).fetchone()
    assert above_max > 0


def test_incremental_staging_must_be_a_boolean(tmp_path):
    result = run_dbt(
        ["compile", "--select", "base_shop__orders_typed"],
        tmp_path,
        {"incremental_staging": "yes"},
    )
    assert not result.ok
    assert "incremental_staging must be true or false" in result.output

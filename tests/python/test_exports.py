"""Parquet exports of the marts: every mart with its row count, a manifest
written last, and files that a reader only ever sees complete."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from customer_value import exports
from customer_value.exports import MANIFEST_NAME, export_marts, main


def _warehouse(path: Path, orders: int = 1000, as_of: str = "2025-12-31") -> Path:
    """A small warehouse: two marts, an intermediate table and a view that is
    no mart."""
    with duckdb.connect(str(path)) as con:
        con.execute(
            "create or replace table fct_orders as"
            " select 'o' || i as order_id, i % 97 as customer_number,"
            " cast(i as decimal(18, 2)) as amount,"
            f" date '{as_of}' as as_of_date, 'USD' as reporting_currency"
            f" from range({orders}) as t(i)"
        )
        con.execute(
            "create or replace table dim_customers as"
            " select 'c' || i as customer_id, i % 5 = 0 as has_churn_warning,"
            f" date '{as_of}' as as_of_date from range(97) as t(i)"
        )
        con.execute("create or replace table int_orders_sequenced as select 1 as x")
        con.execute("create or replace view stg_view as select 1 as x")
    return path


def _rows(path: Path) -> int:
    return pq.read_table(path).num_rows


def test_every_mart_is_exported_with_its_row_count_and_the_manifest(tmp_path):
    database = _warehouse(tmp_path / "w.duckdb")
    out = tmp_path / "out"
    manifest = export_marts(database, out)
    assert sorted(p.name for p in out.glob("*.parquet")) == [
        "dim_customers.parquet",
        "fct_orders.parquet",
    ]
    assert _rows(out / "fct_orders.parquet") == 1000
    assert _rows(out / "dim_customers.parquet") == 97
    on_disk = json.loads((out / MANIFEST_NAME).read_text())
    assert on_disk == manifest
    assert [(t["name"], t["rows"]) for t in on_disk["tables"]] == [
        ("dim_customers", 97),
        ("fct_orders", 1000),
    ]
    assert on_disk["tables"][1]["columns"]["amount"] == "DECIMAL(18,2)"
    assert on_disk["as_of_date"] == "2025-12-31"
    assert on_disk["reporting_currency"] == "USD"
    assert list(on_disk)[-1] == "as_of_date"


def test_files_are_renamed_into_place_complete_and_the_manifest_last(
    tmp_path, monkeypatch
):
    database = _warehouse(tmp_path / "w.duckdb", orders=1000)
    out = tmp_path / "out"
    export_marts(database, out)
    _warehouse(database, orders=2500, as_of="2026-01-31")
    real_replace = os.replace
    seen: list[str] = []

    def checked_replace(source, destination):
        source, destination = Path(source), Path(destination)
        assert source.parent == destination.parent
        assert source.name.startswith(".") and not source.name.endswith(".parquet")
        if destination.name == "fct_orders.parquet":
            assert _rows(source) == 2500  # the new file is complete ...
            assert _rows(destination) == 1000  # ... and the old one still in place
        if destination.name == MANIFEST_NAME:
            assert json.loads(source.read_text())["as_of_date"] == "2026-01-31"
            assert json.loads(destination.read_text())["as_of_date"] == "2025-12-31"
        seen.append(destination.name)
        real_replace(source, destination)

    monkeypatch.setattr(exports.os, "replace", checked_replace)
    export_marts(database, out)
    assert seen == ["dim_customers.parquet", "fct_orders.parquet", MANIFEST_NAME]
    assert _rows(out / "fct_orders.parquet") == 2500


def test_an_export_interrupted_while_writing_leaves_the_previous_files(
    tmp_path, monkeypatch
):
    database = _warehouse(tmp_path / "w.duckdb", orders=1000)
    out = tmp_path / "out"
    export_marts(database, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    _warehouse(database, orders=5000, as_of="2026-01-31")

    def half_written_then_interrupted(path):
        data = Path(path).read_bytes()
        Path(path).write_bytes(data[: len(data) // 2])
        raise KeyboardInterrupt

    monkeypatch.setattr(exports, "_fsync_file", half_written_then_interrupted)
    with pytest.raises(KeyboardInterrupt):
        export_marts(database, out)
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert after == before  # no temporary left, every file as it was
    assert _rows(out / "dim_customers.parquet") == 97
    assert json.loads((out / MANIFEST_NAME).read_text())["as_of_date"] == "2025-12-31"


def test_a_row_count_mismatch_keeps_the_previous_file(tmp_path, monkeypatch):
    database = _warehouse(tmp_path / "w.duckdb", orders=1000)
    out = tmp_path / "out"
    export_marts(database, out, tables=["fct_orders"])

    class ShortMetadata:
        num_rows = 1

    monkeypatch.setattr(exports.pq, "read_metadata", lambda path: ShortMetadata())
    _warehouse(database, orders=3000)
    with pytest.raises(RuntimeError, match="wrote 1 rows but the table has 3000"):
        export_marts(database, out, tables=["fct_orders"])
    monkeypatch.undo()
    assert _rows(out / "fct_orders.parquet") == 1000
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_a_killed_export_leaves_a_hidden_temporary_that_the_next_one_removes(
    tmp_path,
):
    database = _warehouse(tmp_path / "w.duckdb")
    out = tmp_path / "out"
    out.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    abandoned = out / f".fct_orders.parquet.{dead.pid}.tmp"
    abandoned.write_bytes(b"PAR1 half a file")
    running = out / f".dim_customers.parquet.{os.getppid()}.tmp"
    running.write_bytes(b"PAR1 still being written")
    assert list(out.glob("*.parquet")) == []  # readers' globs never match them
    export_marts(database, out)
    assert not abandoned.exists()
    assert running.exists()


def test_readers_never_see_a_partial_file_while_exports_run(tmp_path):
    database = _warehouse(tmp_path / "w.duckdb", orders=400_000)
    out = tmp_path / "out"
    export_marts(database, out, tables=["fct_orders"])
    target = out / "fct_orders.parquet"
    done = threading.Event()
    errors: list[BaseException] = []

    def export_repeatedly():
        try:
            for _ in range(8):
                export_marts(database, out, tables=["fct_orders"])
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            done.set()

    writer = threading.Thread(target=export_repeatedly)
    writer.start()
    reads = 0
    while not done.is_set() or reads < 20:
        assert pq.read_table(target).num_rows == 400_000
        reads += 1
    writer.join()
    assert not errors
    assert reads >= 20


def test_a_mart_that_is_a_view_is_exported_and_dbt_temporaries_are_not(tmp_path):
    database = _warehouse(tmp_path / "w.duckdb")
    with duckdb.connect(str(database)) as con:
        con.execute(
            "create view fct_large_orders as select * from fct_orders"
            " where amount >= 500"
        )
        con.execute("create view fct_large_orders__dbt_tmp as select 1 as x")
    manifest = export_marts(database, tmp_path / "out")
    assert [(t["name"], t["rows"]) for t in manifest["tables"]] == [
        ("dim_customers", 97),
        ("fct_large_orders", 500),
        ("fct_orders", 1000),
    ]
    assert _rows(tmp_path / "out" / "fct_large_orders.parquet") == 500


def test_stale_files_of_marts_that_no_longer_exist_are_removed(tmp_path):
    database = _warehouse(tmp_path / "w.duckdb")
    out = tmp_path / "out"
    export_marts(database, out)
    (out / "notes.txt").write_text("kept")
    with duckdb.connect(str(database)) as con:
        con.execute("drop table dim_customers")
    manifest = export_marts(database, out)
    assert [t["name"] for t in manifest["tables"]] == ["fct_orders"]
    assert not (out / "dim_customers.parquet").exists()
    assert (out / "notes.txt").exists()


def test_a_database_locked_by_a_writer_is_refused_and_exports_are_kept(tmp_path):
    database = _warehouse(tmp_path / "w.duckdb")
    out = tmp_path / "out"
    export_marts(database, out)
    before = (out / MANIFEST_NAME).read_bytes()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time\n"
            f"con = duckdb.connect({str(database)!r})\n"
            "print('locked', flush=True)\n"
            "sys.stdin.read()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(RuntimeError, match="is a dbt build running"):
            export_marts(database, out)
    finally:
        holder.communicate("", timeout=30)
    assert (out / MANIFEST_NAME).read_bytes() == before


def test_unknown_tables_and_missing_databases_are_errors(tmp_path):
    database = _warehouse(tmp_path / "w.duckdb")
    with pytest.raises(ValueError, match="int_orders_sequenced"):
        export_marts(database, tmp_path / "out", tables=["int_orders_sequenced"])
    with pytest.raises(FileNotFoundError, match="make build"):
        export_marts(tmp_path / "missing.duckdb", tmp_path / "out")


def test_command_line_reports_progress_and_fails_cleanly(tmp_path, capsys):
    database = _warehouse(tmp_path / "w.duckdb")
    out = tmp_path / "out"
    assert main(["--database", str(database), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "[ 1/2] dim_customers: 97 rows" in printed
    assert "[ 2/2] fct_orders: 1,000 rows" in printed
    assert "as_of_date 2025-12-31" in printed
    assert main(["--database", str(tmp_path / "none.duckdb"), "--out", str(out)]) == 1
    assert "no warehouse at" in capsys.readouterr().err

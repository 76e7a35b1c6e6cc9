"""A build killed mid-way leaves the previous marts readable and intact, and so
does an export of the marts to Parquet killed mid-way.

A warehouse is built (build A) and its marts exported. A second build with
another as_of_date (build B, so that its marts differ) is started on the same
warehouse and killed with SIGKILL once it has replaced a third of the marts and
is building another. Each mart is replaced in one transaction, so afterwards every
mart of A is still there and readable, holding either A's rows or, for the marts
B had finished, B's rows - never a mix, never a missing or half-written table.
Build B is then run again to completion on the same warehouse, which tells B's
rows apart and shows that the warehouse recovered. The Parquet export is killed
the same way and leaves only complete files, each the previous export's or the
new one's, with the previous manifest until an export completes.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from dbt_helpers import DBT, PROJECT_DIR, run_dbt, write_demo_data
from test_reproducibility import content_hashes, hash_relations, mart_names

BUILD = ["build", "--resource-type", "seed", "--resource-type", "model"]
EXPORT_SCRIPT = PROJECT_DIR / "scripts" / "export_marts.py"
MODEL_EVENT = re.compile(r"(START|OK created) (?:sql|python) \w+ model \w+\.(\w+)")


def _start(command: list[str], env_database: Path) -> subprocess.Popen:
    env = dict(os.environ)
    env.update(
        DBT_PROFILES_DIR=str(PROJECT_DIR),
        CUSTOMER_VALUE_DUCKDB_PATH=str(env_database),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        NO_COLOR="1",
        PYTHONUNBUFFERED="1",
    )
    return subprocess.Popen(
        command,
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _kill(process: subprocess.Popen) -> str:
    """SIGKILL the process (and its process group, which it leads) and return
    the rest of its output."""
    os.killpg(process.pid, signal.SIGKILL)
    rest, _ = process.communicate(timeout=60)
    return rest


def _parquet_hashes(directory: Path) -> dict[str, tuple[int, str]]:
    with duckdb.connect() as con:
        names = []
        for path in sorted(directory.glob("*.parquet")):
            con.execute(
                f"create view \"{path.stem}\" as select * from read_parquet('{path}')"
            )
            names.append(path.stem)
        return hash_relations(con, names)


def _export(database: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            str(EXPORT_SCRIPT),
            "--database",
            str(database),
            "--out",
            str(out),
        ],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )


def _exported(completed: subprocess.CompletedProcess) -> None:
    assert completed.returncode == 0, completed.stdout + completed.stderr


@pytest.fixture(scope="module")
def crash(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("crash")
    write_demo_data(base / "data", customers=300, orders=3000, seed=3)
    variables = {
        "orders_path": str(base / "data" / "orders.csv"),
        "customers_path": str(base / "data" / "customers.csv"),
        "as_of_date": "2025-06-30",
    }
    workdir = base / "warehouse"
    first = run_dbt(BUILD, workdir, variables)
    assert first.ok, first.output
    marts = mart_names(workdir / "target")
    before = content_hashes(first.database, marts)
    # the export of A is checked by the export tests, not here, so that the
    # warehouse tests stand on their own
    exports = base / "exports"
    export_before = _export(first.database, exports)
    exported_before = _parquet_hashes(exports)

    # build B, killed once it has replaced a third of the marts and is building
    # another
    later = {**variables, "as_of_date": "2025-03-31"}
    process = _start(
        [
            str(DBT),
            *BUILD,
            "--target-path",
            str(base / "killed_target"),
            "--log-path",
            str(base / "killed_logs"),
            "--no-use-colors",
            "--vars",
            json.dumps(later),
        ],
        first.database,
    )
    finished, started, output = [], [], []
    for line in process.stdout:
        output.append(line)
        event = MODEL_EVENT.search(line)
        if event and event.group(2) in marts:
            (started if event.group(1) == "START" else finished).append(event.group(2))
            if len(finished) >= len(marts) // 3 and len(started) > len(finished):
                break
    else:
        pytest.fail("the build ended before it could be killed:\n" + "".join(output))
    output.append(_kill(process))
    after_kill = {}
    with duckdb.connect(str(first.database), read_only=True) as con:
        present = {
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables"
                " where table_schema = 'main'"
            ).fetchall()
        }
        after_kill = hash_relations(con, [m for m in marts if m in present])
    exported_after_kill = _parquet_hashes(exports)

    # build B again, to completion, on the same warehouse
    second = run_dbt(BUILD, workdir, later)
    assert second.ok, second.output
    rebuilt = content_hashes(second.database, marts)
    with duckdb.connect(str(second.database), read_only=True) as con:
        leftovers = con.execute(
            "select table_name from information_schema.tables"
            " where table_name like '%__dbt_tmp' or table_name like '%__dbt_backup'"
        ).fetchall()
    return {
        "base": base,
        "database": second.database,
        "marts": marts,
        "before": before,
        "after_kill": after_kill,
        "rebuilt": rebuilt,
        "finished_before_kill": finished,
        "returncode": process.returncode,
        "exports": exports,
        "export_before": export_before,
        "exported_before": exported_before,
        "exported_after_kill": exported_after_kill,
        "leftovers": leftovers,
    }


def test_the_build_was_killed_mid_way(crash):
    assert crash["returncode"] == -signal.SIGKILL
    replaced = [
        m
        for m in crash["finished_before_kill"]
        if crash["before"][m] != crash["rebuilt"][m]
    ]
    assert replaced, "no mart was replaced with new rows before the kill"
    unchanged = [m for m in crash["marts"] if crash["before"][m] == crash["rebuilt"][m]]
    assert len(unchanged) < len(crash["marts"]) / 2, (
        f"build B should change most marts; unchanged: {unchanged}"
    )


def test_every_mart_survives_the_kill_whole_old_or_whole_new(crash):
    missing = sorted(set(crash["marts"]) - set(crash["after_kill"]))
    assert missing == [], f"marts missing after the kill: {missing}"
    mixed = {
        mart: crash["after_kill"][mart]
        for mart in crash["marts"]
        if crash["after_kill"][mart]
        not in (crash["before"][mart], crash["rebuilt"][mart])
    }
    assert mixed == {}, f"marts neither the previous nor the new build's: {mixed}"


def test_marts_the_build_had_not_replaced_keep_the_previous_rows(crash):
    finished = set(crash["finished_before_kill"])
    changed = [
        mart
        for mart in crash["marts"]
        if mart not in finished and crash["after_kill"][mart] != crash["before"][mart]
    ]
    # a mart may also have been committed between the last line read and the
    # kill; it then holds the new build's rows, never anything else
    for mart in changed:
        assert crash["after_kill"][mart] == crash["rebuilt"][mart], mart
    replaced = [m for m in finished if crash["before"][m] != crash["rebuilt"][m]]
    for mart in replaced:
        assert crash["after_kill"][mart] == crash["rebuilt"][mart], mart


def test_the_warehouse_recovers_and_a_rebuild_leaves_no_temporary_tables(crash):
    assert crash["leftovers"] == []
    assert crash["rebuilt"]["dim_customers"][0] > 100


def test_exports_are_untouched_by_a_killed_build(crash):
    _exported(crash["export_before"])
    assert crash["exported_after_kill"] == crash["exported_before"]
    assert set(crash["exported_before"]) == {
        m for m in crash["marts"] if m.startswith(("fct_", "dim_"))
    }


def test_a_killed_export_leaves_complete_files_and_the_previous_manifest(crash):
    _exported(crash["export_before"])
    exports = crash["exports"]
    manifest_before = json.loads((exports / "_manifest.json").read_text())
    process = _start(
        [
            sys.executable,
            str(EXPORT_SCRIPT),
            "--database",
            str(crash["database"]),
            "--out",
            str(exports),
        ],
        crash["database"],
    )
    written = 0
    for line in process.stdout:
        if re.search(r"\[\s*\d+/\d+\]", line):
            written += 1
            if written == 2:
                break
    else:
        pytest.fail("the export ended before it could be killed")
    _kill(process)
    after_kill = _parquet_hashes(exports)
    assert set(after_kill) == set(crash["exported_before"])
    renewed = {
        name
        for name, digest in after_kill.items()
        if digest != crash["exported_before"][name]
    }
    for name, digest in after_kill.items():
        assert digest in (crash["exported_before"][name], crash["rebuilt"][name]), name
    assert renewed and len(renewed) < len(after_kill)
    assert json.loads((exports / "_manifest.json").read_text()) == manifest_before

    _exported(_export(crash["database"], exports))
    assert _parquet_hashes(exports) == {
        name: crash["rebuilt"][name] for name in crash["exported_before"]
    }
    assert not list(exports.glob(".*.tmp"))

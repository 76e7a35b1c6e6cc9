"""Run the project's dbt commands from tests, isolated in a temporary directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
DBT = Path(sys.executable).with_name("dbt")


@dataclass
class DbtResult:
    returncode: int
    output: str
    database: Path

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def run_dbt(args: list[str], workdir: Path, variables: dict | None = None) -> DbtResult:
    """Run `dbt <args>` on the project with its own DuckDB file and target dir."""
    workdir.mkdir(parents=True, exist_ok=True)
    database = workdir / "warehouse.duckdb"
    env = dict(os.environ)
    env.update(
        DBT_PROFILES_DIR=str(PROJECT_DIR),
        CUSTOMER_VALUE_DUCKDB_PATH=str(database),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        NO_COLOR="1",
    )
    command = [
        str(DBT),
        *args,
        "--target-path",
        str(workdir / "target"),
        "--log-path",
        str(workdir / "logs"),
        "--no-use-colors",
    ]
    if args and args[0] == "build" and "--indirect-selection" not in args:
        # a partial build runs only the tests whose parents were all built
        command += ["--indirect-selection", "cautious"]
    if variables is not None:
        command += ["--vars", json.dumps(variables)]
    completed = subprocess.run(
        command,
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return DbtResult(
        completed.returncode, completed.stdout + completed.stderr, database
    )


def write_demo_data(directory: Path, customers: int, orders: int, seed: int) -> None:
    """Generate a small demo data set (CSV) into ``directory`` with the
    project's generator, as `make demo-data` does."""
    subprocess.run(
        [
            sys.executable,
            *("-m", "customer_value.demo_data"),
            *("--customers", str(customers), "--orders", str(orders)),
            *("--seed", str(seed), "--out", str(directory), "--format", "csv"),
        ],
        check=True,
        capture_output=True,
    )

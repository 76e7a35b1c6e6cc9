"""Parity of the Spark build with the DuckDB build, mart by mart, row by row.

Builds the project twice on the same small demo data set — DuckDB (``dbt
build``) and local Spark (:mod:`customer_value.spark_runner`) — then compares
every public mart (``fct_*`` and ``dim_*`` under ``models/marts``), rows sorted
by their values:

- ids, counts, dates, timestamps, flags, scores, segments, stages: equal;
- money (decimal columns and amounts, revenue, spend): relative 1e-9;
- other floating-point values (fitted parameters, predictions, shares):
  relative 1e-6.

Prints one line per mart (rows on DuckDB, rows on Spark, mismatching rows) and
exits non-zero on any mismatch or failed build.

    python -m customer_value.spark_parity [--customers 300] [--orders 3000]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

MONEY = re.compile(r"amount|revenue|monetary|_usd$")
RATIO = re.compile(r"share|rate|correlation|percentile")
MONEY_TOLERANCE = 1e-9
FLOAT_TOLERANCE = 1e-6


def log(message: str, started: float) -> None:
    print(f"[parity {time.monotonic() - started:7.1f}s] {message}", flush=True)


def run(command: list[str], env: dict[str, str], log_file: Path) -> None:
    """Run a build step, its output in ``log_file``; raise with the tail on failure."""
    with log_file.open("w") as out:
        result = subprocess.run(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        tail = log_file.read_text().splitlines()[-30:]
        raise RuntimeError(
            f"{' '.join(command[:4])} ... failed (exit {result.returncode}); "
            f"last lines of {log_file}:\n" + "\n".join(tail)
        )


def public_marts(manifest_path: Path) -> list[str]:
    manifest = json.loads(manifest_path.read_text())
    return sorted(
        node["alias"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and node["original_file_path"].startswith("models/marts/")
        and node["name"].startswith(("fct_", "dim_"))
    )


# --- comparing two frames ------------------------------------------------------------


def _kind(column: str, left: pd.Series, right: pd.Series) -> str:
    """'money', 'float' or 'exact' for a column present on both sides."""
    decimal = any(
        len(s.dropna()) and type(s.dropna().iloc[0]).__name__ == "Decimal"
        for s in (left, right)
    )
    floating = any(pd.api.types.is_float_dtype(s.dtype) for s in (left, right))
    if decimal or (floating and MONEY.search(column) and not RATIO.search(column)):
        return "money"
    return "float" if floating else "exact"


def _normalised(series: pd.Series, kind: str) -> pd.Series:
    if kind != "exact":
        return pd.to_numeric(series.astype(object), errors="coerce").astype(float)
    values = series.astype(object)

    def one(value):
        if _missing(value):
            return None
        if isinstance(value, pd.Timestamp | np.datetime64):
            value = pd.Timestamp(value)
            return (
                value.isoformat()
                if value.time() != pd.Timestamp(0).time()
                else (value.date().isoformat())
            )
        if hasattr(value, "isoformat"):  # date / datetime
            return value.isoformat().replace("T00:00:00", "")
        if isinstance(value, bool | np.bool_):
            return bool(value)
        if isinstance(value, int | np.integer):
            return int(value)
        if isinstance(value, float | np.floating):
            return int(value) if float(value).is_integer() else float(value)
        if isinstance(value, np.ndarray | list | tuple):
            return json.dumps([one(v) for v in value], default=str)
        return str(value)

    return pd.Series([one(v) for v in values], index=series.index, dtype=object)


def _missing(value) -> bool:
    """None, NaN or pandas' NA (pandas may store None as NaN)."""
    return (
        value is None
        or value is pd.NA
        or (isinstance(value, float) and math.isnan(value))
    )


def _sort_key(series: pd.Series, kind: str) -> pd.Series:
    if kind == "exact":
        return series.map(lambda v: "" if _missing(v) else f"{type(v).__name__}:{v}")
    return series.map(lambda v: "" if pd.isna(v) else f"{v:.6g}")


def compare_frames(left: pd.DataFrame, right: pd.DataFrame) -> tuple[int, list[str]]:
    """Mismatching rows between two versions of a mart, and a few examples."""
    columns = sorted(set(left.columns) | set(right.columns))
    missing = [c for c in columns if c not in left.columns or c not in right.columns]
    if missing:
        return max(len(left), len(right)), [f"columns on one side only: {missing}"]
    kinds = {c: _kind(c, left[c], right[c]) for c in columns}
    a = pd.DataFrame({c: _normalised(left[c], kinds[c]) for c in columns})
    b = pd.DataFrame({c: _normalised(right[c], kinds[c]) for c in columns})
    order = [c for c in columns if kinds[c] == "exact"] + [
        c for c in columns if kinds[c] != "exact"
    ]

    def sort(frame: pd.DataFrame) -> pd.DataFrame:
        keys = pd.DataFrame({c: _sort_key(frame[c], kinds[c]) for c in order})
        return frame.loc[keys.sort_values(order).index].reset_index(drop=True)

    a, b = sort(a), sort(b)
    n = min(len(a), len(b))
    bad = np.zeros(n, dtype=bool)
    examples: list[str] = []
    for c in columns:
        x, y = a[c].iloc[:n], b[c].iloc[:n]
        if kinds[c] == "exact":
            differs = np.array(
                [
                    not (p is None and q is None) and p != q
                    for p, q in zip(x, y, strict=True)
                ]
            )
        else:
            tol = MONEY_TOLERANCE if kinds[c] == "money" else FLOAT_TOLERANCE
            xv, yv = x.to_numpy(float), y.to_numpy(float)
            both_missing = np.isnan(xv) & np.isnan(yv)
            close = np.abs(xv - yv) <= tol * np.maximum(np.abs(xv), np.abs(yv)) + 1e-12
            differs = ~(both_missing | close)
        if differs.any():
            i = int(np.argmax(differs))
            examples.append(
                f"{c} ({kinds[c]}): {int(differs.sum())} rows, e.g. row {i}: "
                f"{x.iloc[i]!r} vs {y.iloc[i]!r}"
            )
        bad |= differs
    return int(bad.sum()) + abs(len(a) - len(b)), examples


# --- the two builds ------------------------------------------------------------------


def build_both(work: Path, customers: int, orders: int, spark_tests: bool, started):
    python = sys.executable
    data = work / "data"
    env = dict(os.environ)
    env["DBT_PROFILES_DIR"] = os.getcwd()
    env["CUSTOMER_VALUE_PROJECT_DIR"] = os.getcwd()
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    env.pop("DBT_TARGET", None)
    log(f"demo data: {customers} customers, ~{orders} orders -> {data}", started)
    demo = ["--customers", str(customers), "--orders", str(orders), "--seed", "42"]
    run(
        [python, "-m", "customer_value.demo_data", *demo, "--out", str(data)],
        env,
        work / "demo_data.log",
    )
    variables = (
        f"{{orders_path: '{data}/orders.csv', customers_path: '{data}/customers.csv'}}"
    )
    dbt = str(Path(python).parent / "dbt")
    log("DuckDB build (dbt build: models and tests)", started)
    t0 = time.monotonic()
    run(
        [dbt, "build", "--vars", variables, "--target-path", str(work / "duckdb_dbt")],
        {**env, "CUSTOMER_VALUE_DUCKDB_PATH": str(work / "duckdb.duckdb")},
        work / "duckdb_build.log",
    )
    log(f"DuckDB build done in {time.monotonic() - t0:.0f}s", started)
    log(
        "Spark build (customer_value.spark_runner"
        + ("" if spark_tests else ", models only")
        + f"; progress in {work / 'spark_build.log'})",
        started,
    )
    t0 = time.monotonic()
    run(
        [python, "-m", "customer_value.spark_runner", "--vars", variables,
         "--target-path", str(work / "spark_dbt"),
         *([] if spark_tests else ["--skip-tests"])],
        {**env, "DBT_TARGET": "spark", "CUSTOMER_VALUE_SPARK_DIR": str(work / "spark")},
        work / "spark_build.log",
    )  # fmt: skip
    log(f"Spark build done in {time.monotonic() - t0:.0f}s", started)


def spark_table(work: Path, name: str, schema: str) -> pd.DataFrame:
    """A table of the local Spark warehouse, read from its Parquet files."""
    folder = work / "spark" / "warehouse" / f"{schema}.db" / name
    return duckdb.sql(f"select * from read_parquet('{folder}/*.parquet')").df()  # nosec: local path


def compare(work: Path, schema: str, started) -> int:
    marts = public_marts(work / "duckdb_dbt" / "manifest.json")
    con = duckdb.connect(str(work / "duckdb.duckdb"), read_only=True)
    print(f"\n{'mart':<36} {'rows DuckDB':>12} {'rows Spark':>11} {'mismatches':>11}")
    print("-" * 73)
    failures = 0
    details: list[str] = []
    for mart in marts:
        left = con.sql(f"select * from {mart}").df()
        try:
            right = spark_table(work, mart, schema)
        except duckdb.Error as error:
            right = None
            details.append(f"{mart}: not found on Spark ({str(error).splitlines()[0]})")
        if right is None:
            bad, examples, rows_spark = len(left) or 1, [], "-"
        else:
            bad, examples = compare_frames(left, right)
            rows_spark = str(len(right))
        details += [f"{mart}: {e}" for e in examples]
        failures += bad > 0
        print(f"{mart:<36} {len(left):>12} {rows_spark:>11} {bad:>11}", flush=True)
    print("-" * 73)
    for line in details:
        print("  " + line)
    log(
        f"{len(marts)} marts compared, {failures} with mismatches",
        started,
    )
    return failures


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--orders", type=int, default=3000)
    parser.add_argument("--work", default="target/parity", help="work directory")
    parser.add_argument(
        "--spark-tests",
        action="store_true",
        help="also run the data and unit tests on Spark (slower)",
    )
    parser.add_argument(
        "--compare-only", action="store_true", help="compare the last builds again"
    )
    options = parser.parse_args(list(argv) if argv is not None else None)
    started = time.monotonic()
    work = Path(options.work).resolve()
    schema = os.environ.get("CUSTOMER_VALUE_SPARK_SCHEMA", "customer_value")
    try:
        if not options.compare_only:
            from customer_value.spark_runner import SetupError, check_java

            try:
                check_java()
            except SetupError as error:
                print(f"error: {error}", file=sys.stderr)
                return 2
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True)
            build_both(
                work, options.customers, options.orders, options.spark_tests, started
            )
        failures = compare(work, schema, started)
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if failures:
        print(f"FAILED: {failures} marts differ between DuckDB and Spark")
        return 1
    print("Spark and DuckDB agree on every public mart.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

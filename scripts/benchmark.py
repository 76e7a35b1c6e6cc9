"""Benchmark the whole build at several sizes against hand-written baselines.

For each size (orders; customers = orders / 10) it
1. generates the demo data as Parquet with the project's generator (timed);
2. runs the full ``dbt build`` (models and tests) into a fresh DuckDB file and
   reads the wall time of every model from run_results.json, the peak memory
   (max RSS of the dbt process) and rows per second;
3. builds the staging and RFM layers alone, one model at a time (every model
   and seed upstream of int_customers_profiled, no tests), and sums their
   execution times: the project's side of the SQL comparison;
4. runs, in the same process tree, the baseline: one hand-written DuckDB SQL
   script (scripts/benchmark_baseline.sql) computing the same staging and RFM
   outputs directly into a DuckDB file (as the build does), and the reference
   CLV library (lifetimes) fitting BG/NBD + Gamma-Gamma on the same
   calibration summary vs this project's engine;
5. with --daily, measures a daily run with `incremental_staging: true`: the
   same orders as two files (all days but the last, then the last day as a file
   of its own); the typed and parsed rows of the first file are kept from an
   earlier run, and the timed `dbt build` parses only the new file and
   recomputes only the order ids on it;
6. with --ml-pairs N, measures what the churn and value-cluster models add to
   the build: N alternating pairs of full builds and builds without them (every
   model downstream of their first intermediate models, with their tests),
   each into a fresh warehouse; the median of the paired differences;
7. prints a table with the ratios project / baseline and appends the results
   to BENCHMARKS.md with the date, the machine and the command.

Usage:
    python scripts/benchmark.py                      # 100k, 1M and 10M orders
    python scripts/benchmark.py --sizes 100000 1000000 --no-write
    python scripts/benchmark.py --sizes 10000000 --daily  # also a daily incremental run
    python scripts/benchmark.py --sizes 10000000 --ml-pairs 4 --no-write
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
BASELINE_SQL = PROJECT / "scripts" / "benchmark_baseline.sql"
# The staging and RFM layers end in this model (the profile with RFM scores).
SQL_LAYERS_LAST_MODEL = "int_customers_profiled"
# The churn and value-cluster models are these intermediate models and
# everything downstream of them (the churn marts, the cluster marts and their
# tests, the personal-data scans of those marts among them).
ML_MODELS_EXCLUDED = (
    "int_purchase_days_bucketed+",
    "int_customers_lrfmc_summarized+",
)
# The personal-data scan is the generic test no_personal_data on every mart:
# test ids test.customer_value.no_personal_data_<mart>_.<hash>.
PRIVACY_SCAN_TEST = "no_personal_data"


def is_privacy_scan(unique_id: str) -> bool:
    """True for the unique id of a mart's personal-data scan."""
    kind, _, name = unique_id.split(".")[:3]
    return kind == "test" and name.startswith(f"{PRIVACY_SCAN_TEST}_")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def run_measured(command: list[str], env: dict | None = None) -> tuple[float, float]:
    """Run a command; return (wall seconds, peak RSS in MB of that child)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    completed = subprocess.run(
        command, cwd=PROJECT, env=env, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - start
    if completed.returncode != 0:
        sys.stdout.write(completed.stdout[-4000:] + completed.stderr[-4000:])
        raise SystemExit(f"command failed: {' '.join(command)}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of RUSAGE_CHILDREN is the largest child so far (KB on Linux):
    # report it only when this child raised it, else the previous peak bounds it.
    return wall, max(peak, before) / 1024.0


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GB RAM, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def dbt_build_timed(
    variables: dict,
    database: Path,
    target: Path,
    workdir: Path,
    select: list[str] | None = None,
    command: list[str] | None = None,
) -> tuple[float, float, dict]:
    """Run `dbt build` (or `dbt run --select ...`, or ``command``) into
    ``database``; return wall seconds, peak RSS in MB and the execution time of
    each model and test."""
    env = dict(os.environ)
    env.update(
        DBT_PROFILES_DIR=str(PROJECT),
        CUSTOMER_VALUE_DUCKDB_PATH=str(database),
        PII_HASH_SALT=env.get("PII_HASH_SALT", "benchmark-salt"),
    )
    if command is None:
        command = ["run", "--select", *select] if select else ["build"]
    wall, rss = run_measured(
        [
            str(BIN / "dbt"),
            *command,
            "--vars",
            json.dumps(variables),
            "--target-path",
            str(target),
            "--log-path",
            str(workdir / "logs"),
        ],
        env,
    )
    results = json.loads((target / "run_results.json").read_text())
    times = {r["unique_id"]: r["execution_time"] for r in results["results"]}
    return wall, rss, times


def model_seconds(times: dict) -> dict[str, float]:
    return {
        uid.split(".")[-1]: secs
        for uid, secs in times.items()
        if uid.startswith(("model.", "seed."))
    }


def benchmark_daily(n_orders: int, data: Path, workdir: Path) -> dict:
    """A daily run with incremental staging: yesterday's state holds the typed
    and parsed rows of every day but the last; the run adds the last day as a
    new file."""
    deliveries = workdir / f"deliveries_{n_orders}"
    deliveries.mkdir()
    last_day_file = workdir / "orders_last_day.parquet"
    import duckdb  # the project's pinned DuckDB; only needed here

    with duckdb.connect() as con:
        orders = f"read_parquet('{data / 'orders.parquet'}')"
        # the last calendar day with valid ISO dates; unparseable rows stay with
        # the history file
        day = "try_cast(left(cast(ordered_at as varchar), 10) as date)"
        (last_day,) = con.execute(
            f"select max({day}) from {orders} where {day} <= current_date"
        ).fetchone()
        con.execute(
            f"copy (select * from {orders}"
            f" where {day} is distinct from date '{last_day}')"
            f" to '{deliveries / 'orders_history.parquet'}'"
        )
        con.execute(
            f"copy (select * from {orders} where {day} = date '{last_day}')"
            f" to '{last_day_file}'"
        )
    variables = {
        "orders_path": str(deliveries / "*.parquet"),
        "customers_path": str(data / "customers.parquet"),
        "incremental_staging": True,
    }
    database = workdir / f"daily_{n_orders}.duckdb"
    log("daily run: yesterday's parsed rows (every day but the last)")
    setup_wall, _, _ = dbt_build_timed(
        variables,
        database,
        workdir / f"target_setup_{n_orders}",
        workdir,
        command=[
            "build",
            "--select",
            "+stg_shop__orders_parsed",
            "--exclude-resource-type",
            "test",
            "unit_test",
        ],
    )
    last_day_file.rename(deliveries / "orders_last_day.parquet")
    log("daily run: dbt build with the last day added as a new file")
    wall, _, times = dbt_build_timed(
        variables, database, workdir / f"target_daily_{n_orders}", workdir
    )
    return {
        "daily_setup_s": setup_wall,
        "daily_build_s": wall,
        "daily_model_times": model_seconds(times),
    }


def benchmark_ml_cost(
    n_orders: int, variables: dict, workdir: Path, pairs: int
) -> dict:
    """``pairs`` alternating pairs: a full build, then one without the churn
    and value-cluster models, each into a fresh warehouse (so that both meet
    the machine in the same state); the median of the paired differences."""
    full, without, privacy = [], [], []
    excluded: set[str] = set()
    for i in range(1, pairs + 1):
        runs = {}
        for kind, extra in (
            ("full", []),
            ("without", ["--exclude", *ML_MODELS_EXCLUDED]),
        ):
            log(f"churn and clusters cost, pair {i}/{pairs}: {kind} build")
            database = workdir / f"ml_{kind}_{n_orders}.duckdb"
            for path in (database, database.with_suffix(".duckdb.wal")):
                path.unlink(missing_ok=True)
            wall, _, times = dbt_build_timed(
                variables,
                database,
                workdir / f"target_ml_{kind}_{n_orders}",
                workdir,
                command=["build", *extra],
            )
            runs[kind] = (wall, times)
        full.append(runs["full"][0])
        without.append(runs["without"][0])
        privacy.append(
            sum(secs for uid, secs in runs["full"][1].items() if is_privacy_scan(uid))
        )
        excluded |= set(model_seconds(runs["full"][1])) - set(
            model_seconds(runs["without"][1])
        )
        log(f"pair {i}: full {full[-1]:.1f} s, without {without[-1]:.1f} s")
    added = sorted(f - w for f, w in zip(full, without, strict=True))
    return {
        "ml_pairs": pairs,
        "ml_full_s": statistics.median(full),
        "ml_without_s": statistics.median(without),
        "ml_added_s": statistics.median(added),
        "ml_added_range": (added[0], added[-1]),
        "ml_privacy_scan_s": statistics.median(privacy),
        "ml_models": sorted(excluded),
    }


def benchmark_size(
    n_orders: int, workdir: Path, daily: bool = False, ml_pairs: int = 0
) -> dict:
    n_customers = max(n_orders // 10, 100)
    data = workdir / f"data_{n_orders}"
    log(f"size {n_orders:,} orders / {n_customers:,} customers: generating data")
    gen_wall, _ = run_measured(
        [
            str(BIN / "python"),
            "-m",
            "customer_value.demo_data",
            "--customers",
            str(n_customers),
            "--orders",
            str(n_orders),
            "--format",
            "parquet",
            "--out",
            str(data),
        ]
    )
    database = workdir / f"build_{n_orders}.duckdb"
    variables = {
        "orders_path": str(data / "orders.parquet"),
        "customers_path": str(data / "customers.parquet"),
    }
    log("dbt build")
    build_wall, build_rss, times = dbt_build_timed(
        variables, database, workdir / f"target_{n_orders}", workdir
    )
    model_times = model_seconds(times)
    test_time = sum(
        secs for uid, secs in times.items() if uid.startswith(("test.", "unit_test."))
    )

    log("baseline: hand-written DuckDB SQL")
    # into a database file, as the project's build: both pay for writing tables
    baseline_db = workdir / f"baseline_{n_orders}.duckdb"
    baseline_wall, baseline_rss = run_measured(
        [
            str(BIN / "python"),
            "-c",
            (
                "import duckdb,sys;"
                "con=duckdb.connect(sys.argv[4]);"
                "con.execute(\"set TimeZone='UTC'\");"
                "sql=open(sys.argv[1]).read()"
                ".replace('{orders}', sys.argv[2])"
                ".replace('{customers}', sys.argv[3]);"
                "[con.execute(s) for s in sql.split(';') if s.strip()]"
            ),
            str(BASELINE_SQL),
            str(data / "orders.parquet"),
            str(data / "customers.parquet"),
            str(baseline_db),
        ]
    )
    # The staging and RFM layers on their own, one model at a time (each model
    # has both cores, as the script has): the sum of their execution times.
    log("SQL layers alone: staging and RFM models, one thread")
    _, _, layer_times = dbt_build_timed(
        variables,
        workdir / f"layers_{n_orders}.duckdb",
        workdir / f"target_layers_{n_orders}",
        workdir,
        command=[
            "build",
            "--select",
            f"+{SQL_LAYERS_LAST_MODEL}",
            "--exclude-resource-type",
            "test",
            "unit_test",
            "--threads",
            "1",
        ],
    )
    sql_layers = sum(
        secs for uid, secs in layer_times.items() if uid.startswith("model.")
    )

    log("CLV: this engine vs lifetimes on the same summary")
    clv = json.loads(
        subprocess.run(
            [
                str(BIN / "python"),
                str(PROJECT / "scripts" / "benchmark_clv.py"),
                "--from-duckdb",
                str(database),
                "--json",
            ],
            cwd=PROJECT,
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    daily_results = benchmark_daily(n_orders, data, workdir) if daily else {}
    ml_results = (
        benchmark_ml_cost(n_orders, variables, workdir, ml_pairs) if ml_pairs else {}
    )
    return {
        **daily_results,
        **ml_results,
        "orders": n_orders,
        "customers": n_customers,
        "generate_s": gen_wall,
        "build_s": build_wall,
        "build_peak_mb": build_rss,
        "models_s": sum(model_times.values()),
        "tests_s": test_time,
        "sql_layers_s": sql_layers,
        "baseline_sql_s": baseline_wall,
        "baseline_peak_mb": baseline_rss,
        "clv_project_s": clv["project_s"],
        "clv_reference_s": clv["reference_s"],
        "clv_reference_note": clv.get("note", ""),
        "model_times": model_times,
    }


def render(results: list[dict], command: str) -> str:
    lines = [
        f"## {dt.date.today().isoformat()}",
        "",
        f"Machine: {machine()}  ",
        f"Command: `{command}`",
        "",
        "dbt build s: the full build (models, seeds and every test) from an empty"
        " warehouse; peak MB: the largest RSS of the dbt process; SQL layers s: the"
        " staging and RFM models built alone, one at a time (sum of their execution"
        " times); hand-written SQL s: scripts/benchmark_baseline.sql into a DuckDB"
        " file; CLV fit+predict s: the BG/NBD and Gamma-Gamma fits, P(alive),"
        " expected purchases and the discounted CLV of every customer of the"
        " build's calibration summary, against lifetimes on the same summary.",
        "",
        "| orders | customers | generate s | dbt build s | peak MB | orders/s "
        "| SQL layers s | hand-written SQL s | ratio | CLV fit+predict s "
        "| lifetimes s | speed-up |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['orders']:,} | {r['customers']:,} | {r['generate_s']:.1f} "
            f"| {r['build_s']:.1f} | {r['build_peak_mb']:,.0f} "
            f"| {r['orders'] / r['build_s']:,.0f} | {r['sql_layers_s']:.1f} "
            f"| {r['baseline_sql_s']:.1f} "
            f"| {r['sql_layers_s'] / r['baseline_sql_s']:.2f}x "
            f"| {r['clv_project_s']:.2f} | {r['clv_reference_s']:.2f} "
            f"| {r['clv_reference_s'] / r['clv_project_s']:.1f}x |"
        )
    daily = [r for r in results if "daily_build_s" in r]
    if daily:
        lines += [
            "",
            "Daily run with `incremental_staging: true` (the last day's orders arrive"
            " as a new file; every other file's parsed rows are kept): full `dbt build`"
            " from scratch vs the daily `dbt build`.",
            "",
            "| orders | full build s | daily build s | saved | parse s, full"
            " | parse s, daily |",
            "|---|---|---|---|---|---|",
        ]
        parse = ("base_shop__orders_typed", "stg_shop__orders_parsed")
        for r in daily:
            full_parse = sum(r["model_times"].get(name, 0.0) for name in parse)
            daily_parse = sum(r["daily_model_times"].get(name, 0.0) for name in parse)
            lines.append(
                f"| {r['orders']:,} | {r['build_s']:.1f} | {r['daily_build_s']:.1f} "
                f"| {1 - r['daily_build_s'] / r['build_s']:.0%} | {full_parse:.1f} "
                f"| {daily_parse:.1f} |"
            )
    ml = [r for r in results if "ml_added_s" in r]
    if ml:
        lines += [
            "",
            "What the churn and value-cluster models add (the "
            f"{len(ml[-1]['ml_models'])} models {', '.join(ml[-1]['ml_models'])} and"
            " their tests): alternating pairs of full builds and builds without them,"
            " each from an empty warehouse; medians. The build without them also"
            " skips the personal-data scans of those marts only (the"
            f" {PRIVACY_SCAN_TEST} test of each churn and cluster mart); the other"
            " marts are scanned in both. The last column is the median time of the"
            " scans of all marts in the full builds.",
            "",
            "| orders | customers | pairs | full build s | without s | added s"
            " | added s, min-max | personal-data scan s |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in ml:
            low, high = r["ml_added_range"]
            lines.append(
                f"| {r['orders']:,} | {r['customers']:,} | {r['ml_pairs']} "
                f"| {r['ml_full_s']:.1f} | {r['ml_without_s']:.1f} "
                f"| {r['ml_added_s']:.1f} | {low:.1f}-{high:.1f} "
                f"| {r['ml_privacy_scan_s']:.1f} |"
            )
    notes = [r["clv_reference_note"] for r in results if r["clv_reference_note"]]
    for note in notes:
        lines.append(f"\n{note}")
    largest = results[-1]
    slowest = sorted(largest["model_times"].items(), key=lambda kv: -kv[1])[:12]
    lines += [
        "",
        f"Slowest models at {largest['orders']:,} orders (s): "
        + ", ".join(f"{name} {secs:.1f}" for name, secs in slowest),
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 10_000_000]
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="directory for the generated data and builds (created when missing;"
        " default: the system's temporary directory)",
    )
    parser.add_argument(
        "--no-write", action="store_true", help="do not append to BENCHMARKS.md"
    )
    parser.add_argument(
        "--daily",
        action="store_true",
        help="also time a daily run with incremental staging (2 more builds a size)",
    )
    parser.add_argument(
        "--ml-pairs",
        type=int,
        default=0,
        metavar="N",
        help="also time what the churn and value-cluster models add: N pairs of"
        " builds with and without them (2 builds a pair and size)",
    )
    args = parser.parse_args()
    command = "python scripts/benchmark.py " + " ".join(sys.argv[1:])
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        results = [
            benchmark_size(n, Path(tmp), args.daily, args.ml_pairs)
            for n in sorted(args.sizes)
        ]
    report = render(results, command.strip())
    print()
    print(report)
    if not args.no_write:
        path = PROJECT / "BENCHMARKS.md"
        header = (
            "# Benchmarks\n\nFull `dbt build` (models and tests) on generated data, "
            "against a hand-written DuckDB SQL script for the staging and RFM "
            "layers and the lifetimes package for the CLV fit, in the same "
            "process tree. Newest first.\n\n"
        )
        old = path.read_text() if path.exists() else header
        body = old[len(header) :] if old.startswith(header) else old
        path.write_text(header + report + "\n" + body)
        log(f"appended to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
